//! The Data Streams domain: streams of shards over storage logs, partitioning by hash key,
//! sequence numbers, shard iterators and records. Takes and returns domain types only.

pub mod error;
pub mod iterator;
pub mod kms;
pub mod limits;
pub mod meta;
pub mod model;
pub mod policy;
mod service;
mod tags;

pub use error::{Result, StreamsError};
pub use service::{AccessTarget, Streams, StreamsConfig, Subscription};

/// Shard-level metrics that `ALL` stands for, in AWS's order.
pub const ALL_SHARD_LEVEL_METRICS: [&str; 7] = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
];
