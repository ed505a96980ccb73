//! The reference cases' profiles and contexts, for tests that run every one
//! of them through something other than the suite runner (threads, hostile
//! encodings). Shared so that each such test reads them the same way.

use careplan::harness::cases::CaseFile;
use serde_json::Value;
use std::path::Path;

/// Every case's profile and context in `tests/reference/*.yaml`, in file
/// and case order.
pub fn reference() -> Vec<(Value, Option<Value>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: CaseFile =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.extend(file.cases.into_iter().map(|c| (c.profile, c.context)));
    }
    out
}
