//! Nexmark over the Analytics engine, on one thread: events from the `nexmark` generator (fixed
//! seed and base time), already decoded into rows of the in-application streams `PERSON`,
//! `AUCTION` and `BID` (ROWTIME is the event's time), pushed through each query's compiled plan.
//! Prints events/s per query. q0–q2, q5 and q7 read the bids; q8 reads persons and auctions
//! (the figure counts the events the query reads).
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
        // Hot items: bids per auction in 10-second windows every 2 seconds, the most bids of each
        // window, and the auctions that had them.
        r#"CREATE STREAM "COUNTS" (auction BIGINT, num BIGINT, starttime TIMESTAMP, endtime TIMESTAMP);
           CREATE PUMP "C" AS INSERT INTO "COUNTS"
             SELECT STREAM auction, COUNT(*), window_start, window_end
             FROM TABLE(HOP(TABLE "BID", DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
             GROUP BY auction, window_start, window_end;
           CREATE STREAM "MAXES" (maxnum BIGINT, endtime TIMESTAMP);
           CREATE PUMP "M" AS INSERT INTO "MAXES"
             SELECT STREAM MAX(num), endtime
             FROM TABLE(TUMBLE(TABLE "COUNTS", DESCRIPTOR(endtime), INTERVAL '2' SECOND))
             GROUP BY endtime, window_start, window_end;
           CREATE STREAM "OUT" (auction BIGINT, num BIGINT);
           CREATE PUMP "P" AS INSERT INTO "OUT"
             SELECT STREAM c.auction, c.num
             FROM "MAXES" AS m JOIN "COUNTS" OVER (RANGE INTERVAL '10' SECOND PRECEDING) AS c
             ON c.endtime = m.endtime AND c.num = m.maxnum;"#,
    ),
    (
        "q5s",
        // Not Nexmark's: the bids of each auction in the 10 seconds before each bid, a sliding
        // window (one row per bid).
        r#"CREATE STREAM "OUT" (auction BIGINT, bids BIGINT, top BIGINT);
           CREATE PUMP "P" AS INSERT INTO "OUT"
             SELECT STREAM auction, COUNT(*) OVER w, MAX(price) OVER w FROM "BID"
             WINDOW w AS (PARTITION BY auction RANGE INTERVAL '10' SECOND PRECEDING);"#,
    ),
    (
        "q7",
        // Highest bid: the maximum price of each 10-second window, joined back to the bids of
        // that window that had it.
        r#"CREATE STREAM "MAXES" (maxprice BIGINT, endtime TIMESTAMP);
           CREATE PUMP "M" AS INSERT INTO "MAXES"
             SELECT STREAM MAX(price), window_end
             FROM TABLE(TUMBLE(TABLE "BID", DESCRIPTOR(date_time), INTERVAL '10' SECOND))
             GROUP BY window_start, window_end;
           CREATE STREAM "OUT" (auction BIGINT, price BIGINT, bidder BIGINT, date_time TIMESTAMP);
           CREATE PUMP "P" AS INSERT INTO "OUT"
             SELECT STREAM b.auction, b.price, b.bidder, b.date_time
             FROM "MAXES" AS m JOIN "BID" OVER (RANGE INTERVAL '10' SECOND PRECEDING) AS b
             ON b.price = m.maxprice
             AND b.date_time >= m.endtime - INTERVAL '10' SECOND AND b.date_time < m.endtime;"#,
    ),
    (
        "q8",
        // New users: persons who opened an auction in the same 10-second window they joined.
        r#"CREATE STREAM "P" (id BIGINT, name VARCHAR(64), starttime TIMESTAMP);
           CREATE PUMP "PP" AS INSERT INTO "P"
             SELECT STREAM id, name, window_start
             FROM TABLE(TUMBLE(TABLE "PERSON", DESCRIPTOR(date_time), INTERVAL '10' SECOND))
             GROUP BY id, name, window_start, window_end;
           CREATE STREAM "A" (seller BIGINT, starttime TIMESTAMP);
           CREATE PUMP "AP" AS INSERT INTO "A"
             SELECT STREAM seller, window_start
             FROM TABLE(TUMBLE(TABLE "AUCTION", DESCRIPTOR(date_time), INTERVAL '10' SECOND))
             GROUP BY seller, window_start, window_end;
           CREATE STREAM "OUT" (id BIGINT, name VARCHAR(64), starttime TIMESTAMP);
           CREATE PUMP "J" AS INSERT INTO "OUT"
             SELECT STREAM p.id, p.name, p.starttime
             FROM "P" OVER (RANGE INTERVAL '10' SECOND PRECEDING) AS p
             JOIN "A" OVER (RANGE INTERVAL '10' SECOND PRECEDING) AS a
             ON p.id = a.seller AND p.starttime = a.starttime;"#,
    ),
];

/// The first `n` events, each as (stream, row).
fn events(n: usize) -> Vec<(&'static str, Row)> {
    let config = NexmarkConfig {
        base_time: BASE_TIME,
        ..NexmarkConfig::default()
    };
    let ts = |t: u64| Value::Timestamp(t as i64);
    EventGenerator::new(config)
        .take(n)
        .map(|e| match e {
            Event::Person(p) => (
                "PERSON",
                vec![
                    ts(p.date_time),
                    Value::Int(p.id as i64),
                    Value::Str(p.name),
                    Value::Str(p.email_address),
                    Value::Str(p.city),
                    Value::Str(p.state),
                    ts(p.date_time),
                ],
            ),
            Event::Auction(a) => (
                "AUCTION",
                vec![
                    ts(a.date_time),
                    Value::Int(a.id as i64),
                    Value::Str(a.item_name),
                    Value::Int(a.initial_bid as i64),
                    Value::Int(a.reserve as i64),
                    ts(a.date_time),
                    ts(a.expires),
                    Value::Int(a.seller as i64),
                    Value::Int(a.category as i64),
                ],
            ),
            Event::Bid(b) => (
                "BID",
                vec![
                    ts(b.date_time),
                    Value::Int(b.auction as i64),
                    Value::Int(b.bidder as i64),
                    Value::Int(b.price as i64),
                    Value::Str(b.channel),
                    Value::Str(b.url),
                    ts(b.date_time),
                    Value::Str(b.extra),
                ],
            ),
        })
        .collect()
}

fn def(name: &str, columns: &[(&str, SqlType)]) -> StreamDef {
    StreamDef {
        name: name.into(),
        columns: columns
            .iter()
            .map(|(c, t)| ((*c).to_owned(), t.clone()))
            .collect(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let wanted: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let t = Instant::now();
    let all = events(n);
    eprintln!(
        "generated {} events in {:.2} s",
        all.len(),
        t.elapsed().as_secs_f64()
    );
    use SqlType::*;
    let inputs = [
        def(
            "PERSON",
            &[
                ("ID", BigInt),
                ("NAME", Varchar(None)),
                ("EMAIL_ADDRESS", Varchar(None)),
                ("CITY", Varchar(None)),
                ("STATE", Varchar(None)),
                ("DATE_TIME", Timestamp),
            ],
        ),
        def(
            "AUCTION",
            &[
                ("ID", BigInt),
                ("ITEM_NAME", Varchar(None)),
                ("INITIAL_BID", BigInt),
                ("RESERVE", BigInt),
                ("DATE_TIME", Timestamp),
                ("EXPIRES", Timestamp),
                ("SELLER", BigInt),
                ("CATEGORY", BigInt),
            ],
        ),
        def(
            "BID",
            &[
                ("AUCTION", BigInt),
                ("BIDDER", BigInt),
                ("PRICE", BigInt),
                ("CHANNEL", Varchar(None)),
                ("URL", Varchar(None)),
                ("DATE_TIME", Timestamp),
                ("EXTRA", Varchar(None)),
            ],
        ),
    ];
    for (name, code) in QUERIES {
        if !wanted.is_empty() && !wanted.contains(name) {
            continue;
        }
        let reads: &[&str] = if *name == "q8" {
            &["PERSON", "AUCTION"]
        } else {
            &["BID"]
        };
        let rows: Vec<&(&str, Row)> = all.iter().filter(|(s, _)| reads.contains(s)).collect();
        let program = sluice_analytics::parse(code).expect("query parses");
        let mut plan = AppPlan::compile(&program, &inputs, &[]).expect("query compiles");
        let mut out = Vec::with_capacity(1024);
        let mut produced = 0usize;
        let start = Instant::now();
        for (stream, row) in &rows {
            plan.push(stream, row.clone(), &mut out);
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
