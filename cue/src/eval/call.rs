//! Calls: the predeclared functions (`len`, `close`, `and`, `or`, `div`, `mod`, `quo`, `rem`,
//! `error`)
//! and the builtins of the standard library, called with concrete arguments or used as
//! validators (`strings.MinRunes(3)`, `net.IPv4`); and values computed by builtins turned back
//! into vertices. A function is a value too: a field may hold one (`fn: yaml.Validate`, kept in
//! the vertex's `func`), and a call through the field applies it.

use std::sync::Arc;

use super::closed::Closedness;
use super::conjunct::{env_key, Conjunct, ConjunctKind, Env};
use super::cycle::{inline_cycle_value, STRUCTURAL_CYCLE};
use super::resolve::Resolved;
use super::validator::ValidatorKind;
use super::values::Val;
use super::vertex::{ArcType, Feature, ListInfo, State, VertexId};
use super::Eval;
use crate::ast::{Expr, ExprKind, InterpolationPart};
use crate::builtins::{self, Builtin, Concrete, Kind};
use crate::source::Span;
use crate::value::{Atom, Check, EvalError, KindText, Kinds, Scalar, SpannedCheck};

/// A function a call can name: a builtin of a package, or a predeclared function.
#[derive(Clone, Copy)]
pub(crate) enum Func {
    Builtin(&'static Builtin),
    /// A builtin taking schemas (`list.Sort`): see `schema_call.rs`.
    Schema(&'static crate::builtins::schema::SchemaBuiltin),
    Len,
    Close,
    And,
    Or,
    Div,
    Mod,
    Quo,
    Rem,
    /// `error(message)`: an error whose message the schema writes.
    Error,
    /// `matchN` or `matchIf`: a conjunct, checked when its vertex is final (see
    /// `validator.rs`); as any other value it is top.
    Validator(ValidatorKind),
}

pub(super) fn kind_accepts(kind: Kind, value: &Concrete) -> bool {
    matches!(
        (kind, value),
        (Kind::Any, _)
            | (Kind::Null, Concrete::Null)
            | (Kind::Bool, Concrete::Bool(_))
            | (Kind::Int, Concrete::Int(_))
            | (Kind::Float, Concrete::Float(_) | Concrete::Int(_))
            | (Kind::Number, Concrete::Int(_) | Concrete::Float(_))
            | (Kind::String, Concrete::String(_))
            | (Kind::Bytes, Concrete::Bytes(_) | Concrete::String(_))
            | (Kind::List, Concrete::List(_))
            | (Kind::Struct, Concrete::Struct(_))
    )
}

pub(super) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Null => "null",
        Kind::Bool => "bool",
        Kind::Int => "int",
        Kind::Float => "float",
        Kind::Number => "number",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::List => "list",
        Kind::Struct => "struct",
        Kind::Any => "_",
    }
}

pub(super) fn kinds_of(kind: Kind) -> Kinds {
    match kind {
        Kind::Null => Kinds::NULL,
        Kind::Bool => Kinds::BOOL,
        Kind::Int => Kinds::INT,
        Kind::Float | Kind::Number => Kinds::NUMBER,
        Kind::String => Kinds::STRING,
        Kind::Bytes => Kinds::BYTES,
        Kind::List => Kinds::LIST,
        Kind::Struct => Kinds::STRUCT,
        Kind::Any => Kinds::ALL,
    }
}

/// A builtin used as a constraint on the value it is unified with (`strings.MinRunes(3)`,
/// `net.IPv4`): its first parameter's kind, and a check calling it with the value first.
pub(super) fn validator_scalar(
    builtin: &'static Builtin,
    args: Vec<Concrete>,
    span: Span,
) -> Scalar {
    let kinds = builtin.params.first().map_or(Kinds::ALL, |&k| kinds_of(k));
    let text = builtins::format_call(builtin, &args);
    Scalar {
        kinds,
        kind_span: Some(span),
        kind_text: Some(KindText::from(text.as_str())),
        value: None,
        checks: vec![SpannedCheck {
            check: Check::Builtin {
                builtin,
                args: args.into(),
            },
            span,
            text: None,
        }],
    }
}

/// The builtin of a scalar that is only a validator not called (`json.Valid`, which may have
/// been unified into its field more than once).
fn uncalled_validator(scalar: &Scalar) -> Option<&'static Builtin> {
    let mut found: Option<&'static Builtin> = None;
    for check in &scalar.checks {
        let Check::Builtin { builtin, args } = &check.check else {
            return None;
        };
        if !args.is_empty() || found.is_some_and(|f| !std::ptr::eq(f, *builtin)) {
            return None;
        }
        found = Some(builtin);
    }
    found
}

impl<'a> Eval<'a> {
    /// Builds a vertex for a concrete value computed by a builtin.
    pub(super) fn val_from_concrete(&mut self, c: &Concrete, span: Span) -> Val {
        if let Some(atom) = Atom::from_concrete(c) {
            return Val::Atom(atom, span);
        }
        let t = self.new_vertex(None, None);
        self.vertices[t].arc_type = ArcType::Regular;
        match c {
            Concrete::List(items) => {
                self.vertices[t].list = Some(ListInfo {
                    length: items.len(),
                    closed: vec![(items.len(), span)],
                });
                self.vertices[t].scalar.kinds = Kinds::LIST;
                for (i, item) in items.iter().enumerate() {
                    let val = self.val_from_concrete(item, span);
                    let a = self.arc(t, &Feature::Index(i));
                    self.vertices[a].arc_type = ArcType::Regular;
                    self.vertices[a].conjuncts.push(Conjunct {
                        kind: ConjunctKind::Val(val),
                        env: None,
                        group: None,
                    });
                }
            }
            Concrete::Struct(fields) => {
                self.vertices[t].struct_span = Some(span);
                self.vertices[t].scalar.kinds = Kinds::STRUCT;
                for (name, item) in fields.iter() {
                    let val = self.val_from_concrete(item, span);
                    let a = self.arc(t, &Feature::Regular(Arc::from(&**name)));
                    self.vertices[a].arc_type = ArcType::Regular;
                    self.vertices[a].conjuncts.push(Conjunct {
                        kind: ConjunctKind::Val(val),
                        env: None,
                        group: None,
                    });
                }
            }
            _ => {}
        }
        self.vertices[t].state = State::Expanded;
        self.finalize(t);
        Val::Node(t)
    }

    /// The message of `error(message)`. An interpolation in it that fails does not lose the
    /// message: the failed part is shown as written (`custom: (1 & 2)`), a part that is not
    /// concrete by what it is (`int`), as CUE prints them.
    fn error_message(&mut self, message: &'a Expr, env: &Env<'a>) -> String {
        let ExprKind::Interpolation(interp) = &message.kind else {
            let val = self.eval_expr(message, env);
            return match self.atom_of(&val, message.span) {
                Ok(Atom::String(s)) => s.to_string(),
                _ => self.describe_val(&val),
            };
        };
        let mut out = String::new();
        for part in &interp.parts {
            match part {
                InterpolationPart::Text(text) => out.push_str(text),
                InterpolationPart::Expr(x) => {
                    let val = self.eval_expr(x, env);
                    match &val {
                        Val::Atom(Atom::String(s), _) => out.push_str(s),
                        Val::Bottom(_) => {
                            let text = self.text(x.span);
                            if matches!(x.kind, ExprKind::Binary(..)) {
                                out.push_str(&format!("({text})"));
                            } else {
                                out.push_str(&text);
                            }
                        }
                        _ => out.push_str(&self.describe_val(&val)),
                    }
                }
            }
        }
        out
    }

    /// Whether the reference `e` names a field whose value is a validator written as a call
    /// (`b: a()`, or a field that refers to such a one), not the builtin itself
    /// (`a: json.Valid`): only the latter may be called. A field that is also the builtin
    /// itself (`a: json.Valid & json.Valid()`) may be.
    fn called_validator(&mut self, e: &'a Expr, env: &Env<'a>, depth: usize) -> bool {
        const FOLLOWED: usize = 8;
        if depth > FOLLOWED {
            return false;
        }
        match &e.kind {
            ExprKind::Call(..) => true,
            ExprKind::Paren(inner) => self.called_validator(inner, env, depth + 1),
            ExprKind::Ident(_) | ExprKind::Selector(..) => {
                let Ok(Resolved::Vertex(t)) = self.resolve(e, env) else {
                    return false;
                };
                let conjuncts = self.vertices[t].conjuncts.clone();
                !conjuncts.is_empty()
                    && conjuncts.iter().all(|c| match c.kind {
                        ConjunctKind::Expr(x) => self.called_validator(x, &c.env, depth + 1),
                        _ => false,
                    })
            }
            _ => false,
        }
    }

    pub(super) fn call(
        &mut self,
        callee: &'a Expr,
        args: &'a [Expr],
        env: &Env<'a>,
        span: Span,
    ) -> Val {
        let func = match self.resolve(callee, env) {
            Ok(Resolved::Val(Val::Func(f))) => f,
            Ok(_) => {
                let val = self.eval_expr(callee, env);
                match val {
                    Val::Bottom(err) => return Val::Bottom(err),
                    // A field holding a function (`fn: yaml.Validate`, then `fn(x)`).
                    Val::Func(f) => return self.call_func(f, args, env, span),
                    // A field holding a validator not called (`a: json.Valid`, then `a("3")`):
                    // the builtin it names.
                    Val::Scalar(ref scalar, _) if scalar.value.is_none() => {
                        if let Some(builtin) = uncalled_validator(scalar) {
                            if self.called_validator(callee, env, 0) {
                                // `a: json.Valid`, `b: a()`: `b` is the validator, called.
                                return Val::Bottom(EvalError::new(
                                    "INVALID",
                                    format!(
                                        "cannot call previously called validator {}",
                                        self.text(callee.span)
                                    ),
                                    vec![callee.span],
                                ));
                            }
                            return self.call_builtin(builtin, args, env, span);
                        }
                    }
                    _ => {}
                }
                let kind = match &val {
                    Val::Atom(atom, _) => atom.kind().name(),
                    Val::Scalar(scalar, _) => scalar.kinds.name(),
                    Val::Node(t) if self.vertices[self.resolve_forward(*t)].list.is_some() => {
                        "list".to_string()
                    }
                    Val::Node(_) => "struct".to_string(),
                    _ => "_".to_string(),
                };
                // A callee not yet concrete (`fn: _`, `fn: int`) may still become a function
                // (CUE: "cannot call non-concrete value fn (type _)", incomplete).
                let not_concrete = match &val {
                    Val::Top => true,
                    Val::Scalar(scalar, _) => scalar.checks.is_empty(),
                    _ => false,
                };
                if not_concrete {
                    return Val::Bottom(EvalError::incomplete(
                        format!(
                            "cannot call non-concrete value {} (type {kind})",
                            self.text(callee.span)
                        ),
                        vec![callee.span],
                    ));
                }
                let text = self.describe_val(&val);
                return Val::Bottom(EvalError::new(
                    "INVALID",
                    format!("cannot call non-function {text} (type {kind})"),
                    vec![callee.span],
                ));
            }
            Err(err) => return Val::Bottom(err),
        };
        self.call_func(func, args, env, span)
    }

    /// Applies a function to the arguments of a call.
    fn call_func(&mut self, func: Func, args: &'a [Expr], env: &Env<'a>, span: Span) -> Val {
        let arity_error = |n: usize| {
            Val::Bottom(EvalError::new(
                "ARGUMENTS",
                format!(
                    "wrong number of arguments: expected {n}, got {}",
                    args.len()
                ),
                vec![span],
            ))
        };
        match func {
            Func::Len => {
                if args.len() != 1 {
                    return arity_error(1);
                }
                let val = self.eval_expr(&args[0], env);
                match self.concrete_of(&val, args[0].span) {
                    Ok(Concrete::String(s)) => Val::Atom(Atom::Int(s.len() as i128), span),
                    Ok(Concrete::Bytes(b)) => Val::Atom(Atom::Int(b.len() as i128), span),
                    Ok(Concrete::List(l)) => Val::Atom(Atom::Int(l.len() as i128), span),
                    Ok(Concrete::Struct(s)) => Val::Atom(Atom::Int(s.len() as i128), span),
                    Ok(_) => Val::Bottom(EvalError::new(
                        "INVALID",
                        "invalid argument for len",
                        vec![args[0].span],
                    )),
                    Err(err) => Val::Bottom(err),
                }
            }
            Func::Close => {
                if args.len() != 1 {
                    return arity_error(1);
                }
                let key = (&args[0] as *const Expr as usize, env_key(env));
                if let Some(cycle) = self.inline_reentry(key) {
                    return inline_cycle_value(cycle, args[0].span);
                }
                let t = self.inline_vertex(false);
                self.vertices[t].arc_type = ArcType::Regular;
                let group = self.new_group(None, Closedness::Definition);
                self.groups[group].by_close = true;
                self.vertices[t].conjuncts.push(Conjunct {
                    kind: ConjunctKind::Expr(&args[0]),
                    env: env.clone(),
                    group: Some(group),
                });
                self.inline_stack.push((key, t));
                self.finalize(t);
                self.inline_stack.pop();
                self.value_of(t)
            }
            Func::And | Func::Or => {
                if args.len() != 1 {
                    return arity_error(1);
                }
                // The elements of a list written here are unified into (or are the choices
                // of) the value being evaluated: they stand at its level.
                let list = match &args[0].kind {
                    ExprKind::List(_) => self.value_in_inline_vertex(&args[0], env, true),
                    _ => self.eval_expr(&args[0], env),
                };
                let l = match list {
                    Val::Node(l) => l,
                    Val::Bottom(err) => return Val::Bottom(err),
                    Val::Atom(atom, _) => {
                        let name = if matches!(func, Func::Or) {
                            "or"
                        } else {
                            "and"
                        };
                        return Val::Bottom(EvalError::new(
                            "ARGUMENTS",
                            format!(
                                "cannot use {atom} (type {}) as list in argument 1 to {name}",
                                atom.kind().name()
                            ),
                            vec![args[0].span],
                        ));
                    }
                    _ => {
                        return Val::Bottom(EvalError::new(
                            "INVALID",
                            "expected a list",
                            vec![args[0].span],
                        ))
                    }
                };
                self.finalize(l);
                let l = self.resolve_forward(l);
                let items: Vec<VertexId> = self.vertices[l].arcs.clone();
                if matches!(func, Func::Or) {
                    if items.is_empty() {
                        return Val::Bottom(EvalError::new(
                            "EMPTY_DISJUNCTION",
                            "empty list in call to or",
                            vec![span],
                        ));
                    }
                    let options = items.iter().map(|&i| (self.value_of(i), false)).collect();
                    return Val::Disj(Arc::new(options));
                }
                // The elements unified, at the level of the value being evaluated.
                let t = self.inline_vertex(false);
                self.vertices[t].arc_type = ArcType::Regular;
                for i in items {
                    let conjuncts = self.vertices[i].conjuncts.clone();
                    self.vertices[t].conjuncts.extend(conjuncts);
                }
                self.finalize(t);
                let value = self.value_of(t);
                // A scalar keeps no definitions: those beside it must agree all the same
                // (`and([{2, #x: 1}, {2, #x: 2}])` is their conflict).
                if matches!(value, Val::Atom(..)) {
                    let t = self.resolve_forward(t);
                    for a in self.vertices[t].arcs.clone() {
                        if !matches!(self.vertices[a].feature, Some(Feature::Definition(_))) {
                            continue;
                        }
                        self.finalize(a);
                        let a = self.resolve_forward(a);
                        if let Some(err) = self.vertices[a].error.clone().filter(|e| !e.incomplete)
                        {
                            return Val::Bottom(err);
                        }
                    }
                }
                value
            }
            Func::Div | Func::Mod | Func::Quo | Func::Rem => {
                if args.len() != 2 {
                    return arity_error(2);
                }
                let x = self.eval_expr(&args[0], env);
                let y = self.eval_expr(&args[1], env);
                let name = match func {
                    Func::Div => "div",
                    Func::Mod => "mod",
                    Func::Quo => "quo",
                    _ => "rem",
                };
                let mut ints = [0i128; 2];
                for (i, val) in [x, y].iter().enumerate() {
                    match self.atom_of(val, args[i].span) {
                        Ok(Atom::Int(n)) => ints[i] = n,
                        Err(err) => return Val::Bottom(err),
                        Ok(other) => {
                            return Val::Bottom(EvalError::new(
                                "ARGUMENTS",
                                format!(
                                    "cannot use {other} (type {}) as int in argument {} to {name}",
                                    other.kind().name(),
                                    i + 1
                                ),
                                vec![args[i].span],
                            ))
                        }
                    }
                }
                let [x, y] = ints;
                if y == 0 {
                    return Val::Bottom(EvalError::new("DIVISION", "division by zero", vec![span]));
                }
                let result = match func {
                    Func::Div => x.div_euclid(y),
                    Func::Mod => x.rem_euclid(y),
                    Func::Quo => x / y,
                    _ => x % y,
                };
                Val::Atom(Atom::Int(result), span)
            }
            Func::Error => {
                if args.len() != 1 {
                    return arity_error(1);
                }
                let message = self.error_message(&args[0], env);
                Val::Bottom(EvalError::new("USER", message, vec![span]))
            }
            Func::Validator(_) => Val::Top,
            Func::Builtin(builtin) => self.call_builtin(builtin, args, env, span),
            Func::Schema(builtin) => self.call_schema_builtin(builtin, args, env, span),
        }
    }

    pub(super) fn call_builtin(
        &mut self,
        builtin: &'static Builtin,
        args: &'a [Expr],
        env: &Env<'a>,
        span: Span,
    ) -> Val {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            let val = self.eval_expr(arg, env);
            match self.concrete_of(&val, arg.span) {
                Ok(c) => values.push(c),
                // A scalar argument not yet concrete: CUE names the call ("error in call to
                // strings.ContainsAny: non-concrete value string").
                Err(err) if err.incomplete && matches!(val, Val::Scalar(..)) => {
                    let message = format!(
                        "error in call to {}.{}: non-concrete value {}",
                        builtin.package,
                        builtin.name,
                        self.describe_val(&val)
                    );
                    return Val::Bottom(EvalError::incomplete(message, vec![span, arg.span]));
                }
                // CUE names the call whose argument contains itself.
                Err(err)
                    if err.code == STRUCTURAL_CYCLE
                        && !err.message.starts_with("error in call to") =>
                {
                    let message = format!(
                        "error in call to {}.{}: {}",
                        builtin.package, builtin.name, err.message
                    );
                    return Val::Bottom(EvalError::new(STRUCTURAL_CYCLE, message, vec![span]));
                }
                Err(err) => return Val::Bottom(err),
            }
        }
        let params = builtin.params;
        let is_validator = builtin.is_validator_call(values.len());
        let offset = usize::from(is_validator);
        for (i, value) in values.iter().enumerate() {
            if let Some(&kind) = params.get(i + offset) {
                if !kind_accepts(kind, value) {
                    return Val::Bottom(EvalError::new(
                        "ARGUMENTS",
                        format!(
                            "cannot use {} (type {}) as {} in argument {} to {}.{}",
                            builtins::format_concrete(value),
                            builtins::kind_name(value),
                            kind_name(kind),
                            i + 1,
                            builtin.package,
                            builtin.name
                        ),
                        vec![args[i].span],
                    ));
                }
            }
        }
        if is_validator {
            return Val::Scalar(Arc::new(validator_scalar(builtin, values, span)), span);
        }
        if !builtin.accepts_arity(values.len()) {
            let expected = if builtin.required == params.len() {
                params.len().to_string()
            } else {
                format!("{} to {}", builtin.required, params.len())
            };
            return Val::Bottom(EvalError::new(
                "ARGUMENTS",
                format!(
                    "wrong number of arguments in call to {}.{}: expected {expected}, got {}",
                    builtin.package,
                    builtin.name,
                    values.len()
                ),
                vec![span],
            ));
        }
        match (builtin.func)(&values) {
            Ok(result) => self.val_from_concrete(&result, span),
            // A validator's "not satisfied" is a plain `false` when called as a function.
            Err(err) if err.unsatisfied => Val::Atom(Atom::Bool(false), span),
            Err(err) => Val::Bottom(EvalError::new(
                "BUILTIN",
                builtins::call_error_message(builtin, &err),
                vec![span],
            )),
        }
    }
}
