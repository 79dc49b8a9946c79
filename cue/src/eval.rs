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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[path = "fast.rs"]
pub(crate) mod fast;
// The reading half of export lives with the exporters but reads vertices, so it is a child
// of the evaluator; `crate::export` owns the shapes it produces and the encodings.
#[path = "export/extract.rs"]
pub(crate) mod extract;

use crate::ast::{
    self, BinaryOp, Clause, Decl, Expr, ExprKind, FieldConstraint, LabelKind, UnaryOp,
};
use crate::builtins::{self, Builtin, Concrete, Kind, Member};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceMap, Span};
use crate::value::{
    check_text, format_float, quote_string, Atom, BoundOp, Check, EvalError, Kinds, Scalar,
    SpannedCheck,
};

/// Work limits: inputs that exceed them end in an error instead of a hang or a crash.
const MAX_STEPS: u64 = 1_000_000;
const MAX_RECURSION: u32 = 4000;
const MAX_CANDIDATES: usize = 1024;
/// Values (vertices) one evaluation may create: a schema of a few hundred fields validating a
/// document of thousands needs far fewer; disjunctions of recursive definitions can need more.
const MAX_VERTICES: usize = 50_000;
/// A validation reports at most this many errors (the first ones, in CUE's order).
/// The code of an operation whose operand is not concrete yet.
const NON_CONCRETE: &str = "NON_CONCRETE";

pub(crate) const MAX_ERRORS: usize = 100;

/// A loaded package and everything it imports, parsed.
pub(crate) struct Program {
    pub(crate) sources: SourceMap,
    /// Index 0 is the package that was loaded; the rest are imported packages.
    pub(crate) packages: Vec<PackageData>,
    pub(crate) diagnostics: Vec<Diagnostic>,
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

pub(crate) type VertexId = usize;

/// A cheap hasher for the evaluator's sets of pointer pairs (no untrusted keys reach it:
/// they are addresses of the program's own nodes).
#[derive(Clone, Copy, Default)]
pub(crate) struct PairHasher;

impl std::hash::BuildHasher for PairHasher {
    type Hasher = MixHasher;
    fn build_hasher(&self) -> MixHasher {
        MixHasher(0)
    }
}

pub(crate) struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}
type GroupId = usize;

/// A label: field names keep their kind, because definitions and hidden fields are exempt from
/// closedness and from output.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Feature {
    Regular(Arc<str>),
    Definition(Arc<str>),
    Hidden(Arc<str>),
    Index(usize),
}

impl Feature {
    fn from_ident(name: &str) -> Feature {
        if name.starts_with('#') {
            Feature::Definition(Arc::from(name))
        } else if name.starts_with('_') && name != "_" {
            Feature::Hidden(Arc::from(name))
        } else {
            Feature::Regular(Arc::from(name))
        }
    }

    fn is_regular(&self) -> bool {
        matches!(self, Feature::Regular(_) | Feature::Index(_))
    }

    fn selector(&self) -> String {
        match self {
            // A regular field named like a hidden field or a definition must be quoted.
            Feature::Regular(name) => {
                let mut out = String::new();
                push_selector(&mut out, name);
                out
            }
            Feature::Definition(name) | Feature::Hidden(name) => name.to_string(),
            Feature::Index(i) => i.to_string(),
        }
    }
}

/// Appends a regular field's label as a path prints it: quoted unless it is an identifier
/// that does not look like a hidden field or a definition.
pub(crate) fn push_selector(out: &mut String, name: &str) {
    if is_identifier(name) && !name.starts_with(['_', '#']) {
        out.push_str(name);
    } else {
        let _ = builtins::write_quoted(out, name);
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '$' || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ArcType {
    Regular,
    Required,
    Optional,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    New,
    Expanding,
    Expanded,
    Finalizing,
    Done,
}

/// The result of evaluating an expression.
#[derive(Clone)]
pub(crate) enum Val {
    Top,
    Atom(Atom, Span),
    Scalar(Arc<Scalar>, Span),
    Node(VertexId),
    Disj(Arc<Vec<(Val, bool)>>),
    Bottom(Arc<EvalError>),
    Func(Func),
    Package(ImportTarget),
}

#[derive(Clone, Copy)]
pub(crate) enum Func {
    Builtin(&'static Builtin),
    Len,
    Close,
    And,
    Or,
    Div,
    Mod,
    Quo,
    Rem,
}

#[derive(Clone)]
enum ConjunctKind<'a> {
    Expr(&'a Expr),
    /// The top-level declarations of one file of a package.
    File {
        package: usize,
        file: usize,
    },
    Val(Val),
}

#[derive(Clone)]
struct Conjunct<'a> {
    kind: ConjunctKind<'a>,
    env: Env<'a>,
    group: Option<GroupId>,
}

type Env<'a> = Option<Arc<Frame<'a>>>;

struct Frame<'a> {
    parent: Env<'a>,
    kind: FrameKind<'a>,
}

enum FrameKind<'a> {
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
fn scope_vertex(env: &Env<'_>) -> Option<VertexId> {
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

fn env_key(env: &Env<'_>) -> usize {
    env.as_ref().map_or(0, |f| Arc::as_ptr(f) as usize)
}

#[derive(Clone, Copy)]
enum NameDecl<'a> {
    Field(&'a str, bool),
    Let(&'a ast::LetClause),
}

struct Pattern<'a> {
    label: &'a Expr,
    alias: Option<&'a str>,
    value: &'a Expr,
    env: Env<'a>,
    group: Option<GroupId>,
    matcher: Option<Val>,
}

struct Disjunction<'a> {
    key: (usize, u32),
    options: Vec<(Conjunct<'a>, bool)>,
}

/// Labels declared in one closedness group at one vertex.
struct GroupDecls {
    group: GroupId,
    labels: Vec<Feature>,
    patterns: Vec<usize>,
    open: bool,
}

struct Group {
    parent: Option<GroupId>,
    closed: bool,
    /// Made by `close()`: closed where it stands alone, but when its value is embedded in a
    /// struct it closes that struct instead (which may then declare more fields).
    by_close: bool,
}

#[derive(Default)]
struct ListInfo {
    length: usize,
    closed: Vec<(usize, Span)>,
}

pub(crate) struct Vertex<'a> {
    parent: Option<VertexId>,
    feature: Option<Feature>,
    depth: u32,
    conjuncts: Vec<Conjunct<'a>>,
    seen: HashSet<(usize, usize), PairHasher>,
    state: State,
    arcs: Vec<VertexId>,
    arc_index: HashMap<Feature, VertexId>,
    arc_type: ArcType,
    decl_spans: Vec<Span>,
    scalar: Scalar,
    struct_span: Option<Span>,
    list: Option<ListInfo>,
    list_open: Vec<(usize, Option<Conjunct<'a>>)>,
    patterns: Vec<Pattern<'a>>,
    comprehensions: Vec<(&'a ast::Comprehension, Env<'a>, Option<GroupId>)>,
    disjunctions: Vec<Disjunction<'a>>,
    disjunction_seen: HashMap<usize, u32>,
    choices: Arc<HashMap<(usize, u32), usize>>,
    groups: Vec<GroupDecls>,
    error: Option<Arc<EvalError>>,
    forward: Option<VertexId>,
    ambiguous: Vec<VertexId>,
    /// For a disjunction candidate: the vertex it is a candidate for.
    origin: Option<VertexId>,
    /// Every disjunct that survived, with whether it is a default.
    survivors: Vec<(VertexId, bool)>,
    /// Every candidate of a resolved disjunction, failed or not, in order, with whether it
    /// is a default: the compiled validator keeps them all so its messages match.
    candidates: Vec<(VertexId, bool)>,
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
    pub(crate) dependents: Option<Vec<(VertexId, Option<VertexId>)>>,
    /// The vertices being expanded, innermost last: while exporting, a noted dependency names
    /// the value whose evaluation read the data's fields; in a reference cycle, the outermost
    /// vertex read is the one that completes last ([`Eval::outermost`]).
    expanding: Vec<VertexId>,
    /// The data document being validated, if any.
    data_file: Option<crate::source::FileId>,
    /// The root of a `-d` schema expression: like a definition, a schema for data.
    expression_root: Option<VertexId>,
    /// The closedness group of each definition, shared by all its declarations.
    definition_groups: HashMap<VertexId, GroupId>,
    /// Whether errors inside definitions are collected: for the package's own diagnostics,
    /// not for each validated document (a document cannot change a definition).
    pub(crate) include_definitions: bool,
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
            data_file: None,
            expression_root: None,
            definition_groups: HashMap::new(),
            include_definitions: false,
        }
    }

    /// The program this evaluation reads.
    pub(crate) fn program(&self) -> &'a Program {
        self.program
    }

    // ----- Construction -------------------------------------------------------------------

    fn new_vertex(&mut self, parent: Option<VertexId>, feature: Option<Feature>) -> VertexId {
        if self.vertices.len() >= self.max_vertices && self.aborted.is_none() {
            self.aborted = Some(EvalError::new(
                "TOO_COMPLEX",
                format!(
                    "evaluation too complex: gave up after {} values",
                    self.max_vertices
                ),
                Vec::new(),
            ));
        }
        let depth = parent.map_or(0, |p| self.vertices[p].depth + 1);
        self.vertices.push(Vertex {
            parent,
            feature,
            depth,
            conjuncts: Vec::new(),
            seen: HashSet::default(),
            state: State::New,
            arcs: Vec::new(),
            arc_index: HashMap::new(),
            arc_type: ArcType::Optional,
            decl_spans: Vec::new(),
            scalar: Scalar::default(),
            struct_span: None,
            list: None,
            list_open: Vec::new(),
            patterns: Vec::new(),
            comprehensions: Vec::new(),
            disjunctions: Vec::new(),
            disjunction_seen: HashMap::new(),
            choices: Arc::new(HashMap::new()),
            groups: Vec::new(),
            error: None,
            forward: None,
            ambiguous: Vec::new(),
            origin: None,
            survivors: Vec::new(),
            candidates: Vec::new(),
        });
        self.vertices.len() - 1
    }

    fn new_group(&mut self, parent: Option<GroupId>, closed: bool) -> GroupId {
        self.groups.push(Group {
            parent,
            closed,
            by_close: false,
        });
        self.groups.len() - 1
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

    /// Finalizes `v` and every definition under it, so that errors inside definitions are
    /// reported even where nothing uses them (as `cue vet` does).
    pub(crate) fn finalize_with_definitions(&mut self, v: VertexId) {
        self.finalize(v);
        let v = self.resolve_forward(v);
        for a in self.vertices[v].arcs.clone() {
            if matches!(self.vertices[a].feature, Some(Feature::Definition(_))) {
                self.finalize(a);
            }
            if self.vertices[a].arc_type != ArcType::Optional {
                self.finalize_with_definitions(a);
            }
        }
    }

    fn arc(&mut self, v: VertexId, feature: &Feature) -> VertexId {
        if let Some(&a) = self.vertices[v].arc_index.get(feature) {
            return a;
        }
        let a = self.new_vertex(Some(v), Some(feature.clone()));
        self.vertices[v].arcs.push(a);
        self.vertices[v].arc_index.insert(feature.clone(), a);
        if self.vertices[v].state != State::New && self.vertices[v].state != State::Expanding {
            for p in 0..self.vertices[v].patterns.len() {
                self.apply_pattern(v, p, a);
            }
        }
        a
    }

    fn push_conjunct(&mut self, v: VertexId, c: Conjunct<'a>) {
        match self.vertices[v].state {
            State::New => self.vertices[v].conjuncts.push(c),
            _ => {
                self.vertices[v].conjuncts.push(c.clone());
                self.add(v, c);
            }
        }
    }

    fn set_error(&mut self, v: VertexId, error: Arc<EvalError>) {
        let vertex = &mut self.vertices[v];
        match &vertex.error {
            // A real conflict replaces an earlier incomplete note.
            Some(existing) if existing.incomplete && !error.incomplete => {
                vertex.error = Some(error)
            }
            Some(_) => {}
            None => vertex.error = Some(error),
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

    // ----- Expansion ----------------------------------------------------------------------

    /// Runs a recursive step on a stack with room for it: evaluation recurses as deep as the
    /// input nests (up to `MAX_RECURSION`), deeper than a small thread stack allows.
    fn with_stack<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, || f(self))
    }

    fn expand(&mut self, v: VertexId) {
        self.with_stack(|this| this.expand_inner(v))
    }

    fn expand_inner(&mut self, v: VertexId) {
        if self.vertices[v].state != State::New {
            return;
        }
        self.vertices[v].state = State::Expanding;
        let (cycle_reads, provisional_from) = (self.cycle_reads.len(), self.provisional.len());
        self.expanding.push(v);
        self.expand_body(v);
        self.expanding.pop();
        // Plain fields evaluated during the expansion that waited for `v` saw only part of it:
        // they are evaluated again now that `v` is complete.
        for t in self.reset_provisional(v, provisional_from) {
            self.finalize(t);
        }
        if self.cycle_reads.len() != cycle_reads {
            if let Some(outermost) = self.outermost(&self.cycle_reads[cycle_reads..], v) {
                self.provisional.push((v, outermost));
            }
        }
    }

    /// Adds every conjunct of `v`. A conjunct that comes out incomplete because it read a vertex
    /// in progress is a reference cycle (`x: y + 1`, `y: x + 1`, `x: 1`): when the cycle closes
    /// on `v` (it read `v`), the conjunct is tried again once the others are in (`x: 1` then
    /// makes `y` 2, and `x` the conflict of 1 and 3, as CUE evaluates it), after the plain
    /// fields that waited for `v` are made new. When it waits for a vertex further out, a plain
    /// field leaves it pending: that vertex evaluates the field again when it is complete.
    fn expand_body(&mut self, v: VertexId) {
        if self.enter() {
            let conjuncts = self.vertices[v].conjuncts.clone();
            let provisional_from = self.provisional.len();
            // Deferred conjuncts, by their index in `conjuncts` (copied again only then).
            let mut deferred = Vec::new();
            for (index, c) in conjuncts.into_iter().enumerate() {
                let Some(waits) = self.add_in_cycle(v, c) else {
                    continue;
                };
                let c = &self.vertices[v].conjuncts[index];
                let key = match c.kind {
                    ConjunctKind::Expr(e) if !matches!(e.kind, ExprKind::Struct(_)) => {
                        Some((e as *const Expr as usize, env_key(&c.env)))
                    }
                    _ => None,
                };
                match key {
                    Some(key) if waits == v => {
                        self.vertices[v].error = None;
                        self.vertices[v].seen.remove(&key);
                        deferred.push(index);
                    }
                    _ => self.leave_pending(v, waits),
                }
            }
            if !deferred.is_empty() {
                let reset = self.reset_provisional(v, provisional_from);
                for index in deferred {
                    let c = self.vertices[v].conjuncts[index].clone();
                    let outer = self.adding_deferred.replace(v);
                    let waits = self.add_in_cycle(v, c);
                    self.adding_deferred = outer;
                    if let Some(waits) = waits.filter(|&w| w != v) {
                        self.leave_pending(v, waits);
                    }
                }
                for t in reset {
                    self.finalize(t);
                }
            }
            self.run_comprehensions(v);
            for p in 0..self.vertices[v].patterns.len() {
                let arcs = self.vertices[v].arcs.clone();
                for a in arcs {
                    self.apply_pattern(v, p, a);
                }
            }
        }
        self.leave();
        self.vertices[v].state = State::Expanded;
    }

    /// Adds `c` to `v`. When that made `v` incomplete (it had no error before) and read
    /// vertices in progress: the outermost of them (`v` itself when it was read and nothing
    /// further out), which `v` waits for.
    fn add_in_cycle(&mut self, v: VertexId, c: Conjunct<'a>) -> Option<VertexId> {
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
    fn outermost(&self, reads: &[VertexId], v: VertexId) -> Option<VertexId> {
        self.expanding
            .iter()
            .find(|&&w| w != v && reads.contains(&w))
            .copied()
    }

    /// Leaves the incomplete conjunct just added to the plain field `v` pending on `waits`, a
    /// vertex in progress further out, which evaluates `v` again when it is complete; any
    /// other vertex keeps the incomplete error.
    fn leave_pending(&mut self, v: VertexId, waits: VertexId) {
        if self.is_plain(v) {
            self.vertices[v].error = None;
            self.pending.insert(v, waits);
        }
    }

    /// Makes the plain fields (no arcs, lists, disjunctions or patterns) that became
    /// provisional since `from` waiting for `v` new again, so that they are evaluated anew
    /// with what `v` has now (the caller finalizes them); the others stay provisional.
    /// Returns the fields made new.
    fn reset_provisional(&mut self, v: VertexId, from: usize) -> Vec<VertexId> {
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
    fn note_cycle_read(&mut self, target: VertexId) {
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
    fn is_plain(&self, v: VertexId) -> bool {
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

    fn run_comprehensions(&mut self, v: VertexId) {
        if !self.vertices[v].comprehensions.is_empty() {
            self.note_comprehension(v);
        }
        while !self.vertices[v].comprehensions.is_empty() {
            let pending = std::mem::take(&mut self.vertices[v].comprehensions);
            for (comp, env, group) in pending {
                let mut yields = Vec::new();
                if let Err(err) = self.comprehension(&comp.clauses, env, &mut yields) {
                    self.set_error(v, err);
                    continue;
                }
                for env in yields {
                    self.add_expr(v, &comp.body, env, group, true);
                }
            }
        }
    }

    fn add(&mut self, v: VertexId, c: Conjunct<'a>) {
        self.with_stack(|this| {
            if this.enter() {
                this.add_inner(v, c);
            }
            this.leave();
        })
    }

    fn add_inner(&mut self, v: VertexId, c: Conjunct<'a>) {
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
                self.add_decls(v, decls, env, c.group, span);
            }
            ConjunctKind::Val(val) => self.add_val(v, val, c.group, (0, 0)),
            ConjunctKind::Expr(e) => {
                let key = (e as *const Expr as usize, env_key(&c.env));
                if !self.vertices[v].seen.insert(key) {
                    return;
                }
                // The same struct literal in the same scope already expanded above this
                // vertex: the value would contain itself forever.
                if matches!(e.kind, ExprKind::Struct(_))
                    && self.ancestor_has(v, key, scope_vertex(&c.env))
                    && !self.has_data(v)
                {
                    self.set_error(
                        v,
                        EvalError::new("STRUCTURAL_CYCLE", "structural cycle", vec![e.span]),
                    );
                    return;
                }
                self.add_expr(v, e, c.env, c.group, false);
            }
        }
    }

    fn dynamic_label(&mut self, v: VertexId, expr: &'a Expr, env: &Env<'a>) -> Val {
        self.note_dependency(v);
        self.eval_expr(expr, env)
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
    fn ancestor_has(&self, v: VertexId, key: (usize, usize), scope: Option<VertexId>) -> bool {
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

    /// Whether data reaches `v`: recursion that data drives ends where the data does.
    fn has_data(&self, v: VertexId) -> bool {
        let Some(file) = self.data_file else {
            return false;
        };
        self.vertices[v]
            .conjuncts
            .iter()
            .any(|c| matches!(c.kind, ConjunctKind::Expr(e) if e.span.file == file))
    }

    fn add_expr(
        &mut self,
        v: VertexId,
        e: &'a Expr,
        env: Env<'a>,
        group: Option<GroupId>,
        embedded: bool,
    ) {
        match &e.kind {
            ExprKind::Struct(lit) => self.add_decls(v, &lit.decls, env, group, e.span),
            ExprKind::List(list) => self.add_list(v, list, env, group, e.span),
            ExprKind::Paren(inner) => self.add_expr(v, inner, env, group, embedded),
            ExprKind::Unary(UnaryOp::Default, inner) => {
                self.add_expr(v, inner, env, group, embedded)
            }
            ExprKind::Binary(BinaryOp::Conjunction, a, b) => {
                self.add_expr(v, a, env.clone(), group, embedded);
                self.add_expr(v, b, env, group, embedded);
            }
            ExprKind::Binary(BinaryOp::Disjunction, ..) => {
                let mut options = Vec::new();
                collect_disjuncts(e, false, &mut options);
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
                        let is_definition = reference_is_definition(e);
                        self.add_vertex_conjuncts(v, t, group, embedded, is_definition);
                    }
                    Ok(Resolved::Conjunct(c)) => {
                        let c = Conjunct {
                            group: c.group.or(group),
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
                if matches!(&callee.kind, ExprKind::Ident(id) if id.name == "close")
                    && args.len() == 1
                    && self.lookup(&env, "close").is_err() =>
            {
                let closed = self.new_group(group, true);
                self.add_expr(v, &args[0], env, Some(closed), embedded);
            }
            ExprKind::Comprehension(_) => self.set_error(
                v,
                EvalError::new(
                    "UNSUPPORTED",
                    "comprehension not allowed here",
                    vec![e.span],
                ),
            ),
            _ => {
                let val = self.eval_expr(e, &env);
                self.add_val(v, val, group, (e as *const Expr as usize, env_key(&env)));
            }
        }
    }

    fn add_disjunction(
        &mut self,
        v: VertexId,
        expr_key: usize,
        options: Vec<(Conjunct<'a>, bool)>,
    ) {
        let count = self.vertices[v]
            .disjunction_seen
            .entry(expr_key)
            .or_insert(0);
        let key = (expr_key, *count);
        *count += 1;
        if let Some(&choice) = self.vertices[v].choices.get(&key) {
            if let Some((c, _)) = options.into_iter().nth(choice) {
                match c.kind {
                    ConjunctKind::Expr(x) => self.add_expr(v, x, c.env, c.group, false),
                    _ => self.add(v, c),
                }
            }
            return;
        }
        self.vertices[v]
            .disjunctions
            .push(Disjunction { key, options });
    }

    fn add_vertex_conjuncts(
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
        let new_group = is_definition.then(|| self.new_group(group, !embedded));
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
                // `close()`'s value within a closed context: the context's closedness governs.
                (None, Some(own), Some(outer)) if self.groups[own].by_close && own != outer => {
                    // Declare the context on `v` so that its closedness is checked there.
                    self.group_entry(v, outer);
                    Some(self.new_group(Some(outer), false))
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

    fn group_entry(&mut self, v: VertexId, group: GroupId) -> usize {
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

    fn mark_struct(&mut self, v: VertexId, span: Span) {
        if self.vertices[v].struct_span.is_none() {
            self.vertices[v].struct_span = Some(span);
        }
        self.unify_kinds(v, Kinds::STRUCT, span);
    }

    fn add_decls(
        &mut self,
        v: VertexId,
        decls: &'a [Decl],
        env: Env<'a>,
        group: Option<GroupId>,
        span: Span,
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
        let has_fields = decls.is_empty()
            || decls
                .iter()
                .any(|d| matches!(d, Decl::Field(_) | Decl::Ellipsis(_)));
        if has_fields {
            self.mark_struct(v, span);
        }
        let closes_by_embedding = decls
            .iter()
            .any(|d| matches!(d, Decl::Embed(e) if reference_is_definition(e)));
        let decl_group = if closes_by_embedding {
            Some(self.new_group(group, true))
        } else {
            group
        };
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
                            _ => {
                                self.set_error(
                                    v,
                                    EvalError::incomplete(
                                        "label is not a concrete string",
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
                                value: &field.value,
                                env: frame.clone(),
                                group,
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
                                let g = self.new_group(None, true);
                                self.definition_groups.insert(a, g);
                                g
                            }
                        })
                    } else {
                        group
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
                    _ => self.add_expr(v, e, frame.clone(), decl_group, true),
                }
            }
        }
    }

    fn add_list(
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
                    let mut yields = Vec::new();
                    if let Err(err) = self.comprehension(&comp.clauses, env.clone(), &mut yields) {
                        self.set_error(v, err);
                        continue;
                    }
                    for env in yields {
                        elements.push(Conjunct {
                            kind: ConjunctKind::Expr(&comp.body),
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

    /// The label of pattern `p` of `v`, evaluated once.
    pub(crate) fn pattern_matcher(&mut self, v: VertexId, p: usize) -> Val {
        if let Some(m) = &self.vertices[v].patterns[p].matcher {
            return m.clone();
        }
        let (label, env) = {
            let pattern = &self.vertices[v].patterns[p];
            (pattern.label, pattern.env.clone())
        };
        let m = self.eval_expr(label, &env);
        self.vertices[v].patterns[p].matcher = Some(m.clone());
        m
    }

    fn apply_pattern(&mut self, v: VertexId, p: usize, a: VertexId) {
        let Some(Feature::Regular(name)) = self.vertices[a].feature.clone() else {
            return;
        };
        let matcher = self.pattern_matcher(v, p);
        if !self.label_matches(&matcher, &name) {
            return;
        }
        let pattern = &self.vertices[v].patterns[p];
        let env = match pattern.alias {
            Some(alias) => Some(Arc::new(Frame {
                parent: pattern.env.clone(),
                kind: FrameKind::Bind {
                    name: alias,
                    value: Val::Atom(Atom::String(name.clone()), pattern.label.span),
                },
            })),
            None => pattern.env.clone(),
        };
        let c = Conjunct {
            kind: ConjunctKind::Expr(pattern.value),
            env,
            group: pattern.group,
        };
        self.push_conjunct(a, c);
    }

    fn label_matches(&mut self, matcher: &Val, label: &Arc<str>) -> bool {
        match matcher {
            Val::Top => true,
            Val::Atom(Atom::String(s), _) => s == label,
            Val::Atom(..) => false,
            Val::Scalar(s, _) => {
                let atom = Atom::String(label.clone());
                s.kinds.contains(Kinds::STRING)
                    && s.value
                        .as_ref()
                        .is_none_or(|(value, _)| value.equals(&atom))
                    && s.checks
                        .iter()
                        .all(|c| crate::value::run_check(&c.check, &atom).is_ok())
            }
            Val::Disj(options) => options.iter().any(|(o, _)| self.label_matches(o, label)),
            Val::Node(t) => {
                let val = self.value_of(*t);
                !matches!(val, Val::Node(_)) && self.label_matches(&val, label)
            }
            _ => false,
        }
    }

    fn add_val(&mut self, v: VertexId, val: Val, group: Option<GroupId>, key: (usize, usize)) {
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
            Val::Func(_) | Val::Package(_) => self.set_error(
                v,
                EvalError::new(
                    "INVALID",
                    "cannot use a function or package as a value",
                    vec![],
                ),
            ),
        }
    }

    // ----- Scalars ------------------------------------------------------------------------

    fn text(&self, span: Span) -> String {
        for &(file, text) in &self.extra_sources {
            if file == span.file {
                return text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("")
                    .to_string();
            }
        }
        self.program
            .sources
            .get(span.file)
            .and_then(|f| f.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
            .to_string()
    }

    /// Narrows a vertex's kinds for a struct or list literal (printed compactly in messages).
    fn unify_kinds(&mut self, v: VertexId, kinds: Kinds, span: Span) {
        // Messages show a struct or list on one line; a long one is cut, not printed whole.
        const SHOWN: usize = 200;
        let source = self.text(span);
        let shown = if source.len() > SHOWN {
            let mut end = SHOWN;
            while !source.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}...", compact(&source[..end]))
        } else {
            compact(&source)
        };
        let text: Arc<str> = Arc::from(shown.as_str());
        if let Err(err) = self.vertices[v].scalar.narrow(kinds, span, &text) {
            self.set_error(v, err);
        }
    }

    fn unify_atom(&mut self, v: VertexId, atom: Atom, span: Span) {
        let deferred = self.adding_deferred == Some(v);
        if let Err(err) = self.vertices[v]
            .scalar
            .unify_atom_in_order(atom, span, deferred)
        {
            self.set_error(v, err);
        }
    }

    fn unify_scalar(&mut self, v: VertexId, other: &Scalar, span: Span) {
        if let Err(err) = self.vertices[v].scalar.unify(other, span) {
            self.set_error(v, err);
        }
    }

    // ----- Finalization -------------------------------------------------------------------

    pub(crate) fn finalize(&mut self, v: VertexId) {
        self.with_stack(|this| this.finalize_inner(v))
    }

    fn finalize_inner(&mut self, v: VertexId) {
        match self.vertices[v].state {
            State::Finalizing | State::Done => return,
            _ => {}
        }
        self.expand(v);
        if self.vertices[v].state != State::Expanded {
            return;
        }
        self.vertices[v].state = State::Finalizing;
        if !self.enter() {
            self.leave();
            self.vertices[v].state = State::Done;
            return;
        }
        if !self.vertices[v].disjunctions.is_empty() {
            self.resolve_disjunctions(v);
        } else {
            self.finish_list(v);
            let arcs = self.vertices[v].arcs.clone();
            for &a in &arcs {
                self.check_allowed(v, a);
            }
            for &a in &arcs {
                let vertex = &self.vertices[a];
                let skip = vertex.arc_type == ArcType::Optional
                    || matches!(vertex.feature, Some(Feature::Definition(_)));
                if !skip {
                    self.finalize(a);
                }
            }
            self.check_composite(v);
        }
        self.leave();
        self.vertices[v].state = State::Done;
    }

    fn finish_list(&mut self, v: VertexId) {
        let Some(info) = &self.vertices[v].list else {
            return;
        };
        let length = info.length;
        if let Some(&(n, _)) = info.closed.iter().find(|(n, _)| *n != length) {
            let message = format!(
                "incompatible list lengths ({} and {})",
                n.min(length),
                n.max(length)
            );
            self.set_error(v, EvalError::new("LIST_LENGTH", message, vec![]));
            return;
        }
        let open = self.vertices[v].list_open.clone();
        for (start, constraint) in open {
            let Some(c) = constraint else { continue };
            for i in start..length {
                let a = self.arc(v, &Feature::Index(i));
                self.push_conjunct(a, c.clone());
            }
        }
    }

    fn check_allowed(&mut self, v: VertexId, a: VertexId) {
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

    fn is_descendant(&self, mut group: GroupId, ancestor: GroupId) -> bool {
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

    fn allowed_by(&mut self, v: VertexId, group: GroupId, feature: &Feature) -> bool {
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

    /// Whether `v` is a definition or lies inside one (or inside a `-d` schema expression,
    /// which stands for one).
    fn in_definition(&self, v: VertexId) -> bool {
        let mut current = Some(v);
        while let Some(c) = current {
            if matches!(self.vertices[c].feature, Some(Feature::Definition(_)))
                || self.expression_root == Some(c)
            {
                return true;
            }
            current = self.vertices[c].parent;
        }
        false
    }

    /// Validators on lists and structs (`list.MinItems(1)`) run once their elements are known.
    fn check_composite(&mut self, v: VertexId) {
        if self.vertices[v].scalar.checks.is_empty() || self.vertices[v].scalar.value.is_some() {
            return;
        }
        if self.vertices[v].struct_span.is_none() && self.vertices[v].list.is_none() {
            return;
        }
        // In a definition, an open list (`[...#Item] & list.MinItems(1)`) is a schema for
        // lists, not the empty list: its validators wait for a value.
        if self.vertices[v]
            .list
            .as_ref()
            .is_some_and(|l| l.closed.is_empty())
            && self.in_definition(v)
        {
            return;
        }
        let Some(concrete) = self.concrete_value(v) else {
            return;
        };
        let checks = self.vertices[v].scalar.checks.clone();
        for check in checks {
            if let Some(err) = fast::composite_check(&check, &concrete) {
                self.set_error(v, err);
                return;
            }
        }
    }

    fn resolve_disjunctions(&mut self, v: VertexId) {
        let disjunctions = std::mem::take(&mut self.vertices[v].disjunctions);
        let mut total: usize = 1;
        for d in &disjunctions {
            total = total.saturating_mul(d.options.len().max(1));
        }
        if total > MAX_CANDIDATES {
            // Point at the disjunctions that multiply (the first few), so the message says
            // where to look; a saturated count is "more than" rather than usize::MAX.
            let spans: Vec<Span> = disjunctions
                .iter()
                .filter_map(|d| {
                    let mut spans = d.options.iter().filter_map(|(c, _)| match c.kind {
                        ConjunctKind::Expr(x) => Some(x.span),
                        _ => None,
                    });
                    let first = spans.next()?;
                    let last = spans.next_back().unwrap_or(first);
                    Some(if last.file == first.file {
                        first.to(last)
                    } else {
                        first
                    })
                })
                .take(3)
                .collect();
            let count = if total == usize::MAX {
                format!("more than {}", usize::MAX)
            } else {
                total.to_string()
            };
            self.set_error(
                v,
                EvalError::new(
                    "TOO_COMPLEX",
                    format!(
                        "disjunction too large: {count} combinations of {} disjunctions (the limit is {MAX_CANDIDATES})",
                        disjunctions.len()
                    ),
                    spans,
                ),
            );
            return;
        }
        let mut survivors: Vec<(VertexId, bool)> = Vec::new();
        let mut errors: Vec<Diagnostic> = Vec::new();
        let mut failed = 0usize;
        let mut combo = vec![0usize; disjunctions.len()];
        loop {
            if self.aborted.is_some() {
                return;
            }
            let mut choices = (*self.vertices[v].choices).clone();
            let mut is_default = true;
            for (d, &choice) in disjunctions.iter().zip(&combo) {
                choices.insert(d.key, choice);
                let has_defaults = d.options.iter().any(|(_, def)| *def);
                if has_defaults && !d.options.get(choice).is_some_and(|(_, def)| *def) {
                    is_default = false;
                }
            }
            let candidate =
                self.new_vertex(self.vertices[v].parent, self.vertices[v].feature.clone());
            {
                let conjuncts = self.vertices[v].conjuncts.clone();
                let arc_type = self.vertices[v].arc_type;
                let depth = self.vertices[v].depth;
                let c = &mut self.vertices[candidate];
                c.conjuncts = conjuncts;
                c.choices = Arc::new(choices);
                c.arc_type = arc_type;
                c.depth = depth;
                c.origin = Some(v);
            }
            self.finalize(candidate);
            self.vertices[v].candidates.push((candidate, is_default));
            let mut first = Vec::new();
            self.collect_errors(candidate, &mut first, true);
            if first.is_empty() {
                survivors.push((candidate, is_default));
            } else {
                failed += 1;
                errors.extend(first);
            }
            // Advance the odometer.
            let mut i = 0;
            loop {
                if i == combo.len() {
                    return self.settle_disjunction(v, survivors, errors, failed);
                }
                combo[i] += 1;
                if combo[i] < disjunctions[i].options.len() {
                    break;
                }
                combo[i] = 0;
                i += 1;
            }
        }
    }

    fn settle_disjunction(
        &mut self,
        v: VertexId,
        survivors: Vec<(VertexId, bool)>,
        errors: Vec<Diagnostic>,
        failed: usize,
    ) {
        self.vertices[v].survivors = survivors.clone();
        if survivors.is_empty() {
            let error = EvalError {
                code: "EMPTY_DISJUNCTION",
                message: format!("{failed} errors in empty disjunction"),
                spans: Vec::new(),
                incomplete: false,
                sub: errors,
            };
            self.vertices[v].error = Some(Arc::new(error));
            return;
        }
        let complete: Vec<(VertexId, bool)> = survivors
            .iter()
            .copied()
            .filter(|&(c, _)| self.is_complete(c))
            .collect();
        let pool = &survivors;
        // The defaults among them decide; without marked defaults every alternative is one,
        // and several are one value only if they are equal.
        let defaults: Vec<(VertexId, bool)> = pool
            .iter()
            .copied()
            .filter(|(_, default)| *default)
            .collect();
        let pool: &Vec<(VertexId, bool)> = if defaults.is_empty() { pool } else { &defaults };
        let pick = (pool.len() == 1).then(|| pool[0]).or_else(|| {
            let first = self.concrete_value(pool[0].0);
            let all_equal = first.is_some()
                && pool[1..].iter().all(|&(c, _)| {
                    self.concrete_value(c)
                        .zip(first.as_ref())
                        .is_some_and(|(a, b)| concrete_equal(&a, b))
                });
            (!complete.is_empty() && all_equal).then(|| pool[0])
        });
        match pick {
            Some((c, _)) => self.vertices[v].forward = Some(c),
            None => {
                self.vertices[v].forward = Some(pool[0].0);
                self.vertices[v].ambiguous = pool.iter().map(|(c, _)| *c).collect();
            }
        }
    }

    /// A value as CUE prints it in messages: concrete values compactly, constraints by what
    /// constrains them (`{kind:"a",a:int}`).
    fn describe_value(&mut self, v: VertexId) -> String {
        let v = self.resolve_forward(v);
        if let Some(c) = self.concrete_value(v) {
            return builtins::format_concrete(&c);
        }
        if self.vertices[v].list.is_some() || self.vertices[v].struct_span.is_some() {
            let is_list = self.vertices[v].list.is_some();
            let mut parts = Vec::new();
            for a in self.vertices[v].arcs.clone() {
                let feature = self.vertices[a].feature.clone();
                let Some(feature @ (Feature::Regular(_) | Feature::Index(_))) = feature else {
                    continue;
                };
                let marker = match self.vertices[a].arc_type {
                    ArcType::Regular => "",
                    ArcType::Optional => "?",
                    ArcType::Required => "!",
                };
                let value = self.describe_value(a);
                if is_list {
                    parts.push(value);
                } else {
                    parts.push(format!("{}{marker}:{value}", feature.selector()));
                }
            }
            return if is_list {
                format!("[{}]", parts.join(","))
            } else {
                format!("{{{}}}", parts.join(","))
            };
        }
        self.vertices[v].scalar.describe_incomplete()
    }

    fn is_complete(&mut self, v: VertexId) -> bool {
        let mut out = Vec::new();
        self.collect_incomplete(v, &mut out, true);
        out.is_empty()
    }

    fn resolve_forward(&self, mut v: VertexId) -> VertexId {
        while let Some(f) = self.vertices[v].forward {
            v = f;
        }
        v
    }

    // ----- Values -------------------------------------------------------------------------

    pub(crate) fn value_of(&mut self, v: VertexId) -> Val {
        if self.vertices[v].ambiguous.len() > 1 {
            let options = self.vertices[v]
                .ambiguous
                .iter()
                .map(|&c| (Val::Node(c), false))
                .collect();
            return Val::Disj(Arc::new(options));
        }
        let v = self.resolve_forward(v);
        let vertex = &self.vertices[v];
        if let Some(err) = &vertex.error {
            return Val::Bottom(err.clone());
        }
        if vertex.struct_span.is_some() || vertex.list.is_some() {
            return Val::Node(v);
        }
        if vertex.state == State::Finalizing && vertex.scalar.value.is_none() {
            return Val::Bottom(EvalError::incomplete("cycle in references", vec![]));
        }
        match &vertex.scalar.value {
            Some((atom, span)) => Val::Atom(atom.clone(), *span),
            None if vertex.scalar.is_unconstrained() => Val::Top,
            None => Val::Scalar(
                Arc::new(vertex.scalar.clone()),
                vertex.scalar.kind_span.unwrap_or_default(),
            ),
        }
    }

    /// The concrete value of a finalized vertex, or `None` if any part is not concrete.
    pub(crate) fn concrete_value(&mut self, v: VertexId) -> Option<Concrete> {
        let v = self.resolve_forward(v);
        if self.vertices[v].error.is_some() {
            return None;
        }
        if self.vertices[v].list.is_some() {
            let arcs = self.vertices[v].arcs.clone();
            let mut items = Vec::with_capacity(arcs.len());
            for a in arcs {
                self.finalize(a);
                items.push(self.concrete_value(a)?);
            }
            return Some(Concrete::List(items.into()));
        }
        if self.vertices[v].struct_span.is_some() {
            let arcs = self.vertices[v].arcs.clone();
            let mut fields = Vec::new();
            for a in arcs {
                let vertex = &self.vertices[a];
                let Some(Feature::Regular(name)) = vertex.feature.clone() else {
                    continue;
                };
                if vertex.arc_type != ArcType::Regular {
                    continue;
                }
                self.finalize(a);
                fields.push((Arc::from(&*name), self.concrete_value(a)?));
            }
            return Some(Concrete::Struct(fields.into()));
        }
        self.vertices[v]
            .scalar
            .value
            .as_ref()
            .map(|(atom, _)| atom.to_concrete())
    }

    fn concrete_of(&mut self, val: &Val, span: Span) -> Result<Concrete, Arc<EvalError>> {
        match val {
            Val::Atom(atom, _) => Ok(atom.to_concrete()),
            Val::Node(t) => {
                self.finalize(*t);
                let t = *t;
                match self.concrete_value(t) {
                    Some(c) => Ok(c),
                    None => Err(EvalError::incomplete(
                        format!("incomplete value {}", self.describe_value(t)),
                        vec![span],
                    )),
                }
            }
            Val::Disj(options) => {
                let defaults: Vec<&Val> =
                    options.iter().filter(|(_, d)| *d).map(|(o, _)| o).collect();
                if defaults.len() == 1 {
                    let d = defaults[0].clone();
                    self.concrete_of(&d, span)
                } else {
                    Err(EvalError::incomplete(
                        format!("unresolved disjunction {}", self.describe_val(val)),
                        vec![span],
                    ))
                }
            }
            Val::Bottom(err) => Err(err.clone()),
            _ => Err(EvalError::incomplete(
                format!("incomplete value {}", self.describe_val(val)),
                vec![span],
            )),
        }
    }

    fn atom_of(&mut self, val: &Val, span: Span) -> Result<Atom, Arc<EvalError>> {
        match val {
            Val::Atom(atom, _) => Ok(atom.clone()),
            Val::Disj(_) => {
                let c = self.concrete_of(val, span)?;
                Atom::from_concrete(&c)
                    .ok_or_else(|| EvalError::new("INVALID", "expected a scalar value", vec![span]))
            }
            Val::Bottom(err) => Err(err.clone()),
            Val::Node(t) => {
                let t = *t;
                self.finalize(t);
                match self.value_of(t) {
                    Val::Atom(atom, _) => Ok(atom),
                    Val::Node(_) => Err(EvalError::new(
                        "INVALID",
                        "expected a scalar value, found a struct or list",
                        vec![span],
                    )),
                    other => self.atom_of(&other, span),
                }
            }
            _ => Err(EvalError::incomplete(
                format!("incomplete value {}", self.describe_val(val)),
                vec![span],
            )),
        }
    }

    // ----- References ---------------------------------------------------------------------

    fn names(&mut self, decls: &'a [Decl]) -> Arc<HashMap<&'a str, NameDecl<'a>>> {
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
                    if let Some(name) = name {
                        let quoted = matches!(field.label.kind, LabelKind::String(_));
                        names.entry(name).or_insert(NameDecl::Field(name, quoted));
                        if let Some(alias) = &field.label.alias {
                            names.insert(alias.name.as_str(), NameDecl::Field(name, quoted));
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

    fn lookup(&mut self, env: &Env<'a>, name: &str) -> Result<Resolved<'a>, Arc<EvalError>> {
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
                    if let Some(target) = self.program.packages[package].imports[file].get(name) {
                        return Ok(Resolved::Val(Val::Package(target.clone())));
                    }
                }
                FrameKind::Bind { name: bound, value } => {
                    if *bound == name {
                        return Ok(Resolved::Val(value.clone()));
                    }
                }
            }
            frame = f.parent.clone();
        }
        predeclared(name).ok_or_else(|| {
            EvalError::new("REFERENCE", format!("reference {name:?} not found"), vec![])
        })
    }

    fn resolve_decl(
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
                if matches!(feature, Feature::Regular(_)) {
                    self.note_dependency(vertex);
                }
                self.expand(vertex);
                Ok(Resolved::Vertex(self.arc(vertex, &feature)))
            }
            NameDecl::Let(clause) => Ok(Resolved::Conjunct(Conjunct {
                kind: ConjunctKind::Expr(&clause.value),
                env: Some(frame.clone()),
                group: None,
            })),
        }
    }

    fn resolve(&mut self, e: &'a Expr, env: &Env<'a>) -> Result<Resolved<'a>, Arc<EvalError>> {
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
            ExprKind::Paren(inner) => self.resolve(inner, env),
            ExprKind::Selector(base, name) => {
                let base_val = self.resolve_to_base(base, env)?;
                match base_val {
                    Val::Package(ImportTarget::Builtin(path)) => {
                        match builtins::lookup(&path, &name.name) {
                            Some(Member::Func(b)) => Ok(Resolved::Val(Val::Func(Func::Builtin(b)))),
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
                    Val::Package(ImportTarget::Package(index)) => {
                        let root = self.package_root(index);
                        self.expand(root);
                        self.select(root, &Feature::from_ident(&name.name), name.span)
                    }
                    Val::Node(t) => {
                        let feature = if name.name.starts_with('"') {
                            Feature::Regular(Arc::from(name.name.trim_matches('"')))
                        } else {
                            Feature::from_ident(&name.name)
                        };
                        self.select(t, &feature, name.span)
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
                let atom = self.atom_of(&index_val, index.span)?;
                let feature = match atom {
                    Atom::Int(i) if i >= 0 => Feature::Index(i as usize),
                    Atom::String(s) => Feature::Regular(s),
                    other => {
                        return Err(EvalError::new(
                            "INVALID",
                            format!("invalid index {other}"),
                            vec![index.span],
                        ))
                    }
                };
                match base_val {
                    Val::Node(t) => self.select(t, &feature, index.span),
                    Val::Bottom(err) => Err(err),
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

    /// Resolves the base of a selector or index to a value without finalizing structs.
    fn resolve_to_base(&mut self, base: &'a Expr, env: &Env<'a>) -> Result<Val, Arc<EvalError>> {
        match self.resolve(base, env)? {
            Resolved::Vertex(t) => Ok(Val::Node(t)),
            Resolved::Val(val) => Ok(val),
            Resolved::Conjunct(c) => match c.kind {
                ConjunctKind::Expr(x) => {
                    let t = self.new_vertex(None, None);
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

    fn select(
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
                return Err(EvalError::new(
                    "INDEX",
                    format!(
                        "index out of range [{i}] with length {}",
                        self.vertices[t].arcs.len()
                    ),
                    vec![span],
                ));
            }
        }
        match self.vertices[t].arc_index.get(feature) {
            Some(&a) => Ok(Resolved::Vertex(a)),
            // A list has no fields at all; a struct (open, or not done) might still get one.
            None if self.vertices[t].list.is_some() && !matches!(feature, Feature::Index(_)) => {
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

    fn finish_list_arcs(&mut self, t: VertexId) {
        if self.vertices[t].state == State::Expanded {
            self.finalize(t);
        }
    }

    // ----- Expressions --------------------------------------------------------------------

    fn eval_expr(&mut self, e: &'a Expr, env: &Env<'a>) -> Val {
        self.with_stack(|this| this.eval_expr_guarded(e, env))
    }

    fn eval_expr_guarded(&mut self, e: &'a Expr, env: &Env<'a>) -> Val {
        let aborted = |this: &Self| {
            Val::Bottom(this.aborted.clone().unwrap_or_else(|| {
                EvalError::new("TOO_COMPLEX", "evaluation aborted", vec![e.span])
            }))
        };
        if !self.step() {
            return aborted(self);
        }
        if !self.enter() {
            self.leave();
            return aborted(self);
        }
        let val = self.eval_expr_inner(e, env);
        self.leave();
        val
    }

    fn eval_expr_inner(&mut self, e: &'a Expr, env: &Env<'a>) -> Val {
        let span = e.span;
        match &e.kind {
            ExprKind::Null => Val::Atom(Atom::Null, span),
            ExprKind::Bool(b) => Val::Atom(Atom::Bool(*b), span),
            ExprKind::Int(text) => match parse_number(text) {
                Ok(atom) => Val::Atom(atom, span),
                Err(message) => Val::Bottom(EvalError::new("NUMBER", message, vec![span])),
            },
            ExprKind::Float(text) => match parse_number(text) {
                Ok(Atom::Int(i))
                    if text
                        .chars()
                        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') =>
                {
                    Val::Atom(Atom::Int(i), span)
                }
                Ok(Atom::Int(i)) => {
                    Val::Atom(Atom::Float(i as f64, Arc::from(text.as_str())), span)
                }
                Ok(atom) => Val::Atom(atom, span),
                Err(message) => Val::Bottom(EvalError::new("NUMBER", message, vec![span])),
            },
            ExprKind::String(s) => Val::Atom(Atom::String(Arc::from(s.as_str())), span),
            ExprKind::Bytes(b) => Val::Atom(Atom::Bytes(Arc::from(b.as_slice())), span),
            ExprKind::Top => Val::Top,
            ExprKind::Bottom => Val::Bottom(EvalError::new(
                "EXPLICIT_ERROR",
                "explicit error (_|_ literal) in source",
                vec![span],
            )),
            ExprKind::Interpolation(interp) => self.interpolate(interp, env, span),
            ExprKind::Ident(_) | ExprKind::Selector(..) | ExprKind::Index(..) => {
                match self.resolve(e, env) {
                    Ok(Resolved::Vertex(t)) => {
                        self.finalize(t);
                        self.note_cycle_read(self.resolve_forward(t));
                        self.value_of(t)
                    }
                    Ok(Resolved::Val(val)) => val,
                    Ok(Resolved::Conjunct(c)) => match c.kind {
                        ConjunctKind::Expr(x) => self.eval_expr(x, &c.env),
                        ConjunctKind::Val(val) => val,
                        ConjunctKind::File { .. } => Val::Top,
                    },
                    Err(err) => Val::Bottom(err),
                }
            }
            ExprKind::Paren(inner) => self.eval_expr(inner, env),
            ExprKind::Unary(op, operand) => self.unary(*op, operand, env, span),
            ExprKind::Binary(BinaryOp::Conjunction | BinaryOp::Disjunction, ..)
            | ExprKind::Struct(_)
            | ExprKind::List(_) => {
                let t = self.new_vertex(None, None);
                self.vertices[t].arc_type = ArcType::Regular;
                self.vertices[t].conjuncts.push(Conjunct {
                    kind: ConjunctKind::Expr(e),
                    env: env.clone(),
                    group: None,
                });
                self.finalize(t);
                self.value_of(t)
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, env, span),
            ExprKind::Call(callee, args) => self.call(callee, args, env, span),
            ExprKind::Comprehension(_) => Val::Bottom(EvalError::new(
                "UNSUPPORTED",
                "comprehension not allowed here",
                vec![span],
            )),
            ExprKind::Alias(..) => Val::Bottom(EvalError::new(
                "UNSUPPORTED",
                "alias not allowed here",
                vec![span],
            )),
            ExprKind::Slice(..) => Val::Bottom(EvalError::new(
                "UNSUPPORTED",
                "slice expressions are not supported by this evaluator",
                vec![span],
            )),
        }
    }

    fn interpolate(&mut self, interp: &'a ast::Interpolation, env: &Env<'a>, span: Span) -> Val {
        let mut out = String::new();
        for part in &interp.parts {
            match part {
                ast::InterpolationPart::Text(text) => out.push_str(text),
                ast::InterpolationPart::Expr(x) => {
                    let val = self.eval_expr(x, env);
                    match self.atom_of(&val, x.span) {
                        Ok(Atom::String(s)) => out.push_str(&s),
                        Ok(Atom::Bytes(b)) => out.push_str(&String::from_utf8_lossy(&b)),
                        Ok(Atom::Int(i)) => out.push_str(&i.to_string()),
                        Ok(Atom::Float(_, text)) => out.push_str(&text),
                        Ok(Atom::Bool(b)) => out.push_str(&b.to_string()),
                        Ok(Atom::Null) => {
                            return Val::Bottom(EvalError::new(
                                "INVALID",
                                "cannot interpolate null",
                                vec![x.span],
                            ))
                        }
                        Err(err) => return Val::Bottom(err),
                    }
                }
            }
        }
        if interp.is_bytes {
            Val::Atom(Atom::Bytes(Arc::from(out.into_bytes().as_slice())), span)
        } else {
            Val::Atom(Atom::String(Arc::from(out.as_str())), span)
        }
    }

    fn unary(&mut self, op: UnaryOp, operand: &'a Expr, env: &Env<'a>, span: Span) -> Val {
        let val = self.eval_expr(operand, env);
        if op == UnaryOp::Default {
            return val;
        }
        let atom = match self.atom_of(&val, operand.span) {
            Ok(atom) => atom,
            Err(err) => return Val::Bottom(err),
        };
        let invalid = |what: &str| {
            Val::Bottom(EvalError::new(
                "INVALID",
                format!(
                    "invalid operation {}{} ({what})",
                    op.as_str(),
                    atom_text(&atom)
                ),
                vec![span],
            ))
        };
        let bound = |op: BoundOp, atom: Atom| {
            let kinds = match atom.kind() {
                Kinds::INT | Kinds::FLOAT => Kinds::NUMBER,
                k => k,
            };
            let text: Arc<str> = Arc::from(format!("{}{}", op.as_str(), atom).as_str());
            Val::Scalar(
                Arc::new(Scalar {
                    kinds,
                    kind_span: Some(span),
                    kind_text: Some(text),
                    value: None,
                    checks: vec![SpannedCheck {
                        check: Check::Bound(op, atom),
                        span,
                        text: None,
                    }],
                }),
                span,
            )
        };
        match op {
            UnaryOp::Plus => match atom {
                Atom::Int(_) | Atom::Float(..) => Val::Atom(atom, span),
                _ => invalid("operand must be a number"),
            },
            UnaryOp::Neg => match atom {
                Atom::Int(i) => Val::Atom(Atom::Int(-i), span),
                Atom::Float(f, text) => {
                    let text = match text.strip_prefix('-') {
                        Some(t) => Arc::from(t),
                        None => Arc::from(format!("-{text}").as_str()),
                    };
                    Val::Atom(Atom::Float(-f, text), span)
                }
                _ => invalid("operand must be a number"),
            },
            UnaryOp::Not => match atom {
                Atom::Bool(b) => Val::Atom(Atom::Bool(!b), span),
                _ => invalid("operand must be a bool"),
            },
            UnaryOp::Less | UnaryOp::LessEqual | UnaryOp::Greater | UnaryOp::GreaterEqual => {
                if !matches!(
                    atom,
                    Atom::Int(_) | Atom::Float(..) | Atom::String(_) | Atom::Bytes(_)
                ) {
                    return invalid("bounds need a number, string or bytes");
                }
                let op = match op {
                    UnaryOp::Less => BoundOp::Less,
                    UnaryOp::LessEqual => BoundOp::LessEqual,
                    UnaryOp::Greater => BoundOp::Greater,
                    _ => BoundOp::GreaterEqual,
                };
                bound(op, atom)
            }
            // `!=0` is a number other than 0: the operand's kind constrains the value's.
            UnaryOp::NotEqual => Val::Scalar(
                Arc::new(Scalar {
                    kinds: match atom.kind() {
                        Kinds::INT | Kinds::FLOAT => Kinds::NUMBER,
                        Kinds::NULL => Kinds::ALL,
                        k => k,
                    },
                    kind_span: Some(span),
                    kind_text: Some(Arc::from(format!("!={atom}").as_str())),
                    value: None,
                    checks: vec![SpannedCheck {
                        check: Check::NotEqual(atom),
                        span,
                        text: None,
                    }],
                }),
                span,
            ),
            UnaryOp::Match | UnaryOp::NotMatch => {
                let Atom::String(pattern) = &atom else {
                    return invalid("a regular expression must be a string");
                };
                match crate::re2::compile_matcher(pattern) {
                    Ok(regex) => Val::Scalar(
                        Arc::new(Scalar {
                            kinds: Kinds::STRING,
                            kind_span: Some(span),
                            kind_text: Some(Arc::from(
                                format!(
                                    "{}{}",
                                    if op == UnaryOp::NotMatch { "!~" } else { "=~" },
                                    quote_string(pattern)
                                )
                                .as_str(),
                            )),
                            value: None,
                            checks: vec![SpannedCheck {
                                check: Check::Regex {
                                    regex,
                                    pattern: pattern.clone(),
                                    negate: op == UnaryOp::NotMatch,
                                },
                                span,
                                text: None,
                            }],
                        }),
                        span,
                    ),
                    Err(err) => {
                        Val::Bottom(EvalError::new("REGEX", err.to_string(), vec![operand.span]))
                    }
                }
            }
            UnaryOp::Default => val,
        }
    }

    fn binary(&mut self, op: BinaryOp, a: &'a Expr, b: &'a Expr, env: &Env<'a>, span: Span) -> Val {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let left = self.eval_expr(a, env);
            let left = match self.atom_of(&left, a.span) {
                Ok(Atom::Bool(x)) => x,
                Ok(other) => {
                    return Val::Bottom(EvalError::new(
                        "INVALID",
                        format!("invalid operation: {} is not a bool", atom_text(&other)),
                        vec![a.span],
                    ))
                }
                Err(err) => return Val::Bottom(err),
            };
            if (op == BinaryOp::And && !left) || (op == BinaryOp::Or && left) {
                return Val::Atom(Atom::Bool(left), span);
            }
            let right = self.eval_expr(b, env);
            return match self.atom_of(&right, b.span) {
                Ok(Atom::Bool(x)) => Val::Atom(Atom::Bool(x), span),
                Ok(other) => Val::Bottom(EvalError::new(
                    "INVALID",
                    format!("invalid operation: {} is not a bool", atom_text(&other)),
                    vec![b.span],
                )),
                Err(err) => Val::Bottom(err),
            };
        }
        // `x == _|_` and `x != _|_` ask whether x is an error (a missing field included).
        if matches!(op, BinaryOp::Equal | BinaryOp::NotEqual) {
            let is_bottom_literal = |e: &Expr| matches!(e.kind, ExprKind::Bottom);
            if is_bottom_literal(a) || is_bottom_literal(b) {
                let other = if is_bottom_literal(a) { b } else { a };
                let is_error = match self.resolve(other, env) {
                    Err(_) => true,
                    Ok(Resolved::Vertex(t)) => {
                        // An optional or required field the value does not have is undefined.
                        if self.vertices[t].arc_type != ArcType::Regular {
                            true
                        } else {
                            self.finalize(t);
                            let t = self.resolve_forward(t);
                            self.vertices[t].error.is_some()
                        }
                    }
                    Ok(Resolved::Val(val)) => matches!(val, Val::Bottom(_)),
                    Ok(Resolved::Conjunct(_)) => false,
                };
                return Val::Atom(Atom::Bool(is_error == (op == BinaryOp::Equal)), span);
            }
        }
        let left = self.eval_expr(a, env);
        let right = self.eval_expr(b, env);
        if matches!(op, BinaryOp::Equal | BinaryOp::NotEqual) {
            let (l, r) = match (
                self.concrete_of(&left, a.span),
                self.concrete_of(&right, b.span),
            ) {
                (Ok(l), Ok(r)) => (l, r),
                (Err(err), _) | (_, Err(err)) => return Val::Bottom(err),
            };
            let equal = concrete_equal(&l, &r);
            return Val::Atom(Atom::Bool(equal == (op == BinaryOp::Equal)), span);
        }
        if matches!(op, BinaryOp::Add | BinaryOp::Mul) {
            if let (Val::Node(_), _) | (_, Val::Node(_)) = (&left, &right) {
                return self.list_arithmetic(op, &left, &right, a.span, b.span, span);
            }
        }
        let l = self.operand_atom(&left, a.span, op, span);
        let r = self.operand_atom(&right, b.span, op, span);
        let (l, r) = match (l, r) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(err), _) | (_, Err(err)) => return Val::Bottom(err),
        };
        match arithmetic(op, &l, &r) {
            Ok(atom) => Val::Atom(atom, span),
            Err(message) => Val::Bottom(EvalError::new("INVALID", message, vec![span])),
        }
    }

    /// An operand of a binary operator as an atom; one that is not concrete yet is reported as
    /// `non-concrete value int in operand to +`, at the operation and the operand.
    fn operand_atom(
        &mut self,
        val: &Val,
        span: Span,
        op: BinaryOp,
        whole: Span,
    ) -> Result<Atom, Arc<EvalError>> {
        match self.atom_of(val, span) {
            Err(err) if err.incomplete && !matches!(val, Val::Bottom(_)) => {
                let what = self.describe_val(val);
                Err(Arc::new(EvalError {
                    code: NON_CONCRETE,
                    message: format!("non-concrete value {what} in operand to {}", op.as_str()),
                    spans: vec![whole, span],
                    incomplete: true,
                    sub: Vec::new(),
                }))
            }
            other => other,
        }
    }

    /// A value as `incomplete value ...` messages print it.
    fn describe_val(&mut self, val: &Val) -> String {
        match val {
            Val::Top => "_".to_string(),
            Val::Atom(atom, _) => atom_text(atom),
            Val::Scalar(scalar, _) => scalar.describe_incomplete(),
            Val::Node(t) => {
                let t = *t;
                self.finalize(t);
                self.describe_value(t)
            }
            Val::Disj(options) => options
                .iter()
                .map(|(o, d)| {
                    let text = self.describe_val(o);
                    if *d {
                        format!("*{text}")
                    } else {
                        text
                    }
                })
                .collect::<Vec<_>>()
                .join(" | "),
            Val::Bottom(err) => err.message.clone(),
            Val::Func(_) | Val::Package(_) => "function".to_string(),
        }
    }

    fn list_arithmetic(
        &mut self,
        op: BinaryOp,
        left: &Val,
        right: &Val,
        ls: Span,
        rs: Span,
        span: Span,
    ) -> Val {
        let l = match self.concrete_of(left, ls) {
            Ok(c) => c,
            Err(err) => return Val::Bottom(err),
        };
        let r = match self.concrete_of(right, rs) {
            Ok(c) => c,
            Err(err) => return Val::Bottom(err),
        };
        let result = match (op, &l, &r) {
            (BinaryOp::Add, Concrete::List(x), Concrete::List(y)) => {
                Concrete::List(x.iter().chain(y.iter()).cloned().collect())
            }
            (BinaryOp::Mul, Concrete::List(x), Concrete::Int(n))
            | (BinaryOp::Mul, Concrete::Int(n), Concrete::List(x)) => {
                let n = (*n).clamp(0, 100_000) as usize;
                Concrete::List(x.iter().cloned().cycle().take(x.len() * n).collect())
            }
            _ => {
                return Val::Bottom(EvalError::new(
                    "INVALID",
                    format!("invalid operation {}", op.as_str()),
                    vec![span],
                ))
            }
        };
        self.val_from_concrete(&result, span)
    }

    /// Builds a vertex for a concrete value computed by a builtin.
    fn val_from_concrete(&mut self, c: &Concrete, span: Span) -> Val {
        if let Some(atom) = Atom::from_concrete(c) {
            return Val::Atom(atom, span);
        }
        let t = self.new_vertex(None, None);
        self.vertices[t].arc_type = ArcType::Regular;
        match c {
            Concrete::List(items) => {
                self.vertices[t].list = Some(ListInfo {
                    length: items.len(),
                    closed: vec![(items.len(), span)],
                });
                self.vertices[t].scalar.kinds = Kinds::LIST;
                for (i, item) in items.iter().enumerate() {
                    let val = self.val_from_concrete(item, span);
                    let a = self.arc(t, &Feature::Index(i));
                    self.vertices[a].arc_type = ArcType::Regular;
                    self.vertices[a].conjuncts.push(Conjunct {
                        kind: ConjunctKind::Val(val),
                        env: None,
                        group: None,
                    });
                }
            }
            Concrete::Struct(fields) => {
                self.vertices[t].struct_span = Some(span);
                self.vertices[t].scalar.kinds = Kinds::STRUCT;
                for (name, item) in fields.iter() {
                    let val = self.val_from_concrete(item, span);
                    let a = self.arc(t, &Feature::Regular(Arc::from(&**name)));
                    self.vertices[a].arc_type = ArcType::Regular;
                    self.vertices[a].conjuncts.push(Conjunct {
                        kind: ConjunctKind::Val(val),
                        env: None,
                        group: None,
                    });
                }
            }
            _ => {}
        }
        self.vertices[t].state = State::Expanded;
        self.finalize(t);
        Val::Node(t)
    }

    fn call(&mut self, callee: &'a Expr, args: &'a [Expr], env: &Env<'a>, span: Span) -> Val {
        let func = match self.resolve(callee, env) {
            Ok(Resolved::Val(Val::Func(f))) => f,
            Ok(_) => {
                return Val::Bottom(EvalError::new(
                    "INVALID",
                    "cannot call a non-function",
                    vec![callee.span],
                ))
            }
            Err(err) => return Val::Bottom(err),
        };
        let arity_error = |n: usize| {
            Val::Bottom(EvalError::new(
                "ARGUMENTS",
                format!(
                    "wrong number of arguments: expected {n}, got {}",
                    args.len()
                ),
                vec![span],
            ))
        };
        match func {
            Func::Len => {
                if args.len() != 1 {
                    return arity_error(1);
                }
                let val = self.eval_expr(&args[0], env);
                match self.concrete_of(&val, args[0].span) {
                    Ok(Concrete::String(s)) => Val::Atom(Atom::Int(s.len() as i128), span),
                    Ok(Concrete::Bytes(b)) => Val::Atom(Atom::Int(b.len() as i128), span),
                    Ok(Concrete::List(l)) => Val::Atom(Atom::Int(l.len() as i128), span),
                    Ok(Concrete::Struct(s)) => Val::Atom(Atom::Int(s.len() as i128), span),
                    Ok(_) => Val::Bottom(EvalError::new(
                        "INVALID",
                        "invalid argument for len",
                        vec![args[0].span],
                    )),
                    Err(err) => Val::Bottom(err),
                }
            }
            Func::Close => {
                if args.len() != 1 {
                    return arity_error(1);
                }
                let t = self.new_vertex(None, None);
                self.vertices[t].arc_type = ArcType::Regular;
                let group = self.new_group(None, true);
                self.groups[group].by_close = true;
                self.vertices[t].conjuncts.push(Conjunct {
                    kind: ConjunctKind::Expr(&args[0]),
                    env: env.clone(),
                    group: Some(group),
                });
                self.finalize(t);
                self.value_of(t)
            }
            Func::And | Func::Or => {
                if args.len() != 1 {
                    return arity_error(1);
                }
                let list = self.eval_expr(&args[0], env);
                let Val::Node(l) = list else {
                    return Val::Bottom(EvalError::new(
                        "INVALID",
                        "expected a list",
                        vec![args[0].span],
                    ));
                };
                self.finalize(l);
                let l = self.resolve_forward(l);
                let items: Vec<VertexId> = self.vertices[l].arcs.clone();
                if matches!(func, Func::Or) {
                    if items.is_empty() {
                        return Val::Bottom(EvalError::new(
                            "EMPTY_DISJUNCTION",
                            "empty list in call to or",
                            vec![span],
                        ));
                    }
                    let options = items.iter().map(|&i| (self.value_of(i), false)).collect();
                    return Val::Disj(Arc::new(options));
                }
                let t = self.new_vertex(None, None);
                self.vertices[t].arc_type = ArcType::Regular;
                for i in items {
                    let conjuncts = self.vertices[i].conjuncts.clone();
                    self.vertices[t].conjuncts.extend(conjuncts);
                }
                self.finalize(t);
                self.value_of(t)
            }
            Func::Div | Func::Mod | Func::Quo | Func::Rem => {
                if args.len() != 2 {
                    return arity_error(2);
                }
                let x = self.eval_expr(&args[0], env);
                let y = self.eval_expr(&args[1], env);
                let (x, y) = match (
                    self.atom_of(&x, args[0].span),
                    self.atom_of(&y, args[1].span),
                ) {
                    (Ok(Atom::Int(x)), Ok(Atom::Int(y))) => (x, y),
                    (Err(err), _) | (_, Err(err)) => return Val::Bottom(err),
                    _ => {
                        return Val::Bottom(EvalError::new(
                            "INVALID",
                            "div, mod, quo and rem need integers",
                            vec![span],
                        ))
                    }
                };
                if y == 0 {
                    return Val::Bottom(EvalError::new("DIVISION", "division by zero", vec![span]));
                }
                let result = match func {
                    Func::Div => x.div_euclid(y),
                    Func::Mod => x.rem_euclid(y),
                    Func::Quo => x / y,
                    _ => x % y,
                };
                Val::Atom(Atom::Int(result), span)
            }
            Func::Builtin(builtin) => self.call_builtin(builtin, args, env, span),
        }
    }

    fn call_builtin(
        &mut self,
        builtin: &'static Builtin,
        args: &'a [Expr],
        env: &Env<'a>,
        span: Span,
    ) -> Val {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            let val = self.eval_expr(arg, env);
            match self.concrete_of(&val, arg.span) {
                Ok(c) => values.push(c),
                Err(err) => return Val::Bottom(err),
            }
        }
        let params = builtin.params;
        let is_validator = builtin.is_validator_call(values.len());
        let offset = usize::from(is_validator);
        for (i, value) in values.iter().enumerate() {
            if let Some(&kind) = params.get(i + offset) {
                if !kind_accepts(kind, value) {
                    return Val::Bottom(EvalError::new(
                        "ARGUMENTS",
                        format!(
                            "cannot use {} as {} in argument {} to {}.{}",
                            builtins::format_concrete(value),
                            kind_name(kind),
                            i + 1,
                            builtin.package,
                            builtin.name
                        ),
                        vec![args[i].span],
                    ));
                }
            }
        }
        if is_validator {
            return Val::Scalar(Arc::new(validator_scalar(builtin, values, span)), span);
        }
        if !builtin.accepts_arity(values.len()) {
            let expected = if builtin.required == params.len() {
                params.len().to_string()
            } else {
                format!("{} to {}", builtin.required, params.len())
            };
            return Val::Bottom(EvalError::new(
                "ARGUMENTS",
                format!(
                    "wrong number of arguments in call to {}.{}: expected {expected}, got {}",
                    builtin.package,
                    builtin.name,
                    values.len()
                ),
                vec![span],
            ));
        }
        match (builtin.func)(&values) {
            Ok(result) => self.val_from_concrete(&result, span),
            // A validator's "not satisfied" is a plain `false` when called as a function.
            Err(err) if err.unsatisfied => Val::Atom(Atom::Bool(false), span),
            Err(err) => Val::Bottom(EvalError::new(
                "BUILTIN",
                builtins::call_error_message(builtin, &err),
                vec![span],
            )),
        }
    }

    // ----- Comprehensions -----------------------------------------------------------------

    fn comprehension(
        &mut self,
        clauses: &'a [Clause],
        env: Env<'a>,
        yields: &mut Vec<Env<'a>>,
    ) -> Result<(), Arc<EvalError>> {
        let Some((clause, rest)) = clauses.split_first() else {
            yields.push(env);
            return Ok(());
        };
        match clause {
            Clause::If { condition, .. } => {
                let val = self.eval_expr(condition, &env);
                match self.atom_of(&val, condition.span)? {
                    Atom::Bool(true) => self.comprehension(rest, env, yields),
                    Atom::Bool(false) => Ok(()),
                    other => Err(EvalError::new(
                        "INVALID",
                        format!("cannot use {} as bool in if clause", atom_text(&other)),
                        vec![condition.span],
                    )),
                }
            }
            Clause::Let(clause) => {
                let value = self.eval_expr(&clause.value, &env);
                let env = Some(Arc::new(Frame {
                    parent: env,
                    kind: FrameKind::Bind {
                        name: &clause.name.name,
                        value,
                    },
                }));
                self.comprehension(rest, env, yields)
            }
            Clause::For {
                key, value, source, ..
            } => {
                let src = self.eval_expr(source, &env);
                let t = match src {
                    Val::Node(t) => t,
                    Val::Bottom(err) => return Err(err),
                    Val::Disj(_) | Val::Scalar(..) | Val::Top => {
                        return Err(EvalError::incomplete(
                            "incomplete value in for clause",
                            vec![source.span],
                        ))
                    }
                    _ => {
                        return Err(EvalError::new(
                            "INVALID",
                            "cannot range over a non-list, non-struct value",
                            vec![source.span],
                        ))
                    }
                };
                self.finalize(t);
                let t = self.resolve_forward(t);
                let arcs = self.vertices[t].arcs.clone();
                for a in arcs {
                    let vertex = &self.vertices[a];
                    let Some(feature) = vertex.feature.clone() else {
                        continue;
                    };
                    if !feature.is_regular() || vertex.arc_type != ArcType::Regular {
                        continue;
                    }
                    let key_val = match &feature {
                        Feature::Index(i) => Atom::Int(*i as i128),
                        Feature::Regular(name) => Atom::String(name.clone()),
                        _ => continue,
                    };
                    self.finalize(a);
                    let value_val = self.value_of(a);
                    let mut inner = Some(Arc::new(Frame {
                        parent: env.clone(),
                        kind: FrameKind::Bind {
                            name: &value.name,
                            value: value_val,
                        },
                    }));
                    if let Some(key) = key {
                        inner = Some(Arc::new(Frame {
                            parent: inner,
                            kind: FrameKind::Bind {
                                name: &key.name,
                                value: Val::Atom(key_val, key.span),
                            },
                        }));
                    }
                    self.comprehension(rest, inner, yields)?;
                }
                Ok(())
            }
        }
    }

    // ----- Errors -------------------------------------------------------------------------

    pub(crate) fn path(&self, v: VertexId) -> String {
        let mut parts = Vec::new();
        let mut current = Some(v);
        while let Some(c) = current {
            if let Some(feature) = &self.vertices[c].feature {
                parts.push(feature.selector());
            }
            current = self.vertices[c].parent;
        }
        parts.reverse();
        parts.join(".")
    }

    fn diagnostic(&self, v: VertexId, err: &EvalError) -> Diagnostic {
        let mut d = Diagnostic::error(err.code, err.message.clone()).with_path(self.path(v));
        for span in &err.spans {
            if span.end > 0 || span.start > 0 {
                d = d.with_span(*span);
            }
        }
        d
    }

    fn push_error(&self, v: VertexId, err: &EvalError, out: &mut Vec<Diagnostic>) {
        out.push(self.diagnostic(v, err));
        out.extend(err.sub.iter().cloned());
    }

    /// Every non-incomplete error in the tree under `v`, parents before children.
    pub(crate) fn collect_errors(&self, v: VertexId, out: &mut Vec<Diagnostic>, first_only: bool) {
        let v = self.resolve_forward(v);
        if let Some(err) = &self.vertices[v].error {
            if !err.incomplete {
                self.push_error(v, err, out);
            }
            return;
        }
        self.collect_arc_errors(v, out, first_only);
    }

    fn visible_arcs(&self, v: VertexId) -> Vec<VertexId> {
        self.vertices[v]
            .arcs
            .iter()
            .map(|&a| self.resolve_forward(a))
            .filter(|&a| {
                let vertex = &self.vertices[a];
                vertex.arc_type != ArcType::Optional
                    && matches!(vertex.state, State::Done)
                    && (self.include_definitions
                        || !matches!(
                            vertex.feature,
                            Some(Feature::Definition(_) | Feature::Hidden(_))
                        ))
            })
            .collect()
    }

    fn collect_arc_errors(&self, v: VertexId, out: &mut Vec<Diagnostic>, first_only: bool) {
        if out.len() >= MAX_ERRORS {
            return;
        }
        let arcs = self.visible_arcs(v);
        for &a in &arcs {
            if let Some(err) = &self.vertices[a].error {
                if !err.incomplete {
                    self.push_error(a, err, out);
                    if first_only {
                        return;
                    }
                }
            }
        }
        // Fields that the data set but the schema does not allow are checked before
        // evaluation; optional arcs with a not-allowed error still report.
        for &a in &self.vertices[v].arcs {
            let vertex = &self.vertices[a];
            if vertex.arc_type == ArcType::Optional {
                if let Some(err) = &vertex.error {
                    if err.code == "FIELD_NOT_ALLOWED" {
                        self.push_error(a, err, out);
                        if first_only {
                            return;
                        }
                    }
                }
            }
        }
        for &a in &arcs {
            if self.vertices[a].error.is_none() {
                self.collect_arc_errors(a, out, first_only);
                if first_only && !out.is_empty() {
                    return;
                }
            }
        }
    }

    /// Every place where a value is not concrete: incomplete values and missing required fields.
    ///
    /// `cue vet` sorts what it reports: values that are merely not concrete (which carry no
    /// position there) come first, ordered by path; then values that could not be computed from a
    /// non-concrete operand, ordered by position. The same order makes the first error the same.
    pub(crate) fn collect_incomplete(
        &mut self,
        v: VertexId,
        out: &mut Vec<Diagnostic>,
        first_only: bool,
    ) {
        let start = out.len();
        self.collect_incomplete_walk(v, out, first_only);
        out[start..].sort_by(|a, b| {
            let rank = |d: &Diagnostic| u8::from(d.code == NON_CONCRETE);
            rank(a).cmp(&rank(b)).then_with(|| {
                if rank(a) == 0 {
                    a.path.cmp(&b.path)
                } else {
                    let pos = |d: &Diagnostic| d.spans.first().map(|s| (s.file, s.start));
                    pos(a).cmp(&pos(b))
                }
            })
        });
    }

    fn collect_incomplete_walk(
        &mut self,
        v: VertexId,
        out: &mut Vec<Diagnostic>,
        first_only: bool,
    ) {
        if out.len() >= MAX_ERRORS || (first_only && !out.is_empty()) {
            return;
        }
        if self.vertices[v].ambiguous.len() > 1 {
            let options: Vec<String> = self.vertices[v]
                .ambiguous
                .clone()
                .into_iter()
                .map(|c| self.describe_value(c))
                .collect();
            out.push(
                Diagnostic::error(
                    "INCOMPLETE",
                    format!("incomplete value {}", options.join(" | ")),
                )
                .with_path(self.path(v)),
            );
            return;
        }
        let v = self.resolve_forward(v);
        let vertex = &self.vertices[v];
        if let Some(err) = &vertex.error {
            if err.incomplete {
                self.push_error(v, err, out);
            }
            return;
        }
        if vertex.arc_type == ArcType::Required {
            let mut d = Diagnostic::error("REQUIRED", "field is required but not present")
                .with_path(self.path(v));
            for span in vertex.decl_spans.clone() {
                d = d.with_span(span);
            }
            out.push(d);
            return;
        }
        if vertex.struct_span.is_none() && vertex.list.is_none() && vertex.scalar.value.is_none() {
            let mut message = String::from("incomplete value ");
            message.push_str(&vertex.scalar.describe_incomplete());
            let mut d = Diagnostic::error("INCOMPLETE", message).with_path(self.path(v));
            if let Some(span) = vertex.scalar.kind_span {
                d = d.with_span(span);
            }
            out.push(d);
            return;
        }
        for a in self.visible_arcs_all(v) {
            self.collect_incomplete_walk(a, out, first_only);
        }
    }

    fn visible_arcs_all(&self, v: VertexId) -> Vec<VertexId> {
        self.vertices[v]
            .arcs
            .iter()
            .copied()
            .filter(|&a| {
                let vertex = &self.vertices[a];
                vertex.arc_type != ArcType::Optional
                    && matches!(
                        vertex.feature,
                        Some(Feature::Regular(_) | Feature::Index(_))
                    )
            })
            .collect()
    }
}

enum Resolved<'a> {
    Vertex(VertexId),
    Conjunct(Conjunct<'a>),
    Val(Val),
}

fn decl_span(decl: &Decl) -> Span {
    match decl {
        Decl::Field(f) => f.span,
        Decl::Embed(e) => e.span,
        Decl::Let(l) => l.span,
        Decl::Ellipsis(e) => e.span,
        Decl::Attribute(a) => a.span,
    }
}

/// A struct or list literal (CUE or JSON text) printed on one line, as CUE prints values in
/// messages: `{v:1,tags:["a b"]}`. Strings are kept as written; a quoted label that is a plain
/// identifier loses its quotes.
pub(crate) fn compact(text: &str) -> String {
    let mut out = String::new();
    let mut last_space = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            if !last_space && !out.ends_with(['{', '[', ',', ':']) {
                out.push(',');
            }
            last_space = true;
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if last_space && (c == '}' || c == ']') && out.ends_with(',') {
            out.pop();
        }
        last_space = false;
        if c == '"' {
            let literal = string_literal(rest);
            rest = &rest[literal.len()..];
            let inner = literal
                .strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .unwrap_or("");
            if rest.trim_start().starts_with(':') && is_plain_label(inner) {
                out.push_str(inner);
            } else {
                out.push_str(literal);
            }
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out.replace(",,", ",")
}

/// The double-quoted string literal at the start of `text` (to its closing quote, or the end).
fn string_literal(text: &str) -> &str {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return &text[..i + 1],
            _ => {}
        }
    }
    text
}

/// Whether a label needs no quotes in CUE: an identifier that is neither hidden (`_x`) nor a
/// definition (`#x`).
fn is_plain_label(label: &str) -> bool {
    let mut chars = label.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn reference_is_definition(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Ident(id) => id.name.starts_with('#') || id.name.starts_with("_#"),
        ExprKind::Selector(_, name) => name.name.starts_with('#'),
        ExprKind::Paren(inner) => reference_is_definition(inner),
        _ => false,
    }
}

fn collect_disjuncts<'a>(e: &'a Expr, default: bool, out: &mut Vec<(&'a Expr, bool)>) {
    match &e.kind {
        ExprKind::Binary(BinaryOp::Disjunction, a, b) => {
            collect_disjuncts(a, default, out);
            collect_disjuncts(b, default, out);
        }
        ExprKind::Unary(UnaryOp::Default, inner) => collect_disjuncts(inner, true, out),
        ExprKind::Paren(inner)
            if matches!(inner.kind, ExprKind::Binary(BinaryOp::Disjunction, ..)) =>
        {
            collect_disjuncts(inner, default, out)
        }
        _ => out.push((e, default)),
    }
}

fn atom_text(atom: &Atom) -> String {
    atom.to_string()
}

fn kind_accepts(kind: Kind, value: &Concrete) -> bool {
    matches!(
        (kind, value),
        (Kind::Any, _)
            | (Kind::Null, Concrete::Null)
            | (Kind::Bool, Concrete::Bool(_))
            | (Kind::Int, Concrete::Int(_))
            | (Kind::Float, Concrete::Float(_) | Concrete::Int(_))
            | (Kind::Number, Concrete::Int(_) | Concrete::Float(_))
            | (Kind::String, Concrete::String(_))
            | (Kind::Bytes, Concrete::Bytes(_) | Concrete::String(_))
            | (Kind::List, Concrete::List(_))
            | (Kind::Struct, Concrete::Struct(_))
    )
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Null => "null",
        Kind::Bool => "bool",
        Kind::Int => "int",
        Kind::Float => "float",
        Kind::Number => "number",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::List => "list",
        Kind::Struct => "struct",
        Kind::Any => "_",
    }
}

fn kinds_of(kind: Kind) -> Kinds {
    match kind {
        Kind::Null => Kinds::NULL,
        Kind::Bool => Kinds::BOOL,
        Kind::Int => Kinds::INT,
        Kind::Float | Kind::Number => Kinds::NUMBER,
        Kind::String => Kinds::STRING,
        Kind::Bytes => Kinds::BYTES,
        Kind::List => Kinds::LIST,
        Kind::Struct => Kinds::STRUCT,
        Kind::Any => Kinds::ALL,
    }
}

fn concrete_equal(a: &Concrete, b: &Concrete) -> bool {
    match (a, b) {
        (Concrete::Int(x), Concrete::Float(y)) | (Concrete::Float(y), Concrete::Int(x)) => {
            *x as f64 == *y
        }
        (Concrete::List(x), Concrete::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| concrete_equal(a, b))
        }
        (Concrete::Struct(x), Concrete::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && concrete_equal(v, v2)))
        }
        _ => a == b,
    }
}

/// A builtin used as a constraint on the value it is unified with (`strings.MinRunes(3)`,
/// `net.IPv4`): its first parameter's kind, and a check calling it with the value first.
fn validator_scalar(builtin: &'static Builtin, args: Vec<Concrete>, span: Span) -> Scalar {
    let kinds = builtin.params.first().map_or(Kinds::ALL, |&k| kinds_of(k));
    let text = builtins::format_call(builtin, &args);
    Scalar {
        kinds,
        kind_span: Some(span),
        kind_text: Some(Arc::from(text.as_str())),
        value: None,
        checks: vec![SpannedCheck {
            check: Check::Builtin {
                builtin,
                args: args.into(),
            },
            span,
            text: None,
        }],
    }
}

/// The predeclared identifiers: types, their sized variants, and the builtin functions.
fn predeclared<'a>(name: &str) -> Option<Resolved<'a>> {
    let span = Span::default();
    let kind = |kinds: Kinds| {
        Some(Resolved::Val(Val::Scalar(
            Arc::new(Scalar {
                kinds,
                kind_span: None,
                kind_text: Some(Arc::from(name)),
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
                kind_text: Some(Arc::from(text.as_str())),
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
        _ => None,
    }
}

/// Parses a CUE number literal: `1_000`, `0x1F`, `0o17`, `0b101`, `1.5`, `1e3`, `1Ki`, `1.5G`.
pub(crate) fn parse_number(text: &str) -> Result<Atom, String> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let (digits, multiplier) = split_multiplier(&clean);
    let invalid = || format!("invalid number literal {text}");
    if let Some(multiplier) = multiplier {
        let value: f64 = digits.parse().map_err(|_| invalid())?;
        let result = value * multiplier as f64;
        if result.fract() != 0.0 {
            return Err(format!("number literal {text} is not an integer"));
        }
        return Ok(Atom::Int(result as i128));
    }
    let radix = |prefix: &str, radix: u32| -> Option<Result<Atom, String>> {
        let rest = digits.strip_prefix(prefix)?;
        Some(
            i128::from_str_radix(rest, radix)
                .map(Atom::Int)
                .map_err(|_| invalid()),
        )
    };
    if let Some(r) = radix("0x", 16).or_else(|| radix("0X", 16)) {
        return r;
    }
    if let Some(r) = radix("0o", 8).or_else(|| radix("0O", 8)) {
        return r;
    }
    if let Some(r) = radix("0b", 2).or_else(|| radix("0B", 2)) {
        return r;
    }
    if digits.contains(['.', 'e', 'E']) {
        let value: f64 = digits.parse().map_err(|_| invalid())?;
        return Ok(Atom::Float(value, Arc::from(text)));
    }
    digits
        .parse::<i128>()
        .map(Atom::Int)
        .map_err(|_| format!("integer literal {text} is out of range"))
}

fn split_multiplier(text: &str) -> (&str, Option<i128>) {
    const UNITS: [(&str, i128); 10] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("Pi", 1 << 50),
        ("K", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
        ("P", 1_000_000_000_000_000),
    ];
    if text.starts_with("0x") || text.starts_with("0X") {
        return (text, None);
    }
    for (suffix, factor) in UNITS {
        if let Some(digits) = text.strip_suffix(suffix) {
            return (digits, Some(factor));
        }
    }
    (text, None)
}

fn arithmetic(op: BinaryOp, l: &Atom, r: &Atom) -> Result<Atom, String> {
    use std::cmp::Ordering;
    let mismatch = || {
        format!(
            "invalid operation {} {} {} (mismatched types {} and {})",
            l,
            op.as_str(),
            r,
            l.kind().name(),
            r.kind().name()
        )
    };
    let overflow = || format!("integer overflow in {} {} {}", l, op.as_str(), r);
    match op {
        BinaryOp::Less | BinaryOp::LessEqual | BinaryOp::Greater | BinaryOp::GreaterEqual => {
            let ordering = crate::value::compare(l, r).ok_or_else(mismatch)?;
            let result = match op {
                BinaryOp::Less => ordering == Ordering::Less,
                BinaryOp::LessEqual => ordering != Ordering::Greater,
                BinaryOp::Greater => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            };
            Ok(Atom::Bool(result))
        }
        BinaryOp::Match | BinaryOp::NotMatch => match (l, r) {
            (Atom::String(s), Atom::String(pattern)) => {
                let regex = crate::re2::compile_matcher(pattern).map_err(|e| e.to_string())?;
                Ok(Atom::Bool(regex.is_match(s) == (op == BinaryOp::Match)))
            }
            _ => Err(mismatch()),
        },
        BinaryOp::Add => match (l, r) {
            (Atom::Int(a), Atom::Int(b)) => a.checked_add(*b).map(Atom::Int).ok_or_else(overflow),
            (Atom::String(a), Atom::String(b)) => {
                Ok(Atom::String(Arc::from(format!("{a}{b}").as_str())))
            }
            (Atom::Bytes(a), Atom::Bytes(b)) => {
                Ok(Atom::Bytes(Arc::from([&a[..], &b[..]].concat().as_slice())))
            }
            _ => float_op(l, r, |a, b| a + b).ok_or_else(mismatch),
        },
        BinaryOp::Sub => match (l, r) {
            (Atom::Int(a), Atom::Int(b)) => a.checked_sub(*b).map(Atom::Int).ok_or_else(overflow),
            _ => float_op(l, r, |a, b| a - b).ok_or_else(mismatch),
        },
        BinaryOp::Mul => match (l, r) {
            (Atom::Int(a), Atom::Int(b)) => a.checked_mul(*b).map(Atom::Int).ok_or_else(overflow),
            (Atom::String(s), Atom::Int(n)) | (Atom::Int(n), Atom::String(s)) => {
                if *n < 0 || (*n as usize).saturating_mul(s.len()) > 1 << 24 {
                    return Err(format!("invalid string repetition count {n}"));
                }
                Ok(Atom::String(Arc::from(s.repeat(*n as usize).as_str())))
            }
            _ => float_op(l, r, |a, b| a * b).ok_or_else(mismatch),
        },
        BinaryOp::Div => {
            let (a, b) = (
                l.as_f64().ok_or_else(mismatch)?,
                r.as_f64().ok_or_else(mismatch)?,
            );
            if b == 0.0 {
                return Err("division by zero".into());
            }
            Ok(Atom::float(a / b))
        }
        _ => Err(mismatch()),
    }
}

fn float_op(l: &Atom, r: &Atom, f: impl Fn(f64, f64) -> f64) -> Option<Atom> {
    let (a, b) = (l.as_f64()?, r.as_f64()?);
    let value = f(a, b);
    Some(Atom::Float(value, Arc::from(format_float(value).as_str())))
}
