//! Human-readable output: diagnostics in the style of rustc, and reports a
//! case worker can read at a glance.

use careplan::Diagnostic;
use careplan::report::{Report, Status};
use std::fmt::Write as _;

/// A diagnostic with its source line and an underline.
pub fn diagnostic(d: &Diagnostic) -> String {
    let mut out = String::new();
    let sev = match d.severity {
        careplan::DiagnosticSeverity::Error => "error",
        careplan::DiagnosticSeverity::Warning => "warning",
    };
    let l = &d.location;
    let _ = writeln!(out, "{sev}[{}]: {}", d.code, d.message);
    let gutter = l.line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {}:{}:{}", l.file, l.line, l.column);
    if l.line > 0 {
        let _ = writeln!(out, "{pad} |");
        let line = d.snippet.replace('\t', " ");
        let _ = writeln!(out, "{} | {}", l.line, line);
        // The snippet may be cut short for a very long line: draw the caret
        // within what is shown, and never pad by more than a screen.
        let shown = line.chars().count();
        let col = l.column.saturating_sub(1).min(shown).min(200);
        let width = l.end_column.saturating_sub(l.column).clamp(1, 80);
        let _ = write!(out, "{pad} | {}{}", " ".repeat(col), "^".repeat(width));
        if !d.label.is_empty() {
            let _ = write!(out, " {}", d.label);
        }
        out.push('\n');
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    out
}

fn short_version(v: &str) -> &str {
    v.get(..v.len().min(19)).unwrap_or(v)
}

/// A report as a case worker reads it.
pub fn report(r: &Report) -> String {
    let mut out = String::new();
    let client = r.client.as_deref().unwrap_or("(no id)");
    let _ = writeln!(
        out,
        "Client {client}    (rules {})",
        short_version(&r.ruleset_version)
    );
    let title = |id: &str| {
        r.programs
            .iter()
            .find(|p| p.id == id)
            .and_then(|p| p.title.clone())
            .map(|t| format!(" ({t})"))
            .unwrap_or_default()
    };
    match &r.recommended_program {
        Some(p) => {
            let _ = writeln!(out, "Recommended program: {p}{}", title(p));
            if let Some(item) = r.programs.iter().find(|x| &x.id == p) {
                let _ = writeln!(out, "  because {}", item.reason);
            }
            if !r.recommended_services.is_empty() {
                let _ = writeln!(out, "  services: {}", r.recommended_services.join(", "));
            }
        }
        None => {
            let _ = writeln!(out, "Recommended program: none");
        }
    }
    if let Some(a) = &r.alternative_program {
        let _ = writeln!(
            out,
            "Alternative program (the recommended one is full): {a}{}",
            title(a)
        );
    }
    let eligible = if r.eligible_programs.is_empty() {
        "none".to_string()
    } else {
        r.eligible_programs.join(", ")
    };
    let _ = writeln!(out, "Eligible programs: {eligible}");
    if r.referrals.is_empty() {
        let _ = writeln!(out, "Referrals: none");
    } else {
        let _ = writeln!(out, "Referrals:");
        for x in &r.referrals {
            let prio = match x.priority {
                careplan::ir::Priority::Urgent => "URGENT ",
                careplan::ir::Priority::Routine => "routine",
            };
            let _ = writeln!(out, "  {prio}  {}  because {}", x.id, x.reason);
        }
    }
    if r.warnings.is_empty() {
        let _ = writeln!(out, "Warnings: none");
    } else {
        let _ = writeln!(out, "Warnings:");
        for w in &r.warnings {
            let sev = w.severity.word().to_uppercase();
            let _ = writeln!(out, "  {sev:<8} {}: {}", w.code, w.message);
        }
    }
    if !r.undetermined.is_empty() {
        let _ = writeln!(out, "Still unknown (ask about these to decide):");
        for u in &r.undetermined {
            let kind = match u.kind {
                careplan::report::Kind::Program => "program",
                careplan::report::Kind::Referral => "referral",
                careplan::report::Kind::Warning => "warning",
            };
            let _ = writeln!(out, "  {kind} {}: needs {}", u.id, u.missing.join(", "));
        }
    }
    let not_eligible: Vec<&str> = r
        .programs
        .iter()
        .filter(|p| p.status == Status::NotEligible)
        .map(|p| p.id.as_str())
        .collect();
    if !not_eligible.is_empty() {
        let _ = writeln!(out, "Not eligible: {}", not_eligible.join(", "));
    }
    out
}
