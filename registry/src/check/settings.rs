//! What `cuemesh.cue` says `check` should do: the default compatibility mode and the allowed
//! breaking changes (`check: allow: [...]`). Problems in the file are `CONFIG_INVALID` errors;
//! check then goes on with the defaults for what could not be read.
//!
//! ```cue
//! compatibility: "BACKWARD"
//! check: allow: [{
//!     type:    "MySource:newPerson"
//!     version: 3
//!     rule:    "FIELD_REMOVED"
//!     reason:  "nobody reads `nickname` any more (ADR-12)"
//! }]
//! ```

use std::sync::Arc;

use cue::compat::Mode;
use cue::{Diagnostic, Package, PackageFiles, SourceMap, Span};
use serde_json::Value as Json;

use crate::files::{FilesResolver, RepoFiles, SETTINGS_FILE};
use crate::settings::{key_name, keys_under};

/// One intended breaking change, allowed by `cuemesh.cue`. An entry names the source, the type
/// or both; `version` (the version the change would create) makes it expire by itself once that
/// version exists, and `rule` limits it to one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// The position in `check.allow`, for messages.
    pub index: usize,
    /// A `source.id`.
    pub source: Option<String>,
    /// A CloudEvents `type`.
    pub event_type: Option<String>,
    /// The version the change would create.
    pub version: Option<u32>,
    /// A rule id (`FIELD_REMOVED`, `EVENT_REMOVED`); every rule when absent.
    pub rule: Option<String>,
    /// Why the break is intended: printed with every finding it allows.
    pub reason: String,
}

impl Allowance {
    /// Whether this entry allows a finding of `rule` about `event_type` of `source`, in the
    /// change that would create `version` (`None` for removals).
    pub fn allows(
        &self,
        source: &str,
        event_type: Option<&str>,
        version: Option<u32>,
        rule: &str,
    ) -> bool {
        self.source.as_deref().is_none_or(|s| s == source)
            && self
                .event_type
                .as_deref()
                .is_none_or(|t| Some(t) == event_type)
            && self.version.is_none_or(|v| Some(v) == version)
            && self.rule.as_deref().is_none_or(|r| r == rule)
    }

    /// `type "MySource:newPerson", version 3, rule FIELD_REMOVED`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(source) = &self.source {
            parts.push(format!("source {source:?}"));
        }
        if let Some(event_type) = &self.event_type {
            parts.push(format!("type {event_type:?}"));
        }
        if let Some(version) = self.version {
            parts.push(format!("version {version}"));
        }
        if let Some(rule) = &self.rule {
            parts.push(format!("rule {rule}"));
        }
        format!("check.allow[{}] ({})", self.index, parts.join(", "))
    }
}

/// The settings of `check`; the defaults when `cuemesh.cue` says nothing.
#[derive(Debug, Clone, Default)]
pub struct CheckSettings {
    /// `compatibility`: the mode of every event without `@compat(...)`.
    pub compatibility: Option<Mode>,
    pub allow: Vec<Allowance>,
}

/// `CONFIG_INVALID` problems of `cuemesh.cue`, with the files their spans point into.
pub(crate) struct SettingsProblems {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) files: Arc<SourceMap>,
}

impl CheckSettings {
    /// Reads `cuemesh.cue` from the working tree's files (defaults when there is none).
    pub(crate) fn load(tree: &RepoFiles, module: &str) -> (CheckSettings, SettingsProblems) {
        let mut settings = CheckSettings::default();
        let mut problems = SettingsProblems {
            diagnostics: Vec::new(),
            files: Arc::new(SourceMap::new()),
        };
        let Some(bytes) = tree.files.get(SETTINGS_FILE) else {
            return (settings, problems);
        };
        let text = String::from_utf8_lossy(bytes).into_owned();
        let resolver = FilesResolver { module, tree };
        let package = Package::load(
            PackageFiles {
                files: vec![(SETTINGS_FILE.to_string(), text)],
            },
            &resolver,
        );
        problems.files = Arc::new(package.sources().clone());
        let invalid = |message: String| {
            Diagnostic::error("CONFIG_INVALID", message).with_span(Span::new(cue::FileId(0), 0, 0))
        };
        if !package.diagnostics().is_empty() {
            for diagnostic in package.diagnostics() {
                problems.diagnostics.push(Diagnostic {
                    code: "CONFIG_INVALID",
                    ..diagnostic.clone()
                });
            }
            return (settings, problems);
        }
        let value = match package.export_json(None) {
            Ok(value) => value,
            Err(diagnostics) => {
                for diagnostic in diagnostics {
                    problems.diagnostics.push(invalid(format!(
                        "settings must be concrete: {}",
                        diagnostic.headline()
                    )));
                }
                return (settings, problems);
            }
        };
        // An invalid mode is lint's CONFIG_INVALID; check falls back to BACKWARD for it.
        settings.compatibility = value
            .get("compatibility")
            .and_then(Json::as_str)
            .and_then(|mode| mode.parse().ok());
        let Some(check) = value.get("check") else {
            return (settings, problems);
        };
        let allow = match check.get("allow") {
            None => return (settings, problems),
            Some(Json::Array(allow)) => allow,
            Some(other) => {
                problems.diagnostics.push(invalid(format!(
                    "check.allow must be a list of {{source?, type?, version?, rule?, reason}}, found {other}"
                )));
                return (settings, problems);
            }
        };
        for (index, entry) in allow.iter().enumerate() {
            match read_allowance(index, entry) {
                Ok(allowance) => settings.allow.push(allowance),
                Err(message) => problems
                    .diagnostics
                    .push(invalid(format!("check.allow[{index}]: {message}"))),
            }
        }
        (settings, problems)
    }
}

fn read_allowance(index: usize, entry: &Json) -> Result<Allowance, String> {
    let Some(object) = entry.as_object() else {
        return Err(format!("must be a struct, found {entry}"));
    };
    // The fields an entry may have come from the table the reference is generated from.
    for key in object.keys() {
        if !keys_under("check.allow[].").any(|known| key_name(known) == key) {
            let known: Vec<&str> = keys_under("check.allow[].").map(key_name).collect();
            return Err(format!(
                "unknown field {key:?} (known: {})",
                known.join(", ")
            ));
        }
    }
    let text = |key: &str| -> Result<Option<String>, String> {
        match object.get(key) {
            None => Ok(None),
            Some(Json::String(text)) if !text.trim().is_empty() => Ok(Some(text.clone())),
            Some(other) => Err(format!("{key} must be a non-empty string, found {other}")),
        }
    };
    let source = text("source")?;
    let event_type = text("type")?;
    let rule = text("rule")?;
    let reason = text("reason")?
        .ok_or_else(|| "reason is required: say why the break is intended".to_string())?;
    if source.is_none() && event_type.is_none() {
        return Err("name a source, a type or both".to_string());
    }
    let version = match object.get("version") {
        None => None,
        Some(value) => Some(
            value
                .as_u64()
                .filter(|v| *v >= 1)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| format!("version must be an integer >= 1, found {value}"))?,
        ),
    };
    Ok(Allowance {
        index,
        source,
        event_type,
        version,
        rule,
        reason,
    })
}
