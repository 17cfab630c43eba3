//! The JSON body of a GetRecords answer, written directly. It is the largest answer the service
//! sends (up to 10,000 records and 10 MiB of data, base64 in JSON), and the generic serializer
//! spends most of its time making a `String` per record and then scanning it for characters to
//! escape that base64 never contains. Here base64 goes straight into the output; every other
//! field still goes through `serde_json`, so the two forms are identical (a test checks it).

use super::records::GetRecordsResponse;
use crate::Protocol;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

impl GetRecordsResponse {
    /// The answer's body in protocol `p`.
    pub fn encode(&self, p: Protocol) -> Vec<u8> {
        match p {
            Protocol::Cbor => p.encode(self),
            Protocol::Json => self.to_json(),
        }
    }

    fn to_json(&self) -> Vec<u8> {
        let size: usize = self
            .records
            .iter()
            .map(|r| r.data.0.len().div_ceil(3) * 4 + r.partition_key.len() + 160)
            .sum();
        let mut out = Vec::with_capacity(size + 1024);
        out.extend_from_slice(b"{\"Records\":[");
        for (i, r) in self.records.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"SequenceNumber\":");
            json(&mut out, &r.sequence_number);
            out.extend_from_slice(b",\"ApproximateArrivalTimestamp\":");
            json(&mut out, &r.approximate_arrival_timestamp);
            out.extend_from_slice(b",\"Data\":\"");
            let start = out.len();
            out.resize(start + r.data.0.len().div_ceil(3) * 4, 0);
            let written = STANDARD
                .encode_slice(&r.data.0, &mut out[start..])
                .unwrap_or(0);
            out.truncate(start + written);
            out.extend_from_slice(b"\",\"PartitionKey\":");
            json(&mut out, &r.partition_key);
            out.extend_from_slice(b",\"EncryptionType\":");
            json(&mut out, r.encryption_type);
            out.push(b'}');
        }
        out.push(b']');
        if let Some(next) = &self.next_shard_iterator {
            out.extend_from_slice(b",\"NextShardIterator\":");
            json(&mut out, next);
        }
        out.extend_from_slice(b",\"MillisBehindLatest\":");
        json(&mut out, &self.millis_behind_latest);
        if let Some(children) = &self.child_shards {
            out.extend_from_slice(b",\"ChildShards\":");
            json(&mut out, children);
        }
        out.push(b'}');
        out
    }
}

fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing into a Vec cannot fail, and these shapes always serialize.
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinesis::control::HashKeyRangeOut;
    use crate::kinesis::records::{ChildShardOut, RecordOut};
    use crate::types::{Blob, Timestamp};
    use bytes::Bytes;

    fn record(data: &[u8], key: &str) -> RecordOut {
        RecordOut {
            sequence_number: "4900000000000000000000000000000042".into(),
            approximate_arrival_timestamp: Timestamp(1_790_000_000_123),
            data: Blob(Bytes::copy_from_slice(data)),
            partition_key: key.into(),
            encryption_type: "NONE",
        }
    }

    #[test]
    fn direct_json_equals_the_serde_form() {
        let cases = vec![
            GetRecordsResponse {
                records: vec![],
                next_shard_iterator: Some("AAAA+/=".into()),
                millis_behind_latest: 0,
                child_shards: None,
            },
            GetRecordsResponse {
                records: vec![
                    record(b"", "plain"),
                    record(b"a", "quote \" and \\ backslash"),
                    record(b"ab", "tab\tnew\nline \u{1} ctl"),
                    record(&[0, 255, 254, 1, 2, 3, 4], "unicode é ☃ 😀"),
                    record(&(0..=255).collect::<Vec<u8>>(), "k"),
                ],
                next_shard_iterator: None,
                millis_behind_latest: 12345,
                child_shards: Some(vec![ChildShardOut {
                    shard_id: "shardId-000000000002".into(),
                    parent_shards: vec!["shardId-000000000000".into()],
                    hash_key_range: HashKeyRangeOut {
                        starting_hash_key: "0".into(),
                        ending_hash_key: "340282366920938463463374607431768211455".into(),
                    },
                }]),
            },
        ];
        for case in cases {
            let direct = case.encode(Protocol::Json);
            let serde = serde_json::to_vec(&case).expect("serde");
            assert_eq!(
                String::from_utf8(direct).expect("utf8"),
                String::from_utf8(serde).expect("utf8")
            );
        }
    }
}
