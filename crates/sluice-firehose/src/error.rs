//! The errors of the Firehose operations. Each variant becomes exactly one AWS error in the wire
//! crate (`sluice-wire/src/firehose/mod.rs`); the texts are AWS's.

use sluice_storage::StorageError;

pub type Result<T, E = FirehoseError> = std::result::Result<T, E>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum FirehoseError {
    #[error("Firehose {name} under account {account} not found.")]
    NotFound { name: String, account: String },
    #[error("Firehose {name} under accountId {account} already exists.")]
    AlreadyExists { name: String, account: String },
    #[error("Firehose {name} under account {account} is in {status} state.")]
    InUse {
        name: String,
        account: String,
        status: &'static str,
    },
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error(
        "Request version id does not match the current version id {current} of Firehose {name}."
    )]
    VersionMismatch { name: String, current: u64 },
    /// A KMS key could not be used (AWS: InvalidKMSResourceException, with KMS's error code).
    #[error("{message}")]
    InvalidKmsResource { code: &'static str, message: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}
