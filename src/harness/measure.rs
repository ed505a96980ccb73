//! Timing a rule set over a population, and counting what it decides: what
//! `careplan bench` measures.
//!
//! Profiles are read outside the timed loops; only `Engine::decide_into`
//! (each call timed, for latencies, over decisions kept from chunk to chunk) and `Engine::evaluate` (the full report, timed
//! as a loop) are measured, on the caller's thread.

use super::compare::Tally;
use crate::eval::Decision;
use crate::{Caseloads, Engine, Profile};
use serde_json::Value;
use std::time::{Duration, Instant};

/// What became of one profile of a chunk, in the order [`Measure::chunk`]
/// reports them: first every rejected profile, then every decided or
/// failed one.
///
/// ```
/// use careplan::harness::measure::{Event, Measure};
/// let engine = careplan::reference().unwrap();
/// let mut measure = Measure::new(&engine, None, 3);
/// let chunk = [
///     Ok(serde_json::json!({"id": "a", "age": 40})),
///     Err("invalid JSON".to_string()),
///     Ok(serde_json::json!({"id": "b", "age": -1})),
/// ];
/// let mut seen = Vec::new();
/// measure.chunk(&chunk, |i, event| seen.push((i, matches!(event, Event::Decided(..)))));
/// assert_eq!(seen, [(1, false), (2, false), (0, true)]);
/// ```
#[derive(Debug)]
pub enum Event<'a> {
    /// Not a profile (the reason given by the caller), or one the schema
    /// rejects.
    Rejected(String),
    /// Deciding failed on the profile's data.
    Failed {
        /// The profile's client id, if it has one.
        client: Option<String>,
        /// What went wrong.
        error: String,
    },
    /// Decided, and counted in the tally.
    Decided(&'a Value, &'a Decision),
}

/// Times and counts over the profiles measured so far.
///
/// ```
/// use careplan::harness::measure::Measure;
/// let engine = careplan::reference().unwrap();
/// let mut measure = Measure::new(&engine, None, 3);
/// let chunk = [
///     Ok(serde_json::json!({"id": "a", "age": 40})),
///     Err("invalid JSON".to_string()),
///     Ok(serde_json::json!({"id": "b", "age": -1})),
/// ];
/// measure.chunk(&chunk, |_, _| {});
/// assert_eq!((measure.rejected, measure.tally.n, measure.evaluated), (2, 1, 1));
/// assert_eq!(measure.evaluation_errors, 0);
/// ```
#[derive(Debug)]
pub struct Measure<'a> {
    engine: &'a Engine,
    ctx: Option<&'a Caseloads>,
    /// The outcomes of the profiles decided.
    pub tally: Tally,
    /// Entries that were not profiles, or that the schema rejects.
    pub rejected: u64,
    /// Profiles whose decision failed on their data.
    pub evaluation_errors: u64,
    latencies: Vec<u64>,
    /// Time spent in `decide`, summed over the chunks.
    pub decide_time: Duration,
    /// Time spent in `evaluate`, summed over the chunks.
    pub evaluate_time: Duration,
    /// Profiles evaluated into full reports.
    pub evaluated: u64,
    /// The evaluation date of every profile; today in UTC if `None`.
    pub as_of: Option<crate::date::Date>,
    /// One decision per profile of a chunk, written over by
    /// `Engine::decide_into` chunk after chunk, so that the timed loop
    /// allocates nothing once they have grown.
    decisions: Vec<Decision>,
}

/// `decide`'s latency over the profiles measured, in nanoseconds.
///
/// ```
/// use careplan::harness::measure::Measure;
/// let engine = careplan::reference().unwrap();
/// let mut measure = Measure::new(&engine, None, 10);
/// let chunk: Vec<_> = (0..10).map(|i| Ok(serde_json::json!({"id": format!("c-{i}")}))).collect();
/// measure.chunk(&chunk, |_, _| {});
/// let latency = measure.latency();
/// assert_eq!(latency.decided, 10);
/// assert!(latency.p50 <= latency.p90 && latency.p99 <= latency.max);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latency {
    /// Profiles decided (a failed decision is timed too).
    pub decided: u64,
    /// The median.
    pub p50: u64,
    /// The 90th percentile.
    pub p90: u64,
    /// The 99th percentile.
    pub p99: u64,
    /// The slowest.
    pub max: u64,
}

impl<'a> Measure<'a> {
    /// Nothing measured yet; `expected` sizes the latency buffer.
    ///
    /// ```
    /// use careplan::harness::measure::Measure;
    /// let engine = careplan::reference().unwrap();
    /// let mut measure = Measure::new(&engine, None, 1000);
    /// assert_eq!(measure.tally.n, 0);
    /// assert_eq!(measure.latency(), Default::default());
    /// ```
    pub fn new(engine: &'a Engine, ctx: Option<&'a Caseloads>, expected: u64) -> Measure<'a> {
        Measure {
            engine,
            ctx,
            tally: Tally::new(engine),
            rejected: 0,
            evaluation_errors: 0,
            latencies: Vec::with_capacity(usize::try_from(expected).unwrap_or(0)),
            decide_time: Duration::ZERO,
            evaluate_time: Duration::ZERO,
            evaluated: 0,
            as_of: None,
            decisions: Vec::new(),
        }
    }

    /// Reads a chunk (not timed), decides each profile (each call timed),
    /// evaluates each into a report (the loop timed), and counts; `on`
    /// hears what became of each entry, by its index in `chunk`.
    ///
    /// ```
    /// use careplan::harness::measure::{Event, Measure};
    /// let engine = careplan::reference().unwrap();
    /// let mut measure = Measure::new(&engine, None, 2);
    /// let chunk = [Ok(serde_json::json!({"id": "a"})), Ok(serde_json::json!({"id": "b", "age": 500}))];
    /// let mut rejected = Vec::new();
    /// measure.chunk(&chunk, |i, event| {
    ///     if let Event::Rejected(why) = event {
    ///         rejected.push((i, why));
    ///     }
    /// });
    /// assert_eq!(rejected.len(), 1);
    /// assert_eq!(rejected[0].0, 1);
    /// assert!(rejected[0].1.contains("age"));
    /// ```
    pub fn chunk(&mut self, chunk: &[Result<Value, String>], mut on: impl FnMut(usize, Event<'_>)) {
        let engine = self.engine;
        let mut read: Vec<(usize, &Value, Profile)> = Vec::with_capacity(chunk.len());
        for (i, e) in chunk.iter().enumerate() {
            match e {
                Err(msg) => {
                    self.rejected += 1;
                    on(i, Event::Rejected(msg.clone()));
                }
                Ok(v) => match engine.profile(v) {
                    Ok(mut p) => {
                        if let Some(d) = self.as_of {
                            p.as_of = d;
                        }
                        read.push((i, v, p))
                    }
                    Err(err) => {
                        self.rejected += 1;
                        on(i, Event::Rejected(err.to_string()));
                    }
                },
            }
        }

        if self.decisions.len() < read.len() {
            self.decisions.resize_with(read.len(), Decision::default);
        }
        let mut failed = Vec::with_capacity(read.len());
        let start = Instant::now();
        for ((_, _, p), out) in read.iter().zip(self.decisions.iter_mut()) {
            let t = Instant::now();
            let d = engine.decide_into(p, self.ctx, out);
            let ns = u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.latencies.push(ns);
            failed.push(d.err());
        }
        self.decide_time += start.elapsed();

        let start = Instant::now();
        for (_, _, p) in &read {
            let _ = std::hint::black_box(engine.evaluate(std::hint::black_box(p), self.ctx));
        }
        self.evaluate_time += start.elapsed();
        self.evaluated += read.len() as u64;

        for (((i, v, p), d), failed) in read.iter().zip(&self.decisions).zip(failed) {
            match failed {
                None => {
                    self.tally.add(d);
                    on(*i, Event::Decided(v, d));
                }
                Some(err) => {
                    self.evaluation_errors += 1;
                    on(
                        *i,
                        Event::Failed {
                            client: p.client.clone(),
                            error: err.to_string(),
                        },
                    );
                }
            }
        }
    }

    /// `decide`'s latencies: nearest-rank percentiles.
    ///
    /// ```
    /// use careplan::harness::measure::Measure;
    /// let engine = careplan::reference().unwrap();
    /// let mut measure = Measure::new(&engine, None, 1);
    /// measure.chunk(&[Ok(serde_json::json!({"id": "a"}))], |_, _| {});
    /// let latency = measure.latency();
    /// assert_eq!(latency.decided, 1);
    /// assert_eq!((latency.p50, latency.p99), (latency.max, latency.max));
    /// ```
    pub fn latency(&mut self) -> Latency {
        self.latencies.sort_unstable();
        let l = &self.latencies;
        let percentile = |q: u64| -> u64 {
            let n = l.len() as u64;
            let rank = (q * n).div_ceil(100).max(1);
            l.get(usize::try_from(rank - 1).unwrap_or(0))
                .copied()
                .unwrap_or(0)
        };
        Latency {
            decided: l.len() as u64,
            p50: percentile(50),
            p90: percentile(90),
            p99: percentile(99),
            max: l.last().copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;

    #[test]
    fn rejected_entries_come_first_and_everything_is_counted() {
        let engine = crate::reference().unwrap();
        let mut m = Measure::new(&engine, None, 3);
        let chunk = vec![
            Ok(serde_json::json!({"id": "a", "age": 40})),
            Err("invalid JSON".to_string()),
            Ok(serde_json::json!({"id": "b", "age": -1})),
            Ok(serde_json::json!({"id": "c", "age": 70})),
        ];
        let mut seen = Vec::new();
        m.chunk(&chunk, |i, e| {
            seen.push((i, matches!(e, Event::Decided(..))));
        });
        assert_eq!(seen, [(1, false), (2, false), (0, true), (3, true)]);
        assert_eq!((m.rejected, m.tally.n, m.evaluated), (2, 2, 2));
        let l = m.latency();
        assert_eq!(l.decided, 2);
        assert!(l.p50 <= l.max);
    }
}
