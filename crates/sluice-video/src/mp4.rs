//! MP4 packaging of stored fragments (ISO/IEC 14496-12 boxes, written with `mp4-atom`):
//! per-track initialization segments and `moof`+`mdat` media segments for HLS and DASH, and
//! whole traditional MP4 files for GetClip.
//!
//! Times: Matroska frames carry presentation times only. Decode times are the presentation
//! times sorted and shifted by the largest reordering delay, so that decode times never pass
//! presentation times and composition offsets stay non-negative.

use crate::mkv::ids;
use crate::mkv::ingest::Track;
use mp4_atom::esds::{DecoderConfig, DecoderSpecific, EsDescriptor, SLConfig};
use mp4_atom::{
    Atom, Audio, Avc1, Avcc, Co64, Codec, Ctts, CttsEntry, Dinf, Dref, Encode, Esds, FixedPoint,
    FourCC, Ftyp, Hdlr, Hvc1, Hvcc, Mdhd, Mdia, Mfhd, Minf, Moof, Moov, Mp4a, Mvex, Mvhd, Smhd,
    Stbl, Stco, Stsc, StscEntry, Stsd, Stss, Stsz, StszSamples, Stts, SttsEntry, Tfdt, Tfhd, Tkhd,
    Traf, Trak, Trex, Trun, TrunEntry, Url, Visual, Vmhd,
};

const VIDEO_TIMESCALE: u32 = 90_000;
const KEY_FLAGS: u32 = 0x0200_0000;
const NON_KEY_FLAGS: u32 = 0x0101_0000;

/// Why a track cannot be packaged, as the archived-media errors name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("No codec private data was found in track {0}.")]
    MissingCodecPrivateData(u64),
    #[error("The codec private data of track {0} is not valid: {1}")]
    InvalidCodecPrivateData(u64, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Video,
    Audio,
}

/// One Matroska track, ready to be written as an MP4 track.
#[derive(Debug, Clone)]
pub struct Mp4Track {
    /// The Matroska track number.
    pub number: u64,
    pub kind: MediaKind,
    pub timescale: u32,
    pub width: u16,
    pub height: u16,
    codec: Codec,
    /// The RFC 6381 codec string (for playlists and manifests).
    pub codecs: String,
}

impl Mp4Track {
    /// Maps a Matroska track: H.264 and H.265 video, AAC audio.
    pub fn new(t: &Track) -> Result<Mp4Track, PackError> {
        let cp = &t.codec_private;
        let missing = || PackError::MissingCodecPrivateData(t.number);
        let bad = |e: mp4_atom::Error| PackError::InvalidCodecPrivateData(t.number, e.to_string());
        let visual = Visual {
            data_reference_index: 1,
            width: clamp16(t.width),
            height: clamp16(t.height),
            ..Default::default()
        };
        let video = |codec: Codec, codecs: String| Mp4Track {
            number: t.number,
            kind: MediaKind::Video,
            timescale: VIDEO_TIMESCALE,
            width: clamp16(t.width),
            height: clamp16(t.height),
            codec,
            codecs,
        };
        match t.codec_id.as_str() {
            "V_MPEG4/ISO/AVC" => {
                if cp.is_empty() {
                    return Err(missing());
                }
                let avcc = Avcc::decode_body(&mut cp.as_slice()).map_err(bad)?;
                let codecs = format!(
                    "avc1.{:02x}{:02x}{:02x}",
                    avcc.avc_profile_indication,
                    avcc.profile_compatibility,
                    avcc.avc_level_indication
                );
                Ok(video(
                    Codec::Avc1(Avc1 {
                        visual,
                        avcc,
                        btrt: None,
                        colr: None,
                        pasp: None,
                        taic: None,
                        fiel: None,
                    }),
                    codecs,
                ))
            }
            "V_MPEGH/ISO/HEVC" => {
                if cp.is_empty() {
                    return Err(missing());
                }
                let hvcc = Hvcc::decode_body(&mut cp.as_slice()).map_err(bad)?;
                let codecs = hevc_codecs(&hvcc);
                Ok(video(
                    Codec::Hvc1(Hvc1 {
                        visual,
                        hvcc,
                        ..Default::default()
                    }),
                    codecs,
                ))
            }
            id if id.starts_with("A_AAC") => {
                if cp.len() < 2 {
                    return Err(missing());
                }
                let profile = cp[0] >> 3;
                let freq_index = ((cp[0] & 7) << 1) | (cp[1] >> 7);
                let chan_conf = (cp[1] >> 3) & 0xF;
                if profile == 0 || profile == 31 || freq_index > 12 {
                    return Err(PackError::InvalidCodecPrivateData(
                        t.number,
                        "only AAC AudioSpecificConfig with a listed sampling frequency is supported"
                            .into(),
                    ));
                }
                let rate = if t.sample_rate > 0 {
                    t.sample_rate
                } else {
                    AAC_RATES[usize::from(freq_index)]
                };
                let channels = if t.channels > 0 {
                    t.channels
                } else {
                    u32::from(chan_conf.max(1))
                };
                let esds = Esds {
                    es_desc: EsDescriptor {
                        es_id: 1,
                        dec_config: DecoderConfig {
                            object_type_indication: 0x40,
                            stream_type: 5,
                            up_stream: 0,
                            buffer_size_db: Default::default(),
                            max_bitrate: 0,
                            avg_bitrate: 0,
                            dec_specific: DecoderSpecific {
                                profile,
                                freq_index,
                                chan_conf,
                            },
                        },
                        sl_config: SLConfig {},
                    },
                };
                Ok(Mp4Track {
                    number: t.number,
                    kind: MediaKind::Audio,
                    timescale: rate,
                    width: 0,
                    height: 0,
                    codec: Codec::Mp4a(Mp4a {
                        audio: Audio {
                            data_reference_index: 1,
                            channel_count: clamp16(channels),
                            sample_size: 16,
                            sample_rate: FixedPoint::new(clamp16(rate), 0),
                        },
                        esds,
                        btrt: None,
                        taic: None,
                    }),
                    codecs: format!("mp4a.40.{profile}"),
                })
            }
            other => Err(PackError::UnsupportedMediaType(format!(
                "The codec ID {other:?} of track {} is not supported for MP4 playback; \
                 H.264 (V_MPEG4/ISO/AVC), H.265 (V_MPEGH/ISO/HEVC) and AAC (A_AAC) are.",
                t.number
            ))),
        }
    }

    /// The parameter sets (SPS, PPS; for H.265 also VPS) of a video track, in order.
    pub fn parameter_sets(&self) -> Vec<&[u8]> {
        match &self.codec {
            Codec::Avc1(a) => a
                .avcc
                .sequence_parameter_sets
                .iter()
                .chain(&a.avcc.picture_parameter_sets)
                .map(Vec::as_slice)
                .collect(),
            Codec::Hvc1(h) => h
                .hvcc
                .arrays
                .iter()
                .flat_map(|a| a.nalus.iter().map(Vec::as_slice))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The size of the NAL unit length prefix of a video track's frames.
    pub fn nal_length_size(&self) -> usize {
        match &self.codec {
            Codec::Avc1(a) => usize::from(a.avcc.length_size),
            Codec::Hvc1(h) => usize::from(h.hvcc.length_size_minus_one) + 1,
            _ => 4,
        }
    }

    /// An AAC track's audio object type, sampling frequency index and channel configuration.
    pub fn aac_config(&self) -> Option<(u8, u8, u8)> {
        match &self.codec {
            Codec::Mp4a(m) => {
                let d = m.esds.es_desc.dec_config.dec_specific;
                Some((d.profile, d.freq_index, d.chan_conf))
            }
            _ => None,
        }
    }

    fn units(&self, ns: i64) -> i64 {
        (i128::from(ns) * i128::from(self.timescale) / 1_000_000_000) as i64
    }

    fn trak(&self, track_id: u32, samples: Stbl, duration: u64) -> Trak {
        let (handler, name, vmhd, smhd) = match self.kind {
            MediaKind::Video => (b"vide", "Sluice video", Some(Vmhd::default()), None),
            MediaKind::Audio => (b"soun", "Sluice audio", None, Some(Smhd::default())),
        };
        Trak {
            tkhd: Tkhd {
                track_id,
                enabled: true,
                duration: duration * 1000 / u64::from(self.timescale.max(1)),
                volume: if self.kind == MediaKind::Audio {
                    FixedPoint::new(1, 0)
                } else {
                    FixedPoint::new(0, 0)
                },
                width: FixedPoint::new(self.width, 0),
                height: FixedPoint::new(self.height, 0),
                ..Default::default()
            },
            mdia: Mdia {
                mdhd: Mdhd {
                    timescale: self.timescale,
                    duration,
                    language: "und".into(),
                    ..Default::default()
                },
                hdlr: Hdlr {
                    handler: FourCC::new(handler),
                    name: name.into(),
                },
                minf: Minf {
                    vmhd,
                    smhd,
                    dinf: Dinf {
                        dref: Dref {
                            urls: vec![Url::default()],
                        },
                    },
                    stbl: samples,
                    ..Default::default()
                },
            },
            ..Default::default()
        }
    }

    fn stsd(&self) -> Stsd {
        Stsd {
            codecs: vec![self.codec.clone()],
        }
    }
}

const AAC_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

fn clamp16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

fn hevc_codecs(h: &Hvcc) -> String {
    let space = ["", "A", "B", "C"][usize::from(h.general_profile_space & 3)];
    let compat = u32::from_be_bytes(h.general_profile_compatibility_flags).reverse_bits();
    let tier = if h.general_tier_flag { 'H' } else { 'L' };
    let mut s = format!(
        "hvc1.{space}{}.{compat:X}.{tier}{}",
        h.general_profile_idc, h.general_level_idc
    );
    let flags = &h.general_constraint_indicator_flags;
    let used = flags.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    for b in &flags[..used] {
        s.push_str(&format!(".{b:X}"));
    }
    s
}

/// One frame to package: its presentation time, key-frame flag and bytes.
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub time_ns: i64,
    pub key: bool,
    pub data: &'a [u8],
}

/// Decode times, composition offsets and durations (in track units) for samples in decode
/// order. `end` is the presentation time just after the last sample.
struct Timing {
    dts: Vec<i64>,
    cts: Vec<i32>,
    durations: Vec<u32>,
}

fn timing(pts: &[i64], end: i64) -> Timing {
    let mut sorted = pts.to_vec();
    sorted.sort_unstable();
    let delay = sorted
        .iter()
        .zip(pts)
        .map(|(s, p)| s - p)
        .max()
        .unwrap_or(0)
        .max(0);
    let dts: Vec<i64> = sorted.iter().map(|s| s - delay).collect();
    let cts = pts
        .iter()
        .zip(&dts)
        .map(|(p, d)| i32::try_from(p - d).unwrap_or(i32::MAX))
        .collect();
    let mut durations: Vec<u32> = dts
        .windows(2)
        .map(|w| u32::try_from(w[1] - w[0]).unwrap_or(0))
        .collect();
    if let Some(last) = dts.last() {
        let tail = end - delay - last;
        let fallback = durations.last().copied().unwrap_or(0);
        durations.push(if tail > 0 {
            u32::try_from(tail).unwrap_or(fallback)
        } else {
            fallback
        });
    }
    Timing {
        dts,
        cts,
        durations,
    }
}

/// Decode times and composition offsets for presentation times in decode order.
pub(crate) fn decode_times(pts: &[i64]) -> (Vec<i64>, Vec<i32>) {
    let t = timing(pts, pts.iter().copied().max().unwrap_or(0));
    (t.dts, t.cts)
}

fn sample_flags(kind: MediaKind, key: bool) -> u32 {
    if kind == MediaKind::Audio || key {
        KEY_FLAGS
    } else {
        NON_KEY_FLAGS
    }
}

fn encode(atom: &impl Encode, out: &mut Vec<u8>) {
    atom.encode(out).expect("encoding into a Vec cannot fail");
}

fn ftyp(out: &mut Vec<u8>, major: &[u8; 4], compatible: &[&[u8; 4]]) {
    encode(
        &Ftyp {
            major_brand: FourCC::new(major),
            minor_version: 0,
            compatible_brands: compatible.iter().map(|b| FourCC::new(b)).collect(),
        },
        out,
    );
}

fn mdat_header(out: &mut Vec<u8>, len: usize) {
    match u32::try_from(len + 8) {
        Ok(size) => {
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(b"mdat");
        }
        Err(_) => {
            out.extend_from_slice(&1u32.to_be_bytes());
            out.extend_from_slice(b"mdat");
            out.extend_from_slice(&(len as u64 + 16).to_be_bytes());
        }
    }
}

fn empty_stbl(t: &Mp4Track) -> Stbl {
    Stbl {
        stsd: t.stsd(),
        stco: Some(Stco::default()),
        ..Default::default()
    }
}

/// The initialization segment (`ftyp` and `moov`) of one track, as track 1.
pub fn init_segment(t: &Mp4Track) -> Vec<u8> {
    let mut out = Vec::new();
    ftyp(&mut out, b"iso6", &[b"iso6", b"mp41", b"cmfc"]);
    encode(
        &Moov {
            mvhd: movie_header(2, 0),
            mvex: Some(Mvex {
                mehd: None,
                trex: vec![Trex {
                    track_id: 1,
                    default_sample_description_index: 1,
                    ..Default::default()
                }],
            }),
            trak: vec![t.trak(1, empty_stbl(t), 0)],
            meta: None,
            udta: None,
        },
        &mut out,
    );
    out
}

fn movie_header(next_track_id: u32, duration_ms: u64) -> Mvhd {
    Mvhd {
        timescale: 1000,
        duration: duration_ms,
        rate: FixedPoint::new(1, 0),
        volume: FixedPoint::new(1, 0),
        next_track_id,
        ..Default::default()
    }
}

/// A media segment (`moof` and `mdat`) of one track's samples, in decode order, as track 1.
/// `end_ns` is the presentation time just after the last sample (the fragment's end).
pub fn media_segment(t: &Mp4Track, sequence: u32, samples: &[Sample<'_>], end_ns: i64) -> Vec<u8> {
    let pts: Vec<i64> = samples.iter().map(|s| t.units(s.time_ns)).collect();
    let tm = timing(&pts, t.units(end_ns));
    let entries = samples
        .iter()
        .enumerate()
        .map(|(i, s)| TrunEntry {
            duration: Some(tm.durations[i]),
            size: Some(s.data.len() as u32),
            flags: Some(sample_flags(t.kind, s.key)),
            cts: Some(tm.cts[i]),
        })
        .collect();
    let mut moof = Moof {
        mfhd: Mfhd {
            sequence_number: sequence,
        },
        traf: vec![Traf {
            tfhd: Tfhd {
                track_id: 1,
                ..Default::default()
            },
            tfdt: Some(Tfdt {
                base_media_decode_time: tm.dts.first().copied().unwrap_or(0).max(0) as u64,
            }),
            trun: vec![Trun {
                data_offset: Some(0),
                entries,
            }],
            ..Default::default()
        }],
    };
    let mut head = Vec::new();
    encode(&moof, &mut head);
    let data_len: usize = samples.iter().map(|s| s.data.len()).sum();
    let offset = head.len()
        + if u32::try_from(data_len + 8).is_ok() {
            8
        } else {
            16
        };
    moof.traf[0].trun[0].data_offset = Some(offset as i32);
    let mut out = Vec::with_capacity(offset + data_len);
    encode(&moof, &mut out);
    mdat_header(&mut out, data_len);
    for s in samples {
        out.extend_from_slice(s.data);
    }
    out
}

/// A whole MP4 file (`ftyp`, `moov` with full sample tables, one `mdat`) of several tracks'
/// samples, each in decode order with its end time: what GetClip returns.
pub fn clip(tracks: &[(&Mp4Track, Vec<Sample<'_>>, i64)]) -> Vec<u8> {
    let mut head = Vec::new();
    ftyp(&mut head, b"isom", &[b"isom", b"iso2", b"avc1", b"mp41"]);
    let data_len: usize = tracks
        .iter()
        .flat_map(|(_, s, _)| s.iter().map(|s| s.data.len()))
        .sum();
    let large = data_len > u32::MAX as usize / 2;
    let build = |mdat_start: u64| -> Moov {
        let mut at = mdat_start;
        let mut traks = Vec::new();
        let mut movie_ms = 0u64;
        for (i, (t, samples, end_ns)) in tracks.iter().enumerate() {
            let pts: Vec<i64> = samples.iter().map(|s| t.units(s.time_ns)).collect();
            let tm = timing(&pts, t.units(*end_ns));
            let duration: u64 = tm.durations.iter().map(|d| u64::from(*d)).sum();
            movie_ms = movie_ms.max(duration * 1000 / u64::from(t.timescale.max(1)));
            let mut stts: Vec<SttsEntry> = Vec::new();
            for d in &tm.durations {
                match stts.last_mut() {
                    Some(e) if e.sample_delta == *d => e.sample_count += 1,
                    _ => stts.push(SttsEntry {
                        sample_count: 1,
                        sample_delta: *d,
                    }),
                }
            }
            let mut ctts: Vec<CttsEntry> = Vec::new();
            for c in &tm.cts {
                match ctts.last_mut() {
                    Some(e) if e.sample_offset == *c => e.sample_count += 1,
                    _ => ctts.push(CttsEntry {
                        sample_count: 1,
                        sample_offset: *c,
                    }),
                }
            }
            let keys: Vec<u32> = samples
                .iter()
                .enumerate()
                .filter(|(_, s)| s.key)
                .map(|(n, _)| n as u32 + 1)
                .collect();
            let chunk = at;
            at += samples.iter().map(|s| s.data.len() as u64).sum::<u64>();
            let stbl = Stbl {
                stsd: t.stsd(),
                stts: Stts { entries: stts },
                ctts: tm
                    .cts
                    .iter()
                    .any(|c| *c != 0)
                    .then_some(Ctts { entries: ctts }),
                stss: (t.kind == MediaKind::Video).then_some(Stss { entries: keys }),
                stsc: Stsc {
                    entries: vec![StscEntry {
                        first_chunk: 1,
                        samples_per_chunk: samples.len() as u32,
                        sample_description_index: 1,
                    }],
                },
                stsz: Stsz {
                    samples: StszSamples::Different {
                        sizes: samples.iter().map(|s| s.data.len() as u32).collect(),
                    },
                },
                stco: (!large).then(|| Stco {
                    entries: vec![chunk as u32],
                }),
                co64: large.then(|| Co64 {
                    entries: vec![chunk],
                }),
                ..Default::default()
            };
            traks.push(t.trak(i as u32 + 1, stbl, duration));
        }
        Moov {
            mvhd: movie_header(tracks.len() as u32 + 1, movie_ms),
            mvex: None,
            trak: traks,
            meta: None,
            udta: None,
        }
    };
    let mut moov = Vec::new();
    encode(&build(0), &mut moov);
    let mdat_head = if u32::try_from(data_len + 8).is_ok() {
        8
    } else {
        16
    };
    let start = (head.len() + moov.len() + mdat_head) as u64;
    moov.clear();
    encode(&build(start), &mut moov);
    let mut out = head;
    out.extend_from_slice(&moov);
    mdat_header(&mut out, data_len);
    for (_, samples, _) in tracks {
        for s in samples {
            out.extend_from_slice(s.data);
        }
    }
    out
}

/// Whether a Matroska track type is one MP4 packaging carries.
pub fn is_media_track(t: &Track) -> bool {
    t.kind == ids::TRACK_TYPE_VIDEO || t.kind == ids::TRACK_TYPE_AUDIO
}

#[cfg(test)]
mod tests {
    use super::*;
    use mp4_atom::Decode;

    // An AVCDecoderConfigurationRecord: High profile, level 3.1, one SPS and one PPS.
    const AVCC: &[u8] = &[
        1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0, 4, 0x67, 0x64, 0, 0x1F, 1, 0, 2, 0x68, 0xEE,
    ];

    fn avc_track() -> Track {
        Track {
            number: 1,
            kind: 1,
            codec_id: "V_MPEG4/ISO/AVC".into(),
            codec_private: AVCC.to_vec(),
            width: 320,
            height: 240,
            sample_rate: 0,
            channels: 0,
            default_duration_ns: 0,
        }
    }

    #[test]
    fn decode_times_never_pass_presentation_times() {
        // I0 P3 B1 B2 (decode order), one unit per frame.
        let t = timing(&[0, 3, 1, 2], 4);
        assert_eq!(t.dts, vec![-1, 0, 1, 2]);
        assert_eq!(t.cts, vec![1, 3, 0, 0]);
        assert_eq!(t.durations, vec![1, 1, 1, 1]);
        let plain = timing(&[10, 20, 30], 45);
        assert_eq!(plain.dts, vec![10, 20, 30]);
        assert_eq!(plain.durations, vec![10, 10, 15]);
    }

    #[test]
    fn init_and_media_segments_decode_back() {
        let t = Mp4Track::new(&avc_track()).unwrap();
        assert_eq!(t.codecs, "avc1.64001f");
        let init = init_segment(&t);
        let mut buf = init.as_slice();
        let ftyp = Ftyp::decode(&mut buf).unwrap();
        assert_eq!(ftyp.major_brand, FourCC::new(b"iso6"));
        let moov = Moov::decode(&mut buf).unwrap();
        assert!(buf.is_empty());
        assert_eq!(moov.trak.len(), 1);
        assert_eq!(moov.trak[0].mdia.mdhd.timescale, 90_000);
        let frames = [
            Sample {
                time_ns: 1_000_000_000,
                key: true,
                data: b"idr",
            },
            Sample {
                time_ns: 1_040_000_000,
                key: false,
                data: b"pp",
            },
        ];
        let seg = media_segment(&t, 7, &frames, 1_080_000_000);
        let mut buf = seg.as_slice();
        let moof = Moof::decode(&mut buf).unwrap();
        assert_eq!(moof.mfhd.sequence_number, 7);
        let traf = &moof.traf[0];
        assert_eq!(traf.tfdt.as_ref().unwrap().base_media_decode_time, 90_000);
        let trun = &traf.trun[0];
        assert_eq!(trun.entries[0].duration, Some(3600));
        assert_eq!(trun.entries[1].duration, Some(3600));
        assert_eq!(trun.entries[0].flags, Some(KEY_FLAGS));
        let offset = trun.data_offset.unwrap() as usize;
        assert_eq!(&seg[offset..], b"idrpp");
    }

    #[test]
    fn clips_point_their_chunks_at_the_data() {
        let v = Mp4Track::new(&avc_track()).unwrap();
        let mut audio = avc_track();
        audio.number = 2;
        audio.kind = 2;
        audio.codec_id = "A_AAC".into();
        audio.codec_private = vec![0x12, 0x10]; // AAC LC, 44.1 kHz, stereo
        let a = Mp4Track::new(&audio).unwrap();
        assert_eq!((a.timescale, a.codecs.as_str()), (44_100, "mp4a.40.2"));
        let vs = vec![
            Sample {
                time_ns: 0,
                key: true,
                data: b"VVVV",
            },
            Sample {
                time_ns: 40_000_000,
                key: false,
                data: b"vv",
            },
        ];
        let auds = vec![Sample {
            time_ns: 0,
            key: true,
            data: b"AAA",
        }];
        let file = clip(&[(&v, vs, 80_000_000), (&a, auds, 23_000_000)]);
        let mut buf = file.as_slice();
        Ftyp::decode(&mut buf).unwrap();
        let moov = Moov::decode(&mut buf).unwrap();
        let at = |i: usize| moov.trak[i].mdia.minf.stbl.stco.as_ref().unwrap().entries[0] as usize;
        assert_eq!(&file[at(0)..at(0) + 6], b"VVVVvv");
        assert_eq!(&file[at(1)..at(1) + 3], b"AAA");
        assert_eq!(
            moov.trak[0].mdia.minf.stbl.stss.as_ref().unwrap().entries,
            vec![1]
        );
    }

    #[test]
    fn unsupported_and_missing_codecs_are_named() {
        let mut t = avc_track();
        t.codec_private.clear();
        assert_eq!(
            Mp4Track::new(&t).unwrap_err(),
            PackError::MissingCodecPrivateData(1)
        );
        t.codec_private = vec![1, 2];
        assert!(matches!(
            Mp4Track::new(&t).unwrap_err(),
            PackError::InvalidCodecPrivateData(1, _)
        ));
        t.codec_id = "V_VP8".into();
        assert!(matches!(
            Mp4Track::new(&t).unwrap_err(),
            PackError::UnsupportedMediaType(_)
        ));
    }
}
