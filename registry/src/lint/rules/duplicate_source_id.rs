//! `DUPLICATE_SOURCE_ID`: two packages declare the same `source.id`.

use super::{duplicates, source_string, Rule};
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::DuplicateSourceId,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let declarations = workspace.packages.iter().filter_map(|package| {
        let (id, span) = source_string(package, "id")?;
        Some((id, span, package.folder.clone()))
    });
    duplicates(declarations, "source id", "source.id")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{positions, IDENTITY};

    #[test]
    fn the_second_declaration_is_reported() {
        let other = IDENTITY
            .replace("package identity", "package people")
            .replace("MySource:newPerson", "MySource:otherPerson");
        assert_eq!(
            positions(RULE.code, &[("sources/people/people.cue", Some(&other))]),
            ["sources/people/people.cue:4:9"]
        );
    }

    #[test]
    fn distinct_ids_are_fine() {
        let other = IDENTITY
            .replace("package identity", "package people")
            .replace("MySource", "People");
        assert!(positions(RULE.code, &[("sources/people/people.cue", Some(&other))]).is_empty());
    }
}
