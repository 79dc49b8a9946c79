//! The diagnostic walk: checks a decoded JSON document against a compiled [`Node`] and
//! reports every error, or when there is none every incomplete value, with the paths, messages,
//! spans and order that unifying the document with the schema gives.

use std::sync::Arc;

use super::{
    array_concrete, find_member, json_atom, json_concrete, object_concrete, ListNode, Node,
    StructNode,
};
use crate::diagnostic::{distinct_errors, Diagnostic};
use crate::eval::ArcType;
use crate::json::{JsonKind, JsonValue};
use crate::source::Span;
use crate::value::{EvalError, Kinds, Scalar};

/// What checking one node against one datum found, split as the evaluator reports it: errors
/// of the value itself, errors below it, and values left incomplete.
#[derive(Default)]
struct Outcome {
    /// Each error with the errors that explain it (an empty disjunction's alternatives).
    own: Vec<Vec<Diagnostic>>,
    below: Vec<Vec<Diagnostic>>,
    incomplete: Vec<Diagnostic>,
}

impl Outcome {
    fn failed(&self) -> bool {
        !self.own.is_empty() || !self.below.is_empty()
    }

    fn first_error(&self) -> Option<&Vec<Diagnostic>> {
        self.own.first().or_else(|| self.below.first())
    }
}

enum Segment<'d> {
    Field(&'d str),
    Index(usize),
}

/// Checks concrete JSON against a compiled node.
pub(crate) struct Checker<'d> {
    /// The data document's text, for messages that quote a struct or list of it.
    data_text: &'d str,
    /// Where the walk is; formatted only when a diagnostic is made.
    path: Vec<Segment<'d>>,
    /// Set when the data meets a case this walk does not model exactly (a field matched by
    /// several patterns unifies them into one value): the caller then unifies instead.
    pub(crate) bailed: bool,
}

impl<'d> Checker<'d> {
    pub(crate) fn new(data_text: &'d str) -> Checker<'d> {
        Checker {
            data_text,
            path: Vec::new(),
            bailed: false,
        }
    }

    /// Every error, or when there is none every incompleteness, as the evaluator reports them.
    pub(crate) fn validate(&mut self, node: &'d Node, data: &'d JsonValue<'d>) -> Vec<Diagnostic> {
        let outcome = self.check(node, Some(data));
        if !outcome.own.is_empty() {
            outcome.own.concat()
        } else if !outcome.below.is_empty() {
            outcome.below.concat()
        } else {
            outcome.incomplete
        }
    }

    fn path_string(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for (i, segment) in self.path.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            match segment {
                Segment::Field(name) => crate::eval::push_selector(&mut out, name),
                Segment::Index(index) => {
                    let _ = write!(out, "{index}");
                }
            }
        }
        out
    }

    fn error(&self, err: &EvalError) -> Diagnostic {
        let mut d = Diagnostic::error(err.code, err.message.clone()).with_path(self.path_string());
        for span in &err.spans {
            if span.end > 0 || span.start > 0 {
                d = d.with_span(*span);
            }
        }
        d
    }

    fn own_error(&self, err: Arc<EvalError>) -> Outcome {
        // A fresh error is not shared: take its message and sub-errors instead of copying.
        let group = match Arc::try_unwrap(err) {
            Ok(err) => {
                let mut d = Diagnostic::error(err.code, err.message).with_path(self.path_string());
                for span in err.spans {
                    if span.end > 0 || span.start > 0 {
                        d = d.with_span(span);
                    }
                }
                let mut group = Vec::with_capacity(1 + err.sub.len());
                group.push(d);
                group.extend(err.sub);
                group
            }
            Err(err) => {
                let mut group = vec![self.error(&err)];
                group.extend(err.sub.iter().cloned());
                group
            }
        };
        Outcome {
            own: vec![group],
            ..Outcome::default()
        }
    }

    fn compact_data(&self, span: Span) -> Arc<str> {
        let text = self
            .data_text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        Arc::from(crate::eval::compact(text).as_str())
    }

    fn check(&mut self, node: &'d Node, data: Option<&'d JsonValue<'d>>) -> Outcome {
        match node {
            Node::Top => match data {
                Some(_) => Outcome::default(),
                None => self.incomplete("incomplete value _"),
            },
            Node::Error(err) => {
                let mut d =
                    Diagnostic::error(err.code, err.message.clone()).with_path(self.path_string());
                for span in &err.spans {
                    d = d.with_span(*span);
                }
                let mut group = vec![d];
                group.extend(err.sub.iter().cloned());
                Outcome {
                    own: vec![group],
                    ..Outcome::default()
                }
            }
            Node::Scalar(scalar) => self.check_scalar(scalar, data),
            Node::Struct(node) => self.check_struct(node, data),
            Node::List(node) => self.check_list(node, data),
            Node::Disj(options) => self.check_disjunction(options, data),
        }
    }

    fn incomplete(&self, message: &str) -> Outcome {
        Outcome {
            incomplete: vec![Diagnostic::error("INCOMPLETE", message).with_path(self.path_string())],
            ..Outcome::default()
        }
    }

    fn check_scalar(&mut self, scalar: &'d Scalar, data: Option<&'d JsonValue<'d>>) -> Outcome {
        let Some(data) = data else {
            if scalar.value.is_some() {
                return Outcome::default();
            }
            let mut outcome = self.incomplete(&format!(
                "incomplete value {}",
                scalar.describe_incomplete()
            ));
            if let Some(span) = scalar.kind_span {
                outcome.incomplete[0] = outcome.incomplete[0].clone().with_span(span);
            }
            return outcome;
        };
        let result = match &data.kind {
            JsonKind::Object(_) | JsonKind::Array(_) => {
                let kinds = if matches!(data.kind, JsonKind::Object(_)) {
                    Kinds::STRUCT
                } else {
                    Kinds::LIST
                };
                if scalar.kinds.contains(kinds) && scalar.value.is_none() {
                    return match scalar.failed_validator(|| json_concrete(data)) {
                        Some(err) => self.own_error(err),
                        None => Outcome::default(),
                    };
                }
                scalar
                    .clone()
                    .narrow(kinds, data.span, &self.compact_data(data.span).into())
            }
            _ => match json_atom(data) {
                Ok(atom) => scalar.accepts(&atom, data.span),
                Err(err) => Err(err),
            },
        };
        match result {
            Ok(()) => Outcome::default(),
            Err(err) => self.own_error(err),
        }
    }

    /// Data of another kind than a struct or list node wants: CUE's conflict message.
    fn kind_mismatch(&mut self, scalar: &Scalar, other: &JsonValue) -> Outcome {
        let result = match &other.kind {
            JsonKind::Object(_) | JsonKind::Array(_) => {
                let kinds = if matches!(other.kind, JsonKind::Object(_)) {
                    Kinds::STRUCT
                } else {
                    Kinds::LIST
                };
                scalar
                    .clone()
                    .narrow(kinds, other.span, &self.compact_data(other.span).into())
            }
            _ => match json_atom(other) {
                Ok(atom) => scalar.clone().unify_atom(atom, other.span),
                Err(err) => Err(err),
            },
        };
        match result {
            Ok(()) => Outcome::default(),
            Err(err) => self.own_error(err),
        }
    }

    fn check_struct(&mut self, node: &'d StructNode, data: Option<&'d JsonValue<'d>>) -> Outcome {
        let members = match data {
            None => None,
            Some(JsonValue {
                kind: JsonKind::Object(members),
                ..
            }) => Some(members),
            Some(other) => return self.kind_mismatch(&node.scalar, other),
        };
        let mut arcs: Vec<Outcome> = Vec::new();
        // Schema fields first, in schema order, as the evaluator creates its arcs.
        let mut cursor = 0;
        for field in &node.fields {
            let datum = members.and_then(|m| find_member(m, &field.name, &mut cursor));
            if datum.is_none() && field.arc_type == ArcType::Optional {
                continue;
            }
            self.path.push(Segment::Field(&field.name));
            let outcome = if datum.is_none() && field.arc_type == ArcType::Required {
                // Errors in the field's own schema come first, as unification finds them.
                let schema_outcome = self.check(&field.node, None);
                if schema_outcome.failed() {
                    schema_outcome
                } else {
                    let mut d = Diagnostic::error("REQUIRED", "field is required but not present")
                        .with_path(self.path_string());
                    for span in &field.decl_spans {
                        d = d.with_span(*span);
                    }
                    Outcome {
                        incomplete: vec![d],
                        ..Outcome::default()
                    }
                }
            } else {
                self.check(&field.node, datum)
            };
            self.path.pop();
            arcs.push(outcome);
        }
        // Then the fields only the data has, in data order.
        if let Some(members) = members {
            for (name, key_span, value) in members.iter() {
                if node.declares(name) {
                    continue;
                }
                self.path.push(Segment::Field(name));
                let outcome = self.check_data_only(node, name, *key_span, value);
                self.path.pop();
                arcs.push(outcome);
            }
        }
        let mut outcome = Outcome::default();
        if let Some(members) = members {
            if let Some(err) = node.scalar.failed_validator(|| object_concrete(members)) {
                outcome.own.push(vec![self.error(&err)]);
                return outcome;
            }
        }
        merge_arcs(&mut outcome, arcs);
        outcome
    }

    fn check_data_only(
        &mut self,
        node: &'d StructNode,
        name: &str,
        key_span: Span,
        value: &'d JsonValue<'d>,
    ) -> Outcome {
        for group in &node.closed {
            let allowed = group.open
                || group.labels.contains(name)
                || group
                    .patterns
                    .iter()
                    .any(|&p| node.patterns.get(p).is_some_and(|(m, _)| m.matches(name)));
            if !allowed {
                let err = EvalError::new("FIELD_NOT_ALLOWED", "field not allowed", vec![key_span]);
                return self.own_error(err);
            }
        }
        let mut combined = Outcome::default();
        let matching = node
            .patterns
            .iter()
            .filter(|(m, _)| m.matches(name))
            .count();
        if matching > 1 {
            self.bailed = true;
            return combined;
        }
        for (matcher, pattern) in &node.patterns {
            if !matcher.matches(name) {
                continue;
            }
            let outcome = self.check(pattern, Some(value));
            if outcome.failed() && !combined.failed() {
                combined.own = outcome.own;
                combined.below = outcome.below;
            }
            combined.incomplete.extend(outcome.incomplete);
        }
        combined
    }

    fn check_list(&mut self, node: &'d ListNode, data: Option<&'d JsonValue<'d>>) -> Outcome {
        let items = match data {
            None => {
                let mut outcome = Outcome::default();
                let mut arcs = Vec::new();
                for (i, element) in node.prefix.iter().enumerate() {
                    self.path.push(Segment::Index(i));
                    arcs.push(self.check(element, None));
                    self.path.pop();
                }
                merge_arcs(&mut outcome, arcs);
                return outcome;
            }
            Some(JsonValue {
                kind: JsonKind::Array(items),
                ..
            }) => items,
            Some(other) => return self.kind_mismatch(&node.scalar, other),
        };
        let schema_length = node.prefix.len();
        let mismatch = if node.closed {
            items.len() != schema_length
        } else {
            items.len() < schema_length
        };
        if mismatch {
            let (a, b) = (
                items.len().min(schema_length),
                items.len().max(schema_length),
            );
            return self.own_error(EvalError::new(
                "LIST_LENGTH",
                format!("incompatible list lengths ({a} and {b})"),
                vec![],
            ));
        }
        let mut arcs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let element = match node.prefix.get(i) {
                Some(element) => element,
                None => match &node.rest {
                    Some(rest) => rest,
                    None => &Node::Top,
                },
            };
            self.path.push(Segment::Index(i));
            arcs.push(self.check(element, Some(item)));
            self.path.pop();
        }
        let mut outcome = Outcome::default();
        if let Some(err) = node.scalar.failed_validator(|| array_concrete(items)) {
            outcome.own.push(vec![self.error(&err)]);
            return outcome;
        }
        merge_arcs(&mut outcome, arcs);
        outcome
    }

    fn check_disjunction(
        &mut self,
        options: &'d [(Node, bool)],
        data: Option<&'d JsonValue<'d>>,
    ) -> Outcome {
        let mut survivors: Vec<(Outcome, bool)> = Vec::new();
        let mut errors = Vec::new();
        let mut failed = 0;
        for (option, default) in options {
            let outcome = self.check(option, data);
            if outcome.failed() {
                failed += 1;
                if let Some(first) = outcome.first_error() {
                    errors.extend(first.iter().cloned());
                }
            } else {
                survivors.push((outcome, *default));
            }
        }
        if survivors.is_empty() {
            // Counted and listed as unification does it: each distinct error once.
            let errors = distinct_errors(errors);
            if errors.len() == 1 {
                // Every alternative failed the same way: that error alone, as unification
                // reports it.
                return Outcome {
                    own: vec![errors],
                    ..Outcome::default()
                };
            }
            let count = if errors.is_empty() {
                failed
            } else {
                errors.len()
            };
            let mut group = vec![Diagnostic::error(
                "EMPTY_DISJUNCTION",
                format!("{count} errors in empty disjunction"),
            )
            .with_path(self.path_string())];
            group.extend(errors);
            return Outcome {
                own: vec![group],
                ..Outcome::default()
            };
        }
        // An alternative that is merely incomplete still stands (`null | string` without data
        // is not `null`).
        let pool: Vec<usize> = (0..survivors.len()).collect();
        let pick = pool
            .iter()
            .copied()
            .find(|&i| survivors[i].1)
            .or_else(|| (pool.len() == 1).then(|| pool[0]));
        if pick.is_none() {
            // Several alternatives accept the data: whether they are one value is for
            // unification to say.
            self.bailed = true;
            return Outcome::default();
        }
        match pick {
            Some(i) => survivors.swap_remove(i).0,
            None => self.incomplete("incomplete value: ambiguous disjunction"),
        }
    }
}

/// Gathers what the arcs of a struct or list found: first every arc's own errors, then the
/// errors below arcs that have none of their own, and every incomplete value.
fn merge_arcs(outcome: &mut Outcome, mut arcs: Vec<Outcome>) {
    for arc in &mut arcs {
        if !arc.own.is_empty() {
            outcome.below.append(&mut arc.own);
            // An arc's own error hides what is wrong below it.
            arc.below.clear();
        }
    }
    for arc in arcs {
        outcome.below.extend(arc.below);
        outcome.incomplete.extend(arc.incomplete);
    }
}
