//! The Data Streams service.

use crate::error::{Result, StreamsError};
use crate::iterator::{ITERATOR_TTL_MS, IteratorCodec, IteratorPosition, java_date};
use crate::meta::{
    COUNTERS_TABLE, FORMAT_VERSION, ITERATOR_KEY_KEY, NEXT_LOG_ID_KEY, SERVER_TABLE, STREAMS_TABLE,
    ShardMeta, StreamMeta, StreamMode,
};
use crate::model::*;
use crate::tags;

mod access;
mod account;
pub use access::AccessTarget;
mod consumers;
mod fanout;
mod ondemand;
pub use fanout::Subscription;
mod records;
mod reshard;
mod settings;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use parking_lot::RwLock;
use sluice_storage::{
    AppendRecord, LogAppend, LogId, LogStore, MetaOp, MetaStore, ReadLimits, StorageError,
};
use sluice_types::{
    Arn, Clock, HashKey, HashKeyRange, SequenceNumber, ShardId, StreamName, partition_hash,
};
use std::collections::BTreeMap;
use std::sync::Arc;

const HOUR_MS: i64 = 3_600_000;
pub const MIN_RETENTION_HOURS: u32 = 24;
pub const MAX_RETENTION_HOURS: u32 = 8760;
const DEFAULT_ON_DEMAND_SHARDS: u32 = 4;
const GET_RECORDS_MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct StreamsConfig {
    pub region: String,
    pub account_id: String,
    /// Most open shards across all streams (AWS's account shard quota).
    pub shard_limit: u32,
    pub on_demand_stream_limit: u32,
    /// How long a new stream reads as CREATING.
    pub create_delay_ms: i64,
    /// How long a deleted stream reads as DELETING.
    pub delete_delay_ms: i64,
    /// How long a resharded stream reads as UPDATING.
    pub update_delay_ms: i64,
    /// AWS's per-shard throughput limits, or none.
    pub limits: crate::limits::LimitsMode,
    /// How long a new enhanced fan-out consumer reads as CREATING (and a deregistered one as
    /// DELETING).
    pub consumer_delay_ms: i64,
    /// How long a SubscribeToShard subscription lasts (AWS: 5 minutes).
    pub subscription_lifetime_ms: i64,
    /// An on-demand stream doubles its shards when its write rate over this long reaches half
    /// of its shards' capacity.
    pub on_demand_window_ms: i64,
    /// Keys for StartStreamEncryption besides `alias/aws/kinesis`: (KeyId, AES-256 key).
    pub kms_keys: Vec<(String, [u8; 32])>,
}

impl Default for StreamsConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: sluice_types::DEFAULT_ACCOUNT_ID.into(),
            shard_limit: 500,
            on_demand_stream_limit: 50,
            create_delay_ms: 0,
            delete_delay_ms: 0,
            update_delay_ms: 0,
            limits: crate::limits::LimitsMode::Off,
            consumer_delay_ms: 0,
            subscription_lifetime_ms: 300_000,
            on_demand_window_ms: 60_000,
            kms_keys: Vec::new(),
        }
    }
}

/// A stream as the data path sees it: its metadata and a routing table of open shards.
struct StreamState {
    meta: StreamMeta,
    /// Open shards sorted by hash range start: (start, end, shard index, log).
    routes: Vec<(u128, u128, u32, LogId)>,
    metrics: StreamMetrics,
    /// Held shared by each write from routing until its append is acknowledged, and exclusively
    /// by a reshard while it closes shards, so a write lands in a shard that is open when its
    /// offset is assigned (never past a closed shard's end). One gate per stream, handed from
    /// each version of the state to the next.
    gate: Arc<tokio::sync::RwLock<()>>,
}

/// The stream's counters, looked up once rather than on every call.
struct StreamMetrics {
    incoming_records: metrics::Counter,
    incoming_bytes: metrics::Counter,
    get_records_calls: metrics::Counter,
    outgoing_records: metrics::Counter,
    outgoing_bytes: metrics::Counter,
}

impl StreamMetrics {
    fn new(stream: &str) -> Self {
        let c = |name: &'static str| metrics::counter!(name, "stream" => stream.to_owned());
        Self {
            incoming_records: c("sluice_stream_incoming_records_total"),
            incoming_bytes: c("sluice_stream_incoming_bytes_total"),
            get_records_calls: c("sluice_stream_get_records_calls_total"),
            outgoing_records: c("sluice_stream_outgoing_records_total"),
            outgoing_bytes: c("sluice_stream_outgoing_bytes_total"),
        }
    }
}

impl StreamState {
    fn new(meta: StreamMeta) -> Self {
        Self::with_gate(meta, Arc::default())
    }

    fn with_gate(meta: StreamMeta, gate: Arc<tokio::sync::RwLock<()>>) -> Self {
        let mut routes: Vec<_> = meta
            .open_shards()
            .map(|s| {
                let r = s.hash_range();
                (r.start.0, r.end.0, s.index, s.log)
            })
            .collect();
        routes.sort_unstable();
        let metrics = StreamMetrics::new(meta.name.as_str());
        Self {
            meta,
            routes,
            metrics,
            gate,
        }
    }

    fn route(&self, hash: u128) -> Option<(u32, LogId)> {
        let i = self.routes.partition_point(|r| r.0 <= hash);
        let r = self.routes.get(i.checked_sub(1)?)?;
        (hash <= r.1).then_some((r.2, r.3))
    }

    fn shard(&self, index: u32) -> Option<&ShardMeta> {
        self.meta.shards.iter().find(|s| s.index == index)
    }

    /// When a shard was created (its sequence numbers show it).
    fn shard_created_ms(&self, index: u32) -> i64 {
        self.shard(index)
            .map_or(self.meta.created_ms, |s| s.created_ms)
    }
}

pub struct Streams {
    config: StreamsConfig,
    clock: Arc<dyn Clock>,
    logs: Arc<dyn LogStore>,
    meta: Arc<dyn MetaStore>,
    iterators: IteratorCodec,
    streams: RwLock<BTreeMap<String, Arc<StreamState>>>,
    /// Serializes control-plane changes.
    control: tokio::sync::Mutex<()>,
    limiter: crate::limits::Limiter,
    /// New-data signals per log and the live SubscribeToShard subscriptions.
    fanout: fanout::Fanout,
    /// Write load of on-demand streams, for scaling them.
    ondemand: ondemand::OnDemand,
    /// Keys for encryption at rest.
    keys: Arc<crate::kms::KeyStore>,
    /// See [`Streams::has_resource_policies`].
    any_policy: std::sync::atomic::AtomicBool,
}

impl Streams {
    /// Loads every stream and checks that each shard's log exists. Logs no stream names are the
    /// server's to reconcile ([`sluice_storage::orphans`]), once every service has loaded.
    pub fn open(
        config: StreamsConfig,
        clock: Arc<dyn Clock>,
        logs: Arc<dyn LogStore>,
        meta: Arc<dyn MetaStore>,
    ) -> Result<Self> {
        let key = match meta.get(SERVER_TABLE, ITERATOR_KEY_KEY)? {
            Some(k) if k.len() == 32 => k,
            _ => {
                let k: [u8; 32] = rand::random();
                meta.commit(vec![MetaOp::Put {
                    table: SERVER_TABLE.into(),
                    key: ITERATOR_KEY_KEY.into(),
                    value: k.to_vec(),
                }])
                .map_err(storage_txn)?;
                k.to_vec()
            }
        };
        let mut key_arr = [0u8; 32];
        key_arr.copy_from_slice(&key);
        let mut streams = BTreeMap::new();
        for (name, value) in meta.scan(STREAMS_TABLE)? {
            let m: StreamMeta = serde_json::from_slice(&value).map_err(|e| {
                StorageError::Fatal(format!("stream metadata for {name} unreadable: {e}"))
            })?;
            if m.format != FORMAT_VERSION {
                return Err(StorageError::Fatal(format!(
                    "stream {name}: unknown metadata format {}",
                    m.format
                ))
                .into());
            }
            streams.insert(name, Arc::new(StreamState::new(m)));
        }
        for state in streams.values() {
            for shard in &state.meta.shards {
                if logs.bounds(shard.log).is_err() {
                    return Err(StorageError::Fatal(format!(
                        "stream {}: log of shard {} is missing",
                        state.meta.name,
                        ShardId::new(shard.index)
                    ))
                    .into());
                }
            }
        }
        let keys = Arc::new(crate::kms::KeyStore::open(meta.as_ref(), &config.kms_keys)?);
        let any_policy = streams.values().any(|s| {
            s.meta.resource_policy.is_some()
                || s.meta.consumers.iter().any(|c| c.resource_policy.is_some())
        });
        let service = Self {
            clock,
            logs,
            meta,
            iterators: IteratorCodec::new(key_arr),
            streams: RwLock::new(streams),
            control: tokio::sync::Mutex::new(()),
            limiter: crate::limits::Limiter::new(config.limits),
            fanout: fanout::Fanout::default(),
            ondemand: ondemand::OnDemand::default(),
            keys,
            any_policy: std::sync::atomic::AtomicBool::new(any_policy),
            config,
        };
        Ok(service)
    }

    /// The key store of encryption at rest, shared with the services that seal records in
    /// their own logs (Firehose's DirectPut).
    pub fn key_store(&self) -> Arc<crate::kms::KeyStore> {
        self.keys.clone()
    }

    pub fn config(&self) -> &StreamsConfig {
        &self.config
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    pub fn stream_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:kinesis:{}:{}:stream/{name}",
            self.config.region, self.config.account_id
        )
    }

    fn not_found(&self, name: &str) -> StreamsError {
        StreamsError::StreamNotFound {
            stream: name.to_owned(),
            account: self.config.account_id.clone(),
        }
    }

    fn status(&self, m: &StreamMeta) -> StreamStatus {
        let now = self.now();
        if m.deleting_until_ms.is_some() {
            StreamStatus::Deleting
        } else if now < m.active_at_ms {
            StreamStatus::Creating
        } else if m.updating_until_ms.is_some_and(|t| now < t) {
            StreamStatus::Updating
        } else {
            StreamStatus::Active
        }
    }

    /// The stream if it exists (including while DELETING).
    fn get(&self, name: &str) -> Result<Arc<StreamState>> {
        self.finish_due_deletions()?;
        self.streams
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| self.not_found(name))
    }

    /// The stream if it is ACTIVE (or UPDATING); otherwise ResourceInUse naming its state.
    fn get_active(&self, name: &str) -> Result<Arc<StreamState>> {
        let s = self.get(name)?;
        match self.status(&s.meta) {
            StreamStatus::Active | StreamStatus::Updating => Ok(s),
            other => Err(StreamsError::StreamNotActive {
                stream: name.to_owned(),
                account: self.config.account_id.clone(),
                status: other.as_str(),
            }),
        }
    }

    /// For the data path: a stream that is not ACTIVE is reported as not found, as AWS does.
    fn get_writable(&self, name: &str) -> Result<Arc<StreamState>> {
        let s = self.get(name)?;
        match self.status(&s.meta) {
            StreamStatus::Active | StreamStatus::Updating => Ok(s),
            _ => Err(self.not_found(name)),
        }
    }

    fn persist(&self, m: StreamMeta, extra: Vec<MetaOp>) -> Result<Arc<StreamState>> {
        let value = serde_json::to_vec(&m).map_err(|e| StorageError::Fatal(e.to_string()))?;
        let mut ops = extra;
        ops.push(MetaOp::Put {
            table: STREAMS_TABLE.into(),
            key: m.name.clone(),
            value,
        });
        self.meta.commit(ops).map_err(storage_txn)?;
        let gate = self
            .streams
            .read()
            .get(&m.name)
            .map(|s| s.gate.clone())
            .unwrap_or_default();
        let state = Arc::new(StreamState::with_gate(m, gate));
        self.streams
            .write()
            .insert(state.meta.name.clone(), state.clone());
        Ok(state)
    }

    fn open_shard_total(&self) -> u32 {
        self.streams
            .read()
            .values()
            .filter(|s| s.meta.deleting_until_ms.is_none())
            .map(|s| s.meta.open_shards().count() as u32)
            .sum()
    }

    /// LimitExceeded if `extra` more open shards would pass the account's shard limit.
    fn check_shard_limit(&self, extra: u32) -> Result<()> {
        let open = self.open_shard_total();
        if open.saturating_add(extra) > self.config.shard_limit {
            return Err(StreamsError::LimitExceeded(format!(
                "This request would exceed the shard limit for the account {} in {}. Current shard count for the account: {open}. Limit: {}. Number of additional shards that would have resulted from this request: {extra}. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.",
                self.config.account_id, self.config.region, self.config.shard_limit
            )));
        }
        Ok(())
    }

    /// LimitExceeded if one more on-demand stream would pass the account's limit.
    fn check_on_demand_limit(&self) -> Result<()> {
        let on_demand = self
            .streams
            .read()
            .values()
            .filter(|s| s.meta.mode == StreamMode::OnDemand)
            .count() as u32;
        if on_demand >= self.config.on_demand_stream_limit {
            return Err(StreamsError::LimitExceeded(format!(
                "This request would exceed the on-demand stream limit for the account {} in {}. Limit: {}.",
                self.config.account_id, self.config.region, self.config.on_demand_stream_limit
            )));
        }
        Ok(())
    }

    /// Removes streams whose DELETING period is over.
    pub fn finish_due_deletions(&self) -> Result<()> {
        let now = self.now();
        let due: Vec<Arc<StreamState>> = self
            .streams
            .read()
            .values()
            .filter(|s| s.meta.deleting_until_ms.is_some_and(|t| now >= t))
            .cloned()
            .collect();
        for s in due {
            self.remove_stream(&s)?;
        }
        Ok(())
    }

    fn remove_stream(&self, s: &StreamState) -> Result<()> {
        // The tombstones let a restart finish deleting the logs if this process dies first.
        let mut ops = vec![MetaOp::Delete {
            table: STREAMS_TABLE.into(),
            key: s.meta.name.clone(),
        }];
        ops.extend(sluice_storage::orphans::tombstones(
            s.meta.shards.iter().map(|sh| sh.log),
        ));
        self.meta.commit(ops).map_err(storage_txn)?;
        self.streams.write().remove(&s.meta.name);
        self.ondemand.forget(&s.meta.name);
        for shard in &s.meta.shards {
            self.limiter.forget(shard.log);
            self.fanout.forget(shard.log);
            sluice_storage::orphans::delete_tombstoned(
                self.logs.as_ref(),
                self.meta.as_ref(),
                shard.log,
            )?;
        }
        Ok(())
    }

    /// Every log a stream's shard is stored in.
    pub fn referenced_logs(&self) -> Vec<LogId> {
        self.streams
            .read()
            .values()
            .flat_map(|s| s.meta.shards.iter().map(|sh| sh.log).collect::<Vec<_>>())
            .collect()
    }

    // ---- control plane -------------------------------------------------------------------

    pub async fn create_stream(&self, input: CreateStreamInput) -> Result<()> {
        let _guard = self.control.lock().await;
        let name = input.name.as_str().to_owned();
        self.finish_due_deletions()?;
        if self.streams.read().contains_key(&name) {
            return Err(StreamsError::StreamExists {
                stream: name,
                account: self.config.account_id.clone(),
            });
        }
        let mode = input.mode.unwrap_or(if input.shard_count.is_some() {
            StreamMode::Provisioned
        } else {
            StreamMode::OnDemand
        });
        let shard_count = match (mode, input.shard_count) {
            (StreamMode::Provisioned, Some(n)) => n,
            (StreamMode::Provisioned, None) => {
                return Err(StreamsError::InvalidArgument(
                    "ShardCount is required for streams in PROVISIONED mode.".into(),
                ));
            }
            (StreamMode::OnDemand, Some(n)) => n,
            (StreamMode::OnDemand, None) => DEFAULT_ON_DEMAND_SHARDS,
        };
        if mode == StreamMode::OnDemand {
            self.check_on_demand_limit()?;
        }
        self.check_shard_limit(shard_count)?;
        let mut tags_map = BTreeMap::new();
        tags::add_tags(&mut tags_map, &input.tags, &name, &self.config.account_id)?;
        let now = self.now();
        let retention_ms = i64::from(MIN_RETENTION_HOURS) * HOUR_MS;
        let first_log: LogId = match self.meta.get(COUNTERS_TABLE, NEXT_LOG_ID_KEY)? {
            Some(v) => String::from_utf8_lossy(&v).parse().unwrap_or(1),
            None => 1,
        };
        let mut shards = Vec::with_capacity(shard_count as usize);
        for (i, range) in HashKeyRange::split_evenly(shard_count)
            .into_iter()
            .enumerate()
        {
            let log = first_log + i as u64;
            self.logs.create_log(log, retention_ms)?;
            shards.push(ShardMeta {
                index: i as u32,
                log,
                parent: None,
                adjacent_parent: None,
                hash_start: range.start.to_string(),
                hash_end: range.end.to_string(),
                starting_offset: 0,
                ending_offset: None,
                created_ms: now,
                closed_ms: None,
            });
        }
        let m = StreamMeta {
            format: FORMAT_VERSION,
            name,
            created_ms: now,
            active_at_ms: now + self.config.create_delay_ms,
            deleting_until_ms: None,
            mode,
            retention_hours: MIN_RETENTION_HOURS,
            shards,
            next_shard_index: shard_count,
            tags: tags_map,
            shard_level_metrics: Default::default(),
            max_record_size_kib: input.max_record_size_kib.unwrap_or(1024),
            resource_policy: None,
            updating_until_ms: None,
            consumers: Vec::new(),
            encryption: None,
            warm_throughput_mibps: None,
        };
        let next = first_log + u64::from(shard_count);
        self.persist(
            m,
            vec![MetaOp::Put {
                table: COUNTERS_TABLE.into(),
                key: NEXT_LOG_ID_KEY.into(),
                value: next.to_string().into_bytes(),
            }],
        )?;
        Ok(())
    }

    pub async fn delete_stream(
        &self,
        name: &StreamName,
        enforce_consumer_deletion: bool,
    ) -> Result<()> {
        let _guard = self.control.lock().await;
        let s = self.get(name.as_str())?;
        if s.meta.deleting_until_ms.is_some() {
            return Ok(());
        }
        if !s.meta.consumers.is_empty() && !enforce_consumer_deletion {
            return Err(StreamsError::ResourceInUse(format!(
                "Stream {name} under account {} has registered consumers. Deregister them, or set EnforceConsumerDeletion to delete them with the stream.",
                self.config.account_id
            )));
        }
        if self.config.delete_delay_ms <= 0 {
            return self.remove_stream(&s);
        }
        let mut m = s.meta.clone();
        m.deleting_until_ms = Some(self.now() + self.config.delete_delay_ms);
        self.persist(m, Vec::new())?;
        Ok(())
    }

    fn describe(
        &self,
        s: &StreamState,
        shards: Vec<ShardDescription>,
        has_more: bool,
    ) -> StreamDescription {
        let m = &s.meta;
        StreamDescription {
            name: m.name.parse().unwrap_or_else(|_| unreachable_name()),
            arn: self.stream_arn(&m.name),
            status: self.status(m),
            mode: m.mode,
            shards,
            has_more_shards: has_more,
            retention_hours: m.retention_hours,
            created_ms: m.created_ms,
            shard_level_metrics: m.shard_level_metrics.iter().cloned().collect(),
            open_shard_count: m.open_shards().count() as u32,
            consumer_count: m.consumers.len() as u32,
            encryption_key_id: m.encryption.as_ref().map(|e| e.key_id.clone()),
            warm_throughput: (m.mode == StreamMode::OnDemand).then(|| {
                let open = m.open_shards().count() as u32;
                (m.warm_throughput_mibps.unwrap_or(open), open)
            }),
            max_record_size_kib: m.max_record_size_kib,
        }
    }

    fn shard_description(s: &ShardMeta) -> ShardDescription {
        let id = ShardId::new(s.index);
        ShardDescription {
            shard_id: id,
            parent: s.parent.map(ShardId::new),
            adjacent_parent: s.adjacent_parent.map(ShardId::new),
            hash_range: s.hash_range(),
            starting_sequence: SequenceNumber::at(
                id,
                s.starting_offset,
                s.created_ms,
                s.created_ms,
            ),
            ending_sequence: s.ending_offset.map(|o| {
                let closed = s.closed_ms.unwrap_or(s.created_ms);
                SequenceNumber::at(id, o.saturating_sub(1), s.created_ms, closed)
            }),
        }
    }

    /// DescribeStream: up to `limit` shards after `exclusive_start`.
    pub fn describe_stream(
        &self,
        name: &StreamName,
        limit: Option<u32>,
        exclusive_start: Option<ShardId>,
    ) -> Result<StreamDescription> {
        let s = self.get(name.as_str())?;
        let limit = limit.unwrap_or(100).min(100) as usize;
        let candidates: Vec<_> = if self.status(&s.meta) == StreamStatus::Creating {
            Vec::new()
        } else {
            s.meta
                .shards
                .iter()
                .filter(|sh| exclusive_start.is_none_or(|x| sh.index > x.index()))
                .collect()
        };
        let has_more = candidates.len() > limit;
        let shards = candidates
            .into_iter()
            .take(limit)
            .map(Self::shard_description)
            .collect();
        Ok(self.describe(&s, shards, has_more))
    }

    pub fn describe_stream_summary(&self, name: &StreamName) -> Result<StreamDescription> {
        let s = self.get(name.as_str())?;
        Ok(self.describe(&s, Vec::new(), false))
    }

    pub fn list_streams(
        &self,
        limit: Option<u32>,
        exclusive_start: Option<&str>,
        next_token: Option<&str>,
    ) -> Result<ListStreamsOutput> {
        self.finish_due_deletions()?;
        let after = match next_token {
            Some(t) => Some(
                URL_SAFE_NO_PAD
                    .decode(t)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| StreamsError::InvalidArgument("Invalid NextToken.".into()))?,
            ),
            None => exclusive_start.map(str::to_owned),
        };
        let limit = limit.unwrap_or(100).clamp(1, 10_000) as usize;
        let streams = self.streams.read();
        let mut page: Vec<StreamSummary> = streams
            .values()
            .filter(|s| after.as_deref().is_none_or(|a| s.meta.name.as_str() > a))
            .take(limit + 1)
            .map(|s| StreamSummary {
                name: s.meta.name.parse().unwrap_or_else(|_| unreachable_name()),
                arn: self.stream_arn(&s.meta.name),
                status: self.status(&s.meta),
                mode: s.meta.mode,
                created_ms: s.meta.created_ms,
            })
            .collect();
        let has_more = page.len() > limit;
        page.truncate(limit);
        let next_token = if has_more {
            page.last().map(|s| URL_SAFE_NO_PAD.encode(s.name.as_str()))
        } else {
            None
        };
        Ok(ListStreamsOutput {
            streams: page,
            has_more,
            next_token,
        })
    }

    pub fn list_shards(&self, input: ListShardsInput) -> Result<ListShardsOutput> {
        // NextToken: base64("v1|stream|created_ms|last_index|issued_ms|filter-free").
        let (name, created, after) = match (&input.stream, &input.next_token) {
            (Some(_), Some(_)) => {
                return Err(StreamsError::InvalidArgument(
                    "NextToken and StreamName cannot be provided together.".into(),
                ));
            }
            (None, None) => {
                return Err(StreamsError::InvalidArgument(
                    "Either NextToken or StreamName should be provided.".into(),
                ));
            }
            (Some(name), None) => (
                name.as_str().to_owned(),
                None,
                input.exclusive_start_shard_id.map(ShardId::index),
            ),
            (None, Some(token)) => {
                let (name, created, after, issued) = decode_list_token(token).ok_or_else(|| {
                    StreamsError::InvalidArgument(
                        "Invalid ShardId in ExclusiveStartShardId or NextToken".into(),
                    )
                })?;
                if self.now() - issued > ITERATOR_TTL_MS {
                    return Err(StreamsError::ExpiredNextToken);
                }
                (name, Some(created), Some(after))
            }
        };
        let s = self.get(&name)?;
        if created.is_some_and(|c| c != s.meta.created_ms) {
            return Err(StreamsError::InvalidArgument(
                "Invalid ShardId in ExclusiveStartShardId or NextToken".into(),
            ));
        }
        let max = input.max_results.unwrap_or(1000).clamp(1, 1000) as usize;
        let now = self.now();
        let trim_cutoff = now - i64::from(s.meta.retention_hours) * HOUR_MS;
        let matches = |sh: &ShardMeta| -> bool {
            if after.is_some_and(|a| sh.index <= a) {
                return false;
            }
            match &input.filter {
                None | Some(ShardFilter::FromTrimHorizon) => true,
                Some(ShardFilter::AfterShardId(id)) => sh.index > id.index(),
                // Open at the trim horizon: the oldest time whose data is still kept (the
                // stream's creation, for a stream younger than its retention).
                Some(ShardFilter::AtTrimHorizon) => {
                    let horizon = trim_cutoff.max(s.meta.created_ms);
                    sh.created_ms <= horizon && sh.closed_ms.is_none_or(|c| c > horizon)
                }
                Some(ShardFilter::AtLatest) => sh.ending_offset.is_none(),
                Some(ShardFilter::AtTimestamp(ts)) => {
                    sh.created_ms <= *ts && sh.closed_ms.is_none_or(|c| c > *ts)
                }
                Some(ShardFilter::FromTimestamp(ts)) => sh.closed_ms.is_none_or(|c| c >= *ts),
            }
        };
        let selected: Vec<&ShardMeta> = s
            .meta
            .shards
            .iter()
            .filter(|sh| matches(sh))
            .take(max + 1)
            .collect();
        let more = selected.len() > max;
        let shards: Vec<ShardDescription> = selected
            .into_iter()
            .take(max)
            .map(Self::shard_description)
            .collect();
        let next_token = if more {
            shards.last().map(|last| {
                encode_list_token(&s.meta.name, s.meta.created_ms, last.shard_id.index(), now)
            })
        } else {
            None
        };
        Ok(ListShardsOutput { shards, next_token })
    }
}

/// AWS accepts any shard id whose part after the last `-` is a number.
/// A shard id as AWS reads one: the digits after the first `-` (or the whole text, if nothing
/// follows one), at most 2147483647, so `shardId-5`, `5` and `anything-0005` all name
/// `shardId-000000000005`.
fn parse_shard_id(s: &str) -> Option<ShardId> {
    let digits = s.split('-').nth(1).filter(|d| !d.is_empty()).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let index = digits.trim_start_matches('0').parse::<u64>().unwrap_or(0);
    if digits.trim_start_matches('0').len() > 10 || index > i32::MAX as u64 {
        return None;
    }
    Some(ShardId::new(index as u32))
}

fn encode_list_token(name: &str, created: i64, after: u32, issued: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("1|{created}|{after}|{issued}|{name}"))
}

fn decode_list_token(token: &str) -> Option<(String, i64, u32, i64)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    let mut parts = raw.splitn(5, '|');
    if parts.next()? != "1" {
        return None;
    }
    let created = parts.next()?.parse().ok()?;
    let after = parts.next()?.parse().ok()?;
    let issued = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_owned(), created, after, issued))
}

fn storage_txn(e: sluice_storage::MetaTxnError) -> StreamsError {
    match e {
        sluice_storage::MetaTxnError::Storage(s) => StreamsError::Storage(s),
        sluice_storage::MetaTxnError::Conflict { table, key } => StreamsError::Storage(
            StorageError::Fatal(format!("concurrent metadata change on {table}/{key}")),
        ),
    }
}

/// Names in the metadata were validated when the stream was created.
fn unreachable_name() -> StreamName {
    "invalid"
        .parse()
        .unwrap_or_else(|_| unreachable!("a constant valid name"))
}
