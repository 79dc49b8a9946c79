//! JSON Schema equivalence: for every conformance case (`tests/conformance/**/*.txtar`), the
//! exported JSON Schema, compiled by the `jsonschema` crate, must give the same verdict as our
//! CUE validation (`cuemesh vet`: `Package::schema` then `Schema::validate_json`) on every
//! data file of the case.
//!
//! What is exported and what it is compared with:
//! - a case validated against a definition (`args` holds `-d '#Def'`):
//!   `Package::json_schema(Some("#Def"))` (a `$ref` to it), against `Package::schema("#Def")`;
//! - every other case: `Package::json_schema_package()`, whose root schema describes the
//!   package's top-level value, against `Package::schema(None)`.
//!
//! Skipped, with the reason printed and counted: a case whose schema cannot be exported (the
//! package has errors, which fail every data file in CUE, or `-d` names something that is not
//! a definition), and a data file that is not JSON. A case whose export lists constraints
//! under `x-cue-unsupported` is knowingly looser than CUE, so only one direction is asserted
//! for it: JSON Schema accepts every file CUE accepts (a file CUE rejects may go either way).
//!
//! One difference is in the data models, not the export: CUE decodes `1.0` as a float, which
//! `int` rejects, while JSON Schema sees the integer 1 (and, for `float`, the other way
//! round: JSON Schema cannot tell `1.0` from `1`). Such pairs are counted apart, only where
//! the data holds a number written with a fraction or an exponent.

use std::path::Path;

mod common;

use cue::txtar;
use cue::{NoImports, Package, PackageFiles};

fn case_paths() -> Vec<std::path::PathBuf> {
    common::conformance_cases()
        .into_iter()
        .map(|(_, path)| path)
        .collect()
}

/// The `-d` expression of a case's `args` file.
fn definition(archive: &txtar::Archive) -> Option<String> {
    let args = archive.file("args")?;
    let words: Vec<&str> = args.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "-d")?;
    words.get(at + 1).map(|w| w.trim_matches('\'').to_string())
}

fn mentions_unsupported(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => {
            map.contains_key(cue::UNSUPPORTED_EXTENSION) || map.values().any(mentions_unsupported)
        }
        serde_json::Value::Array(items) => items.iter().any(mentions_unsupported),
        _ => false,
    }
}

/// Whether the document writes a number with a fraction or an exponent (`1.0`, `1e3`), which
/// CUE reads as a float and JSON Schema may read as an integer.
fn has_float_literal(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'.' | b'e' | b'E' if i > 0 && bytes[i - 1].is_ascii_digit() => return true,
            _ => {}
        }
    }
    false
}

/// How one case is exported and validated.
enum Target {
    /// `-d '#Def'`.
    Definition(String),
    /// The package's top-level value.
    Package,
}

#[derive(Default)]
struct Counts {
    cases: usize,
    definition_cases: usize,
    package_cases: usize,
    /// (case, data) pairs with the same verdict.
    agreeing: usize,
    /// Pairs checked in one direction only (the export lists `x-cue-unsupported`).
    one_way: usize,
    representation: Vec<String>,
    skipped: Vec<String>,
    failures: Vec<String>,
}

#[test]
fn exported_json_schemas_agree_with_cue() {
    let mut counts = Counts::default();
    for path in case_paths() {
        let text = std::fs::read_to_string(&path).expect("readable case");
        let archive = txtar::parse(&text);
        let name = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance"))
            .unwrap_or(&path)
            .display()
            .to_string();
        check_case(&name, &archive, &mut counts);
    }
    println!(
        "json schema equivalence: {} cases ({} with -d, {} as the package root); (case, data) \
         pairs: {} agree ({} of them checked one way: x-cue-unsupported), {} differ only by \
         number representation, {} disagree; {} skipped",
        counts.cases,
        counts.definition_cases,
        counts.package_cases,
        counts.agreeing,
        counts.one_way,
        counts.representation.len(),
        counts.failures.len(),
        counts.skipped.len(),
    );
    for line in counts.representation.iter() {
        println!("  1.0: {line}");
    }
    for line in counts.skipped.iter() {
        println!("  skipped: {line}");
    }
    if !counts.failures.is_empty() {
        for f in &counts.failures {
            eprintln!("{f}");
        }
        panic!(
            "{} JSON Schema verdicts disagree with cue",
            counts.failures.len()
        );
    }
}

fn check_case(name: &str, archive: &txtar::Archive, counts: &mut Counts) {
    counts.cases += 1;
    let target = match definition(archive) {
        Some(expression) => {
            counts.definition_cases += 1;
            Target::Definition(expression)
        }
        None => {
            counts.package_cases += 1;
            Target::Package
        }
    };
    let files: Vec<(String, String)> = archive
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".cue"))
        .cloned()
        .collect();
    let package = Package::load(PackageFiles { files }, &NoImports);
    let (exported, expression) = match &target {
        Target::Definition(expression) => (
            package.json_schema(Some(expression)),
            Some(expression.as_str()),
        ),
        Target::Package => (package.json_schema_package(), None),
    };
    let exported = match exported {
        Ok(document) => document,
        Err(diagnostics) => {
            let reason = diagnostics
                .first()
                .map(|d| format!("{}: {}", d.path, d.message))
                .unwrap_or_default();
            counts
                .skipped
                .push(format!("{name}: not exported ({reason})"));
            return;
        }
    };
    let one_way = mentions_unsupported(&exported);
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(&exported)
    {
        Ok(validator) => validator,
        Err(error) => {
            counts
                .failures
                .push(format!("{name}: the export does not compile: {error}"));
            return;
        }
    };
    let schema = match package.schema(expression) {
        Ok(schema) => schema,
        Err(_) => {
            counts.failures.push(format!(
                "{name}: exported, but the CUE schema ({}) does not compile",
                expression.unwrap_or("the package")
            ));
            return;
        }
    };
    for (data_name, data) in archive.files.iter().filter(|(n, _)| n.ends_with(".json")) {
        let cue_valid = schema.validate_json(data_name, data).errors.is_empty();
        let Ok(instance) = serde_json::from_str::<serde_json::Value>(data) else {
            counts.skipped.push(format!("{name}/{data_name}: not JSON"));
            continue;
        };
        let schema_valid = validator.is_valid(&instance);
        let agree = if one_way {
            !cue_valid || schema_valid
        } else {
            cue_valid == schema_valid
        };
        if agree {
            counts.agreeing += 1;
            counts.one_way += usize::from(one_way);
        } else if has_float_literal(data) {
            counts.representation.push(format!(
                "{name}/{data_name}: cue says {cue_valid}, JSON Schema {schema_valid}"
            ));
        } else {
            counts.failures.push(format!(
                "{name}/{data_name}: cue says valid={cue_valid}, JSON Schema says \
                 valid={schema_valid}{}\n  data: {}\n  schema: {exported}",
                if one_way { " (one way)" } else { "" },
                data.trim()
            ));
        }
    }
}

/// The `.cue` files of every conformance case and every OpenAPI golden schema, by case path.
fn case_packages() -> Vec<(String, Vec<(String, String)>)> {
    let mut paths = case_paths();
    paths.extend(common::txtar_files(&common::tests_dir("openapi")));
    paths
        .iter()
        .map(|path| {
            let archive = txtar::parse(&std::fs::read_to_string(path).expect("readable case"));
            let files = archive
                .files
                .iter()
                .filter(|(n, _)| n.ends_with(".cue"))
                .cloned()
                .collect();
            (path.display().to_string(), files)
        })
        .collect()
}

/// Loading and exporting in one evaluation gives what loading, then exporting, gives: on every
/// conformance case and every OpenAPI golden schema.
#[test]
fn load_with_json_schema_equals_load_then_json_schema() {
    let mut exported = 0;
    for (path, files) in case_packages() {
        let separately = Package::load(
            PackageFiles {
                files: files.clone(),
            },
            &NoImports,
        );
        let (together, document) =
            Package::load_with_json_schema(PackageFiles { files }, &NoImports);
        let headlines =
            |p: &Package| -> Vec<String> { p.diagnostics().iter().map(|d| d.headline()).collect() };
        assert_eq!(headlines(&together), headlines(&separately), "{}", path);
        let expected = separately.json_schema(None);
        match (&document, &expected) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{}", path);
                exported += 1;
            }
            (Err(_), Err(_)) => {}
            _ => panic!(
                "{}: together {:?}, separately {:?}",
                path,
                document.as_ref().map(|_| "a document"),
                expected.as_ref().map(|_| "a document")
            ),
        }
    }
    assert!(exported > 400, "only {exported} documents compared");
}

/// The `$ref` targets under `value`, as `$defs` names.
fn referred(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(object) => {
            for (key, inner) in object {
                match (key.as_str(), inner) {
                    ("$ref", serde_json::Value::String(target)) => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            out.push(name.to_string());
                        }
                    }
                    _ => referred(inner, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| referred(item, out)),
        _ => {}
    }
}

/// Exporting some definitions only gives each of them, and every definition it refers to,
/// exactly as the whole package's document has them, and nothing the whole document lacks:
/// on every conformance case and every OpenAPI golden schema, for each definition alone.
#[test]
fn exporting_some_definitions_gives_what_the_whole_document_has_of_them() {
    // Beside the cases: nested definitions referred to from elsewhere, chains of references,
    // definitions under a disjunction's alternatives, and values that depend on the data.
    let own = [
        "#A: {#B: {x: int}, y: #C}\n#C: {z: #D | null}\n#D: [...#A.#B]\n#E: {b: #A.#B}\n#F: string\n",
        "#T: {\"a\", #v: 0} | {\"b\", #v: 1}\n#U: {t: #T, n: int & <10}\n#V: {w: #U}\n",
        "#P: {max: 10 * 2, n: int & <max, items: [...string], count: len(items)}\n#Q: {p?: #P}\n#R: {x: _y}\n_y: int\n",
    ];
    let mut packages: Vec<(String, Vec<(String, String)>)> = own
        .iter()
        .enumerate()
        .map(|(i, text)| {
            (
                format!("own case {i}"),
                vec![("a.cue".to_string(), text.to_string())],
            )
        })
        .collect();
    packages.extend(case_packages());
    let mut compared = 0;
    for (path, files) in &packages {
        let (_, whole) = Package::load_with_json_schema(
            PackageFiles {
                files: files.clone(),
            },
            &NoImports,
        );
        let Ok(whole) = whole else {
            assert!(!path.starts_with("own case"), "{path}: {whole:?}");
            continue;
        };
        let Some(all) = whole.get("$defs").and_then(|defs| defs.as_object()) else {
            continue;
        };
        for name in all.keys() {
            let written: Vec<String> = name.split('.').map(|part| format!("#{part}")).collect();
            let mut asked = None;
            let (_, some) = Package::load_with_json_schema_of(
                PackageFiles {
                    files: files.clone(),
                },
                &NoImports,
                |syntax, _| {
                    asked = Some(syntax.len());
                    cue::Selection {
                        export: Some(vec![written.join(".")]),
                        settled: Vec::new(),
                    }
                },
            );
            assert_eq!(asked, Some(files.len()), "{}: {name}", path);
            let some = some.unwrap_or_else(|errors| {
                panic!("{} {name}: {errors:?}", path);
            });
            let defs = some["$defs"].as_object().expect("$defs");
            // Nothing that the whole document lacks or has otherwise.
            for (key, schema) in defs {
                assert_eq!(all.get(key), Some(schema), "{} {name}: {key}", path);
            }
            // Everything the definition needs.
            let mut pending = vec![name.clone()];
            let mut seen = std::collections::HashSet::new();
            while let Some(next) = pending.pop() {
                if !seen.insert(next.clone()) {
                    continue;
                }
                assert!(defs.contains_key(&next), "{} {name}: {next} missing", path);
                referred(&all[&next], &mut pending);
            }
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} definitions compared");
}

#[test]
fn settled_fields_are_left_unevaluated_and_exported_ones_are_not() {
    let text = "package a\n#A: {n: int & >=1, b: #B}\n#B: {x: string}\nbroken: 1 & 2\n#Broken: {x: 1 & 2}\n";
    let load = |export: Option<Vec<&str>>, settled: &[&str]| {
        let selection = cue::Selection {
            export: export.map(|names| names.iter().map(|name| name.to_string()).collect()),
            settled: settled.iter().map(|label| label.to_string()).collect(),
        };
        Package::load_with_json_schema_of(
            PackageFiles {
                files: vec![("a.cue".into(), text.into())],
            },
            &NoImports,
            |_, _| selection,
        )
    };
    // Nothing settled: both errors.
    let (package, document) = load(None, &[]);
    assert_eq!(
        package.diagnostics().len(),
        2,
        "{:?}",
        package.diagnostics()
    );
    assert!(document.is_err());

    // The broken fields settled: no error, and what is exported (with the definition it
    // refers to, settled or not) is evaluated.
    let (package, document) = load(Some(vec!["#A"]), &["broken", "#Broken", "#B"]);
    assert!(
        package.diagnostics().is_empty(),
        "{:?}",
        package.diagnostics()
    );
    let document = document.expect("document");
    let defs = document["$defs"].as_object().expect("$defs");
    assert_eq!(defs.keys().collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(defs["B"]["properties"]["x"]["type"], "string");

    // A definition to export is evaluated even when settled: its error is the package's.
    let (package, document) = load(Some(vec!["#Broken"]), &["broken", "#Broken"]);
    assert_eq!(
        package.diagnostics().len(),
        1,
        "{:?}",
        package.diagnostics()
    );
    assert!(document.is_err());
}
