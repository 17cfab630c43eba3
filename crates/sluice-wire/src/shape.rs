//! Request bodies checked against the service model (botocore's, without its documentation:
//! `models/*.json`, written by `scripts/wire-models.py`): a member whose JSON value has the
//! wrong type gets the SerializationException text AWS's Java front end sends ("class
//! java.lang.Boolean can not be converted to an String", "Expected list or null", ...).
//!
//! The typed decoders run first; this walk runs only when one of them refuses a body, to find
//! the member AWS would have named, so the happy path costs nothing.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Deserialize)]
pub struct Model {
    /// Operation name to its input shape.
    pub operations: HashMap<String, String>,
    pub shapes: HashMap<String, Shape>,
}

#[derive(Deserialize)]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub members: ordered::Members,
    pub member: Option<String>,
    pub value: Option<String>,
}

/// Members in the model's order (a `Vec`, since serde_json's map does not keep order here).
mod ordered {
    use serde::de::{Deserializer, MapAccess, Visitor};

    #[derive(Default)]
    pub struct Members(pub Vec<(String, String)>);

    impl<'de> serde::Deserialize<'de> for Members {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Members;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a map of member names to shape names")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = map.next_entry::<String, String>()? {
                        out.push((k, v));
                    }
                    Ok(Members(out))
                }
            }
            d.deserialize_map(V)
        }
    }
}

/// The Kinesis Data Streams model (2013-12-02).
pub static KINESIS: LazyLock<Model> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../models/kinesis.json"))
        .expect("models/kinesis.json is valid (it is written by scripts/wire-models.py)")
});

impl Model {
    /// The SerializationException text for the first member of `body` (an operation's input)
    /// whose value has a type the model does not allow, if there is one.
    pub fn type_error(&self, operation: &str, body: &Value) -> Option<String> {
        let input = self.operations.get(operation)?;
        self.check(input, body).err()
    }

    fn check(&self, shape_name: &str, v: &Value) -> Result<(), String> {
        let Some(shape) = self.shapes.get(shape_name) else {
            return Ok(());
        };
        if v.is_null() {
            return Ok(());
        }
        let list = || "Start of list found where not expected".to_owned();
        let map = || "Start of structure or map found where not expected.".to_owned();
        const NUMBER: &str = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
        match shape.kind.as_str() {
            "string" => match v {
                Value::Bool(_) => {
                    Err("class java.lang.Boolean can not be converted to an String".into())
                }
                Value::Number(_) => Err(format!("{NUMBER} can not be converted to an String")),
                Value::Array(_) => Err(list()),
                Value::Object(_) => Err(map()),
                _ => Ok(()),
            },
            "boolean" => match v {
                Value::String(s) => Err(format!(
                    "'{}' can not be converted to an Boolean",
                    s.to_uppercase()
                )),
                Value::Number(_) => Err(format!("{NUMBER} can not be converted to an Boolean")),
                Value::Array(_) => Err(list()),
                Value::Object(_) => Err(map()),
                _ => Ok(()),
            },
            kind @ ("integer" | "long") => {
                let java = if kind == "integer" { "Integer" } else { "Long" };
                match v {
                    Value::String(_) => Err(format!(
                        "class java.lang.String can not be converted to an {java}"
                    )),
                    Value::Bool(_) => Err(format!(
                        "class java.lang.Boolean can not be converted to an {java}"
                    )),
                    Value::Array(_) => Err(list()),
                    Value::Object(_) => Err(map()),
                    _ => Ok(()),
                }
            }
            "timestamp" => match v {
                Value::String(_) => Err(
                    "class java.lang.String can not be converted to milliseconds since epoch"
                        .into(),
                ),
                Value::Bool(_) => Err(
                    "class java.lang.Boolean can not be converted to milliseconds since epoch"
                        .into(),
                ),
                Value::Array(_) => Err(list()),
                Value::Object(_) => Err(map()),
                _ => Ok(()),
            },
            "blob" => match v {
                Value::Bool(_) => {
                    Err("class java.lang.Boolean can not be converted to a Blob".into())
                }
                Value::Number(_) => Err(format!("{NUMBER} can not be converted to a Blob")),
                Value::Array(_) => Err(list()),
                Value::Object(_) => Err(map()),
                Value::String(s) => base64_error(s).map_or(Ok(()), Err),
                _ => Ok(()),
            },
            "list" => match v {
                Value::Array(items) => {
                    let member = shape.member.as_deref().unwrap_or("");
                    items.iter().try_for_each(|item| self.check(member, item))
                }
                Value::Object(_) => Err(map()),
                _ => Err("Expected list or null".into()),
            },
            "map" => match v {
                Value::Object(entries) => {
                    let value = shape.value.as_deref().unwrap_or("");
                    entries
                        .values()
                        .try_for_each(|item| self.check(value, item))
                }
                Value::Array(_) => Err(list()),
                _ => Err("Expected map or null".into()),
            },
            "structure" => match v {
                Value::Object(fields) => shape.members.0.iter().try_for_each(|(name, member)| {
                    fields.get(name).map_or(Ok(()), |f| self.check(member, f))
                }),
                Value::Array(_) => Err(list()),
                _ => Err("Expected null".into()),
            },
            _ => Ok(()),
        }
    }
}

/// Why AWS's Base64 decoder refuses this text, in its words; `None` if it is valid.
pub fn base64_error(s: &str) -> Option<String> {
    let len = s.chars().count();
    if !len.is_multiple_of(4) {
        return Some(format!(
            "'{s}' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: {len}"
        ));
    }
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let alphabet = b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        // Padding only at the end: `=` must be followed by nothing but `=`.
        let bad_pad = b == b'=' && bytes.get(i + 1).is_some_and(|&n| n != b'=');
        if !(alphabet || b == b'=') || bad_pad {
            let c = s[i..].chars().next().unwrap_or('?');
            return Some(format!(
                "'{s}' can not be converted to a Blob: Invalid Base64 character: '{c}'"
            ));
        }
    }
    use base64::Engine;
    let canonical = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map(|d| base64::engine::general_purpose::STANDARD.encode(d) == s)
        .unwrap_or(false);
    if !canonical {
        return Some(format!(
            "'{s}' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_operation_names_a_shape_of_the_model() {
        for (op, input) in &KINESIS.operations {
            assert!(KINESIS.shapes.contains_key(input), "{op}: {input}");
        }
        assert!(KINESIS.operations.len() >= 39);
    }

    #[test]
    fn wrong_types_get_the_java_front_end_texts() {
        let m = &*KINESIS;
        let cases = [
            (
                "PutRecord",
                json!({"StreamName": true}),
                "class java.lang.Boolean can not be converted to an String",
            ),
            (
                "PutRecord",
                json!({"PartitionKey": 23}),
                "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
            ),
            (
                "PutRecord",
                json!({"Data": "23456"}),
                "'23456' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 5",
            ),
            (
                "PutRecord",
                json!({"Data": "=+/="}),
                "'=+/=' can not be converted to a Blob: Invalid Base64 character: '='",
            ),
            (
                "PutRecord",
                json!({"Data": "+/+="}),
                "'+/+=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected",
            ),
            (
                "CreateStream",
                json!({"ShardCount": "23"}),
                "class java.lang.String can not be converted to an Integer",
            ),
            (
                "PutRecords",
                json!({"Records": {}}),
                "Start of structure or map found where not expected.",
            ),
            (
                "PutRecords",
                json!({"Records": 23}),
                "Expected list or null",
            ),
            (
                "PutRecords",
                json!({"Records": [{"Data": []}]}),
                "Start of list found where not expected",
            ),
            (
                "AddTagsToStream",
                json!({"Tags": [1]}),
                "Start of list found where not expected",
            ),
            (
                "AddTagsToStream",
                json!({"Tags": {"a": 1}}),
                "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
            ),
            ("ListShards", json!({"ShardFilter": "x"}), "Expected null"),
            (
                "GetShardIterator",
                json!({"Timestamp": "x"}),
                "class java.lang.String can not be converted to milliseconds since epoch",
            ),
            (
                "EnableEnhancedMonitoring",
                json!({"ShardLevelMetrics": [true]}),
                "class java.lang.Boolean can not be converted to an String",
            ),
        ];
        for (op, body, want) in cases {
            assert_eq!(
                m.type_error(op, &body).as_deref(),
                Some(want),
                "{op} {body}"
            );
        }
        assert_eq!(
            m.type_error(
                "PutRecord",
                &json!({"StreamName": "s", "Data": "AAAA", "Other": 1})
            ),
            None
        );
        assert_eq!(
            m.type_error("PutRecord", &json!({"StreamName": null})),
            None
        );
    }
}
