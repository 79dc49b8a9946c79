//! The mapping from an event's `(source, type)` to a NATS subject, and the registry URL of a
//! pinned version (the CloudEvent's `dataschema`).
//!
//! A subject is `<prefix>.<source>.<type>`, each of the two tokens percent-encoded so that it
//! is exactly one NATS token whatever the names hold: every byte other than ASCII letters,
//! digits, `-` and `_` becomes `%XX` (upper-case hex). So `.`, `*`, `>`, whitespace, `%` and
//! non-ASCII never reach the subject raw, `com.example.orders` becomes `com%2Eexample%2Eorders`,
//! and two different names never share a subject. An empty name becomes the lone token `%`,
//! which encoding never produces otherwise. Consumers subscribe to `<prefix>.<source>.>` or
//! `<prefix>.*.<type>` with the same encoding.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// The mapping itself is `cue::canonical`'s, shared with the registry's AsyncAPI catalog.
pub use cue::canonical::{subject_for, subject_token};

/// Bytes kept as they are in a URL path segment: RFC 3986 unreserved characters.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The registry URL of a version: `<base>/v1/sources/{source}/types/{type}/versions/{n}`,
/// each name percent-encoded as one path segment. A trailing `/` on `base` is ignored.
pub fn version_url(base: &str, source: &str, event_type: &str, version: u32) -> String {
    format!(
        "{}/v1/sources/{}/types/{}/versions/{version}",
        base.trim_end_matches('/'),
        utf8_percent_encode(source, PATH_SEGMENT),
        utf8_percent_encode(event_type, PATH_SEGMENT)
    )
}

/// The sidecar URL that publishes a pinned version:
/// `<base>/v1/events/{source}/{type}/versions/{n}`, named like [`version_url`].
pub fn publish_url(base: &str, source: &str, event_type: &str, version: u32) -> String {
    format!(
        "{}/v1/events/{}/{}/versions/{version}",
        base.trim_end_matches('/'),
        utf8_percent_encode(source, PATH_SEGMENT),
        utf8_percent_encode(event_type, PATH_SEGMENT)
    )
}

/// The filter subject for events of `source` and `event_type` under `prefix`, each `None`
/// standing for any: `<prefix>.>` when both are `None`, else `<prefix>.<source|*>.<type|*>`.
pub fn filter_subject(prefix: &str, source: Option<&str>, event_type: Option<&str>) -> String {
    match (source, event_type) {
        (None, None) => format!("{prefix}.>"),
        (source, event_type) => format!(
            "{prefix}.{}.{}",
            source.map_or_else(|| "*".to_string(), subject_token),
            event_type.map_or_else(|| "*".to_string(), subject_token)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_wildcards_spaces_and_non_ascii_stay_inside_one_token() {
        assert_eq!(
            subject_for("events", "com.example.orders", "order created"),
            "events.com%2Eexample%2Eorders.order%20created"
        );
        assert_eq!(subject_token("a*b>c"), "a%2Ab%3Ec");
        assert_eq!(subject_token("café"), "caf%C3%A9");
        assert_eq!(subject_token("100%"), "100%25");
        assert_eq!(subject_token("tab\there"), "tab%09here");
        assert_eq!(subject_token("plain-name_1"), "plain-name_1");
        assert_eq!(subject_token(""), "%");
    }

    #[test]
    fn version_urls_encode_each_name_as_one_segment() {
        assert_eq!(
            version_url("https://registry.example/", "com.example/orders", "OrderCreated", 3),
            "https://registry.example/v1/sources/com.example%2Forders/types/OrderCreated/versions/3"
        );
        assert_eq!(
            publish_url(
                "http://127.0.0.1:8090",
                "com.example/orders",
                "Order Created",
                3
            ),
            "http://127.0.0.1:8090/v1/events/com.example%2Forders/Order%20Created/versions/3"
        );
    }

    #[test]
    fn filter_subjects_use_the_same_tokens_as_publishing() {
        assert_eq!(filter_subject("events", None, None), "events.>");
        assert_eq!(
            filter_subject("events", Some("com.example.orders"), None),
            "events.com%2Eexample%2Eorders.*"
        );
        assert_eq!(
            filter_subject("events", None, Some("order created")),
            "events.*.order%20created"
        );
        assert_eq!(
            filter_subject("events", Some("s"), Some("t")),
            subject_for("events", "s", "t")
        );
    }
}
