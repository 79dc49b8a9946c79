//! HTTP over loopback for tests: services served on free ports (the registry, the sidecar, any
//! axum app), and raw HTTP/1.1 requests and answers over real sockets, with no client library
//! between the test and the server.

use axum::serve;
use cuemesh_registry::serve::{app, AppState};
use std::net::SocketAddr;
use std::path::Path;

/// A server on a free loopback port, stopped when dropped.
pub struct Server {
    pub address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn start(state: AppState) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            serve(listener, app(state)).await.expect("serve");
        });
        Server { address, task }
    }

    /// One request over a fresh connection: status, lower-cased head, body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String, String) {
        self.try_send(method, path, headers, body)
            .await
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
    }

    /// Like [`Server::send`], with a failed connection or an unreadable answer as an error
    /// (for tests that count them).
    pub async fn try_send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(u16, String, String), String> {
        let answer = request_async(&self.address.to_string(), method, path, headers, body).await?;
        Ok((answer.status, answer.head, answer.body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
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
        RegistryServer::start(crate::git::template_repository(&[])).await
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

/// One HTTP/1.1 answer read to the end of the connection: its status, its head in lower case
/// (for `contains` checks on headers) and its body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

/// The head of a request sent with `Connection: close`, so that the whole answer is what the
/// connection carries until the server closes it.
fn request_head(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    length: usize,
) -> String {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {length}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

fn parse_answer(response: &str) -> Result<Answer, String> {
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no end of head in {response:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status code in {head:?}"))?;
    Ok(Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    })
}

/// One request to `address` (`host:port`) over a fresh blocking connection: the test's own
/// raw HTTP/1.1, with no client library between it and the server. A failed connection or an
/// unreadable answer is an error (for tests that count them).
pub fn request(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer, String> {
    use std::io::{Read, Write};
    let mut stream =
        std::net::TcpStream::connect(address).map_err(|error| format!("connect: {error}"))?;
    let head = request_head(address, method, path, headers, body.len());
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|error| format!("write: {error}"))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|error| format!("read: {error}"))?;
    parse_answer(&response)
}

/// [`request`] on the tokio runtime.
pub async fn request_async(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Answer, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|error| format!("connect: {error}"))?;
    let head = request_head(address, method, path, headers, body.len());
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|error| format!("write: {error}"))?;
    stream
        .write_all(body)
        .await
        .map_err(|error| format!("write body: {error}"))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .map_err(|error| format!("read: {error}"))?;
    parse_answer(&response)
}
