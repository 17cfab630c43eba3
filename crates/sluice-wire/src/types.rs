//! Values whose encoding differs between JSON and CBOR: blobs (base64 text vs byte strings) and
//! timestamps (epoch seconds as a decimal number vs CBOR tag 1 with epoch milliseconds, as the
//! AWS SDK for Java writes and reads them).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// Binary data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blob(pub Bytes);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&STANDARD.encode(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Blob;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64 text or bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Blob, E> {
                decode_base64(v).map(Blob).map_err(E::custom)
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Blob, E> {
                Ok(Blob(Bytes::copy_from_slice(v)))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Blob, E> {
                Ok(Blob(Bytes::from(v)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Blob, A::Error> {
                // CBOR indefinite-length byte strings may arrive as a sequence of bytes.
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Blob(Bytes::from(out)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Base64 as AWS accepts it, with AWS's error texts.
fn decode_base64(v: &str) -> Result<Bytes, String> {
    if !v.len().is_multiple_of(4) {
        return Err(format!(
            "'{v}' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            v.len()
        ));
    }
    STANDARD
        .decode(v)
        .map(Bytes::from)
        .map_err(|e| format!("'{v}' can not be converted to a Blob: {e}"))
}

/// A point in time, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_f64(self.0 as f64 / 1000.0)
        } else {
            ciborium::tag::Required::<i64, 1>(self.0).serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            struct V;
            impl Visitor<'_> for V {
                type Value = Timestamp;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("epoch seconds")
                }
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
                    Ok(Timestamp((v * 1000.0).round() as i64))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
                    Ok(Timestamp(v.saturating_mul(1000)))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
                    Ok(Timestamp(
                        i64::try_from(v)
                            .unwrap_or(i64::MAX / 1000)
                            .saturating_mul(1000),
                    ))
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                    v.parse::<f64>()
                        .map(|f| Timestamp((f * 1000.0).round() as i64))
                        .map_err(|_| E::custom("class java.lang.String can not be converted to milliseconds since epoch"))
                }
            }
            d.deserialize_any(V)
        } else {
            // CBOR: tag 1 with integer milliseconds (the SDKs' convention); untagged integers are
            // milliseconds too, floats seconds.
            let value = ciborium::Value::deserialize(d)?;
            let inner = match value {
                ciborium::Value::Tag(_, inner) => *inner,
                other => other,
            };
            match inner {
                ciborium::Value::Integer(i) => i64::try_from(i128::from(i))
                    .map(Timestamp)
                    .map_err(|_| de::Error::custom("timestamp out of range")),
                ciborium::Value::Float(f) => Ok(Timestamp((f * 1000.0).round() as i64)),
                _ => Err(de::Error::custom(
                    "can not be converted to milliseconds since epoch",
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Protocol;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct S {
        b: Blob,
        t: Timestamp,
    }

    #[test]
    fn json_forms() {
        let s = S {
            b: Blob(Bytes::from_static(b"hi")),
            t: Timestamp(1_700_000_000_123),
        };
        let json = String::from_utf8(Protocol::Json.encode(&s)).expect("utf8");
        assert_eq!(json, r#"{"b":"aGk=","t":1700000000.123}"#);
        assert_eq!(
            Protocol::Json.decode::<S>(json.as_bytes()).expect("decode"),
            s
        );
        assert!(Protocol::Json.decode::<S>(br#"{"b":"abc","t":1}"#).is_err());
    }

    #[test]
    fn cbor_forms() {
        let s = S {
            b: Blob(Bytes::from_static(b"hi")),
            t: Timestamp(1_700_000_000_123),
        };
        let bytes = Protocol::Cbor.encode(&s);
        // "t" is tag 1 (0xc1) followed by a 64-bit unsigned integer of milliseconds.
        let pos = bytes
            .windows(2)
            .position(|w| w == [0x61, b't'])
            .expect("key t");
        assert_eq!(bytes[pos + 2], 0xc1);
        assert_eq!(Protocol::Cbor.decode::<S>(&bytes).expect("decode"), s);
        // Blob as a CBOR byte string.
        assert!(bytes.windows(3).any(|w| w == [0x42, b'h', b'i']));
    }
}
