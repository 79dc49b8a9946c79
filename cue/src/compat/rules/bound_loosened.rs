//! `BOUND_LOOSENED`: A bound on a number, a string's length or a struct's field count accepts more, which the previous version rejects.

use super::support;
use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::BoundLoosened,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    support::bound_changes(pair)
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
    fn bounds_loosened() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: >=10}", "#A: {a: >=0}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int & <10}", "#A: {a: int}"),
            ["a"]
        );
    }
}
