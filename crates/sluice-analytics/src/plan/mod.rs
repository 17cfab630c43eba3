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
mod event;
mod forest;
mod hotspots;
mod items;
mod join;
mod pump;
mod window;

use agg::{compile_over_groups, has_aggregate};
pub use pump::Emitted;
use pump::{Pump, PumpKind};
use window::{has_windowed, replace_windowed, sliding_of, windowed_slot};

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

/// Where a pump's rows go: a stream of the code (and the INSERT's column list), or, for a
/// subquery in FROM, a stream of its own made from the subquery's items (its columns renamed by
/// the FROM alias's column list, if any).
enum Target<'a> {
    Stream(&'a StreamDef, Option<&'a [crate::program::Ident]>),
    Subquery(String, Vec<String>),
}

/// Compiles a pump, with the pumps of the subqueries of its FROM before it; and the stream it
/// writes.
fn compile_pump(
    name: &str,
    target: Target<'_>,
    query: &ast::Query,
    streams: &HashMap<String, StreamDef>,
    tables: &HashMap<String, StreamDef>,
    watermarks: &HashMap<String, (String, i64)>,
) -> Result<(Vec<Pump>, StreamDef), String> {
    if query.with.is_some() || query.limit_clause.is_some() {
        return Err("WITH and LIMIT are not supported in a pump's query".into());
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err("a pump's query must be a single SELECT STREAM".into());
    };
    let [from] = select.from.as_slice() else {
        return Err("a pump's query reads exactly one stream (and may join it)".into());
    };
    // `FROM TABLE(TOP_K_ITEMS_TUMBLING(CURSOR(…), …))`: the function's rows are what the
    // query reads.
    let mut items_stage = None;
    let mut forest_stage = None;
    let mut event_stage = None;
    let mut left_window = None;
    let mut subqueries: Vec<Pump> = Vec::new();
    // Columns known to grow with ROWTIME (ROWTIME itself, and a subquery's copies of it).
    let mut monotonic: Vec<usize> = vec![0];
    let (source, def, mut scope) = match &from.relation {
        TableFactor::TableFunction { expr, alias } if items::is_items_function(expr) => {
            let st = items::items_function(expr, alias.as_ref().map(|a| fold(&a.name)), streams)?;
            let scope = stream_scope(&st.output, None);
            let def = st.output.clone();
            let source = st.source.clone();
            items_stage = Some(st);
            (source, def, scope)
        }
        TableFactor::TableFunction { expr, alias } if forest::is_forest_function(expr) => {
            let st = forest::forest_function(expr, alias.as_ref().map(|a| fold(&a.name)), streams)?;
            let scope = stream_scope(&st.output, None);
            let def = st.output.clone();
            let source = st.source.clone();
            forest_stage = Some(st);
            (source, def, scope)
        }
        TableFactor::TableFunction { expr, alias } if event::is_window_function(expr) => {
            let st = event::event_function(
                expr,
                alias.as_ref().map(|a| fold(&a.name)),
                streams,
                watermarks,
            )?;
            let def = streams[&st.source].clone();
            let scope = st.scope.clone();
            let source = st.source.clone();
            event_stage = Some(st);
            (source, def, scope)
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => {
            let sub = format!("\u{1}{name}.{}", subqueries.len() + 1);
            let renames: Vec<String> = alias
                .iter()
                .flat_map(|a| a.columns.iter().map(|c| fold(&c.name)))
                .collect();
            let (inner, def) = compile_pump(
                &format!("{name} (subquery {})", subqueries.len() + 1),
                Target::Subquery(sub.clone(), renames),
                subquery,
                streams,
                tables,
                watermarks,
            )?;
            // A map's items that are its ROWTIME stay as monotonic as ROWTIME.
            if let Some(Pump {
                kind: PumpKind::Map { project, .. },
                slots,
                ..
            }) = inner.last()
            {
                for (col, slot) in slots.iter().enumerate() {
                    if slot.is_some_and(|i| matches!(project.get(i), Some(Expr::Column(0)))) {
                        monotonic.push(col + 1);
                    }
                }
            }
            subqueries.extend(inner);
            let scope = stream_scope(&def, alias.as_ref().map(|a| fold(&a.name)));
            (sub, def, scope)
        }
        other => {
            let (source, sname_alias, window) = relation(other, &select.named_window)?;
            let def = streams
                .get(&source)
                .ok_or_else(|| format!("Object '{source}' not found"))?
                .clone();
            let scope = stream_scope(&def, sname_alias);
            left_window = window;
            (source, def, scope)
        }
    };
    let def = &def;
    // Columns `SELECT *` gives: each relation's, but ROWTIME and APPROXIMATE_ARRIVAL_TIME.
    let mut star: Vec<(String, String)> = def
        .columns
        .iter()
        .filter(|(c, _)| c != crate::mapping::APPROXIMATE_ARRIVAL_TIME)
        .map(|(c, _)| (def.name.clone(), c.clone()))
        .collect();
    if event_stage.is_some() {
        for w in [event::WINDOW_START, event::WINDOW_END, event::WINDOW_TIME] {
            star.push((def.name.clone(), w.into()));
        }
    }
    let join = match from.joins.as_slice() {
        [] => None,
        [j] => {
            let (other, alias, other_window) = relation(&j.relation, &select.named_window)?;
            let (left_kept, right_kept, constraint) = match &j.join_operator {
                ast::JoinOperator::Join(c) | ast::JoinOperator::Inner(c) => (false, false, c),
                ast::JoinOperator::Left(c) | ast::JoinOperator::LeftOuter(c) => (true, false, c),
                ast::JoinOperator::Right(c) | ast::JoinOperator::RightOuter(c) => (false, true, c),
                ast::JoinOperator::FullOuter(c) => (true, true, c),
                ast::JoinOperator::CrossJoin(c) => (false, false, c),
                other => {
                    return Err(format!(
                        "unsupported join {other:?}: use [INNER] JOIN, LEFT, RIGHT or FULL [OUTER] JOIN"
                    ));
                }
            };
            if let (None, Some(odef)) = (tables.get(&other), streams.get(&other)) {
                if left_window.is_none() && other_window.is_none() {
                    return Err(format!(
                        "a join of streams restricts at least one of them to a window: {other} OVER (RANGE INTERVAL … PRECEDING)"
                    ));
                }
                if other == source {
                    return Err(format!("stream {other} cannot be joined with itself"));
                }
                let right_scope = stream_scope(odef, alias);
                let mut joined = Scope {
                    columns: vec![ScopeColumn {
                        qualifiers: Vec::new(),
                        name: ROWTIME.into(),
                    }],
                };
                joined.columns.extend(scope.columns.iter().cloned());
                joined.columns.extend(right_scope.columns.iter().cloned());
                let (on, keys) = match constraint {
                    ast::JoinConstraint::On(e) => (
                        Some(eval::compile(e, &joined)?),
                        join_keys(e, &scope, &right_scope),
                    ),
                    ast::JoinConstraint::None => (None, Vec::new()),
                    other => return Err(format!("unsupported join condition {other:?}: use ON")),
                };
                let (left_keys, right_keys): (Vec<Expr>, Vec<Expr>) = keys.into_iter().unzip();
                star.extend(
                    odef.columns
                        .iter()
                        .filter(|(c, _)| c != crate::mapping::APPROXIMATE_ARRIVAL_TIME)
                        .map(|(c, _)| (odef.name.clone(), c.clone())),
                );
                scope = joined;
                Some(pump::Join::Stream(join::StreamJoin {
                    left: join::Side::new(
                        source.clone(),
                        left_window.unwrap_or(join::SideWindow::Current),
                        def.columns.len() + 1,
                        left_kept,
                        left_keys,
                    ),
                    right: join::Side::new(
                        other.clone(),
                        other_window.unwrap_or(join::SideWindow::Current),
                        odef.columns.len() + 1,
                        right_kept,
                        right_keys,
                    ),
                    on,
                }))
            } else {
                let Some(table) = tables.get(&other) else {
                    return Err(format!("Object '{other}' not found"));
                };
                if right_kept || other_window.is_some() || left_window.is_some() {
                    return Err(format!(
                        "a join with table {other} keeps the stream's rows (JOIN or LEFT JOIN) and has no window"
                    ));
                }
                let outer = left_kept;
                let table_scope = table_scope(table, alias);
                let mut joined = scope.clone();
                joined.columns.extend(table_scope.columns.iter().cloned());
                let (on, keys) = match constraint {
                    ast::JoinConstraint::On(e) => {
                        let on = eval::compile(e, &joined)?;
                        (Some(on), join_keys(e, &scope, &table_scope))
                    }
                    ast::JoinConstraint::None => (None, Vec::new()),
                    other => return Err(format!("unsupported join condition {other:?}: use ON")),
                };
                star.extend(
                    table
                        .columns
                        .iter()
                        .map(|(c, _)| (table.name.clone(), c.clone())),
                );
                scope = joined;
                Some(pump::Join::Table(join::TableJoin::new(
                    table.name.clone(),
                    outer,
                    table.columns.len(),
                    on,
                    keys,
                )))
            }
        }
        _ => return Err("a pump's query joins at most one stream or table".into()),
    };
    let filter = select
        .selection
        .as_ref()
        .map(|w| eval::compile(w, &scope))
        .transpose()?;
    if select.having.is_some() {
        return Err("HAVING is not supported yet".into());
    }
    let distinct = match &select.distinct {
        None | Some(ast::Distinct::All) => false,
        Some(ast::Distinct::Distinct) => true,
        Some(other) => return Err(format!("unsupported {other}")),
    };
    // The projected items and their names.
    let mut items: Vec<(ast::Expr, String)> = Vec::new();
    for (i, item) in select.projection.iter().enumerate() {
        match item {
            SelectItem::UnnamedExpr(e) => items.push((e.clone(), item_name(e, i))),
            SelectItem::ExprWithAlias { expr, alias } => items.push((expr.clone(), fold(alias))),
            SelectItem::Wildcard(_) => {
                for (q, c) in &star {
                    items.push((
                        ast::Expr::CompoundIdentifier(vec![
                            ast::Ident::with_quote('"', q.clone()),
                            ast::Ident::with_quote('"', c.clone()),
                        ]),
                        c.clone(),
                    ));
                }
            }
            other => return Err(format!("unsupported select item {other}")),
        }
    }
    // A log parsing item is its fields, named ITEM.FIELD; `origins` keeps which item each
    // came from, for an alias's column list to rename.
    let named = items.len();
    let mut origins: Vec<(usize, Option<String>)> = Vec::new();
    let mut fields: Vec<(ast::Expr, String)> = Vec::new();
    for (j, (e, n)) in std::mem::take(&mut items).into_iter().enumerate() {
        match &e {
            ast::Expr::Function(f)
                if crate::logparse::FUNCTIONS.contains(&eval::function_name(f).as_str()) =>
            {
                let (parser, _) = eval::log_parser(f, &scope)?;
                for (k, (col, _)) in parser.columns().iter().enumerate() {
                    let text = format!("\"{}\"({e}, {k})", eval::FIELD_MARKER);
                    let field =
                        sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
                            .try_with_sql(&text)
                            .and_then(|mut p| p.parse_expr())
                            .map_err(|err| format!("{e}: {err}"))?;
                    fields.push((field, format!("{n}.{col}")));
                    origins.push((j, Some(col.clone())));
                }
            }
            _ => {
                fields.push((e, n));
                origins.push((j, None));
            }
        }
    }
    items = fields;
    // Where the rows go: for a subquery, a stream of its items.
    let made;
    let (target, target_columns) = match target {
        Target::Stream(def, cols) => (def, cols),
        Target::Subquery(sub, renames) => {
            if !renames.is_empty() && renames.len() != named {
                return Err(format!(
                    "the subquery's alias names {} columns but it gives {named}",
                    renames.len(),
                ));
            }
            made = StreamDef {
                name: sub,
                columns: items
                    .iter()
                    .zip(&origins)
                    .map(|((_, n), (j, field))| {
                        let name = match (renames.get(*j), field) {
                            (Some(r), Some(f)) => format!("{r}.{f}"),
                            (Some(r), None) => r.clone(),
                            (None, _) => n.clone(),
                        };
                        (name, SqlType::Any)
                    })
                    .collect(),
            };
            (&made, None)
        }
    };
    // Which projected item fills each target column.
    let slots: Vec<Option<usize>> = match target_columns {
        Some(cols) => {
            if cols.len() != items.len() {
                return Err(format!(
                    "the INSERT names {} columns but the query gives {}",
                    cols.len(),
                    items.len()
                ));
            }
            let mut slots = vec![None; target.columns.len()];
            for (i, c) in cols.iter().enumerate() {
                let pos = target
                    .columns
                    .iter()
                    .position(|(n, _)| *n == c.name())
                    .ok_or_else(|| format!("Column '{}' not found in {}", c.name(), target.name))?;
                slots[pos] = Some(i);
            }
            slots
        }
        None => {
            if items.len() != target.columns.len() {
                return Err(format!(
                    "Number of INSERT target columns ({}) does not equal number of source items ({})",
                    target.columns.len(),
                    items.len()
                ));
            }
            (0..items.len()).map(Some).collect()
        }
    };
    let target_types = target.columns.iter().map(|(_, t)| t.clone()).collect();
    let group_exprs = match &select.group_by {
        GroupByExpr::Expressions(e, _) => e.clone(),
        GroupByExpr::All(_) => return Err("GROUP BY ALL is not supported".into()),
    };
    let windowed = items.iter().any(|(e, _)| has_windowed(e));
    if distinct
        && (windowed || !group_exprs.is_empty() || items.iter().any(|(e, _)| has_aggregate(e)))
    {
        return Err("SELECT STREAM DISTINCT is supported without windows and GROUP BY".into());
    }
    let kind = if let Some(st) = forest_stage {
        if windowed || !group_exprs.is_empty() || join.is_some() {
            return Err(
                "a query over TABLE(RANDOM_CUT_FOREST(…)) or TABLE(HOTSPOTS(…)) selects from its rows: no windows, GROUP BY or joins"
                    .into(),
            );
        }
        PumpKind::Analysis {
            cursor_filter: st.cursor_filter,
            items: st.items,
            numeric: st.numeric,
            model: Box::new(st.model),
            filter,
            project: items
                .iter()
                .map(|(e, _)| eval::compile(e, &scope))
                .collect::<Result<_, _>>()?,
        }
    } else if let Some(st) = event_stage {
        if windowed || join.is_some() {
            return Err("a query over a window function has no OVER windows or joins".into());
        }
        let keys: Vec<Expr> = group_exprs
            .iter()
            .map(|g| eval::compile(g, &scope))
            .collect::<Result<_, _>>()?;
        let width = scope.columns.len();
        let has = |col: usize| {
            keys.iter()
                .any(|k| matches!(k, Expr::Column(c) if *c == col))
        };
        if !(has(width - 3) && has(width - 2)) {
            return Err(
                "a query over TUMBLE, HOP or CUMULATE groups by window_start and window_end".into(),
            );
        }
        let mut aggs = Vec::new();
        let project = items
            .iter()
            .map(|(e, _)| compile_over_groups(e, &group_exprs, &mut aggs, &scope))
            .collect::<Result<_, _>>()?;
        let at = |col: usize| {
            keys.iter()
                .position(|k| matches!(k, Expr::Column(c) if *c == col))
        };
        let window_keys = (at(width - 3), at(width - 2));
        PumpKind::Event {
            filter,
            time: st.time,
            windows: st.windows,
            delay_ms: st.delay_ms,
            keys,
            aggs,
            project,
            watermark: i64::MIN,
            open: BTreeMap::new(),
            window_keys,
            sessions: HashMap::new(),
        }
    } else if let Some(st) = items_stage {
        if windowed || !group_exprs.is_empty() || join.is_some() {
            return Err(format!(
                "a query over TABLE({}(…)) selects from its rows: no windows, GROUP BY or joins",
                st.output.name
            ));
        }
        PumpKind::Items {
            cursor_filter: st.cursor_filter,
            item: st.item,
            top: st.top,
            size_ms: st.size_ms,
            filter,
            project: items
                .iter()
                .map(|(e, _)| eval::compile(e, &scope))
                .collect::<Result<_, _>>()?,
            open: Default::default(),
        }
    } else if windowed {
        if !group_exprs.is_empty() {
            return Err("a query with OVER windows cannot also GROUP BY".into());
        }
        let mut found: Vec<ast::Function> = Vec::new();
        let mut rewritten = Vec::new();
        for (e, _) in &items {
            let mut e = e.clone();
            replace_windowed(&mut e, &mut found);
            rewritten.push(e);
        }
        let mut windows = Vec::new();
        for f in &found {
            windows.push(sliding_of(f, &select.named_window, &scope)?);
        }
        let mut ext = scope.clone();
        for i in 0..found.len() {
            ext.columns.push(ScopeColumn {
                qualifiers: Vec::new(),
                name: windowed_slot(i),
            });
        }
        PumpKind::Sliding {
            filter,
            windows,
            project: rewritten
                .iter()
                .map(|e| eval::compile(e, &ext))
                .collect::<Result<_, _>>()?,
        }
    } else if group_exprs.is_empty() && !items.iter().any(|(e, _)| has_aggregate(e)) {
        PumpKind::Map {
            filter,
            project: items
                .iter()
                .map(|(e, _)| eval::compile(e, &scope))
                .collect::<Result<_, _>>()?,
            distinct: distinct.then(|| (i64::MIN, Default::default())),
        }
    } else if let Some(pos) = group_exprs.iter().position(is_stagger_marker) {
        let size_ms = stagger_interval(&group_exprs[pos])?;
        let partition = &group_exprs[..pos];
        if partition.is_empty() || pos + 1 != group_exprs.len() {
            return Err(
                "WINDOWED BY STAGGER needs PARTITION BY keys and nothing else to group by".into(),
            );
        }
        if size_ms <= 0 {
            return Err("a stagger window's RANGE must be a positive interval".into());
        }
        let keys = partition
            .iter()
            .map(|g| eval::compile(g, &scope))
            .collect::<Result<_, _>>()?;
        let mut aggs = Vec::new();
        let project = items
            .iter()
            .map(|(e, _)| compile_over_groups(e, partition, &mut aggs, &scope))
            .collect::<Result<_, _>>()?;
        PumpKind::Stagger {
            filter,
            keys,
            size_ms,
            aggs,
            project,
            windows: Default::default(),
        }
    } else {
        let mut keys = Vec::new();
        let mut window = None;
        for (i, g) in group_exprs.iter().enumerate() {
            let k = eval::compile(g, &scope)?;
            // The window is the STEP or FLOOR of ROWTIME (column 0); one of another time (an
            // event time) is a plain key: a late row makes its own group in the window of
            // ROWTIME it arrives in.
            if let Expr::Floor(of, Some(size), false) = &k
                && matches!(**of, Expr::Column(c) if monotonic.contains(&c))
            {
                if window.is_some() {
                    return Err("a GROUP BY may have one STEP or FLOOR window of ROWTIME".into());
                }
                window = Some((i, *size));
            }
            keys.push(k);
        }
        let Some((window_key, size_ms)) = window else {
            return Err(
                "a streaming GROUP BY needs a window of ROWTIME: STEP(s.ROWTIME BY INTERVAL …) or FLOOR(s.ROWTIME TO …)"
                    .into(),
            );
        };
        let mut aggs = Vec::new();
        let project = items
            .iter()
            .map(|(e, _)| compile_over_groups(e, &group_exprs, &mut aggs, &scope))
            .collect::<Result<_, _>>()?;
        PumpKind::Tumbling {
            filter,
            keys,
            window_key,
            size_ms,
            aggs,
            project,
            open: BTreeMap::new(),
        }
    };
    let order = match &query.order_by {
        None => None,
        Some(o) => {
            let ast::OrderByKind::Expressions(exprs) = &o.kind else {
                return Err("ORDER BY ALL is not supported".into());
            };
            if !matches!(kind, PumpKind::Map { .. }) {
                return Err("ORDER BY is supported in a pump without windows or GROUP BY".into());
            }
            let mut keys = Vec::new();
            for (i, x) in exprs.iter().enumerate() {
                let k = eval::compile(&x.expr, &scope)?;
                let desc = matches!(x.options.sort, Some(ast::OrderBySort::Desc));
                if i == 0 {
                    let monotonic = match &k {
                        Expr::Column(c) => monotonic.contains(c),
                        Expr::Floor(of, _, false) => {
                            matches!(**of, Expr::Column(c) if monotonic.contains(&c))
                        }
                        _ => false,
                    };
                    if !monotonic || desc {
                        return Err(
                            "a streaming ORDER BY starts with ROWTIME, or its STEP or FLOOR, ascending"
                                .into(),
                        );
                    }
                }
                keys.push((k, desc));
            }
            Some(pump::Sorter {
                keys,
                held: Vec::new(),
                current: None,
            })
        }
    };
    subqueries.push(Pump {
        name: name.to_owned(),
        source,
        target: target.name.clone(),
        slots,
        target_types,
        kind,
        join,
        order,
    });
    Ok((subqueries, target.clone()))
}

/// The call the statement reader puts in GROUP BY for `WINDOWED BY STAGGER (… RANGE …)`.
fn is_stagger_marker(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Function(f)
        if f.name.0.len() == 1
            && f.name.0[0].as_ident().is_some_and(|i| i.quote_style.is_some() && i.value == crate::program::STAGGER_MARKER))
}

fn stagger_interval(e: &ast::Expr) -> Result<i64, String> {
    let ast::Expr::Function(f) = e else {
        return Err("not a stagger window".into());
    };
    match eval::plain_args(f)?.as_slice() {
        [ast::Expr::Interval(i)] => eval::interval_ms(i),
        _ => Err("WINDOWED BY STAGGER needs RANGE INTERVAL '<n>' <unit>".into()),
    }
}

/// The name of the `i`-th select item without an alias: its column's name, else `EXPR$i`.
fn item_name(e: &ast::Expr, i: usize) -> String {
    match e {
        ast::Expr::Identifier(id) => fold(id),
        ast::Expr::CompoundIdentifier(p) => p.last().map(fold).unwrap_or_default(),
        _ => format!("EXPR${i}"),
    }
}

/// A FROM item's stream or table name, and its alias.
fn relation_name(r: &TableFactor) -> Result<(String, Option<String>), String> {
    relation(r, &[]).map(|(n, a, _)| (n, a))
}

/// A FROM item's stream or table name, its alias, and its window in a join (which the
/// statement reader wrote as table arguments, `s("\u{1}WINDOW", 'RANGE', INTERVAL …)`).
fn relation(
    r: &TableFactor,
    named: &[ast::NamedWindowDefinition],
) -> Result<(String, Option<String>, Option<join::SideWindow>), String> {
    let TableFactor::Table {
        name, alias, args, ..
    } = r
    else {
        return Err(format!("unsupported FROM {r}"));
    };
    let n = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(fold)
        .unwrap_or_default();
    let window = match args {
        None => None,
        Some(a) => Some(side_window(&a.args, named)?),
    };
    Ok((n, alias.as_ref().map(|a| fold(&a.name)), window))
}

fn side_window(
    args: &[ast::FunctionArg],
    named: &[ast::NamedWindowDefinition],
) -> Result<join::SideWindow, String> {
    let exprs: Vec<&ast::Expr> = args
        .iter()
        .filter_map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect();
    let text = |e: &ast::Expr| match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    let marker = matches!(exprs.first(), Some(ast::Expr::Identifier(i))
        if i.quote_style.is_some() && i.value == crate::program::WINDOW_MARKER);
    if !marker || exprs.len() != 3 || exprs.len() != args.len() {
        return Err("table arguments are not supported; a stream's window is OVER (…)".into());
    }
    let bad = || {
        "a stream's window in a join is RANGE INTERVAL … PRECEDING or ROWS n PRECEDING".to_string()
    };
    match text(exprs[1]).as_deref() {
        Some("RANGE") => match exprs[2] {
            ast::Expr::Interval(i) => Ok(join::SideWindow::Range(eval::interval_ms(i)?)),
            _ => Err(bad()),
        },
        Some("ROWS") => match exprs[2] {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Number(n, _) => {
                    n.parse().map(join::SideWindow::Rows).map_err(|_| bad())
                }
                _ => Err(bad()),
            },
            _ => Err(bad()),
        },
        Some("NAMED") => {
            let name = text(exprs[2]).unwrap_or_default();
            let def = named
                .iter()
                .find(|d| fold(&d.0) == name)
                .ok_or_else(|| format!("window {name} is not defined"))?;
            let ast::NamedWindowExpr::WindowSpec(spec) = &def.1 else {
                return Err(bad());
            };
            if !spec.partition_by.is_empty() {
                return Err("a window of a join is not partitioned".into());
            }
            let frame = spec.window_frame.as_ref().ok_or_else(bad)?;
            let ast::WindowFrameBound::Preceding(Some(bound)) = &frame.start_bound else {
                return Err(bad());
            };
            match (&frame.units, bound.as_ref()) {
                (ast::WindowFrameUnits::Range, ast::Expr::Interval(i)) => {
                    Ok(join::SideWindow::Range(eval::interval_ms(i)?))
                }
                (ast::WindowFrameUnits::Rows, ast::Expr::Value(v)) => match &v.value {
                    ast::Value::Number(n, _) => {
                        n.parse().map(join::SideWindow::Rows).map_err(|_| bad())
                    }
                    _ => Err(bad()),
                },
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

fn table_scope(def: &StreamDef, alias: Option<String>) -> Scope {
    let mut qualifiers = vec![def.name.clone()];
    qualifiers.extend(alias);
    Scope {
        columns: def
            .columns
            .iter()
            .map(|(n, _)| ScopeColumn {
                qualifiers: qualifiers.clone(),
                name: n.clone(),
            })
            .collect(),
    }
}

/// The `stream expr = table expr` conjuncts of a join condition, each side compiled over its
/// own relation. Any other conjunct stays for the full condition to decide.
fn join_keys(on: &ast::Expr, left: &Scope, right: &Scope) -> Vec<(Expr, Expr)> {
    let mut keys = Vec::new();
    let mut stack = vec![on];
    while let Some(e) = stack.pop() {
        match e {
            ast::Expr::Nested(x) => stack.push(x),
            ast::Expr::BinaryOp {
                left: a,
                op: ast::BinaryOperator::And,
                right: b,
            } => {
                stack.push(a);
                stack.push(b);
            }
            ast::Expr::BinaryOp {
                left: a,
                op: ast::BinaryOperator::Eq,
                right: b,
            } => {
                let side =
                    |x: &ast::Expr| (eval::compile(x, left).ok(), eval::compile(x, right).ok());
                match (side(a), side(b)) {
                    ((Some(l), None), (None, Some(r))) | ((None, Some(r)), (Some(l), None)) => {
                        keys.push((l, r))
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_timestamp;

    fn input() -> StreamDef {
        StreamDef {
            name: "SOURCE_SQL_STREAM_001".into(),
            columns: vec![
                ("ticker_symbol".into(), SqlType::Varchar(Some(4))),
                ("price".into(), SqlType::Double),
            ],
        }
    }

    fn row(ts: &str, t: &str, p: f64) -> Row {
        vec![
            Value::Timestamp(parse_timestamp(ts).unwrap()),
            Value::Str(t.into()),
            Value::Double(p),
        ]
    }

    fn plan(code: &str) -> AppPlan {
        AppPlan::compile(&crate::parse(code).unwrap(), &[input()], &[]).unwrap()
    }

    fn rows_of(out: &[(String, Row)], stream: &str) -> Vec<Vec<String>> {
        out.iter()
            .filter(|(s, _)| s == stream)
            .map(|(_, r)| r.iter().map(|v| v.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_map_pump_filters_and_projects() {
        let mut p = plan(
            r#"CREATE OR REPLACE STREAM "DEST" (t VARCHAR(4), doubled DOUBLE);
               CREATE OR REPLACE PUMP "P" AS INSERT INTO "DEST"
               SELECT STREAM UPPER("ticker_symbol"), "price" * 2 FROM "SOURCE_SQL_STREAM_001"
               WHERE "price" > 10;"#,
        );
        let mut out = Vec::new();
        p.push(
            "SOURCE_SQL_STREAM_001",
            row("2026-01-01 00:00:01", "amzn", 12.0),
            &mut out,
        );
        p.push(
            "SOURCE_SQL_STREAM_001",
            row("2026-01-01 00:00:02", "ibm", 5.0),
            &mut out,
        );
        assert_eq!(
            rows_of(&out, "DEST"),
            vec![vec!["2026-01-01 00:00:01.000", "AMZN", "24.0"]]
        );
    }

    #[test]
    fn a_tumbling_window_emits_when_it_closes() {
        let mut p = plan(
            r#"CREATE OR REPLACE STREAM "DEST" (ticker_symbol VARCHAR(4), n INTEGER, avg_price DOUBLE, hi DOUBLE);
               CREATE OR REPLACE PUMP "P" AS INSERT INTO "DEST"
               SELECT STREAM "ticker_symbol", COUNT(*), AVG("price"), MAX("price")
               FROM "SOURCE_SQL_STREAM_001" AS s
               GROUP BY "ticker_symbol", STEP(s.ROWTIME BY INTERVAL '10' SECOND);"#,
        );
        let mut out = Vec::new();
        let src = "SOURCE_SQL_STREAM_001";
        p.push(src, row("2026-01-01 00:00:01", "a", 1.0), &mut out);
        p.push(src, row("2026-01-01 00:00:02", "b", 5.0), &mut out);
        p.push(src, row("2026-01-01 00:00:09", "a", 3.0), &mut out);
        assert!(rows_of(&out, "DEST").is_empty());
        // A row of the next window closes [00:00:00, 00:00:10).
        p.push(src, row("2026-01-01 00:00:11", "a", 7.0), &mut out);
        assert_eq!(
            rows_of(&out, "DEST"),
            vec![
                vec!["2026-01-01 00:00:10.000", "a", "2", "2.0", "3.0"],
                vec!["2026-01-01 00:00:10.000", "b", "1", "5.0", "5.0"],
            ]
        );
        out.clear();
        p.tick(parse_timestamp("2026-01-01 00:00:19").unwrap(), &mut out);
        assert!(rows_of(&out, "DEST").is_empty());
        p.tick(parse_timestamp("2026-01-01 00:00:20").unwrap(), &mut out);
        assert_eq!(
            rows_of(&out, "DEST"),
            vec![vec!["2026-01-01 00:00:20.000", "a", "1", "7.0", "7.0"]]
        );
    }

    #[test]
    fn a_sliding_window_answers_every_row() {
        let mut p = plan(
            r#"CREATE OR REPLACE STREAM "DEST" (t VARCHAR(4), avg_price DOUBLE, n INTEGER, last2 DOUBLE);
               CREATE OR REPLACE PUMP "P" AS INSERT INTO "DEST"
               SELECT STREAM "ticker_symbol",
                      AVG("price") OVER W1,
                      COUNT(*) OVER W1,
                      SUM("price") OVER (PARTITION BY "ticker_symbol" ROWS 1 PRECEDING)
               FROM "SOURCE_SQL_STREAM_001"
               WINDOW W1 AS (PARTITION BY "ticker_symbol" RANGE INTERVAL '10' SECOND PRECEDING);"#,
        );
        let mut out = Vec::new();
        let src = "SOURCE_SQL_STREAM_001";
        p.push(src, row("2026-01-01 00:00:00", "a", 1.0), &mut out);
        p.push(src, row("2026-01-01 00:00:05", "b", 100.0), &mut out);
        p.push(src, row("2026-01-01 00:00:06", "a", 3.0), &mut out);
        p.push(src, row("2026-01-01 00:00:11", "a", 8.0), &mut out);
        assert_eq!(
            rows_of(&out, "DEST"),
            vec![
                vec!["2026-01-01 00:00:00.000", "a", "1.0", "1", "1.0"],
                vec!["2026-01-01 00:00:05.000", "b", "100.0", "1", "100.0"],
                vec!["2026-01-01 00:00:06.000", "a", "2.0", "2", "4.0"],
                // 00:00:00 is more than 10 s before 00:00:11: out of the range frame.
                vec!["2026-01-01 00:00:11.000", "a", "5.5", "2", "11.0"],
            ]
        );
    }

    #[test]
    fn distinct_counts_and_first_and_last_values() {
        let mut p = plan(
            r#"CREATE STREAM "DEST" (n INTEGER, first_t VARCHAR(4), last_t VARCHAR(4), seen INTEGER);
               CREATE PUMP "P" AS INSERT INTO "DEST"
               SELECT STREAM COUNT(DISTINCT "ticker_symbol"), FIRST_VALUE("ticker_symbol"),
                      LAST_VALUE("ticker_symbol"), COUNT("price")
               FROM "SOURCE_SQL_STREAM_001"
               GROUP BY FLOOR("SOURCE_SQL_STREAM_001".ROWTIME TO MINUTE);"#,
        );
        let mut out = Vec::new();
        let src = "SOURCE_SQL_STREAM_001";
        for (t, s) in [("01", "a"), ("02", "b"), ("03", "a"), ("04", "c")] {
            p.push(src, row(&format!("2026-01-01 00:00:{t}"), s, 1.0), &mut out);
        }
        p.tick(parse_timestamp("2026-01-01 00:01:00").unwrap(), &mut out);
        assert_eq!(
            rows_of(&out, "DEST"),
            vec![vec!["2026-01-01 00:01:00.000", "3", "a", "c", "4"]]
        );
    }

    #[test]
    fn rows_that_fail_go_to_the_error_stream() {
        let mut p = plan(
            r#"CREATE STREAM "DEST" (t VARCHAR(2));
               CREATE PUMP "P" AS INSERT INTO "DEST" SELECT STREAM "ticker_symbol" FROM "SOURCE_SQL_STREAM_001";"#,
        );
        let mut out = Vec::new();
        p.push(
            "SOURCE_SQL_STREAM_001",
            row("2026-01-01 00:00:01", "amzn", 1.0),
            &mut out,
        );
        assert!(rows_of(&out, "DEST").is_empty());
        let errors = rows_of(&out, ERROR_STREAM);
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0][4].contains("longer than the 2 characters"),
            "{errors:?}"
        );
    }

    #[test]
    fn random_cut_forest_scores_an_outlier_high() {
        let mut p = plan(
            r#"CREATE STREAM "DEST" (t VARCHAR(4), price DOUBLE, "ANOMALY_SCORE" DOUBLE);
               CREATE PUMP "P" AS INSERT INTO "DEST"
               SELECT STREAM * FROM TABLE(RANDOM_CUT_FOREST(
                   CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 50, 64));"#,
        );
        let mut out = Vec::new();
        let src = "SOURCE_SQL_STREAM_001";
        let mut push = |i: i64, price: f64, out: &mut Vec<(String, Row)>| {
            let mut r = row("2026-01-01 00:00:00", "a", price);
            r[0] = Value::Timestamp(1_767_225_600_000 + i);
            p.push(src, r, out);
        };
        for i in 0..400 {
            push(i, 100.0 + (i % 7) as f64 * 0.5, &mut out);
        }
        push(400, 1000.0, &mut out);
        let scores: Vec<f64> = out
            .iter()
            .filter(|(s, _)| s == "DEST")
            .map(|(_, r)| r[3].as_f64().unwrap())
            .collect();
        assert_eq!(scores.len(), 401);
        // Nothing is scored until the forest has seen a quarter of its sample size.
        assert!(
            scores[..16].iter().all(|s| *s == 0.0),
            "{:?}",
            &scores[..16]
        );
        let normal = scores[200..400].iter().cloned().fold(0.0, f64::max);
        assert!(
            scores[400] > 2.0 * normal && scores[400] > 1.0,
            "outlier {} vs normal {normal}",
            scores[400]
        );
    }

    /// Queries of the dialect's shapes (windows, joins, table functions, subqueries), each
    /// part picked at random and some tokens dropped or repeated.
    fn query_parts() -> impl proptest::strategy::Strategy<Value = (Vec<&'static str>, usize, usize)>
    {
        use proptest::sample::select;
        use proptest::strategy::Strategy;
        (
            select(vec![
                r#""ticker_symbol", "price""#,
                r#"UPPER("ticker_symbol"), "price" * 2"#,
                r#""ticker_symbol", SUM("price")"#,
                r#""ticker_symbol", COUNT(*) OVER (PARTITION BY "ticker_symbol" RANGE INTERVAL '1' SECOND PRECEDING)"#,
                r#""ticker_symbol", MAX("price") OVER (ROWS 2 PRECEDING)"#,
                "*",
                r#"T.REC.COLUMN1, T."price""#,
                r#"window_start, COUNT(*)"#,
                r#""ticker_symbol", "ANOMALY_SCORE""#,
                r#""ticker_symbol", "MOST_FREQUENT_VALUES""#,
                r#"s."ticker_symbol", t."price""#,
            ]),
            select(vec![
                r#""SOURCE_SQL_STREAM_001" AS s"#,
                r#"TABLE(TOP_K_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'ticker_symbol', 2, 1))"#,
                r#"TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'ticker_symbol', 1))"#,
                r#"TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 10, 16))"#,
                r#"TABLE(HOTSPOTS(CURSOR(SELECT STREAM "price", "price" FROM "SOURCE_SQL_STREAM_001"), 10, 0.5, 2))"#,
                r#"TABLE(TUMBLE(TABLE "SOURCE_SQL_STREAM_001", DESCRIPTOR(ROWTIME), INTERVAL '1' SECOND))"#,
                r#"TABLE(HOP(TABLE "SOURCE_SQL_STREAM_001", DESCRIPTOR(ROWTIME), INTERVAL '1' SECOND, INTERVAL '2' SECOND))"#,
                r#"(SELECT STREAM "price", REGEX_LOG_PARSE("ticker_symbol", '(\w)(\w*)') AS REC FROM "SOURCE_SQL_STREAM_001") AS T"#,
                r#"(SELECT STREAM W3C_LOG_PARSE("ticker_symbol", 'COMMON'), "price" FROM "SOURCE_SQL_STREAM_001") AS T(REC, "price")"#,
                r#""SOURCE_SQL_STREAM_001" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS s JOIN "D2" AS t ON s."ticker_symbol" = t."ticker_symbol""#,
                r#""SOURCE_SQL_STREAM_001" AS s LEFT JOIN "D2" OVER (ROWS 3 PRECEDING) AS t ON s."price" > t."price""#,
            ]),
            select(vec!["", r#"WHERE "price" > 1"#, "WHERE window_end > ROWTIME"]),
            select(vec![
                "",
                r#"GROUP BY "ticker_symbol", STEP(s.ROWTIME BY INTERVAL '1' SECOND)"#,
                r#"GROUP BY "ticker_symbol", FLOOR("SOURCE_SQL_STREAM_001".ROWTIME TO SECOND)"#,
                r#"WINDOWED BY STAGGER (PARTITION BY "ticker_symbol" RANGE INTERVAL '1' SECOND)"#,
                "GROUP BY window_start, window_end",
                r#"ORDER BY FLOOR(s.ROWTIME TO SECOND), "price" DESC"#,
                r#"ORDER BY ROWTIME, "ticker_symbol""#,
            ]),
            0usize..64,
            0usize..3,
        )
            .prop_map(|(items, from, filter, group, at, how)| {
                (vec!["SELECT STREAM", items, "FROM", from, filter, group], at, how)
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Such queries compile and run rows (and the clock), or fail to compile; never panic.
        #[test]
        fn queries_of_the_dialect_compile_and_run_or_fail_cleanly((parts, at, how) in query_parts()) {
            let mut tokens: Vec<String> = parts.join(" ").split(' ').map(str::to_owned).collect();
            let at = at % tokens.len();
            match how {
                1 => { tokens.remove(at); }
                2 => { let t = tokens[at].clone(); tokens.insert(at, t); }
                _ => {}
            }
            let code = format!(
                "CREATE STREAM \"D\" (a VARCHAR(8), b DOUBLE);\nCREATE STREAM \"D2\" (\"ticker_symbol\" VARCHAR(4), \"price\" DOUBLE);\nCREATE PUMP \"P2\" AS INSERT INTO \"D2\" SELECT STREAM \"ticker_symbol\", \"price\" FROM \"SOURCE_SQL_STREAM_001\";\nCREATE PUMP \"P\" AS INSERT INTO \"D\" {};",
                tokens.join(" ")
            );
            let Ok(program) = crate::parse(&code) else { return Ok(()); };
            if let Ok(mut p) = AppPlan::compile(&program, &[input()], &[]) {
                let mut out = Vec::new();
                for (i, (t, price)) in [("a", 1.0), ("b", 2.5), ("a", 1e9), ("c", -3.0)].into_iter().enumerate() {
                    p.push("SOURCE_SQL_STREAM_001", row(&format!("2026-01-01 00:00:0{i}"), t, price), &mut out);
                }
                p.tick(parse_timestamp("2026-01-02 00:00:00").unwrap(), &mut out);
            }
        }
    }

    #[test]
    fn compile_errors_name_the_statement() {
        let bad = |code: &str| {
            AppPlan::compile(&crate::parse(code).unwrap(), &[input()], &[])
                .unwrap_err()
                .message
        };
        let m = bad(
            "CREATE STREAM d (a INT);\nCREATE PUMP p AS INSERT INTO d SELECT STREAM nope FROM \"SOURCE_SQL_STREAM_001\";",
        );
        assert!(
            m.starts_with("line 2, column 46:") && m.contains("Column 'NOPE' not found"),
            "{m}"
        );
        let m = bad(
            "CREATE PUMP p AS INSERT INTO missing SELECT STREAM * FROM \"SOURCE_SQL_STREAM_001\";",
        );
        assert!(m.contains("Object 'MISSING' not found"), "{m}");
        let m = bad(
            "CREATE STREAM d (a INT, b INT);\nCREATE PUMP p AS INSERT INTO d SELECT STREAM \"price\" FROM \"SOURCE_SQL_STREAM_001\";",
        );
        assert!(m.contains("Number of INSERT target columns (2)"), "{m}");
        let m = bad(
            "CREATE STREAM d (n INT);\nCREATE PUMP p AS INSERT INTO d SELECT STREAM COUNT(*) FROM \"SOURCE_SQL_STREAM_001\" GROUP BY \"ticker_symbol\";",
        );
        assert!(m.contains("needs a window"), "{m}");
        let m = bad("CREATE STREAM d (a BLOB);");
        assert!(m.contains("unknown type BLOB"), "{m}");
    }
}
