//! Token rewrites before sqlparser reads a pump's query: the syntax of the Kinesis dialect
//! (and of Flink's window functions) that sqlparser does not know, turned into syntax it does.

use super::error_at;
use crate::ParseError;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// The function `WINDOWED BY STAGGER (PARTITION BY k… RANGE i)` becomes in GROUP BY:
/// `GROUP BY k…, "\u{1}STAGGER"(i)`. No quoted name a user writes holds a control character.
pub const STAGGER_MARKER: &str = "\u{1}STAGGER";

pub(super) fn is_word(t: &TokenWithSpan, w: &str) -> bool {
    matches!(&t.token, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w))
}

/// Rewrites each `WINDOWED BY STAGGER (PARTITION BY keys RANGE interval)` (which takes the
/// place of GROUP BY) to `GROUP BY keys, "\u{1}STAGGER"(interval)`.
fn rewrite_stagger(tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, ParseError> {
    let mut out = Vec::with_capacity(tokens.len() + 2);
    let mut it = tokens.into_iter().peekable();
    while let Some(t) = it.next() {
        if !is_word(&t, "WINDOWED") {
            out.push(t);
            continue;
        }
        let at = t.span.start;
        let mut expect = |what: &str, ok: &dyn Fn(&TokenWithSpan) -> bool| match it.next() {
            Some(n) if ok(&n) => Ok(n),
            Some(n) => Err(error_at(
                n.span.start,
                format!("expected {what} in WINDOWED BY STAGGER, found {}", n.token),
            )),
            None => Err(error_at(
                at,
                format!("expected {what} in WINDOWED BY STAGGER"),
            )),
        };
        expect("BY", &|n| is_word(n, "BY"))?;
        expect("STAGGER", &|n| is_word(n, "STAGGER"))?;
        expect("(", &|n| n.token == Token::LParen)?;
        expect("PARTITION", &|n| is_word(n, "PARTITION"))?;
        expect("BY", &|n| is_word(n, "BY"))?;
        let span = t.span;
        let tok = |token: Token| TokenWithSpan { token, span };
        out.push(tok(Token::make_keyword("GROUP")));
        out.push(tok(Token::make_keyword("BY")));
        let mut depth = 0usize;
        let mut range = false;
        loop {
            let Some(n) = it.next() else {
                return Err(error_at(at, "WINDOWED BY STAGGER ( is not closed"));
            };
            match n.token {
                Token::LParen => depth += 1,
                Token::RParen if depth == 0 => {
                    if !range {
                        return Err(error_at(
                            n.span.start,
                            "expected RANGE INTERVAL … in WINDOWED BY STAGGER",
                        ));
                    }
                    out.push(n);
                    break;
                }
                Token::RParen => depth -= 1,
                _ => {}
            }
            if depth == 0 && !range && is_word(&n, "RANGE") {
                range = true;
                out.push(tok(Token::Comma));
                out.push(tok(Token::make_word(STAGGER_MARKER, Some('"'))));
                out.push(tok(Token::LParen));
                continue;
            }
            out.push(n);
        }
    }
    Ok(out)
}

/// The first table argument the statement reader gives a stream with a window in a join.
pub const WINDOW_MARKER: &str = "\u{1}WINDOW";

/// Rewrites a stream's window in a join, `s OVER (RANGE INTERVAL … PRECEDING)`,
/// `s OVER (ROWS n PRECEDING)` or `s OVER w`, which sqlparser cannot read, to table arguments:
/// `s("\u{1}WINDOW", 'RANGE', INTERVAL …)`, `s("\u{1}WINDOW", 'ROWS', n)` or
/// `s("\u{1}WINDOW", 'NAMED', 'w')`. An aggregate's OVER follows a `)`, never a name.
fn rewrite_stream_windows(tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, ParseError> {
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len() + 4);
    let mut it = tokens.into_iter().peekable();
    while let Some(t) = it.next() {
        let after_name = matches!(out.last(), Some(TokenWithSpan { token: Token::Word(w), .. })
            if w.quote_style.is_some() || w.keyword == Keyword::NoKeyword);
        if !(is_word(&t, "OVER") && after_name) {
            out.push(t);
            continue;
        }
        let span = t.span;
        let tok = |token: Token| TokenWithSpan { token, span };
        let mut args = vec![tok(Token::make_word(WINDOW_MARKER, Some('"')))];
        let comma = || tok(Token::Comma);
        match it.next() {
            Some(TokenWithSpan {
                token: Token::LParen,
                ..
            }) => {
                let mut inner = Vec::new();
                let mut depth = 0usize;
                loop {
                    let Some(n) = it.next() else {
                        return Err(error_at(span.start, "the stream's OVER ( is not closed"));
                    };
                    match n.token {
                        Token::LParen => depth += 1,
                        Token::RParen if depth == 0 => break,
                        Token::RParen => depth -= 1,
                        _ => {}
                    }
                    inner.push(n);
                }
                let units = match inner.first() {
                    Some(u) if is_word(u, "RANGE") => "RANGE",
                    Some(u) if is_word(u, "ROWS") => "ROWS",
                    _ => {
                        return Err(error_at(
                            span.start,
                            "a stream's window in a join is OVER (RANGE INTERVAL … PRECEDING) or OVER (ROWS n PRECEDING)",
                        ));
                    }
                };
                if !inner.last().is_some_and(|l| is_word(l, "PRECEDING")) || inner.len() < 3 {
                    return Err(error_at(
                        span.start,
                        format!("a stream's window in a join is OVER ({units} … PRECEDING)"),
                    ));
                }
                inner.pop();
                args.push(comma());
                args.push(tok(Token::SingleQuotedString(units.into())));
                args.push(comma());
                args.extend(inner.into_iter().skip(1));
            }
            Some(TokenWithSpan {
                token: Token::Word(w),
                ..
            }) => {
                args.push(comma());
                args.push(tok(Token::SingleQuotedString("NAMED".into())));
                args.push(comma());
                let name = if w.quote_style.is_some() {
                    w.value.clone()
                } else {
                    w.value.to_uppercase()
                };
                args.push(tok(Token::SingleQuotedString(name)));
            }
            _ => {
                return Err(error_at(
                    span.start,
                    "expected a window after the stream's OVER",
                ));
            }
        }
        out.push(tok(Token::LParen));
        out.extend(args);
        out.push(tok(Token::RParen));
    }
    Ok(out)
}

/// Takes out the `STREAM` after each `SELECT`, and turns `STEP(x BY y)` into `STEP(x, y)`.
pub(super) fn rewrite_query(tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, ParseError> {
    let tokens = rewrite_stream_windows(rewrite_stagger(tokens)?)?;
    let is_kw = |t: &TokenWithSpan, k: Keyword| matches!(&t.token, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len() + 1);
    // For each open parenthesis: whether it opened a STEP call (so a BY at its depth is a
    // comma), and whether it opened `CURSOR(SELECT …)` (whose query is wrapped in a second
    // pair, `CURSOR((SELECT …))`, for sqlparser to read it as a subquery).
    let mut parens: Vec<(bool, bool)> = Vec::new();
    // Inside `SESSION(`, Flink's `PARTITION BY k` after the stream is dropped (the sessions are
    // per GROUP BY key): the parenthesis depth of the clause being skipped.
    let mut session_depth: Vec<usize> = Vec::new();
    let mut skipping: Option<usize> = None;
    let mut it = tokens.into_iter().peekable();
    while let Some(t) = it.next() {
        if let Some(d) = skipping {
            match t.token {
                Token::LParen => {
                    skipping = Some(d + 1);
                    continue;
                }
                Token::RParen if d > 0 => {
                    skipping = Some(d - 1);
                    continue;
                }
                Token::Comma | Token::RParen => skipping = None,
                _ => continue,
            }
        }
        if is_word(&t, "PARTITION") && session_depth.last() == Some(&parens.len()) {
            skipping = Some(0);
            continue;
        }
        if is_kw(&t, Keyword::STREAM) && out.last().is_some_and(|p| is_kw(p, Keyword::SELECT)) {
            continue;
        }
        // Flink's `TUMBLE(TABLE s, …)`: the stream is named without TABLE for sqlparser.
        if is_kw(&t, Keyword::TABLE)
            && out.last().is_some_and(|p| p.token == Token::LParen)
            && out.len() >= 2
            && ["TUMBLE", "HOP", "CUMULATE", "SESSION"]
                .iter()
                .any(|f| is_word(&out[out.len() - 2], f))
        {
            continue;
        }
        match &t.token {
            Token::LParen => {
                let after = |name: &str| {
                    matches!(out.last(), Some(TokenWithSpan { token: Token::Word(w), .. })
                    if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(name))
                };
                let step = after("STEP");
                if after("SESSION") {
                    session_depth.push(parens.len() + 1);
                }
                let cursor =
                    after("CURSOR") && it.peek().is_some_and(|n| is_kw(n, Keyword::SELECT));
                parens.push((step, cursor));
                if cursor {
                    out.push(t.clone());
                }
            }
            Token::RParen => {
                if session_depth.last() == Some(&parens.len()) {
                    session_depth.pop();
                }
                let closes_cursor = parens.pop().is_some_and(|(_, cursor)| cursor);
                if closes_cursor {
                    out.push(t.clone());
                }
            }
            _ => {}
        }
        if is_kw(&t, Keyword::BY) && parens.last().is_some_and(|(step, _)| *step) {
            out.push(TokenWithSpan {
                token: Token::Comma,
                span: t.span,
            });
            continue;
        }
        out.push(t);
    }
    Ok(out)
}
