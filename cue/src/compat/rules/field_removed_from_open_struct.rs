//! `FIELD_REMOVED_FROM_OPEN_STRUCT`: An optional field is gone from an open struct, which now accepts any value there where the previous version constrained it.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::FieldRemovedFromOpenStruct,
    position: Position::Previous,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    match (field.old, field.new) {
        (Some(old), None)
            if field.new_extra.is_any() && !field.old_must() && !is_any(&old.shape) =>
        {
            vec![format!(
                "field {} was removed from an open struct: it now accepts any value there, which the previous version rejects",
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
    fn removing_an_optional_field_from_an_open_struct() {
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: int, b?: int, ...}",
                "#A: {a: int, ...}"
            ),
            ["b"]
        );
    }

    #[test]
    fn not_from_a_closed_struct_nor_an_unconstrained_field() {
        assert!(paths(RULE.code.id(), "#A: {a: int, b?: int}", "#A: {a: int}").is_empty());
        assert!(paths(
            RULE.code.id(),
            "#A: {a: int, b?: _, ...}",
            "#A: {a: int, ...}"
        )
        .is_empty());
    }
}
