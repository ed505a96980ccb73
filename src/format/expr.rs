//! Expressions and types as text: single spaces around operators, ASCII
//! spellings, parentheses exactly where the author put them.

use super::printer::escape;
use crate::syntax::ast::*;

pub(super) fn type_expr(ty: &TypeExpr) -> String {
    match ty {
        TypeExpr::Scalar(s, _) => scalar(*s).to_string(),
        TypeExpr::OneOf(values, _) => format!("one of {{{}}}", names(values)),
        TypeExpr::SetOfText(_) => "set of text".to_string(),
        TypeExpr::SetOfEnum(values, _) => format!("set of {{{}}}", names(values)),
        TypeExpr::Program(_) => "program".to_string(),
    }
}

pub(super) fn scalar(s: ScalarType) -> &'static str {
    match s {
        ScalarType::Integer => "integer",
        ScalarType::Decimal => "decimal",
        ScalarType::Boolean => "boolean",
        ScalarType::Text => "text",
        ScalarType::Date => "date",
    }
}

pub(super) fn names(values: &[Ident]) -> String {
    let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
    names.join(", ")
}

/// A word, number or string as written (a default's reason, a set
/// default's member, a weight's key).
pub(super) fn attr_value(v: &AttrValue) -> String {
    match v {
        AttrValue::Text(t) => escape(&t.value),
        AttrValue::Number(n) => n.text.clone(),
        AttrValue::Word(w) => w.name.clone(),
    }
}

/// A field's default value.
pub(super) fn default_value(v: &DefaultValue) -> String {
    match v {
        DefaultValue::Number(n) => n.text.clone(),
        DefaultValue::Text(t) => escape(&t.value),
        DefaultValue::Word(w) => w.name.clone(),
        DefaultValue::Set(members, _) => {
            let items: Vec<String> = members.iter().map(attr_value).collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// An expression on one line.
pub(super) fn flat(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(e, &mut s);
    s
}

pub(super) fn write_list(items: &[Expr], sep: &str, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_expr(item, out);
    }
}

/// The tree is exactly what the parser built, operators left-nested and
/// parentheses explicit, so printing each node in place reads back as the
/// same tree: no parentheses need to be added.
pub(super) fn write_expr(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Number(n) => out.push_str(&n.text),
        ExprKind::Percent(n) => {
            out.push_str(&n.text);
            out.push('%');
        }
        ExprKind::Date(d) => out.push_str(d),
        ExprKind::Duration { unit, from, to } => {
            out.push_str(unit.word());
            match to {
                None => {
                    out.push_str(" since ");
                    write_expr(from, out);
                }
                Some(to) => {
                    out.push_str(" between ");
                    write_expr(from, out);
                    out.push_str(" and ");
                    write_expr(to, out);
                }
            }
        }
        ExprKind::Text(value) => out.push_str(&escape(value)),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::None => out.push_str("none"),
        ExprKind::Name(name) => out.push_str(name),
        ExprKind::Output { table, output } => {
            out.push_str(&table.name);
            out.push('.');
            out.push_str(&output.name);
        }
        ExprKind::Call { name, args } => {
            out.push_str(&name.name);
            out.push('(');
            write_list(args, ", ", out);
            out.push(')');
        }
        ExprKind::Set(items) => {
            out.push('{');
            write_list(items, ", ", out);
            out.push('}');
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
        ExprKind::Neg(inner) => {
            out.push('-');
            write_expr(inner, out);
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            write_expr(inner, out);
        }
        ExprKind::And(parts) => write_list(parts, " and ", out),
        ExprKind::Or(parts) => write_list(parts, " or ", out),
        ExprKind::Arith { op, lhs, rhs } => {
            write_expr(lhs, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(rhs, out);
        }
        ExprKind::Compare { first, rest } => {
            write_expr(first, out);
            for (op, operand) in rest {
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                write_expr(operand, out);
            }
        }
        ExprKind::Intensity { lhs, more, rhs } => {
            write_expr(lhs, out);
            out.push_str(if *more {
                " is more intensive than "
            } else {
                " is less intensive than "
            });
            write_expr(rhs, out);
        }
        ExprKind::Is { lhs, negated, rhs } => {
            write_expr(lhs, out);
            out.push_str(if *negated { " is not " } else { " is " });
            write_expr(rhs, out);
        }
        ExprKind::IsKnown {
            operand,
            known,
            negated,
        } => {
            write_expr(operand, out);
            out.push_str(if *negated { " is not " } else { " is " });
            out.push_str(if *known { "known" } else { "unknown" });
        }
        ExprKind::In {
            element,
            negated,
            set,
        } => {
            write_expr(element, out);
            out.push_str(if *negated { " not in " } else { " in " });
            write_expr(set, out);
        }
        ExprKind::Has {
            set,
            quantifier,
            values,
        } => {
            write_expr(set, out);
            out.push_str(match quantifier {
                Quantifier::Any => " has any of ",
                Quantifier::All => " has all of ",
                Quantifier::None => " has none of ",
            });
            write_expr(values, out);
        }
        ExprKind::If {
            condition,
            then,
            otherwise,
        } => {
            out.push_str("if ");
            write_expr(condition, out);
            out.push_str(" then ");
            write_expr(then, out);
            out.push_str(" else ");
            write_expr(otherwise, out);
        }
        ExprKind::FirstKnown(items) => {
            out.push_str("first known of (");
            write_list(items, ", ", out);
            out.push(')');
        }
        ExprKind::CountOf {
            at_most,
            n,
            conditions,
        } => {
            out.push_str(if *at_most { "at most " } else { "at least " });
            out.push_str(&n.text);
            out.push_str(" of (");
            write_list(conditions, ", ", out);
            out.push(')');
        }
        ExprKind::WeightedSum { set, weights } => {
            out.push_str("weighted sum of ");
            write_expr(set, out);
            out.push_str(" {");
            for (i, w) in weights.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&attr_value(&w.key));
                out.push_str(": ");
                write_expr(&w.weight, out);
            }
            out.push('}');
        }
    }
}
