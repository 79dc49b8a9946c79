//! The evaluator: unification of conjuncts into a tree of vertices, as CUE's model has it.
//!
//! Every value is a [`Vertex`]: the conjuncts (expression + lexical environment) that apply to
//! one path, the scalar constraint they unify to, and one child vertex (arc) per field or list
//! element. Expanding a vertex routes its conjuncts: struct literals add conjuncts to arcs,
//! references add the *conjuncts* of the vertex they name (so `b: a` inside a definition sees the
//! data that was unified with the definition), disjunctions are deferred and resolved by
//! evaluating one candidate vertex per combination of disjuncts. Closedness is tracked with
//! groups: every expansion of a definition opens a closed group, and a field is allowed when
//! every closed group present at its parent declares it.
//!
//! Errors are values: a vertex keeps the first error found for it; the public API collects them
//! from the tree with CUE's paths. Cycles and runaway inputs end in errors through a step
//! budget, a recursion limit and a limit on disjunction candidates.
//!
//! The files follow CUE's own evaluator concepts, one rule of the language per file:
//!
//! - `vertex.rs`: vertices, arcs, features (labels), a vertex's path.
//! - `unify.rs`: the life of a vertex, expansion then finalization.
//! - `conjunct.rs`: adding conjuncts (struct and list literals, embeddings, values).
//! - `pattern.rs`: pattern constraints.
//! - `closed.rs`: closedness groups, which fields a struct allows.
//! - `cycle.rs`: reference cycles and structural cycles.
//! - `disjunct.rs`: disjunctions and defaults.
//! - `resolve.rs`: resolution of references, selectors and indexes.
//! - `expr.rs`, `binop.rs`, `call.rs`, `comprehension.rs`: expressions, binary operations,
//!   calls and builtins, comprehensions.
//! - `validator.rs`: the validators taking schemas, `matchN` and `matchIf`.
//! - `values.rs`: reading a vertex as a value, a concrete value or an atom.
//! - `errors.rs`: collecting errors and incomplete values as diagnostics, describing values.
//! - `dependency.rs`: noting which values depend on the data a schema is unified with.
//! - `view.rs`: `VertexView`, the read-only view through which the compiled validator and
//!   export read evaluated vertices.
//!
//! Every submodule adds methods to [`Eval`], the one evaluation that owns the arena.

use std::collections::HashMap;
use std::sync::Arc;

mod binop;
mod call;
mod closed;
mod comprehension;
mod conjunct;
mod cycle;
mod dependency;
mod disjunct;
mod errors;
mod expr;
mod pattern;
mod resolve;
mod schema_call;
mod unify;
mod validator;
mod values;
mod vertex;
mod view;

pub(crate) use errors::compact;
pub(crate) use expr::parse_number;
pub(crate) use values::{concrete_equal, Val};
pub(crate) use vertex::{push_selector, ArcType, Feature, VertexId};
pub(crate) use view::{ClosedSet, SchemaCheck};

use crate::ast::{self, Expr};
use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;
use crate::value::EvalError;
use closed::{Group, GroupId};
use conjunct::{Conjunct, ConjunctKind, Frame, FrameKind};
use resolve::NameDecl;
use vertex::Vertex;

// Work limits: inputs that exceed them end in an error instead of a hang or a crash.

/// Steps (conjuncts added, expressions evaluated) one evaluation may take, before the share
/// each byte of data and expression adds.
const MAX_STEPS: u64 = 1_000_000;

/// How deeply evaluation may recurse (a structural cycle that escapes detection ends here).
const MAX_RECURSION: u32 = 4000;

/// Values (vertices) one evaluation may create: a schema of a few hundred fields validating a
/// document of thousands needs far fewer; disjunctions of recursive definitions can need more.
const MAX_VERTICES: usize = 50_000;

/// A validation reports at most this many errors (the first ones, in CUE's order).
pub(crate) const MAX_ERRORS: usize = 100;

/// A loaded package and everything it imports, parsed.
pub(crate) struct Program {
    pub(crate) sources: SourceMap,
    /// Index 0 is the package that was loaded; the rest are imported packages.
    pub(crate) packages: Vec<PackageData>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl Program {
    /// The syntax of the loaded package's own files (not of the packages it imports).
    pub(crate) fn syntax(&self) -> &[ast::File] {
        self.packages
            .first()
            .map_or(&[], |package| package.files.as_slice())
    }
}

pub(crate) struct PackageData {
    pub(crate) files: Vec<ast::File>,
    /// Per file: the local name of each import and what it names.
    pub(crate) imports: Vec<HashMap<String, ImportTarget>>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ImportTarget {
    Builtin(String),
    Package(usize),
}

/// One evaluation: an arena of vertices over a program (and optionally one data document).
pub(crate) struct Eval<'a> {
    program: &'a Program,
    /// Files outside the program (the data document, a `-d` expression), for messages
    /// that quote their text.
    extra_sources: Vec<(crate::source::FileId, &'a str)>,
    vertices: Vec<Vertex<'a>>,
    groups: Vec<Group>,
    package_roots: HashMap<usize, VertexId>,
    names: HashMap<usize, Arc<HashMap<&'a str, NameDecl<'a>>>>,
    steps: u64,
    /// The work limits of this evaluation: the fixed budget plus a share per byte of the data
    /// and expression it evaluates, so that a large document is not refused as complex.
    max_steps: u64,
    max_vertices: usize,
    recursion: u32,
    /// Every read of a vertex whose expansion was in progress (a reference cycle): the vertex
    /// read. See [`Eval::expand_body`].
    cycle_reads: Vec<VertexId>,
    /// Vertices whose expansion read a vertex in progress, with the outermost one they read:
    /// their value may be only what the cycle let them see, until that one is complete.
    provisional: Vec<(VertexId, VertexId)>,
    /// Plain fields whose conjunct is pending on a vertex whose expansion is in progress (the
    /// outermost one they read): reading one is a read of that vertex.
    pending: HashMap<VertexId, VertexId>,
    /// The vertex whose conjuncts deferred by a reference cycle are being added again: they
    /// come before the conjuncts already in, so a conflict names their value first.
    adding_deferred: Option<VertexId>,
    aborted: Option<Arc<EvalError>>,
    /// While compiling a schema: its root, and whether anything under it was found to depend
    /// on the value it will be unified with.
    track: Option<VertexId>,
    dynamic: bool,
    /// While exporting: every vertex whose evaluation was noted as depending on the tracked
    /// root's fields (see [`Eval::note_dependency`]), so that the export can say where.
    dependents: Option<Vec<(VertexId, Option<VertexId>)>>,
    /// The vertices being expanded, innermost last: while exporting, a noted dependency names
    /// the value whose evaluation read the data's fields; in a reference cycle, the outermost
    /// vertex read is the one that completes last ([`Eval::outermost`]).
    expanding: Vec<VertexId>,
    /// The disjunction candidates being evaluated, innermost last: inside one, a reference to
    /// the value its disjunction is for names the candidate (see `disjunct.rs`).
    candidates: Vec<VertexId>,
    /// The vertex whose conjunct is being added by its expansion, and that conjunct's span:
    /// what brought a repeated literal there (see [`Eval::repeats_structure`]).
    expanding_conjunct: Option<(VertexId, crate::source::Span)>,
    /// The vertices whose conjuncts are being copied by a reference, each with the vertex
    /// they are copied into, innermost last (see [`Eval::repeats_structure`]).
    copying: Vec<(VertexId, VertexId)>,
    /// Values evaluated inline (an operand `(x & {}).out`, a call's argument), which have no
    /// parent: the vertex whose expansion evaluated each, and whether its elements stand at
    /// that vertex's level (`and([...])`). See [`Eval::inline_cycle`].
    inline_homes: HashMap<VertexId, (VertexId, bool)>,
    /// The inline values being evaluated, innermost last, each with its expression and
    /// environment: the same one again inside is a cycle ([`Eval::inline_reentry`]).
    inline_stack: Vec<((usize, usize), VertexId)>,
    /// The data document being validated, if any.
    data_file: Option<crate::source::FileId>,
    /// The root of a `-d` schema expression: like a definition, a schema for data.
    expression_root: Option<VertexId>,
    /// The closedness group of each definition, shared by all its declarations.
    definition_groups: HashMap<VertexId, GroupId>,
    /// Whether errors inside definitions are collected: for the package's own diagnostics,
    /// not for each validated document (a document cannot change a definition).
    include_definitions: bool,
    /// The files that enable `@experiment(explicitopen)`: there, embedding a value is
    /// unifying with it (a closed value closes the struct it is embedded in, fields and all),
    /// and `x...` opens `x`.
    explicit_open_files: Vec<crate::source::FileId>,
    /// A package root and the labels of its fields that the caller knows to evaluate without
    /// errors (see [`Eval::settle`]): finalizing the root leaves them alone.
    settled: Option<(VertexId, Vec<Feature>)>,
}

impl<'a> Eval<'a> {
    pub(crate) fn new(
        program: &'a Program,
        extra_sources: Vec<(crate::source::FileId, &'a str)>,
    ) -> Eval<'a> {
        let extra: usize = extra_sources.iter().map(|(_, text)| text.len()).sum();
        Eval {
            program,
            extra_sources,
            max_steps: MAX_STEPS + 4 * extra as u64,
            max_vertices: MAX_VERTICES + extra / 2,
            vertices: Vec::new(),
            groups: Vec::new(),
            package_roots: HashMap::new(),
            names: HashMap::new(),
            steps: 0,
            recursion: 0,
            cycle_reads: Vec::new(),
            provisional: Vec::new(),
            pending: HashMap::new(),
            adding_deferred: None,
            aborted: None,
            track: None,
            dynamic: false,
            dependents: None,
            expanding: Vec::new(),
            candidates: Vec::new(),
            expanding_conjunct: None,
            copying: Vec::new(),
            inline_homes: HashMap::new(),
            inline_stack: Vec::new(),
            data_file: None,
            expression_root: None,
            definition_groups: HashMap::new(),
            include_definitions: false,
            explicit_open_files: explicit_open_files(program),
            settled: None,
        }
    }

    /// Whether the file enables `@experiment(explicitopen)`.
    pub(super) fn explicit_open(&self, file: crate::source::FileId) -> bool {
        self.explicit_open_files.contains(&file)
    }

    /// Whether errors inside definitions are collected ([`Eval::collect_errors`]): for the
    /// package's own diagnostics, not for each validated document.
    pub(crate) fn collect_definition_errors(&mut self, collect: bool) {
        self.include_definitions = collect;
    }

    /// The program this evaluation reads.
    pub(crate) fn program(&self) -> &'a Program {
        self.program
    }

    /// The root vertex of a package: one conjunct per file.
    pub(crate) fn package_root(&mut self, package: usize) -> VertexId {
        if let Some(&root) = self.package_roots.get(&package) {
            return root;
        }
        let root = self.new_vertex(None, None);
        self.vertices[root].arc_type = ArcType::Regular;
        for file in 0..self.program.packages[package].files.len() {
            self.vertices[root].conjuncts.push(Conjunct {
                kind: ConjunctKind::File { package, file },
                env: None,
                group: None,
            });
        }
        self.package_roots.insert(package, root);
        root
    }

    /// A fresh root for validation: the package's files (or `expr` evaluated in the package's
    /// scope), then the data document, unified.
    pub(crate) fn validation_root(&mut self, expr: Option<&'a Expr>, data: &'a Expr) -> VertexId {
        self.data_file = Some(data.span.file);
        let root = match expr {
            None => {
                let root = self.package_root(0);
                self.vertices[root].conjuncts.push(Conjunct {
                    kind: ConjunctKind::Expr(data),
                    env: None,
                    group: None,
                });
                root
            }
            Some(expr) => {
                let root = self.expression_vertex(expr);
                self.vertices[root].conjuncts.push(Conjunct {
                    kind: ConjunctKind::Expr(data),
                    env: None,
                    group: None,
                });
                root
            }
        };
        self.finalize(root);
        root
    }

    /// A root holding just `expr` in the package's scope (used to check `-d` expressions).
    pub(crate) fn expression_root(&mut self, expr: &'a Expr) -> VertexId {
        let root = self.expression_vertex(expr);
        self.finalize(root);
        root
    }

    /// Like [`Eval::expression_root`], but not yet evaluated, so that dependency tracking can
    /// start before evaluation does.
    pub(crate) fn expression_vertex(&mut self, expr: &'a Expr) -> VertexId {
        let package = self.package_root(0);
        let env = Some(Arc::new(Frame {
            parent: None,
            kind: FrameKind::Package {
                package: 0,
                file: 0,
                vertex: package,
            },
        }));
        let root = self.new_vertex(None, None);
        self.vertices[root].arc_type = ArcType::Regular;
        self.vertices[root].conjuncts.push(Conjunct {
            kind: ConjunctKind::Expr(expr),
            env,
            group: None,
        });
        self.expression_root = Some(root);
        root
    }

    /// Leaves the fields of `root` labelled `labels` (`#Order`, `events`) unevaluated when
    /// `root` is finalized: the caller knows from an earlier evaluation of the same text that
    /// they hold no error, and wants the rest only. Such a field is still evaluated when an
    /// evaluated value refers to it. A wrong claim hides the field's errors.
    pub(crate) fn settle(&mut self, root: VertexId, labels: &[String]) {
        if !labels.is_empty() {
            let features = labels
                .iter()
                .map(|label| Feature::from_ident(label))
                .collect();
            self.settled = Some((root, features));
        }
    }

    /// Whether `arc` of `parent` is a field [`Eval::settle`] named.
    pub(super) fn is_settled(&self, parent: VertexId, arc: VertexId) -> bool {
        match (&self.settled, &self.vertices[arc].feature) {
            (Some((root, features)), Some(feature)) => {
                *root == parent && features.contains(feature)
            }
            _ => false,
        }
    }

    /// Finalizes `v` and every definition under it, so that errors inside definitions are
    /// reported even where nothing uses them (as `cue vet` does).
    pub(crate) fn finalize_with_definitions(&mut self, v: VertexId) {
        self.finalize(v);
        let v = self.resolve_forward(v);
        for a in self.vertices[v].arcs.clone() {
            if self.is_settled(v, a) {
                continue;
            }
            if matches!(self.vertices[a].feature, Some(Feature::Definition(_))) {
                self.finalize(a);
            }
            if self.vertices[a].arc_type != ArcType::Optional {
                self.finalize_with_definitions(a);
            }
        }
    }

    fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps > self.max_steps && self.aborted.is_none() {
            self.aborted = Some(EvalError::new(
                "TOO_COMPLEX",
                format!(
                    "evaluation too complex: gave up after {} steps",
                    self.max_steps
                ),
                Vec::new(),
            ));
        }
        self.aborted.is_none()
    }

    pub(crate) fn aborted(&self) -> Option<&Arc<EvalError>> {
        self.aborted.as_ref()
    }

    fn enter(&mut self) -> bool {
        self.recursion += 1;
        if self.recursion > MAX_RECURSION && self.aborted.is_none() {
            self.aborted = Some(EvalError::new(
                "TOO_DEEP",
                format!(
                    "evaluation nested more than {MAX_RECURSION} levels deep (a structural cycle?)"
                ),
                Vec::new(),
            ));
        }
        self.aborted.is_none()
    }

    fn leave(&mut self) {
        self.recursion -= 1;
    }

    /// Runs a recursive step on a stack with room for it: evaluation recurses as deep as the
    /// input nests (up to `MAX_RECURSION`), deeper than a small thread stack allows.
    fn with_stack<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || f(self))
    }
}

/// The files of the program that enable the `explicitopen` experiment, with an
/// `@experiment(...)` attribute at file level naming it.
fn explicit_open_files(program: &Program) -> Vec<crate::source::FileId> {
    let mut files = Vec::new();
    for file in program.packages.iter().flat_map(|p| &p.files) {
        let declared = file.decls.iter().filter_map(|d| match d {
            ast::Decl::Attribute(a) => Some(a),
            _ => None,
        });
        for attribute in file.attributes.iter().chain(declared) {
            let names_it = attribute.name == "experiment"
                && attribute
                    .body
                    .split(',')
                    .any(|name| name.trim() == "explicitopen");
            if names_it && !files.contains(&attribute.span.file) {
                files.push(attribute.span.file);
            }
        }
    }
    files
}
