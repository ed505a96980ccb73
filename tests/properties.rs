//! Properties of the engine over generated rule sets and profiles
//! (proptest). Each property names what it guards:
//!
//! - `generated_rule_sets_load_and_evaluate`: rule sets made of random
//!   conditions over a small schema load, and evaluating random profiles
//!   never panics and fails only on a division by zero or an overflow;
//! - `formatting_round_trips`: `format_source` is idempotent, and the
//!   formatted text means the same (same diagnostics, or the same reports);
//! - `unknowns_never_flip_decided_items`: filling in fields that were
//!   unknown never changes an item that was already decided (for rules
//!   without `is known`, `is unknown` and `recommended`, which are
//!   deliberately not monotone);
//! - `reports_are_byte_identical`: the same input gives the same bytes,
//!   from one engine twice and from two engines loaded apart;
//! - `medicaid_limit_is_exact` and `reference_medicaid_limit_is_exact`:
//!   `monthly_income * 12 <= 1.38 * (15960 + 5680 * (n - 1))` agrees with
//!   an exact computation in cents;
//! - `an_intake_has_no_transition_and_no_over_time_warning`: for the
//!   reference policy, a client with `current_program` absent, null or
//!   `none` has no transition (`transition_truth` false) and neither
//!   `reassessment_due` nor `disengagement` (false, never undetermined),
//!   whatever the other fields hold.
//!
//! Case counts keep the file under about 30 seconds in a debug build.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::{Engine, LoadError, LoadOptions};
use careplan::{Report, Status, Truth};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

// ------------------------------------------------------------ the schema

/// The schema every generated rule set uses.
const SCHEMA: &str = "schema {
  id: text
  n1: integer between -50 and 50
  n2: integer at least 0
  d1: decimal
  b1: boolean
  e1: one of {red, green, blue}
  s1: set of {alpha, beta, gamma}
  t1: set of text
  f1: integer between 0 and 9 default 3 because \"generated\"
  dt1: date
}
";

/// Tables every generated rule set has, read as numbers (`Num::Table`):
/// bands (which the plan searches by binary search), a `first` table over
/// three kinds of input, and `collect` aggregates.
const TABLES: &str = "
table tb_band {
  input: n1
  < -10 -> 1
  -10 to 0 -> 2
  (0..10] -> 3
  default -> 4
}

table tb_first {
  hit: first
  input: n1, e1, b1
  > 0 | red, green | - -> 5
  - | blue | true -> 6
  default -> 7
}

table tb_sum {
  hit: collect sum
  input: n2, e1
  >= 5 | - -> 1
  - | red -> 2
}

table tb_max {
  hit: collect max
  input: (n2 + 1), b1
  - | - -> 0
  [3..20) | - -> 8
  - | not(false) -> 9
}
";
const TABLE_NAMES: [&str; 4] = ["tb_band", "tb_first", "tb_sum", "tb_max"];

/// The fields, for profiles and for removing fields.
const FIELDS: [&str; 9] = ["n1", "n2", "d1", "b1", "e1", "s1", "t1", "f1", "dt1"];
/// Dates in conditions: the field, the evaluation date, literals (a leap
/// day and a month end among them).
const DATES: [&str; 5] = ["dt1", "today", "2024-02-29", "2001-01-31", "2026-03-01"];
const COLOURS: [&str; 3] = ["red", "green", "blue"];
const GREEK: [&str; 3] = ["alpha", "beta", "gamma"];
const WORDS: [&str; 3] = ["x", "y", "z"];

// ----------------------------------------------------------- expressions

/// A numeric expression, printed in the canonical spacing.
#[derive(Debug, Clone)]
enum Num {
    Int(i64),
    /// Hundredths, printed with two decimals.
    Cents(i64),
    Percent(u32),
    Field(&'static str),
    Count(&'static str),
    Define(usize),
    Table(&'static str),
    Neg(Box<Num>),
    Arith(Box<Num>, &'static str, Box<Num>),
    Paren(Box<Num>),
    /// `min(…)`, `max(…)`, `abs(x)`.
    Call(&'static str, Vec<Num>),
    /// `round(x, p)`, `floor(x, p)`, `ceil(x, p)`.
    Rounded(&'static str, Box<Num>, u32),
    /// `clamp(x, lo, hi)` with constant bounds, lo <= hi.
    Clamp(Box<Num>, i64, i64),
    /// `(if field op k then a else b)`.
    If(&'static str, &'static str, i64, Box<Num>, Box<Num>),
    /// `first known of (…)`: not monotone.
    FirstKnown(Vec<Num>),
    /// `weighted sum of s1 {key: weight, …}`, keys distinct.
    Weighted(Vec<(&'static str, i64)>),
    /// `years since d` (no second date) or `days between a and b`.
    Duration(&'static str, &'static str, Option<&'static str>),
}

/// A condition.
#[derive(Debug, Clone)]
enum Cond {
    Bool(bool),
    Flag,
    Cmp(Num, &'static str, Num),
    Chain(Num, &'static str, Num, &'static str, Num),
    Is(bool, &'static str),
    InColours(bool, Vec<&'static str>),
    MemberOf(&'static str),
    Has(&'static str, Vec<&'static str>),
    WordIn(&'static str),
    Known(bool, &'static str),
    Eligible(usize),
    Referred(usize),
    /// `caseload_full` or `caseload_exceeded` of a program (`None`: `any`).
    Caseload(&'static str, Option<usize>),
    /// `caseload_full(recommended)`: reads the recommendation.
    FullRecommended,
    Recommended(Option<usize>),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Paren(Box<Cond>),
    /// `at least n of (…)` (false) or `at most n of (…)` (true).
    Count(bool, usize, Vec<Cond>),
    /// `(if c then a else b)` of conditions.
    If(Box<Cond>, Box<Cond>, Box<Cond>),
    /// Two dates compared.
    DateCmp(&'static str, &'static str, &'static str),
}

impl Num {
    fn print(&self, out: &mut String) {
        match self {
            Num::Int(i) => out.push_str(&i.to_string()),
            Num::Cents(c) => {
                let sign = if *c < 0 { "-" } else { "" };
                out.push_str(&format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100));
            }
            Num::Percent(p) => out.push_str(&format!("{p}%")),
            Num::Field(f) => out.push_str(f),
            Num::Count(f) => out.push_str(&format!("count({f})")),
            Num::Define(i) => out.push_str(&format!("v{i}")),
            Num::Table(t) => out.push_str(t),
            Num::Neg(x) => {
                out.push('-');
                x.print(out);
            }
            Num::Arith(a, op, b) => {
                a.print(out);
                out.push_str(&format!(" {op} "));
                b.print(out);
            }
            Num::Paren(x) => {
                out.push('(');
                x.print(out);
                out.push(')');
            }
            Num::Call(f, args) => {
                out.push_str(f);
                out.push('(');
                print_list(args, out);
                out.push(')');
            }
            Num::Rounded(f, x, p) => {
                out.push_str(&format!("{f}("));
                x.print(out);
                out.push_str(&format!(", {p})"));
            }
            Num::Clamp(x, lo, hi) => {
                out.push_str("clamp(");
                x.print(out);
                out.push_str(&format!(", {lo}, {hi})"));
            }
            Num::If(f, op, k, a, b) => {
                out.push_str(&format!("(if {f} {op} {k} then "));
                a.print(out);
                out.push_str(" else ");
                b.print(out);
                out.push(')');
            }
            Num::FirstKnown(xs) => {
                out.push_str("first known of (");
                print_list(xs, out);
                out.push(')');
            }
            Num::Weighted(ws) => {
                let ws: Vec<String> = ws.iter().map(|(k, w)| format!("{k}: {w}")).collect();
                out.push_str(&format!("weighted sum of s1 {{{}}}", ws.join(", ")));
            }
            Num::Duration(unit, a, None) => out.push_str(&format!("{unit} since {a}")),
            Num::Duration(unit, a, Some(b)) => {
                out.push_str(&format!("{unit} between {a} and {b}"));
            }
        }
    }
}

fn print_list(xs: &[Num], out: &mut String) {
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        x.print(out);
    }
}

impl Cond {
    fn print(&self, out: &mut String) {
        match self {
            Cond::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Cond::Flag => out.push_str("b1"),
            Cond::Cmp(a, op, b) => {
                a.print(out);
                out.push_str(&format!(" {op} "));
                b.print(out);
            }
            Cond::Chain(a, op1, b, op2, c) => {
                a.print(out);
                out.push_str(&format!(" {op1} "));
                b.print(out);
                out.push_str(&format!(" {op2} "));
                c.print(out);
            }
            Cond::Is(neg, v) => {
                out.push_str(if *neg { "e1 is not " } else { "e1 is " });
                out.push_str(v);
            }
            Cond::InColours(neg, vs) => {
                out.push_str(if *neg { "e1 not in {" } else { "e1 in {" });
                out.push_str(&vs.join(", "));
                out.push('}');
            }
            Cond::MemberOf(v) => out.push_str(&format!("{v} in s1")),
            Cond::Has(q, vs) => out.push_str(&format!("s1 has {q} of {{{}}}", vs.join(", "))),
            Cond::WordIn(w) => out.push_str(&format!("\"{w}\" in t1")),
            Cond::Known(known, f) => {
                out.push_str(f);
                out.push_str(if *known { " is known" } else { " is unknown" });
            }
            Cond::Eligible(i) => out.push_str(&format!("eligible(p{i})")),
            Cond::Referred(i) => out.push_str(&format!("referred(r{i})")),
            Cond::Caseload(f, p) => match p {
                Some(i) => out.push_str(&format!("{f}(p{i})")),
                None => out.push_str(&format!("{f}(any)")),
            },
            Cond::FullRecommended => out.push_str("caseload_full(recommended)"),
            Cond::Recommended(p) => match p {
                Some(i) => out.push_str(&format!("recommended is p{i}")),
                None => out.push_str("recommended is none"),
            },
            Cond::Not(x) => {
                out.push_str("not ");
                x.print(out);
            }
            Cond::And(xs) | Cond::Or(xs) => {
                let op = if matches!(self, Cond::And(_)) {
                    " and "
                } else {
                    " or "
                };
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(op);
                    }
                    x.print(out);
                }
            }
            Cond::Paren(x) => {
                out.push('(');
                x.print(out);
                out.push(')');
            }
            Cond::Count(at_most, n, xs) => {
                out.push_str(if *at_most { "at most " } else { "at least " });
                out.push_str(&format!("{n} of ("));
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    x.print(out);
                }
                out.push(')');
            }
            Cond::If(c, a, b) => {
                out.push_str("(if ");
                c.print(out);
                out.push_str(" then ");
                a.print(out);
                out.push_str(" else ");
                b.print(out);
                out.push(')');
            }
            Cond::DateCmp(a, op, b) => out.push_str(&format!("{a} {op} {b}")),
        }
    }
}

/// What a generated rule set may use.
#[derive(Debug, Clone, Copy)]
struct Scope {
    /// Definitions `v0 … v(defines-1)` exist.
    defines: usize,
    /// `eligible(p0 … p(programs-1))` may be named.
    programs: usize,
    /// `referred(r0 … r(referrals-1))` may be named.
    referrals: usize,
    /// `is known`, `is unknown` and `recommended` may be used.
    non_monotone: bool,
}

fn num(scope: Scope) -> impl Strategy<Value = Num> {
    let mut leaves: Vec<BoxedStrategy<Num>> = vec![
        (-20i64..=120).prop_map(Num::Int).boxed(),
        (-2_000i64..=20_000).prop_map(Num::Cents).boxed(),
        (1u32..=200).prop_map(Num::Percent).boxed(),
        prop::sample::select(vec!["n1", "n2", "d1"])
            .prop_map(Num::Field)
            .boxed(),
        prop::sample::select(vec!["s1", "t1"])
            .prop_map(Num::Count)
            .boxed(),
        (
            prop::sample::select(vec!["days", "months", "years"]),
            prop::sample::select(DATES.to_vec()),
            prop::option::of(prop::sample::select(DATES.to_vec())),
        )
            .prop_map(|(u, a, b)| Num::Duration(u, a, b))
            .boxed(),
        prop::sample::select(TABLE_NAMES.to_vec())
            .prop_map(Num::Table)
            .boxed(),
    ];
    if scope.defines > 0 {
        leaves.push((0..scope.defines).prop_map(Num::Define).boxed());
    }
    // A field with a default is not monotone: filled in, it changes from
    // its default rather than from unknown.
    if scope.non_monotone {
        leaves.push(Just(Num::Field("f1")).boxed());
    }
    leaves.push(
        prop::sample::subsequence(GREEK.to_vec(), 1..=3)
            .prop_flat_map(|keys| {
                let n = keys.len();
                (Just(keys), prop::collection::vec(-5i64..=10, n))
            })
            .prop_map(|(keys, ws)| Num::Weighted(keys.into_iter().zip(ws).collect()))
            .boxed(),
    );
    let non_monotone = scope.non_monotone;
    prop::strategy::Union::new(leaves).prop_recursive(3, 12, 2, move |inner| {
        let first_known = if non_monotone {
            prop::collection::vec(inner.clone(), 2..=3)
                .prop_map(Num::FirstKnown)
                .boxed()
        } else {
            inner.clone().boxed()
        };
        prop_oneof![
            first_known,
            (
                prop::sample::select(vec!["min", "max"]),
                prop::collection::vec(inner.clone(), 2..=3)
            )
                .prop_map(|(f, xs)| Num::Call(f, xs)),
            inner.clone().prop_map(|x| Num::Call("abs", vec![x])),
            (
                prop::sample::select(vec!["round", "floor", "ceil"]),
                inner.clone(),
                0u32..=2
            )
                .prop_map(|(f, x, p)| Num::Rounded(f, Box::new(x), p)),
            (inner.clone(), -20i64..=20, 0i64..=40).prop_map(|(x, lo, w)| Num::Clamp(
                Box::new(x),
                lo,
                lo + w
            )),
            (
                prop::sample::select(vec!["n1", "n2", "d1"]),
                prop::sample::select(CMP.to_vec()),
                -5i64..=60,
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(f, op, k, a, b)| Num::If(
                    f,
                    op,
                    k,
                    Box::new(a),
                    Box::new(b)
                )),
            inner
                .clone()
                .prop_map(|x| Num::Neg(Box::new(Num::Paren(Box::new(x))))),
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "of"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| Num::Paren(Box::new(Num::Arith(
                    Box::new(a),
                    op,
                    Box::new(b)
                )))),
        ]
    })
}

fn subset<T: Clone + std::fmt::Debug + 'static>(
    all: &'static [T],
) -> impl Strategy<Value = Vec<T>> {
    prop::sample::subsequence(all.to_vec(), 1..=all.len())
}

const CMP: [&str; 6] = ["<", "<=", ">", ">=", "=", "!="];

fn cond(scope: Scope) -> impl Strategy<Value = Cond> {
    let mut leaves: Vec<BoxedStrategy<Cond>> = vec![
        any::<bool>().prop_map(Cond::Bool).boxed(),
        Just(Cond::Flag).boxed(),
        (num(scope), prop::sample::select(CMP.to_vec()), num(scope))
            .prop_map(|(a, op, b)| Cond::Cmp(a, op, b))
            .boxed(),
        (
            num(scope),
            prop::sample::select(vec!["<", "<="]),
            num(scope),
            prop::sample::select(vec!["<", "<="]),
            num(scope),
        )
            .prop_map(|(a, o1, b, o2, c)| Cond::Chain(a, o1, b, o2, c))
            .boxed(),
        (any::<bool>(), prop::sample::select(COLOURS.to_vec()))
            .prop_map(|(n, v)| Cond::Is(n, v))
            .boxed(),
        (any::<bool>(), subset(&COLOURS))
            .prop_map(|(n, v)| Cond::InColours(n, v))
            .boxed(),
        prop::sample::select(GREEK.to_vec())
            .prop_map(Cond::MemberOf)
            .boxed(),
        (
            prop::sample::select(vec!["any", "all", "none"]),
            subset(&GREEK),
        )
            .prop_map(|(q, v)| Cond::Has(q, v))
            .boxed(),
        prop::sample::select(WORDS.to_vec())
            .prop_map(Cond::WordIn)
            .boxed(),
        prop::sample::select(vec!["caseload_full", "caseload_exceeded"])
            .prop_map(|f| Cond::Caseload(f, None))
            .boxed(),
        (
            prop::sample::select(DATES.to_vec()),
            prop::sample::select(CMP.to_vec()),
            prop::sample::select(DATES.to_vec()),
        )
            .prop_map(|(a, op, b)| Cond::DateCmp(a, op, b))
            .boxed(),
    ];
    if scope.non_monotone {
        leaves.push(
            (any::<bool>(), prop::sample::select(FIELDS.to_vec()))
                .prop_map(|(k, f)| Cond::Known(k, f))
                .boxed(),
        );
    }
    if scope.programs > 0 {
        leaves.push((0..scope.programs).prop_map(Cond::Eligible).boxed());
        leaves.push(
            (
                prop::sample::select(vec!["caseload_full", "caseload_exceeded"]),
                0..scope.programs,
            )
                .prop_map(|(f, i)| Cond::Caseload(f, Some(i)))
                .boxed(),
        );
    }
    if scope.referrals > 0 {
        leaves.push((0..scope.referrals).prop_map(Cond::Referred).boxed());
    }
    prop::strategy::Union::new(leaves).prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(|x| Cond::Not(Box::new(Cond::Paren(Box::new(x))))),
            prop::collection::vec(inner.clone(), 2..=3)
                .prop_map(|xs| Cond::Paren(Box::new(Cond::And(xs)))),
            prop::collection::vec(inner.clone(), 2..=3)
                .prop_map(|xs| Cond::Paren(Box::new(Cond::Or(xs)))),
            (any::<bool>(), prop::collection::vec(inner.clone(), 1..=4))
                .prop_flat_map(|(at_most, xs)| {
                    let len = xs.len();
                    (Just(at_most), 0..=len, Just(xs))
                })
                .prop_map(|(at_most, n, xs)| Cond::Count(at_most, n, xs)),
            (inner.clone(), inner.clone(), inner).prop_map(|(c, a, b)| Cond::If(
                Box::new(c),
                Box::new(a),
                Box::new(b)
            )),
        ]
    })
}

// ------------------------------------------------------------- rule sets

/// A generated rule set, printed in canonical spacing.
#[derive(Debug, Clone)]
struct Rules {
    text: String,
}

fn printed(c: &Cond) -> String {
    let mut s = String::new();
    c.print(&mut s);
    s
}

/// ` unless c`, or nothing.
fn unless(exception: &Option<Cond>) -> String {
    exception
        .as_ref()
        .map_or(String::new(), |x| format!(" unless {}", printed(x)))
}

fn printed_num(n: &Num) -> String {
    let mut s = String::new();
    n.print(&mut s);
    s
}

/// Definitions, then programs (each may read the ones before), referrals
/// (which may read every program and the referrals before), warnings.
fn rules(non_monotone: bool) -> impl Strategy<Value = Rules> {
    let base = Scope {
        defines: 0,
        programs: 0,
        referrals: 0,
        non_monotone,
    };
    (1usize..=3, 1usize..=4, 0usize..=3, 0usize..=3)
        .prop_flat_map(move |(nd, np, nr, nw)| {
            let defines: Vec<_> = (0..nd)
                .map(|i| num(Scope { defines: i, ..base }).boxed())
                .collect();
            let programs: Vec<_> = (0..np)
                .map(|i| {
                    let s = Scope { defines: nd, programs: i, ..base };
                    (cond(s), prop::option::of(1u64..=40), prop::option::of(cond(s)))
                        .boxed()
                })
                .collect();
            let referrals: Vec<_> = (0..nr)
                .map(|i| {
                    let s = Scope { defines: nd, programs: np, referrals: i, ..base };
                    (prop::option::of(cond(s)), cond(s)).boxed()
                })
                .collect();
            let ws = Scope { defines: nd, programs: np, referrals: nr, ..base };
            let warnings: Vec<_> = (0..nw)
                .map(|_| {
                    let extra: BoxedStrategy<Cond> = if non_monotone {
                        prop_oneof![
                            cond(ws),
                            (0..=np).prop_map(move |i| Cond::Recommended((i < np).then_some(i))),
                            Just(Cond::FullRecommended),
                        ]
                        .boxed()
                    } else {
                        cond(ws).boxed()
                    };
                    (
                        extra,
                        prop::sample::select(vec!["info", "warning", "critical"]),
                        prop::option::of(cond(ws)),
                    )
                        .boxed()
                })
                .collect();
            (defines, programs, referrals, warnings)
        })
        .prop_map(|(defines, programs, referrals, warnings)| {
            let mut text = String::from(SCHEMA);
            text.push_str(TABLES);
            for (i, v) in defines.iter().enumerate() {
                text.push_str(&format!("\ndefine v{i} {{\n  value: {}\n}}\n", printed_num(v)));
            }
            for (i, (c, caseload, exception)) in programs.iter().enumerate() {
                text.push_str(&format!(
                    "\nprogram p{i} \"Program {i}\" {{\n  intensity: {}\n  eligible when {}{}\n",
                    i * 10,
                    printed(c),
                    unless(exception)
                ));
                if let Some(n) = caseload {
                    text.push_str(&format!("  caseload: at most {n} per case manager\n"));
                }
                text.push_str(&format!("  services: s{i}, shared\n}}\n"));
            }
            for (i, (urgent, routine)) in referrals.iter().enumerate() {
                text.push_str(&format!("\nreferral r{i} {{\n"));
                if let Some(u) = urgent {
                    text.push_str(&format!("  urgent when {}\n", printed(u)));
                }
                text.push_str(&format!("  routine when {}\n}}\n", printed(routine)));
            }
            for (i, (c, severity, exception)) in warnings.iter().enumerate() {
                text.push_str(&format!(
                    "\nwarning w{i} {{\n  severity: {severity}\n  when {}{}\n  message: \"w{i}\"\n}}\n",
                    printed(c),
                    unless(exception)
                ));
            }
            Rules { text }
        })
}

// -------------------------------------------------------------- profiles

fn field_value(field: &'static str) -> BoxedStrategy<Value> {
    match field {
        "n1" => (-50i64..=50).prop_map(|n| json!(n)).boxed(),
        "n2" => prop_oneof![0i64..=100, 0i64..=i64::from(i32::MAX)]
            .prop_map(|n| json!(n))
            .boxed(),
        "d1" => (-100_000i64..=100_000)
            .prop_map(|c| {
                serde_json::from_str(&format!(
                    "{}{}.{:02}",
                    if c < 0 { "-" } else { "" },
                    c.abs() / 100,
                    c.abs() % 100
                ))
                .unwrap()
            })
            .boxed(),
        "b1" => any::<bool>().prop_map(Value::Bool).boxed(),
        "f1" => (0i64..=9).prop_map(|n| json!(n)).boxed(),
        "e1" => prop::sample::select(COLOURS.to_vec())
            .prop_map(|v| json!(v))
            .boxed(),
        "s1" => prop::sample::subsequence(GREEK.to_vec(), 0..=3)
            .prop_map(|v| json!(v))
            .boxed(),
        // 1990-01-01 to 2030-12-31, leap days and month ends included.
        "dt1" => (7_305i64..=22_279)
            .prop_map(|n| json!(careplan::date::from_day_number(n).map(careplan::date::show)))
            .boxed(),
        _ => prop::collection::vec(prop::sample::select(vec!["x", "y", "z", "w"]), 0..4)
            .prop_map(|v| json!(v))
            .boxed(),
    }
}

/// A profile: each field absent, `null`, or a valid value.
fn profile() -> impl Strategy<Value = Value> {
    let fields: Vec<_> = FIELDS
        .iter()
        .map(|f| prop_oneof![1 => Just(None), 1 => Just(Some(Value::Null)), 6 => field_value(f).prop_map(Some)])
        .collect();
    (fields, "[a-z0-9-]{1,8}").prop_map(|(values, id)| {
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        for (f, v) in FIELDS.iter().zip(values) {
            if let Some(v) = v {
                m.insert((*f).into(), v);
            }
        }
        Value::Object(m)
    })
}

/// A caseload context for up to four programs, or none.
fn context() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop::collection::vec(
        prop::option::of((0u64..=45, 0u64..=45)),
        4,
    ))
    .prop_map(|c| {
        c.map(|programs| {
            let mut m = Map::new();
            for (i, p) in programs.into_iter().enumerate() {
                if let Some((a, b)) = p {
                    m.insert(format!("p{i}"), json!({"cm-a": a, "cm-b": b}));
                }
            }
            json!({ "caseloads": m })
        })
    })
}

// --------------------------------------------------------------- helpers

fn load(text: &str) -> Result<Engine, LoadError> {
    careplan::load_sources(&[("gen.rules", text)], &LoadOptions::default())
}

/// Loads a generated rule set, which must be valid, except that random
/// arithmetic may divide a constant by zero (`x / (0 / 3)`) or overflow,
/// which the checker rightly refuses: `None` then.
fn must_load(rules: &Rules) -> Option<Engine> {
    match load(&rules.text) {
        Ok(e) => Some(e),
        Err(LoadError::Rules(d))
            if d.iter()
                .all(|d| matches!(d.code, "division-by-zero" | "overflow")) =>
        {
            None
        }
        Err(e) => panic!("generated rules do not load:\n{e}\n---\n{}", rules.text),
    }
}

/// The one way evaluation may fail on valid data.
fn allowed_failure(message: &str) -> bool {
    message.contains("divides by zero") || message.contains("overflows")
}

/// A context that names programs the rule set lacks is an error of the
/// caller; keep only the programs it has.
fn fit_context(engine: &Engine, ctx: &Option<Value>) -> Option<Value> {
    let ctx = ctx.as_ref()?;
    let ids: Vec<&str> = engine.programs().map(|p| p.id()).collect();
    let mut m = Map::new();
    for (k, v) in ctx["caseloads"].as_object()? {
        if ids.contains(&k.as_str()) {
            m.insert(k.clone(), v.clone());
        }
    }
    Some(json!({ "caseloads": m }))
}

/// The report as JSON without the version, which hashes the text.
fn meaning(report: &Report) -> Value {
    let mut v = serde_json::to_value(report).unwrap();
    v.as_object_mut().unwrap().remove("ruleset_version");
    // A table row is shown with its line (`line 12: 0 to 5 -> 1`), which
    // moves when the text is laid out anew, as spans do: compare without.
    let text = v.to_string();
    let re_line = |s: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("line ") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 5..];
            let digits = after.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 && after[digits..].starts_with(": ") {
                out.push_str("line _: ");
                rest = &after[digits + 2..];
            } else {
                out.push_str("line ");
                rest = after;
            }
        }
        out.push_str(rest);
        out
    };
    serde_json::from_str(&re_line(&text)).unwrap()
}

/// Adds spacing the formatter must remove: each space becomes one of
/// several spacings, and blank lines appear between items.
fn messy(text: &str, choices: &[u8]) -> String {
    let mut out = String::new();
    let mut k = 0;
    let mut in_string = false;
    for c in text.chars() {
        if c == '"' {
            in_string = !in_string;
        }
        if in_string {
            out.push(c);
        } else if c == ' ' {
            let pick = choices.get(k % choices.len().max(1)).copied().unwrap_or(0);
            k += 1;
            out.push_str(match pick % 5 {
                0 => " ",
                1 => "   ",
                2 => "\n      ",
                3 => "\t",
                _ => " \n ",
            });
        } else if c == '\n' {
            out.push_str(if k % 3 == 0 { "\n\n" } else { "\n" });
            k += 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// `cases` cases. For a longer run by hand, `PROPTEST_CASES=2000 cargo
/// test --release --test properties` sets every property's count.
fn config(cases: u32) -> Config {
    Config {
        cases,
        // Failures print their minimal input; no files are written.
        failure_persistence: None,
        ..Config::default()
    }
}

// ------------------------------------------------------------ properties

proptest! {
    #![proptest_config(config(48))]

    /// Generated rule sets load; evaluating random profiles (and contexts)
    /// never panics, and fails only on a division by zero or an overflow.
    #[test]
    fn generated_rule_sets_load_and_evaluate(
        rules in rules(true),
        profiles in prop::collection::vec(profile(), 6),
        ctx in context(),
    ) {
        let engine = must_load(&rules);
        prop_assume!(engine.is_some());
        let engine = engine.unwrap();
        let ctx = fit_context(&engine, &ctx);
        for p in &profiles {
            // The byte reader reads what the `Value` reader reads.
            prop_assert_eq!(
                engine.profile_from_slice(p.to_string().as_bytes()),
                engine.profile(p),
                "readers differ for {}", p
            );
            // A key given twice: both readers refuse it, naming it.
            let text = p.to_string();
            let dup = format!("{{\"id\":\"x\",{}", &text[1..]);
            let from_value = careplan::read_json(&dup).and_then(|v| engine.profile(&v));
            prop_assert_eq!(engine.profile_from_slice(dup.as_bytes()), from_value.clone());
            prop_assert_eq!(from_value.err().map(|e| e.field), Some("id".to_string()));
            prop_assert_eq!(careplan::read_json(&text).ok(), Some(p.clone()));
            // The compiled program and the tree walker agree, errors too.
            if let Ok(parsed) = engine.profile(p) {
                let caseloads = ctx.as_ref().map(|c| engine.caseloads(c).unwrap());
                prop_assert_eq!(
                    engine.decide(&parsed, caseloads.as_ref()),
                    engine.decide_walking(&parsed, caseloads.as_ref()),
                    "program and walker differ for {}\n{}", p, rules.text
                );
            }
            match engine.evaluate_json(p, ctx.as_ref()) {
                Ok(report) => {
                    let json = report.to_json();
                    prop_assert!(json.starts_with('{'), "not an object: {}", json);
                    let parsed = engine.profile(p).unwrap();
                    let caseloads = ctx.as_ref().map(|c| engine.caseloads(c).unwrap());
                    let explained = engine.explain(&parsed, caseloads.as_ref());
                    prop_assert!(explained.is_ok(), "explain failed: {:?} for {}\n{}", explained.err(), p, rules.text);
                }
                Err(e) => prop_assert!(
                    allowed_failure(e.message()),
                    "unexpected error {e} for {p}\n{}", rules.text
                ),
            }
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// The formatter is idempotent and keeps meaning: the same reports for
    /// valid rule sets, the same diagnostics (codes and messages) for rule
    /// sets with an error.
    #[test]
    fn formatting_round_trips(
        rules in rules(true),
        spacing in prop::collection::vec(any::<u8>(), 1..16),
        broken in prop::option::of(prop::sample::select(vec![
            "define bad { value: no_such_field + 1 }",
            "warning bad { severity: info when n1 + 1 message: \"m\" }",
            "program bad { intensity: 0 eligible when e1 is purple }",
            "referral bad { routine when n1 is red }",
        ])),
        profiles in prop::collection::vec(profile(), 4),
    ) {
        let mut text = messy(&rules.text, &spacing);
        if let Some(b) = broken {
            text.push_str(b);
            text.push('\n');
        }
        let once = careplan::format::format_source(&text)
            .unwrap_or_else(|d| panic!("formatting failed: {d:?}\n---\n{text}"));
        let twice = careplan::format::format_source(&once).unwrap();
        prop_assert_eq!(&twice, &once, "not idempotent");
        match (load(&text), load(&once)) {
            (Ok(a), Ok(b)) => {
                for p in &profiles {
                    match (a.evaluate_json(p, None), b.evaluate_json(p, None)) {
                        (Ok(x), Ok(y)) => prop_assert_eq!(meaning(&x), meaning(&y)),
                        (Err(x), Err(y)) => prop_assert_eq!(x, y),
                        (x, y) => prop_assert!(false, "{x:?} vs {y:?}"),
                    }
                }
            }
            (Err(LoadError::Rules(a)), Err(LoadError::Rules(b))) => {
                let key = |d: &careplan::Diagnostic| (d.code, d.message.clone());
                prop_assert_eq!(
                    a.iter().map(key).collect::<Vec<_>>(),
                    b.iter().map(key).collect::<Vec<_>>()
                );
            }
            (a, b) => prop_assert!(false, "before: {:?}\nafter: {:?}", a.err(), b.err()),
        }
    }
}

/// What a report decided about each item; undetermined items are absent.
/// A profile evaluated as of a fixed day, so that no comparison of two
/// evaluations can straddle midnight (the rules may read `today`).
fn on_a_fixed_day(engine: &Engine, p: &Value) -> Result<careplan::Profile, careplan::InputError> {
    let mut read = engine.profile(p)?;
    read.as_of = careplan::date::parse("2026-03-01").unwrap();
    Ok(read)
}

fn decided(report: &Report) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for p in report.programs.iter().flatten() {
        match p.status {
            Status::Eligible => m.insert(format!("program {}", p.id), "eligible".into()),
            Status::NotEligible => m.insert(format!("program {}", p.id), "not eligible".into()),
            Status::Undetermined => None,
        };
    }
    for r in &report.referrals {
        m.insert(
            format!("referral {}", r.id),
            format!("{:?}", r.priority).to_lowercase(),
        );
    }
    for w in &report.warnings {
        m.insert(format!("warning {}", w.code), "raised".into());
    }
    m
}

proptest! {
    #![proptest_config(config(48))]

    /// Filling in unknown fields never changes a decided item. An item not
    /// in `referrals`/`warnings` and not undetermined was decided "no".
    /// One exception is by design: a referral made `routine` while its
    /// `urgent` condition is unknown may become `urgent`; it says so in
    /// `urgent_if`, naming only fields that were left out.
    #[test]
    fn unknowns_never_flip_decided_items(
        rules in rules(false),
        full in profile(),
        removed in prop::sample::subsequence(FIELDS.to_vec(), 1..=FIELDS.len()),
        ctx in context(),
    ) {
        let engine = must_load(&rules);
        prop_assume!(engine.is_some());
        let engine = engine.unwrap();
        let ctx = fit_context(&engine, &ctx);
        let mut partial = full.clone();
        for f in &removed {
            partial.as_object_mut().unwrap().remove(*f);
        }
        let (Ok(pp), Ok(pf)) = (on_a_fixed_day(&engine, &partial), on_a_fixed_day(&engine, &full))
        else {
            return Ok(());
        };
        let caseloads = ctx.as_ref().map(|c| engine.caseloads(c).unwrap());
        let (Ok(before), Ok(after)) = (
            engine.evaluate(&pp, caseloads.as_ref()),
            engine.evaluate(&pf, caseloads.as_ref()),
        ) else {
            // A division by zero with everything known: nothing to compare.
            return Ok(());
        };
        let open: Vec<(String, String)> = before
            .undetermined
            .iter()
            .map(|u| (format!("{:?}", u.kind).to_lowercase(), u.id.to_string()))
            .collect();
        let all = |r: &Report| {
            let mut items: Vec<(String, String)> = Vec::new();
            items.extend(r.programs.iter().flatten().map(|p| ("program".into(), p.id.to_string())));
            items.extend(engine.referrals().map(|x| ("referral".into(), x.id().to_string())));
            items.extend(engine.warnings().map(|x| ("warning".into(), x.id().to_string())));
            items
        };
        let (b, a) = (decided(&before), decided(&after));
        for (kind, id) in all(&before) {
            if open.contains(&(kind.clone(), id.clone())) {
                continue;
            }
            let key = format!("{kind} {id}");
            let (was, now) = (b.get(&key), a.get(&key));
            if kind == "referral" && was.map(String::as_str) == Some("routine") {
                // Only a referral that said so (`urgent_if`, naming fields
                // that were left out) may become urgent.
                let urgent_if = before
                    .referrals
                    .iter()
                    .find(|r| r.id == id)
                    .and_then(|r| r.urgent_if.clone());
                match urgent_if {
                    Some(fields) => {
                        prop_assert!(
                            matches!(now.map(String::as_str), Some("routine" | "urgent")),
                            "{key}: routine, then {now:?}\n{}", rules.text
                        );
                        prop_assert!(
                            // Left out: removed, or absent or null in the
                            // full profile too.
                            fields.iter().all(|f| partial.get(f).is_none_or(serde_json::Value::is_null)),
                            "{key}: urgent_if {fields:?} names a field that was given\n{}", rules.text
                        );
                    }
                    None => prop_assert_eq!(was, now, "{} changed with no urgent_if\n{}", key, rules.text),
                }
                continue;
            }
            prop_assert_eq!(was, now, "{} changed when {:?} were filled in\n{}", key, removed, rules.text);
        }
    }
}

proptest! {
    #![proptest_config(config(24))]

    /// The same input gives byte-identical JSON: twice from one engine,
    /// and from two engines loaded separately.
    #[test]
    fn reports_are_byte_identical(
        rules in rules(true),
        profiles in prop::collection::vec(profile(), 4),
        ctx in context(),
    ) {
        let (one, two) = (must_load(&rules), must_load(&rules));
        prop_assume!(one.is_some() && two.is_some());
        let (one, two) = (one.unwrap(), two.unwrap());
        let ctx = fit_context(&one, &ctx);
        let json = |e: &Engine, p: &Value| -> Result<String, String> {
            let read = on_a_fixed_day(e, p).map_err(|x| x.to_string())?;
            let caseloads = ctx.as_ref().map(|c| e.caseloads(c).unwrap());
            e.evaluate(&read, caseloads.as_ref()).map(|r| r.to_json()).map_err(|x| x.to_string())
        };
        for p in &profiles {
            let a = json(&one, p);
            let b = json(&one, p);
            let c = json(&two, p);
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(&a, &c);
        }
    }
}

// --------------------------------------------------------- exact decimals

/// The Medicaid test as a rule set of its own.
const MEDICAID: &str = "schema {
  monthly_income: decimal at least 0
  household_size: integer at least 1
}
program under_limit {
  intensity: 1
  eligible when monthly_income * 12 <= 1.38 * (15960 + 5680 * (household_size - 1))
}
";

/// The exact answer in hundredths: income × 12 ≤ 1.38 × guideline, i.e.
/// 12 × cents ≤ 138 × guideline, with the 2026 guideline (the property
/// evaluates on 2026-03-01, so a later guideline cannot change it).
fn under_limit(cents: i128, n: i128) -> bool {
    12 * cents <= 138 * (15_960 + 5_680 * (n - 1))
}

/// The limit in cents a month, rounded down, for incomes near it.
fn limit_cents(n: i128) -> i128 {
    138 * (15_960 + 5_680 * (n - 1)) / 12
}

fn money(cents: i128) -> Value {
    serde_json::from_str(&format!("{}.{:02}", cents / 100, cents % 100)).unwrap()
}

/// Incomes anywhere, and incomes within a few cents of the limit.
fn income_and_household() -> impl Strategy<Value = (i128, i128)> {
    (1i128..=500).prop_flat_map(|n| {
        let near = limit_cents(n);
        (
            prop_oneof![0i128..=100_000_000_000, (near - 3)..=(near + 3),],
            Just(n),
        )
    })
}

proptest! {
    #![proptest_config(config(1_000))]

    /// The engine's decimal arithmetic agrees with integer cents.
    #[test]
    fn medicaid_limit_is_exact((cents, n) in income_and_household()) {
        static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        let engine = ENGINE.get_or_init(|| load(MEDICAID).unwrap());
        let report = engine
            .evaluate_json(&json!({"monthly_income": money(cents), "household_size": n}), None)
            .unwrap();
        let eligible = report.eligible_programs == ["under_limit"];
        prop_assert_eq!(eligible, under_limit(cents, n), "{} cents, household of {}", cents, n);
    }

    /// The same through the reference policy's `medicaid_enrollment`.
    #[test]
    fn reference_medicaid_limit_is_exact((cents, n) in income_and_household()) {
        static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        let engine = ENGINE.get_or_init(|| careplan::reference().unwrap());
        let profile = json!({
            "id": "m", "insurance": "none",
            "monthly_income": money(cents), "household_size": n,
        });
        let mut profile = engine.profile(&profile).unwrap();
        profile.as_of = careplan::date::parse("2026-03-01").unwrap();
        let report = engine.evaluate(&profile, None).unwrap();
        let referred = report.referrals.iter().any(|r| r.id == "medicaid_enrollment");
        prop_assert_eq!(referred, under_limit(cents, n), "{} cents, household of {}", cents, n);
    }
}

// ------------------------------------------------ the reference policy over time

/// The reference policy's profile fields other than `current_program`, each
/// absent, `null` or a valid value; dates on or before the fixed day
/// ([`on_a_fixed_day`]), birth dates less than 130 years before it.
fn reference_profile() -> impl Strategy<Value = Map<String, Value>> {
    const DIAGNOSES: [&str; 14] = [
        "serious_mental_illness",
        "substance_use_disorder",
        "ptsd",
        "major_depression",
        "developmental_disability",
        "brain_injury",
        "spinal_cord_injury",
        "major_trauma",
        "dementia",
        "heart_failure",
        "copd",
        "diabetes",
        "chronic_kidney_disease",
        "parkinsons_disease",
    ];
    const NEEDS: [&str; 9] = [
        "social",
        "health",
        "vocational",
        "legal",
        "financial",
        "spiritual",
        "transportation",
        "housing",
        "food",
    ];
    /// A date up to `back` days before the fixed day.
    fn before(back: i64) -> BoxedStrategy<Value> {
        let day = careplan::date::day_number(careplan::date::parse("2026-03-01").unwrap());
        (0..=back)
            .prop_map(move |b| {
                json!(careplan::date::from_day_number(day - b).map(careplan::date::show))
            })
            .boxed()
    }
    fn words(all: &'static [&'static str]) -> BoxedStrategy<Value> {
        prop::sample::subsequence(all.to_vec(), 0..=all.len().min(4))
            .prop_map(|v| json!(v))
            .boxed()
    }
    let fields: Vec<(&str, BoxedStrategy<Value>)> = vec![
        ("age", (0i64..=130).prop_map(|n| json!(n)).boxed()),
        // 47_000 days is less than 129 years.
        ("birth_date", before(47_000)),
        (
            "housing",
            prop::sample::select(vec!["stable", "unstable", "homeless"])
                .prop_map(|v| json!(v))
                .boxed(),
        ),
        ("diagnoses", words(&DIAGNOSES)),
        (
            "hospital_admissions_12m",
            (0i64..=6).prop_map(|n| json!(n)).boxed(),
        ),
        ("ed_visits_6m", (0i64..=8).prop_map(|n| json!(n)).boxed()),
        ("phq9", (0i64..=27).prop_map(|n| json!(n)).boxed()),
        (
            "monthly_income",
            (0i128..=1_000_000).prop_map(money).boxed(),
        ),
        ("household_size", (1i64..=8).prop_map(|n| json!(n)).boxed()),
        (
            "insurance",
            prop::sample::select(vec!["none", "medicaid", "medicare", "private"])
                .prop_map(|v| json!(v))
                .boxed(),
        ),
        (
            "medication_adherence",
            (0i128..=100).prop_map(money).boxed(),
        ),
        ("needs", words(&NEEDS)),
        (
            "current_treatments",
            words(&["psychotherapy", "medication"]),
        ),
        ("violence_risk", any::<bool>().prop_map(Value::Bool).boxed()),
        (
            "domestic_violence",
            any::<bool>().prop_map(Value::Bool).boxed(),
        ),
        ("enrolled_since", before(20 * 365)),
        ("last_contact", before(3 * 365)),
        ("last_assessment", before(3 * 365)),
        (
            "length_of_stay_days",
            (0i64..=60).prop_map(|n| json!(n)).boxed(),
        ),
        (
            "acute_admission",
            any::<bool>().prop_map(Value::Bool).boxed(),
        ),
        ("charlson_index", (0i64..=12).prop_map(|n| json!(n)).boxed()),
    ];
    let (names, values): (Vec<&str>, Vec<_>) = fields
        .into_iter()
        .map(|(name, v)| {
            let v =
                prop_oneof![1 => Just(None), 1 => Just(Some(Value::Null)), 6 => v.prop_map(Some)];
            (name, v)
        })
        .unzip();
    values.prop_map(move |values| {
        let mut m = Map::new();
        m.insert("id".into(), json!("c-intake"));
        for (name, v) in names.iter().zip(values) {
            if let Some(v) = v {
                m.insert((*name).into(), v);
            }
        }
        m
    })
}

proptest! {
    #![proptest_config(config(128))]

    /// An intake has no transition and neither warning of care over time,
    /// decided, not undetermined: the transition needs a current program,
    /// and both warnings are false for `none`, whatever the other fields.
    /// The same profile enrolled in a program has a transition (decided
    /// or undetermined), so the first half is not vacuous.
    #[test]
    fn an_intake_has_no_transition_and_no_over_time_warning(
        fields in reference_profile(),
        intake in prop::sample::select(vec![None, Some(Value::Null), Some(json!("none"))]),
        program in any::<prop::sample::Index>(),
    ) {
        static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        let engine = ENGINE.get_or_init(|| careplan::reference().unwrap());
        let warning = |code: &str| engine.warnings().position(|w| w.id() == code).unwrap();
        let (due, disengaged) = (warning("reassessment_due"), warning("disengagement"));
        let mut profile = fields.clone();
        if let Some(v) = intake {
            profile.insert("current_program".into(), v);
        }
        let profile = Value::Object(profile);
        let read = on_a_fixed_day(engine, &profile).unwrap();
        let decision = engine.decide(&read, None);
        prop_assert!(decision.is_ok(), "{:?} for {}", decision.err(), profile);
        let decision = decision.unwrap();
        prop_assert_eq!(decision.transition_truth, Truth::False, "{}", profile);
        prop_assert_eq!(decision.transition, None, "{}", profile);
        prop_assert_eq!(decision.warnings[due], Truth::False, "reassessment_due for {}", profile);
        prop_assert_eq!(decision.warnings[disengaged], Truth::False, "disengagement for {}", profile);

        let mut enrolled = fields;
        let id = engine.programs().nth(program.index(engine.programs().len())).unwrap().id();
        enrolled.insert("current_program".into(), json!(id));
        let enrolled = Value::Object(enrolled);
        let read = on_a_fixed_day(engine, &enrolled).unwrap();
        let decision = engine.decide(&read, None).unwrap();
        prop_assert_ne!(decision.transition_truth, Truth::False, "{}", enrolled);
    }
}
