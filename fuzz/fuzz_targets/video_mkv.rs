//! Any bytes as a PutMedia body, cut into pieces at the first byte's choosing: fragments or an
//! error, never a panic, a hang or memory beyond the fragment limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_video::mkv::ingest::Splitter;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let piece = usize::from(cut).max(1);
    let mut splitter = Splitter::new();
    for chunk in body.chunks(piece) {
        if splitter.push(chunk).1.is_err() {
            return;
        }
    }
    let _ = splitter.finish();
});
