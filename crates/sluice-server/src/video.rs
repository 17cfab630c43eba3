//! The Video Streams endpoints (REST-JSON, the operation from the path): the control plane,
//! PutMedia (a streaming body in, a stream of acknowledgements out) and GetMedia (a stream of
//! Matroska out), and the archived-media operations.

use crate::AppState;
use crate::kinesis::request_id;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use futures_util::StreamExt;
use sluice_video::hls::Protocol;
use sluice_video::media::{PutMediaInput, TimecodeType};
use sluice_video::model::StreamRef;
use sluice_wire::WireError;
use sluice_wire::video::{self, Operation, Request};
use std::sync::Arc;
use std::time::Instant;

/// Whether a request is a Video Streams call: no `X-Amz-Target`, and a path the services use.
pub(crate) fn operation(headers: &HeaderMap, uri: &http::Uri) -> Option<Operation> {
    if headers.contains_key("x-amz-target") {
        return None;
    }
    Operation::from_path(uri.path())
}

fn error(e: &WireError, op: Operation) -> Response {
    metrics::counter!("sluice_errors_total", "operation" => op.name(), "type" => e.kind)
        .increment(1);
    if e.status >= 500 {
        tracing::error!(operation = op.name(), error = %e, "request failed");
    }
    let mut resp = Response::new(Body::from(video::error_body(e)));
    *resp.status_mut() = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert("x-amzn-requestid", request_id());
    if let Ok(v) = HeaderValue::from_str(e.kind) {
        h.insert("x-amzn-errortype", v);
    }
    resp
}

fn answer(body: Body, content_type: &str) -> Response {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(http::header::CONTENT_TYPE, v);
    }
    h.insert("x-amzn-requestid", request_id());
    resp
}

pub(crate) async fn handle(
    state: &Arc<AppState>,
    op: Operation,
    method: &http::Method,
    uri: &http::Uri,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    if method != http::Method::POST {
        return error(
            &WireError::invalid_argument(format!("{} takes POST.", op.path())),
            op,
        );
    }
    let streaming = op == Operation::PutMedia;
    if let Err(e) = crate::auth::precheck_head(state, method, uri, headers, op.signing_service()) {
        return error(&e, op);
    }
    let mut _room = None;
    let body = if streaming {
        Err(body)
    } else {
        match crate::body::read(state, headers, body).await {
            Ok(b) => {
                let bytes = b.bytes.clone();
                _room = Some(b);
                Ok(bytes)
            }
            Err(refused) => return refused,
        }
    };
    if let Some(verifier) = &state.auth {
        let signed = crate::auth::SignedRequest {
            method,
            uri,
            headers,
            body: body.as_ref().ok(),
            service: op.signing_service(),
        };
        if let Err(e) = verifier.verify(&signed) {
            return error(&e, op);
        }
    } else if let Err(mut e) = crate::envelope::form_check(state, headers, uri) {
        // A REST API answers a request it cannot authenticate with 403.
        e.status = 403;
        return error(&e, op);
    }
    if let Some(why) = op.unsupported() {
        return error(&WireError::new("InvalidArgumentException", why), op);
    }
    let resp = match body {
        Err(body) => put_media(state, headers, body).await,
        Ok(body) => dispatch(state, op, headers, &body).await,
    };
    if let Some(h) = state.video_latency.get(op.index()) {
        h.record(started.elapsed().as_secs_f64());
    }
    resp.unwrap_or_else(|e| error(&e, op))
}

/// The URL this server is reached at, as the client named it.
fn own_endpoint(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = if state.tls { "https" } else { "http" };
    format!("{scheme}://{host}")
}

async fn dispatch(
    state: &Arc<AppState>,
    op: Operation,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, WireError> {
    let v = &state.video;
    let json = |b: Vec<u8>| answer(Body::from(b), "application/json");
    let empty = || json(b"{}".to_vec());
    Ok(match Request::decode(op, body)? {
        Request::Create(input) => json(video::create_response(&v.create(input).await?)),
        Request::Describe(r) => {
            let (m, status) = v.describe(&r)?;
            json(video::describe_response(&m, status))
        }
        Request::List { max, after, prefix } => {
            let (page, more) = v.list(max, after.as_deref(), prefix.as_deref());
            json(video::list_response(&page, more))
        }
        Request::Delete { arn, version } => {
            v.delete(&arn, version.as_deref()).await?;
            empty()
        }
        Request::Update {
            stream,
            version,
            update,
        } => {
            v.update(&stream, &version, update)?;
            empty()
        }
        Request::UpdateRetention {
            stream,
            version,
            increase,
            hours,
        } => {
            v.update_retention(&stream, &version, increase, hours)?;
            empty()
        }
        Request::GetDataEndpoint(r) => {
            v.state(&r)?;
            json(video::data_endpoint_response(&own_endpoint(state, headers)))
        }
        Request::Tag { stream, tags } => {
            v.tag(&stream, tags)?;
            empty()
        }
        Request::Untag { stream, keys } => {
            v.untag(&stream, &keys)?;
            empty()
        }
        Request::ListTags(r) => json(video::tags_response(&v.tags(&r)?)),
        Request::DescribeImageGeneration(r) => {
            let (m, _) = v.describe(&r)?;
            json(video::image_generation_response(
                m.image_generation.as_ref(),
            ))
        }
        Request::UpdateImageGeneration { stream, config } => {
            v.set_image_generation(&stream, config)?;
            empty()
        }
        Request::DescribeNotification(r) => {
            let (m, _) = v.describe(&r)?;
            json(video::notification_response(m.notification.as_ref()))
        }
        Request::UpdateNotification { stream, config } => {
            v.set_notification(&stream, config)?;
            empty()
        }
        Request::ListFragments {
            stream,
            max,
            after,
            range,
        } => {
            let (page, next) = v.list_fragments(&stream, range, max, after.as_deref())?;
            json(video::fragments_response(&page, next.as_deref()))
        }
        Request::PlaybackSession(input) => {
            let protocol = input.protocol;
            let token = v.start_session(input).await?;
            let base = own_endpoint(state, headers);
            json(match protocol {
                Protocol::Hls => video::hls_session_response(&format!(
                    "{base}{HLS_PREFIX}getHLSMasterPlaylist.m3u8?SessionToken={token}"
                )),
                Protocol::Dash => video::dash_session_response(&format!(
                    "{base}{DASH_PREFIX}getDASHManifest.mpd?SessionToken={token}"
                )),
            })
        }
        Request::GetClip {
            stream,
            kind,
            start_ms,
            end_ms,
        } => {
            let bytes = v.clip(&stream, kind, start_ms, end_ms).await?;
            answer(Body::from(bytes), "video/mp4")
        }
        Request::GetMediaForFragmentList { stream, fragments } => {
            let bytes = v.media_for_fragments(&stream, &fragments).await?;
            answer(Body::from(bytes), MEDIA_CONTENT_TYPE)
        }
        Request::GetMedia { stream, selector } => {
            let mut reader = v.get_media(stream, &selector)?;
            let mut stop = state.stop_deliveries.subscribe();
            let chunks = async_stream(move |tx| async move {
                loop {
                    let next = tokio::select! {
                        n = reader.next() => n,
                        _ = stop.changed() => None,
                    };
                    match next {
                        Some(Ok(bytes)) => {
                            if tx.send(Ok(Bytes::from(bytes))).await.is_err() {
                                return;
                            }
                        }
                        Some(Err(e)) => {
                            tracing::warn!(error = %e, "GetMedia read failed");
                            return;
                        }
                        None => return,
                    }
                }
            });
            answer(Body::from_stream(chunks), MEDIA_CONTENT_TYPE)
        }
    })
}

/// Where HLS and DASH sessions' playlists, manifests and fragments are served (GET, with the
/// session token).
pub(crate) const HLS_PREFIX: &str = "/hls/v1/";
pub(crate) const DASH_PREFIX: &str = "/dash/v1/";
const PLAYLIST_CONTENT_TYPE: &str = "application/x-mpegURL";

/// The value of a query parameter (the values Sluice writes need no percent-decoding).
fn query<'a>(uri: &'a http::Uri, name: &str) -> Option<&'a str> {
    uri.query()?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// GET of an HLS session's resources: the master and media playlists, and the MP4
/// initialization and media fragments. The session token is the authorization.
pub(crate) async fn hls_resource(state: &Arc<AppState>, uri: &http::Uri) -> Response {
    let op = Operation::GetHLSStreamingSessionURL;
    let started = Instant::now();
    let resp = hls_answer(state, uri).await;
    if let Some(h) = state.video_latency.get(op.index()) {
        h.record(started.elapsed().as_secs_f64());
    }
    let mut resp = resp.unwrap_or_else(|e| error(&e, op));
    // Browser players (hls.js, dash.js) fetch these from pages of any origin; the session token
    // in the URL is the authorization.
    let h = resp.headers_mut();
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-amzn-errortype, x-amzn-requestid"),
    );
    resp
}

async fn hls_answer(state: &Arc<AppState>, uri: &http::Uri) -> Result<Response, WireError> {
    let v = &state.video;
    let token = query(uri, "SessionToken")
        .ok_or_else(|| WireError::invalid_argument("SessionToken is required."))?;
    if let Some(resource) = uri.path().strip_prefix(DASH_PREFIX) {
        return dash_answer(v, uri, resource, token).await;
    }
    let resource = uri.path().strip_prefix(HLS_PREFIX).unwrap_or_default();
    let track = || track_number(uri);
    Ok(match resource {
        "getHLSMasterPlaylist.m3u8" => answer(
            Body::from(v.hls_master_playlist(token).await?),
            PLAYLIST_CONTENT_TYPE,
        ),
        "getHLSMediaPlaylist.m3u8" => answer(
            Body::from(v.hls_media_playlist(token, track()?).await?),
            PLAYLIST_CONTENT_TYPE,
        ),
        "getMP4InitFragment.mp4" => answer(
            Body::from(
                v.mp4_init_fragment(token, track()?, query(uri, "FragmentNumber"))
                    .await?,
            ),
            "video/mp4",
        ),
        "getMP4MediaFragment.mp4" => {
            let number = query(uri, "FragmentNumber")
                .ok_or_else(|| WireError::invalid_argument("FragmentNumber is required."))?;
            answer(
                Body::from(v.mp4_media_fragment(token, track()?, number).await?),
                "video/mp4",
            )
        }
        "getTSFragment.ts" => {
            let number = query(uri, "FragmentNumber")
                .ok_or_else(|| WireError::invalid_argument("FragmentNumber is required."))?;
            answer(
                Body::from(v.ts_fragment(token, number).await?),
                "video/MP2T",
            )
        }
        other => {
            return Err(not_found(format!(
                "{HLS_PREFIX}{other} is not an HLS resource."
            )));
        }
    })
}

fn not_found(message: String) -> WireError {
    WireError {
        kind: "ResourceNotFoundException",
        status: 404,
        message: Some(message),
    }
}

fn track_number(uri: &http::Uri) -> Result<u64, WireError> {
    match query(uri, "TrackNumber") {
        None => Ok(1),
        Some(t) => t.parse().map_err(|_| {
            WireError::invalid_argument(format!("TrackNumber {t} is not a track number."))
        }),
    }
}

async fn dash_answer(
    v: &sluice_video::Video,
    uri: &http::Uri,
    resource: &str,
    token: &str,
) -> Result<Response, WireError> {
    Ok(match resource {
        "getDASHManifest.mpd" => answer(
            Body::from(v.dash_manifest(token).await?),
            "application/dash+xml",
        ),
        "getMP4InitFragment.mp4" => answer(
            Body::from(v.dash_init_fragment(token, track_number(uri)?).await?),
            "video/mp4",
        ),
        "getMP4MediaFragment.mp4" => {
            let number = query(uri, "SegmentNumber")
                .and_then(|n| n.parse::<u64>().ok())
                .ok_or_else(|| WireError::invalid_argument("SegmentNumber is required."))?;
            answer(
                Body::from(
                    v.dash_media_fragment(token, track_number(uri)?, number)
                        .await?,
                ),
                "video/mp4",
            )
        }
        other => {
            return Err(not_found(format!(
                "{DASH_PREFIX}{other} is not a DASH resource."
            )));
        }
    })
}

/// GetMedia's answers are Matroska documents; AWS labels them `video/webm` whatever the
/// stream's media type.
const MEDIA_CONTENT_TYPE: &str = "video/webm";

/// A body fed by a task through a channel.
fn async_stream<F, Fut>(
    run: F,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(run(tx));
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// PutMedia: reads the body as it comes, and answers at once with a body of acknowledgements
/// that grows as fragments are received and made durable.
async fn put_media(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, WireError> {
    let stream = match (
        header(headers, "x-amzn-stream-name"),
        header(headers, "x-amzn-stream-arn"),
    ) {
        (Some(n), _) => StreamRef::Name(n.to_owned()),
        (None, Some(a)) => StreamRef::Arn(a.to_owned()),
        (None, None) => {
            return Err(WireError::invalid_argument(
                "Either x-amzn-stream-name or x-amzn-stream-arn must be specified.",
            ));
        }
    };
    let timecode_type = match header(headers, "x-amzn-fragment-timecode-type") {
        Some("ABSOLUTE") => TimecodeType::Absolute,
        Some("RELATIVE") => TimecodeType::Relative,
        Some(other) => {
            return Err(WireError::invalid_argument(format!(
                "x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE, not {other}."
            )));
        }
        None => {
            return Err(WireError::invalid_argument(
                "x-amzn-fragment-timecode-type must be specified.",
            ));
        }
    };
    let producer_start_ms = match header(headers, "x-amzn-producer-start-timestamp") {
        Some(t) => Some(
            t.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| (s * 1000.0).round() as i64)
                .ok_or_else(|| {
                    WireError::invalid_argument(format!(
                        "x-amzn-producer-start-timestamp {t} is not a timestamp in seconds."
                    ))
                })?,
        ),
        None => None,
    };
    let mut session = state.video.put_media(PutMediaInput {
        stream,
        timecode_type,
        producer_start_ms,
    })?;
    // Acknowledgements go out through an unbounded channel: the body must be read on even while
    // the producer is not reading acknowledgements (it may be blocked writing media, which
    // would otherwise deadlock both sides). They are small, one line per fragment event.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
    tokio::spawn(async move {
        let send = |acks: Vec<sluice_video::media::Ack>| {
            for a in acks {
                let mut line = a.to_json();
                line.push('\n');
                // The producer may have gone; the media still counts.
                let _ = tx.send(Bytes::from(line));
            }
        };
        let mut body = body.into_data_stream();
        loop {
            match body.next().await {
                Some(Ok(chunk)) => {
                    let acks = session.push(&chunk).await;
                    send(acks);
                    if session.failed() {
                        return;
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "PutMedia body broke off");
                    if let Some(a) = session.abort() {
                        send(vec![a]);
                    }
                    return;
                }
                None => {
                    let acks = session.finish().await;
                    send(acks);
                    return;
                }
            }
        }
    });
    let acks = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|b| b.map(Ok::<_, std::io::Error>))
    });
    Ok(answer(Body::from_stream(acks), "application/json"))
}
