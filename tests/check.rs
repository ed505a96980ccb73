//! Rule files with errors, and the diagnostics they must give.
//!
//! Each `tests/check/NAME.rules` is loaded alone; its diagnostics, one per
//! line as `line:column [code] message (label) help: …`, must equal
//! `tests/check/NAME.expected` (`ok` when the file loads). After a
//! deliberate change to the messages, regenerate with
//! `UPDATE_EXPECT=1 cargo test --test check` and review the diff.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::{LoadError, LoadOptions};
use std::path::Path;

fn render(name: &str, text: &str) -> String {
    match careplan::load_sources(&[(name, text)], &LoadOptions::default()) {
        Ok(_) => "ok\n".into(),
        Err(LoadError::Io { message, .. }) => format!("io: {message}\n"),
        Err(e @ (LoadError::Limit { .. } | LoadError::Internal { .. })) => format!("load: {e}\n"),
        Err(LoadError::Rules(diags)) => {
            let mut out = String::new();
            for d in diags {
                let l = &d.location;
                assert_eq!(l.file, name);
                // The snippet is the line the error points into.
                assert_eq!(d.snippet, text.lines().nth(l.line - 1).unwrap_or(""));
                out.push_str(&format!(
                    "{}:{} [{}] {}",
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
    }
}

#[test]
fn diagnostics_match_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rules"))
        .collect();
    files.sort();
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
