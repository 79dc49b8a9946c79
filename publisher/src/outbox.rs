//! [`Outbox`]: lone messages from many callers, handed to async-nats together.
//!
//! A caller publishing one event (the sidecar's one event per request) would hand its message
//! to async-nats's connection task by itself: that task is woken at once, runs right after the
//! caller on the same worker (tokio's LIFO slot) and writes that one message to the socket:
//! under the sidecar's benchmark, a `writev` to nats-server for every two events. Lone messages
//! are queued here instead, and one task sends them: woken by the first message queued, it
//! first yields, so that the callers already runnable queue theirs, then sends the whole queue
//! back to back, which the connection task writes together (a `writev` for every twenty
//! events in the same benchmark). Each message's PubAck is awaited by its caller as before
//! ([`crate::acks::Burst`]); a message async-nats refuses is reported to its burst
//! ([`Burst::send_failed`]), and one whose burst was closed meanwhile (its caller gave up) is
//! not sent.

use std::sync::{Arc, Mutex};

use async_nats::HeaderMap;
use tokio::sync::Notify;

use crate::acks::Burst;

/// One message waiting in the [`Outbox`], for the slot `index` of `burst`.
pub(crate) struct Queued {
    pub(crate) subject: async_nats::Subject,
    pub(crate) reply: async_nats::Subject,
    pub(crate) headers: HeaderMap,
    pub(crate) body: bytes::Bytes,
    pub(crate) burst: Arc<Burst>,
    pub(crate) index: usize,
}

struct Queue {
    messages: Mutex<Vec<Queued>>,
    /// Told when a message is queued into an empty queue.
    ready: Notify,
}

impl Queue {
    fn messages(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        self.messages.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The queue of lone messages and the task that sends them: see the module's documentation.
pub(crate) struct Outbox {
    queue: Arc<Queue>,
    sender: tokio::task::AbortHandle,
}

impl Outbox {
    /// Starts the task that sends queued messages on `client`.
    pub(crate) fn start(client: async_nats::Client) -> Outbox {
        let queue = Arc::new(Queue {
            messages: Mutex::new(Vec::new()),
            ready: Notify::new(),
        });
        let sender = tokio::spawn(send_queued(queue.clone(), client));
        Outbox {
            queue,
            sender: sender.abort_handle(),
        }
    }

    /// Queues `message`; it is sent soon, with the others queued meanwhile.
    pub(crate) fn send(&self, message: Queued) {
        let mut messages = self.queue.messages();
        let first = messages.is_empty();
        messages.push(message);
        drop(messages);
        if first {
            self.queue.ready.notify_one();
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        // The task holds a client, which would keep the connection open.
        self.sender.abort();
    }
}

async fn send_queued(queue: Arc<Queue>, client: async_nats::Client) {
    let mut sending = Vec::new();
    loop {
        queue.ready.notified().await;
        // The callers already runnable (on this worker and the others) run before this task
        // is polled again, and queue their messages: they all go out together.
        tokio::task::yield_now().await;
        std::mem::swap(&mut *queue.messages(), &mut sending);
        for message in sending.drain(..) {
            if message.burst.is_closed() {
                continue;
            }
            let sent = client
                .publish_with_reply_and_headers(
                    message.subject,
                    message.reply,
                    message.headers,
                    message.body,
                )
                .await;
            if let Err(error) = sent {
                message.burst.send_failed(message.index, error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acks::{Acks, Inbox};
    use cuemesh_testkit::NatsServer;
    use futures::StreamExt;
    use std::time::Duration;

    async fn within_a_while<T>(wait: impl std::future::Future<Output = T>) -> T {
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .expect("done in time")
    }

    async fn acks(client: &async_nats::Client) -> Acks {
        let (_refusals, refused) = tokio::sync::mpsc::unbounded_channel();
        Inbox::subscribe(client)
            .await
            .expect("an inbox")
            .start(refused)
    }

    fn queued(burst: &crate::acks::OpenBurst<'_>, body: &'static str) -> Queued {
        Queued {
            subject: "outbox.test".into(),
            reply: burst.reply(0),
            headers: HeaderMap::new(),
            body: bytes::Bytes::from_static(body.as_bytes()),
            burst: burst.shared_burst(),
            index: 0,
        }
    }

    /// Messages queued by callers that do not wait in between all go out, in order; the
    /// message of a burst closed before it was sent does not.
    #[tokio::test]
    async fn queued_messages_are_sent_in_order_and_those_of_closed_bursts_are_not() {
        let server = NatsServer::start();
        let client = async_nats::connect(server.url()).await.expect("connects");
        let mut received = client.subscribe("outbox.test").await.expect("subscribes");
        client.flush().await.expect("the subscription is in place");
        let acks = acks(&client).await;
        let outbox = Outbox::start(client.clone());

        let abandoned = acks.open(vec!["outbox.test".into()]).await;
        outbox.send(queued(&abandoned, "abandoned"));
        drop(abandoned);
        let mut bursts = Vec::new();
        for body in ["one", "two", "three"] {
            let burst = acks.open(vec!["outbox.test".into()]).await;
            outbox.send(queued(&burst, body));
            bursts.push(burst);
        }
        let messages: Vec<(bytes::Bytes, Option<async_nats::Subject>)> = within_a_while(async {
            let mut messages = Vec::new();
            while messages.len() < 3 {
                let message = received.next().await.expect("a message");
                messages.push((message.payload, message.reply));
            }
            messages
        })
        .await;
        let expected: Vec<(bytes::Bytes, Option<async_nats::Subject>)> = ["one", "two", "three"]
            .into_iter()
            .zip(&bursts)
            .map(|(body, burst)| {
                (
                    bytes::Bytes::from_static(body.as_bytes()),
                    Some(burst.reply(0)),
                )
            })
            .collect();
        assert_eq!(messages, expected, "each with its burst's reply subject");
    }

    /// A message async-nats refuses (over the server's max_payload) ends its burst's wait at
    /// once, with the error for its sender, rather than at the deadline.
    #[tokio::test]
    async fn a_message_async_nats_refuses_is_reported_to_its_burst_at_once() {
        let server = NatsServer::start();
        let client = async_nats::connect(server.url()).await.expect("connects");
        let acks = acks(&client).await;
        let outbox = Outbox::start(client.clone());
        let burst = acks.open(vec!["outbox.test".into()]).await;
        burst.await_answers(0..1);
        let too_large = vec![b'x'; client.server_info().max_payload + 1];
        outbox.send(Queued {
            body: bytes::Bytes::from(too_large),
            ..queued(&burst, "")
        });
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        let answers = within_a_while(burst.answers(far)).await;
        assert!(answers.is_empty());
        let unsent = burst.take_unsent();
        assert_eq!(unsent.len(), 1);
        assert_eq!(unsent[0].0, 0);
        assert_eq!(
            unsent[0].1.kind(),
            async_nats::client::PublishErrorKind::MaxPayloadExceeded
        );
        assert!(burst.take_unsent().is_empty(), "taken once");
    }
}
