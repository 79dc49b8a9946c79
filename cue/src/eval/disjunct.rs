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
use super::vertex::{ArcType, Feature, State, VertexId};
use super::Eval;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::diagnostic::{distinct_errors, Diagnostic};
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

/// Whether an alternative of a disjunction is a default, as CUE tracks it while it combines
/// the disjunctions of one value one after the other: a disjunct of a disjunction without
/// marked defaults may be one (`Maybe`), a marked disjunct is one (`Default`), an unmarked one
/// beside marked ones is not (`Not`). Combining two modes keeps the stronger, `Not` over
/// `Default` over `Maybe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum DefaultMode {
    Maybe,
    Default,
    Not,
}

impl DefaultMode {
    pub(super) fn combine(self, other: DefaultMode) -> DefaultMode {
        self.max(other)
    }

    fn of_option(d: &Disjunction<'_>, choice: usize) -> DefaultMode {
        if !d.options.iter().any(|(_, default)| *default) {
            DefaultMode::Maybe
        } else if d.options.get(choice).is_some_and(|(_, default)| *default) {
            DefaultMode::Default
        } else {
            DefaultMode::Not
        }
    }
}

/// The default mode of each surviving combination of disjuncts (`combos[k][i]` is the choice
/// for disjunction `i`), found as CUE finds it: the disjunctions are combined in order, and
/// at each step a side whose defaults all failed drops them (its modes count as `Maybe`),
/// so that `(string | *null) & (string | *"str")` defaults to `"str"` and
/// `(*1 | 2 | 3) & (2 | 3)` has no default. A prefix of choices survives a step when some
/// surviving combination starts with it.
fn combo_modes(disjunctions: &[Disjunction<'_>], combos: &[Vec<usize>]) -> Vec<DefaultMode> {
    let mut modes = vec![DefaultMode::Maybe; combos.len()];
    let mut last = vec![DefaultMode::Maybe; combos.len()];
    for (i, d) in disjunctions.iter().enumerate() {
        let right: Vec<DefaultMode> = combos
            .iter()
            .map(|combo| DefaultMode::of_option(d, combo[i]))
            .collect();
        let left_drops = !modes
            .iter()
            .zip(&last)
            .any(|(m, l)| *m == DefaultMode::Default || *l == DefaultMode::Default);
        let right_drops = !right.contains(&DefaultMode::Default);
        for k in 0..combos.len() {
            let left = if left_drops {
                DefaultMode::Maybe
            } else {
                modes[k]
            };
            let this = if right_drops {
                DefaultMode::Maybe
            } else {
                right[k]
            };
            modes[k] = left.combine(this);
            last[k] = right[k];
        }
    }
    modes
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

    /// What a reference to `t` names: inside a candidate of `t`'s disjunction, from a value
    /// within that candidate (`c: d: c.e` with `c: {d: 1, e: 2} | {d: 2, e: 2}`), the
    /// candidate itself, as CUE lets a disjunct under evaluation stand for its node; anywhere
    /// else `t`.
    pub(super) fn candidate_for(&self, t: VertexId) -> VertexId {
        if self.candidates.is_empty() {
            return t;
        }
        let Some(&c) = self
            .candidates
            .iter()
            .rev()
            .find(|&&c| self.vertices[c].origin == Some(t))
        else {
            return t;
        };
        // From below the candidate, or from a struct candidate itself (its fields are read):
        // a scalar candidate reading itself (`kind: "a" | error("not \(kind)")`) reads the
        // value it is for.
        let mut at = self.expanding.last().copied();
        if at == Some(c) && self.vertices[c].struct_span.is_none() {
            return t;
        }
        while let Some(w) = at {
            if w == c {
                return c;
            }
            at = self.vertices[w].parent;
        }
        t
    }

    /// Whether a regular field below `v` (not optional, not a definition or hidden field) is
    /// an error, only incomplete: a reference to a field that does not exist (yet).
    fn holds_incomplete_error(&self, v: VertexId, depth: u32) -> bool {
        // The tree is finite once final; the bound only keeps a deep one from costing much.
        if depth > 64 {
            return false;
        }
        self.vertices[v].arcs.iter().any(|&a| {
            let a = self.resolve_forward(a);
            let vertex = &self.vertices[a];
            if vertex.arc_type == ArcType::Optional
                || !matches!(vertex.state, State::Done)
                || !matches!(
                    vertex.feature,
                    Some(Feature::Regular(_) | Feature::Index(_))
                )
                || !vertex.ambiguous.is_empty()
            {
                return false;
            }
            match &vertex.error {
                Some(err) => err.incomplete,
                None => self.holds_incomplete_error(a, depth + 1),
            }
        })
    }

    /// The text of each option and whether it is a default, when every option is a literal
    /// or a predeclared type (`*1 | int`, `*"default" | string`); `None` otherwise.
    fn simple_signature(&mut self, d: &Disjunction<'a>) -> Option<Vec<(String, bool)>> {
        let mut out = Vec::with_capacity(d.options.len());
        for (c, default) in &d.options {
            let ConjunctKind::Expr(x) = c.kind else {
                return None;
            };
            let simple = match &x.kind {
                ExprKind::Top
                | ExprKind::Null
                | ExprKind::Bool(_)
                | ExprKind::Int(_)
                | ExprKind::Float(_)
                | ExprKind::String(_)
                | ExprKind::Bytes(_) => true,
                ExprKind::Ident(id) => {
                    super::resolve::predeclared(&id.name).is_some()
                        && !self.declared(&c.env, &id.name)
                }
                _ => false,
            };
            if !simple {
                return None;
            }
            out.push((self.text(x.span), *default));
        }
        Some(out)
    }

    /// Disjunctions of literals and types repeated at one value (`[_]: f: *1 | int` from
    /// several pattern constraints) are one disjunction: a literal or type unified with
    /// another of the same set is one of the set or an error, so every combination choosing
    /// different disjuncts of copies is a failure or a duplicate. Each copy after the first
    /// is dropped, and its key returned beside the index of the one it follows.
    fn merge_repeated(
        &mut self,
        disjunctions: &mut Vec<Disjunction<'a>>,
    ) -> Vec<Vec<(usize, u32)>> {
        let mut kept: Vec<Disjunction<'a>> = Vec::with_capacity(disjunctions.len());
        let mut followers: Vec<Vec<(usize, u32)>> = Vec::new();
        let mut signatures: Vec<Option<Vec<(String, bool)>>> = Vec::new();
        for d in std::mem::take(disjunctions) {
            let signature = self.simple_signature(&d);
            if let Some(sig) = &signature {
                if let Some(i) = signatures.iter().position(|s| s.as_ref() == Some(sig)) {
                    followers[i].push(d.key);
                    continue;
                }
            }
            kept.push(d);
            followers.push(Vec::new());
            signatures.push(signature);
        }
        *disjunctions = kept;
        followers
    }

    pub(super) fn resolve_disjunctions(&mut self, v: VertexId) {
        let mut disjunctions = std::mem::take(&mut self.vertices[v].disjunctions);
        let followers = if disjunctions.len() > 1 {
            self.merge_repeated(&mut disjunctions)
        } else {
            vec![Vec::new(); disjunctions.len()]
        };
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
        let mut survivors: Vec<VertexId> = Vec::new();
        let mut survivor_combos: Vec<Vec<usize>> = Vec::new();
        let mut errors: Vec<Diagnostic> = Vec::new();
        let mut combo = vec![0usize; disjunctions.len()];
        loop {
            if self.aborted.is_some() {
                return;
            }
            let mut choices = (*self.vertices[v].choices).clone();
            for ((d, &choice), copies) in disjunctions.iter().zip(&combo).zip(&followers) {
                choices.insert(d.key, choice);
                for &key in copies {
                    choices.insert(key, choice);
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
            self.candidates.push(candidate);
            self.finalize(candidate);
            self.candidates.pop();
            // Whether it is a default is known once every candidate is (see `combo_modes`).
            self.vertices[v].candidates.push((candidate, false));
            let mut first = Vec::new();
            self.collect_errors(candidate, &mut first, true);
            if first.is_empty() {
                survivors.push(candidate);
                survivor_combos.push(combo.clone());
            } else {
                errors.extend(first);
            }
            // Advance the odometer.
            let mut i = 0;
            loop {
                if i == combo.len() {
                    let modes = combo_modes(&disjunctions, &survivor_combos);
                    let survivors = survivors.into_iter().zip(modes).collect();
                    return self.settle_disjunction(v, survivors, errors);
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
        survivors: Vec<(VertexId, DefaultMode)>,
        errors: Vec<Diagnostic>,
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
                [] => {
                    let errors = distinct_errors(errors);
                    if let [one] = errors.as_slice() {
                        // Every alternative failed the same way: CUE reports that error alone
                        // (see `push_error`).
                        self.vertices[v].error = Some(Arc::new(EvalError {
                            code: "EMPTY_DISJUNCTION",
                            message: one.message.clone(),
                            spans: one.spans.clone(),
                            incomplete: false,
                            sub: errors,
                        }));
                        return;
                    }
                    EvalError {
                        code: "EMPTY_DISJUNCTION",
                        message: format!("{} errors in empty disjunction", errors.len()),
                        spans: Vec::new(),
                        incomplete: false,
                        sub: errors,
                    }
                }
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
            // Among them, one whose data holds an error, only incomplete (`*[m.b] | 2` with
            // `m.b` undefined), gives way too, as CUE eliminates a disjunct with an error
            // anywhere in its regular fields; merely non-concrete values (`string`) are not
            // errors.
            if others.len() > 1 {
                let clean: Vec<(VertexId, DefaultMode)> = others
                    .iter()
                    .copied()
                    .filter(|&(c, _)| !self.holds_incomplete_error(c, 0))
                    .collect();
                if clean.is_empty() {
                    others
                } else {
                    clean
                }
            } else {
                others
            }
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
        // A candidate that is itself a disjunction (its disjunct named one: `a | 3` with
        // `a: *1 | 2`) stands for its own alternatives, each with its default mode combined
        // with the candidate's; then an alternative that is merely possible elsewhere is not a
        // default beside them (`*1 | 2 | 3`).
        let mut alternatives: Vec<(VertexId, DefaultMode, VertexId)> = Vec::new();
        let mut nested_marked = false;
        for &(c, mode) in &survivors {
            match self.vertices[c].alternatives.as_slice() {
                inner if inner.len() > 1 => {
                    for &(x, inner_mode) in inner {
                        let mode = mode.combine(inner_mode);
                        nested_marked |= mode != DefaultMode::Maybe;
                        alternatives.push((x, mode, c));
                    }
                }
                [(_, inner_mode)] => alternatives.push((c, mode.combine(*inner_mode), c)),
                _ => alternatives.push((c, mode, c)),
            }
        }
        if nested_marked {
            for (_, mode, _) in &mut alternatives {
                if *mode == DefaultMode::Maybe {
                    *mode = DefaultMode::Not;
                }
            }
        }
        // Equal concrete alternatives are one (`1 | 1 | 2` is `1 | 2`), a default if either is.
        if alternatives.len() > 1 {
            let values: Vec<_> = alternatives
                .iter()
                .map(|&(x, _, _)| self.concrete_value(x))
                .collect();
            let mut keep: Vec<usize> = Vec::with_capacity(alternatives.len());
            for (i, value) in values.iter().enumerate() {
                let same = value.as_ref().and_then(|value| {
                    keep.iter().copied().find(|&k| {
                        values[k]
                            .as_ref()
                            .is_some_and(|kept| concrete_equal(kept, value))
                    })
                });
                match same {
                    Some(k) => {
                        if alternatives[i].1 == DefaultMode::Default {
                            alternatives[k].1 = DefaultMode::Default;
                        }
                    }
                    None => keep.push(i),
                }
            }
            if keep.len() < alternatives.len() {
                alternatives = keep.into_iter().map(|k| alternatives[k]).collect();
            }
        }
        let defaults_of = |c: VertexId| {
            alternatives
                .iter()
                .any(|&(_, mode, from)| from == c && mode == DefaultMode::Default)
        };
        let flags: Vec<bool> = self.vertices[v]
            .candidates
            .iter()
            .map(|&(c, _)| defaults_of(c))
            .collect();
        for (entry, flag) in self.vertices[v].candidates.iter_mut().zip(flags) {
            entry.1 = flag;
        }
        self.vertices[v].alternatives = alternatives.iter().map(|&(x, m, _)| (x, m)).collect();
        let survivors: Vec<VertexId> = alternatives.iter().map(|&(x, _, _)| x).collect();
        let complete: Vec<VertexId> = survivors
            .iter()
            .copied()
            .filter(|&c| self.is_complete(c))
            .collect();
        // The defaults among them decide; without defaults every alternative is one, and
        // several are one value only if they are equal.
        let defaults: Vec<VertexId> = alternatives
            .iter()
            .filter(|(_, mode, _)| *mode == DefaultMode::Default)
            .map(|&(x, _, _)| x)
            .collect();
        let pool: &Vec<VertexId> = if defaults.is_empty() {
            &survivors
        } else {
            &defaults
        };
        let pick = (pool.len() == 1).then(|| pool[0]).or_else(|| {
            let first = self.concrete_value(pool[0]);
            let all_equal = first.is_some()
                && pool[1..].iter().all(|&c| {
                    self.concrete_value(c)
                        .zip(first.as_ref())
                        .is_some_and(|(a, b)| concrete_equal(&a, b))
                });
            (!complete.is_empty() && all_equal).then(|| pool[0])
        });
        match pick {
            Some(c) => self.vertices[v].forward = Some(c),
            None => {
                self.vertices[v].forward = Some(pool[0]);
                self.vertices[v].ambiguous = pool.clone();
            }
        }
    }
}
