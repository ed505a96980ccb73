//! `careplan bench`: a rule set over a population of profiles.
//!
//! For program designers who compare rule sets: how fast the engine decides,
//! how often each program, referral and warning fires (or cannot be decided),
//! how many case managers the recommendations would need, and, with
//! `--compare`, which clients gain or lose each outcome under a second rule
//! set.
//!
//! The population is either synthetic, generated from the rule set's schema
//! by a seeded ChaCha8 generator (so a seed gives the same profiles on every
//! machine and every version), or read from a JSON Lines file. Profiles are
//! generated and read in chunks outside the timed loops: only
//! `Engine::decide` (each call timed) and `Engine::evaluate` (the full
//! report, timed as a loop) are measured, on one thread.

use crate::{Fail, input, load_or_fail, read_context};
use careplan::eval::{Decision, Truth};
use careplan::ir::{Expr, ExprKind, Field, FieldType, Lit, Priority, RuleSet};
use careplan::{Caseloads, Engine, Profile};
use indexmap::IndexMap;
use indicatif::{ProgressBar, ProgressStyle};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::time::{Duration, Instant};

/// The synthetic population's size when neither `--profiles` nor `--input`
/// is given.
pub const DEFAULT_PROFILES: u64 = 10_000;

/// Profiles generated, read and measured together: enough to keep the
/// timed loops long, few enough to keep memory flat for any population.
const CHUNK: usize = 4096;

/// The chance that a synthetic profile has an optional field, in percent.
const PRESENT_PERCENT: u64 = 95;

/// The chance that a synthetic set of text gets a string the rules never
/// mention, in percent.
const STRAY_TEXT_PERCENT: u64 = 10;

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
                let mut generator = Generator::new(engine.rules(), opts.seed);
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
        .map(|o| Compare::new(&engine, o, other_ctx.as_ref()));
    loop {
        let chunk: Vec<Entry> = source.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        bench.chunk(&chunk, compare.as_mut());
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();

    if bench.tally.n == 0 {
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
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Fail::usage(format!("error: cannot write output: {e}")))?;
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
// The synthetic population.

/// A seeded generator whose output for a seed is fixed: ChaCha8 is a
/// specified stream cipher, and ranges are mapped here rather than by a
/// library's distributions, which may change between versions.
struct Random(ChaCha8Rng);

impl Random {
    fn new(seed: u64) -> Random {
        let mut key = [0u8; 32];
        for (k, b) in key.iter_mut().zip(seed.to_le_bytes()) {
            *k = b;
        }
        Random(ChaCha8Rng::from_seed(key))
    }

    /// Uniform in `0..n` (0 when `n` is 0), without modulo bias.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let rem = (u64::MAX % n + 1) % n;
        loop {
            let x = self.0.next_u64();
            if x <= u64::MAX - rem {
                return x % n;
            }
        }
    }

    /// Uniform in `lo..=hi` (`lo` when the range is empty).
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        let offset = match u64::try_from(span) {
            Ok(span) => u128::from(self.below(span)),
            Err(_) => u128::from(self.0.next_u64()),
        };
        (i128::from(lo) + offset as i128) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }

    /// A short string the rules are unlikely to mention.
    fn word(&mut self) -> String {
        const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let len = self.between(4, 8);
        (0..len)
            .filter_map(|_| self.pick(LETTERS).map(|&b| char::from(b)))
            .collect()
    }
}

/// How one field's values are made.
enum Gen {
    /// `p-000001`, … for the field named `id`.
    Id,
    /// A number with `scale` decimals, uniform in `lo..=hi` units of
    /// `10^-scale`.
    Number {
        lo: i64,
        hi: i64,
        scale: u32,
    },
    Boolean,
    Enum(Vec<String>),
    SetOfEnum(Vec<String>),
    SetOfText,
    Text,
    /// No value fits the declared range: the field is left out.
    Never,
}

struct FieldGen {
    name: String,
    required: bool,
    make: Gen,
}

/// Synthetic profiles from a rule set's schema.
struct Generator {
    random: Random,
    fields: Vec<FieldGen>,
    symbols: Vec<String>,
}

impl Generator {
    fn new(rules: &RuleSet, seed: u64) -> Generator {
        let thresholds = thresholds(rules);
        let fields = rules
            .fields
            .iter()
            .enumerate()
            .map(|(slot, f)| {
                let threshold = thresholds.get(slot).copied().flatten();
                let make = match &f.ty {
                    FieldType::Text if rules.id_field == Some(slot) => Gen::Id,
                    FieldType::Integer => number(f, threshold, 0, Decimal::from(100)),
                    FieldType::Decimal => {
                        let scale = [f.min, f.max, threshold]
                            .into_iter()
                            .flatten()
                            .map(|d| d.scale())
                            .fold(2, u32::max)
                            .min(6);
                        number(f, threshold, scale, Decimal::from(10_000))
                    }
                    FieldType::Boolean => Gen::Boolean,
                    FieldType::Enum(v) => Gen::Enum(v.clone()),
                    FieldType::SetOfEnum(v) => Gen::SetOfEnum(v.clone()),
                    FieldType::SetOfText => Gen::SetOfText,
                    FieldType::Text => Gen::Text,
                };
                FieldGen {
                    name: f.name.clone(),
                    required: f.required,
                    make,
                }
            })
            .collect();
        Generator {
            random: Random::new(seed),
            fields,
            symbols: rules.symbols.iter().cloned().collect(),
        }
    }

    /// The profile at `index` (from 0); profiles must be made in order.
    fn profile(&mut self, index: u64) -> Value {
        let mut map = serde_json::Map::new();
        for f in &self.fields {
            if !f.required && !self.random.chance(PRESENT_PERCENT) {
                continue;
            }
            let r = &mut self.random;
            let v = match &f.make {
                Gen::Id => Value::String(format!("p-{:06}", index + 1)),
                Gen::Number { lo, hi, scale } => {
                    let units = r.between(*lo, *hi);
                    if *scale == 0 {
                        Value::from(units)
                    } else {
                        Decimal::new(units, *scale)
                            .to_string()
                            .parse::<serde_json::Number>()
                            .map_or(Value::Null, Value::Number)
                    }
                }
                Gen::Boolean => Value::Bool(r.chance(50)),
                Gen::Enum(values) => r.pick(values).cloned().map_or(Value::Null, Value::String),
                Gen::SetOfEnum(values) => subset(r, values),
                Gen::SetOfText => {
                    let mut set = subset(r, &self.symbols);
                    if r.chance(STRAY_TEXT_PERCENT) {
                        if let Value::Array(items) = &mut set {
                            items.push(Value::String(r.word()));
                        }
                    }
                    set
                }
                Gen::Text => {
                    // Half the time a string the rules mention, so that
                    // comparisons with text can hold.
                    match (r.chance(50), self.symbols.is_empty()) {
                        (true, false) => r
                            .pick(&self.symbols)
                            .cloned()
                            .map_or(Value::Null, Value::String),
                        _ => Value::String(r.word()),
                    }
                }
                Gen::Never => continue,
            };
            map.insert(f.name.clone(), v);
        }
        Value::Object(map)
    }
}

/// Each value with even odds: every subset equally likely.
fn subset(r: &mut Random, values: &[String]) -> Value {
    Value::Array(
        values
            .iter()
            .filter(|_| r.chance(50))
            .map(|s| Value::String(s.clone()))
            .collect(),
    )
}

/// How a numeric field's values are made: uniform over the declared range.
/// An open end becomes twice the distance to the largest number the rules
/// compare the field with (so `ed_visits_6m >= 4` on a field of at least 0
/// draws from 0 to 8 and the threshold sits in the middle), or `span` past
/// the other end when the rules compare it with none.
fn number(f: &Field, threshold: Option<Decimal>, scale: u32, span: Decimal) -> Gen {
    let open_hi = |lo: Decimal| match threshold {
        Some(t) if t > lo => (t - lo)
            .checked_mul(Decimal::TWO)
            .and_then(|d| d.checked_add(lo)),
        _ => lo.checked_add(span),
    };
    let (lo, hi) = match (f.min, f.max) {
        (Some(lo), Some(hi)) => (Some(lo), Some(hi)),
        (Some(lo), None) => (Some(lo), open_hi(lo)),
        (None, Some(hi)) => (hi.checked_sub(span), Some(hi)),
        (None, None) => (Some(Decimal::ZERO), open_hi(Decimal::ZERO)),
    };
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Gen::Never;
    };
    let (lo, hi) = (units(lo, scale, true), units(hi, scale, false));
    if hi < lo {
        return Gen::Never;
    }
    Gen::Number { lo, hi, scale }
}

/// A bound in units of `10^-scale`, rounded inwards, within ±10^12 so that
/// every scale up to 6 fits an `i64`.
fn units(d: Decimal, scale: u32, up: bool) -> i64 {
    let limit = Decimal::from(1_000_000_000_000_i64);
    let d = d.clamp(-limit, limit);
    let scaled = d
        .checked_mul(Decimal::from(10_i64.pow(scale.min(6))))
        .unwrap_or(d);
    let r = if up { scaled.ceil() } else { scaled.floor() };
    r.to_i64().unwrap_or(0)
}

/// For each field, the largest number the rules compare it with directly
/// (`field >= 4`, `4 <= field`, `field < parameter`).
fn thresholds(rules: &RuleSet) -> Vec<Option<Decimal>> {
    let mut out = vec![None; rules.fields.len()];
    let exprs = rules
        .defines
        .iter()
        .map(|d| &d.value)
        .chain(rules.programs.iter().map(|p| &p.eligible))
        .chain(
            rules
                .referrals
                .iter()
                .flat_map(|r| r.triggers.iter().map(|(_, e)| e)),
        )
        .chain(rules.warnings.iter().map(|w| &w.when));
    for e in exprs {
        walk(rules, e, &mut out);
    }
    out
}

/// Visits every comparison; depth is bounded by the checker's limits.
fn walk(rules: &RuleSet, e: &Expr, out: &mut [Option<Decimal>]) {
    match &e.kind {
        ExprKind::Cmp(_, a, b) => {
            for (f, other) in [(a, b), (b, a)] {
                if let (ExprKind::Field(slot), Some(d)) = (&f.kind, constant(rules, other)) {
                    if let Some(t) = out.get_mut(*slot) {
                        *t = Some(t.map_or(d, |t| t.max(d)));
                    }
                }
            }
            walk(rules, a, out);
            walk(rules, b, out);
        }
        ExprKind::Not(x) | ExprKind::Known(x, _) | ExprKind::Count(x) | ExprKind::Neg(x) => {
            walk(rules, x, out);
        }
        ExprKind::And(xs) | ExprKind::Or(xs) | ExprKind::Call(_, xs) => {
            for x in xs {
                walk(rules, x, out);
            }
        }
        ExprKind::In(a, b) | ExprKind::Has(a, _, b) | ExprKind::Arith(_, a, b) => {
            walk(rules, a, out);
            walk(rules, b, out);
        }
        _ => {}
    }
}

/// A number the rules fix: a literal, or a parameter.
fn constant(rules: &RuleSet, e: &Expr) -> Option<Decimal> {
    match &e.kind {
        ExprKind::Lit(Lit::Num(d)) => Some(*d),
        ExprKind::Neg(x) => constant(rules, x).map(|d| -d),
        ExprKind::Define(i) => rules
            .defines
            .get(*i)
            .filter(|d| d.is_parameter)
            .and_then(|d| constant(rules, &d.value)),
        _ => None,
    }
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

/// How often each outcome came out, over the profiles decided.
#[derive(Default)]
struct Tally {
    n: u64,
    /// Eligible, recommended, undetermined.
    programs: Vec<[u64; 3]>,
    /// Fired, urgent, routine, undetermined.
    referrals: Vec<[u64; 4]>,
    /// Raised, undetermined.
    warnings: Vec<[u64; 2]>,
}

impl Tally {
    fn new(rules: &RuleSet) -> Tally {
        Tally {
            n: 0,
            programs: vec![[0; 3]; rules.programs.len()],
            referrals: vec![[0; 4]; rules.referrals.len()],
            warnings: vec![[0; 2]; rules.warnings.len()],
        }
    }

    fn add(&mut self, d: &Decision) {
        self.n += 1;
        for (i, (c, t)) in self.programs.iter_mut().zip(&d.programs).enumerate() {
            let [eligible, recommended, undetermined] = c;
            *eligible += u64::from(*t == Truth::True);
            *recommended += u64::from(d.recommended == Some(i));
            *undetermined += u64::from(*t == Truth::Unknown);
        }
        for (c, (p, t)) in self
            .referrals
            .iter_mut()
            .zip(d.referrals.iter().zip(&d.referral_truth))
        {
            let [fired, urgent, routine, undetermined] = c;
            *fired += u64::from(p.is_some());
            *urgent += u64::from(*p == Some(Priority::Urgent));
            *routine += u64::from(*p == Some(Priority::Routine));
            *undetermined += u64::from(*t == Truth::Unknown);
        }
        for (c, t) in self.warnings.iter_mut().zip(&d.warnings) {
            let [raised, undetermined] = c;
            *raised += u64::from(*t == Truth::True);
            *undetermined += u64::from(*t == Truth::Unknown);
        }
    }

    fn share(&self, count: u64) -> Share {
        Share::of(count, self.n)
    }
}

/// The run over the primary rule set.
struct Bench<'a> {
    engine: &'a Engine,
    ctx: Option<&'a Caseloads>,
    tally: Tally,
    rejected: u64,
    evaluation_errors: u64,
    problems: Vec<Problem>,
    latencies: Vec<u64>,
    decide_time: Duration,
    evaluate_time: Duration,
    evaluated_reports: u64,
}

impl<'a> Bench<'a> {
    fn new(engine: &'a Engine, ctx: Option<&'a Caseloads>, total: u64) -> Bench<'a> {
        Bench {
            engine,
            ctx,
            tally: Tally::new(engine.rules()),
            rejected: 0,
            evaluation_errors: 0,
            problems: Vec::new(),
            latencies: Vec::with_capacity(usize::try_from(total).unwrap_or(0)),
            decide_time: Duration::ZERO,
            evaluate_time: Duration::ZERO,
            evaluated_reports: 0,
        }
    }

    fn problem(&mut self, at: At, client: Option<String>, error: String) {
        if self.problems.len() < EXAMPLES {
            self.problems.push(Problem::new(at, client, error));
        }
    }

    /// Reads a chunk (not timed), decides each profile (each call timed),
    /// evaluates each into a report (the loop timed), counts, compares.
    fn chunk(&mut self, chunk: &[Entry], mut compare: Option<&mut Compare<'_>>) {
        let engine = self.engine;
        let mut read: Vec<(At, &Value, Profile)> = Vec::with_capacity(chunk.len());
        for e in chunk {
            match &e.value {
                Err(msg) => {
                    self.rejected += 1;
                    self.problem(e.at, None, msg.clone());
                }
                Ok(v) => match engine.profile(v) {
                    Ok(p) => read.push((e.at, v, p)),
                    Err(err) => {
                        self.rejected += 1;
                        self.problem(e.at, None, err.to_string());
                    }
                },
            }
        }

        let mut decisions = Vec::with_capacity(read.len());
        let start = Instant::now();
        for (_, _, p) in &read {
            let t = Instant::now();
            let d = engine.decide(p, self.ctx);
            let ns = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.latencies.push(ns);
            decisions.push(d);
        }
        self.decide_time += start.elapsed();

        let start = Instant::now();
        for (_, _, p) in &read {
            let _ = std::hint::black_box(engine.evaluate(std::hint::black_box(p), self.ctx));
        }
        self.evaluate_time += start.elapsed();
        self.evaluated_reports += read.len() as u64;

        for ((at, v, p), d) in read.iter().zip(decisions) {
            match d {
                Ok(d) => {
                    self.tally.add(&d);
                    if let Some(c) = compare.as_deref_mut() {
                        c.add(*at, v, &d);
                    }
                }
                Err(err) => {
                    self.evaluation_errors += 1;
                    self.problem(*at, p.client.clone(), err.to_string());
                }
            }
        }
    }

    fn output(
        mut self,
        rules_dir: Option<&str>,
        kind: PopulationKind,
        total: u64,
        compare: Option<Compare<'_>>,
        compare_dir: Option<&str>,
    ) -> Output {
        let rules = self.engine.rules();
        let t = &self.tally;
        let programs = rules
            .programs
            .iter()
            .zip(&t.programs)
            .map(|(p, [e, r, u])| ProgramOut {
                id: p.meta.id.clone(),
                eligible: t.share(*e),
                recommended: t.share(*r),
                undetermined: t.share(*u),
                caseload_limit: p.caseload_limit,
            })
            .collect();
        let referrals = rules
            .referrals
            .iter()
            .zip(&t.referrals)
            .map(|(r, [fired, urgent, routine, u])| {
                let mut by_priority = IndexMap::new();
                for (p, _) in &r.triggers {
                    let count = match p {
                        Priority::Urgent => *urgent,
                        Priority::Routine => *routine,
                    };
                    by_priority.insert(p.word(), t.share(count));
                }
                ReferralOut {
                    id: r.meta.id.clone(),
                    fired: t.share(*fired),
                    by_priority,
                    undetermined: t.share(*u),
                }
            })
            .collect();
        let warnings = rules
            .warnings
            .iter()
            .zip(&t.warnings)
            .map(|(w, [raised, u])| WarningOut {
                id: w.meta.id.clone(),
                severity: w.severity.word(),
                raised: t.share(*raised),
                undetermined: t.share(*u),
            })
            .collect();
        let caseload_demand = rules
            .programs
            .iter()
            .zip(&t.programs)
            .filter_map(|(p, [_, r, _])| {
                let limit = p.caseload_limit?;
                Some(DemandOut {
                    program: p.meta.id.clone(),
                    caseload_limit: limit,
                    recommended: *r,
                    case_managers: case_managers(limit, *r)?,
                })
            })
            .collect();

        self.latencies.sort_unstable();
        let percentile = |q: u64| -> u64 {
            let n = self.latencies.len() as u64;
            let rank = (q * n).div_ceil(100).max(1);
            self.latencies
                .get(usize::try_from(rank - 1).unwrap_or(0))
                .copied()
                .unwrap_or(0)
        };
        let decided = self.latencies.len() as u64;
        let timing = TimingOut {
            threads: 1,
            decide: DecideOut {
                profiles: decided,
                seconds: seconds(self.decide_time),
                profiles_per_second: per_second(decided, self.decide_time),
                latency_ns: Latency {
                    p50: percentile(50),
                    p90: percentile(90),
                    p99: percentile(99),
                    max: self.latencies.last().copied().unwrap_or(0),
                },
            },
            evaluate: EvaluateOut {
                profiles: self.evaluated_reports,
                seconds: seconds(self.evaluate_time),
                profiles_per_second: per_second(self.evaluated_reports, self.evaluate_time),
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
                rejected: self.rejected,
                evaluation_errors: self.evaluation_errors,
                evaluated: self.tally.n,
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

/// Clients recommended over a caseload limit, rounded up: the case managers
/// needed. `None` for a limit of 0, which no number of them meets.
fn case_managers(limit: u64, recommended: u64) -> Option<u64> {
    (limit > 0).then(|| recommended.div_ceil(limit))
}

// ---------------------------------------------------------------------------
// Comparing with a second rule set.

/// The outcomes of one kind in either rule set, by id: where each is in the
/// base rule set and in the compared one.
struct Ids {
    ids: Vec<String>,
    base: Vec<Option<usize>>,
    other: Vec<Option<usize>>,
}

impl Ids {
    fn new(base: &[&str], other: &[&str]) -> Ids {
        let mut ids: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        for id in other {
            if !ids.iter().any(|x| x == id) {
                ids.push(id.to_string());
            }
        }
        let at = |list: &[&str], id: &str| list.iter().position(|x| *x == id);
        Ids {
            base: ids.iter().map(|id| at(base, id)).collect(),
            other: ids.iter().map(|id| at(other, id)).collect(),
            ids,
        }
    }

    fn present(&self, i: usize) -> &'static str {
        match (self.base.get(i), self.other.get(i)) {
            (Some(Some(_)), Some(Some(_))) => "both",
            (Some(Some(_)), _) => "base",
            _ => "compared",
        }
    }
}

/// Gains and losses of one outcome.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Change {
    gained: u64,
    lost: u64,
}

impl Change {
    fn add(&mut self, before: bool, after: bool) {
        self.gained += u64::from(!before && after);
        self.lost += u64::from(before && !after);
    }

    fn is_zero(&self) -> bool {
        self.gained == 0 && self.lost == 0
    }
}

/// The run of the same population through a second rule set.
struct Compare<'a> {
    base: &'a Engine,
    other: &'a Engine,
    ctx: Option<&'a Caseloads>,
    programs: Ids,
    referrals: Ids,
    warnings: Ids,
    compared: u64,
    rejected: u64,
    evaluation_errors: u64,
    problems: Vec<Problem>,
    /// Per program id: eligibility, recommendation.
    program_changes: Vec<[Change; 2]>,
    /// Per program id: recommended under the base, under the compared.
    recommended: Vec<[u64; 2]>,
    /// Per referral id: fired; made more urgent, less urgent.
    referral_changes: Vec<(Change, u64, u64)>,
    warning_changes: Vec<Change>,
}

impl<'a> Compare<'a> {
    fn new(base: &'a Engine, other: &'a Engine, ctx: Option<&'a Caseloads>) -> Compare<'a> {
        let (b, o) = (base.rules(), other.rules());
        let ids = |it: &mut dyn Iterator<Item = &'a careplan::ir::Meta>| -> Vec<&'a str> {
            it.map(|m| m.id.as_str()).collect()
        };
        let programs = Ids::new(
            &ids(&mut b.programs.iter().map(|p| &p.meta)),
            &ids(&mut o.programs.iter().map(|p| &p.meta)),
        );
        let referrals = Ids::new(
            &ids(&mut b.referrals.iter().map(|r| &r.meta)),
            &ids(&mut o.referrals.iter().map(|r| &r.meta)),
        );
        let warnings = Ids::new(
            &ids(&mut b.warnings.iter().map(|w| &w.meta)),
            &ids(&mut o.warnings.iter().map(|w| &w.meta)),
        );
        Compare {
            base,
            other,
            ctx,
            program_changes: vec![[Change::default(); 2]; programs.ids.len()],
            recommended: vec![[0; 2]; programs.ids.len()],
            referral_changes: vec![(Change::default(), 0, 0); referrals.ids.len()],
            warning_changes: vec![Change::default(); warnings.ids.len()],
            programs,
            referrals,
            warnings,
            compared: 0,
            rejected: 0,
            evaluation_errors: 0,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, at: At, client: Option<String>, error: String) {
        if self.problems.len() < EXAMPLES {
            self.problems.push(Problem::new(at, client, error));
        }
    }

    /// Reads the same profile against the second schema and decides it.
    fn add(&mut self, at: At, value: &Value, base: &Decision) {
        let p = match self.other.profile(value) {
            Ok(p) => p,
            Err(e) => {
                self.rejected += 1;
                self.problem(at, None, e.to_string());
                return;
            }
        };
        let other = match self.other.decide(&p, self.ctx) {
            Ok(d) => d,
            Err(e) => {
                self.evaluation_errors += 1;
                self.problem(at, p.client.clone(), e.to_string());
                return;
            }
        };
        self.compared += 1;
        let truth = |v: &[Truth], i: Option<&Option<usize>>| {
            i.copied()
                .flatten()
                .and_then(|i| v.get(i))
                .is_some_and(|t| *t == Truth::True)
        };
        let recommended = |d: &Decision, i: Option<&Option<usize>>| {
            i.copied()
                .flatten()
                .is_some_and(|i| d.recommended == Some(i))
        };
        for (i, (changes, counts)) in self
            .program_changes
            .iter_mut()
            .zip(self.recommended.iter_mut())
            .enumerate()
        {
            let (b, o) = (self.programs.base.get(i), self.programs.other.get(i));
            let [eligible, rec] = changes;
            eligible.add(truth(&base.programs, b), truth(&other.programs, o));
            let (rb, ro) = (recommended(base, b), recommended(&other, o));
            rec.add(rb, ro);
            counts[0] += u64::from(rb);
            counts[1] += u64::from(ro);
        }
        let priority = |d: &Decision, i: Option<&Option<usize>>| {
            i.copied()
                .flatten()
                .and_then(|i| d.referrals.get(i).copied().flatten())
        };
        for (i, (fired, up, down)) in self.referral_changes.iter_mut().enumerate() {
            let pb = priority(base, self.referrals.base.get(i));
            let po = priority(&other, self.referrals.other.get(i));
            fired.add(pb.is_some(), po.is_some());
            if let (Some(pb), Some(po)) = (pb, po) {
                *up += u64::from(po > pb);
                *down += u64::from(po < pb);
            }
        }
        for (i, c) in self.warning_changes.iter_mut().enumerate() {
            c.add(
                truth(&base.warnings, self.warnings.base.get(i)),
                truth(&other.warnings, self.warnings.other.get(i)),
            );
        }
    }

    fn output(self, dir: Option<&str>) -> CompareOut {
        let (b, o) = (self.base.rules(), self.other.rules());
        let limit = |rules: &RuleSet, i: Option<&Option<usize>>| {
            i.copied()
                .flatten()
                .and_then(|i| rules.programs.get(i))
                .map(|p| p.caseload_limit)
        };
        let mut programs = Vec::new();
        let mut caseload_demand = Vec::new();
        for (i, (id, ([eligible, recommended], [rb, ro]))) in self
            .programs
            .ids
            .iter()
            .zip(self.program_changes.iter().zip(&self.recommended))
            .enumerate()
        {
            programs.push(ProgramChange {
                id: id.clone(),
                present: self.programs.present(i),
                eligible: *eligible,
                recommended: *recommended,
            });
            let lb = limit(b, self.programs.base.get(i));
            let lo = limit(o, self.programs.other.get(i));
            if !matches!(lb, Some(Some(_))) && !matches!(lo, Some(Some(_))) {
                continue;
            }
            // Absent from a rule set: nobody there, no case managers. Present
            // without a limit: the number is not known.
            let side = |l: Option<Option<u64>>, n: u64| match l {
                None => (None, Some(0)),
                Some(None) => (None, None),
                Some(Some(l)) => {
                    let cms = case_managers(l, n);
                    let side = cms.map(|c| DemandSide {
                        caseload_limit: l,
                        recommended: n,
                        case_managers: c,
                    });
                    (side, cms)
                }
            };
            let (base, cb) = side(lb, *rb);
            let (compared, co) = side(lo, *ro);
            let change = match (cb, co) {
                (Some(cb), Some(co)) => Some(co as i64 - cb as i64),
                _ => None,
            };
            caseload_demand.push(DemandChange {
                program: id.clone(),
                base,
                compared,
                change,
            });
        }
        let referrals = self
            .referrals
            .ids
            .iter()
            .zip(&self.referral_changes)
            .enumerate()
            .map(|(i, (id, (c, up, down)))| ReferralChange {
                id: id.clone(),
                present: self.referrals.present(i),
                gained: c.gained,
                lost: c.lost,
                more_urgent: *up,
                less_urgent: *down,
            })
            .collect();
        let warnings = self
            .warnings
            .ids
            .iter()
            .zip(&self.warning_changes)
            .enumerate()
            .map(|(i, (id, c))| WarningChange {
                id: id.clone(),
                present: self.warnings.present(i),
                gained: c.gained,
                lost: c.lost,
            })
            .collect();
        CompareOut {
            rules: RulesOut::new(dir, self.other),
            profiles: self.compared,
            rejected: self.rejected,
            evaluation_errors: self.evaluation_errors,
            errors: self.problems,
            programs,
            referrals,
            warnings,
            caseload_demand,
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
struct DemandSide {
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

#[derive(Serialize)]
struct DemandChange {
    program: String,
    /// Over the compared profiles, under the base rule set.
    base: Option<DemandSide>,
    compared: Option<DemandSide>,
    change: Option<i64>,
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
    fn the_generator_is_fixed_for_a_seed() {
        // ChaCha8 keyed with the seed: if these change, so does every
        // population a user has benchmarked.
        let mut r = Random::new(1);
        let first: Vec<u64> = (0..3).map(|_| r.below(1000)).collect();
        assert_eq!(first, [407, 230, 458]);
        let mut other = Random::new(2);
        let second: Vec<u64> = (0..3).map(|_| other.below(1000)).collect();
        assert_ne!(first, second);
    }

    #[test]
    fn between_stays_in_range() {
        let mut r = Random::new(7);
        for _ in 0..1000 {
            let x = r.between(-3, 3);
            assert!((-3..=3).contains(&x));
        }
        assert_eq!(r.between(5, 5), 5);
        assert_eq!(r.between(5, 4), 5);
        let _ = r.between(i64::MIN, i64::MAX);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
