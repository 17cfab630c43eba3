//! `sluice tail STREAM`: follow every shard from trim horizon, latest or a timestamp.

use super::ClientArgs;
use super::client::Client;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::io::Write;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum From {
    TrimHorizon,
    Latest,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    /// The record data, one record per line.
    Raw,
    /// One JSON object per record, with shard, sequence number, key, time and base64 data.
    Json,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    stream: String,
    #[arg(long, value_enum, default_value = "latest")]
    from: From,
    /// Start at this time instead (RFC 3339, e.g. 2026-01-01T00:00:00Z).
    #[arg(long)]
    since: Option<String>,
    #[arg(long, value_enum, default_value = "raw")]
    output: Output,
    /// Stop after this many records.
    #[arg(long)]
    max: Option<u64>,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(args: TailArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.client)?;
    let shards = client
        .call("ListShards", &json!({ "StreamName": args.stream }))
        .await?;
    let since = match &args.since {
        Some(s) => Some(time::OffsetDateTime::parse(
            s,
            &time::format_description::well_known::Rfc3339,
        )?),
        None => None,
    };
    let mut iterators: Vec<(String, Option<String>)> = Vec::new();
    for shard in shards["Shards"].as_array().into_iter().flatten() {
        let id = shard["ShardId"].as_str().unwrap_or_default().to_owned();
        let mut req = json!({ "StreamName": args.stream, "ShardId": id });
        match since {
            Some(t) => {
                req["ShardIteratorType"] = json!("AT_TIMESTAMP");
                req["Timestamp"] = json!(t.unix_timestamp_nanos() as f64 / 1e9);
            }
            None => {
                req["ShardIteratorType"] = json!(match args.from {
                    From::TrimHorizon => "TRIM_HORIZON",
                    From::Latest => "LATEST",
                });
            }
        }
        let it = client.call("GetShardIterator", &req).await?;
        iterators.push((id, it["ShardIterator"].as_str().map(str::to_owned)));
    }
    let mut seen = 0u64;
    let stdout = std::io::stdout();
    loop {
        let mut any = false;
        for (shard, iterator) in iterators.iter_mut() {
            let Some(it) = iterator.clone() else { continue };
            let out = client
                .call("GetRecords", &json!({ "ShardIterator": it }))
                .await?;
            *iterator = out["NextShardIterator"].as_str().map(str::to_owned);
            let mut lock = stdout.lock();
            for r in out["Records"].as_array().into_iter().flatten() {
                any = true;
                print_record(&mut lock, shard, r, args.output)?;
                seen += 1;
                if args.max.is_some_and(|m| seen >= m) {
                    return Ok(());
                }
            }
        }
        if iterators.iter().all(|(_, i)| i.is_none()) {
            return Ok(());
        }
        if !any {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

fn print_record(
    out: &mut impl Write,
    shard: &str,
    r: &Value,
    format: Output,
) -> anyhow::Result<()> {
    let data = STANDARD.decode(r["Data"].as_str().unwrap_or_default())?;
    match format {
        Output::Raw => {
            out.write_all(&data)?;
            out.write_all(b"\n")?;
        }
        Output::Json => {
            let line = json!({
                "ShardId": shard,
                "SequenceNumber": r["SequenceNumber"],
                "PartitionKey": r["PartitionKey"],
                "ApproximateArrivalTimestamp": r["ApproximateArrivalTimestamp"],
                "Data": r["Data"],
            });
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}
