//! Embeds the governance repository template (`schemas-repo-template/` at the workspace root)
//! in the binary for `cuemesh init`: writes the list of its files, each with an
//! `include_bytes!`, to `$OUT_DIR/template_files.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let template = manifest.join("..").join("schemas-repo-template");
    println!("cargo:rerun-if-changed={}", template.display());
    let mut files = Vec::new();
    collect(&template, &template, &mut files);
    files.sort();
    let mut out = String::from(
        "/// The template's files: (path relative to the repository root, contents), in path order.\n\
         pub(crate) const TEMPLATE_FILES: &[(&str, &[u8])] = &[\n",
    );
    for (relative, absolute) in &files {
        writeln!(
            out,
            "    ({relative:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        )
        .expect("writing to a string");
    }
    out.push_str("];\n");
    let destination =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo")).join("template_files.rs");
    std::fs::write(destination, out).expect("cannot write template_files.rs");
}

/// Every file under `directory` (hidden ones included: `.github`, `.gitignore`), as
/// (`/`-separated path relative to `root`, absolute path).
fn collect(root: &Path, directory: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(directory)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", directory.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path
                .strip_prefix(root)
                .expect("under the root")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((relative, path));
        }
    }
}
