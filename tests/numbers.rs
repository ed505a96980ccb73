//! Numbers and unknowns end to end: the number functions, `if`, `first
//! known of`, `at least`/`at most N of`, weighted sums, `unless` and schema
//! defaults, each through loading, the compiled plan and the tree walker
//! (which must agree), and the report's missing fields.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::{Engine, LoadError, LoadOptions, Truth};
use serde_json::{Value, json};

const SCHEMA: &str = "schema {
  a: decimal
  b: decimal
  c: decimal
  p: boolean
  q: boolean
  r: boolean
  como: set of {myocardial_infarction, aids, copd}
  codes: set of text
}
";

fn load(rules: &str) -> Engine {
    match careplan::load_sources(&[("t.rules", rules)], &LoadOptions::default()) {
        Ok(e) => e,
        Err(e) => panic!("{e}\n{rules}"),
    }
}

/// One warning `w` with this condition, over [`SCHEMA`].
fn warning(cond: &str) -> Engine {
    load(&format!(
        "{SCHEMA}warning w {{\n  severity: info\n  when {cond}\n  message: \"m\"\n}}\n"
    ))
}

/// The warning's truth (the plan and the walker must agree) and, when
/// unknown, the fields the report says would decide it.
fn truth(engine: &Engine, profile: &Value) -> (Truth, Vec<String>) {
    let p = engine.profile(profile).unwrap();
    let plan = engine.decide(&p, None).unwrap();
    let walked = engine.decide_walking(&p, None).unwrap();
    assert_eq!(plan, walked, "plan and walker differ for {profile}");
    let report = engine.evaluate(&p, None).unwrap();
    let missing = report
        .undetermined
        .iter()
        .flat_map(|u| u.missing.iter().map(|m| m.to_string()))
        .collect();
    (plan.warnings[0], missing)
}

/// Checks `expr = want` over a profile giving `a`.
fn value_is(expr: &str, a: &str, want: &str) {
    let engine = warning(&format!("{expr} = {want}"));
    let profile: Value = serde_json::from_str(&format!("{{\"a\": {a}}}")).unwrap();
    assert_eq!(
        truth(&engine, &profile).0,
        Truth::True,
        "{expr} with a = {a}: want {want}"
    );
}

#[test]
fn round_goes_half_away_from_zero_with_places() {
    for (expr, a, want) in [
        ("round(a)", "1.5", "2"),
        ("round(a)", "-1.5", "-2"),
        ("round(a)", "2.5", "3"),
        ("round(a)", "-2.5", "-3"),
        ("round(a)", "2.4999", "2"),
        ("round(a, 2)", "1.005", "1.01"),
        ("round(a, 2)", "-1.005", "-1.01"),
        ("round(a, 1)", "-0.04", "0"),
        ("round(a, 28)", "0.1", "0.1"),
    ] {
        value_is(expr, a, want);
    }
}

#[test]
fn floor_and_ceil_of_negatives() {
    for (expr, a, want) in [
        ("floor(a)", "-1.5", "-2"),
        ("ceil(a)", "-1.5", "-1"),
        ("floor(a)", "1.5", "1"),
        ("ceil(a)", "1.5", "2"),
        ("floor(a, 1)", "-1.25", "-1.3"),
        ("ceil(a, 1)", "-1.25", "-1.2"),
        ("abs(a)", "-3.75", "3.75"),
    ] {
        value_is(expr, a, want);
    }
}

#[test]
fn clamp_brings_a_value_within_its_bounds() {
    for (a, want) in [
        ("-5", "0"),
        ("0", "0"),
        ("7.5", "7.5"),
        ("10", "10"),
        ("11", "10"),
    ] {
        value_is("clamp(a, 0, 10)", a, want);
    }
}

#[test]
fn clamp_with_crossing_bounds_from_the_profile_is_an_input_error() {
    let engine = warning("clamp(a, b, c) > 0");
    let p = engine.profile(&json!({"a": 1, "b": 5, "c": 2})).unwrap();
    let err = engine.decide(&p, None).unwrap_err();
    assert_eq!(err, engine.decide_walking(&p, None).unwrap_err());
    let careplan::EvalError::Input(e) = err else {
        panic!("not an input error: {err}")
    };
    assert_eq!(e.field, "b");
    assert!(
        e.message
            .contains("lower bound 5 is above the upper bound 2"),
        "{}",
        e.message
    );
}

#[test]
fn min_and_max_are_unknown_when_an_argument_is() {
    let engine = warning("min(a, b, 5) < 3");
    assert_eq!(
        truth(&engine, &json!({"a": 1, "b": 9})),
        (Truth::True, vec![])
    );
    assert_eq!(
        truth(&engine, &json!({"a": 4, "b": 9})),
        (Truth::False, vec![])
    );
    // `a` alone would already decide `min < 3`, but a min of an unknown is
    // unknown: the data must be complete.
    assert_eq!(
        truth(&engine, &json!({"a": 1})),
        (Truth::Unknown, vec!["b".to_string()])
    );
    let engine = warning("max(a, b) > 3");
    assert_eq!(
        truth(&engine, &json!({})),
        (Truth::Unknown, vec!["a".to_string(), "b".to_string()])
    );
}

#[test]
fn if_with_an_unknown_condition_is_unknown_with_its_fields() {
    let engine = warning("(if p then a else b) > 3");
    assert_eq!(
        truth(&engine, &json!({"p": true, "a": 4})),
        (Truth::True, vec![])
    );
    assert_eq!(
        truth(&engine, &json!({"p": false, "a": 4, "b": 1})),
        (Truth::False, vec![])
    );
    // The branch not taken is not needed.
    assert_eq!(
        truth(&engine, &json!({"p": false, "a": 4})),
        (Truth::Unknown, vec!["b".to_string()])
    );
    // Both branches known and alike: still unknown, missing only `p`.
    assert_eq!(
        truth(&engine, &json!({"a": 4, "b": 4})),
        (Truth::Unknown, vec!["p".to_string()])
    );
    let chained = warning("(if a > 10 then 1 else if a > 5 then 2 else 3) = 2");
    assert_eq!(truth(&chained, &json!({"a": 7})).0, Truth::True);
    assert_eq!(truth(&chained, &json!({"a": 11})).0, Truth::False);
}

#[test]
fn first_known_takes_the_first_known_operand() {
    let engine = warning("first known of (a, b, 0) > 3");
    assert_eq!(truth(&engine, &json!({"a": 1, "b": 9})).0, Truth::False);
    assert_eq!(truth(&engine, &json!({"b": 9})).0, Truth::True);
    assert_eq!(truth(&engine, &json!({})).0, Truth::False);
    // All unknown: the union of their missing fields.
    let engine = warning("first known of (a, b, c) > 3");
    assert_eq!(
        truth(&engine, &json!({})),
        (Truth::Unknown, vec!["a".into(), "b".into(), "c".into()])
    );
    let engine = warning("first known of (p, q)");
    assert_eq!(truth(&engine, &json!({"q": true})).0, Truth::True);
}

#[test]
fn at_least_and_at_most_count_three_valued() {
    let least = warning("at least 2 of (p, q, r)");
    let most = warning("at most 1 of (p, q, r)");
    let u = Truth::Unknown;
    // (profile, at least 2, at most 1)
    for (profile, want_least, want_most) in [
        (
            json!({"p": true, "q": true, "r": false}),
            Truth::True,
            Truth::False,
        ),
        (
            json!({"p": true, "q": false, "r": false}),
            Truth::False,
            Truth::True,
        ),
        (json!({"p": true, "q": true}), Truth::True, Truth::False),
        (json!({"p": true, "q": false}), u, u),
        (json!({"p": false, "q": false}), Truth::False, Truth::True),
        (json!({"p": false}), u, u),
        (json!({}), u, u),
    ] {
        assert_eq!(
            truth(&least, &profile).0,
            want_least,
            "at least 2 of {profile}"
        );
        assert_eq!(
            truth(&most, &profile).0,
            want_most,
            "at most 1 of {profile}"
        );
    }
    // Missing fields: those of the unknown operands.
    assert_eq!(
        truth(&least, &json!({"p": true, "q": false})),
        (Truth::Unknown, vec!["r".to_string()])
    );
    assert_eq!(
        truth(&most, &json!({"q": false})),
        (Truth::Unknown, vec!["p".to_string(), "r".to_string()])
    );
    // The bounds: at least 0 always holds, at most N of N always holds.
    assert_eq!(
        truth(&warning("at least 0 of (p, q)"), &json!({})).0,
        Truth::True
    );
    assert_eq!(
        truth(&warning("at most 2 of (p, q)"), &json!({})).0,
        Truth::True
    );
    assert_eq!(
        truth(
            &warning("at least 2 of (p, q)"),
            &json!({"p": true, "q": true})
        )
        .0,
        Truth::True
    );
}

#[test]
fn weighted_sums_count_present_members() {
    let engine = warning("weighted sum of como {myocardial_infarction: 1, aids: 6} = 7");
    assert_eq!(
        truth(&engine, &json!({"como": ["aids", "myocardial_infarction"]})).0,
        Truth::True
    );
    // `copd` has no weight: it counts 0; absent members count nothing.
    let six = warning("weighted sum of como {myocardial_infarction: 1, aids: 6} = 6");
    assert_eq!(
        truth(&six, &json!({"como": ["aids", "copd"]})).0,
        Truth::True
    );
    let zero = warning("weighted sum of como {aids: 6} = 0");
    assert_eq!(truth(&zero, &json!({"como": []})).0, Truth::True);
    // An unknown set: unknown, naming it.
    assert_eq!(
        truth(&zero, &json!({})),
        (Truth::Unknown, vec!["como".to_string()])
    );
    let text = warning("weighted sum of codes {\"F32\": 1.5, \"I50\": -2} = -0.5");
    assert_eq!(
        truth(&text, &json!({"codes": ["F32", "I50", "Z00"]})).0,
        Truth::True
    );
}

#[test]
fn unless_against_every_base() {
    let u = Truth::Unknown;
    let (t, f) = (Truth::True, Truth::False);
    let cases = [
        (Some(true), Some(true), f),
        (Some(true), Some(false), t),
        (Some(true), None, u),
        (Some(false), Some(true), f),
        (Some(false), Some(false), f),
        (Some(false), None, f),
        (None, Some(true), f),
        (None, Some(false), u),
        (None, None, u),
    ];
    let engine = warning("p unless q");
    for (p, q, want) in cases {
        let mut profile = serde_json::Map::new();
        if let Some(p) = p {
            profile.insert("p".into(), json!(p));
        }
        if let Some(q) = q {
            profile.insert("q".into(), json!(q));
        }
        let profile = Value::Object(profile);
        let (got, missing) = truth(&engine, &profile);
        assert_eq!(got, want, "p = {p:?} unless q = {q:?}");
        let want_missing: Vec<String> = match want {
            Truth::Unknown => [("p", p), ("q", q)]
                .iter()
                .filter(|(_, v)| v.is_none())
                .map(|(n, _)| n.to_string())
                .collect(),
            _ => vec![],
        };
        assert_eq!(missing, want_missing, "p = {p:?} unless q = {q:?}");
    }
}

#[test]
fn unless_works_on_programs_and_referrals_and_explains_as_its_own_clause() {
    let engine = load(&format!(
        "{SCHEMA}program x {{\n  intensity: 1\n  eligible when p unless q\n}}\n\
         referral y {{\n  urgent when p unless q\n  routine when r\n}}\n"
    ));
    let profile = engine
        .profile(&json!({"p": true, "q": true, "r": true}))
        .unwrap();
    let d = engine.decide(&profile, None).unwrap();
    assert_eq!(d.programs, [Truth::False]);
    assert_eq!(d.referrals, [Some(careplan::Priority::Routine)]);
    let traces = engine.explain(&profile, None).unwrap();
    let heads: Vec<String> = traces[0]
        .conditions
        .iter()
        .map(|c| c.clause.to_string())
        .collect();
    assert_eq!(heads, ["eligible when", "unless"]);
    assert_eq!(traces[0].conditions[1].trace.condition, "q");
    assert_eq!(traces[0].conditions[1].trace.value, Truth::True);
    // The report's reason names the exception that held.
    let report = engine.evaluate(&profile, None).unwrap();
    let json = report.to_json();
    assert!(json.contains("\"reason\":\"q (q = true)\""), "{json}");
}

#[test]
fn defaults_apply_to_absent_and_null_fields_in_both_readers() {
    let engine = load(
        "schema {\n  risk: boolean default false because \"the intake form asks every client\"\n  \
         size: integer between 1 and 20 default 1 because \"a client alone unless told\"\n  \
         housing: one of {stable, homeless} default stable because \"most are\"\n  \
         needs: set of {food, health} default {food} because \"everyone is offered food\"\n}\n\
         warning w {\n  severity: info\n  when not risk and size = 1 and housing is stable and food in needs\n  message: \"m\"\n}\n",
    );
    for text in [
        "{}",
        "{\"risk\": null, \"size\": null, \"housing\": null, \"needs\": null}",
    ] {
        let from_value = engine
            .profile(&serde_json::from_str(text).unwrap())
            .unwrap();
        let from_bytes = engine.profile_from_slice(text.as_bytes()).unwrap();
        assert_eq!(from_value, from_bytes, "{text}");
        assert_eq!(
            engine.decide(&from_value, None).unwrap().warnings,
            [Truth::True],
            "{text}"
        );
    }
    // A given value wins over the default.
    let given = engine.profile(&json!({"risk": true})).unwrap();
    assert_eq!(
        engine.decide(&given, None).unwrap().warnings,
        [Truth::False]
    );
    // The schema view shows each default with its reason.
    let size = engine.fields().find(|f| f.name() == "size").unwrap();
    assert_eq!(size.default(), Some(json!(1)));
    assert_eq!(size.default_reason(), Some("a client alone unless told"));
    let needs = engine.fields().find(|f| f.name() == "needs").unwrap();
    assert_eq!(needs.default(), Some(json!(["food"])));
}

fn load_errors(rules: &str) -> Vec<(String, String)> {
    match careplan::load_sources(&[("t.rules", rules)], &LoadOptions::default()) {
        Ok(_) => panic!("loaded:\n{rules}"),
        Err(LoadError::Rules(d)) => d
            .iter()
            .map(|d| (d.code.to_string(), d.message.clone()))
            .collect(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_default_must_fit_and_give_its_reason() {
    assert_eq!(
        load_errors("schema {\n  age: integer between 0 and 130 default 131 because \"x\"\n}\n"),
        [(
            "bad-default".to_string(),
            "the default of `age` must be an integer from 0 to 130".to_string()
        )]
    );
    assert_eq!(
        load_errors("schema {\n  risk: boolean default false\n}\n"),
        [(
            "default-reason".to_string(),
            "the default of `risk` has no reason".to_string()
        )]
    );
}

#[test]
fn coverage_counts_if_conditions_counted_operands_and_exceptions() {
    use careplan::harness::coverage::Coverage;
    let engine = load(&format!(
        "{SCHEMA}program x {{\n  intensity: 1\n  eligible when at least 1 of (p, q) unless r\n}}\n\
         warning w {{\n  severity: info\n  when (if p then a else b) > 1\n  message: \"m\"\n}}\n"
    ));
    let mut coverage = Coverage::new(&engine);
    let summary = coverage.summary(&engine);
    let goals: Vec<&str> = summary
        .uncovered
        .iter()
        .map(|u| u.condition.as_str())
        .collect();
    // The count and its operands, the exception, the comparison and the
    // `if` condition inside it.
    assert_eq!(
        goals,
        [
            "at least 1 of (p, q)",
            "p",
            "q",
            "r",
            "(if p then a else b) > 1",
            "p"
        ]
    );
    for profile in [
        json!({"p": true, "q": false, "r": false, "a": 2}),
        json!({"p": false, "q": false, "r": true, "b": 0}),
    ] {
        let p = engine.profile(&profile).unwrap();
        coverage.record(&engine.explain(&p, None).unwrap());
    }
    let summary = coverage.summary(&engine);
    // The program fired once (r false), and the exception was seen both ways.
    assert!(summary.items["program x"]);
    let r = summary
        .uncovered
        .iter()
        .find(|u| u.condition == "r")
        .unwrap();
    assert_eq!(r.never, [Truth::Unknown]);
    // `q` was never true.
    let q = summary
        .uncovered
        .iter()
        .find(|u| u.condition == "q")
        .unwrap();
    assert_eq!(q.never, [Truth::True, Truth::Unknown]);
}

#[test]
fn an_exception_that_holds_does_not_count_as_firing() {
    use careplan::harness::coverage::Coverage;
    let engine = load(&format!(
        "{SCHEMA}program x {{\n  intensity: 1\n  eligible when p unless q\n}}\n"
    ));
    let mut coverage = Coverage::new(&engine);
    let p = engine.profile(&json!({"p": true, "q": true})).unwrap();
    coverage.record(&engine.explain(&p, None).unwrap());
    assert!(!coverage.summary(&engine).items["program x"]);
}
