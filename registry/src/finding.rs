//! What the model and the tools built on it report about a repository's files: a [`Finding`]
//! with positions into [`Sources`] (every text read, once each), and the [`Level`] a repository
//! configures a rule to be. Lint's rules, `check`'s settings and the repository model's reading of
//! `cuemesh.cue` all report through them.

use std::collections::HashMap;

use cue::ast::{self, Decl, ExprKind, Field, LabelKind};
use cue::{Diagnostic, FileId, Label, Severity, SourceMap, Span};

use crate::LintCode;

/// What a repository configures a rule to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Error,
    Warning,
    Off,
}

impl Level {
    /// `"error"`, `"warning"` or `"off"`, as `cuemesh.cue` spells them.
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "error" => Some(Level::Error),
            "warning" => Some(Level::Warning),
            "off" => Some(Level::Off),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        }
    }

    /// The severity of the findings; `None` when the rule is off.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Off => None,
        }
    }
}

/// One problem found in a repository's files, with positions into [`Sources`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that reported it; set by lint from its table, never by the rule itself.
    /// `None` for problems that no rule reports (yet): the settings reader's, before lint files
    /// them under `CONFIG_INVALID`.
    pub rule: Option<LintCode>,
    /// The configured severity; set by [`lint`].
    pub severity: Severity,
    pub message: String,
    /// A value path: the JSON path in an example, the CUE path of a field or setting.
    pub path: String,
    /// Where: the line a `cuemesh:ignore` directive must name. `None` only for findings about
    /// nothing in a file.
    pub span: Option<Span>,
    /// Further positions (the schema constraints an example violates).
    pub related: Vec<Span>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Finding {
    /// A finding of the rule that reports it (the rule id and severity are filled in later).
    pub fn new(message: impl Into<String>) -> Finding {
        Finding {
            rule: None,
            severity: Severity::Error,
            message: message.into(),
            path: String::new(),
            span: None,
            related: Vec::new(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn at(mut self, span: Span) -> Finding {
        self.span = Some(span);
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Finding {
        self.path = path.into();
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Finding {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// The finding as the workspace's one diagnostic model: the rule id is the code.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic {
            code: self.rule.map_or("", LintCode::id),
            severity: self.severity,
            message: self.message.clone(),
            path: self.path.clone(),
            spans: self.span.iter().chain(&self.related).copied().collect(),
            labels: self.labels.clone(),
            help: self.help.clone(),
        }
    }
}

/// Every text read from a repository, by repository-relative name, once each.
#[derive(Debug, Default)]
pub struct Sources {
    pub map: SourceMap,
    by_name: HashMap<String, FileId>,
}

impl Sources {
    /// Adds a file, or returns the id it already has.
    pub fn add(&mut self, name: &str, text: &str) -> FileId {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let id = self.map.add(name, text);
        self.by_name.insert(name.to_string(), id);
        id
    }

    /// The id of a file already added.
    pub fn id(&self, name: &str) -> Option<FileId> {
        self.by_name.get(name).copied()
    }

    /// A diagnostic of the engine (whose spans point into `from`, a package's own map) as a
    /// finding whose spans point into this map. Positions in files lint did not read (the
    /// `<expression>` the engine parses) are dropped.
    pub fn import(&self, diagnostic: &Diagnostic, from: &SourceMap) -> Finding {
        let remap = |span: Span| -> Option<Span> {
            let file = from.get(span.file)?;
            let id = self.id(&file.name)?;
            Some(Span::new(id, span.start, span.end))
        };
        let mut spans = diagnostic.spans.iter().filter_map(|span| remap(*span));
        let mut finding = Finding::new(diagnostic.message.clone()).with_path(&diagnostic.path);
        finding.span = spans.next();
        finding.related = spans.collect();
        finding.labels = diagnostic
            .labels
            .iter()
            .filter_map(|label| {
                Some(cue::Label {
                    span: remap(label.span)?,
                    message: label.message.clone(),
                })
            })
            .collect();
        finding.help = diagnostic.help.clone();
        finding
    }
}

/// A label's name when it is written literally (`name`, `#Def`, `"quoted"`).
pub(crate) fn label_name(label: &LabelKind) -> Option<&str> {
    match label {
        LabelKind::Ident(ident) => Some(&ident.name),
        LabelKind::String(text) => Some(text),
        _ => None,
    }
}

/// The first field at `path` (`["lint", "rules", "X"]`) in any of the files, following
/// struct literals (`a: b: c` included).
pub(crate) fn find_field<'f>(
    files: &[(FileId, &'f ast::File)],
    path: &[&str],
) -> Option<&'f Field> {
    fn in_decls<'f>(decls: &'f [Decl], path: &[&str]) -> Option<&'f Field> {
        let (first, rest) = path.split_first()?;
        decls.iter().find_map(|decl| {
            let Decl::Field(field) = decl else {
                return None;
            };
            if label_name(&field.label.kind) != Some(first) {
                return None;
            }
            if rest.is_empty() {
                return Some(field);
            }
            match &field.value.kind {
                ExprKind::Struct(inner) => in_decls(&inner.decls, rest),
                _ => None,
            }
        })
    }
    files
        .iter()
        .find_map(|(_, file)| in_decls(&file.decls, path))
}
