//! Command-line interface.

mod bench;
mod bench_fanout;
mod bench_firehose;
mod client;
mod event_stream;
mod firehose;
mod put;
mod serve;
mod stream;
mod tail;
mod video;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sluice",
    version,
    about = "A self-hosted, AWS-wire-compatible Kinesis in one binary"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<serve::ServeArgs>),
    /// Manage data streams.
    #[command(subcommand)]
    Stream(stream::StreamCommand),
    /// Put records: one from arguments, or one per line from stdin or a file.
    Put(put::PutArgs),
    /// Manage Firehose delivery streams and put records into them.
    #[command(subcommand)]
    Firehose(firehose::FirehoseCommand),
    /// Manage video streams, stream Matroska into them, read them back, play them over HLS.
    #[command(subcommand)]
    Video(video::VideoCommand),
    /// Follow every shard of a stream and print its records.
    Tail(tail::TailArgs),
    /// Load generator: ingest, read back, check integrity, report throughput and latency.
    Bench(bench::BenchArgs),
    /// Firehose load generator: PutRecordBatch into a delivery stream, then check and time every
    /// delivered object.
    BenchFirehose(bench_firehose::BenchFirehoseArgs),
}

/// Where a client command sends its requests.
#[derive(Debug, Args, Clone)]
pub struct ClientArgs {
    /// Endpoint URL of the server (or of AWS).
    #[arg(
        long,
        env = "SLUICE_ENDPOINT",
        default_value = "http://127.0.0.1:4567",
        global = true
    )]
    endpoint: String,
    /// Region used for request signing.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1", global = true)]
    region: String,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Stream(cmd) => stream::run(cmd).await,
        Command::Put(args) => put::run(args).await,
        Command::Firehose(cmd) => firehose::run(cmd).await,
        Command::Video(cmd) => video::run(cmd).await,
        Command::Tail(args) => tail::run(args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::BenchFirehose(args) => bench_firehose::run(args).await,
    }
}
