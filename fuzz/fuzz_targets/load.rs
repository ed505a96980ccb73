//! Arbitrary text as one rule file, through the whole loader (parse, check,
//! compile). When it loads, fixed profiles and contexts made for its schema
//! are evaluated and explained: none of it may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match careplan::load_sources(&[("fuzz.rules", text)], &careplan::LoadOptions::default()) {
        Ok(engine) => {
            let contexts = careplan_fuzz::contexts_for(&engine);
            for profile in careplan_fuzz::profiles_for(&engine) {
                for context in &contexts {
                    careplan_fuzz::exercise(&engine, &profile, context.as_ref());
                }
            }
        }
        Err(careplan::LoadError::Rules(diags)) => {
            assert!(!diags.is_empty(), "a failed load without a diagnostic");
            for d in &diags {
                let _ = d.to_string();
            }
        }
        Err(_) => {}
    }
});
