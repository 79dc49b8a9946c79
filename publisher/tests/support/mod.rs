//! A real `nats-server -js` per test, on a free port with its own store directory, killed on
//! drop; and a CUE schema fixture.

#![allow(dead_code, unreachable_pub)]

pub mod secure;

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

/// The repository template of this project (`schemas-repo-template/`), relative to the crate.
pub fn template_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas-repo-template")
}

/// A Git repository on `main` with the files of `template_directory()` in one commit, then
/// one more commit per `(path, text)` of `changes` (each a new version where it changes a
/// schema).
pub fn template_repository(changes: &[(&str, &str)]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let git = git2::Repository::init_opts(directory.path(), &options).expect("git init");
    copy_tree(&template_directory(), directory.path());
    let mut index = git.index().expect("the repository's index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("adding the template");
    let mut time = 1_700_000_000;
    let mut message = "Start from the template".to_string();
    let mut pending = changes.iter();
    loop {
        commit_index(&git, &mut index, "Ada", time, &message);
        let Some((path, text)) = pending.next() else {
            break;
        };
        std::fs::write(directory.path().join(path), text).expect("writing a change");
        index.add_path(Path::new(path)).expect("adding a change");
        time += 3600;
        message = format!("Change {path}");
    }
    directory
}

/// Commits what `index` holds on `HEAD` (after the commit there, if any) by `author`
/// <ada@example.com> at `time` (seconds since the epoch, UTC); returns the commit.
pub fn commit_index(
    git: &git2::Repository,
    index: &mut git2::Index,
    author: &str,
    time: i64,
    message: &str,
) -> git2::Oid {
    index.write().expect("writing the index");
    let tree = git
        .find_tree(index.write_tree().expect("write tree"))
        .expect("tree");
    let signature = git2::Signature::new(author, "ada@example.com", &git2::Time::new(time, 0))
        .expect("signature");
    let parent = git
        .head()
        .ok()
        .map(|head| head.peel_to_commit().expect("HEAD's commit"));
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    git.commit(
        Some("HEAD"),
        &signature,
        &signature,
        message,
        &tree,
        &parents,
    )
    .expect("commit")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("reading the template") {
        let path = entry.expect("an entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("a directory");
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copying a template file");
        }
    }
}

/// A real registry (`cuemesh_registry::serve::app`) serving a Git repository on loopback,
/// stopped on drop.
pub struct RegistryServer {
    pub url: String,
    _repository: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl RegistryServer {
    /// Serves `repository`'s `main` branch on a free loopback port, from the current runtime.
    pub async fn start(repository: tempfile::TempDir) -> RegistryServer {
        let (url, shutdown) = serve_on_loopback(registry_app(repository.path())).await;
        RegistryServer {
            url,
            _repository: repository,
            _shutdown: shutdown,
        }
    }

    /// The registry of the template repository, as committed.
    pub async fn template() -> RegistryServer {
        RegistryServer::start(template_repository(&[])).await
    }
}

/// The registry service (`cuemesh_registry::serve::app`) over `repository`'s `main` branch.
pub fn registry_app(repository: &Path) -> axum::Router {
    let opened = cuemesh_registry::Repository::open(repository).expect("open");
    let index = cuemesh_registry::serve::Index::build(&opened, "main").expect("index");
    cuemesh_registry::serve::app(cuemesh_registry::serve::AppState::new(index))
}

/// The whole body of an answer, from an axum service or from a hyper client.
pub async fn whole_body<B>(body: B) -> axum::body::Bytes
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    axum::body::to_bytes(axum::body::Body::new(body), usize::MAX)
        .await
        .expect("a body")
}

/// Serves `app` on a free loopback port until the returned sender is dropped.
pub async fn serve_on_loopback(app: axum::Router) -> (String, tokio::sync::oneshot::Sender<()>) {
    let (listener, url) = loopback_listener().await;
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
            .expect("serving");
    });
    (url, shutdown)
}

/// Serves the sidecar's `app` as `cuemesh publisher` does ([`sidecar::serve`]) on a free
/// loopback port; its URL, and a sender that stops it when sent to or dropped.
///
/// [`sidecar::serve`]: cuemesh_publisher::sidecar::serve
pub async fn serve_sidecar_on_loopback(
    app: axum::Router,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let (listener, url) = loopback_listener().await;
    let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(cuemesh_publisher::sidecar::serve(
        listener,
        app,
        async move {
            let _ = stopped.await;
        },
    ));
    (url, shutdown)
}

/// A listener on a free loopback port, and its `http://` URL.
pub async fn loopback_listener() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    (listener, url)
}

/// Reads one HTTP/1.1 answer (head and `content-length` body) from a keep-alive `stream` into
/// `buffer` (cleared first); its status.
pub async fn read_answer(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> u16 {
    buffer.clear();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = response.parse(buffer).expect("an HTTP answer") {
            let length: usize = response
                .headers
                .iter()
                .find(|header| header.name.eq_ignore_ascii_case("content-length"))
                .and_then(|header| std::str::from_utf8(header.value).ok()?.parse().ok())
                .expect("a content-length");
            let status = response.code.expect("a status");
            while buffer.len() < head + length {
                read_more(stream, buffer).await;
            }
            assert_eq!(buffer.len(), head + length, "one answer per request");
            return status;
        }
        read_more(stream, buffer).await;
    }
}

async fn read_more(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) {
    let mut chunk = [0u8; 16 * 1024];
    let read = tokio::io::AsyncReadExt::read(stream, &mut chunk)
        .await
        .expect("the answer");
    assert!(read > 0, "the server closed the connection");
    buffer.extend_from_slice(&chunk[..read]);
}

/// `orders.placed` of the template, version 1.
pub fn placed_pin() -> Pin {
    Pin::new("com.acme.orders", "com.acme.orders.placed", 1)
}

pub const VALID_PLACED: &str = r#"{"orderId": "order-1042", "customer": "ada@example.com",
 "lines": [{"sku": "BOOK-0001", "quantity": 1}], "total": {"amount": 4250, "currency": "EUR"},
 "placedAt": "2024-05-01T14:30:00Z"}"#;

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

/// Prints a reliability test's counts on stderr past the test harness's capture (which takes
/// only `print!` and `eprint!`), so that they show in a plain `cargo test` run and CI's log.
pub fn report(counts: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{counts}");
}
