//! Inputs and outputs of the Data Streams operations, in domain terms.

use bytes::Bytes;
use sluice_types::{HashKeyRange, SequenceNumber, ShardId, StreamName};

pub use crate::meta::StreamMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamStatus {
    Creating,
    Deleting,
    Active,
    Updating,
}

impl StreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Creating => "CREATING",
            StreamStatus::Deleting => "DELETING",
            StreamStatus::Active => "ACTIVE",
            StreamStatus::Updating => "UPDATING",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CreateStreamInput {
    pub name: StreamName,
    pub shard_count: Option<u32>,
    pub mode: Option<StreamMode>,
    pub tags: Vec<(String, String)>,
    pub max_record_size_kib: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct ShardDescription {
    pub shard_id: ShardId,
    pub parent: Option<ShardId>,
    pub adjacent_parent: Option<ShardId>,
    pub hash_range: HashKeyRange,
    pub starting_sequence: SequenceNumber,
    pub ending_sequence: Option<SequenceNumber>,
}

#[derive(Debug, Clone)]
pub struct StreamDescription {
    pub name: StreamName,
    pub arn: String,
    pub status: StreamStatus,
    pub mode: StreamMode,
    pub shards: Vec<ShardDescription>,
    pub has_more_shards: bool,
    pub retention_hours: u32,
    pub created_ms: i64,
    pub shard_level_metrics: Vec<String>,
    pub open_shard_count: u32,
    pub consumer_count: u32,
    pub max_record_size_kib: u32,
    /// The KeyId records are encrypted with, when encryption is on.
    pub encryption_key_id: Option<String>,
    /// On-demand streams: (target, current) warm throughput in MiB/s.
    pub warm_throughput: Option<(u32, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentStatus {
    Enabled,
    Disabled,
    EnabledUntilEarliestAllowedEnd,
}

impl CommitmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentStatus::Enabled => "ENABLED",
            CommitmentStatus::Disabled => "DISABLED",
            CommitmentStatus::EnabledUntilEarliestAllowedEnd => {
                "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
            }
        }
    }
}

/// The account's minimum throughput billing commitment.
#[derive(Debug, Clone)]
pub struct BillingCommitment {
    pub status: CommitmentStatus,
    pub started_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    pub earliest_allowed_end_ms: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct StreamSummary {
    pub name: StreamName,
    pub arn: String,
    pub status: StreamStatus,
    pub mode: StreamMode,
    pub created_ms: i64,
}

#[derive(Debug, Clone)]
pub struct ListStreamsOutput {
    pub streams: Vec<StreamSummary>,
    pub has_more: bool,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone)]
pub enum ShardFilter {
    AfterShardId(ShardId),
    AtTrimHorizon,
    FromTrimHorizon,
    AtLatest,
    AtTimestamp(i64),
    FromTimestamp(i64),
}

#[derive(Debug, Clone, Default)]
pub struct ListShardsInput {
    pub stream: Option<StreamName>,
    pub next_token: Option<String>,
    pub exclusive_start_shard_id: Option<ShardId>,
    pub max_results: Option<u32>,
    pub filter: Option<ShardFilter>,
}

#[derive(Debug, Clone)]
pub struct ListShardsOutput {
    pub shards: Vec<ShardDescription>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PutRecordInput {
    pub partition_key: String,
    pub data: Bytes,
    /// Already parsed and range-checked by the caller when given.
    pub explicit_hash_key: Option<u128>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutRecordOutput {
    pub shard_id: ShardId,
    pub sequence_number: SequenceNumber,
    /// Whether the record was stored encrypted (EncryptionType KMS).
    pub encrypted: bool,
}

/// Per-record outcome of PutRecords.
#[derive(Debug, Clone)]
pub enum PutRecordsEntry {
    Ok(PutRecordOutput),
    Failed {
        error_code: &'static str,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub enum IteratorType {
    AtSequenceNumber(String),
    AfterSequenceNumber(String),
    TrimHorizon,
    Latest,
    AtTimestamp(i64),
}

#[derive(Debug, Clone)]
pub struct Record {
    pub sequence_number: SequenceNumber,
    pub arrival_ms: i64,
    pub data: Bytes,
    pub partition_key: String,
    /// Whether it is stored encrypted (EncryptionType KMS).
    pub encrypted: bool,
}

#[derive(Debug, Clone)]
pub struct ChildShard {
    pub shard_id: ShardId,
    pub parents: Vec<ShardId>,
    pub hash_range: HashKeyRange,
}

#[derive(Debug, Clone)]
pub struct GetRecordsOutput {
    pub records: Vec<Record>,
    pub next_iterator: Option<String>,
    pub millis_behind_latest: i64,
    pub child_shards: Option<Vec<ChildShard>>,
}

#[derive(Debug, Clone)]
pub struct TagsPage {
    pub tags: Vec<(String, String)>,
    pub has_more: bool,
}

#[derive(Debug, Clone)]
pub struct EnhancedMonitoringOutput {
    pub name: StreamName,
    pub arn: String,
    pub current: Vec<String>,
    pub desired: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub shard_limit: u32,
    pub open_shard_count: u32,
    pub on_demand_stream_count: u32,
    pub on_demand_stream_count_limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerStatus {
    Creating,
    Deleting,
    Active,
}

impl ConsumerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumerStatus::Creating => "CREATING",
            ConsumerStatus::Deleting => "DELETING",
            ConsumerStatus::Active => "ACTIVE",
        }
    }
}

/// How a request names a consumer: by its ARN, or by its stream's ARN and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerRef {
    Arn(String),
    Name { stream_arn: String, name: String },
}

#[derive(Debug, Clone)]
pub struct ConsumerDescription {
    pub name: String,
    pub arn: String,
    pub status: ConsumerStatus,
    pub created_ms: i64,
    pub stream_arn: String,
}

#[derive(Debug, Clone)]
pub struct ListConsumersOutput {
    pub consumers: Vec<ConsumerDescription>,
    pub next_token: Option<String>,
}

/// One SubscribeToShardEvent.
#[derive(Debug, Clone)]
pub struct SubscribeEvent {
    pub records: Vec<Record>,
    /// Where to resume (AFTER_SEQUENCE_NUMBER); `None` once the shard's end is delivered.
    pub continuation: Option<SequenceNumber>,
    pub millis_behind_latest: i64,
    /// Set on the last event of a closed shard.
    pub child_shards: Option<Vec<ChildShard>>,
}
