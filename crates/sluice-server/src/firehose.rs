//! The Data Firehose endpoint (`Firehose_20150804`, AWS JSON 1.1): the same envelope checks and
//! signature verification as Kinesis, then one arm per operation.

use crate::AppState;
use crate::kinesis::{error_response, request_id};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sluice_wire::firehose::responses::*;
use sluice_wire::firehose::shapes::TagShape;
use sluice_wire::firehose::{Operation, Request};
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
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Firehose speaks JSON only.
    if Protocol::from_content_type(content_type) != Some(Protocol::Json) {
        return (StatusCode::NOT_FOUND, "<UnknownOperationException/>\n").into_response();
    }
    let p = Protocol::Json;
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(op) = Operation::from_target(target) else {
        return error_response(p, &WireError::unknown_operation(), "unknown");
    };
    let body = match axum::body::to_bytes(body, state.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "").into_response(),
    };
    if let Some(verifier) = &state.auth {
        let signed = crate::auth::SignedRequest {
            method,
            uri,
            headers,
            body: &body,
            service: crate::auth::FIREHOSE,
        };
        if let Err(e) = verifier.verify(&signed) {
            return error_response(p, &e, op.name());
        }
    }
    let result = dispatch(state, op, &body).await;
    state.firehose_latency[op.index()].record(started.elapsed().as_secs_f64());
    match result {
        Ok(out) => {
            let mut resp = Response::new(Body::from(out));
            let h = resp.headers_mut();
            h.insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(p.content_type()),
            );
            h.insert("x-amzn-requestid", request_id());
            resp
        }
        Err(e) => error_response(p, &e, op.name()),
    }
}

async fn dispatch(state: &Arc<AppState>, op: Operation, body: &[u8]) -> Result<Vec<u8>, WireError> {
    let p = Protocol::Json;
    let firehose = &state.firehose;
    Ok(match Request::decode(op, body)? {
        Request::Create(input) => {
            let name = input.name.clone();
            let arn = firehose.create(input).await?;
            let stop = state.stop_deliveries.subscribe();
            tokio::spawn(firehose.clone().run_source(name.clone(), stop.clone()));
            tokio::spawn(firehose.clone().run_delivery(name, stop));
            p.encode(&CreateDeliveryStreamResponse {
                delivery_stream_arn: arn,
            })
        }
        Request::Delete(name) => {
            firehose.delete(&name).await?;
            b"{}".to_vec()
        }
        Request::Describe {
            name,
            limit,
            exclusive_start_destination_id,
        } => p.encode(&DescribeDeliveryStreamResponse::from(firehose.describe(
            &name,
            limit,
            exclusive_start_destination_id.as_deref(),
        )?)),
        Request::List(input) => {
            let out = firehose.list(&input);
            p.encode(&ListDeliveryStreamsResponse {
                delivery_stream_names: out.names,
                has_more_delivery_streams: out.has_more,
            })
        }
        Request::PutRecord { name, data } => {
            let (record_id, encrypted) = firehose.put_record(&name, data).await?;
            p.encode(&PutRecordResponse {
                record_id,
                encrypted,
            })
        }
        Request::PutRecordBatch { name, records } => {
            let (entries, encrypted) = firehose.put_record_batch(&name, records).await?;
            p.encode(&PutRecordBatchResponse::new(entries, encrypted))
        }
        Request::StartEncryption { name, input } => {
            firehose.start_encryption(&name, input).await?;
            b"{}".to_vec()
        }
        Request::StopEncryption(name) => {
            firehose.stop_encryption(&name).await?;
            b"{}".to_vec()
        }
        Request::UpdateDestination {
            name,
            current_version,
            destination_id,
            update,
        } => {
            firehose
                .update_destination(&name, &current_version, &destination_id, update)
                .await?;
            b"{}".to_vec()
        }
        Request::Tag { name, tags } => {
            firehose.tag(&name, &tags).await?;
            b"{}".to_vec()
        }
        Request::Untag { name, keys } => {
            firehose.untag(&name, &keys).await?;
            b"{}".to_vec()
        }
        Request::ListTags {
            name,
            exclusive_start,
            limit,
        } => {
            let out = firehose.list_tags(&name, exclusive_start.as_deref(), limit)?;
            p.encode(&ListTagsForDeliveryStreamResponse {
                tags: out
                    .tags
                    .into_iter()
                    .map(|(k, v)| TagShape {
                        key: Some(k),
                        value: Some(v),
                    })
                    .collect(),
                has_more_tags: out.has_more,
            })
        }
        Request::Unsupported(op) => {
            return Err(WireError::invalid_argument(format!(
                "{} is not supported by Sluice yet.",
                op.name()
            )));
        }
    })
}
