//! Reloading the served index: [`reload`] builds a new [`Index`] aside and swaps it in,
//! [`Reloader`] adds fetching a remote and records every outcome in the state's
//! [`ReloadStatus`] (which `/readyz` and `/metrics` read), and [`spawn_reloads`] runs reloads
//! one at a time, on a timer and whenever a webhook asks ([`AppState::request_reload`]).
//!
//! **Architecture Invariant:** the served branch only moves forward. A tip that does not
//! descend from the served commit (a force push) is refused, and so is a tip whose packages do
//! not load: the last good index stays, and the refusal is reported.

use super::remote::Remote;
use super::{AppState, Index};
use crate::error::Error;
use crate::repository::Repository;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// What a [`reload`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The branch tip is the indexed one: nothing was rebuilt.
    Unchanged,
    /// A new index was built at this commit and swapped in.
    Swapped { commit: String, versions: usize },
}

/// Rebuilds the index of `branch` when its tip moved forward, and swaps it in. On error (the
/// branch cannot be read, it was rewritten, or its tip does not load) the state keeps its
/// current index.
pub fn reload(repository: &Repository, branch: &str, state: &AppState) -> Result<Reload, Error> {
    reload_settled(repository, branch, state, |_| {})
}

/// [`reload`], calling `settled` with the outcome before a new index is swapped in (and with
/// every other outcome): whoever reads the index and then the outcome never sees a served
/// commit whose reload is not recorded yet.
fn reload_settled(
    repository: &Repository,
    branch: &str,
    state: &AppState,
    settled: impl FnOnce(&Result<Reload, Error>),
) -> Result<Reload, Error> {
    match rebuild(repository, branch, state) {
        Ok((outcome, Some(index))) => {
            let result = Ok(outcome);
            settled(&result);
            state.swap(index);
            // The new index is served from now on; its search is built here, after the swap,
            // rather than before it (a search request meanwhile waits for it).
            state.index().search();
            result
        }
        other => {
            let result = other.map(|(outcome, _)| outcome);
            settled(&result);
            result
        }
    }
}

/// The outcome of a reload and, when the tip moved and loads, the index to swap in.
fn rebuild(
    repository: &Repository,
    branch: &str,
    state: &AppState,
) -> Result<(Reload, Option<Index>), Error> {
    let tip = repository.resolve(branch)?.id();
    let served = state.index().head.as_ref().map(|head| head.id.clone());
    if let Some(served) = &served {
        if *served == tip.to_string() {
            return Ok((Reload::Unchanged, None));
        }
        let served = git2::Oid::from_str(served).map_err(|source| Error::Read {
            commit: served.clone(),
            what: "the served commit id".into(),
            source,
        })?;
        ensure_fast_forward(repository.git(), branch, served, tip)?;
    }
    let status = state.reload_status();
    let tip = tip.to_string();
    // A tip that did not load will not load on the next poll either: no rebuild until it moves.
    if let Some((commit, errors)) = status.broken_tip() {
        if commit == tip {
            return Err(Error::BrokenTip {
                branch: branch.to_string(),
                commit,
                errors,
            });
        }
    }
    tracing::info!(commit = %tip, "reloading {branch} at {}", &tip[..tip.len().min(12)]);
    // Shares with the served index what the new commits did not change (the history's
    // numbering and loaded packages are kept by `repository` itself).
    let index = Index::build_from(repository, branch, Some(&state.index()))?;
    status.built();
    tracing::debug!(
        states_made = index.build.states_made,
        states_evaluated = index.build.states_evaluated,
        versions_kept = index.build.versions_kept,
        "indexed {branch}"
    );
    let commit = index
        .head
        .as_ref()
        .map(|head| head.id.clone())
        .unwrap_or_default();
    if !index.tip_errors.is_empty() {
        status.set_broken_tip(Some((commit.clone(), index.tip_errors.clone())));
        return Err(Error::BrokenTip {
            branch: branch.to_string(),
            commit,
            errors: index.tip_errors,
        });
    }
    status.set_broken_tip(None);
    let outcome = Reload::Swapped {
        commit,
        versions: index.version_count(),
    };
    Ok((outcome, Some(index)))
}

/// Fails with [`Error::NonFastForward`] unless `new` is `served` or descends from it.
pub(crate) fn ensure_fast_forward(
    git: &git2::Repository,
    branch: &str,
    served: git2::Oid,
    new: git2::Oid,
) -> Result<(), Error> {
    if served == new {
        return Ok(());
    }
    // A served commit that is gone from the repository (rewritten and pruned) is no ancestor.
    let descends = git.graph_descendant_of(new, served).unwrap_or(false);
    if descends {
        Ok(())
    } else {
        Err(Error::NonFastForward {
            branch: branch.to_string(),
            served: served.to_string(),
            new: new.to_string(),
        })
    }
}

/// How a reload ended, as `/readyz` and `/metrics` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new index was swapped in.
    Swapped,
    /// The branch had not moved.
    Unchanged,
    /// The branch was rewritten (not a fast-forward): refused.
    Refused,
    /// Fetching, reading or loading failed.
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Swapped,
        Outcome::Unchanged,
        Outcome::Refused,
        Outcome::Failed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Swapped => "swapped",
            Outcome::Unchanged => "unchanged",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }

    fn of(result: &Result<Reload, Error>) -> Outcome {
        match result {
            Ok(Reload::Swapped { .. }) => Outcome::Swapped,
            Ok(Reload::Unchanged) => Outcome::Unchanged,
            Err(Error::NonFastForward { .. }) => Outcome::Refused,
            Err(_) => Outcome::Failed,
        }
    }
}

/// The last reload that ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastReload {
    pub outcome: Outcome,
    /// The commit indexed, or the one refused or that failed to load, when known.
    pub commit: Option<String>,
    /// Why it failed or was refused, with its causes.
    pub error: Option<String>,
    pub time: SystemTime,
}

impl LastReload {
    /// Whether the branch is served as it is: swapped or unchanged.
    pub fn ok(&self) -> bool {
        matches!(self.outcome, Outcome::Swapped | Outcome::Unchanged)
    }
}

/// The generation of the served index and what reloads did, shared by the handlers.
#[derive(Debug)]
pub struct ReloadStatus {
    generation: AtomicU64,
    builds: AtomicU64,
    requests: AtomicU64,
    /// How many of `requests` a finished reload answered: each reload answers every request
    /// counted before it started.
    answered: AtomicU64,
    counts: [AtomicU64; 4],
    last: Mutex<Option<LastReload>>,
    /// The last tip that did not load, and why.
    broken_tip: Mutex<Option<(String, Vec<String>)>>,
}

impl ReloadStatus {
    pub(crate) fn new() -> ReloadStatus {
        ReloadStatus {
            generation: AtomicU64::new(1),
            builds: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            counts: Default::default(),
            last: Mutex::new(None),
            broken_tip: Mutex::new(None),
        }
    }

    /// 1 for the first index, plus one per swap.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    pub(crate) fn swapped(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// How many indexes reloads built (the first, built before serving, is not counted).
    pub fn builds(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }

    fn built(&self) {
        self.builds.fetch_add(1, Ordering::Relaxed);
    }

    /// How many reloads were asked for ([`AppState::request_reload`]: accepted webhooks),
    /// however many reloads they made.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn requested(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// How many of [`ReloadStatus::requests`] a finished reload has answered; when it equals
    /// them, no reload is owed (until the next request or poll).
    pub fn answered_requests(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    fn answered(&self, requests: u64) {
        self.answered.fetch_max(requests, Ordering::Relaxed);
    }

    fn broken_tip(&self) -> Option<(String, Vec<String>)> {
        self.broken_tip
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn set_broken_tip(&self, broken: Option<(String, Vec<String>)>) {
        *self
            .broken_tip
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = broken;
    }

    /// How many reloads ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.counts[outcome as usize].load(Ordering::Relaxed)
    }

    /// The last reload that ended, if any did.
    pub fn last(&self) -> Option<LastReload> {
        self.last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Records how a reload ended.
    pub fn record(&self, result: &Result<Reload, Error>) {
        let outcome = Outcome::of(result);
        self.counts[outcome as usize].fetch_add(1, Ordering::Relaxed);
        let commit = match result {
            Ok(Reload::Swapped { commit, .. }) => Some(commit.clone()),
            Ok(Reload::Unchanged) => None,
            Err(Error::NonFastForward { new, .. }) => Some(new.clone()),
            Err(Error::BrokenTip { commit, .. }) => Some(commit.clone()),
            Err(_) => None,
        };
        let last = LastReload {
            outcome,
            commit,
            error: result.as_ref().err().map(Error::with_causes),
            time: SystemTime::now(),
        };
        *self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(last);
    }
}

/// Reloads one branch of a repository (fetching it first when it is a remote's cache) into
/// one state. Its methods block: call them off the async threads.
pub struct Reloader {
    repository: Mutex<Repository>,
    remote: Option<Remote>,
    branch: String,
    state: AppState,
}

impl Reloader {
    /// Reloads `branch` of a local repository.
    pub fn local(repository: Repository, branch: String, state: AppState) -> Reloader {
        Reloader {
            repository: Mutex::new(repository),
            remote: None,
            branch,
            state,
        }
    }

    /// Fetches `remote`'s branch into its cache before each reload.
    pub fn remote(remote: Remote, repository: Repository, state: AppState) -> Reloader {
        let branch = remote.branch().to_string();
        Reloader {
            repository: Mutex::new(repository),
            remote: Some(remote),
            branch,
            state,
        }
    }

    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// Fetches (for a remote), rebuilds when the branch moved forward, records the outcome in
    /// the state's [`ReloadStatus`] and logs it.
    pub fn reload_now(&self) -> Result<Reload, Error> {
        // A panic in an earlier reload leaves the repository usable.
        let repository = self
            .repository
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let record = |result: &Result<Reload, Error>| self.state.reload_status().record(result);
        let result = match self.remote.as_ref().map(|remote| remote.fetch(&repository)) {
            Some(Err(error)) => {
                let result = Err(error);
                record(&result);
                result
            }
            _ => reload_settled(&repository, &self.branch, &self.state, record),
        };
        // Written once the outcome is served and recorded: the file is for the next start,
        // not this one. The history up to a broken tip is numbered all the same.
        repository.save_history_cache();
        let branch = self.branch.as_str();
        match &result {
            Ok(Reload::Unchanged) => tracing::debug!("{branch} unchanged"),
            Ok(Reload::Swapped { commit, versions }) => {
                let short = &commit[..commit.len().min(12)];
                tracing::info!(commit = %commit, versions, "reloaded {branch} at {short}");
            }
            Err(error) => tracing::warn!(
                outcome = Outcome::of(&result).name(),
                error = %error.with_causes(),
                "reload of {branch} {}: serving the last good index",
                Outcome::of(&result).name()
            ),
        }
        result
    }
}

/// Runs `reloader` every `poll` (if any) and whenever [`AppState::request_reload`] is called,
/// one reload at a time: requests that arrive during a reload make one more reload after it.
pub fn spawn_reloads(
    reloader: Arc<Reloader>,
    poll: Option<Duration>,
) -> tokio::task::JoinHandle<()> {
    let requested = reloader.state.reload_requests();
    tokio::spawn(async move {
        let mut interval = poll.map(|poll| {
            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + poll, poll);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        });
        loop {
            let tick = async {
                match &mut interval {
                    Some(interval) => {
                        interval.tick().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let polled = tokio::select! {
                () = tick => true,
                () = requested.notified() => false,
            };
            let status = reloader.state.reload_status();
            // Every request counted now is answered by the reload that starts now. A wake-up
            // left by a request that a finished reload already answered makes no reload.
            let asked = status.requests();
            if !polled && asked <= status.answered_requests() {
                continue;
            }
            let rebuild = reloader.clone();
            // The outcome is recorded and logged by `reload_now`; a panic is logged here.
            if let Err(error) = tokio::task::spawn_blocking(move || rebuild.reload_now()).await {
                tracing::error!(error = %error, "reload: the rebuild panicked");
            }
            status.answered(asked);
        }
    })
}
