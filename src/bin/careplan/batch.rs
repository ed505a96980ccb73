//! JSON Lines batches: one profile per line in, one report per line out, in
//! order, on every core, with bounded memory.
//!
//! Lines are read in chunks; each chunk is split between worker threads,
//! whose outputs are written in line order before the next chunk is read.
//! Memory is bounded by the chunk, whatever the size of the input.

use crate::render;
use careplan::{Caseloads, Engine};
use std::io::{BufRead, Write};

/// Lines per chunk: large enough to keep the workers busy, small enough
/// that a chunk's reports fit in memory comfortably.
const CHUNK: usize = 4096;

/// How one batch run went.
pub struct Outcome {
    pub lines: usize,
    pub failed: usize,
}

/// Evaluates every line of `input`, writing one result per non-blank line.
pub fn run(
    engine: &Engine,
    mut input: impl BufRead,
    caseloads: Option<&Caseloads>,
    json: bool,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut outcome = Outcome {
        lines: 0,
        failed: 0,
    };
    let mut line_no = 0usize;
    loop {
        // (line number, text) for the non-blank lines of this chunk.
        let mut chunk: Vec<(usize, Vec<u8>)> = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            let mut buf = Vec::new();
            if input.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            line_no += 1;
            if buf.iter().any(|b| !b.is_ascii_whitespace()) {
                chunk.push((line_no, buf));
            }
        }
        if chunk.is_empty() {
            break;
        }
        let per = chunk.len().div_ceil(workers);
        let results: Vec<Vec<(bool, String)>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|(n, text)| one(engine, *n, text, caseloads, json))
                            .collect()
                    })
                })
                .collect();
            // A worker only panics on a bug; report it as a failed line
            // rather than lose the batch.
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| vec![(false, "{\"error\":\"internal error\"}".into())])
                })
                .collect()
        });
        for (ok, text) in results.into_iter().flatten() {
            outcome.lines += 1;
            if !ok {
                outcome.failed += 1;
            }
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(outcome)
}

/// One line's report, or its error object.
fn one(
    engine: &Engine,
    line: usize,
    text: &[u8],
    caseloads: Option<&Caseloads>,
    json: bool,
) -> (bool, String) {
    let result = engine
        .profile_from_slice(text)
        .and_then(|p| engine.evaluate(&p, caseloads));
    match (result, json) {
        (Ok(report), true) => (true, report.to_json()),
        (Ok(report), false) => (true, render::report(&report)),
        (Err(e), true) => {
            let field = if e.field.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::String(e.field.clone())
            };
            (
                false,
                serde_json::json!({"line": line, "error": e.to_string(), "field": field})
                    .to_string(),
            )
        }
        (Err(e), false) => (false, format!("line {line}: error: {e}\n")),
    }
}
