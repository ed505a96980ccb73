#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// pest_derive without `std` (see Cargo.toml) names `alloc` in the code it
// generates.
extern crate alloc;

pub mod check;
pub mod compile;
pub mod decimal;
pub mod diagnostic;
pub mod eval;
pub mod format;
pub mod harness;
pub mod ir;
pub mod profile;
pub mod report;
pub mod script;
pub mod syntax;

pub use compile::Engine;
pub use diagnostic::{Diagnostic, Severity as DiagnosticSeverity, SourceMap};
pub use profile::{Caseloads, InputError, Profile};
pub use report::Report;

use diagnostic::Sink;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Bounds on what a rule set may hold, so that hostile rule files give an
/// error rather than exhaust the stack or memory.
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

/// Options for loading a rule set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Size and depth limits.
    pub limits: Limits,
}

/// Why a rule set did not load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// A file or directory could not be read.
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The rules have errors: every one found, each located.
    Rules(Vec<Diagnostic>),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io { path, message } => write!(f, "cannot read `{path}`: {message}"),
            LoadError::Rules(d) => {
                for (i, diag) in d.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{diag}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

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

/// Loads, checks and compiles rule files given as `(name, text)` pairs.
/// The rule-set order is the order of the names, sorted.
pub fn load_sources<N: AsRef<str> + Sync, T: AsRef<str> + Sync>(
    files: &[(N, T)],
    options: &LoadOptions,
) -> Result<Engine, LoadError> {
    with_stack(|| load_sources_here(files, options)).unwrap_or_else(|| {
        Err(LoadError::Io {
            path: String::new(),
            message: "cannot start a thread to load the rules on".into(),
        })
    })
}

fn load_sources_here<N: AsRef<str>, T: AsRef<str>>(
    files: &[(N, T)],
    options: &LoadOptions,
) -> Result<Engine, LoadError> {
    let mut sorted: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_ref(), t.as_ref()))
        .collect();
    // Rule-set order, and the version, depend on file names, not on where
    // the directory happens to be.
    let base = |n: &str| n.rsplit(['/', '\\']).next().unwrap_or(n).to_string();
    sorted.sort_by_key(|(n, _)| base(n));
    if sorted.len() > options.limits.max_files {
        return Err(LoadError::Io {
            path: String::new(),
            message: format!(
                "{} rule files, more than the limit of {}",
                sorted.len(),
                options.limits.max_files
            ),
        });
    }
    let mut sources = SourceMap::new();
    let mut hasher = Sha256::new();
    for (name, text) in &sorted {
        hasher.update(base(name).as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
        sources.add(*name, *text);
    }
    let version = format!("sha256:{:x}", hasher.finalize());
    let mut reports = Vec::new();
    let mut parsed = Vec::new();
    for (id, file) in sources.iter() {
        match syntax::parse(id, &file.text, &options.limits) {
            Ok(ast) => parsed.push((id, ast)),
            Err(mut e) => reports.append(&mut e),
        }
    }
    let result = if reports.is_empty() {
        check::check(&parsed, sources.clone(), version, &options.limits)
    } else {
        Err(reports)
    };
    match result {
        Ok(rules) => Ok(compile::compile(rules)),
        Err(reports) => {
            let mut sink = Sink::new(&sources);
            let mut reports = reports;
            // Stages find problems in their own order; readers want them in
            // the order of the text.
            reports.sort_by_key(|r| (r.file, r.span.start));
            // The checker stops soon after the limit; say that it did.
            let mut reports = reports.into_iter();
            for r in reports.by_ref().take(options.limits.max_errors) {
                sink.push(r);
            }
            if let Some(next) = reports.next() {
                sink.push(
                    diagnostic::Report::error(
                        "too-many-errors",
                        next.file,
                        next.span,
                        format!(
                            "more than {} errors: checking stopped, and the rest are not shown",
                            options.limits.max_errors
                        ),
                    )
                    .help("fix the errors above and load again"),
                );
            }
            Err(LoadError::Rules(sink.diagnostics))
        }
    }
}

/// Loads every `.rules` file of a directory (not its subdirectories).
pub fn load_dir(dir: impl AsRef<Path>, options: &LoadOptions) -> Result<Engine, LoadError> {
    let dir = dir.as_ref();
    let io = |e: std::io::Error| LoadError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "rules") && path.is_file() {
            let bytes = std::fs::metadata(&path).map_err(io)?.len();
            if bytes > options.limits.max_file_bytes as u64 {
                return Err(LoadError::Io {
                    path: path.display().to_string(),
                    message: format!(
                        "rule file is {bytes} bytes, more than the limit of {} bytes",
                        options.limits.max_file_bytes
                    ),
                });
            }
            let text = std::fs::read(&path).map_err(|e| LoadError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            let text = String::from_utf8(text).map_err(|e| LoadError::Io {
                path: path.display().to_string(),
                message: format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            })?;
            files.push((path.display().to_string(), text));
        }
    }
    if files.is_empty() {
        return Err(LoadError::Io {
            path: dir.display().to_string(),
            message: "no `.rules` files in this directory".into(),
        });
    }
    load_sources(&files, options)
}

/// The reference policy's rule files, as shipped in `rules/`.
pub const REFERENCE_RULES: &[(&str, &str)] = &[
    ("rules/client.rules", include_str!("../rules/client.rules")),
    (
        "rules/parameters.rules",
        include_str!("../rules/parameters.rules"),
    ),
    (
        "rules/programs.rules",
        include_str!("../rules/programs.rules"),
    ),
    (
        "rules/referrals.rules",
        include_str!("../rules/referrals.rules"),
    ),
    (
        "rules/warnings.rules",
        include_str!("../rules/warnings.rules"),
    ),
];

/// The reference policy, compiled.
pub fn reference() -> Result<Engine, LoadError> {
    load_sources(REFERENCE_RULES, &LoadOptions::default())
}
