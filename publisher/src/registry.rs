//! [`RegistrySchema`]: pinned versions fetched from a cuemesh registry over HTTP, and
//! [`parse_version_url`], which reads a `dataschema` URL back into its registry and [`Pin`].
//!
//! Resolving a pin takes two requests, `GET <base>/v1/sources/{s}/types/{t}/versions/{n}`
//! (the version's `definition` and `digest`) and `GET .../versions/{n}/package` (the CUE files
//! of its package and of every package they import). The package is loaded here, the
//! definition compiled, and its canonical JSON Schema digested the way the registry does
//! (`cuemesh_contract::canonical`): a digest other than the registry's is an error, never a validator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::Value;

use crate::http::{HttpClient, HttpFailure};
use crate::schema::{
    off_the_async_threads, validator_of, Pin, SchemaError, SchemaSource, Validator,
};
use crate::subject::version_url;

/// Schemas resolved from a registry's HTTP API, compiled once per pin and kept for the life
/// of the value (a pinned version never changes). Cheap to clone: clones share the cache.
#[derive(Clone)]
pub struct RegistrySchema {
    base: String,
    http: HttpClient,
    validators: Arc<Mutex<HashMap<Pin, Validator>>>,
}

impl std::fmt::Debug for RegistrySchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrySchema")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl RegistrySchema {
    /// A resolver for the registry at `base` (`https://registry.example`, or with a path
    /// prefix); each request may take up to 10 seconds.
    pub fn new(base: impl Into<String>) -> RegistrySchema {
        RegistrySchema::with_timeout(base, Duration::from_secs(10))
    }

    pub fn with_timeout(base: impl Into<String>, timeout: Duration) -> RegistrySchema {
        let base: String = base.into();
        RegistrySchema {
            base: base.trim_end_matches('/').to_string(),
            http: HttpClient::new(timeout),
            validators: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The registry's base URL, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The validator of `pin`: from the cache, or fetched, checked and compiled.
    pub async fn validator(&self, pin: &Pin) -> Result<Validator, SchemaError> {
        if let Some(validator) = self.lock().get(pin) {
            return Ok(validator.clone());
        }
        let validator = self.fetch(pin).await?;
        Ok(self.lock().entry(pin.clone()).or_insert(validator).clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Pin, Validator>> {
        self.validators.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn fetch(&self, pin: &Pin) -> Result<Validator, SchemaError> {
        let url = version_url(&self.base, &pin.source, &pin.event_type, pin.version);
        let metadata = self.get(pin, &url).await?;
        let field = |name: &str| {
            metadata[name]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| SchemaError::Document {
                    pin: pin.clone(),
                    url: url.clone(),
                    reason: format!("no string {name:?} in the version's metadata"),
                })
        };
        let definition = field("definition")?;
        let digest = field("digest")?;
        let package_url = format!("{url}/package");
        let document = self.get(pin, &package_url).await?;
        let owned_pin = pin.clone();
        off_the_async_threads(move || {
            let pin = &owned_pin;
            let package =
                load_package_document(&document).map_err(|reason| SchemaError::Document {
                    pin: pin.clone(),
                    url: package_url,
                    reason,
                })?;
            validator_of(pin, &package, &definition, Some(&digest))
        })
        .await
    }

    async fn get(&self, pin: &Pin, url: &str) -> Result<Value, SchemaError> {
        self.http
            .get_json(url)
            .await
            .map_err(|failure| match failure {
                HttpFailure::Status { status: 404, .. } => {
                    SchemaError::NotFound { pin: pin.clone() }
                }
                HttpFailure::Status {
                    status,
                    code,
                    message,
                } if status >= 500 && code.is_none() => SchemaError::Unavailable {
                    pin: pin.clone(),
                    url: url.to_string(),
                    reason: format!("HTTP {status}: {message}"),
                },
                HttpFailure::Status {
                    status,
                    code,
                    message,
                } => SchemaError::Registry {
                    pin: pin.clone(),
                    url: url.to_string(),
                    status,
                    message: match code {
                        Some(code) => format!("{code}: {message}"),
                        None => message,
                    },
                },
                HttpFailure::Unreachable(reason) => SchemaError::Unavailable {
                    pin: pin.clone(),
                    url: url.to_string(),
                    reason,
                },
                HttpFailure::BadUrl(reason) | HttpFailure::Body(reason) => SchemaError::Document {
                    pin: pin.clone(),
                    url: url.to_string(),
                    reason,
                },
            })
    }
}

impl SchemaSource for RegistrySchema {
    fn resolve<'a>(&'a self, pin: &'a Pin) -> BoxFuture<'a, Result<Validator, SchemaError>> {
        Box::pin(self.validator(pin))
    }
}

/// Loads the registry's `/package` document:
/// `{"files": [{"name", "text"}...], "imports": {"<path>": [{"name", "text"}...]}}`.
fn load_package_document(document: &Value) -> Result<cue::Package, String> {
    fn files(list: &Value, what: &str) -> Result<cue::PackageFiles, String> {
        let list = list
            .as_array()
            .ok_or_else(|| format!("{what} is not a list of files"))?;
        let mut files = Vec::with_capacity(list.len());
        for (position, file) in list.iter().enumerate() {
            match (file["name"].as_str(), file["text"].as_str()) {
                (Some(name), Some(text)) => files.push((name.to_string(), text.to_string())),
                _ => {
                    return Err(format!(
                        "file {position} of {what} has no string \"name\" and \"text\""
                    ))
                }
            }
        }
        Ok(cue::PackageFiles { files })
    }
    let package = files(&document["files"], "\"files\"")?;
    let imports = document["imports"]
        .as_object()
        .ok_or_else(|| "\"imports\" is not an object".to_string())?;
    let mut packages = HashMap::with_capacity(imports.len());
    for (path, list) in imports {
        packages.insert(path.clone(), files(list, &format!("import {path:?}"))?);
    }
    Ok(cue::Package::load(
        package,
        &cue::MemoryResolver { packages },
    ))
}

/// Reads a version URL (a CloudEvent's `dataschema`, as [`version_url`] writes it) back into
/// the registry's base URL and the [`Pin`] (`cuemesh_contract::url::parse_version_url`, with
/// its error as a [`SchemaError::BadUrl`]).
pub fn parse_version_url(url: &str) -> Result<(String, Pin), SchemaError> {
    cuemesh_contract::url::parse_version_url(url).map_err(|error| SchemaError::BadUrl {
        url: error.url,
        reason: error.reason,
    })
}
