//! The plan over time in the language: the `program` field type, programs
//! compared by their order (`is more intensive than`), the `transition`
//! block, and date bounds against the evaluation date. Each test asserts
//! through the plan and the tree walker alike where both decide.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::{Engine, EvalError, Kind, Profile, TransitionKind, Truth};
use serde_json::{Value, json};

/// Three programs (high, middle, low), a transition with a 180-day
/// minimum stay, and warnings that compare programs by order.
const RULES: &str = r#"schema {
  id: text
  current_program: program default none because "no enrollment on record is an intake"
  enrolled_since: date not in the future "start of the current enrollment"
  birth_date: date not in the future, within 130 years "date of birth"
  level: integer
}

parameter minimum_stay_days "Minimum stay before a step down" {
  value: 180
}

program high "High" {
  intensity: 3
  eligible when level >= 3
}

program middle "Middle" {
  intensity: 2
  eligible when level = 2
}

program low "Low" {
  intensity: 1
  eligible when level >= 1 and not eligible(middle)
}

transition "Where the plan goes" {
  current: current_program
  step down when days since enrolled_since >= minimum_stay_days
  source: "test policy"
}

warning above_current "Recommended above the current program" {
  severity: info
  when recommended is more intensive than current_program
  message: "up"
}

warning below_current "Recommended below the current program" {
  severity: info
  when recommended is less intensive than current_program
  message: "down"
}

warning enrolled "Enrolled" {
  severity: info
  when current_program is not none
  message: "enrolled"
}
"#;

fn engine() -> Engine {
    careplan::load_sources(&[("t.rules", RULES)], &Default::default()).unwrap()
}

fn profile(engine: &Engine, v: &Value) -> Profile {
    let mut p = engine.profile(v).unwrap();
    p.as_of = careplan::date::parse("2026-03-01").unwrap();
    p
}

/// The report's transition as JSON and its undetermined entry, after
/// checking that the plan and the walker decide alike.
fn transition(v: Value) -> (Value, Option<Vec<String>>) {
    let engine = engine();
    let p = profile(&engine, &v);
    let plan = engine.decide(&p, None).unwrap();
    let walker = engine.decide_walking(&p, None).unwrap();
    assert_eq!(plan, walker, "plan and walker disagree on {v}");
    let report = engine.evaluate(&p, None).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let und = report
        .undetermined
        .iter()
        .find(|u| u.kind == Kind::Transition)
        .map(|u| u.missing.iter().map(|s| s.to_string()).collect());
    // The decision agrees with the report.
    assert_eq!(
        plan.transition_truth,
        match (&report.transition, &und) {
            (Some(_), _) => Truth::True,
            (None, Some(_)) => Truth::Unknown,
            (None, None) => Truth::False,
        }
    );
    let t = json["transition"].clone();
    let t = if t.is_null() {
        t
    } else {
        json!({"kind": t["kind"], "from": t["from"], "to": t["to"]})
    };
    (t, und)
}

#[test]
fn an_intake_has_no_transition() {
    let (t, und) = transition(json!({"id": "c", "level": 3}));
    assert_eq!(t, Value::Null);
    assert_eq!(und, None);
    let (t, und) = transition(json!({"id": "c", "current_program": "none", "level": 3}));
    assert_eq!(t, Value::Null);
    assert_eq!(und, None);
}

#[test]
fn the_same_program_continues() {
    let (t, _) = transition(json!({"id": "c", "current_program": "middle", "level": 2}));
    assert_eq!(
        t,
        json!({"kind": "continue", "from": "middle", "to": "middle"})
    );
}

#[test]
fn a_more_intensive_program_is_a_step_up_whatever_the_stay() {
    let (t, _) = transition(json!({"id": "c", "current_program": "low", "level": 3,
        "enrolled_since": "2026-02-28"}));
    assert_eq!(t, json!({"kind": "step_up", "from": "low", "to": "high"}));
}

#[test]
fn a_step_down_waits_for_the_minimum_stay() {
    // 2025-09-02 to 2026-03-01 is 180 days; a day later is 179.
    let (t, _) = transition(json!({"id": "c", "current_program": "high", "level": 1,
        "enrolled_since": "2025-09-02"}));
    assert_eq!(t, json!({"kind": "step_down", "from": "high", "to": "low"}));
    let (t, _) = transition(json!({"id": "c", "current_program": "high", "level": 1,
        "enrolled_since": "2025-09-03"}));
    assert_eq!(t, json!({"kind": "continue", "from": "high", "to": "high"}));
}

#[test]
fn no_program_left_is_a_discharge_once_the_stay_is_over() {
    let (t, _) = transition(json!({"id": "c", "current_program": "low", "level": 0,
        "enrolled_since": "2025-01-01"}));
    assert_eq!(t, json!({"kind": "discharge", "from": "low", "to": null}));
    let (t, _) = transition(json!({"id": "c", "current_program": "low", "level": 0,
        "enrolled_since": "2026-01-01"}));
    assert_eq!(t, json!({"kind": "continue", "from": "low", "to": "low"}));
}

#[test]
fn a_step_down_without_its_start_date_is_undetermined() {
    let (t, und) = transition(json!({"id": "c", "current_program": "high", "level": 1}));
    assert_eq!(t, Value::Null);
    assert_eq!(und, Some(vec!["enrolled_since".to_string()]));
}

#[test]
fn an_undetermined_program_above_leaves_the_transition_undetermined() {
    // `level` absent: every program is undetermined, and so is the
    // transition, with only the programs' missing fields (not the stay's).
    let (t, und) = transition(json!({"id": "c", "current_program": "low"}));
    assert_eq!(t, Value::Null);
    assert_eq!(und, Some(vec!["level".to_string()]));
}

#[test]
fn the_undetermined_transition_comes_last() {
    let engine = engine();
    let p = profile(&engine, &json!({"id": "c", "current_program": "low"}));
    let report = engine.outcomes(&p, None).unwrap();
    let last = report.undetermined.last().unwrap();
    assert_eq!((last.kind, last.id), (Kind::Transition, "transition"));
}

#[test]
fn the_decision_names_programs_by_index() {
    let engine = engine();
    let p = profile(
        &engine,
        &json!({"id": "c", "current_program": "high", "level": 1, "enrolled_since": "2025-01-01"}),
    );
    let d = engine.decide(&p, None).unwrap();
    let t = d.transition.unwrap();
    let id = |i: usize| engine.programs().nth(i).unwrap().id().to_string();
    assert_eq!(t.kind, TransitionKind::StepDown);
    assert_eq!(
        (id(t.from), t.to.map(id)),
        ("high".into(), Some("low".into()))
    );
}

#[test]
fn the_reason_gives_the_comparison_and_the_stay() {
    let engine = engine();
    let p = profile(
        &engine,
        &json!({"id": "c", "current_program": "high", "level": 1, "enrolled_since": "2025-01-01"}),
    );
    let report = engine.evaluate(&p, None).unwrap();
    let why = report.transition.unwrap().why.unwrap();
    assert_eq!(
        why.because[0].condition,
        "recommended is less intensive than current_program"
    );
    assert_eq!(
        why.because[1].condition,
        "days since enrolled_since >= minimum_stay_days"
    );
    assert_eq!(why.source, Some("test policy"));
}

#[test]
fn explain_shows_the_outcome_and_the_step_down_condition() {
    let engine = engine();
    let p = profile(
        &engine,
        &json!({"id": "c", "current_program": "high", "level": 1, "enrolled_since": "2026-01-01"}),
    );
    let items = engine.explain(&p, None).unwrap();
    let t = items.iter().find(|i| i.kind == Kind::Transition).unwrap();
    assert_eq!(t.outcome.to_string(), "continue");
    assert_eq!(t.conditions.len(), 1);
    assert_eq!(t.conditions[0].clause.to_string(), "step down when");
    assert_eq!(t.conditions[0].trace.value, Truth::False);
}

/// `is more intensive than` by the recommendation order; `none` below
/// every program and not below itself.
#[test]
fn programs_compare_by_their_order() {
    let engine = engine();
    let warned = |v: Value| -> Vec<String> {
        let p = profile(&engine, &v);
        let plan = engine.decide(&p, None).unwrap();
        assert_eq!(plan, engine.decide_walking(&p, None).unwrap());
        engine
            .evaluate(&p, None)
            .unwrap()
            .warnings
            .iter()
            .map(|w| w.code.to_string())
            .collect()
    };
    assert_eq!(
        warned(json!({"id": "c", "current_program": "low", "level": 2})),
        ["above_current", "enrolled"]
    );
    assert_eq!(
        warned(json!({"id": "c", "current_program": "high", "level": 2})),
        ["below_current", "enrolled"]
    );
    assert_eq!(
        warned(json!({"id": "c", "current_program": "middle", "level": 2})),
        ["enrolled"]
    );
    // Nothing recommended, enrolled: none is below the current program.
    assert_eq!(
        warned(json!({"id": "c", "current_program": "low", "level": 0})),
        ["below_current", "enrolled"]
    );
    // An intake with a recommendation: above none.
    assert_eq!(warned(json!({"id": "c", "level": 1})), ["above_current"]);
    // None against none: neither.
    assert_eq!(warned(json!({"id": "c", "level": 0})), Vec::<String>::new());
}

#[test]
fn a_program_field_takes_a_program_id_or_none() {
    let engine = engine();
    let err = engine
        .profile(&json!({"id": "c", "current_program": "lowe"}))
        .unwrap_err();
    assert_eq!(err.field, "current_program");
    assert!(
        err.message.contains("did you mean \"low\""),
        "{}",
        err.message
    );
    let bytes = br#"{"id": "c", "current_program": 3}"#;
    assert_eq!(
        engine.profile_from_slice(bytes).unwrap_err().field,
        "current_program"
    );
    // Both readers agree on a good value and on the default.
    for v in [
        json!({"id": "c", "current_program": "middle"}),
        json!({"id": "c"}),
    ] {
        assert_eq!(
            engine.profile(&v).unwrap(),
            engine.profile_from_slice(v.to_string().as_bytes()).unwrap()
        );
    }
}

#[test]
fn a_defaulted_field_is_not_a_known_field() {
    let engine = engine();
    let p = profile(&engine, &json!({"id": "c", "level": 1}));
    let report = engine.outcomes(&p, None).unwrap();
    assert_eq!(report.known_fields, ["id", "level"]);
    let p = profile(&engine, &json!({"id": "c", "current_program": "none"}));
    let report = engine.outcomes(&p, None).unwrap();
    assert_eq!(report.known_fields, ["id", "current_program"]);
}

fn input_error(v: Value) -> (String, String) {
    let engine = engine();
    let p = profile(&engine, &v);
    match engine.evaluate(&p, None) {
        Err(EvalError::Input(e)) => {
            // The plan and the walker refuse it alike.
            assert!(engine.decide(&p, None).is_err());
            assert!(engine.decide_walking(&p, None).is_err());
            (e.field, e.message)
        }
        other => panic!("expected an input error for {v}, got {other:?}"),
    }
}

#[test]
fn a_date_in_the_future_is_an_input_error_naming_the_field() {
    let (field, message) = input_error(json!({"id": "c", "enrolled_since": "2026-03-02"}));
    assert_eq!(field, "enrolled_since");
    assert_eq!(
        message,
        "2026-03-02 is in the future (the evaluation date is 2026-03-01)"
    );
    // The evaluation date itself is not in the future.
    let engine = engine();
    let p = profile(&engine, &json!({"id": "c", "enrolled_since": "2026-03-01"}));
    assert!(engine.evaluate(&p, None).is_ok());
}

#[test]
fn a_date_too_far_back_is_an_input_error_even_when_unread() {
    // `birth_date` is read by no rule: it is checked all the same.
    let (field, message) = input_error(json!({"id": "c", "birth_date": "1895-03-01"}));
    assert_eq!(field, "birth_date");
    assert_eq!(
        message,
        "1895-03-01 is more than 130 years before the evaluation date 2026-03-01"
    );
    // 130 whole years is allowed: born 29 February 1896, whose birthday
    // passes on 1 March in 2026, and a day short of 131 years.
    let engine = engine();
    for ok in ["1896-02-29", "1896-03-01", "1895-03-02"] {
        let p = profile(&engine, &json!({"id": "c", "birth_date": ok}));
        assert!(engine.evaluate(&p, None).is_ok(), "{ok}");
    }
}

#[test]
fn the_evaluation_date_is_checked_once_against_dated_values() {
    let rules = "parameter limit \"L\" {\n  from 2024-01-01: 10\n  from 2025-01-01: 12\n}\n\
                 table band {\n  input: 1\n  from 2024-06-01:\n    1 -> 2\n}\n";
    let engine = careplan::load_sources(&[("r.rules", rules)], &Default::default()).unwrap();
    let day = |s| careplan::date::parse(s).unwrap();
    assert!(engine.check_as_of(day("2024-06-01")).is_ok());
    let e = engine.check_as_of(day("2024-05-31")).unwrap_err();
    assert_eq!(e.field, "band");
    // The wording an evaluation uses for a table's rows.
    assert_eq!(
        e.message,
        "no rows of band are in force on 2024-05-31; the earliest are from 2024-06-01"
    );
    let e = engine.check_as_of(day("2023-12-31")).unwrap_err();
    assert_eq!(e.field, "limit", "the first in rule-set order");
    assert!(
        engine_without_dates()
            .check_as_of(day("1900-01-01"))
            .is_ok()
    );
}

fn engine_without_dates() -> Engine {
    careplan::load_sources(
        &[("r.rules", "schema {\n  a: integer\n}\n")],
        &Default::default(),
    )
    .unwrap()
}

fn load_error(rules: &str) -> String {
    match careplan::load_sources(&[("r.rules", rules)], &Default::default()) {
        Ok(_) => panic!("expected a load error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_transition_needs_a_program_field() {
    let e = load_error("schema {\n  c: text\n}\ntransition {\n  current: c\n}\n");
    assert!(e.contains("`current:` is the client's program"), "{e}");
    let e = load_error("transition {\n  step down when true\n}\n");
    assert!(e.contains("current: current_program"), "{e}");
}

#[test]
fn a_transition_is_one_per_rule_set_with_one_kind_of_condition() {
    let head = "schema {\n  c: program\n}\n";
    let e = load_error(&format!(
        "{head}transition {{\n  current: c\n}}\ntransition {{\n  current: c\n}}\n"
    ));
    assert!(e.contains("a rule set has one transition"), "{e}");
    let e = load_error(&format!(
        "{head}transition {{\n  current: c\n  eligible when true\n}}\n"
    ));
    assert!(e.contains("`step down when …`"), "{e}");
}

#[test]
fn programs_compare_only_with_programs() {
    let e = load_error(
        "schema {\n  n: integer\n}\nwarning w {\n  severity: info\n  when recommended is more intensive than n\n  message: \"m\"\n}\n",
    );
    assert!(e.contains("compares programs"), "{e}");
}

#[test]
fn a_program_default_is_none() {
    let e = load_error(
        "schema {\n  c: program default x because \"y\"\n}\nprogram x {\n  intensity: 1\n  eligible when true\n}\n",
    );
    assert!(e.contains("a program field's default is `none`"), "{e}");
}

#[test]
fn date_bounds_apply_to_dates() {
    let e = load_error("schema {\n  n: integer not in the future\n}\n");
    assert!(e.contains("cannot have date bounds"), "{e}");
}

/// A table keyed by a program field: each program's care rhythm. `none`
/// is no gap (a table about programs is read for enrolled clients), and a
/// word that names no program is refused with a suggestion.
#[test]
fn a_table_reads_a_program_input() {
    let table = "table rhythm \"Care rhythm\" {\n  input: current_program\n  \
                 output review_days: integer\n  high -> 90\n  middle -> 90\n  low -> 180\n}\n\
                 warning due \"Review due\" {\n  severity: info\n  \
                 when current_program is not none and days since enrolled_since > rhythm.review_days\n  \
                 message: \"due\"\n}\n";
    let engine = careplan::load_sources(
        &[("t.rules", RULES), ("u.rules", table)],
        &Default::default(),
    )
    .unwrap();
    assert!(
        engine.load_warnings().is_empty(),
        "{:?}",
        engine.load_warnings()
    );
    let due = |v: Value| {
        let p = profile(&engine, &v);
        let d = engine.decide(&p, None).unwrap();
        assert_eq!(d, engine.decide_walking(&p, None).unwrap());
        let i = engine.warnings().position(|w| w.id() == "due").unwrap();
        d.warnings[i]
    };
    // 2025-12-01 to 2026-03-01 is 90 days: not past 90, past nothing in 180.
    assert_eq!(
        due(json!({"id": "c", "current_program": "high", "enrolled_since": "2025-12-01"})),
        Truth::False
    );
    assert_eq!(
        due(json!({"id": "c", "current_program": "high", "enrolled_since": "2025-11-30"})),
        Truth::True
    );
    assert_eq!(
        due(json!({"id": "c", "current_program": "low", "enrolled_since": "2025-11-30"})),
        Truth::False
    );
    assert_eq!(
        due(json!({"id": "c", "enrolled_since": "2020-01-01"})),
        Truth::False
    );
    let e = load_error(&format!(
        "{RULES}table t {{\n  input: current_program\n  midle -> 1\n}}\n"
    ));
    assert!(
        e.contains("`midle` is not a program") && e.contains("did you mean `middle`?"),
        "{e}"
    );
}
