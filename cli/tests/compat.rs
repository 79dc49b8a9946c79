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

#[test]
fn undecidable_changes_are_warnings_that_do_not_fail() {
    let v1 = "package a\n\n#E: {sku: =~\"^[A-Z]{3}$\"}\n";
    let v2 = "package a\n\n#E: {sku: =~\"^[A-Z]{2,3}$\"}\n";
    let dir = workspace(&[("v1.cue", v1), ("v2.cue", v2)]);
    let run = cuemesh(
        dir.path(),
        &["compat", "--previous", "v1.cue", "v2.cue", "-d", "#E"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("warning[PATTERN_CHANGED]: sku:"),
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
