//! The envelope shared by the AWS JSON 1.1 endpoints other than Kinesis (Firehose, Analytics):
//! JSON content type only, the operation from `X-Amz-Target`, the body size limit, the
//! signature check for the API's own service, then the operation, its latency recorded, and
//! the answer or an AWS-shaped error with a request id.

use crate::AppState;
use crate::kinesis::{error_response, request_id};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sluice_wire::{Protocol, WireError};
use std::sync::Arc;
use std::time::Instant;

/// What an endpoint tells the envelope about its operations.
pub(crate) struct Api<Op> {
    /// The credential scope's service (`firehose`, `kinesisanalytics`).
    pub service: &'static str,
    pub parse: fn(&str) -> Option<Op>,
    pub name: fn(Op) -> &'static str,
    pub latency: fn(&AppState, Op) -> Option<&metrics::Histogram>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn handle<Op, F, Fut>(
    state: &Arc<AppState>,
    api: Api<Op>,
    method: &http::Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: Body,
    run: F,
) -> Response
where
    Op: Copy,
    F: FnOnce(Op, bytes::Bytes) -> Fut,
    Fut: Future<Output = Result<Vec<u8>, WireError>>,
{
    let started = Instant::now();
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if Protocol::from_content_type(content_type) != Some(Protocol::Json) {
        return (StatusCode::NOT_FOUND, "<UnknownOperationException/>\n").into_response();
    }
    let p = Protocol::Json;
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(op) = (api.parse)(target) else {
        return error_response(p, &WireError::unknown_operation(), "unknown");
    };
    if let Err(e) = crate::auth::precheck_head(state, method, uri, headers, api.service) {
        return error_response(p, &e, (api.name)(op));
    }
    let buffered = match crate::body::read(state, headers, body).await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    let body = buffered.bytes.clone();
    // AWS answers a request without a body (not even `{}`) before it looks at the operation.
    if body.is_empty() {
        return error_response(
            p,
            &WireError::bare("SerializationException"),
            (api.name)(op),
        );
    }
    if let Some(verifier) = &state.auth {
        let signed = crate::auth::SignedRequest {
            method,
            uri,
            headers,
            body: Some(&body),
            service: api.service,
        };
        if let Err(e) = verifier.verify(&signed) {
            return error_response(p, &e, (api.name)(op));
        }
    }
    let result = run(op, body).await;
    if let Some(h) = (api.latency)(state, op) {
        h.record(started.elapsed().as_secs_f64());
    }
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
        Err(e) => error_response(p, &e, (api.name)(op)),
    }
}
