//! The publisher: validates a JSON payload against a pinned schema version, wraps it in a
//! CloudEvent and publishes it to NATS JetStream, answering only after the stream's PubAck.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use cuemesh_publisher::{Attributes, LocalSchema, Pin, Publisher, PublisherConfig};
//!
//! let pin = Pin::new("com.example.orders", "OrderCreated", 3);
//! let schemas = LocalSchema::new().with_version(pin.clone(), "schemas/orders", "#OrderCreated", None);
//! let config = PublisherConfig::new("nats://127.0.0.1:4222", "https://registry.example");
//! let publisher = Publisher::connect(config, schemas).await?;
//! let receipt = publisher.publish(&pin, br#"{"id": "o-1"}"#, Attributes::default()).await?;
//! println!("stored as {} #{}", receipt.stream, receipt.sequence);
//! # Ok(())
//! # }
//! ```

mod acks;
mod config;
mod error;
mod event;
mod http;
mod nats;
mod observe;
mod outbox;
mod publisher;
mod receive;
mod registry;
mod replay;
mod schema;
pub mod sidecar;
mod subject;
pub mod tls;

pub use cloudevents::event::ExtensionValue;
pub use config::{ContentMode, PublisherConfig, RetryPolicy, StreamSettings};
pub use error::{ConnectError, ErrorKind, PublishError, Violation};
pub use event::{Attributes, APPLICATION_JSON, CLOUDEVENTS_JSON, MESSAGE_ID_HEADER};
pub use nats::{NatsConfig, NatsError, Secret};
pub use observe::{
    observation_key, read_observations, watch_observations, ConsumerRecorder, Observation,
    ObservationChange, ObserveError, CONSUMERS_BUCKET, RECORD_INTERVAL,
};
pub use publisher::{Publisher, Receipt};
pub use receive::{
    decode, ConsumeError, DecodeError, Delivery, EventAttributes, EventData, Received, Receiver,
    ReceiverConfig, StartAt, SubscribeConfig, Unchecked, Validation,
};
pub use registry::{parse_version_url, RegistrySchema};
pub use replay::{
    ReplayConfig, ReplayError, ReplayStart, StoredData, StoredEvent, StoredEvents, StoredMessage,
};
pub use schema::{LocalSchema, LocalVersion, Pin, SchemaError, SchemaSource, Validator};
pub use subject::{filter_subject, publish_url, subject_for, subject_token, version_url};
