//! The tree walker: evaluates the typed IR directly, with the missing
//! fields of every unknown. It computes what the plan hands it (functions,
//! caseload tests, texts compared with texts, sets with sets), the missing
//! fields of the items that came out unknown, and everything explanations
//! show; it is also the reference the plan is tested against
//! (`Engine::decide_walking`).

use super::{Eval, EvalError, R, Truth, atoms, numbers};
use crate::decimal;
use crate::ir::{self, Expr, ExprKind, Lit, Node, ProgramRef, Ty};
use crate::profile::{Bits, InputError, Val};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::ops::Not;

/// The bits of a set of enumeration values or interned texts; `None` if
/// the set holds anything else.
pub(super) fn mask(lits: &[Lit]) -> Option<Bits> {
    let mut bits = Bits::default();
    for l in lits {
        match l {
            Lit::Enum(i) | Lit::Text(i) => bits.insert(*i),
            _ => return None,
        }
    }
    Some(bits)
}

impl<'a> Eval<'a> {
    /// Computes one node with the tree walker, missing fields and all.
    pub(super) fn walk(&mut self, node: Node) -> R<()> {
        self.s.walked = true;
        match node {
            Node::Define(i) => {
                if let Some(d) = self.rules.defines.get(i) {
                    // A failure is kept, not raised: it matters only where
                    // the define's value is read (`val`).
                    let (slot, failed) = match self.val(&d.value) {
                        Ok((v, m)) => ((v.map(Cow::into_owned), m), None),
                        Err(e) => ((None, Bits::default()), Some(Box::new(e))),
                    };
                    if let Some(s) = self.s.defines.get_mut(i) {
                        *s = slot;
                    }
                    if let Some(f) = self.s.failed.get_mut(i) {
                        *f = failed;
                    }
                }
            }
            Node::Program(i) => {
                if let Some(p) = self.rules.programs.get(i) {
                    let r = self.tri(&p.eligible)?;
                    if let Some(slot) = self.s.programs.get_mut(i) {
                        *slot = r;
                    }
                }
            }
            Node::Referral(i) => {
                if let Some(r) = self.rules.referrals.get(i) {
                    let mut fired = None;
                    let mut missing = Bits::default();
                    let mut unknown = false;
                    for (priority, cond) in &r.triggers {
                        let (t, m) = self.tri(cond)?;
                        match t {
                            Truth::True => {
                                // Triggers are sorted most urgent first.
                                fired = Some(*priority);
                                break;
                            }
                            Truth::Unknown => {
                                unknown = true;
                                missing.union(&m);
                            }
                            Truth::False => {}
                        }
                    }
                    // Made below an unknown trigger (a more urgent one:
                    // triggers run most urgent first): its missing fields
                    // are what would decide the higher priority.
                    let (state, urgent_if) = match (fired, unknown) {
                        (Some(p), true) => ((Some(p), Truth::True, Bits::default()), Some(missing)),
                        (Some(p), false) => ((Some(p), Truth::True, Bits::default()), None),
                        (None, true) => ((None, Truth::Unknown, missing), None),
                        (None, false) => ((None, Truth::False, Bits::default()), None),
                    };
                    if let Some(slot) = self.s.referrals.get_mut(i) {
                        *slot = state;
                    }
                    if let Some(slot) = self.s.urgent_if.get_mut(i) {
                        *slot = urgent_if;
                    }
                }
            }
            Node::Warning(i) => {
                if let Some(w) = self.rules.warnings.get(i) {
                    let r = self.tri(&w.when)?;
                    if let Some(slot) = self.s.warnings.get_mut(i) {
                        *slot = r;
                    }
                }
            }
            Node::Recommended => self.recommended = self.recommend(),
            Node::Transition => {
                let (state, missing) = self.transition_state()?;
                self.s.transition = state;
                self.s.transition_missing = missing;
            }
            // A table is computed where it is read (`val`).
            Node::Table(_) => {}
        }
        Ok(())
    }

    fn lit(&self, l: &Lit) -> Val {
        match l {
            Lit::Bool(b) => Val::Bool(*b),
            Lit::Num(d) => Val::Num(*d),
            // A literal is known by its symbol alone; an empty `Box<str>`
            // does not allocate. (`compare` never reads a literal's text.)
            Lit::Text(s) => Val::Text(Some(*s), Box::default()),
            Lit::Enum(i) => Val::Enum(*i),
            Lit::Program(p) => Val::Program(*p),
        }
    }

    /// The name of a literal as a set member.
    pub(super) fn member_name(&self, l: &Lit, ty: Ty) -> String {
        match (l, ty) {
            (Lit::Enum(i), Ty::Set(ir::Elem::Enum(slot))) => self
                .rules
                .fields
                .get(slot)
                .and_then(|f| f.ty.values())
                .and_then(|v| v.get(*i))
                .cloned()
                .unwrap_or_default(),
            (Lit::Text(s), _) => self
                .rules
                .symbols
                .get_index(*s)
                .cloned()
                .unwrap_or_default(),
            (Lit::Num(d), _) => decimal::show(*d),
            _ => String::new(),
        }
    }

    /// The value of an expression, or unknown with its missing fields.
    pub(super) fn val(&self, e: &'a Expr) -> R<(Option<Cow<'_, Val>>, Bits)> {
        let known = |v: Val| Ok((Some(Cow::Owned(v)), Bits::default()));
        match &e.kind {
            ExprKind::Lit(l) => known(self.lit(l)),
            ExprKind::SetLit(lits) => {
                let mut bits = Bits::default();
                let mut members = Vec::new();
                for l in lits {
                    match l {
                        Lit::Enum(i) | Lit::Text(i) => bits.insert(*i),
                        _ => {}
                    }
                    members.push(self.member_name(l, e.ty));
                }
                known(Val::Set(bits, members.len(), members))
            }
            ExprKind::Field(slot) => match self.profile.slots.get(*slot) {
                Some(Some(v)) => Ok((Some(Cow::Borrowed(v)), Bits::default())),
                _ => {
                    let mut m = Bits::default();
                    m.insert(*slot);
                    Ok((None, m))
                }
            },
            ExprKind::Define(i) => match (self.s.failed.get(*i), self.s.defines.get(*i)) {
                // A define whose calculation failed fails whoever reads it.
                (Some(Some(e)), _) => Err((**e).clone()),
                (_, Some((Some(v), _))) => Ok((Some(Cow::Borrowed(v)), Bits::default())),
                (_, Some((None, m))) => Ok((None, m.clone())),
                (_, None) => Ok((None, Bits::default())),
            },
            ExprKind::Recommended => known(Val::Program(self.recommended)),
            ExprKind::Today => known(Val::Num(self.today())),
            ExprKind::Duration(unit, a, b) => match self.both(a, b)? {
                Err(m) => Ok((None, m)),
                Ok((x, y)) => match (x.as_ref(), y.as_ref()) {
                    (Val::Num(p), Val::Num(q)) => match atoms::duration(*unit, *p, *q) {
                        Some(n) => known(Val::Num(n)),
                        None => Err(EvalError::internal(format!(
                            "`{}` reads a date outside the calendar",
                            self.text_of(e)
                        ))),
                    },
                    _ => Ok((None, Bits::default())),
                },
            },
            ExprKind::Dated {
                define,
                days,
                values,
            } => match self.in_force(*define, days) {
                Ok(i) => match values.get(i) {
                    Some(v) => self.val(v),
                    None => Ok((None, Bits::default())),
                },
                Err(e) => Err(e),
            },
            ExprKind::Call(f, args) => self.call(e, *f, args),
            ExprKind::Table { table, output } => self.table_val(*table, *output),
            ExprKind::Count(x) => {
                let (v, m) = self.val(x)?;
                Ok(match v.as_deref() {
                    Some(Val::Set(_, n, _)) => {
                        (Some(Cow::Owned(Val::Num((*n).into()))), Bits::default())
                    }
                    _ => (None, m),
                })
            }
            ExprKind::Neg(x) => {
                let (v, m) = self.val(x)?;
                Ok(match v.as_deref() {
                    Some(Val::Num(d)) => (Some(Cow::Owned(Val::Num(-*d))), Bits::default()),
                    _ => (None, m),
                })
            }
            ExprKind::Arith(op, a, b) => {
                let (va, ma) = self.val(a)?;
                let (vb, mb) = self.val(b)?;
                match (va.as_deref(), vb.as_deref()) {
                    (Some(Val::Num(x)), Some(Val::Num(y))) => match op.apply(*x, *y) {
                        Some(r) => known(Val::Num(r)),
                        None => Err(self.arith_error(e, *op)),
                    },
                    _ => {
                        let mut m = Bits::default();
                        if va.is_none() {
                            m.union(&ma);
                        }
                        if vb.is_none() {
                            m.union(&mb);
                        }
                        Ok((None, m))
                    }
                }
            }
            ExprKind::NumCall(f, args) => self.num_call(e, *f, args),
            ExprKind::If(c, branches) => {
                let [then, otherwise] = &**branches;
                let (t, m) = self.tri(c)?;
                match t {
                    Truth::True => self.val(then),
                    Truth::False => self.val(otherwise),
                    Truth::Unknown => Ok((None, m)),
                }
            }
            ExprKind::FirstKnown(xs) => {
                let mut missing = Bits::default();
                for x in xs {
                    let (v, m) = self.val(x)?;
                    if v.is_some() {
                        return Ok((v, Bits::default()));
                    }
                    missing.union(&m);
                }
                Ok((None, missing))
            }
            ExprKind::WeightedSum(set, weights) => {
                let (v, m) = self.val(set)?;
                let Some(Val::Set(bits, _, _)) = v.as_deref() else {
                    return Ok((None, m));
                };
                let mut sum = Decimal::ZERO;
                for (key, w) in weights {
                    if let Lit::Enum(i) | Lit::Text(i) = key {
                        if bits.contains(*i) {
                            // The checker made sure the sum of every
                            // weight's size fits.
                            sum = sum.checked_add(*w).ok_or_else(|| {
                                EvalError::internal("a weighted sum overflowed after its check")
                            })?;
                        }
                    }
                }
                known(Val::Num(sum))
            }
            _ => {
                let (t, m) = self.tri(e)?;
                Ok(match t {
                    Truth::True => (Some(Cow::Owned(Val::Bool(true))), m),
                    Truth::False => (Some(Cow::Owned(Val::Bool(false))), m),
                    Truth::Unknown => (None, m),
                })
            }
        }
    }

    /// The index of the dated value of define `define` in force on the
    /// evaluation date: the last whose day is on or before it; before the
    /// first, an input error naming the define.
    pub(super) fn in_force(&self, define: usize, days: &[i64]) -> R<usize> {
        let today = crate::date::day_number(self.profile.as_of);
        match days.iter().rposition(|d| *d <= today) {
            Some(i) => Ok(i),
            None => {
                let id = self
                    .rules
                    .defines
                    .get(define)
                    .map_or("", |d| d.meta.id.as_str());
                Err(EvalError::Input(super::not_in_force(
                    id,
                    false,
                    self.profile.as_of,
                    days.first().copied().unwrap_or_default(),
                )))
            }
        }
    }

    /// Calls a rhai function. Unknown arguments give an unknown result,
    /// without running the script: a script never sees a made-up value.
    fn call(&self, e: &'a Expr, f: usize, args: &'a [Expr]) -> R<(Option<Cow<'_, Val>>, Bits)> {
        use crate::script::ScriptValue as S;
        let Some(func) = self.rules.functions.get(f) else {
            return Ok((None, Bits::default()));
        };
        let mut values = Vec::with_capacity(args.len());
        let mut missing = Bits::default();
        let mut unknown = false;
        for (arg, want) in args.iter().zip(&func.params) {
            let (v, m) = self.val(arg)?;
            let Some(v) = v else {
                unknown = true;
                missing.union(&m);
                continue;
            };
            values.push(match (v.as_ref(), want) {
                (Val::Num(d), _) => match decimal::to_i64(*d) {
                    Some(i) => S::Int(i),
                    None => S::Dec(*d),
                },
                (Val::Bool(b), _) => S::Bool(*b),
                (Val::Text(_, s), _) => S::Text(s.to_string()),
                (Val::Enum(_), _) => {
                    let name = self.json(Some(v.as_ref()), arg.ty);
                    S::Text(name.as_str().unwrap_or_default().to_string())
                }
                (Val::Set(_, _, members), _) => S::List(members.clone()),
                (Val::Program(_), _) => S::Text(String::new()),
            });
        }
        if unknown {
            return Ok((None, missing));
        }
        let result =
            crate::script::call(&self.rules.sandbox, &func.script, values).map_err(|err| {
                let at = self.rules.sources.locate(func.meta.file, func.meta.span);
                let (id, text) = (&func.meta.id, self.text_of(e));
                match err {
                    // The same input fails the same way on every machine:
                    // the rules' problem, reported as the client's result.
                    crate::script::CallError::Failed(msg) => EvalError::Function {
                        function: id.clone(),
                        message: format!(
                            "function `{id}` ({}:{}) failed on `{text}`: {msg}",
                            at.file, at.line
                        ),
                    },
                    // Only the wall-clock safety net: never the client's
                    // result.
                    crate::script::CallError::Internal(msg) => EvalError::internal(format!(
                        "function `{id}` ({}:{}) on `{text}`: {msg}",
                        at.file, at.line
                    )),
                }
            })?;
        let v = match result {
            S::Int(i) => Val::Num(i.into()),
            S::Dec(d) => Val::Num(d.normalize()),
            S::Bool(b) => Val::Bool(b),
            S::Text(s) => Val::Text(self.rules.symbols.get_index_of(s.as_str()), s.into()),
            S::List(_) => return Ok((None, Bits::default())),
        };
        Ok((Some(Cow::Owned(v)), Bits::default()))
    }

    /// `min`, `max`, `clamp`, `abs`, `floor`, `ceil`, `round`: unknown if
    /// any argument is (missing: theirs), each argument computed in turn.
    fn num_call(
        &self,
        e: &'a Expr,
        f: ir::NumFn,
        args: &'a [Expr],
    ) -> R<(Option<Cow<'_, Val>>, Bits)> {
        let mut xs = Vec::with_capacity(args.len());
        let mut missing = Bits::default();
        let mut unknown = false;
        for a in args {
            let (v, m) = self.val(a)?;
            match v.as_deref() {
                Some(Val::Num(d)) => xs.push(*d),
                _ => {
                    unknown = true;
                    missing.union(&m);
                }
            }
        }
        if unknown {
            return Ok((None, missing));
        }
        let r = match (f, xs.as_slice()) {
            (ir::NumFn::Clamp, [_, lo, hi]) if decimal::cmp(lo, hi).is_gt() => {
                return Err(self.clamp_error(e, *lo, *hi));
            }
            _ => f.apply(&xs),
        };
        Ok((r.map(|d| Cow::Owned(Val::Num(d))), Bits::default()))
    }

    /// `clamp` with bounds the profile made cross: an input error naming a
    /// field the bounds read.
    #[cold]
    fn clamp_error(&self, e: &Expr, lo: Decimal, hi: Decimal) -> EvalError {
        let mut field = String::new();
        if let ExprKind::NumCall(_, args) = &e.kind {
            for bound in args.iter().skip(1) {
                bound.visit(&mut |x| {
                    if let ExprKind::Field(slot) = x.kind {
                        if field.is_empty() {
                            if let Some(f) = self.rules.fields.get(slot) {
                                field = f.name.clone();
                            }
                        }
                    }
                });
            }
        }
        EvalError::Input(InputError::new(
            field,
            format!(
                "`{}`: the lower bound {} is above the upper bound {} for this profile",
                self.text_of(e),
                decimal::show(lo),
                decimal::show(hi)
            ),
        ))
    }

    fn arith_error(&self, e: &Expr, op: ir::Arith) -> EvalError {
        let mut field = String::new();
        // A division fails on its divisor: name a field read there.
        let blame = match (&e.kind, op) {
            (ExprKind::Arith(_, _, divisor), ir::Arith::Div) => divisor.as_ref(),
            _ => e,
        };
        blame.visit(&mut |x| {
            if let ExprKind::Field(slot) = x.kind {
                if field.is_empty() {
                    if let Some(f) = self.rules.fields.get(slot) {
                        field = f.name.clone();
                    }
                }
            }
        });
        let what = if op == ir::Arith::Div {
            "divides by zero"
        } else {
            "overflows an exact decimal"
        };
        EvalError::Input(InputError::new(
            field,
            format!("`{}` {what} for this profile", self.text_of(e)),
        ))
    }

    /// Both operands' values, or unknown with the missing fields of the
    /// unknown ones.
    #[allow(clippy::type_complexity)]
    fn both(&self, a: &'a Expr, b: &'a Expr) -> R<Result<(Cow<'_, Val>, Cow<'_, Val>), Bits>> {
        let (va, ma) = self.val(a)?;
        let (vb, mb) = self.val(b)?;
        match (va, vb) {
            (Some(x), Some(y)) => Ok(Ok((x, y))),
            (x, y) => {
                let mut m = Bits::default();
                if x.is_none() {
                    m.union(&ma);
                }
                if y.is_none() {
                    m.union(&mb);
                }
                Ok(Err(m))
            }
        }
    }

    /// A field's value, or the missing set naming it.
    #[inline]
    fn slot(&self, slot: usize) -> Result<&Val, Bits> {
        match self.profile.slots.get(slot) {
            Some(Some(v)) => Ok(v),
            _ => {
                let mut m = Bits::default();
                m.insert(slot);
                Err(m)
            }
        }
    }

    /// The common atoms, read straight from the slots: a field against a
    /// constant, a constant in a set field, a boolean field. `None` for
    /// every other form, which the general path evaluates.
    #[inline]
    fn atom(&self, e: &Expr) -> Option<(Truth, Bits)> {
        let known = |b: Option<bool>| Some((Truth::from(b?), Bits::default()));
        match &e.kind {
            ExprKind::Cmp(op, a, b) => {
                let (slot, lit, flipped) = match (&a.kind, &b.kind) {
                    (ExprKind::Field(s), ExprKind::Lit(l)) => (*s, l, false),
                    (ExprKind::Lit(l), ExprKind::Field(s)) => (*s, l, true),
                    _ => return None,
                };
                match self.slot(slot) {
                    Ok(v) => known(atoms::against_constant(*op, v, lit, flipped)),
                    Err(m) => Some((Truth::Unknown, m)),
                }
            }
            ExprKind::In(el, set) => {
                let (ExprKind::Lit(Lit::Text(i) | Lit::Enum(i)), ExprKind::Field(slot)) =
                    (&el.kind, &set.kind)
                else {
                    return None;
                };
                match self.slot(*slot) {
                    Ok(v) => known(atoms::has_bit(v, *i)),
                    Err(m) => Some((Truth::Unknown, m)),
                }
            }
            ExprKind::Field(slot) => match self.slot(*slot) {
                Ok(Val::Bool(b)) => known(Some(*b)),
                Ok(_) => None,
                Err(m) => Some((Truth::Unknown, m)),
            },
            _ => None,
        }
    }

    /// The truth of a condition, or unknown with its missing fields.
    pub(super) fn tri(&self, e: &'a Expr) -> R<(Truth, Bits)> {
        if let Some(r) = self.atom(e) {
            return Ok(r);
        }
        let t = |b: bool| Ok((Truth::from(b), Bits::default()));
        match &e.kind {
            ExprKind::Not(x) => {
                let (v, m) = self.tri(x)?;
                Ok((v.not(), m))
            }
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                // The value that decides: false for `and`, true for `or`.
                let decisive = if is_and { Truth::False } else { Truth::True };
                let mut missing = Bits::default();
                let mut unknown = false;
                for x in xs {
                    let (v, m) = self.tri(x)?;
                    if v == decisive {
                        return Ok((decisive, Bits::default()));
                    }
                    if v == Truth::Unknown {
                        unknown = true;
                        missing.union(&m);
                    }
                }
                if unknown {
                    Ok((Truth::Unknown, missing))
                } else {
                    Ok((decisive.not(), Bits::default()))
                }
            }
            ExprKind::Known(x, want) => {
                let (v, _) = self.val(x)?;
                t(v.is_some() == *want)
            }
            ExprKind::Cmp(op, a, b) => match self.both(a, b)? {
                Err(m) => Ok((Truth::Unknown, m)),
                Ok((x, y)) => t(atoms::compare(*op, &x, &y)),
            },
            ExprKind::MoreIntensive(a, b) => match self.both(a, b)? {
                Err(m) => Ok((Truth::Unknown, m)),
                Ok((x, y)) => match (x.as_ref(), y.as_ref()) {
                    (Val::Program(p), Val::Program(q)) => t(self.more_intensive(*p, *q)),
                    _ => Ok((Truth::Unknown, Bits::default())),
                },
            },
            ExprKind::In(el, set) if matches!(set.kind, ExprKind::SetLit(_)) => {
                let ExprKind::SetLit(lits) = &set.kind else {
                    return t(false);
                };
                let (v, m) = self.val(el)?;
                match v.as_deref() {
                    None => Ok((Truth::Unknown, m)),
                    Some(x) => t(lits.iter().any(|l| atoms::lit_is(l, x))),
                }
            }
            ExprKind::In(el, set) => match self.both(el, set)? {
                Err(m) => Ok((Truth::Unknown, m)),
                Ok((x, s)) => t(atoms::member(&x, &s)),
            },
            // `s has any of {…}`: test the literals' bits, build nothing.
            ExprKind::Has(set, q, values) if matches!(values.kind, ExprKind::SetLit(_)) => {
                let ExprKind::SetLit(lits) = &values.kind else {
                    return t(false);
                };
                let (v, m) = self.val(set)?;
                let Some(Val::Set(bits, _, members)) = v.as_deref() else {
                    return Ok((Truth::Unknown, m));
                };
                match mask(lits) {
                    Some(mask) => t(atoms::has(*q, bits, &mask)),
                    None => {
                        let names: Vec<String> =
                            lits.iter().map(|l| self.member_name(l, set.ty)).collect();
                        t(atoms::has_members(*q, members, &names))
                    }
                }
            }
            ExprKind::Has(set, q, values) => match self.both(set, values)? {
                Err(m) => Ok((Truth::Unknown, m)),
                Ok((s, v)) => {
                    let (Val::Set(sb, _, sm), Val::Set(vb, _, vm)) = (s.as_ref(), v.as_ref())
                    else {
                        return t(false);
                    };
                    if matches!(set.ty, Ty::Set(ir::Elem::Enum(_))) {
                        t(atoms::has(*q, sb, vb))
                    } else {
                        t(atoms::has_members(*q, sm, vm))
                    }
                }
            },
            ExprKind::Eligible(i) => Ok(self
                .s
                .programs
                .get(*i)
                .cloned()
                .unwrap_or((Truth::Unknown, Bits::default()))),
            ExprKind::Referred(i) => Ok(self
                .s
                .referrals
                .get(*i)
                .map(|(_, t, m)| (*t, m.clone()))
                .unwrap_or((Truth::Unknown, Bits::default()))),
            ExprKind::Warned(i) => Ok(self
                .s
                .warnings
                .get(*i)
                .cloned()
                .unwrap_or((Truth::Unknown, Bits::default()))),
            ExprKind::AtLeast(n, xs) | ExprKind::AtMost(n, xs) => {
                let at_most = matches!(e.kind, ExprKind::AtMost(..));
                let (mut yes, mut unknown) = (0, 0);
                let mut missing = Bits::default();
                for (i, x) in xs.iter().enumerate() {
                    // Stop once the rest cannot change the answer, as the
                    // plan does.
                    let rest = xs.len() - i;
                    if let Some(d) = numbers::count_decided(at_most, *n, yes, unknown, rest) {
                        return Ok((d, Bits::default()));
                    }
                    let (v, m) = self.tri(x)?;
                    match v {
                        Truth::True => yes += 1,
                        Truth::Unknown => {
                            unknown += 1;
                            missing.union(&m);
                        }
                        Truth::False => {}
                    }
                }
                match numbers::count_final(at_most, *n, yes, unknown) {
                    Truth::Unknown => Ok((Truth::Unknown, missing)),
                    d => Ok((d, Bits::default())),
                }
            }
            ExprKind::Unless(base, exception) => {
                let (b, mb) = self.tri(base)?;
                // A false base decides: the exception is not looked at.
                if b == Truth::False {
                    return t(false);
                }
                let (x, mx) = self.tri(exception)?;
                let r = numbers::unless(b, x);
                let mut m = Bits::default();
                if r == Truth::Unknown {
                    if b == Truth::Unknown {
                        m.union(&mb);
                    }
                    if x == Truth::Unknown {
                        m.union(&mx);
                    }
                }
                Ok((r, m))
            }
            ExprKind::CaseloadFull(p) => t(match p {
                ProgramRef::Program(i) => self.full(*i),
                ProgramRef::Recommended => self.recommended.is_some_and(|i| self.full(i)),
                ProgramRef::Any => *self
                    .any_full
                    .get_or_init(|| (0..self.rules.programs.len()).any(|i| self.full(i))),
            }),
            ExprKind::CaseloadExceeded(p) => t(match p {
                ProgramRef::Program(i) => self.exceeded(*i),
                ProgramRef::Recommended => self.recommended.is_some_and(|i| self.exceeded(i)),
                ProgramRef::Any => *self
                    .any_exceeded
                    .get_or_init(|| (0..self.rules.programs.len()).any(|i| self.exceeded(i))),
            }),
            _ => {
                let (v, m) = self.val(e)?;
                Ok(match v.as_deref() {
                    Some(Val::Bool(b)) => (Truth::from(*b), Bits::default()),
                    _ => (Truth::Unknown, m),
                })
            }
        }
    }
}
