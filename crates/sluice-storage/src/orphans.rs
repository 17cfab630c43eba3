//! Logs that no resource in the metadata store names. An interrupted create leaves an empty one,
//! an interrupted delete one whose deletion was recorded (a tombstone, committed with the
//! resource's removal); both are deleted at start. Any other orphan holding records means the
//! metadata store was lost, replaced or rolled back: then the start stops and nothing is deleted,
//! unless the operator asked for it ([`OrphanPolicy::Delete`]).

use crate::{LogId, LogStore, MetaOp, MetaStore, StorageError};
use std::collections::HashSet;

/// Log ids whose deletion was decided (key: the id in hex), until the log is gone.
pub const DELETED_LOGS_TABLE: &str = "deleted_logs";

/// What to do with orphan logs that still hold records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrphanPolicy {
    /// Stop the start with an error that names them.
    #[default]
    Refuse,
    /// Delete them (`sluice serve --delete-orphan-logs`).
    Delete,
}

fn key(log: LogId) -> String {
    format!("{log:016x}")
}

/// Operations to commit together with a resource's removal: its logs may then be deleted even if
/// the process dies before it deletes them.
pub fn tombstones(logs: impl IntoIterator<Item = LogId>) -> Vec<MetaOp> {
    logs.into_iter()
        .map(|log| MetaOp::Put {
            table: DELETED_LOGS_TABLE.into(),
            key: key(log),
            value: Vec::new(),
        })
        .collect()
}

/// Deletes a tombstoned log and then its tombstone. A log already gone is fine.
pub fn delete_tombstoned(
    logs: &dyn LogStore,
    meta: &dyn MetaStore,
    log: LogId,
) -> Result<(), StorageError> {
    match logs.delete_log(log) {
        Ok(()) | Err(StorageError::LogNotFound(_)) => {}
        Err(e) => return Err(e),
    }
    meta.commit(vec![MetaOp::Delete {
        table: DELETED_LOGS_TABLE.into(),
        key: key(log),
    }])
    .map_err(|e| StorageError::Fatal(format!("clear the tombstone of log {log}: {e}")))
}

/// Deletes the orphans that are safe to delete (tombstoned, or holding no retained record) and
/// refuses to start, naming them, if others hold records, unless `policy` says to delete them.
pub fn reconcile(
    logs: &dyn LogStore,
    meta: &dyn MetaStore,
    referenced: &HashSet<LogId>,
    policy: OrphanPolicy,
) -> Result<usize, StorageError> {
    let tombstoned: HashSet<String> = meta
        .scan(DELETED_LOGS_TABLE)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let mut kept = Vec::new();
    let mut deleted = 0;
    for log in logs.logs() {
        if referenced.contains(&log) {
            continue;
        }
        let bounds = logs.bounds(log)?;
        let records = bounds.next_offset - bounds.start_offset;
        if tombstoned.contains(&key(log)) || records == 0 {
            tracing::info!(log, "deleting a log whose create or delete was interrupted");
        } else if policy == OrphanPolicy::Delete {
            tracing::warn!(
                log,
                records,
                "deleting an orphan log (--delete-orphan-logs)"
            );
        } else {
            kept.push((log, records));
            continue;
        }
        logs.delete_log(log)?;
        deleted += 1;
    }
    // Tombstones whose log is gone (deleted above or before) are cleared.
    let stale: Vec<MetaOp> = tombstoned
        .into_iter()
        .filter(|k| LogId::from_str_radix(k, 16).is_ok_and(|id| logs.bounds(id).is_err()))
        .map(|k| MetaOp::Delete {
            table: DELETED_LOGS_TABLE.into(),
            key: k,
        })
        .collect();
    if !stale.is_empty() {
        meta.commit(stale)
            .map_err(|e| StorageError::Fatal(format!("clear log tombstones: {e}")))?;
    }
    if kept.is_empty() {
        return Ok(deleted);
    }
    let total: u64 = kept.iter().map(|(_, n)| n).sum();
    let shown: Vec<String> = kept
        .iter()
        .take(10)
        .map(|(log, n)| format!("{log:016x} ({n} records)"))
        .collect();
    Err(StorageError::Fatal(format!(
        "{} logs holding {total} records belong to no stream, delivery stream or video stream \
         in the metadata store: {}{}. The metadata store was lost, replaced or restored from an \
         older copy. Nothing was deleted. Restore the metadata store (meta.redb) that belongs \
         with these logs, or start with --delete-orphan-logs to delete them",
        kept.len(),
        shown.join(", "),
        if kept.len() > 10 { ", ..." } else { "" }
    )))
}
