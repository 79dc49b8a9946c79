//! Compiling: an evaluated schema vertex, read through the evaluator's `VertexView`, into a
//! [`Node`] tree; or `None` when the schema's constraints depend on the data (the evaluation
//! noted it) or take a shape the walks do not model.

use std::collections::HashMap;

use super::{FieldNode, ListNode, Matcher, Node, NodeError, StructNode};
use crate::eval::{ArcType, Eval, Feature, Val, VertexId};
use crate::value::Scalar;

/// How deep a schema may nest before compiling gives up (recursive schemas validate by
/// evaluation instead).
const MAX_COMPILE_DEPTH: u32 = 48;

/// Compiles the vertex `v` for data-independent checking, or `None` when its constraints depend
/// on the data it will be unified with. `v` must be the root tracked by [`Eval::track`] since
/// before it was evaluated; tracking stops here.
pub(crate) fn compile(eval: &mut Eval<'_>, v: VertexId) -> Option<Node> {
    if eval.tracked_root() != Some(v) {
        return None;
    }
    eval.finalize(v);
    let node = compile_vertex(eval, v, 0);
    eval.stop_tracking();
    if eval.depends_on_data() || eval.aborted().is_some() {
        return None;
    }
    node
}

fn compile_vertex(eval: &mut Eval<'_>, v: VertexId, depth: u32) -> Option<Node> {
    if depth > MAX_COMPILE_DEPTH {
        return None;
    }
    eval.finalize(v);
    if eval.depends_on_data() {
        return None;
    }
    // A disjunction keeps every candidate, failed ones too, so that with data it reports
    // the same alternatives unification does.
    // Only a single default decides on its own here: without marked defaults every
    // candidate counts as one, and several defaults are ambiguous unless equal, which
    // unification decides when the checks below bail out.
    let candidates = eval.view(v).candidates().to_vec();
    if candidates.len() > 1 {
        let single_default = candidates.iter().filter(|(_, d)| *d).count() == 1;
        let mut options = Vec::with_capacity(candidates.len());
        for (candidate, default) in candidates {
            let node = compile_vertex(eval, candidate, depth + 1)?;
            options.push((node, default && single_default));
        }
        return Some(Node::Disj(options));
    }
    let v = eval.resolve_forward(v);
    let view = eval.view(v);
    if let Some(err) = view.error() {
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
    if view.is_list() {
        return compile_list(eval, v, depth);
    }
    if view.is_struct() {
        // A struct by default accepts data of any kind by becoming it: unification decides.
        if view.is_struct_by_default() {
            return None;
        }
        return compile_struct(eval, v, depth);
    }
    let scalar = view.scalar();
    if scalar.is_unconstrained() {
        Some(Node::Top)
    } else {
        Some(Node::Scalar(scalar.clone()))
    }
}

fn compile_struct(eval: &mut Eval<'_>, v: VertexId, depth: u32) -> Option<Node> {
    let mut fields = Vec::new();
    let mut index = HashMap::new();
    for a in eval.view(v).arcs().to_vec() {
        let Some(Feature::Regular(name)) = eval.view(a).feature().cloned() else {
            continue;
        };
        let arc_type = eval.view(a).arc_type();
        // An optional field that a closed struct does not allow: data that sets it is an
        // error whose positions include the data's, which unification reports.
        if arc_type == ArcType::Optional
            && eval
                .view(eval.resolve_forward(a))
                .error()
                .is_some_and(|err| err.code == "FIELD_NOT_ALLOWED")
        {
            return None;
        }
        let node = compile_vertex(eval, a, depth + 1)?;
        index.insert(name.clone(), fields.len());
        fields.push(FieldNode {
            name,
            arc_type,
            node,
            decl_spans: eval.view(a).decl_spans().to_vec(),
        });
    }
    let mut patterns = Vec::new();
    for p in 0..eval.view(v).pattern_count() {
        if eval.view(v).pattern_has_alias(p) {
            return None;
        }
        let matcher_val = eval.pattern_matcher(v, p);
        let matcher = matcher(&matcher_val)?;
        let t = eval.pattern_value(v, &[p]);
        patterns.push((matcher, compile_vertex(eval, t, depth + 1)?));
    }
    let closed = eval.closed_sets(v);
    Some(Node::Struct(Box::new(StructNode {
        scalar: eval.view(v).scalar().clone(),
        fields,
        index,
        patterns,
        closed,
    })))
}

fn compile_list(eval: &mut Eval<'_>, v: VertexId, depth: u32) -> Option<Node> {
    let mut prefix = Vec::new();
    for a in eval.view(v).arcs().to_vec() {
        // A list may carry definitions and hidden fields (`{[...string], #a: 1}`).
        if !matches!(eval.view(a).feature(), Some(Feature::Index(_))) {
            continue;
        }
        prefix.push(compile_vertex(eval, a, depth + 1)?);
    }
    let closed = eval.view(v).list_is_closed();
    let rest = if closed {
        None
    } else {
        match eval.view(v).list_rest_constraints() {
            0 => Some(Node::Top),
            1 => {
                let t = eval.list_rest_value(v)?;
                Some(compile_vertex(eval, t, depth + 1)?)
            }
            _ => return None,
        }
    };
    Some(Node::List(Box::new(ListNode {
        scalar: eval.view(v).scalar().clone(),
        prefix,
        closed,
        rest,
    })))
}

/// A pattern constraint's label set as a [`Matcher`], when it is one the walks can test.
fn matcher(val: &Val) -> Option<Matcher> {
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
                .map(|(o, _)| matcher(o))
                .collect::<Option<Vec<_>>>()?,
        ),
        Val::Bottom(_) => Matcher::Never,
        _ => return None,
    })
}
