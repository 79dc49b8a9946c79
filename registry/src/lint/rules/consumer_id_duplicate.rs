//! `CONSUMER_ID_DUPLICATE`: two consumer files declare the same `consumer.id`.

use std::collections::HashMap;

use cue::Span;

use super::Rule;
use crate::lint::{Finding, Level, Workspace};

pub(super) const RULE: Rule = Rule {
    id: "CONSUMER_ID_DUPLICATE",
    purpose: "Two files of `consumers/` declare the same `consumer.id`, so the registry could not tell which service reads what.",
    default: Level::Error,
    configurable: false,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut first: HashMap<&str, (Span, &str)> = HashMap::new();
    let mut findings = Vec::new();
    for consumer_file in &workspace.consumers {
        let consumer = &consumer_file.consumer;
        let (Some(id), Some(span)) = (&consumer.id, consumer.id_span) else {
            continue;
        };
        let span = Span::new(consumer_file.file, span.start, span.end);
        match first.get(id.as_str()) {
            None => {
                first.insert(id, (span, &consumer.path));
            }
            Some((first_span, first_path)) => findings.push(
                Finding::new(format!(
                    "consumer id {id:?} is already declared by {first_path}"
                ))
                .at(span)
                .with_path("consumer.id")
                .with_label(*first_span, "first declared here"),
            ),
        }
    }
    findings
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
                RULE.id,
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
            RULE.id,
            &[
                ("consumers/billing.cue", Some(CONSUMER)),
                ("consumers/invoicing.cue", Some(&other))
            ]
        )
        .is_empty());
    }
}
