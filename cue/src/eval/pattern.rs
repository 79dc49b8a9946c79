//! Pattern constraints (`[=~"^x-"]: T`): matching labels and adding the constraint's value to
//! every arc whose label matches, with the pattern's alias bound to the label.

use std::sync::Arc;

use super::closed::GroupId;
use super::conjunct::{Conjunct, ConjunctKind, Env, Frame, FrameKind};
use super::values::Val;
use super::vertex::{Feature, VertexId};
use super::Eval;
use crate::ast::Expr;
use crate::value::{Atom, Kinds};

/// A pattern constraint `[L]: V` (or `[A=L]: V`) of a struct.
pub(super) struct Pattern<'a> {
    /// `L`, the expression the labels must match.
    pub(super) label: &'a Expr,
    /// `A`, bound to the matching label in `V`.
    pub(super) alias: Option<&'a str>,
    /// `X` of `X=[L]: V` or `[L]~(A, X): V`, bound to the matching field in `V`.
    pub(super) field_alias: Option<&'a str>,
    /// `V`, added to every matching field.
    pub(super) value: &'a Expr,
    pub(super) env: Env<'a>,
    pub(super) group: Option<GroupId>,
    /// `L` evaluated, once, on first use.
    pub(super) matcher: Option<Val>,
}

impl<'a> Eval<'a> {
    /// The label of pattern `p` of `v`, evaluated once.
    pub(crate) fn pattern_matcher(&mut self, v: VertexId, p: usize) -> Val {
        if let Some(m) = &self.vertices[v].patterns[p].matcher {
            return m.clone();
        }
        let (label, env) = {
            let pattern = &self.vertices[v].patterns[p];
            (pattern.label, pattern.env.clone())
        };
        let m = self.eval_expr(label, &env);
        self.vertices[v].patterns[p].matcher = Some(m.clone());
        m
    }

    pub(super) fn apply_pattern(&mut self, v: VertexId, p: usize, a: VertexId) {
        let Some(Feature::Regular(name)) = self.vertices[a].feature.clone() else {
            return;
        };
        let matcher = self.pattern_matcher(v, p);
        if !self.label_matches(&matcher, &name) {
            return;
        }
        let pattern = &self.vertices[v].patterns[p];
        let env = match pattern.alias {
            Some(alias) => Some(Arc::new(Frame {
                parent: pattern.env.clone(),
                kind: FrameKind::Bind {
                    name: alias,
                    value: Val::Atom(Atom::String(name.clone()), pattern.label.span),
                },
            })),
            None => pattern.env.clone(),
        };
        let env = match pattern.field_alias {
            Some(alias) => Some(Arc::new(Frame {
                parent: env,
                kind: FrameKind::Bind {
                    name: alias,
                    value: Val::Node(a),
                },
            })),
            None => env,
        };
        let c = Conjunct {
            kind: ConjunctKind::Expr(pattern.value),
            env,
            group: pattern.group,
        };
        self.vertices[a].from_constraint = true;
        self.push_conjunct(a, c);
    }

    pub(super) fn label_matches(&mut self, matcher: &Val, label: &Arc<str>) -> bool {
        match matcher {
            Val::Top => true,
            Val::Atom(Atom::String(s), _) => s == label,
            Val::Atom(..) => false,
            Val::Scalar(s, _) => {
                let atom = Atom::String(label.clone());
                s.kinds.contains(Kinds::STRING)
                    && s.value
                        .as_ref()
                        .is_none_or(|(value, _)| value.equals(&atom))
                    && s.checks
                        .iter()
                        .all(|c| crate::value::run_check(&c.check, &atom).is_ok())
            }
            Val::Disj(options) => options.iter().any(|(o, _)| self.label_matches(o, label)),
            Val::Node(t) => {
                let val = self.value_of(*t);
                !matches!(val, Val::Node(_)) && self.label_matches(&val, label)
            }
            _ => false,
        }
    }
}
