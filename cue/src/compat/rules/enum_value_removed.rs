//! `ENUM_VALUE_REMOVED`: A value the previous version listed (an enum member, a constant) is no longer accepted.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::EnumValueRemoved,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    value
        .old
        .literals
        .iter()
        .filter(|v| !v.is_null() && !value.new.accepts_literal(v))
        .map(|v| format!("value {v} is no longer accepted"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn enum_reduced() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: \"x\" | \"y\"}", "#A: {a: \"x\"}"),
            ["a"]
        );
        assert_eq!(paths(RULE.code.id(), "#A: {v: 1}", "#A: {v: 2}"), ["v"]);
    }

    #[test]
    fn a_type_that_accepts_the_value_keeps_it() {
        assert!(paths(RULE.code.id(), "#A: {a: \"x\" | \"y\"}", "#A: {a: string}").is_empty());
        assert!(paths(RULE.code.id(), "#A: {a: 1 | 2}", "#A: {a: int & <3}").is_empty());
    }
}
