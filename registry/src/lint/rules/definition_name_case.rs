//! `DEFINITION_NAME_CASE`: a definition's name does not match `definitionNamePattern`.

use super::Rule;
use crate::lint::{DeclarationKind, Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::DefinitionNameCase,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let pattern = &workspace.settings.definition_name_pattern;
    let mut findings = Vec::new();
    for package in &workspace.packages {
        for declaration in package.unique_declarations() {
            if declaration.kind == DeclarationKind::Definition
                && !declaration.name.starts_with('_')
                && !pattern.is_match(&declaration.name)
            {
                findings.push(
                    Finding::new(format!(
                        "definition #{} does not match definitionNamePattern {}",
                        declaration.name, pattern.text
                    ))
                    .at(declaration.span)
                    .with_path(declaration.key),
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
    fn snake_case_and_nested_definitions() {
        let text = identity_with("#Identity: {\n", "#Identity: {\n\t#home_address: string\n")
            .replace("#Identity", "#identity");
        assert_eq!(
            positions(RULE.code, &[("sources/identity/identity.cue", Some(&text))]),
            [
                "sources/identity/identity.cue:13:1",
                "sources/identity/identity.cue:14:2"
            ]
        );
    }

    #[test]
    fn pascal_case_is_fine() {
        assert!(positions(RULE.code, &[]).is_empty());
    }
}
