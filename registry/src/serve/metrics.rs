//! Request metrics and logs, and `/metrics` in the Prometheus text format (version 0.0.4).
//!
//! [`track`] is the one layer every request passes: it counts the request by route template
//! (`/v1/sources/{source}/...`, never the raw path, so the series stay few), method and
//! status, times it into a histogram, and logs it with `tracing` inside a `request` span
//! (method, route, status, latency). [`render`] writes the exposition, with the index and
//! reload gauges read from the state at scrape time.

use super::reload::Outcome;
use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Instant, UNIX_EPOCH};
use tracing::Instrument as _;

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The route label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

/// Counters and histograms of the requests served, by route template.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<HashMap<String, RouteSeries>>,
}

#[derive(Debug, Default)]
struct RouteSeries {
    /// Requests by `(method, status)`.
    requests: HashMap<(Method, u16), u64>,
    /// Requests at most each bound of [`BUCKETS`] (not cumulative; summed when rendered).
    buckets: [u64; BUCKETS.len()],
    seconds: f64,
    count: u64,
}

impl Metrics {
    /// Records one request.
    pub fn observe(&self, route: &str, method: &Method, status: u16, seconds: f64) {
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let series = match routes.get_mut(route) {
            Some(series) => series,
            None => routes.entry(route.to_string()).or_default(),
        };
        *series.requests.entry((method.clone(), status)).or_default() += 1;
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            series.buckets[bucket] += 1;
        }
        series.seconds += seconds;
        series.count += 1;
    }

    /// How many requests to `route` with `method` got `status`.
    pub fn requests(&self, route: &str, method: &Method, status: u16) -> u64 {
        self.routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(route)
            .and_then(|series| series.requests.get(&(method.clone(), status)).copied())
            .unwrap_or(0)
    }
}

/// The layer: counts, times and logs every request (see the module documentation).
pub(super) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // `MatchedPath` is an `Arc<str>` inside: cloning it copies no text.
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let method = request.method().clone();
    let span = tracing::info_span!("request", method = %method, route = %route);
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics()
        .observe(route, &method, status, elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "served"
        );
    });
    response
}

/// `GET /metrics`.
pub(super) async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = render(&state).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// The whole exposition.
pub(super) fn render(state: &AppState) -> String {
    let mut out = String::new();
    let routes = state
        .metrics()
        .routes
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut names: Vec<&String> = routes.keys().collect();
    names.sort();

    header(
        &mut out,
        "cuemesh_http_requests_total",
        "counter",
        "HTTP requests answered, by route template, method and status.",
    );
    for name in &names {
        let mut requests: Vec<_> = routes[*name].requests.iter().collect();
        requests.sort_by_key(|((method, status), _)| (method.as_str(), *status));
        for ((method, status), count) in requests {
            let _ = writeln!(
                out,
                "cuemesh_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
                escape(name),
                escape(method.as_str()),
            );
        }
    }

    header(
        &mut out,
        "cuemesh_http_request_duration_seconds",
        "histogram",
        "Time from receiving a request to having its response, by route template.",
    );
    for name in &names {
        let series = &routes[*name];
        let route = escape(name);
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(series.buckets) {
            cumulative += count;
            let _ = writeln!(
                out,
                "cuemesh_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "cuemesh_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
            series.count
        );
        let _ = writeln!(
            out,
            "cuemesh_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
            series.seconds
        );
        let _ = writeln!(
            out,
            "cuemesh_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
            series.count
        );
    }
    drop(routes);

    let status = state.reload_status();
    let index = state.index();
    gauge(
        &mut out,
        "cuemesh_index_generation",
        "The served index: 1 for the first, plus one per reload that swapped one in.",
        status.generation() as f64,
    );
    gauge(
        &mut out,
        "cuemesh_versions_served",
        "Schema versions in the served index.",
        index.version_count() as f64,
    );
    gauge(
        &mut out,
        "cuemesh_index_commit_timestamp_seconds",
        "Author time of the served branch tip, in seconds since the Unix epoch.",
        index.head.as_ref().map_or(0.0, |head| head.time as f64),
    );
    header(
        &mut out,
        "cuemesh_index_builds_total",
        "counter",
        "Indexes built by reloads (a tip that failed to load is not rebuilt until it moves).",
    );
    let _ = writeln!(out, "cuemesh_index_builds_total {}", status.builds());
    header(
        &mut out,
        "cuemesh_reloads_total",
        "counter",
        "Reloads by outcome: swapped, unchanged, refused (history rewritten), failed.",
    );
    for outcome in Outcome::ALL {
        let _ = writeln!(
            out,
            "cuemesh_reloads_total{{outcome=\"{}\"}} {}",
            outcome.name(),
            status.count(outcome)
        );
    }
    let last = status.last();
    gauge(
        &mut out,
        "cuemesh_last_reload_success",
        "1 when the last reload served the branch as it is, 0 when it failed or was refused.",
        last.as_ref()
            .map_or(1.0, |last| f64::from(u8::from(last.ok()))),
    );
    gauge(
        &mut out,
        "cuemesh_last_reload_timestamp_seconds",
        "When the last reload ended, in seconds since the Unix epoch (0: none yet).",
        last.and_then(|last| last.time.duration_since(UNIX_EPOCH).ok())
            .map_or(0.0, |since| since.as_secs_f64()),
    );
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    header(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

/// A label value as the text format writes it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
