//! `Repository`: the governance repository read from Git at any ref, without a checkout.
//! `snapshot` loads every source at one commit; `history` numbers versions along the
//! first-parent history of a branch. Loaded packages are cached by tree id.

use crate::commit::CommitInfo;
use crate::error::Error;
use crate::files::MODULE_FILE;
use crate::history::{self, CommitProblem, History};
use crate::history_cache::HistoryCache;
use crate::source::{self, PreparedSource, SchemaCache, Source, EXAMPLES_DIRECTORY};
use crate::tree::{self, TreeResolver};
use cue::{Diagnostic, SourceMap};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::files::SOURCES_DIRECTORY;

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
    pub fn open(path: impl AsRef<Path>) -> Result<Repository, Error> {
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
        // Walk the history and read each package state not seen before from Git on this
        // thread, while the thread pool evaluates the states already read: reading is serial
        // (the Git handle is not `Sync`) and would otherwise come before any evaluation.
        // Commits share key allocations (see `Cache::keys`): each distinct key is looked up
        // once, by address, rather than hashed once per commit.
        use std::sync::atomic::Ordering::SeqCst;
        let address = |key: &Arc<SourceKey>| Arc::as_ptr(key) as usize;
        let schemas = &self.schemas;
        // Only the packages of the branch tip are kept whole (for its snapshot, the next
        // reload, the service's tip); every other state is needed for numbering alone, and
        // keeps only what numbering reads (see `Source::for_numbering`): a long history's
        // states are not all held in full at once.
        let tip = self.resolve(branch)?;
        let tip_keys: HashSet<SourceKey> = self
            .layout(&tip, include)?
            .packages
            .iter()
            .map(|key| (**key).clone())
            .collect();
        drop(tip);
        let tip_keys = &tip_keys;
        let (sender, receiver) = std::sync::mpsc::channel::<(SourceKey, Source)>();
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
        let mut unloaded: HashMap<usize, Arc<history::PackageMark>> = HashMap::new();
        let commits = rayon::in_place_scope(|scope| -> Result<_, Error> {
            let mut commits = Vec::new();
            let mut seen = HashSet::new();
            let mut keys = HashSet::new();
            let mut walk = self.first_parent_walk(branch)?;
            if let Some(after) = after {
                walk.hide(after).map_err(walk_error)?;
            }
            for id in walk {
                let id = id.map_err(walk_error)?;
                let commit = self.git.find_commit(id).map_err(walk_error)?;
                if commits.is_empty() && commit.parent_id(0).ok() != after {
                    // The first new commit does not follow the numbered head: the branch was
                    // rewritten, or the head was merged from another line.
                    return Ok(None);
                }
                let layout = self.layout(&commit, include)?;
                let info = CommitInfo::from_commit(&commit);
                let missing: Vec<SourceKey> = {
                    let cache = self.lock();
                    layout
                        .packages
                        .iter()
                        .filter(|key| {
                            if !seen.insert(address(key)) || cache.sources.contains_key(&***key) {
                                return false;
                            }
                            if !resumed.is_empty() {
                                if let Some(mark) = resumed.get(&key.digest()) {
                                    unloaded.insert(address(key), mark.clone());
                                    return false;
                                }
                            }
                            keys.insert((*key).clone())
                        })
                        .map(|key| (**key).clone())
                        .collect()
                };
                counters.states.fetch_add(missing.len(), SeqCst);
                for key in missing {
                    let prepared = self.prepare(&info.id, &key)?;
                    let sender = sender.clone();
                    scope.spawn(move |_| {
                        let mut source = source::load_source_with(prepared, schemas);
                        if !tip_keys.contains(&key) {
                            source = source.for_numbering();
                        }
                        // The receiver lives until the scope ends: sending cannot fail.
                        let _ = sender.send((key, source));
                        counters.evaluated.fetch_add(1, SeqCst);
                        counters.report(observer);
                    });
                }
                commits.push((info, layout));
                counters.commits.fetch_add(1, SeqCst);
                counters.report(observer);
            }
            counters.walked.store(true, SeqCst);
            counters.report(observer);
            Ok(Some(commits))
        })?;
        counters.report(observer);
        drop(sender);
        // The states numbering alone needs, by key: dropped once this history is numbered.
        let mut numbered_only: HashMap<SourceKey, Arc<Source>> = HashMap::new();
        {
            let mut cache = self.lock();
            for (key, source) in receiver {
                if tip_keys.contains(&key) {
                    cache.sources.insert(key, Arc::new(source));
                } else {
                    numbered_only.insert(key, Arc::new(source));
                }
            }
        }
        let Some(commits) = commits else {
            return Ok(None);
        };
        if commits.is_empty() && after.is_some() && after != Some(self.resolve(branch)?.id()) {
            // The branch moved back behind the numbered head.
            return Ok(None);
        }
        let mut cache = self.lock();
        let mut loaded: HashMap<usize, Option<history::PackageAt>> = HashMap::new();
        for (info, layout) in commits {
            let packages: Vec<(history::PackageAt, &Arc<SourceKey>)> = layout
                .packages
                .iter()
                .filter_map(|key| {
                    let at = loaded
                        .entry(address(key))
                        .or_insert_with(|| {
                            let source = cache
                                .sources
                                .get(&**key)
                                .or_else(|| numbered_only.get(&**key));
                            if let Some(source) = source {
                                let mark = history::PackageMark::of(key.digest(), source);
                                return Some((Arc::new(mark), Some(source.clone())));
                            }
                            // Not loaded: the state the numbering resumed from.
                            let mark = unloaded.get(&address(key))?;
                            Some((mark.clone(), None))
                        })
                        .clone()?;
                    Some((at, key))
                })
                .collect();
            let (packages, keys): (Vec<history::PackageAt>, Vec<&Arc<SourceKey>>) =
                packages.into_iter().unzip();
            let mut failure = None;
            let mut load = |position: usize| -> Option<Arc<Source>> {
                let key: &SourceKey = keys[position];
                match self.prepare(&info.id, key) {
                    Ok(prepared) => {
                        let source = Arc::new(source::load_source_with(prepared, schemas));
                        cache.sources.insert(key.clone(), source.clone());
                        Some(source)
                    }
                    Err(error) => {
                        failure = Some(error);
                        None
                    }
                }
            };
            numbering.step(info.clone(), &packages, &mut load);
            if let Some(error) = failure {
                // The numbering is incomplete: nothing of it is kept.
                return Err(error);
            }
        }
        Ok(Some(numbering))
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        // A panic while holding the lock leaves only complete entries behind: keep using it.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The module and the key of every package directory under `sources/` at `commit`.
    fn layout(
        &self,
        commit: &git2::Commit<'_>,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<CommitLayout, Error> {
        let read_error = |what: &str| {
            let commit = commit.id().to_string();
            let what = what.to_string();
            move |source| Error::Read {
                commit,
                what,
                source,
            }
        };
        let root = commit.tree().map_err(read_error("the root tree"))?;
        let module_blob = root
            .get_path(Path::new(MODULE_FILE))
            .ok()
            .filter(|entry| entry.kind() == Some(git2::ObjectType::Blob))
            .map(|entry| entry.id());
        let module = match module_blob {
            None => None,
            Some(blob) => {
                let cached = self.lock().modules.get(&blob).cloned();
                match cached {
                    Some(module) => module,
                    None => {
                        let text = tree::read_text(&self.git, &root, MODULE_FILE)
                            .map_err(read_error(MODULE_FILE))?
                            .unwrap_or_default();
                        let module = cue::module_path(&text);
                        self.lock().modules.insert(blob, module.clone());
                        module
                    }
                }
            }
        };
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
        let mut resolved: HashMap<String, Option<git2::Oid>> = HashMap::new();
        for entry in sources.iter() {
            if entry.kind() != Some(git2::ObjectType::Tree) {
                continue;
            }
            let Some(name) = entry.name() else { continue };
            if let Some(key) = self.reusable_key(&root, &layout.module, &entry, name, &mut resolved)
            {
                if include(&key.directory) {
                    layout.packages.push(key);
                }
                continue;
            }
            let directory = format!("{SOURCES_DIRECTORY}/{name}");
            if !include(&directory) {
                continue;
            }
            if self
                .package_imports(entry.id(), &directory, commit)?
                .is_none()
            {
                // A folder without CUE files (documentation, assets) is not a package.
                continue;
            }
            let imports = self.import_closure(
                &root,
                &layout.module,
                entry.id(),
                &mut resolved,
                &directory,
                commit,
            )?;
            let key = Arc::new(SourceKey {
                directory,
                tree: entry.id(),
                module: layout.module.clone(),
                imports,
            });
            self.lock().keys.insert(entry.id(), key.clone());
            layout.packages.push(key);
        }
        Ok(layout)
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
        resolved: &mut HashMap<String, Option<git2::Oid>>,
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
        resolved: &mut HashMap<String, Option<git2::Oid>>,
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
    /// imports (through a [`TreeResolver`] over the commit's root tree) and its examples.
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
        let commit_oid = git2::Oid::from_str(commit_id).map_err(read_error("the commit id"))?;
        let commit = self
            .git
            .find_commit(commit_oid)
            .map_err(read_error("the commit"))?;
        let root = commit.tree().map_err(read_error("the root tree"))?;
        let tree = self
            .git
            .find_tree(key.tree)
            .map_err(read_error(&key.directory))?;
        let files = tree::package_files(&self.git, &tree, &key.directory, None)
            .map_err(read_error(&key.directory))?;
        let resolver = TreeResolver::new(&self.git, root);
        let mut imports = HashMap::new();
        for (import_path, _) in &key.imports {
            // A resolution error (a path leaving the module) is reported by the loader when it
            // asks the memory resolver and finds nothing.
            if let Ok(Some(files)) = cue::ImportResolver::resolve(&resolver, import_path) {
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

/// The tree an import path names in `root` (`None` when it names nothing), remembered in
/// `resolved` for the other packages of the same commit.
fn resolve_import(
    root: &git2::Tree<'_>,
    module: &Option<String>,
    import: &str,
    resolved: &mut HashMap<String, Option<git2::Oid>>,
) -> Option<git2::Oid> {
    if let Some(target) = resolved.get(import) {
        return *target;
    }
    let target = match tree::directory_of(module.as_deref(), import) {
        Ok(Some(import_directory)) => tree::subtree_id(root, &import_directory),
        _ => None,
    };
    resolved.insert(import.to_string(), target);
    target
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
}
