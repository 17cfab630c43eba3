//! Applications as the service keeps them (metadata table `analytics`) and as requests give
//! them.

use crate::mapping::{OutputFormat, SourceSchema};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationStatus {
    Ready,
    Starting,
    Running,
    Stopping,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Ready => "READY",
            ApplicationStatus::Starting => "STARTING",
            ApplicationStatus::Running => "RUNNING",
            ApplicationStatus::Stopping => "STOPPING",
        }
    }
}

/// Where an input's records come from or an output's go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resource {
    KinesisStream { arn: String, role_arn: String },
    DeliveryStream { arn: String, role_arn: String },
}

impl Resource {
    pub fn arn(&self) -> &str {
        match self {
            Resource::KinesisStream { arn, .. } | Resource::DeliveryStream { arn, .. } => arn,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// `1.1`, `2.1`, …
    pub id: String,
    pub name_prefix: String,
    pub source: Resource,
    pub schema: SourceSchema,
    pub parallelism: u32,
    /// The starting position of the last StartApplication (NOW, TRIM_HORIZON,
    /// LAST_STOPPED_POINT).
    pub starting_position: Option<String>,
    /// A Lambda function that preprocesses the records before they are mapped.
    #[serde(default)]
    pub processor: Option<LambdaProcessor>,
}

/// An InputLambdaProcessor: the function's ARN (mapped to somewhere that runs it by the
/// server's `--lambda NAME=URL|cmd:COMMAND`) and the role, kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LambdaProcessor {
    pub arn: String,
    pub role_arn: String,
}

impl Input {
    /// The first in-application stream the input feeds (`NamePrefix_001`).
    pub fn stream_name(&self) -> String {
        format!("{}_001", self.name_prefix)
    }

    /// Every in-application stream the input feeds: `NamePrefix_001` … one per InputParallelism.
    pub fn stream_names(&self) -> Vec<String> {
        (1..=self.parallelism.max(1))
            .map(|i| format!("{}_{i:03}", self.name_prefix))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub id: String,
    /// The in-application stream written out.
    pub name: String,
    pub destination: Resource,
    pub format: OutputFormat,
}

/// A reference table: an object of an S3-compatible bucket (or of a bucket the server maps to
/// a local directory), loaded when the application starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceSource {
    /// `2.1`, `3.1`, … (after the input's `1.1`).
    pub id: String,
    pub table_name: String,
    pub bucket_arn: String,
    pub file_key: String,
    pub role_arn: String,
    pub schema: SourceSchema,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggingOption {
    pub id: String,
    pub log_stream_arn: String,
    pub role_arn: String,
}

/// CloudWatchLoggingOptionUpdates' entry.
#[derive(Debug, Clone, Default)]
pub struct LoggingUpdate {
    pub id: String,
    pub log_stream_arn: Option<String>,
    pub role_arn: Option<String>,
}

/// The bucket an `arn:aws:s3:::bucket` names.
pub fn bucket_of_arn(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:aws:s3:::")
        .or_else(|| arn.strip_prefix("arn:aws-cn:s3:::"))
        .or_else(|| arn.strip_prefix("arn:aws-us-gov:s3:::"))
        .filter(|b| !b.is_empty() && !b.contains('/'))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationMeta {
    pub format: u32,
    pub name: String,
    pub description: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub version_id: u64,
    pub status: ApplicationStatus,
    pub code: String,
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
    #[serde(default)]
    pub references: Vec<ReferenceSource>,
    /// CloudWatchLoggingOptions: kept and described; the application's errors are written to
    /// the server's log with the log stream's ARN (there is no CloudWatch Logs here).
    #[serde(default)]
    pub logging: Vec<LoggingOption>,
    pub tags: BTreeMap<String, String>,
    /// When the last StartApplication was (the NOW starting position reads from here).
    #[serde(default)]
    pub started_ms: Option<i64>,
}

/// What CreateApplication gives (checked by the wire crate for shape, here for meaning).
#[derive(Debug, Clone, Default)]
pub struct CreateApplicationInput {
    pub name: String,
    pub description: Option<String>,
    pub code: Option<String>,
    pub inputs: Vec<NewInput>,
    pub outputs: Vec<NewOutput>,
    pub tags: Vec<(String, String)>,
    /// (LogStreamARN, RoleARN) pairs.
    pub logging: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct NewInput {
    pub name_prefix: String,
    pub source: Resource,
    pub schema: SourceSchema,
    pub parallelism: Option<u32>,
    pub processor: Option<LambdaProcessor>,
}

#[derive(Debug, Clone)]
pub struct NewOutput {
    pub name: String,
    pub destination: Resource,
    pub format: OutputFormat,
}

#[derive(Debug, Clone)]
pub struct NewReference {
    pub table_name: String,
    pub bucket_arn: String,
    pub file_key: String,
    pub role_arn: String,
    pub schema: SourceSchema,
}

/// StartApplication's InputConfigurations entry.
#[derive(Debug, Clone)]
pub struct InputStart {
    pub id: String,
    pub position: String,
}

#[derive(Debug, Clone)]
pub struct ApplicationSummary {
    pub name: String,
    pub arn: String,
    pub status: ApplicationStatus,
}

/// UpdateApplication's changes: each `Some` replaces what is there.
#[derive(Debug, Clone, Default)]
pub struct ApplicationUpdate {
    pub code: Option<String>,
    pub inputs: Vec<InputUpdate>,
    pub outputs: Vec<OutputUpdate>,
    pub references: Vec<ReferenceUpdate>,
    pub logging: Vec<LoggingUpdate>,
}

#[derive(Debug, Clone, Default)]
pub struct ReferenceUpdate {
    pub id: String,
    pub table_name: Option<String>,
    pub bucket_arn: Option<String>,
    pub file_key: Option<String>,
    pub role_arn: Option<String>,
    pub schema: Option<SourceSchema>,
}

#[derive(Debug, Clone, Default)]
pub struct InputUpdate {
    pub id: String,
    pub name_prefix: Option<String>,
    pub stream_arn: Option<String>,
    /// KinesisFirehoseInputUpdate: the input becomes (or stays) this delivery stream.
    pub delivery_arn: Option<String>,
    pub role_arn: Option<String>,
    pub format: Option<crate::mapping::RecordFormat>,
    pub encoding: Option<String>,
    pub columns: Option<Vec<crate::mapping::RecordColumn>>,
    pub parallelism: Option<u32>,
    /// InputLambdaProcessorUpdate: a new function ARN and/or role.
    pub processor_arn: Option<String>,
    pub processor_role: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OutputUpdate {
    pub id: String,
    pub name: Option<String>,
    /// A new destination (a data stream or a delivery stream).
    pub destination: Option<Resource>,
    pub format: Option<OutputFormat>,
}

/// What DiscoverInputSchema found in a stream's records.
#[derive(Debug, Clone)]
pub struct DiscoveredSchema {
    pub schema: SourceSchema,
    pub parsed: Vec<Vec<String>>,
    pub raw: Vec<String>,
}
