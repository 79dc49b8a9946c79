//! What the long-running commands (`serve`, `publisher`, `dev`) share to start: the async
//! runtime, a bound listener with its actual address (port 0 becomes a real port), and the
//! `--tls-cert`/`--tls-key` options that make a server speak HTTPS.

use anyhow::Context;
use cuemesh_publisher::tls::ServerTls;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpListener;

/// HTTPS for a server's listener (rustls): without both files it serves plain HTTP.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ListenTlsOptions {
    /// Serve HTTPS with this PEM certificate (the server's first, then its chain) and
    /// --tls-key, instead of plain HTTP.
    #[arg(long = "tls-cert", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(long = "tls-key", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl ListenTlsOptions {
    /// The server's TLS configuration offering the ALPN `protocols`, the files read and
    /// checked now (a missing file or a key that does not match is an error naming it);
    /// `None` for plain HTTP.
    pub fn server_tls(&self, protocols: &[&str]) -> anyhow::Result<Option<ServerTls>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(
                ServerTls::from_pem_files(cert, key, protocols).context("cannot set up HTTPS")?,
            )),
            // clap requires both together.
            _ => Ok(None),
        }
    }
}

/// `http` or `https`, for the URLs a server prints.
pub(crate) fn scheme(tls: Option<&ServerTls>) -> &'static str {
    if tls.is_some() {
        "https"
    } else {
        "http"
    }
}

/// The multi-threaded runtime the servers run on.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Binds `address` and returns the listener with the address it got. `role` (`"the
/// registry"`, …) names what the address is for in the error, when one command binds several.
pub(crate) async fn listen(
    address: SocketAddr,
    role: Option<&str>,
) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| match role {
            Some(role) => format!("cannot listen on {address} for {role}"),
            None => format!("cannot listen on {address}"),
        })?;
    let bound = listener.local_addr().with_context(|| match role {
        Some(role) => format!("cannot read the address of {role}"),
        None => "cannot read the bound address".to_string(),
    })?;
    Ok((listener, bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_zero_becomes_a_real_port_and_a_taken_one_is_named() {
        let runtime = runtime().expect("runtime");
        runtime.block_on(async {
            let (_held, bound) = listen("127.0.0.1:0".parse().expect("address"), None)
                .await
                .expect("a free port");
            assert_ne!(bound.port(), 0);
            let error = listen(bound, Some("the registry"))
                .await
                .expect_err("the port is taken");
            assert_eq!(
                error.to_string(),
                format!("cannot listen on {bound} for the registry")
            );
            let error = listen(bound, None).await.expect_err("the port is taken");
            assert_eq!(error.to_string(), format!("cannot listen on {bound}"));
        });
    }
}
