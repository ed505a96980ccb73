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
mod tests;
