//! Disjunctions and defaults.
//!
//! A disjunction added to a vertex is deferred ([`Disjunction`]) until the vertex is
//! finalized. Then one candidate vertex is evaluated per combination of the vertex's
//! disjunctions (each candidate re-adds the vertex's conjuncts with its choices fixed); the
//! candidates without errors survive, the defaults among them decide, and the vertex forwards
//! to the one that stands for it, or stays ambiguous. Every candidate is kept, failed or not,
//! so that the compiled validator and export see them all.

use std::sync::Arc;

use super::conjunct::{Conjunct, ConjunctKind};
use super::values::concrete_equal;
use super::vertex::VertexId;
use super::Eval;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::value::EvalError;

/// Candidates one vertex may evaluate for its disjunctions (the product of their sizes): more
/// is an error rather than an exponential evaluation.
pub(super) const MAX_CANDIDATES: usize = 1024;

/// A disjunction added to a vertex, waiting for the vertex to be finalized.
pub(super) struct Disjunction<'a> {
    /// The disjunction's expression and which occurrence of it at the vertex this is: the key
    /// of the choice a candidate makes for it (`Vertex::choices`).
    pub(super) key: (usize, u32),
    /// Each disjunct, with whether it is marked as a default (`*`).
    pub(super) options: Vec<(Conjunct<'a>, bool)>,
}

/// The disjuncts of `e` in order, flattening nested disjunctions (`a | (b | c)`), each with
/// whether it is a default, by the spec's rules for marked disjunctions: in a disjunction
/// with a marked term (`*a | b`), a marked term without defaults of its own makes all its
/// disjuncts defaults (M1), one with defaults keeps them (`*(*2 | 3)`, M2), and an unmarked
/// term loses its defaults (`*1 | (*2 | 3)`, M3); in a disjunction without a marked term,
/// every term keeps its defaults (D1, D2).
pub(super) fn collect_disjuncts<'a>(e: &'a Expr, out: &mut Vec<(&'a Expr, bool)>) {
    let mut terms = Vec::new();
    level_terms(e, &mut terms);
    let marked = terms
        .iter()
        .any(|t| matches!(t.kind, ExprKind::Unary(UnaryOp::Default, _)));
    for term in terms {
        let (inner, star) = match &term.kind {
            ExprKind::Unary(UnaryOp::Default, inner) => (&**inner, true),
            _ => (term, false),
        };
        let start = out.len();
        match &unparen(inner).kind {
            ExprKind::Binary(BinaryOp::Disjunction, ..) => collect_disjuncts(unparen(inner), out),
            _ => out.push((inner, false)),
        }
        let leaves = &mut out[start..];
        let has_defaults = leaves.iter().any(|(_, d)| *d);
        if star && !has_defaults {
            leaves.iter_mut().for_each(|(_, d)| *d = true);
        } else if !star && marked {
            leaves.iter_mut().for_each(|(_, d)| *d = false);
        }
    }
}

/// The terms of one disjunction as written: `a | b | c` has three; parentheses start a nested
/// disjunction, which is one term.
fn level_terms<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::Binary(BinaryOp::Disjunction, a, b) => {
            level_terms(a, out);
            level_terms(b, out);
        }
        _ => out.push(e),
    }
}

fn unparen(e: &Expr) -> &Expr {
    match &e.kind {
        ExprKind::Paren(inner) => unparen(inner),
        _ => e,
    }
}

/// The errors of `error(message)` calls among the errors of failed disjuncts, one per message.
fn user_errors(errors: &[Diagnostic]) -> Vec<&Diagnostic> {
    let mut out: Vec<&Diagnostic> = Vec::new();
    for d in errors {
        if d.code == "USER" && !out.iter().any(|o| o.message == d.message) {
            out.push(d);
        }
    }
    out
}

impl<'a> Eval<'a> {
    pub(super) fn add_disjunction(
        &mut self,
        v: VertexId,
        expr_key: usize,
        options: Vec<(Conjunct<'a>, bool)>,
    ) {
        let count = self.vertices[v]
            .disjunction_seen
            .entry(expr_key)
            .or_insert(0);
        let key = (expr_key, *count);
        *count += 1;
        if let Some(&choice) = self.vertices[v].choices.get(&key) {
            if let Some((c, _)) = options.into_iter().nth(choice) {
                match c.kind {
                    // A struct literal goes through `add`, which notes it as expanded here:
                    // a disjunct that contains its own disjunction (`#D: {b: string} |
                    // {c: #D}`) is then found as a structural cycle, and eliminated.
                    ConjunctKind::Expr(x) if !matches!(x.kind, ExprKind::Struct(_)) => {
                        self.add_expr(v, x, c.env, c.group, false)
                    }
                    _ => self.add(v, c),
                }
            }
            return;
        }
        self.vertices[v]
            .disjunctions
            .push(Disjunction { key, options });
    }

    pub(super) fn resolve_disjunctions(&mut self, v: VertexId) {
        let disjunctions = std::mem::take(&mut self.vertices[v].disjunctions);
        let mut total: usize = 1;
        for d in &disjunctions {
            total = total.saturating_mul(d.options.len().max(1));
        }
        if total > MAX_CANDIDATES {
            // Point at the disjunctions that multiply (the first few), so the message says
            // where to look; a saturated count is "more than" rather than usize::MAX.
            let spans: Vec<Span> = disjunctions
                .iter()
                .filter_map(|d| {
                    let mut spans = d.options.iter().filter_map(|(c, _)| match c.kind {
                        ConjunctKind::Expr(x) => Some(x.span),
                        _ => None,
                    });
                    let first = spans.next()?;
                    let last = spans.next_back().unwrap_or(first);
                    Some(if last.file == first.file {
                        first.to(last)
                    } else {
                        first
                    })
                })
                .take(3)
                .collect();
            let count = if total == usize::MAX {
                format!("more than {}", usize::MAX)
            } else {
                total.to_string()
            };
            self.set_error(
                v,
                EvalError::new(
                    "TOO_COMPLEX",
                    format!(
                        "disjunction too large: {count} combinations of {} disjunctions (the limit is {MAX_CANDIDATES})",
                        disjunctions.len()
                    ),
                    spans,
                ),
            );
            return;
        }
        let mut survivors: Vec<(VertexId, bool)> = Vec::new();
        let mut errors: Vec<Diagnostic> = Vec::new();
        let mut failed = 0usize;
        let mut combo = vec![0usize; disjunctions.len()];
        loop {
            if self.aborted.is_some() {
                return;
            }
            let mut choices = (*self.vertices[v].choices).clone();
            let mut is_default = true;
            for (d, &choice) in disjunctions.iter().zip(&combo) {
                choices.insert(d.key, choice);
                let has_defaults = d.options.iter().any(|(_, def)| *def);
                if has_defaults && !d.options.get(choice).is_some_and(|(_, def)| *def) {
                    is_default = false;
                }
            }
            let candidate =
                self.new_vertex(self.vertices[v].parent, self.vertices[v].feature.clone());
            {
                let conjuncts = self.vertices[v].conjuncts.clone();
                let arc_type = self.vertices[v].arc_type;
                let c = &mut self.vertices[candidate];
                c.conjuncts = conjuncts;
                c.choices = Arc::new(choices);
                c.arc_type = arc_type;
                c.origin = Some(v);
            }
            self.vertices[candidate].checking = self.vertices[v].checking.clone();
            self.finalize(candidate);
            self.vertices[v].candidates.push((candidate, is_default));
            let mut first = Vec::new();
            self.collect_errors(candidate, &mut first, true);
            if first.is_empty() {
                survivors.push((candidate, is_default));
            } else {
                failed += 1;
                errors.extend(first);
            }
            // Advance the odometer.
            let mut i = 0;
            loop {
                if i == combo.len() {
                    return self.settle_disjunction(v, survivors, errors, failed);
                }
                combo[i] += 1;
                if combo[i] < disjunctions[i].options.len() {
                    break;
                }
                combo[i] = 0;
                i += 1;
            }
        }
    }

    pub(super) fn settle_disjunction(
        &mut self,
        v: VertexId,
        survivors: Vec<(VertexId, bool)>,
        errors: Vec<Diagnostic>,
        failed: usize,
    ) {
        let user = user_errors(&errors);
        if survivors.is_empty() {
            let error = match user.as_slice() {
                // The schema's own message says what went wrong, instead of a count.
                [one] => EvalError {
                    code: "USER",
                    message: one.message.clone(),
                    spans: one.spans.clone(),
                    incomplete: false,
                    sub: Vec::new(),
                },
                [] => EvalError {
                    code: "EMPTY_DISJUNCTION",
                    message: format!("{failed} errors in empty disjunction"),
                    spans: Vec::new(),
                    incomplete: false,
                    sub: errors,
                },
                several => EvalError {
                    code: "EMPTY_DISJUNCTION",
                    message: format!("{} errors in empty disjunction", several.len()),
                    spans: Vec::new(),
                    incomplete: false,
                    sub: several.iter().map(|&d| d.clone()).collect(),
                },
            };
            self.vertices[v].error = Some(Arc::new(error));
            return;
        }
        // Only alternatives that cannot be evaluated yet are left beside a failed
        // `error(message)`: the value is incomplete, and the schema's message says so.
        if let [one] = user.as_slice() {
            let all_incomplete = survivors.iter().all(|&(c, _)| {
                let c = self.resolve_forward(c);
                self.vertices[c]
                    .error
                    .as_ref()
                    .is_some_and(|e| e.incomplete)
            });
            if all_incomplete {
                self.vertices[v].error = Some(Arc::new(EvalError {
                    code: "USER",
                    message: one.message.clone(),
                    spans: one.spans.clone(),
                    incomplete: true,
                    sub: Vec::new(),
                }));
                return;
            }
        }
        // An alternative that is itself an error, only incomplete (`x.a` of a struct without
        // `a`), gives way to those that are not; when all are, none is left.
        let is_bottom = |this: &Self, c: VertexId| {
            let c = this.resolve_forward(c);
            this.vertices[c]
                .error
                .as_ref()
                .is_some_and(|e| e.incomplete)
        };
        let (bottoms, others): (Vec<_>, Vec<_>) = survivors
            .iter()
            .copied()
            .partition(|&(c, _)| is_bottom(self, c));
        let survivors = if !others.is_empty() {
            others
        } else if bottoms.len() > 1 {
            let sub = bottoms
                .iter()
                .filter_map(|&(c, _)| {
                    let c = self.resolve_forward(c);
                    let err = self.vertices[c].error.clone()?;
                    Some(self.diagnostic(c, &err))
                })
                .collect();
            self.vertices[v].error = Some(Arc::new(EvalError {
                code: "EMPTY_DISJUNCTION",
                message: format!("{} errors in empty disjunction", bottoms.len()),
                spans: Vec::new(),
                incomplete: true,
                sub,
            }));
            return;
        } else {
            bottoms
        };
        let complete: Vec<(VertexId, bool)> = survivors
            .iter()
            .copied()
            .filter(|&(c, _)| self.is_complete(c))
            .collect();
        let pool = &survivors;
        // The defaults among them decide; without marked defaults every alternative is one,
        // and several are one value only if they are equal.
        let defaults: Vec<(VertexId, bool)> = pool
            .iter()
            .copied()
            .filter(|(_, default)| *default)
            .collect();
        let pool: &Vec<(VertexId, bool)> = if defaults.is_empty() { pool } else { &defaults };
        let pick = (pool.len() == 1).then(|| pool[0]).or_else(|| {
            let first = self.concrete_value(pool[0].0);
            let all_equal = first.is_some()
                && pool[1..].iter().all(|&(c, _)| {
                    self.concrete_value(c)
                        .zip(first.as_ref())
                        .is_some_and(|(a, b)| concrete_equal(&a, b))
                });
            (!complete.is_empty() && all_equal).then(|| pool[0])
        });
        match pick {
            Some((c, _)) => self.vertices[v].forward = Some(c),
            None => {
                self.vertices[v].forward = Some(pool[0].0);
                self.vertices[v].ambiguous = pool.iter().map(|(c, _)| *c).collect();
            }
        }
    }
}
