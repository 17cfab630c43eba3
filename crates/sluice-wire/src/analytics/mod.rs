//! Kinesis Data Analytics for SQL (`KinesisAnalytics_20150814`, AWS JSON 1.1): the operations,
//! their request shapes with AWS's validation, conversion to domain input, the answers and the
//! error mapping.

mod response;
mod shapes;

pub use response::*;
use shapes::*;

use crate::validate::Validator;
use crate::{Protocol, WireError};
use sluice_analytics::AnalyticsError;
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
    Discover(sluice_analytics::discover::DiscoverSource),
    AddReference {
        name: String,
        version: u64,
        reference: NewReference,
    },
    AddLogging {
        name: String,
        version: u64,
        log_stream_arn: String,
        role_arn: String,
    },
    DeleteLogging {
        name: String,
        version: u64,
        id: String,
    },
    /// AddApplicationInputProcessingConfiguration (`Some`) or its Delete (`None`).
    InputProcessing {
        name: String,
        version: u64,
        input_id: String,
        processor: Option<LambdaProcessor>,
    },
    DeleteReference {
        name: String,
        version: u64,
        id: String,
    },
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
                for (i, l) in r.cloud_watch_logging_options.iter().flatten().enumerate() {
                    check_logging(
                        &mut v,
                        &format!("cloudWatchLoggingOptions.{}.member", i + 1),
                        l,
                    );
                }
                v.finish()?;
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
                    logging: r
                        .cloud_watch_logging_options
                        .unwrap_or_default()
                        .into_iter()
                        .map(|l| {
                            (
                                l.log_stream_arn.unwrap_or_default(),
                                l.role_arn.unwrap_or_default(),
                            )
                        })
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
                    if let Some(p) = &iu.input_parallelism_update {
                        v.range(
                            &format!("{m}.inputParallelismUpdate.countUpdate"),
                            p.count_update,
                            Some(1),
                            Some(64),
                        );
                    }
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
                for (i, ru) in u.reference_data_source_updates.iter().flatten().enumerate() {
                    check_reference_update(
                        &mut v,
                        &format!(
                            "applicationUpdate.referenceDataSourceUpdates.{}.member",
                            i + 1
                        ),
                        ru,
                    );
                }
                v.finish()?;

                let mut update = ApplicationUpdate {
                    code: u.application_code_update,
                    logging: u
                        .cloud_watch_logging_option_updates
                        .unwrap_or_default()
                        .into_iter()
                        .map(|l| LoggingUpdate {
                            id: l.id.unwrap_or_default(),
                            log_stream_arn: l.log_stream_arn,
                            role_arn: l.role_arn,
                        })
                        .collect(),
                    references: u
                        .reference_data_source_updates
                        .unwrap_or_default()
                        .into_iter()
                        .map(reference_update_of)
                        .collect::<Result<_, _>>()?,
                    ..ApplicationUpdate::default()
                };
                for iu in u.input_updates.unwrap_or_default() {
                    let firehose = iu.kinesis_firehose_input_update.unwrap_or_default();
                    let processing = iu
                        .input_processing_configuration_update
                        .and_then(|p| p.input_lambda_processor_update)
                        .unwrap_or_default();
                    let schema = iu.input_schema_update.unwrap_or_default();
                    let k = iu.kinesis_streams_input_update.unwrap_or_default();
                    update.inputs.push(InputUpdate {
                        id: iu.input_id.unwrap_or_default(),
                        name_prefix: iu.name_prefix_update,
                        stream_arn: k.resource_arn_update,
                        delivery_arn: firehose.resource_arn_update,
                        role_arn: k.role_arn_update.or(firehose.role_arn_update),
                        format: schema
                            .record_format_update
                            .map(record_format_of)
                            .transpose()?,
                        encoding: schema.record_encoding_update,
                        columns: schema.record_column_updates.map(columns_of),
                        processor_arn: processing.resource_arn_update,
                        processor_role: processing.role_arn_update,
                        parallelism: iu
                            .input_parallelism_update
                            .and_then(|p| p.count_update)
                            .map(|c| c as u32),
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
                if let Some(c) = &r.s3_configuration {
                    v.required("s3Configuration.roleARN", &c.role_arn);
                    v.required("s3Configuration.bucketARN", &c.bucket_arn);
                    v.required("s3Configuration.fileKey", &c.file_key);
                    v.string(
                        "s3Configuration.fileKey",
                        c.file_key.as_deref(),
                        1,
                        1024,
                        None,
                    );
                }
                v.finish()?;
                if r.input_processing_configuration.is_some() {
                    return Err(unsupported(
                        "DiscoverInputSchema with InputProcessingConfiguration",
                    ));
                }
                let source = match (r.resource_arn, r.s3_configuration) {
                    (Some(arn), None) => sluice_analytics::discover::DiscoverSource::Stream {
                        arn,
                        position: r
                            .input_starting_position_configuration
                            .and_then(|s| s.input_starting_position)
                            .unwrap_or_else(|| "TRIM_HORIZON".into()),
                    },
                    (None, Some(c)) => sluice_analytics::discover::DiscoverSource::Object {
                        bucket_arn: c.bucket_arn.unwrap_or_default(),
                        key: c.file_key.unwrap_or_default(),
                    },
                    _ => {
                        return Err(WireError::invalid_argument(
                            "Give either ResourceARN (a stream) or S3Configuration (an object) to discover a schema from.",
                        ));
                    }
                };
                Request::Discover(source)
            }
            Operation::AddApplicationReferenceDataSource => {
                let r: AddReferenceRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                version(&mut v, r.current_application_version_id);
                v.required("referenceDataSource", &r.reference_data_source);
                if let Some(x) = &r.reference_data_source {
                    check_reference(&mut v, "referenceDataSource", x);
                }
                v.finish()?;
                Request::AddReference {
                    name: r.application_name.unwrap_or_default(),
                    version: r.current_application_version_id.unwrap_or_default() as u64,
                    reference: reference_of(r.reference_data_source.unwrap_or_default())?,
                }
            }
            Operation::AddApplicationCloudWatchLoggingOption
            | Operation::DeleteApplicationCloudWatchLoggingOption => {
                let r: LoggingRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                version(&mut v, r.current_application_version_id);
                let add = op == Operation::AddApplicationCloudWatchLoggingOption;
                if add {
                    v.required("cloudWatchLoggingOption", &r.cloud_watch_logging_option);
                    if let Some(l) = &r.cloud_watch_logging_option {
                        check_logging(&mut v, "cloudWatchLoggingOption", l);
                    }
                } else {
                    v.required(
                        "cloudWatchLoggingOptionId",
                        &r.cloud_watch_logging_option_id,
                    );
                    v.string(
                        "cloudWatchLoggingOptionId",
                        r.cloud_watch_logging_option_id.as_deref(),
                        1,
                        50,
                        Some(("[a-zA-Z0-9_.-]+", is_application_name)),
                    );
                }
                v.finish()?;
                let name = r.application_name.unwrap_or_default();
                let version = r.current_application_version_id.unwrap_or_default() as u64;
                if add {
                    let l = r.cloud_watch_logging_option.unwrap_or_default();
                    Request::AddLogging {
                        name,
                        version,
                        log_stream_arn: l.log_stream_arn.unwrap_or_default(),
                        role_arn: l.role_arn.unwrap_or_default(),
                    }
                } else {
                    Request::DeleteLogging {
                        name,
                        version,
                        id: r.cloud_watch_logging_option_id.unwrap_or_default(),
                    }
                }
            }
            Operation::AddApplicationInputProcessingConfiguration
            | Operation::DeleteApplicationInputProcessingConfiguration => {
                let r: AddProcessingRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                version(&mut v, r.current_application_version_id);
                v.required("inputId", &r.input_id);
                v.string(
                    "inputId",
                    r.input_id.as_deref(),
                    1,
                    50,
                    Some(("[a-zA-Z0-9_.-]+", is_application_name)),
                );
                let add = op == Operation::AddApplicationInputProcessingConfiguration;
                if add {
                    v.required(
                        "inputProcessingConfiguration",
                        &r.input_processing_configuration,
                    );
                    if let Some(c) = &r.input_processing_configuration {
                        check_processing(&mut v, "inputProcessingConfiguration", c);
                    }
                }
                v.finish()?;
                Request::InputProcessing {
                    name: r.application_name.unwrap_or_default(),
                    version: r.current_application_version_id.unwrap_or_default() as u64,
                    input_id: r.input_id.unwrap_or_default(),
                    processor: if add {
                        r.input_processing_configuration.map(processor_of)
                    } else {
                        None
                    },
                }
            }
            Operation::DeleteApplicationReferenceDataSource => {
                let r: DeleteReferenceRequest = p.decode(body)?;
                application_name(&mut v, &r.application_name);
                version(&mut v, r.current_application_version_id);
                v.required("referenceId", &r.reference_id);
                v.string(
                    "referenceId",
                    r.reference_id.as_deref(),
                    1,
                    50,
                    Some(("[a-zA-Z0-9_.-]+", is_application_name)),
                );
                v.finish()?;
                Request::DeleteReference {
                    name: r.application_name.unwrap_or_default(),
                    version: r.current_application_version_id.unwrap_or_default() as u64,
                    id: r.reference_id.unwrap_or_default(),
                }
            }
        })
    }
}

pub(super) fn unsupported(what: &str) -> WireError {
    WireError::new(
        "UnsupportedOperationException",
        format!("{what} is not supported by Sluice yet."),
    )
}

// ------------------------------------------------------------------ responses

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
            AnalyticsError::Storage(e) => WireError::storage(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
