//! `cuemesh publish`: validates one JSON file against a pinned version from the registry and
//! publishes it as a CloudEvent to NATS JetStream, printing JetStream's receipt.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use cuemesh_publisher::{
    Attributes, ErrorKind, NatsConfig, Pin, PublishError, Publisher, PublisherConfig,
    RegistrySchema, Violation,
};

/// What `publish` was asked to do.
#[derive(Debug, Clone)]
pub struct PublishConfig {
    pub registry: String,
    pub nats: NatsConfig,
    pub pin: Pin,
    /// The JSON payload.
    pub data: PathBuf,
    /// The event id; a UUIDv7 when absent.
    pub id: Option<String>,
    pub subject: Option<String>,
}

/// How a publish ended, when it was not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishOutcome {
    Published,
    /// The data does not match the version; every violation was printed and nothing sent.
    Invalid,
    /// The NATS user may not publish on the event's subject; the server's refusal was printed
    /// and nothing was stored.
    Forbidden,
}

/// Publishes the file and prints the receipt, or every violation, to `out`. Errors (an
/// unreadable file, an unknown version, NATS or the registry unreachable) are returned.
pub fn run(config: &PublishConfig, out: &mut impl Write) -> anyhow::Result<PublishOutcome> {
    let payload = std::fs::read(&config.data)
        .with_context(|| format!("cannot read {}", config.data.display()))?;
    let attributes = Attributes {
        id: config.id.clone(),
        subject: config.subject.clone(),
        ..Attributes::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let published = runtime.block_on(async {
        let publisher = Publisher::connect(
            PublisherConfig::new(config.nats.clone(), config.registry.as_str()),
            RegistrySchema::new(config.registry.as_str()),
        )
        .await
        .with_context(|| format!("cannot publish {}", config.data.display()))?;
        anyhow::Ok(publisher.publish(&config.pin, &payload, attributes).await)
    })?;
    let file = config.data.display();
    match published {
        Ok(receipt) => {
            let note = if receipt.duplicate {
                " (a duplicate: JetStream already had this id)"
            } else {
                ""
            };
            writeln!(
                out,
                "published {} ({}) as {} #{}{note}",
                receipt.id, config.pin, receipt.stream, receipt.sequence
            )?;
            Ok(PublishOutcome::Published)
        }
        Err(PublishError::Invalid { violations, .. }) => {
            for Violation {
                path,
                code,
                message,
            } in &violations
            {
                let place = if path.is_empty() { "(root)" } else { path };
                writeln!(out, "{file}: {place}: {message} [{code}]")?;
            }
            writeln!(
                out,
                "not published: {} violation(s) of {}",
                violations.len(),
                config.pin
            )?;
            Ok(PublishOutcome::Invalid)
        }
        Err(error) if error.kind() == ErrorKind::Forbidden => {
            crate::output::error(format_args!("{error}"));
            Ok(PublishOutcome::Forbidden)
        }
        Err(error) if error.kind() == ErrorKind::Invalid => {
            Err(anyhow::Error::new(error).context("the event's attributes are not valid"))
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!("cannot publish {file}"))),
    }
}
