//! What the CLI's end-to-end tests share: running the built binary in a directory and writing
//! fixture files. (Each test crate uses part of it.)
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// What one run of `cuemesh` did.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `cuemesh ARGS` in `dir`.
pub(crate) fn cuemesh(dir: &Path, args: &[&str]) -> Run {
    cuemesh_with_env(dir, args, &[])
}

/// Runs `cuemesh ARGS` in `dir` with extra environment variables (and never the caller's
/// `GITHUB_STEP_SUMMARY`).
pub(crate) fn cuemesh_with_env(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cuemesh"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("run cuemesh");
    Run {
        code: output.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Writes `files` (paths relative to the root) into a fresh temporary directory.
pub(crate) fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create fixture directory");
        }
        std::fs::write(path, text).expect("write fixture");
    }
    dir
}

/// The visible subcommands, as `cuemesh --help` lists them (clap's own `help` left out).
pub(crate) fn subcommands(dir: &Path) -> Vec<String> {
    let help = cuemesh(dir, &["--help"]).stdout;
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}
