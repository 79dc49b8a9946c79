//! `TYPE_WIDENED`: The value accepts more kinds (`int` to `number`, an enum to `string`), which the previous version rejects.

use super::{Pair, Position, Rule};
use crate::compat::Impact;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    id: "TYPE_WIDENED",
    purpose: "The value accepts more kinds (`int` to `number`, an enum to `string`), which the previous version rejects.",
    impact: Impact::BreaksForward,
    position: Position::Current,
    check,
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
        type_name(value.old),
        type_name(value.new),
        added.name()
    )]
}

/// The kinds of a value for messages: its enumerated values when it has no type.
fn type_name(value: &super::Alternatives<'_>) -> String {
    let kinds = value.type_kinds();
    if kinds.is_empty() {
        let values: Vec<String> = value.literals.iter().map(|v| v.to_string()).collect();
        return values.join(" | ");
    }
    kinds.name()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn more_kinds() {
        assert_eq!(paths(RULE.id, "#A: {a: int}", "#A: {a: number}"), ["a"]);
        assert_eq!(paths(RULE.id, "#A: {a: \"x\"}", "#A: {a: string}"), ["a"]);
    }
}
