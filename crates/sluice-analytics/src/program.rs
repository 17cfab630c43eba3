//! The statement level of a Kinesis Analytics application's code (ADR 0007).
//!
//! An application's code is a list of `;`-separated statements:
//!
//! ```sql
//! CREATE OR REPLACE STREAM "DEST_SQL_STREAM" (ticker VARCHAR(4), price DOUBLE);
//! CREATE OR REPLACE PUMP "STREAM_PUMP" AS INSERT INTO "DEST_SQL_STREAM"
//!     SELECT STREAM ticker, price FROM "SOURCE_SQL_STREAM_001" WHERE price > 10;
//! ```
//!
//! sqlparser parses neither `CREATE STREAM` nor `CREATE PUMP`, and reads `SELECT STREAM a` as a
//! column `STREAM` aliased `a`. So the statements are split and read here, over sqlparser's
//! tokens (which carry their line and column), and only the query of a pump is handed to
//! sqlparser, with the `STREAM` after each `SELECT` taken out and Kinesis's
//! `STEP(x BY INTERVAL …)` rewritten to a two-argument call. Every error names the line and
//! column it is at.

use sqlparser::ast::Query;
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Word};
use std::fmt;

/// Most nesting a query may have (sqlparser's recursion limit): deeper input is refused, never
/// allowed to exhaust the stack.
const RECURSION_LIMIT: usize = 64;

/// An identifier as written: a quoted one is case-sensitive, an unquoted one stands for its
/// upper-case form (as in Kinesis Analytics SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub value: String,
    pub quoted: bool,
}

impl Ident {
    /// The name it refers to.
    pub fn name(&self) -> String {
        if self.quoted {
            self.value.clone()
        } else {
            self.value.to_uppercase()
        }
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "\"{}\"", self.value.replace('"', "\"\""))
        } else {
            f.write_str(&self.value)
        }
    }
}

/// A column of an in-application stream: its name and SQL type as written (e.g. `VARCHAR(4)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: Ident,
    pub sql_type: String,
}

/// An event-time column and how far behind the latest time seen rows may still come
/// (Flink's `WATERMARK FOR ts AS ts - INTERVAL '5' SECOND`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    pub column: Ident,
    pub delay_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `CREATE [OR REPLACE] STREAM name (column type, ...)`.
    CreateStream {
        name: Ident,
        columns: Vec<ColumnDef>,
        /// `WATERMARK FOR column AS column [- INTERVAL …]` among the columns.
        watermark: Option<Watermark>,
        at: Location,
    },
    /// `CREATE [OR REPLACE] PUMP name AS INSERT INTO stream [(columns)] SELECT STREAM ...`.
    CreatePump {
        name: Ident,
        target: Ident,
        target_columns: Option<Vec<Ident>>,
        query: Box<Query>,
        at: Location,
        /// Each word of the query and where it is, for errors to point at.
        words: Vec<(String, Location)>,
    },
}

/// The parsed code of an application.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    pub statements: Vec<Statement>,
}

impl Program {
    pub fn streams(&self) -> impl Iterator<Item = (&Ident, &[ColumnDef])> {
        self.statements.iter().filter_map(|s| match s {
            Statement::CreateStream { name, columns, .. } => Some((name, columns.as_slice())),
            _ => None,
        })
    }
}

/// A parse error at a line and column (both from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

fn error_at(at: Location, message: impl Into<String>) -> ParseError {
    ParseError {
        line: at.line,
        column: at.column,
        message: message.into(),
    }
}

/// Parses an application's code.
pub fn parse(code: &str) -> Result<Program, ParseError> {
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, code)
        .tokenize_with_location()
        .map_err(|e| error_at(e.location, e.message))?;
    let end = tokens
        .last()
        .map(|t| t.span.end)
        .unwrap_or(Location { line: 1, column: 1 });
    let mut program = Program::default();
    for stmt in split(tokens) {
        if stmt.is_empty() {
            continue;
        }
        program.statements.push(statement(stmt, end)?);
    }
    Ok(program)
}

/// The statements' tokens, whitespace and comments left out, split at `;`.
fn split(tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    let mut out = vec![Vec::new()];
    for t in tokens {
        match &t.token {
            Token::Whitespace(_) => {}
            Token::SemiColon => out.push(Vec::new()),
            _ => out.last_mut().map(|s| s.push(t)).unwrap_or_default(),
        }
    }
    out
}

/// A cursor over one statement's tokens.
struct Cursor {
    tokens: Vec<TokenWithSpan>,
    pos: usize,
    end: Location,
}

impl Cursor {
    fn peek(&self) -> Option<&TokenWithSpan> {
        self.tokens.get(self.pos)
    }

    fn at(&self) -> Location {
        self.peek().map(|t| t.span.start).unwrap_or(self.end)
    }

    fn shown(&self) -> String {
        match self.peek() {
            Some(t) => format!("found {}", t.token),
            None => "found the end of the statement".into(),
        }
    }

    fn keyword(&mut self, k: Keyword) -> bool {
        if let Some(TokenWithSpan {
            token:
                Token::Word(Word {
                    keyword,
                    quote_style: None,
                    ..
                }),
            ..
        }) = self.peek()
            && *keyword == k
        {
            self.pos += 1;
            return true;
        }
        false
    }

    /// An unquoted word equal (ignoring case) to `w`, for words sqlparser has no keyword for.
    fn word(&mut self, w: &str) -> bool {
        if let Some(TokenWithSpan {
            token:
                Token::Word(Word {
                    value,
                    quote_style: None,
                    ..
                }),
            ..
        }) = self.peek()
            && value.eq_ignore_ascii_case(w)
        {
            self.pos += 1;
            return true;
        }
        false
    }

    fn expect_keyword(&mut self, k: Keyword, shown: &str) -> Result<(), ParseError> {
        if self.keyword(k) {
            Ok(())
        } else {
            Err(error_at(
                self.at(),
                format!("expected {shown}, {}", self.shown()),
            ))
        }
    }

    fn token(&mut self, t: &Token) -> bool {
        if self.peek().is_some_and(|x| &x.token == t) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn expect_token(&mut self, t: &Token) -> Result<(), ParseError> {
        if self.token(t) {
            Ok(())
        } else {
            Err(error_at(
                self.at(),
                format!("expected {t}, {}", self.shown()),
            ))
        }
    }

    fn ident(&mut self, what: &str) -> Result<Ident, ParseError> {
        match self.peek() {
            Some(TokenWithSpan {
                token: Token::Word(w),
                ..
            }) if w.quote_style.is_none_or(|q| q == '"') => {
                let id = Ident {
                    value: w.value.clone(),
                    quoted: w.quote_style.is_some(),
                };
                if id.value.is_empty() {
                    return Err(error_at(self.at(), format!("{what} must not be empty")));
                }
                self.pos += 1;
                Ok(id)
            }
            _ => Err(error_at(
                self.at(),
                format!("expected {what}, {}", self.shown()),
            )),
        }
    }
}

fn statement(tokens: Vec<TokenWithSpan>, end: Location) -> Result<Statement, ParseError> {
    let mut c = Cursor {
        tokens,
        pos: 0,
        end,
    };
    let at = c.at();
    c.expect_keyword(Keyword::CREATE, "CREATE")?;
    if c.keyword(Keyword::OR) {
        c.expect_keyword(Keyword::REPLACE, "REPLACE")?;
    }
    if c.keyword(Keyword::STREAM) {
        return create_stream(c, at);
    }
    if c.word("PUMP") {
        return create_pump(c, at);
    }
    Err(error_at(
        c.at(),
        format!("expected STREAM or PUMP after CREATE, {}", c.shown()),
    ))
}

fn create_stream(mut c: Cursor, at: Location) -> Result<Statement, ParseError> {
    let name = c.ident("a stream name")?;
    c.expect_token(&Token::LParen)?;
    let mut columns = Vec::new();
    let mut watermark = None;
    loop {
        let col = c.ident("a column name")?;
        let type_at = c.at();
        if !col.quoted
            && col.value.eq_ignore_ascii_case("WATERMARK")
            && c.peek().is_some_and(|t| is_word(t, "FOR"))
        {
            if watermark.is_some() {
                return Err(error_at(type_at, "a stream has at most one WATERMARK"));
            }
            c.pos += 1;
            watermark = Some(read_watermark(&mut c)?);
            if c.token(&Token::Comma) {
                continue;
            }
            c.expect_token(&Token::RParen)?;
            break;
        }
        // The type runs to the next comma or closing parenthesis outside parentheses.
        let mut depth = 0usize;
        let mut parts: Vec<String> = Vec::new();
        while let Some(t) = c.peek() {
            match &t.token {
                Token::Comma | Token::RParen if depth == 0 => break,
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ => {}
            }
            parts.push(t.token.to_string());
            c.pos += 1;
        }
        if parts.is_empty() {
            return Err(error_at(
                type_at,
                format!("expected the type of column {col}, {}", c.shown()),
            ));
        }
        columns.push(ColumnDef {
            name: col,
            sql_type: join_type(&parts),
        });
        if c.token(&Token::Comma) {
            continue;
        }
        c.expect_token(&Token::RParen)?;
        break;
    }
    if c.peek().is_some() {
        return Err(error_at(
            c.at(),
            format!("expected ; after the stream's columns, {}", c.shown()),
        ));
    }
    if let Some(w) = &watermark
        && !columns.iter().any(|c| c.name.name() == w.column.name())
    {
        return Err(error_at(
            at,
            format!(
                "the WATERMARK's column {} is not a column of the stream",
                w.column
            ),
        ));
    }
    Ok(Statement::CreateStream {
        name,
        columns,
        watermark,
        at,
    })
}

/// `column AS column [- INTERVAL 'n' UNIT]`, after `WATERMARK FOR`.
fn read_watermark(c: &mut Cursor) -> Result<Watermark, ParseError> {
    let column = c.ident("the WATERMARK's column")?;
    c.expect_keyword(Keyword::AS, "AS")?;
    let at = c.at();
    let mut depth = 0usize;
    let mut tokens = Vec::new();
    while let Some(t) = c.peek() {
        match &t.token {
            Token::Comma | Token::RParen if depth == 0 => break,
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ => {}
        }
        tokens.push(t.clone());
        c.pos += 1;
    }
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens);
    let expr = parser
        .parse_expr()
        .map_err(|e| error_at(at, parser_message(&e)))?;
    let same = |e: &sqlparser::ast::Expr| match e {
        sqlparser::ast::Expr::Identifier(i) => crate::eval::fold(i) == column.name(),
        _ => false,
    };
    let bad = || {
        error_at(
            at,
            format!("a WATERMARK is {column} or {column} - INTERVAL '<n>' <unit>"),
        )
    };
    let delay_ms = match &expr {
        e if same(e) => 0,
        sqlparser::ast::Expr::BinaryOp {
            left,
            op: sqlparser::ast::BinaryOperator::Minus,
            right,
        } if same(left) => match right.as_ref() {
            sqlparser::ast::Expr::Interval(i) => {
                crate::eval::interval_ms(i).map_err(|m| error_at(at, m))?
            }
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    if delay_ms < 0 {
        return Err(bad());
    }
    Ok(Watermark { column, delay_ms })
}

/// `VARCHAR ( 4 )` → `VARCHAR(4)`, `DOUBLE PRECISION` stays two words.
fn join_type(parts: &[String]) -> String {
    let mut s = String::new();
    for p in parts {
        let glue = !(s.is_empty() || p == "(" || p == ")" || p == "," || s.ends_with('('));
        if glue {
            s.push(' ');
        }
        s.push_str(&p.to_uppercase());
        if p == "," {
            s.push(' ');
        }
    }
    s.replace(" ,", ",")
}

fn create_pump(mut c: Cursor, at: Location) -> Result<Statement, ParseError> {
    let name = c.ident("a pump name")?;
    c.expect_keyword(Keyword::AS, "AS")?;
    c.expect_keyword(Keyword::INSERT, "INSERT")?;
    c.expect_keyword(Keyword::INTO, "INTO")?;
    let target = c.ident("the stream the pump inserts into")?;
    let mut target_columns = None;
    if c.token(&Token::LParen) {
        let mut cols = vec![c.ident("a column name")?];
        while c.token(&Token::Comma) {
            cols.push(c.ident("a column name")?);
        }
        c.expect_token(&Token::RParen)?;
        target_columns = Some(cols);
    }
    let query_at = c.at();
    if !matches!(c.peek(), Some(TokenWithSpan { token: Token::Word(w), .. }) if w.keyword == Keyword::SELECT && w.quote_style.is_none())
    {
        return Err(error_at(
            query_at,
            format!("expected SELECT STREAM, {}", c.shown()),
        ));
    }
    let tokens = rewrite_query(c.tokens.split_off(c.pos))?;
    let words = tokens
        .iter()
        .filter_map(|t| match &t.token {
            Token::Word(w) => Some((
                if w.quote_style.is_some() {
                    w.value.clone()
                } else {
                    w.value.to_uppercase()
                },
                t.span.start,
            )),
            _ => None,
        })
        .collect();
    let dialect = GenericDialect {};
    let mut parser = Parser::new(&dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens);
    let query = match parser.parse_query() {
        Ok(q) => q,
        Err(e) => {
            let at = parser.peek_token().span.start;
            let at = if at.line == 0 { c.end } else { at };
            return Err(error_at(at, parser_message(&e)));
        }
    };
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(error_at(
            next.span.start,
            format!("unexpected {} after the pump's query", next.token),
        ));
    }
    Ok(Statement::CreatePump {
        name,
        target,
        target_columns,
        query,
        at,
        words,
    })
}

/// sqlparser's message without its own position suffix (the error carries ours).
fn parser_message(e: &sqlparser::parser::ParserError) -> String {
    let s = match e {
        sqlparser::parser::ParserError::ParserError(s)
        | sqlparser::parser::ParserError::TokenizerError(s) => s.clone(),
        sqlparser::parser::ParserError::RecursionLimitExceeded => {
            "the query is nested too deeply".into()
        }
    };
    match s.find(" at Line: ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// The function `WINDOWED BY STAGGER (PARTITION BY k… RANGE i)` becomes in GROUP BY:
/// `GROUP BY k…, "\u{1}STAGGER"(i)`. No quoted name a user writes holds a control character.
pub const STAGGER_MARKER: &str = "\u{1}STAGGER";

fn is_word(t: &TokenWithSpan, w: &str) -> bool {
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
fn rewrite_query(tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, ParseError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const TUMBLING: &str = r#"
-- Counts per ticker every 10 seconds.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
    ticker_symbol VARCHAR(4),
    "Ticker_Count" INTEGER,
    avg_price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
  INSERT INTO "DESTINATION_SQL_STREAM"
    SELECT STREAM ticker_symbol, COUNT(*) AS ticker_count, AVG(price)
    FROM "SOURCE_SQL_STREAM_001"
    GROUP BY ticker_symbol,
             STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);
"#;

    #[test]
    fn streams_and_pumps_are_read() {
        let p = parse(TUMBLING).unwrap();
        assert_eq!(p.statements.len(), 2);
        let Statement::CreateStream {
            name, columns, at, ..
        } = &p.statements[0]
        else {
            panic!("{:?}", p.statements[0]);
        };
        assert_eq!(name.name(), "DESTINATION_SQL_STREAM");
        assert_eq!((at.line, at.column), (3, 1));
        let cols: Vec<(String, &str)> = columns
            .iter()
            .map(|c| (c.name.name(), c.sql_type.as_str()))
            .collect();
        assert_eq!(
            cols,
            vec![
                ("TICKER_SYMBOL".to_owned(), "VARCHAR(4)"),
                ("Ticker_Count".to_owned(), "INTEGER"),
                ("AVG_PRICE".to_owned(), "DOUBLE"),
            ]
        );
        let Statement::CreatePump {
            name,
            target,
            query,
            ..
        } = &p.statements[1]
        else {
            panic!("{:?}", p.statements[1]);
        };
        assert_eq!(name.name(), "STREAM_PUMP");
        assert_eq!(target.name(), "DESTINATION_SQL_STREAM");
        let text = query.to_string();
        // STREAM is not read as a column, and STEP's BY became an argument separator.
        assert!(
            text.starts_with("SELECT ticker_symbol, COUNT(*) AS ticker_count"),
            "{text}"
        );
        assert!(
            text.contains("STEP(\"SOURCE_SQL_STREAM_001\".ROWTIME, INTERVAL '10' SECOND)"),
            "{text}"
        );
    }

    #[test]
    fn identifiers_fold_unless_quoted() {
        let p = parse(r#"create stream s ("a" int, b varchar(8), "Mixed Case" double precision)"#)
            .unwrap();
        let (name, cols) = p.streams().next().unwrap();
        assert_eq!(name.name(), "S");
        let names: Vec<String> = cols.iter().map(|c| c.name.name()).collect();
        assert_eq!(names, ["a", "B", "Mixed Case"]);
        assert_eq!(cols[2].sql_type, "DOUBLE PRECISION");
    }

    #[test]
    fn a_pump_may_name_its_columns_and_nest_select_stream() {
        let p = parse(
            "CREATE PUMP p AS INSERT INTO \"out\" (a, b) \
             SELECT STREAM a, b FROM (SELECT STREAM x AS a, y AS b FROM \"in\")",
        )
        .unwrap();
        let Statement::CreatePump {
            target_columns,
            query,
            ..
        } = &p.statements[0]
        else {
            panic!()
        };
        assert_eq!(target_columns.as_ref().map(|c| c.len()), Some(2));
        assert!(!query.to_string().contains("STREAM"), "{query}");
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let cases: &[(&str, u64, u64, &str)] = &[
            ("CREATE TABLE t (a int)", 1, 8, "expected STREAM or PUMP"),
            (
                "CREATE STREAM s (a int,\n  )",
                2,
                3,
                "expected a column name",
            ),
            (
                "CREATE STREAM s (a)",
                1,
                19,
                "expected the type of column a",
            ),
            (
                "CREATE PUMP p AS INSERT INTO s\n  SELECT STREAM a FROM",
                2,
                23,
                "",
            ),
            (
                "CREATE PUMP p AS INSERT INTO s\n  VALUES (1)",
                2,
                3,
                "expected SELECT STREAM",
            ),
            (
                "CREATE PUMP p AS INSERT INTO s SELECT STREAM a FROM t t2 t3",
                1,
                58,
                "unexpected t3",
            ),
            ("CREATE STREAM s (a int) extra", 1, 25, "expected ;"),
            ("CREATE STREAM 's' (a int)", 1, 15, "expected a stream name"),
            ("SELECT 1", 1, 1, "expected CREATE"),
        ];
        for (code, line, column, msg) in cases {
            let e = parse(code).unwrap_err();
            assert_eq!((e.line, e.column), (*line, *column), "{code}: {e}");
            assert!(e.message.contains(msg), "{code}: {e}");
        }
        let e = parse("CREATE STREAM s (a 'unterminated)").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = format!(
            "CREATE PUMP p AS INSERT INTO s SELECT STREAM {}1{} FROM t",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Token soup from the dialect's own words: a program or an error, never a panic.
        #[test]
        fn arbitrary_code_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
            "CREATE", "OR", "REPLACE", "STREAM", "PUMP", "AS", "INSERT", "INTO", "SELECT", "FROM",
            "WHERE", "GROUP", "BY", "STEP", "(", ")", ",", ";", "\"s\"", "a", "1", "'x'", "INTERVAL",
            "SECOND", "ROWTIME", "WINDOW", "OVER", "RANGE", "PRECEDING", "-- c\n", "/*", "*/", "\"",
            "'", "+", "*", "VARCHAR(4)", "CASE", "WHEN", "THEN", "END", "JOIN", "ON",
        ]), 0..40)) {
            let _ = parse(&parts.join(" "));
        }

        #[test]
        fn arbitrary_text_never_panics(code in "\\PC{0,200}") {
            let _ = parse(&code);
        }
    }

    #[test]
    fn empty_statements_and_comments_are_skipped() {
        let p = parse("-- nothing\n;;/* still nothing */;").unwrap();
        assert!(p.statements.is_empty());
    }
}
