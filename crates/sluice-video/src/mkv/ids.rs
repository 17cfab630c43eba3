//! The Matroska element ids Sluice reads or writes (with their marker bits, as the
//! specification writes them).

pub const EBML: u32 = 0x1A45_DFA3;
pub const EBML_VERSION: u32 = 0x4286;
pub const EBML_READ_VERSION: u32 = 0x42F7;
pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
pub const DOC_TYPE: u32 = 0x4282;
pub const DOC_TYPE_VERSION: u32 = 0x4287;
pub const DOC_TYPE_READ_VERSION: u32 = 0x4285;

pub const SEGMENT: u32 = 0x1853_8067;
pub const SEEK_HEAD: u32 = 0x114D_9B74;
pub const INFO: u32 = 0x1549_A966;
pub const TIMECODE_SCALE: u32 = 0x2A_D7B1;
pub const MUXING_APP: u32 = 0x4D80;
pub const WRITING_APP: u32 = 0x5741;
pub const TRACKS: u32 = 0x1654_AE6B;
pub const TRACK_ENTRY: u32 = 0xAE;
pub const TRACK_NUMBER: u32 = 0xD7;
pub const TRACK_TYPE: u32 = 0x83;
pub const CODEC_ID: u32 = 0x86;
pub const CODEC_PRIVATE: u32 = 0x63A2;
pub const DEFAULT_DURATION: u32 = 0x23_E383;
pub const VIDEO: u32 = 0xE0;
pub const PIXEL_WIDTH: u32 = 0xB0;
pub const PIXEL_HEIGHT: u32 = 0xBA;
pub const AUDIO: u32 = 0xE1;
pub const SAMPLING_FREQUENCY: u32 = 0xB5;
pub const CHANNELS: u32 = 0x9F;
pub const CLUSTER: u32 = 0x1F43_B675;
pub const CUES: u32 = 0x1C53_BB6B;
pub const TAGS: u32 = 0x1254_C367;
pub const CHAPTERS: u32 = 0x1043_A770;
pub const ATTACHMENTS: u32 = 0x1941_A469;

pub const TAG: u32 = 0x7373;
pub const SIMPLE_TAG: u32 = 0x67C8;
pub const TAG_NAME: u32 = 0x45A3;
pub const TAG_STRING: u32 = 0x4487;

pub const TIMECODE: u32 = 0xE7;
pub const POSITION: u32 = 0xA7;
pub const PREV_SIZE: u32 = 0xAB;
pub const SILENT_TRACKS: u32 = 0x5854;
pub const SIMPLE_BLOCK: u32 = 0xA3;
pub const BLOCK_GROUP: u32 = 0xA0;
pub const BLOCK: u32 = 0xA1;
pub const REFERENCE_BLOCK: u32 = 0xFB;
pub const BLOCK_DURATION: u32 = 0x9B;
pub const ENCRYPTED_BLOCK: u32 = 0xAF;

pub const VOID: u32 = 0xEC;
pub const CRC32: u32 = 0xBF;

/// The Matroska track types of video and audio tracks.
pub const TRACK_TYPE_VIDEO: u64 = 1;
pub const TRACK_TYPE_AUDIO: u64 = 2;

/// Elements that sit directly in a Segment: one of these ends a Cluster of unknown size.
pub fn is_segment_child(id: u32) -> bool {
    matches!(
        id,
        SEEK_HEAD | INFO | TRACKS | CLUSTER | CUES | TAGS | CHAPTERS | ATTACHMENTS
    )
}

/// Elements a Cluster may hold.
pub fn is_cluster_child(id: u32) -> bool {
    matches!(
        id,
        TIMECODE
            | POSITION
            | PREV_SIZE
            | SILENT_TRACKS
            | SIMPLE_BLOCK
            | BLOCK_GROUP
            | ENCRYPTED_BLOCK
            | VOID
            | CRC32
    )
}
