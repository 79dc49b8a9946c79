//! The global output flags of the built binary: colour only on a terminal (or when forced),
//! `NO_COLOR` honoured, `--quiet` silencing progress but never errors, `--verbose` adding
//! details. Stderr is a pipe here, which is what "not a terminal" means.

mod common;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ESCAPE: char = '\x1b';

/// Runs `cuemesh ARGS` in `dir` with exactly the colour variables given.
fn run(dir: &Path, args: &[&str], environment: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cuemesh"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("GITHUB_STEP_SUMMARY");
    for (name, value) in environment {
        command.env(name, value);
    }
    command.output().expect("run cuemesh")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn errors_are_coloured_only_when_asked_or_forced() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let failing = ["vet", "missing.cue"];
    let cases: [(&[&str], &[(&str, &str)], bool); 7] = [
        (&[], &[], false),
        (&[], &[("CLICOLOR_FORCE", "1")], true),
        (&[], &[("CLICOLOR_FORCE", "0")], false),
        (&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false),
        (&["--color", "always"], &[("NO_COLOR", "1")], true),
        (&["--color", "never"], &[("CLICOLOR_FORCE", "1")], false),
        (&["--color", "auto"], &[], false),
    ];
    for (flags, environment, coloured) in cases {
        let args: Vec<&str> = flags.iter().chain(failing.iter()).copied().collect();
        let output = run(dir.path(), &args, environment);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let text = stderr(&output);
        assert!(text.contains("error"), "{args:?} {environment:?}: {text}");
        assert!(text.contains("missing.cue"), "{args:?}: {text}");
        assert_eq!(
            text.contains(ESCAPE),
            coloured,
            "{args:?} {environment:?}: {text:?}"
        );
    }
}

#[test]
fn quiet_keeps_errors() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = run(dir.path(), &["--quiet", "vet", "missing.cue"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).starts_with("cuemesh: error: "),
        "{}",
        stderr(&output)
    );
    let output = run(
        dir.path(),
        &["--quiet", "serve", "--repo", "no-such-repository"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot open the repository no-such-repository"),
        "{}",
        stderr(&output)
    );
    let output = run(dir.path(), &["--quiet", "--verbose", "vet", "x.cue"], &[]);
    assert_eq!(output.status.code(), Some(2), "the flags conflict");
}

/// Starts `cuemesh FLAGS serve` on a free port over a one-commit repository, waits until it
/// answers, stops it with SIGTERM and returns its stderr.
fn serve_stderr(flags: &[&str]) -> String {
    let directory = tempfile::tempdir().expect("temporary directory");
    let init = common::cuemesh(directory.path(), &["init", "schemas"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let repository_path = directory.path().join("schemas");
    commit_everything(&repository_path);
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cuemesh"))
        .args(flags)
        .args(["serve", "--poll", "0", "--listen", &address, "--repo"])
        .arg(&repository_path)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cuemesh serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(&address).is_err() {
        assert!(Instant::now() < deadline, "serve did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(terminated.success());
    let mut text = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut text)
        .expect("read stderr");
    let status = child.wait().expect("wait for serve");
    assert!(status.success(), "serve failed: {text}");
    text
}

fn commit_everything(path: &Path) {
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repository = git2::Repository::init_opts(path, &options).expect("git init");
    let mut index = repository.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    let tree = repository
        .find_tree(index.write_tree().expect("write tree"))
        .expect("tree");
    let signature = git2::Signature::now("Ada", "ada@example.com").expect("signature");
    repository
        .commit(Some("HEAD"), &signature, &signature, "schemas", &tree, &[])
        .expect("commit");
}

#[test]
fn serve_progress_follows_the_verbosity() {
    let normal = serve_stderr(&[]);
    assert!(normal.contains("cuemesh: listening on http://"), "{normal}");
    assert!(normal.contains("cuemesh: indexed main at "), "{normal}");
    assert!(!normal.contains("indexing the branch"), "{normal}");
    assert!(!normal.contains(ESCAPE), "{normal:?}");

    let quiet = serve_stderr(&["--quiet"]);
    assert_eq!(quiet, "", "--quiet printed progress");

    let verbose = serve_stderr(&["-v"]);
    assert!(
        verbose.contains("cuemesh: indexing the branch main of "),
        "{verbose}"
    );
    assert!(verbose.contains("cuemesh: indexed in "), "{verbose}");
    assert!(
        verbose.contains("cuemesh: listening on http://"),
        "{verbose}"
    );
}
