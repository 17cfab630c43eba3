//! Any bytes as the body of any Firehose operation: a domain input or an AWS error, never a panic
//! or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_wire::firehose::{Operation, Request};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ops = &Operation::ALL;
    let _ = Request::decode(ops[pick as usize % ops.len()], body);
});
