//! What a pump reads: relation names and aliases, a stream's window in a join, the scope of a
//! reference table, the equality keys of a join, and the markers the statement reader writes.

use super::*;

/// The call the statement reader puts in GROUP BY for `WINDOWED BY STAGGER (… RANGE …)`.
pub(super) fn is_stagger_marker(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Function(f)
        if f.name.0.len() == 1
            && f.name.0[0].as_ident().is_some_and(|i| i.quote_style.is_some() && i.value == crate::program::STAGGER_MARKER))
}

pub(super) fn stagger_interval(e: &ast::Expr) -> Result<i64, String> {
    let ast::Expr::Function(f) = e else {
        return Err("not a stagger window".into());
    };
    match eval::plain_args(f)?.as_slice() {
        [ast::Expr::Interval(i)] => eval::interval_ms(i),
        _ => Err("WINDOWED BY STAGGER needs RANGE INTERVAL '<n>' <unit>".into()),
    }
}

/// The name of the `i`-th select item without an alias: its column's name, else `EXPR$i`.
pub(super) fn item_name(e: &ast::Expr, i: usize) -> String {
    match e {
        ast::Expr::Identifier(id) => fold(id),
        ast::Expr::CompoundIdentifier(p) => p.last().map(fold).unwrap_or_default(),
        _ => format!("EXPR${i}"),
    }
}

/// A FROM item's stream or table name, and its alias.
pub(super) fn relation_name(r: &TableFactor) -> Result<(String, Option<String>), String> {
    relation(r, &[]).map(|(n, a, _)| (n, a))
}

/// A FROM item's stream or table name, its alias, and its window in a join (which the
/// statement reader wrote as table arguments, `s("\u{1}WINDOW", 'RANGE', INTERVAL …)`).
pub(super) fn relation(
    r: &TableFactor,
    named: &[ast::NamedWindowDefinition],
) -> Result<(String, Option<String>, Option<join::SideWindow>), String> {
    let TableFactor::Table {
        name, alias, args, ..
    } = r
    else {
        return Err(format!("unsupported FROM {r}"));
    };
    let n = name
        .0
        .last()
        .and_then(|p| p.as_ident())
        .map(fold)
        .unwrap_or_default();
    let window = match args {
        None => None,
        Some(a) => Some(side_window(&a.args, named)?),
    };
    Ok((n, alias.as_ref().map(|a| fold(&a.name)), window))
}

pub(super) fn side_window(
    args: &[ast::FunctionArg],
    named: &[ast::NamedWindowDefinition],
) -> Result<join::SideWindow, String> {
    let exprs: Vec<&ast::Expr> = args
        .iter()
        .filter_map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        })
        .collect();
    let text = |e: &ast::Expr| match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    };
    let marker = matches!(exprs.first(), Some(ast::Expr::Identifier(i))
        if i.quote_style.is_some() && i.value == crate::program::WINDOW_MARKER);
    if !marker || exprs.len() != 3 || exprs.len() != args.len() {
        return Err("table arguments are not supported; a stream's window is OVER (…)".into());
    }
    let bad = || {
        "a stream's window in a join is RANGE INTERVAL … PRECEDING or ROWS n PRECEDING".to_string()
    };
    match text(exprs[1]).as_deref() {
        Some("RANGE") => match exprs[2] {
            ast::Expr::Interval(i) => Ok(join::SideWindow::Range(eval::interval_ms(i)?)),
            _ => Err(bad()),
        },
        Some("ROWS") => match exprs[2] {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Number(n, _) => {
                    n.parse().map(join::SideWindow::Rows).map_err(|_| bad())
                }
                _ => Err(bad()),
            },
            _ => Err(bad()),
        },
        Some("NAMED") => {
            let name = text(exprs[2]).unwrap_or_default();
            let def = named
                .iter()
                .find(|d| fold(&d.0) == name)
                .ok_or_else(|| format!("window {name} is not defined"))?;
            let ast::NamedWindowExpr::WindowSpec(spec) = &def.1 else {
                return Err(bad());
            };
            if !spec.partition_by.is_empty() {
                return Err("a window of a join is not partitioned".into());
            }
            let frame = spec.window_frame.as_ref().ok_or_else(bad)?;
            let ast::WindowFrameBound::Preceding(Some(bound)) = &frame.start_bound else {
                return Err(bad());
            };
            match (&frame.units, bound.as_ref()) {
                (ast::WindowFrameUnits::Range, ast::Expr::Interval(i)) => {
                    Ok(join::SideWindow::Range(eval::interval_ms(i)?))
                }
                (ast::WindowFrameUnits::Rows, ast::Expr::Value(v)) => match &v.value {
                    ast::Value::Number(n, _) => {
                        n.parse().map(join::SideWindow::Rows).map_err(|_| bad())
                    }
                    _ => Err(bad()),
                },
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

pub(super) fn table_scope(def: &StreamDef, alias: Option<String>) -> Scope {
    let mut qualifiers = vec![def.name.clone()];
    qualifiers.extend(alias);
    Scope {
        columns: def
            .columns
            .iter()
            .map(|(n, _)| ScopeColumn {
                qualifiers: qualifiers.clone(),
                name: n.clone(),
            })
            .collect(),
    }
}

/// The `stream expr = table expr` conjuncts of a join condition, each side compiled over its
/// own relation. Any other conjunct stays for the full condition to decide.
pub(super) fn join_keys(on: &ast::Expr, left: &Scope, right: &Scope) -> Vec<(Expr, Expr)> {
    let mut keys = Vec::new();
    let mut stack = vec![on];
    while let Some(e) = stack.pop() {
        match e {
            ast::Expr::Nested(x) => stack.push(x),
            ast::Expr::BinaryOp {
                left: a,
                op: ast::BinaryOperator::And,
                right: b,
            } => {
                stack.push(a);
                stack.push(b);
            }
            ast::Expr::BinaryOp {
                left: a,
                op: ast::BinaryOperator::Eq,
                right: b,
            } => {
                let side =
                    |x: &ast::Expr| (eval::compile(x, left).ok(), eval::compile(x, right).ok());
                match (side(a), side(b)) {
                    ((Some(l), None), (None, Some(r))) | ((None, Some(r)), (Some(l), None)) => {
                        keys.push((l, r))
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    keys
}
