//! `PACKAGE_ERROR`: A source package does not compile: CUE syntax, import or evaluation errors, as the engine reports them.

use std::collections::HashSet;

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::PackageError,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    // The engine reports a conflict in a definition at every path that refers to it
    // (`#Identity.first` and `events."T".first`): one finding per place and message is enough.
    let mut seen = HashSet::new();
    workspace
        .packages
        .iter()
        .flat_map(|package| package.problems.iter())
        .filter(|problem| seen.insert((problem.message.clone(), problem.span)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{findings, identity_with, positions};

    #[test]
    fn a_conflict_is_reported_at_its_positions() {
        let text = identity_with("first: =~\"^[A-Z].*\"", "first: int & string");
        assert_eq!(
            findings(RULE.code, &[("sources/identity/identity.cue", Some(&text))]),
            ["sources/identity/identity.cue:15:15 conflicting values string and int (mismatched types string and int)"]
        );
    }

    #[test]
    fn a_missing_import_is_reported() {
        let text = identity_with(
            "package identity\n",
            "package identity\n\nimport \"schemas.example.com/sources/nothing\"\n",
        );
        assert_eq!(
            positions(RULE.code, &[("sources/identity/identity.cue", Some(&text))]),
            ["sources/identity/identity.cue:3:8"]
        );
    }

    #[test]
    fn a_package_that_compiles_has_none() {
        assert!(positions(RULE.code, &[]).is_empty());
    }
}
