//! Lowering a checked rule set into its [`Plan`]: every condition and
//! number lowered once, at compile time, into one flat vector of nodes that
//! refer to each other by index.
//!
//! What the lowering does, so that evaluation does not:
//! - the common atoms become nodes that read one slot and compare it with a
//!   constant held in the node (`age >= 65`, `housing is homeless`,
//!   `"ptsd" in diagnoses`, `needs has any of {…}` as a bit mask);
//! - parameters and constant arithmetic are folded into constants;
//! - identical sub-conditions and sub-expressions become one node (hash
//!   consing), and a shared node that is more than an atom is memoised, so
//!   it is computed once per profile however often the rules mention it;
//! - a truth value is a [`Truth`](crate::eval::Truth) and a number an `Option<Decimal>`: no
//!   missing-field sets, which only a report or an explanation needs and
//!   which the tree walker computes for the unknown items alone.
//!
//! Forms that are rare in policies (functions, caseload tests, comparisons
//! of texts with texts, sets with sets) stay [`Expr`] trees and go to the
//! tree walker (`eval::walk`), which is also the reference the program is
//! tested against. Evaluation follows the walker's order and short-circuits
//! exactly where it does, so both fail, or not, on the same profiles; when
//! the program meets a calculation it cannot finish, it stops and the
//! walker redoes the evaluation to word the error.

use super::plan::{DefineRoot, Id, Op, Plan, Step};
use crate::ir::{Cmp, Expr, ExprKind, Lit, Node, RuleSet, Ty};
use crate::profile::Bits;
use indexmap::IndexSet;
use rust_decimal::Decimal;
use std::ops::Deref;

impl Plan {
    /// Lowers a checked rule set. Never fails: a form it has no node for
    /// goes to the tree walker.
    pub(crate) fn build(rules: &RuleSet) -> Plan {
        let mut b = Builder {
            nodes: IndexSet::new(),
            uses: Vec::new(),
            kids: Vec::new(),
            kid_lists: std::collections::HashMap::new(),
            masks: IndexSet::new(),
            exprs: Vec::new(),
            weights: Vec::new(),
            folded: vec![None; rules.defines.len()],
            tables: rules
                .tables
                .iter()
                .map(|t| super::bands::Bands::of(t).map(|(b, e)| (b, e.clone())))
                .collect(),
            bands: Vec::new(),
        };
        let mut triggers = Vec::new();
        let mut steps = Vec::with_capacity(rules.eval_order.len());
        // Rule sets are limited far below 2^32 items (`Limits`).
        let ix = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        for node in &rules.eval_order {
            let step = match *node {
                Node::Define(i) => {
                    let Some(d) = rules.defines.get(i) else {
                        continue;
                    };
                    let root = match d.value.ty {
                        Ty::Bool => DefineRoot::Truth(b.truth(&d.value)),
                        Ty::Num | Ty::Date => {
                            let id = b.number(&d.value);
                            // A parameter that comes out constant is read
                            // as that constant wherever it is used.
                            if d.is_parameter {
                                if let Some(Op::Num(c)) = b.op(id).cloned() {
                                    if let Some(f) = b.folded.get_mut(i) {
                                        *f = Some(c);
                                    }
                                }
                            }
                            DefineRoot::Number(id)
                        }
                        _ => DefineRoot::Walker,
                    };
                    match root {
                        DefineRoot::Number(id) => match b.op(id) {
                            Some(Op::Num(c)) => Step::Constant(ix(i), *c),
                            _ => Step::Define(ix(i), root),
                        },
                        _ => Step::Define(ix(i), root),
                    }
                }
                Node::Program(i) => {
                    let Some(p) = rules.programs.get(i) else {
                        continue;
                    };
                    Step::Program(ix(i), b.truth(&p.eligible))
                }
                Node::Referral(i) => {
                    let Some(r) = rules.referrals.get(i) else {
                        continue;
                    };
                    let start = ix(triggers.len());
                    for (priority, c) in &r.triggers {
                        triggers.push((*priority, b.truth(c)));
                    }
                    Step::Referral(ix(i), start, ix(r.triggers.len()))
                }
                Node::Warning(i) => {
                    let Some(w) = rules.warnings.get(i) else {
                        continue;
                    };
                    Step::Warning(ix(i), b.truth(&w.when))
                }
                Node::Recommended => Step::Recommended,
                Node::Transition => Step::Transition,
                // A table is computed where it is read.
                Node::Table(_) => continue,
            };
            steps.push(step);
        }
        // Only nodes that conditions share are memoised, and only those
        // that cost more than reading a slot: the node moves to the end
        // and a memo node takes its place, so every reference to it (all
        // made by index) goes through the memo.
        let mut nodes: Vec<Op> = b.nodes.into_iter().collect();
        let (mut memo_truth, mut memo_num) = (0u32, 0u32);
        for i in 0..nodes.len() {
            if b.uses.get(i).copied().unwrap_or(0) < 2 {
                continue;
            }
            let of = ix(nodes.len());
            let Some(op) = nodes.get_mut(i) else { continue };
            let memo = match op {
                Op::And { .. }
                | Op::Or { .. }
                | Op::Not(_)
                | Op::NumCmp { .. }
                | Op::Truth(_)
                | Op::IfTruth { .. }
                | Op::Count { .. }
                | Op::Unless { .. } => {
                    memo_truth += 1;
                    Op::MemoTruth {
                        slot: memo_truth - 1,
                        of,
                    }
                }
                Op::Arith { .. }
                | Op::Neg(_)
                | Op::Duration { .. }
                | Op::Value(_)
                | Op::NumCall { .. }
                | Op::IfNum { .. }
                | Op::FirstNum { .. }
                | Op::WeightedField { .. }
                | Op::Bands { .. }
                | Op::Keyed { .. } => {
                    memo_num += 1;
                    Op::MemoNumber {
                        slot: memo_num - 1,
                        of,
                    }
                }
                _ => continue,
            };
            let moved = std::mem::replace(op, memo);
            nodes.push(moved);
        }
        // Plans are numbered from 1; 0 is "no plan's constants".
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Plan {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            nodes,
            memo_truth: memo_truth as usize,
            memo_num: memo_num as usize,
            kids: b.kids,
            masks: b.masks.into_iter().collect(),
            weights: b.weights,
            exprs: b.exprs,
            bands: b.bands.into_iter().map(|(_, bands)| bands).collect(),
            triggers,
            steps,
        }
    }
}

struct Builder {
    /// The nodes, deduplicated: a node's index is its [`Id`].
    nodes: IndexSet<Op>,
    /// How many times each node is referred to.
    uses: Vec<u32>,
    kids: Vec<Id>,
    /// Where each list of operands is in `kids`.
    kid_lists: std::collections::HashMap<Vec<Id>, (u32, u32)>,
    masks: IndexSet<Bits>,
    exprs: Vec<Expr>,
    /// The weights of `WeightedField` nodes.
    weights: Vec<(u32, Decimal)>,
    /// The constant value of each parameter that folded to one.
    folded: Vec<Option<Decimal>>,
    /// Each table as bands with its input, if the plan can search it.
    tables: Vec<Option<(super::bands::Bands, Expr)>>,
    /// The bands of the plan, and the table each came from.
    bands: Vec<(usize, super::bands::Bands)>,
}

impl Builder {
    fn op(&self, id: Id) -> Option<&Op> {
        self.nodes.get_index(id as usize)
    }

    /// The node's id, adding it if it is new; counts the use.
    fn add(&mut self, op: Op) -> Id {
        let (i, _) = self.nodes.insert_full(op);
        if self.uses.len() <= i {
            self.uses.resize(i + 1, 0);
        }
        if let Some(u) = self.uses.get_mut(i) {
            *u = u.saturating_add(1);
        }
        // Rule sets are limited far below 2^32 nodes (`Limits`).
        u32::try_from(i).unwrap_or(u32::MAX)
    }

    fn walker(&mut self, e: &Expr, truth: bool) -> Id {
        let i = u32::try_from(self.exprs.len()).unwrap_or(u32::MAX);
        self.exprs.push(e.clone());
        self.add(if truth { Op::Truth(i) } else { Op::Value(i) })
    }

    /// Where a list of operands is in `kids`, storing it if it is new: the
    /// same operands are stored once.
    fn list(&mut self, ids: Vec<Id>) -> Option<(u32, u32)> {
        if let Some(&range) = self.kid_lists.get(&ids) {
            return Some(range);
        }
        let start = u32::try_from(self.kids.len()).ok()?;
        let len = u32::try_from(ids.len()).ok()?;
        self.kids.extend(&ids);
        self.kid_lists.insert(ids, (start, len));
        Some((start, len))
    }

    fn mask(&mut self, lits: &[Lit]) -> Option<u32> {
        let mut bits = Bits::default();
        for l in lits {
            match l {
                Lit::Enum(i) | Lit::Text(i) => bits.insert(*i),
                _ => return None,
            }
        }
        let (i, _) = self.masks.insert_full(bits);
        u32::try_from(i).ok()
    }

    /// Lowers a condition.
    fn truth(&mut self, e: &Expr) -> Id {
        let slot = |x: &Expr| match x.kind {
            ExprKind::Field(s) => u32::try_from(s).ok(),
            _ => None,
        };
        let op = match &e.kind {
            ExprKind::Lit(Lit::Bool(b)) => Op::Const(*b),
            ExprKind::Field(s) if e.ty == Ty::Bool => match u32::try_from(*s) {
                Ok(s) => Op::BoolField(s),
                Err(_) => return self.walker(e, true),
            },
            ExprKind::Define(i) if e.ty == Ty::Bool => match u32::try_from(*i) {
                Ok(i) => Op::BoolDefine(i),
                Err(_) => return self.walker(e, true),
            },
            ExprKind::Not(x) => Op::Not(self.truth(x)),
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                let ids: Vec<Id> = xs.iter().map(|x| self.truth(x)).collect();
                // The same operands are stored once, so that identical
                // conditions are identical nodes.
                let (start, len) = match self.kid_lists.get(&ids) {
                    Some(&range) => range,
                    None => {
                        let (Ok(start), Ok(len)) =
                            (u32::try_from(self.kids.len()), u32::try_from(ids.len()))
                        else {
                            return self.walker(e, true);
                        };
                        self.kids.extend(&ids);
                        self.kid_lists.insert(ids, (start, len));
                        (start, len)
                    }
                };
                if matches!(e.kind, ExprKind::And(_)) {
                    Op::And { start, len }
                } else {
                    Op::Or { start, len }
                }
            }
            // Dates are day numbers, compared as numbers.
            ExprKind::Cmp(op, a, b)
                if (a.ty == Ty::Num && b.ty == Ty::Num)
                    || (a.ty == Ty::Date && b.ty == Ty::Date) =>
            {
                let (x, y) = (self.number(a), self.number(b));
                // A field against a constant reads the slot directly.
                let field_const = |l: Id, r: Id, flip: bool, me: &Self| match (me.op(l), me.op(r)) {
                    (Some(Op::NumField(s)), Some(Op::Num(c))) => Some(Op::FieldCmp {
                        slot: *s,
                        op: if flip { flipped(*op) } else { *op },
                        c: *c,
                    }),
                    _ => None,
                };
                match field_const(x, y, false, self).or_else(|| field_const(y, x, true, self)) {
                    Some(op) => op,
                    None => Op::NumCmp {
                        op: *op,
                        a: x,
                        b: y,
                    },
                }
            }
            ExprKind::Cmp(op @ (Cmp::Eq | Cmp::Ne), a, b) => {
                let is = *op == Cmp::Eq;
                let pair = match (&a.kind, &b.kind) {
                    (ExprKind::Field(s), ExprKind::Lit(l))
                    | (ExprKind::Lit(l), ExprKind::Field(s)) => {
                        u32::try_from(*s).ok().map(|s| (s, l))
                    }
                    _ => None,
                };
                match pair {
                    Some((slot, Lit::Enum(v))) => match u32::try_from(*v) {
                        Ok(value) => Op::EnumIs { slot, value, is },
                        Err(_) => return self.walker(e, true),
                    },
                    Some((slot, Lit::Text(v))) => match u32::try_from(*v) {
                        Ok(sym) => Op::TextIs { slot, sym, is },
                        Err(_) => return self.walker(e, true),
                    },
                    _ => return self.walker(e, true),
                }
            }
            ExprKind::Known(x, want) => match slot(x) {
                Some(s) => Op::KnownField {
                    slot: s,
                    want: *want,
                },
                None => return self.walker(e, true),
            },
            ExprKind::In(el, set) => match (&el.kind, &set.kind) {
                (ExprKind::Lit(Lit::Text(i) | Lit::Enum(i)), ExprKind::Field(s)) => {
                    match (u32::try_from(*s), u32::try_from(*i)) {
                        (Ok(slot), Ok(bit)) => Op::Member { slot, bit },
                        _ => return self.walker(e, true),
                    }
                }
                (ExprKind::Field(s), ExprKind::SetLit(lits))
                    if matches!(el.ty, Ty::Enum(_) | Ty::Text) =>
                {
                    match (u32::try_from(*s), self.mask(lits)) {
                        (Ok(slot), Some(mask)) => Op::OneOf { slot, mask },
                        _ => return self.walker(e, true),
                    }
                }
                _ => return self.walker(e, true),
            },
            ExprKind::Has(set, quant, values) => match (slot(set), &values.kind) {
                (Some(slot), ExprKind::SetLit(lits)) => match self.mask(lits) {
                    Some(mask) => Op::Has {
                        slot,
                        quant: *quant,
                        mask,
                    },
                    None => return self.walker(e, true),
                },
                _ => return self.walker(e, true),
            },
            ExprKind::Eligible(i) => match u32::try_from(*i) {
                Ok(i) => Op::Eligible(i),
                Err(_) => return self.walker(e, true),
            },
            ExprKind::Referred(i) => match u32::try_from(*i) {
                Ok(i) => Op::Referred(i),
                Err(_) => return self.walker(e, true),
            },
            ExprKind::Warned(i) => match u32::try_from(*i) {
                Ok(i) => Op::Warned(i),
                Err(_) => return self.walker(e, true),
            },
            ExprKind::If(c, branches) => {
                let [a, b] = branches.deref();
                Op::IfTruth {
                    c: self.truth(c),
                    a: self.truth(a),
                    b: self.truth(b),
                }
            }
            ExprKind::AtLeast(n, xs) | ExprKind::AtMost(n, xs) => {
                let ids: Vec<Id> = xs.iter().map(|x| self.truth(x)).collect();
                match (self.list(ids), u32::try_from(*n)) {
                    (Some((start, len)), Ok(n)) => Op::Count {
                        at_most: matches!(e.kind, ExprKind::AtMost(..)),
                        n,
                        start,
                        len,
                    },
                    _ => return self.walker(e, true),
                }
            }
            ExprKind::Unless(base, exception) => Op::Unless {
                base: self.truth(base),
                exception: self.truth(exception),
            },
            _ => return self.walker(e, true),
        };
        self.add(op)
    }

    /// Lowers a number.
    fn number(&mut self, e: &Expr) -> Id {
        let op = match &e.kind {
            ExprKind::Lit(Lit::Num(d)) => Op::Num(*d),
            ExprKind::Field(s) => match u32::try_from(*s) {
                Ok(s) => Op::NumField(s),
                Err(_) => return self.walker(e, false),
            },
            ExprKind::Define(i) => match self.folded.get(*i).copied().flatten() {
                Some(c) => Op::Num(c),
                None => match u32::try_from(*i) {
                    Ok(i) => Op::NumDefine(i),
                    Err(_) => return self.walker(e, false),
                },
            },
            ExprKind::Arith(op, a, b) => {
                let (x, y) = (self.number(a), self.number(b));
                // Constant arithmetic is done now; a failing one (a
                // division by zero) is left to fail when evaluated, as the
                // tree walker would.
                match (self.op(x), self.op(y)) {
                    (Some(Op::Num(p)), Some(Op::Num(q))) => match op.apply(*p, *q) {
                        Some(r) => Op::Num(r),
                        None => Op::Arith {
                            op: *op,
                            a: x,
                            b: y,
                        },
                    },
                    _ => Op::Arith {
                        op: *op,
                        a: x,
                        b: y,
                    },
                }
            }
            ExprKind::Neg(x) => {
                let id = self.number(x);
                match self.op(id) {
                    Some(Op::Num(c)) => Op::Num(-*c),
                    _ => Op::Neg(id),
                }
            }
            ExprKind::Today => Op::Today,
            ExprKind::Duration(unit, a, b) => {
                let (x, y) = (self.number(a), self.number(b));
                Op::Duration {
                    unit: *unit,
                    a: x,
                    b: y,
                }
            }
            ExprKind::Table { table, output: 0 } if e.ty == Ty::Num => {
                let Some(Some((bands, input))) = self.tables.get(*table).cloned() else {
                    return self.walker(e, false);
                };
                let keyed = match (bands.keyed(), &input.kind) {
                    (true, ExprKind::Field(s)) => Some(u32::try_from(*s).unwrap_or(u32::MAX)),
                    (true, _) => return self.walker(e, false),
                    (false, _) => None,
                };
                let input = match keyed {
                    Some(_) => 0,
                    None => self.number(&input),
                };
                let at = match self.bands.iter().position(|(t, _)| t == table) {
                    Some(i) => i,
                    None => {
                        self.bands.push((*table, bands));
                        self.bands.len() - 1
                    }
                };
                match (u32::try_from(at), keyed) {
                    (Ok(bands), Some(slot)) => Op::Keyed { slot, bands },
                    (Ok(bands), None) => Op::Bands { input, bands },
                    (Err(_), _) => return self.walker(e, false),
                }
            }
            ExprKind::Count(x) => match x.kind {
                ExprKind::Field(s) => match u32::try_from(s) {
                    Ok(s) => Op::CountField(s),
                    Err(_) => return self.walker(e, false),
                },
                _ => return self.walker(e, false),
            },
            ExprKind::NumCall(f, args) => {
                let ids: Vec<Id> = args.iter().map(|a| self.number(a)).collect();
                // Constant arguments are computed now (`round(15.55, 1)` in
                // a parameter); crossing bounds are left to fail when
                // evaluated, as the tree walker would.
                let consts: Option<Vec<Decimal>> = ids
                    .iter()
                    .map(|id| match self.op(*id) {
                        Some(Op::Num(c)) => Some(*c),
                        _ => None,
                    })
                    .collect();
                if let Some(v) = consts.and_then(|xs| f.apply(&xs)) {
                    return self.add(Op::Num(v));
                }
                match self.list(ids) {
                    Some((start, len)) => Op::NumCall { f: *f, start, len },
                    None => return self.walker(e, false),
                }
            }
            ExprKind::If(c, branches) => {
                let [a, b] = branches.deref();
                Op::IfNum {
                    c: self.truth(c),
                    a: self.number(a),
                    b: self.number(b),
                }
            }
            ExprKind::FirstKnown(xs) => {
                let ids: Vec<Id> = xs.iter().map(|x| self.number(x)).collect();
                match self.list(ids) {
                    Some((start, len)) => Op::FirstNum { start, len },
                    None => return self.walker(e, false),
                }
            }
            ExprKind::WeightedSum(set, weights) => {
                let bits: Option<Vec<(u32, rust_decimal::Decimal)>> = weights
                    .iter()
                    .map(|(l, w)| match l {
                        Lit::Enum(i) | Lit::Text(i) => u32::try_from(*i).ok().map(|i| (i, *w)),
                        _ => None,
                    })
                    .collect();
                let start = u32::try_from(self.weights.len()).ok();
                let len = u32::try_from(weights.len()).ok();
                match (&set.kind, bits, start, len) {
                    (ExprKind::Field(s), Some(bits), Some(start), Some(len)) => {
                        match u32::try_from(*s) {
                            Ok(slot) => {
                                self.weights.extend(bits);
                                Op::WeightedField { slot, start, len }
                            }
                            Err(_) => return self.walker(e, false),
                        }
                    }
                    _ => return self.walker(e, false),
                }
            }
            _ => return self.walker(e, false),
        };
        self.add(op)
    }
}

/// `c op x` as `x op' c`.
fn flipped(op: Cmp) -> Cmp {
    match op {
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        Cmp::Eq | Cmp::Ne => op,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::plan::Op;
    use rust_decimal::Decimal;

    fn engine(src: &str) -> crate::Engine {
        match crate::load_sources(&[("t.rules", src)], &crate::LoadOptions::default()) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        }
    }

    const SCHEMA: &str = "schema {\n  a: integer\n  b: integer\n  s: set of {x, y, z}\n}\n";

    #[test]
    fn identical_conditions_share_one_node() {
        let once = engine(&format!(
            "{SCHEMA}warning w1 {{\n  severity: info\n  when a > 1 and b > 2\n  message: \"m\"\n}}\n"
        ));
        let twice = engine(&format!(
            "{SCHEMA}warning w1 {{\n  severity: info\n  when a > 1 and b > 2\n  message: \"m\"\n}}\n\
             warning w2 {{\n  severity: info\n  when a > 1 and b > 2\n  message: \"m\"\n}}\n"
        ));
        let ands = |e: &crate::Engine| {
            e.plan()
                .nodes
                .iter()
                .filter(|op| matches!(op, Op::And { .. }))
                .count()
        };
        assert_eq!((ands(&once), ands(&twice)), (1, 1));
        // The second warning adds only the memo node in front of the `and`.
        assert_eq!(once.plan().len() + 1, twice.plan().len());
        // The shared `and` is memoised; its atoms are not.
        assert_eq!(twice.plan().memo_sizes(), (1, 0));
        assert_eq!(once.plan().memo_sizes(), (0, 0));
    }

    #[test]
    fn parameters_and_constant_arithmetic_fold() {
        let e = engine(&format!(
            "{SCHEMA}parameter p {{\n  value: 2 * 3\n}}\n\
             warning w {{\n  severity: info\n  when a * (p + 1) > 10\n  message: \"m\"\n}}\n"
        ));
        let p = e.plan();
        assert!(p.nodes.contains(&Op::Num(Decimal::from(7))));
        assert!(!p.nodes.iter().any(|op| matches!(op, Op::NumDefine(_))));
    }

    /// Constants stay in the thread's state from one evaluation to the
    /// next; two programs of the same shape, alternating on one thread, one
    /// of them failing half way (a function that throws, which the program
    /// hands to the tree walker), must each still see their own.
    #[test]
    fn constants_of_another_program_are_never_read() {
        let rules = |limit: u32, d: &str| {
            format!(
                "schema {{\n  a: integer\n}}\n\
                 function f(x: integer) -> integer {{\n  \
                 script: \"if x == 0 {{ throw \\\"zero\\\" }} x\"\n}}\n\
                 parameter p {{\n  value: {limit}\n}}\n\
                 define d {{\n  value: {d}\n}}\n\
                 warning w {{\n  severity: info\n  when d > 0 and a > p\n  message: \"m\"\n}}\n"
            )
        };
        // `d` reads `p`, so `p` is written before `d` fails.
        let (ten, twenty) = (
            engine(&rules(10, "(a + 1) * p")),
            engine(&rules(20, "f(a) * p")),
        );
        // The warning's truth, and the value of `p` its reason shows.
        let warned = |e: &crate::Engine, a: i64| {
            let p = e
                .profile(&serde_json::json!({ "a": a }))
                .unwrap_or_else(|e| panic!("{e}"));
            let shown = e.evaluate(&p, None).map(|r| {
                r.warnings
                    .iter()
                    .flat_map(|w| w.why.iter().flat_map(|y| &y.because))
                    .filter_map(|h| h.values.get("p").cloned())
                    .collect::<Vec<_>>()
            });
            e.decide(&p, None).map(|d| (d.warnings, shown))
        };
        let yes = |p: i64| Ok((vec![crate::Truth::True], Ok(vec![serde_json::json!(p)])));
        let no = Ok((vec![crate::Truth::False], Ok(vec![])));
        for _ in 0..3 {
            assert_eq!(warned(&ten, 15), yes(10));
            // Fails after writing its `p`, right after the other program.
            assert!(warned(&twenty, 0).is_err(), "f(0) throws");
            assert_eq!(warned(&ten, 15), yes(10));
            assert_eq!(warned(&twenty, 15), no);
            assert_eq!(warned(&twenty, 25), yes(20));
            assert_eq!(warned(&ten, 5), no);
        }
    }

    #[test]
    fn number_functions_of_constants_fold() {
        let e = engine(&format!(
            "{SCHEMA}parameter h {{\n  value: round(15.55, 1)\n}}\n\
             warning w {{\n  severity: info\n  when a > h and b < max(2, 3)\n  message: \"m\"\n}}\n"
        ));
        let p = e.plan();
        assert!(p.nodes.contains(&Op::FieldCmp {
            slot: 0,
            op: Cmp::Gt,
            c: "15.6".parse().unwrap_or_default(),
        }));
        assert!(p.nodes.contains(&Op::FieldCmp {
            slot: 1,
            op: Cmp::Lt,
            c: Decimal::from(3),
        }));
        assert!(!p.nodes.iter().any(|op| matches!(op, Op::NumCall { .. })));
    }

    #[test]
    fn number_and_unknown_forms_have_their_own_nodes() {
        let e = engine(&format!(
            "{SCHEMA}define v {{\n  value: round(min(a, b, 10) / 3, 2) + clamp(a, 0, 5) + abs(b) + floor(a) + ceil(b, 1)\n}}\n\
             warning w {{\n  severity: info\n  \
             when at most 1 of (a > 1, b > 1) and (if a > 0 then v else first known of (b, 0)) \
             + weighted sum of s {{x: 1, y: 2}} > 3 unless b > 9\n  message: \"m\"\n}}\n"
        ));
        let p = e.plan();
        assert!(
            p.exprs.is_empty(),
            "nothing left to the walker: {:?}",
            p.nodes
        );
        let has = |f: fn(&Op) -> bool| p.nodes.iter().any(f);
        assert!(has(|op| matches!(op, Op::NumCall { .. })));
        assert!(has(|op| matches!(op, Op::IfNum { .. })));
        assert!(has(|op| matches!(op, Op::FirstNum { .. })));
        assert!(has(|op| matches!(op, Op::WeightedField { .. })));
        assert!(has(|op| matches!(
            op,
            Op::Count {
                at_most: true,
                n: 1,
                ..
            }
        )));
        assert!(has(|op| matches!(op, Op::Unless { .. })));
    }

    #[test]
    fn common_atoms_have_their_own_nodes() {
        let e = engine(&format!(
            "{SCHEMA}warning w {{\n  severity: info\n  \
             when 3 <= a and x in s and s has any of {{y, z}} and b is known\n  message: \"m\"\n}}\n"
        ));
        let p = e.plan();
        assert!(
            p.exprs.is_empty(),
            "nothing left to the walker: {:?}",
            p.nodes
        );
        // `3 <= a` is read as `a >= 3`.
        assert!(p.nodes.contains(&Op::FieldCmp {
            slot: 0,
            op: Cmp::Ge,
            c: Decimal::from(3)
        }));
    }
}
