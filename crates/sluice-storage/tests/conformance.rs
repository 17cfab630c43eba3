//! Every backend passes the same conformance suite.

use sluice_storage::conformance::{self, Fixture};
use sluice_storage::disk::{DiskConfig, DiskLogStore};
use sluice_storage::memory::MemoryLogStore;
use sluice_types::ManualClock;
use std::sync::Arc;

#[tokio::test]
async fn memory_backend() {
    conformance::run_all(&|clock: ManualClock| -> Fixture {
        (Arc::new(MemoryLogStore::new(Arc::new(clock))), Box::new(()))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_backend() {
    conformance::run_all(&|clock: ManualClock| -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DiskLogStore::open(DiskConfig::new(dir.path()), Arc::new(clock)).expect("open");
        (Arc::new(store), Box::new(dir))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_backend_small_segments() {
    conformance::run_all(&|clock: ManualClock| -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = DiskConfig::new(dir.path());
        config.segment_max_bytes = 300;
        config.wal_max_bytes = 500;
        let store = DiskLogStore::open(config, Arc::new(clock)).expect("open");
        (Arc::new(store), Box::new(dir))
    })
    .await;
}
