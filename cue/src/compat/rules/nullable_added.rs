//! `NULLABLE_ADDED`: The value now accepts `null`, which the previous version rejects.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::NullableAdded,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    if value.old.any || value.new.any {
        return Vec::new();
    }
    if !value.old.accepts_null() && value.new.accepts_null() {
        vec!["null is now accepted".to_string()]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn null_added() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: string}", "#A: {a: *null | string}"),
            ["a"]
        );
    }
}
