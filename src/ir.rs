//! The checked rule set: every name resolved, every expression typed.
//!
//! `check` builds it from syntax trees; `compile` and `eval` run it. Fields
//! are slots (their index in [`RuleSet::fields`]), outcomes are indexes into
//! their lists, and text literals are interned symbols, so evaluation never
//! looks a name up.

use crate::diagnostic::{FileId, SourceMap, Span};
use indexmap::IndexSet;
use rust_decimal::Decimal;
use serde::Serialize;

#[path = "ir_table.rs"]
mod table;
pub use table::*;

/// A checked rule set, ready to compile.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The rule files.
    pub sources: SourceMap,
    /// A content hash of the rule files: `sha256:` and 64 hex digits.
    pub version: String,
    /// The profile's fields, in schema order; a field's index is its slot.
    pub fields: Vec<Field>,
    /// Every text literal the rules mention, interned.
    pub symbols: IndexSet<String>,
    /// Parameters and definitions.
    pub defines: Vec<Define>,
    /// Programs, in rule-set order.
    pub programs: Vec<Program>,
    /// Referrals, in rule-set order.
    pub referrals: Vec<Referral>,
    /// Warnings, in rule-set order.
    pub warnings: Vec<Warning>,
    /// Every outcome in rule-set order (files by name, items as written).
    pub order: Vec<Node>,
    /// Every node in an order where each comes after what it reads.
    pub eval_order: Vec<Node>,
    /// The slot of the field named `id`, which names the client.
    pub id_field: Option<usize>,
    /// Functions written in rhai.
    pub functions: Vec<Function>,
    /// The sandboxed rhai engine the functions run on.
    pub sandbox: std::sync::Arc<rhai::Engine>,
    /// Lookup and decision tables, in rule-set order.
    pub tables: Vec<Table>,
    /// The transition, when the rule set has one.
    pub transition: Option<TransitionRule>,
    /// Warnings found while checking (gaps in tables), unlocated.
    pub(crate) load_warnings: Vec<crate::diagnostic::Report>,
}

/// A function written in rhai, compiled.
#[derive(Debug, Clone)]
pub struct Function {
    /// Its name, title, evidence.
    pub meta: Meta,
    /// The type of each parameter.
    pub params: Vec<Ty>,
    /// The type it returns.
    pub returns: Ty,
    /// The compiled script.
    pub script: crate::script::Script,
}

/// A node of the dependency graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    /// A parameter or definition.
    Define(usize),
    /// A program's eligibility.
    Program(usize),
    /// A referral.
    Referral(usize),
    /// A warning.
    Warning(usize),
    /// The choice of the recommended program.
    Recommended,
    /// A table: evaluated where it is read, ordered after what its
    /// inputs read.
    Table(usize),
    /// The transition, after the recommendation.
    Transition,
}

/// A field of the client profile.
#[derive(Debug, Clone)]
pub struct Field {
    /// Its name in the profile.
    pub name: String,
    /// Its type.
    pub ty: FieldType,
    /// Inclusive lower bound, for numbers.
    pub min: Option<Decimal>,
    /// Inclusive upper bound, for numbers.
    pub max: Option<Decimal>,
    /// For dates: bounds against the evaluation date.
    pub dates: DateBounds,
    /// A profile without it is rejected.
    pub required: bool,
    /// What an absent or `null` field takes, and why.
    pub default: Option<FieldDefault>,
    /// Its description.
    pub doc: Option<String>,
    /// Where it is declared.
    pub file: FileId,
    /// Where it is declared.
    pub span: Span,
}

/// Bounds on a date field, checked against the evaluation date when a
/// profile is evaluated (a profile is read before its date is known).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateBounds {
    /// `not in the future`: no later than the evaluation date.
    pub not_future: bool,
    /// `within N years`: at most N whole years before the evaluation date.
    pub within_years: Option<u32>,
}

/// A field's default, checked against its type and range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDefault {
    /// The value.
    pub value: DefaultValue,
    /// Why it is safe to assume (the text after `because`).
    pub reason: String,
}

/// The value of a field's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    /// `true` or `false`.
    Bool(bool),
    /// A number within the field's range.
    Num(Decimal),
    /// A text.
    Text(String),
    /// An enumeration value, by index.
    Enum(usize),
    /// The members of a set, each once, in the order written.
    Set(Vec<String>),
    /// `none`, for a `program` field: the only program default (a default
    /// naming a program would enroll whoever left the field out).
    NoProgram,
}

/// The type of a profile field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    /// Whole numbers.
    Integer,
    /// Exact decimals.
    Decimal,
    /// `true` or `false`.
    Boolean,
    /// Any string.
    Text,
    /// One of the listed values.
    Enum(Vec<String>),
    /// A set of strings.
    SetOfText,
    /// A set of the listed values.
    SetOfEnum(Vec<String>),
    /// A calendar day, read from `YYYY-MM-DD`.
    Date,
    /// A program id of the rule set, or `none`.
    Program,
}

impl FieldType {
    /// The type of the field's values in expressions; `slot` identifies the
    /// field's enumeration.
    pub fn ty(&self, slot: usize) -> Ty {
        match self {
            FieldType::Integer | FieldType::Decimal => Ty::Num,
            FieldType::Boolean => Ty::Bool,
            FieldType::Text => Ty::Text,
            FieldType::Date => Ty::Date,
            FieldType::Program => Ty::Program,
            FieldType::Enum(_) => Ty::Enum(slot),
            FieldType::SetOfText => Ty::Set(Elem::Text),
            FieldType::SetOfEnum(_) => Ty::Set(Elem::Enum(slot)),
        }
    }

    /// The enumeration values, for enumerations and sets of them.
    pub fn values(&self) -> Option<&[String]> {
        match self {
            FieldType::Enum(v) | FieldType::SetOfEnum(v) => Some(v),
            _ => None,
        }
    }

    /// Words for messages: "an integer", "one of stable, unstable, homeless".
    pub fn describe(&self) -> String {
        match self {
            FieldType::Integer => "an integer".into(),
            FieldType::Decimal => "a number".into(),
            FieldType::Boolean => "true or false".into(),
            FieldType::Text => "a string".into(),
            FieldType::Date => "a date YYYY-MM-DD".into(),
            FieldType::Program => "a program id or none".into(),
            FieldType::Enum(v) => format!("one of {}", v.join(", ")),
            FieldType::SetOfText => "a list of strings".into(),
            FieldType::SetOfEnum(v) => format!("a list of values from {}", v.join(", ")),
        }
    }
}

/// The type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    /// true, false (or unknown).
    Bool,
    /// An exact decimal.
    Num,
    /// A string.
    Text,
    /// A value of the enumeration of the field in this slot.
    Enum(usize),
    /// A set.
    Set(Elem),
    /// A program id, or none.
    Program,
    /// A calendar day; at run time a `Val::Num` holding its day number
    /// (`crate::date`).
    Date,
}

/// The element type of a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Elem {
    /// Strings.
    Text,
    /// Values of the enumeration of the field in this slot.
    Enum(usize),
    /// Numbers.
    Num,
}

impl Elem {
    /// The type of one element.
    pub fn ty(self) -> Ty {
        match self {
            Elem::Text => Ty::Text,
            Elem::Enum(e) => Ty::Enum(e),
            Elem::Num => Ty::Num,
        }
    }
}

/// What every outcome and parameter carries.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// The stable id.
    pub id: String,
    /// The human title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The evidence grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Where the rule comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A note for readers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The file it is declared in.
    #[serde(skip)]
    pub file: FileId,
    /// The block's span.
    #[serde(skip)]
    pub span: Span,
}

/// A parameter (a constant) or a definition (computed from the profile).
#[derive(Debug, Clone)]
pub struct Define {
    /// Id, title, evidence.
    pub meta: Meta,
    /// `parameter` rather than `define`.
    pub is_parameter: bool,
    /// The value.
    pub value: Expr,
    /// Marked `report: yes`: the report lists its value.
    pub report: bool,
}

/// A program.
#[derive(Debug, Clone)]
pub struct Program {
    /// Id, title, evidence.
    pub meta: Meta,
    /// Higher is more intensive.
    pub intensity: i64,
    /// When a client is eligible.
    pub eligible: Expr,
    /// The most clients one case manager may hold.
    pub caseload_limit: Option<u64>,
    /// The services the program brings, in order.
    pub services: Vec<String>,
}

/// How urgent a referral is. `Urgent` orders above `Routine`.
///
/// ```
/// use careplan::Priority;
/// assert!(Priority::Urgent > Priority::Routine);
/// assert_eq!(serde_json::to_string(&Priority::Urgent).unwrap(), "\"urgent\"");
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// As part of the plan.
    Routine,
    /// Now.
    Urgent,
}

impl Priority {
    /// The word used in rules and reports.
    ///
    /// ```
    /// assert_eq!(careplan::Priority::Routine.word(), "routine");
    /// ```
    pub fn word(self) -> &'static str {
        match self {
            Priority::Routine => "routine",
            Priority::Urgent => "urgent",
        }
    }
}

/// A referral with its triggers, most urgent first.
#[derive(Debug, Clone)]
pub struct Referral {
    /// Id, title, evidence.
    pub meta: Meta,
    /// Each priority with its condition, most urgent first.
    pub triggers: Vec<(Priority, Expr)>,
}

/// How serious a warning is, from `Info` up to `Critical`.
///
/// ```
/// use careplan::Severity;
/// assert!(Severity::Critical > Severity::Warning && Severity::Warning > Severity::Info);
/// assert_eq!(serde_json::to_string(&Severity::Info).unwrap(), "\"info\"");
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information.
    Info,
    /// Needs attention.
    Warning,
    /// Needs action.
    Critical,
}

impl Severity {
    /// The word used in rules and reports.
    ///
    /// ```
    /// assert_eq!(careplan::Severity::Critical.word(), "critical");
    /// ```
    pub fn word(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A warning.
#[derive(Debug, Clone)]
pub struct Warning {
    /// Id (the warning's code), title, evidence.
    pub meta: Meta,
    /// How serious.
    pub severity: Severity,
    /// What the case worker reads.
    pub message: String,
    /// When it is raised.
    pub when: Expr,
}

/// The transition: where an enrolled client's plan goes next.
#[derive(Debug, Clone)]
pub struct TransitionRule {
    /// Its id (`transition`), title, evidence and source.
    pub meta: Meta,
    /// The current program (`current:`), of type program.
    pub current: Expr,
    /// `step down when …`: when a step down (or discharge) is allowed;
    /// always, without one.
    pub step_down: Option<Expr>,
}

/// A typed expression.
#[derive(Debug, Clone)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Its type.
    pub ty: Ty,
    /// The file it is written in.
    pub file: FileId,
    /// Where.
    pub span: Span,
}

/// A constant value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lit {
    /// A truth value.
    Bool(bool),
    /// A number.
    Num(Decimal),
    /// An interned string.
    Text(usize),
    /// An enumeration value: its index among the field's values.
    Enum(usize),
    /// A program, or none.
    Program(Option<usize>),
}

/// Which program a caseload test is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramRef {
    /// This one.
    Program(usize),
    /// The recommended one.
    Recommended,
    /// Any program in the caseload context.
    Any,
}

/// Arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`, `of`
    Mul,
    /// `/`
    Div,
}

impl Arith {
    /// Exact arithmetic; `None` on overflow or division by zero. Division
    /// that does not terminate is rounded at the 28th significant digit,
    /// the only place careplan rounds.
    pub fn apply(self, a: Decimal, b: Decimal) -> Option<Decimal> {
        match self {
            Arith::Add => a.checked_add(b),
            Arith::Sub => a.checked_sub(b),
            Arith::Mul => a.checked_mul(b),
            Arith::Div => a.checked_div(b),
        }
    }
}

/// Comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=`, `is`
    Eq,
    /// `!=`, `is not`
    Ne,
}

impl Cmp {
    /// Whether the comparison holds of two values in this order.
    pub fn holds(self, ord: std::cmp::Ordering) -> bool {
        match self {
            Cmp::Lt => ord.is_lt(),
            Cmp::Le => ord.is_le(),
            Cmp::Gt => ord.is_gt(),
            Cmp::Ge => ord.is_ge(),
            Cmp::Eq => ord.is_eq(),
            Cmp::Ne => ord.is_ne(),
        }
    }
}

/// `has any of`, `has all of`, `has none of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quant {
    /// Some value is in the set.
    Any,
    /// Every value is in the set.
    All,
    /// No value is in the set.
    None,
}

/// The forms of a typed expression.
#[derive(Debug, Clone)]
pub enum ExprKind {
    /// A constant.
    Lit(Lit),
    /// A set of constants.
    SetLit(Vec<Lit>),
    /// A profile field.
    Field(usize),
    /// A parameter or definition.
    Define(usize),
    /// Negation.
    Not(Box<Expr>),
    /// Conjunction.
    And(Vec<Expr>),
    /// Disjunction.
    Or(Vec<Expr>),
    /// A comparison.
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    /// `is known` (true) or `is unknown` (false): never unknown itself.
    Known(Box<Expr>, bool),
    /// Membership.
    In(Box<Expr>, Box<Expr>),
    /// `set has any/all/none of values`.
    Has(Box<Expr>, Quant, Box<Expr>),
    /// The number of distinct elements of a set.
    Count(Box<Expr>),
    /// Arithmetic.
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// Unary minus.
    Neg(Box<Expr>),
    /// Whether the client is eligible for a program.
    Eligible(usize),
    /// Whether a referral is made.
    Referred(usize),
    /// Whether a warning is raised.
    Warned(usize),
    /// The recommended program.
    Recommended,
    /// The evaluation date (`today`), a day number.
    Today,
    /// Every case manager of the program is at its limit.
    CaseloadFull(ProgramRef),
    /// Some case manager of the program is above its limit.
    CaseloadExceeded(ProgramRef),
    /// A call of a rhai function, with its arguments.
    Call(usize, Vec<Expr>),
    /// A built-in number function (`min`, `round`, …) and its arguments.
    NumCall(NumFn, Vec<Expr>),
    /// `if c then a else b`: the condition, and the two branches.
    If(Box<Expr>, Box<[Expr; 2]>),
    /// `first known of (…)`: the first operand that is known.
    FirstKnown(Vec<Expr>),
    /// `at least N of (…)`: at least N of the conditions hold.
    AtLeast(usize, Vec<Expr>),
    /// `at most N of (…)`: at most N of the conditions hold.
    AtMost(usize, Vec<Expr>),
    /// `weighted sum of s {k: w, …}`: the set, and each member (an
    /// enumeration value or interned text) with its weight.
    WeightedSum(Box<Expr>, Vec<(Lit, Decimal)>),
    /// `when base unless exception`.
    Unless(Box<Expr>, Box<Expr>),
    /// Whole days, months or years from the first date to the second
    /// (`between`; `since` is to [`ExprKind::Today`]).
    Duration(crate::date::Unit, Box<Expr>, Box<Expr>),
    /// A dated value of define `define`: `values[i]` is in force from day
    /// number `days[i]`, days strictly ascending; before the first, no
    /// value is (an input error naming the define).
    Dated {
        /// The parameter or definition it is the value of.
        define: usize,
        /// The day each version comes into force.
        days: Vec<i64>,
        /// Each version's value.
        values: Vec<Expr>,
    },
    /// `a is more intensive than b` (and `b is less intensive than a`):
    /// programs by the recommendation order (intensity, then rule order);
    /// `none` is below every program.
    MoreIntensive(Box<Expr>, Box<Expr>),
    /// One output of a table, by index.
    Table {
        /// The table, in [`RuleSet::tables`].
        table: usize,
        /// The output, in the table's outputs.
        output: usize,
    },
}

/// The built-in number functions. Each is exact; rounding goes to the
/// given number of decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumFn {
    /// The least of two or more numbers.
    Min,
    /// The greatest of two or more numbers.
    Max,
    /// `clamp(x, lo, hi)`: `x` brought within `lo` to `hi`.
    Clamp,
    /// The absolute value.
    Abs,
    /// Rounded toward −∞ at this many decimal places.
    Floor(u32),
    /// Rounded toward +∞ at this many decimal places.
    Ceil(u32),
    /// Rounded half away from zero at this many decimal places.
    Round(u32),
}

impl NumFn {
    /// A one-operand function (`abs`, `floor`, `ceil`, `round`) of a
    /// number. Rounding to fewer places never overflows: the mantissa only
    /// shrinks.
    #[inline]
    pub fn unary(self, x: Decimal) -> Decimal {
        use rust_decimal::RoundingStrategy as S;
        let (places, how) = match self {
            NumFn::Abs => return x.abs(),
            NumFn::Floor(p) => (p, S::ToNegativeInfinity),
            NumFn::Ceil(p) => (p, S::ToPositiveInfinity),
            NumFn::Round(p) => (p, S::MidpointAwayFromZero),
            // Not one-operand functions: the checker never makes these.
            NumFn::Min | NumFn::Max | NumFn::Clamp => return x,
        };
        let r = x.round_dp_with_strategy(places, how);
        // `-0` is 0, as the profile readers make it.
        if r.is_zero() { Decimal::ZERO } else { r }
    }

    /// `min` or `max` of two numbers, the running result first.
    #[inline]
    pub fn pick(self, acc: Decimal, x: Decimal) -> Decimal {
        let x_wins = match self {
            NumFn::Max => crate::decimal::cmp(&x, &acc).is_gt(),
            _ => crate::decimal::cmp(&x, &acc).is_lt(),
        };
        if x_wins { x } else { acc }
    }

    /// `clamp(x, lo, hi)`; `None` when the bounds cross (`lo > hi`).
    #[inline]
    pub fn clamp(x: Decimal, lo: Decimal, hi: Decimal) -> Option<Decimal> {
        use crate::decimal::cmp;
        if cmp(&lo, &hi).is_gt() {
            return None;
        }
        Some(if cmp(&x, &lo).is_lt() {
            lo
        } else if cmp(&x, &hi).is_gt() {
            hi
        } else {
            x
        })
    }

    /// The function of known arguments; `None` for bounds that cross or
    /// a wrong number of arguments (which the checker never lets through).
    pub fn apply(self, args: &[Decimal]) -> Option<Decimal> {
        match (self, args) {
            (NumFn::Min | NumFn::Max, [first, rest @ ..]) => {
                Some(rest.iter().fold(*first, |acc, x| self.pick(acc, *x)))
            }
            (NumFn::Clamp, [x, lo, hi]) => NumFn::clamp(*x, *lo, *hi),
            (NumFn::Min | NumFn::Max | NumFn::Clamp, _) => None,
            (_, [x]) => Some(self.unary(*x)),
            _ => None,
        }
    }
}

impl Expr {
    /// The expressions this one is made of, in the order they are written.
    ///
    /// The one place that knows which [`ExprKind`] holds sub-expressions:
    /// every walk over the IR (checking, coverage, evaluation's error
    /// blame, population generation) goes through it or [`Expr::visit`],
    /// so a new form is added here once.
    pub fn children(&self) -> Children<'_> {
        let (one, many): (&[Box<Expr>], &[Expr]) = match &self.kind {
            ExprKind::Not(x)
            | ExprKind::Known(x, _)
            | ExprKind::Count(x)
            | ExprKind::Neg(x)
            | ExprKind::WeightedSum(x, _) => (std::slice::from_ref(x), &[]),
            ExprKind::And(xs)
            | ExprKind::Or(xs)
            | ExprKind::Call(_, xs)
            | ExprKind::NumCall(_, xs)
            | ExprKind::FirstKnown(xs)
            | ExprKind::AtLeast(_, xs)
            | ExprKind::AtMost(_, xs)
            | ExprKind::Dated { values: xs, .. } => (&[], xs),
            ExprKind::If(c, branches) => (std::slice::from_ref(c), &branches[..]),
            ExprKind::Unless(a, b)
            | ExprKind::Cmp(_, a, b)
            | ExprKind::MoreIntensive(a, b)
            | ExprKind::Duration(_, a, b)
            | ExprKind::In(a, b)
            | ExprKind::Arith(_, a, b)
            | ExprKind::Has(a, _, b) => {
                return Children {
                    pair: [Some(a), Some(b)],
                    rest: [].iter(),
                    next: 0,
                };
            }
            ExprKind::Lit(_)
            | ExprKind::SetLit(_)
            | ExprKind::Field(_)
            | ExprKind::Define(_)
            | ExprKind::Eligible(_)
            | ExprKind::Referred(_)
            | ExprKind::Warned(_)
            | ExprKind::Recommended
            | ExprKind::Today
            | ExprKind::CaseloadFull(_)
            | ExprKind::CaseloadExceeded(_)
            | ExprKind::Table { .. } => (&[], &[]),
        };
        Children {
            pair: [one.first().map(|b| &**b), None],
            rest: many.iter(),
            next: 0,
        }
    }

    /// Calls `f` on this expression and every expression inside it, parents
    /// before children, left to right. The depth is bounded by
    /// `Limits::max_depth`, checked when the rules were lowered.
    pub fn visit<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        for c in self.children() {
            c.visit(f);
        }
    }
}

/// The sub-expressions of an [`Expr`], from [`Expr::children`].
#[derive(Debug, Clone)]
pub struct Children<'a> {
    pair: [Option<&'a Expr>; 2],
    rest: std::slice::Iter<'a, Expr>,
    next: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = &'a Expr;

    fn next(&mut self) -> Option<&'a Expr> {
        while let Some(slot) = self.pair.get_mut(self.next) {
            self.next += 1;
            if let Some(e) = slot.take() {
                return Some(e);
            }
        }
        self.rest.next()
    }
}

impl RuleSet {
    /// Whether any rule reads the evaluation date: `today`, a duration
    /// `since` a date, or a dated value.
    pub fn reads_date(&self) -> bool {
        let mut found = false;
        for (_, e) in self.roots() {
            e.visit(&mut |x| {
                found |= matches!(x.kind, ExprKind::Today | ExprKind::Dated { .. });
            });
        }
        // A dated table picks its rows by the date.
        found
            || self
                .tables
                .iter()
                .any(|t| t.versions.iter().any(|v| v.from.is_some()))
    }

    /// Every expression the rule set holds at its top level, with the node
    /// it belongs to: each define's value, each program's eligibility, each
    /// referral trigger and each warning condition, in rule-set order
    /// (defines first). Walk into each with [`Expr::visit`].
    pub fn roots(&self) -> impl Iterator<Item = (Node, &Expr)> {
        let defines = self
            .defines
            .iter()
            .enumerate()
            .map(|(i, d)| (Node::Define(i), &d.value));
        let programs = self
            .programs
            .iter()
            .enumerate()
            .map(|(i, p)| (Node::Program(i), &p.eligible));
        let referrals = self
            .referrals
            .iter()
            .enumerate()
            .flat_map(|(i, r)| r.triggers.iter().map(move |(_, e)| (Node::Referral(i), e)));
        let warnings = self
            .warnings
            .iter()
            .enumerate()
            .map(|(i, w)| (Node::Warning(i), &w.when));
        let tables = self
            .tables
            .iter()
            .enumerate()
            .flat_map(|(i, t)| t.inputs.iter().map(move |e| (Node::Table(i), e)));
        defines
            .chain(programs)
            .chain(referrals)
            .chain(warnings)
            .chain(tables)
    }
}
