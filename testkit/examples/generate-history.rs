//! Writes the history benchmark's generated governance repository at a scale, for the
//! benchmark scripts (`bench/history-load --scale N`):
//!
//!     cargo run --release -p cuemesh-testkit --example generate-history -- SCALE DIRECTORY
//!
//! Scale 1 is the benchmark shape (1,000 event types, 10,000 versions, 5,000 commits); scale
//! 10 is issue 23's (10,000 types, 190,000 versions, 100,000 commits). `DIRECTORY` must not
//! exist yet. Prints the counts on one line.

use cuemesh_testkit::generate::{generate, Shape};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match arguments.as_slice() {
        [scale, directory] => scale
            .parse::<usize>()
            .ok()
            .filter(|scale| *scale >= 1)
            .map(|scale| (scale, PathBuf::from(directory))),
        _ => None,
    };
    let Some((scale, directory)) = parsed else {
        eprintln!("usage: generate-history SCALE DIRECTORY (SCALE a whole number from 1)");
        return ExitCode::from(2);
    };
    if directory.exists() {
        eprintln!(
            "{} exists already: give a new directory",
            directory.display()
        );
        return ExitCode::from(2);
    }
    let started = Instant::now();
    let generated = generate(&directory, Shape::scaled(scale));
    eprintln!(
        "scale {scale}: {} commits, {} event types, {} versions in {:.1?}",
        generated.commits,
        generated.event_types,
        generated.versions,
        started.elapsed()
    );
    ExitCode::SUCCESS
}
