//! Calls: the built-in functions (`count`, `eligible`, `referred`, `warned`,
//! `caseload_full`, `caseload_exceeded`) and the rule set's own functions,
//! whose arguments are typed against their declarations.

use super::{Checker, FUNCTIONS};
use crate::diagnostic::{Code, FileId, Report, Span, did_you_mean};
use crate::ir::{Elem, Expr, ExprKind, ProgramRef, Ty};
use crate::syntax::ast;

impl Checker {
    pub(super) fn call(
        &mut self,
        file: FileId,
        span: Span,
        name: &ast::Ident,
        args: &[ast::Expr],
    ) -> Option<Expr> {
        let f = name.name.as_str();
        if let Some(ix) = self.function_ids.get_index_of(f) {
            return self.call_function(file, span, ix, name, args);
        }
        if super::numbers::NUMBER_FUNCTIONS.contains(&f) {
            return self.number_call(file, span, name, args);
        }
        if !FUNCTIONS.contains(&f) {
            let mut r = Report::error(
                Code::UnknownFunction,
                file,
                name.span,
                format!("unknown function `{f}`"),
            );
            let mut known: Vec<&str> = FUNCTIONS.to_vec();
            known.extend(super::numbers::NUMBER_FUNCTIONS);
            known.extend(self.function_ids.keys().map(String::as_str));
            r = match did_you_mean(f, known.iter().copied()) {
                Some(s) => r.help(format!("did you mean `{s}`?")),
                None => r.help(format!("the functions are {}", known.join(", "))),
            };
            self.err(r);
            return None;
        }
        let [arg] = args else {
            self.err(
                Report::error(
                    Code::BadArguments,
                    file,
                    span,
                    format!("`{f}` takes one argument, not {}", args.len()),
                )
                .help(format!("write `{f}(…)` with one argument")),
            );
            return None;
        };
        if f == "count" {
            let x = self.expr(file, arg, None)?;
            if !matches!(x.ty, Ty::Set(_)) {
                let msg = format!(
                    "`count` counts the members of a set, but this is {}",
                    self.ty_name(x.ty)
                );
                self.err(Report::error(Code::TypeMismatch, file, arg.span, msg));
                return None;
            }
            return Some(Self::mk(file, span, Ty::Num, ExprKind::Count(Box::new(x))));
        }
        let ast::ExprKind::Name(id) = &arg.kind else {
            self.err(
                Report::error(
                    Code::BadArguments,
                    file,
                    arg.span,
                    format!("`{f}` takes an id"),
                )
                .help(format!("write e.g. `{f}(some_id)`")),
            );
            return None;
        };
        let (table, kind) = match f {
            "eligible" | "caseload_full" | "caseload_exceeded" => (&self.program_ids, "program"),
            "referred" => (&self.referral_ids, "referral"),
            _ => (&self.warning_ids, "warning"),
        };
        let ix = table.get_index_of(id.as_str());
        let caseload = matches!(f, "caseload_full" | "caseload_exceeded");
        let pref = match (id.as_str(), ix) {
            ("recommended", _) if caseload => Some(ProgramRef::Recommended),
            ("any", _) if caseload => Some(ProgramRef::Any),
            (_, Some(i)) => Some(ProgramRef::Program(i)),
            _ => None,
        };
        let Some(pref) = pref else {
            let ids: Vec<String> = table.keys().cloned().collect();
            let mut r = Report::error(
                Code::UnknownOutcome,
                file,
                arg.span,
                format!("`{id}` is not a {kind}"),
            )
            .label(format!("no such {kind}"));
            r = match did_you_mean(id, ids.iter().map(String::as_str)) {
                Some(s) => r.help(format!("did you mean `{s}`?")),
                None if ids.is_empty() => r.help(format!("this rule set defines no {kind}")),
                None => r.help(format!("the {kind}s are {}", ids.join(", "))),
            };
            self.err(r);
            return None;
        };
        let kind = match (f, pref) {
            ("caseload_full", p) => ExprKind::CaseloadFull(p),
            ("caseload_exceeded", p) => ExprKind::CaseloadExceeded(p),
            (_, ProgramRef::Program(i)) => match f {
                "eligible" => ExprKind::Eligible(i),
                "referred" => ExprKind::Referred(i),
                _ => ExprKind::Warned(i),
            },
            _ => return None,
        };
        Some(Self::mk(file, span, Ty::Bool, kind))
    }

    pub(super) fn call_function(
        &mut self,
        file: FileId,
        span: Span,
        ix: usize,
        name: &ast::Ident,
        args: &[ast::Expr],
    ) -> Option<Expr> {
        // A function that failed to check has been reported already.
        let (params, returns) = {
            let func = self.functions.get(ix)?.as_ref()?;
            (func.params.clone(), func.returns)
        };
        if params.len() != args.len() {
            self.err(
                Report::error(
                    Code::BadArguments,
                    file,
                    span,
                    format!(
                        "`{}` takes {} argument{}, not {}",
                        name.name,
                        params.len(),
                        if params.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .help(format!(
                    "its parameters are declared at `function {}`",
                    name.name
                )),
            );
            return None;
        }
        let mut out = Vec::new();
        for (arg, want) in args.iter().zip(&params) {
            let x = self.expr(file, arg, Some(*want))?;
            // Enumeration values pass as their names.
            let fits = x.ty == *want
                || matches!(
                    (x.ty, want),
                    (Ty::Enum(_), Ty::Text) | (Ty::Set(Elem::Enum(_)), Ty::Set(Elem::Text))
                );
            if !fits {
                let msg = format!(
                    "`{}` expects {} here, but this is {}",
                    name.name,
                    self.ty_name(*want),
                    self.ty_name(x.ty)
                );
                self.err(Report::error(Code::TypeMismatch, file, arg.span, msg));
                return None;
            }
            out.push(x);
        }
        Some(Self::mk(file, span, returns, ExprKind::Call(ix, out)))
    }
}
