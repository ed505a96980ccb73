//! Schema defaults: `violence_risk: boolean default false because "the
//! intake form asks every client"`. A default must say why it is safe to
//! assume, and must be a value the profile itself could give: of the
//! field's type, within its range.

use super::Checker;
use crate::decimal;
use crate::diagnostic::{Code, FileId, Report, Span, did_you_mean};
use crate::ir::{DefaultValue, FieldDefault, FieldType};
use crate::syntax::ast;
use rust_decimal::Decimal;

impl Checker {
    /// Checks a field's `default … because …`; `None` (with the error
    /// reported) when it is wrong.
    pub(super) fn field_default(
        &mut self,
        file: FileId,
        f: &ast::FieldDecl,
        d: &ast::FieldDefault,
        ty: &FieldType,
        (min, max): (Option<Decimal>, Option<Decimal>),
    ) -> Option<FieldDefault> {
        let name = &f.name.name;
        if f.required {
            self.err(
                Report::error(
                    Code::BadDefault,
                    file,
                    d.span,
                    format!("field `{name}` is required, so it never takes its default"),
                )
                .help("remove `required`, or the default"),
            );
            return None;
        }
        let reason = match &d.reason {
            Some(ast::AttrValue::Text(t)) => Some(t.value.clone()),
            Some(other) => {
                self.err(
                    Report::error(
                        Code::DefaultReason,
                        file,
                        other.span(),
                        "the reason for a default is a string",
                    )
                    .label("not a string")
                    .help("quote it: `because \"the intake form asks every client\"`"),
                );
                None
            }
            None => {
                self.err(
                    Report::error(
                        Code::DefaultReason,
                        file,
                        d.span,
                        format!("the default of `{name}` has no reason"),
                    )
                    .label("no `because`")
                    .help("say why it is safe to assume: `default … because \"the intake form asks every client\"`"),
                );
                None
            }
        };
        let value = self.default_value(file, name, &d.value, ty, (min, max));
        Some(FieldDefault {
            value: value?,
            reason: reason?,
        })
    }

    fn default_value(
        &mut self,
        file: FileId,
        name: &str,
        v: &ast::DefaultValue,
        ty: &FieldType,
        (min, max): (Option<Decimal>, Option<Decimal>),
    ) -> Option<DefaultValue> {
        use ast::DefaultValue as V;
        let span = v.span();
        match (ty, v) {
            (FieldType::Integer | FieldType::Decimal, V::Number(n)) => {
                let d = self.number(file, n)?;
                let d = if d.is_zero() {
                    Decimal::ZERO
                } else {
                    d.normalize()
                };
                if *ty == FieldType::Integer && d.scale() != 0 {
                    return self.bad_default(file, span, name, ty, "not a whole number");
                }
                let below = min.is_some_and(|m| decimal::cmp(&d, &m).is_lt());
                let above = max.is_some_and(|m| decimal::cmp(&d, &m).is_gt());
                if below || above {
                    let range = match (min, max) {
                        (Some(lo), Some(hi)) => {
                            format!("from {} to {}", decimal::show(lo), decimal::show(hi))
                        }
                        (Some(lo), None) => format!("of at least {}", decimal::show(lo)),
                        (None, _) => {
                            format!("of at most {}", max.map(decimal::show).unwrap_or_default())
                        }
                    };
                    self.err(
                        Report::error(
                            Code::BadDefault,
                            file,
                            span,
                            format!("the default of `{name}` must be {} {range}", ty.describe()),
                        )
                        .label("out of the field's range")
                        .help("a default must be a value the profile could give for the field"),
                    );
                    return None;
                }
                Some(DefaultValue::Num(d))
            }
            (FieldType::Boolean, V::Word(w)) if w.name == "true" || w.name == "false" => {
                Some(DefaultValue::Bool(w.name == "true"))
            }
            (FieldType::Text, V::Text(t)) => Some(DefaultValue::Text(t.value.clone())),
            // Enrollment and the like: the case system's own record, whose
            // absence means "none". A default naming a program would
            // enroll every client who left the field out.
            (FieldType::Program, V::Word(w)) if w.name == "none" => Some(DefaultValue::NoProgram),
            (FieldType::Program, _) => {
                self.bad_default(file, span, name, ty, "a program field's default is `none`")
            }
            (FieldType::Enum(values), V::Word(ast::Ident { name: word, .. }))
            | (FieldType::Enum(values), V::Text(ast::Text { value: word, .. })) => {
                match values.iter().position(|x| x == word) {
                    Some(i) => Some(DefaultValue::Enum(i)),
                    None => self.not_a_value(file, span, name, word, values),
                }
            }
            (FieldType::SetOfText | FieldType::SetOfEnum(_), V::Set(members, _)) => {
                let mut out: Vec<String> = Vec::new();
                for m in members {
                    let word = match (ty, m) {
                        (_, ast::AttrValue::Text(t)) => t.value.clone(),
                        (FieldType::SetOfEnum(_), ast::AttrValue::Word(w)) => w.name.clone(),
                        _ => {
                            return self.bad_default(
                                file,
                                m.span(),
                                name,
                                ty,
                                "text values are quoted",
                            );
                        }
                    };
                    if let FieldType::SetOfEnum(values) = ty {
                        if !values.contains(&word) {
                            return self.not_a_value(file, m.span(), name, &word, values);
                        }
                    }
                    if !out.contains(&word) {
                        out.push(word);
                    }
                }
                Some(DefaultValue::Set(out))
            }
            _ => self.bad_default(file, span, name, ty, "not of the field's type"),
        }
    }

    fn bad_default<T>(
        &mut self,
        file: FileId,
        span: Span,
        name: &str,
        ty: &FieldType,
        label: &str,
    ) -> Option<T> {
        self.err(
            Report::error(
                Code::BadDefault,
                file,
                span,
                format!("the default of `{name}` must be {}", ty.describe()),
            )
            .label(label)
            .help("a default must be a value the profile could give for the field"),
        );
        None
    }

    fn not_a_value<T>(
        &mut self,
        file: FileId,
        span: Span,
        name: &str,
        word: &str,
        values: &[String],
    ) -> Option<T> {
        let list = values.join(", ");
        let mut r = Report::error(
            Code::BadDefault,
            file,
            span,
            format!("the default `{word}` is not a value of `{name}`"),
        )
        .label("not in the schema");
        r = match did_you_mean(word, values.iter().map(String::as_str)) {
            Some(s) => r.help(format!("did you mean `{s}`? `{name}` is one of {list}")),
            None => r.help(format!("`{name}` is one of {list}")),
        };
        self.err(r);
        None
    }
}
