//! `sluice bench-firehose`: delivery throughput and latency. It creates a delivery stream whose
//! S3 destination is a bucket of the server's embedded store (or of an S3-compatible server),
//! drives PutRecordBatch for a while, then watches the bucket (the server's `--s3-dir`, or the S3
//! server's listing) until every acknowledged record has been delivered, decompressing (or reading
//! the Parquet of) each object and checking that every record is there exactly once, intact.
//! End-to-end throughput is acknowledged bytes over the time from the first put to the last
//! object; an object's latency is from its oldest record's put to the object's write (its file's
//! modification time, or when a listing of the S3 server first showed it).

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

/// What the records are and how they are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Binary records (id, put time, filler), delivered as they are.
    Raw,
    /// JSON records `{"id":…,"t":…,"pad":"…"}` converted to Parquet; the server needs
    /// `--glue-table sluice_bench.records=FILE` with columns id bigint, t bigint, pad string.
    Parquet,
}

#[derive(Debug, Args)]
pub struct BenchFirehoseArgs {
    /// The server's --s3-dir (its embedded object store), where the objects are checked.
    #[arg(long, required_unless_present = "s3_endpoint")]
    s3_dir: Option<PathBuf>,
    /// Check the objects on this S3-compatible server instead (the one the server's
    /// --s3-endpoint names); `--bucket` must exist there.
    #[arg(long, requires = "bucket")]
    s3_endpoint: Option<String>,
    /// The bucket to deliver to (default: a new one in the embedded store).
    #[arg(long)]
    bucket: Option<String>,
    #[arg(long, value_enum, default_value = "raw")]
    format: Format,
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
    if args.record_size < 16 || (args.format == Format::Parquet && args.record_size < 80) {
        bail!("--record-size must be at least 16 (80 for Parquet)");
    }
    if args.format == Format::Parquet && args.compression != Compression::Uncompressed {
        bail!("Parquet objects carry their own (Snappy) compression; leave --compression out");
    }
    if args.batch == 0 || args.batch > 500 || args.batch * args.record_size > 4 * 1024 * 1024 {
        bail!("--batch must be 1..=500 records and at most 4 MiB");
    }
    let client = Arc::new(Client::new(&args.client)?);
    let tag = format!("{:08x}", rand::random::<u32>());
    let name = format!("sluice-bench-fh-{tag}");
    let bucket = args
        .bucket
        .clone()
        .unwrap_or_else(|| format!("sluice-bench-{tag}"));
    let prefix = format!("bench-{tag}/");
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
                    "Prefix": prefix,
                    "ErrorOutputPrefix": format!("errors-{tag}/"),
                    "BufferingHints": { "SizeInMBs": args.buffer_mb, "IntervalInSeconds": args.interval },
                    "CompressionFormat": compression,
                    "DataFormatConversionConfiguration": (args.format == Format::Parquet).then(|| json!({
                        "Enabled": true,
                        "InputFormatConfiguration": { "Deserializer": { "OpenXJsonSerDe": {} } },
                        "OutputFormatConfiguration": { "Serializer": { "ParquetSerDe": {} } },
                        "SchemaConfiguration": {
                            "DatabaseName": "sluice_bench", "TableName": "records",
                            "RoleARN": "arn:aws:iam::000000000000:role/bench",
                        },
                    })),
                }
            }),
        )
        .await
        .context("creating the benchmark delivery stream")?;
    let mut objects = match (&args.s3_endpoint, &args.s3_dir) {
        (Some(url), _) => Objects::s3(url, &bucket, &args.client.region, &prefix)?,
        (None, Some(dir)) => Objects::Dir(dir.join(&bucket).join(&prefix)),
        (None, None) => bail!("give --s3-dir or --s3-endpoint"),
    };
    let result = measure(&args, &client, &name, &mut objects).await;
    let _ = client
        .call(
            &op("DeleteDeliveryStream"),
            &json!({ "DeliveryStreamName": name }),
        )
        .await;
    if let (Some(dir), None) = (&args.s3_dir, &args.bucket) {
        let _ = std::fs::remove_dir_all(dir.join(&bucket));
    }
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let d = &report["delivery"];
        println!(
            "PutRecordBatch x{} ({} B records, {}, concurrency {}): {:.1} MB/s acknowledged, {} records; call latency p50 {:.2} ms, p99 {:.2} ms",
            args.batch,
            args.record_size,
            if args.format == Format::Parquet {
                "Parquet"
            } else {
                compression
            },
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
    objects: &mut Objects,
) -> anyhow::Result<Value> {
    let started = Instant::now();
    let first_put_us = now_us();
    let deadline = started + Duration::from_secs_f64(args.duration);
    let next_id = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut writers = Vec::new();
    for _ in 0..args.concurrency {
        let client = client.clone();
        let next_id = next_id.clone();
        let (batch, size, name, format) =
            (args.batch, args.record_size, name.to_owned(), args.format);
        let period =
            (args.rate > 0.0).then(|| Duration::from_secs_f64(args.concurrency as f64 / args.rate));
        let offset = period.map(|p| p.mul_f64(writers.len() as f64 / args.concurrency as f64));
        writers.push(tokio::spawn(async move {
            let mut next_call = Instant::now() + offset.unwrap_or_default();
            let mut conn = client.connect().await?;
            let mut acked = Vec::new();
            let mut lat = Latencies::default();
            let filler = vec![b'x'; size - 16];
            let mut rec = Vec::with_capacity(size);
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
                    rec.clear();
                    match format {
                        Format::Raw => {
                            rec.extend_from_slice(&(first + i).to_le_bytes());
                            rec.extend_from_slice(&put_us.to_le_bytes());
                            rec.extend_from_slice(&filler);
                        }
                        Format::Parquet => json_record(&mut rec, first + i, put_us, size),
                    }
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
    // An S3 listing's LastModified has whole seconds on some servers, so there an object's
    // write time is when a listing first showed it, watched while the writers run.
    while !writers.iter().all(|w| w.is_finished()) {
        objects.observe().await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
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

    // Watch the bucket until every acknowledged record is there (or a minute of no progress).
    let mut seen_objects: HashSet<String> = HashSet::new();
    let mut counts: HashMap<u64, u32> = HashMap::new();
    let (mut corrupt, mut stored, mut delivered) = (0usize, 0u64, 0usize);
    let mut latencies = Latencies::default();
    let mut last_object_us = first_put_us;
    let mut last_progress = Instant::now();
    while delivered < acked.len() && last_progress.elapsed() < Duration::from_secs(60) {
        let found = objects.list_new(&seen_objects).await?;
        let progressed = !found.is_empty();
        for (key, appeared_us) in found {
            let raw = objects.get(&key).await?;
            stored += raw.len() as u64;
            let records = match args.format {
                Format::Raw => raw_records(&decompress(args.compression, &raw)?, args.record_size),
                Format::Parquet => parquet_records(raw, args.record_size)?,
            };
            let mut oldest_put = u64::MAX;
            for r in records {
                match r {
                    Some((id, put)) => {
                        oldest_put = oldest_put.min(put);
                        *counts.entry(id).or_default() += 1;
                        delivered += 1;
                    }
                    None => corrupt += 1,
                }
            }
            if oldest_put != u64::MAX {
                latencies.0.push(appeared_us.saturating_sub(oldest_put));
            }
            last_object_us = last_object_us.max(appeared_us);
            seen_objects.insert(key);
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

/// A JSON record of exactly `size` bytes: `{"id":ID,"t":PUT_US,"pad":"xx…"}`.
fn json_record(out: &mut Vec<u8>, id: u64, put_us: u64, size: usize) {
    use std::io::Write;
    let _ = write!(out, "{{\"id\":{id},\"t\":{put_us},\"pad\":\"");
    let pad = size.saturating_sub(out.len() + 2);
    out.resize(out.len() + pad, b'x');
    out.extend_from_slice(b"\"}");
}

/// The (id, put time) of each raw record, `None` for one that is not intact.
fn raw_records(data: &[u8], size: usize) -> Vec<Option<(u64, u64)>> {
    data.chunks(size)
        .map(|rec| {
            if rec.len() != size || rec[16..].iter().any(|&b| b != b'x') {
                return None;
            }
            let id = u64::from_le_bytes(rec[..8].try_into().ok()?);
            let put = u64::from_le_bytes(rec[8..16].try_into().ok()?);
            Some((id, put))
        })
        .collect()
}

/// The (id, put time) of each row of a Parquet object, `None` for a row whose pad is not the
/// one its JSON record carried.
fn parquet_records(raw: bytes::Bytes, size: usize) -> anyhow::Result<Vec<Option<(u64, u64)>>> {
    use arrow_array::{Array, Int64Array, StringArray};
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(raw)?
        .with_batch_size(8192)
        .build()?;
    let mut out = Vec::new();
    let mut rec = Vec::with_capacity(size);
    for batch in reader {
        let batch = batch?;
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .with_context(|| format!("Parquet object without column {name}"))
        };
        let ids = column("id")?
            .as_any()
            .downcast_ref::<Int64Array>()
            .context("id is not bigint")?;
        let ts = column("t")?
            .as_any()
            .downcast_ref::<Int64Array>()
            .context("t is not bigint")?;
        let pads = column("pad")?
            .as_any()
            .downcast_ref::<StringArray>()
            .context("pad is not string")?;
        for i in 0..batch.num_rows() {
            if ids.is_null(i) || ts.is_null(i) || pads.is_null(i) {
                out.push(None);
                continue;
            }
            let (id, t) = (ids.value(i) as u64, ts.value(i) as u64);
            rec.clear();
            json_record(&mut rec, id, t, size);
            let pad_len = rec.len() - rec.iter().position(|&b| b == b'x').unwrap_or(rec.len()) - 2;
            let pad = pads.value(i);
            out.push((pad.len() == pad_len && pad.bytes().all(|b| b == b'x')).then_some((id, t)));
        }
    }
    Ok(out)
}

/// Where the delivered objects are read from.
enum Objects {
    /// A bucket directory of the embedded store (and the prefix under it).
    Dir(PathBuf),
    /// A bucket of an S3-compatible server, under a prefix.
    S3 {
        store: Arc<dyn object_store::ObjectStore>,
        prefix: object_store::path::Path,
        /// When a listing first showed each object (µs since the epoch).
        first_seen: HashMap<String, u64>,
    },
}

impl Objects {
    fn s3(url: &str, bucket: &str, region: &str, prefix: &str) -> anyhow::Result<Self> {
        // object_store's client uses rustls without a default provider; Sluice builds on ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(url.trim_end_matches('/'))
            .with_allow_http(url.starts_with("http://"))
            .with_virtual_hosted_style_request(false)
            .with_region(region)
            .with_access_key_id(
                std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "sluice".into()),
            )
            .with_secret_access_key(
                std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "sluice".into()),
            )
            .with_bucket_name(bucket)
            .build()?;
        Ok(Self::S3 {
            store: Arc::new(store),
            prefix: object_store::path::Path::from(prefix.trim_end_matches('/')),
            first_seen: HashMap::new(),
        })
    }

    /// Notes when objects first appear in the listing (S3 only; a file has its own mtime).
    async fn observe(&mut self) -> anyhow::Result<()> {
        if let Objects::S3 {
            store,
            prefix,
            first_seen,
        } = self
        {
            use futures_util::TryStreamExt;
            let listed: Vec<_> = store.list(Some(prefix)).try_collect().await?;
            let now = now_us();
            for o in listed {
                first_seen.entry(o.location.to_string()).or_insert(now);
            }
        }
        Ok(())
    }

    /// Objects not in `seen`, with when each was written (µs since the epoch).
    async fn list_new(&mut self, seen: &HashSet<String>) -> anyhow::Result<Vec<(String, u64)>> {
        self.observe().await?;
        let mut out = Vec::new();
        match self {
            Objects::Dir(dir) => {
                let mut found = Vec::new();
                collect_files(dir, &mut found);
                for path in found {
                    let key = path.to_string_lossy().into_owned();
                    if seen.contains(&key) {
                        continue;
                    }
                    // The file's modification time is set before the rename that makes it
                    // appear, so the watch may start after the writers are done.
                    let appeared_us = std::fs::metadata(&path)?
                        .modified()?
                        .duration_since(UNIX_EPOCH)
                        .map(|d| d.as_micros() as u64)
                        .unwrap_or(0);
                    out.push((key, appeared_us));
                }
            }
            Objects::S3 { first_seen, .. } => {
                for (key, at) in first_seen.iter() {
                    if !seen.contains(key) {
                        out.push((key.clone(), *at));
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    async fn get(&self, key: &str) -> anyhow::Result<bytes::Bytes> {
        Ok(match self {
            Objects::Dir(_) => bytes::Bytes::from(std::fs::read(key)?),
            Objects::S3 { store, .. } => {
                use object_store::ObjectStoreExt;
                store
                    .get(&object_store::path::Path::from(key))
                    .await?
                    .bytes()
                    .await?
            }
        })
    }
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
