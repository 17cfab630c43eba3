//! ON_DEMAND capacity: an on-demand stream adds shards as its sustained write load grows.
//!
//! Writes to on-demand streams are counted (bytes and records). [`Streams::scale_on_demand`], run
//! by the server's ticker, samples the counts; when a stream's write rate over the last
//! `on_demand_window_ms` reaches half of what its open shards take (1 MiB/s or 1,000 records/s
//! each, AWS's per-shard write capacity), it doubles the open shard count with UpdateShardCount,
//! bounded by the account's shard limit. As on AWS, the stream reads UPDATING meanwhile and its
//! shards are never merged back automatically.

use super::*;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

/// Scale up once the sustained rate reaches this share of the open shards' capacity.
pub const SCALE_UP_AT: f64 = 0.5;

#[derive(Default)]
struct WriteLoad {
    bytes: AtomicU64,
    records: AtomicU64,
}

/// (time, cumulative bytes, cumulative records) of one stream, taken by each scaling pass.
type Sample = (i64, u64, u64);

#[derive(Default)]
pub(super) struct OnDemand {
    load: parking_lot::RwLock<HashMap<String, Arc<WriteLoad>>>,
    samples: Mutex<HashMap<String, VecDeque<Sample>>>,
}

impl OnDemand {
    /// Counts a write to an on-demand stream.
    pub(super) fn record(&self, stream: &str, bytes: u64, records: u64) {
        let load = self.load.read().get(stream).cloned();
        let load = match load {
            Some(l) => l,
            None => self
                .load
                .write()
                .entry(stream.to_owned())
                .or_default()
                .clone(),
        };
        load.bytes.fetch_add(bytes, Ordering::Relaxed);
        load.records.fetch_add(records, Ordering::Relaxed);
    }

    pub(super) fn forget(&self, stream: &str) {
        self.load.write().remove(stream);
        self.samples.lock().remove(stream);
    }

    /// Adds a sample; returns the (bytes/s, records/s) over the window once it spans it.
    fn sample(&self, stream: &str, now: i64, window_ms: i64) -> Option<(f64, f64)> {
        let load = self.load.read().get(stream).cloned()?;
        let point = (
            now,
            load.bytes.load(Ordering::Relaxed),
            load.records.load(Ordering::Relaxed),
        );
        let mut samples = self.samples.lock();
        let q = samples.entry(stream.to_owned()).or_default();
        q.push_back(point);
        while q.len() > 1 && q.get(1).is_some_and(|s| now - s.0 >= window_ms) {
            q.pop_front();
        }
        let first = *q.front()?;
        let span = now - first.0;
        if span < window_ms || span <= 0 {
            return None;
        }
        let secs = span as f64 / 1000.0;
        Some((
            (point.1 - first.1) as f64 / secs,
            (point.2 - first.2) as f64 / secs,
        ))
    }

    /// Starts a stream's measurement afresh (after it scaled).
    fn reset(&self, stream: &str) {
        self.samples.lock().remove(stream);
    }
}

impl Streams {
    pub(super) fn record_on_demand_write(&self, s: &StreamState, bytes: u64, records: u64) {
        if s.meta.mode == StreamMode::OnDemand && records > 0 {
            self.ondemand.record(&s.meta.name, bytes, records);
        }
    }

    /// One scaling pass over the on-demand streams; returns the streams it scaled, with their new
    /// shard counts. Called periodically by the server.
    pub async fn scale_on_demand(&self) -> Vec<(String, u32)> {
        let now = self.now();
        let window = self.config.on_demand_window_ms.max(1);
        let candidates: Vec<Arc<StreamState>> = self
            .streams
            .read()
            .values()
            .filter(|s| s.meta.mode == StreamMode::OnDemand)
            .cloned()
            .collect();
        let mut scaled = Vec::new();
        for s in candidates {
            let Some((bytes_per_s, records_per_s)) =
                self.ondemand.sample(&s.meta.name, now, window)
            else {
                continue;
            };
            if self.status(&s.meta) != StreamStatus::Active {
                continue;
            }
            let open = s.meta.open_shards().count() as u32;
            let capacity_bytes = f64::from(open) * crate::limits::WRITE_BYTES_PER_S;
            let capacity_records = f64::from(open) * crate::limits::WRITE_RECORDS_PER_S;
            if bytes_per_s < SCALE_UP_AT * capacity_bytes
                && records_per_s < SCALE_UP_AT * capacity_records
            {
                continue;
            }
            let room = self
                .config
                .shard_limit
                .saturating_sub(self.open_shard_total());
            let target = (open * 2)
                .min(open + room)
                .min(reshard::MAX_SHARDS_PER_STREAM);
            if target <= open {
                continue;
            }
            let Ok(name) = s.meta.name.parse::<StreamName>() else {
                continue;
            };
            match self.update_shard_count(&name, target).await {
                Ok(_) => {
                    tracing::info!(
                        stream = %name,
                        from = open,
                        to = target,
                        bytes_per_s,
                        records_per_s,
                        "on-demand stream scaled up"
                    );
                    self.ondemand.reset(&s.meta.name);
                    scaled.push((s.meta.name.clone(), target));
                }
                Err(e) => tracing::warn!(stream = %name, error = %e, "on-demand scaling failed"),
            }
        }
        scaled
    }
}
