//! Calls of the builtins that take schemas (`list.Sort(l, list.Ascending)`,
//! `json.Validate(text, schema)`): the evaluator's side of [`builtins::schema::Host`]. Schema
//! arguments stay vertices; the builtin asks for unifications with concrete data through the
//! host, each in a fresh vertex, so the schema itself is never changed.

use std::sync::Arc;

use super::call::{kind_accepts, kind_name};
use super::conjunct::{Conjunct, ConjunctKind, Env};
use super::values::Val;
use super::vertex::{ArcType, Feature, VertexId};
use super::Eval;
use crate::ast::Expr;
use crate::builtins::schema::{Arg, Host, Param, SchemaBuiltin, SchemaRef};
use crate::builtins::{self, Concrete};
use crate::source::Span;
use crate::value::EvalError;

impl<'a> Eval<'a> {
    pub(super) fn call_schema_builtin(
        &mut self,
        builtin: &'static SchemaBuiltin,
        args: &'a [Expr],
        env: &Env<'a>,
        span: Span,
    ) -> Val {
        if args.len() != builtin.params.len() {
            return Val::Bottom(EvalError::new(
                "ARGUMENTS",
                format!(
                    "wrong number of arguments in call to {}.{}: expected {}, got {}",
                    builtin.package,
                    builtin.name,
                    builtin.params.len(),
                    args.len()
                ),
                vec![span],
            ));
        }
        let mut values = Vec::with_capacity(args.len());
        for (i, (arg, param)) in args.iter().zip(builtin.params).enumerate() {
            let val = self.eval_expr(arg, env);
            match param {
                Param::Value(kind) => match self.concrete_of(&val, arg.span) {
                    Ok(value) if kind_accepts(*kind, &value) => values.push(Arg::Value(value)),
                    Ok(value) => {
                        return Val::Bottom(EvalError::new(
                            "ARGUMENTS",
                            format!(
                                "cannot use {} as {} in argument {} to {}.{}",
                                builtins::format_concrete(&value),
                                kind_name(*kind),
                                i + 1,
                                builtin.package,
                                builtin.name
                            ),
                            vec![arg.span],
                        ))
                    }
                    Err(err) => return Val::Bottom(err),
                },
                Param::Schema => {
                    if let Val::Bottom(err) = val {
                        return Val::Bottom(err);
                    }
                    values.push(Arg::Schema(SchemaRef(self.schema_vertex(val))));
                }
            }
        }
        let mut host = EvalHost { eval: self, span };
        match (builtin.func)(&mut host, &values) {
            Ok(result) => self.val_from_concrete(&result, span),
            Err(err) => Val::Bottom(EvalError::new(
                "BUILTIN",
                builtin.call_error_message(&err),
                vec![span],
            )),
        }
    }

    /// The vertex holding a schema argument.
    fn schema_vertex(&mut self, val: Val) -> VertexId {
        if let Val::Node(t) = val {
            return self.resolve_forward(t);
        }
        let t = self.new_vertex(None, None);
        self.vertices[t].arc_type = ArcType::Regular;
        self.vertices[t].conjuncts.push(Conjunct {
            kind: ConjunctKind::Val(val),
            env: None,
            group: None,
        });
        t
    }

    /// A new vertex unifying the conjuncts of `schema` with `data`, evaluated.
    fn unify_schema_with(&mut self, schema: VertexId, data: &Concrete, span: Span) -> VertexId {
        let t = self.new_vertex(None, None);
        self.vertices[t].arc_type = ArcType::Regular;
        let conjuncts = self.vertices[schema].conjuncts.clone();
        self.vertices[t].conjuncts.extend(conjuncts);
        let data = self.val_from_concrete(data, span);
        self.vertices[t].conjuncts.push(Conjunct {
            kind: ConjunctKind::Val(data),
            env: None,
            group: None,
        });
        self.finalize(t);
        t
    }
}

struct EvalHost<'e, 'a> {
    eval: &'e mut Eval<'a>,
    span: Span,
}

impl Host for EvalHost<'_, '_> {
    fn check(&mut self, schema: SchemaRef, data: &Concrete, concrete: bool) -> Result<(), String> {
        let t = self.eval.unify_schema_with(schema.0, data, self.span);
        let mut errors = Vec::new();
        self.eval.collect_errors(t, &mut errors, true);
        if errors.is_empty() && concrete {
            self.eval.collect_incomplete(t, &mut errors, true);
        }
        match errors.first() {
            Some(error) => Err(error.headline()),
            None => Ok(()),
        }
    }

    fn less(&mut self, comparator: SchemaRef, a: &Concrete, b: &Concrete) -> Result<bool, String> {
        let pair = Concrete::Struct(Arc::from(vec![
            (Arc::from("x"), a.clone()),
            (Arc::from("y"), b.clone()),
        ]));
        let t = self.eval.unify_schema_with(comparator.0, &pair, self.span);
        let mut errors = Vec::new();
        self.eval.collect_errors(t, &mut errors, true);
        if let Some(error) = errors.first() {
            return Err(error.headline());
        }
        let t = self.eval.resolve_forward(t);
        let Some(less) = self.eval.view(t).arc(&Feature::Regular(Arc::from("less"))) else {
            return Err("the comparator has no field less".to_string());
        };
        match self.eval.concrete_value(less) {
            Some(Concrete::Bool(less)) => Ok(less),
            Some(other) => Err(format!(
                "less: {} is not a boolean",
                builtins::format_concrete(&other)
            )),
            None => Err("less: incomplete value".to_string()),
        }
    }
}
