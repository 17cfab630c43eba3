//! Every Kinesis request, decoded and validated: [`Request::decode`] turns an operation and a body
//! into domain input or a [`WireError`] with AWS's answer. The server dispatches on the result;
//! the fuzz targets and property tests call the same function, so they cover the real path.

use super::Operation;
use super::control::*;
use super::fanout::*;
use super::records::*;
use super::reshard::*;
use super::settings::*;
use crate::{Protocol, WireError};
use sluice_streams::AccessTarget;
use sluice_streams::model::{
    ConsumerRef, CreateStreamInput, IteratorType, ListShardsInput, PutRecordInput,
};
use sluice_types::{ShardId, StreamName};

/// A decoded request. Resource-addressed operations carry the ARN as given; the domain resolves it.
#[derive(Debug)]
pub enum Request {
    CreateStream(CreateStreamInput),
    DeleteStream {
        stream: StreamName,
        enforce_consumer_deletion: bool,
    },
    DescribeStream {
        stream: StreamName,
        limit: Option<u32>,
        exclusive_start_shard_id: Option<ShardId>,
    },
    DescribeStreamSummary(StreamName),
    ListStreams {
        limit: Option<u32>,
        exclusive_start_stream_name: Option<String>,
        next_token: Option<String>,
    },
    ListShards(ListShardsInput),
    PutRecord {
        stream: StreamName,
        record: PutRecordInput,
        ordering: Option<String>,
    },
    PutRecords {
        stream: StreamName,
        records: Vec<PutRecordInput>,
    },
    GetShardIterator {
        stream: StreamName,
        shard: String,
        kind: IteratorType,
    },
    GetRecords {
        iterator: String,
        limit: Option<u32>,
    },
    IncreaseStreamRetentionPeriod {
        stream: StreamName,
        hours: i64,
    },
    DecreaseStreamRetentionPeriod {
        stream: StreamName,
        hours: i64,
    },
    AddTagsToStream {
        stream: StreamName,
        tags: Vec<(String, String)>,
    },
    RemoveTagsFromStream {
        stream: StreamName,
        keys: Vec<String>,
    },
    ListTagsForStream {
        stream: StreamName,
        exclusive_start_tag_key: Option<String>,
        limit: Option<u32>,
    },
    TagResource {
        arn: String,
        tags: Vec<(String, String)>,
    },
    UntagResource {
        arn: String,
        keys: Vec<String>,
    },
    ListTagsForResource {
        arn: String,
    },
    EnhancedMonitoring {
        stream: StreamName,
        metrics: Vec<String>,
        enable: bool,
    },
    UpdateMaxRecordSize {
        stream: StreamName,
        kib: u32,
    },
    PutResourcePolicy {
        arn: String,
        policy: String,
    },
    GetResourcePolicy {
        arn: String,
    },
    DeleteResourcePolicy {
        arn: String,
    },
    SplitShard {
        stream: StreamName,
        shard: String,
        new_starting_hash_key: u128,
    },
    MergeShards {
        stream: StreamName,
        shard: String,
        adjacent: String,
    },
    UpdateShardCount {
        stream: StreamName,
        target: u32,
    },
    UpdateStreamMode {
        stream: StreamName,
        mode: sluice_streams::model::StreamMode,
    },
    DescribeLimits,
    DescribeAccountSettings,
    UpdateAccountSettings {
        enable: bool,
    },
    UpdateStreamWarmThroughput {
        stream: StreamName,
        mibps: u32,
    },
    StartStreamEncryption {
        stream: StreamName,
        key_id: String,
    },
    StopStreamEncryption {
        stream: StreamName,
        key_id: String,
    },
    RegisterStreamConsumer {
        stream_arn: String,
        name: String,
        tags: Vec<(String, String)>,
    },
    DescribeStreamConsumer(ConsumerRef),
    ListStreamConsumers {
        stream_arn: String,
        stream_created_ms: Option<i64>,
        next_token: Option<String>,
        max_results: Option<u32>,
    },
    DeregisterStreamConsumer(ConsumerRef),
    SubscribeToShard {
        consumer_arn: String,
        shard: String,
        start: IteratorType,
    },
    /// An operation of the model that Sluice does not implement yet.
    Unsupported(Operation),
    /// The request with `DryRun: true`: checked, then answered `DryRunOperationException`
    /// without effect.
    DryRun(Box<Request>),
}

/// `r` as a dry run if the request asked for one.
fn dry(flag: Option<bool>, r: Request) -> Request {
    if flag == Some(true) {
        Request::DryRun(Box::new(r))
    } else {
        r
    }
}

impl Request {
    /// What the request acts on, for resource policies; `None` for operations on no stream.
    pub fn access_target(&self) -> Option<AccessTarget> {
        use AccessTarget as T;
        Some(match self {
            Request::DeleteStream { stream, .. }
            | Request::DescribeStream { stream, .. }
            | Request::DescribeStreamSummary(stream)
            | Request::PutRecord { stream, .. }
            | Request::PutRecords { stream, .. }
            | Request::GetShardIterator { stream, .. }
            | Request::IncreaseStreamRetentionPeriod { stream, .. }
            | Request::DecreaseStreamRetentionPeriod { stream, .. }
            | Request::AddTagsToStream { stream, .. }
            | Request::RemoveTagsFromStream { stream, .. }
            | Request::ListTagsForStream { stream, .. }
            | Request::EnhancedMonitoring { stream, .. }
            | Request::UpdateMaxRecordSize { stream, .. }
            | Request::SplitShard { stream, .. }
            | Request::MergeShards { stream, .. }
            | Request::UpdateShardCount { stream, .. }
            | Request::UpdateStreamMode { stream, .. }
            | Request::StartStreamEncryption { stream, .. }
            | Request::StopStreamEncryption { stream, .. }
            | Request::UpdateStreamWarmThroughput { stream, .. } => T::Stream(stream.clone()),
            Request::ListShards(input) => T::Stream(input.stream.clone()?),
            Request::GetRecords { iterator, .. } => T::Iterator(iterator.clone()),
            Request::TagResource { arn, .. }
            | Request::UntagResource { arn, .. }
            | Request::ListTagsForResource { arn }
            | Request::PutResourcePolicy { arn, .. }
            | Request::GetResourcePolicy { arn }
            | Request::DeleteResourcePolicy { arn } => T::Arn(arn.clone()),
            Request::RegisterStreamConsumer { stream_arn, .. }
            | Request::ListStreamConsumers { stream_arn, .. } => T::Arn(stream_arn.clone()),
            Request::DescribeStreamConsumer(r) | Request::DeregisterStreamConsumer(r) => {
                T::Consumer(r.clone())
            }
            Request::SubscribeToShard { consumer_arn, .. } => T::Arn(consumer_arn.clone()),
            Request::CreateStream(_)
            | Request::ListStreams { .. }
            | Request::DescribeLimits
            | Request::DescribeAccountSettings
            | Request::UpdateAccountSettings { .. }
            | Request::Unsupported(_) => return None,
            Request::DryRun(inner) => return inner.access_target(),
        })
    }

    /// Decodes `body` as operation `op`'s request and validates it as AWS does.
    pub fn decode(op: Operation, p: Protocol, body: &[u8]) -> Result<Request, WireError> {
        Self::decode_typed(op, p, body).map_err(|e| {
            // serde's words name Rust types; AWS's name the member's type in the model.
            if e.kind == "SerializationException"
                && e.message.is_some()
                && let Some(text) = crate::shape::KINESIS.type_error(op.name(), &p.to_value(body))
            {
                return WireError::serialization(text);
            }
            e
        })
    }

    fn decode_typed(op: Operation, p: Protocol, body: &[u8]) -> Result<Request, WireError> {
        Ok(match op {
            Operation::CreateStream => {
                Request::CreateStream(p.decode::<CreateStreamRequest>(body)?.try_into()?)
            }
            Operation::DeleteStream => {
                let (stream, enforce_consumer_deletion) =
                    p.decode::<DeleteStreamRequest>(body)?.into_domain()?;
                Request::DeleteStream {
                    stream,
                    enforce_consumer_deletion,
                }
            }
            Operation::DescribeStream => {
                let (stream, limit, exclusive_start_shard_id) =
                    p.decode::<DescribeStreamRequest>(body)?.into_domain()?;
                Request::DescribeStream {
                    stream,
                    limit,
                    exclusive_start_shard_id,
                }
            }
            Operation::DescribeStreamSummary => {
                Request::DescribeStreamSummary(p.decode::<StreamRequest>(body)?.into_stream()?)
            }
            Operation::ListStreams => {
                let r = p.decode::<ListStreamsRequest>(body)?;
                r.validate()?;
                Request::ListStreams {
                    // Validated to 1..=10000.
                    limit: r.limit.map(|l| l as u32),
                    exclusive_start_stream_name: r.exclusive_start_stream_name,
                    next_token: r.next_token,
                }
            }
            Operation::ListShards => {
                Request::ListShards(p.decode::<ListShardsRequest>(body)?.try_into()?)
            }
            Operation::PutRecord => {
                let r = p.decode::<PutRecordRequest>(body)?;
                let flag = r.dry_run;
                let (stream, record, ordering) = r.into_domain()?;
                dry(
                    flag,
                    Request::PutRecord {
                        stream,
                        record,
                        ordering,
                    },
                )
            }
            Operation::PutRecords => {
                let r = p.decode::<PutRecordsRequest>(body)?;
                let flag = r.dry_run;
                let (stream, records) = r.into_domain()?;
                dry(flag, Request::PutRecords { stream, records })
            }
            Operation::GetShardIterator => {
                let r = p.decode::<GetShardIteratorRequest>(body)?;
                let flag = r.dry_run;
                let (stream, shard, kind) = r.into_domain()?;
                dry(
                    flag,
                    Request::GetShardIterator {
                        stream,
                        shard,
                        kind,
                    },
                )
            }
            Operation::GetRecords => {
                let r = p.decode::<GetRecordsRequest>(body)?;
                let flag = r.dry_run;
                let (iterator, limit) = r.into_domain()?;
                dry(flag, Request::GetRecords { iterator, limit })
            }
            Operation::IncreaseStreamRetentionPeriod => {
                let (stream, hours) = p.decode::<RetentionRequest>(body)?.into_domain()?;
                Request::IncreaseStreamRetentionPeriod { stream, hours }
            }
            Operation::DecreaseStreamRetentionPeriod => {
                let (stream, hours) = p.decode::<RetentionRequest>(body)?.into_domain()?;
                Request::DecreaseStreamRetentionPeriod { stream, hours }
            }
            Operation::AddTagsToStream => {
                let (stream, tags) = p.decode::<AddTagsToStreamRequest>(body)?.into_domain()?;
                Request::AddTagsToStream { stream, tags }
            }
            Operation::RemoveTagsFromStream => {
                let (stream, keys) = p
                    .decode::<RemoveTagsFromStreamRequest>(body)?
                    .into_domain()?;
                Request::RemoveTagsFromStream { stream, keys }
            }
            Operation::ListTagsForStream => {
                let (stream, exclusive_start_tag_key, limit) =
                    p.decode::<ListTagsForStreamRequest>(body)?.into_domain()?;
                Request::ListTagsForStream {
                    stream,
                    exclusive_start_tag_key,
                    limit,
                }
            }
            Operation::TagResource => {
                let (arn, tags) = p.decode::<TagResourceRequest>(body)?.into_domain()?;
                Request::TagResource { arn, tags }
            }
            Operation::UntagResource => {
                let (arn, keys) = p.decode::<UntagResourceRequest>(body)?.into_domain()?;
                Request::UntagResource { arn, keys }
            }
            Operation::ListTagsForResource => Request::ListTagsForResource {
                arn: p.decode::<ResourceRequest>(body)?.into_domain()?,
            },
            Operation::EnableEnhancedMonitoring | Operation::DisableEnhancedMonitoring => {
                let (stream, metrics) =
                    p.decode::<EnhancedMonitoringRequest>(body)?.into_domain()?;
                Request::EnhancedMonitoring {
                    stream,
                    metrics,
                    enable: op == Operation::EnableEnhancedMonitoring,
                }
            }
            Operation::UpdateMaxRecordSize => {
                let (stream, kib) = p
                    .decode::<UpdateMaxRecordSizeRequest>(body)?
                    .into_domain()?;
                Request::UpdateMaxRecordSize { stream, kib }
            }
            Operation::PutResourcePolicy => {
                let (arn, policy) = p.decode::<PutResourcePolicyRequest>(body)?.into_domain()?;
                Request::PutResourcePolicy { arn, policy }
            }
            Operation::GetResourcePolicy => Request::GetResourcePolicy {
                arn: p.decode::<ResourceRequest>(body)?.into_domain()?,
            },
            Operation::DeleteResourcePolicy => Request::DeleteResourcePolicy {
                arn: p.decode::<ResourceRequest>(body)?.into_domain()?,
            },
            Operation::SplitShard => {
                let (stream, shard, new_starting_hash_key) =
                    p.decode::<SplitShardRequest>(body)?.into_domain()?;
                Request::SplitShard {
                    stream,
                    shard,
                    new_starting_hash_key,
                }
            }
            Operation::MergeShards => {
                let (stream, shard, adjacent) =
                    p.decode::<MergeShardsRequest>(body)?.into_domain()?;
                Request::MergeShards {
                    stream,
                    shard,
                    adjacent,
                }
            }
            Operation::UpdateShardCount => {
                let (stream, target) = p.decode::<UpdateShardCountRequest>(body)?.into_domain()?;
                Request::UpdateShardCount { stream, target }
            }
            Operation::UpdateStreamMode => {
                let (stream, mode) = p.decode::<UpdateStreamModeRequest>(body)?.into_domain()?;
                Request::UpdateStreamMode { stream, mode }
            }
            Operation::DescribeLimits => Request::DescribeLimits,
            Operation::DescribeAccountSettings => Request::DescribeAccountSettings,
            Operation::RegisterStreamConsumer => {
                let (stream_arn, name, tags) = p
                    .decode::<RegisterStreamConsumerRequest>(body)?
                    .into_domain()?;
                Request::RegisterStreamConsumer {
                    stream_arn,
                    name,
                    tags,
                }
            }
            Operation::DescribeStreamConsumer => {
                Request::DescribeStreamConsumer(p.decode::<ConsumerRequest>(body)?.into_domain()?)
            }
            Operation::DeregisterStreamConsumer => {
                Request::DeregisterStreamConsumer(p.decode::<ConsumerRequest>(body)?.into_domain()?)
            }
            Operation::ListStreamConsumers => {
                let (stream_arn, stream_created_ms, next_token, max_results) = p
                    .decode::<ListStreamConsumersRequest>(body)?
                    .into_domain()?;
                Request::ListStreamConsumers {
                    stream_arn,
                    stream_created_ms,
                    next_token,
                    max_results,
                }
            }
            Operation::SubscribeToShard => {
                let r = p.decode::<SubscribeToShardRequest>(body)?;
                let flag = r.dry_run;
                let (consumer_arn, shard, start) = r.into_domain()?;
                dry(
                    flag,
                    Request::SubscribeToShard {
                        consumer_arn,
                        shard,
                        start,
                    },
                )
            }
            Operation::StartStreamEncryption => {
                let (stream, key_id) = p.decode::<StreamEncryptionRequest>(body)?.into_domain()?;
                Request::StartStreamEncryption { stream, key_id }
            }
            Operation::StopStreamEncryption => {
                let (stream, key_id) = p.decode::<StreamEncryptionRequest>(body)?.into_domain()?;
                Request::StopStreamEncryption { stream, key_id }
            }
            Operation::UpdateAccountSettings => Request::UpdateAccountSettings {
                enable: p
                    .decode::<UpdateAccountSettingsRequest>(body)?
                    .into_domain()?,
            },
            Operation::UpdateStreamWarmThroughput => {
                let (stream, mibps) = p
                    .decode::<UpdateStreamWarmThroughputRequest>(body)?
                    .into_domain()?;
                Request::UpdateStreamWarmThroughput { stream, mibps }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        // Arbitrary bytes never panic the JSON or CBOR decoders.
        #[test]
        fn arbitrary_bytes_never_panic(op in 0usize..Operation::ALL.len(), cbor: bool, body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let p = if cbor { Protocol::Cbor } else { Protocol::Json };
            let _ = Request::decode(Operation::ALL[op], p, &body);
        }

        // Well-formed JSON objects with odd members get a WireError, never a panic.
        #[test]
        fn odd_json_members_never_panic(
            op in 0usize..Operation::ALL.len(),
            key in prop::sample::select(vec!["StreamName", "StreamARN", "ShardCount", "Data", "PartitionKey",
                "Records", "ShardIterator", "ShardIteratorType", "Limit", "Timestamp", "ExplicitHashKey",
                "StartingSequenceNumber", "ShardFilter", "Tags", "TagKeys", "RetentionPeriodHours", "NextToken"]),
            value in prop_oneof![
                Just(serde_json::json!(null)), Just(serde_json::json!(-1)), Just(serde_json::json!(1e300)),
                Just(serde_json::json!("")), Just(serde_json::json!("x".repeat(300))), Just(serde_json::json!([])),
                Just(serde_json::json!({})), Just(serde_json::json!([{"Data": "!!", "PartitionKey": ""}])),
                Just(serde_json::json!(18446744073709551615u64)), Just(serde_json::json!(true)),
            ],
        ) {
            let body = serde_json::to_vec(&serde_json::json!({ key: value })).unwrap_or_default();
            let _ = Request::decode(Operation::ALL[op], Protocol::Json, &body);
            let mut cbor = Vec::new();
            let _ = ciborium::into_writer(&serde_json::json!({ key: value }), &mut cbor);
            let _ = Request::decode(Operation::ALL[op], Protocol::Cbor, &cbor);
        }
    }

    #[test]
    fn a_good_put_record_decodes() {
        let body = br#"{"StreamName":"s","PartitionKey":"k","Data":"aGVsbG8="}"#;
        match Request::decode(Operation::PutRecord, Protocol::Json, body) {
            Ok(Request::PutRecord {
                stream,
                record,
                ordering,
            }) => {
                assert_eq!(stream.as_str(), "s");
                assert_eq!(record.partition_key, "k");
                assert_eq!(&record.data[..], b"hello");
                assert_eq!(ordering, None);
            }
            other => panic!("{other:?}"),
        }
        let bad = br#"{"StreamName":"s","PartitionKey":"","Data":"aGVsbG8="}"#;
        let err =
            Request::decode(Operation::PutRecord, Protocol::Json, bad).expect_err("empty key");
        assert_eq!(err.kind, "ValidationException");
    }
}
