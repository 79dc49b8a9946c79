//! `DEFAULT_CHANGED`: A default was added, removed or changed: every value is still judged alike, but consumers that fill in defaults read absent fields differently.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::DefaultChanged,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    match (value.old.default, value.new.default) {
        (Some(o), Some(n)) if o != n => vec![format!("default changed from {o} to {n}")],
        (Some(o), None) => vec![format!("default {o} removed")],
        (None, Some(n)) => vec![format!("default {n} added")],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn defaults_changed() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: *1 | int}", "#A: {a: *2 | int}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: *2 | int}"),
            ["a"]
        );
        assert!(paths(RULE.code.id(), "#A: {a: *1 | int}", "#A: {a?: *1 | int}").is_empty());
    }
}
