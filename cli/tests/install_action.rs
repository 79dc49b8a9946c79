//! End-to-end tests of the install action's script (`scripts/install-action`, which
//! `action.yml` runs): it downloads archives made by `scripts/release` (packaging this build's
//! binary) from a real HTTP server on loopback, verifies them against `SHA256SUMS`, installs
//! them into a tool cache and puts them on PATH; a tampered archive installs nothing; a
//! second run is served by the cache; a release without the runner's archive is built with
//! `cargo install --locked` from a real Git repository.

use axum::http::{HeaderMap, StatusCode, Uri};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The token the loopback server's releases API (under `/api/`) wants, like a private
/// repository's.
const TOKEN: &str = "a-token-that-reads-the-fork";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Rust target whose archive the script picks on this machine.
fn runner_target() -> String {
    let output = Command::new(workspace_root().join("scripts/install-action"))
        .arg("target")
        .env_remove("RUNNER_OS")
        .env_remove("RUNNER_ARCH")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run scripts/install-action target");
    assert!(
        output.status.success(),
        "this machine has no release archive target: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

fn archive_name() -> String {
    format!("cuemesh-{VERSION}-{}.tar.gz", runner_target())
}

/// The release files `scripts/release --binary` makes of this build's binary, for the runner's
/// target: the archive and `SHA256SUMS`. Made once per test run.
fn release_files() -> &'static Path {
    static FILES: OnceLock<PathBuf> = OnceLock::new();
    FILES.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-action-release");
        let _ = std::fs::remove_dir_all(&out);
        let output = Command::new(workspace_root().join("scripts/release"))
            .args(["--binary", env!("CARGO_BIN_EXE_cuemesh"), "--target"])
            .arg(runner_target())
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run scripts/release");
        assert!(
            output.status.success(),
            "scripts/release: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let sums = std::fs::read_to_string(out.join("SHA256SUMS")).expect("SHA256SUMS");
        assert_eq!(sums.lines().count(), 1, "{sums}");
        assert!(sums.ends_with(&format!("  {}\n", archive_name())), "{sums}");
        out
    })
}

/// One request the server answered.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    accept: Option<String>,
}

/// A static file server on a free loopback port: it serves `root`'s files, answers 401 under
/// `/api/` without `Authorization: Bearer TOKEN`, and records every request.
struct FileServer {
    address: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FileServer {
    fn start(root: &Path) -> FileServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.set_nonblocking(true).expect("non-blocking");
        let address = listener.local_addr().expect("address").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let root = root.to_owned();
        let recorder = seen.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            let root = root.clone();
            let recorder = recorder.clone();
            async move { serve_file(&root, &recorder, &uri, &headers) }
        });
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        FileServer {
            address,
            seen,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The requests answered so far, in order.
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }

    fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|seen| seen.path).collect()
    }
}

impl Drop for FileServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve_file(
    root: &Path,
    seen: &Mutex<Vec<Seen>>,
    uri: &Uri,
    headers: &HeaderMap,
) -> (StatusCode, Vec<u8>) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let path = uri.path().to_owned();
    seen.lock().expect("not poisoned").push(Seen {
        path: path.clone(),
        authorization: header("authorization"),
        accept: header("accept"),
    });
    if path.starts_with("/api/")
        && header("authorization").as_deref() != Some(&format!("Bearer {TOKEN}"))
    {
        return (StatusCode::UNAUTHORIZED, b"Bad credentials".to_vec());
    }
    if path.split('/').any(|part| part == "..") {
        return (StatusCode::BAD_REQUEST, Vec::new());
    }
    match std::fs::read(root.join(path.trim_start_matches('/'))) {
        Ok(bytes) => (StatusCode::OK, bytes),
        Err(_) => (StatusCode::NOT_FOUND, b"Not Found".to_vec()),
    }
}

/// Copies the release files into `directory` (created).
fn publish_release(directory: &Path) {
    std::fs::create_dir_all(directory).expect("create the release directory");
    for name in ["SHA256SUMS".to_owned(), archive_name()] {
        std::fs::copy(release_files().join(&name), directory.join(&name)).expect("copy");
    }
}

/// A runner's environment for the script: its own tool cache, temporary directory, PATH and
/// output files, all under `runner`.
struct Runner {
    root: tempfile::TempDir,
}

/// What one run of the script did.
struct ScriptRun {
    code: i32,
    /// Standard output and error together: on a runner both carry workflow commands.
    output: String,
}

impl Runner {
    fn new() -> Runner {
        let root = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(root.path().join("temp")).expect("temp");
        Runner { root }
    }

    fn tool_cache(&self) -> PathBuf {
        self.root.path().join("tool-cache")
    }

    fn installed_directory(&self) -> PathBuf {
        self.tool_cache()
            .join("cuemesh")
            .join(VERSION)
            .join(runner_target())
    }

    fn path_file(&self) -> String {
        std::fs::read_to_string(self.root.path().join("github-path")).unwrap_or_default()
    }

    fn output_file(&self) -> String {
        std::fs::read_to_string(self.root.path().join("github-output")).unwrap_or_default()
    }

    /// Runs `scripts/install-action MODE` with `variables` set: the action's inputs
    /// (CUEMESH_*) and the runner's variables it should not take from this machine
    /// (GITHUB_SERVER_URL, ...).
    fn run(&self, mode: &str, variables: &[(&str, &str)]) -> ScriptRun {
        let mut command = Command::new(workspace_root().join("scripts/install-action"));
        command.arg(mode);
        for name in [
            "RUNNER_OS",
            "RUNNER_ARCH",
            "GITHUB_SERVER_URL",
            "GITHUB_API_URL",
            "CUEMESH_VERSION",
            "CUEMESH_REPOSITORY",
            "CUEMESH_BASE_URL",
            "CUEMESH_GITHUB_TOKEN",
            "CARGO_TARGET_DIR",
        ] {
            command.env_remove(name);
        }
        command
            .env("GITHUB_ACTIONS", "true")
            .env("RUNNER_TOOL_CACHE", self.tool_cache())
            .env("RUNNER_TEMP", self.root.path().join("temp"))
            .env("GITHUB_PATH", self.root.path().join("github-path"))
            .env("GITHUB_OUTPUT", self.root.path().join("github-output"));
        for (name, value) in variables {
            command.env(name, value);
        }
        let output = command.output().expect("run scripts/install-action");
        ScriptRun {
            code: output.status.code().expect("an exit code, not a signal"),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }
}

/// What this build's binary answers to `--version`.
fn built_version() -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cuemesh"))
        .arg("--version")
        .output()
        .expect("run cuemesh --version");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The archive for the runner is downloaded from a mirror, verified, installed with its
/// LICENSE and README, and its `bin` directory added to PATH; the installed binary is the
/// packaged one. The second run finds it in the tool cache and sends no request.
#[test]
fn installs_the_runners_archive_from_a_mirror_then_uses_the_cache() {
    let served = tempfile::tempdir().expect("tmp");
    publish_release(&served.path().join("mirror").join(format!("v{VERSION}")));
    let server = FileServer::start(served.path());
    let runner = Runner::new();
    let mirror = server.url("/mirror");
    let inputs = [
        ("CUEMESH_VERSION", VERSION),
        ("CUEMESH_BASE_URL", mirror.as_str()),
        // A mirror is never sent the token.
        ("CUEMESH_GITHUB_TOKEN", TOKEN),
    ];

    let plan = runner.run("plan", &inputs);
    assert_eq!(plan.code, 0, "{}", plan.output);
    let directory = runner.installed_directory();
    assert!(
        runner
            .output_file()
            .contains(&format!("directory={}\n", directory.display())),
        "{}",
        runner.output_file()
    );
    assert!(
        runner
            .output_file()
            .contains(&format!("cache-key=cuemesh-{VERSION}-{}-", runner_target())),
        "{}",
        runner.output_file()
    );

    let first = runner.run("install", &inputs);
    assert_eq!(first.code, 0, "{}", first.output);
    assert!(
        first.output.contains("SHA-256 verified"),
        "{}",
        first.output
    );
    let binary = directory.join("bin/cuemesh");
    assert_eq!(
        std::fs::read(&binary).expect("installed binary"),
        std::fs::read(env!("CARGO_BIN_EXE_cuemesh")).expect("built binary"),
    );
    assert!(directory.join("LICENSE").is_file());
    assert!(directory.join("README.md").is_file());
    assert_eq!(
        runner.path_file(),
        format!("{}\n", directory.join("bin").display())
    );
    assert!(runner
        .output_file()
        .contains(&format!("path={}\n", binary.display())));
    let reported = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("run the installed cuemesh");
    assert!(reported.status.success());
    let reported = String::from_utf8(reported.stdout).expect("UTF-8");
    assert!(
        reported.starts_with(&format!("cuemesh {VERSION}")),
        "{reported}"
    );
    assert_eq!(reported, built_version());
    assert_eq!(
        server.paths(),
        [
            format!("/mirror/v{VERSION}/SHA256SUMS"),
            format!("/mirror/v{VERSION}/{}", archive_name()),
        ]
    );
    assert!(
        server
            .seen()
            .iter()
            .all(|seen| seen.authorization.is_none()),
        "{:?}",
        server.seen()
    );

    let second = runner.run("install", &inputs);
    assert_eq!(second.code, 0, "{}", second.output);
    assert!(second.output.contains("tool cache"), "{}", second.output);
    assert_eq!(server.paths().len(), 2, "{:?}", server.paths());
    assert_eq!(runner.path_file().lines().count(), 2);

    // The same version from another source (a fork's build) is not taken from the cache.
    std::fs::rename(served.path().join("mirror"), served.path().join("fork"))
        .expect("move the release");
    let fork = server.url("/fork");
    let from_fork = runner.run(
        "install",
        &[("CUEMESH_VERSION", VERSION), ("CUEMESH_BASE_URL", &fork)],
    );
    assert_eq!(from_fork.code, 0, "{}", from_fork.output);
    assert_eq!(server.paths().len(), 4, "{:?}", server.paths());
}

/// An archive whose bytes differ from its SHA256SUMS line fails the step with a message naming
/// both digests, and leaves nothing installed and nothing on PATH.
#[test]
fn a_tampered_archive_installs_nothing_and_fails() {
    let served = tempfile::tempdir().expect("tmp");
    let release = served.path().join(format!("v{VERSION}"));
    publish_release(&release);
    let archive = release.join(archive_name());
    let mut bytes = std::fs::read(&archive).expect("archive");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&archive, bytes).expect("tamper");
    let server = FileServer::start(served.path());
    let runner = Runner::new();

    let run = runner.run(
        "install",
        &[
            ("CUEMESH_VERSION", &format!("v{VERSION}")),
            ("CUEMESH_BASE_URL", &server.url("")),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(run.output.contains("::error"), "{}", run.output);
    assert!(run.output.contains("SHA-256"), "{}", run.output);
    assert!(run.output.contains(&archive_name()), "{}", run.output);
    assert!(
        run.output.contains("nothing was installed"),
        "{}",
        run.output
    );
    assert!(runner.path_file().is_empty(), "{}", runner.path_file());
    let leftovers: Vec<PathBuf> = walk(&runner.tool_cache());
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(walk(&runner.root.path().join("temp")).is_empty());
}

/// Without a token the archive comes from the repository's release download URLs, with no
/// credentials; with one, through the releases API (as a private fork needs), the token sent
/// to the API only. A token the API refuses fails with the release's URL.
#[test]
fn downloads_from_the_repositorys_releases_through_the_api_when_given_a_token() {
    let served = tempfile::tempdir().expect("tmp");
    publish_release(
        &served
            .path()
            .join(format!("github/acme/cuemesh/releases/download/v{VERSION}")),
    );
    let server = FileServer::start(served.path());
    let assets = served.path().join("api/assets");
    std::fs::create_dir_all(&assets).expect("assets");
    let mut listing = Vec::new();
    for (id, name) in [(1, "SHA256SUMS".to_owned()), (2, archive_name())] {
        std::fs::copy(release_files().join(&name), assets.join(id.to_string())).expect("copy");
        listing.push(serde_json::json!({
            "id": id,
            "name": name,
            "url": server.url(&format!("/api/assets/{id}")),
        }));
    }
    let release = served
        .path()
        .join(format!("api/repos/acme/cuemesh/releases/tags/v{VERSION}"));
    std::fs::create_dir_all(release.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &release,
        serde_json::json!({ "tag_name": format!("v{VERSION}"), "assets": listing }).to_string(),
    )
    .expect("write the release");
    let github = server.url("/github");
    let api = server.url("/api");
    let inputs = |token: &str| -> Vec<(&'static str, String)> {
        vec![
            ("CUEMESH_VERSION", VERSION.to_owned()),
            ("CUEMESH_REPOSITORY", "acme/cuemesh".to_owned()),
            ("CUEMESH_GITHUB_TOKEN", token.to_owned()),
            ("GITHUB_SERVER_URL", github.clone()),
            ("GITHUB_API_URL", api.clone()),
        ]
    };

    let anonymous = Runner::new();
    let run = anonymous.run("install", &as_refs(&inputs("")));
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(
        server.paths(),
        [
            format!("/github/acme/cuemesh/releases/download/v{VERSION}/SHA256SUMS"),
            format!(
                "/github/acme/cuemesh/releases/download/v{VERSION}/{}",
                archive_name()
            ),
        ]
    );
    assert!(server
        .seen()
        .iter()
        .all(|seen| seen.authorization.is_none()));

    let private = Runner::new();
    let run = private.run("install", &as_refs(&inputs(TOKEN)));
    assert_eq!(run.code, 0, "{}", run.output);
    let through_api = &server.seen()[2..];
    let paths: Vec<&str> = through_api.iter().map(|seen| seen.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("/api/repos/acme/cuemesh/releases/tags/v{VERSION}").as_str(),
            "/api/assets/1",
            "/api/assets/2",
        ]
    );
    for seen in through_api {
        assert_eq!(
            seen.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    assert_eq!(
        through_api[2].accept.as_deref(),
        Some("application/octet-stream")
    );
    assert!(private.installed_directory().join("bin/cuemesh").is_file());

    let refused = Runner::new();
    let run = refused.run("install", &as_refs(&inputs("a-wrong-token")));
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.output.contains(&format!(
            "cannot read the release v{VERSION} of acme/cuemesh"
        )),
        "{}",
        run.output
    );
    assert!(run.output.contains("401"), "{}", run.output);
    assert!(!refused.installed_directory().exists());
}

/// A release without an archive for the runner (its SHA256SUMS does not list one) is built
/// from the repository's tag with `cargo install --locked`, with a notice saying so: here a
/// real Git repository holding a small `cuemesh` crate, built by the real cargo.
#[test]
fn a_release_without_the_runners_archive_is_built_with_cargo_install() {
    let served = tempfile::tempdir().expect("tmp");
    let release = served.path().join(format!("mirror/v{VERSION}"));
    std::fs::create_dir_all(&release).expect("mkdir");
    std::fs::write(
        release.join("SHA256SUMS"),
        format!(
            "{}  cuemesh-{VERSION}-riscv64gc-unknown-linux-musl.tar.gz\n",
            "0".repeat(64)
        ),
    )
    .expect("write SHA256SUMS");
    let server = FileServer::start(served.path());

    let sources = tempfile::tempdir().expect("tmp");
    let crate_directory = sources.path().join("acme/cuemesh.git");
    write_small_cuemesh_crate(&crate_directory);

    let runner = Runner::new();
    let cargo_home = runner.root.path().join("cargo-home");
    let run = runner.run(
        "install",
        &[
            ("CUEMESH_VERSION", VERSION),
            ("CUEMESH_REPOSITORY", "acme/cuemesh"),
            ("CUEMESH_BASE_URL", &server.url("/mirror")),
            (
                "GITHUB_SERVER_URL",
                &format!("file://{}", sources.path().display()),
            ),
            (
                "CARGO",
                &std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
            ),
            ("CARGO_HOME", cargo_home.to_str().expect("UTF-8 path")),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("::notice"), "{}", run.output);
    assert!(
        run.output.contains(&format!(
            "has no archive for this runner ({} is not in its SHA256SUMS)",
            archive_name()
        )),
        "{}",
        run.output
    );
    assert!(
        run.output.contains("cargo install --locked"),
        "{}",
        run.output
    );
    assert_eq!(server.paths(), [format!("/mirror/v{VERSION}/SHA256SUMS")]);
    let binary = runner.installed_directory().join("bin/cuemesh");
    let reported = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("run the built cuemesh");
    assert_eq!(
        String::from_utf8_lossy(&reported.stdout),
        format!("cuemesh {VERSION} (built from its tag)\n")
    );
    assert_eq!(
        runner.path_file(),
        format!("{}\n", runner.installed_directory().join("bin").display())
    );
}

/// A Git repository at `directory` whose tag v<VERSION> holds a crate named `cuemesh` with a
/// lock file, whose binary answers `--version` like the real one.
fn write_small_cuemesh_crate(directory: &Path) {
    std::fs::create_dir_all(directory.join("src")).expect("mkdir");
    std::fs::write(
        directory.join("Cargo.toml"),
        format!(
            "[package]\nname = \"cuemesh\"\nversion = \"{VERSION}\"\nedition = \"2021\"\n\n[workspace]\n"
        ),
    )
    .expect("write Cargo.toml");
    std::fs::write(
        directory.join("Cargo.lock"),
        format!("version = 3\n\n[[package]]\nname = \"cuemesh\"\nversion = \"{VERSION}\"\n"),
    )
    .expect("write Cargo.lock");
    std::fs::write(
        directory.join("src/main.rs"),
        "fn main() {\n    if std::env::args().nth(1).as_deref() == Some(\"--version\") {\n        \
         println!(\"cuemesh {} (built from its tag)\", env!(\"CARGO_PKG_VERSION\"));\n    }\n}\n",
    )
    .expect("write main.rs");
    let repository = git2::Repository::init(directory).expect("git init");
    let mut index = repository.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = repository
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let signature = git2::Signature::now("Ada Lovelace", "ada@example.com").expect("signature");
    let commit = repository
        .commit(Some("HEAD"), &signature, &signature, "Release", &tree, &[])
        .expect("commit");
    let target = repository.find_object(commit, None).expect("commit object");
    repository
        .tag_lightweight(&format!("v{VERSION}"), &target, false)
        .expect("tag");
}

/// `(name, value)` pairs borrowed, for [`Runner::run`].
fn as_refs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    pairs
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// Every file under `directory` (none when it does not exist).
fn walk(directory: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// `cuemesh --version` names the version and, built from a Git checkout, the commit and its
/// date, so that a report from an installed binary says exactly what it runs.
#[test]
fn the_binary_reports_its_version_and_commit() {
    let reported = built_version();
    let checkout = Command::new("git")
        .args(["log", "-1", "--format=%h %cs", "--abbrev=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    match checkout {
        Ok(output)
            if output.status.success() && std::env::var_os("CUEMESH_BUILD_COMMIT").is_none() =>
        {
            let commit = String::from_utf8(output.stdout).expect("UTF-8");
            assert_eq!(reported, format!("cuemesh {VERSION} ({})\n", commit.trim()));
        }
        _ => assert!(
            reported.starts_with(&format!("cuemesh {VERSION}")),
            "{reported}"
        ),
    }
}
