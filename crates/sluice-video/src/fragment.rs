//! How a fragment is stored, and its number.
//!
//! A fragment is one record of its stream's log. The record's timestamp is the server
//! timestamp (when its first byte arrived). The key holds the fragment's metadata, the value its
//! bytes: the Info and Tracks elements in force, then its Clusters, exactly as received.
//!
//! A fragment number is 47 decimal digits: `9`, the log id in 26 digits, the log offset in 20.
//! Numbers therefore grow with the offset, as AWS's do, compare equal as strings and numbers,
//! and name their stream.

use bytes::Bytes;
use sluice_storage::LogId;

/// Version 2 adds the CRC-32C of the Tracks element; version 1 keys (without it) still decode.
const KEY_VERSION: u8 = 2;
const KEY_LEN_V1: usize = 1 + 8 + 8 + 4 + 4 + 4;
const KEY_LEN: usize = KEY_LEN_V1 + 4;

/// A fragment's metadata, as its record key holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentKey {
    pub producer_ms: i64,
    pub duration_ms: i64,
    pub info_len: u32,
    pub tracks_len: u32,
    pub frames: u32,
    /// CRC-32C of the Tracks element: which fragments share codec private data (0: unknown).
    pub tracks_crc: u32,
}

impl FragmentKey {
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(KEY_LEN);
        out.push(KEY_VERSION);
        out.extend_from_slice(&self.producer_ms.to_le_bytes());
        out.extend_from_slice(&self.duration_ms.to_le_bytes());
        out.extend_from_slice(&self.info_len.to_le_bytes());
        out.extend_from_slice(&self.tracks_len.to_le_bytes());
        out.extend_from_slice(&self.frames.to_le_bytes());
        out.extend_from_slice(&self.tracks_crc.to_le_bytes());
        Bytes::from(out)
    }

    pub fn decode(b: &[u8]) -> Option<FragmentKey> {
        let v1 = b.len() == KEY_LEN_V1 && b.first() == Some(&1);
        if !v1 && (b.len() != KEY_LEN || b[0] != KEY_VERSION) {
            return None;
        }
        let i64_at = |i: usize| i64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"));
        Some(FragmentKey {
            producer_ms: i64_at(1),
            duration_ms: i64_at(9),
            info_len: u32_at(17),
            tracks_len: u32_at(21),
            frames: u32_at(25),
            tracks_crc: if v1 { 0 } else { u32_at(29) },
        })
    }
}

/// A stored fragment's parts.
#[derive(Debug, Clone)]
pub struct StoredFragment {
    pub offset: u64,
    pub server_ms: i64,
    pub key: FragmentKey,
    pub bytes: Bytes,
}

impl StoredFragment {
    pub fn info(&self) -> &[u8] {
        &self.bytes[..self.key.info_len as usize]
    }

    pub fn tracks(&self) -> &[u8] {
        let at = self.key.info_len as usize;
        &self.bytes[at..at + self.key.tracks_len as usize]
    }

    pub fn clusters(&self) -> &[u8] {
        &self.bytes[(self.key.info_len + self.key.tracks_len) as usize..]
    }

    /// Checks that the lengths the key gives fit the value.
    pub fn is_consistent(&self) -> bool {
        (self.key.info_len as u64 + self.key.tracks_len as u64) <= self.bytes.len() as u64
    }
}

pub fn fragment_number(log: LogId, offset: u64) -> String {
    format!("9{log:026}{offset:020}")
}

/// The log and offset a fragment number names.
pub fn parse_fragment_number(s: &str) -> Option<(LogId, u64)> {
    if s.len() != 47 || !s.starts_with('9') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((s[1..27].parse().ok()?, s[27..].parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_grow_with_offsets_and_name_their_log() {
        let a = fragment_number(1 << 49, 9);
        let b = fragment_number(1 << 49, 10);
        assert_eq!(a.len(), 47);
        assert!(a < b);
        assert_eq!(parse_fragment_number(&b), Some((1 << 49, 10)));
        assert_eq!(parse_fragment_number("123"), None);
        assert_eq!(parse_fragment_number(&b.replace('9', "x")), None);
    }

    #[test]
    fn keys_round_trip() {
        let k = FragmentKey {
            producer_ms: -5,
            duration_ms: 2000,
            info_len: 20,
            tracks_len: 300,
            frames: 60,
            tracks_crc: 7,
        };
        assert_eq!(FragmentKey::decode(&k.encode()), Some(k));
        assert_eq!(FragmentKey::decode(&k.encode()[1..]), None);
        // A version 1 key (before the CRC) still reads.
        let mut v1 = k.encode()[..KEY_LEN_V1].to_vec();
        v1[0] = 1;
        assert_eq!(
            FragmentKey::decode(&v1),
            Some(FragmentKey { tracks_crc: 0, ..k })
        );
    }
}
