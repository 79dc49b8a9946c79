//! What the registry and its clients must agree on, in one place:
//!
//! - [`canonical`]: the canonical form of a version's schema and its `sha256:` [`Digest`],
//!   which decide whether a commit makes a new version and name it everywhere;
//! - [`subject`]: the NATS subject of an event type, which the publisher sends on, receivers
//!   and replay filter on, and the registry's AsyncAPI catalog documents;
//! - [`url`]: the registry's URL layout, which its routes serve and its clients build and read
//!   back (a CloudEvent's `dataschema`);
//! - [`observed`]: the key-value bucket in which receivers record the consumers they run as,
//!   and from which the registry reads them;
//! - [`Pin`]: one version of one event type, as a caller pins it.
//!
//! It sits between the CUE engine and the services: `cue` is the language and nothing else,
//! and neither the registry nor the publisher depends on the other.

use std::fmt;

pub mod canonical;
pub mod observed;
pub mod subject;
pub mod url;

pub use canonical::{CanonicalSchema, Digest};

/// One version of one event type, as the caller pinned it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pin {
    /// The CloudEvents `source` (the registry's source name).
    pub source: String,
    /// The CloudEvents `type`.
    pub event_type: String,
    /// The registry version number (1, 2, ...).
    pub version: u32,
}

impl Pin {
    pub fn new(source: impl Into<String>, event_type: impl Into<String>, version: u32) -> Pin {
        Pin {
            source: source.into(),
            event_type: event_type.into(),
            version,
        }
    }
}

impl fmt::Display for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} v{}", self.source, self.event_type, self.version)
    }
}
