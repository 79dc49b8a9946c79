//! Round trip: every event definition of the governance template (`schemas-repo-template/`)
//! exported as JSON Schema (`Package::json_schema`, what the registry serves), imported back
//! (`cue::jsonschema`), judges every conformance document as the original definition does.
//!
//! The documents are the template's example payloads and, from each, documents one step away:
//! each field removed, each field replaced by a value of every JSON kind, an unknown field
//! added, and the same one level down. (The JSON-Schema-Test-Suite's schemas make the same
//! trip in `jsonschema_import.rs`.)

use cue::jsonschema::{self, NoDocuments, Options, Root};
use cue::{DirectoryResolver, NoImports, Package, PackageFiles};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas-repo-template")
}

/// The `.cue` files of a package directory.
fn package_files(dir: &Path) -> PackageFiles {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("a package directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cue"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).expect("read"),
            )
        })
        .collect();
    files.sort();
    PackageFiles { files }
}

/// `(event type, definition)` of each line `"type": #Def` in a source's `events`.
fn events(package: &PackageFiles) -> Vec<(String, String)> {
    let pattern = regex::Regex::new(r#"^\s*"([^"]+)":\s*(#[A-Za-z0-9_#.]+)"#).expect("regex");
    package
        .files
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter_map(|line| {
            pattern
                .captures(line)
                .map(|c| (c[1].to_string(), c[2].to_string()))
        })
        .collect()
}

/// Documents one step away from `value`: fields removed, replaced by every kind, one added;
/// recursively one level into objects.
fn neighbours(value: &Value, depth: usize, out: &mut Vec<Value>) {
    let kinds = [
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(""),
        json!("x"),
        json!([]),
        json!({}),
    ];
    let Value::Object(map) = value else {
        return;
    };
    let mut added = map.clone();
    added.insert("unknownField".into(), json!(1));
    out.push(Value::Object(added));
    for (key, field) in map {
        let mut removed = map.clone();
        removed.remove(key);
        out.push(Value::Object(removed));
        for kind in &kinds {
            let mut replaced = map.clone();
            replaced.insert(key.clone(), kind.clone());
            out.push(Value::Object(replaced));
        }
        if let Value::Array(items) = field {
            let mut longer = map.clone();
            let mut more = items.clone();
            more.extend(items.iter().cloned());
            longer.insert(key.clone(), Value::Array(more));
            out.push(Value::Object(longer));
            if let Some(first) = items.first() {
                let mut inner = Vec::new();
                neighbours(first, depth + 1, &mut inner);
                for changed in inner {
                    let mut replaced = map.clone();
                    replaced.insert(key.clone(), Value::Array(vec![changed]));
                    out.push(Value::Object(replaced));
                }
            }
        }
        if depth == 0 && field.is_object() {
            let mut inner = Vec::new();
            neighbours(field, depth + 1, &mut inner);
            for changed in inner {
                let mut replaced = map.clone();
                replaced.insert(key.clone(), changed);
                out.push(Value::Object(replaced));
            }
        }
    }
}

#[test]
fn template_schemas_exported_as_json_schema_and_imported_back_judge_documents_alike() {
    let root = template();
    let resolver = DirectoryResolver::find(&root).expect("the template is a CUE module");
    let mut checked_events = 0;
    let mut checked_documents = 0;
    let mut disagreements = Vec::new();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("sources"))
        .expect("sources/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    sources.sort();
    for dir in sources {
        let files = package_files(&dir);
        let package = Package::load(files.clone(), &resolver);
        assert!(
            package.diagnostics().is_empty(),
            "{}: {:?}",
            dir.display(),
            package.diagnostics()
        );
        for (event_type, definition) in events(&files) {
            let original = package
                .schema(Some(&definition))
                .unwrap_or_else(|e| panic!("{definition}: {}", e[0].message));
            let exported = package
                .json_schema(Some(&definition))
                .unwrap_or_else(|e| panic!("export {definition}: {}", e[0].message));
            let imported = jsonschema::import(
                &[Root {
                    uri: "file:///exported.json".into(),
                    document: &exported,
                    definition: "#Schema".into(),
                }],
                &NoDocuments,
                &Options {
                    package: None,
                    default_draft: None,
                },
            )
            .unwrap_or_else(|e| panic!("import {definition}: {e}\n{exported:#}"));
            let back = Package::load(
                PackageFiles {
                    files: vec![("back.cue".into(), imported.source.clone())],
                },
                &NoImports,
            );
            assert!(
                back.diagnostics().is_empty(),
                "{definition}: {:?}\n{}",
                back.diagnostics(),
                imported.source
            );
            let round_trip = back
                .schema(Some("#Schema"))
                .unwrap_or_else(|e| panic!("{definition}: {}\n{}", e[0].message, imported.source));
            let folder = dir.join("examples").join(
                event_type
                    .replace('%', "%25")
                    .replace(':', "%3A")
                    .replace('/', "%2F"),
            );
            let mut documents = Vec::new();
            for example in std::fs::read_dir(&folder)
                .map(|d| {
                    d.filter_map(|e| e.ok().map(|e| e.path()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
            {
                let value: Value =
                    serde_json::from_str(&std::fs::read_to_string(&example).expect("read"))
                        .expect("an example is JSON");
                documents.push(value.clone());
                neighbours(&value, 0, &mut documents);
            }
            assert!(
                !documents.is_empty(),
                "{event_type} has no examples in {}",
                folder.display()
            );
            checked_events += 1;
            let mut accepted = 0;
            for document in &documents {
                let text = document.to_string();
                let expected = original.validate_json("data.json", &text).is_valid();
                let got = round_trip.validate_json("data.json", &text).is_valid();
                accepted += expected as usize;
                checked_documents += 1;
                if expected != got {
                    disagreements.push(format!(
                        "{event_type} ({definition}): original valid={expected}, round trip valid={got}: {text}"
                    ));
                }
            }
            // The documents must test both ways: some accepted, some rejected.
            assert!(
                accepted > 0 && accepted < documents.len(),
                "{event_type}: {accepted} of {} accepted",
                documents.len()
            );
        }
    }
    println!(
        "round trip: {checked_events} event types, {checked_documents} documents, {} disagreements",
        disagreements.len()
    );
    assert!(
        checked_events >= 4,
        "only {checked_events} event types found"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
