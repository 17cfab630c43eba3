//! Sluice Data Analytics for SQL: the Kinesis Analytics SQL dialect (ADR 0007).
//!
//! So far this crate holds the statement level of an application's code (`program`): streams
//! and pumps read with their line and column, and each pump's query parsed by sqlparser. The
//! operators that run them and the KinesisAnalytics_20150814 API are still to come.

pub mod program;

pub use program::{ColumnDef, Ident, ParseError, Program, Statement, parse};
