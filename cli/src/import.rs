//! `cuemesh import`: schemas written in other languages to CUE packages.
//!
//! `import jsonschema`: JSON Schema files to a CUE package (see `cue::jsonschema`). Each file's root schema becomes a definition: `--definition`, else the file's `title`, else
//! `#Schema` (with several files, the title, else the file's name). `$ref`s to sibling files
//! (`other.json#/$defs/x`) are read from the disk and imported into the same output. What CUE
//! cannot state is printed as a warning (file, JSON pointer, keyword) and kept as a comment
//! in the output. The output is loaded by the engine before it is written, so a file that
//! `vet` could not use is never written.
//!
//! `import avro`: Avro schema files (`.avsc`) to a CUE package (see `cue::avro`), with the same
//! rules for warnings and the same check before writing.

pub mod registry;

use anyhow::{bail, Context};
use cue::jsonschema::{self, Loader, Options, Root};
use cue::{NoImports, Package, PackageFiles};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `cuemesh import` reads.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Import JSON Schema files (drafts 4, 6, 7, 2019-09, 2020-12) as a CUE package.
    ///
    /// Each file's root schema becomes a definition (--definition, else the file's `title`,
    /// else `#Schema`); `$defs`/`definitions` become definitions of their own, and `$ref`s
    /// to sibling files (or, from a URL, sibling URLs) are imported too. Formats become builtins (`date-time` is
    /// `time.Time`, `uuid` is `uuid.Valid`, `ipv4` is `net.IPv4`, ...),
    /// `additionalProperties`/`patternProperties` closedness and pattern constraints,
    /// `anyOf`/`oneOf` disjunctions, `enum`/`const` literals, `default` defaults,
    /// `description` doc comments. What CUE cannot state (`if`/`then`/`else`, most `not`,
    /// `contains` with a schema, an overlapping `oneOf`) is kept as a comment and printed as
    /// a warning naming the keyword and its JSON pointer.
    ///
    /// Exit status: 0 when imported (warnings allowed), 2 when a file cannot be read, is not
    /// JSON, or is not a schema (the error names file and JSON pointer).
    Jsonschema {
        /// The JSON Schema files (YAML when named `.yaml` or `.yml`), or `http://` and
        /// `https://` URLs (YAML when so named or served as YAML by its `Content-Type`).
        #[arg(required = true, value_name = "FILE|URL")]
        files: Vec<PathBuf>,

        /// The name of the root definition (`#Order` or `Order`), for one file.
        #[arg(long, value_name = "NAME")]
        definition: Option<String>,

        /// The package clause of the output.
        #[arg(long, value_name = "NAME")]
        package: Option<String>,

        /// Write the CUE to this file instead of standard output.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Import Avro schema files (`.avsc`) as a CUE package.
    ///
    /// Each record, enum and fixed becomes a definition named by its name (`#OrderPlaced`);
    /// a file whose root is not a named type (a union, an array) becomes `#Schema`, or with
    /// several files a definition named by the file. Names used across files resolve. The CUE
    /// judges the plain JSON a producer sends as CloudEvent data: a union is the disjunction
    /// of its branches (`null | string`, not Avro's `{"string": "x"}`), `int`/`long` are
    /// `int32`/`int64`, a field with a default is optional with that default (`*null | T`),
    /// one without is required. `doc` becomes doc comments; logical types `uuid`,
    /// `time-millis`/`time-micros` are checked, `date` and `timestamp-*` are their integers
    /// with a comment. What CUE cannot state (the size of a `fixed`, `decimal`, `duration`)
    /// is kept as a comment and printed as a warning naming it and its JSON pointer.
    ///
    /// Exit status: 0 when imported (warnings allowed), 2 when a file cannot be read, is not
    /// JSON, or is not an Avro schema (the error names file and JSON pointer).
    Avro {
        /// The Avro schema files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,

        /// The package clause of the output.
        #[arg(long, value_name = "NAME")]
        package: Option<String>,

        /// Write the CUE to this file instead of standard output.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Import every subject of a Confluent-compatible schema registry into a governance
    /// repository, committing each subject version in order so that cuemesh's version n of
    /// each event type is the registry's version n.
    ///
    /// Reads `GET /subjects`, `/subjects/{s}/versions` and `/subjects/{s}/versions/{v}` (JSON
    /// and AVRO schemas; PROTOBUF subjects are listed and skipped). A subject `<topic>-value`
    /// becomes event type `<topic>` of source `<topic>` without its last dot-separated part
    /// (`orders.placed-value`: type `orders.placed` of source `orders`); `<topic>-key` is
    /// skipped; other subjects are their own type. --source-map overrides this. Each source is
    /// a package `sources/<source>/` (the contract in `source.cue`, one file per subject); the
    /// mapping and the versions imported are written to `registry-import.json`, and a second
    /// run imports only what is new. Prints a table: subject, versions, source, type, warnings.
    ///
    /// Exit status: 0 when imported (skipped subjects and warnings allowed), 2 when the
    /// registry or the repository cannot be read or written.
    Registry {
        /// The registry's base URL (`https://user:password@host` for Basic authentication).
        #[arg(long, value_name = "URL")]
        url: String,

        /// The governance repository to commit into (a work tree on the numbered branch).
        #[arg(long = "repo", value_name = "DIR", default_value = ".")]
        repository: PathBuf,

        /// Only the subjects whose whole name this regular expression matches.
        #[arg(long, value_name = "REGEX")]
        subjects: Option<String>,

        /// A JSON file mapping subjects to sources and types, and sources to owners:
        /// `{"owner": "@acme/platform", "owners": {"<source>": "@acme/team"},
        /// "subjects": {"<subject>": {"source": "...", "type": "...", "skip": false}}}`.
        #[arg(long = "source-map", value_name = "FILE")]
        source_map: Option<PathBuf>,
    },
}

/// Runs an import command.
pub fn run(
    command: ImportCommand,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        ImportCommand::Jsonschema {
            files,
            definition,
            package,
            out,
        } => jsonschema(
            &JsonSchemaImport {
                files,
                definition,
                package,
                out,
            },
            stdout,
            stderr,
        ),
        ImportCommand::Avro {
            files,
            package,
            out,
        } => avro(
            &AvroImport {
                files,
                package,
                out,
            },
            stdout,
            stderr,
        ),
        ImportCommand::Registry {
            url,
            repository,
            subjects,
            source_map,
        } => registry::run(
            &registry::RegistryImport {
                url,
                repository,
                subjects,
                source_map,
            },
            stdout,
            stderr,
        ),
    }
}

/// What `import avro` was asked to do.
#[derive(Debug, Clone)]
pub struct AvroImport {
    pub files: Vec<PathBuf>,
    pub package: Option<String>,
    /// Where to write the CUE; standard output when `None`.
    pub out: Option<PathBuf>,
}

/// Imports Avro schema files; prints the CUE (or writes `-o`) and the warnings on `stderr`.
pub fn avro(
    config: &AvroImport,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<()> {
    check_package_name(config.package.as_deref())?;
    let mut documents = Vec::new();
    for path in &config.files {
        documents.push((path, read_document(path).map_err(anyhow::Error::msg)?));
    }
    let schemas: Vec<cue::avro::Schema<'_>> = documents
        .iter()
        .map(|(path, document)| cue::avro::Schema {
            name: path.display().to_string(),
            document,
            definition: if config.files.len() == 1 {
                "Schema".to_string()
            } else {
                file_stem(path)
            },
        })
        .collect();
    let options = cue::avro::Options {
        package: config.package.clone(),
    };
    let imported = cue::avro::import(&schemas, &options)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.pointer, e.message))?
        .imported;
    check_loads(&imported.source)?;
    for warning in &imported.warnings {
        writeln!(
            stderr,
            "warning: {}: {} is not enforced: {}",
            warning.pointer, warning.keyword, warning.message
        )
        .context("cannot write warnings")?;
    }
    write_output(config.out.as_deref(), &imported.source, stdout)
}

/// The name of a file without its directory and its schema extensions.
fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    [".json", ".yaml", ".yml", ".avsc", ".schema"]
        .iter()
        .fold(name, |name, suffix| {
            name.trim_end_matches(suffix).to_string()
        })
}

fn check_package_name(package: Option<&str>) -> anyhow::Result<()> {
    if let Some(package) = package {
        if cue::jsonschema::definition_name(package) != format!("#{package}") {
            bail!("--package {package:?} is not a CUE identifier");
        }
    }
    Ok(())
}

fn write_output(out: Option<&Path>, source: &str, stdout: &mut dyn Write) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, source).with_context(|| format!("cannot write {}", path.display()))
        }
        None => stdout
            .write_all(source.as_bytes())
            .context("cannot write the CUE"),
    }
}

/// What `import jsonschema` was asked to do.
#[derive(Debug, Clone)]
pub struct JsonSchemaImport {
    pub files: Vec<PathBuf>,
    pub definition: Option<String>,
    pub package: Option<String>,
    /// Where to write the CUE; standard output when `None`.
    pub out: Option<PathBuf>,
}

/// Reads `file://` documents from the disk, for `$ref`s to sibling files, and `http://` and
/// `https://` documents from the web.
struct FileLoader {
    runtime: tokio::runtime::Runtime,
    client: registry::RegistryClient,
}

impl FileLoader {
    fn new() -> anyhow::Result<FileLoader> {
        Ok(FileLoader {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?,
            client: registry::RegistryClient::for_documents(),
        })
    }

    /// The document at an `http://` or `https://` URL: JSON, or YAML (read as the JSON it
    /// denotes) when the server says so by its `Content-Type` or the path ends in `.yaml` or
    /// `.yml`.
    fn fetch(&self, url: &str) -> Result<Value, String> {
        let (body, content_type) = self
            .runtime
            .block_on(self.client.get_text(url))
            .map_err(|e| format!("{e:#}"))?;
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let yaml = content_type.to_ascii_lowercase().contains("yaml")
            || path.ends_with(".yaml")
            || path.ends_with(".yml");
        let text = String::from_utf8_lossy(&body);
        if yaml {
            return cue::read_yaml(&text).map_err(|e| {
                format!(
                    "{url}:{}:{}: not YAML data: {}",
                    e.line, e.column, e.message
                )
            });
        }
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "{url}:{}:{}: not JSON: {}",
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            )
        })
    }
}

impl Loader for FileLoader {
    fn load(&self, uri: &str) -> Result<Option<Value>, String> {
        if is_url(uri) {
            return self.fetch(uri).map(Some);
        }
        let Some(path) = uri.strip_prefix("file://") else {
            return Ok(None);
        };
        let path = Path::new(path);
        if !path.is_file() {
            return Ok(None);
        }
        read_document(path).map(Some)
    }
}

fn is_url(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://")
}

/// A JSON file, or a YAML file (`.yaml`, `.yml`) read as the JSON it denotes; or an error
/// naming `file:line:col`.
fn read_document(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
        return cue::read_yaml(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not YAML data: {}",
                path.display(),
                e.line,
                e.column,
                e.message
            )
        });
    }
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not JSON: {}",
            path.display(),
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        )
    })
}

/// serde_json's message without its trailing " at line L column C".
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

fn file_uri(path: &Path) -> anyhow::Result<String> {
    let absolute = std::path::absolute(path)
        .with_context(|| format!("cannot resolve the path {}", path.display()))?;
    let text = absolute.to_string_lossy().replace('\\', "/");
    Ok(if text.starts_with('/') {
        format!("file://{text}")
    } else {
        format!("file:///{text}")
    })
}

/// Imports the files; prints the CUE (or writes `-o`) and the warnings on `stderr`.
pub fn jsonschema(
    config: &JsonSchemaImport,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<()> {
    if config.files.len() > 1 && config.definition.is_some() {
        bail!("--definition names the definition of one file; with several files each is named by its title or file name");
    }
    check_package_name(config.package.as_deref())?;
    let loader = FileLoader::new()?;
    let mut documents = Vec::new();
    for path in &config.files {
        let url = path.to_str().filter(|p| is_url(p));
        let document = match url {
            Some(url) => loader.fetch(url),
            None => read_document(path),
        }
        .map_err(anyhow::Error::msg)?;
        if !matches!(document, Value::Object(_) | Value::Bool(_)) {
            bail!(
                "{}: a JSON Schema is an object or a boolean",
                path.display()
            );
        }
        documents.push((path, document));
    }
    let mut roots = Vec::new();
    for (path, document) in &documents {
        let title = document.get("title").and_then(Value::as_str);
        let stem = file_stem(path);
        let definition = match (&config.definition, title, config.files.len()) {
            (Some(name), _, _) => name.clone(),
            (None, Some(title), _) => title.to_string(),
            (None, None, 1) => "Schema".to_string(),
            (None, None, _) => stem,
        };
        roots.push(Root {
            uri: match path.to_str().filter(|p| is_url(p)) {
                Some(url) => url.to_string(),
                None => file_uri(path)?,
            },
            document,
            definition: jsonschema::definition_name(&definition),
        });
    }
    let options = Options {
        package: config.package.clone(),
        default_draft: None,
    };
    let imported = jsonschema::import(&roots, &loader, &options).map_err(|e| {
        let file = if config.files.len() == 1 && e.pointer.starts_with('#') {
            format!("{}", config.files[0].display())
        } else {
            String::new()
        };
        anyhow::anyhow!("{file}{}: {}", e.pointer, e.message)
    })?;
    check_loads(&imported.source)?;
    for warning in &imported.warnings {
        let file = if config.files.len() == 1 && warning.pointer.starts_with('#') {
            config.files[0].display().to_string()
        } else {
            String::new()
        };
        writeln!(
            stderr,
            "warning: {file}{}: {} is not enforced: {}",
            warning.pointer, warning.keyword, warning.message
        )
        .context("cannot write warnings")?;
    }
    write_output(config.out.as_deref(), &imported.source, stdout)
}

/// The output must load: every error but a definition that is `_|_` (a schema that accepts
/// nothing, `false`) is a bug of the import, reported rather than written.
fn check_loads(source: &str) -> anyhow::Result<()> {
    let package = Package::load(
        PackageFiles {
            files: vec![("imported.cue".into(), source.to_string())],
        },
        &NoImports,
    );
    if let Some(d) = package
        .diagnostics()
        .iter()
        .find(|d| !d.message.starts_with("explicit error (_|_ literal)"))
    {
        bail!(
            "the imported CUE does not load ({}); please report this with the schema:\n{source}",
            d.message
        );
    }
    Ok(())
}
