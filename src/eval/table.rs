//! Evaluating tables, three-valued: a row whose test reads an unknown
//! input is unknown, and each hit policy decides only when the rows it
//! depends on are known. A table is computed where it is read; both the
//! plan (through the walker, or its own band search for simple numeric
//! tables) and the walker come here.

use super::{Eval, EvalError, R, Truth};
use crate::decimal;
use crate::diagnostic::{FileId, Span};
use crate::ir::{self, Agg, Expr, ExprKind, Hit, Lit, Ty};
use crate::profile::{Bits, InputError, Val};
use std::borrow::Cow;

/// What a table's rows gave for one profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Matched {
    /// The result depends on inputs that are absent.
    Unknown(Bits),
    /// One row's outputs (single-result policies): the version, the row,
    /// and its values.
    Row(usize, usize, Vec<Lit>),
    /// No row matched: the default row's outputs.
    Default(usize, Vec<Lit>),
    /// Every matching row's values, in row order (collect policies).
    Rows(usize, Vec<(usize, Vec<Lit>)>),
}

/// An input's value as a table compares it: `Some(lit)`, or `None` for a
/// text the rules never mention.
type Key = Option<Lit>;

impl<'a> Eval<'a> {
    /// The version of a table's rows in force today.
    pub(super) fn table_version(&self, t: &ir::Table) -> R<usize> {
        let first = t.versions.first().and_then(|v| v.from.as_ref());
        let Some((earliest, _)) = first else {
            return Ok(0);
        };
        let today = crate::date::day_number(self.profile.as_of);
        match t
            .versions
            .iter()
            .rposition(|v| v.from.as_ref().is_some_and(|(d, _)| *d <= today))
        {
            Some(i) => Ok(i),
            None => Err(EvalError::Input(super::not_in_force(
                &t.meta.id,
                true,
                self.profile.as_of,
                *earliest,
            ))),
        }
    }

    /// The inputs' values: each known (as a key) or unknown with its
    /// missing fields.
    pub(super) fn table_inputs(&self, t: &'a ir::Table) -> R<Vec<Result<Key, Bits>>> {
        let mut out = Vec::with_capacity(t.inputs.len());
        for e in &t.inputs {
            let (v, m) = self.val(e)?;
            out.push(match v.as_deref() {
                Some(Val::Num(d)) => Ok(Some(Lit::Num(*d))),
                Some(Val::Enum(i)) => Ok(Some(Lit::Enum(*i))),
                Some(Val::Bool(b)) => Ok(Some(Lit::Bool(*b))),
                Some(Val::Text(Some(s), _)) => Ok(Some(Lit::Text(*s))),
                Some(Val::Text(None, _)) => Ok(None),
                Some(Val::Program(p)) => Ok(Some(Lit::Program(*p))),
                _ => Err(m),
            });
        }
        Ok(out)
    }

    /// Which rows of the table match.
    pub(crate) fn table_match(&self, t: &'a ir::Table) -> R<Matched> {
        let v = self.table_version(t)?;
        let inputs = self.table_inputs(t)?;
        let Some(version) = t.versions.get(v) else {
            return Ok(Matched::Unknown(Bits::default()));
        };
        let last = inputs
            .last()
            .and_then(|k| k.as_ref().ok())
            .and_then(Option::as_ref);
        let mut unknown = Bits::default();
        let mut any_unknown = false;
        let mut rows: Vec<(usize, Vec<Lit>)> = Vec::new();
        // For `priority`: the best rank of an unknown row so far.
        let mut unknown_rank: Option<usize> = None;
        for (i, row) in version.rows.iter().enumerate() {
            let (truth, m) = row_truth(row, &inputs);
            match truth {
                Truth::False => {}
                Truth::Unknown => {
                    any_unknown = true;
                    unknown.union(&m);
                    match t.hit {
                        // An earlier unknown row could be the first.
                        Hit::First => return Ok(Matched::Unknown(unknown)),
                        Hit::Priority => {
                            let r = rank(t, &row.outputs);
                            unknown_rank = Some(unknown_rank.map_or(r, |u| u.min(r)));
                        }
                        _ => {}
                    }
                }
                Truth::True => {
                    let values = row.values(last).ok_or_else(|| self.table_overflow(t))?;
                    if t.hit == Hit::First {
                        return Ok(Matched::Row(v, i, values));
                    }
                    rows.push((i, values));
                }
            }
        }
        if t.hit.single() {
            let best = match t.hit {
                Hit::Priority => rows.iter().min_by_key(|(_, vals)| rank(t, vals)).cloned(),
                _ => rows.first().cloned(),
            };
            if let Some((i, values)) = best {
                // Under `priority`, an unknown row that could outrank the
                // true one leaves the result unknown.
                let outranked =
                    t.hit == Hit::Priority && unknown_rank.is_some_and(|u| u < rank(t, &values));
                if !outranked {
                    return Ok(Matched::Row(v, i, values));
                }
                return Ok(Matched::Unknown(unknown));
            }
            if any_unknown {
                return Ok(Matched::Unknown(unknown));
            }
            return match &t.default {
                Some((values, _)) => Ok(Matched::Default(v, values.clone())),
                None => Err(self.no_row(t, &inputs)),
            };
        }
        if any_unknown {
            return Ok(Matched::Unknown(unknown));
        }
        Ok(Matched::Rows(v, rows))
    }

    /// The value of output `o` of table `ix`, or unknown with its missing
    /// fields.
    pub(super) fn table_val(&self, ix: usize, o: usize) -> R<(Option<Cow<'_, Val>>, Bits)> {
        let Some(t) = self.rules.tables.get(ix) else {
            return Ok((None, Bits::default()));
        };
        let known = |v: Val| Ok((Some(Cow::Owned(v)), Bits::default()));
        let out_ty = t.outputs.get(o).map_or(Ty::Num, |x| x.ty);
        match self.table_match(t)? {
            Matched::Unknown(m) => Ok((None, m)),
            Matched::Row(_, _, values) | Matched::Default(_, values) => match values.get(o) {
                Some(l) => known(self.table_lit(l)),
                None => Ok((None, Bits::default())),
            },
            Matched::Rows(_, rows) => {
                let mut values: Vec<&Lit> = rows.iter().filter_map(|(_, v)| v.get(o)).collect();
                if t.hit == Hit::OutputOrder {
                    values.sort_by_key(|l| rank_of(t, o, l));
                }
                let nums = || {
                    values.iter().filter_map(|l| match l {
                        Lit::Num(d) => Some(*d),
                        _ => None,
                    })
                };
                match t.hit {
                    Hit::Collect(Some(Agg::Count)) => known(Val::Num(values.len().into())),
                    Hit::Collect(Some(Agg::Sum)) => {
                        let mut sum = rust_decimal::Decimal::ZERO;
                        for d in nums() {
                            sum = sum.checked_add(d).ok_or_else(|| self.table_overflow(t))?;
                        }
                        known(Val::Num(sum.normalize()))
                    }
                    Hit::Collect(Some(agg)) => {
                        let pick = nums().reduce(|a, b| {
                            let o = decimal::cmp(&a, &b);
                            if (agg == Agg::Min) == o.is_le() { a } else { b }
                        });
                        match pick {
                            Some(d) => known(Val::Num(d)),
                            None => {
                                let inputs = self.table_inputs(t)?;
                                Err(self.no_row(t, &inputs))
                            }
                        }
                    }
                    _ => {
                        let mut bits = Bits::default();
                        let mut members: Vec<String> = Vec::new();
                        for l in values {
                            let name = match l {
                                Lit::Text(s) => {
                                    bits.insert(*s);
                                    self.rules
                                        .symbols
                                        .get_index(*s)
                                        .cloned()
                                        .unwrap_or_default()
                                }
                                Lit::Num(d) if out_ty == Ty::Num => decimal::show(*d),
                                _ => continue,
                            };
                            if !members.contains(&name) {
                                members.push(name);
                            }
                        }
                        known(Val::Set(bits, members.len(), members))
                    }
                }
            }
        }
    }

    /// A row's literal as a value; texts carry their string, for reports.
    pub(super) fn table_lit(&self, l: &Lit) -> Val {
        match l {
            Lit::Bool(b) => Val::Bool(*b),
            Lit::Num(d) => Val::Num(*d),
            Lit::Text(s) => Val::Text(
                Some(*s),
                self.rules
                    .symbols
                    .get_index(*s)
                    .map(|x| x.as_str().into())
                    .unwrap_or_default(),
            ),
            Lit::Enum(i) => Val::Enum(*i),
            Lit::Program(p) => Val::Program(*p),
        }
    }

    /// `age = 30, housing = homeless`: the inputs as written, with their
    /// values (`unknown` where absent).
    pub(crate) fn table_inputs_text(&self, t: &'a ir::Table) -> String {
        t.inputs
            .iter()
            .map(|e| {
                let shown = match self.val(e) {
                    Ok((Some(v), _)) => match self.json(Some(v.as_ref()), e.ty) {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    },
                    _ => "unknown".to_string(),
                };
                format!("{} = {shown}", self.text_of(e))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What an explanation shows of a table it read: the value, the row
    /// that matched (its line, its text as written, the dated version)
    /// and the inputs' values.
    pub(super) fn table_values(
        &self,
        ix: usize,
        o: usize,
        out: &mut indexmap::IndexMap<String, serde_json::Value>,
    ) {
        let Some(t) = self.rules.tables.get(ix) else {
            return;
        };
        let name = match t.outputs.get(o).and_then(|x| x.name.as_ref()) {
            Some(n) => format!("{}.{n}", t.meta.id),
            None => t.meta.id.clone(),
        };
        let ty = t.outputs.get(o).map_or(Ty::Num, |x| x.ty);
        let value = match self.table_val(ix, o) {
            Ok((v, _)) => v
                .as_deref()
                .map_or(serde_json::Value::Null, |v| self.json(Some(v), ty)),
            Err(e) => serde_json::Value::String(format!("error: {}", e.message())),
        };
        out.insert(name, value);
        let version = |v: usize| {
            t.versions
                .get(v)
                .and_then(|x| x.from.as_ref())
                .map(|(_, d)| format!(" (rows from {d})"))
                .unwrap_or_default()
        };
        let row = match self.table_match(t) {
            Ok(Matched::Row(v, r, _)) => t
                .versions
                .get(v)
                .and_then(|x| x.rows.get(r))
                .map(|row| format!("{}{}", self.row_text(t, row.span), version(v))),
            Ok(Matched::Default(v, _)) => t
                .default
                .as_ref()
                .map(|(_, span)| format!("{}{}", self.row_text(t, *span), version(v))),
            Ok(Matched::Rows(v, rows)) => {
                let lines: Vec<String> = rows
                    .iter()
                    .filter_map(|(r, _)| t.versions.get(v)?.rows.get(*r))
                    .map(|row| self.row_text(t, row.span))
                    .collect();
                Some(if lines.is_empty() {
                    format!("no row{}", version(v))
                } else {
                    format!("{}{}", lines.join("; "), version(v))
                })
            }
            Ok(Matched::Unknown(_)) => Some("unknown".into()),
            Err(_) => None,
        };
        if let Some(row) = row {
            out.insert(format!("{}.row", t.meta.id), serde_json::Value::String(row));
        }
        for input in &t.inputs {
            self.values_read(input, out);
        }
    }

    /// The rows (and default rows) that matched in the tables `e` reads,
    /// directly or through a table's inputs, for coverage.
    pub(super) fn rows_matched(&self, e: &'a Expr) -> Vec<(FileId, Span)> {
        let mut out = Vec::new();
        let mut stack: Vec<&'a Expr> = vec![e];
        let mut seen = std::collections::HashSet::new();
        while let Some(x) = stack.pop() {
            x.visit(&mut |y| {
                let ExprKind::Table { table, .. } = y.kind else {
                    return;
                };
                let Some(t) = self.rules.tables.get(table) else {
                    return;
                };
                if !seen.insert(table) {
                    return;
                }
                let file = t.meta.file;
                match self.table_match(t) {
                    Ok(Matched::Row(v, r, _)) => {
                        if let Some(row) = t.versions.get(v).and_then(|x| x.rows.get(r)) {
                            out.push((file, row.span));
                        }
                    }
                    Ok(Matched::Default(..)) => {
                        out.extend(t.default.as_ref().map(|(_, s)| (file, *s)));
                    }
                    Ok(Matched::Rows(v, rows)) => {
                        for (r, _) in rows {
                            if let Some(row) = t.versions.get(v).and_then(|x| x.rows.get(r)) {
                                out.push((file, row.span));
                            }
                        }
                    }
                    Ok(Matched::Unknown(_)) | Err(_) => {}
                }
                stack.extend(t.inputs.iter());
            });
        }
        out
    }

    /// `line 12: >= 18 | homeless -> approved, 5`
    fn row_text(&self, t: &ir::Table, span: Span) -> String {
        let line = self.rules.sources.locate(t.meta.file, span).line;
        let text = self
            .rules
            .sources
            .slice(t.meta.file, span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        format!("line {line}: {text}")
    }

    fn no_row(&self, t: &'a ir::Table, _inputs: &[Result<Key, Bits>]) -> EvalError {
        EvalError::Input(InputError::new(
            t.meta.id.clone(),
            format!(
                "{}: no row matches {}",
                t.meta.id,
                self.table_inputs_text(t)
            ),
        ))
    }

    fn table_overflow(&self, t: &ir::Table) -> EvalError {
        EvalError::Input(InputError::new(
            t.meta.id.clone(),
            format!("{}: the value overflows an exact decimal", t.meta.id),
        ))
    }
}

/// A row's truth: false if some cell is false, else unknown if some cell
/// reads an unknown input, else true.
pub(crate) fn row_truth(row: &ir::TableRow, inputs: &[Result<Key, Bits>]) -> (Truth, Bits) {
    let mut missing = Bits::default();
    let mut unknown = false;
    for (cell, input) in row.cells.iter().zip(inputs) {
        if *cell == ir::CellMatch::Any {
            continue;
        }
        match input {
            Ok(k) => {
                if !cell.holds(k.as_ref(), row.each.map(|e| e.0)) {
                    return (Truth::False, Bits::default());
                }
            }
            Err(m) => {
                unknown = true;
                missing.union(m);
            }
        }
    }
    if unknown {
        (Truth::Unknown, missing)
    } else {
        (Truth::True, Bits::default())
    }
}

/// A row's rank under `priority`: its first output's position in its
/// `one of` list (0 ranks highest).
fn rank(t: &ir::Table, values: &[Lit]) -> usize {
    values.first().map_or(usize::MAX, |l| rank_of(t, 0, l))
}

fn rank_of(t: &ir::Table, o: usize, l: &Lit) -> usize {
    match (t.outputs.get(o), l) {
        (Some(out), Lit::Text(s)) => out.syms.iter().position(|x| x == s).unwrap_or(usize::MAX),
        _ => usize::MAX,
    }
}
