//! Any text as an application's code: a parse error with its line and column, a compile error,
//! or a plan that runs rows and the clock; never a panic, a stack overflow or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_analytics::plan::{AppPlan, StreamDef};
use sluice_analytics::value::{SqlType, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(code) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(program) = sluice_analytics::parse(code) else {
        return;
    };
    let input = StreamDef {
        name: "SOURCE_SQL_STREAM_001".into(),
        columns: vec![
            ("ticker_symbol".into(), SqlType::Varchar(Some(4))),
            ("price".into(), SqlType::Double),
        ],
    };
    let table = StreamDef {
        name: "REF".into(),
        columns: vec![
            ("ticker_symbol".into(), SqlType::Varchar(Some(4))),
            ("name".into(), SqlType::Varchar(None)),
        ],
    };
    let Ok(mut plan) = AppPlan::compile(&program, &[input], &[table]) else {
        return;
    };
    let base = 1_767_225_600_000i64;
    let mut out = Vec::new();
    for (i, (t, price)) in [("a", 1.0), ("b", 2.5), ("a", 1e9), ("c", -3.0), ("a", f64::NAN)]
        .into_iter()
        .enumerate()
    {
        let row = vec![
            Value::Timestamp(base + 700 * i as i64),
            Value::Str(t.into()),
            Value::Double(price),
        ];
        plan.push("SOURCE_SQL_STREAM_001", row, &mut out);
    }
    plan.tick(base + 86_400_000, &mut out);
});
