//! The disk backend across restarts: torn tails are cut, nothing acknowledged is lost, offsets
//! never go back, unreadable files stop recovery instead of being deleted, and retention deletes
//! whole segment files.

use sluice_storage::conformance::{self, rec};
use sluice_storage::disk::{DiskConfig, DiskLogStore};
use sluice_storage::{LogStore, ReadLimits, StorageError};
use sluice_types::ManualClock;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const T0: i64 = 1_700_000_000_000;
const HOUR: i64 = 3600 * 1000;
const ALL: ReadLimits = ReadLimits {
    max_records: usize::MAX,
    max_bytes: usize::MAX,
};

fn open(dir: &Path, clock: &ManualClock, small: bool) -> Result<DiskLogStore, StorageError> {
    let mut config = DiskConfig::new(dir);
    if small {
        config.segment_max_bytes = 400;
        config.wal_max_bytes = 600;
    }
    DiskLogStore::open(config, Arc::new(clock.clone()))
}

async fn put(store: &DiskLogStore, log: u64, ts: i64, n: usize, tag: &str) -> u64 {
    let records = (0..n)
        .map(|i| rec(&format!("{tag}-{i}"), format!("value {tag} {i}").as_bytes()))
        .collect();
    conformance::put(store, log, ts, records)
        .await
        .expect("append")
}

async fn keys(store: &DiskLogStore, log: u64) -> Vec<(u64, String)> {
    store
        .read(log, 0, ALL)
        .await
        .expect("read")
        .records
        .into_iter()
        .map(|r| (r.offset, String::from_utf8_lossy(&r.key).into_owned()))
        .collect()
}

fn segments(dir: &Path, log: u64) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir.join("logs").join(format!("{log:016x}")))
        .expect("log dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_tail_is_cut_and_offsets_continue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    {
        let store = open(dir.path(), &clock, false).expect("open");
        store.create_log(1, 24 * HOUR).expect("create");
        assert_eq!(put(&store, 1, T0, 3, "a").await, 0);
        assert_eq!(put(&store, 1, T0, 2, "b").await, 3);
        store.shutdown().await;
    }
    // A write that never completed: half a batch of garbage at the end of the active segment.
    let seg = segments(dir.path(), 1).pop().expect("a segment");
    let before = std::fs::metadata(&seg).expect("stat").len();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&seg)
        .expect("open seg")
        .write_all(&[0x40, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3])
        .expect("write garbage");

    let store = open(dir.path(), &clock, false).expect("reopen");
    assert_eq!(
        std::fs::metadata(&seg).expect("stat").len(),
        before,
        "the torn tail is cut"
    );
    let got = keys(&store, 1).await;
    assert_eq!(
        got.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(got[3].1, "b-0");
    assert_eq!(
        put(&store, 1, T0 + 1, 1, "c").await,
        5,
        "offsets continue, never reused"
    );
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_segments_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    {
        let store = open(dir.path(), &clock, true).expect("open");
        store.create_log(7, 24 * HOUR).expect("create");
        for round in 0..40 {
            put(&store, 7, T0 + round, 3, &format!("r{round}")).await;
        }
        store.shutdown().await;
    }
    assert!(
        segments(dir.path(), 7).len() > 3,
        "small segments roll over"
    );
    let store = open(dir.path(), &clock, true).expect("reopen");
    let got = keys(&store, 7).await;
    assert_eq!(got.len(), 120);
    assert!(got.iter().enumerate().all(|(i, (o, _))| *o == i as u64));
    assert_eq!(got[119].1, "r39-2");
    // The time index still answers after a restart.
    let at = store
        .offset_at_time(7, T0 + 20)
        .await
        .expect("offset at time");
    assert_eq!(at, 60);
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_segment_version_stops_recovery_and_keeps_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    {
        let store = open(dir.path(), &clock, false).expect("open");
        store.create_log(1, 24 * HOUR).expect("create");
        put(&store, 1, T0, 3, "a").await;
        store.shutdown().await;
    }
    let seg = segments(dir.path(), 1).pop().expect("segment");
    let mut bytes = std::fs::read(&seg).expect("read");
    let len = bytes.len();
    bytes[4] = 99; // format version field
    std::fs::write(&seg, &bytes).expect("write");
    let err = open(dir.path(), &clock, false)
        .err()
        .expect("refuses to open");
    assert!(
        err.to_string()
            .contains("unsupported segment format version 99"),
        "{err}"
    );
    assert_eq!(
        std::fs::metadata(&seg).expect("still there").len() as usize,
        len
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_log_conf_stops_recovery_and_keeps_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    {
        let store = open(dir.path(), &clock, false).expect("open");
        store.create_log(3, 24 * HOUR).expect("create");
        put(&store, 3, T0, 2, "a").await;
        store.shutdown().await;
    }
    let conf = dir
        .path()
        .join("logs")
        .join(format!("{:016x}", 3))
        .join("log.conf");
    let text = std::fs::read_to_string(&conf).expect("conf");
    std::fs::write(&conf, text.replace("version=1", "version=2")).expect("write");
    let err = open(dir.path(), &clock, false)
        .err()
        .expect("refuses to open");
    assert!(
        err.to_string()
            .contains("unsupported log.conf format version 2"),
        "{err}"
    );
    assert_eq!(
        segments(dir.path(), 3).len(),
        1,
        "the log's data is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_whole_expired_segments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    let store = open(dir.path(), &clock, true).expect("open");
    store.create_log(1, 24 * HOUR).expect("create");
    for round in 0..20 {
        put(&store, 1, T0 + round * HOUR / 10, 3, &format!("old{round}")).await;
    }
    clock.set(T0 + 30 * HOUR);
    for round in 0..5 {
        put(&store, 1, T0 + 30 * HOUR + round, 3, &format!("new{round}")).await;
    }
    let before = segments(dir.path(), 1).len();
    // Expired records are hidden before the files go...
    let visible = keys(&store, 1).await;
    assert!(
        visible.iter().all(|(_, k)| k.starts_with("new")),
        "{visible:?}"
    );
    assert_eq!(visible.len(), 15);
    // ...and the files go as wholes.
    let deleted = store.enforce_retention();
    assert!(deleted > 0);
    assert_eq!(segments(dir.path(), 1).len(), before - deleted);
    assert_eq!(keys(&store, 1).await, visible);
    let bounds = store.bounds(1).expect("bounds");
    assert_eq!(bounds.start_offset, 60);
    assert_eq!(bounds.next_offset, 75);
    store.shutdown().await;
}

/// Copies a live store's files: what a crash at this instant would leave, given that nothing
/// is being written while it runs (every append before it was acknowledged).
fn crash_image(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            crash_image(&entry.path(), &target);
        } else {
            match std::fs::copy(entry.path(), &target) {
                Ok(_) => {}
                // The checkpoint thread removed an old WAL file meanwhile: its data is in the
                // segments already.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("copy {}: {e}", entry.path().display()),
            }
        }
    }
}

fn wal_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out: Vec<_> = std::fs::read_dir(dir.join("wal"))
        .expect("wal dir")
        .map(|e| {
            let p = e.expect("entry").path();
            let len = std::fs::metadata(&p).expect("stat").len();
            (p, len)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_while_writing_into_a_prepared_wal_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    let mut config = DiskConfig::new(dir.path());
    config.segment_max_bytes = 64 * 1024;
    config.wal_max_bytes = 4096;
    // The preparer zero-fills files of wal_max_bytes + a quarter.
    let prepared_len = 4096 + 1024;
    let store = DiskLogStore::open(config, Arc::new(clock.clone())).expect("open");
    store.create_log(3, 24 * HOUR).expect("create");
    let mut written = 0;
    let mut in_prepared = false;
    for round in 0..400 {
        put(&store, 3, T0 + round, 2, &format!("r{round}")).await;
        written += 2;
        // The newest WAL file is the one being written; once it is a prepared one holding
        // entries past its header, take the image.
        let current = wal_files(dir.path())
            .into_iter()
            .rev()
            .find(|(p, _)| std::fs::read(p).is_ok_and(|d| d.len() >= 4 && d[..4] == *b"SLWL"));
        if current.is_some_and(|(_, len)| len == prepared_len) {
            in_prepared = true;
            if round > 20 {
                break;
            }
        }
        // Give the preparer a moment between rounds, as a real load would.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(
        in_prepared,
        "the writer never wrote into a prepared WAL file"
    );
    crash_image(dir.path(), image.path());
    store.shutdown().await;
    assert!(
        wal_files(dir.path()).is_empty(),
        "a clean shutdown leaves no WAL file, prepared or not"
    );

    let store = open(image.path(), &clock, false).expect("recover the crash image");
    let got = keys(&store, 3).await;
    assert_eq!(got.len(), written, "every acknowledged record is back");
    assert!(got.iter().enumerate().all(|(i, (o, _))| *o == i as u64));
    let next = put(&store, 3, T0 + 10_000, 1, "after").await;
    assert_eq!(next, written as u64, "offsets continue after recovery");
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_still_in_memory_tails_are_read_and_survive_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    let store = open(dir.path(), &clock, false).expect("open");
    let logs: Vec<u64> = (100..160).collect();
    for &log in &logs {
        store.create_log(log, 24 * HOUR).expect("create");
    }
    // Small appends to many logs: each segment's bytes stay in its in-memory tail (far below
    // the flush size, and no WAL rotation), yet every read sees them.
    for round in 0..5 {
        for &log in &logs {
            put(&store, log, T0 + round, 1, &format!("{log}-{round}")).await;
        }
    }
    for &log in &logs {
        let got = keys(&store, log).await;
        assert_eq!(got.len(), 5, "log {log}");
        assert_eq!(got[4].1, format!("{log}-4-0"));
        assert_eq!(
            store.offset_at_time(log, T0 + 3).await.expect("at time"),
            3,
            "the time lookup reads batch headers from the tail too"
        );
    }
    let seg = segments(dir.path(), logs[0]).pop().expect("a segment");
    assert!(
        std::fs::metadata(&seg).expect("stat").len() < 100,
        "the records are not in the segment file yet"
    );
    crash_image(dir.path(), image.path());
    store.shutdown().await;
    assert!(
        std::fs::metadata(&seg).expect("stat").len() > 100,
        "a clean shutdown writes the tails out"
    );

    // The crash image has no tail bytes in its segment files: the WAL brings them back.
    let store = open(image.path(), &clock, false).expect("recover");
    for &log in &logs {
        let got = keys(&store, log).await;
        assert_eq!(got.len(), 5, "log {log} after the crash");
        assert_eq!(got[0].1, format!("{log}-0-0"));
    }
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_write_queue_bound_slows_appends_but_loses_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::new(T0);
    let mut config = DiskConfig::new(dir.path());
    config.max_queued_bytes = 4096;
    let store = Arc::new(DiskLogStore::open(config, Arc::new(clock.clone())).expect("open"));
    store.create_log(1, 24 * HOUR).expect("create");
    let mut tasks = Vec::new();
    for i in 0..60u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Some appends are bigger than the whole bound: they still go, alone.
            let size = if i.is_multiple_of(3) { 10_000 } else { 1_000 };
            let value = vec![i as u8; size];
            conformance::put(&*store, 1, T0, vec![rec(&format!("k{i}"), &value)])
                .await
                .expect("append")
        }));
    }
    let mut offsets = Vec::new();
    for t in tasks {
        offsets.push(t.await.expect("task"));
    }
    offsets.sort_unstable();
    assert_eq!(offsets, (0..60).collect::<Vec<_>>());
    let got = store.read(1, 0, ALL).await.expect("read").records;
    assert_eq!(got.len(), 60);
    for r in &got {
        let i: u64 = String::from_utf8_lossy(&r.key)[1..].parse().expect("key");
        let size = if i.is_multiple_of(3) { 10_000 } else { 1_000 };
        assert_eq!(r.value.len(), size);
        assert!(r.value.iter().all(|&b| b == i as u8));
    }
    store.shutdown().await;
}
