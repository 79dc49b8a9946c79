//! Closedness: which fields a struct allows.
//!
//! Closedness is tracked with groups ([`Group`]). Each reference to a definition opens a closed
//! group for the definition's conjuncts, and so do a definition's declarations and `close()`.
//! A struct that embeds a definition is closed too: its declarations get a group closed by
//! embedding. Every embedding in a struct opens an embedding group under the struct's own group.
//! A vertex records, per group present at it, the labels, pattern constraints and `...` declared
//! in that group ([`GroupDecls`]); a group's declarations count for its ancestors too.
//!
//! A regular field is allowed when, for every closed group present at its parent, some group
//! under that group's *requirement* declares it ([`Eval::requirement`]). The requirement is
//! the closed group itself, widened as CUE's spec has it: an embedding disregards the
//! closedness of the embedded value (a closed value embedded in a struct closes that struct
//! instead, which allows its own fields too), and the declarations of one definition share
//! their closedness (a declaration closed by an embedding allows the definition's other
//! fields).

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

/// Whether a group restricts fields, and how firmly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Closedness {
    /// Allows any field: a plain struct's declarations, an embedding.
    Open,
    /// Closed because of an embedding: a struct that embeds a definition, or a definition
    /// embedded in a struct. What it allows merges into the struct or definition holding it.
    Embedded,
    /// Closed by a definition (its declarations, a reference to it) or by `close()`.
    Definition,
}

/// One closedness group: one expansion of a definition, a `close()`, a struct's declarations,
/// or one embedding of a struct.
pub(super) struct Group {
    /// The group it was opened in: a group's declarations count for its ancestors too.
    pub(super) parent: Option<GroupId>,
    pub(super) closedness: Closedness,
    /// For an embedding group: the vertex of the struct the value is embedded in (its parent
    /// is that struct's group).
    pub(super) embedded_at: Option<VertexId>,
    /// Made by `close()`: closed where it stands alone, but when its value is embedded in a
    /// struct it closes that struct instead (which may then declare more fields).
    pub(super) by_close: bool,
}

impl Group {
    pub(super) fn is_closed(&self) -> bool {
        self.closedness != Closedness::Open
    }
}

impl<'a> Eval<'a> {
    pub(super) fn new_group(&mut self, parent: Option<GroupId>, closedness: Closedness) -> GroupId {
        self.groups.push(Group {
            parent,
            closedness,
            embedded_at: None,
            by_close: false,
        });
        self.groups.len() - 1
    }

    /// The group of a value embedded in the struct at `v` whose declarations are in `parent`.
    pub(super) fn embedding_group(&mut self, parent: GroupId, v: VertexId) -> GroupId {
        let group = self.new_group(Some(parent), Closedness::Open);
        self.groups[group].embedded_at = Some(v);
        group
    }

    /// The group of the fields of a struct added in `group`: an embedding's group is only for
    /// the embedded value's own level, its fields take the group of the struct embedding it.
    pub(super) fn arc_group(&self, mut group: Option<GroupId>) -> Option<GroupId> {
        while let Some(g) = group.filter(|&g| self.groups[g].embedded_at.is_some()) {
            group = self.groups[g].parent;
        }
        group
    }

    /// The group under which a declaration at `v` must be to satisfy the closed group `c`
    /// present at `v` (see the module comment). Walking up from `c`:
    ///
    /// - an embedding is crossed into the struct that embeds the value (the embedded value's
    ///   closedness becomes that struct's), where the embedding happened at `v`, and below it
    ///   for closedness that came from the embedding itself (a field of an embedded
    ///   definition), but not for a definition referenced inside the embedded value;
    /// - a group closed by embedding merges into the group holding it (its struct's own, a
    ///   definition's), and an open group into a closed one holding it: the declarations of
    ///   one definition share their closedness, and so do those of an embedded definition
    ///   with the struct it is embedded in.
    pub(super) fn requirement(&self, c: GroupId, v: VertexId) -> GroupId {
        let mut required = c;
        let mut firm = self.groups[c].closedness == Closedness::Definition;
        while let Some(parent) = self.groups[required].parent {
            let holder = &self.groups[parent];
            match (holder.embedded_at, holder.parent) {
                (Some(at), Some(embedder)) if at == v || !firm => {
                    required = embedder;
                    firm = self.groups[embedder].closedness == Closedness::Definition;
                }
                (None, _)
                    if !firm
                        && (holder.is_closed()
                            || self.groups[required].closedness == Closedness::Embedded) =>
                {
                    required = parent;
                    firm = holder.closedness == Closedness::Definition;
                }
                _ => break,
            }
        }
        required
    }

    /// The requirement of every closed group present at `v`, each once, in the order of the
    /// groups' first declarations at `v`.
    pub(super) fn requirements(&self, v: VertexId) -> Vec<GroupId> {
        let mut required = Vec::new();
        for entry in &self.vertices[v].groups {
            if self.groups[entry.group].is_closed() {
                let r = self.requirement(entry.group, v);
                if !required.contains(&r) {
                    required.push(r);
                }
            }
        }
        required
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

    /// Sets an error on the arc `a` of `v` when a closed group present at `v` does not allow
    /// it; `requirements` are `v`'s ([`Eval::requirements`]).
    pub(super) fn check_allowed(&mut self, v: VertexId, a: VertexId, requirements: &[GroupId]) {
        let Some(feature) = self.vertices[a].feature.clone() else {
            return;
        };
        if !matches!(feature, Feature::Regular(_)) {
            return;
        }
        for &group in requirements {
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

    /// Whether `group` is `ancestor` or lies under it at `v`: through its parents, or through
    /// an embedding at `v` that adopted a group on the way ([`Eval::adopt`]).
    pub(super) fn is_descendant(&self, v: VertexId, group: GroupId, ancestor: GroupId) -> bool {
        let adopted = &self.vertices[v].adopted;
        if adopted.is_empty() {
            let mut current = Some(group);
            while let Some(g) = current {
                if g == ancestor {
                    return true;
                }
                current = self.groups[g].parent;
            }
            return false;
        }
        // Adoptions make the groups a graph (an embedding may adopt a group above it): search
        // it, each group once.
        let mut pending = vec![group];
        let mut seen = Vec::new();
        while let Some(g) = pending.pop() {
            if g == ancestor {
                return true;
            }
            if seen.contains(&g) {
                continue;
            }
            seen.push(g);
            pending.extend(adopted.iter().filter(|(own, _)| *own == g).map(|(_, e)| *e));
            pending.extend(self.groups[g].parent);
        }
        false
    }

    /// Notes that the group `own` of a conjunct embedded at `v` through `embedding` counts as
    /// declared in the embedding here: the struct that embeds a value allows its fields.
    pub(super) fn adopt(&mut self, v: VertexId, own: GroupId, embedding: GroupId) {
        let adopted = &mut self.vertices[v].adopted;
        if own != embedding && !adopted.contains(&(own, embedding)) {
            adopted.push((own, embedding));
        }
    }

    pub(super) fn allowed_by(&mut self, v: VertexId, group: GroupId, feature: &Feature) -> bool {
        let Feature::Regular(name) = feature else {
            return true;
        };
        let mut patterns = Vec::new();
        for entry in &self.vertices[v].groups {
            if !self.is_descendant(v, entry.group, group) {
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
