//! HLS sessions against a real `Video` on memory stores and a manual clock: what each playback
//! mode shows as time passes, discontinuities, and what a token does and does not allow.

use crate::hls::{Discontinuity, PlaybackMode, SessionInput};
use crate::media::{PutMediaInput, TimecodeType};
use crate::mkv::ebml::*;
use crate::mkv::ids;
use crate::model::{CreateStreamInput, StreamRef};
use crate::service::TimestampKind;
use crate::{Video, VideoConfig, VideoError};
use sluice_storage::MemoryMetaStore;
use sluice_storage::memory::MemoryLogStore;
use sluice_types::ManualClock;
use std::sync::Arc;

const T0: i64 = 1_767_225_600_000;
const AVCC: &[u8] = &[
    1, 0x42, 0xC0, 0x0D, 0xFF, 0xE1, 0, 4, 0x67, 0x42, 0xC0, 0x0D, 1, 0, 2, 0x68, 0xCE,
];

fn header() -> Vec<u8> {
    let mut out = Vec::new();
    let mut h = Vec::new();
    write_uint(&mut h, ids::EBML_VERSION, 1);
    write_string(&mut h, ids::DOC_TYPE, "matroska");
    write_element(&mut out, ids::EBML, &h);
    write_id(&mut out, ids::SEGMENT);
    write_size(&mut out, UNKNOWN_SIZE);
    let mut info = Vec::new();
    write_uint(&mut info, ids::TIMECODE_SCALE, 1_000_000);
    write_element(&mut out, ids::INFO, &info);
    let mut entry = Vec::new();
    write_uint(&mut entry, ids::TRACK_NUMBER, 1);
    write_uint(&mut entry, ids::TRACK_TYPE, 1);
    write_string(&mut entry, ids::CODEC_ID, "V_MPEG4/ISO/AVC");
    write_element(&mut entry, ids::CODEC_PRIVATE, AVCC);
    let mut tracks = Vec::new();
    write_element(&mut tracks, ids::TRACK_ENTRY, &entry);
    write_element(&mut out, ids::TRACKS, &tracks);
    out
}

/// A one-second Cluster: a key frame, then 24 more frames 40 ms apart.
fn cluster(timecode_ms: u64) -> Vec<u8> {
    let mut c = Vec::new();
    write_uint(&mut c, ids::TIMECODE, timecode_ms);
    for i in 0..25i16 {
        let mut b = vec![0x81];
        b.extend_from_slice(&(i * 40).to_be_bytes());
        b.push(if i == 0 { 0x80 } else { 0 });
        b.extend_from_slice(&[i as u8; 30]);
        write_element(&mut c, ids::SIMPLE_BLOCK, &b);
    }
    let mut out = Vec::new();
    write_element(&mut out, ids::CLUSTER, &c);
    out
}

struct Fixture {
    video: Arc<Video>,
    clock: ManualClock,
    stream: StreamRef,
}

/// A stream with fragments at producer times T0 + each of `starts` (ms), one per second of
/// server time.
async fn fixture(starts: &[u64]) -> Fixture {
    let clock = ManualClock::new(T0);
    let logs = Arc::new(MemoryLogStore::new(Arc::new(clock.clone())));
    let video = Arc::new(
        Video::open(
            VideoConfig::default(),
            Arc::new(clock.clone()),
            logs,
            Arc::new(MemoryMetaStore::default()),
        )
        .await
        .unwrap(),
    );
    video
        .create(CreateStreamInput {
            name: "cam".into(),
            retention_hours: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let stream = StreamRef::Name("cam".into());
    put(&video, &clock, &stream, starts).await;
    Fixture {
        video,
        clock,
        stream,
    }
}

/// One PutMedia of Clusters at producer times T0 + each of `starts`, a second of server time apart.
async fn put(video: &Arc<Video>, clock: &ManualClock, stream: &StreamRef, starts: &[u64]) {
    let mut session = video
        .put_media(PutMediaInput {
            stream: stream.clone(),
            timecode_type: TimecodeType::Relative,
            producer_start_ms: Some(T0),
        })
        .unwrap();
    let mut acks = session.push(&header()).await;
    for s in starts {
        acks.extend(session.push(&cluster(*s)).await);
        clock.advance(1000);
    }
    acks.extend(session.finish().await);
    let persisted = acks
        .iter()
        .filter(|a| a.to_json().contains("PERSISTED"))
        .count();
    assert_eq!(persisted, starts.len(), "{:?}", acks);
}

fn input(f: &Fixture, mode: PlaybackMode) -> SessionInput {
    SessionInput {
        stream: f.stream.clone(),
        protocol: Default::default(),
        mode,
        kind: TimestampKind::Server,
        container: Default::default(),
        start_ms: None,
        end_ms: None,
        discontinuity: None,
        display_timestamps: false,
        display_fragment_numbers: false,
        expires_s: 300,
        max_fragments: None,
    }
}

fn count(playlist: &str, what: &str) -> usize {
    playlist.lines().filter(|l| l.starts_with(what)).count()
}

fn lines(playlist: &str, line: &str) -> usize {
    playlist.lines().filter(|l| *l == line).count()
}

fn value(playlist: &str, tag: &str) -> u64 {
    playlist
        .lines()
        .find_map(|l| l.strip_prefix(tag))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{tag} in {playlist}"))
}

#[tokio::test]
async fn live_shows_the_newest_fragments_and_slides() {
    let f = fixture(&[0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]).await;
    let mut i = input(&f, PlaybackMode::Live);
    i.max_fragments = Some(3);
    let token = f.video.start_session(i).await.unwrap();
    let p = f.video.hls_media_playlist(&token, 1).await.unwrap();
    assert_eq!(count(&p, "getMP4MediaFragment"), 3);
    assert_eq!(value(&p, "#EXT-X-MEDIA-SEQUENCE:"), 5);
    // SERVER_TIMESTAMP defaults to ALWAYS: a break between each pair, five slid out before.
    assert_eq!(lines(&p, "#EXT-X-DISCONTINUITY"), 2);
    assert_eq!(value(&p, "#EXT-X-DISCONTINUITY-SEQUENCE:"), 5);
    assert!(!p.contains("#EXT-X-ENDLIST"));
    let master = f.video.hls_master_playlist(&token).await.unwrap();
    assert!(master.contains("CODECS=\"avc1.42c00d\""), "{master}");
    let init = f.video.mp4_init_fragment(&token, 1, None).await.unwrap();
    assert_eq!(&init[4..8], b"ftyp");
    let number = p
        .lines()
        .find_map(|l| l.strip_prefix("getMP4MediaFragment.mp4?FragmentNumber="))
        .and_then(|l| l.split('&').next())
        .unwrap()
        .to_string();
    let seg = f
        .video
        .mp4_media_fragment(&token, 1, &number)
        .await
        .unwrap();
    assert_eq!(&seg[4..8], b"moof");
    assert!(matches!(
        f.video.mp4_media_fragment(&token, 2, &number).await,
        Err(VideoError::InvalidArgument(_))
    ));
    // No fragment in the last 30 seconds: no LIVE session.
    f.clock.advance(31_000);
    assert!(matches!(
        f.video.start_session(input(&f, PlaybackMode::Live)).await,
        Err(VideoError::ResourceNotFound(_))
    ));
}

#[tokio::test]
async fn live_replay_adds_fragments_as_their_time_elapses() {
    let f = fixture(&[0, 1000, 2000, 3000, 4000]).await;
    let mut i = input(&f, PlaybackMode::LiveReplay);
    i.kind = TimestampKind::Producer;
    i.start_ms = Some(T0 + 1000);
    i.end_ms = Some(T0 + 3000);
    let token = f.video.start_session(i).await.unwrap();
    let shown = |p: &str| count(p, "getMP4MediaFragment");
    let p = f.video.hls_media_playlist(&token, 1).await.unwrap();
    assert_eq!(shown(&p), 1);
    assert!(!p.contains("#EXT-X-ENDLIST"));
    f.clock.advance(1000);
    assert_eq!(
        shown(&f.video.hls_media_playlist(&token, 1).await.unwrap()),
        2
    );
    f.clock.advance(1000);
    let p = f.video.hls_media_playlist(&token, 1).await.unwrap();
    // Three fragments start in the range; its end has passed: the playlist is complete.
    assert_eq!(shown(&p), 3);
    assert!(p.contains("#EXT-X-ENDLIST"), "{p}");
    // PRODUCER_TIMESTAMP defaults to NEVER.
    assert_eq!(lines(&p, "#EXT-X-DISCONTINUITY"), 0);
}

#[tokio::test]
async fn on_discontinuity_marks_only_gaps() {
    let f = fixture(&[0, 1000, 2000, 9000, 10000]).await;
    let mut i = input(&f, PlaybackMode::OnDemand);
    i.kind = TimestampKind::Producer;
    i.start_ms = Some(T0);
    i.end_ms = Some(T0 + 60_000);
    i.discontinuity = Some(Discontinuity::OnDiscontinuity);
    i.display_timestamps = true;
    let token = f.video.start_session(i).await.unwrap();
    let p = f.video.hls_media_playlist(&token, 1).await.unwrap();
    assert_eq!(count(&p, "getMP4MediaFragment"), 5);
    assert_eq!(lines(&p, "#EXT-X-DISCONTINUITY"), 1);
    assert!(
        p.contains("#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:09Z"),
        "{p}"
    );
    assert!(p.contains("#EXT-X-PLAYLIST-TYPE:VOD") && p.contains("#EXT-X-ENDLIST"));
}

#[tokio::test]
async fn tokens_cannot_be_altered_and_expire() {
    let f = fixture(&[0, 1000]).await;
    let token = f
        .video
        .start_session(input(&f, PlaybackMode::Live))
        .await
        .unwrap();
    assert!(f.video.hls_master_playlist(&token).await.is_ok());
    let (payload, sig) = token.split_once('~').unwrap();
    let mut bytes = payload.as_bytes().to_vec();
    bytes[3] ^= 1;
    let altered = format!("{}~{sig}", String::from_utf8(bytes).unwrap());
    for bad in [altered.as_str(), "nonsense", payload] {
        assert!(matches!(
            f.video.hls_master_playlist(bad).await,
            Err(VideoError::NotAuthorized(_))
        ));
    }
    f.clock.advance(301_000);
    assert!(matches!(
        f.video.hls_master_playlist(&token).await,
        Err(VideoError::NotAuthorized(_))
    ));
}

#[tokio::test]
async fn producer_timestamp_duplicates_show_the_newest_fragment() {
    let f = fixture(&[0, 1000, 2000]).await;
    // The same producer times again (a producer that restarted), and one new one.
    put(&f.video, &f.clock, &f.stream, &[1000, 2000, 3000]).await;
    let mut i = input(&f, PlaybackMode::OnDemand);
    i.kind = TimestampKind::Producer;
    i.start_ms = Some(T0);
    i.end_ms = Some(T0 + 60_000);
    let token = f.video.start_session(i).await.unwrap();
    let p = f.video.hls_media_playlist(&token, 1).await.unwrap();
    let offsets: Vec<u64> = p
        .lines()
        .filter_map(|l| l.strip_prefix("getMP4MediaFragment.mp4?FragmentNumber="))
        .map(|l| l[27..47].parse().unwrap())
        .collect();
    // Offsets 0..3 are the first put, 3..6 the second: 1000 and 2000 come from the second.
    assert_eq!(offsets, vec![0, 3, 4, 5]);
}
