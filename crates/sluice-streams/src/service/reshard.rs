//! Resharding: SplitShard, MergeShards and UpdateShardCount.
//!
//! Every reshard is worked out on a copy of the stream's shard list ([`Plan`]), then made real in
//! one step while the stream's write gate is held exclusively: the closed shards' ends are read
//! from their logs (no write is in flight, so none can land past them), the children's logs are
//! created, and the new metadata is committed atomically. A crash before the commit leaves only
//! unreferenced child logs, which the server deletes at start (`sluice_storage::orphans::reconcile`: an empty orphan log is safe to delete).

use super::{HOUR_MS, Streams, parse_shard_id};
use crate::error::{Result, StreamsError};
use crate::meta::{COUNTERS_TABLE, NEXT_LOG_ID_KEY, ShardMeta, StreamMeta};
use crate::model::StreamStatus;
use sluice_storage::{LogId, MetaOp};
use sluice_types::{HashKeyRange, ShardId, StreamName};
use std::collections::HashSet;

/// AWS's UpdateShardCount bound on the shards of one stream.
pub(super) const MAX_SHARDS_PER_STREAM: u32 = 10_000;

/// A reshard worked out on a copy of the shard list.
struct Plan {
    shards: Vec<ShardMeta>,
    next_index: u32,
    /// Shards this plan created, by index: they hold no records yet.
    created: HashSet<u32>,
    /// Shards this plan closed, by index (their ending offset is filled in at commit).
    closed: Vec<u32>,
    now: i64,
}

impl Plan {
    fn new(meta: &StreamMeta, now: i64) -> Self {
        Self {
            shards: meta.shards.clone(),
            next_index: meta.next_shard_index,
            created: HashSet::new(),
            closed: Vec::new(),
            now,
        }
    }

    fn get(&self, index: u32) -> &ShardMeta {
        self.shards
            .iter()
            .find(|s| s.index == index)
            .expect("plans only name shards they hold")
    }

    fn close(&mut self, index: u32) {
        let now = self.now;
        if let Some(s) = self.shards.iter_mut().find(|s| s.index == index) {
            s.closed_ms = Some(now);
            // A placeholder until commit reads the log's end; a shard made by this plan ends
            // where it starts.
            s.ending_offset = Some(s.starting_offset);
        }
        self.closed.push(index);
    }

    fn child(&mut self, parent: u32, adjacent: Option<u32>, range: HashKeyRange) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        self.shards.push(ShardMeta {
            index,
            log: 0, // assigned at commit
            parent: Some(parent),
            adjacent_parent: adjacent,
            hash_start: range.start.to_string(),
            hash_end: range.end.to_string(),
            starting_offset: 0,
            ending_offset: None,
            created_ms: self.now,
            closed_ms: None,
        });
        self.created.insert(index);
        index
    }

    /// Splits open shard `index` so that `key` starts the upper child; returns (lower, upper).
    fn split(&mut self, index: u32, key: u128) -> (u32, u32) {
        let range = self.get(index).hash_range();
        self.close(index);
        let lower = self.child(
            index,
            None,
            HashKeyRange {
                start: range.start,
                end: sluice_types::HashKey(key - 1),
            },
        );
        let upper = self.child(
            index,
            None,
            HashKeyRange {
                start: sluice_types::HashKey(key),
                end: range.end,
            },
        );
        (lower, upper)
    }

    /// Merges open shards `index` and `adjacent` (ranges touching); returns the child.
    fn merge(&mut self, index: u32, adjacent: u32) -> u32 {
        let (a, b) = (
            self.get(index).hash_range(),
            self.get(adjacent).hash_range(),
        );
        self.close(index);
        self.close(adjacent);
        self.child(
            index,
            Some(adjacent),
            HashKeyRange {
                start: a.start.min(b.start),
                end: a.end.max(b.end),
            },
        )
    }

    fn open_sorted(&self) -> Vec<(u128, u128, u32)> {
        let mut open: Vec<_> = self
            .shards
            .iter()
            .filter(|s| s.ending_offset.is_none())
            .map(|s| {
                let r = s.hash_range();
                (r.start.0, r.end.0, s.index)
            })
            .collect();
        open.sort_unstable();
        open
    }
}

impl Streams {
    /// The stream if it is ACTIVE; UPDATING (or any other state) is ResourceInUse, as AWS.
    /// The stream if it is ACTIVE, not UPDATING: for changes that wait for the last to finish.
    pub(super) fn get_only_active(
        &self,
        name: &StreamName,
    ) -> Result<std::sync::Arc<super::StreamState>> {
        let s = self.get(name.as_str())?;
        match self.status(&s.meta) {
            StreamStatus::Active => Ok(s),
            other => Err(StreamsError::StreamNotActive {
                stream: name.to_string(),
                account: self.config.account_id.clone(),
                status: other.as_str(),
            }),
        }
    }

    /// A shard id parsed as AWS reads it; one it cannot read is not found, before the stream
    /// is looked at.
    fn shard_arg(&self, name: &StreamName, shard: &str) -> Result<ShardId> {
        parse_shard_id(shard).ok_or_else(|| {
            StreamsError::ResourceNotFound(format!(
                "Could not find shard {shard} in stream {name} under account {}.",
                self.config.account_id
            ))
        })
    }

    fn open_shard_of(&self, meta: &StreamMeta, name: &StreamName, id: ShardId) -> Result<u32> {
        let s = meta
            .shards
            .iter()
            .find(|s| s.index == id.index())
            .ok_or_else(|| {
                StreamsError::ResourceNotFound(format!(
                    "Could not find shard {id} in stream {name} under account {}.",
                    self.config.account_id
                ))
            })?;
        if s.ending_offset.is_some() {
            return Err(StreamsError::InvalidArgument(format!(
                "Shard {id} in stream {name} under account {} has already been merged or split, and thus is not eligible for merging or splitting.",
                self.config.account_id
            )));
        }
        Ok(id.index())
    }

    pub async fn split_shard(&self, name: &StreamName, shard: &str, key: u128) -> Result<()> {
        let id = self.shard_arg(name, shard)?;
        let _control = self.control.lock().await;
        let s = self.get_only_active(name)?;
        let index = self.open_shard_of(&s.meta, name, id)?;
        let range = s
            .shard(index)
            .map(ShardMeta::hash_range)
            .ok_or_else(|| StreamsError::ResourceNotFound(shard.to_owned()))?;
        if key <= range.start.0.saturating_add(1) || key >= range.end.0 {
            return Err(StreamsError::InvalidArgument(format!(
                "NewStartingHashKey {key} used in SplitShard() on shard {} in stream {name} under account {} is not both greater than one plus the shard's StartingHashKey {} and less than the shard's EndingHashKey {}.",
                ShardId::new(index),
                self.config.account_id,
                range.start,
                range.end
            )));
        }
        self.check_shard_limit(1)?;
        let mut plan = Plan::new(&s.meta, self.now());
        plan.split(index, key);
        self.commit_plan(name, plan).await
    }

    pub async fn merge_shards(&self, name: &StreamName, shard: &str, adjacent: &str) -> Result<()> {
        let (id_a, id_b) = (
            self.shard_arg(name, shard)?,
            self.shard_arg(name, adjacent)?,
        );
        let _control = self.control.lock().await;
        let s = self.get_only_active(name)?;
        let a = self.open_shard_of(&s.meta, name, id_a)?;
        let b = self.open_shard_of(&s.meta, name, id_b)?;
        let (ra, rb) = match (s.shard(a), s.shard(b)) {
            (Some(x), Some(y)) => (x.hash_range(), y.hash_range()),
            _ => return Err(StreamsError::ResourceNotFound(shard.to_owned())),
        };
        // AWS merges a shard with the one whose hash range follows it, in that order.
        let touching = ra.end.0.checked_add(1) == Some(rb.start.0);
        if a == b || !touching {
            return Err(StreamsError::InvalidArgument(format!(
                "Shards {} and {} in stream {name} under account {} are not an adjacent pair of shards eligible for merging",
                ShardId::new(a),
                ShardId::new(b),
                self.config.account_id
            )));
        }
        let mut plan = Plan::new(&s.meta, self.now());
        plan.merge(a, b);
        self.commit_plan(name, plan).await
    }

    /// UpdateShardCount with UNIFORM_SCALING: returns the open shard count before.
    ///
    /// Done as AWS describes it, by splits and merges: first every open shard is split at each
    /// target boundary inside it, then the shards inside each target range are merged left to
    /// right. Every child so has one parent (split) or two adjacent ones (merge), which is what
    /// readers that follow lineage rely on; intermediate shards are created closed and empty.
    pub async fn update_shard_count(&self, name: &StreamName, target: u32) -> Result<u32> {
        let _control = self.control.lock().await;
        let s = self.get_only_active(name)?;
        let current = s.meta.open_shards().count() as u32;
        let too_many = target > current.saturating_mul(2);
        let too_few = target.saturating_mul(2) < current;
        if too_many || too_few || target > MAX_SHARDS_PER_STREAM {
            let why = if too_many {
                format!("greater than double your current open shard count: {current}")
            } else if too_few {
                format!("less than half your current open shard count: {current}")
            } else {
                format!("greater than the shard limit per stream: {MAX_SHARDS_PER_STREAM}")
            };
            return Err(StreamsError::InvalidArgument(format!(
                "UpdateShardCount failed for stream {name} under account {}. Target shard count {target} is {why}.",
                self.config.account_id
            )));
        }
        if target > current {
            self.check_shard_limit(target - current)?;
        }
        let targets = HashKeyRange::split_evenly(target);
        let mut plan = Plan::new(&s.meta, self.now());
        // Phase 1: split at every target boundary that falls strictly inside an open shard.
        for t in targets.iter().skip(1) {
            let b = t.start.0;
            if let Some(&(_, _, index)) = plan
                .open_sorted()
                .iter()
                .find(|(start, end, _)| *start < b && b <= *end)
            {
                plan.split(index, b);
            }
        }
        // Phase 2: merge the shards inside each target range, left to right.
        for t in &targets {
            let inside: Vec<u32> = plan
                .open_sorted()
                .into_iter()
                .filter(|(start, end, _)| *start >= t.start.0 && *end <= t.end.0)
                .map(|(_, _, i)| i)
                .collect();
            let mut acc = inside[0];
            for &next in &inside[1..] {
                acc = plan.merge(acc, next);
            }
        }
        if plan.closed.is_empty() {
            return Ok(current);
        }
        self.commit_plan(name, plan).await?;
        Ok(current)
    }

    /// UpdateStreamMode: the shards stay as they are; the stream reads as UPDATING for
    /// `update_delay_ms`. Switching to the mode a stream already has changes nothing.
    pub async fn update_stream_mode(
        &self,
        name: &StreamName,
        mode: crate::meta::StreamMode,
    ) -> Result<()> {
        let _control = self.control.lock().await;
        let s = self.get_only_active(name)?;
        if s.meta.mode == mode {
            return Ok(());
        }
        if mode == crate::meta::StreamMode::OnDemand {
            self.check_on_demand_limit()?;
        }
        let mut m = s.meta.clone();
        m.mode = mode;
        let now = self.now();
        m.updating_until_ms =
            (self.config.update_delay_ms > 0).then(|| now + self.config.update_delay_ms);
        self.persist(m, Vec::new())?;
        Ok(())
    }

    /// Makes a plan real: see the module comment.
    async fn commit_plan(&self, name: &StreamName, mut plan: Plan) -> Result<()> {
        let gate = self.get(name.as_str())?.gate.clone();
        let _writes_stopped = gate.write().await;
        let s = self.get(name.as_str())?;
        for &index in &plan.closed {
            if plan.created.contains(&index) {
                continue;
            }
            let log = s
                .shard(index)
                .map(|sh| sh.log)
                .ok_or_else(|| StreamsError::ResourceNotFound(ShardId::new(index).to_string()))?;
            let end = self.logs.bounds(log)?.next_offset;
            if let Some(sh) = plan.shards.iter_mut().find(|sh| sh.index == index) {
                sh.ending_offset = Some(end);
            }
        }
        let first_log: LogId = match self.meta.get(COUNTERS_TABLE, NEXT_LOG_ID_KEY)? {
            Some(v) => String::from_utf8_lossy(&v).parse().unwrap_or(1),
            None => 1,
        };
        let retention_ms = i64::from(s.meta.retention_hours) * HOUR_MS;
        let mut next_log = first_log;
        let mut created: Vec<u32> = plan.created.iter().copied().collect();
        created.sort_unstable();
        for index in created {
            self.logs.create_log(next_log, retention_ms)?;
            if let Some(sh) = plan.shards.iter_mut().find(|sh| sh.index == index) {
                sh.log = next_log;
            }
            next_log += 1;
        }
        let mut m = s.meta.clone();
        m.shards = plan.shards;
        m.next_shard_index = plan.next_index;
        m.updating_until_ms =
            (self.config.update_delay_ms > 0).then(|| plan.now + self.config.update_delay_ms);
        self.persist(
            m,
            vec![MetaOp::Put {
                table: COUNTERS_TABLE.into(),
                key: NEXT_LOG_ID_KEY.into(),
                value: next_log.to_string().into_bytes(),
            }],
        )?;
        // Subscribers of a closed shard learn of its end now, not at their next heartbeat.
        for sh in s.meta.open_shards() {
            if plan.closed.contains(&sh.index) {
                self.fanout.notify(sh.log);
            }
        }
        Ok(())
    }
}
