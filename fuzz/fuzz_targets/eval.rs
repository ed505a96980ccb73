//! Arbitrary bytes as JSON against the reference policy: as a profile
//! alone, with the example caseload context, and as its own context. A
//! two-element array is also tried as `[profile, context]`. Bad data must be
//! an `InputError`, never a panic; a report must serialise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Some(engine) = careplan_fuzz::reference() else {
        return;
    };
    let context = careplan_fuzz::reference_context();
    careplan_fuzz::exercise(engine, &value, None);
    careplan_fuzz::exercise(engine, &value, Some(&context));
    careplan_fuzz::exercise(engine, &value, Some(&value));
    if let Value::Array(pair) = &value {
        if let [profile, ctx] = pair.as_slice() {
            careplan_fuzz::exercise(engine, profile, Some(ctx));
        }
    }
});
