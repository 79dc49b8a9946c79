//! [`Publisher`]: the connection to JetStream, the validator cache and the publish path
//! (validate, build the CloudEvent, publish with `Nats-Msg-Id`, await the PubAck, retry).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_nats::jetstream::context::{PublishError as JetStreamError, PublishErrorKind};
use async_nats::jetstream::{self, stream};
use async_nats::HeaderMap;
use futures::stream::{FuturesUnordered, StreamExt};

use crate::acks::{Acks, Answer, Inbox, MAX_AWAITED};
use crate::config::PublisherConfig;
use crate::error::{ConnectError, PublishError, Violation};
use crate::event::{encode, structured_head, Attributes, Envelope};
use crate::nats::{NatsError, PermissionViolation};
use crate::outbox::{Outbox, Queued};
use crate::schema::{Pin, SchemaSource, Validator, ValidatorCache};
use crate::subject::{subject_for, version_url};

/// What JetStream answered for a stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The CloudEvent id (also its `Nats-Msg-Id`).
    pub id: String,
    pub stream: String,
    pub sequence: u64,
    /// True when JetStream already had this id within its duplicate window: the event was
    /// not stored again, and `sequence` is the first copy's.
    pub duplicate: bool,
}

/// What publishing events of one pin needs, worked out once: its compiled validator, its
/// `dataschema` (the registry URL of the version) and its NATS subject.
pub(crate) struct Route {
    pub(crate) validator: Arc<Validator>,
    pub(crate) dataschema: String,
    pub(crate) subject: async_nats::Subject,
    /// The members every structured event of the pin starts with ([`structured_head`]).
    pub(crate) structured_head: Vec<u8>,
}

/// A validated, encoded event on its way to JetStream.
pub(crate) struct OutgoingMessage {
    id: String,
    subject: async_nats::Subject,
    headers: HeaderMap,
    body: bytes::Bytes,
    /// What NATS counts against `max_payload` ([`message_size`]).
    size: usize,
}

/// Publishes validated CloudEvents. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Publisher {
    config: PublisherConfig,
    client: async_nats::Client,
    jetstream: jetstream::Context,
    /// Compiled validators, per pin, for the life of the publisher.
    validators: ValidatorCache,
    /// Each pin's [`Route`] (its validator from `validators`), for the life of the publisher.
    routes: Mutex<HashMap<Pin, Arc<Route>>>,
    /// Where the PubAcks of every message come.
    acks: Acks,
    /// Lone messages (one event per call), sent together with those of concurrent calls.
    outbox: Outbox,
}

impl Publisher {
    /// Connects to NATS and makes sure the stream exists: it is created (file storage, subject
    /// `<prefix>.>`, the configured duplicate window) when absent, and checked when present.
    pub async fn connect(
        config: PublisherConfig,
        schemas: impl SchemaSource + 'static,
    ) -> Result<Publisher, ConnectError> {
        // The server refuses a publish or subscription the user has no permission for with an
        // error line that async-nats reports as an event: those reach the connect below (the
        // JetStream API refused) and then the bursts awaiting answers on the subject.
        let (violations_sender, mut violations) = tokio::sync::mpsc::unbounded_channel();
        let options = async_nats::ConnectOptions::new()
            // Room for every awaited PubAck, and for late ones to retries beside them.
            .subscription_capacity(4 * MAX_AWAITED)
            .event_callback(move |event| {
                if let Some(violation) = PermissionViolation::of_event(&event) {
                    let _ = violations_sender.send(violation);
                }
                std::future::ready(())
            });
        let client = config.nats.connect_with(options).await?;
        let url = config.nats.shown_url();
        let inbox = Inbox::subscribe(&client)
            .await
            .map_err(|source| ConnectError::Subscribe {
                url: url.clone(),
                source,
            })?;
        let mut jetstream = jetstream::new(client.clone());
        jetstream.set_timeout(config.publish_timeout);
        let settings = &config.stream;
        let wanted = format!("{}.>", settings.subject_prefix);
        let creating = jetstream.get_or_create_stream(stream::Config {
            name: settings.name.clone(),
            subjects: vec![wanted.clone()],
            storage: stream::StorageType::File,
            duplicate_window: settings.duplicate_window,
            num_replicas: settings.replicas,
            ..stream::Config::default()
        });
        // A refused JetStream API request gets no answer: the refusal ends the wait at once.
        let stream = tokio::select! {
            created = creating => created.map_err(|source| ConnectError::Stream {
                stream: settings.name.clone(),
                source,
            })?,
            Some(violation) = violations.recv() => {
                return Err(NatsError::from_violation(violation, url).into());
            }
        };
        let existing = &stream.cached_info().config;
        if !existing.subjects.iter().any(|s| s == &wanted || s == ">") {
            return Err(ConnectError::StreamSubjects {
                stream: settings.name.clone(),
                subjects: existing.subjects.clone(),
                wanted,
            });
        }
        // Exactly-once on retry rests on the window: a shorter one than configured is an error.
        if existing.duplicate_window < settings.duplicate_window {
            return Err(ConnectError::DuplicateWindow {
                stream: settings.name.clone(),
                actual: existing.duplicate_window,
                configured: settings.duplicate_window,
            });
        }
        // The answers to this publisher's messages come to its inbox: a user who may not
        // subscribe to it would wait for every PubAck in vain. The server has refused the
        // subscription (if it did) before it answered the stream request above.
        let pattern = inbox.pattern();
        while let Ok(violation) = violations.try_recv() {
            if violation.operation == "subscribe to" && violation.subject == pattern {
                return Err(NatsError::from_violation(violation, url).into());
            }
        }
        let (refused_sender, refused) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(violation) = violations.recv().await {
                if violation.operation == "publish to" {
                    if refused_sender.send(violation.subject).is_err() {
                        return;
                    }
                } else {
                    tracing::error!(subject = %violation.subject, "NATS refused a subscription");
                }
            }
        });
        Ok(Publisher {
            acks: inbox.start(refused),
            outbox: Outbox::start(client.clone()),
            config,
            client,
            jetstream,
            validators: ValidatorCache::new(Box::new(schemas)),
            routes: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &PublisherConfig {
        &self.config
    }

    /// Whether the NATS connection is up right now (async-nats reconnects on its own).
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Whether the stream answers: NATS is connected and JetStream knows the stream.
    pub async fn stream_ready(&self) -> bool {
        self.is_connected()
            && self
                .jetstream
                .get_stream(self.config.stream.name.as_str())
                .await
                .is_ok()
    }

    /// The compiled validator of `pin`, resolved and compiled on first use.
    pub async fn validator(&self, pin: &Pin) -> Result<Arc<Validator>, PublishError> {
        Ok(self.route(pin).await?.validator.clone())
    }

    /// The [`Route`] of `pin`, its validator resolved and compiled on first use.
    pub(crate) async fn route(&self, pin: &Pin) -> Result<Arc<Route>, PublishError> {
        if let Some(route) = self.cached(pin) {
            return Ok(route);
        }
        let validator = self.validators.get(pin).await?;
        let dataschema = version_url(
            &self.config.registry_url,
            &pin.source,
            &pin.event_type,
            pin.version,
        );
        let route = Arc::new(Route {
            validator,
            structured_head: structured_head(pin, &dataschema),
            dataschema,
            subject: subject_for(
                &self.config.stream.subject_prefix,
                &pin.source,
                &pin.event_type,
            )
            .into(),
        });
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        Ok(routes.entry(pin.clone()).or_insert(route).clone())
    }

    fn cached(&self, pin: &Pin) -> Option<Arc<Route>> {
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        routes.get(pin).cloned()
    }

    /// Validates `payload` (JSON) against `pin`: every violation with its path, or the
    /// payload as a JSON value.
    pub async fn validate(
        &self,
        pin: &Pin,
        payload: &[u8],
    ) -> Result<serde_json::Value, PublishError> {
        let validator = self.validator(pin).await?;
        let text = check_payload(&validator, pin, payload)?;
        serde_json::from_str(text).map_err(|error| PublishError::Invalid {
            pin: pin.clone(),
            violations: vec![Violation {
                path: String::new(),
                code: "SYNTAX",
                message: error.to_string(),
            }],
        })
    }

    /// Validates `payload` against `pin`, publishes it as a CloudEvent and returns once
    /// JetStream has stored it (or had it already: [`Receipt::duplicate`]). Nothing is sent
    /// when the payload is invalid. A PubAck that does not come in time is retried with the
    /// same event id, as [`crate::RetryPolicy`] says.
    pub async fn publish(
        &self,
        pin: &Pin,
        payload: &[u8],
        attributes: Attributes,
    ) -> Result<Receipt, PublishError> {
        let route = self.route(pin).await?;
        self.publish_on(&route, pin, payload, attributes).await
    }

    /// [`Publisher::publish`] on a [`Route`] already looked up (the sidecar looks it up first,
    /// to answer 404 before it reads the body).
    pub(crate) async fn publish_on(
        &self,
        route: &Route,
        pin: &Pin,
        payload: &[u8],
        attributes: Attributes,
    ) -> Result<Receipt, PublishError> {
        let message = self.prepare(route, pin, payload, &attributes)?;
        let mut results = self.send_burst(vec![(0, message)]).await;
        results.pop().expect("one result per message").1
    }

    /// Publishes many events of one pin with up to [`PublisherConfig::max_in_flight`] of them
    /// awaiting their PubAck at once, rather than one round trip each. Returns one result per
    /// event, in the order given; an invalid payload fails alone and is not sent. Events are
    /// sent in order, but a retried one may be stored after a later one.
    pub async fn publish_many<'p>(
        &self,
        pin: &Pin,
        events: impl IntoIterator<Item = (&'p [u8], Attributes)>,
    ) -> Vec<Result<Receipt, PublishError>> {
        let events = events.into_iter();
        // The route is looked up once; when that fails, each event asks again and fails
        // alone, as a lone publish would.
        let Ok(route) = self.route(pin).await else {
            let mut results = Vec::new();
            for (payload, attributes) in events {
                results.push(self.publish(pin, payload, attributes).await);
            }
            return results;
        };
        let prepared =
            events.map(|(payload, attributes)| self.prepare(&route, pin, payload, &attributes));
        self.send_pipelined(prepared).await
    }

    /// Sends every prepared message with up to [`PublisherConfig::max_in_flight`] awaiting
    /// their PubAck at once; one result per item, in order (an item that failed to prepare
    /// keeps its error and is not sent). `prepared` is drawn lazily, a burst at a time.
    pub(crate) async fn send_pipelined(
        &self,
        prepared: impl Iterator<Item = Result<OutgoingMessage, PublishError>>,
    ) -> Vec<Result<Receipt, PublishError>> {
        // Events are prepared (validated and encoded) a burst at a time: half the window, so
        // that while one burst's PubAcks come, the next is prepared and sent. A burst's
        // messages go to async-nats back to back (its connection writes them together) and
        // their PubAcks are awaited together ([`Acks`]).
        let window = self.config.max_in_flight.max(1);
        let burst = (window / 2).clamp(1, MAX_AWAITED);
        let bursts = (window / burst).max(1);
        let mut prepared = prepared.enumerate();
        let mut more = true;
        let mut in_flight = FuturesUnordered::new();
        let mut results: Vec<(usize, Result<Receipt, PublishError>)> = Vec::new();
        loop {
            if more && in_flight.len() < bursts {
                let mut messages = Vec::with_capacity(burst);
                while messages.len() < burst {
                    match prepared.next() {
                        Some((position, Ok(message))) => messages.push((position, message)),
                        Some((position, Err(error))) => results.push((position, Err(error))),
                        None => {
                            more = false;
                            break;
                        }
                    }
                }
                if !messages.is_empty() {
                    in_flight.push(self.send_burst(messages));
                }
                continue;
            }
            match in_flight.next().await {
                Some(done) => results.extend(done),
                None if !more => break,
                None => {}
            }
        }
        results.sort_unstable_by_key(|(position, _)| *position);
        results.into_iter().map(|(_, result)| result).collect()
    }

    /// Validates and encodes one event of `pin` on its `route`, and checks it fits NATS's
    /// `max_payload`: everything but sending it.
    pub(crate) fn prepare(
        &self,
        route: &Route,
        pin: &Pin,
        payload: &[u8],
        attributes: &Attributes,
    ) -> Result<OutgoingMessage, PublishError> {
        let data = check_payload(&route.validator, pin, payload)?;
        let id = attributes
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let envelope = Envelope {
            pin,
            id: &id,
            dataschema: &route.dataschema,
            head: &route.structured_head,
            attributes,
        };
        let (headers, body) = encode(&envelope, data, self.config.content_mode)?;
        let max_payload = self.client.max_payload();
        let size = message_size(&headers, body.len());
        if max_payload > 0 && size > max_payload {
            return Err(PublishError::TooLarge {
                event_id: id,
                size,
                max_payload,
            });
        }
        Ok(OutgoingMessage {
            id,
            subject: route.subject.clone(),
            headers,
            body: bytes::Bytes::from(body),
            size,
        })
    }

    /// Sends `messages` (each with its position, given back with its result) and awaits
    /// their PubAcks together. Those without one in time are sent again with the same
    /// `Nats-Msg-Id`, as [`crate::RetryPolicy`] says.
    async fn send_burst(
        &self,
        messages: Vec<(usize, OutgoingMessage)>,
    ) -> Vec<(usize, Result<Receipt, PublishError>)> {
        let burst = self
            .acks
            .open(
                messages
                    .iter()
                    .map(|(_, message)| message.subject.clone())
                    .collect(),
            )
            .await;
        let mut settled: Vec<Option<Settled>> = messages.iter().map(|_| None).collect();
        let mut sent = vec![false; messages.len()];
        let retry = self.config.retry;
        for attempt in 0..=retry.retries {
            if attempt > 0 {
                tokio::time::sleep(retry.backoff(attempt)).await;
            }
            // async-nats queues a publish made while disconnected and sends it after the
            // reconnect, maybe after this call has given up: send only on a live connection.
            if !self.is_connected() {
                continue;
            }
            let unsettled: Vec<usize> = (0..messages.len())
                .filter(|&index| settled[index].is_none())
                .collect();
            burst.await_answers(unsettled.iter().copied());
            // A lone message goes through the outbox, with those of concurrent calls; the
            // messages of a burst are already sent back to back.
            let lone = messages.len() == 1;
            for &index in &unsettled {
                let message = &messages[index].1;
                if lone {
                    self.outbox.send(Queued {
                        subject: message.subject.clone(),
                        reply: burst.reply(index),
                        headers: message.headers.clone(),
                        body: message.body.clone(),
                        burst: burst.shared_burst(),
                        index,
                    });
                    continue;
                }
                let published = self
                    .client
                    .publish_with_reply_and_headers(
                        message.subject.clone(),
                        burst.reply(index),
                        message.headers.clone(),
                        message.body.clone(),
                    )
                    .await;
                match published {
                    Ok(()) => sent[index] = true,
                    Err(error) => {
                        burst.not_sent(index);
                        // A closed connection is tried again, as a missing PubAck is.
                        if error.kind() != async_nats::client::PublishErrorKind::Send {
                            settled[index] = Some(Settled::NotSent(error));
                        }
                    }
                }
            }
            let deadline = tokio::time::Instant::now() + self.config.publish_timeout;
            let answers = burst.answers(deadline).await;
            if lone {
                // What the outbox sent, and what async-nats would not send (as above).
                let mut unsent = burst.take_unsent();
                for &index in &unsettled {
                    match unsent.iter().position(|(failed, _)| *failed == index) {
                        None => sent[index] = true,
                        Some(at) => {
                            let (_, error) = unsent.swap_remove(at);
                            if error.kind() != async_nats::client::PublishErrorKind::Send {
                                settled[index] = Some(Settled::NotSent(error));
                            }
                        }
                    }
                }
            }
            for (index, answer) in answers {
                settled[index].get_or_insert(Settled::Answered(answer));
            }
            if settled.iter().all(Option::is_some) {
                break;
            }
        }
        // Closes the burst: late answers are dropped from here on.
        drop(burst);
        let connected = self.is_connected();
        messages
            .into_iter()
            .zip(settled)
            .zip(sent)
            .map(|(((position, message), settled), sent)| {
                let result = match settled {
                    Some(settled) => self.receipt(message, settled),
                    // Never sent (disconnected throughout), or disconnected now: NATS is the
                    // problem.
                    None if !sent || !connected => Err(PublishError::Unavailable {
                        event_id: message.id,
                        subject: message.subject.to_string(),
                        source: sent.then(|| JetStreamError::new(PublishErrorKind::TimedOut)),
                    }),
                    None => Err(PublishError::Timeout {
                        event_id: message.id,
                        subject: message.subject.to_string(),
                        attempts: retry.retries + 1,
                        timeout: self.config.publish_timeout,
                    }),
                };
                (position, result)
            })
            .collect()
    }

    /// The result of a message that JetStream answered, or that async-nats would not send.
    fn receipt(&self, message: OutgoingMessage, settled: Settled) -> Result<Receipt, PublishError> {
        let OutgoingMessage {
            id, subject, size, ..
        } = message;
        let failed = |source: JetStreamError| PublishError::Publish {
            event_id: id.clone(),
            subject: subject.to_string(),
            source,
        };
        match settled {
            Settled::Answered(Answer::Stored {
                stream,
                sequence,
                duplicate,
            }) => Ok(Receipt {
                id,
                stream,
                sequence,
                duplicate,
            }),
            Settled::Answered(Answer::NoResponders) => Err(PublishError::Unavailable {
                source: Some(JetStreamError::new(PublishErrorKind::StreamNotFound)),
                event_id: id,
                subject: subject.to_string(),
            }),
            Settled::Answered(Answer::Refused(error)) => Err(failed(JetStreamError::with_source(
                PublishErrorKind::Other,
                error,
            ))),
            Settled::Answered(Answer::Forbidden) => Err(PublishError::Forbidden {
                event_id: id,
                subject: subject.to_string(),
            }),
            Settled::Answered(Answer::Unreadable(what)) => Err(failed(
                JetStreamError::with_source(PublishErrorKind::Other, what),
            )),
            Settled::NotSent(error)
                if error.kind() == async_nats::client::PublishErrorKind::MaxPayloadExceeded =>
            {
                Err(PublishError::TooLarge {
                    event_id: id,
                    size,
                    max_payload: self.client.max_payload(),
                })
            }
            Settled::NotSent(error) => Err(failed(JetStreamError::with_source(
                PublishErrorKind::Other,
                error,
            ))),
        }
    }
}

/// How a message of a burst ended, short of a timeout.
enum Settled {
    Answered(Answer),
    /// async-nats refused to send it (over `max_payload` since a reconnect, say).
    NotSent(async_nats::client::PublishError),
}

/// Checks `payload` against `validator`: every violation with its path, or the payload as
/// text that is exactly one JSON value. The CUE engine's JSON reader is strict (RFC 8259), so
/// whatever it accepts serde's parser reads too (the `reads_what_serde_reads` test holds it to
/// that): the text is read once, by the validator, and sent as it is.
fn check_payload<'p>(
    validator: &Validator,
    pin: &Pin,
    payload: &'p [u8],
) -> Result<&'p str, PublishError> {
    let invalid = |violations: Vec<Violation>| PublishError::Invalid {
        pin: pin.clone(),
        violations,
    };
    let text = std::str::from_utf8(payload).map_err(|error| {
        invalid(vec![Violation {
            path: String::new(),
            code: "NOT_UTF8",
            message: format!("the payload is not UTF-8: {error}"),
        }])
    })?;
    let violations = validator.violations("payload.json", text);
    if !violations.is_empty() {
        return Err(invalid(violations));
    }
    Ok(text)
}

/// The size NATS counts against `max_payload`: the header block (`NATS/1.0`, one line per
/// value, a blank line) plus the payload.
fn message_size(headers: &HeaderMap, payload: usize) -> usize {
    let mut size = "NATS/1.0\r\n\r\n".len();
    for (name, values) in headers.iter() {
        for value in values {
            size +=
                AsRef::<str>::as_ref(name).len() + ": ".len() + value.as_str().len() + "\r\n".len();
        }
    }
    size + payload
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validator(schema: &str) -> Validator {
        let files = cue::PackageFiles {
            files: vec![("schema.cue".to_string(), schema.to_string())],
        };
        let package = cue::Package::load(files, &cue::NoImports);
        crate::schema::validator_of(&Pin::new("s", "t", 1), &package, "#T", None).expect("compiles")
    }

    /// Every text the CUE engine accepts, serde's parser reads too: seeds and every one-byte
    /// mutation of them (deleted, doubled, replaced by a byte that matters to JSON), deep
    /// nesting and unpaired surrogate escapes, through a schema that takes anything and
    /// through one of every JSON kind.
    #[test]
    fn reads_what_serde_reads() {
        let seeds = [
            r#"{"a": [1, -2.5e+3, 0, true, false, null], "b": {"c": "d\u00e9\n"}, "e": ""}"#,
            r#"[{"x": -0.0}, [], {}, "\ud83d\ude00", 1E2, "\ud800", "\udc00 x"]"#,
            r#"{"orderId": "order-1042", "lines": [{"sku": "BOOK-0001", "quantity": 1}]}"#,
            r#""\"quoted\" \\ \/ \b\f\r\t""#,
            "123",
        ];
        let replacements = b"\"\\{}[],:0-.eEu+/ \n\t\x01tfnx9";
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for seed in seeds {
            let seed = seed.as_bytes();
            texts.push(seed.to_vec());
            for at in 0..seed.len() {
                let mut deleted = seed.to_vec();
                deleted.remove(at);
                texts.push(deleted);
                let mut doubled = seed.to_vec();
                doubled.insert(at, seed[at]);
                texts.push(doubled);
                for &byte in replacements {
                    let mut replaced = seed.to_vec();
                    replaced[at] = byte;
                    texts.push(replaced);
                }
            }
        }
        for depth in [127, 128, 129, 500] {
            texts.push(format!("{}1{}", "[".repeat(depth), "]".repeat(depth)).into_bytes());
        }
        let schemas = [
            validator("#T: _"),
            validator("#T: {...} | [...] | string | number | bool | null"),
        ];
        let (mut accepted, mut refused) = (0, 0);
        for text in &texts {
            let Ok(text) = std::str::from_utf8(text) else {
                continue;
            };
            for schema in &schemas {
                if !schema.violations("payload.json", text).is_empty() {
                    refused += 1;
                    continue;
                }
                accepted += 1;
                let serde = serde_json::from_str::<serde::de::IgnoredAny>(text);
                assert!(serde.is_ok(), "serde refuses {text:?}: {serde:?}");
            }
        }
        assert!(
            accepted > 1000 && refused > 1000,
            "{accepted} accepted, {refused} refused"
        );
    }
}
