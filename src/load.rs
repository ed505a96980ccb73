//! Loading a rule set: files → syntax → check → compile → [`Engine`], with
//! the rule set's version (a SHA-256 of its file names and contents) and
//! every diagnostic of the load, sorted by place and capped at
//! `Limits::max_errors`.

use crate::diagnostic::{self, Diagnostic, Sink, SourceMap};
use crate::engine::Engine;
use crate::limits::{Limits, with_stack};
use crate::{check, syntax};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Options for loading a rule set.
///
/// ```
/// let mut options = careplan::LoadOptions::default();
/// options.limits.max_files = 2;
/// let err = careplan::load_sources(careplan::REFERENCE_RULES, &options).unwrap_err();
/// assert!(matches!(err, careplan::LoadError::Limit { .. }));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Size and depth limits.
    pub limits: Limits,
}

/// Why a rule set did not load.
///
/// ```
/// use careplan::{LoadError, LoadOptions};
/// let err = careplan::load_dir("no/such/dir", &LoadOptions::default()).unwrap_err();
/// assert!(matches!(err, LoadError::Io { .. }));
/// let err = careplan::load_sources(&[("a.rules", "schema {")], &LoadOptions::default()).unwrap_err();
/// assert!(matches!(&err, LoadError::Rules(d) if d[0].code == "syntax"));
/// assert!(err.to_string().starts_with("a.rules:"));
/// ```
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
    /// The rule set is larger than a [`Limits`] bound allows (more files
    /// than `max_files`, or, in [`load_dir`], a file larger than
    /// `max_file_bytes`; [`load_sources`] reports that one as a
    /// `file-too-large` diagnostic of the file).
    Limit {
        /// The file or directory, when the bound is about one.
        path: Option<String>,
        /// Which bound, and by how much.
        message: String,
    },
    /// The loader could not run (no thread to load on): neither the rules'
    /// fault nor the files'.
    Internal {
        /// What went wrong.
        message: String,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io { path, message } => write!(f, "cannot read `{path}`: {message}"),
            LoadError::Limit {
                path: Some(path),
                message,
            } => write!(f, "`{path}`: {message}"),
            LoadError::Limit {
                path: None,
                message,
            } => f.write_str(message),
            LoadError::Internal { message } => write!(f, "internal error: {message}"),
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

/// Loads, checks and compiles rule files given as `(name, text)` pairs.
/// The rule-set order is the order of the names, sorted.
///
/// ```
/// let files = [
///     ("b.rules", "referral second {\n  routine when age > 1\n}\n"),
///     ("a.rules", "schema {\n  age: integer\n}\nreferral first {\n  routine when age > 2\n}\n"),
/// ];
/// let engine = careplan::load_sources(&files, &careplan::LoadOptions::default()).unwrap();
/// let ids: Vec<&str> = engine.referrals().map(|r| r.id()).collect();
/// assert_eq!(ids, ["first", "second"]);
/// ```
pub fn load_sources<N: AsRef<str> + Sync, T: AsRef<str> + Sync>(
    files: &[(N, T)],
    options: &LoadOptions,
) -> Result<Engine, LoadError> {
    with_stack(|| load_sources_here(files, options)).unwrap_or_else(|| {
        Err(LoadError::Internal {
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
        return Err(LoadError::Limit {
            path: None,
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
        Ok(rules) => Ok(Engine::new(rules)),
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
                        diagnostic::Code::TooManyErrors,
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

/// Loads every `.rules` file of a directory (not its subdirectories). An
/// entry named `*.rules` that is not a readable file (a dangling link, a
/// directory) is a [`LoadError::Io`] naming it, never skipped.
///
/// ```
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
/// let engine = careplan::load_dir(dir, &careplan::LoadOptions::default()).unwrap();
/// assert_eq!(engine.version(), careplan::reference().unwrap().version());
/// ```
pub fn load_dir(dir: impl AsRef<Path>, options: &LoadOptions) -> Result<Engine, LoadError> {
    let dir = dir.as_ref();
    let io = |e: std::io::Error| LoadError::Io {
        path: dir.display().to_string(),
        message: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "rules") {
            // A `.rules` entry that cannot be read as a file is an error,
            // not skipped: a rule set must never load with fewer files than
            // its directory holds.
            let at = |message: String| LoadError::Io {
                path: path.display().to_string(),
                message,
            };
            let meta = std::fs::metadata(&path).map_err(|e| {
                let dangling =
                    std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                at(if dangling {
                    format!("a symbolic link to nothing ({e})")
                } else {
                    e.to_string()
                })
            })?;
            if !meta.is_file() {
                return Err(at(if meta.is_dir() {
                    "a directory named like a rule file".into()
                } else {
                    "not a regular file".into()
                }));
            }
            let bytes = meta.len();
            if bytes > options.limits.max_file_bytes as u64 {
                return Err(LoadError::Limit {
                    path: Some(path.display().to_string()),
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
///
/// ```
/// let names: Vec<&str> = careplan::REFERENCE_RULES.iter().map(|(n, _)| *n).collect();
/// assert!(names.contains(&"rules/programs.rules"));
/// let (_, client) = careplan::REFERENCE_RULES[0];
/// assert!(client.contains("schema {"));
/// ```
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

/// The reference policy, compiled: [`REFERENCE_RULES`] loaded with the
/// default options.
///
/// ```
/// let engine = careplan::reference().unwrap();
/// assert_eq!(engine.programs().len(), 7);
/// let again = careplan::load_sources(careplan::REFERENCE_RULES, &Default::default()).unwrap();
/// assert_eq!(engine.version(), again.version());
/// ```
pub fn reference() -> Result<Engine, LoadError> {
    load_sources(REFERENCE_RULES, &LoadOptions::default())
}
