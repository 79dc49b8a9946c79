//! `cuemesh export`: print a CUE package's definitions as OpenAPI 3.0 or JSON Schema 2020-12.

use crate::render::{self, Format};
use crate::vet::{display_name, import_resolver, package_directory_files};
use anyhow::{bail, Context};
use cue::{Package, PackageFiles};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The encodings `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// An OpenAPI 3.0 document with one `components.schemas` entry per definition, as
    /// `cue export --out openapi` writes it.
    Openapi,
    /// A JSON Schema 2020-12 document with one `$defs` entry per definition.
    Jsonschema,
}

/// What `export` was asked to do.
#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// The package's `.cue` files (directories already expanded), with their display names.
    pub package_files: Vec<(PathBuf, String)>,
    pub out: ExportFormat,
    /// `-e '#Def'`: that definition (the document's root in JSON Schema) and what it uses.
    pub definition: Option<String>,
    /// How to print the package's errors.
    pub format: Format,
}

/// How an `export` run ended; the binary maps it to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportOutcome {
    /// The document was printed.
    Exported,
    /// The package (or a definition) has errors; they were printed instead.
    SchemaErrors,
}

impl ExportConfig {
    /// Turns raw arguments into a configuration: every argument is a `.cue` file or a
    /// directory standing for its `.cue` files.
    pub fn from_arguments(
        files: &[PathBuf],
        out: ExportFormat,
        definition: Option<String>,
        format: Format,
        working_directory: &Path,
    ) -> anyhow::Result<ExportConfig> {
        let mut package_files = Vec::new();
        for path in files {
            if working_directory.join(path).is_dir() {
                for file in package_directory_files(path, working_directory)? {
                    let name = display_name(&file, working_directory);
                    package_files.push((file, name));
                }
            } else if path.extension().is_some_and(|x| x == "cue") {
                package_files.push((path.clone(), display_name(path, working_directory)));
            } else {
                bail!(
                    "{}: unsupported file type (export reads .cue files and directories)",
                    display_name(path, working_directory)
                );
            }
        }
        if package_files.is_empty() {
            bail!("no .cue file given: export needs the package as one or more .cue files");
        }
        if let Some(text) = &definition {
            if !text.trim().starts_with('#') {
                bail!("-e '{text}': export selects a definition, such as -e '#Order'");
            }
        }
        Ok(ExportConfig {
            package_files,
            out,
            definition,
            format,
        })
    }
}

/// Loads the package, prints the document on `stdout`, or the package's errors as `vet` prints
/// them (text on stderr, JSON and GitHub commands on stdout).
pub fn run(config: &ExportConfig, stdout: &mut dyn Write) -> anyhow::Result<ExportOutcome> {
    let mut files = Vec::new();
    for (path, name) in &config.package_files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read schema file {name}"))?;
        files.push((name.clone(), text));
    }
    let resolver = import_resolver(&config.package_files[0].0);
    let package = Package::load(PackageFiles { files }, resolver.as_ref());
    let definition = config.definition.as_deref();
    let document = match config.out {
        ExportFormat::Openapi => package.openapi(definition),
        ExportFormat::Jsonschema => package.json_schema(definition),
    };
    match document {
        Ok(document) => {
            let text = serde_json::to_string_pretty(&document).context("cannot print JSON")?;
            writeln!(stdout, "{text}").context("cannot write the document")?;
            Ok(ExportOutcome::Exported)
        }
        Err(diagnostics) => {
            // A name that is not there is a usage error, not a schema error.
            if diagnostics.iter().all(|d| d.code == "EXPORT") && !diagnostics.is_empty() {
                bail!("{}", diagnostics[0].message);
            }
            for diagnostic in &diagnostics {
                let text = render::render(config.format, true, diagnostic, package.sources());
                match config.format {
                    Format::Text => writeln!(std::io::stderr(), "{text}"),
                    Format::Json | Format::Github => writeln!(stdout, "{text}"),
                }
                .context("cannot write diagnostics")?;
            }
            Ok(ExportOutcome::SchemaErrors)
        }
    }
}
