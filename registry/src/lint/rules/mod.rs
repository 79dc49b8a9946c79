//! The lint rules: one file per rule, registered in [`RULES`].
//!
//! A rule reads the [`Workspace`] and returns one [`Finding`] per problem, with its message and
//! position; [`lint`](super::lint) adds the rule id, applies `cuemesh:ignore` directives and the
//! severity `cuemesh.cue` configures. A rule that is not `configurable` is part of the contract
//! the registry relies on: its severity cannot be changed and no directive silences it.

use cue::Span;

use super::{Finding, SourcePackage, Workspace};
use crate::LintCode;

mod codeowners_owner;
mod config_invalid;
mod consumer_id_duplicate;
mod consumer_invalid;
mod consumer_reads_unknown;
mod definition_name_case;
mod duplicate_event_type;
mod duplicate_source_id;
mod event_not_a_definition;
mod event_type_name;
mod example_invalid;
mod example_missing;
mod example_unknown_event;
mod field_doc_missing;
mod field_name_case;
pub(crate) mod ignore_unused;
mod owner_format;
mod package_error;
mod source_contract_broken;
mod source_id_name;
mod unknown_file;

/// One lint rule: its code (id, purpose, default level) and the check that finds its problems.
pub struct Rule {
    pub code: LintCode,
    pub(crate) check: fn(&Workspace) -> Vec<Finding>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("code", &self.code).finish()
    }
}

/// Every rule, in the order the README lists them.
pub static RULES: &[Rule] = &[
    package_error::RULE,
    config_invalid::RULE,
    source_contract_broken::RULE,
    duplicate_source_id::RULE,
    duplicate_event_type::RULE,
    event_not_a_definition::RULE,
    source_id_name::RULE,
    owner_format::RULE,
    codeowners_owner::RULE,
    event_type_name::RULE,
    definition_name_case::RULE,
    field_name_case::RULE,
    field_doc_missing::RULE,
    example_invalid::RULE,
    example_missing::RULE,
    example_unknown_event::RULE,
    consumer_invalid::RULE,
    consumer_id_duplicate::RULE,
    consumer_reads_unknown::RULE,
    unknown_file::RULE,
    ignore_unused::RULE,
];

/// One finding per repeated id: `declarations` are (id, where, who declares it) in order; every
/// declaration after the first of its id is reported, labelled with the first.
pub(crate) fn duplicates(
    declarations: impl IntoIterator<Item = (String, Span, String)>,
    what: &str,
    path: &str,
) -> Vec<Finding> {
    let mut first: std::collections::HashMap<String, (Span, String)> = Default::default();
    let mut findings = Vec::new();
    for (id, span, declared_by) in declarations {
        match first.get(&id) {
            None => {
                first.insert(id, (span, declared_by));
            }
            Some((first_span, first_declared_by)) => findings.push(
                Finding::new(format!(
                    "{what} {id:?} is already declared by {first_declared_by}"
                ))
                .at(span)
                .with_path(path)
                .with_label(*first_span, "first declared here"),
            ),
        }
    }
    findings
}

/// A concrete string field of `source` (`id`, `owner`) with the position of its value, when
/// the package loads without errors.
pub(crate) fn source_string(package: &SourcePackage, name: &str) -> Option<(String, Span)> {
    if !package.is_source || !package.problems.is_empty() {
        return None;
    }
    let syntax = package.syntax();
    let field = crate::finding::find_field(&syntax, &["source", name])?;
    match package.package.export_json(Some(&format!("source.{name}"))) {
        Ok(serde_json::Value::String(text)) => Some((text, field.value.span)),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small clean repository, and the positions of one rule's findings in variations of it.

    use crate::files::RepoFiles;
    use crate::lint::lint;
    use crate::LintCode;

    pub(crate) const MODULE: &str = "module: \"schemas.example.com\"\n";

    pub(crate) const IDENTITY: &str = "package identity

source: {
\tid:    \"MySource\"
\towner: \"@acme/identity\"
}
events: {
\t// A person was registered.
\t\"MySource:newPerson\": #Identity
}

// A person.
#Identity: {
\t// first name
\tfirst: =~\"^[A-Z].*\"
}
";

    /// A consumer of the identity source, for `consumers/billing.cue`.
    pub(crate) const CONSUMER: &str = "package billing

consumer: {
\tid:          \"billing\"
\towner: \"@acme/billing\"
}
reads: \"MySource\": \"MySource:newPerson\": version: 1
";

    pub(crate) const IDENTITY_EXAMPLE: &str = "{\"first\": \"Ada\"}\n";

    /// The clean repository with `changes` applied: a path with text replaces or adds the
    /// file, a path with `None` removes it.
    pub(crate) fn repo(changes: &[(&str, Option<&str>)]) -> RepoFiles {
        let mut files: Vec<(&str, &str)> = vec![
            ("cue.mod/module.cue", MODULE),
            ("sources/identity/identity.cue", IDENTITY),
            (
                "sources/identity/examples/MySource%3AnewPerson/ada.json",
                IDENTITY_EXAMPLE,
            ),
        ];
        for (path, text) in changes {
            files.retain(|(p, _)| p != path);
            if let Some(text) = text {
                files.push((path, text));
            }
        }
        RepoFiles::from_texts(files)
    }

    /// `file:line:col message` of each finding of `rule`.
    pub(crate) fn findings(rule: LintCode, changes: &[(&str, Option<&str>)]) -> Vec<String> {
        let report = lint(&repo(changes)).expect("a CUE module");
        report
            .findings
            .iter()
            .filter(|finding| finding.rule == Some(rule))
            .map(|finding| {
                let position = finding
                    .span
                    .map_or("-".to_string(), |span| report.sources.describe(span));
                format!("{position} {}", finding.message)
            })
            .collect()
    }

    /// `file:line:col` of each finding of `rule`.
    pub(crate) fn positions(rule: LintCode, changes: &[(&str, Option<&str>)]) -> Vec<String> {
        findings(rule, changes)
            .into_iter()
            .map(|f| f.split(' ').next().unwrap_or_default().to_string())
            .collect()
    }

    /// The identity source with `from` replaced by `to`.
    pub(crate) fn identity_with(from: &str, to: &str) -> String {
        assert!(IDENTITY.contains(from), "{from:?} is in the fixture");
        IDENTITY.replace(from, to)
    }

    #[test]
    fn the_clean_repository_has_no_finding() {
        let report = lint(&repo(&[])).expect("a CUE module");
        let all: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{:?} {}", f.rule, f.message))
            .collect();
        assert!(all.is_empty(), "{all:#?}");
        assert_eq!(
            (
                report.source_count,
                report.event_type_count,
                report.example_count
            ),
            (1, 1, 1)
        );
    }
}
