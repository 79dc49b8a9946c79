//! The registry service on a free loopback port, and raw HTTP/1.1 requests to it over fresh
//! connections (real sockets, no client library between the test and the server).

use axum::serve;
use cuemesh_registry::serve::{app, AppState};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
        let mut stream = tokio::net::TcpStream::connect(self.address)
            .await
            .map_err(|error| format!("connect: {error}"))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
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
        let (head, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("no end of head in {response:?}"))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("no status code in {head:?}"))?;
        Ok((status, head.to_ascii_lowercase(), body.to_string()))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
