//! Decodes any request body the way the server does, for fuzzing and property tests: whatever the
//! bytes, the answer is a domain input or a [`WireError`], never a panic.

use super::Operation;
use super::control::*;
use super::records::*;
use super::settings::*;
use crate::{Protocol, WireError};
use sluice_streams::model::{CreateStreamInput, ListShardsInput};

/// Decodes `body` as operation `op`'s request and converts it to domain input, discarding it.
pub fn decode_request(op: Operation, p: Protocol, body: &[u8]) -> Result<(), WireError> {
    match op {
        Operation::CreateStream => {
            CreateStreamInput::try_from(p.decode::<CreateStreamRequest>(body)?)?;
        }
        Operation::DeleteStream => {
            p.decode::<DeleteStreamRequest>(body)?.into_domain()?;
        }
        Operation::DescribeStream => {
            p.decode::<DescribeStreamRequest>(body)?.into_domain()?;
        }
        Operation::ListStreams => p.decode::<ListStreamsRequest>(body)?.validate()?,
        Operation::ListShards => {
            ListShardsInput::try_from(p.decode::<ListShardsRequest>(body)?)?;
        }
        Operation::PutRecord => {
            p.decode::<PutRecordRequest>(body)?.into_domain()?;
        }
        Operation::PutRecords => {
            p.decode::<PutRecordsRequest>(body)?.into_domain()?;
        }
        Operation::GetShardIterator => {
            p.decode::<GetShardIteratorRequest>(body)?.into_domain()?;
        }
        Operation::GetRecords => {
            p.decode::<GetRecordsRequest>(body)?.into_domain()?;
        }
        Operation::IncreaseStreamRetentionPeriod | Operation::DecreaseStreamRetentionPeriod => {
            p.decode::<RetentionRequest>(body)?.into_domain()?;
        }
        Operation::AddTagsToStream => {
            p.decode::<AddTagsToStreamRequest>(body)?.into_domain()?;
        }
        Operation::RemoveTagsFromStream => {
            p.decode::<RemoveTagsFromStreamRequest>(body)?
                .into_domain()?;
        }
        Operation::ListTagsForStream => {
            p.decode::<ListTagsForStreamRequest>(body)?.into_domain()?;
        }
        Operation::TagResource => {
            p.decode::<TagResourceRequest>(body)?.into_domain()?;
        }
        Operation::UntagResource => {
            p.decode::<UntagResourceRequest>(body)?.into_domain()?;
        }
        Operation::ListTagsForResource
        | Operation::GetResourcePolicy
        | Operation::DeleteResourcePolicy => {
            p.decode::<ResourceRequest>(body)?.into_domain()?;
        }
        Operation::PutResourcePolicy => {
            p.decode::<PutResourcePolicyRequest>(body)?.into_domain()?;
        }
        Operation::EnableEnhancedMonitoring | Operation::DisableEnhancedMonitoring => {
            p.decode::<EnhancedMonitoringRequest>(body)?.into_domain()?;
        }
        Operation::UpdateMaxRecordSize => {
            p.decode::<UpdateMaxRecordSizeRequest>(body)?
                .into_domain()?;
        }
        Operation::DescribeStreamSummary => {
            p.decode::<StreamRequest>(body)?.into_stream()?;
        }
        // Operations whose requests carry nothing to check, or that are answered before decoding.
        Operation::DescribeLimits
        | Operation::DescribeAccountSettings
        | Operation::DeregisterStreamConsumer
        | Operation::DescribeStreamConsumer
        | Operation::ListStreamConsumers
        | Operation::MergeShards
        | Operation::RegisterStreamConsumer
        | Operation::SplitShard
        | Operation::StartStreamEncryption
        | Operation::StopStreamEncryption
        | Operation::SubscribeToShard
        | Operation::UpdateAccountSettings
        | Operation::UpdateShardCount
        | Operation::UpdateStreamMode
        | Operation::UpdateStreamWarmThroughput => {}
    }
    Ok(())
}

/// Every operation, for fuzzers that pick one by index.
pub fn operations() -> &'static [Operation] {
    &Operation::ALL
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        // Arbitrary bytes never panic the JSON or CBOR decoders.
        #[test]
        fn arbitrary_bytes_never_panic(op in 0usize..39, cbor: bool, body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let p = if cbor { Protocol::Cbor } else { Protocol::Json };
            let _ = decode_request(operations()[op], p, &body);
        }

        // Well-formed JSON objects with odd members get a WireError, never a panic.
        #[test]
        fn odd_json_members_never_panic(
            op in 0usize..39,
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
            let _ = decode_request(operations()[op], Protocol::Json, &body);
            let mut cbor = Vec::new();
            let _ = ciborium::into_writer(&serde_json::json!({ key: value }), &mut cbor);
            let _ = decode_request(operations()[op], Protocol::Cbor, &cbor);
        }
    }

    #[test]
    fn a_good_put_record_decodes() {
        let body = br#"{"StreamName":"s","PartitionKey":"k","Data":"aGVsbG8="}"#;
        assert!(decode_request(Operation::PutRecord, Protocol::Json, body).is_ok());
        let bad = br#"{"StreamName":"s","PartitionKey":"","Data":"aGVsbG8="}"#;
        let err = decode_request(Operation::PutRecord, Protocol::Json, bad).expect_err("empty key");
        assert_eq!(err.kind, "ValidationException");
    }
}
