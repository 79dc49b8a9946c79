//! `CODEOWNERS_OWNER`: a source's files are not owned, in `CODEOWNERS`, by its `source.owner`,
//! or a consumer file by its `consumer.owner`.

use super::{source_string, Rule};
use crate::lint::codeowners::CodeOwners;
use crate::lint::{Finding, Workspace};
use crate::LintCode;

pub(super) const RULE: Rule = Rule {
    code: LintCode::CodeownersOwner,
    check,
};

fn check(workspace: &Workspace) -> Vec<Finding> {
    let Some(codeowners) = &workspace.codeowners else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    for package in &workspace.packages {
        let Some((owner, owner_span)) = source_string(package, "owner") else {
            continue;
        };
        // The first of the source's files whose owners leave `source.owner` out, if any.
        let owned = Owned {
            field: "source.owner",
            owner: &owner,
            owner_span,
            rule_to_add: format!("/{}/ {owner}", package.folder),
        };
        let finding = package.files.iter().find_map(|(file, _)| {
            let path = workspace.sources.map.get(*file)?.name.clone();
            owned.finding(codeowners, &path)
        });
        findings.extend(finding);
    }
    for consumer_file in &workspace.consumers {
        let consumer = &consumer_file.consumer;
        let (Some(owner), Some(span)) = (&consumer.owner, consumer.owner_span) else {
            continue;
        };
        let owned = Owned {
            field: "consumer.owner",
            owner,
            owner_span: cue::Span::new(consumer_file.file, span.start, span.end),
            rule_to_add: format!("/{} {owner}", consumer.path),
        };
        findings.extend(owned.finding(codeowners, &consumer.path));
    }
    findings
}

/// Who should own a file, and where that is declared.
struct Owned<'o> {
    /// `source.owner` or `consumer.owner`.
    field: &'static str,
    owner: &'o str,
    owner_span: cue::Span,
    /// The `CODEOWNERS` line that would give the file to its owner.
    rule_to_add: String,
}

impl Owned<'_> {
    /// The finding when the rule deciding who owns `path` leaves the owner out.
    fn finding(&self, codeowners: &CodeOwners, path: &str) -> Option<Finding> {
        let (field, owner) = (self.field, self.owner);
        match codeowners.owner_rule(path) {
            None => Some(
                Finding::new(format!(
                    "{path} is not covered by any rule of {}: its {field} {owner:?} does not own it",
                    codeowners.path
                ))
                .at(self.owner_span)
                .with_path(field)
                .with_help(format!("add `{}` to {}", self.rule_to_add, codeowners.path)),
            ),
            Some(rule) if rule.owners.iter().any(|o| o.eq_ignore_ascii_case(owner)) => None,
            Some(rule) => {
                let listed = if rule.owners.is_empty() {
                    "no owner".to_string()
                } else {
                    rule.owners.join(" ")
                };
                Some(
                    Finding::new(format!(
                        "{path} is owned by {listed} (the last matching rule, {:?}), not by its {field} {owner:?}",
                        rule.pattern
                    ))
                    .at(rule.span)
                    .with_label(self.owner_span, format!("its {field}"))
                    .with_help(format!(
                        "add {owner} to this rule, or change {field} in {path} to one of its owners"
                    )),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::lint::rules::testing::{findings, positions};

    const OWNERS: &str =
        "*                   @acme/data-governance\n/sources/identity/  @acme/identity\n";

    #[test]
    fn an_owner_the_matching_rule_does_not_list() {
        // The rule for the directory names another team: the finding is on that rule.
        let text = "*  @acme/data-governance\n/sources/identity/   @acme/payments @acme/x\n";
        assert_eq!(
            findings(RULE.code, &[("CODEOWNERS", Some(text))]),
            ["CODEOWNERS:2:1 sources/identity/identity.cue is owned by @acme/payments @acme/x (the last matching rule, \"/sources/identity/\"), not by its source.owner \"@acme/identity\""]
        );
        // A later rule wins over an earlier one that listed the owner.
        let text = format!("{OWNERS}sources/**/*.cue @acme/data-governance\n");
        assert_eq!(
            positions(RULE.code, &[(".github/CODEOWNERS", Some(&text))]),
            [".github/CODEOWNERS:3:1"]
        );
    }

    #[test]
    fn a_source_no_rule_covers() {
        let text = "/sources/orders/ @acme/identity\n";
        assert_eq!(
            positions(RULE.code, &[("docs/CODEOWNERS", Some(text))]),
            ["sources/identity/identity.cue:5:9"]
        );
    }

    #[test]
    fn owners_that_agree_and_the_file_github_reads() {
        assert!(positions(RULE.code, &[("CODEOWNERS", Some(OWNERS))]).is_empty());
        // Case does not matter to GitHub.
        let text = OWNERS.replace("@acme/identity", "@ACME/Identity");
        assert!(positions(RULE.code, &[("CODEOWNERS", Some(&text))]).is_empty());
        // `.github/CODEOWNERS` comes first: the broken root file is not read.
        let broken = "* @someone/else\n";
        assert!(positions(
            RULE.code,
            &[
                (".github/CODEOWNERS", Some(OWNERS)),
                ("CODEOWNERS", Some(broken))
            ]
        )
        .is_empty());
        // Without a CODEOWNERS file there is nothing to compare with.
        assert!(positions(RULE.code, &[]).is_empty());
    }

    #[test]
    fn a_consumer_file_its_owner_does_not_own() {
        use crate::lint::rules::testing::CONSUMER;
        let owners = format!("{OWNERS}/consumers/billing.cue @acme/billing\n");
        let consumer = ("consumers/billing.cue", Some(CONSUMER));
        assert!(positions(RULE.code, &[("CODEOWNERS", Some(&owners)), consumer]).is_empty());
        // Owned by governance only: the finding is on the rule that decides.
        assert_eq!(
            findings(RULE.code, &[("CODEOWNERS", Some(OWNERS)), consumer]),
            ["CODEOWNERS:1:1 consumers/billing.cue is owned by @acme/data-governance (the last matching rule, \"*\"), not by its consumer.owner \"@acme/billing\""]
        );
        // No rule at all: the finding is on consumer.owner.
        let text = "/sources/identity/  @acme/identity\n";
        assert_eq!(
            positions(RULE.code, &[("CODEOWNERS", Some(text)), consumer]),
            ["consumers/billing.cue:5:9"]
        );
    }

    #[test]
    fn the_template_repository_passes() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas-repo-template");
        let mut tree = crate::files::RepoFiles::read_directory(&root).expect("the template");
        let ids = |tree: &crate::files::RepoFiles| -> Vec<String> {
            let report = crate::lint::lint(tree).expect("a CUE module");
            report
                .findings
                .iter()
                .filter(|finding| finding.rule == Some(RULE.code))
                .map(|finding| report.sources.describe(finding.span.expect("a position")))
                .collect()
        };
        assert!(ids(&tree).is_empty());
        // The template's file is the one read: swapping two teams breaks two sources.
        let text = tree.text("CODEOWNERS").expect("CODEOWNERS").to_string();
        let swapped = text
            .replace("@acme/orders", "@acme/tmp")
            .replace("@acme/payments", "@acme/orders")
            .replace("@acme/tmp", "@acme/payments");
        tree.files.insert("CODEOWNERS".into(), swapped.into_bytes());
        assert_eq!(ids(&tree).len(), 2);
    }
}
