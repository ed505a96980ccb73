//! Synthetic populations: client profiles generated from a rule set's
//! schema, the same for a seed on every machine and every version.
//!
//! Each field draws from its declared type and range; numeric fields with an
//! open end are centred on the largest number the rules compare them with, so
//! that thresholds are crossed about half the time. The stream is ChaCha8
//! keyed with the seed, and ranges are mapped here rather than by a library's
//! distributions, so a population depends on nothing that may change.
//!
//! A schema with the fields of a client over time (`birth_date`,
//! `current_program`, `enrolled_since`, `last_contact`, …) gets clients
//! placed in time relative to the evaluation date (see [`Generator::dated`]
//! and the `over_time` module); a schema without them is generated as it
//! always was.
//!
//! `careplan bench`, the tests and the benches draw their schema-driven
//! profiles from here.

use crate::Engine;
use crate::ir::{ExprKind, Field, FieldType, Lit, RuleSet};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

mod over_time;

/// The chance that a synthetic profile has an optional field, in percent.
const PRESENT_PERCENT: u64 = 95;

/// The chance that a synthetic set of text gets a string the rules never
/// mention, in percent.
const STRAY_TEXT_PERCENT: u64 = 10;

/// A seeded generator whose output for a seed is fixed: ChaCha8 is a
/// specified stream cipher, and ranges are mapped here rather than by a
/// library's distributions, which may change between versions.
///
/// ```
/// use careplan::harness::population::Random;
/// let (mut a, mut b) = (Random::new(7), Random::new(7));
/// let draws: Vec<u64> = (0..5).map(|_| a.below(1000)).collect();
/// assert_eq!(draws, (0..5).map(|_| b.below(1000)).collect::<Vec<_>>());
/// ```
#[derive(Debug, Clone)]
pub struct Random(ChaCha8Rng);

impl Random {
    /// The stream for a seed: ChaCha8 keyed with the seed's little-endian
    /// bytes.
    ///
    /// ```
    /// use careplan::harness::population::Random;
    /// assert_ne!(Random::new(1).below(1 << 40), Random::new(2).below(1 << 40));
    /// ```
    pub fn new(seed: u64) -> Random {
        let mut key = [0u8; 32];
        for (k, b) in key.iter_mut().zip(seed.to_le_bytes()) {
            *k = b;
        }
        Random(ChaCha8Rng::from_seed(key))
    }

    /// Uniform in `0..n` (0 when `n` is 0), without modulo bias.
    ///
    /// ```
    /// use careplan::harness::population::Random;
    /// let mut r = Random::new(1);
    /// assert!((0..100).all(|_| r.below(6) < 6));
    /// assert_eq!(r.below(0), 0);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let rem = (u64::MAX % n + 1) % n;
        loop {
            let x = self.0.next_u64();
            if x <= u64::MAX - rem {
                return x % n;
            }
        }
    }

    /// Uniform in `lo..=hi` (`lo` when the range is empty).
    ///
    /// ```
    /// use careplan::harness::population::Random;
    /// let mut r = Random::new(1);
    /// assert!((0..100).all(|_| (-3..=3).contains(&r.between(-3, 3))));
    /// assert_eq!(r.between(5, 2), 5);
    /// ```
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        let offset = match u64::try_from(span) {
            Ok(span) => u128::from(self.below(span)),
            Err(_) => u128::from(self.0.next_u64()),
        };
        (i128::from(lo) + offset as i128) as i64
    }

    /// True with the given chance, in percent.
    ///
    /// ```
    /// use careplan::harness::population::Random;
    /// let mut r = Random::new(1);
    /// assert!(!r.chance(0) && r.chance(100));
    /// ```
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, each equally likely; `None` when there are none.
    ///
    /// ```
    /// use careplan::harness::population::Random;
    /// let mut r = Random::new(1);
    /// assert!(["a", "b"].contains(r.pick(&["a", "b"]).unwrap()));
    /// assert_eq!(r.pick::<u8>(&[]), None);
    /// ```
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }

    /// A short string the rules are unlikely to mention.
    ///
    /// ```
    /// use careplan::harness::population::Random;
    /// let word = Random::new(1).word();
    /// assert!((4..=8).contains(&word.len()));
    /// assert!(word.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    /// ```
    pub fn word(&mut self) -> String {
        const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let len = self.between(4, 8);
        (0..len)
            .filter_map(|_| self.pick(LETTERS).map(|&b| char::from(b)))
            .collect()
    }
}

/// How one field's values are made.
#[derive(Debug)]
enum Gen {
    /// `p-000001`, … for the field named `id`.
    Id,
    /// A number with `scale` decimals, uniform in `lo..=hi` units of
    /// `10^-scale`.
    Number {
        lo: i64,
        hi: i64,
        scale: u32,
    },
    Boolean,
    Enum(Vec<String>),
    SetOfEnum(Vec<String>),
    SetOfText,
    Text,
    /// A day from 1930 to 2029, as `YYYY-MM-DD`; `capped`: no later than
    /// the evaluation date (a field `not in the future`, or any date beside
    /// clients over time); `within`: at most that many years before it.
    Date {
        capped: bool,
        within: Option<u32>,
    },
    /// A field of a client over time.
    OverTime(over_time::Kind),
    /// No value fits the declared range: the field is left out.
    Never,
}

#[derive(Debug)]
struct FieldGen {
    name: String,
    required: bool,
    make: Gen,
}

/// Synthetic profiles from a rule set's schema.
///
/// ```
/// use careplan::harness::population::Generator;
/// let engine = careplan::reference().unwrap();
/// let mut generator = Generator::new(&engine, 42);
/// let profiles: Vec<_> = (0..50).map(|i| generator.profile(i)).collect();
/// assert!(profiles.iter().all(|p| engine.profile(p).is_ok()));
/// ```
#[derive(Debug)]
pub struct Generator {
    random: Random,
    fields: Vec<FieldGen>,
    symbols: Vec<String>,
    /// The facts of clients over time, when the schema has their fields.
    over_time: Option<over_time::Schema>,
    /// The evaluation date, as a day number.
    as_of: i64,
}

impl Generator {
    /// A generator for the engine's schema, seeded.
    ///
    /// ```
    /// use careplan::harness::population::Generator;
    /// let engine = careplan::reference().unwrap();
    /// let first = Generator::new(&engine, 1).profile(0);
    /// assert_eq!(first, Generator::new(&engine, 1).profile(0));
    /// assert_eq!(first["id"], "p-000001");
    /// ```
    pub fn new(engine: &Engine, seed: u64) -> Generator {
        Generator::dated(engine, seed, crate::date::today())
    }

    /// A generator for the engine's schema, seeded, placing clients over
    /// time relative to the evaluation date `as_of`: none of their dates
    /// is after it. A schema without the fields of clients over time gets
    /// the same profiles whatever the date.
    ///
    /// ```
    /// use careplan::harness::population::Generator;
    /// use jiff::civil::date;
    /// let engine = careplan::reference().unwrap();
    /// let mut generator = Generator::dated(&engine, 1, date(2026, 3, 1));
    /// let first = generator.profile(0);
    /// assert_eq!(first, Generator::dated(&engine, 1, date(2026, 3, 1)).profile(0));
    /// assert!(engine.profile(&first).is_ok());
    /// ```
    pub fn dated(engine: &Engine, seed: u64, as_of: crate::date::Date) -> Generator {
        let as_of = crate::date::day_number(as_of);
        let rules = engine.rules();
        let thresholds = thresholds(rules);
        let ages = rules
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.name == "age" && f.ty == FieldType::Integer)
            .and_then(|(slot, f)| {
                match number(
                    f,
                    thresholds.get(slot).copied().flatten(),
                    0,
                    Decimal::from(100),
                ) {
                    Gen::Number { lo, hi, .. } => Some((lo, hi)),
                    _ => None,
                }
            });
        let (over_time, mut kinds) = over_time::Schema::new(engine, ages, as_of);
        let fields = rules
            .fields
            .iter()
            .enumerate()
            .map(|(slot, f)| {
                let threshold = thresholds.get(slot).copied().flatten();
                let kind = kinds.get_mut(slot).and_then(Option::take);
                let make = match (kind, &f.ty) {
                    (Some(kind), _) => Gen::OverTime(kind),
                    (None, FieldType::Text) if rules.id_field == Some(slot) => Gen::Id,
                    (None, FieldType::Integer) => number(f, threshold, 0, Decimal::from(100)),
                    (None, FieldType::Decimal) => {
                        let scale = [f.min, f.max, threshold]
                            .into_iter()
                            .flatten()
                            .map(|d| d.scale())
                            .fold(2, u32::max)
                            .min(6);
                        number(f, threshold, scale, Decimal::from(10_000))
                    }
                    (None, FieldType::Boolean) => Gen::Boolean,
                    (None, FieldType::Enum(v)) => Gen::Enum(v.clone()),
                    (None, FieldType::SetOfEnum(v)) => Gen::SetOfEnum(v.clone()),
                    (None, FieldType::SetOfText) => Gen::SetOfText,
                    (None, FieldType::Text) => Gen::Text,
                    (None, FieldType::Date) => Gen::Date {
                        capped: f.dates.not_future || over_time.is_some(),
                        within: f.dates.within_years,
                    },
                    // A program field that is not a client's current
                    // enrollment: none and every program alike.
                    (None, FieldType::Program) => Gen::Enum(
                        std::iter::once("none".to_string())
                            .chain(rules.programs.iter().map(|p| p.meta.id.clone()))
                            .collect(),
                    ),
                };
                FieldGen {
                    name: f.name.clone(),
                    required: f.required,
                    make,
                }
            })
            .collect();
        Generator {
            random: Random::new(seed),
            fields,
            symbols: rules.symbols.iter().cloned().collect(),
            over_time,
            as_of,
        }
    }

    /// The profile at `index` (from 0); profiles must be made in order.
    ///
    /// ```
    /// use careplan::harness::population::Generator;
    /// let engine = careplan::reference().unwrap();
    /// let mut generator = Generator::new(&engine, 1);
    /// generator.profile(0);
    /// let second = generator.profile(1);
    /// assert_eq!(second["id"], "p-000002");
    /// assert_eq!(second, Generator::population(&engine, 1, 2)[1]);
    /// ```
    pub fn profile(&mut self, index: u64) -> Value {
        let mut map = serde_json::Map::new();
        let client = self.over_time.as_ref().map(|t| t.client(&mut self.random));
        for f in &self.fields {
            if let Gen::OverTime(kind) = &f.make {
                let (Some(t), Some(c)) = (&self.over_time, &client) else {
                    continue;
                };
                if let Some(v) = t.value(kind, c, &mut self.random, self.as_of) {
                    map.insert(f.name.clone(), v);
                }
                continue;
            }
            if !f.required && !self.random.chance(PRESENT_PERCENT) {
                continue;
            }
            let r = &mut self.random;
            let v = match &f.make {
                Gen::Id => Value::String(format!("p-{:06}", index + 1)),
                Gen::Number { lo, hi, scale } => {
                    let units = r.between(*lo, *hi);
                    if *scale == 0 {
                        Value::from(units)
                    } else {
                        Decimal::new(units, *scale)
                            .to_string()
                            .parse::<serde_json::Number>()
                            .map_or(Value::Null, Value::Number)
                    }
                }
                Gen::Boolean => Value::Bool(r.chance(50)),
                // 1930-01-01 to 2029-12-31: birth dates and recent events;
                // beside clients over time, no later than the evaluation
                // date.
                Gen::Date { capped, within } => {
                    let last = if *capped {
                        self.as_of.min(21_914)
                    } else {
                        21_914
                    };
                    // N years of 365 days are never more than N whole years.
                    let first = within.map_or(-14_610, |n| {
                        (-14_610_i64).max(self.as_of - 365 * i64::from(n))
                    });
                    crate::date::from_day_number(r.between(first, last))
                        .map_or(Value::Null, |d| Value::String(crate::date::show(d)))
                }
                Gen::Enum(values) => r.pick(values).cloned().map_or(Value::Null, Value::String),
                Gen::SetOfEnum(values) => subset(r, values),
                Gen::SetOfText => {
                    let mut set = subset(r, &self.symbols);
                    if r.chance(STRAY_TEXT_PERCENT) {
                        if let Value::Array(items) = &mut set {
                            items.push(Value::String(r.word()));
                        }
                    }
                    set
                }
                Gen::Text => {
                    // Half the time a string the rules mention, so that
                    // comparisons with text can hold.
                    match (r.chance(50), self.symbols.is_empty()) {
                        (true, false) => r
                            .pick(&self.symbols)
                            .cloned()
                            .map_or(Value::Null, Value::String),
                        _ => Value::String(r.word()),
                    }
                }
                Gen::Never | Gen::OverTime(_) => continue,
            };
            map.insert(f.name.clone(), v);
        }
        Value::Object(map)
    }
}

impl Generator {
    /// The first `n` profiles of the population for `seed`.
    ///
    /// ```
    /// use careplan::harness::population::Generator;
    /// let engine = careplan::reference().unwrap();
    /// let population = Generator::population(&engine, 7, 100);
    /// assert_eq!(population.len(), 100);
    /// assert_eq!(population, Generator::population(&engine, 7, 100)); // fixed by the seed
    /// ```
    pub fn population(engine: &Engine, seed: u64, n: u64) -> Vec<Value> {
        let mut g = Generator::new(engine, seed);
        (0..n).map(|i| g.profile(i)).collect()
    }
}

/// Each value with even odds: every subset equally likely.
fn subset(r: &mut Random, values: &[String]) -> Value {
    Value::Array(
        values
            .iter()
            .filter(|_| r.chance(50))
            .map(|s| Value::String(s.clone()))
            .collect(),
    )
}

/// How a numeric field's values are made: uniform over the declared range.
/// An open end becomes twice the distance to the largest number the rules
/// compare the field with (so `ed_visits_6m >= 4` on a field of at least 0
/// draws from 0 to 8 and the threshold sits in the middle), or `span` past
/// the other end when the rules compare it with none.
fn number(f: &Field, threshold: Option<Decimal>, scale: u32, span: Decimal) -> Gen {
    let open_hi = |lo: Decimal| match threshold {
        Some(t) if t > lo => (t - lo)
            .checked_mul(Decimal::TWO)
            .and_then(|d| d.checked_add(lo)),
        _ => lo.checked_add(span),
    };
    let (lo, hi) = match (f.min, f.max) {
        (Some(lo), Some(hi)) => (Some(lo), Some(hi)),
        (Some(lo), None) => (Some(lo), open_hi(lo)),
        (None, Some(hi)) => (hi.checked_sub(span), Some(hi)),
        (None, None) => (Some(Decimal::ZERO), open_hi(Decimal::ZERO)),
    };
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Gen::Never;
    };
    let (lo, hi) = (units(lo, scale, true), units(hi, scale, false));
    if hi < lo {
        return Gen::Never;
    }
    Gen::Number { lo, hi, scale }
}

/// A bound in units of `10^-scale`, rounded inwards, within ±10^12 so that
/// every scale up to 6 fits an `i64`.
fn units(d: Decimal, scale: u32, up: bool) -> i64 {
    let limit = Decimal::from(1_000_000_000_000_i64);
    let d = d.clamp(-limit, limit);
    let scaled = d
        .checked_mul(Decimal::from(10_i64.pow(scale.min(6))))
        .unwrap_or(d);
    let r = if up { scaled.ceil() } else { scaled.floor() };
    r.to_i64().unwrap_or(0)
}

/// For each field, the largest number the rules compare it with directly
/// (`field >= 4`, `4 <= field`, `field < parameter`), found with the IR's
/// one visitor over every root expression.
fn thresholds(rules: &RuleSet) -> Vec<Option<Decimal>> {
    let mut out: Vec<Option<Decimal>> = vec![None; rules.fields.len()];
    for (_, root) in rules.roots() {
        root.visit(&mut |e| {
            let ExprKind::Cmp(_, a, b) = &e.kind else {
                return;
            };
            for (f, other) in [(a, b), (b, a)] {
                if let (ExprKind::Field(slot), Some(d)) = (&f.kind, constant(rules, other)) {
                    if let Some(t) = out.get_mut(*slot) {
                        *t = Some(t.map_or(d, |t| t.max(d)));
                    }
                }
            }
        });
    }
    out
}

/// A number the rules fix: a literal, or a parameter. Recursion is bounded
/// by the checker's depth limit.
fn constant(rules: &RuleSet, e: &crate::ir::Expr) -> Option<Decimal> {
    match &e.kind {
        ExprKind::Lit(Lit::Num(d)) => Some(*d),
        ExprKind::Neg(x) => constant(rules, x).map(|d| -d),
        ExprKind::Define(i) => rules
            .defines
            .get(*i)
            .filter(|d| d.is_parameter)
            .and_then(|d| constant(rules, &d.value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    #[test]
    fn the_generator_is_fixed_for_a_seed() {
        // ChaCha8 keyed with the seed: if these change, so does every
        // population a user has benchmarked.
        let mut r = Random::new(1);
        let first: Vec<u64> = (0..3).map(|_| r.below(1000)).collect();
        assert_eq!(first, [407, 230, 458]);
        let mut other = Random::new(2);
        let second: Vec<u64> = (0..3).map(|_| other.below(1000)).collect();
        assert_ne!(first, second);
    }

    #[test]
    fn between_stays_in_range() {
        let mut r = Random::new(7);
        for _ in 0..1000 {
            let x = r.between(-3, 3);
            assert!((-3..=3).contains(&x));
        }
        assert_eq!(r.between(5, 5), 5);
        assert_eq!(r.between(5, 4), 5);
        let _ = r.between(i64::MIN, i64::MAX);
    }

    #[test]
    fn thresholds_come_from_comparisons_with_constants() {
        let engine = crate::reference().unwrap();
        let rules = engine.rules();
        let t = thresholds(rules);
        let slot = rules
            .fields
            .iter()
            .position(|f| f.name == "ed_visits_6m")
            .unwrap();
        assert!(
            t[slot].is_some(),
            "the reference rules compare ed_visits_6m with a number"
        );
        // A text field is never compared with a number.
        let id = rules.id_field.unwrap();
        assert_eq!(t[id], None);
    }

    /// A schema with every field of a client over time, and three
    /// programs of falling intensity.
    const OVER_TIME: &str = r#"schema {
  id: text required "id"
  age: integer between 0 and 130 "years"
  birth_date: date not in the future, within 130 years "date of birth"
  diagnoses: set of text "diagnosis codes"
  needs: set of {housing, food, health, financial} "needs"
  current_program: program default none because "enrollment is the case system's own record"
  enrolled_since: date not in the future "start of the enrollment"
  last_contact: date not in the future "last contact"
  last_assessment: date not in the future "last assessment"
  length_of_stay_days: integer at least 0 "days"
  acute_admission: boolean "emergent admission"
  charlson_index: integer at least 0 "Charlson index"
  seen_on: date "any other date"
}
program intensive "Intensive" {
  intensity: 3
  eligible when "serious_mental_illness" in diagnoses and age >= 18
}
program rehabilitation "Rehabilitation" {
  intensity: 2
  eligible when diagnoses has any of {"brain_injury", "major_trauma", "dementia"}
}
program standard "Standard" {
  intensity: 1
  eligible when count(needs) >= 2
}
define contact_gap_days "Contact gap" {
  value: if current_program is intensive then 7 else 60
}
warning disengagement "No contact" {
  severity: warning
  when current_program is not none and days since last_contact > contact_gap_days
  message: "m"
}
"#;

    fn over_time() -> Engine {
        crate::load_sources(&[("r.rules", OVER_TIME)], &Default::default()).unwrap()
    }

    fn as_of() -> crate::date::Date {
        jiff::civil::date(2026, 3, 1)
    }

    fn dated_population(seed: u64, n: u64) -> Vec<Value> {
        let engine = over_time();
        let mut g = Generator::dated(&engine, seed, as_of());
        (0..n).map(|i| g.profile(i)).collect()
    }

    /// Days from a profile's date field to the evaluation date.
    fn days_before(p: &Value, field: &str) -> Option<i64> {
        let d = crate::date::parse(p.get(field)?.as_str()?).unwrap();
        Some(crate::date::day_number(as_of()) - crate::date::day_number(d))
    }

    #[test]
    fn dates_are_never_after_the_evaluation_date() {
        let engine = over_time();
        let population = dated_population(1, 3000);
        let fields = [
            "birth_date",
            "enrolled_since",
            "last_contact",
            "last_assessment",
            "seen_on",
        ];
        for p in &population {
            for f in fields {
                if let Some(days) = days_before(p, f) {
                    assert!(days >= 0, "{f} after the evaluation date: {p}");
                }
            }
            let mut profile = engine.profile(p).unwrap();
            profile.as_of = as_of();
            engine.decide(&profile, None).unwrap();
        }
        // Every date field is given to someone.
        for f in fields {
            assert!(population.iter().any(|p| p.get(f).is_some()), "{f}");
        }
    }

    #[test]
    fn birth_dates_give_ages_like_the_age_field() {
        let population = dated_population(2, 3000);
        let today = crate::date::day_number(as_of());
        let age_of = |p: &Value| {
            let born = crate::date::day_number(crate::date::parse(p["birth_date"].as_str()?).ok()?);
            crate::date::between(crate::date::Unit::Years, born, today)
        };
        let (mut age_only, mut birth_only, mut both, mut neither) = (0, 0, 0, 0);
        let mut ages = Vec::new();
        for p in &population {
            match (p.get("age").and_then(Value::as_i64), age_of(p)) {
                (Some(a), Some(b)) => {
                    assert_eq!(a, b, "{p}");
                    both += 1;
                }
                (Some(a), None) => {
                    age_only += 1;
                    ages.push(a);
                }
                (None, Some(b)) => {
                    birth_only += 1;
                    ages.push(b);
                }
                (None, None) => neither += 1,
            }
        }
        assert!(
            birth_only > 600 && age_only > 1200 && both > 150 && neither > 50,
            "{age_only} {birth_only} {both} {neither}"
        );
        // The same range as the age field: 0 to 130, both halves.
        assert!(ages.iter().all(|a| (0..=130).contains(a)));
        assert!(ages.iter().filter(|a| **a >= 65).count() > 1000);
    }

    #[test]
    fn intakes_and_enrolled_clients_are_mixed() {
        let population = dated_population(3, 4000);
        let program = |p: &Value| {
            p.get("current_program")
                .and_then(Value::as_str)
                .unwrap_or("none")
                .to_string()
        };
        let count = |id: &str| population.iter().filter(|p| program(p) == id).count();
        let (intakes, intensive, rehab, standard) = (
            count("none"),
            count("intensive"),
            count("rehabilitation"),
            count("standard"),
        );
        assert_eq!(intakes + intensive + rehab + standard, 4000);
        // About a third are intakes; the less intensive programs hold more.
        assert!((1000..1700).contains(&intakes), "{intakes}");
        assert!(
            intensive > 0 && intensive < rehab && rehab < standard,
            "{intensive} {rehab} {standard}"
        );
        assert!(
            population
                .iter()
                .any(|p| p.get("current_program").is_none())
        );
        for p in &population {
            let enrolled = program(p) != "none";
            if !enrolled {
                assert!(
                    p.get("enrolled_since").is_none(),
                    "an intake has no enrollment: {p}"
                );
            }
        }
        // Enrollments from under 180 days to about three years; a visible
        // share under the minimum stay.
        let enrolled: Vec<i64> = population
            .iter()
            .filter_map(|p| days_before(p, "enrolled_since"))
            .collect();
        assert!(enrolled.iter().all(|d| (0..=3 * 365).contains(d)));
        let recent = enrolled.iter().filter(|d| **d < 180).count();
        assert!(
            recent * 5 > enrolled.len() && recent * 2 < enrolled.len(),
            "{recent} of {}",
            enrolled.len()
        );
        // Contacts mostly within the rhythm (see below), with a tail.
        let contact: Vec<i64> = population
            .iter()
            .filter(|p| program(p) != "none")
            .filter_map(|p| days_before(p, "last_contact"))
            .collect();
        assert!(contact.iter().all(|d| (0..=120).contains(d)));
        assert!(contact.iter().filter(|d| **d <= 60).count() * 10 > contact.len() * 7);
        assert!(contact.iter().any(|d| *d > 60));
        let assessment: Vec<i64> = population
            .iter()
            .filter_map(|p| days_before(p, "last_assessment"))
            .collect();
        assert!(assessment.iter().all(|d| (0..=400).contains(d)));
        assert!(assessment.iter().any(|d| *d > 180));
    }

    #[test]
    fn contacts_follow_the_rhythm_the_rules_give_each_program() {
        let population = dated_population(7, 4000);
        let contacts = |program: &str| -> Vec<i64> {
            population
                .iter()
                .filter(|p| p.get("current_program").and_then(Value::as_str) == Some(program))
                .filter_map(|p| days_before(p, "last_contact"))
                .collect()
        };
        // The rules raise `disengagement` after 7 days in the intensive
        // program and after 60 in the others: most contacts are within
        // that, a tail beyond it (up to 120 days).
        for (program, gap) in [("intensive", 7), ("rehabilitation", 60), ("standard", 60)] {
            let days = contacts(program);
            let on_time = days.iter().filter(|d| **d <= gap).count();
            assert!(
                on_time * 100 > days.len() * 75,
                "{program}: {on_time} of {}",
                days.len()
            );
            assert!(on_time < days.len(), "{program}: no tail");
            assert!(days.iter().all(|d| (0..=120).contains(d)), "{program}");
        }
        // `last_assessment` has no warning here: the default review of
        // 180 days.
        let reviews: Vec<i64> = population
            .iter()
            .filter(|p| {
                p.get("current_program")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p != "none")
            })
            .filter_map(|p| days_before(p, "last_assessment"))
            .collect();
        assert!(reviews.iter().filter(|d| **d <= 180).count() * 100 > reviews.len() * 70);
    }

    #[test]
    fn lace_inputs_and_diagnoses_come_at_plausible_rates() {
        let population = dated_population(4, 4000);
        let share = |f: &dyn Fn(&Value) -> bool| {
            population.iter().filter(|p| f(p)).count() * 100 / population.len()
        };
        let has = |code: &'static str| {
            move |p: &Value| {
                p["diagnoses"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == code))
            }
        };
        // Codes the rules mention, at their rates (given 95 % of the time).
        assert!((20..40).contains(&share(&has("serious_mental_illness"))));
        assert!((3..14).contains(&share(&has("dementia"))));
        assert!((1..8).contains(&share(&has("major_trauma"))));
        let stay = |p: &Value| p.get("length_of_stay_days").and_then(Value::as_i64);
        assert!((15..35).contains(&share(&|p| stay(p) == Some(0))));
        assert!(share(&|p| stay(p).is_some_and(|d| d >= 14)) > 3);
        let charlson = |p: &Value| p.get("charlson_index").and_then(Value::as_i64);
        assert!(
            population
                .iter()
                .filter_map(charlson)
                .all(|c| (0..=8).contains(&c))
        );
        assert!((25..45).contains(&share(&|p| charlson(p) == Some(0))));
        assert!((40..70).contains(&share(
            &|p| p.get("acute_admission") == Some(&Value::Bool(true))
        )));
        // Some of each field absent, at the usual rate.
        for f in [
            "length_of_stay_days",
            "acute_admission",
            "charlson_index",
            "diagnoses",
        ] {
            assert!((2..9).contains(&share(&|p| p.get(f).is_none())), "{f}");
        }
    }

    #[test]
    fn a_dated_population_is_fixed_by_its_seed_and_date() {
        assert_eq!(dated_population(5, 300), dated_population(5, 300));
        assert_ne!(dated_population(5, 300), dated_population(6, 300));
        let engine = over_time();
        let mut later = Generator::dated(&engine, 5, jiff::civil::date(2027, 3, 1));
        let later: Vec<Value> = (0..300).map(|i| later.profile(i)).collect();
        assert_ne!(later, dated_population(5, 300));
    }

    #[test]
    fn a_schema_without_clients_over_time_ignores_the_date() {
        let rules =
            "schema {\n  id: text required\n  age: integer between 0 and 130\n  seen_on: date\n}\n";
        let engine = crate::load_sources(&[("r.rules", rules)], &Default::default()).unwrap();
        let mut a = Generator::dated(&engine, 9, jiff::civil::date(2000, 1, 1));
        let mut b = Generator::dated(&engine, 9, jiff::civil::date(2030, 1, 1));
        for i in 0..200 {
            assert_eq!(a.profile(i), b.profile(i));
        }
    }

    #[test]
    fn profiles_are_read_by_the_schema_they_come_from() {
        let engine = crate::reference().unwrap();
        let mut g = Generator::new(&engine, 3);
        let mut again = Generator::new(&engine, 3);
        for i in 0..200 {
            let v = g.profile(i);
            assert_eq!(v, again.profile(i));
            engine.profile(&v).unwrap();
        }
    }
}
