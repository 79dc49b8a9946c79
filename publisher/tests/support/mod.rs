//! A real `nats-server -js` per test, on a free port with its own store directory, killed on
//! drop; and a CUE schema fixture.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use cuemesh_publisher::{LocalSchema, Pin};

pub struct NatsServer {
    child: Child,
    pub port: u16,
    store: tempfile::TempDir,
    config: Option<String>,
    /// Arguments besides `-js -a -p -sd` (a cluster node's name, cluster port and routes).
    arguments: Vec<String>,
}

/// `NATS_SERVER`, else `nats-server` on `PATH`, else Debian's `/usr/sbin/nats-server`.
fn nats_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        return PathBuf::from(path);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("nats-server");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    let debian = PathBuf::from("/usr/sbin/nats-server");
    if debian.is_file() {
        return debian;
    }
    panic!(
        "these tests need a real nats-server with JetStream: install it (Debian: apt-get install \
         nats-server) or set NATS_SERVER to its path"
    );
}

impl NatsServer {
    pub fn start() -> NatsServer {
        NatsServer::start_with_config(None)
    }

    /// Starts a server; `config` is the text of a configuration file (`max_payload: 2048`).
    pub fn start_with_config(config: Option<&str>) -> NatsServer {
        let store = tempfile::tempdir().expect("a temporary directory");
        let (child, port) = spawn(store.path(), None, config, &[]);
        NatsServer {
            child,
            port,
            store,
            config: config.map(str::to_string),
            arguments: Vec::new(),
        }
    }

    /// Starts one node of a JetStream cluster on loopback: server `name`, listening for routes
    /// on `cluster_port`, with routes to the other nodes' cluster ports.
    pub fn start_cluster_node(
        name: &str,
        cluster_name: &str,
        cluster_port: u16,
        route_ports: &[u16],
    ) -> NatsServer {
        let routes: Vec<String> = route_ports
            .iter()
            .map(|port| format!("nats://127.0.0.1:{port}"))
            .collect();
        let arguments = vec![
            "-n".to_string(),
            name.to_string(),
            "--cluster_name".to_string(),
            cluster_name.to_string(),
            "--cluster".to_string(),
            format!("nats://127.0.0.1:{cluster_port}"),
            "--routes".to_string(),
            routes.join(","),
        ];
        let store = tempfile::tempdir().expect("a temporary directory");
        let (child, port) = spawn(store.path(), None, None, &arguments);
        NatsServer {
            child,
            port,
            store,
            config: None,
            arguments,
        }
    }

    /// Starts the stopped server again on the same port with the same store.
    pub fn restart(&mut self) {
        self.stop();
        let (child, _) = spawn(
            self.store.path(),
            Some(self.port),
            self.config.as_deref(),
            &self.arguments,
        );
        self.child = child;
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server with SIGKILL (`Child::kill`): no shutdown, no flush, as a crash.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `nats-server -js` on `port` (a free one when `None`) and waits until it is ready.
fn spawn(
    store: &Path,
    port: Option<u16>,
    config: Option<&str>,
    arguments: &[String],
) -> (Child, u16) {
    let mut command = Command::new(nats_server_binary());
    let port_argument = port.map_or("-1".to_string(), |p| p.to_string());
    command
        .args(["-js", "-a", "127.0.0.1", "-p", &port_argument, "-sd"])
        .arg(store.join("jetstream"))
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(config) = config {
        let file = store.join("server.conf");
        std::fs::write(&file, config).expect("writing the server configuration");
        command.arg("-c").arg(file);
    }
    let mut child = command.spawn().expect("starting nats-server");
    let stderr = child.stderr.take().expect("stderr is piped");
    let (sender, receiver) = mpsc::channel();
    // Reads the log to the end, so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut port = None;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("Listening for client connections on ").nth(1) {
                port = rest
                    .trim()
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse::<u16>().ok());
            }
            if line.contains("Server is ready") {
                let _ = sender.send(port);
            }
        }
    });
    match receiver.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(port)) => (child, port),
        other => {
            let _ = child.kill();
            panic!("nats-server did not become ready with a port: {other:?}");
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub const ORDERS_CUE: &str = r#"package orders

#OrderCreated: {
	orderId:  string & =~"^o-"
	total:    number & >=0
	currency: "EUR" | "USD"
	items: [...{sku: string, qty: int & >0}]
	note?: string
}
"#;

pub fn orders_pin() -> Pin {
    Pin::new("com.example.orders", "OrderCreated", 2)
}

/// A package directory holding [`ORDERS_CUE`], and a [`LocalSchema`] that pins it.
pub fn orders_schema(directory: &Path) -> LocalSchema {
    std::fs::write(directory.join("orders.cue"), ORDERS_CUE).expect("writing the schema");
    LocalSchema::new().with_version(orders_pin(), directory, "#OrderCreated", None)
}

pub const VALID_ORDER: &str =
    r#"{"orderId": "o-1", "total": 12.5, "currency": "EUR", "items": [{"sku": "a", "qty": 2}]}"#;
