//! SubscribeToShard: push delivery of a shard's records to an enhanced fan-out consumer.
//!
//! Every successful append bumps a per-log signal (a `watch` channel), so a waiting subscription
//! wakes as soon as the records it waits for are acknowledged, with no polling interval. A
//! subscription lasts `subscription_lifetime_ms` (AWS: 5 minutes). One consumer has at most one
//! subscription per shard: a second one within [`RESUBSCRIBE_GUARD_MS`] of the first is refused
//! with ResourceInUse; a later one replaces it, and the older one ends.
//!
//! Events carry records, or are empty heartbeats every [`HEARTBEAT_MS`] while nothing arrives. An
//! event's ContinuationSequenceNumber is the sequence number of the last record before the
//! subscription's position, to resume with AFTER_SEQUENCE_NUMBER; a position before any record
//! has no such number, so no heartbeat is sent until the shard has one. The last event of a
//! closed shard has ChildShards and no continuation.

use super::*;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::watch;

/// An empty event is sent when nothing arrived for this long.
pub const HEARTBEAT_MS: i64 = 5_000;
/// A second subscription of a consumer to a shard this soon after the first is refused.
pub const RESUBSCRIBE_GUARD_MS: i64 = 5_000;
/// AWS's per-consumer, per-shard delivery rate under `--limits aws`.
pub const FANOUT_BYTES_PER_S: f64 = 2.0 * 1024.0 * 1024.0;
const EVENT_MAX_RECORDS: usize = 10_000;
const EVENT_MAX_BYTES: usize = 2 * 1024 * 1024;

type SubscriptionKey = (String, u32);

struct Active {
    id: u64,
    started_ms: i64,
    cancel: watch::Sender<bool>,
}

#[derive(Default)]
pub(super) struct Fanout {
    signals: parking_lot::RwLock<HashMap<LogId, watch::Sender<u64>>>,
    active: Arc<Mutex<HashMap<SubscriptionKey, Active>>>,
    next_id: AtomicU64,
    /// Set at shutdown: every subscription ends and no new one starts.
    closed: std::sync::atomic::AtomicBool,
}

impl Fanout {
    /// Wakes the subscriptions of `log`: records were appended, or its shard closed.
    pub(super) fn notify(&self, log: LogId) {
        if let Some(tx) = self.signals.read().get(&log) {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    fn signal(&self, log: LogId) -> watch::Receiver<u64> {
        self.signals
            .write()
            .entry(log)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// The log is deleted: its waiting subscriptions wake and find their stream gone.
    pub(super) fn forget(&self, log: LogId) {
        self.signals.write().remove(&log);
    }

    /// Ends every subscription and refuses new ones (the server is shutting down).
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        for a in self.active.lock().values() {
            a.cancel.send_replace(true);
        }
    }

    /// Ends every subscription of a deregistered consumer.
    pub(super) fn end_consumer(&self, consumer_arn: &str) {
        for (key, a) in self.active.lock().iter() {
            if key.0 == consumer_arn {
                a.cancel.send_replace(true);
            }
        }
    }
}

/// Removes a subscription from the live set when it is dropped (its connection closed).
struct Registration {
    active: Arc<Mutex<HashMap<SubscriptionKey, Active>>>,
    key: SubscriptionKey,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut active = self.active.lock();
        if active.get(&self.key).is_some_and(|a| a.id == self.id) {
            active.remove(&self.key);
        }
    }
}

/// A live SubscribeToShard subscription; [`Streams::next_event`] yields its events.
pub struct Subscription {
    registration: Registration,
    stream: String,
    stream_created_ms: i64,
    consumer: String,
    consumer_created_ms: i64,
    shard: u32,
    position: u64,
    ends_at_ms: i64,
    last_event_ms: i64,
    signal: watch::Receiver<u64>,
    cancel: watch::Receiver<bool>,
    finished: bool,
    /// Delivery budget under `--limits aws`: bytes and when it was last refilled.
    budget: (f64, i64),
}

impl Subscription {
    pub fn shard_id(&self) -> ShardId {
        ShardId::new(self.shard)
    }
}

impl Streams {
    /// Ends every subscription, so that a graceful shutdown does not wait out their lifetime.
    pub fn end_subscriptions(&self) {
        self.fanout.close();
    }

    /// Starts a subscription of the consumer `consumer_arn` to `shard`.
    pub async fn subscribe(
        &self,
        consumer_arn: &str,
        shard: &str,
        start: IteratorType,
    ) -> Result<Subscription> {
        if self.fanout.closed.load(Ordering::SeqCst) {
            return Err(StorageError::ShuttingDown.into());
        }
        let (s, i) = self.resolve_consumer(&ConsumerRef::Arn(consumer_arn.to_owned()))?;
        let c = s.meta.consumers[i].clone();
        if self.consumer_status(&c) != Some(ConsumerStatus::Active) {
            return Err(StreamsError::ResourceInUse(format!(
                "Consumer {consumer_arn} under account {} is not in ACTIVE state.",
                self.config.account_id
            )));
        }
        let s = self.get_active(&s.meta.name)?;
        let name = s.meta.name.clone();
        let not_found = || self.shard_not_found(shard, &name);
        let shard_id = parse_shard_id(shard).ok_or_else(not_found)?;
        let sh = s.shard(shard_id.index()).ok_or_else(not_found)?.clone();
        let position = self
            .start_offset(
                &sh,
                shard_id,
                &name,
                start,
                "SubscribeToShard",
                "StartingSequenceNumber",
            )
            .await?;
        let now = self.now();
        let key: SubscriptionKey = (self.consumer_arn(&name, &c), shard_id.index());
        let id = self.fanout.next_id.fetch_add(1, Ordering::Relaxed);
        let (cancel_tx, cancel) = watch::channel(false);
        {
            let mut active = self.fanout.active.lock();
            // Checked under the lock that `close` takes, so no subscription starts after it.
            if self.fanout.closed.load(Ordering::SeqCst) {
                return Err(StorageError::ShuttingDown.into());
            }
            if let Some(old) = active.get(&key) {
                if now - old.started_ms < RESUBSCRIBE_GUARD_MS {
                    return Err(StreamsError::ResourceInUse(format!(
                        "Another active subscription exists for consumer {} on shard {shard_id} in stream {name} under account {}.",
                        key.0, self.config.account_id
                    )));
                }
                old.cancel.send_replace(true);
            }
            active.insert(
                key.clone(),
                Active {
                    id,
                    started_ms: now,
                    cancel: cancel_tx,
                },
            );
        }
        Ok(Subscription {
            registration: Registration {
                active: self.fanout.active.clone(),
                key,
                id,
            },
            stream: name,
            stream_created_ms: s.meta.created_ms,
            consumer: c.name,
            consumer_created_ms: c.created_ms,
            shard: shard_id.index(),
            position,
            ends_at_ms: now + self.config.subscription_lifetime_ms,
            last_event_ms: now,
            signal: self.fanout.signal(sh.log),
            cancel,
            finished: false,
            budget: (FANOUT_BYTES_PER_S, now),
        })
    }

    /// The subscription's next event, waiting for records as long as needed; `None` when it has
    /// ended (its lifetime is over, a newer subscription replaced it, or the shard's end was
    /// delivered). An error ends it too (the stream or the consumer is gone).
    pub async fn next_event(&self, sub: &mut Subscription) -> Result<Option<SubscribeEvent>> {
        loop {
            if sub.finished {
                return Ok(None);
            }
            let now = self.now();
            let shard_id = ShardId::new(sub.shard);
            let gone = || self.shard_not_found(&shard_id.to_string(), &sub.stream);
            let s = self.get(&sub.stream).map_err(|_| gone())?;
            if s.meta.created_ms != sub.stream_created_ms {
                return Err(gone());
            }
            if !s.meta.consumers.iter().any(|c| {
                c.name == sub.consumer
                    && c.created_ms == sub.consumer_created_ms
                    && self.consumer_status(c) == Some(ConsumerStatus::Active)
            }) {
                return Err(self.consumer_not_found(&sub.registration.key.0));
            }
            // After the checks above, so a deregistered consumer's subscription ends with an
            // error rather than quietly.
            if *sub.cancel.borrow() || now >= sub.ends_at_ms {
                sub.finished = true;
                return Ok(None);
            }
            let sh = s.shard(sub.shard).ok_or_else(gone)?;
            // Seen before reading, so an append after the read wakes the wait below.
            sub.signal.borrow_and_update();
            let mut wait_ms = (sub.last_event_ms + HEARTBEAT_MS).min(sub.ends_at_ms) - now;
            let limited = self.limiter.enabled();
            if limited {
                let (tokens, at) = &mut sub.budget;
                *tokens = (*tokens + (now - *at).max(0) as f64 / 1000.0 * FANOUT_BYTES_PER_S)
                    .min(FANOUT_BYTES_PER_S);
                *at = now;
            }
            if !limited || sub.budget.0 > 0.0 {
                let max_bytes = if limited {
                    (sub.budget.0 as usize).clamp(1, EVENT_MAX_BYTES)
                } else {
                    EVENT_MAX_BYTES
                };
                let limits = ReadLimits {
                    max_records: EVENT_MAX_RECORDS,
                    max_bytes,
                };
                let batch = self.logs.read(sh.log, sub.position, limits).await?;
                let end = sh.ending_offset;
                let next_in_batch = batch.next_offset;
                let (records, data_bytes) = self.records_before(sh, batch.records, end)?;
                // The delivery budget counts partition keys too, as the write limits do.
                let bytes = data_bytes
                    + records
                        .iter()
                        .map(|r| r.partition_key.len() as u64)
                        .sum::<u64>();
                sub.position = match records.last() {
                    Some(last) => last.sequence_number.offset() + 1,
                    None => next_in_batch.max(sub.position),
                };
                let at_end = end.is_some_and(|e| sub.position >= e);
                if !records.is_empty() || at_end {
                    let millis_behind_latest = match records.last() {
                        Some(last) if sub.position < self.logs.bounds(sh.log)?.next_offset => {
                            (now - last.arrival_ms).max(0)
                        }
                        _ => 0,
                    };
                    s.metrics.outgoing_records.increment(records.len() as u64);
                    s.metrics.outgoing_bytes.increment(data_bytes);
                    if limited {
                        sub.budget.0 -= bytes as f64;
                    }
                    sub.last_event_ms = now;
                    sub.finished = at_end;
                    // The last record's own number, so a client can compare them.
                    let continuation = (!at_end).then(|| match records.last() {
                        Some(last) => last.sequence_number,
                        None => SequenceNumber::new(shard_id, sub.position - 1),
                    });
                    return Ok(Some(SubscribeEvent {
                        records,
                        continuation,
                        millis_behind_latest,
                        child_shards: at_end.then(|| self.child_shards(&s, sub.shard)),
                    }));
                }
                if wait_ms <= 0 && sub.position > 0 {
                    sub.last_event_ms = now;
                    return Ok(Some(SubscribeEvent {
                        records: Vec::new(),
                        continuation: Some(SequenceNumber::new(shard_id, sub.position - 1)),
                        millis_behind_latest: 0,
                        child_shards: None,
                    }));
                }
            } else {
                // Over the delivery rate: wait until the budget is positive again.
                let refill_ms = (-sub.budget.0 / FANOUT_BYTES_PER_S * 1000.0).ceil() as i64;
                wait_ms = wait_ms.min(refill_ms.max(1));
            }
            let wait = std::time::Duration::from_millis(wait_ms.clamp(1, HEARTBEAT_MS) as u64);
            let log = sh.log;
            drop(s);
            tokio::select! {
                changed = sub.signal.changed() => {
                    if changed.is_err() {
                        // The log's signal went away (its stream was deleted): take a new one so
                        // the check at the top of the loop runs rather than a busy loop.
                        sub.signal = self.fanout.signal(log);
                    }
                }
                _ = sub.cancel.changed() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The shards a reshard made from `parent`, as GetRecords and SubscribeToShard report them.
    pub(super) fn child_shards(&self, s: &StreamState, parent: u32) -> Vec<ChildShard> {
        s.meta
            .shards
            .iter()
            .filter(|c| c.parent == Some(parent) || c.adjacent_parent == Some(parent))
            .map(|c| ChildShard {
                shard_id: ShardId::new(c.index),
                parents: c
                    .parent
                    .into_iter()
                    .chain(c.adjacent_parent)
                    .map(ShardId::new)
                    .collect(),
                hash_range: c.hash_range(),
            })
            .collect()
    }
}
