//! `sluice firehose create|list|describe|delete|put`: delivery streams from the command line.

use super::ClientArgs;
use super::client::Client;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use std::io::BufRead;

const ROLE_ARN: &str = "arn:aws:iam::000000000000:role/sluice-firehose";
const BATCH_RECORDS: usize = 500;
const BATCH_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Subcommand)]
pub enum FirehoseCommand {
    /// Create a delivery stream (to an S3 bucket, an HTTP endpoint or an OpenSearch index).
    Create(Box<CreateArgs>),
    /// List delivery streams.
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Describe a delivery stream (its full description, as JSON).
    Describe {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a delivery stream.
    Delete {
        name: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Put records: the given ones, or one per line from stdin or a file.
    Put(PutArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Compression {
    Uncompressed,
    Gzip,
    Zip,
    Snappy,
    HadoopSnappy,
}

impl Compression {
    fn aws(self) -> &'static str {
        match self {
            Compression::Uncompressed => "UNCOMPRESSED",
            Compression::Gzip => "GZIP",
            Compression::Zip => "ZIP",
            Compression::Snappy => "Snappy",
            Compression::HadoopSnappy => "HADOOP_SNAPPY",
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    name: String,
    /// The S3 bucket objects go to (the destination, or the backup of the others).
    #[arg(long)]
    bucket: String,
    /// Object key prefix (may hold `!{timestamp:...}` expressions) [default: yyyy/MM/dd/HH/].
    #[arg(long)]
    prefix: Option<String>,
    #[arg(long, value_enum, default_value = "uncompressed")]
    compression: Compression,
    /// Buffer size hint, MiB.
    #[arg(long, default_value_t = 5)]
    buffer_mb: u32,
    /// Buffer interval hint, seconds.
    #[arg(long, default_value_t = 300)]
    interval: u32,
    /// Append a newline to every record (the AppendDelimiterToRecord processor).
    #[arg(long)]
    newline: bool,
    /// Deliver to this HTTP endpoint instead (the bucket keeps failed records).
    #[arg(long, conflicts_with = "opensearch")]
    http_endpoint: Option<String>,
    /// Deliver to this OpenSearch cluster URL instead (the bucket keeps failed documents).
    #[arg(long, requires = "index")]
    opensearch: Option<String>,
    /// The OpenSearch index name.
    #[arg(long)]
    index: Option<String>,
    /// Read a data stream (KinesisStreamAsSource) instead of taking puts.
    #[arg(long)]
    source_stream: Option<String>,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Args)]
pub struct PutArgs {
    name: String,
    /// Records to put; without any, one record per line of `--file` or stdin.
    data: Vec<String>,
    /// Read lines from this file instead of stdin.
    #[arg(long)]
    file: Option<std::path::PathBuf>,
    /// Drop the line break from each line read (it is kept by default, so records stay lines).
    #[arg(long)]
    strip_newline: bool,
    #[command(flatten)]
    client: ClientArgs,
}

fn op(name: &str) -> String {
    format!("Firehose_20150804.{name}")
}

pub async fn run(cmd: FirehoseCommand) -> anyhow::Result<()> {
    match cmd {
        FirehoseCommand::Create(a) => create(*a).await,
        FirehoseCommand::List { client } => {
            let c = Client::new(&client)?;
            let mut start: Option<String> = None;
            loop {
                let mut body = json!({ "Limit": 1000 });
                if let Some(s) = &start {
                    body["ExclusiveStartDeliveryStreamName"] = json!(s);
                }
                let out = c.call(&op("ListDeliveryStreams"), &body).await?;
                let names: Vec<&str> = out["DeliveryStreamNames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str())
                    .collect();
                for n in &names {
                    println!("{n}");
                }
                if out["HasMoreDeliveryStreams"] != true || names.is_empty() {
                    return Ok(());
                }
                start = names.last().map(|s| s.to_string());
            }
        }
        FirehoseCommand::Describe { name, client } => {
            let c = Client::new(&client)?;
            let out = c
                .call(
                    &op("DescribeDeliveryStream"),
                    &json!({ "DeliveryStreamName": name }),
                )
                .await?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        FirehoseCommand::Delete { name, client } => {
            let c = Client::new(&client)?;
            c.call(
                &op("DeleteDeliveryStream"),
                &json!({ "DeliveryStreamName": name }),
            )
            .await?;
            println!("deleted {name}");
            Ok(())
        }
        FirehoseCommand::Put(a) => put(a).await,
    }
}

async fn create(a: CreateArgs) -> anyhow::Result<()> {
    let c = Client::new(&a.client)?;
    let processing = a
        .newline
        .then(|| json!({ "Enabled": true, "Processors": [{ "Type": "AppendDelimiterToRecord" }] }));
    let hints = json!({ "SizeInMBs": a.buffer_mb, "IntervalInSeconds": a.interval });
    let bucket_arn = format!("arn:aws:s3:::{}", a.bucket);
    let mut s3 = json!({
        "RoleARN": ROLE_ARN,
        "BucketARN": bucket_arn,
        "BufferingHints": hints,
        "CompressionFormat": a.compression.aws(),
    });
    if let Some(p) = &a.prefix {
        s3["Prefix"] = json!(p);
    }
    let mut body = json!({ "DeliveryStreamName": a.name });
    if let (Some(url), Some(index)) = (&a.opensearch, &a.index) {
        let mut d = json!({
            "RoleARN": ROLE_ARN,
            "ClusterEndpoint": url,
            "IndexName": index,
            "BufferingHints": hints,
            "S3Configuration": s3,
        });
        if let Some(p) = processing {
            d["ProcessingConfiguration"] = p;
        }
        body["AmazonopensearchserviceDestinationConfiguration"] = d;
    } else if let Some(url) = &a.http_endpoint {
        let mut d = json!({
            "EndpointConfiguration": { "Url": url },
            "BufferingHints": hints,
            "RoleARN": ROLE_ARN,
            "S3Configuration": s3,
        });
        if let Some(p) = processing {
            d["ProcessingConfiguration"] = p;
        }
        body["HttpEndpointDestinationConfiguration"] = d;
    } else {
        if let Some(p) = processing {
            s3["ProcessingConfiguration"] = p;
        }
        body["ExtendedS3DestinationConfiguration"] = s3;
    }
    if let Some(stream) = &a.source_stream {
        let summary = c
            .call("DescribeStreamSummary", &json!({ "StreamName": stream }))
            .await?;
        body["DeliveryStreamType"] = json!("KinesisStreamAsSource");
        body["KinesisStreamSourceConfiguration"] = json!({
            "KinesisStreamARN": summary["StreamDescriptionSummary"]["StreamARN"],
            "RoleARN": ROLE_ARN,
        });
    }
    let out = c.call(&op("CreateDeliveryStream"), &body).await?;
    println!(
        "{}",
        out["DeliveryStreamARN"].as_str().unwrap_or(a.name.as_str())
    );
    Ok(())
}

async fn put(a: PutArgs) -> anyhow::Result<()> {
    let c = Client::new(&a.client)?;
    if !a.data.is_empty() {
        let mut batch = Batch::default();
        for d in &a.data {
            batch.push(&c, &a.name, d.as_bytes().to_vec()).await?;
        }
        return batch.finish(&c, &a.name).await;
    }
    let reader: Box<dyn BufRead + Send> = match &a.file {
        Some(path) => Box::new(std::io::BufReader::new(std::fs::File::open(path)?)),
        None => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    let mut batch = Batch::default();
    for line in reader.split(b'\n') {
        let mut line = line?;
        if !a.strip_newline {
            line.push(b'\n');
        }
        batch.push(&c, &a.name, line).await?;
    }
    batch.finish(&c, &a.name).await
}

/// Records gathered into PutRecordBatch calls of at most 500 records / 4 MiB; failed records
/// are sent again until none fails.
#[derive(Default)]
struct Batch {
    records: Vec<Vec<u8>>,
    bytes: usize,
    sent: usize,
}

impl Batch {
    async fn push(&mut self, c: &Client, name: &str, data: Vec<u8>) -> anyhow::Result<()> {
        if self.records.len() == BATCH_RECORDS || self.bytes + data.len() > BATCH_BYTES {
            self.flush(c, name).await?;
        }
        self.bytes += data.len();
        self.records.push(data);
        Ok(())
    }

    async fn flush(&mut self, c: &Client, name: &str) -> anyhow::Result<()> {
        let mut pending = std::mem::take(&mut self.records);
        self.bytes = 0;
        for attempt in 0..10 {
            if pending.is_empty() {
                return Ok(());
            }
            let body = json!({
                "DeliveryStreamName": name,
                "Records": pending.iter().map(|d| json!({ "Data": STANDARD.encode(d) })).collect::<Vec<Value>>(),
            });
            let out = c.call(&op("PutRecordBatch"), &body).await?;
            let results = out["RequestResponses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut again = Vec::new();
            for (d, r) in pending.into_iter().zip(results.iter()) {
                if r.get("ErrorCode").is_some() {
                    again.push(d);
                } else {
                    self.sent += 1;
                }
            }
            pending = again;
            if !pending.is_empty() {
                tokio::time::sleep(std::time::Duration::from_millis(100 << attempt.min(5))).await;
            }
        }
        anyhow::ensure!(
            pending.is_empty(),
            "{} records could not be put",
            pending.len()
        );
        Ok(())
    }

    async fn finish(mut self, c: &Client, name: &str) -> anyhow::Result<()> {
        self.flush(c, name).await?;
        eprintln!("put {} records", self.sent);
        Ok(())
    }
}
