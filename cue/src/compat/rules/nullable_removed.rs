//! `NULLABLE_REMOVED`: The value no longer accepts `null`.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::NullableRemoved,
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
    if value.old.accepts_null() && !value.new.accepts_null() {
        vec!["null is no longer accepted".to_string()]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn null_dropped() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: null | string}", "#A: {a: string}"),
            ["a"]
        );
    }

    #[test]
    fn null_kept() {
        assert!(paths(
            RULE.code.id(),
            "#A: {a: null | string}",
            "#A: {a: null | =~\"x\"}"
        )
        .is_empty());
    }
}
