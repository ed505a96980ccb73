//! The printer: lays a syntax tree out line by line in the canonical layout
//! and places the comments between and after the lines.

use super::comments::{Comment, scan_comments, string_end};
use super::expr::*;
use super::*;

#[path = "table.rs"]
mod table;

/// What the grammar's `WHITESPACE` accepts.
pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}')
}

/// A string literal reading back as `value`.
pub(super) fn escape(value: &str) -> String {
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

pub(super) fn width(indent: usize, code: &str) -> usize {
    indent + code.chars().count()
}

/// What a line is, which decides blank lines and comment indentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
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
pub(super) struct Line {
    start: usize,
    indent: usize,
    code: String,
    role: Role,
    /// Ends with `{`: no blank line may follow.
    opens: bool,
}

pub(super) struct Printer<'a> {
    text: &'a str,
    pub(super) comments: Vec<Comment<'a>>,
}

impl<'a> Printer<'a> {
    pub(super) fn new(text: &'a str) -> Printer<'a> {
        Printer {
            text,
            comments: scan_comments(text),
        }
    }

    pub(super) fn file(&self, file: &File) -> String {
        let mut lines = Vec::new();
        for item in &file.items {
            match item {
                Item::Schema(s) => self.schema(s, &mut lines),
                Item::Block(b) => self.block(b, &mut lines),
                Item::Function(f) => self.function(f, &mut lines),
                Item::Table(t) => self.table(t, &mut lines),
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
                Some(Constraint::Dates {
                    not_future,
                    within_years,
                    ..
                }) => {
                    let mut bounds = Vec::new();
                    if *not_future {
                        bounds.push("not in the future".to_string());
                    }
                    if let Some(n) = within_years {
                        bounds.push(format!("within {} years", n.text));
                    }
                    decl.push_str(&format!(" {}", bounds.join(", ")));
                }
                None => {}
            }
            if field.required {
                decl.push_str(" required");
            }
            if let Some(d) = &field.default {
                decl.push_str(&format!(" default {}", default_value(&d.value)));
                if let Some(r) = &d.reason {
                    decl.push_str(&format!(" because {}", attr_value(r)));
                }
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
        let head = match block.kind {
            BlockKind::Transition => block.kind.keyword().to_string(),
            _ => format!("{} {}", block.kind.keyword(), block.id.name),
        };
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
                exception,
                span,
            } => {
                let prefix = match qualifier {
                    Some(q) => format!("{} when ", q.name),
                    None => "when ".to_string(),
                };
                self.condition(span.start, prefix, condition, lines);
                if let Some(x) = exception {
                    self.exception(condition.span.end, x, lines);
                }
            }
            Clause::Value { value, span } => {
                self.condition(span.start, "value: ".to_string(), value, lines);
            }
            Clause::From {
                date, value, span, ..
            } => {
                self.condition(span.start, format!("from {date}: "), value, lines);
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

    /// `unless C` after a `when` clause's condition: on the clause's last
    /// line when it fits and no comment stands between, else on a line of
    /// its own, where the `unless` stands in the text.
    fn exception(&self, condition_end: usize, x: &Expr, lines: &mut Vec<Line>) {
        let code = format!("unless {}", flat(x));
        let commented = self.has_comment_in(condition_end, self.trim_back(x.span.end));
        if let Some(last) = lines.last_mut() {
            let joined = format!("{} {code}", last.code);
            if !commented && width(last.indent, &joined) <= WIDTH {
                last.code = joined;
                return;
            }
        }
        let at = self.skip_trivia(condition_end);
        Self::push(lines, at, CONTINUATION_INDENT, code, Role::Continuation);
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
                // Like the line it precedes: an entry may be indented
                // further (the rows of a dated table).
                let indent = match line.role {
                    Role::Entry => line.indent,
                    role => role.comment_indent(),
                };
                out.element(c.start, keep, indent, c.body);
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
pub(super) struct Output<'p, 'a> {
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
