//! The global output flags of the built binary: colour only on a terminal (or when forced),
//! `NO_COLOR` honoured, `--quiet` silencing progress but never errors, `--verbose` adding
//! details. Stderr is a pipe here, which is what "not a terminal" means.

mod common;

use std::path::Path;
use std::process::{Command, Output};

const ESCAPE: char = '\x1b';

/// Flags, colour variables, and whether the error line must be coloured.
type ColourCase = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    bool,
);

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
    let cases: [ColourCase; 7] = [
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

/// `cuemesh FLAGS serve` over the template repository, stopped once it listens: its stderr.
fn serve_stderr(flags: &[&str]) -> String {
    let directory = tempfile::tempdir().expect("temporary directory");
    let repository = common::template_repository(directory.path());
    common::ServeProcess::start(flags, &repository).terminate()
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

/// Runs `cuemesh ARGS` in `dir` on a pseudo-terminal (Python's `pty`, which every CI machine
/// with python3 has) and returns everything it printed, or `None` without python3. The child
/// is killed after 20 s, which the caller sees as a missing summary.
fn on_a_terminal(dir: &Path, args: &[&str]) -> Option<String> {
    const DRIVER: &str = r#"
import os, pty, select, signal, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, deadline = b"", time.time() + 20
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
else:
    os.kill(pid, signal.SIGKILL)
    out += b"\nTIMED OUT"
sys.stdout.write(out.decode("utf-8", "replace"))
"#;
    let output = Command::new("python3")
        .arg("-c")
        .arg(DRIVER)
        .arg(env!("CARGO_BIN_EXE_cuemesh"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn a_history_load_on_a_terminal_shows_its_progress_and_finishes() {
    let dir = tempfile::tempdir().expect("a directory");
    let repository = common::template_repository(dir.path());
    let Some(printed) = on_a_terminal(&repository, &["versions"]) else {
        eprintln!("skipped: no python3 to open a pseudo-terminal");
        return;
    };
    assert!(!printed.contains("TIMED OUT"), "{printed}");
    assert!(
        printed.contains("loading: 1 commits, 4 of 4 package states evaluated"),
        "{printed:?}"
    );
    // The progress line is wiped before the listing.
    assert!(printed.contains("\r\x1b[Kmain at "), "{printed:?}");
    let quiet = on_a_terminal(&repository, &["--quiet", "versions"]).expect("python3");
    assert!(!quiet.contains("package states"), "{quiet:?}");
    assert!(quiet.contains("main at "), "{quiet:?}");
}
