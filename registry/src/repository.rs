//! `Repository`: the governance repository read from Git at any ref, without a checkout.
//! `snapshot` loads every source at one commit; `history` numbers versions along the
//! first-parent history of a branch. Loaded packages are cached by tree id.

use crate::commit::CommitInfo;
use crate::error::Error;
use crate::files::MODULE_FILE;
use crate::history::{self, CommitProblem, History};
use crate::history_cache::HistoryCache;
use crate::source::{self, PreparedSource, SchemaCache, Source, EXAMPLES_DIRECTORY};
use crate::tree;
use cue::{Diagnostic, SourceMap};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::files::SOURCES_DIRECTORY;

/// How many package states a history load hands to the thread pool before it waits for one to
/// be evaluated: enough to keep every core busy, few enough that the walk stays close to the
/// numbering (what waits in between is held in memory).
const MAX_EVALUATIONS_IN_FLIGHT: usize = 64;

/// The address of a key: commits share key allocations (see `Cache::keys`), so a state is
/// looked up by address rather than hashed once per commit. The pipeline holds every key it
/// looks up this way, so no address is reused for another key meanwhile.
fn address(key: &Arc<SourceKey>) -> usize {
    Arc::as_ptr(key) as usize
}

/// The package directories of a commit whose key may have changed since the commit walked
/// before it, with their keys: `None` where the directory holds no package any more.
type LayoutChanges = Vec<(String, Option<Arc<SourceKey>>)>;

/// One commit walked and not numbered yet.
struct WalkedCommit {
    info: CommitInfo,
    changes: LayoutChanges,
    /// Whether `changes` is every package directory of the commit (the first one walked).
    complete: bool,
}

/// A package state a history load met.
struct PipelineState {
    key: Arc<SourceKey>,
    /// Whether it is a package of the branch tip (kept whole, in the cache).
    tip: bool,
    /// Its mark, once evaluated.
    mark: Option<Arc<history::PackageMark>>,
    /// The loaded package, until the commit that introduced it is numbered (for the tip's
    /// packages, for good).
    source: Option<Arc<Source>>,
}

/// The numbering side of [`Repository::number`]: states met, commits waiting for their
/// states, and the layout of the last commit numbered.
struct Pipeline {
    states: HashMap<usize, PipelineState>,
    queue: std::collections::VecDeque<WalkedCommit>,
    /// The key of each package directory at the last commit numbered, for loading one again.
    numbered_layout: HashMap<String, Arc<SourceKey>>,
    /// States handed to the pool and not arrived yet.
    in_flight: usize,
}

impl Pipeline {
    /// Takes the evaluation of the state at address `at`.
    fn arrived(&mut self, repository: &Repository, at: usize, source: Source) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let Some(state) = self.states.get_mut(&at) else {
            return;
        };
        let source = Arc::new(source);
        state.mark = Some(Arc::new(history::PackageMark::of(
            state.key.digest(),
            &source,
        )));
        if state.tip {
            repository
                .lock()
                .sources
                .insert((*state.key).clone(), source.clone());
        }
        state.source = Some(source);
    }

    /// Numbers the waiting commits, oldest first, up to the first whose states are not all
    /// evaluated.
    fn number_ready(
        &mut self,
        repository: &Repository,
        numbering: &mut history::Numbering,
        tip_keys: &HashSet<SourceKey>,
    ) -> Result<(), Error> {
        while let Some(front) = self.queue.front() {
            let ready = front
                .changes
                .iter()
                .filter_map(|(_, key)| key.as_ref())
                .all(|key| {
                    self.states
                        .get(&address(key))
                        .is_some_and(|state| state.mark.is_some())
                });
            if !ready {
                break;
            }
            let Some(walked) = self.queue.pop_front() else {
                break;
            };
            if walked.complete {
                self.numbered_layout.clear();
            }
            for (directory, key) in &walked.changes {
                match key {
                    Some(key) => {
                        self.numbered_layout.insert(directory.clone(), key.clone());
                    }
                    None => {
                        self.numbered_layout.remove(directory);
                    }
                }
            }
            let states = &self.states;
            let changes: Vec<history::PackageChange<'_>> = walked
                .changes
                .iter()
                .map(|(directory, key)| {
                    let package = key
                        .as_ref()
                        .and_then(|key| states.get(&address(key)))
                        .and_then(|state| Some((state.mark.clone()?, state.source.clone())));
                    (directory.as_str(), package)
                })
                .collect();
            let layout = &self.numbered_layout;
            let commit_id = walked.info.id.clone();
            let mut failure = None;
            let mut load = |directory: &str| -> Option<Arc<Source>> {
                let key = layout.get(directory)?;
                if let Some(source) = repository.lock().sources.get(&**key) {
                    return Some(source.clone());
                }
                match repository.prepare(&commit_id, key) {
                    Ok(prepared) => {
                        let source =
                            Arc::new(source::load_source_with(prepared, &repository.schemas));
                        if tip_keys.contains(&**key) {
                            repository
                                .lock()
                                .sources
                                .insert((**key).clone(), source.clone());
                        }
                        Some(source)
                    }
                    Err(error) => {
                        failure = Some(error);
                        None
                    }
                }
            };
            numbering.step(walked.info, &changes, walked.complete, &mut load);
            if let Some(error) = failure {
                // The numbering is incomplete: nothing of it is kept.
                return Err(error);
            }
            drop(changes);
            // Later commits need the states this one introduced as marks only.
            for key in walked.changes.iter().filter_map(|(_, key)| key.as_ref()) {
                if let Some(state) = self.states.get_mut(&address(key)) {
                    if !state.tip {
                        state.source = None;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The previous commit's view of `sources/` in a history walk, for the next commit's (see
/// [`Repository::walk_layout`]).
#[derive(Default)]
struct WalkedLayout {
    /// Whether a commit was walked: the fields below are then its.
    started: bool,
    module_blob: Option<git2::Oid>,
    module: Option<String>,
    sources: Option<git2::Oid>,
    /// Every subtree of `sources/`, in tree order, with its package's key (`None`: not a
    /// package, or one the walk leaves out).
    entries: Vec<WalkedEntry>,
    /// The tree each import path of the keys named (it may hold paths no key imports any
    /// more: a superset costs a look at the keys when such a path moves, nothing else).
    imports: HashMap<String, Option<git2::Oid>>,
}

struct WalkedEntry {
    name: String,
    tree: git2::Oid,
    key: Option<Arc<SourceKey>>,
}

/// A governance repository, opened once and read at any number of refs.
///
/// It is `Send` but not `Sync` (the Git handle is not): share it behind a `Mutex`, or open one
/// per thread. The package cache is shared by every `snapshot` and `history` call.
pub struct Repository {
    git: git2::Repository,
    path: PathBuf,
    cache: Mutex<Cache>,
    /// Canonical schemas by definition key, apart from `cache`: packages loading in parallel
    /// consult it without waiting on each other's Git reads.
    schemas: SchemaCache,
    /// Told how far each history load has got (see [`Repository::set_progress`]).
    progress: Option<ProgressObserver>,
    /// The numbering of the last whole history loaded, by branch: the next load of that branch
    /// goes on from its head when the branch moved forward along its first parents.
    numbered: Mutex<Option<(String, history::Numbering)>>,
    /// Where numberings are kept between processes (see [`Repository::set_history_cache`]).
    history_cache: Option<HistoryCache>,
    /// Whether `numbered` holds commits its cache file does not.
    unsaved: std::sync::atomic::AtomicBool,
    /// Told what could not be used or written (see [`Repository::set_warnings`]).
    warnings: Option<WarningObserver>,
}

/// Called with a warning the repository cannot return as an error because it goes on without
/// the thing warned about (a damaged history cache, say).
pub type WarningObserver = Arc<dyn Fn(&str) + Send + Sync>;

/// How far a history load has got, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryProgress {
    /// Commits of the first-parent history walked so far.
    pub commits: usize,
    /// Whether the walk is over: `commits` is then the length of the history.
    pub walked: bool,
    /// Package states (a package tree with the trees it imports) found that were not loaded
    /// before: the evaluations this load needs, known in full once `walked`.
    pub states: usize,
    /// How many of those states are evaluated.
    pub evaluated: usize,
}

/// Called with each step of a history load, from the loading threads: it must be cheap (a
/// display throttles itself).
pub type ProgressObserver = Arc<dyn Fn(HistoryProgress) + Send + Sync>;

/// The counters of one history load, shared by the walking thread and the pool.
#[derive(Default)]
struct ProgressCounters {
    commits: std::sync::atomic::AtomicUsize,
    walked: std::sync::atomic::AtomicBool,
    states: std::sync::atomic::AtomicUsize,
    evaluated: std::sync::atomic::AtomicUsize,
}

impl ProgressCounters {
    fn report(&self, observer: Option<&ProgressObserver>) {
        use std::sync::atomic::Ordering::SeqCst;
        if let Some(observer) = observer {
            // Evaluated before found: a state is counted as found before it is evaluated, so
            // read in this order a report never shows more evaluated than found.
            let evaluated = self.evaluated.load(SeqCst);
            observer(HistoryProgress {
                commits: self.commits.load(SeqCst),
                walked: self.walked.load(SeqCst),
                states: self.states.load(SeqCst),
                evaluated,
            });
        }
    }
}

/// Everything loaded, keyed by what it was loaded from.
#[derive(Default)]
struct Cache {
    sources: HashMap<SourceKey, Arc<Source>>,
    /// The non-builtin imports of each package tree (`None`: not a package).
    imports: HashMap<git2::Oid, Option<Arc<[String]>>>,
    /// The module path of each `cue.mod/module.cue` blob.
    modules: HashMap<git2::Oid, Option<String>>,
    /// The latest key made for each package tree, so that the commits of a long history share
    /// one key per package state instead of building (and hashing) one per commit.
    keys: HashMap<git2::Oid, Arc<SourceKey>>,
}

/// What a loaded source depends on: its directory (file names appear in diagnostics), its
/// tree, the module path, and the tree of every package it imports, directly or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SourceKey {
    directory: String,
    tree: git2::Oid,
    module: Option<String>,
    imports: Vec<(String, Option<git2::Oid>)>,
}

impl SourceKey {
    /// A digest of everything the key holds, in a fixed order: what the persistent cache
    /// remembers a package state by.
    pub(crate) fn digest(&self) -> [u8; 32] {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        let mut part = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        part(self.directory.as_bytes());
        part(self.tree.as_bytes());
        match &self.module {
            Some(module) => part(format!("module {module}").as_bytes()),
            None => part(b"no module"),
        }
        for (import, tree) in &self.imports {
            part(import.as_bytes());
            part(tree.as_ref().map_or(&[][..], |tree| tree.as_bytes()));
        }
        hasher.finalize().into()
    }
}

/// The governance repository at one commit.
#[derive(Debug)]
pub struct Snapshot {
    pub commit: CommitInfo,
    /// The path of the CUE module (`cue.mod/module.cue`), when there is one.
    pub module: Option<String>,
    /// The sources (packages declaring `source`/`events`) in directory order.
    pub sources: Vec<Arc<Source>>,
    /// The shared packages of types under `sources/` (no `source`, no `events`).
    pub shared: Vec<Arc<Source>>,
    /// Problems of the repository as a whole (no module file, two sources with one id). Each
    /// names the directory whose files its spans point into, if any.
    pub diagnostics: Vec<RepositoryDiagnostic>,
}

/// The registry settings of a repository at one ref (see [`Repository::settings`]).
#[derive(Debug)]
pub struct RepositorySettings {
    /// What the file says, with the defaults for what it does not say or says wrongly.
    pub settings: crate::settings::Settings,
    /// Each problem of the file, with its position.
    pub problems: Vec<crate::finding::Finding>,
    /// The file's text, for the problems' positions.
    pub sources: crate::finding::Sources,
}

/// A diagnostic that is not about one package alone.
#[derive(Debug, Clone)]
pub struct RepositoryDiagnostic {
    /// The source directory whose [`Source::files`] the spans point into; `None` for a
    /// diagnostic without a position in a package (such as a missing module file).
    pub directory: Option<String>,
    pub diagnostic: Diagnostic,
}

impl Snapshot {
    /// The source whose `source.id` is `id`.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources
            .iter()
            .map(|source| &**source)
            .find(|source| source.id.as_deref() == Some(id))
    }

    /// Every diagnostic of the snapshot with the files its spans point into: the repository's
    /// own, then each package's, in directory order.
    pub fn all_diagnostics(&self) -> Vec<(&SourceMap, &Diagnostic)> {
        let empty: &SourceMap = empty_source_map();
        let mut all = Vec::new();
        for item in &self.diagnostics {
            let files = item
                .directory
                .as_deref()
                .and_then(|directory| self.package(directory))
                .map_or(empty, |package| &*package.files);
            all.push((files, &item.diagnostic));
        }
        let mut packages: Vec<&Arc<Source>> = self.sources.iter().chain(&self.shared).collect();
        packages.sort_by(|a, b| a.directory.cmp(&b.directory));
        for package in packages {
            for diagnostic in &package.diagnostics {
                all.push((&*package.files, diagnostic));
            }
        }
        all
    }

    /// The package (source or shared) in `directory`.
    pub fn package(&self, directory: &str) -> Option<&Source> {
        self.sources
            .iter()
            .chain(&self.shared)
            .map(|source| &**source)
            .find(|source| source.directory == directory)
    }
}

fn empty_source_map() -> &'static SourceMap {
    static EMPTY: std::sync::OnceLock<SourceMap> = std::sync::OnceLock::new();
    EMPTY.get_or_init(SourceMap::new)
}

/// One commit's view of `sources/`: the module and each package directory's key.
pub(crate) struct CommitLayout {
    pub(crate) module: Option<String>,
    pub(crate) has_module_file: bool,
    pub(crate) packages: Vec<Arc<SourceKey>>,
}

impl Repository {
    /// Opens the Git repository at `path` (a work tree, a `.git` directory or a bare
    /// repository; it does not search parent directories).
    ///
    /// Objects are read without hashing each again to compare it with its id: the fetch that
    /// brought them checked them, and `git fsck` checks a clone. libgit2 would check every
    /// read, a sixth of a cold start at 100,000 commits. The setting is libgit2's, for the
    /// whole process.
    pub fn open(path: impl AsRef<Path>) -> Result<Repository, Error> {
        static READ_AS_GIT_DOES: std::sync::Once = std::sync::Once::new();
        READ_AS_GIT_DOES.call_once(|| git2::opts::strict_hash_verification(false));
        let path = path.as_ref();
        let git = git2::Repository::open(path).map_err(|source| Error::NotARepository {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Repository {
            git,
            path: path.to_path_buf(),
            cache: Mutex::new(Cache::default()),
            schemas: SchemaCache::default(),
            progress: None,
            numbered: Mutex::new(None),
            history_cache: None,
            unsaved: std::sync::atomic::AtomicBool::new(false),
            warnings: None,
        })
    }

    /// Tells `observer` how far each later history load gets (commits walked, package states
    /// found and evaluated), so that a command can show progress; `None` stops telling.
    pub fn set_progress(&mut self, observer: Option<ProgressObserver>) {
        self.progress = observer;
    }

    /// The path the repository was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying Git handle, for callers that need more than the model (such as tests).
    pub fn git(&self) -> &git2::Repository {
        &self.git
    }

    /// The branch `HEAD` points to (`main`), the default branch of a clone or mirror.
    pub fn default_branch(&self) -> Result<String, Error> {
        let head = self
            .git
            .find_reference("HEAD")
            .map_err(|source| Error::NoDefaultBranch {
                source: Some(source),
            })?;
        let target = head
            .symbolic_target()
            .ok_or(Error::NoDefaultBranch { source: None })?;
        Ok(target
            .strip_prefix("refs/heads/")
            .unwrap_or(target)
            .to_string())
    }

    /// The commit a ref names: a branch, a remote branch (`origin/main`), a tag, a commit id or
    /// any revision expression Git understands (`main~2`).
    pub fn resolve(&self, reference: &str) -> Result<git2::Commit<'_>, Error> {
        let object =
            self.git
                .revparse_single(reference)
                .map_err(|source| Error::ReferenceNotFound {
                    reference: reference.to_string(),
                    source,
                })?;
        object.peel_to_commit().map_err(|source| Error::NotACommit {
            reference: reference.to_string(),
            source,
        })
    }

    /// The repository at `reference`, read from Git objects only: the work tree, the index
    /// and uncommitted changes play no part.
    pub fn snapshot(&self, reference: &str) -> Result<Snapshot, Error> {
        let commit = self.resolve(reference)?;
        self.snapshot_of(&commit)
    }

    /// The repository at one commit.
    pub fn snapshot_of(&self, commit: &git2::Commit<'_>) -> Result<Snapshot, Error> {
        self.snapshot_of_directories(commit, &|_| true)
    }

    /// The repository at one commit, loading only the package directories under `sources/`
    /// that `include` accepts (`sources/identity`): the others are absent from the snapshot.
    /// For callers that know which packages they need (`check` loads those a change touches).
    pub fn snapshot_of_directories(
        &self,
        commit: &git2::Commit<'_>,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<Snapshot, Error> {
        let info = CommitInfo::from_commit(commit);
        let layout = self.layout(commit, include)?;
        let loaded = self.load_all(commit, &layout)?;
        let mut snapshot = Snapshot {
            commit: info,
            module: layout.module.clone(),
            sources: Vec::new(),
            shared: Vec::new(),
            diagnostics: Vec::new(),
        };
        let identities: Vec<(&str, Option<&str>)> = loaded
            .iter()
            .filter(|source| source.is_source)
            .map(|source| (source.directory.as_str(), source.id.as_deref()))
            .collect();
        snapshot.diagnostics = repository_diagnostics(&layout, &identities, |directory| {
            loaded
                .iter()
                .find(|source| source.is_source && source.directory == directory)
                .and_then(|source| source_id_span(source))
        });
        for source in loaded {
            if source.is_source {
                snapshot.sources.push(source);
            } else {
                snapshot.shared.push(source);
            }
        }
        Ok(snapshot)
    }

    /// What the index shows of every package at `reference` (see [`PackageSummary`]): the
    /// summaries in `known` (by state digest) where the package is unchanged, else made from
    /// the package, loaded (and cached) if it is not loaded yet.
    pub(crate) fn tip_summary(
        &self,
        reference: &str,
        known: &HashMap<[u8; 32], Arc<PackageSummary>>,
    ) -> Result<TipSummary, Error> {
        let commit = self.resolve(reference)?;
        let layout = self.layout(&commit, &|_| true)?;
        let digests: Vec<[u8; 32]> = layout.packages.iter().map(|key| key.digest()).collect();
        let unknown = CommitLayout {
            module: layout.module.clone(),
            has_module_file: layout.has_module_file,
            packages: layout
                .packages
                .iter()
                .zip(&digests)
                .filter(|(_, digest)| !known.contains_key(*digest))
                .map(|(key, _)| key.clone())
                .collect(),
        };
        let loaded = self.load_all(&commit, &unknown)?;
        let mut made: HashMap<&str, PackageSummary> = loaded
            .iter()
            .map(|source| (source.directory.as_str(), PackageSummary::of(source)))
            .collect();
        let mut summary = TipSummary {
            packages: Vec::with_capacity(layout.packages.len()),
            diagnostics: Vec::new(),
            known: 0,
        };
        for (key, digest) in layout.packages.iter().zip(digests) {
            if let Some(found) = known.get(&digest) {
                summary.known += 1;
                summary.packages.push((digest, found.clone()));
            } else if let Some(made) = made.remove(key.directory.as_str()) {
                summary.packages.push((digest, Arc::new(made)));
            }
        }
        let identities: Vec<(&str, Option<&str>)> = summary
            .packages
            .iter()
            .filter(|(_, package)| package.is_source)
            .map(|(_, package)| (package.directory.as_str(), package.id.as_deref()))
            .collect();
        // A headline has no position: the duplicate id's span is not needed here.
        summary.diagnostics = repository_diagnostics(&layout, &identities, |_| None);
        Ok(summary)
    }

    /// Keeps the numbering of every later [`Repository::history`] in `cache`, and starts
    /// from the numbering cached there for the branch (when it is sound and the branch went on
    /// from its head) instead of the first commit; `None` keeps nothing. Write it with
    /// [`Repository::save_history_cache`].
    pub fn set_history_cache(&mut self, cache: Option<HistoryCache>) {
        self.history_cache = cache;
    }

    /// The history cache in use, if any.
    pub fn history_cache(&self) -> Option<&HistoryCache> {
        self.history_cache.as_ref()
    }

    /// Tells `observer` each warning (a history cache that is damaged and rebuilt, or that
    /// cannot be written); without one they are logged with `tracing`.
    pub fn set_warnings(&mut self, observer: Option<WarningObserver>) {
        self.warnings = observer;
    }

    pub(crate) fn warn(&self, message: &str) {
        match &self.warnings {
            Some(observer) => observer(message),
            None => tracing::warn!("{message}"),
        }
    }

    /// The versions of every event type along the first-parent history of `branch` (see
    /// [`History`]).
    ///
    /// The numbering is kept: when `branch` has moved forward since the last call (its old tip
    /// is the first parent of its first new commit, and so on), only the new commits are read
    /// and numbered. Anything else (another branch, a rewritten one) starts from the first
    /// commit again. With a history cache (see [`Repository::set_history_cache`]), the first
    /// call goes on from the cached numbering the same way.
    pub fn history(&self, branch: &str) -> Result<History, Error> {
        let kept = self
            .numbered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .filter(|(numbered_branch, _)| numbered_branch == branch)
            .map(|(_, numbering)| numbering);
        let (kept, from_cache) = match kept {
            Some(numbering) => (Some(numbering), false),
            None => {
                let cached = self.cached_numbering(branch)?;
                let found = cached.is_some();
                (cached, found)
            }
        };
        let kept_head = kept
            .as_ref()
            .and_then(|numbering| numbering.head().map(|head| head.id.clone()));
        let resumed = match kept {
            Some(mut numbering) => {
                numbering.continued_from = kept_head.clone().map(|head| (head, numbering.commits));
                self.number(branch, &|_| true, numbering)?
            }
            None => None,
        };
        if from_cache && resumed.is_none() {
            self.warn(&format!(
                "the history cache of {branch} does not lead to its tip (the branch was \
                 rewritten): numbering from its first commit"
            ));
        }
        let numbering = match resumed {
            Some(numbering) => numbering,
            None => self
                .number(branch, &|_| true, history::Numbering::default())?
                .expect("a numbering from the first commit always applies"),
        };
        if numbering.head().map(|head| &head.id) != kept_head.as_ref() || kept_head.is_none() {
            self.unsaved
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let history = numbering.history(branch);
        *self
            .numbered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some((branch.to_string(), numbering));
        Ok(history)
    }

    /// Writes the last history's numbering to the history cache, when there is one and the
    /// numbering went past what the cache holds; a failure is a warning (the next start
    /// numbers more commits, nothing else). Callers write once the history is served or
    /// printed, so that a reload does not wait for the file.
    pub fn save_history_cache(&self) {
        let Some(cache) = &self.history_cache else {
            return;
        };
        if !self
            .unsaved
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let numbered = self
            .numbered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some((branch, numbering)) = &*numbered else {
            return;
        };
        if let Err(error) = cache.write(branch, numbering) {
            self.unsaved
                .store(true, std::sync::atomic::Ordering::SeqCst);
            self.warn(&format!(
                "cannot write the history cache {}: {error}",
                cache.file_of(branch).display()
            ));
        }
    }

    /// The numbering the history cache holds for `branch`, with its problems' diagnostics
    /// made again; `None` (after a warning) when the file is damaged, foreign, or names
    /// commits this repository does not have.
    fn cached_numbering(&self, branch: &str) -> Result<Option<history::Numbering>, Error> {
        let Some(cache) = &self.history_cache else {
            return Ok(None);
        };
        let rebuild = |why: String| {
            self.warn(&format!("{why}: numbering {branch} from its first commit"));
            Ok(None)
        };
        let cached = match cache.read(branch, &self.schemas) {
            Ok(Some(cached)) => cached,
            Ok(None) => return Ok(None),
            Err(problem) => return rebuild(problem.to_string()),
        };
        let path = cache.file_of(branch);
        let mut numbering = cached.numbering;
        let known = |id: &str| {
            git2::Oid::from_str(id)
                .ok()
                .and_then(|oid| self.git.find_commit(oid).ok())
        };
        if let Some(head) = numbering.head() {
            if known(&head.id).is_none() {
                return rebuild(format!(
                    "the history cache {} names commit {}, which this repository does not have",
                    path.display(),
                    head.id
                ));
            }
        }
        for (commit, directory) in cached.problem_sites {
            let Some(at) = known(&commit.id) else {
                return rebuild(format!(
                    "the history cache {} names commit {}, which this repository does not have",
                    path.display(),
                    commit.id
                ));
            };
            let snapshot = self.snapshot_of_directories(&at, &|d| d == directory)?;
            let Some(package) = snapshot.package(&directory).filter(|p| p.has_errors()) else {
                return rebuild(format!(
                    "the history cache {} records a problem of {directory} at {} that loading \
                     it does not give",
                    path.display(),
                    commit.short_id()
                ));
            };
            numbering.problems.push(CommitProblem {
                commit,
                directory: directory.clone(),
                diagnostics: package
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == cue::Severity::Error)
                    .cloned()
                    .collect(),
                files: package.files.clone(),
            });
        }
        Ok(Some(numbering))
    }

    /// The ids of the first-parent history of `branch`, oldest first: the order versions are
    /// numbered in.
    pub fn first_parent_commits(&self, branch: &str) -> Result<Vec<git2::Oid>, Error> {
        let walk_error = |source| Error::Walk {
            branch: branch.to_string(),
            source,
        };
        self.first_parent_walk(branch)?
            .map(|id| id.map_err(walk_error))
            .collect()
    }

    fn first_parent_walk(&self, branch: &str) -> Result<git2::Revwalk<'_>, Error> {
        let tip = self.resolve(branch)?;
        let walk_error = |source| Error::Walk {
            branch: branch.to_string(),
            source,
        };
        let mut walk = self.git.revwalk().map_err(walk_error)?;
        walk.push(tip.id()).map_err(walk_error)?;
        walk.simplify_first_parent().map_err(walk_error)?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
            .map_err(walk_error)?;
        Ok(walk)
    }

    /// The versions of the event types declared, at any commit, by the package directories
    /// `include` accepts: the same numbers [`Repository::history`] gives those types, without
    /// evaluating the other packages' states.
    ///
    /// With a history cache holding a numbering whose head is `branch`'s commit (under any
    /// branch name), that numbering is the answer: it numbers these types the same, and
    /// nothing needs loading.
    pub fn history_of_directories(
        &self,
        branch: &str,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<History, Error> {
        if let Some(cache) = &self.history_cache {
            let tip = self.resolve(branch)?.id().to_string();
            if let Some(numbered) = cache.branch_with_head(&tip) {
                if let Some(numbering) = self.cached_numbering(&numbered)? {
                    if numbering.head().map(|head| head.id.as_str()) == Some(tip.as_str()) {
                        return Ok(numbering.history(branch));
                    }
                }
            }
        }
        let numbering = self
            .number(branch, include, history::Numbering::default())?
            .expect("a numbering from the first commit always applies");
        Ok(numbering.history(branch))
    }

    /// Numbers the first-parent commits of `branch` after `numbering`'s head (all of them
    /// for a new numbering), loading the packages `include` accepts; `None` when the branch
    /// does not continue from that head along its first parents.
    ///
    /// One pipeline, oldest commit first: this thread walks the history, finds per commit the
    /// package directories whose state changed (see [`Repository::walk_layout`]), reads each
    /// state not seen before from Git and hands it to the thread pool to evaluate; it numbers
    /// each commit as soon as the states it introduced are evaluated, and then keeps of those
    /// states only their marks (the tip's packages stay whole). Evaluations in flight are
    /// bounded, so the walk never runs far ahead of the numbering: what is held at once is a
    /// few commits' states, not the history's.
    fn number(
        &self,
        branch: &str,
        include: &dyn Fn(&str) -> bool,
        mut numbering: history::Numbering,
    ) -> Result<Option<history::Numbering>, Error> {
        let after = match numbering.head() {
            Some(head) => Some(git2::Oid::from_str(&head.id).map_err(|source| Error::Read {
                commit: head.id.clone(),
                what: "the numbered commit id".into(),
                source,
            })?),
            None => None,
        };
        let walk_error = |source| Error::Walk {
            branch: branch.to_string(),
            source,
        };
        use std::sync::atomic::Ordering::SeqCst;
        let schemas = &self.schemas;
        // Only the packages of the branch tip are kept whole (for its snapshot, the next
        // reload, the service's tip); every other state is needed for numbering alone, and
        // keeps only what numbering reads (see `Source::for_numbering`) until the commit that
        // introduced it is numbered.
        let tip = self.resolve(branch)?;
        let tip_keys: HashSet<SourceKey> = self
            .layout(&tip, include)?
            .packages
            .iter()
            .map(|key| (**key).clone())
            .collect();
        drop(tip);
        let tip_keys = &tip_keys;
        let (sender, receiver) = std::sync::mpsc::channel::<(usize, Source)>();
        let counters = ProgressCounters::default();
        let (counters, observer) = (&counters, self.progress.as_ref());
        // The package states the numbering ends with: a commit that leaves one of them as it
        // is needs it only as a mark, so a numbering read from the cache goes on without
        // loading the packages the new commits did not change.
        let resumed: HashMap<[u8; 32], Arc<history::PackageMark>> = numbering
            .previous_packages
            .values()
            .map(|mark| (mark.state, mark.clone()))
            .collect();
        let mut pipeline = Pipeline {
            states: HashMap::new(),
            queue: std::collections::VecDeque::new(),
            numbered_layout: HashMap::new(),
            in_flight: 0,
        };
        // Waiting for an evaluation blocks this thread: only when it is not one of the pool's
        // (the pool's own threads run the evaluations when the scope ends instead).
        let may_wait = rayon::current_thread_index().is_none();
        let walked = rayon::in_place_scope(|scope| -> Result<Option<bool>, Error> {
            let mut walked_any = false;
            let mut layout = WalkedLayout::default();
            let mut walk = self.first_parent_walk(branch)?;
            if let Some(after) = after {
                walk.hide(after).map_err(walk_error)?;
            }
            for id in walk {
                let id = id.map_err(walk_error)?;
                let commit = self.git.find_commit(id).map_err(walk_error)?;
                if !walked_any && commit.parent_id(0).ok() != after {
                    // The first new commit does not follow the numbered head: the branch was
                    // rewritten, or the head was merged from another line.
                    return Ok(None);
                }
                walked_any = true;
                let (changes, complete) = self.walk_layout(&mut layout, &commit, include)?;
                let info = CommitInfo::from_commit(&commit);
                for key in changes.iter().filter_map(|(_, key)| key.as_ref()) {
                    if pipeline.states.contains_key(&address(key)) {
                        continue;
                    }
                    let tip = tip_keys.contains(&**key);
                    let mut state = PipelineState {
                        key: key.clone(),
                        tip,
                        mark: None,
                        source: None,
                    };
                    let loaded = self.lock().sources.get(&**key).cloned();
                    if let Some(source) = loaded {
                        state.mark =
                            Some(Arc::new(history::PackageMark::of(key.digest(), &source)));
                        state.source = Some(source);
                    } else if let Some(mark) = (!resumed.is_empty())
                        .then(|| resumed.get(&key.digest()))
                        .flatten()
                    {
                        // Not loaded: the state the numbering resumed from.
                        state.mark = Some(mark.clone());
                    } else {
                        let prepared = self.prepare(&info.id, key)?;
                        let sender = sender.clone();
                        let at = address(key);
                        counters.states.fetch_add(1, SeqCst);
                        pipeline.in_flight += 1;
                        scope.spawn(move |_| {
                            let mut source = source::load_source_with(prepared, schemas);
                            if !tip {
                                source = source.for_numbering();
                            }
                            // The receiver lives until `number` returns: sending cannot fail.
                            let _ = sender.send((at, source));
                            counters.evaluated.fetch_add(1, SeqCst);
                            counters.report(observer);
                        });
                    }
                    pipeline.states.insert(address(key), state);
                }
                pipeline.queue.push_back(WalkedCommit {
                    info,
                    changes,
                    complete,
                });
                counters.commits.fetch_add(1, SeqCst);
                counters.report(observer);
                loop {
                    while let Ok((at, source)) = receiver.try_recv() {
                        pipeline.arrived(self, at, source);
                    }
                    pipeline.number_ready(self, &mut numbering, tip_keys)?;
                    if !may_wait || pipeline.in_flight < MAX_EVALUATIONS_IN_FLIGHT {
                        break;
                    }
                    if let Ok((at, source)) = receiver.recv() {
                        pipeline.arrived(self, at, source);
                    }
                }
            }
            counters.walked.store(true, SeqCst);
            counters.report(observer);
            // What is still evaluating, numbered as it comes.
            while may_wait && pipeline.in_flight > 0 {
                let Ok((at, source)) = receiver.recv() else {
                    break;
                };
                pipeline.arrived(self, at, source);
                pipeline.number_ready(self, &mut numbering, tip_keys)?;
            }
            Ok(Some(walked_any))
        })?;
        counters.report(observer);
        drop(sender);
        let Some(walked_any) = walked else {
            return Ok(None);
        };
        // Every evaluation is over: number the rest.
        for (at, source) in receiver.try_iter() {
            pipeline.arrived(self, at, source);
        }
        pipeline.number_ready(self, &mut numbering, tip_keys)?;
        if !pipeline.queue.is_empty() {
            return Err(Error::Read {
                commit: pipeline.queue[0].info.id.clone(),
                what: "a package state whose evaluation did not finish".into(),
                source: git2::Error::from_str("the evaluation of a package state was lost"),
            });
        }
        if !walked_any && after.is_some() && after != Some(self.resolve(branch)?.id()) {
            // The branch moved back behind the numbered head.
            return Ok(None);
        }
        Ok(Some(numbering))
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        // A panic while holding the lock leaves only complete entries behind: keep using it.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The module file's blob at `root` (when there is one) and the module path it declares.
    fn module_of(
        &self,
        root: &git2::Tree<'_>,
        commit: &git2::Commit<'_>,
    ) -> Result<(Option<git2::Oid>, Option<String>), Error> {
        let module_blob = module_blob(root);
        let Some(blob) = module_blob else {
            return Ok((None, None));
        };
        let cached = self.lock().modules.get(&blob).cloned();
        if let Some(module) = cached {
            return Ok((module_blob, module));
        }
        let text = tree::read_text(&self.git, root, MODULE_FILE)
            .map_err(|source| Error::Read {
                commit: commit.id().to_string(),
                what: MODULE_FILE.to_string(),
                source,
            })?
            .unwrap_or_default();
        let module = cue::module_path(&text);
        self.lock().modules.insert(blob, module.clone());
        Ok((module_blob, module))
    }

    /// The module and the key of every package directory under `sources/` at `commit`.
    fn layout(
        &self,
        commit: &git2::Commit<'_>,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<CommitLayout, Error> {
        let read_error = |what: &str| read_error_at(commit, what);
        let root = commit.tree().map_err(read_error("the root tree"))?;
        let (module_blob, module) = self.module_of(&root, commit)?;
        let mut layout = CommitLayout {
            module,
            has_module_file: module_blob.is_some(),
            packages: Vec::new(),
        };
        let Some(sources_id) = tree::subtree_id(&root, SOURCES_DIRECTORY) else {
            return Ok(layout);
        };
        let sources = self
            .git
            .find_tree(sources_id)
            .map_err(read_error(SOURCES_DIRECTORY))?;
        // Import paths resolve to the same trees for every package of this commit.
        let mut resolved = ImportTargets::new(Some(sources.clone()));
        for entry in sources.iter() {
            if entry.kind() != Some(git2::ObjectType::Tree) {
                continue;
            }
            let Some(name) = entry.name() else { continue };
            let key = self.package_key(
                &root,
                &layout.module,
                &entry,
                name,
                &mut resolved,
                commit,
                include,
            )?;
            layout.packages.extend(key);
        }
        Ok(layout)
    }

    /// The key of the package in the subtree `entry` (named `name`) of `sources/` at
    /// `commit`; `None` when it holds no package or `include` leaves its directory out.
    #[allow(clippy::too_many_arguments)]
    fn package_key(
        &self,
        root: &git2::Tree<'_>,
        module: &Option<String>,
        entry: &git2::TreeEntry<'_>,
        name: &str,
        resolved: &mut ImportTargets<'_>,
        commit: &git2::Commit<'_>,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<Option<Arc<SourceKey>>, Error> {
        if let Some(key) = self.reusable_key(root, module, entry, name, resolved) {
            return Ok(include(&key.directory).then_some(key));
        }
        let directory = format!("{SOURCES_DIRECTORY}/{name}");
        if !include(&directory) {
            return Ok(None);
        }
        if self
            .package_imports(entry.id(), &directory, commit)?
            .is_none()
        {
            // A folder without CUE files (documentation, assets) is not a package.
            return Ok(None);
        }
        let imports =
            self.import_closure(root, module, entry.id(), resolved, &directory, commit)?;
        let key = Arc::new(SourceKey {
            directory,
            tree: entry.id(),
            module: module.clone(),
            imports,
        });
        self.lock().keys.insert(entry.id(), key.clone());
        Ok(Some(key))
    }

    /// The package directories of `commit` whose key may differ from the commit walked
    /// before it (`walked`, updated to this commit), with their keys (`None`: no package
    /// there any more), in tree order but for removed directories; and whether they are
    /// every package directory of the commit (for the first commit walked).
    ///
    /// A commit costs what it changed: the subtrees of `sources/` are compared with the
    /// previous commit's by tree id, and only a subtree whose tree, module, or the tree of
    /// one of its imports changed has its key looked up again (a commit that leaves
    /// `sources/`, the module and every imported tree alone is not even read further).
    fn walk_layout(
        &self,
        walked: &mut WalkedLayout,
        commit: &git2::Commit<'_>,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<(LayoutChanges, bool), Error> {
        let read_error = |what: &str| read_error_at(commit, what);
        let root = commit.tree().map_err(read_error("the root tree"))?;
        let module_blob = module_blob(&root);
        let first = !walked.started;
        let module = if !first && module_blob == walked.module_blob {
            walked.module.clone()
        } else {
            self.module_of(&root, commit)?.1
        };
        let module_changed = first || module != walked.module;
        let sources_id = tree::subtree_id(&root, SOURCES_DIRECTORY);
        let sources_same = !first && sources_id == walked.sources;
        // `sources/` is read once, and only when it changed (or the keys must be looked at).
        let read_sources = |id: git2::Oid| {
            self.git
                .find_tree(id)
                .map_err(read_error(SOURCES_DIRECTORY))
        };
        let mut resolved = ImportTargets::new(match sources_id {
            Some(id) if !sources_same => Some(read_sources(id)?),
            _ => None,
        });
        // The import paths that name another tree than at the previous commit (none under
        // an unchanged `sources/`).
        let moved: HashSet<String> = if module_changed {
            HashSet::new()
        } else {
            walked
                .imports
                .iter()
                .filter(|(import, target)| {
                    !(sources_same && imports_from_sources(&module, import))
                        && resolve_import(&root, &module, import, &mut resolved) != **target
                })
                .map(|(import, _)| import.clone())
                .collect()
        };
        walked.module_blob = module_blob;
        if !module_changed && moved.is_empty() && sources_same {
            return Ok((Vec::new(), false));
        }
        walked.started = true;
        walked.sources = sources_id;
        walked.module = module;
        if module_changed {
            walked.imports.clear();
        }
        for import in &moved {
            let target = resolved.targets.get(import).copied().flatten();
            walked.imports.insert(import.clone(), target);
        }
        let module = &walked.module;
        if resolved.sources.is_none() {
            if let Some(id) = sources_id {
                // The same `sources/`, but an import outside it moved: its keys are looked at.
                resolved = ImportTargets {
                    sources: Some(read_sources(id)?),
                    targets: resolved.targets,
                };
            }
        }
        let sources = resolved.sources.clone();
        let mut changes: LayoutChanges = Vec::new();
        let unchanged = |entry: &WalkedEntry, tree: git2::Oid| {
            !module_changed
                && entry.tree == tree
                && (moved.is_empty()
                    || entry.key.as_ref().is_none_or(|key| {
                        key.imports
                            .iter()
                            .all(|(import, _)| !moved.contains(import))
                    }))
        };
        // The previous entries are updated in place while the names line up (a commit
        // changing packages without adding or removing any); from the first that does not,
        // the rest are matched by name.
        let mut position = 0;
        let mut rest: Option<HashMap<String, WalkedEntry>> = None;
        let mut new_keys: Vec<Arc<SourceKey>> = Vec::new();
        for entry in sources.iter().flat_map(|tree| tree.iter()) {
            if entry.kind() != Some(git2::ObjectType::Tree) {
                continue;
            }
            let Some(name) = entry.name() else { continue };
            let tree = entry.id();
            if rest.is_none() {
                if let Some(slot) = walked
                    .entries
                    .get_mut(position)
                    .filter(|slot| slot.name == name)
                {
                    position += 1;
                    if unchanged(slot, tree) {
                        continue;
                    }
                    let key = self.package_key(
                        &root,
                        module,
                        &entry,
                        name,
                        &mut resolved,
                        commit,
                        include,
                    )?;
                    slot.tree = tree;
                    record_change(&mut changes, &mut new_keys, name, &mut slot.key, key);
                    continue;
                }
                rest = Some(
                    walked
                        .entries
                        .drain(position..)
                        .map(|entry| (entry.name.clone(), entry))
                        .collect(),
                );
            }
            let previous = rest.as_mut().and_then(|rest| rest.remove(name));
            let mut slot = match previous {
                Some(slot) if unchanged(&slot, tree) => {
                    walked.entries.push(slot);
                    continue;
                }
                Some(slot) => slot,
                None => WalkedEntry {
                    name: name.to_string(),
                    tree,
                    key: None,
                },
            };
            let key =
                self.package_key(&root, module, &entry, name, &mut resolved, commit, include)?;
            slot.tree = tree;
            record_change(&mut changes, &mut new_keys, name, &mut slot.key, key);
            walked.entries.push(slot);
        }
        let removed: Vec<WalkedEntry> = match rest {
            Some(rest) => rest.into_values().collect(),
            None => walked.entries.drain(position..).collect(),
        };
        for mut entry in removed {
            record_change(
                &mut changes,
                &mut new_keys,
                &entry.name,
                &mut entry.key,
                None,
            );
        }
        for key in new_keys {
            for (import, target) in &key.imports {
                walked.imports.entry(import.clone()).or_insert(*target);
            }
        }
        Ok((changes, first))
    }

    /// The key made earlier for the package tree of `entry`, when it is this commit's key too:
    /// same directory and module, and every import path of its closure names the same tree in
    /// `root` (then the closure, walked over the same trees, is the same).
    fn reusable_key(
        &self,
        root: &git2::Tree<'_>,
        module: &Option<String>,
        entry: &git2::TreeEntry<'_>,
        name: &str,
        resolved: &mut ImportTargets<'_>,
    ) -> Option<Arc<SourceKey>> {
        let key = self.lock().keys.get(&entry.id()).cloned()?;
        let same_place = key
            .directory
            .strip_prefix(SOURCES_DIRECTORY)
            .and_then(|rest| rest.strip_prefix('/'))
            == Some(name)
            && key.module == *module;
        if !same_place {
            return None;
        }
        let unchanged = key
            .imports
            .iter()
            .all(|(import, target)| resolve_import(root, module, import, resolved) == *target);
        unchanged.then_some(key)
    }

    /// Every package a package tree imports, directly or through others, with the tree each
    /// import path names in `root` (`None` when it names nothing).
    fn import_closure(
        &self,
        root: &git2::Tree<'_>,
        module: &Option<String>,
        package_tree: git2::Oid,
        resolved: &mut ImportTargets<'_>,
        directory: &str,
        commit: &git2::Commit<'_>,
    ) -> Result<Vec<(String, Option<git2::Oid>)>, Error> {
        let mut closure: Vec<(String, Option<git2::Oid>)> = Vec::new();
        let mut pending: Vec<(git2::Oid, String)> = vec![(package_tree, directory.to_string())];
        let mut visited = HashSet::new();
        while let Some((tree_id, tree_directory)) = pending.pop() {
            if !visited.insert(tree_id) {
                continue;
            }
            let Some(imports) = self.package_imports(tree_id, &tree_directory, commit)? else {
                continue;
            };
            for import in imports.iter() {
                if closure.iter().any(|(path, _)| path == import) {
                    continue;
                }
                let target = resolve_import(root, module, import, resolved);
                closure.push((import.clone(), target));
                if let (Some(target), Ok(Some(import_directory))) =
                    (target, tree::directory_of(module.as_deref(), import))
                {
                    pending.push((target, import_directory));
                }
            }
        }
        closure.sort();
        Ok(closure)
    }

    /// The non-builtin imports of the package in a tree, or `None` when the tree holds no
    /// package file; cached by tree id, so each tree is read and parsed once.
    fn package_imports(
        &self,
        tree_id: git2::Oid,
        directory: &str,
        commit: &git2::Commit<'_>,
    ) -> Result<Option<Arc<[String]>>, Error> {
        if let Some(imports) = self.lock().imports.get(&tree_id) {
            return Ok(imports.clone());
        }
        let read_error = |source| Error::Read {
            commit: commit.id().to_string(),
            what: directory.to_string(),
            source,
        };
        let tree = self.git.find_tree(tree_id).map_err(read_error)?;
        let files = tree::package_files(&self.git, &tree, directory, None).map_err(read_error)?;
        let imports: Option<Arc<[String]>> =
            (!files.files.is_empty()).then(|| tree::imports_of(&files).into());
        self.lock().imports.insert(tree_id, imports.clone());
        Ok(imports)
    }

    /// The loaded packages of `layout`, loading (and caching) those not seen yet, evaluated in
    /// parallel.
    fn load_all(
        &self,
        commit: &git2::Commit<'_>,
        layout: &CommitLayout,
    ) -> Result<Vec<Arc<Source>>, Error> {
        let missing: Vec<SourceKey> = {
            let cache = self.lock();
            layout
                .packages
                .iter()
                .filter(|key| !cache.sources.contains_key(&***key))
                .map(|key| (**key).clone())
                .collect()
        };
        // Read from Git on this thread (the handle is not `Sync`), then evaluate on every
        // core: a start from the history cache loads the whole tip here.
        let commit_id = commit.id().to_string();
        let mut prepared = Vec::with_capacity(missing.len());
        for key in missing {
            let package = self.prepare(&commit_id, &key)?;
            prepared.push((key, package));
        }
        let schemas = &self.schemas;
        let loaded: Vec<(SourceKey, Source)> = {
            use rayon::prelude::*;
            prepared
                .into_par_iter()
                .map(|(key, package)| (key, source::load_source_with(package, schemas)))
                .collect()
        };
        let mut cache = self.lock();
        for (key, source) in loaded {
            cache.sources.insert(key, Arc::new(source));
        }
        drop(cache);
        let cache = self.lock();
        Ok(layout
            .packages
            .iter()
            .filter_map(|key| cache.sources.get(&**key).cloned())
            .collect())
    }

    /// Reads everything one package needs from Git: its files, the files of every package it
    /// imports (from the trees its key names) and its examples.
    fn prepare(&self, commit_id: &str, key: &SourceKey) -> Result<PreparedSource, Error> {
        let read_error = |what: &str| {
            let commit = commit_id.to_string();
            let what = what.to_string();
            move |source| Error::Read {
                commit,
                what,
                source,
            }
        };
        let tree = self
            .git
            .find_tree(key.tree)
            .map_err(read_error(&key.directory))?;
        let files = tree::package_files(&self.git, &tree, &key.directory, None)
            .map_err(read_error(&key.directory))?;
        // The key holds the tree each import path names at every commit it is the key of:
        // the imported packages are read from those trees, without looking the paths up in
        // the commit's root (which reads the whole `sources/` tree again).
        let mut imports = HashMap::new();
        for (import_path, target) in &key.imports {
            // A path that names nothing, or leaves the module, is reported by the loader when
            // it asks the memory resolver and finds nothing.
            let (Some(target), Ok(Some(directory))) = (
                target,
                tree::directory_of(key.module.as_deref(), import_path),
            ) else {
                continue;
            };
            let imported = self
                .git
                .find_tree(*target)
                .map_err(read_error(&directory))?;
            let qualifier = import_path.rsplit_once(':').map(|(_, name)| name);
            let files = tree::package_files(&self.git, &imported, &directory, qualifier)
                .map_err(read_error(&directory))?;
            if !files.files.is_empty() {
                imports.insert(import_path.clone(), files);
            }
        }
        let examples = self
            .examples(&tree, &key.directory)
            .map_err(read_error(&key.directory))?;
        Ok(PreparedSource {
            directory: key.directory.clone(),
            tree_id: key.tree,
            files,
            imports,
            examples,
        })
    }

    /// `(folder, path)` of every file under `examples/<folder>/` of a package tree.
    fn examples(
        &self,
        package_tree: &git2::Tree<'_>,
        directory: &str,
    ) -> Result<Vec<(String, String)>, git2::Error> {
        let mut examples = Vec::new();
        let Some(entry) = package_tree.get_name(EXAMPLES_DIRECTORY) else {
            return Ok(examples);
        };
        if entry.kind() != Some(git2::ObjectType::Tree) {
            return Ok(examples);
        }
        let examples_tree = self.git.find_tree(entry.id())?;
        for folder in examples_tree.iter() {
            let (Some(folder_name), Some(git2::ObjectType::Tree)) = (folder.name(), folder.kind())
            else {
                continue;
            };
            let folder_tree = self.git.find_tree(folder.id())?;
            for file in folder_tree.iter() {
                let (Some(file_name), Some(git2::ObjectType::Blob)) = (file.name(), file.kind())
                else {
                    continue;
                };
                examples.push((
                    folder_name.to_string(),
                    format!("{directory}/{EXAMPLES_DIRECTORY}/{folder_name}/{file_name}"),
                ));
            }
        }
        Ok(examples)
    }

    /// The registry settings (`cuemesh.cue`) at `reference`, read from Git objects: the
    /// defaults when the file is missing, and each problem of the file as a finding (the
    /// `CONFIG_INVALID` findings lint reports) whose span points into `sources`.
    pub fn settings(&self, reference: &str) -> Result<RepositorySettings, Error> {
        let mut sources = crate::finding::Sources::default();
        let Some(text) = self.read_file(reference, crate::files::SETTINGS_FILE)? else {
            return Ok(RepositorySettings {
                settings: crate::settings::Settings::default(),
                problems: Vec::new(),
                sources,
            });
        };
        let module = self
            .read_file(reference, MODULE_FILE)?
            .as_deref()
            .and_then(cue::module_path)
            .unwrap_or_default();
        let (settings, problems) =
            crate::settings::Settings::load_text(&text, &module, &mut sources);
        Ok(RepositorySettings {
            settings,
            problems,
            sources,
        })
    }

    /// The text of the file at `path` in `reference`'s tree (an example payload, say).
    pub fn read_file(&self, reference: &str, path: &str) -> Result<Option<String>, Error> {
        let commit = self.resolve(reference)?;
        let root = commit.tree().map_err(|source| Error::Read {
            commit: commit.id().to_string(),
            what: "the root tree".into(),
            source,
        })?;
        tree::read_text(&self.git, &root, path).map_err(|source| Error::Read {
            commit: commit.id().to_string(),
            what: path.to_string(),
            source,
        })
    }
}

/// Records in `changes` that the package directory `name` of `sources/` now has the key
/// `key` instead of `slot`'s (nothing when it is the same), and keeps it in `slot`.
fn record_change(
    changes: &mut LayoutChanges,
    new_keys: &mut Vec<Arc<SourceKey>>,
    name: &str,
    slot: &mut Option<Arc<SourceKey>>,
    key: Option<Arc<SourceKey>>,
) {
    let same = match (&*slot, &key) {
        (Some(before), Some(now)) => Arc::ptr_eq(before, now),
        (None, None) => true,
        _ => false,
    };
    if same {
        return;
    }
    let directory = match &key {
        Some(key) => key.directory.clone(),
        None => format!("{SOURCES_DIRECTORY}/{name}"),
    };
    if let Some(key) = &key {
        new_keys.push(key.clone());
    }
    changes.push((directory, key.clone()));
    *slot = key;
}

/// The trees import paths name at one commit, each looked up once; those under `sources/` in
/// that directory's tree, read once per commit by whoever reads it (a path looked up from the
/// root reads the whole `sources/` tree again).
struct ImportTargets<'repo> {
    sources: Option<git2::Tree<'repo>>,
    targets: HashMap<String, Option<git2::Oid>>,
}

impl<'repo> ImportTargets<'repo> {
    fn new(sources: Option<git2::Tree<'repo>>) -> ImportTargets<'repo> {
        ImportTargets {
            sources,
            targets: HashMap::new(),
        }
    }
}

/// The blob of the module file at `root`, when there is one.
fn module_blob(root: &git2::Tree<'_>) -> Option<git2::Oid> {
    root.get_path(Path::new(MODULE_FILE))
        .ok()
        .filter(|entry| entry.kind() == Some(git2::ObjectType::Blob))
        .map(|entry| entry.id())
}

/// The error of reading `what` at `commit` from Git, for `map_err`.
fn read_error_at(commit: &git2::Commit<'_>, what: &str) -> impl FnOnce(git2::Error) -> Error {
    let commit = commit.id().to_string();
    let what = what.to_string();
    move |source| Error::Read {
        commit,
        what,
        source,
    }
}

/// The tree an import path names in `root` (`None` when it names nothing), remembered in
/// `resolved` for the other packages of the same commit.
fn resolve_import(
    root: &git2::Tree<'_>,
    module: &Option<String>,
    import: &str,
    resolved: &mut ImportTargets<'_>,
) -> Option<git2::Oid> {
    if let Some(target) = resolved.targets.get(import) {
        return *target;
    }
    let target = match tree::directory_of(module.as_deref(), import) {
        Ok(Some(import_directory)) => {
            let under_sources = import_directory
                .strip_prefix(SOURCES_DIRECTORY)
                .and_then(|rest| rest.strip_prefix('/'))
                .filter(|rest| !rest.is_empty());
            match (&resolved.sources, under_sources) {
                (Some(sources), Some(rest)) => tree::subtree_id(sources, rest),
                _ => tree::subtree_id(root, &import_directory),
            }
        }
        _ => None,
    };
    resolved.targets.insert(import.to_string(), target);
    target
}

/// Whether an import path names a directory under `sources/`.
fn imports_from_sources(module: &Option<String>, import: &str) -> bool {
    matches!(
        tree::directory_of(module.as_deref(), import),
        Ok(Some(directory)) if directory.starts_with(&format!("{SOURCES_DIRECTORY}/"))
    )
}

/// The problems of the repository as a whole at a commit of `layout`: a missing or invalid
/// module file, then each source (`(directory, id)`, in directory order) declaring an id an
/// earlier one declared, with the span `span_of` gives for its directory.
fn repository_diagnostics(
    layout: &CommitLayout,
    sources: &[(&str, Option<&str>)],
    span_of: impl Fn(&str) -> Option<cue::Span>,
) -> Vec<RepositoryDiagnostic> {
    let mut diagnostics = Vec::new();
    if !layout.has_module_file {
        diagnostics.push(RepositoryDiagnostic {
            directory: None,
            diagnostic: Diagnostic::error(
                "MODULE_MISSING",
                format!("{MODULE_FILE} is missing: imports between packages cannot resolve"),
            )
            .with_help("`cuemesh init` writes one; it holds `module: \"schemas.example.com\"`"),
        });
    } else if layout.module.is_none() {
        diagnostics.push(RepositoryDiagnostic {
            directory: None,
            diagnostic: Diagnostic::error(
                "MODULE_INVALID",
                format!("{MODULE_FILE} does not declare `module: \"...\"`"),
            ),
        });
    }
    let mut first_directory_of_id: HashMap<&str, &str> = HashMap::new();
    for &(directory, id) in sources {
        let Some(id) = id else { continue };
        if let Some(first) = first_directory_of_id.get(id) {
            let mut diagnostic = Diagnostic::error(
                "SOURCE_ID_DUPLICATE",
                format!("source id {id:?} is already declared by {first}"),
            );
            if let Some(span) = span_of(directory) {
                diagnostic = diagnostic.with_span(span);
            }
            diagnostics.push(RepositoryDiagnostic {
                directory: Some(directory.to_string()),
                diagnostic,
            });
        } else {
            first_directory_of_id.insert(id, directory);
        }
    }
    diagnostics
}

/// What the index shows of one package at the branch tip: its owner, description and event
/// doc comments, and its errors. Kept by the package's state digest (its [`SourceKey`]), so
/// that a start with the history cache, or a reload, shows the tip without evaluating the
/// packages that did not change.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PackageSummary {
    pub(crate) directory: String,
    pub(crate) is_source: bool,
    pub(crate) id: Option<String>,
    pub(crate) owner: Option<String>,
    pub(crate) description: Option<String>,
    /// The doc comment of each event type that has one (the first event of that type).
    pub(crate) docs: std::collections::BTreeMap<String, String>,
    /// The headline of each error diagnostic, in order.
    pub(crate) errors: Vec<String>,
}

impl PackageSummary {
    fn of(source: &Source) -> PackageSummary {
        // `Source::event` finds the first event of a type: its doc is the one shown.
        let mut seen = HashSet::new();
        let mut docs = std::collections::BTreeMap::new();
        for event in &source.events {
            if !seen.insert(event.event_type.as_str()) {
                continue;
            }
            if let Some(doc) = &event.doc {
                docs.insert(event.event_type.clone(), doc.clone());
            }
        }
        PackageSummary {
            directory: source.directory.clone(),
            is_source: source.is_source,
            id: source.id.clone(),
            owner: source.owner.clone(),
            description: source.description.clone(),
            docs,
            errors: source
                .diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.severity == cue::Severity::Error)
                .map(Diagnostic::headline)
                .collect(),
        }
    }
}

/// The summaries of every package at a branch tip (see [`Repository::tip_summary`]).
pub(crate) struct TipSummary {
    /// Each package's summary by its state digest, in directory order.
    pub(crate) packages: Vec<([u8; 32], Arc<PackageSummary>)>,
    /// The problems of the repository as a whole.
    pub(crate) diagnostics: Vec<RepositoryDiagnostic>,
    /// How many summaries were taken from those given rather than made from a loaded package.
    pub(crate) known: usize,
}

impl TipSummary {
    /// The source whose id is `id` (the first one, as [`Snapshot::source`]).
    pub(crate) fn source(&self, id: &str) -> Option<&PackageSummary> {
        self.packages
            .iter()
            .map(|(_, summary)| &**summary)
            .find(|summary| summary.is_source && summary.id.as_deref() == Some(id))
    }

    /// The error diagnostics of the tip, each prefixed with the directory it is about: the
    /// sources', then the shared packages', then the repository's (as a [`Snapshot`] of the
    /// tip has them).
    pub(crate) fn errors(&self) -> Vec<String> {
        let packages = |sources: bool| {
            self.packages
                .iter()
                .filter(move |(_, summary)| summary.is_source == sources)
                .flat_map(|(_, summary)| {
                    summary
                        .errors
                        .iter()
                        .map(|headline| format!("{}: {headline}", summary.directory))
                })
        };
        let repository = self
            .diagnostics
            .iter()
            .filter(|found| found.diagnostic.severity == cue::Severity::Error)
            .map(|found| match &found.directory {
                Some(directory) => format!("{directory}: {}", found.diagnostic.headline()),
                None => found.diagnostic.headline(),
            });
        packages(true)
            .chain(packages(false))
            .chain(repository)
            .collect()
    }
}

/// The span of `source.id` in a source's files, for a duplicate id.
fn source_id_span(source: &Source) -> Option<cue::Span> {
    // The id field is the first `id:` inside `source` in the source's own files.
    let (file_id, file) = source.files.files().find(|(_, file)| {
        file.name.starts_with(&source.directory) && file.text.contains("source")
    })?;
    let (parsed, _) = cue::parser::parse_file(file_id, &file.text);
    let contract = crate::contract::read_contract(&[parsed]);
    contract.source_field_span("id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_keeps_only_the_tip_packages_loaded_and_numbers_as_before() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let generated = cuemesh_testkit::generate::generate(
            directory.path(),
            cuemesh_testkit::generate::Shape::SMALL,
        );
        let repository = Repository::open(directory.path()).expect("open");
        let history = repository.history("main").expect("history");
        assert_eq!(history.version_count(), generated.versions);
        // The states of earlier commits were evaluated for numbering, then let go: only the
        // tip's packages (three sources and `common`) stay, whole.
        let tip = repository.resolve("main").expect("tip");
        let layout = repository.layout(&tip, &|_| true).expect("layout");
        {
            let cache = repository.lock();
            assert_eq!(cache.sources.len(), layout.packages.len());
            for key in &layout.packages {
                let source = cache.sources.get(&**key).expect("a tip package is loaded");
                assert!(source.files.files().count() > 0, "{}", key.directory);
            }
        }
        // The tip's snapshot reads them from the cache, complete.
        let snapshot = repository.snapshot("main").expect("snapshot");
        assert!(snapshot.sources.iter().all(|source| source.owner.is_some()));
        assert_eq!(snapshot.sources.len(), 3);
    }

    /// Every package directory of `commit` with its key, as [`Repository::layout`] finds it.
    fn whole_layout(
        repository: &Repository,
        commit: &git2::Commit<'_>,
    ) -> Vec<(String, SourceKey)> {
        let mut packages: Vec<(String, SourceKey)> = repository
            .layout(commit, &|_| true)
            .expect("layout")
            .packages
            .iter()
            .map(|key| (key.directory.clone(), (**key).clone()))
            .collect();
        packages.sort_by(|a, b| a.0.cmp(&b.0));
        packages
    }

    #[test]
    fn a_walk_looks_at_the_changed_directories_only_and_finds_the_keys_of_a_whole_layout() {
        use cuemesh_testkit::git::{TestRepository, MODULE};
        const MONEY: &str = "package common\n#Money: {amount: int & >=0}\n";
        let shop = |package: &str, bound: u32| {
            format!(
                "package {package}\nimport \"schemas.example.com/sources/common\"\nsource: {{id: \"{package}\", owner: \"@o\"}}\nevents: {{\"{package}.paid\": #Paid}}\n#Paid: {{amount: int & <={bound}, total: common.#Money}}\n"
            )
        };
        let alone = |package: &str, bound: u32| {
            format!(
                "package {package}\nsource: {{id: \"{package}\", owner: \"@o\"}}\nevents: {{\"{package}.paid\": #Paid}}\n#Paid: {{amount: int & <={bound}}}\n"
            )
        };
        let (a1, a2, b1, c1) = (shop("a", 1), shop("a", 2), alone("b", 1), alone("c", 1));
        let mut repo = TestRepository::new();
        // Each commit, and how many directories the walk reports for it.
        type Step<'a> = (Vec<cuemesh_testkit::git::Change<'a>>, usize);
        let steps: Vec<Step<'_>> = vec![
            (
                vec![
                    ("cue.mod/module.cue", Some(MODULE)),
                    ("sources/common/money.cue", Some(MONEY)),
                    ("sources/a/a.cue", Some(&a1)),
                    ("sources/b/b.cue", Some(&b1)),
                    ("sources/docs/README.md", Some("not a package\n")),
                ],
                3,
            ),
            // One package changed.
            (vec![("sources/a/a.cue", Some(&a2))], 1),
            // Nothing under `sources/`.
            (vec![("README.md", Some("readme\n"))], 0),
            // Not a package either.
            (vec![("sources/docs/README.md", Some("still not\n"))], 0),
            // Added before `b` and after it (`a-b/` sorts before `a/`), and one removed.
            (
                vec![
                    ("sources/a-b/c.cue", Some(&c1)),
                    ("sources/z/z.cue", Some(&c1)),
                    ("sources/b/b.cue", None),
                ],
                3,
            ),
            // The imported package changed: it and every package importing it.
            (
                vec![(
                    "sources/common/money.cue",
                    Some("package common\n#Money: {amount: int & >=1}\n"),
                )],
                2,
            ),
            // Back to an earlier state of `a`.
            (vec![("sources/a/a.cue", Some(&a1))], 1),
            // Another module path: every key.
            (
                vec![(
                    "cue.mod/module.cue",
                    Some("module: \"other.example.com\"\nlanguage: version: \"v0.9.0\"\n"),
                )],
                4,
            ),
            // No `sources/` at all.
            (
                vec![
                    ("sources/a/a.cue", None),
                    ("sources/a-b/c.cue", None),
                    ("sources/z/z.cue", None),
                    ("sources/common/money.cue", None),
                    ("sources/docs/README.md", None),
                ],
                4,
            ),
        ];
        let mut commits = Vec::new();
        for (number, (changes, _)) in steps.iter().enumerate() {
            commits.push(repo.commit("main", "Ada", &format!("step {number}"), changes));
        }
        let repository = Repository::open(repo.path()).expect("open");
        let mut walked = WalkedLayout::default();
        let mut keys: HashMap<String, Arc<SourceKey>> = HashMap::new();
        for (number, (id, (_, expected))) in commits.iter().zip(&steps).enumerate() {
            let commit = repository.git.find_commit(*id).expect("commit");
            let (changes, complete) = repository
                .walk_layout(&mut walked, &commit, &|_| true)
                .expect("walk");
            assert_eq!(complete, number == 0);
            assert_eq!(changes.len(), *expected, "step {number}: {changes:?}");
            for (directory, key) in changes {
                match key {
                    Some(key) => {
                        assert_eq!(key.directory, directory);
                        keys.insert(directory, key)
                    }
                    None => keys.remove(&directory),
                };
            }
            let mut by_walk: Vec<(String, SourceKey)> = keys
                .iter()
                .map(|(directory, key)| (directory.clone(), (**key).clone()))
                .collect();
            by_walk.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(by_walk, whole_layout(&repository, &commit), "step {number}");
        }
        // A walk leaving some directories out finds the others' keys.
        let mut walked = WalkedLayout::default();
        let commit = repository.git.find_commit(commits[5]).expect("commit");
        let (changes, _) = repository
            .walk_layout(&mut walked, &commit, &|directory| directory != "sources/a")
            .expect("walk");
        let directories: Vec<&str> = changes.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(directories, ["sources/a-b", "sources/common", "sources/z"]);
    }

    #[test]
    fn a_history_numbers_as_it_walks_and_lets_go_of_each_state_once_numbered() {
        // More commits than evaluations may be in flight at once, so the walk waits for the
        // numbering; the numbers are those of the generated shape.
        let directory = tempfile::tempdir().expect("temporary directory");
        let shape = cuemesh_testkit::generate::Shape {
            sources: 4,
            events_per_source: 2,
            versions_per_type: 40,
        };
        let generated = cuemesh_testkit::generate::generate(directory.path(), shape);
        assert!(generated.commits > 2 * MAX_EVALUATIONS_IN_FLIGHT);
        let repository = Repository::open(directory.path()).expect("open");
        let history = repository.history("main").expect("history");
        assert_eq!(history.commits, generated.commits);
        assert_eq!(history.version_count(), generated.versions);
        for event in &history.events {
            let numbers: Vec<u32> = event.versions.iter().map(|v| v.number).collect();
            assert_eq!(
                numbers,
                (1..=40).collect::<Vec<u32>>(),
                "{}",
                event.event_type
            );
            let positions: Vec<usize> = event.versions.iter().map(|v| v.position).collect();
            assert!(positions.windows(2).all(|pair| pair[0] < pair[1]));
        }
        // Only the tip's packages stay loaded.
        let tip = repository.resolve("main").expect("tip");
        let layout = repository.layout(&tip, &|_| true).expect("layout");
        assert_eq!(repository.lock().sources.len(), layout.packages.len());
        // Each version's position is its commit's on the first-parent history.
        let order: Vec<String> = repository
            .first_parent_commits("main")
            .expect("commits")
            .iter()
            .map(|id| id.to_string())
            .collect();
        for version in history.events.iter().flat_map(|event| &event.versions) {
            assert_eq!(order[version.position], version.commit.id);
        }
    }
}
