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
    for pair in pairs.flatten().filter(|p| p.as_rule() == Rule::file) {
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
        | Rule::disjunction
        | Rule::conjunction
        | Rule::negation
        | Rule::comparison
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::paren
        | Rule::call
        | Rule::set_literal
        | Rule::boolean
        | Rule::none => "an expression",
        Rule::cmp_op | Rule::compare => "a comparison",
        Rule::add_op | Rule::mul_op => "an operator",
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
        Rule::is_test | Rule::kw_is => "`is`",
        Rule::in_test | Rule::kw_in => "`in`",
        Rule::has_test | Rule::kw_has => "`has`",
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

/// A pair's span, ending at its last token. pest lets a rule that ends in a
/// repetition run on over the spaces and comments it skipped looking for one
/// more item; those belong to no node, and would show up in diagnostics and
/// in the condition text of explanations.
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

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    // The last token is found by following last children down: the depth of
    // the tree, where walking every token would make lowering quadratic.
    let mut last = s.end();
    let mut node = pair.clone().into_inner().last();
    while let Some(p) = node {
        last = p.as_span().end();
        node = p.into_inner().last();
    }
    let last = last.min(s.end());
    // Only a gap of spaces and comments is trimmed: a closing `}` or `)` is
    // a literal with no pair of its own, and belongs to the span.
    let gap = s.as_str().get(last - s.start()..).unwrap_or("");
    let only_trivia = gap.lines().all(|l| {
        let t = l.trim();
        t.is_empty() || t.starts_with('#')
    });
    let end = if only_trivia { last } else { s.end() };
    Span::new(s.start(), end)
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

    fn expr(&mut self, pair: Pair<'_, Rule>, depth: usize) -> Option<Expr> {
        let span = span_of(&pair);
        // Depth counts the nodes of the tree being built, not the grammar
        // rules a node passes through on its way down.
        self.deeper(depth, span)?;
        match pair.as_rule() {
            Rule::expr => self.expr(pair.into_inner().next()?, depth),
            Rule::disjunction | Rule::conjunction => {
                let is_or = pair.as_rule() == Rule::disjunction;
                let operands: Vec<Pair<'_, Rule>> = pair
                    .into_inner()
                    .filter(|p| !matches!(p.as_rule(), Rule::kw_or | Rule::kw_and))
                    .collect();
                let d = if operands.len() > 1 { depth + 1 } else { depth };
                let mut parts = Vec::new();
                for p in operands {
                    parts.push(self.expr(p, d)?);
                }
                if parts.len() == 1 {
                    parts.pop()
                } else {
                    let kind = if is_or {
                        ExprKind::Or(parts)
                    } else {
                        ExprKind::And(parts)
                    };
                    Some(Expr { kind, span })
                }
            }
            Rule::negation => {
                let mut nots = Vec::new();
                let mut operand = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::kw_not => nots.push(span_of(&p).start),
                        _ => operand = Some(p),
                    }
                }
                self.deeper(depth + nots.len(), span)?;
                let mut e = self.expr(operand?, depth + nots.len())?;
                for start in nots.into_iter().rev() {
                    let s = Span::new(start, e.span.end);
                    e = Expr {
                        kind: ExprKind::Not(Box::new(e)),
                        span: s,
                    };
                }
                Some(e)
            }
            Rule::comparison => self.comparison(pair, span, depth),
            Rule::sum | Rule::product => {
                let mut it = pair.into_inner();
                let mut lhs = self.expr(it.next()?, depth)?;
                let mut d = depth;
                while let Some(op) = it.next() {
                    let op = match op.as_str() {
                        "+" => ArithOp::Add,
                        "-" | "−" => ArithOp::Sub,
                        "*" | "×" => ArithOp::Mul,
                        "/" => ArithOp::Div,
                        _ => ArithOp::Of,
                    };
                    d = self.deeper(d, lhs.span)?;
                    let rhs = self.expr(it.next()?, d)?;
                    let s = lhs.span.to(rhs.span);
                    lhs = Expr {
                        kind: ExprKind::Arith {
                            op,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                        span: s,
                    };
                }
                Some(lhs)
            }
            Rule::unary => {
                let mut minus = Vec::new();
                let mut operand = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::minus => minus.push(span_of(&p).start),
                        _ => operand = Some(p),
                    }
                }
                self.deeper(depth + minus.len(), span)?;
                let mut e = self.expr(operand?, depth + minus.len())?;
                for start in minus.into_iter().rev() {
                    let s = Span::new(start, e.span.end);
                    e = Expr {
                        kind: ExprKind::Neg(Box::new(e)),
                        span: s,
                    };
                }
                Some(e)
            }
            Rule::number => Some(Expr {
                kind: ExprKind::Number(self.number(pair)),
                span,
            }),
            Rule::percent => {
                let n = pair.into_inner().next()?;
                Some(Expr {
                    kind: ExprKind::Percent(self.number(n)),
                    span,
                })
            }
            Rule::text => Some(Expr {
                kind: ExprKind::Text(self.text(pair).value),
                span,
            }),
            Rule::boolean => Some(Expr {
                kind: ExprKind::Bool(pair.as_str().starts_with('t')),
                span,
            }),
            Rule::none => Some(Expr {
                kind: ExprKind::None,
                span,
            }),
            Rule::ident | Rule::any_word => Some(Expr {
                kind: ExprKind::Name(pair.as_str().to_string()),
                span,
            }),
            Rule::paren => {
                let inner = self.expr(pair.into_inner().next()?, depth + 1)?;
                Some(Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span,
                })
            }
            Rule::call => {
                let mut it = pair.into_inner();
                let name = self.ident(it.next()?);
                let mut args = Vec::new();
                for a in it {
                    args.push(self.expr(a, depth + 1)?);
                }
                Some(Expr {
                    kind: ExprKind::Call { name, args },
                    span,
                })
            }
            Rule::set_literal => {
                let mut items = Vec::new();
                for a in pair.into_inner() {
                    items.push(self.expr(a, depth + 1)?);
                }
                Some(Expr {
                    kind: ExprKind::Set(items),
                    span,
                })
            }
            _ => None,
        }
    }

    fn comparison(&mut self, pair: Pair<'_, Rule>, span: Span, depth: usize) -> Option<Expr> {
        let mut it = pair.into_inner();
        let first = self.expr(it.next()?, depth)?;
        let tails: Vec<Pair<'_, Rule>> = it.collect();
        if tails.is_empty() {
            return Some(first);
        }
        let all_compare = tails.iter().all(|t| t.as_rule() == Rule::compare);
        if !all_compare && tails.len() > 1 {
            let second = tails.get(1).map_or(span, span_of);
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
                let mut ti = t.into_inner();
                let op = match ti.next()?.as_str() {
                    "<" => CmpOp::Lt,
                    "<=" | "≤" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    ">=" | "≥" => CmpOp::Ge,
                    "=" => CmpOp::Eq,
                    _ => CmpOp::Ne,
                };
                rest.push((op, self.expr(ti.next()?, depth)?));
            }
            return Some(Expr {
                kind: ExprKind::Compare {
                    first: Box::new(first),
                    rest,
                },
                span,
            });
        }
        let tail = tails.into_iter().next()?;
        let rule = tail.as_rule();
        let mut negated = false;
        let mut operand = None;
        let mut quantifier = Quantifier::Any;
        let mut known = None;
        for p in tail.into_inner() {
            match p.as_rule() {
                Rule::negated => negated = true,
                Rule::known => known = Some(true),
                Rule::unknown => known = Some(false),
                Rule::quantifier => {
                    quantifier = match p.as_str() {
                        "all" => Quantifier::All,
                        "none" => Quantifier::None,
                        _ => Quantifier::Any,
                    }
                }
                Rule::sum => operand = Some(self.expr(p, depth)?),
                _ => {}
            }
        }
        let first = Box::new(first);
        let kind = match (rule, known) {
            (Rule::is_test, Some(known)) => ExprKind::IsKnown {
                operand: first,
                known,
                negated,
            },
            (Rule::is_test, None) => ExprKind::Is {
                lhs: first,
                negated,
                rhs: Box::new(operand?),
            },
            (Rule::in_test, _) => ExprKind::In {
                element: first,
                negated,
                set: Box::new(operand?),
            },
            _ => ExprKind::Has {
                set: first,
                quantifier,
                values: Box::new(operand?),
            },
        };
        Some(Expr { kind, span })
    }
}
