//! The one diagnostic model of cuemesh: the parser, the evaluator, lint and compatibility
//! rules all report [`Diagnostic`]s; only the CLI renders them.

use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A secondary position with a short note (`conflicting value declared here`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem found in user input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable SCREAMING_SNAKE id (`SYNTAX`, `CONFLICT`, `FIELD_NOT_ALLOWED`...).
    pub code: &'static str,
    pub severity: Severity,
    /// The message without path or position: `invalid value -1 (out of bound >=0)`.
    pub message: String,
    /// Where in the value tree, as CUE prints it (`total.amount`, `items.0.sku`); empty for the
    /// root or for errors that are not about a value (syntax).
    pub path: String,
    /// The primary positions (CUE lists every position that contributed to a conflict).
    pub spans: Vec<Span>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

/// The errors of the failed alternatives of a disjunction as CUE counts and lists them: each
/// error once, however many alternatives failed with it (`{} | {c?: int}` against `{c: 3, d:
/// 4}` fails twice on `d` but reports it once). An alternative's error that is itself an empty
/// disjunction counts with every error listed under it.
pub(crate) fn distinct_errors(errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::with_capacity(errors.len());
    for d in errors {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            path: String::new(),
            spans: Vec::new(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Whether this is a diagnostic of the engine's `code`.
    pub fn is(&self, code: crate::Code) -> bool {
        self.code == code.id()
    }

    pub fn with_span(mut self, span: Span) -> Diagnostic {
        if !self.spans.contains(&span) {
            self.spans.push(span);
        }
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Diagnostic {
        self.path = path.into();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The first line as `cue` prints it: `path: message` (or just `message` at the root).
    pub fn headline(&self) -> String {
        if self.path.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.path, self.message)
        }
    }

    /// CUE's plain text form: the headline, then (after a colon) one indented position per
    /// line. This is the form `cue vet` prints and the conformance tests compare.
    ///
    /// Like `cue`, positions are listed in file-name then offset order, except for a bound
    /// (the bound, then the value it rejected); an empty disjunction's headline ends with a
    /// colon because the failed alternatives follow it.
    pub fn render_plain(&self, sources: &SourceMap) -> String {
        let mut out = self.headline();
        if !self.spans.is_empty() || self.is(crate::Code::EmptyDisjunction) {
            out.push(':');
        }
        let mut spans = self.spans.clone();
        if !self.is(crate::Code::OutOfBound) {
            let name = |s: &Span| {
                sources
                    .get(s.file)
                    .map(|f| f.name.clone())
                    .unwrap_or_default()
            };
            spans.sort_by(|a, b| name(a).cmp(&name(b)).then(a.start.cmp(&b.start)));
        }
        let mut printed: Vec<String> = Vec::new();
        for span in &spans {
            let position = sources.describe(*span);
            if !printed.contains(&position) {
                out.push_str("\n    ");
                out.push_str(&position);
                printed.push(position);
            }
        }
        out
    }
}
