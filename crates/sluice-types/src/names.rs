//! Validated names and identifiers.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must have length between {min} and {max}")]
    Length { min: usize, max: usize },
    #[error("must satisfy regular expression pattern: {0}")]
    Pattern(&'static str),
}

/// A Kinesis stream name: 1..=128 characters of `[a-zA-Z0-9_.-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamName(String);

impl StreamName {
    pub const PATTERN: &'static str = "[a-zA-Z0-9_.-]+";

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for StreamName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        if s.is_empty() || s.chars().count() > 128 {
            return Err(NameError::Length { min: 1, max: 128 });
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Err(NameError::Pattern(Self::PATTERN));
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A shard id, `shardId-` followed by a 12-digit index; the index orders shards by creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardId(u32);

impl ShardId {
    pub const fn new(index: u32) -> Self {
        Self(index)
    }
    pub const fn index(self) -> u32 {
        self.0
    }
}

/// Writes `n` in decimal into all of `out`, zero-padded on the left (the high digits are cut if
/// `out` is too short; callers size it for their range).
pub(crate) fn zero_padded(out: &mut [u8], mut n: u64) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = *b"shardId-000000000000";
        zero_padded(&mut buf[8..], u64::from(self.0));
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for ShardId {
    type Err = NameError;
    /// Accepts `shardId-000000000001` and, as AWS does, the bare numeric suffix form `1`.
    fn from_str(s: &str) -> Result<Self, NameError> {
        let digits = s.strip_prefix("shardId-").unwrap_or(s);
        if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NameError::Pattern("shardId-[0-9]{12}"));
        }
        digits
            .parse::<u32>()
            .map(Self)
            .map_err(|_| NameError::Pattern("shardId-[0-9]{12}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names() {
        assert!("a-b_c.1".parse::<StreamName>().is_ok());
        assert_eq!(
            "bad name".parse::<StreamName>(),
            Err(NameError::Pattern(StreamName::PATTERN))
        );
        assert_eq!(
            "".parse::<StreamName>(),
            Err(NameError::Length { min: 1, max: 128 })
        );
        assert!("x".repeat(129).parse::<StreamName>().is_err());
        assert!("x".repeat(128).parse::<StreamName>().is_ok());
    }

    #[test]
    fn shard_ids_round_trip() {
        let id = ShardId::new(7);
        assert_eq!(id.to_string(), "shardId-000000000007");
        assert_eq!("shardId-000000000007".parse::<ShardId>(), Ok(id));
        assert_eq!("7".parse::<ShardId>(), Ok(id));
        assert!("shardId-x".parse::<ShardId>().is_err());
    }
}
