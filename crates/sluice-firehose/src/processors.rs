//! The record processors that turn each source record into zero or more records before delivery,
//! in AWS's order whatever the order they are listed in: Decompression (GZIP), then
//! CloudWatchLogProcessing (one record per log event of a DATA_MESSAGE; CONTROL_MESSAGEs are
//! dropped), then RecordDeAggregation (consecutive JSON objects, or a base64-given delimiter; at
//! most 500 sub-records per record). AppendDelimiterToRecord is applied when the object or request
//! is formed. A record a processor cannot handle fails alone and goes to the S3 error output
//! (`processing-failed`).

use crate::model::Processing;
use base64::Engine;
use bytes::Bytes;
use sluice_storage::StoredRecord;
use std::io::Read;

/// AWS caps deaggregation at 500 sub-records per record.
const MAX_SUB_RECORDS: usize = 500;
/// A decompressed record may not exceed this (well above the 1,000 KiB a record may be).
const MAX_DECOMPRESSED: u64 = 64 * 1024 * 1024;

/// The processors that change records, with their parameters read once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Transforms {
    gunzip: bool,
    cloudwatch: bool,
    deaggregate: Option<SubRecords>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SubRecords {
    Json,
    Delimited(Vec<u8>),
}

/// A record that failed processing: its source data and arrival time, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub raw: Bytes,
    pub arrival_ms: i64,
    pub code: &'static str,
    pub message: String,
}

fn param<'a>(p: &'a crate::model::Processor, name: &str) -> Option<&'a str> {
    p.parameters
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl Transforms {
    /// Reads the processors of a configuration; the message is the InvalidArgumentException text.
    pub fn of(processing: Option<&Processing>) -> Result<Self, String> {
        let mut t = Transforms::default();
        let Some(p) = processing.filter(|p| p.is_enabled()) else {
            return Ok(t);
        };
        for proc in &p.processors {
            match proc.kind.as_str() {
                "Decompression" => match param(proc, "CompressionFormat").unwrap_or("GZIP") {
                    "GZIP" => t.gunzip = true,
                    other => {
                        return Err(format!(
                            "Decompression CompressionFormat {other} is not supported (GZIP is)."
                        ));
                    }
                },
                "CloudWatchLogProcessing" => {
                    t.cloudwatch = param(proc, "DataMessageExtraction")
                        .is_none_or(|v| v.eq_ignore_ascii_case("true"));
                }
                "RecordDeAggregation" => {
                    let kind = param(proc, "SubRecordType").unwrap_or("JSON");
                    t.deaggregate = Some(match kind {
                        "JSON" => SubRecords::Json,
                        "DELIMITED" => {
                            let d = param(proc, "Delimiter").ok_or(
                                "RecordDeAggregation with SubRecordType DELIMITED needs a Delimiter (base64-encoded).",
                            )?;
                            let d = base64::engine::general_purpose::STANDARD
                                .decode(d)
                                .ok()
                                .filter(|d| !d.is_empty())
                                .ok_or_else(|| {
                                    format!("The Delimiter {d} is not a base64-encoded string.")
                                })?;
                            SubRecords::Delimited(d)
                        }
                        other => {
                            return Err(format!(
                                "SubRecordType {other} is not valid: JSON or DELIMITED."
                            ));
                        }
                    });
                }
                _ => {}
            }
        }
        Ok(t)
    }

    pub fn is_identity(&self) -> bool {
        *self == Transforms::default()
    }

    /// The processed records (keeping each source record's offset, key and arrival time) and the
    /// records that failed.
    pub fn apply(&self, records: &[StoredRecord]) -> (Vec<StoredRecord>, Vec<Failure>) {
        let mut out = Vec::with_capacity(records.len());
        let mut failed = Vec::new();
        for r in records {
            match self.one(&r.value) {
                Ok(parts) => out.extend(parts.into_iter().map(|value| StoredRecord {
                    offset: r.offset,
                    timestamp_ms: r.timestamp_ms,
                    key: r.key.clone(),
                    value,
                })),
                Err((code, message)) => failed.push(Failure {
                    raw: r.value.clone(),
                    arrival_ms: r.timestamp_ms,
                    code,
                    message,
                }),
            }
        }
        (out, failed)
    }

    fn one(&self, data: &Bytes) -> Result<Vec<Bytes>, (&'static str, String)> {
        let mut data = data.clone();
        if self.gunzip {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&data[..])
                .take(MAX_DECOMPRESSED)
                .read_to_end(&mut out)
                .map_err(|e| {
                    (
                        "Decompression.Failed",
                        format!("The record is not valid GZIP data: {e}"),
                    )
                })?;
            data = Bytes::from(out);
        }
        let mut parts = vec![data];
        if self.cloudwatch {
            parts = parts
                .into_iter()
                .map(|p| cloudwatch_messages(&p))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect();
        }
        if let Some(kind) = &self.deaggregate {
            let mut out = Vec::new();
            for p in parts {
                let subs = match kind {
                    SubRecords::Json => split_json(&p)?,
                    SubRecords::Delimited(d) => split_delimited(&p, d),
                };
                if subs.len() > MAX_SUB_RECORDS {
                    return Err((
                        "RecordDeAggregation.TooManySubRecords",
                        format!(
                            "The record holds {} sub-records; at most {MAX_SUB_RECORDS} are taken.",
                            subs.len()
                        ),
                    ));
                }
                out.extend(subs);
            }
            parts = out;
        }
        Ok(parts)
    }
}

/// The log events' messages of a CloudWatch Logs subscription record (DATA_MESSAGE); none for a
/// CONTROL_MESSAGE.
fn cloudwatch_messages(data: &Bytes) -> Result<Vec<Bytes>, (&'static str, String)> {
    let v: serde_json::Value = serde_json::from_slice(data).map_err(|e| {
        (
            "CloudWatchLogProcessing.Failed",
            format!("The record is not a CloudWatch Logs message: {e}"),
        )
    })?;
    match v["messageType"].as_str() {
        Some("CONTROL_MESSAGE") => Ok(Vec::new()),
        Some("DATA_MESSAGE") => Ok(v["logEvents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["message"].as_str())
            .map(|m| Bytes::from(m.to_owned().into_bytes()))
            .collect()),
        _ => Err((
            "CloudWatchLogProcessing.Failed",
            "The record has no messageType DATA_MESSAGE or CONTROL_MESSAGE.".into(),
        )),
    }
}

/// Consecutive JSON objects (`{..}{..}` or JSON lines), each as written.
fn split_json(data: &Bytes) -> Result<Vec<Bytes>, (&'static str, String)> {
    let mut out = Vec::new();
    let mut stream =
        serde_json::Deserializer::from_slice(data).into_iter::<serde::de::IgnoredAny>();
    let mut start = 0;
    while let Some(item) = stream.next() {
        item.map_err(|e| {
            (
                "RecordDeAggregation.Failed",
                format!("The record is not consecutive JSON objects: {e}"),
            )
        })?;
        let end = stream.byte_offset();
        let slice = &data[start..end];
        let trimmed = trim(slice);
        if !trimmed.starts_with(b"{") {
            return Err((
                "RecordDeAggregation.Failed",
                "Only JSON objects can be deaggregated (not arrays or other values).".into(),
            ));
        }
        let from = start + (trimmed.as_ptr() as usize - slice.as_ptr() as usize);
        out.push(data.slice(from..from + trimmed.len()));
        start = end;
    }
    Ok(out)
}

fn trim(s: &[u8]) -> &[u8] {
    let a = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let b = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(a, |i| i + 1);
    &s[a..b]
}

fn split_delimited(data: &Bytes, delimiter: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + delimiter.len() <= data.len() {
        if &data[i..i + delimiter.len()] == delimiter {
            if i > start {
                out.push(data.slice(start..i));
            }
            i += delimiter.len();
            start = i;
        } else {
            i += 1;
        }
    }
    if start < data.len() {
        out.push(data.slice(start..));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Processor;
    use std::io::Write;

    fn t(procs: &[(&str, &[(&str, &str)])]) -> Transforms {
        Transforms::of(Some(&Processing {
            enabled: Some(true),
            processors: procs
                .iter()
                .map(|(k, ps)| Processor {
                    kind: (*k).into(),
                    parameters: ps.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect(),
                })
                .collect(),
        }))
        .unwrap()
    }

    fn rec(data: &[u8]) -> StoredRecord {
        StoredRecord {
            offset: 7,
            timestamp_ms: 1,
            key: Bytes::new(),
            value: Bytes::copy_from_slice(data),
        }
    }

    fn values(v: &[StoredRecord]) -> Vec<&[u8]> {
        v.iter().map(|r| &r.value[..]).collect()
    }

    #[test]
    fn json_deaggregation_splits_objects_and_lines() {
        let t = t(&[("RecordDeAggregation", &[("SubRecordType", "JSON")])]);
        let (out, failed) = t.apply(&[
            rec(b"{\"a\":1}{\"a\":2}\n{\"b\":{\"c\":3}}\n"),
            rec(b"[1,2]"),
        ]);
        assert_eq!(
            values(&out),
            vec![&b"{\"a\":1}"[..], b"{\"a\":2}", b"{\"b\":{\"c\":3}}"]
        );
        assert!(out.iter().all(|r| r.offset == 7));
        assert_eq!(failed.len(), 1);
        assert_eq!(&failed[0].raw[..], b"[1,2]");
    }

    #[test]
    fn delimited_deaggregation_takes_a_base64_delimiter() {
        let t = t(&[(
            "RecordDeAggregation",
            &[("SubRecordType", "DELIMITED"), ("Delimiter", "IyMjIw==")],
        )]);
        let (out, _) = t.apply(&[rec(b"a####bb########c")]);
        assert_eq!(values(&out), vec![&b"a"[..], b"bb", b"c"]);
        assert!(
            Transforms::of(Some(&Processing {
                enabled: Some(true),
                processors: vec![Processor {
                    kind: "RecordDeAggregation".into(),
                    parameters: vec![("SubRecordType".into(), "DELIMITED".into())],
                }],
            }))
            .is_err()
        );
    }

    #[test]
    fn cloudwatch_logs_records_are_decompressed_and_split() {
        let msg = serde_json::json!({
            "messageType": "DATA_MESSAGE", "owner": "1", "logGroup": "g", "logStream": "s",
            "subscriptionFilters": ["f"],
            "logEvents": [{"id": "1", "timestamp": 1, "message": "first"},
                          {"id": "2", "timestamp": 2, "message": "second"}]
        });
        let control = serde_json::json!({"messageType": "CONTROL_MESSAGE", "logEvents": []});
        let gz = |v: &serde_json::Value| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(v.to_string().as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let t = t(&[
            (
                "CloudWatchLogProcessing",
                &[("DataMessageExtraction", "true")],
            ),
            ("Decompression", &[("CompressionFormat", "GZIP")]),
        ]);
        let (out, failed) = t.apply(&[rec(&gz(&msg)), rec(&gz(&control)), rec(b"plain")]);
        assert_eq!(values(&out), vec![&b"first"[..], b"second"]);
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].code, "Decompression.Failed");
    }

    #[test]
    fn too_many_sub_records_fail_the_record() {
        let t = t(&[("RecordDeAggregation", &[("SubRecordType", "JSON")])]);
        let many = "{}".repeat(501);
        let (out, failed) = t.apply(&[rec(many.as_bytes())]);
        assert!(out.is_empty());
        assert_eq!(failed[0].code, "RecordDeAggregation.TooManySubRecords");
    }
}
