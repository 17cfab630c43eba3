//! Sluice's storage engine. It knows nothing about Kinesis: it stores ordered, durable, trimmable
//! logs of opaque records ([`LogStore`]) and small transactional metadata ([`MetaStore`]), behind
//! traits so that a cluster backend can replace the embedded one. Every backend runs the shared
//! [`conformance`] suite.

pub mod codec;
pub mod conformance;
pub mod disk;
pub mod memory;
pub mod meta;
pub mod orphans;

use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;

pub use meta::{MemoryMetaStore, MetaOp, MetaStore, MetaTxnError, RedbMetaStore};

/// Identifies one log. Chosen by the caller, never reused.
pub type LogId = u64;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// How hard an append is pushed to disk before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Acknowledge only after `fdatasync` (group commit shares one sync among all waiting writers).
    #[default]
    Sync,
    /// Acknowledge after the write reached the OS page cache. Survives a process crash, not a power
    /// loss. For benchmarks only.
    UnsafeNoSync,
}

/// One record to append: an opaque key and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendRecord {
    pub key: Bytes,
    pub value: Bytes,
}

/// Records to append to one log, all stamped with one arrival time.
#[derive(Debug, Clone)]
pub struct LogAppend {
    pub log: LogId,
    /// Requested arrival time; the engine raises it to the log's last timestamp if the clock went
    /// backwards, so timestamps never decrease within a log.
    pub timestamp_ms: i64,
    pub records: Vec<AppendRecord>,
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendAck {
    pub first_offset: u64,
    pub timestamp_ms: i64,
}

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub offset: u64,
    pub timestamp_ms: i64,
    pub key: Bytes,
    pub value: Bytes,
}

/// Bounds on one read.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    pub max_records: usize,
    /// Sum of key and value lengths; at least one record is returned even if it alone exceeds it.
    pub max_bytes: usize,
}

#[derive(Debug, Clone, Default)]
pub struct ReadBatch {
    pub records: Vec<StoredRecord>,
    /// Offset to read from next.
    pub next_offset: u64,
}

/// The readable extent of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogBounds {
    /// First offset not expired by retention (equals `next_offset` when the log is empty).
    pub start_offset: u64,
    /// One past the last durable (readable) record.
    pub next_offset: u64,
    /// Arrival time of the last record, if any is retained.
    pub last_timestamp_ms: Option<i64>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    #[error("log {0} not found")]
    LogNotFound(LogId),
    #[error("log {0} already exists")]
    LogExists(LogId),
    /// The engine hit an I/O error it cannot recover from; it refuses further writes.
    #[error("storage failed: {0}")]
    Fatal(String),
    /// The disk (or the quota) is full. Nothing of the failed write was kept; writes succeed
    /// again once there is room.
    #[error("storage full: {0}")]
    Full(String),
    #[error("storage is shutting down")]
    ShuttingDown,
}

impl StorageError {
    pub(crate) fn fatal(context: &str, err: impl std::fmt::Display) -> Self {
        StorageError::Fatal(format!("{context}: {err}"))
    }

    /// An I/O error: [`StorageError::Full`] if the disk or quota is full, else fatal.
    pub(crate) fn io(context: &str, err: std::io::Error) -> Self {
        match err.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                StorageError::Full(format!("{context}: {err}"))
            }
            _ => StorageError::Fatal(format!("{context}: {err}")),
        }
    }
}

/// Ordered, durable, trimmable logs.
///
/// Architecture invariant: an append's future resolves only once the records are as durable as the
/// configured [`Durability`] promises; a read never returns a record that is not yet durable, nor one
/// whose timestamp is older than the log's retention.
pub trait LogStore: Send + Sync + 'static {
    /// Creates an empty log whose records are kept for `retention_ms`.
    fn create_log(&self, log: LogId, retention_ms: i64) -> Result<(), StorageError>;
    /// Deletes a log and all its data.
    fn delete_log(&self, log: LogId) -> Result<(), StorageError>;
    fn set_retention(&self, log: LogId, retention_ms: i64) -> Result<(), StorageError>;
    fn logs(&self) -> Vec<LogId>;
    /// Appends to several logs at once; one acknowledgement per [`LogAppend`], in order. Each
    /// element succeeds or fails on its own.
    fn append(&self, appends: Vec<LogAppend>) -> BoxFuture<Vec<Result<AppendAck, StorageError>>>;
    /// Reads from `offset` (clamped up to the first retained record).
    fn read(
        &self,
        log: LogId,
        offset: u64,
        limits: ReadLimits,
    ) -> BoxFuture<Result<ReadBatch, StorageError>>;
    /// The first offset whose timestamp is at or after `timestamp_ms` (or `next_offset` if none).
    fn offset_at_time(&self, log: LogId, timestamp_ms: i64)
    -> BoxFuture<Result<u64, StorageError>>;
    fn bounds(&self, log: LogId) -> Result<LogBounds, StorageError>;
    /// Flushes everything and stops background work. Appends after this fail with `ShuttingDown`.
    fn shutdown(&self) -> BoxFuture<()>;
    /// Why writes fail now, if they do (the disk is full, or the engine gave up after an error
    /// it could not undo). `/health` reports it.
    fn write_problem(&self) -> Option<String> {
        None
    }
}
