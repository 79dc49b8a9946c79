//! The receiving side: decoding a CloudEvent from a NATS message in either content mode the
//! publisher emits, validating its data against the schema version its `dataschema` names,
//! and a JetStream consumer yielding every event with its stream sequence.
//!
//! A message is structured when its `Content-Type` is `application/cloudevents+json` (the
//! body is the JSON event format) and binary when it carries `ce-` headers (percent-encoded
//! values, per the CloudEvents NATS binding draft; the body is the data and `Content-Type` its
//! `datacontenttype`). An event is never dropped for its schema: one whose `dataschema` is
//! missing or cannot be resolved comes back [`Validation::Unchecked`] with the reason.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer::pull, consumer::DeliverPolicy};
use async_nats::HeaderMap;
use base64::Engine;
use chrono::{DateTime, Utc};
use cloudevents::event::ExtensionValue;
use futures::{Stream, StreamExt};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::config::ContentMode;
use crate::error::Violation;
use crate::event::{CLOUDEVENTS_JSON, RESERVED_ATTRIBUTES};
use crate::observe::ConsumerRecorder;
use crate::registry::parse_version_url;
use crate::schema::{Pin, SchemaError, SchemaSource, ValidatorCache};
use crate::subject::filter_subject;

/// The media type of a batch of structured events, which this receiver does not read.
pub(crate) const CLOUDEVENTS_BATCH_JSON: &str = "application/cloudevents-batch+json";

/// The context attributes of a received event, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct EventAttributes {
    /// Always `1.0`: other versions are refused with [`DecodeError::UnsupportedSpecVersion`].
    pub specversion: String,
    pub id: String,
    pub source: String,
    /// The CloudEvents `type`.
    pub event_type: String,
    pub time: Option<DateTime<Utc>>,
    pub datacontenttype: Option<String>,
    pub dataschema: Option<String>,
    pub subject: Option<String>,
    /// Every other attribute. In binary mode they are all strings (headers carry text).
    pub extensions: BTreeMap<String, ExtensionValue>,
}

impl EventAttributes {
    /// The attributes as the members of a JSON event (`type`, not `event_type`; extensions
    /// beside the context attributes; absent ones left out).
    pub fn to_json(&self) -> Map<String, Value> {
        let mut members = Map::new();
        let mut put = |name: &str, value: Option<&str>| {
            if let Some(value) = value {
                members.insert(name.to_string(), Value::String(value.to_string()));
            }
        };
        put("specversion", Some(&self.specversion));
        put("id", Some(&self.id));
        put("source", Some(&self.source));
        put("type", Some(&self.event_type));
        let time = self
            .time
            .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
        put("time", time.as_deref());
        put("datacontenttype", self.datacontenttype.as_deref());
        put("dataschema", self.dataschema.as_deref());
        put("subject", self.subject.as_deref());
        for (name, value) in &self.extensions {
            let value = match value {
                ExtensionValue::String(text) => Value::String(text.clone()),
                ExtensionValue::Boolean(flag) => Value::Bool(*flag),
                ExtensionValue::Integer(number) => Value::from(*number),
            };
            members.insert(name.clone(), value);
        }
        members
    }
}

/// The data of a received event.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// JSON data (`datacontenttype` absent, `application/json`, or `...+json`).
    Json(Value),
    /// Any other media type: the bytes as they came (`data_base64` in structured mode).
    Binary(Vec<u8>),
}

/// What validating an event's data against its `dataschema` found.
#[derive(Debug, Clone)]
pub enum Validation {
    Valid,
    /// Every way the data fails the schema, each with its path.
    Invalid(Vec<Violation>),
    /// The data was not validated, and why.
    Unchecked(Unchecked),
}

/// Why an event's data was not validated.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Unchecked {
    #[error("no registry was given to resolve schemas from")]
    NoRegistry,
    #[error("the event has no dataschema")]
    NoDataschema,
    #[error("the dataschema is unusable: {0}")]
    NotAVersionUrl(Arc<SchemaError>),
    #[error("dataschema {dataschema} is not in the registry {registry}")]
    OtherRegistry {
        dataschema: String,
        registry: String,
    },
    #[error("the data is {datacontenttype}, not JSON")]
    NotJson { datacontenttype: String },
    #[error("the schema is unavailable: {0}")]
    SchemaUnavailable(Arc<SchemaError>),
}

/// One decoded event.
#[derive(Debug, Clone)]
pub struct Received {
    pub mode: ContentMode,
    pub attributes: EventAttributes,
    /// `None` when the event carries no data.
    pub data: Option<EventData>,
    pub validation: Validation,
}

/// Why a message is not a CloudEvent this receiver reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not a CloudEvent: Content-Type is {}, not {CLOUDEVENTS_JSON}, and there is no ce-specversion header", content_type.as_deref().unwrap_or("absent"))]
    NotACloudEvent { content_type: Option<String> },
    #[error("batched CloudEvents ({CLOUDEVENTS_BATCH_JSON}) are not supported")]
    Batch,
    #[error("the structured event is not JSON: {message} at line {line}, column {column}")]
    EventJson {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("the structured event is a JSON {found}, not an object")]
    NotAnObject { found: &'static str },
    #[error("the event has no {attribute} attribute ({})", where_attribute(*mode, attribute))]
    MissingAttribute {
        attribute: &'static str,
        mode: ContentMode,
    },
    #[error("unsupported specversion {found:?}: only 1.0 is read")]
    UnsupportedSpecVersion { found: String },
    #[error("attribute {attribute}: {reason}")]
    InvalidAttribute { attribute: String, reason: String },
    #[error("header {header}: {reason}")]
    Header { header: String, reason: String },
    #[error("the data is not JSON although its datacontenttype is {datacontenttype}: {message} at line {line}, column {column}")]
    DataJson {
        datacontenttype: String,
        message: String,
        line: usize,
        column: usize,
    },
}

fn where_attribute(mode: ContentMode, attribute: &str) -> String {
    match mode {
        ContentMode::Structured => format!("no \"{attribute}\" member in the JSON event"),
        ContentMode::Binary => format!("no ce-{attribute} header"),
    }
}

/// How a [`Receiver`] resolves schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// When set, only `dataschema` URLs under this registry base are resolved; others are
    /// [`Unchecked::OtherRegistry`]. When `None`, the pin in any version URL is resolved.
    pub registry_url: Option<String>,
    /// How long a schema that could not be resolved is reported unavailable before it is
    /// asked for again (a registry that is down is not asked once per event).
    pub retry_unavailable_after: Duration,
}

impl Default for ReceiverConfig {
    fn default() -> ReceiverConfig {
        ReceiverConfig {
            registry_url: None,
            retry_unavailable_after: Duration::from_secs(30),
        }
    }
}

/// Decodes and validates received CloudEvents. Cheap to share; every method takes `&self`.
pub struct Receiver {
    config: ReceiverConfig,
    /// `None`: nothing is validated ([`Unchecked::NoRegistry`]).
    validators: Option<ValidatorCache>,
    /// Pins whose schema could not be resolved, with when that was found.
    unavailable: Mutex<HashMap<Pin, (Instant, Arc<SchemaError>)>>,
    /// Records the versions this receiver decodes, as one consumer.
    recorder: Option<ConsumerRecorder>,
}

impl Receiver {
    pub fn new(config: ReceiverConfig, schemas: impl SchemaSource + 'static) -> Receiver {
        Receiver {
            config,
            validators: Some(ValidatorCache::new(Box::new(schemas))),
            unavailable: Mutex::new(HashMap::new()),
            recorder: None,
        }
    }

    /// A receiver that decodes events but validates none: each is
    /// [`Unchecked::NoRegistry`].
    pub fn without_schemas() -> Receiver {
        Receiver {
            config: ReceiverConfig::default(),
            validators: None,
            unavailable: Mutex::new(HashMap::new()),
            recorder: None,
        }
    }

    /// Records, as the recorder's consumer, every version this receiver decodes an event with
    /// (see [`ConsumerRecorder`]): an event whose data is valid against the version its
    /// `dataschema` names, or, for a receiver without schemas, any event whose `dataschema`
    /// names a version. Invalid events and events of no known version are not recorded.
    pub fn with_recorder(mut self, recorder: ConsumerRecorder) -> Receiver {
        self.recorder = Some(recorder);
        self
    }

    /// The recorder given by [`Receiver::with_recorder`].
    pub fn recorder(&self) -> Option<&ConsumerRecorder> {
        self.recorder.as_ref()
    }

    /// Decodes the CloudEvent in a message (its headers and payload) and validates its data.
    pub async fn receive(
        &self,
        headers: Option<&HeaderMap>,
        payload: &[u8],
    ) -> Result<Received, DecodeError> {
        let (mode, attributes, data) = decode(headers, payload)?;
        let validation = self.validate(&attributes, data.as_ref()).await;
        if let Some(recorder) = &self.recorder {
            let decoded = matches!(
                validation,
                Validation::Valid | Validation::Unchecked(Unchecked::NoRegistry)
            );
            let pin = attributes
                .dataschema
                .as_deref()
                .and_then(|dataschema| parse_version_url(dataschema).ok());
            if let (true, Some((_, pin))) = (decoded, pin) {
                recorder.record_or_keep_failure(&pin).await;
            }
        }
        Ok(Received {
            mode,
            attributes,
            data,
            validation,
        })
    }

    /// Validates `data` against the schema `attributes.dataschema` names.
    pub async fn validate(
        &self,
        attributes: &EventAttributes,
        data: Option<&EventData>,
    ) -> Validation {
        let Some(validators) = &self.validators else {
            return Validation::Unchecked(Unchecked::NoRegistry);
        };
        let Some(dataschema) = &attributes.dataschema else {
            return Validation::Unchecked(Unchecked::NoDataschema);
        };
        let (base, pin) = match parse_version_url(dataschema) {
            Ok(parsed) => parsed,
            Err(error) => return Validation::Unchecked(Unchecked::NotAVersionUrl(Arc::new(error))),
        };
        if let Some(registry) = &self.config.registry_url {
            if base.trim_end_matches('/') != registry.trim_end_matches('/') {
                return Validation::Unchecked(Unchecked::OtherRegistry {
                    dataschema: dataschema.clone(),
                    registry: registry.clone(),
                });
            }
        }
        let text = match data {
            None => "null".to_string(),
            Some(EventData::Json(value)) => value.to_string(),
            Some(EventData::Binary(_)) => {
                return Validation::Unchecked(Unchecked::NotJson {
                    datacontenttype: attributes
                        .datacontenttype
                        .clone()
                        .unwrap_or_else(|| "binary".to_string()),
                })
            }
        };
        let validator = match self.validator(validators, &pin).await {
            Ok(validator) => validator,
            Err(error) => return Validation::Unchecked(Unchecked::SchemaUnavailable(error)),
        };
        let violations = validator.violations("data.json", &text);
        if violations.is_empty() {
            Validation::Valid
        } else {
            Validation::Invalid(violations)
        }
    }

    async fn validator(
        &self,
        validators: &ValidatorCache,
        pin: &Pin,
    ) -> Result<Arc<crate::Validator>, Arc<SchemaError>> {
        {
            let mut unavailable = self.unavailable.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((since, error)) = unavailable.get(pin) {
                if since.elapsed() < self.config.retry_unavailable_after {
                    return Err(error.clone());
                }
                unavailable.remove(pin);
            }
        }
        validators.get(pin).await.map_err(|error| {
            let error = Arc::new(error);
            let mut unavailable = self.unavailable.lock().unwrap_or_else(|p| p.into_inner());
            unavailable.insert(pin.clone(), (Instant::now(), error.clone()));
            error
        })
    }

    /// Creates a JetStream pull consumer on `config.stream` filtered to the source and type
    /// asked for, and yields every message it delivers, decoded and validated, acknowledging
    /// each as it goes. A message that is not a CloudEvent is yielded as its
    /// [`DecodeError`], never dropped. The stream ends only when the consumer fails.
    pub async fn subscribe<'a>(
        &'a self,
        jetstream: &jetstream::Context,
        config: &SubscribeConfig,
    ) -> Result<impl Stream<Item = Result<Delivery, ConsumeError>> + 'a, ConsumeError> {
        let stream_error = |source: async_nats::Error| ConsumeError::Stream {
            stream: config.stream.clone(),
            source,
        };
        let mut stream = jetstream
            .get_stream(&config.stream)
            .await
            .map_err(|error| stream_error(error.into()))?;
        let info = stream
            .info()
            .await
            .map_err(|error| stream_error(error.into()))?
            .clone();
        let prefix = match &config.subject_prefix {
            Some(prefix) => prefix.clone(),
            None => subject_prefix_of(&info.config.subjects).ok_or_else(|| {
                ConsumeError::UnknownPrefix {
                    stream: config.stream.clone(),
                    subjects: info.config.subjects.clone(),
                }
            })?,
        };
        let filter = filter_subject(
            &prefix,
            config.source.as_deref(),
            config.event_type.as_deref(),
        );
        let unfiltered = config.source.is_none() && config.event_type.is_none();
        let deliver_policy = match config.start {
            StartAt::New => DeliverPolicy::New,
            StartAt::First => DeliverPolicy::All,
            StartAt::Time(time) => DeliverPolicy::ByStartTime {
                start_time: nats_time(time)?,
            },
            // Without a filter the stream's sequence numbers say where the last N start.
            StartAt::Last(count) if unfiltered => DeliverPolicy::ByStartSequence {
                start_sequence: (info.state.last_sequence + 1).saturating_sub(count).max(1),
            },
            // With one, the consumer counts the matching messages and the oldest are skipped.
            StartAt::Last(_) => DeliverPolicy::All,
        };
        let consumer_config = pull::Config {
            durable_name: config.durable_name.clone(),
            filter_subject: filter,
            deliver_policy,
            ..pull::Config::default()
        };
        let consumer_error = |source: async_nats::Error| ConsumeError::Consumer {
            stream: config.stream.clone(),
            source,
        };
        let consumer = match &config.durable_name {
            Some(name) => stream
                .get_or_create_consumer(name, consumer_config)
                .await
                .map_err(|error| consumer_error(error.into()))?,
            None => stream
                .create_consumer(consumer_config)
                .await
                .map_err(|error| consumer_error(error.into()))?,
        };
        let skip = match config.start {
            StartAt::Last(count) if !unfiltered => {
                consumer.cached_info().num_pending.saturating_sub(count)
            }
            _ => 0,
        };
        let messages = consumer
            .stream()
            .heartbeat(config.idle_heartbeat)
            .expires(config.idle_heartbeat.saturating_mul(4).max(PULL_EXPIRY))
            .messages()
            .await
            .map_err(|error| consumer_error(error.into()))?;
        let state = (messages, skip);
        Ok(futures::stream::unfold(
            state,
            move |(mut messages, mut skip)| async move {
                loop {
                    let message = match messages.next().await? {
                        Ok(message) => message,
                        Err(error) => {
                            return Some((
                                Err(ConsumeError::Messages { source: error }),
                                (messages, skip),
                            ))
                        }
                    };
                    // Messages before the last N asked for are acknowledged unread.
                    let delivery = if skip > 0 {
                        skip -= 1;
                        None
                    } else {
                        Some(self.delivery(&message).await)
                    };
                    if let Err(source) = message.ack().await {
                        return Some((Err(ConsumeError::Ack { source }), (messages, skip)));
                    }
                    if let Some(delivery) = delivery {
                        return Some((Ok(delivery), (messages, skip)));
                    }
                }
            },
        ))
    }

    async fn delivery(&self, message: &jetstream::Message) -> Delivery {
        let stream_sequence = message.info().map_or(0, |info| info.stream_sequence);
        Delivery {
            stream_sequence,
            subject: message.subject.to_string(),
            event: self
                .receive(message.headers.as_ref(), &message.payload)
                .await,
        }
    }
}

/// Where a consumer starts in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartAt {
    /// Only events stored after the consumer is created.
    #[default]
    New,
    /// Every event in the stream.
    First,
    /// Events stored at or after this time.
    Time(DateTime<Utc>),
    /// The last N matching events, then everything new.
    Last(u64),
}

/// What [`Receiver::subscribe`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeConfig {
    pub stream: String,
    /// The first subject token; `None` reads it from the stream's subjects (`<prefix>.>`).
    pub subject_prefix: Option<String>,
    /// Only events of this source (`None`: any).
    pub source: Option<String>,
    /// Only events of this type (`None`: any).
    pub event_type: Option<String>,
    pub start: StartAt,
    /// A durable consumer of this name (created when absent, resumed when present); `None`
    /// makes an ephemeral consumer that the server forgets once it is idle.
    pub durable_name: Option<String>,
    /// How often the server tells an idle consumer it is there: one missed is a transient
    /// [`ConsumeError`] ([`ConsumeError::is_transient`]), after which the consumer goes on.
    pub idle_heartbeat: Duration,
}

/// How long one pull request waits for messages (longer when the heartbeat asks for it).
const PULL_EXPIRY: Duration = Duration::from_secs(30);

impl Default for SubscribeConfig {
    fn default() -> SubscribeConfig {
        SubscribeConfig {
            stream: crate::StreamSettings::default().name,
            subject_prefix: None,
            source: None,
            event_type: None,
            start: StartAt::default(),
            durable_name: None,
            idle_heartbeat: Duration::from_secs(15),
        }
    }
}

/// One message delivered by a [`Receiver::subscribe`] consumer.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub stream_sequence: u64,
    pub subject: String,
    pub event: Result<Received, DecodeError>,
}

/// Why a consumer could not be created or stopped delivering.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error("reading the JetStream stream {stream}")]
    Stream {
        stream: String,
        #[source]
        source: async_nats::Error,
    },
    #[error("the JetStream stream {stream} has subjects {subjects:?}: none is <prefix>.>, so the subject prefix must be given")]
    UnknownPrefix {
        stream: String,
        subjects: Vec<String>,
    },
    #[error("the start time {time} is out of the range JetStream accepts")]
    StartTime { time: DateTime<Utc> },
    #[error("creating a consumer on the JetStream stream {stream}")]
    Consumer {
        stream: String,
        #[source]
        source: async_nats::Error,
    },
    #[error("receiving from the consumer")]
    Messages {
        #[source]
        source: pull::MessagesError,
    },
    #[error("acknowledging a message")]
    Ack {
        #[source]
        source: async_nats::Error,
    },
}

impl ConsumeError {
    /// Whether the consumer goes on after this error: a missed heartbeat (the server is
    /// unreachable for a while) is followed by new pull requests, and by the events stored
    /// meanwhile once the server is back.
    pub fn is_transient(&self) -> bool {
        matches!(self, ConsumeError::Messages { source }
            if source.kind() == pull::MessagesErrorKind::MissingHeartbeat)
    }
}

/// The prefix of a stream whose only `<prefix>.>` subject names one.
pub(crate) fn subject_prefix_of(subjects: &[String]) -> Option<String> {
    let mut prefixes = subjects.iter().filter_map(|s| s.strip_suffix(".>"));
    let prefix = prefixes.next()?;
    (prefixes.next().is_none() && !prefix.contains(['*', '>'])).then(|| prefix.to_string())
}

fn nats_time(time: DateTime<Utc>) -> Result<async_nats::datetime::DateTime, ConsumeError> {
    time.timestamp_nanos_opt()
        .and_then(|nanos| async_nats::datetime::from_nanos(i128::from(nanos)).ok())
        .ok_or(ConsumeError::StartTime { time })
}

/// Decodes a message into its content mode, typed attributes and data.
pub fn decode(
    headers: Option<&HeaderMap>,
    payload: &[u8],
) -> Result<(ContentMode, EventAttributes, Option<EventData>), DecodeError> {
    let content_type = headers.and_then(|headers| header(headers, "Content-Type"));
    match Framing::of(content_type.as_deref()) {
        Framing::Structured => {
            let (attributes, data) = decode_structured(payload)?;
            Ok((ContentMode::Structured, attributes, data))
        }
        Framing::Batch => Err(DecodeError::Batch),
        Framing::Other => {
            let attributes = headers.map(binary_attributes).transpose()?;
            match attributes {
                Some(mut attributes) if !attributes.is_empty() => {
                    if let Some(content_type) = &content_type {
                        attributes.insert(
                            "datacontenttype".to_string(),
                            Value::String(content_type.clone()),
                        );
                    }
                    let attributes = typed_attributes(attributes, ContentMode::Binary)?;
                    let data = binary_data(&attributes, payload)?;
                    Ok((ContentMode::Binary, attributes, data))
                }
                _ => Err(DecodeError::NotACloudEvent { content_type }),
            }
        }
    }
}

/// The value of a header, its name matched without regard to case.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.iter().find_map(|(key, values)| {
        key.to_string()
            .eq_ignore_ascii_case(name)
            .then(|| values.first().map(|v| v.as_str().to_string()))
            .flatten()
    })
}

/// `application/json; charset=utf-8` -> `application/json`, borrowed from the header (media
/// types are compared without regard to case, in place: a replay reads millions of them).
pub(crate) fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// What a message's `Content-Type` says its body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// One event in the JSON event format.
    Structured,
    /// A batch of events in the JSON batch format.
    Batch,
    /// Anything else: a binary-mode event's data, or no CloudEvent at all.
    Other,
}

impl Framing {
    pub(crate) fn of(content_type: Option<&str>) -> Framing {
        let media = content_type.map_or("", media_type);
        if media.eq_ignore_ascii_case(CLOUDEVENTS_JSON) {
            Framing::Structured
        } else if media.eq_ignore_ascii_case(CLOUDEVENTS_BATCH_JSON) {
            Framing::Batch
        } else {
            Framing::Other
        }
    }
}

pub(crate) fn is_json(datacontenttype: Option<&str>) -> bool {
    let Some(content_type) = datacontenttype else {
        return true;
    };
    let media = media_type(content_type);
    let suffix = media
        .len()
        .checked_sub("+json".len())
        .and_then(|at| media.get(at..));
    media.eq_ignore_ascii_case(crate::APPLICATION_JSON)
        || media.eq_ignore_ascii_case("text/json")
        || suffix.is_some_and(|suffix| suffix.eq_ignore_ascii_case("+json"))
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// serde_json's message without its ` at line L column C` tail, which is given apart.
pub(crate) fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn decode_structured(payload: &[u8]) -> Result<(EventAttributes, Option<EventData>), DecodeError> {
    let value: Value = serde_json::from_slice(payload).map_err(|error| DecodeError::EventJson {
        message: json_message(&error),
        line: error.line(),
        column: error.column(),
    })?;
    let Value::Object(mut members) = value else {
        return Err(DecodeError::NotAnObject {
            found: json_type_name(&value),
        });
    };
    let data = members.remove("data").filter(|v| !v.is_null());
    let data_base64 = members.remove("data_base64").filter(|v| !v.is_null());
    let attributes = typed_attributes(members, ContentMode::Structured)?;
    let data = match (data, data_base64) {
        (Some(_), Some(_)) => {
            return Err(DecodeError::InvalidAttribute {
                attribute: "data_base64".to_string(),
                reason: "an event holds data or data_base64, not both".to_string(),
            })
        }
        (Some(Value::String(text)), None) if !is_json(attributes.datacontenttype.as_deref()) => {
            Some(EventData::Binary(text.into_bytes()))
        }
        (Some(value), None) => Some(EventData::Json(value)),
        (None, Some(Value::String(encoded))) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.as_bytes())
                .map_err(|error| DecodeError::InvalidAttribute {
                    attribute: "data_base64".to_string(),
                    reason: format!("not base64: {error}"),
                })?;
            Some(binary_or_json(&attributes, bytes)?)
        }
        (None, Some(other)) => {
            return Err(DecodeError::InvalidAttribute {
                attribute: "data_base64".to_string(),
                reason: format!("expected a string, found a {}", json_type_name(&other)),
            })
        }
        (None, None) => None,
    };
    Ok((attributes, data))
}

/// The `ce-` headers as attribute names (lower-cased, without the prefix) and decoded values.
fn binary_attributes(headers: &HeaderMap) -> Result<Map<String, Value>, DecodeError> {
    let mut attributes = Map::new();
    for (name, values) in headers.iter() {
        let name = name.to_string();
        let Some(attribute) = name
            .get(..3)
            .filter(|prefix| prefix.eq_ignore_ascii_case("ce-"))
            .map(|_| name[3..].to_ascii_lowercase())
        else {
            continue;
        };
        let Some(value) = values.first() else {
            continue;
        };
        let decoded = percent_decode_str(value.as_str())
            .decode_utf8()
            .map_err(|_| DecodeError::Header {
                header: name.clone(),
                reason: format!(
                    "{:?} percent-decodes to bytes that are not UTF-8",
                    value.as_str()
                ),
            })?;
        attributes.insert(attribute, Value::String(decoded.into_owned()));
    }
    Ok(attributes)
}

fn binary_data(
    attributes: &EventAttributes,
    payload: &[u8],
) -> Result<Option<EventData>, DecodeError> {
    if payload.is_empty() {
        return Ok(None);
    }
    binary_or_json(attributes, payload.to_vec()).map(Some)
}

/// Bytes of data: parsed when the datacontenttype is JSON, kept as they are otherwise.
fn binary_or_json(attributes: &EventAttributes, bytes: Vec<u8>) -> Result<EventData, DecodeError> {
    let datacontenttype = attributes.datacontenttype.as_deref();
    if !is_json(datacontenttype) {
        return Ok(EventData::Binary(bytes));
    }
    serde_json::from_slice(&bytes)
        .map(EventData::Json)
        .map_err(|error| DecodeError::DataJson {
            datacontenttype: datacontenttype
                .unwrap_or(crate::APPLICATION_JSON)
                .to_string(),
            message: json_message(&error),
            line: error.line(),
            column: error.column(),
        })
}

/// Types the attributes of either mode: required ones present, each of the right type.
fn typed_attributes(
    mut members: Map<String, Value>,
    mode: ContentMode,
) -> Result<EventAttributes, DecodeError> {
    // JSON's null is an absent attribute, in the event format as in this receiver.
    members.retain(|_, value| !value.is_null());
    let mut take = |attribute: &'static str| -> Result<Option<String>, DecodeError> {
        match members.remove(attribute) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(DecodeError::InvalidAttribute {
                attribute: attribute.to_string(),
                reason: format!("expected a string, found a {}", json_type_name(&other)),
            }),
        }
    };
    let specversion = take("specversion")?.ok_or(DecodeError::MissingAttribute {
        attribute: "specversion",
        mode,
    })?;
    if specversion != "1.0" {
        return Err(DecodeError::UnsupportedSpecVersion { found: specversion });
    }
    let mut required = |attribute: &'static str| -> Result<String, DecodeError> {
        let value = take(attribute)?.ok_or(DecodeError::MissingAttribute { attribute, mode })?;
        if value.is_empty() {
            return Err(DecodeError::InvalidAttribute {
                attribute: attribute.to_string(),
                reason: "must not be empty".to_string(),
            });
        }
        Ok(value)
    };
    let id = required("id")?;
    let source = required("source")?;
    let event_type = required("type")?;
    let time = take("time")?
        .map(|text| {
            DateTime::parse_from_rfc3339(&text)
                .map(|time| time.with_timezone(&Utc))
                .map_err(|error| DecodeError::InvalidAttribute {
                    attribute: "time".to_string(),
                    reason: format!("{text:?} is not an RFC 3339 timestamp: {error}"),
                })
        })
        .transpose()?;
    let datacontenttype = take("datacontenttype")?;
    let dataschema = take("dataschema")?;
    let subject = take("subject")?;
    let mut extensions = BTreeMap::new();
    for (name, value) in members {
        if RESERVED_ATTRIBUTES.contains(&name.as_str()) {
            continue;
        }
        let extension = match value {
            Value::String(text) => ExtensionValue::String(text),
            Value::Bool(flag) => ExtensionValue::Boolean(flag),
            Value::Number(number) if number.is_i64() => {
                ExtensionValue::Integer(number.as_i64().expect("checked is_i64"))
            }
            other => {
                return Err(DecodeError::InvalidAttribute {
                    attribute: name,
                    reason: format!(
                        "an extension is a string, boolean or integer, not a {}",
                        json_type_name(&other)
                    ),
                })
            }
        };
        extensions.insert(name, extension);
    }
    Ok(EventAttributes {
        specversion,
        id,
        source,
        event_type,
        time,
        datacontenttype,
        dataschema,
        subject,
        extensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn structured(
        body: &str,
    ) -> Result<(ContentMode, EventAttributes, Option<EventData>), DecodeError> {
        let mut headers = HeaderMap::new();
        headers.insert("Content-Type", CLOUDEVENTS_JSON);
        decode(Some(&headers), body.as_bytes())
    }

    fn binary(
        pairs: &[(&str, &str)],
        body: &str,
    ) -> Result<(ContentMode, EventAttributes, Option<EventData>), DecodeError> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, *value);
        }
        decode(Some(&headers), body.as_bytes())
    }

    #[test]
    fn structured_events_decode_into_typed_attributes() {
        let (mode, attributes, data) = structured(
            r#"{"specversion": "1.0", "id": "e-1", "source": "s", "type": "t",
                "time": "2026-05-17T09:30:00+02:00", "datacontenttype": "application/json",
                "dataschema": "https://r.example/v1/sources/s/types/t/versions/1",
                "subject": "x", "tenant": "acme", "retries": 3, "replayed": false,
                "data": {"a": 1}}"#,
        )
        .expect("decodes");
        assert_eq!(mode, ContentMode::Structured);
        assert_eq!(attributes.id, "e-1");
        assert_eq!(attributes.event_type, "t");
        assert_eq!(
            attributes.time.map(|t| t.to_rfc3339()),
            Some("2026-05-17T07:30:00+00:00".to_string())
        );
        assert_eq!(attributes.subject.as_deref(), Some("x"));
        assert_eq!(
            attributes.extensions.get("tenant"),
            Some(&ExtensionValue::String("acme".to_string()))
        );
        assert_eq!(
            attributes.extensions.get("retries"),
            Some(&ExtensionValue::Integer(3))
        );
        assert_eq!(
            attributes.extensions.get("replayed"),
            Some(&ExtensionValue::Boolean(false))
        );
        assert_eq!(data, Some(EventData::Json(serde_json::json!({"a": 1}))));
    }

    #[test]
    fn attributes_print_back_as_the_json_event_format() {
        let event = r#"{"specversion":"1.0","id":"e-1","source":"s","type":"t","time":"2026-05-17T07:30:00Z","datacontenttype":"application/json","subject":"x","replayed":false,"retries":3,"tenant":"acme"}"#;
        let (_, attributes, _) = structured(event).expect("decodes");
        assert_eq!(Value::Object(attributes.to_json()).to_string(), event);
    }

    #[test]
    fn data_base64_is_decoded_and_parsed_when_json() {
        let (_, _, data) = structured(
            r#"{"specversion": "1.0", "id": "e", "source": "s", "type": "t",
                "data_base64": "eyJhIjogMX0="}"#,
        )
        .expect("decodes");
        assert_eq!(data, Some(EventData::Json(serde_json::json!({"a": 1}))));
        let (_, _, data) = structured(
            r#"{"specversion": "1.0", "id": "e", "source": "s", "type": "t",
                "datacontenttype": "application/octet-stream", "data_base64": "AAEC"}"#,
        )
        .expect("decodes");
        assert_eq!(data, Some(EventData::Binary(vec![0, 1, 2])));
    }

    #[test]
    fn binary_headers_are_percent_decoded_and_matched_without_case() {
        let (mode, attributes, data) = binary(
            &[
                ("ce-specversion", "1.0"),
                ("CE-ID", "e-1"),
                ("ce-source", "s"),
                ("ce-type", "t"),
                ("ce-subject", "order%2042%20%C3%A9"),
                ("ce-tenant", "acme"),
                ("Content-Type", "application/json; charset=utf-8"),
            ],
            r#"{"a": [1, 2]}"#,
        )
        .expect("decodes");
        assert_eq!(mode, ContentMode::Binary);
        assert_eq!(attributes.id, "e-1");
        assert_eq!(attributes.subject.as_deref(), Some("order 42 é"));
        assert_eq!(
            attributes.datacontenttype.as_deref(),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            data,
            Some(EventData::Json(serde_json::json!({"a": [1, 2]})))
        );
    }

    #[test]
    fn malformed_messages_name_what_is_wrong() {
        let cases: Vec<(Result<_, DecodeError>, &str)> = vec![
            (
                structured(r#"{"id": "e", "source": "s", "type": "t"}"#),
                "the event has no specversion attribute (no \"specversion\" member in the JSON event)",
            ),
            (
                structured("{\"specversion\": \"1.0\",\n  \"id\": }"),
                "the structured event is not JSON: expected value at line 2, column 9",
            ),
            (
                structured(r#"{"specversion": "0.3", "id": "e", "source": "s", "type": "t"}"#),
                "unsupported specversion \"0.3\": only 1.0 is read",
            ),
            (
                structured(r#"[1]"#),
                "the structured event is a JSON array, not an object",
            ),
            (
                structured(r#"{"specversion": "1.0", "id": 7, "source": "s", "type": "t"}"#),
                "attribute id: expected a string, found a number",
            ),
            (
                structured(r#"{"specversion": "1.0", "id": "e", "source": "s", "type": "t", "time": "yesterday"}"#),
                "attribute time: \"yesterday\" is not an RFC 3339 timestamp: premature end of input",
            ),
            (
                structured(r#"{"specversion": "1.0", "id": "e", "source": "s", "type": "t", "x": 1.5}"#),
                "attribute x: an extension is a string, boolean or integer, not a number",
            ),
            (
                binary(&[("ce-specversion", "1.0"), ("ce-id", "e"), ("ce-source", "s")], "{}"),
                "the event has no type attribute (no ce-type header)",
            ),
            (
                binary(
                    &[("ce-specversion", "1.0"), ("ce-id", "e"), ("ce-source", "s"), ("ce-type", "t")],
                    "{\"a\": tru}",
                ),
                "the data is not JSON although its datacontenttype is application/json: expected ident at line 1, column 10",
            ),
            (
                binary(
                    &[("ce-specversion", "1.0"), ("ce-id", "%FF"), ("ce-source", "s"), ("ce-type", "t")],
                    "",
                ),
                "header ce-id: \"%FF\" percent-decodes to bytes that are not UTF-8",
            ),
            (
                binary(&[("Content-Type", "text/plain")], "hello"),
                "not a CloudEvent: Content-Type is text/plain, not application/cloudevents+json, and there is no ce-specversion header",
            ),
            (
                decode(None, b"{}"),
                "not a CloudEvent: Content-Type is absent, not application/cloudevents+json, and there is no ce-specversion header",
            ),
        ];
        for (result, expected) in cases {
            let error = result.expect_err(expected);
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn subject_prefixes_are_read_from_a_single_wildcard_subject() {
        assert_eq!(
            subject_prefix_of(&["events.>".to_string()]),
            Some("events".to_string())
        );
        assert_eq!(
            subject_prefix_of(&["a.>".to_string(), "b.>".to_string()]),
            None
        );
        assert_eq!(subject_prefix_of(&["orders".to_string()]), None);
    }
}
