//! Which parts of a rule set a test suite exercised.
//!
//! Every condition of every program, referral and warning is a node: the
//! root of each `when`, each operand of `and` / `or`, each operand of `not`.
//! A node is covered when the tests have seen it true and seen it false;
//! a comparison (any node that is not `and`, `or`, `not`) must also have
//! been seen unknown when the data can leave it unknown (it reads an
//! optional field, or something that does). The walk here has the same shape as
//! `eval::Trace`, so the traces of test runs mark the nodes.

use crate::Engine;
use crate::diagnostic::{FileId, Span};
use crate::eval::{Clause, ItemTrace, Trace, Truth};
use crate::ir::{Expr, ExprKind, RuleSet};
use crate::report::Kind;
use indexmap::IndexMap;
use serde::Serialize;

#[derive(Debug, Clone)]
struct Goal {
    item: String,
    condition: String,
    can_be_unknown: bool,
    /// A row of a table (or its default row): covered when some test
    /// matched it.
    row: bool,
    seen: [bool; 3],
}

/// Coverage collected over test runs: every condition of every item
/// should come out true and false (and unknown, when its fields may be
/// absent) in some test.
///
/// ```
/// use careplan::harness::coverage::Coverage;
/// let rules = "schema {\n  a: integer\n}\nwarning w {\n  severity: info\n  when a > 1\n  message: \"m\"\n}\n";
/// let engine = careplan::load_sources(&[("r.rules", rules)], &Default::default()).unwrap();
/// let mut coverage = Coverage::new(&engine);
/// for a in [0, 2] {
///     let profile = engine.profile(&serde_json::json!({"a": a})).unwrap();
///     coverage.record(&engine.explain(&profile, None).unwrap());
/// }
/// let summary = coverage.summary(&engine);
/// assert_eq!((summary.covered, summary.total), (2, 3));
/// assert_eq!(summary.uncovered[0].never, [careplan::Truth::Unknown]); // no test left `a` out
/// ```
#[derive(Debug, Clone)]
pub struct Coverage {
    goals: IndexMap<(FileId, Span), Goal>,
    /// For each item (`program x`, `referral y (urgent)`), whether it fired.
    fired: IndexMap<String, bool>,
}

/// A condition outcome the tests never produced.
///
/// ```
/// use careplan::harness::coverage::Coverage;
/// let rules = "schema {\n  a: integer\n}\nwarning w {\n  severity: info\n  when a > 1\n  message: \"m\"\n}\n";
/// let engine = careplan::load_sources(&[("r.rules", rules)], &Default::default()).unwrap();
/// let mut coverage = Coverage::new(&engine);
/// let profile = engine.profile(&serde_json::json!({"a": 2})).unwrap();
/// coverage.record(&engine.explain(&profile, None).unwrap());
/// let summary = coverage.summary(&engine);
/// let gap = &summary.uncovered[0];
/// assert_eq!((gap.item.as_str(), gap.condition.as_str()), ("warning w", "a > 1"));
/// assert_eq!(gap.never, [careplan::Truth::False, careplan::Truth::Unknown]);
/// assert_eq!((gap.location.line, gap.snippet.as_str()), (6, "  when a > 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncovered {
    /// The item it belongs to, e.g. `program assertive_community_treatment`.
    pub item: String,
    /// The condition as written.
    pub condition: String,
    /// The outcomes never seen: `true`, `false`, `unknown`.
    pub never: Vec<Truth>,
    /// Where it is written.
    pub location: crate::diagnostic::Location,
    /// The source line.
    pub snippet: String,
}

/// The coverage of a suite.
///
/// ```
/// use careplan::harness::coverage::Coverage;
/// let rules = "schema {\n  a: integer\n}\nwarning w {\n  severity: info\n  when a > 1\n  message: \"m\"\n}\n";
/// let engine = careplan::load_sources(&[("r.rules", rules)], &Default::default()).unwrap();
/// let mut coverage = Coverage::new(&engine);
/// let profile = engine.profile(&serde_json::json!({"a": 2})).unwrap();
/// coverage.record(&engine.explain(&profile, None).unwrap());
/// let summary = coverage.summary(&engine);
/// assert_eq!(summary.percent, 33.3);
/// assert_eq!(summary.items["warning w"], true);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Condition outcomes seen.
    pub covered: usize,
    /// Condition outcomes to see.
    pub total: usize,
    /// `covered / total`, in percent (100 when there is nothing to cover).
    pub percent: f64,
    /// Each item with whether some test made it fire.
    pub items: IndexMap<String, bool>,
    /// What the tests never produced.
    pub uncovered: Vec<Uncovered>,
}

fn slot(t: Truth) -> usize {
    match t {
        Truth::True => 0,
        Truth::False => 1,
        Truth::Unknown => 2,
    }
}

impl Coverage {
    /// The goals of a rule set, none seen yet.
    ///
    /// ```
    /// use careplan::harness::coverage::Coverage;
    /// let rules = "schema {\n  a: integer\n}\nwarning w {\n  severity: info\n  when a > 1\n  message: \"m\"\n}\n";
    /// let engine = careplan::load_sources(&[("r.rules", rules)], &Default::default()).unwrap();
    /// let mut coverage = Coverage::new(&engine);
    /// let summary = coverage.summary(&engine);
    /// assert_eq!((summary.covered, summary.total), (0, 3));
    /// ```
    pub fn new(engine: &Engine) -> Coverage {
        let rules = engine.rules();
        let mut c = Coverage {
            goals: IndexMap::new(),
            fired: IndexMap::new(),
        };
        for p in &rules.programs {
            let item = format!("program {}", p.meta.id);
            c.fired.insert(item.clone(), false);
            c.walk(rules, &item, &p.eligible);
        }
        for r in &rules.referrals {
            let item = format!("referral {}", r.meta.id);
            for (prio, cond) in &r.triggers {
                c.fired.insert(format!("{item} ({})", prio.word()), false);
                c.walk(rules, &item, cond);
            }
        }
        for w in &rules.warnings {
            let item = format!("warning {}", w.meta.id);
            c.fired.insert(item.clone(), false);
            c.walk(rules, &item, &w.when);
        }
        // Each way the transition can go is an item, and its step-down
        // condition's parts are branches.
        if let Some(t) = &rules.transition {
            for kind in ["continue", "step_up", "step_down", "discharge"] {
                c.fired.insert(format!("transition ({kind})"), false);
            }
            if let Some(cond) = &t.step_down {
                c.walk(rules, "transition", cond);
            }
        }
        // Each row of a table, and its default row, is a branch.
        for t in &rules.tables {
            let item = format!("table {}", t.meta.id);
            let rows = t
                .versions
                .iter()
                .flat_map(|v| v.rows.iter().map(|r| r.span));
            for span in rows.chain(t.default.iter().map(|(_, s)| *s)) {
                let condition = rules
                    .sources
                    .slice(t.meta.file, span)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                c.goals.entry((t.meta.file, span)).or_insert(Goal {
                    item: item.clone(),
                    condition,
                    can_be_unknown: false,
                    row: true,
                    seen: [false; 3],
                });
            }
        }
        c
    }

    fn walk(&mut self, rules: &RuleSet, item: &str, e: &Expr) {
        // `when a unless b` is two clauses to an explanation, each traced
        // on its own: the base and the exception are the goals.
        if let ExprKind::Unless(base, exception) = &e.kind {
            self.walk(rules, item, base);
            self.walk(rules, item, exception);
            return;
        }
        let condition = rules
            .sources
            .slice(e.file, e.span)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        self.goals.entry((e.file, e.span)).or_insert(Goal {
            item: item.to_string(),
            condition,
            // The unknown outcome is asked of comparisons, not of `and` /
            // `or` / `not`: whether a compound can be unknown depends on how
            // its parts correlate (a client recommended a program for a
            // diagnosis has known diagnoses), which no static test sees.
            can_be_unknown: is_atom(e) && can_be_unknown(rules, e),
            row: false,
            seen: [false; 3],
        });
        // The parts an explanation shows: operands, `at least` operands,
        // `if` conditions (its branches), as `eval::Trace` has them.
        for x in crate::eval::parts(e).0 {
            self.walk(rules, item, x);
        }
    }

    /// Marks what one evaluation's explanation shows.
    ///
    /// ```
    /// use careplan::harness::coverage::Coverage;
    /// let rules = "schema {\n  a: integer\n}\nwarning w {\n  severity: info\n  when a > 1\n  message: \"m\"\n}\n";
    /// let engine = careplan::load_sources(&[("r.rules", rules)], &Default::default()).unwrap();
    /// let mut coverage = Coverage::new(&engine);
    /// let profile = engine.profile(&serde_json::json!({})).unwrap();
    /// coverage.record(&engine.explain(&profile, None).unwrap());
    /// assert_eq!(coverage.summary(&engine).covered, 1); // `a > 1` was unknown
    /// ```
    pub fn record(&mut self, items: &[ItemTrace]) {
        for it in items {
            if let crate::ItemOutcome::Moved(kind) = it.outcome {
                if let Some(f) = self
                    .fired
                    .get_mut(&format!("transition ({})", kind.as_str()))
                {
                    *f = true;
                }
            }
            for (i, c) in it.conditions.iter().enumerate() {
                self.mark(&c.trace);
                // A clause's exception follows it: the clause fired if its
                // condition held and its exception did not.
                let excepted = it
                    .conditions
                    .get(i + 1)
                    .is_some_and(|x| x.clause == Clause::Unless && x.trace.value != Truth::False);
                if c.trace.value == Truth::True && c.clause != Clause::Unless && !excepted {
                    let key = match (it.kind, c.clause) {
                        (Kind::Referral, Clause::Trigger(p)) => {
                            format!("referral {} ({})", it.id, p.word())
                        }
                        (Kind::Program, _) => format!("program {}", it.id),
                        (Kind::Referral, _) => format!("referral {}", it.id),
                        (Kind::Warning, _) => format!("warning {}", it.id),
                        // A value is no condition: nothing fires.
                        (Kind::Define, _) => continue,
                        // Fired by its outcome, above.
                        (Kind::Transition, _) => continue,
                    };
                    if let Some(f) = self.fired.get_mut(&key) {
                        *f = true;
                    }
                }
            }
        }
    }

    fn mark(&mut self, t: &Trace) {
        if let Some(g) = self.goals.get_mut(&(t.file, t.span)) {
            if let Some(s) = g.seen.get_mut(slot(t.value)) {
                *s = true;
            }
        }
        for row in &t.rows {
            if let Some(s) = self.goals.get_mut(row).and_then(|g| g.seen.get_mut(0)) {
                *s = true;
            }
        }
        for c in &t.children {
            self.mark(c);
        }
    }

    /// The totals and what is left uncovered, located in the source.
    ///
    /// ```
    /// use careplan::harness::coverage::Coverage;
    /// let engine = careplan::reference().unwrap();
    /// let summary = Coverage::new(&engine).summary(&engine);
    /// assert_eq!(summary.covered, 0);
    /// assert!(summary.total > 0 && summary.percent == 0.0);
    /// assert!(summary.uncovered.iter().all(|u| !u.never.is_empty()));
    /// assert!(summary.items.contains_key("referral housing_services (urgent)"));
    /// ```
    pub fn summary(&self, engine: &Engine) -> Summary {
        let sources = &engine.rules().sources;
        let (mut covered, mut total) = (0, 0);
        let mut uncovered = Vec::new();
        for ((file, span), g) in &self.goals {
            let wanted: &[Truth] = if g.row {
                &[Truth::True]
            } else if g.can_be_unknown {
                &[Truth::True, Truth::False, Truth::Unknown]
            } else {
                &[Truth::True, Truth::False]
            };
            let mut never = Vec::new();
            for t in wanted {
                total += 1;
                if g.seen.get(slot(*t)).copied().unwrap_or(false) {
                    covered += 1;
                } else {
                    never.push(*t);
                }
            }
            if !never.is_empty() {
                let location = sources.locate(*file, *span);
                let snippet = sources
                    .get(*file)
                    .map(|f| f.line_text(location.line).to_string())
                    .unwrap_or_default();
                uncovered.push(Uncovered {
                    item: g.item.clone(),
                    condition: g.condition.clone(),
                    never,
                    location,
                    snippet,
                });
            }
        }
        let percent = if total == 0 {
            100.0
        } else {
            // Floor to one decimal, so 99.99% never shows as 100%.
            ((covered as f64 / total as f64) * 1000.0).floor() / 10.0
        };
        Summary {
            covered,
            total,
            percent,
            items: self.fired.clone(),
            uncovered,
        }
    }
}

fn is_atom(e: &Expr) -> bool {
    !crate::eval::parts(e).1
}

/// Whether absent data can make this expression unknown.
fn can_be_unknown(rules: &RuleSet, e: &Expr) -> bool {
    let mut stack = vec![e];
    // Definitions and outcomes are followed through; the checker has ruled
    // out cycles, and `seen` keeps shared ones from being walked twice.
    let mut seen = std::collections::HashSet::new();
    while let Some(x) = stack.pop() {
        match &x.kind {
            ExprKind::Field(slot) => {
                // A required field, or one with a default, is never unknown.
                if rules
                    .fields
                    .get(*slot)
                    .is_some_and(|f| !f.required && f.default.is_none())
                {
                    return true;
                }
            }
            // `is known` is never unknown, whatever it reads.
            ExprKind::Known(..) => {}
            ExprKind::Define(i) => {
                if seen.insert(("d", *i)) {
                    if let Some(d) = rules.defines.get(*i) {
                        stack.push(&d.value);
                    }
                }
            }
            ExprKind::Eligible(i) => {
                if seen.insert(("p", *i)) {
                    if let Some(p) = rules.programs.get(*i) {
                        stack.push(&p.eligible);
                    }
                }
            }
            ExprKind::Referred(i) => {
                if seen.insert(("r", *i)) {
                    if let Some(r) = rules.referrals.get(*i) {
                        stack.extend(r.triggers.iter().map(|(_, c)| c));
                    }
                }
            }
            ExprKind::Warned(i) => {
                if seen.insert(("w", *i)) {
                    if let Some(w) = rules.warnings.get(*i) {
                        stack.push(&w.when);
                    }
                }
            }
            // Every other form is unknown when a part of it is.
            _ => stack.extend(x.children()),
        }
    }
    false
}
