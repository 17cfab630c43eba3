//! A pump: one compiled `INSERT INTO … SELECT STREAM …`, taking rows and giving rows.

use super::Row;
use super::agg::PartitionKey;
use super::agg::{Agg, AggState};
use super::event::EventWindows;
use super::forest::Model;
use super::join::{StreamJoin, TableJoin};
use super::window::Sliding;
use crate::eval::Expr;
use crate::value::{SqlType, Value};
use std::collections::{BTreeMap, HashMap};

/// One group of a window: its key values and its aggregates so far.
pub(super) type Group = (Vec<Value>, Vec<AggState>);

#[derive(Debug, Clone)]
pub(super) enum PumpKind {
    Map {
        filter: Option<Expr>,
        project: Vec<Expr>,
        /// `SELECT STREAM DISTINCT`: the rows given for the current ROWTIME, to leave out
        /// repeats (a stream's duplicates are rows alike in every item at one ROWTIME).
        distinct: Option<(i64, std::collections::HashSet<Vec<PartitionKey>>)>,
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
        open: BTreeMap<i64, IndexedGroups>,
    },
    Stagger {
        filter: Option<Expr>,
        /// The partition keys, over the input row.
        keys: Vec<Expr>,
        size_ms: i64,
        aggs: Vec<Agg>,
        /// Over `[keys…, aggregates…]`.
        project: Vec<Expr>,
        windows: StaggerWindows,
    },
    /// `TABLE(RANDOM_CUT_FOREST(CURSOR(…), …))` and `TABLE(HOTSPOTS(CURSOR(…), …))`: each row
    /// with what the model makes of its numeric columns.
    Analysis {
        cursor_filter: Option<Expr>,
        /// The cursor's items, over the input row.
        items: Vec<Expr>,
        numeric: Vec<usize>,
        model: Box<Model>,
        /// The outer query's WHERE and items over `[ROWTIME, items…, the model's column]`.
        filter: Option<Expr>,
        project: Vec<Expr>,
    },
    /// `TABLE(TUMBLE|HOP|CUMULATE(TABLE s, DESCRIPTOR(ts), …))` grouped by window and keys.
    Event {
        /// Over the windowed row `[row…, window_start, window_end, window_time]`.
        filter: Option<Expr>,
        time: usize,
        windows: EventWindows,
        delay_ms: i64,
        /// Group keys (window_start and window_end among them), over the windowed row.
        keys: Vec<Expr>,
        aggs: Vec<Agg>,
        /// Over `[keys…, aggregates…]`.
        project: Vec<Expr>,
        watermark: i64,
        /// (end, start) → the window's groups in arrival order, and their index.
        open: BTreeMap<(i64, i64), IndexedGroups>,
        /// SESSION: where window_start and window_end are among the keys, and each group's
        /// open sessions (start, end, group), earliest first.
        window_keys: (Option<usize>, Option<usize>),
        sessions: HashMap<Vec<PartitionKey>, Vec<(i64, i64, Group)>>,
    },
    /// `TABLE(TOP_K_ITEMS_TUMBLING(CURSOR(…), 'col', k, seconds))` and
    /// `TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(…), 'col', seconds))`: per tumbling window
    /// of ROWTIME, the k most frequent values of a column with their counts (most frequent
    /// first), or the number of distinct values. Counts are exact.
    Items {
        /// The cursor query's WHERE, over the input row.
        cursor_filter: Option<Expr>,
        /// The column counted, over the input row.
        item: Expr,
        /// `Some(k)` for the top k; `None` for the distinct count.
        top: Option<usize>,
        size_ms: i64,
        /// The outer query's WHERE and items, over the function's row
        /// `[ROWTIME, value, count]` or `[ROWTIME, distinct count]`.
        filter: Option<Expr>,
        project: Vec<Expr>,
        /// Window start → value → (count, first seen as the n-th, the value).
        open: BTreeMap<i64, HashMap<PartitionKey, (i64, usize, Value)>>,
    },
}

/// The open windows of a stagger pump: one per partition key, each opened by the first row
/// of its key and closed `size` after that row's ROWTIME.
#[derive(Debug, Clone, Default)]
pub(super) struct StaggerWindows {
    open: HashMap<Vec<PartitionKey>, (i64, Group)>,
    /// (closes at, opened as the n-th) → key, to close in order.
    closing: BTreeMap<(i64, u64), Vec<PartitionKey>>,
    opened: u64,
}

/// A window's groups in arrival order, found by key.
#[derive(Debug, Clone, Default)]
pub(super) struct IndexedGroups {
    index: HashMap<Vec<PartitionKey>, usize>,
    groups: Vec<Group>,
}

impl IndexedGroups {
    fn group(&mut self, key_vals: Vec<Value>, aggs: &[Agg]) -> &mut Group {
        let key: Vec<PartitionKey> = key_vals.iter().cloned().map(PartitionKey::from).collect();
        let next = self.groups.len();
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            self.groups.push((
                key_vals,
                aggs.iter().map(|a| AggState::new(a.kind)).collect(),
            ));
        }
        &mut self.groups[i]
    }
}

/// Each expression's value for the row.
fn eval_all(exprs: &[Expr], row: &Row) -> Result<Vec<Value>, String> {
    exprs.iter().map(|e| e.eval(row)).collect()
}

/// Adds a row's aggregate inputs to a group's states.
fn accumulate(aggs: &[Agg], states: &mut [AggState], row: &Row) -> Result<(), String> {
    for (a, st) in aggs.iter().zip(states.iter_mut()) {
        let v = a.arg.as_ref().map(|e| e.eval(row)).transpose()?;
        st.add(a.kind, v)?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Pump {
    pub name: String,
    pub source: String,
    pub target: String,
    /// For each target column (after ROWTIME), which projected value goes there.
    pub(super) slots: Vec<Option<usize>>,
    pub(super) target_types: Vec<SqlType>,
    pub(super) kind: PumpKind,
    /// A reference table or another stream each row is joined with before the rest of the
    /// pump.
    pub(super) join: Option<Join>,
    /// `ORDER BY`, for a map: its rows held and sorted.
    pub(super) order: Option<Sorter>,
}

/// A streaming ORDER BY: the first key grows with ROWTIME (ROWTIME, or its STEP or FLOOR), so
/// the rows of one value of it are held until a row of a later value comes (or the clock passes
/// it), then given sorted by the other keys, each with the ROWTIME of that moment.
#[derive(Debug, Clone)]
pub(super) struct Sorter {
    /// Over the input row: the first is the monotonic key.
    pub(super) keys: Vec<(Expr, bool)>,
    pub(super) held: Vec<(Vec<Value>, Row)>,
    pub(super) current: Option<Value>,
}

impl Sorter {
    /// The held rows in order, each given `rowtime`.
    fn flush(&mut self, rowtime: i64) -> Vec<Row> {
        let mut held = std::mem::take(&mut self.held);
        let keys = &self.keys;
        held.sort_by(|(a, _), (b, _)| {
            for (i, (_, desc)) in keys.iter().enumerate().skip(1) {
                // NULLs last, whichever the direction.
                let o = match (a[i].is_null(), b[i].is_null()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ => {
                        let o = a[i].compare(&b[i]).unwrap_or(std::cmp::Ordering::Equal);
                        if *desc { o.reverse() } else { o }
                    }
                };
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        held.into_iter()
            .map(|(_, mut r)| {
                r[0] = Value::Timestamp(rowtime);
                r
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub(super) enum Join {
    Table(TableJoin),
    Stream(StreamJoin),
}

/// The outcome of pushing a row somewhere: rows for other streams, and errors for the error
/// stream.
#[derive(Debug, Default)]
pub struct Emitted {
    pub rows: Vec<(String, Row)>,
    pub errors: Vec<(String, String, Row)>,
}

impl Pump {
    /// Whether rows of `stream` come into this pump.
    pub(super) fn reads(&self, stream: &str) -> bool {
        self.source == stream
            || matches!(&self.join, Some(Join::Stream(j)) if j.right.stream == stream)
    }

    /// One input row, of `stream`.
    pub(super) fn push(&mut self, stream: &str, row: &Row, out: &mut Emitted) {
        let rows = match &mut self.join {
            None => return self.push_joined(row, out),
            Some(Join::Table(join)) => join.join(row),
            Some(Join::Stream(join)) => {
                let mut rows = Vec::new();
                join.push(stream, row, &mut rows).map(|()| rows)
            }
        };
        match rows {
            Ok(rows) => {
                for r in &rows {
                    self.push_joined(r, out);
                }
                // A row that joins nothing still moves the pump's time on.
                if rows.is_empty()
                    && let Some(Value::Timestamp(t)) = row.first()
                {
                    self.close_before(*t, out);
                }
            }
            Err(e) => out.errors.push((self.name.clone(), e, row.clone())),
        }
    }

    /// The clock says `now_ms`: rows of a stream join that left their windows unmatched come
    /// out, and windows that have ended close.
    pub(super) fn tick(&mut self, now_ms: i64, out: &mut Emitted) {
        if let Some(Join::Stream(join)) = &mut self.join {
            let mut rows = Vec::new();
            join.expire(now_ms, &mut rows);
            for r in &rows {
                self.push_joined(r, out);
            }
        }
        self.close_before(now_ms, out);
        if let Some(sorter) = &mut self.order
            && !sorter.held.is_empty()
        {
            // The first key of a row at `now_ms` (the key is ROWTIME or a function of it alone).
            let mut probe: Row = vec![Value::Null; sorter.held[0].1.len().max(1)];
            probe[0] = Value::Timestamp(now_ms);
            if let (Ok(k), Some(c)) = (sorter.keys[0].0.eval(&probe), &sorter.current)
                && k.compare(c).is_some_and(|o| o.is_gt())
            {
                for r in sorter.flush(now_ms) {
                    out.rows.push((self.target.clone(), r));
                }
                sorter.current = Some(k);
            }
        }
    }

    /// One row after the join, if any.
    fn push_joined(&mut self, row: &Row, out: &mut Emitted) {
        let rowtime = match row.first() {
            Some(Value::Timestamp(t)) => *t,
            _ => 0,
        };
        // A stagger window that has reached its age closes before the row is placed, so a row
        // of its key then opens a new one.
        if let PumpKind::Stagger { .. } = self.kind {
            self.close_before(rowtime, out);
        }
        let passes = |filter: &Option<Expr>| -> Result<bool, String> {
            Ok(match filter {
                None => true,
                Some(f) => f.eval(row)? == Value::Bool(true),
            })
        };
        let result = (|| -> Result<Option<Row>, String> {
            match &mut self.kind {
                PumpKind::Map {
                    filter,
                    project,
                    distinct,
                } => {
                    if !passes(filter)? {
                        return Ok(None);
                    }
                    let vals = eval_all(project, row)?;
                    if let Some((at, seen)) = distinct {
                        if *at != rowtime {
                            *at = rowtime;
                            seen.clear();
                        }
                        if !seen.insert(vals.iter().cloned().map(PartitionKey::from).collect()) {
                            return Ok(None);
                        }
                    }
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
                    let vals = eval_all(project, &virt)?;
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
                    let key_vals = eval_all(keys, row)?;
                    let start = match key_vals.get(*window_key) {
                        Some(Value::Timestamp(t)) => *t,
                        other => return Err(format!("window start {other:?} is not a timestamp")),
                    };
                    let (_, states) = open.entry(start).or_default().group(key_vals, aggs);
                    accumulate(aggs, states, row)?;
                    Ok(None)
                }
                PumpKind::Analysis {
                    cursor_filter,
                    items,
                    numeric,
                    model,
                    filter,
                    project,
                } => {
                    if !passes(cursor_filter)? {
                        return Ok(None);
                    }
                    let mut frow = Vec::with_capacity(items.len() + 2);
                    frow.push(Value::Timestamp(rowtime));
                    for e in items.iter() {
                        frow.push(e.eval(row)?);
                    }
                    let point = numeric
                        .iter()
                        .map(|&i| match &frow[i + 1] {
                            Value::Null => Ok(0.0),
                            v => v
                                .as_f64()
                                .ok_or_else(|| format!("{v} is not a number to score")),
                        })
                        .collect::<Result<Vec<f64>, String>>()?;
                    frow.extend(model.next(&point)?);
                    if let Some(f) = filter
                        && f.eval(&frow)? != Value::Bool(true)
                    {
                        return Ok(None);
                    }
                    let vals = eval_all(project, &frow)?;
                    Ok(Some(vals))
                }
                PumpKind::Event {
                    filter,
                    time,
                    windows,
                    delay_ms,
                    keys,
                    aggs,
                    watermark,
                    open,
                    sessions,
                    ..
                } => {
                    let ts = match row.get(*time) {
                        Some(Value::Timestamp(t)) => *t,
                        Some(Value::Null) => return Err("the row's event time is NULL".into()),
                        other => return Err(format!("event time {other:?} is not a timestamp")),
                    };
                    if let EventWindows::Session { gap } = *windows {
                        if ts.saturating_add(gap) > *watermark {
                            let mut wide = row.clone();
                            wide.extend([Value::Null, Value::Null, Value::Null]);
                            if let Some(f) = filter
                                && f.eval(&wide)? != Value::Bool(true)
                            {
                                return Ok(None);
                            }
                            let key_vals = eval_all(keys, &wide)?;
                            let key: Vec<PartitionKey> =
                                key_vals.iter().cloned().map(PartitionKey::from).collect();
                            let list = sessions.entry(key).or_default();
                            let (mut start, mut end) = (ts, ts.saturating_add(gap));
                            let mut merged: Option<Group> = None;
                            // The sessions this row touches merge into one, earliest first.
                            let mut i = 0;
                            while i < list.len() {
                                let (s0, e0, _) = list[i];
                                if ts < e0 && ts.saturating_add(gap) > s0 {
                                    let (s0, e0, g) = list.remove(i);
                                    start = start.min(s0);
                                    end = end.max(e0);
                                    merged = Some(match merged {
                                        None => g,
                                        Some(mut m) => {
                                            for ((a, st), later) in
                                                aggs.iter().zip(m.1.iter_mut()).zip(g.1)
                                            {
                                                st.merge(a.kind, later)?;
                                            }
                                            m
                                        }
                                    });
                                } else {
                                    i += 1;
                                }
                            }
                            let mut group = merged.unwrap_or_else(|| {
                                (
                                    key_vals,
                                    aggs.iter().map(|a| AggState::new(a.kind)).collect(),
                                )
                            });
                            accumulate(aggs, &mut group.1, &wide)?;
                            let at = list.partition_point(|(s0, _, _)| *s0 < start);
                            list.insert(at, (start, end, group));
                        }
                        *watermark = (*watermark).max(ts.saturating_sub(*delay_ms));
                        return Ok(None);
                    }
                    let mut assigned = Vec::new();
                    windows.assign(ts, &mut assigned);
                    let mut wide = row.clone();
                    for &(start, end) in &assigned {
                        // Late: this window has come out already.
                        if end <= *watermark {
                            continue;
                        }
                        wide.truncate(row.len());
                        wide.extend([
                            Value::Timestamp(start),
                            Value::Timestamp(end),
                            Value::Timestamp(end - 1),
                        ]);
                        if let Some(f) = filter
                            && f.eval(&wide)? != Value::Bool(true)
                        {
                            continue;
                        }
                        let key_vals = eval_all(keys, &wide)?;
                        let (_, states) =
                            open.entry((end, start)).or_default().group(key_vals, aggs);
                        accumulate(aggs, states, &wide)?;
                    }
                    *watermark = (*watermark).max(ts.saturating_sub(*delay_ms));
                    Ok(None)
                }
                PumpKind::Items {
                    cursor_filter,
                    item,
                    size_ms,
                    open,
                    ..
                } => {
                    if !passes(cursor_filter)? {
                        return Ok(None);
                    }
                    let v = item.eval(row)?;
                    if v == Value::Null {
                        return Ok(None);
                    }
                    let start = rowtime - rowtime.rem_euclid(*size_ms);
                    let counts = open.entry(start).or_default();
                    let seen = counts.len();
                    counts
                        .entry(PartitionKey::from(v.clone()))
                        .or_insert((0, seen, v))
                        .0 += 1;
                    Ok(None)
                }
                PumpKind::Stagger {
                    filter,
                    keys,
                    size_ms,
                    aggs,
                    windows,
                    ..
                } => {
                    if !passes(filter)? {
                        return Ok(None);
                    }
                    let key_vals = eval_all(keys, row)?;
                    let key: Vec<PartitionKey> =
                        key_vals.iter().cloned().map(PartitionKey::from).collect();
                    let (_, (_, states)) = match windows.open.entry(key) {
                        std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                        std::collections::hash_map::Entry::Vacant(v) => {
                            let closes = rowtime.saturating_add(*size_ms);
                            windows.opened += 1;
                            windows
                                .closing
                                .insert((closes, windows.opened), v.key().clone());
                            v.insert((
                                closes,
                                (
                                    key_vals,
                                    aggs.iter().map(|a| AggState::new(a.kind)).collect(),
                                ),
                            ))
                        }
                    };
                    accumulate(aggs, states, row)?;
                    Ok(None)
                }
            }
        })();
        // ORDER BY: a row of a later first key gives the rows held before it.
        if let Some(sorter) = &mut self.order {
            match sorter.keys[0].0.eval(row) {
                Ok(first) => {
                    if sorter
                        .current
                        .as_ref()
                        .is_some_and(|c| first.compare(c).is_some_and(|o| o.is_gt()))
                    {
                        for r in sorter.flush(rowtime) {
                            out.rows.push((self.target.clone(), r));
                        }
                    }
                    if sorter.current.is_none()
                        || sorter
                            .current
                            .as_ref()
                            .is_some_and(|c| first.compare(c).is_some_and(|o| o.is_gt()))
                    {
                        sorter.current = Some(first);
                    }
                }
                Err(e) => out.errors.push((self.name.clone(), e, row.clone())),
            }
        }
        match result {
            Ok(Some(vals)) => match self_finish(&self.slots, &self.target_types, rowtime, vals) {
                Ok(r) => match &mut self.order {
                    Some(sorter) => {
                        match sorter
                            .keys
                            .iter()
                            .map(|(k, _)| k.eval(row))
                            .collect::<Result<Vec<_>, _>>()
                        {
                            Ok(keys) => sorter.held.push((keys, r)),
                            Err(e) => out.errors.push((self.name.clone(), e, row.clone())),
                        }
                    }
                    None => out.rows.push((self.target.clone(), r)),
                },
                Err(e) => out.errors.push((self.name.clone(), e, row.clone())),
            },
            Ok(None) => {}
            Err(e) => out.errors.push((self.name.clone(), e, row.clone())),
        }
        // A row of a later window closes the earlier ones.
        if let PumpKind::Tumbling { .. } | PumpKind::Items { .. } | PumpKind::Event { .. } =
            self.kind
        {
            self.close_before(rowtime, out);
        }
    }

    /// Emits every window whose end is at or before `now_ms`.
    pub(super) fn close_before(&mut self, now_ms: i64, out: &mut Emitted) {
        let mut closed: Vec<(i64, Group)> = Vec::new();
        let project = match &mut self.kind {
            PumpKind::Tumbling {
                size_ms,
                project,
                open,
                ..
            } => {
                let size = *size_ms;
                while let Some(entry) = open.first_entry() {
                    if entry.key() + size > now_ms {
                        break;
                    }
                    let start = *entry.key();
                    closed.extend(entry.remove().groups.into_iter().map(|g| (start + size, g)));
                }
                &*project
            }
            PumpKind::Stagger {
                project, windows, ..
            } => {
                while let Some(entry) = windows.closing.first_entry() {
                    if entry.key().0 > now_ms {
                        break;
                    }
                    let key = entry.remove();
                    if let Some(w) = windows.open.remove(&key) {
                        closed.push(w);
                    }
                }
                &*project
            }
            PumpKind::Event {
                project,
                open,
                watermark,
                window_keys,
                sessions,
                ..
            } => {
                while let Some(entry) = open.first_entry() {
                    if entry.key().0 > *watermark {
                        break;
                    }
                    closed.extend(entry.remove().groups.into_iter().map(|g| (now_ms, g)));
                }
                let mut ended: Vec<(i64, i64, Group)> = Vec::new();
                sessions.retain(|_, list| {
                    list.retain_mut(|(start, end, g)| {
                        if *end > *watermark {
                            return true;
                        }
                        ended.push((*end, *start, std::mem::take(g)));
                        false
                    });
                    !list.is_empty()
                });
                ended.sort_by_key(|(end, start, _)| (*end, *start));
                for (end, start, mut g) in ended {
                    if let Some(i) = window_keys.0 {
                        g.0[i] = Value::Timestamp(start);
                    }
                    if let Some(i) = window_keys.1 {
                        g.0[i] = Value::Timestamp(end);
                    }
                    closed.push((now_ms, g));
                }
                &*project
            }
            PumpKind::Items {
                top,
                size_ms,
                filter,
                project,
                open,
                ..
            } => {
                let size = *size_ms;
                while let Some(entry) = open.first_entry() {
                    if entry.key() + size > now_ms {
                        break;
                    }
                    let end = entry.key() + size;
                    let counts = entry.remove();
                    let rows: Vec<Row> = match top {
                        None => vec![vec![Value::Timestamp(end), Value::Int(counts.len() as i64)]],
                        Some(k) => {
                            let mut items: Vec<_> = counts.into_values().collect();
                            items.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                            items
                                .into_iter()
                                .take(*k)
                                .map(|(n, _, v)| vec![Value::Timestamp(end), v, Value::Int(n)])
                                .collect()
                        }
                    };
                    for r in rows {
                        let vals = (|| -> Result<Option<Row>, String> {
                            if let Some(f) = filter
                                && f.eval(&r)? != Value::Bool(true)
                            {
                                return Ok(None);
                            }
                            let vals = project
                                .iter()
                                .map(|e| e.eval(&r))
                                .collect::<Result<Vec<_>, _>>()?;
                            self_finish(&self.slots, &self.target_types, end, vals).map(Some)
                        })();
                        match vals {
                            Ok(Some(row)) => out.rows.push((self.target.clone(), row)),
                            Ok(None) => {}
                            Err(e) => out.errors.push((self.name.clone(), e, r)),
                        }
                    }
                }
                return;
            }
            _ => return,
        };
        for (rowtime, (keys, states)) in closed {
            let mut virt = keys;
            virt.extend(states.iter().map(AggState::result));
            let vals = project
                .iter()
                .map(|e| e.eval(&virt))
                .collect::<Result<Vec<_>, _>>()
                .and_then(|vals| self_finish(&self.slots, &self.target_types, rowtime, vals));
            match vals {
                Ok(r) => out.rows.push((self.target.clone(), r)),
                Err(e) => out.errors.push((self.name.clone(), e, virt)),
            }
        }
    }
}

pub(super) fn self_finish(
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
