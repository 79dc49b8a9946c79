//! Closedness: which fields a struct allows.
//!
//! Closedness is tracked with groups ([`Group`]). Each reference to a definition opens a closed
//! group for the definition's conjuncts, and so do a definition's declarations and `close()`.
//! A struct that embeds a definition is closed too: its declarations get a group closed by
//! embedding. A struct literal is closed so as a definition is, down to its fields' fields (a
//! file at its own level only), but only where it was unified (a reference to one of its fields
//! is open) and not below a level that the embedded definition opens with `...`
//! ([`Group::origin`]); what it allows does not merge into a definition holding it
//! ([`Group::scope`]). Every embedding in a struct opens an embedding group under the struct's
//! own group.
//! A vertex records, per group present at it, the labels, pattern constraints and `...` declared
//! in that group ([`GroupDecls`]); a group's declarations count for its ancestors too.
//!
//! A regular field is allowed when, for every closed group present at its parent, some group
//! under that group's *requirement* declares it ([`Eval::requirement`]). The requirement is
//! the closed group itself, widened as CUE's spec has it: an embedding disregards the
//! closedness of the embedded value (a closed value embedded in a struct closes that struct
//! instead, which allows its own fields too), and the declarations of one definition share
//! their closedness (a declaration closed by an embedding allows the definition's other
//! fields). Widened across an embedding, the requirement takes the struct's own declarations
//! but not the other parts of the embedded value: `{#A & {x: 1}}` is closed by `#A` before
//! it is embedded, so `x` is not allowed ([`Requirement`]).
//!
//! In a file that enables `@experiment(explicitopen)`, none of the embedding rules apply:
//! embedding a value is unifying with it, so a struct literal's embeddings take its own group.
//! There `x...` adds `x` under a group that opens it ([`Group::opens`]): no closed group under
//! it counts, however deep. `__closeAll(x)` closes a literal the way a definition does, and
//! `__reclose(x)` as the values it opens with `...` were closed ([`Reclosing`]).

use super::conjunct::{ConjunctKind, Env};
use super::resolve::{reference_is_definition, Resolved};
use super::vertex::{Feature, VertexId};
use super::Eval;
use crate::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use crate::value::EvalError;

/// The code of the error of a field that a closed struct does not allow.
const FIELD_NOT_ALLOWED: &str = "FIELD_NOT_ALLOWED";

/// A closedness group, by its index in the evaluation's `groups`.
pub(super) type GroupId = usize;

/// What the declarations allowing a field must be under, for one closed group present at a
/// vertex ([`Eval::requirement`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Requirement {
    /// The group they must be under.
    pub(super) group: GroupId,
    /// Embeddings crossed on the way up, each with the group inside it that counts: a
    /// declaration under the embedding counts only if it is under that group too.
    pub(super) except: Vec<(GroupId, GroupId)>,
}

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
    /// Made by `x...` (`@experiment(explicitopen)`): everything under it is open, however it
    /// was closed, down to the fields of fields.
    pub(super) opens: bool,
    /// Made by `__closeAll` (or `__reclose` of a recursively closed value): it closes every
    /// struct under it, whatever group holds that struct's own declarations.
    pub(super) closes_all: bool,
    /// The declarations of a struct literal closed by the definition it embeds. When the
    /// literal is itself embedded in a closed context, the embedding's group stands for the
    /// literal: the whole embedded value counts with its declarations.
    pub(super) struct_decls: bool,
    /// Made for a field selected from a value computed in place (`(#x & y).z`): the
    /// conjuncts it brings, and those of the values they refer to, are open; a definition
    /// they refer to, or a `close()` they call, closes them anew.
    pub(super) detaches: bool,
    /// The group of a struct literal, a field's value, that embeds a definition: what it
    /// allows does not merge into a definition holding it (`#A & {#B, b: 1}` allows the
    /// fields of `{#B, b: 1}` only, whatever `#A` declares).
    pub(super) scope: bool,
    /// For the group closing a struct literal that embeds a definition: the vertex the
    /// literal is unified into. The literal closes it and the fields under it, not a value
    /// that refers to one of those fields (`z: a.b`).
    pub(super) origin: Option<VertexId>,
}

/// The builtins of the `explicitopen` experiment that close a struct literal, as `cue fix`
/// writes them where an embedding used to close the struct holding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ClosingBuiltin {
    /// `__closeAll(x)`: `x` closed recursively, as a definition is.
    CloseAll,
    /// `__reclose(x)`: `x` closed again as the values it opens with `...` were: recursively
    /// if one was a definition, at its own level if one was `close()`d, not at all otherwise.
    Reclose,
}

impl ClosingBuiltin {
    /// The closing builtin `callee` names, if it does and nothing in scope shadows it.
    pub(super) fn named(callee: &Expr) -> Option<ClosingBuiltin> {
        match &callee.kind {
            ExprKind::Ident(id) if id.name == "__closeAll" => Some(ClosingBuiltin::CloseAll),
            ExprKind::Ident(id) if id.name == "__reclose" => Some(ClosingBuiltin::Reclose),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ClosingBuiltin::CloseAll => "__closeAll",
            ClosingBuiltin::Reclose => "__reclose",
        }
    }
}

/// How closed a value is, as `__reclose` finds it; ordered from open to recursively closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Reclosing {
    Open,
    /// Closed at its own level (`close()`).
    Shallow,
    /// Closed down to the fields of fields (a definition).
    Recursive,
}

/// How deeply `__reclose` follows references to find how a value was closed.
const RECLOSING_DEPTH: u32 = 16;

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
            opens: false,
            closes_all: false,
            struct_decls: false,
            scope: false,
            origin: None,
            detaches: false,
        });
        self.groups.len() - 1
    }

    /// The own group of a struct literal added in `parent` that embeds a definition:
    /// the declarations and embeddings of the literal are under it. `scope` for a literal that
    /// is a value, not itself embedded; `in_closed` when a closed group holds it.
    pub(super) fn literal_group(
        &mut self,
        parent: Option<GroupId>,
        in_closed: bool,
        scope: bool,
    ) -> GroupId {
        let g = self.new_group(parent, Closedness::Open);
        self.groups[g].struct_decls = in_closed;
        self.groups[g].scope = scope;
        g
    }

    /// The group of the value of a `close()` embedded in a struct, added in `outer`: closed by
    /// the embedding, at its own level only (its fields' values are in an open group under it).
    pub(super) fn embedded_close_group(&mut self, outer: GroupId) -> GroupId {
        let g = self.new_group(Some(outer), Closedness::Embedded);
        self.groups[g].by_close = true;
        g
    }

    /// Whether `group` holds the fields' values of an embedded `close()`'s value
    /// ([`Eval::embedded_close_group`]): a `close()` there is embedded too, it closes the field
    /// with the declarations of the struct the value is embedded in.
    pub(super) fn in_embedded_close(&self, group: GroupId) -> bool {
        let g = &self.groups[group];
        !g.is_closed()
            && g.parent.is_some_and(|p| {
                let p = &self.groups[p];
                p.by_close && p.closedness == Closedness::Embedded
            })
    }

    /// Whether `group` is the group of the conjuncts of a field selected from a value computed
    /// in place ([`Eval::detached_group`]) that is embedded in a struct
    /// (`{A: 1, {out: close({b: 1})}.out}`): a `close()` among them is embedded, as CUE has
    /// it, it closes that struct, which allows its own fields too.
    pub(super) fn embedded_detached(&self, group: GroupId) -> bool {
        let g = &self.groups[group];
        g.detaches
            && g.parent
                .is_some_and(|p| self.groups[p].embedded_at.is_some())
    }

    /// The group that closes a struct literal added at `v` because it embeds a definition,
    /// under the literal's own group: its declarations, and its fields' values, are in it.
    pub(super) fn embedding_closed_group(
        &mut self,
        literal: Option<GroupId>,
        v: VertexId,
    ) -> GroupId {
        let g = self.new_group(literal, Closedness::Embedded);
        self.groups[g].origin = Some(v);
        g
    }

    /// Whether the closed group `g`, present at `v`, closes `v`. A group closing a struct
    /// literal by embedding closes the vertex the literal is unified into and the fields
    /// under it, unless a level between them is opened by `...` in what the group requires.
    fn closes(&self, g: GroupId, v: VertexId) -> bool {
        let Some(origin) = self.groups[g].origin else {
            return true;
        };
        let mut current = v;
        while current != origin {
            let Some(parent) = self.vertices[current].parent else {
                return false;
            };
            let required = self.requirement(g, parent);
            if self.vertices[parent]
                .groups
                .iter()
                .any(|entry| entry.open && self.satisfies(parent, entry.group, &required))
            {
                return false;
            }
            current = parent;
        }
        true
    }

    /// The group of the value of `x...` added in `parent`: it opens what it holds.
    pub(super) fn opening_group(&mut self, parent: Option<GroupId>) -> GroupId {
        let group = self.new_group(parent, Closedness::Open);
        self.groups[group].opens = true;
        group
    }

    /// The group of the conjuncts of a field selected from a value computed in place, added
    /// in `parent` ([`Group::detaches`]).
    pub(super) fn detached_group(&mut self, parent: Option<GroupId>) -> GroupId {
        let group = self.new_group(parent, Closedness::Open);
        self.groups[group].detaches = true;
        group
    }

    /// Whether a conjunct added in `group` leaves the closedness it had: `group` is, or is
    /// open under, a group made by [`Eval::detached_group`], with nothing closed between.
    pub(super) fn is_detached(&self, group: GroupId) -> bool {
        let mut current = Some(group);
        while let Some(g) = current {
            let g = &self.groups[g];
            if g.detaches {
                return true;
            }
            if g.is_closed() {
                return false;
            }
            current = g.parent;
        }
        false
    }

    /// Whether `group` is opened by `x...`: it or a group holding it was made by one.
    pub(super) fn is_opened(&self, group: GroupId) -> bool {
        self.opener(group).is_some()
    }

    /// The innermost group made by `x...` that is `group` or holds it.
    pub(super) fn opener(&self, group: GroupId) -> Option<GroupId> {
        let mut current = Some(group);
        while let Some(g) = current {
            if self.groups[g].opens {
                return Some(g);
            }
            current = self.groups[g].parent;
        }
        None
    }

    /// The group under which a conjunct whose own group is `own` is added where the group is
    /// `outer`: its own, unless `outer` opens it (then its closedness no longer counts).
    pub(super) fn inherited_group(
        &self,
        own: Option<GroupId>,
        outer: Option<GroupId>,
    ) -> Option<GroupId> {
        match outer {
            Some(o) if self.is_opened(o) || (own.is_some() && self.is_detached(o)) => outer,
            _ => own.or(outer),
        }
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

    /// What a declaration at `v` must be under to satisfy the closed group `c` present at `v`
    /// (see the module comment). Walking up from `c`:
    ///
    /// - an embedding is crossed into the struct that embeds the value (the embedded value's
    ///   closedness becomes that struct's), where the embedding happened at `v`, and below it
    ///   for closedness that came from the embedding itself (a field of an embedded
    ///   definition), but not for a definition referenced inside the embedded value;
    /// - a group closed by embedding merges into the group holding it (its struct's own, a
    ///   definition's), and an open group into a closed one holding it: the declarations of
    ///   one definition share their closedness, and so do those of an embedded definition
    ///   with the struct it is embedded in.
    ///
    /// Crossing an embedding widens the requirement to the struct's own declarations only:
    /// the other parts of the same embedded value do not count (`{#A & #B}` is closed by
    /// each of `#A` and `#B`, `{#A & {x: 1}}` does not allow `x`), as the embedded value is
    /// evaluated, closed, before the struct embeds it.
    pub(super) fn requirement(&self, c: GroupId, v: VertexId) -> Requirement {
        let mut required = c;
        let mut except = Vec::new();
        let mut firm = self.groups[c].closedness == Closedness::Definition;
        while let Some(parent) = self.groups[required].parent {
            let holder = &self.groups[parent];
            // A struct literal's own scope does not merge into the definition holding it.
            let bounded =
                self.groups[required].scope && holder.closedness == Closedness::Definition;
            match (holder.embedded_at, holder.parent) {
                (Some(at), Some(embedder)) if at == v || !firm => {
                    if !self.groups[required].struct_decls {
                        except.push((parent, required));
                    }
                    required = embedder;
                    firm = self.groups[embedder].closedness == Closedness::Definition;
                }
                (None, _)
                    if !firm
                        && !bounded
                        && (holder.is_closed()
                            || self.groups[required].closedness == Closedness::Embedded) =>
                {
                    required = parent;
                    firm = holder.closedness == Closedness::Definition;
                }
                _ => break,
            }
        }
        Requirement {
            group: required,
            except,
        }
    }

    /// The requirement of every closed group present at `v`, each once, in the order of the
    /// groups' first declarations at `v`. A group that closes all under it is present at
    /// every vertex where a group under it declares something.
    pub(super) fn requirements(&self, v: VertexId) -> Vec<Requirement> {
        let mut required: Vec<Requirement> = Vec::new();
        for entry in &self.vertices[v].groups {
            if self.groups[entry.group].is_closed() && !self.is_opened(entry.group) {
                let closing = match self.closes(entry.group, v) {
                    true => Some(entry.group),
                    // Then the literal is as any other: closed by what holds it.
                    false => self.groups[entry.group]
                        .parent
                        .and_then(|literal| self.arc_group(self.groups[literal].parent))
                        .filter(|&g| self.groups[g].is_closed() && !self.is_opened(g)),
                };
                if let Some(g) = closing {
                    let r = self.requirement(g, v);
                    if !required.contains(&r) {
                        required.push(r);
                    }
                }
            }
            let mut above = self.groups[entry.group].parent;
            while let Some(g) = above {
                if self.groups[g].closes_all
                    && !self.is_opened(g)
                    && !required.iter().any(|r| r.group == g && r.except.is_empty())
                {
                    required.push(Requirement {
                        group: g,
                        except: Vec::new(),
                    });
                }
                above = self.groups[g].parent;
            }
        }
        required
    }

    /// Whether the declarations of `group` at `v` satisfy `required`.
    pub(super) fn satisfies(&self, v: VertexId, group: GroupId, required: &Requirement) -> bool {
        self.is_descendant(v, group, required.group)
            && required.except.iter().all(|&(embedding, kept)| {
                !self.is_descendant(v, group, embedding) || self.is_descendant(v, group, kept)
            })
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
    pub(super) fn check_allowed(&mut self, v: VertexId, a: VertexId, requirements: &[Requirement]) {
        let Some(feature) = self.vertices[a].feature.clone() else {
            return;
        };
        if !matches!(feature, Feature::Regular(_)) {
            return;
        }
        for required in requirements {
            if !self.allowed_by(v, required, &feature) {
                let mut spans = self.vertices[a].decl_spans.clone();
                spans.sort();
                spans.dedup();
                self.set_error(
                    a,
                    EvalError::new(FIELD_NOT_ALLOWED, "field not allowed", spans),
                );
                return;
            }
        }
    }

    /// Whether `v` is a field that a closed group present at its parent does not allow
    /// ([`Eval::check_allowed`], run before the parent's arcs are finalized). CUE reports
    /// `field not allowed` for such a field whatever its value, a disjunction too
    /// (`#B & {a: string | *"foo"}` with `#B: b?: string`): the field is that error. Its
    /// disjunction is then not resolved, since the vertex would stand for the candidate it
    /// picks, evaluated on its own, without the error.
    pub(super) fn is_not_allowed(&self, v: VertexId) -> bool {
        self.vertices[v]
            .error
            .as_ref()
            .is_some_and(|e| e.code == FIELD_NOT_ALLOWED)
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

    pub(super) fn allowed_by(
        &mut self,
        v: VertexId,
        required: &Requirement,
        feature: &Feature,
    ) -> bool {
        let Feature::Regular(name) = feature else {
            return true;
        };
        let mut patterns = Vec::new();
        for entry in &self.vertices[v].groups {
            if !self.satisfies(v, entry.group, required) {
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

impl<'a> Eval<'a> {
    /// Adds `__closeAll(x)` or `__reclose(x)` (`call`, whose argument list is `args`) to `v`
    /// in `group`: `x` must be a struct or list literal (or, for `__reclose`, a `close()` of
    /// one), in a file that enables `explicitopen`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_closing_call(
        &mut self,
        v: VertexId,
        builtin: ClosingBuiltin,
        call: &'a Expr,
        args: &'a [Expr],
        env: Env<'a>,
        group: Option<GroupId>,
        embedded: bool,
    ) {
        let name = builtin.name();
        let fail = |message: String| {
            EvalError::new(
                "INVALID",
                format!("error in call to {name}: {message}"),
                vec![call.span],
            )
        };
        if !self.explicit_open(call.span.file) {
            let err = fail(format!(
                "{name} may only be used when explicitopen is enabled"
            ));
            return self.set_error(v, err);
        }
        let [arg] = args else {
            let err = fail(format!(
                "wrong number of arguments: expected 1, got {}",
                args.len()
            ));
            return self.set_error(v, err);
        };
        if !is_literal(arg, builtin == ClosingBuiltin::Reclose) {
            return self.set_error(v, fail("argument must be a struct or list literal".into()));
        }
        let closing = match builtin {
            ClosingBuiltin::CloseAll => Reclosing::Recursive,
            ClosingBuiltin::Reclose => self.reclosing(arg, &env, RECLOSING_DEPTH),
        };
        let group = match closing {
            Reclosing::Open => group,
            Reclosing::Shallow => {
                // Closed here only: the group is present at `v` alone, the literal's fields
                // are declared in an open group under it.
                let closed = self.new_group(group, Closedness::Definition);
                self.group_entry(v, closed);
                Some(self.new_group(Some(closed), Closedness::Open))
            }
            Reclosing::Recursive => {
                let closed = self.new_group(group, Closedness::Definition);
                self.groups[closed].closes_all = true;
                Some(closed)
            }
        };
        self.add_expr(v, arg, env, group, embedded);
    }

    /// How the value of `e` was closed, for `__reclose`: by the definitions and `close()`
    /// calls it embeds, unifies or opens with `...`, following references `depth` deep.
    fn reclosing(&mut self, e: &'a Expr, env: &Env<'a>, depth: u32) -> Reclosing {
        if depth == 0 {
            return Reclosing::Open;
        }
        match &e.kind {
            ExprKind::Paren(x) | ExprKind::Unary(UnaryOp::Open, x) => {
                self.reclosing(x, env, depth - 1)
            }
            // The embeddings' references are resolved outside the literal: `cue fix` embeds
            // references to values declared elsewhere.
            ExprKind::Struct(lit) => {
                let mut closing = Reclosing::Open;
                for decl in &lit.decls {
                    if let crate::ast::Decl::Embed(x) = decl {
                        closing = closing.max(self.reclosing(x, env, depth - 1));
                    }
                }
                closing
            }
            ExprKind::Binary(BinaryOp::Conjunction, a, b) => self
                .reclosing(a, env, depth - 1)
                .max(self.reclosing(b, env, depth - 1)),
            ExprKind::Call(callee, args)
                if matches!(&callee.kind, ExprKind::Ident(id) if id.name == "close")
                    && args.len() == 1 =>
            {
                Reclosing::Shallow.max(self.reclosing(&args[0], env, depth - 1))
            }
            ExprKind::Ident(_) | ExprKind::Selector(..) if reference_is_definition(e) => {
                Reclosing::Recursive
            }
            ExprKind::Ident(_) | ExprKind::Selector(..) => match self.resolve(e, env) {
                Ok(Resolved::Vertex(t)) => {
                    let mut closing = Reclosing::Open;
                    for c in self.vertices[t].conjuncts.clone() {
                        if let ConjunctKind::Expr(x) = c.kind {
                            closing = closing.max(self.reclosing(x, &c.env, depth - 1));
                        }
                    }
                    closing
                }
                Ok(Resolved::Conjunct(c)) => match c.kind {
                    ConjunctKind::Expr(x) => self.reclosing(x, &c.env, depth - 1),
                    _ => Reclosing::Open,
                },
                _ => Reclosing::Open,
            },
            _ => Reclosing::Open,
        }
    }
}

/// Whether `e` is a struct or list literal (in parentheses or not), or with `close_call`, a
/// `close()` of one: the arguments the closing builtins take.
fn is_literal(e: &Expr, close_call: bool) -> bool {
    match &e.kind {
        ExprKind::Struct(_) | ExprKind::List(_) => true,
        ExprKind::Paren(x) => is_literal(x, close_call),
        ExprKind::Call(callee, args) if close_call => {
            matches!(&callee.kind, ExprKind::Ident(id) if id.name == "close")
                && args.len() == 1
                && is_literal(&args[0], false)
        }
        _ => false,
    }
}
