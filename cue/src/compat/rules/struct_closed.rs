//! `STRUCT_CLOSED`: A struct that accepted any other field is now closed, so data carrying an undeclared field is rejected.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::StructClosed,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Struct(object) = pair else {
        return Vec::new();
    };
    if accepts_other_fields(object.old) && !accepts_other_fields(object.new) {
        vec!["struct was closed: data carrying undeclared fields is now rejected".to_string()]
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
    fn open_to_closed() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int, ...}", "#A: {a: int}"),
            [""]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {b: {...}}", "#A: {b: close({})}"),
            ["b"]
        );
    }
}
