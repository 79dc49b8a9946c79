//! `PATTERN_ADDED`: A string must now match a regular expression (`=~`, `!~`, `strings.HasPrefix`...) it did not have to.

use super::{Check, Note, Pair, Position, Rule};
use crate::compat::CompatCode;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::PatternAdded,
    position: Position::Current,
    check: Check::Notes(check),
};

fn check(pair: &Pair<'_>) -> Vec<Note> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    let (Some(old), Some(new)) = (
        value.old.single_scalar(Kinds::STRING),
        value.new.single_scalar(Kinds::STRING),
    ) else {
        return Vec::new();
    };
    let (removed, added) = super::support_patterns(old, new);
    if !removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    // Whether strings are lost (or gained) is decided by inclusion: a new pattern the old
    // ones imply changes nothing.
    let Some(verdicts) = super::pattern_verdicts(old, new) else {
        return Vec::new();
    };
    vec![Note {
        message: format!("string constraint {} added", added.join(" & ")),
        verdicts,
        proof_only: false,
    }]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn a_regex_the_others_imply_is_no_change() {
        assert!(paths(
            RULE.code.id(),
            "#A: {a: =~\"^ab\"}",
            "#A: {a: =~\"^ab\" & =~\"^a\"}"
        )
        .is_empty());
    }

    #[test]
    fn a_regex_added() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: string}", "#A: {a: =~\"^x\"}"),
            ["a"]
        );
    }
}
