//! Opening after a crash: read the WAL, load each log's segments (trusting index files written
//! by completed checkpoints, scanning and checksumming the rest), decide what to do with damage,
//! then replay the WAL.
//!
//! Damage is anything past a log's valid prefix: invalid bytes in a segment, or a segment that
//! ends before the next one begins. What follows decides:
//! - nothing valid follows (a torn tail), or the WAL holds every record from the damage on (the
//!   damaged data was written after the last checkpoint): the log is cut there and the WAL
//!   replayed, so nothing acknowledged is lost;
//! - valid batches follow and the WAL does not hold them: the data was checkpointed and has been
//!   damaged since. Recovery refuses to open the store, naming the file, the position and what
//!   follows, or with [`super::DiskConfig::salvage`] keeps the intact batches and drops the
//!   damaged ones (their offsets become a gap that `log.conf` records).

use super::segment::{self, ScanResult, Segment, SegmentIndex};
use super::wal::{self, WalReader};
use super::writer::Writer;
use super::{LogState, sync_dir, write_log_conf};
use crate::codec::BatchHeader;
use crate::{LogId, StorageError};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};

fn io(context: &'static str, path: &Path) -> impl Fn(std::io::Error) -> StorageError {
    move |e| StorageError::Fatal(format!("{context} {}: {e}", path.display()))
}

/// The write-ahead log as found at open, read once.
pub(crate) struct WalImage {
    files: Vec<(PathBuf, Vec<u8>)>,
    /// Valid entries in replay order: (file, entry start, whether it lies past damage).
    entries: Vec<(usize, usize, bool)>,
    /// Per log, the first offset the WAL holds (from the entries before any damage): the log's
    /// records from there on are safe to cut from its segments.
    first_offset: HashMap<LogId, u64>,
    /// The first damaged place with valid entries behind it.
    damage: Option<(PathBuf, usize)>,
    next_seq: u64,
}

pub(crate) fn read_wal(wal_dir: &Path) -> Result<WalImage, StorageError> {
    let mut seqs = Vec::new();
    for entry in std::fs::read_dir(wal_dir).map_err(io("list", wal_dir))? {
        let entry = entry.map_err(io("list", wal_dir))?;
        if let Some(seq) = wal::parse_wal_name(&entry.file_name().to_string_lossy()) {
            seqs.push(seq);
        }
    }
    seqs.sort_unstable();
    let mut image = WalImage {
        files: Vec::new(),
        entries: Vec::new(),
        first_offset: HashMap::new(),
        damage: None,
        next_seq: seqs.last().map_or(1, |s| s + 1),
    };
    for &seq in &seqs {
        let path = wal::wal_path(wal_dir, seq);
        let data = std::fs::read(&path).map_err(io("read WAL", &path))?;
        let file = image.files.len();
        {
            let mut reader = WalReader::new(&data)
                .map_err(|e| StorageError::Fatal(format!("{}: {e}", path.display())))?;
            loop {
                let start = reader.position();
                match reader.next() {
                    Some(entry) => {
                        let past_damage = image.damage.is_some();
                        if !past_damage && let Some(h) = header(entry.batch) {
                            image
                                .first_offset
                                .entry(entry.log_id)
                                .or_insert(h.base_offset);
                        }
                        image.entries.push((file, start, past_damage));
                    }
                    None => match reader.find_entry(start + 1) {
                        // Valid entries behind invalid bytes: not a torn tail.
                        Some(next) => {
                            image.damage.get_or_insert((path.clone(), start));
                            reader.seek(next);
                        }
                        None => break,
                    },
                }
            }
        }
        image.files.push((path, data));
    }
    if let Some((path, pos)) = &image.damage {
        tracing::error!(file = %path.display(), position = pos, "the write-ahead log is damaged; valid entries follow the damage");
    }
    Ok(image)
}

fn header(batch: &[u8]) -> Option<BatchHeader> {
    match crate::codec::check_batch(batch) {
        crate::codec::DecodeOutcome::Batch(h) => Some(h),
        _ => None,
    }
}

pub(crate) fn load_logs(
    logs_dir: &Path,
    wal: &WalImage,
    salvage: bool,
) -> Result<Vec<LogState>, StorageError> {
    let mut logs = Vec::new();
    for entry in std::fs::read_dir(logs_dir).map_err(io("list", logs_dir))? {
        let entry = entry.map_err(io("list", logs_dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(id) = LogId::from_str_radix(&name, 16) else {
            continue;
        };
        let dir = entry.path();
        match read_log_conf(&dir)? {
            Some(conf) => logs.push(load_log(id, &dir, conf, wal, salvage)?),
            None => {
                // A log whose creation never completed.
                tracing::warn!(log = id, "removing incompletely created log");
                std::fs::remove_dir_all(&dir).map_err(io("remove", &dir))?;
            }
        }
    }
    Ok(logs)
}

/// A log's settings file.
pub(crate) struct LogConf {
    pub retention_ms: i64,
    pub trim_floor: u64,
    /// Offset ranges `[from, to)` that salvage gave up: their records were damaged.
    pub gaps: Vec<(u64, u64)>,
}

/// A log's settings; `None` if the file does not exist (the log's creation never completed:
/// `log.conf` is written last). A file that exists but does not parse, or names another format
/// version, stops recovery: deleting the log would lose data.
fn read_log_conf(dir: &Path) -> Result<Option<LogConf>, StorageError> {
    let path = dir.join("log.conf");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", &path)(e)),
    };
    let bad = |what: &str| StorageError::Fatal(format!("{}: {what}", path.display()));
    let mut version = None;
    let mut retention = None;
    let mut conf = LogConf {
        retention_ms: 0,
        trim_floor: 0,
        gaps: Vec::new(),
    };
    for line in text.lines() {
        match line.split_once('=') {
            Some(("version", v)) => {
                version = Some(v.parse::<u32>().map_err(|_| bad("bad version"))?)
            }
            Some(("retention_ms", v)) => {
                retention = Some(v.parse::<i64>().map_err(|_| bad("bad retention_ms"))?)
            }
            Some(("trim_floor", v)) => {
                conf.trim_floor = v.parse::<u64>().map_err(|_| bad("bad trim_floor"))?
            }
            Some(("gaps", v)) => {
                for gap in v.split(',').filter(|g| !g.is_empty()) {
                    let (from, to) = gap
                        .split_once('-')
                        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
                        .ok_or_else(|| bad("bad gaps"))?;
                    conf.gaps.push((from, to));
                }
            }
            _ => {}
        }
    }
    match version {
        Some(LOG_CONF_VERSION) => {}
        Some(v) => return Err(bad(&format!("unsupported log.conf format version {v}"))),
        None => return Err(bad("no version line")),
    }
    conf.retention_ms = retention.ok_or_else(|| bad("no retention_ms line"))?;
    Ok(Some(conf))
}

/// The `version=` of `log.conf` files this build reads and writes.
pub(crate) const LOG_CONF_VERSION: u32 = 1;

/// One segment file as recovery found it.
struct Found {
    base: u64,
    path: PathBuf,
    scan: ScanResult,
    /// For the last segment: the end its index file records (a clean shutdown writes one), so
    /// that damage to its last batches is not mistaken for a torn tail.
    indexed_next: Option<u64>,
}

/// Where a log's valid prefix ends.
struct Damage {
    /// The segment (index into the found ones) and the file position.
    segment: usize,
    pos: u64,
    /// The first offset not in the valid prefix.
    offset: u64,
}

fn load_log(
    id: LogId,
    dir: &Path,
    mut conf: LogConf,
    wal: &WalImage,
    salvage: bool,
) -> Result<LogState, StorageError> {
    let mut bases = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("list", dir))? {
        let entry = entry.map_err(io("list", dir))?;
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
    let mut found = Vec::with_capacity(bases.len());
    for (i, &base) in bases.iter().enumerate() {
        let path = segment::segment_path(dir, base);
        // Sealed segments with an index file were synced by a checkpoint; the last one is
        // always scanned.
        let trusted = (i + 1 < bases.len())
            .then(|| segment::read_index_file(&path, base))
            .flatten();
        let scan = match trusted {
            Some(index) => ScanResult {
                len: index.end_pos,
                index,
                damaged_at: None,
                after: Vec::new(),
            },
            None => segment::scan_segment(&path, base)?,
        };
        let indexed_next = (i + 1 == bases.len())
            .then(|| segment::parse_index_file(&path, base))
            .flatten()
            .map(|idx| idx.next_offset);
        found.push(Found {
            base,
            path,
            scan,
            indexed_next,
        });
    }
    if let Some(damage) = first_damage(&found, &conf.gaps) {
        let later = &found[damage.segment + 1..];
        let damaged = &found[damage.segment];
        let follows = !damaged.scan.after.is_empty()
            || !later.is_empty()
            || damaged.indexed_next.is_some_and(|n| n > damage.offset);
        let wal_holds = wal
            .first_offset
            .get(&id)
            .is_some_and(|&first| first <= damage.offset);
        if !follows || wal_holds {
            cut(id, dir, &mut found, &damage)?;
        } else if salvage {
            salvage_log(id, dir, &mut found, &mut conf)?;
        } else {
            return Err(refusal(id, &found, &damage));
        }
    }
    let segments: Vec<Arc<Segment>> = found
        .into_iter()
        .map(|f| Arc::new(Segment::new(f.base, f.path, f.scan.index)))
        .collect();
    let next = segments.last().map_or(0, |s| s.index.lock().next_offset);
    Ok(LogState {
        id,
        dir: dir.to_path_buf(),
        retention_ms: AtomicI64::new(conf.retention_ms),
        segments: RwLock::new(segments),
        durable_next: AtomicU64::new(next),
        trim_floor: AtomicU64::new(conf.trim_floor),
        gaps: Mutex::new(conf.gaps),
        deleted: AtomicBool::new(false),
    })
}

/// The first place where a log's segments stop being one valid run of batches.
fn first_damage(found: &[Found], gaps: &[(u64, u64)]) -> Option<Damage> {
    for (i, f) in found.iter().enumerate() {
        let idx = &f.scan.index;
        if let Some(pos) = f.scan.damaged_at {
            return Some(Damage {
                segment: i,
                pos,
                offset: idx.next_offset,
            });
        }
        let short_of_index = f.indexed_next.is_some_and(|n| n > idx.next_offset);
        let gap_to_next = found.get(i + 1).is_some_and(|next| {
            next.base != idx.next_offset && !gaps.contains(&(idx.next_offset, next.base))
        });
        if gap_to_next || short_of_index {
            return Some(Damage {
                segment: i,
                pos: idx.end_pos,
                offset: idx.next_offset,
            });
        }
    }
    None
}

/// Cuts the log at the damage: truncates that segment and removes every later one.
fn cut(id: LogId, dir: &Path, found: &mut Vec<Found>, damage: &Damage) -> Result<(), StorageError> {
    let f = &found[damage.segment];
    tracing::warn!(
        log = id,
        file = %f.path.display(),
        position = damage.pos,
        offset = damage.offset,
        "cutting a torn segment tail (the write-ahead log holds what follows, if it was acknowledged)"
    );
    truncate(&f.path, f.base, damage.pos)?;
    for later in found.drain(damage.segment + 1..) {
        let _ = std::fs::remove_file(segment::index_path(&later.path));
        std::fs::remove_file(&later.path).map_err(io("remove", &later.path))?;
    }
    let f = &mut found[damage.segment];
    f.scan.damaged_at = None;
    f.scan.after.clear();
    sync_dir(dir)
}

/// Truncates a segment file to `pos` (rewriting its header if the cut reaches into it) and
/// syncs it; its index file, now stale, goes.
fn truncate(path: &Path, base: u64, pos: u64) -> Result<(), StorageError> {
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io("open", path))?;
    f.set_len(pos.max(segment::SEGMENT_HEADER_LEN))
        .map_err(io("truncate", path))?;
    if pos < segment::SEGMENT_HEADER_LEN {
        f.write_all_at(&segment::segment_header(base), 0)
            .map_err(io("rewrite the header of", path))?;
    }
    f.sync_all().map_err(io("sync", path))?;
    let _ = std::fs::remove_file(segment::index_path(path));
    Ok(())
}

/// What refusing to open says: the file, the position, and what follows the damage.
fn refusal(id: LogId, found: &[Found], damage: &Damage) -> StorageError {
    let f = &found[damage.segment];
    let later = &found[damage.segment + 1..];
    let records_here = f.scan.records_after();
    let records_later: u64 = later
        .iter()
        .map(|l| l.scan.index.next_offset - l.base + l.scan.records_after())
        .sum();
    let last = later
        .last()
        .map(|l| {
            l.scan
                .after
                .last()
                .map_or(l.scan.index.next_offset, |(_, h)| h.next_offset())
        })
        .or_else(|| f.scan.after.last().map(|(_, h)| h.next_offset()))
        .unwrap_or(damage.offset);
    StorageError::Fatal(format!(
        "log {id:016x}: {} is damaged at byte {} (records from offset {}); {} intact records \
         follow it in that file and {records_later} in {} later segment files (up to offset {}), \
         {}and the write-ahead log does not hold them. Nothing was cut. Restore the file from a \
         backup, or start with --salvage-damaged-logs to keep the intact records and drop the \
         damaged ones",
        f.path.display(),
        damage.pos,
        damage.offset,
        records_here,
        later.len(),
        last,
        match f.indexed_next {
            Some(n) if n > damage.offset => {
                format!("(its index file says it held offsets up to {}), ", n - 1)
            }
            _ => String::new(),
        }
    ))
}

/// Keeps every intact batch: each damaged segment is truncated at its damage, the valid
/// batches found behind the damage move to segment files of their own, and every offset range
/// lost between runs is recorded as a gap in `log.conf`.
fn salvage_log(
    id: LogId,
    dir: &Path,
    found: &mut Vec<Found>,
    conf: &mut LogConf,
) -> Result<(), StorageError> {
    let mut moved = Vec::new();
    for f in found.iter_mut() {
        if f.indexed_next.take().is_some() {
            let _ = std::fs::remove_file(segment::index_path(&f.path));
        }
        let Some(pos) = f.scan.damaged_at else {
            continue;
        };
        let data = std::fs::read(&f.path).map_err(io("read", &f.path))?;
        for run in runs(&f.scan.after) {
            let base = run[0].1.base_offset;
            let path = segment::segment_path(dir, base);
            let mut file = segment::create_segment_file(&path, base)?;
            let mut index = SegmentIndex::new(base);
            let mut at = segment::SEGMENT_HEADER_LEN;
            for (p, h) in run {
                let bytes = &data[*p as usize..*p as usize + h.encoded_len];
                std::io::Write::write_all(&mut file, bytes).map_err(io("write", &path))?;
                index.push(at, h);
                at += h.encoded_len as u64;
            }
            file.sync_all().map_err(io("sync", &path))?;
            moved.push(Found {
                base,
                path,
                scan: ScanResult {
                    len: index.end_pos,
                    index,
                    damaged_at: None,
                    after: Vec::new(),
                },
                indexed_next: None,
            });
        }
        let lost = f.scan.len - pos;
        tracing::error!(
            log = id,
            file = %f.path.display(),
            position = pos,
            damaged_bytes = lost,
            kept_records = f.scan.records_after(),
            "salvage: cut a damaged segment at the damage and kept the intact batches behind it"
        );
        truncate(&f.path, f.base, pos)?;
        f.scan.damaged_at = None;
        f.scan.after.clear();
    }
    found.append(&mut moved);
    found.sort_by_key(|f| f.base);
    for pair in found.windows(2) {
        let end = pair[0].scan.index.next_offset;
        if pair[1].base != end && !conf.gaps.contains(&(end, pair[1].base)) {
            tracing::error!(
                log = id,
                from = end,
                to = pair[1].base,
                "salvage: records in this offset range were damaged and are dropped"
            );
            conf.gaps.push((end, pair[1].base));
        }
    }
    write_log_conf(dir, conf.retention_ms, conf.trim_floor, &conf.gaps)?;
    sync_dir(dir)
}

/// Splits batches into runs of consecutive offsets.
fn runs(batches: &[(u64, BatchHeader)]) -> Vec<&[(u64, BatchHeader)]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=batches.len() {
        if i == batches.len() || batches[i].1.base_offset != batches[i - 1].1.next_offset() {
            if start < i {
                out.push(&batches[start..i]);
            }
            start = i;
        }
    }
    out
}

/// Re-applies every WAL entry that the segments lack, makes the result durable, then removes the
/// replayed WAL files. An entry past damage in the WAL that does not follow its log's end stops
/// the open (or, with `salvage`, is dropped and reported).
pub(crate) fn replay_wal(
    wal_dir: &Path,
    image: WalImage,
    writer: &mut Writer,
    salvage: bool,
) -> Result<(), StorageError> {
    let mut replayed = 0u64;
    for &(file, start, past_damage) in &image.entries {
        let (path, data) = &image.files[file];
        let Some(entry) = WalReader::new(data)?.entry(start) else {
            continue;
        };
        match writer.replay(entry.log_id, entry.batch) {
            Ok(true) => replayed += 1,
            Ok(false) => {}
            Err(e) if past_damage && salvage => {
                tracing::error!(file = %path.display(), position = start, error = %e, "salvage: dropping a write-ahead log entry behind damage");
            }
            Err(e) if past_damage => {
                return Err(StorageError::Fatal(format!(
                    "the write-ahead log {} is damaged at byte {} and an intact entry behind the \
                     damage (at byte {start}) does not follow its log: {e}. Nothing was cut. \
                     Start with --salvage-damaged-logs to drop what the damage separated",
                    image.damage.as_ref().map_or(path, |(p, _)| p).display(),
                    image.damage.as_ref().map_or(0, |(_, p)| *p),
                )));
            }
            Err(e) => return Err(e),
        }
    }
    writer.next_wal_seq = image.next_seq;
    if replayed > 0 {
        tracing::info!(batches = replayed, "replayed write-ahead log");
    }
    writer.checkpoint_inline(image.files.into_iter().map(|(p, _)| p).collect())?;
    sync_dir(wal_dir)
}
