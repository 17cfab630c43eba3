//! The Data Firehose domain: delivery streams that take records (DirectPut), keep them durably in
//! a storage log until delivered, buffer them by size and time, process and compress them, and
//! deliver them as objects to an S3-compatible destination. Takes and returns domain types only.

pub mod compress;
pub mod convert;
mod delivery;
mod destinations;
pub mod error;
mod http;
pub mod keys;
pub mod kpl;
pub mod lambda;
pub mod meta;
pub mod model;
mod objects;
pub mod partition;
pub mod processors;
mod search;
mod service;
pub mod sink;
pub mod source;

pub use delivery::StepOutcome;
pub use error::{FirehoseError, Result};
pub use service::{Firehose, FirehoseConfig, MAX_BATCH_BYTES, MAX_BATCH_RECORDS, MAX_RECORD_BYTES};
