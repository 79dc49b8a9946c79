//! `cuemesh check --against REF`: the pull request gate. Prints, per event type the working
//! tree adds, changes or removes since the merge base with REF, the version merging would
//! create, then every finding, in any of the three formats (plus a Markdown summary for the
//! GitHub Actions run page).
//!
//! The JSON format is one object per line, each with a `kind`:
//!
//! ```text
//! {"kind":"event","source":"MySource","type":"MySource:newPerson","change":"changed",
//!  "mode":"BACKWARD","version":3,"previous":2,"digest":"sha256:..."}
//! {"kind":"finding","source":"MySource","type":"MySource:newPerson","allowed":null,
//!  "consumers":[{"id":"billing","owner":"@acme/billing","version":2,"file":"consumers/billing.cue"}],
//!  "code":"FIELD_REMOVED","severity":"error",...the fields of every diagnostic (see render),
//!  "counterexample":{"value":{...},"accepted_by":"previous","rejected_by":"current",
//!  "error":"..."},"counterexample_note":null}
//! {"kind":"replay","source":"MySource","type":"MySource:newPerson","version":3,"read":120,
//!  "valid":117,"rejected":3,"samples":[{"sequence":41,"id":"...","violations":[{"path":"age",
//!  "code":"CONFLICT","message":"..."}]}]}
//! {"kind":"summary","against":"main","base":"<commit>","head":"<commit>","errors":1,
//!  "warnings":0,"versions":1,"unchanged":4,"passed":false}
//! ```

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use cue::Severity;
use cuemesh_registry::check::{compare, CheckFinding, CheckOptions, CheckReport};
use cuemesh_registry::Repository;

use crate::lint::{table_cell, write_findings_table, SummaryRow};
use crate::render::{self, Format, Proof};
use crate::replay::{self, Replay, ReplayConfig};

/// What `check` was asked to do.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// The governance repository's work tree (or a directory inside it).
    pub repository: PathBuf,
    pub options: CheckOptions,
    pub format: Format,
    /// `$GITHUB_STEP_SUMMARY`: appended to in the `github` format only.
    pub step_summary: Option<PathBuf>,
    /// `--replay`: validate the stored events of the touched types against the new versions.
    pub replay: Option<ReplayConfig>,
    /// `$GITHUB_OUTPUT`: the owners of affected consumers are appended to it (`github` format).
    pub github_output: Option<PathBuf>,
    /// `--history-cache`: where a numbering of the base may be cached; `None` is the
    /// repository's own. `check` reads it, and writes nothing.
    pub history_cache: Option<PathBuf>,
}

/// How a `check` run ended; the binary maps it to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// No finding at error level (warnings, allowed breaks included, may have been printed).
    Clean,
    /// At least one finding at error level.
    Findings,
}

impl CheckConfig {
    /// `repo` is `--repo` (the working directory by default), searched upwards for the Git
    /// repository like `git` does.
    pub fn from_arguments(
        repo: Option<PathBuf>,
        against: String,
        allow_breaking: Option<String>,
        format: Format,
        step_summary: Option<PathBuf>,
        working_directory: &Path,
    ) -> anyhow::Result<CheckConfig> {
        let start = working_directory.join(repo.unwrap_or_else(|| PathBuf::from(".")));
        let git = git2::Repository::discover(&start)
            .with_context(|| format!("{}: not inside a Git repository", start.display()))?;
        let repository = git.workdir().map(Path::to_path_buf).with_context(|| {
            format!(
                "{}: a bare repository has no working tree to check",
                start.display()
            )
        })?;
        let allow_breaking = allow_breaking.filter(|reason| !reason.trim().is_empty());
        Ok(CheckConfig {
            repository,
            options: CheckOptions {
                against,
                allow_breaking,
                replay: false,
            },
            format,
            step_summary: step_summary.filter(|path| !path.as_os_str().is_empty()),
            replay: None,
            github_output: None,
            history_cache: None,
        })
    }
}

/// Compares, prints the changes and findings on `stdout`, and writes the step summary.
pub fn run(config: &CheckConfig, stdout: &mut dyn Write) -> anyhow::Result<CheckOutcome> {
    let mut repository = Repository::open(&config.repository)?;
    crate::versions::use_history_cache(&mut repository, config.history_cache.as_deref());
    let options = CheckOptions {
        replay: config.replay.is_some(),
        ..config.options.clone()
    };
    let mut comparison = compare(&repository, &options)?;
    let replayed = match &config.replay {
        Some(replay_config) => replay::replay(replay_config, &comparison.replay)?,
        None => Replay::default(),
    };
    if let Some(stream) = &replayed.missing_stream {
        crate::output::warning(format_args!(
            "--replay: there is no stream {stream} on the NATS server: no stored event was replayed"
        ));
    }
    for problem in &replayed.observation_problems {
        crate::output::warning(format_args!(
            "--replay: observed consumers not compared: {problem}"
        ));
    }
    let undeclared = comparison.undeclared_consumers(&replayed.observations);
    comparison
        .report
        .findings
        .extend(replay::findings(&replayed).into_iter().chain(undeclared));
    let report = comparison.finish(&options);
    let write_error = "cannot write the check results";
    match config.format {
        Format::Text => {
            for change in &report.changes {
                writeln!(stdout, "{}", change_line(change)).context(write_error)?;
            }
            for outcome in &replayed.types {
                writeln!(stdout, "{}", replay::summary_line(outcome)).context(write_error)?;
            }
            if !report.changes.is_empty() || !replayed.types.is_empty() {
                writeln!(stdout).context(write_error)?;
            }
            for finding in &report.findings {
                let text = render::render_rich_with_notes(
                    &finding.diagnostic,
                    &finding.files,
                    &proof(finding).lines(),
                );
                writeln!(stdout, "{text}\n").context(write_error)?;
            }
            if let Some(line) = crate::consumers::text_line(&report) {
                writeln!(stdout, "{line}").context(write_error)?;
            }
            writeln!(stdout, "cuemesh check: {}", verdict(&report)).context(write_error)?;
        }
        Format::Json => {
            for change in &report.changes {
                let line = serde_json::json!({
                    "kind": "event",
                    "source": change.source,
                    "type": change.event_type,
                    "change": change.kind.name(),
                    "mode": change.mode.name(),
                    "version": change.version,
                    "previous": change.previous,
                    "digest": change.digest.as_ref().map(|d| d.as_str()),
                });
                writeln!(stdout, "{line}").context(write_error)?;
            }
            for outcome in &replayed.types {
                writeln!(stdout, "{}", replay::json_line(outcome)).context(write_error)?;
            }
            for finding in &report.findings {
                let mut line = render::json_object(&finding.diagnostic, &finding.files);
                if finding.is_compatibility() {
                    proof(finding).add_json(&mut line);
                }
                let mut object = serde_json::Map::new();
                object.insert("kind".into(), "finding".into());
                object.insert("source".into(), finding.source.clone().into());
                object.insert("type".into(), finding.event_type.clone().into());
                object.insert("allowed".into(), finding.allowed.clone().into());
                object.insert("consumers".into(), crate::consumers::json(finding));
                object.append(&mut line);
                writeln!(stdout, "{}", serde_json::Value::Object(object)).context(write_error)?;
            }
            let summary = serde_json::json!({
                "kind": "summary",
                "against": report.against,
                "base": report.base.id,
                "head": report.head.id,
                "errors": report.count(Severity::Error),
                "warnings": report.count(Severity::Warning),
                "versions": report.new_versions(),
                "unchanged": report.unchanged,
                "passed": report.passes(),
            });
            writeln!(stdout, "{summary}").context(write_error)?;
        }
        Format::Github => {
            for finding in &report.findings {
                let text = render::render_github_with_notes(
                    &finding.diagnostic,
                    &finding.files,
                    &proof(finding).lines(),
                );
                writeln!(stdout, "{text}").context(write_error)?;
            }
            if let Some(notice) = crate::consumers::github_notice(&report) {
                writeln!(stdout, "{notice}").context(write_error)?;
            }
            if let Some(path) = &config.github_output {
                crate::consumers::write_github_output(path, &report)?;
            }
            if let Some(path) = &config.step_summary {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("cannot open the step summary {}", path.display()))?;
                file.write_all(markdown_summary(&report, &replayed).as_bytes())
                    .with_context(|| format!("cannot write the step summary {}", path.display()))?;
            }
        }
    }
    Ok(if report.passes() {
        CheckOutcome::Clean
    } else {
        CheckOutcome::Findings
    })
}

/// What proves a finding: its counterexample or the note saying why there is none.
fn proof(finding: &CheckFinding) -> Proof<'_> {
    Proof {
        counterexample: finding.counterexample.as_ref(),
        note: finding.counterexample_note.as_deref(),
    }
}

/// `MySource:newPerson: changed, would create version 3 (BACKWARD)`.
pub fn change_line(change: &cuemesh_registry::check::EventChange) -> String {
    match change.version {
        Some(version) => format!(
            "{}: {}, would create version {version} ({})",
            change.event_type,
            change.kind.name(),
            change.mode
        ),
        None => format!(
            "{}: {}{}",
            change.event_type,
            change.kind.name(),
            change
                .previous
                .map_or(String::new(), |v| format!(" (its latest version is {v})"))
        ),
    }
}

/// `1 error, 0 warnings; 2 versions would be created, 3 event types unchanged (against main, merge base 1a2b3c4d5e6f)`.
pub fn verdict(report: &CheckReport) -> String {
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let versions = report.new_versions();
    format!(
        "{}, {}; {} would be created, {} unchanged (against {}, merge base {})",
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(versions, "version"),
        plural(report.unchanged, "event type"),
        report.against,
        &report.base.id[..report.base.id.len().min(12)],
    )
}

/// The Markdown for GitHub's run page: the verdict, the changed event types, the findings.
pub fn markdown_summary(report: &CheckReport, replayed: &Replay) -> String {
    let mut out = String::from("## cuemesh check\n\n");
    let mark = if report.passes() { "✅" } else { "❌" };
    let _ = writeln!(out, "{mark} {}\n", verdict(report));
    if !report.changes.is_empty() {
        out.push_str("| event type | change | version | mode |\n|---|---|---|---|\n");
        for change in &report.changes {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                table_cell(&change.event_type),
                change.kind.name(),
                change.version.map_or("—".to_string(), |v| v.to_string()),
                change.mode,
            );
        }
        out.push('\n');
    }
    if !replayed.types.is_empty() {
        out.push_str(
            "| replayed event type | version | read | valid | rejected |\n|---|---|---|---|---|\n",
        );
        for outcome in &replayed.types {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                table_cell(&outcome.event_type),
                outcome.version,
                outcome.read,
                outcome.valid,
                outcome.rejected,
            );
        }
        out.push('\n');
    }
    if let Some(stream) = &replayed.missing_stream {
        let _ = writeln!(
            out,
            "⚠️ replay: there is no stream `{}` on the NATS server: no stored event was replayed\n",
            table_cell(stream)
        );
    }
    if report.findings.is_empty() {
        return out;
    }
    write_findings_table(
        &mut out,
        report.findings.len(),
        report.findings.iter().map(|finding| SummaryRow {
            severity: finding.diagnostic.severity,
            rule: finding.diagnostic.code,
            position: finding
                .diagnostic
                .spans
                .first()
                .map(|span| finding.files.describe(*span)),
            message: finding.diagnostic.headline(),
        }),
    );
    out.push_str(&crate::consumers::markdown(report));
    write_counterexamples(&mut out, report);
    out
}

/// How many counterexamples the summary shows; the annotations carry every one.
const SUMMARY_COUNTEREXAMPLES: usize = 20;

/// The counterexamples of the findings, each under its rule and place, as a JSON block.
fn write_counterexamples(out: &mut String, report: &CheckReport) {
    let proven: Vec<&CheckFinding> = report
        .findings
        .iter()
        .filter(|f| f.counterexample.is_some())
        .collect();
    if proven.is_empty() {
        return;
    }
    out.push_str("### Counterexamples\n\n");
    for finding in proven.iter().take(SUMMARY_COUNTEREXAMPLES) {
        let Some(counterexample) = &finding.counterexample else {
            continue;
        };
        let place = finding
            .diagnostic
            .spans
            .first()
            .map_or(String::new(), |span| {
                format!(" at `{}`", table_cell(&finding.files.describe(*span)))
            });
        let _ = writeln!(
            out,
            "- `{}`{place}: accepted by the {} version, rejected by the {} one: `{}`",
            finding.diagnostic.code,
            counterexample.accepted_by.name(),
            counterexample.rejected_by.name(),
            table_cell(&counterexample.error).replace('`', "'"),
        );
        let value = counterexample.value.to_string();
        let fence = "`".repeat(longest_backtick_run(&value).max(2) + 1);
        let _ = writeln!(out, "\n  {fence}json\n  {value}\n  {fence}\n");
    }
    if proven.len() > SUMMARY_COUNTEREXAMPLES {
        let _ = writeln!(
            out,
            "… and {} more (see the annotations).\n",
            proven.len() - SUMMARY_COUNTEREXAMPLES
        );
    }
}

/// The longest run of backticks in `text`, so that a code fence can be longer.
fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}
