//! `cuemesh versions`: the sources, event types and versions of a governance repository, as
//! the registry will number them from a branch's first-parent history.

use crate::render::{self, Format};
use anyhow::{bail, Context};
use cuemesh_registry::{History, HistoryCache, Repository};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `versions` was asked to do.
#[derive(Debug, Clone)]
pub struct VersionsConfig {
    /// The repository (a work tree, `.git` directory or bare repository).
    pub repository: PathBuf,
    /// The branch whose history numbers versions; `None` is the repository's `HEAD` branch.
    pub branch: Option<String>,
    pub format: VersionsFormat,
    /// `--history-cache`: where the numbering is cached; `None` is the repository's own
    /// (see [`use_history_cache`]).
    pub history_cache: Option<PathBuf>,
}

/// How `versions` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionsFormat {
    /// A listing for people.
    Text,
    /// One JSON document (its fields are in docs/governance.md).
    Json,
}

impl VersionsFormat {
    /// `versions` prints text or JSON; GitHub annotations are for findings, which it has none of.
    pub fn from_format(format: Format) -> anyhow::Result<VersionsFormat> {
        match format {
            Format::Text => Ok(VersionsFormat::Text),
            Format::Json => Ok(VersionsFormat::Json),
            Format::Github => bail!("versions prints --format text or json, not github"),
        }
    }
}

/// Keeps `repository`'s numbered history in the cache at `directory`, by default `cuemesh/`
/// in its Git directory (beside the clone, and gone with it), and shows the cache's warnings
/// (a damaged file rebuilt, a file that cannot be written) on stderr. `versions`, `serve` and
/// `check` share it.
pub(crate) fn use_history_cache(repository: &mut Repository, directory: Option<&Path>) {
    let cache = match directory {
        Some(directory) => HistoryCache::new(directory),
        None => HistoryCache::beside(repository.git().path()),
    };
    repository.set_history_cache(Some(cache));
    repository.set_warnings(Some(Arc::new(|message: &str| {
        crate::output::warning(format_args!("{message}"));
    })));
}

/// Loads the history and prints it on `out`; packages that failed to load at some commit are
/// reported on `errors` (they make no versions, and do not fail the command).
pub fn run(
    config: &VersionsConfig,
    out: &mut dyn Write,
    errors: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut repository = Repository::open(&config.repository)
        .with_context(|| format!("cannot open the repository {}", config.repository.display()))?;
    use_history_cache(&mut repository, config.history_cache.as_deref());
    let branch = match &config.branch {
        Some(branch) => branch.clone(),
        None => cuemesh_registry::settings::numbered_branch(&repository)
            .context("cannot tell the branch to number versions on; name it with --branch")?,
    };
    let history = crate::output::with_history_progress(&mut repository, "loading", |repository| {
        repository.history(&branch)
    })
    .with_context(|| format!("cannot read the history of {branch}"))?;
    repository.save_history_cache();
    let snapshot = repository
        .snapshot(&branch)
        .with_context(|| format!("cannot read {branch}"))?;
    match config.format {
        VersionsFormat::Text => print_text(&history, &snapshot, out),
        VersionsFormat::Json => print_json(&history, out),
    }
    .context("cannot write output")?;
    for problem in &history.problems {
        writeln!(
            errors,
            "warning: {} does not load at commit {} ({}, {}): no versions from it",
            problem.directory,
            problem.commit.short_id(),
            problem.commit.author,
            problem.commit.date()
        )?;
        for diagnostic in &problem.diagnostics {
            writeln!(
                errors,
                "{}",
                render::render_plain(diagnostic, &problem.files)
            )?;
        }
    }
    Ok(())
}

fn print_text(
    history: &History,
    snapshot: &cuemesh_registry::Snapshot,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let head = history
        .head
        .as_ref()
        .map(|head| format!(" at {}", head.short_id()))
        .unwrap_or_default();
    writeln!(
        out,
        "{}{head}: {} commits, {} event types, {} versions",
        history.branch,
        history.commits,
        history.events.len(),
        history.version_count()
    )?;
    let mut current_source: Option<&str> = None;
    for event in &history.events {
        if current_source != Some(event.source.as_str()) {
            current_source = Some(&event.source);
            let details = snapshot
                .source(&event.source)
                .map(|source| {
                    format!(
                        " ({}, {})",
                        source.directory,
                        source.owner.as_deref().unwrap_or("no owner")
                    )
                })
                .unwrap_or_default();
            writeln!(out, "\n{}{details}", event.source)?;
        }
        let removed = event
            .removed_in
            .as_ref()
            .map(|commit| format!(" (removed in {} on {})", commit.short_id(), commit.date()))
            .unwrap_or_default();
        writeln!(out, "  {}{removed}", event.event_type)?;
        for version in &event.versions {
            writeln!(
                out,
                "    {:>3}  {}  {}  {}  {}",
                version.number,
                version.digest.short(),
                version.commit.short_id(),
                version.commit.author,
                version.commit.date()
            )?;
        }
    }
    Ok(())
}

fn print_json(history: &History, out: &mut dyn Write) -> std::io::Result<()> {
    let commit_json = |commit: &cuemesh_registry::CommitInfo| {
        json!({
            "commit": commit.id,
            "author": commit.author,
            "email": commit.email,
            "time": commit.rfc3339(),
        })
    };
    let events: Vec<serde_json::Value> = history
        .events
        .iter()
        .map(|event| {
            let versions: Vec<serde_json::Value> = event
                .versions
                .iter()
                .map(|version| {
                    json!({
                        "version": version.number,
                        "digest": version.digest.as_str(),
                        "commit": version.commit.id,
                        "author": version.commit.author,
                        "email": version.commit.email,
                        "time": version.commit.rfc3339(),
                        "directory": version.directory,
                        "definition": version.definition,
                    })
                })
                .collect();
            json!({
                "source": event.source,
                "type": event.event_type,
                "versions": versions,
                "removed_in": event.removed_in.as_ref().map(commit_json),
            })
        })
        .collect();
    let problems: Vec<serde_json::Value> = history
        .problems
        .iter()
        .map(|problem| {
            let diagnostics: Vec<serde_json::Value> = problem
                .diagnostics
                .iter()
                .filter_map(|diagnostic| {
                    serde_json::from_str(&render::render_json(diagnostic, &problem.files)).ok()
                })
                .collect();
            json!({
                "directory": problem.directory,
                "commit": commit_json(&problem.commit),
                "diagnostics": diagnostics,
            })
        })
        .collect();
    let document = json!({
        "branch": history.branch,
        "head": history.head.as_ref().map(|head| head.id.clone()),
        "commits": history.commits,
        "events": events,
        "problems": problems,
    });
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}
