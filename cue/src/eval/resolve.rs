//! Resolution of references: identifiers through the lexical scopes (struct literals, files of
//! a package, comprehension and alias bindings, imports, the predeclared identifiers),
//! selectors and indexes into vertices and builtin packages.
//!
//! A reference to a field resolves to the field's vertex, not to its value: adding it to
//! another vertex adds the field's conjuncts ([`Eval::add_vertex_conjuncts`]), so that a
//! definition's `b: a` sees the data unified with it.

use std::collections::HashMap;
use std::sync::Arc;

use super::call::Func;
use super::conjunct::{scope_vertex, Conjunct, ConjunctKind, Env, Frame, FrameKind};
use super::validator::ValidatorKind;
use super::values::Val;
use super::vertex::{is_identifier, ArcType, Feature, State, VertexId};
use super::{Eval, ImportTarget};
use crate::ast::{self, Decl, Expr, ExprKind, LabelKind};
use crate::builtins::{self, Member};
use crate::source::Span;
use crate::value::{
    check_text, Atom, BoundOp, Check, EvalError, KindText, Kinds, Scalar, SpannedCheck,
};

/// What a name of a scope declares.
#[derive(Clone, Copy)]
pub(super) enum NameDecl<'a> {
    /// A field (or its alias): its name, and whether its label was quoted (a quoted label is
    /// always a regular field, even `"#a"`).
    Field(&'a str, bool),
    /// The alias of a field with a dynamic label (`X=(name): v`): its label expression.
    Dynamic(&'a Expr),
    /// The label alias `K` of `name~(K, X)`: the label as a string.
    Label(&'a str),
    /// The label alias `K` of `(expr)~(K, X)`: the label expression's value.
    DynamicLabel(&'a Expr),
    Let(&'a ast::LetClause),
}

/// What a reference resolves to.
pub(super) enum Resolved<'a> {
    /// A field: adding it adds the field's conjuncts.
    Vertex(VertexId),
    /// A `let`: its expression in its scope.
    Conjunct(Conjunct<'a>),
    /// A value: a comprehension or alias binding, a predeclared identifier, a builtin.
    Val(Val),
}

/// Whether `e` is a reference to a definition (`#A`, `_#A`, `x.#A`): unifying with one
/// closes the value, embedding one closes the struct that embeds it.
pub(super) fn reference_is_definition(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Ident(id) => id.name.starts_with('#') || id.name.starts_with("_#"),
        ExprKind::Selector(_, name) => name.name.starts_with('#'),
        ExprKind::Paren(inner) => reference_is_definition(inner),
        _ => false,
    }
}

/// The predeclared identifiers: types, their sized variants, and the builtin functions.
pub(super) fn predeclared<'a>(name: &str) -> Option<Resolved<'a>> {
    let span = Span::default();
    let kind = |kinds: Kinds| {
        Some(Resolved::Val(Val::Scalar(
            Arc::new(Scalar {
                kinds,
                kind_span: None,
                kind_text: Some(KindText::from(name)),
                value: None,
                checks: Vec::new(),
            }),
            span,
        )))
    };
    let ranged = |kinds: Kinds, lo: Atom, hi: Option<Atom>, name: &str| {
        let mut checks = vec![SpannedCheck {
            check: Check::Bound(BoundOp::GreaterEqual, lo.clone()),
            span,
            text: Some(Arc::from(format!(">={lo}").as_str())),
        }];
        if let Some(hi) = hi {
            checks.push(SpannedCheck {
                check: Check::Bound(BoundOp::LessEqual, hi.clone()),
                span,
                text: Some(Arc::from(format!("<={hi}").as_str())),
            });
        }
        let mut text = kinds.name();
        for check in &checks {
            text.push_str(" & ");
            text.push_str(&check_text(check));
        }
        let _ = name;
        Some(Resolved::Val(Val::Scalar(
            Arc::new(Scalar {
                kinds,
                kind_span: None,
                kind_text: Some(KindText::from(text.as_str())),
                value: None,
                checks,
            }),
            span,
        )))
    };
    let int_range = |bits: u32, signed: bool| {
        let (lo, hi) = if signed {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        };
        ranged(Kinds::INT, Atom::Int(lo), Some(Atom::Int(hi)), name)
    };
    match name {
        "bool" => kind(Kinds::BOOL),
        "int" => kind(Kinds::INT),
        "float" => kind(Kinds::FLOAT),
        "number" => kind(Kinds::NUMBER),
        "string" => kind(Kinds::STRING),
        "bytes" => kind(Kinds::BYTES),
        "null" => Some(Resolved::Val(Val::Atom(Atom::Null, span))),
        "uint" => ranged(Kinds::INT, Atom::Int(0), None, name),
        "rune" => ranged(Kinds::INT, Atom::Int(0), Some(Atom::Int(0x10FFFF)), name),
        "int8" => int_range(8, true),
        "int16" => int_range(16, true),
        "int32" => int_range(32, true),
        "int64" => int_range(64, true),
        "int128" => int_range(127, true).map(|_| ()).and_then(|_| {
            ranged(
                Kinds::INT,
                Atom::Int(i128::MIN),
                Some(Atom::Int(i128::MAX)),
                name,
            )
        }),
        "uint8" => int_range(8, false),
        "uint16" => int_range(16, false),
        "uint32" => int_range(32, false),
        "uint64" => int_range(64, false),
        "uint128" => ranged(Kinds::INT, Atom::Int(0), None, name),
        "float32" => ranged(
            Kinds::NUMBER,
            Atom::Float(
                -(f32::MAX as f64),
                Arc::from("-3.40282346638528859811704183484516925440e+38"),
            ),
            Some(Atom::Float(
                f32::MAX as f64,
                Arc::from("3.40282346638528859811704183484516925440e+38"),
            )),
            name,
        ),
        "float64" => ranged(
            Kinds::NUMBER,
            Atom::Float(
                -f64::MAX,
                Arc::from("-1.797693134862315708145274237317043567981e+308"),
            ),
            Some(Atom::Float(
                f64::MAX,
                Arc::from("1.797693134862315708145274237317043567981e+308"),
            )),
            name,
        ),
        "len" => Some(Resolved::Val(Val::Func(Func::Len))),
        "close" => Some(Resolved::Val(Val::Func(Func::Close))),
        "and" => Some(Resolved::Val(Val::Func(Func::And))),
        "or" => Some(Resolved::Val(Val::Func(Func::Or))),
        "div" => Some(Resolved::Val(Val::Func(Func::Div))),
        "mod" => Some(Resolved::Val(Val::Func(Func::Mod))),
        "quo" => Some(Resolved::Val(Val::Func(Func::Quo))),
        "rem" => Some(Resolved::Val(Val::Func(Func::Rem))),
        "error" => Some(Resolved::Val(Val::Func(Func::Error))),
        "matchN" => Some(Resolved::Val(Val::Func(Func::Validator(
            ValidatorKind::MatchN,
        )))),
        "matchIf" => Some(Resolved::Val(Val::Func(Func::Validator(
            ValidatorKind::MatchIf,
        )))),
        // CUE's marker that turns off structure sharing where it appears: as a value, top.
        "__no_sharing" => Some(Resolved::Val(Val::Top)),
        _ => None,
    }
}

impl<'a> Eval<'a> {
    /// CUE's message for an index that is a string or a number but not yet concrete
    /// (`foo[_what]` with `_what: string`): "invalid non-ground value string (must be concrete
    /// string)", at the value's position. `None` for other values, whose incompleteness says
    /// enough.
    fn non_ground_index(&mut self, index: &Val) -> Option<Arc<EvalError>> {
        let (kinds, span) = match index {
            Val::Scalar(scalar, span) => (scalar.kinds, *span),
            Val::Node(t) => {
                let t = self.resolve_forward(*t);
                if !self.vertices[t].ambiguous.is_empty() {
                    return None;
                }
                let vertex = &self.vertices[t];
                if vertex.struct_span.is_some() || vertex.list.is_some() {
                    return None;
                }
                (vertex.scalar.kinds, vertex.scalar.kind_span?)
            }
            _ => return None,
        };
        let must = if kinds == Kinds::STRING {
            "string"
        } else if kinds == Kinds::INT || kinds == Kinds::NUMBER {
            "int"
        } else {
            return None;
        };
        Some(EvalError::incomplete(
            format!(
                "invalid non-ground value {} (must be concrete {must})",
                self.describe_val(index)
            ),
            vec![span],
        ))
    }

    pub(super) fn names(&mut self, decls: &'a [Decl]) -> Arc<HashMap<&'a str, NameDecl<'a>>> {
        let key = decls.as_ptr() as usize;
        if let Some(names) = self.names.get(&key) {
            return names.clone();
        }
        let mut names = HashMap::new();
        for decl in decls {
            match decl {
                Decl::Field(field) => {
                    let name = match &field.label.kind {
                        LabelKind::Ident(id) => Some(id.name.as_str()),
                        LabelKind::String(s) if is_identifier(s) => Some(s.as_str()),
                        _ => None,
                    };
                    if let Some(k) = &field.label.label_alias {
                        let decl = match &field.label.kind {
                            LabelKind::Ident(id) => Some(NameDecl::Label(id.name.as_str())),
                            LabelKind::String(s) => Some(NameDecl::Label(s.as_str())),
                            LabelKind::Dynamic(expr) => Some(NameDecl::DynamicLabel(expr)),
                            LabelKind::Pattern { .. } => None,
                        };
                        if let Some(decl) = decl {
                            names.insert(k.name.as_str(), decl);
                        }
                    }
                    if let Some(name) = name {
                        let quoted = matches!(field.label.kind, LabelKind::String(_));
                        names.entry(name).or_insert(NameDecl::Field(name, quoted));
                        if let Some(alias) = &field.label.alias {
                            names.insert(alias.name.as_str(), NameDecl::Field(name, quoted));
                        }
                    } else {
                        match (&field.label.kind, &field.label.alias) {
                            (LabelKind::Dynamic(expr), Some(alias)) => {
                                names.insert(alias.name.as_str(), NameDecl::Dynamic(expr));
                            }
                            // `A="foo=bar": v`: the alias is the only way to name the field.
                            (LabelKind::String(s), Some(alias)) => {
                                names.insert(alias.name.as_str(), NameDecl::Field(s, true));
                            }
                            _ => {}
                        }
                    }
                }
                Decl::Let(clause) => {
                    names.insert(clause.name.name.as_str(), NameDecl::Let(clause));
                }
                _ => {}
            }
        }
        let names = Arc::new(names);
        self.names.insert(key, names.clone());
        names
    }

    pub(super) fn lookup(
        &mut self,
        env: &Env<'a>,
        name: &str,
    ) -> Result<Resolved<'a>, Arc<EvalError>> {
        let mut frame = env.clone();
        while let Some(f) = frame {
            match &f.kind {
                FrameKind::Struct { decls, vertex } => {
                    if let Some(&decl) = self.names(decls).get(name) {
                        return self.resolve_decl(decl, *vertex, &f);
                    }
                }
                FrameKind::Package {
                    package,
                    file,
                    vertex,
                } => {
                    let (package, file, vertex) = (*package, *file, *vertex);
                    let files = &self.program.packages[package].files;
                    let own = self.names(&files[file].decls);
                    if let Some(&decl) = own.get(name) {
                        return self.resolve_decl(decl, vertex, &f);
                    }
                    for (i, other) in files.iter().enumerate() {
                        if i == file {
                            continue;
                        }
                        if let Some(&NameDecl::Field(field, quoted)) =
                            self.names(&other.decls).get(name)
                        {
                            return self.resolve_decl(NameDecl::Field(field, quoted), vertex, &f);
                        }
                    }
                    match self.program.packages[package].imports[file].get(name) {
                        // An imported package of the module is a struct: its root vertex, so
                        // that it can be embedded (`bar` alone) as well as selected from.
                        Some(&ImportTarget::Package(index)) => {
                            return Ok(Resolved::Vertex(self.package_root(index)));
                        }
                        Some(target) => return Ok(Resolved::Val(Val::Package(target.clone()))),
                        None => {}
                    }
                }
                FrameKind::Bind { name: bound, value } => {
                    if *bound == name {
                        // A value alias names the value it is unified into; evaluated as a
                        // candidate of a disjunction there, it names that candidate.
                        if let Val::Node(t) = value {
                            if let Some(&c) = self
                                .expanding
                                .iter()
                                .rev()
                                .find(|&&c| self.vertices[c].origin == Some(*t))
                            {
                                return Ok(Resolved::Val(Val::Node(c)));
                            }
                        }
                        return Ok(Resolved::Val(value.clone()));
                    }
                }
            }
            frame = f.parent.clone();
        }
        // `self` (CUE's aliasv2): the innermost struct whose declarations are in scope.
        if name == "self" {
            if let Some(v) = scope_vertex(env) {
                return Ok(Resolved::Vertex(v));
            }
        }
        predeclared(name).ok_or_else(|| {
            EvalError::new("REFERENCE", format!("reference {name:?} not found"), vec![])
        })
    }

    /// Whether `name` in `env` names a declaration (a field, let, alias or import) rather
    /// than a predeclared identifier, without evaluating anything.
    pub(super) fn declared(&mut self, env: &Env<'a>, name: &str) -> bool {
        let mut frame = env.clone();
        while let Some(f) = frame {
            match &f.kind {
                FrameKind::Struct { decls, .. } => {
                    if self.names(decls).contains_key(name) {
                        return true;
                    }
                }
                FrameKind::Package { package, file, .. } => {
                    let (package, file) = (*package, *file);
                    let files = &self.program.packages[package].files;
                    for other in files {
                        if self.names(&other.decls).contains_key(name) {
                            return true;
                        }
                    }
                    if self.program.packages[package].imports[file].contains_key(name) {
                        return true;
                    }
                }
                FrameKind::Bind { name: bound, .. } => {
                    if *bound == name {
                        return true;
                    }
                }
            }
            frame = f.parent.clone();
        }
        name == "self"
    }

    pub(super) fn resolve_decl(
        &mut self,
        decl: NameDecl<'a>,
        vertex: VertexId,
        frame: &Arc<Frame<'a>>,
    ) -> Result<Resolved<'a>, Arc<EvalError>> {
        match decl {
            NameDecl::Field(name, quoted) => {
                let feature = if quoted {
                    Feature::Regular(Arc::from(name))
                } else {
                    Feature::from_ident(name)
                };
                // Data can only change regular fields: definitions and hidden fields are fixed.
                let regular = matches!(feature, Feature::Regular(_));
                self.expand(vertex);
                let arc = self.arc(vertex, &feature);
                if regular {
                    self.note_field_read(vertex, arc);
                }
                Ok(Resolved::Vertex(self.candidate_for(arc)))
            }
            NameDecl::Dynamic(label) => {
                let env = Some(frame.clone());
                let val = self.eval_expr(label, &env);
                match self.atom_of(&val, label.span)? {
                    Atom::String(name) => {
                        self.expand(vertex);
                        let arc = self.arc(vertex, &Feature::Regular(name));
                        self.note_field_read(vertex, arc);
                        Ok(Resolved::Vertex(arc))
                    }
                    other => Err(EvalError::new(
                        "INVALID",
                        format!("invalid label {other}: not a string"),
                        vec![label.span],
                    )),
                }
            }
            NameDecl::Label(name) => Ok(Resolved::Val(Val::Atom(
                Atom::String(Arc::from(name)),
                Span::default(),
            ))),
            NameDecl::DynamicLabel(label) => {
                let env = Some(frame.clone());
                Ok(Resolved::Val(self.eval_expr(label, &env)))
            }
            NameDecl::Let(clause) => Ok(Resolved::Conjunct(Conjunct {
                kind: ConjunctKind::Expr(&clause.value),
                env: Some(frame.clone()),
                group: None,
            })),
        }
    }

    pub(super) fn resolve(
        &mut self,
        e: &'a Expr,
        env: &Env<'a>,
    ) -> Result<Resolved<'a>, Arc<EvalError>> {
        match &e.kind {
            ExprKind::Ident(id) => match self.lookup(env, &id.name) {
                // Predeclared types have no position of their own: use the reference's.
                Ok(Resolved::Val(Val::Scalar(scalar, span))) if span == Span::default() => {
                    let mut scalar = (*scalar).clone();
                    scalar.kind_span = Some(id.span);
                    for check in &mut scalar.checks {
                        check.span = id.span;
                    }
                    Ok(Resolved::Val(Val::Scalar(Arc::new(scalar), id.span)))
                }
                Ok(resolved) => Ok(resolved),
                Err(err) if err.spans.is_empty() => {
                    Err(EvalError::new(err.code, err.message.clone(), vec![id.span]))
                }
                Err(err) => Err(err),
            },
            ExprKind::Paren(inner) | ExprKind::Optional(inner) => self.resolve(inner, env),
            ExprKind::Selector(base, name) => {
                let base_val = self.resolve_to_base(base, env)?;
                match base_val {
                    Val::Package(ImportTarget::Builtin(path)) => {
                        match builtins::lookup(&path, &name.name) {
                            Some(Member::Func(b)) => Ok(Resolved::Val(Val::Func(Func::Builtin(b)))),
                            Some(Member::SchemaFunc(b)) => {
                                Ok(Resolved::Val(Val::Func(Func::Schema(b))))
                            }
                            Some(Member::Source(expr)) => {
                                Ok(Resolved::Val(self.eval_expr(expr, &None)))
                            }
                            Some(Member::Const(c)) => {
                                Ok(Resolved::Val(self.val_from_concrete(&c, e.span)))
                            }
                            None => Err(EvalError::new(
                                "REFERENCE",
                                format!("undefined field: {}", name.name),
                                vec![name.span],
                            )),
                        }
                    }
                    Val::Node(t) => {
                        let feature = if name.name.starts_with('"') {
                            Feature::Regular(Arc::from(name.name.trim_matches('"')))
                        } else {
                            Feature::from_ident(&name.name)
                        };
                        let selected = self.select(t, &feature, name.span);
                        self.undefined_in_top(selected, t, e, base)
                    }
                    Val::Bottom(err) => Err(err),
                    _ => Err(EvalError::new(
                        "INVALID",
                        format!("invalid selector {}: not a struct", name.name),
                        vec![name.span],
                    )),
                }
            }
            ExprKind::Index(base, index) => {
                let base_val = self.resolve_to_base(base, env)?;
                let index_val = self.eval_expr(index, env);
                let atom = match self.atom_of(&index_val, index.span) {
                    Ok(atom) => atom,
                    Err(err) if err.incomplete => {
                        return Err(self.non_ground_index(&index_val).unwrap_or(err))
                    }
                    Err(err) => return Err(err),
                };
                let feature = match atom {
                    Atom::Int(i) if i >= 0 => Feature::Index(i as usize),
                    Atom::String(s) => Feature::Regular(s),
                    // CUE names a negative index by the reference that gave it.
                    Atom::Int(i)
                        if matches!(index.kind, ExprKind::Ident(_) | ExprKind::Selector(..)) =>
                    {
                        return Err(EvalError::new(
                            "INDEX",
                            format!("index {} out of range [{i}]", self.text(index.span)),
                            vec![index.span],
                        ))
                    }
                    Atom::Int(i) => {
                        return Err(EvalError::new(
                            "INDEX",
                            format!("invalid index {i} (index must be non-negative)"),
                            vec![index.span],
                        ))
                    }
                    other => {
                        return Err(EvalError::new(
                            "INVALID",
                            format!(
                                "invalid index {other} (invalid type {})",
                                other.kind().name()
                            ),
                            vec![index.span],
                        ))
                    }
                };
                match base_val {
                    Val::Node(t) => {
                        let selected = self.select(t, &feature, index.span);
                        self.undefined_in_top(selected, t, e, base)
                    }
                    Val::Bottom(err) => Err(err),
                    Val::Atom(atom, _) => Err(EvalError::new(
                        "INVALID",
                        format!(
                            "invalid operand {atom} (found {}, want list or struct)",
                            atom.kind().name()
                        ),
                        vec![base.span],
                    )),
                    _ => Err(EvalError::new(
                        "INVALID",
                        "invalid index: not a list or struct",
                        vec![e.span],
                    )),
                }
            }
            _ => Ok(Resolved::Val(self.eval_expr(e, env))),
        }
    }

    /// The error of a reference to a required (`a!: int`) or optional (`a?: int`) field that
    /// no declaration made regular: the field is not there (yet). Only once every
    /// declaration of the struct holding it is in; while that struct is being expanded, a
    /// later one may still make it regular.
    pub(super) fn absent_field(&self, t: VertexId, span: Span) -> Option<Arc<EvalError>> {
        let vertex = &self.vertices[t];
        if vertex.arc_type == ArcType::Regular {
            return None;
        }
        let parent = vertex.parent?;
        if matches!(self.vertices[parent].state, State::New | State::Expanding) {
            return None;
        }
        let label = vertex.feature.as_ref()?.selector();
        let message = match vertex.arc_type {
            ArcType::Required => format!("required field missing: {label}"),
            _ => format!("cannot reference optional field: {label}"),
        };
        Some(EvalError::incomplete(message, vec![span]))
    }

    /// Resolves the base of a selector or index to a value without finalizing structs.
    pub(super) fn resolve_to_base(
        &mut self,
        base: &'a Expr,
        env: &Env<'a>,
    ) -> Result<Val, Arc<EvalError>> {
        match self.resolve(base, env)? {
            // Selecting from a field that is not there is the error of that field.
            Resolved::Vertex(t) => match self.absent_field(t, base.span) {
                Some(err) => Err(err),
                None => Ok(Val::Node(t)),
            },
            Resolved::Val(val) => Ok(val),
            Resolved::Conjunct(c) => match c.kind {
                ConjunctKind::Expr(x) => {
                    // A `let` naming an imported package (`let _time = time`) is that
                    // package, so that selecting from it (`_time.Format(...)`) selects from
                    // the package.
                    if let Some(package) = self.let_package(x, &c.env) {
                        return Ok(package);
                    }
                    let t = self.inline_vertex(false);
                    self.vertices[t].arc_type = ArcType::Regular;
                    self.vertices[t].conjuncts.push(Conjunct {
                        kind: ConjunctKind::Expr(x),
                        env: c.env,
                        group: None,
                    });
                    Ok(Val::Node(t))
                }
                _ => Err(EvalError::new(
                    "INVALID",
                    "invalid reference",
                    vec![base.span],
                )),
            },
        }
    }

    /// The builtin package a `let` value names, following `let`s that name other `let`s
    /// (`let t = time`, `let u = t`); `None` for any other value. It only reads the
    /// declarations in scope, as [`Eval::declared`] does: nothing is evaluated or expanded.
    fn let_package(&mut self, mut x: &'a Expr, env: &Env<'a>) -> Option<Val> {
        let mut env = env.clone();
        // Each step follows one `let` of the chain; a chain longer than this is a cycle.
        for _ in 0..64 {
            let ExprKind::Ident(id) = &x.kind else {
                return None;
            };
            let name = id.name.as_str();
            let mut frame = env.clone();
            let mut next = None;
            while let Some(f) = frame {
                let decls = match &f.kind {
                    FrameKind::Struct { decls, .. } => Some(*decls),
                    FrameKind::Package { package, file, .. } => {
                        Some(&self.program.packages[*package].files[*file].decls[..])
                    }
                    FrameKind::Bind { name: bound, .. } if *bound == name => return None,
                    FrameKind::Bind { .. } => None,
                };
                if let Some(decls) = decls {
                    match self.names(decls).get(name) {
                        Some(NameDecl::Let(clause)) => {
                            next = Some((&clause.value, f.clone()));
                            break;
                        }
                        Some(_) => return None,
                        None => {}
                    }
                }
                if let FrameKind::Package { package, file, .. } = &f.kind {
                    let (package, file) = (*package, *file);
                    let files = &self.program.packages[package].files;
                    for other in files {
                        if self.names(&other.decls).contains_key(name) {
                            return None;
                        }
                    }
                    return match self.program.packages[package].imports[file].get(name) {
                        Some(target @ ImportTarget::Builtin(_)) => {
                            Some(Val::Package(target.clone()))
                        }
                        _ => None,
                    };
                }
                frame = f.parent.clone();
            }
            let (value, frame) = next?;
            x = value;
            env = Some(frame);
        }
        None
    }

    /// CUE's message for a field or index selected (by `e`) from `base`, whose vertex `t` is
    /// still `_`: the selection is incomplete because its base is, not because the field is
    /// missing from a struct.
    fn undefined_in_top(
        &mut self,
        selected: Result<Resolved<'a>, Arc<EvalError>>,
        t: VertexId,
        e: &'a Expr,
        base: &'a Expr,
    ) -> Result<Resolved<'a>, Arc<EvalError>> {
        match selected {
            Err(err) if err.incomplete && self.is_top(t) => Err(EvalError::incomplete(
                format!(
                    "{} undefined as {} is incomplete (type _)",
                    self.text(e.span),
                    self.text(base.span)
                ),
                vec![e.span],
            )),
            other => other,
        }
    }

    /// Whether the vertex `t` says nothing at all yet (`_`): no field, no list, no struct, no
    /// constraint on its value, no error.
    fn is_top(&self, t: VertexId) -> bool {
        let t = self.resolve_forward(t);
        let vertex = &self.vertices[t];
        vertex.arcs.is_empty()
            && vertex.list.is_none()
            && vertex.struct_span.is_none()
            && vertex.weak_struct.is_none()
            && vertex.patterns.is_empty()
            && vertex.disjunctions.is_empty()
            && vertex.error.is_none()
            && vertex.scalar.is_unconstrained()
    }

    pub(super) fn select(
        &mut self,
        t: VertexId,
        feature: &Feature,
        span: Span,
    ) -> Result<Resolved<'a>, Arc<EvalError>> {
        self.expand(t);
        let mut t = t;
        if !self.vertices[t].disjunctions.is_empty() || self.vertices[t].forward.is_some() {
            self.finalize(t);
            t = self.resolve_forward(t);
        }
        if let Some(err) = &self.vertices[t].error {
            return Err(err.clone());
        }
        if let Feature::Index(i) = feature {
            if self.vertices[t].list.is_some() {
                self.finish_list_arcs(t);
                if let Some(&a) = self.vertices[t].arc_index.get(feature) {
                    return Ok(Resolved::Vertex(a));
                }
                let message = format!(
                    "index out of range [{i}] with length {}",
                    self.vertices[t]
                        .arcs
                        .iter()
                        .filter(|&&a| matches!(self.vertices[a].feature, Some(Feature::Index(_))))
                        .count()
                );
                // An open list (`[1, ...]`) may still get the element.
                if self.vertices[t]
                    .list
                    .as_ref()
                    .is_some_and(|l| l.closed.is_empty())
                {
                    return Err(EvalError::incomplete(message, vec![span]));
                }
                return Err(EvalError::new("INDEX", message, vec![span]));
            }
        }
        let found = self.vertices[t].arc_index.get(feature).copied();
        match found {
            Some(a) => Ok(Resolved::Vertex(a)),
            // A list has no fields at all; a struct (open, or not done) might still get one.
            None if self.vertices[t].list.is_some() && !matches!(feature, Feature::Index(_)) => {
                Err(EvalError::new(
                    "REFERENCE",
                    format!("undefined field: {}", feature.selector()),
                    vec![span],
                ))
            }
            // A closed struct that does not allow the field will never have it.
            None if matches!(feature, Feature::Regular(_))
                && self.vertices[t].patterns.is_empty()
                && self
                    .requirements(t)
                    .into_iter()
                    .any(|r| !self.allowed_by(t, &r, feature)) =>
            {
                Err(EvalError::new(
                    "REFERENCE",
                    format!("undefined field: {}", feature.selector()),
                    vec![span],
                ))
            }
            None => Err(EvalError::incomplete(
                format!("undefined field: {}", feature.selector()),
                vec![span],
            )),
        }
    }
}
