//! The reference policy against its cases in `tests/reference/*.yaml`.
//!
//! Every case runs; the failures are printed together so one run shows all
//! that is wrong.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]
mod inputs;

use careplan::harness::cases::CaseFile;
use careplan::harness::suite::Suite;
use inputs::{all_cases, case_files, plan_disagrees};
use std::collections::HashSet;
use std::path::Path;

/// Runs every case of `dir` through the library's suite (as `careplan
/// test` does), and checks what only this test checks: unique names, and
/// that the compiled program and the tree walker decide alike. Returns how
/// many cases ran.
fn run_dir(engine: &careplan::Engine, dir: &str) -> usize {
    let mut failures = Vec::new();
    let mut suite = Suite::new(engine);
    for path in case_files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: CaseFile =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!file.cases.is_empty(), "{} has no cases", path.display());
        let mut names = HashSet::new();
        for case in &file.cases {
            assert!(
                names.insert(case.name.clone()),
                "{}: duplicate case name `{}`",
                path.display(),
                case.name
            );
            // The compiled program and the tree walker decide alike.
            failures.extend(plan_disagrees(engine, &path, &file, case));
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        suite.file(&name, &file, None);
    }
    for f in &suite.failures {
        for m in &f.messages {
            failures.push(format!("{} :: {}\n    {m}", f.file, f.case));
        }
    }
    let total = suite.ran();
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // CI holds the reference cases to full condition coverage
    // (`careplan test --threshold 100`); the suite measures the same.
    let coverage = suite.coverage.summary(engine);
    assert_eq!(
        coverage.covered, coverage.total,
        "uncovered: {:?}",
        coverage.uncovered
    );
    total
}

#[test]
fn reference_policy_cases() {
    let engine = careplan::reference().unwrap();
    let n = run_dir(&engine, "tests/reference");
    assert!(n >= 300, "expected the full reference suite, ran {n} cases");
}

#[test]
fn loading_the_directory_gives_the_built_in_rule_set() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let from_dir = careplan::load_dir(&dir, &careplan::LoadOptions::default()).unwrap();
    let built_in = careplan::reference().unwrap();
    assert_eq!(from_dir.version(), built_in.version());
    // Every file in rules/ is built in.
    let on_disk: HashSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".rules"))
        .collect();
    let built: HashSet<String> = careplan::REFERENCE_RULES
        .iter()
        .map(|(n, _)| n.trim_start_matches("rules/").to_string())
        .collect();
    assert_eq!(on_disk, built);
}

#[test]
fn reading_json_bytes_agrees_with_reading_a_value() {
    let engine = careplan::reference().unwrap();
    let mut compared = 0;
    for (_, case) in all_cases("tests/reference") {
        let bytes = serde_json::to_vec(&case.profile).unwrap();
        let from_value = engine.profile(&case.profile);
        let from_bytes = engine.profile_from_slice(&bytes);
        assert_eq!(from_value, from_bytes, "{}", case.name);
        compared += 1;
    }
    assert!(compared >= 300);
    // Edge cases of the text itself.
    for (text, field) in [
        // A key given twice is refused, whichever value is bad.
        (r#"{"id":"a","age":3,"age":"x"}"#, Some("age")),
        (r#"{"id":"a","age":"x","age":3}"#, Some("age")),
        (r#"{"id":"a","x":1,"x":1}"#, Some("x")),
        (r#"{"id":"a","x":{"y":[{"z":1,"z":2}]}}"#, Some("x.y[0].z")),
        // A leading byte order mark is skipped.
        ("\u{FEFF}{\"id\":\"a\",\"age\":3}", None),
        (r#"{"age":3}"#, Some("id")),
        (r#"{"id":null}"#, Some("id")),
        (r#"{"id":"a","phq9":99,"age":-1}"#, Some("age")),
        (r#"{"id":"a","unknown":{"deep":[1,2,{"x":null}]}}"#, None),
        (
            r#"{"id":"a","monthly_income":1e400}"#,
            Some("monthly_income"),
        ),
        // Escapes, which the byte reader does not borrow.
        (r#"{"id":"a\"b","housing":"stab\u006ce"}"#, None),
        (r#"{"id":"a","diagnoses":["pts\u0064","ptsd","x"]}"#, None),
        (r#"{"id":"a","needs":["food","fod"]}"#, Some("needs")),
        (r#"{"id":"a","diagnoses":["ptsd",3]}"#, Some("diagnoses")),
        // The first error in schema order, whatever the order of keys.
        (r#"{"phq9":99,"id":"a","age":"x"}"#, Some("age")),
        (r#"{"phq9":99,"age":3}"#, Some("id")),
        (r#"{"age":-1,"phq9":null,"id":"a"}"#, Some("age")),
        (r#"{"id":"a","age":"x","age":null}"#, Some("age")),
        (r#"{"id":"a","age":30,"age":null,"phq9":3}"#, Some("age")),
        // Numbers: exponents, negative zero, a whole number written with
        // decimals, a fraction where a whole number is due, spaces.
        (
            r#"{"id":"a","monthly_income":1.8354e3,"age":-0,"phq9":4.000}"#,
            None,
        ),
        (r#"{"id":"a","age":30.5}"#, Some("age")),
        (
            r#"{ "id" : "a" , "age" : 30 , "violence_risk" : true }"#,
            None,
        ),
        (
            r#"{"id":"a","violence_risk":"true"}"#,
            Some("violence_risk"),
        ),
    ] {
        let a = careplan::read_json(text).and_then(|v| engine.profile(&v));
        let b = engine.profile_from_slice(text.as_bytes());
        assert_eq!(a, b, "{text}");
        assert_eq!(
            b.err().map(|e| e.field),
            field.map(str::to_string),
            "{text}"
        );
    }
    for bad in [
        &b"{\"id\": \"\xff\"}"[..],
        b"{\"id\":",
        b"[1,2]",
        b"{} {}",
        b"",
    ] {
        let e = engine.profile_from_slice(bad).unwrap_err();
        assert!(!e.message.is_empty());
    }
}

/// The lean outcomes say what the full report says, for every case.
#[test]
fn outcomes_agree_with_the_full_report() {
    let engine = careplan::reference().unwrap();
    let mut compared = 0;
    for (_, case) in all_cases("tests/reference") {
        let Ok(mut profile) = engine.profile(&case.profile) else {
            continue;
        };
        if let Some(d) = case.as_of {
            profile.as_of = d;
        }
        let ctx = match case.context.as_ref().map(|c| engine.caseloads(c)) {
            Some(Err(_)) => continue,
            other => other.map(Result::unwrap),
        };
        let (Ok(report), Ok(lean)) = (
            engine.evaluate(&profile, ctx.as_ref()),
            engine.outcomes(&profile, ctx.as_ref()),
        ) else {
            continue;
        };
        let name = &case.name;
        // The full report is the outcomes plus reasons: without them, the
        // two are equal, field for field.
        assert!(lean.programs.is_none(), "{name}");
        assert!(report.programs.is_some(), "{name}");
        assert!(report.referrals.iter().all(|r| r.why.is_some()), "{name}");
        assert!(report.warnings.iter().all(|w| w.why.is_some()), "{name}");
        assert!(report.transition.iter().all(|t| t.why.is_some()), "{name}");
        let mut stripped = report.clone();
        stripped.programs = None;
        stripped.referrals.iter_mut().for_each(|r| r.why = None);
        stripped.warnings.iter_mut().for_each(|w| w.why = None);
        stripped.transition.iter_mut().for_each(|t| t.why = None);
        assert_eq!(lean, stripped, "{name}");
        compared += 1;
    }
    assert!(compared >= 250, "compared only {compared} cases");
}

/// Cases name only what they are about: adding a referral or a warning that
/// fires for everyone, or a referral that is undetermined for everyone,
/// breaks no case except the golden ones marked `exact: true`, which demand
/// the whole report (and so must all break, which shows the new item is
/// really in every report).
#[test]
fn a_new_item_breaks_only_the_cases_about_it() {
    let extras = [
        (
            "a referral made for everyone",
            "referral everyone_referral \"For everyone\" {\n  routine when id is known\n}\n",
            "everyone_referral",
        ),
        (
            "a warning raised for everyone",
            "warning everyone_warning {\n  severity: info\n  when id is known\n  message: \"m\"\n}\n",
            "everyone_warning",
        ),
        (
            "a referral undetermined for everyone",
            "schema {\n  new_score: integer\n}\n\
             referral unknown_referral {\n  urgent when new_score > 3\n}\n",
            "unknown_referral",
        ),
    ];
    let cases = all_cases("tests/reference");
    let exact: HashSet<String> = cases
        .iter()
        .filter(|(_, c)| c.exact)
        .map(|(_, c)| c.name.clone())
        .collect();
    assert!(exact.len() >= 5, "expected a few golden cases");
    for (what, text, id) in extras {
        let mut sources: Vec<(&str, &str)> = careplan::REFERENCE_RULES.to_vec();
        sources.push(("rules/zz_extra.rules", text));
        let engine = careplan::load_sources(&sources, &careplan::LoadOptions::default())
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let mut failed = HashSet::new();
        let mut reported = 0;
        for (_, case) in &cases {
            let outcome = careplan::harness::cases::run(&engine, case);
            if !outcome.passed() {
                failed.insert(case.name.clone());
            }
            if let Some(r) = &outcome.report {
                let named = r.referrals.iter().any(|x| x.id == id)
                    || r.warnings.iter().any(|x| x.code == id)
                    || r.undetermined.iter().any(|x| x.id == id);
                assert!(
                    named,
                    "{what}: `{id}` is not in the report of {}",
                    case.name
                );
                reported += 1;
            }
        }
        assert!(reported >= 250, "{what}: only {reported} reports");
        let mut wrongly: Vec<&String> = failed.difference(&exact).collect();
        wrongly.sort();
        assert!(
            wrongly.is_empty(),
            "{what} breaks cases that do not name it: {wrongly:#?}"
        );
        assert_eq!(
            failed, exact,
            "{what}: every golden case compares the whole report"
        );
    }
}
