//! DiscoverInputSchema: reads sample records from a data stream and infers the input schema a
//! JSON application needs (column names, JSON paths and SQL types).

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

/// Infers a JSON input schema from sample records; `None` if none of them is a JSON object.
pub fn infer(records: &[Vec<u8>]) -> Option<DiscoveredSchema> {
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

impl Analytics {
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
        let raw: Vec<String> = records
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        infer(&records).ok_or(AnalyticsError::UnableToDetectSchema {
            message: if records.is_empty() {
                "No data found in the stream to infer a schema from.".into()
            } else {
                "Unable to detect a schema: the records are not JSON objects.".into()
            },
            raw,
        })
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
        assert!(infer(&[b"1,2,3".to_vec()]).is_none());
    }
}
