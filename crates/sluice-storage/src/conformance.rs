//! The behaviour every [`LogStore`] backend must show. Backends call [`run_all`] from their tests
//! with a factory that builds a fresh, empty store on the given clock.

use crate::{AppendRecord, LogAppend, LogStore, ReadLimits, StorageError};
use bytes::Bytes;
use sluice_types::ManualClock;
use std::any::Any;
use std::sync::Arc;

/// A fresh store plus whatever must live as long as it (a temporary directory, say).
pub type Fixture = (Arc<dyn LogStore>, Box<dyn Any + Send>);
pub type Factory<'a> = &'a (dyn Fn(ManualClock) -> Fixture + Sync);

const DAY: i64 = 24 * 3600 * 1000;
const T0: i64 = 1_700_000_000_000;
const ALL: ReadLimits = ReadLimits {
    max_records: usize::MAX,
    max_bytes: usize::MAX,
};

pub fn rec(key: &str, value: &[u8]) -> AppendRecord {
    AppendRecord {
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Bytes::copy_from_slice(value),
    }
}

/// Appends `records` to one log; returns the first offset.
pub async fn put(
    store: &dyn LogStore,
    log: u64,
    ts: i64,
    records: Vec<AppendRecord>,
) -> Result<u64, StorageError> {
    let mut acks = store
        .append(vec![LogAppend {
            log,
            timestamp_ms: ts,
            records,
        }])
        .await;
    acks.pop()
        .ok_or(StorageError::ShuttingDown)?
        .map(|a| a.first_offset)
}

/// Runs every conformance case, each on a fresh store.
pub async fn run_all(make: Factory<'_>) {
    append_then_read_back(make).await;
    offsets_are_dense_and_per_log(make).await;
    read_limits(make).await;
    time_index(make).await;
    retention_hides_expired_records(make).await;
    timestamps_never_decrease(make).await;
    unknown_and_deleted_logs(make).await;
    multi_log_append(make).await;
}

async fn append_then_read_back(make: Factory<'_>) {
    let (store, _guard) = make(ManualClock::new(T0));
    store.create_log(1, DAY).expect("create");
    let first = put(
        &*store,
        1,
        T0,
        vec![rec("a", b"one"), rec("b", b""), rec("c", &[0, 255, 7])],
    )
    .await
    .expect("append");
    assert_eq!(first, 0);
    let batch = store.read(1, 0, ALL).await.expect("read");
    let got: Vec<_> = batch
        .records
        .iter()
        .map(|r| (r.offset, &r.key[..], &r.value[..], r.timestamp_ms))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, &b"a"[..], &b"one"[..], T0),
            (1, b"b", b"", T0),
            (2, b"c", &[0, 255, 7][..], T0)
        ]
    );
    assert_eq!(batch.next_offset, 3);
    let tail = store.read(1, 3, ALL).await.expect("read at end");
    assert!(tail.records.is_empty());
    assert_eq!(tail.next_offset, 3);
    let b = store.bounds(1).expect("bounds");
    assert_eq!(
        (b.start_offset, b.next_offset, b.last_timestamp_ms),
        (0, 3, Some(T0))
    );
    store.shutdown().await;
}

async fn offsets_are_dense_and_per_log(make: Factory<'_>) {
    let (store, _guard) = make(ManualClock::new(T0));
    store.create_log(1, DAY).expect("create");
    store.create_log(2, DAY).expect("create");
    assert!(matches!(
        store.create_log(1, DAY),
        Err(StorageError::LogExists(1))
    ));
    for i in 0..50u64 {
        let n = (i % 3 + 1) as usize;
        let records = (0..n)
            .map(|j| rec("k", format!("{i}-{j}").as_bytes()))
            .collect();
        put(&*store, 1 + i % 2, T0, records).await.expect("append");
    }
    for log in [1, 2] {
        let batch = store.read(log, 0, ALL).await.expect("read");
        let offsets: Vec<u64> = batch.records.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, (0..offsets.len() as u64).collect::<Vec<_>>());
        assert!(!offsets.is_empty());
    }
    assert_eq!(store.logs(), vec![1, 2]);
    store.shutdown().await;
}

async fn read_limits(make: Factory<'_>) {
    let (store, _guard) = make(ManualClock::new(T0));
    store.create_log(7, DAY).expect("create");
    let records: Vec<_> = (0..100).map(|i| rec("k", &[i as u8; 100])).collect();
    put(&*store, 7, T0, records).await.expect("append");
    let b = store
        .read(
            7,
            10,
            ReadLimits {
                max_records: 5,
                max_bytes: usize::MAX,
            },
        )
        .await
        .expect("read");
    assert_eq!(
        b.records.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![10, 11, 12, 13, 14]
    );
    assert_eq!(b.next_offset, 15);
    // 101 bytes per record (1 key + 100 value): 350 bytes admits 3.
    let b = store
        .read(
            7,
            0,
            ReadLimits {
                max_records: 1000,
                max_bytes: 350,
            },
        )
        .await
        .expect("read");
    assert_eq!(b.records.len(), 3);
    // A single record larger than the byte budget is still returned.
    let b = store
        .read(
            7,
            0,
            ReadLimits {
                max_records: 1000,
                max_bytes: 10,
            },
        )
        .await
        .expect("read");
    assert_eq!(b.records.len(), 1);
    let b = store.read(7, 95, ALL).await.expect("read");
    assert_eq!(b.records.len(), 5);
    assert_eq!(b.next_offset, 100);
    store.shutdown().await;
}

async fn time_index(make: Factory<'_>) {
    let clock = ManualClock::new(T0);
    let (store, _guard) = make(clock.clone());
    store.create_log(1, DAY).expect("create");
    for i in 0..20i64 {
        put(&*store, 1, T0 + i * 1000, vec![rec("k", &[i as u8])])
            .await
            .expect("append");
    }
    clock.set(T0 + 20_000);
    assert_eq!(store.offset_at_time(1, T0 - 5).await.expect("seek"), 0);
    assert_eq!(store.offset_at_time(1, T0 + 5000).await.expect("seek"), 5);
    assert_eq!(store.offset_at_time(1, T0 + 5001).await.expect("seek"), 6);
    assert_eq!(
        store.offset_at_time(1, T0 + 99_000).await.expect("seek"),
        20
    );
    store.shutdown().await;
}

async fn retention_hides_expired_records(make: Factory<'_>) {
    let clock = ManualClock::new(T0);
    let (store, _guard) = make(clock.clone());
    store.create_log(1, DAY).expect("create");
    put(&*store, 1, T0, vec![rec("old", b"1"), rec("old", b"2")])
        .await
        .expect("append");
    clock.set(T0 + DAY / 2);
    put(&*store, 1, T0 + DAY / 2, vec![rec("new", b"3")])
        .await
        .expect("append");
    clock.set(T0 + DAY + 1);
    let b = store.read(1, 0, ALL).await.expect("read");
    assert_eq!(
        b.records.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![2]
    );
    let bounds = store.bounds(1).expect("bounds");
    assert_eq!((bounds.start_offset, bounds.next_offset), (2, 3));
    assert_eq!(store.offset_at_time(1, 0).await.expect("seek"), 2);
    // Longer retention brings nothing back that was deleted, but keeps what is still there.
    store.set_retention(1, 7 * DAY).expect("retention");
    clock.set(T0 + 2 * DAY);
    let b = store.read(1, 0, ALL).await.expect("read");
    assert!(b.records.iter().all(|r| r.offset >= 2));
    assert!(b.records.iter().any(|r| r.offset == 2));
    clock.set(T0 + 30 * DAY);
    let b = store.read(1, 0, ALL).await.expect("read");
    assert!(b.records.is_empty());
    assert_eq!(b.next_offset, 3);
    let bounds = store.bounds(1).expect("bounds");
    assert_eq!(
        (
            bounds.start_offset,
            bounds.next_offset,
            bounds.last_timestamp_ms
        ),
        (3, 3, None)
    );
    // Offsets continue after everything expired.
    assert_eq!(
        put(&*store, 1, T0 + 30 * DAY, vec![rec("k", b"4")])
            .await
            .expect("append"),
        3
    );
    store.shutdown().await;
}

async fn timestamps_never_decrease(make: Factory<'_>) {
    let (store, _guard) = make(ManualClock::new(T0));
    store.create_log(1, DAY).expect("create");
    put(&*store, 1, T0 + 100, vec![rec("k", b"a")])
        .await
        .expect("append");
    put(&*store, 1, T0 + 50, vec![rec("k", b"b")])
        .await
        .expect("append");
    let b = store.read(1, 0, ALL).await.expect("read");
    assert_eq!(
        b.records.iter().map(|r| r.timestamp_ms).collect::<Vec<_>>(),
        vec![T0 + 100, T0 + 100]
    );
    store.shutdown().await;
}

async fn unknown_and_deleted_logs(make: Factory<'_>) {
    let (store, _guard) = make(ManualClock::new(T0));
    assert!(matches!(
        put(&*store, 9, T0, vec![rec("k", b"v")]).await,
        Err(StorageError::LogNotFound(9))
    ));
    assert!(matches!(
        store.read(9, 0, ALL).await,
        Err(StorageError::LogNotFound(9))
    ));
    assert!(matches!(store.bounds(9), Err(StorageError::LogNotFound(9))));
    store.create_log(9, DAY).expect("create");
    put(&*store, 9, T0, vec![rec("k", b"v")])
        .await
        .expect("append");
    store.delete_log(9).expect("delete");
    assert!(matches!(
        store.read(9, 0, ALL).await,
        Err(StorageError::LogNotFound(9))
    ));
    assert!(matches!(
        put(&*store, 9, T0, vec![rec("k", b"v")]).await,
        Err(StorageError::LogNotFound(9))
    ));
    assert!(matches!(
        store.delete_log(9),
        Err(StorageError::LogNotFound(9))
    ));
    assert!(store.logs().is_empty());
    store.shutdown().await;
}

async fn multi_log_append(make: Factory<'_>) {
    let (store, _guard) = make(ManualClock::new(T0));
    for log in 0..10 {
        store.create_log(log, DAY).expect("create");
    }
    let appends = (0..10)
        .chain([99])
        .map(|log| LogAppend {
            log,
            timestamp_ms: T0,
            records: vec![rec("k", format!("{log}").as_bytes())],
        })
        .collect();
    let acks = store.append(appends).await;
    assert_eq!(acks.len(), 11);
    assert!(
        acks[..10]
            .iter()
            .all(|a| a.as_ref().is_ok_and(|a| a.first_offset == 0))
    );
    assert!(matches!(acks[10], Err(StorageError::LogNotFound(99))));
    for log in 0..10u64 {
        let b = store.read(log, 0, ALL).await.expect("read");
        assert_eq!(&b.records[0].value[..], format!("{log}").as_bytes());
    }
    store.shutdown().await;
}
