//! Publishing throughput, side by side in one run against one `nats-server -js` (a fresh
//! `EVENTS` stream for each phase):
//!
//! 1. raw async-nats JetStream publishing of the very bytes the publisher sends (the
//!    structured CloudEvent with its `Nats-Msg-Id`), PubAcks pipelined, no validation;
//! 2. the publisher library, `Publisher::publish_many` (validation, event building,
//!    pipelined PubAcks);
//! 3. the HTTP sidecar under concurrent load: many keep-alive connections from an in-process
//!    HTTP/1.1 load client, each awaiting its answer (so after the PubAck) before its next
//!    request.
//!
//! Prints events per second for each and the ratios, and the rate of validation alone (the
//! library's CPU work before any event is built or sent). Run with `bench/publish/run`.
//! Arguments: `[EVENTS] [CONNECTIONS]` (defaults 100000 and 128).

#[path = "../tests/support/mod.rs"]
mod support;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use bytes::Bytes;
use cuemesh_publisher::sidecar::{app, SidecarConfig};
use cuemesh_publisher::{Attributes, Publisher, PublisherConfig, RegistrySchema};
use futures::stream::{FuturesUnordered, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use support::{placed_pin, serve_on_loopback, NatsServer, RegistryServer, VALID_PLACED};

const WINDOW: usize = 256;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let events: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let connections: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(128);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(events, connections));
}

async fn fresh_stream(context: &jetstream::Context) {
    let _ = context.delete_stream("EVENTS").await;
    let defaults = PublisherConfig::new("", "");
    context
        .create_stream(stream::Config {
            name: defaults.stream.name.clone(),
            subjects: vec![format!("{}.>", defaults.stream.subject_prefix)],
            storage: stream::StorageType::File,
            duplicate_window: defaults.stream.duplicate_window,
            ..stream::Config::default()
        })
        .await
        .expect("a fresh stream");
}

async fn stored(context: &jetstream::Context) -> u64 {
    let mut stream = context.get_stream("EVENTS").await.expect("the stream");
    stream.info().await.expect("info").state.messages
}

async fn run(events: usize, connections: usize) {
    let nats = NatsServer::start();
    let registry = RegistryServer::template().await;
    let client = async_nats::connect(nats.url()).await.expect("connects");
    let context = jetstream::new(client);
    let pin = placed_pin();
    let config = PublisherConfig::new(nats.url(), registry.url.clone());
    eprintln!("publish benchmark: {events} events per phase, {connections} HTTP connections");

    // The bytes the publisher sends, captured from one real publish.
    fresh_stream(&context).await;
    let publisher = Publisher::connect(config.clone(), RegistrySchema::new(&registry.url))
        .await
        .expect("connects");
    publisher
        .publish(&pin, VALID_PLACED.as_bytes(), Attributes::default())
        .await
        .expect("publishes");
    let sample = context
        .get_stream("EVENTS")
        .await
        .expect("the stream")
        .get_raw_message(1)
        .await
        .expect("the sample");
    let subject = sample.subject.to_string();
    let body = sample.payload.clone();
    let sample_id = publisher_id(&body);

    // 1. Raw async-nats, pipelined, each message with its own Nats-Msg-Id.
    fresh_stream(&context).await;
    let bodies: Vec<(String, Bytes)> = (0..events)
        .map(|n| {
            let id = format!("raw-{n:08}");
            let text = String::from_utf8_lossy(&body).replace(&sample_id, &id);
            (id, Bytes::from(text))
        })
        .collect();
    let started = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    for (id, payload) in bodies {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id.as_str());
        headers.insert("Content-Type", "application/cloudevents+json");
        let ack = context
            .publish_with_headers(subject.clone(), headers, payload)
            .await
            .expect("sent");
        in_flight.push(ack.into_future());
        while in_flight.len() >= WINDOW {
            in_flight.next().await.expect("one").expect("acked");
        }
    }
    while let Some(ack) = in_flight.next().await {
        ack.expect("acked");
    }
    let raw = rate(events, started.elapsed());
    assert_eq!(stored(&context).await, events as u64);

    // 2. The library: publish_many (validation included), the same window.
    fresh_stream(&context).await;
    let mut library_config = config.clone();
    library_config.max_in_flight = WINDOW;
    let publisher = Publisher::connect(library_config, RegistrySchema::new(&registry.url))
        .await
        .expect("connects");
    publisher.validator(&pin).await.expect("the schema");
    // Where the library's time goes: validation alone (no event, no NATS).
    let started = Instant::now();
    for _ in 0..events {
        publisher
            .validate(&pin, VALID_PLACED.as_bytes())
            .await
            .expect("valid");
    }
    let validation = rate(events, started.elapsed());
    let attributes: Vec<Attributes> = (0..events)
        .map(|n| Attributes {
            id: Some(format!("lib-{n:08}")),
            ..Attributes::default()
        })
        .collect();
    let started = Instant::now();
    let results = publisher
        .publish_many(
            &pin,
            attributes
                .into_iter()
                .map(|attributes| (VALID_PLACED.as_bytes(), attributes)),
        )
        .await;
    let library = rate(events, started.elapsed());
    assert!(results.iter().all(Result::is_ok), "every event published");
    assert_eq!(stored(&context).await, events as u64);

    // 3. The sidecar under concurrent HTTP load.
    fresh_stream(&context).await;
    let publisher = Publisher::connect(config.clone(), RegistrySchema::new(&registry.url))
        .await
        .expect("connects");
    let (url, _stop) = serve_on_loopback(app(Arc::new(publisher), SidecarConfig::default())).await;
    let http: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(connections)
        .build_http();
    let endpoint: hyper::Uri = format!(
        "{url}/v1/events/{}/{}/versions/{}",
        pin.source, pin.event_type, pin.version
    )
    .parse()
    .expect("a URI");
    let post = move |id: String| {
        let request = hyper::Request::post(endpoint.clone())
            .header("content-type", "application/json")
            .header("ce-id", id)
            .body(Full::new(Bytes::from_static(VALID_PLACED.as_bytes())))
            .expect("a request");
        let http = http.clone();
        async move {
            let response = http.request(request).await.expect("an answer");
            let status = response.status().as_u16();
            let _ = response.into_body().collect().await;
            status
        }
    };
    assert_eq!(post("warm-up".to_string()).await, 201);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (next, post) = (next.clone(), post.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= events {
                        break;
                    }
                    let status = post(format!("http-{n:08}")).await;
                    assert_eq!(status, 201, "event {n}");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a load worker");
    }
    let sidecar = rate(events, started.elapsed());
    assert_eq!(stored(&context).await, events as u64 + 1);

    println!("{:<34} {:>12}", "phase", "events/s");
    println!("{:<34} {:>12.0}", "raw async-nats (pipelined acks)", raw);
    println!("{:<34} {:>12.0}", "library publish_many", library);
    println!(
        "{:<34} {:>12.0}",
        "  (validation alone, one core)", validation
    );
    println!(
        "{:<34} {:>12.0}",
        format!("HTTP sidecar ({connections} connections)"),
        sidecar
    );
    println!(
        "library / raw = {:.2} (goal >= 0.80); sidecar / raw = {:.2}; sidecar {} 50,000 events/s",
        library / raw,
        sidecar / raw,
        if sidecar >= 50_000.0 {
            "meets"
        } else {
            "misses"
        }
    );
}

fn rate(events: usize, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

/// The `id` of a structured event's JSON.
fn publisher_id(body: &[u8]) -> String {
    let event: serde_json::Value = serde_json::from_slice(body).expect("a JSON event");
    event["id"].as_str().expect("an id").to_string()
}
