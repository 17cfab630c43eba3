//! Partitioning as AWS does it: the MD5 of the partition key, read as a 128-bit big-endian unsigned
//! integer, falls into exactly one open shard's hash key range.

use md5::{Digest, Md5};
use std::fmt;
use std::str::FromStr;

/// A point in the 128-bit hash key space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HashKey(pub u128);

impl fmt::Display for HashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for HashKey {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<u128>().map(HashKey)
    }
}

/// The hash key of a partition key.
pub fn partition_hash(partition_key: &str) -> HashKey {
    let digest = Md5::digest(partition_key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest);
    HashKey(u128::from_be_bytes(bytes))
}

/// An inclusive range of hash keys owned by one shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashKeyRange {
    pub start: HashKey,
    pub end: HashKey,
}

impl HashKeyRange {
    pub fn contains(&self, key: HashKey) -> bool {
        self.start <= key && key <= self.end
    }

    /// Splits the whole key space into `n` contiguous ranges the way AWS does for a new stream:
    /// range `i` starts at `i * floor(2^128 / n)`; the last range ends at `2^128 - 1`.
    pub fn split_evenly(n: u32) -> Vec<HashKeyRange> {
        assert!(n > 0, "a stream has at least one shard");
        if n == 1 {
            // floor(2^128 / 1) does not fit in a u128; the one shard owns everything.
            return vec![HashKeyRange {
                start: HashKey(0),
                end: HashKey(u128::MAX),
            }];
        }
        let n128 = u128::from(n);
        // floor(2^128 / n) computed without overflow: 2^128 = n*q + r + 1 with q, r of MAX / n.
        let (q, r) = (u128::MAX / n128, u128::MAX % n128);
        let step = if r == n128 - 1 { q + 1 } else { q };
        (0..n128)
            .map(|i| {
                let start = i * step;
                let end = if i + 1 == n128 {
                    u128::MAX
                } else {
                    (i + 1) * step - 1
                };
                HashKeyRange {
                    start: HashKey(start),
                    end: HashKey(end),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_partition_key() {
        // md5("a") = 0cc175b9c0f1b6a831c399e269772661
        assert_eq!(
            partition_hash("a").0,
            0x0cc175b9c0f1b6a831c399e269772661u128
        );
    }

    #[test]
    fn even_split_matches_aws() {
        let four = HashKeyRange::split_evenly(4);
        assert_eq!(four[0].end.0, 85070591730234615865843651857942052863);
        assert_eq!(four[1].start.0, 85070591730234615865843651857942052864);
        let three = HashKeyRange::split_evenly(3);
        assert_eq!(three[0].end.0, 113427455640312821154458202477256070484);
        assert_eq!(three[1].start.0, 113427455640312821154458202477256070485);
        for n in [1u32, 2, 3, 7, 64, 1000] {
            let ranges = HashKeyRange::split_evenly(n);
            assert_eq!(ranges.len(), n as usize);
            assert_eq!(ranges[0].start.0, 0);
            assert_eq!(ranges.last().map(|r| r.end.0), Some(u128::MAX));
            for pair in ranges.windows(2) {
                assert_eq!(pair[0].end.0 + 1, pair[1].start.0);
            }
        }
    }
}
