//! Where enrolled clients' plans go, counted over a population: each
//! client in one row (intake, a decided kind, or undetermined).

use crate::TransitionKind;
use crate::eval::{Decision, Truth};

/// Where one client's plan goes: a row of [`Transitions`].
///
/// ```
/// use careplan::harness::compare::Move;
/// use careplan::TransitionKind;
/// assert_eq!(Move::of(&careplan::Decision::default()), Move::Intake);
/// assert_eq!(Move::Decided(TransitionKind::StepUp).word(), "step_up");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Move {
    /// No transition: `current_program` is none (or the rule set has no
    /// `transition`).
    Intake,
    /// A decided transition of this kind.
    Decided(TransitionKind),
    /// The transition is undetermined.
    Undetermined,
}

impl Move {
    /// `intake`, `continue`, `step_up`, `step_down`, `discharge`, `undetermined`,
    /// in this order, for each row of a table.
    ///
    /// ```
    /// use careplan::harness::compare::Move;
    /// let rows: Vec<&str> = Move::ALL.iter().map(|m| m.word()).collect();
    /// assert_eq!(rows, ["intake", "continue", "step_up", "step_down", "discharge", "undetermined"]);
    /// ```
    pub const ALL: [Move; 6] = [
        Move::Intake,
        Move::Decided(TransitionKind::Continue),
        Move::Decided(TransitionKind::StepUp),
        Move::Decided(TransitionKind::StepDown),
        Move::Decided(TransitionKind::Discharge),
        Move::Undetermined,
    ];

    /// The row of a decision.
    ///
    /// ```
    /// use careplan::harness::compare::Move;
    /// use careplan::{Decision, Transition, TransitionKind, Truth};
    /// let mut d = Decision::default();
    /// d.transition_truth = Truth::Unknown;
    /// assert_eq!(Move::of(&d), Move::Undetermined);
    /// d.transition = Some(Transition { kind: TransitionKind::Discharge, from: 0, to: None });
    /// d.transition_truth = Truth::True;
    /// assert_eq!(Move::of(&d), Move::Decided(TransitionKind::Discharge));
    /// ```
    pub fn of(d: &Decision) -> Move {
        match (d.transition_truth, d.transition) {
            (Truth::True, Some(t)) => Move::Decided(t.kind),
            (Truth::Unknown, _) => Move::Undetermined,
            _ => Move::Intake,
        }
    }

    /// Its name in `careplan bench`'s output.
    ///
    /// ```
    /// assert_eq!(careplan::harness::compare::Move::Intake.word(), "intake");
    /// ```
    pub fn word(self) -> &'static str {
        match self {
            Move::Intake => "intake",
            Move::Decided(k) => k.as_str(),
            Move::Undetermined => "undetermined",
        }
    }
}

/// How the transitions came out over the profiles counted: each client in
/// exactly one row, so the rows add up to the clients.
///
/// ```
/// use careplan::harness::compare::{Move, Transitions};
/// let mut t = Transitions::default();
/// t.add(&careplan::Decision::default());
/// assert_eq!(t.count(Move::Intake), 1);
/// assert_eq!(t.total(), 1);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Transitions {
    /// Per row of [`Move::ALL`].
    pub counts: [u64; 6],
}

impl Transitions {
    /// Counts one client's decision.
    ///
    /// ```
    /// use careplan::harness::compare::{Move, Transitions};
    /// let mut t = Transitions::default();
    /// let mut d = careplan::Decision::default();
    /// d.transition_truth = careplan::Truth::Unknown;
    /// t.add(&d);
    /// assert_eq!(t.count(Move::Undetermined), 1);
    /// ```
    pub fn add(&mut self, d: &Decision) {
        let m = Move::of(d);
        if let Some(i) = Move::ALL.iter().position(|x| *x == m) {
            if let Some(c) = self.counts.get_mut(i) {
                *c += 1;
            }
        }
    }

    /// The clients in one row.
    ///
    /// ```
    /// use careplan::harness::compare::{Move, Transitions};
    /// assert_eq!(Transitions::default().count(Move::Undetermined), 0);
    /// ```
    pub fn count(&self, m: Move) -> u64 {
        Move::ALL
            .iter()
            .position(|x| *x == m)
            .and_then(|i| self.counts.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Every client counted.
    ///
    /// ```
    /// assert_eq!(careplan::harness::compare::Transitions::default().total(), 0);
    /// ```
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}
