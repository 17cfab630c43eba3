//! DiscoverInputSchema: reads sample records from a data stream, a delivery stream or an object
//! of a bucket (a reference file, a line a record), and infers the input schema: JSON (column
//! names, JSON paths and SQL types) or, for records that are not JSON objects, CSV (COLUMN1, …
//! split at commas, typed by what the values hold).

use crate::mapping::{RecordColumn, RecordFormat, SourceSchema};
use crate::model::DiscoveredSchema;
use crate::service::{Analytics, AnalyticsError, Result};
use sluice_streams::model::{IteratorType, ListShardsInput};
use std::time::Duration;

/// Most records sampled, as AWS samples a few hundred.
const SAMPLE: usize = 100;

/// The SQL type seen so far for a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Int,
    BigInt,
    Double,
    Bool,
    /// The longest string, in characters.
    Text(usize),
}

fn merge(a: Option<Seen>, b: Seen) -> Seen {
    use Seen::*;
    match (a, b) {
        (None, b) => b,
        (Some(Text(x)), Text(y)) => Text(x.max(y)),
        (Some(Text(x)), other) | (Some(other), Text(x)) => Text(x.max(text_len(other))),
        (Some(Double), Int | BigInt | Double) | (Some(Int | BigInt), Double) => Double,
        (Some(BigInt), Int | BigInt) | (Some(Int), BigInt) => BigInt,
        (Some(Int), Int) => Int,
        (Some(Bool), Bool) => Bool,
        (Some(x), y) => Text(text_len(x).max(text_len(y))),
    }
}

fn text_len(s: Seen) -> usize {
    match s {
        Seen::Text(n) => n,
        Seen::Bool => 5,
        _ => 20,
    }
}

fn sql_type(s: Seen) -> String {
    match s {
        Seen::Int => "INTEGER".into(),
        Seen::BigInt => "BIGINT".into(),
        Seen::Double => "DOUBLE".into(),
        Seen::Bool => "BOOLEAN".into(),
        // Room to grow: the next power of two at or above the longest value seen.
        Seen::Text(n) => format!("VARCHAR({})", n.max(1).next_power_of_two()),
    }
}

/// The scalar leaves of a JSON object, with their paths (`$.a.b`) and column names (`a_b`).
fn leaves(v: &serde_json::Value, path: &str, name: &str, out: &mut Vec<(String, String, Seen)>) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                let p = format!("{path}.{k}");
                let n = if name.is_empty() {
                    k.clone()
                } else {
                    format!("{name}_{k}")
                };
                leaves(x, &p, &n, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::Bool(_) => out.push((path.into(), name.into(), Seen::Bool)),
        serde_json::Value::Number(n) => {
            let seen = match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => Seen::Int,
                Some(_) => Seen::BigInt,
                None => Seen::Double,
            };
            out.push((path.into(), name.into(), seen));
        }
        serde_json::Value::String(s) => {
            out.push((path.into(), name.into(), Seen::Text(s.chars().count())))
        }
        serde_json::Value::Array(_) => out.push((
            path.into(),
            name.into(),
            Seen::Text(v.to_string().chars().count()),
        )),
    }
}

/// Infers an input schema from sample records: JSON if any is a JSON object, else CSV if they
/// split at commas; `None` if neither.
pub fn infer(records: &[Vec<u8>]) -> Option<DiscoveredSchema> {
    infer_json(records).or_else(|| infer_csv(records))
}

fn seen_of(field: &str) -> Seen {
    let f = field.trim();
    if let Ok(i) = f.parse::<i64>() {
        return if i32::try_from(i).is_ok() {
            Seen::Int
        } else {
            Seen::BigInt
        };
    }
    if f.parse::<f64>().is_ok_and(f64::is_finite) {
        return Seen::Double;
    }
    if f.eq_ignore_ascii_case("true") || f.eq_ignore_ascii_case("false") {
        return Seen::Bool;
    }
    Seen::Text(field.chars().count())
}

/// CSV: each record a row (or rows, a line each) of comma-separated fields, at least two.
fn infer_csv(records: &[Vec<u8>]) -> Option<DiscoveredSchema> {
    let rows: Vec<Vec<String>> = records
        .iter()
        .flat_map(|r| {
            String::from_utf8_lossy(r)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .collect();
    let width = rows.iter().map(Vec::len).max()?;
    if width < 2 {
        return None;
    }
    let mut seen: Vec<Option<Seen>> = vec![None; width];
    for row in &rows {
        for (i, f) in row.iter().enumerate() {
            seen[i] = Some(merge(seen[i], seen_of(f)));
        }
    }
    Some(DiscoveredSchema {
        schema: SourceSchema {
            format: RecordFormat::Csv {
                row_delimiter: "\n".into(),
                column_delimiter: ",".into(),
            },
            encoding: Some("UTF-8".into()),
            columns: seen
                .into_iter()
                .enumerate()
                .map(|(i, s)| RecordColumn {
                    name: format!("COLUMN{}", i + 1),
                    mapping: None,
                    sql_type: sql_type(s.unwrap_or(Seen::Text(1))),
                })
                .collect(),
        },
        parsed: rows,
        raw: records
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect(),
    })
}

fn infer_json(records: &[Vec<u8>]) -> Option<DiscoveredSchema> {
    let mut columns: Vec<(String, String, Option<Seen>)> = Vec::new();
    let mut objects = Vec::new();
    for r in records {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(r) else {
            continue;
        };
        if !v.is_object() {
            continue;
        }
        let mut found = Vec::new();
        leaves(&v, "$", "", &mut found);
        for (path, name, seen) in found {
            match columns.iter_mut().find(|(p, _, _)| *p == path) {
                Some(c) => c.2 = Some(merge(c.2, seen)),
                None => columns.push((path, name, Some(seen))),
            }
        }
        objects.push(v);
    }
    if objects.is_empty() || columns.is_empty() {
        return None;
    }
    let parsed = objects
        .iter()
        .map(|o| {
            columns
                .iter()
                .map(|(path, _, _)| {
                    let mut cur = o;
                    for k in path.trim_start_matches("$.").split('.') {
                        match cur.get(k) {
                            Some(x) => cur = x,
                            None => return String::new(),
                        }
                    }
                    match cur {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    }
                })
                .collect()
        })
        .collect();
    Some(DiscoveredSchema {
        schema: SourceSchema {
            format: RecordFormat::Json {
                row_path: "$".into(),
            },
            encoding: Some("UTF-8".into()),
            columns: columns
                .into_iter()
                .map(|(path, name, seen)| RecordColumn {
                    name,
                    mapping: Some(path),
                    sql_type: sql_type(seen.unwrap_or(Seen::Text(1))),
                })
                .collect(),
        },
        parsed,
        raw: records
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect(),
    })
}

/// The schema of the records, or UnableToDetectSchema with the records seen.
fn infer_or_explain(records: Vec<Vec<u8>>) -> Result<DiscoveredSchema> {
    infer(&records).ok_or_else(|| AnalyticsError::UnableToDetectSchema {
        message: if records.is_empty() {
            "No data found to infer a schema from.".into()
        } else {
            "Unable to detect a schema: the records are neither JSON objects nor CSV.".into()
        },
        raw: records
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect(),
    })
}

/// What DiscoverInputSchema samples.
#[derive(Debug, Clone)]
pub enum DiscoverSource {
    /// A data stream's or delivery stream's ARN, and the position to sample from.
    Stream { arn: String, position: String },
    /// An object of a bucket (S3Configuration), a line a record.
    Object { bucket_arn: String, key: String },
}

impl Analytics {
    /// Samples records from `source` and infers their schema.
    pub async fn discover(&self, source: &DiscoverSource) -> Result<DiscoveredSchema> {
        let records = match source {
            DiscoverSource::Stream { arn, position } if arn.contains(":deliverystream/") => {
                self.sample_delivery_stream(arn, position).await?
            }
            DiscoverSource::Stream { arn, position } => {
                return self.discover_input_schema(arn, position).await;
            }
            DiscoverSource::Object { bucket_arn, key } => {
                let bucket = crate::model::bucket_of_arn(bucket_arn).ok_or_else(|| {
                    AnalyticsError::InvalidArgument(format!(
                        "{bucket_arn} is not the ARN of an S3 bucket."
                    ))
                })?;
                let objects = self.objects.as_ref().ok_or_else(|| {
                    AnalyticsError::InvalidArgument("This server has no object store.".into())
                })?;
                let data = objects.get(bucket, key).await.map_err(|e| {
                    AnalyticsError::InvalidArgument(format!("Cannot read the object: {e}"))
                })?;
                String::from_utf8_lossy(&data)
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .take(SAMPLE)
                    .map(|l| l.as_bytes().to_vec())
                    .collect()
            }
        };
        infer_or_explain(records)
    }

    /// Up to 100 records of a delivery stream, from its oldest (TRIM_HORIZON) or from now.
    async fn sample_delivery_stream(&self, arn: &str, position: &str) -> Result<Vec<Vec<u8>>> {
        let name = crate::runner::delivery_stream_name(arn).ok_or_else(|| {
            AnalyticsError::InvalidArgument(format!("{arn} is not a delivery stream ARN."))
        })?;
        let f = self.firehose.as_ref().ok_or_else(|| {
            AnalyticsError::InvalidArgument("This server has no Firehose.".into())
        })?;
        let not_found =
            |e: sluice_firehose::FirehoseError| AnalyticsError::InvalidArgument(e.to_string());
        let at = (!matches!(position, "TRIM_HORIZON" | "LAST_STOPPED_POINT")).then(|| self.now());
        let mut offset = f.start_offset(&name, at).await.map_err(not_found)?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        let mut records = Vec::new();
        loop {
            let (batch, next) = f
                .read_records(&name, offset, SAMPLE)
                .await
                .map_err(not_found)?;
            offset = next;
            records.extend(batch.into_iter().map(|r| r.value.to_vec()));
            if records.len() >= SAMPLE
                || !records.is_empty()
                || at.is_none()
                || tokio::time::Instant::now() >= deadline
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        records.truncate(SAMPLE);
        Ok(records)
    }

    /// Samples up to 100 records of the stream `arn` names, from `position` (TRIM_HORIZON, or
    /// NOW: what arrives within the next two seconds), and infers their schema.
    pub async fn discover_input_schema(
        &self,
        arn: &str,
        position: &str,
    ) -> Result<DiscoveredSchema> {
        let stream = crate::runner::stream_name(arn).ok_or_else(|| {
            AnalyticsError::InvalidArgument(format!("{arn} is not a Kinesis stream ARN."))
        })?;
        let shards = self
            .streams
            .list_shards(ListShardsInput {
                stream: Some(stream.clone()),
                next_token: None,
                exclusive_start_shard_id: None,
                max_results: Some(1000),
                filter: None,
            })
            .map_err(|e| AnalyticsError::InvalidArgument(format!("Kinesis stream {arn}: {e}")))?
            .shards;
        let kind = match position {
            "TRIM_HORIZON" | "LAST_STOPPED_POINT" => IteratorType::TrimHorizon,
            _ => IteratorType::AtTimestamp(self.now()),
        };
        let mut iterators = Vec::new();
        for s in &shards {
            let it = self
                .streams
                .get_shard_iterator(&stream, &s.shard_id.to_string(), kind.clone())
                .await
                .map_err(|e| AnalyticsError::InvalidArgument(e.to_string()))?;
            iterators.push(Some(it));
        }
        let mut records: Vec<Vec<u8>> = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            let mut any = false;
            for slot in iterators.iter_mut() {
                let Some(it) = slot.take() else { continue };
                let Ok(page) = self.streams.get_records(&it, Some(SAMPLE as u32)).await else {
                    continue;
                };
                any |= !page.records.is_empty();
                records.extend(page.records.iter().map(|r| r.data.to_vec()));
                *slot = page.next_iterator;
            }
            if records.len() >= SAMPLE
                || (!any && !records.is_empty())
                || tokio::time::Instant::now() >= deadline
            {
                break;
            }
            if !any {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        records.truncate(SAMPLE);
        infer_or_explain(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_paths_are_inferred() {
        let recs: Vec<Vec<u8>> = [
            r#"{"TICKER":"AMZN","PRICE":12,"VOL":5000000000,"ok":true,"q":{"bid":1.5}}"#,
            r#"{"TICKER":"GOOGL","PRICE":12.5,"VOL":1,"ok":false,"q":{"bid":2}}"#,
            "not json",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let d = infer(&recs).unwrap();
        let cols: Vec<(String, String, String)> = d
            .schema
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.mapping.clone().unwrap_or_default(),
                    c.sql_type.clone(),
                )
            })
            .collect();
        // Keys in name order (serde_json's map).
        let want = [
            ("PRICE", "$.PRICE", "DOUBLE"),
            ("TICKER", "$.TICKER", "VARCHAR(8)"),
            ("VOL", "$.VOL", "BIGINT"),
            ("ok", "$.ok", "BOOLEAN"),
            ("q_bid", "$.q.bid", "DOUBLE"),
        ];
        assert_eq!(
            cols,
            want.iter()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                .collect::<Vec<_>>()
        );
        assert_eq!(d.parsed[1], ["12.5", "GOOGL", "1", "false", "2"]);
        assert_eq!(d.raw.len(), 3);
        let csv = infer(&[b"AMZN,12.5,7\nIBM,3,8".to_vec(), b"MSFT,1,9".to_vec()]).unwrap();
        assert_eq!(
            csv.schema
                .columns
                .iter()
                .map(|c| (c.name.as_str(), c.sql_type.as_str()))
                .collect::<Vec<_>>(),
            [
                ("COLUMN1", "VARCHAR(4)"),
                ("COLUMN2", "DOUBLE"),
                ("COLUMN3", "INTEGER")
            ]
        );
        assert_eq!(csv.parsed.len(), 3);
        assert!(infer(&[b"just words".to_vec()]).is_none());
    }
}
