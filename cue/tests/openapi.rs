//! Golden OpenAPI tests: every `tests/openapi/<case>.txtar` holds a schema and what the
//! reference `cue export --out openapi` printed for it (`openapi.json`), or its error
//! (`oracle-error`). Our export must equal the reference as JSON, except in cases whose
//! comment says `deviates: <why>` or where the reference failed: those compare with our own
//! reviewed output (`expect.json`, or `expect-error` when it refuses the package). Every document must parse as an `openapiv3::OpenAPI`.
//!
//! `UPDATE_EXPECT=1` reruns the oracle (`$CUE_ORACLE`, the `cue` of cue-oracle) and rewrites
//! `openapi.json`, `oracle-error`, `expect.json` and `expect-error`.

use std::path::PathBuf;

mod common;

use cue::txtar;
use cue::{NoImports, Package, PackageFiles};

struct Case {
    path: PathBuf,
    archive: txtar::Archive,
}

impl Case {
    fn name(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    }

    fn schema_files(&self) -> Vec<(String, String)> {
        self.archive
            .files
            .iter()
            .filter(|(n, _)| n.ends_with(".cue"))
            .cloned()
            .collect()
    }

    /// Why this case is expected to differ from the reference, if it is.
    fn deviation(&self) -> Option<String> {
        self.archive.comment.lines().find_map(|l| {
            l.trim_start()
                .strip_prefix("deviates:")
                .map(|r| r.trim().to_string())
        })
    }

    fn json(&self, name: &str) -> Option<serde_json::Value> {
        let text = self.archive.file(name)?;
        Some(
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{}: {name} is not JSON: {e}", self.path.display())),
        )
    }

    /// What our export must equal: the oracle's output, or our reviewed snapshot.
    fn compares_with_oracle(&self) -> bool {
        self.deviation().is_none() && self.archive.file("openapi.json").is_some()
    }

    fn export(&self) -> Result<serde_json::Value, String> {
        let package = Package::load(
            PackageFiles {
                files: self.schema_files(),
            },
            &NoImports,
        );
        package.openapi(None).map_err(|diagnostics| {
            diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect::<Vec<_>>()
                .join("\n")
        })
    }
}

fn cases() -> Vec<Case> {
    common::txtar_files(&common::tests_dir("openapi"))
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable case");
            Case {
                path,
                archive: txtar::parse(&text),
            }
        })
        .collect()
}

#[test]
fn openapi_goldens() {
    if std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1") {
        update();
        return;
    }
    let mut equal = 0;
    let mut snapshots = 0;
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let name = case.name();
        let ours = match case.export() {
            Ok(document) => document,
            Err(errors) => {
                // Refusing a package with errors is right when the snapshot says so.
                match case.archive.file("expect-error") {
                    Some(want) if !case.compares_with_oracle() && want.trim() == errors.trim() => {
                        snapshots += 1
                    }
                    _ => failures.push(format!("{name}: export failed:\n{errors}")),
                }
                continue;
            }
        };
        if let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(ours.clone()) {
            failures.push(format!("{name}: not an OpenAPI 3.0 document: {e}"));
        }
        let (want, what) = if case.compares_with_oracle() {
            (case.json("openapi.json"), "the reference cue")
        } else {
            (case.json("expect.json"), "expect.json")
        };
        let Some(want) = want else {
            failures.push(format!("{name}: no expectation (run with UPDATE_EXPECT=1)"));
            continue;
        };
        if ours == want {
            if case.compares_with_oracle() {
                equal += 1;
            } else {
                snapshots += 1;
            }
        } else {
            failures.push(format!(
                "{name}: differs from {what}\n ours: {}\n want: {}",
                serde_json::to_string(&ours["components"]).unwrap_or_default(),
                serde_json::to_string(&want["components"]).unwrap_or_default()
            ));
        }
    }
    println!(
        "openapi goldens: {} cases, {equal} equal to the reference cue, {snapshots} equal to \
         their reviewed snapshot (documented deviation or reference error)",
        cases.len()
    );
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("{f}");
        }
        panic!("{} openapi golden failures", failures.len());
    }
}

/// Runs the oracle once in batch mode over every case and rewrites each case's expectations.
fn update() {
    let work = std::env::temp_dir().join(format!("cue-openapi-{}", std::process::id()));
    let cases = cases();
    let mut items = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let dir = work.join(i.to_string());
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut args = vec!["export".to_string()];
        for (n, t) in case.schema_files() {
            std::fs::write(dir.join(&n), t).expect("write schema");
            args.push(n);
        }
        args.extend(["--out".to_string(), "openapi".to_string()]);
        items.push(serde_json::json!({"args": args, "cwd": dir.display().to_string()}));
    }
    let mut results = common::run_oracle_batch(&work, &items).into_iter();
    for case in &cases {
        let r = results.next().expect("one oracle result per case");
        let mut archive = case.archive.clone();
        archive.files.retain(|(n, _)| {
            !matches!(
                n.as_str(),
                "openapi.json" | "oracle-error" | "expect.json" | "expect-error"
            )
        });
        if r["code"].as_i64() == Some(0) {
            let document: serde_json::Value =
                serde_json::from_str(r["stdout"].as_str().unwrap_or("")).expect("oracle JSON");
            let text = serde_json::to_string_pretty(&document).expect("print JSON");
            archive.files.push(("openapi.json".into(), text + "\n"));
        } else {
            let stderr = r["stderr"].as_str().unwrap_or("").to_string();
            archive.files.push(("oracle-error".into(), stderr));
        }
        let updated = Case {
            path: case.path.clone(),
            archive: archive.clone(),
        };
        if !updated.compares_with_oracle() {
            match updated.export() {
                Ok(document) => {
                    let text = serde_json::to_string_pretty(&document).expect("print JSON");
                    archive.files.push(("expect.json".into(), text + "\n"));
                }
                Err(errors) => archive.files.push(("expect-error".into(), errors + "\n")),
            }
        }
        std::fs::write(&case.path, txtar::format(&archive)).expect("rewrite case");
    }
    let _ = std::fs::remove_dir_all(&work);
}
