//! Sliding windows: aggregates `OVER` a RANGE or ROWS frame ending at the current row.

use super::Row;
use super::agg::{Agg, AggKind, AggState, PartitionKey, aggregate_arg, aggregate_kind};
use crate::eval::{self, Expr, Scope, fold};
use crate::value::Value;
use sqlparser::ast;
use std::collections::{HashMap, VecDeque};

/// The frame of a sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Frame {
    /// Rows whose ROWTIME is at most this many milliseconds before the current row's.
    Range(i64),
    /// The current row and this many rows before it.
    Rows(usize),
}

/// One windowed aggregate and the rows it currently spans, per partition.
#[derive(Debug, Clone)]
pub(super) struct Sliding {
    pub(super) agg: Agg,
    pub(super) partition_by: Vec<Expr>,
    pub(super) frame: Frame,
    pub(super) rows: HashMap<Vec<PartitionKey>, Span>,
}

/// The rows of one partition's frame, and what the aggregate keeps as they come and go, so
/// that a row costs O(1) amortized, not a pass over the frame: counts, the integer sum, a
/// monotonic deque for MIN/MAX, the non-NULL values for FIRST/LAST, value counts for
/// COUNT(DISTINCT). A SUM or AVG over a frame holding a non-integer is summed again in order,
/// so that it is exactly what adding the frame's values one by one gives.
#[derive(Debug, Clone, Default)]
pub(super) struct Span {
    rows: VecDeque<(i64, Value)>,
    /// The sequence number of `rows[0]`.
    base: u64,
    non_null: usize,
    int_sum: i128,
    /// Values in the frame that are neither NULL nor integers.
    others: usize,
    /// MIN/MAX: (sequence, value), the best first; FIRST/LAST: every non-NULL value.
    kept: VecDeque<(u64, Value)>,
    distinct: HashMap<PartitionKey, usize>,
}

impl Span {
    fn push(&mut self, kind: AggKind, t: i64, v: Value) -> Result<(), String> {
        let seq = self.base + self.rows.len() as u64;
        if !v.is_null() {
            self.non_null += 1;
            match &v {
                Value::Int(i) => self.int_sum += i128::from(*i),
                _ => self.others += 1,
            }
            match kind {
                AggKind::Min | AggKind::Max => {
                    while let Some((_, back)) = self.kept.back() {
                        let o = v
                            .compare(back)
                            .ok_or_else(|| format!("cannot compare {v} with {back}"))?;
                        // Equal values stay: the earliest of the best is the answer, as in a pass.
                        let worse = if kind == AggKind::Max {
                            o.is_gt()
                        } else {
                            o.is_lt()
                        };
                        if !worse {
                            break;
                        }
                        self.kept.pop_back();
                    }
                    self.kept.push_back((seq, v.clone()));
                }
                AggKind::First | AggKind::Last => self.kept.push_back((seq, v.clone())),
                AggKind::CountDistinct => {
                    *self
                        .distinct
                        .entry(PartitionKey::from(v.clone()))
                        .or_default() += 1;
                }
                _ => {}
            }
        }
        self.rows.push_back((t, v));
        Ok(())
    }

    fn pop(&mut self) {
        let Some((_, v)) = self.rows.pop_front() else {
            return;
        };
        let seq = self.base;
        self.base += 1;
        if v.is_null() {
            return;
        }
        self.non_null -= 1;
        match &v {
            Value::Int(i) => self.int_sum -= i128::from(*i),
            _ => self.others -= 1,
        }
        if self.kept.front().is_some_and(|(s, _)| *s == seq) {
            self.kept.pop_front();
        }
        let key = PartitionKey::from(v);
        if let Some(n) = self.distinct.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.distinct.remove(&key);
            }
        }
    }

    fn result(&self, kind: AggKind) -> Result<Value, String> {
        Ok(match kind {
            AggKind::CountStar => Value::Int(self.rows.len() as i64),
            AggKind::Count => Value::Int(self.non_null as i64),
            AggKind::CountDistinct => Value::Int(self.distinct.len() as i64),
            AggKind::Min | AggKind::Max | AggKind::First => self
                .kept
                .front()
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null),
            AggKind::Last => self
                .kept
                .back()
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null),
            AggKind::Sum | AggKind::Avg if self.others > 0 => {
                let mut st = AggState::new(kind);
                for (_, v) in &self.rows {
                    st.add(kind, Some(v.clone()))?;
                }
                st.result()
            }
            AggKind::Sum if self.non_null == 0 => Value::Null,
            AggKind::Sum => Value::Int(
                i64::try_from(self.int_sum).map_err(|_| "numeric overflow in SUM".to_string())?,
            ),
            AggKind::Avg if self.non_null == 0 => Value::Null,
            AggKind::Avg => Value::Double(self.int_sum as f64 / self.non_null as f64),
        })
    }
}

impl Sliding {
    /// Adds the row and answers the aggregate over its frame.
    pub(super) fn add(&mut self, row: &Row, rowtime: i64) -> Result<Value, String> {
        let key = self
            .partition_by
            .iter()
            .map(|e| e.eval(row).map(PartitionKey::from))
            .collect::<Result<Vec<_>, _>>()?;
        let v = match &self.agg.arg {
            Some(e) => e.eval(row)?,
            None => Value::Bool(true),
        };
        let span = self.rows.entry(key).or_default();
        span.push(self.agg.kind, rowtime, v)?;
        match self.frame {
            Frame::Range(ms) => {
                while span.rows.front().is_some_and(|(t, _)| *t < rowtime - ms) {
                    span.pop();
                }
            }
            Frame::Rows(n) => {
                while span.rows.len() > n + 1 {
                    span.pop();
                }
            }
        }
        span.result(self.agg.kind)
    }
}

/// The pseudo column a windowed aggregate's result is read from.
pub(super) fn windowed_slot(i: usize) -> String {
    format!("\u{1}window{i}")
}

pub(super) fn has_windowed(e: &ast::Expr) -> bool {
    let mut found = Vec::new();
    replace_windowed(&mut e.clone(), &mut found);
    !found.is_empty()
}

/// Replaces each `AGG(…) OVER …` in `e` by a pseudo column, collecting the calls.
pub(super) fn replace_windowed(e: &mut ast::Expr, found: &mut Vec<ast::Function>) {
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
pub(super) fn sliding_of(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Value::Null),
            (-50i64..50).prop_map(Value::Int),
            (-50i64..50).prop_map(|i| Value::Double(i as f64 / 4.0)),
        ]
    }

    proptest::proptest! {
        /// What a frame keeps as rows come and go answers what aggregating its rows anew does.
        #[test]
        fn a_span_answers_what_aggregating_its_rows_does(
            kind in proptest::sample::select(vec![
                AggKind::Count, AggKind::CountStar, AggKind::Sum, AggKind::Avg, AggKind::Min,
                AggKind::Max, AggKind::CountDistinct, AggKind::First, AggKind::Last,
            ]),
            ints_only in proptest::bool::ANY,
            frame in 0usize..6,
            values in proptest::collection::vec(value(), 1..60),
        ) {
            let mut span = Span::default();
            for (i, mut v) in values.into_iter().enumerate() {
                if ints_only && let Value::Double(d) = v {
                    v = Value::Int(d as i64);
                }
                span.push(kind, i as i64, v).unwrap();
                while span.rows.len() > frame + 1 {
                    span.pop();
                }
                let mut st = AggState::new(kind);
                for (_, v) in &span.rows {
                    st.add(kind, (kind != AggKind::CountStar).then(|| v.clone())).unwrap();
                }
                let (got, want) = (span.result(kind).unwrap(), st.result());
                proptest::prop_assert!(
                    got == want || got.to_string() == want.to_string(),
                    "{kind:?} over {:?}: {got} != {want}", span.rows
                );
            }
        }
    }
}
