//! What the service persists about streams, in the metadata store's `streams` table, as JSON.
//! Format version 1; a sample is checked in under `tests/data/` and read by a test.

use serde::{Deserialize, Serialize};
use sluice_storage::LogId;
use std::collections::{BTreeMap, BTreeSet};

pub const STREAMS_TABLE: &str = "streams";
pub const COUNTERS_TABLE: &str = "counters";
pub const NEXT_LOG_ID_KEY: &str = "next_log_id";
pub const SERVER_TABLE: &str = "server";
pub const ITERATOR_KEY_KEY: &str = "iterator_key";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamMode {
    Provisioned,
    OnDemand,
}

impl StreamMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamMode::Provisioned => "PROVISIONED",
            StreamMode::OnDemand => "ON_DEMAND",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardMeta {
    pub index: u32,
    pub log: LogId,
    pub parent: Option<u32>,
    pub adjacent_parent: Option<u32>,
    /// Inclusive hash key range, as decimal strings (128-bit values).
    pub hash_start: String,
    pub hash_end: String,
    /// First offset of this shard's log (its StartingSequenceNumber).
    pub starting_offset: u64,
    /// Set when the shard is closed by a reshard: one past its last offset.
    pub ending_offset: Option<u64>,
    pub created_ms: i64,
    pub closed_ms: Option<i64>,
}

impl ShardMeta {
    pub fn hash_range(&self) -> sluice_types::HashKeyRange {
        sluice_types::HashKeyRange {
            start: sluice_types::HashKey(self.hash_start.parse().unwrap_or(0)),
            end: sluice_types::HashKey(self.hash_end.parse().unwrap_or(0)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamMeta {
    pub format: u32,
    pub name: String,
    pub created_ms: i64,
    /// The stream reads as CREATING until this time, then ACTIVE.
    pub active_at_ms: i64,
    /// Set by DeleteStream: the stream reads as DELETING until this time, then is gone.
    pub deleting_until_ms: Option<i64>,
    pub mode: StreamMode,
    pub retention_hours: u32,
    pub shards: Vec<ShardMeta>,
    pub next_shard_index: u32,
    pub tags: BTreeMap<String, String>,
    pub shard_level_metrics: BTreeSet<String>,
    pub max_record_size_kib: u32,
    pub resource_policy: Option<String>,
    /// Set by a reshard: the stream reads as UPDATING until this time. Absent in metadata written
    /// before resharding existed, which reads as never updating.
    #[serde(default)]
    pub updating_until_ms: Option<i64>,
    /// Enhanced fan-out consumers, in registration order. Absent in metadata written before
    /// consumers existed, which reads as none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<ConsumerMeta>,
    /// Set by StartStreamEncryption: records written from now on are encrypted with this key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionMeta>,
    /// Set by UpdateStreamWarmThroughput (on-demand streams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput_mibps: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionMeta {
    /// As the request gave it (DescribeStream reports it so).
    pub key_id: String,
    /// The key's number in the key store (see `kms`).
    pub key_number: u32,
}

/// A registered enhanced fan-out consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerMeta {
    pub name: String,
    /// Its ARN ends with this time in whole seconds.
    pub created_ms: i64,
    /// The consumer reads as CREATING until this time, then ACTIVE.
    pub active_at_ms: i64,
    /// Set by DeregisterStreamConsumer: the consumer reads as DELETING until this time, then is gone.
    pub deleting_until_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Set by PutResourcePolicy with the consumer's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
}

impl StreamMeta {
    pub fn open_shards(&self) -> impl Iterator<Item = &ShardMeta> {
        self.shards.iter().filter(|s| s.ending_offset.is_none())
    }
}
