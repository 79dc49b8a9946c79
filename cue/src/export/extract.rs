//! Reads evaluated definitions into [`Shape`]s.
//!
//! It reads vertices through the evaluator's read-only `VertexView`: their arcs
//! and arc types, closedness, pattern constraints, list elements, scalar constraints and the
//! candidates of resolved disjunctions. It evaluates nothing itself beyond what finalizing a
//! vertex does (and the values of pattern and element constraints on their own), and it never
//! changes a vertex.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value as Json;

use super::{
    Body, Branch, Combinator, Definition, Exported, Keyword, ListShape, Presence, Property,
    ScalarShape, Shape, StructShape,
};
use crate::ast::{self, Decl, Expr, ExprKind, LabelKind};
use crate::builtins::Concrete;
use crate::diagnostic::Diagnostic;
use crate::eval::{ArcType, Eval, Feature, Program, SchemaCheck, Val, VertexId};
use crate::source::Span;
use crate::value::{check_text, Atom, BoundOp, Check, Kinds, Scalar};

/// How deeply a definition is expanded inline. Recursive definitions stop at their `$ref`s
/// long before this; a recursion that is not through a definition reference ends here with an
/// error rather than an endless schema.
const MAX_DEPTH: u32 = 64;

/// The start of the provisional name of a field listed as a schema (see
/// [`Extractor::name_field`]).
const FIELD_PLACEHOLDER: &str = "field:";

/// Evaluates the package and reads every definition (and the definitions nested in them).
pub(crate) fn extract_definitions(program: &Program) -> Result<Exported, Vec<Diagnostic>> {
    extract(program, false, false).map(|(exported, _)| exported)
}

/// Like [`extract_definitions`], and also reads the package's top-level value: its regular
/// fields (definitions and hidden fields are not data), pattern constraints and closedness,
/// which is what `cue vet` without `-d` checks data against. With `explicit_open`, no struct
/// is stated closed, and a value that only closes a field (`close(_foo)`) is that field.
pub(crate) fn extract_package(
    program: &Program,
    explicit_open: bool,
) -> Result<(Exported, Shape), Vec<Diagnostic>> {
    extract(program, true, explicit_open)
        .map(|(exported, root)| (exported, root.unwrap_or(Shape::new(Body::Any))))
}

fn extract(
    program: &Program,
    with_root: bool,
    explicit_open: bool,
) -> Result<(Exported, Option<Shape>), Vec<Diagnostic>> {
    let mut eval = Eval::new(program, Vec::new());
    let root = eval.package_root(0);
    // Note which values depend on fields that data can set (a reference to a regular field,
    // a comprehension, a pattern alias): no encoding here can state those relations.
    eval.track_dependents(root);
    eval.finalize(root);
    extract_from(eval, root, program, with_root, explicit_open, None)
}

/// The export of an evaluation already made with tracking on (see
/// `Package::load_then`): the package's definitions, and with `with_root` its top-level value.
pub(crate) fn extract_from<'a>(
    eval: Eval<'a>,
    root: VertexId,
    program: &'a Program,
    with_root: bool,
    explicit_open: bool,
    wanted: Option<&[String]>,
) -> Result<(Exported, Option<Shape>), Vec<Diagnostic>> {
    let mut extractor = Extractor {
        explicit_open,
        eval,
        root,
        docs: doc_index(program),
        member_references: member_reference_index(program),
        deprecated: deprecated_index(program),
        errors: Vec::new(),
        reading: HashSet::new(),
        reading_seen: 0,
        noted_in_place: HashSet::new(),
        name_fields: with_root,
        in_definition: false,
        expanding: Vec::new(),
        named_fields: Vec::new(),
    };
    let info = extractor.info();
    let title = package_doc(program);
    let version = extractor.version();
    let mut definitions = Vec::new();
    let mut vertices = Vec::new();
    extractor.in_definition = true;
    match wanted {
        Some(wanted) => extractor.definitions_wanted(wanted, &mut definitions, &mut vertices),
        None => extractor.definitions_under(root, "", &mut definitions, &mut vertices),
    }
    extractor.in_definition = false;
    let mut root_shape = with_root.then(|| {
        match root_reference(program).filter(|name| definitions.iter().any(|d| d.name == *name)) {
            // The package is one definition (`#T` beside the definitions): a `$ref` to it, so
            // its closedness applies to the fields it declares.
            Some(name) => Shape::new(Body::Ref(name)),
            None => extractor.shape(root, 0),
        }
    });
    extractor.named_field_schemas(&mut definitions, &mut vertices, root_shape.as_mut());
    extractor.note_dependents(&vertices, &mut definitions, root_shape.as_mut());
    if let Some(err) = extractor.eval.aborted() {
        extractor
            .errors
            .push(Diagnostic::error(err.code, err.message.clone()));
    }
    if !extractor.errors.is_empty() {
        return Err(extractor.errors);
    }
    Ok((
        Exported {
            info,
            title,
            version,
            definitions,
        },
        root_shape,
    ))
}

struct Extractor<'a> {
    eval: Eval<'a>,
    root: VertexId,
    /// Doc comments by the span of the label they stand above.
    docs: HashMap<Span, String>,
    /// The member a field's value selects from a package or value without calling it
    /// (`Duration` for `timeout: time.Duration`), by the span of the field's label.
    member_references: HashMap<Span, String>,
    /// The labels of fields marked deprecated by an attribute (`@protobuf(5,deprecated)`).
    deprecated: HashSet<Span>,
    errors: Vec<Diagnostic>,
    /// The values whose evaluation read fields the data can set (and the values they are
    /// candidates of), from the evaluator's notes; `reading_seen` notes are in.
    reading: HashSet<VertexId>,
    reading_seen: usize,
    /// The values whose shape already says that it depends on the data.
    noted_in_place: HashSet<VertexId>,
    /// Whether a value outside the definitions that is only a reference to a hidden field of
    /// the package (`t: _node`) is a `$ref` to that field, listed as a schema
    /// beside the definitions (the package document does this, as CUE v0.17 does).
    name_fields: bool,
    /// Whether no struct is stated closed (CUE's `ExplicitOpen`): a value that only closes a
    /// field (`close(_foo)`) is then a `$ref` to that field, as a plain reference is.
    explicit_open: bool,
    /// Whether a definition is being read: inside one, a field referred to is closed, unlike
    /// the field itself, so it is not a `$ref` to it.
    in_definition: bool,
    /// The fields referred to whose values are being read, innermost last, each with the
    /// name of the schema that reading is (a definition `#T: _node`, or a field listed by
    /// name), if it is one: a reference back to such a field is a recursion, stated as a
    /// `$ref` to that schema.
    expanding: Vec<(VertexId, Option<String>)>,
    /// The fields listed as schemas by name, in the order they were first referred to.
    named_fields: Vec<(String, VertexId)>,
}

impl<'a> Extractor<'a> {
    /// The concrete value of the package's `info` field, which OpenAPI uses for its own.
    fn info(&mut self) -> Option<Json> {
        let value = self.root_field("info")?;
        Some(crate::package::concrete_to_json(&value))
    }

    /// The package's `$version`, when it is a concrete string: OpenAPI's version when `info`
    /// does not set one.
    fn version(&mut self) -> Option<String> {
        match self.root_field("$version")? {
            Concrete::String(s) => Some(s.to_string()),
            _ => None,
        }
    }

    /// The concrete value of a regular field at the package's root, if it has one.
    fn root_field(&mut self, name: &str) -> Option<Concrete> {
        let root = self.eval.resolve_forward(self.root);
        let field = self
            .eval
            .view(root)
            .arc(&Feature::Regular(Arc::from(name)))?;
        self.eval.finalize(field);
        self.eval.concrete_value(field)
    }

    /// Adds a `depends on the data` note to the innermost definition (or, with `root`, to the
    /// package's top-level value) holding each value whose evaluation read fields that data
    /// can set, unless the value's own shape already says so. `vertices[i]` is the vertex of
    /// `definitions[i]`.
    fn note_dependents(
        &mut self,
        vertices: &[VertexId],
        definitions: &mut [Definition],
        mut root: Option<&mut Shape>,
    ) {
        let mut noted: Vec<VertexId> = self
            .eval
            .take_dependents()
            .into_iter()
            .filter(|(_, top)| {
                top.is_none_or(|t| {
                    let origin = self.eval.view(t).origin();
                    !self.noted_in_place.contains(&t)
                        && origin.is_none_or(|o| !self.noted_in_place.contains(&o))
                })
            })
            .map(|(v, _)| v)
            .collect();
        noted.sort_unstable();
        noted.dedup();
        for v in noted {
            let note = format!(
                "depends on the data: {} refers to fields the data can set (a reference to a \
                 regular field, a comprehension or a pattern alias)",
                match self.eval.path(v) {
                    p if p.is_empty() => "the package".to_string(),
                    p => p,
                }
            );
            let holder = vertices
                .iter()
                .enumerate()
                .filter(|(_, d)| self.eval.is_within(v, **d))
                .max_by_key(|(i, _)| definitions[*i].name.matches('.').count())
                .map(|(i, _)| i);
            let shape = match holder {
                Some(i) => &mut definitions[i].shape,
                None => match root.as_deref_mut() {
                    Some(shape) => shape,
                    None => continue,
                },
            };
            if !shape.unsupported.contains(&note) {
                shape.unsupported.push(note);
            }
        }
    }

    fn definitions_under(
        &mut self,
        v: VertexId,
        prefix: &str,
        out: &mut Vec<Definition>,
        vertices: &mut Vec<VertexId>,
    ) {
        let v = self.eval.resolve_forward(v);
        for a in self.eval.view(v).arcs().to_vec() {
            self.definition_at(a, prefix, out, vertices);
        }
    }

    /// The top-level definitions `wanted` names (`#E0`, or `#A.#B` for `#A`), each with the
    /// definitions under it, and every top-level definition they refer to, directly or not:
    /// what a document of the package holds for each of them, without reading the others.
    /// They come in the package's order, as [`Extractor::definitions_under`] lists them.
    fn definitions_wanted(
        &mut self,
        wanted: &[String],
        out: &mut Vec<Definition>,
        vertices: &mut Vec<VertexId>,
    ) {
        let root = self.eval.resolve_forward(self.root);
        let arcs = self.eval.view(root).arcs().to_vec();
        let top = |name: &str| {
            let first = name.split('.').next().unwrap_or(name);
            first.trim_start_matches('#').to_string()
        };
        let mut pending: Vec<String> = wanted.iter().map(|name| top(name)).collect();
        let mut read = HashSet::new();
        let mut found: Vec<(usize, Vec<Definition>, Vec<VertexId>)> = Vec::new();
        while let Some(name) = pending.pop() {
            if !read.insert(name.clone()) {
                continue;
            }
            let position = arcs.iter().position(|&a| {
                matches!(self.eval.view(a).feature(),
                    Some(Feature::Definition(label)) if label.trim_start_matches('#') == name)
            });
            let Some(position) = position else { continue };
            let (mut definitions, mut under) = (Vec::new(), Vec::new());
            self.definition_at(arcs[position], "", &mut definitions, &mut under);
            let mut referred = Vec::new();
            for definition in &definitions {
                super::references(&definition.shape, &mut referred);
            }
            pending.extend(referred.iter().map(|name| top(name)));
            found.push((position, definitions, under));
        }
        found.sort_by_key(|(position, _, _)| *position);
        for (_, definitions, under) in found {
            out.extend(definitions);
            vertices.extend(under);
        }
    }

    /// The definition of arc `a` (nothing when it is not a definition) and those under it.
    fn definition_at(
        &mut self,
        a: VertexId,
        prefix: &str,
        out: &mut Vec<Definition>,
        vertices: &mut Vec<VertexId>,
    ) {
        let Some(Feature::Definition(name)) = self.eval.view(a).feature().cloned() else {
            return;
        };
        let name = format!("{prefix}{}", name.trim_start_matches('#'));
        self.eval.finalize(a);
        let shape = self.named_shape(a, &name);
        let span = self.eval.view(a).decl_spans().first().copied();
        out.push(Definition {
            name: name.clone(),
            shape,
            span,
        });
        vertices.push(a);
        let candidates: Vec<VertexId> = self
            .eval
            .view(a)
            .candidates()
            .iter()
            .map(|&(c, _)| c)
            .collect();
        if candidates.len() <= 1 {
            self.definitions_under(a, &format!("{name}."), out, vertices);
            return;
        }
        // Each alternative of a disjunction may declare different definitions
        // (`{"A", #enumValue: 0} | {"B", #enumValue: 1}`): those of the struct around an
        // embedded disjunction are declared alike in every alternative, and only they
        // are the struct's.
        let mut each: Vec<(Vec<Definition>, Vec<VertexId>)> = Vec::new();
        for c in candidates {
            let (mut found, mut found_vertices) = (Vec::new(), Vec::new());
            self.definitions_under(c, &format!("{name}."), &mut found, &mut found_vertices);
            each.push((found, found_vertices));
        }
        let mut each = each.into_iter();
        let Some((first, first_vertices)) = each.next() else {
            return;
        };
        let rest: Vec<_> = each.collect();
        for (definition, vertex) in first.into_iter().zip(first_vertices) {
            let alike = rest.iter().all(|(found, _)| {
                found
                    .iter()
                    .any(|d| d.name == definition.name && d.shape == definition.shape)
            });
            if alike {
                out.push(definition);
                vertices.push(vertex);
            }
        }
    }

    /// The shape of the finalized value of `v`.
    fn shape(&mut self, v: VertexId, depth: u32) -> Shape {
        if depth > MAX_DEPTH {
            self.errors.push(
                Diagnostic::error(
                    "EXPORT_TOO_DEEP",
                    format!(
                        "value nests more than {MAX_DEPTH} levels deep without a definition \
                         reference to stop at"
                    ),
                )
                .with_path(self.eval.path(v)),
            );
            return Shape::new(Body::Any);
        }
        self.eval.finalize(v);
        let description = self.description(v);
        let mut shape = self.shape_inner(v, depth);
        if shape.description.is_none() {
            shape.description = description;
        }
        if self.reads_data(v) {
            // Evaluated without data, the value is what it is when the data sets nothing it
            // reads (`count: len(items)` is 0): keep only what cannot change.
            match &mut shape.body {
                // Fields a comprehension adds from the data are allowed.
                Body::Struct(object) => object.closed = false,
                body => *body = Body::Any,
            }
            shape.default = None;
            self.noted_in_place.insert(v);
            if !shape
                .unsupported
                .iter()
                .any(|n| n.starts_with("depends on the data"))
            {
                shape.unsupported.push(format!(
                    "depends on the data: {} is computed from fields the data can set",
                    self.eval.path(v)
                ));
            }
        }
        shape
    }

    /// The shape of the value a pattern constraint gives the fields it matches. Values that
    /// conflict (`[string]: 1, [string]: 2`) are no error of the schema, only of a field that
    /// matches, as in CUE: the pattern then accepts no field at all.
    fn pattern_shape(&mut self, t: VertexId, depth: u32) -> Shape {
        self.eval.finalize(t);
        let forward = self.eval.resolve_forward(t);
        // Only a conflict of values: a reference (`[string]: #Self`) stays a `$ref`, and a
        // cycle stays the error it is.
        let conflict = self.reference_of(t).is_none()
            && self.eval.view(forward).candidates().len() <= 1
            && self
                .eval
                .view(forward)
                .error()
                .is_some_and(|err| err.code == "CONFLICT" && !err.incomplete);
        if conflict {
            return Shape::new(Body::OneOf(Vec::new()));
        }
        self.shape(t, depth)
    }

    /// Whether evaluating `v` (or a candidate of it) read fields that data can set.
    fn reads_data(&mut self, v: VertexId) -> bool {
        let noted = self.eval.dependents();
        for &(_, top) in &noted[self.reading_seen.min(noted.len())..] {
            let Some(top) = top else { continue };
            self.reading.insert(top);
            if let Some(origin) = self.eval.view(top).origin() {
                self.reading.insert(origin);
            }
        }
        self.reading_seen = noted.len();
        self.reading.contains(&v)
    }

    fn shape_inner(&mut self, v: VertexId, depth: u32) -> Shape {
        if let Some(name) = self.reference_of(v) {
            return Shape::new(Body::Ref(name));
        }
        let mut target = self.eval.field_reference(v);
        if target.is_none() && self.explicit_open {
            target = self.eval.closed_field_reference(v);
        }
        let Some(target) = target.filter(|&t| t != v && self.package_field_name(t).is_some())
        else {
            return self.shape_of_value(v, depth);
        };
        // The value of a schema being named (`#WrapsNode: _node`): reading `_node` is reading
        // that schema.
        let naming = match self.expanding.last() {
            Some((named, Some(name))) if *named == v => Some(name.clone()),
            _ => None,
        };
        match self.expanding.iter().rev().find(|(t, _)| *t == target) {
            _ if naming.is_some() => {}
            Some((_, Some(name))) => return Shape::new(Body::Ref(name.clone())),
            // A recursion inside a definition that starts below the definition itself: the
            // evaluator reports it (as a structural cycle) when the value is read.
            Some((_, None)) => {}
            None if self.name_fields && !self.in_definition => {
                return Shape::new(Body::Ref(self.name_field(target)));
            }
            None => {}
        }
        self.expanding.push((target, naming));
        let shape = self.shape_of_value(v, depth);
        self.expanding.pop();
        shape
    }

    /// The shape of the schema `name` whose value is `v` (a definition, or a field listed by
    /// name): references back to `v`, or to the field `v` only refers to, are `$ref`s to it.
    fn named_shape(&mut self, v: VertexId, name: &str) -> Shape {
        self.expanding.push((v, Some(name.to_string())));
        let shape = self.shape(v, 0);
        self.expanding.pop();
        shape
    }

    /// `_node` for a hidden field at the top of the package. A regular field is not named:
    /// data can set it, so a value referring to it depends on the data.
    fn package_field_name(&self, t: VertexId) -> Option<String> {
        let view = self.eval.view(t);
        if view.parent() != Some(self.root) {
            return None;
        }
        match view.feature()? {
            Feature::Hidden(name) => Some(name.to_string()),
            Feature::Regular(_) | Feature::Definition(_) | Feature::Index(_) => None,
        }
    }

    /// A name for the package field `t`, listed as a schema: `field:N` until
    /// [`Extractor::named_field_schemas`] gives it its label (a definition name cannot hold
    /// `:`, so the two cannot be confused until then).
    fn name_field(&mut self, t: VertexId) -> String {
        let index = match self.named_fields.iter().position(|(_, v)| *v == t) {
            Some(index) => index,
            None => {
                let label = self.package_field_name(t).unwrap_or_default();
                self.named_fields.push((label, t));
                self.named_fields.len() - 1
            }
        };
        format!("{FIELD_PLACEHOLDER}{index}")
    }

    /// Reads the fields referred to by name (and those they refer to) as schemas, after
    /// the definitions, and names them by their labels. A definition whose name a field
    /// takes keeps its `#` (`#Bar` beside `Bar`), as CUE names them.
    fn named_field_schemas(
        &mut self,
        definitions: &mut Vec<Definition>,
        vertices: &mut Vec<VertexId>,
        root: Option<&mut Shape>,
    ) {
        if self.named_fields.is_empty() {
            return;
        }
        let first_field = definitions.len();
        let mut next = 0;
        while let Some((_, v)) = self.named_fields.get(next).cloned() {
            let name = format!("{FIELD_PLACEHOLDER}{next}");
            next += 1;
            let shape = self.named_shape(v, &name);
            let span = self.eval.view(v).decl_spans().first().copied();
            definitions.push(Definition { name, shape, span });
            vertices.push(v);
        }
        let labels: Vec<String> = self.named_fields.iter().map(|(l, _)| l.clone()).collect();
        let clashing: HashSet<String> = definitions[..first_field]
            .iter()
            .filter(|d| labels.contains(&d.name))
            .map(|d| d.name.clone())
            .collect();
        let rename = |name: &str| -> Option<String> {
            match name.strip_prefix(FIELD_PLACEHOLDER) {
                Some(index) => index.parse::<usize>().ok().map(|i| labels[i].clone()),
                None => clashing.contains(name).then(|| format!("#{name}")),
            }
        };
        for definition in definitions.iter_mut() {
            if let Some(name) = rename(&definition.name) {
                definition.name = name;
            }
            super::rename_references(&mut definition.shape, &rename);
        }
        if let Some(root) = root {
            super::rename_references(root, &rename);
        }
    }

    fn shape_of_value(&mut self, v: VertexId, depth: u32) -> Shape {
        if self.eval.view(v).candidates().len() > 1 {
            return self.disjunction(v, depth);
        }
        let v = self.eval.resolve_forward(v);
        let mut unsupported = Vec::new();
        if let Some(err) = self.eval.view(v).error().cloned() {
            if err.code == "EXPLICIT_ERROR" {
                // `foo?: _|_`, `[=~"^x"]: _|_`: where an error is written on purpose (a field
                // that may not be present), it is the schema that accepts nothing.
                return Shape::new(Body::OneOf(Vec::new()));
            }
            if err.code == "FIELD_NOT_ALLOWED" && self.eval.view(v).arc_type() == ArcType::Optional
            {
                // `#A & {b?: int}` with `#A` closed: no error of the value, as in CUE, but
                // `b` may not be present.
                return Shape::new(Body::OneOf(Vec::new()));
            }
            if !err.incomplete {
                self.errors.push(self.eval.diagnostic(v, &err));
                return Shape::new(Body::Any);
            }
            // What is known of the value stays; what depends on the data is named.
            let mut note = String::from("depends on the data: ");
            note.push_str(&err.message);
            if let Some(span) = err.spans.first() {
                let text = self.eval.text(*span);
                if !text.is_empty() {
                    note.push_str(&format!(" ({text})"));
                }
            }
            unsupported.push(note);
        }
        let view = self.eval.view(v);
        let mut shape = if view.is_list() {
            self.list(v, depth)
        } else if view.is_struct() {
            self.structure(v, depth)
        } else {
            let mut shape = scalar_shape(view.scalar());
            if let Body::Scalar(scalar) = &mut shape.body {
                scalar.named = self.imported_validator(v, view.scalar());
            }
            shape
        };
        shape.unsupported.extend(unsupported);
        self.schema_checks(v, depth, &mut shape);
        shape
    }

    /// The name of the builtin validator that is the whole of `scalar` when it is written as
    /// a reference to an imported package's member (`time.Duration`, not `time.Duration()`)
    /// and maps to no keyword: CUE's OpenAPI encoder lists such a value as a schema named
    /// after the member, so that what it checks is named once rather than lost.
    fn imported_validator(&self, v: VertexId, scalar: &Scalar) -> Option<&'static str> {
        let [check] = scalar.checks.as_slice() else {
            return None;
        };
        let Check::Builtin { builtin, args } = &check.check else {
            return None;
        };
        if scalar.value.is_some()
            || !args.is_empty()
            || builtin_keyword(builtin.package, builtin.name, args).is_some()
        {
            return None;
        }
        let referred =
            self.eval.view(v).decl_spans().iter().any(|span| {
                self.member_references.get(span).map(String::as_str) == Some(builtin.name)
            });
        referred.then_some(builtin.name)
    }

    /// States the validators taking schemas on `v` as combinators of `shape` (or notes the
    /// ones no encoding here has).
    fn schema_checks(&mut self, v: VertexId, depth: u32, shape: &mut Shape) {
        for (text, check) in self.eval.schema_checks(v) {
            let combinator = match check {
                SchemaCheck::MatchN {
                    count,
                    schemas: Some(schemas),
                } => {
                    let count = self.count(count);
                    let branches: Vec<Branch> =
                        schemas.iter().map(|&s| self.branch(s, depth)).collect();
                    let all = branches.len() as u64;
                    match count {
                        Count { exact: Some(0), .. } => Some(Combinator::Not(branches)),
                        Count { exact: Some(1), .. } => Some(Combinator::OneOf(branches)),
                        Count { exact: Some(n), .. } if n == all => {
                            Some(Combinator::AllOf(branches))
                        }
                        Count {
                            exact: None,
                            min: Some(1),
                            max: None,
                        } => Some(Combinator::AnyOf(branches)),
                        _ => None,
                    }
                    .ok_or("matchN with a count other than 0, 1, >=1 or all of its schemas")
                }
                SchemaCheck::MatchN { schemas: None, .. } => {
                    Err("matchN whose schemas are not a list")
                }
                SchemaCheck::MatchIf {
                    condition,
                    then,
                    otherwise,
                } => {
                    let condition = Box::new(self.branch(condition, depth));
                    let optional = |this: &mut Self, t: VertexId| {
                        let branch = this.branch(t, depth);
                        match &branch {
                            Some(Shape {
                                body: Body::Any, ..
                            }) => None,
                            _ => Some(Box::new(branch)),
                        }
                    };
                    let then = optional(self, then);
                    let otherwise = optional(self, otherwise);
                    Ok(Combinator::IfThenElse {
                        condition,
                        then,
                        otherwise,
                    })
                }
                SchemaCheck::Builtin { name, args } if name == "list.MatchN" && args.len() == 2 => {
                    let count = self.count(args[0]);
                    let exact = |n: Option<u64>| count.exact.or(n);
                    Ok(Combinator::Contains {
                        schema: Box::new(self.branch(args[1], depth)),
                        min: exact(count.min),
                        max: exact(count.max),
                    })
                }
                SchemaCheck::Builtin { .. } => Err("a builtin validator taking schemas"),
            };
            if let (Ok(Combinator::Contains { .. }), Body::Any) = (&combinator, &shape.body) {
                // `list.MatchN` accepts only lists.
                shape.body = Body::List(ListShape {
                    prefix: Vec::new(),
                    rest: Some(Box::new(Shape::new(Body::Any))),
                    keywords: Vec::new(),
                });
            }
            match combinator {
                Ok(combinator) => {
                    shape.combinators.push(combinator);
                    shape.validators.push(text);
                }
                Err(what) => shape
                    .unsupported
                    .push(format!("{text}: {what} has no equivalent here")),
            }
        }
    }

    /// The shape of a schema argument of a validator: `None` when it is an error.
    fn branch(&mut self, v: VertexId, depth: u32) -> Branch {
        self.eval.finalize(v);
        let resolved = self.eval.resolve_forward(v);
        if self
            .eval
            .view(resolved)
            .error()
            .is_some_and(|err| !err.incomplete)
        {
            return None;
        }
        Some(self.shape(v, depth + 1))
    }

    /// The counts a count argument (`1`, `>=1`, `>=2 & <=5`) accepts, when they are an
    /// interval of non-negative integers.
    fn count(&mut self, v: VertexId) -> Count {
        self.eval.finalize(v);
        let resolved = self.eval.resolve_forward(v);
        let shape = scalar_shape(self.eval.view(resolved).scalar());
        let mut count = Count {
            exact: None,
            min: None,
            max: None,
        };
        let Body::Scalar(scalar) = shape.body else {
            return count;
        };
        if let Some(value) = &scalar.value {
            count.exact = value.as_u64();
            return count;
        }
        let whole = |value: &Json, exclusive: bool, up: bool| {
            let n = value.as_f64()?;
            let n = match (exclusive, up) {
                (false, true) => n.ceil(),
                (false, false) => n.floor(),
                (true, true) => n.floor() + 1.0,
                (true, false) => n.ceil() - 1.0,
            };
            (n >= 0.0).then_some(n as u64)
        };
        for keyword in &scalar.keywords {
            match keyword {
                Keyword::Minimum {
                    value, exclusive, ..
                } => count.min = whole(value, *exclusive, true),
                Keyword::Maximum {
                    value, exclusive, ..
                } => count.max = whole(value, *exclusive, false),
                _ => {}
            }
        }
        count
    }

    /// The exported name of the definition `v` refers to when its one conjunct is a reference
    /// to a definition of this package (`cust: #Customer`).
    fn reference_of(&mut self, v: VertexId) -> Option<String> {
        let target = self.eval.definition_reference(v)?;
        (target != v)
            .then(|| self.definition_name(target))
            .flatten()
    }

    /// `A.B` for the vertex of `#A: #B:` in the package; `None` for anything else (a
    /// definition of an imported package is expanded inline).
    fn definition_name(&self, t: VertexId) -> Option<String> {
        let mut names = Vec::new();
        let mut current = t;
        loop {
            let vertex = self.eval.view(current);
            match (vertex.feature(), vertex.parent()) {
                (Some(Feature::Definition(name)), Some(parent)) => {
                    names.push(name.trim_start_matches('#').to_string());
                    current = parent;
                }
                (None, None) if current == self.root => break,
                _ => return None,
            }
        }
        names.reverse();
        Some(names.join("."))
    }

    fn disjunction(&mut self, v: VertexId, depth: u32) -> Shape {
        // When the value is one disjunction written in place, each candidate is one of its
        // disjuncts, in order: a disjunct that names a definition becomes a reference.
        let disjuncts = self.eval.disjunct_count(v);
        let candidates = self.eval.view(v).candidates().to_vec();
        let by_disjunct = disjuncts == candidates.len();
        let mut options = Vec::new();
        let mut defaults = Vec::new();
        for (i, (candidate, is_default)) in candidates.into_iter().enumerate() {
            let mut first_error = Vec::new();
            self.eval.collect_errors(candidate, &mut first_error, true);
            if !first_error.is_empty() {
                continue;
            }
            let reference = if by_disjunct {
                self.eval
                    .disjunct_reference(v, i)
                    .and_then(|t| self.definition_name(t))
            } else {
                None
            };
            let shape = match reference {
                Some(name) => Shape::new(Body::Ref(name)),
                None => self.shape_inner(candidate, depth + 1),
            };
            if is_default {
                defaults.push(candidate);
            }
            options.push((shape, is_default));
        }
        let mut shape = if options.len() == 1 {
            options
                .pop()
                .map(|(s, _)| s)
                .unwrap_or(Shape::new(Body::Any))
        } else {
            Shape::new(Body::OneOf(options))
        };
        if let [default] = defaults.as_slice() {
            shape.default = self
                .eval
                .concrete_value(*default)
                .map(|c| crate::package::concrete_to_json(&c));
        }
        shape
    }

    fn structure(&mut self, v: VertexId, depth: u32) -> Shape {
        let mut unsupported = Vec::new();
        let mut validators = Vec::new();
        let mut properties = Vec::new();
        for a in self.eval.view(v).arcs().to_vec() {
            let Some(Feature::Regular(name)) = self.eval.view(a).feature().cloned() else {
                continue;
            };
            self.eval.finalize(a);
            let arc_type = self.eval.view(a).arc_type();
            let presence = match arc_type {
                ArcType::Optional => Presence::Optional,
                ArcType::Required => Presence::Required,
                ArcType::Regular if self.eval.is_complete(a) => Presence::RegularComplete,
                // A value computed from the data's fields may be complete once they are set.
                ArcType::Regular if self.reads_data(a) => Presence::RegularComputed,
                ArcType::Regular => Presence::RegularIncomplete,
            };
            let shape = self.shape(a, depth + 1);
            let spans = self.eval.view(a).decl_spans();
            let span = spans.first().copied();
            let deprecated = spans.iter().any(|s| self.deprecated.contains(s));
            properties.push(Property {
                name: name.to_string(),
                presence,
                shape,
                span,
                deprecated,
            });
        }
        let mut patterns = Vec::new();
        let mut excluding = Vec::new();
        // Every `[string]: T` applies to every field: their values unify into one.
        let mut every_label = Vec::new();
        for p in 0..self.eval.view(v).pattern_count() {
            let label_text = self.eval.text(self.eval.view(v).pattern_label_span(p));
            if self.eval.view(v).pattern_has_alias(p) {
                unsupported.push(format!(
                    "pattern constraint with an alias [{label_text}]: its value depends on the label"
                ));
                continue;
            }
            let matcher = self.eval.pattern_matcher(v, p);
            match label_regex(&matcher) {
                Some(LabelRegex::All) => every_label.push(p),
                Some(LabelRegex::Regex(regex)) => {
                    let t = self.eval.pattern_value(v, &[p]);
                    patterns.push((regex, self.pattern_shape(t, depth + 1)));
                }
                Some(LabelRegex::Never) => {}
                Some(LabelRegex::Excluding(regexes)) => {
                    let t = self.eval.pattern_value(v, &[p]);
                    excluding.push((regexes, self.pattern_shape(t, depth + 1)));
                    // Compatibility compares this constraint by its declaration.
                    validators.push(format!("pattern constraint [{label_text}]"));
                }
                None => unsupported.push(format!(
                    "pattern constraint [{label_text}]: its label set has no regular expression"
                )),
            }
        }
        let additional = if every_label.is_empty() {
            None
        } else {
            let t = self.eval.pattern_value(v, &every_label);
            Some(Box::new(self.pattern_shape(t, depth + 1)))
        };
        // Closed when some closed definition (and nothing under it with `...`) holds the
        // declarations, as the evaluator's `allowed_by` decides.
        // With explicit openness, no struct is stated closed.
        let closed = !self.explicit_open && self.eval.closed_sets(v).iter().any(|set| !set.open);
        let ellipsis = self.name_fields && additional.is_none() && self.eval.declares_ellipsis(v);
        let (keywords, more) = keywords(self.eval.view(v).scalar());
        unsupported.extend(more);
        let mut shape = Shape::new(Body::Struct(StructShape {
            properties,
            patterns,
            additional,
            excluding,
            closed,
            ellipsis,
            keywords,
        }));
        shape.unsupported = unsupported;
        shape.validators = validators;
        shape
    }

    fn list(&mut self, v: VertexId, depth: u32) -> Shape {
        let mut unsupported = Vec::new();
        let mut prefix = Vec::new();
        for a in self.eval.view(v).arcs().to_vec() {
            if matches!(self.eval.view(a).feature(), Some(Feature::Index(_))) {
                prefix.push(self.shape(a, depth + 1));
            }
        }
        let closed = self.eval.view(v).list_is_closed();
        let rest = if closed {
            None
        } else {
            // Several `...T` unify into one element constraint.
            Some(Box::new(match self.eval.list_rest_value(v) {
                Some(t) => self.shape(t, depth + 1),
                None => Shape::new(Body::Any),
            }))
        };
        let (keywords, more) = keywords(self.eval.view(v).scalar());
        unsupported.extend(more);
        let mut shape = Shape::new(Body::List(ListShape {
            prefix,
            rest,
            keywords,
        }));
        shape.unsupported = unsupported;
        shape
    }

    /// The doc comment of the field (or definition) `v` was declared by.
    fn description(&self, v: VertexId) -> Option<String> {
        self.eval
            .view(v)
            .decl_spans()
            .iter()
            .find_map(|span| self.docs.get(span).cloned())
    }
}

enum LabelRegex {
    /// Every label (`[string]`, `[_]`).
    All,
    Regex(String),
    Never,
    /// The labels that match none of these regexes (`!~"^(a|b)$" & !~"^x-"`).
    Excluding(Vec<String>),
}

/// A pattern constraint's label set as one regular expression, when it has one.
fn label_regex(matcher: &Val) -> Option<LabelRegex> {
    match matcher {
        Val::Top => Some(LabelRegex::All),
        Val::Atom(Atom::String(s), _) => Some(LabelRegex::Regex(format!("^{}$", escape(s)))),
        Val::Atom(..) | Val::Bottom(_) => Some(LabelRegex::Never),
        Val::Scalar(s, _) => {
            if !s.kinds.contains(Kinds::STRING) {
                return Some(LabelRegex::Never);
            }
            if let Some((atom, _)) = &s.value {
                return label_regex(&Val::Atom(atom.clone(), Span::default()));
            }
            match s.checks.as_slice() {
                [] => Some(LabelRegex::All),
                [one] => match &one.check {
                    Check::Regex {
                        pattern,
                        negate: false,
                        ..
                    } => Some(LabelRegex::Regex(pattern.to_string())),
                    Check::Regex {
                        pattern,
                        negate: true,
                        ..
                    } => Some(LabelRegex::Excluding(vec![pattern.to_string()])),
                    _ => None,
                },
                several => several
                    .iter()
                    .map(|c| match &c.check {
                        Check::Regex {
                            pattern,
                            negate: true,
                            ..
                        } => Some(pattern.to_string()),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(LabelRegex::Excluding),
            }
        }
        Val::Disj(options) => {
            let mut parts = Vec::new();
            for (option, _) in options.iter() {
                match label_regex(option)? {
                    LabelRegex::All => return Some(LabelRegex::All),
                    LabelRegex::Regex(r) => parts.push(format!("(?:{r})")),
                    LabelRegex::Never => {}
                    LabelRegex::Excluding(_) => return None,
                }
            }
            Some(if parts.is_empty() {
                LabelRegex::Never
            } else {
                LabelRegex::Regex(parts.join("|"))
            })
        }
        _ => None,
    }
}

/// `s` as a regular expression that matches it literally (the same in RE2 and ECMA-262).
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/-".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The counts a `matchN` or `list.MatchN` count argument accepts.
struct Count {
    exact: Option<u64>,
    min: Option<u64>,
    max: Option<u64>,
}

/// The shape of a scalar constraint (or a struct or list validator with no literal).
pub(crate) fn scalar_shape(scalar: &Scalar) -> Shape {
    if scalar.is_unconstrained() {
        return Shape::new(Body::Any);
    }
    if let Some((atom, _)) = &scalar.value {
        return Shape::new(Body::Scalar(ScalarShape {
            kinds: atom.kind(),
            value: Some(atom_json(atom)),
            keywords: Vec::new(),
            named: None,
        }));
    }
    let (mut keywords, unsupported) = keywords(scalar);
    if let Some(format) = numeric_format(scalar.kinds, &keywords) {
        keywords.push(Keyword::Format(format));
    }
    let mut shape = Shape::new(Body::Scalar(ScalarShape {
        kinds: scalar.kinds,
        value: None,
        keywords,
        named: None,
    }));
    shape.unsupported = unsupported;
    shape
}

/// The OpenAPI format of a predeclared sized number type, from the bounds it implies.
fn numeric_format(kinds: Kinds, keywords: &[Keyword]) -> Option<&'static str> {
    let implied = |min: bool| {
        keywords.iter().find_map(|k| match k {
            Keyword::Minimum {
                value,
                implied: true,
                ..
            } if min => Some(value.clone()),
            Keyword::Maximum {
                value,
                implied: true,
                ..
            } if !min => Some(value.clone()),
            _ => None,
        })
    };
    let (lo, hi) = (implied(true)?, implied(false)?);
    if kinds == Kinds::INT {
        if lo == i32::MIN && hi == i32::MAX {
            return Some("int32");
        }
        if lo == i64::MIN && hi == i64::MAX {
            return Some("int64");
        }
    }
    if kinds == Kinds::NUMBER {
        if hi.as_f64() == Some(f32::MAX as f64) {
            return Some("float");
        }
        if hi.as_f64() == Some(f64::MAX) {
            return Some("double");
        }
    }
    None
}

/// The keywords a scalar's checks map to, and the checks that have none (as CUE text).
fn keywords(scalar: &Scalar) -> (Vec<Keyword>, Vec<String>) {
    let mut keywords = Vec::new();
    let mut unsupported = Vec::new();
    for check in &scalar.checks {
        let mapped = match &check.check {
            Check::Bound(op, limit) if limit.as_f64().is_some() => {
                let value = atom_json(limit);
                let implied = check.text.is_some();
                Some(match op {
                    BoundOp::GreaterEqual | BoundOp::Greater => Keyword::Minimum {
                        value,
                        exclusive: *op == BoundOp::Greater,
                        implied,
                    },
                    BoundOp::LessEqual | BoundOp::Less => Keyword::Maximum {
                        value,
                        exclusive: *op == BoundOp::Less,
                        implied,
                    },
                })
            }
            Check::Bound(..) => None,
            Check::NotEqual(atom) => Some(Keyword::NotEqual(atom_json(atom))),
            Check::Regex {
                pattern, negate, ..
            } => Some(if *negate {
                Keyword::NotPattern(pattern.to_string())
            } else {
                Keyword::Pattern(pattern.to_string())
            }),
            Check::Builtin { builtin, args } => {
                builtin_keyword(builtin.package, builtin.name, args)
            }
            Check::Structural {
                value,
                equal: false,
            } => Some(Keyword::NotEqual(crate::package::concrete_to_json(value))),
            Check::Structural { equal: true, .. } => None,
        };
        match mapped {
            Some(keyword) => {
                if !keywords.contains(&keyword) {
                    keywords.push(keyword)
                }
            }
            None => {
                let text = check_text(check);
                if !unsupported.contains(&text) {
                    unsupported.push(text)
                }
            }
        }
    }
    (keywords, unsupported)
}

/// The keyword a builtin validator maps to, if it has one.
fn builtin_keyword(package: &str, name: &str, args: &[Concrete]) -> Option<Keyword> {
    let count = || match args {
        [Concrete::Int(n)] => u64::try_from(*n).ok(),
        _ => None,
    };
    let text = || match args {
        [Concrete::String(s)] => Some(s.clone()),
        _ => None,
    };
    Some(match (package, name) {
        ("strings", "MinRunes") => Keyword::MinLength(count()?),
        ("strings", "MaxRunes") => Keyword::MaxLength(count()?),
        ("strings", "HasPrefix") => Keyword::Pattern(format!("^{}", escape(&text()?))),
        ("strings", "HasSuffix") => Keyword::Pattern(format!("{}$", escape(&text()?))),
        ("strings", "Contains") => Keyword::Pattern(escape(&text()?)),
        ("list", "MinItems") => Keyword::MinItems(count()?),
        ("list", "MaxItems") => Keyword::MaxItems(count()?),
        ("list", "UniqueItems") if args.is_empty() => Keyword::UniqueItems,
        ("struct", "MinFields") => Keyword::MinProperties(count()?),
        ("struct", "MaxFields") => Keyword::MaxProperties(count()?),
        ("math", "MultipleOf") => match args {
            [n @ (Concrete::Int(_) | Concrete::Float(_))] => {
                Keyword::MultipleOf(crate::package::concrete_to_json(n))
            }
            _ => return None,
        },
        ("time", "Time") if args.is_empty() => Keyword::Format("date-time"),
        ("time", "Format") => match text()?.as_ref() {
            // RFC 3339, as `time.RFC3339` and `time.RFC3339Nano` spell it.
            "2006-01-02T15:04:05Z07:00" | "2006-01-02T15:04:05.999999999Z07:00" => {
                Keyword::Format("date-time")
            }
            "2006-01-02" => Keyword::Format("date"),
            _ => return None,
        },
        ("net", "IPv4") if args.is_empty() => Keyword::Format("ipv4"),
        ("net", "IPv6") if args.is_empty() => Keyword::Format("ipv6"),
        ("uuid", "Valid") if args.is_empty() => Keyword::Format("uuid"),
        // What the JSON Schema importer makes of these formats.
        ("net", "AbsURL") if args.is_empty() => Keyword::Format("uri"),
        ("net", "URL") if args.is_empty() => Keyword::Format("uri-reference"),
        ("net", "FQDN") if args.is_empty() => Keyword::Format("hostname"),
        ("regexp", "Valid") if args.is_empty() => Keyword::Format("regex"),
        _ => return None,
    })
}

pub(crate) fn atom_json(atom: &Atom) -> Json {
    crate::package::concrete_to_json(&atom.to_concrete())
}

/// The package's doc comment: the one above a `package` clause, or, in a file without one,
/// the comment at the top of the file (which CUE attaches to the file as well as to the first
/// declaration).
fn package_doc(program: &Program) -> Option<String> {
    let files = &program.packages.first()?.files;
    files
        .iter()
        .find_map(|file| match (&file.package, &file.doc) {
            (Some(_), Some(doc)) => Some(doc.trim().to_string()),
            (None, _) => match file.decls.first() {
                Some(Decl::Field(field)) => field.doc.as_ref().map(|d| d.trim().to_string()),
                _ => None,
            },
            _ => None,
        })
}

/// The exported name of the definition the package's top-level value is, when the files
/// declare no regular field and embed exactly one reference to a top-level definition (`#T`).
fn root_reference(program: &Program) -> Option<String> {
    let files = &program.packages.first()?.files;
    let mut embedded = None;
    for decl in files.iter().flat_map(|file| &file.decls) {
        match decl {
            Decl::Field(field) => match &field.label.kind {
                LabelKind::Ident(id) if id.name.starts_with('#') || id.name.starts_with('_') => {}
                _ => return None,
            },
            Decl::Embed(Expr {
                kind: ExprKind::Ident(id),
                ..
            }) if id.name.starts_with('#') && embedded.is_none() => {
                embedded = Some(id.name.trim_start_matches('#').to_string());
            }
            Decl::Let(_) | Decl::Attribute(_) => {}
            Decl::Embed(_) | Decl::Ellipsis(_) => return None,
        }
    }
    embedded
}

/// Every field's doc comment, by the span of its label, across the program's files.
fn doc_index(program: &Program) -> HashMap<Span, String> {
    let mut docs = HashMap::new();
    for package in &program.packages {
        for file in &package.files {
            decls_fields(&file.decls, &mut |field: &ast::Field| {
                if let Some(doc) = &field.doc {
                    docs.insert(field.label.span, doc.trim().to_string());
                }
            });
        }
    }
    docs
}

/// The member each field's value selects without calling it (`timeout: time.Duration`), by
/// the span of the field's label.
fn member_reference_index(program: &Program) -> HashMap<Span, String> {
    let mut members = HashMap::new();
    for package in &program.packages {
        for file in &package.files {
            decls_fields(&file.decls, &mut |field: &ast::Field| {
                if let ExprKind::Selector(base, member) = &field.value.kind {
                    if matches!(base.kind, ExprKind::Ident(_)) {
                        members.insert(field.label.span, member.name.clone());
                    }
                }
            });
        }
    }
    members
}

/// The labels of the fields an attribute marks deprecated: CUE's protobuf mapping writes a
/// deprecated field as `@protobuf(5,deprecated)`; `deprecated` is one of the attribute's
/// comma-separated arguments (so `name=deprecated` is not one).
fn deprecated_index(program: &Program) -> HashSet<Span> {
    let mut labels = HashSet::new();
    let mut visit = |field: &ast::Field| {
        let marked = field.attributes.iter().any(|a| {
            a.name == "protobuf" && a.body.split(',').any(|arg| arg.trim() == "deprecated")
        });
        if marked {
            labels.insert(field.label.span);
        }
    };
    for package in &program.packages {
        for file in &package.files {
            decls_fields(&file.decls, &mut visit);
        }
    }
    labels
}

/// Calls `visit` on every field declared in `decls`, at any depth (in structs, lists,
/// expressions and comprehensions).
fn decls_fields(decls: &[Decl], visit: &mut dyn FnMut(&ast::Field)) {
    for decl in decls {
        match decl {
            Decl::Field(field) => {
                visit(field);
                if let LabelKind::Pattern { expr, .. } | LabelKind::Dynamic(expr) =
                    &field.label.kind
                {
                    expr_fields(expr, visit);
                }
                expr_fields(&field.value, visit);
            }
            Decl::Embed(e) => expr_fields(e, visit),
            Decl::Let(l) => expr_fields(&l.value, visit),
            Decl::Ellipsis(e) => {
                if let Some(v) = &e.value {
                    expr_fields(v, visit)
                }
            }
            Decl::Attribute(_) => {}
        }
    }
}

fn expr_fields(e: &Expr, visit: &mut dyn FnMut(&ast::Field)) {
    match &e.kind {
        ExprKind::Struct(s) => decls_fields(&s.decls, visit),
        ExprKind::List(l) => {
            for x in &l.elements {
                expr_fields(x, visit);
            }
            if let Some(v) = l.ellipsis.as_ref().and_then(|e| e.value.as_ref()) {
                expr_fields(v, visit);
            }
        }
        ExprKind::Unary(_, x)
        | ExprKind::Paren(x)
        | ExprKind::Alias(_, x)
        | ExprKind::Optional(x) => expr_fields(x, visit),
        ExprKind::Binary(_, a, b) => {
            expr_fields(a, visit);
            expr_fields(b, visit);
        }
        ExprKind::Call(f, args) => {
            expr_fields(f, visit);
            for a in args {
                expr_fields(a, visit);
            }
        }
        ExprKind::Comprehension(c) => {
            for clause in &c.clauses {
                match clause {
                    ast::Clause::For { source, .. } => expr_fields(source, visit),
                    ast::Clause::If { condition, .. } => expr_fields(condition, visit),
                    ast::Clause::Let(l) => expr_fields(&l.value, visit),
                    ast::Clause::Try { binding, .. } => {
                        if let Some((_, value)) = binding {
                            expr_fields(value, visit)
                        }
                    }
                }
            }
            expr_fields(&c.body, visit);
            if let Some(fallback) = &c.fallback {
                expr_fields(fallback, visit);
            }
        }
        _ => {}
    }
}
