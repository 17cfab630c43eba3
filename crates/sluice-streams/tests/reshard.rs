//! Writes racing reshards, in process: random splits, merges and shard-count updates while
//! writers put records; afterwards, reading each shard after its parents gives every acknowledged
//! record exactly once, and per partition key in write order.

use proptest::prelude::*;
use sluice_storage::memory::MemoryLogStore;
use sluice_storage::{LogStore, MemoryMetaStore, MetaStore};
use sluice_streams::model::{
    CreateStreamInput, IteratorType, ListShardsInput, PutRecordInput, StreamMode,
};
use sluice_streams::{Streams, StreamsConfig};
use sluice_types::{StreamName, SystemClock};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Clone)]
enum Op {
    Split { pick: usize, at: u64 },
    Merge { pick: usize },
    Count { target: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..64, any::<u64>()).prop_map(|(pick, at)| Op::Split { pick, at }),
        (0usize..64).prop_map(|pick| Op::Merge { pick }),
        (1u32..7).prop_map(|target| Op::Count { target }),
    ]
}

async fn open_shards(s: &Streams, name: &StreamName) -> Vec<(u128, u128, String)> {
    let out = s
        .list_shards(ListShardsInput {
            stream: Some(name.clone()),
            ..Default::default()
        })
        .expect("list shards");
    let mut open: Vec<_> = out
        .shards
        .iter()
        .filter(|d| d.ending_sequence.is_none())
        .map(|d| {
            (
                d.hash_range.start.0,
                d.hash_range.end.0,
                d.shard_id.to_string(),
            )
        })
        .collect();
    open.sort();
    open
}

async fn apply(s: &Streams, name: &StreamName, op: &Op) {
    let open = open_shards(s, name).await;
    // Invalid choices (ranges too small, bounds of UpdateShardCount) are refused with an error
    // and change nothing; the race is what is under test.
    let _ = match op {
        Op::Split { pick, at } => {
            let (start, end, id) = &open[pick % open.len()];
            let width = end - start;
            let key = start
                + 2
                + (u128::from(*at) * (width / u128::from(u64::MAX).max(1))) % width.max(3);
            s.split_shard(name, id, key.min(end - 1)).await
        }
        Op::Merge { pick } => {
            if open.len() < 2 {
                return;
            }
            let i = pick % (open.len() - 1);
            s.merge_shards(name, &open[i].2, &open[i + 1].2).await
        }
        Op::Count { target } => s.update_shard_count(name, *target).await.map(|_| ()),
    };
}

fn run(ops: Vec<Op>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let clock = Arc::new(SystemClock);
        let logs: Arc<dyn LogStore> = Arc::new(MemoryLogStore::new(clock.clone()));
        let meta: Arc<dyn MetaStore> = Arc::new(MemoryMetaStore::default());
        let s = Arc::new(Streams::open(StreamsConfig::default(), clock, logs, meta).expect("open"));
        let name: StreamName = "race".parse().expect("name");
        s.create_stream(CreateStreamInput {
            name: name.clone(),
            shard_count: Some(2),
            mode: Some(StreamMode::Provisioned),
            tags: Vec::new(),
            max_record_size_kib: None,
        })
        .await
        .expect("create");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..4u32 {
            let (s, name, stop) = (s.clone(), name.clone(), stop.clone());
            writers.push(tokio::spawn(async move {
                let mut acked: BTreeMap<String, Vec<u32>> = BTreeMap::new();
                let mut n = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) || n < 20 {
                    let key = format!("w{w}-{}", n % 5);
                    let record = PutRecordInput {
                        partition_key: key.clone(),
                        data: bytes::Bytes::from(n.to_string()),
                        explicit_hash_key: None,
                    };
                    s.put_record(&name, record, None).await.expect("put");
                    acked.entry(key).or_default().push(n);
                    n += 1;
                    tokio::task::yield_now().await;
                }
                acked
            }));
        }
        for op in &ops {
            apply(&s, &name, op).await;
            tokio::task::yield_now().await;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut acked: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for w in writers {
            acked.extend(w.await.expect("writer"));
        }

        // Read every shard, each after all its parents.
        let all = s
            .list_shards(ListShardsInput {
                stream: Some(name.clone()),
                ..Default::default()
            })
            .expect("list");
        let mut done: HashSet<String> = HashSet::new();
        let mut got: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        while done.len() < all.shards.len() {
            let ready: Vec<_> = all
                .shards
                .iter()
                .filter(|d| !done.contains(&d.shard_id.to_string()))
                .filter(|d| {
                    d.parent
                        .iter()
                        .chain(d.adjacent_parent.iter())
                        .all(|p| done.contains(&p.to_string()))
                })
                .collect();
            assert!(!ready.is_empty(), "lineage is not a DAG");
            for d in ready {
                let id = d.shard_id.to_string();
                let mut it = s
                    .get_shard_iterator(&name, &id, IteratorType::TrimHorizon)
                    .await
                    .expect("iterator");
                loop {
                    let out = s.get_records(&it, None).await.expect("get records");
                    for r in &out.records {
                        got.entry(r.partition_key.clone())
                            .or_default()
                            .push(String::from_utf8_lossy(&r.data).parse().expect("n"));
                    }
                    match out.next_iterator {
                        Some(next) if !out.records.is_empty() => it = next,
                        _ => break,
                    }
                }
                done.insert(id);
            }
        }
        assert_eq!(
            got, acked,
            "per key, the lineage read equals the write order"
        );
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn writes_racing_reshards_keep_per_key_order(ops in proptest::collection::vec(op(), 1..8)) {
        run(ops);
    }
}
