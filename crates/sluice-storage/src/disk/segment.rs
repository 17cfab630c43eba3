//! Segment files: one log's records in offset order, as a file header followed by batches (see
//! [`crate::codec`]), with a sparse in-memory index by offset and by arrival time. A sealed segment
//! gets an index file when a checkpoint has made it durable, so recovery need not rescan it.

use crate::codec::{self, BatchHeader, DecodeOutcome};
use crate::{StorageError, StoredRecord};
use bytes::Bytes;
use parking_lot::Mutex;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// `SLSG`, format version 1, then the segment's base offset.
pub const SEGMENT_MAGIC: &[u8; 4] = b"SLSG";
pub const SEGMENT_VERSION: u16 = 1;
pub const SEGMENT_HEADER_LEN: u64 = 16;
const INDEX_MAGIC: &[u8; 4] = b"SLIX";
const INDEX_VERSION: u16 = 1;
/// A new index entry at least every this many bytes of batches.
pub const INDEX_INTERVAL: u64 = 32 * 1024;
/// How much a reader fetches from a segment at once.
const READ_CHUNK: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub offset: u64,
    pub pos: u64,
    pub timestamp_ms: i64,
}

/// What is known about a segment's contents.
#[derive(Debug, Clone, Default)]
pub struct SegmentIndex {
    /// Sparse entries in increasing offset order; the first batch always has one.
    pub entries: Vec<IndexEntry>,
    /// End of the valid batches (file position).
    pub end_pos: u64,
    /// One past the last offset in this segment.
    pub next_offset: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    last_indexed_pos: u64,
}

impl SegmentIndex {
    pub fn new(base_offset: u64) -> Self {
        Self {
            entries: Vec::new(),
            end_pos: SEGMENT_HEADER_LEN,
            next_offset: base_offset,
            first_ts: None,
            last_ts: None,
            last_indexed_pos: 0,
        }
    }

    /// Records a batch appended at `pos`.
    pub fn push(&mut self, pos: u64, header: &BatchHeader) {
        if self.entries.is_empty() || pos - self.last_indexed_pos >= INDEX_INTERVAL {
            self.entries.push(IndexEntry {
                offset: header.base_offset,
                pos,
                timestamp_ms: header.timestamp_ms,
            });
            self.last_indexed_pos = pos;
        }
        self.end_pos = pos + header.encoded_len as u64;
        self.next_offset = header.next_offset();
        self.first_ts.get_or_insert(header.timestamp_ms);
        self.last_ts = Some(header.timestamp_ms);
    }

    /// Position of the batch to start scanning from to find `offset`.
    fn pos_for_offset(&self, offset: u64) -> u64 {
        let i = self.entries.partition_point(|e| e.offset <= offset);
        if i == 0 {
            SEGMENT_HEADER_LEN
        } else {
            self.entries[i - 1].pos
        }
    }

    /// Position of the batch to start scanning from to find the first timestamp `>= ts`.
    fn pos_for_time(&self, ts: i64) -> u64 {
        let i = self.entries.partition_point(|e| e.timestamp_ms < ts);
        if i == 0 {
            SEGMENT_HEADER_LEN
        } else {
            self.entries[i - 1].pos
        }
    }
}

/// One segment file as readers and the writer share it.
#[derive(Debug)]
pub struct Segment {
    pub base_offset: u64,
    pub path: PathBuf,
    pub index: Mutex<SegmentIndex>,
    /// What the writer appended but has not written to the file yet.
    pub tail: Mutex<Tail>,
}

/// Bytes of a segment that live in memory only, at file positions `start..start + bytes.len()`.
/// Invariant: the file holds every byte before `start` (every byte, when `bytes` is empty). The
/// WAL holds them durably; the writer writes them out before each checkpoint.
#[derive(Debug, Default)]
pub struct Tail {
    pub start: u64,
    pub bytes: Vec<u8>,
    /// The file position up to which the writer has asked for the file to be synced ahead of
    /// the next checkpoint (see the writer's `WRITEBACK_BYTES`).
    pub written_back: u64,
}

impl Segment {
    pub fn new(base_offset: u64, path: PathBuf, index: SegmentIndex) -> Self {
        Self {
            base_offset,
            path,
            index: Mutex::new(index),
            tail: Mutex::new(Tail::default()),
        }
    }

    /// Reads `buf.len()` bytes at `pos`: the part still in the tail from there, the rest from
    /// `file`. The tail is copied first, so a flush racing this read cannot hide bytes: whatever
    /// moved out of the tail was in the file before it moved.
    /// Fills `buf` from `pos`, taking what the in-memory tail holds from memory and opening the
    /// file (once, into `file`) only for the rest. `Ok(false)`: the file is gone (retention or
    /// log deletion removed it since the caller listed it).
    fn read_at(
        &self,
        file: &mut Option<File>,
        buf: &mut [u8],
        pos: u64,
    ) -> Result<bool, StorageError> {
        let end = pos + buf.len() as u64;
        let file_end = {
            let tail = self.tail.lock();
            if tail.bytes.is_empty() || end <= tail.start {
                end
            } else {
                let from = pos.max(tail.start);
                let src = tail
                    .bytes
                    .get((from - tail.start) as usize..(end - tail.start) as usize)
                    .ok_or_else(|| {
                        StorageError::Fatal(format!(
                            "read past the end of {} at {pos}",
                            self.path.display()
                        ))
                    })?;
                buf[(from - pos) as usize..].copy_from_slice(src);
                from
            }
        };
        if file_end > pos {
            if file.is_none() {
                *file = open_live(self)?;
            }
            let Some(f) = file.as_ref() else {
                return Ok(false);
            };
            f.read_exact_at(&mut buf[..(file_end - pos) as usize], pos)
                .map_err(|e| StorageError::io("read segment", e))?;
        }
        Ok(true)
    }

    /// Whether reading from `offset` to the segment's end needs only its in-memory tail.
    pub fn tail_holds(&self, offset: u64) -> bool {
        let pos = self.index.lock().pos_for_offset(offset);
        let tail = self.tail.lock();
        !tail.bytes.is_empty() && pos >= tail.start
    }
}

/// A segment's path as errors give it to clients: from the data directory's `logs` on.
pub fn shown(path: &Path) -> String {
    let parts: Vec<_> = path.components().rev().take(3).collect();
    parts
        .into_iter()
        .rev()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

pub fn segment_path(dir: &Path, base_offset: u64) -> PathBuf {
    dir.join(format!("{base_offset:020}.seg"))
}

pub fn index_path(segment: &Path) -> PathBuf {
    segment.with_extension("idx")
}

/// Parses `NNNN.seg` into its base offset.
pub fn parse_segment_name(name: &str) -> Option<u64> {
    name.strip_suffix(".seg")?.parse().ok()
}

pub fn segment_header(base_offset: u64) -> [u8; SEGMENT_HEADER_LEN as usize] {
    let mut h = [0u8; SEGMENT_HEADER_LEN as usize];
    h[..4].copy_from_slice(SEGMENT_MAGIC);
    h[4..6].copy_from_slice(&SEGMENT_VERSION.to_le_bytes());
    h[8..16].copy_from_slice(&base_offset.to_le_bytes());
    h
}

/// Creates a new, empty segment file (header written, not yet synced).
pub fn create_segment_file(path: &Path, base_offset: u64) -> Result<File, StorageError> {
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| StorageError::io("create segment", e))?;
    if let Err(e) = file.write_all(&segment_header(base_offset)) {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(StorageError::io("write segment header", e));
    }
    Ok(file)
}

/// Result of scanning a segment file from its start.
pub struct ScanResult {
    /// The valid prefix: every batch up to the first invalid byte.
    pub index: SegmentIndex,
    /// Where the valid prefix ends, if the file holds bytes past it that are not a valid batch
    /// (a torn tail, or damage).
    pub damaged_at: Option<u64>,
    /// Valid batches found past the damage (file position, header), in file order with
    /// increasing offsets. Empty for a torn tail; otherwise the damage is in the middle.
    pub after: Vec<(u64, BatchHeader)>,
    /// The file's length.
    pub len: u64,
}

impl ScanResult {
    /// Records in the valid batches past the damage.
    pub fn records_after(&self) -> u64 {
        self.after.iter().map(|(_, h)| u64::from(h.count)).sum()
    }
}

/// Reads a segment file, validating every batch checksum. The valid prefix ends at the first
/// invalid batch; past it, every position is tried, so that valid batches behind a damaged one
/// are found rather than silently counted as a torn tail.
pub fn scan_segment(path: &Path, base_offset: u64) -> Result<ScanResult, StorageError> {
    let data = std::fs::read(path)
        .map_err(|e| StorageError::Fatal(format!("read segment {}: {e}", path.display())))?;
    let len = data.len() as u64;
    let mut index = SegmentIndex::new(base_offset);
    let header = data.get(..SEGMENT_HEADER_LEN as usize);
    match header {
        Some(h) if h == segment_header(base_offset) => {}
        Some(h) if h[..4] == SEGMENT_MAGIC[..] && h[4..6] != SEGMENT_VERSION.to_le_bytes() => {
            // Another format version is not damage: refuse rather than cut what we cannot read.
            return Err(StorageError::Fatal(format!(
                "{}: unsupported segment format version {}",
                path.display(),
                u16::from_le_bytes([h[4], h[5]])
            )));
        }
        // Short, all zeros (never written out: the WAL holds its data) or damaged: nothing of
        // it is valid; batches behind it are looked for all the same.
        _ => {
            let after = codec::resync(&data, SEGMENT_HEADER_LEN as usize, base_offset);
            return Ok(ScanResult {
                index,
                damaged_at: (len > 0).then_some(0),
                after,
                len,
            });
        }
    }
    let mut pos = SEGMENT_HEADER_LEN as usize;
    while pos < data.len() {
        match codec::check_batch(&data[pos..]) {
            DecodeOutcome::Batch(h) if h.base_offset >= index.next_offset => {
                index.push(pos as u64, &h);
                pos += h.encoded_len;
            }
            _ => break,
        }
    }
    let (damaged_at, after) = if pos < data.len() {
        let after = codec::resync(&data, pos + 1, index.next_offset);
        (Some(pos as u64), after)
    } else {
        (None, Vec::new())
    };
    Ok(ScanResult {
        index,
        damaged_at,
        after,
        len,
    })
}

/// Opens a segment for reading; `None` if retention (or log deletion) removed it meanwhile.
fn open_live(seg: &Segment) -> Result<Option<File>, StorageError> {
    match File::open(&seg.path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StorageError::io("open segment", e)),
    }
}

/// Reads records of one segment starting at `from_offset`, below `end_offset`, appending to `out`
/// while `budget` allows. Returns true if the segment was read to its end.
pub fn read_segment(
    seg: &Segment,
    from_offset: u64,
    end_offset: u64,
    budget: &mut ReadBudget,
    out: &mut Vec<StoredRecord>,
) -> Result<bool, StorageError> {
    let (start_pos, end_pos) = {
        let idx = seg.index.lock();
        (idx.pos_for_offset(from_offset), idx.end_pos)
    };
    // Opened on the first read the tail cannot serve. If it is gone, retention deleted it since
    // the caller listed it: its records are expired, move on.
    let mut file = None;
    let mut pos = start_pos;
    while pos < end_pos {
        let want = READ_CHUNK.min((end_pos - pos) as usize);
        let mut buf = vec![0u8; want];
        if !seg.read_at(&mut file, &mut buf, pos)? {
            return Ok(true);
        }
        let mut buf = Bytes::from(buf);
        loop {
            match codec::check_batch(&buf) {
                DecodeOutcome::Batch(h) => {
                    let batch = buf.slice(..h.encoded_len);
                    buf = buf.slice(h.encoded_len..);
                    pos += h.encoded_len as u64;
                    if h.base_offset >= end_offset {
                        return Ok(false);
                    }
                    if h.next_offset() <= from_offset {
                        continue;
                    }
                    let before = out.len();
                    codec::decode_records(&batch, &h, from_offset, out).ok_or_else(|| {
                        StorageError::Fatal(format!(
                            "malformed batch in {} at byte {pos}",
                            shown(&seg.path)
                        ))
                    })?;
                    // Enforce the budget per record, keeping at least one record in all.
                    let over = out[before..].iter().position(|r| {
                        r.offset >= end_offset || !budget.admit(r.key.len() + r.value.len())
                    });
                    if let Some(i) = over {
                        out.truncate(before + i);
                        return Ok(false);
                    }
                }
                DecodeOutcome::Incomplete { needed } => {
                    if buf.is_empty() {
                        break;
                    }
                    if pos + needed as u64 > end_pos {
                        return Ok(true);
                    }
                    // Re-read from the start of this batch with room for all of it.
                    let mut bigger =
                        vec![0u8; needed.max(READ_CHUNK).min((end_pos - pos) as usize)];
                    if !seg.read_at(&mut file, &mut bigger, pos)? {
                        return Ok(true);
                    }
                    buf = Bytes::from(bigger);
                }
                DecodeOutcome::Corrupt => {
                    let e = StorageError::Fatal(format!(
                        "the stored records after offset {from_offset} are damaged: a batch \
                         that fails its checksum in {} at byte {pos}",
                        shown(&seg.path)
                    ));
                    tracing::error!(file = %seg.path.display(), position = pos, "read a damaged batch");
                    return Err(e);
                }
            }
        }
    }
    Ok(true)
}

/// The first offset in this segment whose timestamp is `>= ts`, if any.
pub fn offset_at_time(seg: &Segment, ts: i64) -> Result<Option<u64>, StorageError> {
    let (start_pos, end_pos) = {
        let idx = seg.index.lock();
        if idx.last_ts.is_none_or(|last| last < ts) {
            return Ok(None);
        }
        (idx.pos_for_time(ts), idx.end_pos)
    };
    let mut file = None;
    let mut pos = start_pos;
    let mut header = [0u8; codec::BATCH_HEADER_LEN];
    while pos < end_pos {
        if !seg.read_at(&mut file, &mut header, pos)? {
            return Ok(None);
        }
        let len = codec::read_u32(&header, 0) as u64 + 8;
        let base = codec::read_u64(&header, 8);
        let batch_ts = codec::read_u64(&header, 20) as i64;
        if batch_ts >= ts {
            return Ok(Some(base));
        }
        pos += len;
    }
    Ok(None)
}

/// Tracks how much one read may still return.
pub struct ReadBudget {
    pub records_left: usize,
    pub bytes_left: usize,
    pub taken: usize,
}

impl ReadBudget {
    fn admit(&mut self, size: usize) -> bool {
        if self.records_left == 0 || (self.taken > 0 && size > self.bytes_left) {
            return false;
        }
        self.records_left -= 1;
        self.bytes_left = self.bytes_left.saturating_sub(size);
        self.taken += 1;
        true
    }
}

/// Writes the index file of a sealed, synced segment.
pub fn write_index_file(seg: &Segment) -> Result<(), StorageError> {
    let idx = seg.index.lock().clone();
    let mut out = Vec::with_capacity(64 + idx.entries.len() * 24);
    out.extend_from_slice(INDEX_MAGIC);
    out.extend_from_slice(&INDEX_VERSION.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&seg.base_offset.to_le_bytes());
    out.extend_from_slice(&idx.next_offset.to_le_bytes());
    out.extend_from_slice(&idx.end_pos.to_le_bytes());
    out.extend_from_slice(&idx.first_ts.unwrap_or(i64::MIN).to_le_bytes());
    out.extend_from_slice(&idx.last_ts.unwrap_or(i64::MIN).to_le_bytes());
    out.extend_from_slice(&idx.last_indexed_pos.to_le_bytes());
    out.extend_from_slice(&(idx.entries.len() as u64).to_le_bytes());
    for e in &idx.entries {
        out.extend_from_slice(&e.offset.to_le_bytes());
        out.extend_from_slice(&e.pos.to_le_bytes());
        out.extend_from_slice(&e.timestamp_ms.to_le_bytes());
    }
    let crc = crc32c::crc32c(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    let path = index_path(&seg.path);
    let tmp = path.with_extension("idx.tmp");
    let mut f = File::create(&tmp).map_err(|e| StorageError::io("create index", e))?;
    f.write_all(&out)
        .map_err(|e| StorageError::io("write index", e))?;
    f.sync_data()
        .map_err(|e| StorageError::io("sync index", e))?;
    std::fs::rename(&tmp, &path).map_err(|e| StorageError::io("rename index", e))?;
    Ok(())
}

/// Loads an index file; `None` if absent, corrupt, or inconsistent with the segment file.
pub fn read_index_file(seg_path: &Path, base_offset: u64) -> Option<SegmentIndex> {
    let index = parse_index_file(seg_path, base_offset)?;
    let file_len = std::fs::metadata(seg_path).ok()?.len();
    (file_len >= index.end_pos).then_some(index)
}

/// An index file's contents, whether or not the segment file still matches it.
pub fn parse_index_file(seg_path: &Path, base_offset: u64) -> Option<SegmentIndex> {
    let data = std::fs::read(index_path(seg_path)).ok()?;
    if data.len() < 72 || &data[..4] != INDEX_MAGIC {
        return None;
    }
    let (body, crc) = data.split_at(data.len() - 4);
    if crc32c::crc32c(body) != codec::read_u32(crc, 0) {
        return None;
    }
    let u = |at: usize| codec::read_u64(body, at);
    if u16::from_le_bytes([body[4], body[5]]) != INDEX_VERSION || u(8) != base_offset {
        return None;
    }
    let ts = |v: u64| (v as i64 != i64::MIN).then_some(v as i64);
    let n = usize::try_from(u(56)).ok()?;
    if body.len() != 64 + n * 24 {
        return None;
    }
    let entries = (0..n)
        .map(|i| {
            let at = 64 + i * 24;
            IndexEntry {
                offset: u(at),
                pos: u(at + 8),
                timestamp_ms: u(at + 16) as i64,
            }
        })
        .collect();
    let index = SegmentIndex {
        entries,
        next_offset: u(16),
        end_pos: u(24),
        first_ts: ts(u(32)),
        last_ts: ts(u(40)),
        last_indexed_pos: u(48),
    };
    Some(index)
}
