//! Binary operations: `&&` and `||`, comparisons (`x == _|_` included), arithmetic on numbers,
//! strings, bytes and lists, and matching.

use std::sync::Arc;

use super::conjunct::Env;
use super::errors::NON_CONCRETE;
use super::expr::atom_text;
use super::resolve::Resolved;
use super::values::{concrete_equal, Val};
use super::vertex::{ArcType, VertexId};
use super::Eval;
use crate::ast::{BinaryOp, Expr, ExprKind};
use crate::builtins::Concrete;
use crate::decimal::Decimal;
use crate::source::Span;
use crate::value::{format_float, Atom, EvalError};

pub(super) fn arithmetic(op: BinaryOp, l: &Atom, r: &Atom) -> Result<Atom, String> {
    use std::cmp::Ordering;
    let mismatch = || {
        format!(
            "invalid operands {} and {} to '{}' (type {} and {})",
            l,
            r,
            op.as_str(),
            l.kind().name(),
            r.kind().name()
        )
    };
    let overflow = || format!("integer overflow in {} {} {}", l, op.as_str(), r);
    match op {
        BinaryOp::Less | BinaryOp::LessEqual | BinaryOp::Greater | BinaryOp::GreaterEqual => {
            let ordering = crate::value::compare(l, r).ok_or_else(mismatch)?;
            let result = match op {
                BinaryOp::Less => ordering == Ordering::Less,
                BinaryOp::LessEqual => ordering != Ordering::Greater,
                BinaryOp::Greater => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            };
            Ok(Atom::Bool(result))
        }
        BinaryOp::Match | BinaryOp::NotMatch => match (l, r) {
            (Atom::String(s), Atom::String(pattern)) => {
                let regex = crate::re2::compile_matcher(pattern).map_err(|e| e.to_string())?;
                Ok(Atom::Bool(regex.is_match(s) == (op == BinaryOp::Match)))
            }
            // The pattern or the matched value is not text.
            (Atom::String(_), other) | (other, _) => Err(format!(
                "cannot use {other} (type {}) as type (string|bytes)",
                other.kind().name()
            )),
        },
        BinaryOp::Add => match (l, r) {
            (Atom::Int(a), Atom::Int(b)) => a.checked_add(*b).map(Atom::Int).ok_or_else(overflow),
            (Atom::String(a), Atom::String(b)) => {
                Ok(Atom::String(Arc::from(format!("{a}{b}").as_str())))
            }
            (Atom::Bytes(a), Atom::Bytes(b)) => {
                Ok(Atom::Bytes(Arc::from([&a[..], &b[..]].concat().as_slice())))
            }
            _ => float_op(l, r, Decimal::add, |a, b| a + b).ok_or_else(mismatch),
        },
        BinaryOp::Sub => match (l, r) {
            (Atom::Int(a), Atom::Int(b)) => a.checked_sub(*b).map(Atom::Int).ok_or_else(overflow),
            _ => float_op(l, r, Decimal::sub, |a, b| a - b).ok_or_else(mismatch),
        },
        BinaryOp::Mul => match (l, r) {
            (Atom::Int(a), Atom::Int(b)) => a.checked_mul(*b).map(Atom::Int).ok_or_else(overflow),
            (Atom::String(s), Atom::Int(n)) | (Atom::Int(n), Atom::String(s)) => {
                if *n < 0 || (*n as usize).saturating_mul(s.len()) > 1 << 24 {
                    return Err(format!("invalid string repetition count {n}"));
                }
                Ok(Atom::String(Arc::from(s.repeat(*n as usize).as_str())))
            }
            (Atom::Bytes(s), Atom::Int(n)) | (Atom::Int(n), Atom::Bytes(s)) => {
                if *n < 0 || (*n as usize).saturating_mul(s.len()) > 1 << 24 {
                    return Err(format!("invalid bytes repetition count {n}"));
                }
                Ok(Atom::Bytes(Arc::from(s.repeat(*n as usize).as_slice())))
            }
            _ => float_op(l, r, Decimal::mul, |a, b| a * b).ok_or_else(mismatch),
        },
        BinaryOp::Div => {
            let (a, b) = (
                l.as_f64().ok_or_else(mismatch)?,
                r.as_f64().ok_or_else(mismatch)?,
            );
            if b == 0.0 {
                // 0/0 has no value at all; any other number divided by zero is infinite.
                return Err(if a == 0.0 {
                    "failed arithmetic: division undefined".into()
                } else {
                    "failed arithmetic: division by zero".into()
                });
            }
            if let (Some(x), Some(y)) = (decimal_of(l), decimal_of(r)) {
                if let Some(quotient) = x.div(y) {
                    return Ok(decimal_atom(quotient));
                }
            }
            Ok(Atom::float(a / b))
        }
        _ => Err(mismatch()),
    }
}

/// Arithmetic on numbers of which one is a float: exact in decimal, as CUE computes, where both
/// are decimals whose result fits; else in binary floating point.
fn float_op(
    l: &Atom,
    r: &Atom,
    exact: fn(Decimal, Decimal) -> Option<Decimal>,
    f: impl Fn(f64, f64) -> f64,
) -> Option<Atom> {
    let (a, b) = (l.as_f64()?, r.as_f64()?);
    if let (Some(x), Some(y)) = (decimal_of(l), decimal_of(r)) {
        if let Some(result) = exact(x, y) {
            return Some(decimal_atom(result));
        }
    }
    let value = f(a, b);
    Some(Atom::Float(value, Arc::from(format_float(value).as_str())))
}

fn decimal_of(atom: &Atom) -> Option<Decimal> {
    match atom {
        Atom::Int(i) => Some(Decimal::from_int(*i)),
        Atom::Float(_, text) => Decimal::parse(text),
        _ => None,
    }
}

/// A float result in CUE's spelling, with a point when it has neither point nor exponent
/// (`20 / 4` is `5.0`).
fn decimal_atom(value: Decimal) -> Atom {
    let mut text = value.to_string();
    if !text.contains(['.', 'E']) {
        text.push_str(".0");
    }
    Atom::Float(value.to_f64(), Arc::from(text.as_str()))
}

impl<'a> Eval<'a> {
    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        a: &'a Expr,
        b: &'a Expr,
        env: &Env<'a>,
        span: Span,
    ) -> Val {
        // An operand written as a type or a bound (`string == number`, `int + 1`, `>10 * 2`)
        // can never be concrete: CUE refuses it before evaluating, where a reference to a
        // field not yet concrete only makes the result incomplete.
        for operand in [a, b] {
            if self.written_as_type_or_bound(operand, env) {
                let mut written = operand;
                while let ExprKind::Paren(inner) = &written.kind {
                    written = inner;
                }
                return Val::Bottom(EvalError::new(
                    "INVALID",
                    format!(
                        "invalid operand {} ('{}' requires concrete value)",
                        self.text(written.span),
                        op.as_str()
                    ),
                    vec![written.span],
                ));
            }
        }
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let left = self.eval_expr(a, env);
            let left = match self.atom_of(&left, a.span) {
                Ok(Atom::Bool(x)) => x,
                Ok(other) => {
                    return Val::Bottom(EvalError::new(
                        "INVALID",
                        format!("invalid operation: {} is not a bool", atom_text(&other)),
                        vec![a.span],
                    ))
                }
                Err(err) => return Val::Bottom(err),
            };
            if (op == BinaryOp::And && !left) || (op == BinaryOp::Or && left) {
                return Val::Atom(Atom::Bool(left), span);
            }
            let right = self.eval_expr(b, env);
            return match self.atom_of(&right, b.span) {
                Ok(Atom::Bool(x)) => Val::Atom(Atom::Bool(x), span),
                Ok(other) => Val::Bottom(EvalError::new(
                    "INVALID",
                    format!("invalid operation: {} is not a bool", atom_text(&other)),
                    vec![b.span],
                )),
                Err(err) => Val::Bottom(err),
            };
        }
        // `x == _|_` and `x != _|_` ask whether x is an error (a missing field included).
        if matches!(op, BinaryOp::Equal | BinaryOp::NotEqual) {
            let is_bottom_literal = |e: &Expr| matches!(e.kind, ExprKind::Bottom);
            if is_bottom_literal(a) || is_bottom_literal(b) {
                let other = if is_bottom_literal(a) { b } else { a };
                let is_error = match self.resolve(other, env) {
                    Err(_) => true,
                    Ok(Resolved::Vertex(t)) => {
                        // An optional or required field the value does not have is undefined.
                        if self.vertices[t].arc_type != ArcType::Regular {
                            true
                        } else {
                            self.finalize(t);
                            let t = self.resolve_forward(t);
                            self.vertices[t].error.is_some()
                        }
                    }
                    // A struct or list computed here (`({x: 1} & {x: 2}) == _|_`) is an
                    // error when anything in it is, short of being incomplete.
                    Ok(Resolved::Val(Val::Node(t))) => {
                        self.finalize(t);
                        let mut errors = Vec::new();
                        self.collect_errors(t, &mut errors, true);
                        !errors.is_empty()
                    }
                    Ok(Resolved::Val(val)) => matches!(val, Val::Bottom(_)),
                    Ok(Resolved::Conjunct(_)) => false,
                };
                return Val::Atom(Atom::Bool(is_error == (op == BinaryOp::Equal)), span);
            }
        }
        let left = self.eval_expr(a, env);
        let right = self.eval_expr(b, env);
        if matches!(op, BinaryOp::Equal | BinaryOp::NotEqual) {
            let (l, r) = match (
                self.operand_concrete(&left, a.span, op, span, "left"),
                self.operand_concrete(&right, b.span, op, span, "right"),
            ) {
                (Ok(l), Ok(r)) => (l, r),
                (Err(err), _) | (_, Err(err)) => return Val::Bottom(err),
            };
            let equal = concrete_equal(&l, &r);
            return Val::Atom(Atom::Bool(equal == (op == BinaryOp::Equal)), span);
        }
        if matches!(op, BinaryOp::Add | BinaryOp::Mul) {
            if let (Val::Node(_), _) | (_, Val::Node(_)) = (&left, &right) {
                return self.list_arithmetic(op, &left, &right, a.span, b.span, span);
            }
        }
        let l = self.operand_atom(&left, a.span, op, span);
        let r = self.operand_atom(&right, b.span, op, span);
        let (l, r) = match (l, r) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(err), _) | (_, Err(err)) => return Val::Bottom(err),
        };
        match arithmetic(op, &l, &r) {
            Ok(atom) => Val::Atom(atom, span),
            Err(message) => Val::Bottom(EvalError::new("INVALID", message, vec![span])),
        }
    }

    /// An operand of a binary operator as an atom; one that is not concrete yet is reported as
    /// `non-concrete value int in operand to +`, at the operation and the operand.
    pub(super) fn operand_atom(
        &mut self,
        val: &Val,
        span: Span,
        op: BinaryOp,
        whole: Span,
    ) -> Result<Atom, Arc<EvalError>> {
        match self.atom_of(val, span) {
            Err(err) if err.incomplete && !matches!(val, Val::Bottom(_)) => {
                let what = self.describe_val(val);
                Err(Arc::new(EvalError {
                    code: NON_CONCRETE,
                    message: format!("non-concrete value {what} in operand to {}", op.as_str()),
                    spans: vec![whole, span],
                    incomplete: true,
                    sub: Vec::new(),
                }))
            }
            other => other,
        }
    }

    /// Like [`Eval::operand_atom`], for the operands of `==` and `!=` (which may be lists
    /// and structs).
    /// A list or struct operand that is not concrete names its first part that is not (`0:
    /// incomplete value int`, a required field), or passes on the error inside it.
    fn operand_concrete(
        &mut self,
        val: &Val,
        span: Span,
        op: BinaryOp,
        whole: Span,
        side: &str,
    ) -> Result<Concrete, Arc<EvalError>> {
        if let Val::Node(t) = val {
            self.finalize(*t);
            let t = self.resolve_forward(*t);
            let kind = if self.vertices[t].list.is_some() {
                Some("list")
            } else if self.vertices[t].struct_span.is_some() {
                Some("struct")
            } else {
                None
            };
            if let Some(kind) = kind {
                // A required field is never present in a value being compared: checked first,
                // since the concrete value leaves it out.
                if let Some((path, err)) = self.first_not_concrete(t) {
                    if !err.incomplete {
                        return Err(err);
                    }
                    let at = if path.is_empty() {
                        String::new()
                    } else {
                        format!("{path}: ")
                    };
                    return Err(EvalError::incomplete(
                        format!(
                            "invalid {side}-hand value to '{}' (type {kind}): {at}{}",
                            op.as_str(),
                            err.message
                        ),
                        vec![span],
                    ));
                }
            }
        }
        let scalar = match val {
            Val::Bottom(_) => false,
            Val::Node(t) => {
                self.finalize(*t);
                !matches!(self.value_of(*t), Val::Node(_) | Val::Bottom(_))
            }
            _ => true,
        };
        match self.concrete_of(val, span) {
            Err(err) if err.incomplete && scalar => {
                let what = self.describe_val(val);
                Err(Arc::new(EvalError {
                    code: NON_CONCRETE,
                    message: format!("non-concrete value {what} in operand to {}", op.as_str()),
                    spans: vec![whole, span],
                    incomplete: true,
                    sub: Vec::new(),
                }))
            }
            other => other,
        }
    }

    /// The first part of a list or struct that keeps it from being concrete, with its path
    /// below `v`: an error, a required field (never present in a value being compared), or a
    /// value that is not concrete.
    fn first_not_concrete(&mut self, v: VertexId) -> Option<(String, Arc<EvalError>)> {
        let v = self.resolve_forward(v);
        if let Some(err) = &self.vertices[v].error {
            return Some((String::new(), err.clone()));
        }
        let composite = self.vertices[v].list.is_some() || self.vertices[v].struct_span.is_some();
        if !composite {
            if self.vertices[v].scalar.value.is_some() {
                return None;
            }
            let what = self.describe_value(v);
            return Some((
                String::new(),
                EvalError::incomplete(format!("incomplete value {what}"), vec![]),
            ));
        }
        for a in self.vertices[v].arcs.clone() {
            let Some(feature) = self.vertices[a].feature.clone() else {
                continue;
            };
            if !feature.is_regular() {
                continue;
            }
            let found = match self.vertices[a].arc_type {
                ArcType::Optional => continue,
                ArcType::Required => Some((
                    String::new(),
                    EvalError::incomplete("field is required but not present", vec![]),
                )),
                ArcType::Regular => {
                    self.finalize(a);
                    self.first_not_concrete(a)
                }
            };
            if let Some((path, err)) = found {
                let label = feature.selector();
                let path = if path.is_empty() {
                    label
                } else {
                    format!("{label}.{path}")
                };
                return Some((path, err));
            }
        }
        None
    }

    pub(super) fn list_arithmetic(
        &mut self,
        op: BinaryOp,
        left: &Val,
        right: &Val,
        ls: Span,
        rs: Span,
        span: Span,
    ) -> Val {
        let l = match self.concrete_of(left, ls) {
            Ok(c) => c,
            Err(err) => return Val::Bottom(err),
        };
        let r = match self.concrete_of(right, rs) {
            Ok(c) => c,
            Err(err) => return Val::Bottom(err),
        };
        let result = match (op, &l, &r) {
            (BinaryOp::Add, Concrete::List(x), Concrete::List(y)) => {
                Concrete::List(x.iter().chain(y.iter()).cloned().collect())
            }
            (BinaryOp::Mul, Concrete::List(x), Concrete::Int(n))
            | (BinaryOp::Mul, Concrete::Int(n), Concrete::List(x)) => {
                let n = (*n).clamp(0, 100_000) as usize;
                Concrete::List(x.iter().cloned().cycle().take(x.len() * n).collect())
            }
            _ => {
                return Val::Bottom(EvalError::new(
                    "INVALID",
                    format!("invalid operation {}", op.as_str()),
                    vec![span],
                ))
            }
        };
        self.val_from_concrete(&result, span)
    }
}
