//! Arbitrary bytes as one rule file: the formatter and the loader must
//! answer with text or diagnostics, never panic, overflow the stack or hang.
//! What the formatter accepts it formats to a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Rule files are UTF-8; `load_dir` refuses other bytes before parsing.
    // Replacement characters keep the rest of the input useful.
    let text = String::from_utf8_lossy(data);
    let parsed = careplan::format::parse_source(&text).is_ok();
    match careplan::format::format_source(&text) {
        Ok(once) => {
            assert!(parsed, "formatted a file that does not parse");
            let twice = careplan::format::format_source(&once);
            assert_eq!(
                twice.as_deref().ok(),
                Some(once.as_str()),
                "formatting is not idempotent"
            );
        }
        Err(diags) => {
            assert!(!diags.is_empty(), "an error without a diagnostic");
            assert!(
                diags.iter().all(|d| d.code != "format-internal"),
                "the formatter gave up on a file it parsed: {diags:?}"
            );
        }
    }
    let _ = careplan_fuzz::load_one(&text);
});
