//! `DUPLICATE_EVENT_TYPE`: two sources declare the same event type.

use std::collections::HashMap;

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::DuplicateEventType,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut first = HashMap::new();
    let mut findings = Vec::new();
    for package in workspace.packages.iter().filter(|p| p.is_source) {
        for event in &package.events {
            let Some(event_type) = &event.event_type else {
                continue;
            };
            match first.get(event_type) {
                None => {
                    first.insert(event_type.clone(), (event.span, package.folder.as_str()));
                }
                // One package may declare an event in several places: CUE unifies them.
                Some((_, folder)) if *folder == package.folder => {}
                Some((first_span, folder)) => findings.push(
                    Finding::new(format!(
                        "event type {event_type:?} is already declared by {folder}"
                    ))
                    .at(event.span)
                    .with_label(*first_span, "first declared here"),
                ),
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{positions, IDENTITY};

    #[test]
    fn the_same_type_in_two_sources() {
        let other = IDENTITY
            .replace("package identity", "package people")
            .replace("\"MySource\"", "\"People\"");
        assert_eq!(
            positions(RULE.code, &[("sources/people/people.cue", Some(&other))]),
            ["sources/people/people.cue:9:2"]
        );
    }

    #[test]
    fn distinct_types_are_fine() {
        let other = IDENTITY
            .replace("package identity", "package people")
            .replace("MySource", "People");
        assert!(positions(RULE.code, &[("sources/people/people.cue", Some(&other))]).is_empty());
    }
}
