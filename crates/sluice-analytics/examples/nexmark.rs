//! Nexmark over the Analytics engine, on one thread: bids from the `nexmark` generator (fixed
//! seed and base time), already decoded into rows of an in-application stream whose ROWTIME is
//! the bid's event time, pushed through each query's compiled plan. Prints events/s per query.
//!
//! `cargo run --release -p sluice-analytics --example nexmark -- [EVENTS] [QUERY...]`

use nexmark::EventGenerator;
use nexmark::config::NexmarkConfig;
use nexmark::event::Event;
use sluice_analytics::plan::{AppPlan, Row, StreamDef};
use sluice_analytics::value::{SqlType, Value};
use std::time::Instant;

const BASE_TIME: u64 = 1_767_225_600_000; // 2026-01-01 00:00:00 UTC

const QUERIES: &[(&str, &str)] = &[
    (
        "q0",
        r#"CREATE STREAM "OUT" (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP);
           CREATE PUMP "P" AS INSERT INTO "OUT"
             SELECT STREAM auction, bidder, price, date_time FROM "BID";"#,
    ),
    (
        "q1",
        r#"CREATE STREAM "OUT" (auction BIGINT, bidder BIGINT, price DOUBLE, date_time TIMESTAMP);
           CREATE PUMP "P" AS INSERT INTO "OUT"
             SELECT STREAM auction, bidder, 0.908 * price, date_time FROM "BID";"#,
    ),
    (
        "q2",
        r#"CREATE STREAM "OUT" (auction BIGINT, price BIGINT);
           CREATE PUMP "P" AS INSERT INTO "OUT"
             SELECT STREAM auction, price FROM "BID" WHERE MOD(auction, 123) = 0;"#,
    ),
    (
        "q5",
        r#"CREATE STREAM "OUT" (auction BIGINT, bids BIGINT);
           CREATE PUMP "P" AS INSERT INTO "OUT"
             SELECT STREAM auction, COUNT(*) OVER (PARTITION BY auction RANGE INTERVAL '10' SECOND PRECEDING)
             FROM "BID";"#,
    ),
    (
        "q7",
        r#"CREATE STREAM "OUT" (max_price BIGINT, bids BIGINT);
           CREATE PUMP "P" AS INSERT INTO "OUT"
             SELECT STREAM MAX(price), COUNT(*) FROM "BID"
             GROUP BY STEP("BID".ROWTIME BY INTERVAL '10' SECOND);"#,
    ),
];

fn bids(n: usize) -> Vec<Row> {
    let config = NexmarkConfig {
        base_time: BASE_TIME,
        ..NexmarkConfig::default()
    };
    EventGenerator::new(config)
        .filter_map(|e| match e {
            Event::Bid(b) => Some(vec![
                Value::Timestamp(b.date_time as i64),
                Value::Int(b.auction as i64),
                Value::Int(b.bidder as i64),
                Value::Int(b.price as i64),
                Value::Str(b.channel),
                Value::Str(b.url),
                Value::Timestamp(b.date_time as i64),
                Value::Str(b.extra),
            ]),
            _ => None,
        })
        .take(n)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let wanted: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let t = Instant::now();
    let rows = bids(n);
    eprintln!(
        "generated {} bids in {:.2} s",
        rows.len(),
        t.elapsed().as_secs_f64()
    );
    let bid = StreamDef {
        name: "BID".into(),
        columns: vec![
            ("AUCTION".into(), SqlType::BigInt),
            ("BIDDER".into(), SqlType::BigInt),
            ("PRICE".into(), SqlType::BigInt),
            ("CHANNEL".into(), SqlType::Varchar(None)),
            ("URL".into(), SqlType::Varchar(None)),
            ("DATE_TIME".into(), SqlType::Timestamp),
            ("EXTRA".into(), SqlType::Varchar(None)),
        ],
    };
    for (name, code) in QUERIES {
        if !wanted.is_empty() && !wanted.contains(name) {
            continue;
        }
        let program = sluice_analytics::parse(code).expect("query parses");
        let mut plan =
            AppPlan::compile(&program, std::slice::from_ref(&bid), &[]).expect("query compiles");
        let mut out = Vec::with_capacity(1024);
        let mut produced = 0usize;
        let start = Instant::now();
        for row in &rows {
            plan.push("BID", row.clone(), &mut out);
            produced += out.iter().filter(|(s, _)| s == "OUT").count();
            out.clear();
        }
        plan.tick(i64::MAX / 2, &mut out);
        produced += out.iter().filter(|(s, _)| s == "OUT").count();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name}: {} events in {secs:.3} s = {:.0} events/s, {produced} rows out",
            rows.len(),
            rows.len() as f64 / secs
        );
    }
}
