//! Compiling one pump: its FROM (streams, joins, table functions, subqueries), items, windows
//! and ORDER BY, to a [`Pump`].

use super::from::*;
use super::window::{has_windowed, replace_windowed, sliding_of, windowed_slot};
use super::*;

/// Where a pump's rows go: a stream of the code (and the INSERT's column list), or, for a
/// subquery in FROM, a stream of its own made from the subquery's items (its columns renamed by
/// the FROM alias's column list, if any).
pub(super) enum Target<'a> {
    Stream(&'a StreamDef, Option<&'a [crate::program::Ident]>),
    Subquery(String, Vec<String>),
}

/// Compiles a pump, with the pumps of the subqueries of its FROM before it; and the stream it
/// writes.
pub(super) fn compile_pump(
    name: &str,
    target: Target<'_>,
    query: &ast::Query,
    streams: &HashMap<String, StreamDef>,
    tables: &HashMap<String, StreamDef>,
    watermarks: &HashMap<String, (String, i64)>,
) -> Result<(Vec<Pump>, StreamDef), String> {
    if query.with.is_some() || query.limit_clause.is_some() {
        return Err("WITH and LIMIT are not supported in a pump's query".into());
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err("a pump's query must be a single SELECT STREAM".into());
    };
    let [from] = select.from.as_slice() else {
        return Err("a pump's query reads exactly one stream (and may join it)".into());
    };
    // `FROM TABLE(TOP_K_ITEMS_TUMBLING(CURSOR(…), …))`: the function's rows are what the
    // query reads.
    let mut items_stage = None;
    let mut forest_stage = None;
    let mut event_stage = None;
    let mut left_window = None;
    let mut subqueries: Vec<Pump> = Vec::new();
    // Columns known to grow with ROWTIME (ROWTIME itself, and a subquery's copies of it).
    let mut monotonic: Vec<usize> = vec![0];
    let (source, def, mut scope) = match &from.relation {
        TableFactor::TableFunction { expr, alias } if items::is_items_function(expr) => {
            let st = items::items_function(expr, alias.as_ref().map(|a| fold(&a.name)), streams)?;
            let scope = stream_scope(&st.output, None);
            let def = st.output.clone();
            let source = st.source.clone();
            items_stage = Some(st);
            (source, def, scope)
        }
        TableFactor::TableFunction { expr, alias } if forest::is_forest_function(expr) => {
            let st = forest::forest_function(expr, alias.as_ref().map(|a| fold(&a.name)), streams)?;
            let scope = stream_scope(&st.output, None);
            let def = st.output.clone();
            let source = st.source.clone();
            forest_stage = Some(st);
            (source, def, scope)
        }
        TableFactor::TableFunction { expr, alias } if event::is_window_function(expr) => {
            let st = event::event_function(
                expr,
                alias.as_ref().map(|a| fold(&a.name)),
                streams,
                watermarks,
            )?;
            let def = streams[&st.source].clone();
            let scope = st.scope.clone();
            let source = st.source.clone();
            event_stage = Some(st);
            (source, def, scope)
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => {
            let sub = format!("\u{1}{name}.{}", subqueries.len() + 1);
            let renames: Vec<String> = alias
                .iter()
                .flat_map(|a| a.columns.iter().map(|c| fold(&c.name)))
                .collect();
            let (inner, def) = compile_pump(
                &format!("{name} (subquery {})", subqueries.len() + 1),
                Target::Subquery(sub.clone(), renames),
                subquery,
                streams,
                tables,
                watermarks,
            )?;
            // A map's items that are its ROWTIME stay as monotonic as ROWTIME.
            if let Some(Pump {
                kind: PumpKind::Map { project, .. },
                slots,
                ..
            }) = inner.last()
            {
                for (col, slot) in slots.iter().enumerate() {
                    if slot.is_some_and(|i| matches!(project.get(i), Some(Expr::Column(0)))) {
                        monotonic.push(col + 1);
                    }
                }
            }
            subqueries.extend(inner);
            let scope = stream_scope(&def, alias.as_ref().map(|a| fold(&a.name)));
            (sub, def, scope)
        }
        other => {
            let (source, sname_alias, window) = relation(other, &select.named_window)?;
            let def = streams
                .get(&source)
                .ok_or_else(|| format!("Object '{source}' not found"))?
                .clone();
            let scope = stream_scope(&def, sname_alias);
            left_window = window;
            (source, def, scope)
        }
    };
    let def = &def;
    // Columns `SELECT *` gives: each relation's, but ROWTIME and APPROXIMATE_ARRIVAL_TIME.
    let mut star: Vec<(String, String)> = def
        .columns
        .iter()
        .filter(|(c, _)| c != crate::mapping::APPROXIMATE_ARRIVAL_TIME)
        .map(|(c, _)| (def.name.clone(), c.clone()))
        .collect();
    if event_stage.is_some() {
        for w in [event::WINDOW_START, event::WINDOW_END, event::WINDOW_TIME] {
            star.push((def.name.clone(), w.into()));
        }
    }
    let join = match from.joins.as_slice() {
        [] => None,
        [j] => {
            let (other, alias, other_window) = relation(&j.relation, &select.named_window)?;
            let (left_kept, right_kept, constraint) = match &j.join_operator {
                ast::JoinOperator::Join(c) | ast::JoinOperator::Inner(c) => (false, false, c),
                ast::JoinOperator::Left(c) | ast::JoinOperator::LeftOuter(c) => (true, false, c),
                ast::JoinOperator::Right(c) | ast::JoinOperator::RightOuter(c) => (false, true, c),
                ast::JoinOperator::FullOuter(c) => (true, true, c),
                ast::JoinOperator::CrossJoin(c) => (false, false, c),
                other => {
                    return Err(format!(
                        "unsupported join {other:?}: use [INNER] JOIN, LEFT, RIGHT or FULL [OUTER] JOIN"
                    ));
                }
            };
            if let (None, Some(odef)) = (tables.get(&other), streams.get(&other)) {
                if left_window.is_none() && other_window.is_none() {
                    return Err(format!(
                        "a join of streams restricts at least one of them to a window: {other} OVER (RANGE INTERVAL … PRECEDING)"
                    ));
                }
                if other == source {
                    return Err(format!("stream {other} cannot be joined with itself"));
                }
                let right_scope = stream_scope(odef, alias);
                let mut joined = Scope {
                    columns: vec![ScopeColumn {
                        qualifiers: Vec::new(),
                        name: ROWTIME.into(),
                    }],
                };
                joined.columns.extend(scope.columns.iter().cloned());
                joined.columns.extend(right_scope.columns.iter().cloned());
                let (on, keys) = match constraint {
                    ast::JoinConstraint::On(e) => (
                        Some(eval::compile(e, &joined)?),
                        join_keys(e, &scope, &right_scope),
                    ),
                    ast::JoinConstraint::None => (None, Vec::new()),
                    other => return Err(format!("unsupported join condition {other:?}: use ON")),
                };
                let (left_keys, right_keys): (Vec<Expr>, Vec<Expr>) = keys.into_iter().unzip();
                star.extend(
                    odef.columns
                        .iter()
                        .filter(|(c, _)| c != crate::mapping::APPROXIMATE_ARRIVAL_TIME)
                        .map(|(c, _)| (odef.name.clone(), c.clone())),
                );
                scope = joined;
                Some(pump::Join::Stream(join::StreamJoin {
                    left: join::Side::new(
                        source.clone(),
                        left_window.unwrap_or(join::SideWindow::Current),
                        def.columns.len() + 1,
                        left_kept,
                        left_keys,
                    ),
                    right: join::Side::new(
                        other.clone(),
                        other_window.unwrap_or(join::SideWindow::Current),
                        odef.columns.len() + 1,
                        right_kept,
                        right_keys,
                    ),
                    on,
                }))
            } else {
                let Some(table) = tables.get(&other) else {
                    return Err(format!("Object '{other}' not found"));
                };
                if right_kept || other_window.is_some() || left_window.is_some() {
                    return Err(format!(
                        "a join with table {other} keeps the stream's rows (JOIN or LEFT JOIN) and has no window"
                    ));
                }
                let outer = left_kept;
                let table_scope = table_scope(table, alias);
                let mut joined = scope.clone();
                joined.columns.extend(table_scope.columns.iter().cloned());
                let (on, keys) = match constraint {
                    ast::JoinConstraint::On(e) => {
                        let on = eval::compile(e, &joined)?;
                        (Some(on), join_keys(e, &scope, &table_scope))
                    }
                    ast::JoinConstraint::None => (None, Vec::new()),
                    other => return Err(format!("unsupported join condition {other:?}: use ON")),
                };
                star.extend(
                    table
                        .columns
                        .iter()
                        .map(|(c, _)| (table.name.clone(), c.clone())),
                );
                scope = joined;
                Some(pump::Join::Table(join::TableJoin::new(
                    table.name.clone(),
                    outer,
                    table.columns.len(),
                    on,
                    keys,
                )))
            }
        }
        _ => return Err("a pump's query joins at most one stream or table".into()),
    };
    let filter = select
        .selection
        .as_ref()
        .map(|w| eval::compile(w, &scope))
        .transpose()?;
    if select.having.is_some() {
        return Err("HAVING is not supported yet".into());
    }
    let distinct = match &select.distinct {
        None | Some(ast::Distinct::All) => false,
        Some(ast::Distinct::Distinct) => true,
        Some(other) => return Err(format!("unsupported {other}")),
    };
    // The projected items and their names.
    let mut items: Vec<(ast::Expr, String)> = Vec::new();
    for (i, item) in select.projection.iter().enumerate() {
        match item {
            SelectItem::UnnamedExpr(e) => items.push((e.clone(), item_name(e, i))),
            SelectItem::ExprWithAlias { expr, alias } => items.push((expr.clone(), fold(alias))),
            SelectItem::Wildcard(_) => {
                for (q, c) in &star {
                    items.push((
                        ast::Expr::CompoundIdentifier(vec![
                            ast::Ident::with_quote('"', q.clone()),
                            ast::Ident::with_quote('"', c.clone()),
                        ]),
                        c.clone(),
                    ));
                }
            }
            other => return Err(format!("unsupported select item {other}")),
        }
    }
    // A log parsing item is its fields, named ITEM.FIELD; `origins` keeps which item each
    // came from, for an alias's column list to rename.
    let named = items.len();
    let mut origins: Vec<(usize, Option<String>)> = Vec::new();
    let mut fields: Vec<(ast::Expr, String)> = Vec::new();
    for (j, (e, n)) in std::mem::take(&mut items).into_iter().enumerate() {
        match &e {
            ast::Expr::Function(f)
                if crate::logparse::FUNCTIONS.contains(&eval::function_name(f).as_str()) =>
            {
                let (parser, _) = eval::log_parser(f, &scope)?;
                for (k, (col, _)) in parser.columns().iter().enumerate() {
                    let text = format!("\"{}\"({e}, {k})", eval::FIELD_MARKER);
                    let field =
                        sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
                            .try_with_sql(&text)
                            .and_then(|mut p| p.parse_expr())
                            .map_err(|err| format!("{e}: {err}"))?;
                    fields.push((field, format!("{n}.{col}")));
                    origins.push((j, Some(col.clone())));
                }
            }
            _ => {
                fields.push((e, n));
                origins.push((j, None));
            }
        }
    }
    items = fields;
    // Where the rows go: for a subquery, a stream of its items.
    let made;
    let (target, target_columns) = match target {
        Target::Stream(def, cols) => (def, cols),
        Target::Subquery(sub, renames) => {
            if !renames.is_empty() && renames.len() != named {
                return Err(format!(
                    "the subquery's alias names {} columns but it gives {named}",
                    renames.len(),
                ));
            }
            made = StreamDef {
                name: sub,
                columns: items
                    .iter()
                    .zip(&origins)
                    .map(|((_, n), (j, field))| {
                        let name = match (renames.get(*j), field) {
                            (Some(r), Some(f)) => format!("{r}.{f}"),
                            (Some(r), None) => r.clone(),
                            (None, _) => n.clone(),
                        };
                        (name, SqlType::Any)
                    })
                    .collect(),
            };
            (&made, None)
        }
    };
    // Which projected item fills each target column.
    let slots: Vec<Option<usize>> = match target_columns {
        Some(cols) => {
            if cols.len() != items.len() {
                return Err(format!(
                    "the INSERT names {} columns but the query gives {}",
                    cols.len(),
                    items.len()
                ));
            }
            let mut slots = vec![None; target.columns.len()];
            for (i, c) in cols.iter().enumerate() {
                let pos = target
                    .columns
                    .iter()
                    .position(|(n, _)| *n == c.name())
                    .ok_or_else(|| format!("Column '{}' not found in {}", c.name(), target.name))?;
                slots[pos] = Some(i);
            }
            slots
        }
        None => {
            if items.len() != target.columns.len() {
                return Err(format!(
                    "Number of INSERT target columns ({}) does not equal number of source items ({})",
                    target.columns.len(),
                    items.len()
                ));
            }
            (0..items.len()).map(Some).collect()
        }
    };
    let target_types = target.columns.iter().map(|(_, t)| t.clone()).collect();
    let group_exprs = match &select.group_by {
        GroupByExpr::Expressions(e, _) => e.clone(),
        GroupByExpr::All(_) => return Err("GROUP BY ALL is not supported".into()),
    };
    let windowed = items.iter().any(|(e, _)| has_windowed(e));
    if distinct
        && (windowed || !group_exprs.is_empty() || items.iter().any(|(e, _)| has_aggregate(e)))
    {
        return Err("SELECT STREAM DISTINCT is supported without windows and GROUP BY".into());
    }
    let kind = if let Some(st) = forest_stage {
        if windowed || !group_exprs.is_empty() || join.is_some() {
            return Err(
                "a query over TABLE(RANDOM_CUT_FOREST(…)) or TABLE(HOTSPOTS(…)) selects from its rows: no windows, GROUP BY or joins"
                    .into(),
            );
        }
        PumpKind::Analysis {
            cursor_filter: st.cursor_filter,
            items: st.items,
            numeric: st.numeric,
            model: Box::new(st.model),
            filter,
            project: items
                .iter()
                .map(|(e, _)| eval::compile(e, &scope))
                .collect::<Result<_, _>>()?,
        }
    } else if let Some(st) = event_stage {
        if windowed || join.is_some() {
            return Err("a query over a window function has no OVER windows or joins".into());
        }
        let keys: Vec<Expr> = group_exprs
            .iter()
            .map(|g| eval::compile(g, &scope))
            .collect::<Result<_, _>>()?;
        let width = scope.columns.len();
        let has = |col: usize| {
            keys.iter()
                .any(|k| matches!(k, Expr::Column(c) if *c == col))
        };
        if !(has(width - 3) && has(width - 2)) {
            return Err(
                "a query over TUMBLE, HOP or CUMULATE groups by window_start and window_end".into(),
            );
        }
        let mut aggs = Vec::new();
        let project = items
            .iter()
            .map(|(e, _)| compile_over_groups(e, &group_exprs, &mut aggs, &scope))
            .collect::<Result<_, _>>()?;
        let at = |col: usize| {
            keys.iter()
                .position(|k| matches!(k, Expr::Column(c) if *c == col))
        };
        let window_keys = (at(width - 3), at(width - 2));
        PumpKind::Event {
            filter,
            time: st.time,
            windows: st.windows,
            delay_ms: st.delay_ms,
            keys,
            aggs,
            project,
            watermark: i64::MIN,
            open: BTreeMap::new(),
            window_keys,
            sessions: HashMap::new(),
        }
    } else if let Some(st) = items_stage {
        if windowed || !group_exprs.is_empty() || join.is_some() {
            return Err(format!(
                "a query over TABLE({}(…)) selects from its rows: no windows, GROUP BY or joins",
                st.output.name
            ));
        }
        PumpKind::Items {
            cursor_filter: st.cursor_filter,
            item: st.item,
            top: st.top,
            size_ms: st.size_ms,
            filter,
            project: items
                .iter()
                .map(|(e, _)| eval::compile(e, &scope))
                .collect::<Result<_, _>>()?,
            open: Default::default(),
        }
    } else if windowed {
        if !group_exprs.is_empty() {
            return Err("a query with OVER windows cannot also GROUP BY".into());
        }
        let mut found: Vec<ast::Function> = Vec::new();
        let mut rewritten = Vec::new();
        for (e, _) in &items {
            let mut e = e.clone();
            replace_windowed(&mut e, &mut found);
            rewritten.push(e);
        }
        let mut windows = Vec::new();
        for f in &found {
            windows.push(sliding_of(f, &select.named_window, &scope)?);
        }
        let mut ext = scope.clone();
        for i in 0..found.len() {
            ext.columns.push(ScopeColumn {
                qualifiers: Vec::new(),
                name: windowed_slot(i),
            });
        }
        PumpKind::Sliding {
            filter,
            windows,
            project: rewritten
                .iter()
                .map(|e| eval::compile(e, &ext))
                .collect::<Result<_, _>>()?,
        }
    } else if group_exprs.is_empty() && !items.iter().any(|(e, _)| has_aggregate(e)) {
        PumpKind::Map {
            filter,
            project: items
                .iter()
                .map(|(e, _)| eval::compile(e, &scope))
                .collect::<Result<_, _>>()?,
            distinct: distinct.then(|| (i64::MIN, Default::default())),
        }
    } else if let Some(pos) = group_exprs.iter().position(is_stagger_marker) {
        let size_ms = stagger_interval(&group_exprs[pos])?;
        let partition = &group_exprs[..pos];
        if partition.is_empty() || pos + 1 != group_exprs.len() {
            return Err(
                "WINDOWED BY STAGGER needs PARTITION BY keys and nothing else to group by".into(),
            );
        }
        if size_ms <= 0 {
            return Err("a stagger window's RANGE must be a positive interval".into());
        }
        let keys = partition
            .iter()
            .map(|g| eval::compile(g, &scope))
            .collect::<Result<_, _>>()?;
        let mut aggs = Vec::new();
        let project = items
            .iter()
            .map(|(e, _)| compile_over_groups(e, partition, &mut aggs, &scope))
            .collect::<Result<_, _>>()?;
        PumpKind::Stagger {
            filter,
            keys,
            size_ms,
            aggs,
            project,
            windows: Default::default(),
        }
    } else {
        let mut keys = Vec::new();
        let mut window = None;
        for (i, g) in group_exprs.iter().enumerate() {
            let k = eval::compile(g, &scope)?;
            // The window is the STEP or FLOOR of ROWTIME (column 0); one of another time (an
            // event time) is a plain key: a late row makes its own group in the window of
            // ROWTIME it arrives in.
            if let Expr::Floor(of, Some(size), false) = &k
                && matches!(**of, Expr::Column(c) if monotonic.contains(&c))
            {
                if window.is_some() {
                    return Err("a GROUP BY may have one STEP or FLOOR window of ROWTIME".into());
                }
                window = Some((i, *size));
            }
            keys.push(k);
        }
        let Some((window_key, size_ms)) = window else {
            return Err(
                "a streaming GROUP BY needs a window of ROWTIME: STEP(s.ROWTIME BY INTERVAL …) or FLOOR(s.ROWTIME TO …)"
                    .into(),
            );
        };
        let mut aggs = Vec::new();
        let project = items
            .iter()
            .map(|(e, _)| compile_over_groups(e, &group_exprs, &mut aggs, &scope))
            .collect::<Result<_, _>>()?;
        PumpKind::Tumbling {
            filter,
            keys,
            window_key,
            size_ms,
            aggs,
            project,
            open: BTreeMap::new(),
        }
    };
    let order = match &query.order_by {
        None => None,
        Some(o) => {
            let ast::OrderByKind::Expressions(exprs) = &o.kind else {
                return Err("ORDER BY ALL is not supported".into());
            };
            if !matches!(kind, PumpKind::Map { .. }) {
                return Err("ORDER BY is supported in a pump without windows or GROUP BY".into());
            }
            let mut keys = Vec::new();
            for (i, x) in exprs.iter().enumerate() {
                let k = eval::compile(&x.expr, &scope)?;
                let desc = matches!(x.options.sort, Some(ast::OrderBySort::Desc));
                if i == 0 {
                    let monotonic = match &k {
                        Expr::Column(c) => monotonic.contains(c),
                        Expr::Floor(of, _, false) => {
                            matches!(**of, Expr::Column(c) if monotonic.contains(&c))
                        }
                        _ => false,
                    };
                    if !monotonic || desc {
                        return Err(
                            "a streaming ORDER BY starts with ROWTIME, or its STEP or FLOOR, ascending"
                                .into(),
                        );
                    }
                }
                keys.push((k, desc));
            }
            Some(pump::Sorter {
                keys,
                held: Vec::new(),
                current: None,
            })
        }
    };
    subqueries.push(Pump {
        name: name.to_owned(),
        source,
        target: target.name.clone(),
        slots,
        target_types,
        kind,
        join,
        order,
    });
    Ok((subqueries, target.clone()))
}
