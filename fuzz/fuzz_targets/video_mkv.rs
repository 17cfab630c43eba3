//! Any bytes as a PutMedia body, cut into pieces at the first byte's choosing: fragments or an
//! error, never a panic, a hang or memory beyond the fragment limit. Every fragment is then
//! read back and packaged as playback does (fMP4 segments, an MP4 clip, a TS segment).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sluice_video::fragment::{FragmentKey, StoredFragment};
use sluice_video::hls::{samples, tracks_of};
use sluice_video::mkv::ingest::{Event, Splitter};
use sluice_video::service::TimestampKind;
use sluice_video::{mp4, ts};

fn package(f: &StoredFragment) {
    let Ok((header, tracks)) = tracks_of(f) else {
        return;
    };
    let mut clip = Vec::new();
    let mut parts = Vec::new();
    for t in &tracks {
        let Ok((s, end)) = samples(f, &header, t.number, TimestampKind::Producer) else {
            return;
        };
        let _ = mp4::init_segment(t);
        let _ = mp4::media_segment(t, 1, &s, end);
        clip.push((t, s.clone(), end));
        parts.push(ts::TsTrack { track: t, samples: s });
    }
    let _ = mp4::clip(&clip);
    let _ = ts::segment(&parts);
}

fuzz_target!(|data: &[u8]| {
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let piece = usize::from(cut).max(1);
    let mut splitter = Splitter::new();
    let mut fragments = Vec::new();
    let mut failed = false;
    for chunk in body.chunks(piece) {
        let (events, result) = splitter.push(chunk);
        fragments.extend(events);
        if result.is_err() {
            failed = true;
            break;
        }
    }
    if !failed {
        fragments.extend(splitter.finish().0);
    }
    for e in fragments {
        let Event::Fragment(f) = e else { continue };
        let mut bytes = f.header.info.clone();
        bytes.extend_from_slice(&f.header.tracks);
        bytes.extend_from_slice(&f.clusters);
        package(&StoredFragment {
            offset: 0,
            server_ms: 1_767_225_600_000,
            key: FragmentKey {
                producer_ms: 1_767_225_600_000 + f.timecode_ms,
                duration_ms: f.duration_ms,
                info_len: f.header.info.len() as u32,
                tracks_len: f.header.tracks.len() as u32,
                frames: f.frames,
                tracks_crc: 0,
            },
            bytes: Bytes::from(bytes),
        });
    }
});
