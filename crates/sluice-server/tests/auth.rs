//! `--auth sigv4` in process, with the Rust SDK and an injected clock for the skew check.

mod common;

use aws_sdk_kinesis::error::ProvideErrorMetadata;
use common::Server;
use sluice_server::auth::{AuthMode, Credential};
use sluice_server::{ServerConfig, StorageKind};
use sluice_types::{Clock, ManualClock};
use std::sync::Arc;

fn config(dir: &std::path::Path) -> ServerConfig {
    ServerConfig {
        data_dir: dir.to_path_buf(),
        storage: StorageKind::Disk,
        auth: AuthMode::Sigv4,
        credentials: vec![
            "AKIDRUST:rust-secret"
                .parse::<Credential>()
                .expect("credential"),
        ],
        ..ServerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_sdk_signs_and_wrong_keys_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with(config(dir.path()), Arc::new(sluice_types::SystemClock)).await;
    server
        .client_as("AKIDRUST", "rust-secret")
        .list_streams()
        .send()
        .await
        .expect("a signed call passes");
    let err = server
        .client_as("AKIDRUST", "other")
        .list_streams()
        .send()
        .await
        .expect_err("wrong secret");
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    let err = server
        .client_as("AKIDELSE", "rust-secret")
        .list_streams()
        .send()
        .await
        .expect_err("unknown key");
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_clock_six_minutes_off_refuses_the_signature() {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = sluice_types::SystemClock.now_millis();
    let clock = ManualClock::new(now + 6 * 60 * 1000);
    let server = Server::start_with(config(dir.path()), Arc::new(clock.clone())).await;
    let client = server.client_as("AKIDRUST", "rust-secret");
    let err = client.list_streams().send().await.expect_err("skewed");
    assert_eq!(err.code(), Some("InvalidSignatureException"));
    assert!(
        err.message()
            .unwrap_or("")
            .starts_with("Signature expired:"),
        "{err:?}"
    );
    // Within five minutes again: accepted.
    clock.set(now + 60 * 1000);
    client.list_streams().send().await.expect("within the skew");
    server.stop().await;
}
