//! SplitShard, MergeShards and UpdateShardCount.

use super::{check_shard, check_stream, resolve_stream};
use crate::WireError;
use crate::validate::{self, Validator};
use serde::{Deserialize, Serialize};
use sluice_types::StreamName;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SplitShardRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub shard_to_split: Option<String>,
    pub new_starting_hash_key: Option<String>,
}

impl SplitShardRequest {
    pub fn into_domain(self) -> Result<(StreamName, String, u128), WireError> {
        let mut v = Validator::new();
        check_shard(&mut v, "ShardToSplit", &self.shard_to_split);
        v.required("NewStartingHashKey", &self.new_starting_hash_key);
        v.string(
            "NewStartingHashKey",
            self.new_starting_hash_key.as_deref(),
            0,
            usize::MAX,
            Some((validate::HASH_KEY_PATTERN, |s| validate::is_decimal(s, 39))),
        );
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        let key = self.new_starting_hash_key.unwrap_or_default();
        let parsed = key.parse::<u128>().map_err(|_| {
            WireError::invalid_argument(format!(
                "NewStartingHashKey {key} used in SplitShard() is not in the range [0, 2^128-1]."
            ))
        })?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.shard_to_split.unwrap_or_default(),
            parsed,
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MergeShardsRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub shard_to_merge: Option<String>,
    pub adjacent_shard_to_merge: Option<String>,
}

impl MergeShardsRequest {
    pub fn into_domain(self) -> Result<(StreamName, String, String), WireError> {
        let mut v = Validator::new();
        check_shard(&mut v, "ShardToMerge", &self.shard_to_merge);
        check_shard(
            &mut v,
            "AdjacentShardToMerge",
            &self.adjacent_shard_to_merge,
        );
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        Ok((
            resolve_stream(self.stream_name, self.stream_arn)?,
            self.shard_to_merge.unwrap_or_default(),
            self.adjacent_shard_to_merge.unwrap_or_default(),
        ))
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateShardCountRequest {
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub target_shard_count: Option<i64>,
    pub scaling_type: Option<String>,
}

impl UpdateShardCountRequest {
    pub fn into_domain(self) -> Result<(StreamName, u32), WireError> {
        let mut v = Validator::new();
        v.required("TargetShardCount", &self.target_shard_count);
        v.range("TargetShardCount", self.target_shard_count, Some(1), None);
        v.required("ScalingType", &self.scaling_type);
        v.one_of(
            "ScalingType",
            self.scaling_type.as_deref(),
            &["UNIFORM_SCALING"],
        );
        check_stream(
            &mut v,
            self.stream_name.as_deref(),
            self.stream_arn.as_deref(),
        );
        v.finish()?;
        let target = u32::try_from(self.target_shard_count.unwrap_or(1)).unwrap_or(u32::MAX);
        Ok((resolve_stream(self.stream_name, self.stream_arn)?, target))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateShardCountResponse {
    pub stream_name: String,
    pub current_shard_count: u32,
    pub target_shard_count: u32,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}
