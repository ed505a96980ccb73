//! The review since the last report (`careplan::review`, `careplan eval
//! --previous`): one client evaluated twice with the reference policy, each
//! list of the review asserted whole; the errors; the CLI's text and JSON.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

#[cfg(feature = "cli")]
mod run;

use careplan::review::{
    PreviousReport, PriorityChange, ReferralEntry, Review, ReviewError, TransitionEntry,
    UndeterminedEntry, WarningEntry,
};
use careplan::{Kind, Priority, Severity, TransitionKind};
use jiff::civil::date;
use serde_json::{Value, json};

/// Client c-7 on 2025-09-01: three admissions and unstable housing (so
/// assertive community treatment), a moderate PHQ-9, a risk of violence at
/// home visits; income, insurance, medication adherence and domestic
/// violence not yet asked.
fn first_visit() -> Value {
    json!({
        "id": "c-7", "age": 45, "housing": "unstable",
        "diagnoses": ["serious_mental_illness", "substance_use_disorder"],
        "hospital_admissions_12m": 3, "ed_visits_6m": 2, "phq9": 14,
        "needs": ["housing", "food"], "violence_risk": true
    })
}

/// The same client on 2026-03-01: two admissions (so intensive case
/// management), now homeless, no longer in need of food, no risk at home
/// visits; income, insurance, adherence and domestic violence now known;
/// the ED visits and the PHQ-9 not given this time.
fn second_visit() -> Value {
    json!({
        "id": "c-7", "age": 45, "housing": "homeless",
        "diagnoses": ["serious_mental_illness", "substance_use_disorder"],
        "hospital_admissions_12m": 2,
        "monthly_income": 900, "household_size": 1, "insurance": "none",
        "medication_adherence": 0.5, "needs": ["housing"],
        "violence_risk": false, "domestic_violence": false
    })
}

/// The report of `profile` on `day`, kept as JSON the way a case system
/// would keep `careplan eval --format json`, and read back.
fn kept(engine: &careplan::Engine, profile: &Value, day: jiff::civil::Date) -> PreviousReport {
    let mut p = engine.profile(profile).unwrap();
    p.as_of = day;
    PreviousReport::from_json(&engine.evaluate(&p, None).unwrap().to_json()).unwrap()
}

fn referral(id: &str, priority: Priority) -> ReferralEntry {
    ReferralEntry {
        id: id.into(),
        priority,
    }
}

fn warning(code: &str) -> WarningEntry {
    WarningEntry {
        code: code.into(),
        severity: Severity::Warning,
    }
}

fn undetermined(kind: Kind, id: &str, missing: &[&str]) -> UndeterminedEntry {
    UndeterminedEntry {
        kind,
        id: id.into(),
        missing: missing.iter().map(|m| m.to_string()).collect(),
    }
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

#[test]
fn one_client_over_two_evaluations() {
    let engine = careplan::reference().unwrap();
    let previous = kept(&engine, &first_visit(), date(2025, 9, 1));
    let mut profile = engine.profile(&second_visit()).unwrap();
    profile.as_of = date(2026, 3, 1);
    let now = engine.evaluate(&profile, None).unwrap();
    let review = Review::between(&previous, &now).unwrap();

    assert_eq!(review.since, date(2025, 9, 1));
    assert_eq!(review.days, 181);
    assert!(!review.rules_changed);
    assert_eq!(
        review.program.before.as_deref(),
        Some("assertive_community_treatment")
    );
    assert_eq!(
        review.program.after.as_deref(),
        Some("intensive_case_management")
    );
    assert!(review.program.changed);
    assert_eq!(
        review.referrals.opened,
        [
            referral("medicaid_enrollment", Priority::Routine),
            referral("medication_support", Priority::Routine)
        ]
    );
    // behavioral_health was made and is now undetermined (no PHQ-9): not
    // closed, but newly undetermined.
    assert_eq!(
        review.referrals.closed,
        [referral("food_assistance", Priority::Routine)]
    );
    assert_eq!(
        review.referrals.priority_changed,
        [PriorityChange {
            id: "housing_services".into(),
            before: Priority::Routine,
            after: Priority::Urgent
        }]
    );
    assert_eq!(
        review.warnings.raised,
        [warning("dual_diagnosis_limited_benefit")]
    );
    assert_eq!(review.warnings.cleared, [warning("home_visit_safety")]);
    assert_eq!(
        review.undetermined.resolved,
        [
            undetermined(
                Kind::Referral,
                "medicaid_enrollment",
                &["monthly_income", "household_size", "insurance"]
            ),
            undetermined(
                Kind::Referral,
                "medication_support",
                &["medication_adherence"]
            ),
            undetermined(
                Kind::Referral,
                "domestic_violence_services",
                &["domestic_violence"]
            ),
        ]
    );
    assert_eq!(
        review.undetermined.new,
        [undetermined(Kind::Referral, "behavioral_health", &["phq9"])]
    );
    assert_eq!(
        review.fields.known,
        strings(&[
            "monthly_income",
            "household_size",
            "insurance",
            "medication_adherence",
            "domestic_violence"
        ])
    );
    assert_eq!(review.fields.lost, strings(&["ed_visits_6m", "phq9"]));
    assert!(!review.is_empty());
}

#[test]
fn the_same_data_again_is_an_empty_review() {
    let engine = careplan::reference().unwrap();
    let previous = kept(&engine, &second_visit(), date(2026, 1, 15));
    let mut profile = engine.profile(&second_visit()).unwrap();
    profile.as_of = date(2026, 3, 1);
    let now = engine.evaluate(&profile, None).unwrap();
    let review = Review::between(&previous, &now).unwrap();
    assert!(review.is_empty(), "{review:?}");
    assert_eq!(review.days, 45);
}

/// Two programs and a transition with a 180-day minimum stay: enough for
/// a client to continue, step down, or have an undetermined transition.
const TRANSITION_RULES: &str = r#"schema {
  id: text
  current_program: program default none because "no enrollment on record is an intake"
  enrolled_since: date not in the future "start of the current enrollment"
  level: integer
}

parameter minimum_stay_days "Minimum stay before a step down" {
  value: 180
}

program high "High" {
  intensity: 2
  eligible when level >= 2
}

program low "Low" {
  intensity: 1
  eligible when level >= 1
}

transition "Where the plan goes" {
  current: current_program
  step down when days since enrolled_since >= minimum_stay_days
}
"#;

fn transition_engine() -> careplan::Engine {
    careplan::load_sources(&[("t.rules", TRANSITION_RULES)], &Default::default()).unwrap()
}

fn step_down() -> TransitionEntry {
    TransitionEntry {
        kind: TransitionKind::StepDown,
        from: "high".into(),
        to: Some("low".into()),
    }
}

#[test]
fn transition_continue_then_step_down() {
    let engine = transition_engine();
    let enrolled = json!({"id": "c-1", "current_program": "high", "enrolled_since": "2025-09-01"});
    let mut first = enrolled.clone();
    first["level"] = json!(2);
    let previous = kept(&engine, &first, date(2026, 1, 15));
    let mut second = enrolled;
    second["level"] = json!(1);
    let mut profile = engine.profile(&second).unwrap();
    profile.as_of = date(2026, 3, 1);
    let now = engine.evaluate(&profile, None).unwrap();
    let review = Review::between(&previous, &now).unwrap();
    assert_eq!(
        review.transition.before,
        Some(TransitionEntry {
            kind: TransitionKind::Continue,
            from: "high".into(),
            to: Some("high".into()),
        })
    );
    assert_eq!(review.transition.after, Some(step_down()));
    assert!(review.transition.changed);
}

/// Enrolled 2025-09-01 and recommended a lower program: without the
/// enrolment date the step down is undetermined; with it, decided.
#[test]
fn an_undetermined_transition_resolved() {
    let engine = transition_engine();
    let first = json!({"id": "c-1", "current_program": "high", "level": 1});
    let previous = kept(&engine, &first, date(2026, 1, 15));
    let mut second = first;
    second["enrolled_since"] = json!("2025-09-01");
    let mut profile = engine.profile(&second).unwrap();
    profile.as_of = date(2026, 3, 1);
    let now = engine.evaluate(&profile, None).unwrap();
    let review = Review::between(&previous, &now).unwrap();
    assert_eq!(review.transition.before, None);
    assert_eq!(review.transition.after, Some(step_down()));
    assert_eq!(
        review.undetermined.resolved,
        [undetermined(
            Kind::Transition,
            "transition",
            &["enrolled_since"]
        )]
    );
    assert_eq!(review.undetermined.new, []);
    assert_eq!(review.fields.known, strings(&["enrolled_since"]));
}

#[test]
fn another_clients_report_is_an_error() {
    let engine = careplan::reference().unwrap();
    let mut other = second_visit();
    other["id"] = json!("c-8");
    let previous = kept(&engine, &other, date(2026, 1, 15));
    let now = engine.evaluate_json(&second_visit(), None).unwrap();
    let err = Review::between(&previous, &now).unwrap_err();
    assert_eq!(
        err,
        ReviewError::OtherClient {
            previous: Some("c-8".into()),
            current: Some("c-7".into())
        }
    );
    assert_eq!(
        err.to_string(),
        "the previous report is for client `c-8`, not `c-7`"
    );
}

#[test]
fn a_previous_report_dated_after_the_evaluation_is_an_error() {
    let engine = careplan::reference().unwrap();
    let previous = kept(&engine, &second_visit(), date(2026, 3, 2));
    let mut profile = engine.profile(&second_visit()).unwrap();
    profile.as_of = date(2026, 3, 1);
    let now = engine.evaluate(&profile, None).unwrap();
    let err = Review::between(&previous, &now).unwrap_err();
    assert_eq!(
        err,
        ReviewError::Later {
            previous: date(2026, 3, 2),
            current: date(2026, 3, 1)
        }
    );
}

#[test]
fn a_report_without_as_of_or_known_fields_is_refused_naming_the_key() {
    let engine = careplan::reference().unwrap();
    let report: Value = serde_json::from_str(
        &engine
            .evaluate_json(&second_visit(), None)
            .unwrap()
            .to_json(),
    )
    .unwrap();
    for key in ["as_of", "known_fields"] {
        let mut without = report.clone();
        without.as_object_mut().unwrap().remove(key);
        let err = PreviousReport::from_json(&without.to_string()).unwrap_err();
        assert!(
            err.to_string().contains(&format!("missing field `{key}`")),
            "{err}"
        );
    }
}

#[cfg(feature = "cli")]
mod cli {
    use super::{first_visit, second_visit};
    use crate::run::{careplan, scratch, stderr, stdout};

    /// The two visits' profiles and the first one's JSON report, written
    /// to a scratch folder.
    fn files(name: &str) -> std::path::PathBuf {
        let dir = scratch(name);
        std::fs::write(dir.join("first.json"), first_visit().to_string()).unwrap();
        std::fs::write(dir.join("second.json"), second_visit().to_string()).unwrap();
        let first = dir.join("first.json");
        let o = careplan(&[
            "eval",
            first.to_str().unwrap(),
            "--as-of",
            "2025-09-01",
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::write(dir.join("report.json"), &o.stdout).unwrap();
        dir
    }

    fn path(dir: &std::path::Path, name: &str) -> String {
        dir.join(name).to_str().unwrap().to_string()
    }

    #[test]
    fn previous_text_adds_a_section_after_the_report() {
        let dir = files("text");
        let o = careplan(&[
            "eval",
            &path(&dir, "second.json"),
            "--as-of",
            "2026-03-01",
            "--previous",
            &path(&dir, "report.json"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        let (report, section) = out
            .split_once("\nSince the last report (2025-09-01, 181 days ago):\n")
            .unwrap_or_else(|| panic!("{out}"));
        assert!(report.starts_with("Client c-7"), "{out}");
        assert_eq!(
            section,
            "  recommended program: assertive_community_treatment -> intensive_case_management\n\
             \x20 referral opened: medicaid_enrollment (routine)\n\
             \x20 referral opened: medication_support (routine)\n\
             \x20 referral closed: food_assistance (was routine)\n\
             \x20 referral priority: housing_services routine -> urgent\n\
             \x20 warning raised: dual_diagnosis_limited_benefit (warning)\n\
             \x20 warning cleared: home_visit_safety (was warning)\n\
             \x20 now decided: referral medicaid_enrollment\n\
             \x20 now decided: referral medication_support\n\
             \x20 now decided: referral domestic_violence_services\n\
             \x20 now undetermined: referral behavioral_health, needs phq9\n\
             \x20 fields now known: monthly_income, household_size, insurance, medication_adherence, domestic_violence\n\
             \x20 fields no longer known: ed_visits_6m, phq9\n"
        );
    }

    #[test]
    fn previous_text_says_when_nothing_changed() {
        let dir = files("same");
        let o = careplan(&[
            "eval",
            &path(&dir, "first.json"),
            "--as-of",
            "2025-09-01",
            "--previous",
            &path(&dir, "report.json"),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).ends_with(
                "\nSince the last report (2025-09-01, the same day):\n  nothing changed\n"
            ),
            "{}",
            stdout(&o)
        );
    }

    #[test]
    fn previous_json_adds_a_review_key_at_the_end() {
        let dir = files("json");
        for detail in ["full", "outcomes"] {
            let o = careplan(&[
                "eval",
                &path(&dir, "second.json"),
                "--as-of",
                "2026-03-01",
                "--format",
                "json",
                "--detail",
                detail,
                "--previous",
                &path(&dir, "report.json"),
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
            assert_eq!(keys.last().unwrap().as_str(), "review", "{detail}");
            let review = &v["review"];
            assert_eq!(review["since"], "2025-09-01");
            assert_eq!(review["days"], 181);
            assert_eq!(
                review["program"],
                serde_json::json!({
                    "before": "assertive_community_treatment",
                    "after": "intensive_case_management",
                    "changed": true
                })
            );
            assert_eq!(
                review["referrals"]["priority_changed"],
                serde_json::json!([{"id": "housing_services", "before": "routine", "after": "urgent"}])
            );
            assert_eq!(
                review["fields"]["lost"],
                serde_json::json!(["ed_visits_6m", "phq9"])
            );
        }
    }

    #[test]
    fn previous_errors_exit_2_naming_the_file() {
        let dir = files("errors");
        let mut other = second_visit();
        other["id"] = serde_json::json!("c-8");
        std::fs::write(dir.join("other.json"), other.to_string()).unwrap();
        let o = careplan(&[
            "eval",
            &path(&dir, "other.json"),
            "--as-of",
            "2025-09-01",
            "--format",
            "json",
        ]);
        std::fs::write(dir.join("other-report.json"), &o.stdout).unwrap();
        let second = path(&dir, "second.json");
        let cases = [
            // (previous, evaluation date, what the message says)
            ("missing.json", "2026-03-01", "cannot read"),
            (
                "first.json",
                "2026-03-01",
                "not a report: missing field `client`",
            ),
            (
                "other-report.json",
                "2026-03-01",
                "the previous report is for client `c-8`, not `c-7`",
            ),
            (
                "report.json",
                "2025-08-31",
                "the previous report is dated 2025-09-01, after the evaluation date 2025-08-31",
            ),
        ];
        for (file, as_of, says) in cases {
            let previous = path(&dir, file);
            let o = careplan(&["eval", &second, "--as-of", as_of, "--previous", &previous]);
            assert_eq!(o.status.code(), Some(2), "{file}: {}", stderr(&o));
            assert!(
                stderr(&o).contains(&format!("`{previous}`")),
                "{file}: {}",
                stderr(&o)
            );
            assert!(stderr(&o).contains(says), "{file}: {}", stderr(&o));
            assert!(o.stdout.is_empty(), "{file}");
        }
    }

    #[test]
    fn previous_is_refused_for_a_batch() {
        let dir = files("batch");
        std::fs::write(dir.join("batch.jsonl"), second_visit().to_string() + "\n").unwrap();
        let o = careplan(&[
            "eval",
            &path(&dir, "batch.jsonl"),
            "--previous",
            &path(&dir, "report.json"),
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(".jsonl batch"), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
}
