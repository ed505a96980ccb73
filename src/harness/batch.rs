//! JSON Lines batches: one profile per line in, one result per line out, in
//! input order, on every core, with bounded memory.
//!
//! Lines are read in chunks into one buffer; each chunk is split between
//! worker threads, each of which writes its lines' results into a buffer of
//! its own, and the buffers are written in order before the next chunk is
//! read. Memory is bounded by the chunk, whatever the size of the input.
//!
//! What a line's result looks like is the caller's: [`Json`] writes the
//! JSON that `careplan eval --format json` prints; the CLI brings its own
//! [`Form`] for people.

use crate::report::Report;
use crate::{Caseloads, Engine, EvalError};
use std::io::{BufRead, Write};

/// Lines per chunk: large enough to keep the workers busy, small enough
/// that a chunk's reports fit in memory comfortably.
const CHUNK: usize = 4096;

/// How much each line's report says.
///
/// ```
/// use careplan::harness::batch::{self, Detail, Json, Options};
/// let engine = careplan::reference().unwrap();
/// let options = Options { caseloads: None, detail: Detail::Outcomes, threads: Some(2), as_of: None };
/// let mut out = Vec::new();
/// batch::run(&engine, &b"{\"id\": \"c-1\", \"phq9\": 22}\n"[..], options, &Json, &mut out).unwrap();
/// let line = String::from_utf8(out).unwrap();
/// assert!(line.contains("behavioral_health") && !line.contains("\"reason\""));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Detail {
    /// Outcomes with their reasons: what held, the values read, every
    /// program's status.
    Full,
    /// Outcomes only: programs, referrals, warnings and what is
    /// undetermined with its missing fields; the fast report for batches.
    Outcomes,
}

/// How a line's result is written. Each method appends to `buf`, without
/// the line's final newline, which the batch adds.
///
/// ```
/// use careplan::harness::batch::{self, Detail, Form, Options};
/// use careplan::{EvalError, Report};
/// struct Ids;
/// impl Form for Ids {
///     fn report(&self, r: &Report, buf: &mut Vec<u8>) { self.outcomes(r, buf) }
///     fn outcomes(&self, r: &Report<'_>, buf: &mut Vec<u8>) {
///         buf.extend(r.client.as_deref().unwrap_or("?").bytes())
///     }
///     fn error(&self, line: usize, _: &EvalError, buf: &mut Vec<u8>) {
///         buf.extend(format!("error on line {line}").bytes())
///     }
/// }
/// let engine = careplan::reference().unwrap();
/// let options = Options { caseloads: None, detail: Detail::Full, threads: Some(2), as_of: None };
/// let mut out = Vec::new();
/// let input = "{\"id\": \"a\"}\n{\"age\": 3}\n";
/// batch::run(&engine, input.as_bytes(), options, &Ids, &mut out).unwrap();
/// assert_eq!(String::from_utf8(out).unwrap(), "a\nerror on line 2\n");
/// ```
pub trait Form: Sync {
    /// A full report.
    ///
    /// ```
    /// use careplan::harness::batch::{Form, Json};
    /// let engine = careplan::reference().unwrap();
    /// let report = engine.evaluate_json(&serde_json::json!({"id": "c-1"}), None).unwrap();
    /// let mut buf = Vec::new();
    /// Json.report(&report, &mut buf);
    /// assert_eq!(buf, report.to_json().into_bytes());
    /// ```
    fn report(&self, report: &Report, buf: &mut Vec<u8>);
    /// A lean report.
    ///
    /// ```
    /// use careplan::harness::batch::{Form, Json};
    /// let engine = careplan::reference().unwrap();
    /// let profile = engine.profile(&serde_json::json!({"id": "c-1"})).unwrap();
    /// let outcomes = engine.outcomes(&profile, None).unwrap();
    /// let mut buf = Vec::new();
    /// Json.outcomes(&outcomes, &mut buf);
    /// assert!(buf.starts_with(br#"{"client":"c-1""#));
    /// ```
    fn outcomes(&self, outcomes: &Report<'_>, buf: &mut Vec<u8>);
    /// A line that could not be read or evaluated; `line` counts from 1.
    ///
    /// ```
    /// use careplan::harness::batch::{Form, Json};
    /// let engine = careplan::reference().unwrap();
    /// let error = engine.evaluate_json(&serde_json::json!({"id": "c-1", "age": -1}), None).unwrap_err();
    /// let mut buf = Vec::new();
    /// Json.error(7, &error, &mut buf);
    /// let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
    /// assert_eq!((v["line"].as_u64(), v["field"].as_str()), (Some(7), Some("age")));
    /// ```
    fn error(&self, line: usize, error: &EvalError, buf: &mut Vec<u8>);
}

/// One compact JSON document per line; an error is
/// `{"line": …, "error": …, "field": …}`.
///
/// ```
/// use careplan::harness::batch::{self, Detail, Json, Options};
/// let engine = careplan::reference().unwrap();
/// let options = Options { caseloads: None, detail: Detail::Outcomes, threads: Some(2), as_of: None };
/// let mut out = Vec::new();
/// batch::run(&engine, &b"[]\n"[..], options, &Json, &mut out).unwrap();
/// let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// assert_eq!(v["line"], 1);
/// assert_eq!(v["field"], serde_json::Value::Null);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Form for Json {
    fn report(&self, report: &Report, buf: &mut Vec<u8>) {
        // Serialising plain data into memory cannot fail.
        let _ = serde_json::to_writer(buf, report);
    }

    fn outcomes(&self, outcomes: &Report<'_>, buf: &mut Vec<u8>) {
        let _ = serde_json::to_writer(buf, outcomes);
    }

    fn error(&self, line: usize, e: &EvalError, buf: &mut Vec<u8>) {
        let field = match e.field() {
            None => serde_json::Value::Null,
            Some(f) => serde_json::Value::String(f.to_string()),
        };
        let v = serde_json::json!({"line": line, "error": e.to_string(), "field": field});
        buf.extend_from_slice(v.to_string().as_bytes());
    }
}

/// What a batch evaluates and on how many threads.
///
/// ```
/// use careplan::harness::batch::{self, Detail, Json, Options};
/// use serde_json::json;
/// let engine = careplan::reference().unwrap();
/// let full = engine.caseloads(&json!({"caseloads": {"standard_case_management": {}}})).unwrap();
/// let options = Options { caseloads: Some(&full), detail: Detail::Outcomes, threads: None, as_of: None };
/// let mut out = Vec::new();
/// let input = r#"{"id": "a", "needs": ["food", "legal"]}"#;
/// batch::run(&engine, input.as_bytes(), options, &Json, &mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().contains("caseload_full"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The caseload context, if any.
    pub caseloads: Option<&'a Caseloads>,
    /// How much each report says.
    pub detail: Detail,
    /// Worker threads; `None` for one per core.
    pub threads: Option<usize>,
    /// The evaluation date of every profile; today in UTC if `None`.
    pub as_of: Option<crate::date::Date>,
}

/// How one batch run went.
///
/// ```
/// use careplan::harness::batch::{self, Detail, Json, Options};
/// let engine = careplan::reference().unwrap();
/// let options = Options { caseloads: None, detail: Detail::Outcomes, threads: Some(2), as_of: None };
/// let mut out = Vec::new();
/// let input = "{\"id\": \"a\"}\n\n{\"id\": 3}\n";
/// let outcome = batch::run(&engine, input.as_bytes(), options, &Json, &mut out).unwrap();
/// assert_eq!(outcome, batch::Outcome { lines: 2, failed: 1 }); // the blank line is skipped
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Non-blank lines evaluated.
    pub lines: usize,
    /// Of those, the lines that had errors.
    pub failed: usize,
}

/// Evaluates every non-blank line of `input`, writing one result per line
/// to `out` in input order. Only reading and writing fail; a bad line is
/// written as an error and counted.
///
/// ```
/// use careplan::harness::batch::{self, Detail, Json, Options};
/// let engine = careplan::reference().unwrap();
/// let options = Options { caseloads: None, detail: Detail::Full, threads: Some(2), as_of: None };
/// let mut out = Vec::new();
/// let input: String = (0..100).map(|i| format!("{{\"id\": \"c-{i}\"}}\n")).collect();
/// let outcome = batch::run(&engine, input.as_bytes(), options, &Json, &mut out).unwrap();
/// assert_eq!(outcome.lines, 100);
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.lines().nth(42).unwrap().starts_with(r#"{"client":"c-42""#)); // input order
/// ```
pub fn run(
    engine: &Engine,
    mut input: impl BufRead,
    options: Options<'_>,
    form: &dyn Form,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let workers = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let workers = workers.max(1);
    let mut outcome = Outcome {
        lines: 0,
        failed: 0,
    };
    let mut line_no = 0usize;
    // The chunk's text, and (line number, start, end) of each non-blank
    // line in it; both kept from chunk to chunk.
    let mut text: Vec<u8> = Vec::new();
    let mut lines: Vec<(usize, usize, usize)> = Vec::with_capacity(CHUNK);
    loop {
        text.clear();
        lines.clear();
        while lines.len() < CHUNK {
            let start = text.len();
            if input.read_until(b'\n', &mut text)? == 0 {
                break;
            }
            line_no += 1;
            let line = text.get(start..).unwrap_or_default();
            if line.iter().any(|b| !b.is_ascii_whitespace()) {
                lines.push((line_no, start, text.len()));
            } else {
                text.truncate(start);
            }
        }
        if lines.is_empty() {
            break;
        }
        let per = lines.len().div_ceil(workers);
        let text = &text;
        let work = |part: &[(usize, usize, usize)]| {
            let mut buf = Vec::with_capacity(part.len() * 512);
            let mut failed = 0;
            for &(n, start, end) in part {
                let line = text.get(start..end).unwrap_or_default();
                if !one(engine, n, line, options, form, &mut buf) {
                    failed += 1;
                }
            }
            (buf, part.len(), failed)
        };
        let results: Vec<(Vec<u8>, usize, usize)> = if workers == 1 {
            // No thread to start for one worker: what the single-thread
            // benchmark times is the evaluation, not a spawn per chunk.
            vec![work(&lines)]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = lines
                    .chunks(per)
                    .map(|part| s.spawn(move || work(part)))
                    .collect();
                // A worker only panics on a bug; report it as a failed line
                // rather than lose the batch.
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            (b"{\"error\":\"internal error\"}\n".to_vec(), 1, 1)
                        })
                    })
                    .collect()
            })
        };
        for (buf, n, failed) in results {
            outcome.lines += n;
            outcome.failed += failed;
            out.write_all(&buf)?;
        }
    }
    out.flush()?;
    Ok(outcome)
}

/// Writes one line's result, or its error, to `buf`; false for an error.
fn one(
    engine: &Engine,
    line: usize,
    text: &[u8],
    options: Options<'_>,
    form: &dyn Form,
    buf: &mut Vec<u8>,
) -> bool {
    let ok = write(engine, line, text, options, form, buf);
    // One line per JSON result; a blank line after each human report.
    buf.push(b'\n');
    ok
}

fn write(
    engine: &Engine,
    line: usize,
    text: &[u8],
    options: Options<'_>,
    form: &dyn Form,
    buf: &mut Vec<u8>,
) -> bool {
    let caseloads = options.caseloads;
    let profile = match engine.profile_from_slice(text) {
        Ok(mut p) => {
            if let Some(d) = options.as_of {
                p.as_of = d;
            }
            p
        }
        Err(e) => {
            form.error(line, &e.into(), buf);
            return false;
        }
    };
    let written = match options.detail {
        Detail::Outcomes => engine
            .outcomes(&profile, caseloads)
            .map(|o| form.outcomes(&o, buf)),
        Detail::Full => engine
            .evaluate(&profile, caseloads)
            .map(|r| form.report(&r, buf)),
    };
    match written {
        Ok(()) => true,
        Err(e) => {
            form.error(line, &e, buf);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    fn lines(n: usize) -> String {
        let mut s = String::new();
        for i in 0..n {
            if i % 7 == 3 {
                s.push_str("{\"id\": \"bad\", \"age\": -5}\n");
            } else {
                s.push_str(&format!("{{\"id\": \"c{i}\", \"age\": {}}}\n", 20 + i % 60));
            }
            if i % 11 == 0 {
                s.push_str("   \n");
            }
        }
        s
    }

    #[test]
    fn output_is_in_input_order_whatever_the_threads() {
        let engine = crate::reference().unwrap();
        let text = lines(CHUNK + 50);
        let mut outs = Vec::new();
        for threads in [Some(1), Some(3), None] {
            let options = Options {
                caseloads: None,
                detail: Detail::Outcomes,
                threads,
                as_of: None,
            };
            let mut out = Vec::new();
            let o = run(&engine, text.as_bytes(), options, &Json, &mut out).unwrap();
            assert_eq!(o.lines, CHUNK + 50);
            assert_eq!(o.failed, (0..CHUNK + 50).filter(|i| i % 7 == 3).count());
            outs.push(out);
        }
        assert_eq!(outs[0], outs[1]);
        assert_eq!(outs[0], outs[2]);
        let first: Vec<&str> = std::str::from_utf8(&outs[0])
            .unwrap()
            .lines()
            .take(5)
            .collect();
        assert!(first[0].contains("\"c0\""), "{}", first[0]);
        assert!(first[3].contains("\"line\":5"), "{}", first[3]);
    }
}
