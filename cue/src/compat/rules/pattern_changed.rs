//! `PATTERN_CHANGED`: A string's regular expression was replaced by another: whether one accepts all the other does cannot be decided here.

use super::{Pair, Position, Rule};
use crate::compat::Impact;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    id: "PATTERN_CHANGED",
    purpose: "A string's regular expression was replaced by another: whether one accepts all the other does cannot be decided here.",
    impact: Impact::Undecided,
    position: Position::Current,
    check,
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    let (Some(old), Some(new)) = (
        value.old.single_scalar(Kinds::STRING),
        value.new.single_scalar(Kinds::STRING),
    ) else {
        return Vec::new();
    };
    let (removed, added) = super::support_patterns(old, new);
    if removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "string constraint changed from {} to {}: cannot decide whether one accepts every string the other does",
        removed.join(" & "),
        added.join(" & ")
    )]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn two_different_regexes() {
        assert_eq!(
            paths(RULE.id, "#A: {a: =~\"^x\"}", "#A: {a: =~\"^[xy]\"}"),
            ["a"]
        );
        assert!(paths(RULE.id, "#A: {a: =~\"^x\"}", "#A: {a: =~\"^x\"}").is_empty());
    }
}
