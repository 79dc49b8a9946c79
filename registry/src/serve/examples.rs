//! The example payloads of each version, for the catalog: the files under
//! `<source directory>/examples/<type, percent-encoded>/` as they stood at the last commit at
//! which the version was the current one (the branch tip for a current version; for an older
//! one, the first parent of the commit that made the next version), each validated against the
//! version.

use super::index::{GitReader, IndexedVersion};
use crate::source::{examples_folder_name, EXAMPLES_DIRECTORY};
use std::path::Path;

/// One example payload of a version.
#[derive(Debug, Clone)]
pub struct Example {
    /// The file's path in the repository.
    pub path: String,
    /// The file's name (`ada.json`).
    pub name: String,
    /// The file's text (lossily decoded when it is not UTF-8).
    pub text: String,
    /// The violations of the version's schema, `path: message` each; empty when it is valid.
    pub problems: Vec<String>,
}

/// Examples larger than this are listed with a note instead of their text.
const MAX_EXAMPLE_BYTES: usize = 64 * 1024;

/// The examples of `version` as they stood at commit `at`, the last commit at which it was
/// its type's current version, each validated against it.
pub(crate) fn examples_of(
    git: &GitReader,
    event_type: &str,
    version: &IndexedVersion,
    at: git2::Oid,
) -> Vec<Example> {
    let folder = examples_folder_name(event_type);
    let directory = format!(
        "{}/{EXAMPLES_DIRECTORY}/{folder}",
        version.version.directory
    );
    // Read with the handle held, validated without it (validating may read the package).
    let files = read_folder(&git.lock(), at, &directory).unwrap_or_default();
    if files.is_empty() {
        return Vec::new();
    }
    files
        .into_iter()
        .map(|(name, text)| {
            let path = format!("{directory}/{name}");
            let problems = match (&text, &version.documents().validator) {
                (None, _) => vec![format!("larger than {MAX_EXAMPLE_BYTES} bytes: not shown")],
                (Some(text), Ok(validator)) => validator
                    .validate_json(&name, text)
                    .errors
                    .iter()
                    .map(|error| format!("{}: {}", error.path, error.message))
                    .map(|line| line.trim_start_matches(": ").to_string())
                    .collect(),
                (Some(_), Err(message)) => vec![format!("not validated: {message}")],
            };
            Example {
                path,
                name,
                text: text.unwrap_or_default(),
                problems,
            }
        })
        .collect()
}

/// The first parent of `commit`, when it has one.
pub(crate) fn first_parent(git: &git2::Repository, commit: &str) -> Option<git2::Oid> {
    let oid = git2::Oid::from_str(commit).ok()?;
    git.find_commit(oid).ok()?.parent_id(0).ok()
}

/// `(file name, text)` of the files of `directory` at commit `at`, in name order; the text is
/// `None` for a file over [`MAX_EXAMPLE_BYTES`].
fn read_folder(
    git: &git2::Repository,
    at: git2::Oid,
    directory: &str,
) -> Option<Vec<(String, Option<String>)>> {
    let root = git.find_commit(at).ok()?.tree().ok()?;
    let entry = root.get_path(Path::new(directory)).ok()?;
    let folder = git.find_tree(entry.id()).ok()?;
    let mut files = Vec::new();
    for file in folder.iter() {
        let (Some(name), Some(git2::ObjectType::Blob)) = (file.name(), file.kind()) else {
            continue;
        };
        let Ok(blob) = git.find_blob(file.id()) else {
            continue;
        };
        let text = (blob.size() <= MAX_EXAMPLE_BYTES)
            .then(|| String::from_utf8_lossy(blob.content()).into_owned());
        files.push((name.to_string(), text));
    }
    files.sort();
    Some(files)
}
