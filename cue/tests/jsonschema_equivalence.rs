//! JSON Schema equivalence: for every conformance case validated against a definition
//! (`-d '#Def'`), the exported JSON Schema, compiled by the `jsonschema` crate, must give the
//! same verdict as our CUE validation on every data file of the case.
//!
//! Cases whose definition cannot be exported exactly (the package has errors, or the export
//! lists constraints under `x-cue-unsupported`) are skipped with the reason. One difference is
//! in the data models, not the export: CUE decodes `1.0` as a float, which `int` rejects,
//! while JSON Schema sees the integer 1; such pairs are counted apart, only where the data
//! holds a number written with a fraction or an exponent.

use std::path::Path;

use cue::txtar;
use cue::{NoImports, Package, PackageFiles};

fn case_paths() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut out = Vec::new();
    let mut topics: Vec<_> = std::fs::read_dir(&root)
        .expect("the conformance directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    topics.sort();
    for dir in topics {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("readable topic")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txtar"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out
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

#[test]
fn exported_json_schemas_agree_with_cue() {
    let mut agreeing = 0;
    let mut representation = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    let mut cases = 0;
    for path in case_paths() {
        let text = std::fs::read_to_string(&path).expect("readable case");
        let archive = txtar::parse(&text);
        let Some(expression) = definition(&archive) else {
            continue;
        };
        cases += 1;
        let name = path
            .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance"))
            .unwrap_or(&path)
            .display()
            .to_string();
        let files: Vec<(String, String)> = archive
            .files
            .iter()
            .filter(|(n, _)| n.ends_with(".cue"))
            .cloned()
            .collect();
        let package = Package::load(PackageFiles { files }, &NoImports);
        let exported = match package.json_schema(Some(&expression)) {
            Ok(document) => document,
            Err(diagnostics) => {
                let reason = diagnostics
                    .first()
                    .map(|d| format!("{}: {}", d.path, d.message))
                    .unwrap_or_default();
                skipped.push(format!("{name}: not exported ({reason})"));
                continue;
            }
        };
        if mentions_unsupported(&exported) {
            skipped.push(format!(
                "{name}: not exactly expressible (x-cue-unsupported in the export)"
            ));
            continue;
        }
        let validator = match jsonschema::options()
            .should_validate_formats(true)
            .build(&exported)
        {
            Ok(validator) => validator,
            Err(error) => {
                failures.push(format!("{name}: the export does not compile: {error}"));
                continue;
            }
        };
        let schema = match package.schema(Some(&expression)) {
            Ok(schema) => schema,
            Err(_) => {
                failures.push(format!(
                    "{name}: exported, but -d {expression} does not compile"
                ));
                continue;
            }
        };
        for (data_name, data) in archive.files.iter().filter(|(n, _)| n.ends_with(".json")) {
            let cue_valid = schema.validate_json(data_name, data).errors.is_empty();
            let Ok(instance) = serde_json::from_str::<serde_json::Value>(data) else {
                skipped.push(format!("{name}/{data_name}: not JSON"));
                continue;
            };
            let schema_valid = validator.is_valid(&instance);
            if cue_valid == schema_valid {
                agreeing += 1;
            } else if has_float_literal(data) {
                representation.push(format!(
                    "{name}/{data_name}: cue says {cue_valid}, JSON Schema {schema_valid}"
                ));
            } else {
                failures.push(format!(
                    "{name}/{data_name}: cue says valid={cue_valid}, JSON Schema says \
                     valid={schema_valid}\n  data: {}\n  schema: {exported}",
                    data.trim()
                ));
            }
        }
    }
    println!(
        "json schema equivalence: {cases} cases with -d, {agreeing} (case, data) pairs agree, \
         {} differ only by number representation, {} skipped, {} disagree",
        representation.len(),
        skipped.len(),
        failures.len()
    );
    for line in representation.iter().chain(&skipped) {
        println!("  {line}");
    }
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("{f}");
        }
        panic!("{} JSON Schema verdicts disagree with cue", failures.len());
    }
}
