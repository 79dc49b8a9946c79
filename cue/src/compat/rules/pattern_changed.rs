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
    let (removed, added) = support_patterns(old, new);
    if removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "string constraint changed from {} to {}: cannot decide whether one accepts every string the other does",
        removed.join(" & "),
        added.join(" & ")
    )]
}

/// The regular-expression constraints only the previous, and only the current, scalar has.
fn support_patterns(
    old: &crate::export::ScalarShape,
    new: &crate::export::ScalarShape,
) -> (Vec<String>, Vec<String>) {
    let patterns = |s: &crate::export::ScalarShape| -> Vec<String> {
        s.keywords
            .iter()
            .filter(|k| {
                matches!(
                    k,
                    crate::export::Keyword::Pattern(_) | crate::export::Keyword::NotPattern(_)
                )
            })
            .map(super::keyword_text)
            .collect()
    };
    let (o, n) = (patterns(old), patterns(new));
    let removed = o.iter().filter(|p| !n.contains(p)).cloned().collect();
    let added = n.iter().filter(|p| !o.contains(p)).cloned().collect();
    (removed, added)
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
