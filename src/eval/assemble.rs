//! Assembling what an evaluation returns from its state: the decision
//! (indexes, no words), the lean outcomes (borrowed words) and the full
//! report (the outcomes plus each item's reasons).

use super::{Decision, Eval, R, Truth};
use crate::ir::{self, Node};
use crate::profile::Bits;
use crate::report::{Kind, ProgramItem, Referral, Report, Status, Undetermined, Warning, Why};
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
        refill(&mut out.warnings, &self.s.warnings, |(t, _)| *t);
        out.recommended = self.recommended;
        out.alternative = self.alternative();
    }

    /// The outcomes without the reasons, in rule-set order. `rules` is the
    /// evaluation's own, passed again so that the result borrows it and not
    /// the evaluation's state; `client` is the profile's id.
    pub(crate) fn outcomes<'e>(
        &self,
        rules: &'e ir::RuleSet,
        client: Option<Cow<'e, str>>,
    ) -> Report<'e> {
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
            eligible_programs: Vec::new(),
            recommended_services: self
                .recommended
                .and_then(|i| rules.programs.get(i))
                .map_or(&[][..], |p| &p.services[..]),
            referrals: Vec::new(),
            warnings: Vec::new(),
            undetermined: Vec::new(),
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
                            out.referrals.push(Referral {
                                id: &r.meta.id,
                                priority: *priority,
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
                Node::Define(_) | Node::Recommended => continue,
            };
            if truth == Truth::Unknown {
                out.undetermined.push(Undetermined {
                    kind,
                    id: &meta.id,
                    missing: missing(m),
                });
            }
        }
        out
    }

    /// The full report: the outcomes, with the reasons of every referral
    /// and warning that fired and every program's status.
    pub(crate) fn report<'e>(
        &self,
        rules: &'e ir::RuleSet,
        client: Option<Cow<'e, str>>,
    ) -> R<Report<'e>> {
        let mut report = self.outcomes(rules, client);
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
                Node::Define(_) | Node::Recommended => {}
            }
        }
        report.programs = Some(programs);
        Ok(report)
    }
}
