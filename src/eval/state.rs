//! The per-thread state of evaluations: what one evaluation computes for
//! each define and outcome, kept between evaluations on the same thread so
//! that deciding allocates nothing once its vectors have grown to the rule
//! set.

use super::{EvalError, R, Truth};
use crate::compile::EMPTY;
use crate::ir::{self, Priority};
use crate::profile::{Bits, Val};

/// What an evaluation computes for each define and outcome, with the
/// missing fields of those that came out unknown. It is kept between
/// evaluations on the same thread (see `Eval::new`), so that deciding a
/// profile allocates nothing once the vectors have grown to the rule set.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) defines: Vec<(Option<Val>, Bits)>,
    /// Each define whose calculation failed for this profile, with the
    /// error: it fails only a condition that reads it, as the same
    /// expression written inline would.
    pub(crate) failed: Vec<Option<Box<EvalError>>>,
    pub(crate) programs: Vec<(Truth, Bits)>,
    pub(crate) referrals: Vec<(Option<Priority>, Truth, Bits)>,
    pub(crate) warnings: Vec<(Truth, Bits)>,
    /// Each referral made at a lower priority while a more urgent trigger
    /// is unknown: `Some`, with the missing fields of that trigger once
    /// the tree walker has computed them (the plan leaves them empty).
    pub(crate) urgent_if: Vec<Option<Bits>>,
    /// The transition, when decided, and whether it is decided (true),
    /// undetermined (unknown, with `transition_missing`) or none (false).
    pub(crate) transition: TransitionState,
    pub(crate) transition_missing: Bits,
    /// The compiled plan's memo of shared conditions and numbers.
    pub(crate) memo_truth: Vec<u8>,
    pub(crate) memo_num: Vec<Option<Option<rust_decimal::Decimal>>>,
    /// The tree walker has written missing-field sets since the last reset.
    pub(super) walked: bool,
    /// The plan (`Plan::id`) whose constant definitions `defines`
    /// holds; 0 for none. Only their own steps and the tree walker (which
    /// computes the same values) write those slots, so they stay valid
    /// from one evaluation of the same plan to the next.
    pub(crate) constants_of: u64,
}

impl State {
    /// Sized for `rules` and ready for an evaluation, keeping the
    /// allocations. Every step of an evaluation writes its own outcome
    /// before anything reads it, so only the memo and, after a walk, the
    /// missing-field sets need clearing.
    pub(super) fn reset(&mut self, rules: &ir::RuleSet, memo: (usize, usize)) {
        fn fill<T: Clone>(v: &mut Vec<T>, n: usize, x: T) {
            v.truncate(n);
            v.fill(x.clone());
            v.resize(n, x);
        }
        let sized = self.defines.len() == rules.defines.len()
            && self.programs.len() == rules.programs.len()
            && self.referrals.len() == rules.referrals.len()
            && self.urgent_if.len() == rules.referrals.len()
            && self.warnings.len() == rules.warnings.len();
        if !sized || self.walked {
            fill(
                &mut self.defines,
                rules.defines.len(),
                (None, Bits::default()),
            );
            fill(&mut self.failed, rules.defines.len(), None);
            self.constants_of = 0;
            fill(
                &mut self.programs,
                rules.programs.len(),
                (Truth::Unknown, Bits::default()),
            );
            fill(
                &mut self.referrals,
                rules.referrals.len(),
                (None, Truth::Unknown, Bits::default()),
            );
            fill(
                &mut self.warnings,
                rules.warnings.len(),
                (Truth::Unknown, Bits::default()),
            );
            fill(&mut self.urgent_if, rules.referrals.len(), None);
            self.walked = false;
        }
        self.transition = TransitionState::None;
        self.transition_missing = Bits::default();
        fill(&mut self.memo_truth, memo.0, EMPTY);
        fill(&mut self.memo_num, memo.1, None);
    }
}

impl TransitionState {
    /// The transition, when decided.
    pub(crate) fn decided(self) -> Option<super::Transition> {
        match self {
            TransitionState::Decided(t) => Some(t),
            _ => None,
        }
    }
}

/// Where the transition stands after an evaluation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransitionState {
    /// No transition: an intake, or no `transition` block.
    #[default]
    None,
    /// Undetermined; `State::transition_missing` names the fields once
    /// they are filled.
    Undetermined,
    /// Decided.
    Decided(super::Transition),
}

thread_local! {
    /// One [`State`] per thread, lent to each evaluation in turn.
    static STATE: std::cell::RefCell<State> = std::cell::RefCell::new(State::default());
}

/// Runs `f` with this thread's evaluation state (a fresh one if the
/// thread's is in use, which only a re-entrant call could cause, or gone,
/// as it is while the thread exits).
pub(crate) fn with_state<T>(f: impl FnOnce(&mut State) -> R<T>) -> R<T> {
    let mut f = Some(f);
    let lent = STATE.try_with(|cell| {
        let mut s = cell.try_borrow_mut().ok()?;
        f.take().map(|f| f(&mut s))
    });
    match (lent, f.take()) {
        (Ok(Some(out)), _) => out,
        (_, Some(f)) => f(&mut State::default()),
        // `f` is taken only where its result is returned.
        (_, None) => Err(EvalError::internal("evaluation state lost")),
    }
}
