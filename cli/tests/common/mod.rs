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

/// Runs `cuemesh ARGS` in `dir` with `input` on its standard input.
pub(crate) fn cuemesh_with_stdin(dir: &Path, args: &[&str], input: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cuemesh"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cuemesh");
    let mut stdin = child.stdin.take().expect("piped stdin");
    std::io::Write::write_all(&mut stdin, input.as_bytes()).expect("write stdin");
    drop(stdin);
    let output = child.wait_with_output().expect("cuemesh ends");
    Run {
        code: output.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Writes `files` (paths relative to the root) into a fresh temporary directory.
pub(crate) fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    write_files(dir.path(), files);
    dir
}

/// Writes `files` (paths relative to `root`), creating their folders.
pub(crate) fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create fixture directory");
        }
        std::fs::write(path, text).expect("write fixture");
    }
}

/// A Git repository whose `main` holds `files` in one commit, checked out on a branch `pr`
/// cut from it: the working tree of a pull request against `main`.
pub(crate) fn pull_request_repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let repository = workspace(files);
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let git = git2::Repository::init_opts(repository.path(), &options).expect("git init");
    let mut index = git.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    let head =
        cuemesh_testkit::commit_index(&git, &mut index, "Ada Lovelace", 1_714_566_600, "version 1");
    let head = git.find_commit(head).expect("head");
    git.branch("pr", &head, false).expect("branch");
    git.set_head("refs/heads/pr").expect("checkout");
    repository
}

/// The lines of `reader` (a child's stdout or stderr), read to the end on a thread so that the
/// child never blocks on a full pipe.
pub(crate) fn lines_on_a_thread(
    reader: impl std::io::Read + Send + 'static,
) -> mpsc::Receiver<String> {
    let (sender, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    lines
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
        let mut command = Command::new(env!("CARGO_BIN_EXE_cuemesh"));
        command.args(args);
        Daemon::spawn(command, "http")
    }

    /// Spawns `command` (a `cuemesh` server, its stderr piped here) and waits for the line
    /// saying `listening on SCHEME://ADDRESS`; returns the address.
    pub(crate) fn spawn(mut command: Command, scheme: &str) -> (Daemon, String) {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cuemesh");
        let lines = lines_on_a_thread(child.stderr.take().expect("stderr"));
        let mut daemon = Daemon { child, lines };
        let prefix = format!("{scheme}://");
        let line = daemon.wait_for(&format!("listening on {prefix}"));
        let address = line
            .split(prefix.as_str())
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

/// Writes the template repository with `cuemesh init` into `dir/schemas` and commits it on
/// `main`; returns its path.
pub(crate) fn template_repository(dir: &Path) -> std::path::PathBuf {
    let init = cuemesh(dir, &["init", "schemas"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let path = dir.join("schemas");
    commit_everything(&path);
    path
}

/// `git init` (on `main`) and one commit of every file of the directory, by Ada Lovelace at
/// 2024-05-01T14:30:00+02:00; returns the repository.
pub(crate) fn commit_everything(path: &Path) -> git2::Repository {
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
    let signature = git2::Signature::new(
        "Ada Lovelace",
        "ada@example.com",
        &git2::Time::new(1_714_566_600, 120),
    )
    .expect("signature");
    repository
        .commit(Some("HEAD"), &signature, &signature, "Start", &tree, &[])
        .expect("commit");
    drop(tree);
    repository
}

/// A `cuemesh serve` child on a free loopback port, killed when dropped.
pub(crate) struct ServeProcess {
    child: std::process::Child,
    pub(crate) address: String,
}

impl ServeProcess {
    /// Starts `cuemesh FLAGS serve --poll 0` over `repository` and waits (up to a minute)
    /// until it accepts connections. Stderr is piped for [`ServeProcess::terminate`].
    pub(crate) fn start(flags: &[&str], repository: &Path) -> ServeProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let address = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_cuemesh"))
            .args(flags)
            .args(["serve", "--poll", "0", "--listen", &address, "--repo"])
            .arg(repository)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start cuemesh serve");
        let mut server = ServeProcess { child, address };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::net::TcpStream::connect(&server.address).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("serve exited with {status} before listening");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "serve did not start listening"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        server
    }

    /// Stops it with SIGTERM (a graceful stop) and returns its stderr; panics when it does
    /// not exit cleanly.
    pub(crate) fn terminate(mut self) -> String {
        use std::io::Read;
        let terminated = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(terminated.success());
        let mut text = String::new();
        self.child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut text)
            .expect("read stderr");
        let status = self.child.wait().expect("wait for serve");
        assert!(status.success(), "serve failed: {text}");
        text
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `(status code, body)` of one HTTP/1.1 request over a fresh loopback connection (the test
/// kit's raw client).
pub(crate) fn http(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let answer = cuemesh_testkit::http::request(address, method, path, headers, body.as_bytes())
        .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
    (answer.status, answer.body)
}

/// Checks a printed counterexample (`{"value", "accepted_by", "rejected_by", "error"}`) with
/// the engine itself: the version it names as accepting accepts the value, the other rejects
/// it with the error printed. `previous` and `current` are each version's package files.
pub(crate) fn revalidate_counterexample(
    previous: &[(&str, &str)],
    current: &[(&str, &str)],
    definition: &str,
    counterexample: &serde_json::Value,
) {
    let schema = |files: &[(&str, &str)]| {
        let package = cue::Package::load(
            cue::PackageFiles {
                files: files
                    .iter()
                    .map(|(n, t)| (n.to_string(), t.to_string()))
                    .collect(),
            },
            &cue::NoImports,
        );
        package
            .schema(Some(definition))
            .expect("the definition compiles")
    };
    let side = |name: &serde_json::Value| match name.as_str() {
        Some("previous") => schema(previous),
        Some("current") => schema(current),
        other => panic!("not a version: {other:?} in {counterexample}"),
    };
    let text = counterexample["value"].to_string();
    let accepting = side(&counterexample["accepted_by"]).validate_json("cx.json", &text);
    assert!(
        accepting.errors.is_empty(),
        "{text} is rejected by the version said to accept it: {:?}",
        accepting.errors
    );
    let rejecting = side(&counterexample["rejected_by"]).validate_json("cx.json", &text);
    let first = rejecting
        .errors
        .first()
        .unwrap_or_else(|| panic!("{text} is accepted by the version said to reject it"));
    assert_eq!(
        Some(first.headline().as_str()),
        counterexample["error"].as_str(),
        "{counterexample}"
    );
}
