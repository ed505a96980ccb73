//! The report's JSON contract, `docs/report.schema.json` (JSON Schema draft
//! 2020-12): every reference case's report, full and lean, and a report
//! with a review validate against it; a report that breaks the contract
//! does not.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod inputs;
#[cfg(feature = "cli")]
mod run;

use careplan::harness::cases::CaseFile;
use serde_json::{Value, json};
use std::path::Path;

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The validator, checking `format` (dates) too.
fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema())
        .unwrap_or_else(|e| panic!("docs/report.schema.json: {e}"))
}

/// What is wrong with `report`, one line per error; empty when it is valid.
fn errors(validator: &jsonschema::Validator, report: &Value) -> Vec<String> {
    validator
        .iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// A report as a consumer reads it: its JSON text, parsed.
fn json_of(report: &careplan::Report) -> Value {
    serde_json::from_str(&report.to_json()).unwrap()
}

#[test]
fn the_schema_is_a_draft_2020_12_schema_of_report_version_2() {
    let schema = schema();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "{:?}",
        jsonschema::meta::validate(&schema)
    );
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema["$id"].as_str().unwrap().ends_with("/report/2"));
    assert!(
        schema["description"]
            .as_str()
            .unwrap()
            .contains("\"version\": 2")
    );
}

#[test]
fn every_reference_case_report_validates() {
    let engine = careplan::reference().unwrap();
    let validator = validator();
    let mut failures = Vec::new();
    let (mut cases, mut error_cases, mut skipped, mut validated) = (0, 0, 0, 0);
    for path in inputs::case_files("tests/reference") {
        let file: CaseFile =
            serde_yaml_ng::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in &file.cases {
            cases += 1;
            error_cases += usize::from(case.error.is_some());
            // A profile or context the engine refuses (when read, or when
            // checked against the evaluation date) has no report.
            let reports = (|| {
                let mut profile = engine.profile(&case.profile).ok()?;
                if let Some(d) = case.as_of.or(file.as_of) {
                    profile.as_of = d;
                }
                let caseloads = match &case.context {
                    Some(c) => Some(engine.caseloads(c).ok()?),
                    None => None,
                };
                let full = engine.evaluate(&profile, caseloads.as_ref()).ok()?;
                let lean = engine.outcomes(&profile, caseloads.as_ref()).ok()?;
                Some([("full", json_of(&full)), ("outcomes", json_of(&lean))])
            })();
            let Some(reports) = reports else {
                skipped += 1;
                continue;
            };
            for (form, report) in reports {
                validated += 1;
                for e in errors(&validator, &report) {
                    failures.push(format!(
                        "{} :: {} ({form}): {e}",
                        path.file_name().unwrap().to_string_lossy(),
                        case.name
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} errors in {validated} reports:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("validated {validated} reports of {cases} cases ({skipped} input errors)");
    // Only the cases that expect an input error give no report; every
    // other case gives two (full and lean).
    assert_eq!(
        (skipped, validated),
        (error_cases, 2 * (cases - error_cases)),
        "{cases} cases, {error_cases} expecting an input error: \
         validated {validated} reports, skipped {skipped} cases"
    );
}

/// Two programs and a transition: a rule set whose reports have every
/// kind of transition, and undetermined ones (the bundled rules of version
/// 1 have none).
const TRANSITION_RULES: &str = r#"schema {
  id: text
  current_program: program default none because "no enrollment on record is an intake"
  enrolled_since: date not in the future "start of the current enrollment"
  level: integer
}

program high "High" {
  intensity: 2
  eligible when level >= 2
}

program low "Low" {
  intensity: 1
  eligible when level = 1
}

transition "Where the plan goes" {
  current: current_program
  step down when days since enrolled_since >= 180
}
"#;

#[test]
fn reports_with_every_kind_of_transition_validate() {
    let engine =
        careplan::load_sources(&[("t.rules", TRANSITION_RULES)], &Default::default()).unwrap();
    let validator = validator();
    let enrolled = |program: &str, level: Option<u32>, since: Option<&str>| {
        let mut p = json!({"id": "c-1", "current_program": program});
        if let Some(l) = level {
            p["level"] = json!(l);
        }
        if let Some(s) = since {
            p["enrolled_since"] = json!(s);
        }
        p
    };
    let profiles = [
        ("continue", enrolled("high", Some(2), Some("2025-09-01"))),
        ("step_up", enrolled("low", Some(2), Some("2025-09-01"))),
        ("step_down", enrolled("high", Some(1), Some("2025-09-01"))),
        ("discharge", enrolled("low", Some(0), Some("2025-09-01"))),
        ("undetermined", enrolled("high", None, Some("2025-09-01"))),
        ("intake", enrolled("none", Some(2), None)),
    ];
    let mut validated = 0;
    for (name, p) in profiles {
        let mut profile = engine.profile(&p).unwrap();
        profile.as_of = jiff::civil::date(2026, 3, 1);
        let full = json_of(&engine.evaluate(&profile, None).unwrap());
        let lean = json_of(&engine.outcomes(&profile, None).unwrap());
        // Each profile gives the transition it is named after.
        let undetermined = full["undetermined"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["kind"] == "transition");
        let what = match full["transition"]["kind"].as_str() {
            Some(kind) => kind,
            None if undetermined => "undetermined",
            None => "intake",
        };
        assert_eq!(what, name, "{full}");
        for (form, report) in [("full", full), ("outcomes", lean)] {
            validated += 1;
            assert_eq!(
                errors(&validator, &report),
                Vec::<String>::new(),
                "{name} ({form})"
            );
        }
    }
    assert_eq!(validated, 12, "validated {validated} reports");
}

/// A lean report of the reference policy, valid, for the tests below to
/// break.
fn lean_report() -> Value {
    let engine = careplan::reference().unwrap();
    let profile = engine
        .profile(&json!({"id": "c-1", "age": 40, "housing": "homeless"}))
        .unwrap();
    json_of(&engine.outcomes(&profile, None).unwrap())
}

#[test]
fn a_wrong_transition_kind_is_rejected() {
    let validator = validator();
    let mut report = lean_report();
    report["transition"] = json!({
        "kind": "step_down",
        "from": "intensive_case_management",
        "to": "standard_case_management"
    });
    assert_eq!(errors(&validator, &report), Vec::<String>::new());
    report["transition"]["kind"] = json!("jump");
    let found = errors(&validator, &report);
    assert!(
        found.iter().any(|e| e.starts_with("/transition")),
        "{found:?}"
    );
}

#[test]
fn a_report_without_as_of_is_rejected() {
    let validator = validator();
    let mut report = lean_report();
    assert_eq!(errors(&validator, &report), Vec::<String>::new());
    report.as_object_mut().unwrap().remove("as_of");
    let found = errors(&validator, &report);
    assert!(found.iter().any(|e| e.contains("\"as_of\"")), "{found:?}");
}

/// The JSON `careplan eval --previous` prints, full and lean, with a review
/// that has changes in most of its lists.
#[cfg(feature = "cli")]
#[test]
fn a_report_with_a_review_validates() {
    use run::{careplan, scratch, stderr};
    let dir = scratch("review");
    let first = json!({
        "id": "c-7", "age": 45, "housing": "unstable",
        "diagnoses": ["serious_mental_illness", "substance_use_disorder"],
        "hospital_admissions_12m": 3, "ed_visits_6m": 2, "phq9": 14,
        "needs": ["housing", "food"], "violence_risk": true
    });
    let second = json!({
        "id": "c-7", "age": 45, "housing": "homeless",
        "diagnoses": ["serious_mental_illness", "substance_use_disorder"],
        "hospital_admissions_12m": 2, "monthly_income": 900, "household_size": 1,
        "insurance": "none", "medication_adherence": 0.5, "needs": ["housing"],
        "violence_risk": false, "domestic_violence": false
    });
    let (first_path, second_path, report_path) = (
        dir.join("first.json"),
        dir.join("second.json"),
        dir.join("report.json"),
    );
    std::fs::write(&first_path, first.to_string()).unwrap();
    std::fs::write(&second_path, second.to_string()).unwrap();
    let o = careplan(&[
        "eval",
        first_path.to_str().unwrap(),
        "--as-of",
        "2025-09-01",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(&report_path, &o.stdout).unwrap();
    let validator = validator();
    for detail in ["full", "outcomes"] {
        let o = careplan(&[
            "eval",
            second_path.to_str().unwrap(),
            "--as-of",
            "2026-03-01",
            "--format",
            "json",
            "--detail",
            detail,
            "--previous",
            report_path.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let report: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(report["review"]["program"]["changed"] == true, "{report}");
        assert_eq!(
            errors(&validator, &report),
            Vec::<String>::new(),
            "{detail}"
        );
    }
}

/// A review whose transition kept its reasons is not the review's shape:
/// the review's transitions are bare (`kind`, `from`, `to`).
#[test]
fn a_review_transition_with_reasons_is_rejected() {
    let validator = validator();
    let mut report = lean_report();
    let bare = json!({"kind": "continue", "from": "intensive_case_management", "to": "intensive_case_management"});
    report["review"] = json!({
        "since": "2026-01-15", "days": 45, "rules_changed": false,
        "program": {"before": null, "after": null, "changed": false},
        "transition": {"before": bare, "after": bare, "changed": false},
        "referrals": {"opened": [], "closed": [], "priority_changed": []},
        "warnings": {"raised": [], "cleared": []},
        "undetermined": {"resolved": [], "new": []},
        "fields": {"known": [], "lost": []}
    });
    assert_eq!(errors(&validator, &report), Vec::<String>::new());
    report["review"]["transition"]["after"]["reason"] = json!("stays");
    let found = errors(&validator, &report);
    assert!(
        found.iter().any(|e| e.starts_with("/review/transition")),
        "{found:?}"
    );
}
