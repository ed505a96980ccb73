//! `careplan eval PROFILE --previous REPORT.json`: the report kept from an
//! earlier evaluation of the same client, read back, and what changed since,
//! as a section after the report (human) or its `"review"` key (JSON).
//!
//! Every failure is a usage error (exit 2) naming the file: it cannot be
//! read, it is not a report, it is another client's, or it is dated after
//! the evaluation date.

use crate::Fail;
use careplan::review::{PreviousReport, Review, TransitionEntry};
use careplan::{Kind, Report};
use std::fmt::Write as _;

/// Reads the previous report from `path` (`-`: standard input).
pub fn read(path: &str) -> Result<PreviousReport, Fail> {
    let text = crate::input::read_text(path).map_err(|e| Fail::usage(format!("error: {e}")))?;
    PreviousReport::from_json(&text).map_err(|e| failed(path, &e))
}

/// What changed since the previous report.
pub fn review(previous: &PreviousReport, path: &str, current: &Report) -> Result<Review, Fail> {
    Review::between(previous, current).map_err(|e| failed(path, &e))
}

fn failed(path: &str, e: &careplan::ReviewError) -> Fail {
    let shown = if path == "-" {
        "from standard input".to_string()
    } else {
        format!("`{path}`")
    };
    Fail::usage(format!("error: in previous report {shown}: {e}"))
}

/// The report as pretty JSON with the review as its last key.
pub fn json(report: &Report, review: &Review) -> String {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "review".into(),
            serde_json::to_value(review).unwrap_or_default(),
        );
    }
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// The review as a case worker reads it: one line per change, or
/// "nothing changed".
pub fn text(r: &Review) -> String {
    let mut out = String::new();
    let ago = match r.days {
        0 => "the same day".to_string(),
        1 => "1 day ago".to_string(),
        n => format!("{n} days ago"),
    };
    let _ = writeln!(
        out,
        "Since the last report ({}, {ago}):",
        careplan::date::show(r.since)
    );
    let mut line = |s: String| {
        let _ = writeln!(out, "  {s}");
    };
    let none = |p: &Option<String>| p.clone().unwrap_or_else(|| "none".into());
    if r.program.changed {
        line(format!(
            "recommended program: {} -> {}",
            none(&r.program.before),
            none(&r.program.after)
        ));
    }
    if r.transition.changed {
        line(format!(
            "transition: {} -> {}",
            transition(r.transition.before.as_ref()),
            transition(r.transition.after.as_ref())
        ));
    }
    for x in &r.referrals.opened {
        line(format!("referral opened: {} ({})", x.id, x.priority.word()));
    }
    for x in &r.referrals.closed {
        line(format!(
            "referral closed: {} (was {})",
            x.id,
            x.priority.word()
        ));
    }
    for x in &r.referrals.priority_changed {
        line(format!(
            "referral priority: {} {} -> {}",
            x.id,
            x.before.word(),
            x.after.word()
        ));
    }
    for x in &r.warnings.raised {
        line(format!(
            "warning raised: {} ({})",
            x.code,
            x.severity.word()
        ));
    }
    for x in &r.warnings.cleared {
        line(format!(
            "warning cleared: {} (was {})",
            x.code,
            x.severity.word()
        ));
    }
    for x in &r.undetermined.resolved {
        line(format!("now decided: {}", item(x.kind, &x.id)));
    }
    for x in &r.undetermined.new {
        line(format!(
            "now undetermined: {}, needs {}",
            item(x.kind, &x.id),
            x.missing.join(", ")
        ));
    }
    if !r.fields.known.is_empty() {
        line(format!("fields now known: {}", r.fields.known.join(", ")));
    }
    if !r.fields.lost.is_empty() {
        line(format!(
            "fields no longer known: {}",
            r.fields.lost.join(", ")
        ));
    }
    if r.is_empty() {
        line("nothing changed".into());
    }
    if r.rules_changed {
        line("the rule set changed since (outcomes may differ for the same data)".into());
    }
    out
}

/// A transition in words: "none", "continue in X", "step up from X to Y",
/// "step down from X to Y", "discharge from X".
fn transition(t: Option<&TransitionEntry>) -> String {
    let Some(t) = t else {
        return "none".into();
    };
    let to = t.to.as_deref().unwrap_or("none");
    match t.kind {
        careplan::TransitionKind::Continue => format!("continue in {}", t.from),
        careplan::TransitionKind::StepUp => format!("step up from {} to {to}", t.from),
        careplan::TransitionKind::StepDown => format!("step down from {} to {to}", t.from),
        careplan::TransitionKind::Discharge => format!("discharge from {}", t.from),
    }
}

/// An undetermined item: "program X", "referral X", "warning X", "the
/// transition".
fn item(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Program => format!("program {id}"),
        Kind::Referral => format!("referral {id}"),
        Kind::Warning => format!("warning {id}"),
        Kind::Define => format!("value {id}"),
        Kind::Transition => "the transition".into(),
    }
}
