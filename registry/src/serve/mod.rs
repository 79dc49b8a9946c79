//! The registry HTTP service (`cuemesh serve`): read-only routes over an [`Index`] of one
//! branch, swapped atomically when the branch moves.
//!
//! [`app`] builds the router and binds nothing, so tests drive it with `oneshot`; the command
//! line binds it and runs [`spawn_reloads`] (on a timer, and when the GitHub webhook of
//! `webhook` asks), fetching first when the repository is a [`Remote`]. Every request is
//! counted and timed by the layer of `metrics` (served at `/metrics`) and logged with
//! `tracing`. Every error is a JSON body
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
mod metrics;
mod observed;
mod reload;
mod remote;
mod routes;
mod search;
mod self_openapi;
mod webhook;

pub use catalog::{
    asyncapi_document, component_name, name_part, openapi_document, Catalog, SUBJECT_PREFIX,
};
pub use confluent::{subject_name, ConfluentError, Subjects, CONTENT_TYPE_V1};
pub use examples::Example;
pub use fields::{fields_of, Field};
pub use index::{
    BuildCounts, DocumentCache, Documents, EvaluatedState, Index, IndexedEvent, IndexedSource,
    IndexedVersion, PackageState, VersionDocuments,
};
pub use metrics::Metrics;
pub use observed::{all_consumers, type_consumers, ObservedConsumers, TypeConsumer};
pub use reload::{reload, spawn_reloads, LastReload, Outcome, Reload, ReloadStatus, Reloader};
pub use remote::{is_remote, redacted, Remote};
pub use routes::{app, ApiError, Route, MAX_BODY_BYTES, ROUTES};
pub use search::{Hit, HitKind, SearchIndex, MAX_QUERY_BYTES};
pub use self_openapi::description;
pub use webhook::github_signature;

use arc_swap::ArcSwap;
use std::sync::Arc;
use tokio::sync::Notify;

/// What the handlers share: the current index, replaced whole by [`AppState::swap`], and the
/// service's operational state (reload status, request metrics, webhook secret).
#[derive(Clone)]
pub struct AppState {
    index: Arc<ArcSwap<Index>>,
    status: Arc<ReloadStatus>,
    metrics: Arc<Metrics>,
    reload_requests: Arc<Notify>,
    webhook_secret: Option<Arc<[u8]>>,
    observed: Arc<ObservedConsumers>,
}

impl AppState {
    pub fn new(index: Index) -> AppState {
        AppState {
            index: Arc::new(ArcSwap::from_pointee(index)),
            status: Arc::new(ReloadStatus::new()),
            metrics: Arc::new(Metrics::default()),
            reload_requests: Arc::new(Notify::new()),
            webhook_secret: None,
            observed: Arc::new(ObservedConsumers::default()),
        }
    }

    /// Enables `POST /v1/hooks/github`, verifying signatures with `secret`.
    pub fn with_webhook_secret(mut self, secret: &[u8]) -> AppState {
        self.webhook_secret = Some(Arc::from(secret));
        self
    }

    /// The consumers receivers were observed as, which a watcher of the bucket keeps up to
    /// date (shared by every clone of the state).
    pub fn observed(&self) -> &ObservedConsumers {
        &self.observed
    }

    /// The index as it is now; requests hold it to the end, whatever reloads happen.
    pub fn index(&self) -> Arc<Index> {
        self.index.load_full()
    }

    /// Replaces the index for every later request.
    pub fn swap(&self, index: Index) {
        self.index.store(Arc::new(index));
        self.status.swapped();
    }

    /// The index generation and what reloads did.
    pub fn reload_status(&self) -> &ReloadStatus {
        &self.status
    }

    /// The request counters and latency histograms.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Asks the task of [`spawn_reloads`] for a reload. Requests made while one runs, however
    /// many, make one more reload after it.
    pub fn request_reload(&self) {
        self.reload_status().requested();
        self.reload_requests.notify_one();
    }

    fn reload_requests(&self) -> Arc<Notify> {
        self.reload_requests.clone()
    }

    fn webhook_secret(&self) -> Option<&[u8]> {
        self.webhook_secret.as_deref()
    }
}
