//! The answers.

use crate::types::Timestamp;
use serde_json::{Value, json};
use sluice_analytics::mapping::{OutputFormat, RecordFormat, SourceSchema};
use sluice_analytics::model::*;

fn resource_json(r: &Resource) -> (&'static str, Value) {
    match r {
        Resource::KinesisStream { arn, role_arn } => (
            "Kinesis",
            json!({ "ResourceARN": arn, "RoleARN": role_arn }),
        ),
        Resource::DeliveryStream { arn, role_arn } => (
            "Firehose",
            json!({ "ResourceARN": arn, "RoleARN": role_arn }),
        ),
    }
}

fn schema_json(s: &SourceSchema) -> Value {
    let format = match &s.format {
        RecordFormat::Json { row_path } => json!({
            "RecordFormatType": "JSON",
            "MappingParameters": { "JSONMappingParameters": { "RecordRowPath": row_path } },
        }),
        RecordFormat::Csv {
            row_delimiter,
            column_delimiter,
        } => json!({
            "RecordFormatType": "CSV",
            "MappingParameters": { "CSVMappingParameters": {
                "RecordRowDelimiter": row_delimiter, "RecordColumnDelimiter": column_delimiter,
            } },
        }),
    };
    let columns: Vec<Value> = s
        .columns
        .iter()
        .map(|c| {
            let mut o = json!({ "Name": c.name, "SqlType": c.sql_type });
            if let Some(m) = &c.mapping {
                o["Mapping"] = m.clone().into();
            }
            o
        })
        .collect();
    let mut out = json!({ "RecordFormat": format, "RecordColumns": columns });
    if let Some(e) = &s.encoding {
        out["RecordEncoding"] = e.clone().into();
    }
    out
}

fn summary_json(s: &ApplicationSummary) -> Value {
    json!({
        "ApplicationName": s.name,
        "ApplicationARN": s.arn,
        "ApplicationStatus": s.status.as_str(),
    })
}

pub fn tags_response(tags: &[(String, String)]) -> Value {
    json!({ "Tags": tags.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect::<Vec<_>>() })
}

pub fn discover_response(d: &DiscoveredSchema) -> Value {
    json!({
        "InputSchema": schema_json(&d.schema),
        "ParsedInputRecords": d.parsed,
        "ProcessedInputRecords": d.raw,
        "RawInputRecords": d.raw,
    })
}

pub fn create_response(s: &ApplicationSummary) -> Value {
    json!({ "ApplicationSummary": summary_json(s) })
}

pub fn list_response(apps: &[ApplicationSummary], more: bool) -> Value {
    json!({
        "ApplicationSummaries": apps.iter().map(summary_json).collect::<Vec<_>>(),
        "HasMoreApplications": more,
    })
}

pub fn describe_response(m: &ApplicationMeta, arn: &str) -> Value {
    let inputs: Vec<Value> = m
        .inputs
        .iter()
        .map(|i| {
            let (kind, res) = resource_json(&i.source);
            let mut o = json!({
                "InputId": i.id,
                "NamePrefix": i.name_prefix,
                "InAppStreamNames": i.stream_names(),
                "InputSchema": schema_json(&i.schema),
                "InputParallelism": { "Count": i.parallelism },
            });
            o[if kind == "Kinesis" {
                "KinesisStreamsInputDescription"
            } else {
                "KinesisFirehoseInputDescription"
            }] = res;
            if let Some(l) = &i.processor {
                o["InputProcessingConfigurationDescription"] = json!({
                    "InputLambdaProcessorDescription": { "ResourceARN": l.arn, "RoleARN": l.role_arn },
                });
            }
            if let Some(p) = &i.starting_position {
                o["InputStartingPositionConfiguration"] = json!({ "InputStartingPosition": p });
            }
            o
        })
        .collect();
    let outputs: Vec<Value> = m
        .outputs
        .iter()
        .map(|o| {
            let (kind, res) = resource_json(&o.destination);
            let mut out = json!({
                "OutputId": o.id,
                "Name": o.name,
                "DestinationSchema": { "RecordFormatType": match o.format {
                    OutputFormat::Json => "JSON",
                    OutputFormat::Csv => "CSV",
                } },
            });
            out[if kind == "Kinesis" {
                "KinesisStreamsOutputDescription"
            } else {
                "KinesisFirehoseOutputDescription"
            }] = res;
            out
        })
        .collect();
    let mut detail = json!({
        "ApplicationName": m.name,
        "ApplicationARN": arn,
        "ApplicationStatus": m.status.as_str(),
        "CreateTimestamp": Timestamp(m.created_ms),
        "LastUpdateTimestamp": Timestamp(m.updated_ms),
        "InputDescriptions": inputs,
        "OutputDescriptions": outputs,
        "ReferenceDataSourceDescriptions": m.references.iter().map(|r| json!({
            "ReferenceId": r.id,
            "TableName": r.table_name,
            "S3ReferenceDataSourceDescription": {
                "BucketARN": r.bucket_arn,
                "FileKey": r.file_key,
                "ReferenceRoleARN": r.role_arn,
            },
            "ReferenceSchema": schema_json(&r.schema),
        })).collect::<Vec<_>>(),
        "CloudWatchLoggingOptionDescriptions": m.logging.iter().map(|o| json!({
            "CloudWatchLoggingOptionId": o.id,
            "LogStreamARN": o.log_stream_arn,
            "RoleARN": o.role_arn,
        })).collect::<Vec<_>>(),
        "ApplicationCode": m.code,
        "ApplicationVersionId": m.version_id,
    });
    if let Some(d) = &m.description {
        detail["ApplicationDescription"] = d.clone().into();
    }
    json!({ "ApplicationDetail": detail })
}
