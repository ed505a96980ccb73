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
    assert_eq!(follow.priority, careplan::Priority::Urgent);
    let r = e
        .evaluate_json(&json!({"id": "b", "age": 40, "admissions": 2, "housing": "stable", "diagnoses": [], "income": 0}), None)
        .unwrap();
    let follow = r.referrals.iter().find(|x| x.id == "follow_up").unwrap();
    assert_eq!(follow.priority, careplan::Priority::Routine);
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

/// Evaluating a profile on which a script runs away: the error. The
/// operation budget stops it, so no stopwatch is needed to know it ends.
fn fails_within_its_budget(e: &Engine) -> careplan::EvalError {
    e.evaluate_json(&json!({"id": "a", "age": 3}), None)
        .unwrap_err()
}

#[test]
fn an_endless_loop_fails_that_evaluation_quickly_and_the_engine_survives() {
    let e = engine(&["greedy", "wrong_type"]);
    let err = fails_within_its_budget(&e);
    assert!(err.message().contains("function `forever`"), "{err}");
    assert!(err.message().contains("stopped"), "{err}");
    // Unknown input: the script is not run, so the same engine evaluates.
    let r = e.evaluate_json(&json!({"id": "b"}), None).unwrap();
    assert!(r.undetermined.iter().any(|u| u.id == "stuck"));
}

#[test]
fn endless_allocation_fails_that_evaluation() {
    let e = engine(&["stuck", "wrong_type"]);
    let err = fails_within_its_budget(&e);
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

/// One function, `f`, with the given parameters and script, called from a
/// referral as `f(ARGS)` with the profile `{"a": …}`: the error or the
/// referral's presence.
fn one(
    params: &str,
    returns: &str,
    script: &str,
    args: &str,
    schema: &str,
    profile: serde_json::Value,
) -> Result<bool, String> {
    let text = format!(
        "schema {{ {schema} }}\nfunction f({params}) -> {returns} {{\n  script: \"\"\"{script}\"\"\"\n}}\nreferral r {{ routine when f({args}) > 0 }}\n"
    );
    let e = careplan::load_sources(&[("x.rules", text.as_str())], &LoadOptions::default())
        .map_err(|e| format!("{e:?}"))?;
    e.evaluate_json(&profile, None)
        .map(|r| r.referrals.iter().any(|x| x.id == "r"))
        .map_err(|e| e.message().to_string())
}

#[test]
fn sleep_ignores_the_deadline() {
    for code in [
        "sleep(3); 1",
        "sleep(9223372036854775807); 1",
        "Fn(\"sleep\").call(3); 1",
    ] {
        let r = one(
            "a: integer",
            "integer",
            code,
            "a",
            "a: integer",
            json!({"a": 1}),
        );
        let err = r.unwrap_err();
        assert!(err.contains("sleep"), "{code}: {err}");
    }
}

#[test]
fn one_native_call_can_take_8_gb() {
    let r = one(
        "a: integer",
        "integer",
        "let s = \"\"; s.pad(65536, \"a\"); s.replace(\"a\", s); s.len()",
        "a",
        "a: integer",
        json!({"a": 1}),
    );
    // Refused before the work (rhai's own `replace` built 4 GiB, then
    // failed with "Length of string too large").
    let err = r.unwrap_err();
    assert!(
        err.contains("function `f`")
            && err.contains("`replace` would make a string of 4294967296 bytes"),
        "{err}"
    );
}

#[test]
fn results_depend_on_the_machines_load() {
    // Expensive but within the budget, on many identical profiles: the same
    // answer each time. Over the budget: the same failure each time.
    let within = "let n = 0; for i in 0..20000 { n += i % 7; } n + a";
    let over = "let n = 0; for i in 0..100000000 { n += i % 7; } n + a";
    for _ in 0..5 {
        assert_eq!(
            one(
                "a: integer",
                "integer",
                within,
                "a",
                "a: integer",
                json!({"a": 1})
            ),
            Ok(true)
        );
        let err = one(
            "a: integer",
            "integer",
            over,
            "a",
            "a: integer",
            json!({"a": 1}),
        )
        .unwrap_err();
        assert!(
            err.ends_with("it ran more than 1000000 operations and was stopped"),
            "{err}"
        );
    }
}

#[test]
fn a_whole_number_decimal_reaches_a_rhai_function_as_an_integer() {
    for v in [json!(5), json!(5.0), json!(4.2)] {
        // `ceiling` exists only for decimals; `v / 2` must not be integer
        // division (5 / 2 = 2 would make 5 - 2 * 2 = 1, not 0).
        let r = one(
            "v: decimal",
            "decimal",
            "v.ceiling() - 4 + (v - 2 * (v / 2))",
            "v",
            "v: decimal",
            json!({ "v": v }),
        );
        assert_eq!(r, Ok(true), "{v}");
        let r = one(
            "v: decimal",
            "decimal",
            "v - 2 * (v / 2)",
            "v",
            "v: decimal",
            json!({ "v": v }),
        );
        assert_eq!(r, Ok(false), "{v}");
    }
    // Integers stay rhai integers, as documented: integer division.
    let r = one(
        "n: integer",
        "integer",
        "n - 2 * (n / 2)",
        "n",
        "n: integer",
        json!({"n": 5}),
    );
    assert_eq!(r, Ok(true));
}
