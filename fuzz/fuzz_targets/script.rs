//! Function bodies built from the sandbox's whole API, run through the
//! loader and one evaluation: every call must end within the operation
//! budget, far below the wall-clock safety net (10 s), never as an internal
//! error, and without a large allocation (run with `-malloc_limit_mb`, which
//! `run.sh` sets, so one native call that takes more is a crash).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use std::time::{Duration, Instant};

/// The sandbox's registered functions and operators, and values to feed
/// them: each byte of the input picks one, so the fuzzer composes calls.
const WORDS: &[&str] = &[
    // values and variables (the parameters t, n, d, l; locals s, a, x)
    "t",
    "n",
    "d",
    "l",
    "s",
    "a",
    "x",
    "0",
    "1",
    "-1",
    "2",
    "7",
    "65536",
    "100000000",
    "9223372036854775807",
    "0.5",
    "2.25",
    "\"\"",
    "\"a\"",
    "\"ab\"",
    "'a'",
    "[]",
    "[1, 2]",
    "[\"a\", s]",
    "0..n",
    "0..100000",
    // operators
    " + ",
    " - ",
    " * ",
    " / ",
    " % ",
    " ** ",
    " == ",
    " < ",
    " && ",
    " || ",
    "!",
    " in ",
    // strings
    ".len()",
    ".pad(",
    ".replace(",
    ".split(",
    ".to_upper()",
    ".to_lower()",
    ".trim()",
    ".sub_string(",
    ".index_of(",
    ".contains(",
    ".to_chars()",
    ".to_blob()",
    ".bytes()",
    ".crop(",
    ".truncate(",
    ".remove(",
    ".append(",
    ".chars()",
    ".to_string()",
    ".to_debug()",
    ".starts_with(",
    ".ends_with(",
    ".make_upper()",
    ".split_rev(",
    // arrays
    ".push(",
    ".insert(",
    ".extract(",
    ".splice(",
    ".drain(",
    ".filter(",
    ".map(",
    ".zip(",
    ".reduce(",
    ".sort()",
    ".dedup()",
    ".reverse()",
    ".some(",
    ".all(",
    ".retain(",
    ".index_of(",
    ".find(",
    ".for_each(",
    ".chop(",
    ".shift()",
    ".pop()",
    ".order()",
    // numbers
    ".ceiling()",
    ".floor()",
    ".round(",
    ".sqrt()",
    ".exp()",
    ".ln()",
    ".log()",
    ".abs()",
    ".to_decimal()",
    ".to_int()",
    "parse_int(",
    "parse_decimal(",
    "range(",
    "max(",
    "min(",
    ".fraction()",
    ".to_hex()",
    // structure
    "(",
    ")",
    ", ",
    "|x| ",
    "|x, y| ",
    "; ",
    "{ ",
    " }",
    "let s = ",
    "let a = ",
    "let x = ",
    "s = ",
    "a = ",
    "s += ",
    "a += ",
    "for x in ",
    "while ",
    "if ",
    " else ",
    "loop { ",
    "break",
    "fn g(x) { ",
    "g(",
    "`${",
    "}`",
    "Fn(\"g\")",
    ".call(",
    "sleep(",
    "timestamp()",
    "blob(",
    "#{",
    "eval(",
    "throw ",
];

fuzz_target!(|data: &[u8]| {
    let body: String = data
        .iter()
        .map(|&b| {
            WORDS
                .get(usize::from(b) % WORDS.len())
                .copied()
                .unwrap_or("")
        })
        .collect();
    let text = format!(
        "schema {{\n  id: text required\n  t: text\n  n: integer\n  d: decimal\n  l: set of text\n}}\n\
         function f(t: text, n: integer, d: decimal, l: set of text) -> text {{\n  script: \"\"\"\n{}\n\"\"\"\n}}\n\
         referral r {{ routine when f(t, n, d, l) == \"x\" }}\n",
        body.replace("\"\"\"", "\" \"")
    );
    let Ok(engine) = careplan::load_sources(
        &[("fuzz.rules", text.as_str())],
        &careplan::LoadOptions::default(),
    ) else {
        return;
    };
    for profile in [
        json!({"id": "a", "t": "", "n": 0, "d": 0, "l": []}),
        json!({"id": "b", "t": "abc", "n": 7, "d": 2.5, "l": ["a", "bb"]}),
        json!({"id": "c", "t": "x".repeat(1000), "n": 100000, "d": 5.0, "l": vec!["x"; 100]}),
    ] {
        let start = Instant::now();
        let r = engine.evaluate_json(&profile, None);
        let took = start.elapsed();
        // Far below the safety net: a script within its budget takes
        // milliseconds; seconds would mean a native call ran long.
        assert!(took < Duration::from_secs(2), "took {took:?}: {body}");
        if let Err(e) = r {
            assert!(
                !matches!(e, careplan::EvalError::Internal { .. }),
                "{e}: {body}"
            );
        }
    }
});
