//! Small transactional metadata: named tables of string keys to opaque values, changed in atomic
//! batches with optional preconditions (the shape a cluster backend such as etcd or PostgreSQL
//! offers too).

use crate::StorageError;
use parking_lot::Mutex;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaOp {
    Put {
        table: String,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        table: String,
        key: String,
    },
    /// Precondition: the key currently holds exactly `value` (`None`: is absent).
    Expect {
        table: String,
        key: String,
        value: Option<Vec<u8>>,
    },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum MetaTxnError {
    #[error("precondition failed on {table}/{key}")]
    Conflict { table: String, key: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub trait MetaStore: Send + Sync + 'static {
    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StorageError>;
    /// Every entry of a table, in key order.
    fn scan(&self, table: &str) -> Result<Vec<(String, Vec<u8>)>, StorageError>;
    /// Applies all operations atomically and durably, or none of them.
    fn commit(&self, ops: Vec<MetaOp>) -> Result<(), MetaTxnError>;
}

type Key<'a> = (&'a str, &'a str);
const META: TableDefinition<'_, (&str, &str), &[u8]> = TableDefinition::new("meta_v1");

/// The embedded metadata store, on redb.
pub struct RedbMetaStore {
    db: redb::Database,
}

impl RedbMetaStore {
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let db = redb::Database::create(path).map_err(|e| {
            StorageError::Fatal(format!("open the metadata store {}: {e}", path.display()))
        })?;
        let txn = db
            .begin_write()
            .map_err(|e| StorageError::fatal("metadata txn", e))?;
        txn.open_table(META)
            .map_err(|e| StorageError::fatal("metadata table", e))?;
        txn.commit()
            .map_err(|e| StorageError::fatal("metadata commit", e))?;
        Ok(Self { db })
    }
}

impl MetaStore for RedbMetaStore {
    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| StorageError::fatal("metadata read", e))?;
        let t = txn
            .open_table(META)
            .map_err(|e| StorageError::fatal("metadata table", e))?;
        let value = t
            .get((table, key))
            .map_err(|e| StorageError::fatal("metadata get", e))?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    fn scan(&self, table: &str) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| StorageError::fatal("metadata read", e))?;
        let t = txn
            .open_table(META)
            .map_err(|e| StorageError::fatal("metadata table", e))?;
        let range = t
            .range::<Key<'_>>((table, "")..)
            .map_err(|e| StorageError::fatal("metadata scan", e))?;
        let mut out = Vec::new();
        for entry in range {
            let (k, v) = entry.map_err(|e| StorageError::fatal("metadata scan", e))?;
            let (t_name, key) = k.value();
            if t_name != table {
                break;
            }
            out.push((key.to_owned(), v.value().to_vec()));
        }
        Ok(out)
    }

    fn commit(&self, ops: Vec<MetaOp>) -> Result<(), MetaTxnError> {
        let txn = self
            .db
            .begin_write()
            .map_err(|e| StorageError::fatal("metadata txn", e))?;
        {
            let mut t = txn
                .open_table(META)
                .map_err(|e| StorageError::fatal("metadata table", e))?;
            for op in &ops {
                match op {
                    MetaOp::Put { table, key, value } => {
                        t.insert((table.as_str(), key.as_str()), value.as_slice())
                            .map_err(|e| StorageError::fatal("metadata put", e))?;
                    }
                    MetaOp::Delete { table, key } => {
                        t.remove((table.as_str(), key.as_str()))
                            .map_err(|e| StorageError::fatal("metadata delete", e))?;
                    }
                    MetaOp::Expect { table, key, value } => {
                        let current = t
                            .get((table.as_str(), key.as_str()))
                            .map_err(|e| StorageError::fatal("metadata get", e))?
                            .map(|v| v.value().to_vec());
                        if current != *value {
                            return Err(MetaTxnError::Conflict {
                                table: table.clone(),
                                key: key.clone(),
                            });
                        }
                    }
                }
            }
        }
        txn.commit()
            .map_err(|e| StorageError::fatal("metadata commit", e))?;
        Ok(())
    }
}

/// Metadata in memory; for tests and the in-memory server mode.
#[derive(Default)]
pub struct MemoryMetaStore {
    map: Mutex<BTreeMap<(String, String), Vec<u8>>>,
}

impl MetaStore for MemoryMetaStore {
    fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .map
            .lock()
            .get(&(table.to_owned(), key.to_owned()))
            .cloned())
    }

    fn scan(&self, table: &str) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        Ok(self
            .map
            .lock()
            .range((table.to_owned(), String::new())..)
            .take_while(|((t, _), _)| t == table)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn commit(&self, ops: Vec<MetaOp>) -> Result<(), MetaTxnError> {
        let mut map = self.map.lock();
        for op in &ops {
            if let MetaOp::Expect { table, key, value } = op
                && map.get(&(table.clone(), key.clone())) != value.as_ref()
            {
                return Err(MetaTxnError::Conflict {
                    table: table.clone(),
                    key: key.clone(),
                });
            }
        }
        for op in ops {
            match op {
                MetaOp::Put { table, key, value } => {
                    map.insert((table, key), value);
                }
                MetaOp::Delete { table, key } => {
                    map.remove(&(table, key));
                }
                MetaOp::Expect { .. } => {}
            }
        }
        Ok(())
    }
}
