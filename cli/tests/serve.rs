//! End-to-end tests of `cuemesh serve`: the built binary on a free port over a real Git
//! repository, a new commit picked up by polling, and a graceful stop on SIGINT; and over a
//! `file://` URL it caches, reloading on a signed webhook.

mod common;

use common::{http, Daemon};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MODULE: &str = "module: \"schemas.example.com\"\nlanguage: version: \"v0.9.0\"\n";

fn identity(body: &str) -> String {
    format!(
        "package identity\n\nsource: {{\n\tid:    \"MySource\"\n\towner: \"@acme/identity\"\n}}\n\nevents: {{\n\t// A person was registered.\n\t\"MySource:newPerson\": #Identity\n}}\n\n#Identity: {{\n{body}}}\n"
    )
}

/// Commits `files` on top of `main` with an in-memory index (no checkout).
fn commit(repository: &git2::Repository, files: &[(&str, &str)]) {
    let parent = repository
        .find_reference("refs/heads/main")
        .ok()
        .and_then(|reference| reference.peel_to_commit().ok());
    let mut index = git2::Index::new().expect("index");
    if let Some(parent) = &parent {
        index
            .read_tree(&parent.tree().expect("tree"))
            .expect("read");
    }
    for (path, text) in files {
        let blob = repository.blob(text.as_bytes()).expect("blob");
        index
            .add(&cuemesh_testkit::git::index_entry(path, blob, text.len()))
            .expect("add");
    }
    let tree = repository
        .find_tree(index.write_tree_to(repository).expect("tree"))
        .expect("tree");
    let signature = git2::Signature::now("Ada", "ada@example.com").expect("signature");
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repository
        .commit(
            Some("refs/heads/main"),
            &signature,
            &signature,
            "change",
            &tree,
            &parents,
        )
        .expect("commit");
}

/// `(status code, body)` of a GET over a fresh connection.
fn get(address: &str, path: &str) -> (u16, String) {
    http(address, "GET", path, &[], "")
}

#[test]
fn serve_answers_reloads_and_stops_on_sigint() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repository = git2::Repository::init_opts(directory.path(), &options).expect("git init");
    commit(
        &repository,
        &[
            ("cue.mod/module.cue", MODULE),
            (
                "sources/identity/identity.cue",
                &identity("\tfirst: string\n"),
            ),
        ],
    );

    let (mut server, address) = start_serve(directory.path());
    let (status, body) = get(&address, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    let latest = "/v1/sources/MySource/types/MySource:newPerson/versions/latest";
    let (status, body) = get(&address, latest);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"version\":1"), "{body}");

    commit(
        &repository,
        &[(
            "sources/identity/identity.cue",
            &identity("\tfirst: string\n\tlast?: string\n"),
        )],
    );
    server.wait_for("reloaded main");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = get(&address, latest);
        if body.contains("\"version\":2") {
            break;
        }
        assert!(Instant::now() < deadline, "version 2 never served: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }

    let interrupted = Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    server.wait_for("stopped");
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "{status}");
}

/// `cuemesh serve` on a free port over `repository`, polling every second; its address.
fn start_serve(repository: &Path) -> (Daemon, String) {
    let repository = repository.display().to_string();
    Daemon::start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--poll",
        "1",
        "--repo",
        &repository,
    ])
}

#[test]
fn serve_caches_a_remote_and_reloads_on_a_signed_webhook() {
    let origin = tempfile::tempdir().expect("temporary directory");
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repository = git2::Repository::init_opts(origin.path(), &options).expect("git init");
    commit(
        &repository,
        &[
            ("cue.mod/module.cue", MODULE),
            (
                "sources/identity/identity.cue",
                &identity("\tfirst: string\n"),
            ),
        ],
    );
    let cache = tempfile::tempdir().expect("cache");
    let secret_file = cache.path().join("secret");
    std::fs::write(&secret_file, "s3cret\n").expect("write the secret");
    let url = format!("file://{}", origin.path().display());
    let arguments: Vec<std::ffi::OsString> = vec![
        "serve".into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--repo".into(),
        url.into(),
        "--poll".into(),
        "0".into(),
        "--cache-dir".into(),
        cache.path().join("repos").into(),
        "--webhook-secret-file".into(),
        secret_file.into(),
    ];
    let (mut server, address) = Daemon::start(&arguments);
    let latest = "/v1/sources/MySource/types/MySource:newPerson/versions/latest";
    let (status, body) = get(&address, latest);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"version\":1"), "{body}");
    assert!(
        std::fs::read_dir(cache.path().join("repos"))
            .expect("the cache folder")
            .count()
            == 1
    );

    commit(
        &repository,
        &[(
            "sources/identity/identity.cue",
            &identity("\tfirst: string\n\tlast?: string\n"),
        )],
    );
    let payload = r#"{"ref": "refs/heads/main"}"#;
    let unsigned = [
        ("X-GitHub-Event", "push"),
        ("Content-Type", "application/json"),
    ];
    let (status, body) = http(&address, "POST", "/v1/hooks/github", &unsigned, payload);
    assert_eq!(status, 401, "{body}");
    // The secret file's trailing newline is not part of the secret.
    let signature = cuemesh_registry::serve::github_signature(b"s3cret", payload.as_bytes());
    let signed = [
        ("X-GitHub-Event", "push"),
        ("Content-Type", "application/json"),
        ("X-Hub-Signature-256", signature.as_str()),
    ];
    let (status, body) = http(&address, "POST", "/v1/hooks/github", &signed, payload);
    assert_eq!(status, 202, "{body}");
    server.wait_for("reloaded main");
    let (_, body) = get(&address, latest);
    assert!(body.contains("\"version\":2"), "{body}");
}

#[test]
fn an_empty_webhook_secret_is_refused_before_serving() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let secret_file = directory.path().join("secret");
    std::fs::write(&secret_file, "\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_cuemesh"))
        .args(["serve", "--listen", "127.0.0.1:0", "--webhook-secret-file"])
        .arg(&secret_file)
        .env_remove("CUEMESH_WEBHOOK_SECRET")
        .output()
        .expect("run cuemesh serve");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "the webhook secret in {} is empty",
            secret_file.display()
        )),
        "{stderr}"
    );
}

/// A program on `PATH`.
fn on_path(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|directory| directory.join(program))
        .find(|candidate| candidate.is_file())
}

/// The HTML catalog in headless Chromium: `tests/browser/catalog.mjs` (playwright-core) loads
/// the home page, searches, opens a type and compares two versions, saving screenshots under
/// the target directory (`target/tmp/browser/`). Without Chromium (`CUEMESH_CHROMIUM` or
/// `chromium` on `PATH`), node or playwright-core (`NODE_PATH`) it is skipped with a note,
/// unless `CUEMESH_REQUIRE_BROWSER=1` (set by `.ci/run`), which makes a missing part a failure.
#[test]
fn catalog_pages_work_in_headless_chromium() {
    let required = std::env::var("CUEMESH_REQUIRE_BROWSER").as_deref() == Ok("1");
    let chromium = std::env::var_os("CUEMESH_CHROMIUM")
        .map(std::path::PathBuf::from)
        .or_else(|| on_path("chromium"));
    let playwright = Command::new("node")
        .args(["-e", "require.resolve('playwright-core')"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let (Some(chromium), true) = (chromium, playwright) else {
        let missing = "chromium (CUEMESH_CHROMIUM or PATH), node or the npm package playwright-core (NODE_PATH)";
        assert!(
            !required,
            "CUEMESH_REQUIRE_BROWSER=1 but {missing} is missing"
        );
        eprintln!("note: skipping the browser test: {missing} is missing");
        return;
    };

    let directory = tempfile::tempdir().expect("temporary directory");
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repository = git2::Repository::init_opts(directory.path(), &options).expect("git init");
    let first =
        "\t// first name of the person <script>alert(1)</script>\n\tfirst: =~\"^[A-Z].*\"\n";
    let last = "\t// family name\n\tlast?: string\n";
    commit(
        &repository,
        &[
            ("cue.mod/module.cue", MODULE),
            ("sources/identity/identity.cue", &identity(first)),
        ],
    );
    commit(
        &repository,
        &[(
            "sources/identity/identity.cue",
            &identity(&format!("{first}{last}")),
        )],
    );
    commit(
        &repository,
        &[
            (
                "sources/identity/identity.cue",
                &identity(&format!(
                    "{first}{}\t// age in years\n\tage?: int & >=0\n",
                    last.replace("last?", "last")
                )),
            ),
            (
                "sources/identity/examples/MySource%3AnewPerson/ada.json",
                "{\"first\": \"Ada\", \"last\": \"Lovelace\", \"age\": 36}\n",
            ),
        ],
    );

    let (_server, address) = start_serve(directory.path());
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/catalog.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(format!("http://{address}"))
        .arg(&shots)
        .arg(&chromium)
        .output()
        .expect("run node");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{report}");
    assert!(report.contains("5 pages checked"), "{report}");
    for shot in ["1-home", "2-search", "3-type", "4-compare", "5-version"] {
        let png = std::fs::read(shots.join(format!("{shot}.png"))).expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "{shot} is not a PNG");
    }
}
