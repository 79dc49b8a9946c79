//! The registry's error type: failures of the environment (not a repository, a missing
//! reference, an unreadable object). Problems in the governance repository's content are
//! never errors: they are `cue::Diagnostic`s on the snapshot or the history.

use std::path::PathBuf;

/// Why the repository model could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `path` is not (inside) a Git repository.
    #[error("{}: not a Git repository", path.display())]
    NotARepository {
        path: PathBuf,
        #[source]
        source: git2::Error,
    },
    /// A branch, tag or revision that names nothing in the repository.
    #[error("reference {reference:?} not found")]
    ReferenceNotFound {
        reference: String,
        #[source]
        source: git2::Error,
    },
    /// A reference that exists but does not lead to a commit (a tree or blob id).
    #[error("reference {reference:?} does not point to a commit")]
    NotACommit {
        reference: String,
        #[source]
        source: git2::Error,
    },
    /// The repository has no default branch to read (an unborn or detached `HEAD`).
    #[error("the repository has no default branch (HEAD is detached or unborn)")]
    NoDefaultBranch {
        #[source]
        source: Option<git2::Error>,
    },
    /// An object that Git could not read (a corrupt or partial clone).
    #[error("cannot read {what} of commit {commit}")]
    Read {
        commit: String,
        what: String,
        #[source]
        source: git2::Error,
    },
    /// Walking the first-parent history of a branch failed.
    #[error("cannot walk the history of {branch:?}")]
    Walk {
        branch: String,
        #[source]
        source: git2::Error,
    },
    /// The branch moved to a commit that does not descend from the one served: its history
    /// was rewritten (a force push). Versions are immutable, so the move is refused.
    #[error(
        "{branch:?} moved from {served} to {new}, which does not descend from it (history was rewritten); refused: versions are immutable"
    )]
    NonFastForward {
        branch: String,
        served: String,
        new: String,
    },
    /// The branch tip has packages that do not load: it is not served.
    #[error("{branch:?} at {commit} does not load: {}", errors.join("; "))]
    BrokenTip {
        branch: String,
        commit: String,
        errors: Vec<String>,
    },
    /// Cloning or fetching a remote repository failed.
    #[error("cannot {action} {url}")]
    Remote {
        action: &'static str,
        url: String,
        #[source]
        source: git2::Error,
    },
    /// The local directory that caches a remote repository could not be prepared.
    /// `registry.branch` in `cuemesh.cue` names a branch the repository does not have.
    #[error(
        "cuemesh.cue on {head:?} sets registry.branch to {branch:?}, which this repository does \
         not have: create it, fix the setting, or name a branch with --branch"
    )]
    ConfiguredBranchMissing { head: String, branch: String },
    #[error("cannot prepare the cache directory {}", path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The message with its chain of causes, on one line (`a: b: c`).
    pub fn with_causes(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(inner) = cause {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            cause = inner.source();
        }
        text
    }
}
