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
/// tail). `valid_len()` then tells where the valid prefix ends.
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
}

impl<'a> Iterator for WalReader<'a> {
    type Item = WalEntry<'a>;
    fn next(&mut self) -> Option<WalEntry<'a>> {
        let rest = self.data.get(self.pos..)?;
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
        self.pos += ENTRY_HEADER_LEN + header.encoded_len;
        Some(WalEntry {
            log_id,
            batch: &batch[..header.encoded_len],
        })
    }
}
