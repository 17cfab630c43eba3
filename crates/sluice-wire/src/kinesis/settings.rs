//! Per-stream settings: tags, enhanced monitoring, record size, resource policies.

use super::control::check_tags;
use super::{check_stream, resolve_stream};
use crate::WireError;
use crate::validate::Validator;
use serde::{Deserialize, Serialize};
use sluice_streams::model::{EnhancedMonitoringOutput, TagsPage};
use sluice_types::StreamName;
use std::collections::BTreeMap;

const RESOURCE_ARN_PATTERN: &str = r"arn:aws.*:kinesis:.*:\d{12}:.*(stream|channel|queue)/\S+";

fn is_resource_arn(s: &str) -> bool {
    s.starts_with("arn:aws")
        && s.contains(":kinesis:")
        && (s.contains("stream/") || s.contains("channel/") || s.contains("queue/"))
}

fn check_tag_keys(v: &mut Validator, member: &str, keys: &Option<Vec<String>>, max: usize) {
    if v.required(member, keys) {
        let keys = keys.as_deref().unwrap_or_default();
        let shown = || format!("[{}]", keys.join(", "));
        v.count(member, shown, Some(keys.len()), 1, max);
        if keys.iter().any(|k| k.is_empty() || k.chars().count() > 128) {
            v.custom(
                member,
                &shown(),
                "Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
            );
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddTagsToStreamRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

impl AddTagsToStreamRequest {
    pub fn into_domain(self) -> Result<(StreamName, Vec<(String, String)>), WireError> {
        let mut v = Validator::new();
        v.required("Tags", &self.tags);
        check_tags(&mut v, "Tags", self.tags.as_ref(), 50);
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.tags.unwrap_or_default().into_iter().collect(),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTagsFromStreamRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

impl RemoveTagsFromStreamRequest {
    pub fn into_domain(self) -> Result<(StreamName, Vec<String>), WireError> {
        let mut v = Validator::new();
        check_tag_keys(&mut v, "TagKeys", &self.tag_keys, 50);
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.tag_keys.unwrap_or_default(),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForStreamRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub exclusive_start_tag_key: Option<String>,
    pub limit: Option<i64>,
}

impl ListTagsForStreamRequest {
    pub fn into_domain(self) -> Result<(StreamName, Option<String>, Option<u32>), WireError> {
        let mut v = Validator::new();
        v.string(
            "ExclusiveStartTagKey",
            self.exclusive_start_tag_key.as_deref(),
            1,
            128,
            None,
        );
        v.range("Limit", self.limit, Some(1), Some(50));
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.exclusive_start_tag_key,
            self.limit.map(|l| l as u32),
        ))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagOut {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForStreamResponse {
    pub tags: Vec<TagOut>,
    pub has_more_tags: bool,
}

impl From<TagsPage> for ListTagsForStreamResponse {
    fn from(p: TagsPage) -> Self {
        Self {
            tags: p
                .tags
                .into_iter()
                .map(|(key, value)| TagOut { key, value })
                .collect(),
            has_more_tags: p.has_more,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceResponse {
    pub tags: Vec<TagOut>,
}

impl From<TagsPage> for ListTagsForResourceResponse {
    fn from(p: TagsPage) -> Self {
        Self {
            tags: p
                .tags
                .into_iter()
                .map(|(key, value)| TagOut { key, value })
                .collect(),
        }
    }
}

fn check_resource_arn(v: &mut Validator, arn: &Option<String>) {
    if v.required("ResourceARN", arn) {
        v.string(
            "ResourceARN",
            arn.as_deref(),
            1,
            2048,
            Some((RESOURCE_ARN_PATTERN, is_resource_arn)),
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

impl TagResourceRequest {
    pub fn into_domain(self) -> Result<(String, Vec<(String, String)>), WireError> {
        let mut v = Validator::new();
        v.required("Tags", &self.tags);
        check_tags(&mut v, "Tags", self.tags.as_ref(), 50);
        check_resource_arn(&mut v, &self.resource_arn);
        v.finish()?;
        Ok((
            self.resource_arn.unwrap_or_default(),
            self.tags.unwrap_or_default().into_iter().collect(),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

impl UntagResourceRequest {
    pub fn into_domain(self) -> Result<(String, Vec<String>), WireError> {
        let mut v = Validator::new();
        check_tag_keys(&mut v, "TagKeys", &self.tag_keys, 50);
        check_resource_arn(&mut v, &self.resource_arn);
        v.finish()?;
        Ok((
            self.resource_arn.unwrap_or_default(),
            self.tag_keys.unwrap_or_default(),
        ))
    }
}

/// ListTagsForResource, GetResourcePolicy and DeleteResourcePolicy: just a resource ARN.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceRequest {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
}

impl ResourceRequest {
    pub fn into_domain(self) -> Result<String, WireError> {
        let mut v = Validator::new();
        check_resource_arn(&mut v, &self.resource_arn);
        v.finish()?;
        Ok(self.resource_arn.unwrap_or_default())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutResourcePolicyRequest {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
    pub policy: Option<String>,
}

impl PutResourcePolicyRequest {
    pub fn into_domain(self) -> Result<(String, String), WireError> {
        let mut v = Validator::new();
        check_resource_arn(&mut v, &self.resource_arn);
        v.required("Policy", &self.policy);
        v.finish()?;
        let policy = self.policy.unwrap_or_default();
        if !serde_json::from_str::<serde_json::Value>(&policy).is_ok_and(|p| p.is_object()) {
            return Err(WireError::invalid_argument(
                "Policy is not a valid JSON policy document.",
            ));
        }
        Ok((self.resource_arn.unwrap_or_default(), policy))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetResourcePolicyResponse {
    pub policy: String,
}

const METRICS: [&str; 8] = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
];

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnhancedMonitoringRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub shard_level_metrics: Option<Vec<String>>,
}

impl EnhancedMonitoringRequest {
    pub fn into_domain(self) -> Result<(StreamName, Vec<String>), WireError> {
        let mut v = Validator::new();
        if v.required("ShardLevelMetrics", &self.shard_level_metrics) {
            let m = self.shard_level_metrics.as_deref().unwrap_or_default();
            v.count(
                "ShardLevelMetrics",
                || format!("[{}]", m.join(", ")),
                Some(m.len()),
                1,
                7,
            );
            if m.iter().any(|x| !METRICS.contains(&x.as_str())) {
                v.custom(
                    "ShardLevelMetrics",
                    &format!("[{}]", m.join(", ")),
                    &format!("Member must satisfy constraint: [Member must satisfy enum value set: [{}]]", METRICS.join(", ")),
                );
            }
        }
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.shard_level_metrics.unwrap_or_default(),
        ))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnhancedMonitoringResponse {
    pub stream_name: String,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
    pub current_shard_level_metrics: Vec<String>,
    pub desired_shard_level_metrics: Vec<String>,
}

impl From<EnhancedMonitoringOutput> for EnhancedMonitoringResponse {
    fn from(o: EnhancedMonitoringOutput) -> Self {
        Self {
            stream_name: o.name.to_string(),
            stream_arn: o.arn,
            current_shard_level_metrics: o.current,
            desired_shard_level_metrics: o.desired,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateMaxRecordSizeRequest {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub stream_name: Option<String>,
    #[serde(rename = "MaxRecordSizeInKiB")]
    pub max_record_size_in_kib: Option<i64>,
}

impl UpdateMaxRecordSizeRequest {
    pub fn into_domain(self) -> Result<(StreamName, u32), WireError> {
        let mut v = Validator::new();
        v.required("MaxRecordSizeInKiB", &self.max_record_size_in_kib);
        v.range(
            "MaxRecordSizeInKiB",
            self.max_record_size_in_kib,
            Some(1024),
            Some(10240),
        );
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.max_record_size_in_kib.unwrap_or(1024) as u32,
        ))
    }
}

/// StartStreamEncryption and StopStreamEncryption.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamEncryptionRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub encryption_type: Option<String>,
    pub key_id: Option<String>,
}

impl StreamEncryptionRequest {
    /// (stream, KeyId)
    pub fn into_domain(self) -> Result<(StreamName, String), WireError> {
        let mut v = Validator::new();
        v.required("EncryptionType", &self.encryption_type);
        v.one_of(
            "EncryptionType",
            self.encryption_type.as_deref(),
            &["NONE", "KMS"],
        );
        v.required("KeyId", &self.key_id);
        v.string("KeyId", self.key_id.as_deref(), 1, 2048, None);
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        if self.encryption_type.as_deref() != Some("KMS") {
            return Err(WireError::invalid_argument(
                "EncryptionType NONE is not supported for this operation; use KMS.",
            ));
        }
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.key_id.unwrap_or_default(),
        ))
    }
}
