//! Counting outcomes over a population, and comparing two rule sets over
//! the same population: who gains and who loses each program, referral and
//! warning, and how many case managers the recommendations would need.
//!
//! This module owns the counts; `careplan bench` turns them into shares,
//! JSON and tables.

use crate::Caseloads;
use crate::Engine;
use crate::eval::{Decision, Truth};
use crate::ir::{Meta, Priority, RuleSet};
use serde::Serialize;
use serde_json::Value;

mod transitions;
pub use transitions::{Move, Transitions};

/// How often each outcome came out, over the profiles decided.
///
/// ```
/// use careplan::harness::measure::Measure;
/// let engine = careplan::reference().unwrap();
/// let mut measure = Measure::new(&engine, None, 2);
/// let chunk = [Ok(serde_json::json!({"id": "a", "housing": "homeless"})), Ok(serde_json::json!({"id": "b"}))];
/// measure.chunk(&chunk, |_, _| {});
/// let housing = engine.referrals().position(|r| r.id() == "housing_services").unwrap();
/// assert_eq!(measure.tally.n, 2);
/// assert_eq!(measure.tally.referrals[housing], [1, 1, 0, 1]); // fired, urgent, routine, undetermined
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Profiles counted.
    pub n: u64,
    /// Per program, in rule-set order: eligible, recommended, undetermined.
    pub programs: Vec<[u64; 3]>,
    /// Per referral: fired, urgent, routine, undetermined.
    pub referrals: Vec<[u64; 4]>,
    /// Per warning: raised, undetermined.
    pub warnings: Vec<[u64; 2]>,
    /// The transitions (all intakes for a rule set without a `transition`:
    /// see [`has_transition`]).
    pub transitions: Transitions,
}

impl Tally {
    /// All zero, sized for the engine's rule set.
    ///
    /// ```
    /// use careplan::harness::compare::Tally;
    /// let engine = careplan::reference().unwrap();
    /// let tally = Tally::new(&engine);
    /// assert_eq!(tally.n, 0);
    /// assert_eq!(tally.programs, vec![[0; 3]; engine.programs().len()]);
    /// ```
    pub fn new(engine: &Engine) -> Tally {
        let rules = engine.rules();
        Tally {
            n: 0,
            programs: vec![[0; 3]; rules.programs.len()],
            referrals: vec![[0; 4]; rules.referrals.len()],
            warnings: vec![[0; 2]; rules.warnings.len()],
            transitions: Transitions::default(),
        }
    }

    /// Counts one profile's decision.
    ///
    /// ```
    /// use careplan::harness::measure::Measure;
    /// let engine = careplan::reference().unwrap();
    /// let mut tally = Measure::new(&engine, None, 0).tally;
    /// let profile = engine.profile(&serde_json::json!({"id": "a", "violence_risk": true})).unwrap();
    /// tally.add(&engine.decide(&profile, None).unwrap());
    /// let safety = engine.warnings().position(|w| w.id() == "home_visit_safety").unwrap();
    /// assert_eq!((tally.n, tally.warnings[safety]), (1, [1, 0]));
    /// ```
    pub fn add(&mut self, d: &Decision) {
        self.n += 1;
        for (i, (c, t)) in self.programs.iter_mut().zip(&d.programs).enumerate() {
            let [eligible, recommended, undetermined] = c;
            *eligible += u64::from(*t == Truth::True);
            *recommended += u64::from(d.recommended == Some(i));
            *undetermined += u64::from(*t == Truth::Unknown);
        }
        for (c, (p, t)) in self
            .referrals
            .iter_mut()
            .zip(d.referrals.iter().zip(&d.referral_truth))
        {
            let [fired, urgent, routine, undetermined] = c;
            *fired += u64::from(p.is_some());
            *urgent += u64::from(*p == Some(Priority::Urgent));
            *routine += u64::from(*p == Some(Priority::Routine));
            *undetermined += u64::from(*t == Truth::Unknown);
        }
        for (c, t) in self.warnings.iter_mut().zip(&d.warnings) {
            let [raised, undetermined] = c;
            *raised += u64::from(*t == Truth::True);
            *undetermined += u64::from(*t == Truth::Unknown);
        }
        self.transitions.add(d);
    }
}

/// Whether a rule set has a `transition` block. Only then do its
/// transition figures mean anything: without one, every client counts as
/// an intake.
///
/// ```
/// let rules = "schema {\n  id: text required\n}\n";
/// let engine = careplan::load_sources(&[("r.rules", rules)], &Default::default()).unwrap();
/// assert!(!careplan::harness::compare::has_transition(&engine));
/// ```
pub fn has_transition(engine: &Engine) -> bool {
    engine.rules().transition.is_some()
}

/// Clients recommended over a caseload limit, rounded up: the case managers
/// needed. `None` for a limit of 0, which no number of them meets.
///
/// ```
/// use careplan::harness::compare::case_managers;
/// assert_eq!(case_managers(25, 51), Some(3));
/// assert_eq!(case_managers(25, 0), Some(0));
/// assert_eq!(case_managers(0, 5), None);
/// ```
pub fn case_managers(limit: u64, recommended: u64) -> Option<u64> {
    (limit > 0).then(|| recommended.div_ceil(limit))
}

/// Which rule sets have an outcome.
///
/// ```
/// use careplan::harness::compare::{Ids, Presence};
/// let ids = Ids::new(&["a", "b"], &["a"]);
/// assert_eq!(ids.present(0), Presence::Both);
/// assert_eq!(ids.present(1), Presence::Base);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Both.
    Both,
    /// Only the base rule set.
    Base,
    /// Only the compared rule set.
    Compared,
}

impl Presence {
    /// `both`, `base` or `compared`.
    ///
    /// ```
    /// assert_eq!(careplan::harness::compare::Presence::Compared.word(), "compared");
    /// ```
    pub fn word(self) -> &'static str {
        match self {
            Presence::Both => "both",
            Presence::Base => "base",
            Presence::Compared => "compared",
        }
    }
}

/// The outcomes of one kind in either rule set, by id: where each is in the
/// base rule set and in the compared one. The base's ids come first, in
/// its order, then those only the compared rule set has.
///
/// ```
/// use careplan::harness::compare::Ids;
/// let ids = Ids::new(&["a", "b"], &["c", "a"]);
/// assert_eq!(ids.ids, ["a", "b", "c"]);
/// assert_eq!(ids.base, [Some(0), Some(1), None]);
/// assert_eq!(ids.other, [Some(1), None, Some(0)]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    /// Every id.
    pub ids: Vec<String>,
    /// Each id's index in the base rule set.
    pub base: Vec<Option<usize>>,
    /// Each id's index in the compared rule set.
    pub other: Vec<Option<usize>>,
}

impl Ids {
    /// The union of two lists of ids.
    ///
    /// ```
    /// let ids = careplan::harness::compare::Ids::new(&["x"], &["y", "x"]);
    /// assert_eq!(ids.ids, ["x", "y"]);
    /// ```
    pub fn new(base: &[&str], other: &[&str]) -> Ids {
        let mut ids: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        for id in other {
            if !ids.iter().any(|x| x == id) {
                ids.push(id.to_string());
            }
        }
        let at = |list: &[&str], id: &str| list.iter().position(|x| *x == id);
        Ids {
            base: ids.iter().map(|id| at(base, id)).collect(),
            other: ids.iter().map(|id| at(other, id)).collect(),
            ids,
        }
    }

    /// Which rule sets have the `i`th id.
    ///
    /// ```
    /// use careplan::harness::compare::{Ids, Presence};
    /// let ids = Ids::new(&["x"], &["y"]);
    /// assert_eq!(ids.present(1), Presence::Compared);
    /// ```
    pub fn present(&self, i: usize) -> Presence {
        match (self.base.get(i), self.other.get(i)) {
            (Some(Some(_)), Some(Some(_))) => Presence::Both,
            (Some(Some(_)), _) => Presence::Base,
            _ => Presence::Compared,
        }
    }
}

/// Gains and losses of one outcome, in clients.
///
/// ```
/// use careplan::harness::compare::Change;
/// let mut change = Change::default();
/// for (before, after) in [(false, true), (true, false), (true, false), (true, true)] {
///     change.add(before, after);
/// }
/// assert_eq!(change, Change { gained: 1, lost: 2 });
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Clients who have it only under the compared rule set.
    pub gained: u64,
    /// Clients who have it only under the base rule set.
    pub lost: u64,
}

impl Change {
    /// Counts one client who had it (`before`) or not, and has it (`after`)
    /// or not.
    ///
    /// ```
    /// let mut change = careplan::harness::compare::Change::default();
    /// change.add(false, true);
    /// assert_eq!((change.gained, change.lost), (1, 0));
    /// ```
    pub fn add(&mut self, before: bool, after: bool) {
        self.gained += u64::from(!before && after);
        self.lost += u64::from(before && !after);
    }

    /// Nobody gained or lost it.
    ///
    /// ```
    /// let mut change = careplan::harness::compare::Change::default();
    /// change.add(true, true);
    /// assert!(change.is_zero());
    /// ```
    pub fn is_zero(&self) -> bool {
        self.gained == 0 && self.lost == 0
    }
}

/// Why a profile was not compared.
///
/// ```
/// use careplan::harness::compare::{Compare, Skip};
/// let base = careplan::reference().unwrap();
/// let other = careplan::load_sources(&[("o.rules", "schema {\n  id: integer required\n}\n")], &Default::default()).unwrap();
/// let mut compare = Compare::new(&base, &other, None);
/// let profile = serde_json::json!({"id": "c-1"});
/// let decision = base.decide(&base.profile(&profile).unwrap(), None).unwrap();
/// assert!(matches!(compare.add(&profile, &decision), Err(Skip::Rejected(_))));
/// assert_eq!(compare.rejected, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The compared rule set's schema rejects the profile.
    Rejected(String),
    /// Deciding under the compared rule set failed on the profile's data.
    Failed {
        /// The profile's client id, if it has one.
        client: Option<String>,
        /// What went wrong.
        error: String,
    },
}

/// One side of a program's caseload demand.
///
/// ```
/// # let base = careplan::reference().unwrap();
/// # let files: Vec<(&str, String)> = careplan::REFERENCE_RULES.iter()
/// #     .map(|(n, t)| (*n, t.replace("count(needs) >= 2", "count(needs) >= 3"))).collect();
/// # let other = careplan::load_sources(&files, &Default::default()).unwrap();
/// // `other` is the reference policy with standard case management
/// // asking for 3 needs instead of 2.
/// let mut compare = careplan::harness::compare::Compare::new(&base, &other, None);
/// let profile = serde_json::json!({"id": "c-1", "needs": ["food", "legal"]});
/// let decision = base.decide(&base.profile(&profile).unwrap(), None).unwrap();
/// compare.add(&profile, &decision).unwrap();
/// let demand = compare.demand();
/// let standard = demand.iter().find(|d| d.program == "standard_case_management").unwrap();
/// let side = standard.base.unwrap();
/// assert_eq!((side.caseload_limit, side.recommended, side.case_managers), (40, 1, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DemandSide {
    /// The program's caseload limit.
    pub caseload_limit: u64,
    /// Clients recommended.
    pub recommended: u64,
    /// Case managers needed.
    pub case_managers: u64,
}

/// A program's caseload demand under both rule sets, over the compared
/// profiles.
///
/// ```
/// # let base = careplan::reference().unwrap();
/// # let files: Vec<(&str, String)> = careplan::REFERENCE_RULES.iter()
/// #     .map(|(n, t)| (*n, t.replace("count(needs) >= 2", "count(needs) >= 3"))).collect();
/// # let other = careplan::load_sources(&files, &Default::default()).unwrap();
/// // `other` is the reference policy with standard case management
/// // asking for 3 needs instead of 2.
/// let mut compare = careplan::harness::compare::Compare::new(&base, &other, None);
/// let profile = serde_json::json!({"id": "c-1", "needs": ["food", "legal"]});
/// let decision = base.decide(&base.profile(&profile).unwrap(), None).unwrap();
/// compare.add(&profile, &decision).unwrap();
/// let demand = compare.demand();
/// let standard = demand.iter().find(|d| d.program == "standard_case_management").unwrap();
/// assert_eq!(standard.compared.unwrap().recommended, 0);
/// assert_eq!(standard.change, Some(-1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemandChange {
    /// The program id.
    pub program: String,
    /// Under the base rule set; `None` when not known (no limit there).
    pub base: Option<DemandSide>,
    /// Under the compared rule set.
    pub compared: Option<DemandSide>,
    /// Case managers compared minus base, when both are known.
    pub change: Option<i64>,
}

/// A population run through a second rule set, counted against the base:
/// feed it each profile with its base decision.
///
/// ```
/// # let base = careplan::reference().unwrap();
/// # let files: Vec<(&str, String)> = careplan::REFERENCE_RULES.iter()
/// #     .map(|(n, t)| (*n, t.replace("count(needs) >= 2", "count(needs) >= 3"))).collect();
/// # let other = careplan::load_sources(&files, &Default::default()).unwrap();
/// // `other` is the reference policy with standard case management
/// // asking for 3 needs instead of 2.
/// let mut compare = careplan::harness::compare::Compare::new(&base, &other, None);
/// let profile = serde_json::json!({"id": "c-1", "needs": ["food", "legal"]});
/// let decision = base.decide(&base.profile(&profile).unwrap(), None).unwrap();
/// compare.add(&profile, &decision).unwrap();
/// let i = compare.programs.ids.iter().position(|id| id == "standard_case_management").unwrap();
/// let [eligibility, _recommendation] = compare.program_changes[i];
/// assert_eq!((compare.compared, eligibility.lost), (1, 1));
/// ```
#[derive(Debug)]
pub struct Compare<'a> {
    /// The base rule set's engine.
    pub base: &'a Engine,
    /// The compared rule set's engine.
    pub other: &'a Engine,
    ctx: Option<&'a Caseloads>,
    /// Program ids in either rule set.
    pub programs: Ids,
    /// Referral ids in either rule set.
    pub referrals: Ids,
    /// Warning ids in either rule set.
    pub warnings: Ids,
    /// Profiles decided under both rule sets: the clients counted.
    pub compared: u64,
    /// Profiles the compared rule set's schema rejects.
    pub rejected: u64,
    /// Profiles whose decision under the compared rule set failed.
    pub evaluation_errors: u64,
    /// Per program id: eligibility, recommendation.
    pub program_changes: Vec<[Change; 2]>,
    /// Per program id: recommended under the base, under the compared.
    pub recommended: Vec<[u64; 2]>,
    /// Per referral id: fired; made more urgent, less urgent.
    pub referral_changes: Vec<(Change, u64, u64)>,
    /// Per warning id: raised.
    pub warning_changes: Vec<Change>,
    /// Per warning id: clients raised under the base, under the compared.
    pub warnings_raised: Vec<[u64; 2]>,
    /// The transitions under the base and under the compared rule set,
    /// over the compared profiles.
    pub transitions: [Transitions; 2],
    /// Clients whose transition differs: another row, or another program
    /// moved from or to.
    pub transitions_changed: u64,
    /// The evaluation date of every profile; today in UTC if `None`.
    pub as_of: Option<crate::date::Date>,
    /// The compared rule set's decision, written over for each profile.
    other_decision: Decision,
}

impl<'a> Compare<'a> {
    /// Nothing counted yet; `ctx` is the caseload context for `other`.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let compare = careplan::harness::compare::Compare::new(&engine, &engine, None);
    /// assert_eq!(compare.compared, 0);
    /// assert_eq!(compare.programs.ids.len(), engine.programs().len());
    /// ```
    pub fn new(base: &'a Engine, other: &'a Engine, ctx: Option<&'a Caseloads>) -> Compare<'a> {
        let (b, o) = (base.rules(), other.rules());
        let ids = |it: &mut dyn Iterator<Item = &'a Meta>| -> Vec<&'a str> {
            it.map(|m| m.id.as_str()).collect()
        };
        let programs = Ids::new(
            &ids(&mut b.programs.iter().map(|p| &p.meta)),
            &ids(&mut o.programs.iter().map(|p| &p.meta)),
        );
        let referrals = Ids::new(
            &ids(&mut b.referrals.iter().map(|r| &r.meta)),
            &ids(&mut o.referrals.iter().map(|r| &r.meta)),
        );
        let warnings = Ids::new(
            &ids(&mut b.warnings.iter().map(|w| &w.meta)),
            &ids(&mut o.warnings.iter().map(|w| &w.meta)),
        );
        Compare {
            base,
            other,
            ctx,
            program_changes: vec![[Change::default(); 2]; programs.ids.len()],
            recommended: vec![[0; 2]; programs.ids.len()],
            referral_changes: vec![(Change::default(), 0, 0); referrals.ids.len()],
            warning_changes: vec![Change::default(); warnings.ids.len()],
            warnings_raised: vec![[0; 2]; warnings.ids.len()],
            transitions: [Transitions::default(); 2],
            transitions_changed: 0,
            other_decision: Decision::default(),
            programs,
            referrals,
            warnings,
            compared: 0,
            rejected: 0,
            evaluation_errors: 0,
            as_of: None,
        }
    }

    /// Reads the same profile against the second schema, decides it, and
    /// counts the differences from `base`, its decision under the base
    /// rule set. A profile not compared is counted and said why.
    ///
    /// ```
    /// # let base = careplan::reference().unwrap();
    /// # let files: Vec<(&str, String)> = careplan::REFERENCE_RULES.iter()
    /// #     .map(|(n, t)| (*n, t.replace("count(needs) >= 2", "count(needs) >= 3"))).collect();
    /// # let other = careplan::load_sources(&files, &Default::default()).unwrap();
    /// // `other` is the reference policy with standard case management
    /// // asking for 3 needs instead of 2.
    /// let mut compare = careplan::harness::compare::Compare::new(&base, &other, None);
    /// let profile = serde_json::json!({"id": "c-1", "needs": ["food", "legal"]});
    /// let decision = base.decide(&base.profile(&profile).unwrap(), None).unwrap();
    /// assert!(compare.add(&profile, &decision).is_ok());
    /// let food = compare.referrals.ids.iter().position(|id| id == "food_assistance").unwrap();
    /// assert!(compare.referral_changes[food].0.is_zero()); // referrals are unchanged
    /// ```
    pub fn add(&mut self, value: &Value, base: &Decision) -> Result<(), Skip> {
        let p = match self.other.profile(value) {
            Ok(mut p) => {
                if let Some(d) = self.as_of {
                    p.as_of = d;
                }
                p
            }
            Err(e) => {
                self.rejected += 1;
                return Err(Skip::Rejected(e.to_string()));
            }
        };
        let mut other = std::mem::take(&mut self.other_decision);
        let decided = self.other.decide_into(&p, self.ctx, &mut other);
        let counted = decided.map(|()| self.count(base, &other));
        self.other_decision = other;
        counted.map_err(|e| {
            self.evaluation_errors += 1;
            Skip::Failed {
                client: p.client.clone(),
                error: e.to_string(),
            }
        })
    }

    /// Counts the differences between one profile's two decisions.
    fn count(&mut self, base: &Decision, other: &Decision) {
        self.compared += 1;
        let truth = |v: &[Truth], i: Option<&Option<usize>>| {
            i.copied()
                .flatten()
                .and_then(|i| v.get(i))
                .is_some_and(|t| *t == Truth::True)
        };
        let recommended = |d: &Decision, i: Option<&Option<usize>>| {
            i.copied()
                .flatten()
                .is_some_and(|i| d.recommended == Some(i))
        };
        for (i, (changes, counts)) in self
            .program_changes
            .iter_mut()
            .zip(self.recommended.iter_mut())
            .enumerate()
        {
            let (b, o) = (self.programs.base.get(i), self.programs.other.get(i));
            let [eligible, rec] = changes;
            eligible.add(truth(&base.programs, b), truth(&other.programs, o));
            let (rb, ro) = (recommended(base, b), recommended(other, o));
            rec.add(rb, ro);
            let [cb, co] = counts;
            *cb += u64::from(rb);
            *co += u64::from(ro);
        }
        let priority = |d: &Decision, i: Option<&Option<usize>>| {
            i.copied()
                .flatten()
                .and_then(|i| d.referrals.get(i).copied().flatten())
        };
        for (i, (fired, up, down)) in self.referral_changes.iter_mut().enumerate() {
            let pb = priority(base, self.referrals.base.get(i));
            let po = priority(other, self.referrals.other.get(i));
            fired.add(pb.is_some(), po.is_some());
            if let (Some(pb), Some(po)) = (pb, po) {
                *up += u64::from(po > pb);
                *down += u64::from(po < pb);
            }
        }
        for (i, (c, [rb, ro])) in self
            .warning_changes
            .iter_mut()
            .zip(self.warnings_raised.iter_mut())
            .enumerate()
        {
            let b = truth(&base.warnings, self.warnings.base.get(i));
            let o = truth(&other.warnings, self.warnings.other.get(i));
            c.add(b, o);
            *rb += u64::from(b);
            *ro += u64::from(o);
        }
        let [tb, to] = &mut self.transitions;
        tb.add(base);
        to.add(other);
        // The same row is the same transition only between the same
        // programs, matched by id.
        let ids = &self.programs;
        let id = |side: &[Option<usize>], i: Option<usize>| {
            i.and_then(|i| side.iter().position(|x| *x == Some(i)))
        };
        let moved = |d: &Decision, side: &[Option<usize>]| {
            d.transition
                .filter(|_| d.transition_truth == Truth::True)
                .map(|t| (id(side, Some(t.from)), id(side, t.to)))
        };
        let same =
            Move::of(base) == Move::of(other) && moved(base, &ids.base) == moved(other, &ids.other);
        self.transitions_changed += u64::from(!same);
    }

    /// Caseload demand under both rule sets, for each program id that has
    /// a caseload limit in either.
    ///
    /// ```
    /// let engine = careplan::reference().unwrap();
    /// let compare = careplan::harness::compare::Compare::new(&engine, &engine, None);
    /// let demand = compare.demand();
    /// assert_eq!(demand.len(), 7); // every reference program has a limit
    /// let limited = engine.programs().filter(|p| p.caseload_limit().is_some()).count();
    /// assert_eq!(demand.len(), limited); // one per program with a limit
    /// assert!(demand.iter().all(|d| d.change == Some(0)));
    /// ```
    pub fn demand(&self) -> Vec<DemandChange> {
        let (b, o) = (self.base.rules(), self.other.rules());
        let limit = |rules: &RuleSet, i: Option<&Option<usize>>| {
            i.copied()
                .flatten()
                .and_then(|i| rules.programs.get(i))
                .map(|p| p.caseload_limit)
        };
        let mut out = Vec::new();
        for (i, (id, [rb, ro])) in self.programs.ids.iter().zip(&self.recommended).enumerate() {
            let lb = limit(b, self.programs.base.get(i));
            let lo = limit(o, self.programs.other.get(i));
            if !matches!(lb, Some(Some(_))) && !matches!(lo, Some(Some(_))) {
                continue;
            }
            // Absent from a rule set: nobody there, no case managers. Present
            // without a limit: the number is not known.
            let side = |l: Option<Option<u64>>, n: u64| match l {
                None => (None, Some(0)),
                Some(None) => (None, None),
                Some(Some(l)) => {
                    let cms = case_managers(l, n);
                    let side = cms.map(|c| DemandSide {
                        caseload_limit: l,
                        recommended: n,
                        case_managers: c,
                    });
                    (side, cms)
                }
            };
            let (base, cb) = side(lb, *rb);
            let (compared, co) = side(lo, *ro);
            let change = match (cb, co) {
                (Some(cb), Some(co)) => Some(co as i64 - cb as i64),
                _ => None,
            };
            out.push(DemandChange {
                program: id.clone(),
                base,
                compared,
                change,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    #[test]
    fn ids_are_the_union_in_base_order_first() {
        let ids = Ids::new(&["a", "b"], &["c", "a"]);
        assert_eq!(ids.ids, ["a", "b", "c"]);
        assert_eq!(ids.present(0), Presence::Both);
        assert_eq!(ids.present(1), Presence::Base);
        assert_eq!(ids.present(2), Presence::Compared);
        assert_eq!(ids.other, [Some(1), None, Some(0)]);
    }

    #[test]
    fn changes_count_gains_and_losses() {
        let mut c = Change::default();
        c.add(false, true);
        c.add(true, false);
        c.add(true, false);
        c.add(true, true);
        assert_eq!(c, Change { gained: 1, lost: 2 });
        assert!(!c.is_zero());
    }

    #[test]
    fn case_managers_round_up_and_refuse_a_zero_limit() {
        assert_eq!(case_managers(25, 51), Some(3));
        assert_eq!(case_managers(25, 0), Some(0));
        assert_eq!(case_managers(0, 5), None);
    }

    #[test]
    fn a_rule_set_compared_with_itself_changes_nothing() {
        let engine = crate::reference().unwrap();
        let mut compare = Compare::new(&engine, &engine, None);
        let mut tally = Tally::new(&engine);
        let profile = serde_json::json!({"id": "c1", "age": 70, "housing": "homeless"});
        let p = engine.profile(&profile).unwrap();
        let d = engine.decide(&p, None).unwrap();
        tally.add(&d);
        compare.add(&profile, &d).unwrap();
        assert_eq!(tally.n, 1);
        assert_eq!(compare.compared, 1);
        assert!(
            compare
                .program_changes
                .iter()
                .flatten()
                .all(Change::is_zero)
        );
        assert!(compare.demand().iter().all(|d| d.change == Some(0)));
    }
}
