//! Numbers and unknowns: the built-in number functions (`min`, `max`,
//! `clamp`, `abs`, `floor`, `ceil`, `round`), `if … then … else …`,
//! `first known of (…)`, `at least N of (…)` / `at most N of (…)` and
//! `weighted sum of s {k: w, …}`.

use super::Checker;
use crate::decimal;
use crate::diagnostic::{Code, FileId, Report, Span};
use crate::ir::{Elem, Expr, ExprKind, Lit, NumFn, Ty};
use crate::syntax::ast;
use rust_decimal::Decimal;

/// The built-in number functions' names. They are not reserved words: a
/// call is written with brackets, so a field may still be called `max`.
pub(super) const NUMBER_FUNCTIONS: &[&str] =
    &["min", "max", "clamp", "abs", "floor", "ceil", "round"];

/// The most decimal places `round`, `floor` and `ceil` take: an exact
/// decimal holds at most 28 after the point.
const MAX_PLACES: u32 = 28;

impl Checker {
    /// `min(…)`, `max(…)`, `clamp(x, lo, hi)`, `abs(x)`, `floor(x[, p])`,
    /// `ceil(x[, p])`, `round(x[, p])`.
    pub(super) fn number_call(
        &mut self,
        file: FileId,
        span: Span,
        name: &ast::Ident,
        args: &[ast::Expr],
    ) -> Option<Expr> {
        let f = name.name.as_str();
        let (low, high, usage) = match f {
            "min" | "max" => (
                2,
                usize::MAX,
                format!("`{f}(a, b, …)` with two or more numbers"),
            ),
            "clamp" => (3, 3, "`clamp(x, lowest, highest)`".to_string()),
            "abs" => (1, 1, "`abs(x)`".to_string()),
            _ => (1, 2, format!("`{f}(x)` or `{f}(x, places)`")),
        };
        if args.len() < low || args.len() > high {
            self.err(
                Report::error(
                    Code::BadArguments,
                    file,
                    span,
                    format!(
                        "`{f}` does not take {} argument{}",
                        args.len(),
                        plural(args.len())
                    ),
                )
                .help(format!("write {usage}")),
            );
            return None;
        }
        let rounding = matches!(f, "floor" | "ceil" | "round");
        // The places of `round(x, 2)` are part of the function, not an
        // operand: a whole number written out.
        let mut places = 0;
        if rounding {
            if let Some(p) = args.get(1) {
                places = self.places(file, f, p)?;
            }
        }
        let operands = if rounding { args.get(..1)? } else { args };
        let mut out = Vec::new();
        let mut ok = true;
        for a in operands {
            match self.expr(file, a, Some(Ty::Num)) {
                Some(x) if x.ty == Ty::Num => out.push(x),
                Some(x) => {
                    let msg = format!("`{f}` takes numbers, but this is {}", self.ty_name(x.ty));
                    self.err(Report::error(Code::TypeMismatch, file, a.span, msg));
                    ok = false;
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let func = match f {
            "min" => NumFn::Min,
            "max" => NumFn::Max,
            "clamp" => NumFn::Clamp,
            "abs" => NumFn::Abs,
            "floor" => NumFn::Floor(places),
            "ceil" => NumFn::Ceil(places),
            _ => NumFn::Round(places),
        };
        if let (NumFn::Clamp, [_, lo, hi]) = (func, out.as_slice()) {
            let consts = &self.const_values;
            if let (Some(a), Some(b)) = (Self::constant(consts, lo), Self::constant(consts, hi)) {
                if decimal::cmp(&a, &b).is_gt() {
                    self.err(
                        Report::error(
                            Code::BadNumberArgument,
                            file,
                            lo.span.to(hi.span),
                            format!(
                                "the lower bound {} is above the upper bound {}",
                                decimal::show(a),
                                decimal::show(b)
                            ),
                        )
                        .label("bounds cross")
                        .help("write `clamp(x, lowest, highest)`, the smaller bound first"),
                    );
                    return None;
                }
            }
        }
        Some(Self::mk(file, span, Ty::Num, ExprKind::NumCall(func, out)))
    }

    /// The places of `round(x, places)`: a whole number 0 to 28, written
    /// out.
    fn places(&mut self, file: FileId, f: &str, p: &ast::Expr) -> Option<u32> {
        let n = match &p.kind {
            ast::ExprKind::Number(n) => decimal::parse_literal(&n.text),
            _ => None,
        };
        match n
            .and_then(decimal::to_i64)
            .and_then(|i| u32::try_from(i).ok())
        {
            Some(i) if i <= MAX_PLACES => Some(i),
            _ => {
                self.err(
                    Report::error(
                        Code::BadNumberArgument,
                        file,
                        p.span,
                        format!(
                            "the places of `{f}` must be a whole number from 0 to {MAX_PLACES}"
                        ),
                    )
                    .label("not a number of places")
                    .help(format!("write e.g. `{f}(x, 2)` for two decimal places")),
                );
                None
            }
        }
    }

    /// `if c then a else b`: `c` a condition, `a` and `b` of one type.
    pub(super) fn if_expr(
        &mut self,
        file: FileId,
        span: Span,
        condition: &ast::Expr,
        then: &ast::Expr,
        otherwise: &ast::Expr,
        hint: Option<Ty>,
    ) -> Option<Expr> {
        let c = self.condition(file, condition);
        // Either branch may give the other its type: `if c then homeless
        // else housing` resolves `homeless` from `housing`.
        let (a, b) = if self.is_free_name(then) && !self.is_free_name(otherwise) {
            let b = self.expr(file, otherwise, hint);
            let a = self.expr(file, then, b.as_ref().map(|b| b.ty).or(hint));
            (a, b)
        } else {
            let a = self.expr(file, then, hint);
            let b = self.expr(file, otherwise, a.as_ref().map(|a| a.ty).or(hint));
            (a, b)
        };
        let (c, a, b) = (c?, a?, b?);
        if a.ty != b.ty {
            let msg = format!(
                "the branches of `if` must be of one type, but `then` gives {} and `else` gives {}",
                self.ty_name(a.ty),
                self.ty_name(b.ty)
            );
            self.err(
                Report::error(Code::TypeMismatch, file, otherwise.span, msg)
                    .label("the `else` branch")
                    .help("the `else` branch runs to the end of the expression: put the whole `if` in parentheses to compare or join it"),
            );
            return None;
        }
        let ty = a.ty;
        Some(Self::mk(
            file,
            span,
            ty,
            ExprKind::If(Box::new(c), Box::new([a, b])),
        ))
    }

    /// `first known of (a, b, …)`: operands of one type.
    pub(super) fn first_known(
        &mut self,
        file: FileId,
        span: Span,
        items: &[ast::Expr],
        hint: Option<Ty>,
    ) -> Option<Expr> {
        // The first operand that is not a bare word sets the type.
        let lead = items
            .iter()
            .position(|i| !self.is_free_name(i))
            .unwrap_or(0);
        let first = self.expr(file, items.get(lead)?, hint)?;
        let ty = first.ty;
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let x = if i == lead {
                Some(first.clone())
            } else {
                self.expr(file, item, Some(ty))
            };
            match x {
                Some(x) if x.ty == ty => out.push(x),
                Some(x) => {
                    let msg = format!(
                        "the operands of `first known of` must be of one type, but this is {} and `{}` is {}",
                        self.ty_name(x.ty),
                        self.snippet_name(items.get(lead)?),
                        self.ty_name(ty)
                    );
                    self.err(Report::error(Code::TypeMismatch, file, item.span, msg));
                    ok = false;
                }
                None => ok = false,
            }
        }
        ok.then(|| Self::mk(file, span, ty, ExprKind::FirstKnown(out)))
    }

    /// `at least N of (…)` and `at most N of (…)`: N a whole number no
    /// more than the conditions listed.
    pub(super) fn count_of(
        &mut self,
        file: FileId,
        span: Span,
        at_most: bool,
        n: &ast::NumberLit,
        conditions: &[ast::Expr],
    ) -> Option<Expr> {
        let mut out = Vec::new();
        let mut ok = true;
        for c in conditions {
            match self.condition(file, c) {
                Some(x) => out.push(x),
                None => ok = false,
            }
        }
        let words = if at_most { "at most" } else { "at least" };
        let count = decimal::parse_literal(&n.text)
            .and_then(decimal::to_i64)
            .and_then(|i| usize::try_from(i).ok());
        let Some(count) = count else {
            self.err(
                Report::error(
                    Code::BadCount,
                    file,
                    n.span,
                    format!("`{words} N of` counts conditions: N must be a whole number"),
                )
                .help(format!("write e.g. `{words} 2 of (a, b, c)`")),
            );
            return None;
        };
        if count > conditions.len() {
            let never = if at_most {
                "always holds"
            } else {
                "can never hold"
            };
            self.err(
                Report::error(
                    Code::BadCount,
                    file,
                    n.span,
                    format!(
                        "`{words} {count} of` lists only {} condition{}, so it {never}",
                        conditions.len(),
                        plural(conditions.len())
                    ),
                )
                .label("more than the conditions listed")
                .help(format!("N is at most {}", conditions.len())),
            );
            return None;
        }
        if !ok {
            return None;
        }
        let kind = if at_most {
            ExprKind::AtMost(count, out)
        } else {
            ExprKind::AtLeast(count, out)
        };
        Some(Self::mk(file, span, Ty::Bool, kind))
    }

    /// `weighted sum of s {k: w, …}`: `s` a set of enumeration values or
    /// texts, each key one of its values (named once), each weight a
    /// number written out.
    pub(super) fn weighted_sum(
        &mut self,
        file: FileId,
        span: Span,
        set: &ast::Expr,
        weights: &[ast::Weight],
    ) -> Option<Expr> {
        let s = self.expr(file, set, None)?;
        let elem = match s.ty {
            Ty::Set(e @ (Elem::Enum(_) | Elem::Text)) => e,
            other => {
                let msg = format!(
                    "`weighted sum of` weighs the members of a set of values or texts, but this is {}",
                    self.ty_name(other)
                );
                self.err(Report::error(Code::TypeMismatch, file, set.span, msg));
                return None;
            }
        };
        let mut out: Vec<(Lit, Decimal)> = Vec::new();
        let mut firsts: Vec<Span> = Vec::new();
        let mut ok = true;
        // The sum of every weight's size: if it fits, no sum of some of
        // them can overflow, so evaluation never fails.
        let mut bound = Decimal::ZERO;
        for w in weights {
            let key = self.weight_key(file, elem, &w.key);
            let weight = self.weight_value(file, &w.weight);
            let (Some(key), Some(weight)) = (key, weight) else {
                ok = false;
                continue;
            };
            if let Some(i) = out.iter().position(|(k, _)| *k == key) {
                let first = firsts.get(i).copied().unwrap_or_default();
                let at = self.place(file, first);
                self.err(
                    Report::error(
                        Code::DuplicateWeight,
                        file,
                        w.key.span(),
                        format!("`{}` is weighed twice", key_text(&w.key)),
                    )
                    .label("second weight")
                    .help(format!("the first is at {at}; keep one")),
                );
                ok = false;
                continue;
            }
            match bound.checked_add(weight.abs()) {
                Some(b) => bound = b,
                None => {
                    self.err(
                        Report::error(
                            Code::Overflow,
                            file,
                            w.weight.span,
                            "the weights' sum overflows an exact decimal",
                        )
                        .help("numbers have at most 28 significant digits"),
                    );
                    ok = false;
                }
            }
            out.push((key, weight));
            firsts.push(w.key.span());
        }
        ok.then(|| Self::mk(file, span, Ty::Num, ExprKind::WeightedSum(Box::new(s), out)))
    }

    /// A weight's key as a set member: an enumeration value (did-you-mean
    /// for a misspelt one) or an interned text.
    fn weight_key(&mut self, file: FileId, elem: Elem, key: &ast::AttrValue) -> Option<Lit> {
        match (elem, key) {
            (Elem::Enum(slot), ast::AttrValue::Word(w)) => {
                let x = self.enum_value(file, w.span, slot, &w.name, false)?;
                match x.kind {
                    ExprKind::Lit(l) => Some(l),
                    _ => None,
                }
            }
            (Elem::Enum(slot), ast::AttrValue::Text(t)) => {
                let x = self.enum_value(file, t.span, slot, &t.value, true)?;
                match x.kind {
                    ExprKind::Lit(l) => Some(l),
                    _ => None,
                }
            }
            (Elem::Text, ast::AttrValue::Text(t)) => {
                let (sym, _) = self.symbols.insert_full(t.value.clone());
                Some(Lit::Text(sym))
            }
            (_, other) => {
                self.err(
                    Report::error(
                        Code::TypeMismatch,
                        file,
                        other.span(),
                        format!("`{}` is not a member of a set of text", key_text(other)),
                    )
                    .help("text values are quoted: `\"ptsd\": 2`"),
                );
                None
            }
        }
    }

    /// A weight: a number, percentage or negated one, as written.
    fn weight_value(&mut self, file: FileId, w: &ast::Expr) -> Option<Decimal> {
        let x = self.expr(file, w, Some(Ty::Num))?;
        match x.kind {
            ExprKind::Lit(Lit::Num(d)) => Some(d),
            _ => None,
        }
    }
}

fn key_text(k: &ast::AttrValue) -> String {
    match k {
        ast::AttrValue::Text(t) => format!("\"{}\"", t.value),
        ast::AttrValue::Number(n) => n.text.clone(),
        ast::AttrValue::Word(w) => w.name.clone(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
