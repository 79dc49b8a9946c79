//! Observed consumers: a [`ConsumerRecorder`] writes "consumer X decoded type T at version V"
//! into the JetStream key-value bucket `cuemesh-consumers` (the layout is
//! `cuemesh_contract::observed`'s), at most once a minute per (consumer, type, version), and
//! [`read_observations`] and [`watch_observations`] read it back for `check` and the registry.
//!
//! Recording never stands between a receiver and its events: a write that fails is kept for
//! the caller to report ([`ConsumerRecorder::take_failure`]) and logged, and the event is
//! delivered all the same.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, context::GetStreamErrorKind, kv};
use futures::{Stream, StreamExt};

pub use cuemesh_contract::observed::{
    observation_key, Observation, CONSUMERS_BUCKET, RECORD_INTERVAL,
};

use crate::schema::Pin;

/// Why observations could not be recorded or read.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error("cannot open the key-value bucket {CONSUMERS_BUCKET}")]
    Bucket {
        #[source]
        source: async_nats::Error,
    },
    #[error("the key-value bucket {CONSUMERS_BUCKET} does not exist and cannot be created")]
    Create {
        #[source]
        source: async_nats::Error,
    },
    #[error("cannot record {key} in the key-value bucket {CONSUMERS_BUCKET}")]
    Put {
        key: String,
        #[source]
        source: async_nats::Error,
    },
    #[error("cannot read the key-value bucket {CONSUMERS_BUCKET}")]
    Read {
        #[source]
        source: async_nats::Error,
    },
    #[error("the entry {key} of the key-value bucket {CONSUMERS_BUCKET} is not an observation: {message}")]
    Value { key: String, message: String },
}

/// Records the versions one consumer decodes.
pub struct ConsumerRecorder {
    consumer: String,
    store: kv::Store,
    interval: Duration,
    /// When each pin was last recorded (or last tried).
    recorded: Mutex<HashMap<Pin, Instant>>,
    /// The last write that failed, until the caller takes it.
    failure: Mutex<Option<ObserveError>>,
}

impl ConsumerRecorder {
    /// A recorder for consumer `consumer` (its `consumer.id`), creating the bucket when absent.
    pub async fn open(
        jetstream: &jetstream::Context,
        consumer: &str,
    ) -> Result<ConsumerRecorder, ObserveError> {
        let store = match bucket(jetstream).await? {
            Some(store) => store,
            None => create_bucket(jetstream).await?,
        };
        Ok(ConsumerRecorder {
            consumer: consumer.to_string(),
            store,
            interval: RECORD_INTERVAL,
            recorded: Mutex::new(HashMap::new()),
            failure: Mutex::new(None),
        })
    }

    /// The consumer recorded.
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    /// Records that the consumer decoded an event of `pin`, unless it was recorded less than a
    /// minute ago. Whether it wrote.
    pub async fn record(&self, pin: &Pin) -> Result<bool, ObserveError> {
        {
            let mut recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
            if recorded
                .get(pin)
                .is_some_and(|at| at.elapsed() < self.interval)
            {
                return Ok(false);
            }
            // Marked before the write: concurrent receives of the same pin write once, and a
            // failing bucket is retried a minute later, not on every event.
            recorded.insert(pin.clone(), Instant::now());
        }
        let observation = Observation {
            consumer: self.consumer.clone(),
            source: pin.source.clone(),
            event_type: pin.event_type.clone(),
            version: pin.version,
            last_seen: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let key = observation.key();
        let value = serde_json::to_vec(&observation).expect("an observation is JSON");
        self.store
            .put(&key, value.into())
            .await
            .map_err(|source| ObserveError::Put {
                key,
                source: source.into(),
            })?;
        Ok(true)
    }

    /// Records `pin` and keeps a failure for [`ConsumerRecorder::take_failure`].
    pub(crate) async fn record_or_keep_failure(&self, pin: &Pin) {
        if let Err(error) = self.record(pin).await {
            tracing::warn!(%error, consumer = %self.consumer, "cannot record an observed consumer");
            *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
        }
    }

    /// The last write that failed since this was last asked, if any.
    pub fn take_failure(&self) -> Option<ObserveError> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

/// Creates the bucket: the stream a key-value bucket is (`KV_<bucket>` on `$KV.<bucket>.>`,
/// one value per key), created as such rather than through the client's key-value helper,
/// which first asks for account details that older servers (Debian's 2.9) answer in a form it
/// does not read. Creating a stream that exists with the same settings succeeds, so two
/// receivers starting at once both get it.
async fn create_bucket(jetstream: &jetstream::Context) -> Result<kv::Store, ObserveError> {
    let create_error = |source: async_nats::Error| ObserveError::Create { source };
    jetstream
        .create_stream(jetstream::stream::Config {
            name: format!("KV_{CONSUMERS_BUCKET}"),
            description: Some(
                "consumers seen decoding event types, per version (cuemesh)".to_string(),
            ),
            subjects: vec![format!("$KV.{CONSUMERS_BUCKET}.>")],
            max_messages_per_subject: 1,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: jetstream::stream::DiscardPolicy::New,
            ..jetstream::stream::Config::default()
        })
        .await
        .map_err(|error| create_error(error.into()))?;
    jetstream
        .get_key_value(CONSUMERS_BUCKET)
        .await
        .map_err(|error| create_error(error.into()))
}

/// The bucket, `None` when it does not exist.
async fn bucket(jetstream: &jetstream::Context) -> Result<Option<kv::Store>, ObserveError> {
    let bucket_error = |source: async_nats::Error| ObserveError::Bucket { source };
    match jetstream.get_stream(format!("KV_{CONSUMERS_BUCKET}")).await {
        Ok(_) => {}
        Err(error) => {
            if let GetStreamErrorKind::JetStream(inner) = error.kind() {
                if inner.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND {
                    return Ok(None);
                }
            }
            return Err(bucket_error(error.into()));
        }
    }
    jetstream
        .get_key_value(CONSUMERS_BUCKET)
        .await
        .map(Some)
        .map_err(|error| bucket_error(error.into()))
}

/// Every observation in the bucket now, `None` when there is no bucket. Entries that are not
/// observations are returned as errors beside them, never dropped silently.
pub async fn read_observations(
    jetstream: &jetstream::Context,
) -> Result<Option<(Vec<Observation>, Vec<ObserveError>)>, ObserveError> {
    let Some(store) = bucket(jetstream).await? else {
        return Ok(None);
    };
    let read_error = |source: async_nats::Error| ObserveError::Read { source };
    let mut keys = store
        .keys()
        .await
        .map_err(|error| read_error(error.into()))?;
    let mut observations = Vec::new();
    let mut errors = Vec::new();
    while let Some(key) = keys.next().await {
        let key = key.map_err(|error| read_error(error.into()))?;
        let Some(value) = store
            .get(&key)
            .await
            .map_err(|error| read_error(error.into()))?
        else {
            continue;
        };
        match parse(&key, &value) {
            Ok(observation) => observations.push(observation),
            Err(error) => errors.push(error),
        }
    }
    observations.sort_by_key(Observation::key);
    Ok(Some((observations, errors)))
}

/// A change of the bucket seen by [`watch_observations`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObservationChange {
    /// An observation was recorded (or recorded again) under `key`.
    Recorded {
        key: String,
        observation: Observation,
    },
    /// The entry under `key` was deleted or purged.
    Removed { key: String },
}

/// Every observation in the bucket, then every change as it happens; `None` when there is no
/// bucket. An entry that is not an observation is an error item, after which the watch goes
/// on.
pub async fn watch_observations(
    jetstream: &jetstream::Context,
) -> Result<Option<impl Stream<Item = Result<ObservationChange, ObserveError>>>, ObserveError> {
    let Some(store) = bucket(jetstream).await? else {
        return Ok(None);
    };
    let watch = store
        .watch_with_history(">")
        .await
        .map_err(|error| ObserveError::Read {
            source: error.into(),
        })?;
    Ok(Some(watch.map(|entry| {
        let entry = entry.map_err(|error| ObserveError::Read {
            source: error.into(),
        })?;
        match entry.operation {
            kv::Operation::Put => Ok(ObservationChange::Recorded {
                observation: parse(&entry.key, &entry.value)?,
                key: entry.key,
            }),
            kv::Operation::Delete | kv::Operation::Purge => {
                Ok(ObservationChange::Removed { key: entry.key })
            }
        }
    })))
}

fn parse(key: &str, value: &[u8]) -> Result<Observation, ObserveError> {
    serde_json::from_slice(value).map_err(|error| ObserveError::Value {
        key: key.to_string(),
        message: error.to_string(),
    })
}
