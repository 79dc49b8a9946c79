//! `FIELD_TYPE_CHANGED`: The value's type changed both ways (`int` to `string`): each version rejects values of the other's type.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::FieldTypeChanged,
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
    if removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "type changed from {} to {}",
        type_name(value.old),
        type_name(value.new)
    )]
}

/// The kinds of a value for messages: its enumerated values when it has no type.
fn type_name(value: &super::Alternatives<'_>) -> String {
    let kinds = value.type_kinds();
    if kinds.is_empty() {
        let values: Vec<String> = value.literals.iter().map(|v| v.to_string()).collect();
        return values.join(" | ");
    }
    kinds.name()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn int_to_string() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: string}"),
            ["a"]
        );
    }

    #[test]
    fn widening_or_narrowing_alone_is_another_rule() {
        assert!(paths(RULE.code.id(), "#A: {a: int}", "#A: {a: number}").is_empty());
        assert!(paths(RULE.code.id(), "#A: {a: int | string}", "#A: {a: int}").is_empty());
    }
}
