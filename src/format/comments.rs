//! Comments, recovered from the text: the grammar skips them, so the
//! formatter finds every `#` outside a string and places each by position.

use super::printer::is_space;

/// A comment found in the source: `start` is its `#`, `end` the end of its
/// text without trailing spaces.
#[derive(Debug, Clone, Copy)]
pub(super) struct Comment<'a> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) body: &'a str,
}

/// Finds every comment, skipping strings as the grammar reads them. Bytes
/// suffice: `#`, `"`, `\` and line ends are ASCII and never occur inside a
/// multi-byte character.
pub(super) fn scan_comments(text: &str) -> Vec<Comment<'_>> {
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
pub(super) fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
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
