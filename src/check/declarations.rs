//! The first pass: the schema's fields and their enumeration values, every
//! block's and function's id, and the names no declaration may take. It also
//! checks each function's declaration (parameters, return type, script), so
//! that calls can be typed against it.

use super::{Binding, Checker, FUNCTIONS, RESERVED, clause_head, clause_key};
use crate::diagnostic::{Code, FileId, Report, Span};
use crate::ir::{self, Elem, FieldType, Meta, Node, Ty};
use crate::syntax::ast::{self, BlockKind, Clause};

impl Checker {
    /// First pass: the schema and every block's id, so that blocks may refer
    /// to each other in any order.
    pub(super) fn declare(&mut self, files: &[(FileId, ast::File)]) {
        let mut items = 0usize;
        for (file, ast) in files {
            for item in &ast.items {
                items += 1;
                if items > self.limits.max_items {
                    let span = match item {
                        ast::Item::Schema(s) => Span::new(s.span.start, s.span.start),
                        ast::Item::Block(b) => b.id.span,
                        ast::Item::Function(f) => f.name.span,
                        ast::Item::Table(t) => t.id.span,
                    };
                    let max = self.limits.max_items;
                    self.limit_error(
                        Code::TooManyItems,
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
                    ast::Item::Table(t) => self.declare_table(*file, t),
                    ast::Item::Function(f) => {
                        if let Some((pf, ps)) = self.function_ids.get(&f.name.name).copied() {
                            let prev = self.place(pf, ps);
                            self.err(
                                Report::error(
                                    Code::DuplicateId,
                                    *file,
                                    f.name.span,
                                    format!("function `{}` is defined twice", f.name.name),
                                )
                                .help(format!("the first is at {prev}")),
                            );
                        } else if FUNCTIONS.contains(&f.name.name.as_str())
                            || super::numbers::NUMBER_FUNCTIONS.contains(&f.name.name.as_str())
                            || RESERVED.contains(&f.name.name.as_str())
                        {
                            self.err(
                                Report::error(
                                    Code::ReservedName,
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
                            BlockKind::Transition => &mut self.transition_ids,
                        };
                        if let Some((pf, ps)) = table.get(&b.id.name).copied() {
                            let prev = self.place(pf, ps);
                            if b.kind == BlockKind::Transition {
                                self.err(
                                    Report::error(
                                        Code::DuplicateId,
                                        *file,
                                        b.id.span,
                                        "a rule set has one transition",
                                    )
                                    .label("second transition")
                                    .help(format!("the first is at {prev}; join them")),
                                );
                                continue;
                            }
                            self.err(
                                Report::error(
                                    Code::DuplicateId,
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
                                    Code::ReservedName,
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
                            BlockKind::Transition => {}
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
                                            Code::DuplicateId,
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
        self.const_values = vec![None; self.define_ids.len()];
        self.programs = vec![None; self.program_ids.len()];
        self.referrals = vec![None; self.referral_ids.len()];
        self.warnings = vec![None; self.warning_ids.len()];
    }

    pub(super) fn check_reserved(&mut self, file: FileId, id: &ast::Ident) {
        if RESERVED.contains(&id.name.as_str()) || FUNCTIONS.contains(&id.name.as_str()) {
            self.err(
                Report::error(
                    Code::ReservedName,
                    file,
                    id.span,
                    format!("`{}` is a reserved word", id.name),
                )
                .help("choose another name"),
            );
        }
    }

    pub(super) fn field(&mut self, file: FileId, f: &ast::FieldDecl) {
        if self.fields.len() >= self.limits.max_fields {
            let max = self.limits.max_fields;
            self.limit_error(
                Code::TooManyFields,
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
                    Code::DuplicateField,
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
            ast::TypeExpr::Scalar(ast::ScalarType::Date, _) => FieldType::Date,
            ast::TypeExpr::SetOfText(_) => FieldType::SetOfText,
            ast::TypeExpr::Program(_) => FieldType::Program,
            ast::TypeExpr::OneOf(values, _) => FieldType::Enum(self.enum_values(file, values)),
            ast::TypeExpr::SetOfEnum(values, _) => {
                FieldType::SetOfEnum(self.enum_values(file, values))
            }
        };
        let (mut min, mut max) = (None, None);
        let mut dates = ir::DateBounds::default();
        if let Some(ast::Constraint::Dates {
            not_future,
            within_years,
            span,
        }) = &f.constraint
        {
            if ty != FieldType::Date {
                self.err(
                    Report::error(
                        Code::BadRange,
                        file,
                        *span,
                        format!(
                            "field `{}` is {}, so it cannot have date bounds",
                            f.name.name,
                            ty.describe()
                        ),
                    )
                    .help("`not in the future` and `within N years` apply to `date` fields"),
                );
            }
            dates.not_future = *not_future;
            if let Some(n) = within_years {
                let years = self
                    .number(file, n)
                    .and_then(|d| u32::try_from(d).ok().filter(|_| d.fract().is_zero()))
                    .filter(|y| *y <= 9999);
                if years.is_none() {
                    self.err(
                        Report::error(
                            Code::BadRange,
                            file,
                            n.span,
                            format!("`within {} years` needs a whole number of years", n.text),
                        )
                        .help("write e.g. `within 130 years`"),
                    );
                }
                dates.within_years = years;
            }
        } else if let Some(c) = &f.constraint {
            let numeric = matches!(ty, FieldType::Integer | FieldType::Decimal);
            let span = match c {
                ast::Constraint::Between(a, b) => a.span.to(b.span),
                ast::Constraint::AtLeast(a) | ast::Constraint::AtMost(a) => a.span,
                ast::Constraint::Dates { span, .. } => *span,
            };
            if !numeric {
                self.err(
                    Report::error(
                        Code::BadRange,
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
                                    Code::BadRange,
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
                ast::Constraint::Dates { .. } => {}
            }
        }
        let default = match &f.default {
            Some(d) => self.field_default(file, f, d, &ty, (min, max)),
            None => None,
        };
        let slot = self.fields.len();
        self.names.insert(f.name.name.clone(), Binding::Field(slot));
        self.fields.push(ir::Field {
            name: f.name.name.clone(),
            ty,
            min,
            max,
            dates,
            required: f.required,
            default,
            doc: f.doc.as_ref().map(|d| d.value.clone()),
            file,
            span: f.span,
        });
    }

    pub(super) fn enum_values(&mut self, file: FileId, values: &[ast::Ident]) -> Vec<String> {
        let max = self.limits.max_enum_values;
        if let Some(first_over) = values.get(max) {
            self.limit_error(
                Code::TooManyValues,
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
                    Code::DuplicateValue,
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

    pub(super) fn function(&mut self, file: FileId, f: &ast::Function) {
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
            ast::ScalarType::Date => Ty::Date,
        };
        let mut params = Vec::new();
        let mut names: Vec<String> = Vec::new();
        // The names seen, so that a long parameter list checks in linear
        // time.
        let mut seen = std::collections::HashSet::new();
        for p in &f.params {
            if !seen.insert(p.name.name.as_str()) {
                self.err(Report::error(
                    Code::DuplicateParam,
                    file,
                    p.name.span,
                    format!("parameter `{}` is listed twice", p.name.name),
                ));
                return;
            }
            names.push(p.name.name.clone());
            if p.ty == ast::ScalarType::Date {
                self.err(
                    Report::error(
                        Code::BadType,
                        file,
                        p.span,
                        "a function does not take dates",
                    )
                    .help("pass a duration instead: `years since birth_date`"),
                );
                return;
            }
            params.push(match (p.set, p.ty) {
                (false, t) => scalar_ty(t),
                (true, ast::ScalarType::Text) => Ty::Set(Elem::Text),
                (true, _) => {
                    self.err(
                        Report::error(Code::BadType, file, p.span, "a set parameter holds text")
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
            ast::ScalarType::Date => {
                self.err(
                    Report::error(
                        Code::BadType,
                        file,
                        f.returns_span,
                        "a function does not return dates",
                    )
                    .help("return a number, a boolean or text"),
                );
                return;
            }
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
                                Code::DuplicateClause,
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
                                    Code::ScriptError,
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
                            Code::BadClause,
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
                        Code::MissingClause,
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
