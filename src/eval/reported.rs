//! Explaining the values marked `report: yes`: the tree of a definition's
//! calculation, each operand with its value. Conditions inside it are
//! traced as conditions (`Eval::trace`); the rest of the tree shows values.

use super::explain::{Clause, ClauseTrace, ItemOutcome, ItemTrace, Trace};
use super::{Eval, R, Truth};
use crate::ir::{Expr, ExprKind, Ty};
use crate::report::Kind;
use indexmap::IndexMap;

impl<'a> Eval<'a> {
    /// Appends the explanation of every define marked `report: yes`, in
    /// rule-set order.
    pub(super) fn reported_items(&self, out: &mut Vec<ItemTrace>) -> R<()> {
        for (i, d) in self.rules.defines.iter().enumerate() {
            if !d.report {
                continue;
            }
            // A failed calculation fails the report that reads it, and so
            // its explanation.
            if let Some(Some(e)) = self.s.failed.get(i) {
                return Err((**e).clone());
            }
            let known = self.s.defines.get(i).is_some_and(|(v, _)| v.is_some());
            out.push(ItemTrace {
                kind: Kind::Define,
                id: d.meta.id.clone(),
                title: d.meta.title.clone(),
                outcome: if known {
                    ItemOutcome::Computed
                } else {
                    ItemOutcome::Undetermined
                },
                conditions: vec![ClauseTrace {
                    clause: Clause::Value,
                    trace: self.value_trace(&d.value)?,
                }],
            });
        }
        Ok(())
    }

    /// The tree of a value: a condition as a condition; any other
    /// expression with its value (`result`) and its operands, literals
    /// left out (they show in the text).
    pub(super) fn value_trace(&self, e: &'a Expr) -> R<Trace> {
        if e.ty == Ty::Bool {
            let mut t = self.trace(e)?;
            t.result = Some(match t.value {
                Truth::True => serde_json::Value::Bool(true),
                Truth::False => serde_json::Value::Bool(false),
                Truth::Unknown => serde_json::Value::Null,
            });
            return Ok(t);
        }
        let (v, missing) = self.val(e)?;
        let mut children = Vec::new();
        for c in e.children() {
            if !matches!(c.kind, ExprKind::Lit(_) | ExprKind::SetLit(_)) {
                // The value was computed, so a part that cannot be (the
                // branch of an `if` not taken, an operand after the first
                // known one) was never needed: it is left out, as `trace`
                // leaves out the operands evaluation skipped.
                if let Ok(t) = self.value_trace(c) {
                    children.push(t);
                }
            }
        }
        let mut values = IndexMap::new();
        if children.is_empty() {
            self.values_read(e, &mut values);
        }
        let known = v.is_some();
        Ok(Trace {
            condition: self.text_of(e),
            value: if known { Truth::True } else { Truth::Unknown },
            values,
            missing: if known {
                Vec::new()
            } else {
                self.names(&missing)
            },
            children,
            result: Some(self.json(v.as_deref(), e.ty)),
            rows: self.rows_matched(e),
            file: e.file,
            span: e.span,
        })
    }
}
