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

fn code_error(at: &sqlparser::tokenizer::Location, m: impl std::fmt::Display) -> CodeError {
    CodeError {
        message: format!("line {}, column {}: {m}", at.line, at.column),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AggKind {
    Count,
    CountStar,
    Sum,
    Avg,
    Min,
    Max,
    CountDistinct,
    First,
    Last,
}

#[derive(Debug, Clone)]
struct Agg {
    kind: AggKind,
    arg: Option<Expr>,
}

#[derive(Debug, Clone)]
enum AggState {
    Count(i64),
    Sum(Option<Value>),
    Avg(f64, i64),
    Best(Option<Value>),
    Distinct(std::collections::HashSet<PartitionKey>),
    First(Option<Value>),
    Last(Option<Value>),
}

impl AggState {
    fn new(kind: AggKind) -> Self {
        match kind {
            AggKind::Count | AggKind::CountStar => AggState::Count(0),
            AggKind::Sum => AggState::Sum(None),
            AggKind::Avg => AggState::Avg(0.0, 0),
            AggKind::Min | AggKind::Max => AggState::Best(None),
            AggKind::CountDistinct => AggState::Distinct(Default::default()),
            AggKind::First => AggState::First(None),
            AggKind::Last => AggState::Last(None),
        }
    }

    fn add(&mut self, kind: AggKind, v: Option<Value>) -> Result<(), String> {
        let v = match v {
            None => {
                if let AggState::Count(n) = self {
                    *n += 1;
                }
                return Ok(());
            }
            Some(Value::Null) => return Ok(()),
            Some(v) => v,
        };
        match self {
            AggState::Count(n) => *n += 1,
            AggState::Distinct(set) => {
                set.insert(PartitionKey::from(v));
            }
            AggState::First(f) => {
                if f.is_none() {
                    *f = Some(v);
                }
            }
            AggState::Last(l) => *l = Some(v),
            AggState::Sum(s) => {
                *s = Some(match s.take() {
                    None => v,
                    Some(Value::Int(a)) if matches!(v, Value::Int(_)) => {
                        let Value::Int(b) = v else { unreachable!() };
                        Value::Int(a.checked_add(b).ok_or("numeric overflow in SUM")?)
                    }
                    Some(a) => Value::Double(
                        a.as_f64().ok_or("SUM of a non-number")?
                            + v.as_f64().ok_or("SUM of a non-number")?,
                    ),
                })
            }
            AggState::Avg(sum, n) => {
                *sum += v.as_f64().ok_or("AVG of a non-number")?;
                *n += 1;
            }
            AggState::Best(b) => {
                let replace = match b {
                    None => true,
                    Some(cur) => match v.compare(cur) {
                        Some(o) => (kind == AggKind::Min) == o.is_lt() && o.is_ne(),
                        None => return Err(format!("cannot compare {v} with {cur}")),
                    },
                };
                if replace {
                    *b = Some(v);
                }
            }
        }
        Ok(())
    }

    fn result(&self) -> Value {
        match self {
            AggState::Count(n) => Value::Int(*n),
            AggState::Sum(s) | AggState::Best(s) | AggState::First(s) | AggState::Last(s) => {
                s.clone().unwrap_or(Value::Null)
            }
            AggState::Distinct(set) => Value::Int(set.len() as i64),
            AggState::Avg(_, 0) => Value::Null,
            AggState::Avg(s, n) => Value::Double(s / *n as f64),
        }
    }
}

/// The frame of a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Rows whose ROWTIME is at most this many milliseconds before the current row's.
    Range(i64),
    /// The current row and this many rows before it.
    Rows(usize),
}

/// One windowed aggregate and the rows it currently spans, per partition.
#[derive(Debug, Clone)]
struct Sliding {
    agg: Agg,
    partition_by: Vec<Expr>,
    frame: Frame,
    rows: HashMap<Vec<PartitionKey>, std::collections::VecDeque<(i64, Value)>>,
}

/// A partition key value, hashable (doubles by their bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PartitionKey {
    Null,
    Bool(bool),
    Int(i64),
    Bits(u64),
    Str(String),
}

impl From<Value> for PartitionKey {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => PartitionKey::Null,
            Value::Bool(b) => PartitionKey::Bool(b),
            Value::Int(i) | Value::Timestamp(i) => PartitionKey::Int(i),
            Value::Double(d) => PartitionKey::Bits(d.to_bits()),
            Value::Str(s) => PartitionKey::Str(s),
        }
    }
}

impl Sliding {
    /// Adds the row and answers the aggregate over its frame.
    fn add(&mut self, row: &Row, rowtime: i64) -> Result<Value, String> {
        let key = self
            .partition_by
            .iter()
            .map(|e| e.eval(row).map(PartitionKey::from))
            .collect::<Result<Vec<_>, _>>()?;
        let v = match &self.agg.arg {
            Some(e) => e.eval(row)?,
            None => Value::Bool(true),
        };
        let rows = self.rows.entry(key).or_default();
        rows.push_back((rowtime, v));
        match self.frame {
            Frame::Range(ms) => {
                while rows.front().is_some_and(|(t, _)| *t < rowtime - ms) {
                    rows.pop_front();
                }
            }
            Frame::Rows(n) => {
                while rows.len() > n + 1 {
                    rows.pop_front();
                }
            }
        }
        let mut st = AggState::new(self.agg.kind);
        for (_, v) in rows.iter() {
            let input = (self.agg.kind != AggKind::CountStar).then(|| v.clone());
            st.add(self.agg.kind, input)?;
        }
        Ok(st.result())
    }
}

/// One group of a window: its key values and its aggregates so far.
type Group = (Vec<Value>, Vec<AggState>);

#[derive(Debug, Clone)]
enum PumpKind {
    Map {
        filter: Option<Expr>,
        project: Vec<Expr>,
    },
    Sliding {
        filter: Option<Expr>,
        windows: Vec<Sliding>,
        /// Over `[input row…, windowed aggregates…]`.
        project: Vec<Expr>,
    },
    Tumbling {
        filter: Option<Expr>,
        /// Group keys over the input row (the window's start among them).
        keys: Vec<Expr>,
        window_key: usize,
        size_ms: i64,
        aggs: Vec<Agg>,
        /// Over `[keys…, aggregates…]`.
        project: Vec<Expr>,
        /// Window start → groups in arrival order.
        open: BTreeMap<i64, Vec<Group>>,
    },
}

#[derive(Debug, Clone)]
pub struct Pump {
    pub name: String,
    pub source: String,
    pub target: String,
    /// For each target column (after ROWTIME), which projected value goes there.
    slots: Vec<Option<usize>>,
    target_types: Vec<SqlType>,
    kind: PumpKind,
}

/// The outcome of pushing a row somewhere: rows for other streams, and errors for the error
/// stream.
#[derive(Debug, Default)]
pub struct Emitted {
    pub rows: Vec<(String, Row)>,
    pub errors: Vec<(String, String, Row)>,
}

impl Pump {
    /// One input row.
    fn push(&mut self, row: &Row, out: &mut Emitted) {
        let rowtime = match row.first() {
            Some(Value::Timestamp(t)) => *t,
            _ => 0,
        };
        let passes = |filter: &Option<Expr>| -> Result<bool, String> {
            Ok(match filter {
                None => true,
                Some(f) => f.eval(row)? == Value::Bool(true),
            })
        };
        let result = (|| -> Result<Option<Row>, String> {
            match &mut self.kind {
                PumpKind::Map { filter, project } => {
                    if !passes(filter)? {
                        return Ok(None);
                    }
                    let vals = project
                        .iter()
                        .map(|e| e.eval(row))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Some(vals))
                }
                PumpKind::Sliding {
                    filter,
                    windows,
                    project,
                } => {
                    if !passes(filter)? {
                        return Ok(None);
                    }
                    let mut virt = row.clone();
                    for w in windows.iter_mut() {
                        virt.push(w.add(row, rowtime)?);
                    }
                    let vals = project
                        .iter()
                        .map(|e| e.eval(&virt))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(Some(vals))
                }
                PumpKind::Tumbling {
                    filter,
                    keys,
                    window_key,
                    aggs,
                    open,
                    ..
                } => {
                    if !passes(filter)? {
                        return Ok(None);
                    }
                    let key_vals = keys
                        .iter()
                        .map(|e| e.eval(row))
                        .collect::<Result<Vec<_>, _>>()?;
                    let start = match key_vals.get(*window_key) {
                        Some(Value::Timestamp(t)) => *t,
                        other => return Err(format!("window start {other:?} is not a timestamp")),
                    };
                    let mut inputs = Vec::with_capacity(aggs.len());
                    for a in aggs.iter() {
                        inputs.push(a.arg.as_ref().map(|e| e.eval(row)).transpose()?);
                    }
                    let groups = open.entry(start).or_default();
                    let idx = match groups.iter().position(|(k, _)| *k == key_vals) {
                        Some(i) => i,
                        None => {
                            groups.push((
                                key_vals,
                                aggs.iter().map(|a| AggState::new(a.kind)).collect(),
                            ));
                            groups.len() - 1
                        }
                    };
                    for ((a, st), v) in aggs.iter().zip(groups[idx].1.iter_mut()).zip(inputs) {
                        st.add(a.kind, v)?;
                    }
                    Ok(None)
                }
            }
        })();
        match result {
            Ok(Some(vals)) => match self_finish(&self.slots, &self.target_types, rowtime, vals) {
                Ok(r) => out.rows.push((self.target.clone(), r)),
                Err(e) => out.errors.push((self.name.clone(), e, row.clone())),
            },
            Ok(None) => {}
            Err(e) => out.errors.push((self.name.clone(), e, row.clone())),
        }
        // A row of a later window closes the earlier ones.
        if let PumpKind::Tumbling { .. } = self.kind {
            self.close_before(rowtime, out);
        }
    }

    /// Emits every window whose end is at or before `now_ms`.
    fn close_before(&mut self, now_ms: i64, out: &mut Emitted) {
        let PumpKind::Tumbling {
            size_ms,
            project,
            open,
            ..
        } = &mut self.kind
        else {
            return;
        };
        let size = *size_ms;
        let due: Vec<i64> = open
            .keys()
            .copied()
            .take_while(|start| start + size <= now_ms)
            .collect();
        let project = project.clone();
        for start in due {
            let Some(groups) = open.remove(&start) else {
                continue;
            };
            for (keys, states) in groups {
                let mut virt = keys;
                virt.extend(states.iter().map(AggState::result));
                let vals = project
                    .iter()
                    .map(|e| e.eval(&virt))
                    .collect::<Result<Vec<_>, _>>()
                    .and_then(|vals| {
                        self_finish(&self.slots, &self.target_types, start + size, vals)
                    });
                match vals {
                    Ok(r) => out.rows.push((self.target.clone(), r)),
                    Err(e) => out.errors.push((self.name.clone(), e, virt)),
                }
            }
        }
    }
}

fn self_finish(
    slots: &[Option<usize>],
    types: &[SqlType],
    rowtime: i64,
    projected: Vec<Value>,
) -> Result<Row, String> {
    let mut row = Vec::with_capacity(slots.len() + 1);
    row.push(Value::Timestamp(rowtime));
    for (slot, t) in slots.iter().zip(types) {
        let v = slot
            .and_then(|i| projected.get(i).cloned())
            .unwrap_or(Value::Null);
        row.push(t.coerce(v)?);
    }
    Ok(row)
}

/// A compiled application: its streams and pumps.
#[derive(Debug, Clone)]
pub struct AppPlan {
    pub streams: HashMap<String, StreamDef>,
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
    /// Compiles `program` given the in-application input streams the inputs create.
    pub fn compile(program: &Program, inputs: &[StreamDef]) -> Result<AppPlan, CodeError> {
        let mut streams: HashMap<String, StreamDef> = HashMap::new();
        for s in inputs.iter().cloned().chain([error_stream_def()]) {
            streams.insert(s.name.clone(), s);
        }
        let mut pumps = Vec::new();
        for st in &program.statements {
            match st {
                Statement::CreateStream { name, columns, at } => {
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
                } => {
                    let target_def = streams.get(&target.name()).cloned().ok_or_else(|| {
                        code_error(at, format!("Object '{}' not found", target.name()))
                    })?;
                    let pump = compile_pump(
                        &name.name(),
                        &target_def,
                        target_columns.as_deref(),
                        query,
                        &streams,
                    )
                    .map_err(|m| code_error(at, m))?;
                    pumps.push(pump);
                }
            }
        }
        Ok(AppPlan { streams, pumps })
    }

    /// Puts `row` into `stream` and runs it through every pump that reads that stream (and
    /// on through the streams they write). Rows that fail go to the error stream.
    pub fn push(&mut self, stream: &str, row: Row, out: &mut Vec<(String, Row)>) {
        let mut queue = vec![(stream.to_owned(), row)];
        while let Some((s, r)) = queue.pop() {
            let mut em = Emitted::default();
            for p in self.pumps.iter_mut().filter(|p| p.source == s) {
                p.push(&r, &mut em);
            }
            self.route(em, &mut queue);
            out.push((s, r));
        }
    }

    /// Closes windows that have ended by `now_ms`.
    pub fn tick(&mut self, now_ms: i64, out: &mut Vec<(String, Row)>) {
        let mut em = Emitted::default();
        for p in &mut self.pumps {
            p.close_before(now_ms, &mut em);
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

fn compile_pump(
    name: &str,
    target: &StreamDef,
    target_columns: Option<&[crate::program::Ident]>,
    query: &ast::Query,
    streams: &HashMap<String, StreamDef>,
) -> Result<Pump, String> {
    if query.with.is_some() || query.order_by.is_some() || query.limit_clause.is_some() {
        return Err("WITH, ORDER BY and LIMIT are not supported in a pump's query".into());
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err("a pump's query must be a single SELECT STREAM".into());
    };
    let [from] = select.from.as_slice() else {
        return Err("a pump's query reads exactly one stream (joins are not supported yet)".into());
    };
    if !from.joins.is_empty() {
        return Err("joins are not supported yet".into());
    }
    let TableFactor::Table {
        name: sname, alias, ..
    } = &from.relation
    else {
        return Err(format!("unsupported FROM {}", from.relation));
    };
    let source = sname
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(fold)
        .unwrap_or_default();
    let def = streams
        .get(&source)
        .ok_or_else(|| format!("Object '{source}' not found"))?;
    let scope = stream_scope(def, alias.as_ref().map(|a| fold(&a.name)));
    let filter = select
        .selection
        .as_ref()
        .map(|w| eval::compile(w, &scope))
        .transpose()?;
    if select.having.is_some() || select.distinct.is_some() {
        return Err("HAVING and DISTINCT are not supported yet".into());
    }
    // The projected items and their names.
    let mut items: Vec<(ast::Expr, String)> = Vec::new();
    for (i, item) in select.projection.iter().enumerate() {
        match item {
            SelectItem::UnnamedExpr(e) => {
                let name = match e {
                    ast::Expr::Identifier(id) => fold(id),
                    ast::Expr::CompoundIdentifier(p) => p.last().map(fold).unwrap_or_default(),
                    _ => format!("EXPR${i}"),
                };
                items.push((e.clone(), name));
            }
            SelectItem::ExprWithAlias { expr, alias } => items.push((expr.clone(), fold(alias))),
            SelectItem::Wildcard(_) => {
                // `*` is the stream's columns, without ROWTIME and APPROXIMATE_ARRIVAL_TIME.
                for (c, _) in def
                    .columns
                    .iter()
                    .filter(|(c, _)| c != crate::mapping::APPROXIMATE_ARRIVAL_TIME)
                {
                    items.push((
                        ast::Expr::Identifier(ast::Ident::with_quote('"', c.clone())),
                        c.clone(),
                    ));
                }
            }
            other => return Err(format!("unsupported select item {other}")),
        }
    }
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
    let kind = if windowed {
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
        }
    } else {
        let mut keys = Vec::new();
        let mut window = None;
        for (i, g) in group_exprs.iter().enumerate() {
            let k = eval::compile(g, &scope)?;
            if let Expr::Floor(_, Some(size), false) = &k {
                if window.is_some() {
                    return Err("a GROUP BY may have one STEP or FLOOR window".into());
                }
                window = Some((i, *size));
            }
            keys.push(k);
        }
        let Some((window_key, size_ms)) = window else {
            return Err(
                "a streaming GROUP BY needs a window: STEP(ROWTIME BY INTERVAL …) or FLOOR(ROWTIME TO …)"
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
    Ok(Pump {
        name: name.to_owned(),
        source,
        target: target.name.clone(),
        slots,
        target_types,
        kind,
    })
}

/// The pseudo column a windowed aggregate's result is read from.
fn windowed_slot(i: usize) -> String {
    format!("\u{1}window{i}")
}

fn has_windowed(e: &ast::Expr) -> bool {
    let mut found = Vec::new();
    replace_windowed(&mut e.clone(), &mut found);
    !found.is_empty()
}

/// Replaces each `AGG(…) OVER …` in `e` by a pseudo column, collecting the calls.
fn replace_windowed(e: &mut ast::Expr, found: &mut Vec<ast::Function>) {
    match e {
        ast::Expr::Function(f) if f.over.is_some() => {
            found.push(f.clone());
            *e = ast::Expr::Identifier(ast::Ident::with_quote('"', windowed_slot(found.len() - 1)));
        }
        ast::Expr::Function(f) => {
            if let ast::FunctionArguments::List(l) = &mut f.args {
                for a in &mut l.args {
                    if let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) = a {
                        replace_windowed(x, found);
                    }
                }
            }
        }
        ast::Expr::BinaryOp { left, right, .. } => {
            replace_windowed(left, found);
            replace_windowed(right, found);
        }
        ast::Expr::UnaryOp { expr, .. }
        | ast::Expr::Nested(expr)
        | ast::Expr::Cast { expr, .. }
        | ast::Expr::IsNull(expr)
        | ast::Expr::IsNotNull(expr)
        | ast::Expr::Floor { expr, .. }
        | ast::Expr::Ceil { expr, .. } => replace_windowed(expr, found),
        ast::Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            if let Some(o) = operand {
                replace_windowed(o, found);
            }
            for w in conditions {
                replace_windowed(&mut w.condition, found);
                replace_windowed(&mut w.result, found);
            }
            if let Some(x) = else_result {
                replace_windowed(x, found);
            }
        }
        _ => {}
    }
}

/// A windowed aggregate's operator: its aggregate, partitioning and frame.
fn sliding_of(
    f: &ast::Function,
    named: &[ast::NamedWindowDefinition],
    scope: &Scope,
) -> Result<Sliding, String> {
    let kind = aggregate_kind(f).ok_or_else(|| {
        format!(
            "{} is not an aggregate that can run OVER a window",
            eval::function_name(f)
        )
    })?;
    let (kind, arg) = aggregate_arg(f, kind, scope)?;
    let spec = match &f.over {
        Some(ast::WindowType::WindowSpec(s)) => s.clone(),
        Some(ast::WindowType::NamedWindow(n)) => {
            let name = fold(n);
            let def = named
                .iter()
                .find(|d| fold(&d.0) == name)
                .ok_or_else(|| format!("window {name} is not defined"))?;
            match &def.1 {
                ast::NamedWindowExpr::WindowSpec(s) => s.clone(),
                other => return Err(format!("unsupported window definition {other}")),
            }
        }
        None => return Err(format!("{f} has no window")),
    };
    if !spec.order_by.is_empty() {
        return Err("ORDER BY in a window is not supported (rows are in ROWTIME order)".into());
    }
    let frame = spec
        .window_frame
        .as_ref()
        .ok_or("a window needs RANGE INTERVAL … PRECEDING or ROWS n PRECEDING")?;
    if frame
        .end_bound
        .as_ref()
        .is_some_and(|b| *b != ast::WindowFrameBound::CurrentRow)
    {
        return Err("a window must end at the current row".into());
    }
    let ast::WindowFrameBound::Preceding(Some(bound)) = &frame.start_bound else {
        return Err("a window needs a bounded PRECEDING start".into());
    };
    let frame = match (&frame.units, bound.as_ref()) {
        (ast::WindowFrameUnits::Range, ast::Expr::Interval(i)) => {
            Frame::Range(eval::interval_ms(i)?)
        }
        (ast::WindowFrameUnits::Rows, ast::Expr::Value(v)) => match &v.value {
            ast::Value::Number(n, _) => Frame::Rows(
                n.parse()
                    .map_err(|_| format!("ROWS {n} PRECEDING needs a whole number"))?,
            ),
            other => return Err(format!("unsupported ROWS bound {other}")),
        },
        (units, b) => return Err(format!("unsupported window frame {units} {b} PRECEDING")),
    };
    Ok(Sliding {
        agg: Agg { kind, arg },
        partition_by: spec
            .partition_by
            .iter()
            .map(|e| eval::compile(e, scope))
            .collect::<Result<_, _>>()?,
        frame,
        rows: HashMap::new(),
    })
}

/// An aggregate call's argument: `COUNT(*)` has none.
fn aggregate_arg(
    f: &ast::Function,
    mut kind: AggKind,
    scope: &Scope,
) -> Result<(AggKind, Option<Expr>), String> {
    let arg = match &f.args {
        ast::FunctionArguments::List(l) => match l.args.as_slice() {
            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)]
                if kind == AggKind::Count =>
            {
                kind = AggKind::CountStar;
                None
            }
            [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x))] => {
                match l.duplicate_treatment {
                    Some(ast::DuplicateTreatment::Distinct) if kind == AggKind::Count => {
                        kind = AggKind::CountDistinct;
                    }
                    Some(ast::DuplicateTreatment::Distinct) => {
                        return Err(format!("{f}: DISTINCT is supported in COUNT only"));
                    }
                    _ => {}
                }
                Some(eval::compile(x, scope)?)
            }
            _ => return Err(format!("unsupported arguments of {f}")),
        },
        _ => return Err(format!("unsupported arguments of {f}")),
    };
    Ok((kind, arg))
}

fn aggregate_kind(f: &ast::Function) -> Option<AggKind> {
    Some(match eval::function_name(f).as_str() {
        "COUNT" => AggKind::Count,
        "SUM" => AggKind::Sum,
        "AVG" => AggKind::Avg,
        "MIN" => AggKind::Min,
        "MAX" => AggKind::Max,
        "FIRST_VALUE" => AggKind::First,
        "LAST_VALUE" => AggKind::Last,
        _ => return None,
    })
}

fn has_aggregate(e: &ast::Expr) -> bool {
    match e {
        ast::Expr::Function(f) => {
            aggregate_kind(f).is_some()
                || eval::plain_args(f).is_ok_and(|a| a.iter().any(|x| has_aggregate(x)))
        }
        ast::Expr::BinaryOp { left, right, .. } => has_aggregate(left) || has_aggregate(right),
        ast::Expr::Nested(x)
        | ast::Expr::UnaryOp { expr: x, .. }
        | ast::Expr::Cast { expr: x, .. } => has_aggregate(x),
        _ => false,
    }
}

/// Compiles a projected item of a grouped query over `[group keys…, aggregates…]`: each
/// subexpression is a group key (written as in GROUP BY), an aggregate, or built from those.
fn compile_over_groups(
    e: &ast::Expr,
    groups: &[ast::Expr],
    aggs: &mut Vec<Agg>,
    scope: &Scope,
) -> Result<Expr, String> {
    let text = e.to_string();
    if let Some(i) = groups.iter().position(|g| g.to_string() == text) {
        return Ok(Expr::Column(i));
    }
    // An unqualified column that a GROUP BY key names with its stream (or the reverse).
    if let ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) = e
        && let Ok(Expr::Column(c)) = eval::compile(e, scope)
        && let Some(i) = groups
            .iter()
            .position(|g| matches!(eval::compile(g, scope), Ok(Expr::Column(gc)) if gc == c))
    {
        return Ok(Expr::Column(i));
    }
    let mut rec = |x: &ast::Expr| compile_over_groups(x, groups, aggs, scope).map(Box::new);
    Ok(match e {
        ast::Expr::Function(f) if aggregate_kind(f).is_some() => {
            let (kind, arg) = aggregate_arg(f, aggregate_kind(f).unwrap_or(AggKind::Count), scope)?;
            aggs.push(Agg { kind, arg });
            Expr::Column(groups.len() + aggs.len() - 1)
        }
        ast::Expr::Value(v) => Expr::Literal(eval::literal(&v.value)?),
        ast::Expr::Nested(x) => *rec(x)?,
        ast::Expr::BinaryOp { left, op, right } => {
            Expr::Binary(rec(left)?, op.clone(), rec(right)?)
        }
        ast::Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr,
        } => Expr::Neg(rec(expr)?),
        ast::Expr::Cast {
            expr, data_type, ..
        } => Expr::Cast(
            rec(expr)?,
            SqlType::parse(&data_type.to_string())
                .ok_or_else(|| format!("unsupported type {data_type}"))?,
        ),
        other => {
            return Err(format!(
                "Expression '{other}' is not being grouped: use a GROUP BY key or an aggregate"
            ));
        }
    })
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
        AppPlan::compile(&crate::parse(code).unwrap(), &[input()]).unwrap()
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
    fn compile_errors_name_the_statement() {
        let bad = |code: &str| {
            AppPlan::compile(&crate::parse(code).unwrap(), &[input()])
                .unwrap_err()
                .message
        };
        let m = bad(
            "CREATE STREAM d (a INT);\nCREATE PUMP p AS INSERT INTO d SELECT STREAM nope FROM \"SOURCE_SQL_STREAM_001\";",
        );
        assert!(
            m.starts_with("line 2, column 1:") && m.contains("Column 'NOPE' not found"),
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
