//! Kinesis Data Analytics for SQL (`KinesisAnalytics_20150814`, AWS JSON 1.1): the operations,
//! their request shapes with AWS's validation, conversion to domain input, the answers and the
//! error mapping.

use crate::types::Timestamp;
use crate::validate::Validator;
use crate::{Protocol, WireError};
use serde::Deserialize;
use serde_json::{Value, json};
use sluice_analytics::AnalyticsError;
use sluice_analytics::mapping::{OutputFormat, RecordColumn, RecordFormat, SourceSchema};
use sluice_analytics::model::*;

pub const TARGET_PREFIX: &str = "KinesisAnalytics_20150814";

macro_rules! operations {
    ($($op:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation { $($op),* }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$op),*];

            pub fn name(self) -> &'static str {
                match self { $(Operation::$op => stringify!($op)),* }
            }
        }
    };
}

operations!(
    AddApplicationCloudWatchLoggingOption,
    AddApplicationInput,
    AddApplicationInputProcessingConfiguration,
    AddApplicationOutput,
    AddApplicationReferenceDataSource,
    CreateApplication,
    DeleteApplication,
    DeleteApplicationCloudWatchLoggingOption,
    DeleteApplicationInputProcessingConfiguration,
    DeleteApplicationOutput,
    DeleteApplicationReferenceDataSource,
    DescribeApplication,
    DiscoverInputSchema,
    ListApplications,
    ListTagsForResource,
    StartApplication,
    StopApplication,
    TagResource,
    UntagResource,
    UpdateApplication,
);

impl Operation {
    /// `KinesisAnalytics_20150814.CreateApplication` → `CreateApplication`.
    pub fn from_target(target: &str) -> Option<Self> {
        let (prefix, op) = target.split_once('.')?;
        if prefix != TARGET_PREFIX {
            return None;
        }
        Self::ALL.iter().copied().find(|o| o.name() == op)
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

#[derive(Debug)]
pub enum Request {
    Create(CreateApplicationInput),
    Describe(String),
    List {
        limit: Option<u32>,
        exclusive_start: Option<String>,
    },
    Delete {
        name: String,
        create_timestamp_ms: i64,
    },
    Start {
        name: String,
        inputs: Vec<InputStart>,
    },
    Stop(String),
    AddInput {
        name: String,
        version: u64,
        input: NewInput,
    },
    AddOutput {
        name: String,
        version: u64,
        output: NewOutput,
    },
    DeleteOutput {
        name: String,
        version: u64,
        id: String,
    },
    Update {
        name: String,
        version: u64,
        update: ApplicationUpdate,
    },
    Tag {
        arn: String,
        tags: Vec<(String, String)>,
    },
    Untag {
        arn: String,
        keys: Vec<String>,
    },
    ListTags(String),
    Discover {
        arn: String,
        position: String,
    },
    /// Not implemented yet; answered with UnsupportedOperationException.
    Unsupported(Operation),
}

// ------------------------------------------------------------------ request shapes

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateApplicationRequest {
    application_name: Option<String>,
    application_description: Option<String>,
    inputs: Option<Vec<InputShape>>,
    outputs: Option<Vec<OutputShape>>,
    application_code: Option<String>,
    tags: Option<Vec<TagShape>>,
    cloud_watch_logging_options: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagShape {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceShape {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    role_arn: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InputShape {
    name_prefix: Option<String>,
    input_processing_configuration: Option<Value>,
    kinesis_streams_input: Option<ResourceShape>,
    kinesis_firehose_input: Option<ResourceShape>,
    input_parallelism: Option<ParallelismShape>,
    input_schema: Option<SchemaShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ParallelismShape {
    count: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SchemaShape {
    record_format: Option<RecordFormatShape>,
    record_encoding: Option<String>,
    record_columns: Option<Vec<ColumnShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordFormatShape {
    record_format_type: Option<String>,
    mapping_parameters: Option<MappingShape>,
}

#[derive(Debug, Default, Deserialize)]
struct MappingShape {
    #[serde(rename = "JSONMappingParameters")]
    json: Option<JsonMappingShape>,
    #[serde(rename = "CSVMappingParameters")]
    csv: Option<CsvMappingShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonMappingShape {
    record_row_path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CsvMappingShape {
    record_row_delimiter: Option<String>,
    record_column_delimiter: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ColumnShape {
    name: Option<String>,
    mapping: Option<String>,
    sql_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OutputShape {
    name: Option<String>,
    kinesis_streams_output: Option<ResourceShape>,
    kinesis_firehose_output: Option<ResourceShape>,
    lambda_output: Option<Value>,
    destination_schema: Option<DestinationSchemaShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DestinationSchemaShape {
    record_format_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AddInputRequest {
    application_name: Option<String>,
    current_application_version_id: Option<i64>,
    input: Option<InputShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AddOutputRequest {
    application_name: Option<String>,
    current_application_version_id: Option<i64>,
    output: Option<OutputShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteOutputRequest {
    application_name: Option<String>,
    current_application_version_id: Option<i64>,
    output_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateRequest {
    application_name: Option<String>,
    current_application_version_id: Option<i64>,
    application_update: Option<UpdateShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateShape {
    input_updates: Option<Vec<InputUpdateShape>>,
    application_code_update: Option<String>,
    output_updates: Option<Vec<OutputUpdateShape>>,
    reference_data_source_updates: Option<Value>,
    cloud_watch_logging_option_updates: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InputUpdateShape {
    input_id: Option<String>,
    name_prefix_update: Option<String>,
    input_processing_configuration_update: Option<Value>,
    kinesis_streams_input_update: Option<ResourceUpdateShape>,
    kinesis_firehose_input_update: Option<Value>,
    input_schema_update: Option<SchemaUpdateShape>,
    input_parallelism_update: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SchemaUpdateShape {
    record_format_update: Option<RecordFormatShape>,
    record_encoding_update: Option<String>,
    record_column_updates: Option<Vec<ColumnShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceUpdateShape {
    #[serde(rename = "ResourceARNUpdate")]
    resource_arn_update: Option<String>,
    #[serde(rename = "RoleARNUpdate")]
    role_arn_update: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OutputUpdateShape {
    output_id: Option<String>,
    name_update: Option<String>,
    kinesis_streams_output_update: Option<ResourceUpdateShape>,
    kinesis_firehose_output_update: Option<ResourceUpdateShape>,
    lambda_output_update: Option<Value>,
    destination_schema_update: Option<DestinationSchemaShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagRequest {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    tags: Option<Vec<TagShape>>,
    tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DiscoverRequest {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    role_arn: Option<String>,
    input_starting_position_configuration: Option<StartingPositionShape>,
    s3_configuration: Option<Value>,
    input_processing_configuration: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NameRequest {
    application_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    application_name: Option<String>,
    create_timestamp: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListRequest {
    limit: Option<i64>,
    exclusive_start_application_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartRequest {
    application_name: Option<String>,
    input_configurations: Option<Vec<InputConfigurationShape>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InputConfigurationShape {
    id: Option<String>,
    input_starting_position_configuration: Option<StartingPositionShape>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartingPositionShape {
    input_starting_position: Option<String>,
}

fn is_application_name(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn application_name(v: &mut Validator, name: &Option<String>) {
    v.required("applicationName", name);
    v.string(
        "applicationName",
        name.as_deref(),
        1,
        128,
        Some(("[a-zA-Z0-9_.-]+", is_application_name)),
    );
}

fn resource(v: &mut Validator, member: &str, r: &ResourceShape) {
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

fn record_format_type(v: &mut Validator, member: &str, t: &Option<String>) {
    v.required(member, t);
    v.one_of(member, t.as_deref(), &["JSON", "CSV"]);
}

/// Seconds since the epoch (with a fraction) as the JSON protocol sends a timestamp.
fn timestamp_ms(v: &Value) -> Option<i64> {
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

fn check_input(v: &mut Validator, member: &str, input: &InputShape) {
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
    v.required(&m("inputSchema"), &input.input_schema);
    if let Some(s) = &input.input_schema {
        check_schema(v, &m("inputSchema"), s);
    }
}

fn check_schema(v: &mut Validator, member: &str, s: &SchemaShape) {
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

fn check_columns(v: &mut Validator, member: &str, cols: &[ColumnShape]) {
    v.count(member, || "[]".into(), Some(cols.len()), 1, 1000);
    for (j, c) in cols.iter().enumerate() {
        let cm = |x: &str| format!("{member}.{}.member.{x}", j + 1);
        v.required(&cm("name"), &c.name);
        v.required(&cm("sqlType"), &c.sql_type);
        v.string(&cm("sqlType"), c.sql_type.as_deref(), 1, usize::MAX, None);
    }
}

fn check_output(v: &mut Validator, member: &str, o: &OutputShape) {
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

fn record_format_of(format: RecordFormatShape) -> Result<RecordFormat, WireError> {
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

fn columns_of(cols: Vec<ColumnShape>) -> Vec<RecordColumn> {
    cols.into_iter()
        .map(|c| RecordColumn {
            name: c.name.unwrap_or_default(),
            mapping: c.mapping,
            sql_type: c.sql_type.unwrap_or_default(),
        })
        .collect()
}

fn input_of(input: InputShape) -> Result<NewInput, WireError> {
    if input.input_processing_configuration.is_some() {
        return Err(unsupported("InputProcessingConfiguration"));
    }
    let source = match (input.kinesis_streams_input, input.kinesis_firehose_input) {
        (Some(k), None) => Resource::KinesisStream {
            arn: k.resource_arn.unwrap_or_default(),
            role_arn: k.role_arn.unwrap_or_default(),
        },
        (None, Some(_)) => {
            return Err(unsupported(
                "KinesisFirehoseInput (a delivery stream as input)",
            ));
        }
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
        parallelism: input
            .input_parallelism
            .and_then(|p| p.count)
            .map(|c| c as u32),
    })
}

fn format_of(d: Option<DestinationSchemaShape>) -> OutputFormat {
    match d.and_then(|d| d.record_format_type).as_deref() {
        Some("CSV") => OutputFormat::Csv,
        _ => OutputFormat::Json,
    }
}

fn output_of(o: OutputShape) -> Result<NewOutput, WireError> {
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

fn version(v: &mut Validator, version: Option<i64>) {
    v.required("currentApplicationVersionId", &version);
    v.range(
        "currentApplicationVersionId",
        version,
        Some(1),
        Some(999_999_999),
    );
}

fn is_application_arn(s: &str) -> bool {
    s.starts_with("arn:aws:kinesisanalytics:") && s.contains(":application/")
}

fn resource_arn(v: &mut Validator, arn: &Option<String>) {
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

fn check_tags(v: &mut Validator, tags: &[TagShape]) {
    v.count("tags", || "[]".into(), Some(tags.len()), 1, 200);
    for (i, t) in tags.iter().enumerate() {
        let m = |x: &str| format!("tags.{}.member.{x}", i + 1);
        v.required(&m("key"), &t.key);
        v.string(&m("key"), t.key.as_deref(), 1, 128, None);
        v.string(&m("value"), t.value.as_deref(), 0, 256, None);
    }
}

impl Request {
    pub fn decode(op: Operation, body: &[u8]) -> Result<Request, WireError> {
        let p = Protocol::Json;
        let mut v = Validator::new();
        Ok(match op {
            Operation::CreateApplication => {
                let r: CreateApplicationRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                v.string(
                    "applicationDescription",
                    r.application_description.as_deref(),
                    0,
                    1024,
                    None,
                );
                v.string(
                    "applicationCode",
                    r.application_code.as_deref(),
                    0,
                    102_400,
                    None,
                );
                let inputs = r.inputs.unwrap_or_default();
                let outputs = r.outputs.unwrap_or_default();
                for (i, input) in inputs.iter().enumerate() {
                    check_input(&mut v, &format!("inputs.{}.member", i + 1), input);
                }
                for (i, o) in outputs.iter().enumerate() {
                    check_output(&mut v, &format!("outputs.{}.member", i + 1), o);
                }
                v.finish()?;
                if r.cloud_watch_logging_options.is_some() {
                    return Err(unsupported("CloudWatchLoggingOptions"));
                }
                let new_inputs = inputs
                    .into_iter()
                    .map(input_of)
                    .collect::<Result<Vec<_>, _>>()?;
                let new_outputs = outputs
                    .into_iter()
                    .map(output_of)
                    .collect::<Result<Vec<_>, _>>()?;
                Request::Create(CreateApplicationInput {
                    name: r.application_name.unwrap_or_default(),
                    description: r.application_description,
                    code: r.application_code,
                    inputs: new_inputs,
                    outputs: new_outputs,
                    tags: r
                        .tags
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                        .collect(),
                })
            }
            Operation::DescribeApplication | Operation::StopApplication => {
                let r: NameRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                v.finish()?;
                let name = r.application_name.unwrap_or_default();
                if op == Operation::StopApplication {
                    Request::Stop(name)
                } else {
                    Request::Describe(name)
                }
            }
            Operation::ListApplications => {
                let r: ListRequest = p.decode(body)?;
                v.range("limit", r.limit, Some(1), Some(50));
                v.string(
                    "exclusiveStartApplicationName",
                    r.exclusive_start_application_name.as_deref(),
                    1,
                    128,
                    Some(("[a-zA-Z0-9_.-]+", is_application_name)),
                );
                v.finish()?;
                Request::List {
                    limit: r.limit.map(|l| l as u32),
                    exclusive_start: r.exclusive_start_application_name,
                }
            }
            Operation::DeleteApplication => {
                let r: DeleteRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                v.required("createTimestamp", &r.create_timestamp);
                v.finish()?;
                let ts = r
                    .create_timestamp
                    .as_ref()
                    .and_then(timestamp_ms)
                    .ok_or_else(|| {
                        WireError::new(
                            "SerializationException",
                            "CreateTimestamp is not a timestamp",
                        )
                    })?;
                Request::Delete {
                    name: r.application_name.unwrap_or_default(),
                    create_timestamp_ms: ts,
                }
            }
            Operation::StartApplication => {
                let r: StartRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                v.required("inputConfigurations", &r.input_configurations);
                let configs = r.input_configurations.unwrap_or_default();
                for (i, c) in configs.iter().enumerate() {
                    let m = |x: &str| format!("inputConfigurations.{}.member.{x}", i + 1);
                    v.required(&m("id"), &c.id);
                    v.required(
                        &m("inputStartingPositionConfiguration"),
                        &c.input_starting_position_configuration,
                    );
                    if let Some(s) = &c.input_starting_position_configuration {
                        v.one_of(
                            &m("inputStartingPositionConfiguration.inputStartingPosition"),
                            s.input_starting_position.as_deref(),
                            &["NOW", "TRIM_HORIZON", "LAST_STOPPED_POINT"],
                        );
                    }
                }
                v.finish()?;
                Request::Start {
                    name: r.application_name.unwrap_or_default(),
                    inputs: configs
                        .into_iter()
                        .map(|c| InputStart {
                            id: c.id.unwrap_or_default(),
                            position: c
                                .input_starting_position_configuration
                                .and_then(|s| s.input_starting_position)
                                .unwrap_or_else(|| "NOW".into()),
                        })
                        .collect(),
                }
            }
            Operation::AddApplicationInput => {
                let r: AddInputRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                version(&mut v, r.current_application_version_id);
                v.required("input", &r.input);
                if let Some(i) = &r.input {
                    check_input(&mut v, "input", i);
                }
                v.finish()?;
                Request::AddInput {
                    name: r.application_name.unwrap_or_default(),
                    version: r.current_application_version_id.unwrap_or_default() as u64,
                    input: input_of(r.input.unwrap_or_default())?,
                }
            }
            Operation::AddApplicationOutput => {
                let r: AddOutputRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                version(&mut v, r.current_application_version_id);
                v.required("output", &r.output);
                if let Some(o) = &r.output {
                    check_output(&mut v, "output", o);
                }
                v.finish()?;
                Request::AddOutput {
                    name: r.application_name.unwrap_or_default(),
                    version: r.current_application_version_id.unwrap_or_default() as u64,
                    output: output_of(r.output.unwrap_or_default())?,
                }
            }
            Operation::DeleteApplicationOutput => {
                let r: DeleteOutputRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                version(&mut v, r.current_application_version_id);
                v.required("outputId", &r.output_id);
                v.string("outputId", r.output_id.as_deref(), 1, 50, None);
                v.finish()?;
                Request::DeleteOutput {
                    name: r.application_name.unwrap_or_default(),
                    version: r.current_application_version_id.unwrap_or_default() as u64,
                    id: r.output_id.unwrap_or_default(),
                }
            }
            Operation::UpdateApplication => {
                let r: UpdateRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                version(&mut v, r.current_application_version_id);
                v.required("applicationUpdate", &r.application_update);
                let u = r.application_update.unwrap_or_default();
                v.string(
                    "applicationUpdate.applicationCodeUpdate",
                    u.application_code_update.as_deref(),
                    0,
                    102_400,
                    None,
                );
                for (i, iu) in u.input_updates.iter().flatten().enumerate() {
                    let m = format!("applicationUpdate.inputUpdates.{}.member", i + 1);
                    v.required(&format!("{m}.inputId"), &iu.input_id);
                    if let Some(s) = &iu.input_schema_update {
                        if let Some(cols) = &s.record_column_updates {
                            check_columns(
                                &mut v,
                                &format!("{m}.inputSchemaUpdate.recordColumnUpdates"),
                                cols,
                            );
                        }
                        if let Some(f) = &s.record_format_update {
                            record_format_type(
                                &mut v,
                                &format!(
                                    "{m}.inputSchemaUpdate.recordFormatUpdate.recordFormatType"
                                ),
                                &f.record_format_type,
                            );
                        }
                    }
                }
                for (i, ou) in u.output_updates.iter().flatten().enumerate() {
                    let m = format!("applicationUpdate.outputUpdates.{}.member", i + 1);
                    v.required(&format!("{m}.outputId"), &ou.output_id);
                    v.string(
                        &format!("{m}.nameUpdate"),
                        ou.name_update.as_deref(),
                        1,
                        32,
                        None,
                    );
                }
                v.finish()?;
                if u.reference_data_source_updates.is_some() {
                    return Err(unsupported("ReferenceDataSourceUpdates"));
                }
                if u.cloud_watch_logging_option_updates.is_some() {
                    return Err(unsupported("CloudWatchLoggingOptionUpdates"));
                }
                let mut update = ApplicationUpdate {
                    code: u.application_code_update,
                    ..ApplicationUpdate::default()
                };
                for iu in u.input_updates.unwrap_or_default() {
                    if iu.input_processing_configuration_update.is_some()
                        || iu.kinesis_firehose_input_update.is_some()
                        || iu.input_parallelism_update.is_some()
                    {
                        return Err(unsupported(
                            "InputProcessingConfigurationUpdate, KinesisFirehoseInputUpdate and InputParallelismUpdate",
                        ));
                    }
                    let schema = iu.input_schema_update.unwrap_or_default();
                    let k = iu.kinesis_streams_input_update.unwrap_or_default();
                    update.inputs.push(InputUpdate {
                        id: iu.input_id.unwrap_or_default(),
                        name_prefix: iu.name_prefix_update,
                        stream_arn: k.resource_arn_update,
                        role_arn: k.role_arn_update,
                        format: schema
                            .record_format_update
                            .map(record_format_of)
                            .transpose()?,
                        encoding: schema.record_encoding_update,
                        columns: schema.record_column_updates.map(columns_of),
                    });
                }
                for ou in u.output_updates.unwrap_or_default() {
                    if ou.lambda_output_update.is_some() {
                        return Err(unsupported("LambdaOutputUpdate"));
                    }
                    let destination = match (
                        ou.kinesis_streams_output_update,
                        ou.kinesis_firehose_output_update,
                    ) {
                        (Some(k), None) => {
                            k.resource_arn_update.map(|arn| Resource::KinesisStream {
                                arn,
                                role_arn: k.role_arn_update.unwrap_or_default(),
                            })
                        }
                        (None, Some(f)) => {
                            f.resource_arn_update.map(|arn| Resource::DeliveryStream {
                                arn,
                                role_arn: f.role_arn_update.unwrap_or_default(),
                            })
                        }
                        (None, None) => None,
                        _ => {
                            return Err(WireError::invalid_argument(
                                "An output update names one destination.",
                            ));
                        }
                    };
                    update.outputs.push(OutputUpdate {
                        id: ou.output_id.unwrap_or_default(),
                        name: ou.name_update,
                        destination,
                        format: ou.destination_schema_update.map(|d| format_of(Some(d))),
                    });
                }
                Request::Update {
                    name: r.application_name.unwrap_or_default(),
                    version: r.current_application_version_id.unwrap_or_default() as u64,
                    update,
                }
            }
            Operation::TagResource => {
                let r: TagRequest = p.decode(body)?;
                resource_arn(&mut v, &r.resource_arn);
                v.required("tags", &r.tags);
                check_tags(&mut v, r.tags.as_deref().unwrap_or_default());
                v.finish()?;
                Request::Tag {
                    arn: r.resource_arn.unwrap_or_default(),
                    tags: r
                        .tags
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
                        .collect(),
                }
            }
            Operation::UntagResource => {
                let r: TagRequest = p.decode(body)?;
                resource_arn(&mut v, &r.resource_arn);
                v.required("tagKeys", &r.tag_keys);
                let keys = r.tag_keys.unwrap_or_default();
                v.count("tagKeys", || "[]".into(), Some(keys.len()), 1, 200);
                v.finish()?;
                Request::Untag {
                    arn: r.resource_arn.unwrap_or_default(),
                    keys,
                }
            }
            Operation::ListTagsForResource => {
                let r: TagRequest = p.decode(body)?;
                resource_arn(&mut v, &r.resource_arn);
                v.finish()?;
                Request::ListTags(r.resource_arn.unwrap_or_default())
            }
            Operation::DiscoverInputSchema => {
                let r: DiscoverRequest = p.decode(body)?;
                v.string(
                    "resourceARN",
                    r.resource_arn.as_deref(),
                    1,
                    2048,
                    Some(("arn:.*", |s: &str| s.starts_with("arn:"))),
                );
                v.string(
                    "roleARN",
                    r.role_arn.as_deref(),
                    1,
                    2048,
                    Some(("arn:.*", |s: &str| s.starts_with("arn:"))),
                );
                v.finish()?;
                if r.s3_configuration.is_some() || r.input_processing_configuration.is_some() {
                    return Err(unsupported(
                        "DiscoverInputSchema from S3Configuration or with InputProcessingConfiguration",
                    ));
                }
                let Some(arn) = r.resource_arn else {
                    return Err(WireError::invalid_argument(
                        "ResourceARN is required to discover a stream's schema.",
                    ));
                };
                Request::Discover {
                    arn,
                    position: r
                        .input_starting_position_configuration
                        .and_then(|s| s.input_starting_position)
                        .unwrap_or_else(|| "TRIM_HORIZON".into()),
                }
            }
            other => Request::Unsupported(other),
        })
    }
}

fn unsupported(what: &str) -> WireError {
    WireError::new(
        "UnsupportedOperationException",
        format!("{what} is not supported by Sluice yet."),
    )
}

/// The answer to an operation Sluice does not implement yet.
pub fn unsupported_operation(op: Operation) -> WireError {
    unsupported(op.name())
}

// ------------------------------------------------------------------ responses

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
                "InAppStreamNames": [i.stream_name()],
                "InputSchema": schema_json(&i.schema),
                "InputParallelism": { "Count": i.parallelism },
            });
            o[if kind == "Kinesis" {
                "KinesisStreamsInputDescription"
            } else {
                "KinesisFirehoseInputDescription"
            }] = res;
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
        "ReferenceDataSourceDescriptions": [],
        "CloudWatchLoggingOptionDescriptions": [],
        "ApplicationCode": m.code,
        "ApplicationVersionId": m.version_id,
    });
    if let Some(d) = &m.description {
        detail["ApplicationDescription"] = d.clone().into();
    }
    json!({ "ApplicationDetail": detail })
}

impl From<AnalyticsError> for WireError {
    fn from(e: AnalyticsError) -> Self {
        let message = e.to_string();
        match e {
            AnalyticsError::NotFound(_) => WireError::new("ResourceNotFoundException", message),
            AnalyticsError::InUse(_) => WireError::new("ResourceInUseException", message),
            AnalyticsError::InvalidArgument(_) => WireError::invalid_argument(message),
            AnalyticsError::CodeValidation(_) => WireError::new("CodeValidationException", message),
            AnalyticsError::InvalidConfiguration(_) => {
                WireError::new("InvalidApplicationConfigurationException", message)
            }
            AnalyticsError::ConcurrentModification(_) => {
                WireError::new("ConcurrentModificationException", message)
            }
            AnalyticsError::LimitExceeded(_) => WireError::new("LimitExceededException", message),
            AnalyticsError::Unsupported(_) => {
                WireError::new("UnsupportedOperationException", message)
            }
            AnalyticsError::TooManyTags(_) => WireError::new("TooManyTagsException", message),
            AnalyticsError::UnableToDetectSchema { .. } => {
                WireError::new("UnableToDetectSchemaException", message)
            }
            AnalyticsError::Storage(sluice_storage::StorageError::ShuttingDown) => WireError {
                kind: "ServiceUnavailableException",
                status: 503,
                message: Some("The service is shutting down; retry.".into()),
            },
            AnalyticsError::Storage(_) => WireError::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_operations() {
        assert_eq!(
            Operation::from_target("KinesisAnalytics_20150814.CreateApplication"),
            Some(Operation::CreateApplication)
        );
        assert_eq!(
            Operation::from_target("Kinesis_20131202.CreateApplication"),
            None
        );
        assert_eq!(Operation::ALL.len(), 20);
    }

    #[test]
    fn create_is_validated_as_aws() {
        let e = Request::decode(
            Operation::CreateApplication,
            br#"{"ApplicationName":"bad name"}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind, "ValidationException");
        let body = json!({
            "ApplicationName": "app",
            "Inputs": [{"NamePrefix": "SOURCE_SQL_STREAM", "InputSchema": {"RecordColumns": []}}],
        });
        let e =
            Request::decode(Operation::CreateApplication, body.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.kind, "ValidationException");
        let m = e.message.unwrap_or_default();
        assert!(
            m.contains("inputs.1.member.inputSchema.recordFormat"),
            "{m}"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(op in 0usize..20, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = Request::decode(Operation::ALL[op], &body);
        }
    }
}
