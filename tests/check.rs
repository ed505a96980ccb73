//! Rule files with errors, and the diagnostics they must give.
//!
//! Each `tests/check/NAME.rules` is loaded alone; its diagnostics, one per
//! line as `line:column [code] message (label) help: …`, must equal
//! `tests/check/NAME.expected` (`ok` when the file loads). After a
//! deliberate change to the messages, regenerate with
//! `UPDATE_EXPECT=1 cargo test --test check` and review the diff.
//!
//! A case's name says what it asserts; a first comment line may say more.
//! A case about a limit sets it on its first line, as
//! `# limits: max_items=3, max_errors=2`, so that a small file can exceed
//! it. Every diagnostic code is triggered by some case, or listed in
//! [`NOT_FROM_A_RULE_FILE`] with the reason.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::Code;
use careplan::{LoadError, LoadOptions};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Codes that no rule file triggers, with the reason.
const NOT_FROM_A_RULE_FILE: &[(Code, &str)] = &[
    (
        Code::FormatInternal,
        "`careplan fmt` reports it when its own output would not parse: a bug, not an input",
    ),
    (
        Code::NoThread,
        "reported when the system cannot start a thread to parse on",
    ),
];

/// The options a case loads with: the default limits, except those its
/// first line sets (`# limits: max_items=3, max_errors=2`).
fn options(name: &str, text: &str) -> LoadOptions {
    let mut options = LoadOptions::default();
    let Some(list) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# limits:"))
    else {
        return options;
    };
    for setting in list.split(',') {
        let (key, value) = setting
            .split_once('=')
            .unwrap_or_else(|| panic!("{name}: `{setting}` is not `key=value`"));
        let value: usize = value.trim().parse().unwrap();
        let l = &mut options.limits;
        let slot = match key.trim() {
            "max_file_bytes" => &mut l.max_file_bytes,
            "max_depth" => &mut l.max_depth,
            "max_string_bytes" => &mut l.max_string_bytes,
            "max_items" => &mut l.max_items,
            "max_fields" => &mut l.max_fields,
            "max_enum_values" => &mut l.max_enum_values,
            "max_errors" => &mut l.max_errors,
            other => panic!("{name}: unknown limit `{other}`"),
        };
        *slot = value;
    }
    options
}

/// Every case file, sorted by name.
fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rules"))
        .collect();
    files.sort();
    files
}

fn render(name: &str, text: &str) -> String {
    match careplan::load_sources(&[(name, text)], &options(name, text)) {
        // A rule set that loads shows its warnings, if any.
        Ok(engine) if !engine.load_warnings().is_empty() => {
            render_diagnostics(name, text, engine.load_warnings())
        }
        Ok(_) => "ok\n".into(),
        Err(LoadError::Io { message, .. }) => format!("io: {message}\n"),
        Err(e @ (LoadError::Limit { .. } | LoadError::Internal { .. })) => format!("load: {e}\n"),
        Err(LoadError::Rules(diags)) => render_diagnostics(name, text, diags),
    }
}

fn render_diagnostics(name: &str, text: &str, diags: Vec<careplan::Diagnostic>) -> String {
    let mut out = String::new();
    for d in diags {
        let l = &d.location;
        assert_eq!(l.file, name);
        // The snippet is the line the error points into.
        assert_eq!(d.snippet, text.lines().nth(l.line - 1).unwrap_or(""));
        let severity = match d.severity {
            careplan::DiagnosticSeverity::Warning => "warning ",
            careplan::DiagnosticSeverity::Error => "",
        };
        out.push_str(&format!(
            "{}:{} {severity}[{}] {}",
            l.line, l.column, d.code, d.message
        ));
        if !d.label.is_empty() {
            out.push_str(&format!(" ({})", d.label));
        }
        if let Some(h) = &d.help {
            out.push_str(&format!(" help: {h}"));
        }
        out.push('\n');
    }
    out
}

#[test]
fn diagnostics_match_expected() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = cases();
    assert!(files.len() >= 20, "expected the full set of bad rule files");
    let mut failures = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let got = render(&name, &text);
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != want {
            failures.push(format!("{name}:\n--- expected\n{want}--- found\n{got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every code is the expected result of some case, so each message is
/// pinned by a test; and every code a case expects is a real one.
#[test]
fn every_code_is_triggered_by_a_case() {
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for path in cases() {
        let text = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        for line in text.lines() {
            if let Some((_, rest)) = line.split_once(" [") {
                if let Some((code, _)) = rest.split_once(']') {
                    expected.insert(code.to_string());
                }
            }
        }
    }
    let names: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    let unknown: Vec<&String> = expected
        .iter()
        .filter(|c| !names.contains(c.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "cases expect codes that do not exist: {unknown:?}"
    );
    let exempt: Vec<Code> = NOT_FROM_A_RULE_FILE.iter().map(|(c, _)| *c).collect();
    let untested: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !exempt.contains(c) && !expected.contains(c.as_str()))
        .map(|c| c.as_str())
        .collect();
    assert!(
        untested.is_empty(),
        "no case in tests/check triggers {untested:?}: add a `.rules` case"
    );
    let stale: Vec<&str> = exempt
        .iter()
        .filter(|c| expected.contains(c.as_str()))
        .map(|c| c.as_str())
        .collect();
    assert!(
        stale.is_empty(),
        "{stale:?} are listed as not triggered by a rule file, but a case does"
    );
}

#[test]
fn every_error_of_a_load_is_reported() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check");
    let text = std::fs::read_to_string(dir.join("many-errors.rules")).unwrap();
    let Err(LoadError::Rules(diags)) =
        careplan::load_sources(&[("m.rules", &text)], &LoadOptions::default())
    else {
        panic!("many-errors.rules must not load");
    };
    assert!(
        diags.len() >= 4,
        "only {} diagnostics: {diags:?}",
        diags.len()
    );
}

#[test]
fn errors_across_files_name_each_file() {
    let schema = "schema {\n  age: integer\n}\n";
    let a = "program a {\n  intensity: 1\n  eligible when agee > 1\n}\n";
    let b = "referral b {\n  routine when age > \"x\"\n}\n";
    let Err(LoadError::Rules(diags)) = careplan::load_sources(
        &[("s.rules", schema), ("a.rules", a), ("b.rules", b)],
        &LoadOptions::default(),
    ) else {
        panic!("must not load");
    };
    let files: Vec<&str> = diags.iter().map(|d| d.location.file.as_str()).collect();
    assert_eq!(files, ["a.rules", "b.rules"]);
    assert_eq!((diags[0].location.line, diags[0].location.column), (3, 17));
}

#[test]
fn the_deepest_allowed_rules_evaluate_on_a_small_stack() {
    // Test threads have 2 MiB of stack; loading runs on its own thread, and
    // evaluation of the deepest allowed condition must fit here.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check/deepest-allowed-nesting.rules"),
    )
    .unwrap();
    let engine = careplan::load_sources(&[("d.rules", &text)], &LoadOptions::default()).unwrap();
    let report = engine
        .evaluate_json(&serde_json::json!({"age": 4}), None)
        .unwrap();
    assert_eq!(report.referrals.len(), 1);
    let report = engine
        .evaluate_json(&serde_json::json!({"age": 2}), None)
        .unwrap();
    assert!(report.referrals.is_empty());
}
