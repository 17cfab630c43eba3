//! Sequence numbers: decimal strings, strictly increasing within a shard, that also say which
//! shard they belong to (as AWS's do), so that a sequence number used against the wrong shard is
//! rejected.
//!
//! Layout (34 decimal digits, fixed width so string order equals numeric order):
//! `49` ‖ shard index (12 digits) ‖ record offset within the shard's log (20 digits).
//! Children of a reshard have larger shard indexes, so numbers also grow from parent to child.

use crate::ShardId;
use std::fmt;
use std::str::FromStr;

const PREFIX: u128 = 49;
const OFFSET_DIGITS: u32 = 20;
const SHARD_DIGITS: u32 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SequenceNumber {
    shard: ShardId,
    offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a sequence number issued by this server")]
pub struct SequenceNumberError;

impl SequenceNumber {
    pub const fn new(shard: ShardId, offset: u64) -> Self {
        Self { shard, offset }
    }
    pub const fn shard(self) -> ShardId {
        self.shard
    }
    pub const fn offset(self) -> u64 {
        self.offset
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hot: PutRecords answers carry one per record. Same text as
        // `write!(f, "{PREFIX}{:012}{:020}", shard, offset)`, without the formatting machinery.
        let mut buf = [0u8; 34];
        crate::names::zero_padded(&mut buf[..2], PREFIX as u64);
        crate::names::zero_padded(&mut buf[2..14], u64::from(self.shard.index()));
        crate::names::zero_padded(&mut buf[14..], self.offset);
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for SequenceNumber {
    type Err = SequenceNumberError;
    fn from_str(s: &str) -> Result<Self, SequenceNumberError> {
        let total = 2 + SHARD_DIGITS + OFFSET_DIGITS;
        if s.len() != total as usize || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SequenceNumberError);
        }
        let (prefix, rest) = s.split_at(2);
        let (shard, offset) = rest.split_at(SHARD_DIGITS as usize);
        if prefix.parse::<u128>().ok() != Some(PREFIX) {
            return Err(SequenceNumberError);
        }
        let shard = shard.parse::<u32>().map_err(|_| SequenceNumberError)?;
        let offset = offset.parse::<u64>().map_err(|_| SequenceNumberError)?;
        Ok(Self::new(ShardId::new(shard), offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order() {
        let a = SequenceNumber::new(ShardId::new(3), 41);
        let b = SequenceNumber::new(ShardId::new(3), 42);
        let s = a.to_string();
        assert_eq!(s.len(), 34);
        assert_eq!(s.parse::<SequenceNumber>(), Ok(a));
        assert!(a.to_string() < b.to_string());
        assert!(a.to_string().parse::<u128>().ok() < b.to_string().parse::<u128>().ok());
        let max = SequenceNumber::new(ShardId::new(u32::MAX), u64::MAX);
        assert_eq!(max.to_string().parse::<SequenceNumber>(), Ok(max));
        for (shard, offset) in [
            (0, 0),
            (7, 1234),
            (999_999, u64::MAX / 3),
            (u32::MAX, u64::MAX),
        ] {
            let n = SequenceNumber::new(ShardId::new(shard), offset);
            assert_eq!(n.to_string(), format!("49{shard:012}{offset:020}"));
            assert_eq!(
                ShardId::new(shard).to_string(),
                format!("shardId-{shard:012}")
            );
        }
    }

    #[test]
    fn rejects_foreign_numbers() {
        assert!("1".parse::<SequenceNumber>().is_err());
        assert!("49x".parse::<SequenceNumber>().is_err());
        assert!(
            "49590338271490256608559692538361571095921575989136588898"
                .parse::<SequenceNumber>()
                .is_err()
        );
    }
}
