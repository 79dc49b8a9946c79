//! The registry settings of `cuemesh.cue` that lint reads: a severity per rule and the naming
//! patterns. Problems in the file are `CONFIG_INVALID` findings; lint then goes on with the
//! defaults for what could not be read.
//!
//! ```cue
//! compatibility: "BACKWARD"
//! registry: url: "https://schemas.example.com"
//! lint: {
//!     rules: {FIELD_DOC_MISSING: "warning", EXAMPLE_MISSING: "off"}
//!     eventTypePattern:      "^[A-Z][A-Za-z0-9]*:[a-z][A-Za-z0-9]*$"
//!     sourceIdPattern:       "^([A-Z][A-Za-z0-9]*|[a-z][a-z0-9]*(\\.[a-z][a-z0-9-]*)+)$"
//!     ownerPattern:          "^(@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?|[^@\\s]+@[^@\\s]+\\.[^@\\s]+)$"
//!     definitionNamePattern: "^[A-Z][A-Za-z0-9]*$"
//!     fieldNamePattern:      "^[a-z][A-Za-z0-9]*$"
//! }
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use cue::{Package, PackageFiles, Span};
use serde_json::Value as Json;

use crate::files::{FilesResolver, RepoFiles, SETTINGS_FILE};
use crate::finding::{find_field, Finding, Level, Sources};
use crate::LintCode;

mod keys;

pub use keys::{key_name, keys_under, numbered_branch, SettingKey, SETTING_KEYS};

/// A regular expression (RE2 syntax, unanchored as in CUE) with the text it came from.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    pub regex: Arc<regex::Regex>,
}

impl Pattern {
    fn new(text: &str) -> Result<Pattern, cue::Re2Error> {
        Ok(Pattern {
            text: text.to_string(),
            regex: cue::compile_regex(text)?,
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// What `cuemesh.cue` says lint should do; [`Settings::default`] when it says nothing.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Levels set by the repository; other rules keep their default.
    pub levels: HashMap<LintCode, Level>,
    /// CloudEvents `type` strings (`MySource:newPerson`).
    pub event_type_pattern: Pattern,
    /// `source.id` values, the CloudEvents `source` attribute.
    pub source_id_pattern: Pattern,
    /// `source.owner` and `consumer.owner` values: a GitHub team `@org/team`, a user
    /// `@octocat` or an e-mail address.
    pub owner_pattern: Pattern,
    /// Definition names, without the `#`.
    pub definition_name_pattern: Pattern,
    /// Regular field names of definitions.
    pub field_name_pattern: Pattern,
    /// `registry`: where the registry is served and which branch numbers versions.
    pub registry: RegistrySettings,
}

/// The `registry` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistrySettings {
    /// `registry.url`: the public URL of the registry service, without a trailing `/`. Each
    /// CloudEvent's `dataschema` is `<url>/v1/sources/{source}/types/{type}/versions/{n}`.
    pub url: Option<String>,
    /// `registry.branch`: the branch whose first-parent history numbers versions (`main` when
    /// not set).
    pub branch: Option<String>,
}

/// The default patterns, as documented in the README.
pub(crate) const DEFAULT_EVENT_TYPE_PATTERN: &str = "^[A-Z][A-Za-z0-9]*:[a-z][A-Za-z0-9]*$";
/// PascalCase names (`MySource`), reverse DNS (`com.acme.orders`) and the URI references the
/// CloudEvents specification's own examples use: absolute URIs (`https://github.com/cloudevents`,
/// `urn:event:from:myapi/resource`) and absolute paths (`/cloudevents/spec/pull/123`).
pub(crate) const DEFAULT_SOURCE_ID_PATTERN: &str = r"^([A-Z][A-Za-z0-9]*|[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)+|[A-Za-z][A-Za-z0-9+.-]*:[^\s]+|/[^\s]*)$";
/// Every owner form `CODEOWNERS` accepts: a team (`@org/team`), a user (`@octocat`) or an
/// e-mail address.
pub(crate) const DEFAULT_OWNER_PATTERN: &str =
    r"^(@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?|[^@\s]+@[^@\s]+\.[^@\s]+)$";
pub(crate) const DEFAULT_DEFINITION_NAME_PATTERN: &str = "^[A-Z][A-Za-z0-9]*$";
pub(crate) const DEFAULT_FIELD_NAME_PATTERN: &str = "^[a-z][A-Za-z0-9]*$";

impl Default for Settings {
    fn default() -> Settings {
        let pattern = |text| Pattern::new(text).expect("the default patterns compile");
        Settings {
            levels: HashMap::new(),
            event_type_pattern: pattern(DEFAULT_EVENT_TYPE_PATTERN),
            source_id_pattern: pattern(DEFAULT_SOURCE_ID_PATTERN),
            owner_pattern: pattern(DEFAULT_OWNER_PATTERN),
            definition_name_pattern: pattern(DEFAULT_DEFINITION_NAME_PATTERN),
            field_name_pattern: pattern(DEFAULT_FIELD_NAME_PATTERN),
            registry: RegistrySettings::default(),
        }
    }
}

impl Settings {
    /// The severity a rule's findings get in this repository (`None`: the rule is off).
    pub fn level(&self, code: LintCode) -> Level {
        self.levels
            .get(&code)
            .copied()
            .unwrap_or(code.default_level())
    }

    /// Reads `cuemesh.cue` from the tree (defaults when there is none), adding its text to
    /// `sources`. Every problem is a finding without a rule id (the caller files them under
    /// `CONFIG_INVALID`).
    pub(crate) fn load(
        tree: &RepoFiles,
        module: &str,
        sources: &mut Sources,
    ) -> (Settings, Vec<Finding>) {
        let mut settings = Settings::default();
        let mut problems = Vec::new();
        let Some(bytes) = tree.files.get(SETTINGS_FILE) else {
            return (settings, problems);
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            let file = sources.add(SETTINGS_FILE, "");
            problems.push(Finding::new("the file is not UTF-8").at(Span::new(file, 0, 0)));
            return (settings, problems);
        };
        let file_id = sources.add(SETTINGS_FILE, text);
        let (syntax, _) = cue::parser::parse_file(file_id, text);
        let whole_file = Span::new(file_id, 0, 0);
        let resolver = FilesResolver { module, tree };
        let package = Package::load(
            PackageFiles {
                files: vec![(SETTINGS_FILE.to_string(), text.to_string())],
            },
            &resolver,
        );
        if !package.diagnostics().is_empty() {
            for diagnostic in package.diagnostics() {
                problems.push(sources.import(diagnostic, package.sources()));
            }
            return (settings, problems);
        }
        let value = match package.export_json(None) {
            Ok(value) => value,
            Err(diagnostics) => {
                for diagnostic in &diagnostics {
                    let mut finding = sources.import(diagnostic, package.sources());
                    finding.message = format!("settings must be concrete: {}", finding.message);
                    if finding.span.is_none() {
                        finding.span = Some(whole_file);
                    }
                    problems.push(finding);
                }
                return (settings, problems);
            }
        };
        let files = [(file_id, &syntax)];
        let mut problem = |path: &[&str], message: String| {
            let span = find_field(&files, path).map_or(whole_file, |field| field.span);
            problems.push(Finding::new(message).at(span).with_path(path.join(".")));
        };
        if let Some(mode) = value.get("compatibility") {
            let valid = mode
                .as_str()
                .is_some_and(|m| m.parse::<cue::compat::Mode>().is_ok());
            if !valid {
                problem(
                    &["compatibility"],
                    format!("compatibility must be one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE or NONE, found {mode}"),
                );
            }
        }
        if let Some(registry) = value.get("registry") {
            settings.registry = read_registry(registry, &mut problem);
        }
        let Some(lint) = value.get("lint") else {
            return (settings, problems);
        };
        let Some(lint) = lint.as_object() else {
            problem(&["lint"], format!("lint must be a struct, found {lint}"));
            return (settings, problems);
        };
        for (key, entry) in lint {
            if key == "rules" {
                settings.read_levels(entry, &mut problem);
                continue;
            }
            // The keys lint accepts come from the table the reference is generated from;
            // every one but `rules` is a pattern.
            if !keys_under("lint.").any(|known| key_name(known) == key) {
                let known: Vec<&str> = keys_under("lint.").map(key_name).collect();
                problem(
                    &["lint", key],
                    format!("unknown lint setting {key:?} (known: {})", known.join(", ")),
                );
                continue;
            };
            let Some(text) = entry.as_str() else {
                problem(
                    &["lint", key],
                    format!("{key} must be a string (a regular expression), found {entry}"),
                );
                continue;
            };
            match (Pattern::new(text), settings.pattern_mut(key)) {
                (Ok(pattern), Some(slot)) => *slot = pattern,
                (Err(error), _) => problem(&["lint", key], format!("{key}: {error}")),
                (Ok(_), None) => problem(
                    &["lint", key],
                    format!("{key} is a known setting lint does not read as a pattern"),
                ),
            }
        }
        (settings, problems)
    }

    /// Reads `cuemesh.cue` from one file's text, as [`Settings::load`] does from a tree (for
    /// callers that read the file from Git). The module path resolves imports of the file.
    pub(crate) fn load_text(
        text: &str,
        module: &str,
        sources: &mut Sources,
    ) -> (Settings, Vec<Finding>) {
        let tree = RepoFiles::from_texts([(SETTINGS_FILE, text)]);
        Settings::load(&tree, module, sources)
    }

    fn read_levels(&mut self, entry: &Json, problem: &mut impl FnMut(&[&str], String)) {
        let Some(levels) = entry.as_object() else {
            problem(
                &["lint", "rules"],
                format!("lint.rules must be a struct of rule ids to \"error\", \"warning\" or \"off\", found {entry}"),
            );
            return;
        };
        for (id, level) in levels {
            let Some(code) = LintCode::from_id(id) else {
                problem(
                    &["lint", "rules", id],
                    format!("unknown lint rule {id:?} (the rules are listed by the README and `cuemesh lint --help`)"),
                );
                continue;
            };
            let parsed = level.as_str().and_then(Level::parse);
            match parsed {
                None => problem(
                    &["lint", "rules", id],
                    format!("the severity of {id} must be \"error\", \"warning\" or \"off\", found {level}"),
                ),
                Some(level) if !code.configurable() && level != code.default_level() => problem(
                    &["lint", "rules", id],
                    format!("{id} cannot be configured: nothing else can be checked without it"),
                ),
                Some(level) => {
                    self.levels.insert(code, level);
                }
            }
        }
    }

    fn pattern_mut(&mut self, key: &str) -> Option<&mut Pattern> {
        match key {
            "eventTypePattern" => Some(&mut self.event_type_pattern),
            "sourceIdPattern" => Some(&mut self.source_id_pattern),
            "ownerPattern" => Some(&mut self.owner_pattern),
            "definitionNamePattern" => Some(&mut self.definition_name_pattern),
            "fieldNamePattern" => Some(&mut self.field_name_pattern),
            _ => None,
        }
    }
}

/// Reads the `registry` struct of the settings; each problem goes to `problem` with its path.
fn read_registry(entry: &Json, problem: &mut impl FnMut(&[&str], String)) -> RegistrySettings {
    let mut registry = RegistrySettings::default();
    let Some(fields) = entry.as_object() else {
        problem(
            &["registry"],
            format!("registry must be a struct with `url` and `branch`, found {entry}"),
        );
        return registry;
    };
    for (key, value) in fields {
        match key.as_str() {
            "url" => match value.as_str().map(registry_url) {
                Some(Ok(url)) => registry.url = Some(url),
                Some(Err(why)) => {
                    problem(&["registry", "url"], format!("registry.url {value}: {why}"))
                }
                None => problem(
                    &["registry", "url"],
                    format!("registry.url must be a string (an http or https URL), found {value}"),
                ),
            },
            "branch" => match value.as_str() {
                Some(branch) if git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) => {
                    registry.branch = Some(branch.to_string());
                }
                _ => problem(
                    &["registry", "branch"],
                    format!("registry.branch must be a branch name, found {value}"),
                ),
            },
            _ => problem(
                &["registry", key],
                format!("unknown registry setting {key:?} (known: url, branch)"),
            ),
        }
    }
    registry
}

/// Checks a registry URL (`https://schemas.example.com/registry`): an absolute http or https
/// URL with a host, no query, fragment or white space. Returns it without a trailing `/`.
fn registry_url(text: &str) -> Result<String, &'static str> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or("the URL must start with https:// or http://")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return Err("the URL has no host");
    }
    if text.contains(char::is_whitespace) {
        return Err("the URL contains white space");
    }
    if text.contains(['?', '#']) {
        return Err("the URL must not have a query or fragment: paths are appended to it");
    }
    Ok(text.trim_end_matches('/').to_string())
}
