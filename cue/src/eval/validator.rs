//! The predeclared validators that take schemas: `matchN(n, [schemas])` (the value unifies
//! with a number of the schemas that `n` accepts) and `matchIf(if, then, else)` (a value that
//! unifies with `if` must unify with `then`, any other with `else`), and the builtins taking
//! schemas in their validator form (`list.MatchN(>=1, string)`, checked in `schema_call.rs`).
//!
//! A call of one, as a conjunct, does not add a value: it is kept on the vertex
//! ([`SchemaValidator`]) and checked when the vertex is final. Each check unifies the
//! vertex's conjuncts (without its validators) with one schema in a fresh vertex; a schema
//! matches when that gives no error and no missing required field. A mismatch only because
//! the value is not complete yet is not an error.

use std::sync::Arc;

use super::conjunct::{Conjunct, ConjunctKind, Env};
use super::cycle::STRUCTURAL_CYCLE;
use super::values::Val;
use super::vertex::{ArcType, Feature, VertexId};
use super::Eval;
use crate::ast::Expr;
use crate::builtins::schema::SchemaBuiltin;
use crate::source::Span;
use crate::value::{Atom, EvalError};

/// Which validator a call names.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ValidatorKind {
    MatchN,
    MatchIf,
    /// A builtin taking schemas, in its validator form (`list.MatchN(>=1, string)`): the
    /// value, once concrete, is its first argument (see `schema_call.rs`).
    Schema(&'static SchemaBuiltin),
}

impl ValidatorKind {
    pub(super) fn name(self) -> String {
        match self {
            ValidatorKind::MatchN => "matchN".to_string(),
            ValidatorKind::MatchIf => "matchIf".to_string(),
            ValidatorKind::Schema(builtin) => format!("{}.{}", builtin.package, builtin.name),
        }
    }
}

/// A call of `matchN` or `matchIf` unified into a vertex, checked when the vertex is final.
#[derive(Clone)]
pub(crate) struct SchemaValidator<'a> {
    pub(super) kind: ValidatorKind,
    pub(super) args: &'a [Expr],
    pub(super) env: Env<'a>,
    /// The call, for messages.
    pub(super) span: Span,
}

/// Whether a value matched a schema.
enum Match {
    /// It matched; `false` when the result is not concrete yet (more data may make it fail).
    Yes(bool),
    No(Arc<EvalError>),
    /// Not yet: the value is not complete enough to say.
    Incomplete,
}

impl<'a> Eval<'a> {
    /// Keeps the validator call `call` on `v` (see the module comment).
    pub(super) fn add_schema_validator(&mut self, v: VertexId, validator: SchemaValidator<'a>) {
        // What the validator says depends on the whole value: the compiled validator
        // cannot check it. Export states it (as `oneOf`, `contains`...) rather than
        // loosening the value as one computed from the data.
        self.note_comprehension(v);
        self.vertices[v].validators.push(validator);
    }

    /// Runs the validators of the final vertex `v`, setting an error on it when one fails.
    pub(super) fn check_schema_validators(&mut self, v: VertexId) {
        if self.vertices[v].validators.is_empty() || self.vertices[v].error.is_some() {
            return;
        }
        let validators = self.vertices[v].validators.clone();
        for validator in validators {
            // The validators being checked (they brought their vertex's conjuncts here).
            if self.vertices[v]
                .checking
                .contains(&(validator.args.as_ptr() as usize))
            {
                continue;
            }
            let result = match validator.kind {
                ValidatorKind::MatchN => self.check_match_n(v, &validator),
                ValidatorKind::MatchIf => self.check_match_if(v, &validator),
                ValidatorKind::Schema(builtin) => {
                    self.check_schema_builtin_validator(v, builtin, &validator)
                }
            };
            if let Err(err) = result {
                self.set_error(v, err);
                return;
            }
        }
    }

    fn arity(validator: &SchemaValidator<'a>, n: usize) -> Result<(), Arc<EvalError>> {
        if validator.args.len() == n {
            return Ok(());
        }
        Err(EvalError::new(
            "ARGUMENTS",
            format!(
                "wrong number of arguments in call to {}: expected {n}, got {}",
                validator.kind.name(),
                validator.args.len()
            ),
            vec![validator.span],
        ))
    }

    fn check_match_n(
        &mut self,
        v: VertexId,
        validator: &SchemaValidator<'a>,
    ) -> Result<(), Arc<EvalError>> {
        Self::arity(validator, 2)?;
        let env = validator.env.clone();
        let bound = self.eval_expr(&validator.args[0], &env);
        let schemas = match self.eval_expr(&validator.args[1], &env) {
            Val::Node(l) => {
                self.finalize(l);
                let l = self.resolve_forward(l);
                if self.vertices[l].list.is_none() {
                    return Err(self.not_a_list(validator));
                }
                self.vertices[l]
                    .arcs
                    .iter()
                    .copied()
                    .filter(|&a| matches!(self.vertices[a].feature, Some(Feature::Index(_))))
                    .collect::<Vec<_>>()
            }
            Val::Bottom(err) => return Err(err),
            _ => return Err(self.not_a_list(validator)),
        };
        let (mut matched, mut uncertain, mut possible) = (0i128, 0i128, 0i128);
        for schema in schemas {
            let conjuncts = self.vertices[schema].conjuncts.clone();
            match self.matches(v, conjuncts, validator) {
                Match::Yes(concrete) => {
                    matched += 1;
                    uncertain += i128::from(!concrete);
                }
                Match::No(_) => {}
                Match::Incomplete => possible += 1,
            }
        }
        // A match of a value not yet concrete may still fail with more data.
        for count in (matched - uncertain..=matched).rev() {
            if self.count_accepted(&bound, count, validator)? {
                return Ok(());
            }
        }
        let value = self.describe_value(v);
        let message = format!(
            "invalid value {value} (does not satisfy {}): {matched} matched, expected {}",
            self.text(validator.span),
            self.describe_val(&bound)
        );
        // Schemas not matched only because the value is not complete may match later.
        for count in matched + 1..=matched + possible {
            if self.count_accepted(&bound, count, validator)? {
                return Err(EvalError::incomplete(message, vec![validator.span]));
            }
        }
        Err(EvalError::new("INVALID", message, vec![validator.span]))
    }

    fn not_a_list(&self, validator: &SchemaValidator<'a>) -> Arc<EvalError> {
        EvalError::new(
            "ARGUMENTS",
            format!(
                "cannot use {} as list in argument 2 to matchN",
                self.text(validator.args[1].span)
            ),
            vec![validator.args[1].span],
        )
    }

    /// Whether `n` (a number or a constraint such as `>0`) accepts `count`.
    fn count_accepted(
        &mut self,
        n: &Val,
        count: i128,
        validator: &SchemaValidator<'a>,
    ) -> Result<bool, Arc<EvalError>> {
        match n {
            Val::Atom(Atom::Int(k), _) => Ok(*k == count),
            Val::Scalar(scalar, span) => {
                let mut scalar = (**scalar).clone();
                Ok(scalar.unify_atom(Atom::Int(count), *span).is_ok())
            }
            Val::Top => Ok(true),
            Val::Node(t) => match self.value_of(*t) {
                Val::Node(_) => Err(EvalError::new(
                    "ARGUMENTS",
                    format!(
                        "cannot use {} as int in argument 1 to matchN",
                        self.text(validator.args[0].span)
                    ),
                    vec![validator.args[0].span],
                )),
                value => self.count_accepted(&value, count, validator),
            },
            Val::Disj(options) => {
                for (option, _) in options.iter() {
                    if self.count_accepted(option, count, validator)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Val::Bottom(err) => Err(err.clone()),
            _ => Err(EvalError::new(
                "ARGUMENTS",
                format!(
                    "cannot use {} as int in argument 1 to matchN",
                    self.text(validator.args[0].span)
                ),
                vec![validator.args[0].span],
            )),
        }
    }

    fn check_match_if(
        &mut self,
        v: VertexId,
        validator: &SchemaValidator<'a>,
    ) -> Result<(), Arc<EvalError>> {
        Self::arity(validator, 3)?;
        let schema = |arg: &'a Expr| Conjunct {
            kind: ConjunctKind::Expr(arg),
            env: validator.env.clone(),
            group: None,
        };
        let branch = match self.matches(v, vec![schema(&validator.args[0])], validator) {
            Match::Yes(_) => &validator.args[1],
            // The condition contains the validator itself: neither branch applies.
            Match::No(err) if err.code == STRUCTURAL_CYCLE => {
                let message = format!(
                    "invalid value {} (does not satisfy {}): {}",
                    self.describe_value(v),
                    validator.kind.name(),
                    err.message
                );
                return Err(EvalError::new(STRUCTURAL_CYCLE, message, err.spans.clone()));
            }
            Match::No(_) => &validator.args[2],
            Match::Incomplete => return Ok(()),
        };
        match self.matches(v, vec![schema(branch)], validator) {
            Match::No(err) => Err(err),
            Match::Yes(_) | Match::Incomplete => Ok(()),
        }
    }

    /// Unifies the conjuncts of `v` with `schema` in a fresh vertex, without running the
    /// validators there, and says whether that succeeds. A schema that brings `validator`
    /// itself to that vertex (`x: 3 & _x`, `_x: matchN(2, [_x, _x])`) asks for the check
    /// being made again on the same value, forever: it does not match, as a structural
    /// cycle (CUE: "0 matched, expected 2", the schemas being that cycle).
    fn matches(
        &mut self,
        v: VertexId,
        schema: Vec<Conjunct<'a>>,
        validator: &SchemaValidator<'a>,
    ) -> Match {
        let t = self.new_vertex(None, None);
        self.vertices[t].arc_type = ArcType::Regular;
        let v = self.resolve_forward(v);
        let mut own_validators: Vec<usize> = self.vertices[v]
            .validators
            .iter()
            .map(|s| s.args.as_ptr() as usize)
            .collect();
        own_validators.extend(self.vertices[v].checking.iter().copied());
        self.vertices[t].checking = Arc::new(own_validators);
        let own = self.vertices[v].conjuncts.clone();
        let schema_conjuncts = schema.clone();
        self.vertices[t].conjuncts.extend(schema);
        self.vertices[t].conjuncts.extend(own);
        self.finalize(t);
        if self.brings_itself(t, &schema_conjuncts, validator) {
            // Only a concrete value is checked again (one not yet concrete is not checked).
            let mut incomplete = Vec::new();
            self.collect_incomplete(t, &mut incomplete, false);
            if !incomplete.is_empty() {
                return Match::Incomplete;
            }
            return Match::No(EvalError::new(
                STRUCTURAL_CYCLE,
                "structural cycle",
                vec![validator.span],
            ));
        }
        let mut errors = Vec::new();
        self.collect_errors(t, &mut errors, true);
        if let Some(first) = errors.first() {
            return Match::No(EvalError::new(
                "INVALID",
                first.message.clone(),
                first.spans.clone(),
            ));
        }
        // A missing required field may still be added: the value may match later.
        let mut incomplete = Vec::new();
        self.collect_incomplete(t, &mut incomplete, false);
        let t = self.resolve_forward(t);
        if self.vertices[t].error.is_some() || incomplete.iter().any(|d| d.code == "REQUIRED") {
            return Match::Incomplete;
        }
        Match::Yes(incomplete.is_empty())
    }

    /// Whether `schema`, unified into the value `t` checked by `validator`, brings that same
    /// validator to it: `t` has it from its own conjuncts too, where it counts once, so the
    /// schema's conjuncts are expanded alone to tell.
    fn brings_itself(
        &mut self,
        t: VertexId,
        schema: &[Conjunct<'a>],
        validator: &SchemaValidator<'a>,
    ) -> bool {
        let checked = validator.args.as_ptr() as usize;
        let t = self.resolve_forward(t);
        let has = |validators: &[SchemaValidator<'a>]| {
            validators
                .iter()
                .any(|s| s.args.as_ptr() as usize == checked)
        };
        if !has(&self.vertices[t].validators) {
            return false;
        }
        let probe = self.new_vertex(None, None);
        self.vertices[probe].arc_type = ArcType::Regular;
        self.vertices[probe].checking = self.vertices[t].checking.clone();
        self.vertices[probe]
            .conjuncts
            .extend(schema.iter().cloned());
        self.expand(probe);
        let probe = self.resolve_forward(probe);
        has(&self.vertices[probe].validators)
    }
}

/// Whether `name` is a predeclared validator taking schemas.
pub(super) fn validator_kind(name: &str) -> Option<ValidatorKind> {
    match name {
        "matchN" => Some(ValidatorKind::MatchN),
        "matchIf" => Some(ValidatorKind::MatchIf),
        _ => None,
    }
}
