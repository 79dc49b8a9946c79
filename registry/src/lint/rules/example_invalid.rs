//! `EXAMPLE_INVALID`: an example payload does not validate against its event's definition.

use std::collections::HashMap;

use cue::Span;

use super::Rule;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::ExampleInvalid,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in workspace.packages.iter().filter(|p| p.is_source) {
        // Examples of a package that does not compile cannot be judged; PACKAGE_ERROR says why.
        if !package.problems.is_empty() {
            continue;
        }
        let mut schemas = HashMap::new();
        for example in &package.examples {
            let declared = package
                .events
                .iter()
                .any(|event| event.event_type.as_deref() == Some(example.event_type.as_str()));
            if !declared {
                continue;
            }
            let start = Span::new(example.file, 0, 0);
            let Some(text) = &example.text else {
                findings.push(Finding::new("the example is not UTF-8").at(start));
                continue;
            };
            let expression = format!(
                "events[{}]",
                serde_json::to_string(&example.event_type).unwrap_or_default()
            );
            let schema = schemas
                .entry(example.event_type.clone())
                .or_insert_with(|| package.package.schema(Some(&expression)));
            let schema = match schema {
                Ok(schema) => schema,
                Err(diagnostics) => {
                    for diagnostic in diagnostics.iter() {
                        let finding = workspace
                            .sources
                            .import(diagnostic, package.package.sources());
                        findings.push(Finding {
                            span: Some(start),
                            ..finding
                        });
                    }
                    continue;
                }
            };
            let validation = schema.validate_json(&example.path, text);
            for error in &validation.errors {
                let mut finding = workspace.sources.import(error, &validation.sources);
                // The example is where the problem is shown (and annotated on GitHub); the
                // schema's positions follow it.
                let mut spans: Vec<Span> =
                    finding.span.into_iter().chain(finding.related).collect();
                spans.sort_by_key(|span| span.file != example.file);
                if spans.first().is_none_or(|span| span.file != example.file) {
                    spans.insert(0, start);
                }
                finding.span = spans.first().copied();
                finding.related = spans.into_iter().skip(1).collect();
                finding.help = Some(format!(
                    "{} is checked against {expression} of {}",
                    example.path, package.folder
                ));
                findings.push(finding);
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::findings;

    const EXAMPLE: &str = "sources/identity/examples/MySource%3AnewPerson/ada.json";

    #[test]
    fn each_violation_at_the_example_with_its_path() {
        let found = findings(
            RULE.code,
            &[(EXAMPLE, Some("{\n  \"first\": \"ada\",\n  \"age\": 3\n}\n"))],
        );
        assert_eq!(
            found,
            [
                "sources/identity/examples/MySource%3AnewPerson/ada.json:2:12 invalid value \"ada\" (out of bound =~\"^[A-Z].*\")",
                "sources/identity/examples/MySource%3AnewPerson/ada.json:3:3 field not allowed",
            ]
        );
    }

    #[test]
    fn a_missing_field_and_bad_json() {
        assert_eq!(
            findings(RULE.code, &[(EXAMPLE, Some("{}"))]),
            ["sources/identity/examples/MySource%3AnewPerson/ada.json:1:1 incomplete value =~\"^[A-Z].*\""]
        );
        assert_eq!(
            findings(RULE.code, &[(EXAMPLE, Some("{\"first\": "))]).len(),
            1
        );
    }

    #[test]
    fn a_valid_example_is_fine() {
        assert!(findings(RULE.code, &[]).is_empty());
    }
}
