//! Bounds on hostile input, and the thread that loading runs on.
//!
//! Every stage that could be made to recurse or allocate without bound by a
//! rule file reads its bound from [`Limits`]; the pre-scan in `syntax`
//! enforces nesting before pest runs, so every later recursive walk is
//! bounded by `max_depth`.

/// Bounds on what a rule set may hold, so that hostile rule files give an
/// error rather than exhaust the stack or memory.
///
/// ```
/// use careplan::{Limits, LoadError, LoadOptions};
/// let options = LoadOptions { limits: Limits { max_file_bytes: 10, ..Limits::default() } };
/// let err = careplan::load_sources(&[("a.rules", "schema {\n  age: integer\n}\n")], &options);
/// assert!(matches!(err, Err(LoadError::Rules(d)) if d[0].code == "file-too-large"));
/// assert_eq!(Limits::default().max_depth, 64);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest rule file, in bytes.
    pub max_file_bytes: usize,
    /// The deepest nesting of brackets and of expressions.
    pub max_depth: usize,
    /// The most rule files in a rule set.
    pub max_files: usize,
    /// The longest string literal, in bytes between its quotes as written.
    pub max_string_bytes: usize,
    /// The most items (`schema` blocks and blocks) in a rule set.
    pub max_items: usize,
    /// The most fields in the schema, all `schema` blocks together.
    pub max_fields: usize,
    /// The most values of one enumeration (`one of {…}`, `set of {…}`).
    pub max_enum_values: usize,
    /// The most errors one load reports; checking stops after that many.
    pub max_errors: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 8 * 1024 * 1024,
            max_depth: 64,
            max_files: 10_000,
            max_string_bytes: 64 * 1024,
            max_items: 100_000,
            max_fields: 10_000,
            max_enum_values: 1_000,
            max_errors: 100,
        }
    }
}

/// The stack that parsing and checking run on. pest parses nested brackets
/// by recursion, and in a debug build one level of parentheses takes about
/// 100 KiB of stack; at the depth limit that is more than a default thread
/// (2 MiB) or even a main thread (8 MiB) has. The memory is reserved, not
/// used, until the recursion reaches it.
const LOAD_STACK: usize = 256 * 1024 * 1024;

/// Runs `f` on a thread with [`LOAD_STACK`] of stack; `None` if the
/// system cannot make a thread.
pub(crate) fn with_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("careplan-load".into())
            .stack_size(LOAD_STACK)
            .spawn_scoped(s, f)
            .ok()?;
        // Library code does not panic; should a bug make it, let the
        // panic continue on the caller's thread rather than hide it.
        Some(
            handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    })
}
