//! `FIELD_ADDED`: A new field in a struct the previous version closed, so the previous version rejects data carrying it.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::FieldAdded,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    match (field.old, field.new) {
        (None, Some(_)) if field.old_extra.is_never() => vec![format!(
            "field {} was added to a struct the previous version closed: it rejects data carrying the field",
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
    fn adding_any_field_to_a_closed_definition() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int, b?: int}"),
            ["b"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int, b: int}"),
            ["b"]
        );
    }

    #[test]
    fn not_to_an_open_struct() {
        assert!(paths(
            RULE.code.id(),
            "#A: {a: int, ...}",
            "#A: {a: int, b?: int, ...}"
        )
        .is_empty());
    }
}
