//! The write-ahead log: the one file whose `fdatasync` makes a round of appends durable.
//!
//! Format version 1: a header `SLWL` + version:u16 + 2 reserved bytes, then entries
//! `log_id:u64 entry_crc:u32 batch`, where `batch` is a [`crate::codec`] batch (self-checksummed)
//! and `entry_crc` is CRC-32C over the log id and the batch's own CRC field.

use crate::StorageError;
use crate::codec::{self, DecodeOutcome};
use std::path::{Path, PathBuf};

pub const WAL_MAGIC: &[u8; 4] = b"SLWL";
pub const WAL_VERSION: u16 = 1;
pub const WAL_HEADER_LEN: usize = 8;
pub const ENTRY_HEADER_LEN: usize = 12;

pub fn wal_header() -> [u8; WAL_HEADER_LEN] {
    let mut h = [0u8; WAL_HEADER_LEN];
    h[..4].copy_from_slice(WAL_MAGIC);
    h[4..6].copy_from_slice(&WAL_VERSION.to_le_bytes());
    h
}

pub fn wal_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.wal"))
}

pub fn parse_wal_name(name: &str) -> Option<u64> {
    name.strip_suffix(".wal")?.parse().ok()
}

/// Writes the entry header for a batch that has already been encoded at `out[batch_start..]`,
/// into the 12 bytes reserved just before it.
pub fn seal_entry(out: &mut [u8], entry_start: usize, log_id: u64) {
    let batch_start = entry_start + ENTRY_HEADER_LEN;
    let mut crc_input = [0u8; 12];
    crc_input[..8].copy_from_slice(&log_id.to_le_bytes());
    crc_input[8..].copy_from_slice(&out[batch_start + 4..batch_start + 8]);
    out[entry_start..entry_start + 8].copy_from_slice(&log_id.to_le_bytes());
    out[entry_start + 8..batch_start].copy_from_slice(&crc32c::crc32c(&crc_input).to_le_bytes());
}

/// One valid entry of a WAL file.
pub struct WalEntry<'a> {
    pub log_id: u64,
    pub batch: &'a [u8],
}

/// Iterates the valid entries of a WAL file's contents, stopping at the first invalid one (a torn
/// tail, or damage). [`WalReader::position`] then tells where the valid prefix ends.
pub struct WalReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> WalReader<'a> {
    pub fn new(data: &'a [u8]) -> Result<Self, StorageError> {
        // A short or all-zero header was never written out: the file holds nothing yet.
        if data.len() < WAL_HEADER_LEN || data[..WAL_HEADER_LEN].iter().all(|&b| b == 0) {
            return Ok(Self { data: &[], pos: 0 });
        }
        if data[..4] != WAL_MAGIC[..] {
            return Err(StorageError::Fatal("corrupt WAL file header".into()));
        }
        let version = u16::from_le_bytes([data[4], data[5]]);
        if version != WAL_VERSION {
            return Err(StorageError::Fatal(format!(
                "unsupported WAL format version {version}"
            )));
        }
        Ok(Self {
            data,
            pos: WAL_HEADER_LEN,
        })
    }

    /// Where the entries read so far end.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The valid entry starting at `pos`, if there is one.
    pub fn entry(&self, pos: usize) -> Option<WalEntry<'a>> {
        entry_at(self.data, pos).map(|(e, _)| e)
    }

    /// Goes on reading from `pos` (past a damaged stretch).
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The first position at or after `from` where a valid entry starts, found by trying every
    /// position: whether anything valid follows a damaged stretch. Zeros (the unused part of a
    /// prepared file) are skipped quickly.
    pub fn find_entry(&self, from: usize) -> Option<usize> {
        let mut p = from;
        while p + ENTRY_HEADER_LEN + codec::BATCH_HEADER_LEN <= self.data.len() {
            if self.data[p] != 0 && entry_at(self.data, p).is_some() {
                return Some(p);
            }
            p += 1;
        }
        None
    }
}

/// The valid entry at `pos`, and its length.
fn entry_at(data: &[u8], pos: usize) -> Option<(WalEntry<'_>, usize)> {
    let rest = data.get(pos..)?;
    if rest.len() < ENTRY_HEADER_LEN {
        return None;
    }
    let log_id = codec::read_u64(rest, 0);
    let entry_crc = codec::read_u32(rest, 8);
    let batch = &rest[ENTRY_HEADER_LEN..];
    let DecodeOutcome::Batch(header) = codec::check_batch(batch) else {
        return None;
    };
    let mut crc_input = [0u8; 12];
    crc_input[..8].copy_from_slice(&log_id.to_le_bytes());
    crc_input[8..].copy_from_slice(&batch[4..8]);
    if crc32c::crc32c(&crc_input) != entry_crc {
        return None;
    }
    Some((
        WalEntry {
            log_id,
            batch: &batch[..header.encoded_len],
        },
        ENTRY_HEADER_LEN + header.encoded_len,
    ))
}

impl<'a> Iterator for WalReader<'a> {
    type Item = WalEntry<'a>;
    fn next(&mut self) -> Option<WalEntry<'a>> {
        let (entry, len) = entry_at(self.data, self.pos)?;
        self.pos += len;
        Some(entry)
    }
}

/// Zero-fills WAL files ahead of use, on a thread of its own.
///
/// An `fdatasync` after an append must also write the inode, because the file grew; after an
/// overwrite of blocks that are already allocated and durable it writes the data alone, which is
/// markedly cheaper per commit round (BENCHMARKS.md, "Group commit"). A prepared file is zeros
/// throughout, header included, so if the process dies before the writer takes it, recovery reads
/// it as an empty WAL file and removes it.
pub struct Preparer {
    requests: Option<crossbeam_channel::Sender<u64>>,
    ready: crossbeam_channel::Receiver<(u64, std::fs::File)>,
    thread: Option<std::thread::JoinHandle<()>>,
    dir: PathBuf,
}

const ZERO_CHUNK: usize = 1 << 20;
static ZEROS: [u8; ZERO_CHUNK] = [0; ZERO_CHUNK];

impl Preparer {
    /// Starts the thread; each prepared file is `len` bytes long.
    pub fn start(dir: PathBuf, len: u64) -> Result<Self, StorageError> {
        let (requests, rx) = crossbeam_channel::unbounded::<u64>();
        let (tx, ready) = crossbeam_channel::unbounded();
        let thread_dir = dir.clone();
        let thread = std::thread::Builder::new()
            .name("sluice-wal-prep".into())
            .spawn(move || {
                for seq in rx {
                    match prepare(&thread_dir, seq, len) {
                        Ok(file) => {
                            if tx.send((seq, file)).is_err() {
                                let _ = std::fs::remove_file(wal_path(&thread_dir, seq));
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "could not prepare a WAL file; appending instead");
                            let _ = std::fs::remove_file(wal_path(&thread_dir, seq));
                        }
                    }
                }
            })
            .map_err(|e| StorageError::fatal("spawn WAL preparer", e))?;
        Ok(Self {
            requests: Some(requests),
            ready,
            thread: Some(thread),
            dir,
        })
    }

    /// Asks for file number `seq` to be prepared.
    pub fn request(&self, seq: u64) {
        if let Some(r) = &self.requests {
            let _ = r.send(seq);
        }
    }

    /// The prepared file numbered `seq` if it is ready. Any prepared file with another number
    /// is stale (the writer moved past it) and is removed.
    pub fn take(&self, seq: u64) -> Option<std::fs::File> {
        while let Ok((s, file)) = self.ready.try_recv() {
            if s == seq {
                return Some(file);
            }
            drop(file);
            let _ = std::fs::remove_file(wal_path(&self.dir, s));
        }
        None
    }

    /// Stops the thread and removes whatever it prepared that was not taken.
    pub fn stop(&mut self) {
        self.requests = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        while let Ok((s, file)) = self.ready.try_recv() {
            drop(file);
            let _ = std::fs::remove_file(wal_path(&self.dir, s));
        }
    }
}

impl Drop for Preparer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn prepare(dir: &Path, seq: u64, len: u64) -> std::io::Result<std::fs::File> {
    use std::io::Write;
    let path = wal_path(dir, seq);
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(&path)?;
    let mut left = len;
    let mut since_sync = 0;
    while left > 0 {
        let n = left.min(ZERO_CHUNK as u64) as usize;
        file.write_all(&ZEROS[..n])?;
        left -= n as u64;
        since_sync += n;
        // A few MiB at a time: one sync of the whole file would be a burst that the writer's
        // WAL syncs queue behind.
        if since_sync >= 4 * ZERO_CHUNK {
            file.sync_data()?;
            since_sync = 0;
        }
    }
    // The size must be durable too: that is the point.
    file.sync_all()?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(file)
}
