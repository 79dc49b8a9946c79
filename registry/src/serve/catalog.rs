//! The whole catalog as one document: OpenAPI 3.0 (`GET /v1/catalog/openapi.json`) with every
//! event's schema under `components.schemas`, and AsyncAPI 3.0 (`GET /v1/catalog/asyncapi.json`)
//! with one NATS subject per event type as a channel and CloudEvents as messages.
//!
//! Both are put together from the per-version OpenAPI documents the index already holds (no
//! package is exported again), once per index and on first request, then kept.
//!
//! Component names: an event's schema is `<source>.<type>`, each name made safe for OpenAPI's
//! `^[a-zA-Z0-9.\-_]+$` by [`name_part`] (letters, digits and `-` kept, every other byte `_XX`),
//! so the two parts never contain a `.` and two events never share a name. The definitions of
//! its document follow as `<source>.<type>.<Definition>` (and `$ref`s are rewritten to them);
//! with `?versions=all`, version `n` is `<source>.<type>.<n>` and its definitions
//! `<source>.<type>.<n>.<Definition>`: a CUE identifier never starts with a digit, so a version
//! never collides with a definition.

use super::confluent::{Numbered, Subjects};
use super::index::{Index, IndexedVersion};
use super::AppState;
use crate::check::CheckSettings;
use crate::error::Error;
use crate::files::{RepoFiles, MODULE_FILE, SETTINGS_FILE};
use crate::repository::Repository;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cue::compat::Mode;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// The subject prefix the catalog documents: the publisher's default (`subject_prefix`).
pub const SUBJECT_PREFIX: &str = "events";

/// The catalog documents of one index, and its Confluent-compatible view.
#[derive(Default)]
pub struct Catalog {
    openapi_latest: OnceLock<Bytes>,
    openapi_all: OnceLock<Bytes>,
    asyncapi: OnceLock<Bytes>,
    /// Subjects and global schema ids for the Confluent-compatible routes.
    pub subjects: Subjects,
}

impl Catalog {
    /// The catalog of `index`, built from `branch` of `repository`: ids follow the branch's
    /// first-parent history (going on from those of `previous`, the catalog of the index a
    /// reload builds from, when `numbered` says the history went on from there), the
    /// compatibility level is the tip's `cuemesh.cue`.
    pub fn build(
        repository: &Repository,
        branch: &str,
        index: &Index,
        numbered: &Numbered<'_>,
        previous: Option<&Catalog>,
    ) -> Result<Catalog, Error> {
        let compatibility = compatibility_at(repository, branch)?;
        let previous = previous.map(|previous| &previous.subjects);
        let mut subjects = Subjects::build(index, numbered, previous, compatibility);
        if let Some(text) = repository.read_file(branch, crate::IMPORT_RECORD_FILE)? {
            // A record that is not JSON names no subjects: cuemesh's own names stay.
            if let Ok(record) = serde_json::from_str::<Value>(&text) {
                subjects.add_imported_names(index, &record);
            }
        }
        Ok(Catalog {
            subjects,
            ..Catalog::default()
        })
    }
}

/// The default compatibility mode `cuemesh.cue` sets at `branch` (BACKWARD when it sets none,
/// or when the file is invalid, as `check` does).
fn compatibility_at(repository: &Repository, branch: &str) -> Result<Mode, Error> {
    let mut texts = Vec::new();
    for path in [SETTINGS_FILE, MODULE_FILE] {
        if let Some(text) = repository.read_file(branch, path)? {
            texts.push((path, text));
        }
    }
    let files = RepoFiles::from_texts(texts.iter().map(|(path, text)| (*path, text.as_str())));
    let module = files.text(MODULE_FILE).and_then(cue::module_path);
    let (settings, _) = CheckSettings::load(&files, module.as_deref().unwrap_or(""));
    Ok(settings.compatibility.unwrap_or_default())
}

/// One part of a component name: ASCII letters, digits and `-` as they are, every other byte
/// (`.`, `_` and non-ASCII included) as `_` and two upper-case hex digits.
pub fn name_part(name: &str) -> String {
    let mut part = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' {
            part.push(char::from(byte));
        } else {
            part.push_str(&format!("_{byte:02X}"));
        }
    }
    part
}

/// The component name of an event's schema: `<source>.<type>`, each part a [`name_part`].
pub fn component_name(source: &str, event_type: &str) -> String {
    format!("{}.{}", name_part(source), name_part(event_type))
}

const SCHEMAS: &str = "#/components/schemas/";

/// The name a CUE definition has in its version's OpenAPI document (`#A.#B` is `A.B`).
fn definition_name(definition: &str) -> String {
    definition
        .split('.')
        .map(|part| part.trim_start_matches('#'))
        .collect::<Vec<_>>()
        .join(".")
}

/// Rewrites every `$ref` to `#/components/schemas/<name>` into `<prefix>.<name>`.
fn prefix_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" => {
                        if let Some(name) = target.strip_prefix(SCHEMAS) {
                            let name = name.replace("~1", "/").replace("~0", "~");
                            *target = format!("{SCHEMAS}{prefix}.{}", pointer_escape(&name));
                        }
                    }
                    _ => prefix_refs(child, prefix),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| prefix_refs(item, prefix)),
        _ => {}
    }
}

fn pointer_escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Adds one version's schemas under `name` (an alias `$ref` to its definition) and
/// `<name>.<Definition>`; an export that failed is listed in `unavailable` instead.
fn add_version(
    schemas: &mut Map<String, Value>,
    unavailable: &mut Vec<Value>,
    name: &str,
    source: &str,
    event_type: &str,
    version: &IndexedVersion,
) {
    let documents = version.documents();
    let document = match &documents.openapi {
        Ok(document) => document,
        Err(message) => {
            unavailable.push(json!({
                "source": source,
                "type": event_type,
                "version": version.version.number,
                "message": message,
            }));
            return;
        }
    };
    let empty = Map::new();
    let own = document["components"]["schemas"]
        .as_object()
        .unwrap_or(&empty);
    for (definition, schema) in own {
        let mut schema = schema.clone();
        prefix_refs(&mut schema, name);
        schemas.insert(format!("{name}.{definition}"), schema);
    }
    let target = format!("{name}.{}", definition_name(&version.version.definition));
    schemas.insert(
        name.to_string(),
        json!({"$ref": format!("{SCHEMAS}{}", pointer_escape(&target))}),
    );
}

/// The event list and schemas of the catalog: every latest version, or every version.
fn schemas(index: &Index, all: bool) -> (Map<String, Value>, Vec<Value>, Vec<Value>) {
    let mut schemas = Map::new();
    let mut unavailable = Vec::new();
    let mut events = Vec::new();
    for event in index.events.values() {
        let Some(latest) = event.latest() else {
            continue;
        };
        let name = component_name(&event.source, &event.event_type);
        let listed: Vec<&IndexedVersion> = if all {
            event.versions.iter().map(|version| &**version).collect()
        } else {
            vec![latest]
        };
        for version in listed {
            let number = version.version.number;
            let version_name = if all {
                format!("{name}.{number}")
            } else {
                name.clone()
            };
            add_version(
                &mut schemas,
                &mut unavailable,
                &version_name,
                &event.source,
                &event.event_type,
                version,
            );
            events.push(json!({
                "source": event.source,
                "type": event.event_type,
                "version": number,
                "latest": number == latest.version.number,
                "removed": event.removed_in.is_some(),
                "digest": version.version.digest,
                "schema": version_name,
            }));
        }
        if all {
            // The unnumbered name is the latest version's alias (one hop to its definition).
            let latest_name = format!("{name}.{}", latest.version.number);
            if let Some(alias) = schemas.get(&latest_name).cloned() {
                schemas.insert(name, alias);
            }
        }
    }
    let mut sorted: Vec<(String, Value)> = schemas.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    (sorted.into_iter().collect(), events, unavailable)
}

fn info(index: &Index, title: &str) -> Value {
    let version = index
        .head
        .as_ref()
        .map(|head| head.short_id().to_string())
        .unwrap_or_else(|| "empty".to_string());
    json!({
        "title": title,
        "version": version,
        "description": format!(
            "Every event type of the branch {:?} of the governance repository, as of the commit in `version`.",
            index.branch
        ),
    })
}

/// The whole catalog as an OpenAPI 3.0 document: no paths, every event's schema a component.
pub fn openapi_document(index: &Index, all: bool) -> Value {
    let (schemas, events, unavailable) = schemas(index, all);
    let mut document = json!({
        "openapi": "3.0.0",
        "info": info(index, "cuemesh catalog"),
        "paths": {},
        "components": {"schemas": schemas},
        "x-cuemesh-events": events,
    });
    if !unavailable.is_empty() {
        document["x-cuemesh-unavailable"] = json!(unavailable);
    }
    document
}

/// The CloudEvents attributes every message carries, as a schema over the structured event.
fn envelope(source: &str, event_type: &str, data: &str) -> Value {
    json!({
        "type": "object",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "dataschema", "data"],
        "properties": {
            "specversion": {"type": "string", "enum": ["1.0"], "description": "The CloudEvents version."},
            "id": {"type": "string", "minLength": 1, "description": "Unique per event (a UUIDv7 by default); also sent as the Nats-Msg-Id header."},
            "source": {"type": "string", "enum": [source], "description": "The data product that emitted the event."},
            "type": {"type": "string", "enum": [event_type], "description": "The event type."},
            "time": {"type": "string", "format": "date-time", "description": "When the event happened."},
            "datacontenttype": {"type": "string", "enum": ["application/json"]},
            "dataschema": {"type": "string", "format": "uri", "description": "The registry URL of the schema version the publisher pinned: <registry>/v1/sources/{source}/types/{type}/versions/{n}."},
            "subject": {"type": "string", "description": "Optional: what the event is about."},
            "data": {"$ref": format!("{SCHEMAS}{data}")},
        },
    })
}

/// The whole catalog as an AsyncAPI 3.0 document: per event type the branch still declares a
/// channel (its NATS subject), a CloudEvent message (structured mode: the payload is the JSON
/// event with the schema as `data`), a `send` operation, and a `receive` operation per consumer
/// declared in `consumers/*.cue`.
pub fn asyncapi_document(index: &Index) -> Value {
    let (schemas, _, unavailable) = schemas(index, false);
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    for event in index.events.values() {
        // A type removed from the branch is no longer sent: its schema stays a component.
        let Some(latest) = event.latest().filter(|_| event.removed_in.is_none()) else {
            continue;
        };
        let name = component_name(&event.source, &event.event_type);
        if !schemas.contains_key(&name) {
            continue;
        }
        let description = index
            .sources
            .get(&event.source)
            .and_then(|source| source.description.clone());
        let mut channel = json!({
            "address": cuemesh_contract::subject::subject_for(SUBJECT_PREFIX, &event.source, &event.event_type),
            "title": format!("{} {}", event.source, event.event_type),
            "messages": {name.clone(): {"$ref": format!("#/components/messages/{name}")}},
        });
        if let Some(description) = description {
            channel["description"] = json!(description);
        }
        channels.insert(name.clone(), channel);
        operations.insert(
            name.clone(),
            json!({
                "action": "send",
                "title": format!("Publish {}", event.event_type),
                "channel": {"$ref": format!("#/channels/{name}")},
                "messages": [{"$ref": format!("#/channels/{name}/messages/{name}")}],
            }),
        );
        // Every declared consumer of the type receives from the channel.
        for (consumer, version) in index.consumers_of(&event.source, &event.event_type) {
            let id = consumer.id.as_deref().unwrap_or_default();
            operations.insert(
                format!("{name}.receive.{}", name_part(id)),
                json!({
                    "action": "receive",
                    "title": format!("{id} receives {}", event.event_type),
                    "description": format!(
                        "Declared in {}: owned by {}, decodes with version {version}.",
                        consumer.path,
                        consumer.owner.as_deref().unwrap_or_default()
                    ),
                    "channel": {"$ref": format!("#/channels/{name}")},
                    "messages": [{"$ref": format!("#/channels/{name}/messages/{name}")}],
                    "x-cuemesh-consumer": id,
                    "x-cuemesh-version": version.to_json(),
                }),
            );
        }
        messages.insert(
            name.clone(),
            json!({
                "name": event.event_type,
                "title": format!("{} version {}", event.event_type, latest.version.number),
                "contentType": "application/cloudevents+json",
                "traits": [{"$ref": "#/components/messageTraits/CloudEvent"}],
                "payload": {
                    "schemaFormat": "application/vnd.oai.openapi;version=3.0.0",
                    "schema": envelope(&event.source, &event.event_type, &name),
                },
                "x-cuemesh-version": latest.version.number,
                "x-cuemesh-digest": latest.version.digest,
            }),
        );
    }
    let mut document = json!({
        "asyncapi": "3.0.0",
        "info": info(index, "cuemesh events"),
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "messageTraits": {
                "CloudEvent": {
                    "summary": "A CloudEvent in structured content mode on NATS JetStream.",
                    "headers": {
                        "type": "object",
                        "required": ["Content-Type", "Nats-Msg-Id"],
                        "properties": {
                            "Content-Type": {"type": "string", "const": "application/cloudevents+json"},
                            "Nats-Msg-Id": {"type": "string", "description": "The CloudEvent id: JetStream stores a retried publish once."},
                        },
                    },
                },
            },
        },
    });
    if !unavailable.is_empty() {
        document["x-cuemesh-unavailable"] = json!(unavailable);
    }
    document
}

fn json_bytes(document: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(document).expect("a serde_json::Value always serialises"))
}

fn json_response(bytes: Bytes) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `?versions=latest` (the default) or `?versions=all`.
#[derive(Deserialize)]
pub(super) struct Versions {
    versions: Option<String>,
}

pub(super) async fn openapi(
    State(state): State<AppState>,
    query: Result<Query<Versions>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, super::ApiError> {
    let bad = |text: &str| {
        super::ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("versions={text:?}: expected `latest` or `all`"),
        )
    };
    let Query(query) = query.map_err(|rejection| bad(&rejection.body_text()))?;
    let all = match query.versions.as_deref() {
        None | Some("latest") => false,
        Some("all") => true,
        Some(other) => return Err(bad(other)),
    };
    let index = state.index();
    let cell = if all {
        &index.catalog.openapi_all
    } else {
        &index.catalog.openapi_latest
    };
    let bytes = cell.get_or_init(|| json_bytes(&openapi_document(&index, all)));
    Ok(json_response(bytes.clone()))
}

pub(super) async fn asyncapi(State(state): State<AppState>) -> Response {
    let index = state.index();
    let bytes = index
        .catalog
        .asyncapi
        .get_or_init(|| json_bytes(&asyncapi_document(&index)));
    json_response(bytes.clone())
}
