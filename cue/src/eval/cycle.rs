//! Cycles: reference cycles through expressions and structural cycles.
//!
//! A reference cycle (`x: y + 1`, `y: x + 1`, `x: 1`) is evaluated as CUE does. A read of a
//! vertex whose expansion is in progress is noted ([`Eval::note_cycle_read`]). A conjunct that
//! it left incomplete is tried again after the vertex's other conjuncts when the cycle closes
//! on that vertex; when it waits for one further out, a plain field leaves it pending. Plain
//! fields evaluated from a partial value are provisional on the outermost vertex they read,
//! and are evaluated anew (once) when it is complete ([`Eval::reset_provisional`]).
//!
//! A structural cycle (a struct or list literal that contains itself, `a: b: a`, `f: [f]`) is
//! found when the same literal in the same scope was already expanded a few levels above
//! ([`Eval::repeats_structure`]), unless data drives the recursion (it ends where the data
//! does). Through pattern constraints and a list's `...T` it may repeat a little longer,
//! since the data they apply to can end it.
//!
//! A value evaluated inline (an operand such as `(t & {}).out`, a call's argument) has no
//! parent; it is noted with the vertex whose expansion evaluated it, its home
//! ([`Eval::inline_vertex`]). The same expression in the same environment evaluated inline
//! again within its own evaluation would repeat forever ([`Eval::inline_reentry`]): below
//! the outer value (`b: list.Concat([[c]])`, `c: b`) the value contains itself, a
//! structural cycle; at its level (`b: close({c})`, `c: b`) it is a reference cycle, which
//! adds nothing. A value evaluated inline that reads a vertex in progress is no cycle by
//! itself: CUE evaluates it as a field of its own (`root: a: (X & {input: root}).output`).

use super::conjunct::{env_key, Conjunct, ConjunctKind};
use super::values::Val;
use super::vertex::{ArcType, State, VertexId};
use super::Eval;
use crate::ast::{Decl, Expr, ExprKind, FieldConstraint, LabelKind};
use crate::source::Span;
use crate::value::{EvalError, Scalar};
use std::sync::Arc;

/// The code of a structural cycle's error.
pub(super) const STRUCTURAL_CYCLE: &str = "STRUCTURAL_CYCLE";

/// The code of a reference cycle that gives no value (see [`Eval::cycle_error`]).
pub(super) const CYCLE: &str = "CYCLE";

/// The message of the value of an inline expression evaluated again within its own
/// evaluation, at the level of that evaluation (see [`Eval::inline_reentry`]): a reference
/// cycle (code [`CYCLE`], incomplete), which the conjunct it reaches drops, as CUE drops
/// `a: a` (see [`is_reference_cycle`]).
const REFERENCE_CYCLE: &str = "reference cycle";

/// Whether `err` is the value of an inline reference cycle, which adds nothing.
pub(super) fn is_reference_cycle(err: &EvalError) -> bool {
    err.code == CYCLE && err.message == REFERENCE_CYCLE
}

/// The value of an inline expression that [`Eval::inline_reentry`] found in a cycle.
pub(super) fn inline_cycle_value(cycle: InlineCycle, span: Span) -> Val {
    let (code, message, incomplete) = match cycle {
        InlineCycle::Reference => (CYCLE, REFERENCE_CYCLE, true),
        InlineCycle::Structural => (STRUCTURAL_CYCLE, "structural cycle", false),
    };
    Val::Bottom(Arc::new(EvalError {
        code,
        message: message.to_string(),
        spans: vec![span],
        incomplete,
        sub: Vec::new(),
    }))
}

/// What copying the conjuncts of a vertex in progress into an inline value closes (see
/// [`Eval::inline_cycle`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum InlineCycle {
    /// The value stands at the vertex's own level: the copy adds nothing.
    Reference,
    /// The value lies below the vertex: it would contain itself forever.
    Structural,
}

/// How many times structure may repeat through a pattern constraint or a list's `...T`
/// before it is a structural cycle (see [`Eval::repeats_structure`]): enough for the data
/// that feeds such a constraint to end it one level further, as CUE affords it.
const REPEATS_THROUGH_CONSTRAINTS: usize = 3;

/// Whether the struct or list literal `e` declares something every value of it has: a field
/// that is not optional, a list element, or an embedded literal or comprehension (embedded
/// references are checked when what they name is added).
fn declares_structure(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::List(list) => !list.elements.is_empty(),
        ExprKind::Struct(lit) => lit.decls.iter().any(|d| match d {
            Decl::Field(f) => {
                f.constraint != FieldConstraint::Optional
                    && !matches!(f.label.kind, LabelKind::Pattern { .. })
            }
            Decl::Embed(x) => !matches!(
                x.kind,
                ExprKind::Ident(_) | ExprKind::Selector(..) | ExprKind::Index(..)
            ),
            Decl::Let(_) | Decl::Ellipsis(_) | Decl::Attribute(_) => false,
        }),
        _ => false,
    }
}

impl<'a> Eval<'a> {
    /// A new vertex for a value evaluated inline, with the vertex being expanded as its home.
    /// With `flat`, its elements stand at its home's level (the list given to `and` or `or`
    /// is unified into, or is a choice of, the value being evaluated).
    pub(super) fn inline_vertex(&mut self, flat: bool) -> VertexId {
        let t = self.new_vertex(None, None);
        if let Some(&home) = self.expanding.last() {
            self.inline_homes.insert(t, (home, flat));
        }
        t
    }

    /// Before evaluating the inline value of the expression and environment `key`: whether
    /// the same one is being evaluated further out, so that evaluating it again would repeat
    /// forever. Where the vertex being expanded now lies below that outer value, the value
    /// contains itself (a structural cycle, `b: list.Concat([[c]])`, `c: b`); where it stands
    /// at its level (`b: close({c})`, `c: b`, with `b` read through an expression), or is a
    /// field read while evaluating it (`b: and([for x in a {x}])`, `a: d: b`), the value
    /// adds nothing there (a reference cycle).
    pub(super) fn inline_reentry(&self, key: (usize, usize)) -> Option<InlineCycle> {
        let &(_, outer) = self.inline_stack.iter().rev().find(|(k, _)| *k == key)?;
        let current = self.expanding.last().copied();
        match current.and_then(|current| self.level_of(current, outer)) {
            Some((InlineCycle::Structural, _)) => Some(InlineCycle::Structural),
            _ => Some(InlineCycle::Reference),
        }
    }

    /// How `v` stands to `target`, found by going up from `v` through disjunction candidates
    /// (to their origin), inline values (to their home) and parents: at `target`'s level
    /// (only candidates, homes, and the elements of a list given to `and` or `or`, passed)
    /// or below it; and whether the way passed the home of an inline value.
    pub(super) fn level_of(&self, v: VertexId, target: VertexId) -> Option<(InlineCycle, bool)> {
        const SEARCHED: usize = 64;
        let (mut current, mut below, mut crossed) = (v, false, false);
        for _ in 0..SEARCHED {
            if current == target {
                let level = match below {
                    false => InlineCycle::Reference,
                    true => InlineCycle::Structural,
                };
                return Some((level, crossed));
            }
            let vertex = &self.vertices[current];
            if let Some(origin) = vertex.origin {
                current = origin;
            } else if let Some(&(home, _)) = self.inline_homes.get(&current) {
                crossed = true;
                current = home;
            } else if let Some(parent) = vertex.parent {
                let flat = self
                    .inline_homes
                    .get(&parent)
                    .is_some_and(|&(_, flat)| flat);
                below |= !flat;
                current = parent;
            } else {
                return None;
            }
        }
        None
    }

    /// The first structural cycle found in the regular arcs of the finalized `t` (a few
    /// levels deep): a value that contains it contains itself.
    pub(super) fn structural_cycle_in(&self, t: VertexId) -> Option<Arc<EvalError>> {
        fn find(eval: &Eval<'_>, v: VertexId, depth: usize) -> Option<Arc<EvalError>> {
            let v = eval.resolve_forward(v);
            let vertex = &eval.vertices[v];
            if let Some(err) = vertex.error.as_ref().filter(|e| e.code == STRUCTURAL_CYCLE) {
                return Some(err.clone());
            }
            if depth == 0 {
                return None;
            }
            vertex
                .arcs
                .iter()
                .filter(|&&a| eval.vertices[a].arc_type == ArcType::Regular)
                .find_map(|&a| find(eval, a, depth - 1))
        }
        find(self, t, 8)
    }

    /// Adds `c` to `v`. When that made `v` incomplete (it had no error before) and read
    /// vertices in progress: the outermost of them (`v` itself when it was read and nothing
    /// further out), which `v` waits for.
    pub(super) fn add_in_cycle(&mut self, v: VertexId, c: Conjunct<'a>) -> Option<VertexId> {
        let (cycle_reads, had_error) = (self.cycle_reads.len(), self.vertices[v].error.is_some());
        let from = match c.kind {
            ConjunctKind::Expr(e) => Some((v, e.span)),
            _ => None,
        };
        let outer = std::mem::replace(&mut self.expanding_conjunct, from);
        self.add(v, c);
        self.expanding_conjunct = outer;
        let incomplete = self.vertices[v]
            .error
            .as_ref()
            .is_some_and(|error| error.incomplete);
        if had_error || !incomplete {
            return None;
        }
        let reads = &self.cycle_reads[cycle_reads..];
        self.outermost(reads, v)
            .or_else(|| reads.contains(&v).then_some(v))
    }

    /// The outermost vertex of `reads` still in progress other than `v`, if any.
    pub(super) fn outermost(&self, reads: &[VertexId], v: VertexId) -> Option<VertexId> {
        self.expanding
            .iter()
            .find(|&&w| w != v && reads.contains(&w))
            .copied()
    }

    /// Leaves the incomplete conjunct just added to the plain field `v` pending on `waits`, a
    /// vertex in progress further out, which evaluates `v` again when it is complete; any
    /// other vertex keeps the incomplete error.
    pub(super) fn leave_pending(&mut self, v: VertexId, waits: VertexId) {
        if self.is_plain(v) {
            self.vertices[v].error = None;
            self.pending.insert(v, waits);
        }
    }

    /// Makes the plain fields (no arcs, lists, disjunctions or patterns) that became
    /// provisional since `from` waiting for `v` new again, so that they are evaluated anew
    /// with what `v` has now (the caller finalizes them); the others stay provisional.
    /// Returns the fields made new.
    pub(super) fn reset_provisional(&mut self, v: VertexId, from: usize) -> Vec<VertexId> {
        if self.provisional.len() <= from {
            return Vec::new();
        }
        let provisional: Vec<(VertexId, VertexId)> = self.provisional.drain(from..).collect();
        let mut reset = Vec::new();
        for (t, waits) in provisional {
            let done = matches!(self.vertices[t].state, State::Expanded | State::Done);
            if waits != v {
                self.provisional.push((t, waits));
            } else if t != v && done && self.is_plain(t) {
                let vertex = &mut self.vertices[t];
                vertex.state = State::New;
                vertex.error = None;
                vertex.scalar = Scalar::default();
                vertex.seen.clear();
                self.pending.remove(&t);
                reset.push(t);
            }
        }
        reset
    }

    /// Notes a read of `target` in [`Eval::cycle_reads`] when its expansion is in progress, or
    /// (as a read of the vertex it waits for) when it is a field left pending on one that is.
    pub(super) fn note_cycle_read(&mut self, target: VertexId) {
        let read = if self.vertices[target].state == State::Expanding {
            Some(target)
        } else if self.pending.is_empty() {
            None
        } else {
            self.pending.get(&target).copied()
        };
        if let Some(read) = read.filter(|&w| self.vertices[w].state == State::Expanding) {
            self.cycle_reads.push(read);
        }
    }

    /// Whether `v` is in progress: its expansion is, or it is a field left pending on a
    /// vertex whose expansion is (a read of it now is a reference cycle).
    pub(super) fn in_progress(&self, v: VertexId) -> bool {
        let expanding = |w: VertexId| self.vertices[w].state == State::Expanding;
        expanding(v) || self.pending.get(&v).is_some_and(|&w| expanding(w))
    }

    /// The error of the reference `e` to a field in progress that has no value yet: the
    /// cycle it closes gives none (`a: b - 1`, `b: a + 1`: "cycle with field: b"). It is
    /// incomplete, as CUE's cycle errors are: the conjunct that read it is tried again once
    /// the cycle's other conjuncts are in, which may give the field a value after all.
    pub(super) fn cycle_error(&self, e: &Expr) -> Arc<EvalError> {
        Arc::new(EvalError {
            code: CYCLE,
            message: format!("cycle with field: {}", self.text(e.span)),
            spans: vec![e.span],
            incomplete: true,
            sub: Vec::new(),
        })
    }

    /// Whether `v` is a plain field: no arcs, list, disjunction, pattern or comprehension,
    /// nothing it forwards to or stands in for (what [`Eval::reset_provisional`] may redo).
    pub(super) fn is_plain(&self, v: VertexId) -> bool {
        let vertex = &self.vertices[v];
        vertex.arcs.is_empty()
            && vertex.struct_span.is_none()
            && vertex.list.is_none()
            && vertex.disjunctions.is_empty()
            && vertex.patterns.is_empty()
            && vertex.comprehensions.is_empty()
            && vertex.forward.is_none()
            && vertex.ambiguous.is_empty()
            && vertex.origin.is_none()
    }

    /// Whether adding the struct or list literal `e` (conjunct `key`, written in `scope`) to
    /// `v` repeats structure that a vertex above `v` already expanded from it: a value that
    /// would contain itself forever (a structural cycle).
    ///
    /// A literal that declares nothing a value must have (only optional fields, pattern
    /// constraints, `...`; a list without elements) cannot repeat forever by itself. Where the
    /// repetition passed through a vertex that a constraint applying only to given values fed
    /// (a pattern constraint, a list's `...T`), the data that feeds it may end it
    /// (`a: [string]: b: a`, `x: a & {c: b: c: {}}`): such a repetition is a cycle only
    /// once it has repeated [`REPEATS_THROUGH_CONSTRAINTS`] times; otherwise the first
    /// repetition is.
    pub(super) fn repeats_structure(
        &self,
        v: VertexId,
        e: &Expr,
        key: (usize, usize),
        scope: Option<VertexId>,
    ) -> bool {
        if !declares_structure(e) || !self.brought_by_itself(v, e) {
            return false;
        }
        const SEARCHED: usize = 32;
        // A disjunct that repeats structure is a cycle at once: it is then eliminated
        // (`c: 1 | {d: c}` is 1), whatever fed it.
        let candidate = self.vertices[v].origin.is_some();
        let (mut found, mut through_constraint) =
            (0, self.vertices[v].from_constraint && !candidate);
        let mut current = self.vertices[v].parent;
        for _ in 0..SEARCHED {
            let Some(a) = current else {
                break;
            };
            if found == 0 && !candidate {
                through_constraint |= self.vertices[a].from_constraint;
            }
            if Some(a) != scope
                && self.vertices[a].seen.contains(&key)
                && !self.copies_a_sibling(v, a)
            {
                found += 1;
                if !through_constraint || found >= REPEATS_THROUGH_CONSTRAINTS {
                    return true;
                }
            }
            current = self.vertices[a].parent;
        }
        false
    }

    /// Whether the conjuncts being added to `v` are copied, by a reference, from a vertex
    /// below `a` that is not `v` nor above it (`C: {x: T} & T`, `T: {x: _, y: x}`: `C.y`
    /// copies `C.x`). Such a vertex is checked for repeated structure itself, so a literal
    /// it holds that `a` also expanded is a copy of a finite value, not a repetition.
    fn copies_a_sibling(&self, v: VertexId, a: VertexId) -> bool {
        self.copying.iter().rev().any(|&(into, from)| {
            into == v && !self.is_above(from, v) && from != v && self.is_above(a, from)
        })
    }

    /// Whether `a` is a proper ancestor of `v` (by structure, within the nearest levels).
    fn is_above(&self, a: VertexId, v: VertexId) -> bool {
        let mut current = self.vertices[v].parent;
        for _ in 0..64 {
            match current {
                Some(p) if p == a => return true,
                Some(p) => current = self.vertices[p].parent,
                None => return false,
            }
        }
        false
    }

    /// Whether the literal `e`, being added to `v`, may have been brought there by its own
    /// expansion above: the conjunct of `v` being added (through the references it follows)
    /// is written inside `e` (`a: b: a`: `a` at `a.b` is written inside `{b: a}`). A literal
    /// that another one brings (`C: T & {x: T}`: `T` at `C.x` comes from `{x: T}`) does not
    /// repeat by itself: `C.x` is `T` once, not forever. Unknown origins count as its own.
    fn brought_by_itself(&self, v: VertexId, e: &Expr) -> bool {
        match self.expanding_conjunct {
            Some((w, span)) if w == v => {
                span.file == e.span.file && e.span.start <= span.start && span.end <= e.span.end
            }
            _ => true,
        }
    }

    /// Whether a vertex above `v` (by structure: disjunction candidates stand in for their
    /// origin, not under it) already expanded the conjunct `key`.
    ///
    /// The struct in whose scope the literal is written (`scope`) does not count: it holds the
    /// literal's field, and may embed that field's value (`#A: {...}` then `#A` at the top of
    /// the file) without containing itself.
    ///
    /// Only the nearest ancestors are searched: a cycle repeats within a few levels, and one
    /// longer than this still ends at the recursion limit, while data nested deep must not
    /// make every struct cost its depth.
    pub(super) fn ancestor_has(
        &self,
        v: VertexId,
        key: (usize, usize),
        scope: Option<VertexId>,
    ) -> bool {
        const SEARCHED: usize = 32;
        let mut current = self.vertices[v].parent;
        for _ in 0..SEARCHED {
            let Some(a) = current else {
                return false;
            };
            if Some(a) != scope && self.vertices[a].seen.contains(&key) {
                return true;
            }
            current = self.vertices[a].parent;
        }
        false
    }

    /// Whether `v` has a struct or list literal of its own that no vertex above it expanded
    /// (the value written for a field that a pattern constraint recurses into,
    /// `{[string]: #T}`): such recursion ends where those literals do, so it is not a
    /// structural cycle.
    pub(super) fn has_fresh_struct(&self, v: VertexId) -> bool {
        self.vertices[v].conjuncts.iter().any(|c| match c.kind {
            ConjunctKind::Expr(e) if matches!(e.kind, ExprKind::Struct(_) | ExprKind::List(_)) => {
                let key = (e as *const Expr as usize, env_key(&c.env));
                !self.ancestor_has(v, key, None)
            }
            _ => false,
        })
    }

    /// Whether data reaches `v`: recursion that data drives ends where the data does.
    pub(super) fn has_data(&self, v: VertexId) -> bool {
        let Some(file) = self.data_file else {
            return false;
        };
        self.vertices[v]
            .conjuncts
            .iter()
            .any(|c| matches!(c.kind, ConjunctKind::Expr(e) if e.span.file == file))
    }
}
