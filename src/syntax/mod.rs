//! Step one: rule text → syntax tree.
//!
//! This is the only module that sees pest's `Pairs`. `parse` lowers them
//! at once into the owned tree of [`ast`], whose nodes carry byte spans.
//!
//! Hostile input is stopped before pest sees it: pest parses nested
//! parentheses by recursion, so a pre-scan rejects files that are too large,
//! nest too deep, or leave a string open, each with a located error. Deep
//! trees that parse without nesting (long chains of `-` or `not`, `a + b +
//! …`) are caught while lowering, by the same depth limit.

pub mod ast;

use crate::Limits;
use crate::diagnostic::{FileId, Report, Span};
use ast::*;
use pest::Parser as _;
use pest::iterators::Pair;

#[allow(missing_docs, clippy::indexing_slicing)]
mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "syntax/grammar.pest"]
    pub struct RuleParser;
}

use grammar::{Rule, RuleParser};

/// Parses one rule file. Errors are returned unlocated (file + span); the
/// caller turns them into diagnostics against its source map.
pub(crate) fn parse(file: FileId, text: &str, limits: &Limits) -> Result<File, Vec<Report>> {
    prescan(file, text, limits)?;
    let pairs =
        RuleParser::parse(Rule::file, text).map_err(|e| vec![pest_error(file, text, &e)])?;
    let mut lower = Lower {
        file,
        errors: Vec::new(),
        max_depth: limits.max_depth,
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

/// Rejects what pest must not be asked to parse: oversized files, nesting
/// deeper than the limit, strings left open or too long.
fn prescan(file: FileId, text: &str, limits: &Limits) -> Result<(), Vec<Report>> {
    if text.len() > limits.max_file_bytes {
        return Err(vec![
            Report::error(
                "file-too-large",
                file,
                Span::new(0, 0),
                format!(
                    "rule file is {} bytes, more than the limit of {} bytes",
                    text.len(),
                    limits.max_file_bytes
                ),
            )
            .help("split the rule set into several files"),
        ]);
    }
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' if text.get(i..).is_some_and(|r| r.starts_with("\"\"\"")) => {
                // A triple-quoted script runs, over lines, to the next `"""`.
                chars.next();
                chars.next();
                let rest = text.get(i + 3..).unwrap_or("");
                match rest.find("\"\"\"") {
                    Some(end) if end > limits.max_string_bytes => {
                        return Err(vec![
                            Report::error(
                                "string-too-long",
                                file,
                                Span::new(i, i + 3),
                                format!(
                                    "script is {end} bytes long, more than the limit of {} bytes",
                                    limits.max_string_bytes
                                ),
                            )
                            .label("this script")
                            .help("a function's script is for a calculation, not a program"),
                        ]);
                    }
                    Some(end) => {
                        let stop = i + 3 + end + 3;
                        while chars.peek().is_some_and(|(j, _)| *j < stop) {
                            chars.next();
                        }
                    }
                    None => {
                        return Err(vec![
                            Report::error(
                                "unterminated-string",
                                file,
                                Span::new(i, i + 3),
                                "unterminated script",
                            )
                            .label("this `\"\"\"` is never closed")
                            .help("end the script with `\"\"\"`"),
                        ]);
                    }
                }
            }
            '"' => {
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => break,
                        _ => {}
                    }
                }
                if !closed {
                    return Err(vec![
                        Report::error("unterminated-string", file, Span::new(i, i + 1), "unterminated string")
                            .label("this string is never closed")
                            .help("close it with `\"` on the same line; adjacent strings join, so a long text can continue on the next line"),
                    ]);
                }
                let end = chars.peek().map_or(text.len(), |(j, _)| *j);
                let len = end.saturating_sub(i + 2);
                if len > limits.max_string_bytes {
                    return Err(vec![
                        Report::error(
                            "string-too-long",
                            file,
                            Span::new(i, i + 1),
                            format!(
                                "string is {len} bytes long, more than the limit of {} bytes",
                                limits.max_string_bytes
                            ),
                        )
                        .label("this string")
                        .help("shorten it; a rule file is for rules, not documents"),
                    ]);
                }
            }
            '(' | '{' | '[' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(vec![
                        Report::error(
                            "too-deep",
                            file,
                            Span::new(i, i + 1),
                            format!("brackets nest more than {} levels deep", limits.max_depth),
                        )
                        .label("too deep")
                        .help("name a part of the condition with a `define` block"),
                    ]);
                }
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Turns pest's error into one that says, in words, what was expected.
fn pest_error(file: FileId, text: &str, e: &pest::error::Error<Rule>) -> Report {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let rest = text.get(pos..).unwrap_or("");
    let found: String = if rest.is_empty() {
        "end of file".to_string()
    } else {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        if word.is_empty() {
            format!("`{}`", rest.chars().next().unwrap_or(' '))
        } else {
            format!("`{word}`")
        }
    };
    let len = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum::<usize>()
        .max(rest.chars().next().map_or(0, char::len_utf8));
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().map(|r| rule_name(*r)).collect();
            names.sort_unstable();
            names.dedup();
            join_or(&names)
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected}, found {found}")
    };
    let mut r =
        Report::error("syntax", file, Span::new(pos, pos + len), message).label("unexpected here");
    // pest stops after the first `=` of `==`, so look one byte back.
    let from_prev = text.get(pos.saturating_sub(1)..).unwrap_or(rest);
    let hint = if from_prev.starts_with("==") {
        syntax_help(from_prev)
    } else {
        syntax_help(rest)
    };
    if let Some(h) = hint {
        r = r.help(h);
    }
    r
}

/// A hint for common slips.
fn syntax_help(rest: &str) -> Option<&'static str> {
    if rest.starts_with("==") {
        Some("equality is written `=` or `is`")
    } else if rest.starts_with("&&") {
        Some("write `and`")
    } else if rest.starts_with("||") {
        Some("write `or`")
    } else if rest.starts_with('!') && !rest.starts_with("!=") {
        Some("write `not`")
    } else if rest.starts_with('\'') {
        Some("strings are written in double quotes")
    } else {
        None
    }
}

fn join_or(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// What a grammar rule is called in an error message.
fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::ident | Rule::value_name => "a name",
        Rule::number | Rule::signed_number => "a number",
        Rule::percent => "a percentage",
        Rule::string | Rule::text => "a string",
        Rule::expr
        | Rule::negation
        | Rule::unary
        | Rule::paren
        | Rule::call
        | Rule::set_literal
        | Rule::boolean
        | Rule::none => "an expression",
        Rule::cmp_op => "a comparison",
        Rule::arith_op => "an operator",
        Rule::minus => "`-`",
        Rule::schema | Rule::kw_schema => "`schema`",
        Rule::block | Rule::block_kind => {
            "a block (`program`, `referral`, `warning`, `parameter`, `define`)"
        }
        Rule::field_decl => "a field declaration (`name: type`)",
        Rule::type_expr | Rule::scalar_type | Rule::enum_type | Rule::set_type => {
            "a type (`integer`, `decimal`, `boolean`, `text`, `one of {…}`, `set of …`)"
        }
        Rule::enum_values => "`{`",
        Rule::constraint | Rule::between | Rule::at_least | Rule::at_most => {
            "a range (`between A and B`, `at least A`, `at most B`)"
        }
        Rule::required | Rule::kw_required => "`required`",
        Rule::when_clause | Rule::kw_when => "`when`",
        Rule::caseload_clause | Rule::kw_caseload => "`caseload:`",
        Rule::services_clause | Rule::kw_services => "`services:`",
        Rule::value_clause | Rule::kw_value => "`value:`",
        Rule::attr_clause => "a clause (`key: value`)",
        Rule::limit_bound => "`at most` or `fewer than`",
        Rule::is_op | Rule::kw_is => "`is`",
        Rule::in_op | Rule::kw_in => "`in`",
        Rule::has_op | Rule::kw_has => "`has`",
        Rule::quantifier => "`any`, `all` or `none`",
        Rule::negated | Rule::kw_not => "`not`",
        Rule::known | Rule::kw_known => "`known`",
        Rule::unknown | Rule::kw_unknown => "`unknown`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_of => "`of`",
        Rule::kw_any => "`any`",
        Rule::kw_all => "`all`",
        Rule::kw_none => "`none`",
        Rule::kw_true => "`true`",
        Rule::kw_false => "`false`",
        Rule::kw_between => "`between`",
        Rule::kw_at => "`at`",
        Rule::kw_least => "`least`",
        Rule::kw_most => "`most`",
        Rule::kw_fewer => "`fewer`",
        Rule::kw_than => "`than`",
        Rule::kw_set => "`set`",
        Rule::kw_one => "`one`",
        Rule::kw_per => "`per`",
        Rule::kw_case => "`case`",
        Rule::kw_manager => "`manager`",
        Rule::keyword => "a keyword",
        Rule::file => "a rule file",
        Rule::WHITESPACE | Rule::COMMENT => "a space",
        _ => "a clause",
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
                if !chars.by_ref().any(|c| c == '\n') {
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
            let mut doc = None;
            for part in decl.into_inner() {
                match part.as_rule() {
                    Rule::ident => name = Some(self.ident(part)),
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
            _ => ScalarType::Text,
        }
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let inner = pair.into_inner().next()?;
        let span = span_of(&inner);
        Some(match inner.as_rule() {
            Rule::scalar_type => TypeExpr::Scalar(Self::scalar(&inner), span),
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
                                    "bad-type",
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
                | Rule::value_clause => {
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
            let code = raw
                .get(3..raw.len().saturating_sub(3))
                .unwrap_or("")
                .to_string();
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
                    for p in part.into_inner() {
                        match p.as_rule() {
                            Rule::ident => qualifier = Some(self.ident(p)),
                            Rule::expr => condition = self.expr(p, 0),
                            _ => {}
                        }
                    }
                    if let Some(condition) = condition {
                        clauses.push(Clause::When {
                            qualifier,
                            condition,
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
        let kind = match inner.next()?.as_str() {
            "program" => BlockKind::Program,
            "referral" => BlockKind::Referral,
            "warning" => BlockKind::Warning,
            "parameter" => BlockKind::Parameter,
            _ => BlockKind::Define,
        };
        let id = self.ident(inner.next()?);
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

    /// Checks the depth of a node about to be built.
    fn deeper(&mut self, depth: usize, span: Span) -> Option<usize> {
        if depth >= self.max_depth {
            // One error per expression is enough: none at or after an
            // earlier one. (Kept as a position, not found by searching the
            // errors, which took time quadratic in a file of many errors.)
            if self.too_deep_from.is_none_or(|from| from > span.start) {
                self.too_deep_from = Some(span.start);
                self.errors.push(
                    Report::error(
                        "too-deep",
                        self.file,
                        span,
                        format!("expression nests more than {} levels deep", self.max_depth),
                    )
                    .label("too deep")
                    .help("name a part of the condition with a `define` block"),
                );
            }
            None
        } else {
            Some(depth + 1)
        }
    }

    /// Lowers an `expr` pair: `negation`s joined by `and` and `or`, each a
    /// flat sequence of `not`s, operands and operators. The tree is built
    /// here by precedence, loosest first: `or`, `and`, `not`, the
    /// comparison tests, `+ -`, `* / of`, unary minus.
    ///
    /// Depth is counted as it was when each precedence level was a grammar
    /// rule (a `too-deep` error names the same node, at the same depth):
    /// every level checks the depth with its own span on entry, and `and`,
    /// `or`, `not`, minus and each arithmetic operator add one.
    fn expr(&mut self, pair: Pair<'_, Rule>, depth: usize) -> Option<Expr> {
        let mut negations = Vec::new();
        let mut ors = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::negation => {
                    let toks: Vec<Tok<'_>> = p
                        .into_inner()
                        .map(|p| Tok {
                            rule: p.as_rule(),
                            span: if p.as_rule() == Rule::unary {
                                operand_span(&p)
                            } else {
                                pair_span(&p)
                            },
                            pair: p,
                        })
                        .collect();
                    // From the tokens, not the pair, whose span runs on
                    // over the spaces after its last token.
                    let span = extent(&toks)?;
                    negations.push(Negation { toks, span });
                }
                rule => ors.push(rule == Rule::kw_or),
            }
        }
        let span = Span::new(negations.first()?.span.start, negations.last()?.span.end);
        self.deeper(depth, span)?;
        let many = ors.contains(&true);
        let d = if many { depth + 1 } else { depth };
        let mut parts = Vec::new();
        let mut start = 0;
        // `ors[i]` is the operator after `negations[i]`; a conjunction ends
        // at each `or`, and at the end.
        for (i, &or) in ors.iter().chain(std::iter::once(&true)).enumerate() {
            if or {
                parts.push(self.conjunction(negations.get(start..=i)?, d)?);
                start = i + 1;
            }
        }
        if many {
            Some(Expr {
                kind: ExprKind::Or(parts),
                span,
            })
        } else {
            parts.pop()
        }
    }

    fn conjunction(&mut self, negations: &[Negation<'_>], depth: usize) -> Option<Expr> {
        let span = Span::new(negations.first()?.span.start, negations.last()?.span.end);
        self.deeper(depth, span)?;
        let many = negations.len() > 1;
        let d = if many { depth + 1 } else { depth };
        let mut parts = Vec::new();
        for n in negations {
            parts.push(self.negation(n, d)?);
        }
        if many {
            Some(Expr {
                kind: ExprKind::And(parts),
                span,
            })
        } else {
            parts.pop()
        }
    }

    fn negation(&mut self, negation: &Negation<'_>, depth: usize) -> Option<Expr> {
        let (toks, span) = (&negation.toks, negation.span);
        self.deeper(depth, span)?;
        let nots = toks.iter().take_while(|t| t.rule == Rule::kw_not).count();
        self.deeper(depth + nots, span)?;
        let mut e = self.comparison(toks.get(nots..)?, depth + nots)?;
        for not in toks.get(..nots)?.iter().rev() {
            let s = Span::new(not.span.start, e.span.end);
            e = Expr {
                kind: ExprKind::Not(Box::new(e)),
                span: s,
            };
        }
        Some(e)
    }

    fn comparison(&mut self, toks: &[Tok<'_>], depth: usize) -> Option<Expr> {
        let span = extent(toks)?;
        self.deeper(depth, span)?;
        let is_test = |t: &Tok<'_>| {
            matches!(
                t.rule,
                Rule::cmp_op | Rule::is_op | Rule::in_op | Rule::has_op
            )
        };
        let first_end = toks.iter().position(is_test).unwrap_or(toks.len());
        let first = self.sum(toks.get(..first_end)?, depth)?;
        // Each test with its operand: it runs to the next test.
        let mut tails: Vec<&[Tok<'_>]> = Vec::new();
        let mut rest = toks.get(first_end..)?;
        while let Some((_, after)) = rest.split_first() {
            let len = 1 + after.iter().position(is_test).unwrap_or(after.len());
            tails.push(rest.get(..len)?);
            rest = rest.get(len..)?;
        }
        if tails.is_empty() {
            return Some(first);
        }
        let is_compare = |t: &&[Tok<'_>]| t.first().is_some_and(|o| o.rule == Rule::cmp_op);
        let all_compare = tails.iter().all(is_compare);
        if !all_compare && tails.len() > 1 {
            let second = tails.get(1).and_then(|t| extent(t)).unwrap_or(span);
            self.errors.push(
                Report::error(
                    "ambiguous-chain",
                    self.file,
                    second,
                    "`is`, `in` and `has` tests cannot be chained with other comparisons",
                )
                .label("second test")
                .help("join the tests with `and`, or add parentheses"),
            );
            return None;
        }
        if all_compare {
            if tails.len() > self.max_depth {
                self.deeper(self.max_depth, span);
                return None;
            }
            let mut rest = Vec::new();
            for t in tails {
                let (op, operand) = t.split_first()?;
                let op = match op.pair.as_str() {
                    "<" => CmpOp::Lt,
                    "<=" | "≤" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    ">=" | "≥" => CmpOp::Ge,
                    "=" => CmpOp::Eq,
                    _ => CmpOp::Ne,
                };
                rest.push((op, self.sum(operand, depth)?));
            }
            return Some(Expr {
                kind: ExprKind::Compare {
                    first: Box::new(first),
                    rest,
                },
                span,
            });
        }
        let (op, operand) = tails.first()?.split_first()?;
        let mut negated = false;
        let mut quantifier = Quantifier::Any;
        for p in op.pair.clone().into_inner() {
            match p.as_rule() {
                Rule::negated => negated = true,
                Rule::quantifier => {
                    quantifier = match p.as_str() {
                        "all" => Quantifier::All,
                        "none" => Quantifier::None,
                        _ => Quantifier::Any,
                    }
                }
                _ => {}
            }
        }
        let first = Box::new(first);
        let known = match operand {
            [t] if t.rule == Rule::known => Some(true),
            [t] if t.rule == Rule::unknown => Some(false),
            _ => None,
        };
        let kind = match (op.rule, known) {
            (Rule::is_op, Some(known)) => ExprKind::IsKnown {
                operand: first,
                known,
                negated,
            },
            (Rule::is_op, None) => ExprKind::Is {
                lhs: first,
                negated,
                rhs: Box::new(self.sum(operand, depth)?),
            },
            (Rule::in_op, _) => ExprKind::In {
                element: first,
                negated,
                set: Box::new(self.sum(operand, depth)?),
            },
            _ => ExprKind::Has {
                set: first,
                quantifier,
                values: Box::new(self.sum(operand, depth)?),
            },
        };
        Some(Expr { kind, span })
    }

    /// Terms joined by `+` and `-`, left to right.
    fn sum(&mut self, toks: &[Tok<'_>], depth: usize) -> Option<Expr> {
        let span = extent(toks)?;
        self.deeper(depth, span)?;
        let is_add = |t: &Tok<'_>| t.rule == Rule::arith_op && add_op(t.pair.as_str()).is_some();
        let mut terms = toks.split(is_add);
        let mut ops = toks.iter().filter(|t| is_add(t));
        let mut lhs = self.product(terms.next()?, depth)?;
        let mut d = depth;
        for term in terms {
            let op = add_op(ops.next()?.pair.as_str())?;
            d = self.deeper(d, lhs.span)?;
            let rhs = self.product(term, d)?;
            lhs = arith(op, lhs, rhs);
        }
        Some(lhs)
    }

    /// Operands joined by `*`, `/` and `of`, left to right.
    fn product(&mut self, toks: &[Tok<'_>], depth: usize) -> Option<Expr> {
        let span = extent(toks)?;
        self.deeper(depth, span)?;
        let (first, mut rest) = toks.split_first()?;
        let mut lhs = self.unary(first, depth)?;
        let mut d = depth;
        while let [op, operand, more @ ..] = rest {
            let op = match op.pair.as_str() {
                "*" | "×" => ArithOp::Mul,
                "/" => ArithOp::Div,
                _ => ArithOp::Of,
            };
            d = self.deeper(d, lhs.span)?;
            let rhs = self.unary(operand, d)?;
            lhs = arith(op, lhs, rhs);
            rest = more;
        }
        Some(lhs)
    }

    /// An operand: minus signs, then a primary.
    fn unary(&mut self, tok: &Tok<'_>, depth: usize) -> Option<Expr> {
        self.deeper(depth, tok.span)?;
        let mut minus = Vec::new();
        let mut operand = None;
        for p in tok.pair.clone().into_inner() {
            match p.as_rule() {
                Rule::minus => minus.push(p.as_span().start()),
                _ => operand = Some(p),
            }
        }
        self.deeper(depth + minus.len(), tok.span)?;
        let mut e = self.primary(operand?, depth + minus.len())?;
        for start in minus.into_iter().rev() {
            let s = Span::new(start, e.span.end);
            e = Expr {
                kind: ExprKind::Neg(Box::new(e)),
                span: s,
            };
        }
        Some(e)
    }

    fn primary(&mut self, pair: Pair<'_, Rule>, depth: usize) -> Option<Expr> {
        let span = operand_span(&pair);
        self.deeper(depth, span)?;
        let kind = match pair.as_rule() {
            Rule::ident | Rule::any_word => ExprKind::Name(pair.as_str().to_string()),
            Rule::number => ExprKind::Number(self.number(pair)),
            Rule::percent => ExprKind::Percent(self.number(pair.into_inner().next()?)),
            Rule::text => ExprKind::Text(self.text(pair).value),
            Rule::boolean => ExprKind::Bool(pair.as_str().starts_with('t')),
            Rule::none => ExprKind::None,
            Rule::paren => {
                ExprKind::Paren(Box::new(self.expr(pair.into_inner().next()?, depth + 1)?))
            }
            Rule::call => {
                let mut it = pair.into_inner();
                let name = self.ident(it.next()?);
                let mut args = Vec::new();
                for a in it {
                    args.push(self.expr(a, depth + 1)?);
                }
                ExprKind::Call { name, args }
            }
            Rule::set_literal => {
                let mut items = Vec::new();
                for a in pair.into_inner() {
                    items.push(self.expr(a, depth + 1)?);
                }
                ExprKind::Set(items)
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }
}

/// An operand of `and`/`or`: its tokens, and its span from the first to
/// the end of the last.
struct Negation<'i> {
    toks: Vec<Tok<'i>>,
    span: Span,
}

/// One child of a `negation` pair: a `not`, an operand (`unary`), or an
/// operator.
struct Tok<'i> {
    rule: Rule,
    span: Span,
    pair: Pair<'i, Rule>,
}

/// The span from the first token to the end of the last; `None` for no
/// tokens, which the grammar never gives.
fn extent(toks: &[Tok<'_>]) -> Option<Span> {
    Some(Span::new(toks.first()?.span.start, toks.last()?.span.end))
}

fn pair_span(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

/// The span of an operand (`unary`) or a primary. A primary ends in a
/// token or a closing bracket, except `text`: `string+` runs on over the
/// spaces after its last string, and so does a `unary` that ends in one.
fn operand_span(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    let mut last = pair.clone();
    if last.as_rule() == Rule::unary {
        match last.clone().into_inner().next_back() {
            Some(p) => last = p,
            None => return pair_span(pair),
        }
    }
    let end = if last.as_rule() == Rule::text {
        last.into_inner()
            .next_back()
            .map_or(s.end(), |p| p.as_span().end())
    } else {
        last.as_span().end()
    };
    Span::new(s.start(), end)
}

fn add_op(op: &str) -> Option<ArithOp> {
    match op {
        "+" => Some(ArithOp::Add),
        "-" | "−" => Some(ArithOp::Sub),
        _ => None,
    }
}

fn arith(op: ArithOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    Expr {
        kind: ExprKind::Arith {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn when_conditions(text: &str) -> Vec<(String, String)> {
        let Ok(file) = parse(FileId(0), text, &Limits::default()) else {
            panic!("does not parse: {text}")
        };
        let mut out = Vec::new();
        for item in file.items {
            let Item::Block(b) = item else { continue };
            for c in b.clauses {
                if let Clause::When {
                    condition, span, ..
                } = c
                {
                    let slice = |s: Span| text[s.start..s.end].to_string();
                    out.push((slice(condition.span), slice(span)));
                }
            }
        }
        out
    }

    /// A condition that ends in a closing bracket ends there: the spaces
    /// and comment after it are not part of the condition (they were, and
    /// showed up in explanations and coverage as the condition's text).
    #[test]
    fn a_condition_ending_in_a_bracket_ends_at_the_bracket() {
        let text = "program p {\n  when f(x) # why\n  when a and (b or c)   \n  \
                    when s has any of {a, b}\n  when \"x\" \"y\" is t  \n}\n";
        assert_eq!(
            when_conditions(text),
            [
                ("f(x)".into(), "when f(x)".into()),
                ("a and (b or c)".into(), "when a and (b or c)".into()),
                (
                    "s has any of {a, b}".into(),
                    "when s has any of {a, b}".into()
                ),
                ("\"x\" \"y\" is t".into(), "when \"x\" \"y\" is t".into()),
            ]
        );
    }

    /// Precedence, loosest first: `or`, `and`, `not`, tests, `+ -`,
    /// `* / of`, unary minus; arithmetic is left-associative.
    #[test]
    fn the_flat_expression_is_built_by_precedence() {
        fn show(e: &Expr) -> String {
            match &e.kind {
                ExprKind::Name(n) => n.clone(),
                ExprKind::Number(n) | ExprKind::Percent(n) => n.text.clone(),
                ExprKind::Or(xs) | ExprKind::And(xs) => {
                    let op = if matches!(e.kind, ExprKind::Or(_)) {
                        " or "
                    } else {
                        " and "
                    };
                    let parts: Vec<String> = xs.iter().map(show).collect();
                    format!("({})", parts.join(op))
                }
                ExprKind::Not(x) => format!("not {}", show(x)),
                ExprKind::Neg(x) => format!("-{}", show(x)),
                ExprKind::Arith { op, lhs, rhs } => {
                    format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
                }
                ExprKind::Compare { first, rest } => {
                    let mut s = format!("[{}", show(first));
                    for (op, x) in rest {
                        s += &format!(" {} {}", op.symbol(), show(x));
                    }
                    s + "]"
                }
                ExprKind::In {
                    element,
                    negated,
                    set,
                } => {
                    format!(
                        "[{} {}in {}]",
                        show(element),
                        if *negated { "not " } else { "" },
                        show(set)
                    )
                }
                ExprKind::Is { lhs, negated, rhs } => {
                    format!(
                        "[{} is {}{}]",
                        show(lhs),
                        if *negated { "not " } else { "" },
                        show(rhs)
                    )
                }
                ExprKind::IsKnown {
                    operand,
                    known,
                    negated,
                } => format!(
                    "[{} is {}{}]",
                    show(operand),
                    if *negated { "not " } else { "" },
                    if *known { "known" } else { "unknown" }
                ),
                ExprKind::Has {
                    set,
                    quantifier,
                    values,
                } => {
                    format!("[{} has {:?} of {}]", show(set), quantifier, show(values))
                }
                ExprKind::Paren(x) => format!("({})", show(x)),
                other => format!("{other:?}"),
            }
        }
        let cases = [
            ("a or b and not c", "(a or (b and not c))"),
            ("not x in s", "not [x in s]"),
            ("not not x not in s and y", "(not not [x not in s] and y)"),
            ("10 <= p <= 19", "[10 <= p <= 19]"),
            ("a - b - c * d / e", "((a - b) - ((c * d) / e))"),
            ("- - 3 + -x", "(--3 + -x)"),
            ("138% of g * 2 > 1", "[((138 of g) * 2) > 1]"),
            (
                "a is not known or b is unknown",
                "([a is not known] or [b is unknown])",
            ),
            ("a + 1 is not b * 2", "[(a + 1) is not (b * 2)]"),
            (
                "s has all of t or s has none of u",
                "([s has All of t] or [s has None of u])",
            ),
            ("(a or b) and c", "(((a or b)) and c)"),
        ];
        for (text, want) in cases {
            let source = format!("define d {{ value: {text} }}");
            let Ok(file) = parse(FileId(0), &source, &Limits::default()) else {
                panic!("does not parse: {source}")
            };
            let Item::Block(b) = &file.items[0] else {
                panic!()
            };
            let Clause::Value { value, .. } = &b.clauses[0] else {
                panic!()
            };
            assert_eq!(show(value), want, "{text}");
        }
    }
}
