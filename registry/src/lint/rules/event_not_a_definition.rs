//! `EVENT_NOT_A_DEFINITION`: an event does not map a literal type to a reference to a definition.

use cue::ast::{Expr, ExprKind};

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::EventNotADefinition,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in workspace.packages.iter().filter(|p| p.is_source) {
        for event in &package.events {
            let Some(event_type) = &event.event_type else {
                findings.push(
                    Finding::new("event types must be literal strings: a computed label, a pattern constraint or a comprehension in `events` cannot be served")
                        .at(event.span)
                        .with_path("events"),
                );
                continue;
            };
            if !is_definition_reference(&event.value) {
                findings.push(
                    Finding::new(format!(
                        "event type {event_type:?} must map to a reference to a definition, such as #Identity or common.#Name"
                    ))
                    .at(event.value.span)
                    .with_path(format!("events.{}", quote(event_type)))
                    .with_help("declare the payload as a definition (`#Payload: {...}`) and refer to it"),
                );
            }
        }
    }
    findings
}

fn is_definition_reference(value: &Expr) -> bool {
    match &value.kind {
        ExprKind::Paren(inner) => is_definition_reference(inner),
        ExprKind::Ident(ident) => ident.name.starts_with('#'),
        ExprKind::Selector(base, selected) => {
            matches!(base.kind, ExprKind::Ident(_)) && selected.name.starts_with('#')
        }
        _ => false,
    }
}

fn quote(label: &str) -> String {
    serde_json::to_string(label).unwrap_or_else(|_| label.to_string())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{identity_with, positions};

    const PATH: &str = "sources/identity/identity.cue";

    #[test]
    fn an_inline_struct_is_not_a_definition() {
        let text = identity_with(": #Identity\n}", ": {name: string}\n}");
        assert_eq!(
            positions(RULE.code, &[(PATH, Some(&text))]),
            ["sources/identity/identity.cue:9:24"]
        );
    }

    #[test]
    fn a_pattern_constraint_is_not_an_event_type() {
        let text = identity_with(
            "\t\"MySource:newPerson\": #Identity\n",
            "\t\"MySource:newPerson\": #Identity\n\t[string]: #Identity\n",
        );
        assert_eq!(
            positions(RULE.code, &[(PATH, Some(&text))]),
            ["sources/identity/identity.cue:10:2"]
        );
    }

    #[test]
    fn local_and_imported_definitions_are_fine() {
        let common =
            "package common\n\n// A name.\n#Name: {\n\t// given name\n\tgiven: string\n}\n";
        let text = identity_with("package identity\n", "package identity\n\nimport \"schemas.example.com/sources/common\"\n")
            .replace("\t\"MySource:newPerson\": #Identity\n", "\t\"MySource:newPerson\": #Identity\n\t// A name.\n\t\"MySource:named\": common.#Name\n");
        assert!(positions(
            RULE.code,
            &[
                (PATH, Some(&text)),
                ("sources/common/common.cue", Some(common))
            ]
        )
        .is_empty());
    }
}
