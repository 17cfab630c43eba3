//! Kinesis Video Streams (`kinesisvideo`, `kinesis-video-media`, `kinesis-video-archived-media`;
//! REST-JSON): the operations by path, their request shapes with AWS's validation, conversion
//! to domain input, the answers, and the error mapping. PutMedia's body and GetMedia's answer
//! are streams of bytes, which the server moves; this module reads and writes their JSON parts.

mod response;

pub use response::*;

use crate::WireError;
use crate::validate::{Pattern, Validator};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sluice_video::VideoError;
use sluice_video::media::StartSelector;
use sluice_video::model::{CreateStreamInput, StreamRef};
use sluice_video::service::{StreamUpdate, TimestampKind};
use std::collections::BTreeMap;

macro_rules! operations {
    ($($op:ident = $path:literal),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation { $($op),* }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$op),*];

            pub fn name(self) -> &'static str {
                match self { $(Operation::$op => stringify!($op)),* }
            }

            /// The request path (`POST /createStream`).
            pub fn path(self) -> &'static str {
                match self { $(Operation::$op => $path),* }
            }
        }
    };
}

operations!(
    CreateStream = "/createStream",
    DescribeStream = "/describeStream",
    ListStreams = "/listStreams",
    DeleteStream = "/deleteStream",
    UpdateStream = "/updateStream",
    UpdateDataRetention = "/updateDataRetention",
    GetDataEndpoint = "/getDataEndpoint",
    TagStream = "/tagStream",
    UntagStream = "/untagStream",
    ListTagsForStream = "/listTagsForStream",
    TagResource = "/TagResource",
    UntagResource = "/UntagResource",
    ListTagsForResource = "/ListTagsForResource",
    DescribeImageGenerationConfiguration = "/describeImageGenerationConfiguration",
    UpdateImageGenerationConfiguration = "/updateImageGenerationConfiguration",
    DescribeNotificationConfiguration = "/describeNotificationConfiguration",
    UpdateNotificationConfiguration = "/updateNotificationConfiguration",
    CreateSignalingChannel = "/createSignalingChannel",
    DeleteSignalingChannel = "/deleteSignalingChannel",
    DescribeSignalingChannel = "/describeSignalingChannel",
    GetSignalingChannelEndpoint = "/getSignalingChannelEndpoint",
    ListSignalingChannels = "/listSignalingChannels",
    UpdateSignalingChannel = "/updateSignalingChannel",
    DescribeEdgeConfiguration = "/describeEdgeConfiguration",
    DeleteEdgeConfiguration = "/deleteEdgeConfiguration",
    StartEdgeConfigurationUpdate = "/startEdgeConfigurationUpdate",
    ListEdgeAgentConfigurations = "/listEdgeAgentConfigurations",
    DescribeMappedResourceConfiguration = "/describeMappedResourceConfiguration",
    DescribeMediaStorageConfiguration = "/describeMediaStorageConfiguration",
    UpdateMediaStorageConfiguration = "/updateMediaStorageConfiguration",
    DescribeStreamStorageConfiguration = "/describeStreamStorageConfiguration",
    UpdateStreamStorageConfiguration = "/updateStreamStorageConfiguration",
    PutMedia = "/putMedia",
    GetMedia = "/getMedia",
    ListFragments = "/listFragments",
    GetMediaForFragmentList = "/getMediaForFragmentList",
    GetHLSStreamingSessionURL = "/getHLSStreamingSessionURL",
    GetDASHStreamingSessionURL = "/getDASHStreamingSessionURL",
    GetClip = "/getClip",
    GetImages = "/getImages",
);

impl Operation {
    /// The operation a request path names.
    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|o| o.path() == path)
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }

    /// The credential scope's service of the SDK client that sends this operation.
    pub fn signing_service(self) -> &'static str {
        "kinesisvideo"
    }

    /// Operations Sluice answers with a clear error: WebRTC signaling channels and edge agents
    /// are out of its scope, and the media storage configurations belong to them.
    pub fn unsupported(self) -> Option<&'static str> {
        use Operation::*;
        match self {
            CreateSignalingChannel
            | DeleteSignalingChannel
            | DescribeSignalingChannel
            | GetSignalingChannelEndpoint
            | ListSignalingChannels
            | UpdateSignalingChannel => Some(
                "Sluice does not implement WebRTC signaling channels; only video streams are supported.",
            ),
            DescribeEdgeConfiguration
            | DeleteEdgeConfiguration
            | StartEdgeConfigurationUpdate
            | ListEdgeAgentConfigurations
            | DescribeMappedResourceConfiguration
            | DescribeMediaStorageConfiguration
            | UpdateMediaStorageConfiguration => {
                Some("Sluice does not implement edge agents or signaling-channel media storage.")
            }
            DescribeStreamStorageConfiguration | UpdateStreamStorageConfiguration => Some(
                "Sluice keeps every stream in one storage tier; stream storage configurations are not supported.",
            ),
            GetHLSStreamingSessionURL | GetDASHStreamingSessionURL | GetClip | GetImages => {
                Some("This playback operation is not implemented by Sluice yet.")
            }
            _ => None,
        }
    }
}

/// A decoded control-plane or archived-media request.
#[derive(Debug)]
pub enum Request {
    Create(CreateStreamInput),
    Describe(StreamRef),
    List {
        max: usize,
        after: Option<String>,
        prefix: Option<String>,
    },
    Delete {
        arn: String,
        version: Option<String>,
    },
    Update {
        stream: StreamRef,
        version: String,
        update: StreamUpdate,
    },
    UpdateRetention {
        stream: StreamRef,
        version: String,
        increase: bool,
        hours: u32,
    },
    GetDataEndpoint(StreamRef),
    Tag {
        stream: StreamRef,
        tags: BTreeMap<String, String>,
    },
    Untag {
        stream: StreamRef,
        keys: Vec<String>,
    },
    /// `resource` tells ListTagsForResource from ListTagsForStream (their answers differ only
    /// in name, but both are kept apart for clarity).
    ListTags(StreamRef),
    DescribeImageGeneration(StreamRef),
    UpdateImageGeneration {
        stream: StreamRef,
        config: Option<serde_json::Value>,
    },
    DescribeNotification(StreamRef),
    UpdateNotification {
        stream: StreamRef,
        config: Option<serde_json::Value>,
    },
    GetMedia {
        stream: StreamRef,
        selector: StartSelector,
    },
    ListFragments {
        stream: StreamRef,
        max: usize,
        after: Option<String>,
        range: Option<(TimestampKind, i64, i64)>,
    },
    GetMediaForFragmentList {
        stream: StreamRef,
        fragments: Vec<String>,
    },
}

const NAME: Pattern<'static> = ("[a-zA-Z0-9_.-]+", is_name);
const ARN: Pattern<'static> = (
    "arn:[a-z\\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+",
    is_arn,
);
const VERSION: Pattern<'static> = ("[a-zA-Z0-9]+", is_alphanumeric);
const MEDIA_TYPE: Pattern<'static> = (
    "[\\w\\-\\.\\+]+/[\\w\\-\\.\\+]+(,[\\w\\-\\.\\+]+/[\\w\\-\\.\\+]+)*",
    is_media_type,
);
const TAG_KEY: Pattern<'static> = ("^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$", is_tag_text);
const TAG_VALUE: Pattern<'static> = ("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", is_tag_text);
const NEXT_TOKEN: Pattern<'static> = ("[a-zA-Z0-9+/=]*", is_token);

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn is_alphanumeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_token(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

fn is_tag_text(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

fn is_media_type(s: &str) -> bool {
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'))
    };
    s.split(',').all(|t| match t.split_once('/') {
        Some((a, b)) => word(a) && word(b),
        None => false,
    })
}

fn is_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "kinesisvideo" {
        return false;
    }
    let resource: Vec<&str> = parts[5].split('/').collect();
    resource.len() == 3
        && !resource[0].is_empty()
        && resource[0].bytes().all(|b| b.is_ascii_lowercase())
        && is_name(resource[1])
        && !resource[2].is_empty()
        && resource[2].bytes().all(|b| b.is_ascii_digit())
        && !parts[4].is_empty()
        && parts[4].bytes().all(|b| b.is_ascii_digit())
}

/// Validation errors of these services are InvalidArgumentException, with AWS's texts.
fn finish(v: Validator) -> Result<(), WireError> {
    v.finish().map_err(|mut e| {
        e.kind = "InvalidArgumentException";
        e
    })
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, WireError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        WireError::new(
            "SerializationException",
            format!("Malformed request body: {e}"),
        )
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct StreamId {
    stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
}

impl StreamId {
    fn check(&self, v: &mut Validator) {
        v.string(
            "StreamName",
            self.stream_name.as_deref(),
            1,
            256,
            Some(NAME),
        );
        v.string("StreamARN", self.stream_arn.as_deref(), 1, 1024, Some(ARN));
    }

    /// Exactly one of the name and the ARN.
    fn stream(self) -> Result<StreamRef, WireError> {
        match (self.stream_name, self.stream_arn) {
            (Some(n), None) => Ok(StreamRef::Name(n)),
            (None, Some(a)) => Ok(StreamRef::Arn(a)),
            (Some(_), Some(_)) => Err(WireError::invalid_argument(
                "Specify either the StreamName or the StreamARN, not both.",
            )),
            (None, None) => Err(WireError::invalid_argument(
                "Either the StreamName or the StreamARN must be specified.",
            )),
        }
    }
}

fn check_tags<'a>(v: &mut Validator, member: &str, tags: impl Iterator<Item = (&'a str, &'a str)>) {
    for (k, value) in tags {
        v.string(&format!("{member}.key"), Some(k), 1, 128, Some(TAG_KEY));
        v.string(
            &format!("{member}.value"),
            Some(value),
            0,
            256,
            Some(TAG_VALUE),
        );
    }
}

fn ms_of_seconds(s: f64) -> i64 {
    (s * 1000.0).round() as i64
}

impl Request {
    pub fn decode(op: Operation, body: &[u8]) -> Result<Request, WireError> {
        use Operation::*;
        let mut v = Validator::new();
        let request = match op {
            CreateStream => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    device_name: Option<String>,
                    stream_name: Option<String>,
                    media_type: Option<String>,
                    kms_key_id: Option<String>,
                    data_retention_in_hours: Option<i64>,
                    tags: Option<BTreeMap<String, String>>,
                }
                let i: In = parse(body)?;
                v.string("DeviceName", i.device_name.as_deref(), 1, 128, Some(NAME));
                v.required("StreamName", &i.stream_name);
                v.string("StreamName", i.stream_name.as_deref(), 1, 256, Some(NAME));
                v.string(
                    "MediaType",
                    i.media_type.as_deref(),
                    1,
                    128,
                    Some(MEDIA_TYPE),
                );
                v.string("KmsKeyId", i.kms_key_id.as_deref(), 1, 2048, None);
                v.range(
                    "DataRetentionInHours",
                    i.data_retention_in_hours,
                    Some(0),
                    None,
                );
                if let Some(t) = &i.tags {
                    v.count("Tags", || format!("{t:?}"), Some(t.len()), 1, 50);
                    check_tags(
                        &mut v,
                        "tags",
                        t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    );
                }
                finish(v)?;
                let hours = i.data_retention_in_hours.unwrap_or(0);
                Request::Create(CreateStreamInput {
                    name: i.stream_name.unwrap_or_default(),
                    device_name: i.device_name,
                    media_type: i.media_type,
                    kms_key_id: i.kms_key_id,
                    retention_hours: u32::try_from(hours).map_err(|_| {
                        WireError::invalid_argument("DataRetentionInHours is too large.")
                    })?,
                    tags: i.tags.unwrap_or_default(),
                })
            }
            DescribeStream
            | GetDataEndpoint
            | ListTagsForStream
            | DescribeImageGenerationConfiguration
            | DescribeNotificationConfiguration => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    #[serde(rename = "APIName")]
                    api_name: Option<String>,
                }
                let i: In = parse(body)?;
                i.id.check(&mut v);
                if op == GetDataEndpoint {
                    v.required("APIName", &i.api_name);
                    v.one_of(
                        "APIName",
                        i.api_name.as_deref(),
                        &[
                            "PUT_MEDIA",
                            "GET_MEDIA",
                            "LIST_FRAGMENTS",
                            "GET_MEDIA_FOR_FRAGMENT_LIST",
                            "GET_HLS_STREAMING_SESSION_URL",
                            "GET_DASH_STREAMING_SESSION_URL",
                            "GET_CLIP",
                            "GET_IMAGES",
                        ],
                    );
                }
                finish(v)?;
                let stream = i.id.stream()?;
                match op {
                    DescribeStream => Request::Describe(stream),
                    GetDataEndpoint => Request::GetDataEndpoint(stream),
                    ListTagsForStream => Request::ListTags(stream),
                    DescribeImageGenerationConfiguration => {
                        Request::DescribeImageGeneration(stream)
                    }
                    _ => Request::DescribeNotification(stream),
                }
            }
            ListTagsForResource => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(rename = "ResourceARN")]
                    resource_arn: Option<String>,
                    next_token: Option<String>,
                }
                let i: In = parse(body)?;
                v.required("ResourceARN", &i.resource_arn);
                v.string("ResourceARN", i.resource_arn.as_deref(), 1, 1024, Some(ARN));
                v.string(
                    "NextToken",
                    i.next_token.as_deref(),
                    0,
                    1024,
                    Some(NEXT_TOKEN),
                );
                finish(v)?;
                Request::ListTags(StreamRef::Arn(i.resource_arn.unwrap_or_default()))
            }
            ListStreams => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct Condition {
                    comparison_operator: Option<String>,
                    comparison_value: Option<String>,
                }
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    max_results: Option<i64>,
                    next_token: Option<String>,
                    stream_name_condition: Option<Condition>,
                }
                let i: In = parse(body)?;
                v.range("MaxResults", i.max_results, Some(1), Some(10_000));
                v.string(
                    "NextToken",
                    i.next_token.as_deref(),
                    0,
                    1024,
                    Some(NEXT_TOKEN),
                );
                if let Some(c) = &i.stream_name_condition {
                    v.one_of(
                        "StreamNameCondition.ComparisonOperator",
                        c.comparison_operator.as_deref(),
                        &["BEGINS_WITH"],
                    );
                    v.string(
                        "StreamNameCondition.ComparisonValue",
                        c.comparison_value.as_deref(),
                        1,
                        256,
                        Some(NAME),
                    );
                }
                finish(v)?;
                let after = match i.next_token.filter(|t| !t.is_empty()) {
                    Some(t) => Some(decode_token(&t)?),
                    None => None,
                };
                Request::List {
                    max: i.max_results.unwrap_or(10_000) as usize,
                    after,
                    prefix: i.stream_name_condition.and_then(|c| c.comparison_value),
                }
            }
            DeleteStream => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(rename = "StreamARN")]
                    stream_arn: Option<String>,
                    current_version: Option<String>,
                }
                let i: In = parse(body)?;
                v.required("StreamARN", &i.stream_arn);
                v.string("StreamARN", i.stream_arn.as_deref(), 1, 1024, Some(ARN));
                v.string(
                    "CurrentVersion",
                    i.current_version.as_deref(),
                    1,
                    64,
                    Some(VERSION),
                );
                finish(v)?;
                Request::Delete {
                    arn: i.stream_arn.unwrap_or_default(),
                    version: i.current_version,
                }
            }
            UpdateStream => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    current_version: Option<String>,
                    device_name: Option<String>,
                    media_type: Option<String>,
                }
                let i: In = parse(body)?;
                i.id.check(&mut v);
                v.required("CurrentVersion", &i.current_version);
                v.string(
                    "CurrentVersion",
                    i.current_version.as_deref(),
                    1,
                    64,
                    Some(VERSION),
                );
                v.string("DeviceName", i.device_name.as_deref(), 1, 128, Some(NAME));
                v.string(
                    "MediaType",
                    i.media_type.as_deref(),
                    1,
                    128,
                    Some(MEDIA_TYPE),
                );
                finish(v)?;
                Request::Update {
                    stream: i.id.stream()?,
                    version: i.current_version.unwrap_or_default(),
                    update: StreamUpdate {
                        device_name: i.device_name,
                        media_type: i.media_type,
                    },
                }
            }
            UpdateDataRetention => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    current_version: Option<String>,
                    operation: Option<String>,
                    data_retention_change_in_hours: Option<i64>,
                }
                let i: In = parse(body)?;
                i.id.check(&mut v);
                v.required("CurrentVersion", &i.current_version);
                v.string(
                    "CurrentVersion",
                    i.current_version.as_deref(),
                    1,
                    64,
                    Some(VERSION),
                );
                v.required("Operation", &i.operation);
                v.one_of(
                    "Operation",
                    i.operation.as_deref(),
                    &["INCREASE_DATA_RETENTION", "DECREASE_DATA_RETENTION"],
                );
                v.required(
                    "DataRetentionChangeInHours",
                    &i.data_retention_change_in_hours,
                );
                v.range(
                    "DataRetentionChangeInHours",
                    i.data_retention_change_in_hours,
                    Some(1),
                    None,
                );
                finish(v)?;
                Request::UpdateRetention {
                    stream: i.id.stream()?,
                    version: i.current_version.unwrap_or_default(),
                    increase: i.operation.as_deref() == Some("INCREASE_DATA_RETENTION"),
                    hours: u32::try_from(i.data_retention_change_in_hours.unwrap_or(0)).map_err(
                        |_| WireError::invalid_argument("DataRetentionChangeInHours is too large."),
                    )?,
                }
            }
            TagStream => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    tags: Option<BTreeMap<String, String>>,
                }
                let i: In = parse(body)?;
                i.id.check(&mut v);
                v.required("Tags", &i.tags);
                if let Some(t) = &i.tags {
                    v.count("Tags", || format!("{t:?}"), Some(t.len()), 1, 50);
                    check_tags(
                        &mut v,
                        "tags",
                        t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    );
                }
                finish(v)?;
                Request::Tag {
                    stream: i.id.stream()?,
                    tags: i.tags.unwrap_or_default(),
                }
            }
            TagResource => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct Tag {
                    key: Option<String>,
                    value: Option<String>,
                }
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(rename = "ResourceARN")]
                    resource_arn: Option<String>,
                    tags: Option<Vec<Tag>>,
                }
                let i: In = parse(body)?;
                v.required("ResourceARN", &i.resource_arn);
                v.string("ResourceARN", i.resource_arn.as_deref(), 1, 1024, Some(ARN));
                v.required("Tags", &i.tags);
                let mut tags = BTreeMap::new();
                if let Some(t) = &i.tags {
                    v.count("Tags", || format!("{} tags", t.len()), Some(t.len()), 1, 50);
                    for (n, tag) in t.iter().enumerate() {
                        v.required(&format!("tags.{}.member.key", n + 1), &tag.key);
                        v.required(&format!("tags.{}.member.value", n + 1), &tag.value);
                        if let (Some(k), Some(val)) = (&tag.key, &tag.value) {
                            tags.insert(k.clone(), val.clone());
                        }
                    }
                    check_tags(
                        &mut v,
                        "tags",
                        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                    );
                }
                finish(v)?;
                Request::Tag {
                    stream: StreamRef::Arn(i.resource_arn.unwrap_or_default()),
                    tags,
                }
            }
            UntagStream | UntagResource => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    #[serde(rename = "ResourceARN")]
                    resource_arn: Option<String>,
                    tag_key_list: Option<Vec<String>>,
                }
                let i: In = parse(body)?;
                let stream = if op == UntagResource {
                    v.required("ResourceARN", &i.resource_arn);
                    v.string("ResourceARN", i.resource_arn.as_deref(), 1, 1024, Some(ARN));
                    None
                } else {
                    i.id.check(&mut v);
                    Some(i.id)
                };
                v.required("TagKeyList", &i.tag_key_list);
                if let Some(keys) = &i.tag_key_list {
                    v.count(
                        "TagKeyList",
                        || format!("{keys:?}"),
                        Some(keys.len()),
                        1,
                        50,
                    );
                    for k in keys {
                        v.string("tagKeyList.member", Some(k), 1, 128, Some(TAG_KEY));
                    }
                }
                finish(v)?;
                Request::Untag {
                    stream: match stream {
                        Some(id) => id.stream()?,
                        None => StreamRef::Arn(i.resource_arn.unwrap_or_default()),
                    },
                    keys: i.tag_key_list.unwrap_or_default(),
                }
            }
            UpdateImageGenerationConfiguration | UpdateNotificationConfiguration => {
                let raw: serde_json::Value = parse(body)?;
                let id: StreamId = serde_json::from_value(raw.clone()).unwrap_or_default();
                id.check(&mut v);
                let member = if op == UpdateImageGenerationConfiguration {
                    "ImageGenerationConfiguration"
                } else {
                    "NotificationConfiguration"
                };
                let config = raw.get(member).filter(|c| !c.is_null()).cloned();
                if let Some(c) = &config {
                    check_configuration(&mut v, op, member, c);
                }
                finish(v)?;
                let stream = id.stream()?;
                if op == UpdateImageGenerationConfiguration {
                    Request::UpdateImageGeneration { stream, config }
                } else {
                    Request::UpdateNotification { stream, config }
                }
            }
            GetMedia => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct Selector {
                    start_selector_type: Option<String>,
                    after_fragment_number: Option<String>,
                    start_timestamp: Option<f64>,
                    continuation_token: Option<String>,
                }
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    start_selector: Option<Selector>,
                }
                let i: In = parse(body)?;
                i.id.check(&mut v);
                v.required("StartSelector", &i.start_selector);
                if let Some(s) = &i.start_selector {
                    v.required("StartSelector.StartSelectorType", &s.start_selector_type);
                    v.one_of(
                        "StartSelector.StartSelectorType",
                        s.start_selector_type.as_deref(),
                        &[
                            "FRAGMENT_NUMBER",
                            "SERVER_TIMESTAMP",
                            "PRODUCER_TIMESTAMP",
                            "NOW",
                            "EARLIEST",
                            "CONTINUATION_TOKEN",
                        ],
                    );
                    v.string(
                        "StartSelector.AfterFragmentNumber",
                        s.after_fragment_number.as_deref(),
                        1,
                        128,
                        Some(("^[0-9]+$", |s| s.bytes().all(|b| b.is_ascii_digit()))),
                    );
                    v.string(
                        "StartSelector.ContinuationToken",
                        s.continuation_token.as_deref(),
                        1,
                        128,
                        Some(("^[a-zA-Z0-9_\\.\\-]+$", is_name)),
                    );
                }
                finish(v)?;
                let stream = i.id.stream()?;
                let s = i.start_selector.expect("checked");
                let missing = |m: &str, t: &str| {
                    WireError::invalid_argument(format!(
                        "StartSelector.{m} is required when StartSelectorType is {t}."
                    ))
                };
                let selector = match s.start_selector_type.as_deref().unwrap_or("") {
                    "NOW" => StartSelector::Now,
                    "EARLIEST" => StartSelector::Earliest,
                    "FRAGMENT_NUMBER" => StartSelector::FragmentNumber(
                        s.after_fragment_number
                            .ok_or_else(|| missing("AfterFragmentNumber", "FRAGMENT_NUMBER"))?,
                    ),
                    "CONTINUATION_TOKEN" => StartSelector::ContinuationToken(
                        s.continuation_token
                            .ok_or_else(|| missing("ContinuationToken", "CONTINUATION_TOKEN"))?,
                    ),
                    t @ ("SERVER_TIMESTAMP" | "PRODUCER_TIMESTAMP") => {
                        let at = ms_of_seconds(
                            s.start_timestamp
                                .ok_or_else(|| missing("StartTimestamp", t))?,
                        );
                        if t == "SERVER_TIMESTAMP" {
                            StartSelector::ServerTimestamp(at)
                        } else {
                            StartSelector::ProducerTimestamp(at)
                        }
                    }
                    _ => unreachable!("checked by one_of"),
                };
                Request::GetMedia { stream, selector }
            }
            ListFragments => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct Range {
                    start_timestamp: Option<f64>,
                    end_timestamp: Option<f64>,
                }
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct Selector {
                    fragment_selector_type: Option<String>,
                    timestamp_range: Option<Range>,
                }
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    max_results: Option<i64>,
                    next_token: Option<String>,
                    fragment_selector: Option<Selector>,
                }
                let i: In = parse(body)?;
                i.id.check(&mut v);
                v.range("MaxResults", i.max_results, Some(1), Some(1000));
                v.string(
                    "NextToken",
                    i.next_token.as_deref(),
                    1,
                    4096,
                    Some(("[a-zA-Z0-9+/]+={0,2}", is_token)),
                );
                let mut range = None;
                if let Some(s) = &i.fragment_selector {
                    v.required(
                        "FragmentSelector.FragmentSelectorType",
                        &s.fragment_selector_type,
                    );
                    v.one_of(
                        "FragmentSelector.FragmentSelectorType",
                        s.fragment_selector_type.as_deref(),
                        &["PRODUCER_TIMESTAMP", "SERVER_TIMESTAMP"],
                    );
                    v.required("FragmentSelector.TimestampRange", &s.timestamp_range);
                    if let Some(r) = &s.timestamp_range {
                        v.required(
                            "FragmentSelector.TimestampRange.StartTimestamp",
                            &r.start_timestamp,
                        );
                        v.required(
                            "FragmentSelector.TimestampRange.EndTimestamp",
                            &r.end_timestamp,
                        );
                        if let (Some(a), Some(b)) = (r.start_timestamp, r.end_timestamp) {
                            let kind = if s.fragment_selector_type.as_deref()
                                == Some("SERVER_TIMESTAMP")
                            {
                                TimestampKind::Server
                            } else {
                                TimestampKind::Producer
                            };
                            range = Some((kind, ms_of_seconds(a), ms_of_seconds(b)));
                        }
                    }
                }
                finish(v)?;
                if let Some((_, a, b)) = range
                    && a > b
                {
                    return Err(WireError::invalid_argument(
                        "The StartTimestamp must be before the EndTimestamp.",
                    ));
                }
                Request::ListFragments {
                    stream: i.id.stream()?,
                    max: i.max_results.unwrap_or(1000) as usize,
                    after: i.next_token,
                    range,
                }
            }
            GetMediaForFragmentList => {
                #[derive(Deserialize)]
                #[serde(rename_all = "PascalCase")]
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    fragments: Option<Vec<String>>,
                }
                let i: In = parse(body)?;
                i.id.check(&mut v);
                v.required("Fragments", &i.fragments);
                if let Some(f) = &i.fragments {
                    v.count("Fragments", || format!("{f:?}"), Some(f.len()), 1, 1000);
                }
                finish(v)?;
                Request::GetMediaForFragmentList {
                    stream: i.id.stream()?,
                    fragments: i.fragments.unwrap_or_default(),
                }
            }
            other => {
                return Err(WireError::new(
                    "InvalidArgumentException",
                    format!("{} is not a request this decoder reads.", other.name()),
                ));
            }
        };
        Ok(request)
    }
}

/// The members of an image generation or notification configuration.
fn check_configuration(v: &mut Validator, op: Operation, member: &str, c: &serde_json::Value) {
    let str_of = |path: &[&str]| -> Option<String> {
        let mut at = c;
        for p in path {
            at = at.get(*p)?;
        }
        at.as_str().map(str::to_owned)
    };
    let required = |v: &mut Validator, name: &str, present: bool| {
        let value: Option<()> = present.then_some(());
        v.required(&format!("{member}.{name}"), &value);
    };
    let status = str_of(&["Status"]);
    required(v, "Status", status.is_some());
    v.one_of(
        &format!("{member}.Status"),
        status.as_deref(),
        &["ENABLED", "DISABLED"],
    );
    let uri = str_of(&["DestinationConfig", "Uri"]);
    required(v, "DestinationConfig.Uri", uri.is_some());
    v.string(
        &format!("{member}.DestinationConfig.Uri"),
        uri.as_deref(),
        1,
        255,
        Some(("^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$", |u| {
            u.split_once(':').is_some_and(|(scheme, rest)| {
                !scheme.is_empty()
                    && scheme
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !rest.trim_start_matches("//").is_empty()
                    && !rest.contains('*')
            })
        })),
    );
    if op == Operation::UpdateImageGenerationConfiguration {
        let selector = str_of(&["ImageSelectorType"]);
        required(v, "ImageSelectorType", selector.is_some());
        v.one_of(
            &format!("{member}.ImageSelectorType"),
            selector.as_deref(),
            &["SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"],
        );
        let region = str_of(&["DestinationConfig", "DestinationRegion"]);
        required(v, "DestinationConfig.DestinationRegion", region.is_some());
        v.string(
            &format!("{member}.DestinationConfig.DestinationRegion"),
            region.as_deref(),
            9,
            14,
            None,
        );
        let interval = c.get("SamplingInterval").and_then(|i| i.as_i64());
        required(v, "SamplingInterval", interval.is_some());
        let format = str_of(&["Format"]);
        required(v, "Format", format.is_some());
        v.one_of(
            &format!("{member}.Format"),
            format.as_deref(),
            &["JPEG", "PNG"],
        );
        for (name, max) in [("WidthPixels", 3840), ("HeightPixels", 2160)] {
            v.range(
                &format!("{member}.{name}"),
                c.get(name).and_then(|n| n.as_i64()),
                Some(1),
                Some(max),
            );
        }
    }
}

/// ListStreams' NextToken: the last name of the page before, in base64.
pub fn encode_token(last: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(last)
}

fn decode_token(t: &str) -> Result<String, WireError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| WireError::invalid_argument(format!("NextToken {t} is not valid.")))
}

impl From<VideoError> for WireError {
    fn from(e: VideoError) -> Self {
        let message = e.to_string();
        let kind = match e {
            VideoError::InvalidArgument(_) => "InvalidArgumentException",
            VideoError::ResourceNotFound(_) => {
                return WireError {
                    kind: "ResourceNotFoundException",
                    status: 404,
                    message: Some(message),
                };
            }
            VideoError::ResourceInUse(_) => "ResourceInUseException",
            VideoError::VersionMismatch(_) => "VersionMismatchException",
            VideoError::AccountStreamLimitExceeded(_) => "AccountStreamLimitExceededException",
            VideoError::TagsPerResourceExceededLimit(_) => "TagsPerResourceExceededLimitException",
            VideoError::NoDataRetention(_) => "NoDataRetentionException",
            VideoError::ClientLimitExceeded(_) => "ClientLimitExceededException",
            VideoError::NotAuthorized(_) => {
                return WireError {
                    kind: "NotAuthorizedException",
                    status: 401,
                    message: Some(message),
                };
            }
            VideoError::Storage(sluice_storage::StorageError::ShuttingDown) => {
                return WireError {
                    kind: "ServiceUnavailableException",
                    status: 503,
                    message: Some("The service is shutting down; retry.".into()),
                };
            }
            VideoError::Storage(_) | VideoError::Meta(_) => return WireError::internal(),
        };
        WireError::new(kind, message)
    }
}

/// The error body these services send: `{"Message": ...}` (the type is in `x-amzn-ErrorType`).
pub fn error_body(e: &WireError) -> Vec<u8> {
    let mut m = serde_json::Map::new();
    m.insert("__type".into(), e.kind.into());
    m.insert(
        "Message".into(),
        e.message.clone().unwrap_or_default().into(),
    );
    serde_json::Value::Object(m).to_string().into_bytes()
}
