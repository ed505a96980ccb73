//! The peer comparison: ten care-plan rules (`benches/peers/peers.rules`)
//! computed by careplan, by hand-written Rust and by rhai, on the same
//! 100,000 generated profiles, in one run.
//!
//! Every field of every profile is present, so that careplan's three-valued
//! logic and the two-valued peers compute the same answers: the benchmark
//! first checks that careplan, hand-written Rust and rhai agree on all ten
//! outcomes of every profile, and stops if they do not. It then times each
//! implementation itself (median of 5 passes over all profiles) and prints
//! a table of nanoseconds per profile and ratios to stderr, before criterion
//! measures each one carefully.
//!
//! ```sh
//! cargo bench --bench peers
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

use careplan::{Decision, Truth};
use careplan::{Engine, LoadOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rhai::{AST, Dynamic, ImmutableString, Scope};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use std::hint::black_box;
use std::str::FromStr;

/// The profiles timed in `cargo bench`; a smaller set when criterion runs
/// the benchmarks once as tests.
const PROFILES: usize = 100_000;
const TEST_PROFILES: usize = 2_000;
const SEED: u64 = 0x5EED_CA4E_0001;

/// The ten outcomes, in the order of their bits (bit 0 is the first).
const OUTCOMES: [&str; 10] = [
    "icm_eligible",
    "act_eligible",
    "housing_referral",
    "substance_referral",
    "dual_diagnosis_warning",
    "behavioral_health_referral",
    "medicaid_referral",
    "med_support",
    "ptsd_adjunct_warning",
    "senior_services",
];

fn careplan_engine() -> Engine {
    careplan::load_sources(
        &[("peers.rules", include_str!("peers/peers.rules"))],
        &LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("benches/peers/peers.rules does not load:\n{e}"))
}

// ---------------------------------------------------------------------------
// careplan's answers as bits.

/// Where each of the ten outcomes is in a [`Decision`].
#[derive(Clone, Copy)]
enum Slot {
    Program(usize),
    Referral(usize),
    Warning(usize),
}

fn slots(engine: &Engine) -> [Slot; 10] {
    OUTCOMES.map(|name| {
        if let Some(i) = engine.programs().position(|p| p.id() == name) {
            Slot::Program(i)
        } else if let Some(i) = engine.referrals().position(|r| r.id() == name) {
            Slot::Referral(i)
        } else if let Some(i) = engine.warnings().position(|w| w.id() == name) {
            Slot::Warning(i)
        } else {
            panic!("peers.rules has no outcome `{name}`")
        }
    })
}

/// The ten outcomes as bits; panics on an unknown, which a profile with
/// every field present must never give.
fn careplan_bits(slots: &[Slot; 10], d: &Decision) -> u16 {
    let mut bits = 0;
    for (bit, slot) in slots.iter().enumerate() {
        let truth = match *slot {
            Slot::Program(i) => d.programs[i],
            Slot::Referral(i) => d.referral_truth[i],
            Slot::Warning(i) => d.warnings[i],
        };
        match truth {
            Truth::True => bits |= 1 << bit,
            Truth::False => {}
            Truth::Unknown => panic!("`{}` is unknown for a complete profile", OUTCOMES[bit]),
        }
    }
    bits
}

// ---------------------------------------------------------------------------
// Hand-written Rust.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Housing {
    Stable,
    Unstable,
    Homeless,
}

/// The profile as a typed struct, with exact decimals like careplan's,
/// read by rust_decimal's own serde support (its `arbitrary_precision`
/// reader, because serde_json keeps numbers' digits in this build).
#[derive(Debug, Clone, Deserialize)]
struct Typed {
    age: i64,
    housing: Housing,
    diagnoses: Vec<String>,
    admissions_12m: i64,
    ed_visits_6m: i64,
    phq9: i64,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    income_monthly: Decimal,
    household_size: i64,
    insured: bool,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    medication_adherence: Decimal,
}

fn handwritten(p: &Typed) -> u16 {
    let has = |d: &str| p.diagnoses.iter().any(|x| x == d);
    let smi = has("serious_mental_illness");
    let sud = has("substance_use_disorder");
    let icm = smi && (p.admissions_12m >= 2 || p.ed_visits_6m >= 4);
    let act = smi && p.admissions_12m >= 3 && p.housing != Housing::Stable;
    let housing = p.housing == Housing::Homeless
        || (p.housing == Housing::Unstable && p.income_monthly < Decimal::from(1500));
    let dual = icm && sud;
    let behavioral = p.phq9 >= 10;
    let limit = Decimal::new(138, 2) * Decimal::from(15_650 + 5_500 * (p.household_size - 1));
    let medicaid = !p.insured && p.income_monthly * Decimal::from(12) < limit;
    let med_support = p.medication_adherence < Decimal::new(8, 1) && (smi || has("diabetes"));
    let ptsd = has("ptsd") && !smi;
    let senior = p.age >= 65;
    pack([
        icm,
        act,
        housing,
        sud,
        dual,
        behavioral,
        medicaid,
        med_support,
        ptsd,
        senior,
    ])
}

/// The same profile with binary floating point for the two decimals: the
/// usual hand-written shortcut, not exact at the boundaries.
#[derive(Debug, Clone, Deserialize)]
struct TypedF64 {
    age: i64,
    housing: Housing,
    diagnoses: Vec<String>,
    admissions_12m: i64,
    ed_visits_6m: i64,
    phq9: i64,
    income_monthly: f64,
    household_size: i64,
    insured: bool,
    medication_adherence: f64,
}

fn handwritten_f64(p: &TypedF64) -> u16 {
    let has = |d: &str| p.diagnoses.iter().any(|x| x == d);
    let smi = has("serious_mental_illness");
    let sud = has("substance_use_disorder");
    let icm = smi && (p.admissions_12m >= 2 || p.ed_visits_6m >= 4);
    let act = smi && p.admissions_12m >= 3 && p.housing != Housing::Stable;
    let housing = p.housing == Housing::Homeless
        || (p.housing == Housing::Unstable && p.income_monthly < 1500.0);
    let limit = 1.38 * (15_650.0 + 5_500.0 * (p.household_size - 1) as f64);
    let medicaid = !p.insured && p.income_monthly * 12.0 < limit;
    pack([
        icm,
        act,
        housing,
        sud,
        icm && sud,
        p.phq9 >= 10,
        medicaid,
        p.medication_adherence < 0.8 && (smi || has("diabetes")),
        has("ptsd") && !smi,
        p.age >= 65,
    ])
}

fn pack(outcomes: [bool; 10]) -> u16 {
    outcomes
        .iter()
        .enumerate()
        .fold(0, |bits, (i, &b)| bits | (u16::from(b) << i))
}

/// Hand-written from a `Value`, by reference: serde's derived `Deserialize`
/// driven by `&Value` (serde_json implements `Deserializer` for it), so the
/// `Value` is not cloned; the diagnosis strings are copied into the struct.
fn handwritten_from_value(v: &Value) -> u16 {
    handwritten(&Typed::deserialize(v).unwrap())
}

/// Hand-written from JSON bytes: serde's derived `Deserialize` straight
/// into the typed struct.
fn handwritten_from_bytes(b: &[u8]) -> u16 {
    handwritten(&serde_json::from_slice::<Typed>(b).unwrap())
}

/// Hand-written from a `Value` the common way: `from_value(v.clone())`.
fn handwritten_from_value_clone(v: &Value) -> u16 {
    handwritten(&serde_json::from_value::<Typed>(v.clone()).unwrap())
}

// ---------------------------------------------------------------------------
// rhai: the ten rules as expressions, compiled once; per profile a scope
// filled from the `Value`, then each expression in order, its result pushed
// into the scope under the rule's name (rule 5 reads `icm_eligible`).
// rhai is built with `decimal` and `no_float`, so `0.8` and `1.38` are exact
// decimals. The engine is rhai's default one, without careplan's sandbox.

const RHAI_RULES: [&str; 10] = [
    r#""serious_mental_illness" in diagnoses && (admissions_12m >= 2 || ed_visits_6m >= 4)"#,
    r#""serious_mental_illness" in diagnoses && admissions_12m >= 3 && housing != "stable""#,
    r#"housing == "homeless" || (housing == "unstable" && income_monthly < 1500)"#,
    r#""substance_use_disorder" in diagnoses"#,
    r#"icm_eligible && "substance_use_disorder" in diagnoses"#,
    r#"phq9 >= 10"#,
    r#"!insured && income_monthly * 12 < 1.38 * (15650 + 5500 * (household_size - 1))"#,
    r#"medication_adherence < 0.8 && ("serious_mental_illness" in diagnoses || "diabetes" in diagnoses)"#,
    r#""ptsd" in diagnoses && !("serious_mental_illness" in diagnoses)"#,
    r#"age >= 65"#,
];

struct Rhai {
    engine: rhai::Engine,
    rules: Vec<AST>,
}

impl Rhai {
    fn new() -> Rhai {
        let engine = rhai::Engine::new();
        let rules = RHAI_RULES
            .iter()
            .map(|src| {
                engine
                    .compile_expression(src)
                    .unwrap_or_else(|e| panic!("rhai rule `{src}`: {e}"))
            })
            .collect();
        Rhai { engine, rules }
    }

    fn decide(&self, scope: &mut Scope<'static>, v: &Value) -> u16 {
        scope.clear();
        let o = v.as_object().unwrap();
        let int = |name: &str| o[name].as_i64().unwrap();
        let dec = |name: &str| Decimal::from_str(&o[name].to_string()).unwrap();
        scope.push("age", int("age"));
        scope.push(
            "housing",
            ImmutableString::from(o["housing"].as_str().unwrap()),
        );
        scope.push(
            "diagnoses",
            o["diagnoses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| Dynamic::from(ImmutableString::from(d.as_str().unwrap())))
                .collect::<rhai::Array>(),
        );
        scope.push("admissions_12m", int("admissions_12m"));
        scope.push("ed_visits_6m", int("ed_visits_6m"));
        scope.push("phq9", int("phq9"));
        scope.push("income_monthly", dec("income_monthly"));
        scope.push("household_size", int("household_size"));
        scope.push("insured", o["insured"].as_bool().unwrap());
        scope.push("medication_adherence", dec("medication_adherence"));
        let mut bits = 0;
        for (i, ast) in self.rules.iter().enumerate() {
            let b: bool = self
                .engine
                .eval_ast_with_scope(scope, ast)
                .unwrap_or_else(|e| panic!("rhai rule `{}`: {e}", RHAI_RULES[i]));
            bits |= u16::from(b) << i;
            scope.push(OUTCOMES[i], b);
        }
        bits
    }
}

// ---------------------------------------------------------------------------
// The data, the cross-check, and the table.

struct Data {
    engine: Engine,
    values: Vec<Value>,
    bytes: Vec<Vec<u8>>,
    profiles: Vec<careplan::Profile>,
    typed: Vec<Typed>,
    typed_f64: Vec<TypedF64>,
    rhai: Rhai,
}

fn data() -> Data {
    let n = if common::benchmarking() {
        PROFILES
    } else {
        TEST_PROFILES
    };
    let engine = careplan_engine();
    let values = common::peer_profiles(n, SEED);
    let bytes = common::to_bytes(&values);
    let profiles = values.iter().map(|v| engine.profile(v).unwrap()).collect();
    let typed = values
        .iter()
        .map(|v| Typed::deserialize(v).unwrap())
        .collect();
    let typed_f64 = values
        .iter()
        .map(|v| TypedF64::deserialize(v).unwrap())
        .collect();
    Data {
        engine,
        values,
        bytes,
        profiles,
        typed,
        typed_f64,
        rhai: Rhai::new(),
    }
}

/// careplan, hand-written Rust (from the struct and from the `Value`) and
/// rhai must give the same ten answers on every profile; the f64 variant is
/// only counted. Each outcome must be true for some profiles and false for
/// others, or the data would not exercise it.
fn cross_check(d: &Data) {
    let slots = slots(&d.engine);
    let mut scope = Scope::new();
    let mut fired = [0usize; 10];
    let mut f64_differs = 0;
    for (i, v) in d.values.iter().enumerate() {
        let expected = handwritten(&d.typed[i]);
        let from_value = careplan_bits(
            &slots,
            &d.engine
                .decide(&d.engine.profile(v).unwrap(), None)
                .unwrap(),
        );
        let preloaded = careplan_bits(&slots, &d.engine.decide(&d.profiles[i], None).unwrap());
        let from_bytes = careplan_bits(
            &slots,
            &d.engine
                .decide(&d.engine.profile_from_slice(&d.bytes[i]).unwrap(), None)
                .unwrap(),
        );
        let answers = [
            ("careplan from Value", from_value),
            ("careplan pre-loaded", preloaded),
            ("careplan from bytes", from_bytes),
            ("hand-written from Value", handwritten_from_value(v)),
            (
                "hand-written from bytes",
                handwritten_from_bytes(&d.bytes[i]),
            ),
            (
                "hand-written from Value (clone)",
                handwritten_from_value_clone(v),
            ),
            ("rhai", d.rhai.decide(&mut scope, v)),
        ];
        for (name, got) in answers {
            assert_eq!(
                got, expected,
                "{name} disagrees with hand-written Rust on profile {i} ({v}): \
                 got {got:010b}, expected {expected:010b} (bit 0 = {})",
                OUTCOMES[0]
            );
        }
        if handwritten_f64(&d.typed_f64[i]) != expected {
            f64_differs += 1;
        }
        for (bit, count) in fired.iter_mut().enumerate() {
            *count += usize::from(expected & (1 << bit) != 0);
        }
    }
    let n = d.values.len();
    eprintln!(
        "\npeers: careplan, hand-written Rust and rhai agree on all 10 outcomes of {n} profiles"
    );
    for (name, count) in OUTCOMES.iter().zip(fired) {
        assert!(
            count > 0 && count < n,
            "`{name}` is true for {count} of {n} profiles: the data does not exercise it"
        );
        eprintln!(
            "  {name:<28} true for {:5.1}%",
            100.0 * count as f64 / n as f64
        );
    }
    eprintln!(
        "  hand-written f64 variant: {f64_differs} of {n} profiles differ from the exact answers"
    );
}

/// Times each implementation over every profile, 5 times, and prints the
/// medians and the ratios.
fn table(d: &Data) {
    const REPS: usize = 5;
    let n = d.values.len();
    let e = &d.engine;
    let mut scope = Scope::new();
    let mut rows: Vec<(&str, f64)> = Vec::new();
    let mut time = |name, run: &mut dyn FnMut()| {
        rows.push((name, common::median_ns_per_item(REPS, n, run)));
    };
    // careplan writes each decision over one it keeps, as a batch would;
    // the hand-written code returns ten bits.
    let mut out = Decision::default();
    time("careplan, from Value (profile + decide_into)", &mut || {
        for v in &d.values {
            e.decide_into(&e.profile(v).unwrap(), None, &mut out)
                .unwrap();
            black_box(&out);
        }
    });
    time(
        "careplan, from bytes (profile_from_slice + decide_into)",
        &mut || {
            for b in &d.bytes {
                e.decide_into(&e.profile_from_slice(b).unwrap(), None, &mut out)
                    .unwrap();
                black_box(&out);
            }
        },
    );
    time("careplan, pre-loaded (decide_into)", &mut || {
        for p in &d.profiles {
            e.decide_into(p, None, &mut out).unwrap();
            black_box(&out);
        }
    });
    time("hand-written, typed (rust_decimal)", &mut || {
        for p in &d.typed {
            black_box(handwritten(black_box(p)));
        }
    });
    time("hand-written, typed (f64, inexact)", &mut || {
        for p in &d.typed_f64 {
            black_box(handwritten_f64(black_box(p)));
        }
    });
    time("hand-written, from bytes (serde derive)", &mut || {
        for b in &d.bytes {
            black_box(handwritten_from_bytes(b));
        }
    });
    time("hand-written, from Value (by reference)", &mut || {
        for v in &d.values {
            black_box(handwritten_from_value(v));
        }
    });
    time("hand-written, from Value (from_value(clone))", &mut || {
        for v in &d.values {
            black_box(handwritten_from_value_clone(v));
        }
    });
    time("rhai, from Value (scope + 10 ASTs)", &mut || {
        for v in &d.values {
            black_box(d.rhai.decide(&mut scope, v));
        }
    });
    let by_name = |name: &str| rows.iter().find(|r| r.0 == name).unwrap().1;
    let from_value = by_name("hand-written, from Value (by reference)");
    let typed = by_name("hand-written, typed (rust_decimal)");
    let from_bytes = by_name("hand-written, from bytes (serde derive)");
    eprintln!(
        "\npeers: ns per profile, median of {REPS} passes over {n} profiles \
         (Instant; criterion's own measurements follow)"
    );
    eprintln!(
        "  {:<56} {:>10} {:>15} {:>15} {:>11}",
        "implementation", "ns/profile", "/ hw from Value", "/ hw from bytes", "/ hw typed"
    );
    for (name, ns) in &rows {
        eprintln!(
            "  {name:<56} {ns:>10.0} {:>15.2} {:>15.2} {:>11.2}",
            ns / from_value,
            ns / from_bytes,
            ns / typed
        );
    }
    eprintln!();
}

// ---------------------------------------------------------------------------
// criterion.

fn peers(c: &mut Criterion) {
    let d = data();
    cross_check(&d);
    if common::benchmarking() {
        table(&d);
    }
    let n = d.values.len();
    let e = &d.engine;
    let mut g = c.benchmark_group("peers");
    // One iteration is one profile, taken in turn from the generated set,
    // so criterion's time is the time per profile.
    g.throughput(Throughput::Elements(1));
    let mut out = Decision::default();
    common::per_item(&mut g, "careplan/from_value", n, |i| {
        let p = e.profile(&d.values[i]).unwrap();
        e.decide_into(&p, None, &mut out).unwrap();
    });
    common::per_item(&mut g, "careplan/from_bytes", n, |i| {
        let p = e.profile_from_slice(&d.bytes[i]).unwrap();
        e.decide_into(&p, None, &mut out).unwrap();
    });
    common::per_item(&mut g, "careplan/preloaded", n, |i| {
        e.decide_into(&d.profiles[i], None, &mut out).unwrap();
    });
    common::per_item(&mut g, "handwritten/typed_decimal", n, |i| {
        handwritten(black_box(&d.typed[i]))
    });
    common::per_item(&mut g, "handwritten/typed_f64", n, |i| {
        handwritten_f64(black_box(&d.typed_f64[i]))
    });
    common::per_item(&mut g, "handwritten/from_bytes", n, |i| {
        handwritten_from_bytes(&d.bytes[i])
    });
    common::per_item(&mut g, "handwritten/from_value_by_ref", n, |i| {
        handwritten_from_value(&d.values[i])
    });
    common::per_item(&mut g, "handwritten/from_value_clone", n, |i| {
        handwritten_from_value_clone(&d.values[i])
    });
    let mut scope = Scope::new();
    common::per_item(&mut g, "rhai/from_value", n, |i| {
        d.rhai.decide(&mut scope, &d.values[i])
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(20);
    targets = peers
}
criterion_main!(benches);
