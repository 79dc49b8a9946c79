//! `SOURCE_CONTRACT_BROKEN`: a source package breaks the contract `source.id`, `source.owner`
//! (concrete strings), optional `source.description`, and an `events` struct.

use cue::Span;

use super::Rule;
use crate::finding::find_field;
use crate::lint::{Finding, SourcePackage, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::SourceContractBroken,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in &workspace.packages {
        if package.is_source && package.problems.is_empty() {
            check_package(package, &mut findings);
        }
    }
    findings
}

fn check_package(package: &SourcePackage, findings: &mut Vec<Finding>) {
    let syntax = package.syntax();
    let anchor = package.anchor().unwrap_or_default();
    match find_field(&syntax, &["source"]) {
        None => findings.push(
            Finding::new(format!(
                "{} declares events but no `source: {{id: ..., owner: ...}}`",
                package.folder
            ))
            .at(anchor),
        ),
        Some(source) => {
            for (name, required) in [("id", true), ("owner", true), ("description", false)] {
                check_string(package, source.label.span, name, required, findings);
            }
        }
    }
    match find_field(&syntax, &["events"]) {
        None => findings.push(
            Finding::new(format!(
                "{} declares a source but no `events: {{\"<type>\": #Definition}}`",
                package.folder
            ))
            .at(anchor),
        ),
        Some(events) if !matches!(events.value.kind, cue::ast::ExprKind::Struct(_)) => findings
            .push(
                Finding::new(
                    "`events` must be a struct literal mapping each event type to a definition",
                )
                .at(events.value.span)
                .with_path("events"),
            ),
        Some(events) if package.events.is_empty() => findings.push(
            Finding::new("`events` declares no event type")
                .at(events.label.span)
                .with_path("events"),
        ),
        Some(_) => {}
    }
}

fn check_string(
    package: &SourcePackage,
    source_label: Span,
    name: &str,
    required: bool,
    findings: &mut Vec<Finding>,
) {
    let path = format!("source.{name}");
    let syntax = package.syntax();
    let Some(field) = find_field(&syntax, &["source", name]) else {
        if required {
            findings.push(
                Finding::new(format!("{path} is missing"))
                    .at(source_label)
                    .with_path(path),
            );
        }
        return;
    };
    let problem = match package.package.export_json(Some(&path)) {
        Ok(serde_json::Value::String(_)) => return,
        Ok(other) => format!("{path} must be a string, found {other}"),
        Err(diagnostics) => format!(
            "{path} must be a concrete string: {}",
            diagnostics
                .first()
                .map_or("incomplete value".to_string(), |d| d.message.clone())
        ),
    };
    findings.push(Finding::new(problem).at(field.value.span).with_path(path));
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{identity_with, positions};

    const PATH: &str = "sources/identity/identity.cue";

    #[test]
    fn a_missing_owner_and_a_non_string_id() {
        let text = identity_with(
            "\tid:    \"MySource\"\n\towner: \"@acme/identity\"\n",
            "\tid:    1\n",
        );
        assert_eq!(
            positions(RULE.code, &[(PATH, Some(&text))]),
            [
                "sources/identity/identity.cue:3:1",
                "sources/identity/identity.cue:4:9"
            ]
        );
    }

    #[test]
    fn an_incomplete_id_and_missing_events() {
        let text = identity_with("\"MySource\"", "string");
        let text = text.replace(
            "events: {\n\t// A person was registered.\n\t\"MySource:newPerson\": #Identity\n}\n",
            "",
        );
        assert_eq!(
            positions(
                RULE.code,
                &[
                    (PATH, Some(&text)),
                    (
                        "sources/identity/examples/MySource%3AnewPerson/ada.json",
                        None
                    )
                ]
            ),
            [
                "sources/identity/identity.cue:1:9",
                "sources/identity/identity.cue:4:9"
            ]
        );
    }

    #[test]
    fn a_shared_package_has_no_contract() {
        let common = "package common\n\n// A name.\n#Name: string\n";
        assert!(positions(RULE.code, &[("sources/common/common.cue", Some(common))]).is_empty());
    }

    #[test]
    fn the_clean_source_keeps_it() {
        assert!(positions(RULE.code, &[]).is_empty());
    }
}
