//! Delivery: each delivery stream has one [`Worker`] that reads its log from the first
//! undelivered offset, buffers records until the destination's size or interval hint is reached
//! (whichever comes first, the interval counted from the oldest buffered record's arrival),
//! processes and compresses them into one object, stores it through the [`ObjectSink`], and only
//! then records the new delivered offset. A crash between the object and the checkpoint delivers
//! those records again (at least once); nothing acknowledged is skipped.
//!
//! All decisions use the injected clock. [`Firehose::deliver`] does one step for one stream;
//! [`Firehose::run_delivery`] is the loop the server runs, which only decides *when* to look
//! again (on new data, at the next deadline, or within a second).

use crate::compress;
use crate::keys::{self, KeyContext};
use crate::meta::{PROGRESS_TABLE, progress_key};
use crate::model::{Compression, DestinationConfig, S3Destination};
use crate::service::{DeliveryState, Firehose};
use crate::sink::SinkError;
use bytes::Bytes;
use sluice_storage::{MetaOp, ReadLimits, StorageError, StoredRecord};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

const MIB: usize = 1024 * 1024;
/// Retries of a failed object wait 1 s, doubling to at most this.
const MAX_BACKOFF_MS: i64 = 30_000;

pub(crate) struct Worker {
    /// First offset not yet delivered (persisted after each object).
    delivered: u64,
    /// Next offset to read into the buffer.
    next: u64,
    buffer: Vec<StoredRecord>,
    buffered_bytes: usize,
    retry_at_ms: Option<i64>,
    failures: u32,
    attempt: Attempt,
}

/// The state of delivering the current buffer, kept across retries.
#[derive(Default)]
pub struct Attempt {
    /// When the first try of this buffer failed (the retry duration counts from it).
    pub(crate) first_failure_ms: Option<i64>,
    /// HTTP endpoints: the request id, the same for every try of one request (as AWS).
    request_id: Option<String>,
    /// `AllData` backup of this buffer already written.
    pub(crate) backup_done: bool,
    pub(crate) attempts: u32,
    pub(crate) last_error: Option<(String, String)>,
    /// The buffer after processing (computed once per buffer; its failures were written to the
    /// error output then).
    pub(crate) processed: Option<Vec<StoredRecord>>,
    /// Records that did not convert (format conversion) were written to the error output.
    pub(crate) conversion_failures_written: bool,
    /// Dynamic partitioning: records without keys were written to the error output, and the
    /// partitions (by their keys) already delivered from this buffer.
    pub(crate) partition_failures_written: bool,
    pub(crate) partitions_done: std::collections::HashSet<String>,
    /// Search destinations: the records (by index in the buffer) not indexed yet, with the
    /// error of their last try.
    pub(crate) pending: Option<Vec<(usize, String, String)>>,
}

/// What one step did, and when the stream wants to be looked at again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepOutcome {
    /// Objects delivered in this step.
    pub objects: usize,
    /// Deliveries that failed in this step (they will be retried).
    pub failures: usize,
    /// The time (clock milliseconds) at which buffered data falls due, if any is buffered.
    pub due_at_ms: Option<i64>,
}

impl Worker {
    pub(crate) fn new(delivered: u64) -> Self {
        Self {
            delivered,
            next: delivered,
            buffer: Vec::new(),
            buffered_bytes: 0,
            retry_at_ms: None,
            failures: 0,
            attempt: Attempt::default(),
        }
    }
}

impl Firehose {
    /// One delivery step for `name`: reads what is new, delivers every object that is due.
    pub async fn deliver(&self, name: &str) -> crate::Result<StepOutcome> {
        let state = self.get(name)?;
        self.step(&state).await
    }

    /// One delivery step for every delivery stream (for tests that drive a manual clock).
    pub async fn deliver_all(&self) -> crate::Result<StepOutcome> {
        let mut total = StepOutcome::default();
        for name in self.names() {
            let o = match self.deliver(&name).await {
                Ok(o) => o,
                Err(crate::FirehoseError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            total.objects += o.objects;
            total.failures += o.failures;
            total.due_at_ms = match (total.due_at_ms, o.due_at_ms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(total)
    }

    /// The server's loop for one delivery stream: steps whenever new data arrives, buffered data
    /// falls due, or a second passes; ends when the stream is deleted or `stop` is set.
    pub async fn run_delivery(
        self: Arc<Self>,
        name: String,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let Ok(state) = self.get(&name) else { return };
        let mut stop = stop;
        loop {
            if state.deleted.load(Ordering::SeqCst) || *stop.borrow() {
                return;
            }
            let wait_ms = match self.step(&state).await {
                Ok(o) => o
                    .due_at_ms
                    .map(|t| (t - self.now()).clamp(0, 1_000))
                    .unwrap_or(1_000),
                Err(e) => {
                    if state.deleted.load(Ordering::SeqCst) {
                        return;
                    }
                    tracing::error!(delivery_stream = %name, error = %e, "delivery step failed");
                    1_000
                }
            };
            if wait_ms == 0 {
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                _ = state.new_data.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
                _ = stop.changed() => {}
            }
        }
    }

    pub(crate) async fn step(&self, state: &DeliveryState) -> crate::Result<StepOutcome> {
        let mut guard = state.worker.lock().await;
        let w = &mut *guard;
        let mut out = StepOutcome::default();
        loop {
            if state.deleted.load(Ordering::SeqCst) {
                return Ok(out);
            }
            let meta = state.meta.read().clone();
            let Some(dest) = meta.destinations.first() else {
                return Ok(out);
            };
            let buffering = dest.config.buffering();
            let size_limit = (buffering.size_mb as usize).max(1) * MIB;
            // Fill the buffer up to the size hint.
            while w.buffered_bytes < size_limit {
                let batch = self
                    .logs
                    .read(
                        meta.log,
                        w.next,
                        ReadLimits {
                            max_records: 10_000,
                            max_bytes: size_limit - w.buffered_bytes,
                        },
                    )
                    .await?;
                if batch.records.is_empty() {
                    // Records that expired before delivery are gone (as AWS drops them
                    // after 24 hours); skip past them.
                    if batch.next_offset > w.next && w.buffer.is_empty() {
                        w.delivered = batch.next_offset;
                    }
                    w.next = w.next.max(batch.next_offset);
                    break;
                }
                if w.buffer.is_empty() && batch.records[0].offset > w.delivered {
                    w.delivered = batch.records[0].offset;
                }
                w.next = batch.next_offset;
                w.buffered_bytes += batch.records.iter().map(|r| r.value.len()).sum::<usize>();
                w.buffer.extend(batch.records);
            }
            let Some(oldest) = w.buffer.first().map(|r| r.timestamp_ms) else {
                return Ok(out);
            };
            let now = self.now();
            let due_at = oldest + i64::from(buffering.interval_s) * 1_000;
            let full = w.buffered_bytes >= size_limit;
            if !full && now < due_at {
                out.due_at_ms = Some(due_at);
                return Ok(out);
            }
            if let Some(retry_at) = w.retry_at_ms
                && now < retry_at
            {
                out.due_at_ms = Some(retry_at);
                return Ok(out);
            }
            match self
                .deliver_buffer(&meta, &dest.config, &mut w.attempt, &w.buffer, now)
                .await
            {
                Ok(()) => {
                    let delivered = w.next;
                    self.meta
                        .commit(vec![MetaOp::Put {
                            table: PROGRESS_TABLE.into(),
                            key: progress_key(&meta.name, &dest.id),
                            value: delivered.to_string().into_bytes(),
                        }])
                        .map_err(|e| match e {
                            sluice_storage::MetaTxnError::Storage(s) => s,
                            other => StorageError::Fatal(other.to_string()),
                        })?;
                    w.delivered = delivered;
                    w.buffer.clear();
                    w.buffered_bytes = 0;
                    w.retry_at_ms = None;
                    w.failures = 0;
                    w.attempt = Attempt::default();
                    out.objects += 1;
                }
                Err(e) => {
                    tracing::warn!(delivery_stream = %meta.name, error = %e, "delivery failed; will retry");
                    w.attempt.first_failure_ms.get_or_insert(now);
                    w.failures += 1;
                    let backoff =
                        (1_000i64 << w.failures.min(5).saturating_sub(1)).min(MAX_BACKOFF_MS);
                    w.retry_at_ms = Some(now + backoff);
                    out.failures += 1;
                    out.due_at_ms = w.retry_at_ms;
                    return Ok(out);
                }
            }
        }
    }

    /// Delivers one buffer to the destination.
    async fn deliver_buffer(
        &self,
        meta: &crate::meta::DeliveryStreamMeta,
        dest: &DestinationConfig,
        attempt: &mut Attempt,
        records: &[StoredRecord],
        now: i64,
    ) -> Result<(), SinkError> {
        let name = &meta.name;
        let transforms = crate::processors::Transforms::of(dest.processing()).unwrap_or_default();
        let lambda = crate::lambda::LambdaProcessor::of(dest.processing())
            .ok()
            .flatten();
        let raw = records;
        let processed;
        let records = if transforms.is_identity() && lambda.is_none() {
            records
        } else {
            if attempt.processed.is_none() {
                let (mut out, mut failed) = transforms.apply(raw);
                if let Some(l) = &lambda {
                    let (o, f) = self.invoke_lambda(name, l, out).await;
                    out = o;
                    failed.extend(f);
                }
                if !failed.is_empty() {
                    self.write_processing_failures(meta, dest, &failed, now)
                        .await?;
                }
                attempt.processed = Some(out);
            }
            processed = attempt.processed.clone().unwrap_or_default();
            if processed.is_empty() {
                return Ok(());
            }
            &processed[..]
        };
        match dest {
            DestinationConfig::S3(s3) => {
                let r = if s3.partitioning() {
                    self.deliver_partitioned(meta, s3, attempt, records, now)
                        .await
                } else if s3.converting().is_some() {
                    self.deliver_converted(meta, s3, attempt, records, now)
                        .await
                } else {
                    self.deliver_object(name, meta.version_id, s3, records)
                        .await
                };
                if r.is_err() {
                    metrics::counter!("sluice_firehose_delivery_to_s3_failures_total", "delivery_stream" => name.clone())
                        .increment(1);
                }
                r
            }
            DestinationConfig::Search(o) => {
                self.deliver_search(meta, o, attempt, raw, records, now)
                    .await
            }
            DestinationConfig::Http(h) => {
                if h.backup_all && !attempt.backup_done {
                    // AllData: the source records, unprocessed, to the S3 destination.
                    let mut raw = h.s3.clone();
                    raw.processing = None;
                    self.deliver_object(name, meta.version_id, &raw, records)
                        .await?;
                    attempt.backup_done = true;
                }
                let request_id = attempt
                    .request_id
                    .get_or_insert_with(|| keys::uuid(&mut *self.rng.lock()))
                    .clone();
                attempt.attempts += 1;
                let started = std::time::Instant::now();
                let labels = [("delivery_stream", name.clone())];
                match self.post_http(meta, h, &request_id, records, now).await {
                    Ok(bytes) => {
                        metrics::counter!(
                            "sluice_firehose_delivery_to_http_endpoint_success_total",
                            &labels
                        )
                        .increment(1);
                        metrics::counter!(
                            "sluice_firehose_delivery_to_http_endpoint_records_total",
                            &labels
                        )
                        .increment(records.len() as u64);
                        metrics::counter!(
                            "sluice_firehose_delivery_to_http_endpoint_bytes_total",
                            &labels
                        )
                        .increment(bytes as u64);
                        metrics::histogram!(
                            "sluice_firehose_delivery_to_http_endpoint_seconds",
                            &labels
                        )
                        .record(started.elapsed().as_secs_f64());
                        Ok(())
                    }
                    Err((code, message)) => {
                        metrics::counter!(
                            "sluice_firehose_delivery_to_http_endpoint_failures_total",
                            &labels
                        )
                        .increment(1);
                        attempt.last_error = Some((code.clone(), message.clone()));
                        let first = attempt.first_failure_ms.unwrap_or(now);
                        if now - first < i64::from(h.retry_duration_s) * 1_000 {
                            return Err(SinkError(format!("{code}: {message}")));
                        }
                        // Retries are used up: the records go to the S3 error output.
                        self.deliver_failed(meta, h, attempt, records, now).await?;
                        metrics::counter!(
                            "sluice_firehose_delivery_to_http_endpoint_failed_to_s3_records_total",
                            &labels
                        )
                        .increment(records.len() as u64);
                        Ok(())
                    }
                }
            }
        }
    }

    /// One request in AWS's HTTP endpoint format; the error is (errorCode, message).
    async fn post_http(
        &self,
        meta: &crate::meta::DeliveryStreamMeta,
        h: &crate::model::HttpDestination,
        request_id: &str,
        records: &[StoredRecord],
        now: i64,
    ) -> Result<usize, (String, String)> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let delimiter = delimiter_of(h.processing.as_ref());
        let body = serde_json::json!({
            "requestId": request_id,
            "timestamp": now,
            "records": records.iter().map(|r| {
                let mut data = r.value.to_vec();
                if let Some(d) = &delimiter {
                    data.extend_from_slice(d);
                }
                serde_json::json!({ "data": b64.encode(&data) })
            }).collect::<Vec<_>>(),
        });
        let mut body = serde_json::to_vec(&body).unwrap_or_default();
        let bytes = body.len();
        let mut req = self
            .http
            .post(&h.url)
            .header("Content-Type", "application/json")
            .header("X-Amz-Firehose-Protocol-Version", "1.0")
            .header("X-Amz-Firehose-Request-Id", request_id)
            .header("X-Amz-Firehose-Source-Arn", self.arn(&meta.name));
        if let Some(k) = &h.access_key {
            req = req.header("X-Amz-Firehose-Access-Key", k);
        }
        if !h.common_attributes.is_empty() {
            let attrs: serde_json::Map<String, serde_json::Value> = h
                .common_attributes
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            req = req.header(
                "X-Amz-Firehose-Common-Attributes",
                serde_json::json!({ "commonAttributes": attrs }).to_string(),
            );
        }
        if h.gzip {
            body = compress::compress(Compression::Gzip, &body, "")
                .map_err(|e| ("HttpEndpoint.RequestFailed".to_owned(), e.to_string()))?;
            req = req.header("Content-Encoding", "gzip");
        }
        let resp = req.body(body).send().await.map_err(|e| {
            (
                "HttpEndpoint.RequestTimeout".to_owned(),
                format!("The request to the endpoint failed: {e}"),
            )
        })?;
        let status = resp.status().as_u16();
        let text = resp.bytes().await.unwrap_or_default();
        if status != 200 {
            let shown: String = String::from_utf8_lossy(&text).chars().take(1024).collect();
            return Err((
                "HttpEndpoint.DestinationException".to_owned(),
                format!(
                    "The following response was received from the endpoint destination. {status}: {shown}"
                ),
            ));
        }
        let answered = serde_json::from_slice::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("requestId")
                    .and_then(|r| r.as_str())
                    .map(str::to_owned)
            });
        if answered.as_deref() != Some(request_id) {
            return Err((
                "HttpEndpoint.InvalidResponseFromDestination".to_owned(),
                "The response received from the endpoint is invalid: its requestId does not match the request's.".to_owned(),
            ));
        }
        Ok(bytes)
    }

    /// Records whose retries ran out, as JSON lines in the S3 error output
    /// (`!{firehose:error-output-type}` = `http-endpoint-failed`).
    async fn deliver_failed(
        &self,
        meta: &crate::meta::DeliveryStreamMeta,
        h: &crate::model::HttpDestination,
        attempt: &Attempt,
        records: &[StoredRecord],
        now: i64,
    ) -> Result<(), SinkError> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let (code, message) = attempt.last_error.clone().unwrap_or_default();
        let lines = records
            .iter()
            .map(|r| {
                serde_json::json!({
                    "attemptsMade": attempt.attempts,
                    "arrivalTimestamp": r.timestamp_ms,
                    "errorCode": code,
                    "errorMessage": message,
                    "attemptEndingTimestamp": now,
                    "rawData": b64.encode(&r.value),
                    "EndpointUrl": h.url,
                })
            })
            .collect();
        let oldest = records.first().map(|r| r.timestamp_ms).unwrap_or(now);
        self.write_error_output(meta, &h.s3, "http-endpoint-failed", lines, oldest)
            .await
    }

    /// Records that failed processing, as JSON lines in the error output (`processing-failed`)
    /// of the destination's S3 configuration.
    async fn write_processing_failures(
        &self,
        meta: &crate::meta::DeliveryStreamMeta,
        dest: &DestinationConfig,
        failed: &[crate::processors::Failure],
        now: i64,
    ) -> Result<(), SinkError> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let s3 = match dest {
            DestinationConfig::S3(s3) => s3,
            DestinationConfig::Http(h) => &h.s3,
            DestinationConfig::Search(o) => &o.s3,
        };
        let lines = failed
            .iter()
            .map(|f| {
                serde_json::json!({
                    "attemptsMade": 1,
                    "arrivalTimestamp": f.arrival_ms,
                    "errorCode": f.code,
                    "errorMessage": f.message,
                    "attemptEndingTimestamp": now,
                    "rawData": b64.encode(&f.raw),
                })
            })
            .collect();
        let oldest = failed.iter().map(|f| f.arrival_ms).min().unwrap_or(now);
        metrics::counter!("sluice_firehose_processing_failed_records_total", "delivery_stream" => meta.name.clone())
            .increment(failed.len() as u64);
        self.write_error_output(meta, s3, "processing-failed", lines, oldest)
            .await
    }

    /// JSON lines to the S3 error output: ErrorOutputPrefix evaluated with `error_type`, or
    /// `<error_type>/yyyy/MM/dd/HH/` when none is set.
    pub(crate) async fn write_error_output(
        &self,
        meta: &crate::meta::DeliveryStreamMeta,
        s3: &S3Destination,
        error_type: &str,
        lines: Vec<serde_json::Value>,
        oldest: i64,
    ) -> Result<(), SinkError> {
        let mut body = Vec::new();
        for line in lines {
            body.extend_from_slice(line.to_string().as_bytes());
            body.push(b'\n');
        }
        let (prefix, suffix) = {
            let mut rng = self.rng.lock();
            let ctx = KeyContext {
                oldest_arrival_ms: oldest,
                error_output_type: Some(error_type),
                partition: None,
            };
            let prefix = match s3.error_output_prefix.as_deref().filter(|p| !p.is_empty()) {
                Some(p) => keys::evaluate_prefix(Some(p), &ctx, &mut *rng),
                None => format!(
                    "{error_type}/{}",
                    keys::evaluate_prefix(None, &ctx, &mut *rng)
                ),
            };
            let suffix = keys::object_suffix(&meta.name, meta.version_id, oldest, "", &mut *rng);
            (prefix, suffix)
        };
        self.sink
            .put(s3.bucket(), &format!("{prefix}{suffix}"), Bytes::from(body))
            .await
    }

    /// Dynamic partitioning: each record's keys from the MetadataExtraction query, one object per
    /// distinct keys (in the order they first appear); records without keys go to the error
    /// output (`processing-failed`), once per buffer.
    async fn deliver_partitioned(
        &self,
        meta: &crate::meta::DeliveryStreamMeta,
        s3: &S3Destination,
        attempt: &mut Attempt,
        records: &[StoredRecord],
        now: i64,
    ) -> Result<(), SinkError> {
        let query = crate::partition::Query::compile(s3.metadata_query().unwrap_or("{}"))
            .map_err(SinkError)?;
        let mut groups: Vec<(crate::partition::Keys, Vec<StoredRecord>)> = Vec::new();
        let mut index: HashMap<crate::partition::Keys, usize> = HashMap::new();
        let mut failed = Vec::new();
        for r in records {
            match query.keys(&r.value) {
                Ok(k) => {
                    let at = *index.entry(k.clone()).or_insert_with(|| {
                        groups.push((k, Vec::new()));
                        groups.len() - 1
                    });
                    groups[at].1.push(r.clone());
                }
                Err(e) => failed.push(crate::processors::Failure {
                    raw: r.value.clone(),
                    arrival_ms: r.timestamp_ms,
                    code: "DynamicPartitioning.MetadataExtractionFailed",
                    message: e,
                }),
            }
        }
        if !failed.is_empty() && !attempt.partition_failures_written {
            self.write_processing_failures(meta, &DestinationConfig::S3(s3.clone()), &failed, now)
                .await?;
            attempt.partition_failures_written = true;
        }
        metrics::gauge!("sluice_firehose_partitions_per_object_batch", "delivery_stream" => meta.name.clone())
            .set(groups.len() as f64);
        for (keys, recs) in &groups {
            let id = serde_json::to_string(keys).unwrap_or_default();
            if attempt.partitions_done.contains(&id) {
                continue;
            }
            self.deliver_object_in(&meta.name, meta.version_id, s3, recs, Some(keys))
                .await?;
            attempt.partitions_done.insert(id);
        }
        Ok(())
    }

    /// One Parquet object of `records` (record format conversion); records that do not convert
    /// go to the `format-conversion-failed` error output (once per buffer).
    async fn deliver_converted(
        &self,
        meta: &crate::meta::DeliveryStreamMeta,
        s3: &S3Destination,
        attempt: &mut Attempt,
        records: &[StoredRecord],
        now: i64,
    ) -> Result<(), SinkError> {
        use base64::Engine;
        let Some(conversion) = s3.converting().cloned() else {
            return Ok(());
        };
        let schema = self.table_schema(&conversion).map_err(SinkError)?;
        let owned = records.to_vec();
        let converted = tokio::task::spawn_blocking(move || {
            crate::convert::to_parquet(&conversion, schema, &owned)
        })
        .await
        .map_err(|e| SinkError(e.to_string()))?
        .map_err(SinkError)?;
        if !converted.failed.is_empty() && !attempt.conversion_failures_written {
            let b64 = base64::engine::general_purpose::STANDARD;
            let lines = converted
                .failed
                .iter()
                .map(|(i, e)| {
                    let r = &records[*i];
                    serde_json::json!({
                        "attemptsMade": 1,
                        "arrivalTimestamp": r.timestamp_ms,
                        "errorCode": "DataFormatConversion.MalformedData",
                        "errorMessage": e,
                        "attemptEndingTimestamp": now,
                        "rawData": b64.encode(&r.value),
                        "sequenceNumber": r.offset.to_string(),
                        "subSequenceNumber": 0,
                        "dataCatalogTable": {
                            "catalogId": s3.conversion.as_ref().and_then(|c| c.catalog_id.clone()),
                            "databaseName": s3.conversion.as_ref().and_then(|c| c.database_name.clone()),
                            "tableName": s3.conversion.as_ref().and_then(|c| c.table_name.clone()),
                            "region": s3.conversion.as_ref().and_then(|c| c.region.clone()),
                            "versionId": s3.conversion.as_ref().and_then(|c| c.version_id.clone()),
                        },
                    })
                })
                .collect();
            let oldest = records.first().map(|r| r.timestamp_ms).unwrap_or(now);
            metrics::counter!("sluice_firehose_format_conversion_failed_records_total", "delivery_stream" => meta.name.clone())
                .increment(converted.failed.len() as u64);
            self.write_error_output(meta, s3, "format-conversion-failed", lines, oldest)
                .await?;
            attempt.conversion_failures_written = true;
        }
        if converted.failed.len() == records.len() {
            return Ok(());
        }
        let oldest = records.first().map(|r| r.timestamp_ms).unwrap_or(now);
        let extension = s3
            .file_extension
            .as_deref()
            .filter(|e| !e.is_empty())
            .unwrap_or(".parquet");
        let key = {
            let mut rng = self.rng.lock();
            let ctx = KeyContext {
                oldest_arrival_ms: oldest,
                error_output_type: None,
                partition: None,
            };
            let prefix = keys::evaluate_prefix(s3.prefix.as_deref(), &ctx, &mut *rng);
            let suffix =
                keys::object_suffix(&meta.name, meta.version_id, oldest, extension, &mut *rng);
            format!("{prefix}{suffix}")
        };
        let size = converted.parquet.len();
        self.sink
            .put(s3.bucket(), &key, Bytes::from(converted.parquet))
            .await?;
        let labels = [("delivery_stream", meta.name.clone())];
        metrics::counter!("sluice_firehose_delivery_to_s3_success_total", &labels).increment(1);
        metrics::counter!("sluice_firehose_delivery_to_s3_records_total", &labels)
            .increment((records.len() - converted.failed.len()) as u64);
        metrics::counter!("sluice_firehose_delivery_to_s3_bytes_total", &labels)
            .increment(size as u64);
        Ok(())
    }

    /// Processes, compresses and stores one object of `records`.
    pub(crate) async fn deliver_object(
        &self,
        name: &str,
        version: u64,
        s3: &S3Destination,
        records: &[StoredRecord],
    ) -> Result<(), SinkError> {
        self.deliver_object_in(name, version, s3, records, None)
            .await
    }

    /// One object of `records`, in the partition `partition` names (dynamic partitioning).
    async fn deliver_object_in(
        &self,
        name: &str,
        version: u64,
        s3: &S3Destination,
        records: &[StoredRecord],
        partition: Option<&crate::partition::Keys>,
    ) -> Result<(), SinkError> {
        let started = std::time::Instant::now();
        let oldest = records.first().map(|r| r.timestamp_ms).unwrap_or(0);
        let data = process(s3, records);
        let extension = s3
            .file_extension
            .as_deref()
            .filter(|e| !e.is_empty())
            .unwrap_or(s3.compression.default_extension());
        let (prefix, suffix) = {
            let mut rng = self.rng.lock();
            let ctx = KeyContext {
                oldest_arrival_ms: oldest,
                error_output_type: None,
                partition,
            };
            let prefix = keys::evaluate_prefix(s3.prefix.as_deref(), &ctx, &mut *rng);
            let suffix = keys::object_suffix(name, version, oldest, extension, &mut *rng);
            (prefix, suffix)
        };
        let entry = suffix.strip_suffix(extension).unwrap_or(&suffix).to_owned();
        let compression = s3.compression;
        let raw_len = data.len();
        let body = if compression == Compression::Uncompressed {
            data
        } else {
            tokio::task::spawn_blocking(move || compress::compress(compression, &data, &entry))
                .await
                .map_err(|e| SinkError(e.to_string()))?
                .map_err(|e| SinkError(e.to_string()))?
        };
        let key = format!("{prefix}{suffix}");
        let size = body.len();
        self.sink.put(s3.bucket(), &key, Bytes::from(body)).await?;
        let labels = [("delivery_stream", name.to_owned())];
        metrics::counter!("sluice_firehose_delivery_to_s3_success_total", &labels).increment(1);
        metrics::counter!("sluice_firehose_delivery_to_s3_records_total", &labels)
            .increment(records.len() as u64);
        metrics::counter!("sluice_firehose_delivery_to_s3_bytes_total", &labels)
            .increment(raw_len as u64);
        metrics::histogram!("sluice_firehose_delivery_to_s3_seconds", &labels)
            .record(started.elapsed().as_secs_f64());
        tracing::debug!(
            delivery_stream = name,
            key,
            size,
            records = records.len(),
            "delivered object"
        );
        Ok(())
    }
}

/// The delimiter AppendDelimiterToRecord adds, if that processor is on.
fn delimiter_of(processing: Option<&crate::model::Processing>) -> Option<Vec<u8>> {
    processing
        .filter(|p| p.is_enabled())
        .and_then(|p| {
            p.processors
                .iter()
                .find(|p| p.kind == "AppendDelimiterToRecord")
        })
        .map(|p| {
            p.parameters
                .iter()
                .find(|(k, _)| k == "Delimiter")
                .map(|(_, v)| unescape(v))
                .unwrap_or_else(|| b"\n".to_vec())
        })
}

/// The record processors of the destination, in order, over the records' data.
fn process(s3: &S3Destination, records: &[StoredRecord]) -> Vec<u8> {
    let delimiter = delimiter_of(s3.processing.as_ref());
    let extra = delimiter.as_ref().map_or(0, |d| d.len() * records.len());
    let mut out = Vec::with_capacity(records.iter().map(|r| r.value.len()).sum::<usize>() + extra);
    for r in records {
        out.extend_from_slice(&r.value);
        if let Some(d) = &delimiter {
            out.extend_from_slice(d);
        }
    }
    out
}

/// The Delimiter parameter as AWS takes it: `\n`, `\t`, `\r` and `\\` written as escapes.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push(b'\n'),
                Some('t') => out.push(b'\t'),
                Some('r') => out.push(b'\r'),
                Some('\\') => out.push(b'\\'),
                Some(other) => {
                    out.push(b'\\');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                }
                None => out.push(b'\\'),
            }
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn delimiters_take_escapes() {
        assert_eq!(unescape("\\n"), b"\n");
        assert_eq!(unescape("|"), b"|");
        assert_eq!(unescape("a\\tb\\\\"), b"a\tb\\");
        assert_eq!(unescape("\\x"), b"\\x");
    }
}
