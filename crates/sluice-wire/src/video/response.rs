//! The answers of the Video Streams operations (REST-JSON; timestamps as epoch seconds).

use serde_json::{Value, json};
use sluice_video::model::{FragmentInfo, StreamStatus, VideoStreamMeta};
use std::collections::BTreeMap;

fn seconds(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

fn to_bytes(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

pub fn stream_info(m: &VideoStreamMeta, status: StreamStatus) -> Value {
    let mut v = json!({
        "StreamName": m.name,
        "StreamARN": m.arn,
        "KmsKeyId": m.kms_key_id,
        "Version": m.version,
        "Status": status.as_str(),
        "CreationTime": seconds(m.created_ms),
        "DataRetentionInHours": m.retention_hours,
    });
    if let Some(d) = &m.device_name {
        v["DeviceName"] = json!(d);
    }
    if let Some(t) = &m.media_type {
        v["MediaType"] = json!(t);
    }
    v
}

pub fn create_response(arn: &str) -> Vec<u8> {
    to_bytes(json!({ "StreamARN": arn }))
}

pub fn describe_response(m: &VideoStreamMeta, status: StreamStatus) -> Vec<u8> {
    to_bytes(json!({ "StreamInfo": stream_info(m, status) }))
}

pub fn list_response(streams: &[(VideoStreamMeta, StreamStatus)], more: bool) -> Vec<u8> {
    let mut v = json!({
        "StreamInfoList": streams.iter().map(|(m, s)| stream_info(m, *s)).collect::<Vec<_>>(),
    });
    if more && let Some((last, _)) = streams.last() {
        v["NextToken"] = json!(super::encode_token(&last.name));
    }
    to_bytes(v)
}

pub fn data_endpoint_response(endpoint: &str) -> Vec<u8> {
    to_bytes(json!({ "DataEndpoint": endpoint }))
}

pub fn hls_session_response(url: &str) -> Vec<u8> {
    to_bytes(json!({ "HLSStreamingSessionURL": url }))
}

pub fn dash_session_response(url: &str) -> Vec<u8> {
    to_bytes(json!({ "DASHStreamingSessionURL": url }))
}

pub fn tags_response(tags: &BTreeMap<String, String>) -> Vec<u8> {
    to_bytes(json!({ "Tags": tags }))
}

pub fn image_generation_response(config: Option<&Value>) -> Vec<u8> {
    match config {
        Some(c) => to_bytes(json!({ "ImageGenerationConfiguration": c })),
        None => b"{}".to_vec(),
    }
}

pub fn notification_response(config: Option<&Value>) -> Vec<u8> {
    match config {
        Some(c) => to_bytes(json!({ "NotificationConfiguration": c })),
        None => b"{}".to_vec(),
    }
}

pub fn fragments_response(fragments: &[FragmentInfo], next: Option<&str>) -> Vec<u8> {
    let list: Vec<Value> = fragments
        .iter()
        .map(|f| {
            json!({
                "FragmentNumber": f.number,
                "FragmentSizeInBytes": f.size,
                "ProducerTimestamp": seconds(f.producer_ms),
                "ServerTimestamp": seconds(f.server_ms),
                "FragmentLengthInMilliseconds": f.duration_ms,
            })
        })
        .collect();
    let mut v = json!({ "Fragments": list });
    if let Some(n) = next {
        v["NextToken"] = json!(n);
    }
    to_bytes(v)
}
