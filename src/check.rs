//! Step two: syntax trees → checked rule set.
//!
//! Resolves every name (fields, parameters, definitions, enumeration values,
//! outcome ids), types every expression, checks each block has the clauses
//! its kind needs, and orders the outcomes so that each is evaluated after
//! what it reads, rejecting cycles. It reports every problem it finds, not
//! only the first.

use crate::decimal;
use crate::diagnostic::{FileId, Report, Span, did_you_mean};
use crate::ir::{self, Elem, Expr, ExprKind, FieldType, Lit, Meta, Node, ProgramRef, Ty};
use crate::syntax::ast::{self, AttrValue, BlockKind, Clause, LimitBound};
use indexmap::{IndexMap, IndexSet};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Names an expression may not use for a field or definition.
const RESERVED: &[&str] = &[
    "recommended",
    "schema",
    "program",
    "referral",
    "warning",
    "parameter",
    "define",
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
    functions: Vec<Option<ir::Function>>,
    sandbox: Option<rhai::Engine>,
    // Checked items, by index (None where a block failed to check).
    defines: Vec<Option<ir::Define>>,
    programs: Vec<Option<ir::Program>>,
    referrals: Vec<Option<ir::Referral>>,
    warnings: Vec<Option<ir::Warning>>,
    define_types: Vec<Option<Ty>>,
    /// Whether each definition is a `parameter` (a constant).
    define_is_parameter: Vec<bool>,
    rule_order: Vec<Node>,
    eval_order: Vec<Node>,
    // What each node reads.
    deps: HashMap<Node, Vec<Node>>,
    /// The first checked program of each intensity.
    intensities: HashMap<i64, usize>,
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
    fn limit_error(&mut self, code: &'static str, file: FileId, span: Span, message: String) {
        self.over_limit = true;
        if !self.errors.iter().any(|e| e.code == code) {
            let help = match code {
                "too-many-values" => "a long list of codes is a `set of text` field",
                _ => "split the policy into smaller rule sets",
            };
            self.err(Report::error(code, file, span, message).help(help));
        }
    }

    /// First pass: the schema and every block's id, so that blocks may refer
    /// to each other in any order.
    fn declare(&mut self, files: &[(FileId, ast::File)]) {
        let mut items = 0usize;
        for (file, ast) in files {
            for item in &ast.items {
                items += 1;
                if items > self.limits.max_items {
                    let span = match item {
                        ast::Item::Schema(s) => Span::new(s.span.start, s.span.start),
                        ast::Item::Block(b) => b.id.span,
                        ast::Item::Function(f) => f.name.span,
                    };
                    let max = self.limits.max_items;
                    self.limit_error(
                        "too-many-items",
                        *file,
                        span,
                        format!(
                            "the rule set has more than {max} items (schemas, blocks and functions)"
                        ),
                    );
                    return;
                }
                if self.stopped() {
                    return;
                }
                match item {
                    ast::Item::Function(f) => {
                        if let Some((pf, ps)) = self.function_ids.get(&f.name.name).copied() {
                            let prev = self.place(pf, ps);
                            self.err(
                                Report::error(
                                    "duplicate-id",
                                    *file,
                                    f.name.span,
                                    format!("function `{}` is defined twice", f.name.name),
                                )
                                .help(format!("the first is at {prev}")),
                            );
                        } else if FUNCTIONS.contains(&f.name.name.as_str())
                            || RESERVED.contains(&f.name.name.as_str())
                        {
                            self.err(
                                Report::error(
                                    "reserved-name",
                                    *file,
                                    f.name.span,
                                    format!("`{}` is a built-in function", f.name.name),
                                )
                                .help("choose another name"),
                            );
                        } else {
                            self.function_ids
                                .insert(f.name.name.clone(), (*file, f.name.span));
                        }
                    }
                    ast::Item::Schema(s) => {
                        for f in &s.fields {
                            self.field(*file, f);
                        }
                    }
                    ast::Item::Block(b) => {
                        let table = match b.kind {
                            BlockKind::Program => &mut self.program_ids,
                            BlockKind::Referral => &mut self.referral_ids,
                            BlockKind::Warning => &mut self.warning_ids,
                            BlockKind::Parameter | BlockKind::Define => &mut self.define_ids,
                        };
                        if let Some((pf, ps)) = table.get(&b.id.name).copied() {
                            let prev = self.place(pf, ps);
                            self.err(
                                Report::error(
                                    "duplicate-id",
                                    *file,
                                    b.id.span,
                                    format!(
                                        "{} `{}` is defined twice",
                                        b.kind.keyword(),
                                        b.id.name
                                    ),
                                )
                                .label("second definition")
                                .help(format!("the first is at {prev}; ids must be unique")),
                            );
                            continue;
                        }
                        if matches!(
                            b.kind,
                            BlockKind::Program | BlockKind::Referral | BlockKind::Warning
                        ) && matches!(b.id.name.as_str(), "recommended" | "any" | "none")
                        {
                            self.err(
                                Report::error(
                                    "reserved-name",
                                    *file,
                                    b.id.span,
                                    format!("`{}` is a reserved word", b.id.name),
                                )
                                .help("outcome tests use it (`caseload_full(recommended)`); choose another id"),
                            );
                            continue;
                        }
                        table.insert(b.id.name.clone(), (*file, b.id.span));
                        match b.kind {
                            BlockKind::Program => self
                                .rule_order
                                .push(Node::Program(self.program_ids.len() - 1)),
                            BlockKind::Referral => self
                                .rule_order
                                .push(Node::Referral(self.referral_ids.len() - 1)),
                            BlockKind::Warning => self
                                .rule_order
                                .push(Node::Warning(self.warning_ids.len() - 1)),
                            BlockKind::Parameter | BlockKind::Define => {
                                let ix = self.define_ids.len() - 1;
                                self.define_is_parameter
                                    .push(b.kind == BlockKind::Parameter);
                                if let Some(Binding::Field(slot)) =
                                    self.names.get(&b.id.name).copied()
                                {
                                    let (ff, fs) = self
                                        .fields
                                        .get(slot)
                                        .map(|f| (f.file, f.span))
                                        .unwrap_or_default();
                                    let prev = self.place(ff, fs);
                                    self.err(
                                        Report::error(
                                            "duplicate-id",
                                            *file,
                                            b.id.span,
                                            format!(
                                                "`{}` is already a field of the schema",
                                                b.id.name
                                            ),
                                        )
                                        .help(format!(
                                            "the field is declared at {prev}; choose another name"
                                        )),
                                    );
                                } else {
                                    self.check_reserved(*file, &b.id);
                                    self.names.insert(b.id.name.clone(), Binding::Define(ix));
                                }
                            }
                        }
                    }
                }
            }
        }
        self.functions = vec![None; self.function_ids.len()];
        self.defines = vec![None; self.define_ids.len()];
        self.define_types = vec![None; self.define_ids.len()];
        self.programs = vec![None; self.program_ids.len()];
        self.referrals = vec![None; self.referral_ids.len()];
        self.warnings = vec![None; self.warning_ids.len()];
    }

    /// `file:line` of an earlier declaration, for "defined twice" hints.
    fn place(&self, file: FileId, span: Span) -> String {
        let l = self.sources.locate(file, span);
        format!("{}:{}:{}", l.file, l.line, l.column)
    }

    fn check_reserved(&mut self, file: FileId, id: &ast::Ident) {
        if RESERVED.contains(&id.name.as_str()) || FUNCTIONS.contains(&id.name.as_str()) {
            self.err(
                Report::error(
                    "reserved-name",
                    file,
                    id.span,
                    format!("`{}` is a reserved word", id.name),
                )
                .help("choose another name"),
            );
        }
    }

    fn number(&mut self, file: FileId, n: &ast::NumberLit) -> Option<Decimal> {
        let d = decimal::parse_literal(&n.text);
        if d.is_none() {
            self.err(
                Report::error(
                    "bad-number",
                    file,
                    n.span,
                    format!("`{}` is not a number careplan can hold exactly", n.text),
                )
                .help("numbers have at most 28 significant digits"),
            );
        }
        d
    }

    fn field(&mut self, file: FileId, f: &ast::FieldDecl) {
        if self.fields.len() >= self.limits.max_fields {
            let max = self.limits.max_fields;
            self.limit_error(
                "too-many-fields",
                file,
                f.name.span,
                format!("the schema has more than {max} fields"),
            );
            return;
        }
        if self.stopped() {
            return;
        }
        if let Some(Binding::Field(slot)) = self.names.get(&f.name.name).copied() {
            let (pf, ps) = self
                .fields
                .get(slot)
                .map(|p| (p.file, p.span))
                .unwrap_or_default();
            let prev = self.place(pf, ps);
            self.err(
                Report::error(
                    "duplicate-field",
                    file,
                    f.name.span,
                    format!("field `{}` is declared twice", f.name.name),
                )
                .help(format!("the first is at {prev}")),
            );
            return;
        }
        self.check_reserved(file, &f.name);
        let ty = match &f.ty {
            ast::TypeExpr::Scalar(ast::ScalarType::Integer, _) => FieldType::Integer,
            ast::TypeExpr::Scalar(ast::ScalarType::Decimal, _) => FieldType::Decimal,
            ast::TypeExpr::Scalar(ast::ScalarType::Boolean, _) => FieldType::Boolean,
            ast::TypeExpr::Scalar(ast::ScalarType::Text, _) => FieldType::Text,
            ast::TypeExpr::SetOfText(_) => FieldType::SetOfText,
            ast::TypeExpr::OneOf(values, _) => FieldType::Enum(self.enum_values(file, values)),
            ast::TypeExpr::SetOfEnum(values, _) => {
                FieldType::SetOfEnum(self.enum_values(file, values))
            }
        };
        let (mut min, mut max) = (None, None);
        if let Some(c) = &f.constraint {
            let numeric = matches!(ty, FieldType::Integer | FieldType::Decimal);
            let span = match c {
                ast::Constraint::Between(a, b) => a.span.to(b.span),
                ast::Constraint::AtLeast(a) | ast::Constraint::AtMost(a) => a.span,
            };
            if !numeric {
                self.err(
                    Report::error(
                        "bad-range",
                        file,
                        span,
                        format!(
                            "field `{}` is {}, so it cannot have a numeric range",
                            f.name.name,
                            ty.describe()
                        ),
                    )
                    .help("ranges apply to `integer` and `decimal` fields"),
                );
            }
            match c {
                ast::Constraint::Between(a, b) => {
                    min = self.number(file, a);
                    max = self.number(file, b);
                    if let (Some(lo), Some(hi)) = (min, max) {
                        if lo > hi {
                            self.err(
                                Report::error(
                                    "bad-range",
                                    file,
                                    span,
                                    format!("the range {lo} to {hi} is empty"),
                                )
                                .help("write the smaller bound first"),
                            );
                        }
                    }
                }
                ast::Constraint::AtLeast(a) => min = self.number(file, a),
                ast::Constraint::AtMost(a) => max = self.number(file, a),
            }
        }
        let slot = self.fields.len();
        self.names.insert(f.name.name.clone(), Binding::Field(slot));
        self.fields.push(ir::Field {
            name: f.name.name.clone(),
            ty,
            min,
            max,
            required: f.required,
            doc: f.doc.as_ref().map(|d| d.value.clone()),
            file,
            span: f.span,
        });
    }

    fn enum_values(&mut self, file: FileId, values: &[ast::Ident]) -> Vec<String> {
        let max = self.limits.max_enum_values;
        if let Some(first_over) = values.get(max) {
            self.limit_error(
                "too-many-values",
                file,
                first_over.span,
                format!(
                    "this enumeration has {} values, more than the limit of {max}",
                    values.len()
                ),
            );
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for v in values {
            if out.contains(&v.name) {
                self.err(Report::error(
                    "duplicate-value",
                    file,
                    v.span,
                    format!("enumeration value `{}` is listed twice", v.name),
                ));
            } else {
                out.push(v.name.clone());
            }
        }
        out
    }

    /// Second pass: check every block.
    fn resolve_all(&mut self, files: &[(FileId, ast::File)]) {
        // Parameters and definitions first, so that their types are known
        // when outcomes read them; a definition may read another declared
        // earlier or later, so resolve them until no more types settle.
        for (file, ast) in files {
            for item in &ast.items {
                if let ast::Item::Function(f) = item {
                    self.function(*file, f);
                }
            }
        }
        let mut pending: Vec<(FileId, &ast::Block)> = Vec::new();
        for (file, ast) in files {
            for item in &ast.items {
                if let ast::Item::Block(b) = item {
                    if matches!(b.kind, BlockKind::Parameter | BlockKind::Define) {
                        pending.push((*file, b));
                    }
                }
            }
        }
        // Definitions can depend on each other: check each once every
        // definition it names has a type. A worklist, not repeated passes
        // over what is left: passes take time quadratic in the length of a
        // chain of definitions written in reverse order.
        let mut waiting_on: Vec<usize> = Vec::with_capacity(pending.len());
        let mut readers: HashMap<usize, Vec<usize>> = HashMap::new();
        for (k, (_, b)) in pending.iter().enumerate() {
            let named = self.define_deps(b);
            waiting_on.push(named.len());
            for d in named {
                readers.entry(d).or_default().push(k);
            }
        }
        let mut ready: std::collections::VecDeque<usize> = (0..pending.len())
            .filter(|&k| waiting_on.get(k) == Some(&0))
            .collect();
        let mut done = vec![false; pending.len()];
        while let Some(k) = ready.pop_front() {
            if self.stopped() {
                return;
            }
            let Some(&(file, b)) = pending.get(k) else {
                continue;
            };
            if let Some(flag) = done.get_mut(k) {
                *flag = true;
            }
            self.define(file, b);
            let typed = self
                .index(b)
                .filter(|&ix| self.define_types.get(ix).is_some_and(Option::is_some));
            for r in typed.and_then(|ix| readers.remove(&ix)).unwrap_or_default() {
                if let Some(w) = waiting_on.get_mut(r) {
                    *w = w.saturating_sub(1);
                    if *w == 0 {
                        ready.push_back(r);
                    }
                }
            }
        }
        // What is left reads itself through a cycle, or reads a definition
        // that failed: check anyway so the cycle is reported by `order`, and
        // unresolvable names get errors.
        for (k, (file, b)) in pending.iter().enumerate() {
            if self.stopped() {
                return;
            }
            if !done.get(k).copied().unwrap_or(true) {
                self.define(*file, b);
            }
        }
        for (file, ast) in files {
            for item in &ast.items {
                if let ast::Item::Block(b) = item {
                    match b.kind {
                        BlockKind::Program => self.program(*file, b),
                        BlockKind::Referral => self.referral(*file, b),
                        BlockKind::Warning => self.warning(*file, b),
                        BlockKind::Parameter | BlockKind::Define => {}
                    }
                }
            }
        }
    }

    /// The definitions a block's value names, each once.
    fn define_deps(&self, b: &ast::Block) -> Vec<usize> {
        let mut names = Vec::new();
        for c in &b.clauses {
            if let Clause::Value { value, .. } = c {
                collect_names(value, &mut names);
            }
        }
        let mut seen = std::collections::HashSet::new();
        names
            .iter()
            .filter_map(|n| match self.names.get(*n) {
                Some(Binding::Define(i)) => Some(*i),
                _ => None,
            })
            .filter(|i| seen.insert(*i))
            .collect()
    }

    fn index(&self, b: &ast::Block) -> Option<usize> {
        let table = match b.kind {
            BlockKind::Program => &self.program_ids,
            BlockKind::Referral => &self.referral_ids,
            BlockKind::Warning => &self.warning_ids,
            BlockKind::Parameter | BlockKind::Define => &self.define_ids,
        };
        // Only the first block with an id was declared; a duplicate (already
        // reported) is skipped by comparing its span.
        table
            .get_full(&b.id.name)
            .filter(|(_, _, (_, span))| *span == b.id.span)
            .map(|(i, _, _)| i)
    }

    /// Reads the metadata clauses every kind shares, and returns the rest.
    fn meta<'b>(
        &mut self,
        file: FileId,
        b: &'b ast::Block,
        allowed: &[&str],
    ) -> (Meta, Vec<&'b Clause>) {
        let mut meta = Meta {
            id: b.id.name.clone(),
            title: b.title.as_ref().map(|t| t.value.clone()),
            evidence: None,
            source: None,
            note: None,
            file,
            span: b.span,
        };
        let mut rest = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for c in &b.clauses {
            let key = clause_key(c);
            if let Some(prev) = seen.insert(key.clone(), clause_span(c)) {
                let _ = prev;
                self.err(
                    Report::error(
                        "duplicate-clause",
                        file,
                        clause_span(c),
                        format!(
                            "`{key}` is given twice in {} `{}`",
                            b.kind.keyword(),
                            b.id.name
                        ),
                    )
                    .help("keep one"),
                );
                continue;
            }
            match c {
                Clause::Attr { key, value, .. }
                    if matches!(key.name.as_str(), "evidence" | "source" | "note") =>
                {
                    self.metadata(file, &key.name, value, &mut meta);
                }
                // Each kind checks the word before `when` itself, with a
                // message about priorities or `eligible`.
                Clause::When { .. } => rest.push(c),
                _ => {
                    if !allowed.contains(&key.as_str()) {
                        let mut all: Vec<&str> = allowed.to_vec();
                        all.extend(["evidence", "source", "note"]);
                        let mut r = Report::error(
                            "bad-clause",
                            file,
                            clause_head(c),
                            format!("`{key}` does not belong in a {}", b.kind.keyword()),
                        );
                        r = match did_you_mean(&key, all.iter().copied()) {
                            Some(s) => r.help(format!("did you mean `{s}`?")),
                            None => {
                                r.help(format!("a {} takes {}", b.kind.keyword(), all.join(", ")))
                            }
                        };
                        self.err(r);
                    } else {
                        rest.push(c);
                    }
                }
            }
        }
        (meta, rest)
    }

    fn function(&mut self, file: FileId, f: &ast::Function) {
        let Some(ix) = self
            .function_ids
            .get_full(&f.name.name)
            .filter(|(_, _, (_, span))| *span == f.name.span)
            .map(|(i, _, _)| i)
        else {
            return;
        };
        let scalar_ty = |t: ast::ScalarType| match t {
            ast::ScalarType::Integer | ast::ScalarType::Decimal => Ty::Num,
            ast::ScalarType::Boolean => Ty::Bool,
            ast::ScalarType::Text => Ty::Text,
        };
        let mut params = Vec::new();
        let mut names: Vec<String> = Vec::new();
        // The names seen, so that a long parameter list checks in linear
        // time.
        let mut seen = std::collections::HashSet::new();
        for p in &f.params {
            if !seen.insert(p.name.name.as_str()) {
                self.err(Report::error(
                    "duplicate-param",
                    file,
                    p.name.span,
                    format!("parameter `{}` is listed twice", p.name.name),
                ));
                return;
            }
            names.push(p.name.name.clone());
            params.push(match (p.set, p.ty) {
                (false, t) => scalar_ty(t),
                (true, ast::ScalarType::Text) => Ty::Set(Elem::Text),
                (true, _) => {
                    self.err(
                        Report::error("bad-type", file, p.span, "a set parameter holds text")
                            .help("write `name: set of text`; enumeration sets arrive as their values' names"),
                    );
                    return;
                }
            });
        }
        let returns = match f.returns {
            ast::ScalarType::Integer => crate::script::Returns::Integer,
            ast::ScalarType::Decimal => crate::script::Returns::Decimal,
            ast::ScalarType::Boolean => crate::script::Returns::Boolean,
            ast::ScalarType::Text => crate::script::Returns::Text,
        };
        let mut meta = Meta {
            id: f.name.name.clone(),
            title: f.title.as_ref().map(|t| t.value.clone()),
            evidence: None,
            source: None,
            note: None,
            file,
            span: f.span,
        };
        let mut script = None;
        for c in &f.clauses {
            match c {
                Clause::Script {
                    code,
                    code_start,
                    span,
                    ..
                } => {
                    if script.is_some() {
                        self.err(
                            Report::error(
                                "duplicate-clause",
                                file,
                                *span,
                                "`script` is given twice",
                            )
                            .help("keep one"),
                        );
                        continue;
                    }
                    let engine = self.sandbox.get_or_insert_with(crate::script::sandbox);
                    // A `decimal` parameter must reach the script as a rhai
                    // Decimal even when whole (`v.ceiling()`, `v / 2`).
                    let typed = names.iter().cloned().zip(f.params.iter().map(|p| {
                        use crate::script::Param;
                        match (p.set, p.ty) {
                            (false, ast::ScalarType::Integer) => Param::Integer,
                            (false, ast::ScalarType::Decimal) => Param::Decimal,
                            _ => Param::AsIs,
                        }
                    }));
                    match crate::script::compile_typed(engine, typed.collect(), returns, code) {
                        Ok(s) => script = Some(s),
                        Err((message, pos)) => {
                            let at = pos
                                .and_then(|(line, col)| script_offset(code, line, col))
                                .map_or(*code_start, |o| code_start + o);
                            self.err(
                                Report::error(
                                    "script-error",
                                    file,
                                    Span::new(at, at + 1),
                                    format!("in function `{}`: {message}", f.name.name),
                                )
                                .label("here")
                                .help("the script is rhai; see docs/language.md, Functions"),
                            );
                            return;
                        }
                    }
                }
                Clause::Attr { key, value, .. }
                    if matches!(key.name.as_str(), "source" | "note" | "evidence") =>
                {
                    self.metadata(file, &key.name, value, &mut meta);
                }
                other => {
                    let key = clause_key(other);
                    self.err(
                        Report::error(
                            "bad-clause",
                            file,
                            clause_head(other),
                            format!("`{key}` does not belong in a function"),
                        )
                        .help("a function takes script, evidence, source, note"),
                    );
                }
            }
        }
        let Some(script) = script else {
            if !f.clauses.iter().any(|c| matches!(c, Clause::Script { .. })) {
                self.err(
                    Report::error(
                        "missing-clause",
                        file,
                        f.name.span,
                        format!("function `{}` has no script", f.name.name),
                    )
                    .help("add `script: \"\"\" … \"\"\"`"),
                );
            }
            return;
        };
        if let Some(slot) = self.functions.get_mut(ix) {
            *slot = Some(ir::Function {
                meta,
                params,
                returns: scalar_ty(f.returns),
                script,
            });
        }
    }

    /// Reads `evidence`, `source` or `note` into the metadata of a block or
    /// function.
    fn metadata(&mut self, file: FileId, key: &str, value: &AttrValue, meta: &mut Meta) {
        match (key, value) {
            ("evidence", AttrValue::Word(w)) if EVIDENCE.contains(&w.name.as_str()) => {
                meta.evidence = Some(w.name.clone());
            }
            ("evidence", v) => {
                let shown = attr_text(v);
                let mut r = Report::error(
                    "bad-evidence",
                    file,
                    v.span(),
                    format!("`{shown}` is not an evidence grade"),
                )
                .help(format!("use one of {}", EVIDENCE.join(", ")));
                if let Some(s) = did_you_mean(&shown, EVIDENCE.iter().copied()) {
                    r = r.help(format!(
                        "did you mean `{s}`? grades are {}",
                        EVIDENCE.join(", ")
                    ));
                }
                self.err(r);
            }
            (k, AttrValue::Text(t)) => {
                if k == "source" {
                    meta.source = Some(t.value.clone());
                } else {
                    meta.note = Some(t.value.clone());
                }
            }
            (k, v) => self.err(
                Report::error(
                    "bad-clause",
                    file,
                    v.span(),
                    format!("`{k}` takes a string"),
                )
                .help(format!("write `{k}: \"…\"`")),
            ),
        }
    }

    fn missing(&mut self, file: FileId, b: &ast::Block, what: &str, example: &str) {
        self.err(
            Report::error(
                "missing-clause",
                file,
                b.id.span,
                format!("{} `{}` has no {what}", b.kind.keyword(), b.id.name),
            )
            .help(format!("add `{example}`")),
        );
    }

    fn define(&mut self, file: FileId, b: &ast::Block) {
        let Some(ix) = self.index(b) else { return };
        if self.defines.get(ix).is_some_and(Option::is_some) {
            return;
        }
        let is_parameter = b.kind == BlockKind::Parameter;
        let (meta, rest) = self.meta(file, b, &["value"]);
        let mut value = None;
        for c in rest {
            if let Clause::Value { value: v, .. } = c {
                value = self.expr(file, v, None);
                if is_parameter {
                    if let Some(v) = &value {
                        if let Some(span) = reads_profile(v, &self.define_is_parameter) {
                            self.err(
                                Report::error(
                                    "parameter-reads-profile",
                                    file,
                                    span,
                                    format!("parameter `{}` must be a constant, but this reads the profile", b.id.name),
                                )
                                .help("use `define` for a value computed from the profile"),
                            );
                        }
                    }
                }
            }
        }
        let Some(value) = value else {
            if !b.clauses.iter().any(|c| matches!(c, Clause::Value { .. })) {
                self.missing(file, b, "value", "value: …");
            }
            return;
        };
        if let Some(t) = self.define_types.get_mut(ix) {
            *t = Some(value.ty);
        }
        let mut deps = Vec::new();
        collect_deps(&value, &mut deps);
        self.deps.insert(Node::Define(ix), deps);
        if let Some(slot) = self.defines.get_mut(ix) {
            *slot = Some(ir::Define {
                meta,
                is_parameter,
                value,
            });
        }
    }

    fn condition(&mut self, file: FileId, e: &ast::Expr) -> Option<Expr> {
        let x = self.expr(file, e, Some(Ty::Bool))?;
        if x.ty != Ty::Bool {
            self.err(
                Report::error(
                    "not-a-condition",
                    file,
                    e.span,
                    format!(
                        "a condition must be true or false, but this is {}",
                        self.ty_name(x.ty)
                    ),
                )
                .help("compare it: `x >= 3`, `x is y`, `a in s`"),
            );
            return None;
        }
        Some(x)
    }

    fn program(&mut self, file: FileId, b: &ast::Block) {
        let Some(ix) = self.index(b) else { return };
        let (meta, rest) = self.meta(file, b, &["eligible", "intensity", "caseload", "services"]);
        let mut eligible = None;
        let mut intensity = None;
        let mut caseload_limit = None;
        let mut services = Vec::new();
        for c in rest {
            match c {
                Clause::When { condition, .. } => eligible = self.condition(file, condition),
                Clause::Attr { value, .. } => match value {
                    AttrValue::Number(n) => {
                        intensity = self.number(file, n).and_then(|d| {
                            let i = decimal::to_i64(d);
                            if i.is_none() {
                                self.err(
                                    Report::error(
                                        "bad-intensity",
                                        file,
                                        n.span,
                                        "intensity must be a whole number",
                                    )
                                    .help("write e.g. `intensity: 3`; higher is more intensive"),
                                );
                            }
                            i
                        })
                    }
                    v => self.err(
                        Report::error(
                            "bad-intensity",
                            file,
                            v.span(),
                            "intensity must be a whole number",
                        )
                        .help("write e.g. `intensity: 3`; higher is more intensive"),
                    ),
                },
                Clause::Caseload { bound, limit, .. } => {
                    if let Some(n) = self.number(file, limit) {
                        let lim = decimal::to_i64(n).and_then(|n| u64::try_from(n).ok());
                        match (lim, bound) {
                            (Some(n), LimitBound::AtMost) => caseload_limit = Some(n),
                            (Some(n), LimitBound::FewerThan) if n >= 1 => {
                                caseload_limit = Some(n - 1)
                            }
                            _ => self.err(
                                Report::error(
                                    "bad-caseload",
                                    file,
                                    limit.span,
                                    "a caseload limit allows at least one client",
                                )
                                .help("write `caseload: at most 10` or `caseload: fewer than 20`"),
                            ),
                        }
                    }
                }
                Clause::Services { services: s, .. } => {
                    let mut listed = std::collections::HashSet::new();
                    for id in s {
                        if !listed.insert(id.name.as_str()) {
                            self.err(Report::error(
                                "duplicate-service",
                                file,
                                id.span,
                                format!("service `{}` is listed twice", id.name),
                            ));
                        } else {
                            services.push(id.name.clone());
                        }
                    }
                }
                Clause::Value { .. } | Clause::Script { .. } => {}
            }
        }
        if let Some(Clause::When { qualifier, .. }) =
            b.clauses.iter().find(|c| matches!(c, Clause::When { .. }))
        {
            if qualifier.as_ref().is_none_or(|q| q.name != "eligible") {
                let span = qualifier.as_ref().map_or(b.id.span, |q| q.span);
                self.err(
                    Report::error(
                        "bad-clause",
                        file,
                        span,
                        "a program's condition is written `eligible when …`",
                    )
                    .help("write `eligible when <condition>`"),
                );
            }
        }
        if !b.clauses.iter().any(|c| matches!(c, Clause::When { .. })) {
            self.missing(file, b, "eligibility condition", "eligible when …");
        }
        if !b.clauses.iter().any(|c| clause_key(c) == "intensity") {
            self.missing(file, b, "intensity", "intensity: 1");
        }
        let (Some(eligible), Some(intensity)) = (eligible, intensity) else {
            return;
        };
        // A map, not a search of the programs checked so far: that would
        // take time quadratic in the number of programs.
        let first = *self.intensities.entry(intensity).or_insert(ix);
        if let Some(other) = (first != ix)
            .then(|| self.programs.get(first))
            .flatten()
            .and_then(Option::as_ref)
        {
            let other = other.meta.id.clone();
            self.err(
                Report::error(
                    "duplicate-intensity",
                    file,
                    b.id.span,
                    format!("programs `{other}` and `{}` have the same intensity {intensity}", b.id.name),
                )
                .help("the recommended program is the most intensive eligible one, so intensities must differ"),
            );
        }
        let mut deps = Vec::new();
        collect_deps(&eligible, &mut deps);
        self.deps.insert(Node::Program(ix), deps);
        if let Some(slot) = self.programs.get_mut(ix) {
            *slot = Some(ir::Program {
                meta,
                intensity,
                eligible,
                caseload_limit,
                services,
            });
        }
    }

    fn referral(&mut self, file: FileId, b: &ast::Block) {
        let Some(ix) = self.index(b) else { return };
        let (meta, rest) = self.meta(file, b, &["urgent", "routine"]);
        let mut triggers = Vec::new();
        for c in rest {
            if let Clause::When {
                qualifier,
                condition,
                ..
            } = c
            {
                let priority = match qualifier.as_ref().map(|q| q.name.as_str()) {
                    Some("urgent") => ir::Priority::Urgent,
                    Some("routine") => ir::Priority::Routine,
                    _ => continue,
                };
                if let Some(cond) = self.condition(file, condition) {
                    triggers.push((priority, cond));
                }
            }
        }
        for c in &b.clauses {
            if let Clause::When {
                qualifier, span, ..
            } = c
            {
                let q = qualifier.as_ref().map(|q| q.name.as_str());
                if !matches!(q, Some("urgent" | "routine")) {
                    let span = qualifier.as_ref().map_or(*span, |q| q.span);
                    let mut r = Report::error(
                        "bad-priority",
                        file,
                        span,
                        "a referral's condition starts with its priority: `urgent when …` or `routine when …`",
                    );
                    if let Some(s) = q.and_then(|q| did_you_mean(q, ["urgent", "routine"])) {
                        r = r.help(format!("did you mean `{s}`?"));
                    }
                    self.err(r);
                }
            }
        }
        if triggers.is_empty() {
            if !b.clauses.iter().any(|c| matches!(c, Clause::When { .. })) {
                self.missing(file, b, "trigger", "routine when …");
            }
            return;
        }
        triggers.sort_by_key(|(p, _)| std::cmp::Reverse(*p));
        let mut deps = Vec::new();
        for (_, t) in &triggers {
            collect_deps(t, &mut deps);
        }
        self.deps.insert(Node::Referral(ix), deps);
        if let Some(slot) = self.referrals.get_mut(ix) {
            *slot = Some(ir::Referral { meta, triggers });
        }
    }

    fn warning(&mut self, file: FileId, b: &ast::Block) {
        let Some(ix) = self.index(b) else { return };
        let (meta, rest) = self.meta(file, b, &["when", "severity", "message"]);
        let mut when = None;
        let mut severity = None;
        let mut message = None;
        for c in rest {
            match c {
                Clause::When {
                    condition,
                    qualifier,
                    ..
                } => {
                    if let Some(q) = qualifier {
                        self.err(
                            Report::error(
                                "bad-clause",
                                file,
                                q.span,
                                "a warning's condition is written `when …`",
                            )
                            .help(format!(
                                "remove `{}`; a warning's weight is its `severity`",
                                q.name
                            )),
                        );
                    }
                    when = self.condition(file, condition);
                }
                Clause::Attr { key, value, .. } if key.name == "severity" => {
                    let word = attr_text(value);
                    severity = match word.as_str() {
                        "info" => Some(ir::Severity::Info),
                        "warning" => Some(ir::Severity::Warning),
                        "critical" => Some(ir::Severity::Critical),
                        _ => {
                            let mut r = Report::error(
                                "bad-severity",
                                file,
                                value.span(),
                                format!("`{word}` is not a severity"),
                            );
                            r = match did_you_mean(&word, ["info", "warning", "critical"]) {
                                Some(s) => r.help(format!("did you mean `{s}`?")),
                                None => r.help("use info, warning or critical"),
                            };
                            self.err(r);
                            None
                        }
                    }
                }
                Clause::Attr { value, .. } => match value {
                    AttrValue::Text(t) => message = Some(t.value.clone()),
                    v => self.err(
                        Report::error("bad-clause", file, v.span(), "a message is a string")
                            .help("write `message: \"…\"`"),
                    ),
                },
                _ => {}
            }
        }
        let has = |k: &str| b.clauses.iter().any(|c| clause_key(c) == k);
        if !b.clauses.iter().any(|c| matches!(c, Clause::When { .. })) {
            self.missing(file, b, "condition", "when …");
        }
        if !has("severity") {
            self.missing(file, b, "severity", "severity: warning");
        }
        if !has("message") {
            self.missing(file, b, "message", "message: \"…\"");
        }
        let (Some(when), Some(severity), Some(message)) = (when, severity, message) else {
            return;
        };
        let mut deps = Vec::new();
        collect_deps(&when, &mut deps);
        self.deps.insert(Node::Warning(ix), deps);
        if let Some(slot) = self.warnings.get_mut(ix) {
            *slot = Some(ir::Warning {
                meta,
                severity,
                message,
                when,
            });
        }
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

    /// Whether a name would resolve without a hint.
    fn is_free_name(&self, e: &ast::Expr) -> bool {
        match &e.kind {
            ast::ExprKind::Name(n) => !self.names.contains_key(n) && n != "recommended",
            ast::ExprKind::Text(_) => true,
            ast::ExprKind::Set(items) => items.iter().all(|i| self.is_free_name(i)),
            ast::ExprKind::Paren(inner) => self.is_free_name(inner),
            _ => false,
        }
    }

    /// Checks an expression. `hint` is the type the context expects; it is
    /// how `homeless` resolves to a value of `housing` in `housing is
    /// homeless`.
    fn expr(&mut self, file: FileId, e: &ast::Expr, hint: Option<Ty>) -> Option<Expr> {
        use ast::ExprKind as A;
        let span = e.span;
        match &e.kind {
            A::Number(n) => {
                let d = self.number(file, n)?;
                Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(d))))
            }
            A::Percent(n) => {
                let d = self.number(file, n)?;
                let d = d.checked_div(Decimal::ONE_HUNDRED)?;
                Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(d))))
            }
            A::Bool(b) => Some(Self::mk(file, span, Ty::Bool, ExprKind::Lit(Lit::Bool(*b)))),
            A::None => {
                // `insurance is none`: an enumeration may have a value
                // spelled like the keyword.
                if let Some(Ty::Enum(slot)) = hint {
                    return self.enum_value(file, span, slot, "none", false);
                }
                if hint != Some(Ty::Program) {
                    self.err(
                        Report::error("bad-none", file, span, "`none` is only compared with `recommended`")
                            .help("to test for missing data write `x is unknown`; for an enumeration value named `none`, compare the field: `insurance is none`"),
                    );
                    return None;
                }
                Some(Self::mk(
                    file,
                    span,
                    Ty::Program,
                    ExprKind::Lit(Lit::Program(None)),
                ))
            }
            A::Text(s) => match hint {
                Some(Ty::Enum(slot)) => self.enum_value(file, span, slot, s, true),
                _ => {
                    let (sym, _) = self.symbols.insert_full(s.clone());
                    Some(Self::mk(
                        file,
                        span,
                        Ty::Text,
                        ExprKind::Lit(Lit::Text(sym)),
                    ))
                }
            },
            A::Name(n) => self.name(file, span, n, hint),
            A::Paren(inner) => {
                let mut x = self.expr(file, inner, hint)?;
                x.span = span;
                Some(x)
            }
            A::Neg(inner) => {
                let x = self.expr(file, inner, Some(Ty::Num))?;
                self.expect(file, &x, Ty::Num, "`-` applies to numbers")?;
                if let ExprKind::Lit(Lit::Num(d)) = x.kind {
                    return Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(-d))));
                }
                Some(Self::mk(file, span, Ty::Num, ExprKind::Neg(Box::new(x))))
            }
            A::Not(inner) => {
                let x = self.expr(file, inner, Some(Ty::Bool))?;
                self.expect(file, &x, Ty::Bool, "`not` applies to conditions")?;
                Some(Self::mk(file, span, Ty::Bool, ExprKind::Not(Box::new(x))))
            }
            A::And(parts) | A::Or(parts) => {
                let mut out = Vec::new();
                let mut ok = true;
                for p in parts {
                    match self.expr(file, p, Some(Ty::Bool)) {
                        Some(x) if x.ty == Ty::Bool => out.push(x),
                        Some(x) => {
                            let what = if matches!(e.kind, A::And(_)) {
                                "and"
                            } else {
                                "or"
                            };
                            let msg = format!(
                                "`{what}` joins conditions, but this is {}",
                                self.ty_name(x.ty)
                            );
                            self.err(
                                Report::error("type-mismatch", file, p.span, msg)
                                    .help("compare it: `x >= 3`, `x is y`"),
                            );
                            ok = false;
                        }
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                let kind = if matches!(e.kind, A::And(_)) {
                    ExprKind::And(out)
                } else {
                    ExprKind::Or(out)
                };
                Some(Self::mk(file, span, Ty::Bool, kind))
            }
            A::Arith { op, lhs, rhs } => {
                let l = self.expr(file, lhs, Some(Ty::Num));
                let r = self.expr(file, rhs, Some(Ty::Num));
                let (l, r) = (l?, r?);
                let sym = op.symbol();
                self.expect(file, &l, Ty::Num, &format!("`{sym}` applies to numbers"))?;
                self.expect(file, &r, Ty::Num, &format!("`{sym}` applies to numbers"))?;
                let op = match op {
                    ast::ArithOp::Add => ir::Arith::Add,
                    ast::ArithOp::Sub => ir::Arith::Sub,
                    ast::ArithOp::Mul | ast::ArithOp::Of => ir::Arith::Mul,
                    ast::ArithOp::Div => ir::Arith::Div,
                };
                if op == ir::Arith::Div
                    && matches!(r.kind, ExprKind::Lit(Lit::Num(d)) if d.is_zero())
                {
                    self.err(Report::error(
                        "division-by-zero",
                        file,
                        rhs.span,
                        "division by zero",
                    ));
                    return None;
                }
                // Fold constants, so that `138% of 15960` costs nothing.
                if let (ExprKind::Lit(Lit::Num(a)), ExprKind::Lit(Lit::Num(b))) = (&l.kind, &r.kind)
                {
                    match decimal::arith(op, *a, *b) {
                        Some(v) => {
                            return Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(v))));
                        }
                        None => {
                            self.err(Report::error(
                                "overflow",
                                file,
                                span,
                                "this calculation overflows an exact decimal",
                            ));
                            return None;
                        }
                    }
                }
                Some(Self::mk(
                    file,
                    span,
                    Ty::Num,
                    ExprKind::Arith(op, Box::new(l), Box::new(r)),
                ))
            }
            A::Compare { first, rest } => {
                let mut parts = Vec::new();
                let mut prev = first.as_ref();
                for (op, next) in rest {
                    parts.push(self.compare(file, prev, *op, next)?);
                    prev = next;
                }
                if parts.len() == 1 {
                    parts.pop()
                } else {
                    Some(Self::mk(file, span, Ty::Bool, ExprKind::And(parts)))
                }
            }
            A::Is { lhs, negated, rhs } => {
                let op = if *negated {
                    ast::CmpOp::Ne
                } else {
                    ast::CmpOp::Eq
                };
                let mut x = self.compare(file, lhs, op, rhs)?;
                x.span = span;
                Some(x)
            }
            A::IsKnown {
                operand,
                known,
                negated,
            } => {
                let x = self.expr(file, operand, None)?;
                let want_known = *known != *negated;
                Some(Self::mk(
                    file,
                    span,
                    Ty::Bool,
                    ExprKind::Known(Box::new(x), want_known),
                ))
            }
            A::In {
                element,
                negated,
                set,
            } => {
                let (el, st) = self.pair_with_set(file, element, set)?;
                let inner = Self::mk(
                    file,
                    span,
                    Ty::Bool,
                    ExprKind::In(Box::new(el), Box::new(st)),
                );
                Some(if *negated {
                    Self::mk(file, span, Ty::Bool, ExprKind::Not(Box::new(inner)))
                } else {
                    inner
                })
            }
            A::Has {
                set,
                quantifier,
                values,
            } => {
                let s = self.expr(file, set, None)?;
                let Ty::Set(elem) = s.ty else {
                    let msg = format!("`has` tests a set, but this is {}", self.ty_name(s.ty));
                    self.err(Report::error("type-mismatch", file, set.span, msg));
                    return None;
                };
                let v = self.expr(file, values, Some(Ty::Set(elem)))?;
                if v.ty != Ty::Set(elem) {
                    let msg = format!(
                        "expected {}, found {}",
                        self.ty_name(Ty::Set(elem)),
                        self.ty_name(v.ty)
                    );
                    self.err(
                        Report::error("type-mismatch", file, values.span, msg)
                            .help("write a set like `{a, b}`"),
                    );
                    return None;
                }
                let q = match quantifier {
                    ast::Quantifier::Any => ir::Quant::Any,
                    ast::Quantifier::All => ir::Quant::All,
                    ast::Quantifier::None => ir::Quant::None,
                };
                Some(Self::mk(
                    file,
                    span,
                    Ty::Bool,
                    ExprKind::Has(Box::new(s), q, Box::new(v)),
                ))
            }
            A::Set(items) => {
                let elem_hint = match hint {
                    Some(Ty::Set(e)) => Some(e.ty()),
                    _ => None,
                };
                let mut lits = Vec::new();
                // Duplicates are dropped; the set of those seen keeps a
                // long literal linear.
                let mut seen = std::collections::HashSet::new();
                let mut elem: Option<Elem> = match hint {
                    Some(Ty::Set(e)) => Some(e),
                    _ => None,
                };
                for it in items {
                    let x = self.expr(file, it, elem_hint.or(elem.map(Elem::ty)))?;
                    let this = match x.ty {
                        Ty::Text => Elem::Text,
                        Ty::Num => Elem::Num,
                        Ty::Enum(s) => Elem::Enum(s),
                        other => {
                            let msg = format!(
                                "a set holds text, numbers or enumeration values, not {}",
                                self.ty_name(other)
                            );
                            self.err(Report::error("type-mismatch", file, it.span, msg));
                            return None;
                        }
                    };
                    if let Some(e0) = elem {
                        if e0 != this {
                            let msg = format!(
                                "this set mixes {} with {}",
                                self.ty_name(e0.ty()),
                                self.ty_name(this.ty())
                            );
                            self.err(Report::error("type-mismatch", file, it.span, msg));
                            return None;
                        }
                    }
                    elem = Some(this);
                    let ExprKind::Lit(l) = x.kind else {
                        self.err(
                            Report::error(
                                "not-constant",
                                file,
                                it.span,
                                "a set literal holds constants only",
                            )
                            .help("compare the field with `or` instead"),
                        );
                        return None;
                    };
                    if seen.insert(l.clone()) {
                        lits.push(l);
                    }
                }
                let elem = elem.unwrap_or(Elem::Text);
                Some(Self::mk(file, span, Ty::Set(elem), ExprKind::SetLit(lits)))
            }
            A::Call { name, args } => self.call(file, span, name, args),
        }
    }

    fn expect(&mut self, file: FileId, x: &Expr, ty: Ty, what: &str) -> Option<()> {
        if x.ty == ty {
            return Some(());
        }
        let msg = format!("{what}, but this is {}", self.ty_name(x.ty));
        self.err(Report::error("type-mismatch", file, x.span, msg));
        None
    }

    fn enum_value(
        &mut self,
        file: FileId,
        span: Span,
        slot: usize,
        word: &str,
        quoted: bool,
    ) -> Option<Expr> {
        let field = self.fields.get(slot)?;
        let values = field.ty.values().unwrap_or(&[]);
        if let Some(i) = values.iter().position(|v| v == word) {
            return Some(Self::mk(
                file,
                span,
                Ty::Enum(slot),
                ExprKind::Lit(Lit::Enum(i)),
            ));
        }
        let fname = field.name.clone();
        let list = values.join(", ");
        let suggestion = did_you_mean(word, values.iter().map(String::as_str)).map(str::to_string);
        let shown = if quoted {
            format!("\"{word}\"")
        } else {
            word.to_string()
        };
        let mut r = Report::error(
            "unknown-value",
            file,
            span,
            format!("`{shown}` is not a value of `{fname}`"),
        )
        .label("not in the schema");
        r = match suggestion {
            Some(s) => r.help(format!("did you mean `{s}`? `{fname}` is one of {list}")),
            None => r.help(format!("`{fname}` is one of {list}")),
        };
        self.err(r);
        None
    }

    fn name(&mut self, file: FileId, span: Span, n: &str, hint: Option<Ty>) -> Option<Expr> {
        // Where the context expects a value of an enumeration (or a
        // program), a name that is one wins over a field of the same name:
        // in `housing in needs`, `housing` is the need, not the field.
        match hint {
            Some(Ty::Enum(slot)) => {
                let is_value = self
                    .fields
                    .get(slot)
                    .and_then(|f| f.ty.values())
                    .is_some_and(|v| v.iter().any(|x| x == n));
                if is_value {
                    return self.enum_value(file, span, slot, n, false);
                }
            }
            Some(Ty::Program) => {
                if let Some(i) = self.program_ids.get_index_of(n) {
                    return Some(Self::mk(
                        file,
                        span,
                        Ty::Program,
                        ExprKind::Lit(Lit::Program(Some(i))),
                    ));
                }
            }
            _ => {}
        }
        if let Some(b) = self.names.get(n).copied() {
            return match b {
                Binding::Field(slot) => {
                    let ty = self.fields.get(slot)?.ty.ty(slot);
                    Some(Self::mk(file, span, ty, ExprKind::Field(slot)))
                }
                Binding::Define(i) => {
                    let Some(ty) = self.define_types.get(i).copied().flatten() else {
                        // Its type is not settled: it is on a cycle (or
                        // failed to check). The cycle is reported later.
                        return None;
                    };
                    Some(Self::mk(file, span, ty, ExprKind::Define(i)))
                }
            };
        }
        if n == "recommended" {
            return Some(Self::mk(file, span, Ty::Program, ExprKind::Recommended));
        }
        match hint {
            Some(Ty::Enum(slot)) => return self.enum_value(file, span, slot, n, false),
            // A program id would have been taken above.
            Some(Ty::Program) => {
                let ids: Vec<String> = self.program_ids.keys().cloned().collect();
                let mut r = Report::error(
                    "unknown-program",
                    file,
                    span,
                    format!("`{n}` is not a program"),
                )
                .label("no such program");
                if let Some(s) = did_you_mean(n, ids.iter().map(String::as_str)) {
                    r = r.help(format!("did you mean `{s}`?"));
                } else {
                    r = r.help(format!("the programs are {}", ids.join(", ")));
                }
                self.err(r);
                return None;
            }
            _ => {}
        }
        let mut candidates: Vec<String> = self.names.keys().cloned().collect();
        candidates.sort();
        let mut r = Report::error("unknown-name", file, span, format!("unknown field `{n}`"))
            .label("not in the schema");
        let suggestion = did_you_mean(n, candidates.iter().map(String::as_str)).map(str::to_string);
        if let Some(s) = suggestion {
            r = r.help(format!("did you mean `{s}`?"));
        } else if self.program_ids.contains_key(n) {
            r = r.help(format!(
                "`{n}` is a program: test it with `eligible({n})` or `recommended is {n}`"
            ));
        } else if self.referral_ids.contains_key(n) {
            r = r.help(format!("`{n}` is a referral: test it with `referred({n})`"));
        } else if self.warning_ids.contains_key(n) {
            r = r.help(format!("`{n}` is a warning: test it with `warned({n})`"));
        } else if let Some(Ty::Set(Elem::Text)) | Some(Ty::Text) = hint {
            r = r.help(format!("text values are quoted: `\"{n}\"`"));
        } else {
            r = r.help("declare it in the `schema` block, or define it with `define`");
        }
        self.err(r);
        None
    }

    /// Checks `a OP b`, letting either side give the other its type.
    fn compare(
        &mut self,
        file: FileId,
        lhs: &ast::Expr,
        op: ast::CmpOp,
        rhs: &ast::Expr,
    ) -> Option<Expr> {
        let (l, r) = if self.is_free_name(lhs) && !self.is_free_name(rhs) {
            let r = self.expr(file, rhs, None)?;
            let l = self.expr(file, lhs, Some(r.ty))?;
            (l, r)
        } else {
            let l = self.expr(file, lhs, None)?;
            let r = self.expr(file, rhs, Some(l.ty))?;
            (l, r)
        };
        let span = lhs.span.to(rhs.span);
        let cmp = match op {
            ast::CmpOp::Lt => ir::Cmp::Lt,
            ast::CmpOp::Le => ir::Cmp::Le,
            ast::CmpOp::Gt => ir::Cmp::Gt,
            ast::CmpOp::Ge => ir::Cmp::Ge,
            ast::CmpOp::Eq => ir::Cmp::Eq,
            ast::CmpOp::Ne => ir::Cmp::Ne,
        };
        let ordering = matches!(cmp, ir::Cmp::Lt | ir::Cmp::Le | ir::Cmp::Gt | ir::Cmp::Ge);
        if ordering && (l.ty != Ty::Num || r.ty != Ty::Num) {
            let bad = if l.ty != Ty::Num { &l } else { &r };
            let msg = format!(
                "`{}` compares numbers, but this is {}",
                op.symbol(),
                self.ty_name(bad.ty)
            );
            let mut rep = Report::error("type-mismatch", file, bad.span, msg);
            if matches!(bad.ty, Ty::Enum(_) | Ty::Text | Ty::Program) {
                rep = rep.help("use `is` or `is not` for values that are not numbers");
            }
            self.err(rep);
            return None;
        }
        if !ordering && l.ty != r.ty {
            let msg = format!(
                "cannot compare {} with {}",
                self.ty_name(l.ty),
                self.ty_name(r.ty)
            );
            self.err(Report::error("type-mismatch", file, span, msg));
            return None;
        }
        if matches!(l.ty, Ty::Set(_)) {
            self.err(
                Report::error(
                    "type-mismatch",
                    file,
                    span,
                    "sets are not compared with `=` or `is`",
                )
                .help("test members with `in`, or `has any of`, `has all of`"),
            );
            return None;
        }
        Some(Self::mk(
            file,
            span,
            Ty::Bool,
            ExprKind::Cmp(cmp, Box::new(l), Box::new(r)),
        ))
    }

    /// Checks `element in set`, resolving bare words on either side.
    fn pair_with_set(
        &mut self,
        file: FileId,
        element: &ast::Expr,
        set: &ast::Expr,
    ) -> Option<(Expr, Expr)> {
        let bare = matches!(
            element.kind,
            ast::ExprKind::Name(_) | ast::ExprKind::Text(_)
        );
        let (el, st) = if bare && !self.is_free_name(set) {
            let st = self.expr(file, set, None)?;
            let hint = match st.ty {
                Ty::Set(e) => Some(e.ty()),
                _ => None,
            };
            (self.expr(file, element, hint)?, st)
        } else {
            let el = self.expr(file, element, None)?;
            let hint = match el.ty {
                Ty::Text => Some(Ty::Set(Elem::Text)),
                Ty::Num => Some(Ty::Set(Elem::Num)),
                Ty::Enum(s) => Some(Ty::Set(Elem::Enum(s))),
                _ => None,
            };
            let st = self.expr(file, set, hint)?;
            (el, st)
        };
        let Ty::Set(elem) = st.ty else {
            let msg = format!(
                "`in` tests membership of a set, but this is {}",
                self.ty_name(st.ty)
            );
            self.err(
                Report::error("type-mismatch", file, set.span, msg)
                    .help("to compare values write `is`; to list choices write `x in {a, b}`"),
            );
            return None;
        };
        if el.ty != elem.ty() {
            let msg = format!(
                "this is {}, so it cannot be a member of `{}`, {}",
                self.ty_name(el.ty),
                self.snippet_name(set),
                self.ty_name(Ty::Set(elem))
            );
            let mut r = Report::error("type-mismatch", file, element.span, msg);
            if elem == Elem::Text && matches!(element.kind, ast::ExprKind::Name(_)) {
                r = r.help("text values are quoted");
            }
            self.err(r);
            return None;
        }
        Some((el, st))
    }

    fn snippet_name(&self, e: &ast::Expr) -> String {
        match &e.kind {
            ast::ExprKind::Name(n) => n.clone(),
            _ => "the set".into(),
        }
    }

    fn call(
        &mut self,
        file: FileId,
        span: Span,
        name: &ast::Ident,
        args: &[ast::Expr],
    ) -> Option<Expr> {
        let f = name.name.as_str();
        if let Some(ix) = self.function_ids.get_index_of(f) {
            return self.call_function(file, span, ix, name, args);
        }
        if !FUNCTIONS.contains(&f) {
            let mut r = Report::error(
                "unknown-function",
                file,
                name.span,
                format!("unknown function `{f}`"),
            );
            let mut known: Vec<&str> = FUNCTIONS.to_vec();
            known.extend(self.function_ids.keys().map(String::as_str));
            r = match did_you_mean(f, known.iter().copied()) {
                Some(s) => r.help(format!("did you mean `{s}`?")),
                None => r.help(format!("the functions are {}", known.join(", "))),
            };
            self.err(r);
            return None;
        }
        let [arg] = args else {
            self.err(
                Report::error(
                    "bad-arguments",
                    file,
                    span,
                    format!("`{f}` takes one argument, not {}", args.len()),
                )
                .help(format!("write `{f}(…)` with one argument")),
            );
            return None;
        };
        if f == "count" {
            let x = self.expr(file, arg, None)?;
            if !matches!(x.ty, Ty::Set(_)) {
                let msg = format!(
                    "`count` counts the members of a set, but this is {}",
                    self.ty_name(x.ty)
                );
                self.err(Report::error("type-mismatch", file, arg.span, msg));
                return None;
            }
            return Some(Self::mk(file, span, Ty::Num, ExprKind::Count(Box::new(x))));
        }
        let ast::ExprKind::Name(id) = &arg.kind else {
            self.err(
                Report::error(
                    "bad-arguments",
                    file,
                    arg.span,
                    format!("`{f}` takes an id"),
                )
                .help(format!("write e.g. `{f}(some_id)`")),
            );
            return None;
        };
        let (table, kind) = match f {
            "eligible" | "caseload_full" | "caseload_exceeded" => (&self.program_ids, "program"),
            "referred" => (&self.referral_ids, "referral"),
            _ => (&self.warning_ids, "warning"),
        };
        let ix = table.get_index_of(id.as_str());
        let caseload = matches!(f, "caseload_full" | "caseload_exceeded");
        let pref = match (id.as_str(), ix) {
            ("recommended", _) if caseload => Some(ProgramRef::Recommended),
            ("any", _) if caseload => Some(ProgramRef::Any),
            (_, Some(i)) => Some(ProgramRef::Program(i)),
            _ => None,
        };
        let Some(pref) = pref else {
            let ids: Vec<String> = table.keys().cloned().collect();
            let mut r = Report::error(
                "unknown-outcome",
                file,
                arg.span,
                format!("`{id}` is not a {kind}"),
            )
            .label(format!("no such {kind}"));
            r = match did_you_mean(id, ids.iter().map(String::as_str)) {
                Some(s) => r.help(format!("did you mean `{s}`?")),
                None if ids.is_empty() => r.help(format!("this rule set defines no {kind}")),
                None => r.help(format!("the {kind}s are {}", ids.join(", "))),
            };
            self.err(r);
            return None;
        };
        let kind = match (f, pref) {
            ("caseload_full", p) => ExprKind::CaseloadFull(p),
            ("caseload_exceeded", p) => ExprKind::CaseloadExceeded(p),
            (_, ProgramRef::Program(i)) => match f {
                "eligible" => ExprKind::Eligible(i),
                "referred" => ExprKind::Referred(i),
                _ => ExprKind::Warned(i),
            },
            _ => return None,
        };
        Some(Self::mk(file, span, Ty::Bool, kind))
    }

    fn call_function(
        &mut self,
        file: FileId,
        span: Span,
        ix: usize,
        name: &ast::Ident,
        args: &[ast::Expr],
    ) -> Option<Expr> {
        // A function that failed to check has been reported already.
        let (params, returns) = {
            let func = self.functions.get(ix)?.as_ref()?;
            (func.params.clone(), func.returns)
        };
        if params.len() != args.len() {
            self.err(
                Report::error(
                    "bad-arguments",
                    file,
                    span,
                    format!(
                        "`{}` takes {} argument{}, not {}",
                        name.name,
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .help(format!(
                    "its parameters are declared at `function {}`",
                    name.name
                )),
            );
            return None;
        }
        let mut out = Vec::new();
        for (arg, want) in args.iter().zip(&params) {
            let x = self.expr(file, arg, Some(*want))?;
            // Enumeration values pass as their names.
            let fits = x.ty == *want
                || matches!(
                    (x.ty, want),
                    (Ty::Enum(_), Ty::Text) | (Ty::Set(Elem::Enum(_)), Ty::Set(Elem::Text))
                );
            if !fits {
                let msg = format!(
                    "`{}` expects {} here, but this is {}",
                    name.name,
                    self.ty_name(*want),
                    self.ty_name(x.ty)
                );
                self.err(Report::error("type-mismatch", file, arg.span, msg));
                return None;
            }
            out.push(x);
        }
        Some(Self::mk(file, span, returns, ExprKind::Call(ix, out)))
    }

    /// Orders nodes so that each comes after what it reads; reports cycles.
    fn order(&mut self) {
        let mut nodes: Vec<Node> = Vec::new();
        nodes.extend((0..self.defines.len()).map(Node::Define));
        nodes.extend(self.rule_order.iter().copied());
        nodes.push(Node::Recommended);
        let programs: Vec<Node> = (0..self.programs.len()).map(Node::Program).collect();
        self.deps.insert(Node::Recommended, programs);

        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut mark: HashMap<Node, Mark> = nodes.iter().map(|n| (*n, Mark::New)).collect();
        let mut reported = false;
        // Iterative depth-first search, so that a long chain of definitions
        // cannot overflow the stack.
        for &root in &nodes {
            if mark.get(&root) != Some(&Mark::New) {
                continue;
            }
            let mut stack: Vec<(Node, usize)> = vec![(root, 0)];
            mark.insert(root, Mark::Active);
            while let Some((node, next)) = stack.last().copied() {
                // Look the next dependency up without copying the list: a
                // node that reads thousands of others is visited once per
                // dependency.
                let dep = self.deps.get(&node).and_then(|d| d.get(next)).copied();
                if let Some(dep) = dep {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    match mark.get(&dep).copied().unwrap_or(Mark::Done) {
                        Mark::New => {
                            mark.insert(dep, Mark::Active);
                            stack.push((dep, 0));
                        }
                        Mark::Active if !reported => {
                            reported = true;
                            let start = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                            let cycle: Vec<Node> =
                                stack.iter().skip(start).map(|(n, _)| *n).collect();
                            self.report_cycle(&cycle);
                        }
                        _ => {}
                    }
                } else {
                    stack.pop();
                    mark.insert(node, Mark::Done);
                    self.eval_order.push(node);
                }
            }
        }
        // A define that failed to type because of a cycle leaves no other
        // error: make sure one is reported.
        if !reported {
            for (i, t) in self.define_types.clone().iter().enumerate() {
                if t.is_none() && self.errors.is_empty() {
                    if let Some((name, (file, span))) =
                        self.define_ids.get_index(i).map(|(n, v)| (n.clone(), *v))
                    {
                        self.err(Report::error(
                            "cycle",
                            file,
                            span,
                            format!("`{name}` depends on itself"),
                        ));
                    }
                }
            }
        }
    }

    fn node_name(&self, n: Node) -> (String, Option<(FileId, Span)>) {
        let get = |t: &IndexMap<String, (FileId, Span)>, i: usize, kind: &str| {
            t.get_index(i)
                .map(|(k, v)| (format!("{kind} `{k}`"), Some(*v)))
                .unwrap_or_default()
        };
        match n {
            Node::Define(i) => get(&self.define_ids, i, "definition"),
            Node::Program(i) => get(&self.program_ids, i, "program"),
            Node::Referral(i) => get(&self.referral_ids, i, "referral"),
            Node::Warning(i) => get(&self.warning_ids, i, "warning"),
            Node::Recommended => ("the recommended program".into(), None),
        }
    }

    fn report_cycle(&mut self, cycle: &[Node]) {
        let names: Vec<String> = cycle.iter().map(|n| self.node_name(*n).0).collect();
        let at = cycle.iter().find_map(|n| self.node_name(*n).1);
        let Some((file, span)) = at else { return };
        let mut path = names.join(" → ");
        if let Some(first) = names.first() {
            path.push_str(" → ");
            path.push_str(first);
        }
        self.err(
            Report::error(
                "cycle",
                file,
                span,
                format!("rules depend on each other in a cycle: {path}"),
            )
            .label("part of the cycle")
            .help("an outcome cannot depend, directly or through others, on itself"),
        );
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

/// Every bare name an expression mentions.
fn collect_names<'a>(e: &'a ast::Expr, out: &mut Vec<&'a str>) {
    use ast::ExprKind as A;
    match &e.kind {
        A::Name(n) => out.push(n),
        A::Call { args, .. } => args.iter().for_each(|a| collect_names(a, out)),
        A::Set(items) | A::And(items) | A::Or(items) => {
            items.iter().for_each(|a| collect_names(a, out))
        }
        A::Paren(x) | A::Neg(x) | A::Not(x) => collect_names(x, out),
        A::IsKnown { operand, .. } => collect_names(operand, out),
        A::Arith { lhs, rhs, .. } | A::Is { lhs, rhs, .. } => {
            collect_names(lhs, out);
            collect_names(rhs, out);
        }
        A::In { element, set, .. } => {
            collect_names(element, out);
            collect_names(set, out);
        }
        A::Has { set, values, .. } => {
            collect_names(set, out);
            collect_names(values, out);
        }
        A::Compare { first, rest } => {
            collect_names(first, out);
            rest.iter().for_each(|(_, x)| collect_names(x, out));
        }
        A::Number(_) | A::Percent(_) | A::Text(_) | A::Bool(_) | A::None => {}
    }
}

/// The nodes an expression reads.
fn collect_deps(e: &Expr, out: &mut Vec<Node>) {
    // What `out` holds, for a membership test that stays fast when a
    // condition names thousands of outcomes.
    let mut seen: std::collections::HashSet<Node> = out.iter().copied().collect();
    e.visit(&mut |x| {
        let n = match &x.kind {
            ExprKind::Define(i) => Some(Node::Define(*i)),
            ExprKind::Eligible(i) => Some(Node::Program(*i)),
            ExprKind::Referred(i) => Some(Node::Referral(*i)),
            ExprKind::Warned(i) => Some(Node::Warning(*i)),
            ExprKind::Recommended | ExprKind::CaseloadFull(ProgramRef::Recommended) => {
                Some(Node::Recommended)
            }
            ExprKind::CaseloadExceeded(ProgramRef::Recommended) => Some(Node::Recommended),
            _ => None,
        };
        if let Some(n) = n {
            if seen.insert(n) {
                out.push(n);
            }
        }
    });
}

/// The span of the first part of an expression that reads the profile or an
/// outcome, if any.
fn reads_profile(e: &Expr, is_parameter: &[bool]) -> Option<Span> {
    let mut found = None;
    e.visit(&mut |x| {
        // A parameter may use other parameters, but not a `define`, which
        // may read the profile.
        let reads_define =
            matches!(x.kind, ExprKind::Define(i) if !is_parameter.get(i).copied().unwrap_or(false));
        if found.is_none()
            && (reads_define
                || matches!(
                    x.kind,
                    ExprKind::Field(_)
                        | ExprKind::Eligible(_)
                        | ExprKind::Referred(_)
                        | ExprKind::Warned(_)
                        | ExprKind::Recommended
                        | ExprKind::CaseloadFull(_)
                        | ExprKind::CaseloadExceeded(_)
                ))
        {
            found = Some(x.span);
        }
    });
    found
}

/// The byte offset, within a script, of a 1-based line and column.
fn script_offset(code: &str, line: usize, col: usize) -> Option<usize> {
    let mut offset = 0;
    for (i, l) in code.split('\n').enumerate() {
        if i + 1 == line {
            let col_bytes: usize = l
                .chars()
                .take(col.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return Some(offset + col_bytes);
        }
        offset += l.len() + 1;
    }
    None
}
