//! A real `nats-server -js` per test, on a free port with its own store directory, killed on
//! drop, and reading back what its `EVENTS` stream stored.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

    /// The server's process id (the benchmark reads its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
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
    // Reads the log to the end, so the server never blocks on a full pipe; until the server
    // is ready, the lines are kept to show why it is not.
    std::thread::spawn(move || {
        let mut port = None;
        let mut log = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("Listening for client connections on ").nth(1) {
                port = rest
                    .trim()
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse::<u16>().ok());
            }
            if line.contains("Server is ready") {
                let _ = sender.send(port.ok_or_else(|| log.join("\n")));
                log.clear();
            } else if log.len() < 200 {
                log.push(line);
            }
        }
        let _ = sender.send(Err(log.join("\n")));
    });
    match receiver.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(port)) => (child, port),
        Ok(Err(log)) => {
            let _ = child.kill();
            panic!("nats-server did not become ready with a port; its log:\n{log}");
        }
        Err(error) => {
            let _ = child.kill();
            panic!("nats-server did not become ready with a port: {error}");
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every message in the `EVENTS` stream, read with a fresh pull consumer in batches.
pub async fn stored_messages(server: &NatsServer) -> Vec<async_nats::jetstream::Message> {
    use futures::StreamExt;
    let client = async_nats::connect(server.url()).await.expect("connects");
    let context = async_nats::jetstream::new(client);
    let stream = context
        .get_stream("EVENTS")
        .await
        .expect("the stream exists");
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config::default())
        .await
        .expect("a consumer");
    let mut messages = Vec::new();
    loop {
        let mut batch = consumer
            .fetch()
            .max_messages(1000)
            .expires(Duration::from_millis(500))
            .messages()
            .await
            .expect("fetches");
        let before = messages.len();
        while let Some(message) = batch.next().await {
            let message = message.expect("a message");
            message.ack().await.expect("acks");
            messages.push(message);
        }
        if messages.len() == before {
            return messages;
        }
    }
}

/// How many messages the `EVENTS` stream holds.
pub async fn stored_count(server: &NatsServer) -> u64 {
    let client = async_nats::connect(server.url()).await.expect("connects");
    let context = async_nats::jetstream::new(client);
    let mut stream = context
        .get_stream("EVENTS")
        .await
        .expect("the stream exists");
    stream.info().await.expect("stream info").state.messages
}
