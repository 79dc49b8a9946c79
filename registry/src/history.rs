//! Versions from Git history: walking the first-parent history of a branch oldest first, each
//! new canonical schema of an event (per `(source id, type)`) is the next version.
//!
//! The rules, in the order they apply at each commit:
//!
//! - Only first-parent commits count: a merged side branch's changes appear once, at the
//!   merge commit, with the merge's author and time.
//! - An event gets a version when its package loads without errors and its digest differs
//!   from its latest version's (or it has none yet). A commit that changes nothing an event
//!   accepts (documentation, comments, field order, examples, another event) makes no
//!   version of it; a change in an imported package makes a version of every event whose
//!   resolved schema it changes.
//! - A package with errors at a commit (CUE that does not parse, a failed import) makes no
//!   versions there: its events keep their latest version, and the problem is recorded once,
//!   at the commit that introduced it, in [`History::problems`]. Loading goes on with the next
//!   commit; the commit that fixes the package makes a version only if the schema differs from
//!   the latest version.
//! - Going back to an earlier schema (a revert) is a new version whose digest equals an older
//!   one's: version numbers only grow, and `latest` is always the branch's current schema.
//! - Of two packages that claim one source id at a commit, the first in directory order wins.

use crate::commit::CommitInfo;
use crate::source::Source;
use cue::{Diagnostic, SourceMap};
use cuemesh_contract::canonical::{CanonicalSchema, Digest};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Every version of every event type on one branch.
#[derive(Debug)]
pub struct History {
    /// The branch (or ref) as asked for.
    pub branch: String,
    /// The tip commit, when the branch has commits.
    pub head: Option<CommitInfo>,
    /// How many first-parent commits were read.
    pub commits: usize,
    /// One entry per `(source id, type)` that ever had a version, sorted by source then type.
    /// Shared with the numbering that made them: a type the next commits leave alone is the
    /// same allocation in the next history (see [`History::continued_from`]).
    pub events: Vec<Arc<EventHistory>>,
    /// Packages that failed to load, each at the commit that broke it.
    pub problems: Vec<CommitProblem>,
    /// The commit this history's numbering went on from (the head of an earlier history of
    /// the same branch, kept by the repository or read from the history cache), with how many
    /// commits it had numbered then; `None` when it numbered from the first commit. Versions
    /// at positions before that count are those of the earlier history, unchanged.
    pub continued_from: Option<(String, usize)>,
}

/// The versions of one event type.
#[derive(Debug, Clone)]
pub struct EventHistory {
    /// The source's `source.id`.
    pub source: String,
    /// The CloudEvents `type`.
    pub event_type: String,
    /// Versions 1, 2, 3... oldest first.
    pub versions: Vec<Version>,
    /// The commit that removed the type, when the branch tip no longer declares it.
    pub removed_in: Option<CommitInfo>,
}

/// One immutable version of an event's schema.
#[derive(Debug, Clone)]
pub struct Version {
    /// 1 for the first version, then 2, 3...
    pub number: u32,
    pub digest: Digest,
    /// The commit that introduced this schema, shared by every version it introduced.
    pub commit: Arc<CommitInfo>,
    /// That commit's position on the branch's first-parent history, oldest first from 0: the
    /// order the Confluent-compatible schema ids follow, known without walking the history.
    pub position: usize,
    /// The directory of the source package at that commit.
    pub directory: String,
    /// The definition the type mapped to (`#Identity`).
    pub definition: String,
    /// The definition's CUE text as written at that commit.
    pub cue_text: Option<Arc<str>>,
    /// The canonical resolved schema.
    pub schema: Arc<CanonicalSchema>,
}

/// A package that did not load at a commit.
#[derive(Debug, Clone)]
pub struct CommitProblem {
    pub commit: CommitInfo,
    pub directory: String,
    /// The errors, with spans into `files`.
    pub diagnostics: Vec<Diagnostic>,
    pub files: Arc<SourceMap>,
}

impl History {
    /// The versions of `event_type` of source `source`.
    pub fn event(&self, source: &str, event_type: &str) -> Option<&EventHistory> {
        self.events
            .iter()
            .find(|event| event.source == source && event.event_type == event_type)
            .map(|event| &**event)
    }

    /// How many versions there are in all.
    pub fn version_count(&self) -> usize {
        self.events.iter().map(|event| event.versions.len()).sum()
    }
}

impl EventHistory {
    /// The newest version.
    pub fn latest(&self) -> Option<&Version> {
        self.versions.last()
    }

    /// Version `number` (1-based).
    pub fn version(&self, number: u32) -> Option<&Version> {
        let index = usize::try_from(number).ok()?.checked_sub(1)?;
        self.versions.get(index)
    }
}

/// The numbering of one branch's versions as of some commit: everything [`History`] holds,
/// and what the next commit is compared with, so that numbering can go on from there when the
/// branch moves forward instead of starting again from its first commit.
///
/// [`Numbering::step`] takes the loaded packages of each commit, oldest first. Per commit,
/// only sources whose package state differs from the previous commit's (another
/// [`PackageMark::state`], that is another tree or imported tree) are looked at, so a long
/// history costs little more than its changes.
///
/// Between commits it remembers packages by their [`PackageMark`] only, never by the loaded
/// package: a numbering read back from the persistent cache (`history_cache`) goes on exactly
/// as the one that wrote it would have.
#[derive(Default)]
pub(crate) struct Numbering {
    pub(crate) events: BTreeMap<(String, String), Arc<EventHistory>>,
    pub(crate) problems: Vec<CommitProblem>,
    /// The package state each directory had at the last commit.
    pub(crate) previous_packages: HashMap<String, Arc<PackageMark>>,
    /// The package state whose events stand for each source id, as of the last commit.
    pub(crate) providers: HashMap<String, Arc<PackageMark>>,
    pub(crate) head: Option<CommitInfo>,
    pub(crate) commits: usize,
    /// The head (and commit count) this numbering went on from: see
    /// [`History::continued_from`].
    pub(crate) continued_from: Option<(String, usize)>,
}

/// What numbering remembers of a package state from one commit to the next: enough to number
/// a commit at which the package is unchanged without loading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PackageMark {
    /// A digest of what the state was loaded from (directory, tree ids of the package and of
    /// every package it imports, module path): equal digests, same loaded package.
    pub(crate) state: [u8; 32],
    /// The package's directory (`sources/orders`).
    pub(crate) directory: String,
    /// Its `source.id`, when it declares a valid one.
    pub(crate) id: Option<String>,
    /// Whether it declares the source contract.
    pub(crate) is_source: bool,
    /// Whether it has errors (then it makes no versions).
    pub(crate) has_errors: bool,
    /// The event types the package declares, in declaration order.
    pub(crate) types: Vec<String>,
}

impl PackageMark {
    /// The mark of `source`, loaded from the state whose digest is `state`.
    pub(crate) fn of(state: [u8; 32], source: &Source) -> PackageMark {
        PackageMark {
            state,
            directory: source.directory.clone(),
            id: source.id.clone(),
            is_source: source.is_source,
            has_errors: source.has_errors(),
            types: source
                .events
                .iter()
                .map(|event| event.event_type.clone())
                .collect(),
        }
    }
}

/// A package at one commit, for [`Numbering::step`]: its mark, and the loaded package unless
/// the state is the one the numbering already holds for its directory (a numbering read back
/// from the cache goes on without loading the packages the next commit leaves unchanged).
pub(crate) type PackageAt = (Arc<PackageMark>, Option<Arc<Source>>);

impl Numbering {
    /// The last commit numbered.
    pub(crate) fn head(&self) -> Option<&CommitInfo> {
        self.head.as_ref()
    }

    /// The versions numbered so far, as a [`History`] of `branch`: the event histories are
    /// shared with the numbering, not copied.
    pub(crate) fn history(&self, branch: &str) -> History {
        History {
            branch: branch.to_string(),
            head: self.head.clone(),
            commits: self.commits,
            events: self.events.values().cloned().collect(),
            problems: self.problems.clone(),
            continued_from: self.continued_from.clone(),
        }
    }

    /// Numbers the versions `commit` makes, given its packages. A package comes without its
    /// loaded form only when its state is the one its directory had at the previous commit.
    ///
    /// `load` loads the package at a position of `packages` given without it, for the rare
    /// commit at which an unchanged package starts to provide its id (another directory that
    /// claimed it first went away).
    pub(crate) fn step(
        &mut self,
        commit: CommitInfo,
        packages: &[PackageAt],
        load: &mut dyn FnMut(usize) -> Option<Arc<Source>>,
    ) {
        let events = &mut self.events;
        let providers = &self.providers;
        // This commit's position on the first-parent history: the commits numbered before it.
        let commit_position = self.commits;
        self.commits += 1;
        let mut current_packages = HashMap::with_capacity(packages.len());
        // The provider of each id with its loaded package; `None` for a provider whose state
        // is unchanged, which then makes no versions.
        let mut current_providers: HashMap<String, (Arc<PackageMark>, Option<usize>)> =
            HashMap::new();
        // Ids whose events are unknown at this commit (their package does not load): they
        // keep their previous provider, so their events are neither versioned nor removed.
        let mut unknown: HashSet<&str> = HashSet::new();
        for (position, (mark, source)) in packages.iter().enumerate() {
            let unchanged = self
                .previous_packages
                .get(&mark.directory)
                .is_some_and(|previous| same_state(previous, mark));
            current_packages.insert(mark.directory.clone(), mark.clone());
            if mark.has_errors {
                let changed = (!unchanged)
                    .then(|| source.clone().or_else(|| load(position)))
                    .flatten();
                if let Some(source) = changed {
                    self.problems.push(CommitProblem {
                        commit: commit.clone(),
                        directory: source.directory.clone(),
                        diagnostics: source
                            .diagnostics
                            .iter()
                            .filter(|d| d.severity == cue::Severity::Error)
                            .cloned()
                            .collect(),
                        files: source.files.clone(),
                    });
                }
                if let Some(id) = &mark.id {
                    unknown.insert(id);
                }
                continue;
            }
            let Some(id) = &mark.id else { continue };
            if mark.is_source && !current_providers.contains_key(id) {
                // The first directory (in order) that claims an id provides its events.
                current_providers.insert(id.clone(), (mark.clone(), Some(position)));
            }
        }
        for id in &unknown {
            if !current_providers.contains_key(*id) {
                if let Some(previous) = providers.get(*id) {
                    current_providers.insert((*id).to_string(), (previous.clone(), None));
                }
            }
        }
        // Sources whose provider changed: new versions, and types that went away.
        let shared_commit = Arc::new(commit.clone());
        for (id, (mark, position)) in &current_providers {
            let previous = providers.get(id);
            if previous.is_some_and(|previous| same_state(previous, mark)) {
                continue;
            }
            // A provider carried over (no position) is the previous one: handled above.
            let Some(position) = *position else { continue };
            let Some(provider) = packages[position].1.clone().or_else(|| load(position)) else {
                continue;
            };
            for event in &provider.events {
                let Some(schema) = &event.schema else {
                    continue;
                };
                let key = (id.clone(), event.event_type.clone());
                let history = events.entry(key).or_insert_with(|| {
                    Arc::new(EventHistory {
                        source: id.clone(),
                        event_type: event.event_type.clone(),
                        versions: Vec::new(),
                        removed_in: None,
                    })
                });
                let current = history.latest().map(|v| &v.digest) == Some(&schema.digest);
                if current && history.removed_in.is_none() {
                    // Nothing to change: the history stays shared with earlier `History`s.
                    continue;
                }
                let history = Arc::make_mut(history);
                history.removed_in = None;
                if current {
                    continue;
                }
                let number = history.versions.len() as u32 + 1;
                history.versions.push(Version {
                    number,
                    digest: schema.digest.clone(),
                    commit: shared_commit.clone(),
                    position: commit_position,
                    directory: provider.directory.clone(),
                    definition: event.definition.clone(),
                    cue_text: event.definition_text.clone(),
                    schema: schema.clone(),
                });
            }
            if let Some(previous) = previous {
                mark_removed(events, id, previous, Some(&provider), &commit);
            }
        }
        for (id, previous) in providers {
            if !current_providers.contains_key(id) {
                mark_removed(events, id, previous, None, &commit);
            }
        }
        self.previous_packages = current_packages;
        self.providers = current_providers
            .into_iter()
            .map(|(id, (mark, _))| (id, mark))
            .collect();
        self.head = Some(commit);
    }
}

/// Whether two marks stand for one package state (the same `Arc` most of the time).
fn same_state(a: &Arc<PackageMark>, b: &Arc<PackageMark>) -> bool {
    Arc::ptr_eq(a, b) || a.state == b.state
}

/// Records `commit` as the removal of every type `previous` declared that `current` does not
/// declare with a schema.
fn mark_removed(
    events: &mut BTreeMap<(String, String), Arc<EventHistory>>,
    id: &str,
    previous: &PackageMark,
    current: Option<&Arc<Source>>,
    commit: &CommitInfo,
) {
    for event_type in &previous.types {
        let still_there = current.is_some_and(|current| {
            current
                .event(event_type)
                .is_some_and(|now| now.schema.is_some())
        });
        if still_there {
            continue;
        }
        if let Some(history) = events.get_mut(&(id.to_string(), event_type.clone())) {
            if history.removed_in.is_none() {
                Arc::make_mut(history).removed_in = Some(commit.clone());
            }
        }
    }
}
