//! `CONSUMER_ID_DUPLICATE`: two consumer files declare the same `consumer.id`.

use cue::Span;

use super::{duplicates, Rule};
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::ConsumerIdDuplicate,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let declarations = workspace.consumers.iter().filter_map(|consumer_file| {
        let consumer = &consumer_file.consumer;
        let span = consumer.id_span?;
        Some((
            consumer.id.clone()?,
            Span::new(consumer_file.file, span.start, span.end),
            consumer.path.clone(),
        ))
    });
    duplicates(declarations, "consumer id", "consumer.id")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{findings, CONSUMER};

    #[test]
    fn the_second_declaration_is_reported() {
        let other = CONSUMER.replace("package billing", "package invoicing");
        assert_eq!(
            findings(
                RULE.code,
                &[
                    ("consumers/billing.cue", Some(CONSUMER)),
                    ("consumers/invoicing.cue", Some(&other))
                ]
            ),
            ["consumers/invoicing.cue:4:15 consumer id \"billing\" is already declared by consumers/billing.cue"]
        );
    }

    #[test]
    fn distinct_ids_are_fine() {
        let other = CONSUMER
            .replace("package billing", "package invoicing")
            .replace("id:          \"billing\"", "id:          \"invoicing\"");
        assert!(findings(
            RULE.code,
            &[
                ("consumers/billing.cue", Some(CONSUMER)),
                ("consumers/invoicing.cue", Some(&other))
            ]
        )
        .is_empty());
    }
}
