//! The TLS listener with the Rust SDK (rustls, ring): a client that trusts the server's
//! certificate round-trips records and subscribes; one that does not is refused at the handshake.

mod common;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{ShardIteratorType, StartingPosition, SubscribeToShardEventStream};
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use common::Server;
use sluice_server::{ServerConfig, StorageKind};
use std::sync::Arc;

fn client(server: &Server, trusted_pem: Option<&str>) -> Client {
    let trust = match trusted_pem {
        Some(pem) => TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(pem.as_bytes().to_vec()),
        None => TrustStore::empty().with_native_roots(true),
    };
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(
            TlsContext::builder()
                .with_trust_store(trust)
                .build()
                .expect("tls context"),
        )
        .build_https();
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(format!("https://127.0.0.1:{}", server.addr().port()))
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTLS", "secret", None, None, "test"))
        .http_client(http)
        .build();
    Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_sdk_over_tls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("certificate");
    let cert_pem = cert.cert.pem();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, &cert_pem).expect("write cert");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("write key");
    let config = ServerConfig {
        data_dir: dir.path().join("data"),
        storage: StorageKind::Disk,
        tls: Some((cert_path, key_path)),
        ..ServerConfig::default()
    };
    let server = Server::start_with(config, Arc::new(sluice_types::SystemClock)).await;

    let untrusted = client(&server, None);
    let err = untrusted
        .list_streams()
        .send()
        .await
        .expect_err("a self-signed certificate is not trusted by default");
    assert!(
        format!("{err:?}").to_lowercase().contains("certificate"),
        "{err:?}"
    );

    let c = client(&server, Some(&cert_pem));
    common::create_active(&c, "tls", 1).await;
    let ack = c
        .put_record()
        .stream_name("tls")
        .partition_key("k")
        .data(Blob::new(b"over tls".to_vec()))
        .send()
        .await
        .expect("put");
    let records = common::read_all(&c, "tls", &ack.shard_id).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].data.as_ref(), b"over tls");

    let arn = c
        .describe_stream_summary()
        .stream_name("tls")
        .send()
        .await
        .expect("summary")
        .stream_description_summary
        .expect("body")
        .stream_arn;
    let consumer = c
        .register_stream_consumer()
        .stream_arn(arn)
        .consumer_name("tls-consumer")
        .send()
        .await
        .expect("register")
        .consumer
        .expect("consumer");
    let mut sub = c
        .subscribe_to_shard()
        .consumer_arn(consumer.consumer_arn)
        .shard_id(ack.shard_id.clone())
        .starting_position(
            StartingPosition::builder()
                .r#type(ShardIteratorType::TrimHorizon)
                .build()
                .expect("position"),
        )
        .send()
        .await
        .expect("subscribe");
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), sub.event_stream.recv())
        .await
        .expect("an event")
        .expect("stream")
        .expect("not ended");
    let SubscribeToShardEventStream::SubscribeToShardEvent(e) = event else {
        panic!("unexpected {event:?}");
    };
    assert_eq!(e.records.len(), 1);
    assert_eq!(e.records[0].data.as_ref(), b"over tls");
    drop(sub);
    server.stop().await;
}
