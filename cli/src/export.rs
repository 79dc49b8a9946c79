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
            // What the document cannot check is printed, not only buried in it.
            let mut notes = Vec::new();
            unsupported_notes(&document, "", &mut notes);
            let mut stderr = std::io::stderr();
            for (path, note) in notes {
                writeln!(
                    stderr,
                    "warning: {path}: not checked by the exported schema: {note}"
                )
                .context("cannot write warnings")?;
            }
            Ok(ExportOutcome::Exported)
        }
        Err(diagnostics) => {
            // A name that is not there is a usage error, not a schema error.
            if diagnostics.iter().all(|d| d.is(cue::Code::Export)) && !diagnostics.is_empty() {
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

/// Every `x-cue-unsupported` note of the document, with the CUE path of the schema object it
/// belongs to (`#Order.total`, `#Order.tags[...]`).
fn unsupported_notes(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match key.as_str() {
                    cue::UNSUPPORTED_EXTENSION => {
                        for note in child.as_array().into_iter().flatten() {
                            let shown = if path.is_empty() { "(package)" } else { path };
                            out.push((
                                shown.to_string(),
                                note.as_str().unwrap_or_default().to_string(),
                            ));
                        }
                    }
                    "components" | "$defs" => {
                        let definitions = if key == "components" {
                            &child["schemas"]
                        } else {
                            child
                        };
                        for (name, schema) in definitions.as_object().into_iter().flatten() {
                            // `A.B` is the exported name of `#A.#B`.
                            let name = format!("#{}", name.replace('.', ".#"));
                            unsupported_notes(schema, &name, out);
                        }
                    }
                    "properties" => {
                        for (name, property) in child.as_object().into_iter().flatten() {
                            unsupported_notes(property, &format!("{path}.{name}"), out);
                        }
                    }
                    "patternProperties" => {
                        for (regex, property) in child.as_object().into_iter().flatten() {
                            unsupported_notes(property, &format!("{path}.[=~{regex:?}]"), out);
                        }
                    }
                    "additionalProperties" => {
                        unsupported_notes(child, &format!("{path}.[string]"), out)
                    }
                    "items" => unsupported_notes(child, &format!("{path}[...]"), out),
                    "prefixItems" => {
                        for (i, item) in child.as_array().into_iter().flatten().enumerate() {
                            unsupported_notes(item, &format!("{path}[{i}]"), out);
                        }
                    }
                    _ => unsupported_notes(child, path, out),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                unsupported_notes(item, path, out);
            }
        }
        _ => {}
    }
}
