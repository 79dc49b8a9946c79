//! The registry service's index: everything the routes answer, built once from a branch's
//! history and never changed afterwards (a reload builds a new one and swaps it in).
//!
//! Per version it holds the metadata and CUE text from [`History`](crate::History), and the [`PackageState`]
//! it was made in: the commit and directory of the package, whose files (and those of every
//! package it imports) are read from Git on first use. What needs the whole package (the
//! OpenAPI and JSON Schema documents of the version's definition, its fields, a compiled
//! validator, the package document) is made from the state then, once for every version the
//! state made; the version's examples are read and validated on first use too. A build reads
//! nothing from Git per version and evaluates only the states of the latest versions whose
//! search entries it does not already have (from the previous index or the history cache), in
//! parallel; the others wait for a request, so that memory and start-up time follow what is
//! asked for, not the length of the history.

use super::catalog::Catalog;
use super::confluent::Numbered;
use super::examples::{examples_of, first_parent, Example};
use super::fields::{fields_of, root_doc, Field};
use super::search::SearchIndex;
use crate::commit::CommitInfo;
use crate::error::Error;
use crate::history::Version;
use crate::repository::{PackageSummary, Repository, TipSummary};
use crate::tree::{self, TreeResolver};
use axum::body::Bytes;
use cue::MemoryResolver;
use cue::{ImportResolver, Package, PackageFiles};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, Weak};

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
    /// The search over sources, types, fields and doc comments, built on first use (see
    /// [`Index::search`]).
    search: OnceLock<SearchIndex>,
    /// The whole catalog's documents and the Confluent-compatible subjects and schema ids.
    pub catalog: Catalog,
    /// The consumers declared at the tip (`consumers/*.cue`), those that load without errors,
    /// in path order.
    pub consumers: Vec<crate::Consumer>,
    /// What building this index took, and what it took from the index before it.
    pub build: BuildCounts,
    /// What the search read of each latest version's documents, by (commit, directory,
    /// definition): the next index takes those it still needs from here.
    latest: HashMap<VersionKey, Arc<LatestSummary>>,
    /// The evaluations requests made, the most recent kept; shared with the next index.
    documents: Arc<DocumentCache>,
    /// The handle package states and examples are read through; shared with the next index.
    git: Arc<GitReader>,
    /// What the index shows of each package at the tip, by package state: the next index
    /// takes those of the packages that did not change from here.
    tip: HashMap<[u8; 32], Arc<PackageSummary>>,
}

/// A version as history names it for good: its commit, directory and definition.
type VersionKey = (String, String, String);

/// What the index's start reads of a latest version's documents (the search's entries): the
/// definition's doc comment and its fields, as the JSON Schema document gives them. Kept in
/// the history cache beside the numbering, so that a start at an unchanged tip evaluates no
/// package: the documents themselves stay lazy, made from the package state on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LatestSummary {
    /// The doc comment of the definition (the JSON Schema document's root `description`).
    pub(crate) root_doc: Option<String>,
    /// The fields of the JSON Schema document (none when it could not be made).
    pub(crate) fields: Vec<Field>,
}

/// One entry of the latest-versions file.
#[derive(Serialize, Deserialize)]
struct LatestRecord {
    commit: String,
    directory: String,
    definition: String,
    summary: LatestSummary,
}

/// One entry of the tip packages file.
#[derive(Serialize, Deserialize)]
struct TipRecord {
    /// The package state, in hexadecimal.
    state: String,
    summary: PackageSummary,
}

/// What one [`Index::build_from`] did: the work a reload costs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildCounts {
    /// Package states new to this index (the others were the previous index's): each is read
    /// from Git on first use, none while building.
    pub states_made: usize,
    /// Package states evaluated while building (the latest versions' that were not already).
    pub states_evaluated: usize,
    /// Versions taken whole from the previous index, documents and examples included.
    pub versions_kept: usize,
    /// Latest versions whose search entries came from the history cache's file (a start
    /// with the cache), not from evaluating their package state.
    pub summaries_cached: usize,
    /// Packages of the tip whose owner, description, doc comments and errors came from the
    /// previous index or the history cache's file, not from evaluating them.
    pub tip_packages_cached: usize,
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
    /// Versions 1, 2, 3... oldest first; a reload shares those it did not change.
    pub versions: Vec<Arc<IndexedVersion>>,
    /// The doc comment above the type in the source's `events`, as of the branch tip.
    pub doc: Option<String>,
}

/// One version with its documents.
pub struct IndexedVersion {
    pub version: Version,
    /// The package state the version was made in, shared with the other versions its commit
    /// made in the same package.
    state: Arc<PackageState>,
    /// The type, for the folder of its examples.
    event_type: Arc<str>,
    /// Where the version's examples are read from.
    examples_at: ExamplesAt,
    /// The example payloads while the version was current, validated against it: read on
    /// first use (see [`IndexedVersion::examples`]).
    examples: OnceLock<Vec<Example>>,
    /// The serialised bodies of the version's routes, made on their first request: the
    /// metadata, the OpenAPI document, the JSON Schema document and the package.
    pub(super) bodies: [OnceLock<Bytes>; 4],
}

/// The last commit at which a version was its type's current one, where its examples are
/// read: the branch tip for a current version, else the first parent of the commit that made
/// the next version (or removed the type).
enum ExamplesAt {
    Commit(String),
    FirstParentOf(String),
    /// The branch has no tip (never, for a version).
    Nowhere,
}

/// What one version's definition gives, made from its package state.
pub struct VersionDocuments {
    /// The OpenAPI 3.0 document of the definition, or why it could not be made.
    pub openapi: Result<Arc<Value>, String>,
    /// The JSON Schema 2020-12 document of the definition, or why it could not be made.
    pub json_schema: Result<Arc<Value>, String>,
    /// The compiled definition, for `validate`.
    pub validator: Result<cue::Schema, String>,
    /// The fields of the JSON Schema document (none when it could not be made).
    pub fields: Vec<Field>,
}

/// A package as one commit left it: its files and those of every package it imports
/// (directly or not), read from Git on first use and evaluated then.
///
/// A state holds only where it was made (the commit and directory), so that an index of any
/// length costs no Git read to build: a start from the history cache is ready without
/// reading the package state of any version. The state holds its evaluation weakly: it stays
/// while a request uses it or while it is among the [`DocumentCache`]'s most recent; after
/// that the next request reads and evaluates it again. The latest versions' states are no
/// exception: a start reads what the search needs of them and lets them go.
pub struct PackageState {
    /// The commit the versions were made at, shared with the versions.
    commit: Arc<CommitInfo>,
    /// The package's directory (`sources/orders`).
    directory: String,
    /// The definitions of the versions made in this state.
    definitions: Vec<String>,
    evaluated: Mutex<Weak<EvaluatedState>>,
    cache: Arc<DocumentCache>,
    git: Arc<GitReader>,
}

/// The index's own handle on the repository, through which package states and examples are
/// read on first use. The [`Repository`]'s handle is not `Sync` and requests come from any
/// thread: reads take turns on this one (a read is a few object lookups).
pub(super) struct GitReader {
    git: Mutex<git2::Repository>,
    /// How many package states were read, for [`Index::states_read`].
    states_read: std::sync::atomic::AtomicUsize,
}

impl GitReader {
    /// A handle of its own on the repository `repository` was opened at.
    fn open(repository: &Repository) -> Result<GitReader, Error> {
        let path = repository.path();
        let git = git2::Repository::open(path).map_err(|source| Error::NotARepository {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(GitReader {
            git: Mutex::new(git),
            states_read: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, git2::Repository> {
        self.git
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The files of the package in `directory` at `commit` and of every package it imports
    /// (directly or not); why not, when the objects cannot be read.
    fn package_at(
        &self,
        commit: &str,
        directory: &str,
    ) -> Result<(PackageFiles, HashMap<String, PackageFiles>), String> {
        self.states_read
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let git = self.lock();
        let read_error = |what: &str| {
            let what = what.to_string();
            move |error: git2::Error| format!("cannot read {what} at {commit}: {error}")
        };
        let oid = git2::Oid::from_str(commit).map_err(read_error("the commit id"))?;
        let root = git
            .find_commit(oid)
            .and_then(|commit| commit.tree())
            .map_err(read_error("the commit"))?;
        let files = match tree::subtree_id(&root, directory) {
            Some(id) => {
                let package_tree = git.find_tree(id).map_err(read_error(directory))?;
                tree::package_files(&git, &package_tree, directory, None)
                    .map_err(read_error(directory))?
            }
            None => PackageFiles::default(),
        };
        let resolver = TreeResolver::new(&git, root);
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
        Ok((files, imports))
    }
}

/// The evaluations of package states made on request, the most recent [`Self::CAPACITY`]
/// kept: what a crawler asks for cannot grow the service without bound. Shared by an index
/// and the indexes reloads build from it.
pub struct DocumentCache {
    recent: Mutex<VecDeque<Arc<EvaluatedState>>>,
    capacity: usize,
}

impl DocumentCache {
    /// How many evaluated package states are kept.
    pub const CAPACITY: usize = 256;

    pub(crate) fn new(capacity: usize) -> DocumentCache {
        DocumentCache {
            recent: Mutex::new(VecDeque::new()),
            capacity,
        }
    }

    fn keep(&self, evaluated: Arc<EvaluatedState>) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        recent.push_back(evaluated);
        while recent.len() > self.capacity {
            recent.pop_front();
        }
    }
}

/// A package state's evaluation: what its versions' routes serve.
pub struct EvaluatedState {
    /// The CUE source that defines the versions, self-contained: the package's files and every
    /// package it imports, as `GET .../versions/{n}/package` serves them. Clients compile their
    /// own validator from it and check it against the digest.
    package: Result<Arc<Value>, String>,
    documents: HashMap<String, VersionDocuments>,
    /// For a definition the state was not asked for (none, by construction).
    missing: VersionDocuments,
}

/// The documents of one version, holding its state's evaluation while they are used.
pub struct Documents {
    evaluated: Arc<EvaluatedState>,
    definition: String,
}

impl std::ops::Deref for Documents {
    type Target = VersionDocuments;

    fn deref(&self) -> &VersionDocuments {
        self.evaluated
            .documents
            .get(&self.definition)
            .unwrap_or(&self.evaluated.missing)
    }
}

impl Documents {
    /// The CUE source that defines the version, self-contained (see [`EvaluatedState`]).
    pub fn package(&self) -> &Result<Arc<Value>, String> {
        &self.evaluated.package
    }
}

impl PackageState {
    /// Whether the state's evaluation is held (by an index, or among the recent ones).
    pub fn is_evaluated(&self) -> bool {
        self.slot().strong_count() > 0
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Weak<EvaluatedState>> {
        self.evaluated
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The state's evaluation for a request, made now when no one holds it, and kept among
    /// the cache's recent ones.
    fn evaluated(&self) -> Arc<EvaluatedState> {
        self.evaluate(true)
    }

    /// The state's evaluation, made now when no one holds it; `remember` keeps a new one among
    /// the cache's recent ones (otherwise only its holders keep it).
    fn evaluate(&self, remember: bool) -> Arc<EvaluatedState> {
        let mut slot = self.slot();
        if let Some(evaluated) = slot.upgrade() {
            return evaluated;
        }
        let unmade = |why: &str| VersionDocuments {
            openapi: Err(why.to_string()),
            json_schema: Err(why.to_string()),
            validator: Err(why.to_string()),
            fields: Vec::new(),
        };
        let (package, documents) = match self.git.package_at(&self.commit.id, &self.directory) {
            Ok((files, imports)) => (
                Ok(Arc::new(package_document(&files, &imports))),
                documents_of(files, &imports, &self.definitions),
            ),
            // The objects are gone (a pruned mirror): every document says so.
            Err(why) => {
                let documents = self
                    .definitions
                    .iter()
                    .map(|definition| (definition.clone(), unmade(&why)))
                    .collect();
                (Err(why), documents)
            }
        };
        let evaluated = Arc::new(EvaluatedState {
            package,
            documents,
            missing: unmade("the definition was not indexed"),
        });
        *slot = Arc::downgrade(&evaluated);
        drop(slot);
        if remember {
            self.cache.keep(evaluated.clone());
        }
        evaluated
    }
}

impl PackageState {
    /// The JSON Schema document of each of `definitions` in this state, as its served
    /// documents have it: from the state's evaluation when someone holds it, else from one
    /// export of the package, without making the OpenAPI documents and validators a request
    /// needs (a start reads the latest versions' documents for the search only).
    fn json_schemas(&self, definitions: &[String]) -> Vec<Result<Arc<Value>, String>> {
        if let Some(evaluated) = self.slot().upgrade() {
            return definitions
                .iter()
                .map(|definition| {
                    let documents = evaluated
                        .documents
                        .get(definition)
                        .unwrap_or(&evaluated.missing);
                    documents.json_schema.clone()
                })
                .collect();
        }
        match self.git.package_at(&self.commit.id, &self.directory) {
            Ok((files, imports)) => {
                let resolver = MemoryResolver { packages: imports };
                let (package, whole) = Package::load_with_json_schema(files, &resolver);
                definitions
                    .iter()
                    .map(|definition| {
                        if !self.definitions.contains(definition) {
                            return Err("the definition was not indexed".to_string());
                        }
                        json_schema_of(&package, &whole, definition)
                    })
                    .collect()
            }
            Err(why) => definitions.iter().map(|_| Err(why.clone())).collect(),
        }
    }
}

impl IndexedVersion {
    /// The documents of the version's definition, made on first use.
    pub fn documents(&self) -> Documents {
        Documents {
            evaluated: self.state.evaluated(),
            definition: self.version.definition.clone(),
        }
    }

    /// The package state the version was made in.
    pub fn state(&self) -> &Arc<PackageState> {
        &self.state
    }

    /// The example payloads while the version was current, each validated against it: read
    /// from Git and validated on first use, then kept with the version.
    pub fn examples(&self) -> &[Example] {
        self.examples.get_or_init(|| {
            let git = &self.state.git;
            let at = match &self.examples_at {
                ExamplesAt::Commit(commit) => git2::Oid::from_str(commit).ok(),
                ExamplesAt::FirstParentOf(commit) => first_parent(&git.lock(), commit),
                ExamplesAt::Nowhere => None,
            };
            match at {
                Some(at) => examples_of(git, &self.event_type, self, at),
                None => Vec::new(),
            }
        })
    }
}

impl IndexedEvent {
    /// The newest version (every indexed event has at least one).
    pub fn latest(&self) -> Option<&IndexedVersion> {
        self.versions.last().map(|version| &**version)
    }

    /// Version `number` (1-based).
    pub fn version(&self, number: u32) -> Option<&IndexedVersion> {
        let index = usize::try_from(number).ok()?.checked_sub(1)?;
        self.versions.get(index).map(|version| &**version)
    }
}

impl Index {
    /// Builds the index of `branch`: its history, the tip's source metadata, and the documents
    /// of every version.
    pub fn build(repository: &Repository, branch: &str) -> Result<Index, Error> {
        Index::build_from(repository, branch, None)
    }

    /// Builds the index of `branch` sharing with `previous`, an index of an earlier tip of the
    /// same branch, everything the new commits left as it was: the package states versions
    /// were made in (by commit and directory: history does not change), and whole versions
    /// whose next version is the same (their examples, taken up to the next version, too).
    /// With `repository` kept from the previous build, its history goes on from there as well,
    /// so a commit that changes one source reads and evaluates that source's package only.
    pub fn build_from(
        repository: &Repository,
        branch: &str,
        previous: Option<&Index>,
    ) -> Result<Index, Error> {
        let mut phases = Phases::start();
        let history = repository.history(branch)?;
        phases.end("history");
        let known = match previous {
            Some(previous) => previous.tip.clone(),
            None => read_tip(repository, branch),
        };
        let tip = repository.tip_summary(branch, &known)?;
        drop(known);
        phases.end("tip");
        let mut build = BuildCounts {
            tip_packages_cached: tip.known,
            ..BuildCounts::default()
        };
        let documents = previous.map_or_else(
            || Arc::new(DocumentCache::new(DocumentCache::CAPACITY)),
            |previous| previous.documents.clone(),
        );
        let git = match previous {
            Some(previous) => previous.git.clone(),
            None => Arc::new(GitReader::open(repository)?),
        };
        // What becomes of each version: kept whole from the previous index, made again in the
        // previous index's package state (the old latest version, whose examples now end
        // elsewhere), or made in a state new to this index. Only the last two cost anything,
        // so a reload's work follows the new commits, not the length of the history.
        let previous_events: Vec<Option<&IndexedEvent>> = history
            .events
            .iter()
            .map(|event| previous.and_then(|p| p.event(&event.source, &event.event_type)))
            .collect();
        // The new states by (commit, directory), with the definitions of their versions.
        let mut made: HashMap<(&str, &str), NewState> = HashMap::new();
        let mut plans: Vec<Vec<Plan>> = Vec::with_capacity(history.events.len());
        for (event, previous_event) in history.events.iter().zip(&previous_events) {
            let mut plan = Vec::with_capacity(event.versions.len());
            for (at, version) in event.versions.iter().enumerate() {
                let next_commit = event
                    .versions
                    .get(at + 1)
                    .map(|next| next.commit.id.as_str());
                let old = previous_event.and_then(|previous| previous.version(version.number));
                if let Some(kept) =
                    previous_event.and_then(|previous| kept_version(previous, version, next_commit))
                {
                    plan.push(Plan::Keep(kept.clone()));
                    continue;
                }
                let same_state = old.filter(|old| {
                    old.version.commit.id == version.commit.id
                        && old.version.directory == version.directory
                        && old.version.definition == version.definition
                });
                if let Some(old) = same_state {
                    plan.push(Plan::State(old.state.clone()));
                    continue;
                }
                let (_, definitions) = made
                    .entry((version.commit.id.as_str(), version.directory.as_str()))
                    .or_insert_with(|| (version.commit.clone(), Vec::new()));
                if !definitions.contains(&version.definition) {
                    definitions.push(version.definition.clone());
                }
                plan.push(Plan::New);
            }
            plans.push(plan);
        }
        build.states_made = made.len();
        let states: HashMap<(&str, &str), Arc<PackageState>> = made
            .into_iter()
            .map(|((commit_id, directory), (commit, definitions))| {
                let state = PackageState {
                    commit,
                    directory: directory.to_string(),
                    definitions,
                    evaluated: Mutex::new(Weak::new()),
                    cache: documents.clone(),
                    git: git.clone(),
                };
                ((commit_id, directory), Arc::new(state))
            })
            .collect();
        let mut sources: BTreeMap<String, IndexedSource> = BTreeMap::new();
        let mut events = BTreeMap::new();
        for (event, plan) in history.events.iter().zip(plans) {
            let source = sources.entry(event.source.clone()).or_insert_with(|| {
                let at_tip = tip.source(&event.source);
                IndexedSource {
                    id: event.source.clone(),
                    owner: at_tip.and_then(|source| source.owner.clone()),
                    description: at_tip.and_then(|source| source.description.clone()),
                    types: Vec::new(),
                }
            });
            source.types.push(event.event_type.clone());
            let end = event.removed_in.as_ref().or(history.head.as_ref());
            let event_type: Arc<str> = Arc::from(event.event_type.as_str());
            let mut versions: Vec<Arc<IndexedVersion>> = Vec::with_capacity(event.versions.len());
            for ((at, version), plan) in event.versions.iter().enumerate().zip(plan) {
                let state = match plan {
                    Plan::Keep(kept) => {
                        build.versions_kept += 1;
                        versions.push(kept);
                        continue;
                    }
                    Plan::State(state) => state,
                    Plan::New => states
                        .get(&(version.commit.id.as_str(), version.directory.as_str()))
                        .expect("a state is made for every new version")
                        .clone(),
                };
                let examples_at = match event.versions.get(at + 1) {
                    Some(next) => ExamplesAt::FirstParentOf(next.commit.id.clone()),
                    None if event.removed_in.is_some() => end.map_or(ExamplesAt::Nowhere, |end| {
                        ExamplesAt::FirstParentOf(end.id.clone())
                    }),
                    None => end.map_or(ExamplesAt::Nowhere, |end| {
                        ExamplesAt::Commit(end.id.clone())
                    }),
                };
                versions.push(Arc::new(IndexedVersion {
                    version: version.clone(),
                    state,
                    event_type: event_type.clone(),
                    examples_at,
                    examples: OnceLock::new(),
                    bodies: Default::default(),
                }));
            }
            events.insert(
                (event.source.clone(), event.event_type.clone()),
                IndexedEvent {
                    doc: tip
                        .source(&event.source)
                        .and_then(|source| source.docs.get(&event.event_type).cloned()),
                    source: event.source.clone(),
                    event_type: event.event_type.clone(),
                    removed_in: event.removed_in.clone(),
                    versions,
                },
            );
        }
        drop(states);
        for source in sources.values_mut() {
            source.types.sort();
        }
        phases.end("versions");
        // The search reads the latest versions' doc comments and fields: from the previous
        // index or the history cache's file when they are there, else from their states,
        // evaluated now in parallel.
        let mut stored = match previous {
            Some(_) => HashMap::new(),
            None => read_latest(repository, branch),
        };
        let mut latest: HashMap<VersionKey, Arc<LatestSummary>> = HashMap::new();
        let mut missing: Vec<(VersionKey, &Arc<PackageState>)> = Vec::new();
        for version in events.values().filter_map(IndexedEvent::latest) {
            let key = version_key(&version.version);
            let found = match previous {
                Some(previous) => previous.latest.get(&key).cloned(),
                None => stored.remove(&key),
            };
            match found {
                Some(summary) => {
                    build.summaries_cached += usize::from(previous.is_none());
                    latest.insert(key, summary);
                }
                None => missing.push((key, &version.state)),
            }
        }
        // Each evaluation is let go once its summary is read (the most recent stay in the
        // bounded document cache): a start evaluates thousands of latest states, whose
        // documents together were most of its memory, and a start from the history cache
        // holds none of them either.
        // Grouped by package state: a state holding several latest versions is read once.
        let mut by_state: Vec<(&Arc<PackageState>, Vec<VersionKey>)> = Vec::new();
        let mut group_of: HashMap<*const PackageState, usize> = HashMap::new();
        for (key, state) in missing {
            let group = *group_of.entry(Arc::as_ptr(state)).or_insert_with(|| {
                by_state.push((state, Vec::new()));
                by_state.len() - 1
            });
            by_state[group].1.push(key);
        }
        let summaries: Vec<(bool, VersionKey, LatestSummary)> = by_state
            .into_par_iter()
            .flat_map_iter(|(state, keys)| {
                let made = !state.is_evaluated();
                let definitions: Vec<String> = keys.iter().map(|key| key.2.clone()).collect();
                let documents = state.json_schemas(&definitions);
                keys.into_iter()
                    .zip(documents)
                    .enumerate()
                    .map(move |(at, (key, document))| {
                        let summary = LatestSummary {
                            root_doc: document.as_deref().ok().and_then(root_doc),
                            fields: document.as_deref().map(fields_of).unwrap_or_default(),
                        };
                        // A state counts once, with its first version.
                        (made && at == 0, key, summary)
                    })
            })
            .collect();
        build.states_evaluated = summaries.iter().filter(|(made, _, _)| *made).count();
        let summarised = summaries.len();
        for (_, key, summary) in summaries {
            latest.insert(key, Arc::new(summary));
        }
        // A start writes what it evaluated; a reload leaves the file to the next start, which
        // then evaluates only the latest versions that came after it (the reload stays quick).
        if previous.is_none() && summarised > 0 {
            write_latest(repository, branch, history.head.as_ref(), &latest);
        }
        if previous.is_none() && tip.known < tip.packages.len() {
            write_tip(repository, branch, history.head.as_ref(), &tip);
        }
        phases.end("latest");
        let consumers = crate::consumers_at(repository, branch)?;
        phases.end("consumers");
        let mut index = Index {
            branch: history.branch,
            head: history.head,
            sources,
            events,
            problems: history.problems.len(),
            tip_errors: tip.errors(),
            search: OnceLock::new(),
            catalog: Catalog::default(),
            consumers: consumers
                .into_iter()
                .filter(|consumer| {
                    !consumer.has_errors() && consumer.id.is_some() && consumer.owner.is_some()
                })
                .collect(),
            build,
            latest,
            documents,
            git,
            tip: tip.packages.into_iter().collect(),
        };
        let numbered = Numbered {
            commits: history.commits,
            head: index.head.as_ref().map(|head| head.id.as_str()),
            continued_from: history.continued_from.as_ref(),
        };
        index.catalog = Catalog::build(
            repository,
            branch,
            &index,
            &numbered,
            previous.map(|previous| &previous.catalog),
        )?;
        phases.end("catalog");
        if previous.is_none() {
            // A start is ready with its search; a reload builds it once swapped in.
            index.search();
            phases.end("search");
        }
        tracing::debug!(
            phases = %phases,
            versions_kept = index.build.versions_kept,
            states_made = index.build.states_made,
            "built the index of {branch}"
        );
        Ok(index)
    }

    /// The search over sources, types, fields and doc comments of the latest versions: built
    /// on first use, so that a reload swaps its index in without waiting for it (the reload
    /// builds it right after, see `reload`); a search meanwhile waits for it.
    pub fn search(&self) -> &SearchIndex {
        self.search.get_or_init(|| {
            SearchIndex::build(self.sources.values(), self.events.values(), |event| {
                let version = event.latest()?;
                self.latest
                    .get(&version_key(&version.version))
                    .map(|summary| &**summary)
            })
        })
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

    /// How many package states were read from Git since the first index of this line was
    /// built (an index and those reloads build from it share the count): the states requests
    /// and the latest versions' search entries needed, never one per version.
    pub fn states_read(&self) -> usize {
        self.git
            .states_read
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many versions the index holds.
    pub fn version_count(&self) -> usize {
        self.events.values().map(|event| event.versions.len()).sum()
    }
}

fn version_key(version: &Version) -> VersionKey {
    (
        version.commit.id.clone(),
        version.directory.clone(),
        version.definition.clone(),
    )
}

/// The tip packages file of `branch` in the history cache, by package state: empty when there
/// is no cache or no file, and after a warning when the file cannot be trusted (every package
/// of the tip is then evaluated again).
fn read_tip(repository: &Repository, branch: &str) -> HashMap<[u8; 32], Arc<PackageSummary>> {
    let Some(cache) = repository.history_cache() else {
        return HashMap::new();
    };
    let path = cache.tip_file_of(branch);
    let damaged = |what: String| crate::history_cache::CacheProblem::Damaged {
        path: path.clone(),
        what,
    };
    let records = cache.read_tip(branch).and_then(|body| {
        let Some(body) = body else {
            return Ok(HashMap::new());
        };
        let records: Vec<TipRecord> =
            serde_json::from_slice(&body).map_err(|error| damaged(error.to_string()))?;
        records
            .into_iter()
            .map(|record| {
                let state = crate::history_cache::unhex(&record.state)
                    .ok_or_else(|| damaged(format!("{:?} is not a state digest", record.state)))?;
                Ok((state, Arc::new(record.summary)))
            })
            .collect()
    });
    match records {
        Ok(records) => records,
        Err(problem) => {
            repository.warn(&format!(
                "{problem}: evaluating the packages of the tip again"
            ));
            HashMap::new()
        }
    }
}

/// Writes the summaries of `tip` as the history cache's tip packages file of `branch`; a
/// failure is a warning (the next start evaluates the tip's packages, nothing else).
fn write_tip(repository: &Repository, branch: &str, head: Option<&CommitInfo>, tip: &TipSummary) {
    let Some(cache) = repository.history_cache() else {
        return;
    };
    let mut records: Vec<TipRecord> = tip
        .packages
        .iter()
        .map(|(state, summary)| TipRecord {
            state: crate::history_cache::hex(state),
            summary: PackageSummary::clone(summary),
        })
        .collect();
    records.sort_by(|a, b| a.state.cmp(&b.state));
    records.dedup_by(|a, b| a.state == b.state);
    let written = serde_json::to_vec(&records)
        .map_err(std::io::Error::other)
        .and_then(|body| cache.write_tip(branch, head.map_or("", |head| head.id.as_str()), &body));
    if let Err(error) = written {
        repository.warn(&format!(
            "cannot write {}: {error}",
            cache.tip_file_of(branch).display()
        ));
    }
}

/// The latest versions' summaries the history cache's file holds for `branch`; none without
/// a cache or a file, and none (with a warning) from a file that fails its checks.
fn read_latest(repository: &Repository, branch: &str) -> HashMap<VersionKey, Arc<LatestSummary>> {
    let Some(cache) = repository.history_cache() else {
        return HashMap::new();
    };
    let path = cache.latest_file_of(branch);
    let records = cache.read_latest(branch).and_then(|body| {
        body.map(|body| {
            serde_json::from_slice::<Vec<LatestRecord>>(&body).map_err(|error| {
                crate::history_cache::CacheProblem::Damaged {
                    path: path.clone(),
                    what: error.to_string(),
                }
            })
        })
        .transpose()
    });
    match records {
        Ok(records) => records
            .into_iter()
            .flatten()
            .map(|record| {
                let key = (record.commit, record.directory, record.definition);
                (key, Arc::new(record.summary))
            })
            .collect(),
        Err(problem) => {
            repository.warn(&format!("{problem}: evaluating the latest versions again"));
            HashMap::new()
        }
    }
}

/// Writes `latest` as the history cache's latest-versions file of `branch`; a failure is a
/// warning (the next start evaluates the latest versions, nothing else).
fn write_latest(
    repository: &Repository,
    branch: &str,
    head: Option<&CommitInfo>,
    latest: &HashMap<VersionKey, Arc<LatestSummary>>,
) {
    let Some(cache) = repository.history_cache() else {
        return;
    };
    let mut records: Vec<LatestRecord> = latest
        .iter()
        .map(|((commit, directory, definition), summary)| LatestRecord {
            commit: commit.clone(),
            directory: directory.clone(),
            definition: definition.clone(),
            summary: LatestSummary::clone(summary),
        })
        .collect();
    records.sort_by(|a, b| {
        (&a.commit, &a.directory, &a.definition).cmp(&(&b.commit, &b.directory, &b.definition))
    });
    let written = serde_json::to_vec(&records)
        .map_err(std::io::Error::other)
        .and_then(|body| {
            cache.write_latest(branch, head.map_or("", |head| head.id.as_str()), &body)
        });
    if let Err(error) = written {
        repository.warn(&format!(
            "cannot write {}: {error}",
            cache.latest_file_of(branch).display()
        ));
    }
}

/// How long each phase of a build took, for the debug log.
struct Phases {
    last: std::time::Instant,
    taken: Vec<(&'static str, std::time::Duration)>,
}

impl Phases {
    fn start() -> Phases {
        Phases {
            last: std::time::Instant::now(),
            taken: Vec::new(),
        }
    }

    /// Ends the phase `name`, which began where the last one ended.
    fn end(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.taken.push((name, now - self.last));
        self.last = now;
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (at, (name, taken)) in self.taken.iter().enumerate() {
            let separator = if at == 0 { "" } else { " " };
            write!(f, "{separator}{name}={:.1}ms", taken.as_secs_f64() * 1000.0)?;
        }
        Ok(())
    }
}

/// A package state a build makes: its commit and the definitions of its versions.
type NewState = (Arc<CommitInfo>, Vec<String>);

/// What a build does with one version (see [`Index::build_from`]).
enum Plan {
    /// The previous index's version, whole.
    Keep(Arc<IndexedVersion>),
    /// Made again in the previous index's package state.
    State(Arc<PackageState>),
    /// Made in a package state new to this index.
    New,
}

/// The version of `previous` that `version` is, when nothing about it changed: the same
/// number, commit and digest, and the same next version (so the same examples); the latest
/// version of `previous` is never kept, its examples ran to the old tip.
fn kept_version<'p>(
    previous: &'p IndexedEvent,
    version: &Version,
    next_commit: Option<&str>,
) -> Option<&'p Arc<IndexedVersion>> {
    let old = previous
        .versions
        .get(version.number.checked_sub(1)? as usize)?;
    let old_next = previous.versions.get(version.number as usize)?;
    let same = old.version.commit.id == version.commit.id
        && old.version.digest == version.digest
        && old.version.directory == version.directory
        && old.version.definition == version.definition
        && Some(old_next.version.commit.id.as_str()) == next_commit;
    same.then_some(old)
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

/// The served JSON Schema document of `definition`: cut from the package's whole export
/// `whole`, else (the package's errors, or the export's message for a missing definition)
/// the definition's own export.
fn json_schema_of(
    package: &Package,
    whole: &Result<Value, Vec<cue::Diagnostic>>,
    definition: &str,
) -> Result<Arc<Value>, String> {
    let cut = whole
        .as_ref()
        .ok()
        .and_then(|whole| cuemesh_contract::canonical::definition_document(whole, definition));
    match cut {
        Some(document) => Ok(Arc::new(document)),
        None => package
            .json_schema(Some(definition))
            .map(Arc::new)
            .map_err(describe_diagnostics),
    }
}

/// Diagnostics as one line of their headlines, for a document that cannot be made.
fn describe_diagnostics(diagnostics: Vec<cue::Diagnostic>) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| diagnostic.headline())
        .collect::<Vec<_>>()
        .join("; ")
}

fn documents_of(
    files: PackageFiles,
    imports: &HashMap<String, PackageFiles>,
    definitions: &[String],
) -> HashMap<String, VersionDocuments> {
    // One evaluation loads the package and exports every definition; each version's document
    // is cut from it, as `load_source` does for digests.
    let resolver = MemoryResolver {
        packages: imports.clone(),
    };
    let (package, whole) = Package::load_with_json_schema(files, &resolver);
    let describe = describe_diagnostics;
    definitions
        .iter()
        .map(|definition| {
            let openapi = package
                .openapi(Some(definition))
                .map(Arc::new)
                .map_err(describe);
            let json_schema = json_schema_of(&package, &whole, definition);
            let validator = package.schema(Some(definition)).map_err(describe);
            let fields = json_schema.as_deref().map(fields_of).unwrap_or_default();
            let documents = VersionDocuments {
                openapi,
                json_schema,
                validator,
                fields,
            };
            (definition.clone(), documents)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three package states of `sources/p`, `count <= 1`, `<= 2` and `<= 3`, each at its own
    /// commit, sharing `cache`.
    fn states(cache: &Arc<DocumentCache>) -> (tempfile::TempDir, Vec<Arc<PackageState>>) {
        let mut repo = cuemesh_testkit::git::TestRepository::new();
        let commits: Vec<git2::Oid> = (1..=3)
            .map(|bound| {
                let text = format!("package p\n\n#E: {{\n\tcount: int & <={bound}\n}}\n");
                repo.commit("main", "Ada", "Bound", &[("sources/p/p.cue", Some(&text))])
            })
            .collect();
        let repository = Repository::open(repo.path()).expect("open");
        let git = Arc::new(GitReader::open(&repository).expect("a second handle"));
        let states = commits
            .into_iter()
            .map(|commit| {
                let commit = repository.git().find_commit(commit).expect("commit");
                Arc::new(PackageState {
                    commit: Arc::new(CommitInfo::from_commit(&commit)),
                    directory: "sources/p".to_string(),
                    definitions: vec!["#E".to_string()],
                    evaluated: Mutex::new(Weak::new()),
                    cache: cache.clone(),
                    git: git.clone(),
                })
            })
            .collect();
        (repo.directory, states)
    }

    fn json_schema(state: &PackageState) -> String {
        let evaluated = state.evaluated();
        let documents = &evaluated.documents["#E"];
        serde_json::to_string(&**documents.json_schema.as_ref().expect("exports")).expect("JSON")
    }

    #[test]
    fn requests_keep_the_most_recent_evaluations_only_and_an_evicted_one_is_made_again() {
        let cache = Arc::new(DocumentCache::new(2));
        let (_directory, states) = states(&cache);
        let reads = || {
            states[0]
                .git
                .states_read
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        assert_eq!(reads(), 0, "nothing is read before it is asked for");
        let first = json_schema(&states[0]);
        assert!(first.contains("\"maximum\":1"), "{first}");
        assert_eq!(reads(), 1);
        json_schema(&states[1]);
        json_schema(&states[2]);
        assert_eq!(reads(), 3);
        // The cache holds two: the first state's evaluation is gone, the others are kept.
        let held: Vec<bool> = states.iter().map(|state| state.is_evaluated()).collect();
        assert_eq!(held, [false, true, true]);
        assert_eq!(json_schema(&states[0]), first);
        assert!(states[0].is_evaluated());
        assert_eq!(reads(), 4, "an evicted state is read again");
        // An evaluation held elsewhere (an index's latest versions) outlives the cache.
        let pinned = states[1].evaluate(false);
        json_schema(&states[2]);
        json_schema(&states[0]);
        assert!(states[1].is_evaluated());
        drop(pinned);
        assert!(!states[1].is_evaluated());
    }
}
