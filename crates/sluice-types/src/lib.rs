//! Sluice's domain vocabulary: the validated names and identifiers that every other crate speaks
//! (stream names, shard ids, sequence numbers, hash keys, ARNs) and the injected [`Clock`].

mod arn;
mod clock;
mod hash;
mod names;
mod sequence;

pub use arn::{Arn, ArnResource};
pub use clock::{Clock, ManualClock, SystemClock};
pub use hash::{HashKey, HashKeyRange, partition_hash};
pub use names::{NameError, ShardId, StreamName};
pub use sequence::{SequenceNumber, SequenceNumberError};

/// The account id that appears in every ARN Sluice forms (a single-tenant server has one account).
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// Log ids are partitioned by owner so that each service can reconcile its own logs at start:
/// Data Streams shard logs are below this, Firehose delivery-stream logs at or above it and below
/// [`VIDEO_LOG_BASE`], and video stream logs at or above that.
pub const FIREHOSE_LOG_BASE: u64 = 1 << 48;
/// The first log id of Video Streams (see [`FIREHOSE_LOG_BASE`]).
pub const VIDEO_LOG_BASE: u64 = 2 << 48;
