//! The meaning of three-valued counting and of `unless`, once:
//! the plan (`decide`) and the tree walker (`walk`) both call these, as
//! they call `atoms`.

use super::Truth;

// The number functions themselves (`NumFn::unary`, `pick`, `clamp`) live
// with the IR, as `Arith::apply` does, so that checking can fold and test
// constant arguments with the same meaning.

/// The count of `at least N of (…)` / `at most N of (…)` so far: `t`
/// conditions true, `u` unknown, `rest` not yet looked at. `Some` once the
/// answer cannot change, so evaluation stops there (the plan and the
/// walker at the same operand).
#[inline]
pub(super) fn count_decided(
    at_most: bool,
    n: usize,
    t: usize,
    u: usize,
    rest: usize,
) -> Option<Truth> {
    let possible = t + u + rest;
    if at_most {
        if t > n {
            Some(Truth::False)
        } else if possible <= n {
            Some(Truth::True)
        } else {
            None
        }
    } else if t >= n {
        Some(Truth::True)
    } else if possible < n {
        Some(Truth::False)
    } else {
        None
    }
}

/// The count's answer once every condition is looked at: `at least N` is
/// true if t ≥ N, false if t + u < N, else unknown; `at most N` is true if
/// t + u ≤ N, false if t > N, else unknown.
#[inline]
pub(super) fn count_final(at_most: bool, n: usize, t: usize, u: usize) -> Truth {
    count_decided(at_most, n, t, u, 0).unwrap_or(Truth::Unknown)
}

/// `base unless exception`: the exception true makes it false; false
/// leaves the base; unknown leaves it unknown unless the base is false.
#[inline]
pub(super) fn unless(base: Truth, exception: Truth) -> Truth {
    match (base, exception) {
        (Truth::False, _) | (_, Truth::True) => Truth::False,
        (b, Truth::False) => b,
        (_, Truth::Unknown) => Truth::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::NumFn;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn round_goes_half_away_from_zero_at_any_places() {
        for (x, p, want) in [
            ("1.5", 0, "2"),
            ("-1.5", 0, "-2"),
            ("2.5", 0, "3"),
            ("-2.5", 0, "-3"),
            ("0.5", 0, "1"),
            ("-0.5", 0, "-1"),
            ("1.49", 0, "1"),
            ("-0.4", 0, "0"),
            ("1.005", 2, "1.01"),
            ("-1.005", 2, "-1.01"),
            ("1.0049", 2, "1"),
            ("12.345", 1, "12.3"),
            ("7", 3, "7"),
        ] {
            assert_eq!(NumFn::Round(p).unary(d(x)), d(want), "round({x}, {p})");
        }
    }

    #[test]
    fn floor_and_ceil_go_toward_the_infinities() {
        for (x, p, floor, ceil) in [
            ("1.5", 0, "1", "2"),
            ("-1.5", 0, "-2", "-1"),
            ("-0.1", 0, "-1", "0"),
            ("2", 0, "2", "2"),
            ("-1.234", 2, "-1.24", "-1.23"),
            ("1.234", 1, "1.2", "1.3"),
        ] {
            assert_eq!(NumFn::Floor(p).unary(d(x)), d(floor), "floor({x}, {p})");
            assert_eq!(NumFn::Ceil(p).unary(d(x)), d(ceil), "ceil({x}, {p})");
        }
        assert!(NumFn::Ceil(0).unary(d("-0.1")).is_sign_positive());
    }

    #[test]
    fn abs_min_max_and_clamp() {
        assert_eq!(NumFn::Abs.unary(d("-3.25")), d("3.25"));
        assert_eq!(NumFn::Min.pick(d("2"), d("1.99")), d("1.99"));
        assert_eq!(NumFn::Max.pick(d("2"), d("1.99")), d("2"));
        assert_eq!(NumFn::clamp(d("5"), d("0"), d("3")), Some(d("3")));
        assert_eq!(NumFn::clamp(d("-5"), d("0"), d("3")), Some(d("0")));
        assert_eq!(NumFn::clamp(d("2"), d("0"), d("3")), Some(d("2")));
        assert_eq!(NumFn::clamp(d("2"), d("3"), d("3")), Some(d("3")));
        assert_eq!(NumFn::clamp(d("2"), d("4"), d("3")), None);
    }

    #[test]
    fn counting_is_three_valued() {
        use Truth::*;
        // at least 2 of three conditions: (true, unknown) counts.
        for (t, u, least, most) in [
            (2, 0, True, True),
            (3, 0, True, False),
            (1, 1, Unknown, True),
            (1, 0, False, True),
            (0, 2, Unknown, True),
            (2, 1, True, Unknown),
            (0, 3, Unknown, Unknown),
        ] {
            assert_eq!(
                count_final(false, 2, t, u),
                least,
                "at least 2: t={t} u={u}"
            );
            assert_eq!(count_final(true, 2, t, u), most, "at most 2: t={t} u={u}");
        }
    }

    #[test]
    fn unless_against_every_base() {
        use Truth::*;
        let cases = [
            (True, True, False),
            (True, False, True),
            (True, Unknown, Unknown),
            (False, True, False),
            (False, False, False),
            (False, Unknown, False),
            (Unknown, True, False),
            (Unknown, False, Unknown),
            (Unknown, Unknown, Unknown),
        ];
        for (base, exception, want) in cases {
            assert_eq!(
                unless(base, exception),
                want,
                "{base:?} unless {exception:?}"
            );
        }
    }
}
