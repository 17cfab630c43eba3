//! Splits a live Matroska byte stream into fragments, as PutMedia receives it: bytes arrive in
//! pieces of any size, Segments and Clusters may be of unknown size, and a producer may start a
//! new EBML document (a new Segment, new Tracks) at any time.
//!
//! A fragment is a run of Clusters that starts at a key frame: a Cluster whose first video block
//! (or, without a video track, whose first block) is a key frame starts a new fragment; any other
//! Cluster joins the fragment before it. The bytes are kept exactly as they came.

use super::ebml::{self, HeaderError};
use super::elements::{notification_of, parse_tracks};
use super::ids;

/// The largest fragment PutMedia takes (AWS: 50 MB).
pub const MAX_FRAGMENT_BYTES: usize = 50 * 1024 * 1024;
/// The longest fragment PutMedia takes (AWS: 20 seconds).
pub const MAX_FRAGMENT_DURATION_MS: i64 = 20_000;
/// The most tracks a stream may have (AWS: 3).
pub const MAX_TRACKS: usize = 3;
/// The largest element other than a Cluster (headers, Tracks, Cues, Tags) that is accepted.
const MAX_HEADER_ELEMENT_BYTES: u64 = 4 * 1024 * 1024;

/// What is wrong with the stream, as PutMedia's error acknowledgements name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("invalid MKV data: {0}")]
    InvalidMkv(String),
    #[error("the fragment is larger than {MAX_FRAGMENT_BYTES} bytes")]
    MaxFragmentSize,
    #[error("the fragment is longer than {MAX_FRAGMENT_DURATION_MS} ms")]
    MaxFragmentDuration,
    #[error("a fragment's timecode is lower than the one before it")]
    TimecodeLesserThanPrevious,
    #[error("more than {MAX_TRACKS} tracks")]
    TooManyTracks,
    #[error("a block names track {0}, which the Tracks element does not have")]
    TrackNumberMismatch(u64),
}

/// One track of the Tracks element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub number: u64,
    pub kind: u64,
    pub codec_id: String,
    pub codec_private: Vec<u8>,
    /// A video track's picture size (0 when not given).
    pub width: u32,
    pub height: u32,
    /// An audio track's sampling rate in Hz and channel count (0 when not given).
    pub sample_rate: u32,
    pub channels: u32,
    /// The length of each frame, in nanoseconds, when the track gives it.
    pub default_duration_ns: u64,
}

/// The elements a fragment needs to be played on its own: Info and Tracks, as received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamHeader {
    pub info: Vec<u8>,
    pub tracks: Vec<u8>,
    pub timecode_scale_ns: u64,
    pub parsed_tracks: Vec<Track>,
}

impl StreamHeader {
    /// Milliseconds for `ticks` of this header's timecode scale.
    pub fn ticks_to_ms(&self, ticks: i64) -> i64 {
        ((i128::from(ticks) * i128::from(self.timecode_scale_ns)) / 1_000_000) as i64
    }
}

/// A complete fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The first Cluster's timecode, in milliseconds.
    pub timecode_ms: i64,
    pub duration_ms: i64,
    /// The Clusters, byte for byte.
    pub clusters: Vec<u8>,
    pub frames: u32,
    pub header: std::sync::Arc<StreamHeader>,
    /// The producer asked for a notification for this fragment (an `AWS_KINESISVIDEO_NOTIFICATION`
    /// tag before it): the other simple tags of that Tags element, its payload.
    pub notification: Option<Vec<(String, String)>>,
}

/// What the splitter found in the bytes fed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A fragment's first Cluster has begun (its timecode, in milliseconds).
    Started { timecode_ms: i64 },
    /// A fragment is complete.
    Fragment(Fragment),
}

#[derive(Debug, Clone, Copy)]
enum Level {
    /// Before an EBML header, or between documents.
    Top,
    /// In a Segment, which ends at this stream position (or never).
    Segment { end: Option<u64> },
    /// In a Cluster of unknown size that started at this buffer position, in a Segment that
    /// ends at `segment_end`.
    OpenCluster {
        start: usize,
        segment_end: Option<u64>,
    },
}

/// A fragment being gathered.
struct Pending {
    timecode_ticks: i64,
    clusters: Vec<u8>,
    frames: u32,
    last_block_ticks: i64,
    /// The gap between the last two block times of one track: the last frame's length.
    last_gap_ticks: i64,
    header: std::sync::Arc<StreamHeader>,
    /// How many Clusters it holds, and whether the first starts with a key frame.
    count: u32,
    key_start: bool,
    notification: Option<Vec<(String, String)>>,
}

/// The splitter. Feed it with [`Splitter::push`], end it with [`Splitter::finish`].
pub struct Splitter {
    buf: Vec<u8>,
    /// Where unread bytes start in `buf`.
    pos: usize,
    /// Stream position of `buf[0]`.
    base: u64,
    level: Level,
    /// Bytes of a known-size element being skipped, not yet received.
    skipping: u64,
    saw_ebml: bool,
    header: std::sync::Arc<StreamHeader>,
    pending: Option<Pending>,
    /// The last Cluster timecode of this Segment, in ticks.
    last_cluster_ticks: Option<i64>,
    /// Last block time per track, in ticks (for frame lengths).
    last_block: Vec<(u64, i64)>,
    /// The stream position of the Cluster whose fragment start was decided from its first bytes.
    decided: Option<u64>,
    /// Whether this producer starts each Cluster at a key frame (its fragments so far were one
    /// Cluster each). Then a whole known-size Cluster is a complete fragment at once, as AWS
    /// treats every Cluster, instead of waiting for the next Cluster to begin.
    gops: bool,
    /// A notification asked for by a Tags element, for the next fragment to begin.
    next_notification: Option<Vec<(String, String)>>,
}

impl Default for Splitter {
    fn default() -> Self {
        Self::new()
    }
}

impl Splitter {
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            pos: 0,
            base: 0,
            level: Level::Top,
            skipping: 0,
            saw_ebml: false,
            header: Default::default(),
            pending: None,
            last_cluster_ticks: None,
            last_block: Vec::new(),
            decided: None,
            gops: false,
            next_notification: None,
        }
    }

    /// The Info and Tracks now in force.
    pub fn header(&self) -> &std::sync::Arc<StreamHeader> {
        &self.header
    }

    /// Bytes of the fragment being gathered (0 if none).
    pub fn pending_bytes(&self) -> usize {
        self.pending.as_ref().map_or(0, |p| p.clusters.len())
            + match self.level {
                Level::OpenCluster { start, .. } => self.buf.len() - start,
                _ => 0,
            }
    }

    /// Takes more bytes; returns what they completed, and the error that stops the stream if
    /// they hold one. Fragments whole before an error are still returned, unless the error is
    /// theirs (too large, too long).
    pub fn push(&mut self, mut data: &[u8]) -> (Vec<Event>, Result<(), IngestError>) {
        if self.skipping > 0 {
            let n = (self.skipping.min(data.len() as u64)) as usize;
            self.skipping -= n as u64;
            self.base += n as u64;
            data = &data[n..];
        }
        self.buf.extend_from_slice(data);
        let mut events = Vec::new();
        let result = self.run(&mut events);
        self.compact();
        self.end_on(result, events)
    }

    /// The stream has ended: the fragment being gathered is complete.
    pub fn finish(&mut self) -> (Vec<Event>, Result<(), IngestError>) {
        let mut events = Vec::new();
        let mut result = Ok(());
        if let Level::OpenCluster { start, segment_end } = self.level {
            let end = self.buf.len();
            result = self.close_cluster(start, end, &mut events);
            self.pos = end;
            self.level = Level::Segment { end: segment_end };
        }
        if result.is_ok() {
            self.flush(None, &mut events);
        }
        self.end_on(result, events)
    }

    fn end_on(
        &mut self,
        result: Result<(), IngestError>,
        mut events: Vec<Event>,
    ) -> (Vec<Event>, Result<(), IngestError>) {
        if let Err(e) = &result {
            if !matches!(
                e,
                IngestError::MaxFragmentSize | IngestError::MaxFragmentDuration
            ) {
                self.flush(None, &mut events);
            }
            self.pending = None;
            self.buf = Vec::new();
        }
        (events, result)
    }

    fn compact(&mut self) {
        let keep_from = match self.level {
            Level::OpenCluster { start, .. } => start.min(self.pos),
            _ => self.pos,
        };
        if keep_from > 0 && keep_from * 2 >= self.buf.len() {
            self.buf.drain(..keep_from);
            self.base += keep_from as u64;
            self.pos -= keep_from;
            if let Level::OpenCluster { start, .. } = &mut self.level {
                *start -= keep_from;
            }
        }
    }

    fn stream_pos(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn run(&mut self, events: &mut Vec<Event>) -> Result<(), IngestError> {
        loop {
            if self.skipping > 0 {
                return Ok(());
            }
            match self.level {
                Level::Segment { end: Some(end) } if self.stream_pos() >= end => {
                    self.level = Level::Top;
                }
                Level::OpenCluster {
                    start,
                    segment_end: Some(end),
                } if self.stream_pos() >= end => {
                    let at = self.pos;
                    self.close_cluster(start, at, events)?;
                    self.level = Level::Top;
                }
                _ => {}
            }
            let rest = &self.buf[self.pos..];
            let h = match ebml::read_header(rest) {
                Ok(h) => h,
                Err(HeaderError::Incomplete) => return Ok(()),
                Err(HeaderError::Invalid) => {
                    return Err(invalid(format!(
                        "no element header at byte {}",
                        self.stream_pos()
                    )));
                }
            };
            match self.level {
                Level::Top => {
                    if !self.top_element(h, events)? {
                        return Ok(());
                    }
                }
                Level::Segment { .. } => {
                    if !self.segment_child(h, events)? {
                        return Ok(());
                    }
                }
                Level::OpenCluster { start, segment_end } => {
                    if ids::is_cluster_child(h.id) {
                        let Some(total) = h.total() else {
                            return Err(invalid("a Cluster child of unknown size"));
                        };
                        if (self.pos - start) as u64 + total > MAX_FRAGMENT_BYTES as u64 {
                            return Err(IngestError::MaxFragmentSize);
                        }
                        if (rest.len() as u64) < total {
                            self.decide_early(start, events);
                            return Ok(());
                        }
                        self.pos += total as usize;
                        self.decide_early(start, events);
                    } else if ids::is_segment_child(h.id) || h.id == ids::EBML {
                        let end = self.pos;
                        self.close_cluster(start, end, events)?;
                        self.level = Level::Segment { end: segment_end };
                    } else {
                        return Err(invalid(format!("element {:#x} inside a Cluster", h.id)));
                    }
                }
            }
        }
    }

    /// An element at the top level. Returns false if more bytes are needed.
    fn top_element(
        &mut self,
        h: ebml::Header,
        events: &mut Vec<Event>,
    ) -> Result<bool, IngestError> {
        match h.id {
            ids::EBML => {
                let Some(data) = self.whole(h, MAX_HEADER_ELEMENT_BYTES)? else {
                    return Ok(false);
                };
                let doc_type = ebml::children(data)
                    .find(|(c, _)| c.id == ids::DOC_TYPE)
                    .map(|(_, d)| String::from_utf8_lossy(d).trim_end_matches('\0').to_owned());
                match doc_type.as_deref() {
                    Some("matroska") | Some("webm") => {}
                    other => {
                        return Err(invalid(format!(
                            "the EBML DocType is {other:?}, not matroska or webm"
                        )));
                    }
                }
                self.pos += h.total().unwrap_or(0) as usize;
                self.saw_ebml = true;
                // A new document: what came before is complete.
                self.flush(None, events);
                Ok(true)
            }
            ids::SEGMENT if self.saw_ebml => {
                let start = self.stream_pos() + h.len as u64;
                self.pos += h.len;
                self.level = Level::Segment {
                    end: h.total().map(|_| start + h.size),
                };
                self.last_cluster_ticks = None;
                Ok(true)
            }
            ids::VOID | ids::CRC32 => self.skip(h),
            other => Err(invalid(format!(
                "expected an EBML header, found element {other:#x} at byte {}",
                self.stream_pos()
            ))),
        }
    }

    /// An element in a Segment. Returns false if more bytes are needed.
    fn segment_child(
        &mut self,
        h: ebml::Header,
        events: &mut Vec<Event>,
    ) -> Result<bool, IngestError> {
        match h.id {
            ids::EBML => {
                self.level = Level::Top;
                Ok(true)
            }
            ids::CLUSTER => {
                if self.header.tracks.is_empty() {
                    return Err(invalid("a Cluster before the Tracks element"));
                }
                match h.total() {
                    None => {
                        let start = self.pos;
                        self.pos += h.len;
                        let Level::Segment { end: segment_end } = self.level else {
                            unreachable!("a Cluster is read in a Segment")
                        };
                        self.level = Level::OpenCluster { start, segment_end };
                        Ok(true)
                    }
                    Some(total) => {
                        if total > MAX_FRAGMENT_BYTES as u64 {
                            return Err(IngestError::MaxFragmentSize);
                        }
                        if ((self.buf.len() - self.pos) as u64) < total {
                            let start = self.pos;
                            self.decide_early(start, events);
                            return Ok(false);
                        }
                        let (start, end) = (self.pos, self.pos + total as usize);
                        self.close_cluster(start, end, events)?;
                        self.pos = end;
                        if self.gops
                            && self
                                .pending
                                .as_ref()
                                .is_some_and(|p| p.count == 1 && p.key_start)
                        {
                            self.flush(None, events);
                        }
                        Ok(true)
                    }
                }
            }
            ids::INFO | ids::TRACKS => {
                let Some(data) = self.whole(h, MAX_HEADER_ELEMENT_BYTES)? else {
                    return Ok(false);
                };
                let raw = self.buf[self.pos..self.pos + h.total().unwrap_or(0) as usize].to_vec();
                let mut header = (*self.header).clone();
                if h.id == ids::INFO {
                    header.timecode_scale_ns = ebml::children(data)
                        .find(|(c, _)| c.id == ids::TIMECODE_SCALE)
                        .and_then(|(_, d)| ebml::read_uint(d))
                        .filter(|s| *s > 0)
                        .unwrap_or(1_000_000);
                    header.info = raw;
                } else {
                    let tracks = parse_tracks(data)?;
                    if tracks.len() > MAX_TRACKS {
                        return Err(IngestError::TooManyTracks);
                    }
                    if tracks.is_empty() {
                        return Err(invalid("a Tracks element with no TrackEntry"));
                    }
                    header.parsed_tracks = tracks;
                    header.tracks = raw;
                }
                if header.timecode_scale_ns == 0 {
                    header.timecode_scale_ns = 1_000_000;
                }
                if *self.header != header {
                    // New tracks or timing: the fragment before is complete.
                    self.flush(None, events);
                    self.header = std::sync::Arc::new(header);
                }
                self.pos += h.total().unwrap_or(0) as usize;
                Ok(true)
            }
            ids::TAGS => {
                let Some(data) = self.whole(h, MAX_HEADER_ELEMENT_BYTES)? else {
                    return Ok(false);
                };
                if let Some(payload) = notification_of(data) {
                    self.next_notification = Some(payload);
                }
                self.pos += h.total().unwrap_or(0) as usize;
                Ok(true)
            }
            id if ids::is_segment_child(id) || id == ids::VOID || id == ids::CRC32 => self.skip(h),
            other => Err(invalid(format!(
                "element {other:#x} is not a Segment child (byte {})",
                self.stream_pos()
            ))),
        }
    }

    /// The data of a whole known-size element at `pos`, or None if more bytes are needed.
    fn whole(&self, h: ebml::Header, max: u64) -> Result<Option<&[u8]>, IngestError> {
        let Some(total) = h.total() else {
            return Err(invalid(format!("element {:#x} of unknown size", h.id)));
        };
        if total > max {
            return Err(invalid(format!("element {:#x} of {total} bytes", h.id)));
        }
        let rest = &self.buf[self.pos..];
        Ok((rest.len() as u64 >= total).then(|| &rest[h.len..total as usize]))
    }

    /// Skips a known-size element without keeping it.
    fn skip(&mut self, h: ebml::Header) -> Result<bool, IngestError> {
        let Some(total) = h.total() else {
            return Err(invalid(format!("element {:#x} of unknown size", h.id)));
        };
        let have = (self.buf.len() - self.pos) as u64;
        if have >= total {
            self.pos += total as usize;
        } else {
            self.skipping = total - have;
            self.pos = self.buf.len();
        }
        Ok(true)
    }

    /// A whole Cluster is `buf[start..end]`: add it to a fragment.
    fn close_cluster(
        &mut self,
        start: usize,
        end: usize,
        events: &mut Vec<Event>,
    ) -> Result<(), IngestError> {
        let (timecode, blocks) = cluster_blocks(&self.buf[start..end])?;
        let Some(timecode) = timecode else {
            return Err(invalid("a Cluster without a Timecode"));
        };
        if let Some(last) = self.last_cluster_ticks
            && timecode < last
        {
            return Err(IngestError::TimecodeLesserThanPrevious);
        }
        self.last_cluster_ticks = Some(timecode);
        let header = self.header.clone();
        for (track, _, _) in &blocks {
            if !header.parsed_tracks.iter().any(|t| t.number == *track) {
                return Err(IngestError::TrackNumberMismatch(*track));
            }
        }
        let decided = self.decided.take() == Some(self.base + start as u64);
        if !decided {
            let video = video_tracks(&header);
            let first = if video.is_empty() {
                blocks.first()
            } else {
                blocks.iter().find(|b| video.contains(&b.0))
            };
            let starts = first.is_some_and(|(_, _, key)| *key);
            if starts || self.pending.is_none() {
                self.begin(timecode, starts, events);
            }
        }
        let p = self.pending.as_mut().expect("a fragment is pending");
        p.clusters.extend_from_slice(&self.buf[start..end]);
        p.count += 1;
        if p.clusters.len() > MAX_FRAGMENT_BYTES {
            return Err(IngestError::MaxFragmentSize);
        }
        for (track, rel, _) in blocks {
            let at = timecode + rel;
            p.frames += 1;
            match self.last_block.iter_mut().find(|(t, _)| *t == track) {
                Some((_, last)) => {
                    if at > *last {
                        p.last_gap_ticks = at - *last;
                    }
                    *last = at;
                }
                None => self.last_block.push((track, at)),
            }
            p.last_block_ticks = p.last_block_ticks.max(at);
        }
        if header.ticks_to_ms(p.last_block_ticks - p.timecode_ticks) > MAX_FRAGMENT_DURATION_MS {
            return Err(IngestError::MaxFragmentDuration);
        }
        Ok(())
    }

    /// Starts a fragment at a Cluster of `timecode` ticks, completing the one before.
    fn begin(&mut self, timecode: i64, key: bool, events: &mut Vec<Event>) {
        self.flush(Some(timecode), events);
        if !key && self.gops {
            // A Cluster that does not start at a key frame: fragments join Clusters again.
            self.gops = false;
        }
        events.push(Event::Started {
            timecode_ms: self.header.ticks_to_ms(timecode),
        });
        self.pending = Some(Pending {
            timecode_ticks: timecode,
            clusters: Vec::new(),
            frames: 0,
            last_block_ticks: timecode,
            last_gap_ticks: 0,
            header: self.header.clone(),
            count: 0,
            key_start: key,
            notification: self.next_notification.take(),
        });
        self.last_block.clear();
    }

    /// Decides from the first bytes of the Cluster at `start` (not yet whole) whether it starts
    /// a fragment, so that the fragment before is complete as soon as the next one begins,
    /// not a Cluster later.
    fn decide_early(&mut self, start: usize, events: &mut Vec<Event>) {
        let at = self.base + start as u64;
        if self.decided == Some(at) {
            return;
        }
        let video = video_tracks(&self.header);
        let Some((timecode, key)) = peek_cluster(&self.buf[start..], &video) else {
            return;
        };
        if self.last_cluster_ticks.is_some_and(|last| timecode < last) {
            // Left for close_cluster to refuse.
            return;
        }
        self.decided = Some(at);
        if key || self.pending.is_none() {
            self.begin(timecode, key, events);
        }
    }

    /// Completes the pending fragment; `next` is the timecode of the fragment after it.
    fn flush(&mut self, next: Option<i64>, events: &mut Vec<Event>) {
        let Some(p) = self.pending.take() else {
            return;
        };
        if next.is_some() {
            self.gops = p.count == 1 && p.key_start;
        }
        let end = match next {
            Some(n) if n >= p.last_block_ticks => n,
            _ => p.last_block_ticks + p.last_gap_ticks,
        };
        events.push(Event::Fragment(Fragment {
            timecode_ms: p.header.ticks_to_ms(p.timecode_ticks),
            duration_ms: p.header.ticks_to_ms(end - p.timecode_ticks).max(0),
            clusters: p.clusters,
            frames: p.frames,
            header: p.header,
            notification: p.notification,
        }));
    }
}

/// A Cluster's Timecode and its blocks: (track, time relative to the Cluster, key frame).
type ClusterBlocks = (Option<i64>, Vec<(u64, i64, bool)>);

fn cluster_blocks(bytes: &[u8]) -> Result<ClusterBlocks, IngestError> {
    let h = ebml::read_header(bytes).map_err(|_| invalid("a torn Cluster"))?;
    let data = &bytes[h.len..];
    let mut timecode = None;
    let mut blocks: Vec<(u64, i64, bool)> = Vec::new();
    for (c, d) in ebml::children(data) {
        match c.id {
            ids::TIMECODE => timecode = ebml::read_uint(d).map(|t| t as i64),
            ids::SIMPLE_BLOCK => {
                let (track, rel, flags) = block_head(d)?;
                blocks.push((track, rel, flags & 0x80 != 0));
            }
            ids::BLOCK_GROUP => {
                let mut block = None;
                let mut referenced = false;
                for (g, gd) in ebml::children(d) {
                    match g.id {
                        ids::BLOCK => block = Some(block_head(gd)?),
                        ids::REFERENCE_BLOCK => referenced = true,
                        _ => {}
                    }
                }
                if let Some((track, rel, _)) = block {
                    blocks.push((track, rel, !referenced));
                }
            }
            _ => {}
        }
    }
    Ok((timecode, blocks))
}

fn video_tracks(header: &StreamHeader) -> Vec<u64> {
    header
        .parsed_tracks
        .iter()
        .filter(|t| t.kind == ids::TRACK_TYPE_VIDEO)
        .map(|t| t.number)
        .collect()
}

/// From a Cluster's first bytes: its Timecode and whether its first video block (or first
/// block, without video tracks) is a key frame, if those bytes tell yet.
fn peek_cluster(bytes: &[u8], video: &[u64]) -> Option<(i64, bool)> {
    let h = ebml::read_header(bytes).ok()?;
    let mut rest = bytes.get(h.len..)?;
    let mut timecode = None;
    loop {
        let c = ebml::read_header(rest).ok()?;
        let total = usize::try_from(c.total()?).ok()?;
        let whole = rest.get(c.len..total);
        match c.id {
            ids::TIMECODE => timecode = Some(ebml::read_uint(whole?)? as i64),
            ids::SIMPLE_BLOCK => {
                let (track, _, flags) = block_head(rest.get(c.len..)?).ok()?;
                if video.is_empty() || video.contains(&track) {
                    return Some((timecode?, flags & 0x80 != 0));
                }
            }
            ids::BLOCK_GROUP => {
                let mut block = None;
                let mut referenced = false;
                for (g, gd) in ebml::children(whole?) {
                    match g.id {
                        ids::BLOCK => block = block_head(gd).ok(),
                        ids::REFERENCE_BLOCK => referenced = true,
                        _ => {}
                    }
                }
                if let Some((track, _, _)) = block
                    && (video.is_empty() || video.contains(&track))
                {
                    return Some((timecode?, !referenced));
                }
            }
            _ => {}
        }
        whole?;
        rest = &rest[total..];
    }
}

fn invalid(message: impl Into<String>) -> IngestError {
    IngestError::InvalidMkv(message.into())
}

/// A block's track number, timecode (relative to its Cluster) and flags.
fn block_head(d: &[u8]) -> Result<(u64, i64, u8), IngestError> {
    let (track, n) = ebml::read_vint(d).map_err(|_| invalid("a block without a track number"))?;
    let rest = d
        .get(n..n + 3)
        .ok_or_else(|| invalid("a truncated block"))?;
    let rel = i64::from(i16::from_be_bytes([rest[0], rest[1]]));
    Ok((track, rel, rest[2]))
}
