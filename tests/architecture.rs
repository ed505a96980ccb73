//! ARCHITECTURE.md's invariant "no module cycles", kept true by a test: the
//! library's top-level modules, with the modules each one's code names
//! (`crate::x`, `use crate::{x, …}`, the root re-exports by their module),
//! must form a graph without cycles. Comments and `#[cfg(test)] mod tests`
//! are left out: a doc link or a unit test may look anywhere.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, the binary's aside.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "bin") {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The words of `text` that can name a module or a root re-export.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// Which top-level module each root re-export lives in, read from
/// `src/lib.rs`'s `pub use module::{…}` lines.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = lib;
    while let Some(at) = rest.find("pub use ") {
        rest = &rest[at + "pub use ".len()..];
        let end = rest.find(';').unwrap();
        let item = &rest[..end];
        let (module, names) = item.split_once("::").unwrap();
        for name in words(names) {
            out.insert(name.to_string(), module.to_string());
        }
        rest = &rest[end..];
    }
    out
}

/// The modules one module's code names.
fn uses(
    code: &str,
    modules: &BTreeSet<String>,
    roots: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        // `crate::x` or `crate::{x, y::z}`.
        let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            words(&group[..end]).collect()
        } else {
            words(rest).take(1).collect()
        };
        for name in names {
            if modules.contains(name) {
                out.insert(name.to_string());
            } else if let Some(module) = roots.get(name) {
                out.insert(module.clone());
            }
        }
    }
    out
}

/// The code of a file without comments and without its unit tests.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_module_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let roots = reexports(&lib);
    let mut files = Vec::new();
    sources(&src, &mut files);
    let top = |p: &Path| -> String {
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_string()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| top(p))
        .filter(|m| m != "lib")
        .collect();
    assert!(modules.len() >= 10, "found only {modules:?}");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let module = top(path);
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let used = uses(&code(&text), &modules, &roots);
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(used.into_iter().filter(|m| *m != module));
    }
    // The stack ARCHITECTURE.md draws: the graph must at least have these
    // edges, so the scan is known to see what it should.
    for (from, to) in [("engine", "eval"), ("eval", "compile"), ("load", "check")] {
        assert!(
            graph[from].contains(to),
            "{from} should use {to}: {graph:?}"
        );
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) {
        state.insert(node.to_string(), 1);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next) {
                Some(1) => panic!("module cycle: {} → {next}", path.join(" → ")),
                Some(_) => {}
                None => visit(next, graph, state, path),
            }
        }
        path.pop();
        state.insert(node.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if !state.contains_key(node) {
            visit(node, &graph, &mut state, &mut Vec::new());
        }
    }
}
