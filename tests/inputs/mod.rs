//! Reading the reference cases for tests: the case files of a folder in
//! order, and every case's profile and context. Shared so that each test
//! that walks the cases (the reference suite, threads, hostile encodings)
//! reads them the same way.

#![allow(dead_code, reason = "each test crate uses what it needs")]

use careplan::harness::cases::{Case, CaseFile};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The `.yaml` case files of `dir` (relative to the crate), sorted.
pub fn case_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Every case of every file in `dir`, with its file, in file and case order;
/// a case without its own `as_of` takes its file's, as the harness dates it.
pub fn all_cases(dir: &str) -> Vec<(PathBuf, Case)> {
    let mut out = Vec::new();
    for path in case_files(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: CaseFile =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let as_of = file.as_of;
        out.extend(file.cases.into_iter().map(|mut c| {
            c.as_of = c.as_of.or(as_of);
            (path.clone(), c)
        }));
    }
    out
}

/// Every case's profile and context in `tests/reference/*.yaml`, in file
/// and case order.
pub fn reference() -> Vec<(Value, Option<Value>)> {
    all_cases("tests/reference")
        .into_iter()
        .map(|(_, c)| (c.profile, c.context))
        .collect()
}

/// Where the compiled program and the tree walker disagree on a case (at
/// its own date, else its file's, as the harness dates it, and with its
/// caseload context): the failure in words, naming the file and case.
/// A profile or context the engine refuses is the suite's to report.
pub fn plan_disagrees(
    engine: &careplan::Engine,
    path: &Path,
    file: &CaseFile,
    case: &Case,
) -> Option<String> {
    let mut profile = engine.profile(&case.profile).ok()?;
    if let Some(d) = case.as_of.or(file.as_of) {
        profile.as_of = d;
    }
    let ctx = match &case.context {
        Some(c) => Some(engine.caseloads(c).ok()?),
        None => None,
    };
    let fast = engine.decide(&profile, ctx.as_ref());
    let walked = engine.decide_walking(&profile, ctx.as_ref());
    (fast != walked).then(|| {
        format!(
            "{} :: {}\n    program {fast:?} != walker {walked:?}",
            path.display(),
            case.name
        )
    })
}
