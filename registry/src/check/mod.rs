//! `cuemesh check`: the CI gate of a pull request. The working tree (uncommitted changes
//! included) is compared with the merge base of `HEAD` and a ref (`origin/main`): for every event
//! type added, changed or removed since, the version it would create and every compatibility
//! finding under its mode.
//!
//! - The base is the merge base, as a pull request's diff: what the target branch gained since
//!   the branch was cut is not the pull request's doing.
//! - Versions are numbered like the registry numbers them: [`Repository::history`] along the
//!   base's first-parent chain; a changed event would create the next number.
//! - The mode of an event is its `@compat(MODE)` attribute in the working tree, else
//!   `cuemesh.cue`'s `compatibility`, else `BACKWARD`. A transitive mode compares with every
//!   earlier version, each loaded from the commit that introduced it. An attribute changed by
//!   the pull request is a `COMPAT_MODE_CHANGED` warning, never silent.
//! - Removing an event type (`EVENT_REMOVED`) or a source (`SOURCE_REMOVED`) is breaking. A
//!   package with errors is `PACKAGE_ERROR` and none of its events is compared (nor reported as
//!   removed: the error says why).
//! - Only packages whose inputs differ from the base's (their files, the files of every package
//!   they import, the module file) are loaded, snapshotted at the base and numbered
//!   ([`Repository::history_of_directories`]): an untouched package cannot change, so its events
//!   are counted as unchanged from their syntax, and a one-file change in a large repository
//!   costs one package's history rather than every package's. (An untouched package with errors
//!   is lint's to report, not the gate's.)
//! - Consumers (`consumers/*.cue` of the working tree) pinned to a version of a changed type
//!   must read what the new version accepts (`CONSUMER_BROKEN`, in the `consumers` module); a removed
//!   type names the consumers that read it.
//! - The escape hatch: `check: allow: [...]` in `cuemesh.cue` ([`Allowance`]) or
//!   [`CheckOptions::allow_breaking`] (a labelled pull request) turn breaking findings into
//!   warnings that name the reason; package and settings errors cannot be allowed.

mod consumers;
mod settings;
mod working_tree;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use cue::compat::{self, Mode};
use cue::{Diagnostic, Package, Severity, SourceMap};

use crate::commit::CommitInfo;
use crate::consumer::Consumer;
use crate::files::{FilesError, RepoFiles, MODULE_FILE};
use crate::repository::Repository;
use crate::source::Event;
use crate::tree::{self, TreeResolver};
use cuemesh_contract::canonical::Digest;

pub use consumers::{AffectedConsumer, CONSUMER_BROKEN, CONSUMER_UNDECLARED};
pub use settings::{Allowance, CheckSettings};

/// A removed event type.
pub const EVENT_REMOVED: &str = "EVENT_REMOVED";
/// A removed source (every event type of it).
pub const SOURCE_REMOVED: &str = "SOURCE_REMOVED";
/// A package of the working tree with errors.
pub const PACKAGE_ERROR: &str = "PACKAGE_ERROR";
/// `cuemesh.cue` does not compile or `check` settings are invalid.
pub const CONFIG_INVALID: &str = "CONFIG_INVALID";
/// An `@compat(...)` attribute that names no mode.
pub const COMPAT_MODE_INVALID: &str = "COMPAT_MODE_INVALID";
/// The pull request changes an event's `@compat(...)` attribute.
pub const COMPAT_MODE_CHANGED: &str = "COMPAT_MODE_CHANGED";
/// How a canonical schema marks a constraint that reads fields the data can set.
const DEPENDS_ON_THE_DATA: &str = "depends on the data";

/// A stored event (read back from the stream by `check --replay`) that the version the change
/// would create rejects. The replay itself is the command line's: the registry knows no broker.
pub const REPLAY_REJECTED: &str = "REPLAY_REJECTED";

/// A `check.allow` entry that allowed nothing.
pub const ALLOW_UNUSED: &str = "ALLOW_UNUSED";

/// What `check` compares with, and how.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// The ref to compare with (`origin/main`); the base is its merge base with `HEAD`.
    pub against: String,
    /// Allow every breaking change, for this reason (a pull request labelled as an intended
    /// break). Findings stay, as warnings naming the reason.
    pub allow_breaking: Option<String>,
    /// Compile the schema of every event type the change touches ([`Comparison::replay`]), so
    /// that stored events can be validated against it.
    pub replay: bool,
}

/// Why `check` could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Repository(#[from] crate::Error),
    #[error("{}: a bare repository has no working tree to check", path.display())]
    NoWorkTree { path: PathBuf },
    #[error("HEAD does not name a commit (an empty repository?)")]
    Head {
        #[source]
        source: git2::Error,
    },
    #[error("HEAD and {against:?} have no common ancestor")]
    NoMergeBase {
        against: String,
        #[source]
        source: git2::Error,
    },
    #[error(transparent)]
    Files(#[from] FilesError),
}

/// What the pull request does to one event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// New since the base: it would get its first version (or the next, if it existed before).
    Added,
    /// Its canonical schema differs from its latest version: it would get the next version.
    Changed,
    /// Declared at the base, gone from the working tree.
    Removed,
}

impl ChangeKind {
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Changed => "changed",
            ChangeKind::Removed => "removed",
        }
    }
}

/// One event type the pull request adds, changes or removes.
#[derive(Debug, Clone)]
pub struct EventChange {
    /// The `source.id`.
    pub source: String,
    pub event_type: String,
    pub kind: ChangeKind,
    /// The mode the change was checked in.
    pub mode: Mode,
    /// The version merging would create (`None` for a removal).
    pub version: Option<u32>,
    /// The latest version at the base, if any.
    pub previous: Option<u32>,
    /// The digest of the new schema (`None` for a removal).
    pub digest: Option<Digest>,
}

/// One finding of `check`, with the files its spans point into (the working tree's, or a
/// previous version's for removals).
#[derive(Debug, Clone)]
pub struct CheckFinding {
    /// The `source.id` the finding is about, if any.
    pub source: Option<String>,
    /// The event type the finding is about, if any.
    pub event_type: Option<String>,
    /// The rule id is the diagnostic's code.
    pub diagnostic: Diagnostic,
    pub files: Arc<SourceMap>,
    /// Why a breaking finding was allowed (it is then a warning).
    pub allowed: Option<String>,
    /// For a compatibility finding: a document one version accepts and the other rejects,
    /// validated against both.
    pub counterexample: Option<compat::Counterexample>,
    /// For a compatibility finding without a counterexample: why there is none.
    pub counterexample_note: Option<String>,
    /// The consumers the finding breaks (`CONSUMER_BROKEN`, and `EVENT_REMOVED` of a type
    /// consumers read): whose owners should review the change.
    pub consumers: Vec<AffectedConsumer>,
}

impl CheckFinding {
    /// Whether the finding is one of a compatibility rule (and so carries a counterexample or
    /// a note saying why not).
    pub fn is_compatibility(&self) -> bool {
        self.diagnostic.code == CONSUMER_BROKEN
            || compat::RULES
                .iter()
                .any(|rule| rule.id == self.diagnostic.code)
    }
}

/// The outcome of `check`.
#[derive(Debug)]
pub struct CheckReport {
    /// The ref as given.
    pub against: String,
    /// The merge base of `HEAD` and `against`.
    pub base: CommitInfo,
    /// The commit the working tree is on.
    pub head: CommitInfo,
    /// Event types added, changed or removed, in source then declaration order (removals last).
    pub changes: Vec<EventChange>,
    /// How many event types are unchanged.
    pub unchanged: usize,
    pub findings: Vec<CheckFinding>,
}

impl CheckReport {
    /// Whether no finding is an error.
    pub fn passes(&self) -> bool {
        self.count(Severity::Error) == 0
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.diagnostic.severity == severity)
            .count()
    }

    /// How many versions merging would create.
    pub fn new_versions(&self) -> usize {
        self.changes
            .iter()
            .filter(|change| change.version.is_some())
            .count()
    }
}

/// One event type whose schema the change touches, compiled as the change would publish it:
/// what `check --replay` validates the stored events of the type against.
#[derive(Clone)]
pub struct ReplayTarget {
    pub source: String,
    pub event_type: String,
    /// The version the change would create (the latest one when a change of a data-dependent
    /// constraint creates none).
    pub version: u32,
    pub schema: cue::Schema,
}

/// A comparison before `cuemesh.cue`'s allowances are applied: findings of the caller's own
/// (replayed events) join [`Comparison::report`] first, so that `check.allow` covers them too
/// and no entry is reported unused for want of them.
pub struct Comparison {
    pub report: CheckReport,
    /// The touched event types, when [`CheckOptions::replay`] asked for them.
    pub replay: Vec<ReplayTarget>,
    settings: CheckSettings,
    settings_files: Arc<SourceMap>,
    /// The working tree's consumer files that load.
    consumers: Vec<Consumer>,
}

impl Comparison {
    /// A `CONSUMER_UNDECLARED` warning for every consumer `observations` show decoding an
    /// event type of [`Comparison::replay`] that no consumer file declares reading it.
    pub fn undeclared_consumers(
        &self,
        observations: &[cuemesh_contract::observed::Observation],
    ) -> Vec<CheckFinding> {
        let touched: Vec<(&str, &str)> = self
            .replay
            .iter()
            .map(|target| (target.source.as_str(), target.event_type.as_str()))
            .collect();
        consumers::undeclared(&self.consumers, &touched, observations)
    }

    /// Applies the allowances (`check.allow`, `--allow-breaking`) and returns the report.
    pub fn finish(mut self, options: &CheckOptions) -> CheckReport {
        apply_allowances(
            &mut self.report,
            &self.settings,
            options,
            &self.settings_files,
        );
        self.report
    }
}

/// Compares the working tree of `repository` with the merge base of `HEAD` and
/// `options.against`.
pub fn check(repository: &Repository, options: &CheckOptions) -> Result<CheckReport, CheckError> {
    Ok(compare(repository, options)?.finish(options))
}

/// [`check`] without the allowances applied yet.
pub fn compare(repository: &Repository, options: &CheckOptions) -> Result<Comparison, CheckError> {
    let git = repository.git();
    let root = git
        .workdir()
        .ok_or_else(|| CheckError::NoWorkTree {
            path: repository.path().to_path_buf(),
        })?
        .to_path_buf();
    let head = git
        .head()
        .and_then(|head| head.peel_to_commit())
        .map_err(|source| CheckError::Head { source })?;
    let against = repository.resolve(&options.against)?;
    let base_id =
        git.merge_base(head.id(), against.id())
            .map_err(|source| CheckError::NoMergeBase {
                against: options.against.clone(),
                source,
            })?;
    let base_ref = base_id.to_string();
    let base_commit = repository.resolve(&base_ref)?;

    let files = RepoFiles::read_directory(&root)?;
    let consumers = consumers::working_consumers(&files);
    let module = files.text(MODULE_FILE).and_then(cue::module_path);
    let (settings, problems) = CheckSettings::load(&files, module.as_deref().unwrap_or(""));

    // Only packages whose inputs (their files and everything they import) differ from the
    // base's can differ in anything: the others are neither loaded nor numbered.
    let base_inputs = base_fingerprints(repository, &base_commit)?;
    let module_changed = base_inputs.module != files.text(MODULE_FILE).map(str::to_string);
    let mut touched: HashSet<String> = HashSet::new();
    let mut unchanged_events = 0;
    let mut current = Vec::new();
    let mut working_directories = HashSet::new();
    for input in working_tree::read(&files, module.as_deref()) {
        working_directories.insert(input.directory.clone());
        if !module_changed
            && base_inputs.packages.get(&input.directory) == Some(&input.fingerprint())
        {
            unchanged_events += declared_event_count(&input.files);
            continue;
        }
        touched.insert(input.directory.clone());
        current.push(input.load());
    }
    for directory in base_inputs.packages.keys() {
        if !working_directories.contains(directory) {
            touched.insert(directory.clone());
        }
    }
    let include = |directory: &str| touched.contains(directory);
    let base = repository.snapshot_of_directories(&base_commit, &include)?;
    let history = repository.history_of_directories(&base_ref, &include)?;

    let mut report = CheckReport {
        against: options.against.clone(),
        base: base.commit.clone(),
        head: CommitInfo::from_commit(&head),
        changes: Vec::new(),
        unchanged: unchanged_events,
        findings: Vec::new(),
    };
    for diagnostic in problems.diagnostics {
        report.findings.push(CheckFinding {
            source: None,
            event_type: None,
            diagnostic,
            files: problems.files.clone(),
            allowed: None,
            counterexample: None,
            counterexample_note: None,
            consumers: Vec::new(),
        });
    }
    for (path, error) in &files.unreadable {
        report.findings.push(CheckFinding {
            source: None,
            event_type: None,
            diagnostic: Diagnostic::error(PACKAGE_ERROR, format!("cannot read {path}: {error}")),
            files: Arc::new(SourceMap::new()),
            allowed: None,
            counterexample: None,
            counterexample_note: None,
            consumers: Vec::new(),
        });
    }

    let files_of_tree = &files;
    let mut replay = Vec::new();
    let mut previous_packages = PreviousPackages::new(repository);
    for package in &current {
        let source = &package.source;
        let files = source.files.clone();
        if source.has_errors() {
            for diagnostic in &source.diagnostics {
                if diagnostic.severity == Severity::Error {
                    report.findings.push(CheckFinding {
                        source: source.id.clone(),
                        event_type: None,
                        diagnostic: Diagnostic {
                            code: PACKAGE_ERROR,
                            ..diagnostic.clone()
                        },
                        files: files.clone(),
                        allowed: None,
                        counterexample: None,
                        counterexample_note: None,
                        consumers: Vec::new(),
                    });
                }
            }
            continue;
        }
        let Some(source_id) = source.id.clone().filter(|_| source.is_source) else {
            continue;
        };
        let mut engine_package: Option<Package> = None;
        for event in &source.events {
            let base_event = base
                .source(&source_id)
                .and_then(|s| s.event(&event.event_type));
            let mode = match event_mode(event) {
                Ok(mode) => mode,
                Err(diagnostic) => {
                    report.findings.push(CheckFinding {
                        source: Some(source_id.clone()),
                        event_type: Some(event.event_type.clone()),
                        diagnostic: *diagnostic,
                        files: files.clone(),
                        allowed: None,
                        counterexample: None,
                        counterexample_note: None,
                        consumers: Vec::new(),
                    });
                    None
                }
            };
            let base_mode = base_event.and_then(|e| event_mode(e).ok().flatten());
            if base_event.is_some() {
                let invalid = event.attribute("compat").is_some() && mode.is_none();
                if mode != base_mode && !invalid {
                    let name = |mode: Option<Mode>| {
                        mode.map_or("none".to_string(), |m| format!("@compat({m})"))
                    };
                    let mut diagnostic = Diagnostic {
                        severity: Severity::Warning,
                        ..Diagnostic::error(
                            COMPAT_MODE_CHANGED,
                            format!(
                                "the compatibility mode of {:?} changes from {} to {}",
                                event.event_type,
                                name(base_mode),
                                name(mode)
                            ),
                        )
                    }
                    .with_help("a change of mode applies to this change already: reviewers should agree to it");
                    if let Some(attribute) = event.attribute("compat") {
                        diagnostic = diagnostic.with_span(attribute.span);
                    } else {
                        diagnostic = diagnostic.with_span(event.span);
                    }
                    report.findings.push(CheckFinding {
                        source: Some(source_id.clone()),
                        event_type: Some(event.event_type.clone()),
                        diagnostic,
                        files: files.clone(),
                        allowed: None,
                        counterexample: None,
                        counterexample_note: None,
                        consumers: Vec::new(),
                    });
                }
            }
            let mode = mode.or(settings.compatibility).unwrap_or_default();
            let Some(digest) = event.digest().cloned() else {
                continue;
            };
            let versions = history
                .event(&source_id, &event.event_type)
                .map(|h| h.versions.as_slice())
                .unwrap_or_default();
            let latest = versions.last();
            // A constraint that reads other fields is exported as "depends on the data", so
            // `m: >=n` and `m: >n` share a canonical form: when such a definition's text
            // changed, it is compared all the same, though it creates no version.
            let hidden_change = base_event
                .is_some_and(|base| base.definition_text != event.definition_text)
                && event
                    .schema
                    .as_ref()
                    .is_some_and(|schema| schema.text.contains(DEPENDS_ON_THE_DATA));
            let same_digest = base_event.is_some() && latest.is_some_and(|l| l.digest == digest);
            if same_digest && !hidden_change {
                report.unchanged += 1;
                continue;
            }
            let next = latest.map_or(1, |l| l.number + 1);
            let kind = if base_event.is_some() && latest.is_some() {
                ChangeKind::Changed
            } else {
                ChangeKind::Added
            };
            if same_digest {
                report.unchanged += 1;
            } else {
                report.changes.push(EventChange {
                    source: source_id.clone(),
                    event_type: event.event_type.clone(),
                    kind,
                    mode,
                    version: Some(next),
                    previous: latest.map(|l| l.number),
                    digest: Some(digest),
                });
            }
            if options.replay {
                let current_package = engine_package.get_or_insert_with(|| package.package());
                match current_package.schema(Some(&event.definition)) {
                    Ok(schema) => replay.push(ReplayTarget {
                        source: source_id.clone(),
                        event_type: event.event_type.clone(),
                        version: if same_digest { next - 1 } else { next },
                        schema,
                    }),
                    Err(diagnostics) => {
                        for diagnostic in diagnostics {
                            report.findings.push(CheckFinding {
                                source: Some(source_id.clone()),
                                event_type: Some(event.event_type.clone()),
                                diagnostic: Diagnostic {
                                    code: PACKAGE_ERROR,
                                    ..diagnostic
                                },
                                files: files.clone(),
                                allowed: None,
                                counterexample: None,
                                counterexample_note: None,
                                consumers: Vec::new(),
                            });
                        }
                    }
                }
            }
            // Every consumer pinned to an earlier version must still read the new one,
            // whatever the type's own mode.
            let pinned = consumers::readers(&consumers, &source_id, &event.event_type);
            if kind == ChangeKind::Changed && !same_digest && !pinned.is_empty() {
                let changed = consumers::ChangedType {
                    source: &source_id,
                    event_type: &event.event_type,
                    definition: &event.definition,
                    next,
                    versions,
                    examples: examples_of(files_of_tree, &source.directory, &event.event_type),
                };
                let current_package = engine_package.get_or_insert_with(|| package.package());
                report.findings.extend(consumers::check_pins(
                    &pinned,
                    changed,
                    current_package,
                    &mut previous_packages,
                )?);
            }
            if kind == ChangeKind::Added || mode == Mode::None {
                continue;
            }
            // The versions compared: the latest, or every one for a transitive mode.
            let compared: &[crate::Version] = if mode.is_transitive() {
                versions
            } else {
                &versions[versions.len() - 1..]
            };
            let mut loaded = Vec::new();
            for version in compared {
                loaded.push(previous_packages.load(&version.commit.id, &version.directory)?);
            }
            let current_package = engine_package.get_or_insert_with(|| package.package());
            let previous: Vec<compat::Version<'_>> = loaded
                .iter()
                .zip(compared)
                .map(|(package, version)| compat::Version {
                    package: package.as_ref(),
                    definition: &version.definition,
                })
                .collect();
            let current_version = compat::Version {
                package: current_package,
                definition: &event.definition,
            };
            let options = compat::Options {
                examples: examples_of(files_of_tree, &source.directory, &event.event_type),
            };
            match compat::check_with(&previous, current_version, mode, &options) {
                Ok(compat_report) => {
                    let compat_files = Arc::new(compat_report.sources.clone());
                    for finding in &compat_report.findings {
                        let mut diagnostic = finding.to_diagnostic();
                        if mode.is_transitive() {
                            let number = compared[finding.previous].number;
                            diagnostic.message =
                                format!("{} (against version {number})", diagnostic.message);
                        }
                        report.findings.push(CheckFinding {
                            source: Some(source_id.clone()),
                            event_type: Some(event.event_type.clone()),
                            diagnostic,
                            files: compat_files.clone(),
                            allowed: None,
                            counterexample: finding.counterexample.clone(),
                            counterexample_note: finding.counterexample_note.clone(),
                            consumers: Vec::new(),
                        });
                    }
                }
                Err(diagnostics) => {
                    for diagnostic in diagnostics {
                        report.findings.push(CheckFinding {
                            source: Some(source_id.clone()),
                            event_type: Some(event.event_type.clone()),
                            diagnostic,
                            files: files.clone(),
                            allowed: None,
                            counterexample: None,
                            counterexample_note: None,
                            consumers: Vec::new(),
                        });
                    }
                }
            }
        }
    }

    // Removals: every event type of the base the working tree no longer declares.
    for base_source in &base.sources {
        let Some(source_id) = &base_source.id else {
            continue;
        };
        // A package that does not load says why; its events are not "removed".
        let broken = current.iter().any(|p| {
            p.source.has_errors()
                && (p.source.directory == base_source.directory
                    || p.source.id.as_deref() == Some(source_id))
        });
        if broken {
            continue;
        }
        let now = current
            .iter()
            .map(|p| &p.source)
            .find(|s| s.is_source && s.id.as_deref() == Some(source_id));
        if now.is_none() {
            report.findings.push(CheckFinding {
                source: Some(source_id.clone()),
                event_type: None,
                diagnostic: Diagnostic::error(
                    SOURCE_REMOVED,
                    format!("source {source_id:?} ({}) is removed: consumers of its {} event types lose their schemas", base_source.directory, base_source.events.len()),
                ),
                files: base_source.files.clone(),
                allowed: None,
                counterexample: None,
                counterexample_note: None,
                consumers: Vec::new(),
            });
        }
        for event in &base_source.events {
            if now.is_some_and(|s| s.event(&event.event_type).is_some()) {
                continue;
            }
            let previous = history
                .event(source_id, &event.event_type)
                .and_then(|h| h.latest())
                .map(|v| v.number);
            report.changes.push(EventChange {
                source: source_id.clone(),
                event_type: event.event_type.clone(),
                kind: ChangeKind::Removed,
                mode: event_mode(event)
                    .ok()
                    .flatten()
                    .or(settings.compatibility)
                    .unwrap_or_default(),
                version: None,
                previous,
                digest: None,
            });
            let (readers, read_by) =
                consumers::of_removed(&consumers, source_id, &event.event_type);
            report.findings.push(CheckFinding {
                source: Some(source_id.clone()),
                event_type: Some(event.event_type.clone()),
                diagnostic: Diagnostic::error(
                    EVENT_REMOVED,
                    format!("event type {:?} is removed: producers and consumers pinned to it lose its schema{read_by}", event.event_type),
                )
                .with_span(event.span)
                .with_help("removing an event type is breaking; to replace it, add a new type and deprecate this one, or allow the break (see `check: allow` in cuemesh.cue)"),
                files: base_source.files.clone(),
                allowed: None,
                counterexample: None,
                counterexample_note: None,
                consumers: readers,
            });
        }
    }

    Ok(Comparison {
        report,
        replay,
        settings,
        settings_files: problems.files,
        consumers,
    })
}

/// The example payloads of an event type in the working tree
/// (`<directory>/examples/<type>/*.json`) that are JSON: where counterexamples start from.
fn examples_of(files: &RepoFiles, directory: &str, event_type: &str) -> Vec<serde_json::Value> {
    let prefix = format!("{directory}/{}/", crate::source::EXAMPLES_DIRECTORY);
    let mut examples = Vec::new();
    for (path, bytes) in files.files.range(prefix.clone()..) {
        let Some(rest) = path.strip_prefix(&prefix) else {
            break;
        };
        let Some((folder, name)) = rest.split_once('/') else {
            continue;
        };
        if !name.ends_with(".json") || crate::source::event_type_of_folder(folder) != event_type {
            continue;
        }
        if let Ok(value) = serde_json::from_slice(bytes) {
            examples.push(value);
        }
    }
    examples
}

/// The mode of `@compat(MODE)`: `Ok(None)` without the attribute.
fn event_mode(event: &Event) -> Result<Option<Mode>, Box<Diagnostic>> {
    let Some(attribute) = event.attribute("compat") else {
        return Ok(None);
    };
    let text = attribute.body.trim().trim_matches('"');
    text.parse::<Mode>().map(Some).map_err(|error| {
        Box::new(
            Diagnostic::error(COMPAT_MODE_INVALID, error.to_string()).with_span(attribute.span),
        )
    })
}

/// Whether a finding is a breaking change the escape hatch may allow.
fn is_allowable(code: &str) -> bool {
    code == EVENT_REMOVED
        || code == SOURCE_REMOVED
        || code == CONSUMER_BROKEN
        || code == REPLAY_REJECTED
        || compat::RULES.iter().any(|r| r.id == code)
}

fn apply_allowances(
    report: &mut CheckReport,
    settings: &CheckSettings,
    options: &CheckOptions,
    settings_files: &Arc<SourceMap>,
) {
    let versions: HashMap<(String, String), Option<u32>> = report
        .changes
        .iter()
        .map(|c| ((c.source.clone(), c.event_type.clone()), c.version))
        .collect();
    let mut used = vec![false; settings.allow.len()];
    for finding in &mut report.findings {
        if finding.diagnostic.severity != Severity::Error || !is_allowable(finding.diagnostic.code)
        {
            continue;
        }
        let Some(source) = &finding.source else {
            continue;
        };
        let version = finding.event_type.as_ref().and_then(|t| {
            versions
                .get(&(source.clone(), t.clone()))
                .copied()
                .flatten()
        });
        let allowance = settings.allow.iter().find(|a| {
            a.allows(
                source,
                finding.event_type.as_deref(),
                version,
                finding.diagnostic.code,
            )
        });
        let reason = match (allowance, &options.allow_breaking) {
            (Some(allowance), _) => {
                used[allowance.index] = true;
                format!("{}: {}", allowance.describe(), allowance.reason)
            }
            (None, Some(reason)) => format!("--allow-breaking: {reason}"),
            (None, None) => continue,
        };
        finding.diagnostic.severity = Severity::Warning;
        finding.diagnostic.message =
            format!("{} (allowed by {reason})", finding.diagnostic.message);
        finding.allowed = Some(reason);
    }
    for (allowance, used) in settings.allow.iter().zip(used) {
        if !used {
            report.findings.push(CheckFinding {
                source: allowance.source.clone(),
                event_type: allowance.event_type.clone(),
                diagnostic: Diagnostic {
                    severity: Severity::Warning,
                    ..Diagnostic::error(
                        ALLOW_UNUSED,
                        format!("{} allows no finding of this change", allowance.describe()),
                    )
                }
                .with_help("remove it once the change it was for is merged"),
                files: settings_files.clone(),
                allowed: None,
                counterexample: None,
                counterexample_note: None,
                consumers: Vec::new(),
            });
        }
    }
}

/// Earlier versions' packages, loaded from the commit that introduced each, once.
struct PreviousPackages<'r> {
    repository: &'r Repository,
    loaded: HashMap<(String, String), Arc<Package>>,
}

impl<'r> PreviousPackages<'r> {
    fn new(repository: &'r Repository) -> PreviousPackages<'r> {
        PreviousPackages {
            repository,
            loaded: HashMap::new(),
        }
    }

    fn load(&mut self, commit: &str, directory: &str) -> Result<Arc<Package>, crate::Error> {
        let key = (commit.to_string(), directory.to_string());
        if let Some(package) = self.loaded.get(&key) {
            return Ok(package.clone());
        }
        let git = self.repository.git();
        let read_error = |what: &str| {
            let commit = commit.to_string();
            let what = what.to_string();
            move |source| crate::Error::Read {
                commit,
                what,
                source,
            }
        };
        let commit_object = self.repository.resolve(commit)?;
        let root = commit_object.tree().map_err(read_error("the root tree"))?;
        let files = match tree::subtree_id(&root, directory) {
            Some(id) => {
                let package_tree = git.find_tree(id).map_err(read_error(directory))?;
                tree::package_files(git, &package_tree, directory, None)
                    .map_err(read_error(directory))?
            }
            None => cue::PackageFiles { files: Vec::new() },
        };
        let resolver = TreeResolver::new(git, root);
        let package = Arc::new(Package::load(files, &resolver));
        self.loaded.insert(key, package.clone());
        Ok(package)
    }
}

/// The texts every package of the base reads, by directory, and the base's module file.
struct BaseInputs {
    module: Option<String>,
    packages: HashMap<String, Vec<(String, String)>>,
}

fn base_fingerprints(
    repository: &Repository,
    commit: &git2::Commit<'_>,
) -> Result<BaseInputs, crate::Error> {
    let git = repository.git();
    let read_error = |what: &str| {
        let commit = commit.id().to_string();
        let what = what.to_string();
        move |source| crate::Error::Read {
            commit,
            what,
            source,
        }
    };
    let root = commit.tree().map_err(read_error("the root tree"))?;
    let module = tree::read_text(git, &root, MODULE_FILE).map_err(read_error(MODULE_FILE))?;
    let mut packages = HashMap::new();
    let Some(sources_id) = tree::subtree_id(&root, crate::SOURCES_DIRECTORY) else {
        return Ok(BaseInputs { module, packages });
    };
    let sources = git
        .find_tree(sources_id)
        .map_err(read_error(crate::SOURCES_DIRECTORY))?;
    let resolver = TreeResolver::new(git, root.clone());
    for entry in sources.iter() {
        let (Some(name), Some(git2::ObjectType::Tree)) = (entry.name(), entry.kind()) else {
            continue;
        };
        let directory = format!("{}/{name}", crate::SOURCES_DIRECTORY);
        let package_tree = git.find_tree(entry.id()).map_err(read_error(&directory))?;
        let files = tree::package_files(git, &package_tree, &directory, None)
            .map_err(read_error(&directory))?;
        if files.files.is_empty() {
            continue;
        }
        let mut imports = HashMap::new();
        let mut pending = tree::imports_of(&files);
        while let Some(import) = pending.pop() {
            if imports.contains_key(&import) {
                continue;
            }
            if let Ok(Some(imported)) = cue::ImportResolver::resolve(&resolver, &import) {
                pending.extend(tree::imports_of(&imported));
                imports.insert(import, imported);
            }
        }
        packages.insert(directory, working_tree::fingerprint(&files, &imports));
    }
    Ok(BaseInputs { module, packages })
}

/// How many event types a package declares, read from its syntax (it is not evaluated).
fn declared_event_count(files: &cue::PackageFiles) -> usize {
    let parsed: Vec<cue::ast::File> = files
        .files
        .iter()
        .enumerate()
        .map(|(index, (_, text))| cue::parser::parse_file(cue::FileId(index as u32), text).0)
        .collect();
    let declared = crate::contract::read_contract(&parsed);
    if declared.is_source() {
        declared.events.len()
    } else {
        0
    }
}
