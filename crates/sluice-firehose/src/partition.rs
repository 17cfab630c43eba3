//! Dynamic partitioning: the MetadataExtraction processor's jq query (run by jaq) gives each
//! record its partition keys, `!{partitionKeyFromQuery:KEY}` in the prefix names them, and each
//! buffer is delivered as one object per distinct set of keys.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
use jaq_json::Val;
use std::collections::BTreeMap;

/// A record's partition keys, in key order.
pub type Keys = BTreeMap<String, String>;

/// A compiled MetadataExtractionQuery.
pub struct Query {
    filter: jaq_core::Filter<data::JustLut<Val>>,
}

impl Query {
    /// Parses and compiles `code`; the message is the InvalidArgumentException text.
    pub fn compile(code: &str) -> Result<Self, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|e| format!("MetadataExtractionQuery {code:?} does not parse: {e:?}"))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|e| format!("MetadataExtractionQuery {code:?} does not compile: {e:?}"))?;
        Ok(Self { filter })
    }

    /// The keys the query gives a record: its first output must be an object of scalars.
    pub fn keys(&self, record: &[u8]) -> Result<Keys, String> {
        let input = jaq_json::read::parse_single(record)
            .map_err(|e| format!("the record is not JSON: {e}"))?;
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let out = self
            .filter
            .id
            .run((ctx, input))
            .map(unwrap_valr)
            .next()
            .ok_or("the query gave no output")?
            .map_err(|e| format!("the query failed: {e}"))?;
        let text = out.to_string();
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("the query's output {text}: {e}"))?;
        let serde_json::Value::Object(obj) = v else {
            return Err(format!("the query's output {text} is not an object"));
        };
        let mut keys = Keys::new();
        for (k, v) in obj {
            let s = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => {
                    return Err(format!("partition key {k} is null"));
                }
                serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                    return Err(format!("partition key {k} is not a scalar"));
                }
                other => other.to_string(),
            };
            keys.insert(k, s);
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_gives_each_record_its_keys() {
        let q = Query::compile("{customer_id: .customer.id, year: .ts[0:4], n: .n}").unwrap();
        let k = q
            .keys(br#"{"customer":{"id":"c-1"},"ts":"2024-05-06","n":7}"#)
            .unwrap();
        assert_eq!(
            k.into_iter().collect::<Vec<_>>(),
            vec![
                ("customer_id".into(), "c-1".into()),
                ("n".into(), "7".into()),
                ("year".into(), "2024".into())
            ]
        );
        assert!(q.keys(b"not json").is_err());
        assert!(q.keys(br#"{"ts":"2024"}"#).is_err(), "null key");
        assert!(Query::compile("{a: .x").is_err());
    }
}
