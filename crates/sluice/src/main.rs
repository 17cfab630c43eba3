//! The `sluice` binary: `sluice serve` runs the server; the other commands are clients that speak
//! the AWS wire protocol (so they work against real AWS too).

mod cli;

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let args = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli::run(args))
}
