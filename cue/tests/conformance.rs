//! The data-driven conformance suite: every `tests/conformance/<topic>/<case>.txtar` holds a
//! schema, JSON data and the verdicts of the reference `cue vet`. `UPDATE_EXPECT=1` refreshes
//! the expectations from the oracle (`$CUE_ORACLE`); cases marked `hand-checked:` are kept.

use std::collections::BTreeMap;
use std::path::PathBuf;

mod common;

use cue::txtar;
use cue::{NoImports, Package, PackageFiles};

struct Case {
    path: PathBuf,
    topic: String,
    archive: txtar::Archive,
}

impl Case {
    fn schema_files(&self) -> Vec<(String, String)> {
        self.archive
            .files
            .iter()
            .filter(|(n, _)| n.ends_with(".cue"))
            .cloned()
            .collect()
    }
    fn data_files(&self) -> Vec<(String, String)> {
        self.archive
            .files
            .iter()
            .filter(|(n, _)| n.ends_with(".json"))
            .cloned()
            .collect()
    }
    fn expression(&self) -> Option<String> {
        let args = self.archive.file("args")?;
        let words: Vec<&str> = args.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "-d")?;
        words.get(at + 1).map(|w| w.trim_matches('\'').to_string())
    }
    fn hand_checked(&self) -> bool {
        self.archive
            .comment
            .lines()
            .any(|l| l.trim_start().starts_with("hand-checked:"))
    }
    /// The expected line for each data file: `None` for valid, the headline for invalid.
    fn expectations(&self) -> BTreeMap<String, Option<String>> {
        let mut out = BTreeMap::new();
        for line in self.archive.file("expect").unwrap_or("").lines() {
            let Some((name, rest)) = line.split_once(": ") else {
                continue;
            };
            let verdict = if rest.trim() == "valid" {
                None
            } else {
                Some(rest.strip_prefix("invalid: ").unwrap_or(rest).to_string())
            };
            out.insert(name.to_string(), verdict);
        }
        out
    }
}

fn cases() -> Vec<Case> {
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    common::conformance_cases()
        .into_iter()
        .filter(|(_, path)| path.to_string_lossy().contains(&filter))
        .map(|(topic, path)| {
            let text = std::fs::read_to_string(&path).expect("readable case");
            Case {
                path,
                topic,
                archive: txtar::parse(&text),
            }
        })
        .collect()
}

/// The path part of an expected headline, when it starts with one (`a.b: msg`).
fn expected_path(headline: &str) -> Option<&str> {
    let (head, _) = headline.split_once(": ")?;
    let looks_like_path =
        !head.is_empty() && !head.contains(' ') || (head.starts_with('"') && head.ends_with('"'));
    looks_like_path.then_some(head)
}

#[test]
fn conformance() {
    if std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1") {
        update_expectations();
        return;
    }
    #[derive(Default)]
    struct Row {
        cases: usize,
        checks: usize,
        verdicts: usize,
        paths: usize,
        path_checks: usize,
        headlines: usize,
        disagreements: usize,
    }
    let mut table: BTreeMap<String, Row> = BTreeMap::new();
    let mut failures = Vec::new();
    for case in cases() {
        let row = table.entry(case.topic.clone()).or_default();
        row.cases += 1;
        let name = case.path.display().to_string();
        let package = Package::load(
            PackageFiles {
                files: case.schema_files(),
            },
            &NoImports,
        );
        let expression = case.expression();
        let schema = package.schema(expression.as_deref());
        let expect = case.expectations();
        for (data_name, data) in case.data_files() {
            row.checks += 1;
            let Some(expected) = expect.get(&data_name) else {
                failures.push(format!("{name}: {data_name}: no expectation"));
                continue;
            };
            // As `cuemesh vet` (and `cue vet`) does: a package with errors judges no data.
            let errors: Vec<cue::Diagnostic> = match &schema {
                _ if !package.diagnostics().is_empty() => package.diagnostics().to_vec(),
                Ok(schema) => {
                    let checked = schema.validate_json(&data_name, &data).errors;
                    let unified = schema.validate_json_unified(&data_name, &data).errors;
                    // One truth: the compiled validator says exactly what unification says.
                    if let Err(difference) = cue::testing::same_diagnostics(&checked, &unified) {
                        row.disagreements += 1;
                        failures.push(format!("{name}: {data_name}: {difference}"));
                    }
                    checked
                }
                Err(diagnostics) => diagnostics.clone(),
            };
            match (expected, errors.first()) {
                (None, None) => {
                    row.verdicts += 1;
                    row.headlines += 1;
                }
                (Some(want), Some(got)) => {
                    row.verdicts += 1;
                    if &got.headline() == want {
                        row.headlines += 1;
                    }
                    if let Some(path) = expected_path(want) {
                        row.path_checks += 1;
                        if got.path == path {
                            row.paths += 1;
                        } else {
                            failures.push(format!(
                                "{name}: {data_name}: path {:?}, want {path:?} (got {:?}, want {want:?})",
                                got.path,
                                got.headline()
                            ));
                        }
                    }
                }
                (None, Some(got)) => failures.push(format!(
                    "{name}: {data_name}: invalid ({}), want valid",
                    got.headline()
                )),
                (Some(want), None) => {
                    failures.push(format!("{name}: {data_name}: valid, want {want:?}"))
                }
            }
        }
    }
    println!(
        "{:<16} {:>6} {:>7} {:>9} {:>11} {:>10} {:>13}",
        "topic", "cases", "checks", "verdicts", "paths", "headlines", "disagreements"
    );
    for (topic, r) in &table {
        println!(
            "{topic:<16} {:>6} {:>7} {:>9} {:>5}/{:<5} {:>10} {:>13}",
            r.cases, r.checks, r.verdicts, r.paths, r.path_checks, r.headlines, r.disagreements
        );
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("{f}");
        }
        panic!("{} conformance failures", failures.len());
    }
}

/// Runs the oracle once in batch mode for every (case, data file) and rewrites the
/// `-- expect --` sections of the cases that are not hand-checked.
fn update_expectations() {
    let work = std::env::temp_dir().join(format!("cue-conformance-{}", std::process::id()));
    let cases: Vec<Case> = cases().into_iter().filter(|c| !c.hand_checked()).collect();
    let mut items = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let dir = work.join(i.to_string());
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut args = vec!["vet".to_string()];
        for (n, t) in case.schema_files() {
            std::fs::write(dir.join(&n), t).expect("write schema");
            args.push(n);
        }
        for (n, t) in case.data_files() {
            std::fs::write(dir.join(&n), t).expect("write data");
            let mut line = args.clone();
            line.push(n);
            if let Some(e) = case.expression() {
                line.push("-d".into());
                line.push(e);
            }
            items.push(serde_json::json!({"args": line, "cwd": dir.display().to_string()}));
        }
    }
    let mut results = common::run_oracle_batch(&work, &items).into_iter();
    for case in &cases {
        let mut expect = String::new();
        for (n, _) in case.data_files() {
            let r = results.next().expect("one oracle result per data file");
            let code = r["code"].as_i64().unwrap_or(-1);
            let stderr = r["stderr"].as_str().unwrap_or("");
            if code == 0 {
                expect.push_str(&format!("{n}: valid\n"));
            } else {
                let first = stderr.lines().next().unwrap_or("").trim_end_matches(':');
                expect.push_str(&format!("{n}: invalid: {first}\n"));
            }
        }
        let mut archive = case.archive.clone();
        archive.files.retain(|(n, _)| n != "expect");
        archive.files.push(("expect".into(), expect));
        std::fs::write(&case.path, txtar::format(&archive)).expect("rewrite case");
    }
    let _ = std::fs::remove_dir_all(&work);
}
