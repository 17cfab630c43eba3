//! Evaluating compiled expressions over a row, with SQL's null logic.

use super::*;

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
