//! pest's errors in words: what was expected, what was found, and a hint
//! for the common slips (`==`, `&&`, `||`, `!`, single quotes).

use super::grammar::Rule;
use crate::diagnostic::{Code, FileId, Report, Span};

/// Turns pest's error into one that says, in words, what was expected.
pub(super) fn pest_error(file: FileId, text: &str, e: &pest::error::Error<Rule>) -> Report {
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
    let mut r = Report::error(Code::Syntax, file, Span::new(pos, pos + len), message)
        .label("unexpected here");
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
        Rule::intensity_op => "`is more intensive than`",
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
