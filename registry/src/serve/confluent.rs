//! Read-only routes in the shape of Confluent Schema Registry's REST API, so that Confluent
//! tooling (serializers, UIs, `kafka-json-schema-console-consumer`) can read the registry.
//!
//! - A *subject* is one event type: `<source>-<type>`, where `%` and `-` inside the source and
//!   the type are written `%25` and `%2D`, so the one raw `-` separates them and two event
//!   types never share a subject (`Orders-Orders.placed`, `My%2DShop-order`). In a URL the
//!   subject is one path segment, percent-encoded once more by the client as usual.
//! - In a repository `cuemesh import registry` filled, the registry's subject names it recorded
//!   (`orders.placed-value`) name the event types they became too
//!   ([`Subjects::add_imported_names`]).
//! - A subject's versions are the event's versions, 1, 2, 3...; `latest` and `-1` name the last.
//! - A schema is the version's canonical JSON Schema (`cuemesh_contract::canonical`: the text its digest is
//!   the SHA-256 of), `schemaType` `JSON`. Its global *id* numbers distinct digests by first
//!   appearance: walking the branch's first-parent history oldest first, and within a commit by
//!   source, type and version, each digest not seen before takes the next id from 1. While the
//!   branch only grows (the service is to refuse a non-fast-forward), an id, once served, means
//!   the same schema text after every restart and reload; the same schema under two subjects (or
//!   a revert) has one id.
//!
//! `GET /config` answers `{"compatibilityLevel"}`: the default mode `cuemesh.cue` sets at the
//! branch tip (per-event `@compat(...)` attributes are not served).
//!
//! Errors are Confluent's `{"error_code", "message"}`: 40401 subject not found, 40402 version
//! not found, 40403 schema not found, 42202 invalid version; every answer is
//! `application/vnd.schemaregistry.v1+json`.

use super::index::{Index, IndexedEvent, IndexedVersion};
use super::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cue::compat::Mode;
use cuemesh_contract::canonical::Digest;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// The content type of every answer on the Confluent-compatible routes.
pub const CONTENT_TYPE_V1: &str = "application/vnd.schemaregistry.v1+json";

/// The subject of an event type (see the module documentation).
pub fn subject_name(source: &str, event_type: &str) -> String {
    let escape = |name: &str| name.replace('%', "%25").replace('-', "%2D");
    format!("{}-{}", escape(source), escape(event_type))
}

/// Whether a path belongs to the Confluent-compatible routes (their errors use its format).
pub(super) fn is_confluent_path(path: &str) -> bool {
    ["/subjects", "/schemas", "/config"]
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")))
}

/// A subject and one of its versions.
type SubjectVersion = (Arc<str>, u32);

/// One schema with a global id.
#[derive(Debug)]
struct Registered {
    /// `(position, subject, version)` of every version with this digest, in id order then
    /// version, with the position of its commit on the branch's first-parent history.
    versions: Vec<(usize, Arc<str>, u32)>,
    /// Where its text is: the first version with the digest.
    first: (String, String, u32),
}

impl Registered {
    /// The position of the commit that gave the schema its id.
    fn position(&self) -> usize {
        self.versions.first().map_or(usize::MAX, |(at, _, _)| *at)
    }
}

/// The global ids of a branch's schemas, shared by an index and the indexes reloads build
/// from it: history only grows, so a reload appends the versions of its new commits to what
/// the served index numbered, instead of numbering every version again. Each index reads the
/// ids and versions of the commits it holds (its [`Subjects::commits`]), so appending what a
/// later index holds changes nothing the served one answers.
#[derive(Debug, Default)]
struct SchemaIds {
    log: RwLock<IdLog>,
}

#[derive(Debug, Default)]
struct IdLog {
    /// Id `n` is `schemas[n - 1]`.
    schemas: Vec<Registered>,
    ids: HashMap<Digest, u32>,
    /// How many first-parent commits are numbered: every version at a lower position is here.
    commits: usize,
    /// The last of those commits.
    head: Option<String>,
}

/// The subjects of an index and the global ids of its schemas.
#[derive(Debug, Default)]
pub struct Subjects {
    /// Subject name to `(source, type)`, sorted by subject.
    subjects: BTreeMap<String, (String, String)>,
    ids: Arc<SchemaIds>,
    /// The first-parent commits of the index's history: ids first given at a later position
    /// belong to later indexes.
    commits: usize,
    /// The default compatibility mode of `cuemesh.cue`, for `/config`.
    compatibility: Mode,
}

/// Where an index's history stands, for numbering its schemas (see [`Subjects::build`]).
pub struct Numbered<'h> {
    /// The first-parent commits of the history.
    pub commits: usize,
    /// Its head.
    pub head: Option<&'h str>,
    /// The head and commit count its numbering went on from (`History::continued_from`).
    pub continued_from: Option<&'h (String, usize)>,
}

impl Subjects {
    /// Numbers the digests of `index` along the branch's first-parent history (each version
    /// knows its commit's position there, see `Version::position`). With `previous`, the
    /// subjects of an index whose history `index`'s went on from, only the versions of the new
    /// commits are numbered, after the previous ones.
    pub fn build(
        index: &Index,
        numbered: &Numbered<'_>,
        previous: Option<&Subjects>,
        compatibility: Mode,
    ) -> Subjects {
        let subjects = index
            .events
            .values()
            .map(|event| {
                let subject = subject_name(&event.source, &event.event_type);
                (subject, (event.source.clone(), event.event_type.clone()))
            })
            .collect();
        // The previous ids go on when they end where this history's numbering went on from.
        let extended = previous.map(|previous| previous.ids.clone()).filter(|ids| {
            let log = ids.read();
            numbered.continued_from.is_some_and(|(head, commits)| {
                log.head.as_deref() == Some(head.as_str()) && log.commits == *commits
            })
        });
        let ids = extended.unwrap_or_default();
        {
            let mut log = ids
                .log
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let from = log.commits;
            // The versions after what the ids hold: the last ones of each event.
            let mut versions: Vec<(usize, Arc<str>, &IndexedEvent, &IndexedVersion)> = Vec::new();
            for event in index.events.values() {
                let new = event
                    .versions
                    .iter()
                    .rev()
                    .take_while(|version| version.version.position >= from)
                    .count();
                if new == 0 {
                    continue;
                }
                let subject: Arc<str> = Arc::from(subject_name(&event.source, &event.event_type));
                for version in &event.versions[event.versions.len() - new..] {
                    versions.push((version.version.position, subject.clone(), event, version));
                }
            }
            // `events` iterates by (source, type) and versions by number: a stable sort by
            // position keeps that order within a commit.
            versions.sort_by_key(|(at, _, _, _)| *at);
            for (position, subject, event, version) in versions {
                let digest = &version.version.digest;
                let id = match log.ids.get(digest) {
                    Some(id) => *id,
                    None => {
                        log.schemas.push(Registered {
                            versions: Vec::new(),
                            first: (
                                event.source.clone(),
                                event.event_type.clone(),
                                version.version.number,
                            ),
                        });
                        let id = u32::try_from(log.schemas.len()).unwrap_or(u32::MAX);
                        log.ids.insert(digest.clone(), id);
                        id
                    }
                };
                let slot = usize::try_from(id - 1).expect("ids are small");
                log.schemas[slot]
                    .versions
                    .push((position, subject, version.version.number));
            }
            log.commits = log.commits.max(numbered.commits);
            log.head = numbered.head.map(str::to_string);
        }
        Subjects {
            subjects,
            ids,
            commits: numbered.commits,
            compatibility,
        }
    }

    /// Adds the subjects an import read (the `subjects` of [`crate::IMPORT_RECORD_FILE`]: name
    /// to source and type) as other names of the event types they became, so that clients
    /// configured with the old registry's subject names (`orders.placed-value`) read the same
    /// versions. A name that is already a subject, or whose event type the index does not
    /// hold, is left out.
    pub fn add_imported_names(&mut self, index: &Index, record: &Value) {
        let Some(subjects) = record.get("subjects").and_then(Value::as_object) else {
            return;
        };
        for (name, mapping) in subjects {
            let field = |key: &str| mapping.get(key).and_then(Value::as_str);
            let (Some(source), Some(event_type)) = (field("source"), field("type")) else {
                continue;
            };
            if index.event(source, event_type).is_some() {
                self.subjects
                    .entry(name.clone())
                    .or_insert_with(|| (source.to_string(), event_type.to_string()));
            }
        }
    }

    /// The global id of a digest.
    pub fn id(&self, digest: &Digest) -> Option<u32> {
        let log = self.ids.read();
        let id = *log.ids.get(digest)?;
        let registered = log.schemas.get(usize::try_from(id).ok()?.checked_sub(1)?)?;
        (registered.position() < self.commits).then_some(id)
    }

    /// Every subject, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.subjects.keys().map(String::as_str)
    }

    fn event<'i>(
        &self,
        index: &'i Index,
        subject: &str,
    ) -> Result<&'i IndexedEvent, ConfluentError> {
        self.subjects
            .get(subject)
            .and_then(|(source, event_type)| index.event(source, event_type))
            .ok_or_else(|| ConfluentError::subject_not_found(subject))
    }

    /// The version whose schema has id `id`, and `(subject, version)` of every version with
    /// that schema.
    fn schema<'i>(
        &self,
        index: &'i Index,
        id: &str,
    ) -> Result<(u32, Vec<SubjectVersion>, &'i IndexedVersion), ConfluentError> {
        let not_found = || ConfluentError::schema_not_found(id);
        let number: u32 = match id.parse() {
            Ok(number) if number >= 1 && !id.starts_with('+') => number,
            _ => return Err(not_found()),
        };
        let log = self.ids.read();
        let registered = usize::try_from(number - 1)
            .ok()
            .and_then(|slot| log.schemas.get(slot))
            .filter(|registered| registered.position() < self.commits)
            .ok_or_else(not_found)?;
        let (source, event_type, version) = &registered.first;
        let version = index
            .event(source, event_type)
            .and_then(|event| event.version(*version))
            .ok_or_else(not_found)?;
        let versions = registered
            .versions
            .iter()
            .filter(|(at, _, _)| *at < self.commits)
            .map(|(_, subject, number)| (subject.clone(), *number))
            .collect();
        Ok((number, versions, version))
    }
}

impl SchemaIds {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, IdLog> {
        self.log
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An error in Confluent's format: `{"error_code", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfluentError {
    pub status: StatusCode,
    pub error_code: u32,
    pub message: String,
}

impl ConfluentError {
    fn new(status: StatusCode, error_code: u32, message: String) -> ConfluentError {
        ConfluentError {
            status,
            error_code,
            message,
        }
    }

    fn subject_not_found(subject: &str) -> ConfluentError {
        ConfluentError::new(
            StatusCode::NOT_FOUND,
            40401,
            format!("Subject '{subject}' not found."),
        )
    }

    fn version_not_found(subject: &str, version: &str) -> ConfluentError {
        ConfluentError::new(
            StatusCode::NOT_FOUND,
            40402,
            format!("Version {version} not found for subject '{subject}'."),
        )
    }

    fn schema_not_found(id: &str) -> ConfluentError {
        ConfluentError::new(
            StatusCode::NOT_FOUND,
            40403,
            format!("Schema {id} not found"),
        )
    }

    fn invalid_version(version: &str) -> ConfluentError {
        ConfluentError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            42202,
            format!(
                "The specified version '{version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }

    /// A path under `/subjects` or `/schemas` that names no route.
    pub fn route_not_found() -> ConfluentError {
        ConfluentError::new(StatusCode::NOT_FOUND, 404, "HTTP 404 Not Found".to_string())
    }
}

impl From<PathRejection> for ConfluentError {
    fn from(rejection: PathRejection) -> ConfluentError {
        ConfluentError::new(StatusCode::BAD_REQUEST, 400, rejection.body_text())
    }
}

impl IntoResponse for ConfluentError {
    fn into_response(self) -> Response {
        let body = json!({"error_code": self.error_code, "message": self.message});
        answer(self.status, &body)
    }
}

fn answer(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_V1));
    response
}

fn ok(body: &Value) -> Response {
    answer(StatusCode::OK, body)
}

/// The version a Confluent version segment names: a number from 1 to 2^31-1, `latest` or `-1`.
fn version_of<'e>(
    event: &'e IndexedEvent,
    subject: &str,
    text: &str,
) -> Result<&'e IndexedVersion, ConfluentError> {
    let latest = text == "latest" || text == "-1";
    let number = if latest {
        None
    } else {
        match text.parse::<i32>() {
            Ok(number) if number >= 1 && !text.starts_with('+') => {
                Some(u32::try_from(number).expect("positive"))
            }
            _ => return Err(ConfluentError::invalid_version(text)),
        }
    };
    let version = match number {
        None => event.latest(),
        Some(number) => event.version(number),
    };
    version.ok_or_else(|| ConfluentError::version_not_found(subject, text))
}

pub(super) async fn schema_types() -> Response {
    ok(&json!(["JSON"]))
}

pub(super) async fn config(State(state): State<AppState>) -> Response {
    let index = state.index();
    ok(&json!({"compatibilityLevel": index.catalog.subjects.compatibility.to_string()}))
}

pub(super) async fn subjects(State(state): State<AppState>) -> Response {
    let index = state.index();
    let names: Vec<&str> = index.catalog.subjects.names().collect();
    ok(&json!(names))
}

pub(super) async fn subject_versions(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ConfluentError> {
    let Path(subject) = path?;
    let index = state.index();
    let event = index.catalog.subjects.event(&index, &subject)?;
    let numbers: Vec<u32> = event.versions.iter().map(|v| v.version.number).collect();
    Ok(ok(&json!(numbers)))
}

/// The version a subject path names, and its global id.
fn subject_version_of<'i>(
    index: &'i Index,
    subject: &str,
    version: &str,
) -> Result<(u32, &'i IndexedVersion), ConfluentError> {
    let event = index.catalog.subjects.event(index, subject)?;
    let version = version_of(event, subject, version)?;
    let id = index
        .catalog
        .subjects
        .id(&version.version.digest)
        .expect("every version's digest has an id");
    Ok((id, version))
}

pub(super) async fn subject_version(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ConfluentError> {
    let Path((subject, version)) = path?;
    let index = state.index();
    let (id, version) = subject_version_of(&index, &subject, &version)?;
    Ok(ok(&json!({
        "subject": subject,
        "version": version.version.number,
        "id": id,
        "schemaType": "JSON",
        "schema": version.version.schema.text,
    })))
}

pub(super) async fn subject_version_schema(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Response, ConfluentError> {
    let Path((subject, version)) = path?;
    let index = state.index();
    let (_, version) = subject_version_of(&index, &subject, &version)?;
    Ok(ok(version.version.schema.document()))
}

pub(super) async fn schema(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ConfluentError> {
    let Path(id) = path?;
    let index = state.index();
    let (_, _, version) = index.catalog.subjects.schema(&index, &id)?;
    Ok(ok(&json!({
        "schema": version.version.schema.text,
        "schemaType": "JSON",
    })))
}

pub(super) async fn schema_versions(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ConfluentError> {
    let Path(id) = path?;
    let index = state.index();
    let (_, versions, _) = index.catalog.subjects.schema(&index, &id)?;
    let versions: Vec<Value> = versions
        .iter()
        .map(|(subject, version)| json!({"subject": &**subject, "version": version}))
        .collect();
    Ok(ok(&json!(versions)))
}
