//! Tables against plain conditions: the LACE readmission index (length of
//! stay, acuity, comorbidity, emergency visits) written three ways, each
//! with the same twelve rules over the points:
//! - `tables`: four lookup tables;
//! - `conditions`: the same points as definitions written with plain
//!   conditions (`if length_of_stay_days < 1 then 0 else if …`), the way
//!   the language says bands without tables: the equivalent rule set;
//! - `thresholds`: no points at all, each rule's test inverted by hand
//!   into a comparison of the field (`length_of_stay_days >= 7` for "L ≥
//!   5"), the fastest a rule set can be and the hardest baseline.
//!
//! All three decide the same outcomes for every profile (checked before
//! timing); the bench times `decide_into` per profile for each. The
//! target: tables within 1.5× of the equivalent rule set written as plain
//! conditions.
//!
//! ```sh
//! cargo bench --bench tables -- --warm-up-time 1 --measurement-time 3
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

use careplan::{Decision, Engine, LoadOptions, Profile};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

const PROFILES: usize = 10_000;
const TEST_PROFILES: usize = 500;
const SEED: u64 = 0x5EED_CA4E_7AB1;

const SCHEMA: &str = "schema {
  id: text
  length_of_stay_days: integer at least 0
  emergent_admission: boolean
  charlson: integer at least 0
  ed_visits: integer at least 0
}
";

/// LACE as tables (van Walraven et al., CMAJ 2010).
const TABLES: &str = "
table lace_l \"LACE: length of stay\" {
  input: length_of_stay_days
  0          -> 0
  1          -> 1
  2          -> 2
  3          -> 3
  4 to 6     -> 4
  7 to 13    -> 5
  14 or more -> 7
}

table lace_a \"LACE: acuity\" {
  input: emergent_admission
  true  -> 3
  false -> 0
}

table lace_c \"LACE: Charlson comorbidity index\" {
  input: charlson
  0         -> 0
  1         -> 1
  2         -> 2
  3         -> 3
  4 or more -> 5
}

table lace_e \"LACE: emergency visits in six months\" {
  input: ed_visits
  0         -> 0
  1         -> 1
  2         -> 2
  3         -> 3
  4 or more -> 4
}
";

/// LACE's points as definitions of plain conditions, band by band.
const CONDITIONS: &str = "
define lace_l \"LACE: length of stay\" {
  value: if length_of_stay_days < 1 then 0
    else if length_of_stay_days < 2 then 1
    else if length_of_stay_days < 3 then 2
    else if length_of_stay_days < 4 then 3
    else if length_of_stay_days < 7 then 4
    else if length_of_stay_days < 14 then 5
    else 7
}

define lace_a \"LACE: acuity\" {
  value: if emergent_admission then 3 else 0
}

define lace_c \"LACE: Charlson comorbidity index\" {
  value: if charlson < 4 then charlson else 5
}

define lace_e \"LACE: emergency visits in six months\" {
  value: min(ed_visits, 4)
}
";

/// How the rule set says the points.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Tables,
    Conditions,
    Thresholds,
}

/// The rules, with `{L}`, `{A}`, `{C}`, `{E}` standing for a test of each
/// component's points at the given threshold, filled in either way.
const RULES: &[(&str, &str)] = &[
    ("warning", "L5"),
    ("warning", "L7"),
    ("warning", "A3"),
    ("warning", "C3"),
    ("warning", "C5"),
    ("warning", "E2"),
    ("warning", "E4"),
    ("referral", "L5 and C3"),
    ("referral", "A3 and E2"),
    ("referral", "L4 and A3 and C2 and E1"),
    ("program", "L7 or C5 or E4"),
    ("program", "L1 and not A3"),
];

/// A component test as a table read (`lace_l >= 5`) or as the plain
/// comparison of the field that gives those points.
fn test(code: &str, form: Form) -> String {
    let (component, points) = code.split_at(1);
    let points: u32 = points.parse().unwrap();
    if form != Form::Thresholds {
        let t = match component {
            "L" => "lace_l",
            "A" => "lace_a",
            "C" => "lace_c",
            _ => "lace_e",
        };
        return format!("{t} >= {points}");
    }
    match component {
        // 4 points from 4 days, 5 from 7, 7 from 14; below 4, one a day.
        "L" => {
            let days = match points {
                0..=3 => points,
                4 => 4,
                5 | 6 => 7,
                _ => 14,
            };
            format!("length_of_stay_days >= {days}")
        }
        "A" => "emergent_admission".to_string(),
        // 5 points from 4; below, one each.
        "C" => format!("charlson >= {}", if points > 3 { 4 } else { points }),
        _ => format!("ed_visits >= {points}"),
    }
}

fn condition(rule: &str, form: Form) -> String {
    rule.split(' ')
        .map(|w| {
            if w.len() == 2 && w.starts_with(['L', 'A', 'C', 'E']) {
                test(w, form)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn rule_set(form: Form) -> String {
    let mut text = String::from(SCHEMA);
    match form {
        Form::Tables => text.push_str(TABLES),
        Form::Conditions => text.push_str(CONDITIONS),
        Form::Thresholds => {}
    }
    for (i, (kind, rule)) in RULES.iter().enumerate() {
        let c = condition(rule, form);
        text.push_str(&match *kind {
            "warning" => {
                format!("\nwarning w{i} {{\n  severity: info\n  message: \"m\"\n  when {c}\n}}\n")
            }
            "referral" => format!("\nreferral r{i} {{\n  routine when {c}\n}}\n"),
            _ => format!(
                "\nprogram p{i} {{\n  intensity: {i}\n  eligible when {c}\n  services: s\n}}\n"
            ),
        });
    }
    text
}

fn load(form: Form) -> Engine {
    let text = rule_set(form);
    careplan::load_sources(&[("lace.rules", text.as_str())], &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Profiles with realistic spreads, each field absent 5% of the time.
fn profiles(n: usize) -> Vec<Value> {
    let mut rng = common::Rng::new(SEED);
    (0..n)
        .map(|i| {
            let mut m = Map::new();
            m.insert("id".into(), json!(format!("c-{i}")));
            let mut put = |k: &str, v: Value, rng: &mut common::Rng| {
                if !rng.percent(5) {
                    m.insert(k.into(), v);
                }
            };
            let stay = rng.range(0, 30);
            put("length_of_stay_days", json!(stay), &mut rng);
            let emergent = rng.percent(60);
            put("emergent_admission", json!(emergent), &mut rng);
            let charlson = rng.range(0, 8);
            put("charlson", json!(charlson), &mut rng);
            let ed = rng.range(0, 6);
            put("ed_visits", json!(ed), &mut rng);
            Value::Object(m)
        })
        .collect()
}

fn tables(c: &mut Criterion) {
    let n = if common::benchmarking() {
        PROFILES
    } else {
        TEST_PROFILES
    };
    let with_tables = load(Form::Tables);
    let conditions = load(Form::Conditions);
    let thresholds = load(Form::Thresholds);
    let values = profiles(n);
    let read =
        |e: &Engine| -> Vec<Profile> { values.iter().map(|v| e.profile(v).unwrap()).collect() };
    let (pt, pc, ph) = (read(&with_tables), read(&conditions), read(&thresholds));
    for i in 0..n {
        let a = with_tables.decide(&pt[i], None).unwrap();
        let b = conditions.decide(&pc[i], None).unwrap();
        let h = thresholds.decide(&ph[i], None).unwrap();
        assert_eq!(
            a, b,
            "profile {i}: tables and conditions disagree\n{}",
            values[i]
        );
        assert_eq!(
            a, h,
            "profile {i}: tables and thresholds disagree\n{}",
            values[i]
        );
        assert_eq!(a, with_tables.decide_walking(&pt[i], None).unwrap());
    }
    eprintln!("\ntables: tables, conditions and thresholds decide alike on {n} profiles");

    let mut g = c.benchmark_group("lace");
    g.throughput(Throughput::Elements(1));
    let mut out = Decision::default();
    common::per_item(&mut g, "decide/tables", n, |i| {
        with_tables.decide_into(&pt[i], None, &mut out).unwrap();
    });
    common::per_item(&mut g, "decide/conditions", n, |i| {
        conditions.decide_into(&pc[i], None, &mut out).unwrap();
    });
    common::per_item(&mut g, "decide/thresholds", n, |i| {
        thresholds.decide_into(&ph[i], None, &mut out).unwrap();
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(20);
    targets = tables
}
criterion_main!(benches);
