//! `VALIDATOR_CHANGED`: A builtin validator or a data-dependent constraint (`time.Time`, `net.IP`, `math.MultipleOf`, `!=`) was added, removed or changed: subsumption cannot decide its effect.

use super::{Pair, Position, Rule};
use crate::compat::Impact;

pub(super) const RULE: Rule = Rule {
    id: "VALIDATOR_CHANGED",
    purpose: "A builtin validator or a data-dependent constraint (`time.Time`, `net.IP`, `math.MultipleOf`, `!=`) was added, removed or changed: subsumption cannot decide its effect.",
    impact: Impact::Undecided,
    position: Position::Current,
    check,
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    let (old, new) = (validators(value.old), validators(value.new));
    if old == new {
        return Vec::new();
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(" & ")
        }
    };
    vec![format!(
        "validators changed from {} to {}: cannot decide whether one accepts every value the other does",
        list(&old),
        list(&new)
    )]
}

/// The constraints of a value no other rule compares, as sorted CUE text: formats,
/// `math.MultipleOf`, `!=`, and what no keyword states.
fn validators(value: &super::Alternatives<'_>) -> Vec<String> {
    use crate::export::Keyword;
    let mut out: Vec<String> = value.unsupported.iter().map(|s| s.to_string()).collect();
    for scalar in &value.scalars {
        for keyword in &scalar.keywords {
            let counts = match keyword {
                Keyword::Format(f) => !matches!(*f, "int32" | "int64" | "float" | "double"),
                Keyword::MultipleOf(_) | Keyword::NotEqual(_) => true,
                _ => false,
            };
            if counts {
                out.push(super::keyword_text(keyword));
            }
        }
    }
    out.sort();
    out.dedup();
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
                RULE.id,
                "#A: {a: string}",
                "import \"time\"\n#A: {a: time.Time}"
            ),
            ["a"]
        );
        assert_eq!(
            paths(
                RULE.id,
                "import \"net\"\n#A: {a: net.IP}",
                "import \"net\"\n#A: {a: net.IPv4}"
            ),
            ["a"]
        );
    }

    #[test]
    fn the_same_validator() {
        assert!(paths(
            RULE.id,
            "import \"time\"\n#A: {a: time.Time}",
            "import \"time\"\n#A: {a?: time.Time}"
        )
        .is_empty());
    }
}
