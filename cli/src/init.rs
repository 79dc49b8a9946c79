//! `cuemesh init`: writes the governance repository template (embedded in the binary at build
//! time from `schemas-repo-template/`) into a directory.

use anyhow::{bail, Context};
use std::io::Write;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/template_files.rs"));

/// What `init` was asked to do.
#[derive(Debug, Clone)]
pub struct InitConfig {
    /// Where to write the template; created when missing.
    pub directory: PathBuf,
    /// Write into a directory that is not empty, replacing the template's files there.
    pub force: bool,
}

/// The template's files: (path relative to the repository root, contents).
pub fn template_files() -> &'static [(&'static str, &'static [u8])] {
    TEMPLATE_FILES
}

/// Writes the template, then prints what it wrote and the next steps on `out`. Refuses a
/// directory that holds anything unless `force` is set.
pub fn run(config: &InitConfig, out: &mut dyn Write) -> anyhow::Result<()> {
    let directory = &config.directory;
    if directory.exists() {
        if !directory.is_dir() {
            bail!("{} exists and is not a directory", directory.display());
        }
        let mut entries = std::fs::read_dir(directory)
            .with_context(|| format!("cannot read directory {}", directory.display()))?;
        if entries.next().is_some() && !config.force {
            bail!(
                "{} is not empty: choose a new directory, or pass --force to write the template's files into it (replacing files of the same name)",
                directory.display()
            );
        }
    }
    for (relative, contents) in TEMPLATE_FILES {
        let path = directory.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(out, "wrote {}", display(directory, relative)).context("cannot write output")?;
    }
    let shown = directory.display();
    let version = env!("CARGO_PKG_VERSION");
    writeln!(
        out,
        "\nA governance repository is ready in {shown}. Next steps:\n\
         \n  1. Make it yours: the module path in cue.mod/module.cue, the registry URL in\n     \
         cuemesh.cue and the teams in CODEOWNERS. The gate's workflow,\n     \
         .github/workflows/schemas.yml, installs cuemesh {version}, the version that\n     \
         wrote it.\n\
         \n  2. Commit it:\n\n       cd {shown}\n       git init -b main && git add -A && git commit -m \"Start the event schema registry\"\n\
         \n  3. See the versions the registry will serve:\n\n       cuemesh versions\n\
         \n  4. Add a source: copy sources/identity to sources/<name>, set its source.id and\n     \
         owner, and declare its events. Example payloads go in\n     \
         sources/<name>/examples/<type>/*.json. The README explains the contract.\n\
         \n  5. Declare who reads what: consumers/<service>.cue names the consuming service,\n     \
         its owner and the version of each event type it decodes with (a number, or\n     \
         \"latest\"); `cuemesh check` then refuses a change that a pinned consumer cannot\n     \
         read. consumers/billing.cue is an example."
    )
    .context("cannot write output")?;
    Ok(())
}

fn display(directory: &Path, relative: &str) -> String {
    directory.join(relative).display().to_string()
}
