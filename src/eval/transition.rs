//! The transition: where an enrolled client's plan goes next, from the
//! current program (`current:`) and the recommended one, compared by the
//! recommendation order. One function decides it for the plan and the
//! tree walker alike; the explanation and the report's reason read the
//! same steps back.
//!
//! The order of the steps is the policy's: an intake has no transition;
//! a more intensive program that is still undetermined leaves it
//! undetermined (it might be recommended once known); then continue, step
//! up, or step down once `step down when` allows it.

use super::state::TransitionState;
use super::{Eval, ItemOutcome, R, Transition, Truth};
use crate::ir;
use crate::profile::{Bits, Val};
use crate::report::{Held, Kind, TransitionKind};

/// How the transition was decided, for the explanation and the reason.
enum Path {
    /// No `transition` block, or the client is an intake.
    Intake,
    /// The current program is unknown.
    CurrentUnknown,
    /// A more intensive program is undetermined.
    Above,
    /// Recommended is current, or more intensive.
    Plain,
    /// A step down, gated by `step down when`, which came out this way.
    Gate(Truth),
}

impl<'a> Eval<'a> {
    /// The transition and, when undetermined, its missing fields. The
    /// programs' missing fields are whatever the state holds: the plan
    /// leaves them empty and `fill_missing` walks the transition again.
    pub(super) fn transition_state(&self) -> R<(TransitionState, Bits)> {
        let (state, missing, _) = self.transition_path()?;
        Ok((state, missing))
    }

    fn transition_path(&self) -> R<(TransitionState, Bits, Path)> {
        let none = Bits::default();
        let Some(rule) = &self.rules.transition else {
            return Ok((TransitionState::None, none, Path::Intake));
        };
        let (current, m) = self.val(&rule.current)?;
        let current = match current.as_deref() {
            Some(Val::Program(p)) => *p,
            _ => return Ok((TransitionState::Undetermined, m, Path::CurrentUnknown)),
        };
        let Some(from) = current else {
            return Ok((TransitionState::None, none, Path::Intake));
        };
        let to = self.recommended;
        // Every program above the recommended one (every program, when
        // none is recommended) must be known not to apply.
        let mut above = false;
        let mut missing = Bits::default();
        for &i in &self.c.by_intensity {
            if Some(i) == to {
                break;
            }
            if let Some((Truth::Unknown, m)) = self.s.programs.get(i) {
                above = true;
                missing.union(m);
            }
        }
        if above {
            return Ok((TransitionState::Undetermined, missing, Path::Above));
        }
        let decided = |kind, to| TransitionState::Decided(Transition { kind, from, to });
        match to {
            Some(t) if t == from => {
                return Ok((decided(TransitionKind::Continue, to), none, Path::Plain));
            }
            Some(_) if self.more_intensive(to, Some(from)) => {
                return Ok((decided(TransitionKind::StepUp, to), none, Path::Plain));
            }
            _ => {}
        }
        let (gate, m) = match &rule.step_down {
            Some(cond) => self.tri(cond)?,
            None => (Truth::True, none.clone()),
        };
        let state = match (gate, to) {
            (Truth::Unknown, _) => return Ok((TransitionState::Undetermined, m, Path::Gate(gate))),
            (Truth::False, _) => decided(TransitionKind::Continue, Some(from)),
            (Truth::True, Some(_)) => decided(TransitionKind::StepDown, to),
            (Truth::True, None) => decided(TransitionKind::Discharge, None),
        };
        Ok((state, none, Path::Gate(gate)))
    }

    fn program_id(&self, p: Option<usize>) -> String {
        p.and_then(|i| self.rules.programs.get(i))
            .map_or_else(|| "none".to_string(), |p| p.meta.id.clone())
    }

    /// Why the transition is what it is, as the report's reason gives it:
    /// the comparison of the programs, then the step-down condition.
    pub(super) fn transition_because(&self, rule: &'a ir::TransitionRule) -> R<Vec<Held>> {
        let (state, _, path) = self.transition_path()?;
        let mut out = Vec::new();
        let TransitionState::Decided(t) = state else {
            return Ok(out);
        };
        let current_name = self.text_of(&rule.current);
        let from = self.program_id(Some(t.from));
        let rec = self.program_id(self.recommended);
        let relation = if self.recommended == Some(t.from) {
            "is"
        } else if self.more_intensive(self.recommended, Some(t.from)) {
            "is more intensive than"
        } else {
            "is less intensive than"
        };
        let mut values = indexmap::IndexMap::new();
        values.insert("recommended".to_string(), serde_json::json!(rec));
        values.insert(current_name.to_string(), serde_json::json!(from));
        out.push(Held {
            condition: format!("recommended {relation} {current_name}"),
            values,
        });
        if let (Path::Gate(gate), Some(cond)) = (path, &rule.step_down) {
            self.held(cond, gate, &mut out)?;
        }
        Ok(out)
    }

    /// The transition's explanation: what came of it, and the step-down
    /// condition when it was looked at.
    pub(super) fn transition_trace(
        &self,
        rule: &'a ir::TransitionRule,
    ) -> R<super::explain::ItemTrace> {
        let (state, _, path) = self.transition_path()?;
        let outcome = match state {
            TransitionState::None => ItemOutcome::NoTransition,
            TransitionState::Undetermined => ItemOutcome::Undetermined,
            TransitionState::Decided(t) => ItemOutcome::Moved(t.kind),
        };
        let conditions = match (path, &rule.step_down) {
            (Path::Gate(_), Some(cond)) => self.clauses(super::Clause::StepDown, cond)?,
            _ => Vec::new(),
        };
        Ok(super::explain::ItemTrace {
            kind: Kind::Transition,
            id: rule.meta.id.clone(),
            title: rule.meta.title.clone(),
            outcome,
            conditions,
        })
    }
}
