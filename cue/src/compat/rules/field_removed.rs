//! `FIELD_REMOVED`: A field the previous version declared is gone and the current struct is closed, so data carrying it is rejected.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::FieldRemoved,
    position: Position::Previous,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    match (field.old, field.new) {
        (Some(_), None) if field.new_extra.is_never() => vec![format!(
            "field {} was removed from a closed struct: data carrying it is now rejected",
            field.name
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn a_field_removed_from_a_closed_definition() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int, b?: int}", "#A: {a: int}"),
            ["b"]
        );
    }

    #[test]
    fn an_open_struct_or_a_pattern_still_allows_it() {
        assert!(paths(
            RULE.code.id(),
            "#A: {a: int, b?: int, ...}",
            "#A: {a: int, ...}"
        )
        .is_empty());
        assert!(paths(RULE.code.id(), "#A: {b?: int}", "#A: {[string]: int}").is_empty());
    }
}
