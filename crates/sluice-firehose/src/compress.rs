//! The compression of delivered objects: GZIP (flate2), Snappy (the framing format, `snap`),
//! HADOOP_SNAPPY (Hadoop's block format around raw Snappy) and ZIP (one deflated entry).

use crate::model::Compression;
use std::io::Write;

/// Hadoop's `BlockCompressorStream` default buffer: 256 KiB of input per block.
const HADOOP_BLOCK: usize = 256 * 1024;

pub fn compress(format: Compression, data: &[u8], entry_name: &str) -> std::io::Result<Vec<u8>> {
    match format {
        Compression::Uncompressed => Ok(data.to_vec()),
        Compression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(data.len() / 4 + 64),
                flate2::Compression::default(),
            );
            e.write_all(data)?;
            e.finish()
        }
        Compression::Snappy => {
            let mut e = snap::write::FrameEncoder::new(Vec::with_capacity(data.len() / 2 + 64));
            e.write_all(data)?;
            e.into_inner().map_err(|e| e.into_error())
        }
        Compression::HadoopSnappy => {
            // Each block: uncompressed length (u32 BE), then one chunk: compressed length (u32
            // BE) and raw Snappy bytes.
            let mut out = Vec::with_capacity(data.len() / 2 + 64);
            let mut enc = snap::raw::Encoder::new();
            for block in data.chunks(HADOOP_BLOCK) {
                let c = enc.compress_vec(block).map_err(std::io::Error::other)?;
                out.extend_from_slice(&(block.len() as u32).to_be_bytes());
                out.extend_from_slice(&(c.len() as u32).to_be_bytes());
                out.extend_from_slice(&c);
            }
            Ok(out)
        }
        Compression::Zip => zip(data, entry_name),
    }
}

/// A ZIP archive of one deflated entry (local header, data, central directory, end record).
fn zip(data: &[u8], name: &str) -> std::io::Result<Vec<u8>> {
    let mut deflated = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        flate2::Compression::default(),
    );
    deflated.write_all(data)?;
    let deflated = deflated.finish()?;
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let crc = crc.sum();
    let too_big = |n: usize| n > u32::MAX as usize - 1;
    if too_big(data.len()) || too_big(deflated.len()) {
        return Err(std::io::Error::other(
            "object too large for ZIP without ZIP64",
        ));
    }
    let name = name.as_bytes();
    let mut out = Vec::with_capacity(deflated.len() + 2 * name.len() + 128);
    let common = |out: &mut Vec<u8>| {
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&8u16.to_le_bytes()); // deflate
        out.extend_from_slice(&0u16.to_le_bytes()); // time
        out.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(deflated.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra length
    };
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    common(&mut out);
    out.extend_from_slice(name);
    out.extend_from_slice(&deflated);
    let central = out.len();
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // version made by
    common(&mut out);
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out.extend_from_slice(&0u16.to_le_bytes()); // disk number
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name);
    let central_len = out.len() - central;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&(central_len as u32).to_le_bytes());
    out.extend_from_slice(&(central as u32).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample() -> Vec<u8> {
        (0..600_000u32)
            .flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes())
            .take(700_000)
            .collect()
    }

    #[test]
    fn gzip_round_trips() {
        let d = sample();
        let c = compress(Compression::Gzip, &d, "x").unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&c[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, d);
    }

    #[test]
    fn snappy_framed_round_trips() {
        let d = sample();
        let c = compress(Compression::Snappy, &d, "x").unwrap();
        assert_eq!(&c[..10], b"\xff\x06\x00\x00sNaPpY");
        let mut out = Vec::new();
        snap::read::FrameDecoder::new(&c[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, d);
    }

    #[test]
    fn hadoop_snappy_blocks_decode() {
        let d = sample();
        let c = compress(Compression::HadoopSnappy, &d, "x").unwrap();
        let mut out = Vec::new();
        let mut rest = &c[..];
        let mut dec = snap::raw::Decoder::new();
        while !rest.is_empty() {
            let raw = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let n = u32::from_be_bytes(rest[4..8].try_into().unwrap()) as usize;
            let block = dec.decompress_vec(&rest[8..8 + n]).unwrap();
            assert_eq!(block.len(), raw);
            assert!(raw <= HADOOP_BLOCK);
            out.extend(block);
            rest = &rest[8 + n..];
        }
        assert_eq!(out, d);
    }

    #[test]
    fn zip_holds_one_deflated_entry() {
        let d = sample();
        let c = compress(Compression::Zip, &d, "entry").unwrap();
        assert_eq!(&c[..4], b"PK\x03\x04");
        let name_len = u16::from_le_bytes([c[26], c[27]]) as usize;
        assert_eq!(&c[30..30 + name_len], b"entry");
        let size = u32::from_le_bytes(c[18..22].try_into().unwrap()) as usize;
        let start = 30 + name_len;
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&c[start..start + size])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, d);
        assert_eq!(&c[c.len() - 22..c.len() - 18], b"PK\x05\x06");
    }
}
