//! The worked examples in `examples/*/`: each rule set loads, and its own
//! cases (`examples/X/tests/*.yaml`) pass with full coverage, as
//! `careplan test --rules examples/X examples/X/tests --coverage --threshold
//! 100` would report.

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
use inputs::{case_files, plan_disagrees};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The example rule sets: the folders of `examples/` that hold `.rules`
/// files, sorted.
fn example_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            std::fs::read_dir(p)
                .unwrap()
                .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "rules"))
        })
        .collect();
    dirs.sort();
    dirs
}

/// Runs the cases of one example; returns how many ran, or every failure
/// (cases that failed and conditions never exercised) in words.
fn run_example(dir: &Path) -> Result<usize, Vec<String>> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let engine = careplan::load_dir(dir, &careplan::LoadOptions::default())
        .map_err(|e| vec![format!("{name}: the rules do not load: {e:?}")])?;
    let mut failures = Vec::new();
    let mut suite = Suite::new(&engine);
    let files = case_files(&format!("examples/{name}/tests"));
    if files.is_empty() {
        failures.push(format!("{name}: no case files in {name}/tests"));
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: CaseFile = match serde_yaml_ng::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let mut names = HashSet::new();
        for case in &file.cases {
            if !names.insert(case.name.clone()) {
                failures.push(format!(
                    "{}: duplicate case `{}`",
                    path.display(),
                    case.name
                ));
            }
            // The compiled plan and the tree walker decide alike, on the
            // case's own date (tables may be compiled to binary searches).
            failures.extend(plan_disagrees(&engine, &path, &file, case));
        }
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        suite.file(&file_name, &file, None);
    }
    for f in &suite.failures {
        for m in &f.messages {
            failures.push(format!("{name}/{} :: {}\n    {m}", f.file, f.case));
        }
    }
    // The examples are held to what their READMEs promise: every condition
    // outcome and every table row exercised.
    let coverage = suite.coverage.summary(&engine);
    for u in &coverage.uncovered {
        failures.push(format!(
            "{name}: never {:?}: {} `{}` (line {})",
            u.never, u.item, u.condition, u.location.line
        ));
    }
    if failures.is_empty() {
        Ok(suite.ran())
    } else {
        Err(failures)
    }
}

#[test]
fn every_example_passes_its_cases_with_full_coverage() {
    let dirs = example_dirs();
    let names: Vec<String> = dirs
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in ["dmn", "lace", "snap"] {
        assert!(
            names.iter().any(|n| n == expected),
            "examples/{expected} is missing; found {names:?}"
        );
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    for dir in &dirs {
        match run_example(dir) {
            Ok(n) => ran += n,
            Err(f) => failures.extend(f),
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems in the examples:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        ran >= 100,
        "expected the examples' full suites, ran {ran} cases"
    );
}

/// Each example documents itself and ships a profile to try.
#[test]
fn every_example_has_a_readme_and_a_profile() {
    for dir in example_dirs() {
        for file in ["README.md", "profile.json"] {
            assert!(dir.join(file).is_file(), "{} has no {file}", dir.display());
        }
        let text = std::fs::read_to_string(dir.join("profile.json")).unwrap();
        let json = careplan::read_json(&text).unwrap();
        // The README evaluates it on 1 March 2026: it must be accepted and
        // fully decided, so that the first thing a reader runs works.
        let engine = careplan::load_dir(&dir, &careplan::LoadOptions::default()).unwrap();
        let mut profile = engine.profile(&json).unwrap();
        profile.as_of = careplan::date::parse("2026-03-01").unwrap();
        let report = engine.evaluate(&profile, None).unwrap();
        assert!(
            report.undetermined.is_empty(),
            "{}/profile.json leaves {:?} undetermined",
            dir.display(),
            report.undetermined
        );
    }
}
