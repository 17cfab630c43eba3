//! Server-side encryption of records at rest (StartStreamEncryption): AES-256-GCM with keys from
//! a local key store, named by KeyId as AWS KMS keys are.
//!
//! The key store has the key owned by the service, `alias/aws/kinesis`, made on first start and
//! kept in the metadata store, plus the keys the operator configures (`--kms-key NAME=BASE64`);
//! those are never written to disk by Sluice, so records encrypted with one can be read only
//! while the server is given it. Each key gets a number, kept in the metadata store, that an
//! encrypted record names.
//!
//! An encrypted record is stored with key `0xFF, 1, key number (u32 BE), nonce (12 bytes),
//! partition key` and value `AES-256-GCM(data)` (ciphertext and tag), the partition key being the
//! associated data. A partition key is UTF-8 and no UTF-8 text starts with `0xFF`, so a stored
//! key says by itself whether its record is encrypted; records written before encryption started
//! stay as they are and readable. The nonce is random per record.

use crate::error::{Result, StreamsError};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sluice_storage::{MetaOp, MetaStore, StorageError};
use std::collections::HashMap;

pub const KEYS_TABLE: &str = "kms_keys";
/// The key owned by the service (AWS: "Master key owned by Kinesis Data Streams").
pub const MANAGED_KEY: &str = "alias/aws/kinesis";
const MARK: u8 = 0xFF;
const VERSION: u8 = 1;
const HEADER: usize = 2 + 4 + 12;

/// What the metadata store keeps per key: its number, and the material of the managed key only.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyEntry {
    number: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    material: Option<String>,
}

/// The name a KeyId stands for: `alias/NAME` or a key id; ARNs (`arn:aws:kms:…:key/ID`,
/// `arn:aws:kms:…:alias/NAME`) are reduced to those.
pub fn normalize_key_id(key_id: &str) -> String {
    if let Some(rest) = key_id.strip_prefix("arn:")
        && let Some(resource) = rest.splitn(5, ':').nth(4)
    {
        return match resource.strip_prefix("key/") {
            Some(id) => id.to_owned(),
            None => resource.to_owned(),
        };
    }
    key_id.to_owned()
}

/// Whether a stored key is that of a sealed record.
pub fn is_sealed(key: &[u8]) -> bool {
    key.first() == Some(&MARK)
}

pub struct KeyStore {
    by_name: HashMap<String, u32>,
    ciphers: HashMap<u32, Aes256Gcm>,
}

impl KeyStore {
    /// Loads the key numbers, makes the managed key on first use, and numbers the configured keys.
    pub fn open(meta: &dyn MetaStore, configured: &[(String, [u8; 32])]) -> Result<Self> {
        let mut entries: HashMap<String, KeyEntry> = HashMap::new();
        for (name, value) in meta.scan(KEYS_TABLE)? {
            let e: KeyEntry = serde_json::from_slice(&value).map_err(|e| {
                StorageError::Fatal(format!("key store entry {name} unreadable: {e}"))
            })?;
            entries.insert(name, e);
        }
        let mut next = entries.values().map(|e| e.number + 1).max().unwrap_or(1);
        let mut ops = Vec::new();
        let mut add =
            |name: &str, material: Option<String>, entries: &mut HashMap<String, KeyEntry>| {
                let e = KeyEntry {
                    number: next,
                    material,
                };
                next += 1;
                ops.push(MetaOp::Put {
                    table: KEYS_TABLE.into(),
                    key: name.to_owned(),
                    value: serde_json::to_vec(&e).unwrap_or_default(),
                });
                entries.insert(name.to_owned(), e);
            };
        if !entries.contains_key(MANAGED_KEY) {
            let material: [u8; 32] = rand::random();
            add(MANAGED_KEY, Some(STANDARD.encode(material)), &mut entries);
        }
        for (name, _) in configured {
            let name = normalize_key_id(name);
            if !entries.contains_key(&name) {
                add(&name, None, &mut entries);
            }
        }
        if !ops.is_empty() {
            meta.commit(ops).map_err(|e| {
                StreamsError::Storage(StorageError::Fatal(format!("saving the key store: {e:?}")))
            })?;
        }
        let mut by_name = HashMap::new();
        let mut ciphers = HashMap::new();
        let configured: HashMap<String, &[u8; 32]> = configured
            .iter()
            .map(|(n, k)| (normalize_key_id(n), k))
            .collect();
        for (name, e) in &entries {
            let material = match (&e.material, configured.get(name)) {
                (_, Some(k)) => Some(k.to_vec()),
                (Some(m), None) => STANDARD.decode(m).ok(),
                (None, None) => None,
            };
            if let Some(m) = material
                && let Ok(cipher) = Aes256Gcm::new_from_slice(&m)
            {
                ciphers.insert(e.number, cipher);
                by_name.insert(name.clone(), e.number);
            }
        }
        Ok(Self { by_name, ciphers })
    }

    /// The number of the key `key_id` names, if the store has it.
    pub fn resolve(&self, key_id: &str) -> Result<u32> {
        self.by_name
            .get(&normalize_key_id(key_id))
            .copied()
            .ok_or_else(|| StreamsError::Kms {
                kind: "KMSNotFoundException",
                message: format!("Invalid keyId {key_id}"),
            })
    }

    /// The stored key and value of a record encrypted with key `number`.
    pub fn seal(&self, number: u32, partition_key: &[u8], data: &[u8]) -> Result<(Bytes, Bytes)> {
        let cipher = self.ciphers.get(&number).ok_or_else(|| missing(number))?;
        let nonce: [u8; 12] = rand::random();
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: data,
                    aad: partition_key,
                },
            )
            .map_err(|_| StreamsError::Storage(StorageError::Fatal("encryption failed".into())))?;
        let mut key = Vec::with_capacity(HEADER + partition_key.len());
        key.extend_from_slice(&[MARK, VERSION]);
        key.extend_from_slice(&number.to_be_bytes());
        key.extend_from_slice(&nonce);
        key.extend_from_slice(partition_key);
        Ok((Bytes::from(key), Bytes::from(sealed)))
    }

    /// The partition key and data of a stored record, and whether it was encrypted.
    pub fn open_record(&self, key: &Bytes, value: Bytes) -> Result<(String, Bytes, bool)> {
        if key.first() != Some(&MARK) {
            return Ok((String::from_utf8_lossy(key).into_owned(), value, false));
        }
        let corrupt =
            || StreamsError::Storage(StorageError::Fatal("encrypted record unreadable".into()));
        if key.len() < HEADER || key[1] != VERSION {
            return Err(corrupt());
        }
        let number = u32::from_be_bytes([key[2], key[3], key[4], key[5]]);
        let cipher = self.ciphers.get(&number).ok_or_else(|| missing(number))?;
        let partition_key = &key[HEADER..];
        let data = cipher
            .decrypt(
                Nonce::from_slice(&key[6..HEADER]),
                Payload {
                    msg: &value,
                    aad: partition_key,
                },
            )
            .map_err(|_| corrupt())?;
        Ok((
            String::from_utf8_lossy(partition_key).into_owned(),
            Bytes::from(data),
            true,
        ))
    }
}

fn missing(number: u32) -> StreamsError {
    StreamsError::Kms {
        kind: "KMSNotFoundException",
        message: format!(
            "The key (number {number} in the key store) that encrypted these records is not configured."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_storage::MemoryMetaStore;

    #[test]
    fn round_trip_tamper_and_plain_records() {
        let meta = MemoryMetaStore::default();
        let store = KeyStore::open(&meta, &[("alias/mine".into(), [7u8; 32])]).expect("open");
        let n = store
            .resolve("arn:aws:kms:us-east-1:000000000000:alias/mine")
            .expect("resolve");
        let (k, v) = store.seal(n, b"pk", b"secret").expect("seal");
        assert!(!v.windows(6).any(|w| w == b"secret"));
        let (pk, data, enc) = store.open_record(&k, v.clone()).expect("open");
        assert_eq!((pk.as_str(), &data[..], enc), ("pk", &b"secret"[..], true));
        let mut bad = v.to_vec();
        bad[0] ^= 1;
        assert!(store.open_record(&k, Bytes::from(bad)).is_err());
        let (pk, data, enc) = store
            .open_record(&Bytes::from_static(b"plain"), Bytes::from_static(b"x"))
            .expect("plain");
        assert_eq!((pk.as_str(), &data[..], enc), ("plain", &b"x"[..], false));
        assert!(store.resolve("alias/other").is_err());
        assert!(store.resolve(MANAGED_KEY).is_ok());
    }

    #[test]
    fn the_managed_key_and_numbers_survive_a_reopen_and_configured_keys_are_not_stored() {
        let meta = MemoryMetaStore::default();
        let a = KeyStore::open(&meta, &[("k1".into(), [1u8; 32])]).expect("open");
        let managed = a.resolve(MANAGED_KEY).expect("managed");
        let (k, v) = a.seal(managed, b"p", b"d").expect("seal");
        let (k1, v1) = a
            .seal(a.resolve("k1").expect("k1"), b"p", b"d")
            .expect("seal");
        // Reopened without k1: the managed key still decrypts, k1's records do not.
        let b = KeyStore::open(&meta, &[]).expect("reopen");
        assert_eq!(
            b.open_record(&k, v).expect("managed").1,
            Bytes::from_static(b"d")
        );
        assert!(matches!(
            b.open_record(&k1, v1.clone()),
            Err(StreamsError::Kms { .. })
        ));
        let c = KeyStore::open(&meta, &[("k1".into(), [1u8; 32])]).expect("reopen");
        assert_eq!(
            c.open_record(&k1, v1).expect("k1 again").1,
            Bytes::from_static(b"d")
        );
        for (_, value) in meta.scan(KEYS_TABLE).expect("scan") {
            let text = String::from_utf8(value).expect("json");
            assert!(
                !text.contains(&STANDARD.encode([1u8; 32])),
                "configured key stored: {text}"
            );
        }
    }
}
