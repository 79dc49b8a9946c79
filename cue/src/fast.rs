//! The compiled validator: a schema evaluated once, without data, into a tree of [`Node`]s,
//! and a walk that checks concrete JSON against it.
//!
//! Checking concrete data against a fixed schema needs no unification: a value is accepted by
//! `A & B` exactly when it is accepted by `A` and by `B`. So when the schema's constraints do not
//! depend on the data (no reference from inside the schema to its own fields, no comprehension,
//! no pattern alias: the evaluator tracks this while compiling), the walk gives the same verdict
//! and the same diagnostics, in the same order, as evaluating `schema & data`; otherwise
//! [`Eval::compile`] declines and validation unifies.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{ArcType, Eval, Feature, VertexId};
use crate::diagnostic::Diagnostic;
use crate::json::{JsonKind, JsonValue};
use crate::source::Span;
use crate::value::{Atom, Check, EvalError, Kinds, Scalar, SpannedCheck};

/// How deep a schema may nest before compiling gives up (recursive schemas validate by
/// evaluation instead).
const MAX_COMPILE_DEPTH: u32 = 48;

/// A schema node. `Send + Sync`, so a compiled schema is shared across threads.
pub(crate) enum Node {
    Top,
    Error(NodeError),
    Scalar(Scalar),
    Struct(Box<StructNode>),
    List(Box<ListNode>),
    Disj(Vec<(Node, bool)>),
}

pub(crate) struct NodeError {
    code: &'static str,
    message: String,
    spans: Vec<Span>,
    sub: Vec<Diagnostic>,
}

pub(crate) struct StructNode {
    /// The kind constraint and its text (`{a:int}`), for mismatch messages; also validators
    /// such as `struct.MinFields`.
    scalar: Scalar,
    fields: Vec<FieldNode>,
    index: HashMap<Arc<str>, usize>,
    patterns: Vec<(Matcher, Node)>,
    closed: Vec<ClosedGroup>,
}

struct FieldNode {
    name: Arc<str>,
    arc_type: ArcType,
    node: Node,
    decl_spans: Vec<Span>,
}

struct ClosedGroup {
    labels: HashSet<Arc<str>>,
    patterns: Vec<usize>,
    open: bool,
}

pub(crate) struct ListNode {
    scalar: Scalar,
    prefix: Vec<Node>,
    closed: bool,
    rest: Option<Node>,
}

/// A pattern constraint's label matcher (`string`, `=~"^x-"`, `"a" | "b"`).
enum Matcher {
    Any,
    Scalar(Scalar),
    Disj(Vec<Matcher>),
    Never,
}

impl Matcher {
    fn matches(&self, label: &str) -> bool {
        match self {
            Matcher::Any => true,
            Matcher::Never => false,
            Matcher::Scalar(s) => s.satisfied_by_str(label),
            Matcher::Disj(options) => options.iter().any(|m| m.matches(label)),
        }
    }
}

impl<'a> Eval<'a> {
    /// Compiles the finalized vertex `v` for data-independent checking, or `None` when its
    /// constraints depend on the data it will be unified with.
    /// Starts noting which evaluation depends on `root`'s own fields; call before `root` is
    /// evaluated, then [`Eval::compile`].
    pub(crate) fn track(&mut self, root: VertexId) {
        self.track = Some(root);
        self.dynamic = false;
    }

    pub(crate) fn compile(&mut self, v: VertexId) -> Option<Node> {
        if self.track != Some(v) {
            return None;
        }
        self.finalize(v);
        let node = self.compile_vertex(v, 0);
        self.track = None;
        if self.dynamic || self.aborted.is_some() {
            return None;
        }
        node
    }

    fn compile_vertex(&mut self, v: VertexId, depth: u32) -> Option<Node> {
        if depth > MAX_COMPILE_DEPTH {
            return None;
        }
        self.finalize(v);
        if self.dynamic {
            return None;
        }
        // A disjunction keeps every candidate, failed ones too, so that with data it reports
        // the same alternatives unification does.
        // Only a single default decides on its own here: without marked defaults every
        // candidate counts as one, and several defaults are ambiguous unless equal, which
        // unification decides when the checks below bail out.
        let candidates = self.vertices[v].candidates.clone();
        if candidates.len() > 1 {
            let single_default = candidates.iter().filter(|(_, d)| *d).count() == 1;
            let mut options = Vec::with_capacity(candidates.len());
            for (candidate, default) in candidates {
                let node = self.compile_vertex(candidate, depth + 1)?;
                options.push((node, default && single_default));
            }
            return Some(Node::Disj(options));
        }
        let v = self.resolve_forward(v);
        if let Some(err) = self.vertices[v].error.clone() {
            // Incomplete values depend on data; a recursive schema (a cycle through optional
            // fields) has no finite node tree: both validate by unification.
            if err.incomplete || err.code == "STRUCTURAL_CYCLE" {
                return None;
            }
            return Some(Node::Error(NodeError {
                code: err.code,
                message: err.message.clone(),
                spans: err.spans.clone(),
                sub: err.sub.clone(),
            }));
        }
        if self.vertices[v].list.is_some() {
            return self.compile_list(v, depth);
        }
        if self.vertices[v].struct_span.is_some() {
            return self.compile_struct(v, depth);
        }
        let scalar = &self.vertices[v].scalar;
        if scalar.is_unconstrained() {
            Some(Node::Top)
        } else {
            Some(Node::Scalar(scalar.clone()))
        }
    }

    fn compile_struct(&mut self, v: VertexId, depth: u32) -> Option<Node> {
        let mut fields = Vec::new();
        let mut index = HashMap::new();
        for a in self.vertices[v].arcs.clone() {
            let Some(Feature::Regular(name)) = self.vertices[a].feature.clone() else {
                continue;
            };
            let arc_type = self.vertices[a].arc_type;
            let node = self.compile_vertex(a, depth + 1)?;
            index.insert(name.clone(), fields.len());
            fields.push(FieldNode {
                name,
                arc_type,
                node,
                decl_spans: self.vertices[a].decl_spans.clone(),
            });
        }
        let mut patterns = Vec::new();
        for p in 0..self.vertices[v].patterns.len() {
            if self.vertices[v].patterns[p].alias.is_some() {
                return None;
            }
            let matcher_val = self.pattern_matcher(v, p);
            let matcher = self.matcher(&matcher_val)?;
            let (value, env, group) = {
                let pattern = &self.vertices[v].patterns[p];
                (pattern.value, pattern.env.clone(), pattern.group)
            };
            let t = self.new_vertex(Some(v), None);
            self.vertices[t].arc_type = ArcType::Regular;
            self.vertices[t].conjuncts.push(super::Conjunct {
                kind: super::ConjunctKind::Expr(value),
                env,
                group,
            });
            patterns.push((matcher, self.compile_vertex(t, depth + 1)?));
        }
        let mut closed = Vec::new();
        let entries: Vec<usize> = (0..self.vertices[v].groups.len()).collect();
        for &e in &entries {
            let group = self.vertices[v].groups[e].group;
            if !self.groups[group].closed {
                continue;
            }
            let mut labels = HashSet::new();
            let mut pattern_indexes = Vec::new();
            let mut open = false;
            for entry in &self.vertices[v].groups {
                if !self.is_descendant(entry.group, group) {
                    continue;
                }
                open |= entry.open;
                for label in &entry.labels {
                    if let Feature::Regular(name) = label {
                        labels.insert(name.clone());
                    }
                }
                pattern_indexes.extend(entry.patterns.iter().copied());
            }
            closed.push(ClosedGroup {
                labels,
                patterns: pattern_indexes,
                open,
            });
        }
        Some(Node::Struct(Box::new(StructNode {
            scalar: self.vertices[v].scalar.clone(),
            fields,
            index,
            patterns,
            closed,
        })))
    }

    fn compile_list(&mut self, v: VertexId, depth: u32) -> Option<Node> {
        let mut prefix = Vec::new();
        for a in self.vertices[v].arcs.clone() {
            prefix.push(self.compile_vertex(a, depth + 1)?);
        }
        let closed = self.vertices[v]
            .list
            .as_ref()
            .is_some_and(|info| !info.closed.is_empty());
        let open = self.vertices[v].list_open.clone();
        let rest = if closed {
            None
        } else {
            let constraints: Vec<_> = open.iter().filter_map(|(_, c)| c.clone()).collect();
            match constraints.len() {
                0 => Some(Node::Top),
                1 => {
                    let t = self.new_vertex(Some(v), None);
                    self.vertices[t].arc_type = ArcType::Regular;
                    self.vertices[t].conjuncts.push(constraints[0].clone());
                    Some(self.compile_vertex(t, depth + 1)?)
                }
                _ => return None,
            }
        };
        Some(Node::List(Box::new(ListNode {
            scalar: self.vertices[v].scalar.clone(),
            prefix,
            closed,
            rest,
        })))
    }

    fn matcher(&mut self, val: &super::Val) -> Option<Matcher> {
        use super::Val;
        Some(match val {
            Val::Top => Matcher::Any,
            Val::Atom(atom, span) => {
                let mut s = Scalar::default();
                s.unify_atom(atom.clone(), *span).ok()?;
                Matcher::Scalar(s)
            }
            Val::Scalar(s, _) => Matcher::Scalar((**s).clone()),
            Val::Disj(options) => Matcher::Disj(
                options
                    .iter()
                    .map(|(o, _)| self.matcher(o))
                    .collect::<Option<Vec<_>>>()?,
            ),
            Val::Bottom(_) => Matcher::Never,
            _ => return None,
        })
    }

    /// Whether `v` is `root` or lies under it (following disjunction candidates back to the
    /// vertex they stand for).
    pub(super) fn is_within(&self, mut v: VertexId, root: VertexId) -> bool {
        loop {
            if v == root {
                return true;
            }
            let vertex = &self.vertices[v];
            match vertex.origin.or(vertex.parent) {
                Some(p) => v = p,
                None => return false,
            }
        }
    }

    /// Notes that evaluation at `v` may depend on the value being compiled without naming a
    /// read: a comprehension, whose sources and conditions are noted as they are resolved.
    /// Only the compiled validator needs this caution; export does not record it.
    pub(super) fn note_comprehension(&mut self, v: VertexId) {
        if let Some(root) = self.track {
            if !self.dynamic && self.is_within(v, root) {
                self.dynamic = true;
            }
        }
    }

    /// Notes that evaluation at `v` depends on the value being compiled.
    pub(super) fn note_dependency(&mut self, v: VertexId) {
        if let Some(root) = self.track {
            if (!self.dynamic || self.dependents.is_some()) && self.is_within(v, root) {
                self.dynamic = true;
                let top = self.expanding.last().copied();
                if let Some(noted) = &mut self.dependents {
                    noted.push((v, top));
                }
            }
        }
    }
}

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
                Segment::Field(name) => super::push_selector(&mut out, name),
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
        Arc::from(super::compact(text).as_str())
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
                    let concrete = json_concrete(data);
                    for check in &scalar.checks {
                        if let Some(err) = composite_check(check, &concrete) {
                            return self.own_error(err);
                        }
                    }
                    return Outcome::default();
                }
                scalar
                    .clone()
                    .narrow(kinds, data.span, &self.compact_data(data.span))
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
                    .narrow(kinds, other.span, &self.compact_data(other.span))
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
            if !node.scalar.checks.is_empty() {
                let concrete = object_concrete(members);
                for check in &node.scalar.checks {
                    if let Some(err) = composite_check(check, &concrete) {
                        outcome.own.push(vec![self.error(&err)]);
                        return outcome;
                    }
                }
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
        if !node.scalar.checks.is_empty() {
            let concrete = crate::builtins::Concrete::List(
                items.iter().map(json_concrete).collect::<Vec<_>>().into(),
            );
            for check in &node.scalar.checks {
                if let Some(err) = composite_check(check, &concrete) {
                    outcome.own.push(vec![self.error(&err)]);
                    return outcome;
                }
            }
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
            let mut group = vec![Diagnostic::error(
                "EMPTY_DISJUNCTION",
                format!("{failed} errors in empty disjunction"),
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

/// Decides whether a document is valid and complete while reading it, without building a
/// tree: the common case (a valid document) costs one pass over the text and no allocation
/// but for strings with escapes. `Some(true)` means valid; anything else (invalid, malformed,
/// or a case it does not model) sends the caller to the tree walk, which says why.
pub(crate) fn stream_valid(node: &Node, text: &str) -> Option<bool> {
    let mut reader = crate::json::Decoder::new(crate::FileId(0), text);
    let valid = stream(node, &mut reader, 0)?;
    (valid && reader.at_end() && !reader.repeated_keys).then_some(true)
}

fn stream(node: &Node, r: &mut crate::json::Decoder<'_>, depth: usize) -> Option<bool> {
    if depth > crate::json::MAX_DEPTH {
        return None;
    }
    match node {
        Node::Top => {
            r.peek()?;
            r.value().ok()?;
            Some(true)
        }
        Node::Error(_) => Some(false),
        Node::Scalar(scalar) => match r.peek()? {
            b'{' | b'[' => {
                let kinds = if r.peek()? == b'{' {
                    Kinds::STRUCT
                } else {
                    Kinds::LIST
                };
                if !(scalar.kinds.contains(kinds) && scalar.value.is_none()) {
                    return Some(false);
                }
                if !scalar.checks.is_empty() {
                    return None; // validators such as list.MinItems need the whole value
                }
                r.value().ok()?;
                Some(true)
            }
            b'"' => Some(scalar.satisfied_by_str(&r.string().ok()?)),
            _ => {
                let value = r.value().ok()?;
                Some(json_atom(&value).is_ok_and(|atom| scalar.satisfied_by(&atom)))
            }
        },
        Node::Struct(node) => {
            if !r.eat(b'{') || !node.scalar.checks.is_empty() {
                return if r.peek()? == b'{' { None } else { Some(false) };
            }
            let mut seen = Seen::new(node.fields.len());
            // Keys the schema does not declare, to notice one repeated (which unifies); made
            // when the first one comes, as closed schemas' documents seldom have any.
            let mut extra: Option<ExtraKeys> = None;
            let mut cursor = 0;
            if !r.eat(b'}') {
                loop {
                    if r.peek()? != b'"' {
                        return None;
                    }
                    let key = r.string().ok()?;
                    if !r.eat(b':') {
                        return None;
                    }
                    match field_index(node, &key, &mut cursor) {
                        Some(i) => {
                            if !seen.insert(i) {
                                return None; // a repeated key unifies: leave it to the walk
                            }
                            if !stream(&node.fields[i].node, r, depth + 1)? {
                                return Some(false);
                            }
                        }
                        None => {
                            if !extra
                                .get_or_insert_with(ExtraKeys::default)
                                .insert(key.clone())
                            {
                                return None;
                            }
                            for group in &node.closed {
                                let allowed = group.open
                                    || group.labels.contains(key.as_ref())
                                    || group.patterns.iter().any(|&p| {
                                        node.patterns.get(p).is_some_and(|(m, _)| m.matches(&key))
                                    });
                                if !allowed {
                                    return Some(false);
                                }
                            }
                            let mut matching =
                                node.patterns.iter().filter(|(m, _)| m.matches(&key));
                            match (matching.next(), matching.next()) {
                                (None, _) => {
                                    r.peek()?;
                                    r.value().ok()?;
                                }
                                (Some((_, pattern)), None) => {
                                    if !stream(pattern, r, depth + 1)? {
                                        return Some(false);
                                    }
                                }
                                (Some(_), Some(_)) => return None,
                            }
                        }
                    }
                    if r.eat(b',') {
                        continue;
                    }
                    if r.eat(b'}') {
                        break;
                    }
                    return None;
                }
            }
            for (i, field) in node.fields.iter().enumerate() {
                if seen.contains(i) {
                    continue;
                }
                match field.arc_type {
                    ArcType::Optional => {}
                    ArcType::Required => return Some(false),
                    ArcType::Regular => {
                        if !is_valid(&field.node, None)? {
                            return Some(false);
                        }
                    }
                }
            }
            Some(true)
        }
        Node::List(node) => {
            if !r.eat(b'[') || !node.scalar.checks.is_empty() {
                return if r.peek()? == b'[' { None } else { Some(false) };
            }
            let mut count = 0;
            if !r.eat(b']') {
                loop {
                    let element = match node.prefix.get(count) {
                        Some(element) => element,
                        None if node.closed => return Some(false),
                        None => node.rest.as_ref().unwrap_or(&Node::Top),
                    };
                    if !stream(element, r, depth + 1)? {
                        return Some(false);
                    }
                    count += 1;
                    if r.eat(b',') {
                        continue;
                    }
                    if r.eat(b']') {
                        break;
                    }
                    return None;
                }
            }
            let length_ok = if node.closed {
                count == node.prefix.len()
            } else {
                count >= node.prefix.len()
            };
            Some(length_ok)
        }
        Node::Disj(options) => {
            // A string (an enum's usual datum) is read once for every alternative.
            if r.peek()? == b'"' {
                return string_verdict(node, &r.string().ok()?);
            }
            // Try each alternative on the same text. One accepting it decides; several are
            // one value only if equal (or one is a default), which the walk decides.
            let start = r.pos;
            let mut accepted = 0;
            let mut default_accepted = false;
            let mut end = start;
            for (option, default) in options {
                r.pos = start;
                if stream(option, r, depth + 1) == Some(true) {
                    accepted += 1;
                    default_accepted |= *default;
                    end = r.pos;
                }
            }
            r.pos = end;
            disjunction_verdict(accepted, default_accepted)
        }
    }
}

/// What [`stream`] says of `node` for a string datum, already read as `s`. (Where `stream`
/// would say `Some(false)` this may say `None` and the other way round: only `Some(true)`
/// means anything to [`stream_valid`].)
fn string_verdict(node: &Node, s: &str) -> Option<bool> {
    match node {
        Node::Top => Some(true),
        Node::Error(_) | Node::Struct(_) | Node::List(_) => Some(false),
        Node::Scalar(scalar) => Some(scalar.satisfied_by_str(s)),
        Node::Disj(options) => {
            let mut accepted = 0;
            let mut default_accepted = false;
            for (option, default) in options {
                if string_verdict(option, s) == Some(true) {
                    accepted += 1;
                    default_accepted |= *default;
                }
            }
            disjunction_verdict(accepted, default_accepted)
        }
    }
}

/// A disjunction's verdict from how many alternatives accept the datum: one decides, or a
/// default among several; several without a default may be one value, which the walk decides.
fn disjunction_verdict(accepted: usize, default_accepted: bool) -> Option<bool> {
    match accepted {
        0 => Some(false),
        1 => Some(true),
        _ if default_accepted => Some(true),
        _ => None,
    }
}

/// Which of a struct's declared fields the document has given, without allocating for
/// structs of up to 128 fields.
enum Seen {
    Small(u128),
    Large(Vec<bool>),
}

impl Seen {
    fn new(fields: usize) -> Seen {
        if fields <= 128 {
            Seen::Small(0)
        } else {
            Seen::Large(vec![false; fields])
        }
    }

    /// Records field `i`; false if it was already there.
    fn insert(&mut self, i: usize) -> bool {
        match self {
            Seen::Small(bits) => {
                let was = *bits & (1 << i) != 0;
                *bits |= 1 << i;
                !was
            }
            Seen::Large(seen) => !std::mem::replace(&mut seen[i], true),
        }
    }

    fn contains(&self, i: usize) -> bool {
        match self {
            Seen::Small(bits) => *bits & (1 << i) != 0,
            Seen::Large(seen) => seen[i],
        }
    }
}

/// The keys of a document's object that its schema does not declare, to notice one repeated:
/// the first few on the stack, the rest in a vector.
#[derive(Default)]
struct ExtraKeys<'t> {
    inline: [&'t str; 8],
    count: usize,
    more: Vec<std::borrow::Cow<'t, str>>,
}

impl<'t> ExtraKeys<'t> {
    /// Records `key`; false if the object already had it.
    fn insert(&mut self, key: std::borrow::Cow<'t, str>) -> bool {
        if self.inline[..self.count].contains(&key.as_ref()) || self.more.contains(&key) {
            return false;
        }
        match key {
            std::borrow::Cow::Borrowed(k) if self.count < self.inline.len() => {
                self.inline[self.count] = k;
                self.count += 1;
            }
            key => self.more.push(key),
        }
        true
    }
}

fn field_index(node: &StructNode, key: &str, cursor: &mut usize) -> Option<usize> {
    let n = node.fields.len();
    if n > 24 {
        return node.index.get(key).copied();
    }
    for step in 0..n {
        let i = (*cursor + step) % n;
        if &*node.fields[i].name == key {
            *cursor = i + 1;
            return Some(i);
        }
    }
    None
}

/// Finds a member by name, starting where the previous search ended: documents usually list
/// fields in schema order, so this is one comparison per field in the common case.
fn find_member<'m, 't>(
    members: &'m [(std::borrow::Cow<'t, str>, Span, JsonValue<'t>)],
    name: &str,
    cursor: &mut usize,
) -> Option<&'m JsonValue<'t>> {
    let n = members.len();
    for step in 0..n {
        let i = (*cursor + step) % n;
        if members[i].0.as_ref() == name {
            *cursor = i + 1;
            return Some(&members[i].2);
        }
    }
    None
}

impl StructNode {
    /// Whether the schema declares `name` (a linear scan beats hashing for small structs).
    fn declares(&self, name: &str) -> bool {
        if self.fields.len() <= 24 {
            self.fields.iter().any(|f| &*f.name == name)
        } else {
            self.index.contains_key(name)
        }
    }
}

/// Whether `data` is valid and complete against `node`: the same verdict as
/// [`Checker::validate`] returning no diagnostic, without building any. Most documents are
/// valid, so this runs first and the diagnostic walk only runs for the others.
pub(crate) fn is_valid(node: &Node, data: Option<&JsonValue>) -> Option<bool> {
    Some(match node {
        Node::Top => data.is_some(),
        Node::Error(_) => false,
        Node::Scalar(scalar) => match data {
            None => scalar.value.is_some(),
            Some(d) => match &d.kind {
                JsonKind::Object(_) | JsonKind::Array(_) => {
                    let kinds = if matches!(d.kind, JsonKind::Object(_)) {
                        Kinds::STRUCT
                    } else {
                        Kinds::LIST
                    };
                    scalar.kinds.contains(kinds)
                        && scalar.value.is_none()
                        && scalar
                            .checks
                            .iter()
                            .all(|c| composite_check(c, &json_concrete(d)).is_none())
                }
                JsonKind::String(s) => scalar.satisfied_by_str(s),
                _ => match json_atom(d) {
                    Ok(atom) => scalar.satisfied_by(&atom),
                    Err(_) => false,
                },
            },
        },
        Node::Struct(node) => {
            let members = match data {
                None => None,
                Some(JsonValue {
                    kind: JsonKind::Object(members),
                    ..
                }) => Some(members),
                Some(_) => return Some(false),
            };
            let mut cursor = 0;
            for field in &node.fields {
                let datum = members.and_then(|m| find_member(m, &field.name, &mut cursor));
                match (datum, field.arc_type) {
                    (None, ArcType::Optional) => {}
                    (None, ArcType::Required) => return Some(false),
                    _ => {
                        if !is_valid(&field.node, datum)? {
                            return Some(false);
                        }
                    }
                }
            }
            if let Some(members) = members {
                for (name, _, value) in members.iter() {
                    if node.declares(name) {
                        continue;
                    }
                    for group in &node.closed {
                        let allowed = group.open
                            || group.labels.contains(name.as_ref())
                            || group.patterns.iter().any(|&p| {
                                node.patterns.get(p).is_some_and(|(m, _)| m.matches(name))
                            });
                        if !allowed {
                            return Some(false);
                        }
                    }
                    let mut matching = node.patterns.iter().filter(|(m, _)| m.matches(name));
                    if let Some((_, pattern)) = matching.next() {
                        if matching.next().is_some() {
                            // Several patterns unify into one value: let the full walk decide.
                            return None;
                        }
                        if !is_valid(pattern, Some(value))? {
                            return Some(false);
                        }
                    }
                }
                if !node.scalar.checks.is_empty() {
                    let concrete = object_concrete(members);
                    if node
                        .scalar
                        .checks
                        .iter()
                        .any(|c| composite_check(c, &concrete).is_some())
                    {
                        return Some(false);
                    }
                }
            }
            true
        }
        Node::List(node) => {
            let items = match data {
                None => {
                    return node
                        .prefix
                        .iter()
                        .try_fold(true, |ok, e| Some(ok && is_valid(e, None)?))
                }
                Some(JsonValue {
                    kind: JsonKind::Array(items),
                    ..
                }) => items,
                Some(_) => return Some(false),
            };
            let length_ok = if node.closed {
                items.len() == node.prefix.len()
            } else {
                items.len() >= node.prefix.len()
            };
            if !length_ok {
                return Some(false);
            }
            for (i, item) in items.iter().enumerate() {
                let element = match node.prefix.get(i) {
                    Some(element) => element,
                    None => match &node.rest {
                        Some(rest) => rest,
                        None => continue,
                    },
                };
                if !is_valid(element, Some(item))? {
                    return Some(false);
                }
            }
            if !node.scalar.checks.is_empty() {
                let concrete = crate::builtins::Concrete::List(
                    items.iter().map(json_concrete).collect::<Vec<_>>().into(),
                );
                if node
                    .scalar
                    .checks
                    .iter()
                    .any(|c| composite_check(c, &concrete).is_some())
                {
                    return Some(false);
                }
            }
            true
        }
        Node::Disj(options) => {
            // Valid when exactly one alternative is free of errors and complete, or a default
            // is among several; otherwise the walk decides (several equal values are one).
            if data.is_none() {
                // Absent data: only a default decides; anything else is for the walk.
                let mut defaults = options.iter().filter(|(_, d)| *d);
                return match (defaults.next(), defaults.next()) {
                    (Some((option, _)), None) => is_valid(option, None),
                    _ => None,
                };
            }
            let mut accepted = 0;
            let mut default_accepted = false;
            for (option, default) in options {
                if is_valid(option, data)? {
                    accepted += 1;
                    default_accepted |= *default;
                }
            }
            return disjunction_verdict(accepted, default_accepted);
        }
    })
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

/// A JSON scalar as a CUE atom, decoded as `cue` does (`1.0` is a float).
fn json_atom(data: &JsonValue) -> Result<Atom, Arc<EvalError>> {
    Ok(match &data.kind {
        JsonKind::Null => Atom::Null,
        JsonKind::Bool(b) => Atom::Bool(*b),
        // JSON integers have no `_`, radix prefix or multiplier: parse them directly.
        JsonKind::Int(text) if text.len() < 30 => match text.parse::<i128>() {
            Ok(i) => Atom::Int(i),
            Err(_) => super::parse_number(text)
                .map_err(|m| EvalError::new("NUMBER", m, vec![data.span]))?,
        },
        JsonKind::Float(text) if !text.contains('_') => match text.parse::<f64>() {
            Ok(f) => Atom::Float(f, Arc::from(*text)),
            Err(_) => super::parse_number(text)
                .map_err(|m| EvalError::new("NUMBER", m, vec![data.span]))?,
        },
        JsonKind::Int(text) | JsonKind::Float(text) => {
            super::parse_number(text).map_err(|m| EvalError::new("NUMBER", m, vec![data.span]))?
        }
        JsonKind::String(s) => Atom::String(Arc::from(s.as_ref())),
        JsonKind::Array(_) | JsonKind::Object(_) => {
            return Err(EvalError::new(
                "INVALID",
                "expected a scalar",
                vec![data.span],
            ))
        }
    })
}

fn json_concrete(data: &JsonValue) -> crate::builtins::Concrete {
    use crate::builtins::Concrete;
    match &data.kind {
        JsonKind::Array(items) => {
            Concrete::List(items.iter().map(json_concrete).collect::<Vec<_>>().into())
        }
        JsonKind::Object(members) => object_concrete(members),
        _ => json_atom(data)
            .map(|a| a.to_concrete())
            .unwrap_or(Concrete::Null),
    }
}

fn object_concrete(
    members: &[(std::borrow::Cow<'_, str>, Span, JsonValue<'_>)],
) -> crate::builtins::Concrete {
    crate::builtins::Concrete::Struct(
        members
            .iter()
            .map(|(k, _, v)| (Arc::from(k.as_ref()), json_concrete(v)))
            .collect::<Vec<_>>()
            .into(),
    )
}

pub(super) fn composite_check(
    check: &SpannedCheck,
    value: &crate::builtins::Concrete,
) -> Option<Arc<EvalError>> {
    let Check::Builtin { builtin, args } = &check.check else {
        return None;
    };
    let mut all = vec![value.clone()];
    all.extend(args.iter().cloned());
    let message = match (builtin.func)(&all) {
        Ok(crate::builtins::Concrete::Bool(true)) => return None,
        Ok(_) => crate::builtins::validator_message(value, builtin, args, None),
        Err(err) => crate::builtins::validator_message(value, builtin, args, Some(&err)),
    };
    Some(EvalError::new("OUT_OF_BOUND", message, vec![check.span]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn stream_accepts_a_valid_open_struct() {
        let package = crate::Package::load(
            crate::PackageFiles {
                files: vec![(
                    "s.cue".into(),
                    "#I: {\n first: =~\"^[A-Z].*\"\n ...\n}\n".into(),
                )],
            },
            &crate::NoImports,
        );
        let schema = package.schema(Some("#I")).expect("schema");
        let node = schema.compiled_node().expect("compiled");
        let doc = r#"{"first": "Anna", "last": "Example", "age": 42}"#;
        assert_eq!(super::stream_valid(node, doc), Some(true));
        // Anything but `Some(true)` sends the caller to the walk that explains the problem.
        for doc in [
            r#"{"first": "anna"}"#,
            r#"{"first": "Anna"} x"#,
            r#"{"first": 01}"#,
            // A repeated key unifies its values, which only the walk does.
            r#"{"first": "Anna", "age": 1, "age": 1}"#,
            "{",
        ] {
            assert_ne!(super::stream_valid(node, doc), Some(true), "{doc}");
        }
    }

    #[test]
    fn stream_reads_a_string_once_for_a_disjunction() {
        let source = r#"
#A: {
	c?: "EUR" | "USD" | "GBP"
	d?: *"x" | string
	e?: string | =~"^a"
	f?: {a: int} | "s"
	g?: [...int] | "t"
	i?: null | =~"^[0-9]+$"
	j?: _ | "k"
	k?: ("a" | "b") | "c"
}
"#;
        let package = crate::Package::load(
            crate::PackageFiles {
                files: vec![("s.cue".into(), source.into())],
            },
            &crate::NoImports,
        );
        let schema = package.schema(Some("#A")).expect("schema");
        let node = schema.compiled_node().expect("compiled");
        // One-member documents: valid ones the stream accepts, valid ones it leaves to the
        // walk (two alternatives accept, no default: the walk says they are one), invalid ones.
        let streamed = [
            r#""c": "EUR""#,
            r#""c": "GBP""#,
            r#""c": "E\u0055R""#,
            r#""d": "y""#,
            r#""d": "x""#,
            r#""e": "xyz""#,
            r#""f": "s""#,
            r#""f": {"a": 1}"#,
            r#""g": "t""#,
            r#""g": [1]"#,
            r#""i": "123""#,
            r#""i": null"#,
            r#""j": "z""#,
            r#""k": "b""#,
            r#""k": "c""#,
        ];
        let walked = [r#""e": "abc""#, r#""j": "k""#];
        let invalid = [
            r#""c": "CHF""#,
            r#""c": "EU\xR""#,
            r#""d": 1"#,
            r#""f": "z""#,
            r#""i": "12a""#,
            r#""k": "d""#,
        ];
        let cases = (streamed.iter().map(|m| (m, true, true)))
            .chain(walked.iter().map(|m| (m, false, true)))
            .chain(invalid.iter().map(|m| (m, false, false)));
        for (member, streams, valid) in cases {
            let doc = &format!("{{{member}}}");
            assert_eq!(
                super::stream_valid(node, doc) == Some(true),
                streams,
                "{doc}"
            );
            assert_eq!(
                schema.validate_json("d.json", doc).is_valid(),
                valid,
                "{doc}"
            );
            assert_eq!(
                schema.validate_json_unified("d.json", doc).is_valid(),
                valid,
                "{doc}"
            );
        }
    }
}
