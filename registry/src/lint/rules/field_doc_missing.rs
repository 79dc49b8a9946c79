//! `FIELD_DOC_MISSING`: a field of a definition has no doc comment.

use super::Rule;
use crate::lint::{DeclarationKind, Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::FieldDocMissing,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in &workspace.packages {
        for declaration in package.unique_declarations() {
            if declaration.kind == DeclarationKind::Field && !declaration.documented {
                findings.push(
                    Finding::new(format!("field {} has no doc comment", declaration.name))
                        .at(declaration.span)
                        .with_path(declaration.key)
                        .with_help(
                            "write what the field means in a `// ...` comment on the line above it",
                        ),
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
    fn undocumented_fields_nested_and_in_lists() {
        let text = identity_with(
            "\t// first name\n\tfirst: =~\"^[A-Z].*\"\n",
            "\tfirst: string\n\t// tags\n\ttags: [...{\n\t\tname: string\n\t}]\n",
        );
        assert_eq!(
            positions(RULE.code, &[(PATH, Some(&text))]),
            [
                "sources/identity/identity.cue:14:2",
                "sources/identity/identity.cue:17:3"
            ]
        );
    }

    #[test]
    fn a_directive_is_not_documentation() {
        let text = identity_with("\t// first name\n", "\t// cuemesh:ignore OTHER_RULE\n");
        assert_eq!(positions(RULE.code, &[(PATH, Some(&text))]).len(), 1);
    }

    #[test]
    fn one_documented_declaration_documents_the_field() {
        let text = format!(
            "{}\n#Identity: first: string\n",
            crate::lint::rules::testing::IDENTITY
        );
        assert!(positions(RULE.code, &[(PATH, Some(&text))]).is_empty());
    }

    #[test]
    fn fields_on_their_parents_line_do_not_borrow_its_doc() {
        let common = "package common\n\n// A point.\n#Point: {x: int, y: int}\n\n// A name.\n#Name: given: string\n";
        assert_eq!(
            positions(RULE.code, &[("sources/common/common.cue", Some(common))]),
            [
                "sources/common/common.cue:4:10",
                "sources/common/common.cue:4:18"
            ]
        );
    }
}
