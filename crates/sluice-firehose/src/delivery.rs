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
        let mut w = state.worker.lock().await;
        let mut out = StepOutcome::default();
        loop {
            if state.deleted.load(Ordering::SeqCst) {
                return Ok(out);
            }
            let meta = state.meta.read().clone();
            let Some(dest) = meta.destinations.first() else {
                return Ok(out);
            };
            let DestinationConfig::S3(s3) = &dest.config;
            let size_limit = (s3.buffering.size_mb as usize).max(1) * MIB;
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
            let due_at = oldest + i64::from(s3.buffering.interval_s) * 1_000;
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
                .deliver_object(&meta.name, meta.version_id, s3, &w.buffer)
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
                    out.objects += 1;
                }
                Err(e) => {
                    tracing::warn!(delivery_stream = %meta.name, error = %e, "delivery to S3 failed; will retry");
                    metrics::counter!("sluice_firehose_delivery_to_s3_failures_total", "delivery_stream" => meta.name.clone())
                        .increment(1);
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

    /// Processes, compresses and stores one object of `records`.
    async fn deliver_object(
        &self,
        name: &str,
        version: u64,
        s3: &S3Destination,
        records: &[StoredRecord],
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

/// The record processors of the destination, in order, over the records' data.
fn process(s3: &S3Destination, records: &[StoredRecord]) -> Vec<u8> {
    let delimiter: Option<Vec<u8>> = s3
        .processing
        .as_ref()
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
        });
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
