//! Aggregates: their kinds, running states, and how a grouped query's items compile over them.

use crate::eval::{self, Expr, Scope};
use crate::value::{SqlType, Value};
use sqlparser::ast;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AggKind {
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
pub(super) struct Agg {
    pub(super) kind: AggKind,
    pub(super) arg: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(super) enum AggState {
    Count(i64),
    Sum(Option<Value>),
    Avg(f64, i64),
    Best(Option<Value>),
    Distinct(std::collections::HashSet<PartitionKey>),
    First(Option<Value>),
    Last(Option<Value>),
}

impl AggState {
    pub(super) fn new(kind: AggKind) -> Self {
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

    pub(super) fn add(&mut self, kind: AggKind, v: Option<Value>) -> Result<(), String> {
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

    /// Folds in the state of a later run of rows (session windows merging).
    pub(super) fn merge(&mut self, kind: AggKind, later: AggState) -> Result<(), String> {
        match (self, later) {
            (AggState::Count(a), AggState::Count(b)) => *a += b,
            (AggState::Avg(s, n), AggState::Avg(s2, n2)) => {
                *s += s2;
                *n += n2;
            }
            (AggState::Distinct(a), AggState::Distinct(b)) => a.extend(b),
            (AggState::First(a @ None), AggState::First(b)) => *a = b,
            (AggState::Last(a), AggState::Last(b @ Some(_))) => *a = b,
            (
                me @ (AggState::Sum(_) | AggState::Best(_)),
                AggState::Sum(Some(v)) | AggState::Best(Some(v)),
            ) => {
                me.add(kind, Some(v))?;
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn result(&self) -> Value {
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

/// A partition key value, hashable (doubles by their bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum PartitionKey {
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

/// An aggregate call's argument: `COUNT(*)` has none.
pub(super) fn aggregate_arg(
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

pub(super) fn aggregate_kind(f: &ast::Function) -> Option<AggKind> {
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

pub(super) fn has_aggregate(e: &ast::Expr) -> bool {
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
pub(super) fn compile_over_groups(
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
