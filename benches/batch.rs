//! JSON Lines batch throughput with the reference policy, single thread:
//! 10,000 lines in memory, and for each line what `careplan eval` does with
//! a `.jsonl` file and `--format json`: read the profile from the line's
//! bytes, then the full report (`--detail full`) or the lean one
//! (`--detail outcomes`) as JSON, one output line.
//! About 0.5% of the lines are rejected profiles (a value out of range),
//! written as an error object with the line number, as the CLI does. The
//! code timed is the library's batch scheduler itself, on one thread.
//!
//! ```sh
//! cargo bench --bench batch
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

use careplan::Engine;
use careplan::harness::batch::{self, Detail};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;

const LINES: usize = 10_000;
const TEST_LINES: usize = 200;
const SEED: u64 = 0x5EED_CA4E_0004;

/// The batch as one JSON Lines text; every 200th profile has an age out of
/// range, so it is rejected.
fn batch(n: usize) -> String {
    let mut text = String::new();
    for (i, mut v) in common::reference_profiles(n, SEED).into_iter().enumerate() {
        if i % 200 == 199 {
            v["age"] = json!(140);
        }
        text.push_str(&serde_json::to_string(&v).unwrap());
        text.push('\n');
    }
    text
}

/// Runs the batch through the library's scheduler
/// (`careplan::harness::batch`, what `careplan eval` runs), on one thread so
/// that the numbers are per core; returns how many lines were rejected.
fn run(engine: &Engine, text: &str, detail: Detail, out: &mut Vec<u8>) -> usize {
    out.clear();
    let options = batch::Options {
        caseloads: None,
        detail,
        threads: Some(1),
        as_of: None,
    };
    batch::run(engine, text.as_bytes(), options, &batch::Json, out)
        .unwrap()
        .failed
}

fn jsonl(c: &mut Criterion) {
    let bench = common::benchmarking();
    let n = if bench { LINES } else { TEST_LINES };
    let engine = careplan::reference().unwrap();
    let text = batch(n);
    let mut out = Vec::new();
    for (name, detail) in [("full", Detail::Full), ("outcomes", Detail::Outcomes)] {
        let failed = run(&engine, &text, detail, &mut out);
        assert_eq!(failed, n / 200, "the rejected lines are the planted ones");
        let lines: Vec<Value> = out
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(lines.len(), n, "one output line per input line");
        assert_eq!(
            lines[199]["line"], 200,
            "the first planted line is rejected"
        );
        assert!(
            lines[0]["recommended_program"].is_string()
                || lines[0]["recommended_program"].is_null()
        );
        eprintln!(
            "\nbatch ({name}): {n} lines, {} KiB in, {} KiB out, {failed} rejected",
            text.len() / 1024,
            out.len() / 1024
        );
        if bench {
            let ns = common::median_ns_per_item(3, n, || {
                black_box(run(&engine, &text, detail, &mut out));
            });
            eprintln!(
                "batch ({name}): {ns:.0} ns per line, {:.0} lines/s, {:.1} MB/s of input \
                 (one thread, median of 3 passes)",
                1e9 / ns,
                text.len() as f64 / n as f64 * 1e3 / ns,
            );
        }
    }

    let mut g = c.benchmark_group("batch");
    // One iteration is the whole batch: a fixed number of passes per sample.
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("jsonl_reference/full", |b| {
        b.iter(|| run(&engine, &text, Detail::Full, &mut out));
    });
    g.bench_function("jsonl_reference/outcomes", |b| {
        b.iter(|| run(&engine, &text, Detail::Outcomes, &mut out));
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config(10);
    targets = jsonl
}
criterion_main!(benches);
