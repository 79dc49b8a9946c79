//! `docs/reference.md` is what `cuemesh reference markdown` prints: this test fails when a
//! command, flag, rule or setting changed without the file being regenerated
//! (`UPDATE_EXPECT=1` rewrites it, as the golden tests do).

mod common;

use cuemesh::reference::REGENERATE;
use std::path::Path;

#[test]
fn the_committed_reference_is_the_generated_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let run = common::cuemesh(&root, &["reference", "markdown"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let path = root.join("docs/reference.md");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &run.stdout).expect("write docs/reference.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != run.stdout {
        let first_difference = committed
            .lines()
            .zip(run.stdout.lines())
            .position(|(old, new)| old != new)
            .map_or_else(
                || "one is a prefix of the other".to_string(),
                |index| format!("first difference at line {}", index + 1),
            );
        panic!(
            "docs/reference.md is stale ({first_difference}); regenerate it with `{REGENERATE}` \
             (or UPDATE_EXPECT=1 cargo test -p cuemesh --test reference)"
        );
    }
}

#[test]
fn the_reference_names_every_visible_command_and_no_hidden_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = common::cuemesh(&root, &["reference", "markdown"]).stdout;
    for command in common::subcommands(&root) {
        assert!(
            text.contains(&format!("### `cuemesh {command}`")),
            "{command} missing from the reference"
        );
    }
    assert!(!text.contains("### `cuemesh reference`"));
}
