//! `OWNER_FORMAT`: a `source.owner` or `consumer.owner` is not an owner `CODEOWNERS` accepts:
//! a team `@org/team`, a user `@octocat` or an e-mail address.

use super::{source_string, Rule};
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::OwnerFormat,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let pattern = &workspace.settings.owner_pattern;
    let sources = workspace
        .packages
        .iter()
        .filter_map(|package| source_string(package, "owner"))
        .map(|(owner, span)| (owner, span, "source.owner"));
    let consumers = workspace.consumers.iter().filter_map(|consumer_file| {
        let consumer = &consumer_file.consumer;
        let span = consumer.owner_span?;
        Some((
            consumer.owner.clone()?,
            cue::Span::new(consumer_file.file, span.start, span.end),
            "consumer.owner",
        ))
    });
    sources
        .chain(consumers)
        .filter(|(owner, _, _)| !pattern.is_match(owner))
        .map(|(owner, span, path)| {
            Finding::new(format!(
                "owner {owner:?} is neither a team (@org/team), a user (@name) nor an e-mail address"
            ))
            .at(span)
            .with_path(path)
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
            positions(RULE.code, &[("sources/identity/identity.cue", Some(&text))]),
            ["sources/identity/identity.cue:5:9"]
        );
    }

    #[test]
    fn teams_users_and_addresses_are_fine() {
        assert!(positions(RULE.code, &[]).is_empty());
        for owner in [
            "identity@acme.example",
            "@octocat",
            "@acme/identity",
            "@Mona-Lisa",
        ] {
            let text = identity_with("\"@acme/identity\"", &format!("{owner:?}"));
            assert!(
                positions(RULE.code, &[("sources/identity/identity.cue", Some(&text))]).is_empty(),
                "{owner}"
            );
        }
    }

    #[test]
    fn a_consumer_owner_that_is_no_owner() {
        use crate::lint::rules::testing::CONSUMER;
        let text = CONSUMER.replace("\"@acme/billing\"", "\"billing team\"");
        assert_eq!(
            positions(RULE.code, &[("consumers/billing.cue", Some(&text))]),
            ["consumers/billing.cue:5:9"]
        );
        let text = CONSUMER.replace("\"@acme/billing\"", "\"@octocat\"");
        assert!(positions(RULE.code, &[("consumers/billing.cue", Some(&text))]).is_empty());
    }
}
