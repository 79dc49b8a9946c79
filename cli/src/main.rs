//! The `cuemesh` binary: parses arguments into typed configuration and maps outcomes to exit
//! codes (0 clean, 1 findings, 2 usage or I/O error).

use anyhow::Context;
use clap::{Parser, Subcommand};
use cuemesh::render::Format;
use cuemesh::vet::{self, VetConfig, VetOutcome};
use std::path::PathBuf;
use std::process::ExitCode;

/// cuemesh: a Git-native schema registry for event streaming, with schemas in CUE.
#[derive(Debug, Parser)]
#[command(name = "cuemesh", version)]
struct Cli {
    /// How to print diagnostics: `text` for people, `json` (one object per line) for programs,
    /// `github` for GitHub Actions annotations.
    #[arg(long, value_enum, global = true, default_value_t = Format::Text)]
    format: Format,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate JSON data files against a CUE schema, like `cue vet`.
    ///
    /// `.cue` files (or a directory, for its `.cue` files) form the schema package; `.json` files
    /// hold one value each; `.jsonl`, `.ndjson` and `.ldjson` files hold a stream of values, each
    /// validated on its own; `json:` or `jsonl:` before a file forces its type. Files may come in
    /// any order. Without data files, vet checks that the package itself has no errors.
    ///
    /// Exit status: 0 when everything is valid, 1 when errors were reported, 2 for usage or I/O
    /// errors (a missing file, no .cue file, a bad -d expression).
    Vet {
        /// Schema (.cue files, directories) and data (.json, .jsonl, .ndjson) files, in any order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,

        /// The expression to validate data against, such as `#Identity`; by default the
        /// whole package.
        #[arg(short = 'd', long = "schema", value_name = "EXPRESSION")]
        schema: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("cuemesh: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Vet { files, schema } => {
            let working_directory =
                std::env::current_dir().context("cannot read the working directory")?;
            let config = VetConfig::from_arguments(&files, schema, cli.format, &working_directory)?;
            Ok(match vet::run(&config)? {
                VetOutcome::Clean => ExitCode::SUCCESS,
                VetOutcome::Findings => ExitCode::from(1),
                VetOutcome::InputError => ExitCode::from(2),
            })
        }
    }
}
