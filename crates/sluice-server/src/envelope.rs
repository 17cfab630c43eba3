//! The AWS JSON envelope of Kinesis, Firehose and Analytics, checked in the order AWS checks it
//! (kinesalite's suite recorded it against AWS): a body at all, the content type, a body that
//! parses as an object, a known operation, then the signature (its form by default, the signature
//! itself under `--auth sigv4`). Also the headers every AWS answer carries (`x-amzn-RequestId`,
//! `x-amz-id-2`) and CORS, at the router.

use crate::AppState;
use crate::auth::AuthMode;
use crate::kinesis::{error_response, request_id};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use bytes::Bytes;
use sluice_wire::{Protocol, WireError};

const AMZ_JSON: &str = "application/x-amz-json-1.1";
const AMZ_CBOR: &str = "application/x-amz-cbor-1.1";
const PLAIN_JSON: &str = "application/json";

/// What an endpoint tells the envelope about its operations.
pub(crate) struct Api<Op> {
    /// The credential scope's service (`kinesis`, `firehose`, `kinesisanalytics`).
    pub service: &'static str,
    /// The operation a whole `X-Amz-Target` names.
    pub parse: fn(&str) -> Option<Op>,
    pub name: fn(Op) -> &'static str,
    /// Whether the API also speaks CBOR (Kinesis does; Firehose and Analytics do not).
    pub cbor: bool,
}

/// A request that passed the envelope.
pub(crate) struct Opened<Op> {
    pub op: Op,
    pub protocol: Protocol,
    pub body: Bytes,
    /// The access key whose signature was verified (`--auth sigv4` only).
    pub access_key: Option<String>,
    _room: crate::body::Buffered,
}

/// The content types AWS's JSON front end knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    AmzJson,
    AmzCbor,
    /// `application/json`: AWS parses it, then answers in its old `Output` wrapper.
    Plain,
}

fn encoding(headers: &HeaderMap, cbor: bool) -> Option<Encoding> {
    let value = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = value.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case(AMZ_JSON) {
        Some(Encoding::AmzJson)
    } else if cbor && media.eq_ignore_ascii_case(AMZ_CBOR) {
        Some(Encoding::AmzCbor)
    } else if media.eq_ignore_ascii_case(PLAIN_JSON) {
        Some(Encoding::Plain)
    } else {
        None
    }
}

/// Runs the envelope's checks; `Err` is the answer to send.
pub(crate) async fn open<Op: Copy>(
    state: &AppState,
    api: &Api<Op>,
    method: &http::Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Opened<Op>, Response> {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let op = (api.parse)(target);
    let op_name = op.map_or("unknown", api.name);
    // Under `--auth sigv4` a request that will be refused is refused before its body is read.
    if let Err(e) = crate::auth::precheck_head(state, method, uri, headers, api.service) {
        let p = match encoding(headers, api.cbor) {
            Some(Encoding::AmzCbor) => Protocol::Cbor,
            _ => Protocol::Json,
        };
        return Err(error_response(p, &e, op_name));
    }
    let buffered = crate::body::read(state, headers, body).await?;
    let body = buffered.bytes.clone();
    let enc = encoding(headers, api.cbor);
    // No body: AWS answers before it looks at the content type, in JSON only if it was asked
    // for in JSON (else CBOR, where the API speaks it).
    if body.is_empty() {
        let p = if enc == Some(Encoding::AmzJson) || !api.cbor {
            Protocol::Json
        } else {
            Protocol::Cbor
        };
        let kind = if op.is_some() {
            "SerializationException"
        } else {
            "UnknownOperationException"
        };
        return Err(error_response(p, &WireError::bare(kind), op_name));
    }
    let Some(enc) = enc else {
        // A content type AWS does not parse: an XML-ish answer, after the signature's form.
        if let Err(e) = form_check(state, headers, uri) {
            return Err(xml_error(403, e.kind, e.message.as_deref()));
        }
        let mut parts = target.splitn(2, '.');
        let named = parts.next().is_some_and(|s| !s.is_empty())
            && parts.next().is_some_and(|s| !s.is_empty());
        return Err(if named {
            xml_error(404, "UnknownOperationException", None)
        } else {
            access_denied()
        });
    };
    let p = if enc == Encoding::AmzCbor {
        Protocol::Cbor
    } else {
        Protocol::Json
    };
    // A body that is not one object is a SerializationException before anything else. Checking
    // costs a parse, so it is done here only where the answer depends on it; a known operation's
    // own decoding answers the same (`Protocol::decode`).
    let not_object = || error_response(p, &WireError::bare("SerializationException"), op_name);
    if enc == Encoding::Plain {
        return Err(if p.is_object(&body) {
            coral_wrapper(404, "UnknownOperationException")
        } else {
            coral_wrapper(400, "SerializationException")
        });
    }
    let Some(op) = op else {
        if !p.is_object(&body) {
            return Err(not_object());
        }
        return Err(error_response(p, &WireError::unknown_operation(), op_name));
    };
    let mut access_key = None;
    let checked = match &state.auth {
        Some(verifier) => {
            let signed = crate::auth::SignedRequest {
                method,
                uri,
                headers,
                body: Some(&body),
                service: api.service,
            };
            verifier.verify(&signed).map(|key| access_key = Some(key))
        }
        None => form_check(state, headers, uri),
    };
    if let Err(e) = checked {
        if !p.is_object(&body) {
            return Err(not_object());
        }
        return Err(error_response(p, &e, op_name));
    }
    Ok(Opened {
        op,
        protocol: p,
        body,
        access_key,
        _room: buffered,
    })
}

/// The signature's form, unless `--auth unsigned`. (`--auth sigv4` checks more, elsewhere.)
pub(crate) fn form_check(
    state: &AppState,
    headers: &HeaderMap,
    uri: &http::Uri,
) -> Result<(), WireError> {
    match state.auth_mode {
        AuthMode::Unsigned => Ok(()),
        _ => crate::auth::check_form(headers, uri),
    }
}

/// `<Kind>\n  <Message>...</Message>\n</Kind>\n`, or `<Kind/>\n` without a message: how AWS
/// answers what it cannot answer in the request's own encoding. No content type.
pub(crate) fn xml_error(status: u16, kind: &str, message: Option<&str>) -> Response {
    let body = match message {
        Some(m) => format!("<{kind}>\n  <Message>{m}</Message>\n</{kind}>\n"),
        None => format!("<{kind}/>\n"),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    if let Ok(v) = HeaderValue::from_str(kind) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

/// A request AWS cannot map to an operation (not a POST, or no target and no known encoding).
pub(crate) fn access_denied() -> Response {
    xml_error(
        403,
        "AccessDeniedException",
        Some("Unable to determine service/operation name to be authorized"),
    )
}

/// AWS's answer to `application/json`: the old coral wrapper.
fn coral_wrapper(status: u16, kind: &str) -> Response {
    let body = format!(
        "{{\"Output\":{{\"__type\":\"com.amazon.coral.service#{kind}\"}},\"Version\":\"1.0\"}}"
    );
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(PLAIN_JSON),
    );
    resp
}

/// The headers of every answer: a request id, `x-amz-id-2`, and CORS when the request has an
/// `Origin`. An `OPTIONS` request with an `Origin` is a CORS preflight, answered here.
pub(crate) async fn aws_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let origin = req.headers().contains_key(http::header::ORIGIN);
    if origin && req.method() == http::Method::OPTIONS {
        let mut resp = Response::new(Body::empty());
        let h = resp.headers_mut();
        h.insert("x-amzn-requestid", request_id());
        h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        for (asked, allowed) in [
            (
                "access-control-request-headers",
                "access-control-allow-headers",
            ),
            (
                "access-control-request-method",
                "access-control-allow-methods",
            ),
        ] {
            if let Some(v) = req.headers().get(asked) {
                h.insert(allowed, v.clone());
            }
        }
        h.insert("access-control-max-age", HeaderValue::from_static("172800"));
        h.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        return resp;
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key("x-amzn-requestid") {
        h.insert("x-amzn-requestid", request_id());
    }
    if !h.contains_key("x-amz-id-2") {
        let bytes: [u8; 72] = std::array::from_fn(|_| rand::random());
        let id = base64::engine::general_purpose::STANDARD.encode(bytes);
        if let Ok(v) = HeaderValue::from_str(&id) {
            h.insert("x-amz-id-2", v);
        }
    }
    if origin {
        h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        h.insert(
            "access-control-expose-headers",
            HeaderValue::from_static(
                "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date",
            ),
        );
    }
    resp
}
