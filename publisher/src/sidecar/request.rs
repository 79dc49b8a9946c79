//! Reading one publish request: the payload and the CloudEvent attributes, from `ce-`
//! headers (the CloudEvents HTTP binary binding) or from a whole event in the body
//! (`application/cloudevents+json`, the structured binding).

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use cloudevents::event::ExtensionValue;
use percent_encoding::percent_decode;

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
}

fn bad(code: &'static str, message: impl Into<String>) -> BadRequest {
    BadRequest {
        code,
        message: message.into(),
        unsupported_media_type: false,
        position: None,
    }
}

/// The payload to validate and the attributes to set.
pub(crate) struct PublishRequest {
    pub(crate) payload: bytes::Bytes,
    pub(crate) attributes: Attributes,
}

/// How the body is to be read, from `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Data,
    Event,
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
    if media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
            && media_type != "application/cloudevents-batch+json"
    {
        return Ok(Body::Data);
    }
    Err(BadRequest {
        code: "unsupported_media_type",
        message: format!(
            "Content-Type {media_type:?} is not accepted: send the JSON payload as \
             application/json, or a whole event as {CLOUDEVENTS_JSON}"
        ),
        unsupported_media_type: true,
        position: None,
    })
}

/// Reads `body` and `headers` for `pin`, whose registry URL is `dataschema`.
pub(crate) fn read(
    pin: &Pin,
    dataschema: &str,
    headers: &HeaderMap,
    body: bytes::Bytes,
) -> Result<PublishRequest, BadRequest> {
    match body_kind(headers)? {
        // The payload's JSON is checked by validation, which reads it anyway; when validation
        // refuses it, [`check_json`] tells a syntax error (400) from invalid data (422).
        Body::Data => Ok(PublishRequest {
            payload: body,
            attributes: from_headers(pin, headers)?,
        }),
        Body::Event => from_event(pin, dataschema, &body),
    }
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

/// A whole event (the CloudEvents JSON format): its `source` and `type` must be the path's,
/// its `data` is the payload.
fn from_event(pin: &Pin, dataschema: &str, body: &[u8]) -> Result<PublishRequest, BadRequest> {
    let event: serde_json::Value = serde_json::from_slice(body).map_err(json_error)?;
    let serde_json::Value::Object(event) = event else {
        return Err(bad("bad_event", "a CloudEvent in JSON is an object"));
    };
    let string = |name: &str| -> Result<Option<&str>, BadRequest> {
        match event.get(name) {
            None => Ok(None),
            Some(serde_json::Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(bad(
                "bad_event",
                format!("the event's {name} is {other}, not a string"),
            )),
        }
    };
    for required in ["specversion", "source", "type"] {
        let value = string(required)?
            .ok_or_else(|| bad("bad_event", format!("the event has no {required}")))?;
        agree(pin, required, value, &format!("the event's {required}"))?;
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
    if event.contains_key("data_base64") {
        return Err(bad(
            "bad_event",
            "the event has data_base64: only JSON data (\"data\") is published",
        ));
    }
    let data = event
        .get("data")
        .ok_or_else(|| bad("bad_event", "the event has no data"))?;
    let mut attributes = Attributes {
        id: string("id")?.map(str::to_string),
        subject: string("subject")?.map(str::to_string),
        time: string("time")?
            .map(|time| parse_time(time, "the event's time"))
            .transpose()?,
        ..Attributes::default()
    };
    for (name, value) in &event {
        if RESERVED_ATTRIBUTES.contains(&name.as_str()) {
            continue;
        }
        let extension = match value {
            serde_json::Value::String(text) => ExtensionValue::String(text.clone()),
            serde_json::Value::Bool(flag) => ExtensionValue::Boolean(*flag),
            serde_json::Value::Number(number) if number.is_i64() => {
                ExtensionValue::Integer(number.as_i64().unwrap_or_default())
            }
            other => {
                return Err(bad(
                    "bad_attribute",
                    format!(
                    "extension {name:?} is {other}: extensions are strings, booleans or integers"
                ),
                ))
            }
        };
        attributes.extensions.insert(name.clone(), extension);
    }
    let payload = serde_json::to_vec(data).map_err(|error| bad("bad_event", error.to_string()))?;
    Ok(PublishRequest {
        payload: payload.into(),
        attributes,
    })
}
