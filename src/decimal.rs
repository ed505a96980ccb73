//! Exact decimal arithmetic.
//!
//! Money rules need exact decimals: an income exactly at a limit must be at
//! the limit, with no binary rounding on either side. careplan keeps every
//! number as a `rust_decimal::Decimal` (96-bit mantissa, 28 significant
//! digits) and treats overflow as an error, never as a rounded result.

use rust_decimal::Decimal;

/// Parses a number as written in a rule file: digits, optional `_`
/// separators, optional fraction, optional leading `-`.
pub(crate) fn parse_literal(text: &str) -> Option<Decimal> {
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    Decimal::from_str_exact(&cleaned).ok()
}

/// Parses a number as a data format prints it, exponent allowed
/// (`1835.40`, `1e-7`, `2.5E3`). `None` when it cannot be held exactly.
pub fn parse_number(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) {
        // `from_scientific` accepts exponents the mantissa cannot absorb by
        // rounding; reject those rather than silently change the value.
        let d = Decimal::from_scientific(text).ok()?;
        let (mantissa, exp) = text.split_once(['e', 'E'])?;
        let exp: i64 = exp.parse().ok()?;
        let digits = mantissa.chars().filter(char::is_ascii_digit).count() as i64;
        if !(-28..=28).contains(&exp) || digits + exp.abs() > 40 {
            return None;
        }
        Some(d.normalize())
    } else {
        Decimal::from_str_exact(text).ok()
    }
}

/// The whole number a decimal holds, if it holds one.
pub(crate) fn to_i64(d: Decimal) -> Option<i64> {
    if d.fract().is_zero() {
        i64::try_from(d.trunc()).ok()
    } else {
        None
    }
}

/// Compares two decimals; the same order as `Decimal::cmp`, faster for the
/// usual case of numbers with few decimal places: both mantissas brought
/// to one scale and compared as integers, with `Decimal::cmp` for the rest.
#[inline]
pub(crate) fn cmp(a: &Decimal, b: &Decimal) -> std::cmp::Ordering {
    const POW10: [i128; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let (sa, sb) = (a.scale(), b.scale());
    let scaled = if sa == sb {
        Some((a.mantissa(), b.mantissa()))
    } else if sa > sb {
        // Mantissas are below 2^96 and 10^9 < 2^30: no overflow of i128.
        POW10
            .get((sa - sb) as usize)
            .map(|p| (a.mantissa(), b.mantissa() * p))
    } else {
        POW10
            .get((sb - sa) as usize)
            .map(|p| (a.mantissa() * p, b.mantissa()))
    };
    match scaled {
        Some((x, y)) => x.cmp(&y),
        None => a.cmp(b),
    }
}

/// A decimal for display: trailing zeros dropped (`1835.40` → `1835.4`).
pub(crate) fn show(d: Decimal) -> String {
    d.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Arith;

    #[test]
    fn cmp_agrees_with_decimal_ordering() {
        let values = [
            "0",
            "-0",
            "1",
            "-1",
            "0.8",
            "0.80",
            "0.7999",
            "1500",
            "1499.99",
            "1500.00",
            "-1500.01",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "1835.4",
            "21600.0000001",
            "99999999999.9999",
        ];
        for a in values {
            for b in values {
                let (x, y) = (Decimal::from_str_exact(a), Decimal::from_str_exact(b));
                let (Ok(x), Ok(y)) = (x, y) else {
                    panic!("{a} or {b}")
                };
                assert_eq!(cmp(&x, &y), x.cmp(&y), "{a} vs {b}");
            }
        }
    }
    use std::str::FromStr;

    #[test]
    fn literals_keep_every_digit() {
        assert_eq!(parse_literal("15_960"), Decimal::from_str("15960").ok());
        assert_eq!(parse_literal("0.8"), Decimal::from_str("0.8").ok());
        assert_eq!(parse_literal("1.2.3"), None);
    }

    #[test]
    fn numbers_with_exponents() {
        assert_eq!(parse_number("1e-7"), Decimal::from_str("0.0000001").ok());
        assert_eq!(parse_number("2.5E3"), Decimal::from_str("2500").ok());
        assert_eq!(parse_number("1e400"), None);
        assert_eq!(parse_number("1835.40"), Decimal::from_str("1835.4").ok());
    }

    #[test]
    fn the_medicaid_limit_is_exact() {
        // 138% of the one-person guideline: binary floating point gives
        // 22024.800000000003 for 1835.4 × 12 and puts the client over.
        let limit = Arith::Mul.apply(
            Decimal::from_str("1.38").unwrap_or_default(),
            Decimal::from(15960),
        );
        let income = Arith::Mul.apply(
            Decimal::from_str("1835.4").unwrap_or_default(),
            Decimal::from(12),
        );
        assert_eq!(income, limit);
    }

    #[test]
    fn overflow_is_none() {
        assert_eq!(Arith::Mul.apply(Decimal::MAX, Decimal::TWO), None);
        assert_eq!(Arith::Div.apply(Decimal::ONE, Decimal::ZERO), None);
    }
}
