//! [`PublisherConfig`]: everything [`crate::Publisher::connect`] needs, with defaults.

use std::time::Duration;

use crate::nats::NatsConfig;

/// How a CloudEvent travels in a NATS message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentMode {
    /// The whole event as JSON (the CloudEvents JSON event format) in the payload, with
    /// `Content-Type: application/cloudevents+json`. The default: it is in CloudEvents v1.0.2.
    #[default]
    Structured,
    /// The payload is the data; attributes are `ce-` headers with percent-encoded values and
    /// `Content-Type` is the data's. Only in the CloudEvents NATS binding after v1.0.2.
    Binary,
}

/// The JetStream stream events go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// The stream's name (no spaces, `.`, `*` or `>`).
    pub name: String,
    /// The first subject token: events go to `<prefix>.<source>.<type>` and the stream is
    /// created with the subject `<prefix>.>`.
    pub subject_prefix: String,
    /// How long JetStream remembers a `Nats-Msg-Id`: a retried publish within it is stored once.
    pub duplicate_window: Duration,
    /// How many servers of a JetStream cluster keep a copy of the stream when it is created
    /// (1 to 5; 3 survives the loss of one server). An existing stream keeps its own.
    pub replicas: usize,
}

impl Default for StreamSettings {
    fn default() -> StreamSettings {
        StreamSettings {
            name: "EVENTS".to_string(),
            subject_prefix: "events".to_string(),
            duplicate_window: Duration::from_secs(120),
            replicas: 1,
        }
    }
}

/// How a publish whose PubAck does not come in time is retried (with the same event id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: try once).
    pub retries: u32,
    /// The pause before the first retry; it doubles before each following one.
    pub initial_backoff: Duration,
    /// The longest pause between two attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (1 for the first).
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublisherConfig {
    /// How to reach NATS: servers, credentials, TLS.
    pub nats: NatsConfig,
    /// The registry's base URL: `dataschema` is `<base>/v1/sources/{source}/types/{type}/versions/{n}`.
    pub registry_url: String,
    pub stream: StreamSettings,
    /// How long one attempt waits for its PubAck.
    pub publish_timeout: Duration,
    pub retry: RetryPolicy,
    pub content_mode: ContentMode,
    /// How many events [`crate::Publisher::publish_many`] keeps awaiting their PubAck at once.
    pub max_in_flight: usize,
}

impl PublisherConfig {
    /// A configuration with the defaults: NATS at `nats` (a URL, or a [`NatsConfig`] with
    /// credentials and TLS), stream `EVENTS` on `events.>`, a 2 minute duplicate window, 5 s
    /// per attempt, 3 retries, structured content mode, 256 PubAcks awaited at once by
    /// `publish_many`.
    pub fn new(nats: impl Into<NatsConfig>, registry_url: impl Into<String>) -> PublisherConfig {
        PublisherConfig {
            nats: nats.into(),
            registry_url: registry_url.into(),
            stream: StreamSettings::default(),
            publish_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            content_mode: ContentMode::default(),
            max_in_flight: 256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let policy = RetryPolicy {
            retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        let pauses: Vec<u128> = (1..=5).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 500, 500]);
        assert_eq!(policy.backoff(64), Duration::from_millis(500));
    }
}
