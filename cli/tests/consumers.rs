//! End-to-end tests of consumers (`consumers/<name>.cue`) on real Git repositories made from
//! the template: lint checks the versions consumers pin against the branch's history.

mod common;
use common::{cuemesh, template_repository};
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

    let billing = repo.join("consumers/billing.cue");
    replace_in(
        &billing,
        "\"com.acme.orders.placed\": version: 1",
        "\"com.acme.orders.placed\": version: 3",
    );
    let run = cuemesh(&repo, &["lint"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("error[CONSUMER_READS_UNKNOWN]: reads.\"com.acme.orders\".\"com.acme.orders.placed\".version: \"com.acme.orders.placed\" has no version 3 on main: it has versions 1 to 2")
            && run.stdout.contains("--> consumers/billing.cue:13:56"),
        "{}",
        run.stdout
    );

    replace_in(&billing, "version: 3", "version: 2");
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
