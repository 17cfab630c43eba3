//! What Firehose persists in the metadata store.
//!
//! - table `firehose`, key = delivery stream name: [`DeliveryStreamMeta`] as JSON (`format: 1`);
//! - table `firehose_progress`, key = `<name>/<destination id>`: the first log offset not yet
//!   delivered to that destination, as decimal text (written after each delivered object);
//! - `counters/next_firehose_log_id`: the next log id to hand out, from
//!   [`sluice_types::FIREHOSE_LOG_BASE`] up, so Firehose logs never collide with shard logs.

use crate::model::{Destination, SourceKind, StreamEncryptionInput};
use serde::{Deserialize, Serialize};
use sluice_storage::LogId;
use std::collections::BTreeMap;

pub const FIREHOSE_TABLE: &str = "firehose";
pub const PROGRESS_TABLE: &str = "firehose_progress";
pub const COUNTERS_TABLE: &str = "counters";
pub const NEXT_LOG_ID_KEY: &str = "next_firehose_log_id";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeliveryStreamMeta {
    pub format: u32,
    pub name: String,
    pub created_ms: i64,
    pub active_at_ms: i64,
    pub updated_ms: Option<i64>,
    pub source: SourceKind,
    /// The log that holds DirectPut records until they are delivered.
    pub log: LogId,
    /// Starts at 1; each UpdateDestination adds 1.
    pub version_id: u64,
    pub destinations: Vec<Destination>,
    pub tags: BTreeMap<String, String>,
    pub encryption: Option<StreamEncryptionInput>,
    pub throughput_hint_mb: Option<u32>,
    /// KinesisStreamAsSource: the stream read (added after format 1 was first written, so it
    /// defaults to none).
    #[serde(default)]
    pub kinesis_source: Option<crate::source::KinesisSource>,
}

pub fn progress_key(name: &str, destination: &str) -> String {
    format!("{name}/{destination}")
}
