//! Clients over time: the fields that place a client in time relative to
//! the evaluation date, generated together so that they agree.
//!
//! A schema that has any of [`NAMES`] (with the expected type) gets
//! clients who have an age or a birth date (or both), an enrollment or
//! none (an intake), dates of enrollment, last contact and last assessment
//! that follow the program's rhythm with a tail beyond it, a recent
//! hospital stay and a comorbidity index, and diagnoses at rates like a
//! case-management caseload's. Every date is on or before the evaluation
//! date. A schema without any of these fields is generated as before,
//! draw for draw.
//!
//! Each client is drawn whole before its fields are written (the same
//! draws for every client, whatever the schema holds), so the fields
//! agree whatever their order in the schema. A program's rhythm (its
//! longest contact gap and review interval) is found by asking the rules
//! when their warnings on `last_contact` and `last_assessment` are raised
//! for a client enrolled in it.

use super::Random;
use crate::Engine;
use crate::date::{Unit, between, day_number, from_day_number, show};
use crate::ir::{ExprKind, Field, FieldType, RuleSet};
use serde_json::Value;

/// The fields this module generates, by name.
pub(super) const NAMES: [&str; 9] = [
    "birth_date",
    "current_program",
    "enrolled_since",
    "last_contact",
    "last_assessment",
    "length_of_stay_days",
    "acute_admission",
    "charlson_index",
    "diagnoses",
];

/// The chance that a field of a client over time is given, in percent: the
/// generator's usual rate.
const PRESENT: u64 = super::PRESENT_PERCENT;

/// Of the clients whose age is known: the share given only a birth date,
/// and the share given both, in percent (the rest give only `age`).
const BIRTH_ONLY: u64 = 30;
const BIRTH_AND_AGE: u64 = 10;

/// The oldest age a birth date is given for when the schema does not
/// bound it (`within N years`): older clients give their age only.
const OLDEST: i64 = 130;

/// Of the clients whose `current_program` is given, the share with none
/// (an intake), in percent. With the field absent at the usual rate (and
/// absent meaning none), about a third of the population are intakes.
const INTAKE: u64 = 30;

/// Enrollment length in days: this share (percent) under the minimum stay
/// of 180 days, the rest from 180 days to three years.
const RECENT_ENROLLMENT: u64 = 30;
const LONGEST_ENROLLMENT: i64 = 3 * 365;

/// The share of enrolled clients seen within their program's contact gap
/// and assessed within its review interval, in percent; the rest are
/// overdue, up to [`LATEST_CONTACT`] and [`LATEST_ASSESSMENT`] days.
const CONTACT_ON_TIME: u64 = 85;
const ASSESSMENT_ON_TIME: u64 = 80;
const LATEST_CONTACT: i64 = 120;
const LATEST_ASSESSMENT: i64 = 400;

/// The share of intakes with a contact or assessment on record (from an
/// earlier episode), in percent.
const INTAKE_HISTORY: u64 = 20;

/// A program's rhythm when the rules give none (no `care_rhythm`-like
/// table): the contact gap and review interval in days.
const DEFAULT_RHYTHM: Rhythm = Rhythm {
    contact_gap: 30,
    review: 180,
};

/// Diagnosis codes and how often a client has each, in percent; codes the
/// rules mention and this list does not come at [`OTHER_DIAGNOSIS`].
const DIAGNOSES: [(&str, u64); 13] = [
    ("serious_mental_illness", 30),
    ("substance_use_disorder", 20),
    ("ptsd", 12),
    ("diabetes", 20),
    ("copd", 10),
    ("dementia", 8),
    ("heart_failure", 8),
    ("chronic_kidney_disease", 7),
    ("brain_injury", 4),
    ("developmental_disability", 4),
    ("major_trauma", 3),
    ("parkinsons_disease", 2),
    ("spinal_cord_injury", 2),
];
const OTHER_DIAGNOSIS: u64 = 10;

/// How one field of a client over time is written.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    /// `age`, when the schema also has `birth_date`.
    Age,
    BirthDate,
    CurrentProgram,
    EnrolledSince,
    LastContact,
    LastAssessment,
    /// `length_of_stay_days`, within the field's range.
    LengthOfStay {
        lo: i64,
        hi: i64,
    },
    AcuteAdmission,
    /// `charlson_index`, within the field's range.
    Charlson {
        lo: i64,
        hi: i64,
    },
    /// `diagnoses` (a set of text): each code with its chance, in percent.
    Diagnoses(Vec<(String, u64)>),
}

/// A program's contact gap and review interval, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rhythm {
    pub(super) contact_gap: i64,
    pub(super) review: i64,
}

/// What the schema and the rules say about clients over time.
#[derive(Debug)]
pub(super) struct Schema {
    /// The range of ages drawn: the `age` field's, else 0 to 100.
    ages: (i64, i64),
    has_age: bool,
    /// Clients older than this give their age only: the birth date's
    /// `within N years`, else [`OLDEST`].
    oldest: i64,
    /// The values `current_program` takes for programs, most intensive
    /// first, each with its rhythm; and the value for none, if any.
    programs: Vec<(String, Rhythm)>,
    none: Option<String>,
}

/// One client, drawn before any of its fields is written.
#[derive(Debug)]
pub(super) struct Client {
    /// The age, when known.
    age: Option<i64>,
    give_age: bool,
    give_birth: bool,
    /// Where in its year the birthday falls: a draw mapped onto the
    /// year's days when written.
    birth_offset: u64,
    /// `Some(None)`: none; `Some(Some(i))`: `programs[i]`; `None`: not
    /// given.
    program: Option<Option<usize>>,
    enrolled_days: Option<i64>,
    contact_days: Option<i64>,
    assessment_days: Option<i64>,
}

impl Client {
    fn enrolled(&self) -> Option<usize> {
        self.program.flatten()
    }
}

impl Schema {
    /// The kind of each field (`None`: generated as any other field of
    /// its type), and the schema's facts when any field is a client's
    /// over time; `None` when none is, so the population is as before.
    pub(super) fn new(
        engine: &Engine,
        age_range: Option<(i64, i64)>,
        as_of: i64,
    ) -> (Option<Schema>, Vec<Option<Kind>>) {
        let rules = engine.rules();
        let has = |name: &str, ok: fn(&FieldType) -> bool| {
            rules.fields.iter().any(|f| f.name == name && ok(&f.ty))
        };
        let is_date = |t: &FieldType| *t == FieldType::Date;
        let dated = NAMES.iter().filter(|n| **n != "diagnoses").any(|n| {
            rules
                .fields
                .iter()
                .any(|f| f.name == *n && kind_fits(rules, f))
        });
        if !dated {
            return (None, vec![None; rules.fields.len()]);
        }
        let has_birth = has("birth_date", is_date);
        let kinds = rules
            .fields
            .iter()
            .map(|f| {
                if !kind_fits(rules, f) {
                    return if f.name == "age" && has_birth && age_range.is_some() {
                        Some(Kind::Age)
                    } else {
                        None
                    };
                }
                Some(match f.name.as_str() {
                    "birth_date" => Kind::BirthDate,
                    "current_program" => Kind::CurrentProgram,
                    "enrolled_since" => Kind::EnrolledSince,
                    "last_contact" => Kind::LastContact,
                    "last_assessment" => Kind::LastAssessment,
                    "length_of_stay_days" => {
                        let (lo, hi) = range(f, 0, 365);
                        Kind::LengthOfStay { lo, hi }
                    }
                    "acute_admission" => Kind::AcuteAdmission,
                    "charlson_index" => {
                        let (lo, hi) = range(f, 0, 37);
                        Kind::Charlson { lo, hi }
                    }
                    _ => Kind::Diagnoses(diagnoses(rules)),
                })
            })
            .collect();
        let (programs, none) = programs(engine, as_of);
        let oldest = rules
            .fields
            .iter()
            .find(|f| f.name == "birth_date")
            .and_then(|f| f.dates.within_years)
            .map_or(OLDEST, i64::from);
        let schema = Schema {
            ages: age_range.unwrap_or((0, 100)),
            has_age: age_range.is_some(),
            oldest,
            programs,
            none,
        };
        (Some(schema), kinds)
    }

    /// Draws a client: the same number of draws whatever the schema holds.
    pub(super) fn client(&self, r: &mut Random) -> Client {
        let known = r.chance(PRESENT);
        let age = r.between(self.ages.0, self.ages.1);
        let form = r.below(100);
        let birth_offset = r.below(1 << 32);
        let (give_age, give_birth) = match (known, self.has_age) {
            (false, _) => (false, false),
            (true, false) => (false, true),
            (true, true) if age > self.oldest => (true, false),
            (true, true) if form < BIRTH_ONLY => (false, true),
            (true, true) if form < BIRTH_ONLY + BIRTH_AND_AGE => (true, true),
            (true, true) => (true, false),
        };

        let given = r.chance(PRESENT);
        let intake = r.chance(INTAKE) || self.programs.is_empty();
        let pick = self.weighted(r);
        let program = given.then_some(if intake { None } else { Some(pick) });
        let program = match (program, &self.none) {
            // No value for none: an intake leaves the field out.
            (Some(None), None) => None,
            (p, _) => p,
        };

        let rhythm = program
            .flatten()
            .and_then(|i| self.programs.get(i))
            .map(|(_, r)| *r);
        let enrolled = [r.chance(PRESENT), r.chance(RECENT_ENROLLMENT)];
        let enrolled_days = [r.between(0, 179), r.between(180, LONGEST_ENROLLMENT)];
        let contact = [
            r.chance(PRESENT),
            r.chance(CONTACT_ON_TIME),
            r.chance(INTAKE_HISTORY),
        ];
        let contact_days = r.below(1 << 32);
        let assessment = [
            r.chance(PRESENT),
            r.chance(ASSESSMENT_ON_TIME),
            r.chance(INTAKE_HISTORY),
        ];
        let assessment_days = r.below(1 << 32);
        let (enrolled_days, contact_days, assessment_days) = match rhythm {
            Some(rhythm) => (
                enrolled[0].then_some(if enrolled[1] {
                    enrolled_days[0]
                } else {
                    enrolled_days[1]
                }),
                contact[0]
                    .then(|| late(contact[1], rhythm.contact_gap, LATEST_CONTACT, contact_days)),
                assessment[0].then(|| {
                    late(
                        assessment[1],
                        rhythm.review,
                        LATEST_ASSESSMENT,
                        assessment_days,
                    )
                }),
            ),
            None => (
                None,
                contact[2].then(|| spread(contact_days, 0, LATEST_ASSESSMENT)),
                assessment[2].then(|| spread(assessment_days, 0, LATEST_ASSESSMENT)),
            ),
        };
        Client {
            age: known.then_some(age),
            give_age,
            give_birth,
            birth_offset,
            program,
            enrolled_days,
            contact_days,
            assessment_days,
        }
    }

    /// A program, most intensive first, each weighted by its place from
    /// the top (the least intensive most likely).
    fn weighted(&self, r: &mut Random) -> usize {
        let n = self.programs.len() as u64;
        let mut x = r.below(n * (n + 1) / 2);
        for i in 0..n {
            if x <= i {
                return i as usize;
            }
            x -= i + 1;
        }
        0
    }

    /// The value of one field for a client; `None` leaves it out.
    pub(super) fn value(
        &self,
        kind: &Kind,
        c: &Client,
        r: &mut Random,
        as_of: i64,
    ) -> Option<Value> {
        let date = |days: i64| from_day_number(as_of - days).map(|d| Value::String(show(d)));
        match kind {
            Kind::Age => c.give_age.then_some(c.age?).map(Value::from),
            Kind::BirthDate => {
                if !c.give_birth {
                    return None;
                }
                birth_date(c.age?, c.birth_offset, as_of).map(|d| Value::String(show(d)))
            }
            Kind::CurrentProgram => Some(Value::String(match c.program? {
                None => self.none.clone()?,
                Some(i) => self.programs.get(i)?.0.clone(),
            })),
            Kind::EnrolledSince => {
                c.enrolled()?;
                date(c.enrolled_days?)
            }
            Kind::LastContact => date(c.contact_days?),
            Kind::LastAssessment => date(c.assessment_days?),
            Kind::LengthOfStay { lo, hi } => {
                if !r.chance(PRESENT) {
                    return None;
                }
                let band = r.below(100);
                let days = match band {
                    0..25 => 0,
                    25..70 => r.between(1, 6),
                    70..90 => r.between(7, 13),
                    _ => r.between(14, 45),
                };
                Some(Value::from(days.clamp(*lo, *hi)))
            }
            Kind::AcuteAdmission => r.chance(PRESENT).then(|| Value::Bool(r.chance(55))),
            Kind::Charlson { lo, hi } => {
                if !r.chance(PRESENT) {
                    return None;
                }
                let band = r.below(100);
                let index = match band {
                    0..35 => 0,
                    35..55 => 1,
                    55..70 => 2,
                    70..80 => 3,
                    _ => r.between(4, 8),
                };
                Some(Value::from(index.clamp(*lo, *hi)))
            }
            Kind::Diagnoses(codes) => {
                if !r.chance(PRESENT) {
                    return None;
                }
                let mut set: Vec<Value> = codes
                    .iter()
                    .filter(|(_, p)| r.chance(*p))
                    .map(|(s, _)| Value::String(s.clone()))
                    .collect();
                if r.chance(super::STRAY_TEXT_PERCENT) {
                    set.push(Value::String(r.word()));
                }
                Some(Value::Array(set))
            }
        }
    }
}

/// Days before the evaluation date: within `rhythm` when `on_time`, else
/// beyond it up to `latest` (or just past it, for a rhythm beyond that).
fn late(on_time: bool, rhythm: i64, latest: i64, draw: u64) -> i64 {
    let rhythm = rhythm.max(0);
    if on_time {
        spread(draw, 0, rhythm)
    } else {
        spread(draw, rhythm + 1, latest.max(rhythm + 1))
    }
}

/// A draw from `0..2^32` mapped onto `lo..=hi`.
fn spread(draw: u64, lo: i64, hi: i64) -> i64 {
    let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
    let at = (u128::from(draw % (1 << 32)) * u128::from(span)) >> 32;
    lo + i64::try_from(at).unwrap_or(0)
}

/// A birth date that makes the client `age` whole years old on the
/// evaluation date (by the rule that one born on 29 February ages on
/// 1 March in a common year): a day after the anniversary `age + 1` years
/// ago, up to the one `age` years ago, chosen by `offset`.
fn birth_date(age: i64, offset: u64, as_of: i64) -> Option<crate::date::Date> {
    let today = from_day_number(as_of)?;
    let anniversary = |years: i64| -> Option<i64> {
        let year = i16::try_from(i64::from(today.year()) - years).ok()?;
        let day = crate::date::Date::new(year, today.month(), today.day())
            .or_else(|_| crate::date::Date::new(year, today.month(), today.day() - 1))
            .ok()?;
        Some(day_number(day))
    };
    let (lo, hi) = (anniversary(age + 1)? + 1, anniversary(age)?);
    let day = spread(offset, lo, hi);
    // The rule is exact; the check keeps a calendar corner from ever
    // writing a birth date that says another age.
    let day = if between(Unit::Years, day, as_of) == Some(age) {
        day
    } else {
        hi
    };
    from_day_number(day)
}

/// Whether a field named like a client's over time has the type this
/// module writes for it.
fn kind_fits(rules: &RuleSet, f: &Field) -> bool {
    match f.name.as_str() {
        "birth_date" | "enrolled_since" | "last_contact" | "last_assessment" => {
            f.ty == FieldType::Date
        }
        "current_program" => match &f.ty {
            FieldType::Program | FieldType::Text => true,
            FieldType::Enum(values) => values
                .iter()
                .any(|v| v == "none" || rules.programs.iter().any(|p| p.meta.id == *v)),
            _ => false,
        },
        "length_of_stay_days" | "charlson_index" => f.ty == FieldType::Integer,
        "acute_admission" => f.ty == FieldType::Boolean,
        "diagnoses" => f.ty == FieldType::SetOfText,
        _ => false,
    }
}

/// A whole-number field's range, each open end given.
fn range(f: &Field, lo: i64, hi: i64) -> (i64, i64) {
    use rust_decimal::prelude::ToPrimitive;
    let lo = f.min.and_then(|d| d.ceil().to_i64()).unwrap_or(lo);
    let hi = f.max.and_then(|d| d.floor().to_i64()).unwrap_or(hi).max(lo);
    (lo, hi)
}

/// The codes the rules mention, each with its chance.
fn diagnoses(rules: &RuleSet) -> Vec<(String, u64)> {
    rules
        .symbols
        .iter()
        .map(|s| {
            let p = DIAGNOSES
                .iter()
                .find(|(code, _)| code == s)
                .map_or(OTHER_DIAGNOSIS, |(_, p)| *p);
            (s.clone(), p)
        })
        .collect()
}

/// The values `current_program` takes: the programs, most intensive first
/// (intensity, then rule order: the recommendation order), each with its
/// rhythm; and the value that means none.
fn programs(engine: &Engine, as_of: i64) -> (Vec<(String, Rhythm)>, Option<String>) {
    let rules = engine.rules();
    let Some(field) = rules.fields.iter().find(|f| f.name == "current_program") else {
        return (Vec::new(), None);
    };
    let mut order: Vec<usize> = (0..rules.programs.len()).collect();
    order.sort_by_key(|&i| rules.programs.get(i).map_or(0, |p| -p.intensity));
    let allowed = |id: &str| match &field.ty {
        FieldType::Enum(values) => values.iter().any(|v| v == id),
        _ => true,
    };
    let date = |name: &str| {
        rules
            .fields
            .iter()
            .position(|f| f.name == name && f.ty == FieldType::Date)
    };
    let slots = Slots {
        last_contact: date("last_contact"),
        last_assessment: date("last_assessment"),
    };
    let programs = order
        .into_iter()
        .filter_map(|i| {
            let id = &rules.programs.get(i)?.meta.id;
            allowed(id).then(|| (id.clone(), rhythm(engine, &slots, id, as_of)))
        })
        .collect();
    (programs, allowed("none").then(|| "none".to_string()))
}

/// Each program's rhythm as the rules have it, found by asking them: for
/// a client enrolled in the program with nothing else known but one date
/// (`last_contact`, then `last_assessment`), the most days before the
/// evaluation date at which no warning that reads that date is raised.
/// `None` for a date no warning raises on within [`PROBE_DAYS`] (or one
/// raised already on the day itself): the rules give no rhythm for it.
fn rhythm(engine: &Engine, slots: &Slots, program: &str, as_of: i64) -> Rhythm {
    let rules = engine.rules();
    let raised = |field: &str, slot: usize, days: i64| -> Option<bool> {
        let id = rules.id_field.and_then(|i| rules.fields.get(i))?;
        let date = show(from_day_number(as_of - days)?);
        let profile = serde_json::json!({
            id.name.as_str(): "probe",
            "current_program": program,
            field: date,
        });
        let mut profile = engine.profile(&profile).ok()?;
        profile.as_of = from_day_number(as_of)?;
        let d = engine.decide(&profile, None).ok()?;
        Some(
            rules
                .warnings
                .iter()
                .zip(&d.warnings)
                .any(|(w, t)| *t == crate::Truth::True && reads(&w.when, slot)),
        )
    };
    // The last day on time: raised is false up to it and true after it.
    let last_on_time = |field: &str, slot: Option<usize>| -> Option<i64> {
        let slot = slot?;
        if raised(field, slot, 0)? || !raised(field, slot, PROBE_DAYS)? {
            return None;
        }
        let (mut on_time, mut late) = (0, PROBE_DAYS);
        while late - on_time > 1 {
            let mid = (on_time + late) / 2;
            if raised(field, slot, mid)? {
                late = mid;
            } else {
                on_time = mid;
            }
        }
        Some(on_time)
    };
    Rhythm {
        contact_gap: last_on_time("last_contact", slots.last_contact)
            .unwrap_or(DEFAULT_RHYTHM.contact_gap),
        review: last_on_time("last_assessment", slots.last_assessment)
            .unwrap_or(DEFAULT_RHYTHM.review),
    }
}

/// How far back the rhythm is looked for, in days.
const PROBE_DAYS: i64 = 1000;

/// The date fields a rhythm is found for.
struct Slots {
    last_contact: Option<usize>,
    last_assessment: Option<usize>,
}

/// Whether an expression reads a field.
fn reads(e: &crate::ir::Expr, slot: usize) -> bool {
    let mut found = false;
    e.visit(&mut |x| found |= matches!(x.kind, ExprKind::Field(s) if s == slot));
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_birth_date_gives_the_age_drawn() {
        for as_of in [
            date(2026, 3, 1),
            date(2024, 2, 29),
            date(2025, 2, 28),
            date(2026, 12, 31),
        ] {
            let today = day_number(as_of);
            for age in [0, 1, 17, 64, 65, 129, 130] {
                for offset in [0, 1 << 31, (1 << 32) - 1, 12_345_678] {
                    let born = day_number(birth_date(age, offset, today).unwrap());
                    assert!(born <= today);
                    assert_eq!(
                        between(Unit::Years, born, today),
                        Some(age),
                        "{as_of} {age}"
                    );
                }
            }
        }
    }

    #[test]
    fn spread_covers_the_range_and_no_more() {
        assert_eq!(spread(0, 3, 9), 3);
        assert_eq!(spread((1 << 32) - 1, 3, 9), 9);
        assert_eq!(spread(7, 5, 5), 5);
        assert_eq!(late(false, 400, 120, 0), 401);
    }
}
