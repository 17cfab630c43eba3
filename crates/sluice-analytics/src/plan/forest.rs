//! `RANDOM_CUT_FOREST`: an anomaly score per row, from AWS's Random Cut Forest (the `krcflib`
//! crate) over the numeric columns of a cursor.
//!
//! `TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM … FROM s [WHERE …]) [, numberOfTrees
//! [, subSampleSize [, timeDecay [, shingleSize]]]]))` gives the cursor's columns and
//! `ANOMALY_SCORE` (DOUBLE). Each row is scored, then learned; the forest scores 0 until it has
//! seen `subSampleSize / 4` rows. The defaults are AWS's: 100 trees, 256 samples, a time decay of
//! 100,000 rows, shingles of 1. The seed is fixed, so the same rows give the same scores.

use super::StreamDef;
use super::items::cursor;
use crate::eval::{self, Expr, Scope};
use crate::value::SqlType;
use rcflib::rcf::{RCF, RCFBuilder, RCFOptionsBuilder};
use sqlparser::ast;
use std::collections::HashMap;

pub(super) const ANOMALY_SCORE: &str = "ANOMALY_SCORE";
const SEED: u64 = 17;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ForestParams {
    trees: usize,
    samples: usize,
    time_decay: f64,
    shingle: usize,
    dimensions: usize,
}

/// A forest and how it was made (a copy of the plan starts a fresh forest).
pub(super) struct Forest {
    params: ForestParams,
    model: Box<dyn RCF + Send + Sync>,
    /// RANDOM_CUT_FOREST_WITH_EXPLANATION: the numeric columns' names, and whether to say
    /// each one's direction and strength.
    explain: Option<(Vec<String>, bool)>,
}

impl Forest {
    fn new(params: ForestParams) -> Result<Forest, String> {
        let model = RCFBuilder::new(params.dimensions, params.shingle)
            .tree_capacity(params.samples)
            .number_of_trees(params.trees)
            .random_seed(SEED)
            .parallel_enabled(false)
            .internal_shingling(true)
            .time_decay(1.0 / params.time_decay)
            .output_after(params.samples / 4)
            .build_default()
            .map_err(|e| format!("RANDOM_CUT_FOREST: {e:?}"))?;
        Ok(Forest {
            params,
            model,
            explain: None,
        })
    }

    /// `ANOMALY_EXPLANATION`: per numeric column, its share of the score (`ATTRIBUTION_SCORE`,
    /// the forest's attribution above and below the point summed over the shingle) and, with
    /// directionality, `DIRECTION` (`HIGH` if the value is anomalous for being high, else `LOW`)
    /// and `STRENGTH` (the attribution's difference between the two directions).
    fn explanation(&self, point: &[f32]) -> Result<String, String> {
        let Some((names, directional)) = &self.explain else {
            return Ok(String::new());
        };
        let a = self
            .model
            .attribution(point)
            .map_err(|e| format!("RANDOM_CUT_FOREST_WITH_EXPLANATION: {e:?}"))?;
        let base = names.len().max(1);
        let mut out = serde_json::Map::new();
        for (j, name) in names.iter().enumerate() {
            let (mut high, mut low) = (0.0, 0.0);
            for k in (j..a.high.len()).step_by(base) {
                high += a.high[k];
                low += a.low[k];
            }
            let mut o = serde_json::Map::new();
            if *directional {
                o.insert(
                    "DIRECTION".into(),
                    (if high >= low { "HIGH" } else { "LOW" }).into(),
                );
                o.insert(
                    "STRENGTH".into(),
                    format!("{:.4}", (high - low).abs()).into(),
                );
            }
            o.insert(
                "ATTRIBUTION_SCORE".into(),
                format!("{:.4}", high + low).into(),
            );
            out.insert(name.clone(), serde_json::Value::Object(o));
        }
        Ok(serde_json::Value::Object(out).to_string())
    }

    /// The point's score, before the forest learns it.
    pub(super) fn score_and_learn(&mut self, point: &[f32]) -> Result<f64, String> {
        let score = self
            .model
            .score(point)
            .map_err(|e| format!("RANDOM_CUT_FOREST: {e:?}"))?;
        self.model
            .update(point, 0)
            .map_err(|e| format!("RANDOM_CUT_FOREST: {e:?}"))?;
        Ok(score)
    }
}

/// What a stream-analysis function keeps and makes of each row's numeric columns.
#[derive(Debug, Clone)]
pub(super) enum Model {
    Forest(Forest),
    Hotspots(super::hotspots::Hotspots),
}

impl Model {
    /// The values of the function's columns for a row's point (and the model learns it).
    pub(super) fn next(&mut self, point: &[f64]) -> Result<Vec<crate::value::Value>, String> {
        use crate::value::Value;
        Ok(match self {
            Model::Forest(f) => {
                let p: Vec<f32> = point.iter().map(|x| *x as f32).collect();
                let explanation = match f.explain {
                    Some(_) => Some(f.explanation(&p)?),
                    None => None,
                };
                let mut out = vec![Value::Double(f.score_and_learn(&p)?)];
                out.extend(explanation.map(Value::Str));
                out
            }
            Model::Hotspots(h) => vec![Value::Str(h.add(point))],
        })
    }
}

impl Clone for Forest {
    fn clone(&self) -> Self {
        let mut f = Forest::new(self.params).expect("parameters that built a forest build another");
        f.explain = self.explain.clone();
        f
    }
}

impl std::fmt::Debug for Forest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forest")
            .field("params", &self.params)
            .finish()
    }
}

pub(super) struct ForestStage {
    pub(super) source: String,
    pub(super) cursor_filter: Option<Expr>,
    /// The cursor's items, over the source row.
    pub(super) items: Vec<Expr>,
    /// Which items are the point's dimensions (the numeric ones).
    pub(super) numeric: Vec<usize>,
    pub(super) model: Model,
    /// The function's rows: the cursor's columns, then ANOMALY_SCORE or HOTSPOTS_RESULT.
    pub(super) output: StreamDef,
}

pub(super) fn is_forest_function(expr: &ast::Expr) -> bool {
    matches!(expr, ast::Expr::Function(f)
        if matches!(eval::function_name(f).as_str(), "RANDOM_CUT_FOREST" | "RANDOM_CUT_FOREST_WITH_EXPLANATION" | "HOTSPOTS"))
}

fn numeric(t: &SqlType) -> bool {
    matches!(
        t,
        SqlType::TinyInt
            | SqlType::SmallInt
            | SqlType::Integer
            | SqlType::BigInt
            | SqlType::Real
            | SqlType::Double
            | SqlType::Decimal
    )
}

pub(super) fn forest_function(
    expr: &ast::Expr,
    alias: Option<String>,
    streams: &HashMap<String, StreamDef>,
) -> Result<ForestStage, String> {
    let ast::Expr::Function(f) = expr else {
        return Err(format!("unsupported table function {expr}"));
    };
    let fname = eval::function_name(f);
    let args = eval::plain_args(f)?;
    if fname == "HOTSPOTS" {
        return hotspots_function(&args, alias, streams);
    }
    let explain = fname == "RANDOM_CUT_FOREST_WITH_EXPLANATION";
    if args.is_empty() || args.len() > if explain { 6 } else { 5 } {
        return Err(format!(
            "{fname} takes CURSOR(SELECT STREAM …) and up to four numbers: numberOfTrees, subSampleSize, timeDecay, shingleSize{}",
            if explain {
                ", then withDirectionality"
            } else {
                ""
            }
        ));
    }
    let directional = match args.get(5) {
        None => false,
        Some(e) => match eval::compile(
            e,
            &Scope {
                columns: Vec::new(),
            },
        )? {
            Expr::Literal(crate::value::Value::Bool(b)) => b,
            _ => return Err(format!("withDirectionality of {fname} is TRUE or FALSE")),
        },
    };
    let cur = cursor(args[0], &fname, streams)?;
    let number = |i: usize, default: i64, lo: i64, hi: i64, what: &str| -> Result<i64, String> {
        let Some(e) = args.get(i) else {
            return Ok(default);
        };
        let n = match eval::compile(
            e,
            &Scope {
                columns: Vec::new(),
            },
        )? {
            Expr::Literal(crate::value::Value::Int(n)) => n,
            _ => return Err(format!("{what} of RANDOM_CUT_FOREST is a whole number")),
        };
        if !(lo..=hi).contains(&n) {
            return Err(format!(
                "{what} of RANDOM_CUT_FOREST must be between {lo} and {hi}, not {n}"
            ));
        }
        Ok(n)
    };
    let trees = number(1, 100, 1, 1000, "numberOfTrees")? as usize;
    let samples = number(2, 256, 10, 1000, "subSampleSize")? as usize;
    let time_decay = number(3, 100_000, 1, i64::MAX, "timeDecay")? as f64;
    let shingle = number(4, 1, 1, 30, "shingleSize")? as usize;
    let (items, mut columns, dims) = cursor_columns(&cur, &fname)?;
    columns.push((ANOMALY_SCORE.into(), SqlType::Double));
    let mut forest = Forest::new(ForestParams {
        trees,
        samples,
        time_decay,
        shingle,
        dimensions: dims.len(),
    })?;
    if explain {
        forest.explain = Some((
            dims.iter().map(|&i| columns[i].0.clone()).collect(),
            directional,
        ));
        columns.push(("ANOMALY_EXPLANATION".into(), SqlType::Varchar(None)));
    }
    Ok(ForestStage {
        source: cur.source,
        cursor_filter: cur.filter,
        items,
        numeric: dims,
        model: Model::Forest(forest),
        output: StreamDef {
            name: alias.unwrap_or(fname),
            columns,
        },
    })
}

type CursorColumns = (Vec<Expr>, Vec<(String, SqlType)>, Vec<usize>);

/// A cursor's items compiled, its columns, and which of them are numeric.
fn cursor_columns(cur: &super::items::Cursor, fname: &str) -> Result<CursorColumns, String> {
    let mut items = Vec::new();
    let mut columns = Vec::new();
    let mut dims = Vec::new();
    for (i, (e, n)) in cur.items.iter().enumerate() {
        let c = eval::compile(e, &cur.scope)?;
        let t = match &c {
            Expr::Column(j) if *j > 0 => cur.def.columns[j - 1].1.clone(),
            _ => SqlType::Any,
        };
        if numeric(&t) {
            dims.push(i);
        }
        items.push(c);
        columns.push((n.clone(), t));
    }
    if dims.is_empty() {
        return Err(format!("{fname}'s cursor has no numeric column"));
    }
    Ok((items, columns, dims))
}

/// `HOTSPOTS(CURSOR(…), windowSize, scanRadius, minimumNumberOfPointsInAHotspot)`.
fn hotspots_function(
    args: &[&ast::Expr],
    alias: Option<String>,
    streams: &HashMap<String, StreamDef>,
) -> Result<ForestStage, String> {
    let [cursor_arg, window, radius, min_points] = args else {
        return Err(
            "HOTSPOTS takes CURSOR(SELECT STREAM …), windowSize, scanRadius and minimumNumberOfPointsInAHotspot"
                .into(),
        );
    };
    let cur = cursor(cursor_arg, "HOTSPOTS", streams)?;
    let literal = |e: &ast::Expr, what: &str| -> Result<f64, String> {
        match eval::compile(
            e,
            &Scope {
                columns: Vec::new(),
            },
        )? {
            Expr::Literal(v) => v
                .as_f64()
                .ok_or_else(|| format!("{what} of HOTSPOTS is a number")),
            _ => Err(format!("{what} of HOTSPOTS is a number")),
        }
    };
    let window = literal(window, "windowSize")?;
    let radius = literal(radius, "scanRadius")?;
    let min_points = literal(min_points, "minimumNumberOfPointsInAHotspot")?;
    if !(1.0..=10_000.0).contains(&window) || window.fract() != 0.0 {
        return Err("windowSize of HOTSPOTS is a whole number from 1 to 10000".into());
    }
    if radius.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err("scanRadius of HOTSPOTS must be positive".into());
    }
    if min_points < 2.0 || min_points.fract() != 0.0 {
        return Err(
            "minimumNumberOfPointsInAHotspot of HOTSPOTS is a whole number of at least 2".into(),
        );
    }
    let (items, mut columns, dims) = cursor_columns(&cur, "HOTSPOTS")?;
    if dims.len() > 8 {
        return Err("HOTSPOTS scans at most 8 numeric columns".into());
    }
    columns.push(("HOTSPOTS_RESULT".into(), SqlType::Varchar(None)));
    Ok(ForestStage {
        source: cur.source,
        cursor_filter: cur.filter,
        items,
        numeric: dims,
        model: Model::Hotspots(super::hotspots::Hotspots::new(
            window as usize,
            radius,
            min_points as usize,
        )),
        output: StreamDef {
            name: alias.unwrap_or_else(|| "HOTSPOTS".into()),
            columns,
        },
    })
}
