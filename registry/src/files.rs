//! The files of a governance repository that lint and check read: a governance repository's tree as (path, bytes) pairs, from a working
//! directory or built in memory, and an [`ImportResolver`] over them.
//!
//! Lint and check never touch the file system past this point, so the same rules run on a checkout, on
//! a Git tree read at some ref, or on files a test writes in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cue::{ImportResolver, PackageFiles};

/// The module file every governance repository has (CUE's own).
pub const MODULE_FILE: &str = "cue.mod/module.cue";
/// The registry settings file at the repository root.
pub const SETTINGS_FILE: &str = "cuemesh.cue";
/// The folder holding one package per data product.
pub const SOURCES_DIRECTORY: &str = "sources";
/// What `cuemesh import registry` records at the repository root: per subject of the registry
/// it read, the source and type that subject became (`subjects.<name>.source`, `.type`).
pub const IMPORT_RECORD_FILE: &str = "registry-import.json";
/// Where GitHub looks for a `CODEOWNERS` file, in the order it looks.
pub const CODEOWNERS_PATHS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// The files of a governance repository that lint reads: `cue.mod/module.cue`, `cuemesh.cue`,
/// the `CODEOWNERS` files and everything under `sources/` and `consumers/`, by repository-relative path with `/` separators.
#[derive(Debug, Clone, Default)]
pub struct RepoFiles {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Files that exist but could not be read (path, error): lint reports them and goes on.
    pub unreadable: Vec<(String, String)>,
}

/// Why a repository's files could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("no {MODULE_FILE} found in {} or any parent directory: not a CUE module", start.display())]
    NoModule { start: PathBuf },
    #[error("{MODULE_FILE} declares no `module: \"...\"` path")]
    NoModulePath,
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl RepoFiles {
    /// Builds the tree from in-memory (path, text) pairs.
    pub fn from_texts<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> RepoFiles {
        RepoFiles {
            files: files
                .into_iter()
                .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec()))
                .collect(),
            unreadable: Vec::new(),
        }
    }

    /// The first directory from `start` upwards that holds `cue.mod/module.cue`.
    pub fn find_root(start: &Path) -> Result<PathBuf, FilesError> {
        let absolute = std::path::absolute(start).map_err(|source| FilesError::Io {
            path: start.to_path_buf(),
            source,
        })?;
        let mut directory = Some(absolute.as_path());
        while let Some(candidate) = directory {
            if candidate.join(MODULE_FILE).is_file() {
                return Ok(candidate.to_path_buf());
            }
            directory = candidate.parent();
        }
        Err(FilesError::NoModule {
            start: start.to_path_buf(),
        })
    }

    /// Reads the repository rooted at `root` (which holds `cue.mod/module.cue`). A file under
    /// `sources/` that cannot be read is listed in [`RepoFiles::unreadable`]; only an unreadable
    /// module file or `sources/` folder is an error.
    pub fn read_directory(root: &Path) -> Result<RepoFiles, FilesError> {
        let mut tree = RepoFiles::default();
        let module = root.join(MODULE_FILE);
        let text = std::fs::read(&module).map_err(|source| FilesError::Io {
            path: module.clone(),
            source,
        })?;
        tree.files.insert(MODULE_FILE.to_string(), text);
        for path in std::iter::once(SETTINGS_FILE).chain(CODEOWNERS_PATHS) {
            let file = root.join(path);
            if file.is_file() {
                match std::fs::read(&file) {
                    Ok(text) => {
                        tree.files.insert(path.to_string(), text);
                    }
                    Err(error) => tree.unreadable.push((path.to_string(), error.to_string())),
                }
            }
        }
        let sources = root.join(SOURCES_DIRECTORY);
        if sources.is_dir() {
            tree.read_folder(&sources, SOURCES_DIRECTORY)?;
        }
        let consumers = root.join(crate::consumer::CONSUMERS_DIRECTORY);
        if consumers.is_dir() {
            tree.read_folder(&consumers, crate::consumer::CONSUMERS_DIRECTORY)?;
        }
        Ok(tree)
    }

    fn read_folder(&mut self, folder: &Path, relative: &str) -> Result<(), FilesError> {
        let entries = std::fs::read_dir(folder).map_err(|source| FilesError::Io {
            path: folder.to_path_buf(),
            source,
        })?;
        let mut children = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => children.push(entry.path()),
                Err(error) => self
                    .unreadable
                    .push((relative.to_string(), error.to_string())),
            }
        }
        children.sort();
        for child in children {
            let Some(name) = child.file_name().and_then(|n| n.to_str()) else {
                self.unreadable.push((
                    format!("{relative}/{}", child.display()),
                    "the file name is not UTF-8".to_string(),
                ));
                continue;
            };
            let path = format!("{relative}/{name}");
            if child.is_dir() {
                // A folder that cannot be listed is one more unreadable entry, not the end.
                if let Err(FilesError::Io { source, .. }) = self.read_folder(&child, &path) {
                    self.unreadable.push((path, source.to_string()));
                }
            } else {
                match std::fs::read(&child) {
                    Ok(bytes) => {
                        self.files.insert(path, bytes);
                    }
                    Err(error) => self.unreadable.push((path, error.to_string())),
                }
            }
        }
        Ok(())
    }

    /// The text of a file, when it exists and is UTF-8.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
    }
}

/// Resolves `module/path/to/pkg` imports to the `.cue` files of `path/to/pkg` in a
/// [`RepoFiles`], like [`cue::DirectoryResolver`] does on disk.
pub(crate) struct FilesResolver<'t> {
    pub(crate) module: &'t str,
    pub(crate) tree: &'t RepoFiles,
}

impl ImportResolver for FilesResolver<'_> {
    fn resolve(&self, import_path: &str) -> Result<Option<PackageFiles>, String> {
        let (path, qualifier) = match import_path.rsplit_once(':') {
            Some((path, qualifier)) => (path, Some(qualifier)),
            None => (import_path, None),
        };
        let Some(rest) = path.strip_prefix(self.module) else {
            return Ok(None);
        };
        if !rest.is_empty() && !rest.starts_with('/') {
            return Ok(None);
        }
        let folder = rest.trim_start_matches('/');
        let mut files = Vec::new();
        for name in package_file_names(self.tree, folder) {
            let Some(text) = self.tree.text(&name) else {
                return Err(format!("{name} is not UTF-8"));
            };
            if let Some(qualifier) = qualifier {
                let (file, _) = cue::parser::parse_file(cue::FileId(0), text);
                if file.package.as_ref().map(|p| p.name.as_str()) != Some(qualifier) {
                    continue;
                }
            }
            files.push((name, text.to_string()));
        }
        if files.is_empty() {
            return Ok(None);
        }
        Ok(Some(PackageFiles { files }))
    }
}

/// The `.cue` files directly in `folder` that CUE's loader takes into the package (not `_*`,
/// `.*` or `*_tool.cue`), in name order.
pub(crate) fn package_file_names(tree: &RepoFiles, folder: &str) -> Vec<String> {
    let prefix = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    tree.files
        .keys()
        .filter_map(|path| {
            let name = path.strip_prefix(&prefix)?;
            is_package_file_name(name).then(|| path.clone())
        })
        .collect()
}

/// Whether a file name (no folder) is one CUE's loader reads into a package.
pub(crate) fn is_package_file_name(name: &str) -> bool {
    name.ends_with(".cue")
        && !name.contains('/')
        && !name.starts_with('_')
        && !name.starts_with('.')
        && !name.ends_with("_tool.cue")
}
