//! The mapping from an event's `(source, type)` to a NATS subject, and the registry URLs of a
//! pinned version (the CloudEvent's `dataschema`) and of the sidecar's publish route. Both are
//! `cuemesh_contract`'s, shared with the registry: re-exported here, where the publisher's
//! callers look for them.

pub use cuemesh_contract::subject::{filter_subject, subject_for, subject_token};
pub use cuemesh_contract::url::{publish_url, version_url};
