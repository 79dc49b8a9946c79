//! `DISJUNCTION_UNDECIDED`: Alternatives of a disjunction could not be paired between versions (a struct alternative no alternative of the other version accepts whole, different numbers of list variants, several constrained scalars of one kind): a counterexample decides, else a warning.

use super::SCALAR_CLASSES;
use super::{Check, Pair, Position, Rule};
use crate::compat::walk::pair_up;
use crate::compat::CompatCode;

pub(super) const RULE: Rule = Rule {
    code: CompatCode::DisjunctionUndecided,
    position: Position::Current,
    check: Check::Messages(check),
};

fn check(pair: &Pair<'_>) -> Vec<String> {
    let Pair::Value(value) = pair else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (old, new) = (value.old, value.new);
    // Struct alternatives are matched by inclusion in the walk, which reports each one left
    // over under this rule.
    if pair_up(&old.lists, &new.lists, |_| None).is_none() {
        out.push(format!(
            "{} list alternatives became {}: cannot pair them to compare",
            old.lists.len(),
            new.lists.len()
        ));
    }
    for class in SCALAR_CLASSES {
        let (o, n) = (old.scalars_of(class), new.scalars_of(class));
        if (o.len() > 1 || n.len() > 1) && o != n {
            out.push(format!(
                "several constrained {} alternatives changed: cannot compare them one by one",
                class.name()
            ));
        }
    }
    for name in old.unresolved.iter().chain(&new.unresolved) {
        out.push(format!("reference to {name} could not be followed"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::compat::rules::testing::paths;

    #[test]
    fn variants_that_cannot_be_paired() {
        assert_eq!(
            paths(
                RULE.code.id(),
                "#A: {a: {x: int} | {y: int}}",
                "#A: {a: {x: int} | {y: int} | {z: int}}"
            ),
            ["a"]
        );
        assert_eq!(
            paths(RULE.code.id(), "#A: {a: <0 | >10}", "#A: {a: <0 | >20}"),
            ["a"]
        );
    }

    #[test]
    fn variants_paired_by_position() {
        assert!(paths(
            RULE.code.id(),
            "#A: {a: {x: int} | {y: int}}",
            "#A: {a: {x: int} | {y: string}}"
        )
        .is_empty());
    }
}
