//! The compiled plan: every condition and number of a rule set as one flat
//! vector of nodes that refer to each other by index, and the steps that
//! compute each define and outcome in dependency order. `build.rs` makes it;
//! `eval::decide` runs it.

use crate::ir::{Arith, Cmp, Expr, NumFn, Priority, Quant};
use crate::profile::Bits;
use rust_decimal::Decimal;

/// A node's index in [`Plan::nodes`].
pub(crate) type Id = u32;

/// A memo slot not yet computed in this evaluation.
pub(crate) const EMPTY: u8 = u8::MAX;

/// One node: a condition (evaluated by `eval::decide`'s `truth`) or a
/// number (by its `number`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    // ---- conditions
    /// A constant truth value.
    Const(bool),
    /// A boolean field.
    BoolField(u32),
    /// A boolean definition.
    BoolDefine(u32),
    /// A number field against a constant: `field op c`.
    FieldCmp {
        slot: u32,
        op: Cmp,
        c: Decimal,
    },
    /// Two numbers compared.
    NumCmp {
        op: Cmp,
        a: Id,
        b: Id,
    },
    /// An enumeration field is (`is`) or is not a value.
    EnumIs {
        slot: u32,
        value: u32,
        is: bool,
    },
    /// A text field is (`is`) or is not a text the rules mention.
    TextIs {
        slot: u32,
        sym: u32,
        is: bool,
    },
    /// A constant in a set field: `"ptsd" in diagnoses`.
    Member {
        slot: u32,
        bit: u32,
    },
    /// An enumeration or text field in a set of constants, as a mask.
    OneOf {
        slot: u32,
        mask: u32,
    },
    /// `set has any/all/none of {constants}`, as a mask.
    Has {
        slot: u32,
        quant: Quant,
        mask: u32,
    },
    /// `field is known` (`want` true) or `is unknown`.
    KnownField {
        slot: u32,
        want: bool,
    },
    Not(Id),
    /// Operands in `Plan::kids[start..start + len]`.
    And {
        start: u32,
        len: u32,
    },
    Or {
        start: u32,
        len: u32,
    },
    Eligible(u32),
    Referred(u32),
    Warned(u32),
    /// Any other condition, by the tree walker: `Plan::exprs[i]`.
    Truth(u32),
    /// A shared condition, computed once per evaluation: node `of`, its
    /// value kept in memo slot `slot`.
    MemoTruth {
        slot: u32,
        of: Id,
    },
    /// `if c then a else b` of conditions.
    IfTruth {
        c: Id,
        a: Id,
        b: Id,
    },
    /// `at least n of` (`at_most` false) or `at most n of` the conditions
    /// in `Plan::kids[start..start + len]`.
    Count {
        at_most: bool,
        n: u32,
        start: u32,
        len: u32,
    },
    /// `base unless exception`.
    Unless {
        base: Id,
        exception: Id,
    },
    // ---- numbers
    Num(Decimal),
    NumField(u32),
    NumDefine(u32),
    Arith {
        op: Arith,
        a: Id,
        b: Id,
    },
    Neg(Id),
    /// The number of distinct members of a set field.
    CountField(u32),
    /// A number function of the numbers in `Plan::kids[start..start + len]`.
    NumCall {
        f: NumFn,
        start: u32,
        len: u32,
    },
    /// `if c then a else b` of numbers.
    IfNum {
        c: Id,
        a: Id,
        b: Id,
    },
    /// `first known of` the numbers in `Plan::kids[start..start + len]`.
    FirstNum {
        start: u32,
        len: u32,
    },
    /// `weighted sum of` a set field, the weights in
    /// `Plan::weights[start..start + len]`.
    WeightedField {
        slot: u32,
        start: u32,
        len: u32,
    },
    /// The evaluation date's day number.
    Today,
    /// Whole days, months or years from date `a` to date `b`.
    Duration {
        unit: crate::date::Unit,
        a: Id,
        b: Id,
    },
    /// Any other number, by the tree walker: `Plan::exprs[i]`.
    Value(u32),
    /// A one-input table of numeric bands: `Plan::bands[bands]` searched
    /// for the number `input`.
    Bands {
        input: Id,
        bands: u32,
    },
    /// A one-input table of a boolean, enumeration or text field, read by
    /// the field's value as its key.
    Keyed {
        slot: u32,
        bands: u32,
    },
    /// A shared number, computed once per evaluation.
    MemoNumber {
        slot: u32,
        of: Id,
    },
}

/// How a define is computed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DefineRoot {
    Truth(Id),
    Number(Id),
    /// Text, enumeration, set or program values: by the tree walker.
    Walker,
}

/// One step of an evaluation, in dependency order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    Define(u32, DefineRoot),
    /// A definition whose value is a constant (a parameter, folded): written
    /// once per thread and program, not once per profile.
    Constant(u32, Decimal),
    Program(u32, Id),
    /// A referral's triggers: `Plan::triggers[start..start + len]`.
    Referral(u32, u32, u32),
    Warning(u32, Id),
    Recommended,
    Transition,
}

/// The compiled plan of a rule set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// Unique to this plan (clones share it, as they share its
    /// constants): names the plan whose constants a thread's state holds.
    pub(crate) id: u64,
    pub(crate) nodes: Vec<Op>,
    pub(crate) memo_truth: usize,
    pub(crate) memo_num: usize,
    /// Operands of `And` and `Or`.
    pub(crate) kids: Vec<Id>,
    /// Masks of `OneOf` and `Has`.
    pub(crate) masks: Vec<Bits>,
    /// The weights of `WeightedField`: each member's bit and weight.
    pub(crate) weights: Vec<(u32, Decimal)>,
    /// Expressions left to the tree walker.
    pub(crate) exprs: Vec<Expr>,
    /// Tables the plan searches as bands.
    pub(crate) bands: Vec<super::bands::Bands>,
    /// Referral triggers, most urgent first within each referral.
    pub(crate) triggers: Vec<(Priority, Id)>,
    pub(crate) steps: Vec<Step>,
}

impl Plan {
    /// How many memo slots an evaluation needs: (conditions, numbers).
    pub(crate) fn memo_sizes(&self) -> (usize, usize) {
        (self.memo_truth, self.memo_num)
    }

    /// How many nodes the program has (after sharing).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }
}
