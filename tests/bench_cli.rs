//! `careplan bench`, as program designers run it: a reproducible population,
//! what fires, caseload demand, and the comparison of two rule sets.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod run;

use run::{careplan, root, scratch, stderr, stdout};
use serde_json::Value;
use std::path::PathBuf;

/// Small enough to run fast in a debug build.
const N: &str = "2000";

/// Runs `careplan bench … --format json`, expecting success.
fn bench_json(args: &[&str]) -> (String, Value) {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let o = careplan(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (text, v)
}

/// A copy of the reference rules with one edit.
fn edited_rules(name: &str, file: &str, from: &str, to: &str) -> PathBuf {
    let dir = scratch(name);
    for entry in std::fs::read_dir(root().join("rules")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rules") {
            let mut text = std::fs::read_to_string(&path).unwrap();
            if path.file_name().unwrap() == file {
                assert!(text.contains(from), "{from} not in {file}");
                text = text.replace(from, to);
            }
            std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
        }
    }
    dir
}

/// The JSON text without its `timing` object, which is the only part that
/// changes from run to run.
fn without_timing(text: &str) -> String {
    let start = text.find("\"timing\":").unwrap();
    let end = text.find("\"programs\":").unwrap();
    assert!(start < end);
    format!("{}{}", &text[..start], &text[end..])
}

/// Every `{count, percent}` in the document.
fn shares(v: &Value, out: &mut Vec<(u64, f64)>) {
    match v {
        Value::Object(m) => {
            if let (Some(c), Some(p)) = (m.get("count"), m.get("percent")) {
                out.push((c.as_u64().unwrap(), p.as_f64().unwrap()));
            }
            m.values().for_each(|x| shares(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| shares(x, out)),
        _ => {}
    }
}

fn program<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["programs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no program {id}"))
}

#[test]
fn the_same_seed_gives_the_same_json_except_timing() {
    let (a, va) = bench_json(&["--profiles", N, "--seed", "7"]);
    let (b, _) = bench_json(&["--profiles", N, "--seed", "7"]);
    assert_eq!(without_timing(&a), without_timing(&b));
    assert_eq!(va["population"]["evaluated"], 2000);
    assert_eq!(va["population"]["seed"], 7);
    let timing = &va["timing"];
    assert!(timing["decide"]["profiles_per_second"].as_u64().unwrap() > 0);
    assert!(timing["evaluate"]["profiles_per_second"].as_u64().unwrap() > 0);
    let l = &timing["decide"]["latency_ns"];
    let (p50, p90, p99, max) = (
        l["p50"].as_u64().unwrap(),
        l["p90"].as_u64().unwrap(),
        l["p99"].as_u64().unwrap(),
        l["max"].as_u64().unwrap(),
    );
    assert!(0 < p50 && p50 <= p90 && p90 <= p99 && p99 <= max, "{l}");
    // Keys in a stable order: the report's sections as documented
    // (`transitions` right after `programs`, for rules with a transition).
    let keys: Vec<&str> = va
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "transitions")
        .collect();
    assert_eq!(
        keys,
        [
            "rules",
            "population",
            "timing",
            "programs",
            "referrals",
            "warnings",
            "caseload_demand"
        ]
    );
}

#[test]
fn a_different_seed_gives_different_counts() {
    let (_, a) = bench_json(&["--profiles", N, "--seed", "1"]);
    let (_, b) = bench_json(&["--profiles", N, "--seed", "2"]);
    let counts = |v: &Value| {
        let mut s = Vec::new();
        shares(&v["programs"], &mut s);
        shares(&v["referrals"], &mut s);
        shares(&v["warnings"], &mut s);
        s.into_iter().map(|(c, _)| c).collect::<Vec<_>>()
    };
    assert_ne!(counts(&a), counts(&b));
}

#[test]
fn the_default_seed_is_1_and_the_default_rules_are_the_reference() {
    let (a, _) = bench_json(&["--profiles", "300"]);
    let (b, v) = bench_json(&["--profiles", "300", "--seed", "1", "--rules", "rules/"]);
    let rules_line = |t: &str| {
        t.lines()
            .find(|l| l.contains("\"source\""))
            .unwrap()
            .to_string()
    };
    assert_ne!(rules_line(&a), rules_line(&b), "the source names the rules");
    let body = |t: &str| without_timing(t)[t.find("\"population\"").unwrap()..].to_string();
    assert_eq!(body(&a), body(&b));
    assert_eq!(v["population"]["seed"], 1);
}

#[test]
fn percentages_are_between_0_and_100_and_match_their_counts() {
    let (_, v) = bench_json(&["--profiles", N]);
    let n = v["population"]["evaluated"].as_u64().unwrap();
    let mut all = Vec::new();
    shares(&v, &mut all);
    // 3 per program, 3 or 4 per referral, 2 per warning.
    assert!(all.len() > 40, "{}", all.len());
    for (count, percent) in all {
        assert!((0.0..=100.0).contains(&percent), "{percent}");
        assert!(count <= n);
        let exact = count as f64 * 100.0 / n as f64;
        assert!(
            (percent - exact).abs() <= 0.005 + 1e-9,
            "{count}/{n}: {percent}"
        );
    }
    // Something fires and something is undetermined: the population is not
    // degenerate.
    let acm = program(&v, "standard_case_management");
    assert!(acm["eligible"]["count"].as_u64().unwrap() > 0);
    assert!(acm["undetermined"]["count"].as_u64().unwrap() > 0);
    // A referral's priorities add up to its firing.
    for r in v["referrals"].as_array().unwrap() {
        let by: u64 = r["by_priority"]
            .as_object()
            .unwrap()
            .values()
            .map(|s| s["count"].as_u64().unwrap())
            .sum();
        assert_eq!(by, r["fired"]["count"].as_u64().unwrap(), "{r}");
    }
}

#[test]
fn caseload_demand_is_recommended_clients_over_the_limit_rounded_up() {
    let (_, v) = bench_json(&["--profiles", N]);
    let demand = v["caseload_demand"].as_array().unwrap();
    let limited = v["programs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["caseload_limit"].is_null())
        .count();
    assert_eq!(demand.len(), limited, "one line per program with a limit");
    assert!(limited > 0);
    for d in demand {
        let p = program(&v, d["program"].as_str().unwrap());
        let limit = d["caseload_limit"].as_u64().unwrap();
        let recommended = d["recommended"].as_u64().unwrap();
        assert_eq!(p["caseload_limit"].as_u64().unwrap(), limit);
        assert_eq!(p["recommended"]["count"].as_u64().unwrap(), recommended);
        assert_eq!(
            d["case_managers"].as_u64().unwrap(),
            recommended.div_ceil(limit),
            "{d}"
        );
    }
    // "fewer than 20" is at most 19.
    let icm = demand
        .iter()
        .find(|d| d["program"] == "intensive_case_management")
        .unwrap();
    assert_eq!(icm["caseload_limit"], 19);
}

#[test]
fn comparing_a_rule_set_with_itself_changes_nothing() {
    let (_, v) = bench_json(&["--profiles", N, "--rules", "rules/", "--compare", "rules/"]);
    let c = &v["compare"];
    assert_eq!(c["profiles"], 2000);
    assert_eq!(c["rejected"], 0);
    for kind in ["referrals", "warnings"] {
        for x in c[kind].as_array().unwrap() {
            assert_eq!(x["gained"], 0, "{x}");
            assert_eq!(x["lost"], 0, "{x}");
            assert_eq!(x["present"], "both");
        }
    }
    for p in c["programs"].as_array().unwrap() {
        for what in ["eligible", "recommended"] {
            assert_eq!(p[what]["gained"], 0, "{p}");
            assert_eq!(p[what]["lost"], 0, "{p}");
        }
    }
    for d in c["caseload_demand"].as_array().unwrap() {
        assert_eq!(d["change"], 0, "{d}");
        assert_eq!(d["base"], d["compared"]);
    }
    let o = careplan(&["bench", "--profiles", "500", "--compare", "rules/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("No client gains or loses any outcome."),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_lower_icm_threshold_only_gains_icm_clients() {
    let dir = edited_rules(
        "icm3",
        "programs.rules",
        "ed_visits_6m >= 4",
        "ed_visits_6m >= 3",
    );
    let (_, v) = bench_json(&["--profiles", N, "--compare", dir.to_str().unwrap()]);
    let c = &v["compare"];
    assert_eq!(c["rejected"], 0);
    let icm = c["programs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "intensive_case_management")
        .unwrap();
    assert!(icm["eligible"]["gained"].as_u64().unwrap() > 0, "{icm}");
    assert_eq!(icm["eligible"]["lost"], 0, "{icm}");
    assert!(icm["recommended"]["gained"].as_u64().unwrap() > 0, "{icm}");
    assert_eq!(icm["recommended"]["lost"], 0, "{icm}");
    // Nobody else's eligibility moves; standard case management loses at
    // most the clients intensive case management now takes.
    for p in c["programs"].as_array().unwrap() {
        if p["id"] != "intensive_case_management" {
            assert_eq!(p["eligible"]["gained"], 0, "{p}");
            assert_eq!(p["eligible"]["lost"], 0, "{p}");
        }
    }
    let scm = c["programs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "standard_case_management")
        .unwrap();
    assert!(
        scm["recommended"]["lost"].as_u64().unwrap()
            <= icm["recommended"]["gained"].as_u64().unwrap()
    );
    assert_eq!(scm["recommended"]["gained"], 0);
    // Case managers: the change is the difference of the two demands.
    let d = c["caseload_demand"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["program"] == "intensive_case_management")
        .unwrap();
    let base = d["base"]["case_managers"].as_i64().unwrap();
    let compared = d["compared"]["case_managers"].as_i64().unwrap();
    assert!(compared >= base);
    assert_eq!(d["change"].as_i64().unwrap(), compared - base);
    assert_eq!(
        d["compared"]["recommended"].as_u64().unwrap(),
        d["base"]["recommended"].as_u64().unwrap() + icm["recommended"]["gained"].as_u64().unwrap()
    );
}

#[test]
fn outcomes_are_matched_by_id_not_position() {
    // The compared rule set lists the same programs in another order (its
    // file name sorts first) and adds one: nothing of the others changes.
    let dir = edited_rules("reordered", "programs.rules", "", "");
    let programs = std::fs::read_to_string(dir.join("programs.rules")).unwrap();
    std::fs::remove_file(dir.join("programs.rules")).unwrap();
    let mut blocks: Vec<&str> = programs.split("\nprogram ").collect();
    let head = blocks.remove(0);
    blocks.reverse();
    let mut text = format!("{head}\nprogram {}", blocks.join("\nprogram "));
    text.push_str(
        "\nprogram peer_support \"Peer support\" {\n  intensity: 0\n  eligible when age >= 18\n  caseload: at most 25 per case manager\n}\n",
    );
    std::fs::write(dir.join("a_programs.rules"), text).unwrap();
    let (_, v) = bench_json(&["--profiles", "500", "--compare", dir.to_str().unwrap()]);
    let c = &v["compare"];
    for p in c["programs"].as_array().unwrap() {
        if p["id"] == "peer_support" {
            assert_eq!(p["present"], "compared");
            assert!(p["eligible"]["gained"].as_u64().unwrap() > 0, "{p}");
            assert_eq!(p["eligible"]["lost"], 0);
        } else {
            assert_eq!(p["present"], "both");
            assert_eq!(p["eligible"]["gained"], 0, "{p}");
            assert_eq!(p["eligible"]["lost"], 0, "{p}");
        }
    }
}

#[test]
fn input_bad_lines_are_counted_not_fatal() {
    let dir = scratch("input");
    let path = dir.join("clients.jsonl");
    std::fs::write(
        &path,
        concat!(
            "{\"id\": \"c-1\", \"age\": 40, \"needs\": [\"food\", \"legal\"]}\n",
            "{not json\n",
            "\n",
            "{\"id\": \"c-2\", \"age\": \"forty\"}\n",
            "{\"id\": \"c-3\", \"housing\": \"homeless\"}\n",
            "{\"id\": \"c-4\", \"age\": 70, \"needs\": [\"transportation\"]}\n",
        ),
    )
    .unwrap();
    let (_, v) = bench_json(&["--input", path.to_str().unwrap()]);
    let p = &v["population"];
    assert_eq!(p["source"], "input");
    assert_eq!(p["profiles"], 5, "blank lines are not profiles");
    assert_eq!(p["rejected"], 2);
    assert_eq!(p["evaluated"], 3);
    let lines: Vec<u64> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 4]);
    assert!(p["errors"][1]["error"].as_str().unwrap().contains("age"));
    let scm = program(&v, "standard_case_management");
    assert_eq!(scm["eligible"]["count"], 1);
    let housing = v["referrals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "housing_services")
        .unwrap();
    assert_eq!(housing["by_priority"]["urgent"]["count"], 1);
    // People read the same in the table.
    let o = careplan(&["bench", "--input", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("2 rejected"), "{out}");
    assert!(out.contains("line 2: invalid JSON"), "{out}");
}

/// Issue 13, item 10: a line that is not UTF-8 is one bad line, skipped
/// and counted with its line number, not the end of the run; so is a line
/// that gives a key twice (issue 13, item 6).
#[test]
fn issue13_10_a_line_that_is_not_utf8_is_skipped_and_counted() {
    let dir = scratch("input-bytes");
    let path = dir.join("clients.jsonl");
    let mut bytes = b"{\"id\": \"c-1\", \"age\": 40}\n".to_vec();
    bytes.extend_from_slice(b"{\"id\": \"c-\xff\xfe\"}\r\n");
    bytes.extend_from_slice(b"{\"id\": \"c-3\", \"age\": 30, \"age\": 80}\n");
    bytes.extend_from_slice(b"{\"id\": \"c-4\", \"age\": 70}\r\n");
    std::fs::write(&path, bytes).unwrap();
    let (_, v) = bench_json(&["--input", path.to_str().unwrap()]);
    let p = &v["population"];
    assert_eq!(p["profiles"], 4);
    assert_eq!(p["rejected"], 2);
    assert_eq!(p["evaluated"], 2);
    let errors = p["errors"].as_array().unwrap();
    assert_eq!(errors[0]["line"], 2);
    assert!(
        errors[0]["error"].as_str().unwrap().contains("not UTF-8"),
        "{p}"
    );
    assert_eq!(errors[1]["line"], 3);
    assert_eq!(errors[1]["error"], "field `age`: appears twice", "{p}");
}

#[test]
fn input_without_any_good_profile_is_an_error() {
    let dir = scratch("all-bad");
    let path = dir.join("bad.jsonl");
    std::fs::write(&path, "[1, 2]\nnope\n").unwrap();
    let o = careplan(&["bench", "--input", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no profile could be evaluated"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn human_output_is_a_table_without_a_progress_bar_off_a_terminal() {
    let o = careplan(&[
        "bench",
        "--profiles",
        "500",
        "--context",
        "examples/context.json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "",
        "no progress bar when stderr is not a terminal"
    );
    let out = stdout(&o);
    for needle in [
        "500 synthetic profiles (seed 1)",
        "decide",
        "evaluate (full report)",
        "case managers",
        "assertive_community_treatment",
        "housing_services",
        "caseload_full",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
}

#[test]
fn the_context_reaches_the_caseload_warnings() {
    let (_, without) = bench_json(&["--profiles", N]);
    let (_, with) = bench_json(&["--profiles", N, "--context", "examples/context.json"]);
    let raised = |v: &Value| {
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == "caseload_full")
            .unwrap()["raised"]["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(raised(&without), 0);
    assert!(raised(&with) > 0);
}

#[test]
fn bad_flags_and_paths_exit_2() {
    for args in [
        &["bench", "--profiles", "0"][..],
        &["bench", "--profiles", "many"],
        &["bench", "--profiles", "10", "--input", "x.jsonl"],
        &["bench", "--seed", "2", "--input", "x.jsonl"],
        &["bench", "--format", "xml"],
        &["bench", "--rules", "no/such/dir"],
        &["bench", "--compare", "no/such/dir"],
        &["bench", "--input", "no/such/file.jsonl"],
        &["bench", "--context", "no/such/context.json"],
    ] {
        let o = careplan(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?}");
    }
}

#[test]
fn rules_that_do_not_load_exit_1_with_their_diagnostics() {
    let dir = edited_rules(
        "broken",
        "programs.rules",
        "ed_visits_6m >= 4",
        "ed_visit_6m >= 4",
    );
    for args in [
        vec!["bench", "--rules", dir.to_str().unwrap()],
        vec![
            "bench",
            "--profiles",
            "10",
            "--compare",
            dir.to_str().unwrap(),
        ],
    ] {
        let o = careplan(&args);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("error["), "{err}");
        assert!(err.contains("programs.rules:"), "{err}");
        assert!(err.contains("the rule set has 1 error"), "{err}");
        assert_eq!(stdout(&o), "");
    }
}

/// Rules over time: three programs of falling intensity, the transition
/// with a minimum stay, a contact gap and a review interval per program,
/// and the two warnings that read them.
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
}

define client_age "Age" {
  value: first known of (age, years since birth_date)
}

program intensive "Intensive" {
  intensity: 3
  eligible when "serious_mental_illness" in diagnoses and client_age >= 18
  caseload: at most 10 per case manager
}

program rehabilitation "Rehabilitation" {
  intensity: 2
  eligible when diagnoses has any of {"brain_injury", "major_trauma", "dementia"}
}

program standard "Standard" {
  intensity: 1
  eligible when count(needs) >= 2
}

parameter minimum_stay_days "Minimum stay" {
  value: 180
}

transition "Continue, step up, step down or discharge" {
  current: current_program
  step down when days since enrolled_since >= minimum_stay_days
}

define review_days "Review interval" {
  value: if current_program is intensive then 90 else 180
}

define contact_gap_days "Contact gap" {
  value: if current_program is intensive then 7 else 45
}

warning reassessment_due "Reassessment due" {
  severity: warning
  when current_program is not none and days since last_assessment > review_days
  message: "m"
}

warning disengagement "Disengagement" {
  severity: warning
  when current_program is not none and days since last_contact > contact_gap_days
  message: "m"
}
"#;

/// `OVER_TIME` in a directory of its own, with one edit.
fn over_time(name: &str, from: &str, to: &str) -> String {
    let dir = scratch(name);
    assert!(OVER_TIME.contains(from), "{from}");
    std::fs::write(dir.join("rules.rules"), OVER_TIME.replace(from, to)).unwrap();
    dir.to_str().unwrap().to_string()
}

const ROWS: [&str; 6] = [
    "intake",
    "continue",
    "step_up",
    "step_down",
    "discharge",
    "undetermined",
];

/// The counts of a `transitions` object, in its order, with its rows.
fn transition_counts(t: &Value) -> Vec<(String, u64)> {
    t.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["count"].as_u64().unwrap()))
        .collect()
}

fn warning<'a>(v: &'a Value, id: &str) -> &'a Value {
    v.as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == id)
        .unwrap_or_else(|| panic!("no warning {id}"))
}

#[test]
fn transition_figures_count_every_client_once() {
    let rules = over_time("transitions", "", "");
    let (_, v) = bench_json(&["--rules", &rules, "--profiles", N, "--as-of", "2026-03-01"]);
    assert_eq!(v["population"]["as_of"], "2026-03-01");
    assert_eq!(v["population"]["rejected"], 0, "{}", v["population"]);
    let n = v["population"]["evaluated"].as_u64().unwrap();
    assert_eq!(n, 2000);
    let counts = transition_counts(&v["transitions"]);
    let rows: Vec<&str> = counts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(rows, ROWS);
    assert_eq!(counts.iter().map(|(_, c)| c).sum::<u64>(), n);
    // Intakes, and enrolled clients going each way.
    for (row, count) in &counts {
        assert!(*count > 0, "no {row}: {counts:?}");
    }
    // Right after the programs.
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    let at = keys.iter().position(|k| *k == "transitions").unwrap();
    assert_eq!(keys[at - 1], "programs");
    // Each warning with its count, the two over time among them.
    for id in ["reassessment_due", "disengagement"] {
        let w = warning(&v["warnings"], id);
        assert!(w["raised"]["count"].as_u64().unwrap() > 0, "{w}");
    }
}

#[test]
fn the_table_shows_the_transitions_and_warning_counts() {
    let rules = over_time("transitions-table", "", "");
    let o = careplan(&[
        "bench",
        "--rules",
        &rules,
        "--profiles",
        "1000",
        "--as-of",
        "2026-03-01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("as of 2026-03-01"), "{out}");
    let table: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Transitions"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(table.len(), 7, "{out}");
    let mut total = 0;
    for (line, row) in table[1..].iter().zip(ROWS) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], row, "{line}");
        total += words[1].replace(',', "").parse::<u64>().unwrap();
        assert!(words[2].ends_with('%'), "{line}");
    }
    assert_eq!(total, 1000);
    for id in ["reassessment_due", "disengagement"] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap();
        let count: u64 = line
            .split_whitespace()
            .nth(2)
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap();
        assert!(count > 0, "{line}");
    }
}

#[test]
fn rules_without_a_transition_have_no_transition_figures() {
    let rules = over_time(
        "no-transition",
        "transition \"Continue, step up, step down or discharge\" {\n  current: current_program\n  step down when days since enrolled_since >= minimum_stay_days\n}\n",
        "",
    );
    let (_, v) = bench_json(&[
        "--rules",
        &rules,
        "--profiles",
        "300",
        "--as-of",
        "2026-03-01",
    ]);
    assert!(v.get("transitions").is_none(), "{}", v["transitions"]);
    let o = careplan(&[
        "bench",
        "--rules",
        &rules,
        "--profiles",
        "300",
        "--as-of",
        "2026-03-01",
    ]);
    assert!(!stdout(&o).contains("Transitions"), "{}", stdout(&o));
}

#[test]
fn a_population_over_time_is_fixed_by_seed_and_date_and_never_in_the_future() {
    let rules = over_time("over-time-seed", "", "");
    let run = |seed: &str, as_of: &str| {
        bench_json(&[
            "--rules",
            &rules,
            "--profiles",
            "1000",
            "--seed",
            seed,
            "--as-of",
            as_of,
        ])
    };
    let (a, va) = run("3", "2026-03-01");
    let (b, _) = run("3", "2026-03-01");
    assert_eq!(without_timing(&a), without_timing(&b));
    let (_, other_seed) = run("4", "2026-03-01");
    assert_ne!(va["transitions"], other_seed["transitions"]);
    // Dates are placed relative to the evaluation date, whichever it is:
    // no profile has a date after it (which the schema would reject).
    for as_of in ["2024-02-29", "2026-03-01", "2031-12-31"] {
        let (_, v) = run("3", as_of);
        assert_eq!(
            v["population"]["rejected"], 0,
            "{as_of}: {}",
            v["population"]
        );
        assert_eq!(v["population"]["evaluated"], 1000);
    }
}

#[test]
fn compare_shows_both_sides_of_the_transitions_and_warnings() {
    let base = over_time("compare-base", "", "");
    // A shorter minimum stay lets more clients step down; a longer contact
    // gap raises disengagement for fewer.
    let shorter = over_time("compare-shorter", "value: 180\n", "value: 30\n");
    let shorter = {
        let text = std::fs::read_to_string(format!("{shorter}/rules.rules")).unwrap();
        let text = text.replace("then 7 else 45", "then 7 else 90");
        std::fs::write(format!("{shorter}/rules.rules"), text).unwrap();
        shorter
    };
    let (_, v) = bench_json(&[
        "--rules",
        &base,
        "--compare",
        &shorter,
        "--profiles",
        N,
        "--as-of",
        "2026-03-01",
    ]);
    let c = &v["compare"];
    let n = c["profiles"].as_u64().unwrap();
    assert_eq!(n, 2000);
    let t = &c["transitions"];
    let (b, o) = (
        transition_counts(&t["base"]),
        transition_counts(&t["compared"]),
    );
    for side in [&b, &o] {
        assert_eq!(
            side.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ROWS
        );
        assert_eq!(side.iter().map(|(_, c)| c).sum::<u64>(), n);
    }
    // The base side is the population's own figures.
    assert_eq!(b, transition_counts(&v["transitions"]));
    for ((row, cb), (_, co)) in b.iter().zip(&o) {
        assert_eq!(
            t["change"][row].as_i64().unwrap(),
            *co as i64 - *cb as i64,
            "{row}"
        );
    }
    let count = |side: &[(String, u64)], row: &str| side.iter().find(|(k, _)| k == row).unwrap().1;
    assert!(
        count(&o, "step_down") + count(&o, "discharge")
            > count(&b, "step_down") + count(&b, "discharge")
    );
    assert!(count(&o, "continue") < count(&b, "continue"));
    assert_eq!(count(&o, "intake"), count(&b, "intake"));
    assert!(t["changed"].as_u64().unwrap() >= count(&b, "continue") - count(&o, "continue"));
    // Warnings: both sides and the clients who gained or lost each.
    let w = warning(&c["warnings"], "disengagement");
    let (wb, wo) = (w["base"].as_u64().unwrap(), w["compared"].as_u64().unwrap());
    assert!(wo < wb, "{w}");
    assert_eq!(
        wb,
        warning(&v["warnings"], "disengagement")["raised"]["count"]
            .as_u64()
            .unwrap()
    );
    assert_eq!(w["gained"], 0);
    assert_eq!(w["lost"].as_u64().unwrap(), wb - wo);
    let r = warning(&c["warnings"], "reassessment_due");
    assert_eq!(r["base"], r["compared"]);
    // People read the same.
    let o = careplan(&[
        "bench",
        "--rules",
        &base,
        "--compare",
        &shorter,
        "--profiles",
        N,
        "--as-of",
        "2026-03-01",
    ]);
    let out = stdout(&o);
    assert!(out.contains("Transitions (clients)"), "{out}");
    assert!(out.contains("with another transition"), "{out}");
    let line = out
        .lines()
        .skip_while(|l| !l.starts_with("Warnings (clients)"))
        .find(|l| l.trim_start().starts_with("disengagement"))
        .unwrap();
    let sides = format!("{wb} → {wo} (-{})", wb - wo);
    assert!(line.contains(&sides), "{line}");
}
