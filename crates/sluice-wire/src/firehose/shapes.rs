//! The JSON shapes of the Firehose operations (`Firehose_20150804`), and their conversion to and
//! from the domain's model. Member names are AWS's.

use crate::types::Blob;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sluice_firehose::model::*;

// ------------------------------------------------------------------ shared configuration

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct BufferingHintsShape {
    #[serde(rename = "SizeInMBs", skip_serializing_if = "Option::is_none")]
    pub size_in_mbs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_in_seconds: Option<i64>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct KmsEncryptionConfig {
    #[serde(rename = "AWSKMSKeyARN")]
    pub aws_kms_key_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionConfigurationShape {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_encryption_config: Option<String>,
    #[serde(
        rename = "KMSEncryptionConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub kms_encryption_config: Option<KmsEncryptionConfig>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct CloudWatchLoggingOptionsShape {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_stream_name: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessorParameterShape {
    pub parameter_name: Option<String>,
    pub parameter_value: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessorShape {
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<ProcessorParameterShape>>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessingConfigurationShape {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processors: Option<Vec<ProcessorShape>>,
}

/// ExtendedS3DestinationConfiguration, S3DestinationConfiguration and their Update forms (the
/// older forms are subsets; every member is optional here and checked by the validator).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct S3ConfigShape {
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
    #[serde(rename = "BucketARN")]
    pub bucket_arn: Option<String>,
    pub prefix: Option<String>,
    pub error_output_prefix: Option<String>,
    pub buffering_hints: Option<BufferingHintsShape>,
    pub compression_format: Option<String>,
    pub encryption_configuration: Option<EncryptionConfigurationShape>,
    pub cloud_watch_logging_options: Option<CloudWatchLoggingOptionsShape>,
    pub processing_configuration: Option<ProcessingConfigurationShape>,
    #[serde(rename = "S3BackupMode")]
    pub s3_backup_mode: Option<String>,
    #[serde(rename = "S3BackupConfiguration")]
    pub s3_backup_configuration: Option<Box<S3ConfigShape>>,
    #[serde(rename = "S3BackupUpdate")]
    pub s3_backup_update: Option<Box<S3ConfigShape>>,
    pub data_format_conversion_configuration: Option<Value>,
    pub dynamic_partitioning_configuration: Option<Value>,
    pub file_extension: Option<String>,
    pub custom_time_zone: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct TagShape {
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

pub(crate) fn compression_of(s: &str) -> Option<Compression> {
    Some(match s {
        "UNCOMPRESSED" => Compression::Uncompressed,
        "GZIP" => Compression::Gzip,
        "ZIP" => Compression::Zip,
        "Snappy" => Compression::Snappy,
        "HADOOP_SNAPPY" => Compression::HadoopSnappy,
        _ => return None,
    })
}

pub(crate) fn compression_name(c: Compression) -> &'static str {
    match c {
        Compression::Uncompressed => "UNCOMPRESSED",
        Compression::Gzip => "GZIP",
        Compression::Zip => "ZIP",
        Compression::Snappy => "Snappy",
        Compression::HadoopSnappy => "HADOOP_SNAPPY",
    }
}

pub(crate) fn encryption_of(e: &EncryptionConfigurationShape) -> ObjectEncryption {
    match e
        .kms_encryption_config
        .as_ref()
        .and_then(|k| k.aws_kms_key_arn.clone())
    {
        Some(key_arn) => ObjectEncryption::Kms { key_arn },
        None => ObjectEncryption::None,
    }
}

pub(crate) fn processing_of(p: &ProcessingConfigurationShape) -> Processing {
    Processing {
        enabled: p.enabled,
        processors: p
            .processors
            .iter()
            .flatten()
            .map(|pr| Processor {
                kind: pr.kind.clone().unwrap_or_default(),
                parameters: pr
                    .parameters
                    .iter()
                    .flatten()
                    .map(|x| {
                        (
                            x.parameter_name.clone().unwrap_or_default(),
                            x.parameter_value.clone().unwrap_or_default(),
                        )
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn cloudwatch_of(c: &CloudWatchLoggingOptionsShape) -> CloudWatchLogging {
    CloudWatchLogging {
        enabled: c.enabled,
        log_group_name: c.log_group_name.clone(),
        log_stream_name: c.log_stream_name.clone(),
    }
}

/// DataFormatConversionConfiguration as the domain keeps it (`Enabled` defaults to true).
pub(crate) fn conversion_of(v: &Value) -> FormatConversion {
    let schema = &v["SchemaConfiguration"];
    let s = |x: &Value| x.as_str().map(str::to_owned);
    let de = &v["InputFormatConfiguration"]["Deserializer"];
    let openx = &de["OpenXJsonSerDe"];
    let parquet = &v["OutputFormatConfiguration"]["Serializer"]["ParquetSerDe"];
    FormatConversion {
        enabled: v["Enabled"].as_bool().unwrap_or(true),
        role_arn: s(&schema["RoleARN"]),
        catalog_id: s(&schema["CatalogId"]),
        database_name: s(&schema["DatabaseName"]),
        table_name: s(&schema["TableName"]),
        region: s(&schema["Region"]),
        version_id: s(&schema["VersionId"]),
        openx: de.get("HiveJsonSerDe").is_none(),
        convert_dots_to_underscores: openx["ConvertDotsInJsonKeysToUnderscores"].as_bool(),
        case_insensitive: openx["CaseInsensitive"].as_bool(),
        column_to_json_key: openx["ColumnToJsonKeyMappings"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
        hive_timestamp_formats: de["HiveJsonSerDe"]["TimestampFormats"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        parquet_compression: s(&parquet["Compression"]),
        block_size_bytes: parquet["BlockSizeBytes"].as_i64(),
        page_size_bytes: parquet["PageSizeBytes"].as_i64(),
        enable_dictionary: parquet["EnableDictionaryCompression"].as_bool(),
        max_padding_bytes: parquet["MaxPaddingBytes"].as_i64(),
        writer_version: s(&parquet["WriterVersion"]),
    }
}

/// The conversion described back in AWS's shape.
pub(crate) fn conversion_shape(c: &FormatConversion) -> Value {
    let mut schema = serde_json::Map::new();
    for (k, v) in [
        ("RoleARN", &c.role_arn),
        ("CatalogId", &c.catalog_id),
        ("DatabaseName", &c.database_name),
        ("TableName", &c.table_name),
        ("Region", &c.region),
        ("VersionId", &c.version_id),
    ] {
        if let Some(v) = v {
            schema.insert(k.into(), Value::String(v.clone()));
        }
    }
    let deserializer = if c.openx {
        let mut o = serde_json::Map::new();
        if let Some(b) = c.convert_dots_to_underscores {
            o.insert("ConvertDotsInJsonKeysToUnderscores".into(), Value::Bool(b));
        }
        if let Some(b) = c.case_insensitive {
            o.insert("CaseInsensitive".into(), Value::Bool(b));
        }
        if !c.column_to_json_key.is_empty() {
            o.insert(
                "ColumnToJsonKeyMappings".into(),
                Value::Object(
                    c.column_to_json_key
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                ),
            );
        }
        serde_json::json!({ "OpenXJsonSerDe": o })
    } else {
        serde_json::json!({ "HiveJsonSerDe": { "TimestampFormats": c.hive_timestamp_formats } })
    };
    let mut parquet = serde_json::Map::new();
    if let Some(v) = &c.parquet_compression {
        parquet.insert("Compression".into(), Value::String(v.clone()));
    }
    for (k, v) in [
        ("BlockSizeBytes", c.block_size_bytes),
        ("PageSizeBytes", c.page_size_bytes),
        ("MaxPaddingBytes", c.max_padding_bytes),
    ] {
        if let Some(v) = v {
            parquet.insert(k.into(), Value::from(v));
        }
    }
    if let Some(b) = c.enable_dictionary {
        parquet.insert("EnableDictionaryCompression".into(), Value::Bool(b));
    }
    if let Some(v) = &c.writer_version {
        parquet.insert("WriterVersion".into(), Value::String(v.clone()));
    }
    serde_json::json!({
        "SchemaConfiguration": schema,
        "InputFormatConfiguration": { "Deserializer": deserializer },
        "OutputFormatConfiguration": { "Serializer": { "ParquetSerDe": parquet } },
        "Enabled": c.enabled,
    })
}

impl S3ConfigShape {
    /// The domain destination (after validation, so required members are present).
    pub(crate) fn to_domain(&self, legacy_form: bool) -> S3Destination {
        let conversion = self
            .data_format_conversion_configuration
            .as_ref()
            .map(conversion_of);
        let dynamic_partitioning = self
            .dynamic_partitioning_configuration
            .as_ref()
            .map(partitioning_of);
        // AWS's default buffer is 128 MiB when records are converted or partitioned.
        let defaults = if conversion.as_ref().is_some_and(|c| c.enabled)
            || dynamic_partitioning.as_ref().is_some_and(|d| d.enabled)
        {
            BufferingHints {
                size_mb: 128,
                ..BufferingHints::default()
            }
        } else {
            BufferingHints::default()
        };
        let hints = self.buffering_hints.clone().unwrap_or_default();
        S3Destination {
            role_arn: self.role_arn.clone().unwrap_or_default(),
            bucket_arn: self.bucket_arn.clone().unwrap_or_default(),
            prefix: self.prefix.clone(),
            error_output_prefix: self.error_output_prefix.clone(),
            buffering: BufferingHints {
                size_mb: hints
                    .size_in_mbs
                    .map_or(defaults.size_mb, |v| v.clamp(1, 128) as u32),
                interval_s: hints
                    .interval_in_seconds
                    .map_or(defaults.interval_s, |v| v.clamp(0, 900) as u32),
            },
            compression: self
                .compression_format
                .as_deref()
                .and_then(compression_of)
                .unwrap_or_default(),
            encryption: self
                .encryption_configuration
                .as_ref()
                .map(encryption_of)
                .unwrap_or_default(),
            cloudwatch: self.cloud_watch_logging_options.as_ref().map(cloudwatch_of),
            processing: self.processing_configuration.as_ref().map(processing_of),
            backup_enabled: self.s3_backup_mode.as_deref() == Some("Enabled"),
            backup: self
                .s3_backup_configuration
                .as_ref()
                .map(|b| Box::new(b.to_domain(true))),
            file_extension: self.file_extension.clone(),
            custom_time_zone: self.custom_time_zone.clone(),
            legacy_form,
            conversion,
            dynamic_partitioning,
        }
    }

    pub(crate) fn to_update(&self) -> S3DestinationUpdate {
        let hints = self.buffering_hints.clone().unwrap_or_default();
        S3DestinationUpdate {
            role_arn: self.role_arn.clone(),
            bucket_arn: self.bucket_arn.clone(),
            prefix: self.prefix.clone(),
            error_output_prefix: self.error_output_prefix.clone(),
            size_mb: hints.size_in_mbs.map(|v| v.clamp(1, 128) as u32),
            interval_s: hints.interval_in_seconds.map(|v| v.clamp(0, 900) as u32),
            compression: self.compression_format.as_deref().and_then(compression_of),
            encryption: self.encryption_configuration.as_ref().map(encryption_of),
            cloudwatch: self.cloud_watch_logging_options.as_ref().map(cloudwatch_of),
            processing: self.processing_configuration.as_ref().map(processing_of),
            backup_enabled: self.s3_backup_mode.as_deref().map(|m| m == "Enabled"),
            backup: self
                .s3_backup_update
                .as_ref()
                .map(|b| Box::new(b.to_update())),
            file_extension: self.file_extension.clone(),
            custom_time_zone: self.custom_time_zone.clone(),
            conversion: self
                .data_format_conversion_configuration
                .as_ref()
                .map(conversion_of),
            dynamic_partitioning: self
                .dynamic_partitioning_configuration
                .as_ref()
                .map(partitioning_of),
        }
    }
}

/// DynamicPartitioningConfiguration as the domain keeps it.
fn partitioning_of(v: &Value) -> DynamicPartitioning {
    DynamicPartitioning {
        enabled: v["Enabled"].as_bool().unwrap_or(false),
        retry_duration_s: v["RetryOptions"]["DurationInSeconds"]
            .as_u64()
            .map(|d| d.min(7200) as u32),
    }
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct HttpEndpointConfigurationShape {
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing)]
    pub access_key: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct CommonAttributeShape {
    pub attribute_name: Option<String>,
    pub attribute_value: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct HttpRequestConfigurationShape {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_attributes: Option<Vec<CommonAttributeShape>>,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct RetryOptionsShape {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_in_seconds: Option<i64>,
}

/// HttpEndpointDestinationConfiguration and HttpEndpointDestinationUpdate.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct HttpConfigShape {
    pub endpoint_configuration: Option<HttpEndpointConfigurationShape>,
    pub buffering_hints: Option<BufferingHintsShape>,
    pub cloud_watch_logging_options: Option<CloudWatchLoggingOptionsShape>,
    pub request_configuration: Option<HttpRequestConfigurationShape>,
    pub processing_configuration: Option<ProcessingConfigurationShape>,
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
    pub retry_options: Option<RetryOptionsShape>,
    #[serde(rename = "S3BackupMode")]
    pub s3_backup_mode: Option<String>,
    #[serde(rename = "S3Configuration")]
    pub s3_configuration: Option<S3ConfigShape>,
    #[serde(rename = "S3Update")]
    pub s3_update: Option<S3ConfigShape>,
    pub secrets_manager_configuration: Option<Value>,
}

impl HttpConfigShape {
    pub(crate) fn to_domain(&self) -> HttpDestination {
        let defaults = BufferingHints::default();
        let hints = self.buffering_hints.clone().unwrap_or_default();
        let endpoint = self.endpoint_configuration.clone().unwrap_or_default();
        let request = self.request_configuration.clone().unwrap_or_default();
        HttpDestination {
            url: endpoint.url.unwrap_or_default(),
            name: endpoint.name,
            access_key: endpoint.access_key,
            buffering: BufferingHints {
                size_mb: hints
                    .size_in_mbs
                    .map_or(defaults.size_mb, |v| v.clamp(1, 64) as u32),
                interval_s: hints
                    .interval_in_seconds
                    .map_or(defaults.interval_s, |v| v.clamp(0, 900) as u32),
            },
            gzip: request.content_encoding.as_deref() == Some("GZIP"),
            common_attributes: attributes_of(&request),
            retry_duration_s: self
                .retry_options
                .as_ref()
                .and_then(|r| r.duration_in_seconds)
                .map_or(300, |v| v.clamp(0, 7200) as u32),
            backup_all: self.s3_backup_mode.as_deref() == Some("AllData"),
            s3: self
                .s3_configuration
                .as_ref()
                .map(|c| c.to_domain(true))
                .unwrap_or_else(|| S3ConfigShape::default().to_domain(true)),
            processing: self.processing_configuration.as_ref().map(processing_of),
            cloudwatch: self.cloud_watch_logging_options.as_ref().map(cloudwatch_of),
            role_arn: self.role_arn.clone(),
        }
    }

    pub(crate) fn to_update(&self) -> HttpDestinationUpdate {
        let hints = self.buffering_hints.clone().unwrap_or_default();
        let endpoint = self.endpoint_configuration.clone();
        HttpDestinationUpdate {
            url: endpoint.as_ref().and_then(|e| e.url.clone()),
            name: endpoint.as_ref().and_then(|e| e.name.clone()),
            access_key: endpoint.as_ref().and_then(|e| e.access_key.clone()),
            size_mb: hints.size_in_mbs.map(|v| v.clamp(1, 64) as u32),
            interval_s: hints.interval_in_seconds.map(|v| v.clamp(0, 900) as u32),
            gzip: self
                .request_configuration
                .as_ref()
                .and_then(|r| r.content_encoding.as_deref().map(|c| c == "GZIP")),
            common_attributes: self
                .request_configuration
                .as_ref()
                .filter(|r| r.common_attributes.is_some())
                .map(attributes_of),
            retry_duration_s: self
                .retry_options
                .as_ref()
                .and_then(|r| r.duration_in_seconds)
                .map(|v| v.clamp(0, 7200) as u32),
            backup_all: self.s3_backup_mode.as_deref().map(|m| m == "AllData"),
            s3: self.s3_update.as_ref().map(S3ConfigShape::to_update),
            processing: self.processing_configuration.as_ref().map(processing_of),
            cloudwatch: self.cloud_watch_logging_options.as_ref().map(cloudwatch_of),
            role_arn: self.role_arn.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct DocumentIdOptionsShape {
    pub default_document_id_format: Option<String>,
}

/// AmazonopensearchserviceDestinationConfiguration / ElasticsearchDestinationConfiguration and
/// their Update forms.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct SearchConfigShape {
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
    #[serde(rename = "DomainARN")]
    pub domain_arn: Option<String>,
    pub cluster_endpoint: Option<String>,
    pub index_name: Option<String>,
    pub type_name: Option<String>,
    pub index_rotation_period: Option<String>,
    pub buffering_hints: Option<BufferingHintsShape>,
    pub retry_options: Option<RetryOptionsShape>,
    #[serde(rename = "S3BackupMode")]
    pub s3_backup_mode: Option<String>,
    #[serde(rename = "S3Configuration")]
    pub s3_configuration: Option<S3ConfigShape>,
    #[serde(rename = "S3Update")]
    pub s3_update: Option<S3ConfigShape>,
    pub processing_configuration: Option<ProcessingConfigurationShape>,
    pub cloud_watch_logging_options: Option<CloudWatchLoggingOptionsShape>,
    pub vpc_configuration: Option<Value>,
    pub document_id_options: Option<DocumentIdOptionsShape>,
}

pub(crate) fn rotation_of(s: &str) -> Option<IndexRotation> {
    Some(match s {
        "NoRotation" => IndexRotation::NoRotation,
        "OneHour" => IndexRotation::OneHour,
        "OneDay" => IndexRotation::OneDay,
        "OneWeek" => IndexRotation::OneWeek,
        "OneMonth" => IndexRotation::OneMonth,
        _ => return None,
    })
}

pub(crate) fn rotation_name(r: IndexRotation) -> &'static str {
    match r {
        IndexRotation::NoRotation => "NoRotation",
        IndexRotation::OneHour => "OneHour",
        IndexRotation::OneDay => "OneDay",
        IndexRotation::OneWeek => "OneWeek",
        IndexRotation::OneMonth => "OneMonth",
    }
}

impl SearchConfigShape {
    pub(crate) fn to_domain(&self, flavor: SearchFlavor) -> SearchDestination {
        let defaults = BufferingHints::default();
        let hints = self.buffering_hints.clone().unwrap_or_default();
        SearchDestination {
            flavor,
            endpoint: self.cluster_endpoint.clone().unwrap_or_default(),
            cluster_endpoint: self.cluster_endpoint.clone(),
            domain_arn: self.domain_arn.clone(),
            index_name: self.index_name.clone().unwrap_or_default(),
            type_name: self.type_name.clone(),
            rotation: self
                .index_rotation_period
                .as_deref()
                .and_then(rotation_of)
                .unwrap_or(IndexRotation::OneDay),
            buffering: BufferingHints {
                size_mb: hints
                    .size_in_mbs
                    .map_or(defaults.size_mb, |v| v.clamp(1, 100) as u32),
                interval_s: hints
                    .interval_in_seconds
                    .map_or(defaults.interval_s, |v| v.clamp(0, 900) as u32),
            },
            retry_duration_s: self
                .retry_options
                .as_ref()
                .and_then(|r| r.duration_in_seconds)
                .map_or(300, |v| v.clamp(0, 7200) as u32),
            backup_all: self.s3_backup_mode.as_deref() == Some("AllDocuments"),
            s3: self
                .s3_configuration
                .as_ref()
                .map(|c| c.to_domain(true))
                .unwrap_or_else(|| S3ConfigShape::default().to_domain(true)),
            processing: self.processing_configuration.as_ref().map(processing_of),
            cloudwatch: self.cloud_watch_logging_options.as_ref().map(cloudwatch_of),
            role_arn: self.role_arn.clone().unwrap_or_default(),
            firehose_document_ids: self
                .document_id_options
                .as_ref()
                .and_then(|d| d.default_document_id_format.as_deref())
                != Some("NO_DOCUMENT_ID"),
            document_id_options_given: self.document_id_options.is_some(),
        }
    }

    pub(crate) fn to_update(&self) -> SearchDestinationUpdate {
        let hints = self.buffering_hints.clone().unwrap_or_default();
        let moved = self.cluster_endpoint.is_some() || self.domain_arn.is_some();
        SearchDestinationUpdate {
            endpoint: moved.then(|| self.cluster_endpoint.clone().unwrap_or_default()),
            cluster_endpoint: self.cluster_endpoint.clone(),
            domain_arn: self.domain_arn.clone(),
            index_name: self.index_name.clone(),
            type_name: self.type_name.clone(),
            rotation: self.index_rotation_period.as_deref().and_then(rotation_of),
            size_mb: hints.size_in_mbs.map(|v| v.clamp(1, 100) as u32),
            interval_s: hints.interval_in_seconds.map(|v| v.clamp(0, 900) as u32),
            retry_duration_s: self
                .retry_options
                .as_ref()
                .and_then(|r| r.duration_in_seconds)
                .map(|v| v.clamp(0, 7200) as u32),
            s3: self.s3_update.as_ref().map(S3ConfigShape::to_update),
            processing: self.processing_configuration.as_ref().map(processing_of),
            cloudwatch: self.cloud_watch_logging_options.as_ref().map(cloudwatch_of),
            role_arn: self.role_arn.clone(),
            firehose_document_ids: self
                .document_id_options
                .as_ref()
                .map(|d| d.default_document_id_format.as_deref() != Some("NO_DOCUMENT_ID")),
        }
    }
}

fn attributes_of(r: &HttpRequestConfigurationShape) -> Vec<(String, String)> {
    r.common_attributes
        .iter()
        .flatten()
        .map(|a| {
            (
                a.attribute_name.clone().unwrap_or_default(),
                a.attribute_value.clone().unwrap_or_default(),
            )
        })
        .collect()
}

// ------------------------------------------------------------------ requests

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeliveryStreamEncryptionConfigurationInputShape {
    #[serde(rename = "KeyARN")]
    pub key_arn: Option<String>,
    pub key_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KinesisStreamSourceConfigurationShape {
    #[serde(rename = "KinesisStreamARN")]
    pub kinesis_stream_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DirectPutSourceConfigurationShape {
    #[serde(rename = "ThroughputHintInMBs")]
    pub throughput_hint_in_mbs: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateDeliveryStreamRequest {
    pub delivery_stream_name: Option<String>,
    pub delivery_stream_type: Option<String>,
    pub direct_put_source_configuration: Option<DirectPutSourceConfigurationShape>,
    pub kinesis_stream_source_configuration: Option<KinesisStreamSourceConfigurationShape>,
    pub delivery_stream_encryption_configuration_input:
        Option<DeliveryStreamEncryptionConfigurationInputShape>,
    #[serde(rename = "S3DestinationConfiguration")]
    pub s3_destination_configuration: Option<S3ConfigShape>,
    #[serde(rename = "ExtendedS3DestinationConfiguration")]
    pub extended_s3_destination_configuration: Option<S3ConfigShape>,
    pub redshift_destination_configuration: Option<Value>,
    pub elasticsearch_destination_configuration: Option<SearchConfigShape>,
    pub amazonopensearchservice_destination_configuration: Option<SearchConfigShape>,
    pub splunk_destination_configuration: Option<Value>,
    pub http_endpoint_destination_configuration: Option<HttpConfigShape>,
    pub tags: Option<Vec<TagShape>>,
    pub amazon_open_search_serverless_destination_configuration: Option<Value>,
    #[serde(rename = "MSKSourceConfiguration")]
    pub msk_source_configuration: Option<Value>,
    pub snowflake_destination_configuration: Option<Value>,
    pub iceberg_destination_configuration: Option<Value>,
    pub database_source_configuration: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameRequest {
    pub delivery_stream_name: Option<String>,
    pub allow_force_delete: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeDeliveryStreamRequest {
    pub delivery_stream_name: Option<String>,
    pub limit: Option<i64>,
    pub exclusive_start_destination_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDeliveryStreamsRequest {
    pub limit: Option<i64>,
    pub delivery_stream_type: Option<String>,
    pub exclusive_start_delivery_stream_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordShape {
    pub data: Option<Blob>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordRequest {
    pub delivery_stream_name: Option<String>,
    pub record: Option<RecordShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordBatchRequest {
    pub delivery_stream_name: Option<String>,
    pub records: Option<Vec<RecordShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateDestinationRequest {
    pub delivery_stream_name: Option<String>,
    pub current_delivery_stream_version_id: Option<String>,
    pub destination_id: Option<String>,
    #[serde(rename = "S3DestinationUpdate")]
    pub s3_destination_update: Option<S3ConfigShape>,
    #[serde(rename = "ExtendedS3DestinationUpdate")]
    pub extended_s3_destination_update: Option<S3ConfigShape>,
    pub redshift_destination_update: Option<Value>,
    pub elasticsearch_destination_update: Option<SearchConfigShape>,
    pub amazonopensearchservice_destination_update: Option<SearchConfigShape>,
    pub splunk_destination_update: Option<Value>,
    pub http_endpoint_destination_update: Option<HttpConfigShape>,
    pub amazon_open_search_serverless_destination_update: Option<Value>,
    pub snowflake_destination_update: Option<Value>,
    pub iceberg_destination_update: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagDeliveryStreamRequest {
    pub delivery_stream_name: Option<String>,
    pub tags: Option<Vec<TagShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagDeliveryStreamRequest {
    pub delivery_stream_name: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForDeliveryStreamRequest {
    pub delivery_stream_name: Option<String>,
    pub exclusive_start_tag_key: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartEncryptionRequest {
    pub delivery_stream_name: Option<String>,
    pub delivery_stream_encryption_configuration_input:
        Option<DeliveryStreamEncryptionConfigurationInputShape>,
}
