//! Prometheus metrics, written by hand in the text exposition format:
//! requests by route and status, a latency histogram by route, errors by
//! kind, reloads by result, and the rule-set version as an info metric.
//! One mutex around small maps: a request takes it once, briefly, after
//! its response is made.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<String, BTreeMap<u16, u64>>,
    latency: BTreeMap<String, Histogram>,
    errors: BTreeMap<String, u64>,
    reloads: BTreeMap<&'static str, u64>,
    feedback: u64,
}

#[derive(Default)]
pub struct Metrics(Mutex<Inner>);

impl Metrics {
    pub fn request(&self, route: &str, status: u16, took: Duration, error: Option<&str>) {
        let Ok(mut m) = self.0.lock() else { return };
        // Allocate a key only the first time a route or status is seen.
        match m.requests.get_mut(route) {
            Some(by_status) => *by_status.entry(status).or_default() += 1,
            None => {
                m.requests
                    .insert(route.to_string(), BTreeMap::from([(status, 1)]));
            }
        }
        if !m.latency.contains_key(route) {
            m.latency.insert(route.to_string(), Histogram::default());
        }
        let Some(h) = m.latency.get_mut(route) else {
            return;
        };
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                if let Some(c) = h.counts.get_mut(i) {
                    *c += 1;
                }
            }
        }
        h.sum += secs;
        h.count += 1;
        if let Some(kind) = error {
            *m.errors.entry(kind.to_string()).or_default() += 1;
        }
    }

    pub fn reload(&self, ok: bool) {
        if let Ok(mut m) = self.0.lock() {
            *m.reloads
                .entry(if ok { "ok" } else { "refused" })
                .or_default() += 1;
        }
    }

    pub fn feedback(&self, n: u64) {
        if let Ok(mut m) = self.0.lock() {
            m.feedback += n;
        }
    }

    /// The exposition text.
    pub fn render(&self, version: &str) -> String {
        let mut s = String::new();
        let Ok(m) = self.0.lock() else { return s };
        let _ = writeln!(s, "# HELP careplan_rules_info The rule set being served.");
        let _ = writeln!(s, "# TYPE careplan_rules_info gauge");
        let _ = writeln!(
            s,
            "careplan_rules_info{{version=\"{}\"}} 1",
            escape(version)
        );
        let _ = writeln!(
            s,
            "# HELP careplan_http_requests_total Requests answered, by route and status."
        );
        let _ = writeln!(s, "# TYPE careplan_http_requests_total counter");
        for (route, by_status) in &m.requests {
            for (status, n) in by_status {
                let _ = writeln!(
                    s,
                    "careplan_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        let _ = writeln!(
            s,
            "# HELP careplan_http_request_duration_seconds Time to answer, by route."
        );
        let _ = writeln!(s, "# TYPE careplan_http_request_duration_seconds histogram");
        for (route, h) in &m.latency {
            let r = escape(route);
            for (bound, c) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    s,
                    "careplan_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{bound}\"}} {c}"
                );
            }
            let _ = writeln!(
                s,
                "careplan_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                s,
                "careplan_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                s,
                "careplan_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            s,
            "# HELP careplan_errors_total Problem responses, by kind."
        );
        let _ = writeln!(s, "# TYPE careplan_errors_total counter");
        for (kind, n) in &m.errors {
            let _ = writeln!(s, "careplan_errors_total{{kind=\"{}\"}} {n}", escape(kind));
        }
        let _ = writeln!(
            s,
            "# HELP careplan_reloads_total Rule-set reloads, by result."
        );
        let _ = writeln!(s, "# TYPE careplan_reloads_total counter");
        for result in ["ok", "refused"] {
            let n = m.reloads.get(result).copied().unwrap_or(0);
            let _ = writeln!(s, "careplan_reloads_total{{result=\"{result}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP careplan_cds_feedback_total CDS Hooks feedback items received."
        );
        let _ = writeln!(s, "# TYPE careplan_cds_feedback_total counter");
        let _ = writeln!(s, "careplan_cds_feedback_total {}", m.feedback);
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
