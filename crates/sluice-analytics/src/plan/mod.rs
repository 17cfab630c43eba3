//! An application's in-application streams and pumps, compiled to operators that take rows
//! and give rows. Every stream's first column is ROWTIME.
//!
//! A pump is one of:
//! - a *map*: `SELECT STREAM exprs FROM s [WHERE cond]`, one output row per input row that
//!   passes, with the input's ROWTIME;
//! - a *tumbling window*: `… GROUP BY keys, STEP(s.ROWTIME BY INTERVAL 'n' UNIT)` (or
//!   `FLOOR(s.ROWTIME TO UNIT)`) with COUNT/SUM/AVG/MIN/MAX: one row per group when its window
//!   closes, that is when a row of a later window arrives or the clock passes the window's end.
//!   Its ROWTIME is the window's end;
//! - a *sliding window*: aggregates `OVER (PARTITION BY … RANGE INTERVAL 'n' UNIT PRECEDING)` or
//!   `ROWS n PRECEDING` (inline or a named `WINDOW w AS (…)`): one output row per input row, the
//!   aggregates over that row's partition within the frame ending at it.

use crate::eval::{self, Expr, Scope, ScopeColumn, fold};
use crate::program::{Program, Statement};
use crate::value::{SqlType, Value};
use sqlparser::ast::{self, GroupByExpr, SelectItem, SetExpr, TableFactor};
use std::collections::{BTreeMap, HashMap};

pub const ROWTIME: &str = "ROWTIME";
pub const ERROR_STREAM: &str = "error_stream";

/// A row: ROWTIME first, then the stream's columns.
pub type Row = Vec<Value>;

#[derive(Debug, Clone)]
pub struct StreamDef {
    pub name: String,
    /// The columns after ROWTIME.
    pub columns: Vec<(String, SqlType)>,
}

/// A compile error of the application code: a message and, when known, where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CodeError {
    pub message: String,
}

/// Where the name an error quotes (`Column 'X' not found`) first appears in the query.
fn locate(
    message: &str,
    words: &[(String, sqlparser::tokenizer::Location)],
) -> Option<sqlparser::tokenizer::Location> {
    let start = message.find('\'')? + 1;
    let end = start + message[start..].find('\'')?;
    let name = &message[start..end];
    words.iter().find(|(w, _)| w == name).map(|(_, at)| *at)
}

fn code_error(at: &sqlparser::tokenizer::Location, m: impl std::fmt::Display) -> CodeError {
    CodeError {
        message: format!("line {}, column {}: {m}", at.line, at.column),
    }
}

mod agg;
mod compile;
mod event;
mod forest;
mod from;
mod hotspots;
mod items;
mod join;
mod pump;
mod window;

use agg::{compile_over_groups, has_aggregate};
use compile::{Target, compile_pump};
use from::{item_name, relation_name};
pub use pump::Emitted;
use pump::{Pump, PumpKind};

/// A compiled application: its streams and pumps.
#[derive(Debug, Clone)]
pub struct AppPlan {
    pub streams: HashMap<String, StreamDef>,
    /// Reference tables (their columns; no ROWTIME).
    pub tables: HashMap<String, StreamDef>,
    pub pumps: Vec<Pump>,
}

/// The columns of the error stream (after ROWTIME).
pub fn error_stream_def() -> StreamDef {
    StreamDef {
        name: ERROR_STREAM.into(),
        columns: vec![
            ("ERROR_TIME".into(), SqlType::Timestamp),
            ("ERROR_LEVEL".into(), SqlType::Varchar(None)),
            ("ERROR_NAME".into(), SqlType::Varchar(None)),
            ("MESSAGE".into(), SqlType::Varchar(None)),
            ("DATA_ROWTIME".into(), SqlType::Timestamp),
            ("DATA_ROW".into(), SqlType::Varchar(None)),
        ],
    }
}

impl AppPlan {
    /// Compiles `program` given the in-application input streams the inputs create and the
    /// reference tables.
    pub fn compile(
        program: &Program,
        inputs: &[StreamDef],
        tables: &[StreamDef],
    ) -> Result<AppPlan, CodeError> {
        let tables: HashMap<String, StreamDef> =
            tables.iter().map(|t| (t.name.clone(), t.clone())).collect();
        let mut streams: HashMap<String, StreamDef> = HashMap::new();
        for s in inputs.iter().cloned().chain([error_stream_def()]) {
            streams.insert(s.name.clone(), s);
        }
        let mut pumps = Vec::new();
        // Stream → its event-time column and watermark delay.
        let mut watermarks: HashMap<String, (String, i64)> = HashMap::new();
        for st in &program.statements {
            match st {
                Statement::CreateStream {
                    name,
                    columns,
                    watermark,
                    at,
                } => {
                    if let Some(w) = watermark {
                        watermarks.insert(name.name(), (w.column.name(), w.delay_ms));
                    }
                    let mut cols = Vec::new();
                    for c in columns {
                        let t = SqlType::parse(&c.sql_type).ok_or_else(|| {
                            code_error(
                                at,
                                format!("unknown type {} of column {}", c.sql_type, c.name),
                            )
                        })?;
                        cols.push((c.name.name(), t));
                    }
                    streams.insert(
                        name.name(),
                        StreamDef {
                            name: name.name(),
                            columns: cols,
                        },
                    );
                }
                Statement::CreatePump {
                    name,
                    target,
                    target_columns,
                    query,
                    at,
                    words,
                } => {
                    let target_def = streams.get(&target.name()).cloned().ok_or_else(|| {
                        code_error(at, format!("Object '{}' not found", target.name()))
                    })?;
                    let (compiled, _) = compile_pump(
                        &name.name(),
                        Target::Stream(&target_def, target_columns.as_deref()),
                        query,
                        &streams,
                        &tables,
                        &watermarks,
                    )
                    .map_err(|m| code_error(&locate(&m, words).unwrap_or(*at), m))?;
                    pumps.extend(compiled);
                }
            }
        }
        Ok(AppPlan {
            streams,
            tables,
            pumps,
        })
    }

    /// Loads (or reloads) a reference table's rows.
    pub fn set_table(&mut self, table: &str, rows: Vec<Row>) {
        for p in &mut self.pumps {
            if let Some(pump::Join::Table(j)) = &mut p.join
                && j.table == table
            {
                j.load(rows.clone());
            }
        }
    }

    /// Puts `row` into `stream` and runs it through every pump that reads that stream (and
    /// on through the streams they write). Rows that fail go to the error stream.
    pub fn push(&mut self, stream: &str, row: Row, out: &mut Vec<(String, Row)>) {
        let mut queue = vec![(stream.to_owned(), row)];
        while let Some((s, r)) = queue.pop() {
            let mut em = Emitted::default();
            for p in self.pumps.iter_mut().filter(|p| p.reads(&s)) {
                p.push(&s, &r, &mut em);
            }
            self.route(em, &mut queue);
            // A subquery's stream is the query's own, not the application's.
            if !s.starts_with('\u{1}') {
                out.push((s, r));
            }
        }
    }

    /// Closes windows that have ended by `now_ms`.
    pub fn tick(&mut self, now_ms: i64, out: &mut Vec<(String, Row)>) {
        let mut em = Emitted::default();
        for p in &mut self.pumps {
            p.tick(now_ms, &mut em);
        }
        let mut queue = Vec::new();
        self.route(em, &mut queue);
        while let Some((s, r)) = queue.pop() {
            self.push(&s, r, out);
        }
    }

    fn route(&self, em: Emitted, queue: &mut Vec<(String, Row)>) {
        // Depth-first, in order: the queue is a stack, so push in reverse.
        let mut next: Vec<(String, Row)> = em.rows;
        for (pump, message, data) in em.errors {
            let rowtime = data.first().cloned().unwrap_or(Value::Null);
            let data_row = serde_json::Value::Array(data.iter().map(Value::to_json).collect());
            next.push((
                ERROR_STREAM.into(),
                vec![
                    rowtime.clone(),
                    rowtime.clone(),
                    Value::Str("Error".into()),
                    Value::Str(format!("Error in pump {pump}")),
                    Value::Str(message),
                    rowtime,
                    Value::Str(data_row.to_string()),
                ],
            ));
        }
        queue.extend(next.into_iter().rev());
    }
}

fn stream_scope(def: &StreamDef, alias: Option<String>) -> Scope {
    let mut qualifiers = vec![def.name.clone()];
    qualifiers.extend(alias);
    let mut columns = vec![ScopeColumn {
        qualifiers: qualifiers.clone(),
        name: ROWTIME.into(),
    }];
    columns.extend(def.columns.iter().map(|(n, _)| ScopeColumn {
        qualifiers: qualifiers.clone(),
        name: n.clone(),
    }));
    Scope { columns }
}

#[cfg(test)]
mod tests;
