//! The wire: a pure codec between AWS's JSON 1.1 / CBOR bodies and Sluice's domain types.
//! Only this crate knows AWS shapes, member names, `__type` names and validation messages. It does
//! no I/O: the server hands it bytes and gets bytes back.

pub mod analytics;
pub mod error;
pub mod firehose;
pub mod kinesis;
pub mod types;
pub mod validate;
pub mod video;

pub use error::WireError;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The body encoding of a request (and of its response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json,
    Cbor,
}

impl Protocol {
    pub const JSON_CONTENT_TYPE: &'static str = "application/x-amz-json-1.1";
    pub const CBOR_CONTENT_TYPE: &'static str = "application/x-amz-cbor-1.1";

    /// From a Content-Type header value; `None` if it names neither protocol.
    pub fn from_content_type(value: &str) -> Option<Self> {
        match value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "application/x-amz-json-1.1" | "application/x-amz-json-1.0" | "application/json" => {
                Some(Protocol::Json)
            }
            "application/x-amz-cbor-1.1" | "application/cbor" => Some(Protocol::Cbor),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Protocol::Json => Self::JSON_CONTENT_TYPE,
            Protocol::Cbor => Self::CBOR_CONTENT_TYPE,
        }
    }

    /// Decodes a request body into a shape. An empty body reads as an empty object.
    pub fn decode<T: DeserializeOwned>(self, body: &[u8]) -> Result<T, WireError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            match self {
                Protocol::Json => &b"{}"[..],
                Protocol::Cbor => &[0xa0][..],
            }
        } else {
            body
        };
        match self {
            Protocol::Json => {
                serde_json::from_slice(body).map_err(|e| WireError::serialization(json_message(&e)))
            }
            Protocol::Cbor => {
                ciborium::from_reader(body).map_err(|e| WireError::serialization(e.to_string()))
            }
        }
    }

    /// Encodes a response shape.
    pub fn encode<T: Serialize>(self, value: &T) -> Vec<u8> {
        match self {
            Protocol::Json => serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec()),
            Protocol::Cbor => {
                let mut out = Vec::new();
                if ciborium::into_writer(value, &mut out).is_err() {
                    out = vec![0xa0];
                }
                out
            }
        }
    }
}

fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    // serde's wording, without the position suffix AWS does not send.
    match text.find(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}
