//! The front end of a compiled rule set: [`Engine`] reads profiles and
//! evaluates them. It holds what `compile` made and the profile readers'
//! lookup tables; everything it does is a call into `profile` or `eval`.
//!
//! The engine is immutable and `Send + Sync`: compile once, share it between
//! threads, evaluate any number of profiles.

#[cfg(test)]
use crate::compile::Plan;
use crate::compile::{Compiled, compile};
use crate::eval::{Decision, Eval, EvalError, ItemTrace, State, with_state};
use crate::ir::RuleSet;
use crate::profile::{Caseloads, InputError, Lookup, Profile};
use crate::report::Report;
use crate::view::{FieldView, Item, ItemView};
use serde_json::Value;
use std::borrow::Cow;

/// A compiled rule set, ready to evaluate profiles.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// let report = engine
///     .evaluate_json(&serde_json::json!({"id": "c-1", "housing": "homeless"}), None)
///     .unwrap();
/// assert_eq!(report.client.as_deref(), Some("c-1"));
/// assert!(report.referrals.iter().any(|r| r.id == "housing_services"));
/// fn shared<T: Send + Sync>(_: &T) {}
/// shared(&engine);
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    compiled: Compiled,
    lookup: Lookup,
}

impl Engine {
    /// Compiles a checked rule set.
    pub(crate) fn new(rules: RuleSet) -> Engine {
        let lookup = Lookup::new(&rules);
        Engine {
            compiled: compile(rules),
            lookup,
        }
    }

    /// Warnings found while loading: what looks wrong but does not stop
    /// the rule set, such as inputs that no row of a table matches. Each
    /// is located like an error, with severity warning.
    ///
    /// ```
    /// let files = [("a.rules", "schema {\n  n: integer between 0 and 9\n}\n\
    ///     table t {\n  input: n\n  0 to 5 -> 1\n}\n")];
    /// let engine = careplan::load_sources(&files, &Default::default()).unwrap();
    /// let w = engine.load_warnings();
    /// assert_eq!(w[0].code, "table-gap");
    /// assert_eq!(w[0].severity, careplan::DiagnosticSeverity::Warning);
    /// assert!(w[0].message.contains("n = 6"));
    /// ```
    pub fn load_warnings(&self) -> Vec<crate::diagnostic::Diagnostic> {
        let rules = &self.compiled.rules;
        let mut sink = crate::diagnostic::Sink::new(&rules.sources);
        for r in &rules.load_warnings {
            sink.push(r.clone());
        }
        sink.diagnostics
    }

    /// The checked rule set behind the engine: for the crate's own stages
    /// and tools; embedders read [`Engine::fields`] and the outcome views.
    pub(crate) fn rules(&self) -> &RuleSet {
        &self.compiled.rules
    }

    /// The rule set's content hash, `sha256:…`: names the exact rule files
    /// that produced a report.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// assert!(engine.version().starts_with("sha256:"));
    /// ```
    pub fn version(&self) -> &str {
        &self.compiled.rules.version
    }

    /// The profile schema's fields, in schema order.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// assert!(engine.fields().any(|f| f.name() == "housing"));
    /// ```
    pub fn fields(&self) -> impl ExactSizeIterator<Item = FieldView<'_>> {
        self.rules().fields.iter().map(FieldView)
    }

    /// The programs, in rule-set order: the order of
    /// [`Decision::programs`].
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// assert!(engine.programs().any(|p| p.id() == "assertive_community_treatment"));
    /// ```
    pub fn programs(&self) -> impl ExactSizeIterator<Item = ItemView<'_>> {
        self.rules()
            .programs
            .iter()
            .map(|p| ItemView(Item::Program(p)))
    }

    /// The referrals, in rule-set order: the order of
    /// [`Decision::referrals`].
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// assert!(engine.referrals().any(|r| r.id() == "housing_services"));
    /// ```
    pub fn referrals(&self) -> impl ExactSizeIterator<Item = ItemView<'_>> {
        self.rules()
            .referrals
            .iter()
            .map(|r| ItemView(Item::Referral(r)))
    }

    /// The warnings, in rule-set order: the order of
    /// [`Decision::warnings`].
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// assert!(engine.warnings().count() > 0);
    /// ```
    pub fn warnings(&self) -> impl ExactSizeIterator<Item = ItemView<'_>> {
        self.rules()
            .warnings
            .iter()
            .map(|w| ItemView(Item::Warning(w)))
    }

    /// The flat plan that decides profiles.
    #[cfg(test)]
    pub(crate) fn plan(&self) -> &Plan {
        &self.compiled.plan
    }

    /// Reads a profile (a JSON object) against the schema. A `Value` has
    /// lost any key given twice: parse text with [`crate::read_json`], which
    /// refuses them.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let profile = engine.profile(&serde_json::json!({"id": "c-1", "age": 34})).unwrap();
    /// assert_eq!(profile.client.as_deref(), Some("c-1"));
    /// let err = engine.profile(&serde_json::json!({"id": "c-1", "age": 200})).unwrap_err();
    /// assert_eq!(err.field, "age");
    /// ```
    pub fn profile(&self, value: &Value) -> Result<Profile, InputError> {
        Profile::read(self.rules(), &self.lookup, value)
    }

    /// Reads a profile straight from JSON text: the fast path for batches.
    /// Accepts and rejects exactly what [`Engine::profile`] does.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let fast = engine.profile_from_slice(br#"{"id": "c-1", "age": 34}"#).unwrap();
    /// let slow = engine.profile(&serde_json::json!({"id": "c-1", "age": 34})).unwrap();
    /// assert_eq!(fast, slow);
    /// let err = engine.profile_from_slice(br#"{"id": "c-1", "age": "old"}"#).unwrap_err();
    /// assert_eq!(err.field, "age");
    /// ```
    pub fn profile_from_slice(&self, json: &[u8]) -> Result<Profile, InputError> {
        crate::profile::read_slice(self.rules(), &self.lookup, json)
    }

    /// Reads a caseload context: `{"caseloads": {"program": {"cm": n}}}`.
    ///
    /// ```
    /// use serde_json::json;
    /// let engine = careplan::reference().unwrap();
    /// let full = engine
    ///     .caseloads(&json!({"caseloads": {"assertive_community_treatment": {"cm-ana": 10}}}))
    ///     .unwrap();
    /// let profile = engine.profile(&json!({"id": "c-1", "age": 30, "housing": "homeless",
    ///     "diagnoses": ["serious_mental_illness"], "hospital_admissions_12m": 3})).unwrap();
    /// let report = engine.evaluate(&profile, Some(&full)).unwrap();
    /// assert_eq!(report.recommended_program, Some("assertive_community_treatment"));
    /// assert_eq!(report.alternative_program, Some("intensive_case_management"));
    /// assert!(engine.caseloads(&json!({"caseloads": {"no_such_program": {}}})).is_err());
    /// ```
    pub fn caseloads(&self, value: &Value) -> Result<Caseloads, InputError> {
        Caseloads::read(self.rules(), value)
    }

    /// Evaluates a profile already read, with an optional caseload context.
    /// Fails when the profile's data makes a calculation impossible (a
    /// division by zero, an overflow, naming the field), when a rhai
    /// function fails, or on an internal error: [`EvalError`] tells which.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let profile = engine.profile(&serde_json::json!({
    ///     "id": "c-1", "age": 30, "needs": ["food", "housing"]
    /// })).unwrap();
    /// let report = engine.evaluate(&profile, None).unwrap();
    /// assert_eq!(report.recommended_program, Some("standard_case_management"));
    /// assert!(report.referrals.iter().any(|r| r.id == "food_assistance"));
    /// assert!(report.programs.is_some());
    /// ```
    pub fn evaluate<'e>(
        &'e self,
        profile: &'e Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<Report<'e>, EvalError> {
        self.report(
            profile,
            caseloads,
            profile.client.as_deref().map(Cow::Borrowed),
        )
    }

    pub(crate) fn report<'e>(
        &'e self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
        client: Option<Cow<'e, str>>,
    ) -> Result<Report<'e>, EvalError> {
        with_state(|s| {
            let mut eval = Eval::new(&self.compiled, profile, caseloads, s);
            eval.run()?;
            eval.fill_missing()?;
            eval.report(self.rules(), client)
        })
    }

    /// Evaluates a profile read already, without the reasons: what fired
    /// and what is undetermined (with its missing fields), borrowed from
    /// the engine and the profile. The report for batches; use
    /// [`Engine::evaluate`] for the reasons.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let profile = engine.profile(&serde_json::json!({"id": "c-1", "phq9": 22})).unwrap();
    /// let lean = engine.outcomes(&profile, None).unwrap();
    /// let referral = lean.referrals.iter().find(|r| r.id == "behavioral_health").unwrap();
    /// assert_eq!(referral.priority, careplan::Priority::Urgent);
    /// assert!(referral.why.is_none() && lean.programs.is_none());
    /// ```
    pub fn outcomes<'e>(
        &'e self,
        profile: &'e Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<Report<'e>, EvalError> {
        with_state(|s| {
            let mut eval = Eval::new(&self.compiled, profile, caseloads, s);
            eval.run()?;
            eval.fill_missing()?;
            eval.outcomes(self.rules(), profile.client.as_deref().map(Cow::Borrowed))
        })
    }

    /// Decides a profile read already: every outcome, without building the
    /// report's explanations. The path for throughput.
    ///
    /// ```
    /// use careplan::Truth;
    /// let engine = careplan::reference().unwrap();
    /// let profile = engine.profile(&serde_json::json!({"id": "c-1", "needs": ["food", "legal"]})).unwrap();
    /// let decision = engine.decide(&profile, None).unwrap();
    /// let standard = engine.programs().position(|p| p.id() == "standard_case_management");
    /// assert_eq!(decision.recommended, standard);
    /// assert_eq!(decision.programs.len(), engine.programs().len());
    /// assert!(decision.programs.contains(&Truth::Unknown)); // no age, no diagnoses
    /// ```
    pub fn decide(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<Decision, EvalError> {
        let mut out = Decision::default();
        self.decide_into(profile, caseloads, &mut out)?;
        Ok(out)
    }

    /// [`Engine::decide`], written over a `Decision` the caller keeps: once
    /// its vectors have grown to the rule set, deciding allocates nothing
    /// (rhai functions and text or set definitions aside). On an error,
    /// `out` is left as it was.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let mut out = careplan::Decision::default();
    /// for phq9 in [5, 15, 25] {
    ///     let profile = engine.profile(&serde_json::json!({"id": "c", "phq9": phq9})).unwrap();
    ///     engine.decide_into(&profile, None, &mut out).unwrap();
    ///     assert_eq!(out, engine.decide(&profile, None).unwrap());
    /// }
    /// ```
    pub fn decide_into(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
        out: &mut Decision,
    ) -> Result<(), EvalError> {
        with_state(|s| {
            let mut eval = Eval::new(&self.compiled, profile, caseloads, s);
            eval.run()?;
            eval.decision_into(out);
            Ok(())
        })
    }

    /// Whether the rules read the evaluation date
    /// ([`Profile::as_of`](crate::Profile::as_of)): `today`, a duration
    /// `since` a date, or a dated value. Outcomes of such a rule set depend
    /// on the day, so test cases must fix it (`as_of`).
    ///
    /// ```
    /// let engine = careplan::load_sources(&[("r.rules", "schema {\n  born: date\n}\n\
    ///     warning adult {\n  severity: info\n  when years since born >= 18\n  message: \"m\"\n}\n")],
    ///     &Default::default()).unwrap();
    /// assert!(engine.reads_date());
    /// // The reference rules read it: the poverty guideline is dated, and
    /// // the transition counts the days since `enrolled_since`.
    /// assert!(careplan::reference().unwrap().reads_date());
    /// // A rule set that reads no date:
    /// let plain = careplan::load_sources(&[("r.rules", "schema {\n  age: integer\n}\n\
    ///     warning adult {\n  severity: info\n  when age >= 18\n  message: \"m\"\n}\n")],
    ///     &Default::default()).unwrap();
    /// assert!(!plain.reads_date());
    /// ```
    pub fn reads_date(&self) -> bool {
        self.rules().reads_date()
    }

    /// Checks that every dated value (a parameter or definition with
    /// `from DATE:` values, a table with `from DATE:` rows) is in force on
    /// `as_of`: a command checks its evaluation date once, before it reads
    /// any profile, whatever the profiles hold. The error names the first
    /// item, in rule-set order, that has no value then.
    ///
    /// ```
    /// let engine = careplan::load_sources(&[("r.rules", "parameter limit {\n  from 2024-01-01: 10\n}\n")],
    ///     &Default::default()).unwrap();
    /// let day = |s| careplan::date::parse(s).unwrap();
    /// assert!(engine.check_as_of(day("2024-01-01")).is_ok());
    /// let err = engine.check_as_of(day("2023-12-31")).unwrap_err();
    /// assert_eq!(err.field, "limit");
    /// assert_eq!(err.message, "no value of limit is in force on 2023-12-31; the earliest is from 2024-01-01");
    /// ```
    pub fn check_as_of(&self, as_of: crate::date::Date) -> Result<(), InputError> {
        let today = crate::date::day_number(as_of);
        let rules = self.rules();
        // Each dated item's first day, and whether it is a table's rows.
        let mut first: Vec<(crate::diagnostic::FileId, usize, &str, bool, i64)> = Vec::new();
        for d in &rules.defines {
            if let crate::ir::ExprKind::Dated { days, .. } = &d.value.kind {
                if let Some(&earliest) = days.first() {
                    first.push((d.meta.file, d.meta.span.start, &d.meta.id, false, earliest));
                }
            }
        }
        for t in &rules.tables {
            if let Some((earliest, _)) = t.versions.first().and_then(|v| v.from.as_ref()) {
                first.push((t.meta.file, t.meta.span.start, &t.meta.id, true, *earliest));
            }
        }
        first.sort_by_key(|(file, at, ..)| (*file, *at));
        match first.iter().find(|(.., earliest)| *earliest > today) {
            None => Ok(()),
            Some((_, _, id, rows, earliest)) => {
                Err(crate::eval::not_in_force(id, *rows, as_of, *earliest))
            }
        }
    }

    /// [`Engine::decide`] by the tree walker that explanations use, not the
    /// compiled plan: for differential tests and fuzzing, which check
    /// that the two agree on every profile. Not for production use.
    #[doc(hidden)]
    pub fn decide_walking(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<Decision, EvalError> {
        let mut s = State::default();
        let mut eval = Eval::new(&self.compiled, profile, caseloads, &mut s);
        eval.run_walker()?;
        let mut out = Decision::default();
        eval.decision_into(&mut out);
        Ok(out)
    }

    /// Explains every program, referral and warning for a profile: each
    /// condition with its value (true, false, unknown) and what it read.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let profile = engine.profile(&serde_json::json!({"id": "c-1", "housing": "homeless"})).unwrap();
    /// let traces = engine.explain(&profile, None).unwrap();
    /// let total = engine.programs().len() + engine.referrals().len() + engine.warnings().len();
    /// use careplan::Kind;
    /// let items = traces.iter().filter(|t| matches!(t.kind, Kind::Program | Kind::Referral | Kind::Warning));
    /// assert_eq!(items.count(), total);
    /// // and one trace for the transition and one for each value marked
    /// // `report: yes` (the reference rules mark `lace_score`)
    /// assert_eq!(traces.len(), total + 2);
    /// assert!(traces.iter().any(|t| t.kind == Kind::Transition));
    /// assert!(traces.iter().any(|t| t.kind == Kind::Define && t.id == "lace_score"));
    /// let housing = traces.iter().find(|t| t.id == "housing_services").unwrap();
    /// use careplan::{ItemOutcome, Priority};
    /// assert_eq!(housing.outcome, ItemOutcome::Referred(Priority::Urgent));
    /// ```
    pub fn explain(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<Vec<ItemTrace>, EvalError> {
        with_state(|s| {
            let mut eval = Eval::new(&self.compiled, profile, caseloads, s);
            eval.run()?;
            eval.fill_missing()?;
            eval.explain()
        })
    }

    /// Reads and evaluates a profile given as JSON, with an optional context.
    ///
    /// ```
    /// use serde_json::json;
    /// let engine = careplan::reference().unwrap();
    /// let context = json!({"caseloads": {"standard_case_management": {"cm-bo": 41}}});
    /// let report = engine
    ///     .evaluate_json(&json!({"id": "c-1", "needs": ["food", "legal"]}), Some(&context))
    ///     .unwrap();
    /// assert!(report.warnings.iter().any(|w| w.code == "caseload_exceeded"));
    /// let err = engine.evaluate_json(&json!({"id": "c-1", "age": -1}), None).unwrap_err();
    /// assert_eq!(err.field(), Some("age"));
    /// ```
    pub fn evaluate_json(
        &self,
        profile: &Value,
        context: Option<&Value>,
    ) -> Result<Report<'_>, EvalError> {
        let profile = self.profile(profile)?;
        let caseloads = context.map(|c| self.caseloads(c)).transpose()?;
        // The profile is dropped here: the report owns the client's id.
        let client = profile.client.clone().map(Cow::Owned);
        self.report(&profile, caseloads.as_ref(), client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Engine>();
    }
}
