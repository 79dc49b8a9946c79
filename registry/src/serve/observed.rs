//! Observed consumers as the registry shows them: what receivers recorded in the key-value
//! bucket of `cuemesh_contract::observed`, kept up to date by whoever watches the bucket
//! (`cuemesh serve --nats`), beside the consumers the branch declares.
//!
//! The service itself never talks to NATS: the watcher hands each change to
//! [`ObservedConsumers::record`] and [`ObservedConsumers::remove`], and the handlers read a
//! copy of what one type was observed with.

use std::collections::BTreeMap;
use std::sync::RwLock;

use cuemesh_contract::observed::Observation;
use serde_json::{json, Value};

use super::Index;
use crate::Pin;

/// Every observation, by its key in the bucket.
#[derive(Debug, Default)]
pub struct ObservedConsumers {
    entries: RwLock<BTreeMap<String, Observation>>,
}

impl ObservedConsumers {
    /// An observation was recorded (or recorded again) under `key`.
    pub fn record(&self, key: String, observation: Observation) {
        self.write().insert(key, observation);
    }

    /// The entry under `key` was deleted.
    pub fn remove(&self, key: &str) {
        self.write().remove(key);
    }

    /// Forgets every observation (before a watch starts again from the bucket's contents).
    pub fn clear(&self) {
        self.write().clear();
    }

    /// The observations of one event type, by consumer, then version.
    pub fn of_type(&self, source: &str, event_type: &str) -> Vec<Observation> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let mut observations: Vec<Observation> = entries
            .values()
            .filter(|o| o.source == source && o.event_type == event_type)
            .cloned()
            .collect();
        observations.sort_by(|a, b| (&a.consumer, a.version).cmp(&(&b.consumer, b.version)));
        observations
    }

    /// Every observation, by consumer, source, type, then version.
    pub fn all(&self) -> Vec<Observation> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let mut observations: Vec<Observation> = entries.values().cloned().collect();
        observations.sort_by(|a, b| {
            (&a.consumer, &a.source, &a.event_type, a.version).cmp(&(
                &b.consumer,
                &b.source,
                &b.event_type,
                b.version,
            ))
        });
        observations
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Observation>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// One consumer of an event type: declared by a consumer file, observed by receivers, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeConsumer {
    pub id: String,
    /// The declared owner; `None` for a consumer no file declares.
    pub owner: Option<String>,
    /// The declared pin; for a consumer no file declares, the highest version it was observed
    /// decoding with.
    pub version: Pin,
    pub declared: bool,
    /// What receivers recorded of it for this type, one per version; empty when nothing was.
    pub observed: Vec<Observation>,
}

impl TypeConsumer {
    /// The consumer as `GET .../consumers` lists it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "owner": self.owner,
            "version": self.version.to_json(),
            "declared": self.declared,
            "observed": observed_json(&self.observed),
        })
    }

    /// `2 (last seen 2026-12-06T01:00:00Z)`, `1, 2 (last seen ...)`, or `None`.
    pub fn observed_text(&self) -> Option<String> {
        let last_seen = self.observed.iter().map(|o| &o.last_seen).max()?;
        let versions: Vec<String> = self
            .observed
            .iter()
            .map(|o| o.version.to_string())
            .collect();
        Some(format!("{} (last seen {last_seen})", versions.join(", ")))
    }
}

/// What receivers recorded of one consumer's reading of one type, one observation per version:
/// `{"last_seen", "versions": [{"version", "last_seen"}]}`, or `null` when nothing was.
fn observed_json(observations: &[Observation]) -> Value {
    match observations.iter().map(|o| &o.last_seen).max() {
        None => Value::Null,
        Some(last_seen) => json!({
            "last_seen": last_seen,
            "versions": observations.iter().map(|o| json!({
                "version": o.version,
                "last_seen": o.last_seen,
            })).collect::<Vec<_>>(),
        }),
    }
}

/// Every consumer as `GET /v1/consumers` lists it: the declared ones in file order, each read
/// with what receivers recorded of it, then those receivers recorded that no file declares, by
/// id, each with the types it was observed decoding (its `version` the highest observed).
pub fn all_consumers(index: &Index, observed: &ObservedConsumers) -> Vec<Value> {
    let mut observations = observed.all();
    let mut take = |consumer: &str, source: &str, event_type: &str| -> Vec<Observation> {
        let (mine, others) = observations.drain(..).partition(|o: &Observation| {
            o.consumer == consumer && o.source == source && o.event_type == event_type
        });
        observations = others;
        mine
    };
    let mut listed: Vec<Value> = index
        .consumers
        .iter()
        .map(|consumer| {
            let id = consumer.id.as_deref().unwrap_or_default();
            let reads: Vec<Value> = consumer
                .reads
                .iter()
                .map(|read| {
                    let seen = take(id, &read.source, &read.event_type);
                    json!({
                        "source": read.source,
                        "type": read.event_type,
                        "version": read.version.to_json(),
                        "observed": observed_json(&seen),
                    })
                })
                .collect();
            json!({
                "id": consumer.id,
                "owner": consumer.owner,
                "description": consumer.description,
                "file": consumer.path,
                "declared": true,
                "reads": reads,
            })
        })
        .collect();
    // What is left was recorded of reads no file declares. A declared consumer observed
    // decoding a type it does not declare is listed again, undeclared, for that type.
    let mut undeclared: BTreeMap<&str, BTreeMap<(&str, &str), Vec<&Observation>>> = BTreeMap::new();
    for observation in &observations {
        undeclared
            .entry(&observation.consumer)
            .or_default()
            .entry((&observation.source, &observation.event_type))
            .or_default()
            .push(observation);
    }
    for (id, types) in undeclared {
        let reads: Vec<Value> = types
            .into_iter()
            .map(|((source, event_type), seen)| {
                let seen: Vec<Observation> = seen.into_iter().cloned().collect();
                let version = seen.iter().map(|o| o.version).max().unwrap_or(1);
                json!({
                    "source": source,
                    "type": event_type,
                    "version": version,
                    "observed": observed_json(&seen),
                })
            })
            .collect();
        listed.push(json!({
            "id": id,
            "owner": null,
            "description": null,
            "file": null,
            "declared": false,
            "reads": reads,
        }));
    }
    listed
}

/// The consumers of one event type: every declared one in file order, each with what was
/// observed of it, then the observed consumers no file declares for the type, by id.
pub fn type_consumers(
    index: &Index,
    observed: &ObservedConsumers,
    source: &str,
    event_type: &str,
) -> Vec<TypeConsumer> {
    let mut observations = observed.of_type(source, event_type);
    let mut consumers: Vec<TypeConsumer> = index
        .consumers_of(source, event_type)
        .into_iter()
        .map(|(consumer, version)| {
            let id = consumer.id.clone().unwrap_or_default();
            let (mine, others) = observations.drain(..).partition(|o| o.consumer == id);
            observations = others;
            TypeConsumer {
                id,
                owner: consumer.owner.clone(),
                version,
                declared: true,
                observed: mine,
            }
        })
        .collect();
    // `observations` is sorted by consumer: each run of one consumer is one undeclared entry.
    for observation in observations {
        match consumers.last_mut() {
            Some(last) if !last.declared && last.id == observation.consumer => {
                last.version = Pin::Version(observation.version);
                last.observed.push(observation);
            }
            _ => consumers.push(TypeConsumer {
                id: observation.consumer.clone(),
                owner: None,
                version: Pin::Version(observation.version),
                declared: false,
                observed: vec![observation],
            }),
        }
    }
    consumers
}
