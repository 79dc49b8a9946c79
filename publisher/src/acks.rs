//! [`Acks`]: the PubAcks of a publisher's messages, all through one subscription.
//!
//! JetStream answers a message published with a reply subject by publishing its PubAck (or an
//! error) to that subject. async-nats's JetStream `publish` makes each message a request of
//! its own: an inbox, a one-shot channel, an entry in its request table, two timers and a
//! boxed future per message. Events go out in bursts instead ([`Burst`]): a burst's messages
//! carry the reply subjects `<inbox>.<burst>.<index>`, one wildcard subscription takes every
//! answer, and the sender is woken once, when its whole burst is answered (or its time is
//! up), with one timer per burst.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// At most this many PubAcks are awaited at once by one publisher. It is a quarter of the
/// publisher's subscription capacity, so that answers never pile up past it and get dropped as
/// a slow consumer's.
pub(crate) const MAX_AWAITED: usize = 16_384;

/// What JetStream answered to one message.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Stored, or had it already within its duplicate window (`duplicate`).
    Stored {
        stream: String,
        sequence: u64,
        duplicate: bool,
    },
    /// An error from JetStream (a JSON `error` object).
    Refused(async_nats::jetstream::Error),
    /// No stream takes the subject (NATS's 503 status).
    NoResponders,
    /// An answer that is not a PubAck.
    Unreadable(String),
    /// No answer will come: the server refused the publish on this subject (a permissions
    /// violation), so nothing was stored.
    Forbidden,
}

impl Answer {
    fn read(message: &async_nats::Message) -> Answer {
        if message.status == Some(async_nats::StatusCode::NO_RESPONDERS) {
            return Answer::NoResponders;
        }
        #[derive(serde::Deserialize)]
        struct PubAck<'a> {
            #[serde(borrow)]
            stream: Option<Cow<'a, str>>,
            seq: Option<u64>,
            #[serde(default)]
            duplicate: bool,
            error: Option<async_nats::jetstream::Error>,
        }
        match serde_json::from_slice::<PubAck>(&message.payload) {
            Ok(PubAck {
                error: Some(error), ..
            }) => Answer::Refused(error),
            Ok(PubAck {
                stream: Some(stream),
                seq: Some(sequence),
                duplicate,
                error: None,
            }) => Answer::Stored {
                stream: stream.into_owned(),
                sequence,
                duplicate,
            },
            Ok(_) => Answer::Unreadable(format!(
                "a PubAck without a stream or sequence: {}",
                String::from_utf8_lossy(&message.payload)
            )),
            Err(error) => Answer::Unreadable(format!(
                "{error} in {}",
                String::from_utf8_lossy(&message.payload)
            )),
        }
    }
}

/// One message's place in its [`Burst`].
enum Slot {
    /// Not sent in the current attempt (not yet, or its attempt timed out).
    Idle,
    /// Sent in the current attempt, its answer awaited.
    Awaited,
    Answered(Answer),
}

struct BurstState {
    slots: Vec<Slot>,
    /// How many slots are [`Slot::Awaited`].
    awaited: usize,
    /// Messages that another task ([`crate::outbox::Outbox`]) was to send and async-nats
    /// would not: each index with the error, until the burst's sender takes them.
    unsent: Vec<(usize, async_nats::client::PublishError)>,
}

/// Messages sent together whose answers are awaited together.
pub(crate) struct Burst {
    number: u64,
    /// The subject of each message, to match the server's refusals (which name only that).
    subjects: Vec<async_nats::Subject>,
    state: Mutex<BurstState>,
    /// Told when the last awaited answer of the burst came.
    answered: Notify,
    /// This burst's share of [`MAX_AWAITED`], given back when it is dropped.
    _permit: OwnedSemaphorePermit,
    /// Set when the burst is closed ([`OpenBurst`] dropped): nobody awaits its answers, so
    /// its messages still queued for sending are not sent.
    closed: AtomicBool,
}

impl Burst {
    fn state(&self) -> std::sync::MutexGuard<'_, BurstState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks the slots at `indices` awaited (each without an answer so far), for an attempt
    /// about to send them.
    pub(crate) fn await_answers(&self, indices: impl Iterator<Item = usize>) {
        let mut state = self.state();
        for index in indices {
            if matches!(state.slots[index], Slot::Idle) {
                state.slots[index] = Slot::Awaited;
                state.awaited += 1;
            }
        }
    }

    /// The slot at `index` was not sent after all: its answer is no longer awaited.
    pub(crate) fn not_sent(&self, index: usize) {
        let mut state = self.state();
        if matches!(state.slots[index], Slot::Awaited) {
            state.slots[index] = Slot::Idle;
            state.awaited -= 1;
        }
    }

    /// async-nats would not send the message at `index`, which another task sent for the
    /// burst's sender: its answer is no longer awaited (the wait ends when it was the last),
    /// and the error waits for [`Burst::take_unsent`].
    pub(crate) fn send_failed(&self, index: usize, error: async_nats::client::PublishError) {
        let mut state = self.state();
        if matches!(state.slots.get(index), Some(Slot::Awaited)) {
            state.slots[index] = Slot::Idle;
            state.awaited -= 1;
            if state.awaited == 0 {
                self.answered.notify_one();
            }
        }
        state.unsent.push((index, error));
    }

    /// The messages async-nats would not send since the last call ([`Burst::send_failed`]).
    pub(crate) fn take_unsent(&self) -> Vec<(usize, async_nats::client::PublishError)> {
        std::mem::take(&mut self.state().unsent)
    }

    /// Whether the burst is closed: its sender gave up or is done.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Waits until every awaited answer has come, or `deadline`; then takes the answers that
    /// came (by index) and makes the slots still awaited idle.
    pub(crate) async fn answers(&self, deadline: tokio::time::Instant) -> Vec<(usize, Answer)> {
        loop {
            let answered = self.answered.notified();
            if self.state().awaited == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, answered).await.is_err() {
                break;
            }
        }
        let mut state = self.state();
        state.awaited = 0;
        let mut answers = Vec::new();
        for (index, slot) in state.slots.iter_mut().enumerate() {
            match std::mem::replace(slot, Slot::Idle) {
                Slot::Answered(answer) => answers.push((index, answer)),
                Slot::Idle | Slot::Awaited => {}
            }
        }
        answers
    }

    /// Every message of the burst on `subject` that is not answered yet is refused: the
    /// server refuses every publish on a subject the user may not publish to, each with an
    /// error line that names only the subject.
    fn refuse(&self, subject: &str) {
        for index in 0..self.subjects.len() {
            if self.subjects[index].as_str() == subject {
                self.deliver(index, Answer::Forbidden);
            }
        }
    }

    fn deliver(&self, index: usize, answer: Answer) {
        let mut state = self.state();
        let Some(slot) = state.slots.get_mut(index) else {
            return;
        };
        match slot {
            // A late answer to an earlier attempt is as good as any.
            Slot::Idle => *slot = Slot::Answered(answer),
            Slot::Awaited => {
                *slot = Slot::Answered(answer);
                state.awaited -= 1;
                if state.awaited == 0 {
                    self.answered.notify_one();
                }
            }
            // A second answer (to a retry of a message whose first answer was late) changes
            // nothing: the event is stored once either way.
            Slot::Answered(_) => {}
        }
    }
}

struct Shared {
    /// `<inbox>.`: every reply subject starts with it.
    prefix: String,
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Burst>>>,
    permits: Arc<Semaphore>,
}

impl Shared {
    fn new(prefix: String, permits: usize) -> Shared {
        Shared {
            prefix,
            next: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
            permits: Arc::new(Semaphore::new(permits)),
        }
    }

    fn bursts(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Burst>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// See [`Acks::open`].
    async fn open(&self, subjects: Vec<async_nats::Subject>) -> OpenBurst<'_> {
        let size = subjects.len();
        let permit = self
            .permits
            .clone()
            .acquire_many_owned(size.min(MAX_AWAITED) as u32)
            .await
            .expect("the semaphore is never closed");
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let burst = Arc::new(Burst {
            number,
            subjects,
            state: Mutex::new(BurstState {
                slots: (0..size).map(|_| Slot::Idle).collect(),
                awaited: 0,
                unsent: Vec::new(),
            }),
            answered: Notify::new(),
            _permit: permit,
            closed: AtomicBool::new(false),
        });
        self.bursts().insert(number, burst.clone());
        OpenBurst {
            shared: self,
            burst,
        }
    }

    /// Hands an answer to its burst; answers to a burst no longer open, or to a subject not
    /// of ours, are dropped.
    fn deliver(&self, message: &async_nats::Message) {
        let Some((burst, index)) = message
            .subject
            .as_str()
            .strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.split_once('.'))
            .and_then(|(burst, index)| Some((burst.parse().ok()?, index.parse().ok()?)))
        else {
            return;
        };
        let burst = self.bursts().get(&burst).cloned();
        if let Some(burst) = burst {
            burst.deliver(index, Answer::read(message));
        }
    }

    /// The server refused a publish on `subject`: every open burst's messages on it are
    /// answered [`Answer::Forbidden`].
    fn refuse(&self, subject: &str) {
        let bursts: Vec<Arc<Burst>> = self.bursts().values().cloned().collect();
        for burst in bursts {
            burst.refuse(subject);
        }
    }
}

/// A [`Burst`] while its answers are awaited. Dropping it, once the burst is settled or when
/// its sender is cancelled midway, closes it: answers still on their way are dropped, and its
/// share of [`MAX_AWAITED`] is given back.
pub(crate) struct OpenBurst<'a> {
    shared: &'a Shared,
    burst: Arc<Burst>,
}

impl OpenBurst<'_> {
    /// The reply subject of the message at `index`.
    pub(crate) fn reply(&self, index: usize) -> async_nats::Subject {
        use std::fmt::Write;
        let mut reply = String::with_capacity(self.shared.prefix.len() + 24);
        reply.push_str(&self.shared.prefix);
        let _ = write!(reply, "{}.{index}", self.burst.number);
        reply.into()
    }
}

impl OpenBurst<'_> {
    /// The burst itself, for a task that sends its messages ([`crate::outbox::Outbox`]).
    pub(crate) fn shared_burst(&self) -> Arc<Burst> {
        self.burst.clone()
    }
}

impl std::ops::Deref for OpenBurst<'_> {
    type Target = Burst;

    fn deref(&self) -> &Burst {
        &self.burst
    }
}

impl Drop for OpenBurst<'_> {
    fn drop(&mut self) {
        self.burst.closed.store(true, Ordering::Release);
        self.shared.bursts().remove(&self.burst.number);
    }
}

/// The subscription the PubAcks of a publisher's messages come on, before [`Acks`] reads it.
pub(crate) struct Inbox {
    prefix: String,
    answers: async_nats::Subscriber,
}

impl Inbox {
    /// Subscribes to a fresh inbox of `client`.
    pub(crate) async fn subscribe(
        client: &async_nats::Client,
    ) -> Result<Inbox, async_nats::SubscribeError> {
        let inbox = client.new_inbox();
        let answers = client.subscribe(format!("{inbox}.>")).await?;
        Ok(Inbox {
            prefix: format!("{inbox}."),
            answers,
        })
    }

    /// The subject pattern the answers come on.
    pub(crate) fn pattern(&self) -> String {
        format!("{}>", self.prefix)
    }

    /// Starts the task that reads the answers, and the one that hands the server's refusals
    /// of publishes (`refused`, the subjects of permissions violations) to their bursts.
    pub(crate) fn start(self, mut refused: tokio::sync::mpsc::UnboundedReceiver<String>) -> Acks {
        let Inbox {
            prefix,
            mut answers,
        } = self;
        let shared = Arc::new(Shared::new(prefix, MAX_AWAITED));
        let reader = tokio::spawn({
            let shared = shared.clone();
            async move {
                while let Some(message) = answers.next().await {
                    shared.deliver(&message);
                }
            }
        });
        let refusals = tokio::spawn({
            let shared = shared.clone();
            async move {
                while let Some(subject) = refused.recv().await {
                    shared.refuse(&subject);
                }
            }
        });
        Acks {
            shared,
            reader: reader.abort_handle(),
            refusals: refusals.abort_handle(),
        }
    }
}

/// The PubAcks of one publisher's messages: see the module's documentation.
pub(crate) struct Acks {
    shared: Arc<Shared>,
    reader: tokio::task::AbortHandle,
    refusals: tokio::task::AbortHandle,
}

impl Acks {
    /// A new burst, once that many answers may be awaited (backpressure:
    /// it waits while other bursts hold [`MAX_AWAITED`]; a larger burst waits for all of it).
    /// One message per subject of `subjects`, in order.
    pub(crate) async fn open(&self, subjects: Vec<async_nats::Subject>) -> OpenBurst<'_> {
        self.shared.open(subjects).await
    }
}

impl Drop for Acks {
    fn drop(&mut self) {
        // The reader holds the subscription, which would keep the connection open.
        self.reader.abort();
        self.refusals.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;

    fn burst(size: usize) -> Burst {
        let permits = Arc::new(Semaphore::new(size));
        Burst {
            number: 7,
            subjects: (0..size).map(|n| format!("s.{}", n % 2).into()).collect(),
            state: Mutex::new(BurstState {
                slots: (0..size).map(|_| Slot::Idle).collect(),
                awaited: 0,
                unsent: Vec::new(),
            }),
            answered: Notify::new(),
            _permit: permits
                .try_acquire_many_owned(size as u32)
                .expect("permits"),
            closed: AtomicBool::new(false),
        }
    }

    fn stored(sequence: u64) -> Answer {
        Answer::Stored {
            stream: "EVENTS".to_string(),
            sequence,
            duplicate: false,
        }
    }

    fn sequences(answers: &[(usize, Answer)]) -> Vec<(usize, u64)> {
        answers
            .iter()
            .map(|(index, answer)| match answer {
                Answer::Stored { sequence, .. } => (*index, *sequence),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn subjects(size: usize) -> Vec<async_nats::Subject> {
        (0..size).map(|_| "events.s.t".into()).collect()
    }

    /// Far enough that a wait which should end at once would hang the test until its guard.
    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    async fn within_a_while<T>(wait: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .expect("the wait ends when every awaited answer has come")
    }

    #[tokio::test]
    async fn the_wait_ends_with_the_last_awaited_answer_whenever_it_came() {
        let burst = burst(3);
        burst.await_answers(0..3);
        // One before the wait starts, two while it waits.
        burst.deliver(1, stored(11));
        let answers = within_a_while(async {
            let waiting = burst.answers(far());
            let delivering = async {
                tokio::task::yield_now().await;
                burst.deliver(0, stored(10));
                burst.deliver(2, stored(12));
            };
            tokio::join!(waiting, delivering).0
        })
        .await;
        assert_eq!(sequences(&answers), [(0, 10), (1, 11), (2, 12)]);
    }

    #[tokio::test]
    async fn a_missing_answer_ends_the_wait_at_the_deadline_and_a_late_one_still_counts() {
        let burst = burst(3);
        burst.await_answers(0..3);
        burst.deliver(0, stored(10));
        burst.deliver(2, stored(12));
        let answers = burst
            .answers(Instant::now() + Duration::from_millis(50))
            .await;
        assert_eq!(sequences(&answers), [(0, 10), (2, 12)]);
        // The first attempt's answer comes after its deadline: the retry takes it without
        // waiting, and the retry's own answer changes nothing.
        burst.deliver(1, stored(11));
        burst.await_answers([1].into_iter());
        burst.deliver(1, stored(99));
        let answers = within_a_while(burst.answers(far())).await;
        assert_eq!(sequences(&answers), [(1, 11)]);
    }

    /// The server's refusal names a subject: every message of the burst on it is answered
    /// at once, and the wait ends when the others are.
    #[tokio::test]
    async fn a_refused_subject_answers_its_messages_without_waiting_for_the_deadline() {
        let shared = Shared::new("_INBOX.abc.".to_string(), 8);
        let subjects = ["events.a.t", "events.b.t", "events.a.t"]
            .map(async_nats::Subject::from)
            .to_vec();
        let burst = shared.open(subjects).await;
        burst.await_answers(0..3);
        shared.refuse("events.a.t");
        shared.refuse("events.c.t");
        burst.deliver(1, stored(11));
        let answers = within_a_while(burst.answers(far())).await;
        let answers: Vec<(usize, bool)> = answers
            .iter()
            .map(|(index, answer)| (*index, matches!(answer, Answer::Forbidden)))
            .collect();
        assert_eq!(answers, [(0, true), (1, false), (2, true)]);
    }

    /// The outbox failed to send the last awaited message: the wait ends then, not at the
    /// deadline, and the failure is taken once.
    #[tokio::test]
    async fn a_send_failure_from_another_task_ends_the_wait() {
        let burst = Arc::new(burst(2));
        burst.await_answers(0..2);
        burst.deliver(0, stored(10));
        let answers = within_a_while(async {
            let waiting = burst.answers(far());
            let failing = async {
                tokio::task::yield_now().await;
                let closed = async_nats::client::PublishError::new(
                    async_nats::client::PublishErrorKind::Send,
                );
                burst.send_failed(1, closed);
            };
            tokio::join!(waiting, failing).0
        })
        .await;
        assert_eq!(sequences(&answers), [(0, 10)]);
        let unsent = burst.take_unsent();
        assert_eq!(unsent.len(), 1);
        assert_eq!(unsent[0].0, 1);
        assert!(burst.take_unsent().is_empty());
    }

    #[tokio::test]
    async fn a_message_not_sent_is_not_waited_for() {
        let burst = burst(2);
        burst.await_answers(0..2);
        burst.not_sent(1);
        burst.deliver(0, stored(10));
        let answers = within_a_while(burst.answers(far())).await;
        assert_eq!(sequences(&answers), [(0, 10)]);
        // An answer to an index the burst does not have is dropped.
        burst.deliver(5, stored(50));
        assert!(burst.answers(Instant::now()).await.is_empty());
    }

    fn message(payload: &str, status: Option<async_nats::StatusCode>) -> async_nats::Message {
        async_nats::Message {
            subject: "_INBOX.x.0.0".into(),
            reply: None,
            payload: bytes::Bytes::copy_from_slice(payload.as_bytes()),
            headers: None,
            status,
            description: None,
            length: payload.len(),
        }
    }

    #[test]
    fn pubacks_errors_and_no_responders_are_read() {
        let read = |payload: &str| Answer::read(&message(payload, None));
        assert!(matches!(
            read(r#"{"stream":"EVENTS","seq":42,"duplicate":true}"#),
            Answer::Stored { ref stream, sequence: 42, duplicate: true } if stream == "EVENTS"
        ));
        assert!(matches!(
            read(r#"{"stream":"EV\"S","domain":"hub","seq":1}"#),
            Answer::Stored { ref stream, sequence: 1, duplicate: false } if stream == "EV\"S"
        ));
        match read(
            r#"{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}"#,
        ) {
            Answer::Refused(error) => {
                assert_eq!(error.error_code(), async_nats::jetstream::ErrorCode(10077));
                assert!(error.to_string().contains("maximum messages exceeded"));
            }
            other => panic!("{other:?}"),
        }
        for garbled in [r#"{"stream":"EVENTS"}"#, "not json", ""] {
            assert!(
                matches!(read(garbled), Answer::Unreadable(_)),
                "{garbled:?}"
            );
        }
        let no_stream = message("", Some(async_nats::StatusCode::NO_RESPONDERS));
        assert!(matches!(Answer::read(&no_stream), Answer::NoResponders));
    }

    #[tokio::test]
    async fn an_answer_to_a_reply_subject_reaches_its_burst_until_it_is_closed() {
        let shared = Shared::new("_INBOX.abc.".to_string(), 8);
        let first = shared.open(subjects(2)).await;
        let second = shared.open(subjects(2)).await;
        second.await_answers(0..2);
        let ack = |subject: async_nats::Subject| async_nats::Message {
            subject,
            ..message(r#"{"stream":"EVENTS","seq":5}"#, None)
        };
        shared.deliver(&ack(second.reply(1)));
        // Not ours, or not a burst's: dropped.
        shared.deliver(&ack("_INBOX.other.1.0".into()));
        shared.deliver(&ack("_INBOX.abc.x.0".into()));
        assert_eq!(sequences(&second.answers(Instant::now()).await), [(1, 5)]);
        assert!(first.answers(Instant::now()).await.is_empty());
        let reply = first.reply(0);
        drop(first);
        shared.deliver(&ack(reply));
        assert_eq!(shared.bursts().len(), 1, "only the second is open");
    }

    /// A sender cancelled midway (a publish whose caller stopped waiting) leaves nothing
    /// behind: its burst is closed and its room given back, or every later publish would
    /// wait forever once `MAX_AWAITED` answers had been abandoned.
    #[tokio::test]
    async fn a_burst_dropped_before_it_is_settled_is_closed_and_gives_its_room_back() {
        let shared = Shared::new("_INBOX.abc.".to_string(), 4);
        let abandoned = shared.open(subjects(4)).await;
        abandoned.await_answers(0..4);
        assert_eq!(shared.permits.available_permits(), 0);
        let next = shared.open(subjects(3));
        tokio::pin!(next);
        assert!(
            futures::poll!(next.as_mut()).is_pending(),
            "no room while the first burst is open"
        );
        drop(abandoned);
        let next = within_a_while(next).await;
        assert_eq!(shared.bursts().len(), 1);
        drop(next);
        assert!(shared.bursts().is_empty());
        assert_eq!(shared.permits.available_permits(), 4);
    }
}
