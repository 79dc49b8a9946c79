//! `check --replay` throughput and memory, against a real `nats-server -js` holding many
//! stored events of one of the template's event types.
//!
//! 1. starts its own `nats-server -js` (a free port, a temporary store) and stores EVENTS
//!    (default 1,000,000) structured CloudEvents of `com.acme.orders.placed` in the `EVENTS`
//!    stream, published with acknowledgements pipelined (a window of outstanding PubAcks);
//!    every payload is valid (its quantities vary between 1 and 50);
//! 2. writes the schema template as a Git repository on `main` and, in its working tree, a
//!    pull request that bounds `quantity` by 1000: a structural break that no stored event
//!    crosses, so every event is read and validated;
//! 3. runs the built `cuemesh --format json check --against main --replay URL --last N` for
//!    N = 100,000 and N = EVENTS (each under GNU `time -v`, which reports its peak RSS), and prints, per run, the events read, the
//!    wall time of the whole command (repository loaded, schemas compiled, stream read and
//!    every event validated), events validated per second, the peak resident set size, and
//!    the CPU seconds of cuemesh and of nats-server during the run (the machine's cores are
//!    shared by both), and the machine's load: its cores and its one-minute load average
//!    before and after the run (other work on a shared machine moves every figure).
//!
//! Run with `bench/replay` (arguments: `[EVENTS]`). The goal is at least 200,000 events per
//! second, and the same peak RSS for 100,000 as for 1,000,000 events.

use cuemesh_testkit as support;

use std::future::IntoFuture;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;
use support::NatsServer;

const SOURCE: &str = "com.acme.orders";
const TYPE: &str = "com.acme.orders.placed";
/// PubAcks outstanding while storing.
const WINDOW: usize = 4_096;
/// GNU time, which reports the peak RSS of the command it runs.
const TIME: &str = "/usr/bin/time";

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let events: u64 = match args.next() {
        Some(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("EVENTS must be a number of events, not {text:?}")),
        None => 1_000_000,
    };
    let binary = env!("CARGO_BIN_EXE_cuemesh");
    let nats = NatsServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    runtime.block_on(store(&nats.url(), events));
    let storing = started.elapsed();
    println!(
        "stored {events} events of {TYPE} in {:.1} s ({:.0} events/s)",
        storing.as_secs_f64(),
        events as f64 / storing.as_secs_f64()
    );

    let repository = support::template_repository(&[]);
    let orders = repository.path().join("sources/orders/orders.cue");
    let text = std::fs::read_to_string(&orders).expect("the template's orders");
    let changed = text.replace("quantity: int & >=1", "quantity: int & >=1 & <=1000");
    assert_ne!(
        text, changed,
        "the template's #Line no longer bounds quantity"
    );
    std::fs::write(&orders, changed).expect("writes the pull request");

    println!(
        "machine: {} cores, load average {} (1, 5 and 15 minutes)",
        std::thread::available_parallelism().map_or(0, |cores| cores.get()),
        load_average().join(" ")
    );
    println!(
        "{:>10} {:>10} {:>9} {:>12} {:>13} {:>12} {:>12} {:>13}",
        "last",
        "read",
        "seconds",
        "events/s",
        "peak RSS MiB",
        "cuemesh CPU",
        "server CPU",
        "load before/after"
    );
    let mut windows = vec![100_000.min(events), events];
    windows.dedup();
    for window in windows {
        let load_before = load_average()[0].clone();
        let run = check(binary, repository.path(), &nats.url(), nats.pid(), window);
        let load_after = load_average()[0].clone();
        println!(
            "{window:>10} {:>10} {:>9.2} {:>12.0} {:>13.1} {:>12.2} {:>12.2} {:>13}",
            run.read,
            run.elapsed.as_secs_f64(),
            run.read as f64 / run.elapsed.as_secs_f64(),
            run.peak_kib as f64 / 1024.0,
            run.cpu,
            run.server_cpu,
            format!("{load_before}/{load_after}")
        );
    }
}

/// Stores `events` valid `com.acme.orders.placed` events in a fresh `EVENTS` stream.
async fn store(url: &str, events: u64) {
    let client = async_nats::connect(url).await.expect("connects");
    let context = jetstream::new(client);
    let defaults = cuemesh_publisher::PublisherConfig::new("", "");
    let prefix = defaults.stream.subject_prefix.clone();
    context
        .create_stream(stream::Config {
            name: defaults.stream.name.clone(),
            subjects: vec![format!("{prefix}.>")],
            storage: stream::StorageType::File,
            duplicate_window: Duration::from_secs(1),
            ..stream::Config::default()
        })
        .await
        .expect("the stream");
    let subject = cuemesh_publisher::subject_for(&prefix, SOURCE, TYPE);
    let mut pending = FuturesUnordered::new();
    for index in 0..events {
        if pending.len() >= WINDOW {
            let ack: Result<_, _> = pending.next().await.expect("a pending ack");
            ack.expect("stored");
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Content-Type", cuemesh_publisher::CLOUDEVENTS_JSON);
        let future = context
            .publish_with_headers(subject.clone(), headers, event(index).into())
            .await
            .expect("published");
        pending.push(future.into_future());
    }
    while let Some(ack) = pending.next().await {
        ack.expect("stored");
    }
}

/// The `index`th stored event: a structured CloudEvent shaped like the template's example.
fn event(index: u64) -> Vec<u8> {
    let quantity = index % 50 + 1;
    format!(
        concat!(
            r#"{{"specversion":"1.0","id":"bench-{index}","source":"{source}","type":"{ty}","#,
            r#""datacontenttype":"application/json","time":"2024-05-01T14:30:00Z","#,
            r#""data":{{"orderId":"order-{index}","customer":"ada@example.com","lines":["#,
            r#"{{"sku":"BOOK-0001","quantity":{quantity}}},{{"sku":"PEN-0042","quantity":3}}],"#,
            r#""total":{{"amount":{amount},"currency":"EUR"}},"placedAt":"2024-05-01T14:30:00Z"}}}}"#
        ),
        index = index,
        source = SOURCE,
        ty = TYPE,
        quantity = quantity,
        amount = 4250 + index % 1000,
    )
    .into_bytes()
}

struct Run {
    read: u64,
    elapsed: Duration,
    peak_kib: u64,
    /// CPU seconds of cuemesh (user + system) and of nats-server during the run.
    cpu: f64,
    server_cpu: f64,
}

/// Runs the check, asserts that it read `window` events, all valid, and measures it.
fn check(binary: &str, repository: &Path, url: &str, server: u32, window: u64) -> Run {
    let last = window.to_string();
    let arguments = [
        "--format",
        "json",
        "check",
        "--against",
        "main",
        "--replay",
        url,
        "--last",
        &last,
    ];
    assert!(
        Path::new(TIME).exists(),
        "{TIME} (GNU time) is needed to measure the peak RSS of cuemesh"
    );
    let mut command = Command::new(TIME);
    command
        .arg("-v")
        .arg(binary)
        .args(arguments)
        .current_dir(repository);
    let server_before = process_cpu(server);
    let started = Instant::now();
    let output = command.output().expect("runs cuemesh");
    let elapsed = started.elapsed();
    let server_cpu = process_cpu(server) - server_before;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let replay: Value = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["kind"] == "replay")
        .unwrap_or_else(|| panic!("no replay line:\n{stdout}\n{stderr}"));
    let read = replay["read"].as_u64().expect("read");
    assert_eq!(read, window, "{replay}");
    assert_eq!(replay["valid"].as_u64(), Some(window), "{replay}");
    let peak_kib = stderr
        .lines()
        .find_map(|line| {
            line.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|kib| kib.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS from {TIME}:\n{stderr}"));
    let seconds = |label: &str| {
        stderr
            .lines()
            .find_map(|line| line.trim().strip_prefix(label))
            .and_then(|s| s.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {label:?} from {TIME}:\n{stderr}"))
    };
    let cpu = seconds("User time (seconds): ") + seconds("System time (seconds): ");
    Run {
        read,
        elapsed,
        peak_kib,
        cpu,
        server_cpu,
    }
}

/// CPU seconds used so far by process `pid`, all its threads (Linux `/proc`, in ticks of
/// USER_HZ = 1/100 s).
fn process_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|error| panic!("cannot read the CPU time of process {pid}: {error}"));
    // Fields after the parenthesised command name: state is the first, utime the 12th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |index: usize| -> u64 {
        fields
            .get(index)
            .and_then(|field| field.parse().ok())
            .unwrap_or_else(|| panic!("/proc/{pid}/stat has no field {index}: {stat}"))
    };
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// The machine's load averages over 1, 5 and 15 minutes (Linux `/proc/loadavg`).
fn load_average() -> Vec<String> {
    let text = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_else(|error| panic!("cannot read the load average: {error}"));
    let averages: Vec<String> = text
        .split_whitespace()
        .take(3)
        .map(str::to_string)
        .collect();
    assert_eq!(averages.len(), 3, "/proc/loadavg holds {text:?}");
    averages
}
