//! Publishing throughput, side by side in one run against one `nats-server -js` (a fresh
//! `EVENTS` stream for each phase):
//!
//! 1. raw async-nats JetStream publishing of the very bytes the publisher sends (the
//!    structured CloudEvent with its `Nats-Msg-Id`), PubAcks pipelined, no validation;
//! 2. the publisher library, `Publisher::publish_many` (validation, event building,
//!    pipelined PubAcks);
//! 3. the HTTP sidecar under concurrent load: many keep-alive connections from an in-process
//!    HTTP/1.1 load client (wrk-like: requests from a template, answers read with `httparse`),
//!    each awaiting its answer (so after the PubAck) before its next request.
//!
//! Prints events per second for each and the ratios, and the rate of validation alone (the
//! library's CPU work before any event is built or sent). The machine's cores are shared by
//! everything in a phase, so each phase's CPU time is printed too (from Linux's `/proc`): the
//! benchmark process's and nats-server's, per event; for the sidecar, the in-process load
//! client runs alone on its own thread and its share is printed apart.
//! Run with `bench/publish/run`. Arguments: `[EVENTS] [CONNECTIONS]` (defaults 100000 and 128).
//! `PUBLISH_BENCH_PHASES=library` runs only raw and library, `=sidecar` only the sidecar (to
//! profile one of them).

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

/// Which phases run: `PUBLISH_BENCH_PHASES` is `library` (raw and library), `sidecar`, or
/// unset (all).
struct Phases {
    raw_and_library: bool,
    sidecar: bool,
}

impl Phases {
    fn from_env() -> Phases {
        match std::env::var("PUBLISH_BENCH_PHASES").as_deref() {
            Ok("library") => Phases {
                raw_and_library: true,
                sidecar: false,
            },
            Ok("sidecar") => Phases {
                raw_and_library: false,
                sidecar: true,
            },
            Ok("" | "all") | Err(_) => Phases {
                raw_and_library: true,
                sidecar: true,
            },
            Ok(other) => panic!("PUBLISH_BENCH_PHASES={other:?}: expected library, sidecar or all"),
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let events: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let connections: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(128);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(events, connections, Phases::from_env()));
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

async fn run(events: usize, connections: usize, phases: Phases) {
    let nats = NatsServer::start();
    let registry = RegistryServer::template().await;
    let client = async_nats::connect(nats.url()).await.expect("connects");
    let context = jetstream::new(client);
    let pin = placed_pin();
    let config = PublisherConfig::new(nats.url(), registry.url.clone());
    eprintln!(
        "publish benchmark: {events} events per phase ({ROUNDS} rounds of raw and library in \
         turns), {connections} HTTP connections"
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

    // 3. The sidecar under concurrent HTTP load, from a client on a thread of its own.
    let mut sidecar = Phase::new(format!("HTTP sidecar ({connections} connections)"));
    let mut client_cpu = None;
    if phases.sidecar {
        fresh_stream(&context).await;
        let publisher = Publisher::connect(config.clone(), RegistrySchema::new(&registry.url))
            .await
            .expect("connects");
        let app = app(Arc::new(publisher), SidecarConfig::default());
        let (url, _stop) = serve_sidecar_on_loopback(app).await;
        let authority = url.trim_start_matches("http://").to_string();
        let path = format!(
            "/v1/events/{}/{}/versions/{}",
            pin.source, pin.event_type, pin.version
        );
        let (done, load) = tokio::sync::oneshot::channel();
        let before = Cpu::now(&nats);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            let elapsed = runtime.block_on(load_client(authority, path, events, connections));
            let _ = done.send((elapsed, thread_cpu()));
        });
        let (elapsed, cpu) = load.await.expect("the load client");
        sidecar.add(events, elapsed, before, Cpu::now(&nats));
        client_cpu = cpu;
        assert_eq!(stored(&context).await, events as u64);
    }

    println!(
        "{:<34} {:>10}   {:>12} {:>12}",
        "phase", "events/s", "bench CPU", "nats CPU"
    );
    println!(
        "{:<34} {:>10}   {:>12} {:>12}",
        "", "", "us/event", "us/event"
    );
    for phase in [&raw, &library, &sidecar] {
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
    if let (Some(client), Some(bench)) = (client_cpu, sidecar.bench_cpu) {
        println!(
            "sidecar phase: the load client used {:.2} s CPU ({} us/event) of the bench \
             process's {:.2} s; the sidecar (HTTP server and publisher) {} us/event",
            client,
            per_event(Some(client), events),
            bench,
            per_event(Some(bench - client), events)
        );
    }
    if phases.raw_and_library {
        println!(
            "library / raw = {:.2} (goal >= 0.80)",
            library.rate() / raw.rate()
        );
    }
    if phases.sidecar {
        let verdict = if sidecar.rate() >= 50_000.0 {
            "meets"
        } else {
            "misses"
        };
        print!("sidecar {verdict} 50,000 events/s");
        if phases.raw_and_library {
            print!("; sidecar / raw = {:.2}", sidecar.rate() / raw.rate());
        }
        println!();
    }
}

/// Posts `events` events to the sidecar at `authority` (`host:port`), on `path`, over
/// `connections` keep-alive HTTP/1.1 connections, each awaiting its answer (201) before its
/// next request; the time it took. Like wrk, the client writes each request from a template
/// (only the `ce-id` digits change) and reads each answer with `httparse`, so that it takes
/// little of the CPU the sidecar is measured on.
async fn load_client(
    authority: String,
    path: String,
    events: usize,
    connections: usize,
) -> Duration {
    let template = Arc::new(
        format!(
            "POST {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\n\
             ce-id: http-00000000\r\ncontent-length: {}\r\n\r\n{VALID_PLACED}",
            VALID_PLACED.len()
        )
        .into_bytes(),
    );
    let digits = {
        let at = template
            .windows(13)
            .position(|window| window == b"http-00000000")
            .expect("the id in the template");
        at + 5..at + 13
    };
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = tokio::net::TcpStream::connect(authority.as_str())
            .await
            .expect("connects to the sidecar");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        streams.push(stream);
    }
    let next = Arc::new(AtomicUsize::new(0));
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
                    if n >= events {
                        break;
                    }
                    let id = format!("{n:08}");
                    request[digits.clone()].copy_from_slice(id.as_bytes());
                    stream.write_all(&request).await.expect("a request sent");
                    let status = read_answer(&mut stream, &mut answer).await;
                    assert_eq!(
                        status,
                        201,
                        "event {n}: {}",
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
