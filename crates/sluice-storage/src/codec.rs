//! On-disk encoding of record batches, shared by segment files and the write-ahead log.
//!
//! Format version 1 (never reuse a version number; a sample lives in `tests/data/`):
//! ```text
//! batch  := len:u32 crc:u32 base_offset:u64 count:u32 timestamp_ms:i64 record*
//! record := key_len:u32 key value_len:u32 value
//! ```
//! All integers little-endian. `len` counts the bytes after the `crc` field; `crc` is CRC-32C of
//! those bytes. A batch is the unit of atomicity: it is either wholly valid or cut on recovery.

use crate::{AppendRecord, StoredRecord};
use bytes::Bytes;

pub const BATCH_HEADER_LEN: usize = 28;
/// Largest batch body accepted when decoding (guards against a corrupt length field).
pub const MAX_BATCH_LEN: usize = 256 * 1024 * 1024;

/// Appends one encoded batch to `out`; returns its encoded length.
pub fn encode_batch(
    out: &mut Vec<u8>,
    base_offset: u64,
    timestamp_ms: i64,
    records: &[AppendRecord],
) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0u8; 8]); // len + crc, filled below
    out.extend_from_slice(&base_offset.to_le_bytes());
    out.extend_from_slice(
        &u32::try_from(records.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(&timestamp_ms.to_le_bytes());
    for record in records {
        put_bytes(out, &record.key);
        put_bytes(out, &record.value);
    }
    let body = &out[start + 8..];
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let crc = crc32c::crc32c(body);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    out.len() - start
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// A batch header, read without decoding its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    /// Total encoded length including the 8-byte len/crc prefix.
    pub encoded_len: usize,
    pub base_offset: u64,
    pub count: u32,
    pub timestamp_ms: i64,
}

impl BatchHeader {
    pub fn next_offset(&self) -> u64 {
        self.base_offset + u64::from(self.count)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeOutcome {
    /// A valid batch starts here.
    Batch(BatchHeader),
    /// Not enough bytes for a whole batch (a torn tail, or the caller must read more).
    Incomplete { needed: usize },
    /// The bytes are not a valid batch (checksum or structure): a torn or corrupt tail.
    Corrupt,
}

/// Checks the batch at the start of `buf`, verifying its checksum.
pub fn check_batch(buf: &[u8]) -> DecodeOutcome {
    if buf.len() < BATCH_HEADER_LEN {
        return DecodeOutcome::Incomplete {
            needed: BATCH_HEADER_LEN,
        };
    }
    let len = read_u32(buf, 0) as usize;
    if !(BATCH_HEADER_LEN - 8..=MAX_BATCH_LEN).contains(&len) {
        return DecodeOutcome::Corrupt;
    }
    let total = len + 8;
    if buf.len() < total {
        return DecodeOutcome::Incomplete { needed: total };
    }
    let crc = read_u32(buf, 4);
    if crc32c::crc32c(&buf[8..total]) != crc {
        return DecodeOutcome::Corrupt;
    }
    DecodeOutcome::Batch(BatchHeader {
        encoded_len: total,
        base_offset: read_u64(buf, 8),
        count: read_u32(buf, 16),
        timestamp_ms: read_u64(buf, 20) as i64,
    })
}

/// Valid batches in `data` from position `from` on, with offsets at or past `min_offset`, found
/// by trying every position: what survives behind a damaged stretch. Each batch found must
/// follow the previous one's offsets. Returns (position in `data`, header) pairs.
pub fn resync(data: &[u8], from: usize, mut min_offset: u64) -> Vec<(u64, BatchHeader)> {
    let mut out = Vec::new();
    let mut p = from;
    while p + BATCH_HEADER_LEN <= data.len() {
        // Cheap tests first: most positions fail on the length, the offset or the count.
        let len = read_u32(data, p) as usize;
        let plausible = len >= BATCH_HEADER_LEN - 8
            && len <= data.len() - p - 8
            && read_u64(data, p + 8) >= min_offset
            && read_u32(data, p + 16) > 0;
        if plausible && let DecodeOutcome::Batch(h) = check_batch(&data[p..]) {
            out.push((p as u64, h));
            min_offset = h.next_offset();
            p += h.encoded_len;
        } else {
            p += 1;
        }
    }
    out
}

/// Decodes the records of a batch already checked by [`check_batch`]; `batch` is exactly the
/// encoded batch. Records before `from_offset` are skipped. Returns `None` if the body is malformed.
pub fn decode_records(
    batch: &Bytes,
    header: &BatchHeader,
    from_offset: u64,
    out: &mut Vec<StoredRecord>,
) -> Option<()> {
    let mut pos = BATCH_HEADER_LEN;
    for i in 0..u64::from(header.count) {
        let key = take_bytes(batch, &mut pos)?;
        let value = take_bytes(batch, &mut pos)?;
        let offset = header.base_offset + i;
        if offset >= from_offset {
            out.push(StoredRecord {
                offset,
                timestamp_ms: header.timestamp_ms,
                key,
                value,
            });
        }
    }
    (pos == batch.len()).then_some(())
}

fn take_bytes(buf: &Bytes, pos: &mut usize) -> Option<Bytes> {
    if buf.len() < *pos + 4 {
        return None;
    }
    let len = read_u32(buf, *pos) as usize;
    let start = *pos + 4;
    let end = start.checked_add(len)?;
    if end > buf.len() {
        return None;
    }
    *pos = end;
    Some(buf.slice(start..end))
}

pub(crate) fn read_u32(buf: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[at..at + 4]);
    u32::from_le_bytes(b)
}

pub(crate) fn read_u64(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(k: &str, v: &str) -> AppendRecord {
        AppendRecord {
            key: Bytes::copy_from_slice(k.as_bytes()),
            value: Bytes::copy_from_slice(v.as_bytes()),
        }
    }

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        let n = encode_batch(&mut buf, 10, 1234, &[rec("a", "1"), rec("bb", "22")]);
        assert_eq!(n, buf.len());
        let DecodeOutcome::Batch(h) = check_batch(&buf) else {
            panic!("valid batch rejected");
        };
        assert_eq!(
            (h.base_offset, h.count, h.timestamp_ms, h.encoded_len),
            (10, 2, 1234, n)
        );
        let bytes = Bytes::from(buf);
        let mut out = Vec::new();
        assert_eq!(decode_records(&bytes, &h, 11, &mut out), Some(()));
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].offset, &out[0].key[..], &out[0].value[..]),
            (11, &b"bb"[..], &b"22"[..])
        );
    }

    #[test]
    fn detects_torn_and_flipped_bytes() {
        let mut buf = Vec::new();
        encode_batch(&mut buf, 0, 1, &[rec("k", "value")]);
        for cut in 0..buf.len() {
            assert!(matches!(
                check_batch(&buf[..cut]),
                DecodeOutcome::Incomplete { .. } | DecodeOutcome::Corrupt
            ));
        }
        for i in 8..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x40;
            assert_eq!(
                check_batch(&bad),
                DecodeOutcome::Corrupt,
                "flip at {i} undetected"
            );
        }
    }
}
