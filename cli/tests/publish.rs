//! End-to-end tests of `cuemesh publish` and `cuemesh publisher`: the built binary against a
//! real registry (a real Git repository of the template, served on loopback) and a real
//! `nats-server -js`.

mod common;
use cuemesh_testkit as support;

use std::process::Command;

use common::{cuemesh, http, Daemon};
use support::{stored_count, stored_messages, NatsServer, RegistryServer, VALID_PLACED};

/// A runtime whose worker threads serve the registry while the test runs the binary.
fn registry() -> (tokio::runtime::Runtime, RegistryServer) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let registry = runtime.block_on(RegistryServer::template());
    (runtime, registry)
}

fn write(directory: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = directory.path().join(name);
    std::fs::write(&path, text).expect("writing a file");
    path.display().to_string()
}

#[test]
fn publish_prints_the_receipt_and_stores_the_event_once() {
    let (runtime, registry) = registry();
    let nats = NatsServer::start();
    let directory = tempfile::tempdir().expect("a directory");
    let data = write(&directory, "order.json", VALID_PLACED);
    let args = [
        "publish",
        "--registry",
        &registry.url,
        "--nats",
        &nats.url(),
        "com.acme.orders",
        "com.acme.orders.placed",
        "1",
        &data,
        "--id",
        "cli-1",
        "--subject",
        "order-1042",
    ];
    let first = cuemesh(directory.path(), &args);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert!(
        first
            .stdout
            .contains("published cli-1 (com.acme.orders com.acme.orders.placed v1) as EVENTS #1"),
        "{}",
        first.stdout
    );
    let again = cuemesh(directory.path(), &args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("duplicate"), "{}", again.stdout);
    runtime.block_on(async {
        assert_eq!(stored_count(&nats).await, 1);
        let messages = stored_messages(&nats).await;
        let event: serde_json::Value =
            serde_json::from_slice(&messages[0].payload).expect("an event");
        assert_eq!(event["id"], "cli-1");
        assert_eq!(event["subject"], "order-1042");
        assert_eq!(event["data"]["orderId"], "order-1042");
    });
}

#[test]
fn publish_lists_every_violation_and_exits_1_or_2_on_errors() {
    let (runtime, registry) = registry();
    let nats = NatsServer::start();
    let directory = tempfile::tempdir().expect("a directory");
    let invalid = VALID_PLACED
        .replace("\"EUR\"", "\"XXX\"")
        .replace("ada@example.com", "not an email");
    let data = write(&directory, "bad.json", &invalid);
    let run = |version: &str, nats_url: &str, file: &str| {
        cuemesh(
            directory.path(),
            &[
                "publish",
                "--registry",
                &registry.url,
                "--nats",
                nats_url,
                "com.acme.orders",
                "com.acme.orders.placed",
                version,
                file,
            ],
        )
    };
    let refused = run("1", &nats.url(), &data);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stdout.contains("bad.json: total.currency:"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("bad.json: customer:"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("not published: 5 violation(s)"),
        "{}",
        refused.stdout
    );
    runtime.block_on(async { assert_eq!(stored_count(&nats).await, 0) });

    let unknown = run("4", &nats.url(), &data);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("no schema is known for"),
        "{}",
        unknown.stderr
    );

    let missing = run("1", &nats.url(), "nowhere.json");
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot read nowhere.json"),
        "{}",
        missing.stderr
    );

    let zero = run("0", &nats.url(), &data);
    assert_eq!(zero.code, 2, "{}", zero.stderr);

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("address").port()
    };
    let no_nats = run("1", &format!("nats://127.0.0.1:{closed}"), &data);
    assert_eq!(no_nats.code, 2, "{}", no_nats.stderr);
    assert!(
        no_nats.stderr.contains(&format!(
            "cannot connect to NATS at nats://127.0.0.1:{closed}: "
        )),
        "{}",
        no_nats.stderr
    );
}

/// `cuemesh publisher ARGS --listen 127.0.0.1:0` and its address.
fn start_sidecar(args: &[&str]) -> (Daemon, String) {
    let mut all = vec!["publisher"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--listen", "127.0.0.1:0"]);
    Daemon::start(&all)
}

/// `(status code, body)` of a JSON POST over a fresh connection.
fn post(address: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    http(address, "POST", path, &all, body)
}

#[test]
fn the_publisher_sidecar_serves_checks_tokens_and_stops_on_sigterm() {
    let (runtime, registry) = registry();
    let nats = NatsServer::start();
    let directory = tempfile::tempdir().expect("a directory");
    let tokens = write(
        &directory,
        "tokens.json",
        r#"{"com.acme.orders": ["orders-secret"], "com.acme.payments": ["payments-secret"]}"#,
    );
    let nats_url = nats.url();
    let (mut sidecar, address) = start_sidecar(&[
        "--registry",
        &registry.url,
        "--nats",
        &nats_url,
        "--tokens",
        &tokens,
        "--max-body",
        "2000",
    ]);
    let path = "/v1/events/com.acme.orders/com.acme.orders.placed/versions/1";
    let (status, body) = post(&address, path, &[], VALID_PLACED);
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(
        &address,
        path,
        &[("Authorization", "Bearer payments-secret")],
        VALID_PLACED,
    );
    assert_eq!(status, 403, "{body}");
    let owner = [
        ("Authorization", "Bearer orders-secret"),
        ("ce-id", "side-1"),
    ];
    let (status, body) = post(&address, path, &owner, VALID_PLACED);
    assert_eq!(status, 201, "{body}");
    assert!(body.contains("\"id\":\"side-1\""), "{body}");
    let (status, body) = post(&address, path, &owner, &" ".repeat(3000));
    assert_eq!(status, 413, "{body}");
    runtime.block_on(async { assert_eq!(stored_count(&nats).await, 1) });

    let pid = sidecar.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    sidecar.wait_for("cuemesh: stopped");
    let status = sidecar.child.wait().expect("exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_publisher_sidecar_refuses_a_bad_tokens_file_and_warns_when_open() {
    let directory = tempfile::tempdir().expect("a directory");
    let tokens = write(&directory, "tokens.json", r#"{"com.acme.orders": "one"}"#);
    let run = cuemesh(
        directory.path(),
        &[
            "publisher",
            "--registry",
            "http://127.0.0.1:9",
            "--nats",
            "nats://127.0.0.1:9",
            "--tokens",
            &tokens,
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("tokens.json is not valid"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("not a list"), "{}", run.stderr);

    let nats = NatsServer::start();
    let nats_url = nats.url();
    let (_sidecar, address) =
        start_sidecar(&["--registry", "http://127.0.0.1:9", "--nats", &nats_url]);
    // Open, but the registry is unreachable: the version cannot be resolved.
    let (status, body) = post(
        &address,
        "/v1/events/com.acme.orders/com.acme.orders.placed/versions/1",
        &[],
        VALID_PLACED,
    );
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("registry"), "{body}");
}
