//! Step three: checked rule set → compiled rule set.
//!
//! Compiling precomputes what every evaluation would otherwise redo: the
//! [`Plan`] that decides profiles (`build.rs` lowers the IR into it,
//! `plan.rs` holds its data) and the programs in order of intensity. The
//! result is immutable and `Send + Sync`; `eval` runs it, and [`Engine`]
//! (crate::Engine) wraps it with the profile readers.

mod bands;
mod build;
mod plan;

pub(crate) use plan::{DefineRoot, EMPTY, Id, Op, Plan, Step};

use crate::ir::RuleSet;

/// A checked rule set with what evaluation needs precomputed.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    /// The checked rule set: the tree walker, explanations and reports
    /// read it.
    pub(crate) rules: RuleSet,
    /// The flat plan that decides profiles.
    pub(crate) plan: Plan,
    /// Program indexes, most intensive first (ties in rule-set order).
    pub(crate) by_intensity: Vec<usize>,
    /// The date fields with bounds against the evaluation date, checked
    /// before each evaluation.
    pub(crate) bounded_dates: Vec<usize>,
}

/// Compiles a checked rule set. Never fails: a form the plan has no node
/// for goes to the tree walker.
pub(crate) fn compile(rules: RuleSet) -> Compiled {
    let mut by_intensity: Vec<usize> = (0..rules.programs.len()).collect();
    by_intensity.sort_by_key(|&i| {
        std::cmp::Reverse(rules.programs.get(i).map_or(i64::MIN, |p| p.intensity))
    });
    let plan = Plan::build(&rules);
    let bounded_dates = (0..rules.fields.len())
        .filter(|&i| {
            rules
                .fields
                .get(i)
                .is_some_and(|f| f.dates != crate::ir::DateBounds::default())
        })
        .collect();
    Compiled {
        rules,
        plan,
        by_intensity,
        bounded_dates,
    }
}
