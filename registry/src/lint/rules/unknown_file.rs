//! `UNKNOWN_FILE`: a file under `sources/` that lint does not read.

use cue::Span;

use super::Rule;
use crate::lint::{Finding, Level, Workspace};

pub(super) const RULE: Rule = Rule {
    id: "UNKNOWN_FILE",
    purpose: "A file under `sources/` is not a package file, Markdown documentation or an example, so it is silently ignored by every other check.",
    default: Level::Warning,
    configurable: true,
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
            RULE.id,
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
            RULE.id,
            &[("sources/identity/README.md", Some("# Identity\n"))]
        )
        .is_empty());
    }
}
