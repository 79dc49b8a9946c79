//! `PATTERN_CHANGED`: A string's regular expression was replaced by another: which strings each accepts that the other rejects is decided by automata (RE2 has no back-references).

use super::{Check, Note, Pair, Position, Rule, Verdict};
use crate::compat::CompatCode;
use crate::value::Kinds;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::PatternChanged,
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
    if removed.is_empty() || added.is_empty() {
        return Vec::new();
    }
    let Some(verdicts) = super::pattern_verdicts(old, new) else {
        return Vec::new();
    };
    let undecided = if verdicts.backward == Verdict::Unknown || verdicts.forward == Verdict::Unknown
    {
        ": whether one accepts every string the other does was not decided"
    } else {
        ""
    };
    vec![Note {
        message: format!(
            "string constraint changed from {} to {}{undecided}",
            removed.join(" & "),
            added.join(" & ")
        ),
        verdicts,
        proof_only: false,
    }]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::{impacts, paths};
    use crate::compat::Impact;

    #[test]
    fn the_directions_are_decided_by_automata() {
        let (narrow, wide) = ("#A: {a: =~\"^[a-c]+$\"}", "#A: {a: =~\"^[a-z]+$\"}");
        assert_eq!(
            impacts(RULE.code.id(), wide, narrow),
            [Impact::BreaksBackward]
        );
        assert_eq!(
            impacts(RULE.code.id(), narrow, wide),
            [Impact::BreaksForward]
        );
        assert_eq!(
            impacts(RULE.code.id(), "#A: {a: =~\"^a\"}", "#A: {a: =~\"^b\"}"),
            [Impact::BreaksBoth]
        );
        // Go's `\d` is ASCII: the same language spelled two ways.
        assert!(paths(
            RULE.code.id(),
            "#A: {a: =~\"^[0-9]+$\"}",
            "#A: {a: =~#\"^\\d+$\"#}"
        )
        .is_empty());
    }

    #[test]
    fn two_different_regexes() {
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: =~\"^x\"}", "#A: {a: =~\"^[xy]\"}"),
            ["a"]
        );
        assert!(paths(RULE.code.id(), "#A: {a: =~\"^x\"}", "#A: {a: =~\"^x\"}").is_empty());
    }
}
