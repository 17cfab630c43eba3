//! The splitter against Matroska built here: known and unknown sizes, key-frame grouping, any
//! cut of the bytes, and the errors PutMedia acknowledges.

use super::ebml::*;
use super::ids;
use super::ingest::*;

fn ebml_header(doc_type: &str) -> Vec<u8> {
    let mut h = Vec::new();
    write_uint(&mut h, ids::EBML_VERSION, 1);
    write_string(&mut h, ids::DOC_TYPE, doc_type);
    let mut out = Vec::new();
    write_element(&mut out, ids::EBML, &h);
    out
}

fn info() -> Vec<u8> {
    let mut i = Vec::new();
    write_uint(&mut i, ids::TIMECODE_SCALE, 1_000_000);
    let mut out = Vec::new();
    write_element(&mut out, ids::INFO, &i);
    out
}

fn tracks(video: bool, audio: bool) -> Vec<u8> {
    let mut t = Vec::new();
    let mut entry = |n: u64, kind: u64, codec: &str| {
        let mut e = Vec::new();
        write_uint(&mut e, ids::TRACK_NUMBER, n);
        write_uint(&mut e, ids::TRACK_TYPE, kind);
        write_string(&mut e, ids::CODEC_ID, codec);
        write_element(&mut t, ids::TRACK_ENTRY, &e);
    };
    if video {
        entry(1, 1, "V_MPEG4/ISO/AVC");
    }
    if audio {
        entry(2, 2, "A_AAC");
    }
    let mut out = Vec::new();
    write_element(&mut out, ids::TRACKS, &t);
    out
}

fn block(track: u8, rel: i16, key: bool) -> Vec<u8> {
    let mut b = vec![0x80 | track];
    b.extend_from_slice(&rel.to_be_bytes());
    b.push(if key { 0x80 } else { 0 });
    b.extend_from_slice(&[0xAB; 40]);
    let mut out = Vec::new();
    write_element(&mut out, ids::SIMPLE_BLOCK, &b);
    out
}

/// A Cluster at `timecode` with blocks (track, relative time, key).
fn cluster(timecode: u64, blocks: &[(u8, i16, bool)], unknown_size: bool) -> Vec<u8> {
    let mut c = Vec::new();
    write_uint(&mut c, ids::TIMECODE, timecode);
    for (t, r, k) in blocks {
        c.extend(block(*t, *r, *k));
    }
    let mut out = Vec::new();
    write_id(&mut out, ids::CLUSTER);
    write_size(
        &mut out,
        if unknown_size {
            UNKNOWN_SIZE
        } else {
            c.len() as u64
        },
    );
    out.extend(c);
    out
}

fn segment_start() -> Vec<u8> {
    let mut out = Vec::new();
    write_id(&mut out, ids::SEGMENT);
    write_size(&mut out, UNKNOWN_SIZE);
    out
}

/// A stream of `n` one-second GOPs of 4 frames (25 ms apart would do; 250 ms here), each GOP
/// in two Clusters: the first starts with the key frame, the second does not.
fn stream(n: u64, unknown_size: bool) -> Vec<u8> {
    let mut s = ebml_header("matroska");
    s.extend(segment_start());
    s.extend(info());
    s.extend(tracks(true, false));
    for g in 0..n {
        s.extend(cluster(
            g * 1000,
            &[(1, 0, true), (1, 250, false)],
            unknown_size,
        ));
        s.extend(cluster(
            g * 1000 + 500,
            &[(1, 0, false), (1, 250, false)],
            unknown_size,
        ));
    }
    s
}

fn run(bytes: &[u8], piece: usize) -> (Vec<Event>, Option<IngestError>) {
    let mut s = Splitter::new();
    let mut events = Vec::new();
    for chunk in bytes.chunks(piece.max(1)) {
        let (e, r) = s.push(chunk);
        events.extend(e);
        if let Err(e) = r {
            return (events, Some(e));
        }
    }
    let (e, r) = s.finish();
    events.extend(e);
    (events, r.err())
}

fn fragments(events: &[Event]) -> Vec<&Fragment> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Fragment(f) => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn fragments_start_at_key_frames_and_keep_their_bytes() {
    for unknown in [false, true] {
        let bytes = stream(3, unknown);
        let (events, err) = run(&bytes, bytes.len());
        assert_eq!(err, None);
        let f = fragments(&events);
        assert_eq!(f.len(), 3, "unknown size: {unknown}");
        assert_eq!(
            f.iter().map(|f| f.timecode_ms).collect::<Vec<_>>(),
            [0, 1000, 2000]
        );
        // Closed by the next fragment: exact; the last by its frame spacing.
        assert_eq!(
            f.iter().map(|f| f.duration_ms).collect::<Vec<_>>(),
            [1000, 1000, 1000]
        );
        assert!(f.iter().all(|f| f.frames == 4));
        let clusters: Vec<u8> = f.iter().flat_map(|f| f.clusters.clone()).collect();
        let header_len = ebml_header("matroska").len() + segment_start().len();
        let body = &bytes[header_len + info().len() + tracks(true, false).len()..];
        assert_eq!(clusters, body, "the Clusters come out byte for byte");
        let starts = events
            .iter()
            .filter(|e| matches!(e, Event::Started { .. }))
            .count();
        assert_eq!(starts, 3);
    }
}

#[test]
fn any_cut_of_the_bytes_gives_the_same_fragments() {
    for unknown in [false, true] {
        let bytes = stream(2, unknown);
        let (whole, _) = run(&bytes, bytes.len());
        for piece in [1, 2, 3, 7, 64, 1000] {
            let (cut, err) = run(&bytes, piece);
            assert_eq!(err, None);
            assert_eq!(fragments(&cut), fragments(&whole), "piece {piece}");
        }
    }
}

#[test]
fn without_video_every_cluster_is_a_fragment() {
    let mut s = ebml_header("webm");
    s.extend(segment_start());
    s.extend(info());
    s.extend(tracks(false, true));
    for i in 0..3 {
        s.extend(cluster(i * 100, &[(2, 0, true), (2, 20, true)], false));
    }
    let (events, err) = run(&s, 10);
    assert_eq!(err, None);
    assert_eq!(fragments(&events).len(), 3);
}

#[test]
fn a_new_document_completes_the_fragment_before() {
    let mut bytes = stream(1, true);
    bytes.extend(stream(1, true));
    let (events, err) = run(&bytes, 5);
    assert_eq!(err, None);
    assert_eq!(fragments(&events).len(), 2);
}

#[test]
fn bad_input_is_named_as_putmedia_names_it() {
    let (_, err) = run(b"not matroska", 4);
    assert!(matches!(err, Some(IngestError::InvalidMkv(_))), "{err:?}");

    let mut wrong_doc = ebml_header("pdf");
    wrong_doc.extend(segment_start());
    assert!(matches!(
        run(&wrong_doc, 100).1,
        Some(IngestError::InvalidMkv(_))
    ));

    let mut back = stream(1, false);
    back.extend(cluster(10, &[(1, 0, true)], false));
    let (events, err) = run(&back, 100);
    assert_eq!(err, Some(IngestError::TimecodeLesserThanPrevious));
    assert_eq!(fragments(&events).len(), 1);

    let mut wrong_track = stream(1, false);
    wrong_track.extend(cluster(5000, &[(7, 0, true)], false));
    assert_eq!(
        run(&wrong_track, 100).1,
        Some(IngestError::TrackNumberMismatch(7))
    );

    let mut long = stream(0, false);
    long.extend(cluster(0, &[(1, 0, true)], false));
    for i in 1..30 {
        long.extend(cluster(i * 1000, &[(1, 0, false)], false));
    }
    assert_eq!(run(&long, 1000).1, Some(IngestError::MaxFragmentDuration));

    let mut no_tracks = ebml_header("matroska");
    no_tracks.extend(segment_start());
    no_tracks.extend(cluster(0, &[(1, 0, true)], false));
    assert!(matches!(
        run(&no_tracks, 100).1,
        Some(IngestError::InvalidMkv(_))
    ));

    let mut huge = stream(0, false);
    write_id(&mut huge, ids::CLUSTER);
    write_size(&mut huge, (MAX_FRAGMENT_BYTES + 1) as u64);
    assert_eq!(run(&huge, 100).1, Some(IngestError::MaxFragmentSize));
}

#[test]
fn garbage_after_good_fragments_keeps_them() {
    let mut bytes = stream(2, false);
    bytes.extend_from_slice(b"\x00garbage");
    let (events, err) = run(&bytes, 50);
    assert!(matches!(err, Some(IngestError::InvalidMkv(_))));
    // Both fragments' Clusters were whole before the garbage came.
    assert_eq!(fragments(&events).len(), 2);
}

#[test]
fn a_fragment_is_complete_as_soon_as_the_next_key_frame_cluster_begins() {
    for unknown in [false, true] {
        let bytes = stream(2, unknown);
        let head = ebml_header("matroska").len()
            + segment_start().len()
            + info().len()
            + tracks(true, false).len();
        let first_gop = cluster(0, &[(1, 0, true), (1, 250, false)], unknown).len()
            + cluster(500, &[(1, 0, false), (1, 250, false)], unknown).len();
        // The next Cluster's header, Timecode and the first block's head: not yet the whole
        // Cluster.
        let cut = head + first_gop + 24;
        let mut s = Splitter::new();
        let (events, r) = s.push(&bytes[..cut]);
        assert_eq!(r, Ok(()));
        let f = fragments(&events);
        assert_eq!(f.len(), 1, "unknown size: {unknown}");
        assert_eq!(f[0].duration_ms, 1000);
        assert_eq!(events.last(), Some(&Event::Started { timecode_ms: 1000 }));
        let (rest, r) = s.push(&bytes[cut..]);
        assert_eq!(r, Ok(()));
        assert!(fragments(&rest).is_empty());
        let (end, _) = s.finish();
        assert_eq!(fragments(&end).len(), 1);
        assert_eq!(fragments(&end)[0].frames, 4);
    }
}

#[test]
fn a_producer_that_clusters_at_key_frames_gets_each_cluster_as_it_completes() {
    let mut s = Splitter::new();
    let mut head = ebml_header("matroska");
    head.extend(segment_start());
    head.extend(info());
    head.extend(tracks(true, false));
    let gop = |t: u64| cluster(t, &[(1, 0, true), (1, 500, false)], false);
    let (e, _) = s.push(&head);
    assert!(fragments(&e).is_empty());
    // The first fragment waits for the next Cluster: it might have been followed by one that
    // continues it.
    let (e, _) = s.push(&gop(0));
    assert!(fragments(&e).is_empty());
    // The next one shows that this producer's Clusters are whole fragments: from now on each
    // whole Cluster is a fragment at once.
    let (e, _) = s.push(&gop(1000));
    let times = |e: &[Event]| {
        fragments(e)
            .iter()
            .map(|f| (f.timecode_ms, f.duration_ms))
            .collect::<Vec<_>>()
    };
    assert_eq!(times(&e), [(0, 1000), (1000, 1000)]);
    let (e, _) = s.push(&gop(2000));
    assert_eq!(times(&e), [(2000, 1000)]);
    // A Cluster that does not start at a key frame goes back to joining.
    let (e, _) = s.push(&cluster(3000, &[(1, 0, false)], false));
    assert_eq!(fragments(&e).len(), 0);
    let (e, _) = s.push(&gop(4000));
    assert_eq!(fragments(&e).len(), 1);
}

fn simple_tag(name: &str, value: &str) -> Vec<u8> {
    let mut s = Vec::new();
    write_string(&mut s, ids::TAG_NAME, name);
    write_string(&mut s, ids::TAG_STRING, value);
    let mut out = Vec::new();
    write_element(&mut out, ids::SIMPLE_TAG, &s);
    out
}

fn tags(simple: &[Vec<u8>]) -> Vec<u8> {
    let mut tag = Vec::new();
    write_element(&mut tag, ids::TAG, &simple.concat());
    let mut out = Vec::new();
    write_element(&mut out, ids::TAGS, &tag);
    out
}

#[test]
fn a_notification_tag_marks_the_fragment_that_follows_it() {
    for unknown in [false, true] {
        let mut bytes = ebml_header("matroska");
        bytes.extend(segment_start());
        bytes.extend(info());
        bytes.extend(tracks(true, false));
        bytes.extend(cluster(0, &[(1, 0, true), (1, 250, false)], unknown));
        // Ordinary tags ask for nothing.
        bytes.extend(tags(&[simple_tag("TITLE", "x")]));
        bytes.extend(cluster(1000, &[(1, 0, true)], unknown));
        bytes.extend(tags(&[
            simple_tag("AWS_KINESISVIDEO_NOTIFICATION", ""),
            simple_tag("CUSTOM_KEY_1", "motion"),
            simple_tag(&"K".repeat(129), "too long a name"),
        ]));
        bytes.extend(cluster(2000, &[(1, 0, true)], unknown));
        bytes.extend(cluster(3000, &[(1, 0, true)], unknown));
        for piece in [1, 7, bytes.len()] {
            let (events, err) = run(&bytes, piece);
            assert_eq!(err, None);
            let marks: Vec<_> = fragments(&events)
                .iter()
                .map(|f| f.notification.clone())
                .collect();
            assert_eq!(
                marks,
                vec![
                    None,
                    None,
                    Some(vec![("CUSTOM_KEY_1".to_string(), "motion".to_string())]),
                    None
                ],
                "unknown: {unknown}, piece {piece}"
            );
        }
    }
}
