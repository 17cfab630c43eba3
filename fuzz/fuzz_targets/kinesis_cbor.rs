//! Any bytes as the body of any Kinesis operation, decoded as Cbor: a domain input or an AWS error,
//! never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_wire::Protocol;
use sluice_wire::kinesis::probe::{decode_request, operations};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let ops = operations();
    let _ = decode_request(ops[pick as usize % ops.len()], Protocol::Cbor, body);
});
