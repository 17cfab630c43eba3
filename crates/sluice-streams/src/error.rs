//! Domain errors of the Data Streams service. Each variant's text is the message AWS sends; the
//! server maps each variant to exactly one AWS error type in one exhaustive `match`.

use sluice_storage::StorageError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StreamsError {
    #[error("Stream {stream} under account {account} not found.")]
    StreamNotFound { stream: String, account: String },
    #[error("Stream {stream} under account {account} already exists.")]
    StreamExists { stream: String, account: String },
    #[error("Stream {stream} under account {account} not ACTIVE, instead in state {status}")]
    StreamNotActive {
        stream: String,
        account: String,
        status: &'static str,
    },
    #[error("Shard {shard} in stream {stream} under account {account} does not exist")]
    ShardNotFound {
        shard: String,
        stream: String,
        account: String,
    },
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    InvalidArgument(String),
    /// A constraint the wire could not check because it depends on the stream (record size).
    #[error("{0}")]
    Validation(String),
    #[error(
        "Iterator expired. The iterator was created at time {created} while right now it is {now} which is further in the future than the tolerated delay of 300000 milliseconds."
    )]
    ExpiredIterator { created: String, now: String },
    #[error("The requested token has expired.")]
    ExpiredNextToken,
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceInUse(String),
    /// A resource policy refuses the request.
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    ProvisionedThroughputExceeded(String),
    /// A key store error, named as AWS KMS names it (KMSNotFoundException, ...).
    #[error("{message}")]
    Kms { kind: &'static str, message: String },
    #[error("internal failure: {0}")]
    Storage(#[from] StorageError),
}

pub type Result<T, E = StreamsError> = std::result::Result<T, E>;
