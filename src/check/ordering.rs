//! Dependencies between definitions and outcomes: the order definitions are
//! typed in (each after those it reads), the order everything is evaluated
//! in, and the cycles that make an order impossible.

use super::{Binding, Checker};
use crate::diagnostic::{Code, FileId, Report, Span};
use crate::ir::{Expr, ExprKind, Node, ProgramRef};
use crate::syntax::ast::{self, BlockKind, Clause};
use indexmap::IndexMap;
use std::collections::HashMap;

impl Checker {
    /// Second pass: check every block.
    pub(super) fn resolve_all(&mut self, files: &[(FileId, ast::File)]) {
        // Parameters and definitions first, so that their types are known
        // when outcomes read them; a definition may read another declared
        // earlier or later, so resolve them until no more types settle.
        for (file, ast) in files {
            for item in &ast.items {
                if let ast::Item::Function(f) = item {
                    self.function(*file, f);
                }
            }
        }
        let mut pending: Vec<(FileId, &ast::Block)> = Vec::new();
        for (file, ast) in files {
            for item in &ast.items {
                if let ast::Item::Block(b) = item {
                    if matches!(b.kind, BlockKind::Parameter | BlockKind::Define) {
                        pending.push((*file, b));
                    }
                }
            }
        }
        // Definitions can depend on each other: check each once every
        // definition it names has a type. A worklist, not repeated passes
        // over what is left: passes take time quadratic in the length of a
        // chain of definitions written in reverse order.
        let mut waiting_on: Vec<usize> = Vec::with_capacity(pending.len());
        let mut readers: HashMap<usize, Vec<usize>> = HashMap::new();
        for (k, (_, b)) in pending.iter().enumerate() {
            let named = self.define_deps(b);
            waiting_on.push(named.len());
            for d in named {
                readers.entry(d).or_default().push(k);
            }
        }
        let mut ready: std::collections::VecDeque<usize> = (0..pending.len())
            .filter(|&k| waiting_on.get(k) == Some(&0))
            .collect();
        let mut done = vec![false; pending.len()];
        while let Some(k) = ready.pop_front() {
            if self.stopped() {
                return;
            }
            let Some(&(file, b)) = pending.get(k) else {
                continue;
            };
            if let Some(flag) = done.get_mut(k) {
                *flag = true;
            }
            self.define(file, b);
            let typed = self
                .index(b)
                .filter(|&ix| self.define_types.get(ix).is_some_and(Option::is_some));
            for r in typed.and_then(|ix| readers.remove(&ix)).unwrap_or_default() {
                if let Some(w) = waiting_on.get_mut(r) {
                    *w = w.saturating_sub(1);
                    if *w == 0 {
                        ready.push_back(r);
                    }
                }
            }
        }
        // What is left reads itself through a cycle, or reads a definition
        // that failed: check anyway so the cycle is reported by `order`, and
        // unresolvable names get errors.
        for (k, (file, b)) in pending.iter().enumerate() {
            if self.stopped() {
                return;
            }
            if !done.get(k).copied().unwrap_or(true) {
                if let Some(ix) = self.index(b) {
                    let deps = self.define_deps(b);
                    self.define_name_deps.insert(ix, deps);
                }
                self.define(*file, b);
            }
        }
        // Tables after definitions, whose types their inputs may need, and
        // before the outcomes.
        self.check_tables(files);
        for (file, ast) in files {
            for item in &ast.items {
                if let ast::Item::Block(b) = item {
                    match b.kind {
                        BlockKind::Program => self.program(*file, b),
                        BlockKind::Referral => self.referral(*file, b),
                        BlockKind::Warning => self.warning(*file, b),
                        BlockKind::Transition => self.transition(*file, b),
                        BlockKind::Parameter | BlockKind::Define => {}
                    }
                }
            }
        }
    }

    /// The definitions a block's value names, each once.
    pub(super) fn define_deps(&self, b: &ast::Block) -> Vec<usize> {
        let mut names = Vec::new();
        for c in &b.clauses {
            if let Clause::Value { value, .. } = c {
                collect_names(value, &mut names);
            }
        }
        let mut seen = std::collections::HashSet::new();
        names
            .iter()
            .filter_map(|n| match self.names.get(*n) {
                Some(Binding::Define(i)) => Some(*i),
                _ => None,
            })
            .filter(|i| seen.insert(*i))
            .collect()
    }

    /// Orders nodes so that each comes after what it reads; reports cycles.
    pub(super) fn order(&mut self) {
        let mut nodes: Vec<Node> = Vec::new();
        nodes.extend((0..self.defines.len()).map(Node::Define));
        nodes.extend((0..self.tables.len()).map(Node::Table));
        nodes.extend(self.rule_order.iter().copied());
        nodes.push(Node::Recommended);
        let programs: Vec<Node> = (0..self.programs.len()).map(Node::Program).collect();
        self.deps.insert(Node::Recommended, programs);
        if self.transition.is_some() {
            nodes.push(Node::Transition);
        }

        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
        }
        let mut mark: HashMap<Node, Mark> = nodes.iter().map(|n| (*n, Mark::New)).collect();
        let mut reported = false;
        // Iterative depth-first search, so that a long chain of definitions
        // cannot overflow the stack.
        for &root in &nodes {
            if mark.get(&root) != Some(&Mark::New) {
                continue;
            }
            let mut stack: Vec<(Node, usize)> = vec![(root, 0)];
            mark.insert(root, Mark::Active);
            while let Some((node, next)) = stack.last().copied() {
                // Look the next dependency up without copying the list: a
                // node that reads thousands of others is visited once per
                // dependency.
                let dep = self.deps.get(&node).and_then(|d| d.get(next)).copied();
                if let Some(dep) = dep {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    match mark.get(&dep).copied().unwrap_or(Mark::Done) {
                        Mark::New => {
                            mark.insert(dep, Mark::Active);
                            stack.push((dep, 0));
                        }
                        Mark::Active if !reported => {
                            reported = true;
                            let start = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                            let cycle: Vec<Node> =
                                stack.iter().skip(start).map(|(n, _)| *n).collect();
                            self.report_cycle(&cycle);
                        }
                        _ => {}
                    }
                } else {
                    stack.pop();
                    mark.insert(node, Mark::Done);
                    self.eval_order.push(node);
                }
            }
        }
        // A define that failed to type because of a cycle leaves no other
        // error: make sure one is reported.
        if !reported {
            for (i, t) in self.define_types.clone().iter().enumerate() {
                if t.is_none() && self.errors.is_empty() {
                    if let Some(cycle) = self.define_cycle_from(i) {
                        self.report_cycle(&cycle);
                        continue;
                    }
                    if let Some((name, (file, span))) =
                        self.define_ids.get_index(i).map(|(n, v)| (n.clone(), *v))
                    {
                        self.err(Report::error(
                            Code::Cycle,
                            file,
                            span,
                            format!("`{name}` depends on itself"),
                        ));
                    }
                }
            }
        }
    }

    /// The cycle of definitions reached from definition `i` through the
    /// names that kept them from being typed, in reading order.
    fn define_cycle_from(&self, i: usize) -> Option<Vec<Node>> {
        let untyped = |d: usize| self.define_types.get(d).is_some_and(Option::is_none);
        let mut path: Vec<usize> = vec![i];
        let mut on_path: HashMap<usize, usize> = HashMap::from([(i, 0)]);
        let mut at = i;
        loop {
            let next = self
                .define_name_deps
                .get(&at)?
                .iter()
                .copied()
                .find(|&d| untyped(d) && self.define_name_deps.contains_key(&d))?;
            if let Some(&start) = on_path.get(&next) {
                return Some(
                    path.get(start..)?
                        .iter()
                        .map(|&d| Node::Define(d))
                        .collect(),
                );
            }
            on_path.insert(next, path.len());
            path.push(next);
            at = next;
        }
    }

    pub(super) fn node_name(&self, n: Node) -> (String, Option<(FileId, Span)>) {
        let get = |t: &IndexMap<String, (FileId, Span)>, i: usize, kind: &str| {
            t.get_index(i)
                .map(|(k, v)| (format!("{kind} `{k}`"), Some(*v)))
                .unwrap_or_default()
        };
        match n {
            Node::Define(i) => get(&self.define_ids, i, "definition"),
            Node::Program(i) => get(&self.program_ids, i, "program"),
            Node::Referral(i) => get(&self.referral_ids, i, "referral"),
            Node::Warning(i) => get(&self.warning_ids, i, "warning"),
            Node::Recommended => ("the recommended program".into(), None),
            Node::Transition => ("the transition".into(), None),
            Node::Table(i) => get(&self.table_ids, i, "table"),
        }
    }

    pub(super) fn report_cycle(&mut self, cycle: &[Node]) {
        let names: Vec<String> = cycle.iter().map(|n| self.node_name(*n).0).collect();
        let at = cycle.iter().find_map(|n| self.node_name(*n).1);
        let Some((file, span)) = at else { return };
        let mut path = names.join(" → ");
        if let Some(first) = names.first() {
            path.push_str(" → ");
            path.push_str(first);
        }
        self.err(
            Report::error(
                Code::Cycle,
                file,
                span,
                format!("rules depend on each other in a cycle: {path}"),
            )
            .label("part of the cycle")
            .help("an outcome cannot depend, directly or through others, on itself"),
        );
    }
}

/// Every bare name an expression mentions.
fn collect_names<'a>(e: &'a ast::Expr, out: &mut Vec<&'a str>) {
    use ast::ExprKind as A;
    match &e.kind {
        A::Name(n) => out.push(n),
        A::Call { args, .. } => args.iter().for_each(|a| collect_names(a, out)),
        A::Set(items) | A::And(items) | A::Or(items) => {
            items.iter().for_each(|a| collect_names(a, out))
        }
        A::Paren(x) | A::Neg(x) | A::Not(x) => collect_names(x, out),
        A::IsKnown { operand, .. } => collect_names(operand, out),
        A::Arith { lhs, rhs, .. } | A::Is { lhs, rhs, .. } | A::Intensity { lhs, rhs, .. } => {
            collect_names(lhs, out);
            collect_names(rhs, out);
        }
        A::In { element, set, .. } => {
            collect_names(element, out);
            collect_names(set, out);
        }
        A::Has { set, values, .. } => {
            collect_names(set, out);
            collect_names(values, out);
        }
        A::Duration { from, to, .. } => {
            collect_names(from, out);
            if let Some(to) = to {
                collect_names(to, out);
            }
        }
        A::Compare { first, rest } => {
            collect_names(first, out);
            rest.iter().for_each(|(_, x)| collect_names(x, out));
        }
        A::If {
            condition,
            then,
            otherwise,
        } => {
            collect_names(condition, out);
            collect_names(then, out);
            collect_names(otherwise, out);
        }
        A::FirstKnown(items) => items.iter().for_each(|a| collect_names(a, out)),
        A::CountOf { conditions, .. } => conditions.iter().for_each(|a| collect_names(a, out)),
        A::WeightedSum { set, .. } => collect_names(set, out),
        A::Output { table, .. } => out.push(&table.name),
        A::Number(_) | A::Percent(_) | A::Date(_) | A::Text(_) | A::Bool(_) | A::None => {}
    }
}

/// The nodes an expression reads.
pub(super) fn collect_deps(e: &Expr, out: &mut Vec<Node>) {
    // What `out` holds, for a membership test that stays fast when a
    // condition names thousands of outcomes.
    let mut seen: std::collections::HashSet<Node> = out.iter().copied().collect();
    e.visit(&mut |x| {
        let n = match &x.kind {
            ExprKind::Define(i) => Some(Node::Define(*i)),
            ExprKind::Eligible(i) => Some(Node::Program(*i)),
            ExprKind::Referred(i) => Some(Node::Referral(*i)),
            ExprKind::Warned(i) => Some(Node::Warning(*i)),
            ExprKind::Recommended | ExprKind::CaseloadFull(ProgramRef::Recommended) => {
                Some(Node::Recommended)
            }
            ExprKind::CaseloadExceeded(ProgramRef::Recommended) => Some(Node::Recommended),
            ExprKind::Table { table, .. } => Some(Node::Table(*table)),
            _ => None,
        };
        if let Some(n) = n {
            if seen.insert(n) {
                out.push(n);
            }
        }
    });
}
