//! The rule table: one rule per code, and the table in docs/governance.md is generated from it
//! (`UPDATE_EXPECT=1 cargo test -p cuemesh-registry --test lint_rules` rewrites it).

use std::path::Path;

use cuemesh_registry::lint::{rule_table, RULES};
use cuemesh_registry::LintCode;

#[test]
fn every_code_has_one_rule_in_the_order_of_the_codes() {
    let codes: Vec<LintCode> = RULES.iter().map(|rule| rule.code).collect();
    assert_eq!(codes, LintCode::ALL);
}

#[test]
fn the_documented_rule_table_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/governance.md");
    let guide = std::fs::read_to_string(&path).expect("docs/governance.md");
    let (start, end) = ("<!-- lint-rules:start -->\n", "<!-- lint-rules:end -->");
    let from = guide.find(start).expect("the start marker") + start.len();
    let to = guide.find(end).expect("the end marker");
    let table = rule_table();
    if std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1") {
        let updated = format!("{}{table}{}", &guide[..from], &guide[to..]);
        std::fs::write(&path, updated).expect("write docs/governance.md");
        return;
    }
    assert_eq!(
        &guide[from..to],
        table,
        "docs/governance.md's lint rule table is stale: run UPDATE_EXPECT=1 cargo test -p cuemesh-registry --test lint_rules"
    );
}
