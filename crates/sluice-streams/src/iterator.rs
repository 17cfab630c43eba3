//! Shard iterators: opaque, tamper-evident tokens naming a position in one shard of one stream
//! incarnation, with the time they were issued (they expire after five minutes).
//!
//! Token format version 1 (base64 of): `1:u8 stream_created_ms:i64 shard:u32 offset:u64
//! issued_ms:i64 name_len:u8 name` then the first 16 bytes of HMAC-SHA256 over all of it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const VERSION: u8 = 1;
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
        let name = p.stream.as_bytes();
        let mut buf = Vec::with_capacity(30 + name.len() + MAC_LEN);
        buf.push(VERSION);
        buf.extend_from_slice(&p.stream_created_ms.to_be_bytes());
        buf.extend_from_slice(&p.shard.to_be_bytes());
        buf.extend_from_slice(&p.offset.to_be_bytes());
        buf.extend_from_slice(&p.issued_ms.to_be_bytes());
        buf.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
        buf.extend_from_slice(&name[..name.len().min(255)]);
        let mac = self.mac(&buf);
        buf.extend_from_slice(&mac);
        STANDARD.encode(buf)
    }

    /// `None` for anything this server did not issue (or that was altered).
    pub fn decode(&self, token: &str) -> Option<IteratorPosition> {
        let buf = STANDARD.decode(token).ok()?;
        if buf.len() < 30 + MAC_LEN || buf[0] != VERSION {
            return None;
        }
        let (body, mac) = buf.split_at(buf.len() - MAC_LEN);
        if !constant_time_eq(&self.mac(body), mac) {
            return None;
        }
        let i64_at = |at: usize| i64::from_be_bytes(body[at..at + 8].try_into().unwrap_or([0; 8]));
        let name_len = body[29] as usize;
        if body.len() != 30 + name_len {
            return None;
        }
        Some(IteratorPosition {
            stream_created_ms: i64_at(1),
            shard: u32::from_be_bytes(body[9..13].try_into().ok()?),
            offset: u64::from_be_bytes(body[13..21].try_into().ok()?),
            issued_ms: i64_at(21),
            stream: String::from_utf8(body[30..].to_vec()).ok()?,
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
    }

    #[test]
    fn java_dates() {
        assert_eq!(java_date(1_421_889_722_000), "Thu Jan 22 01:22:02 UTC 2015");
    }
}
