//! Video Streams errors, named as the `kinesisvideo` model names them.

use sluice_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceInUse(String),
    #[error("{0}")]
    VersionMismatch(String),
    #[error("{0}")]
    AccountStreamLimitExceeded(String),
    #[error("{0}")]
    TagsPerResourceExceededLimit(String),
    #[error("{0}")]
    NoDataRetention(String),
    #[error("{0}")]
    NotAuthorized(String),
    #[error("{0}")]
    ClientLimitExceeded(String),
    #[error("{0}")]
    UnsupportedStreamMediaType(String),
    #[error("{0}")]
    MissingCodecPrivateData(String),
    #[error("{0}")]
    InvalidCodecPrivateData(String),
    #[error("{0}")]
    InvalidMediaFrame(String),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("metadata: {0}")]
    Meta(String),
}

pub type Result<T, E = VideoError> = std::result::Result<T, E>;

impl From<sluice_storage::MetaTxnError> for VideoError {
    fn from(e: sluice_storage::MetaTxnError) -> Self {
        VideoError::Meta(e.to_string())
    }
}
