//! The persistent history cache: a branch's [`Numbering`] written to a file beside the clone
//! (by default `<git directory>/cuemesh/`), so that a restart, or another command on the same
//! repository, numbers only the commits after the cached head instead of evaluating every
//! package state of the history again. History is immutable: what a commit numbered never
//! changes, so nothing cached needs to be recomputed.
//!
//! One file per branch, written whole to a temporary file and renamed over the old one, so a
//! reader sees the previous file or the new one, never half of one; a writer stopped half-way
//! leaves only a temporary file, which the next write removes. The file is a short text header
//! and a JSON payload:
//!
//! ```text
//! cuemesh history cache
//! format 1
//! engine <the cuemesh version and build that wrote it>
//! branch <the branch, as a JSON string>
//! head <the last commit numbered>
//! sha256 <the payload's digest>
//! <payload: the numbering as JSON>
//! ```
//!
//! Every line is checked on load (the magic, the format, the engine, the branch, the digest,
//! then the payload itself); a file that fails any check is a [`CacheProblem`], which the
//! repository reports as a warning before numbering from the first commit and writing a good
//! file. That the head is a first-parent ancestor of the branch tip (or the tip) is checked by
//! the repository as it goes on numbering from it.
//!
//! Beside it, with the same header, the index keeps two files of its own (see `serve::index`):
//! the latest versions' search entries, and what it shows of each package of the tip (owner,
//! description, doc comments, errors) by package state. A schema of the numbering is kept as
//! its canonical text only; its document is parsed when first served.
//!
//! The payload keeps each distinct commit, canonical schema (with its digest, so that a
//! restart neither hashes nor parses it again) and definition text once, and
//! versions refer to them by position. Problems (packages that did not load) are kept as the
//! commit and directory only: their diagnostics are made again by loading that package there.

use crate::commit::CommitInfo;
use crate::history::{EventHistory, Numbering, PackageMark, Version};
use cuemesh_contract::canonical::{CanonicalSchema, Digest};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::Digest as _;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first line of every numbering file.
const MAGIC: &str = "cuemesh history cache";
/// The first line of every latest-versions file (what the index's start reads of the
/// latest versions' documents, see `serve::index`).
const LATEST_MAGIC: &str = "cuemesh latest versions cache";
/// The first line of every tip packages file (what the index shows of each package at the
/// tip, by package state, see `serve::index`).
const TIP_MAGIC: &str = "cuemesh tip packages cache";
/// The layout of the payload; a file of another format is rebuilt.
/// Format 2 keeps each schema's digest beside its text, so that reading does not hash (nor
/// parse) every schema again, and each version's commit position on the first-parent history.
pub(crate) const FORMAT: u32 = 2;
/// The build of the engine that computes canonical schemas: another one may compute other
/// digests, so its files are rebuilt. The version alone does not tell two builds of one
/// version apart (a development build changing the evaluator), so the running executable's
/// size and modification time are part of it: a new build costs one numbering from the first
/// commit, never a wrong digest. Copies of one installed binary (replicas from one image) agree.
fn engine() -> &'static str {
    static ENGINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        let version = env!("CARGO_PKG_VERSION");
        let build = std::env::current_exe()
            .and_then(std::fs::metadata)
            .ok()
            .map(|metadata| {
                let modified = metadata
                    .modified()
                    .ok()
                    .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |since| since.as_secs());
                format!("{}-{modified}", metadata.len())
            });
        match build {
            Some(build) => format!("{version} build {build}"),
            None => version.to_string(),
        }
    })
}
/// The name of the folder inside the Git directory that holds the default cache.
const DEFAULT_CACHE_FOLDER: &str = "cuemesh";

/// Where a repository's history cache lives: one file per branch in a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCache {
    directory: PathBuf,
}

/// Why a cache file was not used. The repository numbers from the first commit instead and
/// replaces the file.
#[derive(Debug, thiserror::Error)]
pub enum CacheProblem {
    #[error("cannot read the history cache {}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a history cache of this format: {what}", path.display())]
    Foreign { path: PathBuf, what: String },
    #[error("the history cache {} is damaged: {what}", path.display())]
    Damaged { path: PathBuf, what: String },
}

/// A numbering read back from a cache file, before the repository makes its problems'
/// diagnostics again.
pub(crate) struct CachedNumbering {
    pub(crate) numbering: Numbering,
    /// `(commit, directory)` of each problem, in the numbering's order.
    pub(crate) problem_sites: Vec<(CommitInfo, String)>,
}

impl HistoryCache {
    /// A cache in `directory` (created on the first write).
    pub fn new(directory: impl Into<PathBuf>) -> HistoryCache {
        HistoryCache {
            directory: directory.into(),
        }
    }

    /// The default cache of a repository whose Git directory is `git_directory` (the `.git`
    /// directory of a work tree, or a bare repository): its `cuemesh` folder, which Git
    /// ignores and which goes away with the clone.
    pub fn beside(git_directory: &Path) -> HistoryCache {
        HistoryCache::new(git_directory.join(DEFAULT_CACHE_FOLDER))
    }

    /// The directory the files are in.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The file that holds `branch`'s numbering: named by a digest of the branch, so that any
    /// branch name is a valid file name.
    pub fn file_of(&self, branch: &str) -> PathBuf {
        let digest = sha2::Sha256::digest(branch.as_bytes());
        let name: String = digest[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        self.directory.join(format!("history-{name}.cache"))
    }

    /// The branch of the cache file whose head is `commit`, if one is: how `check` finds a
    /// numbering of its base under another name (`origin/main` numbered as `main`).
    pub fn branch_with_head(&self, commit: &str) -> Option<String> {
        let entries = std::fs::read_dir(&self.directory).ok()?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("cache") {
                continue;
            }
            let Ok(file) = std::fs::File::open(&path) else {
                continue;
            };
            let mut header = String::new();
            let mut reader = std::io::BufReader::new(std::io::Read::take(file, 4096));
            for _ in 0..6 {
                if std::io::BufRead::read_line(&mut reader, &mut header).unwrap_or(0) == 0 {
                    break;
                }
            }
            let Ok(header) = Header::parse(&path, &header, MAGIC) else {
                continue;
            };
            if header.head == commit {
                return Some(header.branch);
            }
        }
        None
    }

    /// The numbering cached for `branch`: `Ok(None)` when there is no file, an error when
    /// there is one that cannot be trusted.
    pub(crate) fn read(
        &self,
        branch: &str,
        schemas: &crate::source::SchemaCache,
    ) -> Result<Option<CachedNumbering>, CacheProblem> {
        let path = self.file_of(branch);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CacheProblem::Unreadable { path, source }),
        };
        decode(&path, &bytes, branch, schemas).map(Some)
    }

    /// Writes `numbering` as `branch`'s cache: whole into a temporary file, flushed to disk,
    /// then renamed over the old file. Temporary files that an interrupted write left are
    /// removed first.
    pub(crate) fn write(&self, branch: &str, numbering: &Numbering) -> std::io::Result<()> {
        let bytes = encode(branch, numbering)?;
        self.write_file(&self.file_of(branch), &bytes)
    }

    /// The file that holds what the index reads of `branch`'s latest versions at start (see
    /// [`HistoryCache::read_latest`]).
    pub fn latest_file_of(&self, branch: &str) -> PathBuf {
        let numbering = self.file_of(branch);
        let name = numbering
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("history.cache")
            .replacen("history-", "latest-", 1);
        self.directory.join(name)
    }

    /// The payload of `branch`'s latest-versions file, checked as the numbering's is (magic,
    /// format, engine, branch, digest): `Ok(None)` when there is no file. Its entries are
    /// keyed by commit, directory and definition, which history never changes, so the file
    /// needs no head: an entry the index does not ask for is simply not read.
    pub(crate) fn read_latest(&self, branch: &str) -> Result<Option<Vec<u8>>, CacheProblem> {
        let path = self.latest_file_of(branch);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CacheProblem::Unreadable { path, source }),
        };
        let (_, body) = unframe(&path, &bytes, LATEST_MAGIC, branch)?;
        Ok(Some(body.to_vec()))
    }

    /// The file that holds what the index shows of each package of `branch`'s tip (owners,
    /// descriptions, doc comments, errors), by package state (see [`HistoryCache::read_tip`]).
    pub fn tip_file_of(&self, branch: &str) -> PathBuf {
        let numbering = self.file_of(branch);
        let name = numbering
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("history.cache")
            .replacen("history-", "tip-", 1);
        self.directory.join(name)
    }

    /// The payload of `branch`'s tip packages file, checked as the numbering's is (magic,
    /// format, engine, branch, digest): `Ok(None)` when there is no file. Its entries are
    /// keyed by package state, which says everything a package's evaluation depends on, so
    /// an entry is right at any commit whose package has that state.
    pub(crate) fn read_tip(&self, branch: &str) -> Result<Option<Vec<u8>>, CacheProblem> {
        let path = self.tip_file_of(branch);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CacheProblem::Unreadable { path, source }),
        };
        let (_, body) = unframe(&path, &bytes, TIP_MAGIC, branch)?;
        Ok(Some(body.to_vec()))
    }

    /// Writes `body` as `branch`'s tip packages file (atomically, as [`HistoryCache::write`]).
    pub(crate) fn write_tip(&self, branch: &str, head: &str, body: &[u8]) -> std::io::Result<()> {
        let bytes = frame(TIP_MAGIC, branch, head, body)?;
        self.write_file(&self.tip_file_of(branch), &bytes)
    }

    /// Writes `body` as `branch`'s latest-versions file (atomically, as [`HistoryCache::write`]).
    pub(crate) fn write_latest(
        &self,
        branch: &str,
        head: &str,
        body: &[u8],
    ) -> std::io::Result<()> {
        let bytes = frame(LATEST_MAGIC, branch, head, body)?;
        self.write_file(&self.latest_file_of(branch), &bytes)
    }

    /// Writes `bytes` into a temporary file, flushed to disk, then renamed over `path`.
    fn write_file(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.directory)?;
        self.remove_stale_temporaries();
        let temporary = self.directory.join(format!(
            ".{}.{}.tmp",
            path.file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("history"),
            std::process::id()
        ));
        let written = (|| {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&temporary, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    }

    /// Removes the temporary files of writes that did not finish (a process stopped while it
    /// wrote): a name `.<file>.<pid>.tmp`. A write in progress in another live process may
    /// lose its temporary file too; it then fails and the next one succeeds.
    fn remove_stale_temporaries(&self) {
        let Ok(entries) = std::fs::read_dir(&self.directory) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') && name.ends_with(".tmp") && name.contains(".cache.") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// The header lines of a cache file.
struct Header {
    branch: String,
    head: String,
    sha256: String,
}

impl Header {
    /// Reads the header lines (magic to digest) of `text`, checking the magic, the format and
    /// the engine.
    fn parse(path: &Path, text: &str, magic: &str) -> Result<Header, CacheProblem> {
        let foreign = |what: String| CacheProblem::Foreign {
            path: path.to_path_buf(),
            what,
        };
        let damaged = |what: &str| CacheProblem::Damaged {
            path: path.to_path_buf(),
            what: what.to_string(),
        };
        let mut lines = text.lines();
        if lines.next() != Some(magic) {
            return Err(foreign(
                "it does not start with the cache's first line".into(),
            ));
        }
        let mut field = |name: &str| -> Result<String, CacheProblem> {
            lines
                .next()
                .and_then(|line| line.strip_prefix(name))
                .and_then(|rest| rest.strip_prefix(' '))
                .map(str::to_string)
                .ok_or_else(|| damaged(&format!("no `{name}` line")))
        };
        let format = field("format")?;
        if format != FORMAT.to_string() {
            return Err(foreign(format!(
                "format {format}, this build reads {FORMAT}"
            )));
        }
        let engine = field("engine")?;
        if engine != self::engine() {
            return Err(foreign(format!(
                "written by cuemesh {engine}, this is {}",
                self::engine()
            )));
        }
        let branch: String = serde_json::from_str(&field("branch")?)
            .map_err(|_| damaged("the branch is not a JSON string"))?;
        let head = field("head")?;
        let sha256 = field("sha256")?;
        Ok(Header {
            branch,
            head,
            sha256,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct Payload<'a> {
    commits: usize,
    head: Option<usize>,
    /// Every commit the numbering names, once.
    commit_table: Vec<CommitRecord>,
    /// Every canonical schema, once: the canonical text, which is JSON.
    #[serde(borrow)]
    schemas: Vec<&'a RawValue>,
    /// The digest of each schema of `schemas`, at the same position.
    schema_digests: Vec<&'a str>,
    /// Every definition text, once.
    texts: Vec<String>,
    events: Vec<EventRecord>,
    problems: Vec<ProblemRecord>,
    /// The package state of each directory at the head.
    packages: Vec<MarkRecord>,
    /// The providing package state of each source id at the head.
    providers: Vec<MarkRecord>,
}

#[derive(Serialize, Deserialize)]
struct CommitRecord {
    id: String,
    author: String,
    email: String,
    time: i64,
    offset_minutes: i32,
}

#[derive(Serialize, Deserialize)]
struct EventRecord {
    source: String,
    event_type: String,
    removed_in: Option<usize>,
    versions: Vec<VersionRecord>,
}

#[derive(Serialize, Deserialize)]
struct VersionRecord {
    commit: usize,
    /// The commit's position on the first-parent history (see [`Version::position`]).
    position: usize,
    schema: usize,
    text: Option<usize>,
    directory: String,
    definition: String,
}

#[derive(Serialize, Deserialize)]
struct ProblemRecord {
    commit: usize,
    directory: String,
}

#[derive(Serialize, Deserialize)]
struct MarkRecord {
    /// The directory (for `packages`) or the source id (for `providers`) it is kept under.
    name: String,
    state: String,
    directory: String,
    id: Option<String>,
    is_source: bool,
    has_errors: bool,
    types: Vec<String>,
}

/// Positions of distinct things in a table, for the writer.
struct Table<K, T> {
    positions: HashMap<K, usize>,
    items: Vec<T>,
}

impl<K: std::hash::Hash + Eq, T> Table<K, T> {
    fn new() -> Self {
        Table {
            positions: HashMap::new(),
            items: Vec::new(),
        }
    }

    fn position(&mut self, key: K, item: impl FnOnce() -> T) -> usize {
        *self.positions.entry(key).or_insert_with(|| {
            self.items.push(item());
            self.items.len() - 1
        })
    }
}

fn encode(branch: &str, numbering: &Numbering) -> std::io::Result<Vec<u8>> {
    let mut commits: Table<String, CommitRecord> = Table::new();
    let mut commit_of = |commit: &CommitInfo| {
        commits.position(commit.id.clone(), || CommitRecord {
            id: commit.id.clone(),
            author: commit.author.clone(),
            email: commit.email.clone(),
            time: commit.time,
            offset_minutes: commit.offset_minutes,
        })
    };
    let mut schemas: Table<Digest, &str> = Table::new();
    let mut texts: Table<Arc<str>, String> = Table::new();
    let mut events = Vec::with_capacity(numbering.events.len());
    for event in numbering.events.values() {
        let mut versions = Vec::with_capacity(event.versions.len());
        for version in &event.versions {
            versions.push(VersionRecord {
                commit: commit_of(&version.commit),
                position: version.position,
                schema: schemas.position(version.digest.clone(), || &version.schema.text),
                text: version
                    .cue_text
                    .as_ref()
                    .map(|text| texts.position(text.clone(), || text.to_string())),
                directory: version.directory.clone(),
                definition: version.definition.clone(),
            });
        }
        events.push(EventRecord {
            source: event.source.clone(),
            event_type: event.event_type.clone(),
            removed_in: event.removed_in.as_ref().map(&mut commit_of),
            versions,
        });
    }
    let problems = numbering
        .problems
        .iter()
        .map(|problem| ProblemRecord {
            commit: commit_of(&problem.commit),
            directory: problem.directory.clone(),
        })
        .collect();
    let head = numbering.head.as_ref().map(&mut commit_of);
    let marks = |marks: &HashMap<String, Arc<PackageMark>>| {
        let sorted: BTreeMap<&String, &Arc<PackageMark>> = marks.iter().collect();
        sorted
            .into_iter()
            .map(|(name, mark)| MarkRecord {
                name: name.clone(),
                state: hex(&mark.state),
                directory: mark.directory.clone(),
                id: mark.id.clone(),
                is_source: mark.is_source,
                has_errors: mark.has_errors,
                types: mark.types.clone(),
            })
            .collect()
    };
    let mut raw_schemas = Vec::with_capacity(schemas.items.len());
    for text in &schemas.items {
        let raw: &RawValue = serde_json::from_str(text).map_err(std::io::Error::other)?;
        raw_schemas.push(raw);
    }
    let mut digest_of: HashMap<usize, &str> = HashMap::with_capacity(schemas.items.len());
    for (digest, position) in &schemas.positions {
        digest_of.insert(*position, digest.as_str());
    }
    let schema_digests = (0..schemas.items.len())
        .map(|position| digest_of.get(&position).copied().unwrap_or_default())
        .collect();
    let payload = Payload {
        commits: numbering.commits,
        head,
        commit_table: commits.items,
        schemas: raw_schemas,
        schema_digests,
        texts: texts.items,
        events,
        problems,
        packages: marks(&numbering.previous_packages),
        providers: marks(&numbering.providers),
    };
    let body = serde_json::to_vec(&payload).map_err(std::io::Error::other)?;
    frame(
        MAGIC,
        branch,
        numbering.head.as_ref().map_or("", |head| head.id.as_str()),
        &body,
    )
}

/// A cache file: the header lines (`magic` first) and `body`.
fn frame(magic: &str, branch: &str, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(body.len() + 256);
    writeln!(bytes, "{magic}")?;
    writeln!(bytes, "format {FORMAT}")?;
    writeln!(bytes, "engine {}", engine())?;
    writeln!(
        bytes,
        "branch {}",
        serde_json::to_string(branch).map_err(std::io::Error::other)?
    )?;
    writeln!(bytes, "head {head}")?;
    writeln!(bytes, "sha256 {}", hex(&sha2::Sha256::digest(body)))?;
    bytes.extend_from_slice(body);
    Ok(bytes)
}

/// The header and the body of a cache file whose first line is `magic`, once the header,
/// the body's digest and the branch are checked.
fn unframe<'b>(
    path: &Path,
    bytes: &'b [u8],
    magic: &str,
    branch: &str,
) -> Result<(Header, &'b [u8]), CacheProblem> {
    let damaged = |what: String| CacheProblem::Damaged {
        path: path.to_path_buf(),
        what,
    };
    // The header is the first six lines; the payload is everything after them.
    let mut end = 0;
    for _ in 0..6 {
        let Some(newline) = bytes[end..].iter().position(|&byte| byte == b'\n') else {
            if !bytes.starts_with(magic.as_bytes()) {
                return Err(CacheProblem::Foreign {
                    path: path.to_path_buf(),
                    what: "it does not start with the cache's first line".into(),
                });
            }
            return Err(damaged("the header is cut short".into()));
        };
        end += newline + 1;
    }
    let header_text =
        std::str::from_utf8(&bytes[..end]).map_err(|_| damaged("the header is not text".into()))?;
    let header = Header::parse(path, header_text, magic)?;
    let body = &bytes[end..];
    if hex(&sha2::Sha256::digest(body)) != header.sha256 {
        return Err(damaged(
            "its content does not match its digest (cut short or changed)".into(),
        ));
    }
    if header.branch != branch {
        return Err(CacheProblem::Foreign {
            path: path.to_path_buf(),
            what: format!("it numbers {:?}, not {branch:?}", header.branch),
        });
    }
    Ok((header, body))
}

fn decode(
    path: &Path,
    bytes: &[u8],
    branch: &str,
    schemas: &crate::source::SchemaCache,
) -> Result<CachedNumbering, CacheProblem> {
    let damaged = |what: String| CacheProblem::Damaged {
        path: path.to_path_buf(),
        what,
    };
    let (header, body) = unframe(path, bytes, MAGIC, branch)?;
    let payload: Payload<'_> =
        serde_json::from_slice(body).map_err(|error| damaged(format!("{error}")))?;
    let commit_table: Vec<Arc<CommitInfo>> = payload
        .commit_table
        .into_iter()
        .map(|record| {
            Arc::new(CommitInfo {
                id: record.id,
                author: record.author,
                email: record.email,
                time: record.time,
                offset_minutes: record.offset_minutes,
            })
        })
        .collect();
    let commit = |position: usize| {
        commit_table
            .get(position)
            .cloned()
            .ok_or_else(|| damaged(format!("commit {position} is not in its table")))
    };
    // Each schema is the canonical text this build wrote with the digest it computed of it
    // (the engine and the digest of the whole payload are checked above; reading the payload
    // checked that each text is JSON), so it is neither parsed nor hashed again here: its
    // document is parsed when something first serves it.
    if payload.schema_digests.len() != payload.schemas.len() {
        return Err(damaged(format!(
            "{} schemas but {} schema digests",
            payload.schemas.len(),
            payload.schema_digests.len()
        )));
    }
    let mut schema_table = Vec::with_capacity(payload.schemas.len());
    for (raw, digest) in payload.schemas.iter().zip(&payload.schema_digests) {
        let digest = Digest::parse(digest)
            .ok_or_else(|| damaged(format!("{digest:?} is not a schema digest")))?;
        let schema = CanonicalSchema::from_checked_parts(raw.get().to_string(), digest);
        schema_table.push(schemas.intern(None, schema));
    }
    let text_table: Vec<Arc<str>> = payload
        .texts
        .iter()
        .map(|text| schemas.intern_text(text))
        .collect();
    let mut numbering = Numbering {
        commits: payload.commits,
        head: payload
            .head
            .map(|position| commit(position).map(|info| (*info).clone()))
            .transpose()?,
        ..Numbering::default()
    };
    for event in payload.events {
        let mut versions = Vec::with_capacity(event.versions.len());
        for (position, version) in event.versions.into_iter().enumerate() {
            let schema = schema_table
                .get(version.schema)
                .cloned()
                .ok_or_else(|| damaged(format!("schema {} is not in its table", version.schema)))?;
            let cue_text = version
                .text
                .map(|position| {
                    text_table
                        .get(position)
                        .cloned()
                        .ok_or_else(|| damaged(format!("text {position} is not in its table")))
                })
                .transpose()?;
            versions.push(Version {
                number: u32::try_from(position + 1)
                    .map_err(|_| damaged("too many versions".into()))?,
                digest: schema.digest.clone(),
                commit: commit(version.commit)?,
                position: version.position,
                directory: version.directory,
                definition: version.definition,
                cue_text,
                schema,
            });
        }
        let removed_in = event
            .removed_in
            .map(|position| commit(position).map(|info| (*info).clone()))
            .transpose()?;
        numbering.events.insert(
            (event.source.clone(), event.event_type.clone()),
            Arc::new(EventHistory {
                source: event.source,
                event_type: event.event_type,
                versions,
                removed_in,
            }),
        );
    }
    let mut problem_sites = Vec::with_capacity(payload.problems.len());
    for problem in payload.problems {
        problem_sites.push(((*commit(problem.commit)?).clone(), problem.directory));
    }
    let marks =
        |records: Vec<MarkRecord>| -> Result<HashMap<String, Arc<PackageMark>>, CacheProblem> {
            records
                .into_iter()
                .map(|record| {
                    let state = unhex(&record.state).ok_or_else(|| {
                        damaged(format!("{:?} is not a state digest", record.state))
                    })?;
                    let mark = PackageMark {
                        state,
                        directory: record.directory,
                        id: record.id,
                        is_source: record.is_source,
                        has_errors: record.has_errors,
                        types: record.types,
                    };
                    Ok((record.name, Arc::new(mark)))
                })
                .collect()
        };
    numbering.previous_packages = marks(payload.packages)?;
    numbering.providers = marks(payload.providers)?;
    if numbering.head.as_ref().map_or("", |head| head.id.as_str()) != header.head {
        return Err(damaged("the header's head is not the payload's".into()));
    }
    Ok(CachedNumbering {
        numbering,
        problem_sites,
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub(crate) fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (index, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}
