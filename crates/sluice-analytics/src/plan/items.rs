//! The stream-analysis table functions `TOP_K_ITEMS_TUMBLING` and
//! `COUNT_DISTINCT_ITEMS_TUMBLING`, read from `FROM TABLE(fn(CURSOR(SELECT STREAM … FROM s
//! [WHERE …]), 'column', [k,] window_seconds))`.

use super::{StreamDef, stream_scope};
use crate::eval::{self, Expr, Scope, fold};
use crate::value::SqlType;
use sqlparser::ast::{self, SelectItem, SetExpr};
use std::collections::HashMap;

/// What the function reads and how it counts.
pub(super) struct ItemsStage {
    pub(super) source: String,
    pub(super) cursor_filter: Option<Expr>,
    pub(super) item: Expr,
    pub(super) top: Option<usize>,
    pub(super) size_ms: i64,
    /// The function's rows: the column and `MOST_FREQUENT_VALUES`, or
    /// `NUMBER_OF_DISTINCT_ITEMS`.
    pub(super) output: StreamDef,
}

pub(super) fn is_items_function(expr: &ast::Expr) -> bool {
    matches!(expr, ast::Expr::Function(f)
        if matches!(eval::function_name(f).as_str(), "TOP_K_ITEMS_TUMBLING" | "COUNT_DISTINCT_ITEMS_TUMBLING"))
}

fn whole(e: &ast::Expr, what: &str, lo: i64, hi: i64) -> Result<i64, String> {
    let n = match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse::<i64>().ok(),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| format!("{what} must be a whole number, not {e}"))?;
    if !(lo..=hi).contains(&n) {
        return Err(format!("{what} must be between {lo} and {hi}, not {n}"));
    }
    Ok(n)
}

pub(super) fn items_function(
    expr: &ast::Expr,
    alias: Option<String>,
    streams: &HashMap<String, StreamDef>,
) -> Result<ItemsStage, String> {
    let ast::Expr::Function(f) = expr else {
        return Err(format!("unsupported table function {expr}"));
    };
    let fname = eval::function_name(f);
    let ast::FunctionArguments::List(list) = &f.args else {
        return Err(format!(
            "{fname} needs CURSOR(SELECT STREAM …), a column name and a window size"
        ));
    };
    let args: Vec<&ast::Expr> = list
        .args
        .iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
            other => Err(format!("unsupported argument {other} of {fname}")),
        })
        .collect::<Result<_, _>>()?;
    let top = fname == "TOP_K_ITEMS_TUMBLING";
    let want = if top { 4 } else { 3 };
    if args.len() != want {
        return Err(format!(
            "{fname} takes {want} arguments: CURSOR(SELECT STREAM …), 'column'{}, window size in seconds",
            if top { ", K" } else { "" }
        ));
    }
    let cur = cursor(args[0], &fname, streams)?;
    let (source, def, scope, cursor_filter) = (cur.source, &cur.def, cur.scope, cur.filter);
    let column = match args[1] {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            _ => None.ok_or_else(|| format!("the column of {fname} is named in single quotes"))?,
        },
        _ => {
            return Err(format!(
                "the column of {fname} is named in single quotes, as 'column'"
            ));
        }
    };
    // The column among the cursor's items.
    let (item_ast, item_name) = cur
        .items
        .iter()
        .find(|(_, n)| *n == column)
        .or_else(|| {
            cur.items
                .iter()
                .find(|(_, n)| n.eq_ignore_ascii_case(&column))
        })
        .cloned()
        .ok_or_else(|| format!("Column '{column}' not found in the CURSOR's query"))?;
    let item = eval::compile(&item_ast, &scope)?;
    let item_type = match &item {
        Expr::Column(i) if *i > 0 => def.columns[i - 1].1.clone(),
        _ => SqlType::Varchar(None),
    };
    let k = if top {
        Some(whole(args[2], "K of TOP_K_ITEMS_TUMBLING", 1, 100_000)? as usize)
    } else {
        None
    };
    let seconds = whole(
        args[want - 1],
        &format!("the window size of {fname}"),
        1,
        3600,
    )?;
    let columns = if top {
        vec![
            (item_name, item_type),
            ("MOST_FREQUENT_VALUES".into(), SqlType::BigInt),
        ]
    } else {
        vec![("NUMBER_OF_DISTINCT_ITEMS".into(), SqlType::BigInt)]
    };
    Ok(ItemsStage {
        source,
        cursor_filter,
        item,
        top: k,
        size_ms: seconds * 1000,
        output: StreamDef {
            name: alias.unwrap_or(fname),
            columns,
        },
    })
}

/// A table function's `CURSOR(SELECT STREAM items FROM s [WHERE …])`.
pub(super) struct Cursor {
    pub(super) source: String,
    pub(super) def: StreamDef,
    pub(super) scope: Scope,
    pub(super) filter: Option<Expr>,
    /// The items, `*` as the stream's columns (but APPROXIMATE_ARRIVAL_TIME), and their names.
    pub(super) items: Vec<(ast::Expr, String)>,
}

pub(super) fn cursor(
    arg: &ast::Expr,
    fname: &str,
    streams: &HashMap<String, StreamDef>,
) -> Result<Cursor, String> {
    let query = match arg {
        ast::Expr::Function(c) if eval::function_name(c) == "CURSOR" => match &c.args {
            ast::FunctionArguments::Subquery(q) => q,
            ast::FunctionArguments::List(l) => match l.args.as_slice() {
                [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Subquery(q)))] => {
                    q
                }
                _ => return Err("CURSOR takes a query: CURSOR(SELECT STREAM * FROM …)".into()),
            },
            _ => return Err("CURSOR takes a query: CURSOR(SELECT STREAM * FROM …)".into()),
        },
        other => {
            return Err(format!(
                "the first argument of {fname} must be CURSOR(SELECT STREAM …), not {other}"
            ));
        }
    };
    let SetExpr::Select(sel) = query.body.as_ref() else {
        return Err("a CURSOR's query must be a single SELECT STREAM".into());
    };
    let [from] = sel.from.as_slice() else {
        return Err("a CURSOR's query reads exactly one stream".into());
    };
    if !from.joins.is_empty()
        || !matches!(&sel.group_by, ast::GroupByExpr::Expressions(g, _) if g.is_empty())
    {
        return Err("a CURSOR's query reads one stream, without joins or GROUP BY".into());
    }
    let (source, salias) = super::relation_name(&from.relation)?;
    let def = streams
        .get(&source)
        .ok_or_else(|| format!("Object '{source}' not found"))?
        .clone();
    let scope = stream_scope(&def, salias);
    let filter = sel
        .selection
        .as_ref()
        .map(|w| eval::compile(w, &scope))
        .transpose()?;
    let mut items = Vec::new();
    for (i, item) in sel.projection.iter().enumerate() {
        match item {
            SelectItem::Wildcard(_) => {
                for (c, _) in def
                    .columns
                    .iter()
                    .filter(|(c, _)| c != crate::mapping::APPROXIMATE_ARRIVAL_TIME)
                {
                    items.push((
                        ast::Expr::Identifier(ast::Ident::with_quote('"', c.clone())),
                        c.clone(),
                    ));
                }
            }
            SelectItem::UnnamedExpr(e) => items.push((e.clone(), super::item_name(e, i))),
            SelectItem::ExprWithAlias { expr, alias } => items.push((expr.clone(), fold(alias))),
            other => return Err(format!("unsupported item {other} in a CURSOR's query")),
        }
    }
    Ok(Cursor {
        source,
        def,
        scope,
        filter,
        items,
    })
}
