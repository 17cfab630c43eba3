//! KinesisStreamAsSource: a pump per delivery stream reads the data stream's shards through the
//! Streams service and appends what it reads to the delivery stream's own log, from where
//! delivery goes on exactly as for DirectPut (see ADR 0006). Per shard it keeps a checkpoint —
//! the last sequence number appended, or that the shard was read to its end — written only after
//! the append is durable, so a crash re-reads (at least once) and never skips. A child shard is
//! read only once every parent has been read to its end, so order per partition key holds across
//! a reshard. Shards open when the delivery stream was created start at its creation time
//! (DeliveryStartTimestamp); shards that appear later start at their trim horizon.

use crate::service::{DeliveryState, Firehose};
use serde::{Deserialize, Serialize};
use sluice_storage::{AppendRecord, LogAppend, MetaOp, StorageError};
use sluice_streams::model::{IteratorType, ListShardsInput};
use sluice_streams::{Streams, StreamsError};
use sluice_types::StreamName;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

pub const SOURCE_TABLE: &str = "firehose_source";

/// Where the data of a KinesisStreamAsSource delivery stream comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KinesisSource {
    pub stream_arn: String,
    pub role_arn: String,
}

/// The checkpoint of one shard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ShardCheckpoint {
    /// Read from this arrival time (shards open at creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<i64>,
    /// The last sequence number appended to the delivery stream's log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Read to its end (a closed shard).
    #[serde(default)]
    pub done: bool,
}

pub(crate) fn checkpoint_key(name: &str, shard: &str) -> String {
    format!("{name}/{shard}")
}

/// What one pass over the shards did.
#[derive(Debug, Default)]
pub struct PumpOutcome {
    pub records: usize,
    /// Some shard returned a full page: look again at once.
    pub more: bool,
}

impl Firehose {
    pub(crate) fn streams(&self) -> crate::Result<&Arc<Streams>> {
        self.data_streams.as_ref().ok_or_else(|| {
            crate::FirehoseError::InvalidArgument(
                "This server has no Data Streams service to read from.".into(),
            )
        })
    }

    /// The stream a source names, checked to exist.
    pub(crate) fn source_stream(&self, arn: &str) -> crate::Result<StreamName> {
        let streams = self.streams()?;
        let name = sluice_types::Arn::parse(arn)
            .and_then(|a| a.stream_name().cloned())
            .ok_or_else(|| {
                crate::FirehoseError::InvalidArgument(format!(
                    "KinesisStreamARN {arn} is not a stream ARN."
                ))
            })?;
        streams.describe_stream_summary(&name).map_err(|e| {
            crate::FirehoseError::InvalidArgument(format!(
                "Kinesis stream {arn} cannot be read: {e}"
            ))
        })?;
        Ok(name)
    }

    /// The first checkpoints of a new KinesisStreamAsSource delivery stream: every open shard
    /// from `created_ms`, every closed one done.
    pub(crate) fn initial_checkpoints(
        &self,
        name: &str,
        stream: &StreamName,
        created_ms: i64,
    ) -> crate::Result<Vec<MetaOp>> {
        let mut ops = Vec::new();
        for shard in self.shards_of(stream)? {
            let cp = if shard.ending_sequence.is_some() {
                ShardCheckpoint {
                    done: true,
                    ..Default::default()
                }
            } else {
                ShardCheckpoint {
                    start_ms: Some(created_ms),
                    ..Default::default()
                }
            };
            ops.push(MetaOp::Put {
                table: SOURCE_TABLE.into(),
                key: checkpoint_key(name, &shard.shard_id.to_string()),
                value: serde_json::to_vec(&cp).unwrap_or_default(),
            });
        }
        Ok(ops)
    }

    fn shards_of(
        &self,
        stream: &StreamName,
    ) -> crate::Result<Vec<sluice_streams::model::ShardDescription>> {
        let streams = self.streams()?;
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = streams
                .list_shards(ListShardsInput {
                    stream: token.is_none().then(|| stream.clone()),
                    next_token: token.take(),
                    exclusive_start_shard_id: None,
                    max_results: Some(1000),
                    filter: None,
                })
                .map_err(streams_error)?;
            out.extend(page.shards);
            match page.next_token {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }

    /// One pass over the source's shards: reads each readable shard once and appends what it
    /// read to the delivery stream's log.
    pub(crate) async fn pump(
        &self,
        state: &DeliveryState,
        iterators: &mut HashMap<String, String>,
    ) -> crate::Result<PumpOutcome> {
        let meta = state.meta.read().clone();
        let Some(source) = &meta.kinesis_source else {
            return Ok(PumpOutcome::default());
        };
        let streams = self.streams()?.clone();
        let stream = self.source_stream(&source.stream_arn)?;
        let shards = self.shards_of(&stream)?;
        let mut checkpoints: HashMap<String, ShardCheckpoint> = HashMap::new();
        for s in &shards {
            let id = s.shard_id.to_string();
            let cp = match self
                .meta
                .get(SOURCE_TABLE, &checkpoint_key(&meta.name, &id))?
            {
                Some(v) => serde_json::from_slice(&v).unwrap_or_default(),
                None => ShardCheckpoint::default(),
            };
            checkpoints.insert(id, cp);
        }
        let done = |id: &Option<sluice_types::ShardId>, cps: &HashMap<String, ShardCheckpoint>| {
            id.as_ref()
                .is_none_or(|p| cps.get(&p.to_string()).is_none_or(|c| c.done))
        };
        let mut out = PumpOutcome::default();
        for s in &shards {
            if state.deleted.load(Ordering::SeqCst) {
                break;
            }
            let id = s.shard_id.to_string();
            let cp = checkpoints.get(&id).cloned().unwrap_or_default();
            if cp.done || !done(&s.parent, &checkpoints) || !done(&s.adjacent_parent, &checkpoints)
            {
                continue;
            }
            let iterator = match iterators.remove(&id) {
                Some(it) => it,
                None => {
                    let kind = match (&cp.after, cp.start_ms) {
                        (Some(seq), _) => IteratorType::AfterSequenceNumber(seq.clone()),
                        (None, Some(ts)) => IteratorType::AtTimestamp(ts.min(self.now())),
                        (None, None) => IteratorType::TrimHorizon,
                    };
                    match streams.get_shard_iterator(&stream, &id, kind).await {
                        Ok(it) => it,
                        Err(e) => {
                            tracing::warn!(delivery_stream = %meta.name, shard = %id, error = %e, "cannot read shard");
                            continue;
                        }
                    }
                }
            };
            let page = match streams.get_records(&iterator, Some(10_000)).await {
                Ok(p) => p,
                Err(StreamsError::ProvisionedThroughputExceeded(_)) => {
                    iterators.insert(id, iterator);
                    continue;
                }
                Err(e) => {
                    tracing::debug!(delivery_stream = %meta.name, shard = %id, error = %e, "GetRecords failed; a new iterator next time");
                    continue;
                }
            };
            let n = page.records.len();
            if n > 0 {
                // One append per run of equal arrival times, all in one durable write.
                let mut appends: Vec<LogAppend> = Vec::new();
                for r in &page.records {
                    // KPL aggregated records are taken apart, as AWS does for this source.
                    let recs: Vec<AppendRecord> = match crate::kpl::deaggregate(&r.data) {
                        Some(users) => users
                            .into_iter()
                            .map(|(k, d)| AppendRecord {
                                key: bytes::Bytes::from(k.into_bytes()),
                                value: bytes::Bytes::from(d),
                            })
                            .collect(),
                        None => vec![AppendRecord {
                            key: bytes::Bytes::from(r.partition_key.clone().into_bytes()),
                            value: r.data.clone(),
                        }],
                    };
                    match appends.last_mut() {
                        Some(a) if a.timestamp_ms == r.arrival_ms => a.records.extend(recs),
                        _ => appends.push(LogAppend {
                            log: meta.log,
                            timestamp_ms: r.arrival_ms,
                            records: recs,
                        }),
                    }
                }
                for ack in self.logs.append(appends).await {
                    ack?;
                }
                state.new_data.notify_one();
                out.records += n;
            }
            let finished = page.next_iterator.is_none();
            let next = ShardCheckpoint {
                start_ms: cp.start_ms,
                after: page
                    .records
                    .last()
                    .map(|r| r.sequence_number.to_string())
                    .or(cp.after.clone()),
                done: finished,
            };
            if next != cp {
                self.meta
                    .commit(vec![MetaOp::Put {
                        table: SOURCE_TABLE.into(),
                        key: checkpoint_key(&meta.name, &id),
                        value: serde_json::to_vec(&next).unwrap_or_default(),
                    }])
                    .map_err(|e| match e {
                        sluice_storage::MetaTxnError::Storage(s) => s,
                        other => StorageError::Fatal(other.to_string()),
                    })?;
            }
            if finished {
                out.more = true; // its children may be readable now
            } else if let Some(it) = page.next_iterator {
                out.more |= n >= 10_000;
                iterators.insert(id, it);
            }
        }
        if out.records > 0 {
            metrics::counter!("sluice_firehose_kinesis_source_records_total", "delivery_stream" => meta.name.clone())
                .increment(out.records as u64);
        }
        Ok(out)
    }

    /// The server's loop for one KinesisStreamAsSource delivery stream: a pass over the shards
    /// every second (at once again after a full page), until the stream is deleted or `stop`.
    pub async fn run_source(
        self: Arc<Self>,
        name: String,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let Ok(state) = self.get(&name) else { return };
        if state.meta.read().kinesis_source.is_none() {
            return;
        }
        let mut stop = stop;
        let mut iterators = HashMap::new();
        loop {
            if state.deleted.load(Ordering::SeqCst) || *stop.borrow() {
                return;
            }
            let more = match self.pump(&state, &mut iterators).await {
                Ok(o) => o.more,
                Err(e) => {
                    tracing::warn!(delivery_stream = %name, error = %e, "reading the source stream failed");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(1_000)) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// One pass for every KinesisStreamAsSource delivery stream (for tests).
    pub async fn pump_all(&self) -> crate::Result<usize> {
        let mut n = 0;
        for name in self.names() {
            let Ok(state) = self.get(&name) else { continue };
            let mut its = HashMap::new();
            n += self.pump(&state, &mut its).await?.records;
        }
        Ok(n)
    }
}

fn streams_error(e: StreamsError) -> crate::FirehoseError {
    match e {
        StreamsError::Storage(s) => crate::FirehoseError::Storage(s),
        other => crate::FirehoseError::InvalidArgument(other.to_string()),
    }
}
