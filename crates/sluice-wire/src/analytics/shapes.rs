//! The request shapes of the operations, AWS's checks on them, and their conversion to the
//! service's input.

use super::unsupported;
use crate::WireError;
use crate::validate::Validator;
use serde::Deserialize;
use serde_json::Value;
use sluice_analytics::mapping::{OutputFormat, RecordColumn, RecordFormat, SourceSchema};
use sluice_analytics::model::*;

// ------------------------------------------------------------------ request shapes

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateApplicationRequest {
    pub(super) application_name: Option<String>,
    pub(super) application_description: Option<String>,
    pub(super) inputs: Option<Vec<InputShape>>,
    pub(super) outputs: Option<Vec<OutputShape>>,
    pub(super) application_code: Option<String>,
    pub(super) tags: Option<Vec<TagShape>>,
    pub(super) cloud_watch_logging_options: Option<Vec<LoggingShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagShape {
    pub(super) key: Option<String>,
    pub(super) value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ResourceShape {
    #[serde(rename = "ResourceARN")]
    pub(super) resource_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    pub(super) role_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InputShape {
    pub(super) name_prefix: Option<String>,
    pub(super) input_processing_configuration: Option<ProcessingShape>,
    pub(super) kinesis_streams_input: Option<ResourceShape>,
    pub(super) kinesis_firehose_input: Option<ResourceShape>,
    pub(super) input_parallelism: Option<ParallelismShape>,
    pub(super) input_schema: Option<SchemaShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ParallelismShape {
    pub(super) count: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SchemaShape {
    pub(super) record_format: Option<RecordFormatShape>,
    pub(super) record_encoding: Option<String>,
    pub(super) record_columns: Option<Vec<ColumnShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RecordFormatShape {
    pub(super) record_format_type: Option<String>,
    pub(super) mapping_parameters: Option<MappingShape>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct MappingShape {
    #[serde(rename = "JSONMappingParameters")]
    pub(super) json: Option<JsonMappingShape>,
    #[serde(rename = "CSVMappingParameters")]
    pub(super) csv: Option<CsvMappingShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct JsonMappingShape {
    pub(super) record_row_path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CsvMappingShape {
    pub(super) record_row_delimiter: Option<String>,
    pub(super) record_column_delimiter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ColumnShape {
    pub(super) name: Option<String>,
    pub(super) mapping: Option<String>,
    pub(super) sql_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutputShape {
    pub(super) name: Option<String>,
    pub(super) kinesis_streams_output: Option<ResourceShape>,
    pub(super) kinesis_firehose_output: Option<ResourceShape>,
    pub(super) lambda_output: Option<Value>,
    pub(super) destination_schema: Option<DestinationSchemaShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DestinationSchemaShape {
    pub(super) record_format_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddInputRequest {
    pub(super) application_name: Option<String>,
    pub(super) current_application_version_id: Option<i64>,
    pub(super) input: Option<InputShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddOutputRequest {
    pub(super) application_name: Option<String>,
    pub(super) current_application_version_id: Option<i64>,
    pub(super) output: Option<OutputShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteOutputRequest {
    pub(super) application_name: Option<String>,
    pub(super) current_application_version_id: Option<i64>,
    pub(super) output_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateRequest {
    pub(super) application_name: Option<String>,
    pub(super) current_application_version_id: Option<i64>,
    pub(super) application_update: Option<UpdateShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateShape {
    pub(super) input_updates: Option<Vec<InputUpdateShape>>,
    pub(super) application_code_update: Option<String>,
    pub(super) output_updates: Option<Vec<OutputUpdateShape>>,
    pub(super) reference_data_source_updates: Option<Vec<ReferenceUpdateShape>>,
    pub(super) cloud_watch_logging_option_updates: Option<Vec<LoggingUpdateShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InputUpdateShape {
    pub(super) input_id: Option<String>,
    pub(super) name_prefix_update: Option<String>,
    pub(super) input_processing_configuration_update: Option<ProcessingUpdateShape>,
    pub(super) kinesis_streams_input_update: Option<ResourceUpdateShape>,
    pub(super) kinesis_firehose_input_update: Option<ResourceUpdateShape>,
    pub(super) input_schema_update: Option<SchemaUpdateShape>,
    pub(super) input_parallelism_update: Option<ParallelismUpdateShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ParallelismUpdateShape {
    pub(super) count_update: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SchemaUpdateShape {
    pub(super) record_format_update: Option<RecordFormatShape>,
    pub(super) record_encoding_update: Option<String>,
    pub(super) record_column_updates: Option<Vec<ColumnShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ResourceUpdateShape {
    #[serde(rename = "ResourceARNUpdate")]
    pub(super) resource_arn_update: Option<String>,
    #[serde(rename = "RoleARNUpdate")]
    pub(super) role_arn_update: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct OutputUpdateShape {
    pub(super) output_id: Option<String>,
    pub(super) name_update: Option<String>,
    pub(super) kinesis_streams_output_update: Option<ResourceUpdateShape>,
    pub(super) kinesis_firehose_output_update: Option<ResourceUpdateShape>,
    pub(super) lambda_output_update: Option<Value>,
    pub(super) destination_schema_update: Option<DestinationSchemaShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagRequest {
    #[serde(rename = "ResourceARN")]
    pub(super) resource_arn: Option<String>,
    pub(super) tags: Option<Vec<TagShape>>,
    pub(super) tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DiscoverRequest {
    #[serde(rename = "ResourceARN")]
    pub(super) resource_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    pub(super) role_arn: Option<String>,
    pub(super) input_starting_position_configuration: Option<StartingPositionShape>,
    pub(super) s3_configuration: Option<S3ConfigurationShape>,
    pub(super) input_processing_configuration: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameRequest {
    pub(super) application_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteRequest {
    pub(super) application_name: Option<String>,
    pub(super) create_timestamp: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListRequest {
    pub(super) limit: Option<i64>,
    pub(super) exclusive_start_application_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StartRequest {
    pub(super) application_name: Option<String>,
    pub(super) input_configurations: Option<Vec<InputConfigurationShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InputConfigurationShape {
    pub(super) id: Option<String>,
    pub(super) input_starting_position_configuration: Option<StartingPositionShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StartingPositionShape {
    pub(super) input_starting_position: Option<String>,
}

pub(super) fn is_application_name(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub(super) fn application_name(v: &mut Validator, name: &Option<String>) {
    v.required("applicationName", name);
    v.string(
        "applicationName",
        name.as_deref(),
        1,
        128,
        Some(("[a-zA-Z0-9_.-]+", is_application_name)),
    );
}

pub(super) fn resource(v: &mut Validator, member: &str, r: &ResourceShape) {
    v.required(&format!("{member}.resourceARN"), &r.resource_arn);
    v.required(&format!("{member}.roleARN"), &r.role_arn);
    v.string(
        &format!("{member}.resourceARN"),
        r.resource_arn.as_deref(),
        1,
        2048,
        Some(("arn:.*", |s: &str| s.starts_with("arn:"))),
    );
    v.string(
        &format!("{member}.roleARN"),
        r.role_arn.as_deref(),
        1,
        2048,
        Some(("arn:.*", |s: &str| s.starts_with("arn:"))),
    );
}

pub(super) fn record_format_type(v: &mut Validator, member: &str, t: &Option<String>) {
    v.required(member, t);
    v.one_of(member, t.as_deref(), &["JSON", "CSV"]);
}

/// Seconds since the epoch (with a fraction) as the JSON protocol sends a timestamp.
pub(super) fn timestamp_ms(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_f64().map(|s| (s * 1000.0).round() as i64),
        Value::String(s) => s
            .parse::<f64>()
            .ok()
            .map(|s| (s * 1000.0).round() as i64)
            .or_else(|| sluice_analytics::value::parse_timestamp(s)),
        _ => None,
    }
}

pub(super) fn check_input(v: &mut Validator, member: &str, input: &InputShape) {
    let m = |x: &str| format!("{member}.{x}");
    v.required(&m("namePrefix"), &input.name_prefix);
    v.string(&m("namePrefix"), input.name_prefix.as_deref(), 1, 32, None);
    if let Some(k) = &input.kinesis_streams_input {
        resource(v, &m("kinesisStreamsInput"), k);
    }
    if let Some(k) = &input.kinesis_firehose_input {
        resource(v, &m("kinesisFirehoseInput"), k);
    }
    if let Some(par) = &input.input_parallelism {
        v.range(&m("inputParallelism.count"), par.count, Some(1), Some(64));
    }
    if let Some(p) = &input.input_processing_configuration {
        check_processing(v, &m("inputProcessingConfiguration"), p);
    }
    v.required(&m("inputSchema"), &input.input_schema);
    if let Some(s) = &input.input_schema {
        check_schema(v, &m("inputSchema"), s);
    }
}

pub(super) fn check_schema(v: &mut Validator, member: &str, s: &SchemaShape) {
    let m = |x: &str| format!("{member}.{x}");
    v.required(&m("recordFormat"), &s.record_format);
    v.required(&m("recordColumns"), &s.record_columns);
    if let Some(f) = &s.record_format {
        record_format_type(
            v,
            &m("recordFormat.recordFormatType"),
            &f.record_format_type,
        );
    }
    if let Some(cols) = &s.record_columns {
        check_columns(v, &m("recordColumns"), cols);
    }
}

pub(super) fn check_columns(v: &mut Validator, member: &str, cols: &[ColumnShape]) {
    v.count(member, || "[]".into(), Some(cols.len()), 1, 1000);
    for (j, c) in cols.iter().enumerate() {
        let cm = |x: &str| format!("{member}.{}.member.{x}", j + 1);
        v.required(&cm("name"), &c.name);
        v.required(&cm("sqlType"), &c.sql_type);
        v.string(&cm("sqlType"), c.sql_type.as_deref(), 1, usize::MAX, None);
    }
}

pub(super) fn check_output(v: &mut Validator, member: &str, o: &OutputShape) {
    let m = |x: &str| format!("{member}.{x}");
    v.required(&m("name"), &o.name);
    v.string(&m("name"), o.name.as_deref(), 1, 32, None);
    if let Some(k) = &o.kinesis_streams_output {
        resource(v, &m("kinesisStreamsOutput"), k);
    }
    if let Some(k) = &o.kinesis_firehose_output {
        resource(v, &m("kinesisFirehoseOutput"), k);
    }
    v.required(&m("destinationSchema"), &o.destination_schema);
    if let Some(d) = &o.destination_schema {
        record_format_type(
            v,
            &m("destinationSchema.recordFormatType"),
            &d.record_format_type,
        );
    }
}

pub(super) fn record_format_of(format: RecordFormatShape) -> Result<RecordFormat, WireError> {
    let mapping = format.mapping_parameters.unwrap_or_default();
    Ok(match format.record_format_type.as_deref() {
        Some("CSV") => {
            let csv = mapping.csv.ok_or_else(|| {
                WireError::invalid_argument(
                    "CSVMappingParameters are required for the CSV record format.",
                )
            })?;
            RecordFormat::Csv {
                row_delimiter: csv.record_row_delimiter.unwrap_or_else(|| "\n".into()),
                column_delimiter: csv.record_column_delimiter.unwrap_or_else(|| ",".into()),
            }
        }
        _ => RecordFormat::Json {
            row_path: mapping
                .json
                .and_then(|j| j.record_row_path)
                .unwrap_or_else(|| "$".into()),
        },
    })
}

pub(super) fn columns_of(cols: Vec<ColumnShape>) -> Vec<RecordColumn> {
    cols.into_iter()
        .map(|c| RecordColumn {
            name: c.name.unwrap_or_default(),
            mapping: c.mapping,
            sql_type: c.sql_type.unwrap_or_default(),
        })
        .collect()
}

pub(super) fn input_of(input: InputShape) -> Result<NewInput, WireError> {
    let source = match (input.kinesis_streams_input, input.kinesis_firehose_input) {
        (Some(k), None) => Resource::KinesisStream {
            arn: k.resource_arn.unwrap_or_default(),
            role_arn: k.role_arn.unwrap_or_default(),
        },
        (None, Some(f)) => Resource::DeliveryStream {
            arn: f.resource_arn.unwrap_or_default(),
            role_arn: f.role_arn.unwrap_or_default(),
        },
        _ => {
            return Err(WireError::invalid_argument(
                "An input needs exactly one of KinesisStreamsInput and KinesisFirehoseInput.",
            ));
        }
    };
    let schema = input.input_schema.unwrap_or_default();
    Ok(NewInput {
        name_prefix: input.name_prefix.unwrap_or_default(),
        source,
        schema: SourceSchema {
            format: record_format_of(schema.record_format.unwrap_or_default())?,
            encoding: schema.record_encoding,
            columns: columns_of(schema.record_columns.unwrap_or_default()),
        },
        processor: input.input_processing_configuration.map(processor_of),
        parallelism: input
            .input_parallelism
            .and_then(|p| p.count)
            .map(|c| c as u32),
    })
}

pub(super) fn format_of(d: Option<DestinationSchemaShape>) -> OutputFormat {
    match d.and_then(|d| d.record_format_type).as_deref() {
        Some("CSV") => OutputFormat::Csv,
        _ => OutputFormat::Json,
    }
}

pub(super) fn output_of(o: OutputShape) -> Result<NewOutput, WireError> {
    if o.lambda_output.is_some() {
        return Err(unsupported("LambdaOutput"));
    }
    let destination = match (o.kinesis_streams_output, o.kinesis_firehose_output) {
        (Some(k), None) => Resource::KinesisStream {
            arn: k.resource_arn.unwrap_or_default(),
            role_arn: k.role_arn.unwrap_or_default(),
        },
        (None, Some(f)) => Resource::DeliveryStream {
            arn: f.resource_arn.unwrap_or_default(),
            role_arn: f.role_arn.unwrap_or_default(),
        },
        _ => {
            return Err(WireError::invalid_argument(
                "An output needs exactly one of KinesisStreamsOutput and KinesisFirehoseOutput.",
            ));
        }
    };
    Ok(NewOutput {
        // The in-application stream's name as the code refers to it.
        name: o.name.unwrap_or_default(),
        destination,
        format: format_of(o.destination_schema),
    })
}

pub(super) fn version(v: &mut Validator, version: Option<i64>) {
    v.required("currentApplicationVersionId", &version);
    v.range(
        "currentApplicationVersionId",
        version,
        Some(1),
        Some(999_999_999),
    );
}

pub(super) fn is_application_arn(s: &str) -> bool {
    s.starts_with("arn:aws:kinesisanalytics:") && s.contains(":application/")
}

pub(super) fn resource_arn(v: &mut Validator, arn: &Option<String>) {
    v.required("resourceARN", arn);
    v.string(
        "resourceARN",
        arn.as_deref(),
        1,
        2048,
        Some((
            "arn:aws:kinesisanalytics:[a-z]{2}-[a-z]+-\\d{1}+:\\d{12}+:application/[a-zA-Z0-9_.-]{1,128}",
            is_application_arn,
        )),
    );
}

pub(super) fn check_tags(v: &mut Validator, tags: &[TagShape]) {
    v.count("tags", || "[]".into(), Some(tags.len()), 1, 200);
    for (i, t) in tags.iter().enumerate() {
        let m = |x: &str| format!("tags.{}.member.{x}", i + 1);
        v.required(&m("key"), &t.key);
        v.string(&m("key"), t.key.as_deref(), 1, 128, None);
        v.string(&m("value"), t.value.as_deref(), 0, 256, None);
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddReferenceRequest {
    pub(super) application_name: Option<String>,
    pub(super) current_application_version_id: Option<i64>,
    pub(super) reference_data_source: Option<ReferenceShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReferenceShape {
    pub(super) table_name: Option<String>,
    #[serde(rename = "S3ReferenceDataSource")]
    pub(super) s3: Option<S3ReferenceShape>,
    pub(super) reference_schema: Option<SchemaShape>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct S3ReferenceShape {
    #[serde(rename = "BucketARN")]
    pub(super) bucket_arn: Option<String>,
    #[serde(rename = "FileKey")]
    pub(super) file_key: Option<String>,
    #[serde(rename = "ReferenceRoleARN")]
    pub(super) role_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteReferenceRequest {
    pub(super) application_name: Option<String>,
    pub(super) current_application_version_id: Option<i64>,
    pub(super) reference_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReferenceUpdateShape {
    pub(super) reference_id: Option<String>,
    pub(super) table_name_update: Option<String>,
    #[serde(rename = "S3ReferenceDataSourceUpdate")]
    pub(super) s3_update: Option<S3ReferenceUpdateShape>,
    pub(super) reference_schema_update: Option<SchemaShape>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct S3ReferenceUpdateShape {
    #[serde(rename = "BucketARNUpdate")]
    pub(super) bucket_arn: Option<String>,
    #[serde(rename = "FileKeyUpdate")]
    pub(super) file_key: Option<String>,
    #[serde(rename = "ReferenceRoleARNUpdate")]
    pub(super) role_arn: Option<String>,
}

fn arn_member(v: &mut Validator, member: &str, arn: Option<&str>) {
    v.string(
        member,
        arn,
        1,
        2048,
        Some(("arn:.*", |s: &str| s.starts_with("arn:"))),
    );
}

pub(super) fn check_reference(v: &mut Validator, member: &str, r: &ReferenceShape) {
    let m = |x: &str| format!("{member}.{x}");
    v.required(&m("tableName"), &r.table_name);
    v.string(&m("tableName"), r.table_name.as_deref(), 1, 32, None);
    v.required(&m("referenceSchema"), &r.reference_schema);
    if let Some(s) = &r.reference_schema {
        check_schema(v, &m("referenceSchema"), s);
    }
    if let Some(s3) = &r.s3 {
        let m = |x: &str| format!("{member}.s3ReferenceDataSource.{x}");
        v.required(&m("bucketARN"), &s3.bucket_arn);
        v.required(&m("fileKey"), &s3.file_key);
        v.required(&m("referenceRoleARN"), &s3.role_arn);
        arn_member(v, &m("bucketARN"), s3.bucket_arn.as_deref());
        v.string(&m("fileKey"), s3.file_key.as_deref(), 1, 1024, None);
        arn_member(v, &m("referenceRoleARN"), s3.role_arn.as_deref());
    }
}

pub(super) fn check_reference_update(v: &mut Validator, member: &str, r: &ReferenceUpdateShape) {
    let m = |x: &str| format!("{member}.{x}");
    v.required(&m("referenceId"), &r.reference_id);
    v.string(&m("referenceId"), r.reference_id.as_deref(), 1, 50, None);
    v.string(
        &m("tableNameUpdate"),
        r.table_name_update.as_deref(),
        1,
        32,
        None,
    );
    if let Some(s) = &r.reference_schema_update {
        check_schema(v, &m("referenceSchemaUpdate"), s);
    }
    if let Some(s3) = &r.s3_update {
        let m = |x: &str| format!("{member}.s3ReferenceDataSourceUpdate.{x}");
        arn_member(v, &m("bucketARNUpdate"), s3.bucket_arn.as_deref());
        v.string(&m("fileKeyUpdate"), s3.file_key.as_deref(), 1, 1024, None);
        arn_member(v, &m("referenceRoleARNUpdate"), s3.role_arn.as_deref());
    }
}

pub(super) fn schema_of(s: SchemaShape) -> Result<SourceSchema, WireError> {
    Ok(SourceSchema {
        format: record_format_of(s.record_format.unwrap_or_default())?,
        encoding: s.record_encoding,
        columns: columns_of(s.record_columns.unwrap_or_default()),
    })
}

pub(super) fn reference_of(r: ReferenceShape) -> Result<NewReference, WireError> {
    let s3 = r.s3.ok_or_else(|| {
        WireError::invalid_argument("A reference data source needs an S3ReferenceDataSource.")
    })?;
    Ok(NewReference {
        table_name: r.table_name.unwrap_or_default(),
        bucket_arn: s3.bucket_arn.unwrap_or_default(),
        file_key: s3.file_key.unwrap_or_default(),
        role_arn: s3.role_arn.unwrap_or_default(),
        schema: schema_of(r.reference_schema.unwrap_or_default())?,
    })
}

pub(super) fn reference_update_of(r: ReferenceUpdateShape) -> Result<ReferenceUpdate, WireError> {
    let s3 = r.s3_update.unwrap_or_default();
    Ok(ReferenceUpdate {
        id: r.reference_id.unwrap_or_default(),
        table_name: r.table_name_update,
        bucket_arn: s3.bucket_arn,
        file_key: s3.file_key,
        role_arn: s3.role_arn,
        schema: r.reference_schema_update.map(schema_of).transpose()?,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProcessingShape {
    pub(super) input_lambda_processor: Option<ResourceShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProcessingUpdateShape {
    pub(super) input_lambda_processor_update: Option<ResourceUpdateShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddProcessingRequest {
    pub(super) application_name: Option<String>,
    pub(super) current_application_version_id: Option<i64>,
    pub(super) input_id: Option<String>,
    pub(super) input_processing_configuration: Option<ProcessingShape>,
}

fn is_lambda_arn(s: &str) -> bool {
    s.starts_with("arn:") && s.split(':').nth(2) == Some("lambda") && s.contains(":function:")
}

pub(super) fn check_processing(v: &mut Validator, member: &str, p: &ProcessingShape) {
    let m = format!("{member}.inputLambdaProcessor");
    v.required(&m, &p.input_lambda_processor);
    if let Some(l) = &p.input_lambda_processor {
        resource(v, &m, l);
        v.string(
            &format!("{m}.resourceARN"),
            l.resource_arn.as_deref(),
            1,
            2048,
            Some(("arn:aws:lambda:…:function:NAME", is_lambda_arn)),
        );
    }
}

pub(super) fn processor_of(p: ProcessingShape) -> LambdaProcessor {
    let l = p.input_lambda_processor.unwrap_or_default();
    LambdaProcessor {
        arn: l.resource_arn.unwrap_or_default(),
        role_arn: l.role_arn.unwrap_or_default(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct S3ConfigurationShape {
    #[serde(rename = "RoleARN")]
    pub(super) role_arn: Option<String>,
    #[serde(rename = "BucketARN")]
    pub(super) bucket_arn: Option<String>,
    pub(super) file_key: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LoggingShape {
    #[serde(rename = "LogStreamARN")]
    pub(super) log_stream_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    pub(super) role_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct LoggingUpdateShape {
    #[serde(rename = "CloudWatchLoggingOptionId")]
    pub(super) id: Option<String>,
    #[serde(rename = "LogStreamARNUpdate")]
    pub(super) log_stream_arn: Option<String>,
    #[serde(rename = "RoleARNUpdate")]
    pub(super) role_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LoggingRequest {
    pub(super) application_name: Option<String>,
    pub(super) current_application_version_id: Option<i64>,
    pub(super) cloud_watch_logging_option: Option<LoggingShape>,
    pub(super) cloud_watch_logging_option_id: Option<String>,
}

pub(super) fn check_logging(v: &mut Validator, member: &str, l: &LoggingShape) {
    v.required(&format!("{member}.logStreamARN"), &l.log_stream_arn);
    v.required(&format!("{member}.roleARN"), &l.role_arn);
    arn_member(
        v,
        &format!("{member}.logStreamARN"),
        l.log_stream_arn.as_deref(),
    );
    arn_member(v, &format!("{member}.roleARN"), l.role_arn.as_deref());
}
