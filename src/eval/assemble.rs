//! Assembling what an evaluation returns from its state: the decision
//! (indexes, no words), the lean outcomes (borrowed words) and the full
//! report (the outcomes plus each item's reasons).

use super::state::TransitionState;
use super::{Decision, Eval, R, Truth};
use crate::ir::{self, Node};
use crate::profile::Bits;
use crate::report::{
    Kind, ProgramItem, Referral, Report, Reported, Status, Undetermined, Warning, Why,
};
use std::borrow::Cow;

impl<'a> Eval<'a> {
    /// The outcomes, without words, written over `out`: its vectors keep
    /// their allocations, so a caller that reuses one `Decision` decides
    /// without allocating.
    pub(crate) fn decision_into(&self, out: &mut Decision) {
        fn refill<T, U>(v: &mut Vec<T>, from: &[U], f: impl Fn(&U) -> T) {
            v.clear();
            v.extend(from.iter().map(f));
        }
        refill(&mut out.programs, &self.s.programs, |(t, _)| *t);
        refill(&mut out.referrals, &self.s.referrals, |(p, _, _)| *p);
        refill(&mut out.referral_truth, &self.s.referrals, |(_, t, _)| *t);
        refill(&mut out.urgent_unknown, &self.s.urgent_if, Option::is_some);
        refill(&mut out.warnings, &self.s.warnings, |(t, _)| *t);
        out.recommended = self.recommended;
        out.alternative = self.alternative();
        (out.transition, out.transition_truth) = match self.s.transition {
            TransitionState::None => (None, Truth::False),
            TransitionState::Undetermined => (None, Truth::Unknown),
            TransitionState::Decided(t) => (Some(t), Truth::True),
        };
    }

    /// The outcomes without the reasons, in rule-set order. `rules` is the
    /// evaluation's own, passed again so that the result borrows it and not
    /// the evaluation's state; `client` is the profile's id. Fails only
    /// when a value marked for the report failed to compute: the report
    /// reads it, so its failure counts.
    pub(crate) fn outcomes<'e>(
        &self,
        rules: &'e ir::RuleSet,
        client: Option<Cow<'e, str>>,
    ) -> R<Report<'e>> {
        let id = |i: Option<usize>| Some(rules.programs.get(i?)?.meta.id.as_str());
        let missing = |m: &Bits| -> Vec<&'e str> {
            m.iter()
                .filter_map(|i| rules.fields.get(i).map(|f| f.name.as_str()))
                .collect()
        };
        let mut out = Report {
            client,
            as_of: self.profile.as_of,
            recommended_program: id(self.recommended),
            alternative_program: id(self.alternative()),
            transition: self.s.transition.decided().and_then(|t| {
                Some(crate::report::TransitionItem {
                    kind: t.kind,
                    from: id(Some(t.from))?,
                    to: id(t.to),
                    why: None,
                })
            }),
            eligible_programs: Vec::new(),
            recommended_services: self
                .recommended
                .and_then(|i| rules.programs.get(i))
                .map_or(&[][..], |p| &p.services[..]),
            referrals: Vec::new(),
            warnings: Vec::new(),
            undetermined: Vec::new(),
            values: Vec::new(),
            known_fields: self.known_fields(rules),
            programs: None,
            ruleset_version: &rules.version,
        };
        for node in &rules.order {
            let (kind, meta, truth, m) = match *node {
                Node::Program(i) => match (rules.programs.get(i), self.s.programs.get(i)) {
                    (Some(p), Some((t, m))) => {
                        if *t == Truth::True {
                            out.eligible_programs.push(&p.meta.id);
                        }
                        (Kind::Program, &p.meta, *t, m)
                    }
                    _ => continue,
                },
                Node::Referral(i) => match (rules.referrals.get(i), self.s.referrals.get(i)) {
                    (Some(r), Some((fired, t, m))) => {
                        if let Some(priority) = fired {
                            let urgent_if = self.s.urgent_if.get(i).and_then(Option::as_ref);
                            out.referrals.push(Referral {
                                id: &r.meta.id,
                                priority: *priority,
                                urgent_if: urgent_if.map(missing),
                                why: None,
                            });
                        }
                        (Kind::Referral, &r.meta, *t, m)
                    }
                    _ => continue,
                },
                Node::Warning(i) => match (rules.warnings.get(i), self.s.warnings.get(i)) {
                    (Some(w), Some((t, m))) => {
                        if *t == Truth::True {
                            out.warnings.push(Warning {
                                code: &w.meta.id,
                                severity: w.severity,
                                message: &w.message,
                                why: None,
                            });
                        }
                        (Kind::Warning, &w.meta, *t, m)
                    }
                    _ => continue,
                },
                Node::Define(_) | Node::Recommended | Node::Table(_) | Node::Transition => {
                    continue;
                }
            };
            if truth == Truth::Unknown {
                out.undetermined.push(Undetermined {
                    kind,
                    id: &meta.id,
                    missing: missing(m),
                });
            }
        }
        // Last: the transition hangs on the programs above.
        if let (TransitionState::Undetermined, Some(t)) = (self.s.transition, &rules.transition) {
            out.undetermined.push(Undetermined {
                kind: Kind::Transition,
                id: &t.meta.id,
                missing: missing(&self.s.transition_missing),
            });
        }
        out.values = self.values(rules)?;
        Ok(out)
    }

    /// The schema fields the profile gave, in schema order.
    fn known_fields<'e>(&self, rules: &'e ir::RuleSet) -> Vec<&'e str> {
        rules
            .fields
            .iter()
            .zip(&self.profile.slots)
            .enumerate()
            .filter(|(i, (_, v))| v.is_some() && !self.profile.defaulted.contains(*i))
            .map(|(_, (f, _))| f.name.as_str())
            .collect()
    }

    /// The values marked `report: yes`, in rule-set order (file, then
    /// place in the file), whatever their kind.
    fn values<'e>(&self, rules: &'e ir::RuleSet) -> R<Vec<Reported<'e>>> {
        let mut marked = Vec::new();
        for (i, d) in rules.defines.iter().enumerate() {
            if d.report {
                marked.push((
                    (d.meta.file, d.meta.span.start),
                    self.reported(rules, i, d)?,
                ));
            }
        }
        for (ix, t) in rules.tables.iter().enumerate() {
            if t.report {
                marked.push((
                    (t.meta.file, t.meta.span.start),
                    self.reported_table(rules, ix, t)?,
                ));
            }
        }
        // Each kind is listed in its own order; one sort interleaves them.
        marked.sort_by_key(|(at, _)| *at);
        Ok(marked.into_iter().map(|(_, r)| r).collect())
    }

    /// A define marked `report: yes`, as the report lists it. Reading it
    /// is what the report does, so a failed calculation fails the report.
    fn reported<'e>(&self, rules: &'e ir::RuleSet, i: usize, d: &'e ir::Define) -> R<Reported<'e>> {
        if let Some(Some(e)) = self.s.failed.get(i) {
            return Err((**e).clone());
        }
        let (v, m) = match self.s.defines.get(i) {
            Some((v, m)) => (v.as_ref(), Some(m)),
            None => (None, None),
        };
        Ok(self.reported_value(rules, &d.meta, v, d.value.ty, m))
    }

    /// A table marked `report: yes`: its one output's value, or an object
    /// of its named outputs (unknown, `null`, when any of them is).
    fn reported_table<'e>(
        &self,
        rules: &'e ir::RuleSet,
        ix: usize,
        t: &'e ir::Table,
    ) -> R<Reported<'e>> {
        if let [out] = t.outputs.as_slice() {
            let (v, m) = self.table_val(ix, 0)?;
            return Ok(self.reported_value(rules, &t.meta, v.as_deref(), out.ty, Some(&m)));
        }
        let mut object = serde_json::Map::new();
        let mut missing = Bits::default();
        let mut known = true;
        for (o, out) in t.outputs.iter().enumerate() {
            let (v, m) = self.table_val(ix, o)?;
            known &= v.is_some();
            missing.union(&m);
            let name = out.name.clone().unwrap_or_default();
            object.insert(name, self.json(v.as_deref(), out.ty));
        }
        let mut r = self.reported_value(rules, &t.meta, None, ir::Ty::Num, Some(&missing));
        if known {
            r.value = serde_json::Value::Object(object);
            r.missing = None;
        }
        Ok(r)
    }

    /// A value for the report's `values`: shared by every kind of item that
    /// can be marked `report: yes`.
    fn reported_value<'e>(
        &self,
        rules: &'e ir::RuleSet,
        meta: &'e ir::Meta,
        v: Option<&crate::profile::Val>,
        ty: ir::Ty,
        missing: Option<&Bits>,
    ) -> Reported<'e> {
        let names = |m: &Bits| -> Vec<&'e str> {
            m.iter()
                .filter_map(|i| rules.fields.get(i).map(|f| f.name.as_str()))
                .collect()
        };
        Reported {
            id: &meta.id,
            title: meta.title.as_deref(),
            value: self.json(v, ty),
            missing: match v {
                Some(_) => None,
                None => Some(missing.map(names).unwrap_or_default()),
            },
        }
    }

    /// The full report: the outcomes, with the reasons of every referral
    /// and warning that fired and every program's status.
    pub(crate) fn report<'e>(
        &self,
        rules: &'e ir::RuleSet,
        client: Option<Cow<'e, str>>,
    ) -> R<Report<'e>> {
        let mut report = self.outcomes(rules, client)?;
        let why = |meta: &'e ir::Meta, because: Vec<crate::report::Held>| Why {
            reason: Self::reason(&because),
            title: meta.title.as_deref(),
            because,
            evidence: meta.evidence.as_deref(),
            source: meta.source.as_deref(),
        };
        // The outcomes list fired referrals and warnings in rule-set order;
        // walking the same order pairs each with its rule.
        let (mut referrals, mut warnings) =
            (report.referrals.iter_mut(), report.warnings.iter_mut());
        let mut programs = Vec::new();
        for node in &rules.order {
            match *node {
                Node::Program(i) => {
                    let (Some(p), Some((t, _))) = (rules.programs.get(i), self.s.programs.get(i))
                    else {
                        continue;
                    };
                    let mut because = Vec::new();
                    self.held(&p.eligible, *t, &mut because)?;
                    let status = match t {
                        Truth::True => Status::Eligible,
                        Truth::False => Status::NotEligible,
                        Truth::Unknown => Status::Undetermined,
                    };
                    programs.push(ProgramItem {
                        id: &p.meta.id,
                        title: p.meta.title.as_deref(),
                        status,
                        reason: Self::reason(&because),
                        because,
                        caseload_limit: p.caseload_limit,
                    });
                }
                Node::Referral(i) => {
                    let (Some(r), Some((Some(priority), _, _))) =
                        (rules.referrals.get(i), self.s.referrals.get(i))
                    else {
                        continue;
                    };
                    let cond = r
                        .triggers
                        .iter()
                        .find(|(p, _)| p == priority)
                        .map(|(_, c)| c);
                    let mut because = Vec::new();
                    if let Some(c) = cond {
                        self.held(c, Truth::True, &mut because)?;
                    }
                    if let Some(item) = referrals.next() {
                        item.why = Some(why(&r.meta, because));
                    }
                }
                Node::Warning(i) => {
                    let (Some(w), Some((Truth::True, _))) =
                        (rules.warnings.get(i), self.s.warnings.get(i))
                    else {
                        continue;
                    };
                    let mut because = Vec::new();
                    self.held(&w.when, Truth::True, &mut because)?;
                    if let Some(item) = warnings.next() {
                        item.why = Some(why(&w.meta, because));
                    }
                }
                Node::Define(_) | Node::Recommended | Node::Table(_) | Node::Transition => {}
            }
        }
        if let (Some(item), Some(rule)) = (report.transition.as_mut(), &rules.transition) {
            item.why = Some(why(&rule.meta, self.transition_because(rule)?));
        }
        report.programs = Some(programs);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use crate::{Engine, LoadOptions, Priority};
    use serde_json::json;

    fn engine(text: &str) -> Engine {
        crate::load_sources(&[("r.rules", text)], &LoadOptions::default()).unwrap()
    }

    const URGENT: &str = "schema {\n  x: integer\n  y: boolean\n}\n\
        referral r \"R\" {\n  urgent when x >= 20\n  routine when y\n}\n";

    #[test]
    fn routine_below_an_unknown_urgent_trigger_names_its_fields() {
        let e = engine(URGENT);
        let cases = [
            (json!({"y": true}), Some(Priority::Routine), Some(vec!["x"])),
            (json!({"y": true, "x": 5}), Some(Priority::Routine), None),
            (json!({"y": false, "x": 25}), Some(Priority::Urgent), None),
            (json!({"x": 25}), Some(Priority::Urgent), None),
            (json!({"y": false}), None, None),
        ];
        for (profile, priority, urgent_if) in cases {
            let p = e.profile(&profile).unwrap();
            let full = e.evaluate(&p, None).unwrap();
            let lean = e.outcomes(&p, None).unwrap();
            for report in [&full, &lean] {
                assert_eq!(
                    report.referrals.first().map(|r| r.priority),
                    priority,
                    "{profile}"
                );
                assert_eq!(
                    report.referrals.first().and_then(|r| r.urgent_if.clone()),
                    urgent_if,
                    "{profile}"
                );
            }
            let decided = e.decide(&p, None).unwrap();
            assert_eq!(decided.urgent_unknown, [urgent_if.is_some()], "{profile}");
            assert_eq!(decided, e.decide_walking(&p, None).unwrap(), "{profile}");
            let json = full.to_json();
            assert_eq!(
                json.contains("\"urgent_if\":[\"x\"]"),
                urgent_if.is_some(),
                "{json}"
            );
        }
        // Both unknown: undetermined, nothing made.
        let p = e.profile(&json!({})).unwrap();
        let report = e.evaluate(&p, None).unwrap();
        assert!(report.referrals.is_empty());
        assert_eq!(report.undetermined[0].missing, ["x", "y"]);
    }

    const VALUES: &str = "schema {\n  a: integer\n  b: decimal\n  \
        h: one of {stable, homeless}\n  s: set of {food, legal}\n  n: integer\n}\n\
        define total \"Total\" {\n  value: a + b\n  report: yes\n}\n\
        define hidden {\n  value: a * 2\n}\n\
        define adult {\n  value: a >= 18\n  report: yes\n}\n\
        define housing {\n  value: h\n  report: yes\n}\n\
        define needs {\n  value: s\n  report: yes\n}\n\
        define ratio {\n  value: a / n\n  report: yes\n}\n\
        define off {\n  value: 1\n  report: no\n}\n";

    #[test]
    fn marked_values_are_reported_in_order_known_or_with_their_missing_fields() {
        let e = engine(VALUES);
        let p = e
            .profile(&json!({"a": 20, "b": 0.25, "h": "homeless", "s": ["legal", "food"], "n": 4}))
            .unwrap();
        let report = e.evaluate(&p, None).unwrap();
        let got: Vec<(&str, serde_json::Value)> = report
            .values
            .iter()
            .map(|v| (v.id, v.value.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("total", json!(20.25)),
                ("adult", json!(true)),
                ("housing", json!("homeless")),
                ("needs", json!(["legal", "food"])),
                ("ratio", json!(5)),
            ]
        );
        assert_eq!(report.values[0].title, Some("Total"));
        assert!(report.values.iter().all(|v| v.missing.is_none()));
        assert_eq!(e.outcomes(&p, None).unwrap().values, report.values);
        // Unknown: null, with the fields that would decide it.
        let p = e.profile(&json!({"b": 1, "n": 1})).unwrap();
        let report = e.evaluate(&p, None).unwrap();
        let total = &report.values[0];
        assert!(total.value.is_null());
        assert_eq!(total.missing.as_deref(), Some(&["a"][..]));
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(
            json["values"][0],
            json!({"id": "total", "title": "Total", "value": null, "missing": ["a"]})
        );
        // A failed calculation fails the report that reads it, not the
        // decision, which does not.
        let p = e.profile(&json!({"a": 1, "n": 0})).unwrap();
        let err = e.evaluate(&p, None).unwrap_err();
        assert_eq!(err.field(), Some("n"));
        assert!(e.outcomes(&p, None).is_err());
        assert!(e.explain(&p, None).is_err());
        assert!(e.decide(&p, None).is_ok());
    }

    #[test]
    fn no_value_marked_gives_an_empty_list() {
        let e = crate::reference().unwrap();
        let report = e.evaluate_json(&json!({"id": "c"}), None).unwrap();
        assert!(report.values.is_empty());
        assert!(report.to_json().contains("\"values\":[]"));
    }

    #[test]
    fn a_marked_value_is_explained_with_its_calculation() {
        let e = engine(VALUES);
        let p = e.profile(&json!({"a": 20, "b": 1.5, "n": 4})).unwrap();
        let traces = e.explain(&p, None).unwrap();
        let total = traces.iter().find(|t| t.id == "total").unwrap();
        assert_eq!(total.kind, crate::Kind::Define);
        assert_eq!(total.outcome, crate::ItemOutcome::Computed);
        let root = &total.conditions[0].trace;
        assert_eq!(root.condition, "a + b");
        assert_eq!(root.result, Some(json!(21.5)));
        assert_eq!(root.children[1].values["b"], json!(1.5));
        assert!(!traces.iter().any(|t| t.id == "hidden" || t.id == "off"));
        let housing = traces.iter().find(|t| t.id == "housing").unwrap();
        assert_eq!(housing.outcome, crate::ItemOutcome::Undetermined);
        assert_eq!(housing.conditions[0].trace.missing, ["h"]);
    }

    #[test]
    fn report_takes_yes_or_no_and_only_on_a_define() {
        let bad = |text: &str| {
            crate::load_sources(&[("r.rules", text)], &LoadOptions::default())
                .err()
                .map(|e| format!("{e:?}"))
                .unwrap_or_default()
        };
        let e = bad("schema {\n  a: integer\n}\ndefine d {\n  value: a\n  report: yse\n}\n");
        assert!(e.contains("`report` takes `yes` or `no`, not `yse`"), "{e}");
        let e = bad("schema {\n  a: integer\n}\ndefine d {\n  value: a\n  report: \"yes\"\n}\n");
        assert!(e.contains("not a string"), "{e}");
        let e = bad("parameter p {\n  value: 1\n  report: yes\n}\n");
        assert!(e.contains("`report` does not belong in a parameter"), "{e}");
    }
}
