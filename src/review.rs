//! The review since the last report: what changed for one client between a
//! report a case system kept ([`PreviousReport`], read back from the
//! report's JSON) and the report just made ([`Report`]).
//!
//! A [`Review`] compares outcomes, not reasons: the recommended program,
//! the transition, referrals (by id, with their priority), warnings (by
//! code), undetermined items (by kind and id) and the fields the profile
//! gave (`known_fields`). Unknown stays unknown here too: a referral that
//! was made and is now undetermined is not "closed" (nothing decided it
//! away), it is listed as newly undetermined; likewise a warning.
//!
//! The previous report is read with serde: unknown keys are ignored (the
//! full report's reasons, `programs`, `values`), and every key the
//! comparison reads must be there (a report of rules before version 2 has
//! no `known_fields`, and is refused naming it).
//!
//! ```
//! use careplan::review::{PreviousReport, Review};
//! let engine = careplan::reference()?;
//! let mut profile = engine.profile(&serde_json::json!({"id": "c-7", "housing": "homeless"}))?;
//! profile.as_of = jiff::civil::date(2026, 3, 1);
//! let now = engine.evaluate(&profile, None)?;
//! let kept = r#"{"client": "c-7", "as_of": "2026-01-15", "recommended_program": null,
//!   "transition": null, "referrals": [{"id": "housing_services", "priority": "routine"}],
//!   "warnings": [], "undetermined": [], "known_fields": ["id", "housing"]}"#;
//! let review = Review::between(&PreviousReport::from_json(kept)?, &now)?;
//! assert_eq!(review.referrals.priority_changed[0].id, "housing_services");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::date::Date;
use crate::ir::{Priority, Severity};
use crate::report::{Kind, Report, TransitionKind};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A report kept from an earlier evaluation, read back from its JSON (the
/// full report or the lean outcomes; extra keys are ignored). `as_of`,
/// `known_fields` and the other keys the comparison reads are required: a
/// document without one is refused, naming it.
///
/// ```
/// use careplan::review::PreviousReport;
/// let previous = PreviousReport::from_json(r#"{
///     "client": "c-1", "as_of": "2026-01-15",
///     "recommended_program": "intensive_case_management", "alternative_program": null,
///     "transition": {"kind": "continue", "from": "intensive_case_management",
///                    "to": "intensive_case_management", "reason": "…"},
///     "referrals": [{"id": "housing_services", "priority": "urgent"}],
///     "warnings": [], "undetermined": [], "values": [],
///     "known_fields": ["id", "age"], "ruleset_version": "sha256:00"
/// }"#).unwrap();
/// assert_eq!(previous.as_of, jiff::civil::date(2026, 1, 15));
/// assert_eq!(previous.referrals[0].priority, careplan::Priority::Urgent);
///
/// let err = PreviousReport::from_json(r#"{"client": "c-1", "as_of": "2026-01-15"}"#).unwrap_err();
/// assert!(err.to_string().contains("missing field `recommended_program`"), "{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PreviousReport {
    /// The client's id (`null` when the rule set's profiles have none).
    #[serde(deserialize_with = "nullable")]
    pub client: Option<String>,
    /// The evaluation date of that report.
    #[serde(deserialize_with = "date")]
    pub as_of: Date,
    /// The program recommended then.
    #[serde(deserialize_with = "nullable")]
    pub recommended_program: Option<String>,
    /// The transition then (`null`: none, or undetermined).
    #[serde(deserialize_with = "nullable")]
    pub transition: Option<TransitionEntry>,
    /// The referrals made then.
    pub referrals: Vec<ReferralEntry>,
    /// The warnings raised then.
    pub warnings: Vec<WarningEntry>,
    /// What was undetermined then.
    pub undetermined: Vec<UndeterminedEntry>,
    /// The fields the profile gave then.
    pub known_fields: Vec<String>,
    /// The rule set's content hash then, when the report gives it.
    #[serde(default)]
    pub ruleset_version: Option<String>,
}

impl PreviousReport {
    /// Reads a report's JSON text.
    ///
    /// ```
    /// use careplan::review::PreviousReport;
    /// let err = PreviousReport::from_json(r#"{"id": "c-1", "age": 40}"#).unwrap_err();
    /// assert!(err.to_string().starts_with("not a report: missing field `client`"), "{err}");
    /// ```
    pub fn from_json(text: &str) -> Result<PreviousReport, ReviewError> {
        serde_json::from_str(text).map_err(|e| ReviewError::NotAReport {
            message: e.to_string(),
        })
    }

    /// What a report says, as the previous report of a later review: for
    /// an embedder that keeps the [`Report`] itself rather than its JSON.
    ///
    /// ```
    /// use careplan::review::PreviousReport;
    /// let engine = careplan::reference().unwrap();
    /// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1", "housing": "homeless"}), None).unwrap();
    /// let previous = PreviousReport::of(&report);
    /// assert_eq!(previous.client.as_deref(), Some("c-1"));
    /// assert_eq!(previous.referrals[0].id, "housing_services");
    /// assert_eq!(previous.known_fields, ["id", "housing"]);
    /// ```
    pub fn of(report: &Report<'_>) -> PreviousReport {
        PreviousReport {
            client: report.client.as_deref().map(str::to_string),
            as_of: report.as_of,
            recommended_program: report.recommended_program.map(str::to_string),
            transition: transition_of(report),
            referrals: referrals_of(report),
            warnings: warnings_of(report),
            undetermined: undetermined_of(report),
            known_fields: report.known_fields.iter().map(|f| f.to_string()).collect(),
            ruleset_version: Some(report.ruleset_version.to_string()),
        }
    }
}

/// A transition, without its reasons: `{"kind": "step_down", "from": …,
/// "to": …}` (`to` null for a discharge).
///
/// ```
/// use careplan::review::TransitionEntry;
/// let t: TransitionEntry = serde_json::from_str(
///     r#"{"kind": "discharge", "from": "standard_case_management", "to": null}"#,
/// ).unwrap();
/// assert_eq!(t.kind, careplan::TransitionKind::Discharge);
/// assert_eq!(t.to, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionEntry {
    /// Continue, step up, step down or discharge.
    pub kind: TransitionKind,
    /// The program the client was in.
    pub from: String,
    /// The program the client goes to; `None` for a discharge.
    #[serde(deserialize_with = "nullable")]
    pub to: Option<String>,
}

/// A referral, without its reasons: its id and priority.
///
/// ```
/// use careplan::review::ReferralEntry;
/// let r: ReferralEntry = serde_json::from_str(r#"{"id": "food_assistance", "priority": "routine"}"#).unwrap();
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"id":"food_assistance","priority":"routine"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralEntry {
    /// The referral's id.
    pub id: String,
    /// Its priority.
    pub priority: Priority,
}

/// A warning, without its message and reasons: its code and severity.
///
/// ```
/// use careplan::review::WarningEntry;
/// let w: WarningEntry = serde_json::from_str(
///     r#"{"code": "home_visit_safety", "severity": "warning", "message": "…"}"#,
/// ).unwrap();
/// assert_eq!(w.severity, careplan::Severity::Warning);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningEntry {
    /// The warning's code.
    pub code: String,
    /// How serious.
    pub severity: Severity,
}

/// An undetermined item: its kind, id and the fields that would decide it.
///
/// ```
/// use careplan::review::UndeterminedEntry;
/// let u: UndeterminedEntry = serde_json::from_str(
///     r#"{"kind": "transition", "id": "transition", "missing": ["enrolled_since"]}"#,
/// ).unwrap();
/// assert_eq!(u.kind, careplan::Kind::Transition);
/// assert!(serde_json::from_str::<UndeterminedEntry>(r#"{"kind": "rule", "id": "x", "missing": []}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndeterminedEntry {
    /// Program, referral, warning or transition.
    #[serde(deserialize_with = "kind")]
    pub kind: Kind,
    /// Its id.
    pub id: String,
    /// The absent fields that would decide it.
    pub missing: Vec<String>,
}

/// A value then and now.
///
/// ```
/// use careplan::review::Change;
/// let c = Change::new(Some("a".to_string()), Some("b".to_string()));
/// assert!(c.changed);
/// assert_eq!(
///     serde_json::to_string(&c).unwrap(),
///     r#"{"before":"a","after":"b","changed":true}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    /// In the previous report.
    pub before: T,
    /// In the current report.
    pub after: T,
    /// Whether they differ.
    pub changed: bool,
}

impl<T: PartialEq> Change<T> {
    /// The change from `before` to `after`.
    ///
    /// ```
    /// assert!(!careplan::review::Change::new(1, 1).changed);
    /// ```
    pub fn new(before: T, after: T) -> Change<T> {
        let changed = before != after;
        Change {
            before,
            after,
            changed,
        }
    }
}

/// A referral made in both reports, at another priority now.
///
/// ```
/// use careplan::{Priority, review::PriorityChange};
/// let p = PriorityChange { id: "behavioral_health".into(), before: Priority::Routine, after: Priority::Urgent };
/// assert_eq!(
///     serde_json::to_string(&p).unwrap(),
///     r#"{"id":"behavioral_health","before":"routine","after":"urgent"}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PriorityChange {
    /// The referral's id.
    pub id: String,
    /// Its priority then.
    pub before: Priority,
    /// Its priority now.
    pub after: Priority,
}

/// What changed in the referrals.
///
/// ```
/// let r = careplan::review::ReferralChanges::default();
/// assert!(r.opened.is_empty() && r.closed.is_empty() && r.priority_changed.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReferralChanges {
    /// Made now and not then (then not made, or undetermined), in the
    /// current report's order.
    pub opened: Vec<ReferralEntry>,
    /// Made then, and now decided not made (one that is now undetermined
    /// is in [`UndeterminedChanges::new`] instead), at the priority it had,
    /// in the previous report's order.
    pub closed: Vec<ReferralEntry>,
    /// Made in both, at another priority now, in the current order.
    pub priority_changed: Vec<PriorityChange>,
}

/// What changed in the warnings.
///
/// ```
/// let w = careplan::review::WarningChanges::default();
/// assert!(w.raised.is_empty() && w.cleared.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WarningChanges {
    /// Raised now and not then, in the current report's order.
    pub raised: Vec<WarningEntry>,
    /// Raised then, and now decided not raised (one that is now
    /// undetermined is in [`UndeterminedChanges::new`] instead), in the
    /// previous report's order.
    pub cleared: Vec<WarningEntry>,
}

/// What changed in the undetermined items, each named by kind and id.
///
/// ```
/// let u = careplan::review::UndeterminedChanges::default();
/// assert!(u.resolved.is_empty() && u.new.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UndeterminedChanges {
    /// Undetermined then and decided now, with the fields they needed
    /// then, in the previous report's order.
    pub resolved: Vec<UndeterminedEntry>,
    /// Undetermined now and not then, with the fields they need now, in
    /// the current report's order.
    pub new: Vec<UndeterminedEntry>,
}

/// What changed in the fields the profile gave (`known_fields`).
///
/// ```
/// let f = careplan::review::FieldChanges::default();
/// assert!(f.known.is_empty() && f.lost.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldChanges {
    /// Given now and not then, in the current (schema) order.
    pub known: Vec<String>,
    /// Given then and not now, in the previous report's order.
    pub lost: Vec<String>,
}

/// What changed for one client since a previous report: the `"review"` of
/// `careplan eval --previous`.
///
/// ```
/// use careplan::review::{PreviousReport, Review};
/// let engine = careplan::reference().unwrap();
/// let mut profile = engine.profile(&serde_json::json!({
///     "id": "c-1", "housing": "stable", "needs": ["food"]
/// })).unwrap();
/// profile.as_of = jiff::civil::date(2026, 3, 1);
/// let now = engine.evaluate(&profile, None).unwrap();
/// let previous = PreviousReport::from_json(r#"{
///     "client": "c-1", "as_of": "2026-01-15", "recommended_program": null,
///     "transition": null,
///     "referrals": [{"id": "housing_services", "priority": "urgent"}],
///     "warnings": [],
///     "undetermined": [{"kind": "referral", "id": "food_assistance", "missing": ["needs"]}],
///     "known_fields": ["id", "housing"]
/// }"#).unwrap();
/// let review = Review::between(&previous, &now).unwrap();
/// assert_eq!(review.days, 45);
/// assert_eq!(review.referrals.closed[0].id, "housing_services");
/// assert_eq!(review.referrals.opened[0].id, "food_assistance");
/// assert_eq!(review.undetermined.resolved[0].id, "food_assistance");
/// assert_eq!(review.fields.known, ["needs"]);
/// assert!(!review.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// The previous report's evaluation date.
    #[serde(serialize_with = "crate::date::serialize")]
    pub since: Date,
    /// Whole days from the previous report's date to the current one's
    /// (0 on the same day).
    pub days: i64,
    /// Whether the rule set changed: both reports give a
    /// `ruleset_version` and they differ. Outcomes may then differ with
    /// the same data.
    pub rules_changed: bool,
    /// The recommended program then and now.
    pub program: Change<Option<String>>,
    /// The transition then and now (`None`: none, or undetermined).
    pub transition: Change<Option<TransitionEntry>>,
    /// Referrals opened, closed, at another priority.
    pub referrals: ReferralChanges,
    /// Warnings raised, cleared.
    pub warnings: WarningChanges,
    /// Undetermined items resolved, new.
    pub undetermined: UndeterminedChanges,
    /// Fields newly known, lost.
    pub fields: FieldChanges,
}

impl Review {
    /// Compares a previous report with the current one. The previous one
    /// must be of the same client (the same `client`, or both without one)
    /// and dated no later than the current one.
    ///
    /// ```
    /// use careplan::review::{PreviousReport, Review, ReviewError};
    /// let engine = careplan::reference().unwrap();
    /// let mut profile = engine.profile(&serde_json::json!({"id": "c-1"})).unwrap();
    /// profile.as_of = jiff::civil::date(2026, 3, 1);
    /// let now = engine.evaluate(&profile, None).unwrap();
    ///
    /// let same = PreviousReport::of(&now);
    /// let review = Review::between(&same, &now).unwrap();
    /// assert!(review.is_empty());
    /// assert_eq!(review.days, 0);
    ///
    /// let mut other = same.clone();
    /// other.client = Some("c-2".into());
    /// assert!(matches!(Review::between(&other, &now), Err(ReviewError::OtherClient { .. })));
    ///
    /// let mut later = same.clone();
    /// later.as_of = jiff::civil::date(2026, 3, 2);
    /// let err = Review::between(&later, &now).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "the previous report is dated 2026-03-02, after the evaluation date 2026-03-01"
    /// );
    /// ```
    pub fn between(previous: &PreviousReport, current: &Report<'_>) -> Result<Review, ReviewError> {
        let client = current.client.as_deref();
        if previous.client.as_deref() != client {
            return Err(ReviewError::OtherClient {
                previous: previous.client.clone(),
                current: client.map(str::to_string),
            });
        }
        if previous.as_of > current.as_of {
            return Err(ReviewError::Later {
                previous: previous.as_of,
                current: current.as_of,
            });
        }
        let days = crate::date::day_number(current.as_of) - crate::date::day_number(previous.as_of);
        let now = PreviousReport::of(current);
        let is_undetermined = |list: &[UndeterminedEntry], kind: Kind, id: &str| {
            list.iter().any(|u| u.kind == kind && u.id == id)
        };

        let mut referrals = ReferralChanges::default();
        for r in &now.referrals {
            match previous.referrals.iter().find(|p| p.id == r.id) {
                None => referrals.opened.push(r.clone()),
                Some(p) if p.priority != r.priority => {
                    referrals.priority_changed.push(PriorityChange {
                        id: r.id.clone(),
                        before: p.priority,
                        after: r.priority,
                    })
                }
                Some(_) => {}
            }
        }
        referrals.closed = previous
            .referrals
            .iter()
            .filter(|p| {
                !now.referrals.iter().any(|r| r.id == p.id)
                    && !is_undetermined(&now.undetermined, Kind::Referral, &p.id)
            })
            .cloned()
            .collect();

        let warnings = WarningChanges {
            raised: now
                .warnings
                .iter()
                .filter(|w| !previous.warnings.iter().any(|p| p.code == w.code))
                .cloned()
                .collect(),
            cleared: previous
                .warnings
                .iter()
                .filter(|p| {
                    !now.warnings.iter().any(|w| w.code == p.code)
                        && !is_undetermined(&now.undetermined, Kind::Warning, &p.code)
                })
                .cloned()
                .collect(),
        };

        let undetermined = UndeterminedChanges {
            resolved: previous
                .undetermined
                .iter()
                .filter(|p| !is_undetermined(&now.undetermined, p.kind, &p.id))
                .cloned()
                .collect(),
            new: now
                .undetermined
                .iter()
                .filter(|u| !is_undetermined(&previous.undetermined, u.kind, &u.id))
                .cloned()
                .collect(),
        };

        let fields = FieldChanges {
            known: only_in(&now.known_fields, &previous.known_fields),
            lost: only_in(&previous.known_fields, &now.known_fields),
        };

        Ok(Review {
            since: previous.as_of,
            days,
            rules_changed: matches!(
                (&previous.ruleset_version, &now.ruleset_version),
                (Some(a), Some(b)) if a != b
            ),
            program: Change::new(
                previous.recommended_program.clone(),
                now.recommended_program,
            ),
            transition: Change::new(previous.transition.clone(), now.transition),
            referrals,
            warnings,
            undetermined,
            fields,
        })
    }

    /// Whether nothing about the client changed: the same program and
    /// transition, and every list empty. The days between and a change of
    /// rule set alone leave a review empty.
    ///
    /// ```
    /// use careplan::review::{PreviousReport, Review};
    /// let engine = careplan::reference().unwrap();
    /// let now = engine.evaluate_json(&serde_json::json!({"id": "c-1", "age": 40}), None).unwrap();
    /// let mut previous = PreviousReport::of(&now);
    /// assert!(Review::between(&previous, &now).unwrap().is_empty());
    /// previous.known_fields.retain(|f| f != "age");
    /// assert!(!Review::between(&previous, &now).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        !self.program.changed
            && !self.transition.changed
            && self.referrals.opened.is_empty()
            && self.referrals.closed.is_empty()
            && self.referrals.priority_changed.is_empty()
            && self.warnings.raised.is_empty()
            && self.warnings.cleared.is_empty()
            && self.undetermined.resolved.is_empty()
            && self.undetermined.new.is_empty()
            && self.fields.known.is_empty()
            && self.fields.lost.is_empty()
    }
}

/// Why a review could not be made.
///
/// ```
/// use careplan::review::ReviewError;
/// let e = ReviewError::OtherClient { previous: Some("c-2".into()), current: Some("c-1".into()) };
/// assert_eq!(e.to_string(), "the previous report is for client `c-2`, not `c-1`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewError {
    /// The document is not a report: not JSON, or a key the review reads
    /// is missing or of the wrong shape (a profile given instead of a
    /// report, a report of rules before version 2 without `known_fields`).
    NotAReport {
        /// What serde found wrong, with the line and column.
        message: String,
    },
    /// The previous report is of another client (or one has a client id
    /// and the other none).
    OtherClient {
        /// The previous report's client.
        previous: Option<String>,
        /// The current report's client.
        current: Option<String>,
    },
    /// The previous report is dated after the current evaluation date.
    Later {
        /// The previous report's date.
        previous: Date,
        /// The current evaluation date.
        current: Date,
    },
}

impl fmt::Display for ReviewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let client = |c: &Option<String>| match c {
            Some(id) => format!("client `{id}`"),
            None => "no client id".to_string(),
        };
        match self {
            ReviewError::NotAReport { message } => write!(f, "not a report: {message}"),
            ReviewError::OtherClient {
                previous: Some(p),
                current: Some(c),
            } => write!(f, "the previous report is for client `{p}`, not `{c}`"),
            ReviewError::OtherClient { previous, current } => write!(
                f,
                "the previous report has {}, the current one {}",
                client(previous),
                client(current)
            ),
            ReviewError::Later { previous, current } => write!(
                f,
                "the previous report is dated {}, after the evaluation date {}",
                crate::date::show(*previous),
                crate::date::show(*current)
            ),
        }
    }
}

impl std::error::Error for ReviewError {}

/// The items of `a` not in `b`, in `a`'s order.
fn only_in(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

fn transition_of(report: &Report<'_>) -> Option<TransitionEntry> {
    report.transition.as_ref().map(|t| TransitionEntry {
        kind: t.kind,
        from: t.from.to_string(),
        to: t.to.map(str::to_string),
    })
}

fn referrals_of(report: &Report<'_>) -> Vec<ReferralEntry> {
    report
        .referrals
        .iter()
        .map(|r| ReferralEntry {
            id: r.id.to_string(),
            priority: r.priority,
        })
        .collect()
}

fn warnings_of(report: &Report<'_>) -> Vec<WarningEntry> {
    report
        .warnings
        .iter()
        .map(|w| WarningEntry {
            code: w.code.to_string(),
            severity: w.severity,
        })
        .collect()
}

fn undetermined_of(report: &Report<'_>) -> Vec<UndeterminedEntry> {
    report
        .undetermined
        .iter()
        .map(|u| UndeterminedEntry {
            kind: u.kind,
            id: u.id.to_string(),
            missing: u.missing.iter().map(|m| m.to_string()).collect(),
        })
        .collect()
}

/// A key that must be present and may be `null` (serde would otherwise
/// take an absent `Option` as `None`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// An `as_of` date, `YYYY-MM-DD`.
fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
    let s = String::deserialize(d)?;
    crate::date::parse(&s).map_err(|e| serde::de::Error::custom(format!("{e}, found \"{s}\"")))
}

/// An undetermined item's kind, as the report words it.
fn kind<'de, D: Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
    let s = String::deserialize(d)?;
    Ok(match s.as_str() {
        "program" => Kind::Program,
        "referral" => Kind::Referral,
        "warning" => Kind::Warning,
        "transition" => Kind::Transition,
        _ => {
            return Err(serde::de::Error::unknown_variant(
                &s,
                &["program", "referral", "warning", "transition"],
            ));
        }
    })
}
