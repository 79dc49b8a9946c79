//! Compatibility of schema versions by subsumption, reported as named findings.
//!
//! `check` compares the [`Shape`](crate::export)s of one definition in two (or more) versions
//! of a package, structurally: the walker (`walk`) pairs the definitions' values, struct
//! fields, list elements and disjunction alternatives, and at every pair runs each rule of
//! the table in `rules` (one rule per file, STYLE item 6). A rule says in which direction a
//! change breaks compatibility ([`Impact`]):
//!
//! - BACKWARD breaks when the current schema rejects a value the previous one accepted
//!   (consumers on the new schema cannot read old data);
//! - FORWARD breaks when the previous schema rejects a value the current one accepts;
//! - some changes cannot be decided by comparing shapes (two different regular expressions,
//!   builtin validators, disjunctions whose alternatives cannot be paired): they are
//!   warnings that say so, never silent;
//! - a changed default changes no verdict but changes what consumers read: a warning.
//!
//! The [`Mode`] decides which findings matter: a finding whose direction the mode does not
//! check is not reported at all (so `NONE` reports nothing, and `BACKWARD` never mentions a
//! field added to a closed definition). [`compare`] returns every change regardless of mode.

mod rules;
mod walk;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::export::{definition_name, extract_definitions, Exported};
use crate::package::Package;
use crate::source::{FileId, SourceMap, Span};

pub use rules::{Rule, RULES};

/// A compatibility mode, with Confluent's names and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// The current schema accepts every value the latest previous one accepted.
    #[default]
    Backward,
    /// The current schema accepts every value every previous one accepted.
    BackwardTransitive,
    /// The latest previous schema accepts every value the current one accepts.
    Forward,
    /// Every previous schema accepts every value the current one accepts.
    ForwardTransitive,
    /// Backward and forward against the latest previous schema.
    Full,
    /// Backward and forward against every previous schema.
    FullTransitive,
    /// No check.
    None,
}

impl Mode {
    /// Every mode, in the order the documentation lists them.
    pub const ALL: [Mode; 7] = [
        Mode::Backward,
        Mode::BackwardTransitive,
        Mode::Forward,
        Mode::ForwardTransitive,
        Mode::Full,
        Mode::FullTransitive,
        Mode::None,
    ];

    /// The Confluent name: `BACKWARD_TRANSITIVE`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Backward => "BACKWARD",
            Mode::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Mode::Forward => "FORWARD",
            Mode::ForwardTransitive => "FORWARD_TRANSITIVE",
            Mode::Full => "FULL",
            Mode::FullTransitive => "FULL_TRANSITIVE",
            Mode::None => "NONE",
        }
    }

    /// Whether the mode checks that the current schema reads previous data.
    pub fn checks_backward(self) -> bool {
        matches!(
            self,
            Mode::Backward | Mode::BackwardTransitive | Mode::Full | Mode::FullTransitive
        )
    }

    /// Whether the mode checks that previous schemas read current data.
    pub fn checks_forward(self) -> bool {
        matches!(
            self,
            Mode::Forward | Mode::ForwardTransitive | Mode::Full | Mode::FullTransitive
        )
    }

    /// Whether the mode compares against every previous version, not only the latest.
    pub fn is_transitive(self) -> bool {
        matches!(
            self,
            Mode::BackwardTransitive | Mode::ForwardTransitive | Mode::FullTransitive
        )
    }

    /// The severity a finding of `impact` has in this mode; `None` when it does not matter.
    pub fn severity(self, impact: Impact) -> Option<Severity> {
        let checks_any = self.checks_backward() || self.checks_forward();
        match impact {
            Impact::BreaksBackward if self.checks_backward() => Some(Severity::Error),
            Impact::BreaksForward if self.checks_forward() => Some(Severity::Error),
            Impact::BreaksBoth if checks_any => Some(Severity::Error),
            Impact::Undecided | Impact::Semantic if checks_any => Some(Severity::Warning),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A compatibility mode name that is not one of Confluent's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown compatibility mode {given:?}: expected one of BACKWARD, BACKWARD_TRANSITIVE, \
     FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE"
)]
pub struct ParseModeError {
    pub given: String,
}

impl FromStr for Mode {
    type Err = ParseModeError;

    /// Case-insensitive; `-` may stand for `_` (`full-transitive`).
    fn from_str(text: &str) -> Result<Mode, ParseModeError> {
        let normalized = text.trim().to_ascii_uppercase().replace('-', "_");
        Mode::ALL
            .into_iter()
            .find(|mode| mode.name() == normalized)
            .ok_or_else(|| ParseModeError {
                given: text.to_string(),
            })
    }
}

/// In which direction a rule's change breaks compatibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Impact {
    /// The current schema rejects some value the previous one accepted.
    BreaksBackward,
    /// The previous schema rejects some value the current one accepts.
    BreaksForward,
    /// Each schema rejects some value the other accepts (`int` became `string`).
    BreaksBoth,
    /// Comparing the shapes cannot decide (different regexes, builtin validators): a warning.
    Undecided,
    /// Acceptance is unchanged but what consumers read changes (a default): a warning.
    Semantic,
}

impl Impact {
    /// The README's words for it.
    pub fn description(self) -> &'static str {
        match self {
            Impact::BreaksBackward => "breaks BACKWARD",
            Impact::BreaksForward => "breaks FORWARD",
            Impact::BreaksBoth => "breaks BACKWARD and FORWARD",
            Impact::Undecided => "warning: undecidable",
            Impact::Semantic => "warning: meaning changed",
        }
    }
}

/// One version of a schema: a loaded package and the definition (`#Order`) in it.
#[derive(Clone, Copy)]
pub struct Version<'a> {
    pub package: &'a Package,
    pub definition: &'a str,
}

/// One change between two versions, named by its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's SCREAMING_SNAKE id (`FIELD_REMOVED`).
    pub rule: &'static str,
    pub impact: Impact,
    /// Error or warning in the mode checked (`compare` gives `Error` to breaking changes).
    pub severity: Severity,
    pub message: String,
    /// The data path (`items.price.amount`; `*` stands for every element or other field).
    pub path: String,
    /// Where: in the current schema for changes and additions, in the previous one for
    /// removals. A span into [`Report::sources`].
    pub span: Option<Span>,
    /// The same place in the other version, when it has one.
    pub other: Option<Span>,
    /// Which previous version (an index into the `previous` slice) this finding is against.
    pub previous: usize,
}

impl Finding {
    /// The finding as the workspace's one diagnostic model, for the CLI's printers.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut diagnostic = Diagnostic {
            severity: self.severity,
            ..Diagnostic::error(self.rule, self.message.clone())
        }
        .with_path(self.path.clone());
        if let Some(span) = self.span {
            diagnostic = diagnostic.with_span(span);
        }
        if let Some(other) = self.other {
            diagnostic.labels.push(Label {
                span: other,
                message: "the same field in the other version".to_string(),
            });
        }
        let help = match self.impact {
            Impact::BreaksBackward => {
                "breaks BACKWARD: consumers using the current schema reject some data written with the previous one"
            }
            Impact::BreaksForward => {
                "breaks FORWARD: consumers still using the previous schema reject some data written with the current one"
            }
            Impact::BreaksBoth => {
                "breaks BACKWARD and FORWARD: each schema rejects some data the other accepts"
            }
            Impact::Undecided => {
                "compatibility could not be decided here: check this change by hand"
            }
            Impact::Semantic => {
                "every value is still accepted, but consumers may read absent fields differently"
            }
        };
        diagnostic.with_help(help)
    }
}

/// The outcome of a compatibility check.
#[derive(Debug, Clone)]
pub struct Report {
    pub mode: Mode,
    /// In walk order: per previous version compared, the definitions' fields as written.
    pub findings: Vec<Finding>,
    /// The current package's files (with their own `FileId`s), then each previous version's:
    /// every finding's span points in here.
    pub sources: SourceMap,
}

impl Report {
    /// Whether no finding is an error in the mode checked (warnings do not fail a check).
    pub fn is_compatible(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.findings.iter().map(Finding::to_diagnostic).collect()
    }
}

/// Checks `current` against `previous` (oldest first) in `mode`: against the last one, or
/// against each one for a transitive mode. Fails with diagnostics when a package has errors
/// or lacks the definition.
pub fn check(
    previous: &[Version<'_>],
    current: Version<'_>,
    mode: Mode,
) -> Result<Report, Vec<Diagnostic>> {
    let compared: Vec<usize> = if mode == Mode::None {
        Vec::new()
    } else if mode.is_transitive() {
        (0..previous.len()).collect()
    } else {
        previous.len().checked_sub(1).into_iter().collect()
    };
    let all = compare_versions(previous, current, &compared)?;
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for mut finding in all.findings {
        let Some(severity) = mode.severity(finding.impact) else {
            continue;
        };
        // One change is reported once: against the oldest of several versions, and at the
        // first path that reaches its declaration (`lines.0` and `lines.*` of `[#Line, ...#Line]`
        // are the same field of the same file).
        if !seen.insert((finding.rule, finding.span, finding.message.clone())) {
            continue;
        }
        finding.severity = severity;
        findings.push(finding);
    }
    Ok(Report {
        mode,
        findings,
        sources: all.sources,
    })
}

/// Every change between `previous` and `current`, whatever its direction: breaking changes
/// are errors, undecidable and semantic ones warnings. `Report::mode` is `NONE`.
pub fn compare(previous: Version<'_>, current: Version<'_>) -> Result<Report, Vec<Diagnostic>> {
    compare_versions(&[previous], current, &[0])
}

/// The rule table as Markdown (id, what breaks, purpose): the README's copy is checked
/// against it so that it cannot drift.
pub fn rule_table() -> String {
    let mut out = String::from("| rule | impact | what it finds |\n|---|---|---|\n");
    for rule in RULES {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            rule.id,
            rule.impact.description(),
            rule.purpose.replace('|', "\\|")
        ));
    }
    out
}

fn compare_versions(
    previous: &[Version<'_>],
    current: Version<'_>,
    compared: &[usize],
) -> Result<Report, Vec<Diagnostic>> {
    let current_exported = exported(current)?;
    let current_name = checked_name(current, &current_exported)?;
    let mut sources = SourceMap::new();
    for (_, file) in current.package.sources().files() {
        sources.add(file.name.clone(), file.text.clone());
    }
    let mut findings = Vec::new();
    for &index in compared {
        let version = previous[index];
        let previous_exported = exported(version)?;
        let previous_name = checked_name(version, &previous_exported)?;
        let base = sources.files().count() as u32;
        for (_, file) in version.package.sources().files() {
            sources.add(file.name.clone(), file.text.clone());
        }
        let moved = |span: Span| Span {
            file: FileId(span.file.0 + base),
            ..span
        };
        let changes = walk::compare_definitions(
            (&previous_exported, &previous_name),
            (&current_exported, &current_name),
        );
        for change in changes {
            let (span, other) = match change.rule.position {
                rules::Position::Current => (
                    change.current.or(change.previous.map(moved)),
                    change.previous.map(moved),
                ),
                rules::Position::Previous => (change.previous.map(moved), change.current),
            };
            // When only one side has a position, it is the primary one.
            let other = if span == other { None } else { other };
            findings.push(Finding {
                rule: change.rule.id,
                impact: change.rule.impact,
                severity: match change.rule.impact {
                    Impact::BreaksBackward | Impact::BreaksForward | Impact::BreaksBoth => {
                        Severity::Error
                    }
                    Impact::Undecided | Impact::Semantic => Severity::Warning,
                },
                message: change.message,
                path: change.path,
                span,
                other,
                previous: index,
            });
        }
    }
    Ok(Report {
        mode: Mode::None,
        findings,
        sources,
    })
}

fn exported(version: Version<'_>) -> Result<Exported, Vec<Diagnostic>> {
    if !version.package.diagnostics().is_empty() {
        return Err(version.package.diagnostics().to_vec());
    }
    extract_definitions(&version.package.program)
}

/// The exported name (`A.B`) of the version's definition, checked to exist.
fn checked_name(version: Version<'_>, exported: &Exported) -> Result<String, Vec<Diagnostic>> {
    let text = version.definition;
    let name = definition_name(text).ok_or_else(|| {
        vec![Diagnostic::error(
            "COMPAT",
            format!("{text:?} is not a definition name such as #Order"),
        )]
    })?;
    if !exported.definitions.iter().any(|d| d.name == name) {
        let file = version
            .package
            .sources()
            .files()
            .next()
            .map(|(_, f)| f.name.clone())
            .unwrap_or_default();
        return Err(vec![Diagnostic::error(
            "COMPAT",
            format!("no definition {text} in the package of {file}"),
        )]);
    }
    Ok(name)
}

#[cfg(test)]
mod tests;
