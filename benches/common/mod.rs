//! What the benchmarks share: seeded generators of profiles, and timing
//! helpers for the tables the benchmarks print before criterion runs.
//!
//! Profiles made from a rule set's schema come from the library
//! (`careplan::harness::population`, as `careplan bench` makes them). The
//! generators here are not schema-driven on purpose, and stay fixed so that
//! benchmark numbers stay comparable from run to run and version to version:
//! the peer comparison needs every field present and planted boundary
//! values that hand-written Rust and rhai must also get right, and the
//! reference benchmarks want realistic distributions (ages, incomes,
//! diagnoses) with absent and `null` fields, which a generator driven only
//! by the schema's ranges does not give.
//!
//! Every benchmark uses only some of this, hence the `dead_code` allowance.

#![allow(dead_code, reason = "each benchmark uses a part of the shared code")]

use careplan::Engine;
use careplan::Report;
use careplan::{Decision, Truth};
use serde_json::{Map, Value, json};
use std::time::Instant;

/// splitmix64: small, fast, and the same sequence on every machine, so every
/// run benchmarks the same profiles. Kept (rather than the library's
/// ChaCha8 population stream) because changing it would change every
/// profile the peer and reference benchmarks have measured.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`, uniformly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index into cumulative-free `weights`, proportionally.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// A JSON number with exactly two decimals, `cents / 100`. The nearest
/// binary double prints back as the same decimal text (fewer than 16
/// significant digits), so careplan, rust_decimal and rhai all read the
/// exact decimal.
pub fn money(cents: i64) -> Value {
    json!(cents as f64 / 100.0)
}

/// Small, skewed counts: mostly 0 or 1, sometimes several.
fn visits(rng: &mut Rng) -> i64 {
    match rng.weighted(&[50, 20, 12, 8, 5, 3, 2]) {
        6 => rng.range(6, 12),
        k => k as i64,
    }
}

const DIAGNOSES: &[(&str, u64)] = &[
    ("serious_mental_illness", 28),
    ("substance_use_disorder", 22),
    ("ptsd", 14),
    ("diabetes", 15),
    ("depression", 22),
    ("anxiety", 20),
    ("hypertension", 18),
];

fn diagnoses(rng: &mut Rng) -> Vec<Value> {
    let mut out = Vec::new();
    for (name, percent) in DIAGNOSES {
        if rng.percent(*percent) {
            out.push(json!(name));
        }
    }
    // Case systems list diagnoses in no particular order.
    for i in (1..out.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

fn housing(rng: &mut Rng) -> &'static str {
    ["stable", "unstable", "homeless"][rng.weighted(&[60, 25, 15])]
}

fn age(rng: &mut Rng) -> i64 {
    match rng.weighted(&[5, 75, 15, 5]) {
        0 => rng.range(14, 17),
        1 => rng.range(18, 64),
        2 => rng.range(65, 84),
        _ => rng.range(85, 100),
    }
}

/// PHQ-9: mostly minimal to mild, a third moderate or worse.
fn phq9(rng: &mut Rng) -> i64 {
    match rng.weighted(&[35, 30, 27, 8]) {
        0 => rng.range(0, 4),
        1 => rng.range(5, 9),
        2 => rng.range(10, 19),
        _ => rng.range(20, 27),
    }
}

/// Monthly income in cents: a long tail, some zero.
fn income_cents(rng: &mut Rng) -> i64 {
    match rng.weighted(&[8, 40, 37, 15]) {
        0 => 0,
        1 => rng.range(10_000, 180_000),
        2 => rng.range(180_000, 450_000),
        _ => rng.range(450_000, 1_500_000),
    }
}

/// The Medicaid limit of the peer set, per month, in cents: 138% of
/// (15,650 + 5,500 per additional person) a year, which is always a whole
/// number of quarters a month.
fn peer_medicaid_limit_cents(household_size: i64) -> i64 {
    // 1.38 × (15650 + 5500 (h − 1)) = 21597 + 7590 (h − 1) dollars a year.
    (21_597 + 7_590 * (household_size - 1)) * 100 / 12
}

/// Profiles for the peer comparison: every field present, so careplan
/// (three-valued), hand-written Rust and rhai all compute the same plain
/// true/false answers. About 3% of the profiles sit exactly on a boundary
/// (income at the Medicaid limit, adherence at 0.8, PHQ-9 at 10, age at
/// 65, admissions at 2 or 3), where inexact arithmetic would answer wrong.
pub fn peer_profiles(n: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let household_size = 1 + visits(&mut rng).min(7);
            let mut income = income_cents(&mut rng);
            let mut adherence = rng.range(20, 100);
            let mut phq9 = phq9(&mut rng);
            let mut age = age(&mut rng);
            let mut admissions = visits(&mut rng);
            if rng.percent(3) {
                match rng.below(5) {
                    0 => income = peer_medicaid_limit_cents(household_size),
                    1 => adherence = 80,
                    2 => phq9 = 10,
                    3 => age = 65,
                    _ => admissions = rng.range(2, 3),
                }
            }
            json!({
                "age": age,
                "housing": housing(&mut rng),
                "diagnoses": diagnoses(&mut rng),
                "admissions_12m": admissions,
                "ed_visits_6m": visits(&mut rng),
                "phq9": phq9,
                "income_monthly": money(income),
                "household_size": household_size,
                "insured": rng.percent(70),
                "medication_adherence": money(adherence),
            })
        })
        .collect()
}

/// Profiles for the reference policy (`rules/client.rules`): realistic
/// values, and each field other than `id` absent about 6% of the time (and
/// `null` about 1%), so evaluation meets unknowns as it does in practice.
pub fn reference_profiles(n: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng::new(seed);
    let needs = [
        "social",
        "health",
        "vocational",
        "legal",
        "financial",
        "spiritual",
        "transportation",
        "housing",
        "food",
    ];
    (0..n)
        .map(|i| {
            let mut fields: Vec<(&str, Value)> = vec![
                ("age", json!(age(&mut rng))),
                ("housing", json!(housing(&mut rng))),
                ("diagnoses", Value::Array(diagnoses(&mut rng))),
                ("hospital_admissions_12m", json!(visits(&mut rng))),
                ("ed_visits_6m", json!(visits(&mut rng))),
                ("phq9", json!(phq9(&mut rng))),
                ("monthly_income", money(income_cents(&mut rng))),
                ("household_size", json!(1 + visits(&mut rng).min(7))),
                (
                    "insurance",
                    json!(
                        ["none", "medicaid", "medicare", "private"]
                            [rng.weighted(&[15, 30, 20, 35])]
                    ),
                ),
                ("medication_adherence", money(rng.range(20, 100))),
                (
                    "needs",
                    Value::Array(
                        needs
                            .iter()
                            .filter(|_| rng.percent(22))
                            .map(|s| json!(s))
                            .collect(),
                    ),
                ),
                (
                    "current_treatments",
                    Value::Array(
                        ["psychotherapy", "medication", "peer_support"]
                            .iter()
                            .filter(|_| rng.percent(35))
                            .map(|s| json!(s))
                            .collect(),
                    ),
                ),
                ("violence_risk", json!(rng.percent(5))),
                ("domestic_violence", json!(rng.percent(4))),
            ];
            let mut map = Map::new();
            map.insert("id".into(), json!(format!("c-{i:06}")));
            for (name, value) in fields.drain(..) {
                match rng.below(100) {
                    0..6 => {}
                    6 => {
                        map.insert(name.into(), Value::Null);
                    }
                    _ => {
                        map.insert(name.into(), value);
                    }
                }
            }
            Value::Object(map)
        })
        .collect()
}

/// Each profile as the bytes of one line of JSON.
pub fn to_bytes(values: &[Value]) -> Vec<Vec<u8>> {
    values
        .iter()
        .map(|v| serde_json::to_vec(v).expect("a JSON value serialises"))
        .collect()
}

/// Whether criterion was asked to benchmark (`cargo bench`), rather than to
/// run each benchmark once as a test (`cargo test --benches`,
/// `cargo bench -- --test`). The benchmarks size their data and skip their
/// own timing tables in test mode.
pub fn benchmarking() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

/// The criterion settings every benchmark uses: a second of warm-up,
/// three of measurement, `samples` samples.
pub fn config(samples: usize) -> criterion::Criterion {
    criterion::Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .sample_size(samples)
}

/// A case of `g` that takes one item per iteration, in turn from `n`
/// items (`f(i)` handles item `i`), so that criterion's time is the time
/// per item.
pub fn per_item<R>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    n: usize,
    mut f: impl FnMut(usize) -> R,
) {
    g.bench_function(name, |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % n;
            f(i)
        });
    });
}

/// The median of `reps` timings of `run`, which handles `items` items, in
/// nanoseconds per item.
pub fn median_ns_per_item(reps: usize, items: usize, mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_nanos() as f64 / items as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// `decide` and the report must say the same about every program, referral
/// and warning.
pub fn agree(engine: &Engine, d: &Decision, r: &Report, i: usize) {
    let programs: Vec<&str> = engine.programs().map(|p| p.id()).collect();
    let eligible: Vec<&str> = programs
        .iter()
        .zip(&d.programs)
        .filter(|(_, t)| **t == Truth::True)
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(
        eligible, r.eligible_programs,
        "profile {i}: eligible programs"
    );
    let recommended = d.recommended.map(|p| programs[p]);
    assert_eq!(
        recommended, r.recommended_program,
        "profile {i}: recommended program"
    );
    let referrals: Vec<(&str, _)> = engine
        .referrals()
        .zip(&d.referrals)
        .filter_map(|(rule, p)| p.map(|p| (rule.id(), p)))
        .collect();
    let reported: Vec<(&str, _)> = r.referrals.iter().map(|x| (x.id, x.priority)).collect();
    assert_eq!(referrals, reported, "profile {i}: referrals");
    let warnings: Vec<&str> = engine
        .warnings()
        .zip(&d.warnings)
        .filter(|(_, t)| **t == Truth::True)
        .map(|(w, _)| w.id())
        .collect();
    let reported: Vec<&str> = r.warnings.iter().map(|w| w.code).collect();
    assert_eq!(warnings, reported, "profile {i}: warnings");
    let unknown = d.programs.iter().filter(|t| **t == Truth::Unknown).count()
        + d.referral_truth
            .iter()
            .filter(|t| **t == Truth::Unknown)
            .count()
        + d.warnings.iter().filter(|t| **t == Truth::Unknown).count();
    assert_eq!(unknown, r.undetermined.len(), "profile {i}: undetermined");
}
