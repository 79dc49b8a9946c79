//! `cuemesh completions SHELL`: every shell's script is generated, the bash one is accepted by
//! `bash -n` and completes every subcommand `--help` lists.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn the_bash_script_is_valid_and_names_every_subcommand() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = common::cuemesh(root, &["completions", "bash"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let commands = common::subcommands(root);
    assert!(
        commands.len() >= 9,
        "too few subcommands parsed from --help: {commands:?}"
    );
    for command in &commands {
        assert!(
            run.stdout.contains(&format!("cuemesh,{command})")),
            "the bash script does not complete {command}"
        );
    }
    let directory = tempfile::tempdir().expect("temporary directory");
    let script = directory.path().join("cuemesh.bash");
    std::fs::write(&script, &run.stdout).expect("write the script");
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("run bash -n");
    assert!(
        syntax.status.success(),
        "bash -n refused the script: {}",
        String::from_utf8_lossy(&syntax.stderr)
    );
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_shell_is_a_usage_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (shell, marker) in [
        ("zsh", "#compdef cuemesh"),
        ("fish", "complete -c cuemesh"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[cuemesh]"),
    ] {
        let run = common::cuemesh(root, &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains(marker), "{shell} script lacks {marker}");
    }
    let run = common::cuemesh(root, &["completions", "tcsh"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid value 'tcsh'"),
        "{}",
        run.stderr
    );
}
