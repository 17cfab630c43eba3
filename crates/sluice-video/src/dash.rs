//! MPEG-DASH sessions (GetDASHStreamingSessionURL): the manifest a player fetches with the
//! session's token, and its segments. Sessions, fragment selection and fMP4 packaging are the
//! HLS sessions' (`hls.rs`); only the manifest and the segment addressing differ.
//!
//! Each track is an AdaptationSet with a SegmentTemplate and a SegmentTimeline of the fragments
//! the session shows, at their own timestamps. Segments are addressed by `$Number$`: a LIVE
//! session's number is the fragment's log offset (stable while the window slides), the others'
//! its position in the session (from 1).

use crate::error::{Result, VideoError};
use crate::hls::{PlaybackMode, Protocol, Session, tracks_of};
use crate::mp4::MediaKind;
use crate::service::{IndexEntry, StreamState, TimestampKind, Video};
use std::fmt::Write;

/// The namespace of the `kvs:fn` and `kvs:ts` attributes.
const KVS_NS: &str = "https://kinesisvideo.amazonaws.com/dash";

fn duration(ms: i64) -> String {
    format!("PT{}.{:03}S", ms.div_euclid(1000), ms.rem_euclid(1000))
}

fn xml_attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

impl Video {
    fn dash_session(&self, token: &str) -> Result<(Session, std::sync::Arc<StreamState>)> {
        let (sess, s) = self.session(token)?;
        if sess.protocol != Protocol::Dash {
            return Err(VideoError::NotAuthorized(
                "The session token is not a DASH session's.".into(),
            ));
        }
        Ok((sess, s))
    }

    /// The number `$Number$` stands for in a session, of the `i`-th shown fragment.
    fn segment_number(sess: &Session, first: u64, i: usize, e: &IndexEntry) -> u64 {
        match sess.mode {
            PlaybackMode::Live => e.offset,
            _ => first + i as u64 + 1,
        }
    }

    /// GetDASHManifest.
    pub async fn dash_manifest(&self, token: &str) -> Result<String> {
        let (sess, s) = self.dash_session(token)?;
        let f = self.anchor(&sess, &s).await?;
        let (_, tracks) = tracks_of(&f)?;
        let (shown, first, _, ended) = self.window(&sess, &s)?;
        let ts = |e: &IndexEntry| match sess.kind {
            TimestampKind::Server => e.server_ms,
            TimestampKind::Producer => e.producer_ms,
        };
        let log = s.meta.read().log;
        let live = sess.mode != PlaybackMode::OnDemand && !ended;
        let now = self.now_ms();
        let total: i64 = shown.iter().map(|e| e.duration_ms).sum();
        let bandwidth = crate::hls::peak_bandwidth(&shown);
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = write!(
            out,
            "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" xmlns:kvs=\"{KVS_NS}\" \
             profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" minBufferTime=\"PT2S\""
        );
        if live {
            let _ = write!(
                out,
                " type=\"dynamic\" availabilityStartTime=\"1970-01-01T00:00:00Z\" publishTime=\"{}\" \
                 minimumUpdatePeriod=\"PT1S\" timeShiftBufferDepth=\"{}\" suggestedPresentationDelay=\"PT3S\"",
                crate::hls::rfc3339(now),
                duration(total.max(1000))
            );
        } else {
            let _ = write!(
                out,
                " type=\"static\" mediaPresentationDuration=\"{}\"",
                duration(total)
            );
        }
        out.push_str(">\n  <Period id=\"0\" start=\"PT0S\">\n");
        let base_ms = shown.first().map_or(0, ts);
        for t in &tracks {
            let (content, mime) = match t.kind {
                MediaKind::Video => ("video", "video/mp4"),
                MediaKind::Audio => ("audio", "audio/mp4"),
            };
            let scale = i128::from(t.timescale);
            let units = |ms: i64| (i128::from(ms) * scale / 1000) as i64;
            let _ = writeln!(
                out,
                "    <AdaptationSet id=\"{n}\" contentType=\"{content}\" mimeType=\"{mime}\" \
                 segmentAlignment=\"true\" startWithSAP=\"1\">",
                n = t.number
            );
            let _ = write!(
                out,
                "      <Representation id=\"{}\" codecs=\"{}\" bandwidth=\"{bandwidth}\"",
                t.number, t.codecs
            );
            match t.kind {
                MediaKind::Video if t.width > 0 => {
                    let _ = write!(out, " width=\"{}\" height=\"{}\"", t.width, t.height);
                }
                MediaKind::Audio => {
                    let _ = write!(out, " audioSamplingRate=\"{}\"", t.timescale);
                }
                _ => {}
            }
            out.push_str(">\n");
            let token = xml_attr(token);
            // A static session's timeline starts at zero; a live one's is wall-clock time.
            let offset = if live { 0 } else { units(base_ms) };
            let _ = writeln!(
                out,
                "        <SegmentTemplate timescale=\"{}\" presentationTimeOffset=\"{offset}\" \
                 startNumber=\"{}\" initialization=\"getMP4InitFragment.mp4?TrackNumber={n}&amp;SessionToken={token}\" \
                 media=\"getMP4MediaFragment.mp4?TrackNumber={n}&amp;SegmentNumber=$Number$&amp;SessionToken={token}\">",
                t.timescale,
                shown
                    .first()
                    .map_or(first + 1, |e| Self::segment_number(&sess, first, 0, e)),
                n = t.number
            );
            out.push_str("          <SegmentTimeline>\n");
            for e in &shown {
                let _ = write!(
                    out,
                    "            <S t=\"{}\" d=\"{}\"",
                    units(ts(e)),
                    units(e.duration_ms).max(1)
                );
                if sess.display_numbers {
                    let _ = write!(
                        out,
                        " kvs:fn=\"{}\"",
                        crate::fragment::fragment_number(log, e.offset)
                    );
                }
                if sess.display_timestamps {
                    let _ = write!(out, " kvs:ts=\"{}\"", crate::hls::rfc3339(ts(e)));
                }
                out.push_str("/>\n");
            }
            out.push_str(
                "          </SegmentTimeline>\n        </SegmentTemplate>\n      </Representation>\n    </AdaptationSet>\n",
            );
        }
        out.push_str("  </Period>\n</MPD>\n");
        Ok(out)
    }

    /// A DASH session's initialization segment of one track.
    pub async fn dash_init_fragment(&self, token: &str, track: u64) -> Result<Vec<u8>> {
        self.dash_session(token)?;
        self.mp4_init_fragment(token, track, None).await
    }

    /// A DASH session's media segment: one track of the fragment `number` names.
    pub async fn dash_media_fragment(
        &self,
        token: &str,
        track: u64,
        number: u64,
    ) -> Result<Vec<u8>> {
        let (sess, s) = self.dash_session(token)?;
        let offset = match sess.mode {
            PlaybackMode::Live => number,
            _ => {
                let all = self.candidates(&sess, &s)?;
                number
                    .checked_sub(1)
                    .and_then(|i| all.get(i as usize))
                    .map(|e| e.offset)
                    .ok_or_else(|| {
                        VideoError::InvalidArgument(format!(
                            "SegmentNumber {number} is not a segment of this session."
                        ))
                    })?
            }
        };
        self.mp4_segment(&sess, &s, offset, track).await
    }
}
