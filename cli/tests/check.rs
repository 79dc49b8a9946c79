//! End-to-end tests of `cuemesh check --against REF`: real Git repositories built with git2 in
//! temporary directories (history on `main`, a pull request branch, uncommitted edits), and the
//! built binary run on them.

mod common;
use common::{cuemesh_with_env, template_repository, Run};
use cuemesh_testkit as support;
use support::commit_index;

use std::path::Path;

fn check(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check", "--against", "main"];
    all.extend_from_slice(args);
    cuemesh_with_env(dir, &all, &[])
}

const MODULE: &str = "module: \"schemas.example.com\"\n";
const SETTINGS: &str = "package cuemesh\n\ncompatibility: \"BACKWARD\"\n";

/// A source package declaring one event `A:x` mapped to `#X` with the given attribute and body.
fn source(attribute: &str, body: &str) -> String {
    format!(
        "package a\n\nsource: {{id: \"A\", owner: \"@acme/a\"}}\n\nevents: {{\n\t// x happened.\n\t\"A:x\": #X {attribute}\n}}\n\n// X.\n#X: {{\n{body}}}\n"
    )
}

/// A repository whose `main` has one commit per element of `commits` (each the files it
/// writes), then a checked-out branch `pr` from it.
fn repository(commits: &[Vec<(&str, String)>]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("tmp");
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let git = git2::Repository::init_opts(directory.path(), &options).expect("git init");
    let mut head = None;
    for (index, files) in commits.iter().enumerate() {
        write(directory.path(), files);
        let mut git_index = git.index().expect("index");
        git_index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        git_index.update_all(["*"], None).expect("stage deletions");
        head = Some(commit_index(
            &git,
            &mut git_index,
            "Ada Lovelace",
            1_714_566_600 + index as i64 * 60,
            &format!("commit {index}"),
        ));
    }
    let head = git.find_commit(head.expect("one commit")).expect("head");
    git.branch("pr", &head, false).expect("branch");
    git.set_head("refs/heads/pr").expect("checkout");
    directory
}

fn write(root: &Path, files: &[(&str, String)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
}

fn base_files(attribute: &str, body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("cue.mod/module.cue", MODULE.to_string()),
        ("cuemesh.cue", SETTINGS.to_string()),
        ("sources/a/a.cue", source(attribute, body)),
    ]
}

/// A repository whose `main` holds `#X: {body}`; the working tree then holds `edited`.
fn edited(attribute: &str, body: &str, edited: &str) -> tempfile::TempDir {
    let directory = repository(&[base_files(attribute, body)]);
    write(
        directory.path(),
        &[("sources/a/a.cue", source(attribute, edited))],
    );
    directory
}

const BODY: &str = "\t// a.\n\ta: int\n\t// b.\n\tb?: string\n";

#[test]
fn a_doc_comment_change_creates_no_version_and_passes() {
    let directory = edited(
        "",
        BODY,
        "\t// a, documented better.\n\ta: int\n\t// b.\n\tb?: string\n",
    );
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("0 errors, 0 warnings; 0 versions would be created, 1 event type unchanged"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_optional_field_added_to_a_closed_definition_is_backward_compatible() {
    let directory = edited("", BODY, &format!("{BODY}\t// c.\n\tc?: bool\n"));
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("A:x: changed, would create version 2 (BACKWARD)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_removed_field_is_reported_at_the_previous_files_position() {
    let directory = edited("", BODY, "\t// a.\n\ta: int\n");
    let run = check(directory.path(), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let finding = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .find(|line| line["code"] == "FIELD_REMOVED")
        .unwrap_or_else(|| panic!("no FIELD_REMOVED in {}", run.stdout));
    // `b?: string` is on line 15 of the previous version (the field's label at column 2).
    let location = &finding["locations"][0];
    assert_eq!(location["file"], "sources/a/a.cue");
    assert_eq!(
        (location["line"].as_u64(), location["column"].as_u64()),
        (Some(15), Some(2))
    );
    assert_eq!(finding["type"], "A:x");
    assert_eq!(finding["severity"], "error");

    let run = check(directory.path(), &[]);
    assert!(
        run.stdout.contains("error[FIELD_REMOVED]")
            && run.stdout.contains("--> sources/a/a.cue:15:2"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("b?: string"),
        "a snippet: {}",
        run.stdout
    );
}

#[test]
fn a_required_field_added_breaks_backward() {
    let directory = edited("", BODY, &format!("{BODY}\t// c.\n\tc: bool\n"));
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("error[REQUIRED_FIELD_ADDED]"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_removed_event_type_is_breaking() {
    let directory = repository(&[base_files("", BODY)]);
    let text = source("", BODY).replace(
        "\t// x happened.\n\t\"A:x\": #X \n",
        "\t// y happened.\n\t\"A:y\": #X\n",
    );
    write(directory.path(), &[("sources/a/a.cue", text)]);
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("A:y: added, would create version 1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("A:x: removed (its latest version is 1)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("error[EVENT_REMOVED]"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_removed_source_is_breaking() {
    let directory = repository(&[base_files("", BODY)]);
    std::fs::remove_dir_all(directory.path().join("sources/a")).expect("rm");
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("error[SOURCE_REMOVED]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("error[EVENT_REMOVED]"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_package_error_is_an_error_and_not_a_removal() {
    let directory = edited("", BODY, "\ta: int &\n");
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("error[PACKAGE_ERROR]"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("EVENT_REMOVED"), "{}", run.stdout);
}

#[test]
fn compat_none_lets_a_breaking_change_pass() {
    let directory = edited("@compat(NONE)", BODY, "\t// a.\n\ta: string\n");
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("A:x: changed, would create version 2 (NONE)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_mode_changed_by_the_pull_request_is_a_warning() {
    let directory = repository(&[base_files("", BODY)]);
    write(
        directory.path(),
        &[(
            "sources/a/a.cue",
            source("@compat(NONE)", "\t// a.\n\ta: string\n"),
        )],
    );
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("warning[COMPAT_MODE_CHANGED]"),
        "{}",
        run.stdout
    );
}

/// Version 1 `{a: int}`, version 2 `{}` (closed); the working tree adds `a?: string`, which
/// reads everything version 2 accepted but not version 1's `{a: 1}`.
fn two_versions(attribute: &str) -> tempfile::TempDir {
    let directory = repository(&[
        base_files(attribute, "\t// a.\n\ta: int\n"),
        base_files(attribute, ""),
    ]);
    write(
        directory.path(),
        &[(
            "sources/a/a.cue",
            source(attribute, "\t// a.\n\ta?: string\n"),
        )],
    );
    directory
}

#[test]
fn a_transitive_mode_compares_with_every_earlier_version() {
    let run = check(two_versions("@compat(BACKWARD)").path(), &[]);
    assert_eq!(
        run.code, 0,
        "against the latest only: {}{}",
        run.stdout, run.stderr
    );
    assert!(
        run.stdout.contains("would create version 3 (BACKWARD)"),
        "{}",
        run.stdout
    );

    let run = check(two_versions("@compat(BACKWARD_TRANSITIVE)").path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("would create version 3 (BACKWARD_TRANSITIVE)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("(against version 1)"), "{}", run.stdout);
}

#[test]
fn an_allow_entry_turns_the_break_into_a_warning_naming_the_reason() {
    let allow = |version: u32| {
        format!("{SETTINGS}check: allow: [{{type: \"A:x\", version: {version}, rule: \"FIELD_REMOVED\", reason: \"b was never sent\"}}]\n")
    };
    let directory = edited("", BODY, "\t// a.\n\ta: int\n");
    write(directory.path(), &[("cuemesh.cue", allow(2))]);
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("warning[FIELD_REMOVED]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("b was never sent"), "{}", run.stdout);
    let run = check(directory.path(), &["--format", "json"]);
    assert!(
        run.stdout.contains("\"allowed\":\"check.allow[0]"),
        "{}",
        run.stdout
    );

    // An entry for another version allows nothing (it expired when that version was made).
    write(directory.path(), &[("cuemesh.cue", allow(5))]);
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("warning[ALLOW_UNUSED]"),
        "{}",
        run.stdout
    );

    // An entry without a reason is a settings error.
    write(
        directory.path(),
        &[(
            "cuemesh.cue",
            format!("{SETTINGS}check: allow: [{{type: \"A:x\"}}]\n"),
        )],
    );
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("error[CONFIG_INVALID]"),
        "{}",
        run.stdout
    );
}

#[test]
fn allow_breaking_turns_every_break_into_a_warning_naming_the_reason() {
    let directory = edited("", BODY, "\t// a.\n\ta: int\n");
    let run = check(
        directory.path(),
        &["--allow-breaking", "labelled breaking-change"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("warning[FIELD_REMOVED]")
            && run
                .stdout
                .contains("--allow-breaking: labelled breaking-change"),
        "{}",
        run.stdout
    );
    // Package errors cannot be allowed.
    write(
        directory.path(),
        &[("sources/a/a.cue", source("", "\ta: int &\n"))],
    );
    let run = check(directory.path(), &["--allow-breaking", "x"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn every_json_line_is_an_object_with_a_kind() {
    let directory = edited("", BODY, "\t// a.\n\ta: int\n");
    let run = check(directory.path(), &["--format", "json"]);
    assert_eq!(run.code, 1);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let kinds: Vec<&str> = lines
        .iter()
        .map(|l| l["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["event", "finding", "summary"], "{}", run.stdout);
    assert_eq!(lines[0]["change"], "changed");
    assert_eq!(lines[0]["version"], 2);
    assert_eq!(lines[0]["previous"], 1);
    assert_eq!(lines[2]["passed"], false);
    assert_eq!(lines[2]["errors"], 1);
}

#[test]
fn github_prints_annotations_and_a_step_summary() {
    let directory = edited("", BODY, "\t// a.\n\ta: int\n");
    let summary = directory.path().join("summary.md");
    let run = cuemesh_with_env(
        directory.path(),
        &["check", "--against", "main", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.is_empty());
    for line in run.stdout.lines() {
        assert!(
            line.starts_with("::error file=sources/a/a.cue,line=15,col=2"),
            "{line}"
        );
    }
    let markdown = std::fs::read_to_string(&summary).expect("the summary");
    assert!(
        markdown.starts_with("## cuemesh check\n\n❌ "),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `A:x` | changed | 2 | BACKWARD |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| error | `FIELD_REMOVED` | `sources/a/a.cue:15:2` |"),
        "{markdown}"
    );
}

#[test]
fn an_unknown_ref_or_no_repository_is_exit_2() {
    let directory = edited("", BODY, BODY);
    let run = cuemesh_with_env(
        directory.path(),
        &["check", "--against", "no-such-branch"],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("\"no-such-branch\" not found"),
        "{}",
        run.stderr
    );

    let empty = tempfile::tempdir().expect("tmp");
    let run = cuemesh_with_env(empty.path(), &["check", "--against", "main"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not inside a Git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn committed_changes_on_the_branch_count_and_main_moving_on_does_not() {
    // The pull request commits its change; main then gains an unrelated commit.
    let directory = edited("", BODY, "\t// a.\n\ta: int\n");
    let git = git2::Repository::open(directory.path()).expect("open");
    let signature = git2::Signature::now("Ada", "ada@example.com").expect("signature");
    let mut index = git.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    let tree = git
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let head = git.head().expect("head").peel_to_commit().expect("commit");
    git.commit(
        Some("HEAD"),
        &signature,
        &signature,
        "drop b",
        &tree,
        &[&head],
    )
    .expect("commit");
    let main = git
        .find_branch("main", git2::BranchType::Local)
        .expect("main");
    let main_commit = main.get().peel_to_commit().expect("commit");
    git.commit(
        Some("refs/heads/main"),
        &signature,
        &signature,
        "unrelated",
        &main_commit.tree().expect("tree"),
        &[&main_commit],
    )
    .expect("commit on main");
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("error[FIELD_REMOVED]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("merge base {}", &head.id().to_string()[..12])),
        "{}",
        run.stdout
    );
}

#[test]
fn the_templates_scenario_init_commit_branch_edit_check() {
    let temporary = tempfile::tempdir().expect("tmp");
    let root = template_repository(temporary.path());
    let git = git2::Repository::open(&root).expect("open");
    let head = git.head().expect("head").peel_to_commit().expect("commit");
    git.branch("feature", &head, false).expect("branch");
    git.set_head("refs/heads/feature").expect("checkout");

    let run = cuemesh_with_env(&root, &["check", "--against", "main"], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("0 versions would be created"),
        "{}",
        run.stdout
    );

    // `MySource:newPerson` is FULL: a required field breaks it.
    let path = root.join("sources/identity/identity.cue");
    let text = std::fs::read_to_string(&path).expect("read");
    let required = text.replace(
        "\tfirst: =~\"^[A-Z].*\"\n",
        "\tfirst: =~\"^[A-Z].*\"\n\t// age in years\n\tage: int\n",
    );
    assert_ne!(required, text);
    std::fs::write(&path, &required).expect("write");
    let run = cuemesh_with_env(&root, &["check", "--against", "main"], &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("MySource:newPerson: changed, would create version 2 (FULL)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("error[REQUIRED_FIELD_ADDED]"),
        "{}",
        run.stdout
    );

    // The template's settings take an allow entry for exactly this change.
    let settings_path = root.join("cuemesh.cue");
    let settings = std::fs::read_to_string(&settings_path).expect("read");
    let allowing = settings.replace(
        "\tcheck: allow: []\n",
        "\tcheck: allow: [{type: \"MySource:newPerson\", version: 2, rule: \"REQUIRED_FIELD_ADDED\", reason: \"every producer sends age since May\"}]\n",
    );
    assert_ne!(allowing, settings);
    std::fs::write(&settings_path, &allowing).expect("write");
    let run = cuemesh_with_env(&root, &["check", "--against", "main"], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("every producer sends age since May"),
        "{}",
        run.stdout
    );
    std::fs::write(&settings_path, &settings).expect("write");

    // Back to the original, and an optional field added to a closed BACKWARD definition.
    std::fs::write(&path, &text).expect("write");
    let orders = root.join("sources/orders/orders.cue");
    let text = std::fs::read_to_string(&orders).expect("read");
    let optional = text.replace(
        "\tplacedAt: time.Time\n",
        "\tplacedAt: time.Time\n\t// A note for the warehouse.\n\tnote?: string\n",
    );
    assert_ne!(optional, text);
    std::fs::write(&orders, optional).expect("write");
    let run = cuemesh_with_env(&root, &["check", "--against", "main"], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("com.acme.orders.placed: changed, would create version 2 (BACKWARD)"),
        "{}",
        run.stdout
    );
    // Lint stays clean with the change.
    let run = cuemesh_with_env(&root, &["lint"], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn a_change_in_an_imported_package_checks_the_events_that_use_it_and_no_others() {
    let common = |bound: &str| {
        format!("package common\n\n// An amount.\n#Money: {{\n\t// minor units.\n\tamount: int & >={bound}\n}}\n")
    };
    let user = "package b\n\nimport \"schemas.example.com/sources/common\"\n\nsource: {id: \"B\", owner: \"@acme/b\"}\n\nevents: {\n\t// y happened.\n\t\"B:y\": #Y\n}\n\n// Y.\n#Y: {\n\t// price.\n\tprice: common.#Money\n}\n";
    let mut files = base_files("", BODY);
    files.push(("sources/common/common.cue", common("0")));
    files.push(("sources/b/b.cue", user.to_string()));
    let directory = repository(&[files]);
    write(
        directory.path(),
        &[("sources/common/common.cue", common("10"))],
    );
    let run = check(directory.path(), &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("B:y: changed, would create version 2 (BACKWARD)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("error[BOUND_TIGHTENED]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("1 event type unchanged"),
        "A:x is not loaded: {}",
        run.stdout
    );
}

/// The `counterexample` members of `check --format json`'s findings, each re-validated here
/// against the base's and the working tree's `sources/a/a.cue`.
fn checked_counterexamples(directory: &Path, stdout: &str, base_text: &str) -> Vec<String> {
    let current = std::fs::read_to_string(directory.join("sources/a/a.cue")).expect("read");
    let mut found = Vec::new();
    for line in stdout.lines() {
        let finding: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if finding["kind"] != "finding" || finding["severity"] != "error" {
            continue;
        }
        if finding["counterexample"].is_object() {
            common::revalidate_counterexample(
                &[("a.cue", base_text)],
                &[("a.cue", &current)],
                "#X",
                &finding["counterexample"],
            );
            found.push(format!(
                "{} {}",
                finding["code"].as_str().expect("a code"),
                finding["counterexample"]["value"]
            ));
        } else {
            panic!("an error without a counterexample: {line}");
        }
    }
    found
}

#[test]
fn the_changes_that_used_to_pass_the_gate_fail_it_with_validated_counterexamples() {
    let cases = [
        (
            "\t// n.\n\tn: int\n\t// m.\n\tm: int & >=n\n",
            "\t// n.\n\tn: int\n\t// m.\n\tm: int & >n\n",
            r#"DEPENDENT_CONSTRAINT_CHANGED {"n":0,"m":0}"#,
        ),
        (
            "\t// pay.\n\tpay: {card: string} | {iban: string}\n",
            "\t// pay.\n\tpay: {card: string}\n",
            r#"DISJUNCTION_UNDECIDED {"pay":{"iban":""}}"#,
        ),
        (
            "\t// qty.\n\tqty: int\n",
            "\t// qty.\n\tqty: int & !=0\n",
            r#"VALIDATOR_CHANGED {"qty":0}"#,
        ),
        (
            "\t// id.\n\tid: string\n\t...\n",
            "\t// id.\n\tid: string\n\t[=~\"^x-\"]: string\n\t...\n",
            r#"LABEL_PATTERN_CHANGED {"id":"","x-":0}"#,
        ),
        (
            "\t// sku.\n\tsku: =~\"^[A-Z]{2,3}$\"\n",
            "\t// sku.\n\tsku: =~\"^[A-Z]{3}$\"\n",
            r#"PATTERN_CHANGED {"sku":"AA"}"#,
        ),
    ];
    for (before, after, expected) in cases {
        let directory = edited("", before, after);
        let run = check(directory.path(), &["--format", "json"]);
        assert_eq!(
            run.code, 1,
            "{before} -> {after}: {}{}",
            run.stdout, run.stderr
        );
        assert_eq!(
            checked_counterexamples(directory.path(), &run.stdout, &source("", before)),
            [expected],
            "{before} -> {after}"
        );
    }
}

#[test]
fn a_counterexample_starts_from_the_examples_and_is_printed_in_every_format() {
    let before = "\t// name.\n\tname: string\n\t// n.\n\tn: int & <=100\n";
    let after = "\t// name.\n\tname: string\n\t// n.\n\tn: int & <=50\n";
    let directory = edited("", before, after);
    write(
        directory.path(),
        &[(
            "sources/a/examples/A%3Ax/ada.json",
            "{\"name\": \"Ada Lovelace\", \"n\": 7}\n".to_string(),
        )],
    );
    let run = check(directory.path(), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        checked_counterexamples(directory.path(), &run.stdout, &source("", before)),
        [r#"BOUND_TIGHTENED {"name":"Ada Lovelace","n":51}"#]
    );

    let run = check(directory.path(), &[]);
    assert!(
        run.stdout.contains(
            "  = counterexample: {\"name\":\"Ada Lovelace\",\"n\":51}: accepted by the previous \
             version, rejected by the current one: n: invalid value 51 (out of bound <=50)"
        ),
        "{}",
        run.stdout
    );

    let summary = directory.path().join("summary.md");
    let run = cuemesh_with_env(
        directory.path(),
        &["check", "--against", "main", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert!(
        run.stdout.contains(
            "%0Acounterexample: {\"name\":\"Ada Lovelace\",\"n\":51}: accepted by the previous version"
        ),
        "{}",
        run.stdout
    );
    let summary = std::fs::read_to_string(&summary).expect("a step summary");
    assert!(summary.contains("### Counterexamples"), "{summary}");
    assert!(
        summary.contains("```json\n  {\"name\":\"Ada Lovelace\",\"n\":51}\n  ```"),
        "{summary}"
    );
}
