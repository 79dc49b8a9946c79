//! `cue`: a pure-Rust engine for the CUE language.
//!
//! The pipeline is: [`parser::parse_file`] turns text into an [`ast::File`] plus diagnostics
//! (parsing never fails); [`Package::load`] compiles the files of one package (and the packages
//! they import) and evaluates them by unification; [`Package::schema`] picks a value (`#Def`)
//! and compiles it once into a [`Schema`] that validates many JSON documents, each returning
//! every violation with its data path and the schema positions that rejected it.
//!
//! **Architecture Invariant:** this crate knows nothing of Git, HTTP or NATS. Files reach it as
//! text through an [`ImportResolver`].

pub mod ast;
pub mod builtins;
pub mod code;
pub mod compat;
mod decimal;
pub mod diagnostic;
mod json;
mod lexer;
pub mod parser;
/// RE2 regular expressions as CUE reads them (translation to the `regex` crate, and language
/// inclusion for the compatibility checks); the property tests reach into it, not part of the
/// API: use [`compile_regex`].
#[doc(hidden)]
pub mod re2;
pub mod source;
/// Checks the fuzz target and the fuzz regressions share; not part of the API.
#[doc(hidden)]
pub mod testing;
/// CUE's test archive format, read by the conformance tests; not part of the API.
#[doc(hidden)]
pub mod txtar;
mod yaml;

mod eval;
mod export;
mod import;
mod package;
mod placement;
mod validate;
mod value;

pub use code::Code;
pub use diagnostic::{Diagnostic, Label, Severity};
pub use export::{
    JsonSchemaConfig, OpenApiConfig, OpenApiVersion, Selection, UNSUPPORTED_EXTENSION,
};
pub use import::{avro, jsonschema, read_yaml, ImportError, Imported, Warning, YamlError};
pub use lexer::comments;
pub use package::{
    module_path, DataEncoding, DirectoryResolver, ImportResolver, MemoryResolver, NoImports,
    Package, PackageFiles, Schema, Validation,
};
pub use re2::{compile as compile_regex, Re2Error};
pub use source::{FileId, SourceMap, Span};
