//! The single writer thread: group commit, segment rolling, WAL rotation and checkpoints.
//!
//! Architecture invariant: only this thread writes segment files and the WAL, and it publishes a
//! log's new durable mark only after the WAL holding its records has been synced.

use super::checkpoint::{self, Background, CheckpointJob};
use super::segment::{self, SEGMENT_HEADER_LEN, Segment, SegmentIndex};
use super::wal::{self, ENTRY_HEADER_LEN};
use super::{LogState, Shared, sync_dir};
use crate::codec::{self, BatchHeader, DecodeOutcome};
use crate::{AppendAck, Durability, LogAppend, LogId, StorageError};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::oneshot;

type AppendResults = Vec<Result<AppendAck, StorageError>>;

pub(crate) enum Command {
    Append {
        appends: Vec<LogAppend>,
        reply: oneshot::Sender<AppendResults>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
    /// A log was deleted: drop every handle on its files now, so the space is freed.
    Forget(LogId),
}

/// Most bytes gathered into one commit round before syncing.
const MAX_ROUND_BYTES: usize = 16 * 1024 * 1024;

/// A segment's tail is written to its file once it holds this much. Many shards each taking a
/// little per round would otherwise cost one small file write per shard per round, which is
/// what made 1,000 shards slower than 4 (BENCHMARKS.md).
const TAIL_FLUSH_BYTES: usize = 32 * 1024;

/// All tails together stay under this; past it, every tail is written out.
const TAIL_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// Once this much more of a segment is in its file, the checkpoint thread syncs the file ahead
/// of the checkpoint. Without it a checkpoint found up to a whole WAL's worth (64 MiB) of dirty
/// segment data and flushed it in one burst, and the WAL syncs queued behind it: 100 – 250 ms
/// stalls, the p99 of PutRecord at half of peak (BENCHMARKS.md).
const WRITEBACK_BYTES: u64 = 2 * 1024 * 1024;

struct Active {
    seg: Arc<Segment>,
    file: Arc<File>,
    pos: u64,
    first_ts: Option<i64>,
}

struct WriterLog {
    state: Arc<LogState>,
    next_offset: u64,
    last_ts: i64,
    active: Option<Active>,
}

/// A batch staged in the round's WAL buffer, still to be written to its segment.
struct SegmentWrite {
    seg: Arc<Segment>,
    file: Arc<File>,
    pos: u64,
    /// The batch's bytes in the WAL buffer.
    range: std::ops::Range<usize>,
}

struct Pending {
    state: Arc<LogState>,
    seg: Arc<Segment>,
    pos: u64,
    header: BatchHeader,
}

struct OpenWal {
    seq: u64,
    file: File,
    pos: u64,
    /// Commit rounds written to this file.
    rounds: u64,
    /// Bytes allocated ahead (a prepared file's length; 0 for a file appended to).
    allocated: u64,
}

/// Above this many bytes per commit round, zero-filling the next WAL file costs more than the
/// cheaper syncs save (the zeros are written too), so the writer appends to a plain file.
const PREPARE_MAX_ROUND_BYTES: u64 = 256 * 1024;

pub(crate) struct Writer {
    shared: Arc<Shared>,
    logs: HashMap<LogId, WriterLog>,
    wal_dir: PathBuf,
    wal: Option<OpenWal>,
    /// The next WAL file number to use.
    pub(crate) next_wal_seq: u64,
    buf: Vec<u8>,
    pending: Vec<Pending>,
    segment_writes: Vec<SegmentWrite>,
    /// Reused to join adjacent segment writes into one.
    scratch: Vec<u8>,
    /// Segments whose tail may hold bytes (keyed by the segment's address; the map keeps it
    /// alive), and the bytes all tails hold.
    tails: HashMap<usize, (Arc<Segment>, Arc<File>)>,
    tail_bytes: usize,
    dirty_files: HashMap<(LogId, u64), Arc<File>>,
    dirty_dirs: HashSet<PathBuf>,
    sealed: Vec<Arc<Segment>>,
    checkpoints: Option<(
        crossbeam_channel::Sender<Background>,
        std::thread::JoinHandle<()>,
    )>,
    /// Segment files with a writeback queued and not yet done, by address; a file is queued once.
    writebacks: Arc<Mutex<HashSet<usize>>>,
    /// Zero-fills the next WAL file ahead of time (durable mode only), and the number reserved
    /// for the file it is preparing.
    preparer: Option<wal::Preparer>,
    preparing: Option<u64>,
}

impl Writer {
    pub(crate) fn new(shared: Arc<Shared>) -> Result<Self, StorageError> {
        let wal_dir = shared.config.dir.join("wal");
        Ok(Self {
            shared,
            logs: HashMap::new(),
            wal_dir,
            wal: None,
            next_wal_seq: 1,
            buf: Vec::with_capacity(1024 * 1024),
            pending: Vec::new(),
            segment_writes: Vec::new(),
            scratch: Vec::new(),
            tails: HashMap::new(),
            tail_bytes: 0,
            dirty_files: HashMap::new(),
            dirty_dirs: HashSet::new(),
            sealed: Vec::new(),
            checkpoints: None,
            writebacks: Arc::new(Mutex::new(HashSet::new())),
            preparer: None,
            preparing: None,
        })
    }

    /// Opens a fresh WAL file and starts the checkpoint thread.
    pub(crate) fn start_wal(&mut self) -> Result<(), StorageError> {
        self.wal = Some(self.create_wal()?);
        let (tx, rx) = crossbeam_channel::unbounded::<Background>();
        let shared = self.shared.clone();
        let writebacks = self.writebacks.clone();
        let handle = checkpoint::spawn(shared, writebacks, rx)?;
        self.checkpoints = Some((tx, handle));
        if self.shared.config.durability == Durability::Sync {
            // A little room past the rotation mark for the round that crosses it; a round that
            // goes further appends, which is correct, only slower to sync.
            let max = self.shared.config.wal_max_bytes;
            let len = max + max / 4;
            self.preparer = Some(wal::Preparer::start(self.wal_dir.clone(), len)?);
            self.request_prepared();
        }
        Ok(())
    }

    /// Reserves the next WAL number and asks the preparer for that file.
    fn request_prepared(&mut self) {
        if let Some(p) = &self.preparer {
            let seq = self.next_wal_seq;
            self.next_wal_seq += 1;
            self.preparing = Some(seq);
            p.request(seq);
        }
    }

    /// The prepared WAL file, with its header written, if the preparer has finished it.
    fn take_prepared(&mut self) -> Result<Option<OpenWal>, StorageError> {
        let (Some(p), Some(seq)) = (&self.preparer, self.preparing) else {
            return Ok(None);
        };
        let Some(file) = p.take(seq) else {
            return Ok(None);
        };
        self.preparing = None;
        // The header becomes durable with the first round's sync; until then the file reads
        // as empty, which is what it is.
        file.write_all_at(&wal::wal_header(), 0)
            .map_err(|e| StorageError::io("write WAL", e))?;
        let allocated = file
            .metadata()
            .map_err(|e| StorageError::io("stat WAL", e))?
            .len();
        Ok(Some(OpenWal {
            seq,
            file,
            pos: wal::WAL_HEADER_LEN as u64,
            rounds: 0,
            allocated,
        }))
    }

    fn create_wal(&mut self) -> Result<OpenWal, StorageError> {
        let seq = self.next_wal_seq;
        self.next_wal_seq += 1;
        let path = wal::wal_path(&self.wal_dir, seq);
        let mut file = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&path)
            .map_err(|e| StorageError::io("create WAL", e))?;
        let written = file
            .write_all(&wal::wal_header())
            .and_then(|()| file.sync_data())
            .map_err(|e| StorageError::io("write WAL", e))
            .and_then(|()| sync_dir(&self.wal_dir));
        if let Err(e) = written {
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok(OpenWal {
            seq,
            file,
            pos: wal::WAL_HEADER_LEN as u64,
            rounds: 0,
            allocated: 0,
        })
    }

    /// The thread body: gather whatever is queued, write it, sync once, answer everyone.
    pub(crate) fn run(mut self, rx: crossbeam_channel::Receiver<Command>) {
        loop {
            // While writes fail for want of space, look every second whether there is room
            // again, so that `/health` recovers without waiting for a client to try.
            let first = if self.shared.failing.lock().is_some() {
                match rx.recv_timeout(std::time::Duration::from_secs(1)) {
                    Ok(cmd) => cmd,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                        self.probe();
                        continue;
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.recv() {
                    Ok(cmd) => cmd,
                    Err(_) => break,
                }
            };
            let mut cmds = vec![first];
            let mut bytes = 0usize;
            while bytes < MAX_ROUND_BYTES {
                match rx.try_recv() {
                    Ok(cmd) => {
                        if let Command::Append { appends, .. } = &cmd {
                            bytes += appends
                                .iter()
                                .flat_map(|a| &a.records)
                                .map(|r| r.key.len() + r.value.len())
                                .sum::<usize>();
                        }
                        cmds.push(cmd);
                    }
                    Err(_) => break,
                }
            }
            if let Some(reply) = self.round(cmds) {
                self.finish();
                let _ = reply.send(());
                return;
            }
        }
        self.finish();
    }

    /// Processes one commit round; returns the shutdown reply if one was asked for.
    fn round(&mut self, cmds: Vec<Command>) -> Option<oneshot::Sender<()>> {
        let now = self.shared.clock.now_millis();
        let poisoned = self.shared.poisoned.lock().clone();
        self.buf.clear();
        self.pending.clear();
        self.segment_writes.clear();
        let mut replies = Vec::with_capacity(cmds.len());
        let mut shutdown = None;
        let mut touched = Vec::new();
        let mut round_error: Option<StorageError> = poisoned.map(StorageError::Fatal);
        for cmd in cmds {
            match cmd {
                Command::Append { appends, reply } => {
                    let results: AppendResults = appends
                        .into_iter()
                        .map(|a| match &round_error {
                            Some(e) => Err(e.clone()),
                            None => {
                                touched.push(a.log);
                                self.stage(a, now).inspect_err(|e| {
                                    if matches!(e, StorageError::Fatal(_) | StorageError::Full(_)) {
                                        round_error = Some(e.clone());
                                    }
                                })
                            }
                        })
                        .collect();
                    replies.push((reply, results));
                }
                Command::Shutdown { reply } => shutdown = Some(reply),
                Command::Forget(log) => self.forget(log),
            }
        }
        if round_error.is_none()
            && let Err(e) = self.write_segments().and_then(|()| self.commit_wal())
        {
            round_error = Some(e);
        }
        match &round_error {
            None => {
                if !self.pending.is_empty() {
                    self.shared.failing.lock().take();
                }
                for p in self.pending.drain(..) {
                    p.seg.index.lock().push(p.pos, &p.header);
                    p.state
                        .durable_next
                        .store(p.header.next_offset(), Ordering::Release);
                }
            }
            Some(e) => {
                // Nothing of a failed round may be stored: a client told that its records
                // failed retries them, and must not find them twice.
                match self.rollback(&touched) {
                    Err(undo) => self.shared.poison(&undo),
                    Ok(()) if matches!(e, StorageError::Full(_)) => self.shared.note_failure(e),
                    Ok(()) => self.shared.poison(e),
                }
                for (_, results) in &mut replies {
                    for r in results.iter_mut() {
                        if r.is_ok() {
                            *r = Err(e.clone());
                        }
                    }
                }
            }
        }
        for (reply, results) in replies {
            let _ = reply.send(results);
        }
        if round_error.is_none()
            && let Err(e) = self.rotate_if_needed()
        {
            match e {
                StorageError::Full(_) => self.shared.note_failure(&e),
                _ => self.shared.poison(&e),
            }
        }
        shutdown
    }

    /// Undoes a failed round: the logs it touched go back to their durable end (in memory, in
    /// their segment files and in the WAL, durably), segments it started are removed, and the
    /// writer forgets their state so the next append reloads it.
    fn rollback(&mut self, touched: &[LogId]) -> Result<(), StorageError> {
        let mut segs: Vec<Arc<Segment>> = Vec::new();
        for p in &self.pending {
            if !segs.iter().any(|s| Arc::ptr_eq(s, &p.seg)) {
                segs.push(p.seg.clone());
            }
        }
        self.pending.clear();
        for id in touched {
            let Some(wl) = self.logs.remove(id) else {
                continue;
            };
            let durable = wl.state.durable_next.load(Ordering::Acquire);
            let mut list = wl.state.segments.write();
            // A segment begun this round starts past the durable end: it goes.
            while list.len() > 1
                && list
                    .last()
                    .is_some_and(|l| l.base_offset > durable && l.index.lock().entries.is_empty())
            {
                let Some(gone) = list.pop() else { break };
                self.tails.remove(&(Arc::as_ptr(&gone) as usize));
                self.dirty_files.remove(&(*id, gone.base_offset));
                segs.retain(|s| !Arc::ptr_eq(s, &gone));
                std::fs::remove_file(&gone.path).map_err(|e| {
                    StorageError::Fatal(format!("remove {}: {e}", gone.path.display()))
                })?;
            }
            if let Some(last) = list.last() {
                // It is the active segment again: it must not get an index file.
                self.sealed.retain(|s| !Arc::ptr_eq(s, last));
            }
        }
        for seg in &segs {
            let end = seg.index.lock().end_pos;
            let file_len = {
                let mut tail = seg.tail.lock();
                if tail.bytes.is_empty() {
                    end
                } else if end >= tail.start {
                    let keep = (end - tail.start) as usize;
                    tail.bytes.truncate(keep);
                    tail.start
                } else {
                    tail.bytes = Vec::new();
                    tail.start = end;
                    end
                }
            };
            std::fs::OpenOptions::new()
                .write(true)
                .open(&seg.path)
                .and_then(|f| {
                    f.set_len(file_len)?;
                    f.sync_all()
                })
                .map_err(|e| {
                    StorageError::Fatal(format!(
                        "undo a failed write to {}: {e}",
                        seg.path.display()
                    ))
                })?;
        }
        self.tail_bytes = self
            .tails
            .values()
            .map(|(seg, _)| seg.tail.lock().bytes.len())
            .sum();
        Ok(())
    }

    /// Drops every handle on a deleted log's files.
    fn forget(&mut self, log: LogId) {
        self.logs.remove(&log);
        self.dirty_files.retain(|(l, _), _| *l != log);
        let dir = super::log_dir(&self.shared.logs_dir(), log);
        let mut freed = 0;
        self.tails.retain(|_, (seg, _)| {
            let keep = !seg.path.starts_with(&dir);
            if !keep {
                freed += seg.tail.lock().bytes.len();
            }
            keep
        });
        self.tail_bytes -= freed;
        self.sealed.retain(|seg| !seg.path.starts_with(&dir));
        self.dirty_dirs.remove(&dir);
    }

    /// While writes fail for want of space: whether there is room again (the tails can be
    /// written out and a small file written and synced). Clears the failure if so.
    fn probe(&mut self) {
        let path = self.wal_dir.join("space.probe");
        let ok = self.flush_tails().is_ok()
            && std::fs::File::create(&path)
                .and_then(|mut f| {
                    f.write_all(&[0u8; 256 * 1024])?;
                    f.sync_all()
                })
                .is_ok();
        let _ = std::fs::remove_file(&path);
        if ok {
            tracing::info!("storage has room again; writes resume");
            self.shared.failing.lock().take();
            if let Err(e) = self.rotate_if_needed() {
                self.shared.note_failure(&e);
            }
        }
    }

    /// Appends the round's batches to their segments' tails (the WAL makes them durable),
    /// joining the batches that follow each other in one segment. A tail goes to its file once
    /// it is big enough; a run that is big enough by itself is written directly.
    fn write_segments(&mut self) -> Result<(), StorageError> {
        let mut writes = std::mem::take(&mut self.segment_writes);
        writes.sort_by_key(|w| (Arc::as_ptr(&w.seg) as usize, w.pos));
        let mut i = 0;
        let mut result = Ok(());
        while i < writes.len() {
            let first = &writes[i];
            let mut end = first.pos + first.range.len() as u64;
            let mut j = i + 1;
            while j < writes.len()
                && Arc::ptr_eq(&writes[j].seg, &first.seg)
                && writes[j].pos == end
            {
                end += writes[j].range.len() as u64;
                j += 1;
            }
            let bytes = if j == i + 1 {
                &self.buf[first.range.clone()]
            } else {
                self.scratch.clear();
                for w in &writes[i..j] {
                    self.scratch.extend_from_slice(&self.buf[w.range.clone()]);
                }
                &self.scratch[..]
            };
            let mut tail = first.seg.tail.lock();
            let outcome = if tail.bytes.is_empty() && bytes.len() >= TAIL_FLUSH_BYTES {
                tail.start = end;
                first
                    .file
                    .write_all_at(bytes, first.pos)
                    .map_err(|e| StorageError::io("write segment", e))
            } else {
                if tail.bytes.is_empty() {
                    tail.start = first.pos;
                    self.tails
                        .entry(Arc::as_ptr(&first.seg) as usize)
                        .or_insert_with(|| (first.seg.clone(), first.file.clone()));
                }
                debug_assert_eq!(tail.start + tail.bytes.len() as u64, first.pos);
                tail.bytes.extend_from_slice(bytes);
                self.tail_bytes += bytes.len();
                if tail.bytes.len() >= TAIL_FLUSH_BYTES {
                    self.tail_bytes -= tail.bytes.len();
                    flush_tail(&mut tail, &first.file)
                } else {
                    Ok(())
                }
            };
            let written_back = (tail.bytes.is_empty()
                && tail.start >= tail.written_back + WRITEBACK_BYTES)
                .then(|| {
                    tail.written_back = tail.start;
                    first.file.clone()
                });
            drop(tail);
            if let Err(e) = outcome {
                result = Err(e);
                break;
            }
            if let Some(file) = written_back {
                self.request_writeback(file);
            }
            i = j;
        }
        writes.clear();
        self.segment_writes = writes;
        result?;
        if self.tail_bytes > TAIL_BUDGET_BYTES {
            self.flush_tails()?;
        }
        Ok(())
    }

    /// Queues an early sync of a segment file, unless one is queued already.
    fn request_writeback(&self, file: Arc<File>) {
        if let Some((tx, _)) = &self.checkpoints
            && self.writebacks.lock().insert(Arc::as_ptr(&file) as usize)
        {
            let _ = tx.send(Background::Writeback(file));
        }
    }

    /// Writes every tail to its file (before a checkpoint syncs the files).
    fn flush_tails(&mut self) -> Result<(), StorageError> {
        for (_, (seg, file)) in self.tails.drain() {
            flush_tail(&mut seg.tail.lock(), &file)?;
        }
        self.tail_bytes = 0;
        Ok(())
    }

    fn commit_wal(&mut self) -> Result<(), StorageError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let sync = self.shared.config.durability == Durability::Sync;
        let wal = self.wal.as_mut().ok_or(StorageError::ShuttingDown)?;
        let start = wal.pos;
        let started = Instant::now();
        let written = wal
            .file
            .write_all_at(&self.buf, start)
            .map_err(|e| StorageError::io("write WAL", e))
            .and_then(|()| {
                if sync {
                    wal.file
                        .sync_data()
                        .map_err(|e| StorageError::io("sync WAL", e))?;
                }
                Ok(())
            });
        if let Err(e) = written {
            // Whatever reached the file must not be replayed at a restart: zero it (or cut
            // it off) durably, or give up writing altogether.
            let len = self.buf.len() as u64;
            let keep = wal.allocated.max(start);
            let undone = (|| {
                if keep > start {
                    let zeros = vec![0u8; (keep.min(start + len) - start) as usize];
                    wal.file.write_all_at(&zeros, start)?;
                }
                wal.file.set_len(keep)?;
                wal.file.sync_all()
            })();
            return Err(match undone {
                Ok(()) => e,
                Err(u) => StorageError::Fatal(format!("{e}; undoing it failed too: {u}")),
            });
        }
        wal.pos += self.buf.len() as u64;
        wal.rounds += 1;
        if sync {
            metrics::histogram!("sluice_storage_fsync_seconds")
                .record(started.elapsed().as_secs_f64());
        }
        metrics::counter!("sluice_storage_commit_rounds_total").increment(1);
        metrics::counter!("sluice_storage_wal_bytes_total").increment(self.buf.len() as u64);
        Ok(())
    }

    /// Encodes one append into the round's WAL buffer and writes it to its segment (unsynced).
    fn stage(&mut self, a: LogAppend, now: i64) -> Result<AppendAck, StorageError> {
        self.load_log(a.log)?;
        let wl = self
            .logs
            .get_mut(&a.log)
            .ok_or(StorageError::LogNotFound(a.log))?;
        let ts = a.timestamp_ms.max(wl.last_ts);
        let first_offset = wl.next_offset;
        if a.records.is_empty() {
            return Ok(AppendAck {
                first_offset,
                timestamp_ms: ts,
            });
        }
        let estimate = codec::BATCH_HEADER_LEN as u64
            + a.records
                .iter()
                .map(|r| 8 + r.key.len() as u64 + r.value.len() as u64)
                .sum::<u64>();
        ensure_active(
            wl,
            estimate,
            now,
            &self.shared.config,
            &mut self.dirty_dirs,
            &mut self.sealed,
        )?;
        let entry_start = self.buf.len();
        self.buf.extend_from_slice(&[0u8; ENTRY_HEADER_LEN]);
        let len = codec::encode_batch(&mut self.buf, first_offset, ts, &a.records);
        wal::seal_entry(&mut self.buf, entry_start, a.log);
        let active = wl
            .active
            .as_mut()
            .ok_or_else(|| StorageError::Fatal("no active segment".into()))?;
        self.segment_writes.push(SegmentWrite {
            seg: active.seg.clone(),
            file: active.file.clone(),
            pos: active.pos,
            range: entry_start + ENTRY_HEADER_LEN..self.buf.len(),
        });
        self.pending.push(Pending {
            state: wl.state.clone(),
            seg: active.seg.clone(),
            pos: active.pos,
            header: BatchHeader {
                encoded_len: len,
                base_offset: first_offset,
                count: u32::try_from(a.records.len()).unwrap_or(u32::MAX),
                timestamp_ms: ts,
            },
        });
        active.pos += len as u64;
        active.first_ts.get_or_insert(ts);
        self.dirty_files
            .entry((a.log, active.seg.base_offset))
            .or_insert_with(|| active.file.clone());
        wl.next_offset += a.records.len() as u64;
        wl.last_ts = ts;
        Ok(AppendAck {
            first_offset,
            timestamp_ms: ts,
        })
    }

    /// Makes sure the writer knows `id`, picking up its newest segment as the active one.
    fn load_log(&mut self, id: LogId) -> Result<(), StorageError> {
        if let Some(wl) = self.logs.get(&id) {
            if !wl.state.deleted.load(Ordering::SeqCst) {
                return Ok(());
            }
            self.logs.remove(&id);
            self.dirty_files.retain(|(log, _), _| *log != id);
            return Err(StorageError::LogNotFound(id));
        }
        let state = self
            .shared
            .logs
            .read()
            .get(&id)
            .cloned()
            .ok_or(StorageError::LogNotFound(id))?;
        let last = state.segments.read().last().cloned();
        let (next_offset, last_ts, active) = match last {
            Some(seg) => {
                let idx = seg.index.lock().clone();
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&seg.path)
                    .map_err(|e| StorageError::io("open segment for writing", e))?;
                // The index file a clean shutdown left is about to be out of date.
                match std::fs::remove_file(segment::index_path(&seg.path)) {
                    Ok(()) => sync_dir(&state.dir)?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StorageError::io("remove index file", e)),
                }
                file.set_len(idx.end_pos)
                    .map_err(|e| StorageError::io("truncate segment", e))?;
                let active = Active {
                    seg: seg.clone(),
                    file: Arc::new(file),
                    pos: idx.end_pos,
                    first_ts: idx.first_ts,
                };
                (
                    idx.next_offset,
                    idx.last_ts.unwrap_or(i64::MIN),
                    Some(active),
                )
            }
            None => (state.durable_next.load(Ordering::Acquire), i64::MIN, None),
        };
        self.logs.insert(
            id,
            WriterLog {
                state,
                next_offset,
                last_ts,
                active,
            },
        );
        Ok(())
    }

    /// Recovery: appends a batch read back from the WAL if its log does not have it yet.
    pub(crate) fn replay(&mut self, log: LogId, batch: &[u8]) -> Result<bool, StorageError> {
        let DecodeOutcome::Batch(header) = codec::check_batch(batch) else {
            return Ok(false);
        };
        match self.load_log(log) {
            Ok(()) => {}
            Err(StorageError::LogNotFound(_)) => return Ok(false),
            Err(e) => return Err(e),
        }
        let wl = self
            .logs
            .get_mut(&log)
            .ok_or(StorageError::LogNotFound(log))?;
        if header.next_offset() <= wl.next_offset {
            return Ok(false);
        }
        if header.base_offset != wl.next_offset {
            return Err(StorageError::Fatal(format!(
                "log {log}: WAL batch at offset {} does not follow the log's end {}",
                header.base_offset, wl.next_offset
            )));
        }
        let now = self.shared.clock.now_millis();
        ensure_active(
            wl,
            header.encoded_len as u64,
            now,
            &self.shared.config,
            &mut self.dirty_dirs,
            &mut self.sealed,
        )?;
        let active = wl
            .active
            .as_mut()
            .ok_or_else(|| StorageError::Fatal("no active segment".into()))?;
        active
            .file
            .write_all_at(batch, active.pos)
            .map_err(|e| StorageError::io("write segment", e))?;
        active.seg.index.lock().push(active.pos, &header);
        active.pos += header.encoded_len as u64;
        active.first_ts.get_or_insert(header.timestamp_ms);
        self.dirty_files
            .entry((log, active.seg.base_offset))
            .or_insert_with(|| active.file.clone());
        wl.next_offset = header.next_offset();
        wl.last_ts = header.timestamp_ms;
        wl.state
            .durable_next
            .store(wl.next_offset, Ordering::Release);
        Ok(true)
    }

    /// Writes out every tail and hands over what the next checkpoint must sync.
    fn take_checkpoint_job(
        &mut self,
        wal_files: Vec<PathBuf>,
    ) -> Result<CheckpointJob, StorageError> {
        self.flush_tails()?;
        Ok(CheckpointJob {
            wal_files,
            files: self
                .dirty_files
                .drain()
                .map(|((log, base), f)| {
                    let dir = super::log_dir(&self.shared.logs_dir(), log);
                    (segment::segment_path(&dir, base), f)
                })
                .collect(),
            dirs: self.dirty_dirs.drain().collect(),
            sealed: std::mem::take(&mut self.sealed),
        })
    }

    /// Syncs everything written so far and deletes `wal_files`, on this thread.
    pub(crate) fn checkpoint_inline(
        &mut self,
        wal_files: Vec<PathBuf>,
    ) -> Result<(), StorageError> {
        self.take_checkpoint_job(wal_files)?.run()
    }

    fn rotate_if_needed(&mut self) -> Result<(), StorageError> {
        let Some(current) = self
            .wal
            .as_ref()
            .filter(|w| w.pos >= self.shared.config.wal_max_bytes)
        else {
            return Ok(());
        };
        let small_rounds = current.pos / current.rounds.max(1) < PREPARE_MAX_ROUND_BYTES;
        // What can fail for want of space comes before the swap, so a failed rotation leaves
        // the current WAL in use (it grows past its mark) and is tried again next round.
        self.flush_tails()?;
        let new = match self.take_prepared()? {
            Some(w) => w,
            None => {
                // Not ready: append to a plain file this time, and let whatever the preparer
                // is making go stale (it has a lower number than the new file).
                let w = self.create_wal()?;
                self.preparing = None;
                w
            }
        };
        if small_rounds {
            self.request_prepared();
        }
        let old = self
            .wal
            .replace(new)
            .map(|w| wal::wal_path(&self.wal_dir, w.seq));
        let job = self.take_checkpoint_job(old.into_iter().collect())?;
        match &self.checkpoints {
            Some((tx, _)) => tx
                .send(Background::Checkpoint(job))
                .map_err(|_| StorageError::Fatal("checkpoint thread gone".into())),
            None => job.run(),
        }
    }

    /// Clean shutdown: wait for queued checkpoints, then checkpoint everything and drop the WAL.
    fn finish(&mut self) {
        self.shared.stopping.store(true, Ordering::Release);
        if let Some(mut p) = self.preparer.take() {
            p.stop();
        }
        if let Some((tx, handle)) = self.checkpoints.take() {
            drop(tx);
            let _ = handle.join();
        }
        if self.shared.poisoned.lock().is_some() {
            return;
        }
        let wal = self.wal.take().map(|w| wal::wal_path(&self.wal_dir, w.seq));
        if let Err(e) = self.checkpoint_inline(wal.into_iter().collect()) {
            self.shared.poison(&e);
            return;
        }
        // Each active segment is complete and synced now: its index file lets the next start
        // tell damage to its last batches from a torn tail.
        for wl in self.logs.values() {
            if let Some(a) = &wl.active
                && !wl.state.deleted.load(Ordering::SeqCst)
                && let Err(e) = segment::write_index_file(&a.seg)
            {
                tracing::warn!(file = %a.seg.path.display(), error = %e, "could not write an index file");
            }
        }
    }
}

/// Writes a tail's bytes to the segment file and empties it.
fn flush_tail(tail: &mut segment::Tail, file: &File) -> Result<(), StorageError> {
    if tail.bytes.is_empty() {
        return Ok(());
    }
    file.write_all_at(&tail.bytes, tail.start)
        .map_err(|e| StorageError::io("write segment", e))?;
    tail.start += tail.bytes.len() as u64;
    tail.bytes = Vec::new();
    Ok(())
}

/// Rolls to a new segment if there is none or the active one is full or old.
fn ensure_active(
    wl: &mut WriterLog,
    incoming: u64,
    now: i64,
    config: &super::DiskConfig,
    dirty_dirs: &mut HashSet<PathBuf>,
    sealed: &mut Vec<Arc<Segment>>,
) -> Result<(), StorageError> {
    let roll = match &wl.active {
        None => true,
        Some(a) => {
            a.pos > SEGMENT_HEADER_LEN
                && (a.pos + incoming > config.segment_max_bytes
                    || a.first_ts
                        .is_some_and(|t| now.saturating_sub(t) >= config.segment_max_age_ms))
        }
    };
    if !roll {
        return Ok(());
    }
    let base = wl.next_offset;
    let path = segment::segment_path(&wl.state.dir, base);
    // Created before the old segment is sealed: if this fails, nothing has changed.
    let file = segment::create_segment_file(&path, base)?;
    if let Some(old) = wl.active.take() {
        sealed.push(old.seg);
    }
    let seg = Arc::new(Segment::new(base, path, SegmentIndex::new(base)));
    wl.state.segments.write().push(seg.clone());
    dirty_dirs.insert(wl.state.dir.clone());
    wl.active = Some(Active {
        seg,
        file: Arc::new(file),
        pos: SEGMENT_HEADER_LEN,
        first_ts: None,
    });
    Ok(())
}
