//! The history cache as the commands use it: `versions` writes it beside the clone and a
//! later run prints the same from it, a damaged one is rebuilt with a warning on stderr, and
//! `serve` stops within its deadline even while a reload runs, leaving the cache whole.

mod common;

use common::cuemesh;
use cuemesh_testkit::generate;
use std::path::Path;
use std::time::{Duration, Instant};

/// The cache files (not temporary ones) in `directory`.
fn cache_files(directory: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().and_then(|e| e.to_str()) == Some("cache"))
        .filter(|path| {
            // The numbering files; an index's start also writes its latest versions beside them.
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("history-"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn versions_writes_the_cache_beside_the_clone_and_rebuilds_a_damaged_one_with_a_warning() {
    let dir = tempfile::tempdir().expect("a directory");
    let repository = common::template_repository(dir.path());
    let repo = repository.to_str().expect("a UTF-8 path");
    let args = ["--format", "json", "versions", "--repo", repo];
    let first = cuemesh(dir.path(), &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let files = cache_files(&repository.join(".git/cuemesh"));
    assert_eq!(files.len(), 1, "{files:?}");

    let second = cuemesh(dir.path(), &args);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.stdout, first.stdout);
    assert!(!second.stderr.contains("warning"), "{}", second.stderr);

    // One byte of the payload changed: the run warns, prints the same, and writes a good file.
    let mut bytes = std::fs::read(&files[0]).expect("the cache");
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01;
    std::fs::write(&files[0], &bytes).expect("damage");
    let damaged = cuemesh(dir.path(), &args);
    assert_eq!(damaged.code, 0, "{}", damaged.stderr);
    assert_eq!(damaged.stdout, first.stdout);
    assert!(
        damaged.stderr.contains("warning")
            && damaged.stderr.contains("is damaged")
            && damaged
                .stderr
                .contains("numbering main from its first commit"),
        "{}",
        damaged.stderr
    );
    let again = cuemesh(dir.path(), &args);
    assert!(!again.stderr.contains("warning"), "{}", again.stderr);
    assert_eq!(again.stdout, first.stdout);
}

#[test]
fn history_cache_names_another_directory() {
    let dir = tempfile::tempdir().expect("a directory");
    let repository = common::template_repository(dir.path());
    let elsewhere = dir.path().join("elsewhere");
    let run = cuemesh(
        dir.path(),
        &[
            "versions",
            "--repo",
            repository.to_str().expect("UTF-8"),
            "--history-cache",
            elsewhere.to_str().expect("UTF-8"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(cache_files(&elsewhere).len(), 1);
    assert!(cache_files(&repository.join(".git/cuemesh")).is_empty());
}

/// A child process killed (if still running) when the test ends, failed or not.
struct KilledOnDrop<'c>(&'c mut std::process::Child);

impl Drop for KilledOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_shutdown_signal_stops_serve_within_its_deadline_while_a_reload_runs() {
    let dir = tempfile::tempdir().expect("a directory");
    let repository = dir.path().join("generated.git");
    // Sources that all import `common`: a commit changing `common` makes every package state
    // new, a reload of many seconds in a debug build.
    generate::generate(
        &repository,
        generate::Shape {
            sources: 40,
            events_per_source: 4,
            versions_per_type: 2,
        },
    );
    let cache = dir.path().join("history-cache");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_cuemesh"))
        .args(["serve", "--listen", "127.0.0.1:0", "--poll", "1", "--repo"])
        .arg(&repository)
        .arg("--history-cache")
        .arg(&cache)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start cuemesh serve");
    let server = KilledOnDrop(&mut server);
    let lines = common::lines_on_a_thread(server.0.stderr.take().expect("stderr"));
    let mut seen = Vec::new();
    let mut wait_for = |needle: &str| loop {
        match lines.recv_timeout(Duration::from_secs(120)) {
            Ok(line) if line.contains(needle) => break,
            Ok(line) => seen.push(line),
            Err(error) => panic!("no line with {needle:?} on stderr ({error}): {seen:?}"),
        }
    };
    wait_for("listening on http://");
    let written = cache_files(&cache);
    assert_eq!(written.len(), 1, "the first index writes the cache");
    let latest = cuemesh_registry::HistoryCache::new(&cache).latest_file_of("main");
    assert!(
        latest.exists(),
        "the first index writes its latest versions"
    );
    let before = std::fs::read(&written[0]).expect("the cache");

    // A commit that changes the package every source imports.
    let git = git2::Repository::open(&repository).expect("open");
    let tip = git
        .revparse_single("main")
        .and_then(|object| object.peel_to_commit())
        .expect("main");
    let common_path = Path::new("sources/common/money.cue");
    let entry = tip
        .tree()
        .expect("tree")
        .get_path(common_path)
        .expect("common");
    let text = String::from_utf8(git.find_blob(entry.id()).expect("blob").content().to_vec())
        .expect("text")
        .replace("int & >=0", "int & >=1");
    let mut index = git2::Index::new().expect("index");
    index.read_tree(&tip.tree().expect("tree")).expect("read");
    let blob = git.blob(text.as_bytes()).expect("blob");
    index
        .add(&cuemesh_testkit::git::index_entry(
            "sources/common/money.cue",
            blob,
            text.len(),
        ))
        .expect("add");
    let tree = git
        .find_tree(index.write_tree_to(&git).expect("tree"))
        .expect("tree");
    let signature =
        git2::Signature::new("Ada", "ada@example.com", &git2::Time::new(1_900_000_000, 0))
            .expect("signature");
    git.commit(
        Some("refs/heads/main"),
        &signature,
        &signature,
        "Common: positive amounts",
        &tree,
        &[&tip],
    )
    .expect("commit");

    wait_for("reloading main");
    let signalled = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let deadline = signalled + Duration::from_secs(2);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop within 2 s of SIGTERM during a reload"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    // The process is gone: its stderr ends, and the reader thread with it.
    let rest: Vec<String> = lines.iter().collect();
    assert!(
        !rest.iter().any(|line| line.contains("reloaded main")),
        "the reload finished before the signal; make it longer: {rest:?}"
    );

    // The cache is the one the first index wrote, whole; a restart reads it without a warning.
    assert_eq!(cache_files(&cache), written);
    assert_eq!(std::fs::read(&written[0]).expect("the cache"), before);
    let listed = cuemesh(
        dir.path(),
        &[
            "versions",
            "--repo",
            repository.to_str().expect("UTF-8"),
            "--history-cache",
            cache.to_str().expect("UTF-8"),
        ],
    );
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(!listed.stderr.contains("warning"), "{}", listed.stderr);
}
