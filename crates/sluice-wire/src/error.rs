//! Error bodies as AWS sends them, and the one place where domain errors become AWS errors.

use crate::Protocol;
use serde::Serialize;
use sluice_streams::StreamsError;

/// An error ready for the wire: AWS's `__type`, the HTTP status and the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {}", message.as_deref().unwrap_or(""))]
pub struct WireError {
    pub kind: &'static str,
    pub status: u16,
    pub message: Option<String>,
}

impl WireError {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: 400,
            message: Some(message.into()),
        }
    }

    pub fn bare(kind: &'static str) -> Self {
        Self {
            kind,
            status: 400,
            message: None,
        }
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new("InvalidArgumentException", message)
    }

    pub fn unknown_operation() -> Self {
        Self::bare("UnknownOperationException")
    }

    pub fn internal() -> Self {
        Self {
            kind: "InternalFailure",
            status: 500,
            message: None,
        }
    }

    /// A storage failure: `InternalFailure` whose message names the cause ("storage full: write
    /// segment: No space left on device", a damaged batch and its file).
    pub fn storage(e: &sluice_storage::StorageError) -> Self {
        Self {
            kind: "InternalFailure",
            status: 500,
            message: Some(e.to_string()),
        }
    }

    /// The error body in the request's protocol.
    pub fn body(&self, protocol: Protocol) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "__type")]
            kind: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            message: Option<&'a str>,
            #[serde(rename = "Message", skip_serializing_if = "Option::is_none")]
            capital_message: Option<&'a str>,
        }
        // AWS spells the member `Message` for SerializationException only.
        let (message, capital_message) = if self.kind == "SerializationException" {
            (None, self.message.as_deref())
        } else {
            (self.message.as_deref(), None)
        };
        protocol.encode(&Body {
            kind: self.kind,
            message,
            capital_message,
        })
    }
}

impl From<StreamsError> for WireError {
    fn from(e: StreamsError) -> Self {
        let message = e.to_string();
        match e {
            StreamsError::StreamNotFound { .. }
            | StreamsError::ShardNotFound { .. }
            | StreamsError::ResourceNotFound(_) => {
                WireError::new("ResourceNotFoundException", message)
            }
            StreamsError::StreamExists { .. }
            | StreamsError::StreamNotActive { .. }
            | StreamsError::ResourceInUse(_) => WireError::new("ResourceInUseException", message),
            StreamsError::LimitExceeded(_) => WireError::new("LimitExceededException", message),
            StreamsError::InvalidArgument(_) => WireError::new("InvalidArgumentException", message),
            StreamsError::Validation(_) => WireError::new("ValidationException", message),
            StreamsError::ExpiredIterator { .. } => {
                WireError::new("ExpiredIteratorException", message)
            }
            StreamsError::ExpiredNextToken => WireError::new("ExpiredNextTokenException", message),
            StreamsError::ProvisionedThroughputExceeded(_) => {
                WireError::new("ProvisionedThroughputExceededException", message)
            }
            StreamsError::Kms { kind, .. } => WireError::new(kind, message),
            StreamsError::AccessDenied(_) => WireError::new("AccessDeniedException", message),
            StreamsError::Storage(e) => WireError::storage(&e),
        }
    }
}
