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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_policies_apply_to_principals_of_other_accounts() {
    use aws_sdk_kinesis::primitives::Blob;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(dir.path());
    cfg.credentials.push(
        "AKIDBOB:bob-secret"
            .parse::<Credential>()
            .expect("credential"),
    );
    cfg.principals = vec![(
        "AKIDBOB".into(),
        sluice_server::Principal::from_arn("arn:aws:iam::222222222222:user/bob").expect("arn"),
    )];
    let server = Server::start_with(cfg, Arc::new(sluice_types::SystemClock)).await;
    let owner = server.client_as("AKIDRUST", "rust-secret");
    let bob = server.client_as("AKIDBOB", "bob-secret");
    common::create_active(&owner, "shared", 1).await;
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/shared";
    let put = |c: &aws_sdk_kinesis::Client| {
        c.put_record()
            .stream_name("shared")
            .partition_key("k")
            .data(Blob::new(b"x".to_vec()))
            .send()
    };
    let err = put(&bob).await.expect_err("no policy yet");
    assert_eq!(err.code(), Some("AccessDeniedException"));
    put(&owner)
        .await
        .expect("the owner's account needs no policy");
    owner
        .put_resource_policy()
        .resource_arn(arn)
        .policy(format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::222222222222:user/bob"}},"Action":"kinesis:PutRecord","Resource":"{arn}"}}]}}"#
        ))
        .send()
        .await
        .expect("put policy");
    put(&bob).await.expect("allowed by the policy");
    let err = bob
        .list_shards()
        .stream_name("shared")
        .send()
        .await
        .expect_err("not named by the policy");
    assert_eq!(err.code(), Some("AccessDeniedException"));
    server.stop().await;
}
