//! Publishing throughput, side by side in one run against one `nats-server -js` (a fresh
//! `EVENTS` stream for each phase):
//!
//! 1. raw async-nats JetStream publishing of the very bytes the publisher sends (the
//!    structured CloudEvent with its `Nats-Msg-Id`), PubAcks pipelined (each message an
//!    async-nats JetStream request), no validation;
//! 2. the publisher library, `Publisher::publish_many` (validation, event building, the
//!    PubAcks of each burst awaited together through one subscription);
//! 3. the HTTP sidecar under concurrent load: many keep-alive connections from an in-process
//!    HTTP/1.1 load client (wrk-like: requests from a template, answers read with `httparse`),
//!    each awaiting its answer (so after the PubAck) before its next request; first one event
//!    per request, then batches (`application/cloudevents-batch+json`) over fewer
//!    connections;
//! 4. for scale, "HTTP alone": the same single-event requests to a server (the sidecar's
//!    `serve`, an axum route) that answers 201 at once, with no validation and no NATS: what
//!    one request per event costs on this machine before the sidecar does anything.
//!
//! Prints events per second for each and the ratios, and the rate of validation alone (the
//! library's CPU work before any event is built or sent). The machine's cores are shared by
//! everything in a phase, so each phase's CPU time is printed too (from Linux's `/proc`): the
//! benchmark process's and nats-server's, per event; for the sidecar, the in-process load
//! client runs alone on its own thread and its share is printed apart. From those figures it
//! prints the sidecar / "HTTP alone" ratio the CPU allows for one event per request when the
//! cores are the limit (their total CPU per event, client, server and nats-server, compared),
//! beside the measured one, and what a sidecar doing only bare HTTP, raw publishing and
//! validation would allow.
//! Run with `bench/publish/run`. Arguments: `[EVENTS] [CONNECTIONS] [BATCH]` (defaults 100000,
//! 128 and 100; the batch phase uses an eighth of the connections, at least one).
//! `PUBLISH_BENCH_PHASES=library` runs only raw and library, `=sidecar` only the HTTP phases
//! (to profile one of them).

use cuemesh_testkit as support;

use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use bytes::Bytes;
use cuemesh_publisher::sidecar::{app, SidecarConfig};
use cuemesh_publisher::{Attributes, Pin, Publisher, PublisherConfig, RegistrySchema};
use futures::stream::{FuturesUnordered, StreamExt};
use support::{
    placed_pin, read_answer, serve_sidecar_on_loopback, NatsServer, RegistryServer, VALID_PLACED,
};
use tokio::io::AsyncWriteExt;

/// The allocator of the `cuemesh` binary (and so of `cuemesh publisher`), for every phase.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WINDOW: usize = 256;
/// Rounds of the raw and library phases, taken in turns (even, so each goes first as often).
const ROUNDS: usize = 4;

/// Which phases run: `PUBLISH_BENCH_PHASES` is `library` (raw and library), `sidecar` (the
/// HTTP phases), `batches` (the batched HTTP phase alone), or unset (all).
struct Phases {
    raw_and_library: bool,
    /// The single-event HTTP phases: the sidecar's and "HTTP alone".
    single_http: bool,
    batches: bool,
}

impl Phases {
    fn from_env() -> Phases {
        let (raw_and_library, single_http, batches) =
            match std::env::var("PUBLISH_BENCH_PHASES").as_deref() {
                Ok("library") => (true, false, false),
                Ok("sidecar") => (false, true, true),
                Ok("batches") => (false, false, true),
                Ok("" | "all") | Err(_) => (true, true, true),
                Ok(other) => panic!(
                    "PUBLISH_BENCH_PHASES={other:?}: expected library, sidecar, batches or all"
                ),
            };
        Phases {
            raw_and_library,
            single_http,
            batches,
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let events: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let connections: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(128);
    let batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(events, connections, batch.max(1), Phases::from_env()));
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

/// CPU seconds used so far by process `pid`, all its threads (Linux `/proc`, in ticks of
/// USER_HZ = 1/100 s); `None` elsewhere.
fn process_cpu(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name: state is the first, utime the 12th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// CPU seconds used so far by the calling thread (Linux `/proc/thread-self/schedstat`).
fn thread_cpu() -> Option<f64> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = schedstat.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 / 1e9)
}

/// The CPU seconds of the benchmark process and of nats-server at one moment.
#[derive(Clone, Copy)]
struct Cpu {
    bench: Option<f64>,
    nats: Option<f64>,
}

impl Cpu {
    fn now(nats: &NatsServer) -> Cpu {
        Cpu {
            bench: process_cpu(std::process::id()),
            nats: process_cpu(nats.pid()),
        }
    }
}

/// One measured phase (or the sum of its rounds): events, time and the CPU they took.
struct Phase {
    name: String,
    events: usize,
    elapsed: Duration,
    bench_cpu: Option<f64>,
    nats_cpu: Option<f64>,
}

impl Phase {
    fn new(name: impl Into<String>) -> Phase {
        Phase {
            name: name.into(),
            events: 0,
            elapsed: Duration::ZERO,
            bench_cpu: Some(0.0),
            nats_cpu: Some(0.0),
        }
    }

    /// Adds a round of `events` that took `elapsed`, between the CPU readings `before` and
    /// `after`.
    fn add(&mut self, events: usize, elapsed: Duration, before: Cpu, after: Cpu) {
        let used = |total: Option<f64>, a: Option<f64>, b: Option<f64>| Some(total? + b? - a?);
        self.events += events;
        self.elapsed += elapsed;
        self.bench_cpu = used(self.bench_cpu, before.bench, after.bench);
        self.nats_cpu = used(self.nats_cpu, before.nats, after.nats);
    }

    fn rate(&self) -> f64 {
        rate(self.events, self.elapsed)
    }
}

/// Microseconds of CPU per event, or `-` when `/proc` could not be read.
fn per_event(cpu: Option<f64>, events: usize) -> String {
    cpu.map_or_else(
        || "-".to_string(),
        |seconds| format!("{:.1}", seconds * 1e6 / events as f64),
    )
}

async fn run(events: usize, connections: usize, batch: usize, phases: Phases) {
    let nats = NatsServer::start();
    let registry = RegistryServer::template().await;
    let client = async_nats::connect(nats.url()).await.expect("connects");
    let context = jetstream::new(client);
    let pin = placed_pin();
    let config = PublisherConfig::new(nats.url(), registry.url.clone());
    eprintln!(
        "publish benchmark: {events} events per phase ({ROUNDS} rounds of raw and library in \
         turns), {connections} HTTP connections, batches of {batch} over {} connections",
        batch_connections(connections)
    );

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

    // The library's publisher, with the raw phase's window.
    let mut library_config = config.clone();
    library_config.max_in_flight = WINDOW;
    let publisher = Publisher::connect(library_config, RegistrySchema::new(&registry.url))
        .await
        .expect("connects");
    let validator = publisher.validator(&pin).await.expect("the schema");
    // Where the library's time goes: validation alone (what publishing checks, no event, no
    // NATS), only when the library phase runs (it is the CPU inside that phase).
    let started = Instant::now();
    let checked = if phases.raw_and_library { events } else { 0 };
    for _ in 0..checked {
        let violations = validator.violations("payload.json", VALID_PLACED);
        assert!(violations.is_empty(), "{violations:?}");
    }
    let validation = rate(checked, started.elapsed());

    // 1 and 2 in turns, so that both see the same conditions (other load on the machine,
    // the disk flushing earlier rounds' streams): the figures are over all rounds.
    let mut raw = Phase::new("raw async-nats (pipelined acks)");
    let mut library = Phase::new("library publish_many");
    let rounds = if phases.raw_and_library { ROUNDS } else { 0 };
    for round in 0..rounds {
        // Raw first in even rounds, the library first in odd ones: each follows the other
        // as often (the server is still flushing the phase before).
        for library_turn in [round % 2 == 1, round % 2 == 0] {
            if !library_turn {
                // 1. Raw async-nats, pipelined, each message with its own Nats-Msg-Id.
                fresh_stream(&context).await;
                let bodies: Vec<(String, Bytes)> = (0..events)
                    .map(|n| {
                        let id = format!("raw{round}-{n:08}");
                        let text = String::from_utf8_lossy(&body).replace(&sample_id, &id);
                        (id, Bytes::from(text))
                    })
                    .collect();
                let (before, started) = (Cpu::now(&nats), Instant::now());
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
                raw.add(events, started.elapsed(), before, Cpu::now(&nats));
                assert_eq!(stored(&context).await, events as u64);
            } else {
                // 2. The library: publish_many (validation included), the same window.
                fresh_stream(&context).await;
                let attributes: Vec<Attributes> = (0..events)
                    .map(|n| Attributes {
                        id: Some(format!("lib{round}-{n:08}")),
                        ..Attributes::default()
                    })
                    .collect();
                let (before, started) = (Cpu::now(&nats), Instant::now());
                let results = publisher
                    .publish_many(
                        &pin,
                        attributes
                            .into_iter()
                            .map(|attributes| (VALID_PLACED.as_bytes(), attributes)),
                    )
                    .await;
                library.add(events, started.elapsed(), before, Cpu::now(&nats));
                assert!(results.iter().all(Result::is_ok), "every event published");
                assert_eq!(stored(&context).await, events as u64);
            }
        }
    }

    // 3. The sidecar under concurrent HTTP load, from a client on a thread of its own: one
    // event per request, then batches; 4. the same single-event requests to a server that
    // answers at once.
    let path = format!(
        "/v1/events/{}/{}/versions/{}",
        pin.source, pin.event_type, pin.version
    );
    let (mut single, mut batched, mut alone) = (None, None, None);
    if phases.single_http || phases.batches {
        let publisher = Publisher::connect(config.clone(), RegistrySchema::new(&registry.url))
            .await
            .expect("connects");
        let app = app(Arc::new(publisher), SidecarConfig::default());
        let (url, _stop) = serve_sidecar_on_loopback(app).await;
        if phases.single_http {
            fresh_stream(&context).await;
            let name = format!("HTTP sidecar ({connections} connections)");
            let load = Load::single(&path, &url, events);
            single = Some(http_phase(name, &nats, &load, connections).await);
            assert_eq!(stored(&context).await, load.events() as u64);
        }
        if phases.batches {
            fresh_stream(&context).await;
            let name = format!(
                "  batches of {batch} ({} connections)",
                batch_connections(connections)
            );
            let load = Load::batches(&path, &url, &pin, events, batch);
            batched = Some(http_phase(name, &nats, &load, batch_connections(connections)).await);
            assert_eq!(stored(&context).await, load.events() as u64);
        }
    }
    if phases.single_http {
        let answers_at_once = axum::Router::new().route(
            "/v1/events/{source}/{type}/versions/{version}",
            axum::routing::post(|| async {
                (
                    axum::http::StatusCode::CREATED,
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    r#"{"id":"http-00000000","stream":"EVENTS","sequence":1,"duplicate":false}"#,
                )
            }),
        );
        let (url, _stop) = serve_sidecar_on_loopback(answers_at_once).await;
        let name = format!("HTTP alone, no work ({connections} conn.)");
        let load = Load::single(&path, &url, events);
        alone = Some(http_phase(name, &nats, &load, connections).await);
    }
    let http_phases: Vec<&(Phase, Option<f64>)> =
        [&single, &batched, &alone].into_iter().flatten().collect();

    println!(
        "{:<34} {:>10}   {:>12} {:>12}",
        "phase", "events/s", "bench CPU", "nats CPU"
    );
    println!(
        "{:<34} {:>10}   {:>12} {:>12}",
        "", "", "us/event", "us/event"
    );
    let http = http_phases.iter().map(|(phase, _)| phase);
    for phase in [&raw, &library].into_iter().chain(http) {
        if phase.events == 0 {
            continue;
        }
        println!(
            "{:<34} {:>10.0}   {:>12} {:>12}",
            phase.name,
            phase.rate(),
            per_event(phase.bench_cpu, phase.events),
            per_event(phase.nats_cpu, phase.events)
        );
    }
    if phases.raw_and_library {
        println!(
            "{:<34} {:>10.0}",
            "  (validation alone, one core)", validation
        );
    }
    for (phase, client) in &http_phases {
        if let (Some(client), Some(bench)) = (*client, phase.bench_cpu) {
            println!(
                "{}: the load client used {} us/event of the bench process's {} us/event; \
                 the server {} us/event",
                phase.name.trim(),
                per_event(Some(client), phase.events),
                per_event(Some(bench), phase.events),
                per_event(Some(bench - client), phase.events)
            );
        }
    }
    if let (Some(single), Some(alone)) = (&single, &alone) {
        let floor = phases.raw_and_library.then(|| Floor {
            publishing: &raw,
            validation_seconds: 1.0 / validation,
        });
        for line in cpu_limit(single, alone, floor) {
            println!("{line}");
        }
    }
    if phases.raw_and_library {
        println!(
            "library / raw = {:.2} (goal >= 0.80)",
            library.rate() / raw.rate()
        );
    }
    let verdict = |phase: &Phase| {
        let verdict = if phase.rate() >= 50_000.0 {
            "meets"
        } else {
            "misses"
        };
        let mut line = format!("{verdict} 50,000 events/s");
        if phases.raw_and_library {
            line.push_str(&format!(" ({:.2} of raw)", phase.rate() / raw.rate()));
        }
        line
    };
    if let Some((single, _)) = &single {
        println!("sidecar, one event per request: {}", verdict(single));
    }
    if let Some((batched, _)) = &batched {
        println!("sidecar, batches of {batch}: {}", verdict(batched));
    }
    if let Some((alone, _)) = &alone {
        println!(
            "HTTP alone (a server that answers at once, same client): {:.0} requests/s",
            alone.rate()
        );
    }
}

/// What one event costs at the least besides its HTTP request: raw publishing's CPU (the
/// benchmark process's and nats-server's, per event) and validation's.
struct Floor<'a> {
    publishing: &'a Phase,
    validation_seconds: f64,
}

/// CPU seconds per event of one HTTP phase, by process: the load client, the server (the rest
/// of the benchmark process) and nats-server.
struct HttpCpu {
    client: f64,
    server: f64,
    nats: f64,
}

impl HttpCpu {
    fn of((phase, client): &(Phase, Option<f64>)) -> Option<HttpCpu> {
        let events = phase.events as f64;
        let (client, bench, nats) = ((*client)?, phase.bench_cpu?, phase.nats_cpu?);
        Some(HttpCpu {
            client: client / events,
            server: (bench - client) / events,
            nats: nats / events,
        })
    }

    fn total(&self) -> f64 {
        self.client + self.server + self.nats
    }
}

/// The ratio of the sidecar's single-event rate to "HTTP alone"'s that the phases' own CPU
/// figures allow when the machine's cores are the limit (every process of a phase shares
/// them, so a rate is at most cores / CPU per event): the ratio of their CPU per event, all
/// processes counted. With `floor`, also the ratio a sidecar would reach whose server did
/// nothing but the bare HTTP server's work, validation and raw publishing.
fn cpu_limit(
    single: &(Phase, Option<f64>),
    alone: &(Phase, Option<f64>),
    floor: Option<Floor<'_>>,
) -> Vec<String> {
    let (Some(sidecar), Some(bare)) = (HttpCpu::of(single), HttpCpu::of(alone)) else {
        return vec!["CPU limit: not computed (no /proc CPU figures)".to_string()];
    };
    let us = |seconds: f64| seconds * 1e6;
    let measured = single.0.rate() / alone.0.rate();
    let mut lines = vec![
        format!(
            "CPU per event, one event per request: sidecar {:.1} us (client {:.1} + server {:.1} \
             + nats-server {:.1}); HTTP alone {:.1} us (client {:.1} + server {:.1} + nats-server \
             {:.1})",
            us(sidecar.total()),
            us(sidecar.client),
            us(sidecar.server),
            us(sidecar.nats),
            us(bare.total()),
            us(bare.client),
            us(bare.server),
            us(bare.nats),
        ),
        format!(
            "sidecar / HTTP alone = {measured:.2} measured; {:.2} is what the CPU per event \
             allows when the cores are the limit (goal >= 0.45)",
            bare.total() / sidecar.total()
        ),
    ];
    if let Some(floor) = floor {
        let events = floor.publishing.events as f64;
        if let (Some(publishing), Some(nats)) =
            (floor.publishing.bench_cpu, floor.publishing.nats_cpu)
        {
            let server = bare.server + publishing / events + floor.validation_seconds;
            let least = sidecar.client + server + nats / events;
            lines.push(format!(
                "a sidecar server doing only bare HTTP + raw publishing + validation ({:.1} us) \
                 with raw's nats-server ({:.1} us) would allow {:.2}",
                us(server),
                us(nats / events),
                bare.total() / least
            ));
        }
    }
    lines
}

/// The batch phase's connections: an eighth of the single-event phase's (each request
/// carries many events), at least one.
fn batch_connections(connections: usize) -> usize {
    (connections / 8).max(1)
}

/// What a load client posts: requests written from `template`, where every
/// `http-00000000` has its digits replaced by the request's number, each carrying
/// `per_request` events.
#[derive(Clone)]
struct Load {
    authority: String,
    template: Vec<u8>,
    per_request: usize,
    requests: usize,
}

impl Load {
    fn request(path: &str, url: &str, content_type: &str, body: &str) -> (String, Vec<u8>) {
        let authority = url.trim_start_matches("http://").to_string();
        let template = format!(
            "POST {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: {content_type}\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        );
        (authority, template.into_bytes())
    }

    /// `events` requests of one event each (its id in a `ce-id` header).
    fn single(path: &str, url: &str, events: usize) -> Load {
        let (authority, template) = Load::request(
            path,
            url,
            "application/json\r\nce-id: http-00000000",
            VALID_PLACED,
        );
        Load {
            authority,
            template,
            per_request: 1,
            requests: events,
        }
    }

    /// Batches of `batch` whole events of `pin` (ids `http-<request>-<index>`), enough of
    /// them for `events` events (rounded up to whole batches).
    fn batches(path: &str, url: &str, pin: &Pin, events: usize, batch: usize) -> Load {
        let members: Vec<String> = (0..batch)
            .map(|index| {
                format!(
                    r#"{{"specversion":"1.0","id":"http-00000000-{index:04}","source":"{}","type":"{}","data":{VALID_PLACED}}}"#,
                    pin.source, pin.event_type
                )
            })
            .collect();
        let body = format!("[{}]", members.join(","));
        let (authority, template) =
            Load::request(path, url, "application/cloudevents-batch+json", &body);
        Load {
            authority,
            template,
            per_request: batch,
            requests: events.div_ceil(batch),
        }
    }

    fn events(&self) -> usize {
        self.requests * self.per_request
    }
}

/// Runs `load` over `connections` from a client on a thread of its own (so that its CPU is
/// measured apart): the phase, and the client's CPU seconds.
async fn http_phase(
    name: String,
    nats: &NatsServer,
    load: &Load,
    connections: usize,
) -> (Phase, Option<f64>) {
    let (done, finished) = tokio::sync::oneshot::channel();
    let load = load.clone();
    let events = load.events();
    let before = Cpu::now(nats);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let elapsed = runtime.block_on(load_client(load, connections));
        let _ = done.send((elapsed, thread_cpu()));
    });
    let (elapsed, cpu) = finished.await.expect("the load client");
    let mut phase = Phase::new(name);
    phase.add(events, elapsed, before, Cpu::now(nats));
    (phase, cpu)
}

/// Posts `load`'s requests over `connections` keep-alive HTTP/1.1 connections, each
/// awaiting its answer (201) before its next request; the time it took. Like wrk, the client
/// writes each request from a template (only the digits of its ids change) and reads each
/// answer with `httparse`, so that it takes little of the CPU the server is measured on.
async fn load_client(load: Load, connections: usize) -> Duration {
    let placeholder = b"http-00000000";
    let digits: Arc<Vec<std::ops::Range<usize>>> = Arc::new(
        (0..load.template.len().saturating_sub(placeholder.len() - 1))
            .filter(|&at| load.template[at..].starts_with(placeholder))
            .map(|at| at + 5..at + 13)
            .collect(),
    );
    assert!(!digits.is_empty(), "an id in the template");
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = tokio::net::TcpStream::connect(load.authority.as_str())
            .await
            .expect("connects to the server");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        streams.push(stream);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let template = Arc::new(load.template);
    let requests = load.requests;
    let started = Instant::now();
    let workers: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            let (next, template, digits) = (next.clone(), template.clone(), digits.clone());
            tokio::spawn(async move {
                let mut request = template.to_vec();
                let mut answer = Vec::with_capacity(1024);
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= requests {
                        break;
                    }
                    let id = format!("{n:08}");
                    for range in digits.iter() {
                        request[range.clone()].copy_from_slice(id.as_bytes());
                    }
                    stream.write_all(&request).await.expect("a request sent");
                    let status = read_answer(&mut stream, &mut answer).await;
                    assert_eq!(
                        status,
                        201,
                        "request {n}: {}",
                        String::from_utf8_lossy(&answer)
                    );
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a load worker");
    }
    started.elapsed()
}

fn rate(events: usize, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

/// The `id` of a structured event's JSON.
fn publisher_id(body: &[u8]) -> String {
    let event: serde_json::Value = serde_json::from_slice(body).expect("a JSON event");
    event["id"].as_str().expect("an id").to_string()
}
