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
    // Keys in a stable order: the report's sections as documented.
    let keys: Vec<&String> = va.as_object().unwrap().keys().collect();
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
    assert_eq!(demand.len(), 3, "every reference program has a limit");
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
