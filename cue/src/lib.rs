//! `cue`: a pure-Rust engine for the CUE language.
//!
//! **Architecture Invariant:** this crate knows nothing of Git, HTTP or NATS.

pub mod ast;
pub mod diagnostic;
pub mod source;

pub use diagnostic::{Diagnostic, Label, Severity};
pub use source::{FileId, SourceMap, Span};
