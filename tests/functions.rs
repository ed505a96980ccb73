//! Functions written in rhai: called from conditions, sandboxed, exact.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::{Engine, LoadOptions};
use serde_json::json;
use std::time::{Duration, Instant};

const RULES: &str = r#"
schema {
  id: text required
  age: integer
  admissions: integer
  income: decimal
  housing: one of {stable, unstable, homeless}
  diagnoses: set of text
}

function risk(age: integer, admissions: integer, housing: text, diagnoses: set of text) -> decimal {
  script: """
    let score = admissions * 1.5;
    if housing == "homeless" { score += 2.0 }
    if age >= 65 { score += 0.5 }
    if diagnoses.contains("serious_mental_illness") { score += 1 }
    score
  """
}

function yearly(income: decimal) -> decimal {
  script: "income * 12"
}

function forever(x: integer) -> integer {
  script: """
    let n = x;
    loop { n += 1; }
  """
}

function hoard(x: integer) -> integer {
  script: """
    let a = [];
    loop { a.push("xxxxxxxxxxxxxxxx"); }
  """
}

function liar(x: integer) -> integer {
  script: "\"not a number\""
}

referral follow_up {
  urgent when risk(age, admissions, housing, diagnoses) >= 5
  routine when risk(age, admissions, housing, diagnoses) >= 3
}

referral medicaid {
  routine when yearly(income) <= 138% of 15960
}

warning stuck {
  severity: info
  message: "m"
  when forever(age) > 0
}

warning greedy {
  severity: info
  message: "m"
  when hoard(age) > 0
}

warning wrong_type {
  severity: info
  message: "m"
  when liar(admissions) > 0
}
"#;

fn engine(without: &[&str]) -> Engine {
    // Drop the warnings that fail on purpose unless a test wants them.
    let mut text = RULES.to_string();
    for w in without {
        let start = text.find(&format!("warning {w} {{")).unwrap();
        let end = start + text[start..].find("\n}\n").unwrap() + 3;
        text.replace_range(start..end, "");
    }
    careplan::load_sources(&[("f.rules", text.as_str())], &LoadOptions::default()).unwrap()
}

const FAILING: &[&str] = &["stuck", "greedy", "wrong_type"];

#[test]
fn a_function_decides_a_referral() {
    let e = engine(FAILING);
    let r = e
        .evaluate_json(
            &json!({"id": "a", "age": 70, "admissions": 2, "housing": "homeless", "diagnoses": ["serious_mental_illness"], "income": 0}),
            None,
        )
        .unwrap();
    let follow = r.referrals.iter().find(|x| x.id == "follow_up").unwrap();
    assert_eq!(follow.priority, careplan::ir::Priority::Urgent);
    let r = e
        .evaluate_json(&json!({"id": "b", "age": 40, "admissions": 2, "housing": "stable", "diagnoses": [], "income": 0}), None)
        .unwrap();
    let follow = r.referrals.iter().find(|x| x.id == "follow_up").unwrap();
    assert_eq!(follow.priority, careplan::ir::Priority::Routine);
}

#[test]
fn unknown_arguments_stay_unknown() {
    let e = engine(FAILING);
    let r = e
        .evaluate_json(
            &json!({"id": "a", "age": 70, "housing": "homeless", "income": 0}),
            None,
        )
        .unwrap();
    let und = r.undetermined.iter().find(|u| u.id == "follow_up").unwrap();
    assert_eq!(und.missing, ["admissions", "diagnoses"]);
}

#[test]
fn numbers_cross_into_scripts_exactly() {
    let e = engine(FAILING);
    let at = e
        .evaluate_json(&json!({"id": "a", "income": 1835.40}), None)
        .unwrap();
    assert!(at.referrals.iter().any(|r| r.id == "medicaid"));
    let above = e
        .evaluate_json(&json!({"id": "a", "income": 1835.41}), None)
        .unwrap();
    assert!(!above.referrals.iter().any(|r| r.id == "medicaid"));
}

/// Evaluating a profile on which a script runs away: the error, which
/// must come within 100 ms (the sandbox's deadline is 50 ms).
fn fails_within_its_deadline(e: &Engine) -> careplan::EvalError {
    let start = Instant::now();
    let err = e
        .evaluate_json(&json!({"id": "a", "age": 3}), None)
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(100),
        "took {:?}",
        start.elapsed()
    );
    err
}

#[test]
fn an_endless_loop_fails_that_evaluation_quickly_and_the_engine_survives() {
    let e = engine(&["greedy", "wrong_type"]);
    let err = fails_within_its_deadline(&e);
    assert!(err.message().contains("function `forever`"), "{err}");
    assert!(err.message().contains("stopped"), "{err}");
    // Unknown input: the script is not run, so the same engine evaluates.
    let r = e.evaluate_json(&json!({"id": "b"}), None).unwrap();
    assert!(r.undetermined.iter().any(|u| u.id == "stuck"));
}

#[test]
fn endless_allocation_fails_that_evaluation() {
    let e = engine(&["stuck", "wrong_type"]);
    let err = fails_within_its_deadline(&e);
    assert!(err.message().contains("function `hoard`"), "{err}");
}

#[test]
fn a_wrong_return_type_is_an_error() {
    let e = engine(&["stuck", "greedy"]);
    let err = e
        .evaluate_json(&json!({"id": "a", "admissions": 1}), None)
        .unwrap_err();
    assert!(
        err.message().contains("declared to return integer"),
        "{err}"
    );
}

#[test]
fn scripts_cannot_reach_outside() {
    for (code, what) in [
        ("import \"std\" as s; 1", "import"),
        ("eval(\"1\")", "eval"),
        ("let f = open(\"/etc/passwd\"); 1", "open"),
    ] {
        let text = format!(
            "schema {{ a: integer }}\nfunction f(a: integer) -> integer {{\n  script: \"{}\"\n}}\nreferral r {{ routine when f(a) > 0 }}\n",
            code.replace('"', "\\\"")
        );
        match careplan::load_sources(&[("x.rules", text.as_str())], &LoadOptions::default()) {
            Err(_) => {}
            Ok(e) => {
                let r = e.evaluate_json(&json!({"a": 1}), None);
                assert!(r.is_err(), "{what} ran: {r:?}");
            }
        }
    }
}
