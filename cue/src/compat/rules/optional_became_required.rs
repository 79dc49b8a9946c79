//! `OPTIONAL_BECAME_REQUIRED`: A field data could omit must now be present (made required, or its default removed).

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::OptionalBecameRequired,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    if field.old.is_some() && !field.old_must() && field.new_must() {
        vec![format!(
            "field {} could be omitted and is now required: data without it is rejected",
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
    fn optional_made_required_or_default_dropped() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a?: int}", "#A: {a!: int}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a?: int}", "#A: {a: int}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: *1 | int}", "#A: {a: int}"),
            ["a"]
        );
    }

    #[test]
    fn required_spellings_are_the_same_to_data() {
        assert!(paths(RULE.code.id(), "#A: {a: int}", "#A: {a!: int}").is_empty());
    }
}
