//! Lowering tables: `table` pairs → [`ast::Table`](super::super::ast::Table),
//! every clause and row kept in the order written so the formatter can
//! print it back.

use super::super::ast::*;
use super::super::grammar::Rule;
use super::{Lower, span_of};
use pest::iterators::Pair;

impl Lower {
    /// Lowers a `table` item.
    pub(super) fn table(&mut self, pair: Pair<'_, Rule>) -> Option<Table> {
        let span = span_of(&pair);
        let mut id = None;
        let mut title = None;
        let mut parts = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::ident => id = Some(self.ident(part)),
                Rule::text => title = Some(self.text(part)),
                Rule::hit_clause => {
                    let cspan = span_of(&part);
                    let policy = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::hit_policy)?;
                    // One space between words, however many were written:
                    // `collect   sum` is the policy `collect sum`.
                    let words: Vec<&str> =
                        policy.clone().into_inner().map(|w| w.as_str()).collect();
                    parts.push(TablePart::Hit(
                        Ident {
                            name: words.join(" "),
                            span: span_of(&policy),
                        },
                        cspan,
                    ));
                }
                Rule::input_clause => {
                    let cspan = span_of(&part);
                    let mut exprs = Vec::new();
                    for p in part
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::input_expr)
                    {
                        exprs.push(self.input_expr(p, 0)?);
                    }
                    parts.push(TablePart::Input(exprs, cspan));
                }
                Rule::output_clause => {
                    let cspan = span_of(&part);
                    let mut name = None;
                    let mut ty = None;
                    for p in part.into_inner() {
                        match p.as_rule() {
                            Rule::ident => name = Some(self.ident(p)),
                            Rule::output_type => ty = self.output_type(p),
                            _ => {}
                        }
                    }
                    parts.push(TablePart::Output {
                        name,
                        ty: ty?,
                        span: cspan,
                    });
                }
                Rule::table_from => {
                    let cspan = span_of(&part);
                    let d = part.into_inner().find(|p| p.as_rule() == Rule::date)?;
                    parts.push(TablePart::From(self.ident(d), cspan));
                }
                Rule::default_row => {
                    let cspan = span_of(&part);
                    let outs = part
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::out_value)
                        .map(|p| p.into_inner().next().and_then(|l| self.cell_lit(l)))
                        .collect::<Option<Vec<_>>>()?;
                    parts.push(TablePart::Default(outs, cspan));
                }
                Rule::attr_clause => {
                    if let Some(c) = self.clause(part) {
                        parts.push(TablePart::Attr(c));
                    }
                }
                Rule::table_row => parts.push(TablePart::Row(self.row(part)?)),
                _ => {}
            }
        }
        Some(Table {
            id: id?,
            title,
            parts,
            span,
        })
    }

    fn output_type(&mut self, pair: Pair<'_, Rule>) -> Option<OutputType> {
        let inner = pair.into_inner().next()?;
        let span = span_of(&inner);
        Some(match inner.as_rule() {
            Rule::enum_type => OutputType::OneOf(self.idents(inner), span),
            _ => match inner.as_str() {
                "date" => OutputType::Date(span),
                _ => OutputType::Scalar(Self::scalar(&inner), span),
            },
        })
    }

    fn row(&mut self, pair: Pair<'_, Rule>) -> Option<Row> {
        let span = span_of(&pair);
        let semicolon = pair.as_str().trim_end().ends_with(';');
        let mut cells = Vec::new();
        let mut outputs = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::cell => cells.push(self.cell(p)?),
                Rule::out_value => outputs.push(self.cell_lit(p.into_inner().next()?)?),
                _ => {}
            }
        }
        Some(Row {
            cells,
            outputs,
            semicolon,
            span,
        })
    }

    fn cell(&mut self, pair: Pair<'_, Rule>) -> Option<Cell> {
        let inner = pair.into_inner().next()?;
        let span = span_of(&inner);
        Some(match inner.as_rule() {
            Rule::any_cell => Cell::Any(span),
            Rule::each_additional => Cell::EachAdditional(span),
            Rule::not_cell => Cell::Not(self.cell_tests(inner)?, span),
            _ => Cell::Tests(self.cell_tests(inner)?, span),
        })
    }

    fn cell_tests(&mut self, pair: Pair<'_, Rule>) -> Option<Vec<CellTest>> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::cell_test)
            .map(|p| self.cell_test(p))
            .collect()
    }

    fn cell_test(&mut self, pair: Pair<'_, Rule>) -> Option<CellTest> {
        let inner = pair.into_inner().next()?;
        let rule = inner.as_rule();
        if rule == Rule::cell_lit {
            return Some(CellTest::Is(self.cell_lit(inner)?));
        }
        let mut op = None;
        let mut open = None;
        let mut close = None;
        let mut lits = Vec::new();
        for p in inner.into_inner() {
            match p.as_rule() {
                Rule::cmp_op => {
                    op = Some(match p.as_str() {
                        "<" => CmpOp::Lt,
                        "<=" | "≤" => CmpOp::Le,
                        ">" => CmpOp::Gt,
                        ">=" | "≥" => CmpOp::Ge,
                        "=" => CmpOp::Eq,
                        _ => CmpOp::Ne,
                    })
                }
                Rule::interval_open => open = Some(p.as_str() == "["),
                Rule::interval_close => close = Some(p.as_str() == "]"),
                Rule::cell_lit => lits.push(self.cell_lit(p)?),
                _ => {}
            }
        }
        let mut lits = lits.into_iter();
        Some(match rule {
            Rule::cmp_test => CellTest::Cmp(op?, lits.next()?),
            Rule::range_test => CellTest::To(lits.next()?, lits.next()?),
            Rule::or_more => CellTest::OrMore(lits.next()?),
            Rule::or_less => CellTest::OrLess(lits.next()?),
            _ => CellTest::Interval {
                lo_closed: open?,
                lo: lits.next()?,
                hi: lits.next()?,
                hi_closed: close?,
            },
        })
    }

    fn cell_lit(&mut self, pair: Pair<'_, Rule>) -> Option<CellLit> {
        let inner = pair.into_inner().next()?;
        let span = span_of(&inner);
        Some(match inner.as_rule() {
            Rule::date => CellLit::Date(self.ident(inner)),
            Rule::percent_lit => {
                let text = inner.as_str().trim_end_matches('%').to_string();
                CellLit::Percent(NumberLit {
                    text,
                    span: crate::diagnostic::Span::new(span.start, span.end.saturating_sub(1)),
                })
            }
            Rule::signed_number => CellLit::Number(self.number(inner)),
            Rule::string => {
                let raw = inner.as_str();
                let body = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
                CellLit::Text(Text {
                    value: super::unescape(body),
                    span,
                })
            }
            Rule::boolean => CellLit::Bool(inner.as_str().starts_with('t'), span),
            _ => CellLit::Word(self.ident(inner)),
        })
    }
}
