//! `careplan bench`: a rule set over a population of profiles.
//!
//! For program designers who compare rule sets: how fast the engine decides,
//! how often each program, referral and warning fires (or cannot be decided),
//! how many case managers the recommendations would need, and, with
//! `--compare`, which clients gain or lose each outcome under a second rule
//! set.
//!
//! The population is either synthetic (`careplan::harness::population`:
//! generated from the rule set's schema, the same for a seed on every
//! machine and every version), or read from a JSON Lines file, in chunks.
//! The library measures and counts (`harness::measure`, `harness::compare`);
//! this module chooses the population, keeps examples of what went wrong
//! with where it happened, and renders the result as JSON or tables.

use crate::{Fail, input, load_or_fail, read_context};
use careplan::Decision;
use careplan::Priority;
use careplan::harness::compare::{
    Change, Compare, DemandChange, DemandSide, Skip, Tally, case_managers,
};
use careplan::harness::measure::{Event, Measure};
use careplan::harness::population::Generator;
use careplan::{Caseloads, Engine};
use indexmap::IndexMap;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::time::Duration;

/// The synthetic population's size when neither `--profiles` nor `--input`
/// is given.
pub const DEFAULT_PROFILES: u64 = 10_000;

/// Profiles generated, read and measured together: enough to keep the
/// timed loops long, few enough to keep memory flat for any population.
const CHUNK: usize = 4096;

/// How many rejected lines or failed evaluations are shown by example.
const EXAMPLES: usize = 10;

/// Options of `careplan bench`.
pub struct Options<'a> {
    pub rules: Option<&'a str>,
    pub profiles: Option<u64>,
    pub input: Option<&'a str>,
    pub seed: u64,
    pub compare: Option<&'a str>,
    pub context: Option<&'a str>,
    pub json: bool,
}

/// Runs the benchmark; returns the exit code.
pub fn run(opts: &Options<'_>) -> Result<u8, Fail> {
    let engine = load_or_fail(opts.rules)?;
    let other = opts.compare.map(|d| load_or_fail(Some(d))).transpose()?;
    let ctx = read_context(&engine, opts.context)?;
    let other_ctx = match &other {
        Some(e) => read_context(e, opts.context)?,
        None => None,
    };

    let text;
    let (population, total, mut source): (PopulationKind, u64, Box<dyn Iterator<Item = Entry>>) =
        match opts.input {
            Some(path) => {
                text = input::read_text(path).map_err(|e| Fail::usage(format!("error: {e}")))?;
                let lines = || {
                    text.lines()
                        .enumerate()
                        .filter(|(_, l)| !l.trim().is_empty())
                };
                let total = lines().count() as u64;
                let entries = lines().map(|(n, l)| Entry {
                    at: At::Line(n as u64 + 1),
                    value: input::parse_json(l).map_err(|e| format!("invalid JSON: {e}")),
                });
                (
                    PopulationKind::Input(path.to_string()),
                    total,
                    Box::new(entries),
                )
            }
            None => {
                let n = opts.profiles.unwrap_or(DEFAULT_PROFILES);
                let mut generator = Generator::new(&engine, opts.seed);
                let entries = (0..n).map(move |i| Entry {
                    at: At::Profile(i + 1),
                    value: Ok(generator.profile(i)),
                });
                (PopulationKind::Synthetic(opts.seed), n, Box::new(entries))
            }
        };

    let bar = progress(total, opts.json);
    let mut bench = Bench::new(&engine, ctx.as_ref(), total);
    let mut compare = other
        .as_ref()
        .map(|o| Comparison::new(&engine, o, other_ctx.as_ref()));
    loop {
        let (at, values): (Vec<At>, Vec<Result<Value, String>>) =
            source.by_ref().take(CHUNK).map(|e| (e.at, e.value)).unzip();
        if at.is_empty() {
            break;
        }
        bench.chunk(&at, &values, compare.as_mut());
        bar.inc(at.len() as u64);
    }
    bar.finish_and_clear();

    if bench.measure.tally.n == 0 {
        let mut msg = String::from("error: no profile could be evaluated");
        for p in &bench.problems {
            let _ = write!(msg, "\n  {}", p.shown());
        }
        return Err(Fail::input(msg));
    }

    let output = bench.output(opts.rules, population, total, compare, opts.compare);
    let text = if opts.json {
        let mut s = serde_json::to_string_pretty(&output).unwrap_or_default();
        s.push('\n');
        s
    } else {
        human(&output)
    };
    crate::emit(&text)?;
    Ok(0)
}

/// A progress bar on standard error, hidden when that is not a terminal or
/// the output is JSON.
fn progress(total: u64, json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "bench {bar:40} {human_pos}/{human_len} profiles  {per_sec}  eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(total).with_style(style)
}

/// Where a profile came from: its line in the input, or its number in the
/// synthetic population.
#[derive(Debug, Clone, Copy)]
enum At {
    Line(u64),
    Profile(u64),
}

/// One profile of the population, or why its line is not one.
struct Entry {
    at: At,
    value: Result<Value, String>,
}

enum PopulationKind {
    Synthetic(u64),
    Input(String),
}

// ---------------------------------------------------------------------------
// Measuring and counting.

/// A rejected line or a failed evaluation, for the report.
#[derive(Debug, Clone, Serialize)]
struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<String>,
    error: String,
}

impl Problem {
    fn new(at: At, client: Option<String>, error: String) -> Problem {
        let (line, profile) = match at {
            At::Line(n) => (Some(n), None),
            At::Profile(n) => (None, Some(n)),
        };
        Problem {
            line,
            profile,
            client,
            error,
        }
    }

    fn shown(&self) -> String {
        let mut s = match (self.line, self.profile) {
            (Some(n), _) => format!("line {n}"),
            (_, Some(n)) => format!("profile {n}"),
            _ => String::new(),
        };
        if let Some(c) = &self.client {
            let _ = write!(s, " ({c})");
        }
        format!("{s}: {}", self.error)
    }
}

/// The run over the primary rule set: the library's measurements, and the
/// first few profiles it could not decide, with where they are.
struct Bench<'a> {
    engine: &'a Engine,
    measure: Measure<'a>,
    problems: Vec<Problem>,
}

impl<'a> Bench<'a> {
    fn new(engine: &'a Engine, ctx: Option<&'a Caseloads>, total: u64) -> Bench<'a> {
        Bench {
            engine,
            measure: Measure::new(engine, ctx, total),
            problems: Vec::new(),
        }
    }

    /// Measures a chunk; compares each decided profile; keeps examples of
    /// the profiles that were not decided.
    fn chunk(
        &mut self,
        at: &[At],
        values: &[Result<Value, String>],
        mut compare: Option<&mut Comparison<'_>>,
    ) {
        let problems = &mut self.problems;
        let mut problem = |at: At, client: Option<String>, error: String| {
            if problems.len() < EXAMPLES {
                problems.push(Problem::new(at, client, error));
            }
        };
        self.measure.chunk(values, |i, event| {
            let Some(&at) = at.get(i) else {
                return;
            };
            match event {
                Event::Rejected(error) => problem(at, None, error),
                Event::Failed { client, error } => problem(at, client, error),
                Event::Decided(v, d) => {
                    if let Some(c) = compare.as_deref_mut() {
                        c.add(at, v, d);
                    }
                }
            }
        });
    }

    fn output(
        mut self,
        rules_dir: Option<&str>,
        kind: PopulationKind,
        total: u64,
        compare: Option<Comparison<'_>>,
        compare_dir: Option<&str>,
    ) -> Output {
        let engine = self.engine;
        let t = &self.measure.tally;
        let programs = engine
            .programs()
            .zip(&t.programs)
            .map(|(p, [e, r, u])| ProgramOut {
                id: p.id().to_string(),
                eligible: share(t, *e),
                recommended: share(t, *r),
                undetermined: share(t, *u),
                caseload_limit: p.caseload_limit(),
            })
            .collect();
        let referrals = engine
            .referrals()
            .zip(&t.referrals)
            .map(|(r, [fired, urgent, routine, u])| {
                let mut by_priority = IndexMap::new();
                for p in r.priorities() {
                    let count = match p {
                        Priority::Urgent => *urgent,
                        Priority::Routine => *routine,
                    };
                    by_priority.insert(p.word(), share(t, count));
                }
                ReferralOut {
                    id: r.id().to_string(),
                    fired: share(t, *fired),
                    by_priority,
                    undetermined: share(t, *u),
                }
            })
            .collect();
        let warnings = engine
            .warnings()
            .zip(&t.warnings)
            .map(|(w, [raised, u])| WarningOut {
                id: w.id().to_string(),
                severity: w.severity().map_or("", careplan::Severity::word),
                raised: share(t, *raised),
                undetermined: share(t, *u),
            })
            .collect();
        let caseload_demand = engine
            .programs()
            .zip(&t.programs)
            .filter_map(|(p, [_, r, _])| {
                let limit = p.caseload_limit()?;
                Some(DemandOut {
                    program: p.id().to_string(),
                    caseload_limit: limit,
                    recommended: *r,
                    case_managers: case_managers(limit, *r)?,
                })
            })
            .collect();

        let latency = self.measure.latency();
        let m = &self.measure;
        let timing = TimingOut {
            threads: 1,
            decide: DecideOut {
                profiles: latency.decided,
                seconds: seconds(m.decide_time),
                profiles_per_second: per_second(latency.decided, m.decide_time),
                latency_ns: Latency {
                    p50: latency.p50,
                    p90: latency.p90,
                    p99: latency.p99,
                    max: latency.max,
                },
            },
            evaluate: EvaluateOut {
                profiles: m.evaluated,
                seconds: seconds(m.evaluate_time),
                profiles_per_second: per_second(m.evaluated, m.evaluate_time),
            },
        };
        let (source, seed, input) = match kind {
            PopulationKind::Synthetic(seed) => ("synthetic", Some(seed), None),
            PopulationKind::Input(path) => ("input", None, Some(path)),
        };
        Output {
            rules: RulesOut::new(rules_dir, self.engine),
            population: PopulationOut {
                source,
                seed,
                input,
                profiles: total,
                rejected: self.measure.rejected,
                evaluation_errors: self.measure.evaluation_errors,
                evaluated: self.measure.tally.n,
                errors: self.problems,
            },
            timing,
            programs,
            referrals,
            warnings,
            caseload_demand,
            compare: compare.map(|c| c.output(compare_dir)),
        }
    }
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e6
}

fn per_second(n: u64, d: Duration) -> u64 {
    let s = d.as_secs_f64();
    if s > 0.0 {
        (n as f64 / s).round() as u64
    } else {
        0
    }
}

/// Tally's count as a share of the profiles it counted.
fn share(t: &Tally, count: u64) -> Share {
    Share::of(count, t.n)
}

// ---------------------------------------------------------------------------
// Comparing with a second rule set.

/// The library's comparison, and the first few profiles it skipped, with
/// where they are in the population.
struct Comparison<'a> {
    counts: Compare<'a>,
    problems: Vec<Problem>,
}

impl<'a> Comparison<'a> {
    fn new(base: &'a Engine, other: &'a Engine, ctx: Option<&'a Caseloads>) -> Comparison<'a> {
        Comparison {
            counts: Compare::new(base, other, ctx),
            problems: Vec::new(),
        }
    }

    /// Compares one profile; keeps an example of why it was skipped.
    fn add(&mut self, at: At, value: &Value, base: &Decision) {
        let Err(skip) = self.counts.add(value, base) else {
            return;
        };
        if self.problems.len() < EXAMPLES {
            self.problems.push(match skip {
                Skip::Rejected(error) => Problem::new(at, None, error),
                Skip::Failed { client, error } => Problem::new(at, client, error),
            });
        }
    }

    fn output(self, dir: Option<&str>) -> CompareOut {
        let c = &self.counts;
        let programs = c
            .programs
            .ids
            .iter()
            .zip(&c.program_changes)
            .enumerate()
            .map(|(i, (id, [eligible, recommended]))| ProgramChange {
                id: id.clone(),
                present: c.programs.present(i).word(),
                eligible: *eligible,
                recommended: *recommended,
            })
            .collect();
        let referrals = c
            .referrals
            .ids
            .iter()
            .zip(&c.referral_changes)
            .enumerate()
            .map(|(i, (id, (ch, up, down)))| ReferralChange {
                id: id.clone(),
                present: c.referrals.present(i).word(),
                gained: ch.gained,
                lost: ch.lost,
                more_urgent: *up,
                less_urgent: *down,
            })
            .collect();
        let warnings = c
            .warnings
            .ids
            .iter()
            .zip(&c.warning_changes)
            .enumerate()
            .map(|(i, (id, ch))| WarningChange {
                id: id.clone(),
                present: c.warnings.present(i).word(),
                gained: ch.gained,
                lost: ch.lost,
            })
            .collect();
        CompareOut {
            rules: RulesOut::new(dir, c.other),
            profiles: c.compared,
            rejected: c.rejected,
            evaluation_errors: c.evaluation_errors,
            errors: self.problems,
            programs,
            referrals,
            warnings,
            caseload_demand: c.demand(),
        }
    }
}

// ---------------------------------------------------------------------------
// The result, as JSON (keys in this order) and for people.

#[derive(Serialize)]
struct Output {
    rules: RulesOut,
    population: PopulationOut,
    timing: TimingOut,
    programs: Vec<ProgramOut>,
    referrals: Vec<ReferralOut>,
    warnings: Vec<WarningOut>,
    caseload_demand: Vec<DemandOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compare: Option<CompareOut>,
}

#[derive(Serialize)]
struct RulesOut {
    source: String,
    version: String,
}

impl RulesOut {
    fn new(dir: Option<&str>, engine: &Engine) -> RulesOut {
        RulesOut {
            source: dir.unwrap_or("built-in").to_string(),
            version: engine.version().to_string(),
        }
    }
}

#[derive(Serialize)]
struct PopulationOut {
    source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<String>,
    /// Profiles generated, or non-blank lines read.
    profiles: u64,
    /// Lines that are not JSON, and profiles the schema rejects.
    rejected: u64,
    /// Profiles whose evaluation failed on their data.
    evaluation_errors: u64,
    /// Profiles decided: the denominator of every percentage.
    evaluated: u64,
    /// The first few of the rejected and failed, with why.
    errors: Vec<Problem>,
}

#[derive(Serialize)]
struct TimingOut {
    threads: u32,
    decide: DecideOut,
    evaluate: EvaluateOut,
}

#[derive(Serialize)]
struct DecideOut {
    profiles: u64,
    seconds: f64,
    profiles_per_second: u64,
    latency_ns: Latency,
}

#[derive(Serialize)]
struct Latency {
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
}

#[derive(Serialize)]
struct EvaluateOut {
    profiles: u64,
    seconds: f64,
    profiles_per_second: u64,
}

/// A count and its share of the profiles evaluated, in percent (two
/// decimals).
#[derive(Debug, Clone, Copy, Serialize)]
struct Share {
    count: u64,
    percent: f64,
}

impl Share {
    fn of(count: u64, n: u64) -> Share {
        let percent = if n == 0 {
            0.0
        } else {
            (count as f64 * 10_000.0 / n as f64).round() / 100.0
        };
        Share { count, percent }
    }
}

#[derive(Serialize)]
struct ProgramOut {
    id: String,
    eligible: Share,
    recommended: Share,
    undetermined: Share,
    caseload_limit: Option<u64>,
}

#[derive(Serialize)]
struct ReferralOut {
    id: String,
    fired: Share,
    by_priority: IndexMap<&'static str, Share>,
    undetermined: Share,
}

#[derive(Serialize)]
struct WarningOut {
    id: String,
    severity: &'static str,
    raised: Share,
    undetermined: Share,
}

#[derive(Serialize)]
struct DemandOut {
    program: String,
    caseload_limit: u64,
    recommended: u64,
    case_managers: u64,
}

#[derive(Serialize)]
struct CompareOut {
    rules: RulesOut,
    /// Profiles decided under both rule sets: the clients counted below.
    profiles: u64,
    /// Profiles the compared rule set's schema rejects.
    rejected: u64,
    evaluation_errors: u64,
    errors: Vec<Problem>,
    programs: Vec<ProgramChange>,
    referrals: Vec<ReferralChange>,
    warnings: Vec<WarningChange>,
    caseload_demand: Vec<DemandChange>,
}

#[derive(Serialize)]
struct ProgramChange {
    id: String,
    present: &'static str,
    eligible: Change,
    recommended: Change,
}

#[derive(Serialize)]
struct ReferralChange {
    id: String,
    present: &'static str,
    gained: u64,
    lost: u64,
    more_urgent: u64,
    less_urgent: u64,
}

#[derive(Serialize)]
struct WarningChange {
    id: String,
    present: &'static str,
    gained: u64,
    lost: u64,
}

/// `12345` → `12,345`.
fn thousands(n: u64) -> String {
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
fn micros(ns: u64) -> String {
    let us = ns as f64 / 1000.0;
    if ns < 10_000 {
        format!("{us:.2} µs")
    } else if ns < 1_000_000 {
        format!("{us:.1} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}

fn pct(s: &Share) -> String {
    format!("{:.1}%", s.percent)
}

fn short(version: &str) -> &str {
    version.get(..version.len().min(19)).unwrap_or(version)
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

fn rules_name(r: &RulesOut) -> String {
    if r.source == "built-in" {
        format!("built-in reference policy ({}…)", short(&r.version))
    } else {
        format!("{} ({}…)", r.source, short(&r.version))
    }
}

/// The report as a program designer reads it.
fn human(o: &Output) -> String {
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
        "Population: {from}; {} evaluated, {} rejected, {} evaluation errors",
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
        "\n{:<w$}{:>10}{:>10}{:>14}",
        "Warnings",
        "severity",
        "raised",
        "undetermined",
        w = width + 2
    );
    for x in &o.warnings {
        let _ = writeln!(
            s,
            "  {:<width$}{:>10}{:>10}{:>14}",
            x.id,
            x.severity,
            pct(&x.raised),
            pct(&x.undetermined)
        );
    }

    if let Some(c) = &o.compare {
        compare_human(&mut s, c, width);
    }
    s
}

fn compare_human(s: &mut String, c: &CompareOut, width: usize) {
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
            "{:<w$}{:>16}",
            "Warnings (clients)",
            "raised",
            w = width + 2
        );
        for w in warnings {
            let _ = writeln!(
                s,
                "  {:<width$}{:>16}{}",
                w.id,
                gl(&Change {
                    gained: w.gained,
                    lost: w.lost
                }),
                only(w.present)
            );
        }
    }
    let total = c.programs.len() + c.referrals.len() + c.warnings.len();
    if unchanged == total {
        let _ = writeln!(s, "No client gains or loses any outcome.");
    } else if unchanged > 0 {
        let _ = writeln!(
            s,
            "{unchanged} other outcome{} unchanged.",
            if unchanged == 1 { "" } else { "s" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
