//! Blocks: `define`, `parameter`, `program`, `referral` and `warning`. Each
//! kind's clauses (which it takes, which it needs, each at most once) and the
//! metadata every kind shares (`evidence`, `source`, `note`).

use super::ordering::collect_deps;
use super::{Checker, EVIDENCE, attr_text, clause_head, clause_key, clause_span};
use crate::decimal;
use crate::diagnostic::{Code, FileId, Report, Span, did_you_mean};
use crate::ir::{self, Expr, ExprKind, Meta, Node, Ty};
use crate::syntax::ast::{self, AttrValue, BlockKind, Clause, LimitBound};
use std::collections::HashMap;

impl Checker {
    pub(super) fn index(&self, b: &ast::Block) -> Option<usize> {
        let table = match b.kind {
            BlockKind::Program => &self.program_ids,
            BlockKind::Referral => &self.referral_ids,
            BlockKind::Warning => &self.warning_ids,
            BlockKind::Parameter | BlockKind::Define => &self.define_ids,
            BlockKind::Transition => &self.transition_ids,
        };
        // Only the first block with an id was declared; a duplicate (already
        // reported) is skipped by comparing its span.
        table
            .get_full(&b.id.name)
            .filter(|(_, _, (_, span))| *span == b.id.span)
            .map(|(i, _, _)| i)
    }

    /// Reads the metadata clauses every kind shares, and returns the rest.
    pub(super) fn meta<'b>(
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
                        Code::DuplicateClause,
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
                Clause::From { .. } if allowed.contains(&"from") => rest.push(c),
                _ => {
                    if !allowed.contains(&key.as_str()) {
                        let mut all: Vec<&str> = allowed.to_vec();
                        all.extend(["evidence", "source", "note"]);
                        let mut r = Report::error(
                            Code::BadClause,
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

    /// Reads `evidence`, `source` or `note` into the metadata of a block or
    /// function.
    pub(super) fn metadata(&mut self, file: FileId, key: &str, value: &AttrValue, meta: &mut Meta) {
        match (key, value) {
            ("evidence", AttrValue::Word(w)) if EVIDENCE.contains(&w.name.as_str()) => {
                meta.evidence = Some(w.name.clone());
            }
            ("evidence", v) => {
                let shown = attr_text(v);
                let mut r = Report::error(
                    Code::BadEvidence,
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
                    Code::BadClause,
                    file,
                    v.span(),
                    format!("`{k}` takes a string"),
                )
                .help(format!("write `{k}: \"…\"`")),
            ),
        }
    }

    pub(super) fn define(&mut self, file: FileId, b: &ast::Block) {
        let Some(ix) = self.index(b) else { return };
        if self.defines.get(ix).is_some_and(Option::is_some) {
            return;
        }
        let is_parameter = b.kind == BlockKind::Parameter;
        // A parameter is the same for every client: reporting it would
        // say nothing about this one.
        let allowed: &[&str] = if is_parameter {
            &["value", "from"]
        } else {
            &["value", "from", "report"]
        };
        let (meta, rest) = self.meta(file, b, allowed);
        let mut value = None;
        let mut report = false;
        let froms: Vec<&Clause> = rest
            .iter()
            .copied()
            .filter(|c| matches!(c, Clause::From { .. }))
            .collect();
        for &c in &rest {
            if let Clause::Attr { key, value: v, .. } = c {
                if key.name == "report" {
                    report = self.report_flag(file, v);
                }
            }
            if let Clause::When { .. } = c {
                // `value: 7 when age >= 200` reads as a value with a
                // condition, but a definition's value always applies: the
                // `when` would be ignored, so it is an error.
                self.err(
                    Report::error(
                        Code::BadClause,
                        file,
                        clause_head(c),
                        format!(
                            "`{}` does not belong in a {}",
                            clause_key(c),
                            b.kind.keyword()
                        ),
                    )
                    .label("a value has no condition")
                    .help(format!(
                        "a {}'s value always applies; test the condition where the value is used",
                        b.kind.keyword()
                    )),
                );
            }
            if let Clause::Value { value: v, .. } = c {
                value = self.expr(file, v, None);
            }
        }
        if !froms.is_empty() {
            value = self.dated(file, ix, &rest, &froms);
        }
        // A parameter is the same for every client: its value, plain or
        // dated, may not read the profile.
        if is_parameter {
            if let Some(span) = value
                .as_ref()
                .and_then(|v| reads_profile(v, &self.define_is_parameter))
            {
                self.err(
                    Report::error(
                        Code::ParameterReadsProfile,
                        file,
                        span,
                        format!(
                            "parameter `{}` must be a constant, but this reads the profile",
                            b.id.name
                        ),
                    )
                    .help("use `define` for a value computed from the profile"),
                );
            }
        }
        let Some(value) = value else {
            if !b
                .clauses
                .iter()
                .any(|c| matches!(c, Clause::Value { .. } | Clause::From { .. }))
            {
                self.missing(file, b, "value", "value: …");
            }
            return;
        };
        if let Some(t) = self.define_types.get_mut(ix) {
            *t = Some(value.ty);
        }
        let constant = Self::constant(&self.const_values, &value);
        if let Some(c) = self.const_values.get_mut(ix) {
            *c = constant;
        }
        let mut deps = Vec::new();
        collect_deps(&value, &mut deps);
        self.deps.insert(Node::Define(ix), deps);
        if let Some(slot) = self.defines.get_mut(ix) {
            *slot = Some(ir::Define {
                meta,
                is_parameter,
                value,
                report,
            });
        }
    }

    /// Reads `report: yes` or `report: no`; anything else is an error
    /// (and counts as `no`).
    pub(super) fn report_flag(&mut self, file: FileId, v: &AttrValue) -> bool {
        match v {
            AttrValue::Word(w) if w.name == "yes" => true,
            AttrValue::Word(w) if w.name == "no" => false,
            AttrValue::Text(t) => {
                self.err(
                    Report::error(
                        Code::BadClause,
                        file,
                        t.span,
                        "`report` takes the word `yes` or `no`, not a string",
                    )
                    .help("write `report: yes`, without quotes"),
                );
                false
            }
            v => {
                let shown = attr_text(v);
                let mut r = Report::error(
                    Code::BadClause,
                    file,
                    v.span(),
                    format!("`report` takes `yes` or `no`, not `{shown}`"),
                );
                r = match did_you_mean(&shown, ["yes", "no"]) {
                    Some(s) => r.help(format!("did you mean `{s}`?")),
                    None => r.help("write `report: yes` to list the value in the report"),
                };
                self.err(r);
                false
            }
        }
    }

    pub(super) fn condition(&mut self, file: FileId, e: &ast::Expr) -> Option<Expr> {
        let x = self.expr(file, e, Some(Ty::Bool))?;
        if x.ty != Ty::Bool {
            self.err(
                Report::error(
                    Code::NotACondition,
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

    /// A `when` clause's condition, with its `unless` exception if it has
    /// one: `base unless exception` checks into `ExprKind::Unless`, spanning
    /// both, so that every kind of item takes an exception the same way.
    pub(super) fn clause_condition(
        &mut self,
        file: FileId,
        condition: &ast::Expr,
        exception: Option<&ast::Expr>,
    ) -> Option<Expr> {
        let base = self.condition(file, condition);
        let Some(exception) = exception else {
            return base;
        };
        let x = self.condition(file, exception);
        let (base, x) = (base?, x?);
        let span = base.span.to(x.span);
        Some(Expr {
            kind: ExprKind::Unless(Box::new(base), Box::new(x)),
            ty: Ty::Bool,
            file,
            span,
        })
    }

    pub(super) fn program(&mut self, file: FileId, b: &ast::Block) {
        let Some(ix) = self.index(b) else { return };
        let (meta, rest) = self.meta(file, b, &["eligible", "intensity", "caseload", "services"]);
        let mut eligible = None;
        let mut intensity = None;
        let mut caseload_limit = None;
        let mut services = Vec::new();
        let mut seen_condition = false;
        for c in rest {
            match c {
                Clause::When { .. } if seen_condition => {
                    // Clauses need no separator, so `eligible when a when b`
                    // is two clauses; the second used to replace the first.
                    self.err(
                        Report::error(
                            Code::DuplicateClause,
                            file,
                            clause_head(c),
                            "a program has one `eligible when` condition",
                        )
                        .label("second condition")
                        .help("join the conditions with `and` or `or`: `eligible when a and b`"),
                    );
                }
                Clause::When {
                    condition,
                    exception,
                    ..
                } => {
                    seen_condition = true;
                    eligible = self.clause_condition(file, condition, exception.as_ref());
                }
                Clause::Attr { value, .. } => match value {
                    AttrValue::Number(n) => {
                        intensity = self.number(file, n).and_then(|d| {
                            let i = decimal::to_i64(d);
                            if i.is_none() {
                                self.err(
                                    Report::error(
                                        Code::BadIntensity,
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
                            Code::BadIntensity,
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
                        let allowed = lim.map(|n| match bound {
                            LimitBound::AtMost => n,
                            LimitBound::FewerThan => n.saturating_sub(1),
                        });
                        let help = "write `caseload: at most 10` or `caseload: fewer than 20`";
                        match allowed {
                            Some(0) => self.err(
                                Report::error(
                                    Code::BadCaseload,
                                    file,
                                    limit.span,
                                    "this caseload limit allows no client",
                                )
                                .label("a case manager could take no one")
                                .help(help),
                            ),
                            Some(n) => caseload_limit = Some(n),
                            None if n.fract().is_zero() && n.is_sign_positive() => self.err(
                                Report::error(
                                    Code::BadCaseload,
                                    file,
                                    limit.span,
                                    format!("caseload limit `{}` is too large", limit.text),
                                )
                                .help(format!("a caseload limit is at most {}; {help}", i64::MAX)),
                            ),
                            None => self.err(
                                Report::error(
                                    Code::BadCaseload,
                                    file,
                                    limit.span,
                                    "a caseload limit is a whole number of clients",
                                )
                                .help(help),
                            ),
                        }
                    }
                }
                Clause::Services { services: s, .. } => {
                    let mut listed = std::collections::HashSet::new();
                    for id in s {
                        if !listed.insert(id.name.as_str()) {
                            self.err(Report::error(
                                Code::DuplicateService,
                                file,
                                id.span,
                                format!("service `{}` is listed twice", id.name),
                            ));
                        } else {
                            services.push(id.name.clone());
                        }
                    }
                }
                Clause::Value { .. } | Clause::From { .. } | Clause::Script { .. } => {}
            }
        }
        if let Some(Clause::When { qualifier, .. }) =
            b.clauses.iter().find(|c| matches!(c, Clause::When { .. }))
        {
            if qualifier.as_ref().is_none_or(|q| q.name != "eligible") {
                let span = qualifier.as_ref().map_or(b.id.span, |q| q.span);
                self.err(
                    Report::error(
                        Code::BadClause,
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
                    Code::DuplicateIntensity,
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

    pub(super) fn referral(&mut self, file: FileId, b: &ast::Block) {
        let Some(ix) = self.index(b) else { return };
        let (meta, rest) = self.meta(file, b, &["urgent", "routine"]);
        let mut triggers = Vec::new();
        for c in rest {
            if let Clause::When {
                qualifier,
                condition,
                exception,
                ..
            } = c
            {
                let priority = match qualifier.as_ref().map(|q| q.name.as_str()) {
                    Some("urgent") => ir::Priority::Urgent,
                    Some("routine") => ir::Priority::Routine,
                    _ => continue,
                };
                if let Some(cond) = self.clause_condition(file, condition, exception.as_ref()) {
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
                        Code::BadPriority,
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

    /// The transition: `current:` names a program-typed field or
    /// definition; `step down when …` says when stepping down is allowed.
    pub(super) fn transition(&mut self, file: FileId, b: &ast::Block) {
        if self.index(b).is_none() {
            return;
        }
        let (meta, rest) = self.meta(file, b, &["current", "when"]);
        let mut current = None;
        let mut step_down = None;
        for c in rest {
            match c {
                Clause::When {
                    condition,
                    qualifier,
                    exception,
                    span,
                } => {
                    if qualifier.as_ref().map(|q| q.name.as_str()) != Some("step down") {
                        let at = qualifier.as_ref().map_or(*span, |q| q.span);
                        self.err(
                            Report::error(
                                Code::BadClause,
                                file,
                                at,
                                "a transition's condition is written `step down when …`",
                            )
                            .help("it says when a client may step down to a less intensive program (or be discharged)"),
                        );
                        continue;
                    }
                    step_down = Some(self.clause_condition(file, condition, exception.as_ref()));
                }
                Clause::Attr { key, value, span } if key.name == "current" => {
                    let AttrValue::Word(w) = value else {
                        self.err(
                            Report::error(
                                Code::BadClause,
                                file,
                                value.span(),
                                "`current:` names the field that holds the current program",
                            )
                            .help(
                                "write e.g. `current: current_program`, a field of type `program`",
                            ),
                        );
                        continue;
                    };
                    let name = ast::Expr {
                        kind: ast::ExprKind::Name(w.name.clone()),
                        span: w.span,
                    };
                    let Some(x) = self.expr(file, &name, Some(Ty::Program)) else {
                        continue;
                    };
                    if x.ty != Ty::Program {
                        let msg = format!(
                            "`current:` is the client's program, but `{}` is {}",
                            w.name,
                            self.ty_name(x.ty)
                        );
                        self.err(
                            Report::error(Code::TypeMismatch, file, *span, msg)
                                .help("declare the field as `program` in the schema: `current_program: program`"),
                        );
                        continue;
                    }
                    current = Some(x);
                }
                _ => {}
            }
        }
        let Some(current) = current else {
            if !b
                .clauses
                .iter()
                .any(|c| matches!(c, Clause::Attr { key, .. } if key.name == "current"))
            {
                self.missing(file, b, "current program", "current: current_program");
            }
            return;
        };
        let step_down = match step_down {
            Some(None) => return,
            Some(Some(x)) => Some(x),
            None => None,
        };
        let mut deps: Vec<Node> = (0..self.program_ids.len()).map(Node::Program).collect();
        deps.push(Node::Recommended);
        collect_deps(&current, &mut deps);
        if let Some(x) = &step_down {
            collect_deps(x, &mut deps);
        }
        self.deps.insert(Node::Transition, deps);
        self.transition = Some(ir::TransitionRule {
            meta,
            current,
            step_down,
        });
    }

    pub(super) fn warning(&mut self, file: FileId, b: &ast::Block) {
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
                    exception,
                    ..
                } => {
                    if let Some(q) = qualifier {
                        self.err(
                            Report::error(
                                Code::BadClause,
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
                    when = self.clause_condition(file, condition, exception.as_ref());
                }
                Clause::Attr { key, value, .. } if key.name == "severity" => {
                    let word = attr_text(value);
                    severity = match word.as_str() {
                        "info" => Some(ir::Severity::Info),
                        "warning" => Some(ir::Severity::Warning),
                        "critical" => Some(ir::Severity::Critical),
                        _ => {
                            let mut r = Report::error(
                                Code::BadSeverity,
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
                        Report::error(Code::BadClause, file, v.span(), "a message is a string")
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
