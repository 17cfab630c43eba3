//! Reading a request body within bounds, before anything looks at it: a declared length over
//! the limit is refused before a byte is read, every body must arrive within
//! `body_read_timeout`, and the bytes buffered across all requests stay under
//! `max_buffered_body_bytes` (requests past it wait for room, up to the same timeout).

use crate::AppState;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::OwnedSemaphorePermit;

/// A request body in memory, and its share of the buffer budget (held while it is handled).
pub(crate) struct Buffered {
    pub bytes: Bytes,
    _room: OwnedSemaphorePermit,
}

/// Reads the body, or answers 413 (too large), 408 (too slow) or 503 (no room in time).
pub(crate) async fn read(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Buffered, Response> {
    let max = state.max_body_bytes;
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, "").into_response());
    }
    let kib = (declared.unwrap_or(max) / 1024 + 1).min(state.buffer_kib) as u32;
    let deadline = tokio::time::Instant::now() + state.body_read_timeout;
    let room =
        match tokio::time::timeout_at(deadline, state.buffered.clone().acquire_many_owned(kib))
            .await
        {
            Ok(Ok(room)) => room,
            _ => {
                metrics::counter!("sluice_requests_refused_total", "reason" => "buffer")
                    .increment(1);
                return Err((StatusCode::SERVICE_UNAVAILABLE, "").into_response());
            }
        };
    match tokio::time::timeout_at(deadline, axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => Ok(Buffered { bytes, _room: room }),
        Ok(Err(_)) => Err((StatusCode::PAYLOAD_TOO_LARGE, "").into_response()),
        Err(_) => {
            metrics::counter!("sluice_requests_refused_total", "reason" => "slow_body")
                .increment(1);
            Err((StatusCode::REQUEST_TIMEOUT, "").into_response())
        }
    }
}
