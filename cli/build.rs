//! Embeds the governance repository template (`schemas-repo-template/` at the workspace root)
//! in the binary for `cuemesh init`: writes the list of its files, each with an
//! `include_bytes!`, to `$OUT_DIR/template_files.rs`. Also sets `CUEMESH_VERSION`, what
//! `cuemesh --version` prints: the package version and the commit it was built from.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    embed_version(&manifest);
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

/// Sets `CUEMESH_VERSION` to "<version> (<12 hex digits> <commit date>)", like `rustc -V`.
/// The commit is `CUEMESH_BUILD_COMMIT` when set (a build from a source archive, which has no
/// `.git`), else what Git says of the checkout; without either the version stands alone. The
/// build script runs again when HEAD or the branch it names moves, so the commit shown is
/// never a stale one.
fn embed_version(manifest: &Path) {
    println!("cargo:rerun-if-env-changed=CUEMESH_BUILD_COMMIT");
    let commit = match std::env::var("CUEMESH_BUILD_COMMIT") {
        Ok(given) => given,
        Err(_) => {
            for watched in git_files_naming_head(manifest) {
                println!("cargo:rerun-if-changed={}", watched.display());
            }
            git(
                manifest,
                &["log", "-1", "--format=%h %cs", "--abbrev=12", "HEAD"],
            )
            .unwrap_or_default()
        }
    };
    let version = std::env::var("CARGO_PKG_VERSION").expect("set by cargo");
    if commit.is_empty() {
        println!("cargo:rustc-env=CUEMESH_VERSION={version}");
    } else {
        println!("cargo:rustc-env=CUEMESH_VERSION={version} ({commit})");
    }
}

/// The files whose change moves HEAD: HEAD itself, the branch file it names and the packed
/// references. Only files that exist are listed: Cargo reruns a build script on every build
/// when a watched file is missing.
fn git_files_naming_head(manifest: &Path) -> Vec<PathBuf> {
    let mut names = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(manifest, &["symbolic-ref", "-q", "HEAD"]) {
        names.push(branch);
    }
    names
        .iter()
        .filter_map(|name| git(manifest, &["rev-parse", "--git-path", name]))
        .map(|path| manifest.join(path))
        .filter(|path| path.is_file())
        .collect()
}

/// The trimmed standard output of `git ARGS` run in `directory`, when it succeeds.
fn git(directory: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(directory)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}
