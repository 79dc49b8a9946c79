//! `LABEL_PATTERN_CHANGED`: A struct's pattern constraints have different label sets: which fields they admit cannot be compared here.

use super::quoted;
use super::{Pair, Position, Rule};
use crate::compat::Impact;
use crate::export::StructShape;

pub(super) const RULE: Rule = Rule {
    id: "LABEL_PATTERN_CHANGED",
    purpose: "A struct's pattern constraints have different label sets: which fields they admit cannot be compared here.",
    impact: Impact::Undecided,
    position: Position::Current,
    check,
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Struct(object) = pair else {
        return Vec::new();
    };
    let labels = |s: &StructShape| -> Vec<String> {
        let mut v: Vec<String> = s.patterns.iter().map(|(r, _)| quoted(r)).collect();
        v.sort();
        v
    };
    let (old, new) = (labels(object.old), labels(object.new));
    if old == new {
        return Vec::new();
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    vec![format!(
        "pattern constraints changed from [{}] to [{}]: cannot decide which fields each admits",
        list(&old),
        list(&new)
    )]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn a_label_pattern_changed() {
        assert_eq!(
            paths(RULE.id, "#A: {[=~\"^x\"]: int}", "#A: {[=~\"^y\"]: int}"),
            [""]
        );
        assert!(paths(RULE.id, "#A: {[=~\"^x\"]: int}", "#A: {[=~\"^x\"]: string}").is_empty());
    }
}
