//! The request log of the registry service: one `tracing` event per request, in a `request`
//! span with method and route. Alone in its test binary: tracing caches per call site whether
//! anyone listens, and tests running beside this one on other threads with no subscriber would
//! race with the one it installs.

mod support;

use axum::body::Body;
use axum::http::Request;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use support::service::{repository, send, state_of};

/// Where the test's log lines go.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_request_is_logged_with_method_route_status_and_latency() {
    let repo = repository();
    let state = state_of(&repo);
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let uri = "/v1/sources/Nope/types/x/versions";
    send(
        &state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await;
    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("UTF-8");
    let line: Value = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON log line"))
        .find(|line| line["fields"]["message"] == "served")
        .unwrap_or_else(|| panic!("no request line in {text}"));
    assert_eq!(line["fields"]["status"], 404, "{line}");
    assert!(line["fields"]["latency_ms"].as_f64().is_some(), "{line}");
    assert_eq!(line["span"]["name"], "request", "{line}");
    assert_eq!(line["span"]["method"], "GET", "{line}");
    assert_eq!(
        line["span"]["route"],
        "/v1/sources/{source}/types/{type}/versions"
    );
}
