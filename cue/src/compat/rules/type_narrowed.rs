//! `TYPE_NARROWED`: The value accepts fewer kinds (`number` to `int`, `string` to an enum, `_` to `string`).

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::TypeNarrowed,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    let (old, new) = (value.old.type_kinds(), value.new.type_kinds());
    let removed = Kinds(old.0 & !new.0);
    let added = Kinds(new.0 & !old.0);
    if removed.is_empty() || !added.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "type narrowed from {} to {}: {} values are rejected",
        super::type_name(value.old),
        super::type_name(value.new),
        removed.name()
    )]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn fewer_kinds() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: number}", "#A: {a: int}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: string}", "#A: {a: \"x\" | \"y\"}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: _}", "#A: {a: string}"),
            ["a"]
        );
    }

    #[test]
    fn same_or_more_kinds() {
        assert!(paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int & >0}").is_empty());
        assert!(paths(RULE.code.id(), "#A: {a: int}", "#A: {a: number}").is_empty());
    }
}
