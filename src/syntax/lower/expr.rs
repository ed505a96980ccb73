//! Lowering expressions. The grammar reads a condition or value as a flat
//! sequence of `not`s, operands and operators (pest would otherwise recurse
//! once per precedence level for every operand); here it is built into a
//! tree by precedence, with a depth limit so that a hostile chain cannot
//! build a tree too deep to check or evaluate.

use super::super::ast::*;
use super::super::grammar::Rule;
use super::Lower;
use crate::diagnostic::{Code, Report, Span};
use pest::iterators::Pair;

impl Lower {
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
                        Code::TooDeep,
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
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>, depth: usize) -> Option<Expr> {
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
                Rule::cmp_op | Rule::is_op | Rule::in_op | Rule::has_op | Rule::intensity_op
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
                    Code::AmbiguousChain,
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
            (Rule::intensity_op, _) => ExprKind::Intensity {
                lhs: first,
                more: op
                    .pair
                    .clone()
                    .into_inner()
                    .any(|p| p.as_rule() == Rule::kw_more),
                rhs: Box::new(self.sum(operand, depth)?),
            },
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

    /// Lowers a table's `input_expr` pair: operands and arithmetic only.
    pub(super) fn input_expr(&mut self, pair: Pair<'_, Rule>, depth: usize) -> Option<Expr> {
        let toks: Vec<Tok<'_>> = pair
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
        self.sum(&toks, depth)
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
            Rule::date => ExprKind::Date(pair.as_str().to_string()),
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
            Rule::duration => {
                let mut unit = crate::date::Unit::Days;
                let mut dates = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::duration_unit => {
                            unit = match p.as_str() {
                                "years" => crate::date::Unit::Years,
                                "months" => crate::date::Unit::Months,
                                _ => crate::date::Unit::Days,
                            }
                        }
                        Rule::unary => {
                            let tok = Tok {
                                rule: Rule::unary,
                                span: operand_span(&p),
                                pair: p,
                            };
                            dates.push(self.unary(&tok, depth + 1)?);
                        }
                        _ => {}
                    }
                }
                let mut dates = dates.into_iter().map(Box::new);
                ExprKind::Duration {
                    unit,
                    from: dates.next()?,
                    to: dates.next(),
                }
            }
            Rule::output_ref => {
                let mut it = pair.into_inner();
                let table = self.ident(it.next()?);
                let output = self.ident(it.next()?);
                ExprKind::Output { table, output }
            }
            Rule::set_literal => {
                let mut items = Vec::new();
                for a in pair.into_inner() {
                    items.push(self.expr(a, depth + 1)?);
                }
                ExprKind::Set(items)
            }
            Rule::if_expr => {
                let mut parts = Vec::new();
                for a in pair.into_inner().filter(|p| p.as_rule() == Rule::expr) {
                    parts.push(self.expr(a, depth + 1)?);
                }
                let [condition, then, otherwise] = <[Expr; 3]>::try_from(parts).ok()?;
                // From the else branch, not the pair, whose span may run on
                // over spaces after a trailing string.
                let span = Span::new(span.start, otherwise.span.end);
                return Some(Expr {
                    kind: ExprKind::If {
                        condition: Box::new(condition),
                        then: Box::new(then),
                        otherwise: Box::new(otherwise),
                    },
                    span,
                });
            }
            Rule::first_known => {
                let mut items = Vec::new();
                for a in pair.into_inner().filter(|p| p.as_rule() == Rule::expr) {
                    items.push(self.expr(a, depth + 1)?);
                }
                ExprKind::FirstKnown(items)
            }
            Rule::count_of => {
                let mut at_most = false;
                let mut n = None;
                let mut conditions = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::count_bound => at_most = p.as_str().starts_with("most"),
                        Rule::number => n = Some(self.number(p)),
                        Rule::expr => conditions.push(self.expr(p, depth + 1)?),
                        _ => {}
                    }
                }
                ExprKind::CountOf {
                    at_most,
                    n: n?,
                    conditions,
                }
            }
            Rule::weighted_sum => {
                let mut set = None;
                let mut weights = Vec::new();
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::weighted_set => {
                            set = Some(self.primary(p.into_inner().next()?, depth + 1)?);
                        }
                        Rule::weight => weights.push(self.weight(p)?),
                        _ => {}
                    }
                }
                ExprKind::WeightedSum {
                    set: Box::new(set?),
                    weights,
                }
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }

    /// `key: weight` in a weighted sum.
    fn weight(&mut self, pair: Pair<'_, Rule>) -> Option<Weight> {
        let span = pair_span(&pair);
        let mut inner = pair.into_inner();
        let key = self.attr_value(inner.next()?);
        let value = inner.next()?;
        let vspan = pair_span(&value);
        let mut minus = None;
        let mut number = None;
        for p in value.into_inner() {
            match p.as_rule() {
                Rule::minus => minus = Some(p.as_span().start()),
                Rule::percent => {
                    let s = pair_span(&p);
                    let n = self.number(p.into_inner().next()?);
                    number = Some(Expr {
                        kind: ExprKind::Percent(n),
                        span: s,
                    });
                }
                _ => {
                    let s = pair_span(&p);
                    number = Some(Expr {
                        kind: ExprKind::Number(self.number(p)),
                        span: s,
                    });
                }
            }
        }
        let mut weight = number?;
        if let Some(start) = minus {
            weight = Expr {
                kind: ExprKind::Neg(Box::new(weight)),
                span: Span::new(start, vspan.end),
            };
        }
        Some(Weight { key, weight, span })
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
