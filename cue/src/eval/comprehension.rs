//! Comprehensions: `for`, `if` and `let` clauses, each yielding the environments in which the
//! comprehension's body is added to the struct (or list) that holds it.

use std::sync::Arc;

use super::conjunct::{Env, Frame, FrameKind};
use super::expr::atom_text;
use super::values::Val;
use super::vertex::{ArcType, Feature, VertexId};
use super::Eval;
use crate::ast::Clause;
use crate::value::{Atom, EvalError};

impl<'a> Eval<'a> {
    pub(super) fn run_comprehensions(&mut self, v: VertexId) {
        if !self.vertices[v].comprehensions.is_empty() {
            self.note_comprehension(v);
        }
        while !self.vertices[v].comprehensions.is_empty() {
            let pending = std::mem::take(&mut self.vertices[v].comprehensions);
            for (comp, env, group) in pending {
                let mut yields = Vec::new();
                if let Err(err) = self.comprehension(&comp.clauses, env, &mut yields) {
                    self.set_error(v, err);
                    continue;
                }
                for env in yields {
                    self.add_expr(v, &comp.body, env, group, true);
                }
            }
        }
    }

    pub(super) fn comprehension(
        &mut self,
        clauses: &'a [Clause],
        env: Env<'a>,
        yields: &mut Vec<Env<'a>>,
    ) -> Result<(), Arc<EvalError>> {
        let Some((clause, rest)) = clauses.split_first() else {
            yields.push(env);
            return Ok(());
        };
        match clause {
            Clause::If { condition, .. } => {
                let val = self.eval_expr(condition, &env);
                match self.atom_of(&val, condition.span)? {
                    Atom::Bool(true) => self.comprehension(rest, env, yields),
                    Atom::Bool(false) => Ok(()),
                    other => Err(EvalError::new(
                        "INVALID",
                        format!("cannot use {} as bool in if clause", atom_text(&other)),
                        vec![condition.span],
                    )),
                }
            }
            Clause::Let(clause) => {
                let value = self.eval_expr(&clause.value, &env);
                let env = Some(Arc::new(Frame {
                    parent: env,
                    kind: FrameKind::Bind {
                        name: &clause.name.name,
                        value,
                    },
                }));
                self.comprehension(rest, env, yields)
            }
            Clause::For {
                key, value, source, ..
            } => {
                let src = self.eval_expr(source, &env);
                let t = match src {
                    Val::Node(t) => t,
                    Val::Bottom(err) => return Err(err),
                    Val::Disj(_) | Val::Scalar(..) | Val::Top => {
                        return Err(EvalError::incomplete(
                            "incomplete value in for clause",
                            vec![source.span],
                        ))
                    }
                    _ => {
                        return Err(EvalError::new(
                            "INVALID",
                            "cannot range over a non-list, non-struct value",
                            vec![source.span],
                        ))
                    }
                };
                self.finalize(t);
                let t = self.resolve_forward(t);
                let arcs = self.vertices[t].arcs.clone();
                for a in arcs {
                    let vertex = &self.vertices[a];
                    let Some(feature) = vertex.feature.clone() else {
                        continue;
                    };
                    if !feature.is_regular() || vertex.arc_type != ArcType::Regular {
                        continue;
                    }
                    let key_val = match &feature {
                        Feature::Index(i) => Atom::Int(*i as i128),
                        Feature::Regular(name) => Atom::String(name.clone()),
                        _ => continue,
                    };
                    self.finalize(a);
                    let value_val = self.value_of(a);
                    let mut inner = Some(Arc::new(Frame {
                        parent: env.clone(),
                        kind: FrameKind::Bind {
                            name: &value.name,
                            value: value_val,
                        },
                    }));
                    if let Some(key) = key {
                        inner = Some(Arc::new(Frame {
                            parent: inner,
                            kind: FrameKind::Bind {
                                name: &key.name,
                                value: Val::Atom(key_val, key.span),
                            },
                        }));
                    }
                    self.comprehension(rest, inner, yields)?;
                }
                Ok(())
            }
        }
    }
}
