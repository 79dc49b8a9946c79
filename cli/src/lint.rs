//! `cuemesh lint`: the governance rules on a governance repository's working directory, printed
//! in any of the three formats, plus a Markdown summary for the GitHub Actions run page.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use cue::Severity;
use cuemesh_registry::lint::{lint_with, BranchVersions, LintOptions, LintReport};
use cuemesh_registry::{Finding, RepoFiles};

use crate::render::{self, Format};

/// What `lint` was asked to do.
#[derive(Debug, Clone)]
pub struct LintConfig {
    /// The repository root: the directory holding `cue.mod/module.cue`.
    pub root: PathBuf,
    pub format: Format,
    /// Where GitHub Actions wants the run's Markdown summary (`$GITHUB_STEP_SUMMARY`); appended
    /// to in the `github` format only.
    pub step_summary: Option<PathBuf>,
}

/// How a `lint` run ended; the binary maps it to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LintOutcome {
    /// No finding at error level (warnings may have been printed).
    Clean,
    /// At least one finding at error level.
    Findings,
    /// Some file could not be read; everything else was still checked and reported.
    InputError,
}

impl LintConfig {
    /// `repo` is `--repo` (the working directory by default); the root is the first
    /// directory from there upwards with `cue.mod/module.cue`, as `cue` finds its module.
    pub fn from_arguments(
        repo: Option<PathBuf>,
        format: Format,
        step_summary: Option<PathBuf>,
        working_directory: &Path,
    ) -> anyhow::Result<LintConfig> {
        let start = working_directory.join(repo.unwrap_or_else(|| PathBuf::from(".")));
        let root = RepoFiles::find_root(&start)?;
        Ok(LintConfig {
            root,
            format,
            step_summary: step_summary.filter(|path| !path.as_os_str().is_empty()),
        })
    }
}

/// Reads the repository, runs every rule and prints the findings on `stdout`.
pub fn run(config: &LintConfig, stdout: &mut dyn Write) -> anyhow::Result<LintOutcome> {
    let tree = RepoFiles::read_directory(&config.root)?;
    // The versions consumers pin are checked against the branch's history, when there is one.
    let options = LintOptions {
        versions: BranchVersions::of_work_tree(&config.root, &tree),
    };
    let report = lint_with(&tree, &options)?;
    for finding in &report.findings {
        let text = render::render(
            config.format,
            false,
            &finding.to_diagnostic(),
            &report.sources,
        );
        writeln!(stdout, "{text}").context("cannot write findings")?;
        if config.format == Format::Text {
            writeln!(stdout).context("cannot write findings")?;
        }
    }
    if config.format == Format::Text {
        writeln!(stdout, "cuemesh lint: {}", verdict(&report))
            .context("cannot write the verdict")?;
    }
    for (path, error) in &tree.unreadable {
        crate::output::error(format_args!("cannot read {path}: {error}"));
    }
    if config.format == Format::Github {
        if let Some(path) = &config.step_summary {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open the step summary {}", path.display()))?;
            file.write_all(markdown_summary(&report).as_bytes())
                .with_context(|| format!("cannot write the step summary {}", path.display()))?;
        }
    }
    Ok(if !tree.unreadable.is_empty() {
        LintOutcome::InputError
    } else if report.passes() {
        LintOutcome::Clean
    } else {
        LintOutcome::Findings
    })
}

/// `2 errors, 1 warning (3 sources, 5 event types, 4 examples, 2 consumers checked)` (consumers
/// only when there are some).
pub fn verdict(report: &LintReport) -> String {
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let consumers = if report.consumer_count == 0 {
        String::new()
    } else {
        format!(", {}", plural(report.consumer_count, "consumer"))
    };
    format!(
        "{}, {} ({}, {}, {}{consumers} checked)",
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(report.source_count, "source"),
        plural(report.event_type_count, "event type"),
        plural(report.example_count, "example"),
    )
}

/// How many findings the Markdown summary lists; the annotations carry them all.
pub(crate) const SUMMARY_ROWS: usize = 100;

/// The Markdown for GitHub's run page: the verdict, then a table of findings.
pub fn markdown_summary(report: &LintReport) -> String {
    let mut out = String::from("## cuemesh lint\n\n");
    let mark = if report.passes() { "✅" } else { "❌" };
    let _ = writeln!(out, "{mark} {}\n", verdict(report));
    if report.findings.is_empty() {
        return out;
    }
    write_findings_table(
        &mut out,
        report.findings.len(),
        report.findings.iter().map(|finding| SummaryRow {
            severity: finding.severity,
            rule: finding.rule.map_or("", |code| code.id()),
            position: position(finding, report),
            message: finding.to_diagnostic().headline(),
        }),
    );
    out
}

/// One finding as a row of a Markdown summary's table.
pub(crate) struct SummaryRow<'a> {
    pub(crate) severity: Severity,
    pub(crate) rule: &'a str,
    /// `file:line:col`, when the finding has a place.
    pub(crate) position: Option<String>,
    pub(crate) message: String,
}

/// Appends the findings table of a Markdown summary (`lint`'s and `check`'s): the first
/// [`SUMMARY_ROWS`] of `total` rows, then how many more the annotations carry.
pub(crate) fn write_findings_table<'a>(
    out: &mut String,
    total: usize,
    rows: impl Iterator<Item = SummaryRow<'a>>,
) {
    out.push_str("| severity | rule | where | message |\n|---|---|---|---|\n");
    for row in rows.take(SUMMARY_ROWS) {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            severity_word(row.severity),
            row.rule,
            row.position
                .map_or(String::new(), |p| format!("`{}`", table_cell(&p))),
            table_cell(&row.message),
        );
    }
    if total > SUMMARY_ROWS {
        let _ = writeln!(
            out,
            "\n… and {} more (see the annotations).",
            total - SUMMARY_ROWS
        );
    }
    out.push('\n');
}

fn position(finding: &Finding, report: &LintReport) -> Option<String> {
    finding.span.map(|span| report.sources.describe(span))
}

pub(crate) fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Text that cannot break a Markdown table row or inject HTML.
pub(crate) fn table_cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\r', "")
        .replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use cuemesh_registry::lint::lint;

    #[test]
    fn table_cells_keep_rows_intact() {
        assert_eq!(table_cell("a|b\n<c>"), "a\\|b<br>&lt;c&gt;");
    }

    #[test]
    fn the_summary_lists_findings_under_the_verdict() {
        let tree = RepoFiles::from_texts([
            ("cue.mod/module.cue", "module: \"schemas.example.com\"\n"),
            (
                "sources/a/a.cue",
                "package a\n\nsource: {id: \"A\", owner: \"@acme/a\"}\nevents: {\n\t// x\n\t\"A:x\": #X\n}\n// X\n#X: {b: int}\n",
            ),
        ]);
        let report = lint(&tree).expect("a module");
        let summary = markdown_summary(&report);
        assert!(summary.starts_with("## cuemesh lint\n\n❌ "), "{summary}");
        assert!(
            summary.contains("| error | `FIELD_DOC_MISSING` | `sources/a/a.cue:9:6` |"),
            "{summary}"
        );
    }
}
