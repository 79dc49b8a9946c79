//! `cuemesh import jsonschema`: JSON Schema files to a CUE package (see `cue::jsonschema`).
//!
//! Each file's root schema becomes a definition: `--definition`, else the file's `title`, else
//! `#Schema` (with several files, the title, else the file's name). `$ref`s to sibling files
//! (`other.json#/$defs/x`) are read from the disk and imported into the same output. What CUE
//! cannot state is printed as a warning (file, JSON pointer, keyword) and kept as a comment
//! in the output. The output is loaded by the engine before it is written, so a file that
//! `vet` could not use is never written.

use anyhow::{bail, Context};
use cue::jsonschema::{self, Loader, Options, Root};
use cue::{NoImports, Package, PackageFiles};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `import jsonschema` was asked to do.
#[derive(Debug, Clone)]
pub struct JsonSchemaImport {
    pub files: Vec<PathBuf>,
    pub definition: Option<String>,
    pub package: Option<String>,
    /// Where to write the CUE; standard output when `None`.
    pub out: Option<PathBuf>,
}

/// Reads `file://` documents from the disk, for `$ref`s to sibling files.
struct FileLoader;

impl Loader for FileLoader {
    fn load(&self, uri: &str) -> Result<Option<Value>, String> {
        let Some(path) = uri.strip_prefix("file://") else {
            return Ok(None);
        };
        let path = Path::new(path);
        if !path.is_file() {
            return Ok(None);
        }
        read_json(path).map(Some)
    }
}

/// A JSON file, or an error naming `file:line:col`.
fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not JSON: {}",
            path.display(),
            e.line(),
            e.column(),
            strip_position(&e.to_string())
        )
    })
}

/// serde_json's message without its trailing " at line L column C".
fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

fn file_uri(path: &Path) -> anyhow::Result<String> {
    let absolute = std::path::absolute(path)
        .with_context(|| format!("cannot resolve the path {}", path.display()))?;
    let text = absolute.to_string_lossy().replace('\\', "/");
    Ok(if text.starts_with('/') {
        format!("file://{text}")
    } else {
        format!("file:///{text}")
    })
}

/// Imports the files; prints the CUE (or writes `-o`) and the warnings on `stderr`.
pub fn jsonschema(
    config: &JsonSchemaImport,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<()> {
    if config.files.len() > 1 && config.definition.is_some() {
        bail!("--definition names the definition of one file; with several files each is named by its title or file name");
    }
    if let Some(package) = &config.package {
        if cue::jsonschema::definition_name(package) != format!("#{package}") {
            bail!("--package {package:?} is not a CUE identifier");
        }
    }
    let mut documents = Vec::new();
    for path in &config.files {
        let document = read_json(path).map_err(anyhow::Error::msg)?;
        if !matches!(document, Value::Object(_) | Value::Bool(_)) {
            bail!(
                "{}: a JSON Schema is an object or a boolean",
                path.display()
            );
        }
        documents.push((path, document));
    }
    let mut roots = Vec::new();
    for (path, document) in &documents {
        let title = document.get("title").and_then(Value::as_str);
        let stem = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let stem = stem
            .trim_end_matches(".json")
            .trim_end_matches(".schema")
            .to_string();
        let definition = match (&config.definition, title, config.files.len()) {
            (Some(name), _, _) => name.clone(),
            (None, Some(title), _) => title.to_string(),
            (None, None, 1) => "Schema".to_string(),
            (None, None, _) => stem,
        };
        roots.push(Root {
            uri: file_uri(path)?,
            document,
            definition: jsonschema::definition_name(&definition),
        });
    }
    let options = Options {
        package: config.package.clone(),
        default_draft: None,
    };
    let imported = jsonschema::import(&roots, &FileLoader, &options).map_err(|e| {
        let file = if config.files.len() == 1 && !e.pointer.contains(".json#") {
            format!("{}", config.files[0].display())
        } else {
            String::new()
        };
        anyhow::anyhow!("{file}{}: {}", e.pointer, e.message)
    })?;
    check_loads(&imported.source)?;
    for warning in &imported.warnings {
        let file = if config.files.len() == 1 && !warning.pointer.contains(".json#") {
            config.files[0].display().to_string()
        } else {
            String::new()
        };
        writeln!(
            stderr,
            "warning: {file}{}: {} is not enforced: {}",
            warning.pointer, warning.keyword, warning.message
        )
        .context("cannot write warnings")?;
    }
    match &config.out {
        Some(path) => std::fs::write(path, &imported.source)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => stdout
            .write_all(imported.source.as_bytes())
            .context("cannot write the CUE")?,
    }
    Ok(())
}

/// The output must load: every error but a definition that is `_|_` (a schema that accepts
/// nothing, `false`) is a bug of the import, reported rather than written.
fn check_loads(source: &str) -> anyhow::Result<()> {
    let package = Package::load(
        PackageFiles {
            files: vec![("imported.cue".into(), source.to_string())],
        },
        &NoImports,
    );
    if let Some(d) = package
        .diagnostics()
        .iter()
        .find(|d| !d.message.starts_with("explicit error (_|_ literal)"))
    {
        bail!(
            "the imported CUE does not load ({}); please report this with the schema:\n{source}",
            d.message
        );
    }
    Ok(())
}
