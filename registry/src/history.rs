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
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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
/// [`Numbering::step`] takes, per commit oldest first, the package directories whose state
/// may differ from the previous commit's, and costs what those changes cost: the package
/// states and the claims on each source id are kept from one commit to the next, so a long
/// history of many sources costs little more than its changes.
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
    /// Who claims each source id in `previous_packages`, made from it on the first step (a
    /// numbering read from the cache has only the packages) and kept in step with it after.
    pub(crate) claims: Option<Claims>,
}

/// The claims on source ids of a numbering's packages, for finding each id's provider without
/// going over every package of a commit.
#[derive(Default)]
pub(crate) struct Claims {
    /// Per id, the directories whose package declares it as its source without errors, in
    /// directory order: the first provides the id's events.
    sources: HashMap<String, BTreeMap<DirectoryOrder, Arc<PackageMark>>>,
    /// Per id, how many packages with errors declare it: while there is one and no package
    /// provides the id, its events are unknown and keep their previous provider.
    broken: HashMap<String, usize>,
}

impl Claims {
    fn of(packages: &HashMap<String, Arc<PackageMark>>) -> Claims {
        let mut claims = Claims::default();
        for mark in packages.values() {
            claims.add(mark);
        }
        claims
    }

    fn add(&mut self, mark: &Arc<PackageMark>) {
        let Some(id) = &mark.id else { return };
        if mark.has_errors {
            *self.broken.entry(id.clone()).or_default() += 1;
        } else if mark.is_source {
            self.sources
                .entry(id.clone())
                .or_default()
                .insert(DirectoryOrder(mark.directory.clone()), mark.clone());
        }
    }

    fn remove(&mut self, mark: &PackageMark) {
        let Some(id) = &mark.id else { return };
        if mark.has_errors {
            if let Some(count) = self.broken.get_mut(id) {
                *count -= 1;
                if *count == 0 {
                    self.broken.remove(id);
                }
            }
        } else if mark.is_source {
            if let Some(claimants) = self.sources.get_mut(id) {
                claimants.remove(&DirectoryOrder(mark.directory.clone()));
                if claimants.is_empty() {
                    self.sources.remove(id);
                }
            }
        }
    }

    /// The package that provides `id`'s events: the first directory declaring it.
    fn provider(&self, id: &str) -> Option<&Arc<PackageMark>> {
        self.sources.get(id)?.values().next()
    }
}

/// A package directory, ordered as Git orders the subtrees of one tree (by name, each name
/// compared as if it ended with `/`): the order the directories of `sources/` are read in.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DirectoryOrder(String);

impl Ord for DirectoryOrder {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        directory_order(&self.0, &other.0)
    }
}

/// Git's order of two subtrees' names: `a/` against `b/`.
fn directory_order(a: &str, b: &str) -> std::cmp::Ordering {
    let slash = std::iter::once(b'/');
    a.bytes().chain(slash.clone()).cmp(b.bytes().chain(slash))
}

impl PartialOrd for DirectoryOrder {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
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

/// A package at one commit, for [`Numbering::step`]: its mark, and the loaded package when the
/// caller has it at hand (a state seen before, or one the numbering resumed from, comes
/// without it; `step` asks for it only when it needs it).
pub(crate) type PackageAt = (Arc<PackageMark>, Option<Arc<Source>>);

/// What one commit holds at a package directory, for [`Numbering::step`]: its package, or
/// `None` when the directory holds no package (any more).
pub(crate) type PackageChange<'a> = (&'a str, Option<PackageAt>);

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

    /// Numbers the versions `commit` makes, given its package directories that may have
    /// changed since the previous commit (`changes`, in directory order). With `complete`,
    /// `changes` is every package directory of the commit, and a directory numbered before
    /// that is not among them holds no package any more; without it, every directory not
    /// among `changes` keeps its package state. A change to the state a directory already
    /// had is no change.
    ///
    /// `load` loads the package of a directory (at this commit) given without its loaded
    /// form, when numbering needs it: a state seen before that comes back with errors, or an
    /// unchanged package that starts to provide its id (another directory that claimed it
    /// first went away).
    pub(crate) fn step(
        &mut self,
        commit: CommitInfo,
        changes: &[PackageChange<'_>],
        complete: bool,
        load: &mut dyn FnMut(&str) -> Option<Arc<Source>>,
    ) {
        // This commit's position on the first-parent history: the commits numbered before it.
        let commit_position = self.commits;
        self.commits += 1;
        let claims = self
            .claims
            .get_or_insert_with(|| Claims::of(&self.previous_packages));
        let mut changes: Vec<(&str, Option<&PackageAt>)> = changes
            .iter()
            .map(|(directory, package)| (*directory, package.as_ref()))
            .collect();
        let gone: Vec<String> = if complete {
            let present: HashSet<&str> = changes.iter().map(|(directory, _)| *directory).collect();
            self.previous_packages
                .keys()
                .filter(|directory| !present.contains(directory.as_str()))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        changes.extend(gone.iter().map(|directory| (directory.as_str(), None)));
        // Problems are recorded in directory order, as the directories are read.
        changes.sort_by(|a, b| directory_order(a.0, b.0));
        // The ids whose claims changed, and the loaded package of each changed directory.
        let mut affected: BTreeSet<String> = BTreeSet::new();
        let mut loaded: HashMap<&str, Option<Arc<Source>>> = HashMap::new();
        for (directory, package) in changes {
            let previous = self.previous_packages.get(directory);
            if let (Some(previous), Some((mark, _))) = (previous, package) {
                if same_state(previous, mark) {
                    continue;
                }
            }
            if let Some(previous) = previous {
                claims.remove(previous);
                affected.extend(previous.id.clone());
            }
            let Some((mark, source)) = package else {
                self.previous_packages.remove(directory);
                continue;
            };
            self.previous_packages
                .insert(directory.to_string(), mark.clone());
            claims.add(mark);
            affected.extend(mark.id.clone());
            if mark.has_errors {
                if let Some(source) = source.clone().or_else(|| load(directory)) {
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
            } else {
                loaded.insert(directory, source.clone());
            }
        }
        let events = &mut self.events;
        let mut shared_commit: Option<Arc<CommitInfo>> = None;
        for id in &affected {
            let previous = self.providers.get(id).cloned();
            let Some(mark) = claims.provider(id).cloned() else {
                if claims.broken.contains_key(id) {
                    // Its events are unknown at this commit (its package does not load):
                    // they keep their previous provider, neither versioned nor removed.
                    continue;
                }
                if let Some(previous) = self.providers.remove(id) {
                    mark_removed(events, id, &previous, None, &commit);
                }
                continue;
            };
            self.providers.insert(id.clone(), mark.clone());
            if previous
                .as_ref()
                .is_some_and(|previous| same_state(previous, &mark))
            {
                continue;
            }
            // A new provider: new versions, and types that went away.
            let given = loaded.get(mark.directory.as_str()).cloned().flatten();
            let Some(provider) = given.or_else(|| load(&mark.directory)) else {
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
                let commit = shared_commit
                    .get_or_insert_with(|| Arc::new(commit.clone()))
                    .clone();
                history.versions.push(Version {
                    number,
                    digest: schema.digest.clone(),
                    commit,
                    position: commit_position,
                    directory: provider.directory.clone(),
                    definition: event.definition.clone(),
                    cue_text: event.definition_text.clone(),
                    schema: schema.clone(),
                });
            }
            if let Some(previous) = previous {
                mark_removed(events, id, &previous, Some(&provider), &commit);
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{load_source, PreparedSource};
    use sha2::Digest as _;

    /// The package `text` in `directory`, with a state digest of both.
    fn package(directory: &str, text: &str) -> PackageAt {
        let source = load_source(PreparedSource {
            directory: directory.into(),
            tree_id: git2::Oid::zero(),
            files: cue::PackageFiles {
                files: vec![(format!("{directory}/p.cue"), text.into())],
            },
            imports: HashMap::new(),
            examples: Vec::new(),
        });
        let state: [u8; 32] = sha2::Sha256::digest(format!("{directory}\n{text}")).into();
        (
            Arc::new(PackageMark::of(state, &source)),
            Some(Arc::new(source)),
        )
    }

    /// A source `id` with `shop.paid` (its amount at most `bound`) and, with `note`, `shop.note`.
    fn shop(id: &str, bound: u32, note: bool) -> String {
        let note_event = if note { "\t\"shop.note\": #Note\n" } else { "" };
        format!(
            "package p\nsource: {{id: \"{id}\", owner: \"@o\"}}\nevents: {{\n\t\"shop.paid\": #Paid\n{note_event}}}\n#Paid: {{amount: int & <={bound}}}\n#Note: {{text: string}}\n"
        )
    }

    fn commit(number: usize) -> CommitInfo {
        CommitInfo {
            id: format!("{number:040x}"),
            author: "Ada".into(),
            email: "ada@example.com".into(),
            time: 1_700_000_000 + number as i64,
            offset_minutes: 0,
        }
    }

    /// What a numbering holds, for comparing two: every version (source, type, number,
    /// digest, commit, position, directory), every removal, every problem, the providers.
    fn outline(numbering: &Numbering) -> Vec<String> {
        let mut lines = Vec::new();
        for ((source, event_type), history) in &numbering.events {
            for version in &history.versions {
                lines.push(format!(
                    "{source} {event_type} v{} {} at {} ({}) in {}",
                    version.number,
                    version.digest,
                    version.commit.id,
                    version.position,
                    version.directory
                ));
            }
            if let Some(removed) = &history.removed_in {
                lines.push(format!("{source} {event_type} removed at {}", removed.id));
            }
        }
        for problem in &numbering.problems {
            lines.push(format!(
                "problem {} at {}",
                problem.directory, problem.commit.id
            ));
        }
        let mut providers: Vec<String> = numbering
            .providers
            .iter()
            .map(|(id, mark)| format!("provider {id} {}", mark.directory))
            .collect();
        providers.sort();
        lines.extend(providers);
        lines
    }

    #[test]
    fn numbering_the_changes_alone_gives_what_numbering_every_package_gives() {
        // Each commit: every package directory with its text.
        let broken = "package p\nsource: {id: \"Shop\", owner: \"@o\"}\nevents: {\"shop.paid\": #Paid}\n#Paid: {amount: int & <=nowhere}\n";
        let (mark, _) = package("sources/a", broken);
        assert!(
            mark.has_errors && mark.id.as_deref() == Some("Shop"),
            "{mark:?}"
        );
        let commits: Vec<Vec<(&str, String)>> = vec![
            vec![("sources/a", shop("Shop", 1, true))],
            // `sources/a-b` comes before `sources/a` in Git's order (`a-b/` < `a/`): it
            // provides `Shop` from now on, though `a` < `a-b` as strings.
            vec![
                ("sources/a", shop("Shop", 1, true)),
                ("sources/a-b", shop("Shop", 2, true)),
            ],
            // A change to the directory that does not provide the id makes no version.
            vec![
                ("sources/a", shop("Shop", 3, true)),
                ("sources/a-b", shop("Shop", 2, true)),
            ],
            // The provider goes: `a`, unchanged, provides again (loaded for it), without
            // `shop.note` in `a-b`'s last state it is not removed since `a` declares it.
            vec![("sources/a", shop("Shop", 3, true))],
            // Broken: its events keep their provider, neither versioned nor removed.
            vec![("sources/a", broken.to_string())],
            vec![
                ("sources/a", broken.to_string()),
                ("sources/other", shop("Other", 1, false)),
            ],
            // Fixed, without `shop.note`: removed here.
            vec![
                ("sources/a", shop("Shop", 4, false)),
                ("sources/other", shop("Other", 1, false)),
            ],
            // Back to an earlier state: a version again, `shop.note` back.
            vec![
                ("sources/a", shop("Shop", 3, true)),
                ("sources/other", shop("Other", 1, false)),
            ],
            // Every package gone.
            vec![],
        ];
        let mut whole = Numbering::default();
        let mut changes_only = Numbering::default();
        let mut previous: BTreeMap<&str, String> = BTreeMap::new();
        let mut loads: Vec<String> = Vec::new();
        for (number, packages) in commits.iter().enumerate() {
            let current: BTreeMap<&str, String> = packages.iter().cloned().collect();
            let all: Vec<(&str, Option<PackageAt>)> = packages
                .iter()
                .map(|(directory, text)| (*directory, Some(package(directory, text))))
                .collect();
            whole.step(commit(number), &all, true, &mut |directory| {
                current
                    .get(directory)
                    .and_then(|text| package(directory, text).1)
            });
            // Only what changed, and without the loaded package of a state seen before.
            let mut changed: Vec<(&str, Option<PackageAt>)> = Vec::new();
            for (directory, text) in &current {
                if previous.get(directory) != Some(text) {
                    let (mark, source) = package(directory, text);
                    let seen = commits[..number]
                        .iter()
                        .flatten()
                        .any(|(d, t)| d == directory && t == text);
                    changed.push((directory, Some((mark, source.filter(|_| !seen)))));
                }
            }
            for directory in previous.keys() {
                if !current.contains_key(directory) {
                    changed.push((directory, None));
                }
            }
            changes_only.step(commit(number), &changed, false, &mut |directory| {
                loads.push(format!("{directory} at {number}"));
                current
                    .get(directory)
                    .and_then(|text| package(directory, text).1)
            });
            assert_eq!(
                outline(&changes_only),
                outline(&whole),
                "after commit {number}"
            );
            let mut directories: Vec<&str> = changes_only
                .previous_packages
                .keys()
                .map(String::as_str)
                .collect();
            directories.sort();
            assert_eq!(directories, current.keys().copied().collect::<Vec<_>>());
            previous = current;
        }
        let lines = outline(&whole);
        let paid: Vec<&String> = lines
            .iter()
            .filter(|line| line.starts_with("Shop shop.paid v"))
            .collect();
        // v1 from `a`, v2 from `a-b` (first in Git's order), v3 from `a` again when `a-b`
        // goes, v4 after the fix, v5 back to the bound of v3.
        let directories: Vec<&str> = paid
            .iter()
            .map(|line| line.rsplit(' ').next().unwrap_or_default())
            .collect();
        assert_eq!(
            directories,
            [
                "sources/a",
                "sources/a-b",
                "sources/a",
                "sources/a",
                "sources/a"
            ],
            "{lines:#?}"
        );
        let positions: Vec<bool> = [0, 1, 3, 6, 7]
            .iter()
            .zip(&paid)
            .map(|(position, line)| line.contains(&format!("({position})")))
            .collect();
        assert!(positions.iter().all(|ok| *ok), "{lines:#?}");
        assert!(
            lines.contains(&format!("Shop shop.note removed at {}", commit(8).id)),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&format!("problem sources/a at {}", commit(4).id)),
            "{lines:#?}"
        );
        assert_eq!(
            lines
                .iter()
                .filter(|line| line.starts_with("problem"))
                .count(),
            1,
            "{lines:#?}"
        );
        // `a`'s unchanged state was loaded when it took `Shop` over, and the state of
        // commit 3 when it came back at commit 7.
        assert_eq!(loads, ["sources/a at 3", "sources/a at 7"]);
        assert!(changes_only.providers.is_empty());
    }
}
