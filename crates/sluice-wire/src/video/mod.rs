//! Kinesis Video Streams (`kinesisvideo`, `kinesis-video-media`, `kinesis-video-archived-media`;
//! REST-JSON): the operations by path, their request shapes with AWS's validation, conversion
//! to domain input, the answers, and the error mapping. PutMedia's body and GetMedia's answer
//! are streams of bytes, which the server moves; this module reads and writes their JSON parts.

mod playback;
mod response;
mod shapes;

pub use response::*;

use crate::WireError;
use crate::validate::{Pattern, Validator};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sluice_video::VideoError;
use sluice_video::hls::SessionInput;
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
            GetImages => Some(
                "GetImages is not supported by Sluice: it would need an H.264/H.265 decoder, and no \
                 well-kept Rust decoder crate makes that practical. Use GetClip or HLS and decode \
                 frames with ffmpeg.",
            ),
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
    /// GetHLSStreamingSessionURL or GetDASHStreamingSessionURL (`protocol` tells them apart).
    PlaybackSession(SessionInput),
    GetClip {
        stream: StreamRef,
        kind: TimestampKind,
        start_ms: i64,
        end_ms: i64,
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
            VideoError::UnsupportedStreamMediaType(_) => "UnsupportedStreamMediaTypeException",
            VideoError::MissingCodecPrivateData(_) => "MissingCodecPrivateDataException",
            VideoError::InvalidCodecPrivateData(_) => "InvalidCodecPrivateDataException",
            VideoError::InvalidMediaFrame(_) => "InvalidMediaFrameException",
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
            VideoError::Storage(e) => return WireError::storage(&e),
            VideoError::Meta(_) => return WireError::internal(),
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
