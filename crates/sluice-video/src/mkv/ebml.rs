//! EBML, the binary format Matroska is written in: element ids and sizes as variable-length
//! integers, read from a byte buffer that may not hold a whole element yet, and written back.

/// An element size of all ones: "unknown", used by live producers for Segment and Cluster.
pub const UNKNOWN_SIZE: u64 = u64::MAX;

/// The header of one element: its id (with the length marker bits, as the Matroska
/// specification writes ids), its data size, and the header's own length in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub id: u32,
    pub size: u64,
    pub len: usize,
}

impl Header {
    pub fn is_unknown_size(&self) -> bool {
        self.size == UNKNOWN_SIZE
    }

    /// The whole element's length (header and data), if its size is known.
    pub fn total(&self) -> Option<u64> {
        (!self.is_unknown_size()).then(|| self.size.saturating_add(self.len as u64))
    }
}

/// Why bytes are not an element header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// More bytes are needed to know.
    Incomplete,
    /// Not EBML: a zero first byte, or an id longer than 4 bytes.
    Invalid,
}

/// Reads an element id (1–4 bytes, marker kept).
pub fn read_id(buf: &[u8]) -> Result<(u32, usize), HeaderError> {
    let first = *buf.first().ok_or(HeaderError::Incomplete)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 {
        return Err(HeaderError::Invalid);
    }
    let bytes = buf.get(..len).ok_or(HeaderError::Incomplete)?;
    Ok((
        bytes.iter().fold(0u32, |id, b| (id << 8) | u32::from(*b)),
        len,
    ))
}

/// Reads a data size (1–8 bytes, marker removed); all value bits set means unknown.
pub fn read_size(buf: &[u8]) -> Result<(u64, usize), HeaderError> {
    let first = *buf.first().ok_or(HeaderError::Incomplete)?;
    if first == 0 {
        return Err(HeaderError::Invalid);
    }
    let len = first.leading_zeros() as usize + 1;
    let bytes = buf.get(..len).ok_or(HeaderError::Incomplete)?;
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let mut value = u64::from(first & mask);
    let mut all_ones = (first & mask) == mask;
    for b in &bytes[1..] {
        value = (value << 8) | u64::from(*b);
        all_ones &= *b == 0xFF;
    }
    Ok((if all_ones { UNKNOWN_SIZE } else { value }, len))
}

/// Reads an element header.
pub fn read_header(buf: &[u8]) -> Result<Header, HeaderError> {
    let (id, id_len) = read_id(buf)?;
    let (size, size_len) = read_size(&buf[id_len..])?;
    Ok(Header {
        id,
        size,
        len: id_len + size_len,
    })
}

/// Reads a vint as used inside a block (a track number): the value without its marker.
pub fn read_vint(buf: &[u8]) -> Result<(u64, usize), HeaderError> {
    let (v, len) = read_size(buf)?;
    Ok((if v == UNKNOWN_SIZE { 0 } else { v }, len))
}

/// Reads a big-endian unsigned integer element's data (0–8 bytes).
pub fn read_uint(data: &[u8]) -> Option<u64> {
    (data.len() <= 8).then(|| data.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b)))
}

/// Reads a big-endian signed integer element's data (0–8 bytes).
pub fn read_int(data: &[u8]) -> Option<i64> {
    if data.is_empty() {
        return Some(0);
    }
    let u = read_uint(data)?;
    let shift = 64 - 8 * data.len() as u32;
    Some(((u << shift) as i64) >> shift)
}

/// Reads a float element's data (4 or 8 bytes; 0 bytes is 0.0).
pub fn read_float(data: &[u8]) -> Option<f64> {
    match data.len() {
        0 => Some(0.0),
        4 => Some(f64::from(f32::from_be_bytes(data.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(data.try_into().ok()?)),
        _ => None,
    }
}

/// Iterates over the child elements of `data`, yielding each header and its data. Stops at the
/// first child that is truncated or malformed, or of unknown size.
pub fn children(data: &[u8]) -> impl Iterator<Item = (Header, &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let h = read_header(rest).ok()?;
        let end = usize::try_from(h.total()?).ok()?;
        let body = rest.get(h.len..end)?;
        rest = &rest[end..];
        Some((h, body))
    })
}

/// Appends an element id.
pub fn write_id(out: &mut Vec<u8>, id: u32) {
    let bytes = id.to_be_bytes();
    let skip = (id.leading_zeros() / 8) as usize;
    out.extend_from_slice(&bytes[skip.min(3)..]);
}

/// Appends a data size in the fewest bytes (8 bytes for [`UNKNOWN_SIZE`]).
pub fn write_size(out: &mut Vec<u8>, size: u64) {
    if size == UNKNOWN_SIZE {
        out.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        return;
    }
    // A length of n bytes holds 7n value bits, all ones reserved.
    let len = (1..=8usize)
        .find(|n| *n == 8 || size < (1u64 << (7 * n)) - 1)
        .unwrap_or(8);
    let marked = if len == 8 {
        size
    } else {
        size | (1u64 << (7 * len))
    };
    let bytes = marked.to_be_bytes();
    if len == 8 {
        out.push(0x01);
        out.extend_from_slice(&bytes[1..]);
    } else {
        out.extend_from_slice(&bytes[8 - len..]);
    }
}

/// Appends a whole element.
pub fn write_element(out: &mut Vec<u8>, id: u32, data: &[u8]) {
    write_id(out, id);
    write_size(out, data.len() as u64);
    out.extend_from_slice(data);
}

/// Appends an unsigned integer element in the fewest bytes.
pub fn write_uint(out: &mut Vec<u8>, id: u32, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = ((value.leading_zeros() / 8) as usize).min(7);
    write_element(out, id, &bytes[skip..]);
}

/// Appends a UTF-8 string element.
pub fn write_string(out: &mut Vec<u8>, id: u32, value: &str) {
    write_element(out, id, value.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_sizes_round_trip() {
        for id in [0xA3u32, 0xE7, 0x4286, 0x2AD7B1, 0x1A45DFA3, 0x1F43B675] {
            let mut out = Vec::new();
            write_id(&mut out, id);
            assert_eq!(read_id(&out), Ok((id, out.len())), "{id:x}");
        }
        for size in [0u64, 1, 126, 127, 128, 16382, 16383, 1 << 30, (1 << 56) - 2] {
            let mut out = Vec::new();
            write_size(&mut out, size);
            assert_eq!(read_size(&out), Ok((size, out.len())), "{size}");
        }
        let mut out = Vec::new();
        write_size(&mut out, UNKNOWN_SIZE);
        assert_eq!(read_size(&out), Ok((UNKNOWN_SIZE, 8)));
        // One-byte unknown size, as some producers write it.
        assert_eq!(read_size(&[0xFF]), Ok((UNKNOWN_SIZE, 1)));
    }

    #[test]
    fn partial_and_invalid_headers_are_told_apart() {
        assert_eq!(read_header(&[0x1A, 0x45]), Err(HeaderError::Incomplete));
        assert_eq!(read_header(&[0x00, 0x45]), Err(HeaderError::Invalid));
        assert_eq!(read_header(&[0x08, 0x45]), Err(HeaderError::Invalid));
        assert_eq!(read_header(&[0xA3, 0x00]), Err(HeaderError::Invalid));
    }

    #[test]
    fn signed_integers_extend_their_sign() {
        assert_eq!(read_int(&[0xFF, 0xFE]), Some(-2));
        assert_eq!(read_int(&[0x7F]), Some(127));
        assert_eq!(read_uint(&[0x01, 0x00]), Some(256));
    }
}
