//! `EVENT_TYPE_NAME`: an event type does not match the configured `eventTypePattern`.

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::EventTypeName,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let pattern = &workspace.settings.event_type_pattern;
    let mut findings = Vec::new();
    for package in workspace.packages.iter().filter(|p| p.is_source) {
        for event in &package.events {
            let Some(event_type) = &event.event_type else {
                continue;
            };
            if !pattern.is_match(event_type) {
                findings.push(
                    Finding::new(format!(
                        "event type {event_type:?} does not match eventTypePattern {}",
                        pattern.text
                    ))
                    .at(event.span),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{identity_with, positions};

    #[test]
    fn a_type_without_its_source_prefix() {
        let text = identity_with("\"MySource:newPerson\"", "\"new_person\"");
        assert_eq!(
            positions(
                RULE.code,
                &[
                    ("sources/identity/identity.cue", Some(&text)),
                    (
                        "sources/identity/examples/MySource%3AnewPerson/ada.json",
                        None
                    ),
                ]
            ),
            ["sources/identity/identity.cue:9:2"]
        );
    }

    #[test]
    fn a_matching_type_is_fine() {
        assert!(positions(RULE.code, &[]).is_empty());
    }
}
