//! `careplan test` and `careplan explain`: the policy author's loop. The
//! cases run in the library (`careplan::harness::suite`); this module reads
//! the files and renders the results.

use crate::{Fail, input, render};
use careplan::Engine;
use careplan::harness::cases::CaseFile;
use careplan::harness::coverage::Summary;
use careplan::harness::suite::Suite;
use careplan::{ItemTrace, Trace, Truth};
use serde::Deserialize as _;
use std::fmt::Write as _;
use std::path::Path;

/// A case file's cases, or why it holds none (a failure of the run,
/// exit 1); `Err` when it cannot be read at all (exit 2).
///
/// The file is read as the profiles are (`crate::input`): a key given twice
/// is refused, and a profile's or context's numbers keep their digits. A
/// file that is not a case file is read again by serde for its message,
/// which says where in the file the problem is.
fn read_case_file(path: &Path) -> Result<Result<CaseFile, String>, Fail> {
    let shown = path.display();
    let name = path.to_string_lossy();
    let text = match input::read_text(&name) {
        Ok(t) => t,
        Err(e @ input::Unread::Io(_)) => return Err(e.fail()),
        Err(e) => return Ok(Err(e.to_string())),
    };
    let json = path.extension().is_some_and(|e| e == "json");
    let located = || {
        let typed = if json {
            serde_json::from_str::<CaseFile>(&text).map_err(|e| e.to_string())
        } else {
            serde_yaml_ng::from_str::<CaseFile>(&text).map_err(|e| e.to_string())
        };
        typed.err()
    };
    let exact = if json {
        input::read_json(&text, &name)
    } else {
        input::read_yaml(&text, &name)
    };
    let value = match exact {
        Ok(v) => v,
        Err(input::Bad::Field { field, message }) => {
            return Ok(Err(format!("{shown}: field `{field}`: {message}")));
        }
        Err(input::Bad::Syntax(m)) => {
            return Ok(Err(format!("{shown}: {}", located().unwrap_or(m))));
        }
    };
    Ok(CaseFile::deserialize(value).map_err(|e| {
        let e = located().unwrap_or_else(|| e.to_string());
        format!("{shown}: {e}")
    }))
}

/// Options of `careplan test`.
pub struct TestOptions<'a> {
    pub paths: &'a [String],
    pub filter: Option<&'a str>,
    pub coverage: bool,
    pub threshold: Option<f64>,
    pub as_of: Option<careplan::date::Date>,
    pub json: bool,
}

/// Reads the case files, runs them through the library's suite, renders
/// the result; returns the exit code.
pub fn test(engine: &Engine, opts: &TestOptions<'_>) -> Result<u8, Fail> {
    let files = input::files_under(opts.paths, &["yaml", "yml", "json"])
        .map_err(|e| Fail::usage(format!("error: {e}")))?;
    if files.is_empty() {
        return Err(Fail::usage(
            "error: no test files (.yaml, .yml, .json) under the given paths",
        ));
    }
    let mut suite = Suite::new(engine);
    suite.as_of = opts.as_of;
    for path in &files {
        let file_name = path.display().to_string();
        match read_case_file(path)? {
            Ok(file) => suite.file(&file_name, &file, opts.filter),
            Err(e) => suite.unreadable(&file_name, e),
        }
    }
    let passed = suite.passed;
    let failed = &suite.failures;
    let summary = opts.coverage.then(|| suite.coverage.summary(engine));
    let below = match (&summary, opts.threshold) {
        (Some(s), Some(t)) => s.percent < t,
        _ => false,
    };
    if opts.json {
        let failures: Vec<serde_json::Value> = failed
            .iter()
            .map(|f| serde_json::json!({"file": f.file, "case": f.case, "messages": f.messages, "explanation": f.explained}))
            .collect();
        let coverage = summary
            .as_ref()
            .map(|s| serde_json::to_value(s).unwrap_or_default());
        let v = serde_json::json!({
            "passed": passed,
            "failed": failed.len(),
            "failures": failures,
            "coverage": coverage,
            "threshold": opts.threshold,
        });
        say!("{v}")?;
    } else {
        let mut out = String::new();
        for f in failed {
            let _ = writeln!(out, "FAIL {} :: {}", f.file, f.case);
            for m in &f.messages {
                let _ = writeln!(out, "  {m}");
            }
            for t in &f.explained {
                out.push_str(&indent(&explain_item(t), 4));
            }
            out.push('\n');
        }
        if let Some(s) = &summary {
            out.push_str(&coverage_text(s, opts.threshold));
        }
        let _ = writeln!(out, "{passed} passed, {} failed", failed.len());
        say_raw!("{out}")?;
    }
    if below {
        if let (Some(s), Some(t)) = (&summary, opts.threshold) {
            eprintln!(
                "error: coverage {:.1}% is below the threshold of {t}%",
                s.percent
            );
        }
    }
    Ok(if failed.is_empty() && !below { 0 } else { 1 })
}

fn indent(s: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    s.lines().map(|l| format!("{pad}{l}\n")).collect()
}

fn coverage_text(s: &Summary, threshold: Option<f64>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "coverage: {:.1}% ({} of {} condition outcomes){}",
        s.percent,
        s.covered,
        s.total,
        threshold
            .map(|t| format!(", threshold {t}%"))
            .unwrap_or_default()
    );
    let never: Vec<&String> = s
        .items
        .iter()
        .filter(|(_, f)| !**f)
        .map(|(k, _)| k)
        .collect();
    if !never.is_empty() {
        let _ = writeln!(out, "never fired in any test:");
        for k in never {
            let _ = writeln!(out, "  {k}");
        }
    }
    for u in &s.uncovered {
        let never: Vec<&str> = u
            .never
            .iter()
            .map(|t| match t {
                Truth::True => "true",
                Truth::False => "false",
                Truth::Unknown => "unknown",
            })
            .collect();
        let d = careplan::Diagnostic {
            severity: careplan::DiagnosticSeverity::Warning,
            code: "uncovered",
            message: format!(
                "{}: `{}` is never {}",
                u.item,
                u.condition,
                never.join(" or ")
            ),
            location: u.location.clone(),
            snippet: u.snippet.clone(),
            label: format!("never {}", never.join(", ")),
            help: None,
        };
        out.push_str(&render::diagnostic(&d));
    }
    out
}

fn mark(t: Truth) -> &'static str {
    match t {
        Truth::True => "true   ",
        Truth::False => "false  ",
        Truth::Unknown => "unknown",
    }
}

fn trace_lines(t: &Trace, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    // A calculation (in a value's explanation) shows its value where a
    // condition shows true or false.
    let shown = match &t.result {
        Some(r) if !r.is_boolean() && !r.is_null() => format!("{:<7}", format!("= {r}")),
        _ => mark(t.value).to_string(),
    };
    let mut line = format!("{pad}{shown} {}", t.condition);
    if !t.values.is_empty() {
        let vals: Vec<String> = t.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        line.push_str(&format!("   [{}]", vals.join(", ")));
    }
    if t.value == Truth::Unknown && !t.missing.is_empty() {
        line.push_str(&format!("   (missing: {})", t.missing.join(", ")));
    }
    let _ = writeln!(out, "{line}");
    for c in &t.children {
        trace_lines(c, depth + 1, out);
    }
}

/// One item's explanation as an indented tree.
pub fn explain_item(it: &ItemTrace) -> String {
    let kind = match it.kind {
        careplan::Kind::Program => "program",
        careplan::Kind::Referral => "referral",
        careplan::Kind::Warning => "warning",
        careplan::Kind::Define => "define",
        careplan::Kind::Transition => "transition",
    };
    let mut out = String::new();
    let title = it
        .title
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let value = it
        .conditions
        .first()
        .and_then(|c| c.trace.result.as_ref())
        .filter(|_| it.outcome == careplan::ItemOutcome::Computed);
    match value {
        Some(v) => {
            let _ = writeln!(out, "{kind} {}{title} = {v}", it.id);
        }
        // The transition is one per rule set: its id is its kind.
        None if it.kind == careplan::Kind::Transition => {
            let _ = writeln!(out, "{kind}{title}: {}", it.outcome);
        }
        None => {
            let _ = writeln!(out, "{kind} {}{title}: {}", it.id, it.outcome);
        }
    }
    for c in &it.conditions {
        let _ = writeln!(out, "  {}", c.clause);
        trace_lines(&c.trace, 2, &mut out);
    }
    out
}

/// The explanations to show for `--id`, or all.
pub fn select<'a>(items: &'a [ItemTrace], id: Option<&str>) -> Result<Vec<&'a ItemTrace>, String> {
    match id {
        None => Ok(items.iter().collect()),
        Some(id) => {
            let chosen: Vec<&ItemTrace> = items.iter().filter(|t| t.id == id).collect();
            if chosen.is_empty() {
                let hint = careplan::harness::did_you_mean(id, items.iter().map(|t| t.id.as_str()))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                Err(format!(
                    "no program, referral, warning or value marked `report: yes` has the id `{id}`{hint}"
                ))
            } else {
                Ok(chosen)
            }
        }
    }
}
