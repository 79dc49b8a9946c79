//! Errors: errors are values kept on vertices ([`Vertex::error`]); this file collects them from
//! the tree as diagnostics with CUE's paths and order (conflicts first, then incomplete values
//! and missing required fields), and describes values the way CUE's messages print them.

use super::expr::atom_text;
use super::values::Val;
use super::vertex::{ArcType, Feature, State, VertexId};
use super::{Eval, MAX_ERRORS};
use crate::builtins;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::value::{EvalError, KindText};
use std::sync::Arc;

/// A validation reports at most this many errors (the first ones, in CUE's order).
/// The code of an operation whose operand is not concrete yet.
pub(super) const NON_CONCRETE: &str = "NON_CONCRETE";

/// A struct or list literal (CUE or JSON text) printed on one line, as CUE prints values in
/// messages: `{v:1,tags:["a b"]}`. Strings are kept as written; a quoted label that is a plain
/// identifier loses its quotes.
pub(crate) fn compact(text: &str) -> String {
    let mut out = String::new();
    let mut last_space = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            if !last_space && !out.ends_with(['{', '[', ',', ':']) {
                out.push(',');
            }
            last_space = true;
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if last_space && (c == '}' || c == ']') && out.ends_with(',') {
            out.pop();
        }
        last_space = false;
        if c == '"' {
            let literal = string_literal(rest);
            rest = &rest[literal.len()..];
            let inner = literal
                .strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .unwrap_or("");
            if rest.trim_start().starts_with(':') && is_plain_label(inner) {
                out.push_str(inner);
            } else {
                out.push_str(literal);
            }
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.replace(",,", ",")
}

/// The double-quoted string literal at the start of `text` (to its closing quote, or the end).
pub(super) fn string_literal(text: &str) -> &str {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return &text[..i + 1],
            _ => {}
        }
    }
    text
}

/// Whether a label needs no quotes in CUE: an identifier that is neither hidden (`_x`) nor a
/// definition (`#x`).
pub(super) fn is_plain_label(label: &str) -> bool {
    let mut chars = label.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

impl<'a> Eval<'a> {
    /// How messages name the struct or list literal at `span` (printed when one does).
    pub(super) fn literal_text(&self, span: Span) -> KindText {
        if self
            .extra_sources
            .iter()
            .all(|&(file, _)| file != span.file)
        {
            if let Some(file) = self.program.sources.get(span.file) {
                return KindText::literal(&file.text, span.start, span.end);
            }
        }
        // A data document's text is borrowed, not shared: printed now.
        let text: Arc<str> = Arc::from(self.text(span));
        let shown = KindText::literal(&text, 0, text.len() as u32).to_string();
        KindText::Shown(Arc::from(shown))
    }

    pub(crate) fn text(&self, span: Span) -> String {
        for &(file, text) in &self.extra_sources {
            if file == span.file {
                return text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("")
                    .to_string();
            }
        }
        self.program
            .sources
            .get(span.file)
            .and_then(|f| f.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
            .to_string()
    }

    /// A value as CUE prints it in messages: concrete values compactly, constraints by what
    /// constrains them (`{kind:"a",a:int}`).
    pub(super) fn describe_value(&mut self, v: VertexId) -> String {
        let v = self.resolve_forward(v);
        if let Some(c) = self.concrete_value(v) {
            return builtins::format_concrete(&c);
        }
        if self.vertices[v].list.is_some() || self.vertices[v].struct_span.is_some() {
            let is_list = self.vertices[v].list.is_some();
            let mut parts = Vec::new();
            for a in self.vertices[v].arcs.clone() {
                let feature = self.vertices[a].feature.clone();
                let Some(feature @ (Feature::Regular(_) | Feature::Index(_))) = feature else {
                    continue;
                };
                let marker = match self.vertices[a].arc_type {
                    ArcType::Regular => "",
                    ArcType::Optional => "?",
                    ArcType::Required => "!",
                };
                let value = self.describe_value(a);
                if is_list {
                    parts.push(value);
                } else {
                    parts.push(format!("{}{marker}:{value}", feature.selector()));
                }
            }
            return if is_list {
                format!("[{}]", parts.join(","))
            } else {
                format!("{{{}}}", parts.join(","))
            };
        }
        self.vertices[v].scalar.describe_incomplete()
    }

    /// A value as `incomplete value ...` messages print it.
    pub(super) fn describe_val(&mut self, val: &Val) -> String {
        match val {
            Val::Top => "_".to_string(),
            Val::Atom(atom, _) => atom_text(atom),
            Val::Scalar(scalar, _) => scalar.describe_incomplete(),
            Val::Node(t) => {
                let t = *t;
                self.finalize(t);
                self.describe_value(t)
            }
            Val::Disj(options) => options
                .iter()
                .map(|(o, d)| {
                    let text = self.describe_val(o);
                    if *d {
                        format!("*{text}")
                    } else {
                        text
                    }
                })
                .collect::<Vec<_>>()
                .join(" | "),
            Val::Bottom(err) => err.message.clone(),
            Val::Func(_) | Val::Package(_) => "function".to_string(),
        }
    }

    pub(crate) fn diagnostic(&self, v: VertexId, err: &EvalError) -> Diagnostic {
        let mut d = Diagnostic::error(err.code, err.message.clone()).with_path(self.path(v));
        for span in &err.spans {
            if span.end > 0 || span.start > 0 {
                d = d.with_span(*span);
            }
        }
        d
    }

    pub(super) fn push_error(&self, v: VertexId, err: &EvalError, out: &mut Vec<Diagnostic>) {
        // An empty disjunction whose alternatives all failed with one error is that error, at
        // its own path (`payment.wallet: field not allowed`), without a count.
        if let (true, [one]) = (err.code == "EMPTY_DISJUNCTION", err.sub.as_slice()) {
            if one.message == err.message {
                out.push(one.clone());
                return;
            }
        }
        out.push(self.diagnostic(v, err));
        out.extend(err.sub.iter().cloned());
    }

    /// Every non-incomplete error in the tree under `v`, parents before children.
    pub(crate) fn collect_errors(&self, v: VertexId, out: &mut Vec<Diagnostic>, first_only: bool) {
        let v = self.resolve_forward(v);
        if let Some(err) = &self.vertices[v].error {
            if !err.incomplete {
                self.push_error(v, err, out);
            }
            return;
        }
        self.collect_arc_errors(v, out, first_only);
    }

    pub(super) fn visible_arcs(&self, v: VertexId) -> Vec<VertexId> {
        self.vertices[v]
            .arcs
            .iter()
            .map(|&a| self.resolve_forward(a))
            .filter(|&a| {
                let vertex = &self.vertices[a];
                vertex.arc_type != ArcType::Optional
                    && matches!(vertex.state, State::Done)
                    && (self.include_definitions
                        || !matches!(
                            vertex.feature,
                            Some(Feature::Definition(_) | Feature::Hidden(_))
                        ))
            })
            .collect()
    }

    pub(super) fn collect_arc_errors(
        &self,
        v: VertexId,
        out: &mut Vec<Diagnostic>,
        first_only: bool,
    ) {
        if out.len() >= MAX_ERRORS {
            return;
        }
        let arcs = self.visible_arcs(v);
        for &a in &arcs {
            if let Some(err) = &self.vertices[a].error {
                if !err.incomplete {
                    self.push_error(a, err, out);
                    if first_only {
                        return;
                    }
                }
            }
        }
        // An optional field that a closed struct does not allow is not reported: as in CUE,
        // its value is the error (the field may not be present), and only data that sets it
        // (a regular field) is an error.
        for &a in &arcs {
            if self.vertices[a].error.is_none() {
                self.collect_arc_errors(a, out, first_only);
                if first_only && !out.is_empty() {
                    return;
                }
            }
        }
    }

    /// Every place where a value is not concrete: incomplete values and missing required fields.
    ///
    /// `cue vet` sorts what it reports: values that are merely not concrete (which carry no
    /// position there) come first, ordered by path; then values that could not be computed from a
    /// non-concrete operand, ordered by position. The same order makes the first error the same.
    pub(crate) fn collect_incomplete(
        &mut self,
        v: VertexId,
        out: &mut Vec<Diagnostic>,
        first_only: bool,
    ) {
        let start = out.len();
        self.collect_incomplete_walk(v, out, first_only);
        out[start..].sort_by(|a, b| {
            let rank = |d: &Diagnostic| u8::from(d.code == NON_CONCRETE);
            rank(a).cmp(&rank(b)).then_with(|| {
                if rank(a) == 0 {
                    a.path.cmp(&b.path)
                } else {
                    let pos = |d: &Diagnostic| d.spans.first().map(|s| (s.file, s.start));
                    pos(a).cmp(&pos(b))
                }
            })
        });
    }

    pub(super) fn collect_incomplete_walk(
        &mut self,
        v: VertexId,
        out: &mut Vec<Diagnostic>,
        first_only: bool,
    ) {
        if out.len() >= MAX_ERRORS || (first_only && !out.is_empty()) {
            return;
        }
        if self.vertices[v].ambiguous.len() > 1 {
            let options: Vec<String> = self.vertices[v]
                .ambiguous
                .clone()
                .into_iter()
                .map(|c| self.describe_value(c))
                .collect();
            out.push(
                Diagnostic::error(
                    "INCOMPLETE",
                    format!("incomplete value {}", options.join(" | ")),
                )
                .with_path(self.path(v)),
            );
            return;
        }
        let v = self.resolve_forward(v);
        let vertex = &self.vertices[v];
        if let Some(err) = &vertex.error {
            if err.incomplete {
                self.push_error(v, err, out);
            }
            return;
        }
        if vertex.arc_type == ArcType::Required {
            let mut d = Diagnostic::error("REQUIRED", "field is required but not present")
                .with_path(self.path(v));
            for span in vertex.decl_spans.clone() {
                d = d.with_span(span);
            }
            out.push(d);
            return;
        }
        if vertex.struct_span.is_none() && vertex.list.is_none() && vertex.scalar.value.is_none() {
            let mut message = String::from("incomplete value ");
            message.push_str(&vertex.scalar.describe_incomplete());
            let mut d = Diagnostic::error("INCOMPLETE", message).with_path(self.path(v));
            if let Some(span) = vertex.scalar.kind_span {
                d = d.with_span(span);
            }
            out.push(d);
            return;
        }
        for a in self.visible_arcs_all(v) {
            self.collect_incomplete_walk(a, out, first_only);
        }
    }

    pub(super) fn visible_arcs_all(&self, v: VertexId) -> Vec<VertexId> {
        self.vertices[v]
            .arcs
            .iter()
            .copied()
            .filter(|&a| {
                let vertex = &self.vertices[a];
                vertex.arc_type != ArcType::Optional
                    && matches!(
                        vertex.feature,
                        Some(Feature::Regular(_) | Feature::Index(_))
                    )
            })
            .collect()
    }
}
