//! The reference policy (`careplan::reference()`, the rules in `rules/`)
//! per profile: the full report from a `Value` and from JSON bytes, and,
//! with the profile read beforehand, `decide_into` (outcomes only) and
//! `evaluate` (the full report); and from bytes, the lean `outcomes` report
//! as JSON (what `careplan eval --detail outcomes` writes per line).
//!
//! The profiles follow `rules/client.rules`, with each field other than
//! `id` absent about 6% of the time and `null` about 1%, so evaluation
//! meets unknowns as it does in practice. Before timing, the benchmark
//! checks that every profile reads and that `decide` and `evaluate` agree on
//! every outcome.
//!
//! ```sh
//! cargo bench --bench reference
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

use careplan::Decision;

use careplan::Profile;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const PROFILES: usize = 10_000;
const TEST_PROFILES: usize = 500;
const SEED: u64 = 0x5EED_CA4E_0002;

fn reference(c: &mut Criterion) {
    let n = if common::benchmarking() {
        PROFILES
    } else {
        TEST_PROFILES
    };
    let engine = careplan::reference().unwrap();
    let values = common::reference_profiles(n, SEED);
    let bytes = common::to_bytes(&values);
    let profiles: Vec<Profile> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            engine
                .profile(v)
                .unwrap_or_else(|e| panic!("profile {i} does not read: {e}\n{v}"))
        })
        .collect();
    let mut undetermined = 0;
    for (i, p) in profiles.iter().enumerate() {
        let d = engine.decide(p, None).unwrap();
        let r = engine.evaluate(p, None).unwrap();
        common::agree(&engine, &d, &r, i);
        undetermined += usize::from(!r.undetermined.is_empty());
    }
    let mean_bytes = bytes.iter().map(Vec::len).sum::<usize>() / n;
    eprintln!(
        "\nreference: decide and evaluate agree on {n} profiles ({mean_bytes} bytes of JSON \
         each on average); {:.1}% have something undetermined",
        100.0 * undetermined as f64 / n as f64
    );

    let e = &engine;
    let mut g = c.benchmark_group("reference");
    // One iteration is one profile, taken in turn from the generated set.
    g.throughput(Throughput::Elements(1));
    common::per_item(&mut g, "evaluate/from_value", n, |i| {
        e.evaluate_json(&values[i], None).unwrap()
    });
    common::per_item(&mut g, "evaluate/from_bytes", n, |i| {
        let p = e.profile_from_slice(&bytes[i]).unwrap();
        // The report borrows the profile, so it is dropped here, inside the
        // timing, with the profile.
        e.evaluate(&p, None).unwrap().referrals.len()
    });
    common::per_item(&mut g, "outcomes/from_bytes", n, |i| {
        let p = e.profile_from_slice(&bytes[i]).unwrap();
        serde_json::to_vec(&e.outcomes(&p, None).unwrap()).unwrap()
    });
    let mut out = Decision::default();
    common::per_item(&mut g, "decide/preloaded", n, |i| {
        e.decide_into(&profiles[i], None, &mut out).unwrap();
    });
    common::per_item(&mut g, "evaluate/preloaded", n, |i| {
        e.evaluate(&profiles[i], None).unwrap()
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(20);
    targets = reference
}
criterion_main!(benches);
