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

mod rewrite;

pub use rewrite::{STAGGER_MARKER, WINDOW_MARKER};
use rewrite::{is_word, rewrite_query};

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

#[cfg(test)]
mod tests;
