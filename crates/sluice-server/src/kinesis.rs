//! The Kinesis Data Streams endpoint: envelope checks, then one arm per operation that decodes
//! the request (wire), calls the domain service, and encodes the answer (wire).

use crate::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use sluice_streams::Subscription;
use sluice_streams::policy::Principal;
use sluice_wire::kinesis::Operation;
use sluice_wire::kinesis::control::*;
use sluice_wire::kinesis::fanout::{
    self, DescribeStreamConsumerResponse, ListStreamConsumersResponse,
    RegisterStreamConsumerResponse,
};
use sluice_wire::kinesis::records::*;
use sluice_wire::kinesis::request::Request;
use sluice_wire::kinesis::reshard::UpdateShardCountResponse;
use sluice_wire::kinesis::settings::*;
use sluice_wire::{Protocol, WireError};
use std::sync::Arc;
use std::time::Instant;

pub(crate) async fn handle(
    state: &Arc<AppState>,
    method: &http::Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let api = crate::envelope::Api {
        service: crate::auth::KINESIS,
        parse: Operation::from_target,
        name: Operation::name,
        cbor: true,
    };
    let opened = match crate::envelope::open(state, &api, method, uri, headers, body).await {
        Ok(opened) => opened,
        Err(answer) => return answer,
    };
    let (op, protocol, body) = (opened.op, opened.protocol, opened.body.clone());
    let access_key = opened.access_key.clone();
    // Resource policies need the principal: only looked up once some apply.
    let principal = if !state.principals.is_empty() || state.streams.has_resource_policies() {
        let key = access_key.or_else(|| crate::auth::claimed_access_key(headers, uri));
        Some(
            key.and_then(|k| state.principals.get(&k).cloned())
                .unwrap_or_else(|| Principal::root(&state.streams.config().account_id)),
        )
    } else {
        None
    };
    let result = dispatch(state, op, protocol, &body, principal.as_ref()).await;
    let elapsed = started.elapsed().as_secs_f64();
    state.latency[op.index()].record(elapsed);
    let (content_type, body) = match result {
        Ok(Answer::Body(out)) => (protocol.content_type(), Body::from(out)),
        Ok(Answer::Subscription(sub)) => (
            fanout::EVENT_STREAM_CONTENT_TYPE,
            subscription_body(state.clone(), protocol, sub),
        ),
        Err(e) => return error_response(protocol, &e, op.name()),
    };
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    h.insert("x-amzn-requestid", request_id());
    resp
}

/// What an operation answers: a body, or (SubscribeToShard) a subscription whose events are
/// streamed.
enum Answer {
    Body(Vec<u8>),
    Subscription(Subscription),
}

impl From<Vec<u8>> for Answer {
    fn from(body: Vec<u8>) -> Self {
        Answer::Body(body)
    }
}

/// The event stream of a subscription: `initial-response`, then one message per event until
/// the subscription ends (or an `exception` message if it fails). Dropping the body (the client
/// went away) drops the subscription, which frees its place for the next one.
fn subscription_body(state: Arc<AppState>, p: Protocol, sub: Subscription) -> Body {
    let gauge = metrics::gauge!("sluice_subscriptions_active");
    gauge.increment(1.0);
    struct Live {
        state: Arc<AppState>,
        sub: Subscription,
        started: bool,
        done: bool,
        gauge: metrics::Gauge,
    }
    impl Drop for Live {
        fn drop(&mut self) {
            self.gauge.decrement(1.0);
        }
    }
    let live = Live {
        state,
        sub,
        started: false,
        done: false,
        gauge,
    };
    let events = futures_util::stream::unfold(live, move |mut live| async move {
        if live.done {
            return None;
        }
        if !live.started {
            live.started = true;
            return Some((
                Ok::<_, std::convert::Infallible>(fanout::initial_response(p)),
                live,
            ));
        }
        let frame = match live.state.streams.next_event(&mut live.sub).await {
            Ok(Some(event)) => fanout::event(p, event),
            Ok(None) => return None,
            Err(e) => {
                live.done = true;
                let e = WireError::from(e);
                metrics::counter!("sluice_errors_total", "operation" => "SubscribeToShard", "type" => e.kind)
                    .increment(1);
                fanout::exception(p, &e)
            }
        };
        Some((Ok(frame), live))
    });
    Body::from_stream(events)
}

/// A random request id in AWS's form (UUID layout, lowercase hex).
pub(crate) fn request_id() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut r: u128 = rand::random();
    let mut out = [0u8; 36];
    for (i, b) in out.iter_mut().enumerate().rev() {
        if matches!(i, 8 | 13 | 18 | 23) {
            *b = b'-';
        } else {
            *b = HEX[(r & 0xf) as usize];
            r >>= 4;
        }
    }
    HeaderValue::from_bytes(&out).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

pub(crate) fn error_response(protocol: Protocol, e: &WireError, op: &'static str) -> Response {
    metrics::counter!("sluice_errors_total", "operation" => op, "type" => e.kind).increment(1);
    if e.status >= 500 {
        tracing::error!(operation = op, error = %e, "request failed");
    }
    let mut resp = Response::new(Body::from(e.body(protocol)));
    *resp.status_mut() = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(protocol.content_type()),
    );
    h.insert("x-amzn-requestid", request_id());
    if let Ok(v) = HeaderValue::from_str(e.kind) {
        h.insert("x-amzn-errortype", v);
    }
    resp
}

/// Operations with no output answer with an empty body.
fn empty() -> Vec<u8> {
    Vec::new()
}

async fn dispatch(
    state: &AppState,
    op: Operation,
    p: Protocol,
    body: &Bytes,
    principal: Option<&Principal>,
) -> Result<Answer, WireError> {
    let streams = &state.streams;
    let request = Request::decode(op, p, body)?;
    if let Some(principal) = principal
        && let Some(target) = request.access_target()
    {
        streams.authorize(principal, &format!("kinesis:{}", op.name()), &target)?;
    }
    Ok(match request {
        Request::SubscribeToShard {
            consumer_arn,
            shard,
            start,
        } => {
            return Ok(Answer::Subscription(
                streams.subscribe(&consumer_arn, &shard, start).await?,
            ));
        }
        Request::RegisterStreamConsumer {
            stream_arn,
            name,
            tags,
        } => p.encode(&RegisterStreamConsumerResponse {
            consumer: streams
                .register_consumer(&stream_arn, &name, &tags)
                .await?
                .into(),
        }),
        Request::DescribeStreamConsumer(r) => p.encode(&DescribeStreamConsumerResponse::from(
            streams.describe_consumer(&r)?,
        )),
        Request::ListStreamConsumers {
            stream_arn,
            stream_created_ms,
            next_token,
            max_results,
        } => p.encode(&ListStreamConsumersResponse::from(streams.list_consumers(
            &stream_arn,
            stream_created_ms,
            next_token.as_deref(),
            max_results,
        )?)),
        Request::DeregisterStreamConsumer(r) => {
            streams.deregister_consumer(&r).await?;
            empty()
        }
        Request::CreateStream(input) => {
            streams.create_stream(input).await?;
            empty()
        }
        Request::DeleteStream {
            stream,
            enforce_consumer_deletion,
        } => {
            streams
                .delete_stream(&stream, enforce_consumer_deletion)
                .await?;
            empty()
        }
        Request::DescribeStream {
            stream,
            limit,
            exclusive_start_shard_id,
        } => p.encode(&DescribeStreamResponse::from(streams.describe_stream(
            &stream,
            limit,
            exclusive_start_shard_id,
        )?)),
        Request::DescribeStreamSummary(stream) => p.encode(&DescribeStreamSummaryResponse::from(
            streams.describe_stream_summary(&stream)?,
        )),
        Request::ListStreams {
            limit,
            exclusive_start_stream_name,
            next_token,
        } => p.encode(&ListStreamsResponse::from(streams.list_streams(
            limit,
            exclusive_start_stream_name.as_deref(),
            next_token.as_deref(),
        )?)),
        Request::ListShards(input) => {
            p.encode(&ListShardsResponse::from(streams.list_shards(input)?))
        }
        Request::PutRecord {
            stream,
            record,
            ordering,
        } => {
            let out = streams
                .put_record(&stream, record, ordering.as_deref())
                .await?;
            p.encode(&PutRecordResponse::from(out))
        }
        Request::PutRecords { stream, records } => p.encode(&PutRecordsResponse::from(
            streams.put_records(&stream, records).await?,
        )),
        Request::GetShardIterator {
            stream,
            shard,
            kind,
        } => {
            let shard_iterator = streams.get_shard_iterator(&stream, &shard, kind).await?;
            p.encode(&GetShardIteratorResponse { shard_iterator })
        }
        Request::GetRecords { iterator, limit } => {
            // Held until the answer is encoded: it bounds how many answers are in memory at once.
            let _permit = state
                .reads
                .acquire()
                .await
                .map_err(|_| WireError::internal())?;
            GetRecordsResponse::from(streams.get_records(&iterator, limit).await?).encode(p)
        }
        Request::IncreaseStreamRetentionPeriod { stream, hours } => {
            streams.increase_retention(&stream, hours).await?;
            empty()
        }
        Request::DecreaseStreamRetentionPeriod { stream, hours } => {
            streams.decrease_retention(&stream, hours).await?;
            empty()
        }
        Request::AddTagsToStream { stream, tags } => {
            streams.add_tags(&stream, tags).await?;
            empty()
        }
        Request::RemoveTagsFromStream { stream, keys } => {
            streams.remove_tags(&stream, keys).await?;
            empty()
        }
        Request::ListTagsForStream {
            stream,
            exclusive_start_tag_key,
            limit,
        } => p.encode(&ListTagsForStreamResponse::from(streams.list_tags(
            &stream,
            exclusive_start_tag_key.as_deref(),
            limit,
        )?)),
        Request::TagResource { arn, tags } => {
            streams.tag_resource(&arn, tags).await?;
            empty()
        }
        Request::UntagResource { arn, keys } => {
            streams.untag_resource(&arn, keys).await?;
            empty()
        }
        Request::ListTagsForResource { arn } => p.encode(&ListTagsForResourceResponse::from(
            streams.resource_tags(&arn)?,
        )),
        Request::EnhancedMonitoring {
            stream,
            metrics,
            enable,
        } => p.encode(&EnhancedMonitoringResponse::from(
            streams
                .set_shard_level_metrics(&stream, &metrics, enable)
                .await?,
        )),
        Request::UpdateMaxRecordSize { stream, kib } => {
            streams.update_max_record_size(&stream, kib).await?;
            empty()
        }
        Request::PutResourcePolicy { arn, policy } => {
            streams.set_resource_policy(&arn, Some(policy)).await?;
            empty()
        }
        Request::GetResourcePolicy { arn } => {
            let policy = streams.resource_policy_of(&arn)?;
            p.encode(&GetResourcePolicyResponse {
                policy: policy.unwrap_or_else(|| "{}".into()),
            })
        }
        Request::DeleteResourcePolicy { arn } => {
            streams.set_resource_policy(&arn, None).await?;
            empty()
        }
        Request::SplitShard {
            stream,
            shard,
            new_starting_hash_key,
        } => {
            streams
                .split_shard(&stream, &shard, new_starting_hash_key)
                .await?;
            empty()
        }
        Request::MergeShards {
            stream,
            shard,
            adjacent,
        } => {
            streams.merge_shards(&stream, &shard, &adjacent).await?;
            empty()
        }
        Request::UpdateShardCount { stream, target } => {
            let current = streams.update_shard_count(&stream, target).await?;
            p.encode(&UpdateShardCountResponse {
                stream_arn: streams.stream_arn(stream.as_str()),
                stream_name: stream.to_string(),
                current_shard_count: current,
                target_shard_count: target,
            })
        }
        Request::UpdateStreamMode { stream, mode } => {
            streams.update_stream_mode(&stream, mode).await?;
            empty()
        }
        Request::StartStreamEncryption { stream, key_id } => {
            streams.start_encryption(&stream, &key_id).await?;
            empty()
        }
        Request::StopStreamEncryption { stream, key_id } => {
            streams.stop_encryption(&stream, &key_id).await?;
            empty()
        }
        Request::DescribeLimits => {
            p.encode(&DescribeLimitsResponse::from(streams.describe_limits()))
        }
        Request::DescribeAccountSettings => p.encode(&AccountSettingsResponse::from(
            streams.describe_account_settings()?,
        )),
        Request::UpdateAccountSettings { enable } => p.encode(&AccountSettingsResponse::from(
            streams.update_account_settings(enable).await?,
        )),
        Request::UpdateStreamWarmThroughput { stream, mibps } => {
            let (target, current) = streams.update_warm_throughput(&stream, mibps).await?;
            p.encode(&UpdateStreamWarmThroughputResponse {
                stream_arn: streams.stream_arn(stream.as_str()),
                stream_name: stream.to_string(),
                warm_throughput: WarmThroughputOut {
                    target_mibps: target,
                    current_mibps: current,
                },
            })
        }
        Request::Unsupported(op) => {
            return Err(WireError::new(
                "UnsupportedOperationException",
                format!("Sluice does not support {} yet.", op.name()),
            ));
        }
        Request::DryRun(inner) => {
            // What can be checked without an effect: the request was validated when decoded;
            // the stream (and for GetShardIterator the shard and position) must exist.
            match *inner {
                Request::PutRecord { stream, .. } | Request::PutRecords { stream, .. } => {
                    streams.describe_stream_summary(&stream)?;
                }
                Request::GetShardIterator {
                    stream,
                    shard,
                    kind,
                } => {
                    streams.get_shard_iterator(&stream, &shard, kind).await?;
                }
                _ => {}
            }
            return Err(WireError::new(
                "DryRunOperationException",
                "Request would have succeeded, but DryRun flag is set.",
            ));
        }
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::request_id;

    #[test]
    fn request_ids_have_the_uuid_layout_and_differ() {
        let a = request_id();
        let b = request_id();
        assert_ne!(a, b);
        let s = a.to_str().unwrap();
        assert_eq!(s.len(), 36);
        for (i, c) in s.chars().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                assert_eq!(c, '-', "{s}");
            } else {
                assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{s}");
            }
        }
    }
}
