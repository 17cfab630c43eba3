//! The inputs and outputs of the Firehose domain operations, and the destination configuration a
//! delivery stream keeps. These are domain types: the wire crate converts AWS shapes to and from
//! them. Configuration types are also what is persisted (inside `DeliveryStreamMeta`), so their
//! serde names are part of the metadata format (`format: 1`): add fields with `#[serde(default)]`,
//! never rename one.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a delivery stream's records come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    DirectPut,
    KinesisStreamAsSource,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::DirectPut => "DirectPut",
            SourceKind::KinesisStreamAsSource => "KinesisStreamAsSource",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStreamStatus {
    Creating,
    Active,
    Deleting,
}

impl DeliveryStreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStreamStatus::Creating => "CREATING",
            DeliveryStreamStatus::Active => "ACTIVE",
            DeliveryStreamStatus::Deleting => "DELETING",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Compression {
    #[default]
    Uncompressed,
    Gzip,
    Zip,
    Snappy,
    HadoopSnappy,
}

impl Compression {
    /// The extension Firehose gives an object when no FileExtension is configured.
    pub fn default_extension(self) -> &'static str {
        match self {
            Compression::Uncompressed => "",
            Compression::Gzip => ".gz",
            Compression::Zip => ".zip",
            Compression::Snappy => ".snappy",
            Compression::HadoopSnappy => ".hsnappy",
        }
    }
}

/// Flush a buffer when it holds `size_mb` MiB or its oldest record is `interval_s` old.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BufferingHints {
    pub size_mb: u32,
    pub interval_s: u32,
}

impl Default for BufferingHints {
    fn default() -> Self {
        Self {
            size_mb: 5,
            interval_s: 300,
        }
    }
}

/// Server-side encryption of delivered objects (kept and reported; the embedded object store
/// stores objects as they are).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ObjectEncryption {
    #[default]
    None,
    Kms {
        key_arn: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CloudWatchLogging {
    pub enabled: Option<bool>,
    pub log_group_name: Option<String>,
    pub log_stream_name: Option<String>,
}

/// One record processor: its type and its parameters as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Processor {
    pub kind: String,
    pub parameters: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Processing {
    pub enabled: Option<bool>,
    pub processors: Vec<Processor>,
}

impl Processing {
    pub fn is_enabled(&self) -> bool {
        self.enabled.unwrap_or(false)
    }
}

/// Record format conversion (DataFormatConversionConfiguration): JSON records to Apache Parquet,
/// with the columns of a table that `--glue-table DATABASE.TABLE=FILE` describes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FormatConversion {
    pub enabled: bool,
    pub role_arn: Option<String>,
    pub catalog_id: Option<String>,
    pub database_name: Option<String>,
    pub table_name: Option<String>,
    pub region: Option<String>,
    pub version_id: Option<String>,
    /// `OpenXJsonSerDe` (true) or `HiveJsonSerDe` (false).
    pub openx: bool,
    pub convert_dots_to_underscores: Option<bool>,
    pub case_insensitive: Option<bool>,
    pub column_to_json_key: Vec<(String, String)>,
    pub hive_timestamp_formats: Vec<String>,
    /// ParquetSerDe.
    pub parquet_compression: Option<String>,
    pub block_size_bytes: Option<i64>,
    pub page_size_bytes: Option<i64>,
    pub enable_dictionary: Option<bool>,
    pub max_padding_bytes: Option<i64>,
    pub writer_version: Option<String>,
}

/// An S3 destination (ExtendedS3, or the older S3 form, which is its subset).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct S3Destination {
    pub role_arn: String,
    pub bucket_arn: String,
    pub prefix: Option<String>,
    pub error_output_prefix: Option<String>,
    pub buffering: BufferingHints,
    pub compression: Compression,
    pub encryption: ObjectEncryption,
    pub cloudwatch: Option<CloudWatchLogging>,
    pub processing: Option<Processing>,
    /// `Enabled`: every source record is also written, unprocessed, to `backup`.
    pub backup_enabled: bool,
    pub backup: Option<Box<S3Destination>>,
    pub file_extension: Option<String>,
    pub custom_time_zone: Option<String>,
    /// Created with the older `S3DestinationConfiguration` form (described in both forms).
    #[serde(default)]
    pub legacy_form: bool,
    #[serde(default)]
    pub conversion: Option<FormatConversion>,
    #[serde(default)]
    pub dynamic_partitioning: Option<DynamicPartitioning>,
}

/// DynamicPartitioningConfiguration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DynamicPartitioning {
    pub enabled: bool,
    pub retry_duration_s: Option<u32>,
}

impl S3Destination {
    /// Dynamic partitioning, if it is on.
    pub fn partitioning(&self) -> bool {
        self.dynamic_partitioning
            .as_ref()
            .is_some_and(|d| d.enabled)
    }

    /// The MetadataExtraction query, if that processor is on.
    pub fn metadata_query(&self) -> Option<&str> {
        self.processing
            .as_ref()
            .filter(|p| p.is_enabled())?
            .processors
            .iter()
            .find(|p| p.kind == "MetadataExtraction")?
            .parameters
            .iter()
            .find(|(k, _)| k == "MetadataExtractionQuery")
            .map(|(_, v)| v.as_str())
    }

    /// The conversion, if it is on.
    pub fn converting(&self) -> Option<&FormatConversion> {
        self.conversion.as_ref().filter(|c| c.enabled)
    }
}

impl S3Destination {
    /// The bucket name of `arn:aws:s3:::NAME`.
    pub fn bucket(&self) -> &str {
        self.bucket_arn
            .rsplit_once(":::")
            .map(|(_, b)| b)
            .unwrap_or(&self.bucket_arn)
    }
}

/// A change to an S3 destination (UpdateDestination): every field that is given replaces the
/// current one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct S3DestinationUpdate {
    pub role_arn: Option<String>,
    pub bucket_arn: Option<String>,
    pub prefix: Option<String>,
    pub error_output_prefix: Option<String>,
    pub size_mb: Option<u32>,
    pub interval_s: Option<u32>,
    pub compression: Option<Compression>,
    pub encryption: Option<ObjectEncryption>,
    pub cloudwatch: Option<CloudWatchLogging>,
    pub processing: Option<Processing>,
    pub backup_enabled: Option<bool>,
    /// S3BackupUpdate: changes the backup destination (or makes it, from RoleARN and BucketARN).
    pub backup: Option<Box<S3DestinationUpdate>>,
    pub file_extension: Option<String>,
    pub custom_time_zone: Option<String>,
    pub conversion: Option<FormatConversion>,
    pub dynamic_partitioning: Option<DynamicPartitioning>,
}

/// An HTTP endpoint destination, with AWS's request format (`X-Amz-Firehose-*` headers, a JSON
/// body of base64 records) and an S3 destination for failed (or all) data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpDestination {
    pub url: String,
    pub name: Option<String>,
    pub access_key: Option<String>,
    pub buffering: BufferingHints,
    pub gzip: bool,
    pub common_attributes: Vec<(String, String)>,
    /// How long a failing request is retried before its records go to `s3`.
    pub retry_duration_s: u32,
    /// `AllData`: every record is also written to `s3`; `FailedDataOnly`: only what failed.
    pub backup_all: bool,
    pub s3: S3Destination,
    pub processing: Option<Processing>,
    pub cloudwatch: Option<CloudWatchLogging>,
    pub role_arn: Option<String>,
}

/// A change to an HTTP endpoint destination: every field that is given replaces the current one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpDestinationUpdate {
    pub url: Option<String>,
    pub name: Option<String>,
    pub access_key: Option<String>,
    pub size_mb: Option<u32>,
    pub interval_s: Option<u32>,
    pub gzip: Option<bool>,
    pub common_attributes: Option<Vec<(String, String)>>,
    pub retry_duration_s: Option<u32>,
    pub backup_all: Option<bool>,
    pub s3: Option<S3DestinationUpdate>,
    pub processing: Option<Processing>,
    pub cloudwatch: Option<CloudWatchLogging>,
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SearchFlavor {
    /// `AmazonopensearchserviceDestinationConfiguration`.
    OpenSearch,
    /// `ElasticsearchDestinationConfiguration`.
    Elasticsearch,
}

impl SearchFlavor {
    /// `!{firehose:error-output-type}` of documents that could not be indexed.
    pub fn error_output_type(self) -> &'static str {
        match self {
            SearchFlavor::OpenSearch => "AmazonOpenSearchService-failed",
            SearchFlavor::Elasticsearch => "elasticsearch-failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum IndexRotation {
    #[default]
    NoRotation,
    OneHour,
    OneDay,
    OneWeek,
    OneMonth,
}

/// An OpenSearch or Elasticsearch destination: `_bulk` indexing, per-document retries, failed
/// (or all) documents to `s3`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDestination {
    pub flavor: SearchFlavor,
    /// The cluster URL documents are sent to (ClusterEndpoint, or the DomainARN's mapping).
    pub endpoint: String,
    pub cluster_endpoint: Option<String>,
    pub domain_arn: Option<String>,
    pub index_name: String,
    pub type_name: Option<String>,
    pub rotation: IndexRotation,
    pub buffering: BufferingHints,
    pub retry_duration_s: u32,
    /// `AllDocuments`: every record also goes to `s3`; `FailedDocumentsOnly`: only failures.
    pub backup_all: bool,
    pub s3: S3Destination,
    pub processing: Option<Processing>,
    pub cloudwatch: Option<CloudWatchLogging>,
    pub role_arn: String,
    /// `FIREHOSE_DEFAULT` (Sluice sets a stable `_id` per record, so retries do not duplicate)
    /// or `NO_DOCUMENT_ID` (the cluster makes one).
    pub firehose_document_ids: bool,
    pub document_id_options_given: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchDestinationUpdate {
    pub endpoint: Option<String>,
    pub cluster_endpoint: Option<String>,
    pub domain_arn: Option<String>,
    pub index_name: Option<String>,
    pub type_name: Option<String>,
    pub rotation: Option<IndexRotation>,
    pub size_mb: Option<u32>,
    pub interval_s: Option<u32>,
    pub retry_duration_s: Option<u32>,
    pub s3: Option<S3DestinationUpdate>,
    pub processing: Option<Processing>,
    pub cloudwatch: Option<CloudWatchLogging>,
    pub role_arn: Option<String>,
    pub firehose_document_ids: Option<bool>,
}

// Configuration values, made once per request and kept: their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DestinationConfig {
    S3(S3Destination),
    Http(HttpDestination),
    Search(SearchDestination),
}

impl DestinationConfig {
    pub fn buffering(&self) -> BufferingHints {
        match self {
            DestinationConfig::S3(s) => s.buffering,
            DestinationConfig::Http(h) => h.buffering,
            DestinationConfig::Search(o) => o.buffering,
        }
    }

    pub fn processing(&self) -> Option<&Processing> {
        match self {
            DestinationConfig::S3(s) => s.processing.as_ref(),
            DestinationConfig::Http(h) => h.processing.as_ref(),
            DestinationConfig::Search(o) => o.processing.as_ref(),
        }
    }
}

/// What UpdateDestination changes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationUpdate {
    S3(S3DestinationUpdate),
    Http(HttpDestinationUpdate),
    Search(SearchDestinationUpdate),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// `destinationId-000000000001`, ...
    pub id: String,
    pub config: DestinationConfig,
}

/// What a create request asks for. Configurations Sluice does not implement are refused by the
/// wire crate before this is built, so every field here is acted on.
#[derive(Debug, Clone)]
pub struct CreateDeliveryStreamInput {
    pub name: String,
    pub source: SourceKind,
    pub destination: DestinationConfig,
    pub tags: Vec<(String, Option<String>)>,
    /// Server-side encryption of the delivery stream (DirectPut only): KeyType and KeyARN.
    pub encryption: Option<StreamEncryptionInput>,
    pub throughput_hint_mb: Option<u32>,
    /// KinesisStreamAsSource: the stream to read.
    pub kinesis_source: Option<crate::source::KinesisSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEncryptionInput {
    pub key_type: String,
    pub key_arn: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DeliveryStreamDescription {
    pub name: String,
    pub arn: String,
    pub status: DeliveryStreamStatus,
    pub source: SourceKind,
    pub version_id: u64,
    pub created_ms: i64,
    pub updated_ms: Option<i64>,
    pub encryption: Option<StreamEncryptionInput>,
    pub throughput_hint_mb: Option<u32>,
    pub kinesis_source: Option<crate::source::KinesisSource>,
    pub destinations: Vec<Destination>,
    pub has_more_destinations: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ListDeliveryStreamsInput {
    pub limit: Option<u32>,
    pub source: Option<SourceKind>,
    pub exclusive_start: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ListDeliveryStreamsOutput {
    pub names: Vec<String>,
    pub has_more: bool,
}

/// The outcome of one record of PutRecordBatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutEntry {
    Ok { record_id: String },
    Failed { code: &'static str, message: String },
}

#[derive(Debug, Clone)]
pub struct ListTagsOutput {
    pub tags: Vec<(String, String)>,
    pub has_more: bool,
}

pub type Tags = BTreeMap<String, String>;
