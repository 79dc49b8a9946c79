//! End-to-end tests of `cuemesh lint`: the built binary on small governance repositories in
//! temporary directories.

mod common;
use common::{cuemesh_with_env, Run};

const MODULE: &str = "module: \"schemas.example.com\"\n";

const COMMON: &str = "package common

// A person's name.
#Name: {
\t// given name
\tgiven: =~\"^[A-Z]\"
\t// family name
\tfamily?: string
}
";

const IDENTITY: &str = "package identity

import \"schemas.example.com/sources/common\"

source: {
\tid:          \"MySource\"
\towner:       \"@acme/identity\"
\tdescription: \"People known to the identity service.\"
}
events: {
\t// A person was registered.
\t\"MySource:newPerson\": #Identity @compat(FULL)
}

// A person.
#Identity: {
\t// the person's name
\tname: common.#Name
\t// age in years
\tage?: int & >=0
}
";

const SETTINGS: &str = "package cuemesh

compatibility: \"BACKWARD\"
registry: url: \"https://schemas.example.com\"
lint: rules: EXAMPLE_MISSING: \"error\"
";

const CONSUMER: &str = "package billing

consumer: {id: \"billing\", owner: \"@acme/billing\"}
reads: \"MySource\": \"MySource:newPerson\": version: \"latest\"
";

const EXAMPLE_PATH: &str = "sources/identity/examples/MySource%3AnewPerson/ada.json";
const EXAMPLE: &str = "{\"name\": {\"given\": \"Ada\"}, \"age\": 36}\n";

/// The clean repository with `changes` applied (`None` removes a file).
fn repository(changes: &[(&str, Option<&str>)]) -> tempfile::TempDir {
    let mut files = vec![
        ("cue.mod/module.cue", MODULE),
        ("cuemesh.cue", SETTINGS),
        ("sources/common/common.cue", COMMON),
        ("sources/identity/identity.cue", IDENTITY),
        (EXAMPLE_PATH, EXAMPLE),
        ("CODEOWNERS", "sources/identity/ @acme/identity\n"),
    ];
    for (path, text) in changes {
        files.retain(|(p, _)| p != path);
        if let Some(text) = text {
            files.push((path, text));
        }
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create a folder");
        std::fs::write(path, text).expect("write a fixture");
    }
    dir
}

fn lint(changes: &[(&str, Option<&str>)], args: &[&str]) -> Run {
    let dir = repository(changes);
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    cuemesh_with_env(dir.path(), &all, &[])
}

#[test]
fn a_clean_repository_exits_0() {
    let run = lint(&[], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "cuemesh lint: 0 errors, 0 warnings (1 source, 1 event type, 1 example checked)\n"
    );
}

#[test]
fn lint_finds_the_repository_from_a_subdirectory_and_with_repo() {
    let dir = repository(&[]);
    let run = cuemesh_with_env(&dir.path().join("sources/identity"), &["lint"], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = cuemesh_with_env(
        dir.path().parent().expect("a parent"),
        &["lint", "--repo", dir.path().to_str().expect("UTF-8 path")],
        &[],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn no_module_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = cuemesh_with_env(dir.path(), &["lint"], &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("no cue.mod/module.cue found"),
        "{}",
        run.stderr
    );
}

/// A rule, the changes that break it, and where its finding starts (`file:line:` or more).
type Case = (
    &'static str,
    Vec<(&'static str, Option<String>)>,
    &'static str,
);

/// One broken repository per rule: lint exits 1 and names the rule at its position.
#[test]
fn each_rule_exits_1_naming_the_rule_and_position() {
    let cases: Vec<Case> = vec![
        (
            "PACKAGE_ERROR",
            vec![(
                "sources/identity/identity.cue",
                Some(IDENTITY.replace("#Identity: {\n", "#Identity: {\n\t// bad\n\tbad: 1 & 2\n")),
            )],
            "sources/identity/identity.cue:18:",
        ),
        (
            "CONFIG_INVALID",
            vec![(
                "cuemesh.cue",
                Some(SETTINGS.replace("EXAMPLE_MISSING", "EXAMPLES_MISSING")),
            )],
            "cuemesh.cue:5:14",
        ),
        (
            "SOURCE_CONTRACT_BROKEN",
            vec![(
                "sources/identity/identity.cue",
                Some(IDENTITY.replace("\towner:       \"@acme/identity\"\n", "")),
            )],
            "sources/identity/identity.cue:5:1",
        ),
        (
            "DUPLICATE_SOURCE_ID",
            vec![(
                "sources/people/people.cue",
                Some(
                    IDENTITY
                        .replace("package identity", "package people")
                        .replace(":newPerson", ":otherPerson"),
                ),
            )],
            "sources/people/people.cue:6:15",
        ),
        (
            "DUPLICATE_EVENT_TYPE",
            vec![(
                "sources/people/people.cue",
                Some(
                    IDENTITY
                        .replace("package identity", "package people")
                        .replace("\"MySource\"", "\"People\""),
                ),
            )],
            "sources/people/people.cue:12:2",
        ),
        (
            "EVENT_NOT_A_DEFINITION",
            vec![(
                "sources/identity/identity.cue",
                Some(IDENTITY.replace("#Identity @compat", "{a: int} @compat")),
            )],
            "sources/identity/identity.cue:12:24",
        ),
        (
            "SOURCE_ID_NAME",
            vec![(
                "sources/identity/identity.cue",
                Some(IDENTITY.replace("\"MySource\"", "\"my_source\"")),
            )],
            "sources/identity/identity.cue:6:15",
        ),
        (
            "OWNER_FORMAT",
            vec![(
                "sources/identity/identity.cue",
                Some(IDENTITY.replace("@acme/identity", "acme")),
            )],
            "sources/identity/identity.cue:7:15",
        ),
        (
            "EVENT_TYPE_NAME",
            vec![
                (
                    "sources/identity/identity.cue",
                    Some(IDENTITY.replace("MySource:newPerson", "MySource.new_person")),
                ),
                (EXAMPLE_PATH, None),
                (
                    "sources/identity/examples/MySource.new_person/ada.json",
                    Some(EXAMPLE.to_string()),
                ),
            ],
            "sources/identity/identity.cue:12:2",
        ),
        (
            "DEFINITION_NAME_CASE",
            vec![(
                "sources/common/common.cue",
                Some(COMMON.replace("#Name", "#name")),
            )],
            "sources/common/common.cue:4:1",
        ),
        (
            "FIELD_NAME_CASE",
            vec![(
                "sources/common/common.cue",
                Some(COMMON.replace("family?", "family_name?")),
            )],
            "sources/common/common.cue:8:2",
        ),
        (
            "FIELD_DOC_MISSING",
            vec![(
                "sources/common/common.cue",
                Some(COMMON.replace("\t// family name\n", "")),
            )],
            "sources/common/common.cue:7:2",
        ),
        (
            "EXAMPLE_INVALID",
            vec![(
                EXAMPLE_PATH,
                Some("{\"name\": {\"given\": \"ada\"}, \"age\": -1}\n".to_string()),
            )],
            "sources/identity/examples/MySource%3AnewPerson/ada.json:1:20",
        ),
        (
            "EXAMPLE_MISSING",
            vec![(EXAMPLE_PATH, None)],
            "sources/identity/identity.cue:12:2",
        ),
        (
            "CODEOWNERS_OWNER",
            vec![(
                "CODEOWNERS",
                Some("*  @acme/data-governance\n/sources/identity/  @acme/payments\n".to_string()),
            )],
            "CODEOWNERS:2:1",
        ),
        (
            "EXAMPLE_UNKNOWN_EVENT",
            vec![(
                "sources/identity/examples/MySource%3AoldPerson/ada.json",
                Some(EXAMPLE.to_string()),
            )],
            "sources/identity/examples/MySource%3AoldPerson/ada.json:1:1",
        ),
        (
            "UNKNOWN_FILE",
            vec![
                ("sources/identity/notes.txt", Some("x".to_string())),
                (
                    "cuemesh.cue",
                    Some(SETTINGS.replace("EXAMPLE_MISSING", "UNKNOWN_FILE")),
                ),
            ],
            "sources/identity/notes.txt:1:1",
        ),
        (
            "IGNORE_UNUSED",
            vec![
                (
                    "sources/common/common.cue",
                    Some(COMMON.replace(
                        "\tgiven:",
                        "\tgiven: // cuemesh:ignore FIELD_NAME_CASE\n\tgiven:",
                    )),
                ),
                (
                    "cuemesh.cue",
                    Some(SETTINGS.replace("EXAMPLE_MISSING", "IGNORE_UNUSED")),
                ),
            ],
            "sources/common/common.cue:6:9",
        ),
    ];
    let consumer_cases: Vec<Case> = vec![
        (
            "CONSUMER_INVALID",
            vec![(
                "consumers/billing.cue",
                Some(CONSUMER.replace("version: \"latest\"", "version: \"newest\"")),
            )],
            "consumers/billing.cue:4:51",
        ),
        (
            "CONSUMER_ID_DUPLICATE",
            vec![
                ("consumers/billing.cue", Some(CONSUMER.to_string())),
                (
                    "consumers/invoices.cue",
                    Some(CONSUMER.replace("package billing", "package invoices")),
                ),
            ],
            "consumers/invoices.cue:3:16",
        ),
        (
            "CONSUMER_READS_UNKNOWN",
            vec![(
                "consumers/billing.cue",
                Some(CONSUMER.replace("MySource:newPerson", "MySource:oldPerson")),
            )],
            "consumers/billing.cue:4:20",
        ),
    ];
    let mut tested: Vec<&str> = Vec::new();
    for (rule, changes, position) in cases.iter().chain(&consumer_cases) {
        let changes: Vec<(&str, Option<&str>)> = changes
            .iter()
            .map(|(path, text)| (*path, text.as_deref()))
            .collect();
        let run = lint(&changes, &["--format", "json"]);
        assert_eq!(run.code, 1, "{rule}: {}{}", run.stdout, run.stderr);
        let found = run.stdout.lines().any(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON lines");
            let location = &value["locations"][0];
            let at = format!(
                "{}:{}:{}",
                location["file"].as_str().unwrap_or(""),
                location["line"],
                location["column"]
            );
            value["code"] == *rule && value["severity"] == "error" && at.starts_with(position)
        });
        assert!(found, "{rule} at {position}:\n{}", run.stdout);
        tested.push(rule);
    }
    for code in cuemesh_registry::LintCode::ALL {
        assert!(tested.contains(&code.id()), "{code} has no end-to-end case");
    }
}

#[test]
fn ignore_comments_silence_a_rule_on_their_line() {
    let common = COMMON.replace(
        "\t// family name\n\tfamily?",
        "\t// cuemesh:ignore FIELD_DOC_MISSING,FIELD_NAME_CASE legacy name\n\tfamily_name?",
    );
    let run = lint(&[("sources/common/common.cue", Some(&common))], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let trailing = COMMON.replace(
        "\t// family name\n\tfamily?: string",
        "\tfamily?: string // cuemesh:ignore FIELD_DOC_MISSING",
    );
    let run = lint(&[("sources/common/common.cue", Some(&trailing))], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // A directive for another line silences nothing there, and says so.
    let misplaced = COMMON.replace(
        "\t// family name\n\tfamily?: string",
        "\t// cuemesh:ignore FIELD_DOC_MISSING\n\n\t// given\n\tgiven2: string\n\tfamily?: string",
    );
    let run = lint(&[("sources/common/common.cue", Some(&misplaced))], &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "warning[IGNORE_UNUSED]: cuemesh:ignore FIELD_DOC_MISSING silences nothing on line 10"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("error[FIELD_DOC_MISSING]: #Name.family: field family has no doc comment"),
        "{}",
        run.stdout
    );
}

#[test]
fn configured_severities_turn_errors_into_warnings_or_off() {
    let undocumented = COMMON.replace("\t// family name\n", "");
    let warning = SETTINGS.replace(
        "EXAMPLE_MISSING: \"error\"",
        "FIELD_DOC_MISSING: \"warning\"",
    );
    let run = lint(
        &[
            ("sources/common/common.cue", Some(&undocumented)),
            ("cuemesh.cue", Some(&warning)),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("warning[FIELD_DOC_MISSING]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("0 errors, 1 warning (1 source, 1 event type, 1 example checked)\n"),
        "{}",
        run.stdout
    );
    let off = SETTINGS.replace("EXAMPLE_MISSING: \"error\"", "FIELD_DOC_MISSING: \"off\"");
    let run = lint(
        &[
            ("sources/common/common.cue", Some(&undocumented)),
            ("cuemesh.cue", Some(&off)),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("FIELD_DOC_MISSING"), "{}", run.stdout);
    // Without cuemesh.cue a missing example is a warning (the default): exit 0.
    let run = lint(&[("cuemesh.cue", None), (EXAMPLE_PATH, None)], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("warning[EXAMPLE_MISSING]"),
        "{}",
        run.stdout
    );
}

#[test]
fn text_output_shows_source_snippets() {
    let run = lint(
        &[(EXAMPLE_PATH, Some("{\"name\": {\"given\": \"ada\"}}\n"))],
        &[],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let expected = "error[EXAMPLE_INVALID]: name.given: invalid value \"ada\" (out of bound =~\"^[A-Z]\")
 --> sources/identity/examples/MySource%3AnewPerson/ada.json:1:20
  |
1 | {\"name\": {\"given\": \"ada\"}}
  |                    ^^^^^
 --> sources/common/common.cue:6:9
  |
6 | \tgiven: =~\"^[A-Z]\"
  | \t       ^^^^^^^^^^
  = help: sources/identity/examples/MySource%3AnewPerson/ada.json is checked against events[\"MySource:newPerson\"] of sources/identity

cuemesh lint: 1 error, 0 warnings (1 source, 1 event type, 1 example checked)
";
    assert_eq!(run.stdout, expected);
}

#[test]
fn github_output_annotates_and_appends_a_step_summary() {
    let dir = repository(&[(
        EXAMPLE_PATH,
        Some("{\"name\": {\"given\": \"ada\"}, \"age\": 1.5}\n"),
    )]);
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").expect("write the summary");
    let run = cuemesh_with_env(
        dir.path(),
        &["lint", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[0].starts_with("::error file=sources/identity/examples/MySource%253AnewPerson/ada.json,line=1,col=20,endLine=1,endColumn=25,title=EXAMPLE_INVALID::name.given: invalid value \"ada\" (out of bound =~\"^[A-Z]\")%0A    sources/common/common.cue:6:9%0Ahelp: "),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::error file=sources/identity/examples/MySource%253AnewPerson/ada.json,line=1,col=35,endLine=1,endColumn=38,title=EXAMPLE_INVALID::age: conflicting values 1.5 and int"),
        "{}",
        lines[1]
    );
    let written = std::fs::read_to_string(&summary).expect("the summary");
    assert!(
        written.starts_with("earlier step\n## cuemesh lint\n\n❌ 2 errors, 0 warnings"),
        "{written}"
    );
    assert!(written.contains("| error | `EXAMPLE_INVALID` | `sources/identity/examples/MySource%3AnewPerson/ada.json:1:20` | name.given: invalid value \"ada\" (out of bound =~\"^[A-Z]\") |"), "{written}");
}

#[test]
fn json_output_is_one_object_per_finding() {
    let run = lint(
        &[("sources/identity/notes.txt", Some("x"))],
        &["--format", "json"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let value: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON line");
    assert_eq!(value["code"], "UNKNOWN_FILE");
    assert_eq!(value["severity"], "warning");
    assert_eq!(value["locations"][0]["file"], "sources/identity/notes.txt");
}

#[test]
fn a_broken_package_does_not_stop_the_others() {
    let broken = IDENTITY
        .replace("package identity", "package people")
        .replace("MySource", "People")
        .replace("events: {", "events: {{");
    let run = lint(
        &[
            ("sources/people/people.cue", Some(&broken)),
            (EXAMPLE_PATH, Some("{}\n")),
        ],
        &["--format", "json"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("\"PACKAGE_ERROR\""), "{}", run.stdout);
    assert!(run.stdout.contains("\"EXAMPLE_INVALID\""), "{}", run.stdout);
}
