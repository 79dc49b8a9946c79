//! `cuemesh compat`: is a schema version compatible with the previous ones, and if not, which
//! named rules does it break, where, and a document that shows it (a counterexample one
//! version accepts and the other rejects, validated against both).

use crate::render::{self, Format, Proof};
use crate::vet::{display_name, import_resolver, package_directory_files};
use anyhow::{bail, Context};
use cue::compat::{check, Mode, Version};
use cue::{Package, PackageFiles, Severity};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `compat` was asked to do, with the raw arguments already resolved into files.
#[derive(Debug, Clone)]
pub struct CompatConfig {
    /// The previous versions, oldest first; each is one package's files (path, display name).
    pub previous: Vec<Vec<(PathBuf, String)>>,
    /// The current version's files.
    pub current: Vec<(PathBuf, String)>,
    /// The definition compared, such as `#Order`.
    pub definition: String,
    pub mode: Mode,
    pub format: Format,
}

/// How a `compat` run ended; the binary maps it to the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompatOutcome {
    /// No finding at error level in the mode (warnings may have been printed).
    Compatible,
    /// Error-level findings, or a version whose package has errors.
    Incompatible,
}

impl CompatConfig {
    /// `previous` as given on the command line: the first `--previous` is the latest previous
    /// version, each following one is older. Every argument is a `.cue` file or a directory
    /// standing for its package's `.cue` files.
    pub fn from_arguments(
        previous: &[PathBuf],
        current: &[PathBuf],
        definition: String,
        mode: &str,
        format: Format,
        working_directory: &Path,
    ) -> anyhow::Result<CompatConfig> {
        let mode: Mode = mode.parse()?;
        if !definition.trim().starts_with('#') {
            bail!("-d '{definition}': compat compares a definition, such as -d '#Order'");
        }
        if previous.is_empty() {
            bail!("no --previous version given: compat compares the current files with at least one previous version");
        }
        let mut versions = Vec::new();
        for path in previous.iter().rev() {
            versions.push(package_files(
                std::slice::from_ref(path),
                working_directory,
            )?);
        }
        Ok(CompatConfig {
            previous: versions,
            current: package_files(current, working_directory)?,
            definition,
            mode,
            format,
        })
    }
}

fn package_files(
    paths: &[PathBuf],
    working_directory: &Path,
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    for path in paths {
        if working_directory.join(path).is_dir() {
            for file in package_directory_files(path, working_directory)? {
                let name = display_name(&file, working_directory);
                files.push((file, name));
            }
        } else if path.extension().is_some_and(|x| x == "cue") {
            files.push((path.clone(), display_name(path, working_directory)));
        } else {
            bail!(
                "{}: unsupported file type (compat reads .cue files and directories)",
                display_name(path, working_directory)
            );
        }
    }
    if files.is_empty() {
        bail!("no .cue file given for the current version");
    }
    Ok(files)
}

fn load(files: &[(PathBuf, String)]) -> anyhow::Result<Package> {
    let mut texts = Vec::new();
    for (path, name) in files {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read schema file {name}"))?;
        texts.push((name.clone(), text));
    }
    let resolver = import_resolver(&files[0].0);
    Ok(Package::load(
        PackageFiles { files: texts },
        resolver.as_ref(),
    ))
}

/// Loads every version, checks, and prints the findings on `stdout` (then, in text form, a
/// one-line verdict). A version whose package has errors is reported like `vet` reports it.
pub fn run(config: &CompatConfig, stdout: &mut dyn Write) -> anyhow::Result<CompatOutcome> {
    let previous: Vec<Package> = config
        .previous
        .iter()
        .map(|files| load(files))
        .collect::<anyhow::Result<_>>()?;
    let current = load(&config.current)?;
    let mut broken = false;
    for package in previous.iter().chain(std::iter::once(&current)) {
        for diagnostic in package.diagnostics() {
            broken = true;
            let text = render::render(config.format, false, diagnostic, package.sources());
            writeln!(stdout, "{text}").context("cannot write diagnostics")?;
        }
    }
    if broken {
        return Ok(CompatOutcome::Incompatible);
    }
    let version = |package| Version {
        package,
        definition: &config.definition,
    };
    let versions: Vec<Version<'_>> = previous.iter().map(version).collect();
    let report = match check(&versions, version(&current), config.mode) {
        Ok(report) => report,
        Err(diagnostics) => {
            if let Some(d) = diagnostics.iter().find(|d| d.is(cue::Code::Compat)) {
                bail!("{}", d.message);
            }
            for diagnostic in &diagnostics {
                let text = render::render(config.format, false, diagnostic, current.sources());
                writeln!(stdout, "{text}").context("cannot write diagnostics")?;
            }
            return Ok(CompatOutcome::Incompatible);
        }
    };
    for finding in &report.findings {
        let diagnostic = finding.to_diagnostic();
        let proof = Proof {
            counterexample: finding.counterexample.as_ref(),
            note: finding.counterexample_note.as_deref(),
        };
        let text = match config.format {
            Format::Text => {
                render::render_rich_with_notes(&diagnostic, &report.sources, &proof.lines())
            }
            Format::Json => {
                let mut object = render::json_object(&diagnostic, &report.sources);
                proof.add_json(&mut object);
                serde_json::Value::Object(object).to_string()
            }
            Format::Github => {
                render::render_github_with_notes(&diagnostic, &report.sources, &proof.lines())
            }
        };
        writeln!(stdout, "{text}").context("cannot write findings")?;
        if config.format == Format::Text {
            writeln!(stdout).context("cannot write findings")?;
        }
    }
    let count = |severity| {
        report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    if config.format == Format::Text {
        let verdict = if errors == 0 {
            "compatible"
        } else {
            "incompatible"
        };
        writeln!(
            stdout,
            "{} {}: {verdict} ({errors} error{}, {warnings} warning{})",
            config.definition,
            config.mode,
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        )
        .context("cannot write the verdict")?;
    }
    Ok(if report.is_compatible() {
        CompatOutcome::Compatible
    } else {
        CompatOutcome::Incompatible
    })
}
