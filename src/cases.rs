//! Test cases for rule sets, as data.
//!
//! A case file holds `cases:`, each a profile, an optional caseload context
//! and what the report must say: `expect` (exactly, order included),
//! `includes` (at least), `excludes` (none of), or `error` (the input is
//! rejected naming a field). The same format serves the crate's own tests
//! and policy authors; the caller parses the file (YAML or JSON) into a
//! [`CaseFile`], this module runs it.

use crate::compile::Engine;
use crate::ir::Priority;
use crate::report::{Kind, Report};
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A file of test cases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The cases, in order.
    pub cases: Vec<Case>,
}

/// One test case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique within its file.
    pub name: String,
    /// The client profile.
    pub profile: Value,
    /// The caseload context.
    #[serde(default)]
    pub context: Option<Value>,
    /// What the report must hold exactly.
    #[serde(default)]
    pub expect: Option<Expect>,
    /// What the report must hold at least.
    #[serde(default)]
    pub includes: Option<Includes>,
    /// What the report must not hold.
    #[serde(default)]
    pub excludes: Option<Excludes>,
    /// The input must be rejected, naming this field.
    #[serde(default)]
    pub error: Option<ErrorExpect>,
}

/// Distinguishes `key: null` (expect null) from an absent key (no check).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Exact expectations; each key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The recommended program, or null.
    #[serde(default, deserialize_with = "present")]
    pub recommended_program: Option<Option<String>>,
    /// The alternative program, or null.
    #[serde(default, deserialize_with = "present")]
    pub alternative_program: Option<Option<String>>,
    /// Every eligible program, in order.
    #[serde(default)]
    pub eligible_programs: Option<Vec<String>>,
    /// The recommended services, in order.
    #[serde(default)]
    pub recommended_services: Option<Vec<String>>,
    /// Every referral with its priority, in order.
    #[serde(default)]
    pub referrals: Option<IndexMap<String, Priority>>,
    /// Every warning code, in order.
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
    /// Every undetermined item, in order.
    #[serde(default)]
    pub undetermined: Option<Vec<UndeterminedExpect>>,
}

/// "At least" expectations.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Includes {
    /// These programs are eligible.
    #[serde(default)]
    pub eligible_programs: Vec<String>,
    /// These referrals are made, at these priorities.
    #[serde(default)]
    pub referrals: IndexMap<String, Priority>,
    /// These warnings are raised.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// These items are undetermined, missing exactly these fields.
    #[serde(default)]
    pub undetermined: Vec<UndeterminedExpect>,
}

/// "None of" expectations: ids that must not appear.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Excludes {
    /// Programs that are not eligible.
    #[serde(default)]
    pub eligible_programs: Vec<String>,
    /// Referrals not made.
    #[serde(default)]
    pub referrals: Vec<String>,
    /// Warnings not raised.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Ids not undetermined.
    #[serde(default)]
    pub undetermined: Vec<String>,
}

/// An undetermined item as a case expects it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndeterminedExpect {
    /// program, referral or warning.
    pub kind: KindName,
    /// Its id.
    pub id: String,
    /// The missing fields, in schema order.
    pub missing: Vec<String>,
}

/// The kind of an undetermined item, as written in a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KindName {
    /// A program.
    Program,
    /// A referral.
    Referral,
    /// A warning.
    Warning,
}

impl From<Kind> for KindName {
    fn from(k: Kind) -> KindName {
        match k {
            Kind::Program => KindName::Program,
            Kind::Referral => KindName::Referral,
            Kind::Warning => KindName::Warning,
        }
    }
}

/// The expected input error.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorExpect {
    /// The field the error must name.
    pub field: String,
}

/// What running a case produced: the report (if the input was accepted) and
/// every expectation that failed, in words.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The report, when the input was accepted.
    pub report: Option<Report>,
    /// Each failed expectation: "referrals: expected …, found …".
    pub failures: Vec<String>,
}

impl Outcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn show<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Runs one case against an engine.
pub fn run(engine: &Engine, case: &Case) -> Outcome {
    let mut failures = Vec::new();
    let result = engine.evaluate_json(&case.profile, case.context.as_ref());
    let report = match (result, &case.error) {
        (Err(e), Some(want)) => {
            if e.field != want.field {
                failures.push(format!(
                    "error: expected an error naming `{}`, found one naming `{}`: {e}",
                    want.field, e.field
                ));
            }
            return Outcome {
                report: None,
                failures,
            };
        }
        (Err(e), None) => {
            failures.push(format!("the input was rejected: {e}"));
            return Outcome {
                report: None,
                failures,
            };
        }
        (Ok(r), Some(want)) => {
            failures.push(format!(
                "error: expected an error naming `{}`, but the input was accepted",
                want.field
            ));
            r
        }
        (Ok(r), None) => r,
    };
    if let Some(x) = &case.expect {
        let mut exact = |what: &str, want: String, got: String| {
            if want != got {
                failures.push(format!("{what}: expected {want}, found {got}"));
            }
        };
        if let Some(w) = &x.recommended_program {
            exact(
                "recommended_program",
                show(w),
                show(&report.recommended_program),
            );
        }
        if let Some(w) = &x.alternative_program {
            exact(
                "alternative_program",
                show(w),
                show(&report.alternative_program),
            );
        }
        if let Some(w) = &x.eligible_programs {
            exact(
                "eligible_programs",
                show(w),
                show(&report.eligible_programs),
            );
        }
        if let Some(w) = &x.recommended_services {
            exact(
                "recommended_services",
                show(w),
                show(&report.recommended_services),
            );
        }
        if let Some(w) = &x.referrals {
            let got: IndexMap<&str, Priority> = report
                .referrals
                .iter()
                .map(|r| (r.id.as_str(), r.priority))
                .collect();
            exact("referrals", show(w), show(&got));
        }
        if let Some(w) = &x.warnings {
            let got: Vec<&str> = report.warnings.iter().map(|w| w.code.as_str()).collect();
            exact("warnings", show(w), show(&got));
        }
        if let Some(w) = &x.undetermined {
            exact("undetermined", show_und(w), show(&report.undetermined));
        }
    }
    if let Some(inc) = &case.includes {
        for p in &inc.eligible_programs {
            if !report.eligible_programs.contains(p) {
                failures.push(format!(
                    "eligible_programs: expected `{p}` among {}",
                    show(&report.eligible_programs)
                ));
            }
        }
        for (id, prio) in &inc.referrals {
            match report.referrals.iter().find(|r| &r.id == id) {
                Some(r) if r.priority == *prio => {}
                Some(r) => failures.push(format!(
                    "referrals: expected `{id}` at priority {}, found {}",
                    prio.word(),
                    r.priority.word()
                )),
                None => failures.push(format!(
                    "referrals: expected `{id}` ({}), not made",
                    prio.word()
                )),
            }
        }
        for code in &inc.warnings {
            if !report.warnings.iter().any(|w| &w.code == code) {
                let got: Vec<&str> = report.warnings.iter().map(|w| w.code.as_str()).collect();
                failures.push(format!("warnings: expected `{code}` among {}", show(&got)));
            }
        }
        for u in &inc.undetermined {
            match report
                .undetermined
                .iter()
                .find(|x| x.id == u.id && KindName::from(x.kind) == u.kind)
            {
                Some(x) if x.missing == u.missing => {}
                Some(x) => failures.push(format!(
                    "undetermined `{}`: expected missing {}, found {}",
                    u.id,
                    show(&u.missing),
                    show(&x.missing)
                )),
                None => failures.push(format!(
                    "undetermined: expected `{}` to be undetermined",
                    u.id
                )),
            }
        }
    }
    if let Some(exc) = &case.excludes {
        for p in &exc.eligible_programs {
            if report.eligible_programs.contains(p) {
                failures.push(format!(
                    "eligible_programs: expected `{p}` not to be eligible"
                ));
            }
        }
        for id in &exc.referrals {
            if let Some(r) = report.referrals.iter().find(|r| &r.id == id) {
                failures.push(format!(
                    "referrals: expected no `{id}`, found it ({}): {}",
                    r.priority.word(),
                    r.reason
                ));
            }
        }
        for code in &exc.warnings {
            if let Some(w) = report.warnings.iter().find(|w| &w.code == code) {
                failures.push(format!(
                    "warnings: expected no `{code}`, found it: {}",
                    w.reason
                ));
            }
        }
        for id in &exc.undetermined {
            if let Some(u) = report.undetermined.iter().find(|u| &u.id == id) {
                failures.push(format!(
                    "undetermined: expected `{id}` to be decided, but it misses {}",
                    show(&u.missing)
                ));
            }
        }
    }
    Outcome {
        report: Some(report),
        failures,
    }
}

fn show_und(w: &[UndeterminedExpect]) -> String {
    let v: Vec<Value> = w
        .iter()
        .map(|u| {
            let kind = match u.kind {
                KindName::Program => "program",
                KindName::Referral => "referral",
                KindName::Warning => "warning",
            };
            serde_json::json!({"kind": kind, "id": u.id, "missing": u.missing})
        })
        .collect();
    show(&v)
}
