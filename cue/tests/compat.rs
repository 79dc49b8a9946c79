//! The compatibility fixtures: every folder of `tests/compat/` holds two (or three) versions of
//! a package declaring `#Event` (`older/`, optional, then `previous/` and `current/`), an
//! `expect` file with the findings of `cue::compat::check` in each of the seven modes, one
//! `MODE: RULE file:line:col` line per finding (`(warning)` after warnings) or
//! `MODE: compatible`, and optionally `data/*.json` documents.
//!
//! `UPDATE_EXPECT=1 cargo test -p cue --test compat` rewrites the `expect` files; review every
//! change by hand, they are the specification.
//!
//! The documents check the verdicts by data: where a mode reports no finding at all, every
//! document a previous version accepts, the current version must accept (backward), and every
//! document the current version accepts, each previous version must accept (forward). A rule
//! that claims compatibility wrongly fails here as soon as a fixture has a witness document.

use std::collections::BTreeSet;
use std::path::Path;

use cue::compat::{check, Mode, Side, Version, RULES};
use cue::{NoImports, Package, PackageFiles, Severity};

const DEFINITION: &str = "#Event";

fn load(case: &Path, version: &str) -> Option<Package> {
    let dir = case.join(version);
    if !dir.is_dir() {
        return None;
    }
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("read a version folder")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "cue"))
        .collect();
    names.sort();
    let files = names
        .iter()
        .map(|p| {
            let name = format!(
                "{version}/{}",
                p.file_name().expect("a file name").to_string_lossy()
            );
            (
                name,
                std::fs::read_to_string(p).expect("read a schema file"),
            )
        })
        .collect();
    let package = Package::load(PackageFiles { files }, &NoImports);
    assert!(
        package.diagnostics().is_empty(),
        "{}/{version}: {:?}",
        case.display(),
        package.diagnostics()
    );
    Some(package)
}

fn accepts(package: &Package, name: &str, text: &str) -> bool {
    package
        .schema(Some(DEFINITION))
        .expect("the definition compiles")
        .validate_json(name, text)
        .errors
        .is_empty()
}

#[test]
fn every_fixture_in_every_mode() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compat");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/compat exists")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let update = std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    let mut rules_seen = BTreeSet::new();
    let (mut mode_checks, mut data_checks) = (0, 0);
    for case in &cases {
        let name = case
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .to_string();
        let older = load(case, "older");
        let previous = load(case, "previous").expect("previous/ exists");
        let current = load(case, "current").expect("current/ exists");
        let mut versions = Vec::new();
        if let Some(older) = &older {
            versions.push(Version {
                package: older,
                definition: DEFINITION,
            });
        }
        versions.push(Version {
            package: &previous,
            definition: DEFINITION,
        });
        let current_version = Version {
            package: &current,
            definition: DEFINITION,
        };
        let mut documents = Vec::new();
        if let Ok(entries) = std::fs::read_dir(case.join("data")) {
            let mut paths: Vec<_> = entries.map(|e| e.expect("an entry").path()).collect();
            paths.sort();
            for path in paths {
                let text = std::fs::read_to_string(&path).expect("read a document");
                let shown = format!(
                    "data/{}",
                    path.file_name().expect("a name").to_string_lossy()
                );
                documents.push((shown, text));
            }
        }
        let mut actual = String::from(
            "# Findings of cue::compat::check per mode (UPDATE_EXPECT=1 regenerates; review by hand).\n",
        );
        for mode in Mode::ALL {
            mode_checks += 1;
            let report = check(&versions, current_version, mode).expect("both versions load");
            if report.findings.is_empty() {
                actual.push_str(&format!("{mode}: compatible\n"));
            }
            for finding in &report.findings {
                rules_seen.insert(finding.rule.id());
                let at = finding
                    .span
                    .map(|s| report.sources.describe(s))
                    .unwrap_or_else(|| "<no position>".to_string());
                let warning = if finding.severity == Severity::Warning {
                    " (warning)"
                } else {
                    ""
                };
                actual.push_str(&format!("{mode}: {} {at}{warning}\n", finding.rule));
                match (&finding.counterexample, &finding.counterexample_note) {
                    (Some(counterexample), _) => {
                        // Re-validated here, against both versions, whatever the engine said.
                        let previous = versions[finding.previous].package;
                        let text = counterexample.value.to_string();
                        let package = |side: Side| match side {
                            Side::Previous => previous,
                            Side::Current => &current,
                        };
                        if !accepts(package(counterexample.accepted_by), "cx.json", &text)
                            || accepts(package(counterexample.rejected_by), "cx.json", &text)
                        {
                            failures.push(format!(
                                "{name}: {mode}: the counterexample {text} of {} does not hold",
                                finding.rule
                            ));
                        }
                        actual.push_str(&format!(
                            "  counterexample: {text}: accepted by the {} version, rejected by the {} one: {}\n",
                            counterexample.accepted_by.name(),
                            counterexample.rejected_by.name(),
                            counterexample.error
                        ));
                    }
                    (None, Some(note)) => actual.push_str(&format!("  {note}\n")),
                    (None, None) => {}
                }
            }
            // Check "compatible" by data, against every previous version compared.
            if !report.findings.is_empty() || !mode.is_transitive() {
                continue;
            }
            for (document, text) in &documents {
                let now = accepts(&current, document, text);
                for version in &versions {
                    let before = accepts(version.package, document, text);
                    data_checks += 1;
                    if mode.checks_backward() && before && !now {
                        failures.push(format!(
                            "{name}: {mode} claims compatible, but {document} is accepted by a previous version and rejected by the current one"
                        ));
                    }
                    if mode.checks_forward() && now && !before {
                        failures.push(format!(
                            "{name}: {mode} claims compatible, but {document} is accepted by the current version and rejected by a previous one"
                        ));
                    }
                }
            }
        }
        let expect_path = case.join("expect");
        if update {
            std::fs::write(&expect_path, &actual).expect("write expect");
            continue;
        }
        let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{name}: expect differs\n--- expected\n{expected}--- actual\n{actual}"
            ));
        }
    }
    let missing: Vec<&str> = RULES
        .iter()
        .map(|r| r.code.id())
        .filter(|id| !rules_seen.contains(id))
        .collect();
    if !missing.is_empty() {
        failures.push(format!("no fixture shows the rules {missing:?}"));
    }
    eprintln!(
        "{} fixtures, {mode_checks} mode checks, {data_checks} document checks, {} of {} rules shown",
        cases.len(),
        rules_seen.len(),
        RULES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The rule table in docs/gate.md is generated from the registry (`UPDATE_EXPECT=1` rewrites it).
#[test]
fn the_documented_rule_table_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/gate.md");
    let guide = std::fs::read_to_string(&path).expect("docs/gate.md");
    let (start, end) = ("<!-- compat-rules:start -->\n", "<!-- compat-rules:end -->");
    let from = guide.find(start).expect("the start marker") + start.len();
    let to = guide.find(end).expect("the end marker");
    let table = cue::compat::rule_table();
    if std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1") {
        let updated = format!("{}{table}{}", &guide[..from], &guide[to..]);
        std::fs::write(&path, updated).expect("write docs/gate.md");
        return;
    }
    assert_eq!(
        &guide[from..to],
        table,
        "docs/gate.md's rule table is stale: run UPDATE_EXPECT=1 cargo test -p cue --test compat"
    );
}

#[test]
fn one_change_reached_by_two_paths_is_reported_once() {
    // `[#Line, ...#Line]`: the first element and the rest are the same declaration.
    let load_text = |text: &str| {
        Package::load(
            PackageFiles {
                files: vec![("schema.cue".to_string(), text.to_string())],
            },
            &NoImports,
        )
    };
    let previous = load_text("#Line: {quantity: int & >=1}\n#Order: {lines: [#Line, ...#Line]}");
    let current = load_text("#Line: {quantity: int & >=2}\n#Order: {lines: [#Line, ...#Line]}");
    let report = cue::compat::check(
        &[Version {
            package: &previous,
            definition: "#Order",
        }],
        Version {
            package: &current,
            definition: "#Order",
        },
        cue::compat::Mode::Backward,
    )
    .expect("both versions load");
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.id()).collect();
    assert_eq!(rules, ["BOUND_TIGHTENED"]);
}
