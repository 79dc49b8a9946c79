//! `REQUIRED_BECAME_OPTIONAL`: A field data had to carry may now be omitted, so data written with the current version may lack what the previous one requires.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::RequiredBecameOptional,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    if field.new.is_some() && field.old_must() && !field.new_must() {
        vec![format!(
            "field {} was required and may now be omitted: the previous version rejects data without it",
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
    fn required_made_optional_or_given_a_default() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a!: int}", "#A: {a?: int}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: *1 | int}"),
            ["a"]
        );
    }
}
