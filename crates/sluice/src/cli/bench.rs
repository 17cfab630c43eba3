//! `sluice bench`: a load generator that speaks the wire protocol. It creates a fresh stream, drives
//! PutRecords or PutRecord for a while (closed loop, or open loop at a fixed rate), then reads
//! every shard back with GetRecords and checks that each acknowledged record is there exactly once
//! with its data intact. It prints a summary, or one JSON object with `--json`.

use super::ClientArgs;
use super::bench_fanout::{Fanout, Sent};
use super::client::{Client, Connection, ServiceError};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, ValueEnum};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    /// PutRecords calls of `--batch` records each.
    PutRecords,
    /// One PutRecord call per record.
    PutRecord,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[arg(long, value_enum, default_value = "put-records")]
    workload: Workload,
    /// Shards of the stream the benchmark creates.
    #[arg(long, default_value_t = 4)]
    shards: u32,
    /// Data bytes per record.
    #[arg(long, default_value_t = 1024)]
    record_size: usize,
    /// Records per PutRecords call.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long to write, in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Open loop: this many calls per second in all (latency counts from each call's scheduled
    /// start, so a stall is not hidden). 0 = closed loop, as fast as the server answers.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Enhanced fan-out consumers to register; each subscribes to every shard (SubscribeToShard)
    /// and the report gains the put-to-subscriber latency and a delivery check.
    #[arg(long, default_value_t = 0)]
    subscribers: usize,
    /// Skip the GetRecords read-back and integrity check.
    #[arg(long)]
    no_read_back: bool,
    /// Leave the stream in place afterwards.
    #[arg(long)]
    keep: bool,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// Latency samples in microseconds.
#[derive(Default)]
pub struct Latencies(pub Vec<u64>);

impl Latencies {
    pub fn summary(mut self) -> Value {
        self.0.sort_unstable();
        let pick = |q: f64| -> f64 {
            if self.0.is_empty() {
                return 0.0;
            }
            let i = ((self.0.len() as f64 * q).ceil() as usize).clamp(1, self.0.len()) - 1;
            self.0[i] as f64 / 1000.0
        };
        json!({
            "p50_ms": pick(0.50), "p90_ms": pick(0.90), "p99_ms": pick(0.99),
            "p999_ms": pick(0.999), "max_ms": pick(1.0), "samples": self.0.len(),
        })
    }
}

/// What one writer task saw.
#[derive(Default)]
struct WriterReport {
    calls: u64,
    acked: Vec<u64>,
    throttled: u64,
    latencies: Latencies,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.record_size < 8 {
        bail!("--record-size must be at least 8 (each record carries its id)");
    }
    if args.concurrency == 0 || args.batch == 0 || args.batch > 500 {
        bail!("--concurrency must be positive and --batch between 1 and 500");
    }
    let client = Arc::new(Client::new(&args.client)?);
    let stream = format!("sluice-bench-{:08x}", rand::random::<u32>());
    client
        .call(
            "CreateStream",
            &json!({ "StreamName": stream, "ShardCount": args.shards }),
        )
        .await
        .context("creating the benchmark stream")?;
    wait_active(&client, &stream).await?;

    let result = measure(&args, &client, &stream).await;
    if !args.keep {
        let _ = client
            .call("DeleteStream", &json!({ "StreamName": stream }))
            .await;
    }
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", human(&report));
    }
    if report["read_back"]["ok"] == json!(false) {
        bail!("integrity check failed");
    }
    if report["fanout"]["ok"] == json!(false) {
        bail!("fan-out delivery check failed");
    }
    Ok(())
}

async fn measure(args: &BenchArgs, client: &Arc<Client>, stream: &str) -> anyhow::Result<Value> {
    let fanout = if args.subscribers > 0 {
        Some(Fanout::start(client, stream, args.subscribers).await?)
    } else {
        None
    };
    let sent = fanout.as_ref().map(|f| (f.sent.clone(), args.subscribers));
    let duration = Duration::from_secs_f64(args.duration);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..args.concurrency as u64 {
        let client = client.clone();
        let stream = stream.to_owned();
        let (workload, batch, size) = (args.workload, args.batch, args.record_size);
        let interval =
            (args.rate > 0.0).then(|| Duration::from_secs_f64(args.concurrency as f64 / args.rate));
        let sent = sent.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = client.connect().await?;
            let plan = Plan {
                workload,
                worker,
                batch,
                size,
                started,
                duration,
                interval,
                sent,
            };
            write_loop(&mut conn, &stream, plan).await
        }));
    }
    let mut latencies = Latencies::default();
    let (mut calls, mut throttled) = (0u64, 0u64);
    let mut acked = Vec::new();
    for t in tasks {
        let r = t.await??;
        calls += r.calls;
        throttled += r.throttled;
        acked.extend(r.acked);
        latencies.0.extend(r.latencies.0);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let records = acked.len() as u64;
    let bytes = records * args.record_size as u64;
    let mut report = json!({
        "workload": match args.workload { Workload::PutRecords => "PutRecords", Workload::PutRecord => "PutRecord" },
        "endpoint": args.client.endpoint,
        "shards": args.shards,
        "record_size": args.record_size,
        "batch": if args.workload == Workload::PutRecords { args.batch } else { 1 },
        "concurrency": args.concurrency,
        "target_rate_calls_per_s": args.rate,
        "write": {
            "seconds": elapsed,
            "calls": calls,
            "calls_per_s": calls as f64 / elapsed,
            "records_acked": records,
            "records_per_s": records as f64 / elapsed,
            "mb_per_s": bytes as f64 / elapsed / 1e6,
            "throttled_records": throttled,
            "latency": latencies.summary(),
        },
    });
    if let Some(f) = fanout {
        report["fanout"] = f.finish(&acked, Duration::from_secs(5)).await?;
    }
    if !args.no_read_back {
        report["read_back"] = read_back(client, stream, args.record_size, acked).await?;
    }
    Ok(report)
}

/// What one writer does.
struct Plan {
    workload: Workload,
    worker: u64,
    batch: usize,
    size: usize,
    started: Instant,
    duration: Duration,
    interval: Option<Duration>,
    /// With `--subscribers`: where to note when each record's put was sent, and for how many.
    sent: Option<(Arc<Sent>, usize)>,
}

async fn write_loop(
    conn: &mut Connection,
    stream: &str,
    plan: Plan,
) -> anyhow::Result<WriterReport> {
    let Plan {
        workload,
        worker,
        batch,
        size,
        started,
        duration,
        interval,
        sent,
    } = plan;
    let mut report = WriterReport::default();
    let mut next_id = worker << 40;
    // Stagger open-loop workers so their calls interleave evenly.
    let mut scheduled =
        started + interval.map_or(Duration::ZERO, |i| i.mul_f64(worker as f64 / 64.0));
    let mut body = String::new();
    let mut data = Vec::with_capacity(size);
    while started.elapsed() < duration {
        if interval.is_some() {
            tokio::time::sleep_until(scheduled.into()).await;
        }
        let call_start = if interval.is_some() {
            scheduled
        } else {
            Instant::now()
        };
        let n = if workload == Workload::PutRecords {
            batch
        } else {
            1
        };
        let ids: Vec<u64> = (next_id..next_id + n as u64).collect();
        next_id += n as u64;
        if let Some((sent, subscribers)) = &sent {
            let mut sent = sent.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            for id in &ids {
                sent.insert(*id, (call_start, *subscribers));
            }
        }
        body.clear();
        let answer = match workload {
            Workload::PutRecords => {
                write!(body, r#"{{"StreamName":"{stream}","Records":["#)?;
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        body.push(',');
                    }
                    write!(body, r#"{{"PartitionKey":"{id}","Data":""#)?;
                    fill_payload(&mut data, *id, size);
                    STANDARD.encode_string(&data, &mut body);
                    body.push_str("\"}");
                }
                body.push_str("]}");
                conn.call_raw("PutRecords", body.clone().into_bytes()).await
            }
            Workload::PutRecord => {
                let id = ids[0];
                write!(
                    body,
                    r#"{{"StreamName":"{stream}","PartitionKey":"{id}","Data":""#
                )?;
                fill_payload(&mut data, id, size);
                STANDARD.encode_string(&data, &mut body);
                body.push_str("\"}");
                conn.call_raw("PutRecord", body.clone().into_bytes()).await
            }
        };
        report.calls += 1;
        match answer {
            Ok(bytes) => {
                report
                    .latencies
                    .0
                    .push(call_start.elapsed().as_micros() as u64);
                if workload == Workload::PutRecords {
                    let out: PutRecordsOut = serde_json::from_slice(&bytes)?;
                    for (id, r) in ids.iter().zip(out.records) {
                        if r.error_code.is_none() {
                            report.acked.push(*id);
                        } else {
                            report.throttled += 1;
                        }
                    }
                } else {
                    report.acked.push(ids[0]);
                }
            }
            Err(e) => match e.downcast_ref::<ServiceError>() {
                Some(s) if s.kind == "ProvisionedThroughputExceededException" => {
                    report.throttled += n as u64
                }
                _ => return Err(e),
            },
        }
        if let Some(interval) = interval {
            scheduled += interval;
        }
    }
    Ok(report)
}

/// Record `id`'s data: the id, then bytes derived from it, so a reader can check every byte.
fn fill_payload(out: &mut Vec<u8>, id: u64, size: usize) {
    out.clear();
    out.extend_from_slice(&id.to_le_bytes());
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let take = (size - out.len()).min(8);
        out.extend_from_slice(&x.to_le_bytes()[..take]);
    }
}

#[derive(Deserialize)]
struct PutRecordsOut {
    #[serde(rename = "Records")]
    records: Vec<PutRecordsEntry>,
}

#[derive(Deserialize)]
struct PutRecordsEntry {
    #[serde(rename = "ErrorCode")]
    error_code: Option<String>,
}

#[derive(Deserialize)]
struct GetRecordsOut<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<RecordOut<'a>>,
    #[serde(rename = "NextShardIterator", borrow)]
    next: Option<&'a str>,
    #[serde(rename = "MillisBehindLatest")]
    behind: Option<u64>,
}

#[derive(Deserialize)]
struct RecordOut<'a> {
    /// Borrowed: base64 never needs JSON escapes.
    #[serde(rename = "Data")]
    data: &'a str,
}

/// Reads every shard from the trim horizon (one task per shard) and checks each record.
async fn read_back(
    client: &Arc<Client>,
    stream: &str,
    size: usize,
    acked: Vec<u64>,
) -> anyhow::Result<Value> {
    let shards = client
        .call("ListShards", &json!({ "StreamName": stream }))
        .await?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for shard in shards["Shards"].as_array().into_iter().flatten() {
        let client = client.clone();
        let stream = stream.to_owned();
        let shard = shard["ShardId"].as_str().unwrap_or_default().to_owned();
        tasks.push(tokio::spawn(async move {
            read_shard(&client, &stream, &shard, size).await
        }));
    }
    let mut latencies = Latencies::default();
    let (mut calls, mut bytes, mut corrupt) = (0u64, 0u64, 0u64);
    let mut seen = Vec::new();
    for t in tasks {
        let r = t.await??;
        calls += r.calls;
        bytes += r.bytes;
        corrupt += r.corrupt;
        seen.extend(r.ids);
        latencies.0.extend(r.latencies.0);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let acked_set: HashSet<u64> = acked.iter().copied().collect();
    let mut seen_set = HashSet::with_capacity(seen.len());
    let duplicates = seen.iter().filter(|id| !seen_set.insert(**id)).count();
    let missing = acked_set.difference(&seen_set).count();
    let ok = missing == 0 && duplicates == 0 && corrupt == 0;
    Ok(json!({
        "seconds": elapsed,
        "calls": calls,
        "records": seen.len(),
        "mb_per_s": bytes as f64 / elapsed / 1e6,
        "latency": latencies.summary(),
        "missing": missing,
        "duplicates": duplicates,
        "corrupt": corrupt,
        "ok": ok,
    }))
}

#[derive(Default)]
struct ShardRead {
    calls: u64,
    bytes: u64,
    corrupt: u64,
    ids: Vec<u64>,
    latencies: Latencies,
}

async fn read_shard(
    client: &Client,
    stream: &str,
    shard: &str,
    size: usize,
) -> anyhow::Result<ShardRead> {
    let it = client
        .call(
            "GetShardIterator",
            &json!({ "StreamName": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON" }),
        )
        .await?;
    let mut iterator = it["ShardIterator"].as_str().map(str::to_owned);
    let mut out = ShardRead::default();
    while let Some(it) = iterator.take() {
        let t = Instant::now();
        let body = serde_json::to_vec(&json!({ "ShardIterator": it, "Limit": 10000 }))?;
        let bytes = match client.call_raw("GetRecords", body).await {
            Ok(bytes) => bytes,
            Err(e) => match e.downcast_ref::<ServiceError>() {
                Some(s) if s.kind == "ProvisionedThroughputExceededException" => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    iterator = Some(it);
                    continue;
                }
                _ => return Err(e),
            },
        };
        let page: GetRecordsOut<'_> = serde_json::from_slice(&bytes)?;
        out.latencies.0.push(t.elapsed().as_micros() as u64);
        out.calls += 1;
        let empty = page.records.is_empty();
        let mut data = Vec::with_capacity(size);
        let mut expected = Vec::with_capacity(size);
        for r in page.records {
            data.clear();
            STANDARD.decode_vec(r.data.as_bytes(), &mut data)?;
            out.bytes += data.len() as u64;
            let id = data
                .get(..8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
                .unwrap_or(u64::MAX);
            fill_payload(&mut expected, id, size);
            if data != expected {
                out.corrupt += 1;
            }
            out.ids.push(id);
        }
        if empty && page.behind.unwrap_or(0) == 0 {
            break;
        }
        iterator = page.next.map(str::to_owned);
    }
    Ok(out)
}

async fn wait_active(client: &Client, stream: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        let d = client
            .call("DescribeStreamSummary", &json!({ "StreamName": stream }))
            .await?;
        if d["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("stream {stream} did not become ACTIVE")
}

fn human(r: &Value) -> String {
    let w = &r["write"];
    let l = &w["latency"];
    let mut s = format!(
        "{} x{} ({} B records, {} shards, concurrency {}): {:.0} calls/s, {:.0} records/s, {:.1} MB/s acknowledged; \
         latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} throttled\n",
        r["workload"].as_str().unwrap_or(""),
        r["batch"],
        r["record_size"],
        r["shards"],
        r["concurrency"],
        w["calls_per_s"].as_f64().unwrap_or(0.0),
        w["records_per_s"].as_f64().unwrap_or(0.0),
        w["mb_per_s"].as_f64().unwrap_or(0.0),
        l["p50_ms"].as_f64().unwrap_or(0.0),
        l["p99_ms"].as_f64().unwrap_or(0.0),
        l["max_ms"].as_f64().unwrap_or(0.0),
        w["throttled_records"],
    );
    if let Some(f) = r.get("fanout") {
        let l = &f["put_to_subscriber_latency"];
        let _ = writeln!(
            s,
            "fan-out: {} subscribers, {} records received in {} events; put-to-subscriber p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms; missing {}, duplicates {}: {}",
            f["subscribers"],
            f["records_received"],
            f["events"],
            l["p50_ms"].as_f64().unwrap_or(0.0),
            l["p99_ms"].as_f64().unwrap_or(0.0),
            l["p999_ms"].as_f64().unwrap_or(0.0),
            l["max_ms"].as_f64().unwrap_or(0.0),
            f["missing"],
            f["duplicates"],
            if f["ok"] == json!(true) {
                "OK"
            } else {
                "FAILED"
            },
        );
    }
    if let Some(rb) = r.get("read_back") {
        let _ = writeln!(
            s,
            "read-back: {} records in {:.2} s, {:.1} MB/s, GetRecords p99 {:.2} ms; missing {}, duplicates {}, corrupt {}: {}",
            rb["records"],
            rb["seconds"].as_f64().unwrap_or(0.0),
            rb["mb_per_s"].as_f64().unwrap_or(0.0),
            rb["latency"]["p99_ms"].as_f64().unwrap_or(0.0),
            rb["missing"],
            rb["duplicates"],
            rb["corrupt"],
            if rb["ok"] == json!(true) {
                "OK"
            } else {
                "FAILED"
            },
        );
    }
    s
}
