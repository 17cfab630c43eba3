//! The wire: a pure codec between AWS's JSON 1.1 / CBOR bodies and Sluice's domain types.
//! Only this crate knows AWS shapes, member names, `__type` names and validation messages. It does
//! no I/O: the server hands it bytes and gets bytes back.

pub mod analytics;
pub mod error;
pub mod firehose;
pub mod kinesis;
pub mod shape;
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
        let decoded = match self {
            Protocol::Json => {
                serde_json::from_slice(body).map_err(|e| WireError::serialization(json_message(&e)))
            }
            Protocol::Cbor => {
                ciborium::from_reader(body).map_err(|e| WireError::serialization(e.to_string()))
            }
        };
        // A body that is not one object at all has no message, as AWS answers it.
        decoded.map_err(|e| {
            if self.is_object(body) {
                e
            } else {
                WireError::bare("SerializationException")
            }
        })
    }

    /// Whether a body is one well-formed object (a JSON object, a CBOR map), as AWS requires
    /// before it looks at the operation.
    pub fn is_object(self, body: &[u8]) -> bool {
        match self {
            Protocol::Json => {
                body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
                    && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
            }
            Protocol::Cbor => {
                // Major type 5 (map), possibly behind tags (major type 6).
                let mut i = 0;
                while body.get(i).is_some_and(|b| b >> 5 == 6) {
                    i += 1 + match body[i] & 0x1f {
                        24 => 1,
                        25 => 2,
                        26 => 4,
                        27 => 8,
                        _ => 0,
                    };
                }
                body.get(i).is_some_and(|b| b >> 5 == 5)
                    && ciborium::from_reader::<serde::de::IgnoredAny, _>(body).is_ok()
            }
        }
    }

    /// A body as a JSON value (CBOR byte strings become Base64 text, as in JSON), for checks
    /// that walk it; `Null` if it does not parse.
    pub fn to_value(self, body: &[u8]) -> serde_json::Value {
        match self {
            Protocol::Json => serde_json::from_slice(body).unwrap_or_default(),
            Protocol::Cbor => ciborium::from_reader::<ciborium::Value, _>(body)
                .map(cbor_to_json)
                .unwrap_or_default(),
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

fn cbor_to_json(v: ciborium::Value) -> serde_json::Value {
    use base64::Engine;
    use ciborium::Value as C;
    use serde_json::Value as J;
    match v {
        C::Integer(i) => J::from(i128::from(i) as f64),
        C::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        C::Bytes(b) => J::String(base64::engine::general_purpose::STANDARD.encode(b)),
        C::Text(t) => J::String(t),
        C::Bool(b) => J::Bool(b),
        C::Tag(_, inner) => cbor_to_json(*inner),
        C::Array(items) => J::Array(items.into_iter().map(cbor_to_json).collect()),
        C::Map(entries) => J::Object(
            entries
                .into_iter()
                .filter_map(|(k, v)| match k {
                    C::Text(k) => Some((k, cbor_to_json(v))),
                    _ => None,
                })
                .collect(),
        ),
        _ => J::Null,
    }
}
