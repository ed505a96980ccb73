//! Printing tables. The clauses and rows keep their order; the cells of
//! rows line up in columns, each as wide as its widest cell in the table,
//! so a table reads as one. Rows under `from DATE:` are indented a level
//! further.

use super::super::expr::write_expr;
use super::*;

impl Printer<'_> {
    pub(super) fn table(&self, t: &Table, lines: &mut Vec<Line>) {
        let head = format!("table {}", t.id.name);
        let at = (t.span.start, 0, Role::Item);
        match &t.title {
            Some(title) => self.with_text(lines, at, head, title, " {"),
            None => Self::push(lines, at.0, at.1, format!("{head} {{"), at.2),
        }
        Self::open(lines);
        // Column widths over every row of the table.
        let mut widths: Vec<usize> = Vec::new();
        for part in &t.parts {
            if let TablePart::Row(r) = part {
                for (i, c) in r.cells.iter().enumerate() {
                    let w = cell(c).chars().count();
                    match widths.get_mut(i) {
                        Some(x) => *x = (*x).max(w),
                        None => widths.push(w),
                    }
                }
            }
        }
        let mut dated = false;
        for part in &t.parts {
            match part {
                TablePart::Hit(h, span) => {
                    let code = format!("hit: {}", h.name);
                    Self::push(lines, span.start, BLOCK_INDENT, code, Role::Entry);
                }
                TablePart::Input(exprs, span) => {
                    let mut code = String::from("input: ");
                    for (i, e) in exprs.iter().enumerate() {
                        if i > 0 {
                            code.push_str(", ");
                        }
                        write_expr(e, &mut code);
                    }
                    Self::push(lines, span.start, BLOCK_INDENT, code, Role::Entry);
                }
                TablePart::Output { name, ty, span } => {
                    let ty = match ty {
                        OutputType::Scalar(s, _) => scalar(*s).to_string(),
                        OutputType::Date(_) => "date".to_string(),
                        OutputType::OneOf(values, _) => format!("one of {{{}}}", names(values)),
                    };
                    let code = match name {
                        Some(n) => format!("output {}: {ty}", n.name),
                        None => format!("output: {ty}"),
                    };
                    Self::push(lines, span.start, BLOCK_INDENT, code, Role::Entry);
                }
                TablePart::From(d, span) => {
                    dated = true;
                    let code = format!("from {}:", d.name);
                    Self::push(lines, span.start, BLOCK_INDENT, code, Role::Entry);
                }
                TablePart::Row(r) => {
                    let mut code = String::new();
                    for (i, c) in r.cells.iter().enumerate() {
                        if i > 0 {
                            code.push_str(" | ");
                        }
                        let text = cell(c);
                        let pad = widths
                            .get(i)
                            .copied()
                            .unwrap_or(0)
                            .saturating_sub(text.chars().count());
                        code.push_str(&text);
                        code.extend(std::iter::repeat_n(' ', pad));
                    }
                    code.push_str(" -> ");
                    code.push_str(&outputs(&r.outputs));
                    if r.semicolon {
                        code.push(';');
                    }
                    let indent = if dated {
                        BLOCK_INDENT * 2
                    } else {
                        BLOCK_INDENT
                    };
                    Self::push(lines, r.span.start, indent, code, Role::Entry);
                }
                TablePart::Default(outs, span) => {
                    let code = format!("default -> {}", outputs(outs));
                    Self::push(lines, span.start, BLOCK_INDENT, code, Role::Entry);
                }
                TablePart::Attr(c) => self.clause(c, lines),
            }
        }
        self.close(t.span, lines);
    }
}

fn outputs(lits: &[CellLit]) -> String {
    lits.iter().map(lit).collect::<Vec<_>>().join(", ")
}

/// A cell as written, in canonical spacing.
fn cell(c: &Cell) -> String {
    match c {
        Cell::Any(_) => "-".to_string(),
        Cell::EachAdditional(_) => "each additional".to_string(),
        Cell::Not(tests, _) => format!("not({})", tests_text(tests)),
        Cell::Tests(tests, _) => tests_text(tests),
    }
}

fn tests_text(tests: &[CellTest]) -> String {
    tests.iter().map(test).collect::<Vec<_>>().join(", ")
}

fn test(t: &CellTest) -> String {
    match t {
        CellTest::Is(l) => lit(l),
        CellTest::Cmp(op, l) => format!("{} {}", op.symbol(), lit(l)),
        CellTest::To(a, b) => format!("{} to {}", lit(a), lit(b)),
        CellTest::OrMore(l) => format!("{} or more", lit(l)),
        CellTest::OrLess(l) => format!("{} or less", lit(l)),
        CellTest::Interval {
            lo_closed,
            lo,
            hi,
            hi_closed,
        } => format!(
            "{}{}..{}{}",
            if *lo_closed { "[" } else { "(" },
            lit(lo),
            lit(hi),
            if *hi_closed { "]" } else { ")" }
        ),
    }
}

/// A literal of a cell or an output, as written.
pub(in crate::format) fn lit(l: &CellLit) -> String {
    match l {
        CellLit::Number(n) => n.text.clone(),
        CellLit::Percent(n) => format!("{}%", n.text),
        CellLit::Text(t) => escape(&t.value),
        CellLit::Bool(b, _) => b.to_string(),
        CellLit::Date(d) | CellLit::Word(d) => d.name.clone(),
    }
}
