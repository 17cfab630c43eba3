//! Golden tests: each `golden/queries/NAME.sql` runs over `golden/inputs/NAME.json` (the input
//! schema, records with their ROWTIMEs, and clock ticks) and must give exactly
//! `golden/expected/NAME.json` (every row of every in-application stream the code creates,
//! and of `error_stream`, in order). ROWTIMEs come from the input, never from a clock.
//! An input may also give reference `tables`: a name, columns and CSV or JSON content.
//! `SLUICE_UPDATE_GOLDEN=1` rewrites the expected files.

use serde_json::{Value as Json, json};
use sluice_analytics::mapping::{Mapper, RecordColumn, RecordFormat, SourceSchema};
use sluice_analytics::plan::AppPlan;
use sluice_analytics::value::parse_timestamp;
use std::collections::BTreeMap;
use std::path::Path;

const INPUT: &str = "SOURCE_SQL_STREAM_001";

fn run(name: &str, dir: &Path) -> Json {
    let code = std::fs::read_to_string(dir.join("queries").join(format!("{name}.sql"))).unwrap();
    let input: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("inputs").join(format!("{name}.json"))).unwrap(),
    )
    .unwrap();
    let mapper = Mapper::new(&SourceSchema {
        format: RecordFormat::Json {
            row_path: "$".into(),
        },
        encoding: None,
        columns: columns_of(&input["columns"]),
    })
    .unwrap();
    let mut tables = Vec::new();
    for t in input["tables"].as_array().into_iter().flatten() {
        let format = match t["format"].as_str() {
            Some("CSV") => RecordFormat::Csv {
                row_delimiter: "\n".into(),
                column_delimiter: ",".into(),
            },
            _ => RecordFormat::Json {
                row_path: "$".into(),
            },
        };
        let m = Mapper::new(&SourceSchema {
            format,
            encoding: None,
            columns: columns_of(&t["columns"]),
        })
        .unwrap();
        let table = t["name"].as_str().unwrap().to_owned();
        let (rows, _skipped) = m.table_rows(t["content"].as_str().unwrap().as_bytes());
        tables.push((m.table_def(&table), rows));
    }
    let program = sluice_analytics::parse(&code).unwrap_or_else(|e| panic!("{name}: {e}"));
    let defs: Vec<_> = tables.iter().map(|(d, _)| d.clone()).collect();
    let mut plan = AppPlan::compile(&program, &[mapper.stream_def(INPUT)], &defs)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    for (def, rows) in tables {
        plan.set_table(&def.name, rows);
    }
    let mut out = Vec::new();
    for ev in input["events"].as_array().unwrap() {
        let at = parse_timestamp(ev["at"].as_str().unwrap()).unwrap();
        match ev.get("record") {
            Some(rec) => {
                for row in mapper.rows(rec.to_string().as_bytes(), at, at) {
                    match row {
                        Ok(row) => plan.push(INPUT, row, &mut out),
                        Err(e) => panic!("{name}: record {rec} does not map: {}", e.message),
                    }
                }
            }
            None => plan.tick(at, &mut out),
        }
    }
    // Every stream the code writes, and the error stream, as arrays of objects.
    let mut result: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for (stream, row) in out {
        if stream == INPUT {
            continue;
        }
        let def = &plan.streams[&stream];
        let mut obj = serde_json::Map::new();
        obj.insert("ROWTIME".into(), row[0].to_json());
        for ((col, _), v) in def.columns.iter().zip(row.iter().skip(1)) {
            obj.insert(col.clone(), v.to_json());
        }
        result.entry(stream).or_default().push(Json::Object(obj));
    }
    json!(result)
}

fn columns_of(cols: &Json) -> Vec<RecordColumn> {
    cols.as_array()
        .unwrap()
        .iter()
        .map(|c| RecordColumn {
            name: c["name"].as_str().unwrap().into(),
            mapping: c["mapping"].as_str().map(Into::into),
            sql_type: c["type"].as_str().unwrap().into(),
        })
        .collect()
}

#[test]
fn golden_queries_give_their_expected_rows() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut names: Vec<String> = std::fs::read_dir(dir.join("queries"))
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            let stem = p.file_stem()?.to_string_lossy().into_owned();
            (p.extension()? == "sql").then_some(stem)
        })
        .collect();
    names.sort();
    assert!(names.len() >= 4, "golden queries: {names:?}");
    let update = std::env::var_os("SLUICE_UPDATE_GOLDEN").is_some();
    let mut failed = Vec::new();
    for name in &names {
        let got = run(name, &dir);
        let path = dir.join("expected").join(format!("{name}.json"));
        if update {
            std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let want: Json = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{name}: no {path:?}")),
        )
        .unwrap();
        if got != want {
            failed.push(format!(
                "{name}:\n got  {}\n want {}",
                serde_json::to_string_pretty(&got).unwrap(),
                serde_json::to_string_pretty(&want).unwrap()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
