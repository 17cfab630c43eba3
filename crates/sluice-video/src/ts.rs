//! MPEG-2 transport stream packaging of one fragment (ISO/IEC 13818-1), for HLS sessions with
//! ContainerFormat MPEG_TS: a PAT and a PMT, then one PES per frame, all tracks in one
//! segment, in decode order. H.264 and H.265 frames become Annex B (start codes, an access
//! unit delimiter, the parameter sets before each key frame); AAC frames get ADTS headers.
//!
//! Written by hand: the transport-stream crates leave the packetization (splitting PES into
//! 188-byte packets, PCR, stuffing, continuity) to their caller, and that is most of this.

use crate::mp4::{MediaKind, Mp4Track, Sample, decode_times};

const PACKET: usize = 188;
const PMT_PID: u16 = 0x1000;
const FIRST_ES_PID: u16 = 0x100;
/// Presentation times start this far after the PCR (the decoder's buffer delay), in 90 kHz.
const PCR_LEAD: i64 = 9_000;

/// One track of a TS segment, and its frames in decode order.
pub struct TsTrack<'a> {
    pub track: &'a Mp4Track,
    pub samples: Vec<Sample<'a>>,
}

struct Pes {
    pid: u16,
    dts: i64,
    bytes: Vec<u8>,
    key: bool,
}

/// The stream type (PMT) of a track.
fn stream_type(t: &Mp4Track) -> u8 {
    match t.codecs.split('.').next() {
        Some("avc1") => 0x1B,
        Some("hvc1") => 0x24,
        _ => 0x0F, // AAC in ADTS
    }
}

/// A whole TS segment of one fragment's tracks.
pub fn segment(tracks: &[TsTrack<'_>]) -> Vec<u8> {
    let mut pes = Vec::new();
    for (i, t) in tracks.iter().enumerate() {
        let pid = FIRST_ES_PID + i as u16;
        let pts: Vec<i64> = t
            .samples
            .iter()
            .map(|s| (i128::from(s.time_ns) * 9 / 100_000) as i64)
            .collect();
        let (dts, _) = decode_times(&pts);
        for (n, s) in t.samples.iter().enumerate() {
            let payload = match t.track.kind {
                MediaKind::Video => annex_b(t.track, s),
                MediaKind::Audio => adts(t.track, s.data),
            };
            let stream_id = if t.track.kind == MediaKind::Video {
                0xE0
            } else {
                0xC0
            };
            pes.push(Pes {
                pid,
                dts: dts[n],
                bytes: pes_packet(stream_id, pts[n] + PCR_LEAD, dts[n] + PCR_LEAD, &payload),
                key: s.key,
            });
        }
    }
    pes.sort_by_key(|p| (p.dts, p.pid));
    let pcr_pid = tracks
        .iter()
        .position(|t| t.track.kind == MediaKind::Video)
        .unwrap_or(0) as u16
        + FIRST_ES_PID;
    let mut out = Vec::with_capacity(pes.iter().map(|p| p.bytes.len() * 190 / 184 + PACKET).sum());
    let mut counters = std::collections::HashMap::new();
    let mut cc = |pid: u16| {
        let c = counters.entry(pid).or_insert(0u8);
        let v = *c;
        *c = (*c + 1) & 0x0F;
        v
    };
    psi(&mut out, 0, cc(0), &pat());
    psi(&mut out, PMT_PID, cc(PMT_PID), &pmt(tracks, pcr_pid));
    for p in &pes {
        let pcr = (p.pid == pcr_pid).then_some(p.dts);
        packetize(&mut out, p.pid, &p.bytes, pcr, p.key, &mut cc);
    }
    out
}

/// H.264 / H.265 frame: length-prefixed NAL units to Annex B, with an access unit delimiter
/// first and, on a key frame, the parameter sets from the codec private data.
fn annex_b(t: &Mp4Track, s: &Sample<'_>) -> Vec<u8> {
    const START: [u8; 4] = [0, 0, 0, 1];
    let hevc = t.codecs.starts_with("hvc1");
    let mut out = Vec::with_capacity(s.data.len() + 64);
    out.extend_from_slice(&START);
    if hevc {
        out.extend_from_slice(&[0x46, 0x01, 0x50]);
    } else {
        out.extend_from_slice(&[0x09, 0xF0]);
    }
    if s.key {
        for ps in t.parameter_sets() {
            out.extend_from_slice(&START);
            out.extend_from_slice(ps);
        }
    }
    let len_size = t.nal_length_size().clamp(1, 4);
    let mut rest = s.data;
    while rest.len() >= len_size {
        let n = rest[..len_size]
            .iter()
            .fold(0usize, |v, b| (v << 8) | usize::from(*b));
        rest = &rest[len_size..];
        let nal = &rest[..n.min(rest.len())];
        rest = &rest[nal.len()..];
        out.extend_from_slice(&START);
        out.extend_from_slice(nal);
    }
    out
}

/// An AAC frame with its 7-byte ADTS header.
fn adts(t: &Mp4Track, frame: &[u8]) -> Vec<u8> {
    let (profile, freq, chan) = t.aac_config().unwrap_or((2, 4, 2));
    let len = frame.len() + 7;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&[
        0xFF,
        0xF1,
        ((profile.saturating_sub(1) & 3) << 6) | ((freq & 0xF) << 2) | ((chan >> 2) & 1),
        ((chan & 3) << 6) | ((len >> 11) as u8 & 3),
        (len >> 3) as u8,
        ((len as u8 & 7) << 5) | 0x1F,
        0xFC,
    ]);
    out.extend_from_slice(frame);
    out
}

fn timestamp(out: &mut Vec<u8>, marker: u8, t: i64) {
    let t = (t.rem_euclid(1 << 33)) as u64;
    out.push((marker << 4) | (((t >> 30) as u8 & 7) << 1) | 1);
    out.push((t >> 22) as u8);
    out.push((((t >> 15) as u8) << 1) | 1);
    out.push((t >> 7) as u8);
    out.push(((t as u8) << 1) | 1);
}

fn pes_packet(stream_id: u8, pts: i64, dts: i64, payload: &[u8]) -> Vec<u8> {
    let with_dts = dts != pts;
    let header_len = if with_dts { 10 } else { 5 };
    let mut out = Vec::with_capacity(payload.len() + 9 + header_len);
    out.extend_from_slice(&[0, 0, 1, stream_id]);
    let len = 3 + header_len + payload.len();
    // Video PES may be longer than the field holds: 0 means "unbounded".
    let field = if stream_id >= 0xE0 || len > 0xFFFF {
        0
    } else {
        len as u16
    };
    out.extend_from_slice(&field.to_be_bytes());
    out.push(0x80);
    out.push(if with_dts { 0xC0 } else { 0x80 });
    out.push(header_len as u8);
    if with_dts {
        timestamp(&mut out, 3, pts);
        timestamp(&mut out, 1, dts);
    } else {
        timestamp(&mut out, 2, pts);
    }
    out.extend_from_slice(payload);
    out
}

/// Splits one PES into packets; the first carries the PCR (if given) and, for a key frame, the
/// random access indicator; the last is padded with adaptation-field stuffing.
fn packetize(
    out: &mut Vec<u8>,
    pid: u16,
    pes: &[u8],
    pcr: Option<i64>,
    key: bool,
    cc: &mut impl FnMut(u16) -> u8,
) {
    let mut rest = pes;
    let mut first = true;
    while !rest.is_empty() || first {
        let start = out.len();
        let mut adaptation = Vec::new();
        if first && (pcr.is_some() || key) {
            let mut flags = 0u8;
            if key {
                flags |= 0x40;
            }
            if pcr.is_some() {
                flags |= 0x10;
            }
            adaptation.push(flags);
            if let Some(p) = pcr {
                let base = p.rem_euclid(1 << 33) as u64;
                adaptation.extend_from_slice(&[
                    (base >> 25) as u8,
                    (base >> 17) as u8,
                    (base >> 9) as u8,
                    (base >> 1) as u8,
                    (((base & 1) as u8) << 7) | 0x7E,
                    0,
                ]);
            }
        }
        let room = PACKET
            - 4
            - if adaptation.is_empty() {
                0
            } else {
                1 + adaptation.len()
            };
        let take = rest.len().min(room);
        if take < room {
            // Stuffing: grow (or create) the adaptation field to fill the packet.
            let missing = room - take;
            if adaptation.is_empty() {
                if missing == 1 {
                    // An adaptation field of length 0 takes exactly one byte.
                } else {
                    adaptation.push(0);
                    adaptation.extend(std::iter::repeat_n(0xFF, missing - 2));
                }
            } else {
                adaptation.extend(std::iter::repeat_n(0xFF, missing));
            }
        }
        let has_adaptation = !adaptation.is_empty() || (take < room);
        out.push(0x47);
        out.push((if first { 0x40 } else { 0 }) | ((pid >> 8) as u8 & 0x1F));
        out.push(pid as u8);
        out.push((if has_adaptation { 0x30 } else { 0x10 }) | cc(pid));
        if has_adaptation {
            out.push(adaptation.len() as u8);
            out.extend_from_slice(&adaptation);
        }
        out.extend_from_slice(&rest[..take]);
        rest = &rest[take..];
        first = false;
        debug_assert_eq!(out.len() - start, PACKET);
    }
}

/// One PSI section (PAT or PMT) in one packet.
fn psi(out: &mut Vec<u8>, pid: u16, cc: u8, section: &[u8]) {
    out.push(0x47);
    out.push(0x40 | ((pid >> 8) as u8 & 0x1F));
    out.push(pid as u8);
    out.push(0x10 | cc);
    out.push(0); // pointer field
    out.extend_from_slice(section);
    out.extend(std::iter::repeat_n(0xFF, PACKET - 5 - section.len()));
}

fn section(table_id: u8, id: u16, body: &[u8]) -> Vec<u8> {
    let mut s = vec![table_id];
    let len = 5 + body.len() + 4;
    s.push(0xB0 | ((len >> 8) as u8 & 0x0F));
    s.push(len as u8);
    s.extend_from_slice(&id.to_be_bytes());
    s.extend_from_slice(&[0xC1, 0, 0]);
    s.extend_from_slice(body);
    let crc = crc32_mpeg(&s);
    s.extend_from_slice(&crc.to_be_bytes());
    s
}

fn pat() -> Vec<u8> {
    let mut body = vec![0, 1];
    body.extend_from_slice(&(0xE000 | PMT_PID).to_be_bytes());
    section(0x00, 1, &body)
}

fn pmt(tracks: &[TsTrack<'_>], pcr_pid: u16) -> Vec<u8> {
    let mut body = (0xE000 | pcr_pid).to_be_bytes().to_vec();
    body.extend_from_slice(&[0xF0, 0]);
    for (i, t) in tracks.iter().enumerate() {
        body.push(stream_type(t.track));
        body.extend_from_slice(&(0xE000 | (FIRST_ES_PID + i as u16)).to_be_bytes());
        body.extend_from_slice(&[0xF0, 0]);
    }
    section(0x02, 1, &body)
}

/// CRC-32/MPEG-2 (polynomial 0x04C11DB7, no reflection, initial all ones).
fn crc32_mpeg(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_is_mpeg2s() {
        // The check value of CRC-32/MPEG-2.
        assert_eq!(crc32_mpeg(b"123456789"), 0x0376_E6E7);
    }

    #[test]
    fn pes_of_any_size_fill_whole_packets() {
        for len in [0usize, 1, 150, 170, 176, 177, 182, 183, 184, 185, 400, 5000] {
            let mut out = Vec::new();
            let mut c = 0u8;
            let mut cc = |_| {
                c = (c + 1) & 15;
                c
            };
            let pes = vec![7u8; len.max(1)];
            packetize(&mut out, 0x100, &pes, Some(1234), true, &mut cc);
            packetize(&mut out, 0x100, &pes, None, false, &mut cc);
            assert_eq!(out.len() % PACKET, 0, "{len}");
            assert!(out.chunks(PACKET).all(|p| p[0] == 0x47));
            // The payload bytes all arrive: count the 7s after each header and adaptation field.
            let carried: usize = out
                .chunks(PACKET)
                .map(|p| {
                    let skip = if p[3] & 0x20 != 0 {
                        5 + usize::from(p[4])
                    } else {
                        4
                    };
                    p[skip..].iter().filter(|b| **b == 7).count()
                })
                .sum();
            assert_eq!(carried, 2 * len.max(1), "{len}");
        }
    }
}
