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
//!
//! [`check`] then proves what it reports: for every change that breaks a direction the mode
//! checks, or that the comparison could not decide, it searches for a [`Counterexample`]
//! (`counterexample`): a JSON document one version accepts and the other rejects, validated
//! against both. A change the comparison left undecided becomes an error when one is found
//! (whatever rule noticed it), and stays a warning only when the search finds none; an error
//! without one says why (`Finding::counterexample_note`).

mod code;
mod counterexample;
mod declarations;
mod rules;
mod walk;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::export::{definition_name, extract_definitions, Exported};
use crate::package::Package;
use crate::source::{FileId, SourceMap, Span};

pub use code::CompatCode;
pub use rules::{Rule, Verdict, Verdicts, RULES};

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
            Impact::Undecided | Impact::Decided | Impact::Semantic if checks_any => {
                Some(Severity::Warning)
            }
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
    /// Comparing the shapes cannot decide (builtin validators, constraints that read other
    /// fields): a counterexample decides, else a warning.
    Undecided,
    /// Decided for each change (regular-language inclusion of two regexes, disjunction
    /// alternatives matched by inclusion): it breaks BACKWARD, FORWARD, both or neither, and
    /// is a warning only where neither the comparison nor a counterexample decides.
    Decided,
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
            Impact::Undecided => "warning unless a counterexample decides",
            Impact::Decided => "decided per change; warning where it cannot be",
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

/// One of the two versions a compatibility check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Previous,
    Current,
}

impl Side {
    /// `previous` or `current`, as the JSON output spells it.
    pub fn name(self) -> &'static str {
        match self {
            Side::Previous => "previous",
            Side::Current => "current",
        }
    }

    pub fn other(self) -> Side {
        match self {
            Side::Previous => Side::Current,
            Side::Current => Side::Previous,
        }
    }
}

/// A JSON document one version accepts and the other rejects, both checked by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterexample {
    pub value: Json,
    pub accepted_by: Side,
    pub rejected_by: Side,
    /// The rejecting version's first error, as `vet` prints its first line
    /// (`n: invalid value 75 (out of bound <=50)`).
    pub error: String,
}

/// What a check does besides comparing.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Example documents of the type (a source's `examples/` payloads): where counterexamples
    /// start from, so that they look like real data. Those a version rejects are skipped.
    pub examples: Vec<Json>,
}

/// One change between two versions, named by its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that saw the change.
    pub rule: CompatCode,
    /// What the change breaks, as decided (by the rule, by comparison or by a
    /// counterexample): a rule that could not decide may end as a break here.
    pub impact: Impact,
    /// The change's verdict in each direction.
    pub verdicts: Verdicts,
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
    /// A document that shows the break, validated against both versions ([`check`] only).
    pub counterexample: Option<Counterexample>,
    /// Why there is no counterexample, for an error or an undecided change.
    pub counterexample_note: Option<String>,
}

impl Finding {
    /// The finding as the workspace's one diagnostic model, for the CLI's printers.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut diagnostic = Diagnostic {
            severity: self.severity,
            ..Diagnostic::error(self.rule.id(), self.message.clone())
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
            Impact::Undecided | Impact::Decided => {
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
    check_with(previous, current, mode, &Options::default())
}

/// [`check`], with example documents to build counterexamples from.
pub fn check_with(
    previous: &[Version<'_>],
    current: Version<'_>,
    mode: Mode,
    options: &Options,
) -> Result<Report, Vec<Diagnostic>> {
    let compared: Vec<usize> = if mode == Mode::None {
        Vec::new()
    } else if mode.is_transitive() {
        (0..previous.len()).collect()
    } else {
        previous.len().checked_sub(1).into_iter().collect()
    };
    let mut report = compare_versions(previous, current, &compared, Some(options), mode)?;
    report.mode = mode;
    Ok(report)
}

/// The severity of a change with these verdicts in `mode`; `None` when it does not matter.
fn severity_in(mode: Mode, verdicts: Verdicts, semantic: bool) -> Option<Severity> {
    let checked = [
        (mode.checks_backward(), verdicts.backward),
        (mode.checks_forward(), verdicts.forward),
    ];
    if checked.iter().any(|&(c, v)| c && v == Verdict::Breaks) {
        Some(Severity::Error)
    } else if checked.iter().any(|&(c, v)| c && v == Verdict::Unknown)
        || (semantic && checked.iter().any(|&(c, _)| c))
    {
        Some(Severity::Warning)
    } else {
        None
    }
}

/// Every change between `previous` and `current`, whatever its direction: breaking changes
/// are errors, undecidable and semantic ones warnings. `Report::mode` is `NONE`.
pub fn compare(previous: Version<'_>, current: Version<'_>) -> Result<Report, Vec<Diagnostic>> {
    compare_versions(&[previous], current, &[0], None, Mode::Full)
}

/// The rule table as Markdown (id, what breaks, purpose): the README's copy is checked
/// against it so that it cannot drift.
pub fn rule_table() -> String {
    let mut out = String::from("| rule | impact | what it finds |\n|---|---|---|\n");
    for &code in CompatCode::ALL {
        out.push_str(&format!(
            "| `{code}` | {} | {} |\n",
            code.impact().description(),
            code.purpose().replace('|', "\\|")
        ));
    }
    out
}

/// Compares `current` with each previous version in `compared`. With `search` (a check in
/// `mode`), changes are filtered by the mode, reported once, and proven by counterexamples;
/// without, every change is returned with the severity its verdicts give in `FULL`.
fn compare_versions(
    previous: &[Version<'_>],
    current: Version<'_>,
    compared: &[usize],
    search: Option<&Options>,
    mode: Mode,
) -> Result<Report, Vec<Diagnostic>> {
    let current_exported = exported(current)?;
    let current_name = checked_name(current, &current_exported)?;
    let current_texts = declarations::value_texts(current.package);
    let current_schema = search.map(|_| schema_of(current));
    let mut sources = SourceMap::new();
    for (_, file) in current.package.sources().files() {
        sources.add(file.name.clone(), file.text.clone());
    }
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for &index in compared {
        let version = previous[index];
        let previous_exported = exported(version)?;
        let previous_name = checked_name(version, &previous_exported)?;
        let previous_texts = declarations::value_texts(version.package);
        let base = sources.files().count() as u32;
        for (_, file) in version.package.sources().files() {
            sources.add(file.name.clone(), file.text.clone());
        }
        let moved = |span: Span| Span {
            file: FileId(span.file.0 + base),
            ..span
        };
        let texts = walk::Texts {
            previous: &previous_texts,
            current: &current_texts,
        };
        let changes = walk::compare_definitions(
            (&previous_exported, &previous_name),
            (&current_exported, &current_name),
            &texts,
        );
        let searcher = match (search, &current_schema) {
            (Some(options), Some(current_schema)) => Some(counterexample::Search {
                previous: view(&previous_exported, &previous_name, schema_of(version)),
                current: view(&current_exported, &current_name, current_schema.clone()),
                examples: &options.examples,
                literals: counterexample::number_literals(
                    version
                        .package
                        .sources()
                        .files()
                        .chain(current.package.sources().files())
                        .map(|(_, file)| &*file.text),
                ),
            }),
            _ => None,
        };
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
            let semantic = change.rule.code.impact() == Impact::Semantic;
            let mut verdicts = change.verdicts;
            let checked_mode = if search.is_some() { mode } else { Mode::Full };
            if severity_in(checked_mode, verdicts, semantic).is_none() {
                continue;
            }
            // One change is reported once: against the oldest of several versions, and at the
            // first path that reaches its declaration (`lines.0` and `lines.*` of
            // `[#Line, ...#Line]` are the same field of the same file).
            if search.is_some() && !seen.insert((change.rule.code, span, change.message.clone())) {
                continue;
            }
            let mut counterexample = None;
            let mut notes: Vec<String> = Vec::new();
            if let Some(searcher) = &searcher {
                let directions = [
                    (
                        Side::Previous,
                        mode.checks_backward(),
                        &mut verdicts.backward,
                    ),
                    (Side::Current, mode.checks_forward(), &mut verdicts.forward),
                ];
                for (accepting, checked, verdict) in directions {
                    if !checked || *verdict == Verdict::Holds || counterexample.is_some() {
                        continue;
                    }
                    match searcher.find(&change.site, &change.path, accepting) {
                        counterexample::Outcome::Found(found) => {
                            *verdict = Verdict::Breaks;
                            counterexample = Some(found);
                        }
                        counterexample::Outcome::NotFound(why) => notes.push(why),
                    }
                }
            }
            // A change only a counterexample can show (a value written the same way that
            // reads other fields) is not reported without one.
            if change.proof_only && counterexample.is_none() {
                continue;
            }
            let Some(severity) = severity_in(checked_mode, verdicts, semantic) else {
                continue;
            };
            let counterexample_note = match (&counterexample, severity) {
                (None, Severity::Error) | (None, Severity::Warning) if !notes.is_empty() => {
                    Some(format!("no counterexample found: {}", notes.join("; ")))
                }
                _ => None,
            };
            findings.push(Finding {
                rule: change.rule.code,
                impact: verdicts.impact(semantic),
                verdicts,
                severity,
                message: change.message,
                path: change.path,
                span,
                other,
                previous: index,
                counterexample,
                counterexample_note,
            });
        }
    }
    Ok(Report {
        mode: Mode::None,
        findings,
        sources,
    })
}

/// The engine's validator of a version's definition, or why there is none.
fn schema_of(version: Version<'_>) -> Result<crate::package::Schema, String> {
    version
        .package
        .schema(Some(version.definition))
        .map_err(|errors| {
            errors
                .first()
                .map_or("it does not compile".to_string(), Diagnostic::headline)
        })
}

/// A version as the counterexample search sees it.
fn view<'s>(
    exported: &'s Exported,
    name: &str,
    schema: Result<crate::package::Schema, String>,
) -> counterexample::View<'s> {
    let definitions: std::collections::HashMap<&str, &crate::export::Shape> = exported
        .definitions
        .iter()
        .map(|d| (d.name.as_str(), &d.shape))
        .collect();
    let root = exported
        .definitions
        .iter()
        .find(|d| d.name == name)
        .map_or(&walk::ANY, |d| &d.shape);
    counterexample::View {
        root,
        definitions,
        schema,
    }
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
