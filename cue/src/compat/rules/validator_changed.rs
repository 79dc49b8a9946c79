//! `VALIDATOR_CHANGED`: A builtin validator or a data-dependent constraint (`time.Time`, `net.IP`, `math.MultipleOf`, `!=`) was added, removed or changed: decided for `!=`, otherwise by a counterexample or a warning.

use serde_json::Value as Json;

use super::{Check, Note, Pair, Position, Rule, Verdict, Verdicts};
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::ValidatorChanged,
    position: Position::Current,
    check: Check::Notes(check),
};

fn check(pair: &Pair<'_>) -> Vec<Note> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    let (old, new) = (validators(value.old), validators(value.new));
    if old == new {
        return Vec::new();
    }
    let list = |v: &[(String, Option<&Json>)]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(" & ")
        }
    };
    let verdicts = Verdicts {
        backward: excluded_verdict(&old, &new, value.old),
        forward: excluded_verdict(&new, &old, value.new),
    };
    if verdicts.backward == Verdict::Holds && verdicts.forward == Verdict::Holds {
        return Vec::new();
    }
    let undecided = if verdicts.backward == Verdict::Unknown || verdicts.forward == Verdict::Unknown
    {
        ": whether one accepts every value the other does is left to a counterexample"
    } else {
        ""
    };
    vec![Note {
        message: format!(
            "validators changed from {} to {}{undecided}",
            list(&old),
            list(&new)
        ),
        verdicts,
        proof_only: false,
    }]
}

/// Whether the validators `to` has and `from` lacks reject a value `from_value` accepts.
/// Only `!=` is decided here: the value it excludes is, or is not, one the other version
/// accepts. Any other validator is left to the counterexample search.
fn excluded_verdict(
    from: &[(String, Option<&Json>)],
    to: &[(String, Option<&Json>)],
    from_value: &super::Alternatives<'_>,
) -> Verdict {
    let mut verdict = Verdict::Holds;
    for (text, excluded) in to {
        if from.iter().any(|(t, _)| t == text) {
            continue;
        }
        // `!=5.0` excludes `5` too: numbers are compared by value, whatever their kind.
        let Some(spellings) = excluded.map(spellings) else {
            verdict = Verdict::Unknown;
            continue;
        };
        if spellings.iter().any(|v| from_value.accepts_literal(v)) {
            return Verdict::Breaks;
        }
        if !spellings.iter().all(|v| from_value.rejects_literal(v)) {
            verdict = Verdict::Unknown;
        }
    }
    verdict
}

/// Every JSON spelling of a scalar: a number with an integral value both as an integer and as
/// a float (`5` and `5.0`), anything else as it is.
fn spellings(value: &Json) -> Vec<Json> {
    let mut out = vec![value.clone()];
    if let Some(number) = value
        .as_f64()
        .filter(|n| n.fract() == 0.0 && n.abs() < 9e15)
    {
        let integer = Json::from(number as i64);
        let float = serde_json::Number::from_f64(number).map(Json::Number);
        for spelling in [Some(integer), float].into_iter().flatten() {
            if !out.contains(&spelling) {
                out.push(spelling);
            }
        }
    }
    out
}

/// The constraints of a value no other rule compares, as sorted CUE text with the value a
/// `!=` excludes: formats, `math.MultipleOf`, `!=`, and what no keyword states (except what
/// reads other fields, which `DEPENDENT_CONSTRAINT_CHANGED` compares by its declaration).
fn validators<'s>(value: &super::Alternatives<'s>) -> Vec<(String, Option<&'s Json>)> {
    use crate::export::Keyword;
    let mut out: Vec<(String, Option<&Json>)> = value
        .unsupported
        .iter()
        .filter(|s| !s.starts_with(super::DEPENDS_ON_THE_DATA))
        .map(|s| (s.to_string(), None))
        .collect();
    for scalar in &value.scalars {
        for keyword in &scalar.keywords {
            match keyword {
                Keyword::Format(f) if !matches!(*f, "int32" | "int64" | "float" | "double") => {
                    out.push((super::keyword_text(keyword), None))
                }
                Keyword::MultipleOf(_) => out.push((super::keyword_text(keyword), None)),
                Keyword::NotEqual(v) => out.push((super::keyword_text(keyword), Some(v))),
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn a_validator_added_or_changed() {
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: string}",
                "import \"time\"\n#A: {a: time.Time}"
            ),
            ["a"]
        );
        assert_eq!(
            paths(
                RULE.code.id(),
                "import \"net\"\n#A: {a: net.IP}",
                "import \"net\"\n#A: {a: net.IPv4}"
            ),
            ["a"]
        );
    }

    #[test]
    fn a_number_excluded_by_value_whatever_its_kind() {
        assert_eq!(paths(RULE.code.id(), "#A: {a: 5}", "#A: {a: !=5.0}"), ["a"]);
        assert_eq!(
            crate::compat::rules::testing::impacts(RULE.code.id(), "#A: {a: 5}", "#A: {a: !=5.0}"),
            [crate::compat::Impact::BreaksBackward]
        );
    }

    /// A validator taking schemas is stated as a combinator in export; compatibility still
    /// compares it by its declaration.
    #[test]
    fn a_validator_taking_schemas_changed() {
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: matchN(1, [int, string])}",
                "#A: {a: matchN(1, [int])}"
            ),
            ["a"]
        );
        assert!(paths(
            RULE.code.id(),
            "#A: {a: matchN(1, [int, string])}",
            "#A: {a: matchN(1, [int, string])}"
        )
        .is_empty());
    }

    #[test]
    fn the_same_validator() {
        assert!(paths(
            RULE.code.id(),
            "import \"time\"\n#A: {a: time.Time}",
            "import \"time\"\n#A: {a?: time.Time}"
        )
        .is_empty());
    }
}
