//! Observed consumers: what receivers record, and the registry reads, in the JetStream
//! key-value bucket [`CONSUMERS_BUCKET`]. A receiver running as consumer `billing` that decodes
//! an event of `com.acme.orders.placed` at version 2 writes one [`Observation`] under the key
//! [`observation_key`]`("billing", "com.acme.orders", "com.acme.orders.placed", 2)`, at most
//! once per [`RECORD_INTERVAL`]: the key names the consumer, the event type and the version,
//! so the bucket holds one entry per (consumer, type, version), its value saying when it was
//! last seen.
//!
//! Key-value keys allow ASCII letters, digits, `-`, `_`, `/`, `=` and `.` (the token
//! separator): each of the four parts is one token in which every other byte is `=XX`
//! (upper-case hex), like a subject token with `=` for `%`, so that no two observations share a
//! key whatever the names hold.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::subject::escaped_token;

/// The bucket receivers record observed consumers in (created by the first one when absent).
pub const CONSUMERS_BUCKET: &str = "cuemesh-consumers";

/// How often at most a receiver records the same (consumer, type, version).
pub const RECORD_INTERVAL: Duration = Duration::from_secs(60);

/// One consumer seen decoding one version of one event type: the value of its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// The consumer's id, as `consumer.id` would declare it in `consumers/<name>.cue`.
    pub consumer: String,
    /// The CloudEvents `source`.
    pub source: String,
    /// The CloudEvents `type`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The version whose schema the consumer decoded the event with.
    pub version: u32,
    /// When it was last recorded, RFC 3339 in UTC.
    pub last_seen: String,
}

impl Observation {
    /// Its key in [`CONSUMERS_BUCKET`].
    pub fn key(&self) -> String {
        observation_key(&self.consumer, &self.source, &self.event_type, self.version)
    }
}

/// The key of an observation: `<consumer>.<source>.<type>.<version>`, each name one token.
pub fn observation_key(consumer: &str, source: &str, event_type: &str, version: u32) -> String {
    format!(
        "{}.{}.{}.{version}",
        escaped_token(consumer, '='),
        escaped_token(source, '='),
        escaped_token(event_type, '=')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_only_what_key_value_keys_allow_and_never_collide() {
        let key = observation_key("billing", "com.acme.orders", "MySource:new Person", 2);
        assert_eq!(key, "billing.com=2Eacme=2Eorders.MySource=3Anew=20Person.2");
        assert!(key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_/=.".contains(&b)));
        assert_ne!(
            observation_key("a.b", "c", "d", 1),
            observation_key("a", "b.c", "d", 1)
        );
        assert_eq!(observation_key("", "=", "d", 3), "=.=3D.d.3");
    }

    #[test]
    fn observations_are_json_with_the_type_named_as_cloudevents_name_it() {
        let observation = Observation {
            consumer: "billing".to_string(),
            source: "com.acme.orders".to_string(),
            event_type: "com.acme.orders.placed".to_string(),
            version: 2,
            last_seen: "2026-12-06T01:00:00Z".to_string(),
        };
        let json = serde_json::to_value(&observation).expect("serializes");
        assert_eq!(json["type"], "com.acme.orders.placed");
        assert_eq!(
            serde_json::from_value::<Observation>(json).expect("reads back"),
            observation
        );
        assert_eq!(
            observation.key(),
            "billing.com=2Eacme=2Eorders.com=2Eacme=2Eorders=2Eplaced.2"
        );
    }
}
