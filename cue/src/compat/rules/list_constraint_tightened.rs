//! `LIST_CONSTRAINT_TIGHTENED`: A list accepts fewer lengths (`list.MinItems` raised, elements fixed) or must now have unique items.

use super::support;
use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::ListConstraintTightened,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    support::list_changes(pair)
        .into_iter()
        .filter(|c| c.tightened)
        .map(|c| c.message)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn min_items_added_and_list_closed() {
        // `[...int] & list.MinItems(1)` in a definition is rejected by the engine (like CUE
        // v0.4, unlike current CUE), so a first element stands for the minimum here.
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: [...int]}",
                "#A: {a: [int, ...int]}"
            ),
            ["a"]
        );
        assert_eq!(
            paths(
                RULE.code.id(),
                "import \"list\"\n#A: {a: [...int]}",
                "import \"list\"\n#A: {a: [...int] & list.UniqueItems()}"
            ),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: [int, ...int]}", "#A: {a: [int]}"),
            ["a"]
        );
    }
}
