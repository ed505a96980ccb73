//! Test cases for rule sets, as data.
//!
//! A case file holds `cases:`, each a profile, an optional caseload context
//! and what the report must say: `expect` (each list it names, exactly,
//! order included), `includes` (at least), `excludes` (none of), or `error`
//! (the input is rejected naming a field). Values marked `report: yes` are
//! checked by id with `values: {lace_score: 12}` in `expect` or `includes`
//! (`null` for unknown; numbers as exact decimals, lists as sets). The
//! plan's transition is checked with `transition:` in `expect`: `null`, or
//! `{kind: step_down, from: A, to: B}` (`to: null` for a discharge).
//!
//! A case compares only what it names, so a case names only what it is
//! about: adding a referral to the rules breaks only the cases that name
//! referrals exactly. `exact: true` on a case compares the whole report
//! (every list; one that `expect` leaves out must be empty), for the few
//! golden cases that mean it.
//!
//! The same format serves the crate's own tests and policy authors; the
//! caller parses the file (YAML or JSON) into a [`CaseFile`], this module
//! runs it.

use crate::Engine;
use crate::ir::Priority;
use crate::report::{Kind, Report};
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A file of test cases.
///
/// ```
/// use careplan::harness::cases::CaseFile;
/// let file: CaseFile = serde_json::from_str(r#"{"cases": [
///     {"name": "homeless", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///      "includes": {"referrals": {"housing_services": "urgent"}}}
/// ]}"#).unwrap();
/// let engine = careplan::reference().unwrap();
/// assert!(file.cases.iter().all(|c| careplan::harness::cases::run(&engine, c).passed()));
/// assert!(serde_json::from_str::<CaseFile>(r#"{"cases": [], "extra": 1}"#).is_err());
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The evaluation date of every case that gives none.
    #[serde(default, deserialize_with = "as_of")]
    pub as_of: Option<crate::date::Date>,
    /// The cases, in order.
    pub cases: Vec<Case>,
}

/// Reads an `as_of` date, `YYYY-MM-DD`, refusing one that is not a day.
fn as_of<'de, D: Deserializer<'de>>(d: D) -> Result<Option<crate::date::Date>, D::Error> {
    let s = String::deserialize(d)?;
    crate::date::parse(&s)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("as_of: {e}, found \"{s}\"")))
}

/// One test case.
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///     "context": {"caseloads": {}}, "excludes": {"warnings": ["caseload_full"]}
/// })).unwrap();
/// assert_eq!(case.name, "n");
/// assert!(cases::run(&engine, &case).passed());
/// // `exact: true`: what `expect` leaves out must be empty; here the
/// // housing referral was made.
/// let strict: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///     "exact": true, "expect": {"warnings": []}
/// })).unwrap();
/// let outcome = cases::run(&engine, &strict);
/// assert!(outcome.failures.iter().any(|f| f.message.starts_with("referrals:")));
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique within its file.
    pub name: String,
    /// The client profile.
    pub profile: Value,
    /// The evaluation date; needed when the rules read it
    /// ([`Engine::reads_date`]).
    #[serde(default, deserialize_with = "as_of")]
    pub as_of: Option<crate::date::Date>,
    /// The caseload context.
    #[serde(default)]
    pub context: Option<Value>,
    /// What the report must hold exactly: each list it names is compared
    /// whole; a list it does not name is not compared (unless `exact`).
    #[serde(default)]
    pub expect: Option<Expect>,
    /// The whole report must match `expect`: every list is compared, and
    /// one that `expect` does not name must be empty (a program, null).
    /// For golden cases; most cases name only what they are about, so
    /// that adding a referral or a warning breaks only the cases about it.
    #[serde(default)]
    pub exact: bool,
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
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///     "expect": {"recommended_program": null, "referrals": {"housing_services": "urgent"}}
/// })).unwrap();
/// assert!(cases::run(&engine, &case).passed());
/// let expect = case.expect.unwrap();
/// assert_eq!(expect.recommended_program, Some(None)); // null: none expected
/// assert_eq!(expect.warnings, None); // absent: not checked
/// ```
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
    /// Every value marked `report: yes`, by id (null for unknown).
    #[serde(default)]
    pub values: Option<IndexMap<String, Value>>,
    /// The transition, or null (an intake, none in the rule set, or
    /// undetermined: then `undetermined` names it).
    #[serde(default, deserialize_with = "present")]
    pub transition: Option<Option<TransitionExpect>>,
}

/// A decided transition as a case expects it: `{kind: step_down, from:
/// intensive_case_management, to: standard_case_management}`; `to` is
/// written out, `null` for a discharge.
///
/// ```
/// use careplan::harness::cases::{self, Case, TransitionExpect};
/// use careplan::TransitionKind;
/// let t: TransitionExpect = serde_json::from_str(
///     r#"{"kind": "discharge", "from": "standard_case_management", "to": null}"#,
/// ).unwrap();
/// assert_eq!(t.kind, TransitionKind::Discharge);
/// assert_eq!(t.to, None);
/// // `to` must be written, even when null.
/// assert!(serde_json::from_str::<TransitionExpect>(r#"{"kind": "continue", "from": "a"}"#).is_err());
/// // An intake has no transition.
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1"}, "as_of": "2026-03-01",
///     "expect": {"transition": null}
/// })).unwrap();
/// assert!(cases::run(&engine, &case).passed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionExpect {
    /// continue, step_up, step_down or discharge.
    pub kind: crate::TransitionKind,
    /// The current program.
    pub from: String,
    /// The program moved to (the current one, to continue), or null.
    #[serde(deserialize_with = "nullable")]
    pub to: Option<String>,
}

/// Reads a value that must be written, possibly as `null`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// "At least" expectations.
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///     "includes": {"undetermined": [{"kind": "referral", "id": "behavioral_health", "missing": ["phq9"]}]}
/// })).unwrap();
/// assert!(cases::run(&engine, &case).passed());
/// ```
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
    /// These values marked `report: yes` have these values (null for
    /// unknown).
    #[serde(default)]
    pub values: IndexMap<String, Value>,
}

/// "None of" expectations: ids that must not appear.
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///     "excludes": {"referrals": ["housing_services"]}
/// })).unwrap();
/// let outcome = cases::run(&engine, &case);
/// assert!(!outcome.passed());
/// assert_eq!(outcome.failures[0].ids, ["housing_services"]);
/// ```
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
///
/// ```
/// use careplan::harness::cases::{KindName, UndeterminedExpect};
/// let u: UndeterminedExpect = serde_json::from_str(r#"{"kind": "program", "id": "p", "missing": ["age"]}"#).unwrap();
/// assert_eq!(u.kind, KindName::Program);
/// assert_eq!(u.missing, ["age"]);
/// ```
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
///
/// ```
/// use careplan::harness::cases::KindName;
/// assert_eq!(serde_json::from_str::<KindName>("\"warning\"").unwrap(), KindName::Warning);
/// assert_eq!(KindName::from(careplan::Kind::Referral), KindName::Referral);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KindName {
    /// A program.
    Program,
    /// A referral.
    Referral,
    /// A warning.
    Warning,
    /// A definition: never undetermined in a report (a case checks an
    /// unknown value with `values: {id: null}`), so a case that names one
    /// here is refused by [`validate`].
    Define,
    /// The plan's transition (id `transition`).
    Transition,
}

impl From<Kind> for KindName {
    fn from(k: Kind) -> KindName {
        match k {
            Kind::Program => KindName::Program,
            Kind::Referral => KindName::Referral,
            Kind::Warning => KindName::Warning,
            Kind::Define => KindName::Define,
            Kind::Transition => KindName::Transition,
        }
    }
}

/// The expected input error.
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "bad age", "as_of": "2026-03-01", "profile": {"id": "c-1", "age": 200}, "error": {"field": "age"}
/// })).unwrap();
/// assert!(cases::run(&engine, &case).passed());
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorExpect {
    /// The field the error must name.
    pub field: String,
}

/// One expectation that did not hold.
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///     "expect": {"warnings": ["home_visit_safety"]}
/// })).unwrap();
/// let failure = &cases::run(&engine, &case).failures[0];
/// assert!(failure.message.starts_with("warnings: expected"));
/// assert_eq!(failure.ids, ["home_visit_safety"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// In words: "referrals: expected …, found …".
    pub message: String,
    /// The programs, referrals and warnings it is about, to explain.
    pub ids: Vec<String>,
}

/// What running a case produced: the report (if the input was accepted) and
/// every expectation that failed.
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///     "includes": {"referrals": {"housing_services": "routine"}}
/// })).unwrap();
/// let outcome = cases::run(&engine, &case);
/// assert!(outcome.report.is_some());
/// assert_eq!(outcome.failures.len(), 1); // made at `urgent`
/// ```
#[derive(Debug, Clone)]
pub struct Outcome<'e> {
    /// The report, when the input was accepted.
    pub report: Option<Report<'e>>,
    /// Each failed expectation.
    pub failures: Vec<Failure>,
}

impl Outcome<'_> {
    /// Whether every expectation held.
    ///
    /// ```
    /// use careplan::harness::cases::{self, Case};
    /// let engine = careplan::reference().unwrap();
    /// let case: Case = serde_json::from_value(serde_json::json!({
    ///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
    ///     "includes": {"eligible_programs": []}
    /// })).unwrap();
    /// assert!(cases::run(&engine, &case).passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Records a failure when an exact list differs.
fn exact(
    failures: &mut Vec<Failure>,
    what: &str,
    want: Vec<String>,
    got: Vec<String>,
    shown: (String, String),
) {
    if want != got {
        let ids = differing(&want, &got);
        failures.push(fail(
            format!("{what}: expected {}, found {}", shown.0, shown.1),
            ids,
        ));
    }
}

fn fail(message: String, ids: Vec<String>) -> Failure {
    Failure { message, ids }
}

/// The ids in one list and not the other.
fn differing(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = a.iter().filter(|x| !b.contains(x)).cloned().collect();
    out.extend(b.iter().filter(|x| !a.contains(x)).cloned());
    if out.is_empty() {
        // Same members, other order: all of them are involved.
        out = a.to_vec();
    }
    out
}

fn show<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Runs one case against an engine.
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "age": 30, "needs": ["food", "legal"]},
///     "expect": {"recommended_program": "standard_case_management"}
/// })).unwrap();
/// let outcome = cases::run(&engine, &case);
/// assert!(outcome.passed());
/// assert_eq!(outcome.report.unwrap().eligible_programs, ["standard_case_management"]);
/// ```
pub fn run<'e>(engine: &'e Engine, case: &Case) -> Outcome<'e> {
    let mut failures = Vec::new();
    if case.as_of.is_none() && engine.reads_date() {
        let msg = "the rules read the evaluation date: add `as_of: YYYY-MM-DD` to the case or the top of its file";
        failures.push(fail(msg.into(), vec![]));
        return Outcome {
            report: None,
            failures,
        };
    }
    let result = evaluate(engine, case);
    let report = match (result, &case.error) {
        (Err(e), Some(want)) => {
            match &e {
                crate::EvalError::Input(found) if found.field == want.field => {}
                crate::EvalError::Input(found) => failures.push(fail(
                    format!(
                        "error: expected an error naming `{}`, found one naming `{}`: {e}",
                        want.field, found.field
                    ),
                    vec![],
                )),
                _ => failures.push(fail(
                    format!(
                        "error: expected an input error naming `{}`, found a {} error: {e}",
                        want.field,
                        e.kind()
                    ),
                    vec![],
                )),
            }
            return Outcome {
                report: None,
                failures,
            };
        }
        (Err(e), None) => {
            failures.push(fail(format!("the input was rejected: {e}"), vec![]));
            return Outcome {
                report: None,
                failures,
            };
        }
        (Ok(r), Some(want)) => {
            failures.push(fail(
                format!(
                    "error: expected an error naming `{}`, but the input was accepted",
                    want.field
                ),
                vec![],
            ));
            r
        }
        (Ok(r), None) => r,
    };
    // `exact: true` names every list: one `expect` leaves out is empty.
    let whole;
    let expect = match (&case.expect, case.exact) {
        (x, true) => {
            whole = x.clone().unwrap_or_default().whole();
            Some(&whole)
        }
        (x, false) => x.as_ref(),
    };
    if let Some(x) = expect {
        let opt = |o: Option<&str>| o.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        if let Some(w) = &x.recommended_program {
            let got = &report.recommended_program;
            exact(
                &mut failures,
                "recommended_program",
                opt(w.as_deref()),
                opt(*got),
                (show(w), show(got)),
            );
        }
        if let Some(w) = &x.alternative_program {
            let got = &report.alternative_program;
            exact(
                &mut failures,
                "alternative_program",
                opt(w.as_deref()),
                opt(*got),
                (show(w), show(got)),
            );
        }
        if let Some(w) = &x.eligible_programs {
            let got = &report.eligible_programs;
            exact(
                &mut failures,
                "eligible_programs",
                w.clone(),
                strings(got),
                (show(w), show(got)),
            );
        }
        if let Some(w) = &x.recommended_services {
            let got = report.recommended_services;
            if w != got {
                let ids = opt(report.recommended_program);
                failures.push(fail(
                    format!(
                        "recommended_services: expected {}, found {}",
                        show(w),
                        show(got)
                    ),
                    ids,
                ));
            }
        }
        if let Some(w) = &x.referrals {
            let got: IndexMap<String, Priority> = report
                .referrals
                .iter()
                .map(|r| (r.id.to_string(), r.priority))
                .collect();
            let key = |m: &IndexMap<String, Priority>| {
                m.iter().map(|(k, p)| format!("{k}:{}", p.word())).collect()
            };
            let (wk, gk): (Vec<String>, Vec<String>) = (key(w), key(&got));
            if wk != gk {
                let ids = differing(&wk, &gk)
                    .into_iter()
                    .map(|k| k.split(':').next().unwrap_or("").to_string())
                    .collect();
                failures.push(fail(
                    format!("referrals: expected {}, found {}", show(w), show(&got)),
                    ids,
                ));
            }
        }
        if let Some(w) = &x.warnings {
            let got: Vec<String> = report.warnings.iter().map(|w| w.code.to_string()).collect();
            exact(
                &mut failures,
                "warnings",
                w.clone(),
                got.clone(),
                (show(w), show(&got)),
            );
        }
        if let Some(w) = &x.undetermined {
            let shown_want = show_und(w);
            let shown_got = show(&report.undetermined);
            if shown_want != shown_got {
                let want_ids: Vec<String> = w
                    .iter()
                    .map(|u| format!("{}:{}", u.id, u.missing.join(",")))
                    .collect();
                let got_ids: Vec<String> = report
                    .undetermined
                    .iter()
                    .map(|u| format!("{}:{}", u.id, u.missing.join(",")))
                    .collect();
                let ids = differing(&want_ids, &got_ids)
                    .into_iter()
                    .map(|k| k.split(':').next().unwrap_or("").to_string())
                    .collect();
                failures.push(fail(
                    format!("undetermined: expected {shown_want}, found {shown_got}"),
                    ids,
                ));
            }
        }
        if let Some(w) = &x.transition {
            let got = report.transition.as_ref().map(|t| TransitionExpect {
                kind: t.kind,
                from: t.from.to_string(),
                to: t.to.map(str::to_string),
            });
            if *w != got {
                let shown = |t: &Option<TransitionExpect>| match t {
                    None => "null".to_string(),
                    Some(t) => format!(
                        "{{kind: {}, from: {}, to: {}}}",
                        t.kind.as_str(),
                        t.from,
                        t.to.as_deref().unwrap_or("null")
                    ),
                };
                failures.push(fail(
                    format!("transition: expected {}, found {}", shown(w), shown(&got)),
                    vec!["transition".to_string()],
                ));
            }
        }
        if let Some(w) = &x.values {
            let got: IndexMap<String, Value> = report
                .values
                .iter()
                .map(|v| (v.id.to_string(), v.value.clone()))
                .collect();
            let same = w.len() == got.len()
                && w.iter()
                    .zip(&got)
                    .all(|((wk, wv), (gk, gv))| wk == gk && same_value(wv, gv));
            if !same {
                let mut ids: Vec<String> = w
                    .iter()
                    .filter(|(k, v)| !got.get(*k).is_some_and(|g| same_value(v, g)))
                    .map(|(k, _)| k.clone())
                    .collect();
                ids.extend(got.keys().filter(|k| !w.contains_key(*k)).cloned());
                failures.push(fail(
                    format!("values: expected {}, found {}", show(w), show(&got)),
                    ids,
                ));
            }
        }
    }
    if let Some(inc) = &case.includes {
        for p in &inc.eligible_programs {
            if !report.eligible_programs.contains(&p.as_str()) {
                failures.push(fail(
                    format!(
                        "eligible_programs: expected `{p}` among {}",
                        show(&report.eligible_programs)
                    ),
                    vec![p.clone()],
                ));
            }
        }
        for (id, prio) in &inc.referrals {
            match report.referrals.iter().find(|r| r.id == id) {
                Some(r) if r.priority == *prio => {}
                Some(r) => failures.push(fail(
                    format!(
                        "referrals: expected `{id}` at priority {}, found {}",
                        prio.word(),
                        r.priority.word()
                    ),
                    vec![id.clone()],
                )),
                None => failures.push(fail(
                    format!("referrals: expected `{id}` ({}), not made", prio.word()),
                    vec![id.clone()],
                )),
            }
        }
        for code in &inc.warnings {
            if !report.warnings.iter().any(|w| w.code == code) {
                let got: Vec<&str> = report.warnings.iter().map(|w| w.code).collect();
                failures.push(fail(
                    format!("warnings: expected `{code}` among {}", show(&got)),
                    vec![code.clone()],
                ));
            }
        }
        for u in &inc.undetermined {
            match report
                .undetermined
                .iter()
                .find(|x| x.id == u.id && KindName::from(x.kind) == u.kind)
            {
                Some(x) if x.missing == u.missing => {}
                Some(x) => failures.push(fail(
                    format!(
                        "undetermined `{}`: expected missing {}, found {}",
                        u.id,
                        show(&u.missing),
                        show(&x.missing)
                    ),
                    vec![u.id.clone()],
                )),
                None => failures.push(fail(
                    format!("undetermined: expected `{}` to be undetermined", u.id),
                    vec![u.id.clone()],
                )),
            }
        }
    }
    if let Some(inc) = &case.includes {
        for (id, want) in &inc.values {
            match report.values.iter().find(|v| v.id == id) {
                Some(v) if same_value(want, &v.value) => {}
                Some(v) => failures.push(fail(
                    format!(
                        "values: expected `{id}` = {}, found {}{}",
                        show(want),
                        show(&v.value),
                        v.missing
                            .as_ref()
                            .map(|m| format!(" (missing {})", show(m)))
                            .unwrap_or_default()
                    ),
                    vec![id.clone()],
                )),
                None => failures.push(fail(
                    format!("values: expected `{id}` = {}, not reported", show(want)),
                    vec![id.clone()],
                )),
            }
        }
    }
    if let Some(exc) = &case.excludes {
        for p in &exc.eligible_programs {
            if report.eligible_programs.contains(&p.as_str()) {
                failures.push(fail(
                    format!("eligible_programs: expected `{p}` not to be eligible"),
                    vec![p.clone()],
                ));
            }
        }
        for id in &exc.referrals {
            if let Some(r) = report.referrals.iter().find(|r| r.id == id) {
                failures.push(fail(
                    format!(
                        "referrals: expected no `{id}`, found it ({}): {}",
                        r.priority.word(),
                        r.reason().unwrap_or_default()
                    ),
                    vec![id.clone()],
                ));
            }
        }
        for code in &exc.warnings {
            if let Some(w) = report.warnings.iter().find(|w| w.code == code) {
                failures.push(fail(
                    format!(
                        "warnings: expected no `{code}`, found it: {}",
                        w.reason().unwrap_or_default()
                    ),
                    vec![code.clone()],
                ));
            }
        }
        for id in &exc.undetermined {
            if let Some(u) = report.undetermined.iter().find(|u| u.id == id) {
                failures.push(fail(
                    format!(
                        "undetermined: expected `{id}` to be decided, but it misses {}",
                        show(&u.missing)
                    ),
                    vec![id.clone()],
                ));
            }
        }
    }
    Outcome {
        report: Some(report),
        failures,
    }
}

impl Expect {
    /// The same expectations with every list named: one left out expects
    /// nothing (an empty list, or no program).
    fn whole(self) -> Expect {
        Expect {
            recommended_program: self.recommended_program.or(Some(None)),
            alternative_program: self.alternative_program.or(Some(None)),
            eligible_programs: self.eligible_programs.or_else(|| Some(vec![])),
            recommended_services: self.recommended_services.or_else(|| Some(vec![])),
            referrals: self.referrals.or_else(|| Some(IndexMap::new())),
            warnings: self.warnings.or_else(|| Some(vec![])),
            undetermined: self.undetermined.or_else(|| Some(vec![])),
            values: self.values.or_else(|| Some(IndexMap::new())),
            transition: self.transition.or(Some(None)),
        }
    }
}

/// Whether a value in a case is the value in the report: numbers as exact
/// decimals (`12` is `12.0`), lists as sets (a set's order is not part of
/// its value), everything else as written.
fn same_value(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.to_string(), b.to_string());
            match (
                crate::decimal::parse_number(&a),
                crate::decimal::parse_number(&b),
            ) {
                (Some(x), Some(y)) => x == y,
                _ => a == b,
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let key = |xs: &[Value]| {
                let mut k: Vec<String> = xs.iter().map(show).collect();
                k.sort();
                k
            };
            key(a) == key(b)
        }
        (a, b) => a == b,
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
                KindName::Define => "define",
                KindName::Transition => "transition",
            };
            serde_json::json!({"kind": kind, "id": u.id, "missing": u.missing})
        })
        .collect();
    show(&v)
}

/// Checks that a case names only programs, referrals, warnings and fields
/// the rule set defines; each problem in words, with a suggestion.
///
/// ```
/// use careplan::harness::cases::{self, Case};
/// let engine = careplan::reference().unwrap();
/// let case: Case = serde_json::from_value(serde_json::json!({
///     "name": "n", "as_of": "2026-03-01", "profile": {"id": "c-1", "housing": "homeless"},
///     "excludes": {"referrals": ["housing_service"]}
/// })).unwrap();
/// let problems = cases::validate(&engine, &case);
/// assert_eq!(problems, ["`housing_service` is not a referral of this rule set (did you mean `housing_services`?)"]);
/// ```
pub fn validate(engine: &Engine, case: &Case) -> Vec<String> {
    let rules = engine.rules();
    let programs: Vec<&str> = rules.programs.iter().map(|p| p.meta.id.as_str()).collect();
    let referrals: Vec<&str> = rules.referrals.iter().map(|r| r.meta.id.as_str()).collect();
    let warnings: Vec<&str> = rules.warnings.iter().map(|w| w.meta.id.as_str()).collect();
    let fields: Vec<&str> = rules.fields.iter().map(|f| f.name.as_str()).collect();
    let reported: Vec<&str> = rules
        .defines
        .iter()
        .filter(|d| d.report)
        .map(|d| d.meta.id.as_str())
        .chain(
            rules
                .tables
                .iter()
                .filter(|t| t.report)
                .map(|t| t.meta.id.as_str()),
        )
        .collect();
    let mut problems = Vec::new();
    let mut check = |kind: &str, id: &str, known: &[&str]| {
        if !known.contains(&id) {
            let hint = crate::diagnostic::did_you_mean(id, known.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            problems.push(format!("`{id}` is not a {kind} of this rule set{hint}"));
        }
    };
    let mut all_ids: Vec<&str> = programs.clone();
    all_ids.extend(&referrals);
    all_ids.extend(&warnings);
    // The transition, when the rule set has one, is undetermined by id
    // `transition`.
    if rules.transition.is_some() {
        all_ids.push("transition");
    }
    if let Some(x) = &case.expect {
        for p in [&x.recommended_program, &x.alternative_program]
            .into_iter()
            .flatten()
            .flatten()
        {
            check("program", p, &programs);
        }
        for p in x.eligible_programs.iter().flatten() {
            check("program", p, &programs);
        }
        for r in x.referrals.iter().flat_map(|m| m.keys()) {
            check("referral", r, &referrals);
        }
        for w in x.warnings.iter().flatten() {
            check("warning", w, &warnings);
        }
        for u in x.undetermined.iter().flatten() {
            undetermined_ok(u, &programs, &referrals, &warnings, &fields, &mut check);
        }
        for v in x.values.iter().flat_map(|m| m.keys()) {
            check("value marked `report: yes`", v, &reported);
        }
        for t in x.transition.iter().flatten() {
            check("program", &t.from, &programs);
            if let Some(p) = &t.to {
                check("program", p, &programs);
            }
        }
    }
    if let Some(x) = &case.includes {
        for p in &x.eligible_programs {
            check("program", p, &programs);
        }
        for r in x.referrals.keys() {
            check("referral", r, &referrals);
        }
        for w in &x.warnings {
            check("warning", w, &warnings);
        }
        for u in &x.undetermined {
            undetermined_ok(u, &programs, &referrals, &warnings, &fields, &mut check);
        }
        for v in x.values.keys() {
            check("value marked `report: yes`", v, &reported);
        }
    }
    if let Some(x) = &case.excludes {
        for p in &x.eligible_programs {
            check("program", p, &programs);
        }
        for r in &x.referrals {
            check("referral", r, &referrals);
        }
        for w in &x.warnings {
            check("warning", w, &warnings);
        }
        for id in &x.undetermined {
            check("program, referral, warning or transition", id, &all_ids);
        }
    }
    if let Some(e) = &case.error {
        let top = e.field.split('.').next().unwrap_or("");
        if top != "caseloads" && !e.field.is_empty() {
            // An evaluation error may also name a dated parameter or a
            // table with no value in force, or a table no row matches.
            let mut named: Vec<&str> = fields.clone();
            named.extend(rules.defines.iter().map(|d| d.meta.id.as_str()));
            named.extend(rules.tables.iter().map(|t| t.meta.id.as_str()));
            check("field, parameter or table", &e.field, &named);
        }
    }
    problems
}

fn undetermined_ok(
    u: &UndeterminedExpect,
    programs: &[&str],
    referrals: &[&str],
    warnings: &[&str],
    fields: &[&str],
    check: &mut impl FnMut(&str, &str, &[&str]),
) {
    match u.kind {
        KindName::Program => check("program", &u.id, programs),
        KindName::Referral => check("referral", &u.id, referrals),
        KindName::Warning => check("warning", &u.id, warnings),
        KindName::Define => check(
            "program, referral or warning (a value is checked with `values`)",
            &u.id,
            &[],
        ),
        KindName::Transition => check("transition", &u.id, &["transition"]),
    }
    for f in &u.missing {
        check("field", f, fields);
    }
}

/// The case's report, as of its date.
fn evaluate<'e>(engine: &'e Engine, case: &Case) -> Result<Report<'e>, crate::EvalError> {
    let mut profile = engine.profile(&case.profile)?;
    if let Some(d) = case.as_of {
        profile.as_of = d;
    }
    let ctx = case
        .context
        .as_ref()
        .map(|c| engine.caseloads(c))
        .transpose()?;
    // The report owns the client's id: the profile is dropped here.
    let client = profile.client.clone().map(std::borrow::Cow::Owned);
    engine.report(&profile, ctx.as_ref(), client)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;
    use serde_json::json;

    const RULES: &str = "schema {\n  a: integer\n  b: decimal\n  s: set of {food, legal}\n}\n\
        define total \"Total\" {\n  value: a + b\n  report: yes\n}\n\
        define needs {\n  value: s\n  report: yes\n}\n\
        define hidden {\n  value: a\n}\n\
        referral r {\n  routine when a > 1\n}\n\
        warning w {\n  severity: info\n  when b > 1\n  message: \"m\"\n}\n";

    fn engine() -> Engine {
        crate::load_sources(&[("r.rules", RULES)], &crate::LoadOptions::default()).unwrap()
    }

    fn case(v: serde_json::Value) -> Case {
        serde_json::from_value(v).unwrap()
    }

    fn messages(e: &Engine, c: &Case) -> Vec<String> {
        let mut m = validate(e, c);
        m.extend(run(e, c).failures.into_iter().map(|f| f.message));
        m
    }

    #[test]
    fn values_compare_as_exact_decimals_and_sets() {
        let e = engine();
        let profile = json!({"a": 2, "b": 1.50, "s": ["legal", "food"]});
        let ok = case(json!({"name": "n", "profile": profile,
            "expect": {"values": {"total": 3.5, "needs": ["food", "legal"]}},
            "includes": {"values": {"total": 3.500}}}));
        assert_eq!(messages(&e, &ok), Vec::<String>::new());
        let wrong = case(json!({"name": "n", "profile": profile,
            "includes": {"values": {"total": 3.4, "needs": null}}}));
        let out = run(&e, &wrong);
        assert_eq!(out.failures.len(), 2);
        assert!(
            out.failures[0]
                .message
                .starts_with("values: expected `total` = 3.4, found 3.5")
        );
        assert_eq!(out.failures[1].ids, ["needs"]);
        // Exact: every marked value, no more, no fewer.
        let short = case(json!({"name": "n", "profile": profile,
            "expect": {"values": {"total": 3.5}}}));
        let out = run(&e, &short);
        assert_eq!(out.failures.len(), 1);
        assert_eq!(out.failures[0].ids, ["needs"]);
        // Unknown is null; the message names the missing fields.
        let unknown = case(json!({"name": "n", "profile": {"b": 1},
            "includes": {"values": {"total": null}}}));
        assert!(run(&e, &unknown).passed());
        let said = case(json!({"name": "n", "profile": {"b": 1},
            "includes": {"values": {"total": 1}}}));
        assert!(
            run(&e, &said).failures[0]
                .message
                .contains("(missing [\"a\"])")
        );
    }

    #[test]
    fn values_name_only_marked_definitions() {
        let e = engine();
        let c = case(json!({"name": "n", "profile": {},
            "includes": {"values": {"hidden": 1, "totl": 2}}}));
        let problems = validate(&e, &c);
        assert_eq!(problems.len(), 2);
        assert!(problems[0].starts_with("`hidden` is not a value marked `report: yes`"));
        assert!(problems[1].contains("did you mean `total`?"));
        let c = case(json!({"name": "n", "profile": {},
            "includes": {"undetermined": [{"kind": "define", "id": "total", "missing": ["a"]}]}}));
        assert_eq!(validate(&e, &c).len(), 1);
    }

    #[test]
    fn a_case_compares_only_what_it_names_unless_exact() {
        let e = engine();
        let profile = json!({"a": 2, "b": 2, "s": []});
        // The referral and the warning fire; a case about the referral
        // alone passes.
        let named = case(json!({"name": "n", "profile": profile,
            "expect": {"referrals": {"r": "routine"}}}));
        assert!(run(&e, &named).passed());
        // `exact`: the warning and the values are in the report but not
        // in `expect`.
        let exact = case(json!({"name": "n", "profile": profile, "exact": true,
            "expect": {"referrals": {"r": "routine"}}}));
        let out = run(&e, &exact);
        let lists: Vec<&str> = out
            .failures
            .iter()
            .map(|f| f.message.split(':').next().unwrap())
            .collect();
        assert_eq!(lists, ["warnings", "values"]);
        let whole = case(json!({"name": "n", "profile": profile, "exact": true,
            "expect": {"referrals": {"r": "routine"}, "warnings": ["w"],
                       "values": {"total": 4, "needs": []}}}));
        assert!(run(&e, &whole).passed());
        // With nothing expected, an exact case wants an empty report.
        let empty = case(
            json!({"name": "n", "profile": {"a": 0, "b": 0, "s": []}, "exact": true,
            "expect": {"values": {"total": 0, "needs": []}}}),
        );
        assert!(run(&e, &empty).passed());
    }
}
