//! Dates and the evaluation date: date fields, `today`, durations, date
//! comparisons and dated values, through both evaluators.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::date::{self, Date};
use careplan::{Engine, EvalError, Profile, Truth};
use serde_json::{Value, json};

const RULES: &str = r#"schema {
  id: text
  birth_date: date "date of birth"
  start: date
  income: decimal
}

define age {
  value: years since birth_date
}

warning senior {
  severity: info
  when age >= 65
  message: "senior"
}

warning months_in {
  severity: info
  when months between start and today >= 1
  message: "a month in"
}

warning started {
  severity: info
  when days since start >= 0 and start <= today
  message: "started"
}

warning after_cutoff {
  severity: info
  when start > 2026-01-15
  message: "after the cutoff"
}
"#;

/// A dated parameter, and a warning that reads it.
const DATED: &str = r#"
parameter guideline "poverty guideline" {
  from 2025-01-15: 15_650
  from 2026-01-15: 15_960
}

warning poor {
  severity: info
  when income <= guideline
  message: "below the guideline"
}
"#;

fn load(text: &str) -> Engine {
    match careplan::load_sources(&[("d.rules", text)], &Default::default()) {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    }
}

fn engine() -> Engine {
    load(RULES)
}

fn dated() -> Engine {
    load(&format!("{RULES}{DATED}"))
}

fn day(s: &str) -> Date {
    match date::parse(s) {
        Ok(d) => d,
        Err(e) => panic!("{s}: {e}"),
    }
}

fn profile(engine: &Engine, v: &Value, as_of: &str) -> Profile {
    let mut p = match engine.profile(v) {
        Ok(p) => p,
        Err(e) => panic!("{v}: {e}"),
    };
    p.as_of = day(as_of);
    p
}

/// The named warning's truth, from the plan; the tree walker must agree.
fn warned(engine: &Engine, v: Value, as_of: &str, id: &str) -> Result<Truth, EvalError> {
    let p = profile(engine, &v, as_of);
    let i = engine
        .warnings()
        .position(|w| w.id() == id)
        .unwrap_or(usize::MAX);
    let plan = engine.decide(&p, None);
    let walker = engine.decide_walking(&p, None);
    assert_eq!(
        plan, walker,
        "plan and walker disagree on {v} as of {as_of}"
    );
    plan.map(|d| d.warnings.get(i).copied().unwrap_or(Truth::Unknown))
}

fn truth(engine: &Engine, v: Value, as_of: &str, id: &str) -> Truth {
    match warned(engine, v, as_of, id) {
        Ok(t) => t,
        Err(e) => panic!("{id}: {e}"),
    }
}

#[test]
fn bad_dates_are_input_errors_naming_the_field_in_both_readers() {
    let e = engine();
    for bad in [
        json!("2023-02-30"),
        json!("2023-13-01"),
        json!("yesterday"),
        json!(20230101),
        json!("2023-1-01"),
    ] {
        let v = json!({"birth_date": bad});
        let from_value = e.profile(&v);
        let from_bytes = e.profile_from_slice(v.to_string().as_bytes());
        assert_eq!(from_value, from_bytes, "{v}");
        match from_value {
            Err(err) => {
                assert_eq!(err.field, "birth_date");
                assert_eq!(
                    err.message,
                    format!("expected a date YYYY-MM-DD, found {bad}")
                );
            }
            Ok(_) => panic!("{v} was accepted"),
        }
    }
    let ok = json!({"birth_date": "2024-02-29"});
    assert_eq!(
        e.profile(&ok),
        e.profile_from_slice(ok.to_string().as_bytes())
    );
    assert!(e.profile(&ok).is_ok());
}

#[test]
fn born_on_29_february_a_year_older_on_1_march_in_a_common_year() {
    let e = engine();
    let p = json!({"birth_date": "1960-02-29"});
    assert_eq!(truth(&e, p.clone(), "2025-02-28", "senior"), Truth::False);
    assert_eq!(truth(&e, p.clone(), "2025-03-01", "senior"), Truth::True);
    // In a leap year, on the day itself.
    assert_eq!(truth(&e, p.clone(), "2024-02-28", "senior"), Truth::False);
    assert_eq!(truth(&e, p, "2024-02-29", "senior"), Truth::False);
    let q = json!({"birth_date": "1959-02-28"});
    assert_eq!(truth(&e, q, "2024-02-28", "senior"), Truth::True);
}

#[test]
fn a_month_is_completed_only_on_the_same_day_of_a_later_month() {
    let e = engine();
    let p = json!({"start": "2023-01-31"});
    assert_eq!(
        truth(&e, p.clone(), "2023-02-28", "months_in"),
        Truth::False
    );
    assert_eq!(truth(&e, p.clone(), "2023-03-01", "months_in"), Truth::True);
    let q = json!({"start": "2023-01-15"});
    assert_eq!(
        truth(&e, q.clone(), "2023-02-14", "months_in"),
        Truth::False
    );
    assert_eq!(truth(&e, q, "2023-02-15", "months_in"), Truth::True);
}

#[test]
fn since_counts_zero_on_the_day_itself_and_is_negative_before() {
    let e = engine();
    let p = json!({"start": "2026-03-01"});
    assert_eq!(truth(&e, p.clone(), "2026-03-01", "started"), Truth::True);
    assert_eq!(truth(&e, p.clone(), "2026-02-28", "started"), Truth::False);
    let born = json!({"birth_date": "1961-03-01"});
    assert_eq!(
        truth(&e, born.clone(), "2026-02-28", "senior"),
        Truth::False
    );
    assert_eq!(truth(&e, born, "2026-03-01", "senior"), Truth::True);
}

#[test]
fn an_absent_date_is_unknown_not_false() {
    let e = engine();
    assert_eq!(truth(&e, json!({}), "2026-03-01", "senior"), Truth::Unknown);
    assert_eq!(
        truth(&e, json!({}), "2026-03-01", "started"),
        Truth::Unknown
    );
    let p = profile(&e, &json!({"id": "a"}), "2026-03-01");
    let report = e.evaluate(&p, None).map_err(|e| e.to_string());
    let Ok(report) = report else {
        panic!("{report:?}")
    };
    let senior = report.undetermined.iter().find(|u| u.id == "senior");
    assert_eq!(senior.map(|u| u.missing.clone()), Some(vec!["birth_date"]));
}

#[test]
fn date_literals_compare_with_date_fields() {
    let e = engine();
    let p = json!({"start": "2026-01-16"});
    assert_eq!(truth(&e, p, "2026-03-01", "after_cutoff"), Truth::True);
    let q = json!({"start": "2026-01-15"});
    assert_eq!(truth(&e, q, "2026-03-01", "after_cutoff"), Truth::False);
}

#[test]
fn a_dated_parameter_switches_on_its_date() {
    let e = dated();
    // 15_800 is above the 2025 figure and below the 2026 one.
    let p = json!({"income": 15_800});
    assert_eq!(truth(&e, p.clone(), "2026-01-14", "poor"), Truth::False);
    assert_eq!(truth(&e, p.clone(), "2026-01-15", "poor"), Truth::True);
    assert_eq!(truth(&e, p, "2025-01-15", "poor"), Truth::False);
}

#[test]
fn before_the_first_date_is_an_input_error_naming_the_parameter() {
    let e = dated();
    let err = warned(&e, json!({"income": 1}), "2019-03-01", "poor");
    match err {
        Err(EvalError::Input(i)) => {
            assert_eq!(i.field, "guideline");
            assert_eq!(
                i.message,
                "no value of guideline is in force on 2019-03-01; the earliest is from 2025-01-15"
            );
        }
        other => panic!("{other:?}"),
    }
    // On the first date itself, the first value is in force.
    assert_eq!(
        truth(&e, json!({"income": 1}), "2025-01-15", "poor"),
        Truth::True
    );
}

/// Parameters are folded into per-thread constants once per plan; a dated
/// one must follow the evaluation date on the same thread.
#[test]
fn two_evaluation_dates_on_one_thread_see_their_own_dated_values() {
    let e = dated();
    let p = json!({"income": 15_800});
    for _ in 0..3 {
        assert_eq!(truth(&e, p.clone(), "2026-01-15", "poor"), Truth::True);
        assert_eq!(truth(&e, p.clone(), "2025-06-01", "poor"), Truth::False);
    }
    // A parameter computed from a dated one follows it too.
    let derived = format!(
        "{RULES}{DATED}parameter twice {{\n  value: guideline * 2\n}}\n\
         warning under_twice {{\n  severity: info\n  when income <= twice\n  message: \"m\"\n}}\n"
    );
    let e = load(&derived);
    let p = json!({"income": 31_600});
    for _ in 0..3 {
        assert_eq!(
            truth(&e, p.clone(), "2026-02-01", "under_twice"),
            Truth::True
        );
        assert_eq!(
            truth(&e, p.clone(), "2025-02-01", "under_twice"),
            Truth::False
        );
    }
}

#[test]
fn reasons_and_explanations_name_the_dated_value_used() {
    let e = dated();
    let p = profile(&e, &json!({"id": "a", "income": 100}), "2026-02-01");
    let report = match e.evaluate(&p, None) {
        Ok(r) => r,
        Err(err) => panic!("{err}"),
    };
    assert_eq!(date::show(report.as_of), "2026-02-01");
    let json: Value = match serde_json::from_str(&report.to_json()) {
        Ok(v) => v,
        Err(err) => panic!("{err}"),
    };
    assert_eq!(json["as_of"], "2026-02-01");
    let poor = report.warnings.iter().find(|w| w.code == "poor");
    let reason = poor.and_then(|w| w.reason());
    assert_eq!(
        reason,
        Some("income <= guideline (income = 100, guideline (from 2026-01-15) = 15960)")
    );
    let traces = match e.explain(&p, None) {
        Ok(t) => t,
        Err(err) => panic!("{err}"),
    };
    let trace = traces.iter().find(|t| t.id == "poor");
    let values = trace.map(|t| t.conditions[0].trace.values.clone());
    assert_eq!(
        values.and_then(|v| v.get("guideline (from 2026-01-15)").cloned()),
        Some(json!(15960))
    );
}

#[test]
fn reads_date_knows_which_rule_sets_depend_on_the_day() {
    assert!(engine().reads_date());
    assert!(dated().reads_date());
    let plain = "schema {\n  start: date\n}\nwarning w {\n  severity: info\n  \
                 when start < 2026-01-01\n  message: \"m\"\n}\n";
    let e = match careplan::load_sources(&[("p.rules", plain)], &Default::default()) {
        Ok(e) => e,
        Err(err) => panic!("{err}"),
    };
    assert!(!e.reads_date());
}

/// A parameter that reads `today` is no constant: it is computed for each
/// evaluation, not kept in the thread's constants. A dated `define` reads
/// the profile in each of its versions.
#[test]
fn parameters_reading_today_and_dated_defines_follow_the_evaluation_date() {
    let text = format!(
        "{RULES}parameter this_year {{\n  value: years between 2000-01-01 and today\n}}\n\
         define threshold {{\n  from 2025-01-01: income\n  from 2026-01-01: income * 2\n}}\n\
         warning late {{\n  severity: info\n  when this_year >= 26\n  message: \"m\"\n}}\n\
         warning over {{\n  severity: info\n  when threshold > 100\n  message: \"m\"\n}}\n"
    );
    let e = load(&text);
    for _ in 0..2 {
        assert_eq!(truth(&e, json!({}), "2026-01-01", "late"), Truth::True);
        assert_eq!(truth(&e, json!({}), "2025-12-31", "late"), Truth::False);
        assert_eq!(
            truth(&e, json!({"income": 60}), "2026-01-01", "over"),
            Truth::True
        );
        assert_eq!(
            truth(&e, json!({"income": 60}), "2025-12-31", "over"),
            Truth::False
        );
        assert_eq!(truth(&e, json!({}), "2026-01-01", "over"), Truth::Unknown);
    }
}
