//! What the CLI's end-to-end tests share: running the built binary in a directory and writing
//! fixture files. (Each test crate uses part of it.)
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

/// A long-running `cuemesh` (a server), its stderr read line by line on a thread; killed on
/// drop if still running.
pub(crate) struct Daemon {
    pub(crate) child: Child,
    lines: mpsc::Receiver<String>,
}

impl Daemon {
    /// Starts `cuemesh ARGS` and waits for the line saying `listening on http://ADDRESS`;
    /// returns the address.
    pub(crate) fn start<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (Daemon, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cuemesh"))
            .args(args)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cuemesh");
        let stderr = child.stderr.take().expect("stderr");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut daemon = Daemon { child, lines };
        let line = daemon.wait_for("listening on http://");
        let address = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("an address")
            .to_string();
        (daemon, address)
    }

    /// The next stderr line containing `needle` (within 30 seconds).
    pub(crate) fn wait_for(&mut self, needle: &str) -> String {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(error) => panic!("no line with {needle:?} on stderr ({error}): {seen:?}"),
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
