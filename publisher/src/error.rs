//! The errors of the publisher: [`ConnectError`] from [`crate::Publisher::connect`] and
//! [`PublishError`], whose [`PublishError::kind`] is what callers match on.

use std::time::Duration;

use crate::nats::NatsError;
use crate::schema::{Pin, SchemaError};

/// One reason a payload does not match its pinned schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the payload, as CUE prints it (`total.amount`, `items.0.sku`); empty for the
    /// payload as a whole.
    pub path: String,
    /// The CUE diagnostic code (`CONFLICT`, `FIELD_NOT_ALLOWED`, `INCOMPLETE`, ...).
    pub code: &'static str,
    /// What is wrong, without the path.
    pub message: String,
}

impl Violation {
    /// `path: message`, or the message alone at the root.
    pub fn headline(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }
}

fn headlines(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(Violation::headline)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The coarse classes of [`PublishError`]: what a caller decides on (a sidecar maps them to
/// 422, 404, 503, 504, 413, 403 and 500).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The payload or an attribute does not match the pinned schema; nothing was sent.
    Invalid,
    /// The pinned version is unknown.
    NotFound,
    /// NATS or the stream cannot be reached.
    Unavailable,
    /// No PubAck came within the timeout, after every retry.
    Timeout,
    /// The event is over the server's `max_payload`.
    TooLarge,
    /// The NATS user may not publish on the event's subject; nothing was stored.
    Forbidden,
    /// Anything else: a schema that does not compile or match its digest, a bug.
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("the payload for {pin} is invalid: {}", headlines(.violations))]
    Invalid {
        pin: Pin,
        violations: Vec<Violation>,
    },
    #[error("attribute {attribute:?} is invalid: {reason}")]
    InvalidAttribute { attribute: String, reason: String },
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("publishing {event_id} to {subject}: NATS is unavailable")]
    Unavailable {
        event_id: String,
        subject: String,
        #[source]
        source: Option<async_nats::jetstream::context::PublishError>,
    },
    #[error(
        "publishing {event_id} to {subject}: no PubAck after {attempts} attempts of {timeout:?}"
    )]
    Timeout {
        event_id: String,
        subject: String,
        attempts: u32,
        timeout: Duration,
    },
    #[error("event {event_id} is {size} bytes with headers, over the server's max_payload of {max_payload}")]
    TooLarge {
        event_id: String,
        size: usize,
        max_payload: usize,
    },
    #[error("NATS refused {event_id}: this user may not publish to {subject} (a permissions violation); nothing was stored")]
    Forbidden { event_id: String, subject: String },
    #[error("building the CloudEvent {event_id}: {reason}")]
    Event { event_id: String, reason: String },
    #[error("publishing {event_id} to {subject}")]
    Publish {
        event_id: String,
        subject: String,
        #[source]
        source: async_nats::jetstream::context::PublishError,
    },
}

impl PublishError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            PublishError::Invalid { .. } | PublishError::InvalidAttribute { .. } => {
                ErrorKind::Invalid
            }
            PublishError::Schema(error) => error.kind(),
            PublishError::Unavailable { .. } => ErrorKind::Unavailable,
            PublishError::Timeout { .. } => ErrorKind::Timeout,
            PublishError::TooLarge { .. } => ErrorKind::TooLarge,
            PublishError::Forbidden { .. } => ErrorKind::Forbidden,
            PublishError::Event { .. } | PublishError::Publish { .. } => ErrorKind::Internal,
        }
    }

    /// The id of the event the error is about, once it had one (a failure to send it).
    pub fn event_id(&self) -> Option<&str> {
        match self {
            PublishError::Unavailable { event_id, .. }
            | PublishError::Timeout { event_id, .. }
            | PublishError::TooLarge { event_id, .. }
            | PublishError::Forbidden { event_id, .. }
            | PublishError::Event { event_id, .. }
            | PublishError::Publish { event_id, .. } => Some(event_id),
            PublishError::Invalid { .. }
            | PublishError::InvalidAttribute { .. }
            | PublishError::Schema(_) => None,
        }
    }

    /// Every violation when the payload is invalid; empty otherwise.
    pub fn violations(&self) -> &[Violation] {
        match self {
            PublishError::Invalid { violations, .. } => violations,
            _ => &[],
        }
    }
}

/// Why [`crate::Publisher::connect`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Nats(#[from] NatsError),
    #[error("subscribing to PubAcks on NATS at {url}")]
    Subscribe {
        url: String,
        #[source]
        source: async_nats::SubscribeError,
    },
    #[error("creating or reading the JetStream stream {stream}")]
    Stream {
        stream: String,
        #[source]
        source: async_nats::jetstream::context::CreateStreamError,
    },
    #[error("the JetStream stream {stream} exists with subjects {subjects:?}, which do not include {wanted}")]
    StreamSubjects {
        stream: String,
        subjects: Vec<String>,
        wanted: String,
    },
    #[error("the JetStream stream {stream} keeps duplicates for {actual:?}, less than the configured {configured:?}")]
    DuplicateWindow {
        stream: String,
        actual: Duration,
        configured: Duration,
    },
}
