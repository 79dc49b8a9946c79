//! Building the CloudEvent of a validated payload and encoding it as a NATS message, in
//! structured or binary content mode.

use std::collections::BTreeMap;

use async_nats::HeaderMap;
use chrono::{DateTime, SecondsFormat, Utc};
use cloudevents::event::ExtensionValue;
use cloudevents::{AttributesReader, Event, EventBuilder, EventBuilderV10};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::config::ContentMode;
use crate::error::PublishError;
use crate::schema::Pin;

/// The optional CloudEvent attributes a caller sets on one event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    /// The event id; a UUIDv7 when absent. Publishing again with the same id within the
    /// stream's duplicate window stores the event once.
    pub id: Option<String>,
    pub subject: Option<String>,
    /// The occurrence time; now when absent.
    pub time: Option<DateTime<Utc>>,
    /// Extension attributes: names of 1 to 20 lower-case ASCII letters and digits.
    pub extensions: BTreeMap<String, ExtensionValue>,
}

/// The media type of a structured-mode event.
pub const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";
/// The media type of the data.
pub const APPLICATION_JSON: &str = "application/json";
/// The header JetStream deduplicates on.
pub const MESSAGE_ID_HEADER: &str = "Nats-Msg-Id";

/// The context attributes of CloudEvents 1.0 and the event format's data members: never
/// extension names.
pub(crate) const RESERVED_ATTRIBUTES: &[&str] = &[
    "specversion",
    "id",
    "source",
    "type",
    "datacontenttype",
    "dataschema",
    "subject",
    "time",
    "data",
    "data_base64",
];

/// Bytes percent-encoded in a binary-mode header value: controls, space, `"` and `%` (and,
/// by `utf8_percent_encode`, every non-ASCII byte), as the CloudEvents HTTP binding does.
const HEADER_VALUE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'%');

/// The CloudEvent for a payload already validated against `pin`.
pub(crate) fn build_event(
    pin: &Pin,
    id: &str,
    dataschema: &str,
    data: serde_json::Value,
    attributes: &Attributes,
) -> Result<Event, PublishError> {
    check_id(id)?;
    let time = attributes.time.unwrap_or_else(Utc::now);
    let mut builder = EventBuilderV10::new()
        .id(id)
        .source(pin.source.as_str())
        .ty(pin.event_type.as_str())
        .time(time)
        .data_with_schema(APPLICATION_JSON, dataschema, data);
    if let Some(subject) = &attributes.subject {
        builder = builder.subject(subject.as_str());
    }
    for (name, value) in &attributes.extensions {
        check_extension_name(name)?;
        builder = builder.extension(name, value.clone());
    }
    builder.build().map_err(|error| PublishError::Event {
        event_id: id.to_string(),
        reason: error.to_string(),
    })
}

/// The headers and payload of the NATS message carrying `event`.
pub(crate) fn encode(
    event: &Event,
    payload: &[u8],
    mode: ContentMode,
) -> Result<(HeaderMap, Vec<u8>), PublishError> {
    let mut headers = HeaderMap::new();
    headers.insert(MESSAGE_ID_HEADER, event.id());
    match mode {
        ContentMode::Structured => {
            headers.insert("Content-Type", CLOUDEVENTS_JSON);
            let body = serde_json::to_vec(event).map_err(|error| PublishError::Event {
                event_id: event.id().to_string(),
                reason: error.to_string(),
            })?;
            Ok((headers, body))
        }
        ContentMode::Binary => {
            headers.insert("Content-Type", APPLICATION_JSON);
            for (name, value) in event.iter() {
                if name == "datacontenttype" {
                    continue;
                }
                let text = match value {
                    cloudevents::event::AttributeValue::Time(time) => {
                        time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
                    }
                    other => other.to_string(),
                };
                headers.insert(
                    format!("ce-{name}").as_str(),
                    utf8_percent_encode(&text, HEADER_VALUE)
                        .to_string()
                        .as_str(),
                );
            }
            Ok((headers, payload.to_vec()))
        }
    }
}

/// An id travels in a header: it must be non-empty, without control characters.
fn check_id(id: &str) -> Result<(), PublishError> {
    if id.is_empty() || id.chars().any(char::is_control) {
        return Err(PublishError::InvalidAttribute {
            attribute: "id".to_string(),
            reason: "an event id must be non-empty and hold no control characters".to_string(),
        });
    }
    Ok(())
}

fn check_extension_name(name: &str) -> Result<(), PublishError> {
    let well_formed = !name.is_empty()
        && name.len() <= 20
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !well_formed {
        return Err(PublishError::InvalidAttribute {
            attribute: name.to_string(),
            reason: "extension names are 1 to 20 lower-case ASCII letters and digits".to_string(),
        });
    }
    if RESERVED_ATTRIBUTES.contains(&name) {
        return Err(PublishError::InvalidAttribute {
            attribute: name.to_string(),
            reason: "this is a context attribute, not an extension".to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(attributes: &Attributes) -> Event {
        build_event(
            &Pin::new("orders", "order.created", 2),
            "id-1",
            "https://registry.example/v1/sources/orders/types/order.created/versions/2",
            serde_json::json!({"total": 3}),
            attributes,
        )
        .expect("a well-formed event")
    }

    #[test]
    fn extension_names_follow_the_cloudevents_rules() {
        for bad in ["", "Upper", "with-dash", "subject", "abcdefghijklmnopqrstu"] {
            let mut attributes = Attributes::default();
            attributes
                .extensions
                .insert(bad.to_string(), ExtensionValue::from("x"));
            let error = build_event(
                &Pin::new("s", "t", 1),
                "id",
                "https://r.example/x",
                serde_json::json!({}),
                &attributes,
            )
            .expect_err(bad);
            assert_eq!(error.kind(), crate::ErrorKind::Invalid, "{bad}");
        }
    }

    #[test]
    fn binary_mode_puts_attributes_in_percent_encoded_ce_headers() {
        let mut attributes = Attributes {
            subject: Some("order 42 é".to_string()),
            ..Attributes::default()
        };
        attributes
            .extensions
            .insert("tenant".to_string(), ExtensionValue::from("acme"));
        let event = sample(&attributes);
        let (headers, body) =
            encode(&event, b"{\"total\":3}", ContentMode::Binary).expect("encodes");
        assert_eq!(body, b"{\"total\":3}");
        let header = |name: &str| headers.get(name).map(|v| v.as_str().to_string());
        assert_eq!(header("ce-id").as_deref(), Some("id-1"));
        assert_eq!(header("ce-specversion").as_deref(), Some("1.0"));
        assert_eq!(header("ce-type").as_deref(), Some("order.created"));
        assert_eq!(header("ce-subject").as_deref(), Some("order%2042%20%C3%A9"));
        assert_eq!(header("ce-tenant").as_deref(), Some("acme"));
        assert_eq!(header("Content-Type").as_deref(), Some(APPLICATION_JSON));
        assert_eq!(header(MESSAGE_ID_HEADER).as_deref(), Some("id-1"));
    }
}
