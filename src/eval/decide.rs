//! Deciding: runs the compiled plan (`compile::Plan`) over a profile. The
//! atoms that make up most conditions are computed inline; what the plan
//! hands to the tree walker (`Op::Truth`, `Op::Value`) goes to `walk`.
//! Evaluation follows the walker's order and short-circuits exactly where
//! it does, so both fail, or not, on the same profiles; when the plan meets
//! a calculation it cannot finish, it stops and the walker redoes the
//! evaluation to word the error.

use super::{Eval, EvalError, Truth, atoms, numbers};
use crate::compile::{DefineRoot, EMPTY, Id, Op, Plan, Step};
use crate::profile::{Bits, Val};
use rust_decimal::Decimal;
use std::ops::Not;

/// Why the program stopped.
pub(crate) enum Stop {
    /// The evaluation failed, as the tree walker words it.
    Error(Box<EvalError>),
    /// A calculation failed: the tree walker redoes the evaluation.
    Redo,
}

#[inline(always)]
fn tri(b: bool) -> Truth {
    Truth::from(b)
}

/// A truth from an atom; unknown when the value is absent or not of the
/// atom's type.
#[inline(always)]
fn known(b: Option<bool>) -> Truth {
    b.map_or(Truth::Unknown, Truth::from)
}

fn encode(t: Truth) -> u8 {
    match t {
        Truth::False => 0,
        Truth::True => 1,
        Truth::Unknown => 2,
    }
}

fn decode(b: u8) -> Truth {
    match b {
        0 => Truth::False,
        1 => Truth::True,
        _ => Truth::Unknown,
    }
}

impl<'a> Eval<'a> {
    /// Computes every outcome in dependency order with the compiled plan.
    pub(super) fn run_plan(&mut self) -> Result<(), Stop> {
        let p: &'a Plan = &self.c.plan;
        let constants_written = self.s.constants_of == p.id;
        // Until this evaluation has written them all, the slots hold no
        // plan's constants for certain (it may stop half way).
        if !constants_written {
            self.s.constants_of = 0;
        }
        for step in &p.steps {
            match *step {
                Step::Constant(i, c) => {
                    if !constants_written {
                        if let Some(slot) = self.s.defines.get_mut(i as usize) {
                            slot.0 = Some(Val::Num(c));
                        }
                        if let Some(f) = self.s.failed.get_mut(i as usize) {
                            *f = None;
                        }
                    }
                }
                Step::Define(i, root) => {
                    let v = match root {
                        DefineRoot::Truth(id) => match self.truth(p, id) {
                            Truth::Unknown => None,
                            t => Some(Val::Bool(t == Truth::True)),
                        },
                        DefineRoot::Number(id) => self.number(p, id).map(Val::Num),
                        DefineRoot::Walker => match self.rules.defines.get(i as usize) {
                            Some(d) => match self.val(&d.value) {
                                Ok((v, _)) => v.map(std::borrow::Cow::into_owned),
                                Err(e) => {
                                    self.fail(Stop::Error(Box::new(e)));
                                    None
                                }
                            },
                            None => None,
                        },
                    };
                    // A define whose calculation fails does not fail the
                    // evaluation: it is kept as failed, and fails only a
                    // condition that reads it.
                    let failed = self
                        .stop
                        .take()
                        .map(|stop| self.define_error(i as usize, stop));
                    let v = if failed.is_some() { None } else { v };
                    if let Some(slot) = self.s.defines.get_mut(i as usize) {
                        slot.0 = v;
                    }
                    if let Some(f) = self.s.failed.get_mut(i as usize) {
                        *f = failed;
                    }
                }
                Step::Program(i, id) => {
                    let t = self.truth(p, id);
                    if let Some(slot) = self.s.programs.get_mut(i as usize) {
                        slot.0 = t;
                    }
                }
                Step::Referral(i, start, len) => {
                    let triggers = p
                        .triggers
                        .get(start as usize..(start + len) as usize)
                        .unwrap_or_default();
                    let mut state = (None, Truth::False);
                    // Triggers run most urgent first: one that is unknown
                    // before the one that holds is a more urgent one.
                    let mut upper_unknown = false;
                    for (priority, id) in triggers {
                        match self.truth(p, *id) {
                            Truth::True => {
                                state = (Some(*priority), Truth::True);
                                break;
                            }
                            Truth::Unknown => {
                                state.1 = Truth::Unknown;
                                upper_unknown = true;
                            }
                            Truth::False => {}
                        }
                    }
                    // Flagged here; `fill_missing` names the fields.
                    let upper_unknown = upper_unknown && state.0.is_some();
                    if let Some(slot) = self.s.referrals.get_mut(i as usize) {
                        (slot.0, slot.1) = state;
                    }
                    if let Some(slot) = self.s.urgent_if.get_mut(i as usize) {
                        *slot = upper_unknown.then(Bits::default);
                    }
                }
                Step::Warning(i, id) => {
                    let t = self.truth(p, id);
                    if let Some(slot) = self.s.warnings.get_mut(i as usize) {
                        slot.0 = t;
                    }
                }
                Step::Recommended => self.recommended = self.recommend(),
                // Once per profile, from outcomes already decided: the
                // walker's reading is as fast as a plan of its own would be.
                Step::Transition => match self.transition_state() {
                    Ok((state, _)) => self.s.transition = state,
                    Err(e) => self.fail(Stop::Error(Box::new(e))),
                },
            }
            // The first failure ends the evaluation, as in the walker.
            if self.stop.is_some() {
                return self.stop.take().map_or(Ok(()), Err);
            }
        }
        self.s.constants_of = p.id;
        Ok(())
    }

    /// The error of a define whose step stopped: the walker's wording of
    /// the calculation that failed.
    #[cold]
    fn define_error(&mut self, i: usize, stop: Stop) -> Box<EvalError> {
        match stop {
            Stop::Error(e) => e,
            Stop::Redo => match self.rules.defines.get(i).map(|d| self.val(&d.value)) {
                Some(Err(e)) => Box::new(e),
                _ => Box::new(EvalError::internal(
                    "the plan and the tree walker disagree on a definition",
                )),
            },
        }
    }

    /// Reading a define with no value: if its calculation failed, the
    /// reader fails, and the tree walker words it.
    #[inline]
    fn read_failed(&mut self, i: u32) {
        if self.s.failed.get(i as usize).is_some_and(Option::is_some) {
            self.fail(Stop::Redo);
        }
    }

    /// Notes the first failure; the value computed meanwhile is unknown and
    /// [`Eval::run_plan`] stops after the current step.
    #[cold]
    fn fail(&mut self, stop: Stop) {
        if self.stop.is_none() {
            self.stop = Some(stop);
        }
    }

    #[inline]
    fn field(&self, slot: u32) -> Option<&'a Val> {
        self.profile.slots.get(slot as usize)?.as_ref()
    }

    #[inline]
    fn set_field(&self, slot: u32) -> Option<(&'a Bits, usize)> {
        match self.field(slot)? {
            Val::Set(bits, n, _) => Some((bits, *n)),
            _ => None,
        }
    }

    /// A condition's truth. The atoms that make up most conditions are
    /// computed inline, in the caller's loop; everything else goes to
    /// [`Eval::compound`], so that this stays small and cheap to call.
    #[inline]
    fn truth(&mut self, p: &'a Plan, id: Id) -> Truth {
        let Some(op) = p.nodes.get(id as usize) else {
            return Truth::Unknown;
        };
        match self.leaf(op) {
            Some(t) => t,
            None => self.compound(p, op),
        }
    }

    /// The commonest atoms: one slot against a constant.
    #[inline(always)]
    fn leaf(&self, op: &Op) -> Option<Truth> {
        Some(match op {
            Op::FieldCmp { slot, op, c } => match self.field(*slot) {
                Some(Val::Num(x)) => tri(atoms::numbers(*op, x, c)),
                _ => Truth::Unknown,
            },
            Op::Member { slot, bit } => known(
                self.field(*slot)
                    .and_then(|v| atoms::has_bit(v, *bit as usize)),
            ),
            Op::EnumIs { slot, value, is } => known(
                self.field(*slot)
                    .and_then(|v| atoms::enum_is(v, *value as usize, *is)),
            ),
            Op::BoolField(s) => match self.field(*s) {
                Some(Val::Bool(b)) => tri(*b),
                _ => Truth::Unknown,
            },
            _ => return None,
        })
    }

    /// The truth of every other kind of condition.
    #[inline(never)]
    fn compound(&mut self, p: &'a Plan, op: &'a Op) -> Truth {
        match op {
            Op::And { start, len } | Op::Or { start, len } => {
                let decisive = if matches!(op, Op::And { .. }) {
                    Truth::False
                } else {
                    Truth::True
                };
                let kids = p
                    .kids
                    .get(*start as usize..(*start + *len) as usize)
                    .unwrap_or_default();
                let mut out = decisive.not();
                for k in kids {
                    match self.truth(p, *k) {
                        t if t == decisive => return decisive,
                        Truth::Unknown => out = Truth::Unknown,
                        _ => {}
                    }
                }
                out
            }
            Op::Not(x) => self.truth(p, *x).not(),
            Op::Const(b) => tri(*b),
            Op::BoolDefine(i) => match self.s.defines.get(*i as usize) {
                Some((Some(Val::Bool(b)), _)) => tri(*b),
                _ => {
                    self.read_failed(*i);
                    Truth::Unknown
                }
            },
            Op::NumCmp { op, a, b } => {
                // Both sides, as the tree walker computes them: a failing
                // right-hand side fails even when the left is unknown.
                let x = self.number(p, *a);
                let y = self.number(p, *b);
                match (x, y) {
                    (Some(x), Some(y)) => tri(atoms::numbers(*op, &x, &y)),
                    _ => Truth::Unknown,
                }
            }
            Op::TextIs { slot, sym, is } => known(
                self.field(*slot)
                    .and_then(|v| atoms::text_is(v, *sym as usize, *is)),
            ),
            Op::OneOf { slot, mask } => {
                let Some(mask) = p.masks.get(*mask as usize) else {
                    return Truth::Unknown;
                };
                known(self.field(*slot).and_then(|v| atoms::one_of(v, mask)))
            }
            Op::Has { slot, quant, mask } => {
                let (Some((bits, _)), Some(mask)) =
                    (self.set_field(*slot), p.masks.get(*mask as usize))
                else {
                    return Truth::Unknown;
                };
                tri(atoms::has(*quant, bits, mask))
            }
            Op::KnownField { slot, want } => tri(self.field(*slot).is_some() == *want),
            Op::Eligible(i) => self
                .s
                .programs
                .get(*i as usize)
                .map_or(Truth::Unknown, |x| x.0),
            Op::Referred(i) => self
                .s
                .referrals
                .get(*i as usize)
                .map_or(Truth::Unknown, |x| x.1),
            Op::Warned(i) => self
                .s
                .warnings
                .get(*i as usize)
                .map_or(Truth::Unknown, |x| x.0),
            Op::MemoTruth { slot, of } => {
                if let Some(&b) = self.s.memo_truth.get(*slot as usize) {
                    if b != EMPTY {
                        return decode(b);
                    }
                }
                let t = self.truth(p, *of);
                // Not what a failed calculation left: it must fail again
                // where it is read next.
                if self.stop.is_none() {
                    if let Some(b) = self.s.memo_truth.get_mut(*slot as usize) {
                        *b = encode(t);
                    }
                }
                t
            }
            Op::Truth(i) => match p.exprs.get(*i as usize).map(|e| self.tri(e)) {
                Some(Ok((t, _))) => t,
                Some(Err(e)) => {
                    self.fail(Stop::Error(Box::new(e)));
                    Truth::Unknown
                }
                None => Truth::Unknown,
            },
            Op::FieldCmp { .. } | Op::Member { .. } | Op::EnumIs { .. } | Op::BoolField(_) => {
                self.leaf(op).unwrap_or(Truth::Unknown)
            }
            // As the walker: the condition, then only the branch it picks.
            Op::IfTruth { c, a, b } => match self.truth(p, *c) {
                Truth::True => self.truth(p, *a),
                Truth::False => self.truth(p, *b),
                Truth::Unknown => Truth::Unknown,
            },
            Op::Count {
                at_most,
                n,
                start,
                len,
            } => {
                let kids = p
                    .kids
                    .get(*start as usize..(*start + *len) as usize)
                    .unwrap_or_default();
                let (n, mut yes, mut unknown) = (*n as usize, 0, 0);
                for (i, k) in kids.iter().enumerate() {
                    let rest = kids.len() - i;
                    if let Some(d) = numbers::count_decided(*at_most, n, yes, unknown, rest) {
                        return d;
                    }
                    match self.truth(p, *k) {
                        Truth::True => yes += 1,
                        Truth::Unknown => unknown += 1,
                        Truth::False => {}
                    }
                }
                numbers::count_final(*at_most, n, yes, unknown)
            }
            Op::Unless { base, exception } => match self.truth(p, *base) {
                Truth::False => Truth::False,
                b => numbers::unless(b, self.truth(p, *exception)),
            },
            // A number where a condition belongs: the checker never lets
            // one through.
            Op::Num(_)
            | Op::NumField(_)
            | Op::NumDefine(_)
            | Op::Arith { .. }
            | Op::Neg(_)
            | Op::CountField(_)
            | Op::Today
            | Op::Duration { .. }
            | Op::MemoNumber { .. }
            | Op::NumCall { .. }
            | Op::IfNum { .. }
            | Op::FirstNum { .. }
            | Op::WeightedField { .. }
            | Op::Value(_)
            | Op::Bands { .. }
            | Op::Keyed { .. } => Truth::Unknown,
        }
    }

    /// A number function: every argument computed in turn, as the walker
    /// does (so a failing one fails here too), with no allocation.
    fn plan_num_call(
        &mut self,
        p: &'a Plan,
        f: crate::ir::NumFn,
        start: u32,
        len: u32,
    ) -> Option<Decimal> {
        use crate::ir::NumFn;
        let kids = p
            .kids
            .get(start as usize..(start + len) as usize)
            .unwrap_or_default();
        let mut acc: Option<Decimal> = None;
        let mut args = [Decimal::ZERO; 3];
        let mut unknown = false;
        for (i, k) in kids.iter().enumerate() {
            match self.number(p, *k) {
                Some(x) => {
                    if let Some(slot) = args.get_mut(i) {
                        *slot = x;
                    }
                    acc = Some(acc.map_or(x, |a| f.pick(a, x)));
                }
                None => unknown = true,
            }
        }
        if unknown {
            return None;
        }
        let [x, lo, hi] = args;
        match f {
            NumFn::Min | NumFn::Max => acc,
            NumFn::Clamp => {
                let r = NumFn::clamp(x, lo, hi);
                if r.is_none() {
                    // The walker words the error.
                    self.fail(Stop::Redo);
                }
                r
            }
            _ => Some(f.unary(x)),
        }
    }

    /// A number, or `None` when unknown.
    fn number(&mut self, p: &'a Plan, id: Id) -> Option<Decimal> {
        match p.nodes.get(id as usize)? {
            Op::Num(c) => Some(*c),
            Op::NumField(s) => match self.field(*s) {
                Some(Val::Num(x)) => Some(*x),
                _ => None,
            },
            Op::NumDefine(i) => match self.s.defines.get(*i as usize) {
                Some((Some(Val::Num(x)), _)) => Some(*x),
                _ => {
                    self.read_failed(*i);
                    None
                }
            },
            Op::Arith { op, a, b } => {
                let x = self.number(p, *a);
                let y = self.number(p, *b);
                let r = op.apply(x?, y?);
                if r.is_none() {
                    self.fail(Stop::Redo);
                }
                r
            }
            Op::Neg(x) => self.number(p, *x).map(|d| -d),
            Op::Today => Some(self.today()),
            Op::Duration { unit, a, b } => {
                let x = self.number(p, *a);
                let y = self.number(p, *b);
                let r = atoms::duration(*unit, x?, y?);
                if r.is_none() {
                    self.fail(Stop::Redo);
                }
                r
            }
            Op::CountField(s) => self.set_field(*s).map(|(_, n)| Decimal::from(n)),
            Op::NumCall { f, start, len } => self.plan_num_call(p, *f, *start, *len),
            Op::IfNum { c, a, b } => match self.truth(p, *c) {
                Truth::True => self.number(p, *a),
                Truth::False => self.number(p, *b),
                Truth::Unknown => None,
            },
            Op::FirstNum { start, len } => {
                let kids = p
                    .kids
                    .get(*start as usize..(*start + *len) as usize)
                    .unwrap_or_default();
                // The first known, as the walker: those after it are not
                // computed.
                kids.iter().find_map(|k| self.number(p, *k))
            }
            Op::WeightedField { slot, start, len } => {
                let (bits, _) = self.set_field(*slot)?;
                let weights = p
                    .weights
                    .get(*start as usize..(*start + *len) as usize)
                    .unwrap_or_default();
                let mut sum = Decimal::ZERO;
                for (bit, w) in weights {
                    if bits.contains(*bit as usize) {
                        // The checker made sure the sum of every weight's
                        // size fits; should it not, the walker words it.
                        match sum.checked_add(*w) {
                            Some(s) => sum = s,
                            None => {
                                self.fail(Stop::Redo);
                                return None;
                            }
                        }
                    }
                }
                Some(sum)
            }
            Op::Bands { input, bands } => {
                let x = self.number(p, *input)?;
                let found = p.bands.get(*bands as usize)?.find(&x);
                if found.is_none() {
                    // No row matches: the walker words the error.
                    self.fail(Stop::Redo);
                }
                found
            }
            Op::Keyed { slot, bands } => {
                let key = match self.field(*slot)? {
                    Val::Bool(b) => Some(crate::ir::Lit::Bool(*b)),
                    Val::Enum(i) => Some(crate::ir::Lit::Enum(*i)),
                    Val::Text(Some(s), _) => Some(crate::ir::Lit::Text(*s)),
                    _ => None,
                };
                let found = p.bands.get(*bands as usize)?.find_key(key.as_ref());
                if found.is_none() {
                    self.fail(Stop::Redo);
                }
                found
            }
            Op::MemoNumber { slot, of } => {
                if let Some(Some(v)) = self.s.memo_num.get(*slot as usize) {
                    return *v;
                }
                let v = self.number(p, *of);
                if self.stop.is_none() {
                    if let Some(m) = self.s.memo_num.get_mut(*slot as usize) {
                        *m = Some(v);
                    }
                }
                v
            }
            Op::Value(i) => match self.val(p.exprs.get(*i as usize)?) {
                Ok((Some(v), _)) => match v.as_ref() {
                    Val::Num(x) => Some(*x),
                    _ => None,
                },
                Ok((None, _)) => None,
                Err(e) => {
                    self.fail(Stop::Error(Box::new(e)));
                    None
                }
            },
            _ => None,
        }
    }
}
