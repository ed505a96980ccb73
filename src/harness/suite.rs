//! Running test cases against an engine: which pass, which fail and why
//! (with the explanation of the items that failed), and which condition
//! outcomes the cases exercised.
//!
//! `careplan test` reads the case files and renders the result; the
//! reference policy's own test (`tests/reference.rs`) runs the same suite.

use super::cases::{self, Case, CaseFile};
use super::coverage::Coverage;
use crate::Engine;
use crate::eval::ItemTrace;

/// A case that failed, or a file that could not be read.
///
/// ```
/// use careplan::harness::{cases::CaseFile, suite::Suite};
/// let engine = careplan::reference().unwrap();
/// let file: CaseFile = serde_json::from_str(r#"{"as_of": "2026-03-01", "cases": [
///     {"name": "homeless", "profile": {"id": "a", "housing": "homeless"},
///      "includes": {"referrals": {"housing_services": "urgent"}}},
///     {"name": "wrong", "profile": {"id": "b", "housing": "stable"},
///      "includes": {"referrals": {"housing_services": "routine"}}}
/// ]}"#).unwrap();
/// let mut suite = Suite::new(&engine);
/// suite.file("housing.json", &file, None);
/// let failure = &suite.failures[0];
/// assert_eq!((failure.file.as_str(), failure.case.as_str()), ("housing.json", "wrong"));
/// assert_eq!(failure.explained[0].id, "housing_services"); // what the failed expectation names
/// ```
#[derive(Debug, Clone)]
pub struct Failure {
    /// The case file, as named by the caller.
    pub file: String,
    /// The case's name; `(file)` for a file that could not be read.
    pub case: String,
    /// What was wrong, one message per expectation not met.
    pub messages: Vec<String>,
    /// The explanations of the items the failed expectations name.
    pub explained: Vec<ItemTrace>,
}

/// Cases run so far, and the coverage they reached.
///
/// ```
/// use careplan::harness::{cases::CaseFile, suite::Suite};
/// let engine = careplan::reference().unwrap();
/// let file: CaseFile = serde_json::from_str(r#"{"as_of": "2026-03-01", "cases": [
///     {"name": "homeless", "profile": {"id": "a", "housing": "homeless"},
///      "includes": {"referrals": {"housing_services": "urgent"}}},
///     {"name": "wrong", "profile": {"id": "b", "housing": "stable"},
///      "includes": {"referrals": {"housing_services": "routine"}}}
/// ]}"#).unwrap();
/// let mut suite = Suite::new(&engine);
/// suite.file("housing.json", &file, None);
/// assert_eq!((suite.passed, suite.failures.len()), (1, 1));
/// assert!(suite.coverage.summary(&engine).covered > 0);
/// ```
#[derive(Debug, Clone)]
pub struct Suite<'e> {
    engine: &'e Engine,
    /// The condition outcomes the cases produced.
    pub coverage: Coverage,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed, and files that could not be read, in order.
    pub failures: Vec<Failure>,
    /// The evaluation date of cases whose file gives none (`careplan test
    /// --as-of`).
    pub as_of: Option<crate::date::Date>,
}

impl<'e> Suite<'e> {
    /// No cases run yet.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let suite = careplan::harness::suite::Suite::new(&engine);
    /// assert_eq!((suite.ran(), suite.passed), (0, 0));
    /// ```
    pub fn new(engine: &'e Engine) -> Suite<'e> {
        Suite {
            engine,
            coverage: Coverage::new(engine),
            passed: 0,
            failures: Vec::new(),
            as_of: None,
        }
    }

    /// Cases run: passed and failed, not counting unreadable files.
    ///
    /// ```
    /// use careplan::harness::{cases::CaseFile, suite::Suite};
    /// let engine = careplan::reference().unwrap();
    /// let file: CaseFile = serde_json::from_str(r#"{"as_of": "2026-03-01", "cases": [
    ///     {"name": "homeless", "profile": {"id": "a", "housing": "homeless"},
    ///      "includes": {"referrals": {"housing_services": "urgent"}}},
    ///     {"name": "wrong", "profile": {"id": "b", "housing": "stable"},
    ///      "includes": {"referrals": {"housing_services": "routine"}}}
    /// ]}"#).unwrap();
    /// let mut suite = Suite::new(&engine);
    /// suite.file("housing.json", &file, None);
    /// suite.unreadable("broken.yaml", "expected a mapping".into());
    /// assert_eq!(suite.ran(), 2);
    /// ```
    pub fn ran(&self) -> usize {
        self.passed
            + self
                .failures
                .iter()
                .filter(|f| f.case != UNREADABLE)
                .count()
    }

    /// Counts a file that could not be read or parsed as a failure.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let mut suite = careplan::harness::suite::Suite::new(&engine);
    /// suite.unreadable("broken.yaml", "expected a mapping".into());
    /// assert_eq!(suite.failures[0].case, "(file)");
    /// assert_eq!(suite.ran(), 0);
    /// ```
    pub fn unreadable(&mut self, file: &str, message: String) {
        self.failures.push(Failure {
            file: file.to_string(),
            case: UNREADABLE.into(),
            messages: vec![message],
            explained: vec![],
        });
    }

    /// Runs the cases of `cases` whose name contains `filter` (all when it
    /// is `None`).
    ///
    /// ```
    /// use careplan::harness::{cases::CaseFile, suite::Suite};
    /// let engine = careplan::reference().unwrap();
    /// let file: CaseFile = serde_json::from_str(r#"{"as_of": "2026-03-01", "cases": [
    ///     {"name": "homeless", "profile": {"id": "a", "housing": "homeless"},
    ///      "includes": {"referrals": {"housing_services": "urgent"}}},
    ///     {"name": "wrong", "profile": {"id": "b", "housing": "stable"},
    ///      "includes": {"referrals": {"housing_services": "routine"}}}
    /// ]}"#).unwrap();
    /// let mut suite = Suite::new(&engine);
    /// suite.file("housing.json", &file, Some("home"));
    /// assert_eq!((suite.ran(), suite.passed), (1, 1));
    /// ```
    pub fn file(&mut self, file: &str, cases: &CaseFile, filter: Option<&str>) {
        for case in &cases.cases {
            if filter.is_some_and(|f| !case.name.contains(f)) {
                continue;
            }
            // A case's own date, else its file's, else the suite's.
            match (case.as_of, cases.as_of.or(self.as_of)) {
                (None, Some(d)) => {
                    let mut dated = case.clone();
                    dated.as_of = Some(d);
                    self.case(file, &dated);
                }
                _ => self.case(file, case),
            }
        }
    }

    /// Runs one case: checks that it names what the rule set has, then
    /// its expectations; records its coverage.
    ///
    /// ```
    /// use careplan::harness::{cases::Case, suite::Suite};
    /// let engine = careplan::reference().unwrap();
    /// let case: Case = serde_json::from_value(serde_json::json!({
    ///     "name": "typo", "profile": {"id": "a"}, "includes": {"warnings": ["caseload_ful"]}
    /// })).unwrap();
    /// let mut suite = Suite::new(&engine);
    /// suite.case("cases.json", &case);
    /// assert!(suite.failures[0].messages[0].contains("did you mean `caseload_full`?"));
    /// ```
    pub fn case(&mut self, file: &str, case: &Case) {
        let engine = self.engine;
        let problems = cases::validate(engine, case);
        if !problems.is_empty() {
            self.failures.push(Failure {
                file: file.to_string(),
                case: case.name.clone(),
                messages: problems,
                explained: vec![],
            });
            return;
        }
        let outcome = cases::run(engine, case);
        // Explanations feed coverage, and explain failures.
        let traces = engine
            .profile(&case.profile)
            .ok()
            .map(|mut p| {
                if let Some(d) = case.as_of {
                    p.as_of = d;
                }
                p
            })
            .and_then(|p| {
                let ctx = case.context.as_ref().and_then(|c| engine.caseloads(c).ok());
                engine.explain(&p, ctx.as_ref()).ok()
            })
            .unwrap_or_default();
        self.coverage.record(&traces);
        if outcome.passed() {
            self.passed += 1;
        } else {
            let ids: Vec<&String> = outcome.failures.iter().flat_map(|f| &f.ids).collect();
            let explained = traces
                .into_iter()
                .filter(|t| ids.contains(&&t.id))
                .collect();
            self.failures.push(Failure {
                file: file.to_string(),
                case: case.name.clone(),
                messages: outcome.failures.into_iter().map(|f| f.message).collect(),
                explained,
            });
        }
    }
}

/// The case name given to a file that could not be read.
const UNREADABLE: &str = "(file)";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    #[test]
    fn failures_say_which_case_and_why() {
        let engine = crate::reference().unwrap();
        let file: CaseFile = serde_json::from_value(serde_json::json!({"cases": [
            {"name": "no such program", "profile": {"id": "a"},
             "expect": {"eligible_programs": ["no_such_program"]}},
        ]}))
        .unwrap();
        let mut suite = Suite::new(&engine);
        suite.file("f.json", &file, None);
        suite.file("f.json", &file, Some("nothing matches this"));
        suite.unreadable("g.yaml", "g.yaml: not YAML".into());
        assert_eq!(suite.passed, 0);
        assert_eq!(suite.ran(), 1);
        assert_eq!(suite.failures.len(), 2);
        assert_eq!(suite.failures[0].case, "no such program");
        assert!(!suite.failures[0].messages.is_empty());
        assert_eq!(suite.failures[1].case, "(file)");
    }
}
