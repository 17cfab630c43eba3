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

use crate::meta::{PROGRESS_TABLE, progress_key};
use crate::model::DestinationConfig;
use crate::service::{DeliveryState, Firehose};
use crate::sink::SinkError;
use sluice_storage::{MetaOp, ReadLimits, StorageError, StoredRecord};
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
    pub(crate) request_id: Option<String>,
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
                let mut records = batch.records;
                for r in &mut records {
                    if sluice_streams::kms::is_sealed(&r.key) {
                        let (_, data, _) = self
                            .keys
                            .open_record(&r.key, std::mem::take(&mut r.value))
                            .map_err(crate::service::kms_error)?;
                        r.key = bytes::Bytes::new();
                        r.value = data;
                    }
                }
                w.buffered_bytes += records.iter().map(|r| r.value.len()).sum::<usize>();
                w.buffer.extend(records);
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
        if let DestinationConfig::S3(s3) = dest
            && s3.backup_enabled
            && !attempt.backup_done
            && let Some(backup) = &s3.backup
        {
            // S3BackupMode Enabled: the source records, as they came, to the backup bucket.
            self.deliver_object(name, meta.version_id, backup, records)
                .await?;
            attempt.backup_done = true;
        }
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
                self.deliver_http(meta, h, attempt, raw, records, now).await
            }
        }
    }
}
