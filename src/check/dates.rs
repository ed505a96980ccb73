//! Typing dates: date literals, `today`, durations and dated values
//! (`from DATE: value` in parameters and definitions). A date is typed
//! [`Ty::Date`] and held as its day number (`crate::date`), so that the
//! plan compares dates as numbers.

use super::Checker;
use crate::diagnostic::{Code, FileId, Report, Span};
use crate::ir::{Expr, ExprKind, Lit, Ty};
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
