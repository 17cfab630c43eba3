//! Playback over HTTP: HLS streaming sessions (GetHLSStreamingSessionURL and the playlists and
//! MP4 fragments a player fetches with the session's token), and GetClip.
//!
//! A session token is the session's parameters in JSON, signed with HMAC-SHA256 under a key
//! kept in the metadata store, so sessions survive a restart and cannot be forged or altered.
//! It names the stream's log, so a stream deleted and created again does not honour it.
//! Each track has its own media playlist, initialization segment and media segments; a
//! second track (audio beside video) is an alternative audio rendition in the master playlist.

use crate::error::{Result, VideoError};
use crate::fragment::StoredFragment;
use crate::mkv::blocks;
use crate::mkv::ingest::StreamHeader;
use crate::model::StreamRef;
use crate::mp4::{self, MediaKind, Mp4Track, PackError, Sample};
use crate::service::{IndexEntry, StreamState, TimestampKind, Video};
use base64::Engine;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sluice_storage::LogId;
use std::fmt::Write;
use std::sync::Arc;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

pub const SESSION_KEY_TABLE: &str = "video_keys";
pub const SESSION_KEY: &str = "session";
/// How far back a LIVE session looks for a fragment when it is created (AWS: 30 seconds).
const LIVE_LOOKBACK_MS: i64 = 30_000;
/// The gap or overlap between fragments that ON_DISCONTINUITY marks (AWS: 50 ms).
const DISCONTINUITY_MS: i64 = 50;
/// The largest time range an ON_DEMAND or LIVE_REPLAY session covers (AWS: 24 hours).
const MAX_RANGE_MS: i64 = 24 * 3_600_000;
/// The largest clip GetClip returns (AWS: 100 MB).
pub const MAX_CLIP_BYTES: u64 = 100 << 20;
/// The most fragments a clip spans (AWS: 200).
const MAX_CLIP_FRAGMENTS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlaybackMode {
    Live,
    LiveReplay,
    OnDemand,
}

/// Which playback protocol a session serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Protocol {
    #[default]
    Hls,
    Dash,
}

/// How media segments are packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Container {
    /// Fragmented MP4: a playlist, an initialization segment and media segments per track.
    #[default]
    Fmp4,
    /// MPEG-2 TS: one playlist, each segment carrying every track.
    Ts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Discontinuity {
    Always,
    Never,
    OnDiscontinuity,
}

/// GetHLSStreamingSessionURL's input, checked for shape by the wire layer.
#[derive(Debug, Clone)]
pub struct SessionInput {
    pub stream: StreamRef,
    pub protocol: Protocol,
    pub mode: PlaybackMode,
    pub kind: TimestampKind,
    pub container: Container,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub discontinuity: Option<Discontinuity>,
    pub display_timestamps: bool,
    /// DASH only: `kvs:fn` on each segment.
    pub display_fragment_numbers: bool,
    pub expires_s: i64,
    pub max_fragments: Option<u64>,
}

/// What a session token holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub stream: String,
    pub log: LogId,
    #[serde(default)]
    pub protocol: Protocol,
    pub mode: PlaybackMode,
    pub kind: TimestampKind,
    #[serde(default)]
    pub container: Container,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub discontinuity: Discontinuity,
    pub display_timestamps: bool,
    #[serde(default)]
    pub display_numbers: bool,
    pub max: u64,
    pub created_ms: i64,
    pub expires_ms: i64,
}

impl From<PackError> for VideoError {
    fn from(e: PackError) -> Self {
        match e {
            PackError::UnsupportedMediaType(m) => VideoError::UnsupportedStreamMediaType(m),
            PackError::MissingCodecPrivateData(_) => {
                VideoError::MissingCodecPrivateData(e.to_string())
            }
            PackError::InvalidCodecPrivateData(..) => {
                VideoError::InvalidCodecPrivateData(e.to_string())
            }
        }
    }
}

/// The tracks of a stored fragment that MP4 packaging carries.
pub fn tracks_of(f: &StoredFragment) -> Result<(StreamHeader, Vec<Mp4Track>)> {
    let header = blocks::stored_header(f.info(), f.tracks())
        .map_err(|e| VideoError::InvalidMediaFrame(format!("A stored fragment: {e}")))?;
    let tracks = header
        .parsed_tracks
        .iter()
        .filter(|t| mp4::is_media_track(t))
        .map(Mp4Track::new)
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if tracks.is_empty() {
        return Err(VideoError::UnsupportedStreamMediaType(
            "The stream's first fragment has no video or audio track.".into(),
        ));
    }
    Ok((header, tracks))
}

/// The samples of one track of a fragment, with times on the session's timeline, and the
/// fragment's end time.
pub fn samples<'a>(
    f: &'a StoredFragment,
    header: &StreamHeader,
    track: u64,
    kind: TimestampKind,
) -> Result<(Vec<Sample<'a>>, i64)> {
    let frames = blocks::frames(f.clusters())
        .map_err(|e| VideoError::InvalidMediaFrame(format!("A stored fragment: {e}")))?;
    // The fragment's timestamp is its first Cluster's timecode.
    let first = blocks::first_timecode(f.clusters())
        .unwrap_or_else(|| frames.iter().map(|fr| fr.ticks).min().unwrap_or(0));
    let base_ms = match kind {
        TimestampKind::Server => f.server_ms,
        TimestampKind::Producer => f.key.producer_ms,
    };
    let scale = i128::from(header.timecode_scale_ns);
    let base_ns = i128::from(base_ms) * 1_000_000;
    let at = |ticks: i64| (base_ns + i128::from(ticks - first) * scale) as i64;
    let out = frames
        .iter()
        .filter(|fr| fr.track == track)
        .map(|fr| Sample {
            time_ns: at(fr.ticks),
            key: fr.key,
            data: fr.data,
        })
        .collect();
    Ok((
        out,
        (base_ns + i128::from(f.key.duration_ms) * 1_000_000) as i64,
    ))
}

/// The highest bit rate of the fragments, in bits per second (for BANDWIDTH attributes).
pub(crate) fn peak_bandwidth(shown: &[IndexEntry]) -> u64 {
    shown
        .iter()
        .map(|e| e.size * 8 * 1000 / e.duration_ms.max(1) as u64)
        .max()
        .unwrap_or(1)
        .max(1)
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

fn expired() -> VideoError {
    VideoError::NotAuthorized("The session token is not valid or has expired.".into())
}

fn seconds(ms: i64) -> String {
    format!("{}.{:03}", ms.div_euclid(1000), ms.rem_euclid(1000))
}

pub(crate) fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl Video {
    fn sign(&self, payload: &str) -> String {
        let mut mac =
            HmacSha256::new_from_slice(&self.session_key).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        b64().encode(mac.finalize().into_bytes())
    }

    fn token(&self, s: &Session) -> String {
        let payload = b64().encode(serde_json::to_vec(s).expect("a session serializes"));
        let sig = self.sign(&payload);
        format!("{payload}~{sig}")
    }

    /// The session a token names, if it is genuine, unexpired, and its stream still exists.
    pub fn session(&self, token: &str) -> Result<(Session, Arc<StreamState>)> {
        let (payload, sig) = token.split_once('~').ok_or_else(expired)?;
        let mut mac =
            HmacSha256::new_from_slice(&self.session_key).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        let sig = b64().decode(sig).map_err(|_| expired())?;
        mac.verify_slice(&sig).map_err(|_| expired())?;
        let s: Session = b64()
            .decode(payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(expired)?;
        if self.now_ms() > s.expires_ms {
            return Err(expired());
        }
        let state = self.state(&StreamRef::Name(s.stream.clone()))?;
        if state.meta.read().log != s.log {
            return Err(expired());
        }
        Ok((s, state))
    }

    /// GetHLSStreamingSessionURL and GetDASHStreamingSessionURL: checks the stream can be
    /// played as asked, and returns the session's token.
    pub async fn start_session(&self, input: SessionInput) -> Result<String> {
        let selector = match input.protocol {
            Protocol::Hls => "HLSFragmentSelector",
            Protocol::Dash => "DASHFragmentSelector",
        };
        let s = self.active(&input.stream)?;
        let (name, log, retention) = {
            let m = s.meta.read();
            (m.name.clone(), m.log, m.retention_hours)
        };
        if retention == 0 {
            return Err(VideoError::NoDataRetention(
                "The stream does not retain data (DataRetentionInHours is 0).".into(),
            ));
        }
        let now = self.now_ms();
        match input.mode {
            PlaybackMode::Live => {
                if input.start_ms.is_some() {
                    return Err(VideoError::InvalidArgument(format!(
                        "{selector}.TimestampRange must not be set when PlaybackMode is LIVE."
                    )));
                }
            }
            PlaybackMode::LiveReplay | PlaybackMode::OnDemand => {
                let Some(start) = input.start_ms else {
                    return Err(VideoError::InvalidArgument(format!(
                        "{selector}.TimestampRange.StartTimestamp is required when PlaybackMode is ON_DEMAND or LIVE_REPLAY."
                    )));
                };
                if input.mode == PlaybackMode::OnDemand && input.end_ms.is_none() {
                    return Err(VideoError::InvalidArgument(format!(
                        "{selector}.TimestampRange.EndTimestamp is required when PlaybackMode is ON_DEMAND."
                    )));
                }
                if let Some(end) = input.end_ms {
                    if end <= start {
                        return Err(VideoError::InvalidArgument(
                            "The EndTimestamp must be later than the StartTimestamp.".into(),
                        ));
                    }
                    if end - start > MAX_RANGE_MS {
                        return Err(VideoError::InvalidArgument(
                            "The EndTimestamp must be within 24 hours of the StartTimestamp."
                                .into(),
                        ));
                    }
                    if input.kind == TimestampKind::Server && end > now {
                        return Err(VideoError::InvalidArgument(
                            "The EndTimestamp must be in the past when FragmentSelectorType is SERVER_TIMESTAMP."
                                .into(),
                        ));
                    }
                }
            }
        }
        let default_max = if input.mode == PlaybackMode::OnDemand {
            1000
        } else {
            5
        };
        let session = Session {
            stream: name,
            log,
            protocol: input.protocol,
            mode: input.mode,
            kind: input.kind,
            container: input.container,
            start_ms: input.start_ms,
            end_ms: input.end_ms,
            discontinuity: input.discontinuity.unwrap_or(match input.kind {
                TimestampKind::Server => Discontinuity::Always,
                TimestampKind::Producer => Discontinuity::Never,
            }),
            display_timestamps: input.display_timestamps,
            display_numbers: input.display_fragment_numbers,
            max: input.max_fragments.unwrap_or(default_max),
            created_ms: now,
            expires_ms: now + input.expires_s * 1000,
        };
        let candidates = self.candidates(&session, &s)?;
        let first = match session.mode {
            PlaybackMode::Live => candidates
                .last()
                .filter(|e| e.server_ms >= now - LIVE_LOOKBACK_MS),
            _ => candidates.first(),
        };
        let Some(first) = first.copied() else {
            return Err(VideoError::ResourceNotFound(match session.mode {
                PlaybackMode::Live => {
                    "The stream has no fragments from the last 30 seconds.".to_string()
                }
                _ => "The stream has no fragments in the requested time range.".to_string(),
            }));
        };
        let f = self.fragment_at(&s, first.offset).await?;
        tracks_of(&f)?;
        Ok(self.token(&session))
    }

    /// The fragments a session may show, oldest first: those in its time range (all, for
    /// LIVE), with PRODUCER_TIMESTAMP duplicates reduced to the newest.
    pub(crate) fn candidates(&self, sess: &Session, s: &StreamState) -> Result<Vec<IndexEntry>> {
        let (start, _) = self.bounds(s)?;
        let ts = |e: &IndexEntry| match sess.kind {
            TimestampKind::Server => e.server_ms,
            TimestampKind::Producer => e.producer_ms,
        };
        let mut out: Vec<IndexEntry> = Vec::new();
        // Where each producer timestamp is in `out` (PRODUCER_TIMESTAMP duplicates).
        let mut at: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
        let mut newest = i64::MIN;
        for e in s.retained(start) {
            let t = ts(&e);
            if let Some(a) = sess.start_ms
                && t < a
            {
                continue;
            }
            if let Some(b) = sess.end_ms
                && t > b
            {
                continue;
            }
            if sess.kind == TimestampKind::Producer {
                if let Some(&i) = at.get(&t) {
                    out[i] = e;
                    continue;
                }
                if sess.mode == PlaybackMode::Live && t < newest {
                    continue;
                }
                at.insert(t, out.len());
            }
            newest = newest.max(t);
            out.push(e);
        }
        Ok(out)
    }

    /// The fragments a media playlist shows now, the media sequence number of the first, the
    /// number of discontinuities before it, and whether the playlist is complete.
    pub(crate) fn window(
        &self,
        sess: &Session,
        s: &StreamState,
    ) -> Result<(Vec<IndexEntry>, u64, u64, bool)> {
        let all = self.candidates(sess, s)?;
        let now = self.now_ms();
        let (from, to, ended) = match sess.mode {
            PlaybackMode::OnDemand => (0, all.len().min(sess.max as usize), true),
            PlaybackMode::Live => (
                all.len().saturating_sub(sess.max as usize),
                all.len(),
                false,
            ),
            PlaybackMode::LiveReplay => {
                // Fragments join as the duration of the ones before them elapses.
                let mut elapsed = 0i64;
                let mut visible = 0;
                for e in &all {
                    if sess.created_ms + elapsed > now {
                        break;
                    }
                    elapsed += e.duration_ms.max(1);
                    visible += 1;
                }
                let ended = visible == all.len() && sess.end_ms.is_some_and(|end| end < now);
                (visible.saturating_sub(sess.max as usize), visible, ended)
            }
        };
        let ts = |e: &IndexEntry| match sess.kind {
            TimestampKind::Server => e.server_ms,
            TimestampKind::Producer => e.producer_ms,
        };
        let breaks = |upto: usize| -> u64 {
            (1..upto)
                .filter(|&i| {
                    self.is_break(sess, ts(&all[i - 1]) + all[i - 1].duration_ms, ts(&all[i]))
                })
                .count() as u64
        };
        let sequence = match sess.mode {
            PlaybackMode::Live => all.get(from).map_or(0, |e| e.offset),
            _ => from as u64,
        };
        Ok((all[from..to].to_vec(), sequence, breaks(from + 1), ended))
    }

    fn is_break(&self, sess: &Session, expected_ms: i64, next_ms: i64) -> bool {
        match sess.discontinuity {
            Discontinuity::Always => true,
            Discontinuity::Never => false,
            Discontinuity::OnDiscontinuity => (next_ms - expected_ms).abs() > DISCONTINUITY_MS,
        }
    }

    /// Refuses a fragment the session does not show.
    pub(crate) fn check_in_session(
        &self,
        sess: &Session,
        s: &StreamState,
        offset: u64,
    ) -> Result<()> {
        if self.candidates(sess, s)?.iter().any(|e| e.offset == offset) {
            return Ok(());
        }
        Err(VideoError::InvalidArgument(format!(
            "The fragment {} is not part of this session.",
            self.fragment_number(s, offset)
        )))
    }

    pub(crate) async fn fragment_at(&self, s: &StreamState, offset: u64) -> Result<StoredFragment> {
        self.read_fragments(s, offset, 1, 64 << 20)
            .await?
            .into_iter()
            .find(|f| f.offset == offset)
            .ok_or_else(|| {
                VideoError::ResourceNotFound("The fragment is no longer retained.".into())
            })
    }

    /// The fragment whose tracks a session's initialization segments describe: the first one
    /// its playlists show now.
    pub(crate) async fn anchor(&self, sess: &Session, s: &StreamState) -> Result<StoredFragment> {
        let (shown, ..) = self.window(sess, s)?;
        let e = match shown.first() {
            Some(e) => *e,
            None => *self.candidates(sess, s)?.first().ok_or_else(|| {
                VideoError::ResourceNotFound("The session has no fragments.".into())
            })?,
        };
        self.fragment_at(s, e.offset).await
    }

    /// GetHLSMasterPlaylist.
    pub async fn hls_master_playlist(&self, token: &str) -> Result<String> {
        let (sess, s) = self.session(token)?;
        let f = self.anchor(&sess, &s).await?;
        let (_, tracks) = tracks_of(&f)?;
        let (shown, ..) = self.window(&sess, &s)?;
        let bandwidth = peak_bandwidth(&shown);
        let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n");
        let main = tracks
            .iter()
            .find(|t| t.kind == MediaKind::Video)
            .unwrap_or(&tracks[0]);
        let audio = tracks
            .iter()
            .find(|t| t.kind == MediaKind::Audio && t.number != main.number);
        let mut codecs = main.codecs.clone();
        if let Some(a) = audio {
            codecs.push(',');
            codecs.push_str(&a.codecs);
        }
        if let (Some(a), Container::Fmp4) = (audio, sess.container) {
            let _ = writeln!(
                out,
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Track {n}\",DEFAULT=YES,AUTOSELECT=YES,URI=\"getHLSMediaPlaylist.m3u8?TrackNumber={n}&SessionToken={token}\"",
                n = a.number
            );
        }
        let _ = write!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},CODECS=\"{codecs}\""
        );
        if main.kind == MediaKind::Video && main.width > 0 && main.height > 0 {
            let _ = write!(out, ",RESOLUTION={}x{}", main.width, main.height);
        }
        match sess.container {
            Container::Fmp4 => {
                if audio.is_some() {
                    out.push_str(",AUDIO=\"audio\"");
                }
                let _ = writeln!(
                    out,
                    "\ngetHLSMediaPlaylist.m3u8?TrackNumber={}&SessionToken={token}",
                    main.number
                );
            }
            Container::Ts => {
                let _ = writeln!(out, "\ngetHLSMediaPlaylist.m3u8?SessionToken={token}");
            }
        }
        Ok(out)
    }

    /// GetHLSMediaPlaylist for one track.
    pub async fn hls_media_playlist(&self, token: &str, track: u64) -> Result<String> {
        let (sess, s) = self.session(token)?;
        let (shown, sequence, breaks, ended) = self.window(&sess, &s)?;
        let log = s.meta.read().log;
        let ts = |e: &IndexEntry| match sess.kind {
            TimestampKind::Server => e.server_ms,
            TimestampKind::Producer => e.producer_ms,
        };
        let target = shown
            .iter()
            .map(|e| (e.duration_ms + 999) / 1000)
            .max()
            .unwrap_or(1)
            .max(1);
        let version = match sess.container {
            Container::Fmp4 => 7,
            Container::Ts => 3,
        };
        let mut out = format!("#EXTM3U\n#EXT-X-VERSION:{version}\n");
        let _ = writeln!(out, "#EXT-X-TARGETDURATION:{target}");
        let _ = writeln!(out, "#EXT-X-MEDIA-SEQUENCE:{sequence}");
        let _ = writeln!(out, "#EXT-X-DISCONTINUITY-SEQUENCE:{breaks}");
        if sess.mode == PlaybackMode::OnDemand {
            out.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n");
        }
        out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
        if sess.container == Container::Fmp4 {
            let _ = writeln!(
                out,
                "#EXT-X-MAP:URI=\"getMP4InitFragment.mp4?TrackNumber={track}&SessionToken={token}\""
            );
        }
        let mut prev: Option<&IndexEntry> = None;
        for e in &shown {
            // New codec private data (CRCs of 0 are unknown, from older fragments): a
            // discontinuity and the initialization segment of this fragment's tracks.
            let new_tracks = prev.is_some_and(|p| {
                p.tracks_crc != e.tracks_crc && p.tracks_crc != 0 && e.tracks_crc != 0
            });
            if let Some(p) = prev
                && (new_tracks || self.is_break(&sess, ts(p) + p.duration_ms, ts(e)))
            {
                out.push_str("#EXT-X-DISCONTINUITY\n");
            }
            if new_tracks {
                match sess.container {
                    Container::Fmp4 => {
                        let _ = writeln!(
                            out,
                            "#EXT-X-MAP:URI=\"getMP4InitFragment.mp4?TrackNumber={track}&FragmentNumber={}&SessionToken={token}\"",
                            crate::fragment::fragment_number(log, e.offset)
                        );
                    }
                    Container::Ts => {}
                }
            }
            if sess.display_timestamps {
                let _ = writeln!(out, "#EXT-X-PROGRAM-DATE-TIME:{}", rfc3339(ts(e)));
            }
            let number = crate::fragment::fragment_number(log, e.offset);
            let _ = match sess.container {
                Container::Fmp4 => writeln!(
                    out,
                    "#EXTINF:{},\ngetMP4MediaFragment.mp4?FragmentNumber={number}&TrackNumber={track}&SessionToken={token}",
                    seconds(e.duration_ms)
                ),
                Container::Ts => writeln!(
                    out,
                    "#EXTINF:{},\ngetTSFragment.ts?FragmentNumber={number}&SessionToken={token}",
                    seconds(e.duration_ms)
                ),
            };
            prev = Some(e);
        }
        if ended {
            out.push_str("#EXT-X-ENDLIST\n");
        }
        Ok(out)
    }

    pub(crate) fn track_of(tracks: &[Mp4Track], number: u64) -> Result<&Mp4Track> {
        tracks.iter().find(|t| t.number == number).ok_or_else(|| {
            VideoError::InvalidArgument(format!("The stream has no playable track {number}."))
        })
    }

    /// GetMP4InitFragment for one track.
    /// `fragment` names the fragment whose tracks to describe (after a change of codec private
    /// data); without it, the first fragment the session's playlists show.
    pub async fn mp4_init_fragment(
        &self,
        token: &str,
        track: u64,
        fragment: Option<&str>,
    ) -> Result<Vec<u8>> {
        let (sess, s) = self.session(token)?;
        let f = match fragment {
            None => self.anchor(&sess, &s).await?,
            Some(number) => {
                let offset = self.offset_of(&s, number)?;
                self.check_in_session(&sess, &s, offset)?;
                self.fragment_at(&s, offset).await?
            }
        };
        let (_, tracks) = tracks_of(&f)?;
        Ok(mp4::init_segment(Self::track_of(&tracks, track)?))
    }

    /// GetMP4MediaFragment: one fragment's samples of one track.
    pub async fn mp4_media_fragment(
        &self,
        token: &str,
        track: u64,
        number: &str,
    ) -> Result<Vec<u8>> {
        let (sess, s) = self.session(token)?;
        let offset = self.offset_of(&s, number)?;
        self.mp4_segment(&sess, &s, offset, track).await
    }

    /// The fMP4 media segment of one track of the fragment at `offset`, if the session shows it.
    pub(crate) async fn mp4_segment(
        &self,
        sess: &Session,
        s: &StreamState,
        offset: u64,
        track: u64,
    ) -> Result<Vec<u8>> {
        self.check_in_session(sess, s, offset)?;
        let f = self.fragment_at(s, offset).await?;
        let (header, tracks) = tracks_of(&f)?;
        let t = Self::track_of(&tracks, track)?;
        let (samples, end) = samples(&f, &header, track, sess.kind)?;
        Ok(mp4::media_segment(
            t,
            (offset % u64::from(u32::MAX)) as u32 + 1,
            &samples,
            end,
        ))
    }

    /// GetTSFragment: one fragment, every track, as an MPEG-2 transport stream.
    pub async fn ts_fragment(&self, token: &str, number: &str) -> Result<Vec<u8>> {
        let (sess, s) = self.session(token)?;
        let offset = self.offset_of(&s, number)?;
        self.check_in_session(&sess, &s, offset)?;
        let f = self.fragment_at(&s, offset).await?;
        let (header, tracks) = tracks_of(&f)?;
        let mut parts = Vec::with_capacity(tracks.len());
        for t in &tracks {
            let (samples, _) = samples(&f, &header, t.number, sess.kind)?;
            parts.push(crate::ts::TsTrack { track: t, samples });
        }
        Ok(crate::ts::segment(&parts))
    }

    /// GetClip: the fragments in a time range as one MP4 file.
    pub async fn clip(
        &self,
        r: &StreamRef,
        kind: TimestampKind,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<u8>> {
        let s = self.active(r)?;
        if s.meta.read().retention_hours == 0 {
            return Err(VideoError::NoDataRetention(
                "The stream does not retain data (DataRetentionInHours is 0).".into(),
            ));
        }
        if end_ms <= start_ms || end_ms - start_ms > MAX_RANGE_MS {
            return Err(VideoError::InvalidArgument(
                "The EndTimestamp must be later than the StartTimestamp, and within 24 hours of it."
                    .into(),
            ));
        }
        let sess = Session {
            stream: String::new(),
            log: s.meta.read().log,
            protocol: Protocol::Hls,
            mode: PlaybackMode::OnDemand,
            kind,
            container: Container::Fmp4,
            start_ms: Some(start_ms),
            end_ms: Some(end_ms),
            discontinuity: Discontinuity::Never,
            display_timestamps: false,
            display_numbers: false,
            max: MAX_CLIP_FRAGMENTS as u64,
            created_ms: 0,
            expires_ms: 0,
        };
        if kind == TimestampKind::Server && end_ms > self.now_ms() {
            return Err(VideoError::InvalidArgument(
                "The EndTimestamp must be in the past when FragmentSelectorType is SERVER_TIMESTAMP."
                    .into(),
            ));
        }
        let mut entries = self.candidates(&sess, &s)?;
        if entries.is_empty() {
            return Err(VideoError::ResourceNotFound(
                "The stream has no fragments in the requested time range.".into(),
            ));
        }
        // As AWS: the first 200 fragments or the first 100 MB, whichever is less.
        let mut bytes = 0;
        let keep = entries
            .iter()
            .take(MAX_CLIP_FRAGMENTS)
            .take_while(|e| {
                bytes += e.size;
                bytes <= MAX_CLIP_BYTES
            })
            .count()
            .max(1);
        entries.truncate(keep);
        let mut fragments = Vec::with_capacity(entries.len());
        for e in &entries {
            fragments.push(self.fragment_at(&s, e.offset).await?);
        }
        let (_, tracks) = tracks_of(&fragments[0])?;
        let mut parts = Vec::new();
        for t in &tracks {
            let mut all = Vec::new();
            let mut end = 0;
            for f in &fragments {
                let header = blocks::stored_header(f.info(), f.tracks())
                    .map_err(|e| VideoError::InvalidMediaFrame(e.to_string()))?;
                let (samples, fragment_end) = samples(f, &header, t.number, kind)?;
                all.extend(samples);
                end = fragment_end;
            }
            parts.push((t, all, end));
        }
        Ok(mp4::clip(&parts))
    }
}
