//! Reading back what a stream stored of one event type, oldest first, for `check --replay`:
//! an ephemeral pull consumer (in memory, no acknowledgements) filtered on the type's subject,
//! read by pull requests of 1,000 events, and deleted when the reader is done, so that
//! nothing is left behind on the server. Only what validation needs is decoded from each
//! message: the CloudEvents `id` and the data as JSON text, borrowed from the message where it
//! can be.
//!
//! The reader asks for the events itself (the next pull request sent when half of the current
//! one has arrived, both delivering to one subscription: the server hands the events of two
//! waiting requests out in turn, so two inboxes would see them interleaved) rather than
//! through an ordered consumer, which
//! silently recreates itself after a gap: here every delivered event carries the consumer's
//! sequence, and one that does not follow the previous one is an error naming the stream
//! sequences between which events were missed ([`ReplayError::Gap`]). A replay that says
//! "all valid" has read every event it counts.
//!
//! The read is bounded when it starts: it ends with the last event stored when the consumer
//! was created (events stored meanwhile are not waited for), or after the last N asked for.
//! The first of the last N matching events is found by asking the server how many matching
//! events follow a sequence (a consumer's `num_pending`), halving the range each time: no
//! event before it is sent over the wire.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, DeliverPolicy, PullConsumer};
use async_nats::jetstream::{self, context::GetStreamErrorKind, stream::Stream as JsStream};
use async_nats::HeaderMap;
use base64::Engine;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::receive::{is_json, subject_prefix_of, DecodeError, Framing};
use crate::subject::subject_for;
use crate::ContentMode;

/// Where the read starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayStart {
    /// Every stored event of the type.
    All,
    /// The last N stored events of the type.
    Last(u64),
    /// The events stored at or after this time.
    Since(DateTime<Utc>),
}

/// What [`StoredEvents::open`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayConfig {
    pub stream: String,
    /// The first subject token; `None` reads it from the stream's subjects (`<prefix>.>`).
    pub subject_prefix: Option<String>,
    pub source: String,
    pub event_type: String,
    pub start: ReplayStart,
}

/// Why stored events could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("there is no JetStream stream {stream}")]
    NoStream { stream: String },
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
    #[error("reading from the consumer on the JetStream stream {stream}")]
    Messages {
        stream: String,
        #[source]
        source: async_nats::Error,
    },
    #[error("{missed} stored event(s) of the JetStream stream {stream} were not delivered {}: the replay would not have read every event", between(*after, *next))]
    Gap {
        stream: String,
        /// How many events the consumer's sequence skipped.
        missed: u64,
        /// The stream sequence of the last event read before the gap (`None`: the gap is
        /// before the first).
        after: Option<u64>,
        /// The stream sequence of the first event read after it.
        next: u64,
    },
    #[error("the JetStream stream {stream} sent nothing for a pull request although {pending} event(s) are still pending")]
    Stalled { stream: String, pending: u64 },
}

fn between(after: Option<u64>, next: u64) -> String {
    match after {
        Some(after) => format!("between stream sequences {after} and {next}"),
        None => format!("before stream sequence {next}"),
    }
}

/// The stored events of one type, read oldest first by pull requests of 1,000.
pub struct StoredEvents {
    stream: JsStream,
    stream_name: String,
    consumer: Option<PullConsumer>,
    /// Where every pull request delivers: one subscription, so that events arrive in the
    /// order the server sends them even when two requests are in flight.
    inbox: Option<(async_nats::Subject, async_nats::Subscriber)>,
    /// What the pull requests in flight asked for, oldest first; and how many events the
    /// oldest has delivered.
    in_flight: VecDeque<u64>,
    delivered_of_oldest: u64,
    /// Events the requests in flight asked for and have not delivered yet.
    outstanding: u64,
    jetstream: jetstream::Context,
    /// How many events are still to be read.
    remaining: u64,
    continuity: Continuity,
}

/// One stored message: its stream sequence and the bytes it carried.
pub struct StoredMessage {
    pub sequence: u64,
    pub message: async_nats::Message,
}

impl StoredMessage {
    /// The `id` and data of the CloudEvent it holds.
    pub fn event(&self) -> Result<StoredEvent<'_>, DecodeError> {
        StoredEvent::decode(self.message.headers.as_ref(), &self.message.payload)
    }
}

/// How long a consumer this reader forgot to delete (it was killed) stays on the server.
const INACTIVE_THRESHOLD: Duration = Duration::from_secs(30);
/// Events asked for in one pull request.
const BATCH: u64 = 1_000;
/// How long the server may take to answer one pull request.
const PULL_EXPIRY: Duration = Duration::from_secs(10);

impl StoredEvents {
    /// Creates the consumer. [`ReplayError::NoStream`] when the stream does not exist.
    pub async fn open(
        jetstream: &jetstream::Context,
        config: &ReplayConfig,
    ) -> Result<StoredEvents, ReplayError> {
        let stream_error = |source: async_nats::Error| ReplayError::Stream {
            stream: config.stream.clone(),
            source,
        };
        let mut stream = match jetstream.get_stream(&config.stream).await {
            Ok(stream) => stream,
            Err(error) => {
                if let GetStreamErrorKind::JetStream(inner) = error.kind() {
                    if inner.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND {
                        return Err(ReplayError::NoStream {
                            stream: config.stream.clone(),
                        });
                    }
                }
                return Err(stream_error(error.into()));
            }
        };
        let info = stream
            .info()
            .await
            .map_err(|error| stream_error(error.into()))?
            .clone();
        let prefix = match &config.subject_prefix {
            Some(prefix) => prefix.clone(),
            None => subject_prefix_of(&info.config.subjects).ok_or_else(|| {
                ReplayError::UnknownPrefix {
                    stream: config.stream.clone(),
                    subjects: info.config.subjects.clone(),
                }
            })?,
        };
        let filter = subject_for(&prefix, &config.source, &config.event_type);
        let (deliver_policy, limit) = match config.start {
            ReplayStart::All => (DeliverPolicy::All, u64::MAX),
            ReplayStart::Since(time) => (
                DeliverPolicy::ByStartTime {
                    start_time: time
                        .timestamp_nanos_opt()
                        .and_then(|nanos| async_nats::datetime::from_nanos(i128::from(nanos)).ok())
                        .ok_or(ReplayError::StartTime { time })?,
                },
                u64::MAX,
            ),
            ReplayStart::Last(count) => {
                let start = start_of_last(
                    &stream,
                    &config.stream,
                    &filter,
                    count,
                    info.state.first_sequence,
                    info.state.last_sequence,
                )
                .await?;
                (
                    DeliverPolicy::ByStartSequence {
                        start_sequence: start,
                    },
                    count,
                )
            }
        };
        let consumer = create_reader(&stream, &config.stream, &filter, deliver_policy).await?;
        let pending = consumer.cached_info().num_pending;
        let mut events = StoredEvents {
            stream,
            stream_name: config.stream.clone(),
            consumer: Some(consumer),
            inbox: None,
            in_flight: VecDeque::new(),
            delivered_of_oldest: 0,
            outstanding: 0,
            jetstream: jetstream.clone(),
            remaining: pending.min(limit),
            continuity: Continuity::default(),
        };
        if events.remaining == 0 {
            events.close().await;
        }
        Ok(events)
    }

    /// How many events are left to read.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next stored event, `None` after the last one.
    pub async fn next(&mut self) -> Option<Result<StoredMessage, ReplayError>> {
        if self.remaining == 0 {
            return None;
        }
        if let Err(error) = self.ask_ahead().await {
            return Some(Err(error));
        }
        let (_, subscriber) = self.inbox.as_mut()?;
        let Some(message) = subscriber.next().await else {
            return Some(Err(self.messages_error(
                "the subscription of the pull requests ended".into(),
            )));
        };
        match message.status {
            None | Some(async_nats::StatusCode::OK) => {}
            // A request that ran out of events (deleted meanwhile) or of time.
            Some(async_nats::StatusCode::NOT_FOUND | async_nats::StatusCode::TIMEOUT) => {
                return self.nothing_delivered().await.map(Err);
            }
            Some(status) => {
                return Some(Err(self.messages_error(
                    format!(
                        "the server answered a pull request with {status} {}",
                        message.description.as_deref().unwrap_or_default()
                    )
                    .into(),
                )))
            }
        }
        self.outstanding = self.outstanding.saturating_sub(1);
        self.delivered_of_oldest += 1;
        if self.in_flight.front() == Some(&self.delivered_of_oldest) {
            self.in_flight.pop_front();
            self.delivered_of_oldest = 0;
        }
        let message = jetstream::Message {
            message,
            context: self.jetstream.clone(),
        };
        let Ok(info) = message.info() else {
            return Some(Err(self.messages_error(
                "a delivered message has no JetStream metadata".into(),
            )));
        };
        let (stream_sequence, pending) = (info.stream_sequence, info.pending);
        if let Err(gap) = self
            .continuity
            .follow(info.consumer_sequence, stream_sequence)
        {
            return Some(Err(ReplayError::Gap {
                stream: self.stream_name.clone(),
                missed: gap.missed,
                after: gap.after,
                next: gap.next,
            }));
        }
        // Events deleted meanwhile (limits, retention) end the read early.
        self.remaining = if pending == 0 { 0 } else { self.remaining - 1 };
        Some(Ok(StoredMessage {
            sequence: stream_sequence,
            message: message.split().0,
        }))
    }

    /// Sends a pull request when none is in flight, or when half of the only one has arrived
    /// and more events are to be read than are asked for. Never more is asked for than is
    /// left to read, so every request is answered in full unless events are deleted meanwhile.
    async fn ask_ahead(&mut self) -> Result<(), ReplayError> {
        let due = match self.in_flight.front() {
            None => true,
            Some(asked) => self.in_flight.len() == 1 && self.delivered_of_oldest * 2 >= *asked,
        };
        let unasked = self.remaining.saturating_sub(self.outstanding);
        if !due || unasked == 0 {
            return Ok(());
        }
        let Some(consumer) = self.consumer.as_ref() else {
            return Ok(());
        };
        if self.inbox.is_none() {
            let client = self.jetstream.client();
            let inbox = async_nats::Subject::from(client.new_inbox());
            let subscriber = client
                .subscribe(inbox.clone())
                .await
                .map_err(|error| self.messages_error(error.into()))?;
            self.inbox = Some((inbox, subscriber));
        }
        let Some((inbox, _)) = &self.inbox else {
            return Ok(());
        };
        let asked = unasked.min(BATCH);
        let request = pull::BatchConfig {
            batch: usize::try_from(asked).unwrap_or(1),
            expires: Some(PULL_EXPIRY),
            ..pull::BatchConfig::default()
        };
        consumer
            .request_batch(request, inbox.clone())
            .await
            .map_err(|error| self.messages_error(error.into()))?;
        self.in_flight.push_back(asked);
        self.outstanding += asked;
        Ok(())
    }

    /// A pull request delivered nothing: the events left were deleted meanwhile (the read
    /// ends), or the server did not answer in time (an error).
    async fn nothing_delivered(&mut self) -> Option<ReplayError> {
        let consumer = self.consumer.as_mut()?;
        match consumer.info().await {
            Ok(info) if info.num_pending == 0 => {
                self.remaining = 0;
                None
            }
            Ok(info) => Some(ReplayError::Stalled {
                stream: self.stream_name.clone(),
                pending: info.num_pending,
            }),
            Err(error) => Some(self.messages_error(error.into())),
        }
    }

    fn messages_error(&self, source: async_nats::Error) -> ReplayError {
        ReplayError::Messages {
            stream: self.stream_name.clone(),
            source,
        }
    }

    /// Deletes the consumer on the server (it would expire by itself, but nothing is left).
    pub async fn close(&mut self) {
        self.inbox = None;
        self.in_flight.clear();
        self.remaining = 0;
        if let Some(consumer) = self.consumer.take() {
            let name = consumer.cached_info().name.clone();
            let _ = self.stream.delete_consumer(&name).await;
        }
    }
}

/// The consumer sequence of every event read so far must follow the previous one: the
/// reader acknowledges nothing, so the server never delivers an event twice, and a sequence
/// that jumps means events were lost between the server and the reader.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Continuity {
    /// The consumer and stream sequences of the last event read.
    last: Option<(u64, u64)>,
}

/// Events the consumer's sequence skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gap {
    missed: u64,
    after: Option<u64>,
    next: u64,
}

impl Continuity {
    fn follow(&mut self, consumer_sequence: u64, stream_sequence: u64) -> Result<(), Gap> {
        let (expected, after) = match self.last {
            Some((consumer, stream)) => (consumer + 1, Some(stream)),
            None => (1, None),
        };
        if consumer_sequence != expected {
            return Err(Gap {
                missed: consumer_sequence.abs_diff(expected),
                after,
                next: stream_sequence,
            });
        }
        self.last = Some((consumer_sequence, stream_sequence));
        Ok(())
    }
}

/// An ephemeral pull consumer of the events matching `filter` from `deliver_policy` on,
/// kept in memory, acknowledging nothing, forgotten by the server once idle.
async fn create_reader(
    stream: &JsStream,
    stream_name: &str,
    filter: &str,
    deliver_policy: DeliverPolicy,
) -> Result<PullConsumer, ReplayError> {
    stream
        .create_consumer(pull::Config {
            name: Some(format!("cuemesh-replay-{}", uuid::Uuid::now_v7().simple())),
            filter_subject: filter.to_string(),
            deliver_policy,
            ack_policy: jetstream::consumer::AckPolicy::None,
            inactive_threshold: INACTIVE_THRESHOLD,
            memory_storage: true,
            num_replicas: 1,
            max_batch: BATCH as i64,
            ..pull::Config::default()
        })
        .await
        .map_err(|source| ReplayError::Consumer {
            stream: stream_name.to_string(),
            source: source.into(),
        })
}

/// The sequence the last `count` events matching `filter` start at: the greatest sequence
/// from which at least `count` of them follow (the first sequence when fewer are stored).
async fn start_of_last(
    stream: &JsStream,
    stream_name: &str,
    filter: &str,
    count: u64,
    first: u64,
    last: u64,
) -> Result<u64, ReplayError> {
    let first = first.max(1);
    if count == 0 {
        return Ok(last.saturating_add(1));
    }
    // pending(s) = matching events at or after s, which does not grow with s.
    let (mut low, mut high) = (first, last.max(first));
    if pending_from(stream, stream_name, filter, first).await? <= count {
        return Ok(first);
    }
    // pending(low) > count; find the greatest s with pending(s) >= count.
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if pending_from(stream, stream_name, filter, middle).await? >= count {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Ok(low)
}

/// How many events matching `filter` the stream holds at or after `sequence`, asked of a
/// consumer created for the question and deleted at once.
async fn pending_from(
    stream: &JsStream,
    stream_name: &str,
    filter: &str,
    sequence: u64,
) -> Result<u64, ReplayError> {
    let deliver_policy = DeliverPolicy::ByStartSequence {
        start_sequence: sequence,
    };
    let consumer = create_reader(stream, stream_name, filter, deliver_policy).await?;
    let info = consumer.cached_info();
    let _ = stream.delete_consumer(&info.name).await;
    Ok(info.num_pending)
}

/// The parts of a stored CloudEvent a replay reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent<'a> {
    pub mode: ContentMode,
    /// The CloudEvents `id` (empty when the event has none: it is still validated).
    pub id: Cow<'a, str>,
    pub data: StoredData<'a>,
}

/// The data of a stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredData<'a> {
    /// JSON text (`null` when the event carries no data).
    Json(Cow<'a, str>),
    /// Data of another media type, which no schema validates.
    NotJson { datacontenttype: String },
}

/// The members of a structured event a replay reads; the others are skipped unread.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    specversion: Option<Text<'a>>,
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(borrow, default)]
    datacontenttype: Option<Text<'a>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data_base64: Option<Text<'a>>,
}

/// A JSON string, borrowed from the message unless it holds escapes (serde's own `Cow`
/// always copies inside an `Option`).
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Text<'a>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text.to_string())))
            }
            fn visit_string<E>(self, text: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

impl<'a> StoredEvent<'a> {
    /// Decodes the `id` and data of the CloudEvent in a message, in either content mode.
    pub fn decode(
        headers: Option<&HeaderMap>,
        payload: &'a [u8],
    ) -> Result<StoredEvent<'a>, DecodeError> {
        let content_type = headers.and_then(|h| header(h, "Content-Type"));
        match Framing::of(content_type) {
            Framing::Structured => StoredEvent::structured(payload),
            Framing::Batch => Err(DecodeError::Batch),
            Framing::Other => {
                let Some(headers) = headers.filter(|h| header(h, "ce-specversion").is_some())
                else {
                    return Err(DecodeError::NotACloudEvent {
                        content_type: content_type.map(str::to_string),
                    });
                };
                let id = match header(headers, "ce-id") {
                    Some(id) => percent_encoding::percent_decode_str(id)
                        .decode_utf8()
                        .map_err(|_| DecodeError::Header {
                            header: "ce-id".to_string(),
                            reason: format!("{id:?} percent-decodes to bytes that are not UTF-8"),
                        })?
                        .into_owned()
                        .into(),
                    None => Cow::Borrowed(""),
                };
                let data = json_data(content_type, payload)?;
                Ok(StoredEvent {
                    mode: ContentMode::Binary,
                    id,
                    data,
                })
            }
        }
    }

    fn structured(payload: &'a [u8]) -> Result<StoredEvent<'a>, DecodeError> {
        let envelope: Envelope<'a> =
            serde_json::from_slice(payload).map_err(|error| DecodeError::EventJson {
                message: crate::receive::json_message(&error),
                line: error.line(),
                column: error.column(),
            })?;
        match envelope.specversion.as_ref().map(|text| text.0.as_ref()) {
            None => {
                return Err(DecodeError::MissingAttribute {
                    attribute: "specversion",
                    mode: ContentMode::Structured,
                })
            }
            Some("1.0") => {}
            Some(other) => {
                return Err(DecodeError::UnsupportedSpecVersion {
                    found: other.to_string(),
                })
            }
        }
        let datacontenttype = envelope
            .datacontenttype
            .as_ref()
            .map(|text| text.0.as_ref());
        let data = match (envelope.data, envelope.data_base64) {
            (Some(_), Some(_)) => {
                return Err(DecodeError::InvalidAttribute {
                    attribute: "data_base64".to_string(),
                    reason: "an event holds data or data_base64, not both".to_string(),
                })
            }
            (Some(data), None) if is_json(datacontenttype) => {
                StoredData::Json(Cow::Borrowed(data.get()))
            }
            (Some(_), None) => StoredData::NotJson {
                datacontenttype: datacontenttype.unwrap_or_default().to_string(),
            },
            (None, Some(encoded)) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.0.as_bytes())
                    .map_err(|error| DecodeError::InvalidAttribute {
                        attribute: "data_base64".to_string(),
                        reason: format!("not base64: {error}"),
                    })?;
                match json_data(datacontenttype, &bytes)? {
                    StoredData::Json(text) => StoredData::Json(Cow::Owned(text.into_owned())),
                    StoredData::NotJson { datacontenttype } => {
                        StoredData::NotJson { datacontenttype }
                    }
                }
            }
            (None, None) => StoredData::Json(Cow::Borrowed("null")),
        };
        Ok(StoredEvent {
            mode: ContentMode::Structured,
            id: envelope.id.map_or(Cow::Borrowed(""), |text| text.0),
            data,
        })
    }
}

/// Data bytes as JSON text when the media type is JSON.
fn json_data<'b>(
    datacontenttype: Option<&str>,
    bytes: &'b [u8],
) -> Result<StoredData<'b>, DecodeError> {
    if !is_json(datacontenttype) {
        return Ok(StoredData::NotJson {
            datacontenttype: datacontenttype.unwrap_or_default().to_string(),
        });
    }
    if bytes.is_empty() {
        return Ok(StoredData::Json(Cow::Borrowed("null")));
    }
    std::str::from_utf8(bytes)
        .map(|text| StoredData::Json(Cow::Borrowed(text)))
        .map_err(|error| DecodeError::DataJson {
            datacontenttype: datacontenttype
                .unwrap_or(crate::APPLICATION_JSON)
                .to_string(),
            message: format!("the data is not UTF-8: {error}"),
            line: 1,
            column: error.valid_up_to() + 1,
        })
}

/// The first value of a header, its name matched without regard to case, without copying.
fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.iter().find_map(|(key, values)| {
        let key: &str = key.as_ref();
        key.eq_ignore_ascii_case(name)
            .then(|| values.first().map(|value| value.as_str()))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CLOUDEVENTS_JSON;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, *value);
        }
        map
    }

    #[test]
    fn structured_events_lend_their_data_without_decoding_it() {
        let headers = headers(&[("Content-Type", CLOUDEVENTS_JSON)]);
        let payload = br#"{"specversion":"1.0","id":"e-1","source":"s","type":"t","extra":{"deep":[1,2]},"data":{"n": 75}}"#;
        let event = StoredEvent::decode(Some(&headers), payload).expect("decodes");
        assert_eq!(event.mode, ContentMode::Structured);
        assert_eq!(event.id, "e-1");
        assert_eq!(event.data, StoredData::Json(Cow::Borrowed(r#"{"n": 75}"#)));
        assert!(matches!(event.id, Cow::Borrowed(_)));
    }

    #[test]
    fn binary_events_take_the_id_from_its_header_and_the_body_as_data() {
        let headers = headers(&[
            ("ce-specversion", "1.0"),
            ("ce-id", "order%20one"),
            ("Content-Type", "application/json"),
        ]);
        let event = StoredEvent::decode(Some(&headers), br#"{"n":1}"#).expect("decodes");
        assert_eq!(event.mode, ContentMode::Binary);
        assert_eq!(event.id, "order one");
        assert_eq!(event.data, StoredData::Json(Cow::Borrowed(r#"{"n":1}"#)));
        let empty = StoredEvent::decode(Some(&headers), b"").expect("decodes");
        assert_eq!(empty.data, StoredData::Json(Cow::Borrowed("null")));
    }

    #[test]
    fn base64_and_other_media_types_are_told_apart() {
        let headers = headers(&[("Content-Type", CLOUDEVENTS_JSON)]);
        let encoded = br#"{"specversion":"1.0","id":"b","data_base64":"eyJuIjoyfQ=="}"#;
        let event = StoredEvent::decode(Some(&headers), encoded).expect("decodes");
        assert_eq!(event.data, StoredData::Json(Cow::Borrowed(r#"{"n":2}"#)));
        let text = br#"{"specversion":"1.0","id":"c","datacontenttype":"text/plain","data":"hi"}"#;
        let event = StoredEvent::decode(Some(&headers), text).expect("decodes");
        assert_eq!(
            event.data,
            StoredData::NotJson {
                datacontenttype: "text/plain".to_string()
            }
        );
    }

    #[test]
    fn a_consumer_sequence_that_jumps_is_a_gap_naming_the_stream_sequences_around_it() {
        let mut continuity = Continuity::default();
        // Filtered: stream sequences jump, consumer sequences do not.
        assert_eq!(continuity.follow(1, 4), Ok(()));
        assert_eq!(continuity.follow(2, 9), Ok(()));
        assert_eq!(
            continuity.follow(5, 20),
            Err(Gap {
                missed: 2,
                after: Some(9),
                next: 20
            })
        );
        let mut fresh = Continuity::default();
        assert_eq!(
            fresh.follow(3, 7),
            Err(Gap {
                missed: 2,
                after: None,
                next: 7
            })
        );
        let error = ReplayError::Gap {
            stream: "EVENTS".to_string(),
            missed: 2,
            after: Some(9),
            next: 20,
        };
        assert_eq!(
            error.to_string(),
            "2 stored event(s) of the JetStream stream EVENTS were not delivered between stream sequences 9 and 20: the replay would not have read every event"
        );
    }

    #[test]
    fn media_types_are_compared_without_regard_to_case_or_parameters() {
        let structured = headers(&[(
            "Content-Type",
            " Application/CloudEvents+JSON ; charset=utf-8",
        )]);
        let payload = br#"{"specversion":"1.0","id":"m","datacontenttype":"Application/Vnd.Acme+JSON; v=2","data":{"n":3}}"#;
        let event = StoredEvent::decode(Some(&structured), payload).expect("decodes");
        assert_eq!(event.mode, ContentMode::Structured);
        assert_eq!(event.data, StoredData::Json(Cow::Borrowed(r#"{"n":3}"#)));
        let batch = headers(&[("Content-Type", "APPLICATION/cloudevents-batch+json")]);
        assert_eq!(
            StoredEvent::decode(Some(&batch), b"[]"),
            Err(DecodeError::Batch)
        );
        let binary = headers(&[
            ("ce-specversion", "1.0"),
            ("ce-id", "j"),
            ("Content-Type", "TEXT/JSON"),
        ]);
        let event = StoredEvent::decode(Some(&binary), br#"{"n":4}"#).expect("decodes");
        assert_eq!(event.data, StoredData::Json(Cow::Borrowed(r#"{"n":4}"#)));
        // `+json` must be the suffix, not merely present.
        let binary = headers(&[
            ("ce-specversion", "1.0"),
            ("Content-Type", "application/x+jsonl"),
        ]);
        let event = StoredEvent::decode(Some(&binary), b"{}").expect("decodes");
        assert!(matches!(event.data, StoredData::NotJson { .. }));
    }

    #[test]
    fn what_is_not_a_cloudevent_says_why() {
        let structured = headers(&[("Content-Type", CLOUDEVENTS_JSON)]);
        assert_eq!(
            StoredEvent::decode(Some(&structured), br#"{"id":"x"}"#),
            Err(DecodeError::MissingAttribute {
                attribute: "specversion",
                mode: ContentMode::Structured
            })
        );
        assert!(matches!(
            StoredEvent::decode(Some(&structured), b"{not json"),
            Err(DecodeError::EventJson { line: 1, .. })
        ));
        assert_eq!(
            StoredEvent::decode(None, b"{}"),
            Err(DecodeError::NotACloudEvent { content_type: None })
        );
    }
}
