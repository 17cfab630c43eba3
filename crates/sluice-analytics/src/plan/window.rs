//! Sliding windows: aggregates `OVER` a RANGE or ROWS frame ending at the current row.

use super::Row;
use super::agg::{Agg, AggKind, AggState, PartitionKey, aggregate_arg, aggregate_kind};
use crate::eval::{self, Expr, Scope, fold};
use crate::value::Value;
use sqlparser::ast;
use std::collections::HashMap;

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
    pub(super) rows: HashMap<Vec<PartitionKey>, std::collections::VecDeque<(i64, Value)>>,
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
