//! Step three: checked rule set → engine.
//!
//! The engine is immutable and `Send + Sync`: compile once, share it between
//! threads, evaluate any number of profiles. Compiling precomputes what every
//! evaluation would otherwise redo (the programs in order of intensity).

use crate::eval::{Eval, with_state};
use crate::ir::RuleSet;
use crate::profile::{Caseloads, InputError, Profile};
use crate::report::Report;
use serde_json::Value;

/// A compiled rule set, ready to evaluate profiles.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: RuleSet,
    by_intensity: Vec<usize>,
    lookup: crate::profile::Lookup,
    program: crate::eval::program::Program,
}

/// Compiles a checked rule set.
pub(crate) fn compile(rules: RuleSet) -> Engine {
    let mut by_intensity: Vec<usize> = (0..rules.programs.len()).collect();
    by_intensity.sort_by_key(|&i| {
        std::cmp::Reverse(rules.programs.get(i).map_or(i64::MIN, |p| p.intensity))
    });
    let lookup = crate::profile::Lookup::new(&rules);
    let program = crate::eval::program::Program::build(&rules);
    Engine {
        rules,
        by_intensity,
        lookup,
        program,
    }
}

impl Engine {
    /// The checked rule set behind the engine.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The rule set's content hash, `sha256:…`.
    pub fn version(&self) -> &str {
        &self.rules.version
    }

    /// The flat program that decides profiles.
    pub(crate) fn program(&self) -> &crate::eval::program::Program {
        &self.program
    }

    /// Program indexes, most intensive first.
    pub(crate) fn by_intensity(&self) -> &[usize] {
        &self.by_intensity
    }

    /// Reads a profile (a JSON object) against the schema.
    pub fn profile(&self, value: &Value) -> Result<Profile, InputError> {
        Profile::read(&self.rules, &self.lookup, value)
    }

    /// Reads a profile straight from JSON text: the fast path for batches.
    /// Accepts and rejects exactly what [`Engine::profile`] does.
    pub fn profile_from_slice(&self, json: &[u8]) -> Result<Profile, InputError> {
        crate::profile::read_slice(&self.rules, &self.lookup, json)
    }

    /// Reads a caseload context: `{"caseloads": {"program": {"cm": n}}}`.
    pub fn caseloads(&self, value: &Value) -> Result<Caseloads, InputError> {
        Caseloads::read(&self.rules, value)
    }

    /// Evaluates a profile already read, with an optional caseload context.
    /// Fails only when the profile's data makes a calculation impossible
    /// (a division by zero, an overflow), naming the field.
    pub fn evaluate(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<Report, InputError> {
        with_state(|s| {
            let mut eval = Eval::new(self, profile, caseloads, s);
            eval.run()?;
            eval.fill_missing()?;
            eval.report()
        })
    }

    /// Evaluates a profile read already, without the explanations: what
    /// fired and what is undetermined (with its missing fields), borrowed
    /// from the engine and the profile. The report for batches; use
    /// [`Engine::evaluate`] for the reasons.
    pub fn outcomes<'e>(
        &'e self,
        profile: &'e Profile,
        caseloads: Option<&'e Caseloads>,
    ) -> Result<crate::report::Outcomes<'e>, InputError> {
        with_state(|s| {
            let mut eval = Eval::new(self, profile, caseloads, s);
            eval.run()?;
            eval.fill_missing()?;
            Ok(eval.outcomes(&self.rules, profile))
        })
    }

    /// Decides a profile read already: every outcome, without building the
    /// report's explanations. The path for throughput.
    pub fn decide(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<crate::eval::Decision, InputError> {
        let mut out = crate::eval::Decision::default();
        self.decide_into(profile, caseloads, &mut out)?;
        Ok(out)
    }

    /// [`Engine::decide`], written over a `Decision` the caller keeps: once
    /// its vectors have grown to the rule set, deciding allocates nothing
    /// (rhai functions and text or set definitions aside). On an error,
    /// `out` is left as it was.
    pub fn decide_into(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
        out: &mut crate::eval::Decision,
    ) -> Result<(), InputError> {
        with_state(|s| {
            let mut eval = Eval::new(self, profile, caseloads, s);
            eval.run()?;
            eval.decision_into(out);
            Ok(())
        })
    }

    /// [`Engine::decide`] by the tree walker that explanations use, not the
    /// compiled program: for differential tests and fuzzing, which check
    /// that the two agree on every profile. Not for production use.
    #[doc(hidden)]
    pub fn decide_walking(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<crate::eval::Decision, InputError> {
        let mut s = crate::eval::State::default();
        let mut eval = Eval::new(self, profile, caseloads, &mut s);
        eval.run_walker()?;
        let mut out = crate::eval::Decision::default();
        eval.decision_into(&mut out);
        Ok(out)
    }

    /// Explains every program, referral and warning for a profile: each
    /// condition with its value (true, false, unknown) and what it read.
    pub fn explain(
        &self,
        profile: &Profile,
        caseloads: Option<&Caseloads>,
    ) -> Result<Vec<crate::eval::ItemTrace>, InputError> {
        with_state(|s| {
            let mut eval = Eval::new(self, profile, caseloads, s);
            eval.run()?;
            eval.fill_missing()?;
            eval.explain()
        })
    }

    /// Reads and evaluates a profile given as JSON, with an optional context.
    pub fn evaluate_json(
        &self,
        profile: &Value,
        context: Option<&Value>,
    ) -> Result<Report, InputError> {
        let profile = self.profile(profile)?;
        let caseloads = context.map(|c| self.caseloads(c)).transpose()?;
        self.evaluate(&profile, caseloads.as_ref())
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
