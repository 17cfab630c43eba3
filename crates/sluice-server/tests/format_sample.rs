//! On-disk format version 1 stays readable: a data directory written by an earlier build is
//! checked in under `tests/data/v1/` with the records it holds (`expected.json`), and this test
//! serves a copy of it and reads every record back through the SDK.
//!
//! To write a new sample (only when adding a format version, never over an old one):
//! `SLUICE_WRITE_SAMPLE=tests/data/vN cargo test -p sluice-server --test format_sample`.

mod common;

use aws_sdk_kinesis::primitives::Blob;
use common::{Server, create_active, read_all};
use serde_json::{Value, json};
use sluice_types::ManualClock;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The sample's clock: 2026-09-21T12:26:40Z. The reader runs one minute later, so nothing has
/// expired whatever the real date is.
const SAMPLE_TIME_MS: i64 = 1_790_000_000_000;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read sample dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

async fn write_sample(dir: &Path) {
    let clock = ManualClock::new(SAMPLE_TIME_MS);
    let server = Server::start_with_clock(&dir.join("data"), Arc::new(clock.clone())).await;
    let client = server.client();
    create_active(&client, "sample", 2).await;
    let mut expected = Vec::new();
    for i in 0..6u8 {
        clock.advance(1000);
        let key = format!("key-{i}");
        let data: Vec<u8> = (0..=i)
            .map(|b| b.wrapping_mul(37))
            .chain(*b"sample")
            .collect();
        let out = client
            .put_record()
            .stream_name("sample")
            .partition_key(&key)
            .data(Blob::new(data.clone()))
            .send()
            .await
            .expect("put");
        expected.push(json!({
            "shard": out.shard_id, "sequence": out.sequence_number, "key": key,
            "data": data, "arrival_ms": clock_now(&clock),
        }));
    }
    server.stop().await;
    let text = serde_json::to_string_pretty(&json!({ "stream": "sample", "records": expected }))
        .expect("json");
    std::fs::write(dir.join("expected.json"), text).expect("write expected");
}

fn clock_now(clock: &ManualClock) -> i64 {
    use sluice_types::Clock;
    clock.now_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn format_v1_sample_reads_back() {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1");
    if let Ok(target) = std::env::var("SLUICE_WRITE_SAMPLE") {
        let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(target);
        assert!(
            !target.exists(),
            "{} exists: a format sample is never overwritten",
            target.display()
        );
        write_sample(&target).await;
        return;
    }
    let expected: Value = serde_json::from_slice(
        &std::fs::read(sample.join("expected.json")).expect("expected.json"),
    )
    .expect("parse expected.json");
    let copy = tempfile::tempdir().expect("tempdir");
    copy_dir(&sample.join("data"), copy.path());

    let clock = ManualClock::new(SAMPLE_TIME_MS + 60_000);
    let server = Server::start_with_clock(copy.path(), Arc::new(clock)).await;
    let client = server.client();
    let records = expected["records"].as_array().expect("records");
    assert!(!records.is_empty());
    let mut shards: Vec<&str> = records.iter().filter_map(|r| r["shard"].as_str()).collect();
    shards.sort_unstable();
    shards.dedup();
    let mut read = 0;
    for shard in shards {
        let got = read_all(&client, "sample", shard).await;
        let want: Vec<&Value> = records.iter().filter(|r| r["shard"] == shard).collect();
        assert_eq!(got.len(), want.len(), "records in {shard}");
        for (g, w) in got.iter().zip(want) {
            assert!(same_position(&g.sequence_number, &w["sequence"]), "{w}");
            assert_eq!(g.partition_key.as_deref(), w["key"].as_str());
            let data: Vec<u8> = serde_json::from_value(w["data"].clone()).expect("data");
            assert_eq!(g.data.as_ref(), data.as_slice());
            let arrival = g
                .approximate_arrival_timestamp
                .expect("arrival")
                .to_millis()
                .expect("millis");
            assert_eq!(Some(arrival), w["arrival_ms"].as_i64());
            read += 1;
        }
    }
    assert_eq!(read, records.len());
    server.stop().await;
}

/// A second sample of format 1, after the metadata gained consumers and encryption and records
/// could be stored encrypted (the `kms` record format 1, with the managed key in `meta.redb`).
async fn write_encrypted_sample(dir: &Path) {
    use aws_sdk_kinesis::types::EncryptionType;
    let clock = ManualClock::new(SAMPLE_TIME_MS);
    let server = Server::start_with_clock(&dir.join("data"), Arc::new(clock.clone())).await;
    let client = server.client();
    create_active(&client, "sample", 1).await;
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/sample";
    let consumer = client
        .register_stream_consumer()
        .stream_arn(arn)
        .consumer_name("sample-consumer")
        .send()
        .await
        .expect("register")
        .consumer
        .expect("consumer");
    let mut expected = Vec::new();
    for i in 0..4u8 {
        if i == 2 {
            client
                .start_stream_encryption()
                .stream_name("sample")
                .encryption_type(EncryptionType::Kms)
                .key_id("alias/aws/kinesis")
                .send()
                .await
                .expect("start encryption");
        }
        clock.advance(1000);
        let data = format!("record {i} of the encrypted sample").into_bytes();
        let out = client
            .put_record()
            .stream_name("sample")
            .partition_key(format!("key-{i}"))
            .data(Blob::new(data.clone()))
            .send()
            .await
            .expect("put");
        expected.push(json!({
            "shard": out.shard_id, "sequence": out.sequence_number, "key": format!("key-{i}"),
            "data": data, "encryption": out.encryption_type.map(|e| e.as_str().to_owned()),
        }));
    }
    server.stop().await;
    let text = serde_json::to_string_pretty(&json!({
        "stream": "sample", "consumer_arn": consumer.consumer_arn, "records": expected,
    }))
    .expect("json");
    std::fs::write(dir.join("expected.json"), text).expect("write expected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn format_v1_encrypted_sample_reads_back() {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1-encrypted");
    if let Ok(target) = std::env::var("SLUICE_WRITE_ENCRYPTED_SAMPLE") {
        let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(target);
        assert!(
            !target.exists(),
            "{} exists: a format sample is never overwritten",
            target.display()
        );
        write_encrypted_sample(&target).await;
        return;
    }
    let expected: Value = serde_json::from_slice(
        &std::fs::read(sample.join("expected.json")).expect("expected.json"),
    )
    .expect("parse expected.json");
    let copy = tempfile::tempdir().expect("tempdir");
    copy_dir(&sample.join("data"), copy.path());
    let clock = ManualClock::new(SAMPLE_TIME_MS + 60_000);
    let server = Server::start_with_clock(copy.path(), Arc::new(clock)).await;
    let client = server.client();
    let records = expected["records"].as_array().expect("records");
    let shard = records[0]["shard"].as_str().expect("shard");
    let got = read_all(&client, "sample", shard).await;
    assert_eq!(got.len(), records.len());
    for (g, w) in got.iter().zip(records) {
        assert!(same_position(&g.sequence_number, &w["sequence"]), "{w}");
        assert_eq!(g.partition_key.as_deref(), w["key"].as_str());
        let data: Vec<u8> = serde_json::from_value(w["data"].clone()).expect("data");
        assert_eq!(g.data.as_ref(), data.as_slice());
        assert_eq!(
            g.encryption_type.as_ref().map(|e| e.as_str()),
            w["encryption"].as_str()
        );
    }
    assert_eq!(
        records.iter().filter(|r| r["encryption"] == "KMS").count(),
        2
    );
    let consumer = client
        .describe_stream_consumer()
        .consumer_arn(expected["consumer_arn"].as_str().expect("arn"))
        .send()
        .await
        .expect("the consumer is still registered")
        .consumer_description
        .expect("description");
    assert_eq!(consumer.consumer_name, "sample-consumer");
    let summary = client
        .describe_stream_summary()
        .stream_name("sample")
        .send()
        .await
        .expect("summary")
        .stream_description_summary
        .expect("body");
    assert_eq!(summary.key_id.as_deref(), Some("alias/aws/kinesis"));
    server.stop().await;
}

/// The samples hold the 34-digit numbers of format v1's time; they still name the same record
/// (shard and offset) as the 56-digit numbers Sluice writes now (ADR 0010).
fn same_position(got: &str, want: &serde_json::Value) -> bool {
    let parse = |s: &str| s.parse::<sluice_types::SequenceNumber>().ok();
    want.as_str()
        .and_then(parse)
        .is_some_and(|w| parse(got) == Some(w))
}
