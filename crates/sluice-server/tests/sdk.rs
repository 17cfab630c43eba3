//! The server in-process on port 0, driven by the official AWS SDK for Rust.

mod common;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};
use common::{Server, create_active, read_all};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_and_get_round_trip_with_the_rust_sdk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path()).await;
    let client = server.client();
    create_active(&client, "sdk-roundtrip", 2).await;

    let one = client
        .put_record()
        .stream_name("sdk-roundtrip")
        .partition_key("alpha")
        .data(Blob::new(b"first".to_vec()))
        .send()
        .await
        .expect("put record");
    let entries: Vec<PutRecordsRequestEntry> = (0..100)
        .map(|i| {
            PutRecordsRequestEntry::builder()
                .partition_key("alpha")
                .data(Blob::new(format!("rec-{i}").into_bytes()))
                .build()
                .expect("entry")
        })
        .collect();
    let batch = client
        .put_records()
        .stream_name("sdk-roundtrip")
        .set_records(Some(entries))
        .send()
        .await
        .expect("put records");
    assert_eq!(batch.failed_record_count, Some(0));
    assert_eq!(batch.records.len(), 100);
    // One partition key: every record lands in the same shard, in order.
    for r in &batch.records {
        assert_eq!(r.shard_id.as_deref(), Some(one.shard_id.as_str()));
    }

    let records = read_all(&client, "sdk-roundtrip", &one.shard_id).await;
    assert_eq!(records.len(), 101);
    assert_eq!(records[0].data.as_ref(), b"first");
    assert_eq!(records[0].sequence_number, one.sequence_number);
    for (i, r) in records[1..].iter().enumerate() {
        assert_eq!(r.data.as_ref(), format!("rec-{i}").as_bytes());
        assert_eq!(r.partition_key.as_deref(), Some("alpha"));
        assert_eq!(
            Some(r.sequence_number.as_str()),
            batch.records[i].sequence_number.as_deref()
        );
    }
    // AWS's layout: 56 decimal digits, so string order is numeric order.
    let seqs: Vec<&str> = records.iter().map(|r| r.sequence_number.as_str()).collect();
    assert!(
        seqs.iter()
            .all(|s| s.len() == 56 && s.bytes().all(|b| b.is_ascii_digit())),
        "{seqs:?}"
    );
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers increase"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_typed_as_aws_sends_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path()).await;
    let client = server.client();

    let missing = client
        .describe_stream()
        .stream_name("no-such-stream")
        .send()
        .await
        .expect_err("missing stream");
    assert!(
        missing
            .into_service_error()
            .is_resource_not_found_exception()
    );

    create_active(&client, "sdk-errors", 1).await;
    let dup = client
        .create_stream()
        .stream_name("sdk-errors")
        .shard_count(1)
        .send()
        .await
        .expect_err("duplicate");
    assert!(dup.into_service_error().is_resource_in_use_exception());

    let bad_shard = client
        .get_shard_iterator()
        .stream_name("sdk-errors")
        .shard_id("shardId-000000000009")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect_err("unknown shard");
    assert!(
        bad_shard
            .into_service_error()
            .is_resource_not_found_exception()
    );

    let bad_iterator = client
        .get_records()
        .shard_iterator("AAAAnot-an-iterator")
        .send()
        .await
        .expect_err("forged iterator");
    assert!(
        bad_iterator
            .into_service_error()
            .is_invalid_argument_exception()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_records_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path()).await;
    let client = server.client();
    create_active(&client, "sdk-durable", 3).await;
    let mut acked = Vec::new();
    for i in 0..50 {
        let out = client
            .put_record()
            .stream_name("sdk-durable")
            .partition_key(format!("key-{i}"))
            .data(Blob::new(vec![i as u8; 100 + i]))
            .send()
            .await
            .expect("put");
        acked.push((out.shard_id, out.sequence_number, i));
    }
    server.stop().await;

    let server = Server::start(dir.path()).await;
    let client = server.client();
    let shards = client
        .list_shards()
        .stream_name("sdk-durable")
        .send()
        .await
        .expect("list shards")
        .shards
        .unwrap_or_default();
    assert_eq!(shards.len(), 3);
    let mut found = 0;
    for shard in &shards {
        let records = read_all(&client, "sdk-durable", &shard.shard_id).await;
        for r in records {
            let (_, _, i) = acked
                .iter()
                .find(|(s, q, _)| *s == shard.shard_id && *q == r.sequence_number)
                .expect("every record read back was acknowledged");
            assert_eq!(
                r.partition_key.as_deref(),
                Some(format!("key-{i}").as_str())
            );
            assert_eq!(r.data.as_ref(), vec![*i as u8; 100 + *i].as_slice());
            found += 1;
        }
    }
    assert_eq!(found, acked.len());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resharding_with_the_rust_sdk() {
    use aws_sdk_kinesis::types::ScalingType;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path()).await;
    let client = server.client();
    create_active(&client, "sdk-reshard", 1).await;
    client
        .put_record()
        .stream_name("sdk-reshard")
        .partition_key("k")
        .data(Blob::new(b"in the parent".to_vec()))
        .send()
        .await
        .expect("put");
    client
        .split_shard()
        .stream_name("sdk-reshard")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .expect("split");
    let out = client
        .update_shard_count()
        .stream_name("sdk-reshard")
        .target_shard_count(4)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("update shard count");
    assert_eq!(out.current_shard_count, Some(2));
    assert_eq!(out.target_shard_count, Some(4));
    let shards = client
        .list_shards()
        .stream_name("sdk-reshard")
        .send()
        .await
        .expect("list shards")
        .shards
        .unwrap_or_default();
    let open: Vec<_> = shards
        .iter()
        .filter(|s| {
            s.sequence_number_range()
                .and_then(|r| r.ending_sequence_number())
                .is_none()
        })
        .collect();
    assert_eq!(open.len(), 4);
    assert!(open.iter().all(|s| s.parent_shard_id().is_some()));

    // The parent reads to its end: its record, then no iterator and its children.
    let it = client
        .get_shard_iterator()
        .stream_name("sdk-reshard")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect("iterator")
        .shard_iterator
        .expect("an iterator");
    let page = client
        .get_records()
        .shard_iterator(it)
        .send()
        .await
        .expect("get records");
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].data.as_ref(), b"in the parent");
    assert!(page.next_shard_iterator.is_none());
    let children = page.child_shards.unwrap_or_default();
    assert_eq!(children.len(), 2);
    for c in &children {
        assert_eq!(c.parent_shards, vec!["shardId-000000000000".to_string()]);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enhanced_fan_out_with_the_rust_sdk() {
    use aws_sdk_kinesis::types::{ConsumerStatus, StartingPosition, SubscribeToShardEventStream};
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path()).await;
    let client = server.client();
    create_active(&client, "sdk-efo", 1).await;
    let stream_arn = client
        .describe_stream_summary()
        .stream_name("sdk-efo")
        .send()
        .await
        .expect("summary")
        .stream_description_summary
        .expect("summary body")
        .stream_arn;
    let consumer = client
        .register_stream_consumer()
        .stream_arn(&stream_arn)
        .consumer_name("rust-consumer")
        .send()
        .await
        .expect("register")
        .consumer
        .expect("consumer");
    assert_eq!(consumer.consumer_status, ConsumerStatus::Active);
    assert!(
        consumer
            .consumer_arn
            .starts_with(&format!("{stream_arn}/consumer/rust-consumer:")),
        "{}",
        consumer.consumer_arn
    );
    let listed = client
        .list_stream_consumers()
        .stream_arn(&stream_arn)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.consumers().len(), 1);

    let mut seqs = Vec::new();
    for i in 0..3 {
        let out = client
            .put_record()
            .stream_name("sdk-efo")
            .partition_key("k")
            .data(Blob::new(format!("before-{i}").into_bytes()))
            .send()
            .await
            .expect("put");
        seqs.push(out.sequence_number);
    }
    let mut sub = client
        .subscribe_to_shard()
        .consumer_arn(&consumer.consumer_arn)
        .shard_id("shardId-000000000000")
        .starting_position(
            StartingPosition::builder()
                .r#type(ShardIteratorType::TrimHorizon)
                .build()
                .expect("position"),
        )
        .send()
        .await
        .expect("subscribe");
    // A second subscription while the first is live is refused.
    let again = client
        .subscribe_to_shard()
        .consumer_arn(&consumer.consumer_arn)
        .shard_id("shardId-000000000000")
        .starting_position(
            StartingPosition::builder()
                .r#type(ShardIteratorType::Latest)
                .build()
                .expect("position"),
        )
        .send()
        .await
        .expect_err("second subscription");
    assert_eq!(
        again.into_service_error().meta().code(),
        Some("ResourceInUseException")
    );

    let mut got: Vec<(String, Vec<u8>)> = Vec::new();
    let mut continuation = None;
    let mut pushed = false;
    while got.len() < 4 {
        let event =
            tokio::time::timeout(std::time::Duration::from_secs(10), sub.event_stream.recv())
                .await
                .expect("an event within 10 s")
                .expect("event stream")
                .expect("not ended");
        let SubscribeToShardEventStream::SubscribeToShardEvent(e) = event else {
            panic!("unexpected event {event:?}");
        };
        for r in e.records {
            got.push((r.sequence_number, r.data.into_inner()));
        }
        continuation = Some(e.continuation_sequence_number);
        if !pushed && got.len() == 3 {
            pushed = true;
            client
                .put_record()
                .stream_name("sdk-efo")
                .partition_key("k")
                .data(Blob::new(b"pushed".to_vec()))
                .send()
                .await
                .expect("put");
        }
    }
    let datas: Vec<&[u8]> = got.iter().map(|(_, d)| d.as_slice()).collect();
    assert_eq!(
        datas,
        [&b"before-0"[..], b"before-1", b"before-2", b"pushed"]
    );
    assert_eq!(
        got[..3].iter().map(|(s, _)| s.clone()).collect::<Vec<_>>(),
        seqs
    );
    assert_eq!(continuation.as_deref(), Some(got[3].0.as_str()));
    drop(sub);

    client
        .deregister_stream_consumer()
        .consumer_arn(&consumer.consumer_arn)
        .send()
        .await
        .expect("deregister");
    let gone = client
        .describe_stream_consumer()
        .consumer_arn(&consumer.consumer_arn)
        .send()
        .await
        .expect_err("deregistered");
    assert!(gone.into_service_error().is_resource_not_found_exception());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_encryption_with_the_rust_sdk() {
    use aws_sdk_kinesis::types::EncryptionType;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path()).await;
    let client = server.client();
    create_active(&client, "sdk-enc", 1).await;
    let put = |data: &'static [u8]| {
        client
            .put_record()
            .stream_name("sdk-enc")
            .partition_key("k")
            .data(Blob::new(data))
            .send()
    };
    let before = put(b"clear").await.expect("put");
    assert_eq!(before.encryption_type, Some(EncryptionType::None));
    client
        .start_stream_encryption()
        .stream_name("sdk-enc")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .expect("start encryption");
    let summary = client
        .describe_stream_summary()
        .stream_name("sdk-enc")
        .send()
        .await
        .expect("summary")
        .stream_description_summary
        .expect("summary body");
    assert_eq!(summary.encryption_type, Some(EncryptionType::Kms));
    assert_eq!(summary.key_id.as_deref(), Some("alias/aws/kinesis"));
    let secret = put(b"the secret record").await.expect("put");
    assert_eq!(secret.encryption_type, Some(EncryptionType::Kms));
    let unknown = client
        .start_stream_encryption()
        .stream_name("sdk-enc")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/nope")
        .send()
        .await
        .expect_err("unknown key");
    assert!(unknown.into_service_error().is_kms_not_found_exception());
    let records = read_all(&client, "sdk-enc", &before.shard_id).await;
    let got: Vec<(&[u8], Option<&EncryptionType>)> = records
        .iter()
        .map(|r| (r.data.as_ref(), r.encryption_type.as_ref()))
        .collect();
    assert_eq!(
        got,
        [
            (&b"clear"[..], Some(&EncryptionType::None)),
            (&b"the secret record"[..], Some(&EncryptionType::Kms)),
        ]
    );
    server.stop().await;
    // At rest, the encrypted record's bytes are nowhere in the data directory.
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).expect("read dir").flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                assert!(
                    !bytes.windows(17).any(|w| w == b"the secret record"),
                    "plaintext in {}",
                    path.display()
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_subscription_does_not_hold_up_shutdown() {
    use aws_sdk_kinesis::types::StartingPosition;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(dir.path()).await;
    let client = server.client();
    create_active(&client, "sdk-stop", 1).await;
    let arn = client
        .describe_stream_summary()
        .stream_name("sdk-stop")
        .send()
        .await
        .expect("summary")
        .stream_description_summary
        .expect("body")
        .stream_arn;
    let consumer = client
        .register_stream_consumer()
        .stream_arn(arn)
        .consumer_name("c")
        .send()
        .await
        .expect("register")
        .consumer
        .expect("consumer");
    let mut sub = client
        .subscribe_to_shard()
        .consumer_arn(consumer.consumer_arn)
        .shard_id("shardId-000000000000")
        .starting_position(
            StartingPosition::builder()
                .r#type(ShardIteratorType::Latest)
                .build()
                .expect("position"),
        )
        .send()
        .await
        .expect("subscribe");
    tokio::time::timeout(std::time::Duration::from_secs(10), server.stop())
        .await
        .expect("shutdown ends the subscription instead of waiting out its 5 minutes");
    let end = tokio::time::timeout(std::time::Duration::from_secs(5), sub.event_stream.recv())
        .await
        .expect("the stream ends");
    assert!(matches!(end, Ok(None) | Err(_)), "{end:?}");
}
