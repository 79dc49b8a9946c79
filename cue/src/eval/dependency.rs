//! Dependencies on the data: while a schema is evaluated without data, which of its values
//! read fields that the data it will be unified with can set.
//!
//! The compiled validator needs to know whether any does (then it declines, and validation
//! unifies); export also needs to know which (such a value is loosened and noted). Tracking is
//! started on the schema's root before it is evaluated ([`Eval::track`]); evaluation then notes
//! every reference to a regular field under the root, every dynamic label and every
//! comprehension below it.

use super::vertex::VertexId;
use super::Eval;

impl<'a> Eval<'a> {
    /// Starts noting which evaluation depends on `root`'s own fields; call before `root` is
    /// evaluated.
    pub(crate) fn track(&mut self, root: VertexId) {
        self.track = Some(root);
        self.dynamic = false;
    }

    /// Like [`Eval::track`], and also records every value found to depend on the data, with the
    /// value whose evaluation read it ([`Eval::dependents`]), as export needs.
    pub(crate) fn track_dependents(&mut self, root: VertexId) {
        self.track(root);
        self.dependents = Some(Vec::new());
    }

    /// The root being tracked, if any.
    pub(crate) fn tracked_root(&self) -> Option<VertexId> {
        self.track
    }

    /// Stops tracking (the dependents recorded so far are kept).
    pub(crate) fn stop_tracking(&mut self) {
        self.track = None;
    }

    /// Whether anything evaluated under the tracked root was found to depend on the data.
    pub(crate) fn depends_on_data(&self) -> bool {
        self.dynamic
    }

    /// The values recorded by [`Eval::track_dependents`]: each vertex whose evaluation read a
    /// field the data can set, with the vertex being expanded when it did.
    pub(crate) fn dependents(&self) -> &[(VertexId, Option<VertexId>)] {
        self.dependents.as_deref().unwrap_or_default()
    }

    /// Takes the recorded dependents, leaving none.
    pub(crate) fn take_dependents(&mut self) -> Vec<(VertexId, Option<VertexId>)> {
        self.dependents.take().unwrap_or_default()
    }

    /// Whether `v` is `root` or lies under it (following disjunction candidates back to the
    /// vertex they stand for).
    pub(crate) fn is_within(&self, mut v: VertexId, root: VertexId) -> bool {
        loop {
            if v == root {
                return true;
            }
            let vertex = &self.vertices[v];
            match vertex.origin.or(vertex.parent) {
                Some(p) => v = p,
                None => return false,
            }
        }
    }

    /// Notes that evaluation at `v` may depend on the value being compiled without naming a
    /// read: a comprehension, whose sources and conditions are noted as they are resolved, or
    /// a validator taking schemas, which export states itself. Only the compiled validator
    /// needs this caution; export does not record it.
    pub(super) fn note_comprehension(&mut self, v: VertexId) {
        if let Some(root) = self.track {
            if !self.dynamic && self.is_within(v, root) {
                self.dynamic = true;
            }
        }
    }

    /// Notes that evaluation at `v` read the regular field `arc` of the value being compiled.
    /// For export, a field whose value is a concrete scalar (`max: 10 * 2`) is not noted:
    /// data can only repeat that value, so what is computed from it cannot change.
    pub(super) fn note_field_read(&mut self, v: VertexId, arc: VertexId) {
        if let (Some(root), Some(_)) = (self.track, &self.dependents) {
            if self.is_within(v, root) {
                self.finalize(arc);
                if matches!(self.value_of(arc), super::values::Val::Atom(..)) {
                    return;
                }
            }
        }
        self.note_dependency(v);
    }

    /// Notes that evaluation at `v` depends on the value being compiled.
    pub(super) fn note_dependency(&mut self, v: VertexId) {
        if let Some(root) = self.track {
            if (!self.dynamic || self.dependents.is_some()) && self.is_within(v, root) {
                self.dynamic = true;
                let top = self.expanding.last().copied();
                if let Some(noted) = &mut self.dependents {
                    noted.push((v, top));
                }
            }
        }
    }
}
