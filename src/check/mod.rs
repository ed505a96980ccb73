//! Step two: syntax trees → checked rule set.
//!
//! Resolves every name (fields, parameters, definitions, enumeration values,
//! outcome ids), types every expression, checks each block has the clauses
//! its kind needs, and orders the outcomes so that each is evaluated after
//! what it reads, rejecting cycles. It reports every problem it finds, not
//! only the first.
//!
//! This file holds the entry `check`, the `Checker` state every part shares
//! and the helpers they all use. The parts, each an `impl Checker`:
//! `declarations` (the first pass: the schema, ids, reserved names and
//! functions), `items` (each block's clauses and metadata), `expressions`
//! (typing conditions and values), `calls` (built-in and declared functions),
//! `ordering` (the order definitions are typed in, the evaluation order,
//! cycles) and `tables` (table blocks: rows, hit policies, the load-time
//! analyses).

mod calls;
mod dates;
mod declarations;
mod defaults;
mod expressions;
mod items;
mod numbers;
mod ordering;
mod tables;

use crate::decimal;
use crate::diagnostic::{Code, FileId, Report, Span};
use crate::ir::{self, Elem, Expr, ExprKind, Node, Ty};
use crate::syntax::ast::{self, AttrValue, Clause};
use indexmap::{IndexMap, IndexSet};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Names an expression may not use for a field or definition.
const RESERVED: &[&str] = &[
    "recommended",
    "today",
    "schema",
    "program",
    "referral",
    "warning",
    "parameter",
    "define",
    "table",
];
/// The built-in functions.
const FUNCTIONS: &[&str] = &[
    "count",
    "eligible",
    "referred",
    "warned",
    "caseload_full",
    "caseload_exceeded",
];
/// Evidence grades (GRADE, plus expert opinion and regulation).
const EVIDENCE: &[&str] = &[
    "high",
    "moderate",
    "low",
    "very_low",
    "expert_opinion",
    "regulation",
];

/// Checks parsed files (in rule-set order) into a rule set. `version` is the
/// content hash computed by the loader.
pub(crate) fn check(
    files: &[(FileId, ast::File)],
    sources: crate::diagnostic::SourceMap,
    version: String,
    limits: &crate::Limits,
) -> Result<ir::RuleSet, Vec<Report>> {
    let mut c = Checker {
        sources,
        limits: limits.clone(),
        ..Checker::default()
    };
    c.declare(files);
    if c.over_limit || c.stopped() {
        // Past a size limit, checking the rest would cost what the limit is
        // there to prevent.
        return Err(c.errors);
    }
    c.resolve_all(files);
    c.order();
    if !c.errors.is_empty() {
        // With errors, the warnings are shown among them, by place.
        let warnings = std::mem::take(&mut c.warnings_found);
        c.errors.extend(warnings);
    }
    if c.errors.is_empty() {
        Ok(ir::RuleSet {
            sources: c.sources,
            version,
            id_field: c.fields.iter().position(|f| f.name == "id"),
            fields: c.fields,
            symbols: c.symbols,
            defines: c.defines.into_iter().flatten().collect(),
            programs: c.programs.into_iter().flatten().collect(),
            referrals: c.referrals.into_iter().flatten().collect(),
            warnings: c.warnings.into_iter().flatten().collect(),
            functions: c.functions.into_iter().flatten().collect(),
            sandbox: std::sync::Arc::new(c.sandbox.unwrap_or_else(crate::script::sandbox)),
            order: c.rule_order,
            eval_order: c.eval_order,
            tables: c.tables.into_iter().flatten().collect(),
            transition: c.transition,
            load_warnings: std::mem::take(&mut c.warnings_found),
        })
    } else {
        Err(c.errors)
    }
}

/// What a name in an expression refers to.
#[derive(Clone, Copy)]
enum Binding {
    Field(usize),
    Define(usize),
    Table(usize),
}

#[derive(Default)]
struct Checker {
    sources: crate::diagnostic::SourceMap,
    limits: crate::Limits,
    /// A size limit was exceeded: stop after declaring.
    over_limit: bool,
    errors: Vec<Report>,
    fields: Vec<ir::Field>,
    names: HashMap<String, Binding>,
    symbols: IndexSet<String>,
    // Declared ids, in rule-set order, with their index.
    define_ids: IndexMap<String, (FileId, Span)>,
    program_ids: IndexMap<String, (FileId, Span)>,
    referral_ids: IndexMap<String, (FileId, Span)>,
    warning_ids: IndexMap<String, (FileId, Span)>,
    function_ids: IndexMap<String, (FileId, Span)>,
    /// The transition block (one at most), under its id `transition`.
    transition_ids: IndexMap<String, (FileId, Span)>,
    transition: Option<ir::TransitionRule>,
    functions: Vec<Option<ir::Function>>,
    sandbox: Option<rhai::Engine>,
    // Checked items, by index (None where a block failed to check).
    defines: Vec<Option<ir::Define>>,
    programs: Vec<Option<ir::Program>>,
    referrals: Vec<Option<ir::Referral>>,
    warnings: Vec<Option<ir::Warning>>,
    define_types: Vec<Option<Ty>>,
    /// The value of each definition that is a numeric constant (a
    /// parameter, or a definition computed from constants only), so that
    /// arithmetic on constants is checked at load through any number of
    /// parameters.
    const_values: Vec<Option<Decimal>>,
    /// What each definition left unchecked by a cycle names, for the path
    /// of the cycle.
    define_name_deps: HashMap<usize, Vec<usize>>,
    /// Whether each definition is a `parameter` (a constant).
    define_is_parameter: Vec<bool>,
    rule_order: Vec<Node>,
    eval_order: Vec<Node>,
    // What each node reads.
    deps: HashMap<Node, Vec<Node>>,
    /// The first checked program of each intensity.
    intensities: HashMap<i64, usize>,
    /// Declared tables, in rule-set order.
    table_ids: IndexMap<String, (FileId, Span)>,
    /// Each table's hit policy and outputs, declared before any is checked.
    table_decls: Vec<Option<tables::TableDecl>>,
    /// Checked tables, by index.
    tables: Vec<Option<ir::Table>>,
    /// The values of every table's `one of` outputs, which a cell may
    /// name as a word.
    table_words: std::collections::HashSet<String>,
    /// Findings that do not stop the load (gaps in tables).
    warnings_found: Vec<Report>,
}

impl Checker {
    /// Records an error. One more than the limit is kept, so the loader
    /// can tell that checking stopped.
    fn err(&mut self, r: Report) {
        if !self.stopped() {
            self.errors.push(r);
        }
    }

    /// Whether so many errors are recorded that checking should stop:
    /// every further error would cost time (suggestions, locations) and
    /// not be shown.
    fn stopped(&self) -> bool {
        self.errors.len() > self.limits.max_errors
    }

    /// Reports a size limit exceeded, once per limit.
    fn limit_error(&mut self, code: Code, file: FileId, span: Span, message: String) {
        self.over_limit = true;
        if !self.errors.iter().any(|e| e.code == code) {
            let help = match code {
                Code::TooManyValues => "a long list of codes is a `set of text` field",
                _ => "split the policy into smaller rule sets",
            };
            self.err(Report::error(code, file, span, message).help(help));
        }
    }

    /// `file:line` of an earlier declaration, for "defined twice" hints.
    fn place(&self, file: FileId, span: Span) -> String {
        let l = self.sources.locate(file, span);
        format!("{}:{}:{}", l.file, l.line, l.column)
    }

    fn number(&mut self, file: FileId, n: &ast::NumberLit) -> Option<Decimal> {
        if n.text.contains(['e', 'E']) {
            // Rule files write numbers out; say what this one is, or that
            // it is out of range.
            let cleaned: String = n.text.chars().filter(|c| *c != '_').collect();
            let report = match decimal::parse_number(cleaned.trim_start_matches('-')) {
                Some(d) => Report::error(
                    Code::BadNumber,
                    file,
                    n.span,
                    format!("`{}` is written with an exponent", n.text),
                )
                .help(format!("write the number out: `{}`", decimal::show(d))),
                None => Report::error(
                    Code::BadNumber,
                    file,
                    n.span,
                    format!("`{}` is out of range", n.text),
                )
                .help(
                    "numbers have at most 28 significant digits, written out without an exponent",
                ),
            };
            self.err(report);
            return None;
        }
        let d = decimal::parse_literal(&n.text);
        if d.is_none() {
            self.err(
                Report::error(
                    Code::BadNumber,
                    file,
                    n.span,
                    format!("`{}` is not a number careplan can hold exactly", n.text),
                )
                .help("numbers have at most 28 significant digits"),
            );
        }
        d
    }

    fn missing(&mut self, file: FileId, b: &ast::Block, what: &str, example: &str) {
        self.err(
            Report::error(
                Code::MissingClause,
                file,
                b.id.span,
                format!("{} `{}` has no {what}", b.kind.keyword(), b.id.name),
            )
            .help(format!("add `{example}`")),
        );
    }

    fn ty_name(&self, ty: Ty) -> String {
        match ty {
            Ty::Bool => "true or false".into(),
            Ty::Num => "a number".into(),
            Ty::Text => "text".into(),
            Ty::Enum(slot) => match self.fields.get(slot) {
                Some(f) => format!("a value of `{}`", f.name),
                None => "an enumeration value".into(),
            },
            Ty::Set(Elem::Text) => "a set of text".into(),
            Ty::Set(Elem::Num) => "a set of numbers".into(),
            Ty::Set(Elem::Enum(slot)) => match self.fields.get(slot) {
                Some(f) => format!("a set of values of `{}`", f.name),
                None => "a set".into(),
            },
            Ty::Program => "a program".into(),
            Ty::Date => "a date".into(),
        }
    }

    fn mk(file: FileId, span: Span, ty: Ty, kind: ExprKind) -> Expr {
        Expr {
            kind,
            ty,
            file,
            span,
        }
    }
}

/// The key a clause is known by, for duplicate and placement checks.
fn clause_key(c: &Clause) -> String {
    match c {
        Clause::Script { .. } => "script".into(),
        Clause::When {
            qualifier: Some(q), ..
        } => q.name.clone(),
        Clause::When {
            qualifier: None, ..
        } => "when".into(),
        Clause::Caseload { .. } => "caseload".into(),
        Clause::Services { .. } => "services".into(),
        Clause::Value { .. } => "value".into(),
        // Each date is its own clause; the same date twice is a duplicate.
        Clause::From { date, .. } => format!("from {date}"),
        Clause::Attr { key, .. } => key.name.clone(),
    }
}

fn clause_span(c: &Clause) -> Span {
    match c {
        Clause::When { span, .. }
        | Clause::Script { span, .. }
        | Clause::Caseload { span, .. }
        | Clause::Services { span, .. }
        | Clause::Value { span, .. }
        | Clause::From { span, .. }
        | Clause::Attr { span, .. } => *span,
    }
}

/// The span of a clause's first word.
fn clause_head(c: &Clause) -> Span {
    match c {
        Clause::When {
            qualifier: Some(q), ..
        } => q.span,
        Clause::Attr { key, .. } => key.span,
        other => {
            let s = clause_span(other);
            Span::new(s.start, s.start + clause_key(other).len())
        }
    }
}

fn attr_text(v: &AttrValue) -> String {
    match v {
        AttrValue::Text(t) => t.value.clone(),
        AttrValue::Number(n) => n.text.clone(),
        AttrValue::Word(w) => w.name.clone(),
    }
}
