//! The current state `check` compares: every package under `sources/` of the working tree,
//! uncommitted changes included, loaded exactly as the repository model loads a commit's.

use std::collections::HashMap;

use cue::{Package, PackageFiles};

use crate::files::{package_file_names, FilesResolver, RepoFiles, SOURCES_DIRECTORY};
use crate::source::{self, PreparedSource, Source};
use crate::tree;
use cue::MemoryResolver;

/// One package of the working tree: the model's view and what the engine needs to load it
/// again for a compatibility check.
pub(crate) struct WorkingPackage {
    pub(crate) source: Source,
    pub(crate) files: PackageFiles,
    pub(crate) imports: HashMap<String, PackageFiles>,
}

impl WorkingPackage {
    /// The package evaluated by the engine (the model keeps only its results).
    pub(crate) fn package(&self) -> Package {
        let resolver = MemoryResolver {
            packages: self.imports.clone(),
        };
        Package::load(self.files.clone(), &resolver)
    }
}

/// What one package directory of the working tree is made of, read but not evaluated.
pub(crate) struct WorkingInputs {
    pub(crate) directory: String,
    pub(crate) files: PackageFiles,
    /// Every package it imports, directly or not, by import path.
    pub(crate) imports: HashMap<String, PackageFiles>,
}

impl WorkingInputs {
    /// Evaluates the package as the model would.
    pub(crate) fn load(self) -> WorkingPackage {
        let prepared = PreparedSource {
            directory: self.directory.clone(),
            tree_id: git2::Oid::zero(),
            files: self.files.clone(),
            imports: self.imports.clone(),
            examples: Vec::new(),
        };
        WorkingPackage {
            source: source::load_source(prepared),
            files: self.files,
            imports: self.imports,
        }
    }

    /// Every text the package's evaluation reads, as sorted (name, text) pairs: two packages
    /// with the same fingerprint load to the same model.
    pub(crate) fn fingerprint(&self) -> Vec<(String, String)> {
        fingerprint(&self.files, &self.imports)
    }
}

/// The sorted (name, text) pairs of a package's files and of every package it imports.
pub(crate) fn fingerprint(
    files: &PackageFiles,
    imports: &HashMap<String, PackageFiles>,
) -> Vec<(String, String)> {
    let mut texts: Vec<(String, String)> = files.files.clone();
    let mut import_paths: Vec<&String> = imports.keys().collect();
    import_paths.sort();
    for path in import_paths {
        texts.push((format!("import {path}"), String::new()));
        texts.extend(imports[path].files.iter().cloned());
    }
    texts
}

/// Reads every package directory directly under `sources/` (folders without `.cue` files are
/// not packages), in directory order.
pub(crate) fn read(tree: &RepoFiles, module: Option<&str>) -> Vec<WorkingInputs> {
    let mut directories: Vec<String> = tree
        .files
        .keys()
        .filter_map(|path| {
            let rest = path.strip_prefix(SOURCES_DIRECTORY)?.strip_prefix('/')?;
            let (name, _) = rest.split_once('/')?;
            Some(format!("{SOURCES_DIRECTORY}/{name}"))
        })
        .collect();
    directories.dedup();
    let mut packages = Vec::new();
    for directory in directories {
        let names = package_file_names(tree, &directory);
        if names.is_empty() {
            continue;
        }
        let files = PackageFiles {
            files: names
                .iter()
                .map(|name| {
                    let bytes = tree.files.get(name).map(Vec::as_slice).unwrap_or_default();
                    (name.clone(), String::from_utf8_lossy(bytes).into_owned())
                })
                .collect(),
        };
        let imports = import_closure(tree, module, &files);
        packages.push(WorkingInputs {
            directory,
            files,
            imports,
        });
    }
    packages
}

/// Every package `files` imports from the module, directly or not, by import path.
fn import_closure(
    tree: &RepoFiles,
    module: Option<&str>,
    files: &PackageFiles,
) -> HashMap<String, PackageFiles> {
    let mut closure = HashMap::new();
    let Some(module) = module else {
        return closure;
    };
    let resolver = FilesResolver { module, tree };
    let mut pending = tree::imports_of(files);
    while let Some(import) = pending.pop() {
        if closure.contains_key(&import) {
            continue;
        }
        if let Ok(Some(imported)) = cue::ImportResolver::resolve(&resolver, &import) {
            pending.extend(tree::imports_of(&imported));
            closure.insert(import, imported);
        }
    }
    closure
}
