//! Record format conversion: JSON records to one Apache Parquet file per object, with the columns
//! of a table. In place of the Glue Data Catalog, `--glue-table DATABASE.TABLE=FILE` names a JSON
//! file of the table's columns in Glue's form:
//!
//! ```json
//! {"columns": [{"name": "ticker", "type": "string"}, {"name": "price", "type": "double"},
//!              {"name": "ts", "type": "timestamp"}]}
//! ```
//!
//! Types: `string`/`varchar(n)`/`char(n)`, `boolean`, `tinyint`, `smallint`, `int`/`integer`,
//! `bigint`, `float`, `double`, `decimal(p,s)` (written as double), `date`, `timestamp`. Like the
//! OpenX JSON SerDe, keys match columns case-insensitively (unless CaseInsensitive is false), dots
//! in keys become underscores if asked, ColumnToJsonKeyMappings renames, missing keys are nulls and
//! keys without a column are ignored. A record that is not a JSON object or whose value does not fit
//! its column fails alone and goes to the error output as `format-conversion-failed`.

use crate::model::FormatConversion;
use crate::service::Firehose;
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel};
use parquet::file::properties::{WriterProperties, WriterVersion};
use sluice_storage::StoredRecord;
use std::sync::Arc;

/// What one conversion produced: the Parquet file, and the records that did not convert (by
/// index, with the reason).
pub struct Converted {
    pub parquet: Vec<u8>,
    pub failed: Vec<(usize, String)>,
}

impl Firehose {
    /// The Arrow schema of a conversion's table.
    pub(crate) fn table_schema(&self, c: &FormatConversion) -> Result<Arc<Schema>, String> {
        let (Some(db), Some(table)) = (c.database_name.as_deref(), c.table_name.as_deref()) else {
            return Err(
                "SchemaConfiguration needs DatabaseName and TableName for record format conversion."
                    .into(),
            );
        };
        let key = format!("{db}.{table}");
        let path = self
            .config
            .glue_tables
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, p)| p)
            .ok_or_else(|| {
                format!(
                    "Table {key} is not known to this Sluice server: start it with --glue-table {key}=FILE (a JSON file of the table's columns)."
                )
            })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("Table {key}: reading {}: {e}", path.display()))?;
        parse_table(&text).map_err(|e| format!("Table {key}: {e}"))
    }
}

/// Glue's column list as an Arrow schema (every column nullable).
pub fn parse_table(text: &str) -> Result<Arc<Schema>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let columns = v["columns"]
        .as_array()
        .or_else(|| v["StorageDescriptor"]["Columns"].as_array())
        .ok_or("no \"columns\" list")?;
    let mut fields = Vec::new();
    for c in columns {
        let name = c["name"]
            .as_str()
            .or_else(|| c["Name"].as_str())
            .ok_or("a column has no name")?;
        let ty = c["type"]
            .as_str()
            .or_else(|| c["Type"].as_str())
            .ok_or_else(|| format!("column {name} has no type"))?;
        fields.push(Field::new(name.to_ascii_lowercase(), hive_type(ty)?, true));
    }
    if fields.is_empty() {
        return Err("the table has no columns".into());
    }
    Ok(Arc::new(Schema::new(fields)))
}

fn hive_type(t: &str) -> Result<DataType, String> {
    let t = t.trim().to_ascii_lowercase();
    let base = t.split('(').next().unwrap_or("").trim();
    Ok(match base {
        "string" | "varchar" | "char" => DataType::Utf8,
        "boolean" => DataType::Boolean,
        "tinyint" => DataType::Int8,
        "smallint" => DataType::Int16,
        "int" | "integer" => DataType::Int32,
        "bigint" => DataType::Int64,
        "float" => DataType::Float32,
        "double" | "decimal" => DataType::Float64,
        "date" => DataType::Date32,
        "timestamp" => DataType::Timestamp(TimeUnit::Millisecond, None),
        _ => return Err(format!("column type {t} is not supported")),
    })
}

fn properties(c: &FormatConversion) -> WriterProperties {
    let compression = match c.parquet_compression.as_deref() {
        Some("UNCOMPRESSED") => Compression::UNCOMPRESSED,
        Some("GZIP") => Compression::GZIP(GzipLevel::default()),
        _ => Compression::SNAPPY,
    };
    let mut b = WriterProperties::builder()
        .set_compression(compression)
        .set_dictionary_enabled(c.enable_dictionary.unwrap_or(true))
        .set_writer_version(match c.writer_version.as_deref() {
            Some("V2") => WriterVersion::PARQUET_2_0,
            _ => WriterVersion::PARQUET_1_0,
        });
    if let Some(p) = c.page_size_bytes.and_then(|p| usize::try_from(p).ok()) {
        b = b.set_data_page_size_limit(p);
    }
    b.build()
}

/// The record as the row of `schema` (keys mapped as the OpenX SerDe maps them), or why not.
fn row(
    c: &FormatConversion,
    schema: &Schema,
    data: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(data).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Object(obj) = v else {
        return Err("not a JSON object".into());
    };
    let case_insensitive = c.case_insensitive.unwrap_or(true);
    let dots = c.openx && c.convert_dots_to_underscores.unwrap_or(false);
    let mut out = serde_json::Map::new();
    for (k, v) in obj {
        let mut key = if dots { k.replace('.', "_") } else { k.clone() };
        if let Some((col, _)) = c.column_to_json_key.iter().find(|(_, json)| *json == k) {
            key = col.clone();
        }
        if case_insensitive {
            key = key.to_ascii_lowercase();
        }
        if schema.field_with_name(&key).is_ok() {
            out.insert(key, v);
        }
    }
    Ok(out)
}

/// Converts `records` (JSON objects) into one Parquet file of `schema`.
pub fn to_parquet(
    c: &FormatConversion,
    schema: Arc<Schema>,
    records: &[StoredRecord],
) -> Result<Converted, String> {
    let mut rows = Vec::with_capacity(records.len());
    let mut failed = Vec::new();
    for (i, r) in records.iter().enumerate() {
        match row(c, &schema, &r.value) {
            Ok(m) => rows.push((i, m)),
            Err(e) => failed.push((i, e)),
        }
    }
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .with_batch_size(rows.len().max(1))
        .build_decoder()
        .map_err(|e| e.to_string())?;
    // Whole first; if a value does not fit its column, row by row to find which.
    let values: Vec<&serde_json::Map<String, serde_json::Value>> =
        rows.iter().map(|(_, m)| m).collect();
    let mut batches = Vec::new();
    let whole = decoder
        .serialize(&values)
        .map_err(|e| e.to_string())
        .and_then(|()| decoder.flush().map_err(|e| e.to_string()));
    if let Ok(b) = whole {
        batches.extend(b);
    } else {
        // A decoder that failed is not reused: one per row on this (error) path.
        for (i, m) in &rows {
            let one = arrow_json::ReaderBuilder::new(schema.clone())
                .with_batch_size(1)
                .build_decoder()
                .map_err(|e| e.to_string())
                .and_then(|mut d| {
                    d.serialize(std::slice::from_ref(m))
                        .map_err(|e| e.to_string())?;
                    d.flush().map_err(|e| e.to_string())
                });
            match one {
                Ok(b) => batches.extend(b),
                Err(e) => failed.push((*i, e)),
            }
        }
    }
    let mut out = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut out, schema, Some(properties(c))).map_err(|e| e.to_string())?;
    for b in &batches {
        writer.write(b).map_err(|e| e.to_string())?;
    }
    writer.close().map_err(|e| e.to_string())?;
    failed.sort_by_key(|(i, _)| *i);
    Ok(Converted {
        parquet: out,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn rec(s: &str) -> StoredRecord {
        StoredRecord {
            offset: 0,
            timestamp_ms: 0,
            key: Bytes::new(),
            value: Bytes::from(s.to_owned()),
        }
    }

    #[test]
    fn json_records_become_parquet_rows_and_misfits_fail_alone() {
        let schema = parse_table(
            r#"{"columns":[{"name":"Ticker","type":"string"},{"name":"price","type":"double"},{"name":"n","type":"bigint"}]}"#,
        )
        .unwrap();
        let c = FormatConversion {
            enabled: true,
            openx: true,
            ..Default::default()
        };
        let out = to_parquet(
            &c,
            schema,
            &[
                rec(r#"{"TICKER":"AMZN","price":1.5,"n":3,"extra":true}"#),
                rec(r#"{"ticker":"X","price":"not a number"}"#),
                rec("not json"),
                rec(r#"{"ticker":"Y"}"#),
            ],
        )
        .unwrap();
        assert_eq!(
            out.failed.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let reader = SerializedFileReader::new(Bytes::from(out.parquet)).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 2);
        let cols: Vec<String> = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| c.name().to_owned())
            .collect();
        assert_eq!(cols, vec!["ticker", "price", "n"]);
    }

    #[test]
    fn unknown_types_are_refused() {
        assert!(parse_table(r#"{"columns":[{"name":"a","type":"map<string,int>"}]}"#).is_err());
        assert!(parse_table(r#"{"columns":[]}"#).is_err());
    }
}
