//! The pre-scan: what pest must not be asked to parse. pest parses nested
//! brackets by recursion and strings in one piece, so oversized files,
//! nesting deeper than the limit and strings left open or too long are
//! rejected here, in one linear pass, before pest runs.

use crate::Limits;
use crate::diagnostic::{Code, FileId, Report, Span};

/// Rejects what pest must not be asked to parse: oversized files, nesting
/// deeper than the limit, strings left open or too long.
pub(super) fn prescan(file: FileId, text: &str, limits: &Limits) -> Result<(), Vec<Report>> {
    if text.len() > limits.max_file_bytes {
        return Err(vec![
            Report::error(
                Code::FileTooLarge,
                file,
                Span::new(0, 0),
                format!(
                    "rule file is {} bytes, more than the limit of {} bytes",
                    text.len(),
                    limits.max_file_bytes
                ),
            )
            .help("split the rule set into several files"),
        ]);
    }
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' || c == '\r' {
                        break;
                    }
                }
            }
            '"' if text.get(i..).is_some_and(|r| r.starts_with("\"\"\"")) => {
                // A triple-quoted script runs, over lines, to the next `"""`.
                chars.next();
                chars.next();
                let rest = text.get(i + 3..).unwrap_or("");
                match rest.find("\"\"\"") {
                    Some(end) if end > limits.max_string_bytes => {
                        return Err(vec![
                            Report::error(
                                Code::StringTooLong,
                                file,
                                Span::new(i, i + 3),
                                format!(
                                    "script is {end} bytes long, more than the limit of {} bytes",
                                    limits.max_string_bytes
                                ),
                            )
                            .label("this script")
                            .help("a function's script is for a calculation, not a program"),
                        ]);
                    }
                    Some(end) => {
                        let stop = i + 3 + end + 3;
                        while chars.peek().is_some_and(|(j, _)| *j < stop) {
                            chars.next();
                        }
                    }
                    None => {
                        return Err(vec![
                            Report::error(
                                Code::UnterminatedString,
                                file,
                                Span::new(i, i + 3),
                                "unterminated script",
                            )
                            .label("this `\"\"\"` is never closed")
                            .help("end the script with `\"\"\"`"),
                        ]);
                    }
                }
            }
            '"' => {
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' | '\r' => break,
                        _ => {}
                    }
                }
                if !closed {
                    return Err(vec![
                        Report::error(Code::UnterminatedString, file, Span::new(i, i + 1), "unterminated string")
                            .label("this string is never closed")
                            .help("close it with `\"` on the same line; adjacent strings join, so a long text can continue on the next line"),
                    ]);
                }
                let end = chars.peek().map_or(text.len(), |(j, _)| *j);
                let len = end.saturating_sub(i + 2);
                if len > limits.max_string_bytes {
                    return Err(vec![
                        Report::error(
                            Code::StringTooLong,
                            file,
                            Span::new(i, i + 1),
                            format!(
                                "string is {len} bytes long, more than the limit of {} bytes",
                                limits.max_string_bytes
                            ),
                        )
                        .label("this string")
                        .help("shorten it; a rule file is for rules, not documents"),
                    ]);
                }
            }
            '(' | '{' | '[' => {
                depth += 1;
                if depth > limits.max_depth {
                    return Err(vec![
                        Report::error(
                            Code::TooDeep,
                            file,
                            Span::new(i, i + 1),
                            format!("brackets nest more than {} levels deep", limits.max_depth),
                        )
                        .label("too deep")
                        .help("name a part of the condition with a `define` block"),
                    ]);
                }
            }
            ')' | '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}
