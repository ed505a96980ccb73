//! Human-readable output: diagnostics in the style of rustc, and reports a
//! case worker can read at a glance.

use careplan::Diagnostic;
use careplan::{Kind, ProgramItem, Report, Status};
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

/// The transition on one line, near the top: where the plan goes next.
/// Nothing for an intake (or a rule set without a transition).
fn transition(out: &mut String, r: &Report<'_>) {
    use careplan::TransitionKind as K;
    match &r.transition {
        Some(t) => {
            let to = t.to.unwrap_or("none");
            let line = match t.kind {
                K::Continue => format!("continue in {}", t.from),
                K::StepUp => format!("step up from {} to {to}", t.from),
                K::StepDown => format!("step down from {} to {to}", t.from),
                K::Discharge => format!("discharge from {}", t.from),
            };
            let _ = writeln!(out, "Transition: {line}");
        }
        None => {
            if let Some(u) = r
                .undetermined
                .iter()
                .find(|u| u.kind == careplan::Kind::Transition)
            {
                let _ = writeln!(
                    out,
                    "Transition: undetermined (needs {})",
                    u.missing.join(", ")
                );
            }
        }
    }
}

/// A report as a case worker reads it.
pub fn report(r: &Report) -> String {
    let mut out = String::new();
    let client = r.client.as_deref().unwrap_or("(no id)");
    let _ = writeln!(
        out,
        "Client {client}    as of {}    (rules {})",
        careplan::date::show(r.as_of),
        short_version(r.ruleset_version)
    );
    transition(&mut out, r);
    let programs: &[ProgramItem] = r.programs.as_deref().unwrap_or_default();
    let title = |id: &str| {
        programs
            .iter()
            .find(|p| p.id == id)
            .and_then(|p| p.title)
            .map(|t| format!(" ({t})"))
            .unwrap_or_default()
    };
    match &r.recommended_program {
        Some(p) => {
            let _ = writeln!(out, "Recommended program: {p}{}", title(p));
            if let Some(item) = programs.iter().find(|x| x.id == *p) {
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
    eligible(&mut out, r.eligible_programs.iter().copied());
    if r.referrals.is_empty() {
        let _ = writeln!(out, "Referrals: none");
    } else {
        let _ = writeln!(out, "Referrals:");
        for x in &r.referrals {
            let _ = writeln!(
                out,
                "  {}  {}  because {}",
                referral_priority(x),
                x.id,
                x.reason().unwrap_or_default()
            );
        }
    }
    warnings(
        &mut out,
        r.warnings.iter().map(|w| (w.severity, w.code, w.message)),
    );
    undetermined(
        &mut out,
        r.undetermined
            .iter()
            .map(|u| (u.kind, u.id, u.missing.clone())),
    );
    values(&mut out, &r.values);
    let not_eligible: Vec<&str> = programs
        .iter()
        .filter(|p| p.status == Status::NotEligible)
        .map(|p| p.id)
        .collect();
    if !not_eligible.is_empty() {
        let _ = writeln!(out, "Not eligible: {}", not_eligible.join(", "));
    }
    out
}

/// Outcomes without reasons, as a case worker reads them.
pub fn outcomes(o: &Report<'_>) -> String {
    let mut out = String::new();
    let client = o.client.as_deref().unwrap_or("(no id)");
    let _ = writeln!(
        out,
        "Client {client}    as of {}    (rules {})",
        careplan::date::show(o.as_of),
        short_version(o.ruleset_version)
    );
    transition(&mut out, o);
    let _ = writeln!(
        out,
        "Recommended program: {}",
        o.recommended_program.unwrap_or("none")
    );
    if !o.recommended_services.is_empty() {
        let _ = writeln!(out, "  services: {}", o.recommended_services.join(", "));
    }
    if let Some(a) = o.alternative_program {
        let _ = writeln!(
            out,
            "Alternative program (the recommended one is full): {a}"
        );
    }
    eligible(&mut out, o.eligible_programs.iter().copied());
    if o.referrals.is_empty() {
        let _ = writeln!(out, "Referrals: none");
    } else {
        let _ = writeln!(out, "Referrals:");
        for x in &o.referrals {
            let _ = writeln!(out, "  {}  {}", referral_priority(x), x.id);
        }
    }
    warnings(
        &mut out,
        o.warnings.iter().map(|w| (w.severity, w.code, w.message)),
    );
    undetermined(
        &mut out,
        o.undetermined
            .iter()
            .map(|u| (u.kind, u.id, u.missing.clone())),
    );
    values(&mut out, &o.values);
    out
}

fn priority(p: careplan::Priority) -> &'static str {
    match p {
        careplan::Priority::Urgent => "URGENT ",
        careplan::Priority::Routine => "routine",
    }
}

/// A referral's priority, with the more urgent one that is still unknown:
/// "routine (urgent unknown: phq9)".
fn referral_priority(r: &careplan::Referral) -> String {
    match &r.urgent_if {
        Some(missing) => format!(
            "{} (urgent unknown: {})",
            priority(r.priority).trim_end(),
            if missing.is_empty() {
                "no field named".to_string()
            } else {
                missing.join(", ")
            }
        ),
        None => priority(r.priority).to_string(),
    }
}

/// The values marked `report: yes`; nothing when none is.
fn values(out: &mut String, items: &[careplan::Reported]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "Values:");
    for v in items {
        let title = v.title.map(|t| format!(" ({t})")).unwrap_or_default();
        match &v.missing {
            Some(m) if !m.is_empty() => {
                let _ = writeln!(out, "  {}{title}: unknown, needs {}", v.id, m.join(", "));
            }
            Some(_) => {
                let _ = writeln!(out, "  {}{title}: unknown", v.id);
            }
            None => {
                let _ = writeln!(out, "  {}{title}: {}", v.id, shown(&v.value));
            }
        }
    }
}

/// A value for people: text without quotes, lists joined.
fn shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(xs) => {
            let items: Vec<String> = xs.iter().map(shown).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

fn eligible<'a>(out: &mut String, ids: impl Iterator<Item = &'a str>) {
    let ids: Vec<&str> = ids.collect();
    let list = if ids.is_empty() {
        "none".to_string()
    } else {
        ids.join(", ")
    };
    let _ = writeln!(out, "Eligible programs: {list}");
}

fn warnings<'a>(
    out: &mut String,
    items: impl ExactSizeIterator<Item = (careplan::Severity, &'a str, &'a str)>,
) {
    if items.len() == 0 {
        let _ = writeln!(out, "Warnings: none");
        return;
    }
    let _ = writeln!(out, "Warnings:");
    for (severity, code, message) in items {
        let sev = severity.word().to_uppercase();
        let _ = writeln!(out, "  {sev:<8} {code}: {message}");
    }
}

fn undetermined<'a>(
    out: &mut String,
    items: impl ExactSizeIterator<Item = (Kind, &'a str, Vec<&'a str>)>,
) {
    if items.len() == 0 {
        return;
    }
    let _ = writeln!(out, "Still unknown (ask about these to decide):");
    for (kind, id, missing) in items {
        let kind = match kind {
            Kind::Program => "program",
            Kind::Referral => "referral",
            Kind::Warning => "warning",
            Kind::Define => "value",
            Kind::Transition => "the plan's",
        };
        let _ = writeln!(out, "  {kind} {id}: needs {}", missing.join(", "));
    }
}

/// A batch's lines for people: each report as [`report`] or [`outcomes`]
/// writes it, an error as `line N: error: …`.
pub struct Human;

impl careplan::harness::batch::Form for Human {
    fn report(&self, r: &Report, buf: &mut Vec<u8>) {
        buf.extend_from_slice(report(r).as_bytes());
    }

    fn outcomes(&self, o: &Report<'_>, buf: &mut Vec<u8>) {
        buf.extend_from_slice(outcomes(o).as_bytes());
    }

    fn error(&self, line: usize, e: &careplan::EvalError, buf: &mut Vec<u8>) {
        buf.extend_from_slice(format!("line {line}: error: {e}\n").as_bytes());
    }
}
