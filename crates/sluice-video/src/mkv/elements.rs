//! The header and metadata elements PutMedia reads whole: Tracks (the track entries, with
//! their codec, picture size and sampling rate) and Tags (a producer's request for a fragment
//! notification).

use super::ebml;
use super::ids;
use super::ingest::{IngestError, Track};

/// The most custom key-value pairs a notification carries, and their sizes (AWS's MKV tag limits).
pub const MAX_NOTIFICATION_TAGS: usize = 10;
const MAX_TAG_NAME_BYTES: usize = 128;
const MAX_TAG_VALUE_BYTES: usize = 256;
const NOTIFICATION_TAG: &str = "AWS_KINESISVIDEO_NOTIFICATION";

/// The TrackEntry elements of a Tracks element's data.
pub fn parse_tracks(data: &[u8]) -> Result<Vec<Track>, IngestError> {
    let mut tracks = Vec::new();
    for (h, entry) in ebml::children(data) {
        if h.id != ids::TRACK_ENTRY {
            continue;
        }
        let mut t = Track {
            number: 0,
            kind: 0,
            codec_id: String::new(),
            codec_private: Vec::new(),
            width: 0,
            height: 0,
            sample_rate: 0,
            channels: 0,
            default_duration_ns: 0,
        };
        let small = |d: &[u8]| ebml::read_uint(d).map_or(0, |v| u32::try_from(v).unwrap_or(0));
        for (c, d) in ebml::children(entry) {
            match c.id {
                ids::TRACK_NUMBER => t.number = ebml::read_uint(d).unwrap_or(0),
                ids::TRACK_TYPE => t.kind = ebml::read_uint(d).unwrap_or(0),
                ids::CODEC_ID => t.codec_id = String::from_utf8_lossy(d).into_owned(),
                ids::CODEC_PRIVATE => t.codec_private = d.to_vec(),
                ids::DEFAULT_DURATION => t.default_duration_ns = ebml::read_uint(d).unwrap_or(0),
                ids::VIDEO => {
                    for (v, vd) in ebml::children(d) {
                        match v.id {
                            ids::PIXEL_WIDTH => t.width = small(vd),
                            ids::PIXEL_HEIGHT => t.height = small(vd),
                            _ => {}
                        }
                    }
                }
                ids::AUDIO => {
                    for (a, ad) in ebml::children(d) {
                        match a.id {
                            ids::SAMPLING_FREQUENCY => {
                                let hz = ebml::read_float(ad).unwrap_or(0.0);
                                if hz.is_finite() && (1.0..=1_000_000.0).contains(&hz) {
                                    t.sample_rate = hz.round() as u32;
                                }
                            }
                            ids::CHANNELS => t.channels = small(ad),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if t.number == 0 {
            return Err(IngestError::InvalidMkv(
                "a TrackEntry without a TrackNumber".into(),
            ));
        }
        if tracks.iter().any(|o: &Track| o.number == t.number) {
            return Err(IngestError::InvalidMkv(format!(
                "track {} is defined twice",
                t.number
            )));
        }
        tracks.push(t);
    }
    Ok(tracks)
}

/// The payload of a Tags element that asks for a notification: the simple tags beside the
/// `AWS_KINESISVIDEO_NOTIFICATION` one (names and values cut to AWS's limits, at most 10).
pub(crate) fn notification_of(tags: &[u8]) -> Option<Vec<(String, String)>> {
    let mut asked = false;
    let mut payload = Vec::new();
    for (t, tag) in ebml::children(tags) {
        if t.id != ids::TAG {
            continue;
        }
        for (s, simple) in ebml::children(tag) {
            if s.id != ids::SIMPLE_TAG {
                continue;
            }
            let text = |id| {
                ebml::children(simple)
                    .find(|(c, _)| c.id == id)
                    .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
            };
            let Some(name) = text(ids::TAG_NAME) else {
                continue;
            };
            if name == NOTIFICATION_TAG {
                asked = true;
            } else if payload.len() < MAX_NOTIFICATION_TAGS && name.len() <= MAX_TAG_NAME_BYTES {
                let value = text(ids::TAG_STRING).unwrap_or_default();
                if value.len() <= MAX_TAG_VALUE_BYTES {
                    payload.push((name, value));
                }
            }
        }
    }
    asked.then_some(payload)
}
