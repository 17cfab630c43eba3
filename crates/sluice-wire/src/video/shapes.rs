//! The request shapes of the Video Streams operations: `Request::decode`, with the models'
//! constraints checked (InvalidArgumentException, AWS's texts) and conversion to domain input.

use super::*;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A FragmentSelector (ListFragments), HLS/DASHFragmentSelector or ClipFragmentSelector: the
/// kind of timestamps and their range.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TimeSelector {
    pub(super) fragment_selector_type: Option<String>,
    pub(super) timestamp_range: Option<TimeRange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TimeRange {
    pub(super) start_timestamp: Option<f64>,
    pub(super) end_timestamp: Option<f64>,
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
                struct In {
                    #[serde(flatten)]
                    id: StreamId,
                    max_results: Option<i64>,
                    next_token: Option<String>,
                    fragment_selector: Option<TimeSelector>,
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
            GetHLSStreamingSessionURL | GetDASHStreamingSessionURL => {
                return super::playback::session(op, body, v);
            }
            GetClip => return super::playback::clip(body, v),
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
