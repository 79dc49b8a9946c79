//! Pinned schema versions: what a [`Pin`] names, where its CUE comes from ([`SchemaSource`]),
//! and the compiled [`Validator`] the publisher caches for the life of the process.
//!
//! [`LocalSchema`] reads a package from a local checkout of the governance repository;
//! [`crate::RegistrySchema`] fetches the version from the registry's HTTP API.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use crate::error::Violation;

pub use cuemesh_contract::Pin;

/// A compiled validator for one pinned version.
#[derive(Clone)]
pub struct Validator {
    pub pin: Pin,
    pub schema: cue::Schema,
    /// The version's digest (`sha256:...`) when it was computed (an expected digest was given).
    pub digest: Option<String>,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator")
            .field("pin", &self.pin)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

impl Validator {
    /// Every way the JSON `text` fails the schema (empty when it is valid), each with its path
    /// relative to the data root. `file_name` is what positions in the diagnostics name.
    pub fn violations(&self, file_name: &str, text: &str) -> Vec<Violation> {
        self.schema
            .validate_json(file_name, text)
            .errors
            .iter()
            .map(|diagnostic| Violation {
                path: diagnostic.path.clone(),
                code: diagnostic.code,
                message: diagnostic.message.clone(),
            })
            .collect()
    }
}

/// Compiled validators per pin, each resolved from a [`SchemaSource`] on first use and kept
/// for the life of the cache: a pinned version never changes. Shared by the publisher and the
/// receiver.
pub(crate) struct ValidatorCache {
    source: Box<dyn SchemaSource>,
    validators: Mutex<HashMap<Pin, Arc<Validator>>>,
}

impl ValidatorCache {
    pub(crate) fn new(source: Box<dyn SchemaSource>) -> ValidatorCache {
        ValidatorCache {
            source,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The validator of `pin`, resolved and compiled on first use.
    pub(crate) async fn get(&self, pin: &Pin) -> Result<Arc<Validator>, SchemaError> {
        if let Some(validator) = self.cached(pin) {
            return Ok(validator);
        }
        // Two first uses at once both compile; the first to finish is kept.
        let compiled = Arc::new(self.source.resolve(pin).await?);
        let mut validators = self.validators.lock().unwrap_or_else(|p| p.into_inner());
        Ok(validators.entry(pin.clone()).or_insert(compiled).clone())
    }

    fn cached(&self, pin: &Pin) -> Option<Arc<Validator>> {
        let validators = self.validators.lock().unwrap_or_else(|p| p.into_inner());
        validators.get(pin).cloned()
    }
}

/// Why a pinned version could not be turned into a validator.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("no schema is known for {pin}")]
    NotFound { pin: Pin },
    #[error("reading the schema of {pin} from {path}")]
    Read {
        pin: Pin,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the CUE package of {pin} does not load: {}", headlines(.problems))]
    Load { pin: Pin, problems: Vec<String> },
    #[error("the definition {definition} of {pin} does not compile: {}", headlines(.problems))]
    Definition {
        pin: Pin,
        definition: String,
        problems: Vec<String>,
    },
    #[error("the registry at {url} cannot be reached for {pin}: {reason}")]
    Unavailable {
        pin: Pin,
        url: String,
        reason: String,
    },
    #[error("the registry answered {status} to {url} for {pin}: {message}")]
    Registry {
        pin: Pin,
        url: String,
        status: u16,
        message: String,
    },
    #[error("the registry's answer at {url} for {pin} is not what was expected: {reason}")]
    Document {
        pin: Pin,
        url: String,
        reason: String,
    },
    #[error("{url:?} is not the registry URL of a version: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("the schema of {pin} has digest {actual}, not the pinned {expected}")]
    DigestMismatch {
        pin: Pin,
        expected: String,
        actual: String,
    },
}

impl SchemaError {
    /// [`NotFound`](crate::ErrorKind::NotFound) for an unknown version,
    /// [`Unavailable`](crate::ErrorKind::Unavailable) when the registry cannot be reached (or
    /// fails), [`Internal`](crate::ErrorKind::Internal) for the rest: a schema that does not
    /// load, compile or match its digest, a malformed answer.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            SchemaError::NotFound { .. } => crate::ErrorKind::NotFound,
            SchemaError::Unavailable { .. } => crate::ErrorKind::Unavailable,
            SchemaError::BadUrl { .. } => crate::ErrorKind::Invalid,
            _ => crate::ErrorKind::Internal,
        }
    }
}

fn headlines(problems: &[String]) -> String {
    problems.join("; ")
}

fn diagnostic_headlines(diagnostics: &[cue::Diagnostic]) -> Vec<String> {
    diagnostics.iter().map(cue::Diagnostic::headline).collect()
}

/// Where the CUE of a pinned version comes from. Implementations are asked at most once per
/// pin per [`crate::Publisher`]: the result is cached.
pub trait SchemaSource: Send + Sync {
    fn resolve<'a>(&'a self, pin: &'a Pin) -> BoxFuture<'a, Result<Validator, SchemaError>>;
}

/// One version known to a [`LocalSchema`]: the package directory, the definition of the event
/// (`#OrderCreated`) and, when given, the digest the registry published for it.
#[derive(Debug, Clone)]
pub struct LocalVersion {
    pub pin: Pin,
    pub directory: PathBuf,
    pub definition: String,
    /// `sha256:...` as the registry lists it; `None` skips the check.
    pub expected_digest: Option<String>,
}

/// Schemas read from CUE packages on disk (a checkout of the governance repository). Imports
/// resolve through the enclosing CUE module (`cue.mod/module.cue`) when there is one.
#[derive(Debug, Default, Clone)]
pub struct LocalSchema {
    versions: HashMap<Pin, LocalVersion>,
}

impl LocalSchema {
    pub fn new() -> LocalSchema {
        LocalSchema::default()
    }

    /// Declares where the CUE of `pin` is. A later call for the same pin replaces it.
    pub fn with_version(
        mut self,
        pin: Pin,
        directory: impl Into<PathBuf>,
        definition: impl Into<String>,
        expected_digest: Option<String>,
    ) -> LocalSchema {
        let version = LocalVersion {
            pin: pin.clone(),
            directory: directory.into(),
            definition: definition.into(),
            expected_digest,
        };
        self.versions.insert(pin, version);
        self
    }

    fn compile(version: &LocalVersion) -> Result<Validator, SchemaError> {
        let pin = &version.pin;
        let files = read_package_files(&version.directory).map_err(|source| SchemaError::Read {
            pin: pin.clone(),
            path: version.directory.clone(),
            source,
        })?;
        let package = match cue::DirectoryResolver::find(&version.directory) {
            Some(resolver) => cue::Package::load(files, &resolver),
            None => cue::Package::load(files, &cue::NoImports),
        };
        validator_of(
            pin,
            &package,
            &version.definition,
            version.expected_digest.as_deref(),
        )
    }
}

/// The validator of `definition` in a loaded `package`, checked against `expected_digest`
/// (the registry's digest: SHA-256 of the canonical JSON Schema export) when one is given.
pub(crate) fn validator_of(
    pin: &Pin,
    package: &cue::Package,
    definition: &str,
    expected_digest: Option<&str>,
) -> Result<Validator, SchemaError> {
    if !package.diagnostics().is_empty() {
        return Err(SchemaError::Load {
            pin: pin.clone(),
            problems: diagnostic_headlines(package.diagnostics()),
        });
    }
    let definition_error = |problems: Vec<cue::Diagnostic>| SchemaError::Definition {
        pin: pin.clone(),
        definition: definition.to_string(),
        problems: diagnostic_headlines(&problems),
    };
    let schema = package.schema(Some(definition)).map_err(definition_error)?;
    let digest = match expected_digest {
        None => None,
        Some(expected) => {
            let document = package
                .json_schema(Some(definition))
                .map_err(definition_error)?;
            let actual = cuemesh_contract::canonical::CanonicalSchema::from_json_schema(&document)
                .digest
                .as_str()
                .to_string();
            if actual != expected {
                return Err(SchemaError::DigestMismatch {
                    pin: pin.clone(),
                    expected: expected.to_string(),
                    actual,
                });
            }
            Some(actual)
        }
    };
    Ok(Validator {
        pin: pin.clone(),
        schema,
        digest,
    })
}

impl SchemaSource for LocalSchema {
    fn resolve<'a>(&'a self, pin: &'a Pin) -> BoxFuture<'a, Result<Validator, SchemaError>> {
        Box::pin(async move {
            let version = self
                .versions
                .get(pin)
                .ok_or_else(|| SchemaError::NotFound { pin: pin.clone() })?
                .clone();
            off_the_async_threads(move || LocalSchema::compile(&version)).await
        })
    }
}

/// Runs CPU work (loading CUE) on the blocking pool, away from the async worker threads.
pub(crate) async fn off_the_async_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|join_error| std::panic::resume_unwind(join_error.into_panic()))
}

/// The `.cue` files directly in `directory`, sorted by name, named by their path.
fn read_package_files(directory: &Path) -> std::io::Result<cue::PackageFiles> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(directory)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "cue"))
        .collect();
    names.sort();
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        let text = std::fs::read_to_string(&name)?;
        files.push((name.display().to_string(), text));
    }
    Ok(cue::PackageFiles { files })
}
