//! The Video Streams domain: video streams (control plane), PutMedia ingest of live Matroska
//! into durable, time-indexed fragments, and playback (GetMedia, ListFragments). Takes and
//! returns domain types only; HTTP and JSON are the wire and server layers' business.

pub mod dash;
pub mod error;
pub mod fragment;
pub mod hls;
#[cfg(test)]
mod hls_tests;
pub mod media;
pub mod mkv;
pub mod model;
pub mod mp4;
mod notify;
pub mod service;
pub mod ts;

pub use error::{Result, VideoError};
pub use service::{Video, VideoConfig};
