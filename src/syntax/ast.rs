//! The owned syntax tree of one rule file.
//!
//! It keeps what the author wrote (parentheses, literal spellings, the order
//! of clauses) so that a formatter can print it back and so that an
//! explanation can quote a condition in the author's own words. Every node
//! carries the byte span of its text in the file.

use crate::diagnostic::Span;

/// A name with the span it was written at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it stands.
    pub span: Span,
}

/// A literal string, escapes resolved, adjacent parts joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The string's value.
    pub value: String,
    /// Where it stands, quotes included.
    pub span: Span,
}

/// A number as written (`15_960`, `0.8`), kept as text so that it is exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberLit {
    /// The digits as written, with any `-` sign, underscores kept.
    pub text: String,
    /// Where it stands.
    pub span: Span,
}

/// One parsed rule file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    /// The items, in the order written.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `schema { … }`
    Schema(Schema),
    /// `program`, `referral`, `warning`, `parameter` or `define`.
    Block(Block),
    /// `function name(params) -> type { script: … }`
    Function(Function),
    /// `table id "Title" { … }`: a lookup or decision table.
    Table(Table),
}

/// A function written in rhai.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// Its name, as conditions call it.
    pub name: Ident,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// What it returns.
    pub returns: ScalarType,
    /// Where the return type is written.
    pub returns_span: Span,
    /// Its human title.
    pub title: Option<Text>,
    /// Its clauses: `script`, and metadata.
    pub clauses: Vec<Clause>,
    /// The whole function.
    pub span: Span,
}

/// A function parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Its name inside the script.
    pub name: Ident,
    /// Its type.
    pub ty: ScalarType,
    /// `set of` the type.
    pub set: bool,
    /// The whole parameter.
    pub span: Span,
}

/// The fields of the client profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The fields, in the order written.
    pub fields: Vec<FieldDecl>,
    /// The whole block.
    pub span: Span,
}

/// `age: integer between 0 and 130 "years"`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecl {
    /// The field's name in the profile.
    pub name: Ident,
    /// Its type.
    pub ty: TypeExpr,
    /// Its numeric range, if any.
    pub constraint: Option<Constraint>,
    /// Whether a profile without it is rejected.
    pub required: bool,
    /// `default VALUE because "reason"`: what an absent field takes.
    pub default: Option<FieldDefault>,
    /// A description.
    pub doc: Option<Text>,
    /// The whole declaration.
    pub span: Span,
}

/// `default false because "the intake form asks every client"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDefault {
    /// The value.
    pub value: DefaultValue,
    /// Why the default is safe to assume; `None` when not given (a check
    /// error), and a non-string reason is kept to be refused by name.
    pub reason: Option<AttrValue>,
    /// The whole `default …` clause.
    pub span: Span,
}

/// The value of a field's default, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    /// A number, with its sign.
    Number(NumberLit),
    /// A quoted string.
    Text(Text),
    /// A bare word: `true`, `false` or an enumeration value.
    Word(Ident),
    /// `{a, "b"}`: the members of a set.
    Set(Vec<AttrValue>, Span),
}

impl DefaultValue {
    /// Where the value stands.
    pub fn span(&self) -> Span {
        match self {
            DefaultValue::Number(n) => n.span,
            DefaultValue::Text(t) => t.span,
            DefaultValue::Word(w) => w.span,
            DefaultValue::Set(_, s) => *s,
        }
    }
}

/// A field's type as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// `integer`, `decimal`, `boolean`, `text`.
    Scalar(ScalarType, Span),
    /// `one of {a, b}`
    OneOf(Vec<Ident>, Span),
    /// `set of text`
    SetOfText(Span),
    /// `set of {a, b}`
    SetOfEnum(Vec<Ident>, Span),
    /// `program`: a program id of the rule set, or `none`.
    Program(Span),
}

/// The scalar types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    /// Whole numbers.
    Integer,
    /// Exact decimal numbers.
    Decimal,
    /// `true` or `false`.
    Boolean,
    /// Any string.
    Text,
    /// A calendar day, `YYYY-MM-DD`.
    Date,
}

/// A numeric range on a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// `between A and B`, both ends included.
    Between(NumberLit, NumberLit),
    /// `at least A`
    AtLeast(NumberLit),
    /// `at most B`
    AtMost(NumberLit),
    /// Bounds on a date against the evaluation date: `not in the
    /// future`, `within N years`, or both.
    Dates {
        /// `not in the future`.
        not_future: bool,
        /// `within N years`.
        within_years: Option<NumberLit>,
        /// The bounds as written.
        span: Span,
    },
}

/// The kinds of block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// A program a client can be eligible for.
    Program,
    /// A referral to another service.
    Referral,
    /// A warning for the case worker.
    Warning,
    /// A named constant.
    Parameter,
    /// A named value computed from the profile.
    Define,
    /// Where an enrolled client's plan goes next; one per rule set, with
    /// the id `transition`.
    Transition,
}

impl BlockKind {
    /// The keyword that opens the block.
    pub fn keyword(self) -> &'static str {
        match self {
            BlockKind::Program => "program",
            BlockKind::Referral => "referral",
            BlockKind::Warning => "warning",
            BlockKind::Parameter => "parameter",
            BlockKind::Transition => "transition",
            BlockKind::Define => "define",
        }
    }
}

/// `program id "Title" { clauses }` and its kin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// What kind of item.
    pub kind: BlockKind,
    /// Its stable id.
    pub id: Ident,
    /// Its human title.
    pub title: Option<Text>,
    /// Its clauses, in the order written.
    pub clauses: Vec<Clause>,
    /// The whole block.
    pub span: Span,
}

/// One clause of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// `eligible when …`, `urgent when …`, `when …`
    When {
        /// The word before `when`, if any.
        qualifier: Option<Ident>,
        /// The condition.
        condition: Expr,
        /// `… unless C`: the exception, which makes the clause false when
        /// it holds.
        exception: Option<Expr>,
        /// The whole clause.
        span: Span,
    },
    /// `caseload: fewer than 20 per case manager`
    Caseload {
        /// `at most` or `fewer than`.
        bound: LimitBound,
        /// The number.
        limit: NumberLit,
        /// The whole clause.
        span: Span,
    },
    /// `services: a, b`
    Services {
        /// The service ids.
        services: Vec<Ident>,
        /// The whole clause.
        span: Span,
    },
    /// `value: expr`
    Value {
        /// The expression.
        value: Expr,
        /// The whole clause.
        span: Span,
    },
    /// `from 2026-01-15: expr`: a dated value, in force from that day.
    From {
        /// The date as written.
        date: String,
        /// Where the date stands.
        date_span: Span,
        /// The value.
        value: Expr,
        /// The whole clause.
        span: Span,
    },
    /// `script: """ … """`: a function's code.
    Script {
        /// The code, as written.
        code: String,
        /// The byte offset of the code's first character in the file, so
        /// script errors point into the rule file.
        code_start: usize,
        /// Triple-quoted rather than a one-line string.
        raw: bool,
        /// The whole clause.
        span: Span,
    },
    /// `key: value` metadata: `intensity`, `severity`, `message`, `source`, …
    Attr {
        /// The key.
        key: Ident,
        /// The value.
        value: AttrValue,
        /// The whole clause.
        span: Span,
    },
}

/// How a caseload limit is stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitBound {
    /// `at most N`: N clients is the limit.
    AtMost,
    /// `fewer than N`: N − 1 clients is the limit.
    FewerThan,
}

/// The value of a metadata clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    /// A string.
    Text(Text),
    /// A number.
    Number(NumberLit),
    /// A bare word.
    Word(Ident),
}

impl AttrValue {
    /// Where the value stands.
    pub fn span(&self) -> Span {
        match self {
            AttrValue::Text(t) => t.span,
            AttrValue::Number(n) => n.span,
            AttrValue::Word(w) => w.span,
        }
    }
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it stands.
    pub span: Span,
}

/// The forms of expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    /// `42`, `0.8`
    Number(NumberLit),
    /// `138%`
    Percent(NumberLit),
    /// `2026-01-15`, as written; `check` reads it as a calendar day.
    Date(String),
    /// `years since d` (`to` is `None`: to today) or `days between a and b`.
    Duration {
        /// Days, months or years.
        unit: crate::date::Unit,
        /// The first date.
        from: Box<Expr>,
        /// The second date; `None` for `since`.
        to: Option<Box<Expr>>,
    },
    /// `"ptsd"`
    Text(String),
    /// `true`, `false`
    Bool(bool),
    /// `none`
    None,
    /// A name: field, parameter, definition, enumeration value, outcome id.
    Name(String),
    /// `f(a, b)`
    Call {
        /// The function's name.
        name: Ident,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `{a, b}`
    Set(Vec<Expr>),
    /// `( e )`, kept so the formatter can print it back.
    Paren(Box<Expr>),
    /// `-e`
    Neg(Box<Expr>),
    /// `not e`
    Not(Box<Expr>),
    /// `a and b and c`
    And(Vec<Expr>),
    /// `a or b or c`
    Or(Vec<Expr>),
    /// `a + b`, `a * b`, `138% of b`
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `a < b`, or a chain `a ≤ b ≤ c` meaning `a ≤ b and b ≤ c`.
    Compare {
        /// The first operand.
        first: Box<Expr>,
        /// Each further operator and operand.
        rest: Vec<(CmpOp, Expr)>,
    },
    /// `a is more intensive than b`, `a is less intensive than b`:
    /// programs by the recommendation order.
    Intensity {
        /// Left side.
        lhs: Box<Expr>,
        /// `more` (or `less`).
        more: bool,
        /// Right side.
        rhs: Box<Expr>,
    },
    /// `a is b`, `a is not b`
    Is {
        /// Left side.
        lhs: Box<Expr>,
        /// `is not`
        negated: bool,
        /// Right side.
        rhs: Box<Expr>,
    },
    /// `a is known`, `a is not known`, `a is unknown`
    IsKnown {
        /// The operand.
        operand: Box<Expr>,
        /// True when the test is for *known*.
        known: bool,
        /// Written `is not`.
        negated: bool,
    },
    /// `a in s`, `a not in s`
    In {
        /// The element.
        element: Box<Expr>,
        /// `not in`
        negated: bool,
        /// The set.
        set: Box<Expr>,
    },
    /// `approval.status`: a named output of a table.
    Output {
        /// The table.
        table: Ident,
        /// The output.
        output: Ident,
    },
    /// `s has any of t`
    Has {
        /// The set tested.
        set: Box<Expr>,
        /// any, all or none.
        quantifier: Quantifier,
        /// The values looked for.
        values: Box<Expr>,
    },
    /// `if c then a else b`
    If {
        /// The condition.
        condition: Box<Expr>,
        /// The value when it holds.
        then: Box<Expr>,
        /// The value when it does not.
        otherwise: Box<Expr>,
    },
    /// `first known of (a, b, c)`
    FirstKnown(Vec<Expr>),
    /// `at least N of (…)` (`at_most` false) or `at most N of (…)`.
    CountOf {
        /// `at most` rather than `at least`.
        at_most: bool,
        /// N, as written.
        n: NumberLit,
        /// The conditions counted.
        conditions: Vec<Expr>,
    },
    /// `weighted sum of s {k: w, …}`
    WeightedSum {
        /// The set whose members are weighed.
        set: Box<Expr>,
        /// Each key with its weight (a number, percentage or negated one).
        weights: Vec<Weight>,
    },
}

/// One `key: weight` of a weighted sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weight {
    /// The member: an enumeration value (a word) or a text (a string).
    pub key: AttrValue,
    /// The weight.
    pub weight: Expr,
    /// The whole entry.
    pub span: Span,
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*` or `×`
    Mul,
    /// `of`, after a percentage: multiplication.
    Of,
    /// `/`
    Div,
}

impl ArithOp {
    /// How the operator is printed.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Of => "of",
            ArithOp::Div => "/",
        }
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `<`
    Lt,
    /// `<=` or `≤`
    Le,
    /// `>`
    Gt,
    /// `>=` or `≥`
    Ge,
    /// `=`
    Eq,
    /// `!=` or `≠`
    Ne,
}

impl CmpOp {
    /// How the operator is printed.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
        }
    }
}

/// The quantifier of a `has` test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// At least one of the values is in the set.
    Any,
    /// Every value is in the set.
    All,
    /// No value is in the set.
    None,
}

/// `table id "Title" { … }`: a lookup table or a decision table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Its stable id, as expressions name it.
    pub id: Ident,
    /// Its human title.
    pub title: Option<Text>,
    /// Its clauses and rows, in the order written.
    pub parts: Vec<TablePart>,
    /// The whole table.
    pub span: Span,
}

/// One clause or row of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TablePart {
    /// `hit: collect sum`: the words joined by one space, and the clause.
    Hit(Ident, Span),
    /// `input: a, b`
    Input(Vec<Expr>, Span),
    /// `output: integer`, `output status: one of {…}`
    Output {
        /// The output's name; none for the one anonymous output.
        name: Option<Ident>,
        /// Its type.
        ty: OutputType,
        /// The whole clause.
        span: Span,
    },
    /// `from 2025-10-01:`: the rows after it are in force from that day;
    /// the date, and the clause.
    From(Ident, Span),
    /// A row: its cells and its outputs.
    Row(Row),
    /// `default -> outputs`
    Default(Vec<CellLit>, Span),
    /// `evidence: high`, `source: "…"`, `report: yes`
    Attr(Clause),
}

/// The type of a table output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputType {
    /// `integer`, `decimal`, `boolean`, `text`.
    Scalar(ScalarType, Span),
    /// `date`
    Date(Span),
    /// `one of {a, b}`
    OneOf(Vec<Ident>, Span),
}

/// A row of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// One cell per input.
    pub cells: Vec<Cell>,
    /// One literal per output.
    pub outputs: Vec<CellLit>,
    /// Whether a `;` ends it.
    pub semicolon: bool,
    /// The whole row.
    pub span: Span,
}

/// One input's test in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// `-`: any value.
    Any(Span),
    /// `each additional`
    EachAdditional(Span),
    /// `not(a, b)`: none of the tests holds.
    Not(Vec<CellTest>, Span),
    /// `a, b`: some test holds.
    Tests(Vec<CellTest>, Span),
}

impl Cell {
    /// Where the cell stands.
    pub fn span(&self) -> Span {
        match self {
            Cell::Any(s) | Cell::EachAdditional(s) | Cell::Not(_, s) | Cell::Tests(_, s) => *s,
        }
    }
}

/// One test of a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellTest {
    /// A literal: the input equals it.
    Is(CellLit),
    /// `< v`, `>= v`, `!= v`, …
    Cmp(CmpOp, CellLit),
    /// `a to b`, both ends included.
    To(CellLit, CellLit),
    /// `v or more`
    OrMore(CellLit),
    /// `v or less`
    OrLess(CellLit),
    /// `[a..b)` and its kin: whether each end is included.
    Interval {
        /// `[` rather than `(`.
        lo_closed: bool,
        /// The lower end.
        lo: CellLit,
        /// The upper end.
        hi: CellLit,
        /// `]` rather than `)`.
        hi_closed: bool,
    },
}

/// A literal in a cell or an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellLit {
    /// A signed number as written.
    Number(NumberLit),
    /// A percentage, the number as written without `%`.
    Percent(NumberLit),
    /// A string.
    Text(Text),
    /// `true` or `false`.
    Bool(bool, Span),
    /// A date `YYYY-MM-DD`, as written.
    Date(Ident),
    /// A word: an enumeration value.
    Word(Ident),
}

impl CellLit {
    /// Where the literal stands.
    pub fn span(&self) -> Span {
        match self {
            CellLit::Number(n) | CellLit::Percent(n) => n.span,
            CellLit::Text(t) => t.span,
            CellLit::Bool(_, s) => *s,
            CellLit::Date(i) | CellLit::Word(i) => i.span,
        }
    }
}
