//! The embedded disk backend: per-log segment files, a shared write-ahead log for group commit,
//! background checkpoints and retention.
//!
//! Write path: every append is encoded once into the write-ahead log (WAL) buffer and written
//! (not synced) into its log's active segment; one `fdatasync` of the WAL then makes every append
//! of the round durable, however many logs it touched. Checkpoints sync the segment files in the
//! background and delete WAL files they cover. Recovery cuts torn segment tails by checksum and
//! replays the WAL. Readers only see offsets below a log's durable mark.

mod checkpoint;
mod recovery;
pub mod segment;
mod wal;
mod writer;

use crate::{
    AppendAck, BoxFuture, Durability, LogAppend, LogBounds, LogId, LogStore, ReadBatch, ReadLimits,
    StorageError,
};
use parking_lot::{Mutex, RwLock};
use segment::{ReadBudget, Segment};
use sluice_types::Clock;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Settings of the disk backend.
#[derive(Debug, Clone)]
pub struct DiskConfig {
    pub dir: PathBuf,
    pub durability: Durability,
    /// A segment is sealed and a new one started past this size...
    pub segment_max_bytes: u64,
    /// ...or once its first record is this old, so retention can delete whole files promptly.
    pub segment_max_age_ms: i64,
    /// The WAL is rotated (and a checkpoint started) past this size.
    pub wal_max_bytes: u64,
    /// How often the background task deletes expired segments.
    pub retention_interval: Duration,
    /// Record bytes waiting for the writer, at most; appends past it wait their turn. Bounds
    /// the memory that a burst of writes can take.
    pub max_queued_bytes: u64,
    /// What recovery does with a log damaged where the write-ahead log cannot repair it (valid
    /// batches follow the damage): `false` refuses to open the store, naming the file, the
    /// position and what follows; `true` keeps the intact batches and drops the damaged ones.
    pub salvage: bool,
}

impl DiskConfig {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            durability: Durability::Sync,
            segment_max_bytes: 64 * 1024 * 1024,
            segment_max_age_ms: 60 * 60 * 1000,
            wal_max_bytes: 64 * 1024 * 1024,
            retention_interval: Duration::from_secs(30),
            max_queued_bytes: 256 * 1024 * 1024,
            salvage: false,
        }
    }
}

/// One log as readers, the writer and the retention task share it.
pub(crate) struct LogState {
    pub id: LogId,
    pub dir: PathBuf,
    pub retention_ms: AtomicI64,
    /// Ordered by base offset; the last one is the active segment. Never empty once written.
    pub segments: RwLock<Vec<Arc<Segment>>>,
    /// One past the last durable offset: the readers' limit.
    pub durable_next: AtomicU64,
    /// Offsets below this expired under an earlier (shorter) retention and stay hidden even if the
    /// retention grows; persisted in `log.conf` when the retention changes.
    pub trim_floor: AtomicU64,
    /// Offset ranges salvage gave up (see `recovery`), kept in `log.conf`.
    pub gaps: Mutex<Vec<(u64, u64)>>,
    pub deleted: AtomicBool,
}

impl LogState {
    fn segments(&self) -> Vec<Arc<Segment>> {
        self.segments.read().clone()
    }

    /// First offset whose timestamp is `>= cutoff`, or the durable end if none.
    fn offset_at_or_after(&self, cutoff: i64) -> Result<u64, StorageError> {
        let end = self.durable_next.load(Ordering::Acquire);
        for seg in self.segments() {
            let (first, last) = {
                let idx = seg.index.lock();
                (idx.first_ts, idx.last_ts)
            };
            match (first, last) {
                (Some(first), _) if first >= cutoff => return Ok(seg.base_offset.min(end)),
                (_, Some(last)) if last >= cutoff => {
                    if let Some(o) = segment::offset_at_time(&seg, cutoff)? {
                        return Ok(o.min(end));
                    }
                }
                _ => {}
            }
        }
        Ok(end)
    }

    fn trim_offset(&self, now: i64) -> Result<u64, StorageError> {
        let computed =
            self.offset_at_or_after(now.saturating_sub(self.retention_ms.load(Ordering::Relaxed)))?;
        let floor = self.trim_floor.fetch_max(computed, Ordering::AcqRel);
        Ok(computed.max(floor))
    }
}

pub(crate) struct Shared {
    pub config: DiskConfig,
    pub clock: Arc<dyn Clock>,
    pub logs: RwLock<HashMap<LogId, Arc<LogState>>>,
    /// Set when a write or sync failed in a way that cannot be undone: the engine then refuses
    /// all writes.
    pub poisoned: Mutex<Option<String>>,
    /// Set while writes fail for want of space (cleared once one succeeds again).
    pub failing: Mutex<Option<String>>,
    /// Set when the writer finishes: background retries give up.
    pub stopping: AtomicBool,
}

impl Shared {
    fn log(&self, id: LogId) -> Result<Arc<LogState>, StorageError> {
        self.logs
            .read()
            .get(&id)
            .cloned()
            .ok_or(StorageError::LogNotFound(id))
    }

    pub(crate) fn poison(&self, err: &StorageError) {
        let mut p = self.poisoned.lock();
        if p.is_none() {
            tracing::error!(error = %err, "storage poisoned; refusing further writes");
            *p = Some(err.to_string());
        }
    }

    pub(crate) fn note_failure(&self, err: &StorageError) {
        let mut f = self.failing.lock();
        if f.is_none() {
            tracing::error!(error = %err, "storage is full; writes fail until there is room");
        }
        *f = Some(err.to_string());
    }

    pub(crate) fn logs_dir(&self) -> PathBuf {
        self.config.dir.join("logs")
    }
}

/// The embedded, durable [`LogStore`].
pub struct DiskLogStore {
    shared: Arc<Shared>,
    tx: Mutex<Option<crossbeam_channel::Sender<writer::Command>>>,
    /// One permit per KiB of record bytes queued for the writer (`max_queued_bytes`).
    queued: Arc<tokio::sync::Semaphore>,
    queue_kib: u32,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stop_retention: Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
}

impl DiskLogStore {
    /// Opens (creating if needed) the store in `config.dir`, recovering from any crash.
    pub fn open(config: DiskConfig, clock: Arc<dyn Clock>) -> Result<Self, StorageError> {
        for sub in ["logs", "wal"] {
            std::fs::create_dir_all(config.dir.join(sub))
                .map_err(|e| StorageError::io("create data dir", e))?;
        }
        let shared = Arc::new(Shared {
            config,
            clock,
            logs: RwLock::new(HashMap::new()),
            poisoned: Mutex::new(None),
            failing: Mutex::new(None),
            stopping: AtomicBool::new(false),
        });
        let wal_dir = shared.config.dir.join("wal");
        let wal = recovery::read_wal(&wal_dir)?;
        let logs = recovery::load_logs(&shared.logs_dir(), &wal, shared.config.salvage)?;
        *shared.logs.write() = logs.into_iter().map(|l| (l.id, Arc::new(l))).collect();
        let mut w = writer::Writer::new(shared.clone())?;
        recovery::replay_wal(&wal_dir, wal, &mut w, shared.config.salvage)?;
        w.start_wal()?;
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut threads = Vec::new();
        threads.push(
            std::thread::Builder::new()
                .name("sluice-writer".into())
                .spawn(move || w.run(rx))
                .map_err(|e| StorageError::io("spawn writer", e))?,
        );
        let stop_retention = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        {
            let shared = shared.clone();
            let stop = stop_retention.clone();
            threads.push(
                std::thread::Builder::new()
                    .name("sluice-retention".into())
                    .spawn(move || retention_loop(&shared, &stop))
                    .map_err(|e| StorageError::io("spawn retention", e))?,
            );
        }
        let queue_kib = u32::try_from((shared.config.max_queued_bytes / 1024).max(1))
            .unwrap_or(u32::MAX >> 3)
            .min(tokio::sync::Semaphore::MAX_PERMITS as u32);
        Ok(Self {
            shared,
            tx: Mutex::new(Some(tx)),
            queued: Arc::new(tokio::sync::Semaphore::new(queue_kib as usize)),
            queue_kib,
            threads: Mutex::new(threads),
            stop_retention,
        })
    }

    /// Deletes every sealed segment whose newest record is past retention. Runs in the background
    /// on `retention_interval`; public so tests can drive it with a manual clock.
    pub fn enforce_retention(&self) -> usize {
        enforce_retention(&self.shared)
    }
}

fn retention_loop(shared: &Shared, stop: &(std::sync::Mutex<bool>, std::sync::Condvar)) {
    let (lock, cvar) = stop;
    let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
    while !*stopped {
        let (guard, _) = cvar
            .wait_timeout(stopped, shared.config.retention_interval)
            .unwrap_or_else(|e| e.into_inner());
        stopped = guard;
        if !*stopped {
            enforce_retention(shared);
        }
    }
}

fn enforce_retention(shared: &Shared) -> usize {
    let now = shared.clock.now_millis();
    let logs: Vec<_> = shared.logs.read().values().cloned().collect();
    let mut deleted = 0;
    for log in logs {
        let cutoff = now.saturating_sub(log.retention_ms.load(Ordering::Relaxed));
        let expired: Vec<Arc<Segment>> = {
            let mut segs = log.segments.write();
            // Never the newest segment: it carries the log's next offset across restarts.
            let keep_from = segs
                .iter()
                .take(segs.len().saturating_sub(1))
                .position(|s| s.index.lock().last_ts.is_some_and(|t| t >= cutoff))
                .unwrap_or(segs.len().saturating_sub(1));
            segs.drain(..keep_from).collect()
        };
        for seg in expired {
            let _ = std::fs::remove_file(segment::index_path(&seg.path));
            if let Err(e) = std::fs::remove_file(&seg.path) {
                tracing::warn!(path = %seg.path.display(), error = %e, "could not delete expired segment");
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        metrics::counter!("sluice_storage_segments_expired_total").increment(deleted as u64);
    }
    deleted
}

pub(crate) fn log_dir(logs_dir: &Path, id: LogId) -> PathBuf {
    logs_dir.join(format!("{id:016x}"))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io("sync directory", e))
}

/// Writes a log's settings file atomically.
pub(crate) fn write_log_conf(
    dir: &Path,
    retention_ms: i64,
    trim_floor: u64,
    gaps: &[(u64, u64)],
) -> Result<(), StorageError> {
    let tmp = dir.join("log.conf.tmp");
    let version = recovery::LOG_CONF_VERSION;
    let mut body =
        format!("version={version}\nretention_ms={retention_ms}\ntrim_floor={trim_floor}\n");
    if !gaps.is_empty() {
        let gaps: Vec<String> = gaps.iter().map(|(a, b)| format!("{a}-{b}")).collect();
        body.push_str(&format!("gaps={}\n", gaps.join(",")));
    }
    std::fs::write(&tmp, body)
        .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|_| std::fs::rename(&tmp, dir.join("log.conf")))
        .map_err(|e| StorageError::io("write log settings", e))?;
    sync_dir(dir)
}

fn read_blocking(
    shared: &Shared,
    log: LogId,
    offset: u64,
    limits: ReadLimits,
) -> Result<ReadBatch, StorageError> {
    let state = shared.log(log)?;
    let end = state.durable_next.load(Ordering::Acquire);
    let start = offset.max(state.trim_offset(shared.clock.now_millis())?);
    let mut batch = ReadBatch {
        records: Vec::new(),
        next_offset: start,
    };
    if start >= end || limits.max_records == 0 {
        return Ok(batch);
    }
    let segs = state.segments();
    let first = segs
        .partition_point(|s| s.base_offset <= start)
        .saturating_sub(1);
    let mut budget = ReadBudget {
        records_left: limits.max_records,
        bytes_left: limits.max_bytes,
        taken: 0,
    };
    for seg in &segs[first..] {
        let from = batch.records.last().map_or(start, |r| r.offset + 1);
        if from >= end || !segment::read_segment(seg, from, end, &mut budget, &mut batch.records)? {
            break;
        }
    }
    if let Some(last) = batch.records.last() {
        batch.next_offset = last.offset + 1;
    }
    Ok(batch)
}

/// Whether a read of `log` from `offset` touches memory only: it starts at or past the durable
/// end, or inside the active segment's in-memory tail, and finding the retention horizon needs
/// no file read (the oldest segment's first record is not expired). Such reads are served on the
/// caller's thread; the rest go to the blocking pool. Followers of a live shard (SubscribeToShard,
/// GetRecords at LATEST) read this way.
fn in_memory(shared: &Shared, log: LogId, offset: u64) -> bool {
    let Ok(state) = shared.log(log) else {
        return false;
    };
    let segs = state.segments.read();
    let (Some(first), Some(last)) = (segs.first(), segs.last()) else {
        return false;
    };
    let cutoff = shared
        .clock
        .now_millis()
        .saturating_sub(state.retention_ms.load(Ordering::Relaxed));
    if first.index.lock().first_ts.is_none_or(|t| t < cutoff) {
        return false;
    }
    offset >= state.durable_next.load(Ordering::Acquire)
        || (offset >= last.base_offset && last.tail_holds(offset))
}

fn spawn_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> BoxFuture<Result<T, StorageError>> {
    Box::pin(async move {
        tokio::task::spawn_blocking(f)
            .await
            .unwrap_or_else(|e| Err(StorageError::Fatal(format!("storage task failed: {e}"))))
    })
}

impl LogStore for DiskLogStore {
    fn create_log(&self, log: LogId, retention_ms: i64) -> Result<(), StorageError> {
        let mut logs = self.shared.logs.write();
        let dir = log_dir(&self.shared.logs_dir(), log);
        if logs.contains_key(&log) || dir.exists() {
            return Err(StorageError::LogExists(log));
        }
        std::fs::create_dir(&dir).map_err(|e| StorageError::io("create log dir", e))?;
        write_log_conf(&dir, retention_ms, 0, &[])?;
        sync_dir(&self.shared.logs_dir())?;
        logs.insert(
            log,
            Arc::new(LogState {
                id: log,
                dir,
                retention_ms: AtomicI64::new(retention_ms),
                segments: RwLock::new(Vec::new()),
                durable_next: AtomicU64::new(0),
                trim_floor: AtomicU64::new(0),
                gaps: Mutex::new(Vec::new()),
                deleted: AtomicBool::new(false),
            }),
        );
        Ok(())
    }

    fn delete_log(&self, log: LogId) -> Result<(), StorageError> {
        let state = self
            .shared
            .logs
            .write()
            .remove(&log)
            .ok_or(StorageError::LogNotFound(log))?;
        state.deleted.store(true, Ordering::SeqCst);
        // Unlinking open files is fine; the writer drops its handles on them at once, which is
        // what frees their space.
        std::fs::remove_dir_all(&state.dir).map_err(|e| StorageError::io("delete log dir", e))?;
        if let Some(tx) = self.tx.lock().as_ref() {
            let _ = tx.send(writer::Command::Forget(log));
        }
        sync_dir(&self.shared.logs_dir())
    }

    fn set_retention(&self, log: LogId, retention_ms: i64) -> Result<(), StorageError> {
        let state = self.shared.log(log)?;
        let floor = state.trim_offset(self.shared.clock.now_millis())?;
        write_log_conf(&state.dir, retention_ms, floor, &state.gaps.lock())?;
        state.retention_ms.store(retention_ms, Ordering::Relaxed);
        Ok(())
    }

    fn logs(&self) -> Vec<LogId> {
        let mut ids: Vec<_> = self.shared.logs.read().keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    fn append(&self, appends: Vec<LogAppend>) -> BoxFuture<Vec<Result<AppendAck, StorageError>>> {
        let n = appends.len();
        let bytes: usize = appends
            .iter()
            .flat_map(|a| &a.records)
            .map(|r| r.key.len() + r.value.len())
            .sum();
        let kib = u32::try_from(bytes / 1024 + 1)
            .unwrap_or(u32::MAX)
            .min(self.queue_kib);
        let queued = self.queued.clone();
        let tx = self.tx.lock().clone();
        Box::pin(async move {
            // Held until the writer answers: queued bytes stay under `max_queued_bytes`.
            let Ok(_permit) = queued.acquire_many_owned(kib).await else {
                return vec![Err(StorageError::ShuttingDown); n];
            };
            let (reply, rx) = tokio::sync::oneshot::channel();
            let sent = match tx {
                Some(tx) => tx
                    .send(writer::Command::Append { appends, reply })
                    .map_err(|_| StorageError::ShuttingDown),
                None => Err(StorageError::ShuttingDown),
            };
            match sent {
                Ok(()) => rx
                    .await
                    .unwrap_or_else(|_| vec![Err(StorageError::ShuttingDown); n]),
                Err(e) => vec![Err(e); n],
            }
        })
    }

    fn read(
        &self,
        log: LogId,
        offset: u64,
        limits: ReadLimits,
    ) -> BoxFuture<Result<ReadBatch, StorageError>> {
        if in_memory(&self.shared, log, offset) {
            return Box::pin(std::future::ready(read_blocking(
                &self.shared,
                log,
                offset,
                limits,
            )));
        }
        let shared = self.shared.clone();
        spawn_blocking(move || read_blocking(&shared, log, offset, limits))
    }

    fn offset_at_time(
        &self,
        log: LogId,
        timestamp_ms: i64,
    ) -> BoxFuture<Result<u64, StorageError>> {
        let shared = self.shared.clone();
        spawn_blocking(move || {
            let state = shared.log(log)?;
            let now = shared.clock.now_millis();
            Ok(state
                .offset_at_or_after(timestamp_ms)?
                .max(state.trim_offset(now)?))
        })
    }

    fn bounds(&self, log: LogId) -> Result<LogBounds, StorageError> {
        let state = self.shared.log(log)?;
        let next_offset = state.durable_next.load(Ordering::Acquire);
        let start_offset = state.trim_offset(self.shared.clock.now_millis())?;
        let last_timestamp_ms = if start_offset < next_offset {
            state
                .segments
                .read()
                .iter()
                .rev()
                .find_map(|s| s.index.lock().last_ts)
        } else {
            None
        };
        Ok(LogBounds {
            start_offset,
            next_offset,
            last_timestamp_ms,
        })
    }

    fn write_problem(&self) -> Option<String> {
        if let Some(p) = self.shared.poisoned.lock().as_ref() {
            return Some(format!(
                "storage failed, writes are refused until a restart: {p}"
            ));
        }
        self.shared.failing.lock().clone()
    }

    fn shutdown(&self) -> BoxFuture<()> {
        let tx = self.tx.lock().take();
        let threads = std::mem::take(&mut *self.threads.lock());
        let stop = self.stop_retention.clone();
        Box::pin(async move {
            let (reply, rx) = tokio::sync::oneshot::channel();
            if let Some(tx) = tx
                && tx.send(writer::Command::Shutdown { reply }).is_ok()
            {
                let _ = rx.await;
            }
            {
                let (lock, cvar) = &*stop;
                *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
                cvar.notify_all();
            }
            let _ = tokio::task::spawn_blocking(move || {
                for t in threads {
                    let _ = t.join();
                }
            })
            .await;
        })
    }
}

impl Drop for DiskLogStore {
    fn drop(&mut self) {
        // Without an explicit shutdown the threads still stop: the channel closes, the writer
        // drains and exits; the retention thread is told to stop.
        self.tx.lock().take();
        let (lock, cvar) = &*self.stop_retention;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cvar.notify_all();
    }
}
