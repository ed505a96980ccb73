//! The `careplan` binary, as users run it: formats, batches, exit codes,
//! hostile input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod run;

use run::{careplan, careplan_stdin, root, scratch, stderr, stdout};
use std::process::Output;

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The text of `key` in each element of a JSON list: the ids of a report's
/// referrals, the codes of its warnings.
fn each<'v>(list: &'v serde_json::Value, key: &str) -> Vec<&'v str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|x| {
            x[key]
                .as_str()
                .unwrap_or_else(|| panic!("no text `{key}` in {x}"))
        })
        .collect()
}

#[test]
fn eval_example_human() {
    let o = careplan(&["eval", "--rules", "rules/", "examples/client.json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Client c-001"), "{out}");
    assert!(
        out.contains("Recommended program: intensive_case_management"),
        "{out}"
    );
    assert!(out.contains("URGENT   housing_services"), "{out}");
    assert!(
        out.contains("referral domestic_violence_services: needs domestic_violence"),
        "{out}"
    );
}

#[test]
fn eval_json_matches_the_library_and_the_built_in_rules() {
    let with_dir = careplan(&[
        "eval",
        "--rules",
        "rules/",
        "examples/client.json",
        "--format",
        "json",
    ]);
    let built_in = careplan(&["eval", "examples/client.json", "--format", "json"]);
    assert!(with_dir.status.success());
    assert_eq!(json(&with_dir), json(&built_in));
    let engine = careplan::reference().unwrap();
    let profile: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/client.json")).unwrap(),
    )
    .unwrap();
    let report = engine.evaluate_json(&profile, None).unwrap();
    assert_eq!(json(&with_dir), serde_json::to_value(&report).unwrap());
}

#[test]
fn context_makes_the_alternative() {
    let o = careplan(&[
        "eval",
        "examples/client.json",
        "--context",
        "examples/context.json",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["recommended_program"], "intensive_case_management");
    assert_eq!(v["alternative_program"], "standard_case_management");
    let codes = each(&v["warnings"], "code");
    assert!(codes.contains(&"caseload_full"), "{codes:?}");
}

#[test]
fn yaml_toml_and_stdin_give_the_same_report() {
    let dir = scratch("formats");
    std::fs::write(
        dir.join("c.yaml"),
        "id: c-9\nage: 70\nneeds: [food, legal]\nmonthly_income: 1835.40\nhousehold_size: 1\ninsurance: none\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("c.toml"),
        "id = \"c-9\"\nage = 70\nneeds = [\"food\", \"legal\"]\nmonthly_income = 1835.40\nhousehold_size = 1\ninsurance = \"none\"\n",
    )
    .unwrap();
    let j = r#"{"id":"c-9","age":70,"needs":["food","legal"],"monthly_income":1835.40,"household_size":1,"insurance":"none"}"#;
    let y = careplan(&[
        "eval",
        dir.join("c.yaml").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let t = careplan(&[
        "eval",
        dir.join("c.toml").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let s = careplan_stdin(&["eval", "-", "--format", "json"], j.as_bytes());
    assert!(
        y.status.success() && t.status.success() && s.status.success(),
        "{}{}{}",
        stderr(&y),
        stderr(&t),
        stderr(&s)
    );
    assert_eq!(json(&y), json(&s));
    assert_eq!(json(&t), json(&s));
    // At the limit exactly: referred.
    let v = json(&s);
    let ids = each(&v["referrals"], "id");
    assert!(ids.contains(&"medicaid_enrollment"), "{ids:?}");
}

#[test]
fn digits_beyond_binary_precision_still_count() {
    // As f64 this number is 1835.4, exactly at the limit; as written it is
    // above it, so the client is not referred.
    let j = r#"{"id":"c","monthly_income":1835.40000000000000001,"household_size":1,"insurance":"none"}"#;
    let o = careplan_stdin(&["eval", "-", "--format", "json"], j.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert!(
        !each(&v["referrals"], "id").contains(&"medicaid_enrollment"),
        "{v}"
    );
}

#[test]
fn jsonl_batch_keeps_order_and_survives_a_bad_line() {
    let dir = scratch("jsonl");
    let path = dir.join("batch.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"id":"a","age":70}"#,
            "\n",
            r#"{"id":"b","age":"forty"}"#,
            "\n",
            "\n",
            "{not json\n",
            r#"{"id":"c","age":10}"#,
            "\n"
        ),
    )
    .unwrap();
    let o = careplan(&["eval", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "a batch with bad lines exits 1");
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["client"], "a");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[1]["field"], "age");
    assert_eq!(lines[2]["line"], 4);
    assert!(lines[2]["error"].as_str().unwrap().contains("invalid JSON"));
    assert_eq!(lines[3]["client"], "c");
}

#[test]
fn jsonl_outcomes_say_what_the_full_reports_say() {
    let dir = scratch("jsonl-outcomes");
    let path = dir.join("batch.jsonl");
    std::fs::write(
        &path,
        concat!(
            r#"{"id":"a","age":30,"diagnoses":["serious_mental_illness"],"hospital_admissions_12m":3,"housing":"homeless"}"#,
            "\n",
            r#"{"id":"b","age":"forty"}"#,
            "\n",
            r#"{"id":"c","age":70,"phq9":12,"insurance":"none"}"#,
            "\n"
        ),
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let full = careplan(&["eval", p, "--format", "json"]);
    let lean = careplan(&["eval", p, "--format", "json", "--detail", "outcomes"]);
    assert_eq!(full.status.code(), Some(1));
    assert_eq!(lean.status.code(), Some(1));
    let parse = |o: &std::process::Output| -> Vec<serde_json::Value> {
        stdout(o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (full, lean) = (parse(&full), parse(&lean));
    assert_eq!(lean.len(), 3);
    // The error line is the same; the reports agree on every key the lean
    // one has, and the lean one has no reasons.
    assert_eq!(lean[1], full[1]);
    for i in [0, 2] {
        let (f, l) = (full[i].as_object().unwrap(), lean[i].as_object().unwrap());
        for key in [
            "client",
            "recommended_program",
            "eligible_programs",
            "undetermined",
        ] {
            assert_eq!(l[key], f[key], "line {i}, {key}");
        }
        for key in ["id", "priority"] {
            assert_eq!(
                each(&l["referrals"], key),
                each(&f["referrals"], key),
                "line {i}, referrals' {key}"
            );
        }
        assert!(!l.contains_key("programs"), "line {i}: {l:?}");
        assert!(
            l["referrals"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r.get("reason").is_none())
        );
    }
    assert_eq!(
        lean[0]["recommended_program"],
        "assertive_community_treatment"
    );
    assert!(!lean[2]["undetermined"].as_array().unwrap().is_empty());
    // The human form of a single profile.
    let o = careplan_stdin(
        &["eval", "-", "--detail", "outcomes"],
        br#"{"id":"h","age":70,"phq9":12}"#,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Client h"), "{text}");
    assert!(text.contains("Still unknown"), "{text}");
    assert!(!text.contains("because"), "{text}");
}

#[test]
fn a_bad_profile_names_the_field() {
    let o = careplan_stdin(&["eval", "-"], br#"{"id":"x","phq9":31}"#);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("field `phq9`"), "{}", stderr(&o));
    let o = careplan_stdin(&["eval", "-"], br#"{"id":"x","housing":"tent"}"#);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("field `housing`"), "{}", stderr(&o));
    let o = careplan_stdin(&["eval", "-"], br#"{"id":"x","age":1e400}"#);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`age`"), "{}", stderr(&o));
}

#[test]
fn hostile_profiles_give_errors_not_panics() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bad_utf8: &[u8] = b"{\"id\": \"\xff\xfe\"}";
    for input in [
        deep.as_bytes(),
        bad_utf8,
        b"",
        b"null",
        b"[]",
        b"\"x\"",
        br#"{"id": 5}"#,
    ] {
        let o = careplan_stdin(&["eval", "-", "--format", "json"], input);
        let code = o.status.code();
        assert!(
            code == Some(1) || code == Some(2),
            "exit {code:?} for {:?}",
            String::from_utf8_lossy(&input[..input.len().min(20)])
        );
        assert!(stderr(&o).contains("error"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn a_bad_context_names_the_field() {
    let dir = scratch("ctx");
    let ctx = dir.join("ctx.json");
    std::fs::write(
        &ctx,
        r#"{"caseloads":{"intensive_case_management":{"cm-a":-1}}}"#,
    )
    .unwrap();
    let o = careplan(&[
        "eval",
        "examples/client.json",
        "--context",
        ctx.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("caseloads.intensive_case_management.cm-a"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&ctx, r#"{"caseloads":{"icm":{}}}"#).unwrap();
    let o = careplan(&[
        "eval",
        "examples/client.json",
        "--context",
        ctx.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("caseloads.icm"), "{}", stderr(&o));
}

#[test]
fn bad_rules_are_located() {
    let dir = scratch("badrules");
    std::fs::write(
        dir.join("a.rules"),
        "schema {\n  age: integer\n}\nprogram p {\n  intensity: 1\n  eligible when agee > 3\n}\n",
    )
    .unwrap();
    let o = careplan(&[
        "eval",
        "--rules",
        dir.to_str().unwrap(),
        "examples/client.json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("a.rules:6:17"), "{err}");
    assert!(err.contains("did you mean `age`?"), "{err}");
    let o = careplan(&[
        "check",
        "--rules",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["diagnostics"][0]["location"]["line"], 6);
    assert_eq!(v["diagnostics"][0]["code"], "unknown-name");
}

#[test]
fn hostile_rule_files_give_errors_not_panics() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "parens",
            "schema { a: integer }\ndefine d { value: "
                .bytes()
                .chain(std::iter::repeat_n(b'(', 200_000))
                .collect(),
        ),
        ("string", b"warning w { message: \"open\n }".to_vec()),
        (
            "random",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
        ("big", {
            let mut v = b"# big\n".to_vec();
            v.resize(50 * 1024 * 1024, b'#');
            v
        }),
        (
            "nots",
            format!(
                "schema {{ a: boolean }}\nwarning w {{ severity: info message: \"m\" when {}a }}",
                "not ".repeat(100_000)
            )
            .into_bytes(),
        ),
        (
            "sum",
            format!(
                "schema {{ a: integer }}\nreferral r {{ routine when a{} > 1 }}",
                " + 1".repeat(100_000)
            )
            .into_bytes(),
        ),
    ];
    for (name, bytes) in cases {
        let dir = scratch(&format!("hostile-{name}"));
        std::fs::write(dir.join("x.rules"), &bytes).unwrap();
        let o = careplan(&["check", "--rules", dir.to_str().unwrap()]);
        let err = stderr(&o);
        assert!(
            matches!(o.status.code(), Some(1) | Some(2)),
            "{name}: exit {:?} {err}",
            o.status.code()
        );
        assert!(err.contains("error"), "{name}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("overflow"),
            "{name}: {err}"
        );
    }
}

#[test]
fn an_empty_directory_is_a_usage_error() {
    let dir = scratch("empty");
    let o = careplan(&["check", "--rules", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `.rules` files"), "{}", stderr(&o));
}

#[test]
fn test_command_passes_the_reference_suite_with_full_coverage() {
    let o = careplan(&[
        "test",
        "--rules",
        "rules/",
        "tests/reference",
        "--coverage",
        "--threshold",
        "100",
    ]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(out.contains("coverage: 100.0%"), "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.ends_with("passed, 0 failed"), "{last}");
}

#[test]
fn a_failing_case_shows_expected_found_and_the_explanation() {
    let dir = scratch("failing");
    for entry in std::fs::read_dir(root().join("rules")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "rules") {
            let text = std::fs::read_to_string(&p).unwrap();
            // A policy change: ICM now needs 3 admissions.
            let text = text.replace(
                "hospital_admissions_12m >= 2 or",
                "hospital_admissions_12m >= 3 or",
            );
            std::fs::write(dir.join(p.file_name().unwrap()), text).unwrap();
        }
    }
    let o = careplan(&[
        "test",
        "--rules",
        dir.to_str().unwrap(),
        "tests/reference/programs.yaml",
        "--filter",
        "icm: 2 admissions",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL tests/reference/programs.yaml :: icm: 2 admissions"),
        "{out}"
    );
    assert!(
        out.contains(r#"recommended_program: expected "intensive_case_management", found null"#),
        "{out}"
    );
    assert!(
        out.contains("false   hospital_admissions_12m >= 3   [hospital_admissions_12m = 2]"),
        "{out}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("0 passed, 1 failed"),
        "{out}"
    );
}

#[test]
fn a_test_naming_an_unknown_program_is_an_error() {
    let dir = scratch("unknown-program");
    let file = dir.join("t.yaml");
    std::fs::write(
        &file,
        "cases:\n  - name: typo\n    profile: {id: x}\n    expect:\n      recommended_program: intensive_case_managment\n",
    )
    .unwrap();
    let o = careplan(&["test", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("`intensive_case_managment` is not a program of this rule set"),
        "{out}"
    );
    assert!(
        out.contains("did you mean `intensive_case_management`?"),
        "{out}"
    );
    // A file with an unknown key names it and where it is.
    std::fs::write(
        &file,
        "cases:\n  - name: k\n    profile: {id: x}\n    expectt: {}\n",
    )
    .unwrap();
    let o = careplan(&["test", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("unknown field `expectt`"), "{out}");
    assert!(out.contains("line 4"), "{out}");
}

#[test]
fn coverage_below_the_threshold_fails_and_shows_the_gaps() {
    let o = careplan(&[
        "test",
        "tests/reference/warnings.yaml",
        "--coverage",
        "--threshold",
        "100",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["failed"], 0);
    let pct = v["coverage"]["percent"].as_f64().unwrap();
    assert!(pct < 100.0, "{pct}");
    assert!(!v["coverage"]["uncovered"].as_array().unwrap().is_empty());
    assert!(stderr(&o).contains("below the threshold"), "{}", stderr(&o));
}

#[test]
fn explain_shows_every_condition_and_filters_by_id() {
    let o = careplan(&[
        "explain",
        "examples/client.json",
        "--id",
        "assertive_community_treatment",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("program assertive_community_treatment"),
        "{out}"
    );
    assert!(
        out.contains("false   hospital_admissions_12m >= 3   [hospital_admissions_12m = 2]"),
        "{out}"
    );
    assert!(!out.contains("false   housing is not stable"), "{out}");
    assert!(
        out.contains("true    housing is not stable   [housing = \"homeless\"]"),
        "{out}"
    );
    let o = careplan(&[
        "explain",
        "examples/client.json",
        "--id",
        "domestic_violence_services",
        "--format",
        "json",
    ]);
    let v = json(&o);
    assert_eq!(v[0]["outcome"], "undetermined");
    assert_eq!(v[0]["conditions"][0]["trace"]["value"], "unknown");
    assert_eq!(
        v[0]["conditions"][0]["trace"]["missing"][0],
        "domestic_violence"
    );
    let o = careplan(&["explain", "examples/client.json", "--id", "housing_servics"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `housing_services`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn hostile_test_files_give_errors_not_panics() {
    let dir = scratch("hostile-tests");
    let deep = format!("cases: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("empty.yaml", vec![]),
        (
            "random.yaml",
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
                .collect(),
        ),
        ("deep.yaml", deep.into_bytes()),
        ("notalist.json", br#"{"cases": 3}"#.to_vec()),
    ];
    for (name, bytes) in inputs {
        let f = dir.join(name);
        std::fs::write(&f, bytes).unwrap();
        let o = careplan(&["test", f.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{name}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let out = stdout(&o);
        assert!(out.contains(name), "{name}: {out}");
        assert!(!stderr(&o).contains("panicked"), "{name}: {}", stderr(&o));
    }
}

#[test]
fn fmt_rewrites_checks_and_keeps_comments() {
    let dir = scratch("fmt");
    let file = dir.join("a.rules");
    std::fs::write(
        &file,
        "# top\nschema{a:integer}\nreferral r{routine when a>1   # why\n}\n",
    )
    .unwrap();
    let o = careplan(&["fmt", "--check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("would reformat"), "{}", stdout(&o));
    let o = careplan(&["fmt", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        "# top\nschema {\n  a: integer\n}\n\nreferral r {\n  routine when a > 1  # why\n}\n"
    );
    let o = careplan(&["fmt", "--check", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stdout(&o));
    // The reference rules are canonical.
    let o = careplan(&["fmt", "--check", "rules/"]);
    assert!(o.status.success(), "{}", stdout(&o));
}

#[test]
fn fmt_leaves_a_file_with_errors_untouched() {
    let dir = scratch("fmt-bad");
    let file = dir.join("a.rules");
    let bad = "schema { a: integer\nreferral r { routine when a > }\n";
    std::fs::write(&file, bad).unwrap();
    let o = careplan(&["fmt", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("a.rules:"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), bad);
}

#[test]
fn a_large_batch_keeps_order_across_chunks_and_threads() {
    let dir = scratch("large-batch");
    let path = dir.join("big.jsonl");
    let mut text = String::new();
    for i in 0..10_000 {
        if i % 997 == 0 {
            text.push_str(&format!("{{\"id\":\"c{i}\",\"age\":\"old\"}}\n"));
        } else {
            text.push_str(&format!("{{\"id\":\"c{i}\",\"age\":{}}}\n", i % 100));
        }
    }
    std::fs::write(&path, &text).unwrap();
    let o = careplan(&["eval", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 10_000);
    for (i, v) in lines.iter().enumerate() {
        if i % 997 == 0 {
            assert_eq!(v["line"], i + 1);
            assert_eq!(v["field"], "age");
        } else {
            assert_eq!(v["client"], format!("c{i}"));
        }
    }
    assert!(
        stderr(&o).contains("11 of 10000 lines had errors"),
        "{}",
        stderr(&o)
    );
}

/// Runs `careplan` with standard output a pipe that the test closes after
/// reading `keep` lines (0: at once, before the command writes anything),
/// as `careplan … | head -n keep` does; returns the exit status and
/// standard error.
fn with_output_closed_after(args: &[&str], keep: usize) -> (std::process::ExitStatus, String) {
    use std::io::{BufRead, Read};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_careplan"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut reader = std::io::BufReader::new(out);
    for _ in 0..keep {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "no output");
    }
    drop(reader);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap(), err)
}

#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    let dir = scratch("closed-pipe");
    let path = dir.join("batch.jsonl");
    // Far more output than a pipe holds, so the batch is still writing
    // when the reader goes away.
    let text: String = (0..20_000)
        .map(|i| format!("{{\"id\":\"c{i}\",\"age\":{}}}\n", i % 100))
        .collect();
    std::fs::write(&path, text).unwrap();
    let batch = path.to_str().unwrap();
    for (args, keep) in [
        (vec!["eval", batch, "--format", "json"], 1),
        (vec!["eval", batch], 1),
        (vec!["eval", batch, "--format", "json"], 0),
        (vec!["eval", "examples/client.json"], 0),
        (vec!["check"], 0),
        (vec!["bench", "--profiles", "500"], 0),
        (vec!["bench", "--profiles", "500", "--format", "json"], 0),
    ] {
        let (status, err) = with_output_closed_after(&args, keep);
        // Exit 0 and nothing on standard error: no panic, no backtrace,
        // no "broken pipe" message (see the binary's documentation).
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
}

/// Issue 13, item 6: a key given twice, in any format the CLI reads, is an
/// input error naming the key (serde would keep the last value silently).
#[test]
fn issue13_6_duplicate_keys_are_refused_naming_the_key() {
    let dir = scratch("dup-keys");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let json = write("p.json", r#"{"id":"a","age":30,"age":80}"#);
    let yaml = write("p.yaml", "id: a\nage: 30\nage: 80\n");
    for p in [&json, &yaml] {
        for cmd in ["eval", "explain"] {
            let o = careplan(&[cmd, p]);
            assert_eq!(o.status.code(), Some(1), "{cmd} {p}: {}", stderr(&o));
            assert!(
                stderr(&o).contains("field `age`: appears twice"),
                "{cmd} {p}: {}",
                stderr(&o)
            );
        }
    }
    let o = careplan_stdin(&["eval", "-"], br#"{"id":"a","age":30,"age":80}"#);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("field `age`"), "{}", stderr(&o));
    let ctx_json = write(
        "c.json",
        r#"{"caseloads":{"intensive_case_management":{"cm-a":3,"cm-a":4}}}"#,
    );
    let ctx_yaml = write(
        "c.yaml",
        "caseloads:\n  intensive_case_management:\n    cm-a: 3\n    cm-a: 4\n",
    );
    for c in [&ctx_json, &ctx_yaml] {
        let o = careplan(&["eval", "examples/client.json", "--context", c]);
        assert_eq!(o.status.code(), Some(1), "{c}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("field `caseloads.intensive_case_management.cm-a`: appears twice"),
            "{c}: {}",
            stderr(&o)
        );
    }
    let case_yaml = write(
        "t.yaml",
        "cases:\n  - name: dup\n    profile: {id: a, age: 30, age: 80}\n    includes: {}\n",
    );
    let case_json = write(
        "t.json",
        r#"{"cases":[{"name":"dup","profile":{"id":"a","age":30,"age":80},"includes":{}}]}"#,
    );
    for t in [&case_yaml, &case_json] {
        let o = careplan(&["test", t]);
        assert_eq!(o.status.code(), Some(1), "{t}: {}", stdout(&o));
        assert!(
            stdout(&o).contains("field `cases[0].profile.age`: appears twice"),
            "{t}: {}",
            stdout(&o)
        );
    }
}

/// Issue 13, item 7: YAML and TOML numbers keep their digits, as JSON's
/// do; `.nan` and `.inf` are refused naming the field.
#[test]
fn issue13_7_yaml_and_toml_numbers_keep_their_digits() {
    let dir = scratch("exact-numbers");
    // As f64 this income is 1835.4, exactly at the limit; as written it is
    // above it, so the client is not referred to Medicaid.
    let income = "1835.4000000000000000000000001";
    let yaml = dir.join("p.yaml");
    std::fs::write(
        &yaml,
        format!("id: c\nmonthly_income: {income}\nhousehold_size: 1\ninsurance: none\n"),
    )
    .unwrap();
    let toml = dir.join("p.toml");
    std::fs::write(
        &toml,
        format!(
            "id = \"c\"\nmonthly_income = {income}\nhousehold_size = 1\ninsurance = \"none\"\n"
        ),
    )
    .unwrap();
    for p in [&yaml, &toml] {
        let o = careplan(&["eval", p.to_str().unwrap(), "--format", "json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v = json(&o);
        assert!(
            !each(&v["referrals"], "id").contains(&"medicaid_enrollment"),
            "{p:?}: {v}"
        );
    }
    // A case file expecting the wrong answer fails.
    let cases = dir.join("t.yaml");
    std::fs::write(
        &cases,
        format!(
            "cases:\n  - name: above the limit\n    profile: {{id: c, monthly_income: {income}, household_size: 1, insurance: none}}\n    includes:\n      referrals: {{medicaid_enrollment: routine}}\n"
        ),
    )
    .unwrap();
    let o = careplan(&["test", cases.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 passed, 1 failed"), "{}", stdout(&o));
    // Other spellings of numbers still read as the same numbers.
    let yaml = dir.join("q.yaml");
    std::fs::write(&yaml, "id: c\nage: 0x41\nmonthly_income: +.5e3\n").unwrap();
    let toml = dir.join("q.toml");
    std::fs::write(&toml, "id = \"c\"\nage = 0x41\nmonthly_income = +5_00.0\n").unwrap();
    for p in [&yaml, &toml] {
        let o = careplan(&["eval", p.to_str().unwrap(), "--format", "json"]);
        assert!(o.status.success(), "{p:?}: {}", stderr(&o));
        let v = json(&o);
        assert!(
            each(&v["referrals"], "id").contains(&"senior_services"),
            "{p:?}: {v}"
        );
    }
    // Not numbers a profile can hold: refused, naming the field.
    for (name, text) in [
        ("nan.yaml", "id: c\nmonthly_income: .nan\n"),
        ("inf.yaml", "id: c\nmonthly_income: -.inf\n"),
        ("nan.toml", "id = \"c\"\nmonthly_income = nan\n"),
        ("inf.toml", "id = \"c\"\nmonthly_income = +inf\n"),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        let o = careplan(&["eval", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("field `monthly_income`")
                && stderr(&o).contains("not a finite number"),
            "{name}: {}",
            stderr(&o)
        );
    }
}

/// Issue 13, item 10: a profile or context that cannot be read is a usage
/// error, exit 2, as documented; a file that is read but is not text is bad
/// input, exit 1.
#[test]
fn issue13_10_unreadable_files_exit_2() {
    let dir = scratch("unreadable");
    let missing = dir.join("missing");
    for ext in ["json", "yaml", "toml", "jsonl"] {
        let gone = missing.with_extension(ext);
        let folder = dir.join(format!("folder.{ext}"));
        std::fs::create_dir_all(&folder).unwrap();
        for p in [&gone, &folder] {
            let p = p.to_str().unwrap();
            let o = careplan(&["eval", p]);
            assert_eq!(o.status.code(), Some(2), "eval {p}: {}", stderr(&o));
            assert!(stderr(&o).contains("cannot read"), "{p}: {}", stderr(&o));
            if ext != "jsonl" {
                let o = careplan(&["explain", p]);
                assert_eq!(o.status.code(), Some(2), "explain {p}: {}", stderr(&o));
                let o = careplan(&["eval", "examples/client.json", "--context", p]);
                assert_eq!(o.status.code(), Some(2), "context {p}: {}", stderr(&o));
            }
        }
    }
    let o = careplan_stdin(&["eval", "-"], b"\xff");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("not UTF-8"), "{}", stderr(&o));
}

/// Values marked `report: yes` and a routine referral whose urgent trigger
/// is unknown, in both outputs and in `explain --id`.
#[test]
fn values_and_urgent_if_in_eval_and_explain() {
    let dir = scratch("values");
    std::fs::write(
        dir.join("r.rules"),
        "schema {\n  id: text\n  x: integer\n  y: boolean\n  a: integer\n}\n\
         define total \"Total\" {\n  value: x + a\n  report: yes\n}\n\
         referral r \"R\" {\n  urgent when x >= 20\n  routine when y\n}\n",
    )
    .unwrap();
    let profile = dir.join("p.json");
    std::fs::write(&profile, r#"{"id": "c", "y": true, "a": 3}"#).unwrap();
    let (rules, profile) = (dir.to_str().unwrap(), profile.to_str().unwrap());
    let o = careplan(&["eval", "--rules", rules, profile]);
    let text = stdout(&o);
    assert!(
        text.contains("routine (urgent unknown: x)  r  because y"),
        "{text}"
    );
    assert!(text.contains("total (Total): unknown, needs x"), "{text}");
    let o = careplan(&["eval", "--rules", rules, profile, "--format", "json"]);
    let v = json(&o);
    assert_eq!(v["referrals"][0]["urgent_if"], serde_json::json!(["x"]));
    assert_eq!(
        v["values"],
        serde_json::json!([{"id": "total", "title": "Total", "value": null, "missing": ["x"]}])
    );
    let o = careplan(&["explain", "--rules", rules, profile, "--id", "total"]);
    let text = stdout(&o);
    assert!(
        text.starts_with("define total (Total): undetermined"),
        "{text}"
    );
    assert!(text.contains("unknown x + a   (missing: x)"), "{text}");
    assert!(text.contains("= 3     a   [a = 3]"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--as-of` sets the evaluation date of every command that evaluates; a
/// bad date is a usage error naming the flag; TOML native dates and YAML
/// dates are read as date fields; case files carry `as_of`.
#[test]
fn as_of_dates_every_evaluating_command() {
    let dir = scratch("as-of");
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("r.rules"),
        "schema {\n  id: text\n  born: date\n}\n\
         parameter limit {\n  from 2025-01-15: 65\n  from 2026-01-15: 67\n}\n\
         warning retired {\n  severity: info\n  when years since born >= limit\n  message: \"m\"\n}\n",
    )
    .unwrap();
    let r = rules.to_str().unwrap();
    let toml = dir.join("p.toml");
    std::fs::write(&toml, "id = \"a\"\nborn = 1960-03-01\n").unwrap();
    let yaml = dir.join("p.yaml");
    std::fs::write(&yaml, "id: a\nborn: 1960-03-01\n").unwrap();
    for p in [&toml, &yaml] {
        let p = p.to_str().unwrap();
        // 65 on 2025-03-01 under the 2025 limit; 66 under the 2026 one.
        for (as_of, raised) in [("2025-03-01", true), ("2026-03-01", false)] {
            let o = careplan(&[
                "eval", p, "--rules", r, "--as-of", as_of, "--format", "json",
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            let v = json(&o);
            assert_eq!(v["as_of"], as_of);
            assert_eq!(each(&v["warnings"], "code").contains(&"retired"), raised);
        }
    }
    let lines = dir.join("p.jsonl");
    std::fs::write(&lines, "{\"id\": \"a\", \"born\": \"1960-03-01\"}\n").unwrap();
    let o = careplan(&[
        "eval",
        lines.to_str().unwrap(),
        "--rules",
        r,
        "--as-of",
        "2025-03-01",
        "--format",
        "json",
    ]);
    assert!(
        stdout(&o).contains("\"as_of\":\"2025-03-01\""),
        "{}",
        stdout(&o)
    );
    let o = careplan(&[
        "explain",
        toml.to_str().unwrap(),
        "--rules",
        r,
        "--as-of",
        "2025-03-01",
    ]);
    assert!(
        stdout(&o).contains("limit (from 2025-01-15) = 65"),
        "{}",
        stdout(&o)
    );
    for bad in ["2025-02-30", "tomorrow"] {
        let o = careplan(&["eval", toml.to_str().unwrap(), "--rules", r, "--as-of", bad]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("--as-of"), "{}", stderr(&o));
    }
    // Before the first dated value: an input error naming the parameter,
    // found once before any profile is read.
    let o = careplan(&[
        "eval",
        toml.to_str().unwrap(),
        "--rules",
        r,
        "--as-of",
        "2020-01-01",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("--as-of: no value of limit is in force on 2020-01-01"),
        "{}",
        stderr(&o)
    );
    // A case file: dated cases pass; an undated one fails asking for a date,
    // unless `--as-of` gives one.
    let cases = dir.join("t.yaml");
    std::fs::write(
        &cases,
        "as_of: 2025-03-01\ncases:\n  - name: retired\n    profile: {id: a, born: 1960-03-01}\n    includes: {warnings: [retired]}\n\
         \x20 - name: not yet\n    as_of: 2026-03-01\n    profile: {id: a, born: 1960-03-01}\n    excludes: {warnings: [retired]}\n",
    )
    .unwrap();
    let o = careplan(&["test", cases.to_str().unwrap(), "--rules", r]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let undated = dir.join("u.yaml");
    std::fs::write(
        &undated,
        "cases:\n  - name: undated\n    profile: {id: a, born: 1960-03-01}\n    includes: {warnings: [retired]}\n",
    )
    .unwrap();
    let o = careplan(&["test", undated.to_str().unwrap(), "--rules", r]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("add `as_of: YYYY-MM-DD`"),
        "{}",
        stdout(&o)
    );
    let o = careplan(&[
        "test",
        undated.to_str().unwrap(),
        "--rules",
        r,
        "--as-of",
        "2025-03-01",
    ]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = careplan(&[
        "bench",
        "--rules",
        r,
        "--profiles",
        "20",
        "--as-of",
        "2025-03-01",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}
