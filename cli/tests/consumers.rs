//! End-to-end tests of consumers (`consumers/<name>.cue`) on real Git repositories made from
//! the template: lint checks the versions consumers pin against the branch's history, and
//! `check` refuses a change a pinned consumer cannot read, naming it and its owner.

mod common;
use common::{cuemesh, cuemesh_with_env, template_repository};
use cuemesh_testkit as support;

use std::path::Path;

/// Stages every file of the work tree (deletions included) and commits it on the checked-out
/// branch.
fn commit_all(path: &Path, message: &str, minute: i64) {
    let git = git2::Repository::open(path).expect("a repository");
    let mut index = git.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.update_all(["*"], None).expect("stage deletions");
    support::commit_index(
        &git,
        &mut index,
        "Ada Lovelace",
        1_714_566_600 + minute * 60,
        message,
    );
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from:?} in {}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write");
}

/// Sets the version `consumer` pins for `event_type` (a number or `"latest"`).
fn pin(repo: &Path, consumer: &str, event_type: &str, version: &str) {
    let path = repo.join(format!("consumers/{consumer}.cue"));
    let text = std::fs::read_to_string(&path).expect("read");
    let prefix = format!("{event_type:?}: version:");
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| match line.find(&prefix) {
            Some(at) => {
                found = true;
                format!("{} {version}", &line[..at + prefix.len()])
            }
            None => line.to_string(),
        })
        .collect();
    assert!(found, "{consumer} reads {event_type}");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
}

const NOTE: &str = "\t// A note from the customer.\n\tnote?: string\n";
const PLACED_AT: &str = "\t// When the order was placed.\n\tplacedAt: time.Time\n";

/// The template, then on `main` a version 2 of `com.acme.orders.placed` with an optional
/// `note` and a version 3 without it again; the work tree is on a branch `pr` that adds the
/// note back (a BACKWARD-compatible change that creates version 4). Version 2 reads what
/// version 4 accepts; versions 1 and 3 (closed, without `note`) do not.
fn note_added_back(dir: &Path) -> std::path::PathBuf {
    let repo = template_repository(dir);
    let orders = repo.join("sources/orders/orders.cue");
    replace_in(&orders, PLACED_AT, &format!("{PLACED_AT}{NOTE}"));
    commit_all(&repo, "A note on orders", 1);
    replace_in(&orders, NOTE, "");
    commit_all(&repo, "No note after all", 2);
    let git = git2::Repository::open(&repo).expect("open");
    let head = git.head().expect("head").peel_to_commit().expect("commit");
    git.branch("pr", &head, false).expect("branch");
    git.set_head("refs/heads/pr").expect("checkout");
    replace_in(&orders, PLACED_AT, &format!("{PLACED_AT}{NOTE}"));
    repo
}

#[test]
fn check_refuses_a_change_a_pinned_consumer_cannot_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = note_added_back(dir.path());
    pin(&repo, "billing", "com.acme.orders.placed", "3");
    let lint = cuemesh(&repo, &["lint"]);
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);

    let run = cuemesh(&repo, &["check", "--against", "main"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    for expected in [
        "com.acme.orders.placed: changed, would create version 4 (BACKWARD)",
        "error[CONSUMER_BROKEN]: consumer \"billing\" (@acme/billing) reads \"com.acme.orders.placed\" with version 3, which cannot read everything version 4 accepts: note: field note was added to a struct the previous version closed",
        "billing pins version 3 here",
        "consumers affected: consumer \"billing\" (@acme/billing, version 3); owners to review: @acme/billing",
        "cuemesh check: 1 error, 0 warnings",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }

    // JSON: the consumer on the finding, and the counterexample the engine validated.
    let run = cuemesh(&repo, &["check", "--against", "main", "--format", "json"]);
    let finding: serde_json::Value = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON lines"))
        .find(|value| value["code"] == "CONSUMER_BROKEN")
        .expect("a CONSUMER_BROKEN finding");
    assert_eq!(
        finding["consumers"],
        serde_json::json!([{"id": "billing", "owner": "@acme/billing", "version": 3, "file": "consumers/billing.cue"}])
    );
    let counterexample = &finding["counterexample"];
    assert_eq!(counterexample["accepted_by"], "current");
    assert_eq!(counterexample["rejected_by"], "previous");
    assert!(
        counterexample["value"].get("note").is_some(),
        "{counterexample}"
    );
    assert_eq!(finding["locations"][0]["file"], "sources/orders/orders.cue");
    assert_eq!(
        finding["labels"][0]["location"]["file"],
        "consumers/billing.cue"
    );

    // GitHub: an annotation, a notice and the owners as a step output for the review request.
    let outputs = dir.path().join("github-output");
    let run = cuemesh_with_env(
        &repo,
        &["check", "--against", "main", "--format", "github"],
        &[("GITHUB_OUTPUT", &outputs)],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("::error file=sources/orders/orders.cue,line=")
            && run
                .stdout
                .contains("title=CONSUMER_BROKEN::consumer \"billing\" (@acme/billing)")
            && run
                .stdout
                .contains("::notice title=consumers::consumers affected"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(&outputs).expect("the outputs file"),
        "consumer-owners=@acme/billing\n"
    );
}

#[test]
fn check_passes_a_consumer_on_latest_or_on_a_version_that_reads_the_change() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = note_added_back(dir.path());
    for version in ["\"latest\"", "2"] {
        pin(&repo, "billing", "com.acme.orders.placed", version);
        let outputs = dir.path().join(format!("outputs-{}", version.len()));
        let run = cuemesh_with_env(
            &repo,
            &["check", "--against", "main", "--format", "github"],
            &[("GITHUB_OUTPUT", &outputs)],
        );
        assert_eq!(run.code, 0, "{version}: {}{}", run.stdout, run.stderr);
        assert!(!run.stdout.contains("CONSUMER_BROKEN"), "{}", run.stdout);
        assert_eq!(
            std::fs::read_to_string(&outputs).expect("the outputs file"),
            "consumer-owners=\n"
        );
    }
}

#[test]
fn removing_a_type_consumers_read_names_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = template_repository(dir.path());
    let orders = repo.join("sources/orders/orders.cue");
    replace_in(
        &orders,
        "\t// An order was cancelled before it shipped.\n\t\"com.acme.orders.cancelled\": #OrderCancelled\n",
        "",
    );
    std::fs::remove_dir_all(repo.join("sources/orders/examples/com.acme.orders.cancelled"))
        .expect("remove the examples");
    let run = cuemesh(&repo, &["check", "--against", "main", "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let finding: serde_json::Value = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON lines"))
        .find(|value| value["code"] == "EVENT_REMOVED")
        .expect("an EVENT_REMOVED finding");
    assert!(
        finding["message"]
            .as_str()
            .expect("a message")
            .ends_with("; read by consumer \"warehouse\" (@acme/warehouse, version 1)"),
        "{finding}"
    );
    assert_eq!(finding["consumers"][0]["owner"], "@acme/warehouse");
}

/// The template with a second version of `com.acme.orders.placed` on `main` (a new optional
/// field).
fn template_with_two_versions(dir: &Path) -> std::path::PathBuf {
    let repo = template_repository(dir);
    replace_in(
        &repo.join("sources/orders/orders.cue"),
        "\t// When the order was placed.\n\tplacedAt: time.Time\n",
        "\t// When the order was placed.\n\tplacedAt: time.Time\n\t// A note from the customer.\n\tnote?: string\n",
    );
    commit_all(&repo, "A note on orders", 1);
    repo
}

#[test]
fn lint_checks_pinned_versions_against_the_branch() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = template_with_two_versions(dir.path());
    let clean = cuemesh(&repo, &["lint"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(
        clean.stdout.contains("2 consumers checked"),
        "{}",
        clean.stdout
    );

    pin(&repo, "billing", "com.acme.orders.placed", "3");
    let run = cuemesh(&repo, &["lint"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("error[CONSUMER_READS_UNKNOWN]: reads.\"com.acme.orders\".\"com.acme.orders.placed\".version: \"com.acme.orders.placed\" has no version 3 on main: it has versions 1 to 2")
            && run.stdout.contains("--> consumers/billing.cue:13:56"),
        "{}",
        run.stdout
    );

    pin(&repo, "billing", "com.acme.orders.placed", "2");
    let run = cuemesh(&repo, &["lint"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn lint_reports_a_consumer_file_codeowners_gives_to_another_team() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = template_repository(dir.path());
    replace_in(
        &repo.join("CODEOWNERS"),
        "/consumers/warehouse.cue  @acme/warehouse",
        "/consumers/warehouse.cue  @acme/billing",
    );
    let run = cuemesh(&repo, &["lint", "--format", "github"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("::error file=CODEOWNERS,line=13,col=1")
            && run
                .stdout
                .contains("consumers/warehouse.cue is owned by @acme/billing"),
        "{}",
        run.stdout
    );
}
