//! Scalar expressions: sqlparser's AST compiled against a row's columns, then evaluated row at
//! a time. A compile error is a message for CodeValidationException; an evaluation error sends
//! the row to the error stream.

use crate::value::{SqlType, Value};
use sqlparser::ast::{
    self, BinaryOperator, CastKind, CeilFloorKind, DateTimeField, FunctionArg, FunctionArgExpr,
    FunctionArguments, UnaryOperator,
};
use std::cmp::Ordering;

/// The columns a query's expressions can name: each with the stream (or alias) it comes from.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
}

#[derive(Debug, Clone)]
pub struct ScopeColumn {
    /// The stream's name and its alias, if any (both as referred to, already folded).
    pub qualifiers: Vec<String>,
    pub name: String,
}

/// How an identifier refers: quoted exactly, unquoted in upper case.
pub fn fold(ident: &ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_uppercase()
    }
}

impl Scope {
    /// The row's ROWTIME column.
    fn rowtime(&self) -> Result<Expr, String> {
        self.columns
            .iter()
            .position(|c| c.name == "ROWTIME")
            .map(Expr::Column)
            .ok_or_else(|| "the query's stream has no ROWTIME".into())
    }

    fn resolve(&self, parts: &[ast::Ident]) -> Result<usize, String> {
        // `T.REC.COLUMN1` (or `REC.COLUMN1`): field COLUMN1 of item REC, a log parsing row.
        if let [q, r, c] = parts {
            return self.resolve_name(Some(fold(q)), format!("{}.{}", fold(r), fold(c)));
        }
        if let [r, c] = parts
            && self.resolve_name(Some(fold(r)), fold(c)).is_err()
            && let Ok(i) = self.resolve_name(None, format!("{}.{}", fold(r), fold(c)))
        {
            return Ok(i);
        }
        let (qualifier, name) = match parts {
            [c] => (None, fold(c)),
            [q, c] => (Some(fold(q)), fold(c)),
            _ => {
                return Err(format!(
                    "column {} is not a column of the query's stream",
                    parts
                        .iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join(".")
                ));
            }
        };
        self.resolve_name(qualifier, name)
    }

    fn resolve_name(&self, qualifier: Option<String>, name: String) -> Result<usize, String> {
        let found: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.name == name && qualifier.as_ref().is_none_or(|q| c.qualifiers.contains(q))
            })
            .map(|(i, _)| i)
            .collect();
        // In a join of streams, a bare ROWTIME is the joined row's own (it has no qualifier),
        // not either side's.
        let found = if found.len() > 1 && qualifier.is_none() {
            let bare: Vec<usize> = found
                .iter()
                .copied()
                .filter(|&i| self.columns[i].qualifiers.is_empty())
                .collect();
            if bare.len() == 1 { bare } else { found }
        } else {
            found
        };
        match found.as_slice() {
            [i] => Ok(*i),
            [] => Err(format!(
                "Column '{name}' not found in any table{}",
                qualifier.map(|q| format!(" named {q}")).unwrap_or_default()
            )),
            _ => Err(format!("Column '{name}' is ambiguous")),
        }
    }
}

/// The function name the plan gives field `n` of a log parsing call: `"\u{1}FIELD"(call, n)`.
pub const FIELD_MARKER: &str = "\u{1}FIELD";

/// A log parsing call's parser (its constant arguments read) and the line it parses.
pub fn log_parser(
    call: &ast::Function,
    scope: &Scope,
) -> Result<(crate::logparse::LogParser, Expr), String> {
    let name = function_name(call);
    let args = plain_args(call)?;
    let Some((line, rest)) = args.split_first() else {
        return Err(format!("{name} needs the line to parse"));
    };
    let consts = rest
        .iter()
        .map(|a| {
            match compile(
                a,
                &Scope {
                    columns: Vec::new(),
                },
            )? {
                Expr::Literal(v) => Ok(v),
                _ => Err(format!(
                    "the arguments of {name} after the line are literals"
                )),
            }
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((
        crate::logparse::LogParser::new(&name, &consts)?,
        compile(line, scope)?,
    ))
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Column(usize),
    Literal(Value),
    Binary(Box<Expr>, BinaryOperator, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    IsNull(Box<Expr>, bool),
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Cast(Box<Expr>, SqlType),
    /// FLOOR/CEIL of a timestamp to a unit (milliseconds per unit), or of a number.
    Floor(Box<Expr>, Option<i64>, bool),
    Func(Func, Vec<Expr>),
    /// Field `n` of a log parsing function's row for the line the expression gives.
    LogField(std::sync::Arc<crate::logparse::LogParser>, Box<Expr>, usize),
    /// EXTRACT(field FROM timestamp).
    Extract(Box<Expr>, DateTimeField),
    /// REGEX_REPLACE(s, pattern, replacement[, start[, occurrence]]) with a constant pattern.
    RegexReplace {
        input: Box<Expr>,
        regex: Box<regex::Regex>,
        replacement: Box<Expr>,
        start: Option<Box<Expr>>,
        occurrence: Option<Box<Expr>>,
    },
    Substring(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    Position(Box<Expr>, Box<Expr>),
    Trim(Box<Expr>, TrimWhere, Option<Box<Expr>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimWhere {
    Both,
    Leading,
    Trailing,
}

/// Scalar functions by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Upper,
    Lower,
    InitCap,
    CharLength,
    Abs,
    Coalesce,
    Mod,
    /// TSDIFF(a, b): a − b in milliseconds.
    TsDiff,
    /// TO_TIMESTAMP(ms since the epoch).
    ToTimestamp,
    /// UNIX_TIMESTAMP(ts): milliseconds since the epoch.
    UnixTimestamp,
    Nullif,
}

impl Func {
    fn of(name: &str) -> Option<(Func, usize, usize)> {
        Some(match name {
            "UPPER" => (Func::Upper, 1, 1),
            "LOWER" => (Func::Lower, 1, 1),
            "INITCAP" => (Func::InitCap, 1, 1),
            "CHAR_LENGTH" | "CHARACTER_LENGTH" => (Func::CharLength, 1, 1),
            "ABS" => (Func::Abs, 1, 1),
            "COALESCE" => (Func::Coalesce, 1, usize::MAX),
            "MOD" => (Func::Mod, 2, 2),
            "TSDIFF" => (Func::TsDiff, 2, 2),
            "TO_TIMESTAMP" => (Func::ToTimestamp, 1, 1),
            "UNIX_TIMESTAMP" => (Func::UnixTimestamp, 1, 1),
            "NULLIF" => (Func::Nullif, 2, 2),
            _ => return None,
        })
    }
}

/// The milliseconds of a `FLOOR(x TO unit)` unit.
pub fn unit_ms(field: &DateTimeField) -> Option<i64> {
    Some(match field {
        DateTimeField::Second | DateTimeField::Seconds => 1_000,
        DateTimeField::Minute | DateTimeField::Minutes => 60_000,
        DateTimeField::Hour | DateTimeField::Hours => 3_600_000,
        DateTimeField::Day | DateTimeField::Days => 86_400_000,
        _ => return None,
    })
}

/// The plain (unnamed, non-wildcard) arguments of a function call.
pub fn plain_args(f: &ast::Function) -> Result<Vec<&ast::Expr>, String> {
    match &f.args {
        FunctionArguments::None => Ok(Vec::new()),
        FunctionArguments::List(l) => l
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
                other => Err(format!("unsupported argument {other} of {}", f.name)),
            })
            .collect(),
        FunctionArguments::Subquery(_) => {
            Err(format!("unsupported subquery argument of {}", f.name))
        }
    }
}

/// A function's name as referred to (upper case unless quoted).
pub fn function_name(f: &ast::Function) -> String {
    f.name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(fold)
        .unwrap_or_default()
}

/// The milliseconds of `INTERVAL 'n' UNIT` (SECOND, MINUTE, HOUR, DAY).
pub fn interval_ms(i: &ast::Interval) -> Result<i64, String> {
    let text = match i.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::Number(s, _) => s.trim().to_owned(),
            other => return Err(format!("unsupported interval value {other}")),
        },
        other => return Err(format!("unsupported interval value {other}")),
    };
    let unit = i
        .leading_field
        .as_ref()
        .and_then(unit_ms)
        .ok_or_else(|| format!("unsupported interval {i}: give SECOND, MINUTE, HOUR or DAY"))?;
    if i.last_field.is_some() {
        return Err(format!("unsupported interval {i}"));
    }
    let n: f64 = text
        .parse()
        .map_err(|_| format!("bad interval value '{text}'"))?;
    if !(n > 0.0 && n * unit as f64 <= 1e15) {
        return Err(format!("interval {i} must be positive"));
    }
    Ok((n * unit as f64).round() as i64)
}

pub fn literal(v: &ast::Value) -> Result<Value, String> {
    Ok(match v {
        ast::Value::Number(n, _) => match n.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Double(n.parse().map_err(|_| format!("bad number {n}"))?),
        },
        ast::Value::SingleQuotedString(s) => Value::Str(s.clone()),
        ast::Value::Boolean(b) => Value::Bool(*b),
        ast::Value::Null => Value::Null,
        other => return Err(format!("unsupported literal {other}")),
    })
}

/// Compiles `e` against `scope`.
pub fn compile(e: &ast::Expr, scope: &Scope) -> Result<Expr, String> {
    let c = |e: &ast::Expr| compile(e, scope).map(Box::new);
    Ok(match e {
        // The time of the row (its ROWTIME, column 0: rows enter a stream as they are read).
        ast::Expr::Identifier(i)
            if i.quote_style.is_none()
                && matches!(
                    i.value.to_uppercase().as_str(),
                    "CURRENT_ROW_TIMESTAMP" | "CURRENT_TIMESTAMP" | "LOCALTIMESTAMP"
                )
                && scope.resolve(std::slice::from_ref(i)).is_err() =>
        {
            scope.rowtime()?
        }
        ast::Expr::Identifier(i) => Expr::Column(scope.resolve(std::slice::from_ref(i))?),
        ast::Expr::CompoundIdentifier(parts) => Expr::Column(scope.resolve(parts)?),
        ast::Expr::Value(v) => Expr::Literal(literal(&v.value)?),
        ast::Expr::Nested(e) => compile(e, scope)?,
        ast::Expr::BinaryOp { left, op, right } => {
            use BinaryOperator as B;
            match op {
                B::Plus
                | B::Minus
                | B::Multiply
                | B::Divide
                | B::Modulo
                | B::Eq
                | B::NotEq
                | B::Lt
                | B::LtEq
                | B::Gt
                | B::GtEq
                | B::And
                | B::Or
                | B::StringConcat => Expr::Binary(c(left)?, op.clone(), c(right)?),
                other => return Err(format!("unsupported operator {other}")),
            }
        }
        ast::Expr::UnaryOp { op, expr } => match op {
            UnaryOperator::Not => Expr::Not(c(expr)?),
            UnaryOperator::Minus => Expr::Neg(c(expr)?),
            UnaryOperator::Plus => compile(expr, scope)?,
            other => return Err(format!("unsupported operator {other}")),
        },
        ast::Expr::IsNull(e) => Expr::IsNull(c(e)?, false),
        ast::Expr::IsNotNull(e) => Expr::IsNull(c(e)?, true),
        ast::Expr::Like {
            negated,
            any: false,
            expr,
            pattern,
            escape_char: None,
        } => Expr::Like {
            expr: c(expr)?,
            pattern: c(pattern)?,
            negated: *negated,
        },
        ast::Expr::Between {
            expr,
            negated,
            low,
            high,
        } => Expr::Between {
            expr: c(expr)?,
            low: c(low)?,
            high: c(high)?,
            negated: *negated,
        },
        ast::Expr::In {
            expr,
            target: ast::InTarget::List(list),
            negated,
            ..
        } => Expr::InList {
            expr: c(expr)?,
            list: list
                .iter()
                .map(|e| compile(e, scope))
                .collect::<Result<_, _>>()?,
            negated: *negated,
        },
        ast::Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => Expr::Case {
            operand: operand.as_deref().map(c).transpose()?,
            whens: conditions
                .iter()
                .map(|w| Ok((compile(&w.condition, scope)?, compile(&w.result, scope)?)))
                .collect::<Result<_, String>>()?,
            otherwise: else_result.as_deref().map(c).transpose()?,
        },
        ast::Expr::Cast {
            kind: CastKind::Cast,
            expr,
            data_type,
            format: None,
            ..
        } => {
            let t = SqlType::parse(&data_type.to_string())
                .ok_or_else(|| format!("unsupported type {data_type}"))?;
            Expr::Cast(c(expr)?, t)
        }
        ast::Expr::Floor { expr, field } | ast::Expr::Ceil { expr, field } => {
            let ceil = matches!(e, ast::Expr::Ceil { .. });
            let unit = match field {
                CeilFloorKind::DateTimeField(DateTimeField::NoDateTime) => None,
                CeilFloorKind::DateTimeField(f) => {
                    Some(unit_ms(f).ok_or_else(|| format!("unsupported FLOOR/CEIL unit {f}"))?)
                }
                CeilFloorKind::Scale(_) => {
                    return Err("FLOOR/CEIL with a scale is not supported".into());
                }
            };
            Expr::Floor(c(expr)?, unit, ceil)
        }
        ast::Expr::Substring {
            expr,
            substring_from,
            substring_for,
            ..
        } => Expr::Substring(
            c(expr)?,
            substring_from.as_deref().map(c).transpose()?,
            substring_for.as_deref().map(c).transpose()?,
        ),
        ast::Expr::Position { expr, r#in } => Expr::Position(c(expr)?, c(r#in)?),
        ast::Expr::Trim {
            trim_where,
            trim_what,
            expr,
            trim_characters: None,
        } => Expr::Trim(
            c(expr)?,
            match trim_where {
                Some(ast::TrimWhereField::Leading) => TrimWhere::Leading,
                Some(ast::TrimWhereField::Trailing) => TrimWhere::Trailing,
                _ => TrimWhere::Both,
            },
            trim_what.as_deref().map(c).transpose()?,
        ),
        ast::Expr::Interval(i) => Expr::Literal(Value::Int(interval_ms(i)?)),
        ast::Expr::Function(f) if function_name(f) == "STEP" => {
            // STEP(ts BY INTERVAL …) (BY became a comma in `program`): the window's start.
            let args = plain_args(f)?;
            let [ts, ast::Expr::Interval(i)] = args.as_slice() else {
                return Err("STEP takes a timestamp and BY INTERVAL".into());
            };
            Expr::Floor(c(ts)?, Some(interval_ms(i)?), false)
        }
        ast::Expr::Function(f)
            if matches!(
                function_name(f).as_str(),
                "CURRENT_TIMESTAMP" | "LOCALTIMESTAMP" | "CURRENT_ROW_TIMESTAMP"
            ) && matches!(f.args, FunctionArguments::None) =>
        {
            scope.rowtime()?
        }
        ast::Expr::Extract { field, expr, .. } => {
            let field = match field {
                DateTimeField::Year
                | DateTimeField::Month
                | DateTimeField::Day
                | DateTimeField::Hour
                | DateTimeField::Minute
                | DateTimeField::Second
                | DateTimeField::Dow
                | DateTimeField::Doy
                | DateTimeField::Quarter
                | DateTimeField::Millisecond
                | DateTimeField::Epoch => field.clone(),
                other => return Err(format!("unsupported EXTRACT field {other}")),
            };
            Expr::Extract(c(expr)?, field)
        }
        ast::Expr::Function(f) if function_name(f) == "REGEX_REPLACE" => {
            let args = plain_args(f)?;
            if !(3..=5).contains(&args.len()) {
                return Err("Invalid number of arguments to function 'REGEX_REPLACE'".into());
            }
            let pattern = match args[1] {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(p) => p.clone(),
                    _ => return Err("REGEX_REPLACE's pattern must be a string literal".into()),
                },
                _ => return Err("REGEX_REPLACE's pattern must be a string literal".into()),
            };
            let regex = regex::RegexBuilder::new(&pattern)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| format!("bad REGEX_REPLACE pattern '{pattern}': {e}"))?;
            Expr::RegexReplace {
                input: c(args[0])?,
                regex: Box::new(regex),
                replacement: c(args[2])?,
                start: args.get(3).map(|a| c(a)).transpose()?,
                occurrence: args.get(4).map(|a| c(a)).transpose()?,
            }
        }
        ast::Expr::Function(f) if function_name(f) == FIELD_MARKER => {
            let args = plain_args(f)?;
            let (Some(ast::Expr::Function(call)), Some(ast::Expr::Value(n))) =
                (args.first(), args.get(1))
            else {
                return Err("malformed log field".into());
            };
            let k: usize = n
                .value
                .to_string()
                .parse()
                .map_err(|_| "malformed log field")?;
            let (parser, input) = log_parser(call, scope)?;
            Expr::LogField(std::sync::Arc::new(parser), Box::new(input), k)
        }
        ast::Expr::Function(f)
            if crate::logparse::FUNCTIONS.contains(&function_name(f).as_str()) =>
        {
            return Err(format!(
                "{} gives a row: select it as an item of its own (… {} AS r FROM s) and read its fields as r.COLUMN1, …",
                function_name(f),
                f
            ));
        }
        ast::Expr::Function(f) => {
            let name = function_name(f);
            let (func, min, max) = Func::of(&name)
                .ok_or_else(|| format!("No match found for function signature {name}"))?;
            let args = plain_args(f)?;
            if args.len() < min || args.len() > max {
                return Err(format!("Invalid number of arguments to function '{name}'"));
            }
            Expr::Func(
                func,
                args.into_iter()
                    .map(|a| compile(a, scope))
                    .collect::<Result<_, _>>()?,
            )
        }
        other => return Err(format!("unsupported expression {other}")),
    })
}

mod run;

#[cfg(test)]
mod tests;
