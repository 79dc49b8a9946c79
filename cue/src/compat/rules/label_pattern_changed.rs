//! `LABEL_PATTERN_CHANGED`: A struct's pattern constraints have different label sets: which fields they admit are compared by counterexample (a pattern added to an open struct only narrows it).

use super::quoted;
use super::{Check, Note, Pair, Position, Rule, Verdict, Verdicts};
use crate::compat::CompatCode;
use crate::export::StructShape;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::LabelPatternChanged,
    position: Position::Current,
    check: Check::Notes(check),
};

fn check(pair: &Pair<'_>) -> Vec<Note> {
    let Pair::Struct(object) = pair else {
        return Vec::new();
    };
    let labels = |s: &StructShape| -> Vec<String> {
        let mut v: Vec<String> = s.patterns.iter().map(|(r, _)| quoted(r)).collect();
        v.sort();
        v
    };
    let (old, new) = (labels(object.old), labels(object.new));
    if old == new {
        return Vec::new();
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let verdicts = Verdicts {
        backward: only_added(object.new, object.old),
        forward: only_added(object.old, object.new),
    };
    vec![Note {
        message: format!(
            "pattern constraints changed from [{}] to [{}]",
            list(&old),
            list(&new)
        ),
        verdicts,
        proof_only: false,
    }]
}

/// Whether `narrower` accepts nothing `wider` rejects as far as labels go: `wider` takes any
/// other field with any value, and every pattern constraint it has, `narrower` has too (the
/// walk compares their values). Otherwise a counterexample decides.
fn only_added(wider: &StructShape, narrower: &StructShape) -> Verdict {
    let open = !wider.closed && wider.additional.is_none();
    let kept = wider
        .patterns
        .iter()
        .all(|(regex, _)| narrower.patterns.iter().any(|(r, _)| r == regex));
    if open && kept {
        Verdict::Holds
    } else {
        Verdict::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn a_label_pattern_changed() {
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {[=~\"^x\"]: int}",
                "#A: {[=~\"^y\"]: int}"
            ),
            [""]
        );
        assert!(paths(
            RULE.code.id(),
            "#A: {[=~\"^x\"]: int}",
            "#A: {[=~\"^x\"]: string}"
        )
        .is_empty());
    }
}
