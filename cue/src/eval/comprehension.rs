//! Comprehensions: `for`, `if` and `let` clauses, each yielding the environments in which the
//! comprehension's body is added to the struct (or list) that holds it.

use std::sync::Arc;

use super::conjunct::{Env, Frame, FrameKind};
use super::expr::atom_text;
use super::resolve::Resolved;
use super::values::Val;
use super::vertex::{ArcType, Feature, State, VertexId};
use super::Eval;
use crate::ast::{Clause, Comprehension, Decl, Expr, ExprKind, InterpolationPart};
use crate::value::{Atom, EvalError, Kinds};

impl<'a> Eval<'a> {
    pub(super) fn run_comprehensions(&mut self, v: VertexId) {
        if !self.vertices[v].comprehensions.is_empty() {
            self.note_comprehension(v);
        }
        while !self.vertices[v].comprehensions.is_empty() {
            let pending = std::mem::take(&mut self.vertices[v].comprehensions);
            for (comp, env, group) in pending {
                let yields = match self.comprehension_yields(comp, env) {
                    Ok(yields) => yields,
                    Err(err) => {
                        self.set_error(v, err);
                        continue;
                    }
                };
                if yields.is_empty() {
                    // A comprehension yields structs: a value that nothing else made
                    // anything is the empty struct. While the vertex expands, another
                    // iteration or conjunct may still make it a scalar or a list
                    // (`for k in keys if k == "b" {k}` is "b"): the struct is then weak,
                    // settled when the expansion ends.
                    let vertex = &self.vertices[v];
                    if vertex.scalar.is_unconstrained()
                        && vertex.struct_span.is_none()
                        && vertex.list.is_none()
                    {
                        if vertex.state == State::Expanding {
                            if vertex.weak_struct.is_none() {
                                self.vertices[v].weak_struct = Some(comp.body.span);
                            }
                        } else {
                            self.mark_struct(v, comp.body.span);
                        }
                    }
                }
                for (body, env) in yields {
                    self.add_expr(v, body, env, group, true);
                }
            }
        }
    }

    /// What a comprehension adds: its body in the environment of each iteration, or its
    /// `else`/`fallback` body (in the comprehension's own environment) when there is none.
    pub(super) fn comprehension_yields(
        &mut self,
        comp: &'a Comprehension,
        env: Env<'a>,
    ) -> Result<Vec<(&'a Expr, Env<'a>)>, Arc<EvalError>> {
        let mut yields = Vec::new();
        self.comprehension(&comp.clauses, &comp.body, env.clone(), &mut yields)?;
        Ok(match &comp.fallback {
            Some(fallback) if yields.is_empty() => vec![(&**fallback, env)],
            _ => yields.into_iter().map(|env| (&*comp.body, env)).collect(),
        })
    }

    /// Whether every `x?` reference in `e` (outside nested comprehensions) is defined: a
    /// `try` clause yields nothing otherwise. A reference is undefined when it names an
    /// optional field, or a field or index that is not there (yet) in an open struct or list;
    /// one that is in error is defined (the error shows where it is used).
    fn optionals_defined(&mut self, e: &'a Expr, env: &Env<'a>) -> bool {
        let mut references = Vec::new();
        optional_references(e, &mut references);
        references.into_iter().all(|r| match self.resolve(r, env) {
            Ok(Resolved::Vertex(t)) => self.vertices[t].arc_type != ArcType::Optional,
            Ok(_) => true,
            Err(err) => !err.incomplete,
        })
    }

    pub(super) fn comprehension(
        &mut self,
        clauses: &'a [Clause],
        body: &'a Expr,
        env: Env<'a>,
        yields: &mut Vec<Env<'a>>,
    ) -> Result<(), Arc<EvalError>> {
        let Some((clause, rest)) = clauses.split_first() else {
            yields.push(env);
            return Ok(());
        };
        match clause {
            Clause::Try { binding: None, .. } => {
                if self.optionals_defined(body, &env) {
                    self.comprehension(rest, body, env, yields)?;
                }
                Ok(())
            }
            Clause::Try {
                binding: Some((name, value)),
                ..
            } => {
                if !self.optionals_defined(value, &env) {
                    return Ok(());
                }
                let value = self.eval_expr(value, &env);
                let env = Some(Arc::new(Frame {
                    parent: env,
                    kind: FrameKind::Bind {
                        name: &name.name,
                        value,
                    },
                }));
                self.comprehension(rest, body, env, yields)
            }
            Clause::If { condition, .. } => {
                let val = self.eval_expr(condition, &env);
                // A value that cannot become a bool is an error; one that may is incomplete.
                let kinds = match &val {
                    Val::Top => Some(Kinds::ALL),
                    Val::Scalar(scalar, _) => Some(scalar.kinds),
                    _ => None,
                };
                if let Some(kinds) = kinds {
                    let text = self.describe_val(&val);
                    return Err(if kinds.contains(Kinds::BOOL) {
                        EvalError::incomplete(
                            format!("incomplete bool: {text}"),
                            vec![condition.span],
                        )
                    } else {
                        EvalError::new(
                            "INVALID",
                            format!("cannot use {text} (type {}) as type bool", kinds.name()),
                            vec![condition.span],
                        )
                    });
                }
                match self.atom_of(&val, condition.span)? {
                    Atom::Bool(true) => self.comprehension(rest, body, env, yields),
                    Atom::Bool(false) => Ok(()),
                    other => Err(EvalError::new(
                        "INVALID",
                        format!(
                            "cannot use {} (type {}) as type bool",
                            atom_text(&other),
                            other.kind().name()
                        ),
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
                self.comprehension(rest, body, env, yields)
            }
            Clause::For {
                key, value, source, ..
            } => {
                let src = self.eval_expr(source, &env);
                let t = match src {
                    Val::Node(t) => t,
                    Val::Bottom(err) => return Err(err),
                    // A value that can never be a list or struct is an error already.
                    Val::Scalar(ref scalar, _)
                        if scalar
                            .kinds
                            .and(Kinds(Kinds::LIST.0 | Kinds::STRUCT.0))
                            .is_empty() =>
                    {
                        return Err(EvalError::new(
                            "INVALID",
                            format!(
                                "cannot range over {} (found {}, want list or struct)",
                                self.text(source.span),
                                scalar.kinds.name()
                            ),
                            vec![source.span],
                        ))
                    }
                    Val::Scalar(ref scalar, _) if scalar.value.is_none() => {
                        return Err(EvalError::incomplete(
                            format!(
                                "cannot range over {} (incomplete type {})",
                                self.text(source.span),
                                scalar.kinds.name()
                            ),
                            vec![source.span],
                        ))
                    }
                    Val::Top => {
                        return Err(EvalError::incomplete(
                            format!(
                                "cannot range over {} (incomplete type _)",
                                self.text(source.span)
                            ),
                            vec![source.span],
                        ))
                    }
                    Val::Disj(_) | Val::Scalar(..) => {
                        return Err(EvalError::incomplete(
                            format!("cannot range over {} (incomplete)", self.text(source.span)),
                            vec![source.span],
                        ))
                    }
                    Val::Atom(atom, _) => {
                        return Err(EvalError::new(
                            "INVALID",
                            format!(
                                "cannot range over {} (found {}, want list or struct)",
                                self.text(source.span),
                                atom.kind().name()
                            ),
                            vec![source.span],
                        ))
                    }
                    Val::Func(_) | Val::Package(_) => {
                        return Err(EvalError::new(
                            "INVALID",
                            "cannot range over a function or package",
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
                    self.comprehension(rest, body, inner, yields)?;
                }
                Ok(())
            }
        }
    }
}

/// The references marked `x?` in `e`, innermost too (`a?.b?` gives both), not looking into
/// the bodies of nested comprehensions (their own `try` tests theirs), only their clauses.
fn optional_references<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::Comprehension(comp) => {
            for clause in &comp.clauses {
                match clause {
                    Clause::For { source: x, .. } | Clause::If { condition: x, .. } => {
                        optional_references(x, out)
                    }
                    Clause::Let(clause) => optional_references(&clause.value, out),
                    Clause::Try { binding, .. } => {
                        if let Some((_, x)) = binding {
                            optional_references(x, out)
                        }
                    }
                }
            }
        }
        ExprKind::Optional(inner) => {
            out.push(inner);
            optional_references(inner, out);
        }
        ExprKind::Struct(lit) => {
            for decl in &lit.decls {
                match decl {
                    Decl::Field(field) => optional_references(&field.value, out),
                    Decl::Embed(x) => optional_references(x, out),
                    Decl::Let(clause) => optional_references(&clause.value, out),
                    Decl::Ellipsis(_) | Decl::Attribute(_) => {}
                }
            }
        }
        ExprKind::List(list) => {
            for x in &list.elements {
                optional_references(x, out);
            }
        }
        ExprKind::Paren(x) | ExprKind::Unary(_, x) | ExprKind::Alias(_, x) => {
            optional_references(x, out)
        }
        ExprKind::Selector(x, _) => optional_references(x, out),
        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
            optional_references(a, out);
            optional_references(b, out);
        }
        ExprKind::Call(f, args) => {
            optional_references(f, out);
            for x in args {
                optional_references(x, out);
            }
        }
        ExprKind::Interpolation(interp) => {
            for part in &interp.parts {
                if let InterpolationPart::Expr(x) = part {
                    optional_references(x, out);
                }
            }
        }
        _ => {}
    }
}
