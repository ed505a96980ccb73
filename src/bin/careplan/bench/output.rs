//! The result of `careplan bench`, as JSON (keys in this order: the JSON
//! contract of `--format json`) and as tables for people.

use super::*;

#[derive(Serialize)]
pub(super) struct Output {
    pub(super) rules: RulesOut,
    pub(super) population: PopulationOut,
    pub(super) timing: TimingOut,
    pub(super) programs: Vec<ProgramOut>,
    /// Where enrolled clients' plans go, each row a share of the clients
    /// evaluated; only for a rule set with a `transition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) transitions: Option<IndexMap<&'static str, Share>>,
    pub(super) referrals: Vec<ReferralOut>,
    pub(super) warnings: Vec<WarningOut>,
    pub(super) caseload_demand: Vec<DemandOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) compare: Option<CompareOut>,
}

#[derive(Serialize)]
pub(super) struct RulesOut {
    pub(super) source: String,
    pub(super) version: String,
}

impl RulesOut {
    pub(super) fn new(dir: Option<&str>, engine: &Engine) -> RulesOut {
        RulesOut {
            source: dir.unwrap_or("built-in").to_string(),
            version: engine.version().to_string(),
        }
    }
}

#[derive(Serialize)]
pub(super) struct PopulationOut {
    pub(super) source: &'static str,
    /// The evaluation date: the synthetic population is placed relative
    /// to it, and every profile is evaluated on it.
    pub(super) as_of: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) input: Option<String>,
    /// Profiles generated, or non-blank lines read.
    pub(super) profiles: u64,
    /// Lines that are not JSON, and profiles the schema rejects.
    pub(super) rejected: u64,
    /// Profiles whose evaluation failed on their data.
    pub(super) evaluation_errors: u64,
    /// Profiles decided: the denominator of every percentage.
    pub(super) evaluated: u64,
    /// The first few of the rejected and failed, with why.
    pub(super) errors: Vec<Problem>,
}

#[derive(Serialize)]
pub(super) struct TimingOut {
    pub(super) threads: u32,
    pub(super) decide: DecideOut,
    pub(super) evaluate: EvaluateOut,
}

#[derive(Serialize)]
pub(super) struct DecideOut {
    pub(super) profiles: u64,
    pub(super) seconds: f64,
    pub(super) profiles_per_second: u64,
    pub(super) latency_ns: Latency,
}

#[derive(Serialize)]
pub(super) struct Latency {
    pub(super) p50: u64,
    pub(super) p90: u64,
    pub(super) p99: u64,
    pub(super) max: u64,
}

#[derive(Serialize)]
pub(super) struct EvaluateOut {
    pub(super) profiles: u64,
    pub(super) seconds: f64,
    pub(super) profiles_per_second: u64,
}

/// A count and its share of the profiles evaluated, in percent (two
/// decimals).
#[derive(Debug, Clone, Copy, Serialize)]
pub(super) struct Share {
    pub(super) count: u64,
    pub(super) percent: f64,
}

impl Share {
    pub(super) fn of(count: u64, n: u64) -> Share {
        let percent = if n == 0 {
            0.0
        } else {
            (count as f64 * 10_000.0 / n as f64).round() / 100.0
        };
        Share { count, percent }
    }
}

#[derive(Serialize)]
pub(super) struct ProgramOut {
    pub(super) id: String,
    pub(super) eligible: Share,
    pub(super) recommended: Share,
    pub(super) undetermined: Share,
    pub(super) caseload_limit: Option<u64>,
}

#[derive(Serialize)]
pub(super) struct ReferralOut {
    pub(super) id: String,
    pub(super) fired: Share,
    pub(super) by_priority: IndexMap<&'static str, Share>,
    pub(super) undetermined: Share,
}

#[derive(Serialize)]
pub(super) struct WarningOut {
    pub(super) id: String,
    pub(super) severity: &'static str,
    pub(super) raised: Share,
    pub(super) undetermined: Share,
}

#[derive(Serialize)]
pub(super) struct DemandOut {
    pub(super) program: String,
    pub(super) caseload_limit: u64,
    pub(super) recommended: u64,
    pub(super) case_managers: u64,
}

#[derive(Serialize)]
pub(super) struct CompareOut {
    pub(super) rules: RulesOut,
    /// Profiles decided under both rule sets: the clients counted below.
    pub(super) profiles: u64,
    /// Profiles the compared rule set's schema rejects.
    pub(super) rejected: u64,
    pub(super) evaluation_errors: u64,
    pub(super) errors: Vec<Problem>,
    pub(super) programs: Vec<ProgramChange>,
    /// Only when either rule set has a `transition`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) transitions: Option<TransitionsChange>,
    pub(super) referrals: Vec<ReferralChange>,
    pub(super) warnings: Vec<WarningChange>,
    pub(super) caseload_demand: Vec<DemandChange>,
}

/// The transitions under both rule sets, over the compared profiles.
#[derive(Serialize)]
pub(super) struct TransitionsChange {
    pub(super) base: IndexMap<&'static str, Share>,
    pub(super) compared: IndexMap<&'static str, Share>,
    /// Compared minus base, per row.
    pub(super) change: IndexMap<&'static str, i64>,
    /// Clients whose transition differs (another row, or another program
    /// moved from or to).
    pub(super) changed: u64,
}

#[derive(Serialize)]
pub(super) struct ProgramChange {
    pub(super) id: String,
    pub(super) present: &'static str,
    pub(super) eligible: Change,
    pub(super) recommended: Change,
}

#[derive(Serialize)]
pub(super) struct ReferralChange {
    pub(super) id: String,
    pub(super) present: &'static str,
    pub(super) gained: u64,
    pub(super) lost: u64,
    pub(super) more_urgent: u64,
    pub(super) less_urgent: u64,
}

#[derive(Serialize)]
pub(super) struct WarningChange {
    pub(super) id: String,
    pub(super) present: &'static str,
    pub(super) gained: u64,
    pub(super) lost: u64,
    /// Clients raised under the base rule set.
    pub(super) base: u64,
    /// Clients raised under the compared rule set.
    pub(super) compared: u64,
}

/// `12345` → `12,345`.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A latency for people: `1.84 µs`, `61.2 µs`, `4.09 ms`.
pub(super) fn micros(ns: u64) -> String {
    let us = ns as f64 / 1000.0;
    if ns < 10_000 {
        format!("{us:.2} µs")
    } else if ns < 1_000_000 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

pub(super) fn pct(s: &Share) -> String {
    format!("{:.1}%", s.percent)
}

pub(super) fn short(version: &str) -> &str {
    version.get(..version.len().min(19)).unwrap_or(version)
}

pub(super) fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

pub(super) fn rules_name(r: &RulesOut) -> String {
    if r.source == "built-in" {
        format!("built-in reference policy ({}…)", short(&r.version))
    } else {
        format!("{} ({}…)", r.source, short(&r.version))
    }
}

/// The report as a program designer reads it.
pub(super) fn human(o: &Output) -> String {
    let mut s = String::new();
    let p = &o.population;
    let _ = writeln!(s, "careplan bench: {}", rules_name(&o.rules));
    let from = match (&p.input, p.seed) {
        (Some(path), _) => format!("{} profiles from {path}", thousands(p.profiles)),
        (None, seed) => format!(
            "{} synthetic profiles (seed {})",
            thousands(p.profiles),
            seed.unwrap_or(0)
        ),
    };
    let _ = writeln!(
        s,
        "Population: {from}, as of {}; {} evaluated, {} rejected, {} evaluation errors",
        p.as_of,
        thousands(p.evaluated),
        thousands(p.rejected),
        thousands(p.evaluation_errors)
    );
    for e in &p.errors {
        let _ = writeln!(s, "  {}", e.shown());
    }

    let t = &o.timing;
    let l = &t.decide.latency_ns;
    let _ = writeln!(
        s,
        "\n{:<24}{:>12}{:>11}{:>11}{:>11}{:>11}",
        "Speed (1 thread)", "profiles/s", "p50", "p90", "p99", "max"
    );
    let _ = writeln!(
        s,
        "  {:<22}{:>12}{:>11}{:>11}{:>11}{:>11}",
        "decide",
        thousands(t.decide.profiles_per_second),
        micros(l.p50),
        micros(l.p90),
        micros(l.p99),
        micros(l.max)
    );
    let _ = writeln!(
        s,
        "  {:<22}{:>12}",
        "evaluate (full report)",
        thousands(t.evaluate.profiles_per_second)
    );

    let width = o
        .programs
        .iter()
        .map(|x| x.id.len())
        .chain(o.referrals.iter().map(|x| x.id.len()))
        .chain(o.warnings.iter().map(|x| x.id.len()))
        .max()
        .unwrap_or(0)
        .max(10)
        + 2;

    let _ = writeln!(
        s,
        "\n{:<w$}{:>10}{:>13}{:>14}{:>7}{:>15}",
        "Programs",
        "eligible",
        "recommended",
        "undetermined",
        "limit",
        "case managers",
        w = width + 2
    );
    for x in &o.programs {
        let (limit, cms) = match o.caseload_demand.iter().find(|d| d.program == x.id) {
            Some(d) => (d.caseload_limit.to_string(), thousands(d.case_managers)),
            None => ("-".into(), "-".into()),
        };
        let _ = writeln!(
            s,
            "  {:<width$}{:>10}{:>13}{:>14}{:>7}{:>15}",
            x.id,
            pct(&x.eligible),
            pct(&x.recommended),
            pct(&x.undetermined),
            limit,
            cms
        );
    }

    if let Some(t) = &o.transitions {
        let _ = writeln!(
            s,
            "\n{:<w$}{:>10}{:>10}",
            "Transitions",
            "clients",
            "share",
            w = width + 2
        );
        for (row, share) in t {
            let _ = writeln!(
                s,
                "  {:<width$}{:>10}{:>10}",
                row,
                thousands(share.count),
                pct(share)
            );
        }
    }

    let _ = writeln!(
        s,
        "\n{:<w$}{:>10}{:>10}{:>10}{:>14}",
        "Referrals",
        "fired",
        "urgent",
        "routine",
        "undetermined",
        w = width + 2
    );
    for x in &o.referrals {
        let by = |k: &str| x.by_priority.get(k).map_or("-".into(), pct);
        let _ = writeln!(
            s,
            "  {:<width$}{:>10}{:>10}{:>10}{:>14}",
            x.id,
            pct(&x.fired),
            by("urgent"),
            by("routine"),
            pct(&x.undetermined)
        );
    }

    let _ = writeln!(
        s,
        "\n{:<w$}{:>10}{:>10}{:>10}{:>14}",
        "Warnings",
        "severity",
        "clients",
        "raised",
        "undetermined",
        w = width + 2
    );
    for x in &o.warnings {
        let _ = writeln!(
            s,
            "  {:<width$}{:>10}{:>10}{:>10}{:>14}",
            x.id,
            x.severity,
            thousands(x.raised.count),
            pct(&x.raised),
            pct(&x.undetermined)
        );
    }

    if let Some(c) = &o.compare {
        compare_human(&mut s, c, width);
    }
    s
}

pub(super) fn compare_human(s: &mut String, c: &CompareOut, width: usize) {
    let _ = writeln!(
        s,
        "\nCompared with {}: {} profiles, {} rejected by its schema, {} evaluation errors",
        rules_name(&c.rules),
        thousands(c.profiles),
        thousands(c.rejected),
        thousands(c.evaluation_errors)
    );
    for e in &c.errors {
        let _ = writeln!(s, "  {}", e.shown());
    }
    let gl = |ch: &Change| format!("+{} -{}", thousands(ch.gained), thousands(ch.lost));
    let only = |present: &str| match present {
        "base" => "  (only in base)",
        "compared" => "  (only in compared)",
        _ => "",
    };
    let mut unchanged = 0usize;

    let programs: Vec<&ProgramChange> = c
        .programs
        .iter()
        .filter(|p| {
            let demand = c
                .caseload_demand
                .iter()
                .any(|d| d.program == p.id && d.change != Some(0));
            !(p.eligible.is_zero() && p.recommended.is_zero() && !demand)
        })
        .collect();
    unchanged += c.programs.len() - programs.len();
    if !programs.is_empty() {
        let _ = writeln!(
            s,
            "{:<w$}{:>16}{:>16}{:>22}",
            "Programs (clients)",
            "eligible",
            "recommended",
            "case managers",
            w = width + 2
        );
        for p in programs {
            let cms = match c.caseload_demand.iter().find(|d| d.program == p.id) {
                Some(d) => {
                    let side = |x: &Option<DemandSide>| {
                        x.as_ref()
                            .map_or("?".into(), |x| thousands(x.case_managers))
                    };
                    let change = d.change.map_or("?".into(), signed);
                    format!("{} → {} ({change})", side(&d.base), side(&d.compared))
                }
                None => "-".into(),
            };
            let _ = writeln!(
                s,
                "  {:<width$}{:>16}{:>16}{:>22}{}",
                p.id,
                gl(&p.eligible),
                gl(&p.recommended),
                cms,
                only(p.present)
            );
        }
    }

    if let Some(t) = &c.transitions {
        let _ = writeln!(
            s,
            "{:<w$}{:>12}{:>12}{:>10}",
            "Transitions (clients)",
            "base",
            "compared",
            "change",
            w = width + 2
        );
        for ((row, b), o) in t.base.iter().zip(t.compared.values()) {
            let change = t.change.get(row).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "  {:<width$}{:>12}{:>12}{:>10}",
                row,
                thousands(b.count),
                thousands(o.count),
                signed(change)
            );
        }
        let _ = writeln!(
            s,
            "  {} client{} with another transition",
            thousands(t.changed),
            if t.changed == 1 { "" } else { "s" }
        );
    }

    let referrals: Vec<&ReferralChange> = c
        .referrals
        .iter()
        .filter(|r| r.gained + r.lost + r.more_urgent + r.less_urgent > 0)
        .collect();
    unchanged += c.referrals.len() - referrals.len();
    if !referrals.is_empty() {
        let _ = writeln!(
            s,
            "{:<w$}{:>16}{:>13}{:>13}",
            "Referrals (clients)",
            "fired",
            "more urgent",
            "less urgent",
            w = width + 2
        );
        for r in referrals {
            let _ = writeln!(
                s,
                "  {:<width$}{:>16}{:>13}{:>13}{}",
                r.id,
                gl(&Change {
                    gained: r.gained,
                    lost: r.lost
                }),
                thousands(r.more_urgent),
                thousands(r.less_urgent),
                only(r.present)
            );
        }
    }

    let warnings: Vec<&WarningChange> = c
        .warnings
        .iter()
        .filter(|w| w.gained + w.lost > 0)
        .collect();
    unchanged += c.warnings.len() - warnings.len();
    if !warnings.is_empty() {
        let _ = writeln!(
            s,
            "{:<w$}{:>16}{:>26}",
            "Warnings (clients)",
            "raised",
            "base → compared",
            w = width + 2
        );
        for w in warnings {
            let change = w.compared as i64 - w.base as i64;
            let sides = format!(
                "{} → {} ({})",
                thousands(w.base),
                thousands(w.compared),
                signed(change)
            );
            let _ = writeln!(
                s,
                "  {:<width$}{:>16}{:>26}{}",
                w.id,
                gl(&Change {
                    gained: w.gained,
                    lost: w.lost
                }),
                sides,
                only(w.present)
            );
        }
    }
    let total = c.programs.len() + c.referrals.len() + c.warnings.len();
    let transitions_changed = c.transitions.as_ref().is_some_and(|t| t.changed > 0);
    if unchanged == total && transitions_changed {
        let _ = writeln!(
            s,
            "No client gains or loses any program, referral or warning."
        );
    } else if unchanged == total {
        let _ = writeln!(s, "No client gains or loses any outcome.");
    } else if unchanged > 0 {
        let _ = writeln!(
            s,
            "{unchanged} other outcome{} unchanged.",
            if unchanged == 1 { "" } else { "s" }
        );
    }
}
