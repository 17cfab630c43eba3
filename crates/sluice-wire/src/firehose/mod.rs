//! Data Firehose (`Firehose_20150804`, AWS JSON 1.1): the operations, their request shapes with
//! AWS's validation, conversion to domain input, and the error mapping.

pub mod responses;
pub mod shapes;
mod validate;

use crate::validate::Validator;
use crate::{Protocol, WireError};
use shapes::*;
use sluice_firehose::FirehoseError;
use sluice_firehose::model::*;
use validate::*;

pub const TARGET_PREFIX: &str = "Firehose_20150804";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    CreateDeliveryStream,
    DeleteDeliveryStream,
    DescribeDeliveryStream,
    ListDeliveryStreams,
    ListTagsForDeliveryStream,
    PutRecord,
    PutRecordBatch,
    StartDeliveryStreamEncryption,
    StopDeliveryStreamEncryption,
    TagDeliveryStream,
    UntagDeliveryStream,
    UpdateDestination,
}

impl Operation {
    pub const ALL: [Operation; 12] = [
        Operation::CreateDeliveryStream,
        Operation::DeleteDeliveryStream,
        Operation::DescribeDeliveryStream,
        Operation::ListDeliveryStreams,
        Operation::ListTagsForDeliveryStream,
        Operation::PutRecord,
        Operation::PutRecordBatch,
        Operation::StartDeliveryStreamEncryption,
        Operation::StopDeliveryStreamEncryption,
        Operation::TagDeliveryStream,
        Operation::UntagDeliveryStream,
        Operation::UpdateDestination,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateDeliveryStream => "CreateDeliveryStream",
            Operation::DeleteDeliveryStream => "DeleteDeliveryStream",
            Operation::DescribeDeliveryStream => "DescribeDeliveryStream",
            Operation::ListDeliveryStreams => "ListDeliveryStreams",
            Operation::ListTagsForDeliveryStream => "ListTagsForDeliveryStream",
            Operation::PutRecord => "PutRecord",
            Operation::PutRecordBatch => "PutRecordBatch",
            Operation::StartDeliveryStreamEncryption => "StartDeliveryStreamEncryption",
            Operation::StopDeliveryStreamEncryption => "StopDeliveryStreamEncryption",
            Operation::TagDeliveryStream => "TagDeliveryStream",
            Operation::UntagDeliveryStream => "UntagDeliveryStream",
            Operation::UpdateDestination => "UpdateDestination",
        }
    }

    /// `Firehose_20150804.PutRecord` → `PutRecord`.
    pub fn from_target(target: &str) -> Option<Self> {
        let (prefix, op) = target.split_once('.')?;
        if prefix != TARGET_PREFIX {
            return None;
        }
        Self::ALL.into_iter().find(|o| o.name() == op)
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

/// A decoded Firehose request.
#[derive(Debug)]
pub enum Request {
    Create(CreateDeliveryStreamInput),
    Delete(String),
    Describe {
        name: String,
        limit: Option<u32>,
        exclusive_start_destination_id: Option<String>,
    },
    List(ListDeliveryStreamsInput),
    PutRecord {
        name: String,
        data: bytes::Bytes,
    },
    PutRecordBatch {
        name: String,
        records: Vec<bytes::Bytes>,
    },
    UpdateDestination {
        name: String,
        current_version: String,
        destination_id: String,
        update: DestinationUpdate,
    },
    Tag {
        name: String,
        tags: Vec<(String, Option<String>)>,
    },
    Untag {
        name: String,
        keys: Vec<String>,
    },
    StartEncryption {
        name: String,
        input: StreamEncryptionInput,
    },
    StopEncryption(String),
    ListTags {
        name: String,
        exclusive_start: Option<String>,
        limit: Option<u32>,
    },
    /// Not implemented yet; answered with a clear error.
    Unsupported(Operation),
}

fn unsupported(what: &str) -> WireError {
    WireError::invalid_argument(format!("{what} is not supported by Sluice yet."))
}

/// Refuses parts of an S3 configuration that the delivery path does not act on yet.
fn refuse_unimplemented_s3(c: &S3ConfigShape) -> Result<(), WireError> {
    if let Some(conv) = &c.data_format_conversion_configuration
        && conv["OutputFormatConfiguration"]["Serializer"]
            .get("OrcSerDe")
            .is_some()
    {
        return Err(unsupported("OrcSerDe (ORC output)"));
    }
    Ok(())
}

impl Request {
    pub fn decode(op: Operation, body: &[u8]) -> Result<Request, WireError> {
        let p = Protocol::Json;
        let mut v = Validator::new();
        Ok(match op {
            Operation::CreateDeliveryStream => {
                let r: CreateDeliveryStreamRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.one_of(
                    "deliveryStreamType",
                    r.delivery_stream_type.as_deref(),
                    &[
                        "DirectPut",
                        "KinesisStreamAsSource",
                        "MSKAsSource",
                        "DatabaseAsSource",
                    ],
                );
                if let Some(s3) = &r.extended_s3_destination_configuration {
                    check_s3(&mut v, "extendedS3DestinationConfiguration", s3, true);
                }
                if let Some(s3) = &r.s3_destination_configuration {
                    check_s3(&mut v, "s3DestinationConfiguration", s3, true);
                }
                if let Some(h) = &r.http_endpoint_destination_configuration {
                    check_http(&mut v, "httpEndpointDestinationConfiguration", h, true);
                }
                if let Some(o) = &r.amazonopensearchservice_destination_configuration {
                    check_search(
                        &mut v,
                        "amazonopensearchserviceDestinationConfiguration",
                        o,
                        true,
                    );
                }
                if let Some(o) = &r.elasticsearch_destination_configuration {
                    check_search(&mut v, "elasticsearchDestinationConfiguration", o, true);
                }
                if let Some(tags) = &r.tags {
                    v.count(
                        "tags",
                        || format!("{} tags", tags.len()),
                        Some(tags.len()),
                        1,
                        50,
                    );
                    check_tags(&mut v, "tags", tags);
                }
                if let Some(e) = &r.delivery_stream_encryption_configuration_input {
                    encryption_input(&mut v, e);
                }
                if let Some(k) = &r.kinesis_stream_source_configuration {
                    v.required(
                        "kinesisStreamSourceConfiguration.kinesisStreamARN",
                        &k.kinesis_stream_arn,
                    );
                    v.required("kinesisStreamSourceConfiguration.roleARN", &k.role_arn);
                    v.string(
                        "kinesisStreamSourceConfiguration.kinesisStreamARN",
                        k.kinesis_stream_arn.as_deref(),
                        1,
                        512,
                        Some((
                            "arn:.*:kinesis:[a-zA-Z0-9\\-]+:\\d{12}:stream/[a-zA-Z0-9_.-]+",
                            crate::validate::is_stream_arn,
                        )),
                    );
                }
                if let Some(d) = &r.direct_put_source_configuration {
                    v.required(
                        "directPutSourceConfiguration.throughputHintInMBs",
                        &d.throughput_hint_in_mbs,
                    );
                    v.range(
                        "directPutSourceConfiguration.throughputHintInMBs",
                        d.throughput_hint_in_mbs,
                        Some(1),
                        Some(100),
                    );
                }
                v.finish()?;
                let source = match r.delivery_stream_type.as_deref() {
                    None | Some("DirectPut") => SourceKind::DirectPut,
                    Some("KinesisStreamAsSource") => SourceKind::KinesisStreamAsSource,
                    Some(other) => {
                        return Err(unsupported(&format!("DeliveryStreamType {other}")));
                    }
                };
                let kinesis_source = r.kinesis_stream_source_configuration.as_ref().map(|k| {
                    sluice_firehose::source::KinesisSource {
                        stream_arn: k.kinesis_stream_arn.clone().unwrap_or_default(),
                        role_arn: k.role_arn.clone().unwrap_or_default(),
                    }
                });
                let others = [
                    (
                        "RedshiftDestinationConfiguration",
                        &r.redshift_destination_configuration,
                    ),
                    (
                        "SplunkDestinationConfiguration",
                        &r.splunk_destination_configuration,
                    ),
                    (
                        "AmazonOpenSearchServerlessDestinationConfiguration",
                        &r.amazon_open_search_serverless_destination_configuration,
                    ),
                    (
                        "SnowflakeDestinationConfiguration",
                        &r.snowflake_destination_configuration,
                    ),
                    (
                        "IcebergDestinationConfiguration",
                        &r.iceberg_destination_configuration,
                    ),
                    ("MSKSourceConfiguration", &r.msk_source_configuration),
                    (
                        "DatabaseSourceConfiguration",
                        &r.database_source_configuration,
                    ),
                ];
                if let Some((what, _)) = others.iter().find(|(_, v)| v.is_some()) {
                    return Err(unsupported(what));
                }
                let search = match (
                    &r.amazonopensearchservice_destination_configuration,
                    &r.elasticsearch_destination_configuration,
                ) {
                    (Some(o), None) => Some((o, SearchFlavor::OpenSearch)),
                    (None, Some(o)) => Some((o, SearchFlavor::Elasticsearch)),
                    (None, None) => None,
                    _ => {
                        return Err(WireError::invalid_argument(
                            "Only one destination configuration can be given.",
                        ));
                    }
                };
                if let Some((o, _)) = search
                    && o.vpc_configuration.is_some()
                {
                    return Err(unsupported("VpcConfiguration"));
                }
                let destination = match (
                    &r.extended_s3_destination_configuration,
                    &r.s3_destination_configuration,
                    &r.http_endpoint_destination_configuration,
                    search,
                ) {
                    (None, None, None, Some((o, flavor))) => {
                        DestinationConfig::Search(o.to_domain(flavor))
                    }
                    (Some(c), None, None, None) => {
                        refuse_unimplemented_s3(c)?;
                        DestinationConfig::S3(c.to_domain(false))
                    }
                    (None, Some(c), None, None) => DestinationConfig::S3(c.to_domain(true)),
                    (None, None, Some(h), None) => {
                        if h.secrets_manager_configuration.as_ref().is_some_and(|s| {
                            s.get("Enabled").and_then(|e| e.as_bool()) == Some(true)
                        }) {
                            return Err(unsupported("SecretsManagerConfiguration"));
                        }
                        DestinationConfig::Http(h.to_domain())
                    }
                    (None, None, None, None) => {
                        return Err(WireError::invalid_argument(
                            "A destination configuration is required: ExtendedS3DestinationConfiguration, S3DestinationConfiguration, HttpEndpointDestinationConfiguration, AmazonopensearchserviceDestinationConfiguration or ElasticsearchDestinationConfiguration.",
                        ));
                    }
                    _ => {
                        return Err(WireError::invalid_argument(
                            "Only one destination configuration can be given.",
                        ));
                    }
                };
                let encryption = r.delivery_stream_encryption_configuration_input.map(|e| {
                    StreamEncryptionInput {
                        key_type: e.key_type.unwrap_or_default(),
                        key_arn: e.key_arn,
                    }
                });
                Request::Create(CreateDeliveryStreamInput {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    source,
                    destination,
                    tags: r
                        .tags
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| (t.key.unwrap_or_default(), t.value))
                        .collect(),
                    encryption,
                    throughput_hint_mb: r
                        .direct_put_source_configuration
                        .and_then(|d| d.throughput_hint_in_mbs)
                        .map(|n| n as u32),
                    kinesis_source,
                })
            }
            Operation::DeleteDeliveryStream => {
                let r: NameRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.finish()?;
                let _ = r.allow_force_delete;
                Request::Delete(r.delivery_stream_name.unwrap_or_default())
            }
            Operation::DescribeDeliveryStream => {
                let r: DescribeDeliveryStreamRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.range("limit", r.limit, Some(1), Some(10_000));
                v.string(
                    "exclusiveStartDestinationId",
                    r.exclusive_start_destination_id.as_deref(),
                    1,
                    100,
                    None,
                );
                v.finish()?;
                Request::Describe {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    limit: r.limit.map(|l| l as u32),
                    exclusive_start_destination_id: r.exclusive_start_destination_id,
                }
            }
            Operation::ListDeliveryStreams => {
                let r: ListDeliveryStreamsRequest = p.decode(body)?;
                v.range("limit", r.limit, Some(1), Some(10_000));
                v.one_of(
                    "deliveryStreamType",
                    r.delivery_stream_type.as_deref(),
                    &[
                        "DirectPut",
                        "KinesisStreamAsSource",
                        "MSKAsSource",
                        "DatabaseAsSource",
                    ],
                );
                name_member(
                    &mut v,
                    "exclusiveStartDeliveryStreamName",
                    r.exclusive_start_delivery_stream_name.as_deref(),
                );
                v.finish()?;
                let source = match r.delivery_stream_type.as_deref() {
                    Some("DirectPut") => Some(SourceKind::DirectPut),
                    Some("KinesisStreamAsSource") => Some(SourceKind::KinesisStreamAsSource),
                    // No delivery stream of the other types can exist.
                    Some(_) => {
                        return Ok(Request::List(ListDeliveryStreamsInput {
                            limit: Some(0),
                            source: None,
                            exclusive_start: None,
                        }));
                    }
                    None => None,
                };
                Request::List(ListDeliveryStreamsInput {
                    limit: r.limit.map(|l| l as u32),
                    source,
                    exclusive_start: r.exclusive_start_delivery_stream_name,
                })
            }
            Operation::PutRecord => {
                let r: PutRecordRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.required("record", &r.record);
                if let Some(rec) = &r.record {
                    v.required("record.data", &rec.data);
                    v.blob_len(
                        "record.data",
                        rec.data.as_ref().map(|d| d.0.len()),
                        sluice_firehose::MAX_RECORD_BYTES,
                    );
                }
                v.finish()?;
                Request::PutRecord {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    data: r
                        .record
                        .and_then(|r| r.data)
                        .map(|d| d.0)
                        .unwrap_or_default(),
                }
            }
            Operation::PutRecordBatch => {
                let r: PutRecordBatchRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.required("records", &r.records);
                if let Some(recs) = &r.records {
                    v.count(
                        "records",
                        || format!("{} records", recs.len()),
                        Some(recs.len()),
                        1,
                        sluice_firehose::MAX_BATCH_RECORDS,
                    );
                    for (i, rec) in recs.iter().enumerate() {
                        let m = format!("records.{}.member.data", i + 1);
                        v.required(&m, &rec.data);
                        v.blob_len(
                            &m,
                            rec.data.as_ref().map(|d| d.0.len()),
                            sluice_firehose::MAX_RECORD_BYTES,
                        );
                    }
                }
                v.finish()?;
                Request::PutRecordBatch {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    records: r
                        .records
                        .unwrap_or_default()
                        .into_iter()
                        .map(|r| r.data.map(|d| d.0).unwrap_or_default())
                        .collect(),
                }
            }
            Operation::UpdateDestination => {
                let r: UpdateDestinationRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.required(
                    "currentDeliveryStreamVersionId",
                    &r.current_delivery_stream_version_id,
                );
                v.string(
                    "currentDeliveryStreamVersionId",
                    r.current_delivery_stream_version_id.as_deref(),
                    1,
                    50,
                    Some(("[0-9]+", |s| s.bytes().all(|b| b.is_ascii_digit()))),
                );
                v.required("destinationId", &r.destination_id);
                v.string(
                    "destinationId",
                    r.destination_id.as_deref(),
                    1,
                    100,
                    Some(("[a-zA-Z0-9-]+", |s| {
                        s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    })),
                );
                if let Some(u) = &r.extended_s3_destination_update {
                    check_s3(&mut v, "extendedS3DestinationUpdate", u, false);
                }
                if let Some(u) = &r.s3_destination_update {
                    check_s3(&mut v, "s3DestinationUpdate", u, false);
                }
                if let Some(u) = &r.http_endpoint_destination_update {
                    check_http(&mut v, "httpEndpointDestinationUpdate", u, false);
                }
                if let Some(u) = &r.amazonopensearchservice_destination_update {
                    check_search(&mut v, "amazonopensearchserviceDestinationUpdate", u, false);
                }
                if let Some(u) = &r.elasticsearch_destination_update {
                    check_search(&mut v, "elasticsearchDestinationUpdate", u, false);
                }
                v.finish()?;
                let others = [
                    ("RedshiftDestinationUpdate", &r.redshift_destination_update),
                    ("SplunkDestinationUpdate", &r.splunk_destination_update),
                    (
                        "AmazonOpenSearchServerlessDestinationUpdate",
                        &r.amazon_open_search_serverless_destination_update,
                    ),
                    (
                        "SnowflakeDestinationUpdate",
                        &r.snowflake_destination_update,
                    ),
                    ("IcebergDestinationUpdate", &r.iceberg_destination_update),
                ];
                if let Some((what, _)) = others.iter().find(|(_, v)| v.is_some()) {
                    return Err(WireError::invalid_argument(format!(
                        "{what} does not match the destination type (S3) of this Firehose stream."
                    )));
                }
                let update = match (
                    &r.extended_s3_destination_update,
                    &r.s3_destination_update,
                    &r.http_endpoint_destination_update,
                ) {
                    _ if r.amazonopensearchservice_destination_update.is_some()
                        || r.elasticsearch_destination_update.is_some() =>
                    {
                        let u = r
                            .amazonopensearchservice_destination_update
                            .as_ref()
                            .or(r.elasticsearch_destination_update.as_ref())
                            .map(SearchConfigShape::to_update)
                            .unwrap_or_default();
                        DestinationUpdate::Search(u)
                    }
                    (_, _, Some(h)) => DestinationUpdate::Http(h.to_update()),
                    (Some(u), _, None) => {
                        refuse_unimplemented_s3(u)?;
                        DestinationUpdate::S3(u.to_update())
                    }
                    (None, Some(u), None) => DestinationUpdate::S3(u.to_update()),
                    (None, None, None) => DestinationUpdate::S3(S3DestinationUpdate::default()),
                };
                Request::UpdateDestination {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    current_version: r.current_delivery_stream_version_id.unwrap_or_default(),
                    destination_id: r.destination_id.unwrap_or_default(),
                    update,
                }
            }
            Operation::TagDeliveryStream => {
                let r: TagDeliveryStreamRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.required("tags", &r.tags);
                if let Some(tags) = &r.tags {
                    v.count(
                        "tags",
                        || format!("{} tags", tags.len()),
                        Some(tags.len()),
                        1,
                        50,
                    );
                    check_tags(&mut v, "tags", tags);
                }
                v.finish()?;
                Request::Tag {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    tags: r
                        .tags
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| (t.key.unwrap_or_default(), t.value))
                        .collect(),
                }
            }
            Operation::UntagDeliveryStream => {
                let r: UntagDeliveryStreamRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.required("tagKeys", &r.tag_keys);
                if let Some(keys) = &r.tag_keys {
                    v.count("tagKeys", || format!("{keys:?}"), Some(keys.len()), 1, 50);
                }
                v.finish()?;
                Request::Untag {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    keys: r.tag_keys.unwrap_or_default(),
                }
            }
            Operation::ListTagsForDeliveryStream => {
                let r: ListTagsForDeliveryStreamRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.range("limit", r.limit, Some(1), Some(50));
                v.finish()?;
                Request::ListTags {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    exclusive_start: r.exclusive_start_tag_key,
                    limit: r.limit.map(|l| l as u32),
                }
            }
            Operation::StartDeliveryStreamEncryption => {
                let r: StartEncryptionRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                if let Some(e) = &r.delivery_stream_encryption_configuration_input {
                    encryption_input(&mut v, e);
                }
                v.finish()?;
                let e = r
                    .delivery_stream_encryption_configuration_input
                    .unwrap_or_default();
                Request::StartEncryption {
                    name: r.delivery_stream_name.unwrap_or_default(),
                    input: StreamEncryptionInput {
                        key_type: e.key_type.unwrap_or_else(|| "AWS_OWNED_CMK".into()),
                        key_arn: e.key_arn,
                    },
                }
            }
            Operation::StopDeliveryStreamEncryption => {
                let r: NameRequest = p.decode(body)?;
                v.required("deliveryStreamName", &r.delivery_stream_name);
                name_member(
                    &mut v,
                    "deliveryStreamName",
                    r.delivery_stream_name.as_deref(),
                );
                v.finish()?;
                Request::StopEncryption(r.delivery_stream_name.unwrap_or_default())
            }
        })
    }
}

/// DeliveryStreamEncryptionConfigurationInput: KeyType is required; KeyARN is an ARN.
fn encryption_input(v: &mut Validator, e: &DeliveryStreamEncryptionConfigurationInputShape) {
    const M: &str = "deliveryStreamEncryptionConfigurationInput";
    v.required(&format!("{M}.keyType"), &e.key_type);
    v.one_of(
        &format!("{M}.keyType"),
        e.key_type.as_deref(),
        &["AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK"],
    );
    v.string(
        &format!("{M}.keyARN"),
        e.key_arn.as_deref(),
        1,
        512,
        Some((
            "arn:.*:kms:[a-zA-Z0-9\\-]+:\\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\\-_/]+",
            is_kms_key_arn,
        )),
    );
}

/// AWSKMSKeyARN's pattern: `arn:…:kms:REGION:ACCOUNT(12 digits):key/…` or `…:alias/…`.
fn is_kms_key_arn(s: &str) -> bool {
    let Some(at) = s.find(":kms:").filter(|_| s.starts_with("arn:")) else {
        return false;
    };
    let mut parts = s[at + 5..].splitn(3, ':');
    let (Some(region), Some(account), Some(resource)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let resource_ok = resource
        .strip_prefix("key/")
        .or_else(|| resource.strip_prefix("alias/"))
        .is_some_and(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c))
        });
    !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource_ok
}

impl From<FirehoseError> for WireError {
    fn from(e: FirehoseError) -> Self {
        let message = e.to_string();
        match e {
            FirehoseError::NotFound { .. } => WireError::new("ResourceNotFoundException", message),
            FirehoseError::AlreadyExists { .. } | FirehoseError::InUse { .. } => {
                WireError::new("ResourceInUseException", message)
            }
            FirehoseError::InvalidArgument(_) => WireError::invalid_argument(message),
            FirehoseError::LimitExceeded(_) => WireError::new("LimitExceededException", message),
            FirehoseError::VersionMismatch { .. } => {
                WireError::new("ConcurrentModificationException", message)
            }
            FirehoseError::Storage(sluice_storage::StorageError::ShuttingDown) => WireError {
                kind: "ServiceUnavailableException",
                status: 503,
                message: Some("The service is shutting down; retry.".into()),
            },
            FirehoseError::InvalidKmsResource { .. } => {
                WireError::new("InvalidKMSResourceException", message)
            }
            FirehoseError::Storage(e) => WireError::storage(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        for op in Operation::ALL {
            assert_eq!(
                Operation::from_target(&format!("Firehose_20150804.{}", op.name())),
                Some(op)
            );
        }
        assert_eq!(Operation::from_target("Kinesis_20131202.PutRecord"), None);
        assert_eq!(Operation::from_target("Firehose_20150804.Nope"), None);
    }

    #[test]
    fn put_record_batch_limits() {
        let body = serde_json::json!({
            "DeliveryStreamName": "x",
            "Records": (0..501).map(|_| serde_json::json!({"Data": "YQ=="})).collect::<Vec<_>>(),
        });
        let e =
            Request::decode(Operation::PutRecordBatch, body.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.kind, "ValidationException");
        assert!(
            e.message
                .unwrap()
                .contains("Member must have length less than or equal to 500")
        );
    }

    #[test]
    fn kms_key_arns_follow_the_model_pattern() {
        for ok in [
            "arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0000-4000-8000-000000000000",
            "arn:aws-cn:kms:cn-north-1:123456789012:alias/orders/v2",
        ] {
            assert!(is_kms_key_arn(ok), "{ok}");
        }
        for bad in [
            "alias/orders",
            "arn:aws:s3:::bucket",
            "arn:aws:kms:us-east-1:1234:key/x",
            "arn:aws:kms:us-east-1:123456789012:keys/x",
            "arn:aws:kms:us-east-1:123456789012:key/",
            "arn:aws:kms:us-east-1:123456789012:key/a b",
        ] {
            assert!(!is_kms_key_arn(bad), "{bad}");
        }
    }

    #[test]
    fn start_encryption_defaults_to_the_owned_key() {
        let body = serde_json::json!({"DeliveryStreamName": "x"});
        match Request::decode(
            Operation::StartDeliveryStreamEncryption,
            body.to_string().as_bytes(),
        )
        .unwrap()
        {
            Request::StartEncryption { name, input } => {
                assert_eq!(name, "x");
                assert_eq!(input.key_type, "AWS_OWNED_CMK");
                assert_eq!(input.key_arn, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unsupported_destinations_are_refused() {
        let body = serde_json::json!({
            "DeliveryStreamName": "x",
            "RedshiftDestinationConfiguration": {"ClusterJDBCURL": "jdbc:x"},
        });
        let e = Request::decode(Operation::CreateDeliveryStream, body.to_string().as_bytes())
            .unwrap_err();
        assert_eq!(e.kind, "InvalidArgumentException");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn arbitrary_bodies_never_panic(op in 0usize..12, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = Request::decode(Operation::ALL[op], &body);
        }

        #[test]
        fn odd_members_never_panic(op in 0usize..12, key in "[A-Za-z]{1,40}", n in proptest::prelude::any::<i64>(), s in ".{0,40}") {
            for value in [serde_json::json!(n), serde_json::json!(s), serde_json::json!([n]), serde_json::json!({ "Enabled": true, &key: s })] {
                let body = serde_json::json!({ "DeliveryStreamName": "x", &key: value,
                    "ExtendedS3DestinationConfiguration": { &key: value.clone() } });
                let _ = Request::decode(Operation::ALL[op], body.to_string().as_bytes());
            }
        }
    }

    #[test]
    fn any_bytes_never_panic() {
        for op in Operation::ALL {
            for body in [&b""[..], b"{", b"[]", b"{\"Records\":[{}]}", b"\xff\x00"] {
                let _ = Request::decode(op, body);
            }
        }
    }
}
