//! Vertices and their arcs: the tree evaluation builds.
//!
//! A [`Vertex`] is the value at one path: the conjuncts that apply to it, what they unified to
//! so far (a scalar constraint, struct or list structure, an error), and one child vertex (an
//! arc) per field or list element, created on first mention and found again by its
//! [`Feature`]. Vertices live in the evaluation's arena ([`Eval`]) and are named by
//! [`VertexId`]. This file owns creating vertices and arcs, adding a conjunct to a vertex
//! (at once when it is already being evaluated), keeping a vertex's first error, following a
//! resolved disjunction to the candidate that stands for it, and a vertex's path.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::closed::{GroupDecls, GroupId};
use super::conjunct::{Conjunct, Embedded, Env};
use super::cycle::STRUCTURAL_CYCLE;
use super::disjunct::{DefaultMode, Disjunction};
use super::pattern::Pattern;
use super::validator::SchemaValidator;
use super::values::Val;
use super::Eval;
use crate::ast;
use crate::builtins;
use crate::source::Span;
use crate::value::{EvalError, Scalar};

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
    pub(super) fn from_ident(name: &str) -> Feature {
        if name.starts_with('#') {
            Feature::Definition(Arc::from(name))
        } else if name.starts_with('_') && name != "_" {
            Feature::Hidden(Arc::from(name))
        } else {
            Feature::Regular(Arc::from(name))
        }
    }

    pub(super) fn is_regular(&self) -> bool {
        matches!(self, Feature::Regular(_) | Feature::Index(_))
    }

    pub(super) fn selector(&self) -> String {
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

pub(super) fn is_identifier(name: &str) -> bool {
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

/// Where a vertex is in its evaluation (see `unify.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Conjuncts may be pushed; none has been added yet.
    New,
    /// Its conjuncts are being added: a read of the vertex now is a reference cycle.
    Expanding,
    /// Every conjunct is in; disjunctions, closedness and arcs are not settled yet.
    Expanded,
    /// Disjunctions are being resolved and arcs finalized.
    Finalizing,
    /// Final: its value and errors no longer change.
    Done,
}

/// What the list literals unified into a vertex say of its length.
#[derive(Default)]
pub(super) struct ListInfo {
    /// The longest literal's element count (its elements are the vertex's index arcs).
    pub(super) length: usize,
    /// Each literal without `...`, as its element count and span: the list has exactly that
    /// many elements.
    pub(super) closed: Vec<(usize, Span)>,
}

/// The value at one path: its conjuncts, what they unified to, and its arcs.
pub(crate) struct Vertex<'a> {
    /// The vertex this one is an arc of; `None` for a root and for values evaluated on their
    /// own (an operand, a builtin's result).
    pub(super) parent: Option<VertexId>,
    /// Its label in `parent`; `None` for a root or a value not at a field.
    pub(super) feature: Option<Feature>,
    /// Every conjunct that applies to the vertex, in the order they were added (a disjunction
    /// candidate re-adds its origin's).
    pub(super) conjuncts: Vec<Conjunct<'a>>,
    /// The (expression, environment) pairs and file conjuncts already added, so that a
    /// conjunct reached twice (through two references) is unified once; also what
    /// [`Eval::ancestor_has`] searches for structural cycles.
    pub(super) seen: HashSet<(usize, usize), PairHasher>,
    /// Where the vertex is in its evaluation.
    pub(super) state: State,
    /// Its arcs (fields, definitions, hidden fields, list elements), in order of first
    /// declaration: the order of output and of error messages.
    pub(super) arcs: Vec<VertexId>,
    /// The arcs by label.
    pub(super) arc_index: HashMap<Feature, VertexId>,
    /// Regular, required (`!`) or optional (`?`): the strongest of its declarations.
    pub(super) arc_type: ArcType,
    /// The label span of every field declaration that made this arc, for messages.
    pub(super) decl_spans: Vec<Span>,
    /// The scalar constraint its conjuncts unified to: kinds (struct and list included),
    /// value, bounds, regular expressions, validators.
    pub(super) scalar: Scalar,
    /// The span of the first struct literal with fields unified into it: set when the vertex
    /// is a struct.
    pub(super) struct_span: Option<Span>,
    /// The span of the first struct literal unified into it that declares no regular field but
    /// embeds a value (`{5, #a: 1}`): the vertex is a struct only if no embedded value makes
    /// it something else (see `unify.rs`).
    pub(super) weak_struct: Option<Span>,
    /// Set when the vertex is a list: what its list literals say of its length.
    pub(super) list: Option<ListInfo>,
    /// Each list literal with `...`: its element count and its element constraint (`...T`),
    /// which applies to every element from that index on.
    pub(super) list_open: Vec<(usize, Option<Conjunct<'a>>)>,
    /// Its pattern constraints (`[L]: V`), applied to every regular arc whose label matches.
    pub(super) patterns: Vec<Pattern<'a>>,
    /// Whether a constraint that applies only where a value is given (a pattern constraint,
    /// a list's `...T`) added a conjunct to it: a cycle through it may end where that value
    /// does (see [`Eval::repeats_structure`]).
    pub(super) from_constraint: bool,
    /// Comprehensions embedded in its struct literals, not yet run, with their environment and
    /// closedness group.
    pub(super) comprehensions: Vec<(&'a ast::Comprehension, Env<'a>, Option<GroupId>)>,
    /// Values embedded in its struct literals that are computed (`{number & list.Sum(#in)}`)
    /// or are fields of a struct being expanded, not yet added: they are added once every
    /// other conjunct is in, so that they see those fields complete (see `unify.rs`).
    pub(super) embedded_values: Vec<Embedded<'a>>,
    /// The `matchN` and `matchIf` calls unified into it, checked when it is final (see
    /// `validator.rs`).
    pub(super) validators: Vec<SchemaValidator<'a>>,
    /// On the vertex a validator's check builds (and its disjunction candidates): the
    /// validators (by the address of their arguments) being checked, which do not run again
    /// there.
    pub(super) checking: Arc<Vec<usize>>,
    /// Disjunctions added to it and not yet resolved (see `disjunct.rs`).
    pub(super) disjunctions: Vec<Disjunction<'a>>,
    /// How many times each disjunction expression was added to the vertex, so that each
    /// occurrence has its own key in `choices`.
    pub(super) disjunction_seen: HashMap<usize, u32>,
    /// For a disjunction candidate: the disjunct chosen for each disjunction (by key), which
    /// its conjuncts then add directly instead of deferring (its arcs do not inherit them).
    pub(super) choices: Arc<HashMap<(usize, u32), usize>>,
    /// What each closedness group present at the vertex declares here (see `closed.rs`).
    pub(super) groups: Vec<GroupDecls>,
    /// Groups that conjuncts embedded here kept (their own, not the embedding's), each with
    /// the embedding group that brought them: here they count as declared in it.
    pub(super) adopted: Vec<(GroupId, GroupId)>,
    /// The first error found for the vertex (a conflict replaces an earlier incomplete one).
    pub(super) error: Option<Arc<EvalError>>,
    /// For a resolved disjunction: the candidate that stands for the vertex (readers follow it
    /// with [`Eval::resolve_forward`]).
    pub(super) forward: Option<VertexId>,
    /// For a disjunction left ambiguous: the candidates it could still be (more than one).
    pub(super) ambiguous: Vec<VertexId>,
    /// For a disjunction candidate: the vertex it is a candidate for.
    pub(super) origin: Option<VertexId>,
    /// Every candidate of a resolved disjunction, failed or not, in order, with whether it
    /// is a default: the compiled validator keeps them all so its messages match.
    pub(super) candidates: Vec<(VertexId, bool)>,
    /// For a resolved disjunction: the alternatives that survived, those of nested
    /// disjunctions in their place, each with its default mode (see `disjunct.rs`). A
    /// disjunction that is itself a disjunct of an enclosing one hands these on to it.
    pub(super) alternatives: Vec<(VertexId, DefaultMode)>,
    /// A builtin function or an imported package unified into it (`fn: yaml.Validate`): in
    /// CUE these are values, which a reference to the field yields and a call can apply.
    pub(super) func: Option<Box<Val>>,
}

impl<'a> Eval<'a> {
    pub(super) fn new_vertex(
        &mut self,
        parent: Option<VertexId>,
        feature: Option<Feature>,
    ) -> VertexId {
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
        self.vertices.push(Vertex {
            parent,
            feature,
            conjuncts: Vec::new(),
            seen: HashSet::default(),
            state: State::New,
            arcs: Vec::new(),
            arc_index: HashMap::new(),
            arc_type: ArcType::Optional,
            decl_spans: Vec::new(),
            scalar: Scalar::default(),
            struct_span: None,
            weak_struct: None,
            list: None,
            list_open: Vec::new(),
            patterns: Vec::new(),
            from_constraint: false,
            comprehensions: Vec::new(),
            embedded_values: Vec::new(),
            validators: Vec::new(),
            checking: Arc::new(Vec::new()),
            disjunctions: Vec::new(),
            disjunction_seen: HashMap::new(),
            choices: Arc::new(HashMap::new()),
            groups: Vec::new(),
            adopted: Vec::new(),
            error: None,
            forward: None,
            ambiguous: Vec::new(),
            origin: None,
            candidates: Vec::new(),
            alternatives: Vec::new(),
            func: None,
        });
        self.vertices.len() - 1
    }

    pub(super) fn arc(&mut self, v: VertexId, feature: &Feature) -> VertexId {
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

    pub(super) fn push_conjunct(&mut self, v: VertexId, c: Conjunct<'a>) {
        match self.vertices[v].state {
            State::New => self.vertices[v].conjuncts.push(c),
            _ => {
                self.vertices[v].conjuncts.push(c.clone());
                self.add(v, c);
            }
        }
    }

    pub(super) fn set_error(&mut self, v: VertexId, error: Arc<EvalError>) {
        let vertex = &mut self.vertices[v];
        match &vertex.error {
            // A real conflict replaces an earlier incomplete note, and a structural cycle: a
            // value that conflicts is that conflict, however deep it would have gone.
            Some(existing)
                if (existing.incomplete || existing.code == STRUCTURAL_CYCLE)
                    && !error.incomplete
                    && error.code != STRUCTURAL_CYCLE =>
            {
                vertex.error = Some(error)
            }
            Some(_) => {}
            None => vertex.error = Some(error),
        }
    }

    pub(crate) fn resolve_forward(&self, mut v: VertexId) -> VertexId {
        while let Some(f) = self.vertices[v].forward {
            v = f;
        }
        v
    }

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
}
