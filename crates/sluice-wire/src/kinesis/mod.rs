//! Kinesis Data Streams (`Kinesis_20131202`): one module per group of operations. Each request
//! shape validates itself with AWS's messages and converts to domain input; each response shape
//! is built from domain output.

pub mod control;
pub mod fanout;
mod get_records_json;
pub mod records;
pub mod request;
pub mod reshard;
pub mod settings;

use crate::WireError;
use crate::validate::{self, Validator};
use sluice_types::{Arn, StreamName};

pub const TARGET_PREFIX: &str = "Kinesis_20131202";

/// Every operation of the 2013-12-02 model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    AddTagsToStream,
    CreateStream,
    DecreaseStreamRetentionPeriod,
    DeleteResourcePolicy,
    DeleteStream,
    DeregisterStreamConsumer,
    DescribeAccountSettings,
    DescribeLimits,
    DescribeStream,
    DescribeStreamConsumer,
    DescribeStreamSummary,
    DisableEnhancedMonitoring,
    EnableEnhancedMonitoring,
    GetRecords,
    GetResourcePolicy,
    GetShardIterator,
    IncreaseStreamRetentionPeriod,
    ListShards,
    ListStreamConsumers,
    ListStreams,
    ListTagsForResource,
    ListTagsForStream,
    MergeShards,
    PutRecord,
    PutRecords,
    PutResourcePolicy,
    RegisterStreamConsumer,
    RemoveTagsFromStream,
    SplitShard,
    StartStreamEncryption,
    StopStreamEncryption,
    SubscribeToShard,
    TagResource,
    UntagResource,
    UpdateAccountSettings,
    UpdateMaxRecordSize,
    UpdateShardCount,
    UpdateStreamMode,
    UpdateStreamWarmThroughput,
}

impl Operation {
    pub const ALL: [Operation; 39] = [
        Operation::AddTagsToStream,
        Operation::CreateStream,
        Operation::DecreaseStreamRetentionPeriod,
        Operation::DeleteResourcePolicy,
        Operation::DeleteStream,
        Operation::DeregisterStreamConsumer,
        Operation::DescribeAccountSettings,
        Operation::DescribeLimits,
        Operation::DescribeStream,
        Operation::DescribeStreamConsumer,
        Operation::DescribeStreamSummary,
        Operation::DisableEnhancedMonitoring,
        Operation::EnableEnhancedMonitoring,
        Operation::GetRecords,
        Operation::GetResourcePolicy,
        Operation::GetShardIterator,
        Operation::IncreaseStreamRetentionPeriod,
        Operation::ListShards,
        Operation::ListStreamConsumers,
        Operation::ListStreams,
        Operation::ListTagsForResource,
        Operation::ListTagsForStream,
        Operation::MergeShards,
        Operation::PutRecord,
        Operation::PutRecords,
        Operation::PutResourcePolicy,
        Operation::RegisterStreamConsumer,
        Operation::RemoveTagsFromStream,
        Operation::SplitShard,
        Operation::StartStreamEncryption,
        Operation::StopStreamEncryption,
        Operation::SubscribeToShard,
        Operation::TagResource,
        Operation::UntagResource,
        Operation::UpdateAccountSettings,
        Operation::UpdateMaxRecordSize,
        Operation::UpdateShardCount,
        Operation::UpdateStreamMode,
        Operation::UpdateStreamWarmThroughput,
    ];

    /// The operation's position in [`Operation::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::AddTagsToStream => "AddTagsToStream",
            Operation::CreateStream => "CreateStream",
            Operation::DecreaseStreamRetentionPeriod => "DecreaseStreamRetentionPeriod",
            Operation::DeleteResourcePolicy => "DeleteResourcePolicy",
            Operation::DeleteStream => "DeleteStream",
            Operation::DeregisterStreamConsumer => "DeregisterStreamConsumer",
            Operation::DescribeAccountSettings => "DescribeAccountSettings",
            Operation::DescribeLimits => "DescribeLimits",
            Operation::DescribeStream => "DescribeStream",
            Operation::DescribeStreamConsumer => "DescribeStreamConsumer",
            Operation::DescribeStreamSummary => "DescribeStreamSummary",
            Operation::DisableEnhancedMonitoring => "DisableEnhancedMonitoring",
            Operation::EnableEnhancedMonitoring => "EnableEnhancedMonitoring",
            Operation::GetRecords => "GetRecords",
            Operation::GetResourcePolicy => "GetResourcePolicy",
            Operation::GetShardIterator => "GetShardIterator",
            Operation::IncreaseStreamRetentionPeriod => "IncreaseStreamRetentionPeriod",
            Operation::ListShards => "ListShards",
            Operation::ListStreamConsumers => "ListStreamConsumers",
            Operation::ListStreams => "ListStreams",
            Operation::ListTagsForResource => "ListTagsForResource",
            Operation::ListTagsForStream => "ListTagsForStream",
            Operation::MergeShards => "MergeShards",
            Operation::PutRecord => "PutRecord",
            Operation::PutRecords => "PutRecords",
            Operation::PutResourcePolicy => "PutResourcePolicy",
            Operation::RegisterStreamConsumer => "RegisterStreamConsumer",
            Operation::RemoveTagsFromStream => "RemoveTagsFromStream",
            Operation::SplitShard => "SplitShard",
            Operation::StartStreamEncryption => "StartStreamEncryption",
            Operation::StopStreamEncryption => "StopStreamEncryption",
            Operation::SubscribeToShard => "SubscribeToShard",
            Operation::TagResource => "TagResource",
            Operation::UntagResource => "UntagResource",
            Operation::UpdateAccountSettings => "UpdateAccountSettings",
            Operation::UpdateMaxRecordSize => "UpdateMaxRecordSize",
            Operation::UpdateShardCount => "UpdateShardCount",
            Operation::UpdateStreamMode => "UpdateStreamMode",
            Operation::UpdateStreamWarmThroughput => "UpdateStreamWarmThroughput",
        }
    }

    /// From an `X-Amz-Target` header value.
    pub fn from_target(target: &str) -> Option<Self> {
        let (prefix, op) = target.split_once('.')?;
        if prefix != TARGET_PREFIX {
            return None;
        }
        Self::ALL.into_iter().find(|o| o.name() == op)
    }
}

/// Checks the StreamName / StreamARN pair every stream operation takes.
/// A required member of AWS's ShardId shape (ShardId, ShardToSplit, ShardToMerge, ...).
pub(crate) fn check_shard(v: &mut Validator, member: &str, value: &Option<String>) {
    v.required(member, value);
    v.string(
        member,
        value.as_deref(),
        1,
        128,
        Some((validate::STREAM_NAME_PATTERN, validate::is_stream_name)),
    );
}

pub(crate) fn check_stream(v: &mut Validator, name: Option<&str>, arn: Option<&str>) {
    v.string(
        "StreamName",
        name,
        1,
        128,
        Some((validate::STREAM_NAME_PATTERN, validate::is_stream_name)),
    );
    v.string(
        "StreamARN",
        arn,
        1,
        2048,
        Some((validate::STREAM_ARN_PATTERN, validate::is_stream_arn)),
    );
}

/// The stream an already-validated request names, by StreamName or else StreamARN.
pub(crate) fn resolve_stream(
    name: Option<String>,
    arn: Option<String>,
) -> Result<StreamName, WireError> {
    if let Some(name) = name {
        return name
            .parse()
            .map_err(|_| WireError::invalid_argument("Invalid StreamName."));
    }
    if let Some(arn) = arn {
        return Arn::parse(&arn)
            .and_then(|a| a.stream_name().cloned())
            .ok_or_else(|| WireError::invalid_argument(format!("Invalid StreamARN {arn}.")));
    }
    Err(WireError::invalid_argument(
        "Either StreamName or StreamARN must be provided.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_position_in_all() {
        for (i, op) in Operation::ALL.into_iter().enumerate() {
            assert_eq!(op.index(), i, "{op:?}");
        }
    }

    #[test]
    fn targets() {
        assert_eq!(
            Operation::from_target("Kinesis_20131202.PutRecord"),
            Some(Operation::PutRecord)
        );
        assert_eq!(Operation::from_target("Kinesis_20131202.Nope"), None);
        assert_eq!(Operation::from_target("Firehose_20150804.PutRecord"), None);
        for op in Operation::ALL {
            assert_eq!(
                Operation::from_target(&format!("Kinesis_20131202.{}", op.name())),
                Some(op)
            );
        }
    }
}
