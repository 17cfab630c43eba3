//! `sluice tail STREAM`: follow every shard from trim horizon, latest or a timestamp.

use super::ClientArgs;
use super::client::{Client, ServiceError};
use super::event_stream::{Event, EventReader};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

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
    /// Read with enhanced fan-out (SubscribeToShard, records pushed as they arrive) as this
    /// consumer, registering it if need be, instead of polling GetRecords.
    #[arg(long)]
    consumer: Option<String>,
    #[command(flatten)]
    client: ClientArgs,
}

pub async fn run(args: TailArgs) -> anyhow::Result<()> {
    if let Some(consumer) = args.consumer.clone() {
        return fan_out(args, &consumer).await;
    }
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

/// The starting position of `--from` / `--since`, as SubscribeToShard takes it.
fn starting_position(args: &TailArgs) -> anyhow::Result<Value> {
    Ok(match &args.since {
        Some(s) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)?;
            json!({ "Type": "AT_TIMESTAMP", "Timestamp": t.unix_timestamp_nanos() as f64 / 1e9 })
        }
        None => json!({ "Type": match args.from {
            From::TrimHorizon => "TRIM_HORIZON",
            From::Latest => "LATEST",
        }}),
    })
}

/// `tail --consumer`: one subscription per shard, renewed with its continuation when the server
/// ends it, and followed into the child shards at a shard's end.
async fn fan_out(args: TailArgs, consumer: &str) -> anyhow::Result<()> {
    let client = Arc::new(Client::new(&args.client)?);
    let summary = client
        .call(
            "DescribeStreamSummary",
            &json!({ "StreamName": args.stream }),
        )
        .await?;
    let stream_arn = summary["StreamDescriptionSummary"]["StreamARN"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let registered = client
        .call(
            "RegisterStreamConsumer",
            &json!({ "StreamARN": stream_arn, "ConsumerName": consumer }),
        )
        .await;
    let consumer_arn = match registered {
        Ok(v) => v["Consumer"]["ConsumerARN"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        Err(e)
            if e.downcast_ref::<ServiceError>()
                .is_some_and(|s| s.kind == "ResourceInUseException") =>
        {
            let d = client
                .call(
                    "DescribeStreamConsumer",
                    &json!({ "StreamARN": stream_arn, "ConsumerName": consumer }),
                )
                .await?;
            d["ConsumerDescription"]["ConsumerARN"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
        Err(e) => return Err(e),
    };
    for _ in 0..600 {
        let d = client
            .call(
                "DescribeStreamConsumer",
                &json!({ "ConsumerARN": consumer_arn }),
            )
            .await?;
        if d["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let shards = client
        .call("ListShards", &json!({ "StreamName": args.stream }))
        .await?;
    let position = starting_position(&args)?;
    let (tx, mut rx) = mpsc::channel::<(String, Value)>(1024);
    let followed: Arc<Mutex<HashSet<String>>> = Arc::default();
    for shard in shards["Shards"].as_array().into_iter().flatten() {
        let id = shard["ShardId"].as_str().unwrap_or_default().to_owned();
        follow(
            client.clone(),
            consumer_arn.clone(),
            id,
            position.clone(),
            tx.clone(),
            followed.clone(),
        );
    }
    drop(tx);
    let stdout = std::io::stdout();
    let mut seen = 0u64;
    while let Some((shard, r)) = rx.recv().await {
        print_record(&mut stdout.lock(), &shard, &r, args.output)?;
        seen += 1;
        if args.max.is_some_and(|m| seen >= m) {
            break;
        }
    }
    Ok(())
}

/// Subscribes `consumer` to `shard` from `position` until the shard's end; records go to `tx`.
fn follow(
    client: Arc<Client>,
    consumer: String,
    shard: String,
    mut position: Value,
    tx: mpsc::Sender<(String, Value)>,
    followed: Arc<Mutex<HashSet<String>>>,
) {
    if !followed
        .lock()
        .map(|mut f| f.insert(shard.clone()))
        .unwrap_or(false)
    {
        return;
    }
    tokio::spawn(async move {
        let result: anyhow::Result<()> = async {
            loop {
                let mut conn = client.connect().await?;
                let body = serde_json::to_vec(&json!({
                    "ConsumerARN": consumer, "ShardId": shard, "StartingPosition": position,
                }))?;
                let answer = match conn.call_streaming("SubscribeToShard", body).await {
                    Ok(a) => a,
                    // The previous subscription of this consumer to the shard is still live.
                    Err(e)
                        if e.downcast_ref::<ServiceError>()
                            .is_some_and(|s| s.kind == "ResourceInUseException") =>
                    {
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let mut events = EventReader::new(answer);
                while let Some(event) = events.next().await? {
                    let Event::SubscribeToShard(m) = event else {
                        continue;
                    };
                    let e: Value = serde_json::from_slice(m.payload())?;
                    for r in e["Records"].as_array().into_iter().flatten() {
                        if tx.send((shard.clone(), r.clone())).await.is_err() {
                            return Ok(());
                        }
                    }
                    if let Some(seq) = e["ContinuationSequenceNumber"].as_str() {
                        position =
                            json!({ "Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": seq });
                    }
                    if let Some(children) = e["ChildShards"].as_array() {
                        for c in children {
                            let id = c["ShardId"].as_str().unwrap_or_default().to_owned();
                            let start = json!({ "Type": "TRIM_HORIZON" });
                            follow(
                                client.clone(),
                                consumer.clone(),
                                id,
                                start,
                                tx.clone(),
                                followed.clone(),
                            );
                        }
                        return Ok(());
                    }
                }
            }
        }
        .await;
        if let Err(e) = result {
            eprintln!("sluice tail: {shard}: {e:#}");
        }
    });
}
