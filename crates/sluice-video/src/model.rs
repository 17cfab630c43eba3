//! What a video stream is, as it is kept in the metadata store (table `video`, key = stream
//! name, JSON with `format: 1`) and in memory.

use serde::{Deserialize, Serialize};
use sluice_storage::LogId;
use std::collections::BTreeMap;

pub const VIDEO_TABLE: &str = "video";
pub const COUNTERS_TABLE: &str = "counters";
pub const NEXT_LOG_ID_KEY: &str = "next_video_log_id";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamStatus {
    #[serde(rename = "CREATING")]
    Creating,
    #[serde(rename = "ACTIVE")]
    Active,
    #[serde(rename = "UPDATING")]
    Updating,
    #[serde(rename = "DELETING")]
    Deleting,
}

impl StreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Creating => "CREATING",
            StreamStatus::Active => "ACTIVE",
            StreamStatus::Updating => "UPDATING",
            StreamStatus::Deleting => "DELETING",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VideoStreamMeta {
    pub format: u32,
    pub name: String,
    pub arn: String,
    pub created_ms: i64,
    /// CREATING until then.
    pub active_at_ms: i64,
    pub device_name: Option<String>,
    pub media_type: Option<String>,
    pub kms_key_id: String,
    /// Changes with each UpdateStream and UpdateDataRetention.
    pub version: String,
    pub retention_hours: u32,
    /// The log that holds the stream's fragments, one record per fragment.
    pub log: LogId,
    pub tags: BTreeMap<String, String>,
    /// Kept as the client sent them (the wire layer checks them).
    pub image_generation: Option<serde_json::Value>,
    pub notification: Option<serde_json::Value>,
}

/// The input of CreateStream, checked by the wire layer's shape validation.
#[derive(Debug, Clone, Default)]
pub struct CreateStreamInput {
    pub name: String,
    pub device_name: Option<String>,
    pub media_type: Option<String>,
    pub kms_key_id: Option<String>,
    pub retention_hours: u32,
    pub tags: BTreeMap<String, String>,
}

/// A stream is named by its name or its ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamRef {
    Name(String),
    Arn(String),
}

/// One fragment as ListFragments describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentInfo {
    pub number: String,
    pub offset: u64,
    pub size: u64,
    pub producer_ms: i64,
    pub server_ms: i64,
    pub duration_ms: i64,
}
