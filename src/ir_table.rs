//! Tables in the checked rule set: lookup tables and decision tables, their
//! rows as typed tests, ready to evaluate. Included in [`crate::ir`].

use super::{Cmp, Expr, Lit, Meta, Ty};
use crate::diagnostic::Span;
use rust_decimal::Decimal;

/// A checked `table`.
#[derive(Debug, Clone)]
pub struct Table {
    /// Id, title, evidence.
    pub meta: Meta,
    /// How rows that match together give the result.
    pub hit: Hit,
    /// The input expressions, in order.
    pub inputs: Vec<Expr>,
    /// The outputs, in order.
    pub outputs: Vec<TableOutput>,
    /// The versions of the rows: one undated, or each `from` in ascending
    /// order of day.
    pub versions: Vec<TableVersion>,
    /// The `default` row's outputs and where it is written.
    pub default: Option<(Vec<Lit>, Span)>,
    /// `report: yes`: the value appears in the report's values.
    pub report: bool,
}

/// A table's hit policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// At most one row matches (checked at load).
    Unique,
    /// Rows that match together agree (checked at load).
    Any,
    /// The first row that matches.
    First,
    /// The matching row whose first output ranks highest in its `one of`.
    Priority,
    /// Every matching row's output, as a set, or aggregated.
    Collect(Option<Agg>),
    /// Every matching row's output, as a set (in row order).
    RuleOrder,
    /// Every matching row's output, as a set (in priority order).
    OutputOrder,
}

impl Hit {
    /// The words of each policy, as written after `hit:`.
    pub const WORDS: &'static [&'static str] = &[
        "unique",
        "any",
        "first",
        "priority",
        "collect",
        "collect sum",
        "collect count",
        "collect min",
        "collect max",
        "rule order",
        "output order",
    ];

    /// The policy written as `word`.
    pub fn from_word(word: &str) -> Option<Hit> {
        Some(match word {
            "unique" => Hit::Unique,
            "any" => Hit::Any,
            "first" => Hit::First,
            "priority" => Hit::Priority,
            "collect" => Hit::Collect(None),
            "collect sum" => Hit::Collect(Some(Agg::Sum)),
            "collect count" => Hit::Collect(Some(Agg::Count)),
            "collect min" => Hit::Collect(Some(Agg::Min)),
            "collect max" => Hit::Collect(Some(Agg::Max)),
            "rule order" => Hit::RuleOrder,
            "output order" => Hit::OutputOrder,
            _ => return None,
        })
    }

    /// Whether the policy gives one row's outputs (so a `default` row
    /// applies), rather than a set or an aggregate.
    pub fn single(self) -> bool {
        matches!(self, Hit::Unique | Hit::Any | Hit::First | Hit::Priority)
    }
}

/// How `collect` aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    /// The sum of the outputs (0 for no rows).
    Sum,
    /// How many rows matched.
    Count,
    /// The least output (an error for no rows).
    Min,
    /// The greatest output (an error for no rows).
    Max,
}

/// One output of a table.
#[derive(Debug, Clone)]
pub struct TableOutput {
    /// Its name; `None` for the one anonymous output.
    pub name: Option<String>,
    /// The type of one row's value.
    pub ty: Ty,
    /// For `one of {…}` outputs, the values in rank order (first ranks
    /// highest); their row values are interned texts.
    pub values: Vec<String>,
    /// The symbols the values are interned as, in the same order.
    pub syms: Vec<usize>,
    /// `date`: the values are day numbers (its type is [`Ty::Date`]).
    pub date: bool,
}

/// The rows in force from one day on (or always).
#[derive(Debug, Clone)]
pub struct TableVersion {
    /// The first day (days since 1970-01-01) and how it is written;
    /// `None` for an undated table.
    pub from: Option<(i64, String)>,
    /// The rows, in order.
    pub rows: Vec<TableRow>,
}

/// A checked row.
#[derive(Debug, Clone)]
pub struct TableRow {
    /// One test per input.
    pub cells: Vec<CellMatch>,
    /// One literal per output (for an `each additional` row: the step).
    pub outputs: Vec<Lit>,
    /// For an `each additional` row: the largest explicit key and its
    /// value, from which the step counts.
    pub each: Option<(Decimal, Decimal)>,
    /// Where the row is written.
    pub span: Span,
}

/// The test of one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellMatch {
    /// `-`: any value, known or not.
    Any,
    /// `each additional`: a whole number above the largest explicit key
    /// (the row's `each`).
    Each,
    /// Some test holds (`negated`: none holds).
    Tests {
        /// `not(…)`.
        negated: bool,
        /// The tests.
        tests: Vec<CellTest>,
    },
}

/// One test of a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellTest {
    /// `x op lit`; a bare literal is `= lit`.
    Cmp(Cmp, Lit),
    /// A numeric range; each end with whether it is included.
    Range {
        /// The lower end.
        lo: Option<(Decimal, bool)>,
        /// The upper end.
        hi: Option<(Decimal, bool)>,
    },
}

impl CellTest {
    /// Whether the test holds of a known value: `Some(lit)`, or `None` for
    /// a text the rules never mention (equal to no literal).
    pub fn holds(&self, x: Option<&Lit>) -> bool {
        match (self, x) {
            (CellTest::Cmp(op, Lit::Num(c)), Some(Lit::Num(v))) => {
                op.holds(crate::decimal::cmp(v, c))
            }
            (CellTest::Cmp(op, c), x) => {
                let eq = x == Some(c);
                match op {
                    Cmp::Eq => eq,
                    Cmp::Ne => !eq,
                    _ => false,
                }
            }
            (CellTest::Range { lo, hi }, Some(Lit::Num(v))) => {
                let above = lo.is_none_or(|(l, incl)| {
                    let o = crate::decimal::cmp(v, &l);
                    o.is_gt() || (incl && o.is_eq())
                });
                let below = hi.is_none_or(|(h, incl)| {
                    let o = crate::decimal::cmp(v, &h);
                    o.is_lt() || (incl && o.is_eq())
                });
                above && below
            }
            (CellTest::Range { .. }, _) => false,
        }
    }
}

impl CellMatch {
    /// Whether the cell holds of a known value (see [`CellTest::holds`]);
    /// `each` is the row's largest explicit key, for `each additional`.
    pub fn holds(&self, x: Option<&Lit>, each: Option<Decimal>) -> bool {
        match self {
            CellMatch::Any => true,
            CellMatch::Each => match (x, each) {
                (Some(Lit::Num(k)), Some(m)) => k.fract().is_zero() && *k > m,
                _ => false,
            },
            CellMatch::Tests { negated, tests } => tests.iter().any(|t| t.holds(x)) != *negated,
        }
    }
}

impl TableRow {
    /// The row's outputs for inputs whose last is `key`: its literals, or
    /// for an `each additional` row the number counted up from the
    /// largest explicit key. `None` when that number overflows.
    pub fn values(&self, key: Option<&Lit>) -> Option<Vec<Lit>> {
        match (self.each, key, self.outputs.first()) {
            (Some((m, base)), Some(Lit::Num(k)), Some(Lit::Num(step))) => {
                let v = k
                    .checked_sub(m)?
                    .checked_mul(*step)?
                    .checked_add(base)?
                    .normalize();
                Some(vec![Lit::Num(v)])
            }
            _ => Some(self.outputs.clone()),
        }
    }
}
