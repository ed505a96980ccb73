//! `careplan bench`: a rule set over a population of profiles.
//!
//! For program designers who compare rule sets: how fast the engine decides,
//! how often each program, referral and warning fires (or cannot be decided),
//! where enrolled clients' plans go (the transitions, for a rule set with
//! one), how many case managers the recommendations would need, and, with
//! `--compare`, which clients gain or lose each outcome under a second rule
//! set.
//!
//! The population is either synthetic (`careplan::harness::population`:
//! generated from the rule set's schema, the same for a seed on every
//! machine and every version), or read from a JSON Lines file, in chunks.
//! The library measures and counts (`harness::measure`, `harness::compare`);
//! this module chooses the population, keeps examples of what went wrong
//! with where it happened, and renders the result as JSON or tables.

use crate::{Fail, load_dated, read_context};
use careplan::Decision;
use careplan::Priority;
use careplan::harness::compare::{
    Change, Compare, DemandChange, DemandSide, Move, Skip, Tally, Transitions, case_managers,
    has_transition,
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

mod output;
use output::*;

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
    pub as_of: Option<careplan::date::Date>,
    pub json: bool,
}

/// Runs the benchmark; returns the exit code.
pub fn run(opts: &Options<'_>) -> Result<u8, Fail> {
    // One evaluation date for the whole run: both rule sets are checked on
    // it, the population is placed relative to it and every profile is
    // evaluated on it.
    let as_of = opts.as_of.unwrap_or_else(careplan::date::today);
    let engine = load_dated(opts.rules, Some(as_of))?;
    let other = opts
        .compare
        .map(|d| load_dated(Some(d), Some(as_of)))
        .transpose()?;
    let ctx = read_context(&engine, opts.context)?;
    let other_ctx = match &other {
        Some(e) => read_context(e, opts.context)?,
        None => None,
    };

    let bytes;
    let (population, total, mut source): (PopulationKind, u64, Box<dyn Iterator<Item = Entry>>) =
        match opts.input {
            Some(path) => {
                // Bytes, not text: a line that is not UTF-8 is one bad line,
                // skipped and counted like any other.
                bytes = std::fs::read(path)
                    .map_err(|e| Fail::usage(format!("error: cannot read `{path}`: {e}")))?;
                let lines = || {
                    bytes
                        .split(|b| *b == b'\n')
                        .enumerate()
                        .map(|(n, l)| (n, l.strip_suffix(b"\r").unwrap_or(l)))
                        .filter(|(_, l)| {
                            std::str::from_utf8(l).map_or(true, |l| !l.trim().is_empty())
                        })
                };
                let total = lines().count() as u64;
                let entries = lines().map(|(n, l)| Entry {
                    at: At::Line(n as u64 + 1),
                    value: line_value(l),
                });
                (
                    PopulationKind::Input(path.to_string()),
                    total,
                    Box::new(entries),
                )
            }
            None => {
                let n = opts.profiles.unwrap_or(DEFAULT_PROFILES);
                let mut generator = Generator::dated(&engine, opts.seed, as_of);
                let entries = (0..n).map(move |i| Entry {
                    at: At::Profile(i + 1),
                    value: Ok(generator.profile(i)),
                });
                (PopulationKind::Synthetic(opts.seed), n, Box::new(entries))
            }
        };

    let bar = progress(total, opts.json);
    let mut bench = Bench::new(&engine, ctx.as_ref(), total);
    bench.measure.as_of = Some(as_of);
    let mut compare = other.as_ref().map(|o| {
        let mut c = Comparison::new(&engine, o, other_ctx.as_ref());
        c.counts.as_of = Some(as_of);
        c
    });
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

    let output = bench.output(opts.rules, population, total, as_of, compare, opts.compare);
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

/// One line of an `--input` file as a profile's JSON value, or why it is
/// not one.
fn line_value(line: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(line).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        )
    })?;
    careplan::read_json(text).map_err(|e| e.to_string())
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
        as_of: careplan::date::Date,
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

        let transitions = has_transition(engine).then(|| transitions_out(&t.transitions));
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
                as_of: careplan::date::show(as_of),
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
            transitions,
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

/// Each row of the transitions with its share of the clients counted.
fn transitions_out(t: &Transitions) -> IndexMap<&'static str, Share> {
    Move::ALL
        .iter()
        .map(|m| (m.word(), Share::of(t.count(*m), t.total())))
        .collect()
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
            .zip(&c.warnings_raised)
            .enumerate()
            .map(|(i, ((id, ch), [base, compared]))| WarningChange {
                id: id.clone(),
                present: c.warnings.present(i).word(),
                gained: ch.gained,
                lost: ch.lost,
                base: *base,
                compared: *compared,
            })
            .collect();
        let [base, compared] = &c.transitions;
        let transitions =
            (has_transition(c.base) || has_transition(c.other)).then(|| TransitionsChange {
                base: transitions_out(base),
                compared: transitions_out(compared),
                change: Move::ALL
                    .iter()
                    .map(|m| (m.word(), compared.count(*m) as i64 - base.count(*m) as i64))
                    .collect(),
                changed: c.transitions_changed,
            });
        CompareOut {
            rules: RulesOut::new(dir, c.other),
            profiles: c.compared,
            rejected: c.rejected,
            evaluation_errors: c.evaluation_errors,
            errors: self.problems,
            programs,
            transitions,
            referrals,
            warnings,
            caseload_demand: c.demand(),
        }
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
