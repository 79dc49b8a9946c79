//! The consumer contract: `consumers/<name>.cue`, one CUE package per consuming service,
//! saying who it is and which version of each event type it decodes with.
//!
//! ```cue
//! package billing
//! consumer: {id: "billing", owner: "@acme/billing", description: "Bills every order."}
//! reads: "com.acme.orders": "com.acme.orders.placed": version: 2     // or "latest"
//! ```
//!
//! [`load_consumer`] evaluates one file with the CUE engine and checks its shape; every
//! violation is a `Diagnostic` with the position of the field at fault. Whether the sources,
//! types and versions it names exist is for the caller to judge (lint against the branch,
//! `check` against the change), since that needs the rest of the repository.

use std::sync::Arc;

use cue::ast::{self, Decl};
use cue::{Diagnostic, FileId, NoImports, Package, PackageFiles, Severity, SourceMap, Span};
use serde_json::Value as Json;

/// The folder of the governance repository holding one `.cue` file per consumer.
pub const CONSUMERS_DIRECTORY: &str = "consumers";

/// The code of every shape violation of a consumer file.
pub const CONSUMER_INVALID: &str = "CONSUMER_INVALID";

/// The contract as the reference manual shows it.
pub const CONSUMER_CONTRACT: &str = "package billing

consumer: {
\tid:           \"billing\"          // unique among consumers
\towner:        \"@acme/billing\"    // a team, a user handle or an e-mail address, as in CODEOWNERS
\tdescription?: \"Bills every order.\"
}
// reads: [source id]: [event type]: version: <n> | \"latest\"
reads: \"com.acme.orders\": \"com.acme.orders.placed\": version: 2
reads: \"com.acme.payments\": \"com.acme.payments.captured\": version: \"latest\"
";

/// Which version of an event type a consumer decodes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pin {
    /// A numbered version: the consumer's reader is that version's schema.
    Version(u32),
    /// `"latest"`: the consumer follows every new version.
    Latest,
}

impl std::fmt::Display for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pin::Version(number) => write!(f, "{number}"),
            Pin::Latest => f.write_str("latest"),
        }
    }
}

impl Pin {
    /// The pin as JSON: the number, or `"latest"`.
    pub fn to_json(self) -> Json {
        match self {
            Pin::Version(number) => Json::from(number),
            Pin::Latest => Json::from("latest"),
        }
    }
}

/// One `reads: [source]: [type]: version: ...` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRead {
    /// The `source.id` of the producing source.
    pub source: String,
    pub event_type: String,
    pub version: Pin,
    /// Where the entry is written: the `version` field's value, or the type's label.
    pub span: Span,
    /// The source's label (for a source that does not exist).
    pub source_span: Span,
    /// The type's label (for a type that does not exist).
    pub type_span: Span,
}

/// One file of `consumers/`, loaded.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// The repository-relative path: `consumers/billing.cue`.
    pub path: String,
    /// `consumer.id`; `None` when missing or invalid.
    pub id: Option<String>,
    pub owner: Option<String>,
    pub description: Option<String>,
    /// In file order (sources, then types, as written).
    pub reads: Vec<ConsumerRead>,
    /// Compile errors and shape violations ([`CONSUMER_INVALID`]), with spans into `files`.
    pub diagnostics: Vec<Diagnostic>,
    /// The file, for the diagnostics' positions.
    pub files: Arc<SourceMap>,
    /// Where `consumer.id` is written (for a duplicate id).
    pub id_span: Option<Span>,
    /// Where `consumer.owner` is written (for CODEOWNERS).
    pub owner_span: Option<Span>,
}

impl Consumer {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity == Severity::Error)
    }

    /// The pin for `(source, event_type)`, when the consumer reads it.
    pub fn pin(&self, source: &str, event_type: &str) -> Option<&ConsumerRead> {
        self.reads
            .iter()
            .find(|read| read.source == source && read.event_type == event_type)
    }
}

/// Whether a repository-relative path is a consumer file: a `.cue` file directly in
/// `consumers/` that CUE's loader would read.
pub fn is_consumer_path(path: &str) -> bool {
    path.strip_prefix(CONSUMERS_DIRECTORY)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(crate::files::is_package_file_name)
}

/// Every consumer file of `reference`'s tree (`consumers/*.cue`), loaded, in path order, read
/// from Git objects only. Files with errors are included: the caller decides (the registry
/// serves only those without).
pub fn consumers_at(
    repository: &crate::Repository,
    reference: &str,
) -> Result<Vec<Consumer>, crate::Error> {
    let commit = repository.resolve(reference)?;
    let read_error = |what: &str| {
        let commit = commit.id().to_string();
        let what = what.to_string();
        move |source| crate::Error::Read {
            commit,
            what,
            source,
        }
    };
    let git = repository.git();
    let root = commit.tree().map_err(read_error("the root tree"))?;
    let Some(folder) = crate::tree::subtree_id(&root, CONSUMERS_DIRECTORY) else {
        return Ok(Vec::new());
    };
    let folder = git
        .find_tree(folder)
        .map_err(read_error(CONSUMERS_DIRECTORY))?;
    let mut consumers = Vec::new();
    for entry in folder.iter() {
        let (Some(name), Some(git2::ObjectType::Blob)) = (entry.name(), entry.kind()) else {
            continue;
        };
        let path = format!("{CONSUMERS_DIRECTORY}/{name}");
        if !is_consumer_path(&path) {
            continue;
        }
        let text = crate::tree::read_text(git, &root, &path)
            .map_err(read_error(&path))?
            .unwrap_or_default();
        consumers.push(load_consumer(&path, &text));
    }
    consumers.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(consumers)
}

/// Loads and checks one consumer file. Never fails: problems are diagnostics.
pub fn load_consumer(path: &str, text: &str) -> Consumer {
    let package = Package::load(
        PackageFiles {
            files: vec![(path.to_string(), text.to_string())],
        },
        &NoImports,
    );
    let files = Arc::new(package.sources().clone());
    let mut consumer = Consumer {
        path: path.to_string(),
        id: None,
        owner: None,
        description: None,
        reads: Vec::new(),
        diagnostics: package.diagnostics().to_vec(),
        files,
        id_span: None,
        owner_span: None,
    };
    let syntax: Vec<(FileId, &ast::File)> = package
        .syntax()
        .iter()
        .map(|file| (file_id(file), file))
        .collect();
    let anchor = syntax
        .first()
        .and_then(|(id, file)| {
            file.package
                .as_ref()
                .map(|name| name.span)
                .or(Some(Span::new(*id, 0, 0)))
        })
        .unwrap_or(Span::new(FileId(0), 0, 0));
    if consumer.has_errors() {
        return consumer;
    }
    let span_of =
        |path: &[&str]| crate::finding::find_field(&syntax, path).map(|field| field.label.span);
    let value_span_of =
        |path: &[&str]| crate::finding::find_field(&syntax, path).map(|field| field.value.span);

    // The top level: `consumer` and `reads`, nothing else that is data.
    for (_, file) in &syntax {
        for decl in &file.decls {
            let Decl::Field(field) = decl else { continue };
            let Some(name) = crate::finding::label_name(&field.label.kind) else {
                continue;
            };
            if name.starts_with('#')
                || name.starts_with('_')
                || name == "consumer"
                || name == "reads"
            {
                continue;
            }
            invalid(
                &mut consumer.diagnostics,
                format!("`{name}` is not part of the consumer contract"),
                field.label.span,
                Some("a consumer file declares `consumer: {id, owner, description?}` and `reads` only (definitions and hidden fields are fine)"),
            );
        }
    }
    let (consumer_span, reads_span) = (span_of(&["consumer"]), span_of(&["reads"]));
    match consumer_span {
        None => invalid(
            &mut consumer.diagnostics,
            "a consumer file must declare `consumer: {id, owner}`".into(),
            anchor,
            Some("add `consumer: {id: \"billing\", owner: \"@acme/billing\"}`"),
        ),
        Some(span) => {
            let fields = read_object(&package, "consumer", span, &mut consumer.diagnostics);
            if let Some(object) = fields {
                let mut string_field = |name: &str, required: bool| -> Option<String> {
                    let at = span_of(&["consumer", name]);
                    match object.get(name) {
                        Some(Json::String(text)) if !text.trim().is_empty() => Some(text.clone()),
                        Some(_) => {
                            consumer.diagnostics.push(
                                Diagnostic::error(
                                    CONSUMER_INVALID,
                                    format!("`consumer.{name}` must be a non-empty string"),
                                )
                                .with_span(
                                    value_span_of(&["consumer", name]).or(at).unwrap_or(span),
                                ),
                            );
                            None
                        }
                        None if required => {
                            consumer.diagnostics.push(
                                Diagnostic::error(
                                    CONSUMER_INVALID,
                                    format!("`consumer` must declare `{name}`"),
                                )
                                .with_span(span),
                            );
                            None
                        }
                        None => None,
                    }
                };
                consumer.id = string_field("id", true);
                consumer.owner = string_field("owner", true);
                consumer.description = string_field("description", false);
                for name in object.keys() {
                    if !matches!(name.as_str(), "id" | "owner" | "description") {
                        consumer.diagnostics.push(
                            Diagnostic::error(
                                CONSUMER_INVALID,
                                format!("`consumer.{name}` is not part of the consumer contract"),
                            )
                            .with_span(span_of(&["consumer", name]).unwrap_or(span))
                            .with_help("`consumer` holds `id`, `owner` and `description` only"),
                        );
                    }
                }
                consumer.id_span = value_span_of(&["consumer", "id"]);
                consumer.owner_span = value_span_of(&["consumer", "owner"]);
            }
        }
    }
    match reads_span {
        None => invalid(
            &mut consumer.diagnostics,
            "a consumer file must declare `reads`: the event types it decodes, by source, with a version".into(),
            consumer_span.unwrap_or(anchor),
            Some("add `reads: \"com.acme.orders\": \"com.acme.orders.placed\": version: 1`"),
        ),
        Some(span) => {
            if let Some(sources) = read_object(&package, "reads", span, &mut consumer.diagnostics) {
                for (source, types) in &sources {
                    let source_span = span_of(&["reads", source]).unwrap_or(span);
                    let Some(types) = types.as_object() else {
                        consumer.diagnostics.push(
                            Diagnostic::error(
                                CONSUMER_INVALID,
                                format!("`reads.{source:?}` must map event types to `{{version: ...}}`"),
                            )
                            .with_span(source_span),
                        );
                        continue;
                    };
                    for (event_type, entry) in types {
                        let type_span = span_of(&["reads", source, event_type]).unwrap_or(source_span);
                        let at = |field: &str| {
                            value_span_of(&["reads", source, event_type, field]).unwrap_or(type_span)
                        };
                        let Some(entry) = entry.as_object() else {
                            consumer.diagnostics.push(
                                Diagnostic::error(
                                    CONSUMER_INVALID,
                                    format!("`reads.{source:?}.{event_type:?}` must be `{{version: <n> | \"latest\"}}`"),
                                )
                                .with_span(type_span),
                            );
                            continue;
                        };
                        for name in entry.keys().filter(|name| *name != "version") {
                            consumer.diagnostics.push(
                                Diagnostic::error(
                                    CONSUMER_INVALID,
                                    format!("`{name}` is not part of a read: it holds `version` only"),
                                )
                                .with_span(span_of(&["reads", source, event_type, name]).unwrap_or(type_span)),
                            );
                        }
                        let version = match entry.get("version") {
                            None => {
                                consumer.diagnostics.push(
                                    Diagnostic::error(
                                        CONSUMER_INVALID,
                                        format!("`reads.{source:?}.{event_type:?}` must declare `version`"),
                                    )
                                    .with_span(type_span)
                                    .with_help("the version the consumer decodes with, or \"latest\""),
                                );
                                continue;
                            }
                            Some(value) => match pin_of(value) {
                                Some(pin) => pin,
                                None => {
                                    consumer.diagnostics.push(
                                        Diagnostic::error(
                                            CONSUMER_INVALID,
                                            format!("version {value} must be a version number (1, 2, ...) or \"latest\""),
                                        )
                                        .with_span(at("version")),
                                    );
                                    continue;
                                }
                            },
                        };
                        consumer.reads.push(ConsumerRead {
                            source: source.clone(),
                            event_type: event_type.clone(),
                            version,
                            span: at("version"),
                            source_span,
                            type_span,
                        });
                    }
                }
            }
        }
    }
    consumer
}

fn invalid(diagnostics: &mut Vec<Diagnostic>, message: String, span: Span, help: Option<&str>) {
    let mut diagnostic = Diagnostic::error(CONSUMER_INVALID, message).with_span(span);
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostics.push(diagnostic);
}

/// `n` (an integer >= 1) or `"latest"`.
fn pin_of(value: &Json) -> Option<Pin> {
    match value {
        Json::String(text) if text == "latest" => Some(Pin::Latest),
        Json::Number(number) => number
            .as_u64()
            .filter(|n| *n >= 1)
            .and_then(|n| u32::try_from(n).ok())
            .map(Pin::Version),
        _ => None,
    }
}

/// The concrete value of the top-level field `name` as a JSON object, or a diagnostic at `span`.
fn read_object(
    package: &Package,
    name: &str,
    span: Span,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<serde_json::Map<String, Json>> {
    match package.export_json(Some(name)) {
        Ok(Json::Object(object)) => Some(object),
        Ok(_) => {
            diagnostics.push(
                Diagnostic::error(CONSUMER_INVALID, format!("`{name}` must be a struct"))
                    .with_span(span),
            );
            None
        }
        Err(problems) => {
            let message = problems
                .first()
                .map(|problem| problem.headline())
                .unwrap_or_default();
            diagnostics.push(
                Diagnostic::error(
                    CONSUMER_INVALID,
                    format!("`{name}` must be concrete: {message}"),
                )
                .with_span(span),
            );
            None
        }
    }
}

/// The file id a parsed file's spans use.
fn file_id(file: &ast::File) -> FileId {
    file.package
        .as_ref()
        .map(|name| name.span.file)
        .or_else(|| file.decls.first().map(decl_span).map(|span| span.file))
        .unwrap_or(FileId(0))
}

fn decl_span(decl: &Decl) -> Span {
    match decl {
        Decl::Field(field) => field.span,
        Decl::Embed(expr) => expr.span,
        Decl::Let(clause) => clause.span,
        Decl::Ellipsis(ellipsis) => ellipsis.span,
        Decl::Attribute(attribute) => attribute.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(consumer: &Consumer) -> Vec<String> {
        consumer
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", consumer.files.describe(d.spans[0]), d.message))
            .collect()
    }

    #[test]
    fn loads_a_consumer_with_its_reads() {
        let consumer = load_consumer(
            "consumers/billing.cue",
            "package billing\n\nconsumer: {id: \"billing\", owner: \"@acme/billing\", description: \"Bills.\"}\nreads: \"com.acme.orders\": \"com.acme.orders.placed\": version: 2\nreads: \"com.acme.orders\": \"com.acme.orders.cancelled\": version: \"latest\"\n",
        );
        assert!(
            consumer.diagnostics.is_empty(),
            "{:?}",
            positions(&consumer)
        );
        assert_eq!(consumer.id.as_deref(), Some("billing"));
        assert_eq!(consumer.owner.as_deref(), Some("@acme/billing"));
        assert_eq!(consumer.description.as_deref(), Some("Bills."));
        let reads: Vec<(String, Pin, String)> = consumer
            .reads
            .iter()
            .map(|r| {
                (
                    r.event_type.clone(),
                    r.version,
                    consumer.files.describe(r.span),
                )
            })
            .collect();
        assert_eq!(
            reads,
            [
                (
                    "com.acme.orders.placed".to_string(),
                    Pin::Version(2),
                    "consumers/billing.cue:4:62".to_string()
                ),
                (
                    "com.acme.orders.cancelled".to_string(),
                    Pin::Latest,
                    "consumers/billing.cue:5:65".to_string()
                ),
            ]
        );
    }

    #[test]
    fn shape_violations_have_positions() {
        let consumer = load_consumer(
            "consumers/x.cue",
            "package x\nconsumer: {id: 3, team: \"t\"}\nreads: \"S\": \"S:a\": version: 0\nreads: \"S\": \"S:b\": {}\nextra: 1\n",
        );
        assert_eq!(
            positions(&consumer),
            [
                "consumers/x.cue:5:1 `extra` is not part of the consumer contract",
                "consumers/x.cue:2:16 `consumer.id` must be a non-empty string",
                "consumers/x.cue:2:1 `consumer` must declare `owner`",
                "consumers/x.cue:2:19 `consumer.team` is not part of the consumer contract",
                "consumers/x.cue:3:29 version 0 must be a version number (1, 2, ...) or \"latest\"",
                "consumers/x.cue:4:13 `reads.\"S\".\"S:b\"` must declare `version`",
            ]
        );
    }

    #[test]
    fn a_file_that_does_not_compile_or_declares_nothing() {
        let broken = load_consumer("consumers/x.cue", "package x\nconsumer: {id: }\n");
        assert!(broken.has_errors());
        assert_eq!(
            broken.files.describe(broken.diagnostics[0].spans[0]),
            "consumers/x.cue:2:16"
        );
        let empty = load_consumer("consumers/x.cue", "package x\n");
        assert_eq!(
            positions(&empty),
            [
                "consumers/x.cue:1:9 a consumer file must declare `consumer: {id, owner}`",
                "consumers/x.cue:1:9 a consumer file must declare `reads`: the event types it decodes, by source, with a version",
            ]
        );
    }
}
