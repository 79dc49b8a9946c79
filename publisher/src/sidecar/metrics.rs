//! The sidecar's Prometheus metrics: events by source, type and outcome, and a histogram of
//! the time from request to answer.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Outcome {
    Stored,
    Duplicate,
    Invalid,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    TooLarge,
    Unavailable,
    Timeout,
    Error,
}

const OUTCOMES: [Outcome; 11] = [
    Outcome::Stored,
    Outcome::Duplicate,
    Outcome::Invalid,
    Outcome::BadRequest,
    Outcome::Unauthorized,
    Outcome::Forbidden,
    Outcome::NotFound,
    Outcome::TooLarge,
    Outcome::Unavailable,
    Outcome::Timeout,
    Outcome::Error,
];

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::Duplicate => "duplicate",
            Outcome::Invalid => "invalid",
            Outcome::BadRequest => "bad_request",
            Outcome::Unauthorized => "unauthorized",
            Outcome::Forbidden => "forbidden",
            Outcome::NotFound => "not_found",
            Outcome::TooLarge => "too_large",
            Outcome::Unavailable => "unavailable",
            Outcome::Timeout => "timeout",
            Outcome::Error => "error",
        }
    }

    fn index(self) -> usize {
        OUTCOMES
            .iter()
            .position(|outcome| *outcome == self)
            .unwrap_or(0)
    }
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Counters shared by every request. Requests whose source and type are not a known version
/// (or not authorized) are counted under empty labels, so callers cannot grow the label set.
#[derive(Default)]
pub(crate) struct Metrics {
    /// Counts per outcome, by source then type.
    events: Mutex<HashMap<String, HashMap<String, [u64; OUTCOMES.len()]>>>,
    /// Requests per latency bucket, each in the smallest that holds it (not cumulative).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Metrics {
    /// Counts one request that took `elapsed`, and each event it posted by its outcome (one
    /// for a single event, one per event for a batch).
    pub(crate) fn record(
        &self,
        labels: Option<(&str, &str)>,
        outcomes: &[Outcome],
        elapsed: Duration,
    ) {
        let (source, event_type) = labels.unwrap_or(("", ""));
        if !outcomes.is_empty() {
            let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
            // Looked up by reference: allocating keys on every event would cost.
            let types = match events.get_mut(source) {
                Some(types) => types,
                None => events.entry(source.to_string()).or_default(),
            };
            let counts = match types.get_mut(event_type) {
                Some(counts) => counts,
                None => types
                    .entry(event_type.to_string())
                    .or_insert([0; OUTCOMES.len()]),
            };
            for outcome in outcomes {
                counts[outcome.index()] += 1;
            }
        }
        // Only the smallest bucket that holds it counts the request; `render` adds them up.
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP cuemesh_sidecar_events_total Events posted to the sidecar, by source, type and outcome.\n\
             # TYPE cuemesh_sidecar_events_total counter\n",
        );
        let mut rows: Vec<((String, String), [u64; OUTCOMES.len()])> = {
            let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
            events
                .iter()
                .flat_map(|(source, types)| {
                    types
                        .iter()
                        .map(|(event_type, counts)| ((source.clone(), event_type.clone()), *counts))
                })
                .collect()
        };
        rows.sort();
        for ((source, event_type), counts) in rows {
            for outcome in OUTCOMES {
                let count = counts[outcome.index()];
                if count > 0 {
                    let _ = writeln!(
                        out,
                        "cuemesh_sidecar_events_total{{source=\"{}\",type=\"{}\",outcome=\"{}\"}} {count}",
                        escape(&source),
                        escape(&event_type),
                        outcome.label()
                    );
                }
            }
        }
        out.push_str(
            "# HELP cuemesh_sidecar_request_seconds Time from a publish request to its answer.\n\
             # TYPE cuemesh_sidecar_request_seconds histogram\n",
        );
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "cuemesh_sidecar_request_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "cuemesh_sidecar_request_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "cuemesh_sidecar_request_seconds_sum {sum}");
        let _ = writeln!(out, "cuemesh_sidecar_request_seconds_count {count}");
        out
    }
}

/// A label value with `\`, `"` and newlines escaped, as the text format asks.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_are_rendered_with_escaped_labels() {
        let metrics = Metrics::default();
        metrics.record(
            Some(("a\"b", "t")),
            &[Outcome::Stored],
            Duration::from_millis(2),
        );
        metrics.record(
            Some(("a\"b", "t")),
            &[Outcome::Stored, Outcome::Duplicate, Outcome::Stored],
            Duration::from_millis(30),
        );
        metrics.record(None, &[Outcome::NotFound], Duration::from_secs(9));
        metrics.record(Some(("a\"b", "t")), &[], Duration::from_millis(1));
        let text = metrics.render();
        assert!(
            text.contains(
                "cuemesh_sidecar_events_total{source=\"a\\\"b\",type=\"t\",outcome=\"stored\"} 3"
            ),
            "{text}"
        );
        assert!(text.contains("outcome=\"duplicate\"} 1\n"), "{text}");
        assert!(
            text.contains("{source=\"\",type=\"\",outcome=\"not_found\"} 1"),
            "{text}"
        );
        assert!(text.contains("_bucket{le=\"0.0025\"} 2\n"), "{text}");
        assert!(text.contains("_bucket{le=\"0.05\"} 3\n"), "{text}");
        assert!(text.contains("_bucket{le=\"+Inf\"} 4\n"), "{text}");
        assert!(text.contains("_count 4\n"), "{text}");
    }
}
