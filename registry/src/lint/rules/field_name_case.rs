//! `FIELD_NAME_CASE`: a field of a definition does not match `fieldNamePattern`.

use super::Rule;
use crate::lint::{DeclarationKind, Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::FieldNameCase,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let pattern = &workspace.settings.field_name_pattern;
    let mut findings = Vec::new();
    for package in &workspace.packages {
        for declaration in package.unique_declarations() {
            if declaration.kind == DeclarationKind::Field && !pattern.is_match(&declaration.name) {
                findings.push(
                    Finding::new(format!(
                        "field {:?} does not match fieldNamePattern {}",
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

    const PATH: &str = "sources/identity/identity.cue";

    #[test]
    fn snake_case_and_quoted_fields_nested_too() {
        let text = identity_with(
            "\tfirst: =~\"^[A-Z].*\"\n",
            "\tfirst: =~\"^[A-Z].*\"\n\t// last\n\tlast_name?: string\n\t// address\n\taddress?: {\n\t\t// zip\n\t\t\"zip-code\": string\n\t}\n",
        );
        assert_eq!(
            positions(RULE.code, &[(PATH, Some(&text))]),
            [
                "sources/identity/identity.cue:17:2",
                "sources/identity/identity.cue:21:3"
            ]
        );
    }

    #[test]
    fn snake_case_can_be_configured() {
        let text = identity_with("first:", "first_name:");
        let settings = "lint: fieldNamePattern: \"^[a-z][a-z0-9_]*$\"\n";
        assert!(positions(
            RULE.code,
            &[(PATH, Some(&text)), ("cuemesh.cue", Some(settings))]
        )
        .is_empty());
        assert_eq!(positions(RULE.code, &[(PATH, Some(&text))]).len(), 1);
    }
}
