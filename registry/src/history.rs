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

use crate::canonical::{CanonicalSchema, Digest};
use crate::commit::CommitInfo;
use crate::source::Source;
use cue::{Diagnostic, SourceMap};
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
    pub events: Vec<EventHistory>,
    /// Packages that failed to load, each at the commit that broke it.
    pub problems: Vec<CommitProblem>,
}

/// The versions of one event type.
#[derive(Debug)]
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
    /// The commit that introduced this schema.
    pub commit: CommitInfo,
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

/// Numbers versions over the loaded packages of each commit, oldest first.
pub(crate) fn number_versions(
    branch: &str,
    commits: impl Iterator<Item = (CommitInfo, Vec<Arc<Source>>)>,
) -> History {
    let mut events: BTreeMap<(String, String), EventHistory> = BTreeMap::new();
    let mut problems = Vec::new();
    // The tree id of each directory's package at the previous commit, so that a broken
    // package is reported once, where it broke, not at every commit until it is fixed.
    let mut previous_trees: HashMap<String, String> = HashMap::new();
    let mut head = None;
    let mut count = 0;
    for (commit, sources) in commits {
        count += 1;
        let mut current_trees = HashMap::new();
        let mut present: HashSet<(String, String)> = HashSet::new();
        // Sources whose events are unknown at this commit (they do not load): theirs are
        // neither versioned nor removed.
        let mut unknown_sources: HashSet<String> = HashSet::new();
        let mut claimed_ids: HashSet<String> = HashSet::new();
        for source in &sources {
            current_trees.insert(source.directory.clone(), source.tree_id.clone());
            let changed = previous_trees.get(&source.directory) != Some(&source.tree_id);
            if source.has_errors() {
                if changed {
                    problems.push(CommitProblem {
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
                if let Some(id) = &source.id {
                    unknown_sources.insert(id.clone());
                }
                continue;
            }
            let Some(id) = &source.id else { continue };
            if !source.is_source || !claimed_ids.insert(id.clone()) {
                continue;
            }
            for event in &source.events {
                let Some(schema) = &event.schema else {
                    continue;
                };
                let key = (id.clone(), event.event_type.clone());
                present.insert(key.clone());
                let history = events.entry(key).or_insert_with(|| EventHistory {
                    source: id.clone(),
                    event_type: event.event_type.clone(),
                    versions: Vec::new(),
                    removed_in: None,
                });
                history.removed_in = None;
                if history.latest().map(|v| &v.digest) == Some(&schema.digest) {
                    continue;
                }
                let number = history.versions.len() as u32 + 1;
                history.versions.push(Version {
                    number,
                    digest: schema.digest.clone(),
                    commit: commit.clone(),
                    directory: source.directory.clone(),
                    definition: event.definition.clone(),
                    cue_text: event.definition_text.clone(),
                    schema: schema.clone(),
                });
            }
        }
        for ((source, _), history) in events.iter_mut() {
            let key = (history.source.clone(), history.event_type.clone());
            if history.removed_in.is_none()
                && !present.contains(&key)
                && !unknown_sources.contains(source)
            {
                history.removed_in = Some(commit.clone());
            }
        }
        previous_trees = current_trees;
        head = Some(commit);
    }
    History {
        branch: branch.to_string(),
        head,
        commits: count,
        events: events.into_values().collect(),
        problems,
    }
}
