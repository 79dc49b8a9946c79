//! The HTTP sidecar: services that do not link the library post their events to it.
//!
//! `POST /v1/events/{source}/{type}/versions/{n}` validates the body against the pinned
//! version, publishes it through a [`Publisher`] and answers only after the JetStream PubAck:
//! `201 {"id", "stream", "sequence", "duplicate": false}`, or `200` with `"duplicate": true`
//! when JetStream already had the id. Errors are `{"error": {"code", "message", ...}}`: 400
//! (bad JSON, with `line` and `column`; a bad attribute; an event whose source or type is not
//! the path's), 401/403 (bearer tokens; 403 also when the NATS user may not publish on the
//! event's subject, with its `subject`: nothing was stored), 404 (unknown version), 413 (body over the limit or
//! over NATS's `max_payload`), 415, 422 (with every `violations` entry's `path`), 503 with
//! `Retry-After` (NATS or the registry unreachable: nothing was stored), 504 with
//! `Retry-After` (no PubAck in time; retrying with the same `ce-id` is safe).
//! A body of `application/cloudevents-batch+json` is a batch, a JSON array of whole events:
//! every event is checked before any is sent (one refused, none sent), then all are published
//! with their PubAcks awaited together, and the answer lists each event's receipt in order.
//! `GET /healthz`, `GET /readyz` (NATS connected and the stream present) and `GET /metrics`
//! (Prometheus text) complete it.

mod metrics;
mod request;
mod tokens;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::{ErrorKind, PublishError, Violation};
use crate::event::json_string;
use crate::publisher::{Publisher, Receipt, Route};
use crate::schema::Pin;
use crate::tls::{ServerTls, TlsListener};
use metrics::{Metrics, Outcome};
use request::{Posted, PublishRequest};
pub use tokens::{Access, Tokens, TokensError};

/// The default largest body: 1 MiB (NATS's default `max_payload` is 1 MiB too).
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// What the sidecar needs besides its [`Publisher`].
#[derive(Debug, Clone)]
pub struct SidecarConfig {
    /// Bodies larger than this are refused with 413 before they are read whole.
    pub max_body: usize,
    /// Who may publish which source; [`Tokens::open`] lets anyone publish anything.
    pub tokens: Tokens,
    /// Seconds a 503 or 504 asks the caller to wait (`Retry-After`).
    pub retry_after_seconds: u32,
}

impl Default for SidecarConfig {
    fn default() -> SidecarConfig {
        SidecarConfig {
            max_body: DEFAULT_MAX_BODY,
            tokens: Tokens::open(),
            retry_after_seconds: 1,
        }
    }
}

struct Sidecar {
    publisher: Arc<Publisher>,
    config: SidecarConfig,
    metrics: Metrics,
}

/// The sidecar's routes over `publisher`. Binds nothing: serve it with [`serve`].
pub fn app(publisher: Arc<Publisher>, config: SidecarConfig) -> Router {
    let state = Arc::new(Sidecar {
        publisher,
        config,
        metrics: Metrics::default(),
    });
    Router::new()
        .route(cuemesh_contract::url::PUBLISH_ROUTE, post(publish))
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .with_state(state)
}

/// Serves `app` (the sidecar's [`app`]) on `listener` over HTTP/1.1 until `shutdown` completes,
/// then lets the requests in progress finish and closes the connections.
///
/// Each connection is served straight by hyper's HTTP/1.1 connection, with no protocol
/// detection: side by side (`bench/publish/run`, four pairs of runs) that gave 6–19% more
/// events/s than `axum::serve`, which also serves HTTP/2. Services post events over HTTP/1.1.
/// An error accepting a connection (no file descriptors left, say) is waited out, not
/// returned: the sidecar goes on serving the connections it has.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use axum::serve::ListenerExt;
    // Answers are small and written once: send them at once.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    serve_on(listener, app, shutdown).await;
}

/// [`serve`] over TLS with `tls` (whose ALPN protocols should offer `http/1.1`): each
/// handshake runs on its own task ([`TlsListener`]).
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: &ServerTls,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    serve_on(TlsListener::new(listener, tls)?, app, shutdown).await;
    Ok(())
}

async fn serve_on<L: axum::serve::Listener>(
    mut listener: L,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // A client that never finishes its headers is dropped after hyper's header timeout.
    http.timer(hyper_util::rt::TokioTimer::new());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            (stream, _) = listener.accept() => stream,
            () = &mut shutdown => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    graceful.shutdown().await;
}

/// `{"error": {"code", "message"}}` with `status`.
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    error_with(status, code, message, json!({}))
}

/// The same with more fields in the `error` object.
fn error_with(status: StatusCode, code: &str, message: impl Into<String>, more: Value) -> Response {
    let mut body = json!({"code": code, "message": message.into()});
    if let (Some(body), Value::Object(more)) = (body.as_object_mut(), more) {
        body.extend(more);
    }
    (status, Json(json!({"error": body}))).into_response()
}

async fn readyz(State(sidecar): State<Arc<Sidecar>>) -> Response {
    let publisher = &sidecar.publisher;
    let stream = publisher.config().stream.name.as_str();
    if !publisher.is_connected() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "nats_unavailable",
            "not connected to NATS",
        );
    }
    if !publisher.stream_ready().await {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "stream_unavailable",
            format!("the JetStream stream {stream} does not answer"),
        );
    }
    Json(json!({"status": "ready", "stream": stream})).into_response()
}

async fn metrics_text(State(sidecar): State<Arc<Sidecar>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        sidecar.metrics.render(),
    )
        .into_response()
}

async fn publish(
    State(sidecar): State<Arc<Sidecar>>,
    Path((source, event_type, version)): Path<(String, String, String)>,
    request: Request<Body>,
) -> Response {
    let started = Instant::now();
    let (labels, outcomes, response) =
        publish_inner(&sidecar, source, event_type, &version, request).await;
    let labels = labels
        .as_ref()
        .map(|pin| (pin.source.as_str(), pin.event_type.as_str()));
    sidecar
        .metrics
        .record(labels, outcomes.as_slice(), started.elapsed());
    response
}

/// What became of the events of one request: one outcome, or one per event of a batch.
enum Outcomes {
    One(Outcome),
    Each(Vec<Outcome>),
}

impl Outcomes {
    fn as_slice(&self) -> &[Outcome] {
        match self {
            Outcomes::One(outcome) => std::slice::from_ref(outcome),
            Outcomes::Each(outcomes) => outcomes,
        }
    }
}

impl From<Outcome> for Outcomes {
    fn from(outcome: Outcome) -> Outcomes {
        Outcomes::One(outcome)
    }
}

/// The answer, its outcomes, and the pin to count them under (once authorized and known).
async fn publish_inner(
    sidecar: &Sidecar,
    source: String,
    event_type: String,
    version: &str,
    request: Request<Body>,
) -> (Option<Pin>, Outcomes, Response) {
    let canonical = !version.is_empty()
        && version.bytes().all(|byte| byte.is_ascii_digit())
        && !version.starts_with('0');
    let Some(number) = version.parse::<u32>().ok().filter(|_| canonical) else {
        let message = format!("{version:?} is not a version: expected a number from 1");
        return (
            None,
            Outcome::BadRequest.into(),
            error(StatusCode::BAD_REQUEST, "bad_version", message),
        );
    };
    let pin = Pin::new(source, event_type, number);
    let (parts, body) = request.into_parts();

    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    match sidecar.config.tokens.check(authorization, &pin.source) {
        Access::Allowed => {}
        Access::Unauthenticated => {
            let mut response = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!(
                    "publishing {} needs a bearer token of its owner",
                    pin.source
                ),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"cuemesh\""),
            );
            return (None, Outcome::Unauthorized.into(), response);
        }
        Access::Forbidden => {
            let message = format!("this token may not publish the source {:?}", pin.source);
            return (
                None,
                Outcome::Forbidden.into(),
                error(StatusCode::FORBIDDEN, "forbidden", message),
            );
        }
    }

    // The version first: an unknown one is a 404 whatever the body.
    let route = match sidecar.publisher.route(&pin).await {
        Ok(route) => route,
        Err(failure) => {
            let outcome = outcome_of(&failure);
            return (None, outcome.into(), failure_response(sidecar, &failure));
        }
    };

    let limit = sidecar.config.max_body;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let too_large = || {
        error_with(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {limit} bytes"),
            json!({"limit": limit}),
        )
    };
    if declared.is_some_and(|length| length > limit as u64) {
        return (Some(pin), Outcome::TooLarge.into(), too_large());
    }
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(failure) => {
            let length_limited = std::error::Error::source(&failure)
                .is_some_and(|inner| inner.is::<http_body_util::LengthLimitError>());
            if length_limited {
                return (Some(pin), Outcome::TooLarge.into(), too_large());
            }
            let message = format!("reading the body: {failure}");
            return (
                Some(pin),
                Outcome::BadRequest.into(),
                error(StatusCode::BAD_REQUEST, "bad_body", message),
            );
        }
    };

    let publish = match request::read(&pin, &route.dataschema, &parts.headers, body) {
        Ok(Posted::One(publish)) => publish,
        Ok(Posted::Batch(events)) => {
            let (outcomes, response) = publish_batch(sidecar, &pin, &route, events).await;
            return (Some(pin), outcomes, response);
        }
        Err(refused) => return (Some(pin), Outcome::BadRequest.into(), bad_request(refused)),
    };

    let published = sidecar
        .publisher
        .publish_on(&route, &pin, &publish.payload, publish.attributes)
        .await;
    if let Err(PublishError::Invalid { .. }) = &published {
        if let Err(refused) = request::check_json(&publish.payload) {
            return (Some(pin), Outcome::BadRequest.into(), bad_request(refused));
        }
    }
    match published {
        Ok(receipt) => {
            let (status, outcome) = if receipt.duplicate {
                (StatusCode::OK, Outcome::Duplicate)
            } else {
                (StatusCode::CREATED, Outcome::Stored)
            };
            (Some(pin), outcome.into(), stored(status, &receipt))
        }
        Err(failure) => {
            let outcome = outcome_of(&failure);
            (
                Some(pin),
                outcome.into(),
                failure_response(sidecar, &failure),
            )
        }
    }
}

/// The 400 (or 415) for a request refused before validation.
fn bad_request(refused: request::BadRequest) -> Response {
    let status = if refused.unsupported_media_type {
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut more = serde_json::Map::new();
    if let Some((line, column)) = refused.position {
        more.insert("line".into(), line.into());
        more.insert("column".into(), column.into());
    }
    if let Some(event) = refused.event {
        more.insert("event".into(), event.into());
    }
    error_with(status, refused.code, refused.message, Value::Object(more))
}

/// A batch: every event is validated and encoded first, and when any is refused none is sent
/// (422 with every violation of every event, each naming its `event`; or the 400/413 of the
/// first event refused otherwise). Then all are published with their PubAcks awaited
/// together ([`Publisher::send_pipelined`]); the answer lists each event's receipt in order:
/// 201, or 200 when JetStream had every one already (or the batch is empty). When some could
/// not be stored, the answer is the first failure's status (503 or 504 with `Retry-After`)
/// and the list says which were stored: posting the batch again with the same ids stores
/// each event once.
async fn publish_batch(
    sidecar: &Sidecar,
    pin: &Pin,
    route: &Route,
    events: Vec<PublishRequest>,
) -> (Outcomes, Response) {
    let total = events.len();
    let mut messages = Vec::with_capacity(total);
    let mut refused = Vec::new();
    for (index, event) in events.iter().enumerate() {
        match sidecar
            .publisher
            .prepare(route, pin, &event.payload, &event.attributes)
        {
            Ok(message) => messages.push(message),
            Err(failure) => refused.push((index, failure)),
        }
    }
    if !refused.is_empty() {
        return refused_batch(total, &refused);
    }
    let results = sidecar
        .publisher
        .send_pipelined(messages.into_iter().map(Ok))
        .await;
    let outcomes: Vec<Outcome> = results
        .iter()
        .map(|result| match result {
            Ok(receipt) if receipt.duplicate => Outcome::Duplicate,
            Ok(_) => Outcome::Stored,
            Err(failure) => outcome_of(failure),
        })
        .collect();
    let first_failure = results.iter().find_map(|result| result.as_ref().err());
    let Some(failure) = first_failure else {
        let all_duplicates = outcomes.iter().all(|o| *o == Outcome::Duplicate);
        let status = if all_duplicates {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        let body = batch_answer(None, &results);
        return (Outcomes::Each(outcomes), json_response(status, body));
    };
    let failed = results.iter().filter(|result| result.is_err()).count();
    let (status, code) = failure_status(failure);
    let message = format!(
        "{failed} of {total} events were not stored ({failure}); the others were: posting the \
         batch again with the same ids stores each event once"
    );
    let error = json!({"code": code, "message": message});
    let mut response = json_response(status, batch_answer(Some(&error), &results));
    retry_after(sidecar, status, &mut response);
    (Outcomes::Each(outcomes), response)
}

/// `{["error": error,] "events": [...]}`: each event's receipt ([`receipt_json`]), or its id
/// and `error` (`code`, `message`) when it was not stored.
fn batch_answer(error: Option<&Value>, results: &[Result<Receipt, PublishError>]) -> Vec<u8> {
    let mut body = Vec::with_capacity(32 + 96 * results.len());
    body.push(b'{');
    if let Some(error) = error {
        body.extend_from_slice(b"\"error\":");
        body.extend_from_slice(error.to_string().as_bytes());
        body.push(b',');
    }
    body.extend_from_slice(b"\"events\":[");
    for (n, result) in results.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        match result {
            Ok(receipt) => receipt_json(&mut body, receipt),
            Err(failure) => {
                let (_, code) = failure_status(failure);
                let entry = json!({"id": failure.event_id(),
                    "error": {"code": code, "message": failure.to_string()}});
                body.extend_from_slice(entry.to_string().as_bytes());
            }
        }
    }
    body.extend_from_slice(b"]}");
    body
}

/// The answer to a batch of which some events were refused before any was sent; every event
/// of it counts under that answer's outcome.
fn refused_batch(total: usize, refused: &[(usize, PublishError)]) -> (Outcomes, Response) {
    let not_violations = refused
        .iter()
        .find(|(_, failure)| !matches!(failure, PublishError::Invalid { .. }));
    if let Some((index, failure)) = not_violations {
        let (status, code) = failure_status(failure);
        let message = format!("event {index}: {failure}; nothing was published");
        let response = error_with(status, code, message, json!({"event": index}));
        return (Outcomes::Each(vec![outcome_of(failure); total]), response);
    }
    let violations: Vec<Value> = refused
        .iter()
        .flat_map(|(index, failure)| {
            failure
                .violations()
                .iter()
                .map(|violation| violation_json(violation, Some(*index)))
        })
        .collect();
    let message = format!(
        "{} of {total} events do not match the schema: nothing was published",
        refused.len()
    );
    let response = error_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_payload",
        message,
        json!({"violations": violations}),
    );
    (Outcomes::Each(vec![Outcome::Invalid; total]), response)
}

/// The answer to a stored (or duplicate) event: its [`receipt_json`].
fn stored(status: StatusCode, receipt: &Receipt) -> Response {
    let mut body = Vec::with_capacity(64 + receipt.id.len() + receipt.stream.len());
    receipt_json(&mut body, receipt);
    json_response(status, body)
}

/// `{"id":…,"stream":…,"sequence":…,"duplicate":…}`, written straight as bytes (once per
/// event).
fn receipt_json(body: &mut Vec<u8>, receipt: &Receipt) {
    body.extend_from_slice(b"{\"id\":");
    json_string(body, &receipt.id);
    body.extend_from_slice(b",\"stream\":");
    json_string(body, &receipt.stream);
    body.extend_from_slice(format!(",\"sequence\":{}", receipt.sequence).as_bytes());
    body.extend_from_slice(if receipt.duplicate {
        b",\"duplicate\":true}"
    } else {
        b",\"duplicate\":false}"
    });
}

/// `body` (JSON) with `status`.
fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

fn outcome_of(failure: &PublishError) -> Outcome {
    match failure.kind() {
        ErrorKind::Invalid => match failure {
            PublishError::Invalid { .. } => Outcome::Invalid,
            _ => Outcome::BadRequest,
        },
        ErrorKind::NotFound => Outcome::NotFound,
        ErrorKind::Unavailable => Outcome::Unavailable,
        ErrorKind::Timeout => Outcome::Timeout,
        ErrorKind::TooLarge => Outcome::TooLarge,
        ErrorKind::Forbidden => Outcome::Forbidden,
        ErrorKind::Internal => Outcome::Error,
    }
}

/// The status and error code of a failed publish, by its [`ErrorKind`].
fn failure_status(failure: &PublishError) -> (StatusCode, &'static str) {
    match failure.kind() {
        ErrorKind::Invalid => match failure {
            PublishError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_payload"),
            _ => (StatusCode::BAD_REQUEST, "bad_attribute"),
        },
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "version_not_found"),
        ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        ErrorKind::Timeout => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
        ErrorKind::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ErrorKind::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        ErrorKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// Asks the caller to wait before trying again (`Retry-After`) when `status` is 503 or 504.
fn retry_after(sidecar: &Sidecar, status: StatusCode, response: &mut Response) {
    if matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    ) {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(sidecar.config.retry_after_seconds),
        );
    }
}

/// `{"path", "code", "message"}` of one violation, with the `event` of a batch it is in.
fn violation_json(violation: &Violation, event: Option<usize>) -> Value {
    let mut entry = json!({"path": violation.path, "code": violation.code,
        "message": violation.message});
    if let (Some(event), Value::Object(fields)) = (event, &mut entry) {
        fields.insert("event".into(), event.into());
    }
    entry
}

/// The answer for a failed publish: [`failure_status`], with every violation of an invalid
/// payload.
fn failure_response(sidecar: &Sidecar, failure: &PublishError) -> Response {
    let (status, code) = failure_status(failure);
    let more = match failure {
        PublishError::Invalid { violations, .. } => {
            let violations: Vec<Value> = violations
                .iter()
                .map(|violation| violation_json(violation, None))
                .collect();
            json!({"violations": violations})
        }
        PublishError::Forbidden { subject, .. } => json!({"subject": subject}),
        _ => json!({}),
    };
    let mut response = error_with(status, code, failure.to_string(), more);
    retry_after(sidecar, status, &mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_receipt_is_answered_as_json() {
        for duplicate in [false, true] {
            let receipt = Receipt {
                id: "order \"7\" \\ é".to_string(),
                stream: "EVENTS".to_string(),
                sequence: 18_446_744_073_709_551_615,
                duplicate,
            };
            let response = stored(StatusCode::CREATED, &receipt);
            assert_eq!(response.status(), StatusCode::CREATED);
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                HeaderValue::from_static("application/json")
            );
            let body = response.into_body().collect().await.expect("a body");
            let body: Value = serde_json::from_slice(&body.to_bytes()).expect("JSON");
            assert_eq!(
                body,
                json!({"id": receipt.id, "stream": "EVENTS", "sequence": receipt.sequence,
                       "duplicate": duplicate})
            );
        }
    }
}
