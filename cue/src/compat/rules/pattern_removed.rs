//! `PATTERN_REMOVED`: A string no longer has to match a regular expression, so it accepts strings the previous version rejects.

use super::{Check, Note, Pair, Position, Rule};
use crate::compat::CompatCode;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::PatternRemoved,
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
    if removed.is_empty() || !added.is_empty() {
        return Vec::new();
    }
    // Whether strings are lost (or gained) is decided by inclusion: a new pattern the old
    // ones imply changes nothing.
    let Some(verdicts) = super::pattern_verdicts(old, new) else {
        return Vec::new();
    };
    vec![Note {
        message: format!("string constraint {} removed", removed.join(" & ")),
        verdicts,
        proof_only: false,
    }]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn a_regex_removed() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: =~\"^x\"}", "#A: {a: string}"),
            ["a"]
        );
    }
}
