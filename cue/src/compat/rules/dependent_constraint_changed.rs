//! `DEPENDENT_CONSTRAINT_CHANGED`: A value that reads other fields of the data (`m: >=n`) or that only the data completes (`int + int`) was declared differently, or reads something that changed: a counterexample decides, else a warning. Declared the same, it is reported only with a counterexample.

use super::{Alternatives, Check, Note, Pair, Position, Rule, Verdicts, DEPENDS_ON_THE_DATA};
use crate::compat::CompatCode;
use crate::compat::Impact;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::DependentConstraintChanged,
    position: Position::Current,
    check: Check::Notes(check),
};

fn check(pair: &Pair<'_>) -> Vec<Note> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    // A struct that depends on the data is compared field by field; its fields are values
    // of their own.
    if !(reads_data(value.old) || reads_data(value.new)) {
        return Vec::new();
    }
    let verdicts = Verdicts::of(Impact::Undecided);
    let note = match (value.old_text, value.new_text) {
        (Some(before), Some(after)) if before == after => Note {
            message: format!(
                "`{after}` reads other fields of the data or values only the data completes: written the same in both versions, but what it reads may have changed"
            ),
            verdicts,
            proof_only: true,
        },
        (Some(before), Some(after)) => Note {
            message: format!(
                "a value that reads other fields of the data or values only the data completes changed from `{before}` to `{after}`"
            ),
            verdicts,
            proof_only: false,
        },
        _ => Note {
            message: "a value that reads other fields of the data or values only the data completes may have changed".to_string(),
            verdicts,
            proof_only: false,
        },
    };
    vec![note]
}

/// Whether a value other than a struct or a list has constraints that read fields the data
/// can set, or values only the data completes.
fn reads_data(value: &Alternatives<'_>) -> bool {
    value.structs.is_empty()
        && value.lists.is_empty()
        && value
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
                RULE.code.id(),
                "#A: {n: int, m: int & >=n}",
                "#A: {n: int, m: int & >n}"
            ),
            ["m"]
        );
    }

    #[test]
    fn the_same_declaration_spelled_with_other_spaces() {
        assert!(paths(
            RULE.code.id(),
            "#A: {n: int, m: int & >=n}",
            "#A: {n: int, m:   int &\n >=n}"
        )
        .is_empty());
    }
}
