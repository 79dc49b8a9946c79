//! [`RegistrySchema`]: pinned versions fetched from a cuemesh registry over HTTP, and
//! [`parse_version_url`], which reads a `dataschema` URL back into its registry and [`Pin`].
//!
//! Resolving a pin takes two requests, `GET <base>/v1/sources/{s}/types/{t}/versions/{n}`
//! (the version's `definition` and `digest`) and `GET .../versions/{n}/package` (the CUE files
//! of its package and of every package they import). The package is loaded here, the
//! definition compiled, and its canonical JSON Schema digested the way the registry does
//! (`cue::canonical`): a digest other than the registry's is an error, never a validator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use percent_encoding::percent_decode_str;
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
/// the registry's base URL and the [`Pin`]:
/// `https://r.example/v1/sources/orders/types/OrderCreated/versions/3` is
/// (`https://r.example`, orders OrderCreated v3).
pub fn parse_version_url(url: &str) -> Result<(String, Pin), SchemaError> {
    let bad = |reason: &str| SchemaError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("it does not start with http:// or https://"))?;
    if rest.starts_with('/') || rest.is_empty() {
        return Err(bad("it has no host"));
    }
    if url.contains(['?', '#']) {
        return Err(bad("a version URL has no query or fragment"));
    }
    let marker = "/v1/sources/";
    let at = url
        .rfind(marker)
        .filter(|at| *at >= url.len() - rest.len())
        .ok_or_else(|| bad("its path has no /v1/sources/"))?;
    let base = &url[..at];
    let segments: Vec<&str> = url[at + marker.len()..].split('/').collect();
    let [source, "types", event_type, "versions", number] = segments.as_slice() else {
        return Err(bad(
            "expected /v1/sources/{source}/types/{type}/versions/{n} at the end",
        ));
    };
    let decode = |segment: &str, what: &str| {
        let text = percent_decode_str(segment)
            .decode_utf8()
            .map_err(|_| bad(&format!("the {what} is not UTF-8 once decoded")))?;
        if text.is_empty() {
            return Err(bad(&format!("the {what} is empty")));
        }
        Ok(text.into_owned())
    };
    let source = decode(source, "source")?;
    let event_type = decode(event_type, "type")?;
    let canonical = !number.is_empty()
        && number.bytes().all(|byte| byte.is_ascii_digit())
        && !number.starts_with('0');
    let version = number
        .parse::<u32>()
        .ok()
        .filter(|_| canonical)
        .ok_or_else(|| bad(&format!("{number:?} is not a version number from 1")))?;
    Ok((base.to_string(), Pin::new(source, event_type, version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_url_reads_back_into_its_base_and_pin() {
        for (base, source, event_type, version) in [
            (
                "https://registry.example",
                "com.example/orders",
                "OrderCreated",
                3,
            ),
            (
                "http://127.0.0.1:8080/prefix/v1/sources/x",
                "a b",
                "t%:é",
                12,
            ),
        ] {
            let url = version_url(base, source, event_type, version);
            let (parsed_base, pin) = parse_version_url(&url).expect(&url);
            assert_eq!(parsed_base, base);
            assert_eq!(pin, Pin::new(source, event_type, version));
        }
    }

    #[test]
    fn malformed_version_urls_say_what_is_wrong() {
        for (url, expected) in [
            ("ftp://r/v1/sources/s/types/t/versions/1", "http://"),
            ("https:///v1/sources/s/types/t/versions/1", "no host"),
            ("https://r/v2/sources/s/types/t/versions/1", "/v1/sources/"),
            ("https://r/v1/sources/s/types/t/versions/0", "not a version"),
            (
                "https://r/v1/sources/s/types/t/versions/01",
                "not a version",
            ),
            (
                "https://r/v1/sources/s/types/t/versions/latest",
                "not a version",
            ),
            (
                "https://r/v1/sources/s/types/t/versions/1/jsonschema",
                "at the end",
            ),
            (
                "https://r/v1/sources//types/t/versions/1",
                "source is empty",
            ),
            ("https://r/v1/sources/%FF/types/t/versions/1", "not UTF-8"),
            ("https://r/v1/sources/s/types/t/versions/1?x", "query"),
        ] {
            let error = parse_version_url(url).expect_err(url).to_string();
            assert!(error.contains(expected), "{url}: {error}");
        }
    }
}
