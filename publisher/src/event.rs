//! Encoding a validated payload as the NATS message of its CloudEvent, in structured or
//! binary content mode.
//!
//! The structured event is written straight as bytes, attribute by attribute, with the
//! validated payload text (its insignificant whitespace dropped) as its `data`: no JSON tree
//! of the payload or of the event is built on the way, which is most of what publishing costs
//! besides validation.

use std::collections::BTreeMap;

use async_nats::{HeaderMap, HeaderName};
use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use cloudevents::event::ExtensionValue;
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

/// One event of `pin`, its payload already validated: what [`encode`] turns into a message.
pub(crate) struct Envelope<'a> {
    pub(crate) pin: &'a Pin,
    pub(crate) id: &'a str,
    /// The registry URL of the pinned version.
    pub(crate) dataschema: &'a str,
    /// [`structured_head`] of `pin` and `dataschema`.
    pub(crate) head: &'a [u8],
    pub(crate) attributes: &'a Attributes,
}

/// The headers and payload of the NATS message carrying the event of `envelope`, whose
/// data is `payload`: JSON text that has been checked to be exactly one JSON value.
pub(crate) fn encode(
    envelope: &Envelope<'_>,
    payload: &str,
    mode: ContentMode,
) -> Result<(HeaderMap, Vec<u8>), PublishError> {
    let Envelope {
        pin,
        id,
        dataschema,
        attributes,
        ..
    } = *envelope;
    check_id(id)?;
    for name in attributes.extensions.keys() {
        check_extension_name(name)?;
    }
    let time = rfc3339(attributes.time.unwrap_or_else(Utc::now));
    // Header names made once, not parsed and checked per event.
    const CONTENT_TYPE: HeaderName = HeaderName::from_static("Content-Type");
    let mut headers = HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, id);
    match mode {
        ContentMode::Structured => {
            headers.insert(CONTENT_TYPE, CLOUDEVENTS_JSON);
            Ok((headers, structured(envelope, &time, payload)))
        }
        ContentMode::Binary => {
            headers.insert(CONTENT_TYPE, APPLICATION_JSON);
            let mut attribute = |name: &str, value: &str| {
                let value = utf8_percent_encode(value, HEADER_VALUE).to_string();
                headers.insert(format!("ce-{name}").as_str(), value.as_str());
            };
            attribute("specversion", "1.0");
            attribute("id", id);
            attribute("source", &pin.source);
            attribute("type", &pin.event_type);
            attribute("dataschema", dataschema);
            if let Some(subject) = &attributes.subject {
                attribute("subject", subject);
            }
            attribute("time", &time);
            for (name, value) in &attributes.extensions {
                attribute(name, &value.to_string());
            }
            Ok((headers, payload.as_bytes().to_vec()))
        }
    }
}

/// The members of a structured event that are the same for every event of `pin`, from the
/// opening brace to the `dataschema`: written once per pin (a [`crate::publisher::Route`]
/// keeps it), not once per event.
pub(crate) fn structured_head(pin: &Pin, dataschema: &str) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(96 + pin.source.len() + pin.event_type.len() + dataschema.len());
    out.extend_from_slice(br#"{"specversion":"1.0","source":"#);
    json_string(&mut out, &pin.source);
    out.extend_from_slice(br#","type":"#);
    json_string(&mut out, &pin.event_type);
    out.extend_from_slice(br#","datacontenttype":"application/json","dataschema":"#);
    json_string(&mut out, dataschema);
    out
}

/// The event in the CloudEvents JSON format: the pin's [`structured_head`], then the members
/// of this event.
fn structured(envelope: &Envelope<'_>, time: &str, payload: &str) -> Vec<u8> {
    let (head, id, attributes) = (envelope.head, envelope.id, envelope.attributes);
    let mut out = Vec::with_capacity(96 + head.len() + id.len() + payload.len());
    out.extend_from_slice(head);
    out.extend_from_slice(br#","id":"#);
    json_string(&mut out, id);
    if let Some(subject) = &attributes.subject {
        out.extend_from_slice(br#","subject":"#);
        json_string(&mut out, subject);
    }
    out.extend_from_slice(br#","time":"#);
    json_string(&mut out, time);
    for (name, value) in &attributes.extensions {
        out.push(b',');
        json_string(&mut out, name);
        out.push(b':');
        match value {
            ExtensionValue::String(text) => json_string(&mut out, text),
            ExtensionValue::Boolean(flag) => {
                out.extend_from_slice(if *flag { b"true" } else { b"false" })
            }
            ExtensionValue::Integer(number) => out.extend_from_slice(number.to_string().as_bytes()),
        }
    }
    out.extend_from_slice(br#","data":"#);
    compact_json(&mut out, payload);
    out.push(b'}');
    out
}

/// `time` as RFC 3339 in UTC with `Z` and as many fractional digits as it needs in groups of
/// three: what chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)` writes, without its
/// formatting machinery (this runs once per event). Leap seconds and years outside 0 to 9999
/// are left to chrono.
fn rfc3339(time: DateTime<Utc>) -> String {
    let nanos = time.timestamp_subsec_nanos();
    let year = time.year();
    if nanos >= 1_000_000_000 || !(0..=9999).contains(&year) {
        return time.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    }
    let mut out = Vec::with_capacity(30);
    push_digits(&mut out, year as u32, 4);
    for (separator, value) in [
        (b'-', time.month()),
        (b'-', time.day()),
        (b'T', time.hour()),
        (b':', time.minute()),
        (b':', time.second()),
    ] {
        out.push(separator);
        push_digits(&mut out, value, 2);
    }
    let (fraction, width) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if width > 0 {
        out.push(b'.');
        push_digits(&mut out, fraction, width);
    }
    out.push(b'Z');
    String::from_utf8(out).unwrap_or_else(|_| time.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// The last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut Vec<u8>, value: u32, width: u32) {
    for place in (0..width).rev() {
        out.push(b'0' + (value / 10u32.pow(place) % 10) as u8);
    }
}

/// `text` as a JSON string literal: quoted, with `"`, `\` and control characters escaped.
pub(crate) fn json_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut plain = 0;
    // Runs without anything to escape are copied whole; most strings are one run.
    while let Some(offset) = bytes[plain..]
        .iter()
        .position(|&byte| ESCAPED[byte as usize])
    {
        let at = plain + offset;
        out.extend_from_slice(&bytes[plain..at]);
        match bytes[at] {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            control => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(control >> 4)]);
                out.push(HEX[usize::from(control & 0xf)]);
            }
        }
        plain = at + 1;
    }
    out.extend_from_slice(&bytes[plain..]);
    out.push(b'"');
}

/// The bytes a JSON string literal cannot hold as they are: `"`, `\` and the controls.
const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Well-formed JSON `text` without the whitespace between its tokens (string contents kept
/// as they are, escapes included). Runs between whitespace are copied whole, so text without
/// insignificant whitespace is one copy.
fn compact_json(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let (mut at, mut run) = (0, 0);
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                // To the closing quote, stepping over escapes (`\"` included).
                at += 1;
                loop {
                    let next = bytes.get(at..).and_then(|rest| {
                        rest.iter().position(|&byte| byte == b'"' || byte == b'\\')
                    });
                    let Some(offset) = next else {
                        at = bytes.len();
                        break;
                    };
                    at += offset;
                    if bytes[at] == b'"' {
                        at += 1;
                        break;
                    }
                    at += 2;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                out.extend_from_slice(&bytes[run..at]);
                while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
                    at += 1;
                }
                run = at;
            }
            _ => at += 1,
        }
    }
    out.extend_from_slice(&bytes[run..]);
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
    use cloudevents::AttributesReader;

    const DATASCHEMA: &str =
        "https://registry.example/v1/sources/orders/types/order.created/versions/2";

    fn encoded(
        attributes: &Attributes,
        payload: &str,
        mode: ContentMode,
    ) -> Result<(HeaderMap, Vec<u8>), PublishError> {
        let pin = Pin::new("orders", "order.created", 2);
        let head = structured_head(&pin, DATASCHEMA);
        let envelope = Envelope {
            pin: &pin,
            id: "id-1",
            dataschema: DATASCHEMA,
            head: &head,
            attributes,
        };
        encode(&envelope, payload, mode)
    }

    #[test]
    fn extension_names_follow_the_cloudevents_rules() {
        for bad in ["", "Upper", "with-dash", "subject", "abcdefghijklmnopqrstu"] {
            let mut attributes = Attributes::default();
            attributes
                .extensions
                .insert(bad.to_string(), ExtensionValue::from("x"));
            let error = encoded(&attributes, "{}", ContentMode::Structured).expect_err(bad);
            assert_eq!(error.kind(), crate::ErrorKind::Invalid, "{bad}");
        }
    }

    #[test]
    fn a_structured_event_reads_back_through_the_cloudevents_sdk() {
        let time = DateTime::parse_from_rfc3339("2024-05-01T14:30:00.25Z")
            .expect("a time")
            .with_timezone(&Utc);
        let mut attributes = Attributes {
            subject: Some("order \"42\"\\ é\n\u{1}".to_string()),
            time: Some(time),
            ..Attributes::default()
        };
        let extensions = [
            ("tenant", ExtensionValue::from("a\"cme")),
            ("retried", ExtensionValue::Boolean(true)),
            ("attempt", ExtensionValue::Integer(-3)),
        ];
        for (name, value) in &extensions {
            attributes
                .extensions
                .insert(name.to_string(), value.clone());
        }
        let payload = "{ \"total\" : 3,\n \"note\": \"two  spaces, a \\\"quote\\\" and\\ttab\",\r\n\t\"lines\": [ 1, 2 ] }";
        let (headers, body) =
            encoded(&attributes, payload, ContentMode::Structured).expect("encodes");
        let header = |name: &str| headers.get(name).map(|v| v.as_str().to_string());
        assert_eq!(header("Content-Type").as_deref(), Some(CLOUDEVENTS_JSON));
        assert_eq!(header(MESSAGE_ID_HEADER).as_deref(), Some("id-1"));

        let event: cloudevents::Event = serde_json::from_slice(&body).expect("a CloudEvent");
        assert_eq!(event.id(), "id-1");
        assert_eq!(event.source(), "orders");
        assert_eq!(event.ty(), "order.created");
        assert_eq!(event.datacontenttype(), Some(APPLICATION_JSON));
        assert_eq!(event.dataschema().map(|url| url.as_str()), Some(DATASCHEMA));
        assert_eq!(event.subject(), attributes.subject.as_deref());
        assert_eq!(event.time(), Some(&time));
        for (name, value) in &extensions {
            assert_eq!(event.extension(name), Some(value), "{name}");
        }
        let data: serde_json::Value = serde_json::from_slice(&body)
            .map(|event: serde_json::Value| event["data"].clone())
            .expect("JSON");
        let expected: serde_json::Value = serde_json::from_str(payload).expect("JSON");
        assert_eq!(data, expected);
        let text = String::from_utf8(body).expect("UTF-8");
        assert!(
            text.ends_with(
                r#""data":{"total":3,"note":"two  spaces, a \"quote\" and\ttab","lines":[1,2]}}"#
            ),
            "{text}"
        );
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
        attributes
            .extensions
            .insert("attempt".to_string(), ExtensionValue::Integer(2));
        let (headers, body) =
            encoded(&attributes, "{\"total\": 3}", ContentMode::Binary).expect("encodes");
        assert_eq!(body, b"{\"total\": 3}");
        let header = |name: &str| headers.get(name).map(|v| v.as_str().to_string());
        assert_eq!(header("ce-id").as_deref(), Some("id-1"));
        assert_eq!(header("ce-specversion").as_deref(), Some("1.0"));
        assert_eq!(header("ce-source").as_deref(), Some("orders"));
        assert_eq!(header("ce-type").as_deref(), Some("order.created"));
        assert_eq!(header("ce-dataschema").as_deref(), Some(DATASCHEMA));
        assert_eq!(header("ce-subject").as_deref(), Some("order%2042%20%C3%A9"));
        assert_eq!(header("ce-tenant").as_deref(), Some("acme"));
        assert_eq!(header("ce-attempt").as_deref(), Some("2"));
        assert!(header("ce-time").is_some_and(|time| DateTime::parse_from_rfc3339(&time).is_ok()));
        assert_eq!(header("ce-datacontenttype"), None);
        assert_eq!(header("Content-Type").as_deref(), Some(APPLICATION_JSON));
        assert_eq!(header(MESSAGE_ID_HEADER).as_deref(), Some("id-1"));
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut times: Vec<DateTime<Utc>> = (0..20_000)
            .map(|n| {
                let seconds = (next() % 253_402_300_800) as i64; // 0000 to 9999
                let nanos = match n % 4 {
                    0 => 0,
                    1 => (next() % 1000) as u32 * 1_000_000,
                    2 => (next() % 1_000_000) as u32 * 1_000,
                    _ => (next() % 1_000_000_000) as u32,
                };
                DateTime::from_timestamp(seconds - 62_167_219_200, nanos).expect("in range")
            })
            .collect();
        // A leap second and years chrono writes with a sign.
        times.push(DateTime::from_timestamp(1_483_228_799, 1_500_000_000).expect("a leap second"));
        times.push(DateTime::from_timestamp(-62_167_219_201, 0).expect("year -1"));
        times.push(DateTime::from_timestamp(253_402_300_800, 5).expect("year 10000"));
        for time in times {
            assert_eq!(
                rfc3339(time),
                time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                "{time:?}"
            );
        }
    }

    #[test]
    fn strings_and_payloads_are_written_as_json_writes_them() {
        let mut texts: Vec<String> = ["", "plain", "é \u{2028} 😀", "a\"b\\c", "\u{0}\u{1f}\u{7f}"]
            .iter()
            .map(|text| text.to_string())
            .collect();
        texts.extend((0u8..=0x7f).map(|byte| format!("x{}y", byte as char)));
        for text in &texts {
            let mut out = Vec::new();
            json_string(&mut out, text);
            let back: String = serde_json::from_slice(&out).expect("a JSON string");
            assert_eq!(&back, text);
        }
        let payloads = [
            ("{}", "{}"),
            (
                " [ 1 , 2.5e3 , \"a b\" , true , null ] ",
                "[1,2.5e3,\"a b\",true,null]",
            ),
            (
                "{\"k\\\" \": \" v \\\\\", \"n\": {\"x\":\t[\r\n]}}",
                "{\"k\\\" \":\" v \\\\\",\"n\":{\"x\":[]}}",
            ),
            (
                "\"an escaped backslash \\\\\" ",
                "\"an escaped backslash \\\\\"",
            ),
            ("{\"a\" :\"\\u0022 }\"}", "{\"a\":\"\\u0022 }\"}"),
        ];
        for (payload, expected) in payloads {
            let mut out = Vec::new();
            compact_json(&mut out, payload);
            assert_eq!(
                String::from_utf8(out).expect("UTF-8"),
                expected,
                "{payload}"
            );
            let value: serde_json::Value = serde_json::from_str(expected).expect("JSON");
            assert_eq!(
                value,
                serde_json::from_str::<serde_json::Value>(payload).expect("JSON")
            );
        }
    }

    #[test]
    fn a_bad_id_is_refused() {
        for id in ["", "a\nb"] {
            let pin = Pin::new("orders", "order.created", 2);
            let attributes = Attributes::default();
            let envelope = Envelope {
                pin: &pin,
                id,
                dataschema: DATASCHEMA,
                head: &structured_head(&pin, DATASCHEMA),
                attributes: &attributes,
            };
            let error = encode(&envelope, "{}", ContentMode::Structured).expect_err(id);
            assert_eq!(error.kind(), crate::ErrorKind::Invalid, "{id:?}");
        }
    }
}
