//! The registry service's index: everything the routes answer, built once from a branch's
//! history and never changed afterwards (a reload builds a new one and swaps it in).
//!
//! Per version it holds the metadata and CUE text from [`History`], and what needs the whole
//! package at the version's commit: the OpenAPI and JSON Schema documents of the version's
//! definition and a compiled validator. Versions introduced by one commit in one package
//! share one package load; loads run in parallel.

use super::catalog::Catalog;
use super::examples::{attach_examples, Example};
use super::fields::{fields_of, Field};
use super::search::SearchIndex;
use crate::commit::CommitInfo;
use crate::error::Error;
use crate::history::{History, Version};
use crate::repository::{Repository, Snapshot};
use crate::tree::{self, TreeResolver};
use axum::body::Bytes;
use cue::MemoryResolver;
use cue::{ImportResolver, Package, PackageFiles};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

/// An immutable view of one branch for the service.
pub struct Index {
    /// The branch the versions are numbered on.
    pub branch: String,
    /// The branch tip the index was built from.
    pub head: Option<CommitInfo>,
    /// Sources that ever had a version, by source id.
    pub sources: BTreeMap<String, IndexedSource>,
    /// Every event type's versions, by `(source id, type)`.
    pub events: BTreeMap<(String, String), IndexedEvent>,
    /// How many packages failed to load at some commit (they made no versions).
    pub problems: usize,
    /// The errors of the branch tip itself (`directory: message`): a package or the module
    /// that does not load there. A reload refuses an index with any.
    pub tip_errors: Vec<String>,
    /// The search over sources, types, fields and doc comments.
    pub search: SearchIndex,
    /// The whole catalog's documents and the Confluent-compatible subjects and schema ids.
    pub catalog: Catalog,
    /// The consumers declared at the tip (`consumers/*.cue`), those that load without errors,
    /// in path order.
    pub consumers: Vec<crate::Consumer>,
}

/// A source as the catalog lists it (owner and description as of the branch tip).
pub struct IndexedSource {
    pub id: String,
    pub owner: Option<String>,
    pub description: Option<String>,
    /// Its event types, sorted.
    pub types: Vec<String>,
}

/// The versions of one event type.
pub struct IndexedEvent {
    pub source: String,
    pub event_type: String,
    /// The commit that removed the type from the branch tip, if it did.
    pub removed_in: Option<CommitInfo>,
    /// Versions 1, 2, 3... oldest first.
    pub versions: Vec<IndexedVersion>,
    /// The doc comment above the type in the source's `events`, as of the branch tip.
    pub doc: Option<String>,
}

/// One version with its documents.
pub struct IndexedVersion {
    pub version: Version,
    /// The OpenAPI 3.0 document of the definition, or why it could not be made.
    pub openapi: Result<Arc<Value>, String>,
    /// The JSON Schema 2020-12 document of the definition, or why it could not be made.
    pub json_schema: Result<Arc<Value>, String>,
    /// The compiled definition, for `validate`.
    pub validator: Result<cue::Schema, String>,
    /// The fields of the JSON Schema document (none when it could not be made).
    pub fields: Vec<Field>,
    /// The example payloads while the version was current, validated against it.
    pub examples: Vec<Example>,
    /// The CUE source that defines the version, self-contained: the package's files and every
    /// package it imports (directly or not), as `GET .../versions/{n}/package` serves them. Clients
    /// compile their own validator from it and check it against the digest.
    pub package: Result<Arc<Value>, String>,
    /// The serialised bodies of the version's routes, made on their first request: the
    /// metadata, the OpenAPI document, the JSON Schema document and the package.
    pub(super) bodies: [OnceLock<Bytes>; 4],
}

impl IndexedEvent {
    /// The newest version (every indexed event has at least one).
    pub fn latest(&self) -> Option<&IndexedVersion> {
        self.versions.last()
    }

    /// Version `number` (1-based).
    pub fn version(&self, number: u32) -> Option<&IndexedVersion> {
        let index = usize::try_from(number).ok()?.checked_sub(1)?;
        self.versions.get(index)
    }
}

impl Index {
    /// Builds the index of `branch`: its history, the tip's source metadata, and the documents
    /// of every version.
    pub fn build(repository: &Repository, branch: &str) -> Result<Index, Error> {
        let history = repository.history(branch)?;
        let snapshot = repository.snapshot(branch)?;
        let packages = read_packages(repository, &history)?;
        // Load each (commit, directory) package once, in parallel, and derive its versions'
        // documents from it; `Package` stays on the thread that made it.
        let documents: HashMap<(String, String), (Documents, Arc<Value>)> = packages
            .into_par_iter()
            .map(|(key, (files, imports, definitions))| {
                let package = Arc::new(package_document(&files, &imports));
                let documents = documents_of(files, imports, &definitions);
                (key, (documents, package))
            })
            .collect();

        let mut sources: BTreeMap<String, IndexedSource> = BTreeMap::new();
        let mut events = BTreeMap::new();
        for event in history.events {
            let source = sources.entry(event.source.clone()).or_insert_with(|| {
                let at_tip = snapshot.source(&event.source);
                IndexedSource {
                    id: event.source.clone(),
                    owner: at_tip.and_then(|source| source.owner.clone()),
                    description: at_tip.and_then(|source| source.description.clone()),
                    types: Vec::new(),
                }
            });
            source.types.push(event.event_type.clone());
            let mut versions: Vec<IndexedVersion> = event
                .versions
                .into_iter()
                .map(|version| {
                    let key = (version.commit.id.clone(), version.directory.clone());
                    let loaded = documents.get(&key);
                    let per_definition =
                        loaded.and_then(|(documents, _)| documents.get(&version.definition));
                    let missing = || format!("{} was not loaded", version.directory);
                    let (openapi, json_schema, validator) = match per_definition {
                        Some(documents) => documents.clone(),
                        None => (Err(missing()), Err(missing()), Err(missing())),
                    };
                    let fields = json_schema.as_deref().map(fields_of).unwrap_or_default();
                    let package = loaded
                        .map(|(_, package)| package.clone())
                        .ok_or_else(missing);
                    IndexedVersion {
                        version,
                        openapi,
                        json_schema,
                        validator,
                        fields,
                        examples: Vec::new(),
                        package,
                        bodies: Default::default(),
                    }
                })
                .collect();
            let end = event.removed_in.as_ref().or(history.head.as_ref());
            attach_examples(
                repository.git(),
                &event.event_type,
                &mut versions,
                end,
                event.removed_in.is_some(),
            );
            events.insert(
                (event.source.clone(), event.event_type.clone()),
                IndexedEvent {
                    doc: snapshot
                        .source(&event.source)
                        .and_then(|source| source.event(&event.event_type))
                        .and_then(|declared| declared.doc.clone()),
                    source: event.source,
                    event_type: event.event_type,
                    removed_in: event.removed_in,
                    versions,
                },
            );
        }
        for source in sources.values_mut() {
            source.types.sort();
        }
        let search = SearchIndex::build(sources.values(), events.values());
        let mut index = Index {
            branch: history.branch,
            head: history.head,
            sources,
            events,
            problems: history.problems.len(),
            tip_errors: tip_errors(&snapshot),
            search,
            catalog: Catalog::default(),
            consumers: crate::consumers_at(repository, branch)?
                .into_iter()
                .filter(|consumer| {
                    !consumer.has_errors() && consumer.id.is_some() && consumer.owner.is_some()
                })
                .collect(),
        };
        index.catalog = Catalog::build(repository, branch, &index)?;
        Ok(index)
    }

    /// The versions of `event_type` of `source`.
    pub fn event(&self, source: &str, event_type: &str) -> Option<&IndexedEvent> {
        self.events
            .get(&(source.to_string(), event_type.to_string()))
    }

    /// The consumers that read `(source, event_type)`, with the version each reads.
    pub fn consumers_of(
        &self,
        source: &str,
        event_type: &str,
    ) -> Vec<(&crate::Consumer, crate::Pin)> {
        self.consumers
            .iter()
            .filter_map(|consumer| Some((consumer, consumer.pin(source, event_type)?.version)))
            .collect()
    }

    /// The consumer whose `consumer.id` is `id`.
    pub fn consumer(&self, id: &str) -> Option<&crate::Consumer> {
        self.consumers
            .iter()
            .find(|consumer| consumer.id.as_deref() == Some(id))
    }

    /// How many versions the index holds.
    pub fn version_count(&self) -> usize {
        self.events.values().map(|event| event.versions.len()).sum()
    }
}

/// The error diagnostics of a snapshot, each prefixed with the directory it is about.
fn tip_errors(snapshot: &Snapshot) -> Vec<String> {
    let packages = snapshot
        .sources
        .iter()
        .chain(&snapshot.shared)
        .flat_map(|source| {
            source
                .diagnostics
                .iter()
                .map(move |diagnostic| (Some(source.directory.as_str()), diagnostic))
        });
    let repository = snapshot
        .diagnostics
        .iter()
        .map(|found| (found.directory.as_deref(), &found.diagnostic));
    packages
        .chain(repository)
        .filter(|(_, diagnostic)| diagnostic.severity == cue::Severity::Error)
        .map(|(directory, diagnostic)| match directory {
            Some(directory) => format!("{directory}: {}", diagnostic.headline()),
            None => diagnostic.headline(),
        })
        .collect()
}

type DefinitionDocuments = (
    Result<Arc<Value>, String>,
    Result<Arc<Value>, String>,
    Result<cue::Schema, String>,
);
type Documents = HashMap<String, DefinitionDocuments>;
type ReadPackage = (PackageFiles, HashMap<String, PackageFiles>, Vec<String>);

/// Reads from Git, per (commit, directory) that introduced a version, the package's files,
/// every package it imports (directly or not), and the definitions to export.
fn read_packages(
    repository: &Repository,
    history: &History,
) -> Result<HashMap<(String, String), ReadPackage>, Error> {
    let git = repository.git();
    let mut packages: HashMap<(String, String), ReadPackage> = HashMap::new();
    for version in history.events.iter().flat_map(|event| &event.versions) {
        let key = (version.commit.id.clone(), version.directory.clone());
        if let Some((_, _, definitions)) = packages.get_mut(&key) {
            if !definitions.contains(&version.definition) {
                definitions.push(version.definition.clone());
            }
            continue;
        }
        let read_error = |what: &str| {
            let commit = version.commit.id.clone();
            let what = what.to_string();
            move |source| Error::Read {
                commit,
                what,
                source,
            }
        };
        let oid = git2::Oid::from_str(&version.commit.id).map_err(read_error("the commit id"))?;
        let commit = git.find_commit(oid).map_err(read_error("the commit"))?;
        let root = commit.tree().map_err(read_error("the root tree"))?;
        let files = match tree::subtree_id(&root, &version.directory) {
            Some(id) => {
                let package_tree = git.find_tree(id).map_err(read_error(&version.directory))?;
                tree::package_files(git, &package_tree, &version.directory, None)
                    .map_err(read_error(&version.directory))?
            }
            None => PackageFiles::default(),
        };
        let resolver = TreeResolver::new(git, root);
        let mut imports = HashMap::new();
        let mut pending = tree::imports_of(&files);
        while let Some(import_path) = pending.pop() {
            if imports.contains_key(&import_path) {
                continue;
            }
            // An import that does not resolve is reported by the loader.
            if let Ok(Some(imported)) = resolver.resolve(&import_path) {
                pending.extend(tree::imports_of(&imported));
                imports.insert(import_path, imported);
            }
        }
        packages.insert(key, (files, imports, vec![version.definition.clone()]));
    }
    Ok(packages)
}

/// `{"files": [{"name", "text"}...], "imports": {"<import path>": [{"name", "text"}...]}}`:
/// a package and everything it imports, enough to load it with a [`cue::MemoryResolver`].
fn package_document(files: &PackageFiles, imports: &HashMap<String, PackageFiles>) -> Value {
    let list = |package: &PackageFiles| -> Value {
        package
            .files
            .iter()
            .map(|(name, text)| serde_json::json!({"name": name, "text": text}))
            .collect()
    };
    let imports: BTreeMap<&String, Value> = imports
        .iter()
        .map(|(path, package)| (path, list(package)))
        .collect();
    serde_json::json!({"files": list(files), "imports": imports})
}

fn documents_of(
    files: PackageFiles,
    imports: HashMap<String, PackageFiles>,
    definitions: &[String],
) -> Documents {
    // One evaluation loads the package and exports every definition; each version's document
    // is cut from it, as `load_source` does for digests.
    let (package, whole) =
        Package::load_with_json_schema(files, &MemoryResolver { packages: imports });
    let describe = |diagnostics: Vec<cue::Diagnostic>| {
        diagnostics
            .iter()
            .map(|diagnostic| diagnostic.headline())
            .collect::<Vec<_>>()
            .join("; ")
    };
    definitions
        .iter()
        .map(|definition| {
            let openapi = package
                .openapi(Some(definition))
                .map(Arc::new)
                .map_err(describe);
            let cut = whole.as_ref().ok().and_then(|whole| {
                cuemesh_contract::canonical::definition_document(whole, definition)
            });
            let json_schema = match cut {
                Some(document) => Ok(Arc::new(document)),
                // The package's errors, or the export's message for a missing definition.
                None => package
                    .json_schema(Some(definition))
                    .map(Arc::new)
                    .map_err(describe),
            };
            let validator = package.schema(Some(definition)).map_err(describe);
            (definition.clone(), (openapi, json_schema, validator))
        })
        .collect()
}
