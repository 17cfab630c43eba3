use super::*;

const TUMBLING: &str = r#"
-- Counts per ticker every 10 seconds.
CREATE OR REPLACE STREAM "DESTINATION_SQL_STREAM" (
ticker_symbol VARCHAR(4),
"Ticker_Count" INTEGER,
avg_price DOUBLE);
CREATE OR REPLACE PUMP "STREAM_PUMP" AS
  INSERT INTO "DESTINATION_SQL_STREAM"
SELECT STREAM ticker_symbol, COUNT(*) AS ticker_count, AVG(price)
FROM "SOURCE_SQL_STREAM_001"
GROUP BY ticker_symbol,
         STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '10' SECOND);
"#;

#[test]
fn streams_and_pumps_are_read() {
    let p = parse(TUMBLING).unwrap();
    assert_eq!(p.statements.len(), 2);
    let Statement::CreateStream {
        name, columns, at, ..
    } = &p.statements[0]
    else {
        panic!("{:?}", p.statements[0]);
    };
    assert_eq!(name.name(), "DESTINATION_SQL_STREAM");
    assert_eq!((at.line, at.column), (3, 1));
    let cols: Vec<(String, &str)> = columns
        .iter()
        .map(|c| (c.name.name(), c.sql_type.as_str()))
        .collect();
    assert_eq!(
        cols,
        vec![
            ("TICKER_SYMBOL".to_owned(), "VARCHAR(4)"),
            ("Ticker_Count".to_owned(), "INTEGER"),
            ("AVG_PRICE".to_owned(), "DOUBLE"),
        ]
    );
    let Statement::CreatePump {
        name,
        target,
        query,
        ..
    } = &p.statements[1]
    else {
        panic!("{:?}", p.statements[1]);
    };
    assert_eq!(name.name(), "STREAM_PUMP");
    assert_eq!(target.name(), "DESTINATION_SQL_STREAM");
    let text = query.to_string();
    // STREAM is not read as a column, and STEP's BY became an argument separator.
    assert!(
        text.starts_with("SELECT ticker_symbol, COUNT(*) AS ticker_count"),
        "{text}"
    );
    assert!(
        text.contains("STEP(\"SOURCE_SQL_STREAM_001\".ROWTIME, INTERVAL '10' SECOND)"),
        "{text}"
    );
}

#[test]
fn identifiers_fold_unless_quoted() {
    let p =
        parse(r#"create stream s ("a" int, b varchar(8), "Mixed Case" double precision)"#).unwrap();
    let (name, cols) = p.streams().next().unwrap();
    assert_eq!(name.name(), "S");
    let names: Vec<String> = cols.iter().map(|c| c.name.name()).collect();
    assert_eq!(names, ["a", "B", "Mixed Case"]);
    assert_eq!(cols[2].sql_type, "DOUBLE PRECISION");
}

#[test]
fn a_pump_may_name_its_columns_and_nest_select_stream() {
    let p = parse(
        "CREATE PUMP p AS INSERT INTO \"out\" (a, b) \
         SELECT STREAM a, b FROM (SELECT STREAM x AS a, y AS b FROM \"in\")",
    )
    .unwrap();
    let Statement::CreatePump {
        target_columns,
        query,
        ..
    } = &p.statements[0]
    else {
        panic!()
    };
    assert_eq!(target_columns.as_ref().map(|c| c.len()), Some(2));
    assert!(!query.to_string().contains("STREAM"), "{query}");
}

#[test]
fn errors_point_at_line_and_column() {
    let cases: &[(&str, u64, u64, &str)] = &[
        ("CREATE TABLE t (a int)", 1, 8, "expected STREAM or PUMP"),
        (
            "CREATE STREAM s (a int,\n  )",
            2,
            3,
            "expected a column name",
        ),
        (
            "CREATE STREAM s (a)",
            1,
            19,
            "expected the type of column a",
        ),
        (
            "CREATE PUMP p AS INSERT INTO s\n  SELECT STREAM a FROM",
            2,
            23,
            "",
        ),
        (
            "CREATE PUMP p AS INSERT INTO s\n  VALUES (1)",
            2,
            3,
            "expected SELECT STREAM",
        ),
        (
            "CREATE PUMP p AS INSERT INTO s SELECT STREAM a FROM t t2 t3",
            1,
            58,
            "unexpected t3",
        ),
        ("CREATE STREAM s (a int) extra", 1, 25, "expected ;"),
        ("CREATE STREAM 's' (a int)", 1, 15, "expected a stream name"),
        ("SELECT 1", 1, 1, "expected CREATE"),
    ];
    for (code, line, column, msg) in cases {
        let e = parse(code).unwrap_err();
        assert_eq!((e.line, e.column), (*line, *column), "{code}: {e}");
        assert!(e.message.contains(msg), "{code}: {e}");
    }
    let e = parse("CREATE STREAM s (a 'unterminated)").unwrap_err();
    assert_eq!(e.line, 1, "{e}");
}

#[test]
fn deep_nesting_is_refused_not_a_crash() {
    let deep = format!(
        "CREATE PUMP p AS INSERT INTO s SELECT STREAM {}1{} FROM t",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let e = parse(&deep).unwrap_err();
    assert!(e.message.contains("nested too deeply"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    /// Token soup from the dialect's own words: a program or an error, never a panic.
    #[test]
    fn arbitrary_code_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
        "CREATE", "OR", "REPLACE", "STREAM", "PUMP", "AS", "INSERT", "INTO", "SELECT", "FROM",
        "WHERE", "GROUP", "BY", "STEP", "(", ")", ",", ";", "\"s\"", "a", "1", "'x'", "INTERVAL",
        "SECOND", "ROWTIME", "WINDOW", "OVER", "RANGE", "PRECEDING", "-- c\n", "/*", "*/", "\"",
        "'", "+", "*", "VARCHAR(4)", "CASE", "WHEN", "THEN", "END", "JOIN", "ON",
    ]), 0..40)) {
        let _ = parse(&parts.join(" "));
    }

    #[test]
    fn arbitrary_text_never_panics(code in "\\PC{0,200}") {
        let _ = parse(&code);
    }
}

#[test]
fn empty_statements_and_comments_are_skipped() {
    let p = parse("-- nothing\n;;/* still nothing */;").unwrap();
    assert!(p.statements.is_empty());
}
