//! Assembling what an evaluation returns from its state: the decision
//! (indexes, no words), the lean outcomes (borrowed words) and the full
//! report (the outcomes plus each item's reasons).

use super::{Decision, Eval, R, Truth};
use crate::ir::{self, Node};
use crate::profile::{Bits, Profile};
use crate::report::{
    Kind, Outcomes, ProgramItem, ReferralItem, ReferralOutcome, Report, Status, Undetermined,
    UndeterminedOutcome, WarningItem, WarningOutcome,
};

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

    /// The outcomes without the explanations, in rule-set order; `rules`
    /// and `profile` are the evaluation's own, passed again so that the
    /// result borrows them and not the evaluation's state.
    pub(crate) fn outcomes<'e>(
        &self,
        rules: &'e ir::RuleSet,
        profile: &'e Profile,
    ) -> Outcomes<'e> {
        let id = |i: Option<usize>| Some(rules.programs.get(i?)?.meta.id.as_str());
        let missing = |m: &Bits| -> Vec<&'e str> {
            m.iter()
                .filter_map(|i| rules.fields.get(i).map(|f| f.name.as_str()))
                .collect()
        };
        let mut out = Outcomes {
            client: profile.client.as_deref(),
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
                            out.referrals.push(ReferralOutcome {
                                id: &r.meta.id,
                                priority: *priority,
                            });
                        }
                        (Kind::Referral, &r.meta, *t, m)
                    }
                    _ => continue,
                },
                Node::Warning(i) => match (rules.warnings.get(i), self.s.warnings.get(i)) {
                    (Some(w), Some((t, m))) => {
                        if *t == Truth::True {
                            out.warnings.push(WarningOutcome {
                                code: &w.meta.id,
                                severity: w.severity,
                                message: &w.message,
                            });
                        }
                        (Kind::Warning, &w.meta, *t, m)
                    }
                    _ => continue,
                },
                Node::Define(_) | Node::Recommended => continue,
            };
            if truth == Truth::Unknown {
                out.undetermined.push(UndeterminedOutcome {
                    kind,
                    id: &meta.id,
                    missing: missing(m),
                });
            }
        }
        out
    }

    /// Assembles the report.
    pub(crate) fn report(&self) -> R<Report> {
        let rules = self.rules;
        // What fired and what is undetermined, as the lean report has it;
        // the report adds each item's reasons.
        let o = self.outcomes(rules, self.profile);
        let owned = |s: Option<&str>| s.map(str::to_string);
        let mut report = Report {
            client: owned(o.client),
            recommended_program: owned(o.recommended_program),
            alternative_program: owned(o.alternative_program),
            eligible_programs: o.eligible_programs.iter().map(|s| s.to_string()).collect(),
            recommended_services: o.recommended_services.to_vec(),
            referrals: Vec::new(),
            warnings: Vec::new(),
            undetermined: o
                .undetermined
                .iter()
                .map(|u| Undetermined {
                    kind: u.kind,
                    id: u.id.to_string(),
                    missing: u.missing.iter().map(|m| m.to_string()).collect(),
                })
                .collect(),
            programs: Vec::new(),
            ruleset_version: o.ruleset_version.to_string(),
        };
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
                    report.programs.push(ProgramItem {
                        id: p.meta.id.clone(),
                        title: p.meta.title.clone(),
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
                    report.referrals.push(ReferralItem {
                        id: r.meta.id.clone(),
                        priority: *priority,
                        reason: Self::reason(&because),
                        title: r.meta.title.clone(),
                        because,
                        evidence: r.meta.evidence.clone(),
                        source: r.meta.source.clone(),
                    });
                }
                Node::Warning(i) => {
                    let (Some(w), Some((Truth::True, _))) =
                        (rules.warnings.get(i), self.s.warnings.get(i))
                    else {
                        continue;
                    };
                    let mut because = Vec::new();
                    self.held(&w.when, Truth::True, &mut because)?;
                    report.warnings.push(WarningItem {
                        code: w.meta.id.clone(),
                        severity: w.severity,
                        message: w.message.clone(),
                        reason: Self::reason(&because),
                        title: w.meta.title.clone(),
                        because,
                        evidence: w.meta.evidence.clone(),
                        source: w.meta.source.clone(),
                    });
                }
                Node::Define(_) | Node::Recommended => {}
            }
        }
        Ok(report)
    }
}
