//! Explaining: the trace of every condition of every item (`careplan
//! explain`, coverage), and the reasons a report gives for each item (the
//! conditions that decided it, with the values they read). Both come from
//! the tree walker, after the outcomes are known.

use super::{Eval, R, Truth};
use crate::decimal;
use crate::diagnostic::{FileId, Span};
use crate::ir::{Expr, ExprKind, Node, Priority, ProgramRef, Severity, Ty};
use crate::profile::{Bits, Val};
use crate::report::{Held, Kind};
use indexmap::IndexMap;
use serde::Serialize;
use std::fmt;
use std::ops::Not;

/// One condition of an explanation, with its parts.
///
/// ```
/// use careplan::Truth;
/// let engine = careplan::reference().unwrap();
/// let profile = engine.profile(&serde_json::json!({"id": "c-1", "age": 30})).unwrap();
/// let traces = engine.explain(&profile, None).unwrap();
/// let act = traces.iter().find(|t| t.id == "assertive_community_treatment").unwrap();
/// let trace = &act.conditions[0].trace;
/// assert_eq!(trace.value, Truth::Unknown);
/// assert_eq!(trace.children[0].condition, "age >= 18");
/// assert_eq!(trace.children[0].value, Truth::True);
/// assert!(trace.missing.contains(&"diagnoses".to_string()));
/// ```
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
    /// The operands of `and`, `or`, `not` (and, in the explanation of a
    /// value, the operands of a calculation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Trace>,
    /// For an expression that is not a condition (a number, a text, a set),
    /// in the explanation of a value marked `report: yes`: its value, with
    /// `value` true when it is known and unknown when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// The file the condition is written in: coverage keys its goals by
    /// file and span.
    #[serde(skip)]
    pub(crate) file: FileId,
    /// Where.
    #[serde(skip)]
    pub(crate) span: Span,
    /// The table rows (and default rows) that matched for the tables the
    /// condition reads, by file and span: coverage counts each a branch.
    #[serde(skip)]
    pub(crate) rows: Vec<(FileId, Span)>,
}

/// A clause of an item (`eligible when`, `urgent when`, …) and its trace.
///
/// ```
/// use careplan::{Clause, Priority, Truth};
/// let engine = careplan::reference().unwrap();
/// let profile = engine.profile(&serde_json::json!({"id": "c-1", "housing": "unstable"})).unwrap();
/// let traces = engine.explain(&profile, None).unwrap();
/// let housing = traces.iter().find(|t| t.id == "housing_services").unwrap();
/// let heads: Vec<Clause> = housing.conditions.iter().map(|c| c.clause).collect();
/// assert_eq!(heads, [Clause::Trigger(Priority::Urgent), Clause::Trigger(Priority::Routine)]);
/// assert_eq!(housing.conditions[1].trace.value, Truth::True);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseTrace {
    /// The clause's head.
    pub clause: Clause,
    /// Its condition's trace.
    pub trace: Trace,
}

/// The explanation of one program, referral or warning.
///
/// ```
/// use careplan::{ItemOutcome, Kind};
/// let engine = careplan::reference().unwrap();
/// let profile = engine.profile(&serde_json::json!({"id": "c-1", "needs": ["food", "legal"]})).unwrap();
/// let traces = engine.explain(&profile, None).unwrap();
/// let standard = traces.iter().find(|t| t.id == "standard_case_management").unwrap();
/// assert_eq!(standard.kind, Kind::Program);
/// assert_eq!(standard.outcome, ItemOutcome::Eligible { recommended: true });
/// assert_eq!(standard.conditions[0].trace.condition, "count(needs) >= 2");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemTrace {
    /// What kind of item.
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What came of it.
    pub outcome: ItemOutcome,
    /// Each condition clause with its trace.
    pub conditions: Vec<ClauseTrace>,
}

/// Which clause of an item a condition is: serialised as the rule file
/// spells the clause's head (`eligible when`, `urgent when`, `when`).
///
/// ```
/// use careplan::{Clause, Priority};
/// assert_eq!(Clause::Eligible.to_string(), "eligible when");
/// assert_eq!(Clause::Trigger(Priority::Urgent).to_string(), "urgent when");
/// assert_eq!(serde_json::to_string(&Clause::When).unwrap(), "\"when\"");
/// assert_eq!(Clause::Unless.to_string(), "unless");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clause {
    /// A program's `eligible when`.
    Eligible,
    /// A referral's trigger at a priority: `urgent when`, `routine when`.
    Trigger(Priority),
    /// A warning's `when`.
    When,
    /// The `unless` exception of the clause before it.
    Unless,
    /// A definition's `value:`, in the explanation of a value marked
    /// `report: yes`.
    Value,
    /// The transition's `step down when`.
    StepDown,
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clause::Eligible => f.write_str("eligible when"),
            Clause::Trigger(p) => write!(f, "{} when", p.word()),
            Clause::When => f.write_str("when"),
            Clause::Unless => f.write_str("unless"),
            Clause::Value => f.write_str("value:"),
            Clause::StepDown => f.write_str("step down when"),
        }
    }
}

impl Serialize for Clause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What came of an item, as an explanation shows it: serialised as words
/// (`eligible, recommended`, `referred, urgent`, `raised, critical`,
/// `undetermined`, …).
///
/// ```
/// use careplan::{ItemOutcome, Priority, Severity};
/// assert_eq!(ItemOutcome::Eligible { recommended: true }.to_string(), "eligible, recommended");
/// assert_eq!(ItemOutcome::Referred(Priority::Routine).to_string(), "referred, routine");
/// assert_eq!(ItemOutcome::Raised(Severity::Critical).to_string(), "raised, critical");
/// assert_eq!(serde_json::to_string(&ItemOutcome::NotRaised).unwrap(), "\"not raised\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemOutcome {
    /// A program the client is eligible for; `recommended` when it is the
    /// recommended one.
    Eligible {
        /// It is the recommended program.
        recommended: bool,
    },
    /// A program the client is not eligible for.
    NotEligible,
    /// A referral made, at this priority.
    Referred(Priority),
    /// A referral not made.
    NotReferred,
    /// A warning raised, at this severity.
    Raised(Severity),
    /// A warning not raised.
    NotRaised,
    /// Depends on absent data.
    Undetermined,
    /// A value marked `report: yes`, known: the value is the `result` of
    /// its trace.
    Computed,
    /// The transition, decided: `continue`, `step_up`, `step_down` or
    /// `discharge`.
    Moved(crate::report::TransitionKind),
    /// No transition: the client is an intake.
    NoTransition,
}

impl fmt::Display for ItemOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemOutcome::Eligible { recommended: true } => f.write_str("eligible, recommended"),
            ItemOutcome::Eligible { recommended: false } => f.write_str("eligible"),
            ItemOutcome::NotEligible => f.write_str("not eligible"),
            ItemOutcome::Referred(p) => write!(f, "referred, {}", p.word()),
            ItemOutcome::NotReferred => f.write_str("not referred"),
            ItemOutcome::Raised(s) => write!(f, "raised, {}", s.word()),
            ItemOutcome::NotRaised => f.write_str("not raised"),
            ItemOutcome::Undetermined => f.write_str("undetermined"),
            ItemOutcome::Computed => f.write_str("computed"),
            ItemOutcome::Moved(k) => f.write_str(k.as_str()),
            ItemOutcome::NoTransition => f.write_str("no transition (an intake)"),
        }
    }
}

impl Serialize for ItemOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The parts of a condition that an explanation shows under it and
/// coverage counts as branches, and whether it is a compound (shown by its
/// parts alone) rather than an atom (shown with the values it reads): the
/// operands of `and`, `or`, `not`, `at least`/`at most N of`; the base and
/// exception of `unless`; the condition and branches of an `if` between
/// conditions, the operands of a `first known of` conditions; and, in an
/// atom, the condition of every `if` it computes with.
pub(crate) fn parts(e: &Expr) -> (Vec<&Expr>, bool) {
    match &e.kind {
        ExprKind::And(xs)
        | ExprKind::Or(xs)
        | ExprKind::AtLeast(_, xs)
        | ExprKind::AtMost(_, xs) => (xs.iter().collect(), true),
        // `x not in s` is one condition to the reader.
        ExprKind::Not(x) if x.span != e.span => (vec![&**x], true),
        ExprKind::Unless(base, exception) => (vec![&**base, &**exception], true),
        ExprKind::If(c, branches) if e.ty == Ty::Bool => {
            let [a, b] = &**branches;
            (vec![&**c, a, b], true)
        }
        ExprKind::FirstKnown(xs) if e.ty == Ty::Bool => (xs.iter().collect(), true),
        _ => {
            let mut out = Vec::new();
            for c in e.children() {
                if_conditions(c, &mut out);
            }
            (out, false)
        }
    }
}

/// The conditions of the `if`s a value computes with, outermost first; an
/// `else if` chain gives each of its conditions.
fn if_conditions<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::If(c, branches) => {
            out.push(c);
            for b in branches.iter() {
                if_conditions(b, out);
            }
        }
        // A condition inside is a part of its own, with its own parts.
        _ if e.ty == Ty::Bool => {}
        _ => {
            for c in e.children() {
                if_conditions(c, out);
            }
        }
    }
}

impl<'a> Eval<'a> {
    /// The whole tree of a condition: every sub-condition with its value and
    /// the values it read. Unlike evaluation, it does not stop at the first
    /// deciding operand, so an author sees every branch.
    pub(crate) fn trace(&self, e: &'a Expr) -> R<Trace> {
        let (value, missing) = self.tri(e)?;
        let mut children = Vec::new();
        let (parts, compound) = parts(e);
        for x in parts {
            // A part after the one that decided may not be computable
            // (evaluation never looked at it): it is left out rather than
            // fail the whole explanation.
            match self.trace(x) {
                Ok(t) => children.push(t),
                Err(err) if matches!(e.kind, ExprKind::Not(_)) => return Err(err),
                Err(_) => {}
            }
        }
        let mut values = IndexMap::new();
        if !compound {
            self.values_read(e, &mut values);
        }
        Ok(Trace {
            condition: self.text_of(e),
            value,
            values,
            missing: self.names(&missing),
            children,
            result: None,
            file: e.file,
            span: e.span,
            rows: self.rows_matched(e),
        })
    }

    /// The explanation of every program, referral and warning, in rule-set
    /// order, then of every value marked `report: yes`.
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
                        Truth::True => ItemOutcome::Eligible {
                            recommended: self.recommended == Some(i),
                        },
                        Truth::False => ItemOutcome::NotEligible,
                        Truth::Unknown => ItemOutcome::Undetermined,
                    };
                    ItemTrace {
                        kind: Kind::Program,
                        id: p.meta.id.clone(),
                        title: p.meta.title.clone(),
                        outcome,
                        conditions: self.clauses(Clause::Eligible, &p.eligible)?,
                    }
                }
                Node::Referral(i) => {
                    let (Some(r), Some((fired, t, _))) =
                        (rules.referrals.get(i), self.s.referrals.get(i))
                    else {
                        continue;
                    };
                    let outcome = match (fired, t) {
                        (Some(p), _) => ItemOutcome::Referred(*p),
                        (None, Truth::Unknown) => ItemOutcome::Undetermined,
                        _ => ItemOutcome::NotReferred,
                    };
                    let mut conditions = Vec::new();
                    for (p, c) in &r.triggers {
                        // Past the trigger that fired, a condition evaluation
                        // never looked at may not be computable: leave it out.
                        match self.clauses(Clause::Trigger(*p), c) {
                            Ok(traces) => conditions.extend(traces),
                            Err(_) if fired.is_some() => continue,
                            Err(e) => return Err(e),
                        }
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
                        Truth::True => ItemOutcome::Raised(w.severity),
                        Truth::False => ItemOutcome::NotRaised,
                        Truth::Unknown => ItemOutcome::Undetermined,
                    };
                    ItemTrace {
                        kind: Kind::Warning,
                        id: w.meta.id.clone(),
                        title: w.meta.title.clone(),
                        outcome,
                        conditions: self.clauses(Clause::When, &w.when)?,
                    }
                }
                Node::Define(_) | Node::Recommended | Node::Table(_) | Node::Transition => {
                    continue;
                }
            };
            out.push(item);
        }
        if let Some(rule) = &rules.transition {
            out.push(self.transition_trace(rule)?);
        }
        // Then the values marked for the report, as the report lists them.
        self.reported_items(&mut out)?;
        Ok(out)
    }

    /// A clause's traces: its condition, and an `unless` exception as a
    /// clause of its own after it.
    pub(super) fn clauses(&self, clause: Clause, e: &'a Expr) -> R<Vec<ClauseTrace>> {
        Ok(match &e.kind {
            ExprKind::Unless(base, exception) => {
                let base = self.trace(base)?;
                // A false base decides and evaluation never looks at the
                // exception, which may not be computable (`1 / n` with
                // `n` = 0): it is left out rather than fail the
                // explanation.
                let exception = match self.trace(exception) {
                    Ok(t) => Some(t),
                    Err(_) if base.value == Truth::False => None,
                    Err(e) => return Err(e),
                };
                let mut out = vec![ClauseTrace {
                    clause,
                    trace: base,
                }];
                out.extend(exception.map(|trace| ClauseTrace {
                    clause: Clause::Unless,
                    trace,
                }));
                out
            }
            _ => vec![ClauseTrace {
                clause,
                trace: self.trace(e)?,
            }],
        })
    }

    /// The author's text of an expression, on one line.
    pub(super) fn text_of(&self, e: &Expr) -> String {
        self.rules
            .sources
            .slice(e.file, e.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The conditions that made `e` come out as `want`; with `want` unknown,
    /// the conditions that are unknown.
    pub(super) fn held(&self, e: &'a Expr, want: Truth, out: &mut Vec<Held>) -> R<()> {
        match &e.kind {
            // `x not in s` is one condition to the reader, though it checks
            // into `not (x in s)`: treat it as an atom.
            ExprKind::Not(x) if x.span != e.span => self.held(x, want.not(), out),
            // The base held and the exception did not; or the exception
            // held; or the base failed; or the undecided ones.
            ExprKind::Unless(base, exception) => {
                let b = self.tri(base)?.0;
                let x = if b == Truth::False {
                    Truth::False
                } else {
                    self.tri(exception)?.0
                };
                match want {
                    Truth::True => {
                        self.held(base, Truth::True, out)?;
                        self.held(exception, Truth::False, out)
                    }
                    Truth::False if x == Truth::True => self.held(exception, Truth::True, out),
                    Truth::False => self.held(base, Truth::False, out),
                    Truth::Unknown => {
                        if b == Truth::Unknown {
                            self.held(base, Truth::Unknown, out)?;
                        }
                        if x == Truth::Unknown {
                            self.held(exception, Truth::Unknown, out)?;
                        }
                        Ok(())
                    }
                }
            }
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
                    Truth::True | Truth::Unknown => text,
                    Truth::False => format!("not ({text})"),
                };
                let mut values = IndexMap::new();
                self.values_read(e, &mut values);
                out.push(Held { condition, values });
                Ok(())
            }
        }
    }

    /// The fields, definitions and caseloads an atom reads, with values.
    pub(super) fn values_read(&self, e: &Expr, out: &mut IndexMap<String, serde_json::Value>) {
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
                    // A dated value names the version that applied:
                    // `poverty_guideline (from 2026-01-15)`.
                    let key = match &d.value.kind {
                        ExprKind::Dated { define, days, .. } => {
                            match self.in_force(*define, days).ok().and_then(|k| days.get(k)) {
                                Some(day) => format!(
                                    "{} (from {})",
                                    d.meta.id,
                                    crate::date::show_day((*day).into())
                                ),
                                None => d.meta.id.clone(),
                            }
                        }
                        _ => d.meta.id.clone(),
                    };
                    out.insert(key, self.json(v, d.value.ty));
                }
            }
            ExprKind::Today => {
                out.insert(
                    "today".into(),
                    serde_json::Value::String(crate::date::show(self.profile.as_of)),
                );
            }
            ExprKind::Table { table, output } => self.table_values(*table, *output, out),
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
    pub(super) fn json(&self, v: Option<&Val>, ty: Ty) -> serde_json::Value {
        use serde_json::Value as J;
        let Some(v) = v else { return J::Null };
        match v {
            Val::Bool(b) => J::Bool(*b),
            Val::Num(d) if ty == Ty::Date => J::String(crate::date::show_day(*d)),
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

    pub(super) fn reason(held: &[Held]) -> String {
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

    pub(super) fn names(&self, m: &Bits) -> Vec<String> {
        m.iter()
            .filter_map(|i| self.rules.fields.get(i).map(|f| f.name.clone()))
            .collect()
    }
}
