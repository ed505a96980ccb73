//! What an evaluation returns: one family of types for the lean outcomes
//! and the full report. The full report is the outcomes plus reasons: each
//! referral and warning carries its [`Why`], and `programs` lists every
//! program with its status. Words are borrowed from the engine, so the lean
//! outcomes allocate only their lists.
//!
//! Field order is the JSON contract: the reference policy's keys come first,
//! in its order, then the explanations. Lists are in rule-set order (files
//! by name, items as written), never in hash order, so the same input gives
//! byte-identical output.

use crate::ir::{Priority, Severity};
use indexmap::IndexMap;
use serde::Serialize;
use std::borrow::Cow;

/// The outcome of evaluating one client profile: what fired, what is still
/// undetermined, and, in the full report ([`Engine::evaluate`]), why.
/// [`Engine::outcomes`] gives the same report without the reasons
/// (`why` is `None` and `programs` is absent), the fast form for batches.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let profile = engine.profile(&serde_json::json!({
///     "id": "c-1", "age": 34, "housing": "homeless"
/// })).unwrap();
/// let report = engine.evaluate(&profile, None).unwrap();
/// let housing = report.referrals.iter().find(|r| r.id == "housing_services").unwrap();
/// assert_eq!(housing.priority, careplan::Priority::Urgent);
/// assert!(housing.reason().unwrap().contains("housing is homeless"));
/// let lean = engine.outcomes(&profile, None).unwrap();
/// assert_eq!(lean.referrals.len(), report.referrals.len());
/// assert!(lean.referrals.iter().all(|r| r.why.is_none()));
/// ```
///
/// [`Engine::evaluate`]: crate::Engine::evaluate
/// [`Engine::outcomes`]: crate::Engine::outcomes
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report<'e> {
    /// The client's id, from the profile's `id` field.
    pub client: Option<Cow<'e, str>>,
    /// The evaluation date ([`Profile::as_of`](crate::Profile::as_of)),
    /// `"YYYY-MM-DD"` in JSON.
    #[serde(serialize_with = "crate::date::serialize")]
    pub as_of: crate::date::Date,
    /// The most intensive program the client is eligible for.
    pub recommended_program: Option<&'e str>,
    /// When the recommended program is full: the next program down that the
    /// client is eligible for and that has room.
    pub alternative_program: Option<&'e str>,
    /// Where an enrolled client's plan goes next (the rule set's
    /// `transition` block): continue, step up, step down or discharge.
    /// `None` for an intake, for a rule set without a transition, and
    /// when it is undetermined (then `undetermined` lists it last, as
    /// kind `transition`).
    pub transition: Option<TransitionItem<'e>>,
    /// Every program the client is eligible for.
    pub eligible_programs: Vec<&'e str>,
    /// The services of the recommended program.
    pub recommended_services: &'e [String],
    /// Referrals made, each once, at the highest priority that triggered.
    pub referrals: Vec<Referral<'e>>,
    /// Warnings raised.
    pub warnings: Vec<Warning<'e>>,
    /// Programs, referrals and warnings that depend on unknown data, with
    /// the fields that would decide them.
    pub undetermined: Vec<Undetermined<'e>>,
    /// The values the rule set marks `report: yes`, in rule-set order;
    /// empty when nothing is marked.
    pub values: Vec<Reported<'e>>,
    /// The schema fields the profile gave a value (not null, not a
    /// schema default), in schema order: what a later report is compared
    /// with to tell which fields became known or were lost.
    pub known_fields: Vec<&'e str>,
    /// In the full report: every program with its status and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programs: Option<Vec<ProgramItem<'e>>>,
    /// The rule set's content hash.
    pub ruleset_version: &'e str,
}

/// A referral made.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "phq9": 12}), None).unwrap();
/// let referral = report.referrals.iter().find(|r| r.id == "behavioral_health").unwrap();
/// assert_eq!(referral.priority, careplan::Priority::Routine);
/// assert_eq!(referral.why.as_ref().unwrap().title, Some("Behavioral health"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Referral<'e> {
    /// The referral's id.
    pub id: &'e str,
    /// How urgent.
    pub priority: Priority,
    /// Made at a lower priority while a more urgent trigger is unknown:
    /// the absent fields that would decide that trigger (in schema
    /// order). `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub urgent_if: Option<Vec<&'e str>>,
    /// In the full report: why it was made.
    #[serde(flatten)]
    pub why: Option<Why<'e>>,
}

/// A value marked `report: yes` (a define, or a table), as the report
/// gives it: known, or unknown with the absent fields that would decide it.
/// Numbers are exact decimals, sets are lists, enumeration values and
/// texts are strings.
///
/// ```
/// let engine = careplan::load_sources(
///     &[("r.rules", "schema {\n  a: integer\n  b: integer\n}\n\
///       define total \"Total\" {\n  value: a + b\n  report: yes\n}\n")],
///     &careplan::LoadOptions::default(),
/// ).unwrap();
/// let report = engine.evaluate_json(&serde_json::json!({"a": 1, "b": 2}), None).unwrap();
/// assert_eq!(report.values[0].id, "total");
/// assert_eq!(report.values[0].value, 3);
/// assert_eq!(report.values[0].missing, None);
/// let report = engine.evaluate_json(&serde_json::json!({"a": 1}), None).unwrap();
/// assert!(report.values[0].value.is_null());
/// assert_eq!(report.values[0].missing.as_deref(), Some(&["b"][..]));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reported<'e> {
    /// The define's (or table's) id.
    pub id: &'e str,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'e str>,
    /// Its value; `null` when unknown.
    pub value: serde_json::Value,
    /// When unknown: the absent fields that would decide it, in schema
    /// order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<&'e str>>,
}

/// A warning raised.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "violence_risk": true}), None).unwrap();
/// let warning = report.warnings.iter().find(|w| w.code == "home_visit_safety").unwrap();
/// assert_eq!(warning.severity, careplan::Severity::Warning);
/// assert!(!warning.message.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning<'e> {
    /// The warning's code.
    pub code: &'e str,
    /// How serious.
    pub severity: Severity,
    /// What the case worker reads.
    pub message: &'e str,
    /// In the full report: why it was raised.
    #[serde(flatten)]
    pub why: Option<Why<'e>>,
}

/// Why a referral was made or a warning raised: the conditions that held,
/// and the rule's title, evidence and source.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "phq9": 24}), None).unwrap();
/// let referral = report.referrals.iter().find(|r| r.id == "behavioral_health").unwrap();
/// let why = referral.why.as_ref().unwrap();
/// assert_eq!(why.evidence, Some("high"));
/// assert_eq!(why.because[0].values["phq9"], 24);
/// assert!(why.source.is_some());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Why<'e> {
    /// The conditions that held, in words.
    pub reason: String,
    /// The rule's title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'e str>,
    /// The conditions that held, with the values they read.
    pub because: Vec<Held>,
    /// The evidence grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<&'e str>,
    /// The source of the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'e str>,
}

impl Referral<'_> {
    /// The reason in words, in the full report.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "housing": "unstable"}), None).unwrap();
    /// assert_eq!(report.referrals[0].reason(), Some(r#"housing is unstable (housing = "unstable")"#));
    /// ```
    pub fn reason(&self) -> Option<&str> {
        self.why.as_ref().map(|w| w.reason.as_str())
    }
}

impl Warning<'_> {
    /// The reason in words, in the full report.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "violence_risk": true}), None).unwrap();
    /// assert_eq!(report.warnings[0].reason(), Some("violence_risk (violence_risk = true)"));
    /// ```
    pub fn reason(&self) -> Option<&str> {
        self.why.as_ref().map(|w| w.reason.as_str())
    }
}

/// What kind of item: a program, a referral or a warning.
///
/// ```
/// use careplan::Kind;
/// let engine = careplan::reference().unwrap();
/// assert!(engine.referrals().all(|r| r.kind() == Kind::Referral));
/// assert_eq!(serde_json::to_string(&Kind::Warning).unwrap(), "\"warning\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A program's eligibility.
    Program,
    /// A referral.
    Referral,
    /// A warning.
    Warning,
    /// A definition marked `report: yes` (in explanations only: a value is
    /// never undetermined in the report's sense).
    Define,
    /// The plan's transition (the rule set's `transition` block).
    Transition,
}

/// What happens to an enrolled client's plan: the transition's kind.
///
/// ```
/// use careplan::TransitionKind;
/// assert_eq!(TransitionKind::StepDown.as_str(), "step_down");
/// assert_eq!(serde_json::to_string(&TransitionKind::StepUp).unwrap(), "\"step_up\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// The client stays in the current program.
    Continue,
    /// A more intensive program is recommended.
    StepUp,
    /// A less intensive program is recommended, and the minimum stay is
    /// over.
    StepDown,
    /// No program is recommended any more, and the minimum stay is over.
    Discharge,
}

impl TransitionKind {
    /// Its name in the report: `continue`, `step_up`, `step_down`,
    /// `discharge`.
    ///
    /// ```
    /// assert_eq!(careplan::TransitionKind::Discharge.as_str(), "discharge");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            TransitionKind::Continue => "continue",
            TransitionKind::StepUp => "step_up",
            TransitionKind::StepDown => "step_down",
            TransitionKind::Discharge => "discharge",
        }
    }
}

/// A decided transition, as the report gives it: `{"kind": "step_down",
/// "from": "intensive_case_management", "to": "standard_case_management"}`;
/// `to` is null for a discharge. In the full report it carries why.
///
/// ```
/// use careplan::{TransitionItem, TransitionKind};
/// let t = TransitionItem { kind: TransitionKind::Discharge, from: "standard_case_management", to: None, why: None };
/// assert_eq!(
///     serde_json::to_string(&t).unwrap(),
///     r#"{"kind":"discharge","from":"standard_case_management","to":null}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionItem<'e> {
    /// Continue, step up, step down or discharge.
    pub kind: TransitionKind,
    /// The current program.
    pub from: &'e str,
    /// The program the client moves to (the current one to continue);
    /// `None` for a discharge.
    pub to: Option<&'e str>,
    /// In the full report: why.
    #[serde(flatten)]
    pub why: Option<Why<'e>>,
}

/// An item that depends on unknown data.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1"}), None).unwrap();
/// let housing = report.undetermined.iter().find(|u| u.id == "housing_services").unwrap();
/// assert_eq!(housing.kind, careplan::Kind::Referral);
/// assert_eq!(housing.missing, ["housing"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undetermined<'e> {
    /// Program, referral or warning.
    pub kind: Kind,
    /// Its id.
    pub id: &'e str,
    /// The absent fields that would decide it, in schema order.
    pub missing: Vec<&'e str>,
}

/// A program's eligibility.
///
/// ```
/// use careplan::Status;
/// let engine = careplan::reference().unwrap();
/// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "age": 15, "needs": [], "diagnoses": []}), None).unwrap();
/// let programs = report.programs.unwrap();
/// assert!(programs.iter().all(|p| p.status == Status::NotEligible));
/// assert_eq!(serde_json::to_string(&Status::NotEligible).unwrap(), "\"not_eligible\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The condition holds.
    Eligible,
    /// The condition does not hold.
    NotEligible,
    /// The condition depends on unknown data.
    Undetermined,
}

/// A program with its status and the reason for it.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "needs": ["food", "legal"]}), None).unwrap();
/// let programs = report.programs.unwrap();
/// let standard = programs.iter().find(|p| p.id == "standard_case_management").unwrap();
/// assert_eq!(standard.status, careplan::Status::Eligible);
/// assert_eq!(standard.caseload_limit, Some(40));
/// assert_eq!(
///     standard.reason,
///     r#"count(needs) >= 2 (needs = ["food","legal"]); not (eligible(community_care_case_management))"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramItem<'e> {
    /// The program's id.
    pub id: &'e str,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'e str>,
    /// Eligible, not eligible or undetermined.
    pub status: Status,
    /// Why, in words: the conditions that held (eligible), failed (not
    /// eligible) or are unknown (undetermined).
    pub reason: String,
    /// Those conditions with the values they read.
    pub because: Vec<Held>,
    /// Its caseload limit per case manager.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caseload_limit: Option<u64>,
}

/// One condition that decided an item, with the values it read.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "housing": "homeless"}), None).unwrap();
/// let held = &report.referrals[0].why.as_ref().unwrap().because[0];
/// assert_eq!(held.condition, "housing is homeless");
/// assert_eq!(held.values["housing"], "homeless");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Held {
    /// The condition as the rule author wrote it, prefixed `not` when it
    /// decided by being false.
    pub condition: String,
    /// The profile fields (and definitions, and caseloads) it read, with
    /// their values; `null` for unknown.
    pub values: IndexMap<String, serde_json::Value>,
}

impl Report<'_> {
    /// The report as one line of JSON.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "age": 30}), None).unwrap();
    /// let json = report.to_json();
    /// assert!(json.starts_with(r#"{"client":"c-1","#) && !json.contains('\n'));
    /// let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    /// assert_eq!(back["ruleset_version"], engine.version());
    /// ```
    pub fn to_json(&self) -> String {
        // Serialising plain data into a string cannot fail; fall back to an
        // empty object rather than panic.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}
