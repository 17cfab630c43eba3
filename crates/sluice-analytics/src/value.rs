//! SQL values and types of in-application streams, and their conversions.

use std::cmp::Ordering;
use std::fmt;

/// A value in a row. Timestamps are milliseconds since the epoch, UTC.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(String),
    Timestamp(i64),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Double(d) => Some(*d),
            _ => None,
        }
    }

    /// SQL comparison: `None` when either side is null or the kinds do not compare.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Null, _) | (_, Value::Null) => None,
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::Timestamp(a), Value::Timestamp(b)) => Some(a.cmp(b)),
            (a, b) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        }
    }

    /// The value as JSON, as Kinesis Analytics writes output rows.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Double(d) => serde_json::Number::from_f64(*d)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => s.clone().into(),
            Value::Timestamp(ms) => format_timestamp(*ms).into(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{}", if *b { "true" } else { "false" }),
            Value::Int(i) => write!(f, "{i}"),
            // A whole double keeps its `.0`, as SQL (and the JSON output) write it.
            Value::Double(d) if d.is_finite() && d.fract() == 0.0 && d.abs() < 1e16 => {
                write!(f, "{d:.1}")
            }
            Value::Double(d) => write!(f, "{d}"),
            Value::Str(s) => f.write_str(s),
            Value::Timestamp(ms) => f.write_str(&format_timestamp(*ms)),
        }
    }
}

/// `yyyy-MM-dd HH:mm:ss.SSS` in UTC, the form Kinesis Analytics writes TIMESTAMPs in.
pub fn format_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{millis:03}",
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    )
}

/// Parses `yyyy-MM-dd[ |T]HH:mm:ss[.fff][Z]` or `yyyy-MM-dd` (UTC) to milliseconds.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut dp = date.splitn(3, '-');
    let y: i64 = dp.next()?.parse().ok()?;
    let m: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * 86_400_000;
    if let Some(t) = time {
        let (hms, frac) = match t.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let mut tp = hms.splitn(3, ':');
        let h: i64 = tp.next()?.parse().ok()?;
        let mi: i64 = tp.next()?.parse().ok()?;
        let sec: i64 = tp.next().unwrap_or("0").parse().ok()?;
        if h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        ms += (h * 3600 + mi * 60 + sec) * 1000;
        if let Some(f) = frac {
            let digits: String = f.chars().take(3).collect();
            if digits.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let scale = 10i64.pow(3 - digits.len() as u32);
            ms += digits.parse::<i64>().ok()? * scale;
        }
    }
    Some(ms)
}

// Howard Hinnant's civil calendar algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The SQL types of stream columns (Kinesis Analytics' data types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlType {
    Varchar(Option<usize>),
    Char(Option<usize>),
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    Real,
    Double,
    Decimal,
    Boolean,
    Timestamp,
    Date,
    /// The columns of a subquery in FROM, which take whatever the subquery's items give.
    Any,
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Varchar(Some(n)) => write!(f, "VARCHAR({n})"),
            SqlType::Varchar(None) => f.write_str("VARCHAR"),
            SqlType::Char(Some(n)) => write!(f, "CHAR({n})"),
            SqlType::Char(None) => f.write_str("CHAR"),
            SqlType::TinyInt => f.write_str("TINYINT"),
            SqlType::SmallInt => f.write_str("SMALLINT"),
            SqlType::Integer => f.write_str("INTEGER"),
            SqlType::BigInt => f.write_str("BIGINT"),
            SqlType::Real => f.write_str("REAL"),
            SqlType::Double => f.write_str("DOUBLE"),
            SqlType::Decimal => f.write_str("DECIMAL"),
            SqlType::Boolean => f.write_str("BOOLEAN"),
            SqlType::Timestamp => f.write_str("TIMESTAMP"),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Any => f.write_str("ANY"),
        }
    }
}

impl SqlType {
    /// Reads a type as written in `CREATE STREAM` or a RecordColumn's SqlType.
    pub fn parse(s: &str) -> Option<SqlType> {
        let u = s.trim().to_uppercase();
        let (base, arg) = match u.split_once('(') {
            Some((b, rest)) => (b.trim().to_owned(), Some(rest.trim_end_matches(')').trim())),
            None => (u.clone(), None),
        };
        let len = || arg.and_then(|a| a.split(',').next()?.trim().parse().ok());
        Some(match base.as_str() {
            "VARCHAR" | "CHARACTER VARYING" | "CHAR VARYING" => SqlType::Varchar(len()),
            "CHAR" | "CHARACTER" => SqlType::Char(len()),
            "TINYINT" => SqlType::TinyInt,
            "SMALLINT" => SqlType::SmallInt,
            "INT" | "INTEGER" => SqlType::Integer,
            "BIGINT" => SqlType::BigInt,
            "REAL" | "FLOAT" => SqlType::Real,
            "DOUBLE" | "DOUBLE PRECISION" => SqlType::Double,
            "DECIMAL" | "NUMERIC" | "DEC" => SqlType::Decimal,
            "BOOLEAN" => SqlType::Boolean,
            "TIMESTAMP" => SqlType::Timestamp,
            "DATE" => SqlType::Date,
            _ => return None,
        })
    }

    /// Converts `v` to this type; `Err` says why it cannot be.
    pub fn coerce(&self, v: Value) -> Result<Value, String> {
        if v.is_null() || *self == SqlType::Any {
            return Ok(v);
        }
        let bad = |v: &Value| format!("cannot convert {v} to {self}");
        let int = |v: &Value, lo: i64, hi: i64| -> Result<Value, String> {
            let i = match v {
                Value::Int(i) => *i,
                Value::Double(d) if d.fract() == 0.0 && d.is_finite() => *d as i64,
                Value::Str(s) => s.trim().parse::<i64>().map_err(|_| bad(v))?,
                Value::Bool(b) => i64::from(*b),
                _ => return Err(bad(v)),
            };
            if i < lo || i > hi {
                return Err(format!("{i} is out of range for {self}"));
            }
            Ok(Value::Int(i))
        };
        match self {
            SqlType::Varchar(n) | SqlType::Char(n) => {
                let s = v.to_string();
                match n {
                    Some(n) if s.chars().count() > *n => {
                        Err(format!("'{s}' is longer than the {n} characters of {self}"))
                    }
                    _ => Ok(Value::Str(s)),
                }
            }
            SqlType::TinyInt => int(&v, i64::from(i8::MIN), i64::from(i8::MAX)),
            SqlType::SmallInt => int(&v, i64::from(i16::MIN), i64::from(i16::MAX)),
            SqlType::Integer => int(&v, i64::from(i32::MIN), i64::from(i32::MAX)),
            SqlType::BigInt => int(&v, i64::MIN, i64::MAX),
            SqlType::Real | SqlType::Double | SqlType::Decimal => match &v {
                Value::Int(i) => Ok(Value::Double(*i as f64)),
                Value::Double(_) => Ok(v),
                Value::Str(s) => s
                    .trim()
                    .parse::<f64>()
                    .map(Value::Double)
                    .map_err(|_| bad(&v)),
                _ => Err(bad(&v)),
            },
            SqlType::Boolean => match &v {
                Value::Bool(_) => Ok(v),
                Value::Str(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
                Value::Str(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
                _ => Err(bad(&v)),
            },
            SqlType::Timestamp | SqlType::Date => {
                let ms = match &v {
                    Value::Timestamp(ms) => *ms,
                    Value::Str(s) => parse_timestamp(s).ok_or_else(|| bad(&v))?,
                    Value::Int(i) => *i,
                    _ => return Err(bad(&v)),
                };
                Ok(Value::Timestamp(if *self == SqlType::Date {
                    ms.div_euclid(86_400_000) * 86_400_000
                } else {
                    ms
                }))
            }
            SqlType::Any => Ok(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for s in [
            "1970-01-01 00:00:00.000",
            "2026-12-02 10:05:34.123",
            "2000-02-29 23:59:59.999",
            "1969-12-31 23:59:59.500",
        ] {
            let ms = parse_timestamp(s).unwrap();
            assert_eq!(format_timestamp(ms), s);
        }
        assert_eq!(
            parse_timestamp("2026-12-02T10:05:34Z"),
            parse_timestamp("2026-12-02 10:05:34.000")
        );
        assert_eq!(parse_timestamp("2026-13-01"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn coercion_follows_the_type() {
        let v = |t: &str, v: Value| SqlType::parse(t).unwrap().coerce(v);
        assert_eq!(v("INTEGER", Value::Str("42".into())), Ok(Value::Int(42)));
        assert!(v("TINYINT", Value::Int(300)).is_err());
        assert_eq!(v("DOUBLE", Value::Int(2)), Ok(Value::Double(2.0)));
        assert_eq!(
            v("VARCHAR(4)", Value::Str("AMZN".into())),
            Ok(Value::Str("AMZN".into()))
        );
        assert!(v("VARCHAR(4)", Value::Str("AMAZON".into())).is_err());
        assert_eq!(
            v("varchar(8)", Value::Double(1.5)),
            Ok(Value::Str("1.5".into()))
        );
        assert_eq!(
            v("BOOLEAN", Value::Str("TRUE".into())),
            Ok(Value::Bool(true))
        );
        assert_eq!(v("BIGINT", Value::Null), Ok(Value::Null));
        assert_eq!(SqlType::parse("DOUBLE PRECISION"), Some(SqlType::Double));
        assert_eq!(SqlType::parse("BLOB"), None);
    }
}
