//! `CONFIG_INVALID`: `cuemesh.cue` does not compile or holds a setting lint does not know.

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::ConfigInvalid,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    workspace.settings_problems.clone()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::findings;

    #[test]
    fn unknown_rules_bad_severities_and_bad_patterns() {
        let settings = "lint: {\n\trules: {NO_SUCH_RULE: \"error\", FIELD_DOC_MISSING: \"err\"}\n\tfieldNamePattern: \"(\"\n\tcolour: 1\n}\ncompatibility: \"SIDEWAYS\"\n";
        let found = findings(RULE.code, &[("cuemesh.cue", Some(settings))]);
        let positions: Vec<&str> = found.iter().map(|f| f.split(' ').next().unwrap()).collect();
        assert_eq!(
            positions,
            [
                "cuemesh.cue:2:10",
                "cuemesh.cue:2:33",
                "cuemesh.cue:3:2",
                "cuemesh.cue:4:2",
                "cuemesh.cue:6:1"
            ],
            "{found:#?}"
        );
    }

    #[test]
    fn bad_registry_settings() {
        let settings = "registry: {\n\turl:    \"ftp://schemas.example.com\"\n\tbranch: \"no..dots\"\n\tport:   8080\n}\n";
        let found = findings(RULE.code, &[("cuemesh.cue", Some(settings))]);
        assert_eq!(
            found,
            [
                "cuemesh.cue:2:2 registry.url \"ftp://schemas.example.com\": the URL must start with https:// or http://",
                "cuemesh.cue:3:2 registry.branch must be a branch name, found \"no..dots\"",
                "cuemesh.cue:4:2 unknown registry setting \"port\" (known: url, branch)",
            ]
        );
        for url in [
            "https://",
            "https://x.example/?v=1",
            "https://x.example/a b",
            "42",
        ] {
            let quoted = if url == "42" {
                url.to_string()
            } else {
                format!("{url:?}")
            };
            let settings = format!("registry: url: {quoted}\n");
            let found = findings(RULE.code, &[("cuemesh.cue", Some(&settings))]);
            assert_eq!(found.len(), 1, "{url}: {found:?}");
            assert!(
                found[0].starts_with("cuemesh.cue:1:11 "),
                "{url}: {found:?}"
            );
        }
    }

    #[test]
    fn fixed_rules_cannot_be_turned_off() {
        let settings = "lint: rules: PACKAGE_ERROR: \"off\"\n";
        assert_eq!(
            findings(RULE.code, &[("cuemesh.cue", Some(settings))]).len(),
            1
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert_eq!(
            findings(RULE.code, &[("cuemesh.cue", Some("lint: {\n"))]).len(),
            1
        );
    }

    #[test]
    fn valid_settings_have_none() {
        let settings = "package cuemesh\n\ncompatibility: \"FULL\"\nregistry: url: \"https://schemas.example.com\"\nlint: {\n\trules: {FIELD_DOC_MISSING: \"warning\", EXAMPLE_MISSING: \"off\"}\n\teventTypePattern: \"^[A-Z][A-Za-z]*:[a-z][A-Za-z]*$\"\n}\n";
        assert!(findings(RULE.code, &[("cuemesh.cue", Some(settings))]).is_empty());
    }
}
