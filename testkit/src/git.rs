//! Real Git repositories for tests: [`TestRepository`] writes commits with chosen authors,
//! times, branches and merges from in-memory indexes (no checkout needed);
//! [`template_repository`] commits this project's repository template with a work tree.

use std::path::{Path, PathBuf};

pub const MODULE: &str = "module: \"schemas.example.com\"\nlanguage: version: \"v0.9.0\"\n";

/// A repository under construction in a temporary directory.
pub struct TestRepository {
    pub directory: tempfile::TempDir,
    pub git: git2::Repository,
    /// Seconds added to each commit's time, so that times are distinct and increasing.
    clock: i64,
}

/// A change to one file: new text, or `None` to delete it.
pub type Change<'a> = (&'a str, Option<&'a str>);

impl Default for TestRepository {
    fn default() -> TestRepository {
        TestRepository::new()
    }
}

impl TestRepository {
    /// A new repository with a work tree and `HEAD` on `main`.
    pub fn new() -> TestRepository {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut options = git2::RepositoryInitOptions::new();
        options.initial_head("main");
        let git = git2::Repository::init_opts(directory.path(), &options).expect("git init");
        TestRepository {
            directory,
            git,
            clock: 1_700_000_000,
        }
    }

    pub fn path(&self) -> &Path {
        self.directory.path()
    }

    /// A new repository whose first commit on `main`, by `author`, writes
    /// `cue.mod/module.cue` (`MODULE`) and `files`.
    pub fn with_module(author: &str, message: &str, files: &[Change<'_>]) -> TestRepository {
        let mut repo = TestRepository::new();
        let mut changes = vec![("cue.mod/module.cue", Some(MODULE))];
        changes.extend_from_slice(files);
        repo.commit("main", author, message, &changes);
        repo
    }

    /// Commits `changes` on top of `branch` (created on the first commit) by `author`.
    pub fn commit(
        &mut self,
        branch: &str,
        author: &str,
        message: &str,
        changes: &[Change<'_>],
    ) -> git2::Oid {
        let parent = self.tip(branch);
        let parents: Vec<git2::Oid> = parent.into_iter().collect();
        self.commit_with_parents(branch, &parents, author, message, changes)
    }

    /// Merges `other` into `branch` with a merge commit whose tree is `branch`'s tree with
    /// `changes` applied (the test states the merge result).
    pub fn merge(
        &mut self,
        branch: &str,
        other: &str,
        author: &str,
        changes: &[Change<'_>],
    ) -> git2::Oid {
        let parents = vec![
            self.tip(branch).expect("branch has commits"),
            self.tip(other).expect("other branch has commits"),
        ];
        self.commit_with_parents(branch, &parents, author, &format!("Merge {other}"), changes)
    }

    /// Creates `branch` at the tip of `from`.
    pub fn branch(&self, branch: &str, from: &str) {
        let commit = self
            .git
            .find_commit(self.tip(from).expect("from has commits"))
            .expect("commit");
        self.git.branch(branch, &commit, false).expect("branch");
    }

    pub fn tip(&self, branch: &str) -> Option<git2::Oid> {
        self.git
            .find_reference(&format!("refs/heads/{branch}"))
            .ok()
            .and_then(|reference| reference.target())
    }

    pub fn commit_with_parents(
        &mut self,
        branch: &str,
        parents: &[git2::Oid],
        author: &str,
        message: &str,
        changes: &[Change<'_>],
    ) -> git2::Oid {
        let mut index = git2::Index::new().expect("index");
        if let Some(first) = parents.first() {
            let tree = self
                .git
                .find_commit(*first)
                .expect("parent")
                .tree()
                .expect("tree");
            index.read_tree(&tree).expect("read tree");
        }
        for (path, text) in changes {
            match text {
                Some(text) => {
                    let blob = self.git.blob(text.as_bytes()).expect("blob");
                    index
                        .add(&index_entry(path, blob, text.len()))
                        .expect("add");
                }
                None => index.remove_path(Path::new(path)).expect("remove"),
            }
        }
        let tree = self
            .git
            .find_tree(index.write_tree_to(&self.git).expect("write tree"))
            .expect("tree");
        self.clock += 3600;
        let time = git2::Time::new(self.clock, 120);
        let email = format!("{}@example.com", author.to_lowercase());
        let signature = git2::Signature::new(author, &email, &time).expect("signature");
        let parent_commits: Vec<git2::Commit<'_>> = parents
            .iter()
            .map(|id| self.git.find_commit(*id).expect("parent"))
            .collect();
        let parent_refs: Vec<&git2::Commit<'_>> = parent_commits.iter().collect();
        self.git
            .commit(
                Some(&format!("refs/heads/{branch}")),
                &signature,
                &signature,
                message,
                &tree,
                &parent_refs,
            )
            .expect("commit")
    }
}

/// An index entry for a regular file at `path` holding `blob` of `size` bytes, for tests that
/// build commits from an index of their own.
pub fn index_entry(path: &str, blob: git2::Oid, size: usize) -> git2::IndexEntry {
    git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        file_size: size as u32,
        id: blob,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// The repository template of this project (`schemas-repo-template/`), relative to the crate.
pub fn template_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas-repo-template")
}

/// A Git repository on `main` with the files of `template_directory()` in one commit, then
/// one more commit per `(path, text)` of `changes` (each a new version where it changes a
/// schema).
pub fn template_repository(changes: &[(&str, &str)]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let git = git2::Repository::init_opts(directory.path(), &options).expect("git init");
    copy_tree(&template_directory(), directory.path());
    let mut index = git.index().expect("the repository's index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("adding the template");
    let mut time = 1_700_000_000;
    let mut message = "Start from the template".to_string();
    let mut pending = changes.iter();
    loop {
        commit_index(&git, &mut index, "Ada", time, &message);
        let Some((path, text)) = pending.next() else {
            break;
        };
        std::fs::write(directory.path().join(path), text).expect("writing a change");
        index.add_path(Path::new(path)).expect("adding a change");
        time += 3600;
        message = format!("Change {path}");
    }
    directory
}

/// Commits what `index` holds on `HEAD` (after the commit there, if any) by `author`
/// <ada@example.com> at `time` (seconds since the epoch, UTC); returns the commit.
pub fn commit_index(
    git: &git2::Repository,
    index: &mut git2::Index,
    author: &str,
    time: i64,
    message: &str,
) -> git2::Oid {
    index.write().expect("writing the index");
    let tree = git
        .find_tree(index.write_tree().expect("write tree"))
        .expect("tree");
    let signature = git2::Signature::new(author, "ada@example.com", &git2::Time::new(time, 0))
        .expect("signature");
    let parent = git
        .head()
        .ok()
        .map(|head| head.peel_to_commit().expect("HEAD's commit"));
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    git.commit(
        Some("HEAD"),
        &signature,
        &signature,
        message,
        &tree,
        &parents,
    )
    .expect("commit")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("reading the template") {
        let path = entry.expect("an entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("a directory");
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copying a template file");
        }
    }
}
