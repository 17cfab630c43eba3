//! Opening after a crash: load each log's segments (trusting index files written by completed
//! checkpoints, scanning and checksumming the rest), cut torn tails, then replay the WAL.

use super::segment::{self, Segment};
use super::wal::{self, WalReader};
use super::writer::Writer;
use super::{LogState, sync_dir};
use crate::{LogId, StorageError};
use parking_lot::RwLock;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};

fn io(context: &'static str) -> impl Fn(std::io::Error) -> StorageError {
    move |e| StorageError::fatal(context, e)
}

pub(crate) fn load_logs(logs_dir: &Path) -> Result<Vec<LogState>, StorageError> {
    let mut logs = Vec::new();
    for entry in std::fs::read_dir(logs_dir).map_err(io("list logs"))? {
        let entry = entry.map_err(io("list logs"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(id) = LogId::from_str_radix(&name, 16) else {
            continue;
        };
        let dir = entry.path();
        match read_log_conf(&dir)? {
            Some((retention_ms, floor)) => logs.push(load_log(id, &dir, retention_ms, floor)?),
            None => {
                // A log whose creation never completed.
                tracing::warn!(log = id, "removing incompletely created log");
                std::fs::remove_dir_all(&dir).map_err(io("remove log"))?;
            }
        }
    }
    Ok(logs)
}

/// `(retention_ms, trim_floor)` from a log's settings file; `None` if the file does not exist
/// (the log's creation never completed: `log.conf` is written last). A file that exists but does
/// not parse, or names another format version, stops recovery: deleting the log would lose data.
fn read_log_conf(dir: &Path) -> Result<Option<(i64, u64)>, StorageError> {
    let path = dir.join("log.conf");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StorageError::fatal("read log.conf", e)),
    };
    let bad = |what: &str| StorageError::Fatal(format!("{}: {what}", path.display()));
    let mut version = None;
    let mut retention = None;
    let mut floor = 0;
    for line in text.lines() {
        match line.split_once('=') {
            Some(("version", v)) => {
                version = Some(v.parse::<u32>().map_err(|_| bad("bad version"))?)
            }
            Some(("retention_ms", v)) => {
                retention = Some(v.parse::<i64>().map_err(|_| bad("bad retention_ms"))?)
            }
            Some(("trim_floor", v)) => {
                floor = v.parse::<u64>().map_err(|_| bad("bad trim_floor"))?
            }
            _ => {}
        }
    }
    match version {
        Some(LOG_CONF_VERSION) => {}
        Some(v) => return Err(bad(&format!("unsupported log.conf format version {v}"))),
        None => return Err(bad("no version line")),
    }
    Ok(Some((
        retention.ok_or_else(|| bad("no retention_ms line"))?,
        floor,
    )))
}

/// The `version=` of `log.conf` files this build reads and writes.
pub(crate) const LOG_CONF_VERSION: u32 = 1;

fn load_log(
    id: LogId,
    dir: &Path,
    retention_ms: i64,
    trim_floor: u64,
) -> Result<LogState, StorageError> {
    let mut bases = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("list segments"))? {
        let entry = entry.map_err(io("list segments"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(base) = segment::parse_segment_name(&name) {
            bases.push(base);
        } else if name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        } else if let Some(stem) = name.strip_suffix(".idx")
            && !dir.join(format!("{stem}.seg")).exists()
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    bases.sort_unstable();
    let mut segments: Vec<Arc<Segment>> = Vec::new();
    let mut cut = false;
    for (i, &base) in bases.iter().enumerate() {
        let path = segment::segment_path(dir, base);
        if cut {
            // Everything after a torn segment is newer than the last checkpoint: the WAL has it.
            let _ = std::fs::remove_file(segment::index_path(&path));
            std::fs::remove_file(&path).map_err(io("remove segment"))?;
            continue;
        }
        let is_last = i + 1 == bases.len();
        let trusted = if is_last {
            None
        } else {
            segment::read_index_file(&path, base)
        };
        let index = match trusted {
            Some(index) => index,
            None => {
                let scan = segment::scan_segment(&path, base)?;
                let follows = bases
                    .get(i + 1)
                    .is_none_or(|&next| next == scan.index.next_offset);
                if scan.torn || !follows {
                    tracing::warn!(
                        log = id,
                        segment = base,
                        valid_to = scan.index.end_pos,
                        "cutting torn segment tail"
                    );
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(io("open segment"))?;
                    f.set_len(scan.index.end_pos.max(segment::SEGMENT_HEADER_LEN))
                        .map_err(io("truncate segment"))?;
                    if scan.index.end_pos < segment::SEGMENT_HEADER_LEN {
                        use std::os::unix::fs::FileExt;
                        f.write_all_at(&segment::segment_header(base), 0)
                            .map_err(io("rewrite segment header"))?;
                    }
                    f.sync_all().map_err(io("sync segment"))?;
                    let _ = std::fs::remove_file(segment::index_path(&path));
                    cut = true;
                }
                scan.index
            }
        };
        segments.push(Arc::new(Segment::new(base, path, index)));
    }
    if cut {
        sync_dir(dir)?;
    }
    let next = segments.last().map_or(0, |s| s.index.lock().next_offset);
    Ok(LogState {
        id,
        dir: dir.to_path_buf(),
        retention_ms: AtomicI64::new(retention_ms),
        segments: RwLock::new(segments),
        durable_next: AtomicU64::new(next),
        trim_floor: AtomicU64::new(trim_floor),
        deleted: AtomicBool::new(false),
    })
}

/// Re-applies every WAL entry that the segments lack, makes the result durable, then removes the
/// replayed WAL files.
pub(crate) fn replay_wal(wal_dir: &Path, writer: &mut Writer) -> Result<(), StorageError> {
    let mut seqs = Vec::new();
    for entry in std::fs::read_dir(wal_dir).map_err(io("list WAL"))? {
        let entry = entry.map_err(io("list WAL"))?;
        if let Some(seq) = wal::parse_wal_name(&entry.file_name().to_string_lossy()) {
            seqs.push(seq);
        }
    }
    seqs.sort_unstable();
    let mut replayed = 0u64;
    let mut files = Vec::new();
    for &seq in &seqs {
        let path = wal::wal_path(wal_dir, seq);
        let data = std::fs::read(&path).map_err(io("read WAL"))?;
        for entry in WalReader::new(&data)? {
            if writer.replay(entry.log_id, entry.batch)? {
                replayed += 1;
            }
        }
        files.push(path);
    }
    writer.next_wal_seq = seqs.last().map_or(1, |s| s + 1);
    if replayed > 0 {
        tracing::info!(batches = replayed, "replayed write-ahead log");
    }
    writer.checkpoint_inline(files)?;
    sync_dir(wal_dir)
}
