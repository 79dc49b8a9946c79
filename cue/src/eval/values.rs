//! Values of vertices: what an expression evaluates to ([`Val`]), a finalized vertex read as
//! a value, as a concrete value, or as one atom, and whether a vertex is complete.

use std::sync::Arc;

use super::call::Func;
use super::vertex::{ArcType, Feature, State, VertexId};
use super::{Eval, ImportTarget};
use crate::builtins::Concrete;
use crate::source::Span;
use crate::value::{Atom, EvalError, Kinds, Scalar};

/// The result of evaluating an expression.
#[derive(Clone)]
pub(crate) enum Val {
    Top,
    Atom(Atom, Span),
    Scalar(Arc<Scalar>, Span),
    Node(VertexId),
    Disj(Arc<Vec<(Val, bool)>>),
    Bottom(Arc<EvalError>),
    Func(Func),
    Package(ImportTarget),
}

/// Structural equality of concrete values: structs regardless of field order, an int equal to
/// the float of the same value.
pub(crate) fn concrete_equal(a: &Concrete, b: &Concrete) -> bool {
    match (a, b) {
        (Concrete::Int(x), Concrete::Float(y)) | (Concrete::Float(y), Concrete::Int(x)) => {
            *x as f64 == *y
        }
        (Concrete::List(x), Concrete::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| concrete_equal(a, b))
        }
        (Concrete::Struct(x), Concrete::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && concrete_equal(v, v2)))
        }
        _ => a == b,
    }
}

impl<'a> Eval<'a> {
    pub(crate) fn is_complete(&mut self, v: VertexId) -> bool {
        let mut out = Vec::new();
        self.collect_incomplete(v, &mut out, true);
        out.is_empty()
    }

    pub(crate) fn value_of(&mut self, v: VertexId) -> Val {
        if self.vertices[v].ambiguous.len() > 1 {
            let options = self.vertices[v]
                .ambiguous
                .iter()
                .map(|&c| (Val::Node(c), false))
                .collect();
            return Val::Disj(Arc::new(options));
        }
        let v = self.resolve_forward(v);
        let vertex = &self.vertices[v];
        if let Some(err) = &vertex.error {
            return Val::Bottom(err.clone());
        }
        if let Some(func) = &vertex.func {
            return (**func).clone();
        }
        if vertex.struct_span.is_some() || vertex.list.is_some() {
            return Val::Node(v);
        }
        if vertex.state == State::Finalizing && vertex.scalar.value.is_none() {
            return Val::Bottom(EvalError::incomplete("cycle in references", vec![]));
        }
        match &vertex.scalar.value {
            Some((atom, span)) => Val::Atom(atom.clone(), *span),
            None if vertex.scalar.is_unconstrained() => Val::Top,
            None => Val::Scalar(
                Arc::new(vertex.scalar.clone()),
                vertex.scalar.kind_span.unwrap_or_default(),
            ),
        }
    }

    /// The concrete value of a finalized vertex, or `None` if any part is not concrete.
    pub(crate) fn concrete_value(&mut self, v: VertexId) -> Option<Concrete> {
        let v = self.resolve_forward(v);
        if self.vertices[v].error.is_some() {
            return None;
        }
        if self.vertices[v].list.is_some() {
            let arcs = self.vertices[v].arcs.clone();
            let mut items = Vec::with_capacity(arcs.len());
            for a in arcs {
                // A list may carry definitions and hidden fields (`{[1, 2], #a: 1}`).
                if !matches!(self.vertices[a].feature, Some(Feature::Index(_))) {
                    continue;
                }
                self.finalize(a);
                items.push(self.concrete_value(a)?);
            }
            return Some(Concrete::List(items.into()));
        }
        if self.vertices[v].struct_span.is_some() {
            let arcs = self.vertices[v].arcs.clone();
            let mut fields = Vec::new();
            for a in arcs {
                let vertex = &self.vertices[a];
                let Some(Feature::Regular(name)) = vertex.feature.clone() else {
                    continue;
                };
                if vertex.arc_type != ArcType::Regular {
                    continue;
                }
                self.finalize(a);
                fields.push((Arc::from(&*name), self.concrete_value(a)?));
            }
            return Some(Concrete::Struct(fields.into()));
        }
        self.vertices[v]
            .scalar
            .value
            .as_ref()
            .map(|(atom, _)| atom.to_concrete())
    }

    /// The kinds the options of a disjunction may have (any kind for an option not known).
    fn kinds_of_options(&mut self, options: &[(Val, bool)]) -> Kinds {
        let mut kinds = Kinds(0);
        for (option, _) in options {
            let more = match option {
                Val::Atom(atom, _) => atom.kind(),
                Val::Scalar(scalar, _) => scalar.kinds,
                Val::Disj(inner) => self.kinds_of_options(inner),
                Val::Node(t) => {
                    let t = self.resolve_forward(*t);
                    if self.vertices[t].list.is_some() {
                        Kinds::LIST
                    } else if self.vertices[t].struct_span.is_some() {
                        Kinds::STRUCT
                    } else {
                        self.vertices[t].scalar.kinds
                    }
                }
                Val::Bottom(_) => Kinds(0),
                Val::Top | Val::Func(_) | Val::Package(_) => Kinds::ALL,
            };
            kinds = Kinds(kinds.0 | more.0);
        }
        kinds
    }

    pub(super) fn concrete_of(
        &mut self,
        val: &Val,
        span: Span,
    ) -> Result<Concrete, Arc<EvalError>> {
        match val {
            Val::Atom(atom, _) => Ok(atom.to_concrete()),
            Val::Node(t) => {
                self.finalize(*t);
                let t = *t;
                match self.concrete_value(t) {
                    Some(c) => Ok(c),
                    // A value that contains itself is that error, not merely incomplete.
                    None => Err(self.structural_cycle_in(t).unwrap_or_else(|| {
                        EvalError::incomplete(
                            format!("incomplete value {}", self.describe_value(t)),
                            vec![span],
                        )
                    })),
                }
            }
            Val::Disj(options) => {
                let defaults: Vec<&Val> =
                    options.iter().filter(|(_, d)| *d).map(|(o, _)| o).collect();
                if defaults.len() == 1 {
                    let d = defaults[0].clone();
                    self.concrete_of(&d, span)
                } else {
                    // CUE names the kinds the options may have: `(type string)`, or
                    // `(type (null|struct))` for more than one.
                    let kinds = self.kinds_of_options(options).name();
                    let kinds = if kinds.contains('|') {
                        format!("({kinds})")
                    } else {
                        kinds
                    };
                    Err(EvalError::incomplete(
                        format!(
                            "unresolved disjunction {} (type {kinds})",
                            self.describe_val(val)
                        ),
                        vec![span],
                    ))
                }
            }
            Val::Bottom(err) => Err(err.clone()),
            _ => Err(EvalError::incomplete(
                format!("incomplete value {}", self.describe_val(val)),
                vec![span],
            )),
        }
    }

    pub(super) fn atom_of(&mut self, val: &Val, span: Span) -> Result<Atom, Arc<EvalError>> {
        match val {
            Val::Atom(atom, _) => Ok(atom.clone()),
            Val::Disj(_) => {
                let c = self.concrete_of(val, span)?;
                Atom::from_concrete(&c)
                    .ok_or_else(|| EvalError::new("INVALID", "expected a scalar value", vec![span]))
            }
            Val::Bottom(err) => Err(err.clone()),
            Val::Node(t) => {
                let t = *t;
                self.finalize(t);
                match self.value_of(t) {
                    Val::Atom(atom, _) => Ok(atom),
                    Val::Node(_) => Err(EvalError::new(
                        "INVALID",
                        "expected a scalar value, found a struct or list",
                        vec![span],
                    )),
                    other => self.atom_of(&other, span),
                }
            }
            _ => Err(EvalError::incomplete(
                format!("incomplete value {}", self.describe_val(val)),
                vec![span],
            )),
        }
    }
}
