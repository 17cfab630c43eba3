//! A log store in memory: the reference behaviour for the conformance suite, and the backend of
//! `--storage memory`. Nothing survives a restart.

use crate::{
    AppendAck, BoxFuture, LogAppend, LogBounds, LogId, LogStore, ReadBatch, ReadLimits,
    StorageError, StoredRecord,
};
use parking_lot::RwLock;
use sluice_types::Clock;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

struct MemLog {
    retention_ms: i64,
    /// Offset of `records[0]`.
    first_offset: u64,
    records: VecDeque<StoredRecord>,
    last_ts: i64,
}

impl MemLog {
    fn next_offset(&self) -> u64 {
        self.first_offset + self.records.len() as u64
    }

    fn drop_expired(&mut self, now: i64) {
        let cutoff = now.saturating_sub(self.retention_ms);
        while self
            .records
            .front()
            .is_some_and(|r| r.timestamp_ms < cutoff)
        {
            self.records.pop_front();
            self.first_offset += 1;
        }
    }

    fn index_at_time(&self, ts: i64) -> usize {
        self.records.partition_point(|r| r.timestamp_ms < ts)
    }
}

pub struct MemoryLogStore {
    clock: Arc<dyn Clock>,
    logs: RwLock<HashMap<LogId, MemLog>>,
    closed: AtomicBool,
}

impl MemoryLogStore {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            logs: RwLock::new(HashMap::new()),
            closed: AtomicBool::new(false),
        }
    }
}

impl LogStore for MemoryLogStore {
    fn create_log(&self, log: LogId, retention_ms: i64) -> Result<(), StorageError> {
        let mut logs = self.logs.write();
        if logs.contains_key(&log) {
            return Err(StorageError::LogExists(log));
        }
        logs.insert(
            log,
            MemLog {
                retention_ms,
                first_offset: 0,
                records: VecDeque::new(),
                last_ts: i64::MIN,
            },
        );
        Ok(())
    }

    fn delete_log(&self, log: LogId) -> Result<(), StorageError> {
        self.logs
            .write()
            .remove(&log)
            .map(|_| ())
            .ok_or(StorageError::LogNotFound(log))
    }

    fn set_retention(&self, log: LogId, retention_ms: i64) -> Result<(), StorageError> {
        let mut logs = self.logs.write();
        let l = logs.get_mut(&log).ok_or(StorageError::LogNotFound(log))?;
        l.retention_ms = retention_ms;
        Ok(())
    }

    fn logs(&self) -> Vec<LogId> {
        let mut ids: Vec<_> = self.logs.read().keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    fn append(&self, appends: Vec<LogAppend>) -> BoxFuture<Vec<Result<AppendAck, StorageError>>> {
        let closed = self.closed.load(Ordering::SeqCst);
        let mut logs = self.logs.write();
        let acks = appends
            .into_iter()
            .map(|a| {
                if closed {
                    return Err(StorageError::ShuttingDown);
                }
                let l = logs
                    .get_mut(&a.log)
                    .ok_or(StorageError::LogNotFound(a.log))?;
                let ts = a.timestamp_ms.max(l.last_ts);
                l.last_ts = ts;
                let first_offset = l.next_offset();
                for (i, r) in a.records.into_iter().enumerate() {
                    l.records.push_back(StoredRecord {
                        offset: first_offset + i as u64,
                        timestamp_ms: ts,
                        key: r.key,
                        value: r.value,
                    });
                }
                Ok(AppendAck {
                    first_offset,
                    timestamp_ms: ts,
                })
            })
            .collect();
        Box::pin(std::future::ready(acks))
    }

    fn read(
        &self,
        log: LogId,
        offset: u64,
        limits: ReadLimits,
    ) -> BoxFuture<Result<ReadBatch, StorageError>> {
        let now = self.clock.now_millis();
        let result = (|| {
            let mut logs = self.logs.write();
            let l = logs.get_mut(&log).ok_or(StorageError::LogNotFound(log))?;
            l.drop_expired(now);
            let start = offset.max(l.first_offset);
            let mut batch = ReadBatch {
                records: Vec::new(),
                next_offset: start,
            };
            let mut bytes = 0usize;
            let skip = usize::try_from(start - l.first_offset).unwrap_or(usize::MAX);
            for r in l.records.iter().skip(skip) {
                let size = r.key.len() + r.value.len();
                if batch.records.len() >= limits.max_records
                    || (!batch.records.is_empty() && bytes + size > limits.max_bytes)
                {
                    break;
                }
                bytes += size;
                batch.next_offset = r.offset + 1;
                batch.records.push(r.clone());
            }
            Ok(batch)
        })();
        Box::pin(std::future::ready(result))
    }

    fn offset_at_time(
        &self,
        log: LogId,
        timestamp_ms: i64,
    ) -> BoxFuture<Result<u64, StorageError>> {
        let now = self.clock.now_millis();
        let result = (|| {
            let mut logs = self.logs.write();
            let l = logs.get_mut(&log).ok_or(StorageError::LogNotFound(log))?;
            l.drop_expired(now);
            Ok(l.first_offset + l.index_at_time(timestamp_ms) as u64)
        })();
        Box::pin(std::future::ready(result))
    }

    fn bounds(&self, log: LogId) -> Result<LogBounds, StorageError> {
        let now = self.clock.now_millis();
        let mut logs = self.logs.write();
        let l = logs.get_mut(&log).ok_or(StorageError::LogNotFound(log))?;
        l.drop_expired(now);
        Ok(LogBounds {
            start_offset: l.first_offset,
            next_offset: l.next_offset(),
            last_timestamp_ms: l.records.back().map(|r| r.timestamp_ms),
        })
    }

    fn shutdown(&self) -> BoxFuture<()> {
        self.closed.store(true, Ordering::SeqCst);
        Box::pin(std::future::ready(()))
    }
}
