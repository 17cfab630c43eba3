//! A full disk, on a small tmpfs the test mounts (skipped, saying so, where it cannot mount):
//! writes fail with `Full` and a message naming the cause, nothing refused is stored (not even
//! after a restart), deleting a log frees its space while the store runs, and writes resume by
//! themselves once there is room.

use sluice_storage::conformance::rec;
use sluice_storage::disk::{DiskConfig, DiskLogStore};
use sluice_storage::{LogAppend, LogStore, ReadLimits, StorageError};
use sluice_types::ManualClock;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const T0: i64 = 1_700_000_000_000;
const DAY: i64 = 24 * 3600 * 1000;

/// A tmpfs of `mib` MiB mounted on a fresh directory, unmounted on drop.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(mib: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs(dir))
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

fn open(dir: &Path) -> DiskLogStore {
    let mut c = DiskConfig::new(dir);
    c.segment_max_bytes = 1024 * 1024;
    c.wal_max_bytes = 512 * 1024;
    DiskLogStore::open(c, Arc::new(ManualClock::new(T0))).expect("open")
}

async fn append(
    store: &DiskLogStore,
    log: u64,
    key: &str,
    size: usize,
) -> Result<u64, StorageError> {
    let mut acks = store
        .append(vec![LogAppend {
            log,
            timestamp_ms: T0,
            records: vec![rec(key, &vec![7u8; size])],
        }])
        .await;
    acks.pop().expect("one ack").map(|a| a.first_offset)
}

async fn stored_keys(store: &DiskLogStore, log: u64) -> Vec<String> {
    let limits = ReadLimits {
        max_records: usize::MAX,
        max_bytes: usize::MAX,
    };
    let mut out = Vec::new();
    let mut from = 0;
    loop {
        let batch = store.read(log, from, limits).await.expect("read");
        if batch.records.is_empty() {
            return out;
        }
        for r in &batch.records {
            assert_eq!(r.offset, out.len() as u64, "offsets have no holes");
            out.push(String::from_utf8_lossy(&r.key).into_owned());
        }
        from = batch.next_offset;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_cleanly_and_they_resume_when_space_returns() {
    let Some(fs) = Tmpfs::mount(8) else {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the disk-full test did not run"
        );
        return;
    };
    let store = open(fs.path());
    store.create_log(1, DAY).expect("create");
    store.create_log(2, DAY).expect("create");
    // Filler that deleting log 2 frees again.
    for i in 0..30 {
        append(&store, 2, &format!("filler-{i}"), 64 * 1024)
            .await
            .expect("filler fits");
    }
    let mut acked = Vec::new();
    let mut refused = HashSet::new();
    let mut first_error = None;
    for i in 0..400 {
        let key = format!("k{i}");
        match append(&store, 1, &key, 48 * 1024).await {
            Ok(offset) => {
                // Refused appends took no offsets.
                assert_eq!(offset, acked.len() as u64);
                acked.push(key);
            }
            Err(e) => {
                first_error.get_or_insert(e);
                refused.insert(key);
                if refused.len() >= 20 {
                    break;
                }
            }
        }
    }
    eprintln!("acknowledged {}, refused {}", acked.len(), refused.len());
    let err = first_error.expect("the disk filled up");
    assert!(matches!(err, StorageError::Full(_)), "{err:?}");
    assert!(err.to_string().contains("No space left on device"), "{err}");
    let problem = store
        .write_problem()
        .expect("the store reports the failure");
    assert!(problem.contains("No space left"), "{problem}");

    // Deleting a log frees its files while the store runs; the writer notices the room.
    store.delete_log(2).expect("delete");
    let mut waited = 0;
    while store.write_problem().is_some() {
        assert!(
            waited < 100,
            "writes never resumed: {:?}",
            store.write_problem()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    for i in 0..5 {
        let key = format!("after-{i}");
        let offset = append(&store, 1, &key, 48 * 1024)
            .await
            .expect("room again");
        assert_eq!(offset, acked.len() as u64, "offsets continue with no gap");
        acked.push(key);
    }
    assert_eq!(stored_keys(&store, 1).await, acked);
    store.shutdown().await;

    // After a restart: every acknowledged record, and none that was refused.
    let store = open(fs.path());
    let keys = stored_keys(&store, 1).await;
    assert_eq!(keys, acked);
    assert!(keys.iter().all(|k| !refused.contains(k)));
    assert!(store.logs() == vec![1], "log 2 stays deleted");
    store.shutdown().await;
}
