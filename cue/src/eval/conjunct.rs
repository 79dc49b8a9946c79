//! Adding conjuncts: routing each conjunct of a vertex to where it applies.
//!
//! A [`Conjunct`] is an expression with its lexical environment ([`Env`], a chain of
//! [`Frame`]s) and the closedness group it was added in. Adding one to a vertex dispatches on
//! the expression: struct literals declare arcs (and patterns, embeddings, comprehensions),
//! list literals declare elements, conjunctions add both sides, disjunctions are deferred
//! (`disjunct.rs`), references add the conjuncts of the vertex they name (`resolve.rs`), and
//! every other expression is evaluated to a value (`expr.rs`) and unified into the vertex's
//! scalar constraint.

use std::sync::Arc;

use super::call::{validator_scalar, Func};
use super::closed::{Closedness, ClosingBuiltin, GroupId};
use super::cycle::{is_reference_cycle, STRUCTURAL_CYCLE};
use super::disjunct::collect_disjuncts;
use super::pattern::Pattern;
use super::resolve::{reference_is_definition, Resolved};
use super::validator::{validator_kind, SchemaValidator, ValidatorKind};
use super::values::Val;
use super::vertex::{ArcType, Feature, ListInfo, State, VertexId};
use super::Eval;
use crate::ast::{self, BinaryOp, Decl, Expr, ExprKind, FieldConstraint, LabelKind, UnaryOp};
use crate::builtins::Kind;
use crate::source::Span;
use crate::value::{Atom, EvalError, Kinds, Scalar};

/// What a conjunct adds.
#[derive(Clone)]
pub(super) enum ConjunctKind<'a> {
    /// An expression of the program (or of the data or a `-d` expression).
    Expr(&'a Expr),
    /// The top-level declarations of one file of a package.
    File { package: usize, file: usize },
    /// A value already evaluated (a builtin's result, a disjunct of a computed disjunction).
    Val(Val),
}

/// An embedded value whose adding waits until the other conjuncts of its struct are in
/// (see `unify.rs`).
pub(super) enum Embedded<'a> {
    /// A computed value (`{number & list.Sum(#in)}`): it reads the struct's fields.
    Computed {
        expr: &'a Expr,
        env: Env<'a>,
        group: Option<GroupId>,
    },
    /// A field of a struct still being expanded (`{#a, #a: "s"}`): it may get more
    /// conjuncts.
    Field {
        target: VertexId,
        group: Option<GroupId>,
        is_definition: bool,
        /// Whether a definition's closedness is by embedding (see `closed.rs`); not with
        /// `explicitopen`, where embedding is unifying.
        by_embedding: bool,
    },
}

/// Where a struct literal's declarations are added ([`Eval::add_decls`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Literal {
    /// A file's own declarations.
    File,
    /// A struct literal that is a value: a field's, an operand's.
    Value,
    /// A struct literal embedded in another struct, or yielded by a comprehension.
    Embedded,
}

/// One conjunct of a vertex: what it adds, where its names resolve, and the closedness group
/// it was added in.
#[derive(Clone)]
pub(super) struct Conjunct<'a> {
    pub(super) kind: ConjunctKind<'a>,
    pub(super) env: Env<'a>,
    pub(super) group: Option<GroupId>,
}

/// A lexical environment: the innermost scope, linked to the scopes around it.
pub(super) type Env<'a> = Option<Arc<Frame<'a>>>;

/// One lexical scope.
pub(super) struct Frame<'a> {
    pub(super) parent: Env<'a>,
    pub(super) kind: FrameKind<'a>,
}

/// What a scope declares.
pub(super) enum FrameKind<'a> {
    /// A struct literal evaluated into `vertex`: its fields, lets and aliases are in scope.
    Struct { decls: &'a [Decl], vertex: VertexId },
    /// A file of a package evaluated into the package's root vertex.
    Package {
        package: usize,
        file: usize,
        vertex: VertexId,
    },
    /// A name bound by a comprehension clause or a pattern alias.
    Bind { name: &'a str, value: Val },
}

/// The vertex of the innermost struct (or package) whose declarations are in scope.
pub(super) fn scope_vertex(env: &Env<'_>) -> Option<VertexId> {
    let mut frame = env.as_ref();
    while let Some(f) = frame {
        match f.kind {
            FrameKind::Struct { vertex, .. } | FrameKind::Package { vertex, .. } => {
                return Some(vertex)
            }
            FrameKind::Bind { .. } => frame = f.parent.as_ref(),
        }
    }
    None
}

pub(super) fn env_key(env: &Env<'_>) -> usize {
    env.as_ref().map_or(0, |f| Arc::as_ptr(f) as usize)
}

pub(super) fn decl_span(decl: &Decl) -> Span {
    match decl {
        Decl::Field(f) => f.span,
        Decl::Embed(e) => e.span,
        Decl::Let(l) => l.span,
        Decl::Ellipsis(e) => e.span,
        Decl::Attribute(a) => a.span,
    }
}

impl<'a> Eval<'a> {
    pub(super) fn add(&mut self, v: VertexId, c: Conjunct<'a>) {
        self.with_stack(|this| {
            if this.enter() {
                this.add_inner(v, c);
            }
            this.leave();
        })
    }

    pub(super) fn add_inner(&mut self, v: VertexId, c: Conjunct<'a>) {
        if !self.step() {
            return;
        }
        match c.kind {
            ConjunctKind::File { package, file } => {
                if !self.vertices[v].seen.insert((usize::MAX - package, file)) {
                    return;
                }
                let env = Some(Arc::new(Frame {
                    parent: None,
                    kind: FrameKind::Package {
                        package,
                        file,
                        vertex: v,
                    },
                }));
                let decls = &self.program.packages[package].files[file].decls;
                let span = decls.first().map(decl_span).unwrap_or_default();
                self.add_decls(v, decls, env, c.group, span, Literal::File);
            }
            ConjunctKind::Val(val) => self.add_val(v, val, c.group, (0, 0)),
            ConjunctKind::Expr(e) => {
                let mut key = (e as *const Expr as usize, env_key(&c.env));
                // An expression opened by one `x...` is not the same conjunct as the expression
                // closed or opened by another: it declares its fields for the closedness
                // around that `x...`. The opening group marks the key (an environment's
                // address is aligned, its lowest bit is free; an expression's address leaves
                // the top 16 bits free).
                if let Some(opener) = c.group.and_then(|g| self.opener(g)) {
                    key.1 |= 1;
                    key.0 ^= (opener & 0xffff) << 48;
                }
                if !self.vertices[v].seen.insert(key) {
                    return;
                }
                // The same struct or list literal in the same scope already expanded above
                // this vertex: the value would contain itself forever.
                // (Data first: its objects and arrays then skip the search of ancestors.)
                if matches!(e.kind, ExprKind::Struct(_) | ExprKind::List(_))
                    && !self.has_data(v)
                    && self.repeats_structure(v, e, key, scope_vertex(&c.env))
                    && !self.has_fresh_struct(v)
                {
                    // What the literal is (a struct or a list) still counts: a value that
                    // conflicts with it is that conflict, not a cycle.
                    let kind = match e.kind {
                        ExprKind::List(_) => Kinds::LIST,
                        _ => Kinds::STRUCT,
                    };
                    self.unify_kinds(v, kind, e.span);
                    self.set_error(
                        v,
                        EvalError::new(STRUCTURAL_CYCLE, "structural cycle", vec![e.span]),
                    );
                    return;
                }
                self.add_expr(v, e, c.env, c.group, false);
            }
        }
    }

    pub(super) fn dynamic_label(&mut self, v: VertexId, expr: &'a Expr, env: &Env<'a>) -> Val {
        self.note_dependency(v);
        self.eval_expr(expr, env)
    }

    pub(super) fn add_expr(
        &mut self,
        v: VertexId,
        e: &'a Expr,
        env: Env<'a>,
        group: Option<GroupId>,
        embedded: bool,
    ) {
        match &e.kind {
            ExprKind::Struct(lit) => {
                let literal = match embedded {
                    true => Literal::Embedded,
                    false => Literal::Value,
                };
                self.add_decls(v, &lit.decls, env, group, e.span, literal)
            }
            ExprKind::List(list) => self.add_list(v, list, env, group, e.span),
            ExprKind::Paren(inner) | ExprKind::Optional(inner) => {
                self.add_expr(v, inner, env, group, embedded)
            }
            ExprKind::Unary(UnaryOp::Default, inner) => {
                self.add_expr(v, inner, env, group, embedded)
            }
            // `x...` (`@experiment(explicitopen)`): `x` under a group that opens it.
            ExprKind::Unary(UnaryOp::Open, inner) => {
                let opened = self.opening_group(group);
                self.add_expr(v, inner, env, Some(opened), embedded)
            }
            // A value alias (`foo: X={x: X.a}`) names the value it is unified into.
            ExprKind::Alias(name, inner) => {
                let env = Some(Arc::new(Frame {
                    parent: env,
                    kind: FrameKind::Bind {
                        name: &name.name,
                        value: Val::Node(v),
                    },
                }));
                self.add_expr(v, inner, env, group, embedded)
            }
            ExprKind::Binary(BinaryOp::Conjunction, a, b) => {
                self.add_expr(v, a, env.clone(), group, embedded);
                self.add_expr(v, b, env, group, embedded);
            }
            ExprKind::Binary(BinaryOp::Disjunction, ..) => {
                let mut options = Vec::new();
                collect_disjuncts(e, &mut options);
                let options = options
                    .into_iter()
                    .map(|(x, default)| {
                        (
                            Conjunct {
                                kind: ConjunctKind::Expr(x),
                                env: env.clone(),
                                group,
                            },
                            default,
                        )
                    })
                    .collect();
                self.add_disjunction(v, e as *const Expr as usize, options);
            }
            ExprKind::Ident(_) | ExprKind::Selector(..) | ExprKind::Index(..) => {
                match self.resolve(e, &env) {
                    Ok(Resolved::Vertex(t)) => {
                        if let Some(err) = self.absent_field(t, e.span) {
                            return self.set_error(v, err);
                        }
                        let is_definition = reference_is_definition(e);
                        // With `explicitopen`, embedding a definition is unifying with it.
                        let by_embedding = embedded && !self.explicit_open(e.span.file);
                        // An embedded field of a struct still being expanded (`{#a, #a: "s"}`)
                        // may get more conjuncts: it is added once they are all in.
                        if embedded
                            && self.vertices[v].state == State::Expanding
                            && self.vertices[t]
                                .parent
                                .is_some_and(|p| self.vertices[p].state == State::Expanding)
                        {
                            self.vertices[v].embedded_values.push(Embedded::Field {
                                target: t,
                                group,
                                is_definition,
                                by_embedding,
                            });
                        } else {
                            self.copying.push((v, t));
                            if selects_from_value(e) && !self.vertices[t].conjuncts.is_empty() {
                                // A field of a value computed in place (`(#x & y).z`) brings
                                // its conjuncts, not the closedness they had there (nor that of
                                // the values they refer to there).
                                let detached = Some(self.detached_group(group));
                                for c in self.vertices[t].conjuncts.clone() {
                                    self.add(
                                        v,
                                        Conjunct {
                                            group: detached,
                                            ..c
                                        },
                                    );
                                }
                            } else {
                                self.add_vertex_conjuncts(v, t, group, by_embedding, is_definition);
                            }
                            self.copying.pop();
                        }
                    }
                    Ok(Resolved::Conjunct(c)) => {
                        let c = Conjunct {
                            group: self.inherited_group(c.group, group),
                            ..c
                        };
                        self.add(v, c)
                    }
                    Ok(Resolved::Val(val)) => {
                        self.add_val(v, val, group, (e as *const Expr as usize, 0))
                    }
                    Err(err) => self.set_error(v, err),
                }
            }
            ExprKind::Call(callee, args)
                if ClosingBuiltin::named(callee).is_some()
                    && self.lookup(&env, "__closeAll").is_err()
                    && self.lookup(&env, "__reclose").is_err() =>
            {
                if let Some(builtin) = ClosingBuiltin::named(callee) {
                    self.add_closing_call(v, builtin, e, args, env, group, embedded);
                }
            }
            ExprKind::Call(callee, args) if matches!(&callee.kind, ExprKind::Ident(id) if validator_kind(&id.name).is_some()) => {
                match self.resolve(callee, &env) {
                    Ok(Resolved::Val(Val::Func(Func::Validator(kind)))) => {
                        let validator = SchemaValidator {
                            kind,
                            args,
                            env,
                            span: e.span,
                        };
                        self.add_schema_validator(v, validator);
                    }
                    _ => self.add_computed(v, e, env, group),
                }
            }
            ExprKind::Call(callee, args)
                if matches!(&callee.kind, ExprKind::Selector(..) | ExprKind::Ident(_))
                    && self.schema_validator_of(callee, args, &env).is_some() =>
            {
                if let Some(builtin) = self.schema_validator_of(callee, args, &env) {
                    let validator = SchemaValidator {
                        kind: ValidatorKind::Schema(builtin),
                        args,
                        env,
                        span: e.span,
                    };
                    self.add_schema_validator(v, validator);
                }
            }
            ExprKind::Comprehension(_) => self.set_error(
                v,
                EvalError::new(
                    "UNSUPPORTED",
                    "comprehension not allowed here",
                    vec![e.span],
                ),
            ),
            _ if embedded && self.vertices[v].state == State::Expanding => {
                self.vertices[v].embedded_values.push(Embedded::Computed {
                    expr: e,
                    env,
                    group,
                });
            }
            _ => self.add_computed(v, e, env, group),
        }
    }

    /// Adds the value of an expression that is computed, not a struct, list or reference.
    pub(super) fn add_computed(
        &mut self,
        v: VertexId,
        e: &'a Expr,
        env: Env<'a>,
        group: Option<GroupId>,
    ) {
        let val = self.eval_expr(e, &env);
        self.add_val(v, val, group, (e as *const Expr as usize, env_key(&env)));
    }

    pub(super) fn add_vertex_conjuncts(
        &mut self,
        v: VertexId,
        t: VertexId,
        group: Option<GroupId>,
        embedded: bool,
        is_definition: bool,
    ) {
        if t == v {
            return;
        }
        // A definition embedded in a struct closes that struct rather than itself.
        let closedness = if embedded {
            Closedness::Embedded
        } else {
            Closedness::Definition
        };
        let new_group = is_definition.then(|| self.new_group(group, closedness));
        let conjuncts = self.vertices[t].conjuncts.clone();
        if conjuncts.is_empty() {
            // A vertex built from values (a builtin's result) has arcs but no conjuncts.
            let val = self.value_of(t);
            if !matches!(val, Val::Node(_)) {
                self.add_val(v, val, group, (0, 0));
                return;
            }
            self.add_built_composite(v, t, group);
            return;
        }
        for c in conjuncts {
            let g = match (new_group, c.group, group) {
                (Some(g), _, _) => Some(g),
                (None, Some(_), Some(outer)) if self.is_opened(outer) => Some(outer),
                (None, Some(own), Some(outer)) if self.groups[own].by_close && own != outer => {
                    let context = &self.groups[outer];
                    if context.embedded_at.is_some()
                        || self.in_embedded_close(outer)
                        || self.embedded_detached(outer)
                    {
                        // `close()`'s value embedded in a struct closes that struct, at its
                        // own level only; so does one that is a field of such a value, and
                        // one selected from a value computed in place and embedded.
                        Some(self.embedded_close_group(outer))
                    } else if context.is_closed() {
                        // Within a closed context, the context's closedness governs: declare
                        // it on `v` so that it is checked there.
                        self.group_entry(v, outer);
                        Some(self.new_group(Some(outer), Closedness::Open))
                    } else {
                        Some(own)
                    }
                }
                (None, Some(_), Some(outer)) if self.is_detached(outer) => Some(outer),
                (None, Some(own), Some(outer)) => {
                    if self.groups[outer].embedded_at == Some(v) {
                        self.adopt(v, own, outer);
                    }
                    Some(own)
                }
                (None, own, outer) => own.or(outer),
            };
            self.add(v, Conjunct { group: g, ..c });
        }
    }

    /// Adds a list or struct built from values (a builtin's result, see
    /// [`Eval::val_from_concrete`]) to `v`: its shape, and each element as a conjunct of `v`'s
    /// arc of the same label.
    fn add_built_composite(&mut self, v: VertexId, t: VertexId, group: Option<GroupId>) {
        let t = self.resolve_forward(t);
        if let Some(info) = &self.vertices[t].list {
            let (length, closed) = (info.length, info.closed.clone());
            let span = closed.first().map(|c| c.1).unwrap_or_default();
            self.unify_kinds(v, Kinds::LIST, span);
            let target = self.vertices[v].list.get_or_insert_with(ListInfo::default);
            target.length = target.length.max(length);
            target.closed.extend(closed);
        }
        if let Some(span) = self.vertices[t].struct_span {
            self.mark_struct(v, span);
        }
        for arc in self.vertices[t].arcs.clone() {
            let Some(feature) = self.vertices[arc].feature.clone() else {
                continue;
            };
            let a = self.arc(v, &feature);
            self.vertices[a].arc_type = ArcType::Regular;
            self.push_conjunct(
                a,
                Conjunct {
                    kind: ConjunctKind::Val(Val::Node(arc)),
                    env: None,
                    group,
                },
            );
        }
    }

    pub(super) fn mark_struct(&mut self, v: VertexId, span: Span) {
        if self.vertices[v].struct_span.is_none() {
            self.vertices[v].struct_span = Some(span);
        }
        self.unify_kinds(v, Kinds::STRUCT, span);
    }

    pub(super) fn add_decls(
        &mut self,
        v: VertexId,
        decls: &'a [Decl],
        env: Env<'a>,
        group: Option<GroupId>,
        span: Span,
        literal: Literal,
    ) {
        // A file's own declarations are in its package frame; any other struct literal,
        // even one embedded at the top of a file, opens a scope of its own.
        let frame: Env<'a> = match &env {
            Some(f)
                if matches!(f.kind, FrameKind::Package { package, file, vertex }
                if vertex == v
                    && std::ptr::eq(
                        decls.as_ptr(),
                        self.program.packages[package].files[file].decls.as_ptr(),
                    )) =>
            {
                env.clone()
            }
            _ => Some(Arc::new(Frame {
                parent: env,
                kind: FrameKind::Struct { decls, vertex: v },
            })),
        };
        // A struct literal is a struct, unless it embeds a value and declares no regular
        // field (optional fields, patterns and `...` do not count): then the embedded value
        // decides (`{5, #a: 1}` is 5 with a definition, as CUE's embedded scalars are), and
        // the literal makes a struct only if nothing else says what it is (`expand_body`).
        let has_embedding = decls.iter().any(|d| matches!(d, Decl::Embed(_)));
        let has_fields = !has_embedding
            || decls.iter().any(|d| match d {
                Decl::Field(f) if f.constraint != FieldConstraint::Optional => {
                    match &f.label.kind {
                        LabelKind::Ident(id) => Feature::from_ident(&id.name).is_regular(),
                        LabelKind::Pattern { .. } => false,
                        _ => true,
                    }
                }
                _ => false,
            });
        if has_fields {
            self.mark_struct(v, span);
        } else if self.vertices[v].weak_struct.is_none() {
            self.vertices[v].weak_struct = Some(span);
        }
        // A struct with embeddings gets a group of its own (unless a closed group holds it
        // already), for its fields and for the closedness of what it embeds to merge into; one
        // that embeds a definition is closed by it (see `closed.rs`): a struct literal down
        // to the fields of its fields, a file at its own level only.
        // With `explicitopen`, embedding is unifying: none of this (see `closed.rs`).
        let explicit = self.explicit_open(span.file);
        let closes_by_embedding = !explicit
            && decls
                .iter()
                .any(|d| matches!(d, Decl::Embed(e) if reference_is_definition(e)));
        let embeds = !explicit
            && decls.iter().any(
                |d| matches!(d, Decl::Embed(e) if !matches!(e.kind, ExprKind::Comprehension(_))),
            );
        let context = self.arc_group(group);
        let context_closed = context.is_some_and(|g| self.groups[g].is_closed());
        let recursive = closes_by_embedding && literal != Literal::File;
        let group = if recursive {
            Some(self.literal_group(group, context_closed, literal == Literal::Value))
        } else if embeds && !context_closed {
            Some(self.new_group(group, Closedness::Open))
        } else {
            group
        };
        let decl_group = if recursive {
            Some(self.embedding_closed_group(group, v))
        } else if closes_by_embedding {
            let g = self.new_group(group, Closedness::Embedded);
            self.groups[g].struct_decls = true;
            Some(g)
        } else {
            group
        };
        // The fields' values (and pattern constraints') are in the struct's own group, not in
        // the embedding that brought the struct here; a literal closed by embedding closes
        // them too.
        let mut arc_group = match recursive {
            true => decl_group,
            false => self.arc_group(group),
        };
        // `close()` closes its struct at its own level only: the fields' values are in an
        // open group under it.
        if let Some(g) = arc_group.filter(|&g| self.groups[g].by_close) {
            arc_group = Some(self.new_group(Some(g), Closedness::Open));
        }
        let entry = decl_group.map(|g| self.group_entry(v, g));
        for decl in decls {
            match decl {
                Decl::Field(field) => {
                    let feature = match &field.label.kind {
                        LabelKind::Ident(id) => Feature::from_ident(&id.name),
                        LabelKind::String(s) => Feature::Regular(Arc::from(s.as_str())),
                        LabelKind::Dynamic(expr) => match self.dynamic_label(v, expr, &frame) {
                            Val::Atom(Atom::String(s), _) => Feature::Regular(s),
                            Val::Bottom(err) => {
                                self.set_error(v, err);
                                continue;
                            }
                            Val::Atom(..) => {
                                self.set_error(
                                    v,
                                    EvalError::incomplete(
                                        "label is not a concrete string",
                                        vec![expr.span],
                                    ),
                                );
                                continue;
                            }
                            // Not yet concrete: CUE names what the label is so far.
                            other => {
                                let found = self.describe_val(&other);
                                self.set_error(
                                    v,
                                    EvalError::incomplete(
                                        format!(
                                            "key value of dynamic field must be concrete, found {found}"
                                        ),
                                        vec![expr.span],
                                    ),
                                );
                                continue;
                            }
                        },
                        LabelKind::Pattern { alias, expr } => {
                            let index = self.vertices[v].patterns.len();
                            self.vertices[v].patterns.push(Pattern {
                                label: expr,
                                alias: alias.as_ref().map(|a| a.name.as_str()),
                                field_alias: field.label.alias.as_ref().map(|a| a.name.as_str()),
                                value: &field.value,
                                env: frame.clone(),
                                group: arc_group,
                                matcher: None,
                            });
                            if let Some(entry) = entry {
                                self.vertices[v].groups[entry].patterns.push(index);
                            }
                            if self.vertices[v].state != State::Expanding
                                && self.vertices[v].state != State::New
                            {
                                let arcs = self.vertices[v].arcs.clone();
                                for a in arcs {
                                    self.apply_pattern(v, index, a);
                                }
                            }
                            continue;
                        }
                    };
                    if let Some(entry) = entry {
                        self.vertices[v].groups[entry].labels.push(feature.clone());
                    }
                    let a = self.arc(v, &feature);
                    let arc_type = match field.constraint {
                        FieldConstraint::Regular => ArcType::Regular,
                        FieldConstraint::Required => ArcType::Required,
                        FieldConstraint::Optional => ArcType::Optional,
                    };
                    let arc = &mut self.vertices[a];
                    arc.arc_type = arc.arc_type.min(arc_type);
                    arc.decl_spans.push(field.label.span);
                    // Every declaration of one definition shares its closedness: the
                    // definition allows the fields any of them declares.
                    let child_group = if matches!(feature, Feature::Definition(_)) {
                        Some(match self.definition_groups.get(&a) {
                            Some(&g) => g,
                            None => {
                                let g = self.new_group(None, Closedness::Definition);
                                self.definition_groups.insert(a, g);
                                g
                            }
                        })
                    } else {
                        arc_group
                    };
                    self.push_conjunct(
                        a,
                        Conjunct {
                            kind: ConjunctKind::Expr(&field.value),
                            env: frame.clone(),
                            group: child_group,
                        },
                    );
                }
                Decl::Ellipsis(_) => {
                    if let Some(entry) = entry {
                        self.vertices[v].groups[entry].open = true;
                    }
                }
                Decl::Embed(_) | Decl::Let(_) | Decl::Attribute(_) => {}
            }
        }
        for decl in decls {
            if let Decl::Embed(e) = decl {
                match &e.kind {
                    ExprKind::Comprehension(comp) => {
                        self.vertices[v]
                            .comprehensions
                            .push((comp, frame.clone(), decl_group));
                        if self.vertices[v].state != State::Expanding {
                            self.run_comprehensions(v);
                        }
                    }
                    _ => {
                        let embedding = match explicit {
                            true => group,
                            false => group.map(|g| self.embedding_group(g, v)),
                        };
                        self.add_expr(v, e, frame.clone(), embedding, true)
                    }
                }
            }
        }
    }

    pub(super) fn add_list(
        &mut self,
        v: VertexId,
        list: &'a ast::ListLit,
        env: Env<'a>,
        group: Option<GroupId>,
        span: Span,
    ) {
        self.unify_kinds(v, Kinds::LIST, span);
        if self.vertices[v].list.is_none() {
            self.vertices[v].list = Some(ListInfo::default());
        }
        let mut elements: Vec<Conjunct<'a>> = Vec::new();
        for element in &list.elements {
            match &element.kind {
                ExprKind::Comprehension(comp) => {
                    self.note_comprehension(v);
                    let yields = match self.comprehension_yields(comp, env.clone()) {
                        Ok(yields) => yields,
                        Err(err) => {
                            self.set_error(v, err);
                            continue;
                        }
                    };
                    for (body, env) in yields {
                        elements.push(Conjunct {
                            kind: ConjunctKind::Expr(body),
                            env,
                            group,
                        });
                    }
                }
                _ => elements.push(Conjunct {
                    kind: ConjunctKind::Expr(element),
                    env: env.clone(),
                    group,
                }),
            }
        }
        let n = elements.len();
        for (i, c) in elements.into_iter().enumerate() {
            let a = self.arc(v, &Feature::Index(i));
            self.vertices[a].arc_type = ArcType::Regular;
            self.push_conjunct(a, c);
        }
        match &list.ellipsis {
            Some(ellipsis) => {
                let c = ellipsis.value.as_deref().map(|x| Conjunct {
                    kind: ConjunctKind::Expr(x),
                    env: env.clone(),
                    group,
                });
                self.vertices[v].list_open.push((n, c));
            }
            None => {
                if let Some(info) = &mut self.vertices[v].list {
                    info.closed.push((n, span));
                }
            }
        }
        if let Some(info) = &mut self.vertices[v].list {
            info.length = info.length.max(n);
        }
    }

    pub(super) fn add_val(
        &mut self,
        v: VertexId,
        val: Val,
        group: Option<GroupId>,
        key: (usize, usize),
    ) {
        match val {
            Val::Top => {}
            Val::Atom(atom, span) => self.unify_atom(v, atom, span),
            Val::Scalar(scalar, span) => self.unify_scalar(v, &scalar, span),
            Val::Node(t) => self.add_vertex_conjuncts(v, t, group, false, false),
            Val::Disj(options) => {
                let options = options
                    .iter()
                    .map(|(o, d)| {
                        (
                            Conjunct {
                                kind: ConjunctKind::Val(o.clone()),
                                env: None,
                                group,
                            },
                            *d,
                        )
                    })
                    .collect();
                self.add_disjunction(v, key.0 ^ key.1.rotate_left(17), options);
            }
            // An inline expression met again at its own level: the conjunct adds nothing,
            // except to a disjunct, which the cycle eliminates (`b: and(1 | c)`, `c: b`).
            Val::Bottom(err) if is_reference_cycle(&err) && self.vertices[v].origin.is_none() => {}
            Val::Bottom(err) => self.set_error(v, err),
            // `net.IPv4` (a validator not called) constrains like `net.IPv4()`.
            Val::Func(Func::Builtin(builtin))
                if builtin.result == Kind::Bool && builtin.params.len() == 1 =>
            {
                let span = self.vertices[v]
                    .decl_spans
                    .first()
                    .copied()
                    .unwrap_or_default();
                let scalar = validator_scalar(builtin, Vec::new(), span);
                self.unify_scalar(v, &scalar, span);
            }
            Val::Func(_) | Val::Package(_) => self.unify_func(v, val),
        }
    }

    /// Unifies a builtin function or a package into a vertex: it becomes the vertex's value
    /// when nothing else constrains the vertex; the same function twice is that function.
    fn unify_func(&mut self, v: VertexId, val: Val) {
        let conflict = match self.vertices[v].func.as_deref() {
            Some(existing) => !same_func(existing, &val),
            None => false,
        };
        if conflict {
            self.func_conflict(v);
            return;
        }
        self.vertices[v].func = Some(Box::new(val));
    }

    /// Once every conjunct of a vertex holding a function is in: nothing else may constrain
    /// it (a function unifies only with top and with itself).
    pub(super) fn check_func_alone(&mut self, v: VertexId) {
        let vertex = &self.vertices[v];
        if vertex.struct_span.is_some()
            || vertex.list.is_some()
            || !vertex.scalar.is_unconstrained()
        {
            self.func_conflict(v);
        }
    }

    fn func_conflict(&mut self, v: VertexId) {
        let span = self.vertices[v]
            .decl_spans
            .first()
            .copied()
            .unwrap_or_default();
        self.set_error(
            v,
            EvalError::new(
                "INVALID",
                "cannot use a function or package as a value",
                vec![span],
            ),
        );
    }

    /// Narrows a vertex's kinds for a struct or list literal (printed compactly in messages).
    pub(super) fn unify_kinds(&mut self, v: VertexId, kinds: Kinds, span: Span) {
        let text = self.literal_text(span);
        if let Err(err) = self.vertices[v].scalar.narrow(kinds, span, &text) {
            self.set_error(v, err);
        }
    }

    pub(super) fn unify_atom(&mut self, v: VertexId, atom: Atom, span: Span) {
        let deferred = self.adding_deferred == Some(v);
        if let Err(err) = self.vertices[v]
            .scalar
            .unify_atom_in_order(atom, span, deferred)
        {
            self.set_error(v, err);
        }
    }

    pub(super) fn unify_scalar(&mut self, v: VertexId, other: &Scalar, span: Span) {
        if let Err(err) = self.vertices[v].scalar.unify(other, span) {
            self.set_error(v, err);
        }
    }
}

/// Whether two function or package values are the same one (CUE compares them by identity).
fn same_func(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Package(x), Val::Package(y)) => x == y,
        (Val::Func(x), Val::Func(y)) => match (x, y) {
            (Func::Builtin(x), Func::Builtin(y)) => std::ptr::eq(*x, *y),
            (Func::Schema(x), Func::Schema(y)) => std::ptr::eq(*x, *y),
            (Func::Validator(x), Func::Validator(y)) => x.name() == y.name(),
            _ => std::mem::discriminant(x) == std::mem::discriminant(y),
        },
        _ => false,
    }
}

/// Whether `e` selects a field (or element) of a value computed in place rather than of a
/// reference: `(#x & {y: 1}).y`, `{a: 1}.a`. Such a value is evaluated on its own, and what
/// was closed in it is not closed where the field is used.
fn selects_from_value(e: &Expr) -> bool {
    let mut base = e;
    let mut selected = false;
    loop {
        match &base.kind {
            ExprKind::Paren(inner) => base = inner,
            ExprKind::Selector(inner, _) | ExprKind::Index(inner, _) => {
                selected = true;
                base = inner;
            }
            ExprKind::Ident(_) => return false,
            _ => return selected,
        }
    }
}
