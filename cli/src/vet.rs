//! `cuemesh vet`: validate JSON data files against a CUE package, like `cue vet`.

use crate::render::{self, Format};
use anyhow::{bail, Context};
use cue::{
    DataEncoding, Diagnostic, DirectoryResolver, ImportResolver, NoImports, Package, PackageFiles,
    Severity, SourceMap,
};
use std::io::Write;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

/// What `vet` was asked to do, with the raw arguments already sorted into kinds.
#[derive(Debug, Clone)]
pub struct VetConfig {
    /// The `.cue` files of the package, in the order given.
    pub package_files: Vec<InputFile>,
    /// The data files, in the order given.
    pub data_files: Vec<InputFile>,
    /// The `-d` expression selecting the value to validate against; `None` is the whole package.
    pub schema_expression: Option<String>,
    pub format: Format,
    /// What to say about values that are not concrete, for a package vetted without data.
    pub incomplete: IncompleteValues,
    /// `-l` expressions: each data document is placed at the path they compute from it, and a
    /// file's documents are validated together. Empty: each document is validated as it is.
    pub labels: Vec<String>,
}

/// `cue vet`'s `-c`/`--concrete` for a package vetted without data files. With data files the
/// data must always be concrete, as with `cue vet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncompleteValues {
    /// No flag: a package with incomplete values fails with one line saying so and how to see
    /// them (`-c`) or allow them (`-c=false`).
    #[default]
    Summarize,
    /// `-c`: every incomplete value is an error, reported with its path and position.
    Report,
    /// `-c=false`: incomplete values are allowed.
    Allow,
}

impl IncompleteValues {
    /// The setting for `-c` given as `Some(true)` or `Some(false)`, or absent.
    pub fn from_flag(concrete: Option<bool>) -> IncompleteValues {
        match concrete {
            None => IncompleteValues::Summarize,
            Some(true) => IncompleteValues::Report,
            Some(false) => IncompleteValues::Allow,
        }
    }
}

/// The line `cue vet` prints for a package with incomplete values and no `-c` flag.
pub const INCOMPLETE_SUMMARY: &str = "some instances are incomplete; use the -c flag to show errors or -c=false to allow incomplete instances";

/// A file named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Where to read it.
    pub path: PathBuf,
    /// The name printed in positions, as CUE prints it: relative to the working directory and
    /// starting with `.` (`./schema.cue`, `../shared/a.cue`).
    pub display_name: String,
    pub kind: FileKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A file of the CUE package.
    Cue,
    /// One JSON value (`.json`).
    Json,
    /// A stream of JSON values, each validated on its own (`.jsonl`, `.ndjson`), as `cue vet`
    /// does for `jsonl:` files.
    JsonStream,
    /// A YAML stream (`.yaml`, `.yml`): each of its documents is validated on its own.
    Yaml,
    /// One TOML document (`.toml`).
    Toml,
}

/// How a `vet` run ended; the binary maps it to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VetOutcome {
    /// Every data file is valid (or, without data files, the package has no errors).
    Clean,
    /// At least one error was reported about the package or the data.
    Findings,
    /// Some file could not be read; the others were still checked and reported.
    InputError,
}

impl VetConfig {
    /// Sorts raw file arguments into package files and data files (any order, as `cue vet`
    /// accepts), relative to `working_directory` for display names.
    pub fn from_arguments(
        files: &[PathBuf],
        schema_expression: Option<String>,
        format: Format,
        working_directory: &Path,
    ) -> anyhow::Result<VetConfig> {
        let mut package_files = Vec::new();
        let mut data_files = Vec::new();
        // `json: FILE` or `jsonl: FILE` forces the type of the next file, as in `cue vet`.
        let mut qualifier: Option<FileKind> = None;
        for path in files {
            if let Some(kind) = file_type_qualifier(path)? {
                qualifier = Some(kind);
                continue;
            }
            if path.as_os_str() == STDIN {
                // Standard input, as in `cue vet schema.cue json: -`: its type must be named.
                let kind = qualifier.take().filter(|kind| *kind != FileKind::Cue);
                let kind = kind.context(
                    "-: reading data from standard input needs a file type qualifier before it \
                     (json: -, jsonl: -, yaml: - or toml: -)",
                )?;
                data_files.push(InputFile {
                    path: path.clone(),
                    display_name: STDIN.to_string(),
                    kind,
                });
                continue;
            }
            let kind = match qualifier.take() {
                Some(kind) => kind,
                None if working_directory.join(path).is_dir() => {
                    for file in package_directory_files(path, working_directory)? {
                        package_files.push(InputFile {
                            display_name: display_name(&file, working_directory),
                            path: file,
                            kind: FileKind::Cue,
                        });
                    }
                    continue;
                }
                None if is_import_path(path) => {
                    // `cue.test/schemas:orders`: a package of the current module.
                    for file in import_path_files(path, working_directory)? {
                        package_files.push(InputFile {
                            display_name: display_name(&file, working_directory),
                            path: file,
                            kind: FileKind::Cue,
                        });
                    }
                    continue;
                }
                None => kind_from_extension(path).with_context(|| {
                    format!(
                        "{}: unsupported file type (vet reads .cue schema files and .json, .jsonl, .ndjson, .ldjson, .yaml, .yml or .toml data files)",
                        display_name(path, working_directory)
                    )
                })?,
            };
            let file = InputFile {
                path: path.clone(),
                display_name: display_name(path, working_directory),
                kind,
            };
            if kind == FileKind::Cue {
                package_files.push(file);
            } else {
                data_files.push(file);
            }
        }
        if qualifier.is_some() {
            bail!("a file type qualifier such as `json:` must be followed by a file");
        }
        if package_files.is_empty() {
            bail!("no .cue file given: vet needs the schema package as one or more .cue files");
        }
        Ok(VetConfig {
            package_files,
            data_files,
            schema_expression,
            format,
            incomplete: IncompleteValues::default(),
            labels: Vec::new(),
        })
    }
}

/// The argument that names standard input.
const STDIN: &str = "-";

/// The file type qualifier an argument such as `json:` names, if it is one.
fn file_type_qualifier(argument: &Path) -> anyhow::Result<Option<FileKind>> {
    let Some(text) = argument.to_str() else {
        return Ok(None);
    };
    let Some(name) = text.strip_suffix(':') else {
        return Ok(None);
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    match name {
        "cue" => Ok(Some(FileKind::Cue)),
        "json" => Ok(Some(FileKind::Json)),
        "jsonl" => Ok(Some(FileKind::JsonStream)),
        "yaml" => Ok(Some(FileKind::Yaml)),
        "toml" => Ok(Some(FileKind::Toml)),
        _ => {
            bail!(
                "unknown file type qualifier `{text}` (vet knows cue:, json:, jsonl:, yaml: and toml:)"
            )
        }
    }
}

/// Whether an argument names a package by import path rather than a file, as `cue` decides:
/// it has a package qualifier (`cue.test:schema`) or no extension (`cue.test/orders`).
fn is_import_path(argument: &Path) -> bool {
    argument.to_str().is_some_and(|text| text.contains(':')) || argument.extension().is_none()
}

/// The `.cue` files of the package an import path names in the module holding the working
/// directory (those of the package named after `:`, when given).
fn import_path_files(argument: &Path, working_directory: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let import_path = argument.to_string_lossy();
    let not_a_package = || {
        anyhow::anyhow!(
            "{import_path}: cannot be imported as a CUE package: it is neither a file with a \
             known extension nor a package of the current module"
        )
    };
    let resolver = DirectoryResolver::find(working_directory).ok_or_else(not_a_package)?;
    match resolver.resolve(&import_path) {
        Ok(Some(files)) => Ok(files
            .files
            .into_iter()
            .map(|(name, _)| resolver.root.join(name))
            .collect()),
        Ok(None) => Err(not_a_package()),
        Err(error) => bail!("{import_path}: {error}"),
    }
}

/// The kind of a file from its extension, which CUE matches case-sensitively.
fn kind_from_extension(path: &Path) -> Option<FileKind> {
    match path.extension()?.to_str()? {
        "cue" => Some(FileKind::Cue),
        "json" => Some(FileKind::Json),
        // CUE accepts all three names of newline-delimited JSON.
        "jsonl" | "ndjson" | "ldjson" => Some(FileKind::JsonStream),
        "yaml" | "yml" => Some(FileKind::Yaml),
        "toml" => Some(FileKind::Toml),
        _ => None,
    }
}

/// The `.cue` files of the package in a directory argument (`cuemesh vet . data.json`), in name
/// order. Like CUE's loader, files whose names start with `_` or `.` and `_tool.cue` files are
/// left out. Files of a parent directory are not added: name them explicitly.
pub(crate) fn package_directory_files(
    directory: &Path,
    working_directory: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(working_directory.join(directory)).with_context(|| {
        format!(
            "cannot read directory {}",
            display_name(directory, working_directory)
        )
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| {
            format!(
                "cannot read directory {}",
                display_name(directory, working_directory)
            )
        })?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_package_file = name.ends_with(".cue")
            && !name.starts_with('_')
            && !name.starts_with('.')
            && !name.ends_with("_tool.cue")
            && entry.path().is_file();
        if is_package_file {
            files.push(directory.join(name));
        }
    }
    files.sort();
    if files.is_empty() {
        bail!(
            "no .cue files in directory {}",
            display_name(directory, working_directory)
        );
    }
    Ok(files)
}

/// Runs `vet`, printing diagnostics as it goes. Unreadable data files are reported and skipped;
/// an unreadable package file or a bad `-d` expression stops the run with an error.
pub fn run(config: &VetConfig) -> anyhow::Result<VetOutcome> {
    let mut reporter = Reporter::new(config.format);

    let mut files = Vec::new();
    for file in &config.package_files {
        let text = std::fs::read_to_string(&file.path)
            .with_context(|| format!("cannot read schema file {}", file.display_name))?;
        files.push((file.display_name.clone(), text));
    }
    let resolver = import_resolver(&config.package_files[0].path);
    let package = Package::load(PackageFiles { files }, resolver.as_ref());
    // As `cue vet`, a package whose errors the data may undo (`newPort: list.Max(ports) + 1`
    // with `ports: [...int]`) is judged together with each data file, which reports the
    // errors that remain; with `-d`, the data meets only the expression, so the package's
    // errors are reported first.
    let judged_with_data = !config.data_files.is_empty()
        && config.schema_expression.is_none()
        && package.errors_may_depend_on_data();
    if !judged_with_data {
        reporter.report_all(package.diagnostics(), package.sources())?;
        if reporter.errors > 0 {
            // Data cannot be judged against a package that does not evaluate.
            return Ok(VetOutcome::Findings);
        }
    }
    if config.data_files.is_empty() {
        return match config.incomplete {
            IncompleteValues::Allow => Ok(VetOutcome::Clean),
            IncompleteValues::Report => {
                reporter.report_all(&package.incomplete_values(), package.sources())?;
                Ok(if reporter.errors > 0 {
                    VetOutcome::Findings
                } else {
                    VetOutcome::Clean
                })
            }
            IncompleteValues::Summarize => {
                if package.incomplete_values().is_empty() {
                    Ok(VetOutcome::Clean)
                } else {
                    crate::output::error(format_args!("{INCOMPLETE_SUMMARY}"));
                    Ok(VetOutcome::Findings)
                }
            }
        };
    }

    let schema = match package.schema(config.schema_expression.as_deref()) {
        Ok(schema) => schema,
        Err(diagnostics) => {
            reporter.report_all(&diagnostics, package.sources())?;
            bail!(
                "invalid schema expression -d '{}'",
                config.schema_expression.as_deref().unwrap_or("")
            );
        }
    };

    let mut unreadable = 0;
    for file in &config.data_files {
        let bytes = if file.path.as_os_str() == STDIN {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map(|_| bytes)
        } else {
            std::fs::read(&file.path)
        };
        let text = match bytes {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(error) => {
                    // Say where, as for any other bad byte of a data file.
                    let bytes = error.as_bytes();
                    let offset = error.utf8_error().valid_up_to();
                    let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
                    let line_start = bytes[..offset]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |newline| newline + 1);
                    crate::output::error(format_args!(
                        "{}:{line}:{}: the data file is not UTF-8 (byte 0x{:02x})",
                        file.display_name,
                        offset - line_start + 1,
                        bytes[offset]
                    ));
                    unreadable += 1;
                    continue;
                }
            },
            Err(error) => {
                // Keep going: the other files are still worth checking.
                crate::output::error(format_args!(
                    "cannot read data file {}: {error}",
                    file.display_name
                ));
                unreadable += 1;
                continue;
            }
        };
        if !config.labels.is_empty() {
            let encoding = match file.kind {
                FileKind::Json | FileKind::Cue => DataEncoding::Json,
                FileKind::JsonStream => DataEncoding::JsonStream,
                FileKind::Yaml => DataEncoding::Yaml,
                FileKind::Toml => DataEncoding::Toml,
            };
            let validation =
                schema.validate_placed(&file.display_name, &text, encoding, &config.labels);
            reporter.report_all(&validation.errors, &validation.sources)?;
            continue;
        }
        if file.kind == FileKind::Yaml {
            for validation in schema.validate_yaml(&file.display_name, &text) {
                reporter.report_all(&validation.errors, &validation.sources)?;
            }
            continue;
        }
        if file.kind == FileKind::Toml {
            let validation = schema.validate_toml(&file.display_name, &text);
            reporter.report_all(&validation.errors, &validation.sources)?;
            continue;
        }
        let documents = match file.kind {
            FileKind::JsonStream => json_stream_documents(&text),
            FileKind::Json | FileKind::Cue | FileKind::Yaml | FileKind::Toml => vec![text],
        };
        for document in documents {
            let validation = schema.validate_json(&file.display_name, &document);
            reporter.report_all(&validation.errors, &validation.sources)?;
        }
    }

    Ok(if unreadable > 0 {
        VetOutcome::InputError
    } else if reporter.errors > 0 {
        VetOutcome::Findings
    } else {
        VetOutcome::Clean
    })
}

/// The name CUE prints for a file: relative to the working directory, starting with `.` so that
/// editors recognise it as a path (`./data.json`, `../x.cue`). Absolute paths given on the
/// command line are made relative too, as `cue` does.
pub fn display_name(path: &Path, working_directory: &Path) -> String {
    let absolute = normalize(&working_directory.join(path));
    let base = normalize(working_directory);
    let absolute_parts: Vec<Component<'_>> = absolute.components().collect();
    let base_parts: Vec<Component<'_>> = base.components().collect();
    let common = absolute_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        // Different roots (another drive): nothing relative to say.
        return absolute.display().to_string();
    }
    let mut relative = PathBuf::new();
    for _ in common..base_parts.len() {
        relative.push("..");
    }
    for part in &absolute_parts[common..] {
        relative.push(part.as_os_str());
    }
    let relative = relative.to_string_lossy().into_owned();
    if relative.starts_with('.') {
        relative
    } else {
        format!(".{}{relative}", std::path::MAIN_SEPARATOR)
    }
}

/// Splits a JSON stream into one text per value. Each text keeps the value at its original byte
/// offset (everything before it is blanked, newlines kept) so that positions in errors are those
/// of the whole file. Text the stream decoder cannot read is passed on as the last document, so
/// that the engine reports the syntax error with its position.
pub fn json_stream_documents(text: &str) -> Vec<String> {
    let mut documents = Vec::new();
    let mut ranges: Vec<Range<usize>> = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde::de::IgnoredAny>();
    let mut start = 0;
    let mut failed = false;
    while let Some(item) = stream.next() {
        match item {
            Ok(_) => {
                let end = stream.byte_offset();
                ranges.push(start..end);
                start = end;
            }
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    if failed {
        ranges.push(start..text.len());
    }
    for range in ranges {
        let mut document = blank_keeping_offsets(&text[..range.start]);
        document.push_str(&text[range]);
        documents.push(document);
    }
    documents
}

/// Replaces every character by as many spaces as it has bytes, keeping newlines, so that byte
/// offsets, lines and byte columns after it stay the same.
fn blank_keeping_offsets(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len());
    for c in prefix.chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            out.push_str(&" ".repeat(c.len_utf8()));
        }
    }
    out
}

/// Resolves imports from the CUE module holding the first package file, or refuses every import
/// when there is none.
pub(crate) fn import_resolver(first_package_file: &Path) -> Box<dyn ImportResolver> {
    let directory = match first_package_file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let directory = std::path::absolute(&directory).unwrap_or(directory);
    match DirectoryResolver::find(&directory) {
        Some(resolver) => Box::new(resolver),
        None => Box::new(NoImports),
    }
}

/// Removes `.` and resolves `..` lexically, as Go's `filepath.Clean` does.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Prints diagnostics in the chosen format and counts the errors among them. Text goes to
/// stderr, as `cue vet` prints it; JSON and GitHub commands go to stdout for tools to read.
struct Reporter {
    format: Format,
    errors: usize,
}

impl Reporter {
    fn new(format: Format) -> Reporter {
        Reporter { format, errors: 0 }
    }

    fn report_all(
        &mut self,
        diagnostics: &[Diagnostic],
        sources: &SourceMap,
    ) -> anyhow::Result<()> {
        for diagnostic in diagnostics {
            if diagnostic.severity == Severity::Error {
                self.errors += 1;
            }
            let text = render::render(self.format, true, diagnostic, sources);
            match self.format {
                Format::Text => writeln!(std::io::stderr(), "{text}"),
                Format::Json | Format::Github => writeln!(std::io::stdout(), "{text}"),
            }
            .context("cannot write diagnostics")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_relative_and_start_with_a_dot() {
        let cwd = Path::new("/home/user/project");
        assert_eq!(display_name(Path::new("schema.cue"), cwd), "./schema.cue");
        assert_eq!(display_name(Path::new("./a/b.json"), cwd), "./a/b.json");
        assert_eq!(
            display_name(Path::new("/home/user/project/x/y.cue"), cwd),
            "./x/y.cue"
        );
        assert_eq!(
            display_name(Path::new("/home/user/other/y.cue"), cwd),
            "../other/y.cue"
        );
        assert_eq!(display_name(Path::new("../z.cue"), cwd), "../z.cue");
        assert_eq!(display_name(Path::new(".hidden.cue"), cwd), ".hidden.cue");
    }

    #[test]
    fn files_are_sorted_into_package_and_data_in_any_order() {
        let cwd = Path::new("/w");
        let files = [
            PathBuf::from("data.json"),
            PathBuf::from("schema.cue"),
            PathBuf::from("events.jsonl"),
            PathBuf::from("more.ndjson"),
        ];
        let config = VetConfig::from_arguments(&files, None, Format::Text, cwd).expect("valid");
        assert_eq!(config.package_files.len(), 1);
        assert_eq!(config.package_files[0].display_name, "./schema.cue");
        let kinds: Vec<FileKind> = config.data_files.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [FileKind::Json, FileKind::JsonStream, FileKind::JsonStream]
        );
    }

    #[test]
    fn qualifiers_force_the_type_of_the_next_file() {
        let cwd = Path::new("/w");
        let files = [
            PathBuf::from("schema.cue"),
            PathBuf::from("jsonl:"),
            PathBuf::from("foo.data"),
            PathBuf::from("json:"),
            PathBuf::from("noext"),
        ];
        let config = VetConfig::from_arguments(&files, None, Format::Text, cwd).expect("valid");
        let kinds: Vec<FileKind> = config.data_files.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [FileKind::JsonStream, FileKind::Json]);
        assert_eq!(config.data_files[1].display_name, "./noext");

        let dangling = [PathBuf::from("schema.cue"), PathBuf::from("json:")];
        assert!(VetConfig::from_arguments(&dangling, None, Format::Text, cwd).is_err());
        let unknown = [
            PathBuf::from("schema.cue"),
            PathBuf::from("xml:"),
            PathBuf::from("a"),
        ];
        assert!(VetConfig::from_arguments(&unknown, None, Format::Text, cwd).is_err());
    }

    #[test]
    fn a_directory_stands_for_its_package_files() {
        let dir = tempfile::tempdir().expect("temporary directory");
        for name in ["b.cue", "a.cue", "_skip.cue", "x_tool.cue", "data.json"] {
            std::fs::write(dir.path().join(name), "").expect("write");
        }
        let files = [PathBuf::from("data.json"), PathBuf::from(".")];
        let config =
            VetConfig::from_arguments(&files, None, Format::Text, dir.path()).expect("valid");
        let names: Vec<&str> = config
            .package_files
            .iter()
            .map(|f| f.display_name.as_str())
            .collect();
        assert_eq!(names, ["./a.cue", "./b.cue"]);
        assert_eq!(config.data_files.len(), 1);
    }

    #[test]
    fn arguments_without_cue_files_or_with_unknown_types_are_refused() {
        let cwd = Path::new("/w");
        let error = VetConfig::from_arguments(&[PathBuf::from("a.json")], None, Format::Text, cwd)
            .expect_err("no package");
        assert!(error.to_string().contains("no .cue file"));
        let error = VetConfig::from_arguments(
            &[PathBuf::from("a.cue"), PathBuf::from("a.xml")],
            None,
            Format::Text,
            cwd,
        )
        .expect_err("xml");
        assert!(error.to_string().contains("./a.xml"));
    }

    #[test]
    fn json_streams_split_into_values_at_their_original_offsets() {
        let text = "{\"a\": 1}\n{\"é\": 2}\n\n[3]\n";
        let documents = json_stream_documents(text);
        assert_eq!(documents.len(), 3);
        assert_eq!(documents[0], "{\"a\": 1}");
        assert_eq!(documents[1], "        \n{\"é\": 2}");
        assert_eq!(documents[2].len(), text.find('[').expect("list") + 3);
        assert!(documents[2].ends_with("\n\n[3]"));
        for document in &documents {
            assert!(document.len() <= text.len());
        }
    }

    #[test]
    fn json_stream_garbage_is_passed_on_for_the_engine_to_report() {
        let documents = json_stream_documents("{\"a\": 1}\nhi there\n");
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[1], "        \nhi there\n");
    }
}
