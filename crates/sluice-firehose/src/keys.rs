//! S3 object keys as Firehose forms them: `<evaluated prefix><suffix>`, where the suffix is
//! `<stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><extension>`, the default prefix is
//! `yyyy/MM/dd/HH/`, and a custom prefix may hold `!{timestamp:<Java DateTimeFormatter>}`,
//! `!{firehose:random-string}` and (error prefixes only) `!{firehose:error-output-type}`.
//! Timestamps are the arrival time of the oldest record in the object, in UTC.

use rand::Rng;
use time::OffsetDateTime;

/// Where an expression may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixKind {
    Prefix,
    ErrorOutputPrefix,
}

/// Checks a prefix's expressions. The message is the InvalidArgumentException text.
pub fn validate_prefix(prefix: &str, kind: PrefixKind) -> Result<(), String> {
    for part in parse(prefix)? {
        match part {
            Part::Literal(_) => {}
            Part::Timestamp(fmt) => {
                compile_format(fmt).map_err(|e| {
                    format!("The expression !{{timestamp:{fmt}}} is not valid: {e}")
                })?;
            }
            Part::Firehose("random-string") => {}
            Part::Firehose("error-output-type") if kind == PrefixKind::ErrorOutputPrefix => {}
            Part::Firehose("error-output-type") => {
                return Err(
                    "The expression !{firehose:error-output-type} is only allowed in ErrorOutputPrefix."
                        .into(),
                );
            }
            Part::Firehose(other) => {
                return Err(format!(
                    "The expression !{{firehose:{other}}} is not supported. Supported: random-string, error-output-type."
                ));
            }
            Part::PartitionKey(_) if kind == PrefixKind::Prefix => {}
            Part::PartitionKey(_) => {
                return Err(
                    "!{partitionKeyFromQuery:...} is allowed in Prefix only, not in ErrorOutputPrefix."
                        .into(),
                );
            }
            Part::Other(ns) => {
                return Err(format!(
                    "The expression namespace '{ns}' is not supported here by Sluice (supported: timestamp, firehose; partitionKeyFromQuery in Prefix)."
                ));
            }
        }
    }
    Ok(())
}

/// What the expressions of one object evaluate to.
pub struct KeyContext<'a> {
    pub oldest_arrival_ms: i64,
    pub error_output_type: Option<&'a str>,
    /// Dynamic partitioning: the object's partition keys.
    pub partition: Option<&'a crate::partition::Keys>,
}

/// Evaluates a prefix (`None` or empty: the default `yyyy/MM/dd/HH/`).
pub fn evaluate_prefix(prefix: Option<&str>, ctx: &KeyContext<'_>, rng: &mut impl Rng) -> String {
    let dt = utc(ctx.oldest_arrival_ms);
    let Some(prefix) = prefix.filter(|p| !p.is_empty()) else {
        return format!(
            "{:04}/{:02}/{:02}/{:02}/",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour()
        );
    };
    let Ok(parts) = parse(prefix) else {
        // Validated when stored; keep it as written if it is not.
        return prefix.to_owned();
    };
    let mut out = String::with_capacity(prefix.len() + 16);
    for part in parts {
        match part {
            Part::Literal(s) => out.push_str(s),
            Part::Timestamp(fmt) => match compile_format(fmt) {
                Ok(items) => format_items(&items, dt, &mut out),
                Err(_) => out.push_str(fmt),
            },
            Part::Firehose("random-string") => out.push_str(&random_string(rng, 11)),
            Part::Firehose("error-output-type") => {
                out.push_str(ctx.error_output_type.unwrap_or(""))
            }
            Part::PartitionKey(k) => {
                if let Some(v) = ctx.partition.and_then(|p| p.get(k)) {
                    out.push_str(v);
                }
            }
            Part::Firehose(_) | Part::Other(_) => {}
        }
    }
    out
}

/// `<stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><extension>`.
pub fn object_suffix(
    stream: &str,
    version: u64,
    oldest_arrival_ms: i64,
    extension: &str,
    rng: &mut impl Rng,
) -> String {
    let dt = utc(oldest_arrival_ms);
    format!(
        "{stream}-{version}-{:04}-{:02}-{:02}-{:02}-{:02}-{:02}-{}{extension}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        uuid(rng)
    )
}

/// A random (version 4) UUID in lowercase hex.
pub fn uuid(rng: &mut impl Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn random_string(rng: &mut impl Rng, n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn utc(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

enum Part<'a> {
    Literal(&'a str),
    Timestamp(&'a str),
    Firehose(&'a str),
    PartitionKey(&'a str),
    Other(&'a str),
}

fn parse(prefix: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = prefix;
    while let Some(start) = rest.find("!{") {
        if start > 0 {
            parts.push(Part::Literal(&rest[..start]));
        }
        let body = &rest[start + 2..];
        let Some(end) = body.find('}') else {
            return Err(format!(
                "The prefix '{prefix}' has an unterminated expression."
            ));
        };
        let expr = &body[..end];
        let Some((ns, value)) = expr.split_once(':') else {
            return Err(format!(
                "The expression !{{{expr}}} is not valid: expected !{{namespace:value}}."
            ));
        };
        parts.push(match ns {
            "timestamp" => Part::Timestamp(value),
            "firehose" => Part::Firehose(value),
            "partitionKeyFromQuery" => Part::PartitionKey(value),
            _ => Part::Other(ns),
        });
        rest = &body[end + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest));
    }
    Ok(parts)
}

#[derive(Debug, PartialEq)]
enum Item {
    Lit(String),
    Year(usize),
    Month(usize),
    Day(usize),
    Hour(usize),
    Minute(usize),
    Second(usize),
    Milli(usize),
}

/// The subset of Java's DateTimeFormatter patterns that prefixes use: `y`/`u` (year), `M`,
/// `d`, `H`, `m`, `s`, `S` (fraction, as milliseconds), quoted literals (`'...'`, `''` for a
/// quote), and any non-letter as itself.
fn compile_format(fmt: &str) -> Result<Vec<Item>, String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut items = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let mut lit = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated quote".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        lit.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        lit.push(ch);
                        i += 1;
                    }
                }
            }
            if lit.is_empty() {
                lit.push('\'');
            }
            items.push(Item::Lit(lit));
            continue;
        }
        if c.is_ascii_alphabetic() {
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            items.push(match c {
                'y' | 'u' => Item::Year(n),
                'M' if n <= 2 => Item::Month(n),
                'd' if n <= 2 => Item::Day(n),
                'H' if n <= 2 => Item::Hour(n),
                'm' if n <= 2 => Item::Minute(n),
                's' if n <= 2 => Item::Second(n),
                'S' if n <= 9 => Item::Milli(n),
                _ => {
                    return Err(format!(
                        "unsupported pattern letters '{}'",
                        c.to_string().repeat(n)
                    ));
                }
            });
            i += n;
            continue;
        }
        items.push(Item::Lit(c.to_string()));
        i += 1;
    }
    Ok(items)
}

fn format_items(items: &[Item], dt: OffsetDateTime, out: &mut String) {
    use std::fmt::Write;
    for item in items {
        let _ = match item {
            Item::Lit(s) => {
                out.push_str(s);
                Ok(())
            }
            Item::Year(2) => write!(out, "{:02}", dt.year().rem_euclid(100)),
            Item::Year(n) => write!(out, "{:0n$}", dt.year(), n = *n),
            Item::Month(n) => write!(out, "{:0n$}", u8::from(dt.month()), n = *n),
            Item::Day(n) => write!(out, "{:0n$}", dt.day(), n = *n),
            Item::Hour(n) => write!(out, "{:0n$}", dt.hour(), n = *n),
            Item::Minute(n) => write!(out, "{:0n$}", dt.minute(), n = *n),
            Item::Second(n) => write!(out, "{:0n$}", dt.second(), n = *n),
            Item::Milli(n) => {
                let digits = format!("{:09}", dt.nanosecond());
                out.push_str(&digits[..*n]);
                Ok(())
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    // 2018-03-07T09:05:04.123Z
    const T: i64 = 1_520_413_504_123;

    fn eval(prefix: Option<&str>) -> String {
        let ctx = KeyContext {
            oldest_arrival_ms: T,
            error_output_type: Some("processing-failed"),
            partition: None,
        };
        evaluate_prefix(prefix, &ctx, &mut StdRng::seed_from_u64(1))
    }

    #[test]
    fn the_default_prefix_is_the_utc_hour() {
        assert_eq!(eval(None), "2018/03/07/09/");
        assert_eq!(eval(Some("")), "2018/03/07/09/");
    }

    #[test]
    fn timestamp_expressions_use_java_patterns() {
        assert_eq!(
            eval(Some("logs/dt=!{timestamp:yyyy-MM-dd}/h=!{timestamp:HH}/")),
            "logs/dt=2018-03-07/h=09/"
        );
        assert_eq!(eval(Some("!{timestamp:yyyy'-'MM'-'dd}/")), "2018-03-07/");
        assert_eq!(
            eval(Some("!{timestamp:yy/M/d H:mm:ss.SSS}")),
            "18/3/7 9:05:04.123"
        );
        assert_eq!(eval(Some("!{timestamp:'it''s' yyyy}")), "it's 2018");
    }

    #[test]
    fn firehose_expressions() {
        let s = eval(Some("a/!{firehose:random-string}/"));
        assert_eq!(s.len(), "a/".len() + 11 + 1);
        assert!(s[2..13].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            eval(Some("err/!{firehose:error-output-type}/")),
            "err/processing-failed/"
        );
    }

    #[test]
    fn validation_refuses_what_it_cannot_evaluate() {
        assert!(validate_prefix("x/!{timestamp:yyyy}/", PrefixKind::Prefix).is_ok());
        assert!(validate_prefix("x/!{timestamp:yyyy", PrefixKind::Prefix).is_err());
        assert!(validate_prefix("!{timestamp:QQQ}", PrefixKind::Prefix).is_err());
        assert!(validate_prefix("!{firehose:error-output-type}", PrefixKind::Prefix).is_err());
        assert!(
            validate_prefix(
                "!{firehose:error-output-type}",
                PrefixKind::ErrorOutputPrefix
            )
            .is_ok()
        );
        assert!(validate_prefix("!{partitionKeyFromQuery:id}", PrefixKind::Prefix).is_ok());
        assert!(
            validate_prefix("!{partitionKeyFromQuery:id}", PrefixKind::ErrorOutputPrefix).is_err()
        );
        assert!(validate_prefix("!{partitionKeyFromLambda:id}", PrefixKind::Prefix).is_err());
        assert!(validate_prefix("!{nope}", PrefixKind::Prefix).is_err());
    }

    #[test]
    fn suffix_layout() {
        let s = object_suffix("ds", 3, T, ".gz", &mut StdRng::seed_from_u64(7));
        let (head, tail) = s.split_at("ds-3-2018-03-07-09-05-04-".len());
        assert_eq!(head, "ds-3-2018-03-07-09-05-04-");
        assert!(tail.ends_with(".gz"));
        let u = &tail[..36];
        assert_eq!(u.as_bytes()[14], b'4');
        assert_eq!(u.matches('-').count(), 4);
    }
}
