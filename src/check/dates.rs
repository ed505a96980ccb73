//! Typing dates: date literals, `today`, durations and dated values
//! (`from DATE: value` in parameters and definitions). A date is typed
//! [`Ty::Date`] and held as its day number (`crate::date`), so that the
//! plan compares dates as numbers.

use super::Checker;
use crate::date::Unit;
use crate::diagnostic::{Code, FileId, Report, Span};
use crate::ir::{Expr, ExprKind, Lit, Ty};
use crate::syntax::ast::{self, Clause};
use rust_decimal::Decimal;

impl Checker {
    /// The day number of a date as written, or an error saying why it is
    /// not a day of the calendar.
    pub(super) fn day_of(&mut self, file: FileId, span: Span, text: &str) -> Option<i64> {
        match crate::date::parse(text) {
            Ok(d) => Some(crate::date::day_number(d)),
            Err(why) => {
                self.err(
                    Report::error(Code::BadDate, file, span, format!("`{text}` is {why}"))
                        .label("not a date")
                        .help("write a real calendar day as YYYY-MM-DD, e.g. `2026-01-15`"),
                );
                None
            }
        }
    }

    /// `2026-01-15`: a constant date.
    pub(super) fn date_literal(&mut self, file: FileId, span: Span, text: &str) -> Option<Expr> {
        let day = self.day_of(file, span, text)?;
        Some(Self::mk(
            file,
            span,
            Ty::Date,
            ExprKind::Lit(Lit::Num(Decimal::from(day))),
        ))
    }
}

impl Checker {
    /// `years since d` (`to` is `None`) or `days between a and b`: both
    /// operands dates, the result a whole number. Constant dates fold.
    pub(super) fn duration(
        &mut self,
        file: FileId,
        span: Span,
        unit: Unit,
        from: &ast::Expr,
        to: Option<&ast::Expr>,
    ) -> Option<Expr> {
        let a = self.expr(file, from, Some(Ty::Date));
        let b = match to {
            Some(t) => self.expr(file, t, Some(Ty::Date)),
            None => Some(Self::mk(file, span, Ty::Date, ExprKind::Today)),
        };
        let (a, b) = (a?, b?);
        let how = if to.is_some() { "between" } else { "since" };
        for x in [&a, &b] {
            if x.ty != Ty::Date {
                let msg = format!(
                    "`{} {how}` counts from a date, but this is {}",
                    unit.word(),
                    self.ty_name(x.ty)
                );
                self.err(
                    Report::error(Code::TypeMismatch, file, x.span, msg)
                        .help("a date is a `date` field, `today` or written YYYY-MM-DD"),
                );
                return None;
            }
        }
        if let (ExprKind::Lit(Lit::Num(p)), ExprKind::Lit(Lit::Num(q))) = (&a.kind, &b.kind) {
            if let Some(n) = crate::date::between_decimal(unit, *p, *q) {
                return Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(n))));
            }
        }
        Some(Self::mk(
            file,
            span,
            Ty::Num,
            ExprKind::Duration(unit, Box::new(a), Box::new(b)),
        ))
    }

    /// The dated value of define `ix` from its `from DATE: value` clauses
    /// (`froms`, as written), with the block's other clauses in `rest`:
    /// dates strictly ascending, values of one type, and no `value:`.
    pub(super) fn dated(
        &mut self,
        file: FileId,
        ix: usize,
        rest: &[&Clause],
        froms: &[&Clause],
    ) -> Option<Expr> {
        if let Some(Clause::Value { span, .. }) = rest
            .iter()
            .copied()
            .find(|c| matches!(c, Clause::Value { .. }))
        {
            self.err(
                Report::error(
                    Code::BadClause,
                    file,
                    Span::new(span.start, span.start + "value".len()),
                    "`value:` and `from` clauses do not mix",
                )
                .label("a value for every day")
                .help(
                    "give the first value a date, `from YYYY-MM-DD: …`, or drop the `from` clauses",
                ),
            );
            return None;
        }
        let mut days = Vec::new();
        let mut values = Vec::new();
        let mut ty = None;
        let mut ok = true;
        let mut prev: Option<(i64, &str)> = None;
        for c in froms {
            let Clause::From {
                date,
                date_span,
                value,
                ..
            } = c
            else {
                continue;
            };
            let day = self.day_of(file, *date_span, date);
            let v = self.expr(file, value, ty);
            let (Some(day), Some(v)) = (day, v) else {
                ok = false;
                continue;
            };
            if let Some((p, pdate)) = prev {
                if day <= p {
                    self.err(
                        Report::error(
                            Code::DatesOutOfOrder,
                            file,
                            *date_span,
                            format!("`from {date}` must come after `from {pdate}`"),
                        )
                        .label("out of order")
                        .help("list dated values from the earliest to the latest, each date once"),
                    );
                    ok = false;
                }
            }
            prev = Some((day, date));
            match ty {
                Some(t) if t != v.ty => {
                    let msg = format!(
                        "every dated value has one type: this is {}, the first is {}",
                        self.ty_name(v.ty),
                        self.ty_name(t)
                    );
                    self.err(Report::error(Code::TypeMismatch, file, v.span, msg));
                    ok = false;
                }
                _ => ty = Some(v.ty),
            }
            days.push(day);
            values.push(v);
        }
        let (true, Some(ty), Some(first)) = (ok, ty, values.first()) else {
            return None;
        };
        let span = first.span;
        Some(Self::mk(
            file,
            span,
            ty,
            ExprKind::Dated {
                define: ix,
                days,
                values,
            },
        ))
    }
}
