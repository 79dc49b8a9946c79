//! What the engine's data-driven tests share: finding their case files, and running the
//! reference `cue` (the oracle) over many commands at once when expectations are refreshed.
//! (Each test crate uses part of it.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `.txtar` files of a folder, sorted by name.
pub(crate) fn txtar_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txtar"))
        .collect();
    files.sort();
    files
}

/// A folder of the cue crate's tests (`conformance`, `openapi`, ...).
pub(crate) fn tests_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

/// Every conformance case with its topic (the folder it is in), topics and cases sorted.
pub(crate) fn conformance_cases() -> Vec<(String, PathBuf)> {
    let root = tests_dir("conformance");
    let mut topics: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("the conformance directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    topics.sort();
    let mut out = Vec::new();
    for dir in topics {
        let topic = dir
            .file_name()
            .expect("a folder name")
            .to_string_lossy()
            .to_string();
        for path in txtar_files(&dir) {
            out.push((topic.clone(), path));
        }
    }
    out
}

/// Runs the oracle once in batch mode: one `{"args": [...], "cwd": "..."}` item per command,
/// written to `work/batch.jsonl`; one `{"code", "stdout", "stderr", ...}` result per command.
/// The oracle is `$CUE_ORACLE`, else the cue-oracle beside the project.
pub(crate) fn run_oracle_batch(work: &Path, items: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let oracle = std::env::var("CUE_ORACLE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/cue-oracle/cue")
        });
    assert!(oracle.exists(), "oracle not found at {}", oracle.display());
    std::fs::create_dir_all(work).expect("temp dir");
    let mut batch = String::new();
    for item in items {
        batch.push_str(&item.to_string());
        batch.push('\n');
    }
    let batch_file = work.join("batch.jsonl");
    std::fs::write(&batch_file, batch).expect("write batch");
    let output = Command::new(&oracle)
        .arg("--batch")
        .arg(&batch_file)
        .output()
        .expect("run the oracle");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .collect()
}
