//! How cost grows with the size of a rule set: generated rule sets of 100,
//! 1,000 and 10,000 rules over a schema of 20 fields, timed to compile
//! (`load_sources`: parse, check, compile) and to `decide` one profile.
//!
//! The rules are written as text by a seeded generator, then loaded like
//! any rule set: about 74% referrals (routine, urgent, or both), 25%
//! warnings and 1% programs, each condition 2 to 5 comparisons of every
//! kind the language has (numbers, chained ranges, arithmetic, decimals,
//! booleans, enumerations, sets, `count`) joined by `and`/`or`, some
//! reading an earlier referral with `referred(…)`. They are split into files
//! of 1,000 rules. Profiles come from the library's population generator,
//! as `careplan bench` makes them; each field is absent 5% of the time.
//!
//! Before criterion runs, the benchmark prints a table of compile times and
//! decide times per profile for each size, with the growth from one size
//! to the next.
//!
//! ```sh
//! cargo bench --bench scale
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmark code: bad setup or a wrong answer should stop the run loudly"
)]
#![allow(
    missing_docs,
    reason = "criterion_group! makes a public function without documentation"
)]

mod common;

use careplan::Truth;
use careplan::harness::population::Generator;
use careplan::{Engine, LoadOptions, Profile};
use common::Rng;
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use serde_json::Value;
use std::fmt::Write;
use std::hint::black_box;
use std::time::Instant;

const SIZES: [usize; 3] = [100, 1_000, 10_000];
const RULES_PER_FILE: usize = 1_000;
const PROFILES: usize = 1_000;
const TEST_PROFILES: usize = 50;
const SEED: u64 = 0x5EED_CA4E_0003;

const INTS: usize = 8;
const DECIMALS: usize = 4;
const BOOLS: usize = 3;
const ENUMS: usize = 3;
const SETS: usize = 2;
const ENUM_VALUES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
const SET_VALUES: usize = 8;

/// The schema: 20 fields of every type.
fn schema() -> String {
    let mut s = String::from("schema {\n");
    for k in 0..INTS {
        writeln!(s, "  i{k}: integer between 0 and 100").unwrap();
    }
    for k in 0..DECIMALS {
        writeln!(s, "  d{k}: decimal between 0 and 1000").unwrap();
    }
    for k in 0..BOOLS {
        writeln!(s, "  b{k}: boolean").unwrap();
    }
    for k in 0..ENUMS {
        writeln!(s, "  e{k}: one of {{{}}}", ENUM_VALUES.join(", ")).unwrap();
    }
    let members: Vec<String> = (0..SET_VALUES).map(|v| format!("v{v}")).collect();
    for k in 0..SETS {
        writeln!(s, "  s{k}: set of {{{}}}", members.join(", ")).unwrap();
    }
    s.push_str("}\n");
    s
}

/// One comparison, valid against the schema; `referrals` are the ids of
/// the referrals written so far, which it may read.
fn comparison(rng: &mut Rng, referrals: &[String]) -> String {
    let int = |rng: &mut Rng| format!("i{}", rng.below(INTS as u64));
    match rng.below(12) {
        0..=2 => {
            let op = rng.pick(&[">=", "<", ">", "<=", "is", "is not"]);
            format!("{} {op} {}", int(rng), rng.range(0, 100))
        }
        3 => {
            let lo = rng.range(0, 80);
            format!("{lo} <= {} <= {}", int(rng), lo + rng.range(5, 40))
        }
        4 => format!("{} + {} > {}", int(rng), int(rng), rng.range(20, 180)),
        5 => {
            let op = rng.pick(&[">=", "<", ">", "<="]);
            let cents = rng.range(0, 100_000);
            format!(
                "d{} {op} {}.{:02}",
                rng.below(DECIMALS as u64),
                cents / 100,
                cents % 100
            )
        }
        6 => format!(
            "d{} * 12 < {}",
            rng.below(DECIMALS as u64),
            rng.range(100, 12_000)
        ),
        7 => {
            let b = rng.below(BOOLS as u64);
            match rng.below(3) {
                0 => format!("b{b}"),
                1 => format!("not b{b}"),
                _ => format!("b{b} is false"),
            }
        }
        8 => {
            let e = rng.below(ENUMS as u64);
            let v = rng.pick(&ENUM_VALUES);
            match rng.below(3) {
                0 => format!("e{e} is {v}"),
                1 => format!("e{e} is not {v}"),
                _ => {
                    let other = ENUM_VALUES
                        .iter()
                        .filter(|w| *w != v)
                        .nth(rng.below(3) as usize)
                        .unwrap();
                    format!("e{e} in {{{v}, {other}}}")
                }
            }
        }
        9 | 10 => {
            let s = rng.below(SETS as u64);
            let v = rng.below(SET_VALUES as u64);
            match rng.below(4) {
                0 => format!("v{v} in s{s}"),
                1 => format!(
                    "s{s} has any of {{v{v}, v{}}}",
                    (v + 1 + rng.below(SET_VALUES as u64 - 1)) % SET_VALUES as u64
                ),
                2 => format!("s{s} has none of {{v{v}}}"),
                _ => format!("count(s{s}) >= {}", rng.range(1, 4)),
            }
        }
        _ if !referrals.is_empty() => format!("referred({})", rng.pick(referrals)),
        _ => format!("{} >= 50", int(rng)),
    }
}

/// A condition of 2 to 5 comparisons joined by `and` and `or`, sometimes
/// with the first two in parentheses.
fn condition(rng: &mut Rng, referrals: &[String]) -> String {
    let n = rng.range(2, 5) as usize;
    let parts: Vec<String> = (0..n).map(|_| comparison(rng, referrals)).collect();
    let join = |rng: &mut Rng| if rng.percent(80) { " and " } else { " or " };
    let mut s = if n >= 3 && rng.percent(30) {
        format!("({}{}{})", parts[0], join(rng), parts[1])
    } else {
        format!("{}{}{}", parts[0], join(rng), parts[1])
    };
    for p in &parts[2..] {
        s.push_str(join(rng));
        s.push_str(p);
    }
    s
}

/// A rule set of `n` rules, as `(file name, text)` pairs: the schema, then
/// the rules in files of [`RULES_PER_FILE`].
fn rule_set(n: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng::new(seed);
    let mut files = vec![("schema.rules".to_string(), schema())];
    let mut referrals: Vec<String> = Vec::new();
    let mut intensity = 0;
    let mut text = String::new();
    for i in 0..n {
        match rng.below(100) {
            0 => {
                intensity += 1;
                writeln!(
                    text,
                    "program p{i} \"Program {i}\" {{\n  intensity: {intensity}\n  eligible when {}\n}}\n",
                    condition(&mut rng, &referrals)
                )
                .unwrap();
            }
            1..=25 => {
                let severity = rng.pick(&["info", "warning", "critical"]);
                writeln!(
                    text,
                    "warning w{i} \"Warning {i}\" {{\n  severity: {severity}\n  when {}\n  message: \"Generated warning {i}.\"\n}}\n",
                    condition(&mut rng, &referrals)
                )
                .unwrap();
            }
            _ => {
                let mut block = format!("referral r{i} \"Referral {i}\" {{\n");
                let which = rng.weighted(&[60, 25, 15]);
                if which >= 1 {
                    writeln!(block, "  urgent when {}", condition(&mut rng, &referrals)).unwrap();
                }
                if which <= 1 {
                    writeln!(block, "  routine when {}", condition(&mut rng, &referrals)).unwrap();
                }
                block.push_str("}\n");
                writeln!(text, "{block}").unwrap();
                referrals.push(format!("r{i}"));
            }
        }
        if (i + 1) % RULES_PER_FILE == 0 || i + 1 == n {
            let name = format!("rules_{:03}.rules", i / RULES_PER_FILE);
            files.push((name, std::mem::take(&mut text)));
        }
    }
    files
}

/// Profiles for the generated schema, made as `careplan bench` makes them
/// (`careplan::harness::population`: every value in its declared range,
/// each field absent 5% of the time), from the schema alone so that every
/// size decides the same population.
fn profiles(n: usize, seed: u64) -> Vec<Value> {
    let schema = load(&[("schema.rules".to_string(), schema())]);
    Generator::population(&schema, seed, n as u64)
}

fn load(files: &[(String, String)]) -> Engine {
    careplan::load_sources(files, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("a generated rule set does not load:\n{e}"))
}

struct Size {
    rules: usize,
    files: Vec<(String, String)>,
    engine: Engine,
    profiles: Vec<Profile>,
}

fn scale(c: &mut Criterion) {
    let bench = common::benchmarking();
    let n = if bench { PROFILES } else { TEST_PROFILES };
    let values = profiles(n, SEED);
    let sizes: Vec<Size> = SIZES
        .iter()
        .map(|&rules| {
            let files = rule_set(rules, SEED ^ rules as u64);
            let engine = load(&files);
            let profiles: Vec<Profile> = values.iter().map(|v| engine.profile(v).unwrap()).collect();
            // The generated rules must decide something: count what they
            // give, and check `decide` against the full report on a few.
            let (mut fired, mut unknown, mut total) = (0usize, 0usize, 0usize);
            for (i, p) in profiles.iter().enumerate() {
                let d = engine.decide(p, None).unwrap();
                if i < 20 {
                    common::agree(&engine, &d, &engine.evaluate(p, None).unwrap(), i);
                }
                for t in d.programs.iter().chain(&d.referral_truth).chain(&d.warnings) {
                    total += 1;
                    fired += usize::from(*t == Truth::True);
                    unknown += usize::from(*t == Truth::Unknown);
                }
            }
            let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
            eprintln!(
                "scale: {rules} rules ({} files, {} KiB): of the outcomes, {:.1}% true, {:.1}% unknown",
                files.len(),
                bytes / 1024,
                100.0 * fired as f64 / total as f64,
                100.0 * unknown as f64 / total as f64,
            );
            Size {
                rules,
                files,
                engine,
                profiles,
            }
        })
        .collect();

    if bench {
        eprintln!(
            "\nscale: compile = load_sources (median of 3); decide = ns per profile \
             (median of 5 passes over {n} profiles)"
        );
        eprintln!(
            "  {:>7} {:>12} {:>10} {:>14} {:>10} {:>14}",
            "rules", "compile ms", "growth", "decide ns", "growth", "ns/rule"
        );
        let mut last: Option<(f64, f64)> = None;
        for s in &sizes {
            let mut loads: Vec<f64> = (0..3)
                .map(|_| {
                    let start = Instant::now();
                    black_box(load(&s.files));
                    start.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            loads.sort_by(f64::total_cmp);
            let compile = loads[1];
            let decide = common::median_ns_per_item(5, n, || {
                for p in &s.profiles {
                    black_box(s.engine.decide(p, None).unwrap());
                }
            });
            let growth = |now: f64, before: Option<f64>| {
                before.map_or(String::from("-"), |b| format!("×{:.1}", now / b))
            };
            eprintln!(
                "  {:>7} {compile:>12.1} {:>10} {decide:>14.0} {:>10} {:>14.1}",
                s.rules,
                growth(compile, last.map(|l| l.0)),
                growth(decide, last.map(|l| l.1)),
                decide / s.rules as f64,
            );
            last = Some((compile, decide));
        }
        eprintln!();
    }

    let mut g = c.benchmark_group("scale_compile");
    // Loading 10,000 rules takes a while: a fixed number of loads per
    // sample, and the fewest samples criterion takes.
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    for s in &sizes {
        g.throughput(Throughput::Elements(s.rules as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(s.rules),
            &s.files,
            |b, files| {
                b.iter(|| load(files));
            },
        );
    }
    g.finish();

    let mut g = c.benchmark_group("scale_decide");
    // One iteration is one profile, taken in turn from the generated set.
    g.throughput(Throughput::Elements(1));
    for s in &sizes {
        g.bench_with_input(BenchmarkId::from_parameter(s.rules), s, |b, s| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % n;
                s.engine.decide(&s.profiles[i], None).unwrap()
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(20);
    targets = scale
}
criterion_main!(benches);
