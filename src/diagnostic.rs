//! Errors in rule files, as plain data.
//!
//! The library never prints: every problem found while loading a rule set is
//! a [`Diagnostic`] naming the file, the line and column, the offending
//! snippet and, where one helps, a hint. A load reports all of them, not only
//! the first. The CLI renders them.

use serde::Serialize;
use std::fmt;

/// A byte range within one source file: where a [`Location`] points, for
/// editors that work in offsets.
///
/// ```
/// let files = [("a.rules", "schema {\n  age: integr\n}\n")];
/// let careplan::LoadError::Rules(d) = careplan::load_sources(&files, &Default::default()).unwrap_err()
/// else { unreachable!() };
/// let span = d[0].location.span;
/// assert_eq!(&files[0].1[span.start..span.end], "integr");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    ///
    /// ```
    /// let s = careplan::Span::new(3, 7);
    /// assert_eq!((s.start, s.end), (3, 7));
    /// ```
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    ///
    /// ```
    /// use careplan::Span;
    /// assert_eq!(Span::new(3, 5).to(Span::new(8, 9)), Span::new(3, 9));
    /// ```
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Identifies one file of a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct FileId(pub usize);

/// A rule file's name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The name shown in diagnostics, usually the path.
    pub name: String,
    /// The whole text.
    pub text: String,
    /// Byte offset of the start of each line. A line ends at `\n`, `\r\n`
    /// or a lone `\r`, as the grammar reads them.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A file named `name` holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        line_starts.extend(
            text.match_indices(['\n', '\r']).filter_map(|(i, c)| {
                (c == "\n" || bytes.get(i + 1) != Some(&b'\n')).then_some(i + 1)
            }),
        );
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text of a span, or an empty string if it is out of range.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// The full text of the 1-based line `line`, without its line end.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// All files of a rule set, in load order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        FileId(self.files.len() - 1)
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0)
    }

    /// Every file with its id.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i), f))
    }

    /// The source text of a span in a file.
    pub fn slice(&self, file: FileId, span: Span) -> &str {
        self.get(file).map_or("", |f| f.slice(span))
    }

    /// A location for diagnostics.
    pub fn locate(&self, file: FileId, span: Span) -> Location {
        match self.get(file) {
            Some(f) => {
                let (line, column) = f.line_col(span.start);
                // The underline ends with the span or at the end of its line.
                let on_line = f.slice(span).split(['\n', '\r']).next().unwrap_or("");
                let end_column = column + on_line.chars().count().max(1);
                Location {
                    file: f.name.clone(),
                    line,
                    column,
                    end_column,
                    span,
                }
            }
            None => Location {
                file: String::new(),
                line: 0,
                column: 0,
                end_column: 0,
                span,
            },
        }
    }
}

/// Where a diagnostic points.
///
/// ```
/// let files = [("a.rules", "schema {\n  age: integer\n}\n\
/// referral r {\n  routine when agee > 1\n}\n")];
/// let careplan::LoadError::Rules(diagnostics) =
///     careplan::load_sources(&files, &Default::default()).unwrap_err()
/// else { unreachable!() };
/// let at = &diagnostics[0].location;
/// assert_eq!((at.file.as_str(), at.line, at.column, at.end_column), ("a.rules", 5, 16, 20));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file's name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 1-based column just past the span's end on its first line.
    pub end_column: usize,
    /// The byte range in the file.
    pub span: Span,
}

/// How serious a diagnostic is.
///
/// ```
/// let files = [("a.rules", "schema {\n  age: integer\n}\n\
/// referral r {\n  routine when agee > 1\n}\n")];
/// let careplan::LoadError::Rules(diagnostics) =
///     careplan::load_sources(&files, &Default::default()).unwrap_err()
/// else { unreachable!() };
/// assert_eq!(diagnostics[0].severity, careplan::DiagnosticSeverity::Error);
/// assert_eq!(serde_json::to_string(&careplan::DiagnosticSeverity::Warning).unwrap(), "\"warning\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The rule set cannot load.
    Error,
    /// The rule set loads, but something looks wrong.
    Warning,
}

/// Declares [`Code`] from one list of variants and names, so that the enum,
/// its names ([`Code::as_str`]) and [`Code::ALL`] cannot drift apart.
macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident => $text:literal,)*) => {
        /// What kind of problem a diagnostic reports. Each has a stable
        /// kebab-case name that diagnostics, JSON output and scripts match
        /// on.
        ///
        /// ```
        /// use careplan::Code;
        /// assert_eq!(Code::Syntax.as_str(), "syntax");
        /// assert!(Code::ALL.iter().any(|c| c.as_str() == "unknown-name"));
        /// assert_eq!(serde_json::to_string(&Code::Syntax).unwrap(), "\"syntax\"");
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $name,)*
        }

        impl Code {
            /// Every code, in declaration order.
            ///
            /// ```
            /// let names: Vec<&str> = careplan::Code::ALL.iter().map(|c| c.as_str()).collect();
            /// assert_eq!(names[0], "syntax");
            /// assert!(names.contains(&"unknown-name"));
            /// ```
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];

            /// The stable name, e.g. `unknown-name`.
            ///
            /// ```
            /// assert_eq!(careplan::Code::Syntax.as_str(), "syntax");
            /// ```
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $text,)*
                }
            }
        }
    };
}

codes! {
    /// The text does not follow the grammar: pest stopped at a token it did
    /// not expect. Example: `eligible when age == 3` (equality is `=`).
    Syntax => "syntax",
    /// A string or a `"""` script is never closed. Example: `message: "oops`
    /// with no closing quote on the line.
    UnterminatedString => "unterminated-string",
    /// A string or script is longer than `Limits::max_string_bytes`. Example:
    /// a `message: "…"` of 70,000 characters under the default limits.
    StringTooLong => "string-too-long",
    /// A rule file is larger than `Limits::max_file_bytes`. Example: a
    /// generated file of 9 MiB under the default limits.
    FileTooLarge => "file-too-large",
    /// Brackets, or an expression built without brackets (a chain of `not`s
    /// or `-`s), nest deeper than `Limits::max_depth`. Example: 65 `(`s.
    TooDeep => "too-deep",
    /// An `is`, `in` or `has` test is chained with another comparison.
    /// Example: `when 3 < age is known`.
    AmbiguousChain => "ambiguous-chain",
    /// The rule set has more schemas, blocks and functions than
    /// `Limits::max_items`. Example: 100,001 `define` blocks.
    TooManyItems => "too-many-items",
    /// The schema has more fields than `Limits::max_fields`. Example: 10,001
    /// fields under the default limits.
    TooManyFields => "too-many-fields",
    /// An enumeration lists more values than `Limits::max_enum_values`.
    /// Example: `code: one of {…}` with 1,001 values.
    TooManyValues => "too-many-values",
    /// More errors than `Limits::max_errors`: checking stopped, and this one
    /// stands for the rest. Example: 101 misspelled field names.
    TooManyErrors => "too-many-errors",
    /// Two blocks of one kind, or two functions, share an id, or a
    /// `define` is named like a field. Example: two `program p { … }`.
    DuplicateId => "duplicate-id",
    /// A schema field is declared twice. Example: `age: integer` twice.
    DuplicateField => "duplicate-field",
    /// An enumeration lists a value twice. Example: `one of {a, b, a}`.
    DuplicateValue => "duplicate-value",
    /// A function lists a parameter twice. Example:
    /// `function f(x: integer, x: integer) -> integer`.
    DuplicateParam => "duplicate-param",
    /// A block or function gives a clause twice, or a program has a second
    /// condition. Example: `eligible when a when b`.
    DuplicateClause => "duplicate-clause",
    /// A program lists a service twice. Example: `services: meals, meals`.
    DuplicateService => "duplicate-service",
    /// Two programs have the same intensity, so neither is the more
    /// intensive. Example: `intensity: 2` in two programs.
    DuplicateIntensity => "duplicate-intensity",
    /// A field, definition, outcome or function takes a reserved word or a
    /// built-in function's name. Example: `program none { … }`.
    ReservedName => "reserved-name",
    /// A number careplan cannot hold exactly (more than 28 significant
    /// digits). Example: `value: 1.00000000000000000000000000001`.
    BadNumber => "bad-number",
    /// A date that is not a day of the calendar. Example: `2023-02-30`.
    BadDate => "bad-date",
    /// The `from` dates of a dated value are not strictly ascending.
    /// Example: `from 2026-01-15: 2` before `from 2025-01-15: 1`.
    DatesOutOfOrder => "dates-out-of-order",
    /// A field's range is empty, or given to a field that is not a number.
    /// Example: `age: integer between 10 and 5`.
    BadRange => "bad-range",
    /// A set type or set parameter holds something other than text or
    /// enumeration values. Example: `codes: set of integer`.
    BadType => "bad-type",
    /// A clause that does not belong in its block or function, or a `when`
    /// where the kind takes none. Example: `severity: high` in a program.
    BadClause => "bad-clause",
    /// A block or function lacks a clause its kind needs. Example: a
    /// `program` without `intensity`.
    MissingClause => "missing-clause",
    /// `evidence:` is not one of the grades. Example: `evidence: strong`.
    BadEvidence => "bad-evidence",
    /// A program's intensity is not a whole number. Example: `intensity: 1.5`.
    BadIntensity => "bad-intensity",
    /// A caseload limit is not a whole number of clients. Example:
    /// `caseload: fewer than 0`.
    BadCaseload => "bad-caseload",
    /// A referral's condition does not start with `urgent` or `routine`.
    /// Example: `soon when age < 3`.
    BadPriority => "bad-priority",
    /// A warning's severity is not `info`, `warning` or `critical`.
    /// Example: `severity: bad`.
    BadSeverity => "bad-severity",
    /// A condition is not true or false. Example: `eligible when age + 1`.
    NotACondition => "not-a-condition",
    /// A `parameter`, which must be a constant, reads the profile or an
    /// outcome. Example: `parameter p { value: age }`.
    ParameterReadsProfile => "parameter-reads-profile",
    /// A function's rhai script does not compile. Example:
    /// `script: """ x + """`.
    ScriptError => "script-error",
    /// A name is no field, parameter or definition. Example:
    /// `eligible when agee > 3` for the field `age`.
    UnknownName => "unknown-name",
    /// A word is not a value of the enumeration it is compared with.
    /// Example: `housing is tent` where `housing` is `one of {stable, homeless}`.
    UnknownValue => "unknown-value",
    /// A name compared with `recommended` is not a program. Example:
    /// `recommended is nope`.
    UnknownProgram => "unknown-program",
    /// An outcome test names an outcome that does not exist. Example:
    /// `eligible(nope)`.
    UnknownOutcome => "unknown-outcome",
    /// A call names no built-in or declared function. Example: `cont(needs)`.
    UnknownFunction => "unknown-function",
    /// A call has the wrong number or kind of arguments. Example:
    /// `count(a, b)` or `eligible(1)`.
    BadArguments => "bad-arguments",
    /// An operand has the wrong type for its operator or test. Example:
    /// `age is "old"` for a number field.
    TypeMismatch => "type-mismatch",
    /// `none` where it is neither compared with `recommended` nor an
    /// enumeration value. Example: `eligible when age is none`.
    BadNone => "bad-none",
    /// A set literal holds something that is not a constant. Example:
    /// `x in {age, 3}`.
    NotConstant => "not-constant",
    /// A division by the constant zero. Example: `value: age / 0`.
    DivisionByZero => "division-by-zero",
    /// A calculation on constants overflows an exact decimal. Example:
    /// `value: 79228162514264337593543950335 * 10`.
    Overflow => "overflow",
    /// Definitions or outcomes depend on themselves. Example:
    /// `define a { value: b }` and `define b { value: a }`.
    Cycle => "cycle",
    /// The formatter's output would not parse again: a bug in `careplan fmt`,
    /// reported rather than written out. No rule file triggers it on purpose.
    FormatInternal => "format-internal",
    /// No thread could be started to parse on (the system is short of
    /// memory or threads). No rule file triggers it.
    NoThread => "no-thread",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One problem in a rule set.
///
/// ```
/// let files = [("a.rules", "schema {\n  age: integer\n}\n\
/// referral r {\n  routine when agee > 1\n}\n")];
/// let careplan::LoadError::Rules(diagnostics) =
///     careplan::load_sources(&files, &Default::default()).unwrap_err()
/// else { unreachable!() };
/// let d = &diagnostics[0];
/// assert_eq!(d.code, careplan::Code::UnknownName.as_str());
/// assert_eq!(d.snippet, "  routine when agee > 1");
/// assert!(d.help.as_deref().unwrap().contains("age"));
/// assert!(d.to_string().starts_with("a.rules:5:16: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code for the kind of problem, e.g. `unknown-name`: the name
    /// of a [`Code`] ([`Code::as_str`]) for a problem in the rules. It stays
    /// a string because tools built on the library report their own kinds
    /// (the coverage harness's `uncovered`) in the same form.
    pub code: &'static str,
    /// What is wrong, lowercase, without a final period.
    pub message: String,
    /// Where.
    pub location: Location,
    /// The line of source it points into; of a line longer than 1,000
    /// bytes, its first 1,000 bytes and `…`.
    pub snippet: String,
    /// A short label for the span itself.
    pub label: String,
    /// A hint on how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.location;
        write!(f, "{}:{}:{}: {}", l.file, l.line, l.column, self.message)?;
        if !self.label.is_empty() {
            write!(f, " ({})", self.label)?;
        }
        if let Some(help) = &self.help {
            write!(f, "; help: {help}")?;
        }
        Ok(())
    }
}

/// Collects diagnostics while a stage runs.
#[derive(Debug)]
pub(crate) struct Sink<'a> {
    pub(crate) sources: &'a SourceMap,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// A diagnostic before it is located: the stages build these.
pub(crate) struct Report {
    pub(crate) code: Code,
    pub(crate) message: String,
    pub(crate) file: FileId,
    pub(crate) span: Span,
    pub(crate) label: String,
    pub(crate) help: Option<String>,
    pub(crate) severity: Severity,
}

impl Report {
    pub(crate) fn error(
        code: Code,
        file: FileId,
        span: Span,
        message: impl Into<String>,
    ) -> Report {
        Report {
            code,
            message: message.into(),
            file,
            span,
            label: String::new(),
            help: None,
            severity: Severity::Error,
        }
    }

    pub(crate) fn label(mut self, label: impl Into<String>) -> Report {
        self.label = label.into();
        self
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Report {
        self.help = Some(help.into());
        self
    }
}

impl<'a> Sink<'a> {
    pub(crate) fn new(sources: &'a SourceMap) -> Sink<'a> {
        Sink {
            sources,
            diagnostics: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, r: Report) {
        let location = self.sources.locate(r.file, r.span);
        let snippet = self
            .sources
            .get(r.file)
            .map(|f| snippet(f.line_text(location.line)))
            .unwrap_or_default();
        self.diagnostics.push(Diagnostic {
            severity: r.severity,
            code: r.code.as_str(),
            message: r.message,
            location,
            snippet,
            label: r.label,
            help: r.help,
        });
    }
}

/// The longest snippet, in bytes. A generated or hostile file can hold its
/// whole text on one line; a copy of that line in each diagnostic would
/// cost memory in proportion to the errors times the file.
const SNIPPET_BYTES: usize = 1_000;

/// A diagnostic's source line: all of it, or for a longer line its first
/// [`SNIPPET_BYTES`] (at a character boundary) and `…`.
fn snippet(line: &str) -> String {
    if line.len() <= SNIPPET_BYTES {
        return line.to_string();
    }
    let mut end = SNIPPET_BYTES;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let mut s = line.get(..end).unwrap_or("").to_string();
    s.push('…');
    s
}

/// The closest of `candidates` to `word`, if close enough to suggest.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // The distance costs the product of the lengths: a hostile file with
    // long names would make every suggestion slow. No one misspells a name
    // this long, so such names get no suggestion.
    const LONGEST: usize = 64;
    let len = word.chars().count();
    if len > LONGEST {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c.len() > 4 * LONGEST {
            continue;
        }
        let clen = c.chars().count();
        let limit = (len.max(clen) / 3).max(1);
        // The distance is at least the difference in length.
        if clen > LONGEST || len.abs_diff(clen) > limit {
            continue;
        }
        let d = edit_distance(word, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance, counted in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let f = SourceFile::new("a", "ab\n≤cd\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // `c` comes after the three-byte `≤`.
        assert_eq!(f.line_col(6), (2, 2));
        assert_eq!(f.line_text(2), "≤cd");
    }

    /// Scripts and JSON consumers match on the names: each is distinct,
    /// kebab-case, and serializes as itself.
    #[test]
    fn codes_have_distinct_kebab_case_names() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "`{name}` names two codes");
            assert!(
                !name.is_empty()
                    && !name.starts_with('-')
                    && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "`{name}` is not kebab-case"
            );
            assert_eq!(code.to_string(), name);
            assert_eq!(
                serde_json::to_string(code).ok(),
                Some(format!("\"{name}\""))
            );
        }
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["age", "housing", "diagnoses"];
        assert_eq!(did_you_mean("agee", names), Some("age"));
        assert_eq!(did_you_mean("diagnosis", names), Some("diagnoses"));
        assert_eq!(did_you_mean("zzzzzz", names), None);
    }
}
