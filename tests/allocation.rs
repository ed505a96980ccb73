//! Deciding a profile allocates nothing once the thread's evaluation state
//! and the caller's `Decision` have grown to the rule set: counted by a
//! global allocator that wraps the system one. (This file is its own test
//! binary, so no other test's allocations are counted.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]
#![allow(
    unsafe_code,
    reason = "a counting global allocator must implement GlobalAlloc"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Allocations made by this thread while counting is on.
    static COUNT: Cell<Option<usize>> = const { Cell::new(None) };
}

fn note() {
    // `try_with`: the allocator may run while the thread-local is gone.
    let _ = COUNT.try_with(|c| {
        if let Some(n) = c.get() {
            c.set(Some(n + 1));
        }
    });
}

// SAFETY: every call is passed on unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations `f` makes on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(Some(0)));
    f();
    COUNT.with(|c| c.replace(None)).unwrap()
}

#[test]
fn deciding_allocates_nothing_after_the_first_profile() {
    let engine = careplan::reference().unwrap();
    let context = engine
        .caseloads(&serde_json::json!({"caseloads": {
            "intensive_case_management": {"cm-ana": 19, "cm-ben": 19},
            "standard_case_management": {"cm-cy": 31}
        }}))
        .unwrap();
    // Profiles that decide everything, leave things unknown, and reach the
    // caseload tests (which the program hands to the tree walker).
    let profiles: Vec<_> = [
        serde_json::json!({"id": "a", "age": 34, "housing": "homeless",
            "diagnoses": ["serious_mental_illness", "substance_use_disorder"],
            "hospital_admissions_12m": 2, "ed_visits_6m": 5, "phq9": 14,
            "monthly_income": 850, "household_size": 1, "insurance": "none",
            "medication_adherence": 0.65, "needs": ["housing", "food"],
            "current_treatments": ["medication"], "violence_risk": false,
            "domestic_violence": false}),
        serde_json::json!({"id": "b", "age": 70}),
        serde_json::json!({"id": "c"}),
    ]
    .iter()
    .map(|v| engine.profile(v).unwrap())
    .collect();
    let mut out = careplan::Decision::default();
    // The first round grows the state and `out`.
    for p in &profiles {
        engine.decide_into(p, Some(&context), &mut out).unwrap();
        engine.decide_into(p, None, &mut out).unwrap();
    }
    let n = allocations(|| {
        for _ in 0..100 {
            for p in &profiles {
                engine.decide_into(p, Some(&context), &mut out).unwrap();
                engine.decide_into(p, None, &mut out).unwrap();
            }
        }
    });
    assert_eq!(n, 0, "deciding 600 profiles allocated {n} times");
    // The counter counts: a full report allocates.
    let n = allocations(|| {
        engine.evaluate(&profiles[0], None).unwrap();
    });
    assert!(n > 0);
}

#[test]
fn the_number_and_unknown_forms_decide_without_allocating() {
    let rules = "schema {\n  a: decimal\n  b: decimal\n  p: boolean\n  q: boolean\n  \
                 s: set of {x, y, z}\n  d: integer default 2 because \"most have two\"\n}\n\
                 define v { value: round(min(a, b, 10) * 1.5, 1) + clamp(d, 0, 5) }\n\
                 program one {\n  intensity: 1\n  eligible when at least 2 of (p, q, v > 3) unless a > 100\n}\n\
                 warning w {\n  severity: info\n  when (if p then abs(a) else first known of (b, 0)) \
                 + weighted sum of s {x: 1, y: 2.5} > ceil(v, 1)\n  message: \"m\"\n}\n";
    let engine = careplan::load_sources(&[("n.rules", rules)], &Default::default()).unwrap();
    let profiles: Vec<_> = [
        serde_json::json!({"a": -3.25, "b": 7, "p": true, "q": false, "s": ["x", "y"]}),
        serde_json::json!({"b": 1, "q": true}),
        serde_json::json!({}),
    ]
    .iter()
    .map(|v| engine.profile(v).unwrap())
    .collect();
    let mut out = careplan::Decision::default();
    for p in &profiles {
        engine.decide_into(p, None, &mut out).unwrap();
    }
    let n = allocations(|| {
        for _ in 0..100 {
            for p in &profiles {
                engine.decide_into(p, None, &mut out).unwrap();
            }
        }
    });
    assert_eq!(n, 0, "deciding 300 profiles allocated {n} times");
}
