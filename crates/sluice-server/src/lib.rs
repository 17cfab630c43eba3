//! The Sluice server as a library: `run(listener, config, shutdown)` serves every API on one port
//! (AWS JSON 1.1 and CBOR over HTTP/1.1 and HTTP/2 cleartext), plus `/health` and `/metrics`.
//! Only this crate knows HTTP and sockets; domain services never see a request.

mod analytics;
pub mod auth;
mod body;
mod config;
mod envelope;
mod firehose;
mod json_api;
mod kinesis;
mod listen;
mod telemetry;
pub mod tls;
mod video;

pub use config::{MetricsMode, ServerConfig, StorageKind};
pub use sluice_streams::limits::LimitsMode;
pub use sluice_streams::policy::Principal;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sluice_storage::disk::{DiskConfig, DiskLogStore};
use sluice_storage::memory::MemoryLogStore;
use sluice_storage::{LogStore, MemoryMetaStore, MetaStore, RedbMetaStore};
use sluice_streams::{Streams, StreamsConfig};
use sluice_types::Clock;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("storage: {0}")]
    Storage(#[from] sluice_storage::StorageError),
    #[error("streams: {0}")]
    Streams(#[from] sluice_streams::StreamsError),
    #[error("firehose: {0}")]
    Firehose(#[from] sluice_firehose::FirehoseError),
    #[error("analytics: {0}")]
    Analytics(#[from] sluice_analytics::AnalyticsError),
    #[error("video: {0}")]
    Video(#[from] sluice_video::VideoError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

pub(crate) struct AppState {
    pub streams: Arc<Streams>,
    /// The log store, for `/health` (whether writes fail now).
    pub logs: Arc<dyn LogStore>,
    pub firehose: Arc<sluice_firehose::Firehose>,
    pub analytics: Arc<sluice_analytics::Analytics>,
    pub video: Arc<sluice_video::Video>,
    /// Whether the server speaks TLS (for the endpoint GetDataEndpoint gives).
    pub tls: bool,
    pub ready: AtomicBool,
    pub max_body_bytes: usize,
    /// One permit per KiB of request bodies buffered at once (`max_buffered_body_bytes`).
    pub buffered: Arc<tokio::sync::Semaphore>,
    pub buffer_kib: usize,
    pub body_read_timeout: std::time::Duration,
    /// One permit per GetRecords in progress (see `ServerConfig::max_concurrent_reads`).
    pub reads: tokio::sync::Semaphore,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Set in `--auth sigv4` mode.
    pub auth: Option<auth::Verifier>,
    pub auth_mode: auth::AuthMode,
    /// The principals access keys stand for (`--principal`); other keys act as the account root.
    pub principals: std::collections::HashMap<String, sluice_streams::policy::Principal>,
    /// Request latency histograms, by [`sluice_wire::kinesis::Operation::index`].
    pub latency: Vec<metrics::Histogram>,
    /// The same for Firehose, by [`sluice_wire::firehose::Operation::index`].
    pub firehose_latency: Vec<metrics::Histogram>,
    /// The same for Analytics, by [`sluice_wire::analytics::Operation::index`].
    pub analytics_latency: Vec<metrics::Histogram>,
    /// The same for Video Streams, by [`sluice_wire::video::Operation::index`].
    pub video_latency: Vec<metrics::Histogram>,
    /// Set at shutdown; ends the delivery loops.
    pub stop_deliveries: tokio::sync::watch::Sender<bool>,
}

/// Opens storage, serves until `shutdown` resolves, then stops accepting, lets in-flight
/// requests finish, and flushes and closes storage.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let metrics = telemetry::install();
    let (logs, meta): (Arc<dyn LogStore>, Arc<dyn MetaStore>) = match config.storage {
        StorageKind::Disk => {
            std::fs::create_dir_all(&config.data_dir)?;
            let mut disk = DiskConfig::new(config.data_dir.clone());
            disk.durability = config.durability;
            disk.salvage = config.salvage_damaged_logs;
            let logs = DiskLogStore::open(disk, clock.clone())?;
            let meta = RedbMetaStore::open(&config.data_dir.join("meta.redb"))?;
            (Arc::new(logs), Arc::new(meta))
        }
        StorageKind::Memory => (
            Arc::new(MemoryLogStore::new(clock.clone())),
            Arc::new(MemoryMetaStore::default()),
        ),
    };
    let streams_config = StreamsConfig {
        region: config.region.clone(),
        account_id: config.account_id.clone(),
        shard_limit: config.shard_limit,
        create_delay_ms: config.create_delay_ms,
        delete_delay_ms: config.delete_delay_ms,
        update_delay_ms: config.update_delay_ms,
        limits: config.limits,
        consumer_delay_ms: config.consumer_delay_ms,
        subscription_lifetime_ms: config.subscription_lifetime_ms,
        on_demand_window_ms: config.on_demand_window_ms,
        kms_keys: config.kms_keys.clone(),
        ..StreamsConfig::default()
    };
    let streams = Arc::new(Streams::open(
        streams_config,
        clock.clone(),
        logs.clone(),
        meta.clone(),
    )?);
    let s3_dir = config
        .s3_dir
        .clone()
        .unwrap_or_else(|| config.data_dir.join("s3"));
    let objects = object_sink(&config, s3_dir);
    let firehose = Arc::new(sluice_firehose::Firehose::open(
        sluice_firehose::FirehoseConfig {
            region: config.region.clone(),
            account_id: config.account_id.clone(),
            create_delay_ms: config.create_delay_ms,
            search_domains: config.search_domains.clone(),
            lambdas: config.lambdas.clone(),
            glue_tables: config.glue_tables.clone(),
            kms_keys: config.kms_keys.clone(),
            ..sluice_firehose::FirehoseConfig::default()
        },
        clock.clone(),
        logs.clone(),
        meta.clone(),
        objects.clone(),
        Some(streams.clone()),
        rand::random(),
    )?);
    let analytics = Arc::new(sluice_analytics::Analytics::open(
        sluice_analytics::AnalyticsConfig {
            region: config.region.clone(),
            account_id: config.account_id.clone(),
        },
        clock.clone(),
        meta.clone(),
        streams.clone(),
        Some(firehose.clone()),
        Some(objects),
    )?);
    let video = Arc::new(
        sluice_video::Video::open(
            sluice_video::VideoConfig {
                region: config.region.clone(),
                account_id: config.account_id.clone(),
                create_delay_ms: config.create_delay_ms,
            },
            clock.clone(),
            logs.clone(),
            meta.clone(),
        )
        .await?,
    );
    // Once every service has loaded: logs none of them names are deleted only where that is
    // safe (an interrupted create or delete); others stop the start (a lost metadata store).
    let referenced: std::collections::HashSet<_> = streams
        .referenced_logs()
        .into_iter()
        .chain(firehose.referenced_logs())
        .chain(video.referenced_logs())
        .collect();
    sluice_storage::orphans::reconcile(
        logs.as_ref(),
        meta.as_ref(),
        &referenced,
        config.orphan_logs,
    )?;
    let (stop_deliveries, stop_rx) = tokio::sync::watch::channel(false);
    // At least one whole body must fit, or a request of the largest size would wait forever.
    let buffer_kib = (config.max_buffered_body_bytes.max(config.max_body_bytes) / 1024 + 1)
        .min(tokio::sync::Semaphore::MAX_PERMITS);
    let state = Arc::new(AppState {
        streams,
        logs: logs.clone(),
        firehose: firehose.clone(),
        analytics: analytics.clone(),
        video,
        tls: config.tls.is_some(),
        ready: AtomicBool::new(true),
        max_body_bytes: config.max_body_bytes,
        buffered: Arc::new(tokio::sync::Semaphore::new(buffer_kib)),
        buffer_kib,
        body_read_timeout: config.body_read_timeout,
        reads: tokio::sync::Semaphore::new(config.max_concurrent_reads.max(1)),
        metrics,
        auth: (config.auth == auth::AuthMode::Sigv4).then(|| {
            auth::Verifier::new(
                config.region.clone(),
                config.credentials.clone(),
                clock.clone(),
            )
        }),
        auth_mode: config.auth,
        principals: config.principals.iter().cloned().collect(),
        latency: sluice_wire::kinesis::Operation::ALL
            .iter()
            .map(|op| metrics::histogram!("sluice_request_duration_seconds", "operation" => op.name()))
            .collect(),
        firehose_latency: sluice_wire::firehose::Operation::ALL
            .iter()
            .map(|op| metrics::histogram!("sluice_request_duration_seconds", "operation" => format!("Firehose.{}", op.name())))
            .collect(),
        analytics_latency: sluice_wire::analytics::Operation::ALL
            .iter()
            .map(|op| metrics::histogram!("sluice_request_duration_seconds", "operation" => format!("KinesisAnalytics.{}", op.name())))
            .collect(),
        video_latency: sluice_wire::video::Operation::ALL
            .iter()
            .map(|op| metrics::histogram!("sluice_request_duration_seconds", "operation" => format!("KinesisVideo.{}", op.name())))
            .collect(),
        stop_deliveries,
    });
    for name in analytics.running() {
        analytics.resume(&name, stop_rx.clone());
    }
    for name in firehose.names() {
        tokio::spawn(firehose.clone().run_source(name.clone(), stop_rx.clone()));
        tokio::spawn(firehose.clone().run_delivery(name, stop_rx.clone()));
    }
    let ticker = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(500));
            loop {
                every.tick().await;
                if let Err(e) = state.streams.finish_due_deletions() {
                    tracing::error!(error = %e, "finishing stream deletions failed");
                }
                state.streams.scale_on_demand().await;
            }
        })
    };
    let app = router(state.clone(), config.metrics == config::MetricsMode::Api);
    // `/metrics` (and `/health`) on a listener of their own, if asked: the API port then does
    // not name the streams to whoever reaches it.
    let metrics_server = match config.metrics {
        config::MetricsMode::Separate(addr) => {
            let listener = TcpListener::bind(addr).await?;
            tracing::info!(%addr, "metrics on http://{addr}/metrics");
            let app = Router::new()
                .route("/health", get(health))
                .route("/metrics", get(metrics_text))
                .with_state(state.clone());
            Some(tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            }))
        }
        _ => None,
    };
    // Checked before anything is served, so a bad certificate stops the start.
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls::acceptor(cert, key)?),
        None => None,
    };
    let draining = {
        let state = state.clone();
        async move {
            shutdown.await;
            // Connections still open while in-flight requests finish see 503 on /health.
            state.ready.store(false, Ordering::SeqCst);
            // Subscriptions are requests that last minutes: end them so the drain is quick.
            state.streams.end_subscriptions();
            let _ = state.stop_deliveries.send(true);
        }
    };
    let limits = listen::ConnectionLimits {
        max_connections: config.max_connections,
        header_read_timeout: config.header_read_timeout,
        idle_timeout: config.idle_timeout,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "sluice listening on {scheme}://{addr}");
    }
    let served = listen::serve(listener, tls, app, limits, draining).await;
    ticker.abort();
    if let Some(m) = metrics_server {
        m.abort();
    }
    logs.shutdown().await;
    served?;
    Ok(())
}

/// Where Firehose S3 destinations deliver: each mapped bucket to its place, the rest to the
/// S3-compatible endpoint if one is set, else to the embedded directory store.
fn object_sink(
    config: &ServerConfig,
    s3_dir: std::path::PathBuf,
) -> Arc<dyn sluice_firehose::sink::ObjectSink> {
    use sluice_firehose::sink::*;
    let (key, secret) = config
        .s3_credential
        .clone()
        .unwrap_or_else(|| ("sluice".into(), "sluice".into()));
    let endpoint = |url: &str| S3Endpoint {
        url: url.to_owned(),
        region: config.region.clone(),
        access_key_id: key.clone(),
        secret_access_key: secret.clone(),
    };
    let default: Arc<dyn ObjectSink> = match &config.s3_endpoint {
        Some(url) => Arc::new(S3Sink::new(endpoint(url))),
        None => Arc::new(LocalDirSink::new(s3_dir)),
    };
    let mut router = BucketRouter::new(default);
    for (name, url) in &config.s3_buckets {
        let sink: Arc<dyn ObjectSink> = match url.strip_prefix("file://") {
            Some(dir) => Arc::new(DirBucketSink::new(dir)),
            None => Arc::new(S3Sink::new(endpoint(url))),
        };
        router = router.with_bucket(name.clone(), sink);
    }
    Arc::new(router)
}

fn router(state: Arc<AppState>, metrics: bool) -> Router {
    let router = Router::new().route("/health", get(health));
    let router = if metrics {
        router.route("/metrics", get(metrics_text))
    } else {
        router
    };
    router
        .route("/", post(api).fallback(fallback))
        .fallback(fallback)
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn(envelope::aws_headers))
        .with_state(state)
}

/// 200 while the server takes requests and its storage takes writes; 503 with the reason
/// otherwise (shutting down, the disk full, storage failed).
async fn health(State(state): State<Arc<AppState>>) -> Response {
    if !state.ready.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match state.logs.write_problem() {
        None => (StatusCode::OK, "ok\n").into_response(),
        Some(problem) => (StatusCode::SERVICE_UNAVAILABLE, format!("{problem}\n")).into_response(),
    }
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// AWS ignores the path of JSON-protocol requests: any POST is an API call.
async fn fallback(
    State(state): State<Arc<AppState>>,
    method: http::Method,
    uri: http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method == http::Method::POST {
        return api(State(state), method, uri, headers, body).await;
    }
    if method == http::Method::GET
        && (uri.path().starts_with(video::HLS_PREFIX) || uri.path().starts_with(video::DASH_PREFIX))
    {
        return video::hls_resource(&state, &uri).await;
    }
    // AWS answers any other method before it looks at anything else.
    envelope::access_denied()
}

async fn api(
    State(state): State<Arc<AppState>>,
    method: http::Method,
    uri: http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(op) = video::operation(&headers, &uri) {
        return video::handle(&state, op, &method, &uri, &headers, body).await;
    }
    let is_firehose = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with(sluice_wire::firehose::TARGET_PREFIX));
    if is_firehose {
        return firehose::handle(&state, &method, &uri, &headers, body).await;
    }
    let is_analytics = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with(sluice_wire::analytics::TARGET_PREFIX));
    if is_analytics {
        return analytics::handle(&state, &method, &uri, &headers, body).await;
    }
    kinesis::handle(&state, &method, &uri, &headers, body).await
}
