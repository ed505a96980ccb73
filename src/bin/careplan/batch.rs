//! JSON Lines batches: one profile per line in, one report per line out, in
//! order, on every core, with bounded memory.
//!
//! Lines are read in chunks into one buffer; each chunk is split between
//! worker threads, each of which writes its lines' reports into a buffer of
//! its own, and the buffers are written in order before the next chunk is
//! read. Memory is bounded by the chunk, whatever the size of the input.

use crate::render;
use careplan::{Caseloads, Engine};
use std::io::{BufRead, Write};

/// Lines per chunk: large enough to keep the workers busy, small enough
/// that a chunk's reports fit in memory comfortably.
const CHUNK: usize = 4096;

/// How much each line's report says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Detail {
    /// Outcomes with their reasons: what held, the values read, every
    /// program's status.
    Full,
    /// Outcomes only: programs, referrals, warnings and what is
    /// undetermined with its missing fields; the fast report for batches.
    Outcomes,
}

/// How one batch run went.
pub struct Outcome {
    pub lines: usize,
    pub failed: usize,
}

/// What a batch writes and how.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    pub caseloads: Option<&'a Caseloads>,
    pub json: bool,
    pub detail: Detail,
}

/// Evaluates every line of `input`, writing one result per non-blank line.
pub fn run(
    engine: &Engine,
    mut input: impl BufRead,
    options: Options<'_>,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
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
        let results: Vec<(Vec<u8>, usize, usize)> = std::thread::scope(|s| {
            let handles: Vec<_> = lines
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        let mut buf = Vec::with_capacity(part.len() * 512);
                        let mut failed = 0;
                        for &(n, start, end) in part {
                            let line = text.get(start..end).unwrap_or_default();
                            if !one(engine, n, line, options, &mut buf) {
                                failed += 1;
                            }
                        }
                        (buf, part.len(), failed)
                    })
                })
                .collect();
            // A worker only panics on a bug; report it as a failed line
            // rather than lose the batch.
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| (b"{\"error\":\"internal error\"}\n".to_vec(), 1, 1))
                })
                .collect()
        });
        for (buf, n, failed) in results {
            outcome.lines += n;
            outcome.failed += failed;
            out.write_all(&buf)?;
        }
    }
    out.flush()?;
    Ok(outcome)
}

/// Writes one line's report, or its error, to `buf`; false for an error.
fn one(engine: &Engine, line: usize, text: &[u8], options: Options<'_>, buf: &mut Vec<u8>) -> bool {
    let ok = write(engine, line, text, options, buf);
    // A blank line after each human report; one line per JSON report.
    buf.push(b'\n');
    ok
}

fn write(
    engine: &Engine,
    line: usize,
    text: &[u8],
    options: Options<'_>,
    buf: &mut Vec<u8>,
) -> bool {
    let Options {
        caseloads,
        json,
        detail,
    } = options;
    let profile = match engine.profile_from_slice(text) {
        Ok(p) => p,
        Err(e) => return error(line, &e.into(), json, buf),
    };
    // Serialising plain data into memory cannot fail, hence the `let _`.
    let written = match (detail, json) {
        (Detail::Outcomes, true) => engine.outcomes(&profile, caseloads).map(|o| {
            let _ = serde_json::to_writer(&mut *buf, &o);
        }),
        (Detail::Outcomes, false) => engine
            .outcomes(&profile, caseloads)
            .map(|o| buf.extend_from_slice(render::outcomes(&o).as_bytes())),
        (Detail::Full, true) => engine.evaluate(&profile, caseloads).map(|r| {
            let _ = serde_json::to_writer(&mut *buf, &r);
        }),
        (Detail::Full, false) => engine
            .evaluate(&profile, caseloads)
            .map(|r| buf.extend_from_slice(render::report(&r).as_bytes())),
    };
    match written {
        Ok(()) => true,
        Err(e) => error(line, &e, json, buf),
    }
}

fn error(line: usize, e: &careplan::EvalError, json: bool, buf: &mut Vec<u8>) -> bool {
    if json {
        let field = match e.field() {
            None => serde_json::Value::Null,
            Some(f) => serde_json::Value::String(f.to_string()),
        };
        let v = serde_json::json!({"line": line, "error": e.to_string(), "field": field});
        buf.extend_from_slice(v.to_string().as_bytes());
    } else {
        buf.extend_from_slice(format!("line {line}: error: {e}\n").as_bytes());
    }
    false
}
