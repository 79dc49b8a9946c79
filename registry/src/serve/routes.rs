//! The routes of the registry service and their error body.

use super::index::{Documents, Index, IndexedEvent, IndexedVersion};
use super::{catalog, confluent, html, metrics, search, self_openapi, webhook, AppState};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The largest request body `validate` reads; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// One route of the service. [`ROUTES`] is the one list of them: the router is built from it,
/// and a test checks the service's own OpenAPI description (`/v1/openapi.json`) against it.
pub struct Route {
    /// The HTTP method, lower-case, as the OpenAPI description spells it.
    pub method: &'static str,
    /// The axum path, `{name}` for a parameter (the same syntax as OpenAPI's).
    pub path: &'static str,
    handler: fn() -> MethodRouter<AppState>,
}

/// Every route the service answers (a new route is a new entry here).
#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route { method: "get", path: "/healthz", handler: || get(healthz) },
    Route { method: "get", path: "/readyz", handler: || get(readyz) },
    Route { method: "get", path: "/metrics", handler: || get(metrics::metrics) },
    Route { method: "post", path: "/v1/hooks/github", handler: || post(webhook::github) },
    Route { method: "get", path: "/v1/openapi.json", handler: || get(self_openapi::describe) },
    Route { method: "get", path: "/v1/sources", handler: || get(sources) },
    Route { method: "get", path: "/v1/sources/{source}/types/{type}/versions", handler: || get(versions) },
    Route { method: "get", path: cuemesh_contract::url::VERSION_ROUTE, handler: || get(version_metadata) },
    Route { method: "get", path: "/v1/sources/{source}/types/{type}/versions/{version}/openapi", handler: || get(openapi) },
    Route { method: "get", path: "/v1/sources/{source}/types/{type}/versions/{version}/jsonschema", handler: || get(jsonschema) },
    Route { method: "get", path: "/v1/sources/{source}/types/{type}/versions/{version}/package", handler: || get(package) },
    Route { method: "post", path: "/v1/sources/{source}/types/{type}/versions/{version}/validate", handler: || post(validate) },
    Route { method: "get", path: "/v1/sources/{source}/types/{type}/consumers", handler: || get(type_consumers) },
    Route { method: "get", path: "/v1/consumers", handler: || get(consumers) },
    Route { method: "get", path: "/v1/search", handler: || get(search::route) },
    Route { method: "get", path: "/v1/catalog/openapi.json", handler: || get(catalog::openapi) },
    Route { method: "get", path: "/v1/catalog/asyncapi.json", handler: || get(catalog::asyncapi) },
    Route { method: "get", path: "/config", handler: || get(confluent::config) },
    Route { method: "get", path: "/schemas/types", handler: || get(confluent::schema_types) },
    Route { method: "get", path: "/schemas/ids/{id}", handler: || get(confluent::schema) },
    Route { method: "get", path: "/schemas/ids/{id}/versions", handler: || get(confluent::schema_versions) },
    Route { method: "get", path: "/subjects", handler: || get(confluent::subjects) },
    Route { method: "get", path: "/subjects/{subject}/versions", handler: || get(confluent::subject_versions) },
    Route { method: "get", path: "/subjects/{subject}/versions/{version}", handler: || get(confluent::subject_version) },
    Route { method: "get", path: "/subjects/{subject}/versions/{version}/schema", handler: || get(confluent::subject_version_schema) },
];

/// The service's routes over `state`. Binds nothing: serve it with `axum::serve`, or call it
/// with `tower::ServiceExt::oneshot` in tests.
pub fn app(state: AppState) -> Router {
    let mut by_path: BTreeMap<&str, MethodRouter<AppState>> = BTreeMap::new();
    for route in ROUTES {
        let handler = (route.handler)();
        let merged = match by_path.remove(route.path) {
            Some(other) => other.merge(handler),
            None => handler,
        };
        by_path.insert(route.path, merged);
    }
    let mut router = Router::new();
    for (path, handler) in by_path {
        router = router.route(path, handler);
    }
    // The HTML catalog's pages are for people: they are outside ROUTES and the JSON API's
    // own description.
    router
        .merge(html::routes())
        .fallback(|uri: Uri| async move {
            if confluent::is_confluent_path(uri.path()) {
                return confluent::ConfluentError::route_not_found().into_response();
            }
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::metrics::track,
        ))
        .with_state(state)
}

/// An error as every route reports it: a status and `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable snake_case code (`source_not_found`, `bad_version`...).
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_path", rejection.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "bad_body"
        };
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the body is larger than {MAX_BODY_BYTES} bytes")
        } else {
            rejection.body_text()
        };
        ApiError::new(status, code, message)
    }
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Ready while an index is served (the process listens only once it has one); the last
/// reload's outcome is detail, not readiness: a failed reload keeps serving the last good index.
async fn readyz(State(state): State<AppState>) -> Json<Value> {
    // The index before the status: a reload records its outcome before it swaps its index in,
    // so the last reload shown is never older than the commit shown.
    let index = state.index();
    let status = state.reload_status();
    let last_reload = status.last().map(|last| {
        let time = last
            .time
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        json!({
            "ok": last.ok(),
            "outcome": last.outcome.name(),
            "commit": last.commit,
            "error": last.error,
            "time": time,
        })
    });
    Json(json!({
        "status": "ready",
        "branch": index.branch,
        "commit": index.head.as_ref().map(|head| head.id.clone()),
        "versions": index.version_count(),
        "generation": status.generation(),
        "last_reload": last_reload,
    }))
}

async fn sources(State(state): State<AppState>) -> Json<Value> {
    let index = state.index();
    let sources: Vec<Value> = index
        .sources
        .values()
        .map(|source| {
            let types: Vec<Value> = source
                .types
                .iter()
                .filter_map(|event_type| index.event(&source.id, event_type))
                .map(|event| {
                    json!({
                        "type": event.event_type,
                        "latest": event.latest().map(|latest| latest.version.number),
                        "removed": event.removed_in.is_some(),
                    })
                })
                .collect();
            json!({
                "id": source.id,
                "owner": source.owner,
                "description": source.description,
                "types": types,
            })
        })
        .collect();
    Json(json!({"sources": sources}))
}

/// Every consumer declared at the tip, with what it reads, and those receivers recorded that no
/// file declares (`declared: false`); each read's `observed` is what receivers recorded of it.
async fn consumers(State(state): State<AppState>) -> Json<Value> {
    let index = state.index();
    Json(json!({"consumers": super::all_consumers(&index, state.observed())}))
}

/// The consumers of one event type: declared ones (`consumers/*.cue` at the tip), each with the
/// version it reads, and those receivers recorded that no file declares (`declared: false`).
/// `observed` is what receivers recorded, `null` when nothing was.
async fn type_consumers(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path((source, event_type)) = path?;
    let index = state.index();
    let event = find_event(&index, &source, &event_type)?;
    let consumers: Vec<Value> =
        super::type_consumers(&index, state.observed(), &event.source, &event.event_type)
            .iter()
            .map(super::TypeConsumer::to_json)
            .collect();
    Ok(Json(json!({
        "source": event.source,
        "type": event.event_type,
        "consumers": consumers,
    })))
}

/// The event a path names, or the 404 that says which part is unknown.
pub(super) fn find_event<'i>(
    index: &'i Index,
    source: &str,
    event_type: &str,
) -> Result<&'i IndexedEvent, ApiError> {
    if !index.sources.contains_key(source) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "source_not_found",
            format!("no source {source:?}"),
        ));
    }
    index.event(source, event_type).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "type_not_found",
            format!("source {source:?} has no event type {event_type:?}"),
        )
    })
}

/// A version segment: a number from 1, or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selector {
    Number(u32),
    Latest,
}

fn parse_selector(text: &str) -> Result<Selector, ApiError> {
    if text == "latest" {
        return Ok(Selector::Latest);
    }
    let canonical = !text.is_empty()
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && !text.starts_with('0');
    match text.parse::<u32>() {
        Ok(number) if canonical => Ok(Selector::Number(number)),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_version",
            format!("{text:?} is not a version: expected a number from 1, or `latest`"),
        )),
    }
}

/// The index, the event and the version a versioned path names.
fn find_version(
    state: &AppState,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<(Arc<Index>, Selector, String, String, u32), ApiError> {
    let Path((source, event_type, version)) = path?;
    let selector = parse_selector(&version)?;
    let index = state.index();
    let event = find_event(&index, &source, &event_type)?;
    let number = match selector {
        Selector::Latest => event.latest().map(|latest| latest.version.number),
        Selector::Number(number) => event.version(number).map(|_| number),
    };
    let number = number.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "version_not_found",
            format!(
                "{source:?} {event_type:?} has no version {version} (it has {})",
                event.versions.len()
            ),
        )
    })?;
    Ok((index, selector, source, event_type, number))
}

fn indexed<'i>(
    index: &'i Index,
    source: &str,
    event_type: &str,
    number: u32,
) -> &'i IndexedVersion {
    index
        .event(source, event_type)
        .and_then(|event| event.version(number))
        .expect("find_version checked the version exists in this index")
}

/// A JSON answer about one version: immutable for a number, revalidated for `latest`, and
/// 304 when the client's `If-None-Match` already names its entity tag. The body is serialised
/// once per version and kept in `cell` (versions never change within an index).
fn cached(
    selector: Selector,
    version: &IndexedVersion,
    request: &HeaderMap,
    cell: &OnceLock<Bytes>,
    body: impl FnOnce() -> Value,
) -> Response {
    let digest = version.version.digest.as_str();
    let (etag, cache_control) = match selector {
        Selector::Number(_) => (format!("\"{digest}\""), IMMUTABLE),
        // `latest` names another version after a push, and a revert makes a new version with
        // an old digest: its tag says which version too.
        Selector::Latest => (
            format!("\"{digest}+v{}\"", version.version.number),
            REVALIDATE,
        ),
    };
    let etag = HeaderValue::from_str(&etag).expect("digests are visible ASCII");
    let cache_control = HeaderValue::from_static(cache_control);
    if none_match(request, &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(ETAG, etag);
        response.headers_mut().insert(CACHE_CONTROL, cache_control);
        return response;
    }
    let bytes = cell
        .get_or_init(|| Bytes::from(serde_json::to_vec(&body()).expect("a JSON value serialises")))
        .clone();
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (ETAG, etag),
        (CACHE_CONTROL, cache_control),
    ];
    (headers, bytes).into_response()
}

/// Whether `If-None-Match` names `etag` (or `*`), with the weak comparison RFC 9110 asks for.
fn none_match(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.to_str().unwrap_or_default();
    request
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

fn version_summary(version: &IndexedVersion) -> Value {
    let version = &version.version;
    json!({
        "version": version.number,
        "digest": version.digest,
        "commit": version.commit.id,
        "author": version.commit.author,
        "time": version.commit.rfc3339(),
    })
}

async fn versions(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let Path((source, event_type)) = path?;
    let index = state.index();
    let event = find_event(&index, &source, &event_type)?;
    let versions: Vec<Value> = event
        .versions
        .iter()
        .map(|version| version_summary(version))
        .collect();
    Ok(Json(json!({
        "source": event.source,
        "type": event.event_type,
        "versions": versions,
    })))
}

async fn version_metadata(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    let (index, selector, source, event_type, number) = find_version(&state, path)?;
    let version = indexed(&index, &source, &event_type, number);
    let body = || {
        let mut body = version_summary(version);
        let object = body.as_object_mut().expect("a summary is an object");
        object.insert("source".into(), json!(source));
        object.insert("type".into(), json!(event_type));
        object.insert("definition".into(), json!(version.version.definition));
        object.insert("directory".into(), json!(version.version.directory));
        object.insert("email".into(), json!(version.version.commit.email));
        object.insert("cue".into(), json!(version.version.cue_text.as_deref()));
        body
    };
    Ok(cached(
        selector,
        version,
        &headers,
        &version.bodies[0],
        body,
    ))
}

fn document(
    state: &AppState,
    headers: &HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
    which: usize,
    pick: fn(&Documents) -> &Result<Arc<Value>, String>,
) -> Result<Response, ApiError> {
    let (index, selector, source, event_type, number) = find_version(state, path)?;
    let version = indexed(&index, &source, &event_type, number);
    // A body made before needs no evaluation (its state's may have left the cache).
    let documents = version.bodies[which]
        .get()
        .is_none()
        .then(|| version.documents());
    if let Some(Err(message)) = documents.as_ref().map(pick) {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "document_unavailable",
            message.clone(),
        ));
    }
    Ok(cached(
        selector,
        version,
        headers,
        &version.bodies[which],
        || {
            // Called only when the body was not made: `documents` were evaluated above, and an
            // error was answered there.
            let documents = documents.unwrap_or_else(|| version.documents());
            let document = pick(&documents).as_ref();
            Value::clone(document.expect("an error was answered before the body is made"))
        },
    ))
}

async fn openapi(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    document(&state, &headers, path, 1, |documents| &documents.openapi)
}

async fn jsonschema(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    document(&state, &headers, path, 2, |documents| {
        &documents.json_schema
    })
}

async fn package(
    State(state): State<AppState>,
    headers: HeaderMap,
    path: Result<Path<(String, String, String)>, PathRejection>,
) -> Result<Response, ApiError> {
    document(&state, &headers, path, 3, |documents| documents.package())
}

async fn validate(
    State(state): State<AppState>,
    path: Result<Path<(String, String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (index, _, source, event_type, number) = find_version(&state, path)?;
    check_json_content_type(&headers)?;
    let body = body?;
    let version = indexed(&index, &source, &event_type, number);
    let invalid_json =
        |message: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_json", message);
    let text = std::str::from_utf8(&body)
        .map_err(|error| invalid_json(format!("the body is not UTF-8: {error}")))?;
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .map_err(|error| invalid_json(format!("the body is not JSON: {error}")))?;
    let documents = version.documents();
    let validator = documents.validator.as_ref().map_err(|message| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "validator_unavailable",
            message.clone(),
        )
    })?;
    // Validation is CPU work proportional to the body (up to MAX_BODY_BYTES): keep it off the
    // threads that serve other requests.
    let (validator, text) = (validator.clone(), text.to_owned());
    let validation =
        tokio::task::spawn_blocking(move || validator.validate_json("body.json", &text))
            .await
            .map_err(|error| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "validation_failed",
                    format!("validation stopped: {error}"),
                )
            })?;
    if validation.is_valid() {
        return Ok(Json(json!({"valid": true})).into_response());
    }
    let violations: Vec<Value> = validation
        .errors
        .iter()
        .map(|error| json!({"path": error.path, "code": error.code, "message": error.message}))
        .collect();
    let body = json!({"valid": false, "violations": violations});
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
}

/// A `validate` body is JSON: a request that says it is something else (a form, text) gets
/// 415 rather than a confusing JSON error. No `Content-Type` at all is accepted, and so is
/// any `application/json` or `+json` type, with parameters (`; charset=utf-8`).
fn check_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(());
    };
    let media_type = value
        .to_str()
        .ok()
        .and_then(|text| text.split(';').next())
        .map(|media_type| media_type.trim().to_ascii_lowercase());
    match media_type {
        Some(media_type) if media_type == "application/json" || media_type.ends_with("+json") => {
            Ok(())
        }
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "the body must be JSON (Content-Type: application/json), found Content-Type: {}",
                String::from_utf8_lossy(value.as_bytes())
            ),
        )),
    }
}
