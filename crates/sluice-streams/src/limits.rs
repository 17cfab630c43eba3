//! Per-shard throughput limits as AWS applies them (`--limits aws`): writes 1 MiB/s and 1,000
//! records/s, reads 5 GetRecords calls/s and 2 MiB/s. Token buckets refilled from the injected
//! clock, holding at most one second's worth. A GetRecords answer may take the read bucket into
//! debt (one call can return up to 10 MiB, as on AWS); calls then fail until it is paid back.

use parking_lot::Mutex;
use sluice_storage::LogId;
use std::collections::HashMap;

pub const WRITE_BYTES_PER_S: f64 = 1024.0 * 1024.0;
pub const WRITE_RECORDS_PER_S: f64 = 1000.0;
pub const READ_CALLS_PER_S: f64 = 5.0;
pub const READ_BYTES_PER_S: f64 = 2.0 * 1024.0 * 1024.0;

/// Whether the limits apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LimitsMode {
    /// No limits: as fast as the machine goes (the default; see README).
    #[default]
    Off,
    /// AWS's per-shard limits, answered with ProvisionedThroughputExceededException.
    Aws,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl Bucket {
    fn full(rate: f64, now: i64) -> Self {
        Self {
            tokens: rate,
            at_ms: now,
        }
    }

    /// Refills at `rate` per second, up to one second's worth.
    fn refill(&mut self, rate: f64, now: i64) {
        let elapsed = (now - self.at_ms).max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * rate).min(rate);
        self.at_ms = now.max(self.at_ms);
    }
}

#[derive(Debug, Clone, Copy)]
struct ShardBuckets {
    write_bytes: Bucket,
    write_records: Bucket,
    read_calls: Bucket,
    read_bytes: Bucket,
}

impl ShardBuckets {
    fn new(now: i64) -> Self {
        Self {
            write_bytes: Bucket::full(WRITE_BYTES_PER_S, now),
            write_records: Bucket::full(WRITE_RECORDS_PER_S, now),
            read_calls: Bucket::full(READ_CALLS_PER_S, now),
            read_bytes: Bucket::full(READ_BYTES_PER_S, now),
        }
    }
}

/// The buckets of every shard, keyed by the shard's log (unique per shard, stable across
/// metadata changes).
#[derive(Debug, Default)]
pub struct Limiter {
    mode: LimitsMode,
    shards: Mutex<HashMap<LogId, ShardBuckets>>,
}

impl Limiter {
    pub fn new(mode: LimitsMode) -> Self {
        Self {
            mode,
            shards: Mutex::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.mode == LimitsMode::Aws
    }

    fn with<T>(&self, log: LogId, now: i64, f: impl FnOnce(&mut ShardBuckets) -> T) -> T {
        let mut shards = self.shards.lock();
        let b = shards.entry(log).or_insert_with(|| ShardBuckets::new(now));
        b.write_bytes.refill(WRITE_BYTES_PER_S, now);
        b.write_records.refill(WRITE_RECORDS_PER_S, now);
        b.read_calls.refill(READ_CALLS_PER_S, now);
        b.read_bytes.refill(READ_BYTES_PER_S, now);
        f(b)
    }

    /// Takes one record of `bytes` from the shard's write allowance, if it has room for it.
    pub fn admit_write(&self, log: LogId, bytes: usize, now: i64) -> bool {
        if !self.enabled() {
            return true;
        }
        self.with(log, now, |b| {
            let bytes = bytes as f64;
            if b.write_records.tokens < 1.0 || b.write_bytes.tokens < bytes {
                return false;
            }
            b.write_records.tokens -= 1.0;
            b.write_bytes.tokens -= bytes;
            true
        })
    }

    /// Takes one GetRecords call, unless the shard is over 5 calls/s or still in read debt.
    pub fn admit_read(&self, log: LogId, now: i64) -> bool {
        if !self.enabled() {
            return true;
        }
        self.with(log, now, |b| {
            if b.read_calls.tokens < 1.0 || b.read_bytes.tokens < 0.0 {
                return false;
            }
            b.read_calls.tokens -= 1.0;
            true
        })
    }

    /// Charges what a GetRecords answer returned.
    pub fn charge_read(&self, log: LogId, bytes: u64, now: i64) {
        if self.enabled() {
            self.with(log, now, |b| b.read_bytes.tokens -= bytes as f64);
        }
    }

    /// Forgets a deleted shard's buckets.
    pub fn forget(&self, log: LogId) {
        self.shards.lock().remove(&log);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_admits_everything() {
        let l = Limiter::new(LimitsMode::Off);
        for _ in 0..5000 {
            assert!(l.admit_write(1, 1_000_000, 0));
            assert!(l.admit_read(1, 0));
        }
    }

    #[test]
    fn writes_are_limited_by_records_and_by_bytes() {
        let l = Limiter::new(LimitsMode::Aws);
        assert_eq!((0..1500).filter(|_| l.admit_write(1, 10, 0)).count(), 1000);
        // Another shard has its own allowance.
        assert!(l.admit_write(2, 10, 0));
        // Half a second later, half the records are back.
        assert_eq!((0..1000).filter(|_| l.admit_write(1, 10, 500)).count(), 500);
        let l = Limiter::new(LimitsMode::Aws);
        assert!(l.admit_write(1, 600 * 1024, 0));
        assert!(!l.admit_write(1, 600 * 1024, 0), "1.2 MiB in one second");
        assert!(l.admit_write(1, 600 * 1024, 1000));
    }

    #[test]
    fn reads_are_limited_by_calls_and_by_bytes_with_debt() {
        let l = Limiter::new(LimitsMode::Aws);
        assert_eq!((0..8).filter(|_| l.admit_read(1, 0)).count(), 5);
        assert!(l.admit_read(1, 200), "one call back after 200 ms");
        let l = Limiter::new(LimitsMode::Aws);
        assert!(l.admit_read(1, 0));
        l.charge_read(1, 10 * 1024 * 1024, 0);
        // 10 MiB read at 2 MiB/s: refused until the debt is paid, about 4 s later.
        assert!(!l.admit_read(1, 1000));
        assert!(!l.admit_read(1, 3900));
        assert!(l.admit_read(1, 4100));
    }
}
