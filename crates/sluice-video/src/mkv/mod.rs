//! Matroska as PutMedia receives it and GetMedia sends it. EBML framing is read by hand (see
//! ADR 0008): PutMedia must split a live body that arrives in pieces, with elements of unknown
//! size, and keep every byte as it came.

pub mod blocks;
pub mod ebml;
pub mod elements;
pub mod ids;
pub mod ingest;

#[cfg(test)]
mod tests;
