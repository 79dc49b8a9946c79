//! The reference manual, generated from the code so that it cannot drift: every command and
//! flag from clap's `Command` tree, every lint rule from `cuemesh_registry::LintCode::ALL`, every
//! compatibility rule from `cue::compat::RULES`, every diagnostic code of the engine from
//! `cue::Code::ALL` and every key of `cuemesh.cue` from
//! `cuemesh_registry::settings::SETTING_KEYS`. `docs/reference.md` is its output, and a test
//! fails when the committed file differs.
//!
//! The output is stable: commands, rules and keys are sorted by name, arguments keep their
//! declaration order, and nothing depends on the terminal width or the environment.

use clap::builder::{Arg, Command};
use cuemesh_registry::settings::SETTING_KEYS;
use cuemesh_registry::LintCode;
use std::fmt::Write as _;

/// The command that regenerates `docs/reference.md`, named in the file and in the test.
pub const REGENERATE: &str = "cargo run -p cuemesh -- reference markdown > docs/reference.md";

/// The whole reference as Markdown, for the binary's command tree.
pub fn markdown(command: &Command) -> String {
    let mut out = String::new();
    let name = command.get_name();
    let _ = writeln!(out, "# {name} reference\n");
    let _ = writeln!(
        out,
        "Generated from the code by `{name} reference markdown`; do not edit by hand. \
         `cargo test -p cuemesh --test reference` fails when this file is stale, and \
         `{REGENERATE}` rewrites it.\n"
    );
    out.push_str("- [Commands](#commands)\n- [Lint rules](#lint-rules)\n");
    out.push_str("- [Compatibility rules](#compatibility-rules)\n");
    out.push_str("- [Engine diagnostic codes](#engine-diagnostic-codes)\n");
    out.push_str("- [Settings (`cuemesh.cue`)](#settings-cuemeshcue)\n");
    out.push_str("- [The consumer contract](#the-consumer-contract)\n");
    out.push_str("- [Registry endpoints](#registry-endpoints)\n\n");
    write_commands(&mut out, command);
    write_lint_rules(&mut out);
    write_compat_rules(&mut out);
    write_engine_codes(&mut out);
    write_settings(&mut out);
    write_consumer_contract(&mut out);
    write_registry_endpoints(&mut out, &cuemesh_registry::serve::description());
    out
}

fn write_commands(out: &mut String, root: &Command) {
    let name = root.get_name();
    out.push_str("## Commands\n\n");
    if let Some(about) = root.get_about() {
        let _ = writeln!(out, "{}\n", about.to_string().trim());
    }
    let globals: Vec<&Arg> = visible_arguments(root).collect();
    if !globals.is_empty() {
        out.push_str("Global options (accepted by every command):\n\n");
        write_argument_table(out, &globals);
    }
    let mut commands: Vec<&Command> = root
        .get_subcommands()
        .filter(|command| !command.is_hide_set())
        .collect();
    commands.sort_by_key(|command| command.get_name());
    for command in commands {
        write_command(out, name, command);
    }
}

/// One command's section, followed by one per subcommand (`import jsonschema`).
fn write_command(out: &mut String, parent: &str, command: &Command) {
    let full = format!("{parent} {}", command.get_name());
    {
        let _ = writeln!(out, "### `{full}`\n");
        let usage = command
            .clone()
            .bin_name(full.clone())
            .render_usage()
            .to_string();
        let usage = usage.trim_start_matches("Usage:").trim();
        let _ = writeln!(out, "    {usage}\n");
        let about = command
            .get_long_about()
            .or_else(|| command.get_about())
            .map(|about| about.to_string())
            .unwrap_or_default();
        if !about.trim().is_empty() {
            let paragraphs: Vec<String> = about.trim().split("\n\n").map(prose).collect();
            let _ = writeln!(out, "{}\n", paragraphs.join("\n\n"));
        }
        let arguments: Vec<&Arg> = visible_arguments(command)
            .filter(|argument| !argument.is_global_set())
            .collect();
        if !arguments.is_empty() {
            write_argument_table(out, &arguments);
        }
    }
    let mut subcommands: Vec<&Command> = command
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .collect();
    subcommands.sort_by_key(|c| c.get_name());
    for sub in subcommands {
        write_command(out, &full, sub);
    }
}

/// The arguments a user types: not hidden, not clap's own `--help`/`--version`.
fn visible_arguments(command: &Command) -> impl Iterator<Item = &Arg> {
    command.get_arguments().filter(|argument| {
        !argument.is_hide_set() && !matches!(argument.get_id().as_str(), "help" | "version")
    })
}

fn write_argument_table(out: &mut String, arguments: &[&Arg]) {
    out.push_str("| argument | default | what it does |\n|---|---|---|\n");
    for argument in arguments {
        let help = argument
            .get_long_help()
            .or_else(|| argument.get_help())
            .map(|help| sentence(&help.to_string()))
            .unwrap_or_default();
        // A flag's `true`/`false` are not values a user types.
        let typed_values = if argument.get_action().takes_values() {
            argument.get_possible_values()
        } else {
            Vec::new()
        };
        let values: Vec<String> = typed_values
            .iter()
            .filter(|value| !value.is_hide_set())
            .map(|value| format!("`{}`", value.get_name()))
            .collect();
        let help = if values.is_empty() {
            help
        } else {
            format!("{help} One of {}.", values.join(", "))
        };
        let help = match argument.get_env() {
            Some(variable) => format!("{help} Also `${}`.", variable.to_string_lossy()),
            None => help,
        };
        let defaults: Vec<String> = argument
            .get_default_values()
            .iter()
            .map(|value| format!("`{}`", value.to_string_lossy()))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            argument_syntax(argument),
            if defaults.is_empty() {
                String::new()
            } else {
                defaults.join(", ")
            },
            escape_cell(&help)
        );
    }
    out.push('\n');
}

/// `--repo DIR`, `-d, --schema EXPRESSION`, `FILE...`, `--quiet`.
fn argument_syntax(argument: &Arg) -> String {
    let value_names: Vec<String> = argument
        .get_value_names()
        .map(|names| names.iter().map(|name| name.to_string()).collect())
        .unwrap_or_else(|| vec![argument.get_id().as_str().to_uppercase()]);
    let takes_value = argument.get_action().takes_values();
    let repeated = matches!(argument.get_action(), clap::ArgAction::Append)
        || argument
            .get_num_args()
            .is_some_and(|range| range.max_values() > 1);
    let ellipsis = if repeated { "..." } else { "" };
    if argument.is_positional() {
        return format!("{}{ellipsis}", value_names.join(" "));
    }
    let mut names = Vec::new();
    if let Some(short) = argument.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = argument.get_long() {
        names.push(format!("--{long}"));
    }
    let mut syntax = names.join(", ");
    if takes_value {
        let _ = write!(syntax, " {}{ellipsis}", value_names.join(" "));
    }
    syntax
}

fn write_lint_rules(out: &mut String) {
    out.push_str("## Lint rules\n\n");
    out.push_str(
        "Run by `cuemesh lint`. A configurable rule's severity is set in `cuemesh.cue` \
         (`lint: rules: RULE_ID: \"warning\"`) and a `// cuemesh:ignore RULE_ID` comment \
         silences it on one line; a fixed rule is the contract the registry relies on.\n\n",
    );
    out.push_str("| rule | default | configurable | what it finds |\n|---|---|---|---|\n");
    let mut codes = LintCode::ALL.to_vec();
    codes.sort_by_key(|code| code.id());
    for code in codes {
        let _ = writeln!(
            out,
            "| `{code}` | {} | {} | {} |",
            code.default_level().name(),
            if code.configurable() {
                "yes"
            } else {
                "no (fixed)"
            },
            escape_cell(code.purpose())
        );
    }
    out.push('\n');
}

fn write_compat_rules(out: &mut String) {
    out.push_str("## Compatibility rules\n\n");
    out.push_str(
        "Run by `cuemesh check` and `cuemesh compat` on every pair of versions. A breaking \
         finding is an error when the mode checks its direction (BACKWARD, FORWARD, FULL, \
         each optionally `_TRANSITIVE`); undecidable and meaning changes are warnings.\n\n",
    );
    out.push_str("| rule | impact | what it finds |\n|---|---|---|\n");
    let mut rules: Vec<_> = cue::compat::RULES.iter().collect();
    rules.sort_by_key(|rule| rule.id);
    for rule in rules {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            rule.id,
            rule.impact.description(),
            escape_cell(rule.purpose)
        );
    }
    out.push('\n');
}

fn write_engine_codes(out: &mut String) {
    out.push_str("## Engine diagnostic codes\n\n");
    out.push_str(
        "The `code` of every problem the CUE engine reports (`vet`, `export`, a package of \
         `lint` that does not compile, the publisher's and the sidecar's violations); `--format \
         json` prints it. Lint and compatibility findings carry their rule ids instead.\n\n",
    );
    out.push_str("| code | meaning |\n|---|---|\n");
    let mut codes: Vec<_> = cue::Code::ALL.to_vec();
    codes.sort_by_key(|code| code.id());
    for code in codes {
        let _ = writeln!(out, "| `{}` | {} |", code.id(), escape_cell(code.meaning()));
    }
    out.push('\n');
}

fn write_settings(out: &mut String) {
    out.push_str("## Settings (`cuemesh.cue`)\n\n");
    out.push_str(
        "Every key is optional. `cuemesh.cue` sits at the governance repository's root; lint \
         reports a key or value it does not accept as `CONFIG_INVALID`. `[]` stands for any \
         element of a list.\n\n",
    );
    out.push_str("| key | value | default | read by | what it means |\n|---|---|---|---|---|\n");
    let mut keys: Vec<_> = SETTING_KEYS.iter().collect();
    keys.sort_by_key(|key| key.path);
    for key in keys {
        let read_by = if key.read_by.is_empty() {
            "not read yet".to_string()
        } else {
            key.read_by
                .iter()
                .map(|command| format!("`{command}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {read_by} | {} |",
            key.path,
            escape_cell(key.value),
            key.default.map(code_cell).unwrap_or_default(),
            escape_cell(key.description)
        );
    }
}

/// Every route of the registry service (`cuemesh serve`), from its own OpenAPI description,
/// which a registry test keeps equal to the router's route table.
fn write_consumer_contract(out: &mut String) {
    out.push_str("## The consumer contract\n\n");
    out.push_str(
        "Each `.cue` file directly in `consumers/` is one consuming service, a CUE package of its own. \
         `consumer.id` (unique) and `consumer.owner` (an owner `CODEOWNERS` accepts, who must own the \
         file there) are required strings, `consumer.description` is optional; `reads` maps each \
         `source.id` to the event types read from it, each with the `version` the consumer decodes \
         with: a version number the branch has, or `\"latest\"` to follow every new version. \
         Nothing else belongs at the top level (definitions and hidden fields aside). `cuemesh lint` \
         checks the shape and the names; `cuemesh check` refuses a change that a pinned version \
         cannot read.\n\n",
    );
    let _ = writeln!(out, "```cue\n{}```\n", cuemesh_registry::CONSUMER_CONTRACT);
}

fn write_registry_endpoints(out: &mut String, description: &serde_json::Value) {
    out.push_str("## Registry endpoints\n\n");
    out.push_str(
        "The JSON API of `cuemesh serve`, from the description it serves at \
         `/v1/openapi.json` (parameters and response bodies are there). Every error is \
         `{\"error\": {\"code\", \"message\"}}`, except on the Confluent-compatible paths, \
         which answer as Confluent does. The HTML catalog is served at `/` for people.\n\n",
    );
    out.push_str("| method | path | what it answers | statuses |\n|---|---|---|---|\n");
    let Some(paths) = description["paths"].as_object() else {
        return;
    };
    for (path, operations) in paths {
        let Some(operations) = operations.as_object() else {
            continue;
        };
        for (method, operation) in operations {
            if !matches!(method.as_str(), "get" | "post" | "put" | "delete" | "patch") {
                continue;
            }
            let statuses = operation["responses"]
                .as_object()
                .map(|responses| responses.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                method.to_uppercase(),
                code_cell(path),
                escape_cell(&sentence(operation["summary"].as_str().unwrap_or_default())),
                escape_cell(&statuses)
            );
        }
    }
    out.push('\n');
}

/// Help text on one line, ending with a full stop (clap drops the one of the doc comment).
fn sentence(text: &str) -> String {
    let line = one_line(text);
    if line.is_empty() || line.ends_with('.') {
        line
    } else {
        format!("{line}.")
    }
}

/// Help text folded onto one line for a table cell.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table cell cannot hold `|` or a line break.
fn escape_cell(text: &str) -> String {
    prose(text).replace('|', "\\|")
}

/// Text shown as code in a table cell: only `|` needs escaping there (GitHub's tables read
/// `\|` inside code spans too).
fn code_cell(text: &str) -> String {
    format!("`{}`", one_line(text).replace('|', "\\|"))
}

/// Help text as Markdown: one line, and outside `code spans` the characters Markdown would
/// read as HTML or emphasis (`sources/<name>/*.json`) escaped.
fn prose(text: &str) -> String {
    one_line(text)
        .split('`')
        .enumerate()
        .map(|(index, part)| {
            if index % 2 == 1 {
                return part.to_string();
            }
            part.replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('*', "\\*")
        })
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction, Command};

    fn sample() -> Command {
        Command::new("tool")
            .about("A tool.")
            .arg(
                Arg::new("quiet")
                    .long("quiet")
                    .global(true)
                    .action(ArgAction::SetTrue)
                    .help("Print less."),
            )
            .subcommand(
                Command::new("zeta")
                    .about("The last one | with a bar.")
                    .arg(Arg::new("files").value_name("FILE").num_args(1..)),
            )
            .subcommand(
                Command::new("alpha").about("The first one.").arg(
                    Arg::new("mode")
                        .long("mode")
                        .value_name("MODE")
                        .default_value("fast")
                        .help("How."),
                ),
            )
            .subcommand(Command::new("secret").hide(true))
    }

    #[test]
    fn commands_are_sorted_hidden_ones_left_out_and_cells_escaped() {
        let text = markdown(&sample());
        let alpha = text.find("### `tool alpha`").expect("alpha listed");
        let zeta = text.find("### `tool zeta`").expect("zeta listed");
        assert!(alpha < zeta, "sorted by name:\n{text}");
        assert!(!text.contains("secret"), "hidden command listed:\n{text}");
        assert!(text.contains("| `--mode MODE` | `fast` | How. |"), "{text}");
        assert!(text.contains("| `FILE...` |  |  |"), "{text}");
        assert!(text.contains("| `--quiet` |  | Print less. |"), "{text}");
        assert!(text.contains("The last one | with a bar."), "{text}");
    }

    #[test]
    fn prose_escapes_markup_outside_code_spans_only() {
        assert_eq!(
            prose("files sources/<name>/*.json, not `<name>/*.cue`"),
            "files sources/&lt;name&gt;/\\*.json, not `<name>/*.cue`"
        );
        assert_eq!(code_cell("^(a|b)*$"), "`^(a\\|b)*$`");
    }

    #[test]
    fn every_route_of_the_registry_is_listed() {
        let mut text = String::new();
        write_registry_endpoints(&mut text, &cuemesh_registry::serve::description());
        for route in cuemesh_registry::serve::ROUTES {
            let row = format!("| {} | `{}` |", route.method.to_uppercase(), route.path);
            assert!(text.contains(&row), "{row} missing from:\n{text}");
        }
    }

    #[test]
    fn every_rule_and_key_of_the_tables_is_listed() {
        let text = markdown(&sample());
        for code in LintCode::ALL {
            assert!(text.contains(&format!("| `{code}` |")), "{code}");
        }
        for rule in cue::compat::RULES {
            assert!(text.contains(&format!("| `{}` |", rule.id)), "{}", rule.id);
        }
        for code in cue::Code::ALL {
            assert!(text.contains(&format!("| `{}` |", code.id())), "{code}");
        }
        for key in SETTING_KEYS {
            assert!(
                text.contains(&format!("| `{}` |", key.path)),
                "{}",
                key.path
            );
        }
    }
}
