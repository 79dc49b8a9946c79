//! What cuemesh's tests and benchmarks share, so that no test reaches into another crate's files:
//!
//! - [`nats`]: a real `nats-server -js` per test, and what its stream stored;
//! - [`secure`]: secured NATS servers (TLS with a private CA, users with permissions, nkeys,
//!   tokens, operator mode with credentials files);
//! - [`git`]: real Git repositories with real commits, and this project's template committed;
//! - [`http`]: loopback servers (the registry, the sidecar) and a raw HTTP/1.1 client;
//! - [`fixtures`]: small schemas with their pins and valid payloads;
//! - [`generate`]: large generated governance repositories for the benchmarks.
//!
//! The common items are re-exported at the root. A dev-dependency only: nothing here is
//! published.

#![allow(unreachable_pub)]

pub mod fixtures;
pub mod generate;
pub mod git;
pub mod http;
pub mod nats;
pub mod secure;

pub use fixtures::*;
pub use git::*;
pub use http::*;
pub use nats::*;

/// Prints a test's counts on stderr past the test harness's capture (which takes only `print!`
/// and `eprint!`), so that they show in a plain `cargo test` run and CI's log.
pub fn report(counts: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{counts}");
}
