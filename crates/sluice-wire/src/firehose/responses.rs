//! The JSON shapes of Firehose answers (AWS member names), built from the domain's outputs:
//! DescribeDeliveryStream's description of every destination type, and the small answers.

use super::shapes::*;
use crate::types::Timestamp;
use serde::Serialize;
use serde_json::Value;
use sluice_firehose::model::*;

// ------------------------------------------------------------------ responses

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateDeliveryStreamResponse {
    #[serde(rename = "DeliveryStreamARN")]
    pub delivery_stream_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordResponse {
    pub record_id: String,
    pub encrypted: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordBatchEntryShape {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRecordBatchResponse {
    pub failed_put_count: usize,
    pub encrypted: bool,
    pub request_responses: Vec<PutRecordBatchEntryShape>,
}

impl PutRecordBatchResponse {
    pub fn new(entries: Vec<PutEntry>, encrypted: bool) -> Self {
        let failed = entries
            .iter()
            .filter(|e| matches!(e, PutEntry::Failed { .. }))
            .count();
        Self {
            failed_put_count: failed,
            encrypted,
            request_responses: entries
                .into_iter()
                .map(|e| match e {
                    PutEntry::Ok { record_id } => PutRecordBatchEntryShape {
                        record_id: Some(record_id),
                        error_code: None,
                        error_message: None,
                    },
                    PutEntry::Failed { code, message } => PutRecordBatchEntryShape {
                        record_id: None,
                        error_code: Some(code),
                        error_message: Some(message),
                    },
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDeliveryStreamsResponse {
    pub delivery_stream_names: Vec<String>,
    pub has_more_delivery_streams: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForDeliveryStreamResponse {
    pub tags: Vec<TagShape>,
    pub has_more_tags: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3DescriptionShape {
    #[serde(rename = "RoleARN")]
    pub role_arn: String,
    #[serde(rename = "BucketARN")]
    pub bucket_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_output_prefix: Option<String>,
    pub buffering_hints: BufferingHintsShape,
    pub compression_format: &'static str,
    pub encryption_configuration: EncryptionConfigurationShape,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_watch_logging_options: Option<CloudWatchLoggingOptionsShape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_configuration: Option<ProcessingConfigurationShape>,
    #[serde(rename = "S3BackupMode", skip_serializing_if = "Option::is_none")]
    pub s3_backup_mode: Option<&'static str>,
    #[serde(
        rename = "S3BackupDescription",
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_backup_description: Option<Box<S3DescriptionShape>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_extension: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_format_conversion_configuration: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dynamic_partitioning_configuration: Option<Value>,
}

fn cloudwatch_shape(c: &CloudWatchLogging) -> CloudWatchLoggingOptionsShape {
    CloudWatchLoggingOptionsShape {
        enabled: c.enabled,
        log_group_name: c.log_group_name.clone(),
        log_stream_name: c.log_stream_name.clone(),
    }
}

fn processing_shape(p: &Processing) -> ProcessingConfigurationShape {
    ProcessingConfigurationShape {
        enabled: p.enabled,
        processors: Some(
            p.processors
                .iter()
                .map(|pr| ProcessorShape {
                    kind: Some(pr.kind.clone()),
                    parameters: Some(
                        pr.parameters
                            .iter()
                            .map(|(k, v)| ProcessorParameterShape {
                                parameter_name: Some(k.clone()),
                                parameter_value: Some(v.clone()),
                            })
                            .collect(),
                    ),
                })
                .collect(),
        ),
    }
}

impl S3DescriptionShape {
    fn new(d: &S3Destination, extended: bool) -> Self {
        let encryption = match &d.encryption {
            ObjectEncryption::None => EncryptionConfigurationShape {
                no_encryption_config: Some("NoEncryption".into()),
                kms_encryption_config: None,
            },
            ObjectEncryption::Kms { key_arn } => EncryptionConfigurationShape {
                no_encryption_config: None,
                kms_encryption_config: Some(KmsEncryptionConfig {
                    aws_kms_key_arn: Some(key_arn.clone()),
                }),
            },
        };
        let cloudwatch = d.cloudwatch.as_ref().map(cloudwatch_shape);
        let (processing, backup_mode, backup, extension, tz) = if extended {
            (
                d.processing.as_ref().map(processing_shape),
                Some(if d.backup_enabled {
                    "Enabled"
                } else {
                    "Disabled"
                }),
                d.backup
                    .as_ref()
                    .map(|b| Box::new(S3DescriptionShape::new(b, false))),
                d.file_extension.clone(),
                d.custom_time_zone.clone(),
            )
        } else {
            (None, None, None, None, None)
        };
        Self {
            role_arn: d.role_arn.clone(),
            bucket_arn: d.bucket_arn.clone(),
            prefix: d.prefix.clone(),
            error_output_prefix: d.error_output_prefix.clone(),
            buffering_hints: BufferingHintsShape {
                size_in_mbs: Some(i64::from(d.buffering.size_mb)),
                interval_in_seconds: Some(i64::from(d.buffering.interval_s)),
            },
            compression_format: compression_name(d.compression),
            encryption_configuration: encryption,
            cloud_watch_logging_options: cloudwatch,
            processing_configuration: processing,
            s3_backup_mode: backup_mode,
            s3_backup_description: backup,
            file_extension: extension,
            custom_time_zone: tz,
            data_format_conversion_configuration: if extended {
                d.conversion.as_ref().map(conversion_shape)
            } else {
                None
            },
            dynamic_partitioning_configuration: if extended {
                d.dynamic_partitioning.as_ref().map(|p| {
                    let mut v = serde_json::json!({ "Enabled": p.enabled });
                    if let Some(r) = p.retry_duration_s {
                        v["RetryOptions"] = serde_json::json!({ "DurationInSeconds": r });
                    }
                    v
                })
            } else {
                None
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpDescriptionShape {
    pub endpoint_configuration: HttpEndpointConfigurationShape,
    pub buffering_hints: BufferingHintsShape,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_watch_logging_options: Option<CloudWatchLoggingOptionsShape>,
    pub request_configuration: HttpRequestConfigurationShape,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_configuration: Option<ProcessingConfigurationShape>,
    #[serde(rename = "RoleARN", skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub retry_options: RetryOptionsShape,
    #[serde(rename = "S3BackupMode")]
    pub s3_backup_mode: &'static str,
    #[serde(rename = "S3DestinationDescription")]
    pub s3_destination_description: S3DescriptionShape,
}

impl HttpDescriptionShape {
    fn new(h: &HttpDestination) -> Self {
        Self {
            endpoint_configuration: HttpEndpointConfigurationShape {
                url: Some(h.url.clone()),
                name: h.name.clone(),
                access_key: None,
            },
            buffering_hints: BufferingHintsShape {
                size_in_mbs: Some(i64::from(h.buffering.size_mb)),
                interval_in_seconds: Some(i64::from(h.buffering.interval_s)),
            },
            cloud_watch_logging_options: h.cloudwatch.as_ref().map(cloudwatch_shape),
            request_configuration: HttpRequestConfigurationShape {
                content_encoding: Some(if h.gzip { "GZIP" } else { "NONE" }.into()),
                common_attributes: Some(
                    h.common_attributes
                        .iter()
                        .map(|(k, v)| CommonAttributeShape {
                            attribute_name: Some(k.clone()),
                            attribute_value: Some(v.clone()),
                        })
                        .collect(),
                ),
            },
            processing_configuration: h.processing.as_ref().map(processing_shape),
            role_arn: h.role_arn.clone(),
            retry_options: RetryOptionsShape {
                duration_in_seconds: Some(i64::from(h.retry_duration_s)),
            },
            s3_backup_mode: if h.backup_all {
                "AllData"
            } else {
                "FailedDataOnly"
            },
            s3_destination_description: S3DescriptionShape::new(&h.s3, false),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DestinationDescriptionShape {
    pub destination_id: String,
    #[serde(
        rename = "S3DestinationDescription",
        skip_serializing_if = "Option::is_none"
    )]
    pub s3_destination_description: Option<S3DescriptionShape>,
    #[serde(
        rename = "ExtendedS3DestinationDescription",
        skip_serializing_if = "Option::is_none"
    )]
    pub extended_s3_destination_description: Option<S3DescriptionShape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_endpoint_destination_description: Option<HttpDescriptionShape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amazonopensearchservice_destination_description: Option<SearchDescriptionShape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elasticsearch_destination_description: Option<SearchDescriptionShape>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionStatusShape {
    #[serde(rename = "KeyARN", skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DirectPutSourceDescriptionShape {
    #[serde(rename = "ThroughputHintInMBs")]
    pub throughput_hint_in_mbs: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KinesisStreamSourceDescriptionShape {
    #[serde(rename = "KinesisStreamARN")]
    pub kinesis_stream_arn: String,
    #[serde(rename = "RoleARN")]
    pub role_arn: String,
    pub delivery_start_timestamp: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceDescriptionShape {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct_put_source_description: Option<DirectPutSourceDescriptionShape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kinesis_stream_source_description: Option<KinesisStreamSourceDescriptionShape>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeliveryStreamDescriptionShape {
    pub delivery_stream_name: String,
    #[serde(rename = "DeliveryStreamARN")]
    pub delivery_stream_arn: String,
    pub delivery_stream_status: &'static str,
    pub delivery_stream_encryption_configuration: EncryptionStatusShape,
    pub delivery_stream_type: &'static str,
    pub version_id: String,
    pub create_timestamp: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceDescriptionShape>,
    pub destinations: Vec<DestinationDescriptionShape>,
    pub has_more_destinations: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeDeliveryStreamResponse {
    pub delivery_stream_description: DeliveryStreamDescriptionShape,
}

impl From<DeliveryStreamDescription> for DescribeDeliveryStreamResponse {
    fn from(d: DeliveryStreamDescription) -> Self {
        let encryption = match &d.encryption {
            Some(e) => EncryptionStatusShape {
                key_arn: e.key_arn.clone(),
                key_type: Some(e.key_type.clone()),
                status: "ENABLED",
            },
            None => EncryptionStatusShape {
                key_arn: None,
                key_type: None,
                status: "DISABLED",
            },
        };
        Self {
            delivery_stream_description: DeliveryStreamDescriptionShape {
                delivery_stream_name: d.name,
                delivery_stream_arn: d.arn,
                delivery_stream_status: d.status.as_str(),
                delivery_stream_encryption_configuration: encryption,
                delivery_stream_type: d.source.as_str(),
                version_id: d.version_id.to_string(),
                create_timestamp: Timestamp(d.created_ms),
                last_update_timestamp: d.updated_ms.map(Timestamp),
                source: match (&d.kinesis_source, d.throughput_hint_mb) {
                    (Some(k), _) => Some(SourceDescriptionShape {
                        direct_put_source_description: None,
                        kinesis_stream_source_description: Some(
                            KinesisStreamSourceDescriptionShape {
                                kinesis_stream_arn: k.stream_arn.clone(),
                                role_arn: k.role_arn.clone(),
                                delivery_start_timestamp: Timestamp(d.created_ms),
                            },
                        ),
                    }),
                    (None, Some(mb)) => Some(SourceDescriptionShape {
                        direct_put_source_description: Some(DirectPutSourceDescriptionShape {
                            throughput_hint_in_mbs: mb,
                        }),
                        kinesis_stream_source_description: None,
                    }),
                    (None, None) => None,
                },
                destinations: d
                    .destinations
                    .iter()
                    .map(|dest| match &dest.config {
                        DestinationConfig::S3(s3) => DestinationDescriptionShape {
                            destination_id: dest.id.clone(),
                            s3_destination_description: Some(S3DescriptionShape::new(s3, false)),
                            extended_s3_destination_description: Some(S3DescriptionShape::new(
                                s3, true,
                            )),
                            http_endpoint_destination_description: None,
                            amazonopensearchservice_destination_description: None,
                            elasticsearch_destination_description: None,
                        },
                        DestinationConfig::Http(h) => DestinationDescriptionShape {
                            destination_id: dest.id.clone(),
                            s3_destination_description: None,
                            extended_s3_destination_description: None,
                            http_endpoint_destination_description: Some(HttpDescriptionShape::new(
                                h,
                            )),
                            amazonopensearchservice_destination_description: None,
                            elasticsearch_destination_description: None,
                        },
                        DestinationConfig::Search(o) => DestinationDescriptionShape {
                            destination_id: dest.id.clone(),
                            s3_destination_description: None,
                            extended_s3_destination_description: None,
                            http_endpoint_destination_description: None,
                            amazonopensearchservice_destination_description: (o.flavor
                                == SearchFlavor::OpenSearch)
                                .then(|| SearchDescriptionShape::new(o)),
                            elasticsearch_destination_description: (o.flavor
                                == SearchFlavor::Elasticsearch)
                                .then(|| SearchDescriptionShape::new(o)),
                        },
                    })
                    .collect(),
                has_more_destinations: d.has_more_destinations,
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchDescriptionShape {
    #[serde(rename = "RoleARN")]
    pub role_arn: String,
    #[serde(rename = "DomainARN", skip_serializing_if = "Option::is_none")]
    pub domain_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_endpoint: Option<String>,
    pub index_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    pub index_rotation_period: &'static str,
    pub buffering_hints: BufferingHintsShape,
    pub retry_options: RetryOptionsShape,
    #[serde(rename = "S3BackupMode")]
    pub s3_backup_mode: &'static str,
    #[serde(rename = "S3DestinationDescription")]
    pub s3_destination_description: S3DescriptionShape,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_configuration: Option<ProcessingConfigurationShape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_watch_logging_options: Option<CloudWatchLoggingOptionsShape>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_id_options: Option<DocumentIdOptionsShape>,
}

impl SearchDescriptionShape {
    fn new(o: &SearchDestination) -> Self {
        Self {
            role_arn: o.role_arn.clone(),
            domain_arn: o.domain_arn.clone(),
            cluster_endpoint: o.cluster_endpoint.clone(),
            index_name: o.index_name.clone(),
            type_name: o.type_name.clone(),
            index_rotation_period: rotation_name(o.rotation),
            buffering_hints: BufferingHintsShape {
                size_in_mbs: Some(i64::from(o.buffering.size_mb)),
                interval_in_seconds: Some(i64::from(o.buffering.interval_s)),
            },
            retry_options: RetryOptionsShape {
                duration_in_seconds: Some(i64::from(o.retry_duration_s)),
            },
            s3_backup_mode: if o.backup_all {
                "AllDocuments"
            } else {
                "FailedDocumentsOnly"
            },
            s3_destination_description: S3DescriptionShape::new(&o.s3, false),
            processing_configuration: o.processing.as_ref().map(processing_shape),
            cloud_watch_logging_options: o.cloudwatch.as_ref().map(cloudwatch_shape),
            document_id_options: o.document_id_options_given.then(|| DocumentIdOptionsShape {
                default_document_id_format: Some(
                    if o.firehose_document_ids {
                        "FIREHOSE_DEFAULT"
                    } else {
                        "NO_DOCUMENT_ID"
                    }
                    .into(),
                ),
            }),
        }
    }
}
