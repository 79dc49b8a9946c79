//! A small HTTP/1.1 client (hyper with rustls, HTTPS or plain HTTP) for the registry's JSON
//! documents, with a per-request timeout and a cap on the size of an answer.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

/// The largest answer read: registry documents are a few kilobytes to a few megabytes.
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Why a GET did not produce a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpFailure {
    /// The URL is not an absolute `http://` or `https://` URL.
    BadUrl(String),
    /// No answer: the connection failed, broke or timed out.
    Unreachable(String),
    /// An answer other than 2xx; `code` and `message` from a `{"error": {...}}` body if any.
    Status {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// A 2xx answer whose body is not JSON (or too large).
    Body(String),
}

#[derive(Clone)]
pub(crate) struct HttpClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    pub(crate) fn new(timeout: Duration) -> HttpClient {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        HttpClient { client, timeout }
    }

    /// GETs `url` and parses its body as JSON.
    pub(crate) async fn get_json(&self, url: &str) -> Result<serde_json::Value, HttpFailure> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|error| HttpFailure::BadUrl(format!("{url:?} is not a URL: {error}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(HttpFailure::BadUrl(format!(
                "{url:?} is not an absolute http:// or https:// URL"
            )));
        }
        let request = hyper::Request::get(uri)
            .header(hyper::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|error| HttpFailure::BadUrl(format!("{url:?}: {error}")))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|error| HttpFailure::Unreachable(describe(&error)))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|error| {
                    if status.is_success() {
                        HttpFailure::Body(format!("reading the answer: {error}"))
                    } else {
                        HttpFailure::Unreachable(format!("reading the answer: {error}"))
                    }
                })?
                .to_bytes();
            Ok::<_, HttpFailure>((status, body))
        };
        let (status, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                HttpFailure::Unreachable(format!("no answer within {:?}", self.timeout))
            })??;
        let parsed = serde_json::from_slice::<serde_json::Value>(&body);
        if !status.is_success() {
            let error = parsed.ok().map(|value| value["error"].clone());
            let field = |name: &str| {
                error
                    .as_ref()
                    .and_then(|error| error[name].as_str())
                    .map(str::to_string)
            };
            return Err(HttpFailure::Status {
                status: status.as_u16(),
                code: field("code"),
                message: field("message")
                    .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect()),
            });
        }
        parsed.map_err(|error| HttpFailure::Body(format!("the answer is not JSON: {error}")))
    }
}

/// The error and its causes on one line: hyper's top-level message alone says little.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
