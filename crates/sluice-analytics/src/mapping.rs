//! Input schema mapping (an input's InputSchema): a source record's bytes to rows of the
//! in-application input stream, and output rows back to JSON or CSV records.

use crate::plan::{Row, StreamDef};
use crate::value::{SqlType, Value};
use serde::{Deserialize, Serialize};

/// JSON or CSV, with the mapping parameters AWS gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordFormat {
    /// `RecordRowPath`: where the rows are in a record (`$`, or `$.path[0:]` for an array).
    Json { row_path: String },
    Csv {
        row_delimiter: String,
        column_delimiter: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordColumn {
    pub name: String,
    /// JSON: a path such as `$.ticker`; CSV: unused (columns are by position).
    pub mapping: Option<String>,
    pub sql_type: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSchema {
    pub format: RecordFormat,
    pub encoding: Option<String>,
    pub columns: Vec<RecordColumn>,
}

/// The in-application stream's extra column holding the source record's arrival time.
pub const APPROXIMATE_ARRIVAL_TIME: &str = "APPROXIMATE_ARRIVAL_TIME";

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    /// `[*]` or `[0:]`: every element.
    Each,
}

/// Reads `$`, `$.a.b`, `$['a']`, `$.a[0]`, `$.a[*]`, `$.a[0:]`.
fn parse_path(p: &str) -> Result<Vec<Step>, String> {
    let bad = || format!("unsupported JSON path {p}");
    let rest = p.trim().strip_prefix('$').ok_or_else(bad)?;
    let chars: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j] != '.' && chars[j] != '[' {
                    j += 1;
                }
                if j == start {
                    return Err(bad());
                }
                steps.push(Step::Key(chars[start..j].iter().collect()));
                i = j;
            }
            '[' => {
                let close = chars[i..].iter().position(|&c| c == ']').ok_or_else(bad)? + i;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner = inner.trim();
                steps.push(if inner == "*" || inner == "0:" {
                    Step::Each
                } else if let Some(q) = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                {
                    Step::Key(q.to_owned())
                } else {
                    Step::Index(inner.parse().map_err(|_| bad())?)
                });
                i = close + 1;
            }
            _ => return Err(bad()),
        }
    }
    Ok(steps)
}

fn select<'a>(v: &'a serde_json::Value, steps: &[Step], out: &mut Vec<&'a serde_json::Value>) {
    let Some((first, rest)) = steps.split_first() else {
        out.push(v);
        return;
    };
    match first {
        Step::Key(k) => {
            if let Some(x) = v.get(k) {
                select(x, rest, out);
            }
        }
        Step::Index(i) => {
            if let Some(x) = v.get(i) {
                select(x, rest, out);
            }
        }
        Step::Each => {
            if let Some(a) = v.as_array() {
                for x in a {
                    select(x, rest, out);
                }
            }
        }
    }
}

/// A compiled mapping for one input.
#[derive(Debug, Clone)]
pub struct Mapper {
    schema: SourceSchema,
    row_path: Vec<Step>,
    columns: Vec<(Vec<Step>, SqlType)>,
}

/// A record that could not be mapped: why, and the raw data (for the error stream).
#[derive(Debug, Clone, PartialEq)]
pub struct MappingError {
    pub message: String,
    pub data: String,
}

impl Mapper {
    pub fn new(schema: &SourceSchema) -> Result<Self, String> {
        let row_path = match &schema.format {
            RecordFormat::Json { row_path } => parse_path(row_path)?,
            RecordFormat::Csv { .. } => Vec::new(),
        };
        let mut columns = Vec::new();
        for c in &schema.columns {
            let t = SqlType::parse(&c.sql_type)
                .ok_or_else(|| format!("unknown SqlType {} of column {}", c.sql_type, c.name))?;
            let path = match (&schema.format, &c.mapping) {
                (RecordFormat::Json { .. }, Some(m)) => parse_path(m)?,
                (RecordFormat::Json { .. }, None) => vec![Step::Key(c.name.clone())],
                (RecordFormat::Csv { .. }, _) => Vec::new(),
            };
            columns.push((path, t));
        }
        Ok(Self {
            schema: schema.clone(),
            row_path,
            columns,
        })
    }

    /// The in-application stream these rows go to.
    pub fn stream_def(&self, name: &str) -> StreamDef {
        let mut columns: Vec<(String, SqlType)> = self
            .schema
            .columns
            .iter()
            .zip(&self.columns)
            .map(|(c, (_, t))| (c.name.clone(), t.clone()))
            .collect();
        columns.push((APPROXIMATE_ARRIVAL_TIME.into(), SqlType::Timestamp));
        StreamDef {
            name: name.to_owned(),
            columns,
        }
    }

    /// The rows of one source record (ROWTIME `rowtime`, arrival `arrival_ms`).
    /// A reference table's columns: the schema's, without ROWTIME or APPROXIMATE_ARRIVAL_TIME.
    pub fn table_def(&self, name: &str) -> StreamDef {
        let mut def = self.stream_def(name);
        def.columns.pop();
        def
    }

    /// A reference table's rows from a whole object: CSV lines, or JSON documents one after
    /// another; and the rows that do not map (a header line, say), which are left out.
    pub fn table_rows(&self, data: &[u8]) -> (Vec<Row>, Vec<MappingError>) {
        let mut out = Vec::new();
        let mut skipped = Vec::new();
        let mut take = |rows: Vec<Result<Row, MappingError>>| {
            for r in rows {
                match r {
                    Ok(mut r) => {
                        r.pop();
                        r.remove(0);
                        out.push(r);
                    }
                    Err(e) => skipped.push(e),
                }
            }
        };
        match &self.schema.format {
            RecordFormat::Json { .. } => {
                let text = String::from_utf8_lossy(data);
                let mut docs =
                    serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
                loop {
                    match docs.next() {
                        None => break,
                        Some(Ok(doc)) => take(self.rows(doc.to_string().as_bytes(), 0, 0)),
                        Some(Err(e)) => {
                            take(vec![Err(MappingError {
                                message: format!("not JSON: {e}"),
                                data: String::new(),
                            })]);
                            break;
                        }
                    }
                }
            }
            RecordFormat::Csv { .. } => take(self.rows(data, 0, 0)),
        }
        (out, skipped)
    }

    pub fn rows(
        &self,
        data: &[u8],
        rowtime: i64,
        arrival_ms: i64,
    ) -> Vec<Result<Row, MappingError>> {
        let text = String::from_utf8_lossy(data);
        let fail = |m: String, d: &str| MappingError {
            message: m,
            data: d.to_owned(),
        };
        match &self.schema.format {
            RecordFormat::Json { .. } => {
                let v: serde_json::Value = match serde_json::from_str(&text) {
                    Ok(v) => v,
                    Err(e) => return vec![Err(fail(format!("not JSON: {e}"), &text))],
                };
                let mut rows = Vec::new();
                select(&v, &self.row_path, &mut rows);
                rows.into_iter()
                    .map(|r| {
                        let mut row = vec![Value::Timestamp(rowtime)];
                        for (path, t) in &self.columns {
                            let mut found = Vec::new();
                            select(r, path, &mut found);
                            let raw = match found.first() {
                                None | Some(serde_json::Value::Null) => Value::Null,
                                Some(serde_json::Value::Bool(b)) => Value::Bool(*b),
                                Some(serde_json::Value::Number(n)) => match n.as_i64() {
                                    Some(i) => Value::Int(i),
                                    None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
                                },
                                Some(serde_json::Value::String(s)) => Value::Str(s.clone()),
                                Some(other) => Value::Str(other.to_string()),
                            };
                            row.push(t.coerce(raw).map_err(|e| fail(e, &r.to_string()))?);
                        }
                        row.push(Value::Timestamp(arrival_ms));
                        Ok(row)
                    })
                    .collect()
            }
            RecordFormat::Csv {
                row_delimiter,
                column_delimiter,
            } => {
                let rd = unescape(row_delimiter);
                let cd = unescape(column_delimiter);
                text.split(rd.as_str())
                    .filter(|line| !line.is_empty())
                    .map(|line| {
                        let fields: Vec<&str> = line.split(cd.as_str()).collect();
                        let mut row = vec![Value::Timestamp(rowtime)];
                        for (i, (_, t)) in self.columns.iter().enumerate() {
                            let raw = match fields.get(i) {
                                None => Value::Null,
                                Some(f) => Value::Str((*f).to_owned()),
                            };
                            row.push(t.coerce(raw).map_err(|e| fail(e, line))?);
                        }
                        row.push(Value::Timestamp(arrival_ms));
                        Ok(row)
                    })
                    .collect()
            }
        }
    }
}

/// `\n`, `\t`, `\r` and `\\` as AWS's delimiters may be written.
fn unescape(s: &str) -> String {
    s.replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\r", "\r")
        .replace("\\\\", "\\")
}

/// The output record format of a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutputFormat {
    Json,
    Csv,
}

/// An output row (ROWTIME first, left out) as a record: a JSON object keyed by column name, or
/// a CSV line ending in a newline.
pub fn encode_row(def: &StreamDef, row: &Row, format: OutputFormat) -> Vec<u8> {
    let values = row.iter().skip(1);
    match format {
        OutputFormat::Json => {
            let mut obj = serde_json::Map::new();
            for ((name, _), v) in def.columns.iter().zip(values) {
                obj.insert(name.clone(), v.to_json());
            }
            serde_json::to_vec(&obj).unwrap_or_default()
        }
        OutputFormat::Csv => {
            let fields: Vec<String> = values
                .map(|v| {
                    let s = v.to_string();
                    if s.contains([',', '"', '\n']) {
                        format!("\"{}\"", s.replace('"', "\"\""))
                    } else {
                        s
                    }
                })
                .collect();
            let mut out = fields.join(",").into_bytes();
            out.push(b'\n');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(format: RecordFormat) -> SourceSchema {
        SourceSchema {
            format,
            encoding: Some("UTF-8".into()),
            columns: vec![
                RecordColumn {
                    name: "ticker".into(),
                    mapping: Some("$.ticker".into()),
                    sql_type: "VARCHAR(4)".into(),
                },
                RecordColumn {
                    name: "price".into(),
                    mapping: Some("$.quote['price']".into()),
                    sql_type: "DOUBLE".into(),
                },
            ],
        }
    }

    #[test]
    fn json_records_map_by_path() {
        let m = Mapper::new(&schema(RecordFormat::Json {
            row_path: "$".into(),
        }))
        .unwrap();
        let rows = m.rows(br#"{"ticker":"AMZN","quote":{"price":12}}"#, 5, 4);
        assert_eq!(
            rows,
            vec![Ok(vec![
                Value::Timestamp(5),
                Value::Str("AMZN".into()),
                Value::Double(12.0),
                Value::Timestamp(4)
            ])]
        );
        let bad = m.rows(br#"{"ticker":"AMAZON"}"#, 5, 4);
        assert!(
            matches!(&bad[0], Err(e) if e.message.contains("longer")),
            "{bad:?}"
        );
        assert!(m.rows(b"not json", 5, 4)[0].is_err());
    }

    #[test]
    fn a_row_path_over_an_array_gives_a_row_each() {
        let m = Mapper::new(&schema(RecordFormat::Json {
            row_path: "$.items[0:]".into(),
        }))
        .unwrap();
        let rows = m.rows(
            br#"{"items":[{"ticker":"A","quote":{"price":1}},{"ticker":"B"}]}"#,
            1,
            1,
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].as_ref().unwrap()[2], Value::Null);
    }

    #[test]
    fn csv_records_map_by_position() {
        let m = Mapper::new(&schema(RecordFormat::Csv {
            row_delimiter: "\\n".into(),
            column_delimiter: ",".into(),
        }))
        .unwrap();
        let rows = m.rows(b"AMZN,12.5\nIBM,x\n", 1, 1);
        assert_eq!(rows[0].as_ref().unwrap()[2], Value::Double(12.5));
        assert!(rows[1].is_err());
    }

    #[test]
    fn rows_encode_as_json_and_csv() {
        let def = StreamDef {
            name: "D".into(),
            columns: vec![
                ("TICKER".into(), SqlType::Varchar(None)),
                ("n".into(), SqlType::Integer),
            ],
        };
        let row = vec![Value::Timestamp(0), Value::Str("a,b".into()), Value::Int(3)];
        assert_eq!(
            encode_row(&def, &row, OutputFormat::Json),
            b"{\"TICKER\":\"a,b\",\"n\":3}"
        );
        assert_eq!(encode_row(&def, &row, OutputFormat::Csv), b"\"a,b\",3\n");
    }
}
