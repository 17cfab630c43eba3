//! OpenSearch and Elasticsearch destinations: each buffer is one `_bulk` request (an `index`
//! action per record, into the rotated index name), documents the cluster refuses are retried
//! alone until the retry duration has passed, then written to the S3 error output.

use crate::delivery::Attempt;
use crate::meta::DeliveryStreamMeta;
use crate::model::{IndexRotation, SearchDestination};
use crate::service::Firehose;
use crate::sink::SinkError;
use base64::Engine;
use sluice_storage::StoredRecord;
use time::OffsetDateTime;

impl Firehose {
    pub(crate) async fn deliver_search(
        &self,
        meta: &DeliveryStreamMeta,
        o: &SearchDestination,
        attempt: &mut Attempt,
        raw: &[StoredRecord],
        records: &[StoredRecord],
        now: i64,
    ) -> Result<(), SinkError> {
        if o.backup_all && !attempt.backup_done {
            // AllDocuments: the source records, unprocessed, to the S3 destination.
            let mut backup = o.s3.clone();
            backup.processing = None;
            self.deliver_object(&meta.name, meta.version_id, &backup, raw)
                .await?;
            attempt.backup_done = true;
        }
        attempt.attempts += 1;
        let pending: Vec<usize> = match &attempt.pending {
            Some(p) => p.iter().map(|(i, _, _)| *i).collect(),
            None => (0..records.len()).collect(),
        };
        let labels = [("delivery_stream", meta.name.clone())];
        let started = std::time::Instant::now();
        let failed = match self.bulk(meta, o, records, &pending).await {
            Ok(failed) => {
                let ok = pending.len() - failed.len();
                metrics::counter!(
                    "sluice_firehose_delivery_to_opensearch_success_total",
                    &labels
                )
                .increment(1);
                metrics::counter!(
                    "sluice_firehose_delivery_to_opensearch_records_total",
                    &labels
                )
                .increment(ok as u64);
                metrics::histogram!("sluice_firehose_delivery_to_opensearch_seconds", &labels)
                    .record(started.elapsed().as_secs_f64());
                failed
            }
            Err((code, message)) => {
                metrics::counter!(
                    "sluice_firehose_delivery_to_opensearch_failures_total",
                    &labels
                )
                .increment(1);
                pending
                    .iter()
                    .map(|i| (*i, code.clone(), message.clone()))
                    .collect()
            }
        };
        if failed.is_empty() {
            return Ok(());
        }
        metrics::counter!(
            "sluice_firehose_delivery_to_opensearch_failed_documents_total",
            &labels
        )
        .increment(failed.len() as u64);
        let first = attempt.first_failure_ms.unwrap_or(now);
        let n = failed.len();
        attempt.pending = Some(failed);
        if now - first < i64::from(o.retry_duration_s) * 1_000 {
            return Err(SinkError(format!(
                "{n} documents were not indexed; will retry"
            )));
        }
        // Retries are used up: the documents go to the S3 error output.
        let b64 = base64::engine::general_purpose::STANDARD;
        let lines = attempt
            .pending
            .iter()
            .flatten()
            .map(|(i, code, message)| {
                let r = &records[*i];
                serde_json::json!({
                    "attemptsMade": attempt.attempts,
                    "arrivalTimestamp": r.timestamp_ms,
                    "errorCode": code,
                    "errorMessage": message,
                    "attemptEndingTimestamp": now,
                    "rawData": b64.encode(&r.value),
                    "subsequenceNumber": 0,
                    "esDocumentId": o.firehose_document_ids.then(|| document_id(meta.log, r, sub_index(records, *i))),
                    "esIndexName": index_name(o, r.timestamp_ms),
                    "esTypeName": o.type_name.clone().unwrap_or_default(),
                })
            })
            .collect();
        let oldest = records.first().map(|r| r.timestamp_ms).unwrap_or(now);
        self.write_error_output(meta, &o.s3, o.flavor.error_output_type(), lines, oldest)
            .await
    }

    /// One `_bulk` request for the records at `pending`; answers the ones the cluster refused,
    /// with (errorCode, message), or an error for the request as a whole.
    async fn bulk(
        &self,
        meta: &DeliveryStreamMeta,
        o: &SearchDestination,
        records: &[StoredRecord],
        pending: &[usize],
    ) -> Result<Vec<(usize, String, String)>, (String, String)> {
        let mut body = Vec::new();
        for &i in pending {
            let r = &records[i];
            let mut action = serde_json::Map::new();
            action.insert("_index".into(), index_name(o, r.timestamp_ms).into());
            if let Some(t) = o.type_name.as_deref().filter(|t| !t.is_empty()) {
                action.insert("_type".into(), t.into());
            }
            if o.firehose_document_ids {
                action.insert(
                    "_id".into(),
                    document_id(meta.log, r, sub_index(records, i)).into(),
                );
            }
            body.extend_from_slice(
                serde_json::json!({ "index": action })
                    .to_string()
                    .as_bytes(),
            );
            body.push(b'\n');
            // A JSON document's line breaks are whitespace outside strings: one line each.
            body.extend(
                r.value
                    .iter()
                    .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
            );
            body.push(b'\n');
        }
        let url = format!("{}/_bulk", o.endpoint.trim_end_matches('/'));
        let resp = self
            .http
            .post(&url)
            .header("Content-Type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                (
                    "OS.ConnectionFailed".to_owned(),
                    format!("The request to the cluster failed: {e}"),
                )
            })?;
        let status = resp.status().as_u16();
        let text = resp.bytes().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            let shown: String = String::from_utf8_lossy(&text).chars().take(1024).collect();
            return Err((
                format!("OS.{status}"),
                format!("The cluster answered {status}: {shown}"),
            ));
        }
        let answer: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            (
                "OS.InvalidResponse".to_owned(),
                format!("The cluster's _bulk answer is not JSON: {e}"),
            )
        })?;
        let items = answer["items"].as_array().cloned().unwrap_or_default();
        if items.len() != pending.len() {
            return Err((
                "OS.InvalidResponse".to_owned(),
                format!(
                    "The cluster answered {} items for {} documents.",
                    items.len(),
                    pending.len()
                ),
            ));
        }
        let mut failed = Vec::new();
        for (item, &i) in items.iter().zip(pending) {
            let result = item
                .as_object()
                .and_then(|m| m.values().next())
                .cloned()
                .unwrap_or_default();
            let status = result["status"].as_u64().unwrap_or(500);
            if status >= 300 {
                let error = &result["error"];
                let kind = error["type"].as_str().unwrap_or("unknown").to_owned();
                let reason = error["reason"].as_str().unwrap_or("").to_owned();
                failed.push((i, kind, format!("{status}: {reason}")));
            }
        }
        Ok(failed)
    }
}

/// A stable id per record (its log, offset and, for a deaggregated record, its place in the
/// source record), so a retried document replaces itself.
fn document_id(log: u64, r: &StoredRecord, sub: u32) -> String {
    let mut bytes = Vec::with_capacity(20);
    bytes.extend_from_slice(&log.to_be_bytes());
    bytes.extend_from_slice(&r.offset.to_be_bytes());
    if sub > 0 {
        bytes.extend_from_slice(&sub.to_be_bytes());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How many records before `i` come from the same source record (processing keeps order).
fn sub_index(records: &[StoredRecord], i: usize) -> u32 {
    let offset = records[i].offset;
    records[..i]
        .iter()
        .rev()
        .take_while(|r| r.offset == offset)
        .count() as u32
}

/// IndexName with the rotation suffix of the record's arrival time (UTC).
pub(crate) fn index_name(o: &SearchDestination, arrival_ms: i64) -> String {
    let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(arrival_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let (y, m, d, h) = (dt.year(), u8::from(dt.month()), dt.day(), dt.hour());
    let base = &o.index_name;
    match o.rotation {
        IndexRotation::NoRotation => base.clone(),
        IndexRotation::OneHour => format!("{base}-{y:04}-{m:02}-{d:02}-{h:02}"),
        IndexRotation::OneDay => format!("{base}-{y:04}-{m:02}-{d:02}"),
        IndexRotation::OneWeek => {
            let (wy, w, _) = dt.to_iso_week_date();
            format!("{base}-{wy:04}-{w:02}")
        }
        IndexRotation::OneMonth => format!("{base}-{y:04}-{m:02}"),
    }
}
