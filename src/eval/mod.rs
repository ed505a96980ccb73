//! Step four: compiled rule set + profile → outcomes, explanations and
//! reports.
//!
//! Evaluation follows the checked order, so every outcome is computed once,
//! after everything it reads. Logic is three-valued: an absent field is
//! unknown, `false and unknown` is false, `true or unknown` is true, and an
//! unknown result carries the *missing* fields that would decide it: the
//! absent fields of the sub-conditions whose own value is unknown.
//!
//! The rooms, in the order an evaluation passes through them:
//! - `state`: the per-thread scratch an evaluation writes its results into;
//! - `decide`: runs the compiled plan (the fast path, no missing fields);
//! - `walk`: the tree walker over the typed IR, with missing fields: for
//!   the forms the plan hands it, for the missing fields of unknown items,
//!   and as the reference the plan is tested against;
//! - `atoms`: each atom and comparison, once, for both of them;
//! - `table`: tables, three-valued, under every hit policy, for both (the
//!   plan reads simple one-input tables itself);
//! - `explain`: traces of every condition, and the reasons of a report;
//! - `reported`: the explanation of the values marked `report: yes`;
//! - `assemble`: the decision, the lean outcomes and the full report.

mod assemble;
mod atoms;
mod decide;
mod explain;
mod numbers;
mod reported;
mod state;
mod table;
mod transition;
mod walk;

pub(crate) use explain::parts;
pub use explain::{Clause, ClauseTrace, ItemOutcome, ItemTrace, Trace};
pub(crate) use state::{State, with_state};

use crate::compile::Compiled;
use crate::ir::{self, Node, Priority};
use crate::profile::{Caseloads, InputError, Profile, Val};
use serde::Serialize;
use std::fmt;

/// A truth value that may be unknown: what every condition, eligibility and
/// warning comes out as.
///
/// ```
/// use careplan::Truth;
/// assert_eq!(!Truth::from(true), Truth::False);
/// assert_eq!(!Truth::Unknown, Truth::Unknown);
/// assert_eq!(serde_json::to_string(&Truth::Unknown).unwrap(), "\"unknown\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Depends on data that is absent.
    Unknown,
}

/// Negation: unknown stays unknown.
impl std::ops::Not for Truth {
    type Output = Truth;

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

impl From<bool> for Truth {
    fn from(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }
}

/// Why an evaluation failed. Each kind is a different kind of problem for
/// the caller: bad data goes back to whoever sent the profile; a failing
/// function and an internal error go to whoever runs the rules.
///
/// ```
/// let engine = careplan::load_sources(
///     &[("r.rules", "schema {\n  a: integer\n  b: integer\n}\n\
///       warning w {\n  severity: info\n  when a / b > 1\n  message: \"m\"\n}\n")],
///     &careplan::LoadOptions::default(),
/// ).unwrap();
/// let profile = engine.profile(&serde_json::json!({"a": 1, "b": 0})).unwrap();
/// let err = engine.evaluate(&profile, None).unwrap_err();
/// assert_eq!(err.field(), Some("b"));
/// assert!(matches!(err, careplan::EvalError::Input(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The profile's data makes a calculation impossible (a division by
    /// zero, an overflow), naming the field: the same kind of error as
    /// reading a bad profile.
    Input(InputError),
    /// A rhai function failed: it threw, ran out of its budget, broke a
    /// size limit or returned the wrong type. The rules need fixing, not
    /// the profile.
    Function {
        /// The function's name.
        function: String,
        /// What went wrong, with the function's location and the call.
        message: String,
    },
    /// The engine could not evaluate for a reason of its own (a lost
    /// evaluation state, a safety net): neither the data's fault nor the
    /// rules'.
    Internal {
        /// What went wrong.
        message: String,
    },
}

impl EvalError {
    /// The profile field the error is about, for input errors that name
    /// one.
    ///
    /// ```
    /// use careplan::{EvalError, InputError};
    /// let e = EvalError::Input(InputError { field: "b".into(), message: "is zero".into() });
    /// assert_eq!(e.field(), Some("b"));
    /// assert_eq!(EvalError::Internal { message: "lost".into() }.field(), None);
    /// ```
    pub fn field(&self) -> Option<&str> {
        match self {
            EvalError::Input(e) if !e.field.is_empty() => Some(&e.field),
            _ => None,
        }
    }

    /// What went wrong, without the field.
    ///
    /// ```
    /// use careplan::{EvalError, InputError};
    /// let e = EvalError::Input(InputError { field: "b".into(), message: "is zero".into() });
    /// assert_eq!(e.message(), "is zero");
    /// assert_eq!(e.to_string(), "field `b`: is zero");
    /// ```
    pub fn message(&self) -> &str {
        match self {
            EvalError::Input(e) => &e.message,
            EvalError::Function { message, .. } | EvalError::Internal { message } => message,
        }
    }

    /// `input`, `function` or `internal`: the kind, as the CLI's JSON error
    /// objects and the metrics name it.
    ///
    /// ```
    /// use careplan::EvalError;
    /// let e = EvalError::Function { function: "f".into(), message: "threw".into() };
    /// assert_eq!(e.kind(), "function");
    /// assert_eq!(EvalError::Internal { message: "lost".into() }.kind(), "internal");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            EvalError::Input(_) => "input",
            EvalError::Function { .. } => "function",
            EvalError::Internal { .. } => "internal",
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> EvalError {
        EvalError::Internal {
            message: message.into(),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Input(e) => e.fmt(f),
            EvalError::Function { message, .. } => f.write_str(message),
            EvalError::Internal { message } => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for EvalError {}

impl From<InputError> for EvalError {
    fn from(e: InputError) -> EvalError {
        EvalError::Input(e)
    }
}

type R<T> = Result<T, EvalError>;

/// What a profile decides, without the report's words: each program's
/// eligibility, each referral's priority, each warning, by index in rule-set
/// order ([`Engine::programs`](crate::Engine::programs) and its
/// siblings name them). The fast path: no reasons, no strings.
///
/// ```
/// use careplan::{Priority, Truth};
/// let engine = careplan::reference().unwrap();
/// let profile = engine.profile(&serde_json::json!({"id": "c-1", "housing": "homeless"})).unwrap();
/// let decision = engine.decide(&profile, None).unwrap();
/// let i = engine.referrals().position(|r| r.id() == "housing_services").unwrap();
/// assert_eq!(decision.referrals[i], Some(Priority::Urgent));
/// assert_eq!(decision.referral_truth[i], Truth::True);
/// assert_eq!(decision.recommended, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Each program's eligibility.
    pub programs: Vec<Truth>,
    /// Each referral: the priority it fired at, if it fired.
    pub referrals: Vec<Option<Priority>>,
    /// Each referral: whether it fired (true), not (false) or is undetermined.
    pub referral_truth: Vec<Truth>,
    /// Each referral: made at a lower priority while a more urgent trigger
    /// is unknown (the report's `urgent_if`).
    pub urgent_unknown: Vec<bool>,
    /// Each warning.
    pub warnings: Vec<Truth>,
    /// The recommended program's index.
    pub recommended: Option<usize>,
    /// The alternative program's index.
    pub alternative: Option<usize>,
    /// The transition, when decided.
    pub transition: Option<Transition>,
    /// The transition: decided (true), undetermined (unknown), or none
    /// at all (false: an intake, or a rule set without a transition).
    pub transition_truth: Truth,
}

/// An empty decision, for [`Engine::decide_into`](crate::Engine::decide_into)
/// to fill.
impl Default for Decision {
    fn default() -> Decision {
        Decision {
            programs: Vec::new(),
            referrals: Vec::new(),
            referral_truth: Vec::new(),
            urgent_unknown: Vec::new(),
            warnings: Vec::new(),
            recommended: None,
            alternative: None,
            transition: None,
            transition_truth: Truth::False,
        }
    }
}

/// A decided transition by program index ([`Engine::programs`](crate::Engine::programs)
/// names them): the report's `transition` without words.
///
/// ```
/// use careplan::{Transition, TransitionKind};
/// let t = Transition { kind: TransitionKind::StepUp, from: 2, to: Some(1) };
/// assert_eq!(t.to, Some(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Continue, step up, step down or discharge.
    pub kind: crate::report::TransitionKind,
    /// The current program.
    pub from: usize,
    /// The program moved to; `None` for a discharge.
    pub to: Option<usize>,
}

/// The input error of a dated item with nothing in force on `as_of`,
/// named after the item and saying from when its first values (a table's
/// rows) are: one wording for the check of a command's date
/// ([`Engine::check_as_of`](crate::Engine::check_as_of)) and for an
/// evaluation that meets it.
pub(crate) fn not_in_force(
    id: &str,
    rows: bool,
    as_of: crate::date::Date,
    earliest: i64,
) -> InputError {
    let earliest = crate::date::from_day_number(earliest)
        .map(crate::date::show)
        .unwrap_or_default();
    let as_of = crate::date::show(as_of);
    let message = if rows {
        format!("no rows of {id} are in force on {as_of}; the earliest are from {earliest}")
    } else {
        format!("no value of {id} is in force on {as_of}; the earliest is from {earliest}")
    };
    InputError::new(id, message)
}

/// The state of one evaluation.
pub(crate) struct Eval<'a> {
    c: &'a Compiled,
    rules: &'a ir::RuleSet,
    profile: &'a Profile,
    ctx: Option<&'a Caseloads>,
    s: &'a mut State,
    recommended: Option<usize>,
    /// `caseload_full(any)` and `caseload_exceeded(any)`, computed on first
    /// use: each looks at every program, and a condition may ask often.
    any_full: std::cell::OnceCell<bool>,
    any_exceeded: std::cell::OnceCell<bool>,
    /// The plan's first failure, if any.
    stop: Option<decide::Stop>,
}

impl<'a> Eval<'a> {
    pub(crate) fn new(
        c: &'a Compiled,
        profile: &'a Profile,
        ctx: Option<&'a Caseloads>,
        s: &'a mut State,
    ) -> Eval<'a> {
        let rules = &c.rules;
        s.reset(rules, c.plan.memo_sizes());
        Eval {
            c,
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

    /// Checks the dates given against their bounds (`not in the future`,
    /// `within N years`): a profile is read before its evaluation date is
    /// known, so this is the first thing an evaluation does. Every given
    /// field is checked, read by the rules or not.
    fn check_dates(&self) -> R<()> {
        let today = crate::date::day_number(self.profile.as_of);
        for &slot in &self.c.bounded_dates {
            let (Some(field), Some(Some(Val::Num(d)))) =
                (self.rules.fields.get(slot), self.profile.slots.get(slot))
            else {
                continue;
            };
            let Some(day) = rust_decimal::prelude::ToPrimitive::to_i64(d) else {
                continue;
            };
            let show = |n: i64| {
                crate::date::from_day_number(n)
                    .map(crate::date::show)
                    .unwrap_or_default()
            };
            if field.dates.not_future && day > today {
                return Err(EvalError::Input(InputError::new(
                    &field.name,
                    format!(
                        "{} is in the future (the evaluation date is {})",
                        show(day),
                        show(today)
                    ),
                )));
            }
            if let Some(n) = field.dates.within_years {
                let years = crate::date::between(crate::date::Unit::Years, day, today);
                if years.is_some_and(|y| y > i64::from(n)) {
                    return Err(EvalError::Input(InputError::new(
                        &field.name,
                        format!(
                            "{} is more than {n} years before the evaluation date {}",
                            show(day),
                            show(today)
                        ),
                    )));
                }
            }
        }
        Ok(())
    }

    /// The evaluation date as a day number: what `today` is.
    pub(crate) fn today(&self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::from(crate::date::day_number(self.profile.as_of))
    }

    /// Computes every outcome in dependency order, with the compiled
    /// plan; missing fields are left empty (see [`Eval::fill_missing`]).
    pub(crate) fn run(&mut self) -> R<()> {
        self.check_dates()?;
        match self.run_plan() {
            Ok(()) => Ok(()),
            // The program met a calculation it cannot finish (a division by
            // zero, an overflow): the tree walker finds the same failure
            // and words it with the expression's text.
            Err(decide::Stop::Redo) => {
                let rules = self.rules;
                self.s.reset(rules, self.c.plan.memo_sizes());
                self.recommended = None;
                self.walk_all()
            }
            Err(decide::Stop::Error(e)) => Err(*e),
        }
    }

    /// Computes every outcome with the tree walker alone: the reference the
    /// compiled plan is tested against.
    pub(crate) fn run_walker(&mut self) -> R<()> {
        self.check_dates()?;
        self.walk_all()
    }

    /// Every node with the tree walker, the dates already checked.
    fn walk_all(&mut self) -> R<()> {
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
                    .is_some_and(|(t, _)| *t == Truth::Unknown),
                // A referral made below an unknown, more urgent trigger
                // names that trigger's missing fields too.
                Node::Referral(i) => {
                    self.s
                        .referrals
                        .get(i)
                        .is_some_and(|r| r.1 == Truth::Unknown)
                        || self.s.urgent_if.get(i).is_some_and(Option::is_some)
                }
                Node::Warning(i) => self
                    .s
                    .warnings
                    .get(i)
                    .is_some_and(|(t, _)| *t == Truth::Unknown),
                Node::Transition => self.s.transition == state::TransitionState::Undetermined,
                Node::Recommended | Node::Table(_) => false,
            };
            if unknown {
                self.walk(*node)?;
            }
        }
        Ok(())
    }

    /// The most intensive program whose eligibility is true.
    fn recommend(&self) -> Option<usize> {
        self.c
            .by_intensity
            .iter()
            .copied()
            .find(|&i| matches!(self.s.programs.get(i), Some((Truth::True, _))))
    }

    /// Whether program `a` comes before program `b` in the recommendation
    /// order; no program (`None`) comes after every program.
    pub(crate) fn more_intensive(&self, a: Option<usize>, b: Option<usize>) -> bool {
        let rank = |p: Option<usize>| {
            p.and_then(|i| self.c.by_intensity.iter().position(|&j| j == i))
                .unwrap_or(usize::MAX)
        };
        rank(a) < rank(b)
    }

    /// The next program down from the recommended one that the client is
    /// eligible for and that has room; only when the recommended one is full.
    fn alternative(&self) -> Option<usize> {
        let rec = self.recommended?;
        if !self.full(rec) {
            return None;
        }
        let order = &self.c.by_intensity;
        let pos = order.iter().position(|&i| i == rec)?;
        order
            .iter()
            .skip(pos + 1)
            .copied()
            .find(|&i| matches!(self.s.programs.get(i), Some((Truth::True, _))) && !self.full(i))
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
}
