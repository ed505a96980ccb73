//! Tables and decision tables: every hit policy, three-valued, with the
//! cases the contract names (an earlier unknown row under `first`,
//! `priority`, `collect` with an unknown row, `unique` with no match and a
//! default, no match and no default), `each additional`, a two-key table,
//! dated versions, and the plan agreeing with the walker.
//!
//! Each test reads a table through warnings: `warning wN { when … }`, so
//! a warning's truth is the condition's, unknown included.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::{Engine, EvalError, LoadOptions, Truth};
use serde_json::{Value, json};

const SCHEMA: &str = "schema {
  age: integer
  housing: one of {stable, unstable, homeless}
  phq9: integer between 0 and 27
  state_group: one of {contiguous, alaska}
  household_size: integer between 1 and 20
  veteran: boolean
}
";

/// Loads the schema, `tables`, and one warning per condition.
fn engine(tables: &str, conditions: &[&str]) -> Engine {
    let mut text = format!("{SCHEMA}\n{tables}\n");
    for (i, c) in conditions.iter().enumerate() {
        text.push_str(&format!(
            "warning w{i} {{\n  severity: info\n  message: \"m\"\n  when {c}\n}}\n"
        ));
    }
    match careplan::load_sources(&[("t.rules", text.as_str())], &LoadOptions::default()) {
        Ok(e) => e,
        Err(e) => panic!("{e}\n{text}"),
    }
}

/// Each condition's truth for `profile`, by the plan; the walker must
/// agree.
fn truths(e: &Engine, profile: Value) -> Result<Vec<Truth>, EvalError> {
    let p = e.profile(&profile).unwrap();
    let plan = e.decide(&p, None).map(|d| d.warnings);
    let walker = e.decide_walking(&p, None).map(|d| d.warnings);
    assert_eq!(plan, walker, "plan and walker disagree on {profile}");
    plan
}

use Truth::{False as F, True as T, Unknown as U};

#[test]
fn first_is_unknown_after_an_earlier_unknown_row() {
    let e = engine(
        "table t {\n  hit: first\n  input: age, housing\n  >= 65 | - -> 1\n  - | homeless -> 2\n  default -> 0\n}",
        &["t = 1", "t = 2", "t = 0"],
    );
    // Age unknown: the first row might match, so the second cannot decide.
    assert_eq!(
        truths(&e, json!({"housing": "homeless"})).unwrap(),
        [U, U, U]
    );
    assert_eq!(
        truths(&e, json!({"age": 30, "housing": "homeless"})).unwrap(),
        [F, T, F]
    );
    assert_eq!(truths(&e, json!({"age": 70})).unwrap(), [T, F, F]);
    // The first row known false, the second unknown.
    assert_eq!(truths(&e, json!({"age": 30})).unwrap(), [U, U, U]);
    assert_eq!(
        truths(&e, json!({"age": 30, "housing": "stable"})).unwrap(),
        [F, F, T]
    );
}

#[test]
fn priority_decides_when_no_higher_row_is_unknown() {
    let e = engine(
        "table t {\n  hit: priority\n  input: age, housing\n  output: one of {high, medium, low}\n  >= 65 | - -> low\n  - | homeless -> high\n  default -> medium\n}",
        &["t is high", "t is low", "t is medium"],
    );
    assert_eq!(
        truths(&e, json!({"age": 70, "housing": "homeless"})).unwrap(),
        [T, F, F]
    );
    // A low row holds, but the high row is unknown: unknown.
    assert_eq!(truths(&e, json!({"age": 70})).unwrap(), [U, U, U]);
    // The high row holds: whatever the age, nothing outranks it.
    assert_eq!(
        truths(&e, json!({"housing": "homeless"})).unwrap(),
        [T, F, F]
    );
    assert_eq!(
        truths(&e, json!({"age": 70, "housing": "stable"})).unwrap(),
        [F, T, F]
    );
    assert_eq!(
        truths(&e, json!({"age": 7, "housing": "stable"})).unwrap(),
        [F, F, T]
    );
}

#[test]
fn collect_is_unknown_when_any_row_is() {
    let tables = "table points {\n  hit: collect sum\n  input: age, housing, veteran\n  >= 65 | - | - -> 2\n  - | homeless | - -> 3\n  - | - | true -> 1\n}\n\
        table howmany {\n  hit: collect count\n  input: age\n  >= 65 -> 1\n  >= 80 -> 1\n}\n\
        table least {\n  hit: collect min\n  input: age\n  >= 65 -> 4\n  >= 80 -> 2\n}\n\
        table tags {\n  hit: collect\n  input: housing, veteran\n  output: one of {shelter, benefits}\n  homeless | - -> shelter\n  - | true -> benefits\n}";
    let e = engine(
        tables,
        &[
            "points = 6",
            "points = 0",
            "howmany = 2",
            "least = 2",
            "tags has all of {shelter, benefits}",
            "count(tags) = 0",
        ],
    );
    assert_eq!(
        truths(
            &e,
            json!({"age": 85, "housing": "homeless", "veteran": true})
        )
        .unwrap(),
        [T, F, T, T, T, F]
    );
    // Veteran unknown: the sum and the set are unknown; the count and the
    // minimum read only age.
    assert_eq!(
        truths(&e, json!({"age": 85, "housing": "homeless"})).unwrap(),
        [U, U, T, T, U, U]
    );
    // No row matches: a sum of 0 and an empty set.
    let r = truths(
        &e,
        json!({"age": 85, "housing": "stable", "veteran": false}),
    )
    .unwrap();
    assert_eq!(r, [F, F, T, T, F, T]);
    // The minimum of no rows is an error naming the table.
    let err = truths(
        &e,
        json!({"age": 20, "housing": "stable", "veteran": false}),
    )
    .unwrap_err();
    assert_eq!(err.field(), Some("least"));
    assert!(
        err.message().contains("least: no row matches age = 20"),
        "{err}"
    );
}

#[test]
fn unique_without_a_match_takes_the_default_or_fails_naming_the_table() {
    let e = engine(
        "table with_default {\n  input: age\n  0 to 17 -> 1\n  18 or more -> 2\n  default -> 9\n}\n\
         table lace_length_points {\n  input: age\n  0 -> 0\n  1 to 6 -> 4\n  7 or more -> 7\n}",
        &["with_default = 9", "lace_length_points >= 0"],
    );
    let err = truths(&e, json!({"age": -1})).unwrap_err();
    assert_eq!(err.field(), Some("lace_length_points"));
    assert_eq!(err.message(), "lace_length_points: no row matches age = -1");
    assert_eq!(truths(&e, json!({"age": 3})).unwrap(), [F, T]);
    assert_eq!(truths(&e, json!({})).unwrap(), [U, U]);
    let e = engine(
        "table with_default {\n  input: age\n  0 to 17 -> 1\n  18 or more -> 2\n  default -> 9\n}",
        &["with_default = 9"],
    );
    assert_eq!(truths(&e, json!({"age": -1})).unwrap(), [T]);
}

#[test]
fn each_additional_counts_beyond_the_largest_key() {
    let e = engine(
        "table limit {\n  input: state_group, household_size\n  contiguous | 1 -> 1_632\n  contiguous | 2 -> 2_215\n  contiguous | 3 -> 2_798\n  contiguous | 4 -> 3_381\n  contiguous | each additional -> 583\n  alaska | 1 -> 2_040\n  alaska | 2 or more -> 2_500\n}",
        &["limit = 5713", "limit = 3381", "limit = 2500"],
    );
    // 3_381 + 4 × 583 for a household of 8.
    let r = truths(
        &e,
        json!({"state_group": "contiguous", "household_size": 8}),
    )
    .unwrap();
    assert_eq!(r, [T, F, F]);
    let r = truths(
        &e,
        json!({"state_group": "contiguous", "household_size": 4}),
    )
    .unwrap();
    assert_eq!(r, [F, T, F]);
    let r = truths(&e, json!({"state_group": "alaska", "household_size": 8})).unwrap();
    assert_eq!(r, [F, F, T]);
    assert_eq!(truths(&e, json!({"household_size": 8})).unwrap(), [U, U, U]);
}

#[test]
fn a_two_key_table_of_an_enumeration_and_an_integer() {
    let e = engine(
        "table approval {\n  hit: first\n  input: age, housing, phq9\n  output status: one of {approved, referred, declined}\n  output points: integer\n  >= 18 | homeless, unstable | 10 to 19 -> approved, 5\n  - | - | >= 20 -> referred, 3\n  default -> declined, 0\n}",
        &[
            "approval.status is approved",
            "approval.status in {referred, declined}",
            "approval.points = 3",
        ],
    );
    let r = truths(&e, json!({"age": 30, "housing": "unstable", "phq9": 12})).unwrap();
    assert_eq!(r, [T, F, F]);
    let r = truths(&e, json!({"age": 30, "housing": "stable", "phq9": 25})).unwrap();
    assert_eq!(r, [F, T, T]);
    let r = truths(&e, json!({"age": 30, "housing": "stable", "phq9": 5})).unwrap();
    assert_eq!(r, [F, T, F]);
    // phq9 25 rules the first row out whatever the age and housing.
    assert_eq!(truths(&e, json!({"phq9": 25})).unwrap(), [F, T, T]);
    assert_eq!(truths(&e, json!({"phq9": 12})).unwrap(), [U, U, U]);
}

#[test]
fn cells_of_every_form() {
    let e = engine(
        "table t {\n  hit: first\n  input: age\n  [0..10) -> 1\n  (10..20] -> 2\n  10 -> 3\n  not(21, 22, < 0) -> 4\n  21, 22 -> 5\n}",
        &["t = 1", "t = 2", "t = 3", "t = 4", "t = 5"],
    );
    for (age, want) in [(0, 1), (9, 1), (10, 3), (11, 2), (20, 2), (21, 5), (23, 4)] {
        let r = truths(&e, json!({ "age": age })).unwrap();
        let got = r.iter().position(|t| *t == T).map(|i| i + 1);
        assert_eq!(got, Some(want), "age {age}");
    }
}

/// Each condition's truth for `profile` evaluated on `day`.
fn truths_on(e: &Engine, profile: Value, day: &str) -> Result<Vec<Truth>, EvalError> {
    let mut p = e.profile(&profile).unwrap();
    p.as_of = careplan::date::parse(day).unwrap();
    let plan = e.decide(&p, None).map(|d| d.warnings);
    let walker = e.decide_walking(&p, None).map(|d| d.warnings);
    assert_eq!(plan, walker, "plan and walker disagree on {profile}");
    plan
}

#[test]
fn dated_versions_follow_the_evaluation_date() {
    let e = engine(
        "table t {\n  input: age\n  from 2024-10-01:\n    - -> 1\n  from 2025-10-01:\n    - -> 2\n}",
        &["t = 1", "t = 2"],
    );
    assert_eq!(
        truths_on(&e, json!({"age": 1}), "2024-10-01").unwrap(),
        [T, F]
    );
    assert_eq!(
        truths_on(&e, json!({"age": 1}), "2025-09-30").unwrap(),
        [T, F]
    );
    assert_eq!(
        truths_on(&e, json!({"age": 1}), "2025-10-01").unwrap(),
        [F, T]
    );
    // Before the first version: an input error naming the table.
    let err = truths_on(&e, json!({"age": 1}), "2019-03-01").unwrap_err();
    assert_eq!(err.field(), Some("t"));
    assert_eq!(
        err.message(),
        "no rows of t are in force on 2019-03-01; the earliest are from 2024-10-01"
    );
}

#[test]
fn dates_as_inputs_and_outputs() {
    let e = engine(
        "table period {\n  input: today\n  output: date\n  < 2025-01-01 -> 2024-12-31\n  2025-01-01 or more -> 2025-12-31\n}",
        &["period = 2025-12-31"],
    );
    assert_eq!(truths_on(&e, json!({}), "2025-03-02").unwrap(), [T]);
    assert_eq!(truths_on(&e, json!({}), "2024-03-02").unwrap(), [F]);
    let mut p = e.profile(&json!({})).unwrap();
    p.as_of = careplan::date::parse("2024-03-02").unwrap();
    let traces = e.explain(&p, None).unwrap();
    let values = &traces[0].conditions[0].trace.values;
    assert_eq!(values["period"], json!("2024-12-31"));
}

#[test]
fn a_table_reads_definitions_and_definitions_read_tables() {
    let e = engine(
        "define older \"Age next year\" {\n  value: age + 1\n}\n\
         table band {\n  input: older\n  < 18 -> 1\n  18 or more -> 2\n}\n\
         define doubled {\n  value: band * 2\n}",
        &["doubled = 4", "doubled = 2"],
    );
    assert_eq!(truths(&e, json!({"age": 17})).unwrap(), [T, F]);
    assert_eq!(truths(&e, json!({"age": 16})).unwrap(), [F, T]);
}

#[test]
fn a_table_that_reads_itself_is_a_cycle() {
    let text = format!(
        "{SCHEMA}\ndefine d {{\n  value: t + 1\n}}\ntable t {{\n  input: d\n  - -> 1\n}}\n"
    );
    let err = careplan::load_sources(&[("t.rules", text.as_str())], &LoadOptions::default())
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("cycle"), "{err}");
}

#[test]
fn explain_shows_the_row_its_line_and_the_inputs() {
    let e = engine(
        "table lace_length_points {\n  input: age\n  0 to 3 -> 1\n  4 to 6 -> 4\n  7 or more -> 7\n}",
        &["lace_length_points >= 4"],
    );
    let p = e.profile(&json!({"age": 5})).unwrap();
    let traces = e.explain(&p, None).unwrap();
    let t = &traces[0].conditions[0].trace;
    assert_eq!(t.value, T);
    assert_eq!(t.values["lace_length_points"], json!(4));
    // The table starts on line 10, after the schema; its second row is 13.
    assert_eq!(
        t.values["lace_length_points.row"],
        json!("line 13: 4 to 6 -> 4")
    );
    assert_eq!(t.values["age"], json!(5));
}

#[test]
fn coverage_counts_each_row_and_the_default_as_a_branch() {
    use careplan::harness::coverage::Coverage;
    let e = engine(
        "table t {\n  input: housing\n  homeless -> 2\n  unstable -> 1\n  default -> 0\n}",
        &["t > 0"],
    );
    let mut coverage = Coverage::new(&e);
    for housing in ["homeless", "stable"] {
        let p = e.profile(&json!({ "housing": housing })).unwrap();
        coverage.record(&e.explain(&p, None).unwrap());
    }
    let summary = coverage.summary(&e);
    let rows: Vec<&str> = summary
        .uncovered
        .iter()
        .filter(|u| u.item == "table t")
        .map(|u| u.condition.as_str())
        .collect();
    // The homeless row and the default matched; the unstable row never did.
    assert_eq!(rows, ["unstable -> 1"]);
}

/// A table marked `report: yes` is in the report's values: one output as
/// its value, named outputs as an object; unknown is `null` with the
/// missing fields.
#[test]
fn a_table_marked_for_the_report_is_in_its_values() {
    let e = engine(
        "table points \"Points\" {\n  input: phq9\n  0 to 9 -> 0\n  10 or more -> 2\n  report: yes\n}\n\
         table approval \"Approval\" {\n  hit: first\n  input: age, housing\n  \
         output status: one of {approved, declined}\n  output score: integer\n  \
         >= 18 | homeless -> approved, 5\n  default -> declined, 0\n  report: yes\n}\n",
        &[],
    );
    let report = e
        .evaluate_json(&json!({"phq9": 12, "age": 30, "housing": "homeless"}), None)
        .unwrap();
    let values = serde_json::to_value(&report.values).unwrap();
    assert_eq!(
        values,
        json!([
            {"id": "points", "title": "Points", "value": 2},
            {"id": "approval", "title": "Approval", "value": {"status": "approved", "score": 5}}
        ])
    );
    let report = e
        .evaluate_json(&json!({"housing": "stable"}), None)
        .unwrap();
    let values = serde_json::to_value(&report.values).unwrap();
    assert_eq!(values[0]["value"], Value::Null);
    assert_eq!(values[0]["missing"], json!(["phq9"]));
    // `stable` fails the row whatever the age: the default decides.
    assert_eq!(
        values[1]["value"],
        json!({"status": "declined", "score": 0})
    );
}

/// A dated table reads the evaluation date, so a case file must give one.
#[test]
fn a_dated_table_reads_the_date() {
    let dated = engine(
        "table t {\n  input: phq9\n  from 2025-01-01:\n    - -> 1\n}\n",
        &["t = 1"],
    );
    assert!(dated.reads_date());
    let undated = engine("table t {\n  input: phq9\n  - -> 1\n}\n", &["t = 1"]);
    assert!(!undated.reads_date());
}
