//! S3 objects: one object per buffer (processed, compressed, keyed as AWS keys them), one per
//! partition with dynamic partitioning, Parquet with record format conversion, and the JSON-lines
//! objects of the S3 error output.

use crate::compress;
use crate::delivery::Attempt;
use crate::keys::{self, KeyContext};
use crate::model::{Compression, DestinationConfig, S3Destination};
use crate::service::Firehose;
use crate::sink::SinkError;
use bytes::Bytes;
use sluice_storage::StoredRecord;
use std::collections::HashMap;

impl Firehose {
    /// Records that failed processing, as JSON lines in the error output (`processing-failed`)
    /// of the destination's S3 configuration.
    pub(crate) async fn write_processing_failures(
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
    pub(crate) async fn deliver_partitioned(
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
    pub(crate) async fn deliver_converted(
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
    pub(crate) async fn deliver_object_in(
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
pub(crate) fn delimiter_of(processing: Option<&crate::model::Processing>) -> Option<Vec<u8>> {
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
