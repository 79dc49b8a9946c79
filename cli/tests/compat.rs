//! End-to-end tests of `cuemesh compat`: the built binary on schema versions in a temporary
//! directory.

mod common;
use common::{cuemesh, workspace};

const V1: &str = "package orders

#Order: {
\tid:    string
\tqty:   int & >=0
\tnote?: string
}
";

const V2: &str = "package orders

#Order: {
\tid:    string
\tqty:   int & >=1
\tcount: int
}
";

#[test]
fn backward_findings_point_at_the_right_version_and_exit_1() {
    let dir = workspace(&[("v1.cue", V1), ("v2.cue", V2)]);
    let run = cuemesh(
        dir.path(),
        &["compat", "--previous", "v1.cue", "v2.cue", "-d", "#Order"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("error[BOUND_TIGHTENED]: qty:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(" --> ./v2.cue:5:2"), "{}", run.stdout);
    assert!(
        run.stdout.contains("error[FIELD_REMOVED]: note:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(" --> ./v1.cue:6:2"), "{}", run.stdout);
    assert!(
        run.stdout.contains("error[REQUIRED_FIELD_ADDED]: count:"),
        "{}",
        run.stdout
    );
    // A forward-only change does not matter in BACKWARD.
    assert!(!run.stdout.contains("[FIELD_ADDED]"), "{}", run.stdout);
    assert!(
        run.stdout
            .ends_with("#Order BACKWARD: incompatible (3 errors, 0 warnings)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_compatible_change_exits_0_and_modes_parse_in_any_case() {
    let v2 = "package orders\n\n#Order: {\n\tid: string\n\tqty: int & >=0\n\tnote?: string\n\tgift?: bool\n}\n";
    let dir = workspace(&[("v1.cue", V1), ("v2.cue", v2)]);
    let run = cuemesh(
        dir.path(),
        &["compat", "--previous", "v1.cue", "v2.cue", "-d", "#Order"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "#Order BACKWARD: compatible (0 errors, 0 warnings)\n"
    );
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "v1.cue",
            "v2.cue",
            "-d",
            "#Order",
            "--mode",
            "forward",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("error[FIELD_ADDED]: gift:"),
        "{}",
        run.stdout
    );
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "v1.cue",
            "v2.cue",
            "-d",
            "#Order",
            "--mode",
            "none",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn transitive_modes_use_every_previous_version_first_is_latest() {
    let v0 = "package orders\n\n#Order: {\n\tid: string\n\tqty: int & >=0\n\tnote?: string\n\tlegacy?: string\n}\n";
    let dir = workspace(&[("v0/a.cue", v0), ("v1/a.cue", V1), ("v2/a.cue", V1)]);
    let args = |mode: &'static str| {
        [
            "compat",
            "--previous",
            "v1",
            "--previous",
            "v0",
            "v2",
            "-d",
            "#Order",
            "--mode",
            mode,
        ]
    };
    let run = cuemesh(dir.path(), &args("BACKWARD"));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = cuemesh(dir.path(), &args("BACKWARD_TRANSITIVE"));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("error[FIELD_REMOVED]: legacy:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(" --> ./v0/a.cue:7:2"), "{}", run.stdout);
}

#[test]
fn json_and_github_formats() {
    let dir = workspace(&[("v1.cue", V1), ("v2.cue", V2)]);
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "v1.cue",
            "v2.cue",
            "-d",
            "#Order",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["code"], "BOUND_TIGHTENED");
    assert_eq!(lines[0]["path"], "qty");
    assert_eq!(lines[0]["locations"][0]["file"], "./v2.cue");
    assert_eq!(lines[0]["locations"][0]["line"], 5);
    assert_eq!(lines[1]["code"], "FIELD_REMOVED");
    assert_eq!(lines[1]["locations"][0]["file"], "./v1.cue");
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "v1.cue",
            "v2.cue",
            "-d",
            "#Order",
            "--format",
            "github",
        ],
    );
    assert!(
        run.stdout.starts_with(
            "::error file=v2.cue,line=5,col=2,endLine=5,endColumn=5,title=BOUND_TIGHTENED::qty: "
        ),
        "{}",
        run.stdout
    );
}

/// Every `counterexample` member of `--format json` lines, each re-validated here.
fn counterexamples(stdout: &str, previous: &str, current: &str, definition: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in stdout.lines() {
        let finding: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if finding["counterexample"].is_object() {
            common::revalidate_counterexample(
                &[("v1.cue", previous)],
                &[("v2.cue", current)],
                definition,
                &finding["counterexample"],
            );
            found.push(format!(
                "{} {}",
                finding["code"].as_str().expect("a code"),
                finding["counterexample"]["value"]
            ));
        } else {
            assert!(
                finding["counterexample_note"].is_string(),
                "a finding without a counterexample says why: {line}"
            );
        }
    }
    found
}

#[test]
fn every_error_carries_a_counterexample_validated_against_both_versions() {
    let dir = workspace(&[("v1.cue", V1), ("v2.cue", V2)]);
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "v1.cue",
            "v2.cue",
            "-d",
            "#Order",
            "--mode",
            "FULL",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let found = counterexamples(&run.stdout, V1, V2, "#Order");
    assert_eq!(found.len(), run.stdout.lines().count(), "{}", run.stdout);
    assert!(
        found.contains(&r#"BOUND_TIGHTENED {"id":"","qty":0}"#.to_string()),
        "{found:?}"
    );
    // In text, the counterexample stands under the finding's snippet.
    let run = cuemesh(
        dir.path(),
        &["compat", "--previous", "v1.cue", "v2.cue", "-d", "#Order"],
    );
    assert!(
        run.stdout.contains(
            "  = counterexample: {\"id\":\"\",\"qty\":0}: accepted by the previous version, \
             rejected by the current one: qty: invalid value 0 (out of bound >=1)"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_regex_change_is_decided_by_automata() {
    let v1 = "package a\n\n#E: {sku: =~\"^[A-Z]{3}$\"}\n";
    let v2 = "package a\n\n#E: {sku: =~\"^[A-Z]{2,3}$\"}\n";
    let dir = workspace(&[("v1.cue", v1), ("v2.cue", v2)]);
    let run = cuemesh(
        dir.path(),
        &["compat", "--previous", "v1.cue", "v2.cue", "-d", "#E"],
    );
    // Every string of three capitals has two or three: nothing is lost, not even a warning.
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("(0 errors, 0 warnings)"),
        "{}",
        run.stdout
    );
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "v1.cue",
            "v2.cue",
            "-d",
            "#E",
            "--mode",
            "FORWARD",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        counterexamples(&run.stdout, v1, v2, "#E"),
        [r#"PATTERN_CHANGED {"sku":"AA"}"#]
    );
}

#[test]
fn the_four_changes_that_used_to_pass_the_gate_are_errors_with_counterexamples() {
    let cases = [
        (
            "#E: {n: int, m: int & >=n}",
            "#E: {n: int, m: int & >n}",
            r#"DEPENDENT_CONSTRAINT_CHANGED {"n":0,"m":0}"#,
        ),
        (
            "#E: {pay: {card: string} | {iban: string}}",
            "#E: {pay: {card: string}}",
            r#"DISJUNCTION_UNDECIDED {"pay":{"iban":""}}"#,
        ),
        (
            "#E: {qty: int}",
            "#E: {qty: int & !=0}",
            r#"VALIDATOR_CHANGED {"qty":0}"#,
        ),
        (
            "#E: {id: string, ...}",
            "#E: {id: string, [=~\"^x-\"]: string, ...}",
            r#"LABEL_PATTERN_CHANGED {"id":"","x-":0}"#,
        ),
    ];
    for (before, after, expected) in cases {
        let (v1, v2) = (
            format!("package a\n\n{before}\n"),
            format!("package a\n\n{after}\n"),
        );
        let dir = workspace(&[("v1.cue", &v1), ("v2.cue", &v2)]);
        let run = cuemesh(
            dir.path(),
            &[
                "compat",
                "--previous",
                "v1.cue",
                "v2.cue",
                "-d",
                "#E",
                "--format",
                "json",
            ],
        );
        assert_eq!(run.code, 1, "{before} -> {after}: {}", run.stdout);
        assert_eq!(counterexamples(&run.stdout, &v1, &v2, "#E"), [expected]);
    }
}

#[test]
fn a_change_no_counterexample_shows_stays_a_warning_that_says_so() {
    // Forward, `m: >n` accepts nothing `m: >=n` rejects, but that is not proven: the search
    // finds no counterexample and says so.
    let v1 = "package a\n\n#E: {n: int, m: int & >=n}\n";
    let v2 = "package a\n\n#E: {n: int, m: int & >n}\n";
    let dir = workspace(&[("v1.cue", v1), ("v2.cue", v2)]);
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "v1.cue",
            "v2.cue",
            "-d",
            "#E",
            "--mode",
            "FORWARD",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("warning[DEPENDENT_CONSTRAINT_CHANGED]: m:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  = no counterexample found: "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("(0 errors, 1 warning)"),
        "{}",
        run.stdout
    );
}

#[test]
fn usage_errors_exit_2_and_broken_versions_exit_1() {
    let dir = workspace(&[
        ("v1.cue", V1),
        ("v2.cue", V2),
        ("bad.cue", "#Order: {a: int & string}\n"),
    ]);
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "v1.cue",
            "v2.cue",
            "-d",
            "#Order",
            "--mode",
            "sideways",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("unknown compatibility mode \"sideways\""),
        "{}",
        run.stderr
    );
    let run = cuemesh(
        dir.path(),
        &["compat", "--previous", "v1.cue", "v2.cue", "-d", "#Nope"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no definition #Nope"), "{}", run.stderr);
    let run = cuemesh(
        dir.path(),
        &[
            "compat",
            "--previous",
            "missing.cue",
            "v2.cue",
            "-d",
            "#Order",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = cuemesh(
        dir.path(),
        &["compat", "--previous", "v1.cue", "bad.cue", "-d", "#Order"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("error["), "{}", run.stdout);
}
