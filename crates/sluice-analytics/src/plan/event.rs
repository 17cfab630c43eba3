//! Flink-style window table functions over event time, beside Kinesis's ROWTIME windows:
//! `FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), size))`, `HOP(TABLE s, DESCRIPTOR(ts), slide,
//! size)`, `CUMULATE(TABLE s, DESCRIPTOR(ts), step, size)` and `SESSION(TABLE s [PARTITION BY
//! k], DESCRIPTOR(ts), gap)`, grouped by `window_start, window_end` and any other keys. A
//! session is per value of the other GROUP BY keys (PARTITION BY names them again): it grows
//! while rows come less than `gap` apart, and two merge when a row falls between them.
//! The watermark is the latest event time seen less the delay
//! of the stream's `WATERMARK FOR ts AS ts - INTERVAL …` (none declared: no delay). A window's
//! groups come out once the watermark reaches its end, with the ROWTIME of the row that moved
//! the watermark there; a row whose window has already come out is late and left out of it, as
//! in Flink.

use super::{StreamDef, stream_scope};
use crate::eval::{self, Scope, ScopeColumn, fold};
use sqlparser::ast;
use std::collections::HashMap;

pub(super) const WINDOW_START: &str = "WINDOW_START";
pub(super) const WINDOW_END: &str = "WINDOW_END";
pub(super) const WINDOW_TIME: &str = "WINDOW_TIME";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EventWindows {
    Tumble {
        size: i64,
    },
    Hop {
        slide: i64,
        size: i64,
    },
    Cumulate {
        step: i64,
        size: i64,
    },
    /// A window per group that a row more than `gap` after its last one ends.
    Session {
        gap: i64,
    },
}

impl EventWindows {
    /// The windows `(start, end)` a time falls in, earliest end first.
    pub(super) fn assign(&self, ts: i64, out: &mut Vec<(i64, i64)>) {
        out.clear();
        match *self {
            EventWindows::Tumble { size } => {
                let start = ts - ts.rem_euclid(size);
                out.push((start, start + size));
            }
            EventWindows::Hop { slide, size } => {
                let mut start = ts - ts.rem_euclid(slide);
                while start > ts - size {
                    out.push((start, start + size));
                    start -= slide;
                }
                out.reverse();
            }
            EventWindows::Session { gap } => out.push((ts, ts + gap)),
            EventWindows::Cumulate { step, size } => {
                let start = ts - ts.rem_euclid(size);
                let mut end = start + step;
                while end <= start + size {
                    if end > ts {
                        out.push((start, end));
                    }
                    end += step;
                }
            }
        }
    }
}

/// What a window function reads and how it windows.
pub(super) struct EventStage {
    pub(super) source: String,
    /// The event-time column's position in the source row.
    pub(super) time: usize,
    pub(super) windows: EventWindows,
    pub(super) delay_ms: i64,
    /// The source's columns, then window_start, window_end and window_time.
    pub(super) scope: Scope,
}

pub(super) fn is_window_function(expr: &ast::Expr) -> bool {
    matches!(expr, ast::Expr::Function(f)
        if matches!(eval::function_name(f).as_str(), "TUMBLE" | "HOP" | "CUMULATE" | "SESSION"))
}

pub(super) fn event_function(
    expr: &ast::Expr,
    alias: Option<String>,
    streams: &HashMap<String, StreamDef>,
    watermarks: &HashMap<String, (String, i64)>,
) -> Result<EventStage, String> {
    let ast::Expr::Function(f) = expr else {
        return Err(format!("unsupported table function {expr}"));
    };
    let fname = eval::function_name(f);
    let args = eval::plain_args(f)?;
    let want = if matches!(fname.as_str(), "TUMBLE" | "SESSION") {
        3
    } else {
        4
    };
    if args.len() != want {
        return Err(format!(
            "{fname} takes {want} arguments: TABLE stream, DESCRIPTOR(time column), {}",
            match fname.as_str() {
                "TUMBLE" => "size",
                "SESSION" => "gap",
                "HOP" => "slide, size",
                _ => "step, size",
            }
        ));
    }
    let source = match args[0] {
        ast::Expr::Identifier(i) => fold(i),
        ast::Expr::CompoundIdentifier(p) => p.last().map(fold).unwrap_or_default(),
        other => {
            return Err(format!(
                "the first argument of {fname} is TABLE stream, not {other}"
            ));
        }
    };
    let def = streams
        .get(&source)
        .ok_or_else(|| format!("Object '{source}' not found"))?;
    let column = match args[1] {
        ast::Expr::Function(d) if eval::function_name(d) == "DESCRIPTOR" => {
            match eval::plain_args(d)?.as_slice() {
                [ast::Expr::Identifier(i)] => fold(i),
                _ => return Err("DESCRIPTOR names one column: DESCRIPTOR(ts)".into()),
            }
        }
        other => {
            return Err(format!(
                "the second argument of {fname} is DESCRIPTOR(time column), not {other}"
            ));
        }
    };
    let time = def
        .columns
        .iter()
        .position(|(c, _)| *c == column)
        .map(|i| i + 1)
        .or((column == super::ROWTIME).then_some(0))
        .ok_or_else(|| format!("Column '{column}' not found in {source}"))?;
    if time > 0 && def.columns[time - 1].1 != crate::value::SqlType::Timestamp {
        return Err(format!(
            "the time column {column} of {fname} must be a TIMESTAMP"
        ));
    }
    let interval = |e: &ast::Expr, what: &str| -> Result<i64, String> {
        match e {
            ast::Expr::Interval(i) => {
                let ms = eval::interval_ms(i)?;
                if ms <= 0 {
                    return Err(format!("the {what} of {fname} must be a positive interval"));
                }
                Ok(ms)
            }
            other => Err(format!("the {what} of {fname} is an INTERVAL, not {other}")),
        }
    };
    let windows = match fname.as_str() {
        "TUMBLE" => EventWindows::Tumble {
            size: interval(args[2], "size")?,
        },
        "SESSION" => EventWindows::Session {
            gap: interval(args[2], "gap")?,
        },
        "HOP" => {
            let (slide, size) = (interval(args[2], "slide")?, interval(args[3], "size")?);
            if size % slide != 0 {
                return Err("HOP's size must be a whole number of slides".into());
            }
            EventWindows::Hop { slide, size }
        }
        _ => {
            let (step, size) = (interval(args[2], "step")?, interval(args[3], "size")?);
            if size % step != 0 {
                return Err("CUMULATE's size must be a whole number of steps".into());
            }
            EventWindows::Cumulate { step, size }
        }
    };
    let delay_ms = match watermarks.get(&source) {
        Some((c, d)) if *c == column => *d,
        _ => 0,
    };
    let mut scope = stream_scope(def, alias);
    let qualifiers = scope.columns[0].qualifiers.clone();
    for name in [WINDOW_START, WINDOW_END, WINDOW_TIME] {
        scope.columns.push(ScopeColumn {
            qualifiers: qualifiers.clone(),
            name: name.into(),
        });
    }
    Ok(EventStage {
        source,
        time,
        windows,
        delay_ms,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_assigned_as_flink_does() {
        let mut w = Vec::new();
        EventWindows::Tumble { size: 10 }.assign(23, &mut w);
        assert_eq!(w, [(20, 30)]);
        EventWindows::Tumble { size: 10 }.assign(-1, &mut w);
        assert_eq!(w, [(-10, 0)]);
        EventWindows::Hop { slide: 2, size: 10 }.assign(23, &mut w);
        assert_eq!(w, [(14, 24), (16, 26), (18, 28), (20, 30), (22, 32)]);
        EventWindows::Cumulate { step: 2, size: 6 }.assign(13, &mut w);
        assert_eq!(w, [(12, 14), (12, 16), (12, 18)]);
        EventWindows::Cumulate { step: 2, size: 6 }.assign(14, &mut w);
        assert_eq!(w, [(12, 16), (12, 18)]);
    }
}
