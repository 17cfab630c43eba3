//! SubscribeToShard in process with a `ManualClock`: the subscription lifetime, the one-subscription
//! rule, and the 2 MiB/s per-consumer delivery budget under `--limits aws`, with time moved by hand.

use bytes::Bytes;
use sluice_storage::memory::MemoryLogStore;
use sluice_storage::{LogStore, MemoryMetaStore, MetaStore};
use sluice_streams::limits::LimitsMode;
use sluice_streams::model::{CreateStreamInput, IteratorType, PutRecordInput, StreamMode};
use sluice_streams::{Streams, StreamsConfig, StreamsError};
use sluice_types::{ManualClock, StreamName};
use std::sync::Arc;
use std::time::Duration;

const T0: i64 = 1_800_000_000_000;

async fn setup(limits: LimitsMode) -> (Streams, Arc<ManualClock>, StreamName, String) {
    let clock = Arc::new(ManualClock::new(T0));
    let logs: Arc<dyn LogStore> = Arc::new(MemoryLogStore::new(clock.clone()));
    let meta: Arc<dyn MetaStore> = Arc::new(MemoryMetaStore::default());
    let config = StreamsConfig {
        limits,
        subscription_lifetime_ms: 60_000,
        ..StreamsConfig::default()
    };
    let s = Streams::open(config, clock.clone(), logs, meta).expect("open");
    let name: StreamName = "fan".parse().expect("name");
    s.create_stream(CreateStreamInput {
        name: name.clone(),
        shard_count: Some(1),
        mode: Some(StreamMode::Provisioned),
        tags: Vec::new(),
        max_record_size_kib: None,
    })
    .await
    .expect("create");
    let c = s
        .register_consumer(&s.stream_arn("fan"), "c", &[])
        .await
        .expect("register");
    (s, clock, name, c.arn)
}

async fn put(s: &Streams, name: &StreamName, size: usize, n: usize) {
    for _ in 0..n {
        s.put_record(
            name,
            PutRecordInput {
                partition_key: "k".into(),
                data: Bytes::from(vec![7u8; size]),
                explicit_hash_key: None,
            },
            None,
        )
        .await
        .expect("put");
    }
}

#[tokio::test]
async fn the_delivery_budget_is_2_mib_per_second_per_consumer_and_shard() {
    let (s, clock, name, arn) = setup(LimitsMode::Aws).await;
    // 5 MiB waiting (written 1 MiB a second, the shard's write limit): 2 MiB may go at once,
    // the rest only as the clock moves on.
    for _ in 0..5 {
        put(&s, &name, 1024 * 1024 - 1, 1).await;
        clock.advance(1_000);
    }
    let mut sub = s
        .subscribe(&arn, "shardId-000000000000", IteratorType::TrimHorizon)
        .await
        .expect("subscribe");
    let mut delivered = 0usize;
    while let Ok(Ok(Some(e))) =
        tokio::time::timeout(Duration::from_millis(200), s.next_event(&mut sub)).await
    {
        delivered += e.records.len();
    }
    assert_eq!(delivered, 2, "one second's budget is 2 MiB");
    clock.advance(1_000);
    let e = tokio::time::timeout(Duration::from_secs(5), s.next_event(&mut sub))
        .await
        .expect("the budget refilled")
        .expect("event")
        .expect("not ended");
    assert!(!e.records.is_empty());
}

#[tokio::test]
async fn without_limits_everything_is_delivered_at_once() {
    let (s, _clock, name, arn) = setup(LimitsMode::Off).await;
    put(&s, &name, 1024 * 1024 - 1, 5).await;
    let mut sub = s
        .subscribe(&arn, "shardId-000000000000", IteratorType::TrimHorizon)
        .await
        .expect("subscribe");
    let mut delivered = 0usize;
    while delivered < 5 {
        let e = tokio::time::timeout(Duration::from_secs(5), s.next_event(&mut sub))
            .await
            .expect("no waiting")
            .expect("event")
            .expect("not ended");
        delivered += e.records.len();
    }
}

#[tokio::test]
async fn lifetime_and_the_one_subscription_rule_follow_the_clock() {
    let (s, clock, name, arn) = setup(LimitsMode::Off).await;
    put(&s, &name, 10, 1).await;
    let mut first = s
        .subscribe(&arn, "shardId-000000000000", IteratorType::TrimHorizon)
        .await
        .expect("subscribe");
    let e = s
        .next_event(&mut first)
        .await
        .expect("event")
        .expect("some");
    assert_eq!(e.records.len(), 1);
    // Within 5 s of the first: refused.
    clock.advance(4_000);
    match s
        .subscribe(&arn, "shardId-000000000000", IteratorType::Latest)
        .await
    {
        Err(StreamsError::ResourceInUse(_)) => {}
        other => panic!("expected ResourceInUse, got {:?}", other.map(|_| ())),
    }
    // Later: the new one replaces the first, which ends.
    clock.advance(2_000);
    let mut second = s
        .subscribe(&arn, "shardId-000000000000", IteratorType::Latest)
        .await
        .expect("replaces");
    let ended = tokio::time::timeout(Duration::from_secs(5), s.next_event(&mut first))
        .await
        .expect("the replaced subscription ends at once")
        .expect("no error");
    assert!(ended.is_none());
    // The second ends when its lifetime (60 s here) is over.
    clock.advance(60_000);
    put(&s, &name, 10, 1).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), s.next_event(&mut second))
        .await
        .expect("ends")
        .expect("no error");
    assert!(ended.is_none());
}

#[tokio::test]
async fn on_demand_streams_double_their_shards_under_sustained_load() {
    let clock = Arc::new(ManualClock::new(T0));
    let logs: Arc<dyn LogStore> = Arc::new(MemoryLogStore::new(clock.clone()));
    let meta: Arc<dyn MetaStore> = Arc::new(MemoryMetaStore::default());
    let config = StreamsConfig {
        on_demand_window_ms: 10_000,
        ..StreamsConfig::default()
    };
    let s = Streams::open(config, clock.clone(), logs, meta).expect("open");
    for (name, mode) in [
        ("od", StreamMode::OnDemand),
        ("prov", StreamMode::Provisioned),
    ] {
        s.create_stream(CreateStreamInput {
            name: name.parse().expect("name"),
            shard_count: Some(2),
            mode: Some(mode),
            tags: Vec::new(),
            max_record_size_kib: None,
        })
        .await
        .expect("create");
    }
    let od: StreamName = "od".parse().expect("name");
    let prov: StreamName = "prov".parse().expect("name");
    let open = |name: &StreamName| {
        s.describe_stream_summary(name)
            .expect("summary")
            .open_shard_count
    };
    // 2 shards take 2 MiB/s; half is 1 MiB/s. 5 MiB over 10 s is 0.5 MiB/s: no change.
    assert!(s.scale_on_demand().await.is_empty());
    for _ in 0..10 {
        clock.advance(1_000);
        put(&s, &od, 512 * 1024, 1).await;
        put(&s, &prov, 512 * 1024, 4).await;
        assert!(s.scale_on_demand().await.is_empty());
    }
    assert_eq!(open(&od), 2);
    // 2 MiB/s sustained for the window: the on-demand stream doubles, the provisioned one not.
    let mut scaled = Vec::new();
    for _ in 0..11 {
        clock.advance(1_000);
        put(&s, &od, 512 * 1024, 4).await;
        put(&s, &prov, 512 * 1024, 4).await;
        scaled.extend(s.scale_on_demand().await);
    }
    assert_eq!(scaled, vec![("od".to_owned(), 4)]);
    assert_eq!(open(&od), 4);
    assert_eq!(open(&prov), 2);
}
