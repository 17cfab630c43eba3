//! Damaged data directories: only a torn tail is cut. Damage with intact batches behind it is
//! repaired from the write-ahead log where the WAL holds the records, else the open is refused
//! (naming the file and what follows) or, with salvage, the intact records are kept. A full
//! disk fails writes cleanly: nothing refused comes back, and writes resume once there is room.

use sluice_storage::conformance::{self, rec};
use sluice_storage::disk::{DiskConfig, DiskLogStore};
use sluice_storage::{LogStore, ReadLimits, StorageError};
use sluice_types::ManualClock;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const T0: i64 = 1_700_000_000_000;
const DAY: i64 = 24 * 3600 * 1000;
const ALL: ReadLimits = ReadLimits {
    max_records: usize::MAX,
    max_bytes: usize::MAX,
};

fn config(dir: &Path, salvage: bool) -> DiskConfig {
    let mut c = DiskConfig::new(dir);
    c.salvage = salvage;
    c
}

fn open(dir: &Path, salvage: bool) -> Result<DiskLogStore, StorageError> {
    DiskLogStore::open(config(dir, salvage), Arc::new(ManualClock::new(T0)))
}

/// One batch of `n` records, each `size` bytes.
async fn put(store: &DiskLogStore, log: u64, n: usize, size: usize, tag: &str) -> u64 {
    let records = (0..n)
        .map(|i| rec(&format!("{tag}-{i}"), &vec![b'x'; size]))
        .collect();
    conformance::put(store, log, T0, records)
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

fn flip(path: &Path, at: u64) {
    let mut data = std::fs::read(path).expect("read");
    data[at as usize] ^= 0x55;
    std::fs::write(path, data).expect("write");
}

/// Batch positions in a segment file: the header is 16 bytes, each batch's first u32 its length
/// after the first 8 bytes.
fn batch_starts(path: &Path) -> Vec<u64> {
    let data = std::fs::read(path).expect("read");
    let mut out = Vec::new();
    let mut pos = 16usize;
    while pos + 8 <= data.len() {
        out.push(pos as u64);
        let len = u32::from_le_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        pos += len + 8;
    }
    out
}

/// Three batches of 10 records, written and checkpointed by a clean shutdown (no WAL left).
async fn three_batches(dir: &Path) -> PathBuf {
    let store = open(dir, false).expect("open");
    store.create_log(1, DAY).expect("create");
    put(&store, 1, 10, 100, "a").await;
    put(&store, 1, 10, 100, "b").await;
    put(&store, 1, 10, 100, "c").await;
    store.shutdown().await;
    segments(dir, 1).pop().expect("a segment")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_in_the_middle_of_a_segment_refuses_the_open_and_cuts_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seg = three_batches(dir.path()).await;
    let middle = batch_starts(&seg)[1];
    flip(&seg, middle + 40);
    let before = std::fs::read(&seg).expect("read");

    let err = match open(dir.path(), false) {
        Err(StorageError::Fatal(msg)) => msg,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a store with damaged acknowledged records opened silently"),
    };
    assert!(
        err.contains(&seg.display().to_string()),
        "names the file: {err}"
    );
    assert!(
        err.contains(&format!("damaged at byte {middle}")),
        "names the position: {err}"
    );
    assert!(
        err.contains("records from offset 10"),
        "names the first damaged offset: {err}"
    );
    assert!(
        err.contains("10 intact records follow it"),
        "says what follows: {err}"
    );
    assert!(
        err.contains("--salvage-damaged-logs"),
        "names the way out: {err}"
    );
    assert_eq!(
        std::fs::read(&seg).expect("read"),
        before,
        "the file is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salvage_keeps_the_intact_records_behind_the_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seg = three_batches(dir.path()).await;
    flip(&seg, batch_starts(&seg)[1] + 40);

    let store = open(dir.path(), true).expect("salvage opens");
    let got = keys(&store, 1).await;
    let expect: Vec<(u64, String)> = (0..10)
        .map(|i| (i, format!("a-{i}")))
        .chain((0..10).map(|i| (20 + i, format!("c-{i}"))))
        .collect();
    assert_eq!(
        got, expect,
        "the damaged batch goes, the intact one behind it stays"
    );
    assert_eq!(
        put(&store, 1, 1, 10, "d").await,
        30,
        "offsets continue past the kept records"
    );
    store.shutdown().await;

    // The gap is recorded: a later plain open accepts it.
    let store = open(dir.path(), false).expect("reopen without salvage");
    let got = keys(&store, 1).await;
    assert_eq!(got.len(), 21);
    assert_eq!(got.last().map(|(o, _)| *o), Some(30));
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_sealed_segment_does_not_take_the_segments_after_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut c = config(dir.path(), false);
        c.segment_max_bytes = 4096;
        let store = DiskLogStore::open(c, Arc::new(ManualClock::new(T0))).expect("open");
        store.create_log(2, DAY).expect("create");
        for round in 0..12 {
            put(&store, 2, 10, 100, &format!("r{round}")).await;
        }
        store.shutdown().await;
    }
    let segs = segments(dir.path(), 2);
    assert!(segs.len() >= 3, "several segments: {segs:?}");
    let victim = &segs[0];
    let len = std::fs::metadata(victim).expect("stat").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(victim)
        .expect("open")
        .set_len(len - 50)
        .expect("truncate");

    let err = open(dir.path(), false).err().expect("refused");
    assert!(
        err.to_string()
            .contains(&format!("in {} later segment files", segs.len() - 1)),
        "{err}"
    );
    for s in &segs[1..] {
        assert!(s.exists(), "{} was kept", s.display());
    }

    let store = open(dir.path(), true).expect("salvage opens");
    let got = keys(&store, 2).await;
    // The truncated segment's last batch (10 records) is lost; every later segment stays.
    assert_eq!(got.len(), 110, "{got:?}");
    assert_eq!(got.last().map(|(o, _)| *o), Some(119));
    store.shutdown().await;
}

/// Copies a data directory; a live one as a crash would leave it (the page cache is the disk).
fn crash_image(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            crash_image(&entry.path(), &target);
        } else if let Err(e) = std::fs::copy(entry.path(), &target)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            panic!("copy {}: {e}", entry.path().display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_the_wal_still_holds_is_repaired_from_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path(), false).expect("open");
    store.create_log(3, DAY).expect("create");
    // Batches past the tail threshold go to the segment file at once.
    for tag in ["a", "b", "c"] {
        put(&store, 3, 4, 10_000, tag).await;
    }
    crash_image(dir.path(), image.path());
    store.shutdown().await;
    let seg = segments(image.path(), 3).pop().expect("segment");
    let starts = batch_starts(&seg);
    assert_eq!(starts.len(), 3, "the batches are in the file");
    flip(&seg, starts[1] + 100);

    let store = open(image.path(), false).expect("the WAL repairs it");
    let got = keys(&store, 3).await;
    assert_eq!(got.len(), 12, "every acknowledged record is back");
    assert!(got.iter().enumerate().all(|(i, (o, _))| *o == i as u64));
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_wal_entry_whose_records_the_segments_hold_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let image = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path(), false).expect("open");
    store.create_log(4, DAY).expect("create");
    for tag in ["a", "b", "c"] {
        put(&store, 4, 4, 10_000, tag).await;
    }
    crash_image(dir.path(), image.path());
    store.shutdown().await;
    let wal = std::fs::read_dir(image.path().join("wal"))
        .expect("wal")
        .map(|e| e.expect("entry").path())
        .find(|p| std::fs::read(p).is_ok_and(|d| d.starts_with(b"SLWL")))
        .expect("a written WAL file");
    // Into the first entry's batch (header 8 + entry header 12 + batch header 28).
    flip(&wal, 8 + 12 + 28 + 5);

    let store = open(image.path(), false).expect("open");
    let got = keys(&store, 4).await;
    assert_eq!(got.len(), 12);
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_damaged_batch_names_the_file_and_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut c = config(dir.path(), false);
        c.segment_max_bytes = 4096;
        let store = DiskLogStore::open(c, Arc::new(ManualClock::new(T0))).expect("open");
        store.create_log(5, DAY).expect("create");
        for round in 0..8 {
            put(&store, 5, 10, 100, &format!("r{round}")).await;
        }
        store.shutdown().await;
    }
    // A sealed segment with an index file is trusted at open: the damage shows at read time.
    let seg = segments(dir.path(), 5).remove(0);
    flip(&seg, batch_starts(&seg)[0] + 60);
    let store = open(dir.path(), false).expect("open");
    let err = store.read(5, 0, ALL).await.expect_err("damage is reported");
    let msg = err.to_string();
    let name = seg
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(msg.contains(&name) && msg.contains("at byte 16"), "{msg}");
    assert!(
        !msg.contains(&dir.path().display().to_string()),
        "no server path: {msg}"
    );
    store.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_to_the_last_batches_after_a_clean_shutdown_is_not_taken_for_a_torn_tail() {
    for cut in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let seg = three_batches(dir.path()).await;
        let last = *batch_starts(&seg).last().expect("batches");
        if cut {
            let len = std::fs::metadata(&seg).expect("stat").len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&seg)
                .expect("open")
                .set_len(len - 7)
                .expect("truncate");
        } else {
            flip(&seg, last + 30);
        }
        let err = open(dir.path(), false).err().expect("refused");
        assert!(err.to_string().contains("held offsets up to 29"), "{err}");
        // Salvage accepts the loss of the damaged last batch, and a plain open then works.
        let store = open(dir.path(), true).expect("salvage");
        assert_eq!(keys(&store, 1).await.len(), 20);
        store.shutdown().await;
        let store = open(dir.path(), false).expect("reopen");
        assert_eq!(put(&store, 1, 1, 10, "d").await, 20);
        store.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appended_log_reopens_cleanly_many_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    for round in 0..4u64 {
        let store = open(dir.path(), false).expect("open");
        if round == 0 {
            store.create_log(1, DAY).expect("create");
        }
        assert_eq!(
            put(&store, 1, 5, 100, &format!("r{round}")).await,
            round * 5
        );
        store.shutdown().await;
    }
    let store = open(dir.path(), false).expect("open");
    assert_eq!(keys(&store, 1).await.len(), 20);
    store.shutdown().await;
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("list") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every file of a data directory, flipped at many places and cut at many lengths: the store
/// either refuses to open, or opens and reads back every record exactly, or reports the damage
/// when read. It never opens and silently returns fewer or other records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_damage_to_any_file_loses_records_silently() {
    let pristine = tempfile::tempdir().expect("tempdir");
    {
        let mut c = config(pristine.path(), false);
        c.segment_max_bytes = 4096;
        let store = DiskLogStore::open(c, Arc::new(ManualClock::new(T0))).expect("open");
        store.create_log(1, DAY).expect("create");
        for round in 0..8 {
            put(&store, 1, 10, 100, &format!("r{round}")).await;
        }
        store.shutdown().await;
    }
    let expect: Vec<(u64, String)> = {
        let store = open(pristine.path(), false).expect("open");
        let k = keys(&store, 1).await;
        store.shutdown().await;
        k
    };
    assert_eq!(expect.len(), 80);
    let mut all = Vec::new();
    files(pristine.path(), &mut all);
    let mut cases = 0;
    for file in &all {
        let rel = file.strip_prefix(pristine.path()).expect("inside");
        let len = std::fs::metadata(file).expect("stat").len();
        let mut damages: Vec<(bool, u64)> = (0..12).map(|i| (true, len * i / 12)).collect();
        damages.extend((1..6).map(|i| (false, len * i / 6)));
        damages.push((false, len.saturating_sub(1)));
        for (is_flip, at) in damages {
            if at >= len {
                continue;
            }
            let work = tempfile::tempdir().expect("tempdir");
            crash_image(pristine.path(), work.path());
            let target = work.path().join(rel);
            if is_flip {
                flip(&target, at);
            } else {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .expect("open")
                    .set_len(at)
                    .expect("cut");
            }
            cases += 1;
            let what = format!(
                "{} {} at {at}",
                rel.display(),
                if is_flip { "flipped" } else { "cut" }
            );
            let Ok(store) = open(work.path(), false) else {
                continue; // refused: reported, nothing lost
            };
            match store.read(1, 0, ALL).await {
                Err(_) => {} // reported at read
                Ok(batch) => {
                    let got: Vec<(u64, String)> = batch
                        .records
                        .into_iter()
                        .map(|r| (r.offset, String::from_utf8_lossy(&r.key).into_owned()))
                        .collect();
                    assert_eq!(got, expect, "{what}: opened and lost records silently");
                }
            }
            store.shutdown().await;
        }
    }
    assert!(cases > 50, "{cases} cases");
}
