//! Delivery with a manual clock: buffering by interval and by size, retries after a failing
//! destination, and resuming from the checkpoint after a restart, with nothing lost.

use bytes::Bytes;
use parking_lot::Mutex;
use sluice_firehose::model::*;
use sluice_firehose::sink::{BoxFuture, ObjectSink, SinkError};
use sluice_firehose::{Firehose, FirehoseConfig};
use sluice_storage::memory::MemoryLogStore;
use sluice_storage::{LogStore, MemoryMetaStore, MetaStore};
use sluice_types::{Clock, ManualClock};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

// 2024-05-06T07:08:09Z
const T0: i64 = 1_714_979_289_000;
const MIB: usize = 1024 * 1024;

#[derive(Default)]
struct MemorySink {
    objects: Mutex<Vec<(String, String, Bytes)>>,
    failing: AtomicBool,
}

impl ObjectSink for MemorySink {
    fn put(&self, bucket: &str, key: &str, body: Bytes) -> BoxFuture<Result<(), SinkError>> {
        let r = if self.failing.load(Ordering::SeqCst) {
            Err(SinkError("destination unavailable".into()))
        } else {
            self.objects
                .lock()
                .push((bucket.to_owned(), key.to_owned(), body));
            Ok(())
        };
        Box::pin(async move { r })
    }
}

struct Env {
    clock: ManualClock,
    logs: Arc<dyn LogStore>,
    meta: Arc<dyn MetaStore>,
    sink: Arc<MemorySink>,
}

impl Env {
    fn new() -> Self {
        let clock = ManualClock::new(T0);
        let c: Arc<dyn Clock> = Arc::new(clock.clone());
        Self {
            logs: Arc::new(MemoryLogStore::new(c)),
            meta: Arc::new(MemoryMetaStore::default()),
            sink: Arc::new(MemorySink::default()),
            clock,
        }
    }

    fn open(&self) -> Firehose {
        Firehose::open(
            FirehoseConfig::default(),
            Arc::new(self.clock.clone()),
            self.logs.clone(),
            self.meta.clone(),
            self.sink.clone(),
            None,
            7,
        )
        .unwrap()
    }

    fn objects(&self) -> Vec<(String, String, Bytes)> {
        self.sink.objects.lock().clone()
    }
}

fn s3(size_mb: u32, interval_s: u32, compression: Compression) -> DestinationConfig {
    DestinationConfig::S3(S3Destination {
        role_arn: "arn:aws:iam::000000000000:role/r".into(),
        bucket_arn: "arn:aws:s3:::bkt".into(),
        prefix: None,
        error_output_prefix: None,
        buffering: BufferingHints {
            size_mb,
            interval_s,
        },
        compression,
        encryption: ObjectEncryption::None,
        cloudwatch: None,
        processing: None,
        backup_enabled: false,
        backup: None,
        file_extension: None,
        custom_time_zone: None,
        legacy_form: false,
        conversion: None,
        dynamic_partitioning: None,
    })
}

async fn create(f: &Firehose, name: &str, dest: DestinationConfig) {
    f.create(CreateDeliveryStreamInput {
        name: name.into(),
        source: SourceKind::DirectPut,
        destination: dest,
        tags: Vec::new(),
        encryption: None,
        throughput_hint_mb: None,
        kinesis_source: None,
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn an_object_is_delivered_when_the_interval_since_the_oldest_record_passes() {
    let env = Env::new();
    let f = env.open();
    create(&f, "ds", s3(5, 60, Compression::Uncompressed)).await;
    f.put_record("ds", Bytes::from_static(b"a")).await.unwrap();
    env.clock.advance(30_000);
    f.put_record("ds", Bytes::from_static(b"b")).await.unwrap();
    let o = f.deliver("ds").await.unwrap();
    assert_eq!(o.objects, 0);
    assert_eq!(
        o.due_at_ms,
        Some(T0 + 60_000),
        "due 60 s after the oldest record"
    );
    env.clock.advance(29_999);
    assert_eq!(f.deliver("ds").await.unwrap().objects, 0);
    env.clock.advance(1);
    assert_eq!(f.deliver("ds").await.unwrap().objects, 1);
    let objects = env.objects();
    assert_eq!(objects.len(), 1);
    let (bucket, key, body) = &objects[0];
    assert_eq!(bucket, "bkt");
    assert_eq!(&body[..], b"ab");
    assert!(
        key.starts_with("2024/05/06/07/ds-1-2024-05-06-07-08-09-"),
        "key named by the oldest record's arrival: {key}"
    );
    // Nothing left: no deadline, nothing more delivered.
    let o = f.deliver("ds").await.unwrap();
    assert_eq!((o.objects, o.due_at_ms), (0, None));
}

#[tokio::test]
async fn a_full_buffer_is_delivered_at_once_and_the_rest_waits() {
    let env = Env::new();
    let f = env.open();
    create(&f, "ds", s3(1, 900, Compression::Uncompressed)).await;
    let record = Bytes::from(vec![b'x'; 100 * 1024]);
    for _ in 0..25 {
        f.put_record_batch("ds", vec![record.clone()])
            .await
            .unwrap();
    }
    let o = f.deliver("ds").await.unwrap();
    assert_eq!(o.objects, 2, "2.44 MiB with a 1 MiB hint: two full objects");
    let sizes: Vec<usize> = env.objects().iter().map(|(_, _, b)| b.len()).collect();
    for s in &sizes {
        assert!(*s >= MIB && *s < MIB + record.len(), "object of {s} bytes");
    }
    let delivered: usize = sizes.iter().sum();
    assert_eq!(
        o.due_at_ms,
        Some(T0 + 900_000),
        "the remainder waits for the interval"
    );
    env.clock.advance(900_000);
    assert_eq!(f.deliver("ds").await.unwrap().objects, 1);
    let total: usize = env.objects().iter().map(|(_, _, b)| b.len()).sum();
    assert_eq!(total, 25 * record.len());
    assert!(total > delivered);
}

#[tokio::test]
async fn a_failing_destination_is_retried_with_backoff_and_loses_nothing() {
    let env = Env::new();
    let f = env.open();
    create(&f, "ds", s3(5, 0, Compression::Gzip)).await;
    env.sink.failing.store(true, Ordering::SeqCst);
    f.put_record("ds", Bytes::from_static(b"one\n"))
        .await
        .unwrap();
    let o = f.deliver("ds").await.unwrap();
    assert_eq!((o.objects, o.failures), (0, 1));
    assert_eq!(o.due_at_ms, Some(T0 + 1_000), "first retry after 1 s");
    // Not retried before its time.
    assert_eq!(f.deliver("ds").await.unwrap().failures, 0);
    env.clock.advance(1_000);
    let o = f.deliver("ds").await.unwrap();
    assert_eq!(o.failures, 1);
    assert_eq!(o.due_at_ms, Some(T0 + 3_000), "then 2 s");
    f.put_record("ds", Bytes::from_static(b"two\n"))
        .await
        .unwrap();
    env.sink.failing.store(false, Ordering::SeqCst);
    env.clock.advance(2_000);
    assert_eq!(f.deliver("ds").await.unwrap().objects, 1);
    let objects = env.objects();
    assert_eq!(objects.len(), 1);
    assert!(objects[0].1.ends_with(".gz"), "{}", objects[0].1);
    let mut out = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(&objects[0].2[..])
        .read_to_string(&mut out)
        .unwrap();
    assert_eq!(out, "one\ntwo\n");
}

#[tokio::test]
async fn a_restart_resumes_after_the_last_delivered_object() {
    let env = Env::new();
    {
        let f = env.open();
        create(&f, "ds", s3(5, 10, Compression::Uncompressed)).await;
        f.put_record("ds", Bytes::from_static(b"first"))
            .await
            .unwrap();
        env.clock.advance(10_000);
        assert_eq!(f.deliver("ds").await.unwrap().objects, 1);
        f.put_record("ds", Bytes::from_static(b"second"))
            .await
            .unwrap();
        // "Crash" before the second is delivered.
    }
    let f = env.open();
    assert_eq!(f.names(), vec!["ds".to_owned()]);
    let o = f.deliver("ds").await.unwrap();
    assert_eq!(
        o.objects, 0,
        "the interval counts from the record's arrival"
    );
    env.clock.advance(10_000);
    assert_eq!(f.deliver("ds").await.unwrap().objects, 1);
    let bodies: Vec<Bytes> = env.objects().into_iter().map(|(_, _, b)| b).collect();
    assert_eq!(
        bodies,
        vec![Bytes::from_static(b"first"), Bytes::from_static(b"second")]
    );
}

#[tokio::test]
async fn an_update_takes_effect_for_the_next_object_and_bumps_the_version() {
    let env = Env::new();
    let f = env.open();
    create(&f, "ds", s3(5, 0, Compression::Uncompressed)).await;
    f.put_record("ds", Bytes::from_static(b"v1")).await.unwrap();
    f.deliver("ds").await.unwrap();
    f.update_destination(
        "ds",
        "1",
        "destinationId-000000000001",
        DestinationUpdate::S3(S3DestinationUpdate {
            prefix: Some("p/!{timestamp:yyyy}/".into()),
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert!(matches!(
        f.update_destination(
            "ds",
            "1",
            "destinationId-000000000001",
            DestinationUpdate::S3(Default::default())
        )
        .await,
        Err(sluice_firehose::FirehoseError::VersionMismatch { current: 2, .. })
    ));
    f.put_record("ds", Bytes::from_static(b"v2")).await.unwrap();
    f.deliver("ds").await.unwrap();
    let keys: Vec<String> = env.objects().into_iter().map(|(_, k, _)| k).collect();
    assert!(keys[0].contains("/ds-1-"), "{keys:?}");
    assert!(keys[1].starts_with("p/2024/ds-2-"), "{keys:?}");
}

#[tokio::test]
async fn deleting_removes_the_log_and_the_stream() {
    let env = Env::new();
    let f = env.open();
    create(&f, "ds", s3(5, 300, Compression::Uncompressed)).await;
    f.put_record("ds", Bytes::from_static(b"x")).await.unwrap();
    let before = env.logs.logs();
    assert_eq!(before.len(), 1);
    assert!(before[0] >= sluice_types::FIREHOSE_LOG_BASE);
    f.delete("ds").await.unwrap();
    assert!(env.logs.logs().is_empty());
    assert!(matches!(
        f.put_record("ds", Bytes::from_static(b"y")).await,
        Err(sluice_firehose::FirehoseError::NotFound { .. })
    ));
    drop(f);
    assert!(env.open().names().is_empty());
}
