//! The rule table: ids are unique SCREAMING_SNAKE, and the README's table is generated from it
//! (`UPDATE_EXPECT=1 cargo test -p cuemesh-registry --test lint_rules` rewrites it).

use std::path::Path;

use cuemesh_registry::lint::{rule_table, RULES};

#[test]
fn rule_ids_are_unique_screaming_snake_case() {
    let mut seen = std::collections::HashSet::new();
    for rule in RULES {
        assert!(
            rule.id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
            "{}",
            rule.id
        );
        assert!(seen.insert(rule.id), "{} is registered twice", rule.id);
        assert!(rule.purpose.ends_with('.'), "{}: one sentence", rule.id);
    }
}

#[test]
fn the_readme_rule_table_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md at the workspace root");
    let (start, end) = ("<!-- lint-rules:start -->\n", "<!-- lint-rules:end -->");
    let from = readme.find(start).expect("the start marker") + start.len();
    let to = readme.find(end).expect("the end marker");
    let table = rule_table();
    if std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1") {
        let updated = format!("{}{table}{}", &readme[..from], &readme[to..]);
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    assert_eq!(
        &readme[from..to],
        table,
        "README.md's lint rule table is stale: run UPDATE_EXPECT=1 cargo test -p cuemesh-registry --test lint_rules"
    );
}
