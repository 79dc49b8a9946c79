//! `UNKNOWN_FILE`: a file under `sources/` that lint does not read.

use cue::Span;

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::UnknownFile,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    workspace
        .stray_files
        .iter()
        .map(|stray| {
            Finding::new(format!("unexpected file: {}", stray.reason))
                .at(Span::new(stray.file, 0, 0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::positions;

    #[test]
    fn stray_files_anywhere_under_sources() {
        let found = positions(
            RULE.code,
            &[
                ("sources/notes.txt", Some("")),
                ("sources/identity/schema.json", Some("{}")),
                ("sources/identity/_scratch.cue", Some("")),
                ("sources/identity/examples/ada.json", Some("{}")),
                ("sources/identity/nested/x.cue", Some("package x\n")),
                ("sources/empty/README.md", Some("")),
            ],
        );
        assert_eq!(found.len(), 6, "{found:#?}");
    }

    #[test]
    fn documentation_and_examples_are_expected() {
        assert!(positions(
            RULE.code,
            &[("sources/identity/README.md", Some("# Identity\n"))]
        )
        .is_empty());
    }
}
