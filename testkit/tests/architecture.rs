//! ARCHITECTURE.md stays true: every file, folder, module and type it names in backticks still
//! exists in the repository, and the document stays short enough to read (under 15 KB).
//!
//! A name is looked up by its form: a path (`registry/src/serve/`, `view.rs`) must be the end of
//! a tracked file's or folder's path; `a::b` must end in an item or module `b` defined in Rust
//! source; a CamelCase word must be a type, trait or enum variant defined in Rust source; a
//! lower-case word must be a module, a function, a folder or a crate of `Cargo.lock`. Commands, flags and other text
//! (anything with a space, `-` in front, `<`, `*`, `=` or quotes) are not names and are skipped.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const LIMIT: usize = 15 * 1024;

/// Words in backticks that name something outside the code (a CloudEvents attribute).
const TERMS: &[&str] = &["dataschema"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// Every file of the workspace outside `target/` and hidden folders, relative to the root.
fn files(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).expect("reading a folder") {
            let path = entry.expect("an entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}

/// The names Rust source defines: items (`fn`, `struct`, `enum`, `trait`, `type`, `mod`,
/// `const`, `static`), enum variants (a capitalised word opening a line inside a body), and
/// re-exported names.
fn defined_names(root: &Path, files: &[String]) -> BTreeSet<String> {
    let item = regex::Regex::new(
        r"\b(?:fn|struct|enum|trait|type|mod|const|static|use [\w:]+ as)\s+([A-Za-z_][A-Za-z0-9_]*)",
    )
    .expect("a pattern");
    let variant = regex::Regex::new(r"(?m)^\s+([A-Z][A-Za-z0-9]*)\s*[,({]").expect("a pattern");
    let reexport =
        regex::Regex::new(r"pub use [^;]*?([A-Za-z_][A-Za-z0-9_]*)\s*[;},]").expect("a pattern");
    let list = regex::Regex::new(r"pub use [\w:]+::\{([^}]*)\}").expect("a pattern");
    let mut names = BTreeSet::new();
    // The crates the workspace depends on (`thiserror`, `axum`) are names too.
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
    for line in lock.lines() {
        if let Some(name) = line.strip_prefix("name = \"") {
            names.insert(name.trim_end_matches('"').replace('-', "_"));
        }
    }
    for file in files.iter().filter(|f| f.ends_with(".rs")) {
        let text = std::fs::read_to_string(root.join(file)).expect("reading Rust source");
        for pattern in [&item, &variant, &reexport] {
            for capture in pattern.captures_iter(&text) {
                names.insert(capture[1].to_string());
            }
        }
        for capture in list.captures_iter(&text) {
            for name in capture[1].split(',') {
                names.insert(name.trim().rsplit("::").next().unwrap_or("").to_string());
            }
        }
    }
    names
}

/// Why `name` does not name anything in the repository, or `None` when it does (or is not a
/// name at all).
fn missing(name: &str, files: &[String], defined: &BTreeSet<String>) -> Option<String> {
    let not_a_name = |c: char| c.is_whitespace() || "<>*=\"'{}()[]|@!?$&,;".contains(c);
    if name.is_empty()
        || name.contains(not_a_name)
        || name.starts_with(['-', '.'])
        || TERMS.contains(&name)
    {
        return None;
    }
    let is_path = name.contains('/')
        || [
            ".rs", ".md", ".cue", ".json", ".toml", ".mjs", ".yml", ".sh",
        ]
        .iter()
        .any(|extension| name.ends_with(extension));
    if is_path {
        let wanted = name.trim_end_matches('/');
        let found = files.iter().any(|file| {
            file == wanted
                || file.ends_with(&format!("/{wanted}"))
                || file.starts_with(&format!("{wanted}/"))
                || file.contains(&format!("/{wanted}/"))
        });
        return (!found).then(|| format!("`{name}`: no such file or folder"));
    }
    if name.contains("::") {
        let last = name.rsplit("::").next().unwrap_or(name);
        let is_module = files
            .iter()
            .any(|f| f.ends_with(&format!("/{last}.rs")) || f.contains(&format!("/{last}/")));
        return (!defined.contains(last) && !is_module)
            .then(|| format!("`{name}`: nothing named `{last}` is defined"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let first = name.chars().next().unwrap_or(' ');
    if first.is_ascii_uppercase() && name.chars().any(|c| c.is_ascii_lowercase()) {
        return (!defined.contains(name)).then(|| format!("`{name}`: no such type or variant"));
    }
    if first.is_ascii_lowercase() {
        let is_module = files.iter().any(|f| {
            f.ends_with(&format!("/{name}.rs"))
                || f.contains(&format!("/{name}/"))
                || f.starts_with(&format!("{name}/"))
        });
        return (!is_module && !defined.contains(name))
            .then(|| format!("`{name}`: no such module, function or folder"));
    }
    None
}

/// The workspace's files and defined names, gathered once for both tests.
fn workspace() -> &'static (Vec<String>, BTreeSet<String>) {
    static WORKSPACE: std::sync::OnceLock<(Vec<String>, BTreeSet<String>)> =
        std::sync::OnceLock::new();
    WORKSPACE.get_or_init(|| {
        let root = root();
        let files = files(&root);
        let defined = defined_names(&root, &files);
        (files, defined)
    })
}

#[test]
fn architecture_names_only_what_exists() {
    let root = root();
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    assert!(
        text.len() < LIMIT,
        "ARCHITECTURE.md is {} bytes; keep it under {LIMIT}: a map, not a manual",
        text.len()
    );
    let (files, defined) = workspace();
    let span = regex::Regex::new(r"`([^`\n]+)`").expect("a pattern");
    let mut problems = Vec::new();
    let mut checked = 0;
    for (number, line) in text.lines().enumerate() {
        for capture in span.captures_iter(line) {
            let name = &capture[1];
            checked += 1;
            if let Some(problem) = missing(name, files, defined) {
                problems.push(format!("ARCHITECTURE.md:{}: {problem}", number + 1));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} names found: is the document still there?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_finds_what_is_gone() {
    let (files, defined) = workspace();
    for gone in [
        "cue/src/eval/fast.rs",
        "registry/src/serve/gone/",
        "NoSuchVertexView",
        "serve::no_such_route",
        "nosuchmodule",
    ] {
        assert!(
            missing(gone, files, defined).is_some(),
            "`{gone}` should be reported missing"
        );
    }
    for present in [
        "cue/src/eval/view.rs",
        "registry/src/serve/",
        "view.rs",
        "VertexView",
        "serve::app",
        "cue::jsonschema",
        "eval",
        "cuemesh reference markdown",
        "--format json",
    ] {
        assert_eq!(missing(present, files, defined), None, "`{present}`");
    }
}
