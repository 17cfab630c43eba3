//! The data path: PutRecord, PutRecords, GetShardIterator, GetRecords.

use super::{check_shard, check_stream, resolve_stream};
use crate::WireError;
use crate::types::{Blob, Timestamp};
use crate::validate::{self, Validator};
use serde::{Deserialize, Serialize};
use sluice_streams::model::{
    ChildShard, GetRecordsOutput, IteratorType, PutRecordInput, PutRecordOutput, PutRecordsEntry,
    Record,
};
use sluice_types::StreamName;

/// Largest `Data` the model allows (the per-stream limit is checked by the domain).
pub const MAX_DATA_BYTES: usize = 10 * 1024 * 1024;

fn check_record(
    v: &mut Validator,
    prefix: &str,
    pk: &Option<String>,
    ehk: &Option<String>,
    data: &Option<Blob>,
) {
    // The common case, a valid record, without building the member names.
    let valid = pk
        .as_deref()
        .is_some_and(|p| (1..=256).contains(&p.chars().count()))
        && ehk.as_deref().is_none_or(|s| validate::is_decimal(s, 39))
        && data.as_ref().is_some_and(|d| d.0.len() <= MAX_DATA_BYTES);
    if valid {
        return;
    }
    let member = |m: &str| format!("{prefix}{m}");
    v.required(&member("PartitionKey"), pk);
    v.string(&member("PartitionKey"), pk.as_deref(), 1, 256, None);
    v.string(
        &member("ExplicitHashKey"),
        ehk.as_deref(),
        0,
        usize::MAX,
        Some((validate::HASH_KEY_PATTERN, |s| validate::is_decimal(s, 39))),
    );
    v.required(&member("Data"), data);
    v.blob_len(
        &member("Data"),
        data.as_ref().map(|d| d.0.len()),
        MAX_DATA_BYTES,
    );
}

fn explicit_hash_key(ehk: Option<String>) -> Result<Option<u128>, WireError> {
    ehk.map(|s| {
        s.parse::<u128>().map_err(|_| {
            WireError::invalid_argument(format!(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {s}"
            ))
        })
    })
    .transpose()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub data: Option<Blob>,
    pub partition_key: Option<String>,
    pub explicit_hash_key: Option<String>,
    pub sequence_number_for_ordering: Option<String>,
    pub dry_run: Option<bool>,
}

impl PutRecordRequest {
    pub fn into_domain(self) -> Result<(StreamName, PutRecordInput, Option<String>), WireError> {
        let mut v = Validator::new();
        v.string(
            "SequenceNumberForOrdering",
            self.sequence_number_for_ordering.as_deref(),
            0,
            usize::MAX,
            Some((validate::SEQUENCE_NUMBER_PATTERN, |s| {
                validate::is_decimal(s, 129)
            })),
        );
        check_record(
            &mut v,
            "",
            &self.partition_key,
            &self.explicit_hash_key,
            &self.data,
        );
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        let stream = resolve_stream(self.stream_name, self.stream_arn)?;
        Ok((
            stream,
            PutRecordInput {
                partition_key: self.partition_key.unwrap_or_default(),
                data: self.data.unwrap_or_default().0,
                explicit_hash_key: explicit_hash_key(self.explicit_hash_key)?,
            },
            self.sequence_number_for_ordering,
        ))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordResponse {
    pub shard_id: String,
    pub sequence_number: String,
    pub encryption_type: &'static str,
}

impl From<PutRecordOutput> for PutRecordResponse {
    fn from(o: PutRecordOutput) -> Self {
        Self {
            shard_id: o.shard_id.to_string(),
            sequence_number: o.sequence_number.to_string(),
            encryption_type: encryption_type(o.encrypted),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsEntryIn {
    pub data: Option<Blob>,
    pub partition_key: Option<String>,
    pub explicit_hash_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsRequest {
    pub records: Option<Vec<PutRecordsEntryIn>>,
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub dry_run: Option<bool>,
}

/// Most bytes (data plus partition keys) one PutRecords request may carry.
pub const MAX_PUT_RECORDS_BYTES: usize = 10 * 1024 * 1024;

impl PutRecordsRequest {
    pub fn into_domain(self) -> Result<(StreamName, Vec<PutRecordInput>), WireError> {
        let mut v = Validator::new();
        if v.required("Records", &self.records) {
            let records = self.records.as_deref().unwrap_or_default();
            let shown = || {
                format!(
                    "[{}]",
                    (1..=records.len())
                        .map(|i| format!(
                            "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@{i}"
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            v.count("Records", shown, Some(records.len()), 1, 500);
            for (i, r) in records.iter().enumerate() {
                check_record(
                    &mut v,
                    &format!("Records.{}.member.", i + 1),
                    &r.partition_key,
                    &r.explicit_hash_key,
                    &r.data,
                );
            }
        }
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        let stream = resolve_stream(self.stream_name, self.stream_arn)?;
        let records = self.records.unwrap_or_default();
        let total: usize = records
            .iter()
            .map(|r| {
                r.data.as_ref().map_or(0, |d| d.0.len())
                    + r.partition_key.as_ref().map_or(0, String::len)
            })
            .sum();
        if total > MAX_PUT_RECORDS_BYTES {
            return Err(WireError::invalid_argument(
                "Records size exceeds 10 MB limit",
            ));
        }
        let records = records
            .into_iter()
            .map(|r| {
                Ok(PutRecordInput {
                    partition_key: r.partition_key.unwrap_or_default(),
                    data: r.data.unwrap_or_default().0,
                    explicit_hash_key: explicit_hash_key(r.explicit_hash_key)?,
                })
            })
            .collect::<Result<Vec<_>, WireError>>()?;
        Ok((stream, records))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsResultEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordsResponse {
    pub failed_record_count: u32,
    pub records: Vec<PutRecordsResultEntry>,
    pub encryption_type: &'static str,
}

impl From<Vec<PutRecordsEntry>> for PutRecordsResponse {
    fn from(entries: Vec<PutRecordsEntry>) -> Self {
        let mut failed = 0;
        let encrypted = entries
            .iter()
            .any(|e| matches!(e, PutRecordsEntry::Ok(o) if o.encrypted));
        let records = entries
            .into_iter()
            .map(|e| match e {
                PutRecordsEntry::Ok(o) => PutRecordsResultEntry {
                    sequence_number: Some(o.sequence_number.to_string()),
                    shard_id: Some(o.shard_id.to_string()),
                    error_code: None,
                    error_message: None,
                },
                PutRecordsEntry::Failed {
                    error_code,
                    message,
                } => {
                    failed += 1;
                    PutRecordsResultEntry {
                        sequence_number: None,
                        shard_id: None,
                        error_code: Some(error_code),
                        error_message: Some(message),
                    }
                }
            })
            .collect();
        Self {
            failed_record_count: failed,
            records,
            encryption_type: encryption_type(encrypted),
        }
    }
}

/// AWS lists the enum in this order in its messages.
pub(crate) const ITERATOR_TYPES: [&str; 5] = [
    "AFTER_SEQUENCE_NUMBER",
    "LATEST",
    "AT_TIMESTAMP",
    "AT_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub shard_id: Option<String>,
    pub shard_iterator_type: Option<String>,
    pub starting_sequence_number: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub dry_run: Option<bool>,
}

impl GetShardIteratorRequest {
    pub fn into_domain(self) -> Result<(StreamName, String, IteratorType), WireError> {
        let mut v = Validator::new();
        check_shard(&mut v, "ShardId", &self.shard_id);
        v.required("ShardIteratorType", &self.shard_iterator_type);
        v.one_of(
            "ShardIteratorType",
            self.shard_iterator_type.as_deref(),
            &ITERATOR_TYPES,
        );
        v.string(
            "StartingSequenceNumber",
            self.starting_sequence_number.as_deref(),
            0,
            usize::MAX,
            Some((validate::SEQUENCE_NUMBER_PATTERN, |s| {
                validate::is_decimal(s, 129)
            })),
        );
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        let stream = resolve_stream(self.stream_name, self.stream_arn)?;
        let iterator = iterator_type(
            &self.shard_iterator_type.unwrap_or_default(),
            self.starting_sequence_number,
            self.timestamp,
        )?;
        Ok((stream, self.shard_id.unwrap_or_default(), iterator))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorResponse {
    pub shard_iterator: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsRequest {
    pub shard_iterator: Option<String>,
    pub limit: Option<i64>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub dry_run: Option<bool>,
}

impl GetRecordsRequest {
    pub fn into_domain(self) -> Result<(String, Option<u32>), WireError> {
        let mut v = Validator::new();
        v.range("Limit", self.limit, Some(1), Some(10000));
        v.required("ShardIterator", &self.shard_iterator);
        v.string(
            "ShardIterator",
            self.shard_iterator.as_deref(),
            1,
            512,
            None,
        );
        v.finish()?;
        Ok((
            self.shard_iterator.unwrap_or_default(),
            self.limit.map(|l| l as u32),
        ))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordOut {
    pub sequence_number: String,
    pub approximate_arrival_timestamp: Timestamp,
    pub data: Blob,
    pub partition_key: String,
    pub encryption_type: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChildShardOut {
    pub shard_id: String,
    pub parent_shards: Vec<String>,
    pub hash_key_range: super::control::HashKeyRangeOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsResponse {
    pub records: Vec<RecordOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_shard_iterator: Option<String>,
    pub millis_behind_latest: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_shards: Option<Vec<ChildShardOut>>,
}

impl From<Record> for RecordOut {
    fn from(r: Record) -> Self {
        Self {
            sequence_number: r.sequence_number.to_string(),
            approximate_arrival_timestamp: Timestamp(r.arrival_ms),
            data: Blob(r.data),
            partition_key: r.partition_key,
            encryption_type: encryption_type(r.encrypted),
        }
    }
}

impl From<ChildShard> for ChildShardOut {
    fn from(c: ChildShard) -> Self {
        Self {
            shard_id: c.shard_id.to_string(),
            parent_shards: c.parents.iter().map(ToString::to_string).collect(),
            hash_key_range: super::control::HashKeyRangeOut {
                starting_hash_key: c.hash_range.start.to_string(),
                ending_hash_key: c.hash_range.end.to_string(),
            },
        }
    }
}

impl From<GetRecordsOutput> for GetRecordsResponse {
    fn from(o: GetRecordsOutput) -> Self {
        Self {
            records: o.records.into_iter().map(RecordOut::from).collect(),
            next_shard_iterator: o.next_iterator,
            millis_behind_latest: o.millis_behind_latest,
            child_shards: o
                .child_shards
                .map(|c| c.into_iter().map(ChildShardOut::from).collect()),
        }
    }
}

/// AWS's EncryptionType of a record or stream.
pub(crate) fn encryption_type(encrypted: bool) -> &'static str {
    if encrypted { "KMS" } else { "NONE" }
}

/// An already-validated ShardIteratorType (or StartingPosition Type) with its sequence number or
/// timestamp, as the domain takes it; AWS's message when they do not go together.
pub(crate) fn iterator_type(
    kind: &str,
    sequence_number: Option<String>,
    timestamp: Option<Timestamp>,
) -> Result<IteratorType, WireError> {
    let must = |detail: String| {
        WireError::invalid_argument(format!(
            "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {detail}."
        ))
    };
    Ok(match (kind, sequence_number) {
        ("AT_SEQUENCE_NUMBER", Some(s)) => IteratorType::AtSequenceNumber(s),
        ("AFTER_SEQUENCE_NUMBER", Some(s)) => IteratorType::AfterSequenceNumber(s),
        (k @ ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER"), None) => {
            return Err(must(format!("{k} and no StartingSequenceNumber")));
        }
        (k @ ("TRIM_HORIZON" | "LATEST"), Some(_)) => {
            return Err(must(format!("{k} and also a StartingSequenceNumber")));
        }
        ("TRIM_HORIZON", None) => IteratorType::TrimHorizon,
        ("LATEST", None) => IteratorType::Latest,
        (_, _) => match timestamp {
            Some(ts) => IteratorType::AtTimestamp(ts.0),
            None => {
                return Err(WireError::invalid_argument(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.",
                ));
            }
        },
    })
}
