//! Inputs that once crashed, hung or exhausted memory, and the limits that
//! now stop them.
//!
//! Two kinds of test live here:
//!
//! - **data files** in `tests/regressions/`: a fuzzer's crash input is kept
//!   there as it was found (`*.rules` through the formatter and the loader,
//!   `*.json` as a profile for the reference policy, `[profile, context]`
//!   for a two-element array), and every file runs on every `cargo test`;
//! - **generated inputs** for hangs that only show at a size no one wants
//!   to keep in git (a chain of 20,000 definitions): each is built here, and
//!   must finish within a deadline far above its linear cost, far below the
//!   quadratic cost it once had.
//!
//! See `docs/security.md` for the threat model behind them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

mod inputs;

use careplan::{Diagnostic, Engine, Limits, LoadError, LoadOptions};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// The deadline for each generated input. Fixed, each takes well under a
/// second in a release build and a few in a debug build; before the fix,
/// each took minutes or more.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread and fails the test if it does not finish by
/// [`DEADLINE`] (the thread is left behind; the test has failed anyway).
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(what.into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    match rx.recv_timeout(DEADLINE) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: still running after {DEADLINE:?}, as if it hung")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

fn load(text: &str) -> Result<Engine, LoadError> {
    careplan::load_sources(&[("r.rules", text)], &LoadOptions::default())
}

fn load_with(text: &str, limits: Limits) -> Result<Engine, LoadError> {
    careplan::load_sources(&[("r.rules", text)], &LoadOptions { limits })
}

fn diagnostics(r: Result<Engine, LoadError>) -> Vec<Diagnostic> {
    match r {
        Ok(_) => panic!("expected the rules to be rejected"),
        Err(LoadError::Io { path, message }) => {
            panic!("expected diagnostics, got {path}: {message}")
        }
        Err(LoadError::Rules(d)) => d,
        Err(e) => panic!("expected diagnostics, got {e}"),
    }
}

fn codes(d: &[Diagnostic]) -> Vec<&str> {
    d.iter().map(|d| d.code).collect()
}

// ------------------------------------------------------------- data files

/// Every kept crash input, run the way its fuzz target ran it.
#[test]
fn kept_crash_inputs_run_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let engine = careplan::reference().unwrap();
    let mut ran = 0;
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        match path.extension().and_then(|e| e.to_str()) {
            Some("rules") => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                within(&name, move || run_rule_file(&text));
            }
            Some("json") => {
                let value: Value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
                let engine = engine.clone();
                within(&name, move || run_profile(&engine, &value));
            }
            _ => continue,
        }
        ran += 1;
    }
    assert!(ran > 0, "no regression inputs in {}", dir.display());
}

/// What the `parse` and `load` fuzz targets do with a file.
fn run_rule_file(text: &str) {
    if let Ok(once) = careplan::format::format_source(text) {
        assert_eq!(
            careplan::format::format_source(&once).ok().as_deref(),
            Some(once.as_str()),
            "formatting is not idempotent"
        );
    }
    if let Ok(engine) = load(text) {
        let profile = json!({});
        let _ = engine.evaluate_json(&profile, None);
    }
}

/// What the `eval` fuzz target does with a JSON value.
fn run_profile(engine: &Engine, value: &Value) {
    let context = json!({"caseloads": {"intensive_case_management": {"cm-ana": 19}}});
    for ctx in [None, Some(&context), Some(value)] {
        if let Ok(report) = engine.evaluate_json(value, ctx) {
            let _ = report.to_json();
        }
    }
    if let Value::Array(pair) = value {
        if let [profile, ctx] = pair.as_slice() {
            let _ = engine.evaluate_json(profile, Some(ctx));
        }
    }
}

// ------------------------------------------------- hangs, now linear time

/// Definitions that each read the next, written first to last: the checker
/// settled their types in passes over what was left, one definition per
/// pass, so 20,000 took minutes. Now a worklist checks each once.
#[test]
fn definitions_in_reverse_order_check_in_linear_time() {
    let n = 12_000;
    let mut text = String::from("schema { x: integer }\n");
    for i in 0..n {
        writeln!(text, "define d{i} {{ value: d{} + 1 }}", i + 1).unwrap();
    }
    writeln!(text, "define d{n} {{ value: x }}").unwrap();
    writeln!(text, "program p {{ intensity: 1 eligible when d0 > {n} }}").unwrap();
    let engine = within("define chain", move || load(&text)).unwrap();
    let report = engine.evaluate_json(&json!({"x": 1}), None).unwrap();
    assert_eq!(report.eligible_programs, ["p"]);
}

/// Each program's intensity was compared with every program before it.
#[test]
fn many_programs_check_in_linear_time() {
    let n = 10_000;
    let mut text = String::from("schema { x: integer }\n");
    for i in 0..n {
        writeln!(
            text,
            "program p{i} {{ intensity: {i} eligible when x > {i} }}"
        )
        .unwrap();
    }
    // The duplicate is still found, and named against the first.
    writeln!(text, "program last {{ intensity: 7 eligible when x > 1 }}").unwrap();
    let d = diagnostics(within("many programs", move || load(&text)));
    assert_eq!(codes(&d), ["duplicate-intensity"]);
    assert!(d[0].message.contains("`p7` and `last`"), "{}", d[0].message);
}

/// A warning whose condition names every program: the dependency list was
/// searched for each name, and copied at each step of the ordering.
#[test]
fn a_condition_naming_thousands_of_outcomes_checks_in_linear_time() {
    let n = 5_000;
    let mut text = String::from("schema { x: integer }\n");
    for i in 0..n {
        writeln!(
            text,
            "program p{i} {{ intensity: {i} eligible when x > {i} }}"
        )
        .unwrap();
    }
    text.push_str("warning w { severity: info message: \"m\" when eligible(p0)");
    for i in 1..n {
        write!(text, " or eligible(p{i})").unwrap();
    }
    text.push_str(" }\n");
    let engine = within("outcome references", move || load(&text)).unwrap();
    let report = engine.evaluate_json(&json!({"x": 3}), None).unwrap();
    assert_eq!(report.warnings.len(), 1);
}

/// Services and set literals were de-duplicated by searching what was
/// kept so far.
#[test]
fn long_service_lists_and_set_literals_check_in_linear_time() {
    let n = 20_000;
    let mut text =
        String::from("schema { x: text }\nprogram p { intensity: 1 eligible when x in {\"a0\"");
    for i in 1..n {
        write!(text, ", \"a{i}\"").unwrap();
    }
    text.push_str(", \"a0\"} services: s0");
    for i in 1..n {
        write!(text, ", s{i}").unwrap();
    }
    text.push_str(" }\n");
    let engine = within("long lists", move || load(&text)).unwrap();
    let report = engine
        .evaluate_json(&json!({"x": format!("a{}", n - 1)}), None)
        .unwrap();
    assert_eq!(report.recommended_services.len(), n);
    let d = diagnostics(load(
        "schema { x: text }\nprogram p { intensity: 1 eligible when x in {\"a\"} services: s, t, s }",
    ));
    assert_eq!(codes(&d), ["duplicate-service"]);
}

/// 30,000 repeated clauses on one line gave 30,000 diagnostics, each with
/// a copy of the whole line: gigabytes from a 400 KB file. Now a load
/// reports at most `max_errors`, then says it stopped, and a snippet of a
/// long line is cut.
#[test]
fn errors_stop_at_the_limit_and_snippets_stay_short() {
    let mut text = String::from("program a { intensity: 1 eligible when true");
    for _ in 0..30_000 {
        text.push_str(" intensity: 1");
    }
    text.push_str(" }");
    let d = diagnostics(within("repeated clauses", move || load(&text)));
    let max = Limits::default().max_errors;
    assert_eq!(d.len(), max + 1);
    assert!(d[..max].iter().all(|d| d.code == "duplicate-clause"));
    let last = &d[max];
    assert_eq!(last.code, "too-many-errors");
    assert!(
        last.message.contains(&format!("more than {max} errors")),
        "{}",
        last.message
    );
    assert!(d.iter().all(|d| d.snippet.len() <= 1_000 + '…'.len_utf8()));
    assert!(d[0].snippet.ends_with('…'));
    // The location is still exact.
    assert_eq!((d[0].location.line, d[0].location.column), (1, 45));
}

/// Each unknown name was compared with every declared name (and the names
/// were sorted again for each): 20,000 of each took minutes. Now checking
/// stops after `max_errors`.
#[test]
fn unknown_names_stop_at_the_limit() {
    let n = 5_000;
    let mut text = String::from("schema { x: integer }\n");
    for i in 0..n {
        writeln!(text, "define d{i} {{ value: y{i} }}").unwrap();
    }
    let d = diagnostics(within("unknown names", move || load(&text)));
    assert_eq!(d.len(), Limits::default().max_errors + 1);
    assert_eq!(d[0].code, "unknown-name");
    assert_eq!(d[0].help.as_deref(), Some("did you mean `d0`?"));
}

/// A suggestion for a misspelt name compares it with every name; the cost
/// of one comparison is the product of the lengths, so two names of a
/// million characters took hours. Names longer than 64 characters get no
/// suggestion.
#[test]
fn long_names_get_no_suggestion() {
    let a = "a".repeat(1_000_000);
    let b = "b".repeat(1_000_000);
    let text = format!("schema {{ {a}: integer }}\ndefine d {{ value: {b} }}\n");
    let d = diagnostics(within("long names", move || load(&text)));
    assert_eq!(codes(&d), ["unknown-name"]);
    assert!(!d[0].help.as_deref().unwrap_or("").contains("did you mean"));
    // Short names still get one.
    let d = diagnostics(load("schema { phq9: integer }\ndefine d { value: phq8 }"));
    assert_eq!(d[0].help.as_deref(), Some("did you mean `phq9`?"));
}

/// A profile's list was de-duplicated by searching the members kept so
/// far: a list of 200,000 strings from a case system took minutes.
#[test]
fn a_profile_with_a_long_list_reads_in_linear_time() {
    let engine = load(
        "schema { s: set of text }\nprogram p { intensity: 1 eligible when \"m199999\" in s }",
    )
    .unwrap();
    let mut members: Vec<String> = (0..200_000).map(|i| format!("m{i}")).collect();
    members.push("m0".into());
    let profile = json!({ "s": members });
    let eligible = within("long list", move || {
        let report = engine.evaluate_json(&profile, None).unwrap();
        report.eligible_programs.join(",")
    });
    assert_eq!(eligible, "p");
}

/// `caseload_full(any)` looked at every program each time a condition
/// asked, and the context was matched to programs by a search: a rule set
/// of 20,000 programs asking 20,000 times took seconds per profile.
#[test]
fn caseload_any_is_looked_up_once_per_profile() {
    let n = 3_000;
    let mut text = String::from("schema { x: integer }\n");
    for i in 0..n {
        writeln!(
            text,
            "program p{i} {{ intensity: {i} eligible when x > 1 caseload: at most 3 }}"
        )
        .unwrap();
    }
    text.push_str("warning w { severity: info message: \"m\" when caseload_exceeded(any)");
    for _ in 1..n {
        text.push_str(" or caseload_exceeded(any)");
    }
    text.push_str(" }\n");
    let engine = load(&text).unwrap();
    let caseloads: serde_json::Map<String, Value> = (0..n)
        .map(|i| (format!("p{i}"), json!({"cm": 1})))
        .collect();
    let context = json!({ "caseloads": caseloads });
    let warnings = within("caseload any", move || {
        let report = engine.evaluate_json(&json!({"x": 2}), Some(&context));
        report.unwrap().warnings.len()
    });
    assert_eq!(warnings, 0);
}

/// The pre-scan bounds bracket nesting before pest runs, and takes `"""` to
/// the next `"""` as a script it does not look into. pest read `"""`
/// outside a `script:` clause as `""` and a string, so the brackets after
/// it were parsed, to any depth, unbounded: 100,000 `(` took pest 15 s
/// (twice, for `format_source`). Now a string never starts with `"""`,
/// and such a file is a syntax error at once. The small case is kept in
/// `tests/regressions/triple-quote-outside-a-script.rules`.
#[test]
fn a_triple_quote_cannot_hide_brackets_from_the_pre_scan() {
    // Under the script size limit, so that the pre-scan lets it through.
    let n = 30_000;
    let text = format!(
        "define d {{ value: \"\"\" x\" + {}1{} }} # \"\"\"\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    let t = text.clone();
    let d = diagnostics(within("triple quote", move || load(&t)));
    assert_eq!(codes(&d), ["syntax"]);
    assert_eq!((d[0].location.line, d[0].location.column), (1, 19));
    let d = within("triple quote, formatted", move || {
        careplan::format::format_source(&text)
    })
    .unwrap_err();
    assert_eq!(d[0].code, "syntax");
    // A script may still hold any brackets, and scripts are bounded too.
    let max = Limits::default().max_string_bytes;
    let long = format!(
        "function f() -> integer {{ script: \"\"\"{}1\"\"\" }}",
        " ".repeat(max)
    );
    let d = diagnostics(load(&long));
    assert_eq!(codes(&d), ["string-too-long"]);
    assert_eq!(
        d[0].message,
        format!(
            "script is {} bytes long, more than the limit of {max} bytes",
            max + 1
        )
    );
}

/// A function's parameters were checked for duplicates by searching the
/// ones before (80,000 parameters: 40 s).
#[test]
fn a_function_with_many_parameters_checks_in_linear_time() {
    let n = 10_000;
    let mut text = String::from("function f(p0: integer");
    for i in 1..n {
        write!(text, ", p{i}: integer").unwrap();
    }
    text.push_str(") -> integer { script: \"p0 + 1\" }\n");
    within("many parameters", move || load(&text)).unwrap();
    let d = diagnostics(load(
        "function f(a: integer, b: integer, a: text) -> integer { script: \"1\" }",
    ));
    assert_eq!(codes(&d), ["duplicate-param"]);
}

/// Lowering looked for an earlier `too-deep` error by searching every
/// error of the file, each time an expression reached the depth limit: a
/// file with many errors of both kinds took time quadratic in them
/// (60,000 of each: 34 s).
#[test]
fn many_errors_while_lowering_stay_linear() {
    let n = 5_000;
    let mut text = String::from("schema {");
    for i in 0..n {
        write!(text, " f{i}: set of integer").unwrap();
    }
    text.push_str(" }\n");
    for i in 0..n {
        writeln!(text, "define d{i} {{ value: {}1 }}", "-".repeat(70)).unwrap();
    }
    let d = diagnostics(within("lowering errors", move || load(&text)));
    assert_eq!(d.len(), Limits::default().max_errors + 1);
    assert_eq!(d[0].code, "bad-type");
    // One `too-deep` per file, as before.
    let d = diagnostics(load(&format!(
        "define a {{ value: {0}1 }}\ndefine b {{ value: {0}1 }}\n",
        "-".repeat(70)
    )));
    assert_eq!(codes(&d), ["too-deep"]);
}

// ------------------------------------------------------- found by properties

/// Found by `generated_rule_sets_load_and_evaluate`: evaluation stops at
/// the operand that decides (`a or …` with `a` true), but building the
/// report's reasons, and the explanation, evaluated every operand, so a
/// division by zero in one evaluation never needed rejected the profile.
#[test]
fn an_operand_evaluation_skipped_cannot_fail_the_report() {
    let engine = load(
        "schema { a: boolean n: integer }\n\
         program p { intensity: 1 eligible when a or 1 / n > 0 }\n\
         warning w { severity: info message: \"m\" when not a and 1 / n > 0 }\n\
         referral r { urgent when a routine when 1 / n > 0 }\n",
    )
    .unwrap();
    let profile = json!({"a": true, "n": 0});
    let report = engine.evaluate_json(&profile, None).unwrap();
    assert_eq!(report.eligible_programs, ["p"]);
    assert_eq!(report.programs.unwrap()[0].reason, "a (a = true)");
    assert!(report.warnings.is_empty());
    assert_eq!(report.referrals[0].id, "r");
    let explained = engine
        .explain(&engine.profile(&profile).unwrap(), None)
        .unwrap();
    assert_eq!(explained.len(), 3);
    // The referral's routine condition, never evaluated, is left out.
    assert_eq!(explained[2].conditions.len(), 1);
    // Where the calculation is needed, the profile is still rejected.
    let e = engine
        .evaluate_json(&json!({"a": false, "n": 0}), None)
        .unwrap_err();
    assert_eq!(e.field(), Some("n"));
    assert!(e.message().contains("divides by zero"), "{e}");
}

/// The same for an `unless` exception after a false base: evaluation never
/// looks at it, so explaining the item leaves it out instead of failing
/// (found by the generated rule sets in tests/properties.rs).
#[test]
fn an_exception_skipped_cannot_fail_the_explanation() {
    let engine = load(
        "schema { a: boolean n: integer }\n\
         program p { intensity: 1 eligible when a unless 1 / n > 0 }\n",
    )
    .unwrap();
    let profile = engine.profile(&json!({"a": false, "n": 0})).unwrap();
    let explained = engine.explain(&profile, None).unwrap();
    assert_eq!(explained[0].conditions.len(), 1);
    // With a true base the exception decides, and it cannot be computed.
    let profile = engine.profile(&json!({"a": true, "n": 0})).unwrap();
    let e = engine.explain(&profile, None).unwrap_err();
    assert_eq!(e.field(), Some("n"));
}

// ---------------------------------------------------------- hostile numbers

/// A number the engine cannot hold exactly is refused, naming the field;
/// it is never rounded (`1e-400` is not 0, `1e400` is not infinity).
#[test]
fn numbers_that_cannot_be_held_exactly_are_refused_not_rounded() {
    let engine = careplan::reference().unwrap();
    for (field, number) in [
        ("age", "1e400"),
        ("monthly_income", "1e-400"),
        ("monthly_income", "1E+29"),
        ("monthly_income", "79228162514264337593543950336"),
        ("medication_adherence", "0.00000000000000000000000000001"),
        ("household_size", "-0.5e-30"),
    ] {
        let text = format!(r#"{{"id": "c", "{field}": {number}}}"#);
        // Without serde_json's `arbitrary_precision` some of these do not
        // even parse; what does parse must be refused by the engine.
        let Ok(profile) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let e = engine.evaluate_json(&profile, None).unwrap_err();
        assert_eq!(e.field(), Some(field), "{number}");
        assert!(
            e.message().contains("out of range for an exact decimal"),
            "{number}: {e}"
        );
    }
    // What can be held is held exactly, in any spelling.
    let at_limit = |income: &str| {
        let p: Value = serde_json::from_str(&format!(
            r#"{{"id": "c", "insurance": "none", "household_size": 1, "monthly_income": {income}}}"#
        ))
        .unwrap();
        let report = engine.evaluate_json(&p, None).unwrap();
        report
            .referrals
            .iter()
            .any(|r| r.id == "medicaid_enrollment")
    };
    assert!(at_limit("1835.40"));
    assert!(at_limit("1.8354e3"));
    assert!(at_limit("183540e-2"));
    assert!(!at_limit("1835.4000000000000000000001"));
}

// ----------------------------------------------------------------- limits

/// A rule set of 10,000 rules loads with the default limits.
#[test]
fn a_generated_rule_set_of_ten_thousand_rules_loads() {
    let mut text = String::from(
        "schema {\n  id: text required\n  age: integer between 0 and 130\n  \
         housing: one of {stable, unstable, homeless}\n  needs: set of {food, health, social}\n}\n",
    );
    for i in 0..3_334 {
        writeln!(
            text,
            "program p{i} \"Program {i}\" {{\n  intensity: {i}\n  eligible when age >= {} and food in needs\n  \
             caseload: at most 30 per case manager\n  services: s{i}, t{i}\n  source: \"generated\"\n}}",
            i % 100
        )
        .unwrap();
        writeln!(
            text,
            "referral r{i} {{\n  urgent when housing is homeless and age > {}\n  routine when count(needs) >= 2\n}}",
            i % 90
        )
        .unwrap();
        writeln!(
            text,
            "warning w{i} {{\n  severity: info\n  when eligible(p{i}) and not referred(r{i})\n  message: \"w{i}\"\n}}"
        )
        .unwrap();
    }
    let engine = within("10,000 rules", move || load(&text)).unwrap();
    let report = engine
        .evaluate_json(
            &json!({"id": "c", "age": 50, "housing": "homeless", "needs": ["food", "health"]}),
            None,
        )
        .unwrap();
    assert_eq!(report.recommended_program, Some("p3333"));
    assert_eq!(report.referrals.len(), 3_334);
}

#[test]
fn a_string_longer_than_the_limit_is_refused_where_it_starts() {
    let max = Limits::default().max_string_bytes;
    let ok = format!(
        "referral r {{\n  routine when true\n  note: \"{}\"\n}}\n",
        "x".repeat(max)
    );
    assert!(load(&ok).is_ok());
    let long = format!(
        "referral r {{\n  routine when true\n  note: \"{}\"\n}}\n",
        "é".repeat(max / 2 + 1)
    );
    let d = diagnostics(load(&long));
    assert_eq!(codes(&d), ["string-too-long"]);
    assert_eq!((d[0].location.line, d[0].location.column), (3, 9));
    assert_eq!(
        d[0].message,
        format!(
            "string is {} bytes long, more than the limit of {max} bytes",
            max + 2
        )
    );
    // The limit is the caller's to set.
    let d = diagnostics(load_with(
        "referral r { routine when true note: \"12345\" }",
        Limits {
            max_string_bytes: 4,
            ..Limits::default()
        },
    ));
    assert_eq!(codes(&d), ["string-too-long"]);
}

#[test]
fn more_items_than_the_limit_are_refused_at_the_first_one_over() {
    let limits = Limits {
        max_items: 3,
        ..Limits::default()
    };
    let text = "schema { x: integer }\nparameter a { value: 1 }\nparameter b { value: 2 }\n\
                parameter c { value: 3 }\nparameter d { value: 4 }\n";
    let d = diagnostics(load_with(text, limits.clone()));
    assert_eq!(codes(&d), ["too-many-items"]);
    assert_eq!((d[0].location.line, d[0].location.column), (4, 11));
    assert_eq!(
        d[0].message,
        "the rule set has more than 3 items (schemas, blocks and functions)"
    );
    // Across files too.
    let files = [
        (
            "a.rules",
            "parameter a { value: 1 }\nparameter b { value: 2 }",
        ),
        (
            "b.rules",
            "parameter c { value: 3 }\nparameter d { value: 4 }",
        ),
    ];
    let d = diagnostics(careplan::load_sources(&files, &LoadOptions { limits }));
    assert_eq!(codes(&d), ["too-many-items"]);
    assert_eq!(d[0].location.file, "b.rules");
    assert_eq!(d[0].location.line, 2);
    // The default is far above any policy.
    assert_eq!(Limits::default().max_items, 100_000);
}

#[test]
fn more_fields_than_the_limit_are_refused() {
    let max = Limits::default().max_fields;
    let mut text = String::from("schema {\n");
    for i in 0..max {
        writeln!(text, "  f{i}: integer").unwrap();
    }
    text.push_str("}\n");
    assert!(load(&text).is_ok(), "exactly the limit loads");
    // A second schema block counts towards the same limit.
    text.push_str("schema {\n  one_more: boolean\n}\n");
    let d = diagnostics(load(&text));
    assert_eq!(codes(&d), ["too-many-fields"]);
    assert_eq!((d[0].location.line, d[0].location.column), (max + 4, 3));
    assert_eq!(
        d[0].message,
        format!("the schema has more than {max} fields")
    );
}

#[test]
fn enumerations_longer_than_the_limit_are_refused() {
    let max = Limits::default().max_enum_values;
    let values = |n: usize| {
        (0..n)
            .map(|i| format!("v{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert!(load(&format!("schema {{ e: one of {{{}}} }}", values(max))).is_ok());
    for ty in ["one of", "set of"] {
        let text = format!("schema {{\n  e: {ty} {{{}}}\n}}", values(max + 1));
        let d = diagnostics(load(&text));
        assert_eq!(codes(&d), ["too-many-values"], "{ty}");
        // Located at the first value over the limit.
        let column = text
            .lines()
            .nth(1)
            .unwrap()
            .find(&format!("v{max}}}"))
            .unwrap()
            + 1;
        assert_eq!((d[0].location.line, d[0].location.column), (2, column));
        assert_eq!(
            d[0].message,
            format!(
                "this enumeration has {} values, more than the limit of {max}",
                max + 1
            )
        );
    }
}

#[test]
fn the_error_limit_is_the_callers_to_set() {
    let text = "define a { value: y1 }\ndefine b { value: y2 }\ndefine c { value: y3 }\n";
    let d = diagnostics(load_with(
        text,
        Limits {
            max_errors: 2,
            ..Limits::default()
        },
    ));
    assert_eq!(
        codes(&d),
        ["unknown-name", "unknown-name", "too-many-errors"]
    );
    assert_eq!(d[2].location.line, 3);
    // Exactly at the limit, nothing is said about stopping.
    let d = diagnostics(load_with(
        text,
        Limits {
            max_errors: 3,
            ..Limits::default()
        },
    ));
    assert_eq!(codes(&d), ["unknown-name", "unknown-name", "unknown-name"]);
}

// ------------------------------------------------- hostile inputs, round 2

/// Issue 13, item 4: a file saved with old-Mac line ends (a lone `\r`)
/// loaded as an empty rule set, its first comment running to the end of
/// the file. A lone `\r` ends a line, for the parser, for diagnostics and
/// for the formatter.
#[test]
fn cr_only_line_endings() {
    let cr: Vec<(&str, String)> = careplan::REFERENCE_RULES
        .iter()
        .map(|(n, t)| (*n, t.replace('\n', "\r")))
        .collect();
    let lf = careplan::reference().unwrap();
    let cr = careplan::load_sources(&cr, &LoadOptions::default()).unwrap();
    let counts = |e: &Engine| (e.programs().len(), e.referrals().len(), e.warnings().len());
    assert_eq!(counts(&cr), counts(&lf));
    assert!(counts(&lf).0 > 0);
    let profiles = inputs::reference();
    assert!(
        profiles.len() > 50,
        "too few reference profiles: {}",
        profiles.len()
    );
    for (profile, context) in profiles {
        let decide = |e: &Engine| {
            let p = e.profile(&profile)?;
            let c = context.as_ref().map(|c| e.caseloads(c)).transpose()?;
            e.decide(&p, c.as_ref())
        };
        assert_eq!(decide(&cr), decide(&lf), "{profile}");
    }
    // An error is reported on its line, and the line is shown without the
    // rest of the file.
    let text = "# a comment\rschema { age: integer }\r\rprogram p { intensity: 1 eligible when age > }\rreferral r {}\r";
    let d = diagnostics(load(text));
    assert_eq!((d[0].location.line, d[0].location.column), (4, 46), "{d:?}");
    assert_eq!(
        d[0].snippet,
        "program p { intensity: 1 eligible when age > }"
    );
    // CRLF and lone-CR mixed: each counts once.
    let text =
        "# a\r\n# b\rschema { age: integer }\r\nprogram p { intensity: 1 eligible when age > }\n";
    let d = diagnostics(load(text));
    assert_eq!(d[0].location.line, 4, "{d:?}");
    // A comment in a script ends at its line too.
    let text = "schema { age: integer }\rfunction f(a: integer) -> integer { script: \"\"\"// one\ra + 1\"\"\" }\rprogram p { intensity: 1 eligible when f(age) > 1 }\r";
    let e = load(text).unwrap();
    let p = e.profile(&json!({"age": 5})).unwrap();
    assert_eq!(
        e.decide(&p, None).unwrap().programs,
        [careplan::Truth::True]
    );
    // The formatter reads the lines as the parser does.
    for (name, text) in careplan::REFERENCE_RULES {
        assert_eq!(
            careplan::format::format_source(&text.replace('\n', "\r")).unwrap(),
            careplan::format::format_source(text).unwrap(),
            "{name}"
        );
    }
}

/// Issue 13, item 5: a `.rules` link to nothing, or a directory named
/// `*.rules`, was skipped, and the rest loaded as if it were the whole
/// rule set. Each is an I/O error naming it.
#[cfg(unix)]
#[test]
fn dangling_links() {
    let base = std::env::temp_dir().join(format!("careplan-dangling-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let copy = |dir: &Path| {
        std::fs::create_dir_all(dir).unwrap();
        for (name, text) in careplan::REFERENCE_RULES {
            let file = Path::new(name).file_name().unwrap();
            std::fs::write(dir.join(file), text).unwrap();
        }
    };
    let expect_io =
        |dir: &Path, bad: &Path, says: &str| match careplan::load_dir(dir, &LoadOptions::default())
        {
            Err(LoadError::Io { path, message }) => {
                assert_eq!(path, bad.display().to_string());
                assert!(message.contains(says), "{message}");
            }
            Err(e) => panic!("expected an I/O error, got {e}"),
            Ok(e) => panic!("loaded {} programs", e.programs().len()),
        };
    // The directory as it is loads.
    let dir = base.join("ok");
    copy(&dir);
    assert!(careplan::load_dir(&dir, &LoadOptions::default()).is_ok());
    // A link to a file that is gone.
    let dir = base.join("dangling");
    copy(&dir);
    let link = dir.join("urgent.rules");
    std::os::unix::fs::symlink(base.join("gone.rules"), &link).unwrap();
    expect_io(&dir, &link, "symbolic link to nothing");
    // A directory.
    let dir = base.join("directory");
    copy(&dir);
    let sub = dir.join("more.rules");
    std::fs::create_dir(&sub).unwrap();
    expect_io(&dir, &sub, "directory");
    // A link to a file elsewhere still loads.
    let dir = base.join("linked");
    copy(&dir);
    std::fs::rename(dir.join("warnings.rules"), base.join("warnings.rules")).unwrap();
    std::os::unix::fs::symlink(base.join("warnings.rules"), dir.join("warnings.rules")).unwrap();
    let e = careplan::load_dir(&dir, &LoadOptions::default()).unwrap();
    assert_eq!(
        e.warnings().len(),
        careplan::reference().unwrap().warnings().len()
    );
    std::fs::remove_dir_all(&base).unwrap();
}

/// Issue 13, item 6: a key given twice kept its last value, silently. Both
/// readers refuse it, naming it; `read_json` does for any JSON text
/// (contexts too), at any depth.
#[test]
fn duplicate_keys() {
    let engine = careplan::reference().unwrap();
    let text = r#"{"id":"a","age":30,"age":80}"#;
    let e = engine.profile_from_slice(text.as_bytes()).unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.message.as_str()),
        ("age", "appears twice")
    );
    assert_eq!(careplan::read_json(text).unwrap_err(), e);
    // A key the schema does not have, given twice, is a duplicate too.
    let text = r#"{"id":"a","note":1,"note":2}"#;
    assert_eq!(
        engine
            .profile_from_slice(text.as_bytes())
            .unwrap_err()
            .field,
        "note"
    );
    assert_eq!(careplan::read_json(text).unwrap_err().field, "note");
    // Inside a value the schema does not read.
    let text = r#"{"id":"a","extra":{"list":[{"k":1,"k":2}]}}"#;
    assert_eq!(
        engine
            .profile_from_slice(text.as_bytes())
            .unwrap_err()
            .field,
        "extra.list[0].k"
    );
    // A context, named by its path.
    let text = r#"{"caseloads":{"intensive_case_management":{"cm-ana":3,"cm-ana":30}}}"#;
    let e = careplan::read_json(text).unwrap_err();
    assert_eq!(e.field, "caseloads.intensive_case_management.cm-ana");
    assert_eq!(
        e.to_string(),
        "field `caseloads.intensive_case_management.cm-ana`: appears twice"
    );
    // The same key in different objects is no duplicate.
    let text = r#"{"caseloads":{"intensive_case_management":{"cm":3},"standard_case_management":{"cm":3}}}"#;
    let v = careplan::read_json(text).unwrap();
    assert!(engine.caseloads(&v).is_ok());
}

/// Issue 13, item 11: a profile starting with a UTF-8 byte order mark was
/// "expected value at line 1 column 1". Both readers skip it; a mark
/// anywhere else is still invalid JSON.
#[test]
fn a_byte_order_mark_is_skipped() {
    let engine = careplan::reference().unwrap();
    let plain = r#"{"id":"a","age":30}"#;
    let with_bom = format!("\u{FEFF}{plain}");
    let want = engine.profile_from_slice(plain.as_bytes()).unwrap();
    assert_eq!(
        engine.profile_from_slice(with_bom.as_bytes()).unwrap(),
        want
    );
    let v = careplan::read_json(&with_bom).unwrap();
    assert_eq!(engine.profile(&v).unwrap(), want);
    let inside = r#"{"id":"a",\u{FEFF}"age":30}"#.replace("\\u{FEFF}", "\u{FEFF}");
    assert!(engine.profile_from_slice(inside.as_bytes()).is_err());
    assert!(careplan::read_json(&inside).is_err());
}

/// Issue 13, item 9: a define that divided by zero for a profile rejected
/// it even when no condition read it, or read it only behind an `or`
/// already decided, though the same expression written inline was
/// accepted. A define's failure now matters only where its value is
/// needed, in the plan and the tree walker alike.
#[test]
fn a_division_by_zero_in_a_define_nobody_reads() {
    let profile = json!({"a": true, "n": 0});
    let accepted = |rules: &str| {
        let engine = load(rules).unwrap();
        let p = engine.profile(&profile).unwrap();
        let decided = engine.decide(&p, None).unwrap();
        assert_eq!(engine.decide_walking(&p, None).unwrap(), decided, "{rules}");
        let report = engine.evaluate(&p, None).unwrap();
        assert!(engine.explain(&p, None).is_ok(), "{rules}");
        report
            .eligible_programs
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    // Read by nothing.
    let unread = "schema { a: boolean n: integer }\n\
                  define d { value: 10 / n }\n\
                  program p { intensity: 1 eligible when a }\n";
    assert_eq!(accepted(unread), ["p"]);
    // Read behind an `or` already decided, as inline.
    let behind_or = "schema { a: boolean n: integer }\n\
                     define d { value: 10 / n }\n\
                     define big { value: d > 1 }\n\
                     program p { intensity: 1 eligible when a or d > 1 }\n\
                     program q { intensity: 2 eligible when a or big }\n";
    let inline = "schema { a: boolean n: integer }\n\
                  program p { intensity: 1 eligible when a or 10 / n > 1 }\n\
                  program q { intensity: 2 eligible when a or 10 / n > 1 }\n";
    assert_eq!(accepted(behind_or), accepted(inline));
    assert_eq!(accepted(behind_or), ["p", "q"]);
    // Needed: rejected, naming the field, by both.
    let needed = "schema { a: boolean n: integer }\n\
                  define d { value: 10 / n }\n\
                  define e { value: d + 1 }\n\
                  program p { intensity: 1 eligible when a and e > 1 }\n";
    let engine = load(needed).unwrap();
    let p = engine.profile(&profile).unwrap();
    for e in [
        engine.decide(&p, None).unwrap_err(),
        engine.decide_walking(&p, None).unwrap_err(),
        engine.evaluate(&p, None).unwrap_err(),
    ] {
        assert_eq!(e.field(), Some("n"));
        assert!(e.message().contains("`10 / n` divides by zero"), "{e}");
    }
    // The same engine on a profile that can be computed, after one that
    // could not (state is kept between evaluations on a thread).
    let ok = engine.profile(&json!({"a": true, "n": 2})).unwrap();
    assert_eq!(
        engine.decide(&ok, None).unwrap().programs,
        [careplan::Truth::True]
    );
}

/// Explaining a value marked for the report leaves out the branch of an
/// `if` that was not taken when it cannot be computed (found writing the
/// SNAP example: a table with no row for the branch not taken).
#[test]
fn a_branch_not_taken_cannot_fail_the_explanation_of_a_value() {
    let engine = load(
        "schema { a: boolean n: integer }\n\
         define v \"V\" { value: if a then 1 else 10 / n report: yes }\n",
    )
    .unwrap();
    let profile = engine.profile(&json!({"a": true, "n": 0})).unwrap();
    let explained = engine.explain(&profile, None).unwrap();
    assert_eq!(explained.len(), 1);
    // The condition is shown (the branch taken is a literal, which shows
    // in the text); the branch not taken, which divides by zero, is not.
    let tree = &explained[0].conditions[0].trace;
    assert_eq!(tree.children.len(), 1);
    assert_eq!(tree.children[0].condition, "a");
    assert_eq!(tree.result, Some(json!(1)));
}
