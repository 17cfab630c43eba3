//! Any text as an application's code: a program or a parse error with its line and column,
//! never a panic, a stack overflow or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(code) = std::str::from_utf8(data) {
        let _ = sluice_analytics::parse(code);
    }
});
