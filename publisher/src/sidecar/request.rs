//! Reading one publish request: the payload and the CloudEvent attributes, from `ce-`
//! headers (the CloudEvents HTTP binary binding), from a whole event in the body
//! (`application/cloudevents+json`, the structured binding), or a batch of whole events
//! (`application/cloudevents-batch+json`, the batched binding).

use std::borrow::Cow;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use cloudevents::event::ExtensionValue;
use percent_encoding::percent_decode;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{Attributes, CLOUDEVENTS_JSON, RESERVED_ATTRIBUTES};
use crate::schema::Pin;

/// A request refused before validation: a 400 (or 415) with a code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRequest {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) unsupported_media_type: bool,
    /// Where in the body (1-based line and column) for a JSON syntax error.
    pub(crate) position: Option<(usize, usize)>,
    /// Which event of a batch (0-based), when the request is one.
    pub(crate) event: Option<usize>,
}

fn bad(code: &'static str, message: impl Into<String>) -> BadRequest {
    BadRequest {
        code,
        message: message.into(),
        unsupported_media_type: false,
        position: None,
        event: None,
    }
}

/// The payload to validate and the attributes to set.
pub(crate) struct PublishRequest {
    pub(crate) payload: bytes::Bytes,
    pub(crate) attributes: Attributes,
}

/// What a request posts: one event, or a batch of them.
pub(crate) enum Posted {
    One(PublishRequest),
    Batch(Vec<PublishRequest>),
}

/// The media type of a batch of whole events (the CloudEvents JSON batch format).
pub(crate) const CLOUDEVENTS_BATCH_JSON: &str = "application/cloudevents-batch+json";

/// How the body is to be read, from `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Data,
    Event,
    Batch,
}

fn body_kind(headers: &HeaderMap) -> Result<Body, BadRequest> {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE) else {
        return Ok(Body::Data);
    };
    let media_type = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media_type == CLOUDEVENTS_JSON {
        return Ok(Body::Event);
    }
    if media_type == CLOUDEVENTS_BATCH_JSON {
        return Ok(Body::Batch);
    }
    if media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
    {
        return Ok(Body::Data);
    }
    Err(BadRequest {
        code: "unsupported_media_type",
        message: format!(
            "Content-Type {media_type:?} is not accepted: send the JSON payload as \
             application/json, a whole event as {CLOUDEVENTS_JSON}, or a JSON array of \
             events as {CLOUDEVENTS_BATCH_JSON}"
        ),
        unsupported_media_type: true,
        position: None,
        event: None,
    })
}

/// Reads `body` and `headers` for `pin`, whose registry URL is `dataschema`.
pub(crate) fn read(
    pin: &Pin,
    dataschema: &str,
    headers: &HeaderMap,
    body: bytes::Bytes,
) -> Result<Posted, BadRequest> {
    match body_kind(headers)? {
        // The payload's JSON is checked by validation, which reads it anyway; when validation
        // refuses it, [`check_json`] tells a syntax error (400) from invalid data (422).
        Body::Data => Ok(Posted::One(PublishRequest {
            payload: body,
            attributes: from_headers(pin, headers)?,
        })),
        Body::Event => {
            let event = serde_json::from_slice(&body).map_err(json_error)?;
            from_event(pin, dataschema, &body, event).map(Posted::One)
        }
        Body::Batch => from_batch(pin, dataschema, headers, &body).map(Posted::Batch),
    }
}

/// A batch: a JSON array of whole events, each read as [`from_event`] reads one (a refusal
/// names the event by its index). The HTTP binding's `ce-` headers describe a single event,
/// so a batch request must not send any.
fn from_batch(
    pin: &Pin,
    dataschema: &str,
    headers: &HeaderMap,
    body: &bytes::Bytes,
) -> Result<Vec<PublishRequest>, BadRequest> {
    if let Some(name) = headers.keys().find(|name| name.as_str().starts_with("ce-")) {
        return Err(bad(
            "bad_attribute",
            format!("header {name} cannot be sent with a batch: each event carries its attributes"),
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|error| bad("bad_json", format!("the body is not UTF-8: {error}")))?;
    if !text.trim_start().starts_with('[') {
        // Read for its syntax errors first, so that broken JSON is told as such.
        serde_json::from_str::<IgnoredAny>(text).map_err(json_error)?;
        return Err(bad(
            "bad_batch",
            format!("a batch ({CLOUDEVENTS_BATCH_JSON}) is a JSON array of events"),
        ));
    }
    let events: Vec<RawEvent<'_>> = serde_json::from_str(text).map_err(json_error)?;
    events
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            from_event(pin, dataschema, body, event).map_err(|mut refused| {
                refused.message = format!("event {index}: {}", refused.message);
                refused.event = Some(index);
                refused
            })
        })
        .collect()
}

/// A 400 naming the line and column when `body` is not JSON.
pub(crate) fn check_json(body: &[u8]) -> Result<(), BadRequest> {
    serde_json::from_slice::<serde::de::IgnoredAny>(body)
        .map(|_| ())
        .map_err(json_error)
}

fn json_error(error: serde_json::Error) -> BadRequest {
    BadRequest {
        code: "bad_json",
        message: format!("the body is not JSON: {error}"),
        unsupported_media_type: false,
        position: Some((error.line(), error.column())),
        event: None,
    }
}

fn parse_time(text: &str, attribute: &str) -> Result<DateTime<Utc>, BadRequest> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| {
            bad(
                "bad_attribute",
                format!("{attribute} {text:?} is not an RFC 3339 time: {error}"),
            )
        })
}

/// The attributes of the HTTP binary binding: `ce-id`, `ce-subject`, `ce-time` and
/// `ce-<extension>`, values percent-decoded. `ce-specversion`, `ce-source` and `ce-type`
/// may be sent and must then agree with the path.
fn from_headers(pin: &Pin, headers: &HeaderMap) -> Result<Attributes, BadRequest> {
    let mut attributes = Attributes::default();
    for (name, value) in headers {
        let Some(attribute) = name.as_str().strip_prefix("ce-") else {
            continue;
        };
        let value = percent_decode(value.as_bytes())
            .decode_utf8()
            .map_err(|_| {
                bad(
                    "bad_attribute",
                    format!("header {name} is not UTF-8 once percent-decoded"),
                )
            })?
            .into_owned();
        let header = name.as_str();
        match attribute {
            "id" => attributes.id = Some(value),
            "subject" => attributes.subject = Some(value),
            "time" => attributes.time = Some(parse_time(&value, header)?),
            "specversion" | "source" | "type" => agree(pin, attribute, &value, header)?,
            "dataschema" | "datacontenttype" | "data" | "data_base64" => {
                return Err(bad(
                    "bad_attribute",
                    format!("header {header} cannot be set: the sidecar sets {attribute}"),
                ))
            }
            extension => {
                attributes
                    .extensions
                    .insert(extension.to_string(), ExtensionValue::String(value));
            }
        }
    }
    Ok(attributes)
}

/// `specversion` must be 1.0; `source` and `type` must be the path's.
fn agree(pin: &Pin, attribute: &str, value: &str, place: &str) -> Result<(), BadRequest> {
    let expected = match attribute {
        "specversion" => "1.0",
        "source" => pin.source.as_str(),
        _ => pin.event_type.as_str(),
    };
    if value == expected {
        return Ok(());
    }
    let code = if attribute == "specversion" {
        "bad_attribute"
    } else {
        "event_mismatch"
    };
    Err(bad(
        code,
        format!("{place} is {value:?}, but this endpoint takes {attribute} {expected:?}"),
    ))
}

/// The members of one event object as the body has them: each name (unescaped) with its
/// value's JSON text, borrowed from the body. Reading an event this way (rather than into a
/// `serde_json::Value`) leaves its `data` as it was sent, to be validated and published
/// without being parsed into a tree and written again. Anything but an object is `None`.
struct RawEvent<'a>(Option<Vec<(Cow<'a, str>, &'a RawValue)>>);

impl<'de> Deserialize<'de> for RawEvent<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;
        impl<'de> Visitor<'de> for Members {
            type Value = RawEvent<'de>;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a JSON value")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<RawEvent<'de>, M::Error> {
                let mut members = Vec::new();
                while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                    members.push((name, map.next_value::<&'de RawValue>()?));
                }
                Ok(RawEvent(Some(members)))
            }

            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<RawEvent<'de>, S::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawEvent(None))
            }

            fn visit_bool<E>(self, _: bool) -> Result<RawEvent<'de>, E> {
                Ok(RawEvent(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<RawEvent<'de>, E> {
                Ok(RawEvent(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<RawEvent<'de>, E> {
                Ok(RawEvent(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<RawEvent<'de>, E> {
                Ok(RawEvent(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<RawEvent<'de>, E> {
                Ok(RawEvent(None))
            }
            fn visit_unit<E>(self) -> Result<RawEvent<'de>, E> {
                Ok(RawEvent(None))
            }
        }
        deserializer.deserialize_any(Members)
    }
}

/// The text of a JSON string value, or `None` for any other JSON value.
fn string_value(raw: &RawValue) -> Option<Cow<'_, str>> {
    if !raw.get().starts_with('"') {
        return None;
    }
    // Borrowed when it has no escapes; otherwise unescaped into a new string.
    match serde_json::from_str::<&str>(raw.get()) {
        Ok(text) => Some(Cow::Borrowed(text)),
        Err(_) => serde_json::from_str::<String>(raw.get())
            .ok()
            .map(Cow::Owned),
    }
}

/// A whole event (the CloudEvents JSON format), taken from `body`: its `source` and `type`
/// must be the path's, its `data` is the payload (a slice of `body`, as sent).
fn from_event(
    pin: &Pin,
    dataschema: &str,
    body: &bytes::Bytes,
    event: RawEvent<'_>,
) -> Result<PublishRequest, BadRequest> {
    let RawEvent(Some(members)) = event else {
        return Err(bad("bad_event", "a CloudEvent in JSON is an object"));
    };
    for (at, (name, _)) in members.iter().enumerate() {
        if members[..at].iter().any(|(earlier, _)| earlier == name) {
            return Err(bad("bad_event", format!("the event has {name:?} twice")));
        }
    }
    let member = |name: &str| {
        members
            .iter()
            .find(|(member, _)| member == name)
            .map(|(_, raw)| *raw)
    };
    let string = |name: &str| -> Result<Option<Cow<'_, str>>, BadRequest> {
        match member(name) {
            None => Ok(None),
            Some(raw) => string_value(raw).map(Some).ok_or_else(|| {
                bad(
                    "bad_event",
                    format!("the event's {name} is {}, not a string", raw.get()),
                )
            }),
        }
    };
    for required in ["specversion", "source", "type"] {
        let value = string(required)?
            .ok_or_else(|| bad("bad_event", format!("the event has no {required}")))?;
        agree(pin, required, &value, &format!("the event's {required}"))?;
    }
    if let Some(content_type) = string("datacontenttype")? {
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if media_type != "application/json" && !media_type.ends_with("+json") {
            return Err(bad(
                "bad_event",
                format!(
                    "the event's datacontenttype is {content_type:?}: only JSON data is published"
                ),
            ));
        }
    }
    if let Some(given) = string("dataschema")? {
        if given != dataschema {
            return Err(bad(
                "event_mismatch",
                format!("the event's dataschema is {given:?}, but this endpoint publishes {dataschema:?}"),
            ));
        }
    }
    if member("data_base64").is_some() {
        return Err(bad(
            "bad_event",
            "the event has data_base64: only JSON data (\"data\") is published",
        ));
    }
    let data = member("data").ok_or_else(|| bad("bad_event", "the event has no data"))?;
    let mut attributes = Attributes {
        id: string("id")?.map(Cow::into_owned),
        subject: string("subject")?.map(Cow::into_owned),
        time: string("time")?
            .map(|time| parse_time(&time, "the event's time"))
            .transpose()?,
        ..Attributes::default()
    };
    for (name, raw) in &members {
        if RESERVED_ATTRIBUTES.contains(&name.as_ref()) {
            continue;
        }
        let text = raw.get();
        let extension = if let Some(text) = string_value(raw) {
            ExtensionValue::String(text.into_owned())
        } else if let Ok(flag) = text.parse::<bool>() {
            ExtensionValue::Boolean(flag)
        } else if let Ok(number) = text.parse::<i64>() {
            ExtensionValue::Integer(number)
        } else {
            return Err(bad(
                "bad_attribute",
                format!(
                    "extension {name:?} is {text}: extensions are strings, booleans or integers"
                ),
            ));
        };
        attributes.extensions.insert(name.to_string(), extension);
    }
    Ok(PublishRequest {
        payload: body.slice_ref(data.get().as_bytes()),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_event(text: &str) -> Result<PublishRequest, BadRequest> {
        let pin = Pin::new("src", "t", 1);
        let body = bytes::Bytes::from(text.to_string());
        let event = serde_json::from_slice(&body).map_err(json_error)?;
        from_event(&pin, "https://r/s/t/1", &body, event)
    }

    #[test]
    fn an_event_is_read_with_its_data_as_sent() {
        let read = read_event(
            r#"{"specversion": "1.0", "source": "src", "type": "t", "id": "a\"b",
                "subject": "caf\u00e9", "n": -3, "ok": true, "label": "x",
                "data": {"b": [1, 2.50, "\u00e9"]}}"#,
        )
        .expect("an event");
        assert_eq!(&read.payload[..], br#"{"b": [1, 2.50, "\u00e9"]}"#);
        assert_eq!(read.attributes.id.as_deref(), Some("a\"b"));
        assert_eq!(read.attributes.subject.as_deref(), Some("café"));
        let extensions = &read.attributes.extensions;
        assert_eq!(extensions["n"], ExtensionValue::Integer(-3));
        assert_eq!(extensions["ok"], ExtensionValue::Boolean(true));
        assert_eq!(extensions["label"], ExtensionValue::String("x".into()));
    }

    #[test]
    fn an_event_that_is_not_one_is_refused_with_what_is_wrong() {
        let head = r#""specversion": "1.0", "source": "src", "type": "t""#;
        for (text, message) in [
            ("[1, {}]", "a CloudEvent in JSON is an object"),
            ("\"x\"", "a CloudEvent in JSON is an object"),
            (
                &format!(r#"{{{head}, "id": "a", "id": "b", "data": 1}}"#),
                "the event has \"id\" twice",
            ),
            (
                &format!(r#"{{{head}, "id": 7, "data": 1}}"#),
                "the event's id is 7, not a string",
            ),
            (
                &format!(r#"{{{head}, "x": 1.5, "data": 1}}"#),
                "extension \"x\" is 1.5: extensions are strings, booleans or integers",
            ),
            (&format!("{{{head}}}"), "the event has no data"),
            (
                r#"{"specversion": "1.0", "source": "other", "type": "t", "data": 1}"#,
                "the event's source is \"other\", but this endpoint takes source \"src\"",
            ),
        ] {
            let refused = read_event(text).err().expect("refused");
            assert_eq!(refused.message, message, "{text}");
        }
    }
}
