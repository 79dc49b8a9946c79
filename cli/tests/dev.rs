//! End-to-end tests of `cuemesh dev`: the built binary runs the registry and the publisher over
//! the bundled template, against a real `nats-server -js` (one the test starts, or the child
//! `dev` starts itself), and the `curl` commands it prints are run as a user would paste them.

mod common;
use cuemesh_testkit as support;

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::lines_on_a_thread;
use support::{stored_count, stored_messages, NatsServer};

/// A running `cuemesh dev` and what it printed on stdout up to its `tail` hint.
struct Dev {
    child: Child,
    banner: Vec<String>,
    stderr: mpsc::Receiver<String>,
}

impl Dev {
    fn start(extra: &[&str], nats_url: Option<&str>) -> Dev {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cuemesh"));
        command
            .args([
                "dev",
                "--listen",
                "127.0.0.1:0",
                "--publisher-listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .env_remove("NATS_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(url) = nats_url {
            command.env("NATS_URL", url);
        }
        let mut child = command.spawn().expect("start cuemesh dev");
        let stdout = lines_on_a_thread(child.stdout.take().expect("stdout"));
        let stderr = lines_on_a_thread(child.stderr.take().expect("stderr"));
        let mut banner = Vec::new();
        loop {
            match stdout.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    let done = line.contains("cuemesh tail");
                    banner.push(line);
                    if done {
                        break;
                    }
                }
                Err(error) => {
                    let _ = child.kill();
                    let errors: Vec<String> = stderr.try_iter().collect();
                    panic!("no tail hint on stdout ({error}): {banner:?} {errors:?}");
                }
            }
        }
        Dev {
            child,
            banner,
            stderr,
        }
    }

    /// The lines of the banner that hold `needle`.
    fn lines_with(&self, needle: &str) -> Vec<&str> {
        self.banner
            .iter()
            .filter(|line| line.contains(needle))
            .map(String::as_str)
            .collect()
    }

    /// The URL printed after `label` (`catalog`, `registry`...).
    fn url(&self, label: &str) -> String {
        let line = self
            .banner
            .iter()
            .find(|line| line.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in {:?}", self.banner));
        line.split_whitespace()
            .find(|word| word.starts_with("http://") || word.starts_with("nats://"))
            .expect("a URL")
            .to_string()
    }

    /// Stops it with SIGTERM and returns its stderr.
    fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = self.child.wait().expect("wait");
        assert!(exit.success(), "dev exited with {exit}");
        self.stderr.try_iter().collect()
    }
}

/// Runs a printed command line with `sh`, as a user pasting it would.
fn paste(line: &str) -> String {
    let output = Command::new("sh")
        .args(["-c", line.trim()])
        .output()
        .expect("run sh");
    assert!(
        output.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn dev_with_a_given_nats_serves_the_template_and_its_curls_publish_and_are_refused() {
    let nats = NatsServer::start();
    let dev = Dev::start(&[], Some(&nats.url()));
    assert_eq!(dev.url("NATS"), nats.url());
    let catalog = paste(&format!("curl -sS -f {}", dev.url("catalog")));
    assert!(catalog.contains("<html"), "{catalog}");
    let sources = paste(&format!("curl -sS -f {}", dev.url("registry")));
    let sources: serde_json::Value = serde_json::from_str(&sources).expect("JSON");
    assert!(!sources["sources"].as_array().expect("sources").is_empty());

    let curls = dev.lines_with("curl ");
    assert_eq!(curls.len(), 2, "{:?}", dev.banner);
    let stored: serde_json::Value = serde_json::from_str(&paste(curls[0])).expect("a receipt");
    assert_eq!(stored["duplicate"], false, "{stored}");
    assert_eq!(stored["sequence"], 1, "{stored}");
    let refused: serde_json::Value = serde_json::from_str(&paste(curls[1])).expect("an error");
    assert_eq!(refused["error"]["code"], "invalid_payload", "{refused}");
    assert!(
        !refused["error"]["violations"]
            .as_array()
            .expect("violations")
            .is_empty(),
        "{refused}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        assert_eq!(
            stored_count(&nats).await,
            1,
            "only the valid event is stored"
        );
        let messages = stored_messages(&nats).await;
        let event: serde_json::Value =
            serde_json::from_slice(&messages[0].payload).expect("a CloudEvent");
        assert_eq!(event["id"], stored["id"]);
        let dataschema = event["dataschema"].as_str().expect("a dataschema");
        assert!(
            dataschema.starts_with(&dev.url("registry").replace("/v1/sources", "/v1/sources/")),
            "{dataschema}"
        );
    });

    // The printed tail line, run as a consumer, is recorded and shown by the registry.
    let tail = dev.lines_with("cuemesh tail")[0].trim().replacen(
        "cuemesh",
        &format!("{} --format json", env!("CARGO_BIN_EXE_cuemesh")),
        1,
    );
    let tailed = paste(&format!("{tail} --count 1 --as shipping-dashboard"));
    assert_eq!(tailed.lines().count(), 1, "{tailed}");
    let event: serde_json::Value = serde_json::from_str(&tailed).expect("a JSON line");
    let (source, event_type) = (
        event["attributes"]["source"].as_str().expect("source"),
        event["attributes"]["type"].as_str().expect("type"),
    );
    let consumers = format!(
        "curl -sS -f {}/{source}/types/{}/consumers",
        dev.url("registry"),
        event_type.replace(':', "%3A")
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let listed: serde_json::Value = serde_json::from_str(&paste(&consumers)).expect("JSON");
        let observed = listed["consumers"]
            .as_array()
            .expect("consumers")
            .iter()
            .find(|consumer| consumer["id"] == "shipping-dashboard")
            .map(|consumer| consumer["observed"].clone());
        if observed
            .as_ref()
            .is_some_and(|observed| !observed.is_null())
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the observed consumer is never listed: {listed}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    dev.stop();
}

#[test]
fn dev_without_nats_starts_its_own_server_and_stops_it() {
    let dev = Dev::start(&[], None);
    let nats = dev.url("NATS");
    let curls = dev.lines_with("curl ");
    let stored: serde_json::Value = serde_json::from_str(&paste(curls[0])).expect("a receipt");
    assert_eq!(stored["stream"], "EVENTS", "{stored}");
    let port: u16 = nats
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("a port");
    let stderr = dev.stop();
    assert!(
        stderr
            .iter()
            .any(|line| line.contains("started") && line.contains(&nats)),
        "{stderr:?}"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the nats-server child still listens after dev stopped"
    );
}
