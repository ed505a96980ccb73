//! Lowering: pest's pairs → the owned tree of [`super::ast`]. This file
//! lowers items and clauses and trims spans to their last token; `expr`
//! builds conditions and values into trees by precedence, under the depth
//! limit.

use super::ast::*;
use super::grammar::Rule;
use crate::diagnostic::{Code, FileId, Report, Span};
use pest::iterators::{Pair, Pairs};

mod expr;
mod table;

/// Lowers a parsed file, or returns every error lowering found.
pub(super) fn file(
    file: FileId,
    pairs: Pairs<'_, Rule>,
    max_depth: usize,
) -> Result<File, Vec<Report>> {
    let mut lower = Lower {
        file,
        errors: Vec::new(),
        max_depth,
        too_deep_from: None,
    };
    let mut items = Vec::new();
    // The one top-level pair is `file`. (Flattening the pairs to find it
    // visited every token of the file.)
    for pair in pairs.filter(|p| p.as_rule() == Rule::file) {
        for item in pair.into_inner() {
            match item.as_rule() {
                Rule::schema => items.push(Item::Schema(lower.schema(item))),
                Rule::block => {
                    if let Some(b) = lower.block(item) {
                        items.push(Item::Block(b));
                    }
                }
                Rule::function => {
                    if let Some(f) = lower.function(item) {
                        items.push(Item::Function(f));
                    }
                }
                Rule::table => {
                    if let Some(t) = lower.table(item) {
                        items.push(Item::Table(t));
                    }
                }
                _ => {}
            }
        }
    }
    if lower.errors.is_empty() {
        Ok(File { items })
    } else {
        Err(lower.errors)
    }
}

/// A string literal's value: `\n` and `\t` are line end and tab, any other
/// escaped character stands for itself. The formatter uses it too.
pub(crate) fn unescape(inner: &str) -> String {
    let mut value = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some(other) => value.push(other),
                None => {}
            }
        } else {
            value.push(c);
        }
    }
    value
}

/// A pair's span, ending at its last token. pest lets a rule that ends in a
/// repetition run on over the spaces and comments it skipped looking for one
/// more item; those belong to no node, and would show up in diagnostics and
/// in the condition text of explanations.
fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    // The ends of the chain of last children, outermost first: the depth
    // of the tree, where walking every token would make lowering quadratic.
    let mut ends = vec![s.end()];
    let mut node = pair.clone().into_inner().next_back();
    while let Some(p) = node {
        ends.push(p.as_span().end());
        node = p.into_inner().next_back();
    }
    // From the innermost out, a node ends where its last child ends unless
    // more than spaces and comments follow that: a closing `}` or `)` is a
    // literal with no pair of its own, and belongs to the node. (Trimming
    // only up to the innermost token let `f(x)` at the end of a condition
    // keep the spaces and comment after it.)
    let input = s.get_input();
    let mut end = ends.pop().unwrap_or(s.end());
    while let Some(outer) = ends.pop() {
        if !only_trivia(input.get(end..outer).unwrap_or("")) {
            end = outer;
        }
    }
    Span::new(s.start(), end)
}

/// Whether `gap` holds only what the grammar skips: `WHITESPACE` and
/// `COMMENT`.
fn only_trivia(gap: &str) -> bool {
    let mut chars = gap.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' | '\u{FEFF}' => {}
            '#' => {
                if !chars.by_ref().any(|c| c == '\n' || c == '\r') {
                    return true;
                }
            }
            _ => return false,
        }
    }
    true
}

/// Lowers pairs into the owned tree, collecting what it rejects.
struct Lower {
    file: FileId,
    errors: Vec<Report>,
    max_depth: usize,
    /// Where the first `too-deep` error of the file starts, if any.
    too_deep_from: Option<usize>,
}

impl Lower {
    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: span_of(&pair),
        }
    }

    fn number(&self, pair: Pair<'_, Rule>) -> NumberLit {
        NumberLit {
            text: pair.as_str().to_string(),
            span: span_of(&pair),
        }
    }

    fn text(&self, pair: Pair<'_, Rule>) -> Text {
        let span = span_of(&pair);
        let mut value = String::new();
        for part in pair.into_inner() {
            let raw = part.as_str();
            let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
            value.push_str(&unescape(inner));
        }
        Text { value, span }
    }

    /// One `string` (not joined with others), escapes resolved.
    pub(super) fn string(&self, pair: Pair<'_, Rule>) -> Text {
        let raw = pair.as_str();
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
        Text {
            value: unescape(inner),
            span: span_of(&pair),
        }
    }

    /// A word, string or number standing for a value (a default's reason,
    /// a set default's member, a weight's key).
    pub(super) fn attr_value(&self, pair: Pair<'_, Rule>) -> AttrValue {
        match pair.as_rule() {
            Rule::string => AttrValue::Text(self.string(pair)),
            Rule::signed_number | Rule::number => AttrValue::Number(self.number(pair)),
            _ => AttrValue::Word(self.ident(pair)),
        }
    }

    /// `default VALUE because "reason"`.
    fn default_clause(&self, pair: Pair<'_, Rule>) -> Option<FieldDefault> {
        let span = span_of(&pair);
        let mut value = None;
        let mut reason = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::default_value => {
                    let p = p.into_inner().next()?;
                    value = Some(match p.as_rule() {
                        Rule::default_set => {
                            let sspan = span_of(&p);
                            let members = p.into_inner().map(|m| self.attr_value(m)).collect();
                            DefaultValue::Set(members, sspan)
                        }
                        Rule::signed_number => DefaultValue::Number(self.number(p)),
                        Rule::string => DefaultValue::Text(self.string(p)),
                        _ => DefaultValue::Word(self.ident(p)),
                    });
                }
                Rule::kw_default | Rule::kw_because => {}
                _ => reason = Some(self.attr_value(p)),
            }
        }
        Some(FieldDefault {
            value: value?,
            reason,
            span,
        })
    }

    fn schema(&mut self, pair: Pair<'_, Rule>) -> Schema {
        let span = span_of(&pair);
        let mut fields = Vec::new();
        for decl in pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::field_decl)
        {
            let dspan = span_of(&decl);
            let mut name = None;
            let mut ty = None;
            let mut constraint = None;
            let mut required = false;
            let mut default = None;
            let mut doc = None;
            for part in decl.into_inner() {
                match part.as_rule() {
                    Rule::ident => name = Some(self.ident(part)),
                    Rule::default_clause => default = self.default_clause(part),
                    Rule::type_expr => ty = self.type_expr(part),
                    Rule::constraint => constraint = self.constraint(part),
                    Rule::required => required = true,
                    Rule::text => doc = Some(self.text(part)),
                    _ => {}
                }
            }
            if let (Some(name), Some(ty)) = (name, ty) {
                fields.push(FieldDecl {
                    name,
                    ty,
                    constraint,
                    required,
                    default,
                    doc,
                    span: dspan,
                });
            }
        }
        Schema { fields, span }
    }

    fn idents(&self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        pair.into_inner()
            .filter(|p| matches!(p.as_rule(), Rule::ident | Rule::value_name))
            .map(|p| self.ident(p))
            .collect()
    }

    fn scalar(pair: &Pair<'_, Rule>) -> ScalarType {
        match pair.as_str() {
            "integer" => ScalarType::Integer,
            "decimal" => ScalarType::Decimal,
            "boolean" => ScalarType::Boolean,
            "date" => ScalarType::Date,
            _ => ScalarType::Text,
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let inner = pair.into_inner().next()?;
        let span = span_of(&inner);
        Some(match inner.as_rule() {
            Rule::scalar_type => TypeExpr::Scalar(Self::scalar(&inner), span),
            Rule::program_type => TypeExpr::Program(span),
            Rule::enum_type => TypeExpr::OneOf(self.idents(inner), span),
            Rule::set_type => {
                let elem = inner
                    .into_inner()
                    .find(|p| matches!(p.as_rule(), Rule::enum_values | Rule::scalar_type))?;
                match elem.as_rule() {
                    Rule::enum_values => TypeExpr::SetOfEnum(self.idents(elem), span),
                    _ => match Self::scalar(&elem) {
                        ScalarType::Text => TypeExpr::SetOfText(span),
                        other => {
                            self.errors.push(
                                Report::error(
                                    Code::BadType,
                                    self.file,
                                    span_of(&elem),
                                    format!(
                                        "a set holds text or enumeration values, not `{}`",
                                        elem.as_str()
                                    ),
                                )
                                .help("write `set of text` or `set of {a, b, c}`"),
                            );
                            TypeExpr::Scalar(other, span)
                        }
                    },
                }
            }
            _ => return None,
        })
    }

    fn constraint(&mut self, pair: Pair<'_, Rule>) -> Option<Constraint> {
        let inner = pair.into_inner().next()?;
        let rule = inner.as_rule();
        if rule == Rule::date_bounds {
            let span = span_of(&inner);
            let (mut not_future, mut within_years) = (false, None);
            for bound in inner.into_inner().filter_map(|b| b.into_inner().next()) {
                match bound.as_rule() {
                    Rule::not_future => not_future = true,
                    _ => {
                        within_years = bound
                            .into_inner()
                            .find(|p| p.as_rule() == Rule::number)
                            .map(|p| self.number(p));
                    }
                }
            }
            return Some(Constraint::Dates {
                not_future,
                within_years,
                span,
            });
        }
        let nums: Vec<NumberLit> = inner
            .into_inner()
            .filter(|p| p.as_rule() == Rule::signed_number)
            .map(|p| self.number(p))
            .collect();
        let mut nums = nums.into_iter();
        match rule {
            Rule::between => Some(Constraint::Between(nums.next()?, nums.next()?)),
            Rule::at_least => Some(Constraint::AtLeast(nums.next()?)),
            Rule::at_most => Some(Constraint::AtMost(nums.next()?)),
            _ => None,
        }
    }

    fn function(&mut self, pair: Pair<'_, Rule>) -> Option<Function> {
        let span = span_of(&pair);
        let mut name = None;
        let mut params = Vec::new();
        let mut returns = None;
        let mut title = None;
        let mut clauses = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::ident => name = Some(self.ident(part)),
                Rule::param => {
                    let pspan = span_of(&part);
                    let mut it = part.into_inner();
                    let pname = self.ident(it.next()?);
                    let ty = it.next()?;
                    let (set, scalar) = if ty.as_rule() == Rule::param_set {
                        (
                            true,
                            ty.into_inner().find(|p| p.as_rule() == Rule::scalar_type)?,
                        )
                    } else {
                        (false, ty)
                    };
                    params.push(Param {
                        name: pname,
                        ty: Self::scalar(&scalar),
                        set,
                        span: pspan,
                    });
                }
                Rule::scalar_type => returns = Some((Self::scalar(&part), span_of(&part))),
                Rule::text => title = Some(self.text(part)),
                Rule::script_clause => clauses.push(self.script_clause(part)?),
                Rule::attr_clause
                | Rule::when_clause
                | Rule::caseload_clause
                | Rule::services_clause
                | Rule::value_clause
                | Rule::from_clause => {
                    // Reuse the block lowering for shared clauses.
                    if let Some(c) = self.clause(part) {
                        clauses.push(c);
                    }
                }
                _ => {}
            }
        }
        let (returns, returns_span) = returns?;
        Some(Function {
            name: name?,
            params,
            returns,
            returns_span,
            title,
            clauses,
            span,
        })
    }

    fn script_clause(&mut self, pair: Pair<'_, Rule>) -> Option<Clause> {
        let span = span_of(&pair);
        let body = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), Rule::raw_string | Rule::text))?;
        if body.as_rule() == Rule::raw_string {
            let start = body.as_span().start() + 3;
            let raw = body.as_str();
            // rhai ends lines at `\n` only: a lone `\r` (an old Mac file)
            // becomes one, byte for byte, so that a `//` comment stops at
            // the end of its line and offsets are unchanged.
            let code = lone_cr_to_lf(raw.get(3..raw.len().saturating_sub(3)).unwrap_or(""));
            Some(Clause::Script {
                code,
                code_start: start,
                raw: true,
                span,
            })
        } else {
            let t = self.text(body);
            Some(Clause::Script {
                code: t.value,
                code_start: t.span.start + 1,
                raw: false,
                span,
            })
        }
    }

    /// Lowers one clause pair; `block` handles the same rules inline.
    fn clause(&mut self, part: Pair<'_, Rule>) -> Option<Clause> {
        let wrapper_span = span_of(&part);
        let mut b = self.block_clauses(std::iter::once(part))?;
        let _ = wrapper_span;
        b.pop()
    }

    /// Lowers the clauses of a block or function.
    fn block_clauses<'i>(
        &mut self,
        parts: impl Iterator<Item = Pair<'i, Rule>>,
    ) -> Option<Vec<Clause>> {
        let mut clauses = Vec::new();
        for part in parts {
            match part.as_rule() {
                Rule::script_clause => {
                    if let Some(c) = self.script_clause(part) {
                        clauses.push(c);
                    }
                }
                Rule::when_clause => {
                    let cspan = span_of(&part);
                    let mut qualifier = None;
                    let mut condition = None;
                    // `Some(None)`: an exception was written but failed to
                    // lower (its error is reported); the clause is dropped.
                    let mut exception = None;
                    for p in part.into_inner() {
                        match p.as_rule() {
                            Rule::ident => qualifier = Some(self.ident(p)),
                            // Spelled with one space however it was
                            // written, as the formatter prints it.
                            Rule::step_down => {
                                qualifier = Some(Ident {
                                    name: "step down".into(),
                                    span: span_of(&p),
                                });
                            }
                            Rule::expr => condition = self.expr(p, 0),
                            Rule::unless_part => {
                                exception = Some(
                                    p.into_inner()
                                        .find(|x| x.as_rule() == Rule::expr)
                                        .and_then(|x| self.expr(x, 0)),
                                );
                            }
                            _ => {}
                        }
                    }
                    let exception = match exception {
                        Some(None) => None,
                        Some(Some(x)) => Some(Some(x)),
                        None => Some(None),
                    };
                    if let (Some(condition), Some(exception)) = (condition, exception) {
                        clauses.push(Clause::When {
                            qualifier,
                            condition,
                            exception,
                            span: cspan,
                        });
                    }
                }
                Rule::caseload_clause => {
                    let cspan = span_of(&part);
                    let mut bound = LimitBound::AtMost;
                    let mut limit = None;
                    for p in part.into_inner() {
                        match p.as_rule() {
                            Rule::limit_bound if p.as_str().starts_with("fewer") => {
                                bound = LimitBound::FewerThan;
                            }
                            Rule::number => limit = Some(self.number(p)),
                            _ => {}
                        }
                    }
                    if let Some(limit) = limit {
                        clauses.push(Clause::Caseload {
                            bound,
                            limit,
                            span: cspan,
                        });
                    }
                }
                Rule::services_clause => {
                    let cspan = span_of(&part);
                    clauses.push(Clause::Services {
                        services: self.idents(part),
                        span: cspan,
                    });
                }
                Rule::value_clause => {
                    let cspan = span_of(&part);
                    if let Some(e) = part.into_inner().find(|p| p.as_rule() == Rule::expr) {
                        if let Some(value) = self.expr(e, 0) {
                            clauses.push(Clause::Value { value, span: cspan });
                        }
                    }
                }
                Rule::from_clause => {
                    let cspan = span_of(&part);
                    let mut date = None;
                    let mut value = None;
                    for p in part.into_inner() {
                        match p.as_rule() {
                            Rule::date => date = Some((p.as_str().to_string(), span_of(&p))),
                            Rule::expr => value = self.expr(p, 0),
                            _ => {}
                        }
                    }
                    if let (Some((date, date_span)), Some(value)) = (date, value) {
                        clauses.push(Clause::From {
                            date,
                            date_span,
                            value,
                            span: cspan,
                        });
                    }
                }
                Rule::attr_clause => {
                    let cspan = span_of(&part);
                    let mut it = part.into_inner();
                    let key = self.ident(it.next()?);
                    let v = it.next()?;
                    let value = match v.as_rule() {
                        Rule::text => AttrValue::Text(self.text(v)),
                        Rule::number => AttrValue::Number(self.number(v)),
                        _ => AttrValue::Word(self.ident(v)),
                    };
                    clauses.push(Clause::Attr {
                        key,
                        value,
                        span: cspan,
                    });
                }
                _ => {}
            }
        }
        Some(clauses)
    }

    fn block(&mut self, pair: Pair<'_, Rule>) -> Option<Block> {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let head = inner.next()?;
        let kind = match head.as_str() {
            "program" => BlockKind::Program,
            "referral" => BlockKind::Referral,
            "warning" => BlockKind::Warning,
            "parameter" => BlockKind::Parameter,
            "transition" => BlockKind::Transition,
            _ => BlockKind::Define,
        };
        let id = if kind == BlockKind::Transition {
            Ident {
                name: "transition".into(),
                span: span_of(&head),
            }
        } else {
            self.ident(inner.next()?)
        };
        let mut title = None;
        let mut rest = Vec::new();
        for part in inner {
            if part.as_rule() == Rule::text {
                title = Some(self.text(part));
            } else {
                rest.push(part);
            }
        }
        let clauses = self.block_clauses(rest.into_iter())?;
        Some(Block {
            kind,
            id,
            title,
            clauses,
            span,
        })
    }
}

/// `text` with each `\r` not followed by `\n` replaced by `\n`: the same
/// length, the same offsets, the same line ends.
fn lone_cr_to_lf(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}
