//! `EXAMPLE_UNKNOWN_EVENT`: an example folder names no event type of its source.

use cue::Span;

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::ExampleUnknownEvent,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in &workspace.packages {
        let types: Vec<&str> = package
            .events
            .iter()
            .filter_map(|event| event.event_type.as_deref())
            .collect();
        for example in &package.examples {
            if !types.contains(&example.event_type.as_str()) {
                findings.push(
                    Finding::new(format!(
                        "the example's folder names event type {:?}, which {} does not declare",
                        example.event_type, package.folder
                    ))
                    .at(Span::new(example.file, 0, 0))
                    .with_help(format!("its event types: {}", types.join(", "))),
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

    #[test]
    fn an_example_for_a_type_that_does_not_exist() {
        let stray = "sources/identity/examples/MySource%3AoldPerson/ada.json";
        assert_eq!(
            positions(RULE.code, &[(stray, Some("{}"))]),
            [format!("{stray}:1:1")]
        );
    }

    #[test]
    fn examples_of_declared_types_are_fine() {
        assert!(positions(RULE.code, &[]).is_empty());
    }
}
