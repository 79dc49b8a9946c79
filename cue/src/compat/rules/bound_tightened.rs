//! `BOUND_TIGHTENED`: A bound on a number, a string's length or a struct's field count accepts less (`>=0` to `>=10`, a new `<=100`).

use super::support;
use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::BoundTightened,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    support::bound_changes(pair)
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
    fn bounds_tightened() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: >=0}", "#A: {a: >=10}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int & <=9}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int64}", "#A: {a: int32}"),
            ["a", "a"]
        );
        assert_eq!(
            paths(
                RULE.code.id(),
                "import \"strings\"\n#A: {a: strings.MaxRunes(9)}",
                "import \"strings\"\n#A: {a: strings.MaxRunes(5)}"
            ),
            ["a"]
        );
    }

    #[test]
    fn the_same_integer_bound_spelled_differently() {
        assert!(paths(RULE.code.id(), "#A: {a: int & >0}", "#A: {a: int & >=1}").is_empty());
    }
}
