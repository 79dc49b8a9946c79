//! `LIST_CONSTRAINT_LOOSENED`: A list accepts more lengths or no longer needs unique items, which the previous version rejects.

use super::support;
use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::ListConstraintLoosened,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    support::list_changes(pair)
        .into_iter()
        .filter(|c| !c.tightened)
        .map(|c| c.message)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn max_items_removed() {
        assert_eq!(
            paths(
                RULE.code.id(),
                "import \"list\"\n#A: {a: [...int] & list.MaxItems(3)}",
                "#A: {a: [...int]}"
            ),
            ["a"]
        );
    }
}
