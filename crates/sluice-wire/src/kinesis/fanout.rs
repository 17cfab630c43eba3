//! Enhanced fan-out: the consumer operations, SubscribeToShard's request, and the frames of its
//! answer. SubscribeToShard answers with an `application/vnd.amazon.eventstream` body: an
//! `initial-response` event first (boto3 waits for it), then SubscribeToShardEvent events, each
//! a message whose payload is the event structure in the request's protocol (JSON or CBOR); an
//! error after the answer has started is an `exception` message.

use super::records::{ChildShardOut, ITERATOR_TYPES, RecordOut, iterator_type};
use super::{check_shard, check_stream};
use crate::types::Timestamp;
use crate::validate::{self, Validator};
use crate::{Protocol, WireError};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sluice_streams::model::{
    ConsumerDescription, ConsumerRef, IteratorType, ListConsumersOutput, SubscribeEvent,
};
use std::collections::BTreeMap;

pub const EVENT_STREAM_CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";
pub const CONSUMER_ARN_PATTERN: &str =
    r"^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+";

/// `arn:aws…:kinesis:{region}:{12 digits}:…stream/{name}/consumer/{name}:{digits}` (the model's
/// ConsumerARN pattern, which is anchored at the start only).
pub fn is_consumer_arn(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("arn:aws") else {
        return false;
    };
    let Some(i) = rest.find(":kinesis:") else {
        return false;
    };
    let after = &rest[i + ":kinesis:".len()..];
    // `.*:\d{12}:` then `.*stream/`: some `:` followed by 12 digits and `:`.
    let digits12 = |t: &str| {
        t.len() >= 13 && t.as_bytes()[12] == b':' && t[..12].bytes().all(|b| b.is_ascii_digit())
    };
    let Some(j) =
        (0..after.len()).find(|&j| after.as_bytes()[j] == b':' && digits12(&after[j + 1..]))
    else {
        return false;
    };
    let tail = &after[j + 14..];
    let Some(k) = tail.find("stream/") else {
        return false;
    };
    let resource = &tail[k + "stream/".len()..];
    let Some((stream, consumer)) = resource.split_once("/consumer/") else {
        return false;
    };
    let Some((name, secs)) = consumer.split_once(':') else {
        return false;
    };
    validate::is_stream_name(stream)
        && validate::is_stream_name(name)
        && secs.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

fn check_consumer_arn(v: &mut Validator, value: Option<&str>) {
    v.string(
        "ConsumerARN",
        value,
        1,
        2048,
        Some((CONSUMER_ARN_PATTERN, is_consumer_arn)),
    );
}

fn check_consumer_name(v: &mut Validator, value: Option<&str>) {
    v.string(
        "ConsumerName",
        value,
        1,
        128,
        Some((validate::STREAM_NAME_PATTERN, validate::is_stream_name)),
    );
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterStreamConsumerRequest {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub consumer_name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
}

/// RegisterStreamConsumer input: StreamARN, ConsumerName, Tags.
pub type RegisterInput = (String, String, Vec<(String, String)>);

impl RegisterStreamConsumerRequest {
    /// (StreamARN, ConsumerName, Tags)
    pub fn into_domain(self) -> Result<RegisterInput, WireError> {
        let mut v = Validator::new();
        v.required("StreamARN", &self.stream_arn);
        v.required("ConsumerName", &self.consumer_name);
        check_stream(&mut v, None, self.stream_arn.as_deref());
        check_consumer_name(&mut v, self.consumer_name.as_deref());
        if let Some(tags) = &self.tags {
            v.count("Tags", || format!("{tags:?}"), Some(tags.len()), 1, 50);
        }
        v.finish()?;
        Ok((
            self.stream_arn.unwrap_or_default(),
            self.consumer_name.unwrap_or_default(),
            self.tags.unwrap_or_default().into_iter().collect(),
        ))
    }
}

/// DescribeStreamConsumer and DeregisterStreamConsumer: a ConsumerARN, or a StreamARN and a
/// ConsumerName.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerRequest {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub consumer_name: Option<String>,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: Option<String>,
}

impl ConsumerRequest {
    pub fn into_domain(self) -> Result<ConsumerRef, WireError> {
        let mut v = Validator::new();
        check_stream(&mut v, None, self.stream_arn.as_deref());
        check_consumer_name(&mut v, self.consumer_name.as_deref());
        check_consumer_arn(&mut v, self.consumer_arn.as_deref());
        v.finish()?;
        match (self.consumer_arn, self.stream_arn, self.consumer_name) {
            (Some(arn), _, _) => Ok(ConsumerRef::Arn(arn)),
            (None, Some(stream_arn), Some(name)) => Ok(ConsumerRef::Name { stream_arn, name }),
            _ => Err(WireError::invalid_argument(
                "Either ConsumerARN or both StreamARN and ConsumerName must be provided.",
            )),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamConsumersRequest {
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub stream_creation_timestamp: Option<Timestamp>,
}

/// ListStreamConsumers input: StreamARN, creation time, NextToken, MaxResults.
pub type ListConsumersInput = (String, Option<i64>, Option<String>, Option<u32>);

impl ListStreamConsumersRequest {
    pub fn into_domain(self) -> Result<ListConsumersInput, WireError> {
        let mut v = Validator::new();
        v.required("StreamARN", &self.stream_arn);
        check_stream(&mut v, None, self.stream_arn.as_deref());
        v.string("NextToken", self.next_token.as_deref(), 1, 1_048_576, None);
        v.range("MaxResults", self.max_results, Some(1), Some(10_000));
        v.finish()?;
        Ok((
            self.stream_arn.unwrap_or_default(),
            self.stream_creation_timestamp.map(|t| t.0),
            self.next_token,
            self.max_results.map(|m| m as u32),
        ))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerOut {
    pub consumer_name: String,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    pub consumer_status: &'static str,
    pub consumer_creation_timestamp: Timestamp,
}

impl From<ConsumerDescription> for ConsumerOut {
    fn from(c: ConsumerDescription) -> Self {
        Self {
            consumer_name: c.name,
            consumer_arn: c.arn,
            consumer_status: c.status.as_str(),
            consumer_creation_timestamp: Timestamp(c.created_ms),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterStreamConsumerResponse {
    pub consumer: ConsumerOut,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumerDescriptionOut {
    pub consumer_name: String,
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: String,
    pub consumer_status: &'static str,
    pub consumer_creation_timestamp: Timestamp,
    #[serde(rename = "StreamARN")]
    pub stream_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamConsumerResponse {
    pub consumer_description: ConsumerDescriptionOut,
}

impl From<ConsumerDescription> for DescribeStreamConsumerResponse {
    fn from(c: ConsumerDescription) -> Self {
        Self {
            consumer_description: ConsumerDescriptionOut {
                consumer_name: c.name,
                consumer_arn: c.arn,
                consumer_status: c.status.as_str(),
                consumer_creation_timestamp: Timestamp(c.created_ms),
                stream_arn: c.stream_arn,
            },
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamConsumersResponse {
    pub consumers: Vec<ConsumerOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl From<ListConsumersOutput> for ListStreamConsumersResponse {
    fn from(o: ListConsumersOutput) -> Self {
        Self {
            consumers: o.consumers.into_iter().map(ConsumerOut::from).collect(),
            next_token: o.next_token,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartingPositionIn {
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub sequence_number: Option<String>,
    pub timestamp: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeToShardRequest {
    #[serde(rename = "ConsumerARN")]
    pub consumer_arn: Option<String>,
    pub shard_id: Option<String>,
    pub starting_position: Option<StartingPositionIn>,
    pub dry_run: Option<bool>,
}

impl SubscribeToShardRequest {
    /// (ConsumerARN, ShardId, starting position)
    pub fn into_domain(self) -> Result<(String, String, IteratorType), WireError> {
        let mut v = Validator::new();
        v.required("ConsumerARN", &self.consumer_arn);
        check_consumer_arn(&mut v, self.consumer_arn.as_deref());
        check_shard(&mut v, "ShardId", &self.shard_id);
        v.required("StartingPosition", &self.starting_position);
        if let Some(p) = &self.starting_position {
            v.required("StartingPosition.Type", &p.kind);
            v.one_of("StartingPosition.Type", p.kind.as_deref(), &ITERATOR_TYPES);
            v.string(
                "StartingPosition.SequenceNumber",
                p.sequence_number.as_deref(),
                0,
                usize::MAX,
                Some((validate::SEQUENCE_NUMBER_PATTERN, |s| {
                    validate::is_decimal(s, 129)
                })),
            );
        }
        v.finish()?;
        let p = self
            .starting_position
            .ok_or_else(|| WireError::invalid_argument("StartingPosition is required."))?;
        let start = iterator_type(
            p.kind.as_deref().unwrap_or_default(),
            p.sequence_number,
            p.timestamp,
        )?;
        Ok((
            self.consumer_arn.unwrap_or_default(),
            self.shard_id.unwrap_or_default(),
            start,
        ))
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeToShardEventOut {
    pub records: Vec<RecordOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_sequence_number: Option<String>,
    pub millis_behind_latest: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_shards: Option<Vec<ChildShardOut>>,
}

impl From<SubscribeEvent> for SubscribeToShardEventOut {
    fn from(e: SubscribeEvent) -> Self {
        Self {
            records: e.records.into_iter().map(RecordOut::from).collect(),
            continuation_sequence_number: e.continuation.map(|c| c.to_string()),
            millis_behind_latest: e.millis_behind_latest,
            child_shards: e
                .child_shards
                .map(|c| c.into_iter().map(ChildShardOut::from).collect()),
        }
    }
}

fn frame(headers: Vec<Header>, payload: Vec<u8>) -> Bytes {
    let message = Message::new_from_parts(headers, payload);
    let mut out = Vec::with_capacity(message.payload().len() + 128);
    // Writing to a Vec fails only for a message over the format's 16 MiB limit; events are
    // capped well below it (10,000 records, 2 MiB of data).
    if aws_smithy_eventstream::frame::write_message_to(&message, &mut out).is_err() {
        out.clear();
    }
    Bytes::from(out)
}

fn string(name: &'static str, value: &'static str) -> Header {
    Header::new(name, HeaderValue::String(value.into()))
}

/// The first message of a SubscribeToShard answer.
pub fn initial_response(p: Protocol) -> Bytes {
    let payload = match p {
        Protocol::Json => b"{}".to_vec(),
        Protocol::Cbor => vec![0xa0],
    };
    frame(
        vec![
            string(":event-type", "initial-response"),
            string(":content-type", p.content_type()),
            string(":message-type", "event"),
        ],
        payload,
    )
}

/// One SubscribeToShardEvent message.
pub fn event(p: Protocol, e: SubscribeEvent) -> Bytes {
    let out = SubscribeToShardEventOut::from(e);
    frame(
        vec![
            string(":event-type", "SubscribeToShardEvent"),
            string(":content-type", p.content_type()),
            string(":message-type", "event"),
        ],
        p.encode(&out),
    )
}

/// An error after the answer has started: an `exception` message.
pub fn exception(p: Protocol, e: &WireError) -> Bytes {
    #[derive(Serialize)]
    struct Body<'a> {
        message: &'a str,
    }
    frame(
        vec![
            string(":exception-type", e.kind),
            string(":content-type", p.content_type()),
            string(":message-type", "exception"),
        ],
        p.encode(&Body {
            message: e.message.as_deref().unwrap_or(e.kind),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_arns() {
        assert!(is_consumer_arn(
            "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1545000000"
        ));
        assert!(!is_consumer_arn(
            "arn:aws:kinesis:us-east-1:123456789012:stream/s"
        ));
        assert!(!is_consumer_arn(
            "arn:aws:kinesis:us-east-1:1234:stream/s/consumer/c:1"
        ));
        assert!(!is_consumer_arn(
            "arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:x"
        ));
    }

    #[test]
    fn frames_decode_with_the_sdk_decoder() {
        use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
        let mut bytes = initial_response(Protocol::Json).to_vec();
        bytes.extend_from_slice(&exception(
            Protocol::Json,
            &WireError::new("ResourceNotFoundException", "gone"),
        ));
        let mut buf = &bytes[..];
        let mut decoder = MessageFrameDecoder::new();
        let mut seen = Vec::new();
        while let Ok(DecodedFrame::Complete(m)) = decoder.decode_frame(&mut buf) {
            let h = |n: &str| {
                m.headers()
                    .iter()
                    .find(|h| h.name().as_str() == n)
                    .and_then(|h| h.value().as_string().ok())
                    .map(|s| s.as_str().to_owned())
            };
            seen.push((
                h(":message-type"),
                h(":event-type"),
                h(":exception-type"),
                m.payload().clone(),
            ));
        }
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].0.as_deref(), Some("event"));
        assert_eq!(seen[0].1.as_deref(), Some("initial-response"));
        assert_eq!(&seen[0].3[..], b"{}");
        assert_eq!(seen[1].2.as_deref(), Some("ResourceNotFoundException"));
        assert_eq!(&seen[1].3[..], br#"{"message":"gone"}"#);
    }
}
