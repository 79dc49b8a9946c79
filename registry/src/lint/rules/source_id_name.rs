//! `SOURCE_ID_NAME`: a `source.id` does not match the configured `sourceIdPattern`.

use super::{source_string, Rule};
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::SourceIdName,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let pattern = &workspace.settings.source_id_pattern;
    workspace
        .packages
        .iter()
        .filter_map(|package| source_string(package, "id"))
        .filter(|(id, _)| !pattern.is_match(id))
        .map(|(id, span)| {
            Finding::new(format!(
                "source id {id:?} does not match sourceIdPattern {}",
                pattern.text
            ))
            .at(span)
            .with_path("source.id")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{identity_with, positions};

    #[test]
    fn a_kebab_case_id() {
        let text = identity_with("\"MySource\"", "\"my-source\"");
        assert_eq!(
            positions(RULE.code, &[("sources/identity/identity.cue", Some(&text))]),
            ["sources/identity/identity.cue:4:9"]
        );
    }

    #[test]
    fn the_pattern_is_configurable() {
        let text = identity_with("\"MySource\"", "\"my-source\"");
        let settings = "lint: sourceIdPattern: \"^[a-z-]+$\"\n";
        assert!(positions(
            RULE.code,
            &[
                ("sources/identity/identity.cue", Some(&text)),
                ("cuemesh.cue", Some(settings))
            ]
        )
        .is_empty());
    }

    #[test]
    fn a_pascal_case_id_is_fine() {
        assert!(positions(RULE.code, &[]).is_empty());
    }

    #[test]
    fn the_cloudevents_specification_examples_are_fine() {
        for id in [
            "https://github.com/cloudevents",
            "urn:event:from:myapi/resource",
            "/cloudevents/spec/pull/123",
            "mailto:cncf-wg-serverless@lists.cncf.io",
            "com.acme.orders",
            "MySource",
        ] {
            let text = identity_with("\"MySource\"", &format!("{id:?}"));
            assert!(
                positions(RULE.code, &[("sources/identity/identity.cue", Some(&text))]).is_empty(),
                "{id}"
            );
        }
        for id in ["my source", "my-source", "Acme Orders", ""] {
            let text = identity_with("\"MySource\"", &format!("{id:?}"));
            let found = positions(RULE.code, &[("sources/identity/identity.cue", Some(&text))]);
            assert!(id.is_empty() || found.len() == 1, "{id}: {found:?}");
        }
    }
}
