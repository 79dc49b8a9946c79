//! `TYPE_WIDENED`: The value accepts more kinds (`int` to `number`, an enum to `string`), which the previous version rejects.

use super::{Check, Pair, Position, Rule};
use crate::compat::CompatCode;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::TypeWidened,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    let (old, new) = (value.old.type_kinds(), value.new.type_kinds());
    let removed = Kinds(old.0 & !new.0);
    let added = Kinds(new.0 & !old.0);
    if added.is_empty() || !removed.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "type widened from {} to {}: {} values are new",
        super::type_name(value.old),
        super::type_name(value.new),
        added.name()
    )]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn more_kinds() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: int}", "#A: {a: number}"),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: \"x\"}", "#A: {a: string}"),
            ["a"]
        );
    }
}
