//! `FIELD_ADDED_TO_OPEN_STRUCT`: A new optional field in a struct the previous version left open: previous data may carry that field with any value, which the current version constrains.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::FieldAddedToOpenStruct,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    match (field.old, field.new) {
        (None, Some(new))
            if field.old_extra.is_any() && !field.new_must() && !is_any(&new.shape) =>
        {
            vec![format!(
                "field {} was added to an open struct: previous data may carry it with a value the current version rejects",
                field.name
            )]
        }
        _ => Vec::new(),
    }
}

/// Whether a field's value accepts anything (`_` with nothing it cannot state).
fn is_any(shape: &crate::export::Shape) -> bool {
    matches!(shape.body, crate::export::Body::Any)
        && shape.unsupported.is_empty()
        && shape.validators.is_empty()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn adding_a_constrained_optional_field_to_an_open_struct() {
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: int, ...}",
                "#A: {a: int, b?: int, ...}"
            ),
            ["b"]
        );
        // A field constrained only by a validator taking schemas is constrained.
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: int, ...}",
                "#A: {a: int, b?: matchN(0, [string]), ...}"
            ),
            ["b"]
        );
    }

    #[test]
    fn closed_structs_required_fields_and_unconstrained_fields_are_other_rules() {
        assert!(paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int, b?: int}").is_empty());
        assert!(paths(
            RULE.code.id(),
            "#A: {a: int, ...}",
            "#A: {a: int, b!: int, ...}"
        )
        .is_empty());
        assert!(paths(
            RULE.code.id(),
            "#A: {a: int, ...}",
            "#A: {a: int, b?: _, ...}"
        )
        .is_empty());
    }
}
