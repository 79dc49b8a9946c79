//! `ENUM_VALUE_ADDED`: A value the current version lists (an enum member, a constant) is one the previous version rejects.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::EnumValueAdded,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    value
        .new
        .literals
        .iter()
        .filter(|v| !v.is_null() && !value.old.accepts_literal(v))
        .map(|v| format!("value {v} is new: the previous version rejects it"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn enum_extended() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: \"x\"}", "#A: {a: \"x\" | \"y\"}"),
            ["a"]
        );
    }

    #[test]
    fn a_value_the_previous_type_accepted() {
        assert!(paths(RULE.code.id(), "#A: {a: string}", "#A: {a: \"x\"}").is_empty());
    }
}
