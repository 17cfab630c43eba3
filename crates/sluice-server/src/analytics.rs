//! The Kinesis Analytics endpoint (`KinesisAnalytics_20150814`, AWS JSON 1.1): the shared JSON
//! envelope (`json_api.rs`), then one arm per operation.

use crate::AppState;
use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use sluice_wire::analytics::{self, Operation, Request};
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
        service: crate::auth::ANALYTICS,
        parse: Operation::from_target,
        name: Operation::name,
        latency: |s: &AppState, op: Operation| s.analytics_latency.get(op.index()),
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
    let a = &state.analytics;
    Ok(match Request::decode(op, body)? {
        Request::Create(input) => p.encode(&analytics::create_response(&a.create(input).await?)),
        Request::Describe(name) => {
            let m = a.describe(&name)?;
            p.encode(&analytics::describe_response(&m, &a.arn(&name)))
        }
        Request::List {
            limit,
            exclusive_start,
        } => {
            let (apps, more) = a.list(limit, exclusive_start.as_deref());
            p.encode(&analytics::list_response(&apps, more))
        }
        Request::Delete {
            name,
            create_timestamp_ms,
        } => {
            a.delete(&name, create_timestamp_ms).await?;
            b"{}".to_vec()
        }
        Request::Start { name, inputs } => {
            a.start(&name, inputs, state.stop_deliveries.subscribe())
                .await?;
            b"{}".to_vec()
        }
        Request::Stop(name) => {
            a.stop(&name).await?;
            b"{}".to_vec()
        }
        Request::AddInput {
            name,
            version,
            input,
        } => {
            a.add_input(&name, version, input).await?;
            b"{}".to_vec()
        }
        Request::AddOutput {
            name,
            version,
            output,
        } => {
            a.add_output(&name, version, output).await?;
            b"{}".to_vec()
        }
        Request::DeleteOutput { name, version, id } => {
            a.delete_output(&name, version, &id).await?;
            b"{}".to_vec()
        }
        Request::Update {
            name,
            version,
            update,
        } => {
            a.update(&name, version, update).await?;
            b"{}".to_vec()
        }
        Request::Tag { arn, tags } => {
            a.tag(&arn, tags).await?;
            b"{}".to_vec()
        }
        Request::Untag { arn, keys } => {
            a.untag(&arn, &keys).await?;
            b"{}".to_vec()
        }
        Request::ListTags(arn) => p.encode(&analytics::tags_response(&a.list_tags(&arn)?)),
        Request::Discover(source) => {
            p.encode(&analytics::discover_response(&a.discover(&source).await?))
        }
        Request::AddReference {
            name,
            version,
            reference,
        } => {
            a.add_reference(&name, version, reference).await?;
            b"{}".to_vec()
        }
        Request::AddLogging {
            name,
            version,
            log_stream_arn,
            role_arn,
        } => {
            a.add_logging(&name, version, log_stream_arn, role_arn)
                .await?;
            b"{}".to_vec()
        }
        Request::DeleteLogging { name, version, id } => {
            a.delete_logging(&name, version, &id).await?;
            b"{}".to_vec()
        }
        Request::InputProcessing {
            name,
            version,
            input_id,
            processor,
        } => {
            a.set_input_processing(&name, version, &input_id, processor)
                .await?;
            b"{}".to_vec()
        }
        Request::DeleteReference { name, version, id } => {
            a.delete_reference(&name, version, &id).await?;
            b"{}".to_vec()
        }
    })
}
