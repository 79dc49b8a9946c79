//! The lines `cuemesh` prints for people on stderr (startup, progress, warnings, errors), how
//! verbose they are and whether they are coloured. Every such line goes through here, so that
//! `--quiet`, `--verbose` and `--color` mean the same in every command. Results (diagnostics,
//! documents, listings) go to stdout through each command's writer and are not touched.
//!
//! Colour follows the common conventions: `--color never`/`always` win; with `auto` (the
//! default) a non-empty `NO_COLOR` turns colour off, a `CLICOLOR_FORCE` other than empty or `0`
//! turns it on, and otherwise stderr being a terminal decides.

use clap::ValueEnum;
use std::fmt;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

/// When to colour the lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal, unless `NO_COLOR` is set (or `CLICOLOR_FORCE` asks).
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// How many lines to print besides results and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    /// Errors and warnings only.
    Quiet,
    /// Startup and progress lines too.
    #[default]
    Normal,
    /// Details too: what was resolved from the arguments, how long steps took.
    Verbose,
}

/// What the global flags and the environment decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputConfig {
    pub verbosity: Verbosity,
    pub color: bool,
}

impl OutputConfig {
    /// Decides from the flags, an environment lookup and whether stderr is a terminal (passed
    /// in so that every combination is testable).
    pub fn resolve(
        choice: ColorChoice,
        quiet: bool,
        verbose: bool,
        environment: impl Fn(&str) -> Option<String>,
        stderr_is_terminal: bool,
    ) -> OutputConfig {
        let verbosity = if quiet {
            Verbosity::Quiet
        } else if verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        let set = |name: &str| environment(name).filter(|value| !value.is_empty());
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR").is_some() => false,
            ColorChoice::Auto if set("CLICOLOR_FORCE").is_some_and(|value| value != "0") => true,
            ColorChoice::Auto => stderr_is_terminal,
        };
        OutputConfig { verbosity, color }
    }

    /// [`OutputConfig::resolve`] with this process's environment and stderr.
    pub fn from_process(choice: ColorChoice, quiet: bool, verbose: bool) -> OutputConfig {
        OutputConfig::resolve(
            choice,
            quiet,
            verbose,
            |name| std::env::var(name).ok(),
            std::io::stderr().is_terminal(),
        )
    }

    /// `cuemesh: error: MESSAGE`, the prefix red when coloured.
    pub fn error_line(&self, message: fmt::Arguments<'_>) -> String {
        format!("cuemesh: {}: {message}", self.paint("error", RED))
    }

    /// `cuemesh: warning: MESSAGE`, the prefix yellow when coloured.
    pub fn warning_line(&self, message: fmt::Arguments<'_>) -> String {
        format!("cuemesh: {}: {message}", self.paint("warning", YELLOW))
    }

    /// `cuemesh: MESSAGE`, the program name bold when coloured.
    pub fn progress_line(&self, message: fmt::Arguments<'_>) -> String {
        format!("{}: {message}", self.paint("cuemesh", BOLD))
    }

    fn paint(&self, text: &str, style: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

static CONFIG: OnceLock<OutputConfig> = OnceLock::new();

/// Sets the process's output configuration; the first call wins (the binary makes it once,
/// before running a command). Without it, the defaults apply: normal verbosity, no colour.
pub fn init(config: OutputConfig) {
    let _ = CONFIG.set(config);
}

/// The process's output configuration.
pub fn config() -> OutputConfig {
    CONFIG.get().copied().unwrap_or_default()
}

/// Prints an error line on stderr, whatever the verbosity.
pub fn error(message: fmt::Arguments<'_>) {
    print_line(&config().error_line(message));
}

/// Prints a warning line on stderr, whatever the verbosity.
pub fn warning(message: fmt::Arguments<'_>) {
    print_line(&config().warning_line(message));
}

/// Prints a startup or progress line on stderr, unless `--quiet`.
pub fn progress(message: fmt::Arguments<'_>) {
    let config = config();
    if config.verbosity >= Verbosity::Normal {
        print_line(&config.progress_line(message));
    }
}

/// Prints a detail line on stderr, only with `--verbose`.
pub fn detail(message: fmt::Arguments<'_>) {
    let config = config();
    if config.verbosity >= Verbosity::Verbose {
        print_line(&config.progress_line(message));
    }
}

/// A live progress line for a history load on stderr, redrawn in place at most ten times a
/// second: only when stderr is a terminal and not `--quiet` (else `None`, and nothing is
/// drawn). [`clear_progress`] wipes it once the load is over.
pub fn history_progress(label: &str) -> Option<cuemesh_registry::ProgressObserver> {
    if config().verbosity < Verbosity::Normal || !std::io::stderr().is_terminal() {
        return None;
    }
    let label = label.to_string();
    let last = std::sync::Mutex::new(None::<std::time::Instant>);
    Some(std::sync::Arc::new(
        move |progress: cuemesh_registry::HistoryProgress| {
            let mut last = last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = std::time::Instant::now();
            let done = progress.walked && progress.evaluated == progress.states;
            if !done && last.is_some_and(|at| now.duration_since(at).as_millis() < 100) {
                return;
            }
            *last = Some(now);
            let line = config().progress_line(format_args!("{label}: {}", progress_text(progress)));
            let _ = write!(std::io::stderr().lock(), "\r{line}\x1b[K");
        },
    ))
}

/// Wipes the line [`history_progress`] drew, if it drew one.
pub fn clear_progress(observer: &Option<cuemesh_registry::ProgressObserver>) {
    if observer.is_some() {
        let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
    }
}

/// Runs `load` (a history load, or an index built from one) on `repository` with a live
/// progress line labelled `label` when stderr is a terminal (see [`history_progress`]); the
/// line is wiped afterwards, and later loads (reloads) draw nothing.
pub fn with_history_progress<R>(
    repository: &mut cuemesh_registry::Repository,
    label: &str,
    load: impl FnOnce(&cuemesh_registry::Repository) -> R,
) -> R {
    let observer = history_progress(label);
    repository.set_progress(observer.clone());
    let outcome = load(repository);
    repository.set_progress(None);
    clear_progress(&observer);
    outcome
}

/// `120 commits so far, 12 of 40 package states evaluated`.
pub fn progress_text(progress: cuemesh_registry::HistoryProgress) -> String {
    let walking = if progress.walked { "" } else { " so far" };
    format!(
        "{} commits{walking}, {} of {} package states evaluated",
        progress.commits, progress.evaluated, progress.states
    )
}

fn print_line(line: &str) {
    // A closed stderr is no reason to fail a command.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_says_what_is_walked_and_evaluated() {
        let walking = cuemesh_registry::HistoryProgress {
            commits: 120,
            walked: false,
            states: 40,
            evaluated: 12,
        };
        assert_eq!(
            progress_text(walking),
            "120 commits so far, 12 of 40 package states evaluated"
        );
        let done = cuemesh_registry::HistoryProgress {
            walked: true,
            evaluated: 40,
            ..walking
        };
        assert_eq!(
            progress_text(done),
            "120 commits, 40 of 40 package states evaluated"
        );
    }

    fn environment<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn auto_colours_a_terminal_only() {
        let none = environment(&[]);
        assert!(OutputConfig::resolve(ColorChoice::Auto, false, false, &none, true).color);
        assert!(!OutputConfig::resolve(ColorChoice::Auto, false, false, &none, false).color);
    }

    #[test]
    fn no_color_wins_over_a_terminal_and_clicolor_force_over_a_pipe() {
        let no_color = environment(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
        assert!(!OutputConfig::resolve(ColorChoice::Auto, false, false, no_color, true).color);
        let force = environment(&[("CLICOLOR_FORCE", "1")]);
        assert!(OutputConfig::resolve(ColorChoice::Auto, false, false, force, false).color);
        let force_off = environment(&[("CLICOLOR_FORCE", "0")]);
        assert!(!OutputConfig::resolve(ColorChoice::Auto, false, false, force_off, false).color);
        let empty = environment(&[("NO_COLOR", "")]);
        assert!(OutputConfig::resolve(ColorChoice::Auto, false, false, empty, true).color);
    }

    #[test]
    fn the_flag_wins_over_the_environment() {
        let no_color = environment(&[("NO_COLOR", "1")]);
        assert!(OutputConfig::resolve(ColorChoice::Always, false, false, no_color, false).color);
        let force = environment(&[("CLICOLOR_FORCE", "1")]);
        assert!(!OutputConfig::resolve(ColorChoice::Never, false, false, force, true).color);
    }

    #[test]
    fn quiet_wins_over_verbose() {
        let none = environment(&[]);
        let quiet = OutputConfig::resolve(ColorChoice::Never, true, true, &none, false);
        assert_eq!(quiet.verbosity, Verbosity::Quiet);
        let verbose = OutputConfig::resolve(ColorChoice::Never, false, true, &none, false);
        assert_eq!(verbose.verbosity, Verbosity::Verbose);
    }

    #[test]
    fn lines_carry_escapes_only_when_coloured() {
        let plain = OutputConfig {
            verbosity: Verbosity::Normal,
            color: false,
        };
        assert_eq!(
            plain.error_line(format_args!("no such file")),
            "cuemesh: error: no such file"
        );
        let coloured = OutputConfig {
            color: true,
            ..plain
        };
        assert_eq!(
            coloured.warning_line(format_args!("stale")),
            "cuemesh: \x1b[1;33mwarning\x1b[0m: stale"
        );
    }
}
