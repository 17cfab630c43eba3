//! Sequence numbers: decimal strings, strictly increasing within a shard, that also say which
//! shard they belong to, so that a sequence number used against the wrong shard is rejected.
//!
//! They have the layout of AWS's own (version 2, 56 decimal digits; see ADR 0010): read as
//! hexadecimal, `2` ‖ the shard's creation time in seconds (9 hex digits) ‖ the shard index's
//! last hex digit ‖ the record's offset in the shard's log (16) ‖ `00` ‖ the record's arrival
//! time in seconds (9) ‖ the shard index (8) ‖ the version `2`. Within a shard the creation time
//! is constant, so numbers grow with the offset, and all have 56 digits, so string order is
//! numeric order.
//!
//! Identity and order are the shard and the offset only: the two times are what the number
//! shows, not what it means. The 34-digit numbers of earlier versions (`49` ‖ shard index (12) ‖
//! offset (20)) are still read, so stored checkpoints keep working.

use crate::ShardId;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

#[derive(Debug, Clone, Copy)]
pub struct SequenceNumber {
    shard: ShardId,
    offset: u64,
    shard_created_s: u64,
    arrival_s: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a sequence number issued by this server")]
pub struct SequenceNumberError;

/// 36 bits: the width of the two time fields (9 hex digits).
const TIME_MASK: u64 = (1 << 36) - 1;

impl SequenceNumber {
    /// A number whose shard creation and arrival times are not known (shown as zero).
    pub const fn new(shard: ShardId, offset: u64) -> Self {
        Self {
            shard,
            offset,
            shard_created_s: 0,
            arrival_s: 0,
        }
    }

    /// The number of the record at `offset` of a shard created at `shard_created_ms` that
    /// arrived at `arrival_ms` (milliseconds since the epoch).
    pub fn at(shard: ShardId, offset: u64, shard_created_ms: i64, arrival_ms: i64) -> Self {
        let secs = |ms: i64| (ms.max(0) as u64 / 1000) & TIME_MASK;
        Self {
            shard,
            offset,
            shard_created_s: secs(shard_created_ms),
            arrival_s: secs(arrival_ms),
        }
    }

    pub const fn shard(self) -> ShardId {
        self.shard
    }
    pub const fn offset(self) -> u64 {
        self.offset
    }

    /// The 188-bit value as three 64-bit limbs, least significant first.
    fn limbs(self) -> [u64; 3] {
        let shard = u64::from(self.shard.index());
        let lo: u128 = 2
            | u128::from(shard) << 4
            | u128::from(self.arrival_s) << 36
            | u128::from(self.offset & ((1 << 48) - 1)) << 80;
        let hi: u64 =
            (self.offset >> 48) | (shard & 0xf) << 16 | self.shard_created_s << 20 | 2 << 56;
        [lo as u64, (lo >> 64) as u64, hi]
    }

    fn from_limbs([l0, l1, l2]: [u64; 3]) -> Option<Self> {
        let lo = u128::from(l0) | u128::from(l1) << 64;
        if l0 & 0xf != 2 || l2 >> 56 != 2 {
            return None;
        }
        let shard = ((lo >> 4) & 0xffff_ffff) as u32;
        if u64::from(shard & 0xf) != (l2 >> 16) & 0xf || (lo >> 72) & 0xff != 0 {
            return None;
        }
        Some(Self {
            shard: ShardId::new(shard),
            offset: ((lo >> 80) as u64) | (l2 & 0xffff) << 48,
            shard_created_s: (l2 >> 20) & TIME_MASK,
            arrival_s: ((lo >> 36) as u64) & TIME_MASK,
        })
    }

    /// Whether `s` is a sequence number in any of AWS's layouts (versions 0 to 2) or Sluice's
    /// earlier one: what `SequenceNumberForOrdering` must be.
    pub fn is_well_formed(s: &str) -> bool {
        if s.parse::<SequenceNumber>().is_ok() {
            return true;
        }
        match decimal_limbs(s) {
            // Versions 0 and 1 (kinesalite's reading of AWS's older numbers): between 2^124
            // and 2^129, or the version nibble 1 above 2^185.
            Some([l0, _, l2]) => (l2 >> 56 == 2 && l0 & 0xf == 1) || (l2 == 0 && s.len() >= 38),
            None => false,
        }
    }

    fn parse_legacy(s: &str) -> Option<Self> {
        if s.len() != 34 || !s.starts_with("49") || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let shard = s[2..14].parse::<u32>().ok()?;
        let offset = s[14..].parse::<u64>().ok()?;
        Some(Self::new(ShardId::new(shard), offset))
    }
}

/// A decimal string of up to 57 digits as three 64-bit limbs; `None` past 192 bits.
fn decimal_limbs(s: &str) -> Option<[u64; 3]> {
    if s.is_empty() || s.len() > 58 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut limbs = [0u64; 3];
    for d in s.bytes() {
        let mut carry = u128::from(d - b'0');
        for limb in &mut limbs {
            let v = u128::from(*limb) * 10 + carry;
            *limb = v as u64;
            carry = v >> 64;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(limbs)
}

impl PartialEq for SequenceNumber {
    fn eq(&self, other: &Self) -> bool {
        (self.shard, self.offset) == (other.shard, other.offset)
    }
}
impl Eq for SequenceNumber {}
impl Hash for SequenceNumber {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.shard, self.offset).hash(state);
    }
}
impl PartialOrd for SequenceNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SequenceNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.shard, self.offset).cmp(&(other.shard, other.offset))
    }
}

impl fmt::Display for SequenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hot: PutRecords answers carry one per record. Base 10^19 chunks, most significant
        // first; the value is at least 2^185, so it always has 56 digits.
        const CHUNK: u128 = 10_000_000_000_000_000_000;
        let mut limbs = self.limbs();
        let mut chunks = [0u64; 4];
        for chunk in &mut chunks {
            let mut rem: u128 = 0;
            for limb in limbs.iter_mut().rev() {
                let cur = rem << 64 | u128::from(*limb);
                *limb = (cur / CHUNK) as u64;
                rem = cur % CHUNK;
            }
            *chunk = rem as u64;
        }
        let mut buf = [0u8; 76];
        for (i, chunk) in chunks.iter().rev().enumerate() {
            crate::names::zero_padded(&mut buf[i * 19..(i + 1) * 19], *chunk);
        }
        let start = buf.iter().position(|&b| b != b'0').unwrap_or(75);
        f.write_str(std::str::from_utf8(&buf[start..]).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for SequenceNumber {
    type Err = SequenceNumberError;
    fn from_str(s: &str) -> Result<Self, SequenceNumberError> {
        if let Some(n) = Self::parse_legacy(s) {
            return Ok(n);
        }
        if s.len() != 56 {
            return Err(SequenceNumberError);
        }
        decimal_limbs(s)
            .and_then(Self::from_limbs)
            .ok_or(SequenceNumberError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hexadecimal form, as kinesalite's tests read AWS's numbers.
    fn hex(n: SequenceNumber) -> String {
        let [l0, l1, l2] = n.limbs();
        format!("{l2:x}{l1:016x}{l0:016x}")
    }

    #[test]
    fn the_layout_is_aws_version_2() {
        let created_ms = 1_796_676_858_000;
        let n = SequenceNumber::at(ShardId::new(3), 41, created_ms, created_ms + 5_000);
        let h = hex(n);
        assert_eq!(h.len(), 47);
        assert_eq!(&h[..1], "2");
        assert_eq!(u64::from_str_radix(&h[1..10], 16).unwrap(), 1_796_676_858);
        assert_eq!(&h[10..11], "3");
        assert_eq!(u64::from_str_radix(&h[11..27], 16).unwrap(), 41);
        assert_eq!(&h[27..29], "00");
        assert_eq!(u64::from_str_radix(&h[29..38], 16).unwrap(), 1_796_676_863);
        assert_eq!(&h[38..46], "00000003");
        assert_eq!(&h[46..], "2");
        let s = n.to_string();
        assert_eq!(s.len(), 56);
        // kinesalite's check: /^20[0-9a-f]{8}3[0-9a-f]{16}000[0-9a-f]{8}000000032$/
        assert!(h.starts_with("20") && h.ends_with("000000032") && &h[27..30] == "000");
    }

    #[test]
    fn round_trip_and_order() {
        let created = 1_700_000_000_000;
        let mut last: Option<(SequenceNumber, String)> = None;
        for offset in [
            0,
            1,
            41,
            42,
            1 << 47,
            1 << 48,
            (1 << 48) + 1,
            u64::MAX / 3,
            u64::MAX,
        ] {
            let n = SequenceNumber::at(ShardId::new(7), offset, created, created + offset as i64);
            let s = n.to_string();
            assert_eq!(s.len(), 56, "{s}");
            let back: SequenceNumber = s.parse().unwrap();
            assert_eq!(back, n);
            assert_eq!(back.to_string(), s, "the times survive a round trip");
            if let Some((prev, prev_s)) = &last {
                assert!(prev < &n && prev_s < &s, "{prev_s} < {s}");
            }
            last = Some((n, s));
        }
        for shard in [0, 1, 15, 16, 999_999, i32::MAX as u32, u32::MAX] {
            let n = SequenceNumber::at(ShardId::new(shard), 5, created, created);
            assert_eq!(
                n.to_string().parse::<SequenceNumber>().map(|n| n.shard()),
                Ok(ShardId::new(shard))
            );
        }
    }

    #[test]
    fn earlier_34_digit_numbers_are_still_read() {
        let n: SequenceNumber = "4900000000000300000000000000000041".parse().unwrap();
        assert_eq!((n.shard(), n.offset()), (ShardId::new(3), 41));
    }

    #[test]
    fn rejects_foreign_numbers() {
        assert!("1".parse::<SequenceNumber>().is_err());
        assert!("49x".parse::<SequenceNumber>().is_err());
        // A version 1 number (its last hex digit is 1).
        assert!(
            "49039857307708443467467104868809893875799651909875269633"
                .parse::<SequenceNumber>()
                .is_err()
        );
        // A real AWS number has this layout: it reads as shard 6's.
        let aws: SequenceNumber = "49590338271490256608559692538361571095921575989136588898"
            .parse()
            .unwrap();
        assert_eq!(aws.shard(), ShardId::new(6));
        assert!("9".repeat(56).parse::<SequenceNumber>().is_err());
    }

    #[test]
    fn ordering_numbers_may_be_any_aws_layout() {
        // 0x2000…0002 (version 2, every field zero) and 0x2000…0001 (version 1).
        let v2_zero = "49039857307708443467467104868809893875799651909875269634";
        let v1_zero = "49039857307708443467467104868809893875799651909875269633";
        assert!(SequenceNumber::is_well_formed(v2_zero));
        assert!(SequenceNumber::is_well_formed(v1_zero));
        assert!(v1_zero.parse::<SequenceNumber>().is_err());
        assert!(!SequenceNumber::is_well_formed("abc"));
        assert!(!SequenceNumber::is_well_formed("12"));
    }
}
