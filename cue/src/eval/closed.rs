//! Closedness: which fields a struct allows.
//!
//! Closedness is tracked with groups ([`Group`]): each expansion of a definition opens a
//! closed group, `close()` opens one, and a struct that embeds a definition opens one for its
//! own declarations. A vertex records, per group present at it, the labels, pattern
//! constraints and `...` declared in that group ([`GroupDecls`]). A regular field is allowed
//! when every closed group present at its parent declares it, itself or through a group
//! nested in it.

use super::vertex::{Feature, VertexId};
use super::Eval;
use crate::value::EvalError;

/// A closedness group, by its index in the evaluation's `groups`.
pub(super) type GroupId = usize;

/// Labels declared in one closedness group at one vertex.
pub(super) struct GroupDecls {
    pub(super) group: GroupId,
    /// The labels of the fields the group declares here.
    pub(super) labels: Vec<Feature>,
    /// The vertex's pattern constraints declared in the group (indexes into its patterns).
    pub(super) patterns: Vec<usize>,
    /// Whether the group declares `...` here: it then allows any field.
    pub(super) open: bool,
}

/// One closedness group: one expansion of a definition, a `close()`, or a struct's own
/// declarations beside an embedded definition.
pub(super) struct Group {
    /// The group it was opened in: a group's declarations count for its ancestors too.
    pub(super) parent: Option<GroupId>,
    /// Whether the group restricts fields (an embedding opens an open one).
    pub(super) closed: bool,
    /// Made by `close()`: closed where it stands alone, but when its value is embedded in a
    /// struct it closes that struct instead (which may then declare more fields).
    pub(super) by_close: bool,
}

impl<'a> Eval<'a> {
    pub(super) fn new_group(&mut self, parent: Option<GroupId>, closed: bool) -> GroupId {
        self.groups.push(Group {
            parent,
            closed,
            by_close: false,
        });
        self.groups.len() - 1
    }

    pub(super) fn group_entry(&mut self, v: VertexId, group: GroupId) -> usize {
        let groups = &mut self.vertices[v].groups;
        if let Some(i) = groups.iter().position(|g| g.group == group) {
            return i;
        }
        groups.push(GroupDecls {
            group,
            labels: Vec::new(),
            patterns: Vec::new(),
            open: false,
        });
        groups.len() - 1
    }

    pub(super) fn check_allowed(&mut self, v: VertexId, a: VertexId) {
        let Some(feature) = self.vertices[a].feature.clone() else {
            return;
        };
        if !matches!(feature, Feature::Regular(_)) {
            return;
        }
        // A closed group governs wherever it or a group nested in it declares something.
        let closed: Vec<GroupId> = self.vertices[v]
            .groups
            .iter()
            .map(|g| g.group)
            .filter(|&g| self.groups[g].closed)
            .collect();
        for group in closed {
            if !self.allowed_by(v, group, &feature) {
                let mut spans = self.vertices[a].decl_spans.clone();
                spans.sort();
                spans.dedup();
                self.set_error(
                    a,
                    EvalError::new("FIELD_NOT_ALLOWED", "field not allowed", spans),
                );
                return;
            }
        }
    }

    pub(super) fn is_descendant(&self, mut group: GroupId, ancestor: GroupId) -> bool {
        loop {
            if group == ancestor {
                return true;
            }
            match self.groups[group].parent {
                Some(p) => group = p,
                None => return false,
            }
        }
    }

    pub(super) fn allowed_by(&mut self, v: VertexId, group: GroupId, feature: &Feature) -> bool {
        let Feature::Regular(name) = feature else {
            return true;
        };
        let mut patterns = Vec::new();
        for entry in &self.vertices[v].groups {
            if !self.is_descendant(entry.group, group) {
                continue;
            }
            if entry.open || entry.labels.contains(feature) {
                return true;
            }
            patterns.extend(entry.patterns.iter().copied());
        }
        for p in patterns {
            let matcher = match &self.vertices[v].patterns[p].matcher {
                Some(m) => m.clone(),
                None => continue,
            };
            if self.label_matches(&matcher, name) {
                return true;
            }
        }
        false
    }
}
