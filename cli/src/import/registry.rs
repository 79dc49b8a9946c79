//! `cuemesh import registry`: every subject of a Confluent-compatible schema registry
//! (Confluent, Apicurio's ccompat API, Karapace, Redpanda) committed into a governance
//! repository, one commit per subject version, oldest first, so that cuemesh's version n of
//! each event type is the registry's version n.
//!
//! - Reading: `GET /subjects`, `GET /subjects/{s}/versions`, `GET /subjects/{s}/versions/{v}`
//!   (and `GET /config/{s}` for a subject's compatibility level), over HTTP or HTTPS; user and
//!   password in the URL become Basic authentication. JSON and AVRO schemas are imported (by
//!   `cue::jsonschema` and `cue::avro`); PROTOBUF subjects are listed and skipped.
//! - Mapping: a subject is a source and an event type. `<topic>-value` is type `<topic>` of
//!   source `<topic>` without its last dot-separated part (`orders.placed-value` is type
//!   `orders.placed` of source `orders`); another subject (record-name strategies) is its own
//!   type, of the source before its last dot; `<topic>-key` is skipped. A `--source-map` file
//!   overrides this per subject, and names owners. What was imported is recorded in
//!   [`RECORD_FILE`] at the repository root, and an imported subject keeps its mapping.
//! - Writing: a source is a package `sources/<source as identifier>/`: `source.cue` holds the
//!   contract (`source`, `events`) and each subject's schema is a file of its own, wrapped in a
//!   definition named by its type (`#OrdersPlaced: {#OrderPlaced: {...}}`) so that two subjects
//!   of one source may both define `#Address`. The event maps to the root definition inside
//!   (`#OrdersPlaced.#OrderPlaced`).
//! - Schema references (`references: [{name, subject, version}]`) are fetched, with theirs:
//!   an Avro subject's referenced types are imported with it (named types resolve by name), a
//!   JSON subject's `$ref` to a reference's name reads that schema.
//! - A version that cannot be imported (a schema that is not valid, a reference that cannot be
//!   read) stops its subject there: later versions would take its number.

use anyhow::{bail, Context};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the import records what it did, at the repository root.
pub const RECORD_FILE: &str = cuemesh_registry::IMPORT_RECORD_FILE;

/// The owner of sources the source map gives none.
pub const DEFAULT_OWNER: &str = "@cuemesh-import/unassigned";

/// What `import registry` was asked to do.
#[derive(Debug, Clone)]
pub struct RegistryImport {
    pub url: String,
    pub repository: PathBuf,
    /// Only subjects this regular expression matches (whole name).
    pub subjects: Option<String>,
    pub source_map: Option<PathBuf>,
}

/// The `--source-map` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceMap {
    /// The owner of every source not in `owners`.
    #[serde(default)]
    owner: Option<String>,
    /// Owners by source id.
    #[serde(default)]
    owners: BTreeMap<String, String>,
    #[serde(default)]
    subjects: BTreeMap<String, SubjectMapping>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectMapping {
    #[serde(default)]
    source: Option<String>,
    #[serde(default, rename = "type")]
    event_type: Option<String>,
    /// Leave the subject out.
    #[serde(default)]
    skip: bool,
}

/// [`RECORD_FILE`]: the mapping used and the versions imported.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    url: String,
    subjects: BTreeMap<String, SubjectRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SubjectRecord {
    source: String,
    #[serde(rename = "type")]
    event_type: String,
    /// The package directory, relative to the repository.
    directory: String,
    /// The file holding the subject's schema, in `directory`.
    file: String,
    /// The definition the event maps to (`#OrdersPlaced.#OrderPlaced`).
    definition: String,
    #[serde(rename = "schemaType")]
    schema_type: String,
    /// The registry versions imported, in order.
    versions: Vec<u32>,
    /// The registry's schema id of each imported version.
    ids: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    compatibility: Option<String>,
}

/// One line of the table.
struct Row {
    subject: String,
    versions: String,
    source: String,
    event_type: String,
    warnings: String,
}

/// Imports the registry into the repository; prints the table on `stdout`, warnings on `stderr`.
pub fn run(
    config: &RegistryImport,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<()> {
    let filter = match &config.subjects {
        Some(text) => Some(
            regex::Regex::new(&format!("^(?:{text})$"))
                .with_context(|| format!("--subjects {text:?} is not a regular expression"))?,
        ),
        None => None,
    };
    let source_map: SourceMap = match &config.source_map {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{}:{}:{}: {}", path.display(), e.line(), e.column(), e)
            })?
        }
        None => SourceMap::default(),
    };
    let git = git2::Repository::open(&config.repository)
        .with_context(|| format!("cannot open the repository {}", config.repository.display()))?;
    let root = git
        .workdir()
        .context("the repository has no work tree to write the packages into")?
        .to_path_buf();
    let registry = cuemesh_registry::Repository::open(&config.repository)
        .with_context(|| format!("cannot open the repository {}", config.repository.display()))?;
    let branch = cuemesh_registry::settings::numbered_branch(&registry)
        .context("cannot tell the branch that numbers versions")?;
    let head = git.head().context("the repository has no HEAD")?;
    if head.shorthand() != Some(branch.as_str()) {
        bail!(
            "the work tree is on {:?}, not on {branch:?}, the branch that numbers versions; check it out first",
            head.shorthand().unwrap_or("a detached HEAD")
        );
    }
    let mut record: Record = match std::fs::read_to_string(root.join(RECORD_FILE)) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("{RECORD_FILE} is not what import registry writes"))?,
        Err(_) => Record::default(),
    };
    let base = config.url.trim_end_matches('/').to_string();
    record.url = redact(&base);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let client = RegistryClient::new(&base)?;
    let subjects: Vec<String> = runtime
        .block_on(client.get("/subjects"))
        .and_then(|v| serde_json::from_value(v).context("GET /subjects: not a list of names"))?;
    let mut rows = Vec::new();
    let mut commits: Vec<(String, u32, git2::Oid)> = Vec::new();
    for subject in subjects {
        if filter.as_ref().is_some_and(|f| !f.is_match(&subject)) {
            continue;
        }
        let row = import_subject(
            &runtime,
            &client,
            &git,
            &root,
            &subject,
            &source_map,
            &mut record,
            &mut commits,
            stderr,
        )?;
        rows.push(row);
    }
    check_numbering(config, &branch, &record, &commits, &mut rows)?;
    print_table(&rows, stdout).context("cannot write the table")?;
    Ok(())
}

/// Imports the new versions of one subject; its line of the table.
#[allow(clippy::too_many_arguments)]
fn import_subject(
    runtime: &tokio::runtime::Runtime,
    client: &RegistryClient,
    git: &git2::Repository,
    root: &Path,
    subject: &str,
    source_map: &SourceMap,
    record: &mut Record,
    commits: &mut Vec<(String, u32, git2::Oid)>,
    stderr: &mut dyn Write,
) -> anyhow::Result<Row> {
    let segment = percent_encode(subject);
    let versions: Vec<u32> = runtime
        .block_on(client.get(&format!("/subjects/{segment}/versions")))
        .and_then(|v| {
            serde_json::from_value(v)
                .with_context(|| format!("GET /subjects/{segment}/versions: not a list of numbers"))
        })?;
    let shown_versions = version_ranges(&versions);
    let mut row = Row {
        subject: subject.to_string(),
        versions: shown_versions,
        source: String::new(),
        event_type: String::new(),
        warnings: String::new(),
    };
    if source_map.subjects.get(subject).is_some_and(|m| m.skip) {
        row.warnings = "skipped: the source map says so".into();
        return Ok(row);
    }
    let mapping = match record.subjects.get(subject) {
        Some(existing) => Some((existing.source.clone(), existing.event_type.clone())),
        None => default_mapping(subject, source_map.subjects.get(subject)),
    };
    let Some((source, event_type)) = mapping else {
        row.warnings = "skipped: a key schema (map it in --source-map to import it)".into();
        return Ok(row);
    };
    row.source = source.clone();
    row.event_type = event_type.clone();
    let done: Vec<u32> = record
        .subjects
        .get(subject)
        .map(|s| s.versions.clone())
        .unwrap_or_default();
    let new: Vec<u32> = versions
        .iter()
        .copied()
        .filter(|v| !done.contains(v))
        .collect();
    if let Some(first) = new.first() {
        if done.iter().any(|d| d > first) {
            row.warnings = format!("stopped: version {first} appeared below imported versions");
            return Ok(row);
        }
    }
    let compatibility = runtime
        .block_on(client.get(&format!("/config/{segment}")))
        .ok()
        .and_then(|v| {
            v.get("compatibilityLevel")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let mut warning_count = 0;
    let mut imported = Vec::new();
    for version in new {
        let document =
            runtime.block_on(client.get(&format!("/subjects/{segment}/versions/{version}")))?;
        let schema_type = document
            .get("schemaType")
            .and_then(Value::as_str)
            .unwrap_or("AVRO")
            .to_string();
        if schema_type == "PROTOBUF" {
            row.warnings = "skipped: a PROTOBUF schema (cuemesh imports JSON and AVRO)".into();
            return Ok(row);
        }
        let references = match runtime.block_on(references_of(client, &document)) {
            Ok(references) => references,
            Err(e) => {
                row.warnings = format!("stopped at version {version}: {e:#}");
                break;
            }
        };
        let id = document.get("id").and_then(Value::as_u64).unwrap_or(0);
        let text = document
            .get("schema")
            .and_then(Value::as_str)
            .with_context(|| {
                format!("GET /subjects/{segment}/versions/{version}: no \"schema\" string")
            })?;
        let where_ = format!("{subject}/versions/{version}");
        let schema: Value = match serde_json::from_str(text) {
            Ok(schema) => schema,
            Err(e) => {
                row.warnings = format!("stopped at version {version}: the schema is not JSON: {e}");
                break;
            }
        };
        let existing = record.subjects.get(subject).cloned();
        let (directory, file, namespace) = match &existing {
            Some(s) => (
                s.directory.clone(),
                s.file.clone(),
                s.definition
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
            None => {
                let directory = format!(
                    "sources/{}",
                    cue::jsonschema::definition_name(&source).trim_start_matches('#')
                );
                let namespace = namespace_for(&event_type, record, &directory);
                let file = format!("{}.cue", namespace.trim_start_matches('#'));
                if root.join(&directory).exists()
                    && !record.subjects.values().any(|s| s.directory == directory)
                {
                    row.warnings = format!(
                        "skipped: {directory} exists and was not written by import registry; map the subject to another source"
                    );
                    return Ok(row);
                }
                (directory, file, namespace)
            }
        };
        let package = directory.trim_start_matches("sources/").to_string();
        let converted = match convert(
            &schema_type,
            &schema,
            &references,
            &where_,
            subject,
            &event_type,
        ) {
            Ok(c) => c,
            Err(e) => {
                row.warnings = format!("stopped at version {version}: {e}");
                break;
            }
        };
        for warning in &converted.warnings {
            writeln!(
                stderr,
                "warning: {}: {} is not enforced: {}",
                warning.pointer, warning.keyword, warning.message
            )
            .context("cannot write warnings")?;
        }
        // The count of the last version imported: what the repository now holds.
        warning_count = converted.warnings.len();
        let header = format!(
            "// Subject {subject}, version {version} (schema id {id}, {schema_type}), imported from the schema registry.\n"
        );
        let file_text = wrap(&header, &package, &namespace, &converted.source);
        let entry = record
            .subjects
            .entry(subject.to_string())
            .or_insert_with(|| SubjectRecord {
                source: source.clone(),
                event_type: event_type.clone(),
                directory: directory.clone(),
                file: file.clone(),
                definition: String::new(),
                schema_type: schema_type.clone(),
                versions: Vec::new(),
                ids: Vec::new(),
                compatibility: None,
            });
        entry.definition = format!("{namespace}.{}", converted.root);
        entry.schema_type = schema_type.clone();
        entry.versions.push(version);
        entry.ids.push(id);
        entry.compatibility = compatibility.clone();
        let source_text = source_file(record, &directory, &package, &source, source_map);
        std::fs::create_dir_all(root.join(&directory))
            .with_context(|| format!("cannot create {directory}"))?;
        let mut writes = vec![
            (format!("{directory}/{file}"), file_text),
            (format!("{directory}/source.cue"), source_text),
            (
                RECORD_FILE.to_string(),
                serde_json::to_string_pretty(&*record).expect("the record serializes") + "\n",
            ),
        ];
        writes.extend(codeowners_rule(
            root,
            &directory,
            owner_of(source_map, &source),
        ));
        for (path, text) in &writes {
            std::fs::write(root.join(path), text)
                .with_context(|| format!("cannot write {path}"))?;
        }
        let message = format!(
            "Import {subject} version {version} from the schema registry\n\nSchema id {id} ({schema_type}), as {event_type} of source {source}."
        );
        let paths: Vec<&str> = writes.iter().map(|(p, _)| p.as_str()).collect();
        let oid = commit(git, &paths, &message)?;
        commits.push((subject.to_string(), version, oid));
        imported.push(version);
    }
    if !imported.is_empty() {
        let note = format!("imported {}", version_ranges(&imported));
        row.versions = format!("{} ({note})", row.versions);
    }
    if warning_count > 0 {
        let text = format!("{warning_count} not enforced (see above)");
        row.warnings = if row.warnings.is_empty() {
            text
        } else {
            format!("{text}; {}", row.warnings)
        };
    }
    Ok(row)
}

/// The source and type of a subject: the source map's, else the default rule; `None` for a
/// key schema the map does not name.
fn default_mapping(subject: &str, mapped: Option<&SubjectMapping>) -> Option<(String, String)> {
    let topic = subject.strip_suffix("-value");
    if mapped.is_none() && topic.is_none() && subject.ends_with("-key") {
        return None;
    }
    let default_type = topic.unwrap_or(subject).to_string();
    let event_type = mapped
        .and_then(|m| m.event_type.clone())
        .unwrap_or(default_type);
    let default_source = match event_type.rsplit_once('.') {
        Some((source, _)) if !source.is_empty() => source.to_string(),
        _ => event_type.clone(),
    };
    let source = mapped
        .and_then(|m| m.source.clone())
        .unwrap_or(default_source);
    Some((source, event_type))
}

/// The definition that wraps a subject's schema: its type in PascalCase (`#OrdersPlaced`),
/// distinct from the other subjects of the package.
fn namespace_for(event_type: &str, record: &Record, directory: &str) -> String {
    let pascal: String = cue::jsonschema::definition_name(event_type)
        .trim_start_matches('#')
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect();
    let taken: Vec<&str> = record
        .subjects
        .values()
        .filter(|s| s.directory == directory)
        .filter_map(|s| s.definition.split('.').next())
        .collect();
    let mut name = format!("#{pascal}");
    let mut n = 2;
    while taken.contains(&name.as_str()) || name == "#" {
        name = format!("#{pascal}{n}");
        n += 1;
    }
    name
}

struct Converted {
    source: String,
    root: String,
    warnings: Vec<cue::Warning>,
}

/// A schema as CUE text (no package clause) and the name of its root definition.
fn convert(
    schema_type: &str,
    schema: &Value,
    references: &[(String, Value)],
    name: &str,
    subject: &str,
    event_type: &str,
) -> anyhow::Result<Converted> {
    let fallback = event_type.rsplit('.').next().unwrap_or(event_type);
    match schema_type {
        "AVRO" => {
            // Referenced schemas first, so that their names are known; the subject's last.
            let mut schemas: Vec<cue::avro::Schema<'_>> = references
                .iter()
                .map(|(reference, document)| cue::avro::Schema {
                    name: format!("{name} (reference {reference})"),
                    document,
                    definition: reference.clone(),
                })
                .collect();
            schemas.push(cue::avro::Schema {
                name: name.to_string(),
                document: schema,
                definition: fallback.to_string(),
            });
            let out = cue::avro::import(&schemas, &cue::avro::Options::default())
                .map_err(|e| anyhow::anyhow!("{}: {}", e.pointer, e.message))?;
            Ok(Converted {
                warnings: out.imported.warnings,
                source: out.imported.source,
                root: out.roots.last().cloned().unwrap_or_default(),
            })
        }
        "JSON" => {
            let title = schema
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or(fallback);
            let definition = cue::jsonschema::definition_name(title);
            let uri = format!("registry:///subjects/{}", percent_encode(subject));
            let loader = References {
                documents: references
                    .iter()
                    .map(|(reference, document)| {
                        let absolute = cue::jsonschema::resolve_uri(&uri, reference);
                        let absolute = absolute.split('#').next().unwrap_or_default().to_string();
                        (absolute, document.clone())
                    })
                    .collect(),
            };
            let root = cue::jsonschema::Root {
                uri,
                document: schema,
                definition: definition.clone(),
            };
            let out = cue::jsonschema::import(
                &[root],
                &loader,
                &cue::jsonschema::Options {
                    package: None,
                    default_draft: None,
                },
            )
            .map_err(|e| anyhow::anyhow!("{}: {}", e.pointer, e.message))?;
            Ok(Converted {
                warnings: out
                    .warnings
                    .into_iter()
                    .map(|mut w| {
                        if w.pointer.starts_with('#') {
                            w.pointer = format!("{name}{}", w.pointer);
                        }
                        w
                    })
                    .collect(),
                source: out.source,
                root: definition,
            })
        }
        other => bail!("schema type {other:?} is not one cuemesh imports"),
    }
}

/// The schemas a JSON schema's references name, by the absolute URI its `$ref`s resolve to.
struct References {
    documents: Vec<(String, Value)>,
}

impl cue::jsonschema::Loader for References {
    fn load(&self, uri: &str) -> Result<Option<Value>, String> {
        Ok(self
            .documents
            .iter()
            .find(|(absolute, _)| absolute == uri)
            .map(|(_, document)| document.clone()))
    }
}

/// The schemas a version's `references` name (`{"name", "subject", "version"}`), each after
/// those it references in turn, once each: `(name, schema)`.
async fn references_of(
    client: &RegistryClient,
    document: &Value,
) -> anyhow::Result<Vec<(String, Value)>> {
    let mut out: Vec<(String, Value)> = Vec::new();
    let mut seen: Vec<(String, u64)> = Vec::new();
    // Depth first without recursion: (reference, whether its own references were pushed).
    let mut stack: Vec<(Value, Option<Value>)> = document
        .get("references")
        .and_then(Value::as_array)
        .map(|r| r.iter().rev().map(|r| (r.clone(), None)).collect())
        .unwrap_or_default();
    while let Some((reference, fetched)) = stack.pop() {
        let name = reference
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let subject = reference.get("subject").and_then(Value::as_str);
        let version = reference.get("version").and_then(Value::as_u64);
        let (Some(subject), Some(version)) = (subject, version) else {
            bail!("a reference without \"subject\" and \"version\": {reference}");
        };
        match fetched {
            Some(answer) => {
                let text = answer
                    .get("schema")
                    .and_then(Value::as_str)
                    .with_context(|| format!("reference {name}: no \"schema\" string"))?;
                let schema: Value = serde_json::from_str(text).with_context(|| {
                    format!("reference {name} ({subject} version {version}) is not JSON")
                })?;
                out.push((name.to_string(), schema));
            }
            None => {
                if seen.iter().any(|(s, v)| s == subject && *v == version) {
                    continue;
                }
                seen.push((subject.to_string(), version));
                if seen.len() > 1000 {
                    bail!("more than 1000 references");
                }
                let answer = client
                    .get(&format!(
                        "/subjects/{}/versions/{version}",
                        percent_encode(subject)
                    ))
                    .await?;
                let inner: Vec<Value> = answer
                    .get("references")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                stack.push((reference.clone(), Some(answer)));
                for r in inner.into_iter().rev() {
                    stack.push((r, None));
                }
            }
        }
    }
    Ok(out)
}

/// A subject's file: the header, the package clause, the imports of `imported`, and its
/// declarations inside the definition `namespace`.
fn wrap(header: &str, package: &str, namespace: &str, imported: &str) -> String {
    let mut imports = String::new();
    let mut body = String::new();
    let mut in_imports = false;
    let mut lines = imported.lines().peekable();
    // The importer's file comment, before the first blank line, goes inside with the body.
    while let Some(line) = lines.next() {
        if line == "import (" {
            in_imports = true;
            imports.push_str(line);
            imports.push('\n');
        } else if in_imports {
            imports.push_str(line);
            imports.push('\n');
            if line == ")" {
                in_imports = false;
                if lines.peek() == Some(&"") {
                    lines.next();
                }
            }
        } else if line.is_empty() {
            body.push('\n');
        } else {
            body.push('\t');
            body.push_str(line);
            body.push('\n');
        }
    }
    let mut out = format!("{header}package {package}\n\n");
    if !imports.is_empty() {
        out.push_str(&imports);
        out.push('\n');
    }
    out.push_str(&format!(
        "{namespace}: {{\n{}}}\n",
        body.trim_start_matches('\n')
    ));
    out
}

/// `source.cue` of a package: the contract, with every imported subject of the package.
/// The owner the map gives a source.
fn owner_of<'m>(map: &'m SourceMap, source: &str) -> &'m str {
    map.owners
        .get(source)
        .or(map.owner.as_ref())
        .map(String::as_str)
        .unwrap_or(DEFAULT_OWNER)
}

/// The repository's `CODEOWNERS` with a rule giving `directory` to `owner` appended (the last
/// matching rule wins), when it has one and no rule names the directory yet.
fn codeowners_rule(root: &Path, directory: &str, owner: &str) -> Option<(String, String)> {
    let path = ["CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"]
        .into_iter()
        .find(|p| root.join(p).is_file())?;
    let text = std::fs::read_to_string(root.join(path)).ok()?;
    let pattern = format!("/{directory}/");
    if text
        .lines()
        .any(|line| line.split_whitespace().next() == Some(pattern.as_str()))
    {
        return None;
    }
    let mut text = text;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("{pattern}  {owner}\n"));
    Some((path.to_string(), text))
}

fn source_file(
    record: &Record,
    directory: &str,
    package: &str,
    source: &str,
    map: &SourceMap,
) -> String {
    let owner = owner_of(map, source);
    let mut out = format!(
        "// Written by `cuemesh import registry`: the subjects of {} mapped to {:?}.\npackage {package}\n\nsource: {{\n\tid:          {}\n\towner:       {}\n\tdescription: {}\n}}\n\nevents: {{\n",
        record.url,
        source,
        quote(source),
        quote(owner),
        quote(&format!("Imported from the schema registry at {}.", record.url)),
    );
    for (subject, s) in record
        .subjects
        .iter()
        .filter(|(_, s)| s.directory == directory)
    {
        out.push_str(&format!(
            "\t// Subject {subject}.\n\t{}: {}",
            quote(&s.event_type),
            s.definition
        ));
        if let Some(mode) = &s.compatibility {
            out.push_str(&format!(" @compat({mode})"));
        }
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// Stages `paths` and commits them on HEAD.
fn commit(git: &git2::Repository, paths: &[&str], message: &str) -> anyhow::Result<git2::Oid> {
    let mut index = git.index().context("cannot read the Git index")?;
    for path in paths {
        index
            .add_path(Path::new(path))
            .with_context(|| format!("cannot stage {path}"))?;
    }
    index.write().context("cannot write the Git index")?;
    let tree = git
        .find_tree(index.write_tree().context("cannot write the tree")?)
        .context("cannot read the tree")?;
    let signature = git
        .signature()
        .or_else(|_| git2::Signature::now("cuemesh import", "import@cuemesh.invalid"))
        .context("cannot make a commit signature")?;
    let parent = git.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    git.commit(
        Some("HEAD"),
        &signature,
        &signature,
        message,
        &tree,
        &parents,
    )
    .context("cannot commit")
}

/// Checks that each imported version made a version of cuemesh with its number.
fn check_numbering(
    config: &RegistryImport,
    branch: &str,
    record: &Record,
    commits: &[(String, u32, git2::Oid)],
    rows: &mut [Row],
) -> anyhow::Result<()> {
    if commits.is_empty() {
        return Ok(());
    }
    let registry = cuemesh_registry::Repository::open(&config.repository)
        .with_context(|| format!("cannot open the repository {}", config.repository.display()))?;
    let history = registry
        .history(branch)
        .with_context(|| format!("cannot read the history of {branch}"))?;
    for row in rows.iter_mut() {
        let Some(s) = record.subjects.get(&row.subject) else {
            continue;
        };
        let numbers: Vec<u32> = history
            .event(&s.source, &s.event_type)
            .map(|e| e.versions.iter().map(|v| v.number).collect())
            .unwrap_or_default();
        let problem = if numbers.len() != s.versions.len() {
            let missing: Vec<String> = commits
                .iter()
                .filter(|(subject, _, oid)| {
                    *subject == row.subject
                        && !history.event(&s.source, &s.event_type).is_some_and(|e| {
                            e.versions.iter().any(|v| v.commit.id == oid.to_string())
                        })
                })
                .map(|(_, version, _)| version.to_string())
                .collect();
            Some(format!(
                "cuemesh has {} versions for {} registry versions (version {} made no new CUE schema, or did not load)",
                numbers.len(),
                s.versions.len(),
                if missing.is_empty() { "?".to_string() } else { missing.join(", ") }
            ))
        } else if s
            .versions
            .iter()
            .enumerate()
            .any(|(i, v)| *v != i as u32 + 1)
        {
            Some(
                "the registry's versions are not 1, 2, 3...: cuemesh numbers them in order"
                    .to_string(),
            )
        } else {
            None
        };
        if let Some(problem) = problem {
            row.warnings = if row.warnings.is_empty() {
                problem
            } else {
                format!("{}; {problem}", row.warnings)
            };
        }
    }
    Ok(())
}

fn print_table(rows: &[Row], out: &mut dyn Write) -> std::io::Result<()> {
    let headers = ["SUBJECT", "VERSIONS", "SOURCE", "TYPE", "WARNINGS"];
    let cells: Vec<[&str; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.subject.as_str(),
                &r.versions,
                &r.source,
                &r.event_type,
                &r.warnings,
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5], out: &mut dyn Write| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(headers, out)?;
    for row in cells {
        line(row, out)?;
    }
    Ok(())
}

/// `1-3, 5` from `[1, 2, 3, 5]`.
fn version_ranges(versions: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < versions.len() {
        let start = versions[i];
        let mut end = start;
        while i + 1 < versions.len() && versions[i + 1] == end + 1 {
            i += 1;
            end = versions[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// A subject as one path segment.
fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%2E", ".")
        .replace("%5F", "_")
}

/// The URL without its password, for the record and messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// GETs JSON documents of the registry (paths below its base URL), or of any URL (an empty
/// base: see [`RegistryClient::for_documents`]).
pub(super) struct RegistryClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>,
    base: String,
    authorization: Option<String>,
}

impl RegistryClient {
    fn new(url: &str) -> anyhow::Result<RegistryClient> {
        let uri: hyper::Uri = url
            .parse()
            .with_context(|| format!("--url {url:?} is not a URL"))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            bail!("--url {:?} is not an http:// or https:// URL", redact(url));
        }
        let mut base = url.to_string();
        let mut authorization = None;
        if let Some(authority) = uri.authority() {
            if let Some((userinfo, host)) = authority.as_str().rsplit_once('@') {
                let decoded = percent_encoding::percent_decode_str(userinfo).decode_utf8_lossy();
                authorization = Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(decoded.as_bytes())
                ));
                base = url.replacen(&format!("{userinfo}@"), "", 1);
                let _ = host;
            }
        }
        Ok(RegistryClient {
            base,
            authorization,
            ..RegistryClient::for_documents()
        })
    }

    /// A client whose `get` takes whole `http://` or `https://` URLs.
    pub(super) fn for_documents() -> RegistryClient {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        RegistryClient {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: String::new(),
            authorization: None,
        }
    }

    pub(super) async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let (body, _) = self.get_text(path).await?;
        serde_json::from_slice(&body).with_context(|| format!("GET {path}: the answer is not JSON"))
    }

    /// The body of a successful answer and its `Content-Type`; an error names the status and
    /// the server's message otherwise.
    pub(super) async fn get_text(&self, path: &str) -> anyhow::Result<(Vec<u8>, String)> {
        let url = format!("{}{path}", self.base);
        let mut request = hyper::Request::get(&url).header(
            hyper::header::ACCEPT,
            "application/vnd.schemaregistry.v1+json, application/json",
        );
        if let Some(auth) = &self.authorization {
            request = request.header(hyper::header::AUTHORIZATION, auth);
        }
        let request = request
            .body(Empty::new())
            .with_context(|| format!("GET {}: not a valid request", redact(&url)))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                let mut cause = e.to_string();
                let mut inner = std::error::Error::source(&e);
                while let Some(error) = inner {
                    cause = format!("{cause}: {error}");
                    inner = error.source();
                }
                anyhow::anyhow!("GET {}{path}: no answer: {cause}", redact(&self.base))
            })?;
            let status = response.status();
            let content_type = response
                .headers()
                .get(hyper::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body = Limited::new(response.into_body(), 64 * 1024 * 1024)
                .collect()
                .await
                .map_err(|e| anyhow::anyhow!("GET {path}: reading the answer: {e}"))?
                .to_bytes();
            anyhow::Ok((status, content_type, body))
        };
        let (status, content_type, body) = tokio::time::timeout(Duration::from_secs(60), exchange)
            .await
            .map_err(|_| anyhow::anyhow!("GET {path}: no answer within 60s"))??;
        if !status.is_success() {
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
            bail!("GET {path}: {status}: {message}");
        }
        Ok((body.to_vec(), content_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_map_to_a_source_and_a_type() {
        assert_eq!(
            default_mapping("orders.placed-value", None),
            Some(("orders".into(), "orders.placed".into()))
        );
        assert_eq!(default_mapping("orders-key", None), None);
        assert_eq!(
            default_mapping("com.acme.Order", None),
            Some(("com.acme".into(), "com.acme.Order".into()))
        );
        assert_eq!(
            default_mapping("clicks-value", None),
            Some(("clicks".into(), "clicks".into()))
        );
        let mapped = SubjectMapping {
            source: Some("com.acme.shop".into()),
            event_type: None,
            skip: false,
        };
        assert_eq!(
            default_mapping("orders.placed-value", Some(&mapped)),
            Some(("com.acme.shop".into(), "orders.placed".into()))
        );
        assert_eq!(version_ranges(&[1, 2, 3, 5]), "1-3, 5");
        assert_eq!(redact("https://key:secret@host/x"), "https://host/x");
        assert_eq!(percent_encode("a b/c-d.e"), "a%20b%2Fc-d.e");
    }

    #[test]
    fn a_subject_file_wraps_the_import_in_its_namespace() {
        let text = wrap(
            "// h\n",
            "orders",
            "#OrdersPlaced",
            "// Imported from Avro.\n\nimport (\n\t\"uuid\"\n)\n\n#A: {\n\tid!: uuid.Valid\n}\n",
        );
        assert_eq!(
            text,
            "// h\npackage orders\n\nimport (\n\t\"uuid\"\n)\n\n#OrdersPlaced: {\n\t// Imported from Avro.\n\n\t#A: {\n\t\tid!: uuid.Valid\n\t}\n}\n"
        );
    }
}
