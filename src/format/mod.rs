//! The canonical layout of rule files, for `careplan fmt`.
//!
//! Formatting is syntax only: a file that parses is formatted even if the
//! checker would reject it, so authors can tidy a file while they fix it.
//! A file that does not parse is returned as diagnostics, never changed.
//!
//! # The layout
//!
//! There is one layout. How the input was spaced matters in three places
//! only: where the author left blank lines, which lines comments were on,
//! and where long strings were split into parts.
//!
//! * **Width.** Lines aim to fit in [`WIDTH`] (88) characters, counted in
//!   characters, indentation included, comments excluded. 88 is the widest
//!   that keeps every condition of the reference rules laid out as written.
//! * **Indentation.** Two spaces inside `schema { … }` and blocks; four for
//!   a line that continues the one above it.
//! * **Items.** `schema {` and `kind id "Title" {` open on one line; each
//!   field or clause takes its own line; `}` closes on its own line, also
//!   for an empty block. A blank line always separates top-level items;
//!   if the author left none, it goes right after the `}`.
//! * **Fields.** `name: type [range] [required] ["doc"]`, one per line, not
//!   aligned (alignment would rewrite every line when one name grows).
//!   Enumeration lists are never broken: `one of {a, b}`, `set of {a, b}`.
//! * **Conditions** (`… when` and `value:`) stay on one line when it fits.
//!   Otherwise, when the condition is an `and` or an `or`, each further
//!   operand goes on a continuation line that starts with the operator:
//!   ```text
//!   eligible when age >= 18
//!     and "serious_mental_illness" in diagnoses
//!   ```
//!   Only that top level breaks: an operand that is too long on its own
//!   stays on one line (name a part of it with a `define` block).
//! * **Services** fill lines: as many ids as fit, continuation lines after.
//! * **Strings** are never re-flowed: the author's adjacent parts (`"…"
//!   "…"`) are kept, since where prose breaks is the author's choice and a
//!   long id or citation may not fit any width. The first part stays on the
//!   line of its key, field or title; each further part takes its own
//!   continuation line. A string moves to a continuation line of its own only
//!   when it would start past the width (a field whose type fills the line).
//!   Inside expressions, adjacent parts are joined into one string: there
//!   they cannot be put on lines of their own anyway. Strings are re-escaped:
//!   `\"`, `\\`, `\n`, `\t`; any other character is written as itself.
//! * **Expressions** are printed with single spaces around operators,
//!   `f(a, b)`, `{a, b}`, no trailing commas, parentheses exactly where the
//!   author put them. Operators take their ASCII spelling (`<=` for `≤`, `>=`
//!   for `≥`, `!=` for `≠`, `*` for `×`, `-` for `−`); `of` stays `of`.
//!   Numbers and percentages are written exactly as in the source,
//!   underscores included.
//! * **Caseloads** always read `caseload: at most N per case manager` (or
//!   `fewer than N`); `per case manager` is optional to the parser.
//! * **Blank lines.** One or more blank lines between clauses, fields or
//!   comments become one; blank lines right after `{`, right before `}`, at
//!   the start of the file and inside a continued clause are dropped.
//! * **Line ends** are `\n`, and the file ends with one; outside strings,
//!   tabs and byte-order marks are spacing like any other. A file with
//!   neither items nor comments formats to the empty file.
//!
//! # Comments
//!
//! The grammar skips comments, so they are recovered from the text: every
//! `#` outside a string starts one. Each comment keeps its text (trailing
//! spaces removed) and its order; what may change is its line:
//!
//! * A comment on a line of its own stays on a line of its own, indented like
//!   the line that follows it (a comment before `}` is indented like the
//!   block's clauses).
//! * A comment after code on the same line stays after that code, two spaces
//!   after it, as long as the code still ends that line.
//! * A comment inside code that the layout puts on one line (say inside a
//!   condition that now fits on one line) moves to its own line just before
//!   that line: a line holds at most one comment, at its end.
//! * A condition that has comments between its operands is always broken at
//!   its top level, so those comments stay beside the operands they explain.

use crate::Limits;
use crate::diagnostic::{Code, Diagnostic, FileId, Report, Sink, SourceMap, Span};
use crate::syntax::{self, ast::*};

mod comments;
mod expr;
mod printer;

use comments::scan_comments;
use printer::Printer;

/// The width, in characters, that formatted lines aim to fit in.
///
/// ```
/// let long = "referral r {\n  routine when alpha_score >= 10 and beta_score >= 10 \
///     and gamma_score >= 10 and delta_score >= 10 and epsilon_score >= 10\n}\n";
/// let formatted = careplan::format_source(long).unwrap();
/// assert!(formatted.lines().count() > long.lines().count());
/// assert!(formatted.lines().all(|l| l.chars().count() <= careplan::format::WIDTH));
/// ```
pub const WIDTH: usize = 88;

/// The file name diagnostics show for [`format_source`] and [`parse_source`].
const INPUT_NAME: &str = "<input>";

const BLOCK_INDENT: usize = 2;
const CONTINUATION_INDENT: usize = 4;

/// Formats one rule file into the canonical layout described in this
/// module's documentation. A syntax error gives the parser's diagnostics,
/// located in a file named `<input>`.
///
/// ```
/// let tidy = careplan::format_source("schema{age:integer}").unwrap();
/// assert_eq!(tidy, "schema {\n  age: integer\n}\n");
/// assert_eq!(careplan::format_source(&tidy).unwrap(), tidy);
/// let errors = careplan::format_source("schema {").unwrap_err();
/// assert_eq!(errors[0].location.file, "<input>");
/// ```
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    format_named(INPUT_NAME, text)
}

/// Like [`format_source`], with the file name diagnostics should show.
///
/// ```
/// use careplan::format::format_named;
/// assert_eq!(format_named("a.rules", "schema{age:integer}").unwrap(), "schema {\n  age: integer\n}\n");
/// let errors = format_named("a.rules", "schema {").unwrap_err();
/// assert_eq!(errors[0].location.file, "a.rules");
/// ```
pub fn format_named(name: &str, text: &str) -> Result<String, Vec<Diagnostic>> {
    // pest parses nested brackets by recursion: a file the loader accepts
    // can need more stack than the caller's thread has.
    crate::limits::with_stack(|| format_here(name, text))
        .unwrap_or_else(|| Err(no_thread(name, text)))
}

/// Parses one rule file into its syntax tree, as the loader does, without
/// checking it. Diagnostics are located in a file named `<input>`.
///
/// ```
/// assert!(careplan::format::parse_source("schema {\n  age: integer\n}\n").is_ok());
/// let errors = careplan::format::parse_source("schema {").unwrap_err();
/// assert_eq!(errors[0].code, "syntax");
/// ```
// Public for the formatter's round-trip tests and the parse fuzzer, which
// compare syntax trees; the syntax tree is not part of the API.
#[doc(hidden)]
pub fn parse_source(text: &str) -> Result<File, Vec<Diagnostic>> {
    crate::limits::with_stack(|| {
        let (sources, id) = source_map(INPUT_NAME, text);
        parse_in(&sources, id, text)
    })
    .unwrap_or_else(|| Err(no_thread(INPUT_NAME, text)))
}

fn format_here(name: &str, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (sources, id) = source_map(name, text);
    let file = parse_in(&sources, id, text)?;
    let printer = Printer::new(text);
    let out = printer.file(&file);
    // Authors run the formatter over files they care about: if a bug ever
    // made it print something that does not read back, or lose a comment,
    // refusing is better than handing back a damaged file.
    let reparse_limits = Limits {
        // Indentation can make the output longer than an input that was
        // just under the size limit.
        max_file_bytes: usize::MAX,
        ..Limits::default()
    };
    let reparsed = syntax::parse(id, &out, &reparse_limits).is_ok();
    let same_comments = scan_comments(&out)
        .iter()
        .map(|c| c.body)
        .eq(printer.comments.iter().map(|c| c.body));
    if reparsed && same_comments {
        Ok(out)
    } else {
        Err(one_error(
            &sources,
            id,
            Code::FormatInternal,
            "the formatter could not lay out this file without changing it; the file is left as it is",
            "this is a bug in careplan: please report it with the file",
        ))
    }
}

fn no_thread(name: &str, text: &str) -> Vec<Diagnostic> {
    let (sources, id) = source_map(name, text);
    one_error(
        &sources,
        id,
        Code::NoThread,
        "cannot start a thread to parse the file on",
        "the system is short of memory or threads; try again",
    )
}

fn one_error(
    sources: &SourceMap,
    id: FileId,
    code: Code,
    message: &str,
    help: &str,
) -> Vec<Diagnostic> {
    let mut sink = Sink::new(sources);
    sink.push(Report::error(code, id, Span::new(0, 0), message).help(help));
    sink.diagnostics
}

fn source_map(name: &str, text: &str) -> (SourceMap, FileId) {
    let mut sources = SourceMap::new();
    let id = sources.add(name, text);
    (sources, id)
}

fn parse_in(sources: &SourceMap, id: FileId, text: &str) -> Result<File, Vec<Diagnostic>> {
    syntax::parse(id, text, &Limits::default()).map_err(|reports| {
        let mut sink = Sink::new(sources);
        for r in reports {
            sink.push(r);
        }
        sink.diagnostics
    })
}
