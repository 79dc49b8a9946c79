//! Expressions: evaluating an expression in an environment to a [`Val`]; literals, number
//! literals, interpolations and unary operators (bounds, `!=`, `=~` and `!~` included).
//! Binary operators are in `binop.rs`, calls in `call.rs`.

use std::sync::Arc;

use super::closed::ClosingBuiltin;
use super::conjunct::{env_key, Conjunct, ConjunctKind, Env};
use super::cycle::inline_cycle_value;
use super::resolve::Resolved;
use super::values::Val;
use super::vertex::{ArcType, Feature, ListInfo, State, VertexId};
use super::Eval;
use crate::ast::{self, BinaryOp, Expr, ExprKind, UnaryOp};
use crate::builtins::Concrete;
use crate::decimal::Decimal;
use crate::source::Span;
use crate::value::{
    check_text, quote_string, Atom, BoundOp, Check, EvalError, KindText, Kinds, Scalar,
    SpannedCheck,
};

/// Whether `op` makes a constraint of its operand (`<3`, `!=x`, `=~"a"`), not a value.
fn is_constraint(op: UnaryOp) -> bool {
    matches!(
        op,
        UnaryOp::NotEqual
            | UnaryOp::Equal
            | UnaryOp::Less
            | UnaryOp::LessEqual
            | UnaryOp::Greater
            | UnaryOp::GreaterEqual
            | UnaryOp::Match
            | UnaryOp::NotMatch
    )
}

pub(super) fn atom_text(atom: &Atom) -> String {
    atom.to_string()
}

/// Parses a CUE number literal: `1_000`, `0x1F`, `0o17`, `0b101`, `1.5`, `1e3`, `1Ki`, `1.5G`.
pub(crate) fn parse_number(text: &str) -> Result<Atom, String> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let (digits, multiplier) = split_multiplier(&clean);
    let invalid = || format!("invalid number literal {text}");
    if let Some(multiplier) = multiplier {
        let value: f64 = digits.parse().map_err(|_| invalid())?;
        let result = value * multiplier as f64;
        if result.fract() != 0.0 {
            return Err(format!("number literal {text} is not an integer"));
        }
        return Ok(Atom::Int(result as i128));
    }
    let radix = |prefix: &str, radix: u32| -> Option<Result<Atom, String>> {
        let rest = digits.strip_prefix(prefix)?;
        Some(
            i128::from_str_radix(rest, radix)
                .map(Atom::Int)
                .map_err(|_| invalid()),
        )
    };
    if let Some(r) = radix("0x", 16).or_else(|| radix("0X", 16)) {
        return r;
    }
    if let Some(r) = radix("0o", 8).or_else(|| radix("0O", 8)) {
        return r;
    }
    if let Some(r) = radix("0b", 2).or_else(|| radix("0B", 2)) {
        return r;
    }
    if digits.contains(['.', 'e', 'E']) {
        let value: f64 = digits.parse().map_err(|_| invalid())?;
        return Ok(Atom::Float(value, Arc::from(text)));
    }
    digits
        .parse::<i128>()
        .map(Atom::Int)
        .map_err(|_| format!("integer literal {text} is out of range"))
}

pub(super) fn split_multiplier(text: &str) -> (&str, Option<i128>) {
    const UNITS: [(&str, i128); 10] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("K", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
    ];
    if text.starts_with("0x") || text.starts_with("0X") {
        return (text, None);
    }
    for (suffix, factor) in UNITS {
        if let Some(digits) = text.strip_suffix(suffix) {
            return (digits, Some(factor));
        }
    }
    (text, None)
}

impl<'a> Eval<'a> {
    pub(super) fn eval_expr(&mut self, e: &'a Expr, env: &Env<'a>) -> Val {
        self.with_stack(|this| this.eval_expr_guarded(e, env))
    }

    pub(super) fn eval_expr_guarded(&mut self, e: &'a Expr, env: &Env<'a>) -> Val {
        let aborted = |this: &Self| {
            Val::Bottom(this.aborted.clone().unwrap_or_else(|| {
                EvalError::new("TOO_COMPLEX", "evaluation aborted", vec![e.span])
            }))
        };
        if !self.step() {
            return aborted(self);
        }
        if !self.enter() {
            self.leave();
            return aborted(self);
        }
        let val = self.eval_expr_inner(e, env);
        self.leave();
        val
    }

    pub(super) fn eval_expr_inner(&mut self, e: &'a Expr, env: &Env<'a>) -> Val {
        let span = e.span;
        match &e.kind {
            ExprKind::Null => Val::Atom(Atom::Null, span),
            ExprKind::Bool(b) => Val::Atom(Atom::Bool(*b), span),
            ExprKind::Int(text) => match parse_number(text) {
                Ok(atom) => Val::Atom(atom, span),
                Err(message) => Val::Bottom(EvalError::new("NUMBER", message, vec![span])),
            },
            ExprKind::Float(text) => match parse_number(text) {
                Ok(Atom::Int(i))
                    if text
                        .chars()
                        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
                {
                    Val::Atom(Atom::Int(i), span)
                }
                Ok(Atom::Int(i)) => {
                    Val::Atom(Atom::Float(i as f64, Arc::from(text.as_str())), span)
                }
                Ok(atom) => Val::Atom(atom, span),
                Err(message) => Val::Bottom(EvalError::new("NUMBER", message, vec![span])),
            },
            ExprKind::String(s) => Val::Atom(Atom::String(Arc::from(s.as_str())), span),
            ExprKind::Bytes(b) => Val::Atom(Atom::Bytes(Arc::from(b.as_slice())), span),
            ExprKind::Top => Val::Top,
            ExprKind::Bottom => Val::Bottom(EvalError::new(
                "EXPLICIT_ERROR",
                "explicit error (_|_ literal) in source",
                vec![span],
            )),
            ExprKind::Interpolation(interp) => self.interpolate(interp, env, span),
            ExprKind::Ident(_) | ExprKind::Selector(..) | ExprKind::Index(..) => {
                match self.resolve(e, env) {
                    Ok(Resolved::Vertex(t)) => {
                        if let Some(err) = self.absent_field(t, e.span) {
                            return Val::Bottom(err);
                        }
                        self.finalize(t);
                        let read = self.resolve_forward(t);
                        self.note_cycle_read(read);
                        match self.value_of(t) {
                            Val::Top if self.in_progress(read) => Val::Bottom(self.cycle_error(e)),
                            value => value,
                        }
                    }
                    // A value alias read within its own value (`b: X=3 + X`) before the
                    // value has anything: the cycle gives none.
                    Ok(Resolved::Val(Val::Node(n)))
                        if self.in_progress(n) && matches!(self.value_of(n), Val::Top) =>
                    {
                        Val::Bottom(self.cycle_error(e))
                    }
                    Ok(Resolved::Val(val)) => val,
                    Ok(Resolved::Conjunct(c)) => match c.kind {
                        ConjunctKind::Expr(x) => self.eval_expr(x, &c.env),
                        ConjunctKind::Val(val) => val,
                        ConjunctKind::File { .. } => Val::Top,
                    },
                    Err(err) => Val::Bottom(err),
                }
            }
            ExprKind::Paren(inner) | ExprKind::Optional(inner) => self.eval_expr(inner, env),
            ExprKind::Unary(UnaryOp::Open, _) => self.value_in_vertex(e, env),
            ExprKind::Unary(op, operand) => self.unary(*op, operand, env, span),
            ExprKind::Call(callee, _) if ClosingBuiltin::named(callee).is_some() => {
                self.value_in_vertex(e, env)
            }
            ExprKind::Binary(BinaryOp::Conjunction | BinaryOp::Disjunction, ..)
            | ExprKind::Struct(_)
            | ExprKind::Alias(..)
            | ExprKind::List(_) => self.value_in_vertex(e, env),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, env, span),
            ExprKind::Call(callee, args) => self.call(callee, args, env, span),
            ExprKind::Comprehension(_) => Val::Bottom(EvalError::new(
                "UNSUPPORTED",
                "comprehension not allowed here",
                vec![span],
            )),
            ExprKind::Slice(base, lo, hi) => {
                self.slice(base, lo.as_deref(), hi.as_deref(), env, span)
            }
        }
    }

    /// A slice of a list, `l[lo:hi]`: a new list of the elements from `lo` up to `hi`
    /// (each keeps its conjuncts, so a constraint stays one).
    fn slice(
        &mut self,
        base: &'a Expr,
        lo: Option<&'a Expr>,
        hi: Option<&'a Expr>,
        env: &Env<'a>,
        span: Span,
    ) -> Val {
        let list = match self.eval_expr(base, env) {
            Val::Node(t) => {
                self.finalize(t);
                let t = self.resolve_forward(t);
                if self.vertices[t].list.is_some() {
                    Some(t)
                } else {
                    None
                }
            }
            Val::Bottom(err) => return Val::Bottom(err),
            _ => None,
        };
        let Some(list) = list else {
            let val = self.eval_expr(base, env);
            let text = self.describe_val(&val);
            let message = format!("cannot slice {text} (type {})", self.kind_name_of(&val));
            // A value not concrete yet may still become a list.
            if matches!(val, Val::Top | Val::Scalar(..) | Val::Disj(_)) {
                return Val::Bottom(EvalError::incomplete(message, vec![span]));
            }
            return Val::Bottom(EvalError::new("INVALID", message, vec![span]));
        };
        let elements: Vec<VertexId> = self.vertices[list]
            .arcs
            .iter()
            .copied()
            .filter(|&a| matches!(self.vertices[a].feature, Some(Feature::Index(_))))
            .collect();
        let mut bounds = [0usize, elements.len()];
        for (i, index) in [lo, hi].into_iter().enumerate() {
            let Some(index) = index else { continue };
            let val = self.eval_expr(index, env);
            match self.atom_of(&val, index.span) {
                Ok(Atom::Int(n)) if n < 0 => {
                    return Val::Bottom(EvalError::new(
                        "INDEX",
                        format!("cannot convert negative number {n} to slice index"),
                        vec![index.span],
                    ))
                }
                Ok(Atom::Int(n)) => bounds[i] = usize::try_from(n).unwrap_or(usize::MAX),
                Ok(other) => {
                    return Val::Bottom(EvalError::new(
                        "INVALID",
                        format!(
                            "cannot use {other} (type {}) as type int in slice index",
                            other.kind().name()
                        ),
                        vec![span, index.span],
                    ))
                }
                Err(err) => return Val::Bottom(err),
            }
        }
        let [lo, hi] = bounds;
        for n in [lo, hi] {
            if n > elements.len() {
                return Val::Bottom(EvalError::new(
                    "INDEX",
                    format!("index {n} out of range"),
                    vec![span],
                ));
            }
        }
        if lo > hi {
            return Val::Bottom(EvalError::new(
                "INDEX",
                format!("invalid slice index: {lo} > {hi}"),
                vec![span],
            ));
        }
        let t = self.new_vertex(None, None);
        self.vertices[t].arc_type = ArcType::Regular;
        self.vertices[t].list = Some(ListInfo {
            length: hi - lo,
            closed: vec![(hi - lo, span)],
        });
        self.vertices[t].scalar.kinds = Kinds::LIST;
        for (i, &element) in elements[lo..hi].iter().enumerate() {
            let a = self.arc(t, &Feature::Index(i));
            self.vertices[a].arc_type = ArcType::Regular;
            self.vertices[a].conjuncts.push(Conjunct {
                kind: ConjunctKind::Val(Val::Node(element)),
                env: None,
                group: None,
            });
        }
        self.vertices[t].state = State::Expanded;
        self.finalize(t);
        Val::Node(t)
    }

    /// The kind of a value, as messages name it.
    fn kind_name_of(&mut self, val: &Val) -> String {
        match val {
            Val::Atom(atom, _) => atom.kind().name(),
            Val::Node(t) if self.vertices[*t].struct_span.is_some() => "struct".to_string(),
            Val::Scalar(scalar, _) => scalar.kinds.name(),
            _ => "_".to_string(),
        }
    }

    pub(super) fn interpolate(
        &mut self,
        interp: &'a ast::Interpolation,
        env: &Env<'a>,
        span: Span,
    ) -> Val {
        // A bytes interpolation keeps bytes parts as they are: `raw` holds what is done, `out`
        // the text since.
        let mut raw: Vec<u8> = Vec::new();
        let mut out = String::new();
        for part in &interp.parts {
            match part {
                ast::InterpolationPart::Text(text) => out.push_str(text),
                ast::InterpolationPart::Expr(x) => {
                    let val = self.eval_expr(x, env);
                    if let Some(err) = self.invalid_interpolation(&val, x.span, span) {
                        return Val::Bottom(err);
                    }
                    match self.atom_of(&val, x.span) {
                        Ok(Atom::String(s)) => out.push_str(&s),
                        Ok(Atom::Bytes(b)) if interp.is_bytes => {
                            raw.extend_from_slice(out.as_bytes());
                            out.clear();
                            raw.extend_from_slice(&b);
                        }
                        Ok(Atom::Bytes(b)) => push_valid_utf8(&mut out, &b),
                        Ok(Atom::Int(i)) => out.push_str(&i.to_string()),
                        Ok(Atom::Float(_, text)) => match Decimal::parse(&text) {
                            Some(decimal) => out.push_str(&decimal.to_string()),
                            None => out.push_str(&text),
                        },
                        Ok(Atom::Bool(b)) => out.push_str(&b.to_string()),
                        Ok(Atom::Null) => {
                            return Val::Bottom(EvalError::new(
                                "INVALID",
                                "cannot interpolate null",
                                vec![x.span],
                            ))
                        }
                        Err(err) => return Val::Bottom(err),
                    }
                }
            }
        }
        if interp.is_bytes {
            raw.extend_from_slice(out.as_bytes());
            Val::Atom(Atom::Bytes(Arc::from(raw.as_slice())), span)
        } else {
            Val::Atom(Atom::String(Arc::from(out.as_str())), span)
        }
    }

    /// Why a part of an interpolation (`"\(x)"`) cannot be turned into text, as CUE says it:
    /// `invalid interpolation: ` and the part's own error, or what it is when it is not
    /// concrete or not a scalar. `None` for a concrete scalar.
    fn invalid_interpolation(
        &mut self,
        val: &Val,
        part: Span,
        whole: Span,
    ) -> Option<Arc<EvalError>> {
        const PREFIX: &str = "invalid interpolation: ";
        let (code, incomplete, message, spans) = match val {
            Val::Atom(..) => return None,
            Val::Bottom(err) if err.message.starts_with(PREFIX) => return Some(err.clone()),
            Val::Bottom(err) => (
                err.code,
                err.incomplete,
                err.message.clone(),
                [vec![whole], err.spans.clone()].concat(),
            ),
            Val::Top | Val::Scalar(..) => {
                let kinds = match val {
                    Val::Scalar(scalar, _) => scalar.kinds.name(),
                    _ => "_".to_string(),
                };
                let text = self.describe_val(val);
                (
                    "INCOMPLETE",
                    true,
                    format!("non-concrete value {text} (type {kinds})"),
                    vec![whole, part],
                )
            }
            Val::Node(t) => {
                let t = *t;
                self.finalize(t);
                let t = self.resolve_forward(t);
                let kind = if self.vertices[t].list.is_some() {
                    "list"
                } else if self.vertices[t].struct_span.is_some() {
                    "struct"
                } else {
                    return None;
                };
                let text = self.describe_value(t);
                (
                    "INVALID",
                    false,
                    format!("cannot use {text} (type {kind}) as type (bool|string|bytes|number)"),
                    vec![whole, part],
                )
            }
            Val::Disj(_) | Val::Func(_) | Val::Package(_) => return None,
        };
        Some(Arc::new(EvalError {
            code,
            message: format!("{PREFIX}{message}"),
            spans,
            incomplete,
            sub: Vec::new(),
        }))
    }

    /// The error of a bound whose operand is not concrete (`<(<3)`, `>(n)` with `n: number`):
    /// CUE names the operand as written when it is a reference, else by its value.
    fn non_concrete_bound(&mut self, op: UnaryOp, operand: &'a Expr, val: &Val) -> Arc<EvalError> {
        let mut inner = operand;
        while let ExprKind::Paren(x) = &inner.kind {
            inner = x;
        }
        let text = match inner.kind {
            ExprKind::Ident(_) | ExprKind::Selector(..) => self.text(inner.span),
            _ => self.describe_val(val),
        };
        EvalError::incomplete(
            format!("non-concrete value {text} for bound {}", op.as_str()),
            vec![operand.span],
        )
    }

    /// The value of `e` evaluated as the only conjunct of a vertex of its own.
    fn value_in_vertex(&mut self, e: &'a Expr, env: &Env<'a>) -> Val {
        self.value_in_inline_vertex(e, env, false)
    }

    /// [`Eval::value_in_vertex`] in a vertex noted as inline (see [`Eval::inline_vertex`]).
    pub(super) fn value_in_inline_vertex(&mut self, e: &'a Expr, env: &Env<'a>, flat: bool) -> Val {
        let key = (e as *const Expr as usize, env_key(env));
        if let Some(cycle) = self.inline_reentry(key) {
            return inline_cycle_value(cycle, e.span);
        }
        let t = self.inline_vertex(flat);
        self.vertices[t].arc_type = ArcType::Regular;
        self.vertices[t].conjuncts.push(Conjunct {
            kind: ConjunctKind::Expr(e),
            env: env.clone(),
            group: None,
        });
        self.inline_stack.push((key, t));
        self.finalize(t);
        self.inline_stack.pop();
        self.value_of(t)
    }

    /// Whether an operand is written as a predeclared type (`bool`, `int`, `_`) or a bound
    /// (`>0`), in parentheses or not: a value that is never concrete, whatever the data.
    pub(super) fn written_as_type_or_bound(&mut self, operand: &'a Expr, env: &Env<'a>) -> bool {
        match &operand.kind {
            ExprKind::Paren(inner) => self.written_as_type_or_bound(inner, env),
            ExprKind::Top => true,
            ExprKind::Unary(op, _) => is_constraint(*op),
            ExprKind::Ident(_) => matches!(
                self.resolve(operand, env),
                Ok(Resolved::Val(Val::Scalar(scalar, _))) if scalar.checks.is_empty()
            ),
            _ => false,
        }
    }

    pub(super) fn unary(
        &mut self,
        op: UnaryOp,
        operand: &'a Expr,
        env: &Env<'a>,
        span: Span,
    ) -> Val {
        let val = self.eval_expr(operand, env);
        if op == UnaryOp::Default {
            return val;
        }
        // `==x` of a concrete list is the list: a list literal is closed. `==x` of a concrete
        // struct and `!=x` of a concrete struct or list (`@experiment(structcmp)`) check the
        // final value against `x`, compared structurally.
        if matches!(op, UnaryOp::Equal | UnaryOp::NotEqual) {
            if let Val::Node(t) = val {
                let t = self.resolve_forward(t);
                let is_list = self.vertices[t].list.is_some();
                match self.concrete_of(&val, operand.span) {
                    Ok(_) if is_list && op == UnaryOp::Equal => return val,
                    Ok(value @ (Concrete::List(_) | Concrete::Struct(_))) => {
                        let kinds = if is_list { Kinds::LIST } else { Kinds::STRUCT };
                        let check = SpannedCheck {
                            check: Check::Structural {
                                value: Arc::new(value),
                                equal: op == UnaryOp::Equal,
                            },
                            span,
                            text: None,
                        };
                        let text = check_text(&check);
                        return Val::Scalar(
                            Arc::new(Scalar {
                                kinds,
                                kind_span: Some(span),
                                kind_text: Some(KindText::from(text.as_str())),
                                value: None,
                                checks: vec![check],
                            }),
                            span,
                        );
                    }
                    _ => {}
                }
            }
        }
        let atom = match self.atom_of(&val, operand.span) {
            Ok(atom) => atom,
            Err(err) if err.incomplete && is_constraint(op) => {
                return Val::Bottom(self.non_concrete_bound(op, operand, &val))
            }
            // `-x`, `+x` and `!x` of a value not yet concrete, named as written.
            Err(err) if err.incomplete && matches!(val, Val::Scalar(..) | Val::Top) => {
                let kinds = match &val {
                    Val::Scalar(scalar, _) => scalar.kinds,
                    _ => Kinds::ALL,
                };
                // A value that can never become what the operator takes is an error already,
                // and so is an operand written as a type or a bound (`!bool`, `-int`): CUE
                // refuses it before evaluating, where a reference is merely incomplete.
                let takes = if op == UnaryOp::Not {
                    Kinds::BOOL
                } else {
                    Kinds::NUMBER
                };
                if kinds.and(takes).is_empty() || self.written_as_type_or_bound(operand, env) {
                    return Val::Bottom(EvalError::new(
                        "INVALID",
                        format!(
                            "invalid operand {} ('{}' requires concrete value)",
                            self.describe_val(&val),
                            op.as_str()
                        ),
                        vec![operand.span],
                    ));
                }
                let kinds = kinds.name();
                return Val::Bottom(EvalError::incomplete(
                    format!(
                        "operand {} of '{}' not concrete (was {kinds})",
                        self.text(operand.span),
                        op.as_str()
                    ),
                    vec![operand.span],
                ));
            }
            Err(err) => return Val::Bottom(err),
        };
        let invalid = |what: &str| {
            Val::Bottom(EvalError::new(
                "INVALID",
                format!(
                    "invalid operation {}{} ({what})",
                    op.as_str(),
                    atom_text(&atom)
                ),
                vec![span],
            ))
        };
        if atom == Atom::Null
            && is_constraint(op)
            && !matches!(op, UnaryOp::NotEqual | UnaryOp::Equal)
        {
            return Val::Bottom(EvalError::new(
                "INVALID",
                format!("cannot use null for bound {}", op.as_str()),
                vec![span],
            ));
        }
        let bound = |op: BoundOp, atom: Atom| {
            let kinds = match atom.kind() {
                Kinds::INT | Kinds::FLOAT => Kinds::NUMBER,
                k => k,
            };
            let text: Arc<str> = Arc::from(format!("{}{}", op.as_str(), atom).as_str());
            Val::Scalar(
                Arc::new(Scalar {
                    kinds,
                    kind_span: Some(span),
                    kind_text: Some(KindText::from(text.clone())),
                    value: None,
                    checks: vec![SpannedCheck {
                        check: Check::Bound(op, atom),
                        span,
                        text: None,
                    }],
                }),
                span,
            )
        };
        match op {
            UnaryOp::Plus => match atom {
                Atom::Int(_) | Atom::Float(..) => Val::Atom(atom, span),
                _ => invalid("operand must be a number"),
            },
            UnaryOp::Neg => match atom {
                Atom::Int(i) => Val::Atom(Atom::Int(-i), span),
                Atom::Float(f, text) => {
                    let text = match text.strip_prefix('-') {
                        Some(t) => Arc::from(t),
                        None => Arc::from(format!("-{text}").as_str()),
                    };
                    Val::Atom(Atom::Float(-f, text), span)
                }
                _ => invalid("operand must be a number"),
            },
            UnaryOp::Not => match atom {
                Atom::Bool(b) => Val::Atom(Atom::Bool(!b), span),
                _ => invalid("operand must be a bool"),
            },
            UnaryOp::Less | UnaryOp::LessEqual | UnaryOp::Greater | UnaryOp::GreaterEqual => {
                if !matches!(
                    atom,
                    Atom::Int(_) | Atom::Float(..) | Atom::String(_) | Atom::Bytes(_)
                ) {
                    return invalid("bounds need a number, string or bytes");
                }
                let op = match op {
                    UnaryOp::Less => BoundOp::Less,
                    UnaryOp::LessEqual => BoundOp::LessEqual,
                    UnaryOp::Greater => BoundOp::Greater,
                    _ => BoundOp::GreaterEqual,
                };
                bound(op, atom)
            }
            // `!=0` is a number other than 0: the operand's kind constrains the value's.
            UnaryOp::NotEqual => Val::Scalar(
                Arc::new(Scalar {
                    kinds: match atom.kind() {
                        Kinds::INT | Kinds::FLOAT => Kinds::NUMBER,
                        Kinds::NULL => Kinds::ALL,
                        k => k,
                    },
                    kind_span: Some(span),
                    kind_text: Some(KindText::from(format!("!={atom}").as_str())),
                    value: None,
                    checks: vec![SpannedCheck {
                        check: Check::NotEqual(atom),
                        span,
                        text: None,
                    }],
                }),
                span,
            ),
            UnaryOp::Match | UnaryOp::NotMatch => {
                let Atom::String(pattern) = &atom else {
                    return invalid("a regular expression must be a string");
                };
                match crate::re2::compile_matcher(pattern) {
                    Ok(regex) => Val::Scalar(
                        Arc::new(Scalar {
                            kinds: Kinds::STRING,
                            kind_span: Some(span),
                            kind_text: Some(KindText::from(
                                format!(
                                    "{}{}",
                                    if op == UnaryOp::NotMatch { "!~" } else { "=~" },
                                    quote_string(pattern)
                                )
                                .as_str(),
                            )),
                            value: None,
                            checks: vec![SpannedCheck {
                                check: Check::Regex {
                                    regex,
                                    pattern: pattern.clone(),
                                    negate: op == UnaryOp::NotMatch,
                                },
                                span,
                                text: None,
                            }],
                        }),
                        span,
                    ),
                    Err(err) => {
                        Val::Bottom(EvalError::new("REGEX", err.to_string(), vec![operand.span]))
                    }
                }
            }
            // `==x` of a concrete scalar is that value, and a bound: another value conflicts
            // with it as with a bound ("invalid value 2 (out of bound ==1)").
            UnaryOp::Equal => {
                let text: Arc<str> = Arc::from(format!("=={atom}").as_str());
                Val::Scalar(
                    Arc::new(Scalar {
                        kinds: atom.kind(),
                        kind_span: Some(span),
                        kind_text: Some(KindText::from(text.clone())),
                        value: Some((atom.clone(), span)),
                        checks: vec![SpannedCheck {
                            check: Check::Structural {
                                value: Arc::new(atom.to_concrete()),
                                equal: true,
                            },
                            span,
                            text: None,
                        }],
                    }),
                    span,
                )
            }
            UnaryOp::Default | UnaryOp::Open => val,
        }
    }
}

/// Appends bytes as text, each run of bytes that is not UTF-8 replaced by one U+FFFD, as CUE
/// turns bytes into a string.
fn push_valid_utf8(out: &mut String, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                out.push_str(text);
                return;
            }
            Err(err) => {
                let (valid, rest) = bytes.split_at(err.valid_up_to());
                // `valid_up_to` bytes are UTF-8 by the error's contract.
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let mut skip = err.error_len().unwrap_or(rest.len());
                while skip < rest.len() {
                    match std::str::from_utf8(&rest[skip..]) {
                        Err(next) if next.valid_up_to() == 0 => {
                            skip += next.error_len().unwrap_or(rest.len() - skip);
                        }
                        _ => break,
                    }
                }
                out.push('\u{FFFD}');
                bytes = &rest[skip..];
            }
        }
    }
}
