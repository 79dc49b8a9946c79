//! The README's walkthrough, run as written: every indented command block of the section
//! "Walkthrough" runs in one `bash` in an empty directory, with the built `cuemesh` on `PATH`,
//! and every output line the README shows (`# ...` under a command) must appear in what the
//! commands printed, in order.
//!
//! What is not taken literally, and why:
//! - the block that builds the binary (`cargo build ...`) is replaced by putting the binary this
//!   test was built with on `PATH`;
//! - the ports the README uses (8080, 8090, 4222, 8222) become free ports, so that the test runs
//!   beside other servers;
//! - in the expected lines, `...` and `…` match any text, and commit ids, digests, event ids,
//!   dates and times match any value of their shape (they differ on every run); every other
//!   character, counts and names included, must be printed as shown. Expected lines under a
//!   command that runs in the background (`&`) may appear anywhere in the transcript, since
//!   such a command prints while later ones run.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

use regex::Regex;

/// The ports the README names, in the order they are replaced.
const README_PORTS: [&str; 4] = ["8080", "8090", "4222", "8222"];

/// One command block's part: the commands, then the output lines the README shows for them.
#[derive(Debug)]
struct Step {
    code: String,
    expected: Vec<String>,
    /// The commands end in `&`: what they print may come at any later time.
    background: bool,
}

#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md at the workspace root");
    let mut section = walkthrough_section(&readme).to_string();
    for port in README_PORTS {
        section = section.replace(port, &free_port().to_string());
    }
    let steps = steps(&section);
    assert!(
        steps.len() > 10,
        "the walkthrough has its steps: {steps:#?}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let binary = Path::new(env!("CARGO_BIN_EXE_cuemesh"));
    let script = script(&steps, binary.parent().expect("the binary's directory"));
    std::fs::write(dir.path().join("walkthrough.sh"), &script).expect("writes the script");
    let path = format!(
        "{}:{}:/usr/sbin",
        binary.parent().expect("directory").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // A bound on the whole run, so that a server that never comes up fails the test.
    let output = Command::new("timeout")
        .args(["300", "bash", "walkthrough.sh"])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir.path())
        .env("LANG", "C.UTF-8")
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("runs bash");
    let transcript = String::from_utf8_lossy(&output.stdout).into_owned();
    let problems = check(&steps, &transcript);
    assert!(
        problems.is_empty(),
        "the walkthrough does not run as written:\n{}\n\n--- transcript ---\n{transcript}\n--- stderr ---\n{}",
        problems.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The text from the heading `## Walkthrough` to the next `## ` heading.
fn walkthrough_section(readme: &str) -> &str {
    let start = readme
        .find("\n## Walkthrough")
        .expect("the README has a walkthrough");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |at| at + 3);
    &rest[..end]
}

/// The steps of every indented block, in order: commands, then the `# ` lines under them.
fn steps(section: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut code = String::new();
    let mut expected = Vec::new();
    let mut in_block = false;
    // The terminator of a here-document being read: its lines are input, never output.
    let mut heredoc: Option<String> = None;
    let flush = |code: &mut String, expected: &mut Vec<String>, steps: &mut Vec<Step>| {
        if !code.trim().is_empty() {
            let background = code.trim_end().ends_with('&');
            steps.push(Step {
                code: std::mem::take(code),
                expected: std::mem::take(expected),
                background,
            });
        }
        code.clear();
        expected.clear();
    };
    for line in section.lines() {
        let Some(body) = line.strip_prefix("    ") else {
            // A blank line inside a block keeps it open; prose ends it.
            if !line.trim().is_empty() && in_block {
                flush(&mut code, &mut expected, &mut steps);
                in_block = false;
            } else if in_block && line.trim().is_empty() {
                code.push('\n');
            }
            continue;
        };
        in_block = true;
        if let Some(terminator) = &heredoc {
            if body.trim() == terminator {
                heredoc = None;
            }
            code.push_str(body);
            code.push('\n');
            continue;
        }
        if let Some(shown) = body.strip_prefix('#') {
            expected.push(shown.trim().to_string());
        } else {
            if !expected.is_empty() {
                flush(&mut code, &mut expected, &mut steps);
            }
            heredoc = heredoc_terminator(body);
            code.push_str(body);
            code.push('\n');
        }
    }
    flush(&mut code, &mut expected, &mut steps);
    steps
}

/// The word that ends a here-document this line starts (`<<'EOF'`, `<<EOF`, `<<-"END"`).
fn heredoc_terminator(line: &str) -> Option<String> {
    let after = &line[line.find("<<")? + 2..];
    let word = after.trim_start_matches('-').trim_start();
    let word: String = word
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// One bash script running every step in the same shell (so `cd` and `export` carry over),
/// each between markers that carry its exit status, then stopping the background jobs.
fn script(steps: &[Step], binary_dir: &Path) -> String {
    let mut script = String::from("set -u\nexec 2>&1\n");
    for (index, step) in steps.iter().enumerate() {
        let code = if step.code.trim_start().starts_with("cargo build") {
            format!("export PATH=\"{}:$PATH\"\n", binary_dir.display())
        } else {
            step.code.clone()
        };
        let _ = write!(
            script,
            "printf '\\n@@step {index} begin\\n'\n{{\n{code}\n}}\nprintf '\\n@@step {index} end %d\\n' $?\n"
        );
    }
    script.push_str("jobs -p | xargs -r kill\nwait\n");
    script
}

/// Every expected line that is not where the README says, and every failed step.
fn check(steps: &[Step], transcript: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let begin = format!("@@step {index} begin\n");
        let Some(start) = transcript.find(&begin) else {
            problems.push(format!("step {index} did not run: {}", step.code.trim()));
            break;
        };
        let after = &transcript[start + begin.len()..];
        let end_marker = format!("@@step {index} end ");
        let Some(end) = after.find(&end_marker) else {
            problems.push(format!("step {index} did not finish: {}", step.code.trim()));
            break;
        };
        let status = after[end + end_marker.len()..]
            .lines()
            .next()
            .unwrap_or_default();
        // A step with shown output is judged by it (a refused `check` exits 1 on purpose).
        if step.expected.is_empty() && status != "0" {
            problems.push(format!(
                "step {index} exited with {status}: {}",
                step.code.trim()
            ));
        }
        let output = if step.background {
            transcript
        } else {
            &after[..end]
        };
        let mut from = 0;
        for line in &step.expected {
            let Some(pattern) = pattern(line) else {
                continue;
            };
            match pattern.find(&output[from..]) {
                Some(found) => from += found.end(),
                None => problems.push(format!(
                    "step {index} ({}): not printed: {line}",
                    step.code.lines().next().unwrap_or_default().trim()
                )),
            }
        }
    }
    problems
}

/// The regular expression an expected line stands for, or `None` for a line that shows
/// nothing to check (`...`, or an empty `#`).
fn pattern(line: &str) -> Option<Regex> {
    let line = line.trim();
    if line.is_empty() || line == "..." || line == "…" {
        return None;
    }
    // Values that differ on every run, by shape.
    let variable = Regex::new(concat!(
        r"(?P<elision>\.\.\.|…)",
        r"|(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z)",
        r"|(?P<date>\d{4}-\d{2}-\d{2})",
        r"|(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4})",
        r"|(?P<hex>\b[0-9a-f]*[0-9][0-9a-f]*[a-f][0-9a-f]*\b|\b[0-9a-f]*[a-f][0-9a-f]*[0-9][0-9a-f]*\b)",
        r"|(?P<space>\s+)",
    ))
    .expect("a valid pattern");
    let mut pattern = String::new();
    let mut last = 0;
    for found in variable.captures_iter(line) {
        let whole = found.get(0).expect("the match");
        pattern.push_str(&regex::escape(&line[last..whole.start()]));
        let replacement = if found.name("elision").is_some() {
            ".*?"
        } else if found.name("time").is_some() {
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"
        } else if found.name("date").is_some() {
            r"\d{4}-\d{2}-\d{2}"
        } else if found.name("uuid").is_some() {
            "[0-9a-f]{8}-[0-9a-f]{4}"
        } else if found.name("hex").is_some() && whole.as_str().len() >= 7 {
            "[0-9a-f]{7,}"
        } else if found.name("space").is_some() {
            r"\s+"
        } else {
            pattern.push_str(&regex::escape(whole.as_str()));
            last = whole.end();
            continue;
        };
        pattern.push_str(replacement);
        last = whole.end();
    }
    pattern.push_str(&regex::escape(&line[last..]));
    Some(Regex::new(&pattern).expect("an escaped pattern"))
}

/// A port nothing listens on now (the listener is dropped at once; the walkthrough's servers
/// bind it moments later).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("binds a free port")
        .port()
}

#[test]
fn expected_lines_match_values_by_shape_and_the_rest_literally() {
    let commits = pattern_or_panic("main at 4e52a560d6dd: 1 commits, ... 4 versions");
    assert!(commits.is_match("main at 0123abc9f00d: 1 commits, 4 event types, 4 versions"));
    assert!(!commits.is_match("main at 0123abc9f00d: 2 commits, 4 event types"));
    let event = pattern_or_panic("2026-11-30T16:51:20.145Z x 01a22d5e-3bd0-… - {\"a\":1}");
    assert!(event.is_match("2027-01-02T03:04:05.6Z x 0199aabb-ccdd-7000-8 - {\"a\":1}"));
    assert!(!event.is_match("2027-01-02T03:04:05.6Z x 0199aabb-ccdd-7000-8 - {\"a\":2}"));
    assert!(pattern("...").is_none());
    let steps = steps(
        "## Walkthrough\n\n    a\n    # one\n    b &\n    # two\n\nprose\n\n    cat <<'EOF'\n    #X: 1\n    EOF\n    c\n",
    );
    assert_eq!(steps.len(), 3, "{steps:#?}");
    assert!(steps[1].background);
    assert_eq!(steps[2].code, "cat <<'EOF'\n#X: 1\nEOF\nc\n");
    assert!(steps[2].expected.is_empty());
}

fn pattern_or_panic(line: &str) -> Regex {
    pattern(line).expect("a pattern")
}
