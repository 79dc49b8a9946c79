//! `IGNORE_UNUSED`: a `cuemesh:ignore` directive that silences nothing, or a malformed one.

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(crate) const RULE: Rule = Rule {
    code: LintCode::IgnoreUnused,
    check,
};

/// The directives are only known to be unused once every other rule has run: `lint` calls
/// [`unused`] after applying them.
fn check(_: &Workspace) -> Vec<Finding> {
    Vec::new()
}

/// `used[d][r]` says whether rule `r` of directive `d` silenced a finding.
pub(crate) fn unused(workspace: &Workspace, used: &[Vec<bool>]) -> Vec<Finding> {
    let mut findings = workspace.directive_problems.clone();
    for (directive, used) in workspace.directives.iter().zip(used) {
        for (id, used) in directive.rules.iter().zip(used) {
            if *used {
                continue;
            }
            let message = match LintCode::from_id(id) {
                None => format!("cuemesh:ignore names an unknown rule {id}"),
                Some(code) if !code.configurable() => {
                    format!("{id} cannot be ignored: the registry relies on it")
                }
                Some(_) => format!(
                    "cuemesh:ignore {id} silences nothing on line {}",
                    directive.line
                ),
            };
            findings.push(Finding::new(message).at(directive.span));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{findings, identity_with};
    use crate::LintCode;

    const PATH: &str = "sources/identity/identity.cue";

    #[test]
    fn a_used_directive_silences_and_is_not_reported() {
        let text = identity_with("\t// first name\n\tfirst:", "\tfirst_name: string // cuemesh:ignore FIELD_DOC_MISSING,FIELD_NAME_CASE legacy\n\tfirst:");
        let text = text.replace("\tfirst:", "\t// first\n\tfirst:");
        assert!(findings(RULE.code, &[(PATH, Some(&text))]).is_empty());
        assert!(findings(LintCode::FieldDocMissing, &[(PATH, Some(&text))]).is_empty());
        assert!(findings(LintCode::FieldNameCase, &[(PATH, Some(&text))]).is_empty());
    }

    #[test]
    fn unused_unknown_and_fixed_rules() {
        let text = identity_with(
            "\t// first name\n",
            "\t// first name\n\t// cuemesh:ignore FIELD_DOC_MISSING,NOPE,PACKAGE_ERROR\n",
        );
        assert_eq!(
            findings(RULE.code, &[(PATH, Some(&text))]),
            [
                "sources/identity/identity.cue:15:2 cuemesh:ignore FIELD_DOC_MISSING silences nothing on line 16",
                "sources/identity/identity.cue:15:2 cuemesh:ignore names an unknown rule NOPE",
                "sources/identity/identity.cue:15:2 PACKAGE_ERROR cannot be ignored: the registry relies on it",
            ]
        );
    }
}
