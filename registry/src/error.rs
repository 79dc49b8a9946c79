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
}
