//! `CONSUMER_INVALID`: a file of `consumers/` does not compile or does not match the consumer
//! contract (`consumer: {id, owner, description?}`, `reads: [source]: [type]: {version}`).

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::ConsumerInvalid,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    for consumer_file in &workspace.consumers {
        let consumer = &consumer_file.consumer;
        for diagnostic in &consumer.diagnostics {
            let mut finding = workspace.sources.import(diagnostic, &consumer.files);
            if finding.span.is_none() {
                finding.span = Some(cue::Span::new(consumer_file.file, 0, 0));
            }
            findings.push(finding);
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{findings, positions, CONSUMER};

    #[test]
    fn a_consumer_that_does_not_compile() {
        let text = CONSUMER.replace("owner: \"@acme/billing\"", "owner: ");
        assert!(!positions(RULE.code, &[("consumers/billing.cue", Some(&text))]).is_empty());
        let text = CONSUMER.replace("\"@acme/billing\"", "\"@acme/billing\" & 3");
        assert_eq!(
            findings(RULE.code, &[("consumers/billing.cue", Some(&text))]),
            ["consumers/billing.cue:5:27 conflicting values \"@acme/billing\" and 3 (mismatched types string and int)"]
        );
    }

    #[test]
    fn a_consumer_that_breaks_the_shape() {
        let text = CONSUMER.replace("version: 1", "version: \"v1\"") + "team: \"x\"\n";
        assert_eq!(
            findings(RULE.code, &[("consumers/billing.cue", Some(&text))]),
            [
                "consumers/billing.cue:7:51 version \"v1\" must be a version number (1, 2, ...) or \"latest\"",
                "consumers/billing.cue:8:1 `team` is not part of the consumer contract",
            ]
        );
        let no_reads = CONSUMER.replace("reads:", "_reads:");
        assert_eq!(
            positions(RULE.code, &[("consumers/billing.cue", Some(&no_reads))]),
            ["consumers/billing.cue:3:1"]
        );
    }

    #[test]
    fn a_clean_consumer() {
        assert!(positions(RULE.code, &[("consumers/billing.cue", Some(CONSUMER))]).is_empty());
    }
}
