//! The mapping from an event's `(source, type)` to a NATS subject: the publisher sends on it,
//! receivers and `check --replay` filter on it, the registry's AsyncAPI catalog documents it.
//!
//! A subject is `<prefix>.<source>.<type>`, each of the two tokens percent-encoded so that it
//! is exactly one NATS token whatever the names hold: every byte other than ASCII letters,
//! digits, `-` and `_` becomes `%XX` (upper-case hex). So `.`, `*`, `>`, whitespace, `%` and
//! non-ASCII never reach the subject raw, `com.example.orders` becomes `com%2Eexample%2Eorders`,
//! and two different names never share a subject. An empty name becomes the lone token `%`,
//! which encoding never produces otherwise. Consumers subscribe to `<prefix>.<source>.>` or
//! `<prefix>.*.<type>` with the same encoding.

/// One NATS subject token for an event's `source` or `type`: ASCII letters, digits, `-` and `_`
/// stay as they are, every other byte becomes `%XX` (upper-case hex), so `.`, `*`, `>`,
/// whitespace, `%` and non-ASCII never reach a subject raw and two names never share a token.
/// An empty name is the lone token `%`, which encoding never produces otherwise.
pub fn subject_token(name: &str) -> String {
    escaped_token(name, '%')
}

/// `name` as one token of ASCII letters, digits, `-` and `_`, every other byte written as
/// `escape` and two upper-case hex digits, and the empty name as the lone `escape`.
pub(crate) fn escaped_token(name: &str, escape: char) -> String {
    if name.is_empty() {
        return escape.to_string();
    }
    let mut token = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            token.push(char::from(byte));
        } else {
            token.push_str(&format!("{escape}{byte:02X}"));
        }
    }
    token
}

/// The subject an event of `(source, event_type)` is published on: `<prefix>.<source>.<type>`,
/// each name one [`subject_token`].
pub fn subject_for(prefix: &str, source: &str, event_type: &str) -> String {
    format!(
        "{prefix}.{}.{}",
        subject_token(source),
        subject_token(event_type)
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
