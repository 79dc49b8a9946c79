//! What `check` says about consumers (`consumers/<name>.cue`): the consumers its findings
//! break and the owners who should review the pull request, in every output format.
//!
//! - text: a line `consumers affected: ...; owners to review: @acme/billing` before the verdict;
//! - json: `"consumers": [{"id", "owner", "version", "file"}]` on every finding;
//! - github: a `::notice::` naming the owners, a table in the step summary, and
//!   `consumer-owners=@acme/billing @octocat` appended to `$GITHUB_OUTPUT`, which the
//!   template's workflow passes to `gh pr edit --add-reviewer`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use cuemesh_registry::check::{AffectedConsumer, CheckFinding, CheckReport};

use crate::lint::table_cell;

/// Every consumer the report's findings name, once each (by id and version), in finding order.
pub fn affected(report: &CheckReport) -> Vec<&AffectedConsumer> {
    let mut seen = Vec::new();
    for consumer in report.findings.iter().flat_map(|f| &f.consumers) {
        if !seen
            .iter()
            .any(|c: &&AffectedConsumer| c.id == consumer.id && c.version == consumer.version)
        {
            seen.push(consumer);
        }
    }
    seen
}

/// The owners of the affected consumers, once each, in finding order.
pub fn owners(report: &CheckReport) -> Vec<&str> {
    let mut owners: Vec<&str> = Vec::new();
    for consumer in affected(report) {
        if !owners
            .iter()
            .any(|owner| owner.eq_ignore_ascii_case(&consumer.owner))
        {
            owners.push(&consumer.owner);
        }
    }
    owners
}

/// The `consumers` member of a finding's JSON object.
pub fn json(finding: &CheckFinding) -> serde_json::Value {
    finding
        .consumers
        .iter()
        .map(AffectedConsumer::to_json)
        .collect()
}

/// `consumers affected: consumer "billing" (@acme/billing, version 1); owners to review:
/// @acme/billing`, when findings name consumers.
pub fn text_line(report: &CheckReport) -> Option<String> {
    let affected = affected(report);
    if affected.is_empty() {
        return None;
    }
    let names: Vec<String> = affected.iter().map(|c| c.describe()).collect();
    Some(format!(
        "consumers affected: {}; owners to review: {}",
        names.join(", "),
        owners(report).join(" ")
    ))
}

/// The workflow command that names the owners on the run page.
pub fn github_notice(report: &CheckReport) -> Option<String> {
    text_line(report).map(|line| {
        format!(
            "::notice title=consumers::{}",
            crate::render::escape_github_data(&line)
        )
    })
}

/// The step summary's table of affected consumers.
pub fn markdown(report: &CheckReport) -> String {
    let affected = affected(report);
    if affected.is_empty() {
        return String::new();
    }
    let mut out = String::from("### Consumers affected\n\n| consumer | owner | pinned version | file |\n|---|---|---|---|\n");
    for consumer in affected {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | `{}` |",
            table_cell(&consumer.id),
            table_cell(&consumer.owner),
            consumer.version,
            table_cell(&consumer.path)
        );
    }
    out.push('\n');
    out
}

/// Appends `consumer-owners=<owners, space-separated>` to the step outputs file
/// (`$GITHUB_OUTPUT`), empty when no consumer is affected, so that a later step can ask them
/// for a review.
pub fn write_github_output(path: &Path, report: &CheckReport) -> anyhow::Result<()> {
    let owners = owners(report).join(" ");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the step outputs {}", path.display()))?;
    // An owner is one word (lint's ownerPattern): no newline can end the value early.
    let owners = owners.replace(['\n', '\r'], " ");
    writeln!(file, "consumer-owners={owners}")
        .with_context(|| format!("cannot write the step outputs {}", path.display()))
}
