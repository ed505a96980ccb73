//! The formatter, `careplan::format`, against data in `tests/format/` and
//! the reference rules in `rules/`.
//!
//! Each `NAME.in.rules` must format to `NAME.out.rules`. Beyond those
//! examples, every source used here must keep its meaning (the same syntax
//! tree, spans aside) and every comment, in order, and formatting it twice
//! must change nothing. Failures are gathered so one run shows them all.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed unwrap is a failed test"
)]

use careplan::format::{WIDTH, format_named, format_source, parse_source};
use careplan::syntax::Span;
use careplan::syntax::ast::*;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Files of `dir` whose names end with `suffix`, sorted.
fn files(dir: &str, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Expected text, with line ends as the formatter writes them: a checkout
/// may have turned them into CRLF.
fn read_expected(path: &Path) -> String {
    read(path).replace("\r\n", "\n")
}

fn name(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Every source the properties are checked on: the reference rules, the
/// inputs and the expected outputs.
fn sources() -> Vec<(String, String)> {
    let mut paths = files("rules", ".rules");
    paths.extend(files("tests/format", ".rules"));
    paths.iter().map(|p| (name(p), read(p))).collect()
}

fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..e.len().max(a.len()) {
        if e.get(i) != a.get(i) {
            return format!(
                "line {}:\n  expected: {:?}\n  actual:   {:?}",
                i + 1,
                e.get(i).unwrap_or(&"<end of file>"),
                a.get(i).unwrap_or(&"<end of file>")
            );
        }
    }
    format!("line ends differ: expected {expected:?}, got {actual:?}")
}

fn assert_no_failures(failures: Vec<String>, checked: usize) {
    assert!(
        failures.is_empty(),
        "{} of {checked} failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ------------------------------------------------------------- properties

/// Where the comments of a rule file are, in order, line ends excluded.
/// Written apart from the formatter's own scanner, so that one cannot vouch
/// for itself.
fn comment_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, s)) = chars.next() {
                    match s {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' | '\r' => break,
                        _ => {}
                    }
                }
            }
            '#' => {
                // A line ends at `\n` or `\r` (`\r\n`, or a lone `\r`).
                while chars.next_if(|(_, s)| *s != '\n' && *s != '\r').is_some() {}
                let end = chars.peek().map_or(text.len(), |(j, _)| *j);
                found.push((i, end));
            }
            _ => {}
        }
    }
    found
}

/// The comments of a rule file, in order, without the spaces (as the
/// grammar counts them) that end their lines.
fn comments(text: &str) -> Vec<String> {
    comment_ranges(text)
        .into_iter()
        .map(|(start, end)| {
            text[start..end]
                .trim_end_matches([' ', '\t', '\r', '\u{FEFF}'])
                .to_string()
        })
        .collect()
}

fn erase_ident(i: &mut Ident) {
    i.span = Span::default();
}

fn erase_number(n: &mut NumberLit) {
    n.span = Span::default();
}

fn erase_text(t: &mut Text) {
    t.span = Span::default();
}

fn erase_attr(value: &mut AttrValue) {
    match value {
        AttrValue::Text(t) => erase_text(t),
        AttrValue::Number(n) => erase_number(n),
        AttrValue::Word(w) => erase_ident(w),
    }
}

fn erase_clause(clause: &mut Clause) {
    match clause {
        Clause::When {
            qualifier,
            condition,
            exception,
            span,
        } => {
            *span = Span::default();
            if let Some(q) = qualifier {
                erase_ident(q);
            }
            erase_expr(condition);
            if let Some(x) = exception {
                erase_expr(x);
            }
        }
        Clause::Caseload { limit, span, .. } => {
            *span = Span::default();
            erase_number(limit);
        }
        Clause::Services { services, span } => {
            *span = Span::default();
            services.iter_mut().for_each(erase_ident);
        }
        Clause::Value { value, span } => {
            *span = Span::default();
            erase_expr(value);
        }
        Clause::From {
            value,
            span,
            date_span,
            ..
        } => {
            *span = Span::default();
            *date_span = Span::default();
            erase_expr(value);
        }
        Clause::Script {
            span, code_start, ..
        } => {
            *span = Span::default();
            *code_start = 0;
        }
        Clause::Attr { key, value, span } => {
            *span = Span::default();
            erase_ident(key);
            match value {
                AttrValue::Text(t) => erase_text(t),
                AttrValue::Number(n) => erase_number(n),
                AttrValue::Word(w) => erase_ident(w),
            }
        }
    }
}

/// Every span set to zero, so that trees compare by content. The matches
/// name every variant so that a new form of syntax must be added here.
fn erase(mut file: File) -> File {
    for item in &mut file.items {
        match item {
            Item::Schema(schema) => {
                schema.span = Span::default();
                for field in &mut schema.fields {
                    field.span = Span::default();
                    erase_ident(&mut field.name);
                    match &mut field.ty {
                        TypeExpr::Scalar(_, span)
                        | TypeExpr::SetOfText(span)
                        | TypeExpr::Program(span) => {
                            *span = Span::default();
                        }
                        TypeExpr::OneOf(values, span) | TypeExpr::SetOfEnum(values, span) => {
                            *span = Span::default();
                            values.iter_mut().for_each(erase_ident);
                        }
                    }
                    match &mut field.constraint {
                        Some(Constraint::Between(lo, hi)) => {
                            erase_number(lo);
                            erase_number(hi);
                        }
                        Some(Constraint::AtLeast(n) | Constraint::AtMost(n)) => erase_number(n),
                        Some(Constraint::Dates {
                            within_years, span, ..
                        }) => {
                            *span = Span::default();
                            if let Some(n) = within_years {
                                erase_number(n);
                            }
                        }
                        None => {}
                    }
                    if let Some(d) = &mut field.default {
                        d.span = Span::default();
                        match &mut d.value {
                            DefaultValue::Number(n) => erase_number(n),
                            DefaultValue::Text(t) => erase_text(t),
                            DefaultValue::Word(w) => erase_ident(w),
                            DefaultValue::Set(members, span) => {
                                *span = Span::default();
                                members.iter_mut().for_each(erase_attr);
                            }
                        }
                        if let Some(r) = &mut d.reason {
                            erase_attr(r);
                        }
                    }
                    if let Some(doc) = &mut field.doc {
                        erase_text(doc);
                    }
                }
            }
            Item::Function(f) => {
                f.span = Span::default();
                f.returns_span = Span::default();
                erase_ident(&mut f.name);
                if let Some(title) = &mut f.title {
                    erase_text(title);
                }
                for p in &mut f.params {
                    p.span = Span::default();
                    erase_ident(&mut p.name);
                }
                f.clauses.iter_mut().for_each(erase_clause);
            }
            Item::Table(t) => {
                t.span = Span::default();
                erase_ident(&mut t.id);
                if let Some(title) = &mut t.title {
                    erase_text(title);
                }
                t.parts.iter_mut().for_each(erase_table_part);
            }
            Item::Block(block) => {
                block.span = Span::default();
                erase_ident(&mut block.id);
                if let Some(title) = &mut block.title {
                    erase_text(title);
                }
                block.clauses.iter_mut().for_each(erase_clause);
            }
        }
    }
    file
}

fn erase_table_part(p: &mut TablePart) {
    match p {
        TablePart::Hit(w, span) | TablePart::From(w, span) => {
            *span = Span::default();
            erase_ident(w);
        }
        TablePart::Input(exprs, span) => {
            *span = Span::default();
            exprs.iter_mut().for_each(erase_expr);
        }
        TablePart::Output { name, ty, span } => {
            *span = Span::default();
            if let Some(n) = name {
                erase_ident(n);
            }
            match ty {
                OutputType::Scalar(_, s) | OutputType::Date(s) => *s = Span::default(),
                OutputType::OneOf(values, s) => {
                    *s = Span::default();
                    values.iter_mut().for_each(erase_ident);
                }
            }
        }
        TablePart::Row(r) => {
            r.span = Span::default();
            r.outputs.iter_mut().for_each(erase_cell_lit);
            for c in &mut r.cells {
                match c {
                    Cell::Any(s) | Cell::EachAdditional(s) => *s = Span::default(),
                    Cell::Not(tests, s) | Cell::Tests(tests, s) => {
                        *s = Span::default();
                        for t in tests {
                            match t {
                                CellTest::Is(l)
                                | CellTest::Cmp(_, l)
                                | CellTest::OrMore(l)
                                | CellTest::OrLess(l) => erase_cell_lit(l),
                                CellTest::To(a, b) | CellTest::Interval { lo: a, hi: b, .. } => {
                                    erase_cell_lit(a);
                                    erase_cell_lit(b);
                                }
                            }
                        }
                    }
                }
            }
        }
        TablePart::Default(outs, span) => {
            *span = Span::default();
            outs.iter_mut().for_each(erase_cell_lit);
        }
        TablePart::Attr(c) => erase_clause(c),
    }
}

fn erase_cell_lit(l: &mut CellLit) {
    match l {
        CellLit::Number(n) | CellLit::Percent(n) => erase_number(n),
        CellLit::Text(t) => erase_text(t),
        CellLit::Bool(_, s) => *s = Span::default(),
        CellLit::Date(i) | CellLit::Word(i) => erase_ident(i),
    }
}

fn erase_expr(e: &mut Expr) {
    e.span = Span::default();
    match &mut e.kind {
        ExprKind::Number(n) | ExprKind::Percent(n) => erase_number(n),
        ExprKind::Text(_)
        | ExprKind::Date(_)
        | ExprKind::Bool(_)
        | ExprKind::None
        | ExprKind::Name(_) => {}
        ExprKind::Duration { from, to, .. } => {
            erase_expr(from);
            if let Some(to) = to {
                erase_expr(to);
            }
        }
        ExprKind::Call { name, args } => {
            erase_ident(name);
            args.iter_mut().for_each(erase_expr);
        }
        ExprKind::Set(items) | ExprKind::And(items) | ExprKind::Or(items) => {
            items.iter_mut().for_each(erase_expr);
        }
        ExprKind::Paren(inner) | ExprKind::Neg(inner) | ExprKind::Not(inner) => erase_expr(inner),
        ExprKind::Arith { lhs, rhs, .. }
        | ExprKind::Is { lhs, rhs, .. }
        | ExprKind::Intensity { lhs, rhs, .. } => {
            erase_expr(lhs);
            erase_expr(rhs);
        }
        ExprKind::Compare { first, rest } => {
            erase_expr(first);
            for (_, operand) in rest {
                erase_expr(operand);
            }
        }
        ExprKind::IsKnown { operand, .. } => erase_expr(operand),
        ExprKind::In { element, set, .. } => {
            erase_expr(element);
            erase_expr(set);
        }
        ExprKind::Has { set, values, .. } => {
            erase_expr(set);
            erase_expr(values);
        }
        ExprKind::If {
            condition,
            then,
            otherwise,
        } => {
            erase_expr(condition);
            erase_expr(then);
            erase_expr(otherwise);
        }
        ExprKind::FirstKnown(items) => items.iter_mut().for_each(erase_expr),
        ExprKind::CountOf { n, conditions, .. } => {
            erase_number(n);
            conditions.iter_mut().for_each(erase_expr);
        }
        ExprKind::WeightedSum { set, weights } => {
            erase_expr(set);
            for w in weights {
                w.span = Span::default();
                erase_attr(&mut w.key);
                erase_expr(&mut w.weight);
            }
        }
        ExprKind::Output { table, output } => {
            erase_ident(table);
            erase_ident(output);
        }
    }
}

/// Lines that would make a file look untidy, whatever the layout rules.
fn untidy(out: &str) -> Option<String> {
    if !out.is_empty() && (!out.ends_with('\n') || out.ends_with("\n\n")) {
        return Some("the file must end with exactly one line end".into());
    }
    let lines: Vec<&str> = out.lines().collect();
    if lines.first() == Some(&"") {
        return Some("the file starts with a blank line".into());
    }
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).copied();
        if line.ends_with([' ', '\t', '\r', '\u{FEFF}']) {
            return Some(format!("line {} ends with a space: {line:?}", i + 1));
        }
        if line.is_empty() && next == Some("") {
            return Some(format!("two blank lines at line {}", i + 1));
        }
        if line.ends_with('{') && next == Some("") {
            return Some(format!("blank line after `{{` at line {}", i + 1));
        }
        if line.is_empty() && next == Some("}") {
            return Some(format!("blank line before `}}` at line {}", i + 1));
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if line.starts_with([' ', '\t']) && ![2, 4].contains(&indent) {
            return Some(format!("line {} is indented {indent}: {line:?}", i + 1));
        }
    }
    None
}

/// Formats `text` and checks what must hold for any input that parses.
/// `Ok(None)` when `text` does not parse.
fn check(text: &str) -> Result<Option<String>, String> {
    let Ok(before) = parse_source(text) else {
        return match format_source(text) {
            Err(d) if !d.is_empty() => Ok(None),
            Err(_) => Err("a syntax error gave no diagnostics".into()),
            Ok(_) => Err("a file that does not parse was formatted".into()),
        };
    };
    let once = format_source(text).map_err(|d| format!("cannot format: {d:?}"))?;
    let after = parse_source(&once).map_err(|d| format!("output does not parse: {d:?}\n{once}"))?;
    if erase(before) != erase(after) {
        return Err(format!("the syntax tree changed; output:\n{once}"));
    }
    let (cin, cout) = (comments(text), comments(&once));
    if cin != cout {
        return Err(format!(
            "the comments changed:\n  before: {cin:?}\n  after:  {cout:?}\noutput:\n{once}"
        ));
    }
    let twice = format_source(&once).map_err(|d| format!("cannot format the output: {d:?}"))?;
    if twice != once {
        return Err(format!(
            "formatting twice changed the text, {}\nfirst output:\n{once}",
            first_difference(&once, &twice)
        ));
    }
    if let Some(why) = untidy(&once) {
        return Err(format!("{why}\noutput:\n{once}"));
    }
    Ok(Some(once))
}

fn check_all<'a>(cases: impl IntoIterator<Item = (String, &'a str)>) -> (Vec<String>, usize) {
    let mut failures = Vec::new();
    let mut count = 0;
    for (label, text) in cases {
        count += 1;
        match check(text) {
            Ok(Some(_)) => {}
            Ok(None) => failures.push(format!("{label}: does not parse")),
            Err(e) => failures.push(format!("{label}: {e}\ninput:\n{text}")),
        }
    }
    (failures, count)
}

// -------------------------------------------------------------- the tests

#[test]
fn inputs_format_to_their_expected_outputs() {
    let inputs = files("tests/format", ".in.rules");
    assert!(
        inputs.len() >= 12,
        "expected at least 12 pairs, found {}",
        inputs.len()
    );
    let mut failures = Vec::new();
    for input in &inputs {
        let expected_path =
            PathBuf::from(input.to_string_lossy().replace(".in.rules", ".out.rules"));
        if !expected_path.exists() {
            failures.push(format!("{}: no {}", name(input), name(&expected_path)));
            continue;
        }
        let expected = read_expected(&expected_path);
        match format_source(&read(input)) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => failures.push(format!(
                "{}: {}",
                name(input),
                first_difference(&expected, &actual)
            )),
            Err(d) => failures.push(format!("{}: {d:?}", name(input))),
        }
    }
    for output in files("tests/format", ".out.rules") {
        let input = PathBuf::from(output.to_string_lossy().replace(".out.rules", ".in.rules"));
        if !input.exists() {
            failures.push(format!("{}: no matching input", name(&output)));
        }
    }
    assert_no_failures(failures, inputs.len());
}

#[test]
fn reference_rules_are_in_canonical_form() {
    let mut failures = Vec::new();
    let paths = files("rules", ".rules");
    assert!(!paths.is_empty());
    for path in &paths {
        let text = read_expected(path);
        match format_source(&text) {
            Ok(out) if out == text => {}
            Ok(out) => failures.push(format!("{}: {}", name(path), first_difference(&text, &out))),
            Err(d) => failures.push(format!("{}: {d:?}", name(path))),
        }
    }
    assert_no_failures(failures, paths.len());
}

#[test]
fn formatting_keeps_the_tree_and_the_comments_and_is_idempotent() {
    let sources = sources();
    let (failures, count) = check_all(sources.iter().map(|(n, t)| (n.clone(), t.as_str())));
    assert_no_failures(failures, count);
}

/// The places between tokens: whitespace outside strings and comments.
/// A comment may stand in any of them.
fn gaps(text: &str) -> Vec<(usize, usize)> {
    let mut gaps = Vec::new();
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    let mut run: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let space = matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}');
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if in_comment {
            if c != '\n' && c != '\r' {
                continue;
            }
            in_comment = false;
        }
        match (space, run) {
            (true, None) => run = Some(i),
            (false, Some(start)) => {
                gaps.push((start, i));
                run = None;
            }
            _ => {}
        }
        match c {
            '"' => in_string = true,
            '#' => in_comment = true,
            _ => {}
        }
    }
    if let Some(start) = run {
        gaps.push((start, text.len()));
    }
    gaps
}

/// `text` with `insert(k)` put at the start (or end) of its `k`th gap.
fn with_insertions(text: &str, at_end: bool, insert: impl Fn(usize) -> Option<String>) -> String {
    let mut out = String::new();
    let mut done = 0;
    for (k, (start, end)) in gaps(text).into_iter().enumerate() {
        let at = if at_end { end } else { start };
        if let Some(s) = insert(k) {
            out.push_str(&text[done..at]);
            out.push_str(&s);
            done = at;
        }
    }
    out.push_str(&text[done..]);
    out
}

#[test]
fn comments_may_stand_anywhere() {
    let mut cases = Vec::new();
    for (name, text) in sources() {
        // After code on the same line, in every gap at once.
        cases.push((
            format!("{name} with trailing comments everywhere"),
            with_insertions(&text, false, |k| Some(format!(" # t{k}\n"))),
        ));
        // On lines of their own, in every gap at once.
        cases.push((
            format!("{name} with own-line comments everywhere"),
            with_insertions(&text, true, |k| Some(format!("\n# o{k}\n"))),
        ));
        // Both kinds, in alternate gaps.
        cases.push((
            format!("{name} with mixed comments"),
            with_insertions(&text, false, |k| match k % 3 {
                0 => Some(format!(" # m{k}\n")),
                1 => Some(format!("\n\n# m{k}\n\n")),
                _ => None,
            }),
        ));
    }
    let (failures, count) = check_all(cases.iter().map(|(n, t)| (n.clone(), t.as_str())));
    assert_no_failures(failures, count);
}

/// Most of the grammar in few tokens: every gap of it gets a comment in
/// turn, which is slow in a debug build for a whole file.
const DENSE: &str = r#"schema { a: one of {x, y} required "d" "e"
  b: set of text at least -1 }
program p "T" "U" { eligible when a and (b or c) and not d is known
  caseload: fewer than 2 per case manager services: s, t
  when f(x, {1}) has any of s or -y * 2 <= 3% of z }
define q { value: "a" not in u }"#;

#[test]
fn comments_may_stand_in_any_single_gap() {
    // One comment at a time: the layout around a lone comment differs
    // from the layout around many.
    let mut cases = Vec::new();
    for target in 0..gaps(DENSE).len() {
        for (own_line, comment) in [(false, " # c\n"), (true, "\n# c\n")] {
            cases.push((
                format!("comment {comment:?} in gap {target}"),
                with_insertions(DENSE, own_line, |k| {
                    (k == target).then(|| comment.to_string())
                }),
            ));
        }
    }
    let (failures, count) = check_all(cases.iter().map(|(n, t)| (n.clone(), t.as_str())));
    assert!(count > 100, "only {count} cases");
    assert_no_failures(failures, count);
}

#[test]
fn layout_does_not_depend_on_spacing() {
    // Without comments and blank lines, how a file is spaced must not
    // matter: every spacing of the same tokens formats the same.
    const SPACINGS: &[&str] = &[" ", "\n", "\t", "\r\n  ", "  \n\t ", "\u{FEFF}", "    "];
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, text) in sources() {
        let mut code_only = text.clone();
        for (start, end) in comment_ranges(&text).into_iter().rev() {
            code_only.replace_range(start..end, "");
        }
        let respaced = |pick: &dyn Fn(usize) -> &'static str| {
            let mut out = String::new();
            let mut done = 0;
            for (k, (start, end)) in gaps(&code_only).into_iter().enumerate() {
                out.push_str(&code_only[done..start]);
                out.push_str(pick(k));
                done = end;
            }
            out.push_str(&code_only[done..]);
            out
        };
        let Ok(expected) = format_source(&respaced(&|_| " ")) else {
            failures.push(format!("{name}: does not format once respaced"));
            continue;
        };
        for seed in 0..SPACINGS.len() {
            count += 1;
            let variant = respaced(&|k| SPACINGS[(k * 5 + seed) % SPACINGS.len()]);
            match format_source(&variant) {
                Ok(out) if out == expected => {}
                Ok(out) => failures.push(format!(
                    "{name}, spacing {seed}: {}",
                    first_difference(&expected, &out)
                )),
                Err(d) => failures.push(format!("{name}, spacing {seed}: {d:?}")),
            }
        }
    }
    assert_no_failures(failures, count);
}

#[test]
fn truncated_files_format_or_fail_cleanly() {
    // Cut every source after each line and in the middle of each line:
    // whatever still parses must keep every property, whatever does not
    // must give diagnostics, and nothing may panic.
    let mut cases = Vec::new();
    for (name, text) in sources() {
        let mut cuts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
        let mids: Vec<usize> = text
            .split_inclusive('\n')
            .scan(0, |at, line| {
                let mid = *at + line.len() / 2;
                *at += line.len();
                Some(mid)
            })
            .filter(|m| text.is_char_boundary(*m))
            .collect();
        cuts.extend(mids);
        for cut in cuts {
            cases.push((format!("{name} cut at byte {cut}"), text[..cut].to_string()));
        }
    }
    let mut failures = Vec::new();
    for (label, text) in &cases {
        if let Err(e) = check(text) {
            failures.push(format!("{label}: {e}"));
        }
    }
    assert_no_failures(failures, cases.len());
}

#[test]
fn syntax_errors_give_diagnostics() {
    let deep = format!(
        "define d {{ value: {}x{} }}",
        "(".repeat(100),
        ")".repeat(100)
    );
    let nots = format!("define d {{ value: {}x }}", "not ".repeat(200));
    let sum = format!("define d {{ value: 1{} }}", " + 1".repeat(200));
    let cases: Vec<(&str, &str)> = vec![
        ("program p {", "syntax"),
        ("program p { when }", "syntax"),
        ("program p { when a == b }", "syntax"),
        ("program p { when a && b }", "syntax"),
        ("schema { 1: integer }", "syntax"),
        ("schema { x: set of integer }", "bad-type"),
        ("program p \"unterminated {", "unterminated-string"),
        ("define d { value: a < b is c }", "ambiguous-chain"),
        ("define d { value: 12 % }", "syntax"),
        ("# fine\nprogram p { intensity: 3 } }", "syntax"),
        (&deep, "too-deep"),
        (&nots, "too-deep"),
        (&sum, "too-deep"),
    ];
    let mut failures = Vec::new();
    for (text, code) in &cases {
        match format_source(text) {
            Ok(out) => failures.push(format!("{text:?} formatted as {out:?}")),
            Err(d) if d.is_empty() => failures.push(format!("{text:?}: no diagnostics")),
            Err(d) => {
                if !d.iter().any(|d| d.code == *code) {
                    failures.push(format!("{text:?}: expected `{code}`, got {d:?}"));
                }
                if d.iter()
                    .any(|d| d.location.file != "<input>" || d.location.line == 0)
                {
                    failures.push(format!("{text:?}: diagnostics not located: {d:?}"));
                }
            }
        }
    }
    assert_no_failures(failures, cases.len());
}

#[test]
fn diagnostics_name_the_file_given() {
    let d = format_named("rules/broken.rules", "program p {\n  when\n}\n").unwrap_err();
    assert!(!d.is_empty());
    assert!(d.iter().all(|d| d.location.file == "rules/broken.rules"));
    assert_eq!(d.first().map(|d| d.location.line), Some(3));
}

#[test]
fn line_ends_and_byte_order_marks_are_normalised() {
    // Built here rather than kept in a data file, so that no checkout
    // setting can turn the line ends into something else.
    let text = "\u{FEFF}# header\r\nprogram p {\r\n\tintensity: 3 # why\u{A0}\t\r\n\r\n\r\n  when a\r\n    and b\r\n}\r\n";
    let expected = "# header\nprogram p {\n  intensity: 3  # why\u{A0}\n\n  when a and b\n}\n";
    assert_eq!(format_source(text).unwrap(), expected);
    check(text).unwrap();
}

#[test]
fn width_is_the_documented_one() {
    // The reference rules are laid out for 88 columns; a change of width
    // must come with a reformatting of `rules/`, which the canonical-form
    // test above enforces.
    assert_eq!(WIDTH, 88);
    let fits = format!(
        "program p {{\n  when {} and b\n}}\n",
        "a".repeat(WIDTH - 13)
    );
    assert_eq!(format_source(&fits).unwrap(), fits);
    let over = format!(
        "program p {{\n  when {} and b\n}}\n",
        "a".repeat(WIDTH - 12)
    );
    let broken = format!(
        "program p {{\n  when {}\n    and b\n}}\n",
        "a".repeat(WIDTH - 12)
    );
    assert_eq!(format_source(&over).unwrap(), broken);
}

#[test]
fn the_deepest_nesting_allowed_formats_on_a_small_stack() {
    // pest takes far more stack per level of brackets than a test thread
    // has; the formatter must parse on a thread of its own, as loading does.
    let text = format!(
        "referral r {{\n  routine when {}age > 3{}\n}}\n",
        "(".repeat(62),
        ")".repeat(62)
    );
    let small = std::thread::Builder::new().stack_size(256 * 1024);
    let formatted = small
        .spawn(move || (format_source(&text).map_err(|d| format!("{d:?}")), text))
        .unwrap()
        .join()
        .unwrap();
    let (out, text) = formatted;
    assert_eq!(out.unwrap(), text);
    check(&text).unwrap();
}
