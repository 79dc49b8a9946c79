//! `DEPENDENT_CONSTRAINT_CHANGED`: A constraint that reads other fields of the data (`m: >=n`) was declared differently: a counterexample decides whether it breaks, else a warning.

use super::{Check, Pair, Position, Rule, DEPENDS_ON_THE_DATA};
use crate::compat::Impact;
use crate::export::{Body, Shape};

pub(super) const RULE: Rule = Rule {
    id: "DEPENDENT_CONSTRAINT_CHANGED",
    purpose: "A constraint that reads other fields of the data (`m: >=n`) was declared differently: a counterexample decides whether it breaks, else a warning.",
    impact: Impact::Undecided,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Field(field) = pair else {
        return Vec::new();
    };
    let (Some(old), Some(new)) = (field.old, field.new) else {
        return Vec::new();
    };
    // A struct that depends on the data is compared field by field; its own text holds
    // every field's.
    if !(reads_data(&old.shape) || reads_data(&new.shape)) {
        return Vec::new();
    }
    match (field.old_text, field.new_text) {
        (Some(before), Some(after)) if before != after => vec![format!(
            "field {}, which reads other fields of the data, changed from `{before}` to `{after}`",
            field.name
        )],
        _ => Vec::new(),
    }
}

/// Whether a value other than a struct has constraints that read fields the data can set.
fn reads_data(shape: &Shape) -> bool {
    !matches!(shape.body, Body::Struct(_))
        && shape
            .unsupported
            .iter()
            .any(|note| note.starts_with(DEPENDS_ON_THE_DATA))
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn a_bound_on_another_field_changed() {
        assert_eq!(
            paths(
                RULE.id,
                "#A: {n: int, m: int & >=n}",
                "#A: {n: int, m: int & >n}"
            ),
            ["m"]
        );
    }

    #[test]
    fn the_same_declaration_spelled_with_other_spaces() {
        assert!(paths(
            RULE.id,
            "#A: {n: int, m: int & >=n}",
            "#A: {n: int, m:   int &\n >=n}"
        )
        .is_empty());
    }
}
