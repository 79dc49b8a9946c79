//! `OWNER_FORMAT`: a `source.owner` is neither a team handle nor an e-mail address.

use super::{source_string, Rule};
use crate::lint::{Finding, Level, Workspace};

pub(super) const RULE: Rule = Rule {
    id: "OWNER_FORMAT",
    purpose: "A `source.owner` does not match `lint.ownerPattern` (by default a GitHub team `@org/team` or an e-mail address).",
    default: Level::Error,
    configurable: true,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let pattern = &workspace.settings.owner_pattern;
    workspace
        .packages
        .iter()
        .filter_map(|package| source_string(package, "owner"))
        .filter(|(owner, _)| !pattern.is_match(owner))
        .map(|(owner, span)| {
            Finding::new(format!(
                "owner {owner:?} is neither a team (@org/team) nor an e-mail address"
            ))
            .at(span)
            .with_path("source.owner")
            .with_help(format!("ownerPattern is {}", pattern.text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{identity_with, positions};

    #[test]
    fn a_bare_name() {
        let text = identity_with("\"@acme/identity\"", "\"identity team\"");
        assert_eq!(
            positions(RULE.id, &[("sources/identity/identity.cue", Some(&text))]),
            ["sources/identity/identity.cue:5:9"]
        );
    }

    #[test]
    fn teams_and_addresses_are_fine() {
        assert!(positions(RULE.id, &[]).is_empty());
        let text = identity_with("\"@acme/identity\"", "\"identity@acme.example\"");
        assert!(positions(RULE.id, &[("sources/identity/identity.cue", Some(&text))]).is_empty());
    }
}
