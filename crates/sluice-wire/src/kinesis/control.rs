//! Stream lifecycle and description: CreateStream, DeleteStream, DescribeStream,
//! DescribeStreamSummary, ListStreams, ListShards, retention, DescribeLimits,
//! DescribeAccountSettings.

use super::{check_stream, resolve_stream};
use crate::WireError;
use crate::types::Timestamp;
use crate::validate::{self, Validator};
use serde::{Deserialize, Serialize};
use sluice_streams::model::{
    BillingCommitment, CreateStreamInput, Limits, ListShardsInput, ListShardsOutput,
    ListStreamsOutput, ShardDescription, ShardFilter, StreamDescription, StreamMode,
};
use sluice_types::{ShardId, StreamName};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamModeDetails {
    pub stream_mode: Option<String>,
}

fn check_mode(v: &mut Validator, details: &Option<StreamModeDetails>) {
    if let Some(d) = details
        && v.required("StreamModeDetails.StreamMode", &d.stream_mode)
    {
        v.one_of(
            "StreamModeDetails.StreamMode",
            d.stream_mode.as_deref(),
            &["PROVISIONED", "ON_DEMAND"],
        );
    }
}

fn parse_mode(details: Option<StreamModeDetails>) -> Option<StreamMode> {
    details.and_then(|d| d.stream_mode).map(|m| {
        if m == "ON_DEMAND" {
            StreamMode::OnDemand
        } else {
            StreamMode::Provisioned
        }
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStreamModeRequest {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub stream_mode_details: Option<StreamModeDetails>,
}

impl UpdateStreamModeRequest {
    pub fn into_domain(self) -> Result<(StreamName, StreamMode), WireError> {
        let mut v = Validator::new();
        v.required("StreamARN", &self.stream_arn);
        v.required("StreamModeDetails", &self.stream_mode_details);
        check_mode(&mut v, &self.stream_mode_details);
        check_stream(&mut v, None, self.stream_arn.as_deref());
        v.finish()?;
        let mode = parse_mode(self.stream_mode_details).unwrap_or(StreamMode::Provisioned);
        Ok((resolve_stream(None, self.stream_arn)?, mode))
    }
}

pub(crate) fn check_tags(
    v: &mut Validator,
    member: &str,
    tags: Option<&BTreeMap<String, String>>,
    max: usize,
) {
    let Some(tags) = tags else { return };
    let shown = || {
        format!(
            "{{{}}}",
            tags.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    v.count(member, shown, Some(tags.len()), 1, max);
    if tags.keys().any(|k| k.is_empty() || k.chars().count() > 128) {
        v.custom(
            member,
            &shown(),
            "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
        );
    }
    if tags.values().any(|x| x.chars().count() > 256) {
        v.custom(
            member,
            &shown(),
            "Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]",
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateStreamRequest {
    pub stream_name: Option<String>,
    pub shard_count: Option<i64>,
    pub stream_mode_details: Option<StreamModeDetails>,
    pub tags: Option<BTreeMap<String, String>>,
    pub max_record_size_in_ki_b: Option<i64>,
    pub warm_throughput_mi_bps: Option<i64>,
}

impl TryFrom<CreateStreamRequest> for CreateStreamInput {
    type Error = WireError;
    fn try_from(r: CreateStreamRequest) -> Result<Self, WireError> {
        let mut v = Validator::new();
        v.range("ShardCount", r.shard_count, Some(1), None);
        if v.required("StreamName", &r.stream_name) {
            check_stream(&mut v, r.stream_name.as_deref(), None);
        }
        check_mode(&mut v, &r.stream_mode_details);
        check_tags(&mut v, "Tags", r.tags.as_ref(), 200);
        v.range(
            "MaxRecordSizeInKiB",
            r.max_record_size_in_ki_b,
            Some(1024),
            Some(10240),
        );
        v.range(
            "WarmThroughputMiBps",
            r.warm_throughput_mi_bps,
            Some(0),
            None,
        );
        v.finish()?;
        let name: StreamName = resolve_stream(r.stream_name, None)?;
        Ok(CreateStreamInput {
            name,
            shard_count: r.shard_count.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            mode: parse_mode(r.stream_mode_details),
            tags: r.tags.unwrap_or_default().into_iter().collect(),
            max_record_size_kib: r.max_record_size_in_ki_b.map(|n| n as u32),
        })
    }
}

/// A request naming one stream and nothing else of note.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub stream_id: Option<String>,
}

impl StreamRequest {
    pub fn into_stream(self) -> Result<StreamName, WireError> {
        let mut v = Validator::new();
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        resolve_stream(self.stream_name, self.stream_arn)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteStreamRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub enforce_consumer_deletion: Option<bool>,
}

impl DeleteStreamRequest {
    pub fn into_domain(self) -> Result<(StreamName, bool), WireError> {
        let mut v = Validator::new();
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.enforce_consumer_deletion.unwrap_or(false),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub limit: Option<i64>,
    pub exclusive_start_shard_id: Option<String>,
}

impl DescribeStreamRequest {
    pub fn into_domain(self) -> Result<(StreamName, Option<u32>, Option<ShardId>), WireError> {
        let mut v = Validator::new();
        v.range("Limit", self.limit, Some(1), Some(10000));
        v.string(
            "ExclusiveStartShardId",
            self.exclusive_start_shard_id.as_deref(),
            1,
            128,
            Some((validate::STREAM_NAME_PATTERN, validate::is_stream_name)),
        );
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        let start = self
            .exclusive_start_shard_id
            .as_deref()
            .map(parse_shard_id)
            .transpose()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.limit.map(|l| l as u32),
            start,
        ))
    }
}

fn parse_shard_id(s: &str) -> Result<ShardId, WireError> {
    let digits = s.rsplit('-').next().unwrap_or("");
    digits
        .parse::<u32>()
        .map(ShardId::new)
        .map_err(|_| WireError::invalid_argument(format!("Invalid ShardId {s}.")))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamModeDetailsOut {
    pub stream_mode: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HashKeyRangeOut {
    pub starting_hash_key: String,
    pub ending_hash_key: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SequenceNumberRangeOut {
    pub starting_sequence_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ending_sequence_number: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShardOut {
    pub shard_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_shard_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjacent_parent_shard_id: Option<String>,
    pub hash_key_range: HashKeyRangeOut,
    pub sequence_number_range: SequenceNumberRangeOut,
}

impl From<&ShardDescription> for ShardOut {
    fn from(s: &ShardDescription) -> Self {
        Self {
            shard_id: s.shard_id.to_string(),
            parent_shard_id: s.parent.map(|p| p.to_string()),
            adjacent_parent_shard_id: s.adjacent_parent.map(|p| p.to_string()),
            hash_key_range: HashKeyRangeOut {
                starting_hash_key: s.hash_range.start.to_string(),
                ending_hash_key: s.hash_range.end.to_string(),
            },
            sequence_number_range: SequenceNumberRangeOut {
                starting_sequence_number: s.starting_sequence.to_string(),
                ending_sequence_number: s.ending_sequence.map(|e| e.to_string()),
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnhancedMetricsOut {
    pub shard_level_metrics: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDescriptionOut {
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_status: &'static str,
    pub stream_mode_details: StreamModeDetailsOut,
    pub shards: Vec<ShardOut>,
    pub has_more_shards: bool,
    pub retention_period_hours: u32,
    pub stream_creation_timestamp: Timestamp,
    pub enhanced_monitoring: Vec<EnhancedMetricsOut>,
    pub encryption_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamResponse {
    pub stream_description: StreamDescriptionOut,
}

impl From<StreamDescription> for DescribeStreamResponse {
    fn from(d: StreamDescription) -> Self {
        Self {
            stream_description: StreamDescriptionOut {
                stream_name: d.name.to_string(),
                stream_arn: d.arn,
                stream_status: d.status.as_str(),
                stream_mode_details: StreamModeDetailsOut {
                    stream_mode: d.mode.as_str(),
                },
                shards: d.shards.iter().map(ShardOut::from).collect(),
                has_more_shards: d.has_more_shards,
                retention_period_hours: d.retention_hours,
                stream_creation_timestamp: Timestamp(d.created_ms),
                enhanced_monitoring: vec![EnhancedMetricsOut {
                    shard_level_metrics: d.shard_level_metrics,
                }],
                encryption_type: super::records::encryption_type(d.encryption_key_id.is_some()),
                key_id: d.encryption_key_id,
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDescriptionSummaryOut {
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_status: &'static str,
    pub stream_mode_details: StreamModeDetailsOut,
    pub retention_period_hours: u32,
    pub stream_creation_timestamp: Timestamp,
    pub enhanced_monitoring: Vec<EnhancedMetricsOut>,
    pub encryption_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<WarmThroughputOut>,
    pub open_shard_count: u32,
    pub consumer_count: u32,
    #[serde(rename = "MaxRecordSizeInKiB")]
    pub max_record_size_in_kib: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamSummaryResponse {
    pub stream_description_summary: StreamDescriptionSummaryOut,
}

impl From<StreamDescription> for DescribeStreamSummaryResponse {
    fn from(d: StreamDescription) -> Self {
        Self {
            stream_description_summary: StreamDescriptionSummaryOut {
                stream_name: d.name.to_string(),
                stream_arn: d.arn,
                stream_status: d.status.as_str(),
                stream_mode_details: StreamModeDetailsOut {
                    stream_mode: d.mode.as_str(),
                },
                retention_period_hours: d.retention_hours,
                stream_creation_timestamp: Timestamp(d.created_ms),
                enhanced_monitoring: vec![EnhancedMetricsOut {
                    shard_level_metrics: d.shard_level_metrics,
                }],
                encryption_type: super::records::encryption_type(d.encryption_key_id.is_some()),
                key_id: d.encryption_key_id,
                warm_throughput: d
                    .warm_throughput
                    .map(|(target, current)| WarmThroughputOut {
                        target_mibps: target,
                        current_mibps: current,
                    }),
                open_shard_count: d.open_shard_count,
                consumer_count: d.consumer_count,
                max_record_size_in_kib: d.max_record_size_kib,
            },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsRequest {
    pub limit: Option<i64>,
    pub exclusive_start_stream_name: Option<String>,
    pub next_token: Option<String>,
}

impl ListStreamsRequest {
    pub fn validate(&self) -> Result<(), WireError> {
        let mut v = Validator::new();
        v.range("Limit", self.limit, Some(1), Some(10000));
        v.string(
            "ExclusiveStartStreamName",
            self.exclusive_start_stream_name.as_deref(),
            1,
            128,
            Some((validate::STREAM_NAME_PATTERN, validate::is_stream_name)),
        );
        v.string("NextToken", self.next_token.as_deref(), 1, 1_048_576, None);
        v.finish()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSummaryOut {
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_status: &'static str,
    pub stream_mode_details: StreamModeDetailsOut,
    pub stream_creation_timestamp: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsResponse {
    pub stream_names: Vec<String>,
    pub has_more_streams: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    pub stream_summaries: Vec<StreamSummaryOut>,
}

impl From<ListStreamsOutput> for ListStreamsResponse {
    fn from(o: ListStreamsOutput) -> Self {
        Self {
            stream_names: o.streams.iter().map(|s| s.name.to_string()).collect(),
            has_more_streams: o.has_more,
            next_token: o.next_token,
            stream_summaries: o
                .streams
                .into_iter()
                .map(|s| StreamSummaryOut {
                    stream_name: s.name.to_string(),
                    stream_arn: s.arn,
                    stream_status: s.status.as_str(),
                    stream_mode_details: StreamModeDetailsOut {
                        stream_mode: s.mode.as_str(),
                    },
                    stream_creation_timestamp: Timestamp(s.created_ms),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShardFilterIn {
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub shard_id: Option<String>,
    pub timestamp: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListShardsRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub next_token: Option<String>,
    pub exclusive_start_shard_id: Option<String>,
    pub max_results: Option<i64>,
    pub stream_creation_timestamp: Option<Timestamp>,
    pub shard_filter: Option<ShardFilterIn>,
}

const SHARD_FILTER_TYPES: [&str; 6] = [
    "AFTER_SHARD_ID",
    "AT_TRIM_HORIZON",
    "FROM_TRIM_HORIZON",
    "AT_LATEST",
    "AT_TIMESTAMP",
    "FROM_TIMESTAMP",
];

impl TryFrom<ListShardsRequest> for ListShardsInput {
    type Error = WireError;
    fn try_from(r: ListShardsRequest) -> Result<Self, WireError> {
        let mut v = Validator::new();
        v.string(
            "ExclusiveStartShardId",
            r.exclusive_start_shard_id.as_deref(),
            1,
            128,
            Some((validate::STREAM_NAME_PATTERN, validate::is_stream_name)),
        );
        v.range("MaxResults", r.max_results, Some(1), Some(10000));
        v.string("NextToken", r.next_token.as_deref(), 1, 1_048_576, None);
        check_stream(&mut v, r.stream_name.as_deref(), r.stream_arn.as_deref());
        if let Some(f) = &r.shard_filter
            && v.required("ShardFilter.Type", &f.kind)
        {
            v.one_of("ShardFilter.Type", f.kind.as_deref(), &SHARD_FILTER_TYPES);
        }
        v.finish()?;
        if r.next_token.is_some() && r.exclusive_start_shard_id.is_some() {
            return Err(WireError::invalid_argument(
                "NextToken and ExclusiveStartShardId cannot be provided together.",
            ));
        }
        let stream = match (r.stream_name, r.stream_arn) {
            (None, None) => None,
            (name, arn) => Some(resolve_stream(name, arn)?),
        };
        let filter = match r.shard_filter {
            None => None,
            Some(f) => Some(match f.kind.as_deref().unwrap_or_default() {
                "AFTER_SHARD_ID" => ShardFilter::AfterShardId(parse_shard_id(
                    f.shard_id.as_deref().ok_or_else(|| {
                        WireError::invalid_argument(
                            "ShardId must be specified for ShardFilter type AFTER_SHARD_ID.",
                        )
                    })?,
                )?),
                "AT_TRIM_HORIZON" => ShardFilter::AtTrimHorizon,
                "FROM_TRIM_HORIZON" => ShardFilter::FromTrimHorizon,
                "AT_LATEST" => ShardFilter::AtLatest,
                kind => {
                    let ts = f.timestamp.ok_or_else(|| {
                        WireError::invalid_argument(format!(
                            "Timestamp must be specified for ShardFilter type {kind}."
                        ))
                    })?;
                    if kind == "AT_TIMESTAMP" {
                        ShardFilter::AtTimestamp(ts.0)
                    } else {
                        ShardFilter::FromTimestamp(ts.0)
                    }
                }
            }),
        };
        Ok(ListShardsInput {
            stream,
            next_token: r.next_token,
            exclusive_start_shard_id: r
                .exclusive_start_shard_id
                .as_deref()
                .map(parse_shard_id)
                .transpose()?,
            max_results: r.max_results.map(|m| m as u32),
            filter,
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListShardsResponse {
    pub shards: Vec<ShardOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl From<ListShardsOutput> for ListShardsResponse {
    fn from(o: ListShardsOutput) -> Self {
        Self {
            shards: o.shards.iter().map(ShardOut::from).collect(),
            next_token: o.next_token,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetentionRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub retention_period_hours: Option<i64>,
}

impl RetentionRequest {
    pub fn into_domain(self) -> Result<(StreamName, i64), WireError> {
        let mut v = Validator::new();
        v.required("RetentionPeriodHours", &self.retention_period_hours);
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.retention_period_hours.unwrap_or_default(),
        ))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLimitsResponse {
    pub shard_limit: u32,
    pub open_shard_count: u32,
    pub on_demand_stream_count: u32,
    pub on_demand_stream_count_limit: u32,
}

impl From<Limits> for DescribeLimitsResponse {
    fn from(l: Limits) -> Self {
        Self {
            shard_limit: l.shard_limit,
            open_shard_count: l.open_shard_count,
            on_demand_stream_count: l.on_demand_stream_count,
            on_demand_stream_count_limit: l.on_demand_stream_count_limit,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BillingCommitmentOut {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_allowed_end_at: Option<Timestamp>,
}

/// The answer of DescribeAccountSettings and of UpdateAccountSettings.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccountSettingsResponse {
    pub minimum_throughput_billing_commitment: BillingCommitmentOut,
}

impl From<BillingCommitment> for AccountSettingsResponse {
    fn from(c: BillingCommitment) -> Self {
        Self {
            minimum_throughput_billing_commitment: BillingCommitmentOut {
                status: c.status.as_str(),
                started_at: c.started_ms.map(Timestamp),
                ended_at: c.ended_ms.map(Timestamp),
                earliest_allowed_end_at: c.earliest_allowed_end_ms.map(Timestamp),
            },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BillingCommitmentIn {
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAccountSettingsRequest {
    pub minimum_throughput_billing_commitment: Option<BillingCommitmentIn>,
}

impl UpdateAccountSettingsRequest {
    /// Whether the commitment is to be enabled.
    pub fn into_domain(self) -> Result<bool, WireError> {
        let mut v = Validator::new();
        v.required(
            "MinimumThroughputBillingCommitment",
            &self.minimum_throughput_billing_commitment,
        );
        let status = self
            .minimum_throughput_billing_commitment
            .and_then(|c| c.status);
        v.one_of(
            "MinimumThroughputBillingCommitment.Status",
            status.as_deref(),
            &["ENABLED", "DISABLED"],
        );
        v.finish()?;
        match status.as_deref() {
            Some("ENABLED") => Ok(true),
            Some("DISABLED") => Ok(false),
            _ => Err(WireError::invalid_argument(
                "MinimumThroughputBillingCommitment.Status is required.",
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStreamWarmThroughputRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    #[serde(rename = "WarmThroughputMiBps")]
    pub warm_throughput_mibps: Option<i64>,
}

impl UpdateStreamWarmThroughputRequest {
    pub fn into_domain(self) -> Result<(StreamName, u32), WireError> {
        let mut v = Validator::new();
        v.required("WarmThroughputMiBps", &self.warm_throughput_mibps);
        v.range(
            "WarmThroughputMiBps",
            self.warm_throughput_mibps,
            Some(0),
            None,
        );
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        let mibps = u32::try_from(self.warm_throughput_mibps.unwrap_or(0)).unwrap_or(u32::MAX);
        Ok((resolve_stream(self.stream_name, self.stream_arn)?, mibps))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WarmThroughputOut {
    #[serde(rename = "TargetMiBps")]
    pub target_mibps: u32,
    #[serde(rename = "CurrentMiBps")]
    pub current_mibps: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateStreamWarmThroughputResponse {
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub stream_name: String,
    pub warm_throughput: WarmThroughputOut,
}
