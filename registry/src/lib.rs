//! The governance repository model: a Git repository of CUE sources read at any ref without
//! a checkout, every source's events with their canonical schemas and digests, and versions
//! numbered from first-parent history.
//!
//! - [`Repository::open`] opens a repository (work tree, `.git` or bare).
//! - [`Repository::snapshot`] loads every package under `sources/` at a ref: a [`Snapshot`]
//!   of [`Source`]s, each with its [`Event`]s, [`CanonicalSchema`]s and `Diagnostic`s.
//! - [`Repository::history`] numbers versions along a branch: a [`History`] of
//!   [`EventHistory`]s, each a list of [`Version`]s with digest, commit, author and time.
//! - [`serve`] is the registry HTTP service over an index of one branch.
//!
//! **Architecture Invariant:** the model never checks out a work tree and never reads one: it
//! reads Git objects only, so any ref of a bare mirror can be served while others are read.
//!
//! **Architecture Invariant:** problems in the repository's content are `cue::Diagnostic`s on
//! the model, never errors or panics; [`Error`] is for the environment (not a repository, an
//! unknown ref, an unreadable object).
//!
//! [`check`] (the pull request gate) compares a work tree with a ref's merge base on top of the
//! model; it is the one module that reads a work tree, like [`lint`].
//!
//! The governance repository's layout: `cue.mod/module.cue` (the module path), `cuemesh.cue`
//! (registry settings), `sources/<name>/*.cue` (one package per source, or a shared package of
//! types such as `sources/common`), `sources/<name>/examples/<type>/*.json` (example payloads,
//! the folder named by [`examples_folder_name`]).

mod commit;
mod consumer;
mod contract;
mod error;
mod files;
mod finding;
mod history;
mod history_cache;
mod lint_code;
mod repository;
mod source;
mod tree;

pub use commit::CommitInfo;
pub use consumer::{
    consumers_at, is_consumer_path, load_consumer, Consumer, ConsumerRead, Pin,
    CONSUMERS_DIRECTORY, CONSUMER_CONTRACT, CONSUMER_INVALID,
};
pub use cuemesh_contract::canonical::{CanonicalSchema, Digest};
pub use error::Error;
pub use files::{
    FilesError, RepoFiles, CODEOWNERS_PATHS, IMPORT_RECORD_FILE, MODULE_FILE, SETTINGS_FILE,
    SOURCES_DIRECTORY,
};
pub use finding::{Finding, Level, Sources};
pub use history::{CommitProblem, EventHistory, History, Version};
pub use history_cache::{CacheProblem, HistoryCache};
pub use lint_code::LintCode;
pub use repository::{
    HistoryProgress, ProgressObserver, Repository, RepositoryDiagnostic, RepositorySettings,
    Snapshot, WarningObserver,
};
pub use settings::{Pattern, RegistrySettings, Settings};
pub use source::{examples_folder_name, Event, Source, EXAMPLES_DIRECTORY};
pub use tree::TreeResolver;

pub mod check;
pub mod lint;
pub mod serve;
pub mod settings;
