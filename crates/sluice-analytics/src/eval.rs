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

fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn arith(l: &Value, op: &BinaryOperator, r: &Value) -> Result<Value, String> {
    use BinaryOperator as B;
    if l.is_null() || r.is_null() {
        return Ok(Value::Null);
    }
    if let (Value::Int(a), Value::Int(b)) = (l, r) {
        let out = match op {
            B::Plus => a.checked_add(*b),
            B::Minus => a.checked_sub(*b),
            B::Multiply => a.checked_mul(*b),
            B::Divide | B::Modulo if *b == 0 => return Err("division by zero".into()),
            B::Divide => a.checked_div(*b),
            B::Modulo => a.checked_rem(*b),
            _ => None,
        };
        return out.map(Value::Int).ok_or_else(|| "numeric overflow".into());
    }
    // A timestamp plus or minus milliseconds.
    if let (Value::Timestamp(t), Value::Int(d)) = (l, r) {
        return match op {
            B::Plus => Ok(Value::Timestamp(t + d)),
            B::Minus => Ok(Value::Timestamp(t - d)),
            _ => Err(format!("cannot apply {op} to a timestamp")),
        };
    }
    let (Some(a), Some(b)) = (l.as_f64(), r.as_f64()) else {
        return Err(format!("cannot apply {op} to {l} and {r}"));
    };
    Ok(Value::Double(match op {
        B::Plus => a + b,
        B::Minus => a - b,
        B::Multiply => a * b,
        B::Divide if b == 0.0 => return Err("division by zero".into()),
        B::Divide => a / b,
        B::Modulo => a % b,
        _ => return Err(format!("cannot apply {op}")),
    }))
}

/// SQL LIKE with `%` and `_`.
fn like(s: &[char], p: &[char]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some(('%', rest)) => (0..=s.len()).any(|i| like(&s[i..], rest)),
        Some(('_', rest)) => !s.is_empty() && like(&s[1..], rest),
        Some((c, rest)) => s.first() == Some(c) && like(&s[1..], rest),
    }
}

fn string_arg(v: &Value) -> Option<String> {
    (!v.is_null()).then(|| v.to_string())
}

impl Expr {
    pub fn eval(&self, row: &[Value]) -> Result<Value, String> {
        use BinaryOperator as B;
        Ok(match self {
            Expr::Column(i) => row.get(*i).cloned().unwrap_or(Value::Null),
            Expr::Literal(v) => v.clone(),
            Expr::Binary(l, op, r) => {
                let lv = l.eval(row)?;
                match op {
                    B::And => {
                        if truth(&lv) == Some(false) {
                            return Ok(Value::Bool(false));
                        }
                        let rv = r.eval(row)?;
                        match (truth(&lv), truth(&rv)) {
                            (_, Some(false)) => Value::Bool(false),
                            (Some(true), Some(true)) => Value::Bool(true),
                            _ => Value::Null,
                        }
                    }
                    B::Or => {
                        if truth(&lv) == Some(true) {
                            return Ok(Value::Bool(true));
                        }
                        let rv = r.eval(row)?;
                        match (truth(&lv), truth(&rv)) {
                            (_, Some(true)) => Value::Bool(true),
                            (Some(false), Some(false)) => Value::Bool(false),
                            _ => Value::Null,
                        }
                    }
                    B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq => {
                        let rv = r.eval(row)?;
                        match lv.compare(&rv) {
                            None => Value::Null,
                            Some(o) => Value::Bool(match op {
                                B::Eq => o == Ordering::Equal,
                                B::NotEq => o != Ordering::Equal,
                                B::Lt => o == Ordering::Less,
                                B::LtEq => o != Ordering::Greater,
                                B::Gt => o == Ordering::Greater,
                                _ => o != Ordering::Less,
                            }),
                        }
                    }
                    B::StringConcat => {
                        let rv = r.eval(row)?;
                        match (string_arg(&lv), string_arg(&rv)) {
                            (Some(a), Some(b)) => Value::Str(a + &b),
                            _ => Value::Null,
                        }
                    }
                    _ => arith(&lv, op, &r.eval(row)?)?,
                }
            }
            Expr::Not(e) => match truth(&e.eval(row)?) {
                Some(b) => Value::Bool(!b),
                None => Value::Null,
            },
            Expr::Neg(e) => match e.eval(row)? {
                Value::Int(i) => Value::Int(i.checked_neg().ok_or("numeric overflow")?),
                Value::Double(d) => Value::Double(-d),
                Value::Null => Value::Null,
                v => return Err(format!("cannot negate {v}")),
            },
            Expr::IsNull(e, negated) => Value::Bool(e.eval(row)?.is_null() != *negated),
            Expr::Like {
                expr,
                pattern,
                negated,
            } => match (
                string_arg(&expr.eval(row)?),
                string_arg(&pattern.eval(row)?),
            ) {
                (Some(s), Some(p)) => {
                    let s: Vec<char> = s.chars().collect();
                    let p: Vec<char> = p.chars().collect();
                    Value::Bool(like(&s, &p) != *negated)
                }
                _ => Value::Null,
            },
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let v = expr.eval(row)?;
                match (v.compare(&low.eval(row)?), v.compare(&high.eval(row)?)) {
                    (Some(a), Some(b)) => {
                        Value::Bool((a != Ordering::Less && b != Ordering::Greater) != *negated)
                    }
                    _ => Value::Null,
                }
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let v = expr.eval(row)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                let mut found = false;
                for e in list {
                    if v.compare(&e.eval(row)?) == Some(Ordering::Equal) {
                        found = true;
                        break;
                    }
                }
                Value::Bool(found != *negated)
            }
            Expr::Case {
                operand,
                whens,
                otherwise,
            } => {
                let subject = operand.as_ref().map(|o| o.eval(row)).transpose()?;
                for (cond, result) in whens {
                    let c = cond.eval(row)?;
                    let hit = match &subject {
                        Some(s) => s.compare(&c) == Some(Ordering::Equal),
                        None => truth(&c) == Some(true),
                    };
                    if hit {
                        return result.eval(row);
                    }
                }
                match otherwise {
                    Some(e) => e.eval(row)?,
                    None => Value::Null,
                }
            }
            Expr::Cast(e, t) => t.coerce(e.eval(row)?)?,
            Expr::Floor(e, unit, ceil) => match (e.eval(row)?, unit) {
                (Value::Null, _) => Value::Null,
                (Value::Timestamp(t), Some(u)) => {
                    let f = t.div_euclid(*u) * u;
                    Value::Timestamp(if *ceil && f != t { f + u } else { f })
                }
                (Value::Int(i), None) => Value::Int(i),
                (Value::Double(d), None) => Value::Double(if *ceil { d.ceil() } else { d.floor() }),
                (v, _) => return Err(format!("cannot apply FLOOR/CEIL to {v}")),
            },
            Expr::Func(f, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(a.eval(row)?);
                }
                call(*f, vals)?
            }
            Expr::LogField(p, e, k) => match e.eval(row)? {
                Value::Null => Value::Null,
                v => p
                    .parse(&v.to_string())
                    .and_then(|fields| fields.into_iter().nth(*k))
                    .unwrap_or(Value::Null),
            },
            Expr::Extract(e, field) => match e.eval(row)? {
                Value::Null => Value::Null,
                Value::Timestamp(ms) => Value::Int(extract(ms, field)),
                v => return Err(format!("cannot EXTRACT from {v}")),
            },
            Expr::RegexReplace {
                input,
                regex,
                replacement,
                start,
                occurrence,
            } => {
                let (Some(s), Some(rep)) = (
                    string_arg(&input.eval(row)?),
                    string_arg(&replacement.eval(row)?),
                ) else {
                    return Ok(Value::Null);
                };
                let int = |x: &Option<Box<Expr>>, default: i64| -> Result<i64, String> {
                    match x {
                        None => Ok(default),
                        Some(x) => match x.eval(row)? {
                            Value::Int(i) => Ok(i),
                            v => Err(format!("REGEX_REPLACE position {v} is not an integer")),
                        },
                    }
                };
                // Positions count characters from 1; occurrence 0 replaces every match.
                let start = int(start, 1)?.max(1) as usize - 1;
                let occurrence = int(occurrence, 0)?;
                let split = s.char_indices().nth(start).map_or(s.len(), |(i, _)| i);
                let (head, tail) = s.split_at(split);
                let replaced = if occurrence <= 0 {
                    regex.replace_all(tail, rep.as_str()).into_owned()
                } else {
                    match regex.find_iter(tail).nth(occurrence as usize - 1) {
                        Some(m) => format!("{}{rep}{}", &tail[..m.start()], &tail[m.end()..]),
                        None => tail.to_owned(),
                    }
                };
                Value::Str(format!("{head}{replaced}"))
            }
            Expr::Substring(e, from, len) => {
                let Some(s) = string_arg(&e.eval(row)?) else {
                    return Ok(Value::Null);
                };
                let chars: Vec<char> = s.chars().collect();
                let int = |x: &Option<Box<Expr>>| -> Result<Option<i64>, String> {
                    match x {
                        None => Ok(None),
                        Some(x) => match x.eval(row)? {
                            Value::Int(i) => Ok(Some(i)),
                            Value::Null => Ok(None),
                            v => Err(format!("SUBSTRING position {v} is not an integer")),
                        },
                    }
                };
                // SQL positions start at 1; a start before 1 shortens the length.
                let start = int(from)?.unwrap_or(1);
                let end = match int(len)? {
                    Some(l) if l < 0 => return Err("negative SUBSTRING length".into()),
                    Some(l) => start.saturating_add(l),
                    None => i64::MAX,
                };
                let (a, b) = (start.max(1) - 1, end.max(1) - 1);
                let (a, b) = (
                    (a as usize).min(chars.len()),
                    (b.min(chars.len() as i64) as usize).min(chars.len()),
                );
                Value::Str(chars[a..b.max(a)].iter().collect())
            }
            Expr::Position(needle, hay) => {
                match (string_arg(&needle.eval(row)?), string_arg(&hay.eval(row)?)) {
                    (Some(n), Some(h)) => Value::Int(match h.find(&n) {
                        Some(i) => h[..i].chars().count() as i64 + 1,
                        None => 0,
                    }),
                    _ => Value::Null,
                }
            }
            Expr::Trim(e, side, what) => {
                let Some(s) = string_arg(&e.eval(row)?) else {
                    return Ok(Value::Null);
                };
                let what = match what {
                    Some(w) => match string_arg(&w.eval(row)?) {
                        Some(w) => w,
                        None => return Ok(Value::Null),
                    },
                    None => " ".into(),
                };
                let set: Vec<char> = what.chars().collect();
                let t = match side {
                    TrimWhere::Both => s.trim_matches(set.as_slice()),
                    TrimWhere::Leading => s.trim_start_matches(set.as_slice()),
                    TrimWhere::Trailing => s.trim_end_matches(set.as_slice()),
                };
                Value::Str(t.to_owned())
            }
        })
    }
}

/// A field of a timestamp (UTC).
fn extract(ms: i64, field: &DateTimeField) -> i64 {
    let text = crate::value::format_timestamp(ms);
    let num = |a: usize, b: usize| text[a..b].parse::<i64>().unwrap_or(0);
    let days = ms.div_euclid(86_400_000);
    match field {
        DateTimeField::Year => num(0, 4),
        DateTimeField::Month => num(5, 7),
        DateTimeField::Day => num(8, 10),
        DateTimeField::Hour => num(11, 13),
        DateTimeField::Minute => num(14, 16),
        DateTimeField::Second => num(17, 19),
        DateTimeField::Millisecond => ms.rem_euclid(1000),
        // 1970-01-01 was a Thursday; Sunday is 1, as in SQL.
        DateTimeField::Dow => (days + 4).rem_euclid(7) + 1,
        DateTimeField::Doy => {
            let jan1 =
                crate::value::parse_timestamp(&format!("{}-01-01", &text[0..4])).unwrap_or(0);
            (ms - jan1).div_euclid(86_400_000) + 1
        }
        DateTimeField::Quarter => (num(5, 7) - 1) / 3 + 1,
        DateTimeField::Epoch => ms.div_euclid(1000),
        _ => 0,
    }
}

fn call(f: Func, args: Vec<Value>) -> Result<Value, String> {
    let first = args.first().cloned().unwrap_or(Value::Null);
    if f == Func::Nullif {
        let b = args.get(1).cloned().unwrap_or(Value::Null);
        return Ok(if first.compare(&b) == Some(Ordering::Equal) {
            Value::Null
        } else {
            first
        });
    }
    if f != Func::Coalesce && args.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    Ok(match f {
        Func::Upper => Value::Str(first.to_string().to_uppercase()),
        Func::Lower => Value::Str(first.to_string().to_lowercase()),
        Func::InitCap => {
            let mut out = String::new();
            let mut start = true;
            for ch in first.to_string().chars() {
                if ch.is_alphanumeric() {
                    if start {
                        out.extend(ch.to_uppercase());
                    } else {
                        out.extend(ch.to_lowercase());
                    }
                    start = false;
                } else {
                    out.push(ch);
                    start = true;
                }
            }
            Value::Str(out)
        }
        Func::CharLength => Value::Int(first.to_string().chars().count() as i64),
        Func::Abs => match first {
            Value::Int(i) => Value::Int(i.checked_abs().ok_or("numeric overflow")?),
            Value::Double(d) => Value::Double(d.abs()),
            v => return Err(format!("cannot apply ABS to {v}")),
        },
        Func::Coalesce => args
            .into_iter()
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null),
        Func::Mod => arith(&first, &BinaryOperator::Modulo, &args[1])?,
        Func::TsDiff => match (&first, &args[1]) {
            (Value::Timestamp(a), Value::Timestamp(b)) => Value::Int(a - b),
            (a, b) => return Err(format!("TSDIFF of {a} and {b}: both must be timestamps")),
        },
        Func::ToTimestamp => match first {
            Value::Int(ms) => Value::Timestamp(ms),
            Value::Str(s) => Value::Timestamp(
                crate::value::parse_timestamp(&s)
                    .ok_or_else(|| format!("'{s}' is not a timestamp"))?,
            ),
            v => return Err(format!("cannot make a timestamp of {v}")),
        },
        Func::UnixTimestamp => match first {
            Value::Timestamp(ms) => Value::Int(ms),
            v => return Err(format!("UNIX_TIMESTAMP of {v}: not a timestamp")),
        },
        Func::Nullif => first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::GenericDialect;
    use sqlparser::parser::Parser;

    fn scope() -> Scope {
        Scope {
            columns: ["TICKER", "price", "N", "ROWTIME"]
                .iter()
                .map(|n| ScopeColumn {
                    qualifiers: vec!["SOURCE_SQL_STREAM_001".into(), "S".into()],
                    name: (*n).into(),
                })
                .collect(),
        }
    }

    fn eval(sql: &str) -> Result<Value, String> {
        let e = Parser::new(&GenericDialect {})
            .try_with_sql(sql)
            .unwrap()
            .parse_expr()
            .unwrap();
        let row = vec![
            Value::Str("amzn".into()),
            Value::Double(12.5),
            Value::Null,
            Value::Timestamp(crate::value::parse_timestamp("2026-12-02 10:05:34.123").unwrap()),
        ];
        compile(&e, &scope())?.eval(&row)
    }

    #[test]
    fn expressions_evaluate_as_sql() {
        let s = |v: &str| Ok(Value::Str(v.into()));
        assert_eq!(eval("UPPER(ticker) || '!'"), s("AMZN!"));
        assert_eq!(
            eval("\"price\" * 2 > 20 AND n IS NULL"),
            Ok(Value::Bool(true))
        );
        assert_eq!(eval("n > 1"), Ok(Value::Null));
        assert_eq!(eval("n > 1 OR TRUE"), Ok(Value::Bool(true)));
        assert_eq!(eval("7 / 2"), Ok(Value::Int(3)));
        assert_eq!(eval("7 / 2.0"), Ok(Value::Double(3.5)));
        assert_eq!(eval("ticker LIKE 'am%'"), Ok(Value::Bool(true)));
        assert_eq!(eval("ticker NOT LIKE '_x%'"), Ok(Value::Bool(true)));
        assert_eq!(eval("\"price\" BETWEEN 10 AND 13"), Ok(Value::Bool(true)));
        assert_eq!(eval("ticker IN ('a', 'amzn')"), Ok(Value::Bool(true)));
        assert_eq!(
            eval("CASE WHEN \"price\" > 100 THEN 'high' WHEN \"price\" > 10 THEN 'mid' END"),
            s("mid")
        );
        assert_eq!(
            eval("CASE ticker WHEN 'amzn' THEN 1 ELSE 0 END"),
            Ok(Value::Int(1))
        );
        assert_eq!(
            eval("CAST(\"price\" AS INTEGER)"),
            Err("cannot convert 12.5 to INTEGER".into())
        );
        assert_eq!(eval("CAST('42' AS INTEGER) + 1"), Ok(Value::Int(43)));
        assert_eq!(eval("SUBSTRING(ticker FROM 2 FOR 2)"), s("mz"));
        assert_eq!(eval("SUBSTRING(ticker FROM 3)"), s("zn"));
        assert_eq!(eval("POSITION('zn' IN ticker)"), Ok(Value::Int(3)));
        assert_eq!(eval("TRIM(BOTH 'x' FROM 'xxhixx')"), s("hi"));
        assert_eq!(eval("CHAR_LENGTH(ticker)"), Ok(Value::Int(4)));
        assert_eq!(eval("INITCAP('hello wORLD')"), s("Hello World"));
        assert_eq!(eval("COALESCE(n, 5)"), Ok(Value::Int(5)));
        assert_eq!(
            eval("FLOOR(S.ROWTIME TO MINUTE)").map(|v| v.to_string()),
            Ok("2026-12-02 10:05:00.000".into())
        );
        assert_eq!(eval("1 / 0"), Err("division by zero".into()));
        assert_eq!(eval("-ABS(-3)"), Ok(Value::Int(-3)));
        assert_eq!(eval("EXTRACT(HOUR FROM ROWTIME)"), Ok(Value::Int(10)));
        assert_eq!(
            eval("EXTRACT(YEAR FROM ROWTIME) * 100 + EXTRACT(MONTH FROM ROWTIME)"),
            Ok(Value::Int(202612))
        );
        // 2026-12-02 is a Wednesday (Sunday = 1).
        assert_eq!(eval("EXTRACT(DOW FROM ROWTIME)"), Ok(Value::Int(4)));
        assert_eq!(eval("EXTRACT(DOY FROM ROWTIME)"), Ok(Value::Int(336)));
        assert_eq!(
            eval("TSDIFF(ROWTIME, FLOOR(ROWTIME TO MINUTE))"),
            Ok(Value::Int(34_123))
        );
        assert_eq!(
            eval("UNIX_TIMESTAMP(TO_TIMESTAMP(1700000000000))"),
            Ok(Value::Int(1_700_000_000_000))
        );
        assert_eq!(
            eval("CURRENT_ROW_TIMESTAMP").map(|v| v.to_string()),
            Ok("2026-12-02 10:05:34.123".into())
        );
        assert_eq!(
            eval("REGEX_REPLACE('a1b22c333', '[0-9]+', '#')"),
            s("a#b#c#")
        );
        assert_eq!(
            eval("REGEX_REPLACE('a1b22c333', '[0-9]+', '#', 1, 2)"),
            s("a1b#c333")
        );
        assert_eq!(
            eval("REGEX_REPLACE('a1b22c333', '[0-9]+', '#', 4)"),
            s("a1b#c#")
        );
        assert_eq!(eval("NULLIF(ticker, 'amzn')"), Ok(Value::Null));
        assert!(
            eval("REGEX_REPLACE(ticker, '(', 'x')")
                .unwrap_err()
                .contains("bad REGEX_REPLACE pattern")
        );
    }

    #[test]
    fn unknown_names_are_compile_errors() {
        let e = |sql: &str| eval(sql).unwrap_err();
        assert!(
            e("price").contains("Column 'PRICE' not found"),
            "{}",
            e("price")
        );
        assert!(e("X.ticker").contains("named X"));
        assert!(e("NO_SUCH_FN(1)").contains("No match found for function signature NO_SUCH_FN"));
        assert!(e("UPPER(1, 2)").contains("Invalid number of arguments"));
    }
}
