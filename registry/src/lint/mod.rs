//! `cuemesh lint`: the governance rules, executed on a governance repository's files.
//!
//! [`lint`] takes the files ([`RepoFiles`]: read from a working directory, or built in
//! memory), sorts them into a [`Workspace`] (source packages parsed and loaded by the CUE
//! engine, examples, stray files, `cuemesh:ignore` directives, the settings of `cuemesh.cue`),
//! runs every rule of the table [`RULES`] on it, then applies the directives and the configured
//! severities. **Rules are data**: one file per rule under `rules/`, with its SCREAMING_SNAKE
//! id, one-sentence purpose, default severity and test vectors. Every rule reports
//! [`Finding`]s, the one model every printer takes (through [`Finding::to_diagnostic`]).

pub mod codeowners;
mod ignore;
pub mod rules;
pub(crate) mod workspace;

use std::collections::HashSet;

use cue::{Severity, SourceMap};

use crate::files::{FilesError, RepoFiles};
use crate::finding::{Finding, Sources};
use crate::settings::Settings;
use crate::LintCode;
pub use ignore::Directive;
pub use rules::{Rule, RULES};
pub use workspace::{
    percent_decode, percent_encode, ConsumerFile, Declaration, DeclarationKind, EventDeclaration,
    Example, SourcePackage, StrayFile, Workspace,
};

/// What lint knows beyond the repository's files.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// The latest version of each `(source id, event type)` on the branch that numbers
    /// versions, when the files are a Git work tree whose branch exists: the versions consumers
    /// pin are checked against it (`CONSUMER_READS_UNKNOWN`). `None`: versions are not checked
    /// (only that the source and the type exist).
    pub versions: Option<BranchVersions>,
}

impl BranchVersions {
    /// The versions of the branch that numbers versions (`registry.branch` of `cuemesh.cue`,
    /// `main` by default; `origin/<branch>` when only the remote one exists, as in a CI
    /// checkout) of the Git repository holding `root`. `None` when `root` is not in a Git
    /// repository, the branch does not exist yet, or the tree has no consumer file (nothing
    /// needs the versions then, and numbering them costs an evaluation of history).
    pub fn of_work_tree(root: &std::path::Path, tree: &RepoFiles) -> Option<BranchVersions> {
        let has_consumers = tree
            .files
            .keys()
            .any(|path| crate::consumer::is_consumer_path(path));
        if !has_consumers {
            return None;
        }
        let module = tree
            .text(crate::files::MODULE_FILE)
            .and_then(cue::module_path)
            .unwrap_or_default();
        let mut sources = Sources::default();
        let (settings, _) = Settings::load(tree, &module, &mut sources);
        let branch = settings
            .registry
            .branch
            .unwrap_or_else(|| "main".to_string());
        let git = git2::Repository::discover(root).ok()?;
        let repository = crate::Repository::open(git.path()).ok()?;
        let reference = [branch.clone(), format!("origin/{branch}")]
            .into_iter()
            .find(|reference| repository.resolve(reference).is_ok())?;
        let history = repository.history(&reference).ok()?;
        let latest = history
            .events
            .iter()
            .filter_map(|event| {
                let latest = event.versions.last()?;
                Some((
                    (event.source.clone(), event.event_type.clone()),
                    latest.number,
                ))
            })
            .collect();
        Some(BranchVersions {
            branch: reference,
            latest,
        })
    }
}

/// The latest version of every event type of a branch.
#[derive(Debug, Clone, Default)]
pub struct BranchVersions {
    /// The branch (`main`), for messages.
    pub branch: String,
    pub latest: std::collections::HashMap<(String, String), u32>,
}

/// What lint found in a repository.
#[derive(Debug)]
pub struct LintReport {
    /// In file-name then position order; errors and warnings only (rules set `off` and
    /// findings silenced by a directive are gone).
    pub findings: Vec<Finding>,
    /// Every file findings point into.
    pub sources: SourceMap,
    /// How many source packages, event types and examples were checked.
    pub source_count: usize,
    pub event_type_count: usize,
    pub example_count: usize,
    /// How many consumer files were checked.
    pub consumer_count: usize,
}

impl LintReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .count()
    }

    /// Whether the gate passes: no finding at error level.
    pub fn passes(&self) -> bool {
        self.count(Severity::Error) == 0
    }
}

/// Runs every rule on the repository. `Err` only when the files are not a CUE module at all.
pub fn lint(tree: &RepoFiles) -> Result<LintReport, FilesError> {
    lint_with(tree, &LintOptions::default())
}

/// [`lint`], with what is known beyond the files (the branch's versions).
pub fn lint_with(tree: &RepoFiles, options: &LintOptions) -> Result<LintReport, FilesError> {
    let workspace = Workspace::build_with(tree, options)?;
    let mut findings = Vec::new();
    let mut seen = HashSet::new();
    for rule in RULES {
        for mut finding in (rule.check)(&workspace) {
            finding.rule = Some(rule.code);
            // An imported package's errors reach every package that imports it.
            let key = (
                finding.rule,
                finding.message.clone(),
                finding.path.clone(),
                finding.span,
            );
            if seen.insert(key) {
                findings.push(finding);
            }
        }
    }

    // Directives silence findings before severities apply, so that silencing a rule that is
    // `off` is still "used" when the rule would have reported there.
    let mut used: Vec<Vec<bool>> = workspace
        .directives
        .iter()
        .map(|directive| vec![false; directive.rules.len()])
        .collect();
    findings.retain(|finding| {
        let Some(span) = finding.span else {
            return true;
        };
        if !finding.rule.is_some_and(LintCode::configurable) {
            return true;
        }
        let Some(line) = workspace
            .sources
            .map
            .get(span.file)
            .map(|file| file.position(span.start).line)
        else {
            return true;
        };
        let mut silenced = false;
        for (directive, used) in workspace.directives.iter().zip(used.iter_mut()) {
            if directive.file != span.file || directive.line != line {
                continue;
            }
            for (named, used) in directive.rules.iter().zip(used.iter_mut()) {
                if finding.rule.is_some_and(|code| code.id() == named) {
                    *used = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
    for mut finding in rules::ignore_unused::unused(&workspace, &used) {
        finding.rule = Some(LintCode::IgnoreUnused);
        findings.push(finding);
    }

    findings.retain_mut(|finding| {
        let Some(code) = finding.rule else {
            return true;
        };
        match workspace.settings.level(code).severity() {
            Some(severity) => {
                finding.severity = severity;
                true
            }
            None => false,
        }
    });
    let sources = workspace.sources.map;
    let position = |finding: &Finding| {
        finding.span.map(|span| {
            let name = sources
                .get(span.file)
                .map(|file| file.name.clone())
                .unwrap_or_default();
            (name, span.start)
        })
    };
    findings.sort_by(|a, b| {
        // Findings without a position go last.
        let (a_position, b_position) = (position(a), position(b));
        let (a_rule, b_rule) = (a.rule.map(LintCode::id), b.rule.map(LintCode::id));
        (a_position.is_none(), a_position, a_rule).cmp(&(b_position.is_none(), b_position, b_rule))
    });
    let sources_checked = workspace.packages.iter().filter(|p| p.is_source);
    Ok(LintReport {
        source_count: sources_checked.clone().count(),
        event_type_count: sources_checked.clone().map(|p| p.events.len()).sum(),
        example_count: workspace.packages.iter().map(|p| p.examples.len()).sum(),
        consumer_count: workspace.consumers.len(),
        findings,
        sources,
    })
}

/// The README's rule table, generated from [`LintCode::ALL`].
pub fn rule_table() -> String {
    let mut out = String::from("| rule | default | what it finds |\n|---|---|---|\n");
    for &code in LintCode::ALL {
        let default = if code.configurable() {
            code.default_level().name().to_string()
        } else {
            format!("{} (fixed)", code.default_level().name())
        };
        out.push_str(&format!(
            "| `{code}` | {default} | {} |\n",
            code.purpose().replace('|', "\\|")
        ));
    }
    out
}
