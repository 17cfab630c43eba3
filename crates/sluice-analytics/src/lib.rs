//! Sluice Data Analytics for SQL: the Kinesis Analytics SQL dialect (ADR 0007).
//!
//! `program` reads an application's code (streams and pumps, with line and column in every
//! error); `eval` and `plan` compile pumps to operators (map, tumbling window); `mapping` turns
//! source records into rows and rows into output records; `service` is the control plane of
//! applications and `runner` runs them over Sluice's data and delivery streams.

pub mod discover;
pub mod eval;
pub mod logparse;
pub mod mapping;
pub mod model;
pub mod plan;
pub mod program;
pub mod runner;
pub mod service;
pub mod value;

pub use program::{ColumnDef, Ident, ParseError, Program, Statement, parse};
pub use service::{Analytics, AnalyticsConfig, AnalyticsError};
