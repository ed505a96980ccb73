//! What an evaluation returns.
//!
//! Field order is the JSON contract: the reference policy's keys come first,
//! in its order, then the explanations. Lists are in rule-set order (files
//! by name, items as written), never in hash order, so the same input gives
//! byte-identical output.

use crate::ir::{Priority, Severity};
use indexmap::IndexMap;
use serde::Serialize;

/// The outcome of evaluating one client profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The client's id, from the profile's `id` field.
    pub client: Option<String>,
    /// The most intensive program the client is eligible for.
    pub recommended_program: Option<String>,
    /// When the recommended program is full: the next program down that the
    /// client is eligible for and that has room.
    pub alternative_program: Option<String>,
    /// Every program the client is eligible for.
    pub eligible_programs: Vec<String>,
    /// The services of the recommended program.
    pub recommended_services: Vec<String>,
    /// Referrals made, each once, at the highest priority that triggered.
    pub referrals: Vec<ReferralItem>,
    /// Warnings raised.
    pub warnings: Vec<WarningItem>,
    /// Programs, referrals and warnings that depend on unknown data, with
    /// the fields that would decide them.
    pub undetermined: Vec<Undetermined>,
    /// Every program with its status and why.
    pub programs: Vec<ProgramItem>,
    /// The rule set's content hash.
    pub ruleset_version: String,
}

/// A referral made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferralItem {
    /// The referral's id.
    pub id: String,
    /// How urgent.
    pub priority: Priority,
    /// The conditions that held, in words.
    pub reason: String,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The conditions that held, with the values they read.
    pub because: Vec<Held>,
    /// The evidence grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The source of the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A warning raised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WarningItem {
    /// The warning's code.
    pub code: String,
    /// How serious.
    pub severity: Severity,
    /// What the case worker reads.
    pub message: String,
    /// The conditions that held, in words.
    pub reason: String,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The conditions that held, with the values they read.
    pub because: Vec<Held>,
    /// The evidence grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The source of the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What kind of item is undetermined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A program's eligibility.
    Program,
    /// A referral.
    Referral,
    /// A warning.
    Warning,
}

/// An item that depends on unknown data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undetermined {
    /// Program, referral or warning.
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// The absent fields that would decide it, in schema order.
    pub missing: Vec<String>,
}

/// A program's eligibility.
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramItem {
    /// The program's id.
    pub id: String,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Held {
    /// The condition as the rule author wrote it, prefixed `not` when it
    /// decided by being false.
    pub condition: String,
    /// The profile fields (and definitions, and caseloads) it read, with
    /// their values; `null` for unknown.
    pub values: IndexMap<String, serde_json::Value>,
}

impl Report {
    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain data into a string cannot fail; fall back to an
        // empty object rather than panic.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// The outcome of evaluating one profile without the explanations: the
/// keys of [`Report`] up to `undetermined`, and the rule-set version, with
/// referrals and warnings reduced to what a case system acts on. It borrows
/// its words from the engine, so building one allocates only its lists:
/// the report for batches, where explanations are most of the cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcomes<'e> {
    /// The client's id, from the profile's `id` field.
    pub client: Option<&'e str>,
    /// The most intensive program the client is eligible for.
    pub recommended_program: Option<&'e str>,
    /// When the recommended program is full, the next one down with room.
    pub alternative_program: Option<&'e str>,
    /// Every program the client is eligible for.
    pub eligible_programs: Vec<&'e str>,
    /// The services of the recommended program.
    pub recommended_services: &'e [String],
    /// Referrals made, each at the highest priority that triggered.
    pub referrals: Vec<ReferralOutcome<'e>>,
    /// Warnings raised.
    pub warnings: Vec<WarningOutcome<'e>>,
    /// What depends on unknown data, with the fields that would decide it.
    pub undetermined: Vec<UndeterminedOutcome<'e>>,
    /// The rule set's content hash.
    pub ruleset_version: &'e str,
}

/// A referral made, in [`Outcomes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferralOutcome<'e> {
    /// The referral's id.
    pub id: &'e str,
    /// How urgent.
    pub priority: Priority,
}

/// A warning raised, in [`Outcomes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningOutcome<'e> {
    /// The warning's code.
    pub code: &'e str,
    /// How serious.
    pub severity: Severity,
    /// What the case worker reads.
    pub message: &'e str,
}

/// An undetermined item, in [`Outcomes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndeterminedOutcome<'e> {
    /// What kind of item.
    pub kind: Kind,
    /// Its id.
    pub id: &'e str,
    /// The absent fields that would decide it.
    pub missing: Vec<&'e str>,
}
