//! HTTP endpoint destinations: one request per buffer in AWS's format (`X-Amz-Firehose-*`
//! headers, a JSON body of base64 records, optional GZIP), retried with the same request id
//! until the retry duration has passed, then the records go to the S3 error output.

use crate::compress;
use crate::delivery::Attempt;
use crate::keys;
use crate::model::{Compression, HttpDestination};
use crate::objects::delimiter_of;
use crate::service::Firehose;
use crate::sink::SinkError;
use sluice_storage::StoredRecord;

impl Firehose {
    /// Delivers one buffer (`records`, processed from `raw`) to an HTTP endpoint.
    pub(crate) async fn deliver_http(
        &self,
        meta: &crate::meta::DeliveryStreamMeta,
        h: &HttpDestination,
        attempt: &mut Attempt,
        raw: &[StoredRecord],
        records: &[StoredRecord],
        now: i64,
    ) -> Result<(), SinkError> {
        let name = &meta.name;
        if h.backup_all && !attempt.backup_done {
            // AllData: the source records, unprocessed, to the S3 destination.
            let mut backup = h.s3.clone();
            backup.processing = None;
            self.deliver_object(name, meta.version_id, &backup, raw)
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
                metrics::histogram!("sluice_firehose_delivery_to_http_endpoint_seconds", &labels)
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
}
