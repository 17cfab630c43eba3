//! The envelope shared by the AWS JSON 1.1 endpoints other than Kinesis (Firehose, Analytics):
//! JSON content type only, the operation from `X-Amz-Target`, the body size limit, the
//! signature check for the API's own service, then the operation, its latency recorded, and
//! the answer or an AWS-shaped error with a request id.

use crate::AppState;
use crate::kinesis::{error_response, request_id};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use sluice_wire::WireError;
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
    let envelope = crate::envelope::Api {
        service: api.service,
        parse: api.parse,
        name: api.name,
        cbor: false,
    };
    let opened = match crate::envelope::open(state, &envelope, method, uri, headers, body).await {
        Ok(opened) => opened,
        Err(answer) => return answer,
    };
    let (op, p, body) = (opened.op, opened.protocol, opened.body.clone());
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
