//! Joins of a stream with a reference table: `FROM s JOIN "table" AS r ON …`, inner or
//! `LEFT [OUTER]`. Each arriving row is matched against the table's rows; the equalities of the
//! condition between a stream-side and a table-side expression are looked up in a hash index,
//! and the whole condition is still evaluated on each candidate.

use super::Row;
use super::agg::PartitionKey;
use crate::eval::Expr;
use crate::value::Value;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub(super) struct TableJoin {
    pub(super) table: String,
    /// `LEFT OUTER`: a row that matches nothing is kept, the table's columns NULL.
    pub(super) outer: bool,
    /// The table's columns.
    pub(super) width: usize,
    /// Over `[stream row…, table row…]`; `None` joins every row with every row.
    pub(super) on: Option<Expr>,
    /// Equalities of `on`: a stream-side expression (over the stream row) and a table-side one
    /// (over the table row).
    pub(super) keys: Vec<(Expr, Expr)>,
    pub(super) rows: Vec<Row>,
    index: HashMap<Vec<PartitionKey>, Vec<usize>>,
}

/// A value as an equality key: whole doubles as integers, so `1 = 1.0` finds its match.
fn key_of(v: Value) -> Option<PartitionKey> {
    match v {
        Value::Null => None,
        Value::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => {
            Some(PartitionKey::Int(d as i64))
        }
        v => Some(PartitionKey::from(v)),
    }
}

impl TableJoin {
    pub(super) fn new(
        table: String,
        outer: bool,
        width: usize,
        on: Option<Expr>,
        keys: Vec<(Expr, Expr)>,
    ) -> Self {
        Self {
            table,
            outer,
            width,
            on,
            keys,
            rows: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Replaces the table's rows.
    pub(super) fn load(&mut self, rows: Vec<Row>) {
        self.index.clear();
        if !self.keys.is_empty() {
            for (i, r) in rows.iter().enumerate() {
                let key: Option<Vec<PartitionKey>> = self
                    .keys
                    .iter()
                    .map(|(_, t)| t.eval(r).ok().and_then(key_of))
                    .collect();
                // A NULL key equals nothing.
                if let Some(k) = key {
                    self.index.entry(k).or_default().push(i);
                }
            }
        }
        self.rows = rows;
    }

    /// The joined rows `row` gives: `[row…, table row…]` for each match.
    pub(super) fn join(&self, row: &Row) -> Result<Vec<Row>, String> {
        let mut out = Vec::new();
        let mut consider = |t: &Row| -> Result<(), String> {
            let mut j = Vec::with_capacity(row.len() + t.len());
            j.extend(row.iter().cloned());
            j.extend(t.iter().cloned());
            if match &self.on {
                None => true,
                Some(on) => on.eval(&j)? == Value::Bool(true),
            } {
                out.push(j);
            }
            Ok(())
        };
        if self.keys.is_empty() {
            for t in &self.rows {
                consider(t)?;
            }
        } else {
            let key = self
                .keys
                .iter()
                .map(|(s, _)| s.eval(row).map(key_of))
                .collect::<Result<Option<Vec<_>>, _>>()?;
            if let Some(matches) = key.and_then(|k| self.index.get(&k)) {
                for &i in matches {
                    consider(&self.rows[i])?;
                }
            }
        }
        if out.is_empty() && self.outer {
            let mut j = row.clone();
            j.extend(std::iter::repeat_n(Value::Null, self.width));
            out.push(j);
        }
        Ok(out)
    }
}

/// How long a row of one side of a stream-to-stream join stays joinable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SideWindow {
    /// Only the arriving row itself takes part.
    Current,
    /// Rows whose ROWTIME is at most this many milliseconds before the current time.
    Range(i64),
    /// The last n rows.
    Rows(usize),
}

#[derive(Debug, Clone)]
struct Held {
    rowtime: i64,
    row: Row,
    matched: bool,
    /// Its equality key (none if a part is NULL: it equals nothing).
    key: Option<Vec<PartitionKey>>,
}

/// One side of a stream-to-stream join: its window and the rows in it, indexed by the
/// equality conditions' expressions on this side.
#[derive(Debug, Clone)]
pub(super) struct Side {
    pub(super) stream: String,
    pub(super) window: SideWindow,
    pub(super) width: usize,
    /// An outer join keeps this side's rows that match nothing (NULLs for the other side).
    pub(super) preserved: bool,
    /// This side's expressions of the condition's `left = right` conjuncts, over its own row.
    keys: Vec<Expr>,
    held: std::collections::VecDeque<Held>,
    /// The sequence number of `held[0]`.
    base: u64,
    /// Key → the sequence numbers of the held rows with that key, oldest first.
    index: HashMap<Vec<PartitionKey>, std::collections::VecDeque<u64>>,
}

impl Side {
    pub(super) fn new(
        stream: String,
        window: SideWindow,
        width: usize,
        preserved: bool,
        keys: Vec<Expr>,
    ) -> Self {
        Self {
            stream,
            window,
            width,
            preserved,
            keys,
            held: Default::default(),
            base: 0,
            index: HashMap::new(),
        }
    }

    fn key(&self, row: &Row) -> Result<Option<Vec<PartitionKey>>, String> {
        Ok(self
            .keys
            .iter()
            .map(|e| e.eval(row).map(key_of))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .collect())
    }

    fn hold(&mut self, h: Held) {
        if let Some(k) = &h.key {
            let seq = self.base + self.held.len() as u64;
            self.index.entry(k.clone()).or_default().push_back(seq);
        }
        self.held.push_back(h);
    }

    fn pop(&mut self) -> Option<Held> {
        let h = self.held.pop_front()?;
        self.base += 1;
        if let Some(k) = &h.key
            && let Some(seqs) = self.index.get_mut(k)
        {
            seqs.pop_front();
            if seqs.is_empty() {
                self.index.remove(k);
            }
        }
        Some(h)
    }

    /// Positions in `held` of the rows that may match a row of the other side with `key`
    /// (every row when the condition has no equalities).
    fn candidates(&self, key: &Option<Vec<PartitionKey>>, unkeyed: bool) -> Vec<usize> {
        if unkeyed {
            return (0..self.held.len()).collect();
        }
        match key.as_ref().and_then(|k| self.index.get(k)) {
            None => Vec::new(),
            Some(seqs) => seqs.iter().map(|s| (s - self.base) as usize).collect(),
        }
    }
}

/// A join of two streams, `FROM a [OVER (…)] JOIN b [OVER (…)] ON …` (inner, LEFT, RIGHT or
/// FULL [OUTER]). A row arriving on one side joins the rows of the other side's window (found
/// through a hash index on the condition's equalities); it then stays in its own side's window,
/// joinable by rows that arrive later. A joined row's ROWTIME is the later of the two; a kept
/// row that matched nothing comes out when it leaves its window (at once if its side has none),
/// at the time it could last have matched. Rows are `[ROWTIME, left row…, right row…]`.
#[derive(Debug, Clone)]
pub(super) struct StreamJoin {
    pub(super) left: Side,
    pub(super) right: Side,
    /// Over the joined row.
    pub(super) on: Option<Expr>,
}

impl StreamJoin {
    fn joined(rowtime: i64, left: &Row, right: &Row) -> Row {
        let mut j = Vec::with_capacity(1 + left.len() + right.len());
        j.push(Value::Timestamp(rowtime));
        j.extend(left.iter().cloned());
        j.extend(right.iter().cloned());
        j
    }

    /// A kept row that matched nothing, with NULLs for the other side (`widths`: left, right).
    fn unmatched(widths: (usize, usize), rowtime: i64, row: &Row, is_left: bool) -> Row {
        let nulls = |n| std::iter::repeat_n(Value::Null, n);
        let mut j = Vec::with_capacity(1 + widths.0 + widths.1);
        j.push(Value::Timestamp(rowtime));
        if is_left {
            j.extend(row.iter().cloned());
            j.extend(nulls(widths.1));
        } else {
            j.extend(nulls(widths.0));
            j.extend(row.iter().cloned());
        }
        j
    }

    /// Drops the rows that have left their windows by `now`; kept ones that matched nothing
    /// come out, in ROWTIME order.
    pub(super) fn expire(&mut self, now: i64, out: &mut Vec<Row>) {
        let widths = (self.left.width, self.right.width);
        let mut gone: Vec<(i64, Row)> = Vec::new();
        for is_left in [true, false] {
            let side = if is_left {
                &mut self.left
            } else {
                &mut self.right
            };
            let SideWindow::Range(ms) = side.window else {
                continue;
            };
            while side.held.front().is_some_and(|h| h.rowtime < now - ms) {
                if let Some(h) = side.pop()
                    && side.preserved
                    && !h.matched
                {
                    gone.push((
                        h.rowtime + ms,
                        Self::unmatched(widths, h.rowtime + ms, &h.row, is_left),
                    ));
                }
            }
        }
        gone.sort_by_key(|(t, _)| *t);
        out.extend(gone.into_iter().map(|(_, r)| r));
    }

    /// A row of `stream` arrives; the joined rows it gives (and rows that left their windows).
    pub(super) fn push(
        &mut self,
        stream: &str,
        row: &Row,
        out: &mut Vec<Row>,
    ) -> Result<(), String> {
        let now = match row.first() {
            Some(Value::Timestamp(t)) => *t,
            _ => 0,
        };
        self.expire(now, out);
        let widths = (self.left.width, self.right.width);
        let is_left = stream == self.left.stream;
        let unkeyed = self.left.keys.is_empty();
        let (own, other) = if is_left {
            (&mut self.left, &mut self.right)
        } else {
            (&mut self.right, &mut self.left)
        };
        let key = own.key(row)?;
        let mut matched = false;
        for i in other.candidates(&key, unkeyed) {
            let h = &mut other.held[i];
            let j = if is_left {
                Self::joined(now, row, &h.row)
            } else {
                Self::joined(now, &h.row, row)
            };
            let ok = match &self.on {
                None => true,
                Some(e) => e.eval(&j)? == Value::Bool(true),
            };
            if ok {
                matched = true;
                h.matched = true;
                out.push(j);
            }
        }
        match own.window {
            SideWindow::Current => {
                if own.preserved && !matched {
                    out.push(Self::unmatched(widths, now, row, is_left));
                }
            }
            SideWindow::Range(_) | SideWindow::Rows(_) => {
                own.hold(Held {
                    rowtime: now,
                    row: row.clone(),
                    matched,
                    key,
                });
                if let SideWindow::Rows(n) = own.window
                    && own.held.len() > n.max(1)
                    && let Some(h) = own.pop()
                    && own.preserved
                    && !h.matched
                {
                    out.push(Self::unmatched(widths, now, &h.row, is_left));
                }
            }
        }
        Ok(())
    }
}
