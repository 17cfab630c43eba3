//! `Video`, the Video Streams service: stream metadata (control plane) and each stream's
//! fragment log with its in-memory time index (data plane). PutMedia and GetMedia are in
//! `media.rs`.

use crate::error::{Result, VideoError};
use crate::fragment::{FragmentKey, StoredFragment, fragment_number, parse_fragment_number};
use crate::hls::{SESSION_KEY, SESSION_KEY_TABLE};
use crate::model::*;
use parking_lot::RwLock;
use rand::Rng;
use sluice_storage::{LogId, LogStore, MetaOp, MetaStore, ReadLimits};
use sluice_types::{Clock, VIDEO_LOG_BASE};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const MAX_TAGS: usize = 50;
/// AWS's default account limit on video streams.
pub const MAX_STREAMS: usize = 10_000;
const HOUR_MS: i64 = 3_600_000;
/// How long a stream without retention keeps fragments for live readers: AWS's host buffer
/// ("a retention time limit of 5 minutes") for streams with DataRetentionInHours 0.
const LIVE_ONLY_RETENTION_MS: i64 = 5 * 60_000;

#[derive(Debug, Clone)]
pub struct VideoConfig {
    pub region: String,
    pub account_id: String,
    /// How long a new stream stays CREATING.
    pub create_delay_ms: i64,
}

impl Default for VideoConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: sluice_types::DEFAULT_ACCOUNT_ID.into(),
            create_delay_ms: 0,
        }
    }
}

/// Which of a fragment's timestamps a selector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimestampKind {
    Server,
    Producer,
}

/// One fragment in a stream's time index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub offset: u64,
    pub server_ms: i64,
    pub producer_ms: i64,
    pub duration_ms: i64,
    pub size: u64,
    /// Which codec private data the fragment has (`FragmentKey::tracks_crc`).
    pub tracks_crc: u32,
}

/// A stream in memory.
pub struct StreamState {
    pub meta: RwLock<VideoStreamMeta>,
    /// Fragments in log order (which is server-timestamp order).
    pub index: RwLock<Vec<IndexEntry>>,
    /// The next offset of the log; changes after each durable fragment.
    pub appended: tokio::sync::watch::Sender<u64>,
    /// Held by the PutMedia session that writes the stream.
    pub ingest: Arc<tokio::sync::Mutex<()>>,
}

impl StreamState {
    /// Index entries still retained (from `start` offset on).
    pub fn retained(&self, start: u64) -> Vec<IndexEntry> {
        self.index
            .read()
            .iter()
            .filter(|e| e.offset >= start)
            .copied()
            .collect()
    }
}

pub struct Video {
    pub(crate) config: VideoConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) logs: Arc<dyn LogStore>,
    meta: Arc<dyn MetaStore>,
    streams: RwLock<BTreeMap<String, Arc<StreamState>>>,
    control: tokio::sync::Mutex<()>,
    /// Signs playback session tokens (see `hls.rs`); kept in the metadata store.
    pub(crate) session_key: Vec<u8>,
}

/// The fields UpdateStream may change.
#[derive(Debug, Clone, Default)]
pub struct StreamUpdate {
    pub device_name: Option<String>,
    pub media_type: Option<String>,
}

impl Video {
    /// Loads every stream and rebuilds each one's fragment index from its log.
    pub async fn open(
        config: VideoConfig,
        clock: Arc<dyn Clock>,
        logs: Arc<dyn LogStore>,
        meta: Arc<dyn MetaStore>,
    ) -> Result<Video> {
        let mut streams = BTreeMap::new();
        for (name, value) in meta.scan(VIDEO_TABLE)? {
            let m: VideoStreamMeta = serde_json::from_slice(&value)
                .map_err(|e| VideoError::Meta(format!("video stream {name}: {e}")))?;
            streams.insert(name, m);
        }
        let session_key = match meta.get(SESSION_KEY_TABLE, SESSION_KEY)? {
            Some(k) if k.len() == 32 => k,
            _ => {
                let k: Vec<u8> = (0..32).map(|_| rand::rng().random::<u8>()).collect();
                meta.commit(vec![MetaOp::Put {
                    table: SESSION_KEY_TABLE.into(),
                    key: SESSION_KEY.into(),
                    value: k.clone(),
                }])?;
                k
            }
        };
        let video = Video {
            config,
            clock,
            logs,
            meta,
            session_key,
            streams: RwLock::new(BTreeMap::new()),
            control: tokio::sync::Mutex::new(()),
        };
        for (name, m) in streams {
            let log = m.log;
            if !video.logs.logs().contains(&log) {
                video
                    .logs
                    .create_log(log, retention_ms(m.retention_hours))?;
            }
            let index = video.rebuild_index(log).await?;
            let next = video.logs.bounds(log)?.next_offset;
            let state = Arc::new(StreamState {
                meta: RwLock::new(m),
                index: RwLock::new(index),
                appended: tokio::sync::watch::channel(next).0,
                ingest: Arc::new(tokio::sync::Mutex::new(())),
            });
            video.streams.write().insert(name, state);
        }
        Ok(video)
    }

    async fn rebuild_index(&self, log: LogId) -> Result<Vec<IndexEntry>> {
        let mut index = Vec::new();
        let mut offset = self.logs.bounds(log)?.start_offset;
        loop {
            let batch = self
                .logs
                .read(
                    log,
                    offset,
                    ReadLimits {
                        max_records: 1000,
                        max_bytes: 64 << 20,
                    },
                )
                .await?;
            if batch.records.is_empty() {
                break;
            }
            for r in &batch.records {
                if let Some(k) = FragmentKey::decode(&r.key) {
                    index.push(IndexEntry {
                        offset: r.offset,
                        server_ms: r.timestamp_ms,
                        producer_ms: k.producer_ms,
                        duration_ms: k.duration_ms,
                        size: r.value.len() as u64,
                        tracks_crc: k.tracks_crc,
                    });
                }
            }
            offset = batch.next_offset;
        }
        Ok(index)
    }

    pub fn arn_of(&self, name: &str, created_ms: i64) -> String {
        format!(
            "arn:aws:kinesisvideo:{}:{}:stream/{name}/{created_ms}",
            self.config.region, self.config.account_id
        )
    }

    /// The stream a name or ARN names.
    pub fn state(&self, r: &StreamRef) -> Result<Arc<StreamState>> {
        let streams = self.streams.read();
        let found = match r {
            StreamRef::Name(n) => streams.get(n).cloned(),
            StreamRef::Arn(a) => streams.values().find(|s| s.meta.read().arn == *a).cloned(),
        };
        found.ok_or_else(|| {
            VideoError::ResourceNotFound("The requested stream is not found or not active.".into())
        })
    }

    /// The stream's metadata, with its status as of now.
    pub fn describe(&self, r: &StreamRef) -> Result<(VideoStreamMeta, StreamStatus)> {
        let s = self.state(r)?;
        let m = s.meta.read().clone();
        let status = self.status(&m);
        Ok((m, status))
    }

    fn status(&self, m: &VideoStreamMeta) -> StreamStatus {
        if self.clock.now_millis() < m.active_at_ms {
            StreamStatus::Creating
        } else {
            StreamStatus::Active
        }
    }

    /// A stream that is ACTIVE, for the data plane.
    pub fn active(&self, r: &StreamRef) -> Result<Arc<StreamState>> {
        let s = self.state(r)?;
        if self.status(&s.meta.read()) != StreamStatus::Active {
            return Err(VideoError::ResourceNotFound(
                "The requested stream is not found or not active.".into(),
            ));
        }
        Ok(s)
    }

    pub async fn create(&self, input: CreateStreamInput) -> Result<String> {
        let _guard = self.control.lock().await;
        if self.streams.read().contains_key(&input.name) {
            return Err(VideoError::ResourceInUse(format!(
                "The stream {} already exists.",
                input.name
            )));
        }
        if self.streams.read().len() >= MAX_STREAMS {
            return Err(VideoError::AccountStreamLimitExceeded(
                "The number of streams created for the account is too high.".into(),
            ));
        }
        if input.tags.len() > MAX_TAGS {
            return Err(VideoError::TagsPerResourceExceededLimit(format!(
                "A stream can have at most {MAX_TAGS} tags."
            )));
        }
        let now = self.clock.now_millis();
        let log: LogId = match self.meta.get(COUNTERS_TABLE, NEXT_LOG_ID_KEY)? {
            Some(v) => String::from_utf8_lossy(&v)
                .parse()
                .unwrap_or(VIDEO_LOG_BASE),
            None => VIDEO_LOG_BASE,
        };
        self.logs
            .create_log(log, retention_ms(input.retention_hours))?;
        let m = VideoStreamMeta {
            format: FORMAT_VERSION,
            arn: self.arn_of(&input.name, now),
            name: input.name.clone(),
            created_ms: now,
            active_at_ms: now + self.config.create_delay_ms,
            device_name: input.device_name,
            media_type: input.media_type,
            kms_key_id: input.kms_key_id.unwrap_or_else(|| {
                format!(
                    "arn:aws:kms:{}:{}:alias/aws/kinesisvideo",
                    self.config.region, self.config.account_id
                )
            }),
            version: new_version(),
            retention_hours: input.retention_hours,
            log,
            tags: input.tags,
            image_generation: None,
            notification: None,
        };
        self.persist(
            &m,
            vec![MetaOp::Put {
                table: COUNTERS_TABLE.into(),
                key: NEXT_LOG_ID_KEY.into(),
                value: (log + 1).to_string().into_bytes(),
            }],
        )?;
        let arn = m.arn.clone();
        self.streams.write().insert(
            input.name,
            Arc::new(StreamState {
                meta: RwLock::new(m),
                index: RwLock::new(Vec::new()),
                appended: tokio::sync::watch::channel(0).0,
                ingest: Arc::new(tokio::sync::Mutex::new(())),
            }),
        );
        Ok(arn)
    }

    fn persist(&self, m: &VideoStreamMeta, mut extra: Vec<MetaOp>) -> Result<()> {
        extra.push(MetaOp::Put {
            table: VIDEO_TABLE.into(),
            key: m.name.clone(),
            value: serde_json::to_vec(m).map_err(|e| VideoError::Meta(e.to_string()))?,
        });
        self.meta.commit(extra)?;
        Ok(())
    }

    /// Applies `change` to a stream's metadata and persists it. `version`, if given, must be
    /// the current one.
    fn change(
        &self,
        r: &StreamRef,
        version: Option<&str>,
        change: impl FnOnce(&mut VideoStreamMeta) -> Result<()>,
    ) -> Result<VideoStreamMeta> {
        let s = self.state(r)?;
        let mut m = s.meta.write();
        if let Some(v) = version
            && v != m.version
        {
            return Err(VideoError::VersionMismatch(
                "The stream version you specified is not the latest version.".into(),
            ));
        }
        let mut next = m.clone();
        change(&mut next)?;
        self.persist(&next, Vec::new())?;
        *m = next.clone();
        Ok(next)
    }

    pub async fn delete(&self, arn: &str, version: Option<&str>) -> Result<()> {
        let _guard = self.control.lock().await;
        let s = self.state(&StreamRef::Arn(arn.to_owned()))?;
        let m = s.meta.read().clone();
        if let Some(v) = version
            && v != m.version
        {
            return Err(VideoError::VersionMismatch(
                "The stream version you specified is not the latest version.".into(),
            ));
        }
        let mut ops = vec![MetaOp::Delete {
            table: VIDEO_TABLE.into(),
            key: m.name.clone(),
        }];
        ops.extend(sluice_storage::orphans::tombstones([m.log]));
        self.meta.commit(ops)?;
        self.streams.write().remove(&m.name);
        sluice_storage::orphans::delete_tombstoned(self.logs.as_ref(), self.meta.as_ref(), m.log)?;
        // Wakes live readers, which then find the stream gone.
        s.appended.send_modify(|_| {});
        Ok(())
    }

    /// Every log a video stream's fragments are stored in.
    pub fn referenced_logs(&self) -> Vec<LogId> {
        self.streams
            .read()
            .values()
            .map(|s| s.meta.read().log)
            .collect()
    }

    /// Streams in name order, from the first name after `after`, whose name starts with
    /// `prefix`; and whether more follow.
    pub fn list(
        &self,
        max: usize,
        after: Option<&str>,
        prefix: Option<&str>,
    ) -> (Vec<(VideoStreamMeta, StreamStatus)>, bool) {
        let streams = self.streams.read();
        let mut matching = streams
            .iter()
            .filter(|(n, _)| after.is_none_or(|a| n.as_str() > a))
            .filter(|(n, _)| prefix.is_none_or(|p| n.starts_with(p)))
            .map(|(_, s)| {
                let m = s.meta.read().clone();
                let status = self.status(&m);
                (m, status)
            });
        let page: Vec<_> = matching.by_ref().take(max).collect();
        let more = matching.next().is_some();
        (page, more)
    }

    pub fn update(&self, r: &StreamRef, version: &str, u: StreamUpdate) -> Result<()> {
        self.change(r, Some(version), |m| {
            if let Some(d) = u.device_name {
                m.device_name = Some(d);
            }
            if let Some(t) = u.media_type {
                m.media_type = Some(t);
            }
            m.version = new_version();
            Ok(())
        })?;
        Ok(())
    }

    /// UpdateDataRetention: `increase` or not, by `hours`.
    pub fn update_retention(
        &self,
        r: &StreamRef,
        version: &str,
        increase: bool,
        hours: u32,
    ) -> Result<()> {
        let m = self.change(r, Some(version), |m| {
            let next = if increase {
                m.retention_hours.checked_add(hours).filter(|h| *h <= 87_600)
            } else {
                m.retention_hours.checked_sub(hours)
            };
            m.retention_hours = next.ok_or_else(|| {
                VideoError::InvalidArgument(format!(
                    "The data retention of {} hours changed by {hours} hours is outside 0 to 87600 hours.",
                    m.retention_hours
                ))
            })?;
            m.version = new_version();
            Ok(())
        })?;
        self.logs
            .set_retention(m.log, retention_ms(m.retention_hours))?;
        Ok(())
    }

    pub fn tags(&self, r: &StreamRef) -> Result<BTreeMap<String, String>> {
        Ok(self.state(r)?.meta.read().tags.clone())
    }

    pub fn tag(&self, r: &StreamRef, tags: BTreeMap<String, String>) -> Result<()> {
        self.change(r, None, |m| {
            let mut next = m.tags.clone();
            next.extend(tags);
            if next.len() > MAX_TAGS {
                return Err(VideoError::TagsPerResourceExceededLimit(format!(
                    "A stream can have at most {MAX_TAGS} tags."
                )));
            }
            m.tags = next;
            Ok(())
        })?;
        Ok(())
    }

    pub fn untag(&self, r: &StreamRef, keys: &[String]) -> Result<()> {
        self.change(r, None, |m| {
            for k in keys {
                m.tags.remove(k);
            }
            Ok(())
        })?;
        Ok(())
    }

    pub fn set_image_generation(
        &self,
        r: &StreamRef,
        config: Option<serde_json::Value>,
    ) -> Result<()> {
        self.set_configuration(r, config, |m| &mut m.image_generation)
    }

    pub fn set_notification(&self, r: &StreamRef, config: Option<serde_json::Value>) -> Result<()> {
        self.set_configuration(r, config, |m| &mut m.notification)
    }

    /// Stores a configuration (`None` clears it); a stream without retention takes none.
    fn set_configuration(
        &self,
        r: &StreamRef,
        config: Option<serde_json::Value>,
        slot: fn(&mut VideoStreamMeta) -> &mut Option<serde_json::Value>,
    ) -> Result<()> {
        self.change(r, None, |m| {
            if config.is_some() && m.retention_hours == 0 {
                return Err(VideoError::NoDataRetention(
                    "The stream has no data retention.".into(),
                ));
            }
            *slot(m) = config;
            Ok(())
        })?;
        Ok(())
    }

    /// Appends one fragment durably and returns its number. `server_ms` is when its first byte
    /// arrived.
    pub(crate) async fn append_fragment(
        &self,
        s: &StreamState,
        key: FragmentKey,
        bytes: bytes::Bytes,
        server_ms: i64,
    ) -> Result<String> {
        let log = s.meta.read().log;
        let size = bytes.len() as u64;
        let acks = self
            .logs
            .append(vec![sluice_storage::LogAppend {
                log,
                timestamp_ms: server_ms,
                records: vec![sluice_storage::AppendRecord {
                    key: key.encode(),
                    value: bytes,
                }],
            }])
            .await;
        let ack = acks
            .into_iter()
            .next()
            .ok_or_else(|| VideoError::Meta("no acknowledgement for an append".into()))??;
        s.index.write().push(IndexEntry {
            offset: ack.first_offset,
            server_ms: ack.timestamp_ms,
            producer_ms: key.producer_ms,
            duration_ms: key.duration_ms,
            size,
            tracks_crc: key.tracks_crc,
        });
        s.appended.send_replace(ack.first_offset + 1);
        Ok(fragment_number(log, ack.first_offset))
    }

    /// Reads fragments from `offset` on (at most `max`, and about `max_bytes`).
    pub async fn read_fragments(
        &self,
        s: &StreamState,
        offset: u64,
        max: usize,
        max_bytes: usize,
    ) -> Result<Vec<StoredFragment>> {
        let log = s.meta.read().log;
        let batch = self
            .logs
            .read(
                log,
                offset,
                ReadLimits {
                    max_records: max,
                    max_bytes,
                },
            )
            .await?;
        Ok(batch
            .records
            .into_iter()
            .filter_map(|r| {
                let f = StoredFragment {
                    offset: r.offset,
                    server_ms: r.timestamp_ms,
                    key: FragmentKey::decode(&r.key)?,
                    bytes: r.value,
                };
                f.is_consistent().then_some(f)
            })
            .collect())
    }

    /// The first retained offset and the next offset of a stream's log.
    pub fn bounds(&self, s: &StreamState) -> Result<(u64, u64)> {
        let b = self.logs.bounds(s.meta.read().log)?;
        Ok((b.start_offset, b.next_offset))
    }

    /// The offset a fragment number names in this stream.
    pub fn offset_of(&self, s: &StreamState, number: &str) -> Result<u64> {
        match parse_fragment_number(number) {
            Some((log, offset)) if log == s.meta.read().log => Ok(offset),
            _ => Err(VideoError::InvalidArgument(format!(
                "The fragment number {number} is not a fragment of this stream."
            ))),
        }
    }

    /// ListFragments: retained fragments whose server or producer timestamp is in `range`
    /// (inclusive), from the position `after` (a token this gave before) on, at most `max`; and
    /// the token for the rest.
    pub fn list_fragments(
        &self,
        r: &StreamRef,
        range: Option<(TimestampKind, i64, i64)>,
        max: usize,
        after: Option<&str>,
    ) -> Result<(Vec<FragmentInfo>, Option<String>)> {
        let s = self.state(r)?;
        let (start, _) = self.bounds(&s)?;
        let from = match after {
            None => start,
            Some(t) => t
                .strip_prefix("f")
                .and_then(|o| o.parse::<u64>().ok())
                .ok_or_else(|| {
                    VideoError::InvalidArgument(format!("NextToken {t} is not valid."))
                })?,
        };
        let mut matching = s
            .retained(start.max(from))
            .into_iter()
            .filter(|e| match range {
                None => true,
                Some((TimestampKind::Server, a, b)) => (a..=b).contains(&e.server_ms),
                Some((TimestampKind::Producer, a, b)) => (a..=b).contains(&e.producer_ms),
            });
        let log = s.meta.read().log;
        let page: Vec<FragmentInfo> = matching
            .by_ref()
            .take(max)
            .map(|e| FragmentInfo {
                number: fragment_number(log, e.offset),
                offset: e.offset,
                size: e.size,
                producer_ms: e.producer_ms,
                server_ms: e.server_ms,
                duration_ms: e.duration_ms,
            })
            .collect();
        let token = match (matching.next(), page.last()) {
            (Some(_), Some(last)) => Some(format!("f{}", last.offset + 1)),
            _ => None,
        };
        Ok((page, token))
    }

    pub fn fragment_number(&self, s: &StreamState, offset: u64) -> String {
        fragment_number(s.meta.read().log, offset)
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_millis()
    }
}

fn retention_ms(hours: u32) -> i64 {
    if hours == 0 {
        LIVE_ONLY_RETENTION_MS
    } else {
        i64::from(hours) * HOUR_MS
    }
}

/// A stream version: AWS's are opaque strings of letters and digits.
fn new_version() -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}
