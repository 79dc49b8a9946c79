//! TLS with rustls (ring): PEM files read and checked with errors that name the file, the server
//! side of cuemesh's HTTP services (the sidecar, and the registry as `cuemesh serve` runs it)
//! as [`ServerTls`] and [`TlsListener`], and the client checks [`crate::NatsConfig`] makes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

/// How long a client may take to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many handshakes are in progress at once; more connections wait to be accepted.
const MAX_HANDSHAKES: usize = 1024;

/// A PEM file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsFileError {
    #[error("cannot read the {what} {}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the {what} {} is not valid: {reason}", path.display())]
    Invalid {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
}

/// The one crypto provider of every TLS configuration cuemesh builds.
pub(crate) fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsFileError> {
    std::fs::read(path).map_err(|source| TlsFileError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// The PEM certificates of `path` (`what` names the file in errors), at least one.
pub(crate) fn pem_certificates(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsFileError> {
    let bytes = read(path, what)?;
    let invalid = |reason: String| TlsFileError::Invalid {
        what,
        path: path.to_path_buf(),
        reason,
    };
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| invalid(format!("it is not PEM: {error}")))?;
    if certificates.is_empty() {
        return Err(invalid("it holds no PEM certificate".to_string()));
    }
    Ok(certificates)
}

/// The certificate chain of `cert` and the private key of `key`, checked to belong together.
pub(crate) fn certified_key(
    cert: &Path,
    key: &Path,
    what: &'static str,
) -> Result<rustls::sign::CertifiedKey, TlsFileError> {
    let chain = pem_certificates(cert, what)?;
    let bytes = read(key, "TLS private key file")?;
    let invalid = |reason: String| TlsFileError::Invalid {
        what: "TLS private key file",
        path: key.to_path_buf(),
        reason,
    };
    let private_key = PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|error| invalid(format!("it holds no PEM private key: {error}")))?;
    rustls::sign::CertifiedKey::from_der(chain, private_key, &crypto_provider()).map_err(|error| {
        invalid(format!(
            "it does not go with the certificate {}: {error}",
            cert.display()
        ))
    })
}

/// Checks that every certificate of `path` can be trusted as an authority.
pub(crate) fn check_authorities(path: &Path) -> Result<(), TlsFileError> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in pem_certificates(path, "TLS CA file")? {
        roots
            .add(certificate)
            .map_err(|error| TlsFileError::Invalid {
                what: "TLS CA file",
                path: path.to_path_buf(),
                reason: format!("a certificate in it cannot be trusted as an authority: {error}"),
            })?;
    }
    Ok(())
}

/// A server's TLS configuration: its certificate chain and key.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("protocols", &self.config.alpn_protocols)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// The certificate chain of the PEM file `cert` (the server's certificate first) and the
    /// PEM private key `key`, checked to belong together. `protocols` are the ALPN protocol
    /// names offered (`http/1.1`, `h2`), most preferred first.
    pub fn from_pem_files(
        cert: &Path,
        key: &Path,
        protocols: &[&str],
    ) -> Result<ServerTls, TlsFileError> {
        let certified = certified_key(cert, key, "TLS certificate file")?;
        let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .map_err(|error| TlsFileError::Invalid {
                what: "TLS certificate file",
                path: cert.to_path_buf(),
                reason: error.to_string(),
            })?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
        config.alpn_protocols = protocols
            .iter()
            .map(|protocol| protocol.as_bytes().to_vec())
            .collect();
        Ok(ServerTls {
            config: Arc::new(config),
        })
    }
}

/// A listener that serves TLS: connections are accepted on a task of their own and each
/// handshake runs on its own task (with a timeout), so a client slow to finish its handshake
/// delays no one else; [`axum::serve::Listener::accept`] yields the connections whose
/// handshake is complete. Dropping it stops accepting.
pub struct TlsListener {
    address: SocketAddr,
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    acceptor: tokio::task::AbortHandle,
}

impl TlsListener {
    /// Serves TLS with `tls` on `listener` (from the current runtime).
    pub fn new(listener: TcpListener, tls: &ServerTls) -> std::io::Result<TlsListener> {
        let address = listener.local_addr()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
        let (sender, ready) = tokio::sync::mpsc::channel(64);
        let handshakes = Arc::new(tokio::sync::Semaphore::new(MAX_HANDSHAKES));
        let task = tokio::spawn(async move {
            loop {
                let Ok(permit) = handshakes.clone().acquire_owned().await else {
                    return;
                };
                let (stream, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                // Answers are small and written once: send them at once.
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await;
                    drop(permit);
                    match handshake {
                        Ok(Ok(stream)) => {
                            let _ = sender.send((stream, peer)).await;
                        }
                        Ok(Err(error)) => {
                            tracing::debug!(%peer, %error, "TLS handshake failed");
                        }
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            address,
            ready,
            acceptor: task.abort_handle(),
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The acceptor ended (the runtime is shutting down): nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.address)
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}
