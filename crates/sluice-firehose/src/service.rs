//! `Firehose`, the service: delivery streams' control plane, the DirectPut data path, and the
//! delivery workers (`delivery.rs`) that take records from each stream's log to its destination.

use crate::delivery::Worker;
use crate::destinations::{
    apply_http_update, apply_search_update, apply_update, validate_destination,
};
use crate::error::{FirehoseError, Result};

use crate::meta::*;
use crate::model::*;
use crate::sink::ObjectSink;
use parking_lot::RwLock;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sluice_storage::{
    AppendRecord, LogAppend, LogId, LogStore, MetaOp, MetaStore, MetaTxnError, ReadLimits,
    StorageError,
};
use sluice_streams::kms::{KeyStore, MANAGED_KEY};
use sluice_types::{Clock, FIREHOSE_LOG_BASE};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// AWS's limits.
pub const MAX_BATCH_RECORDS: usize = 500;
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
pub const MAX_RECORD_BYTES: usize = 1_000 * 1024;
pub const MAX_TAGS: usize = 50;
/// Undelivered records are kept this long, as AWS keeps them for 24 hours.
pub const RETENTION_MS: i64 = 24 * 3600 * 1000;
const FIRST_DESTINATION_ID: &str = "destinationId-000000000001";

#[derive(Debug, Clone)]
pub struct FirehoseConfig {
    pub region: String,
    pub account_id: String,
    /// A new delivery stream reads CREATING this long.
    pub create_delay_ms: i64,
    /// Most delivery streams per account (AWS's default quota is 5,000 per region).
    pub max_delivery_streams: usize,
    /// OpenSearch/Elasticsearch domain name (of a DomainARN) → cluster URL.
    pub search_domains: Vec<(String, String)>,
    /// Lambda function name → `http(s)://URL` or `cmd:COMMAND` (the `Lambda` processor).
    pub lambdas: Vec<(String, String)>,
    /// `DATABASE.TABLE` → a JSON file of the table's columns, in place of the Glue Data Catalog
    /// (record format conversion).
    pub glue_tables: Vec<(String, std::path::PathBuf)>,
    /// Keys for server-side encryption with CUSTOMER_MANAGED_CMK (`--kms-key`), used when no
    /// Data Streams service shares its key store.
    pub kms_keys: Vec<(String, [u8; 32])>,
}

impl Default for FirehoseConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: sluice_types::DEFAULT_ACCOUNT_ID.into(),
            create_delay_ms: 0,
            max_delivery_streams: 5_000,
            search_domains: Vec::new(),
            lambdas: Vec::new(),
            glue_tables: Vec::new(),
            kms_keys: Vec::new(),
        }
    }
}

/// One delivery stream: its current metadata and its delivery worker.
pub(crate) struct DeliveryState {
    pub meta: RwLock<Arc<DeliveryStreamMeta>>,
    /// Woken after each acknowledged put, so the worker needs no polling interval.
    pub new_data: tokio::sync::Notify,
    pub worker: tokio::sync::Mutex<Worker>,
    pub deleted: AtomicBool,
}

pub struct Firehose {
    pub(crate) config: FirehoseConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) logs: Arc<dyn LogStore>,
    pub(crate) meta: Arc<dyn MetaStore>,
    pub(crate) sink: Arc<dyn ObjectSink>,
    pub(crate) streams: RwLock<BTreeMap<String, Arc<DeliveryState>>>,
    /// Serializes control-plane changes.
    control: tokio::sync::Mutex<()>,
    /// Random strings and UUIDs of object keys.
    pub(crate) rng: parking_lot::Mutex<StdRng>,
    /// The client for HTTP endpoint destinations.
    pub(crate) http: reqwest::Client,
    /// The Data Streams service that KinesisStreamAsSource delivery streams read.
    pub(crate) data_streams: Option<Arc<sluice_streams::Streams>>,
    /// Seals and opens DirectPut records while server-side encryption is on.
    pub(crate) keys: Arc<KeyStore>,
}

fn storage_txn(e: MetaTxnError) -> FirehoseError {
    match e {
        MetaTxnError::Storage(s) => FirehoseError::Storage(s),
        MetaTxnError::Conflict { table, key } => {
            FirehoseError::Storage(StorageError::Fatal(format!("conflict on {table}/{key}")))
        }
    }
}

impl Firehose {
    /// Loads every delivery stream and checks that its log exists. `seed` seeds the random parts
    /// of object keys.
    pub fn open(
        config: FirehoseConfig,
        clock: Arc<dyn Clock>,
        logs: Arc<dyn LogStore>,
        meta: Arc<dyn MetaStore>,
        sink: Arc<dyn ObjectSink>,
        data_streams: Option<Arc<sluice_streams::Streams>>,
        seed: u64,
    ) -> Result<Self> {
        let mut streams = BTreeMap::new();
        for (name, value) in meta.scan(FIREHOSE_TABLE)? {
            let m: DeliveryStreamMeta = serde_json::from_slice(&value).map_err(|e| {
                StorageError::Fatal(format!(
                    "delivery stream metadata for {name} unreadable: {e}"
                ))
            })?;
            if m.format != FORMAT_VERSION {
                return Err(StorageError::Fatal(format!(
                    "delivery stream {name}: unknown metadata format {}",
                    m.format
                ))
                .into());
            }
            if logs.bounds(m.log).is_err() {
                return Err(StorageError::Fatal(format!(
                    "delivery stream {name}: its log {} is missing",
                    m.log
                ))
                .into());
            }
            let delivered = read_progress(meta.as_ref(), &m)?;
            streams.insert(name, Arc::new(DeliveryState::new(m, delivered)));
        }
        let keys = match &data_streams {
            Some(s) => s.key_store(),
            None => Arc::new(KeyStore::open(meta.as_ref(), &config.kms_keys).map_err(kms_error)?),
        };
        Ok(Self {
            config,
            clock,
            logs,
            meta,
            sink,
            streams: RwLock::new(streams),
            control: tokio::sync::Mutex::new(()),
            rng: parking_lot::Mutex::new(StdRng::seed_from_u64(seed)),
            http: crate::sink::http_client()?,
            data_streams,
            keys,
        })
    }

    pub fn config(&self) -> &FirehoseConfig {
        &self.config
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    pub fn arn(&self, name: &str) -> String {
        format!(
            "arn:aws:firehose:{}:{}:deliverystream/{name}",
            self.config.region, self.config.account_id
        )
    }

    fn not_found(&self, name: &str) -> FirehoseError {
        FirehoseError::NotFound {
            name: name.to_owned(),
            account: self.config.account_id.clone(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Result<Arc<DeliveryState>> {
        self.streams
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| self.not_found(name))
    }

    fn status(&self, m: &DeliveryStreamMeta) -> DeliveryStreamStatus {
        if self.now() < m.active_at_ms {
            DeliveryStreamStatus::Creating
        } else {
            DeliveryStreamStatus::Active
        }
    }

    fn persist(&self, m: &DeliveryStreamMeta, extra: Vec<MetaOp>) -> Result<()> {
        let value = serde_json::to_vec(m).map_err(|e| StorageError::Fatal(e.to_string()))?;
        let mut ops = extra;
        ops.push(MetaOp::Put {
            table: FIREHOSE_TABLE.into(),
            key: m.name.clone(),
            value,
        });
        self.meta.commit(ops).map_err(storage_txn)
    }

    /// The names of the delivery streams, for the server to start their workers.
    pub fn names(&self) -> Vec<String> {
        self.streams.read().keys().cloned().collect()
    }

    // ---------------------------------------------------------------- control plane

    pub async fn create(&self, input: CreateDeliveryStreamInput) -> Result<String> {
        let _guard = self.control.lock().await;
        let name = input.name.clone();
        if self.streams.read().contains_key(&name) {
            return Err(FirehoseError::AlreadyExists {
                name,
                account: self.config.account_id.clone(),
            });
        }
        if self.streams.read().len() >= self.config.max_delivery_streams {
            return Err(FirehoseError::LimitExceeded(format!(
                "You have already consumed your firehose quota of {} hoses. Firehose names: {name}",
                self.config.max_delivery_streams
            )));
        }
        let now = self.now();
        let mut extra = Vec::new();
        match (input.source, &input.kinesis_source) {
            (SourceKind::DirectPut, None) => {}
            (SourceKind::KinesisStreamAsSource, Some(src)) => {
                let stream = self.source_stream(&src.stream_arn)?;
                extra = self.initial_checkpoints(&name, &stream, now)?;
            }
            (SourceKind::KinesisStreamAsSource, None) => {
                return Err(FirehoseError::InvalidArgument(
                    "KinesisStreamSourceConfiguration is required when DeliveryStreamType is KinesisStreamAsSource.".into(),
                ));
            }
            (SourceKind::DirectPut, Some(_)) => {
                return Err(FirehoseError::InvalidArgument(
                    "KinesisStreamSourceConfiguration is only allowed when DeliveryStreamType is KinesisStreamAsSource.".into(),
                ));
            }
        }
        if let Some(e) = &input.encryption {
            self.check_encryption(&name, input.source, e)?;
        }
        let mut destination = input.destination;
        self.resolve_domain(&mut destination)?;
        validate_destination(&destination)?;
        self.check_functions(&destination)?;
        let mut tags = BTreeMap::new();
        add_tags(&mut tags, &input.tags)?;
        let log: LogId = match self.meta.get(COUNTERS_TABLE, NEXT_LOG_ID_KEY)? {
            Some(v) => String::from_utf8_lossy(&v)
                .parse()
                .unwrap_or(FIREHOSE_LOG_BASE),
            None => FIREHOSE_LOG_BASE,
        };
        self.logs.create_log(log, RETENTION_MS)?;
        let m = DeliveryStreamMeta {
            format: FORMAT_VERSION,
            name: name.clone(),
            created_ms: now,
            active_at_ms: now + self.config.create_delay_ms,
            updated_ms: None,
            source: input.source,
            log,
            version_id: 1,
            destinations: vec![Destination {
                id: FIRST_DESTINATION_ID.into(),
                config: destination,
            }],
            tags,
            encryption: input.encryption,
            throughput_hint_mb: input.throughput_hint_mb,
            kinesis_source: input.kinesis_source,
        };
        extra.push(MetaOp::Put {
            table: COUNTERS_TABLE.into(),
            key: NEXT_LOG_ID_KEY.into(),
            value: (log + 1).to_string().into_bytes(),
        });
        self.persist(&m, extra)?;
        self.streams
            .write()
            .insert(name.clone(), Arc::new(DeliveryState::new(m, 0)));
        Ok(self.arn(&name))
    }

    pub async fn delete(&self, name: &str) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let m = state.meta.read().clone();
        let mut ops = vec![MetaOp::Delete {
            table: FIREHOSE_TABLE.into(),
            key: name.to_owned(),
        }];
        for d in &m.destinations {
            ops.push(MetaOp::Delete {
                table: PROGRESS_TABLE.into(),
                key: progress_key(name, &d.id),
            });
        }
        let prefix = format!("{name}/");
        for (key, _) in self.meta.scan(crate::source::SOURCE_TABLE)? {
            if key.starts_with(&prefix) {
                ops.push(MetaOp::Delete {
                    table: crate::source::SOURCE_TABLE.into(),
                    key,
                });
            }
        }
        ops.extend(sluice_storage::orphans::tombstones([m.log]));
        self.meta.commit(ops).map_err(storage_txn)?;
        state.deleted.store(true, Ordering::SeqCst);
        state.new_data.notify_one();
        self.streams.write().remove(name);
        // Wait for a delivery in progress to finish before the log goes.
        let _worker = state.worker.lock().await;
        sluice_storage::orphans::delete_tombstoned(self.logs.as_ref(), self.meta.as_ref(), m.log)?;
        Ok(())
    }

    /// Every log a delivery stream buffers its records in.
    pub fn referenced_logs(&self) -> Vec<LogId> {
        self.streams
            .read()
            .values()
            .map(|s| s.meta.read().log)
            .collect()
    }

    pub fn describe(
        &self,
        name: &str,
        limit: Option<u32>,
        exclusive_start_destination: Option<&str>,
    ) -> Result<DeliveryStreamDescription> {
        let state = self.get(name)?;
        let m = state.meta.read().clone();
        let limit = limit.unwrap_or(10_000) as usize;
        let after: Vec<Destination> = m
            .destinations
            .iter()
            .filter(|d| exclusive_start_destination.is_none_or(|s| d.id.as_str() > s))
            .cloned()
            .collect();
        let has_more = after.len() > limit;
        Ok(DeliveryStreamDescription {
            name: m.name.clone(),
            arn: self.arn(&m.name),
            status: self.status(&m),
            source: m.source,
            version_id: m.version_id,
            created_ms: m.created_ms,
            updated_ms: m.updated_ms,
            encryption: m.encryption.clone(),
            throughput_hint_mb: m.throughput_hint_mb,
            kinesis_source: m.kinesis_source.clone(),
            destinations: after.into_iter().take(limit).collect(),
            has_more_destinations: has_more,
        })
    }

    pub fn list(&self, input: &ListDeliveryStreamsInput) -> ListDeliveryStreamsOutput {
        let limit = input.limit.unwrap_or(10) as usize;
        let streams = self.streams.read();
        let matching: Vec<String> = streams
            .iter()
            .filter(|(n, s)| {
                input
                    .exclusive_start
                    .as_deref()
                    .is_none_or(|start| n.as_str() > start)
                    && input.source.is_none_or(|k| s.meta.read().source == k)
            })
            .map(|(n, _)| n.clone())
            .collect();
        ListDeliveryStreamsOutput {
            has_more: matching.len() > limit,
            names: matching.into_iter().take(limit).collect(),
        }
    }

    pub async fn update_destination(
        &self,
        name: &str,
        current_version: &str,
        destination_id: &str,
        update: DestinationUpdate,
    ) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let mut m = (**state.meta.read()).clone();
        if current_version.parse::<u64>().ok() != Some(m.version_id) {
            return Err(FirehoseError::VersionMismatch {
                name: name.to_owned(),
                current: m.version_id,
            });
        }
        let Some(dest) = m.destinations.iter_mut().find(|d| d.id == destination_id) else {
            return Err(FirehoseError::InvalidArgument(format!(
                "Destination Id {destination_id} not found for Firehose {name}."
            )));
        };
        match (&mut dest.config, update) {
            (DestinationConfig::S3(s3), DestinationUpdate::S3(u)) => apply_update(s3, u),
            (DestinationConfig::Http(h), DestinationUpdate::Http(u)) => apply_http_update(h, u),
            (DestinationConfig::Search(o), DestinationUpdate::Search(u)) => {
                apply_search_update(o, u)
            }
            // An update that names no destination changes nothing but the version.
            (
                DestinationConfig::Http(_) | DestinationConfig::Search(_),
                DestinationUpdate::S3(u),
            ) if u == S3DestinationUpdate::default() => {}
            _ => {
                return Err(FirehoseError::InvalidArgument(format!(
                    "The update does not match the destination type of Firehose {name}; changing a destination's type is not supported by Sluice yet."
                )));
            }
        }
        self.resolve_domain(&mut dest.config)?;
        validate_destination(&dest.config)?;
        self.check_functions(&dest.config)?;
        m.version_id += 1;
        m.updated_ms = Some(self.now());
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        state.new_data.notify_one();
        Ok(())
    }

    pub async fn tag(&self, name: &str, tags: &[(String, Option<String>)]) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let mut m = (**state.meta.read()).clone();
        add_tags(&mut m.tags, tags)?;
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        Ok(())
    }

    pub async fn untag(&self, name: &str, keys: &[String]) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let mut m = (**state.meta.read()).clone();
        for k in keys {
            m.tags.remove(k);
        }
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        Ok(())
    }

    /// StartDeliveryStreamEncryption: records put from now on are sealed with the key. Sluice
    /// has no KMS grants to wait for, so the status is ENABLED at once.
    pub async fn start_encryption(&self, name: &str, input: StreamEncryptionInput) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let mut m = (**state.meta.read()).clone();
        self.check_active(&m)?;
        self.check_encryption(name, m.source, &input)?;
        m.encryption = Some(input);
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        Ok(())
    }

    /// StopDeliveryStreamEncryption: records put from now on are stored plain; those already
    /// sealed stay so and are delivered as before.
    pub async fn stop_encryption(&self, name: &str) -> Result<()> {
        let _guard = self.control.lock().await;
        let state = self.get(name)?;
        let mut m = (**state.meta.read()).clone();
        self.check_active(&m)?;
        if m.source != SourceKind::DirectPut {
            return Err(not_direct_put(name));
        }
        m.encryption = None;
        self.persist(&m, Vec::new())?;
        *state.meta.write() = Arc::new(m);
        Ok(())
    }

    fn check_active(&self, m: &DeliveryStreamMeta) -> Result<()> {
        let status = self.status(m);
        if status != DeliveryStreamStatus::Active {
            return Err(FirehoseError::InUse {
                name: m.name.clone(),
                account: self.config.account_id.clone(),
                status: status.as_str(),
            });
        }
        Ok(())
    }

    /// Server-side encryption applies to DirectPut only (a Kinesis source is encrypted by its
    /// stream), and a customer managed key must be in the key store.
    fn check_encryption(
        &self,
        name: &str,
        source: SourceKind,
        e: &StreamEncryptionInput,
    ) -> Result<()> {
        if source != SourceKind::DirectPut {
            return Err(not_direct_put(name));
        }
        match (e.key_type.as_str(), &e.key_arn) {
            ("CUSTOMER_MANAGED_CMK", None) => Err(FirehoseError::InvalidArgument(
                "KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.".into(),
            )),
            ("AWS_OWNED_CMK", Some(_)) => Err(FirehoseError::InvalidArgument(
                "KeyARN must not be specified when KeyType is AWS_OWNED_CMK.".into(),
            )),
            _ => self
                .keys
                .resolve(key_name(e))
                .map(|_| ())
                .map_err(kms_error),
        }
    }

    pub fn list_tags(
        &self,
        name: &str,
        exclusive_start: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ListTagsOutput> {
        let state = self.get(name)?;
        let m = state.meta.read().clone();
        let limit = limit.unwrap_or(50) as usize;
        let after: Vec<(String, String)> = m
            .tags
            .iter()
            .filter(|(k, _)| exclusive_start.is_none_or(|s| k.as_str() > s))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(ListTagsOutput {
            has_more: after.len() > limit,
            tags: after.into_iter().take(limit).collect(),
        })
    }

    /// A Lambda processor's function must be mapped (`--lambda`); a conversion's table must be
    /// known (`--glue-table`) and readable.
    fn check_functions(&self, d: &DestinationConfig) -> Result<()> {
        if let DestinationConfig::S3(s3) = d
            && let Some(c) = s3.converting()
        {
            if s3.compression != Compression::Uncompressed {
                return Err(FirehoseError::InvalidArgument(
                    "CompressionFormat must be UNCOMPRESSED when record format conversion is enabled."
                        .into(),
                ));
            }
            self.table_schema(c)
                .map_err(FirehoseError::InvalidArgument)?;
        }
        if let Ok(Some(l)) = crate::lambda::LambdaProcessor::of(d.processing())
            && !self.config.lambdas.iter().any(|(n, _)| *n == l.function)
        {
            return Err(FirehoseError::InvalidArgument(format!(
                "Lambda function {} is not known to this Sluice server: start it with --lambda {}=URL (or =cmd:COMMAND).",
                l.function, l.function
            )));
        }
        Ok(())
    }

    /// A search destination named by DomainARN gets its cluster URL from `search_domains`.
    fn resolve_domain(&self, d: &mut DestinationConfig) -> Result<()> {
        let DestinationConfig::Search(o) = d else {
            return Ok(());
        };
        if !o.endpoint.is_empty() {
            return Ok(());
        }
        let Some(arn) = o.domain_arn.as_deref() else {
            return Err(FirehoseError::InvalidArgument(
                "Either DomainARN or ClusterEndpoint must be given.".into(),
            ));
        };
        let domain = arn.rsplit_once("domain/").map_or(arn, |(_, d)| d);
        match self.config.search_domains.iter().find(|(n, _)| n == domain) {
            Some((_, url)) => {
                o.endpoint = url.clone();
                Ok(())
            }
            None => Err(FirehoseError::InvalidArgument(format!(
                "Domain {domain} is not known to this Sluice server: start it with --opensearch-domain {domain}=URL, or give ClusterEndpoint."
            ))),
        }
    }

    // ---------------------------------------------------------------- data plane

    /// A delivery stream's records from `offset` on (at most `max`), opened if sealed, and the
    /// offset to read from next: what an Analytics application with this delivery stream as
    /// its input reads, beside the delivery itself.
    pub async fn read_records(
        &self,
        name: &str,
        offset: u64,
        max: usize,
    ) -> Result<(Vec<sluice_storage::StoredRecord>, u64)> {
        let log = self.get(name)?.meta.read().log;
        let batch = self
            .logs
            .read(
                log,
                offset,
                ReadLimits {
                    max_records: max,
                    max_bytes: 16 << 20,
                },
            )
            .await?;
        let mut records = batch.records;
        for r in &mut records {
            if sluice_streams::kms::is_sealed(&r.key) {
                let (_, data, _) = self
                    .keys
                    .open_record(&r.key, std::mem::take(&mut r.value))
                    .map_err(kms_error)?;
                r.key = bytes::Bytes::new();
                r.value = data;
            }
        }
        Ok((records, batch.next_offset))
    }

    /// The first retained offset of a delivery stream's log, or with `at_ms`, the first offset
    /// of a record that arrived at or after it.
    pub async fn start_offset(&self, name: &str, at_ms: Option<i64>) -> Result<u64> {
        let log = self.get(name)?.meta.read().log;
        Ok(match at_ms {
            None => self.logs.bounds(log)?.start_offset,
            Some(t) => self.logs.offset_at_time(log, t).await?,
        })
    }

    fn writable(&self, name: &str) -> Result<Arc<DeliveryState>> {
        let state = self.get(name)?;
        let m = state.meta.read().clone();
        if self.status(&m) != DeliveryStreamStatus::Active {
            return Err(FirehoseError::InUse {
                name: name.to_owned(),
                account: self.config.account_id.clone(),
                status: self.status(&m).as_str(),
            });
        }
        if m.source != SourceKind::DirectPut {
            return Err(not_direct_put(name));
        }
        Ok(state)
    }

    /// Appends records durably to the delivery stream's log; answers once they are on disk.
    async fn append(
        &self,
        state: &DeliveryState,
        records: Vec<bytes::Bytes>,
    ) -> Result<(Vec<String>, bool)> {
        let (log, encryption) = {
            let m = state.meta.read();
            (m.log, m.encryption.clone())
        };
        let n = records.len();
        let records = match &encryption {
            None => records
                .into_iter()
                .map(|value| AppendRecord {
                    key: bytes::Bytes::new(),
                    value,
                })
                .collect(),
            Some(e) => {
                let number = self.keys.resolve(key_name(e)).map_err(kms_error)?;
                records
                    .iter()
                    .map(|value| {
                        let (key, value) = self.keys.seal(number, b"", value).map_err(kms_error)?;
                        Ok(AppendRecord { key, value })
                    })
                    .collect::<Result<Vec<_>>>()?
            }
        };
        let append = LogAppend {
            log,
            timestamp_ms: self.now(),
            records,
        };
        let ack = self
            .logs
            .append(vec![append])
            .await
            .into_iter()
            .next()
            .unwrap_or(Err(StorageError::ShuttingDown))?;
        state.new_data.notify_one();
        let ids = (0..n as u64)
            .map(|i| encode_record_id(log, ack.first_offset + i, ack.timestamp_ms))
            .collect();
        Ok((ids, encryption.is_some()))
    }

    /// Appends one record; answers its record id and whether it was encrypted.
    pub async fn put_record(&self, name: &str, data: bytes::Bytes) -> Result<(String, bool)> {
        let state = self.writable(name)?;
        let (ids, encrypted) = self.append(&state, vec![data]).await?;
        metrics::counter!("sluice_firehose_incoming_records_total", "delivery_stream" => name.to_owned())
            .increment(1);
        Ok((ids.into_iter().next().unwrap_or_default(), encrypted))
    }

    pub async fn put_record_batch(
        &self,
        name: &str,
        records: Vec<bytes::Bytes>,
    ) -> Result<(Vec<PutEntry>, bool)> {
        let state = self.writable(name)?;
        let total: usize = records.iter().map(|r| r.len()).sum();
        if total > MAX_BATCH_BYTES {
            return Err(FirehoseError::InvalidArgument(format!(
                "Records size exceeds {} MB limit",
                MAX_BATCH_BYTES / (1024 * 1024)
            )));
        }
        let n = records.len() as u64;
        let (ids, encrypted) = match self.append(&state, records).await {
            Ok(done) => done,
            // As AWS does: the request succeeds and each record says it failed (none of them
            // was stored), so that clients retry the failed records.
            Err(FirehoseError::Storage(e)) => {
                let code = match e {
                    StorageError::Full(_) | StorageError::ShuttingDown => {
                        "ServiceUnavailableException"
                    }
                    _ => "InternalFailure",
                };
                let failed = PutEntry::Failed {
                    code,
                    message: e.to_string(),
                };
                return Ok((vec![failed; n as usize], false));
            }
            Err(e) => return Err(e),
        };
        metrics::counter!("sluice_firehose_incoming_records_total", "delivery_stream" => name.to_owned())
            .increment(n);
        Ok((
            ids.into_iter()
                .map(|record_id| PutEntry::Ok { record_id })
                .collect(),
            encrypted,
        ))
    }
}

impl DeliveryState {
    fn new(m: DeliveryStreamMeta, delivered: u64) -> Self {
        let worker = Worker::new(delivered);
        Self {
            meta: RwLock::new(Arc::new(m)),
            new_data: tokio::sync::Notify::new(),
            worker: tokio::sync::Mutex::new(worker),
            deleted: AtomicBool::new(false),
        }
    }
}

fn read_progress(meta: &dyn MetaStore, m: &DeliveryStreamMeta) -> Result<u64> {
    let Some(d) = m.destinations.first() else {
        return Ok(0);
    };
    Ok(
        match meta.get(PROGRESS_TABLE, &progress_key(&m.name, &d.id))? {
            Some(v) => String::from_utf8_lossy(&v).parse().unwrap_or(0),
            None => 0,
        },
    )
}

fn add_tags(
    existing: &mut BTreeMap<String, String>,
    new: &[(String, Option<String>)],
) -> Result<()> {
    let mut merged = existing.clone();
    for (k, v) in new {
        if k.starts_with("aws:") {
            return Err(FirehoseError::InvalidArgument(
                "Tag keys cannot start with 'aws:'.".into(),
            ));
        }
        merged.insert(k.clone(), v.clone().unwrap_or_default());
    }
    if merged.len() > MAX_TAGS {
        return Err(FirehoseError::LimitExceeded(format!(
            "A Firehose stream cannot have more than {MAX_TAGS} tags."
        )));
    }
    *existing = merged;
    Ok(())
}

/// Record ids: the record's log, offset and arrival time, base64 encoded (AWS's are opaque too).
fn encode_record_id(log: u64, offset: u64, ts: i64) -> String {
    use base64::Engine;
    let mut bytes = [0u8; 24];
    bytes[..8].copy_from_slice(&log.to_be_bytes());
    bytes[8..16].copy_from_slice(&offset.to_be_bytes());
    bytes[16..].copy_from_slice(&ts.to_be_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn not_direct_put(name: &str) -> FirehoseError {
    FirehoseError::InvalidArgument(format!(
        "This operation is not permitted on KinesisStreamAsSource delivery stream type {name}."
    ))
}

/// The key store's name of the key a configuration names: the service's own key for
/// AWS_OWNED_CMK.
pub(crate) fn key_name(e: &StreamEncryptionInput) -> &str {
    e.key_arn.as_deref().unwrap_or(MANAGED_KEY)
}

pub(crate) fn kms_error(e: sluice_streams::StreamsError) -> FirehoseError {
    match e {
        sluice_streams::StreamsError::Kms { message, .. } => FirehoseError::InvalidKmsResource {
            code: "KMS.NotFoundException",
            message,
        },
        sluice_streams::StreamsError::Storage(s) => FirehoseError::Storage(s),
        other => FirehoseError::Storage(StorageError::Fatal(other.to_string())),
    }
}
