//! Calendar dates as day numbers: whole days since 1970-01-01.
//!
//! At run time a date is a `Val::Num` holding its day number, so the plan's
//! number machinery compares dates with no new node; only parsing and
//! display convert between day numbers and [`jiff::civil::Date`]. The
//! conversion is the proleptic Gregorian calendar (Howard Hinnant's
//! `days_from_civil`), in integer arithmetic that cannot fail for any date
//! jiff can hold (years -9999 to 9999).

pub use jiff::civil::Date;
use rust_decimal::Decimal;

/// A unit of a duration between two dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Whole days.
    Days,
    /// Completed months.
    Months,
    /// Completed years.
    Years,
}

impl Unit {
    /// The word the rule language uses for it.
    ///
    /// ```
    /// assert_eq!(careplan::date::Unit::Years.word(), "years");
    /// ```
    pub fn word(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::Months => "months",
            Unit::Years => "years",
        }
    }
}

/// The day number of a date: days since 1970-01-01 (negative before it).
///
/// ```
/// use jiff::civil::date;
/// assert_eq!(careplan::date::day_number(date(1970, 1, 1)), 0);
/// assert_eq!(careplan::date::day_number(date(2000, 3, 1)), 11_017);
/// assert_eq!(careplan::date::day_number(date(1969, 12, 31)), -1);
/// ```
pub fn day_number(d: Date) -> i64 {
    let (y, m, day) = (
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    );
    // Years start in March, so the leap day is the last day of a year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number; `None` outside the years jiff holds
/// (-9999 to 9999).
///
/// ```
/// use jiff::civil::date;
/// assert_eq!(careplan::date::from_day_number(11_017), Some(date(2000, 3, 1)));
/// assert_eq!(careplan::date::from_day_number(i64::MAX), None);
/// ```
pub fn from_day_number(n: i64) -> Option<Date> {
    // Beyond about ±3.65 million days jiff has no date; refusing early also
    // keeps the arithmetic below far from overflow.
    if !(-5_000_000..=5_000_000).contains(&n) {
        return None;
    }
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// The date of a day number held as a decimal (as a `Val::Num` holds it);
/// `None` if it is not a whole day number of a date jiff holds.
pub(crate) fn from_decimal(d: Decimal) -> Option<Date> {
    if !d.fract().is_zero() {
        return None;
    }
    from_day_number(i64::try_from(d.trunc()).ok()?)
}

/// Reads `YYYY-MM-DD`: four digits, two, two, each part a real calendar
/// day. The error says what was wrong, for messages that quote the input.
///
/// ```
/// use jiff::civil::date;
/// assert_eq!(careplan::date::parse("2024-02-29"), Ok(date(2024, 2, 29)));
/// assert!(careplan::date::parse("2023-02-29").unwrap_err().contains("not a day"));
/// assert!(careplan::date::parse("2023-1-5").is_err());
/// assert!(careplan::date::parse("0000-06-01").unwrap_err().contains("0001"));
/// assert!(careplan::date::parse("yesterday").is_err());
/// ```
pub fn parse(s: &str) -> Result<Date, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err("expected a date YYYY-MM-DD".into());
    }
    let part = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<i16>().ok());
    let (Some(y), Some(m), Some(d)) = (part(0..4), part(5..7), part(8..10)) else {
        return Err("expected a date YYYY-MM-DD".into());
    };
    if y < 1 {
        return Err("not a day of the calendar: years run from 0001".into());
    }
    if !(1..=12).contains(&m) {
        return Err(format!("not a day of the calendar: there is no month {m}"));
    }
    let (Ok(m), Ok(d8)) = (i8::try_from(m), i8::try_from(d)) else {
        return Err("not a day of the calendar".into());
    };
    Date::new(y, m, d8).map_err(|_| {
        format!(
            "not a day of the calendar: {} {y} has no day {d}",
            month_name(m)
        )
    })
}

fn month_name(m: i8) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    usize::try_from(m - 1)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("the month")
}

/// A date as `YYYY-MM-DD`.
///
/// ```
/// use jiff::civil::date;
/// assert_eq!(careplan::date::show(date(812, 3, 1)), "0812-03-01");
/// ```
pub fn show(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// A day number as `YYYY-MM-DD`, or the number if it is not a date.
pub(crate) fn show_day(d: Decimal) -> String {
    match from_decimal(d) {
        Some(date) => show(date),
        None => crate::decimal::show(d),
    }
}

/// Serializes a date as `"YYYY-MM-DD"` (jiff's own serde support is not
/// compiled in).
pub(crate) fn serialize<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&show(*d))
}

/// Today in UTC: the default evaluation date.
///
/// ```
/// let today = careplan::date::today();
/// assert!(today.year() >= 2024);
/// ```
pub fn today() -> Date {
    let days = jiff::Timestamp::now().as_second().div_euclid(86_400);
    // The clock is within jiff's range by construction of `Timestamp`.
    from_day_number(days).unwrap_or(Date::ZERO)
}

/// The whole units from `a` to `b` (day numbers), negative when `b` is
/// before `a`. Months and years count completed anniversaries: `B.year -
/// A.year`, less one if `(B.month, B.day) < (A.month, A.day)`; months
/// likewise with `B.day < A.day`. So someone born on 29 February turns a
/// year older on 1 March in a common year, and 31 January to 28 February
/// is 0 months. `None` if either is not a date.
///
/// ```
/// use careplan::date::{between, day_number, Unit};
/// use jiff::civil::date;
/// let (a, b) = (day_number(date(2020, 2, 29)), day_number(date(2021, 2, 28)));
/// assert_eq!(between(Unit::Years, a, b), Some(0));
/// assert_eq!(between(Unit::Years, a, b + 1), Some(1));
/// assert_eq!(between(Unit::Days, b, a), Some(-365));
/// ```
pub fn between(unit: Unit, a: i64, b: i64) -> Option<i64> {
    if unit == Unit::Days {
        // Day numbers of jiff's dates are far from overflowing.
        return b.checked_sub(a);
    }
    if b < a {
        return between(unit, b, a).map(|n| -n);
    }
    let (x, y) = (from_day_number(a)?, from_day_number(b)?);
    let years = i64::from(y.year()) - i64::from(x.year());
    let months = years * 12 + i64::from(y.month()) - i64::from(x.month());
    Some(match unit {
        Unit::Years => years - i64::from((y.month(), y.day()) < (x.month(), x.day())),
        _ => months - i64::from(y.day() < x.day()),
    })
}

/// [`between`] on day numbers held as decimals, the result a decimal.
pub(crate) fn between_decimal(unit: Unit, a: Decimal, b: Decimal) -> Option<Decimal> {
    let whole = |d: Decimal| {
        if d.fract().is_zero() {
            i64::try_from(d.trunc()).ok()
        } else {
            None
        }
    };
    between(unit, whole(a)?, whole(b)?).map(Decimal::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn day_numbers_round_trip_over_the_calendar() {
        let mut n = day_number(date(-9999, 1, 1));
        let last = day_number(date(9999, 12, 31));
        let mut prev = None;
        while n <= last {
            let d = from_day_number(n);
            assert!(d.is_some(), "{n}");
            if let Some(d) = d {
                assert_eq!(day_number(d), n);
                if let Some(p) = prev {
                    assert_eq!(Some(p), d.yesterday().ok());
                }
                prev = Some(d);
            }
            n += 1;
        }
        assert_eq!(from_day_number(last + 1), None);
    }

    #[test]
    fn months_and_years_count_completed_anniversaries() {
        let n = |y, m, d| day_number(date(y, m, d));
        assert_eq!(
            between(Unit::Months, n(2023, 1, 31), n(2023, 2, 28)),
            Some(0)
        );
        assert_eq!(
            between(Unit::Months, n(2023, 1, 31), n(2023, 3, 1)),
            Some(1)
        );
        assert_eq!(
            between(Unit::Months, n(2023, 1, 15), n(2023, 2, 15)),
            Some(1)
        );
        assert_eq!(
            between(Unit::Months, n(2023, 2, 15), n(2023, 1, 15)),
            Some(-1)
        );
        assert_eq!(
            between(Unit::Years, n(2000, 2, 29), n(2001, 2, 28)),
            Some(0)
        );
        assert_eq!(between(Unit::Years, n(2000, 2, 29), n(2001, 3, 1)), Some(1));
        assert_eq!(
            between(Unit::Years, n(2000, 2, 29), n(2004, 2, 29)),
            Some(4)
        );
        assert_eq!(between(Unit::Years, n(1960, 5, 1), n(2025, 5, 1)), Some(65));
        assert_eq!(
            between(Unit::Years, n(1960, 5, 1), n(2025, 4, 30)),
            Some(64)
        );
        assert_eq!(
            between(Unit::Years, n(2025, 5, 1), n(1960, 5, 1)),
            Some(-65)
        );
        assert_eq!(between(Unit::Days, n(2024, 2, 28), n(2024, 3, 1)), Some(2));
    }

    #[test]
    fn parsing_refuses_what_is_not_a_calendar_day() {
        for bad in [
            "2023-02-30",
            "2023-13-01",
            "2023-00-10",
            "2023-04-31",
            "yesterday",
            "2023-1-01",
            "20230101",
            "2023-01-01T00:00",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse("2024-02-29"), Ok(date(2024, 2, 29)));
        assert_eq!(show(date(2024, 2, 9)), "2024-02-09");
    }
}
