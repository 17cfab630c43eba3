//! Shard iterators: opaque, tamper-evident tokens naming a position in one shard of one stream
//! incarnation, with the time they were issued (they expire after five minutes).
//!
//! Token format version 2 (base64 of): the 8 bytes `00 00 00 00 00 00 00 01` that start AWS's
//! iterators, `2:u8 stream_created_ms:i64 shard:u32 offset:u64 issued_ms:i64 name_len:u8 name`,
//! zeros up to AWS's lengths (152 bytes, or 152 plus a multiple of 16, MAC included), then the
//! first 16 bytes of HMAC-SHA256 over all of it. Version 1 (the same fields without the prefix
//! and the padding) is still read.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const VERSION: u8 = 1;
const VERSION_2: u8 = 2;
/// What AWS's iterators start with.
const AWS_PREFIX: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 1];
/// AWS's iterators are 152 bytes, or longer by a multiple of 16.
const AWS_MIN_LEN: usize = 152;
const MAC_LEN: usize = 16;
pub const ITERATOR_TTL_MS: i64 = 300_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IteratorPosition {
    pub stream: String,
    pub stream_created_ms: i64,
    pub shard: u32,
    pub offset: u64,
    pub issued_ms: i64,
}

/// Signs and checks iterator tokens with a per-server secret.
#[derive(Clone)]
pub struct IteratorCodec {
    key: [u8; 32],
}

impl std::fmt::Debug for IteratorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IteratorCodec")
    }
}

impl IteratorCodec {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, data: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes any key length");
        mac.update(data);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    pub fn encode(&self, p: &IteratorPosition) -> String {
        let name = &p.stream.as_bytes()[..p.stream.len().min(255)];
        let unpadded = AWS_PREFIX.len() + 30 + name.len() + MAC_LEN;
        let len = AWS_MIN_LEN + unpadded.saturating_sub(AWS_MIN_LEN).div_ceil(16) * 16;
        let mut buf = Vec::with_capacity(len);
        buf.extend_from_slice(&AWS_PREFIX);
        buf.push(VERSION_2);
        buf.extend_from_slice(&p.stream_created_ms.to_be_bytes());
        buf.extend_from_slice(&p.shard.to_be_bytes());
        buf.extend_from_slice(&p.offset.to_be_bytes());
        buf.extend_from_slice(&p.issued_ms.to_be_bytes());
        buf.push(name.len() as u8);
        buf.extend_from_slice(name);
        buf.resize(len - MAC_LEN, 0);
        let mac = self.mac(&buf);
        buf.extend_from_slice(&mac);
        STANDARD.encode(buf)
    }

    /// `None` for anything this server did not issue (or that was altered).
    pub fn decode(&self, token: &str) -> Option<IteratorPosition> {
        let buf = STANDARD.decode(token).ok()?;
        let (fields, padded) = if buf.starts_with(&AWS_PREFIX) {
            (&buf[AWS_PREFIX.len()..], true)
        } else {
            (&buf[..], false)
        };
        let version = if padded { VERSION_2 } else { VERSION };
        if fields.len() < 30 + MAC_LEN || fields[0] != version {
            return None;
        }
        let (_, mac) = buf.split_at(buf.len() - MAC_LEN);
        if !constant_time_eq(&self.mac(&buf[..buf.len() - MAC_LEN]), mac) {
            return None;
        }
        let body = &fields[..fields.len() - MAC_LEN];
        let i64_at = |at: usize| i64::from_be_bytes(body[at..at + 8].try_into().unwrap_or([0; 8]));
        let name_len = body[29] as usize;
        let exact = body.len() == 30 + name_len;
        let zero_padded =
            body.len() >= 30 + name_len && body[30 + name_len..].iter().all(|&b| b == 0);
        if !(exact || padded && zero_padded) {
            return None;
        }
        Some(IteratorPosition {
            stream_created_ms: i64_at(1),
            shard: u32::from_be_bytes(body[9..13].try_into().ok()?),
            offset: u64::from_be_bytes(body[13..21].try_into().ok()?),
            issued_ms: i64_at(21),
            stream: String::from_utf8(body[30..30 + name_len].to_vec()).ok()?,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Formats epoch milliseconds as Java's `Date.toString()` in UTC, as AWS messages print times.
pub fn java_date(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_evidence() {
        let codec = IteratorCodec::new([7; 32]);
        let p = IteratorPosition {
            stream: "orders".into(),
            stream_created_ms: 1,
            shard: 3,
            offset: 99,
            issued_ms: 1_700_000_000_000,
        };
        let token = codec.encode(&p);
        assert!(token.len() <= 512);
        assert_eq!(codec.decode(&token), Some(p.clone()));
        let mut raw = STANDARD.decode(&token).expect("base64");
        raw[15] ^= 1;
        assert_eq!(codec.decode(&STANDARD.encode(&raw)), None);
        assert_eq!(IteratorCodec::new([8; 32]).decode(&token), None);
        assert_eq!(codec.decode("garbage"), None);
        let long = IteratorPosition {
            stream: "x".repeat(128),
            ..p
        };
        assert!(codec.encode(&long).len() <= 512);
        // AWS's shape, as kinesalite checks it: 152 bytes plus a multiple of 16, `0…01` first.
        for n in [1, 40, 90, 128] {
            let p = IteratorPosition {
                stream: "s".repeat(n),
                ..long.clone()
            };
            let raw = STANDARD.decode(codec.encode(&p)).expect("base64");
            assert!(
                raw.len() >= 152 && (raw.len() - 152).is_multiple_of(16),
                "{n}: {}",
                raw.len()
            );
            assert_eq!(raw[..8], AWS_PREFIX);
            assert_eq!(codec.decode(&codec.encode(&p)), Some(p));
        }
    }

    #[test]
    fn java_dates() {
        assert_eq!(java_date(1_421_889_722_000), "Thu Jan 22 01:22:02 UTC 2015");
    }
}
