//! rhai, the escape hatch: functions written in a small scripting language
//! for the rare calculation the rule language does not cover (a scoring
//! instrument, an unusual formula).
//!
//! Scripts come from rule authors, who are not all trusted, so each runs in
//! a sandbox: no `import` (rhai is built without modules), no `eval`, no
//! output, and caps on operations, call depth, expression depth, string,
//! array and map sizes, plus a wall-clock deadline per call. A script that
//! loops forever or allocates without end fails that one evaluation with a
//! clear error within [`DEADLINE`], and the engine stays usable.
//!
//! Numbers cross the boundary exactly: rhai is built with `decimal` and
//! `no_float`, so `0.8` in a script is the decimal 0.8, not a binary float.

use rhai::{Dynamic, Engine, Scope};
use rust_decimal::Decimal;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// The longest one function call may run.
pub const DEADLINE: Duration = Duration::from_millis(50);
/// The most rhai operations one call may perform.
pub const MAX_OPERATIONS: u64 = 1_000_000;

thread_local! {
    /// When the call running on this thread must stop. The engine is shared
    /// between threads, so the deadline lives with the thread, not with it.
    static STOP_AT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The sandboxed rhai engine every function of a rule set runs on.
pub(crate) fn sandbox() -> Engine {
    let mut engine = Engine::new();
    engine.disable_symbol("eval");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(32);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(64 * 1024);
    engine.set_max_array_size(10_000);
    engine.set_max_map_size(10_000);
    engine.set_strict_variables(true);
    engine.on_progress(|ops| {
        // Reading the clock on every operation would cost more than the
        // operations; every 1,024th is often enough to stop within the
        // deadline.
        if ops % 1024 == 0 {
            let late = STOP_AT
                .with(|s| s.get())
                .is_some_and(|t| Instant::now() > t);
            if late {
                return Some(Dynamic::from("deadline"));
            }
        }
        None
    });
    engine
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

/// A compiled function.
#[derive(Debug, Clone)]
pub struct Script {
    pub(crate) ast: rhai::AST,
    pub(crate) params: Vec<String>,
    pub(crate) returns: Returns,
}

/// Where a script error is, within the script text: 1-based line and
/// column, when rhai knows.
pub(crate) fn position(p: rhai::Position) -> Option<(usize, usize)> {
    Some((p.line()?, p.position().unwrap_or(1)))
}

/// Compiles a function body with its parameter names as variables.
pub(crate) fn compile(
    engine: &Engine,
    params: Vec<String>,
    returns: Returns,
    code: &str,
) -> Result<Script, (String, Option<(usize, usize)>)> {
    let mut scope = Scope::new();
    for p in &params {
        scope.push_dynamic(p.as_str(), Dynamic::UNIT);
    }
    match engine.compile_with_scope(&scope, code) {
        Ok(ast) => Ok(Script {
            ast,
            params,
            returns,
        }),
        Err(e) => Err((e.err_type().to_string(), position(e.position()))),
    }
}

/// Calls a function. Errors are in words, for the report.
pub(crate) fn call(
    engine: &Engine,
    script: &Script,
    args: Vec<ScriptValue>,
) -> Result<ScriptValue, String> {
    let mut scope = Scope::new();
    for (name, v) in script.params.iter().zip(args) {
        scope.push_dynamic(name.as_str(), v.into_dynamic());
    }
    STOP_AT.with(|s| s.set(Some(Instant::now() + DEADLINE)));
    let result = engine.eval_ast_with_scope::<Dynamic>(&mut scope, &script.ast);
    STOP_AT.with(|s| s.set(None));
    let value = result.map_err(|e| match *e {
        rhai::EvalAltResult::ErrorTerminated(..) => {
            format!(
                "it ran longer than {} ms and was stopped",
                DEADLINE.as_millis()
            )
        }
        rhai::EvalAltResult::ErrorTooManyOperations(..) => {
            format!("it ran more than {MAX_OPERATIONS} operations and was stopped")
        }
        other => other.to_string(),
    })?;
    convert(value, script.returns)
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
        let start = Instant::now();
        let err = call(&engine, &script, vec![]).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_millis(100),
            "{:?}",
            start.elapsed()
        );
        assert!(err.contains("stopped"), "{err}");
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
            err.to_lowercase().contains("array") || err.contains("stopped"),
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
}
