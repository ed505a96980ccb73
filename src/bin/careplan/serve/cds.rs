//! CDS Hooks 2.0: discovery (`GET /cds-services`), the `patient-view`
//! service (`POST /cds-services/careplan`) and its feedback endpoint.
//!
//! The service reads the prefetched resources through the rule set's FHIR
//! mapping (a prefetch key left out or `null` is unknown data; a search
//! Bundle, even empty, is an answer), evaluates the full report and turns
//! it into cards: urgent referrals `warning`, warnings by severity
//! (`critical`, `warning`, `info`), the rest `info`; each referral with a
//! suggestion that creates its ServiceRequest; one `info` card listing
//! what to ask when items are undetermined.

use super::problem::Problem;
use super::routes::{self, json_response};
use super::state::State;
use axum::body::Body;
use axum::extract::{Path, State as Ext};
use axum::http::StatusCode;
use axum::response::Response;
use careplan::fhir::Resources;
use careplan::{Priority, Report, Severity};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The one service's id.
pub const SERVICE: &str = "careplan";

/// The prefetch keys, each with the resource type it holds and its query.
const PREFETCH: [(&str, &str, &str); 5] = [
    ("patient", "Patient", "Patient/{{context.patientId}}"),
    (
        "conditions",
        "Condition",
        "Condition?patient={{context.patientId}}",
    ),
    (
        "observations",
        "Observation",
        "Observation?patient={{context.patientId}}",
    ),
    (
        "encounters",
        "Encounter",
        "Encounter?patient={{context.patientId}}",
    ),
    (
        "coverage",
        "Coverage",
        "Coverage?patient={{context.patientId}}",
    ),
];

/// `GET /cds-services`.
pub async fn discovery(Ext(state): Ext<Arc<State>>) -> Response {
    let rules = state.current();
    let mut prefetch = serde_json::Map::new();
    for (key, _, query) in PREFETCH {
        let mut q = query.to_string();
        if key == "observations" {
            // Only the observations the mapping reads.
            let codes = rules
                .mapping
                .as_ref()
                .map(|m| m.observation_codes())
                .unwrap_or_default();
            if !codes.is_empty() {
                q.push_str(&format!("&code={}", codes.join(",")));
            }
        }
        prefetch.insert(key.into(), Value::String(q));
    }
    let body = json!({"services": [{
        "hook": "patient-view",
        "id": SERVICE,
        "title": "Care plan eligibility",
        "description": "Case-management programs, referrals and warnings from the careplan rule set, with what to ask when data is missing",
        "prefetch": prefetch,
        "usageRequirements": format!("rule set {}", rules.version()),
    }]});
    json_response(
        StatusCode::OK,
        body.to_string(),
        rules.version(),
        "application/json",
    )
}

fn unknown_service(id: &str) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "unknown-service",
        "No such CDS service",
        format!("there is no CDS service `{id}`; the one service is `{SERVICE}`"),
    )
}

/// A stable uuid-shaped id for a card or suggestion: the same hook
/// instance and item give the same id.
fn uuid(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    let hex: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let at = |a: usize, b: usize| hex.get(a..b).unwrap_or("");
    format!(
        "{}-{}-4{}-8{}-{}",
        at(0, 8),
        at(8, 12),
        at(13, 16),
        at(17, 20),
        at(20, 32)
    )
}

/// At most 139 characters, cut at a character boundary.
fn summary(s: String) -> String {
    if s.chars().count() < 140 {
        return s;
    }
    let mut t: String = s.chars().take(138).collect();
    t.push('…');
    t
}

fn detail(reason: Option<&str>, why: Option<&careplan::Why>, message: Option<&str>) -> String {
    let mut d = String::new();
    if let Some(m) = message {
        d.push_str(m);
        d.push_str("\n\n");
    }
    if let Some(r) = reason {
        d.push_str(&format!("**Why:** {r}\n\n"));
    }
    if let Some(w) = why {
        if let Some(e) = w.evidence {
            d.push_str(&format!("**Evidence:** {e}\n\n"));
        }
        if let Some(s) = w.source {
            d.push_str(&format!("**Source:** {s}\n"));
        }
    }
    d.trim_end().to_string()
}

/// The cards of a full report.
pub fn cards(report: &Report, patient: &str, instance: &str, version: &str) -> Vec<Value> {
    let source =
        json!({"label": format!("careplan rules {}", version.get(..19).unwrap_or(version))});
    let mut cards = Vec::new();
    if let Some(p) = report.recommended_program {
        let mut s = format!("Eligible for {p}");
        if let Some(alt) = report.alternative_program {
            s.push_str(&format!("; full, alternative {alt}"));
        }
        cards.push(json!({
            "uuid": uuid(&[instance, "program", p]),
            "summary": summary(s),
            "indicator": "info",
            "detail": format!("Eligible programs: {}", report.eligible_programs.join(", ")),
            "source": source,
        }));
    }
    for r in &report.referrals {
        let title = r.why.as_ref().and_then(|w| w.title).unwrap_or(r.id);
        let urgent = r.priority == Priority::Urgent;
        let request = json!({
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "proposal",
            "priority": if urgent { "urgent" } else { "routine" },
            "code": {"coding": [{"system": "urn:careplan:referral", "code": r.id, "display": title}], "text": title},
            "subject": {"reference": format!("Patient/{patient}")},
        });
        cards.push(json!({
            "uuid": uuid(&[instance, "referral", r.id]),
            "summary": summary(format!("{} referral: {title}", if urgent { "Urgent" } else { "Routine" })),
            "indicator": if urgent { "warning" } else { "info" },
            "detail": detail(r.reason(), r.why.as_ref(), None),
            "source": source,
            "selectionBehavior": "any",
            "suggestions": [{
                "label": summary(format!("Create the referral: {title}")),
                "uuid": uuid(&[instance, "suggestion", r.id]),
                "isRecommended": true,
                "actions": [{"type": "create", "description": format!("Refer to {title}"), "resource": request}],
            }],
        }));
    }
    for w in &report.warnings {
        let title = w.why.as_ref().and_then(|y| y.title).unwrap_or(w.code);
        cards.push(json!({
            "uuid": uuid(&[instance, "warning", w.code]),
            "summary": summary(title.to_string()),
            "indicator": match w.severity {
                Severity::Critical => "critical",
                Severity::Warning => "warning",
                Severity::Info => "info",
            },
            "detail": detail(w.reason(), w.why.as_ref(), Some(w.message)),
            "source": source,
        }));
    }
    if !report.undetermined.is_empty() {
        let mut fields: Vec<&str> = Vec::new();
        let mut lines = String::new();
        for u in &report.undetermined {
            for m in &u.missing {
                if !fields.contains(m) {
                    fields.push(m);
                }
            }
            lines.push_str(&format!("- `{}` needs {}\n", u.id, u.missing.join(", ")));
        }
        cards.push(json!({
            "uuid": uuid(&[instance, "undetermined"]),
            "summary": summary(format!("{} items undetermined: ask about {}", report.undetermined.len(), fields.join(", "))),
            "indicator": "info",
            "detail": format!("Ask about: {}\n\n{}", fields.join(", "), lines.trim_end()),
            "source": source,
        }));
    }
    cards
}

/// `POST /cds-services/{id}`.
pub async fn service(
    Ext(state): Ext<Arc<State>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, Problem> {
    if id != SERVICE {
        return Err(unknown_service(&id));
    }
    let bytes = routes::read_body(body, state.config.max_body).await?;
    let rules = state.current();
    let version = rules.version();
    let v = routes::parse_json(&bytes)?;
    match v.get("hook").and_then(Value::as_str) {
        Some("patient-view") => {}
        Some(other) => {
            return Err(Problem::field(
                "hook",
                format!("this service answers `patient-view`, not `{other}`"),
            ));
        }
        None => return Err(Problem::field("hook", "missing `hook`")),
    }
    let instance = match v.get("hookInstance").and_then(Value::as_str) {
        Some(s) => s.to_string(),
        None => return Err(Problem::field("hookInstance", "missing `hookInstance`")),
    };
    let context = routes::object(v.get("context"), "context")?;
    let patient = match context
        .and_then(|c| c.get("patientId"))
        .and_then(Value::as_str)
    {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => {
            return Err(Problem::field(
                "context.patientId",
                "missing `context.patientId`",
            ));
        }
    };
    let Some(mapping) = &rules.mapping else {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no-fhir-mapping",
            "The rule set declares no FHIR mapping",
            "add fhir.yaml to the rules directory",
        ));
    };
    let prefetch = routes::object(v.get("prefetch"), "prefetch")?;
    let mut resources = Resources::default();
    if let Some(prefetch) = prefetch {
        for (key, ty, _) in PREFETCH {
            let field = format!("prefetch.{key}");
            match prefetch.get(key) {
                None | Some(Value::Null) => {}
                Some(item) => {
                    resources
                        .add(item, &field)
                        .map_err(|e| routes::fhir_problem(&e, &field))?;
                    if item.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
                        resources.searched(ty);
                    }
                }
            }
        }
    }
    let as_of = careplan::date::today();
    let mut profile = careplan::fhir::profile(mapping, &resources, as_of)
        .map_err(|e| routes::fhir_problem(&e, "prefetch"))?;
    if let Value::Object(o) = &mut profile {
        // The EHR names the patient even when it prefetched nothing.
        o.entry("id")
            .or_insert_with(|| Value::String(patient.clone()));
    }
    let read = rules.engine.profile(&profile).map_err(|e| {
        Problem::field(
            format!("prefetch (schema field `{}`)", e.field),
            e.to_string(),
        )
    })?;
    let report = rules
        .engine
        .evaluate(&read, None)
        .map_err(|e| routes::eval_problem(&e, version))?;
    let body = json!({"cards": cards(&report, &patient, &instance, version)});
    Ok(json_response(
        StatusCode::OK,
        body.to_string(),
        version,
        "application/json",
    ))
}

/// `POST /cds-services/{id}/feedback`: accepted and counted.
pub async fn feedback(
    Ext(state): Ext<Arc<State>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, Problem> {
    if id != SERVICE {
        return Err(unknown_service(&id));
    }
    let bytes = routes::read_body(body, state.config.max_body).await?;
    let v = routes::parse_json(&bytes)?;
    let n = match v.get("feedback") {
        Some(Value::Array(items)) => items.len() as u64,
        _ => {
            return Err(Problem::field(
                "feedback",
                "expected `feedback`: a list of card outcomes",
            ));
        }
    };
    state.metrics.feedback(n);
    let rules = state.current();
    Ok(json_response(
        StatusCode::OK,
        json!({"accepted": n}).to_string(),
        rules.version(),
        "application/json",
    ))
}
