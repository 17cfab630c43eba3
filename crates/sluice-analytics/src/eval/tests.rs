use super::*;
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

fn scope() -> Scope {
    Scope {
        columns: ["TICKER", "price", "N", "ROWTIME"]
            .iter()
            .map(|n| ScopeColumn {
                qualifiers: vec!["SOURCE_SQL_STREAM_001".into(), "S".into()],
                name: (*n).into(),
            })
            .collect(),
    }
}

fn eval(sql: &str) -> Result<Value, String> {
    let e = Parser::new(&GenericDialect {})
        .try_with_sql(sql)
        .unwrap()
        .parse_expr()
        .unwrap();
    let row = vec![
        Value::Str("amzn".into()),
        Value::Double(12.5),
        Value::Null,
        Value::Timestamp(crate::value::parse_timestamp("2026-12-02 10:05:34.123").unwrap()),
    ];
    compile(&e, &scope())?.eval(&row)
}

#[test]
fn expressions_evaluate_as_sql() {
    let s = |v: &str| Ok(Value::Str(v.into()));
    assert_eq!(eval("UPPER(ticker) || '!'"), s("AMZN!"));
    assert_eq!(
        eval("\"price\" * 2 > 20 AND n IS NULL"),
        Ok(Value::Bool(true))
    );
    assert_eq!(eval("n > 1"), Ok(Value::Null));
    assert_eq!(eval("n > 1 OR TRUE"), Ok(Value::Bool(true)));
    assert_eq!(eval("7 / 2"), Ok(Value::Int(3)));
    assert_eq!(eval("7 / 2.0"), Ok(Value::Double(3.5)));
    assert_eq!(eval("ticker LIKE 'am%'"), Ok(Value::Bool(true)));
    assert_eq!(eval("ticker NOT LIKE '_x%'"), Ok(Value::Bool(true)));
    assert_eq!(eval("\"price\" BETWEEN 10 AND 13"), Ok(Value::Bool(true)));
    assert_eq!(eval("ticker IN ('a', 'amzn')"), Ok(Value::Bool(true)));
    assert_eq!(
        eval("CASE WHEN \"price\" > 100 THEN 'high' WHEN \"price\" > 10 THEN 'mid' END"),
        s("mid")
    );
    assert_eq!(
        eval("CASE ticker WHEN 'amzn' THEN 1 ELSE 0 END"),
        Ok(Value::Int(1))
    );
    assert_eq!(
        eval("CAST(\"price\" AS INTEGER)"),
        Err("cannot convert 12.5 to INTEGER".into())
    );
    assert_eq!(eval("CAST('42' AS INTEGER) + 1"), Ok(Value::Int(43)));
    assert_eq!(eval("SUBSTRING(ticker FROM 2 FOR 2)"), s("mz"));
    assert_eq!(eval("SUBSTRING(ticker FROM 3)"), s("zn"));
    assert_eq!(eval("POSITION('zn' IN ticker)"), Ok(Value::Int(3)));
    assert_eq!(eval("TRIM(BOTH 'x' FROM 'xxhixx')"), s("hi"));
    assert_eq!(eval("CHAR_LENGTH(ticker)"), Ok(Value::Int(4)));
    assert_eq!(eval("INITCAP('hello wORLD')"), s("Hello World"));
    assert_eq!(eval("COALESCE(n, 5)"), Ok(Value::Int(5)));
    assert_eq!(
        eval("FLOOR(S.ROWTIME TO MINUTE)").map(|v| v.to_string()),
        Ok("2026-12-02 10:05:00.000".into())
    );
    assert_eq!(eval("1 / 0"), Err("division by zero".into()));
    assert_eq!(eval("-ABS(-3)"), Ok(Value::Int(-3)));
    assert_eq!(eval("EXTRACT(HOUR FROM ROWTIME)"), Ok(Value::Int(10)));
    assert_eq!(
        eval("EXTRACT(YEAR FROM ROWTIME) * 100 + EXTRACT(MONTH FROM ROWTIME)"),
        Ok(Value::Int(202612))
    );
    // 2026-12-02 is a Wednesday (Sunday = 1).
    assert_eq!(eval("EXTRACT(DOW FROM ROWTIME)"), Ok(Value::Int(4)));
    assert_eq!(eval("EXTRACT(DOY FROM ROWTIME)"), Ok(Value::Int(336)));
    assert_eq!(
        eval("TSDIFF(ROWTIME, FLOOR(ROWTIME TO MINUTE))"),
        Ok(Value::Int(34_123))
    );
    assert_eq!(
        eval("UNIX_TIMESTAMP(TO_TIMESTAMP(1700000000000))"),
        Ok(Value::Int(1_700_000_000_000))
    );
    assert_eq!(
        eval("CURRENT_ROW_TIMESTAMP").map(|v| v.to_string()),
        Ok("2026-12-02 10:05:34.123".into())
    );
    assert_eq!(
        eval("REGEX_REPLACE('a1b22c333', '[0-9]+', '#')"),
        s("a#b#c#")
    );
    assert_eq!(
        eval("REGEX_REPLACE('a1b22c333', '[0-9]+', '#', 1, 2)"),
        s("a1b#c333")
    );
    assert_eq!(
        eval("REGEX_REPLACE('a1b22c333', '[0-9]+', '#', 4)"),
        s("a1b#c#")
    );
    assert_eq!(eval("NULLIF(ticker, 'amzn')"), Ok(Value::Null));
    assert!(
        eval("REGEX_REPLACE(ticker, '(', 'x')")
            .unwrap_err()
            .contains("bad REGEX_REPLACE pattern")
    );
}

#[test]
fn unknown_names_are_compile_errors() {
    let e = |sql: &str| eval(sql).unwrap_err();
    assert!(
        e("price").contains("Column 'PRICE' not found"),
        "{}",
        e("price")
    );
    assert!(e("X.ticker").contains("named X"));
    assert!(e("NO_SUCH_FN(1)").contains("No match found for function signature NO_SUCH_FN"));
    assert!(e("UPPER(1, 2)").contains("Invalid number of arguments"));
}
