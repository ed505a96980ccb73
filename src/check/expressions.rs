//! Typing expressions: literals, names (fields, definitions, enumeration
//! values, program ids), operators, comparisons, set tests and calls. Each
//! checked expression carries its type; a hint from the context is how a
//! bare word resolves to an enumeration value.

use super::{Binding, Checker};
use crate::diagnostic::{Code, FileId, Report, Span, did_you_mean};
use crate::ir::{self, Elem, Expr, ExprKind, Lit, Ty};
use crate::syntax::ast;
use rust_decimal::Decimal;

impl Checker {
    /// Whether a name would resolve without a hint.
    pub(super) fn is_free_name(&self, e: &ast::Expr) -> bool {
        match &e.kind {
            ast::ExprKind::Name(n) => {
                !self.names.contains_key(n) && n != "recommended" && n != "today"
            }
            ast::ExprKind::Text(_) => true,
            ast::ExprKind::Set(items) => items.iter().all(|i| self.is_free_name(i)),
            ast::ExprKind::Paren(inner) => self.is_free_name(inner),
            _ => false,
        }
    }

    /// Checks an expression. `hint` is the type the context expects; it is
    /// how `homeless` resolves to a value of `housing` in `housing is
    /// homeless`. Each form is checked by its own method below.
    pub(super) fn expr(&mut self, file: FileId, e: &ast::Expr, hint: Option<Ty>) -> Option<Expr> {
        use ast::ExprKind as A;
        let span = e.span;
        match &e.kind {
            A::Number(n) => {
                let d = self.number(file, n)?;
                Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(d))))
            }
            A::Percent(n) => {
                let d = self.number(file, n)?;
                let d = d.checked_div(Decimal::ONE_HUNDRED)?;
                Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(d))))
            }
            A::Date(d) => self.date_literal(file, span, d),
            A::Duration { unit, from, to } => self.duration(file, span, *unit, from, to.as_deref()),
            A::Bool(b) => Some(Self::mk(file, span, Ty::Bool, ExprKind::Lit(Lit::Bool(*b)))),
            A::None => self.none_literal(file, span, hint),
            A::Text(s) => self.text_literal(file, span, s, hint),
            A::Name(n) => self.name(file, span, n, hint),
            A::Paren(inner) => {
                let mut x = self.expr(file, inner, hint)?;
                x.span = span;
                Some(x)
            }
            A::Neg(inner) => self.negation(file, span, inner),
            A::Not(inner) => self.not(file, span, inner),
            A::And(parts) => self.junction(file, span, parts, true),
            A::Or(parts) => self.junction(file, span, parts, false),
            A::Arith { op, lhs, rhs } => self.arith(file, span, *op, lhs, rhs),
            A::Compare { first, rest } => self.chain(file, span, first, rest),
            A::Is { lhs, negated, rhs } => {
                let op = if *negated {
                    ast::CmpOp::Ne
                } else {
                    ast::CmpOp::Eq
                };
                let mut x = self.compare(file, lhs, op, rhs)?;
                x.span = span;
                Some(x)
            }
            A::IsKnown {
                operand,
                known,
                negated,
            } => self.is_known(file, span, operand, *known, *negated),
            A::Intensity { lhs, more, rhs } => self.intensity(file, span, lhs, *more, rhs),
            A::In {
                element,
                negated,
                set,
            } => self.membership(file, span, element, *negated, set),
            A::Has {
                set,
                quantifier,
                values,
            } => self.has(file, span, set, *quantifier, values),
            A::Set(items) => self.set_literal(file, span, items, hint),
            A::Call { name, args } => self.call(file, span, name, args),
            A::If {
                condition,
                then,
                otherwise,
            } => self.if_expr(file, span, condition, then, otherwise, hint),
            A::FirstKnown(items) => self.first_known(file, span, items, hint),
            A::CountOf {
                at_most,
                n,
                conditions,
            } => self.count_of(file, span, *at_most, n, conditions),
            A::WeightedSum { set, weights } => self.weighted_sum(file, span, set, weights),
            A::Output { table, output } => self.output_ref(file, span, table, output),
        }
    }

    /// `none`: the absence of a recommended program, or an enumeration value
    /// spelled like the keyword.
    pub(super) fn none_literal(
        &mut self,
        file: FileId,
        span: Span,
        hint: Option<Ty>,
    ) -> Option<Expr> {
        // `insurance is none`: an enumeration may have a value
        // spelled like the keyword.
        if let Some(Ty::Enum(slot)) = hint {
            return self.enum_value(file, span, slot, "none", false);
        }
        if hint != Some(Ty::Program) {
            self.err(
                Report::error(Code::BadNone, file, span, "`none` is only compared with `recommended`")
                    .help("to test for missing data write `x is unknown`; for an enumeration value named `none`, compare the field: `insurance is none`"),
            );
            return None;
        }
        Some(Self::mk(
            file,
            span,
            Ty::Program,
            ExprKind::Lit(Lit::Program(None)),
        ))
    }

    /// A quoted string: text, or an enumeration value where one is expected.
    pub(super) fn text_literal(
        &mut self,
        file: FileId,
        span: Span,
        s: &str,
        hint: Option<Ty>,
    ) -> Option<Expr> {
        match hint {
            Some(Ty::Enum(slot)) => self.enum_value(file, span, slot, s, true),
            _ => {
                let (sym, _) = self.symbols.insert_full(s.to_string());
                Some(Self::mk(
                    file,
                    span,
                    Ty::Text,
                    ExprKind::Lit(Lit::Text(sym)),
                ))
            }
        }
    }

    /// `-x`; a negated literal folds into a literal.
    pub(super) fn negation(&mut self, file: FileId, span: Span, inner: &ast::Expr) -> Option<Expr> {
        let x = self.expr(file, inner, Some(Ty::Num))?;
        self.expect(file, &x, Ty::Num, "`-` applies to numbers")?;
        if let ExprKind::Lit(Lit::Num(d)) = x.kind {
            return Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(-d))));
        }
        Some(Self::mk(file, span, Ty::Num, ExprKind::Neg(Box::new(x))))
    }

    /// `not c`.
    pub(super) fn not(&mut self, file: FileId, span: Span, inner: &ast::Expr) -> Option<Expr> {
        let x = self.expr(file, inner, Some(Ty::Bool))?;
        self.expect(file, &x, Ty::Bool, "`not` applies to conditions")?;
        Some(Self::mk(file, span, Ty::Bool, ExprKind::Not(Box::new(x))))
    }

    /// `a and b and …` (`is_and`) or `a or b or …`: every part must be a
    /// condition; all parts are checked, so each wrong one is reported.
    pub(super) fn junction(
        &mut self,
        file: FileId,
        span: Span,
        parts: &[ast::Expr],
        is_and: bool,
    ) -> Option<Expr> {
        let mut out = Vec::new();
        let mut ok = true;
        for p in parts {
            match self.expr(file, p, Some(Ty::Bool)) {
                Some(x) if x.ty == Ty::Bool => out.push(x),
                Some(x) => {
                    let what = if is_and { "and" } else { "or" };
                    let msg = format!(
                        "`{what}` joins conditions, but this is {}",
                        self.ty_name(x.ty)
                    );
                    self.err(
                        Report::error(Code::TypeMismatch, file, p.span, msg)
                            .help("compare it: `x >= 3`, `x is y`"),
                    );
                    ok = false;
                }
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let kind = if is_and {
            ExprKind::And(out)
        } else {
            ExprKind::Or(out)
        };
        Some(Self::mk(file, span, Ty::Bool, kind))
    }

    /// `a + b`, `a - b`, `a * b`, `a / b`, `p% of b`; constants fold.
    pub(super) fn arith(
        &mut self,
        file: FileId,
        span: Span,
        op: ast::ArithOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> Option<Expr> {
        let l = self.expr(file, lhs, Some(Ty::Num));
        let r = self.expr(file, rhs, Some(Ty::Num));
        let (l, r) = (l?, r?);
        let sym = op.symbol();
        self.expect(file, &l, Ty::Num, &format!("`{sym}` applies to numbers"))?;
        self.expect(file, &r, Ty::Num, &format!("`{sym}` applies to numbers"))?;
        let op = match op {
            ast::ArithOp::Add => ir::Arith::Add,
            ast::ArithOp::Sub => ir::Arith::Sub,
            ast::ArithOp::Mul | ast::ArithOp::Of => ir::Arith::Mul,
            ast::ArithOp::Div => ir::Arith::Div,
        };
        if op == ir::Arith::Div && matches!(r.kind, ExprKind::Lit(Lit::Num(d)) if d.is_zero()) {
            self.err(Report::error(
                Code::DivisionByZero,
                file,
                rhs.span,
                "division by zero",
            ));
            return None;
        }
        // Fold constants, so that `138% of 15960` costs nothing.
        if let (ExprKind::Lit(Lit::Num(a)), ExprKind::Lit(Lit::Num(b))) = (&l.kind, &r.kind) {
            match op.apply(*a, *b) {
                Some(v) => {
                    return Some(Self::mk(file, span, Ty::Num, ExprKind::Lit(Lit::Num(v))));
                }
                None => {
                    self.err(Report::error(
                        Code::Overflow,
                        file,
                        span,
                        "this calculation overflows an exact decimal",
                    ));
                    return None;
                }
            }
        }
        // Arithmetic on constants through parameters (`big * 2`) stays in
        // the tree, so that explanations name the parameter, but it is
        // computed here, so that it cannot fail for every profile instead.
        if let (Some(a), Some(b)) = (
            Self::constant(&self.const_values, &l),
            Self::constant(&self.const_values, &r),
        ) {
            if op == ir::Arith::Div && b.is_zero() {
                self.err(
                    Report::error(Code::DivisionByZero, file, rhs.span, "division by zero")
                        .label("this is zero")
                        .help("a calculation on parameters must not divide by zero"),
                );
                return None;
            }
            if op.apply(a, b).is_none() {
                self.err(
                    Report::error(
                        Code::Overflow,
                        file,
                        span,
                        "this calculation overflows an exact decimal",
                    )
                    .help(
                        "numbers have at most 28 significant digits; check the parameters it reads",
                    ),
                );
                return None;
            }
        }
        Some(Self::mk(
            file,
            span,
            Ty::Num,
            ExprKind::Arith(op, Box::new(l), Box::new(r)),
        ))
    }

    /// The value of a numeric expression made of constants only: literals,
    /// constant definitions, arithmetic on them. `None` when it reads the
    /// profile, or is not a number.
    pub(super) fn constant(consts: &[Option<Decimal>], e: &Expr) -> Option<Decimal> {
        match &e.kind {
            ExprKind::Lit(Lit::Num(d)) => Some(*d),
            ExprKind::Define(i) => consts.get(*i).copied().flatten(),
            ExprKind::Neg(x) => Self::constant(consts, x).map(|d| -d),
            ExprKind::Arith(op, a, b) => {
                op.apply(Self::constant(consts, a)?, Self::constant(consts, b)?)
            }
            ExprKind::NumCall(f, args) => {
                let mut xs = Vec::with_capacity(args.len());
                for a in args {
                    xs.push(Self::constant(consts, a)?);
                }
                f.apply(&xs)
            }
            _ => None,
        }
    }

    /// `a < b <= c`: a chain of comparisons, each pair in turn, joined by `and`.
    pub(super) fn chain(
        &mut self,
        file: FileId,
        span: Span,
        first: &ast::Expr,
        rest: &[(ast::CmpOp, ast::Expr)],
    ) -> Option<Expr> {
        let mut parts = Vec::new();
        let mut prev = first;
        for (op, next) in rest {
            parts.push(self.compare(file, prev, *op, next)?);
            prev = next;
        }
        if parts.len() == 1 {
            parts.pop()
        } else {
            Some(Self::mk(file, span, Ty::Bool, ExprKind::And(parts)))
        }
    }

    /// `x is known`, `x is unknown` and their negations.
    pub(super) fn is_known(
        &mut self,
        file: FileId,
        span: Span,
        operand: &ast::Expr,
        known: bool,
        negated: bool,
    ) -> Option<Expr> {
        let x = self.expr(file, operand, None)?;
        let want_known = known != negated;
        Some(Self::mk(
            file,
            span,
            Ty::Bool,
            ExprKind::Known(Box::new(x), want_known),
        ))
    }

    /// `x in s`, `x not in s`.
    pub(super) fn membership(
        &mut self,
        file: FileId,
        span: Span,
        element: &ast::Expr,
        negated: bool,
        set: &ast::Expr,
    ) -> Option<Expr> {
        let (el, st) = self.pair_with_set(file, element, set)?;
        let inner = Self::mk(
            file,
            span,
            Ty::Bool,
            ExprKind::In(Box::new(el), Box::new(st)),
        );
        Some(if negated {
            Self::mk(file, span, Ty::Bool, ExprKind::Not(Box::new(inner)))
        } else {
            inner
        })
    }

    /// `s has any of {…}`, `has all of`, `has none of`.
    pub(super) fn has(
        &mut self,
        file: FileId,
        span: Span,
        set: &ast::Expr,
        quantifier: ast::Quantifier,
        values: &ast::Expr,
    ) -> Option<Expr> {
        let s = self.expr(file, set, None)?;
        let Ty::Set(elem) = s.ty else {
            let msg = format!("`has` tests a set, but this is {}", self.ty_name(s.ty));
            self.err(Report::error(Code::TypeMismatch, file, set.span, msg));
            return None;
        };
        let v = self.expr(file, values, Some(Ty::Set(elem)))?;
        if v.ty != Ty::Set(elem) {
            let msg = format!(
                "expected {}, found {}",
                self.ty_name(Ty::Set(elem)),
                self.ty_name(v.ty)
            );
            self.err(
                Report::error(Code::TypeMismatch, file, values.span, msg)
                    .help("write a set like `{a, b}`"),
            );
            return None;
        }
        let q = match quantifier {
            ast::Quantifier::Any => ir::Quant::Any,
            ast::Quantifier::All => ir::Quant::All,
            ast::Quantifier::None => ir::Quant::None,
        };
        Some(Self::mk(
            file,
            span,
            Ty::Bool,
            ExprKind::Has(Box::new(s), q, Box::new(v)),
        ))
    }

    /// `{a, b, c}`: constants of one type; duplicates are dropped.
    pub(super) fn set_literal(
        &mut self,
        file: FileId,
        span: Span,
        items: &[ast::Expr],
        hint: Option<Ty>,
    ) -> Option<Expr> {
        let elem_hint = match hint {
            Some(Ty::Set(e)) => Some(e.ty()),
            _ => None,
        };
        let mut lits = Vec::new();
        // Duplicates are dropped; the set of those seen keeps a
        // long literal linear.
        let mut seen = std::collections::HashSet::new();
        let mut elem: Option<Elem> = match hint {
            Some(Ty::Set(e)) => Some(e),
            _ => None,
        };
        for it in items {
            let x = self.expr(file, it, elem_hint.or(elem.map(Elem::ty)))?;
            let this = match x.ty {
                Ty::Text => Elem::Text,
                Ty::Num => Elem::Num,
                Ty::Enum(s) => Elem::Enum(s),
                other => {
                    let msg = format!(
                        "a set holds text, numbers or enumeration values, not {}",
                        self.ty_name(other)
                    );
                    self.err(Report::error(Code::TypeMismatch, file, it.span, msg));
                    return None;
                }
            };
            if let Some(e0) = elem {
                if e0 != this {
                    let msg = format!(
                        "this set mixes {} with {}",
                        self.ty_name(e0.ty()),
                        self.ty_name(this.ty())
                    );
                    self.err(Report::error(Code::TypeMismatch, file, it.span, msg));
                    return None;
                }
            }
            elem = Some(this);
            let ExprKind::Lit(l) = x.kind else {
                self.err(
                    Report::error(
                        Code::NotConstant,
                        file,
                        it.span,
                        "a set literal holds constants only",
                    )
                    .help("compare the field with `or` instead"),
                );
                return None;
            };
            if seen.insert(l.clone()) {
                lits.push(l);
            }
        }
        let elem = elem.unwrap_or(Elem::Text);
        Some(Self::mk(file, span, Ty::Set(elem), ExprKind::SetLit(lits)))
    }

    pub(super) fn expect(&mut self, file: FileId, x: &Expr, ty: Ty, what: &str) -> Option<()> {
        if x.ty == ty {
            return Some(());
        }
        let msg = format!("{what}, but this is {}", self.ty_name(x.ty));
        self.err(Report::error(Code::TypeMismatch, file, x.span, msg));
        None
    }

    pub(super) fn enum_value(
        &mut self,
        file: FileId,
        span: Span,
        slot: usize,
        word: &str,
        quoted: bool,
    ) -> Option<Expr> {
        let field = self.fields.get(slot)?;
        let values = field.ty.values().unwrap_or(&[]);
        if let Some(i) = values.iter().position(|v| v == word) {
            return Some(Self::mk(
                file,
                span,
                Ty::Enum(slot),
                ExprKind::Lit(Lit::Enum(i)),
            ));
        }
        let fname = field.name.clone();
        let list = values.join(", ");
        let suggestion = did_you_mean(word, values.iter().map(String::as_str)).map(str::to_string);
        let shown = if quoted {
            format!("\"{word}\"")
        } else {
            word.to_string()
        };
        let mut r = Report::error(
            Code::UnknownValue,
            file,
            span,
            format!("`{shown}` is not a value of `{fname}`"),
        )
        .label("not in the schema");
        r = match suggestion {
            Some(s) => r.help(format!("did you mean `{s}`? `{fname}` is one of {list}")),
            None => r.help(format!("`{fname}` is one of {list}")),
        };
        self.err(r);
        None
    }

    pub(super) fn name(
        &mut self,
        file: FileId,
        span: Span,
        n: &str,
        hint: Option<Ty>,
    ) -> Option<Expr> {
        // Where the context expects a value of an enumeration (or a
        // program), a name that is one wins over a field of the same name:
        // in `housing in needs`, `housing` is the need, not the field.
        match hint {
            Some(Ty::Enum(slot)) => {
                let is_value = self
                    .fields
                    .get(slot)
                    .and_then(|f| f.ty.values())
                    .is_some_and(|v| v.iter().any(|x| x == n));
                if is_value {
                    return self.enum_value(file, span, slot, n, false);
                }
            }
            Some(Ty::Program) => {
                if let Some(i) = self.program_ids.get_index_of(n) {
                    return Some(Self::mk(
                        file,
                        span,
                        Ty::Program,
                        ExprKind::Lit(Lit::Program(Some(i))),
                    ));
                }
            }
            _ => {}
        }
        if let Some(b) = self.names.get(n).copied() {
            return match b {
                Binding::Field(slot) => {
                    let ty = self.fields.get(slot)?.ty.ty(slot);
                    Some(Self::mk(file, span, ty, ExprKind::Field(slot)))
                }
                Binding::Table(i) => self.table_ref(file, span, i, None),
                Binding::Define(i) => {
                    let Some(ty) = self.define_types.get(i).copied().flatten() else {
                        // Its type is not settled: it is on a cycle (or
                        // failed to check). The cycle is reported later.
                        return None;
                    };
                    Some(Self::mk(file, span, ty, ExprKind::Define(i)))
                }
            };
        }
        if n == "recommended" {
            return Some(Self::mk(file, span, Ty::Program, ExprKind::Recommended));
        }
        // A value of a table's `one of` output, compared with the output.
        if hint == Some(Ty::Text) && self.table_words.contains(n) {
            return self.text_literal(file, span, n, hint);
        }
        if n == "today" {
            return Some(Self::mk(file, span, Ty::Date, ExprKind::Today));
        }
        match hint {
            Some(Ty::Enum(slot)) => return self.enum_value(file, span, slot, n, false),
            // A program id would have been taken above.
            Some(Ty::Program) => {
                let ids: Vec<String> = self.program_ids.keys().cloned().collect();
                let mut r = Report::error(
                    Code::UnknownProgram,
                    file,
                    span,
                    format!("`{n}` is not a program"),
                )
                .label("no such program");
                if let Some(s) = did_you_mean(n, ids.iter().map(String::as_str)) {
                    r = r.help(format!("did you mean `{s}`?"));
                } else {
                    r = r.help(format!("the programs are {}", ids.join(", ")));
                }
                self.err(r);
                return None;
            }
            _ => {}
        }
        let mut candidates: Vec<String> = self.names.keys().cloned().collect();
        candidates.sort();
        let mut r = Report::error(
            Code::UnknownName,
            file,
            span,
            format!("unknown field `{n}`"),
        )
        .label("not in the schema");
        let suggestion = did_you_mean(n, candidates.iter().map(String::as_str)).map(str::to_string);
        if let Some(s) = suggestion {
            r = r.help(format!("did you mean `{s}`?"));
        } else if self.program_ids.contains_key(n) {
            r = r.help(format!(
                "`{n}` is a program: test it with `eligible({n})` or `recommended is {n}`"
            ));
        } else if self.referral_ids.contains_key(n) {
            r = r.help(format!("`{n}` is a referral: test it with `referred({n})`"));
        } else if self.warning_ids.contains_key(n) {
            r = r.help(format!("`{n}` is a warning: test it with `warned({n})`"));
        } else if let Some(Ty::Set(Elem::Text)) | Some(Ty::Text) = hint {
            r = r.help(format!("text values are quoted: `\"{n}\"`"));
        } else {
            r = r.help("declare it in the `schema` block, or define it with `define`");
        }
        self.err(r);
        None
    }

    /// Checks `a OP b`, letting either side give the other its type.
    /// `a is more intensive than b`: both sides programs (or `none`);
    /// `less` is `more` with the sides swapped.
    fn intensity(
        &mut self,
        file: FileId,
        span: Span,
        lhs: &ast::Expr,
        more: bool,
        rhs: &ast::Expr,
    ) -> Option<Expr> {
        let l = self.expr(file, lhs, Some(Ty::Program));
        let r = self.expr(file, rhs, Some(Ty::Program));
        let (l, r) = (l?, r?);
        for side in [&l, &r] {
            if side.ty != Ty::Program {
                let msg = format!(
                    "`is {} intensive than` compares programs, but this is {}",
                    if more { "more" } else { "less" },
                    self.ty_name(side.ty)
                );
                self.err(
                    Report::error(Code::TypeMismatch, file, side.span, msg)
                        .help("compare `recommended`, a `program` field, a program id or `none`"),
                );
                return None;
            }
        }
        let (a, b) = if more { (l, r) } else { (r, l) };
        Some(Self::mk(
            file,
            span,
            Ty::Bool,
            ExprKind::MoreIntensive(Box::new(a), Box::new(b)),
        ))
    }

    pub(super) fn compare(
        &mut self,
        file: FileId,
        lhs: &ast::Expr,
        op: ast::CmpOp,
        rhs: &ast::Expr,
    ) -> Option<Expr> {
        let (l, r) = if self.is_free_name(lhs) && !self.is_free_name(rhs) {
            let r = self.expr(file, rhs, None)?;
            let l = self.expr(file, lhs, Some(r.ty))?;
            (l, r)
        } else {
            let l = self.expr(file, lhs, None)?;
            let r = self.expr(file, rhs, Some(l.ty))?;
            (l, r)
        };
        let span = lhs.span.to(rhs.span);
        let cmp = match op {
            ast::CmpOp::Lt => ir::Cmp::Lt,
            ast::CmpOp::Le => ir::Cmp::Le,
            ast::CmpOp::Gt => ir::Cmp::Gt,
            ast::CmpOp::Ge => ir::Cmp::Ge,
            ast::CmpOp::Eq => ir::Cmp::Eq,
            ast::CmpOp::Ne => ir::Cmp::Ne,
        };
        let ordering = matches!(cmp, ir::Cmp::Lt | ir::Cmp::Le | ir::Cmp::Gt | ir::Cmp::Ge);
        // Dates are ordered like numbers, but only against dates.
        let dates = l.ty == Ty::Date && r.ty == Ty::Date;
        if ordering && l.ty == Ty::Date && r.ty != Ty::Date {
            let msg = format!(
                "`{}` compares a date with a date, but this is {}",
                op.symbol(),
                self.ty_name(r.ty)
            );
            self.err(
                Report::error(Code::TypeMismatch, file, r.span, msg).help(
                    "write a date as YYYY-MM-DD; for an age, compare `years since birth_date`",
                ),
            );
            return None;
        }
        if ordering && !dates && (l.ty != Ty::Num || r.ty != Ty::Num) {
            let bad = if l.ty != Ty::Num { &l } else { &r };
            let msg = format!(
                "`{}` compares numbers, but this is {}",
                op.symbol(),
                self.ty_name(bad.ty)
            );
            let mut rep = Report::error(Code::TypeMismatch, file, bad.span, msg);
            if matches!(bad.ty, Ty::Enum(_) | Ty::Text | Ty::Program) {
                rep = rep.help("use `is` or `is not` for values that are not numbers");
            }
            self.err(rep);
            return None;
        }
        if !ordering && l.ty != r.ty {
            let msg = format!(
                "cannot compare {} with {}",
                self.ty_name(l.ty),
                self.ty_name(r.ty)
            );
            self.err(Report::error(Code::TypeMismatch, file, span, msg));
            return None;
        }
        if matches!(l.ty, Ty::Set(_)) {
            self.err(
                Report::error(
                    Code::TypeMismatch,
                    file,
                    span,
                    "sets are not compared with `=` or `is`",
                )
                .help("test members with `in`, or `has any of`, `has all of`"),
            );
            return None;
        }
        Some(Self::mk(
            file,
            span,
            Ty::Bool,
            ExprKind::Cmp(cmp, Box::new(l), Box::new(r)),
        ))
    }

    /// Checks `element in set`, resolving bare words on either side.
    pub(super) fn pair_with_set(
        &mut self,
        file: FileId,
        element: &ast::Expr,
        set: &ast::Expr,
    ) -> Option<(Expr, Expr)> {
        let bare = matches!(
            element.kind,
            ast::ExprKind::Name(_) | ast::ExprKind::Text(_)
        );
        let (el, st) = if bare && !self.is_free_name(set) {
            let st = self.expr(file, set, None)?;
            let hint = match st.ty {
                Ty::Set(e) => Some(e.ty()),
                _ => None,
            };
            (self.expr(file, element, hint)?, st)
        } else {
            let el = self.expr(file, element, None)?;
            let hint = match el.ty {
                Ty::Text => Some(Ty::Set(Elem::Text)),
                Ty::Num => Some(Ty::Set(Elem::Num)),
                Ty::Enum(s) => Some(Ty::Set(Elem::Enum(s))),
                _ => None,
            };
            let st = self.expr(file, set, hint)?;
            (el, st)
        };
        let Ty::Set(elem) = st.ty else {
            let msg = format!(
                "`in` tests membership of a set, but this is {}",
                self.ty_name(st.ty)
            );
            self.err(
                Report::error(Code::TypeMismatch, file, set.span, msg)
                    .help("to compare values write `is`; to list choices write `x in {a, b}`"),
            );
            return None;
        };
        if el.ty != elem.ty() {
            let msg = format!(
                "this is {}, so it cannot be a member of `{}`, {}",
                self.ty_name(el.ty),
                self.snippet_name(set),
                self.ty_name(Ty::Set(elem))
            );
            let mut r = Report::error(Code::TypeMismatch, file, element.span, msg);
            if elem == Elem::Text && matches!(element.kind, ast::ExprKind::Name(_)) {
                r = r.help("text values are quoted");
            }
            self.err(r);
            return None;
        }
        Some((el, st))
    }

    pub(super) fn snippet_name(&self, e: &ast::Expr) -> String {
        match &e.kind {
            ast::ExprKind::Name(n) => n.clone(),
            _ => "the set".into(),
        }
    }
}
