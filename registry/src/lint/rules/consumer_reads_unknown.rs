//! `CONSUMER_READS_UNKNOWN`: a consumer reads a source, an event type or a version that does
//! not exist on the branch.

use std::collections::HashMap;

use cue::Span;

use super::{source_string, Rule};
use crate::lint::{Finding, Workspace};
use crate::LintCode;
use crate::Pin;

pub(super) const RULE: Rule = Rule {
    code: LintCode::ConsumerReadsUnknown,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    // The event types of every source, by source id, as written in the work tree.
    let mut types: HashMap<String, Vec<&str>> = HashMap::new();
    for package in &workspace.packages {
        if let Some((id, _)) = source_string(package, "id") {
            types.entry(id).or_default().extend(
                package
                    .events
                    .iter()
                    .filter_map(|e| e.event_type.as_deref()),
            );
        }
    }
    let versions = workspace.options.versions.as_ref();
    let mut findings = Vec::new();
    for consumer_file in &workspace.consumers {
        let consumer = &consumer_file.consumer;
        let at = |span: Span| Span::new(consumer_file.file, span.start, span.end);
        for read in &consumer.reads {
            let path = format!("reads.{:?}.{:?}", read.source, read.event_type);
            let Some(declared) = types.get(&read.source) else {
                let mut known: Vec<&String> = types.keys().collect();
                known.sort();
                let known: Vec<String> = known.iter().map(|id| format!("{id:?}")).collect();
                findings.push(
                    Finding::new(format!("no source declares the id {:?}", read.source))
                        .at(at(read.source_span))
                        .with_path(format!("reads.{:?}", read.source))
                        .with_help(format!("the sources are {}", known.join(", "))),
                );
                continue;
            };
            if !declared.contains(&read.event_type.as_str()) {
                findings.push(
                    Finding::new(format!(
                        "source {:?} declares no event type {:?}",
                        read.source, read.event_type
                    ))
                    .at(at(read.type_span))
                    .with_path(path)
                    .with_help(format!("its event types are {}", declared.join(", "))),
                );
                continue;
            }
            let (Pin::Version(number), Some(versions)) = (read.version, versions) else {
                continue;
            };
            let latest = versions
                .latest
                .get(&(read.source.clone(), read.event_type.clone()))
                .copied();
            let exists = match latest {
                Some(latest) => number <= latest,
                // New in the work tree: merging creates version 1.
                None => number == 1,
            };
            if !exists {
                let has = match latest {
                    Some(1) => "version 1 only".to_string(),
                    Some(latest) => format!("versions 1 to {latest}"),
                    None => "no version yet (merging creates version 1)".to_string(),
                };
                findings.push(
                    Finding::new(format!(
                        "{:?} has no version {number} on {}: it has {has}",
                        read.event_type, versions.branch
                    ))
                    .at(at(read.span))
                    .with_path(format!("{path}.version"))
                    .with_help("pin a version the branch has, or \"latest\""),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{findings, repo, CONSUMER};
    use crate::lint::{lint_with, BranchVersions, LintOptions};

    fn consumer(source: &str, event_type: &str, version: &str) -> String {
        CONSUMER
            .replace(
                "\"MySource\": \"MySource:newPerson\"",
                &format!("{source:?}: {event_type:?}"),
            )
            .replace("version: 1", &format!("version: {version}"))
    }

    #[test]
    fn an_unknown_source_and_an_unknown_type() {
        let text = consumer("OtherSource", "MySource:newPerson", "1");
        assert_eq!(
            findings(RULE.code, &[("consumers/billing.cue", Some(&text))]),
            ["consumers/billing.cue:7:8 no source declares the id \"OtherSource\""]
        );
        let text = consumer("MySource", "MySource:gone", "\"latest\"");
        assert_eq!(
            findings(RULE.code, &[("consumers/billing.cue", Some(&text))]),
            ["consumers/billing.cue:7:20 source \"MySource\" declares no event type \"MySource:gone\""]
        );
    }

    #[test]
    fn a_version_the_branch_does_not_have() {
        let lint = |version: &str, latest: Option<u32>| -> Vec<String> {
            let text = consumer("MySource", "MySource:newPerson", version);
            let mut versions = BranchVersions {
                branch: "main".into(),
                ..Default::default()
            };
            if let Some(latest) = latest {
                versions
                    .latest
                    .insert(("MySource".into(), "MySource:newPerson".into()), latest);
            }
            let options = LintOptions {
                versions: Some(versions),
            };
            let report = lint_with(&repo(&[("consumers/billing.cue", Some(&text))]), &options)
                .expect("lint");
            report
                .findings
                .iter()
                .filter(|f| f.rule == Some(RULE.code))
                .map(|f| {
                    format!(
                        "{} {}",
                        report.sources.describe(f.span.expect("span")),
                        f.message
                    )
                })
                .collect()
        };
        assert_eq!(
            lint("3", Some(2)),
            ["consumers/billing.cue:7:51 \"MySource:newPerson\" has no version 3 on main: it has versions 1 to 2"]
        );
        assert_eq!(
            lint("2", None),
            ["consumers/billing.cue:7:51 \"MySource:newPerson\" has no version 2 on main: it has no version yet (merging creates version 1)"]
        );
        assert!(lint("2", Some(2)).is_empty());
        assert!(lint("1", None).is_empty());
        assert!(lint("\"latest\"", None).is_empty());
    }
}
