//! `STRUCT_OPENED`: A closed struct now accepts other fields, which the previous version rejects.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::StructOpened,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Struct(object) = pair else {
        return Vec::new();
    };
    if !accepts_other_fields(object.old) && accepts_other_fields(object.new) {
        vec![
            "struct was opened: it accepts undeclared fields the previous version rejects"
                .to_string(),
        ]
    } else {
        Vec::new()
    }
}

/// Whether a struct accepts fields it does not declare, whatever their label.
fn accepts_other_fields(object: &crate::export::StructShape) -> bool {
    !object.closed || object.additional.is_some()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn closed_to_open() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: int, ...}"),
            [""]
        );
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: int}",
                "#A: {a: int, [string]: int}"
            ),
            [""]
        );
    }
}
