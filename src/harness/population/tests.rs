//! The generator's tests: the stream, ranges and thresholds, and clients
//! over time on a schema written for them.

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

#[test]
fn the_reference_rhythm_is_read_from_its_care_rhythm_table() {
    // The reference policy gives each program its contact gap in a table
    // on `current_program`, read by `disengagement`: 7 days in assertive
    // community treatment, 60 in community care case management.
    let engine = crate::reference().unwrap();
    let mut g = Generator::dated(&engine, 11, as_of());
    let population: Vec<Value> = (0..6000).map(|i| g.profile(i)).collect();
    for (program, gap) in [
        ("assertive_community_treatment", 7),
        ("community_care_case_management", 60),
    ] {
        let days: Vec<i64> = population
            .iter()
            .filter(|p| p.get("current_program").and_then(Value::as_str) == Some(program))
            .filter_map(|p| days_before(p, "last_contact"))
            .collect();
        assert!(days.len() > 50, "{program}: {}", days.len());
        let on_time = days.iter().filter(|d| **d <= gap).count();
        assert!(
            on_time * 100 > days.len() * 75 && on_time < days.len(),
            "{program}: {on_time} of {}",
            days.len()
        );
    }
}
