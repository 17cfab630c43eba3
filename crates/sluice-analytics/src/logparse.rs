//! The log parsing functions of the SQL reference: `REGEX_LOG_PARSE`, `VARIABLE_COLUMN_LOG_PARSE`,
//! `FIXED_COLUMN_LOG_PARSE`, `W3C_LOG_PARSE` and `SYS_LOG_PARSE`. Each gives a row of named,
//! typed fields (`COLUMN1`, … unless the call names them); a query reaches them through the
//! item's name, as `T.REC.COLUMN1` or `l.r.COLUMN1`. A line that does not match gives NULLs.

use crate::value::{SqlType, Value};

/// The log parsing functions, by name.
pub const FUNCTIONS: &[&str] = &[
    "REGEX_LOG_PARSE",
    "VARIABLE_COLUMN_LOG_PARSE",
    "FIXED_COLUMN_LOG_PARSE",
    "W3C_LOG_PARSE",
    "SYS_LOG_PARSE",
];

#[derive(Debug, Clone)]
enum Kind {
    /// Capture groups of a pattern matched against the whole line.
    Regex(regex::Regex),
    /// Fields between delimiters, with an escape character and quote characters.
    Variable {
        delimiter: String,
        escape: Option<char>,
        quote: Option<(char, char)>,
    },
    /// Fields at fixed character positions: start and length (to the end if none).
    Fixed(Vec<(usize, Option<usize>)>),
    /// An Apache log format, as a pattern with a group per specifier.
    W3c(regex::Regex),
    /// `Mon DD HH:MM:SS message`.
    Sys,
}

/// A compiled log parsing call (its constant arguments read).
#[derive(Debug, Clone)]
pub struct LogParser {
    kind: Kind,
    columns: Vec<(String, SqlType)>,
}

type Columns = Vec<(String, SqlType)>;
/// Start and length of each fixed column.
type Positions = Vec<(usize, Option<usize>)>;

fn default_columns(n: usize) -> Vec<(String, SqlType)> {
    (1..=n)
        .map(|i| (format!("COLUMN{i}"), SqlType::Varchar(Some(1024))))
        .collect()
}

/// `'A TYPE VARCHAR(16), B TYPE INTEGER'` (the word TYPE optional), names folded unless
/// quoted. With `fixed`, each also has `START n [FOR m]`.
fn column_list(spec: &str, fixed: bool) -> Result<(Columns, Positions), String> {
    let mut columns = Vec::new();
    let mut positions = Vec::new();
    // Split at commas outside parentheses.
    let mut parts = Vec::new();
    let (mut depth, mut cur) = (0usize, String::new());
    for ch in spec.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    parts.push(cur);
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("an empty column in the column list '{spec}'"));
        }
        let (name, rest) = if let Some(q) = part.strip_prefix('"') {
            let end = q
                .find('"')
                .ok_or_else(|| format!("unclosed quote in '{part}'"))?;
            (q[..end].to_owned(), q[end + 1..].trim())
        } else {
            let end = part.find(char::is_whitespace).unwrap_or(part.len());
            (part[..end].to_uppercase(), part[end..].trim())
        };
        let upper = rest.to_uppercase();
        let rest = upper.strip_prefix("TYPE").map(str::trim).unwrap_or(&upper);
        let (type_text, pos) = match rest.find(" START ") {
            Some(i) if fixed => (&rest[..i], Some(rest[i + 7..].trim())),
            _ => (rest, None),
        };
        let type_text = type_text.trim().trim_end_matches("NOT NULL").trim();
        // A DATE/TIME/TIMESTAMP column may carry a format in quotes; it is read as ISO here.
        let type_text = type_text.split('\'').next().unwrap_or("").trim();
        let t = if type_text.is_empty() {
            SqlType::Varchar(Some(1024))
        } else {
            SqlType::parse(type_text)
                .ok_or_else(|| format!("unknown type {type_text} of column {name}"))?
        };
        if fixed {
            let pos = pos.ok_or_else(|| format!("column {name} needs START n [FOR m]"))?;
            let (start, len) = match pos.split_once(" FOR ") {
                Some((s, l)) => (s.trim(), Some(l.trim())),
                None => (pos, None),
            };
            let num = |s: &str| {
                s.parse::<usize>()
                    .map_err(|_| format!("START and FOR of column {name} are whole numbers"))
            };
            positions.push((num(start)?, len.map(num).transpose()?));
        }
        columns.push((name, t));
    }
    Ok((columns, positions))
}

/// An Apache log format as a pattern: a group per specifier; `%t` keeps its brackets unless
/// the format puts them around it; a quoted specifier loses its quotes.
fn w3c_pattern(format: &str) -> Result<(regex::Regex, Vec<(String, SqlType)>), String> {
    let format = match format.trim().to_uppercase().as_str() {
        "COMMON" => "%h %l %u %t \"%r\" %>s %b".to_owned(),
        "COMMON WITH VHOST" => "%v %h %l %u %t \"%r\" %>s %b".to_owned(),
        "NCSA EXTENDED" => {
            "%h %l %u %t \"%r\" %>s %b \"%[Referer]i\" \"%[User-agent]i\"".to_owned()
        }
        "REFERER" => "%[Referer]i ---> %U".to_owned(),
        "AGENT" => "%[User-agent]i".to_owned(),
        _ => format.to_owned(),
    };
    let chars: Vec<char> = format.chars().collect();
    let mut pattern = String::from("^");
    let mut columns = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            pattern.push_str(&regex::escape(&chars[i].to_string()));
            i += 1;
            continue;
        }
        i += 1;
        // Modifiers: `>` / `<`, and a header name in {…} or […].
        while i < chars.len() && matches!(chars[i], '>' | '<' | '!' | ',' | '0'..='9') {
            i += 1;
        }
        if i < chars.len() && (chars[i] == '{' || chars[i] == '[') {
            let close = if chars[i] == '{' { '}' } else { ']' };
            while i < chars.len() && chars[i] != close {
                i += 1;
            }
            i += 1;
        }
        let Some(&spec) = chars.get(i) else {
            return Err(format!("the log format '{format}' ends inside a specifier"));
        };
        i += 1;
        let quoted = pattern.ends_with('"') && chars.get(i) == Some(&'"');
        let bracketed = pattern.ends_with("\\[") && chars.get(i) == Some(&']');
        let group = if quoted {
            "([^\"]*)"
        } else if bracketed {
            "([^\\]]*)"
        } else if spec == 't' {
            "(\\[[^\\]]*\\])"
        } else {
            "(\\S*)"
        };
        pattern.push_str(group);
        let t = match spec {
            'b' | 'B' | 's' | 'D' | 'T' | 'p' | 'P' | 'I' | 'O' => SqlType::BigInt,
            _ => SqlType::Varchar(Some(1024)),
        };
        columns.push((format!("COLUMN{}", columns.len() + 1), t));
    }
    pattern.push('$');
    let re = regex::Regex::new(&pattern).map_err(|e| format!("log format '{format}': {e}"))?;
    Ok((re, columns))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl LogParser {
    /// The parser `function` with its constant arguments (after the line itself).
    pub fn new(function: &str, args: &[Value]) -> Result<LogParser, String> {
        let text = |i: usize, what: &str| match args.get(i) {
            Some(Value::Str(s)) => Ok(s.clone()),
            _ => Err(format!("{function} needs {what} as a string literal")),
        };
        Ok(match function {
            "REGEX_LOG_PARSE" => {
                let pattern = text(0, "a pattern")?;
                let re = regex::Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|e| format!("REGEX_LOG_PARSE pattern: {e}"))?;
                let n = re.captures_len() - 1;
                let columns = match args.get(1) {
                    Some(Value::Str(spec)) => {
                        let (c, _) = column_list(spec, false)?;
                        if c.len() != n {
                            return Err(format!(
                                "REGEX_LOG_PARSE's pattern has {n} groups but {} columns are named",
                                c.len()
                            ));
                        }
                        c
                    }
                    _ => default_columns(n),
                };
                LogParser {
                    kind: Kind::Regex(re),
                    columns,
                }
            }
            "VARIABLE_COLUMN_LOG_PARSE" => {
                let columns = match args.first() {
                    Some(Value::Int(n)) if (1..=1000).contains(n) => default_columns(*n as usize),
                    Some(Value::Str(spec)) => column_list(spec, false)?.0,
                    _ => {
                        return Err(
                            "VARIABLE_COLUMN_LOG_PARSE needs a number of columns or a column list"
                                .into(),
                        );
                    }
                };
                let delimiter = text(1, "a delimiter")?;
                if delimiter.is_empty() {
                    return Err("VARIABLE_COLUMN_LOG_PARSE's delimiter is empty".into());
                }
                let escape = match args.get(2) {
                    Some(Value::Str(s)) => s.chars().next(),
                    _ => None,
                };
                let quote = match args.get(3) {
                    Some(Value::Str(s)) => {
                        let mut q = s.chars();
                        q.next().map(|b| (b, q.next().unwrap_or(b)))
                    }
                    _ => None,
                };
                LogParser {
                    kind: Kind::Variable {
                        delimiter,
                        escape,
                        quote,
                    },
                    columns,
                }
            }
            "FIXED_COLUMN_LOG_PARSE" => {
                let (columns, positions) = column_list(&text(0, "a column list")?, true)?;
                LogParser {
                    kind: Kind::Fixed(positions),
                    columns,
                }
            }
            "W3C_LOG_PARSE" => {
                let (re, columns) = w3c_pattern(&text(0, "a log format")?)?;
                LogParser {
                    kind: Kind::W3c(re),
                    columns,
                }
            }
            "SYS_LOG_PARSE" => LogParser {
                kind: Kind::Sys,
                columns: vec![
                    ("COLUMN1".into(), SqlType::Timestamp),
                    ("COLUMN2".into(), SqlType::Varchar(Some(1024))),
                ],
            },
            other => return Err(format!("{other} is not a log parsing function")),
        })
    }

    pub fn columns(&self) -> &[(String, SqlType)] {
        &self.columns
    }

    /// The fields of a line, converted to their columns' types (NULL where they do not
    /// convert), or `None` if the line does not match.
    pub fn parse(&self, line: &str) -> Option<Vec<Value>> {
        let raw: Vec<Option<String>> = match &self.kind {
            Kind::Regex(re) | Kind::W3c(re) => {
                let caps = re.captures(line)?;
                (1..caps.len())
                    .map(|i| caps.get(i).map(|m| m.as_str().to_owned()))
                    .collect()
            }
            Kind::Variable {
                delimiter,
                escape,
                quote,
            } => split_fields(line, delimiter, *escape, *quote)
                .into_iter()
                .map(Some)
                .collect(),
            Kind::Fixed(positions) => {
                let chars: Vec<char> = line.chars().collect();
                positions
                    .iter()
                    .map(|&(start, len)| {
                        let end = len.map_or(chars.len(), |l| (start + l).min(chars.len()));
                        (start < chars.len()).then(|| {
                            chars[start..end]
                                .iter()
                                .collect::<String>()
                                .trim_end()
                                .to_owned()
                        })
                    })
                    .collect()
            }
            Kind::Sys => {
                let mut rest = line.trim_start();
                let (mon, day, time) = (token(&mut rest), token(&mut rest), token(&mut rest));
                let month = MONTHS.iter().position(|m| *m == mon)? + 1;
                let day: u32 = day.parse().ok()?;
                let rest = rest.to_owned();
                // Syslog lines carry no year: this one's.
                let year = crate::value::format_timestamp(now_ms())[..4].to_owned();
                vec![
                    Some(format!("{year}-{month:02}-{day:02} {time}")),
                    Some(rest),
                ]
            }
        };
        Some(
            self.columns
                .iter()
                .enumerate()
                .map(|(i, (_, t))| match raw.get(i).cloned().flatten() {
                    None => Value::Null,
                    Some(s) if s == "-" && *t != SqlType::Varchar(Some(1024)) => Value::Null,
                    Some(s) => t.coerce(Value::Str(s)).unwrap_or(Value::Null),
                })
                .collect(),
        )
    }
}

/// The next whitespace-separated token of `s`, which moves past it.
fn token<'a>(s: &mut &'a str) -> &'a str {
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    let tok = &s[..end];
    *s = s[end..].trim_start();
    tok
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Splits at `delimiter`, honouring an escape character and quotes.
fn split_fields(
    line: &str,
    delimiter: &str,
    escape: Option<char>,
    quote: Option<(char, char)>,
) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut rest = line;
    while let Some(ch) = rest.chars().next() {
        if Some(ch) == escape {
            let mut after = rest[ch.len_utf8()..].chars();
            if let Some(next) = after.next() {
                cur.push(next);
                rest = after.as_str();
                continue;
            }
        }
        if let Some((open, close)) = quote {
            if !quoted && ch == open {
                quoted = true;
                rest = &rest[ch.len_utf8()..];
                continue;
            }
            if quoted && ch == close {
                quoted = false;
                rest = &rest[ch.len_utf8()..];
                continue;
            }
        }
        if !quoted && rest.starts_with(delimiter) {
            fields.push(std::mem::take(&mut cur));
            rest = &rest[delimiter.len()..];
            continue;
        }
        cur.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    fields.push(cur);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: Option<Vec<Value>>) -> Vec<String> {
        v.unwrap().iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn w3c_common_keeps_the_bracketed_time_and_drops_the_request_quotes() {
        let p = LogParser::new("W3C_LOG_PARSE", &[Value::Str("COMMON".into())]).unwrap();
        let got = p.parse(
            r#"192.168.254.30 - John [24/May/2004:22:01:02 -0700] "GET /icons/apache_pb.gif HTTP/1.1" 304 0"#,
        );
        assert_eq!(
            strs(got),
            [
                "192.168.254.30",
                "-",
                "John",
                "[24/May/2004:22:01:02 -0700]",
                "GET /icons/apache_pb.gif HTTP/1.1",
                "304",
                "0"
            ]
        );
        let p = LogParser::new("W3C_LOG_PARSE", &[Value::Str("%h [%t] %b".into())]).unwrap();
        assert_eq!(
            strs(p.parse("h [24/May/2004:22:01:02 -0700] 5")),
            ["h", "24/May/2004:22:01:02 -0700", "5"]
        );
        assert_eq!(p.parse("not a log line"), None);
    }

    #[test]
    fn regex_variable_and_fixed_columns() {
        let p = LogParser::new(
            "REGEX_LOG_PARSE",
            &[Value::Str(r"(\w.+) (\d.+) (\w.+) (\w.+)".into())],
        )
        .unwrap();
        assert_eq!(p.columns().len(), 4);
        assert_eq!(
            strs(p.parse("abc 123 def ghi")),
            ["abc", "123", "def", "ghi"]
        );
        let p = LogParser::new(
            "VARIABLE_COLUMN_LOG_PARSE",
            &[
                Value::Str("COL_1 TYPE VARCHAR(16), COL_2 TYPE VARCHAR(16), n TYPE INTEGER".into()),
                Value::Str(",".into()),
                Value::Str("\\".into()),
                Value::Str("\"".into()),
            ],
        )
        .unwrap();
        assert_eq!(p.columns()[2].0, "N");
        assert_eq!(strs(p.parse(r#"x\,y,"a,b",7"#)), ["x,y", "a,b", "7"]);
        assert_eq!(
            p.parse("x").unwrap(),
            [Value::Str("x".into()), Value::Null, Value::Null]
        );
        let p = LogParser::new(
            "FIXED_COLUMN_LOG_PARSE",
            &[Value::Str(
                "a TYPE VARCHAR(3) START 0 FOR 3, b TYPE INTEGER START 4".into(),
            )],
        )
        .unwrap();
        assert_eq!(strs(p.parse("abc 42")), ["abc", "42"]);
        let p = LogParser::new("SYS_LOG_PARSE", &[]).unwrap();
        let got = strs(p.parse("Mar  7 04:05:06 host kernel: hello"));
        assert!(got[0].ends_with("-03-07 04:05:06.000"), "{got:?}");
        assert_eq!(got[1], "host kernel: hello");
    }
}
