//! One engine shared by many threads gives the same bytes as one thread.
//!
//! The engine is immutable and `Send + Sync`; this checks the claim with
//! the reference policy and every profile (and context) of
//! `tests/reference/*.yaml`: 16 threads, each evaluating all of them in its
//! own order, must produce byte-identical report JSON (or the identical
//! error) to a single-threaded run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::Engine;
use serde_json::Value;

mod inputs;

const THREADS: usize = 16;

/// A report as JSON, or the error, as one string.
fn run(engine: &Engine, (profile, context): &(Value, Option<Value>)) -> String {
    match engine.evaluate_json(profile, context.as_ref()) {
        Ok(report) => report.to_json(),
        Err(e) => format!("error: {} / {}", e.field().unwrap_or_default(), e.message()),
    }
}

#[test]
fn sixteen_threads_match_one() {
    let engine = careplan::reference().unwrap();
    let inputs = inputs::reference();
    assert!(
        inputs.len() >= 300,
        "expected the full reference suite, found {}",
        inputs.len()
    );
    let expected: Vec<String> = inputs.iter().map(|i| run(&engine, i)).collect();
    assert!(
        expected.iter().any(|e| e.starts_with("error:"))
            && expected.iter().any(|e| e.starts_with('{')),
        "the suite should hold both reports and rejected inputs"
    );

    let results: Vec<Vec<(usize, String)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (engine, inputs) = (&engine, &inputs);
                s.spawn(move || {
                    // Each thread starts at a different case and walks
                    // forwards or backwards, so threads overlap on
                    // different inputs at the same time.
                    let n = inputs.len();
                    (0..n)
                        .map(|k| {
                            let i = if t % 2 == 0 {
                                (k + t * 17) % n
                            } else {
                                (n - 1 - k + t * 17) % n
                            };
                            (i, run(engine, &inputs[i]))
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    assert_eq!(results.len(), THREADS);
    for (t, got) in results.iter().enumerate() {
        assert_eq!(got.len(), expected.len(), "thread {t} ran every input");
        for (i, json) in got {
            assert!(
                json == &expected[*i],
                "thread {t}, input {i}: differs from the single-threaded run\n{json}\n{}",
                expected[*i]
            );
        }
    }
}
