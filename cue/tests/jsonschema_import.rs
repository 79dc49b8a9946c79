//! Conformance of the JSON Schema importer (`cue::jsonschema`) against CUE's own test data.
//!
//! ```text
//! CUE_UPSTREAM_TESTDATA=../shared/cue-testdata cargo test --release -p cue --test jsonschema_import -- --nocapture
//! ```
//!
//! Without `CUE_UPSTREAM_TESTDATA` the test says how to run it and passes. The files are read
//! from there, never copied into this repository.
//!
//! **The JSON-Schema-Test-Suite** (`encoding/jsonschema/testdata/external/tests/<draft>/*.json`,
//! the core tests: `optional/` is not counted, as in CUE's `external_teststats.txt`). Each
//! group's schema is imported as `#Schema`, the CUE text is loaded by our engine, and every
//! test document is validated against `#Schema` (`Package::schema` then
//! `Schema::validate_json`, what `cuemesh vet` does). A test passes when our verdict equals the
//! suite's `valid`. A schema we cannot import, or whose CUE does not load, fails all its tests.
//! The table also shows what CUE v0.17 itself passes by the suite's annotations (a test with a
//! `skip.v3` entry is one CUE fails), per draft. The total must stay at or above [`FLOOR`].
//! `JSONSCHEMA_VERBOSE=1` prints each failing test; `JSONSCHEMA_FILTER=text` runs the files whose
//! path contains `text`.
//!
//! **CUE's import goldens** (`encoding/jsonschema/testdata/txtar/*.txtar`). Our output is laid
//! out differently from CUE's (the root is a definition, `#Schema`; tuples are disjunctions of
//! lengths), so the text is not compared. A case passes when the verdict matches: the golden
//! `out/decode/extract` is an `ERROR:` exactly when our import fails (or our CUE does not
//! load), and each `test/*.json` document is rejected exactly when the case has an
//! `out/decode/testerr/<name>`, judged as the suite's are (a schema that is `_|_` rejects
//! every document). A `schema.yaml` is read with `cue::read_yaml`. Skipped, with the reason:
//! cases for the OpenAPI and Kubernetes dialects (`#version: openapi`, `k8sCRD`, `k8sAPI`),
//! and cases of options the importer does not offer (`#strict*`, `#root`,
//! `#openOnlyWhenExplicit`, `#allowNonExistentRoot`, `#singleRoot`). The cases passed may not
//! fall below [`GOLDEN_FLOOR`].
//!
//! **The round trip** (`jsonschema_round_trip_report`): each suite schema whose import loads is
//! exported again as JSON Schema by the engine (`Package::json_schema(Some("#Schema"))`, what
//! the registry serves), that document is imported back, and every test document must get the
//! same verdict from both CUE definitions (whatever the suite expects). A group whose export or
//! second import fails disagrees on all its documents. Agreements may not fall below
//! [`ROUND_TRIP_FLOOR`].

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use cue::jsonschema::{self, Draft, NoDocuments, Options, Root};
use cue::{txtar, NoImports, Package, PackageFiles};
use serde_json::Value;

/// The external suite's passes may not fall below this.
const FLOOR: usize = 4448;

/// CUE's import goldens that pass may not fall below this.
const GOLDEN_FLOOR: usize = 45;

/// The round trip's agreements may not fall below this.
const ROUND_TRIP_FLOOR: usize = 4472;

const GROUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Imports `schema` as `#Schema`; the CUE text, or why it could not be imported or loaded.
fn import(schema: &Value, draft: Option<Draft>) -> Result<(String, Package), String> {
    let roots = [Root {
        uri: "file:///suite/schema.json".into(),
        document: schema,
        definition: "#Schema".into(),
    }];
    let options = Options {
        package: None,
        default_draft: draft,
    };
    let imported =
        jsonschema::import(&roots, &NoDocuments, &options).map_err(|e| format!("import: {e}"))?;
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".into(), imported.source.clone())],
        },
        &NoImports,
    );
    let diagnostics = package.diagnostics();
    if let Some(d) = diagnostics
        .iter()
        .find(|d| !d.message.starts_with("explicit error (_|_ literal)"))
        .or(diagnostics.first())
    {
        return Err(format!("load: {}\n{}", d.message, imported.source));
    }
    Ok((imported.source, package))
}

/// Our verdict on each document: `Ok(valid)` or the reason the schema could not be used.
///
/// A schema that says `false` is `#Schema: _|_` in CUE, which `cuemesh vet` (like `cue vet`)
/// reports as an error for every document: a package whose only errors are such explicit
/// `_|_` rejects everything. Any other load error fails the group.
fn verdicts(
    schema: &Value,
    draft: Option<Draft>,
    documents: &[String],
) -> Result<Vec<bool>, String> {
    let (source, package) = match import(schema, draft) {
        Err(e) if e.starts_with("load: explicit error (_|_ literal)") => {
            return Ok(vec![false; documents.len()])
        }
        other => other?,
    };
    let compiled = package
        .schema(Some("#Schema"))
        .map_err(|e| format!("schema: {}\n{source}", e[0].message))?;
    Ok(documents
        .iter()
        .map(|d| compiled.validate_json("data.json", d).is_valid())
        .collect())
}

/// Runs `f` on a big-stack thread with a timeout, catching panics.
fn guarded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let (sender, receiver) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            let _ = sender.send(result.ok());
        });
    if spawned.is_err() {
        return Err("cannot start a thread".into());
    }
    match receiver.recv_timeout(GROUP_TIMEOUT) {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err("panic".into()),
        Err(_) => Err("timeout".into()),
    }
}

#[derive(Default)]
struct Tally {
    files: usize,
    schemas: usize,
    imported: usize,
    tests: usize,
    passed: usize,
    cue_passed: usize,
    /// We pass, CUE does not; CUE passes, we do not.
    only_us: usize,
    only_cue: usize,
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn external_suite(root: &Path) -> Tally {
    let verbose = std::env::var_os("JSONSCHEMA_VERBOSE").is_some();
    let filter = std::env::var("JSONSCHEMA_FILTER").ok();
    let tests_dir = root.join("encoding/jsonschema/testdata/external/tests");
    let drafts = ["draft4", "draft6", "draft7", "draft2019-09", "draft2020-12"];
    let mut per_draft: BTreeMap<usize, (&str, Tally)> = BTreeMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        let mut tally = Tally::default();
        for path in json_files(&tests_dir.join(draft)) {
            let shown = format!(
                "{draft}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            if filter.as_ref().is_some_and(|f| !shown.contains(f.as_str())) {
                continue;
            }
            tally.files += 1;
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let groups: Vec<Value> = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not a JSON array: {e}", path.display()));
            for group in groups {
                let tests = group["tests"].as_array().cloned().unwrap_or_default();
                let documents: Vec<String> = tests.iter().map(|t| t["data"].to_string()).collect();
                let schema = group["schema"].clone();
                let dialect = draft_of(draft);
                let outcome =
                    guarded(move || verdicts(&schema, dialect, &documents)).and_then(|r| r);
                tally.schemas += 1;
                if outcome.is_ok() {
                    tally.imported += 1;
                }
                for (n, test) in tests.iter().enumerate() {
                    tally.tests += 1;
                    let expected = test["valid"].as_bool().unwrap_or(true);
                    let cue_passes = test.pointer("/skip/v3").is_none();
                    tally.cue_passed += cue_passes as usize;
                    let ours = match &outcome {
                        Ok(v) => v[n] == expected,
                        Err(_) => false,
                    };
                    tally.passed += ours as usize;
                    tally.only_us += (ours && !cue_passes) as usize;
                    tally.only_cue += (!ours && cue_passes) as usize;
                    if verbose && !ours {
                        let why = match &outcome {
                            Ok(_) if std::env::var("JSONSCHEMA_VERBOSE").as_deref() == Ok("2") => {
                                let source = import(&group["schema"], dialect)
                                    .map(|r| r.0)
                                    .unwrap_or_default();
                                format!("expected valid={expected} for {}\n{source}", test["data"])
                            }
                            Ok(_) => format!("expected valid={expected}"),
                            Err(e) => e.lines().next().unwrap_or("").to_string(),
                        };
                        println!(
                            "FAIL {shown}: {} / {}: {why}",
                            group["description"].as_str().unwrap_or(""),
                            test["description"].as_str().unwrap_or("")
                        );
                    }
                }
            }
        }
        per_draft.insert(i, (draft, tally));
    }
    println!("\nJSON-Schema-Test-Suite (core), imported as #Schema and validated by the engine:");
    println!(
        "{:<14} {:>6} {:>8} {:>9} {:>6} {:>7} {:>7} {:>10} {:>8} {:>8}",
        "draft",
        "files",
        "schemas",
        "imported",
        "tests",
        "passed",
        "%",
        "CUE v0.17",
        "only us",
        "only CUE"
    );
    let mut total = Tally::default();
    for (draft, t) in per_draft.values() {
        println!(
            "{:<14} {:>6} {:>8} {:>9} {:>6} {:>7} {:>6.1}% {:>10} {:>8} {:>8}",
            draft,
            t.files,
            t.schemas,
            t.imported,
            t.tests,
            t.passed,
            percent(t.passed, t.tests),
            t.cue_passed,
            t.only_us,
            t.only_cue
        );
        total.files += t.files;
        total.schemas += t.schemas;
        total.imported += t.imported;
        total.tests += t.tests;
        total.passed += t.passed;
        total.cue_passed += t.cue_passed;
        total.only_us += t.only_us;
        total.only_cue += t.only_cue;
    }
    println!(
        "{:<14} {:>6} {:>8} {:>9} {:>6} {:>7} {:>6.1}% {:>10} {:>8} {:>8}",
        "TOTAL",
        total.files,
        total.schemas,
        total.imported,
        total.tests,
        total.passed,
        percent(total.passed, total.tests),
        total.cue_passed,
        total.only_us,
        total.only_cue
    );
    total
}

/// The draft of a folder of the suite, for schemas without `$schema`.
fn draft_of(folder: &str) -> Option<Draft> {
    Some(match folder {
        "draft4" => Draft::Draft4,
        "draft6" => Draft::Draft6,
        "draft7" => Draft::Draft7,
        "draft2019-09" => Draft::Draft2019,
        _ => Draft::Draft2020,
    })
}

fn percent(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

/// Why a golden case is not checked, if it is not.
fn golden_skip(archive: &txtar::Archive) -> Option<&'static str> {
    for line in archive.comment.lines() {
        let line = line.trim();
        if line.starts_with("#version: openapi") || line.starts_with("#version: k8s") {
            return Some("OpenAPI or Kubernetes dialect");
        }
        for option in [
            "#strict",
            "#root",
            "#openOnlyWhenExplicit",
            "#allowNonExistentRoot",
            "#singleRoot",
        ] {
            if line.starts_with(option) {
                return Some("an option the importer does not offer");
            }
        }
    }
    None
}

/// One golden case: `Ok(())` on a matching verdict, else what differed.
fn golden_case(archive: &txtar::Archive) -> Result<(), String> {
    let expect_error = archive
        .file("out/decode/extract")
        .is_some_and(|t| t.starts_with("ERROR:"));
    let mut schema: Value = match (archive.file("schema.json"), archive.file("schema.yaml")) {
        (Some(json), _) => serde_json::from_str(json).map_err(|e| format!("schema.json: {e}"))?,
        (None, Some(yaml)) => cue::read_yaml(yaml).map_err(|e| format!("schema.yaml:{e}"))?,
        (None, None) => return Err("no schema.json nor schema.yaml".into()),
    };
    for line in archive.comment.lines() {
        if let Some(version) = line.trim().strip_prefix("#version: ") {
            if let Value::Object(o) = &mut schema {
                o.entry("$schema")
                    .or_insert(Value::String(version.trim().into()));
            }
        }
    }
    let tests: Vec<(&str, String)> = archive
        .files
        .iter()
        .filter_map(|(name, data)| {
            let stem = name.strip_prefix("test/")?.strip_suffix(".json")?;
            Some((stem, data.clone()))
        })
        .collect();
    let documents: Vec<String> = tests.iter().map(|(_, data)| data.clone()).collect();
    // Judged as the external suite is: a schema that is `_|_` rejects every document.
    let valid = match (verdicts(&schema, None, &documents), expect_error) {
        (Err(_), true) => return Ok(()),
        (Ok(_), true) => return Err("imported, CUE reports an error".into()),
        (Err(e), false) => return Err(e.lines().next().unwrap_or("").to_string()),
        (Ok(valid), false) => valid,
    };
    for ((stem, _), valid) in tests.iter().zip(valid) {
        let expected_valid = archive
            .file(&format!("out/decode/testerr/{stem}"))
            .is_none();
        if valid != expected_valid {
            return Err(format!(
                "test/{stem}.json: ours valid={valid}, CUE valid={expected_valid}"
            ));
        }
    }
    Ok(())
}

fn goldens(root: &Path) -> (usize, usize, usize) {
    let verbose = std::env::var_os("JSONSCHEMA_VERBOSE").is_some();
    let dir = root.join("encoding/jsonschema/testdata/txtar");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|x| x == "txtar"));
    paths.sort();
    let (mut passed, mut failed) = (0, 0);
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let archive = txtar::parse(&text);
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if let Some(why) = golden_skip(&archive) {
            *skipped.entry(why).or_default() += 1;
            continue;
        }
        match guarded(move || golden_case(&archive)).and_then(|r| r) {
            Ok(()) => passed += 1,
            Err(why) => {
                failed += 1;
                if verbose {
                    println!("GOLDEN FAIL {name}: {why}");
                }
            }
        }
    }
    println!(
        "\nCUE's import goldens: {} cases, {} checked, {passed} passed, {failed} failed, {} skipped",
        paths.len(),
        passed + failed,
        skipped.values().sum::<usize>()
    );
    for (why, n) in &skipped {
        println!("  skipped {n}: {why}");
    }
    (paths.len(), passed, failed)
}

#[test]
fn jsonschema_import_report() {
    let Some(root) = std::env::var_os("CUE_UPSTREAM_TESTDATA") else {
        println!(
            "jsonschema import report skipped: run `CUE_UPSTREAM_TESTDATA=../shared/cue-testdata cargo test --release -p cue --test jsonschema_import -- --nocapture`"
        );
        return;
    };
    let root = PathBuf::from(root);
    assert!(
        root.join("encoding/jsonschema/testdata/external/tests")
            .is_dir(),
        "CUE_UPSTREAM_TESTDATA={} does not hold encoding/jsonschema/testdata",
        root.display()
    );
    let (cases, golden_passed, _) = goldens(&root);
    assert!(cases > 0, "no golden cases found");
    assert!(
        golden_passed >= GOLDEN_FLOOR,
        "import goldens passed fell to {golden_passed} (floor {GOLDEN_FLOOR})"
    );
    let total = external_suite(&root);
    let filtered = std::env::var_os("JSONSCHEMA_FILTER").is_some();
    assert!(
        filtered || total.passed >= FLOOR,
        "JSON-Schema-Test-Suite passes fell to {} (floor {FLOOR})",
        total.passed
    );
}

/// The verdicts of the imported schema and of its export imported back, on each document;
/// `None` when the first import does not load (nothing to compare); `Err` when the trip fails.
type TripVerdicts = Option<Result<Vec<(bool, bool)>, String>>;

fn round_trip(schema: &Value, draft: Option<Draft>, documents: &[String]) -> TripVerdicts {
    let (_, package) = import(schema, draft).ok()?;
    let original = package.schema(Some("#Schema")).ok()?;
    let trip = || -> Result<Vec<(bool, bool)>, String> {
        let exported = package
            .json_schema(Some("#Schema"))
            .map_err(|e| format!("export: {}", e[0].message))?;
        let (_, back) = import(&exported, None).map_err(|e| format!("back: {e}\n{exported:#}"))?;
        let back = back
            .schema(Some("#Schema"))
            .map_err(|e| format!("back: {}", e[0].message))?;
        Ok(documents
            .iter()
            .map(|d| {
                (
                    original.validate_json("data.json", d).is_valid(),
                    back.validate_json("data.json", d).is_valid(),
                )
            })
            .collect())
    };
    Some(trip())
}

#[test]
fn jsonschema_round_trip_report() {
    let Some(root) = std::env::var_os("CUE_UPSTREAM_TESTDATA") else {
        println!(
            "jsonschema round trip skipped: run `CUE_UPSTREAM_TESTDATA=../shared/cue-testdata cargo test --release -p cue --test jsonschema_import -- --nocapture`"
        );
        return;
    };
    let verbose = std::env::var_os("JSONSCHEMA_VERBOSE").is_some();
    let filter = std::env::var("JSONSCHEMA_FILTER").ok();
    let tests_dir = PathBuf::from(root).join("encoding/jsonschema/testdata/external/tests");
    let (mut groups, mut compared, mut failed_trips, mut tests, mut agree) = (0, 0, 0, 0, 0);
    for draft in ["draft4", "draft6", "draft7", "draft2019-09", "draft2020-12"] {
        for path in json_files(&tests_dir.join(draft)) {
            let shown = format!(
                "{draft}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            if filter.as_ref().is_some_and(|f| !shown.contains(f.as_str())) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let file_groups: Vec<Value> = serde_json::from_str(&text).unwrap_or_default();
            for group in file_groups {
                groups += 1;
                let documents: Vec<String> = group["tests"]
                    .as_array()
                    .map(|t| t.iter().map(|t| t["data"].to_string()).collect())
                    .unwrap_or_default();
                let count = documents.len();
                let schema = group["schema"].clone();
                let dialect = draft_of(draft);
                let outcome = guarded(move || round_trip(&schema, dialect, &documents))
                    .unwrap_or_else(|e| Some(Err(e)));
                let Some(outcome) = outcome else {
                    continue;
                };
                compared += 1;
                tests += count;
                match outcome {
                    Ok(verdicts) => {
                        for (n, (a, b)) in verdicts.iter().enumerate() {
                            agree += (a == b) as usize;
                            if verbose && a != b {
                                println!(
                                    "TRIP {shown}: {} / test {n}: original valid={a}, round trip valid={b}",
                                    group["description"].as_str().unwrap_or("")
                                );
                            }
                        }
                    }
                    Err(why) => {
                        failed_trips += 1;
                        if verbose {
                            println!(
                                "TRIP FAIL {shown}: {}: {}",
                                group["description"].as_str().unwrap_or(""),
                                why.lines().next().unwrap_or("")
                            );
                        }
                    }
                }
            }
        }
    }
    println!(
        "\nRound trip (import, export as JSON Schema, import again): {groups} schemas, {compared} imported and compared, {failed_trips} trips failed; {agree} of {tests} documents judged alike ({:.1}%)",
        percent(agree, tests)
    );
    assert!(
        filter.is_some() || agree >= ROUND_TRIP_FLOOR,
        "round trip agreements fell to {agree} (floor {ROUND_TRIP_FLOOR})"
    );
}
