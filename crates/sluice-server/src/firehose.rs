//! The Data Firehose endpoint (`Firehose_20150804`, AWS JSON 1.1): the shared JSON envelope
//! (`json_api.rs`), then one arm per operation.

use crate::AppState;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use sluice_wire::firehose::responses::*;
use sluice_wire::firehose::shapes::TagShape;
use sluice_wire::firehose::{Operation, Request};
use sluice_wire::{Protocol, WireError};
use std::sync::Arc;

pub(crate) async fn handle(
    state: &Arc<AppState>,
    method: &http::Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let api = crate::json_api::Api {
        service: crate::auth::FIREHOSE,
        parse: Operation::from_target,
        name: Operation::name,
        latency: |s: &AppState, op: Operation| s.firehose_latency.get(op.index()),
    };
    crate::json_api::handle(
        state,
        api,
        method,
        uri,
        headers,
        body,
        |op, body| async move { dispatch(state, op, &body).await },
    )
    .await
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
