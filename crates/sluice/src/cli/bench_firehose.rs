//! `sluice bench-firehose`: delivery throughput and latency. It creates a delivery stream whose
//! S3 destination is a bucket of the server's embedded store, drives PutRecordBatch for a while,
//! then watches the bucket's directory (`--s3-dir`, the server's) until every acknowledged byte
//! has been delivered, decompressing each object and checking that every record is there exactly
//! once, intact. End-to-end throughput is acknowledged bytes over the time from the first put to
//! the last object; an object's latency is from its oldest record's put to the object's file
//! being written (its modification time).

use super::ClientArgs;
use super::bench::Latencies;
use super::client::Client;
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Compression {
    Uncompressed,
    Gzip,
    Snappy,
}

#[derive(Debug, Args)]
pub struct BenchFirehoseArgs {
    /// The server's --s3-dir (its embedded object store), where the objects are checked.
    #[arg(long)]
    s3_dir: PathBuf,
    #[arg(long, value_enum, default_value = "uncompressed")]
    compression: Compression,
    /// Data bytes per record (at least 16: each carries its id and put time).
    #[arg(long, default_value_t = 1024)]
    record_size: usize,
    /// Records per PutRecordBatch call (at most 500, and 4 MiB).
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long to write, in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Open loop: this many PutRecordBatch calls per second in all (0 = as fast as the server
    /// answers). Latency at a rate below capacity is what the interval promise is about.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// The destination's SizeInMBs.
    #[arg(long, default_value_t = 64)]
    buffer_mb: u32,
    /// The destination's IntervalInSeconds.
    #[arg(long, default_value_t = 1)]
    interval: u32,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    client: ClientArgs,
}

fn op(name: &str) -> String {
    format!("Firehose_20150804.{name}")
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

pub async fn run(args: BenchFirehoseArgs) -> anyhow::Result<()> {
    if args.record_size < 16 {
        bail!("--record-size must be at least 16");
    }
    if args.batch == 0 || args.batch > 500 || args.batch * args.record_size > 4 * 1024 * 1024 {
        bail!("--batch must be 1..=500 records and at most 4 MiB");
    }
    let client = Arc::new(Client::new(&args.client)?);
    let tag = format!("{:08x}", rand::random::<u32>());
    let name = format!("sluice-bench-fh-{tag}");
    let bucket = format!("sluice-bench-{tag}");
    let compression = match args.compression {
        Compression::Uncompressed => "UNCOMPRESSED",
        Compression::Gzip => "GZIP",
        Compression::Snappy => "Snappy",
    };
    client
        .call(
            &op("CreateDeliveryStream"),
            &json!({
                "DeliveryStreamName": name,
                "ExtendedS3DestinationConfiguration": {
                    "RoleARN": "arn:aws:iam::000000000000:role/bench",
                    "BucketARN": format!("arn:aws:s3:::{bucket}"),
                    "BufferingHints": { "SizeInMBs": args.buffer_mb, "IntervalInSeconds": args.interval },
                    "CompressionFormat": compression,
                }
            }),
        )
        .await
        .context("creating the benchmark delivery stream")?;
    let result = measure(&args, &client, &name, &args.s3_dir.join(&bucket)).await;
    let _ = client
        .call(
            &op("DeleteDeliveryStream"),
            &json!({ "DeliveryStreamName": name }),
        )
        .await;
    let _ = std::fs::remove_dir_all(args.s3_dir.join(&bucket));
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let d = &report["delivery"];
        println!(
            "PutRecordBatch x{} ({} B records, {}, concurrency {}): {:.1} MB/s acknowledged, {} records; call latency p50 {:.2} ms, p99 {:.2} ms",
            args.batch,
            args.record_size,
            compression,
            args.concurrency,
            report["ingest_mb_s"].as_f64().unwrap_or(0.0),
            report["records"],
            report["put_latency"]["p50_ms"].as_f64().unwrap_or(0.0),
            report["put_latency"]["p99_ms"].as_f64().unwrap_or(0.0),
        );
        println!(
            "delivered: {} objects, {:.1} MB/s end to end ({:.1} MB stored); object latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (interval {} s); missing {}, duplicates {}, corrupt {}: {}",
            d["objects"],
            d["end_to_end_mb_s"].as_f64().unwrap_or(0.0),
            d["stored_mb"].as_f64().unwrap_or(0.0),
            d["latency"]["p50_ms"].as_f64().unwrap_or(0.0),
            d["latency"]["p99_ms"].as_f64().unwrap_or(0.0),
            d["latency"]["max_ms"].as_f64().unwrap_or(0.0),
            args.interval,
            d["missing"],
            d["duplicates"],
            d["corrupt"],
            if d["ok"] == json!(true) {
                "OK"
            } else {
                "FAILED"
            },
        );
    }
    if report["delivery"]["ok"] != json!(true) {
        bail!("delivery check failed");
    }
    Ok(())
}

async fn measure(
    args: &BenchFirehoseArgs,
    client: &Arc<Client>,
    name: &str,
    dir: &Path,
) -> anyhow::Result<Value> {
    let started = Instant::now();
    let first_put_us = now_us();
    let deadline = started + Duration::from_secs_f64(args.duration);
    let next_id = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut writers = Vec::new();
    for _ in 0..args.concurrency {
        let client = client.clone();
        let next_id = next_id.clone();
        let (batch, size, name) = (args.batch, args.record_size, name.to_owned());
        let period =
            (args.rate > 0.0).then(|| Duration::from_secs_f64(args.concurrency as f64 / args.rate));
        let offset = period.map(|p| p.mul_f64(writers.len() as f64 / args.concurrency as f64));
        writers.push(tokio::spawn(async move {
            let mut next_call = Instant::now() + offset.unwrap_or_default();
            let mut conn = client.connect().await?;
            let mut acked = Vec::new();
            let mut lat = Latencies::default();
            let filler = vec![b'x'; size - 16];
            while Instant::now() < deadline {
                if let Some(p) = period {
                    tokio::time::sleep_until(next_call.into()).await;
                    next_call += p;
                }
                let first = next_id.fetch_add(batch as u64, std::sync::atomic::Ordering::Relaxed);
                let put_us = now_us();
                let mut body = String::with_capacity(batch * (size * 4 / 3 + 16) + 64);
                body.push_str(&format!(
                    "{{\"DeliveryStreamName\":\"{name}\",\"Records\":["
                ));
                for i in 0..batch as u64 {
                    let mut rec = Vec::with_capacity(size);
                    rec.extend_from_slice(&(first + i).to_le_bytes());
                    rec.extend_from_slice(&put_us.to_le_bytes());
                    rec.extend_from_slice(&filler);
                    if i > 0 {
                        body.push(',');
                    }
                    body.push_str("{\"Data\":\"");
                    body.push_str(&STANDARD.encode(&rec));
                    body.push_str("\"}");
                }
                body.push_str("]}");
                let t = Instant::now();
                let out = conn
                    .call_raw(&op("PutRecordBatch"), body.into_bytes())
                    .await?;
                lat.0.push(t.elapsed().as_micros() as u64);
                let out: Value = serde_json::from_slice(&out)?;
                for (i, r) in out["RequestResponses"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    if r.get("RecordId").is_some() {
                        acked.push(first + i as u64);
                    }
                }
            }
            anyhow::Ok((acked, lat))
        }));
    }
    let mut acked: HashSet<u64> = HashSet::new();
    let mut lat = Latencies::default();
    for w in writers {
        let (a, l) = w.await??;
        acked.extend(a);
        lat.0.extend(l.0);
    }
    let write_secs = started.elapsed().as_secs_f64();
    let acked_bytes = acked.len() * args.record_size;

    // Watch the bucket until every acknowledged byte is there (or a minute of no progress).
    let mut seen_objects: HashMap<PathBuf, u64> = HashMap::new();
    let mut counts: HashMap<u64, u32> = HashMap::new();
    let (mut corrupt, mut stored, mut delivered_bytes) = (0usize, 0u64, 0usize);
    let mut latencies = Latencies::default();
    let mut last_object_us = first_put_us;
    let mut last_progress = Instant::now();
    while delivered_bytes < acked_bytes && last_progress.elapsed() < Duration::from_secs(60) {
        let mut found = Vec::new();
        collect_files(dir, &mut found);
        let mut progressed = false;
        for path in found {
            if seen_objects.contains_key(&path) {
                continue;
            }
            // When the object was written (its file's modification time, set before the rename
            // that makes it appear), so the watch may start after the writers are done.
            let appeared_us = std::fs::metadata(&path)?
                .modified()?
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_micros() as u64)
                .unwrap_or(0);
            let raw = std::fs::read(&path)?;
            stored += raw.len() as u64;
            let data = decompress(args.compression, &raw)?;
            let mut oldest_put = u64::MAX;
            for rec in data.chunks(args.record_size) {
                if rec.len() != args.record_size || rec[16..].iter().any(|&b| b != b'x') {
                    corrupt += 1;
                    continue;
                }
                let id = u64::from_le_bytes(rec[..8].try_into().unwrap_or_default());
                let put = u64::from_le_bytes(rec[8..16].try_into().unwrap_or_default());
                oldest_put = oldest_put.min(put);
                *counts.entry(id).or_default() += 1;
            }
            delivered_bytes += data.len();
            if oldest_put != u64::MAX {
                latencies.0.push(appeared_us.saturating_sub(oldest_put));
            }
            last_object_us = last_object_us.max(appeared_us);
            seen_objects.insert(path, appeared_us);
            progressed = true;
        }
        if progressed {
            last_progress = Instant::now();
        } else {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let missing = acked.iter().filter(|id| !counts.contains_key(id)).count();
    let duplicates: usize = counts.values().map(|&c| c.saturating_sub(1) as usize).sum();
    let e2e_secs = (last_object_us.saturating_sub(first_put_us)) as f64 / 1e6;
    Ok(json!({
        "records": acked.len(),
        "ingest_mb_s": acked_bytes as f64 / write_secs / 1e6,
        "put_latency": lat.summary(),
        "delivery": {
            "objects": seen_objects.len(),
            "end_to_end_mb_s": if e2e_secs > 0.0 { acked_bytes as f64 / e2e_secs / 1e6 } else { 0.0 },
            "end_to_end_s": e2e_secs,
            "stored_mb": stored as f64 / 1e6,
            "latency": latencies.summary(),
            "missing": missing,
            "duplicates": duplicates,
            "corrupt": corrupt,
            "ok": missing == 0 && duplicates == 0 && corrupt == 0,
        }
    }))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn decompress(c: Compression, raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len() * 2);
    match c {
        Compression::Uncompressed => out.extend_from_slice(raw),
        Compression::Gzip => {
            flate2::read::GzDecoder::new(raw).read_to_end(&mut out)?;
        }
        Compression::Snappy => {
            snap::read::FrameDecoder::new(raw).read_to_end(&mut out)?;
        }
    }
    Ok(out)
}
