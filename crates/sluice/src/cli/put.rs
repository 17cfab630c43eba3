//! `sluice put STREAM [DATA]`: one record from the arguments, or one record per line from stdin or
//! a file, batched into PutRecords of up to 500 records, with a progress bar and live rate.

use super::ClientArgs;
use super::client::Client;
use anyhow::bail;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct PutArgs {
    stream: String,
    /// The record's data; without it, records are read one per line.
    data: Option<String>,
    /// Partition key; by default each record's line number.
    #[arg(long, short = 'k')]
    partition_key: Option<String>,
    /// Read records from this file instead of stdin.
    #[arg(long, short = 'f')]
    file: Option<PathBuf>,
    #[command(flatten)]
    client: ClientArgs,
}

const BATCH_RECORDS: usize = 500;
const BATCH_BYTES: usize = 4 * 1024 * 1024;

pub async fn run(args: PutArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.client)?;
    if let Some(data) = &args.data {
        let out = client
            .call(
                "PutRecord",
                &json!({
                    "StreamName": args.stream,
                    "PartitionKey": args.partition_key.as_deref().unwrap_or("0"),
                    "Data": STANDARD.encode(data),
                }),
            )
            .await?;
        println!(
            "{}\t{}",
            out["ShardId"].as_str().unwrap_or(""),
            out["SequenceNumber"].as_str().unwrap_or("")
        );
        return Ok(());
    }
    let reader: Box<dyn BufRead> = match &args.file {
        Some(p) => Box::new(std::io::BufReader::new(std::fs::File::open(p)?)),
        None => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {pos} records {per_sec} [{elapsed}]",
    )?);
    let mut batch: Vec<Value> = Vec::new();
    let mut bytes = 0;
    let mut total = 0u64;
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        let key = args.partition_key.clone().unwrap_or_else(|| n.to_string());
        bytes += line.len() + key.len();
        batch.push(json!({ "PartitionKey": key, "Data": STANDARD.encode(&line) }));
        if batch.len() == BATCH_RECORDS || bytes >= BATCH_BYTES {
            total += send(&client, &args.stream, std::mem::take(&mut batch)).await?;
            bytes = 0;
            bar.set_position(total);
        }
    }
    if !batch.is_empty() {
        total += send(&client, &args.stream, batch).await?;
    }
    bar.finish_and_clear();
    eprintln!("put {total} records");
    Ok(())
}

/// Sends one batch, retrying failed records a few times.
async fn send(client: &Client, stream: &str, mut records: Vec<Value>) -> anyhow::Result<u64> {
    let count = records.len() as u64;
    for _attempt in 0..5 {
        let out = client
            .call(
                "PutRecords",
                &json!({ "StreamName": stream, "Records": records }),
            )
            .await?;
        if out["FailedRecordCount"].as_u64().unwrap_or(0) == 0 {
            return Ok(count);
        }
        let results = out["Records"].as_array().cloned().unwrap_or_default();
        records = records
            .into_iter()
            .zip(results)
            .filter(|(_, r)| r.get("ErrorCode").is_some())
            .map(|(rec, _)| rec)
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    bail!("{} records still failing after retries", records.len())
}
