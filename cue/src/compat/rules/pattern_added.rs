//! `PATTERN_ADDED`: A string must now match a regular expression (`=~`, `!~`, `strings.HasPrefix`...) it did not have to.

use super::{Pair, Position, Rule};
use crate::compat::Impact;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    id: "PATTERN_ADDED",
    purpose: "A string must now match a regular expression (`=~`, `!~`, `strings.HasPrefix`...) it did not have to.",
    impact: Impact::BreaksBackward,
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
    if !removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    vec![format!("string constraint {} added", added.join(" & "))]
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
    fn a_regex_added() {
        assert_eq!(
            paths(RULE.id, "#A: {a: string}", "#A: {a: =~\"^x\"}"),
            ["a"]
        );
    }
}
