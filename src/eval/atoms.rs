//! Each atom and comparison of the language, once: the plan (`decide`) and
//! the tree walker (`walk`) both call these, so the two evaluators cannot
//! disagree on what `=`, `in` or `has any of` mean. A new operator's
//! meaning goes here; each evaluator only finds its operands.

use crate::decimal;
use crate::ir::{Cmp, Lit, Quant};
use crate::profile::{Bits, Val};
use rust_decimal::Decimal;

/// Two numbers compared: exact decimals, whatever their scales.
#[inline]
pub(super) fn numbers(op: Cmp, x: &Decimal, y: &Decimal) -> bool {
    op.holds(decimal::cmp(x, y))
}

/// Whole days, months or years from day number `a` to day number `b`;
/// `None` if either is not a day of the calendar, which no profile or
/// rule can give (a date is read and checked as one).
#[inline]
pub(super) fn duration(unit: crate::date::Unit, a: Decimal, b: Decimal) -> Option<Decimal> {
    crate::date::between_decimal(unit, a, b)
}

/// Two known values compared: numbers by order, everything else by
/// equality (`=`, `!=`; the checker allows no other operator on them).
pub(super) fn compare(op: Cmp, a: &Val, b: &Val) -> bool {
    if let (Val::Num(x), Val::Num(y)) = (a, b) {
        return numbers(op, x, y);
    }
    let eq = match (a, b) {
        // Every text the rules mention is interned, and profile text is
        // interned when the rules mention it: equal symbols or none at all.
        (Val::Text(Some(x), _), Val::Text(Some(y), _)) => x == y,
        (Val::Text(Some(_), _), Val::Text(None, _))
        | (Val::Text(None, _), Val::Text(Some(_), _)) => false,
        (Val::Text(None, x), Val::Text(None, y)) => x == y,
        _ => a == b,
    };
    match op {
        Cmp::Ne => !eq,
        _ => eq,
    }
}

/// `x op c` for a known value and a constant, with `flipped` for `c op x`.
/// `None` when the pair is not one of the forms the fast paths take.
#[inline]
pub(super) fn against_constant(op: Cmp, x: &Val, c: &Lit, flipped: bool) -> Option<bool> {
    match (x, c) {
        (Val::Num(x), Lit::Num(c)) => Some(if flipped {
            numbers(op, c, x)
        } else {
            numbers(op, x, c)
        }),
        (x, c) if matches!(op, Cmp::Eq | Cmp::Ne) => {
            let eq = lit_is(c, x);
            Some(if op == Cmp::Eq { eq } else { !eq })
        }
        _ => None,
    }
}

/// Whether a known value equals a constant.
pub(super) fn lit_is(l: &Lit, x: &Val) -> bool {
    match (l, x) {
        (Lit::Enum(i), Val::Enum(j)) => i == j,
        (Lit::Text(i), Val::Text(j, _)) => Some(*i) == *j,
        (Lit::Num(a), Val::Num(b)) => a == b,
        (Lit::Bool(a), Val::Bool(b)) => a == b,
        (Lit::Program(a), Val::Program(b)) => a == b,
        _ => false,
    }
}

/// An enumeration value `is` (or `is not`) the value with index `value`;
/// `None` if `x` is not an enumeration value.
#[inline]
pub(super) fn enum_is(x: &Val, value: usize, is: bool) -> Option<bool> {
    match x {
        Val::Enum(v) => Some((*v == value) == is),
        _ => None,
    }
}

/// A text `is` (or `is not`) the interned text `sym`; `None` if `x` is not
/// a text.
#[inline]
pub(super) fn text_is(x: &Val, sym: usize, is: bool) -> Option<bool> {
    match x {
        Val::Text(v, _) => Some((*v == Some(sym)) == is),
        _ => None,
    }
}

/// A constant (an enumeration value or an interned text, by its bit) in a
/// set value; `None` if `set` is not a set.
#[inline]
pub(super) fn has_bit(set: &Val, bit: usize) -> Option<bool> {
    match set {
        Val::Set(bits, _, _) => Some(bits.contains(bit)),
        _ => None,
    }
}

/// An enumeration value or text in a set of constants given as a mask. A
/// text the rules never mention is in no such set. `None` for other values.
#[inline]
pub(super) fn one_of(x: &Val, mask: &Bits) -> Option<bool> {
    match x {
        Val::Enum(i) | Val::Text(Some(i), _) => Some(mask.contains(*i)),
        Val::Text(None, _) => Some(false),
        _ => None,
    }
}

/// A known value in a known set.
pub(super) fn member(x: &Val, set: &Val) -> bool {
    let Val::Set(bits, _, members) = set else {
        return false;
    };
    match x {
        Val::Enum(i) | Val::Text(Some(i), _) => bits.contains(*i),
        Val::Text(None, s) => members.iter().any(|m| m.as_str() == &**s),
        Val::Num(d) => members.contains(&decimal::show(*d)),
        _ => false,
    }
}

/// `set has any/all/none of values`, both as bits.
#[inline]
pub(super) fn has(q: Quant, set: &Bits, values: &Bits) -> bool {
    match q {
        Quant::Any => set.intersects(values),
        Quant::All => set.contains_all(values),
        Quant::None => !set.intersects(values),
    }
}

/// `set has any/all/none of values` for sets given by their members'
/// names (texts the rules do not mention, numbers).
pub(super) fn has_members(q: Quant, set: &[String], values: &[String]) -> bool {
    let any = values.iter().any(|m| set.contains(m));
    match q {
        Quant::Any => any,
        Quant::All => values.iter().all(|m| set.contains(m)),
        Quant::None => !any,
    }
}
