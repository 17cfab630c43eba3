//! The data plane's media: PutMedia (a live Matroska body in, one acknowledgement per fragment
//! out) and GetMedia (fragments out as a continuous Matroska stream, with AWS's tags).

use crate::error::{Result, VideoError};
use crate::fragment::{FragmentKey, StoredFragment};
use crate::mkv::ebml;
use crate::mkv::ids;
use crate::mkv::ingest::{Event, Fragment, IngestError, Splitter};
use crate::model::StreamRef;
use crate::service::{StreamState, Video};
use bytes::Bytes;
use std::sync::Arc;

/// How PutMedia reads Cluster timecodes (`x-amzn-fragment-timecode-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimecodeType {
    /// Timecodes are milliseconds since the epoch.
    Absolute,
    /// Timecodes count from the producer start timestamp.
    Relative,
}

/// A PutMedia request's headers.
#[derive(Debug, Clone)]
pub struct PutMediaInput {
    pub stream: StreamRef,
    pub timecode_type: TimecodeType,
    /// `x-amzn-producer-start-timestamp`, in milliseconds.
    pub producer_start_ms: Option<i64>,
}

/// The kinds of PutMedia acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckEvent {
    Buffering,
    Received,
    Persisted,
    Error,
    Idle,
}

impl AckEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AckEvent::Buffering => "BUFFERING",
            AckEvent::Received => "RECEIVED",
            AckEvent::Persisted => "PERSISTED",
            AckEvent::Error => "ERROR",
            AckEvent::Idle => "IDLE",
        }
    }
}

/// One PutMedia acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub event: AckEvent,
    pub fragment_timecode: Option<i64>,
    pub fragment_number: Option<String>,
    pub error_id: Option<u32>,
}

impl Ack {
    fn new(event: AckEvent, timecode: i64, number: Option<String>) -> Ack {
        Ack {
            event,
            fragment_timecode: Some(timecode),
            fragment_number: number,
            error_id: None,
        }
    }

    fn error(code: u32, timecode: Option<i64>, number: Option<String>) -> Ack {
        Ack {
            event: AckEvent::Error,
            fragment_timecode: timecode,
            fragment_number: number,
            error_id: Some(code),
        }
    }

    /// The acknowledgement as AWS writes it: one JSON object.
    pub fn to_json(&self) -> String {
        let mut m = serde_json::Map::new();
        m.insert("EventType".into(), self.event.as_str().into());
        if let Some(t) = self.fragment_timecode {
            m.insert("FragmentTimecode".into(), t.into());
        }
        if let Some(n) = &self.fragment_number {
            m.insert("FragmentNumber".into(), n.clone().into());
        }
        if let Some(e) = self.error_id {
            m.insert("ErrorCode".into(), error_id::name(e).into());
            m.insert("ErrorId".into(), e.into());
        }
        serde_json::Value::Object(m).to_string()
    }
}

/// PutMedia's error ids (the API reference's table).
pub mod error_id {
    pub const STREAM_READ_ERROR: u32 = 4000;
    pub const MAX_FRAGMENT_SIZE_REACHED: u32 = 4001;
    pub const MAX_FRAGMENT_DURATION_REACHED: u32 = 4002;
    pub const FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS: u32 = 4004;
    pub const MORE_THAN_ALLOWED_TRACKS_FOUND: u32 = 4005;
    pub const INVALID_MKV_DATA: u32 = 4006;
    pub const INVALID_PRODUCER_TIMESTAMP: u32 = 4007;
    pub const STREAM_NOT_ACTIVE: u32 = 4008;
    pub const TRACK_NUMBER_MISMATCH: u32 = 4010;
    pub const INTERNAL_ERROR: u32 = 5000;
    pub const ARCHIVAL_ERROR: u32 = 5001;

    /// The symbolic name AWS sends beside the id (`ErrorCode`).
    pub fn name(id: u32) -> &'static str {
        match id {
            STREAM_READ_ERROR => "STREAM_READ_ERROR",
            MAX_FRAGMENT_SIZE_REACHED => "MAX_FRAGMENT_SIZE_REACHED",
            MAX_FRAGMENT_DURATION_REACHED => "MAX_FRAGMENT_DURATION_REACHED",
            FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS => "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS",
            MORE_THAN_ALLOWED_TRACKS_FOUND => "MORE_THAN_ALLOWED_TRACKS_FOUND",
            INVALID_MKV_DATA => "INVALID_MKV_DATA",
            INVALID_PRODUCER_TIMESTAMP => "INVALID_PRODUCER_TIMESTAMP",
            STREAM_NOT_ACTIVE => "STREAM_NOT_ACTIVE",
            TRACK_NUMBER_MISMATCH => "TRACK_NUMBER_MISMATCH",
            ARCHIVAL_ERROR => "ARCHIVAL_ERROR",
            _ => "INTERNAL_ERROR",
        }
    }
}

impl IngestError {
    /// The PutMedia error id of this error.
    pub fn error_id(&self) -> u32 {
        use error_id::*;
        match self {
            IngestError::InvalidMkv(_) => INVALID_MKV_DATA,
            IngestError::MaxFragmentSize => MAX_FRAGMENT_SIZE_REACHED,
            IngestError::MaxFragmentDuration => MAX_FRAGMENT_DURATION_REACHED,
            IngestError::TimecodeLesserThanPrevious => FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS,
            IngestError::TooManyTracks => MORE_THAN_ALLOWED_TRACKS_FOUND,
            IngestError::TrackNumberMismatch(_) => TRACK_NUMBER_MISMATCH,
        }
    }
}

/// A PutMedia session: owns the stream's ingest lock for as long as the body lasts.
pub struct PutMediaSession {
    video: Arc<Video>,
    state: Arc<StreamState>,
    _writer: tokio::sync::OwnedMutexGuard<()>,
    input: PutMediaInput,
    splitter: Splitter,
    /// When the fragment being gathered began to arrive, and its number-to-be.
    started: Option<(i64, String)>,
    last_producer_ms: Option<i64>,
    /// When the session began (the producer start time of RELATIVE timecodes by default).
    began_ms: i64,
    failed: bool,
}

impl Video {
    /// Opens a PutMedia session on an ACTIVE stream that no other PutMedia is writing.
    pub fn put_media(self: &Arc<Self>, input: PutMediaInput) -> Result<PutMediaSession> {
        let state = self.active(&input.stream)?;
        let writer = state.ingest.clone().try_lock_owned().map_err(|_| {
            VideoError::ResourceInUse(
                "Another PutMedia connection is writing to this stream.".into(),
            )
        })?;
        Ok(PutMediaSession {
            video: self.clone(),
            state,
            _writer: writer,
            input,
            splitter: Splitter::new(),
            started: None,
            last_producer_ms: None,
            began_ms: self.now_ms(),
            failed: false,
        })
    }
}

impl PutMediaSession {
    /// Whether the session has sent an error and takes nothing more.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Takes the next piece of the body; returns the acknowledgements it causes. Fragments it
    /// completes are durable when this returns.
    pub async fn push(&mut self, data: &[u8]) -> Vec<Ack> {
        if self.failed {
            return Vec::new();
        }
        let events = self.splitter.push(data);
        self.handle(events).await
    }

    /// The body has ended.
    pub async fn finish(&mut self) -> Vec<Ack> {
        if self.failed {
            return Vec::new();
        }
        let events = self.splitter.finish();
        self.handle(events).await
    }

    /// The body broke off (the producer went away): the fragment being gathered is dropped.
    pub fn abort(&mut self) -> Option<Ack> {
        if self.failed {
            return None;
        }
        self.failed = true;
        self.started
            .take()
            .map(|(_, n)| Ack::error(error_id::STREAM_READ_ERROR, None, Some(n)))
    }

    async fn handle(
        &mut self,
        (events, result): (Vec<Event>, std::result::Result<(), IngestError>),
    ) -> Vec<Ack> {
        let mut acks = Vec::new();
        let error = result.err();
        for event in events {
            match event {
                Event::Started { timecode_ms } => {
                    let next = match self.video.bounds(&self.state) {
                        Ok((_, next)) => next,
                        Err(_) => return self.fail(acks, error_id::INTERNAL_ERROR, None),
                    };
                    let number = self.video.fragment_number(&self.state, next);
                    self.started = Some((self.video.now_ms(), number.clone()));
                    acks.push(Ack::new(AckEvent::Buffering, timecode_ms, Some(number)));
                }
                Event::Fragment(f) => {
                    if let Err(ack) = self.store(f, &mut acks).await {
                        acks.push(ack);
                        self.failed = true;
                        return acks;
                    }
                }
            }
        }
        if let Some(e) = error {
            tracing::debug!(error = %e, "PutMedia input refused");
            let number = self.started.take().map(|(_, n)| n);
            return self.fail(acks, e.error_id(), number);
        }
        acks
    }

    fn fail(&mut self, mut acks: Vec<Ack>, code: u32, number: Option<String>) -> Vec<Ack> {
        self.failed = true;
        acks.push(Ack::error(code, None, number));
        acks
    }

    async fn store(&mut self, f: Fragment, acks: &mut Vec<Ack>) -> std::result::Result<(), Ack> {
        let (server_ms, number) = self
            .started
            .take()
            .unwrap_or_else(|| (self.video.now_ms(), String::new()));
        let timecode = f.timecode_ms;
        let notification = f.notification.clone();
        acks.push(Ack::new(AckEvent::Received, timecode, Some(number.clone())));
        let producer_ms = match self.input.timecode_type {
            TimecodeType::Absolute => timecode,
            TimecodeType::Relative => {
                self.input.producer_start_ms.unwrap_or(self.began_ms) + timecode
            }
        };
        if let Some(last) = self.last_producer_ms
            && producer_ms < last
        {
            return Err(Ack::error(
                error_id::FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS,
                Some(timecode),
                Some(number),
            ));
        }
        self.last_producer_ms = Some(producer_ms);
        let mut bytes =
            Vec::with_capacity(f.header.info.len() + f.header.tracks.len() + f.clusters.len());
        bytes.extend_from_slice(&f.header.info);
        bytes.extend_from_slice(&f.header.tracks);
        bytes.extend_from_slice(&f.clusters);
        let key = FragmentKey {
            producer_ms,
            duration_ms: f.duration_ms,
            info_len: f.header.info.len() as u32,
            tracks_len: f.header.tracks.len() as u32,
            frames: f.frames,
            tracks_crc: crc32c::crc32c(&f.header.tracks),
        };
        if self.video.state(&self.input.stream).is_err() {
            return Err(Ack::error(
                error_id::STREAM_NOT_ACTIVE,
                Some(timecode),
                Some(number),
            ));
        }
        match self
            .video
            .append_fragment(&self.state, key, Bytes::from(bytes), server_ms)
            .await
        {
            Ok(stored) => {
                if stored != number {
                    tracing::warn!(expected = %number, stored = %stored, "fragment number moved");
                }
                if let Some(payload) = &notification {
                    self.video
                        .notify(&self.state, &stored, producer_ms, server_ms, payload);
                }
                acks.push(Ack::new(AckEvent::Persisted, timecode, Some(stored)));
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "storing a fragment failed");
                Err(Ack::error(
                    error_id::ARCHIVAL_ERROR,
                    Some(timecode),
                    Some(number),
                ))
            }
        }
    }
}

/// Where GetMedia starts (`StartSelector`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartSelector {
    Now,
    Earliest,
    /// After this fragment (`AfterFragmentNumber` is exclusive, as AWS's parser library
    /// relies on).
    FragmentNumber(String),
    ServerTimestamp(i64),
    ProducerTimestamp(i64),
    /// A token a previous GetMedia gave (the number of the last fragment it sent): after it.
    ContinuationToken(String),
}

/// The first offset a selector names.
pub fn start_offset(video: &Video, s: &StreamState, selector: &StartSelector) -> Result<u64> {
    let (start, next) = video.bounds(s)?;
    Ok(match selector {
        StartSelector::Now => next,
        StartSelector::Earliest => start,
        StartSelector::FragmentNumber(n) | StartSelector::ContinuationToken(n) => {
            let offset = video.offset_of(s, n)?;
            if offset >= next {
                return Err(VideoError::InvalidArgument(format!(
                    "The fragment {n} does not exist."
                )));
            }
            (offset + 1).max(start)
        }
        StartSelector::ServerTimestamp(t) => s
            .retained(start)
            .iter()
            .find(|e| e.server_ms >= *t)
            .map_or(next, |e| e.offset),
        StartSelector::ProducerTimestamp(t) => s
            .retained(start)
            .iter()
            .find(|e| e.producer_ms >= *t)
            .map_or(next, |e| e.offset),
    })
}

/// Seconds with three decimals, as AWS's timestamp tags are written.
fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

fn tags(out: &mut Vec<u8>, pairs: &[(&str, String)]) {
    let mut tag = Vec::new();
    // Targets (empty: the tags apply to the whole segment).
    ebml::write_element(&mut tag, 0x63C0, &[]);
    for (name, value) in pairs {
        let mut simple = Vec::new();
        ebml::write_string(&mut simple, ids::TAG_NAME, name);
        ebml::write_string(&mut simple, ids::TAG_STRING, value);
        ebml::write_element(&mut tag, ids::SIMPLE_TAG, &simple);
    }
    let mut tags = Vec::new();
    ebml::write_element(&mut tags, ids::TAG, &tag);
    ebml::write_element(out, ids::TAGS, &tags);
}

/// The EBML header GetMedia's chunks start with.
pub fn ebml_header(out: &mut Vec<u8>) {
    let mut h = Vec::new();
    ebml::write_uint(&mut h, ids::EBML_VERSION, 1);
    ebml::write_uint(&mut h, ids::EBML_READ_VERSION, 1);
    ebml::write_uint(&mut h, ids::EBML_MAX_ID_LENGTH, 4);
    ebml::write_uint(&mut h, ids::EBML_MAX_SIZE_LENGTH, 8);
    ebml::write_string(&mut h, ids::DOC_TYPE, "matroska");
    ebml::write_uint(&mut h, ids::DOC_TYPE_VERSION, 4);
    ebml::write_uint(&mut h, ids::DOC_TYPE_READ_VERSION, 2);
    ebml::write_element(out, ids::EBML, &h);
}

/// One GetMedia chunk: a Matroska document of one fragment, with the fragment's tags before its
/// Clusters and the continuation token (the fragment's own number: a later GetMedia continues
/// after it) after them.
pub fn media_chunk(f: &StoredFragment, number: &str, now_ms: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(f.bytes.len() + 512);
    ebml_header(&mut out);
    ebml::write_id(&mut out, ids::SEGMENT);
    ebml::write_size(&mut out, ebml::UNKNOWN_SIZE);
    out.extend_from_slice(f.info());
    out.extend_from_slice(f.tracks());
    tags(
        &mut out,
        &[
            ("AWS_KINESISVIDEO_FRAGMENT_NUMBER", number.to_owned()),
            ("AWS_KINESISVIDEO_SERVER_TIMESTAMP", seconds(f.server_ms)),
            (
                "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP",
                seconds(f.key.producer_ms),
            ),
        ],
    );
    out.extend_from_slice(f.clusters());
    let behind = (now_ms - (f.server_ms + f.key.duration_ms)).max(0);
    tags(
        &mut out,
        &[
            ("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW", behind.to_string()),
            ("AWS_KINESISVIDEO_CONTINUATION_TOKEN", number.to_owned()),
        ],
    );
    out
}

/// A GetMedia reader: the next chunks from an offset on, waiting at the live edge.
pub struct MediaReader {
    video: Arc<Video>,
    state: Arc<StreamState>,
    stream: StreamRef,
    offset: u64,
    appended: tokio::sync::watch::Receiver<u64>,
}

impl Video {
    pub fn get_media(
        self: &Arc<Self>,
        stream: StreamRef,
        selector: &StartSelector,
    ) -> Result<MediaReader> {
        let state = self.active(&stream)?;
        let offset = start_offset(self, &state, selector)?;
        let appended = state.appended.subscribe();
        Ok(MediaReader {
            video: self.clone(),
            state,
            stream,
            offset,
            appended,
        })
    }

    /// GetMediaForFragmentList: the fragments named, in the order given.
    pub async fn media_for_fragments(
        &self,
        stream: &StreamRef,
        numbers: &[String],
    ) -> Result<Vec<u8>> {
        let state = self.active(stream)?;
        let (start, next) = self.bounds(&state)?;
        let mut out = Vec::new();
        for n in numbers {
            let offset = self.offset_of(&state, n)?;
            if offset < start || offset >= next {
                return Err(VideoError::ResourceNotFound(format!(
                    "The fragment {n} was not found."
                )));
            }
            let f = self.read_fragments(&state, offset, 1, 1).await?;
            let Some(f) = f.into_iter().next().filter(|f| f.offset == offset) else {
                return Err(VideoError::ResourceNotFound(format!(
                    "The fragment {n} was not found."
                )));
            };
            out.extend(media_chunk(&f, n, self.now_ms()));
        }
        Ok(out)
    }
}

impl MediaReader {
    /// The next chunks, waiting for new fragments at the live edge. `None` once the stream is
    /// gone.
    pub async fn next(&mut self) -> Option<Result<Vec<u8>>> {
        loop {
            if self.video.state(&self.stream).is_err() {
                return None;
            }
            let (start, next) = match self.video.bounds(&self.state) {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            self.offset = self.offset.max(start);
            if self.offset < next {
                let fragments = match self
                    .video
                    .read_fragments(&self.state, self.offset, 16, 8 << 20)
                    .await
                {
                    Ok(f) => f,
                    Err(e) => return Some(Err(e)),
                };
                if let Some(last) = fragments.last() {
                    let now = self.video.now_ms();
                    let mut out = Vec::new();
                    for f in &fragments {
                        let number = self.video.fragment_number(&self.state, f.offset);
                        out.extend(media_chunk(f, &number, now));
                    }
                    self.offset = last.offset + 1;
                    return Some(Ok(out));
                }
            }
            if self.appended.changed().await.is_err() {
                return None;
            }
        }
    }
}
