//! The frames of a stored fragment, read back for repackaging (HLS, DASH, GetClip): every
//! block of its Clusters, laced or not, with its track, time and key-frame flag.

use super::ebml;
use super::elements::parse_tracks;
use super::ids;
use super::ingest::{IngestError, StreamHeader};

/// One frame of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    pub track: u64,
    /// The frame's time, in timecode-scale ticks (the Cluster's timecode plus the block's).
    pub ticks: i64,
    pub key: bool,
    /// From a BlockGroup's BlockDuration, in ticks.
    pub duration_ticks: Option<u64>,
    pub data: &'a [u8],
}

fn invalid(message: &str) -> IngestError {
    IngestError::InvalidMkv(message.into())
}

/// The stream header a stored fragment's Info and Tracks elements (whole, as received) give.
pub fn stored_header(info: &[u8], tracks: &[u8]) -> Result<StreamHeader, IngestError> {
    let body = |el: &[u8], id: u32| -> Result<Vec<u8>, IngestError> {
        if el.is_empty() {
            return Ok(Vec::new());
        }
        let h = ebml::read_header(el).map_err(|_| invalid("a stored header is not EBML"))?;
        let end = h
            .total()
            .and_then(|t| usize::try_from(t).ok())
            .filter(|t| *t <= el.len() && h.id == id)
            .ok_or_else(|| invalid("a stored header element is truncated"))?;
        Ok(el[h.len..end].to_vec())
    };
    let info_data = body(info, ids::INFO)?;
    let timecode_scale_ns = ebml::children(&info_data)
        .find(|(c, _)| c.id == ids::TIMECODE_SCALE)
        .and_then(|(_, d)| ebml::read_uint(d))
        .filter(|s| *s > 0)
        .unwrap_or(1_000_000);
    Ok(StreamHeader {
        info: info.to_vec(),
        tracks: tracks.to_vec(),
        timecode_scale_ns,
        parsed_tracks: parse_tracks(&body(tracks, ids::TRACKS)?)?,
    })
}

/// Every frame of `clusters` (Clusters of known or unknown size, back to back), in order.
pub fn frames(clusters: &[u8]) -> Result<Vec<Frame<'_>>, IngestError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < clusters.len() {
        let rest = &clusters[pos..];
        let h = ebml::read_header(rest).map_err(|_| invalid("a stored element is not EBML"))?;
        let end = match h.total() {
            Some(t) => usize::try_from(t)
                .ok()
                .filter(|t| *t <= rest.len())
                .ok_or_else(|| invalid("a stored element is truncated"))?,
            None if h.id == ids::CLUSTER => h.len + open_cluster_len(&rest[h.len..])?,
            None => return Err(invalid("a stored element of unknown size")),
        };
        if h.id == ids::CLUSTER {
            cluster_frames(&rest[h.len..end], &mut out)?;
        }
        pos += end;
    }
    Ok(out)
}

/// The timecode of the first Cluster of `clusters`, in ticks.
pub fn first_timecode(clusters: &[u8]) -> Option<i64> {
    let h = ebml::read_header(clusters).ok()?;
    if h.id != ids::CLUSTER {
        return None;
    }
    let body = &clusters[h.len..];
    let body = match h.total().and_then(|t| usize::try_from(t).ok()) {
        Some(t) => body.get(..t - h.len)?,
        None => body,
    };
    ebml::children(body)
        .find(|(c, _)| c.id == ids::TIMECODE)
        .and_then(|(_, d)| ebml::read_uint(d))
        .and_then(|v| i64::try_from(v).ok())
}

/// How far the children of a Cluster of unknown size reach: up to the first element that
/// cannot be in a Cluster, or the end.
fn open_cluster_len(data: &[u8]) -> Result<usize, IngestError> {
    let mut at = 0;
    while at < data.len() {
        let h =
            ebml::read_header(&data[at..]).map_err(|_| invalid("a Cluster child is not EBML"))?;
        if !ids::is_cluster_child(h.id) {
            break;
        }
        let t = h
            .total()
            .and_then(|t| usize::try_from(t).ok())
            .filter(|t| at + t <= data.len())
            .ok_or_else(|| invalid("a Cluster child is truncated"))?;
        at += t;
    }
    Ok(at)
}

fn cluster_frames<'a>(data: &'a [u8], out: &mut Vec<Frame<'a>>) -> Result<(), IngestError> {
    let mut timecode: i64 = 0;
    for (h, d) in ebml::children(data) {
        match h.id {
            ids::TIMECODE => {
                timecode = ebml::read_uint(d)
                    .and_then(|v| i64::try_from(v).ok())
                    .ok_or_else(|| invalid("a Cluster Timecode is not valid"))?;
            }
            ids::SIMPLE_BLOCK => block(d, timecode, None, None, out)?,
            ids::BLOCK_GROUP => {
                let mut body = None;
                let mut duration = None;
                let mut referenced = false;
                for (c, cd) in ebml::children(d) {
                    match c.id {
                        ids::BLOCK => body = Some(cd),
                        ids::BLOCK_DURATION => duration = ebml::read_uint(cd),
                        ids::REFERENCE_BLOCK => referenced = true,
                        _ => {}
                    }
                }
                if let Some(b) = body {
                    block(b, timecode, Some(!referenced), duration, out)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The frames of one SimpleBlock or Block. `key` overrides the flags (a Block has none).
fn block<'a>(
    d: &'a [u8],
    cluster_ticks: i64,
    key: Option<bool>,
    duration_ticks: Option<u64>,
    out: &mut Vec<Frame<'a>>,
) -> Result<(), IngestError> {
    let (track, n) = ebml::read_vint(d).map_err(|_| invalid("a block without a track number"))?;
    let head = d
        .get(n..n + 3)
        .ok_or_else(|| invalid("a truncated block"))?;
    let ticks = cluster_ticks + i64::from(i16::from_be_bytes([head[0], head[1]]));
    let flags = head[2];
    let key = key.unwrap_or(flags & 0x80 != 0);
    let payload = &d[n + 3..];
    let frame = |data| Frame {
        track,
        ticks,
        key,
        duration_ticks,
        data,
    };
    match (flags >> 1) & 3 {
        0 => out.push(frame(payload)),
        lacing => {
            let (&count, mut rest) = payload
                .split_first()
                .ok_or_else(|| invalid("a laced block without a frame count"))?;
            let count = usize::from(count) + 1;
            let mut sizes = Vec::with_capacity(count);
            match lacing {
                // Xiph: each size but the last as a run of 255s and a final byte.
                1 => {
                    for _ in 1..count {
                        let mut size = 0usize;
                        loop {
                            let (&b, r) = rest
                                .split_first()
                                .ok_or_else(|| invalid("a truncated Xiph lace"))?;
                            rest = r;
                            size += usize::from(b);
                            if b != 255 {
                                break;
                            }
                        }
                        sizes.push(size);
                    }
                }
                // EBML: the first size, then signed differences.
                3 => {
                    let mut last: i64 = 0;
                    for i in 1..count {
                        let (raw, len) =
                            ebml::read_size(rest).map_err(|_| invalid("a truncated EBML lace"))?;
                        rest = &rest[len..];
                        let value = if i == 1 {
                            i64::try_from(raw).map_err(|_| invalid("an EBML lace size"))?
                        } else {
                            let bias = (1i64 << (7 * len - 1)) - 1;
                            last + (raw as i64 - bias)
                        };
                        if value < 0 {
                            return Err(invalid("a negative EBML lace size"));
                        }
                        last = value;
                        sizes.push(value as usize);
                    }
                }
                // Fixed: every frame the same size.
                _ => {
                    if rest.len() % count != 0 {
                        return Err(invalid("a fixed lace that does not divide its block"));
                    }
                    sizes.resize(count - 1, rest.len() / count);
                }
            }
            let known: usize = sizes.iter().sum();
            let last = rest
                .len()
                .checked_sub(known)
                .ok_or_else(|| invalid("lace sizes larger than their block"))?;
            sizes.push(last);
            for size in sizes {
                let (data, r) = rest.split_at(size);
                rest = r;
                out.push(frame(data));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mkv::ebml::{write_element, write_uint};

    fn simple_block(track: u8, rel: i16, key: bool, lacing: u8, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0x80 | track];
        b.extend_from_slice(&rel.to_be_bytes());
        b.push(if key { 0x80 } else { 0 } | (lacing << 1));
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn reads_known_and_unknown_size_clusters_and_laces() {
        let mut c1 = Vec::new();
        write_uint(&mut c1, ids::TIMECODE, 1000);
        write_element(
            &mut c1,
            ids::SIMPLE_BLOCK,
            &simple_block(1, 0, true, 0, b"key"),
        );
        write_element(
            &mut c1,
            ids::SIMPLE_BLOCK,
            &simple_block(1, 33, false, 0, b"p"),
        );
        let mut all = Vec::new();
        write_element(&mut all, ids::CLUSTER, &c1);
        // A Cluster of unknown size: a Xiph-laced audio block (sizes 2 and 3) and a fixed lace.
        all.extend_from_slice(&[
            0x1F, 0x43, 0xB6, 0x75, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        write_uint(&mut all, ids::TIMECODE, 2000);
        write_element(
            &mut all,
            ids::SIMPLE_BLOCK,
            &simple_block(2, -5, true, 1, &[1, 2, b'a', b'b', b'c', b'd', b'e']),
        );
        write_element(
            &mut all,
            ids::SIMPLE_BLOCK,
            &simple_block(2, 7, true, 2, &[1, b'w', b'x', b'y', b'z']),
        );
        assert_eq!(first_timecode(&all), Some(1000));
        let f = frames(&all).unwrap();
        let got: Vec<(u64, i64, bool, &[u8])> = f
            .iter()
            .map(|f| (f.track, f.ticks, f.key, f.data))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 1000, true, &b"key"[..]),
                (1, 1033, false, &b"p"[..]),
                (2, 1995, true, &b"ab"[..]),
                (2, 1995, true, &b"cde"[..]),
                (2, 2007, true, &b"wx"[..]),
                (2, 2007, true, &b"yz"[..]),
            ]
        );
    }

    #[test]
    fn ebml_lacing_and_block_groups() {
        let mut c = Vec::new();
        write_uint(&mut c, ids::TIMECODE, 0);
        // EBML lace of three frames: sizes 3, 3+(-1)=2, rest.
        // First size 3 = 0x83; difference -1 in one byte: raw = -1 + 63 = 62 = 0x80 | 62.
        let payload = [2, 0x83, 0x80 | 62, b'a', b'b', b'c', b'd', b'e', b'f', b'g'];
        write_element(
            &mut c,
            ids::SIMPLE_BLOCK,
            &simple_block(1, 0, true, 3, &payload),
        );
        let mut group = Vec::new();
        let mut blk = simple_block(1, 40, false, 0, b"ref");
        blk[3] = 0; // a Block has no key flag
        write_element(&mut group, ids::BLOCK, &blk);
        write_uint(&mut group, ids::BLOCK_DURATION, 20);
        write_uint(&mut group, ids::REFERENCE_BLOCK, 1);
        write_element(&mut c, ids::BLOCK_GROUP, &group);
        let mut all = Vec::new();
        write_element(&mut all, ids::CLUSTER, &c);
        let f = frames(&all).unwrap();
        let sizes: Vec<&[u8]> = f.iter().map(|f| f.data).collect();
        assert_eq!(
            sizes,
            vec![&b"abc"[..], &b"de"[..], &b"fg"[..], &b"ref"[..]]
        );
        assert!(!f[3].key);
        assert_eq!(f[3].duration_ticks, Some(20));
        assert_eq!(f[3].ticks, 40);
    }

    #[test]
    fn rejects_lies_without_panicking() {
        let mut c = Vec::new();
        write_element(
            &mut c,
            ids::SIMPLE_BLOCK,
            &simple_block(1, 0, true, 1, &[3, 255, 255]),
        );
        let mut all = Vec::new();
        write_element(&mut all, ids::CLUSTER, &c);
        assert!(frames(&all).is_err());
        assert!(frames(&[0x1F, 0x43, 0xB6, 0x75, 0x88, 1]).is_err());
    }
}
