//! rhai, the escape hatch: functions written in a small scripting language
//! for the rare calculation the rule language does not cover (a scoring
//! instrument, an unusual formula).
//!
//! Scripts come from rule authors, who are not all trusted, so each runs in
//! a sandbox (see docs/security.md, "Functions written in rhai"):
//!
//! - The engine starts from [`Engine::new_raw`], which has no functions,
//!   and gets only the packages a calculation needs. Left out: the core
//!   package (`sleep`, `exit`, `parse_json`), time (`timestamp`: results
//!   would depend on the clock), blobs, object maps, bit fields and function
//!   pointer reflection. A function that is not registered cannot be
//!   reached at all, not even through `Fn("name").call(…)`, which
//!   `disable_symbol` (a tokenizer filter) would not stop.
//! - Built-ins that can make a result much larger than their inputs in one
//!   native call are replaced by bounded versions that check the size of the
//!   result *before* building it (`replace`), or removed (`map`, `zip`).
//!   rhai checks `set_max_string_size` and friends only after a native call
//!   returns, too late to stop one call from taking gigabytes.
//! - What a script may do is decided by a deterministic budget: operations,
//!   call depth, expression depth, variables, string, array and map sizes.
//!   The same script on the same arguments succeeds or fails the same way on
//!   any machine under any load. The wall clock is only a far-off safety net
//!   ([`SAFETY_NET`]); hitting it is an internal error, not the script's.
//!
//! Numbers cross the boundary exactly: rhai is built with `decimal` and
//! `no_float`, so `0.8` in a script is the decimal 0.8, not a binary float.

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMathPackage,
    BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, ImmutableString, Position, Scope};
use rust_decimal::Decimal;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// The most rhai operations one call may perform: the budget that decides,
/// identically on every machine, whether a script runs too long.
pub const MAX_OPERATIONS: u64 = 1_000_000;
/// The longest string a script may hold, in bytes.
pub const MAX_STRING_BYTES: usize = 64 * 1024;
/// The most elements of an array, counting the elements of nested arrays.
pub const MAX_ARRAY_ITEMS: usize = 10_000;
/// The most entries of an object map (maps cannot be written in the
/// sandbox; the limit is a second line of defence).
pub const MAX_MAP_ENTRIES: usize = 10_000;
/// The most variables alive at once, over all nested calls: with the size
/// limits, this bounds the memory a script can hold.
pub const MAX_VARIABLES: usize = 256;
/// The deepest chain of script function calls.
pub const MAX_CALL_LEVELS: usize = 32;
/// The deepest expression, at top level and inside script functions.
pub const MAX_EXPR_DEPTH: (usize, usize) = (64, 32);
/// The most arguments one call may pass (and elements one bracket may
/// list). rhai evaluates all of a call's arguments before it checks
/// anything, so 4,000 arguments of 60 KB each held 267 MB at once.
pub const MAX_ARGUMENTS: usize = 32;
/// The safety net: a call still running after this long is stopped. It is
/// never reached by a script within [`MAX_OPERATIONS`] (those take
/// milliseconds); reaching it means a bug in the sandbox or a machine so
/// overloaded that the answer cannot be trusted, so it is an internal
/// error, never the client's result.
pub const SAFETY_NET: Duration = Duration::from_secs(10);

thread_local! {
    /// When the call running on this thread must stop. The engine is shared
    /// between threads, so the deadline lives with the thread, not with it.
    static STOP_AT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The value the progress callback stops a script with when the safety net
/// is reached, to tell that apart from a script's own `throw`.
const SAFETY_NET_TOKEN: &str = "careplan: safety net";

/// The sandboxed rhai engine every function of a rule set runs on.
pub(crate) fn sandbox() -> Engine {
    let mut engine = Engine::new_raw();
    // Arithmetic, comparison, decimal rounding and parsing, strings,
    // ranges, arrays: what a scoring formula needs, and nothing that waits,
    // reads the clock or reaches outside.
    engine.register_global_module(ArithmeticPackage::new().as_shared_module());
    engine.register_global_module(LogicPackage::new().as_shared_module());
    engine.register_global_module(BasicMathPackage::new().as_shared_module());
    engine.register_global_module(BasicStringPackage::new().as_shared_module());
    engine.register_global_module(MoreStringPackage::new().as_shared_module());
    engine.register_global_module(BasicIteratorPackage::new().as_shared_module());
    engine.register_global_module(BasicArrayPackage::new().as_shared_module());
    bound_amplifiers(&mut engine);
    // `eval` is a keyword the evaluator runs itself, not a function.
    engine.disable_symbol("eval");
    // Object maps are not needed, and rhai does not count the length of
    // their keys against any limit: 10,000 keys of 64 KiB would be 640 MB.
    engine.disable_symbol("#{");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    engine.set_max_expr_depths(MAX_EXPR_DEPTH.0, MAX_EXPR_DEPTH.1);
    engine.set_max_string_size(MAX_STRING_BYTES);
    engine.set_max_array_size(MAX_ARRAY_ITEMS);
    engine.set_max_map_size(MAX_MAP_ENTRIES);
    engine.set_max_variables(MAX_VARIABLES);
    engine.set_strict_variables(true);
    engine.on_progress(|ops| {
        // Reading the clock on every operation would cost more than the
        // operations; every 1,024th is plenty for a 10 s net.
        if ops % 1024 == 0 {
            let late = STOP_AT
                .with(|s| s.get())
                .is_some_and(|t| Instant::now() > t);
            if late {
                return Some(Dynamic::from(SAFETY_NET_TOKEN));
            }
        }
        None
    });
    engine
}

/// Names a built-in that the sandbox removed, and why.
fn removed(name: &str) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(
        format!(
            "`{name}` is not available in careplan's sandbox: it can build a result far larger than its input in one step; use a `for` loop"
        )
        .into(),
        Position::NONE,
    )
    .into()
}

/// `s.replace(find, with)`, refusing before any work a result longer than
/// the string limit. rhai's own replaced a 64 KiB string's every character
/// with the string itself: 4 GiB in one call, checked only afterwards.
fn replace_bounded(
    s: &mut ImmutableString,
    find: &str,
    with: &str,
) -> Result<(), Box<EvalAltResult>> {
    if with.len() > find.len() {
        // An empty pattern matches between every character and at both ends.
        let hits = if find.is_empty() {
            s.chars().count().saturating_add(1)
        } else {
            s.matches(find).count()
        };
        let grows = (with.len() - find.len()).saturating_mul(hits);
        let total = s.len().saturating_add(grows);
        if total > MAX_STRING_BYTES {
            return Err(EvalAltResult::ErrorRuntime(
                format!(
                    "`replace` would make a string of {total} bytes; the limit is {MAX_STRING_BYTES}"
                )
                .into(),
                Position::NONE,
            )
            .into());
        }
    }
    if hits_any(s, find) {
        *s = s.replace(find, with).into();
    }
    Ok(())
}

/// Whether `find` occurs in `s` (the empty pattern always does).
fn hits_any(s: &str, find: &str) -> bool {
    find.is_empty() || s.contains(find)
}

/// Replaces the built-ins that can amplify their input in one native call.
/// Functions registered on the engine itself are found before those of
/// packages (`register_global_module` inserts after the engine's own
/// namespace), so these take the built-ins' place for the same signatures.
fn bound_amplifiers(engine: &mut Engine) {
    engine.register_fn("replace", |s: &mut ImmutableString, f: &str, w: &str| {
        replace_bounded(s, f, w)
    });
    engine.register_fn("replace", |s: &mut ImmutableString, f: &str, w: char| {
        replace_bounded(s, f, w.encode_utf8(&mut [0; 4]))
    });
    engine.register_fn("replace", |s: &mut ImmutableString, f: char, w: &str| {
        replace_bounded(s, f.encode_utf8(&mut [0; 4]), w)
    });
    engine.register_fn("replace", |s: &mut ImmutableString, f: char, w: char| {
        replace_bounded(s, f.encode_utf8(&mut [0; 4]), w.encode_utf8(&mut [0; 4]))
    });
    // `map` and `zip` collect what a callback returns, and only the whole
    // is checked: `a.map(|x| a)` on 10,000 elements held 100 million values
    // before the check. Each callback costs operations, but a copy of an
    // array is one operation however large the array.
    engine.register_fn(
        "map",
        |_: &mut Array, _: FnPtr| -> Result<Array, Box<EvalAltResult>> { Err(removed("map")) },
    );
    engine.register_fn(
        "zip",
        |_: &mut Array, _: Array, _: FnPtr| -> Result<Array, Box<EvalAltResult>> {
            Err(removed("zip"))
        },
    );
    // Kept as they are, because rhai checks them before the work: string
    // `pad` (the target length against the string limit) and array `pad`
    // (the padded array's total size against the array and string limits).
}

/// A value passed to or returned from a script.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ScriptValue {
    Int(i64),
    Dec(Decimal),
    Bool(bool),
    Text(String),
    List(Vec<String>),
}

impl ScriptValue {
    fn into_dynamic(self) -> Dynamic {
        match self {
            ScriptValue::Int(i) => Dynamic::from_int(i),
            ScriptValue::Dec(d) => Dynamic::from_decimal(d),
            ScriptValue::Bool(b) => Dynamic::from_bool(b),
            ScriptValue::Text(s) => Dynamic::from(s),
            ScriptValue::List(v) => Dynamic::from_array(v.into_iter().map(Dynamic::from).collect()),
        }
    }
}

/// The declared result type of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// A whole number.
    Integer,
    /// An exact decimal.
    Decimal,
    /// true or false.
    Boolean,
    /// A string.
    Text,
}

impl Returns {
    /// The word used in rule files.
    pub fn word(self) -> &'static str {
        match self {
            Returns::Integer => "integer",
            Returns::Decimal => "decimal",
            Returns::Boolean => "boolean",
            Returns::Text => "text",
        }
    }
}

/// How a parameter arrives in the script, from its declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// `integer`: a rhai integer (`INT`).
    Integer,
    /// `decimal`: always a rhai `Decimal`, even when the value is whole, so
    /// that `v.ceiling()` is found and `v / 2` is not integer division.
    Decimal,
    /// Anything else (booleans, text, sets), or a number whose declared
    /// type is not known: passed as the value is.
    AsIs,
}

/// A compiled function.
#[derive(Debug, Clone)]
pub struct Script {
    pub(crate) ast: rhai::AST,
    pub(crate) params: Vec<String>,
    pub(crate) kinds: Vec<Param>,
    pub(crate) returns: Returns,
}

/// Where a script error is, within the script text: 1-based line and
/// column, when rhai knows.
pub(crate) fn position(p: rhai::Position) -> Option<(usize, usize)> {
    Some((p.line()?, p.position().unwrap_or(1)))
}

/// Compiles a function body with its parameter names as variables, each
/// passed as its value is (see [`compile_typed`]).
#[allow(
    dead_code,
    reason = "the loader calls compile_typed; kept for callers that know no types"
)]
pub(crate) fn compile(
    engine: &Engine,
    params: Vec<String>,
    returns: Returns,
    code: &str,
) -> Result<Script, (String, Option<(usize, usize)>)> {
    let params = params.into_iter().map(|p| (p, Param::AsIs)).collect();
    compile_typed(engine, params, returns, code)
}

/// Compiles a function body with its parameters as variables, each of which
/// arrives as its declared type says.
pub(crate) fn compile_typed(
    engine: &Engine,
    params: Vec<(String, Param)>,
    returns: Returns,
    code: &str,
) -> Result<Script, (String, Option<(usize, usize)>)> {
    if let Some(at) = too_many_arguments(code) {
        return Err((
            format!("more than {MAX_ARGUMENTS} arguments in one call (the sandbox's limit)"),
            Some(at),
        ));
    }
    let mut scope = Scope::new();
    for (p, _) in &params {
        scope.push_dynamic(p.as_str(), Dynamic::UNIT);
    }
    match engine.compile_with_scope(&scope, code) {
        Ok(ast) => {
            let (params, kinds) = params.into_iter().unzip();
            Ok(Script {
                ast,
                params,
                kinds,
                returns,
            })
        }
        Err(e) => Err((e.err_type().to_string(), position(e.position()))),
    }
}

/// Where a bracket of the script lists more than [`MAX_ARGUMENTS`] items
/// (1-based line and column of the comma over the limit), if anywhere.
/// Strings in double quotes, characters and comments are skipped; the text
/// of a backtick string is counted, which can only refuse more, not less.
fn too_many_arguments(code: &str) -> Option<(usize, usize)> {
    let mut commas: Vec<usize> = Vec::new();
    let (mut line, mut col) = (1, 0);
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        col += 1;
        match c {
            '\n' => (line, col) = (line + 1, 0),
            '(' | '[' | '{' => commas.push(0),
            ')' | ']' | '}' => {
                commas.pop();
            }
            ',' => {
                if let Some(n) = commas.last_mut() {
                    *n += 1;
                    if *n >= MAX_ARGUMENTS {
                        return Some((line, col));
                    }
                }
            }
            '"' | '\'' => {
                // To the closing quote, past escapes; a newline inside
                // still counts for the position.
                while let Some(d) = chars.next() {
                    col += 1;
                    match d {
                        '\\' => {
                            chars.next();
                            col += 1;
                        }
                        '\n' => (line, col) = (line + 1, 0),
                        d if d == c => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        (line, col) = (line + 1, 0);
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                let mut last = ' ';
                for d in chars.by_ref() {
                    col += 1;
                    if d == '\n' {
                        (line, col) = (line + 1, 0);
                    }
                    if last == '*' && d == '/' {
                        break;
                    }
                    last = d;
                }
            }
            _ => {}
        }
    }
    None
}

/// Why a call gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// The script failed, and would fail the same way on any machine: it
    /// exceeded the operation budget or a size limit, raised an error, or
    /// returned the wrong type. The client's result.
    Failed(String),
    /// The sandbox's wall-clock safety net stopped the call: not something
    /// the script's budget decides, so not a result to give the client.
    Internal(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Failed(m) => write!(f, "{m}"),
            CallError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

/// Calls a function. Errors are in words, for the report.
pub(crate) fn call(
    engine: &Engine,
    script: &Script,
    args: Vec<ScriptValue>,
) -> Result<ScriptValue, CallError> {
    let mut scope = Scope::new();
    let kinds = script
        .kinds
        .iter()
        .copied()
        .chain(std::iter::repeat(Param::AsIs));
    for ((name, v), kind) in script.params.iter().zip(args).zip(kinds) {
        scope.push_dynamic(name.as_str(), arrive(v, kind));
    }
    STOP_AT.with(|s| s.set(Some(Instant::now() + SAFETY_NET)));
    let result = engine.eval_ast_with_scope::<Dynamic>(&mut scope, &script.ast);
    STOP_AT.with(|s| s.set(None));
    let value = result.map_err(|e| match *e {
        EvalAltResult::ErrorTerminated(ref token, _)
            if token.clone().into_immutable_string().is_ok_and(|t| t == SAFETY_NET_TOKEN) =>
        {
            CallError::Internal(format!(
                "the sandbox's safety net stopped it after {} s; its operation budget had not run out (a bug in the sandbox, or an overloaded machine)",
                SAFETY_NET.as_secs()
            ))
        }
        EvalAltResult::ErrorTooManyOperations(..) => CallError::Failed(format!(
            "it ran more than {MAX_OPERATIONS} operations and was stopped"
        )),
        other => CallError::Failed(other.to_string()),
    })?;
    convert(value, script.returns).map_err(CallError::Failed)
}

/// The rhai value of an argument, as its declared type says it arrives.
fn arrive(v: ScriptValue, kind: Param) -> Dynamic {
    match (v, kind) {
        (ScriptValue::Int(i), Param::Decimal) => Dynamic::from_decimal(Decimal::from(i)),
        (ScriptValue::Dec(d), Param::Integer) => match crate::decimal::to_i64(d) {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_decimal(d),
        },
        (v, _) => v.into_dynamic(),
    }
}

fn convert(v: Dynamic, returns: Returns) -> Result<ScriptValue, String> {
    let found = v.type_name().to_string();
    let wrong = || {
        format!(
            "it returned {found}, but it is declared to return {}",
            returns.word()
        )
    };
    match returns {
        Returns::Boolean => v.as_bool().map(ScriptValue::Bool).map_err(|_| wrong()),
        Returns::Text => v
            .into_immutable_string()
            .map(|s| ScriptValue::Text(s.to_string()))
            .map_err(|_| wrong()),
        Returns::Integer => {
            if let Ok(i) = v.as_int() {
                return Ok(ScriptValue::Int(i));
            }
            let d = v.as_decimal().map_err(|_| wrong())?;
            if d.fract().is_zero() {
                i64::try_from(d).map(ScriptValue::Int).map_err(|_| wrong())
            } else {
                Err(format!(
                    "it returned {d}, but it is declared to return an integer"
                ))
            }
        }
        Returns::Decimal => {
            if let Ok(i) = v.as_int() {
                return Ok(ScriptValue::Dec(Decimal::from(i)));
            }
            v.as_decimal().map(ScriptValue::Dec).map_err(|_| wrong())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        code: &str,
        returns: Returns,
        args: Vec<(&str, ScriptValue)>,
    ) -> Result<ScriptValue, String> {
        let engine = sandbox();
        let names = args.iter().map(|(n, _)| n.to_string()).collect();
        let script = compile(&engine, names, returns, code).map_err(|e| e.0)?;
        call(&engine, &script, args.into_iter().map(|(_, v)| v).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn decimals_are_exact() {
        let r = run(
            "x * 12 <= 22024.8",
            Returns::Boolean,
            vec![("x", ScriptValue::Dec(Decimal::new(18354, 1)))],
        );
        assert_eq!(r, Ok(ScriptValue::Bool(true)));
        let r = run("0.1 + 0.2", Returns::Decimal, vec![]);
        assert_eq!(r, Ok(ScriptValue::Dec(Decimal::new(3, 1))));
    }

    #[test]
    fn endless_loops_stop_quickly_and_the_engine_survives() {
        let engine = sandbox();
        let script = compile(
            &engine,
            vec![],
            Returns::Integer,
            "let x = 0; loop { x += 1; }",
        )
        .unwrap();
        // The operation budget stops it, not a clock: a failure of the
        // script's, the same on every machine.
        let err = call(&engine, &script, vec![]).unwrap_err();
        assert_eq!(
            err,
            CallError::Failed(format!(
                "it ran more than {MAX_OPERATIONS} operations and was stopped"
            ))
        );
        let ok = compile(&engine, vec![], Returns::Integer, "40 + 2").unwrap();
        assert_eq!(call(&engine, &ok, vec![]), Ok(ScriptValue::Int(42)));
    }

    #[test]
    fn endless_allocation_stops() {
        let err = run(
            "let a = []; loop { a.push(\"xxxxxxxx\"); }",
            Returns::Integer,
            vec![],
        )
        .unwrap_err();
        assert!(
            err.contains("too large") || err.contains("stopped"),
            "{err}"
        );
        let err = run("let s = \"x\"; loop { s += s; }", Returns::Text, vec![]).unwrap_err();
        assert!(
            err.to_lowercase().contains("string") || err.contains("stopped"),
            "{err}"
        );
    }

    #[test]
    fn no_eval_no_import_no_output() {
        assert!(run("eval(\"1\")", Returns::Integer, vec![]).is_err());
        assert!(run("import \"x\" as y; 1", Returns::Integer, vec![]).is_err());
        assert_eq!(
            run("print(\"hi\"); 1", Returns::Integer, vec![]),
            Ok(ScriptValue::Int(1))
        );
    }

    #[test]
    fn return_types_are_checked() {
        let err = run("\"high\"", Returns::Integer, vec![]).unwrap_err();
        assert!(err.contains("declared to return integer"), "{err}");
        assert_eq!(
            run("2.0", Returns::Integer, vec![]),
            Ok(ScriptValue::Int(2))
        );
        assert!(run("2.5", Returns::Integer, vec![]).is_err());
    }

    #[test]
    fn sleep_ignores_the_deadline() {
        // `sleep` is not registered at all, by name or through a pointer.
        for code in [
            "sleep(3); 1",
            "sleep(9223372036854775807); 1",
            "Fn(\"sleep\").call(3); 1",
            "call(Fn(\"sleep\"), 3); 1",
        ] {
            let err = run(code, Returns::Integer, vec![]).unwrap_err();
            assert!(err.contains("sleep"), "{code}: {err}");
        }
    }

    #[test]
    fn one_native_call_can_take_8_gb() {
        let pad = "let s = \"\"; s.pad(65536, \"a\"); ";
        for tail in [
            "s.replace(\"a\", s); s.len()",
            "s.replace('a', s); s.len()",
            "s.replace(\"\", s); s.len()",
            "let t = \"b\"; t.replace(\"\", s); t.len()",
        ] {
            // Refused before the work: rhai's own `replace` did the work and
            // failed only afterwards ("Length of string too large").
            let err = run(&format!("{pad}{tail}"), Returns::Integer, vec![]).unwrap_err();
            assert!(
                err.contains("`replace` would make a string of"),
                "{tail}: {err}"
            );
        }
        // Within the limit, replace still works.
        assert_eq!(
            run(
                "let s = \"abca\"; s.replace(\"a\", \"xy\"); s",
                Returns::Text,
                vec![]
            ),
            Ok(ScriptValue::Text("xybcxy".into()))
        );
        for code in [
            "let a = []; a.pad(2000, 0); a.map(|x| x + 1).len()",
            "let a = [1, 2]; a.zip([3, 4], |x, y| x + y).len()",
        ] {
            let err = run(code, Returns::Integer, vec![]).unwrap_err();
            assert!(
                err.contains("not available in careplan's sandbox"),
                "{code}: {err}"
            );
        }
        // Not registered at all: blobs, maps, the clock.
        for code in [
            "blob(100000000).len()",
            "let m = #{}; m.len()",
            "timestamp(); 1",
        ] {
            assert!(run(code, Returns::Integer, vec![]).is_err(), "{code} ran");
        }
        // rhai's own checks, before the work: kept.
        for code in [
            "let a = []; a.pad(5000, \"\"); let s = \"\"; s.pad(60000, \"a\"); a.pad(10000, s); a.len()",
            "let s = \"\"; s.pad(100000000, \"a\"); s.len()",
            "let a = []; a.pad(100000000, 1); a.len()",
        ] {
            let err = run(code, Returns::Integer, vec![]).unwrap_err();
            assert!(err.contains("too large"), "{code}: {err}");
        }
    }

    #[test]
    fn results_depend_on_the_machines_load() {
        // Expensive but within the budget: the same answer every time.
        let engine = sandbox();
        let heavy = compile(
            &engine,
            vec![],
            Returns::Integer,
            "let n = 0; for i in 0..20000 { n += i % 7; } n",
        )
        .unwrap();
        let over = compile(
            &engine,
            vec![],
            Returns::Integer,
            "let n = 0; for i in 0..10000000 { n += i % 7; } n",
        )
        .unwrap();
        let first = call(&engine, &heavy, vec![]);
        assert!(first.is_ok(), "{first:?}");
        let failed = call(&engine, &over, vec![]);
        assert!(matches!(failed, Err(CallError::Failed(_))), "{failed:?}");
        for _ in 0..5 {
            assert_eq!(call(&engine, &heavy, vec![]), first);
            assert_eq!(call(&engine, &over, vec![]), failed);
        }
    }

    #[test]
    fn a_whole_number_decimal_reaches_a_rhai_function_as_an_integer() {
        let engine = sandbox();
        let f = compile_typed(
            &engine,
            vec![("v".into(), Param::Decimal), ("n".into(), Param::Integer)],
            Returns::Decimal,
            "v.ceiling() + v / 2 + n / 2",
        )
        .unwrap();
        for v in [ScriptValue::Int(5), ScriptValue::Dec(Decimal::new(50, 1))] {
            let r = call(&engine, &f, vec![v, ScriptValue::Dec(Decimal::new(70, 1))]);
            // 5 + 2.5 + 3 (integer division of the integer parameter).
            assert_eq!(r, Ok(ScriptValue::Dec(Decimal::new(105, 1))));
        }
    }

    #[test]
    fn a_call_with_thousands_of_arguments_is_refused_at_load() {
        let engine = sandbox();
        let args: Vec<String> = (0..4000).map(|i| format!("s + \"{i}\"")).collect();
        let code = format!("let s = \"\"; s.pad(60000, \"a\"); h({})", args.join(", "));
        let err = compile(&engine, vec![], Returns::Integer, &code).unwrap_err();
        assert!(err.0.contains("more than 32 arguments"), "{err:?}");
        // Commas in strings and comments do not count; 32 arguments do.
        let args: Vec<String> = (0..32).map(|i| i.to_string()).collect();
        let code = format!(
            "// a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, z, a, b, c, d, e, f, g\n\
             fn h({}) {{ 1 }} \"{}\".len() + h({})",
            (0..32)
                .map(|i| format!("p{i}"))
                .collect::<Vec<_>>()
                .join(", "),
            ",".repeat(100),
            args.join(", ")
        );
        assert!(
            compile(&engine, vec![], Returns::Integer, &code).is_ok(),
            "{code}"
        );
    }
}
