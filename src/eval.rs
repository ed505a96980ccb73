//! Step four: profile → report.
//!
//! Evaluation follows the checked order, so every outcome is computed once,
//! after everything it reads. Logic is three-valued: an absent field is
//! unknown, `false and unknown` is false, `true or unknown` is true, and an
//! unknown result carries the *missing* fields that would decide it: the
//! absent fields of the sub-conditions whose own value is unknown.
//!
//! The explanation of an item (the conditions that held and the values they
//! read) is built only for items that made it into the report.

use crate::compile::Engine;
use crate::decimal;
use crate::diagnostic::{FileId, Span};
use crate::ir::{self, Cmp, Expr, ExprKind, Lit, Node, Priority, ProgramRef, Quant, Ty};
use crate::profile::{Bits, Caseloads, InputError, Profile, Val};
use crate::report::{
    Held, Kind, Outcomes, ProgramItem, ReferralItem, ReferralOutcome, Report, Status, Undetermined,
    UndeterminedOutcome, WarningItem, WarningOutcome,
};
use indexmap::IndexMap;
use serde::Serialize;
use std::borrow::Cow;

pub(crate) mod program;

/// A truth value that may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Depends on data that is absent.
    Unknown,
}

impl Tri {
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

type R<T> = Result<T, InputError>;

/// A truth value as reports spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Depends on absent data.
    Unknown,
}

impl From<Tri> for Truth {
    fn from(t: Tri) -> Truth {
        match t {
            Tri::True => Truth::True,
            Tri::False => Truth::False,
            Tri::Unknown => Truth::Unknown,
        }
    }
}

/// What a profile decides, without the report's words: each program's
/// eligibility, each referral's priority, each warning, by index in the rule
/// set (`Engine::rules()`). The fast path: no reasons, no strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Each program's eligibility.
    pub programs: Vec<Truth>,
    /// Each referral: the priority it fired at, if it fired.
    pub referrals: Vec<Option<Priority>>,
    /// Each referral: whether it fired (true), not (false) or is undetermined.
    pub referral_truth: Vec<Truth>,
    /// Each warning.
    pub warnings: Vec<Truth>,
    /// The recommended program's index.
    pub recommended: Option<usize>,
    /// The alternative program's index.
    pub alternative: Option<usize>,
}

/// One condition of an explanation, with its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    /// The condition as written.
    pub condition: String,
    /// Its value for this profile.
    pub value: Truth,
    /// What it read (for conditions without parts).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub values: IndexMap<String, serde_json::Value>,
    /// When unknown: the absent fields that would decide it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// The operands of `and`, `or`, `not`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Trace>,
    /// The file the condition is written in.
    #[serde(skip)]
    pub file: FileId,
    /// Where.
    #[serde(skip)]
    pub span: Span,
}

/// A clause of an item (`eligible when`, `urgent when`, …) and its trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseTrace {
    /// The clause's head.
    pub clause: String,
    /// Its condition's trace.
    pub trace: Trace,
}

/// The explanation of one program, referral or warning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemTrace {
    /// What kind of item.
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What came of it: `eligible`, `referred, urgent`, `undetermined`, …
    pub outcome: String,
    /// Each condition clause with its trace.
    pub conditions: Vec<ClauseTrace>,
}

/// What an evaluation computes for each define and outcome, with the
/// missing fields of those that came out unknown. It is kept between
/// evaluations on the same thread (see [`Eval::new`]), so that deciding a
/// profile allocates nothing once the vectors have grown to the rule set.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) defines: Vec<(Option<Val>, Bits)>,
    pub(crate) programs: Vec<(Tri, Bits)>,
    pub(crate) referrals: Vec<(Option<Priority>, Tri, Bits)>,
    pub(crate) warnings: Vec<(Tri, Bits)>,
    /// The compiled program's memo of shared conditions and numbers.
    pub(crate) memo_truth: Vec<u8>,
    pub(crate) memo_num: Vec<Option<Option<rust_decimal::Decimal>>>,
    /// The tree walker has written missing-field sets since the last reset.
    walked: bool,
    /// The program (`Program::id`) whose constant definitions `defines`
    /// holds; 0 for none. Only their own steps and the tree walker (which
    /// computes the same values) write those slots, so they stay valid
    /// from one evaluation of the same program to the next.
    pub(crate) constants_of: u64,
}

impl State {
    /// Sized for `rules` and ready for an evaluation, keeping the
    /// allocations. Every step of an evaluation writes its own outcome
    /// before anything reads it, so only the memo and, after a walk, the
    /// missing-field sets need clearing.
    fn reset(&mut self, rules: &ir::RuleSet, memo: (usize, usize)) {
        fn fill<T: Clone>(v: &mut Vec<T>, n: usize, x: T) {
            v.truncate(n);
            v.fill(x.clone());
            v.resize(n, x);
        }
        let sized = self.defines.len() == rules.defines.len()
            && self.programs.len() == rules.programs.len()
            && self.referrals.len() == rules.referrals.len()
            && self.warnings.len() == rules.warnings.len();
        if !sized || self.walked {
            fill(
                &mut self.defines,
                rules.defines.len(),
                (None, Bits::default()),
            );
            self.constants_of = 0;
            fill(
                &mut self.programs,
                rules.programs.len(),
                (Tri::Unknown, Bits::default()),
            );
            fill(
                &mut self.referrals,
                rules.referrals.len(),
                (None, Tri::Unknown, Bits::default()),
            );
            fill(
                &mut self.warnings,
                rules.warnings.len(),
                (Tri::Unknown, Bits::default()),
            );
            self.walked = false;
        }
        fill(&mut self.memo_truth, memo.0, program::EMPTY);
        fill(&mut self.memo_num, memo.1, None);
    }
}

thread_local! {
    /// One [`State`] per thread, lent to each evaluation in turn.
    static STATE: std::cell::RefCell<State> = std::cell::RefCell::new(State::default());
}

/// Runs `f` with this thread's evaluation state (a fresh one if the
/// thread's is in use, which only a re-entrant call could cause, or gone,
/// as it is while the thread exits).
pub(crate) fn with_state<T>(f: impl FnOnce(&mut State) -> R<T>) -> R<T> {
    let mut f = Some(f);
    let lent = STATE.try_with(|cell| {
        let mut s = cell.try_borrow_mut().ok()?;
        f.take().map(|f| f(&mut s))
    });
    match (lent, f.take()) {
        (Ok(Some(out)), _) => out,
        (_, Some(f)) => f(&mut State::default()),
        // `f` is taken only where its result is returned.
        (_, None) => Err(InputError::new("", "internal error: evaluation state lost")),
    }
}

/// The state of one evaluation.
pub(crate) struct Eval<'a> {
    engine: &'a Engine,
    rules: &'a ir::RuleSet,
    profile: &'a Profile,
    ctx: Option<&'a Caseloads>,
    s: &'a mut State,
    recommended: Option<usize>,
    /// `caseload_full(any)` and `caseload_exceeded(any)`, computed on first
    /// use: each looks at every program, and a condition may ask often.
    any_full: std::cell::OnceCell<bool>,
    any_exceeded: std::cell::OnceCell<bool>,
    /// The compiled program's first failure, if any.
    stop: Option<program::Stop>,
}

impl<'a> Eval<'a> {
    pub(crate) fn new(
        engine: &'a Engine,
        profile: &'a Profile,
        ctx: Option<&'a Caseloads>,
        s: &'a mut State,
    ) -> Eval<'a> {
        let rules = engine.rules();
        s.reset(rules, engine.program().memo_sizes());
        Eval {
            engine,
            rules,
            profile,
            ctx,
            s,
            recommended: None,
            any_full: std::cell::OnceCell::new(),
            any_exceeded: std::cell::OnceCell::new(),
            stop: None,
        }
    }

    /// Computes every outcome in dependency order, with the compiled
    /// program; missing fields are left empty (see [`Eval::fill_missing`]).
    pub(crate) fn run(&mut self) -> R<()> {
        match self.run_program() {
            Ok(()) => Ok(()),
            // The program met a calculation it cannot finish (a division by
            // zero, an overflow): the tree walker finds the same failure
            // and words it with the expression's text.
            Err(program::Stop::Redo) => {
                let rules = self.rules;
                self.s.reset(rules, self.engine.program().memo_sizes());
                self.recommended = None;
                self.run_walker()
            }
            Err(program::Stop::Input(e)) => Err(*e),
        }
    }

    /// Computes every outcome with the tree walker alone: the reference the
    /// compiled program is tested against.
    pub(crate) fn run_walker(&mut self) -> R<()> {
        let rules = self.rules;
        for node in &rules.eval_order {
            self.walk(*node)?;
        }
        Ok(())
    }

    /// Computes, with the tree walker, the missing fields of every define
    /// and outcome that came out unknown: what the report and explanations
    /// name, and what deciding alone never needs. Walks in dependency order,
    /// so each sees the missing fields of the unknowns it reads.
    pub(crate) fn fill_missing(&mut self) -> R<()> {
        for node in &self.rules.eval_order {
            let unknown = match *node {
                Node::Define(i) => self.s.defines.get(i).is_some_and(|(v, _)| v.is_none()),
                Node::Program(i) => self
                    .s
                    .programs
                    .get(i)
                    .is_some_and(|(t, _)| *t == Tri::Unknown),
                Node::Referral(i) => self.s.referrals.get(i).is_some_and(|r| r.1 == Tri::Unknown),
                Node::Warning(i) => self
                    .s
                    .warnings
                    .get(i)
                    .is_some_and(|(t, _)| *t == Tri::Unknown),
                Node::Recommended => false,
            };
            if unknown {
                self.walk(*node)?;
            }
        }
        Ok(())
    }

    /// Computes one node with the tree walker, missing fields and all.
    fn walk(&mut self, node: Node) -> R<()> {
        self.s.walked = true;
        match node {
            Node::Define(i) => {
                if let Some(d) = self.rules.defines.get(i) {
                    let (v, m) = self.val(&d.value)?;
                    let v = v.map(Cow::into_owned);
                    if let Some(slot) = self.s.defines.get_mut(i) {
                        *slot = (v, m);
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
                            Tri::True => {
                                // Triggers are sorted most urgent first.
                                fired = Some(*priority);
                                break;
                            }
                            Tri::Unknown => {
                                unknown = true;
                                missing.union(&m);
                            }
                            Tri::False => {}
                        }
                    }
                    let state = match (fired, unknown) {
                        (Some(p), _) => (Some(p), Tri::True, Bits::default()),
                        (None, true) => (None, Tri::Unknown, missing),
                        (None, false) => (None, Tri::False, Bits::default()),
                    };
                    if let Some(slot) = self.s.referrals.get_mut(i) {
                        *slot = state;
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
        }
        Ok(())
    }

    /// The most intensive program whose eligibility is true.
    fn recommend(&self) -> Option<usize> {
        self.engine
            .by_intensity()
            .iter()
            .copied()
            .find(|&i| matches!(self.s.programs.get(i), Some((Tri::True, _))))
    }

    /// The next program down from the recommended one that the client is
    /// eligible for and that has room; only when the recommended one is full.
    fn alternative(&self) -> Option<usize> {
        let rec = self.recommended?;
        if !self.full(rec) {
            return None;
        }
        let order = self.engine.by_intensity();
        let pos = order.iter().position(|&i| i == rec)?;
        order
            .iter()
            .skip(pos + 1)
            .copied()
            .find(|&i| matches!(self.s.programs.get(i), Some((Tri::True, _))) && !self.full(i))
    }

    fn caseload(&self, program: usize) -> Option<&'a [(String, u64)]> {
        self.ctx?.programs.get(program)?.as_deref()
    }

    /// Every case manager of the program is at its limit; a program listed
    /// with no case managers has no room. No data: not full.
    fn full(&self, program: usize) -> bool {
        let Some(cms) = self.caseload(program) else {
            return false;
        };
        let limit = self
            .rules
            .programs
            .get(program)
            .and_then(|p| p.caseload_limit);
        match limit {
            _ if cms.is_empty() => true,
            Some(limit) => cms.iter().all(|(_, n)| *n >= limit),
            None => false,
        }
    }

    /// Some case manager of the program is above its limit.
    fn exceeded(&self, program: usize) -> bool {
        let Some(cms) = self.caseload(program) else {
            return false;
        };
        let Some(limit) = self
            .rules
            .programs
            .get(program)
            .and_then(|p| p.caseload_limit)
        else {
            return false;
        };
        cms.iter().any(|(_, n)| *n > limit)
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
    fn member_name(&self, l: &Lit, ty: Ty) -> String {
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
    fn val(&self, e: &'a Expr) -> R<(Option<Cow<'_, Val>>, Bits)> {
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
            ExprKind::Define(i) => match self.s.defines.get(*i) {
                Some((Some(v), _)) => Ok((Some(Cow::Borrowed(v)), Bits::default())),
                Some((None, m)) => Ok((None, m.clone())),
                None => Ok((None, Bits::default())),
            },
            ExprKind::Recommended => known(Val::Program(self.recommended)),
            ExprKind::Call(f, args) => self.call(e, *f, args),
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
                    (Some(Val::Num(x)), Some(Val::Num(y))) => match decimal::arith(*op, *x, *y) {
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
            _ => {
                let (t, m) = self.tri(e)?;
                Ok(match t {
                    Tri::True => (Some(Cow::Owned(Val::Bool(true))), m),
                    Tri::False => (Some(Cow::Owned(Val::Bool(false))), m),
                    Tri::Unknown => (None, m),
                })
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
            crate::script::call(&self.rules.sandbox, &func.script, values).map_err(|msg| {
                let at = self.rules.sources.locate(func.meta.file, func.meta.span);
                InputError::new(
                    "",
                    format!(
                        "function `{}` ({}:{}) failed on `{}`: {msg}",
                        func.meta.id,
                        at.file,
                        at.line,
                        self.text_of(e)
                    ),
                )
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

    fn arith_error(&self, e: &Expr, op: ir::Arith) -> InputError {
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
        InputError::new(
            field,
            format!("`{}` {what} for this profile", self.text_of(e)),
        )
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
    fn atom(&self, e: &Expr) -> Option<(Tri, Bits)> {
        let known = |b: bool| Some((Tri::from(b), Bits::default()));
        match &e.kind {
            ExprKind::Cmp(op, a, b) => {
                let (slot, lit, flipped) = match (&a.kind, &b.kind) {
                    (ExprKind::Field(s), ExprKind::Lit(l)) => (*s, l, false),
                    (ExprKind::Lit(l), ExprKind::Field(s)) => (*s, l, true),
                    _ => return None,
                };
                let v = match self.slot(slot) {
                    Ok(v) => v,
                    Err(m) => return Some((Tri::Unknown, m)),
                };
                match (v, lit) {
                    (Val::Num(x), Lit::Num(c)) => {
                        let ord = if flipped { c.cmp(x) } else { x.cmp(c) };
                        known(op.holds(ord))
                    }
                    (v, l) if matches!(op, Cmp::Eq | Cmp::Ne) => {
                        let eq = lit_is(l, v);
                        known(if *op == Cmp::Eq { eq } else { !eq })
                    }
                    _ => None,
                }
            }
            ExprKind::In(el, set) => {
                let (ExprKind::Lit(l @ (Lit::Text(i) | Lit::Enum(i))), ExprKind::Field(slot)) =
                    (&el.kind, &set.kind)
                else {
                    return None;
                };
                let _ = l;
                match self.slot(*slot) {
                    Ok(Val::Set(bits, _, _)) => known(bits.contains(*i)),
                    Ok(_) => None,
                    Err(m) => Some((Tri::Unknown, m)),
                }
            }
            ExprKind::Field(slot) => match self.slot(*slot) {
                Ok(Val::Bool(b)) => known(*b),
                Ok(_) => None,
                Err(m) => Some((Tri::Unknown, m)),
            },
            _ => None,
        }
    }

    /// The truth of a condition, or unknown with its missing fields.
    pub(crate) fn tri(&self, e: &'a Expr) -> R<(Tri, Bits)> {
        if let Some(r) = self.atom(e) {
            return Ok(r);
        }
        let t = |b: bool| Ok((Tri::from(b), Bits::default()));
        match &e.kind {
            ExprKind::Not(x) => {
                let (v, m) = self.tri(x)?;
                Ok((v.not(), m))
            }
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                // The value that decides: false for `and`, true for `or`.
                let decisive = if is_and { Tri::False } else { Tri::True };
                let mut missing = Bits::default();
                let mut unknown = false;
                for x in xs {
                    let (v, m) = self.tri(x)?;
                    if v == decisive {
                        return Ok((decisive, Bits::default()));
                    }
                    if v == Tri::Unknown {
                        unknown = true;
                        missing.union(&m);
                    }
                }
                if unknown {
                    Ok((Tri::Unknown, missing))
                } else {
                    Ok((decisive.not(), Bits::default()))
                }
            }
            ExprKind::Known(x, want) => {
                let (v, _) = self.val(x)?;
                t(v.is_some() == *want)
            }
            ExprKind::Cmp(op, a, b) => match self.both(a, b)? {
                Err(m) => Ok((Tri::Unknown, m)),
                Ok((x, y)) => t(compare(*op, &x, &y)),
            },
            ExprKind::In(el, set) if matches!(set.kind, ExprKind::SetLit(_)) => {
                let ExprKind::SetLit(lits) = &set.kind else {
                    return t(false);
                };
                let (v, m) = self.val(el)?;
                match v.as_deref() {
                    None => Ok((Tri::Unknown, m)),
                    Some(x) => t(lits.iter().any(|l| lit_is(l, x))),
                }
            }
            ExprKind::In(el, set) => match self.both(el, set)? {
                Err(m) => Ok((Tri::Unknown, m)),
                Ok((x, s)) => t(member(&x, &s)),
            },
            // `s has any of {…}`: test the literals' bits, build nothing.
            ExprKind::Has(set, q, values) if matches!(values.kind, ExprKind::SetLit(_)) => {
                let ExprKind::SetLit(lits) = &values.kind else {
                    return t(false);
                };
                let (v, m) = self.val(set)?;
                let Some(Val::Set(bits, _, members)) = v.as_deref() else {
                    return Ok((Tri::Unknown, m));
                };
                let has = |l: &Lit| match l {
                    Lit::Enum(i) | Lit::Text(i) => bits.contains(*i),
                    Lit::Num(d) => members.contains(&decimal::show(*d)),
                    _ => false,
                };
                t(match q {
                    Quant::Any => lits.iter().any(has),
                    Quant::All => lits.iter().all(has),
                    Quant::None => !lits.iter().any(has),
                })
            }
            ExprKind::Has(set, q, values) => match self.both(set, values)? {
                Err(m) => Ok((Tri::Unknown, m)),
                Ok((s, v)) => {
                    let (Val::Set(sb, _, sm), Val::Set(vb, _, vm)) = (s.as_ref(), v.as_ref())
                    else {
                        return t(false);
                    };
                    let enums = matches!(set.ty, Ty::Set(ir::Elem::Enum(_)));
                    let (any, all) = if enums {
                        (
                            vb.iter().any(|i| sb.contains(i)),
                            vb.iter().all(|i| sb.contains(i)),
                        )
                    } else {
                        (
                            vm.iter().any(|m| sm.contains(m)),
                            vm.iter().all(|m| sm.contains(m)),
                        )
                    };
                    t(match q {
                        Quant::Any => any,
                        Quant::All => all,
                        Quant::None => !any,
                    })
                }
            },
            ExprKind::Eligible(i) => Ok(self
                .s
                .programs
                .get(*i)
                .cloned()
                .unwrap_or((Tri::Unknown, Bits::default()))),
            ExprKind::Referred(i) => Ok(self
                .s
                .referrals
                .get(*i)
                .map(|(_, t, m)| (*t, m.clone()))
                .unwrap_or((Tri::Unknown, Bits::default()))),
            ExprKind::Warned(i) => Ok(self
                .s
                .warnings
                .get(*i)
                .cloned()
                .unwrap_or((Tri::Unknown, Bits::default()))),
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
                    Some(Val::Bool(b)) => (Tri::from(*b), Bits::default()),
                    _ => (Tri::Unknown, m),
                })
            }
        }
    }

    // ------------------------------------------------------------ trace

    /// The whole tree of a condition: every sub-condition with its value and
    /// the values it read. Unlike evaluation, it does not stop at the first
    /// deciding operand, so an author sees every branch.
    pub(crate) fn trace(&self, e: &'a Expr) -> R<Trace> {
        let (value, missing) = self.tri(e)?;
        let mut children = Vec::new();
        match &e.kind {
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                // An operand after the one that decided may not be
                // computable (evaluation never looked at it): it is left
                // out rather than fail the whole explanation.
                for x in xs {
                    if let Ok(t) = self.trace(x) {
                        children.push(t);
                    }
                }
            }
            ExprKind::Not(x) if x.span != e.span => children.push(self.trace(x)?),
            _ => {}
        }
        let mut values = IndexMap::new();
        if children.is_empty() {
            self.values_read(e, &mut values);
        }
        Ok(Trace {
            condition: self.text_of(e),
            value: value.into(),
            values,
            missing: self.names(&missing),
            children,
            file: e.file,
            span: e.span,
        })
    }

    /// The explanation of every program, referral and warning, in rule-set
    /// order.
    pub(crate) fn explain(&self) -> R<Vec<ItemTrace>> {
        let rules = self.rules;
        let mut out = Vec::new();
        for node in &rules.order {
            let item = match *node {
                Node::Program(i) => {
                    let (Some(p), Some((t, _))) = (rules.programs.get(i), self.s.programs.get(i))
                    else {
                        continue;
                    };
                    let outcome = match t {
                        Tri::True if self.recommended == Some(i) => "eligible, recommended",
                        Tri::True => "eligible",
                        Tri::False => "not eligible",
                        Tri::Unknown => "undetermined",
                    };
                    ItemTrace {
                        kind: Kind::Program,
                        id: p.meta.id.clone(),
                        title: p.meta.title.clone(),
                        outcome: outcome.into(),
                        conditions: vec![ClauseTrace {
                            clause: "eligible when".into(),
                            trace: self.trace(&p.eligible)?,
                        }],
                    }
                }
                Node::Referral(i) => {
                    let (Some(r), Some((fired, t, _))) =
                        (rules.referrals.get(i), self.s.referrals.get(i))
                    else {
                        continue;
                    };
                    let outcome = match (fired, t) {
                        (Some(p), _) => format!("referred, {}", p.word()),
                        (None, Tri::Unknown) => "undetermined".into(),
                        _ => "not referred".into(),
                    };
                    let mut conditions = Vec::new();
                    for (p, c) in &r.triggers {
                        // Past the trigger that fired, a condition evaluation
                        // never looked at may not be computable: leave it out.
                        let trace = match self.trace(c) {
                            Ok(t) => t,
                            Err(_) if fired.is_some() => continue,
                            Err(e) => return Err(e),
                        };
                        conditions.push(ClauseTrace {
                            clause: format!("{} when", p.word()),
                            trace,
                        });
                    }
                    ItemTrace {
                        kind: Kind::Referral,
                        id: r.meta.id.clone(),
                        title: r.meta.title.clone(),
                        outcome,
                        conditions,
                    }
                }
                Node::Warning(i) => {
                    let (Some(w), Some((t, _))) = (rules.warnings.get(i), self.s.warnings.get(i))
                    else {
                        continue;
                    };
                    let outcome = match t {
                        Tri::True => format!("raised, {}", w.severity.word()),
                        Tri::False => "not raised".into(),
                        Tri::Unknown => "undetermined".into(),
                    };
                    ItemTrace {
                        kind: Kind::Warning,
                        id: w.meta.id.clone(),
                        title: w.meta.title.clone(),
                        outcome,
                        conditions: vec![ClauseTrace {
                            clause: "when".into(),
                            trace: self.trace(&w.when)?,
                        }],
                    }
                }
                Node::Define(_) | Node::Recommended => continue,
            };
            out.push(item);
        }
        Ok(out)
    }

    // ------------------------------------------------------- explanation

    /// The author's text of an expression, on one line.
    fn text_of(&self, e: &Expr) -> String {
        self.rules
            .sources
            .slice(e.file, e.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The conditions that made `e` come out as `want`; with `want` unknown,
    /// the conditions that are unknown.
    fn held(&self, e: &'a Expr, want: Tri, out: &mut Vec<Held>) -> R<()> {
        match &e.kind {
            // `x not in s` is one condition to the reader, though it checks
            // into `not (x in s)`: treat it as an atom.
            ExprKind::Not(x) if x.span != e.span => self.held(x, want.not(), out),
            ExprKind::And(xs) | ExprKind::Or(xs) => {
                for x in xs {
                    // Evaluation stopped at the first operand that decided;
                    // one after it may not be computable (`a or 1 / n > 0`
                    // with `n` = 0) and is no part of the reason.
                    let Ok((v, _)) = self.tri(x) else { continue };
                    if v == want {
                        self.held(x, want, out)?;
                    }
                }
                Ok(())
            }
            _ => {
                let text = self.text_of(e);
                let condition = match want {
                    Tri::True | Tri::Unknown => text,
                    Tri::False => format!("not ({text})"),
                };
                let mut values = IndexMap::new();
                self.values_read(e, &mut values);
                out.push(Held { condition, values });
                Ok(())
            }
        }
    }

    /// The fields, definitions and caseloads an atom reads, with values.
    fn values_read(&self, e: &Expr, out: &mut IndexMap<String, serde_json::Value>) {
        e.visit(&mut |x| match &x.kind {
            ExprKind::Field(slot) => {
                if let Some(f) = self.rules.fields.get(*slot) {
                    let v = self.profile.slots.get(*slot).and_then(Option::as_ref);
                    out.insert(f.name.clone(), self.json(v, f.ty.ty(*slot)));
                }
            }
            ExprKind::Define(i) => {
                if let Some(d) = self.rules.defines.get(*i) {
                    let v = self.s.defines.get(*i).and_then(|(v, _)| v.as_ref());
                    out.insert(d.meta.id.clone(), self.json(v, d.value.ty));
                }
            }
            ExprKind::Recommended => {
                out.insert(
                    "recommended".into(),
                    self.json(Some(&Val::Program(self.recommended)), Ty::Program),
                );
            }
            ExprKind::CaseloadFull(p) | ExprKind::CaseloadExceeded(p) => {
                let programs: Vec<usize> = match p {
                    ProgramRef::Program(i) => vec![*i],
                    ProgramRef::Recommended => self.recommended.into_iter().collect(),
                    ProgramRef::Any => (0..self.rules.programs.len()).collect(),
                };
                for i in programs {
                    if let (Some(prog), Some(cms)) = (self.rules.programs.get(i), self.caseload(i))
                    {
                        let map: serde_json::Map<String, serde_json::Value> = cms
                            .iter()
                            .map(|(cm, n)| (cm.clone(), serde_json::Value::from(*n)))
                            .collect();
                        out.insert(
                            format!("caseloads.{}", prog.meta.id),
                            serde_json::Value::Object(map),
                        );
                    }
                }
            }
            _ => {}
        });
    }

    /// A value as JSON, for explanations.
    fn json(&self, v: Option<&Val>, ty: Ty) -> serde_json::Value {
        use serde_json::Value as J;
        let Some(v) = v else { return J::Null };
        match v {
            Val::Bool(b) => J::Bool(*b),
            // Whole numbers (most values) become JSON integers directly;
            // others go through their exact text.
            Val::Num(d) => match decimal::to_i64(*d) {
                Some(i) => J::from(i),
                None => {
                    let s = decimal::show(*d);
                    serde_json::from_str::<J>(&s).unwrap_or(J::String(s))
                }
            },
            Val::Text(_, s) => J::String(s.to_string()),
            Val::Enum(i) => {
                let name = match ty {
                    Ty::Enum(slot) => self
                        .rules
                        .fields
                        .get(slot)
                        .and_then(|f| f.ty.values())
                        .and_then(|v| v.get(*i)),
                    _ => None,
                };
                J::String(name.cloned().unwrap_or_default())
            }
            Val::Set(_, _, members) => {
                J::Array(members.iter().map(|m| J::String(m.clone())).collect())
            }
            Val::Program(p) => match p.and_then(|i| self.rules.programs.get(i)) {
                Some(prog) => J::String(prog.meta.id.clone()),
                None => J::Null,
            },
        }
    }

    fn reason(held: &[Held]) -> String {
        held.iter()
            .map(|h| {
                let vals: Vec<String> = h
                    .values
                    .iter()
                    .filter(|(k, _)| !k.starts_with("caseloads."))
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                if vals.is_empty() {
                    h.condition.clone()
                } else {
                    format!("{} ({})", h.condition, vals.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn names(&self, m: &Bits) -> Vec<String> {
        m.iter()
            .filter_map(|i| self.rules.fields.get(i).map(|f| f.name.clone()))
            .collect()
    }

    /// The outcomes, without words, written over `out`: its vectors keep
    /// their allocations, so a caller that reuses one `Decision` decides
    /// without allocating.
    pub(crate) fn decision_into(&self, out: &mut Decision) {
        fn refill<T, U>(v: &mut Vec<T>, from: &[U], f: impl Fn(&U) -> T) {
            v.clear();
            v.extend(from.iter().map(f));
        }
        refill(&mut out.programs, &self.s.programs, |(t, _)| (*t).into());
        refill(&mut out.referrals, &self.s.referrals, |(p, _, _)| *p);
        refill(&mut out.referral_truth, &self.s.referrals, |(_, t, _)| {
            (*t).into()
        });
        refill(&mut out.warnings, &self.s.warnings, |(t, _)| (*t).into());
        out.recommended = self.recommended;
        out.alternative = self.alternative();
    }

    /// The outcomes without the explanations, in rule-set order; `rules`
    /// and `profile` are the evaluation's own, passed again so that the
    /// result borrows them and not the evaluation's state.
    pub(crate) fn outcomes<'e>(
        &self,
        rules: &'e ir::RuleSet,
        profile: &'e Profile,
    ) -> Outcomes<'e> {
        let id = |i: Option<usize>| Some(rules.programs.get(i?)?.meta.id.as_str());
        let missing = |m: &Bits| -> Vec<&'e str> {
            m.iter()
                .filter_map(|i| rules.fields.get(i).map(|f| f.name.as_str()))
                .collect()
        };
        let mut out = Outcomes {
            client: profile.client.as_deref(),
            recommended_program: id(self.recommended),
            alternative_program: id(self.alternative()),
            eligible_programs: Vec::new(),
            recommended_services: self
                .recommended
                .and_then(|i| rules.programs.get(i))
                .map_or(&[][..], |p| &p.services[..]),
            referrals: Vec::new(),
            warnings: Vec::new(),
            undetermined: Vec::new(),
            ruleset_version: &rules.version,
        };
        for node in &rules.order {
            let (kind, meta, truth, m) = match *node {
                Node::Program(i) => match (rules.programs.get(i), self.s.programs.get(i)) {
                    (Some(p), Some((t, m))) => {
                        if *t == Tri::True {
                            out.eligible_programs.push(&p.meta.id);
                        }
                        (Kind::Program, &p.meta, *t, m)
                    }
                    _ => continue,
                },
                Node::Referral(i) => match (rules.referrals.get(i), self.s.referrals.get(i)) {
                    (Some(r), Some((fired, t, m))) => {
                        if let Some(priority) = fired {
                            out.referrals.push(ReferralOutcome {
                                id: &r.meta.id,
                                priority: *priority,
                            });
                        }
                        (Kind::Referral, &r.meta, *t, m)
                    }
                    _ => continue,
                },
                Node::Warning(i) => match (rules.warnings.get(i), self.s.warnings.get(i)) {
                    (Some(w), Some((t, m))) => {
                        if *t == Tri::True {
                            out.warnings.push(WarningOutcome {
                                code: &w.meta.id,
                                severity: w.severity,
                                message: &w.message,
                            });
                        }
                        (Kind::Warning, &w.meta, *t, m)
                    }
                    _ => continue,
                },
                Node::Define(_) | Node::Recommended => continue,
            };
            if truth == Tri::Unknown {
                out.undetermined.push(UndeterminedOutcome {
                    kind,
                    id: &meta.id,
                    missing: missing(m),
                });
            }
        }
        out
    }

    /// Assembles the report.
    pub(crate) fn report(&self) -> R<Report> {
        let rules = self.rules;
        // What fired and what is undetermined, as the lean report has it;
        // the report adds each item's reasons.
        let o = self.outcomes(rules, self.profile);
        let owned = |s: Option<&str>| s.map(str::to_string);
        let mut report = Report {
            client: owned(o.client),
            recommended_program: owned(o.recommended_program),
            alternative_program: owned(o.alternative_program),
            eligible_programs: o.eligible_programs.iter().map(|s| s.to_string()).collect(),
            recommended_services: o.recommended_services.to_vec(),
            referrals: Vec::new(),
            warnings: Vec::new(),
            undetermined: o
                .undetermined
                .iter()
                .map(|u| Undetermined {
                    kind: u.kind,
                    id: u.id.to_string(),
                    missing: u.missing.iter().map(|m| m.to_string()).collect(),
                })
                .collect(),
            programs: Vec::new(),
            ruleset_version: o.ruleset_version.to_string(),
        };
        for node in &rules.order {
            match *node {
                Node::Program(i) => {
                    let (Some(p), Some((t, _))) = (rules.programs.get(i), self.s.programs.get(i))
                    else {
                        continue;
                    };
                    let mut because = Vec::new();
                    self.held(&p.eligible, *t, &mut because)?;
                    let status = match t {
                        Tri::True => Status::Eligible,
                        Tri::False => Status::NotEligible,
                        Tri::Unknown => Status::Undetermined,
                    };
                    report.programs.push(ProgramItem {
                        id: p.meta.id.clone(),
                        title: p.meta.title.clone(),
                        status,
                        reason: Self::reason(&because),
                        because,
                        caseload_limit: p.caseload_limit,
                    });
                }
                Node::Referral(i) => {
                    let (Some(r), Some((Some(priority), _, _))) =
                        (rules.referrals.get(i), self.s.referrals.get(i))
                    else {
                        continue;
                    };
                    let cond = r
                        .triggers
                        .iter()
                        .find(|(p, _)| p == priority)
                        .map(|(_, c)| c);
                    let mut because = Vec::new();
                    if let Some(c) = cond {
                        self.held(c, Tri::True, &mut because)?;
                    }
                    report.referrals.push(ReferralItem {
                        id: r.meta.id.clone(),
                        priority: *priority,
                        reason: Self::reason(&because),
                        title: r.meta.title.clone(),
                        because,
                        evidence: r.meta.evidence.clone(),
                        source: r.meta.source.clone(),
                    });
                }
                Node::Warning(i) => {
                    let (Some(w), Some((Tri::True, _))) =
                        (rules.warnings.get(i), self.s.warnings.get(i))
                    else {
                        continue;
                    };
                    let mut because = Vec::new();
                    self.held(&w.when, Tri::True, &mut because)?;
                    report.warnings.push(WarningItem {
                        code: w.meta.id.clone(),
                        severity: w.severity,
                        message: w.message.clone(),
                        reason: Self::reason(&because),
                        title: w.meta.title.clone(),
                        because,
                        evidence: w.meta.evidence.clone(),
                        source: w.meta.source.clone(),
                    });
                }
                Node::Define(_) | Node::Recommended => {}
            }
        }
        Ok(report)
    }
}

fn compare(op: Cmp, a: &Val, b: &Val) -> bool {
    if let (Val::Num(x), Val::Num(y)) = (a, b) {
        return op.holds(x.cmp(y));
    }
    let eq = match (a, b) {
        // Every text the rules mention is interned, and profile text is
        // interned when the rules mention it: equal symbols or none at all.
        (Val::Text(Some(x), _), Val::Text(Some(y), _)) => x == y,
        (Val::Text(Some(_), _), Val::Text(None, _))
        | (Val::Text(None, _), Val::Text(Some(_), _)) => false,
        (Val::Text(None, x), Val::Text(None, y)) => x == y,
        _ => a == b,
    };
    match op {
        Cmp::Ne => !eq,
        _ => eq,
    }
}

/// Whether a known value equals a literal.
fn lit_is(l: &Lit, x: &Val) -> bool {
    match (l, x) {
        (Lit::Enum(i), Val::Enum(j)) => i == j,
        (Lit::Text(i), Val::Text(j, _)) => Some(*i) == *j,
        (Lit::Num(a), Val::Num(b)) => a == b,
        (Lit::Bool(a), Val::Bool(b)) => a == b,
        (Lit::Program(a), Val::Program(b)) => a == b,
        _ => false,
    }
}

fn member(x: &Val, set: &Val) -> bool {
    let Val::Set(bits, _, members) = set else {
        return false;
    };
    match x {
        Val::Enum(i) | Val::Text(Some(i), _) => bits.contains(*i),
        Val::Text(None, s) => members.iter().any(|m| m.as_str() == &**s),
        Val::Num(d) => members.contains(&decimal::show(*d)),
        _ => false,
    }
}
