//! The read-only view of an evaluated vertex, for the code outside the evaluator that reads the
//! tree (the compiled validator, export): what a vertex is, never how evaluation keeps it.
//!
//! Reading goes through [`Eval::view`]; the few operations that must evaluate something more
//! (a pattern constraint's value on its own, a list's element constraint) are methods of
//! [`Eval`] that build a fresh vertex and return its id.

use std::collections::HashSet;
use std::sync::Arc;

use super::conjunct::{Conjunct, ConjunctKind, Env};
use super::disjunct::collect_disjuncts;
use super::resolve::{reference_is_definition, Resolved};
use super::validator::ValidatorKind;
use super::vertex::{ArcType, Feature, Vertex, VertexId};
use super::Eval;
use crate::source::Span;
use crate::value::{EvalError, Scalar};

/// One evaluated vertex, read-only.
#[derive(Clone, Copy)]
pub(crate) struct VertexView<'e, 'a> {
    vertex: &'e Vertex<'a>,
}

/// What one closed group present at a struct allows: the regular labels and pattern
/// constraints declared in it or in a group nested in it, and whether any of those has `...`.
pub(crate) struct ClosedSet {
    pub(crate) labels: HashSet<Arc<str>>,
    /// Indexes of the struct's pattern constraints ([`VertexView::pattern_count`]).
    pub(crate) patterns: Vec<usize>,
    pub(crate) open: bool,
}

impl<'e, 'a> VertexView<'e, 'a> {
    /// The label of the vertex in its parent; `None` for a root or a detached value.
    #[inline]
    pub(crate) fn feature(&self) -> Option<&'e Feature> {
        self.vertex.feature.as_ref()
    }

    #[inline]
    pub(crate) fn parent(&self) -> Option<VertexId> {
        self.vertex.parent
    }

    /// For a candidate of a disjunction: the vertex it is a candidate for.
    #[inline]
    pub(crate) fn origin(&self) -> Option<VertexId> {
        self.vertex.origin
    }

    /// The arcs (fields, then list elements), in the order they were first declared.
    #[inline]
    pub(crate) fn arcs(&self) -> &'e [VertexId] {
        &self.vertex.arcs
    }

    /// The arc with this label, if the vertex has one.
    #[inline]
    pub(crate) fn arc(&self, feature: &Feature) -> Option<VertexId> {
        self.vertex.arc_index.get(feature).copied()
    }

    #[inline]
    pub(crate) fn arc_type(&self) -> ArcType {
        self.vertex.arc_type
    }

    /// The spans of the labels of every field declaration that made this arc.
    #[inline]
    pub(crate) fn decl_spans(&self) -> &'e [Span] {
        &self.vertex.decl_spans
    }

    /// The first error found for the vertex (incomplete or not).
    #[inline]
    pub(crate) fn error(&self) -> Option<&'e Arc<EvalError>> {
        self.vertex.error.as_ref()
    }

    /// Whether the vertex is a list (a list literal was unified into it).
    #[inline]
    pub(crate) fn is_list(&self) -> bool {
        self.vertex.list.is_some()
    }

    /// Whether the vertex is a struct (a struct literal with fields was unified into it).
    #[inline]
    pub(crate) fn is_struct(&self) -> bool {
        self.vertex.struct_span.is_some()
    }

    /// Whether the vertex is a struct only because nothing it embeds made it anything else
    /// (`{_}`, `{#a: 1, _}`): unified with data of another kind, it becomes that kind.
    #[inline]
    pub(crate) fn is_struct_by_default(&self) -> bool {
        self.vertex.struct_span.is_some() && self.vertex.struct_span == self.vertex.weak_struct
    }

    /// Whether a list literal without `...` fixed the list's length.
    #[inline]
    pub(crate) fn list_is_closed(&self) -> bool {
        self.vertex
            .list
            .as_ref()
            .is_some_and(|info| !info.closed.is_empty())
    }

    /// How many `...T` of the list's literals constrain their elements (`...` alone does not).
    pub(crate) fn list_rest_constraints(&self) -> usize {
        self.vertex
            .list_open
            .iter()
            .filter(|(_, c)| c.is_some())
            .count()
    }

    /// The scalar constraint: kinds, value, bounds, validators.
    #[inline]
    pub(crate) fn scalar(&self) -> &'e Scalar {
        &self.vertex.scalar
    }

    /// Every candidate of a resolved disjunction, failed or not, in order, with whether it is a
    /// default; empty when the vertex had no disjunction.
    #[inline]
    pub(crate) fn candidates(&self) -> &'e [(VertexId, bool)] {
        &self.vertex.candidates
    }

    /// How many pattern constraints (`[L]: V`) the struct has.
    #[inline]
    pub(crate) fn pattern_count(&self) -> usize {
        self.vertex.patterns.len()
    }

    /// Whether pattern `p` binds its label to an alias (`[Name=string]: ...`), which makes its
    /// value depend on the label.
    pub(crate) fn pattern_has_alias(&self, p: usize) -> bool {
        self.vertex.patterns[p].alias.is_some()
    }

    /// The span of pattern `p`'s label expression.
    pub(crate) fn pattern_label_span(&self, p: usize) -> Span {
        self.vertex.patterns[p].label.span
    }
}

/// A validator taking schemas on a vertex, its arguments as fresh vertices under the vertex
/// (not yet evaluated): what export states as combinators.
pub(crate) enum SchemaCheck {
    /// `matchN(count, [schemas])`; `schemas` is `None` when the second argument is not a list.
    MatchN {
        count: VertexId,
        schemas: Option<Vec<VertexId>>,
    },
    /// `matchIf(condition, then, otherwise)`.
    MatchIf {
        condition: VertexId,
        then: VertexId,
        otherwise: VertexId,
    },
    /// A builtin in its validator form, by `package.name`: `list.MatchN(n, schema)` is
    /// `("list.MatchN", [n, schema])`.
    Builtin { name: String, args: Vec<VertexId> },
}

impl<'a> Eval<'a> {
    /// A read-only view of vertex `v`.
    #[inline]
    pub(crate) fn view(&self, v: VertexId) -> VertexView<'_, 'a> {
        VertexView {
            vertex: &self.vertices[v],
        }
    }

    /// Whether a declaration of `v` is `...` (`{a?: int, ...}`), which allows any field: in a
    /// closedness group present at `v`, or in a struct literal that is one of its conjuncts.
    pub(crate) fn declares_ellipsis(&self, v: VertexId) -> bool {
        use crate::ast::{Decl, ExprKind};
        self.vertices[v].groups.iter().any(|entry| entry.open)
            || self.vertices[v].conjuncts.iter().any(|c| match c.kind {
                ConjunctKind::Expr(e) => match &e.kind {
                    ExprKind::Struct(s) => s.decls.iter().any(|d| matches!(d, Decl::Ellipsis(_))),
                    _ => false,
                },
                _ => false,
            })
    }

    /// What each closed group present at `v` allows, one [`ClosedSet`] per closed group (as
    /// [`Eval::allowed_by`] decides: a field is allowed when every set allows it).
    pub(crate) fn closed_sets(&self, v: VertexId) -> Vec<ClosedSet> {
        let entries = &self.vertices[v].groups;
        let mut sets = Vec::new();
        for required in self.requirements(v) {
            let mut set = ClosedSet {
                labels: HashSet::new(),
                patterns: Vec::new(),
                open: false,
            };
            for entry in entries {
                if !self.satisfies(v, entry.group, &required) {
                    continue;
                }
                set.open |= entry.open;
                for label in &entry.labels {
                    if let Feature::Regular(name) = label {
                        set.labels.insert(name.clone());
                    }
                }
                set.patterns.extend(entry.patterns.iter().copied());
            }
            sets.push(set);
        }
        sets
    }

    /// A fresh vertex under `v` holding the values of `v`'s pattern constraints `patterns`,
    /// unified: the value those patterns give a field they match (not yet evaluated).
    pub(crate) fn pattern_value(&mut self, v: VertexId, patterns: &[usize]) -> VertexId {
        let conjuncts: Vec<Conjunct<'a>> = patterns
            .iter()
            .map(|&p| {
                let pattern = &self.vertices[v].patterns[p];
                Conjunct {
                    kind: ConjunctKind::Expr(pattern.value),
                    env: pattern.env.clone(),
                    group: pattern.group,
                }
            })
            .collect();
        self.detached(Some(v), conjuncts)
    }

    /// A fresh vertex under the list `v` holding every element constraint (`...T`) of its
    /// literals, unified: the value of an element past the literals' prefix (not yet
    /// evaluated). `None` when no literal constrains the rest.
    pub(crate) fn list_rest_value(&mut self, v: VertexId) -> Option<VertexId> {
        let constraints: Vec<Conjunct<'a>> = self.vertices[v]
            .list_open
            .iter()
            .filter_map(|(_, c)| c.clone())
            .collect();
        (!constraints.is_empty()).then(|| self.detached(Some(v), constraints))
    }

    /// The validators taking schemas on `v` (see [`SchemaCheck`]), each with its CUE text.
    pub(crate) fn schema_checks(&mut self, v: VertexId) -> Vec<(String, SchemaCheck)> {
        let validators = self.vertices[v].validators.clone();
        let mut checks = Vec::new();
        for validator in validators {
            let mut args: Vec<VertexId> = validator
                .args
                .iter()
                .map(|arg| {
                    let conjunct = Conjunct {
                        kind: ConjunctKind::Expr(arg),
                        env: validator.env.clone(),
                        group: None,
                    };
                    self.detached(Some(v), vec![conjunct])
                })
                .collect();
            let check = match validator.kind {
                ValidatorKind::MatchN if args.len() == 2 => {
                    let list = args[1];
                    self.finalize(list);
                    let list = self.resolve_forward(list);
                    let schemas = self.vertices[list].list.is_some().then(|| {
                        self.vertices[list]
                            .arcs
                            .iter()
                            .copied()
                            .filter(|&a| {
                                matches!(self.vertices[a].feature, Some(Feature::Index(_)))
                            })
                            .collect()
                    });
                    SchemaCheck::MatchN {
                        count: args[0],
                        schemas,
                    }
                }
                ValidatorKind::MatchIf if args.len() == 3 => {
                    let otherwise = args.remove(2);
                    let then = args.remove(1);
                    SchemaCheck::MatchIf {
                        condition: args[0],
                        then,
                        otherwise,
                    }
                }
                ValidatorKind::Schema(builtin) => SchemaCheck::Builtin {
                    name: format!("{}.{}", builtin.package, builtin.name),
                    args,
                },
                // A call with the wrong number of arguments is an error of the value already.
                ValidatorKind::MatchN | ValidatorKind::MatchIf => continue,
            };
            checks.push((self.text(validator.span), check));
        }
        checks
    }

    /// A fresh regular vertex (under `parent`, if any) holding `conjuncts`, not yet evaluated.
    pub(super) fn detached(
        &mut self,
        parent: Option<VertexId>,
        conjuncts: Vec<Conjunct<'a>>,
    ) -> VertexId {
        let t = self.new_vertex(parent, None);
        self.vertices[t].arc_type = ArcType::Regular;
        self.vertices[t].conjuncts.extend(conjuncts);
        t
    }

    /// The vertex of the definition that `v`'s conjuncts refer to (`cust: #Customer`, or the
    /// same reference declared twice), if that is all `v` is.
    pub(crate) fn definition_reference(&mut self, v: VertexId) -> Option<VertexId> {
        let conjuncts = self.vertices[v].conjuncts.clone();
        let mut target = None;
        for conjunct in conjuncts {
            let ConjunctKind::Expr(e) = conjunct.kind else {
                return None;
            };
            let t = self.definition_target(e, &conjunct.env)?;
            if target.is_some_and(|seen| seen != t) {
                return None;
            }
            target = Some(t);
        }
        target
    }

    /// The vertex of the field that `v`'s conjuncts all refer to (`t: _node`, `b: Bar`, or a
    /// definition), if that is all `v` is. Export names such a value by the field it refers to.
    pub(crate) fn field_reference(&mut self, v: VertexId) -> Option<VertexId> {
        // Most values are not references: tell without copying their conjuncts.
        let only_references = self.vertices[v]
            .conjuncts
            .iter()
            .all(|c| matches!(c.kind, ConjunctKind::Expr(e) if is_reference(e)));
        if !only_references {
            return None;
        }
        let conjuncts = self.vertices[v].conjuncts.clone();
        let mut target = None;
        for conjunct in conjuncts {
            let ConjunctKind::Expr(e) = conjunct.kind else {
                return None;
            };
            if !is_reference(e) {
                return None;
            }
            let Ok(Resolved::Vertex(t)) = self.resolve(e, &conjunct.env) else {
                return None;
            };
            if target.is_some_and(|seen| seen != t) {
                return None;
            }
            target = Some(t);
        }
        target
    }

    /// The vertex of the field that `v`'s one conjunct closes (`t: close(_foo)`), if that is
    /// all `v` is. An export that states no closedness names such a value by that field.
    pub(crate) fn closed_field_reference(&mut self, v: VertexId) -> Option<VertexId> {
        use crate::ast::ExprKind;
        let [conjunct] = self.vertices[v].conjuncts.as_slice() else {
            return None;
        };
        let ConjunctKind::Expr(e) = conjunct.kind else {
            return None;
        };
        let ExprKind::Call(function, args) = &e.kind else {
            return None;
        };
        let (ExprKind::Ident(name), [arg]) = (&function.kind, args.as_slice()) else {
            return None;
        };
        if name.name != "close" || !is_reference(arg) {
            return None;
        }
        let env = conjunct.env.clone();
        match self.resolve(arg, &env) {
            Ok(Resolved::Vertex(t)) => Some(t),
            _ => None,
        }
    }

    /// When `v`'s value is one disjunction written in place: its disjuncts, in order (with
    /// their environment). Empty otherwise.
    fn disjuncts_in_place(&self, v: VertexId) -> Vec<(&'a crate::ast::Expr, Env<'a>)> {
        let [conjunct] = self.vertices[v].conjuncts.as_slice() else {
            return Vec::new();
        };
        let ConjunctKind::Expr(e) = conjunct.kind else {
            return Vec::new();
        };
        let mut disjuncts = Vec::new();
        collect_disjuncts(e, &mut disjuncts);
        disjuncts
            .into_iter()
            .map(|(x, _)| (x, conjunct.env.clone()))
            .collect()
    }

    /// When `v`'s value is one disjunction written in place: how many disjuncts it has (each
    /// candidate of `v` is then one of them, in order). 0 otherwise.
    pub(crate) fn disjunct_count(&self, v: VertexId) -> usize {
        self.disjuncts_in_place(v).len()
    }

    /// The vertex of the definition that disjunct `i` of `v` refers to (see
    /// [`Eval::disjunct_count`]), if it is such a reference.
    pub(crate) fn disjunct_reference(&mut self, v: VertexId, i: usize) -> Option<VertexId> {
        let (e, env) = self.disjuncts_in_place(v).into_iter().nth(i)?;
        self.definition_target(e, &env)
    }

    fn definition_target(&mut self, e: &'a crate::ast::Expr, env: &Env<'a>) -> Option<VertexId> {
        if !reference_is_definition(e) {
            return None;
        }
        match self.resolve(e, env) {
            Ok(Resolved::Vertex(t)) => Some(t),
            _ => None,
        }
    }
}

/// Whether `e` is a reference to a field by name (`a`, `x.y`, `(a)`), not a computation.
fn is_reference(e: &crate::ast::Expr) -> bool {
    use crate::ast::ExprKind;
    match &e.kind {
        ExprKind::Ident(_) => true,
        ExprKind::Selector(base, _) => is_reference(base),
        ExprKind::Paren(inner) => is_reference(inner),
        _ => false,
    }
}
