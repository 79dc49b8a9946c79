//! Calls of the builtins that take schemas (`list.Sort(l, list.Ascending)`,
//! `json.Validate(text, schema)`): the evaluator's side of [`builtins::schema::Host`]. Schema
//! arguments stay vertices; the builtin asks for unifications with concrete data through the
//! host, each in a fresh vertex, so the schema itself is never changed.

use std::sync::Arc;

use super::call::{kind_accepts, kind_name, Func};
use super::conjunct::{Conjunct, ConjunctKind, Env};
use super::resolve::Resolved;
use super::validator::SchemaValidator;
use super::values::Val;
use super::vertex::{ArcType, Feature, VertexId};
use super::Eval;
use crate::ast::Expr;
use crate::builtins::schema::{Arg, Completeness, Host, Param, SchemaBuiltin, SchemaRef};
use crate::builtins::{self, Concrete};
use crate::source::Span;
use crate::value::{Atom, EvalError};

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
        let values = match self.schema_builtin_args(builtin, builtin.params, 0, args, env) {
            Ok(values) => values,
            Err(err) => return Val::Bottom(err),
        };
        let mut host = EvalHost { eval: self, span };
        match (builtin.func)(&mut host, &values) {
            Ok(result) => self.val_from_concrete(&result, span),
            // A validator's "no" is `false` when it is called (`list.MatchN(l, 2, int)`).
            Err(err) if err.unsatisfied => Val::Atom(Atom::Bool(false), span),
            Err(err) => Val::Bottom(EvalError::new(
                "BUILTIN",
                builtin.call_error_message(&err),
                vec![span],
            )),
        }
    }

    /// Checks the concrete value of `v` with a schema builtin in its validator form
    /// (`x: list.MatchN(>=1, string)` calls `list.MatchN(x, >=1, string)`). A value not yet
    /// concrete is not checked: more data may complete it.
    pub(super) fn check_schema_builtin_validator(
        &mut self,
        v: VertexId,
        builtin: &'static SchemaBuiltin,
        validator: &SchemaValidator<'a>,
    ) -> Result<(), Arc<EvalError>> {
        let Some(value) = self.concrete_value(v) else {
            return Ok(());
        };
        let params = builtin.params.get(1..).unwrap_or_default();
        if validator.args.len() != params.len() {
            return Err(EvalError::new(
                "ARGUMENTS",
                format!(
                    "wrong number of arguments in call to {}.{}: expected {}, got {}",
                    builtin.package,
                    builtin.name,
                    params.len(),
                    validator.args.len()
                ),
                vec![validator.span],
            ));
        }
        let mut values = vec![Arg::Value(value.clone())];
        values.extend(self.schema_builtin_args(
            builtin,
            params,
            1,
            validator.args,
            &validator.env,
        )?);
        let mut host = EvalHost {
            eval: self,
            span: validator.span,
        };
        let reason = match (builtin.func)(&mut host, &values) {
            Ok(Concrete::Bool(false)) => None,
            Ok(_) => return Ok(()),
            Err(err) => Some(err.message),
        };
        let mut message = format!(
            "invalid value {} (does not satisfy {}.{})",
            builtins::format_concrete(&value),
            builtin.package,
            builtin.name
        );
        if let Some(reason) = reason {
            message.push_str(": ");
            message.push_str(&reason);
        }
        Err(EvalError::new("INVALID", message, vec![validator.span]))
    }

    /// Evaluates the arguments `args` of a schema builtin for `params` (the parameters from
    /// position `offset` on, for messages): concrete values or schema handles.
    fn schema_builtin_args(
        &mut self,
        builtin: &'static SchemaBuiltin,
        params: &[Param],
        offset: usize,
        args: &'a [Expr],
        env: &Env<'a>,
    ) -> Result<Vec<Arg>, Arc<EvalError>> {
        let mut values = Vec::with_capacity(args.len());
        for (i, (arg, param)) in args.iter().zip(params).enumerate() {
            match param {
                Param::Value(kind) => {
                    let val = self.eval_expr(arg, env);
                    let value = self.concrete_of(&val, arg.span)?;
                    if !kind_accepts(*kind, &value) {
                        return Err(EvalError::new(
                            "ARGUMENTS",
                            format!(
                                "cannot use {} (type {}) as {} in argument {} to {}.{}",
                                builtins::format_concrete(&value),
                                builtins::kind_name(&value),
                                kind_name(*kind),
                                offset + i + 1,
                                builtin.package,
                                builtin.name
                            ),
                            vec![arg.span],
                        ));
                    }
                    values.push(Arg::Value(value));
                }
                // The expression itself, not its value: a disjunction keeps its alternatives
                // (`list.MatchN(3, int | *1)` matches `2`; the value of `int | *1` is `1`).
                Param::Schema => {
                    if let Val::Bottom(err) = self.eval_expr(arg, env) {
                        return Err(err);
                    }
                    let conjunct = Conjunct {
                        kind: ConjunctKind::Expr(arg),
                        env: env.clone(),
                        group: None,
                    };
                    values.push(Arg::Schema(SchemaRef(self.detached(None, vec![conjunct]))));
                }
            }
        }
        Ok(values)
    }

    /// The schema builtin that `callee(args)` calls in its validator form (one argument
    /// fewer than its parameters: `list.MatchN(>=1, string)`), if it does.
    pub(super) fn schema_validator_of(
        &mut self,
        callee: &'a Expr,
        args: &[Expr],
        env: &Env<'a>,
    ) -> Option<&'static SchemaBuiltin> {
        match self.resolve(callee, env) {
            Ok(Resolved::Val(Val::Func(Func::Schema(builtin))))
                if builtin.validator && args.len() + 1 == builtin.params.len() =>
            {
                Some(builtin)
            }
            // A field holding such a builtin (`fn: yaml.Validate`, then `fn(schema)`).
            Ok(Resolved::Vertex(_)) => match self.eval_expr(callee, env) {
                Val::Func(Func::Schema(builtin))
                    if builtin.validator && args.len() + 1 == builtin.params.len() =>
                {
                    Some(builtin)
                }
                _ => None,
            },
            _ => None,
        }
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
    fn check(
        &mut self,
        schema: SchemaRef,
        data: &Concrete,
        completeness: Completeness,
    ) -> Result<(), String> {
        let t = self.eval.unify_schema_with(schema.0, data, self.span);
        let mut errors = Vec::new();
        self.eval.collect_errors(t, &mut errors, true);
        if errors.is_empty() && completeness != Completeness::Partial {
            self.eval.collect_incomplete(t, &mut errors, true);
            if completeness == Completeness::Required {
                errors.retain(|e| e.code == "REQUIRED");
            }
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
