//! The Kinesis Producer Library's aggregated record format, which Firehose de-aggregates when it
//! reads a data stream: the magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, and the MD5 of the
//! protobuf bytes. A record that does not match all three is an ordinary record.

use md5::{Digest, Md5};
use prost::Message;

const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];

#[derive(Clone, PartialEq, Message)]
struct AggregatedRecord {
    #[prost(string, repeated, tag = "1")]
    partition_key_table: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    explicit_hash_key_table: Vec<String>,
    #[prost(message, repeated, tag = "3")]
    records: Vec<Record>,
}

#[derive(Clone, PartialEq, Message)]
struct Record {
    #[prost(uint64, tag = "1")]
    partition_key_index: u64,
    #[prost(uint64, optional, tag = "2")]
    explicit_hash_key_index: Option<u64>,
    #[prost(bytes = "vec", tag = "3")]
    data: Vec<u8>,
}

/// The user records of an aggregated record, as (partition key, data); `None` if `data` is not
/// one.
pub fn deaggregate(data: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    if data.len() < MAGIC.len() + 16 || data[..4] != MAGIC {
        return None;
    }
    let (body, digest) = data[4..].split_at(data.len() - 4 - 16);
    if Md5::digest(body).as_slice() != digest {
        return None;
    }
    let agg = AggregatedRecord::decode(body).ok()?;
    agg.records
        .into_iter()
        .map(|r| {
            let key = agg
                .partition_key_table
                .get(usize::try_from(r.partition_key_index).ok()?)?
                .clone();
            Some((key, r.data))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aggregate(records: &[(&str, &[u8])]) -> Vec<u8> {
        let mut keys: Vec<String> = Vec::new();
        let mut recs = Vec::new();
        for (k, d) in records {
            let i = keys.iter().position(|x| x == k).unwrap_or_else(|| {
                keys.push((*k).to_owned());
                keys.len() - 1
            });
            recs.push(Record {
                partition_key_index: i as u64,
                explicit_hash_key_index: None,
                data: d.to_vec(),
            });
        }
        let body = AggregatedRecord {
            partition_key_table: keys,
            explicit_hash_key_table: Vec::new(),
            records: recs,
        }
        .encode_to_vec();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&body);
        out.extend_from_slice(&Md5::digest(&body));
        out
    }

    #[test]
    fn aggregated_records_come_apart() {
        let agg = aggregate(&[("a", b"one"), ("b", b"two"), ("a", b"three")]);
        assert_eq!(
            deaggregate(&agg).unwrap(),
            vec![
                ("a".to_owned(), b"one".to_vec()),
                ("b".to_owned(), b"two".to_vec()),
                ("a".to_owned(), b"three".to_vec())
            ]
        );
    }

    #[test]
    fn anything_else_is_an_ordinary_record() {
        assert!(deaggregate(b"plain data that is long enough").is_none());
        let mut agg = aggregate(&[("a", b"one")]);
        let n = agg.len();
        agg[n - 1] ^= 1; // bad digest
        assert!(deaggregate(&agg).is_none());
        let mut short = MAGIC.to_vec();
        short.extend_from_slice(&[0; 15]);
        assert!(deaggregate(&short).is_none());
    }
}
