//! `EXAMPLE_MISSING`: an event type has no example payload.

use super::Rule;
use crate::lint::{percent_encode, Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::ExampleMissing,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in workspace.packages.iter().filter(|p| p.is_source) {
        for event in &package.events {
            let Some(event_type) = &event.event_type else {
                continue;
            };
            if !package.examples.iter().any(|e| &e.event_type == event_type) {
                findings.push(
                    Finding::new(format!("event type {event_type:?} has no example"))
                        .at(event.span)
                        .with_help(format!(
                            "add {}/examples/{}/<name>.json",
                            package.folder,
                            percent_encode(event_type)
                        )),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::positions;

    const EXAMPLE: &str = "sources/identity/examples/MySource%3AnewPerson/ada.json";

    #[test]
    fn an_event_without_example() {
        assert_eq!(
            positions(RULE.code, &[(EXAMPLE, None)]),
            ["sources/identity/identity.cue:9:2"]
        );
    }

    #[test]
    fn the_folder_may_name_the_type_verbatim() {
        let verbatim = "sources/identity/examples/MySource:newPerson/ada.json";
        assert!(positions(
            RULE.code,
            &[(EXAMPLE, None), (verbatim, Some("{\"first\": \"Ada\"}"))]
        )
        .is_empty());
    }
}
