//! FHIR out: a report as a CarePlan shaped like the result of the
//! Clinical Reasoning module's `PlanDefinition/$apply`. The CarePlan's one
//! activity references a contained RequestGroup; each of its actions
//! references a contained ServiceRequest (a referral, `priority` urgent or
//! routine); each warning is a contained DetectedIssue, referenced from
//! `supportingInfo`. Everything is a proposal (`intent: proposal`, the
//! requests `draft`): the case worker decides.

use super::model::{CodeableConcept, Coding, Reference};
use crate::report::Report;
use crate::{Priority, Severity};
use jiff::civil::Date;
use serde::Serialize;
use serde_json::Value;

/// The code system of the rule set's referral ids in ServiceRequest.code.
const REFERRAL_SYSTEM: &str = "urn:careplan:referral";
/// The code system of the rule set's warning codes in DetectedIssue.code.
const WARNING_SYSTEM: &str = "urn:careplan:warning";

/// What the CarePlan says beyond the report.
///
/// ```
/// let options = careplan::fhir::PlanOptions::new(jiff::civil::date(2026, 5, 31));
/// assert_eq!(options.patient, None);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlanOptions {
    /// The patient reference (`Patient/p-1`); without one, the report's
    /// client id is used (`Patient/{client}`).
    pub patient: Option<String>,
    /// The evaluation date: `CarePlan.created`.
    pub as_of: Date,
}

impl PlanOptions {
    /// Options for a plan made on `as_of`.
    ///
    /// ```
    /// let o = careplan::fhir::PlanOptions::new(jiff::civil::date(2026, 1, 2));
    /// assert_eq!(o.as_of.to_string(), "2026-01-02");
    /// ```
    pub fn new(as_of: Date) -> PlanOptions {
        PlanOptions {
            patient: None,
            as_of,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CarePlan {
    resource_type: &'static str,
    id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contained: Vec<Contained>,
    status: &'static str,
    intent: &'static str,
    title: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    subject: Reference,
    created: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    supporting_info: Vec<Reference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    activity: Vec<Activity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    note: Vec<Annotation>,
}

#[derive(Serialize)]
struct Activity {
    reference: Reference,
}

#[derive(Serialize)]
struct Annotation {
    text: String,
}

#[derive(Serialize)]
#[serde(tag = "resourceType")]
enum Contained {
    RequestGroup(RequestGroup),
    ServiceRequest(ServiceRequest),
    DetectedIssue(DetectedIssue),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestGroup {
    id: String,
    status: &'static str,
    intent: &'static str,
    subject: Reference,
    authored_on: String,
    action: Vec<Action>,
}

#[derive(Serialize)]
struct Action {
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    priority: &'static str,
    resource: Reference,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceRequest {
    id: String,
    status: &'static str,
    intent: &'static str,
    priority: &'static str,
    code: CodeableConcept,
    subject: Reference,
    authored_on: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reason_code: Vec<CodeableConcept>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DetectedIssue {
    id: String,
    status: &'static str,
    code: CodeableConcept,
    severity: &'static str,
    patient: Reference,
    identified_date_time: String,
    detail: String,
}

fn reference(to: String) -> Reference {
    Reference {
        reference: Some(to),
        display: None,
    }
}

/// A FHIR id: letters, digits, `-` and `.`, at most 64 characters; other
/// characters become `-`.
fn fhir_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect()
}

fn priority(p: Priority) -> &'static str {
    match p {
        Priority::Urgent => "urgent",
        Priority::Routine => "routine",
    }
}

/// The report as a FHIR R4 CarePlan (JSON), shaped like
/// `PlanDefinition/$apply` output; see the module documentation.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let report = engine.evaluate_json(&serde_json::json!(
///     {"id": "p-1", "housing": "homeless", "violence_risk": true}), None).unwrap();
/// let plan = careplan::fhir::care_plan(&report, &careplan::fhir::PlanOptions::new(jiff::civil::date(2026, 5, 31)));
/// assert_eq!(plan["activity"][0]["reference"]["reference"], "#request-group");
/// let contained = plan["contained"].as_array().unwrap();
/// let housing = contained.iter().find(|r| r["id"] == "referral-housing-services").unwrap();
/// assert_eq!((housing["resourceType"].as_str(), housing["priority"].as_str()), (Some("ServiceRequest"), Some("urgent")));
/// assert!(contained.iter().any(|r| r["resourceType"] == "DetectedIssue"));
/// ```
pub fn care_plan(report: &Report, options: &PlanOptions) -> Value {
    let client = report.client.as_deref().unwrap_or("unknown");
    let subject = options
        .patient
        .clone()
        .unwrap_or_else(|| format!("Patient/{}", fhir_id(client)));
    let day = options.as_of.to_string();
    let mut contained = Vec::new();
    let mut actions = Vec::new();
    for r in &report.referrals {
        let id = fhir_id(&format!("referral-{}", r.id));
        let title = r
            .why
            .as_ref()
            .and_then(|w| w.title)
            .unwrap_or(r.id)
            .to_string();
        let reason = r.reason().map(|t| CodeableConcept {
            coding: Vec::new(),
            text: Some(t.to_string()),
        });
        actions.push(Action {
            title: title.clone(),
            description: r.reason().map(str::to_string),
            priority: priority(r.priority),
            resource: reference(format!("#{id}")),
        });
        contained.push(Contained::ServiceRequest(ServiceRequest {
            id,
            status: "draft",
            intent: "proposal",
            priority: priority(r.priority),
            code: CodeableConcept {
                coding: vec![Coding {
                    system: Some(REFERRAL_SYSTEM.into()),
                    code: Some(r.id.to_string()),
                    display: Some(title.clone()),
                }],
                text: Some(title),
            },
            subject: reference(subject.clone()),
            authored_on: day.clone(),
            reason_code: reason.into_iter().collect(),
        }));
    }
    let mut issues = Vec::new();
    for w in &report.warnings {
        let id = fhir_id(&format!("warning-{}", w.code));
        issues.push(reference(format!("#{id}")));
        contained.push(Contained::DetectedIssue(DetectedIssue {
            id,
            status: "preliminary",
            code: CodeableConcept {
                coding: vec![Coding {
                    system: Some(WARNING_SYSTEM.into()),
                    code: Some(w.code.to_string()),
                    display: w.why.as_ref().and_then(|y| y.title).map(str::to_string),
                }],
                text: None,
            },
            severity: match w.severity {
                Severity::Critical => "high",
                Severity::Warning => "moderate",
                Severity::Info => "low",
            },
            patient: reference(subject.clone()),
            identified_date_time: day.clone(),
            detail: w.message.to_string(),
        }));
    }
    let mut activity = Vec::new();
    if !actions.is_empty() {
        activity.push(Activity {
            reference: reference("#request-group".into()),
        });
        // The RequestGroup first, as $apply lists it.
        contained.insert(
            0,
            Contained::RequestGroup(RequestGroup {
                id: "request-group".into(),
                status: "draft",
                intent: "proposal",
                subject: reference(subject.clone()),
                authored_on: day.clone(),
                action: actions,
            }),
        );
    }
    let description = report.recommended_program.map(|p| {
        let mut d = format!("Recommended program: {p}");
        if let Some(alt) = report.alternative_program {
            d.push_str(&format!(" (alternative: {alt})"));
        }
        d
    });
    let note = report
        .undetermined
        .iter()
        .map(|u| Annotation {
            text: format!(
                "Undetermined {} `{}`: needs {}",
                serde_json::to_value(u.kind)
                    .ok()
                    .and_then(|k| k.as_str().map(str::to_string))
                    .unwrap_or_default(),
                u.id,
                u.missing.join(", ")
            ),
        })
        .collect();
    let plan = CarePlan {
        resource_type: "CarePlan",
        id: fhir_id(&format!("careplan-{client}")),
        contained,
        status: "draft",
        intent: "proposal",
        title: "Care plan proposal",
        description,
        subject: reference(subject),
        created: day,
        supporting_info: issues,
        activity,
        note,
    };
    serde_json::to_value(&plan).unwrap_or(Value::Null)
}
