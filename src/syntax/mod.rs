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
//!
//! The stages of a parse, each in its own file: `prescan` (the limits,
//! before pest runs), the grammar (`grammar.pest`), `errors` (pest's errors
//! in words) and `lower` (pest's pairs → [`ast`]).

pub mod ast;
mod errors;
mod lower;
mod prescan;

use crate::Limits;
/// Byte spans into a rule file, as syntax nodes carry them.
pub use crate::diagnostic::Span;
use crate::diagnostic::{FileId, Report};
use ast::File;
use pest::Parser as _;

pub(crate) use lower::unescape;

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
    prescan::prescan(file, text, limits)?;
    let pairs = RuleParser::parse(Rule::file, text)
        .map_err(|e| vec![errors::pest_error(file, text, &e)])?;
    lower::file(file, pairs, limits.max_depth)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;
    use ast::*;

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
                ExprKind::Intensity { lhs, more, rhs } => {
                    format!(
                        "[{} is {} intensive than {}]",
                        show(lhs),
                        if *more { "more" } else { "less" },
                        show(rhs)
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
