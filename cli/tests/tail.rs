//! `cuemesh tail` against a real `nats-server -js`: the built binary prints what the publisher
//! stored (both content modes), reports malformed messages, filters by source and type, starts
//! where it is told, and exits cleanly on SIGINT.

mod common;
use cuemesh_testkit as support;

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cuemesh_publisher::{
    subject_for, version_url, Attributes, ContentMode, LocalSchema, Pin, Publisher,
    PublisherConfig, RegistrySchema,
};
use support::{
    orders_pin, placed_pin, NatsServer, RegistryServer, ORDERS_CUE, VALID_ORDER, VALID_PLACED,
};

const REGISTRY: &str = "https://registry.example";

/// A running `cuemesh tail`, its stdout read line by line on a thread.
struct Tail {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Tail {
    fn start(server: &NatsServer, args: &[&str]) -> Tail {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cuemesh"))
            .arg("tail")
            .arg("--nats")
            .arg(server.url())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts cuemesh tail");
        let lines = common::lines_on_a_thread(child.stdout.take().expect("stdout is piped"));
        Tail { child, lines }
    }

    /// The next `count` lines, failing the test when they do not come within seconds.
    fn lines(&self, count: usize) -> Vec<String> {
        (0..count)
            .map(|n| {
                self.lines
                    .recv_timeout(Duration::from_secs(15))
                    .unwrap_or_else(|error| panic!("line {n} did not come: {error}"))
            })
            .collect()
    }

    fn assert_no_line_within(&self, wait: Duration) {
        if let Ok(line) = self.lines.recv_timeout(wait) {
            panic!("unexpected line: {line}");
        }
    }

    /// The exit code of a tail that stops by itself, failing the test when it has not exited
    /// within seconds.
    fn exit_code(mut self) -> i32 {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("polls the child") {
                return status.code().expect("an exit code, not a signal");
            }
            assert!(std::time::Instant::now() < deadline, "tail did not exit");
            // Polling a child's exit: there is no notification to wait on without a thread.
            std::thread::park_timeout(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT and returns the exit code.
    fn interrupt(mut self) -> i32 {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("runs kill");
        assert!(status.success());
        let status = self.child.wait().expect("tail exits");
        status.code().expect("an exit code, not a signal")
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn shipping_pin() -> Pin {
    Pin::new("com.example.shipping", "Shipped", 1)
}

async fn publisher(
    server: &NatsServer,
    schemas: &tempfile::TempDir,
    mode: ContentMode,
) -> Publisher {
    std::fs::write(schemas.path().join("orders.cue"), ORDERS_CUE).expect("writes the schema");
    let local = LocalSchema::new()
        .with_version(orders_pin(), schemas.path(), "#OrderCreated", None)
        .with_version(shipping_pin(), schemas.path(), "#OrderCreated", None);
    let mut config = PublisherConfig::new(server.url(), REGISTRY);
    config.content_mode = mode;
    Publisher::connect(config, local).await.expect("connects")
}

async fn publish(publisher: &Publisher, pin: &Pin, id: &str) {
    let attributes = Attributes {
        id: Some(id.to_string()),
        subject: Some(format!("about {id}")),
        ..Attributes::default()
    };
    publisher
        .publish(pin, VALID_ORDER.as_bytes(), attributes)
        .await
        .expect("published");
}

#[tokio::test]
async fn json_lines_carry_every_event_of_both_modes_and_malformed_ones() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let structured = publisher(&server, &schemas, ContentMode::Structured).await;
    let binary = publisher(&server, &schemas, ContentMode::Binary).await;
    publish(&structured, &orders_pin(), "e-1").await;
    publish(&binary, &orders_pin(), "e-2").await;
    let client = async_nats::connect(server.url()).await.expect("connects");
    async_nats::jetstream::new(client)
        .publish(
            subject_for("events", "com.example.orders", "OrderCreated"),
            "not an event".into(),
        )
        .await
        .expect("sent")
        .await
        .expect("stored");

    let tail = Tail::start(&server, &["--from-start", "--format", "json"]);
    let lines = tail.lines(3);
    let objects: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let data: serde_json::Value = serde_json::from_str(VALID_ORDER).expect("JSON");
    for (object, (sequence, mode, id)) in objects
        .iter()
        .zip([(1, "structured", "e-1"), (2, "binary", "e-2")])
    {
        assert_eq!(object["sequence"], sequence);
        assert_eq!(object["mode"], mode);
        assert_eq!(object["attributes"]["id"], id);
        assert_eq!(object["attributes"]["source"], "com.example.orders");
        assert_eq!(object["attributes"]["type"], "OrderCreated");
        assert_eq!(object["attributes"]["subject"], format!("about {id}"));
        assert_eq!(
            object["attributes"]["dataschema"],
            "https://registry.example/v1/sources/com.example.orders/types/OrderCreated/versions/2"
        );
        assert_eq!(object["data"], data);
        assert_eq!(object["validation"]["status"], "unchecked");
    }
    assert_eq!(objects[2]["sequence"], 3);
    assert!(
        objects[2]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("not a CloudEvent")),
        "{}",
        lines[2]
    );

    // New events keep coming until the interrupt, which ends it cleanly.
    publish(&structured, &orders_pin(), "e-3").await;
    let next: serde_json::Value = serde_json::from_str(&tail.lines(1)[0]).expect("JSON");
    assert_eq!(next["attributes"]["id"], "e-3");
    assert_eq!(tail.interrupt(), 0);
}

#[tokio::test]
async fn text_lines_follow_the_source_and_type_filters_and_start_positions() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let publisher = publisher(&server, &schemas, ContentMode::Binary).await;
    publish(&publisher, &orders_pin(), "o-1").await;
    publish(&publisher, &shipping_pin(), "s-1").await;
    publish(&publisher, &orders_pin(), "o-2").await;

    let by_source = Tail::start(
        &server,
        &["--source", "com.example.shipping", "--from-start"],
    );
    let by_type_last = Tail::start(&server, &["--type", "OrderCreated", "--last", "1"]);
    let recent = Tail::start(&server, &["--since", "1h"]);
    let first_two = Tail::start(&server, &["--from-start", "--count", "2"]);
    let line = &by_source.lines(1)[0];
    let fields: Vec<&str> = line.splitn(7, ' ').collect();
    assert_eq!(
        fields[1..6],
        ["com.example.shipping", "Shipped", "s-1", "about", "s-1"],
        "{line}"
    );
    assert!(fields[6].starts_with(r#"{"orderId":"o-1""#), "{line}");
    assert!(!line.contains('\x1b'), "no colours off a terminal: {line}");
    let colored = Tail::start(&server, &["--from-start", "--color", "always"]);
    let line = &colored.lines(1)[0];
    assert!(
        line.contains("\x1b[1mOrderCreated\x1b[0m"),
        "--color always: {line}"
    );
    assert!(by_type_last.lines(1)[0].contains(" o-2 "));
    let recent_ids: Vec<String> = recent
        .lines(3)
        .iter()
        .map(|line| line.split(' ').nth(3).unwrap_or_default().to_string())
        .collect();
    assert_eq!(recent_ids, ["o-1", "s-1", "o-2"]);
    let first_two_ids: Vec<String> = first_two
        .lines(2)
        .iter()
        .map(|line| line.split(' ').nth(3).unwrap_or_default().to_string())
        .collect();
    assert_eq!(first_two_ids, ["o-1", "s-1"]);
    assert_eq!(first_two.exit_code(), 0, "--count 2 stops after two events");

    publish(&publisher, &orders_pin(), "o-3").await;
    assert!(by_type_last.lines(1)[0].contains(" o-3 "));
    by_source.assert_no_line_within(Duration::from_millis(500));
    assert_eq!(by_source.interrupt(), 0);
}

// Multi-threaded: the registry serves from this runtime while the test blocks reading lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_registry_events_whose_data_fails_its_schema_are_marked() {
    let registry = RegistryServer::template().await;
    let server = NatsServer::start();
    let publisher = Publisher::connect(
        PublisherConfig::new(server.url(), &registry.url),
        RegistrySchema::new(&registry.url),
    )
    .await
    .expect("connects");
    let pin = placed_pin();
    let attributes = Attributes {
        id: Some("good".to_string()),
        ..Attributes::default()
    };
    publisher
        .publish(&pin, VALID_PLACED.as_bytes(), attributes)
        .await
        .expect("published");
    let invalid = VALID_PLACED.replace("EUR", "XXX");
    let event = serde_json::json!({
        "specversion": "1.0", "id": "bad", "source": pin.source, "type": pin.event_type,
        "dataschema": version_url(&registry.url, &pin.source, &pin.event_type, pin.version),
        "data": serde_json::from_str::<serde_json::Value>(&invalid).expect("JSON"),
    });
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Content-Type", "application/cloudevents+json");
    let client = async_nats::connect(server.url()).await.expect("connects");
    async_nats::jetstream::new(client)
        .publish_with_headers(
            subject_for("events", &pin.source, &pin.event_type),
            headers,
            event.to_string().into(),
        )
        .await
        .expect("sent")
        .await
        .expect("stored");

    let text = Tail::start(&server, &["--registry", &registry.url, "--from-start"]);
    let json = Tail::start(
        &server,
        &[
            "--registry",
            &registry.url,
            "--from-start",
            "--format",
            "json",
        ],
    );
    let lines = text.lines(2);
    assert!(
        lines[0].contains(" good ") && !lines[0].contains("INVALID"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(" bad "), "{}", lines[1]);
    assert!(
        lines[1].contains("INVALID: total.currency: "),
        "{}",
        lines[1]
    );
    let objects: Vec<serde_json::Value> = json
        .lines(2)
        .iter()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    assert_eq!(
        objects[0]["validation"],
        serde_json::json!({"status": "valid"})
    );
    assert_eq!(objects[1]["validation"]["status"], "invalid");
    assert_eq!(
        objects[1]["validation"]["violations"][0]["path"], "total.currency",
        "{}",
        objects[1]
    );
    assert_eq!(text.interrupt(), 0);
    assert_eq!(json.interrupt(), 0);
}

#[test]
fn bad_arguments_and_a_missing_stream_exit_with_2() {
    let server = NatsServer::start();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cuemesh"))
            .args(["tail", "--nats", &server.url()])
            .args(args)
            .output()
            .expect("runs cuemesh")
    };
    let github = run(&["--format", "github"]);
    assert_eq!(github.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&github.stderr).contains("tail prints --format text or json"));
    let since = run(&["--since", "5 minutes"]);
    assert_eq!(since.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&since.stderr).contains("is not a duration"));
    let missing = run(&["--stream", "NOPE"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("reading the JetStream stream NOPE"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}
