//! `REQUIRED_FIELD_ADDED`: A new field data must carry (required, or regular without a default), so data written with the previous version lacks it.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::RequiredFieldAdded,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    if field.old.is_none() && field.new_must() {
        vec![format!(
            "field {} was added as required: data written without it is rejected",
            field.name
        )]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn adding_a_required_or_regular_field() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int, b!: int}"),
            ["b"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int, b: string}"),
            ["b"]
        );
    }

    #[test]
    fn adding_an_optional_or_defaulted_field() {
        assert!(paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int, b?: int}").is_empty());
        assert!(paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int, b: *1 | int}").is_empty());
    }
}
