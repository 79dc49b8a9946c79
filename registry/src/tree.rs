//! Reading packages straight from Git trees, without a work tree: the `.cue` files of a
//! package directory, the module path of `cue.mod/module.cue`, and `TreeResolver`, a
//! `cue::ImportResolver` that finds imported packages of the module in the same tree.

use cue::{ImportResolver, PackageFiles};
use std::path::Path;

use crate::files::MODULE_FILE;

/// Resolves imports of the module from one Git tree (a commit's root tree): the import path
/// `<module>/sources/common` names the `.cue` files of `sources/common` in that tree, as CUE's
/// loader would find them in a checkout. File names in positions are relative to the
/// repository root (`sources/common/money.cue`).
pub struct TreeResolver<'repo> {
    repository: &'repo git2::Repository,
    root: git2::Tree<'repo>,
    module: Option<String>,
}

impl<'repo> TreeResolver<'repo> {
    /// A resolver over `root`, with the module path read from its `cue.mod/module.cue`. Without
    /// a module file every import is left unresolved (the importer reports it).
    pub fn new(
        repository: &'repo git2::Repository,
        root: git2::Tree<'repo>,
    ) -> TreeResolver<'repo> {
        let module = read_text(repository, &root, MODULE_FILE)
            .ok()
            .flatten()
            .and_then(|text| cue::module_path(&text));
        TreeResolver {
            repository,
            root,
            module,
        }
    }

    /// The module path, when the tree has a module file that declares one.
    pub fn module(&self) -> Option<&str> {
        self.module.as_deref()
    }

    /// The directory (relative to the root) an import path names, or `None` when the path is
    /// not inside this module. `Err` for a path that tries to leave the module.
    pub fn directory_of(&self, import_path: &str) -> Result<Option<String>, String> {
        directory_of(self.module.as_deref(), import_path)
    }

    /// The id of the tree of the package directory an import path names, if it exists.
    pub fn tree_of(&self, import_path: &str) -> Option<git2::Oid> {
        let directory = self.directory_of(import_path).ok()??;
        subtree_id(&self.root, &directory)
    }
}

impl ImportResolver for TreeResolver<'_> {
    fn resolve(&self, import_path: &str) -> Result<Option<PackageFiles>, String> {
        let Some(directory) = self.directory_of(import_path)? else {
            return Ok(None);
        };
        let Some(tree_id) = subtree_id(&self.root, &directory) else {
            return Ok(None);
        };
        let tree = self
            .repository
            .find_tree(tree_id)
            .map_err(|error| format!("reading {directory}: {error}"))?;
        let qualifier = import_path.rsplit_once(':').map(|(_, name)| name);
        let files = package_files(self.repository, &tree, &directory, qualifier)
            .map_err(|error| format!("reading {directory}: {error}"))?;
        Ok(if files.files.is_empty() {
            None
        } else {
            Some(files)
        })
    }
}

/// The directory an import path names inside `module` (see [`TreeResolver::directory_of`]).
pub(crate) fn directory_of(
    module: Option<&str>,
    import_path: &str,
) -> Result<Option<String>, String> {
    let Some(module) = module else {
        return Ok(None);
    };
    let path = import_path
        .rsplit_once(':')
        .map_or(import_path, |(path, _)| path);
    let Some(rest) = path.strip_prefix(module) else {
        return Ok(None);
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        // `schemas.example.com2/x` is another module, not a folder of `schemas.example.com`.
        return Ok(None);
    }
    let rest = rest.trim_start_matches('/');
    if rest.split('/').any(|part| part == ".." || part == ".") {
        return Err(format!("import path {import_path:?} leaves the module"));
    }
    Ok(Some(rest.to_string()))
}

/// The id of the tree at `directory` (relative, `/`-separated) under `root`; the root itself
/// for an empty path.
pub(crate) fn subtree_id(root: &git2::Tree<'_>, directory: &str) -> Option<git2::Oid> {
    if directory.is_empty() {
        return Some(root.id());
    }
    let entry = root.get_path(Path::new(directory)).ok()?;
    (entry.kind() == Some(git2::ObjectType::Tree)).then(|| entry.id())
}

/// The text of the blob at `path` under `root`; `Ok(None)` when there is no such file.
pub(crate) fn read_text(
    repository: &git2::Repository,
    root: &git2::Tree<'_>,
    path: &str,
) -> Result<Option<String>, git2::Error> {
    let Ok(entry) = root.get_path(Path::new(path)) else {
        return Ok(None);
    };
    if entry.kind() != Some(git2::ObjectType::Blob) {
        return Ok(None);
    }
    let blob = repository.find_blob(entry.id())?;
    Ok(Some(String::from_utf8_lossy(blob.content()).into_owned()))
}

/// Whether a file name belongs to the package of its directory, as CUE's loader decides:
/// `.cue` files, except those starting with `_` or `.` and `_tool.cue` files.
pub(crate) fn is_package_file(name: &str) -> bool {
    name.ends_with(".cue")
        && !name.starts_with('_')
        && !name.starts_with('.')
        && !name.ends_with("_tool.cue")
}

/// The `.cue` files of the package in `tree` (one directory, not its subdirectories), in name
/// order, named `<directory>/<file>`. With a `qualifier` (`path:name` imports), only files
/// whose package clause names it.
pub(crate) fn package_files(
    repository: &git2::Repository,
    tree: &git2::Tree<'_>,
    directory: &str,
    qualifier: Option<&str>,
) -> Result<PackageFiles, git2::Error> {
    let mut files = Vec::new();
    for entry in tree.iter() {
        let Some(name) = entry.name() else { continue };
        if entry.kind() != Some(git2::ObjectType::Blob) || !is_package_file(name) {
            continue;
        }
        let blob = repository.find_blob(entry.id())?;
        let text = String::from_utf8_lossy(blob.content()).into_owned();
        if let Some(qualifier) = qualifier {
            let (file, _) = cue::parser::parse_file(cue::FileId(0), &text);
            if file.package.as_ref().map(|p| p.name.as_str()) != Some(qualifier) {
                continue;
            }
        }
        let shown = if directory.is_empty() {
            name.to_string()
        } else {
            format!("{directory}/{name}")
        };
        files.push((shown, text));
    }
    Ok(PackageFiles { files })
}

/// The non-builtin import paths of a package's files, sorted and without duplicates.
pub(crate) fn imports_of(files: &PackageFiles) -> Vec<String> {
    let mut imports = Vec::new();
    for (_, text) in &files.files {
        let (file, _) = cue::parser::parse_header(cue::FileId(0), text);
        for import in file.imports {
            if !cue::builtins::is_package(&import.path) {
                imports.push(import.path);
            }
        }
    }
    imports.sort();
    imports.dedup();
    imports
}

#[cfg(test)]
mod tests {
    use super::*;
    use cue::{Package, PackageFiles};

    /// Writes a tree of `(path, text)` files into a fresh bare repository, without a work tree.
    fn tree_with(files: &[(&str, &str)]) -> (tempfile::TempDir, git2::Repository, git2::Oid) {
        let directory = tempfile::tempdir().expect("temporary directory");
        let repository = git2::Repository::init_bare(directory.path()).expect("init");
        let mut index = git2::Index::new().expect("index");
        for (path, text) in files {
            let blob = repository.blob(text.as_bytes()).expect("blob");
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: text.len() as u32,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).expect("add");
        }
        let tree = index.write_tree_to(&repository).expect("tree");
        (directory, repository, tree)
    }

    const MODULE: &str = "module: \"schemas.example.com\"\nlanguage: version: \"v0.9.0\"\n";

    #[test]
    fn resolves_module_imports_from_the_tree() {
        let (_dir, repository, tree) = tree_with(&[
            (MODULE_FILE, MODULE),
            (
                "sources/common/money.cue",
                "package common\n#Money: {amount: int}\n",
            ),
            ("sources/common/_draft.cue", "package common\n#Draft: {}\n"),
            ("sources/common/nested/x.cue", "package nested\n"),
            ("sources/other/other.cue", "package other\n"),
            ("sources/other/alt.cue", "package alt\n#Alt: int\n"),
        ]);
        let root = repository.find_tree(tree).expect("root");
        let resolver = TreeResolver::new(&repository, root);
        assert_eq!(resolver.module(), Some("schemas.example.com"));

        let common = resolver
            .resolve("schemas.example.com/sources/common")
            .expect("readable")
            .expect("found");
        let names: Vec<&str> = common.files.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["sources/common/money.cue"]);

        // A qualifier picks the files of that package in a directory holding two.
        let alt = resolver
            .resolve("schemas.example.com/sources/other:alt")
            .expect("readable")
            .expect("found");
        assert_eq!(alt.files.len(), 1);
        assert_eq!(alt.files[0].0, "sources/other/alt.cue");

        assert!(resolver
            .resolve("schemas.example.com/sources/missing")
            .expect("ok")
            .is_none());
        assert!(resolver
            .resolve("other.example.com/x")
            .expect("ok")
            .is_none());
        assert!(resolver
            .resolve("schemas.example.comx/sources/common")
            .expect("ok")
            .is_none());
        assert!(resolver
            .resolve("schemas.example.com/sources/../x")
            .is_err());
        assert_eq!(
            resolver.tree_of("schemas.example.com/sources/common"),
            subtree_id(&repository.find_tree(tree).expect("root"), "sources/common")
        );
    }

    #[test]
    fn a_package_loads_with_imports_from_the_tree() {
        let (_dir, repository, tree) = tree_with(&[
            (MODULE_FILE, MODULE),
            (
                "sources/common/money.cue",
                "package common\n#Money: {amount: int & >=0}\n",
            ),
        ]);
        let resolver = TreeResolver::new(&repository, repository.find_tree(tree).expect("root"));
        let package = Package::load(
            PackageFiles {
                files: vec![(
                    "sources/shop/shop.cue".into(),
                    "package shop\nimport \"schemas.example.com/sources/common\"\n#Order: {total: common.#Money}\n".into(),
                )],
            },
            &resolver,
        );
        assert!(
            package.diagnostics().is_empty(),
            "{:?}",
            package.diagnostics()
        );
        let schema = package.schema(Some("#Order")).expect("schema");
        assert!(!schema
            .validate_json("d.json", "{\"total\": {\"amount\": -1}}")
            .is_valid());
        let names: Vec<String> = package
            .sources()
            .files()
            .map(|(_, f)| f.name.clone())
            .collect();
        assert!(
            names.contains(&"sources/common/money.cue".to_string()),
            "{names:?}"
        );
    }

    #[test]
    fn without_a_module_file_nothing_resolves() {
        let (_dir, repository, tree) =
            tree_with(&[("sources/common/money.cue", "package common\n")]);
        let resolver = TreeResolver::new(&repository, repository.find_tree(tree).expect("root"));
        assert_eq!(resolver.module(), None);
        assert!(resolver
            .resolve("schemas.example.com/sources/common")
            .expect("ok")
            .is_none());
    }

    #[test]
    fn lists_only_non_builtin_imports() {
        let files = PackageFiles {
            files: vec![(
                "a.cue".into(),
                "package a\nimport (\n\t\"strings\"\n\tc \"schemas.example.com/sources/common\"\n)\n".into(),
            )],
        };
        assert_eq!(imports_of(&files), ["schemas.example.com/sources/common"]);
    }
}
