//! The plan's form of the commonest table: one numeric input, literal
//! bands (`0 -> 0`, `4 to 6 -> 4`, `14 or more -> 7`), one number out, no
//! dates. Its rows become a sorted array of bands searched by binary
//! search: no allocation and no walk per decision. Every other table is
//! read through the tree walker.

use crate::decimal;
use crate::ir::{CellMatch, CellTest, Cmp, Expr, ExprKind, Hit, Lit, Table, Ty};
use rust_decimal::Decimal;

/// One band: `lo` (with whether it is included) up to `hi`, and the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Band {
    lo: Option<(Decimal, bool)>,
    hi: Option<(Decimal, bool)>,
    value: Decimal,
}

/// A table as bands, sorted by their lower ends; or, for a table of a
/// boolean, enumeration or text field, as the value of each key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Bands {
    bands: Vec<Band>,
    /// When every end is a whole number: each band as the closed range of
    /// whole numbers it holds (open ends as `i64::MIN`/`MAX`) and its
    /// value, in the same order. A whole-number input (most table inputs
    /// are `integer` fields) is then found with integer comparisons.
    ints: Option<Vec<(i64, i64, Decimal)>>,
    /// The keys of a table of a discrete field, with their values.
    keys: Vec<(Lit, Decimal)>,
    default: Option<Decimal>,
}

impl Bands {
    /// The table as bands, if it is one the plan takes: one numeric
    /// input, `hit: unique` (so the bands do not overlap, as loading
    /// checked), undated, one number output, each row a single literal,
    /// comparison or range. Also the input expression.
    pub(crate) fn of(t: &Table) -> Option<(Bands, &Expr)> {
        let [input] = t.inputs.as_slice() else {
            return None;
        };
        let [version] = t.versions.as_slice() else {
            return None;
        };
        if t.hit != Hit::Unique || version.from.is_some() || t.outputs.len() != 1 {
            return None;
        }
        let default = match &t.default {
            None => None,
            Some((values, _)) => match values.as_slice() {
                [Lit::Num(d)] => Some(*d),
                _ => return None,
            },
        };
        if matches!(input.ty, Ty::Bool | Ty::Enum(_) | Ty::Text) {
            // Keys: a field's value, each row a list of literals.
            if !matches!(input.kind, ExprKind::Field(_)) {
                return None;
            }
            let mut keys = Vec::new();
            for row in &version.rows {
                let (
                    [
                        CellMatch::Tests {
                            negated: false,
                            tests,
                        },
                    ],
                    [Lit::Num(value)],
                ) = (row.cells.as_slice(), row.outputs.as_slice())
                else {
                    return None;
                };
                for test in tests {
                    let CellTest::Cmp(Cmp::Eq, key) = test else {
                        return None;
                    };
                    keys.push((key.clone(), *value));
                }
            }
            let bands = Bands {
                bands: Vec::new(),
                ints: None,
                keys,
                default,
            };
            return Some((bands, input));
        }
        let mut bands = Vec::with_capacity(version.rows.len());
        for row in &version.rows {
            let (
                [
                    CellMatch::Tests {
                        negated: false,
                        tests,
                    },
                ],
                [Lit::Num(value)],
                None,
            ) = (row.cells.as_slice(), row.outputs.as_slice(), row.each)
            else {
                return None;
            };
            let [test] = tests.as_slice() else {
                return None;
            };
            let (lo, hi) = match test {
                CellTest::Range { lo, hi } => (*lo, *hi),
                CellTest::Cmp(op, Lit::Num(c)) => match op {
                    Cmp::Eq => (Some((*c, true)), Some((*c, true))),
                    Cmp::Lt => (None, Some((*c, false))),
                    Cmp::Le => (None, Some((*c, true))),
                    Cmp::Gt => (Some((*c, false)), None),
                    Cmp::Ge => (Some((*c, true)), None),
                    Cmp::Ne => return None,
                },
                CellTest::Cmp(..) => return None,
            };
            bands.push(Band {
                lo,
                hi,
                value: *value,
            });
        }
        // No lower end sorts first; equal ends, the included one first.
        bands.sort_by(|a, b| match (a.lo, b.lo) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some((x, xi)), Some((y, yi))) => decimal::cmp(&x, &y).then(yi.cmp(&xi)),
        });
        let ints = whole_ranges(&bands);
        Some((
            Bands {
                bands,
                ints,
                keys: Vec::new(),
                default,
            },
            input,
        ))
    }

    /// The value for `x`: its band's, or the default; `None` when no band
    /// holds it and there is no default (the walker words that error).
    #[inline]
    pub(crate) fn find(&self, x: &Decimal) -> Option<Decimal> {
        if let (Some(ints), 0) = (&self.ints, x.scale()) {
            if let Ok(i) = i64::try_from(x.mantissa()) {
                // The bands that start at or below `i`; only the last can
                // hold it. A miss goes the exact way below, which also
                // finds the default.
                let n = ints.partition_point(|(lo, _, _)| *lo <= i);
                let hit = n.checked_sub(1).and_then(|k| ints.get(k));
                if let Some((_, hi, value)) = hit {
                    if i <= *hi {
                        return Some(*value);
                    }
                }
            }
        }
        // The bands that start at or below `x` come first; bands do not
        // overlap, so only the last of them can hold it.
        let starts_below = |b: &Band| {
            b.lo.is_none_or(|(lo, incl)| {
                let o = decimal::cmp(&lo, x);
                o.is_lt() || (incl && o.is_eq())
            })
        };
        let n = self.bands.partition_point(starts_below);
        let hit = n
            .checked_sub(1)
            .and_then(|i| self.bands.get(i))
            .filter(|b| {
                b.hi.is_none_or(|(hi, incl)| {
                    let o = decimal::cmp(x, &hi);
                    o.is_lt() || (incl && o.is_eq())
                })
            });
        hit.map(|b| b.value).or(self.default)
    }

    /// Whether the table is read by key (a discrete field) rather than by
    /// band.
    pub(crate) fn keyed(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The value for a key: `Some(lit)`, or `None` for a text the rules
    /// never mention; `None` when no row has it and there is no default.
    #[inline]
    pub(crate) fn find_key(&self, key: Option<&Lit>) -> Option<Decimal> {
        key.and_then(|k| self.keys.iter().find(|(l, _)| l == k).map(|(_, v)| *v))
            .or(self.default)
    }
}

/// Each band as the closed range of whole numbers it holds, when every
/// end is a whole number that fits (`None` otherwise): `(3, 7)` exclusive
/// is 4 to 6. The order stays the bands' order, which sorts the lower
/// ends of the ranges too.
fn whole_ranges(bands: &[Band]) -> Option<Vec<(i64, i64, Decimal)>> {
    let end = |e: Option<(Decimal, bool)>, open: i64, step: i64| -> Option<i64> {
        match e {
            None => Some(open),
            Some((d, included)) => {
                let n = decimal::to_i64(d)?;
                if included {
                    Some(n)
                } else {
                    n.checked_add(step)
                }
            }
        }
    };
    bands
        .iter()
        .map(|b| Some((end(b.lo, i64::MIN, 1)?, end(b.hi, i64::MAX, -1)?, b.value)))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
mod tests {
    use super::*;

    /// An end of a band: the number, and whether it is included.
    type End = Option<(i64, bool)>;

    fn bands(rows: &[(End, End, i64)]) -> Bands {
        let d = |p: Option<(i64, bool)>| p.map(|(x, i)| (Decimal::from(x), i));
        let bands: Vec<Band> = rows
            .iter()
            .map(|(lo, hi, v)| Band {
                lo: d(*lo),
                hi: d(*hi),
                value: Decimal::from(*v),
            })
            .collect();
        Bands {
            ints: whole_ranges(&bands),
            bands,
            keys: Vec::new(),
            default: None,
        }
    }

    /// The whole-number path finds what the exact path finds, for every
    /// kind of end, a default and values between the bands.
    #[test]
    fn whole_numbers_agree_with_the_exact_search() {
        let rows = [
            (None, Some((-3, false)), 1),
            (Some((-3, true)), Some((0, true)), 2),
            (Some((0, false)), Some((2, false)), 3),
            (Some((2, true)), Some((2, true)), 4),
            (Some((5, false)), Some((9, true)), 5),
            (Some((12, true)), None, 6),
        ];
        let mut fast = bands(&rows);
        assert!(fast.ints.is_some());
        for default in [None, Some(Decimal::from(7))] {
            fast.default = default;
            let mut exact = fast.clone();
            exact.ints = None;
            for x in -10..20 {
                let x = Decimal::from(x);
                assert_eq!(fast.find(&x), exact.find(&x), "at {x}");
            }
            for x in ["2.5", "-3.5", "11.9"] {
                let x: Decimal = x.parse().unwrap();
                assert_eq!(fast.find(&x), exact.find(&x), "at {x}");
            }
        }
        // An end that is not a whole number: no whole-number ranges.
        let half = Band {
            lo: Some(("0.5".parse().unwrap(), true)),
            hi: None,
            value: Decimal::ONE,
        };
        assert!(whole_ranges(&[half]).is_none());
    }

    #[test]
    fn finds_the_band_that_holds_a_value() {
        // LACE length of stay: 0, 1, 2, 3, 4 to 6, 7 to 13, 14 or more.
        let mut rows: Vec<_> = (0..4)
            .map(|k| (Some((k, true)), Some((k, true)), k))
            .collect();
        rows.push((Some((4, true)), Some((6, true)), 4));
        rows.push((Some((7, true)), Some((13, true)), 5));
        rows.push((Some((14, true)), None, 7));
        let b = bands(&rows);
        let find = |x: &str| b.find(&x.parse().unwrap()).map(|d| d.to_string());
        assert_eq!(find("0").as_deref(), Some("0"));
        assert_eq!(find("5").as_deref(), Some("4"));
        assert_eq!(find("13").as_deref(), Some("5"));
        assert_eq!(find("400").as_deref(), Some("7"));
        assert_eq!(find("-1"), None);
        assert_eq!(find("3.5"), None);
    }

    #[test]
    fn open_ends_and_a_default() {
        let mut b = bands(&[(None, Some((0, false)), 1), (Some((0, false)), None, 2)]);
        b.default = Some(Decimal::from(9));
        let find = |x: i64| b.find(&Decimal::from(x)).map(|d| d.to_string());
        assert_eq!(find(-5).as_deref(), Some("1"));
        assert_eq!(find(0).as_deref(), Some("9"));
        assert_eq!(find(1).as_deref(), Some("2"));
    }
}
