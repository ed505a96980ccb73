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

/// The width, in characters, that formatted lines aim to fit in.
pub const WIDTH: usize = 88;

/// The file name diagnostics show for [`format_source`] and [`parse_source`].
const INPUT_NAME: &str = "<input>";

const BLOCK_INDENT: usize = 2;
const CONTINUATION_INDENT: usize = 4;

/// Formats one rule file into the canonical layout described in this
/// module's documentation. A syntax error gives the parser's diagnostics,
/// located in a file named `<input>`.
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    format_named(INPUT_NAME, text)
}

/// Like [`format_source`], with the file name diagnostics should show.
pub fn format_named(name: &str, text: &str) -> Result<String, Vec<Diagnostic>> {
    // pest parses nested brackets by recursion: a file the loader accepts
    // can need more stack than the caller's thread has.
    crate::limits::with_stack(|| format_here(name, text))
        .unwrap_or_else(|| Err(no_thread(name, text)))
}

/// Parses one rule file into its syntax tree, as the loader does, without
/// checking it. Diagnostics are located in a file named `<input>`.
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

/// A comment found in the source: `start` is its `#`, `end` the end of its
/// text without trailing spaces.
#[derive(Debug, Clone, Copy)]
struct Comment<'a> {
    start: usize,
    end: usize,
    body: &'a str,
}

/// Finds every comment, skipping strings as the grammar reads them. Bytes
/// suffice: `#`, `"`, `\` and line ends are ASCII and never occur inside a
/// multi-byte character.
fn scan_comments(text: &str) -> Vec<Comment<'_>> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'#' => {
                let line_end = text
                    .get(i..)
                    .and_then(|rest| rest.find(['\n', '\r']))
                    .map_or(text.len(), |n| i + n);
                // Only the grammar's spaces: `trim_back` must find the
                // comment's end by skipping exactly these.
                let body = text
                    .get(i..line_end)
                    .unwrap_or("#")
                    .trim_end_matches(is_space);
                comments.push(Comment {
                    start: i,
                    end: i + body.len(),
                    body,
                });
                i = line_end;
            }
            // A script's `"""` string may hold `#` (rhai's `#{…}` maps).
            b'"' if text.get(i..).is_some_and(|r| r.starts_with("\"\"\"")) => {
                i = text
                    .get(i + 3..)
                    .and_then(|r| r.find("\"\"\""))
                    .map_or(bytes.len(), |n| i + 3 + n + 3);
            }
            b'"' => i = string_end(bytes, i).unwrap_or(bytes.len()),
            _ => i += 1,
        }
    }
    comments
}

/// The offset just past the string that opens at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            b'\n' | b'\r' => return None,
            _ => i += 1,
        }
    }
}

/// What the grammar's `WHITESPACE` accepts.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}')
}

/// A string literal reading back as `value`.
fn escape(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('"');
    for c in value.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            other => s.push(other),
        }
    }
    s.push('"');
    s
}

fn width(indent: usize, code: &str) -> usize {
    indent + code.chars().count()
}

/// What a line is, which decides blank lines and comment indentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The first line of a top-level item.
    Item,
    /// The first line of a field or a clause.
    Entry,
    /// A line continuing the one above.
    Continuation,
    /// The `}` of an item.
    Close,
}

impl Role {
    /// Whether an author's blank line before a comment that precedes a line
    /// of this role is kept; the line's own blank line is kept only for
    /// `Item` and `Entry`.
    fn keeps_blank_before_comments(self) -> bool {
        self != Role::Continuation
    }

    fn keeps_blank(self) -> bool {
        matches!(self, Role::Item | Role::Entry)
    }

    fn comment_indent(self) -> usize {
        match self {
            Role::Item => 0,
            Role::Entry | Role::Close => BLOCK_INDENT,
            Role::Continuation => CONTINUATION_INDENT,
        }
    }
}

/// One output line of code, with the source offset of its first token, by
/// which comments are placed.
#[derive(Debug)]
struct Line {
    start: usize,
    indent: usize,
    code: String,
    role: Role,
    /// Ends with `{`: no blank line may follow.
    opens: bool,
}

struct Printer<'a> {
    text: &'a str,
    comments: Vec<Comment<'a>>,
}

impl<'a> Printer<'a> {
    fn new(text: &'a str) -> Printer<'a> {
        Printer {
            text,
            comments: scan_comments(text),
        }
    }

    fn file(&self, file: &File) -> String {
        let mut lines = Vec::new();
        for item in &file.items {
            match item {
                Item::Schema(s) => self.schema(s, &mut lines),
                Item::Block(b) => self.block(b, &mut lines),
                Item::Function(f) => self.function(f, &mut lines),
            }
        }
        self.render(&lines)
    }

    // ------------------------------------------------------------ source

    fn char_before(&self, pos: usize) -> Option<char> {
        self.text.get(..pos)?.chars().next_back()
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        self.text.get(pos..)?.chars().next()
    }

    /// Moves back from `pos` over spaces and comments. Spans of rules that
    /// end in a repetition run on over the whitespace and comments after
    /// them, so every span end is trimmed this way before use.
    fn trim_back(&self, pos: usize) -> usize {
        let mut pos = pos.min(self.text.len());
        while let Some(c) = self.char_before(pos) {
            if is_space(c) {
                pos -= c.len_utf8();
            } else if let Ok(k) = self.comments.binary_search_by_key(&pos, |c| c.end) {
                pos = self.comments.get(k).map_or(0, |c| c.start);
            } else {
                break;
            }
        }
        pos
    }

    /// Moves forward from `pos` over spaces and comments.
    fn skip_trivia(&self, pos: usize) -> usize {
        let mut pos = pos;
        while let Some(c) = self.char_at(pos) {
            if is_space(c) {
                pos += c.len_utf8();
            } else if c == '#' {
                pos = self
                    .text
                    .get(pos..)
                    .and_then(|rest| rest.find(['\n', '\r']))
                    .map_or(self.text.len(), |n| pos + n);
            } else {
                break;
            }
        }
        pos
    }

    /// Whether the source has a blank line between `from` and `to`.
    fn has_blank(&self, from: usize, to: usize) -> bool {
        let Some(gap) = self.text.get(from..to) else {
            return false;
        };
        let mut line_so_far_blank = false;
        let mut chars = gap.chars().peekable();
        while let Some(c) = chars.next() {
            // `\n`, or a lone `\r` (`\r\n` ends its line at the `\n`).
            if c == '\n' || c == '\r' && chars.peek() != Some(&'\n') {
                if line_so_far_blank {
                    return true;
                }
                line_so_far_blank = true;
            } else if !is_space(c) {
                line_so_far_blank = false;
            }
        }
        false
    }

    /// Whether code precedes the comment on its source line.
    fn follows_code(&self, c: &Comment<'_>) -> bool {
        let before = self.text.get(..c.start).unwrap_or("");
        let line = before.rsplit(['\n', '\r']).next().unwrap_or("");
        !line.chars().all(is_space)
    }

    fn has_comment_in(&self, from: usize, to: usize) -> bool {
        let first = self.comments.partition_point(|c| c.start < from);
        self.comments.get(first).is_some_and(|c| c.start < to)
    }

    /// The parts of a string as written, each with its offset and value. The
    /// tree keeps only the joined value; if the parts ever disagree with it,
    /// the joined value wins, as one part.
    fn parts(&self, t: &Text) -> Vec<(usize, String)> {
        let limit = self.trim_back(t.span.end);
        let bytes = self.text.as_bytes();
        let mut parts = Vec::new();
        let mut pos = t.span.start;
        while pos < limit && bytes.get(pos) == Some(&b'"') {
            let Some(end) = string_end(bytes, pos) else {
                break;
            };
            let inner = self.text.get(pos + 1..end - 1).unwrap_or("");
            parts.push((pos, syntax::unescape(inner)));
            pos = self.skip_trivia(end);
        }
        let joined: String = parts.iter().map(|(_, v)| v.as_str()).collect();
        if parts.is_empty() || joined != t.value {
            vec![(t.span.start, t.value.clone())]
        } else {
            parts
        }
    }

    // ------------------------------------------------------------- items

    fn push(lines: &mut Vec<Line>, start: usize, indent: usize, code: String, role: Role) {
        lines.push(Line {
            start,
            indent,
            code,
            role,
            opens: false,
        });
    }

    /// `prefix "text"`, the string's further parts on continuation lines,
    /// `suffix` after the last part.
    fn with_text(
        &self,
        lines: &mut Vec<Line>,
        (start, indent, role): (usize, usize, Role),
        prefix: String,
        text: &Text,
        suffix: &str,
    ) {
        let parts = self.parts(text);
        let mut iter = parts.iter();
        let mut first = prefix;
        if width(indent, &first) < WIDTH {
            if let Some((_, value)) = iter.next() {
                first.push(' ');
                first.push_str(&escape(value));
            }
        }
        Self::push(lines, start, indent, first, role);
        for (part_start, value) in iter {
            Self::push(
                lines,
                *part_start,
                CONTINUATION_INDENT,
                escape(value),
                Role::Continuation,
            );
        }
        if let Some(last) = lines.last_mut() {
            last.code.push_str(suffix);
        }
    }

    fn open(lines: &mut [Line]) {
        if let Some(last) = lines.last_mut() {
            last.opens = true;
        }
    }

    /// The `}` that ends an item's span.
    fn close(&self, span: Span, lines: &mut Vec<Line>) {
        let start = span.end.saturating_sub(1);
        let start = if self.text.get(start..span.end) == Some("}") {
            start
        } else {
            span.end
        };
        Self::push(lines, start, 0, "}".to_string(), Role::Close);
    }

    fn schema(&self, schema: &Schema, lines: &mut Vec<Line>) {
        Self::push(
            lines,
            schema.span.start,
            0,
            "schema {".to_string(),
            Role::Item,
        );
        Self::open(lines);
        for field in &schema.fields {
            let mut decl = format!("{}: {}", field.name.name, type_expr(&field.ty));
            match &field.constraint {
                Some(Constraint::Between(lo, hi)) => {
                    decl.push_str(&format!(" between {} and {}", lo.text, hi.text));
                }
                Some(Constraint::AtLeast(n)) => decl.push_str(&format!(" at least {}", n.text)),
                Some(Constraint::AtMost(n)) => decl.push_str(&format!(" at most {}", n.text)),
                None => {}
            }
            if field.required {
                decl.push_str(" required");
            }
            let at = (field.span.start, BLOCK_INDENT, Role::Entry);
            match &field.doc {
                Some(doc) => self.with_text(lines, at, decl, doc, ""),
                None => Self::push(lines, at.0, at.1, decl, at.2),
            }
        }
        self.close(schema.span, lines);
    }

    fn block(&self, block: &Block, lines: &mut Vec<Line>) {
        let head = format!("{} {}", block.kind.keyword(), block.id.name);
        let at = (block.span.start, 0, Role::Item);
        match &block.title {
            Some(title) => self.with_text(lines, at, head, title, " {"),
            None => Self::push(lines, at.0, at.1, format!("{head} {{"), at.2),
        }
        Self::open(lines);
        for clause in &block.clauses {
            self.clause(clause, lines);
        }
        self.close(block.span, lines);
    }

    fn function(&self, f: &Function, lines: &mut Vec<Line>) {
        let params: Vec<String> = f
            .params
            .iter()
            .map(|p| {
                format!(
                    "{}: {}{}",
                    p.name.name,
                    if p.set { "set of " } else { "" },
                    scalar(p.ty)
                )
            })
            .collect();
        let head = format!(
            "function {}({}) -> {}",
            f.name.name,
            params.join(", "),
            scalar(f.returns)
        );
        let at = (f.span.start, 0, Role::Item);
        match &f.title {
            Some(title) => self.with_text(lines, at, head, title, " {"),
            None => Self::push(lines, at.0, at.1, format!("{head} {{"), at.2),
        }
        Self::open(lines);
        for clause in &f.clauses {
            self.clause(clause, lines);
        }
        self.close(f.span, lines);
    }

    fn clause(&self, clause: &Clause, lines: &mut Vec<Line>) {
        match clause {
            // A script is code in another language: printed as written.
            Clause::Script {
                code,
                raw: true,
                span,
                ..
            } => {
                Self::push(
                    lines,
                    span.start,
                    BLOCK_INDENT,
                    format!("script: \"\"\"{code}\"\"\""),
                    Role::Entry,
                );
            }
            Clause::Script { code, span, .. } => {
                Self::push(
                    lines,
                    span.start,
                    BLOCK_INDENT,
                    format!("script: {}", escape(code)),
                    Role::Entry,
                );
            }
            Clause::When {
                qualifier,
                condition,
                span,
            } => {
                let prefix = match qualifier {
                    Some(q) => format!("{} when ", q.name),
                    None => "when ".to_string(),
                };
                self.condition(span.start, prefix, condition, lines);
            }
            Clause::Value { value, span } => {
                self.condition(span.start, "value: ".to_string(), value, lines);
            }
            Clause::Caseload { bound, limit, span } => {
                let bound = match bound {
                    LimitBound::AtMost => "at most",
                    LimitBound::FewerThan => "fewer than",
                };
                let code = format!("caseload: {bound} {} per case manager", limit.text);
                Self::push(lines, span.start, BLOCK_INDENT, code, Role::Entry);
            }
            Clause::Services { services, span } => self.services(services, span.start, lines),
            Clause::Attr { key, value, span } => {
                let prefix = format!("{}:", key.name);
                let at = (span.start, BLOCK_INDENT, Role::Entry);
                match value {
                    AttrValue::Text(t) => self.with_text(lines, at, prefix, t, ""),
                    AttrValue::Number(n) => {
                        Self::push(lines, at.0, at.1, format!("{prefix} {}", n.text), at.2);
                    }
                    AttrValue::Word(w) => {
                        Self::push(lines, at.0, at.1, format!("{prefix} {}", w.name), at.2);
                    }
                }
            }
        }
    }

    fn condition(&self, start: usize, prefix: String, e: &Expr, lines: &mut Vec<Line>) {
        let operands = match &e.kind {
            ExprKind::And(parts) => Some((parts, "and")),
            ExprKind::Or(parts) => Some((parts, "or")),
            _ => None,
        };
        let Some((parts, op)) = operands else {
            Self::push(
                lines,
                start,
                BLOCK_INDENT,
                prefix + flat(e).as_str(),
                Role::Entry,
            );
            return;
        };
        // Comments inside the first operand are hoisted above the clause
        // whatever the layout, so they must not force the break: that
        // would break the clause once, and not again after the hoisting.
        let after_first = parts
            .first()
            .map_or(e.span.end, |p| self.trim_back(p.span.end));
        let forced = self.has_comment_in(after_first, self.trim_back(e.span.end));
        let one_line = format!("{prefix}{}", flat(e));
        if !forced && width(BLOCK_INDENT, &one_line) <= WIDTH {
            Self::push(lines, start, BLOCK_INDENT, one_line, Role::Entry);
            return;
        }
        let mut previous_end = start;
        for (k, part) in parts.iter().enumerate() {
            if k == 0 {
                Self::push(
                    lines,
                    start,
                    BLOCK_INDENT,
                    prefix.clone() + flat(part).as_str(),
                    Role::Entry,
                );
            } else {
                // The line starts at the operator, which lies between the
                // operands; the previous operand's span may already reach it.
                let at = self.skip_trivia(previous_end);
                let code = format!("{op} {}", flat(part));
                Self::push(lines, at, CONTINUATION_INDENT, code, Role::Continuation);
            }
            previous_end = part.span.end;
        }
    }

    fn services(&self, services: &[Ident], start: usize, lines: &mut Vec<Line>) {
        let mut code = "services:".to_string();
        let mut line_start = start;
        let mut indent = BLOCK_INDENT;
        let mut role = Role::Entry;
        let mut has_items = false;
        for (i, s) in services.iter().enumerate() {
            let piece = if i + 1 < services.len() {
                format!("{},", s.name)
            } else {
                s.name.clone()
            };
            if has_items && width(indent, &code) + 1 + piece.chars().count() > WIDTH {
                Self::push(lines, line_start, indent, std::mem::take(&mut code), role);
                code = piece;
                line_start = s.span.start;
                indent = CONTINUATION_INDENT;
                role = Role::Continuation;
            } else {
                code.push(' ');
                code.push_str(&piece);
            }
            has_items = true;
        }
        Self::push(lines, line_start, indent, code, role);
    }

    // ------------------------------------------------------------ output

    /// Lays out the lines with the comments and blank lines between them.
    fn render(&self, lines: &[Line]) -> String {
        let mut out = Output {
            printer: self,
            lines: Vec::new(),
            prev_end: 0,
            after_open: true,
            force_blank: false,
        };
        let mut comments = self.comments.iter().peekable();
        for (i, line) in lines.iter().enumerate() {
            let next_start = lines.get(i + 1).map_or(self.text.len(), |l| l.start);
            let end = self.trim_back(next_start).max(line.start);
            // Comments after the previous line, then those inside this one,
            // which cannot stay where they were.
            while let Some(c) = comments.next_if(|c| c.start < end) {
                let keep = line.role.keeps_blank_before_comments();
                out.element(c.start, keep, line.role.comment_indent(), c.body);
                out.prev_end = c.end;
            }
            out.element(line.start, line.role.keeps_blank(), line.indent, &line.code);
            out.after_open = line.opens;
            out.prev_end = end;
            if line.role == Role::Close && i + 1 < lines.len() {
                out.force_blank = !self.has_blank(end, next_start);
            }
            if let Some(c) = comments.next_if(|c| c.start < next_start && self.follows_code(c)) {
                if let Some(last) = out.lines.last_mut() {
                    last.push_str("  ");
                    last.push_str(c.body);
                }
                out.prev_end = c.end;
            }
        }
        for c in comments {
            out.element(c.start, true, 0, c.body);
            out.prev_end = c.end;
        }
        let mut text = out.lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text
    }
}

/// The output being assembled, one string per line, `""` for a blank line.
struct Output<'p, 'a> {
    printer: &'p Printer<'a>,
    lines: Vec<String>,
    /// Where the last element printed ends in the source.
    prev_end: usize,
    /// The last line printed opens a block (or nothing is printed yet).
    after_open: bool,
    /// Items need a blank line between them that the author did not leave.
    force_blank: bool,
}

impl Output<'_, '_> {
    /// Prints a comment or a line of code that starts at `start` in the
    /// source, after a blank line if the author left one and it is allowed.
    fn element(&mut self, start: usize, keep_blank: bool, indent: usize, code: &str) {
        let blank = !self.after_open
            && (self.force_blank || (keep_blank && self.printer.has_blank(self.prev_end, start)));
        if blank && self.lines.last().is_some_and(|l| !l.is_empty()) {
            self.lines.push(String::new());
        }
        self.force_blank = false;
        self.after_open = false;
        self.lines.push(format!("{:indent$}{code}", ""));
    }
}

fn type_expr(ty: &TypeExpr) -> String {
    match ty {
        TypeExpr::Scalar(s, _) => scalar(*s).to_string(),
        TypeExpr::OneOf(values, _) => format!("one of {{{}}}", names(values)),
        TypeExpr::SetOfText(_) => "set of text".to_string(),
        TypeExpr::SetOfEnum(values, _) => format!("set of {{{}}}", names(values)),
    }
}

fn scalar(s: ScalarType) -> &'static str {
    match s {
        ScalarType::Integer => "integer",
        ScalarType::Decimal => "decimal",
        ScalarType::Boolean => "boolean",
        ScalarType::Text => "text",
    }
}

fn names(values: &[Ident]) -> String {
    let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
    names.join(", ")
}

/// An expression on one line.
fn flat(e: &Expr) -> String {
    let mut s = String::new();
    write_expr(e, &mut s);
    s
}

fn write_list(items: &[Expr], sep: &str, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write_expr(item, out);
    }
}

/// The tree is exactly what the parser built, operators left-nested and
/// parentheses explicit, so printing each node in place reads back as the
/// same tree: no parentheses need to be added.
fn write_expr(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Number(n) => out.push_str(&n.text),
        ExprKind::Percent(n) => {
            out.push_str(&n.text);
            out.push('%');
        }
        ExprKind::Text(value) => out.push_str(&escape(value)),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::None => out.push_str("none"),
        ExprKind::Name(name) => out.push_str(name),
        ExprKind::Call { name, args } => {
            out.push_str(&name.name);
            out.push('(');
            write_list(args, ", ", out);
            out.push(')');
        }
        ExprKind::Set(items) => {
            out.push('{');
            write_list(items, ", ", out);
            out.push('}');
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            write_expr(inner, out);
            out.push(')');
        }
        ExprKind::Neg(inner) => {
            out.push('-');
            write_expr(inner, out);
        }
        ExprKind::Not(inner) => {
            out.push_str("not ");
            write_expr(inner, out);
        }
        ExprKind::And(parts) => write_list(parts, " and ", out),
        ExprKind::Or(parts) => write_list(parts, " or ", out),
        ExprKind::Arith { op, lhs, rhs } => {
            write_expr(lhs, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            write_expr(rhs, out);
        }
        ExprKind::Compare { first, rest } => {
            write_expr(first, out);
            for (op, operand) in rest {
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                write_expr(operand, out);
            }
        }
        ExprKind::Is { lhs, negated, rhs } => {
            write_expr(lhs, out);
            out.push_str(if *negated { " is not " } else { " is " });
            write_expr(rhs, out);
        }
        ExprKind::IsKnown {
            operand,
            known,
            negated,
        } => {
            write_expr(operand, out);
            out.push_str(if *negated { " is not " } else { " is " });
            out.push_str(if *known { "known" } else { "unknown" });
        }
        ExprKind::In {
            element,
            negated,
            set,
        } => {
            write_expr(element, out);
            out.push_str(if *negated { " not in " } else { " in " });
            write_expr(set, out);
        }
        ExprKind::Has {
            set,
            quantifier,
            values,
        } => {
            write_expr(set, out);
            out.push_str(match quantifier {
                Quantifier::Any => " has any of ",
                Quantifier::All => " has all of ",
                Quantifier::None => " has none of ",
            });
            write_expr(values, out);
        }
    }
}
