//! `cuemesh publisher`: the HTTP sidecar (`cuemesh_publisher::sidecar`) in front of NATS
//! JetStream, resolving pinned versions from a registry. It stops gracefully on Ctrl-C or
//! SIGTERM, finishing the requests in flight.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use cuemesh_publisher::sidecar::{self, SidecarConfig, Tokens};
use cuemesh_publisher::tls::ServerTls;
use cuemesh_publisher::{NatsConfig, Publisher, PublisherConfig, RegistrySchema};

/// What `publisher` was asked to do.
#[derive(Debug, Clone)]
pub struct PublisherCommandConfig {
    /// The registry's base URL (`http://127.0.0.1:8080`).
    pub registry: String,
    /// The NATS servers, credentials and TLS settings.
    pub nats: NatsConfig,
    /// The address to listen on; port 0 picks a free port (printed on stderr).
    pub listen: SocketAddr,
    /// The JSON file mapping each source to its bearer tokens; `None` lets anyone publish.
    pub tokens: Option<PathBuf>,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// HTTPS for the listener; `None` serves plain HTTP.
    pub tls: Option<ServerTls>,
}

/// Connects to NATS (creating or checking the stream), then serves until a shutdown signal.
pub fn run(config: &PublisherCommandConfig) -> anyhow::Result<()> {
    let tokens = match &config.tokens {
        Some(path) => Tokens::from_file(path)?,
        None => {
            crate::output::warning(format_args!(
                "no --tokens file: any client that reaches the sidecar may publish any source"
            ));
            Tokens::open()
        }
    };
    let runtime = crate::net::runtime()?;
    runtime.block_on(async {
        let publisher = Publisher::connect(
            PublisherConfig::new(config.nats.clone(), config.registry.as_str()),
            RegistrySchema::new(config.registry.as_str()),
        )
        .await
        .context("cannot start publishing")?;
        let shutdown = crate::serve::shutdown_signal();
        let (listener, address) = crate::net::listen(config.listen, None).await?;
        crate::output::progress(format_args!(
            "publisher listening on {}://{address} (registry {}, NATS {})",
            crate::net::scheme(config.tls.as_ref()),
            config.registry,
            config.nats.shown_url()
        ));
        let app = sidecar::app(
            Arc::new(publisher),
            SidecarConfig {
                max_body: config.max_body,
                tokens,
                ..SidecarConfig::default()
            },
        );
        match &config.tls {
            Some(tls) => sidecar::serve_tls(listener, tls, app, shutdown)
                .await
                .context("cannot serve HTTPS")?,
            None => sidecar::serve(listener, app, shutdown).await,
        }
        crate::output::progress(format_args!("stopped"));
        Ok(())
    })
}
