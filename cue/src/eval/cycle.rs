//! Cycles: reference cycles through expressions and structural cycles.
//!
//! A reference cycle (`x: y + 1`, `y: x + 1`, `x: 1`) is evaluated as CUE does. A read of a
//! vertex whose expansion is in progress is noted ([`Eval::note_cycle_read`]). A conjunct that
//! it left incomplete is tried again after the vertex's other conjuncts when the cycle closes
//! on that vertex; when it waits for one further out, a plain field leaves it pending. Plain
//! fields evaluated from a partial value are provisional on the outermost vertex they read,
//! and are evaluated anew (once) when it is complete ([`Eval::reset_provisional`]).
//!
//! A structural cycle (a struct literal that contains itself, `a: b: a`) is found when the
//! same literal in the same scope was already expanded a few levels above
//! ([`Eval::ancestor_has`]), unless data drives the recursion (it ends where the data does).

use super::conjunct::{env_key, Conjunct, ConjunctKind};
use super::vertex::{State, VertexId};
use super::Eval;
use crate::ast::{Expr, ExprKind};
use crate::value::Scalar;

impl<'a> Eval<'a> {
    /// Adds `c` to `v`. When that made `v` incomplete (it had no error before) and read
    /// vertices in progress: the outermost of them (`v` itself when it was read and nothing
    /// further out), which `v` waits for.
    pub(super) fn add_in_cycle(&mut self, v: VertexId, c: Conjunct<'a>) -> Option<VertexId> {
        let (cycle_reads, had_error) = (self.cycle_reads.len(), self.vertices[v].error.is_some());
        self.add(v, c);
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

    /// Whether `v` has a struct literal of its own that no vertex above it expanded (the value
    /// written for a field that a pattern constraint recurses into, `{[string]: #T}`): such
    /// recursion ends where those literals do, so it is not a structural cycle.
    pub(super) fn has_fresh_struct(&self, v: VertexId) -> bool {
        self.vertices[v].conjuncts.iter().any(|c| match c.kind {
            ConjunctKind::Expr(e) if matches!(e.kind, ExprKind::Struct(_)) => {
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
