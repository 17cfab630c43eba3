//! The `sluice` binary: `sluice serve` runs the server; the other commands are clients that speak
//! the AWS wire protocol (so they work against real AWS too).

mod cli;

use clap::Parser;

/// mimalloc: the server allocates and frees many small buffers per request on every thread,
/// which glibc's allocator serves measurably slower (BENCHMARKS.md, "Where the time goes").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(cli::run(args))
}
