//! `REQUIRED_FIELD_REMOVED`: A field data had to carry is gone, so data written with the current version may lack what the previous one requires.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::RequiredFieldRemoved,
    position: Position::Previous,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    if field.old_must() && field.new.is_none() {
        vec![format!(
            "field {} was required and was removed: data without it is rejected by the previous version",
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
    fn removing_a_required_field() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int, b!: int}", "#A: {a: int}"),
            ["b"]
        );
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: int, b: int, ...}",
                "#A: {a: int, ...}"
            ),
            ["b"]
        );
    }

    #[test]
    fn removing_an_optional_or_defaulted_field() {
        assert!(paths(RULE.code.id(), "#A: {a: int, b?: int}", "#A: {a: int}").is_empty());
        assert!(paths(RULE.code.id(), "#A: {a: int, b: *1 | int}", "#A: {a: int}").is_empty());
    }
}
