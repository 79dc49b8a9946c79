//! The registry HTTP service (`cuemesh serve`): read-only routes over an [`Index`] of one
//! branch, swapped atomically when the branch moves.
//!
//! [`app`] builds the router and binds nothing, so tests drive it with `oneshot`; the command
//! line binds it and calls [`reload`] on a timer. Every error is a JSON body
//! `{"error": {"code": "...", "message": "..."}}` ([`ApiError`]).
//!
//! **Architecture Invariant:** handlers only read an `Arc<Index>` taken at the start of the
//! request: a reload never blocks or changes a request in flight, and a failed rebuild never
//! replaces the last good index.

mod catalog;
mod confluent;
mod examples;
mod fields;
mod html;
mod index;
mod routes;
mod search;
mod self_openapi;

pub use catalog::{
    asyncapi_document, component_name, name_part, openapi_document, Catalog, SUBJECT_PREFIX,
};
pub use confluent::{subject_name, ConfluentError, Subjects, CONTENT_TYPE_V1};
pub use examples::Example;
pub use fields::{fields_of, Field};
pub use index::{Index, IndexedEvent, IndexedSource, IndexedVersion};
pub use routes::{app, ApiError, Route, MAX_BODY_BYTES, ROUTES};
pub use search::{Hit, HitKind, SearchIndex, MAX_QUERY_BYTES};
pub use self_openapi::description;

use crate::error::Error;
use crate::repository::Repository;
use arc_swap::ArcSwap;
use std::sync::Arc;

/// What the handlers share: the current index, replaced whole by [`AppState::swap`].
#[derive(Clone)]
pub struct AppState {
    index: Arc<ArcSwap<Index>>,
}

impl AppState {
    pub fn new(index: Index) -> AppState {
        AppState {
            index: Arc::new(ArcSwap::from_pointee(index)),
        }
    }

    /// The index as it is now; requests hold it to the end, whatever reloads happen.
    pub fn index(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Replaces the index for every later request.
    pub fn swap(&self, index: Index) {
        self.index.store(Arc::new(index));
    }
}

/// What a [`reload`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The branch tip is the indexed one: nothing was rebuilt.
    Unchanged,
    /// A new index was built at this commit and swapped in.
    Swapped { commit: String, versions: usize },
}

/// Rebuilds the index of `branch` when its tip moved, and swaps it in. On error the state
/// keeps its current index.
pub fn reload(repository: &Repository, branch: &str, state: &AppState) -> Result<Reload, Error> {
    let tip = repository.resolve(branch)?.id().to_string();
    if state.index().head.as_ref().map(|head| head.id.as_str()) == Some(tip.as_str()) {
        return Ok(Reload::Unchanged);
    }
    let index = Index::build(repository, branch)?;
    let outcome = Reload::Swapped {
        commit: index
            .head
            .as_ref()
            .map(|head| head.id.clone())
            .unwrap_or_default(),
        versions: index.version_count(),
    };
    state.swap(index);
    Ok(outcome)
}
