use super::*;
use crate::value::parse_timestamp;

fn input() -> StreamDef {
    StreamDef {
        name: "SOURCE_SQL_STREAM_001".into(),
        columns: vec![
            ("ticker_symbol".into(), SqlType::Varchar(Some(4))),
            ("price".into(), SqlType::Double),
        ],
    }
}

fn row(ts: &str, t: &str, p: f64) -> Row {
    vec![
        Value::Timestamp(parse_timestamp(ts).unwrap()),
        Value::Str(t.into()),
        Value::Double(p),
    ]
}

fn plan(code: &str) -> AppPlan {
    AppPlan::compile(&crate::parse(code).unwrap(), &[input()], &[]).unwrap()
}

fn rows_of(out: &[(String, Row)], stream: &str) -> Vec<Vec<String>> {
    out.iter()
        .filter(|(s, _)| s == stream)
        .map(|(_, r)| r.iter().map(|v| v.to_string()).collect())
        .collect()
}

#[test]
fn a_map_pump_filters_and_projects() {
    let mut p = plan(
        r#"CREATE OR REPLACE STREAM "DEST" (t VARCHAR(4), doubled DOUBLE);
           CREATE OR REPLACE PUMP "P" AS INSERT INTO "DEST"
           SELECT STREAM UPPER("ticker_symbol"), "price" * 2 FROM "SOURCE_SQL_STREAM_001"
           WHERE "price" > 10;"#,
    );
    let mut out = Vec::new();
    p.push(
        "SOURCE_SQL_STREAM_001",
        row("2026-01-01 00:00:01", "amzn", 12.0),
        &mut out,
    );
    p.push(
        "SOURCE_SQL_STREAM_001",
        row("2026-01-01 00:00:02", "ibm", 5.0),
        &mut out,
    );
    assert_eq!(
        rows_of(&out, "DEST"),
        vec![vec!["2026-01-01 00:00:01.000", "AMZN", "24.0"]]
    );
}

#[test]
fn a_tumbling_window_emits_when_it_closes() {
    let mut p = plan(
        r#"CREATE OR REPLACE STREAM "DEST" (ticker_symbol VARCHAR(4), n INTEGER, avg_price DOUBLE, hi DOUBLE);
           CREATE OR REPLACE PUMP "P" AS INSERT INTO "DEST"
           SELECT STREAM "ticker_symbol", COUNT(*), AVG("price"), MAX("price")
           FROM "SOURCE_SQL_STREAM_001" AS s
           GROUP BY "ticker_symbol", STEP(s.ROWTIME BY INTERVAL '10' SECOND);"#,
    );
    let mut out = Vec::new();
    let src = "SOURCE_SQL_STREAM_001";
    p.push(src, row("2026-01-01 00:00:01", "a", 1.0), &mut out);
    p.push(src, row("2026-01-01 00:00:02", "b", 5.0), &mut out);
    p.push(src, row("2026-01-01 00:00:09", "a", 3.0), &mut out);
    assert!(rows_of(&out, "DEST").is_empty());
    // A row of the next window closes [00:00:00, 00:00:10).
    p.push(src, row("2026-01-01 00:00:11", "a", 7.0), &mut out);
    assert_eq!(
        rows_of(&out, "DEST"),
        vec![
            vec!["2026-01-01 00:00:10.000", "a", "2", "2.0", "3.0"],
            vec!["2026-01-01 00:00:10.000", "b", "1", "5.0", "5.0"],
        ]
    );
    out.clear();
    p.tick(parse_timestamp("2026-01-01 00:00:19").unwrap(), &mut out);
    assert!(rows_of(&out, "DEST").is_empty());
    p.tick(parse_timestamp("2026-01-01 00:00:20").unwrap(), &mut out);
    assert_eq!(
        rows_of(&out, "DEST"),
        vec![vec!["2026-01-01 00:00:20.000", "a", "1", "7.0", "7.0"]]
    );
}

#[test]
fn a_sliding_window_answers_every_row() {
    let mut p = plan(
        r#"CREATE OR REPLACE STREAM "DEST" (t VARCHAR(4), avg_price DOUBLE, n INTEGER, last2 DOUBLE);
           CREATE OR REPLACE PUMP "P" AS INSERT INTO "DEST"
           SELECT STREAM "ticker_symbol",
                  AVG("price") OVER W1,
                  COUNT(*) OVER W1,
                  SUM("price") OVER (PARTITION BY "ticker_symbol" ROWS 1 PRECEDING)
           FROM "SOURCE_SQL_STREAM_001"
           WINDOW W1 AS (PARTITION BY "ticker_symbol" RANGE INTERVAL '10' SECOND PRECEDING);"#,
    );
    let mut out = Vec::new();
    let src = "SOURCE_SQL_STREAM_001";
    p.push(src, row("2026-01-01 00:00:00", "a", 1.0), &mut out);
    p.push(src, row("2026-01-01 00:00:05", "b", 100.0), &mut out);
    p.push(src, row("2026-01-01 00:00:06", "a", 3.0), &mut out);
    p.push(src, row("2026-01-01 00:00:11", "a", 8.0), &mut out);
    assert_eq!(
        rows_of(&out, "DEST"),
        vec![
            vec!["2026-01-01 00:00:00.000", "a", "1.0", "1", "1.0"],
            vec!["2026-01-01 00:00:05.000", "b", "100.0", "1", "100.0"],
            vec!["2026-01-01 00:00:06.000", "a", "2.0", "2", "4.0"],
            // 00:00:00 is more than 10 s before 00:00:11: out of the range frame.
            vec!["2026-01-01 00:00:11.000", "a", "5.5", "2", "11.0"],
        ]
    );
}

#[test]
fn distinct_counts_and_first_and_last_values() {
    let mut p = plan(
        r#"CREATE STREAM "DEST" (n INTEGER, first_t VARCHAR(4), last_t VARCHAR(4), seen INTEGER);
           CREATE PUMP "P" AS INSERT INTO "DEST"
           SELECT STREAM COUNT(DISTINCT "ticker_symbol"), FIRST_VALUE("ticker_symbol"),
                  LAST_VALUE("ticker_symbol"), COUNT("price")
           FROM "SOURCE_SQL_STREAM_001"
           GROUP BY FLOOR("SOURCE_SQL_STREAM_001".ROWTIME TO MINUTE);"#,
    );
    let mut out = Vec::new();
    let src = "SOURCE_SQL_STREAM_001";
    for (t, s) in [("01", "a"), ("02", "b"), ("03", "a"), ("04", "c")] {
        p.push(src, row(&format!("2026-01-01 00:00:{t}"), s, 1.0), &mut out);
    }
    p.tick(parse_timestamp("2026-01-01 00:01:00").unwrap(), &mut out);
    assert_eq!(
        rows_of(&out, "DEST"),
        vec![vec!["2026-01-01 00:01:00.000", "3", "a", "c", "4"]]
    );
}

#[test]
fn rows_that_fail_go_to_the_error_stream() {
    let mut p = plan(
        r#"CREATE STREAM "DEST" (t VARCHAR(2));
           CREATE PUMP "P" AS INSERT INTO "DEST" SELECT STREAM "ticker_symbol" FROM "SOURCE_SQL_STREAM_001";"#,
    );
    let mut out = Vec::new();
    p.push(
        "SOURCE_SQL_STREAM_001",
        row("2026-01-01 00:00:01", "amzn", 1.0),
        &mut out,
    );
    assert!(rows_of(&out, "DEST").is_empty());
    let errors = rows_of(&out, ERROR_STREAM);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0][4].contains("longer than the 2 characters"),
        "{errors:?}"
    );
}

#[test]
fn random_cut_forest_scores_an_outlier_high() {
    let mut p = plan(
        r#"CREATE STREAM "DEST" (t VARCHAR(4), price DOUBLE, "ANOMALY_SCORE" DOUBLE);
           CREATE PUMP "P" AS INSERT INTO "DEST"
           SELECT STREAM * FROM TABLE(RANDOM_CUT_FOREST(
               CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 50, 64));"#,
    );
    let mut out = Vec::new();
    let src = "SOURCE_SQL_STREAM_001";
    let mut push = |i: i64, price: f64, out: &mut Vec<(String, Row)>| {
        let mut r = row("2026-01-01 00:00:00", "a", price);
        r[0] = Value::Timestamp(1_767_225_600_000 + i);
        p.push(src, r, out);
    };
    for i in 0..400 {
        push(i, 100.0 + (i % 7) as f64 * 0.5, &mut out);
    }
    push(400, 1000.0, &mut out);
    let scores: Vec<f64> = out
        .iter()
        .filter(|(s, _)| s == "DEST")
        .map(|(_, r)| r[3].as_f64().unwrap())
        .collect();
    assert_eq!(scores.len(), 401);
    // Nothing is scored until the forest has seen a quarter of its sample size.
    assert!(
        scores[..16].iter().all(|s| *s == 0.0),
        "{:?}",
        &scores[..16]
    );
    let normal = scores[200..400].iter().cloned().fold(0.0, f64::max);
    assert!(
        scores[400] > 2.0 * normal && scores[400] > 1.0,
        "outlier {} vs normal {normal}",
        scores[400]
    );
}

/// Queries of the dialect's shapes (windows, joins, table functions, subqueries), each
/// part picked at random and some tokens dropped or repeated.
fn query_parts() -> impl proptest::strategy::Strategy<Value = (Vec<&'static str>, usize, usize)> {
    use proptest::sample::select;
    use proptest::strategy::Strategy;
    (
        select(vec![
            r#""ticker_symbol", "price""#,
            r#"UPPER("ticker_symbol"), "price" * 2"#,
            r#""ticker_symbol", SUM("price")"#,
            r#""ticker_symbol", COUNT(*) OVER (PARTITION BY "ticker_symbol" RANGE INTERVAL '1' SECOND PRECEDING)"#,
            r#""ticker_symbol", MAX("price") OVER (ROWS 2 PRECEDING)"#,
            "*",
            r#"T.REC.COLUMN1, T."price""#,
            r#"window_start, COUNT(*)"#,
            r#""ticker_symbol", "ANOMALY_SCORE""#,
            r#""ticker_symbol", "MOST_FREQUENT_VALUES""#,
            r#"s."ticker_symbol", t."price""#,
        ]),
        select(vec![
            r#""SOURCE_SQL_STREAM_001" AS s"#,
            r#"TABLE(TOP_K_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'ticker_symbol', 2, 1))"#,
            r#"TABLE(COUNT_DISTINCT_ITEMS_TUMBLING(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 'ticker_symbol', 1))"#,
            r#"TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM * FROM "SOURCE_SQL_STREAM_001"), 10, 16))"#,
            r#"TABLE(HOTSPOTS(CURSOR(SELECT STREAM "price", "price" FROM "SOURCE_SQL_STREAM_001"), 10, 0.5, 2))"#,
            r#"TABLE(TUMBLE(TABLE "SOURCE_SQL_STREAM_001", DESCRIPTOR(ROWTIME), INTERVAL '1' SECOND))"#,
            r#"TABLE(HOP(TABLE "SOURCE_SQL_STREAM_001", DESCRIPTOR(ROWTIME), INTERVAL '1' SECOND, INTERVAL '2' SECOND))"#,
            r#"(SELECT STREAM "price", REGEX_LOG_PARSE("ticker_symbol", '(\w)(\w*)') AS REC FROM "SOURCE_SQL_STREAM_001") AS T"#,
            r#"(SELECT STREAM W3C_LOG_PARSE("ticker_symbol", 'COMMON'), "price" FROM "SOURCE_SQL_STREAM_001") AS T(REC, "price")"#,
            r#""SOURCE_SQL_STREAM_001" OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS s JOIN "D2" AS t ON s."ticker_symbol" = t."ticker_symbol""#,
            r#""SOURCE_SQL_STREAM_001" AS s LEFT JOIN "D2" OVER (ROWS 3 PRECEDING) AS t ON s."price" > t."price""#,
        ]),
        select(vec!["", r#"WHERE "price" > 1"#, "WHERE window_end > ROWTIME"]),
        select(vec![
            "",
            r#"GROUP BY "ticker_symbol", STEP(s.ROWTIME BY INTERVAL '1' SECOND)"#,
            r#"GROUP BY "ticker_symbol", FLOOR("SOURCE_SQL_STREAM_001".ROWTIME TO SECOND)"#,
            r#"WINDOWED BY STAGGER (PARTITION BY "ticker_symbol" RANGE INTERVAL '1' SECOND)"#,
            "GROUP BY window_start, window_end",
            r#"ORDER BY FLOOR(s.ROWTIME TO SECOND), "price" DESC"#,
            r#"ORDER BY ROWTIME, "ticker_symbol""#,
        ]),
        0usize..64,
        0usize..3,
    )
        .prop_map(|(items, from, filter, group, at, how)| {
            (vec!["SELECT STREAM", items, "FROM", from, filter, group], at, how)
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    /// Such queries compile and run rows (and the clock), or fail to compile; never panic.
    #[test]
    fn queries_of_the_dialect_compile_and_run_or_fail_cleanly((parts, at, how) in query_parts()) {
        let mut tokens: Vec<String> = parts.join(" ").split(' ').map(str::to_owned).collect();
        let at = at % tokens.len();
        match how {
            1 => { tokens.remove(at); }
            2 => { let t = tokens[at].clone(); tokens.insert(at, t); }
            _ => {}
        }
        let code = format!(
            "CREATE STREAM \"D\" (a VARCHAR(8), b DOUBLE);\nCREATE STREAM \"D2\" (\"ticker_symbol\" VARCHAR(4), \"price\" DOUBLE);\nCREATE PUMP \"P2\" AS INSERT INTO \"D2\" SELECT STREAM \"ticker_symbol\", \"price\" FROM \"SOURCE_SQL_STREAM_001\";\nCREATE PUMP \"P\" AS INSERT INTO \"D\" {};",
            tokens.join(" ")
        );
        let Ok(program) = crate::parse(&code) else { return Ok(()); };
        if let Ok(mut p) = AppPlan::compile(&program, &[input()], &[]) {
            let mut out = Vec::new();
            for (i, (t, price)) in [("a", 1.0), ("b", 2.5), ("a", 1e9), ("c", -3.0)].into_iter().enumerate() {
                p.push("SOURCE_SQL_STREAM_001", row(&format!("2026-01-01 00:00:0{i}"), t, price), &mut out);
            }
            p.tick(parse_timestamp("2026-01-02 00:00:00").unwrap(), &mut out);
        }
    }
}

#[test]
fn compile_errors_name_the_statement() {
    let bad = |code: &str| {
        AppPlan::compile(&crate::parse(code).unwrap(), &[input()], &[])
            .unwrap_err()
            .message
    };
    let m = bad(
        "CREATE STREAM d (a INT);\nCREATE PUMP p AS INSERT INTO d SELECT STREAM nope FROM \"SOURCE_SQL_STREAM_001\";",
    );
    assert!(
        m.starts_with("line 2, column 46:") && m.contains("Column 'NOPE' not found"),
        "{m}"
    );
    let m =
        bad("CREATE PUMP p AS INSERT INTO missing SELECT STREAM * FROM \"SOURCE_SQL_STREAM_001\";");
    assert!(m.contains("Object 'MISSING' not found"), "{m}");
    let m = bad(
        "CREATE STREAM d (a INT, b INT);\nCREATE PUMP p AS INSERT INTO d SELECT STREAM \"price\" FROM \"SOURCE_SQL_STREAM_001\";",
    );
    assert!(m.contains("Number of INSERT target columns (2)"), "{m}");
    let m = bad(
        "CREATE STREAM d (n INT);\nCREATE PUMP p AS INSERT INTO d SELECT STREAM COUNT(*) FROM \"SOURCE_SQL_STREAM_001\" GROUP BY \"ticker_symbol\";",
    );
    assert!(m.contains("needs a window"), "{m}");
    let m = bad("CREATE STREAM d (a BLOB);");
    assert!(m.contains("unknown type BLOB"), "{m}");
}

#[test]
fn random_cut_forest_explains_which_column_is_anomalous_and_how() {
    let mut p = plan(
        r#"CREATE STREAM "DEST" (price DOUBLE, "ANOMALY_SCORE" DOUBLE, "ANOMALY_EXPLANATION" VARCHAR(2048));
           CREATE PUMP "P" AS INSERT INTO "DEST"
           SELECT STREAM "price", ANOMALY_SCORE, ANOMALY_EXPLANATION FROM TABLE(RANDOM_CUT_FOREST_WITH_EXPLANATION(
               CURSOR(SELECT STREAM "price" FROM "SOURCE_SQL_STREAM_001"), 50, 64, 100000, 1, true));"#,
    );
    let mut out = Vec::new();
    for i in 0..300 {
        let mut r = row("2026-01-01 00:00:00", "a", 100.0 + (i % 5) as f64);
        r[0] = Value::Timestamp(1_767_225_600_000 + i);
        p.push("SOURCE_SQL_STREAM_001", r, &mut out);
    }
    let mut r = row("2026-01-01 00:00:00", "a", 900.0);
    r[0] = Value::Timestamp(1_767_225_600_300);
    p.push("SOURCE_SQL_STREAM_001", r, &mut out);
    let (_, last) = out.iter().rev().find(|(s, _)| s == "DEST").unwrap();
    let explanation: serde_json::Value = serde_json::from_str(&last[3].to_string()).unwrap();
    let price = &explanation["price"];
    assert_eq!(price["DIRECTION"], "HIGH", "{explanation}");
    let attribution: f64 = price["ATTRIBUTION_SCORE"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(attribution > 1.0, "{explanation}");
    assert!(last[2].as_f64().unwrap() > 1.0, "score {}", last[2]);
}
