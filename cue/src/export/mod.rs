//! Export of a package's definitions as OpenAPI 3.0 and JSON Schema 2020-12.
//!
//! Exporting has two steps. `extract` (which reads vertices through the evaluator's read-only
//! `VertexView`) walks the *evaluated* definitions and turns each into a [`Shape`]: an
//! encoding-neutral description of what the value accepts (kinds, bounds, patterns, fields,
//! elements, alternatives, defaults, doc comments, and references to other definitions). `openapi` and
//! `jsonschema` then print shapes in their own vocabulary.
//!
//! **Nothing is dropped silently.** A constraint that an encoding cannot state (a builtin
//! validator without a mapping, a bound on strings, a constraint that depends on the data such
//! as a comprehension over a field) is kept as text in the schema object's
//! `x-cue-unsupported` list, so that readers and tools see that the schema accepts more than
//! the CUE definition does. Errors in a definition (a conflict, a recursion too deep to
//! expand) make the export fail with diagnostics instead.

mod extract;
mod jsonschema;
mod openapi;

use std::collections::{BTreeSet, HashMap};

use serde_json::Value as Json;

use crate::diagnostic::Diagnostic;
use crate::package::Package;
use crate::source::Span;
use crate::value::Kinds;

pub(crate) use extract::extract_definitions;
pub use openapi::{OpenApiConfig, OpenApiVersion};

/// Options of the package's JSON Schema document ([`Package::json_schema_package_with`]):
/// those of CUE's `jsonschema.GenerateConfig` that do not take Go code.
#[derive(Debug, Clone, Default)]
pub struct JsonSchemaConfig {
    /// States no struct as closed (no `additionalProperties: false`), as CUE's `ExplicitOpen`:
    /// for consumers that read a closed schema as too strict, such as schemas that evolve by
    /// adding fields. A struct that declares `...` still says so (`additionalProperties:
    /// true`), and `close(_foo)` is a `$ref` to `_foo`.
    pub explicit_open: bool,
}

/// The name of the schema-object extension that lists constraints an encoding cannot state.
pub const UNSUPPORTED_EXTENSION: &str = "x-cue-unsupported";

impl Package {
    /// The package's definitions as an OpenAPI 3.0 document, as `cue export --out openapi`
    /// prints it: one `components.schemas` entry per definition (nested definitions as
    /// `Outer.Inner`), `info` from the package's `info` field or CUE's placeholder.
    ///
    /// Fails with the package's diagnostics when it has errors, or with the errors found in a
    /// definition.
    ///
    /// With `definition` (`"#Order"`), `components.schemas` holds only it and the definitions
    /// it refers to.
    pub fn openapi(&self, definition: Option<&str>) -> Result<Json, Vec<Diagnostic>> {
        self.openapi_with(definition, &OpenApiConfig::default())
    }

    /// [`Package::openapi`] with the options of CUE's `openapi.Config` that `config` sets:
    /// references expanded in place (a definition that refers to itself is then an error),
    /// keywords filtered out, OpenAPI 3.1.
    pub fn openapi_with(
        &self,
        definition: Option<&str>,
        config: &OpenApiConfig,
    ) -> Result<Json, Vec<Diagnostic>> {
        let exported = self.exported()?;
        let root = exported.root(definition)?;
        openapi::document(&exported, root.as_deref(), config).map_err(|name| {
            let span = exported
                .definitions
                .iter()
                .find(|d| d.name == name)
                .and_then(|d| d.span);
            let mut diagnostic = Diagnostic::error(
                "EXPORT",
                format!("cycle in reference at #{name}: a definition that refers to itself cannot be expanded"),
            );
            if let Some(span) = span {
                diagnostic = diagnostic.with_span(span);
            }
            vec![diagnostic]
        })
    }

    /// The package's definitions as a JSON Schema 2020-12 document: every definition under
    /// `$defs`; with `definition` (`"#Order"`, or `"#Outer.#Inner"`), the root schema is a
    /// `$ref` to it and `$defs` holds only it and the definitions it refers to.
    pub fn json_schema(&self, definition: Option<&str>) -> Result<Json, Vec<Diagnostic>> {
        let exported = self.exported()?;
        let root = exported.root(definition)?;
        Ok(jsonschema::document(&exported, root.as_deref()))
    }

    /// The package itself as a JSON Schema 2020-12 document: the root schema describes the
    /// package's top-level value as `cue vet` (without `-d`) checks data against it (regular
    /// fields, `required` for what data must supply, closedness, pattern constraints), its
    /// description is the package's doc comment, and `$defs` holds the definitions it refers
    /// to. This is the layout of `cue export --out jsonschema` in CUE v0.17.
    pub fn json_schema_package(&self) -> Result<Json, Vec<Diagnostic>> {
        self.json_schema_package_with(&JsonSchemaConfig::default())
    }

    /// [`Package::json_schema_package`] with the options of CUE's `GenerateConfig` that
    /// `config` sets.
    pub fn json_schema_package_with(
        &self,
        config: &JsonSchemaConfig,
    ) -> Result<Json, Vec<Diagnostic>> {
        if !self.diagnostics().is_empty() {
            return Err(self.diagnostics().to_vec());
        }
        let (exported, root) = extract::extract_package(&self.program, config.explicit_open)?;
        Ok(jsonschema::package_document(&exported, &root))
    }

    /// One definition of the package as the root of a JSON Schema 2020-12 document, written
    /// out in place rather than as a `$ref` (the definitions it refers to go under `$defs`):
    /// the layout of `cue export --out jsonschema -e '#Order'`. The definition's closedness
    /// holds at every level of its own structs, as CUE closes them recursively. `definition`
    /// is written as in CUE (`#Order`, `#A.#B`); a name that is not a definition of the
    /// package is an `EXPORT` error naming it.
    pub fn json_schema_package_at(&self, definition: &str) -> Result<Json, Vec<Diagnostic>> {
        self.json_schema_package_at_with(definition, &JsonSchemaConfig::default())
    }

    /// [`Package::json_schema_package_at`] with the options `config` sets.
    pub fn json_schema_package_at_with(
        &self,
        definition: &str,
        config: &JsonSchemaConfig,
    ) -> Result<Json, Vec<Diagnostic>> {
        if !self.diagnostics().is_empty() {
            return Err(self.diagnostics().to_vec());
        }
        let (exported, _) = extract::extract_package(&self.program, config.explicit_open)?;
        let name = exported.root(Some(definition))?.unwrap_or_default();
        let shape = exported
            .definitions
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.shape.clone())
            .unwrap_or(Shape::new(Body::Any));
        Ok(jsonschema::package_document(&exported, &shape))
    }

    /// Loads a package and exports its definitions as JSON Schema (`json_schema(None)`) from
    /// the one evaluation that loading makes: the same package and document as
    /// [`Package::load`] then [`Package::json_schema`], for about half the work. The document
    /// is `Err` with the package's diagnostics when it has errors.
    pub fn load_with_json_schema(
        files: crate::PackageFiles,
        resolver: &dyn crate::ImportResolver,
    ) -> (Package, Result<Json, Vec<Diagnostic>>) {
        Package::load_with_json_schema_of(files, resolver, |_, _| Selection::default())
    }

    /// [`Package::load_with_json_schema`] for some definitions only, and without evaluating
    /// what the caller knows to be free of errors. `select` is given the package's syntax (as
    /// [`Package::syntax`]) and sources before evaluation and says, in a [`Selection`], what
    /// to export and which top-level fields to leave unevaluated. The document then holds
    /// each named top-level definition (with those under it) and every definition it refers
    /// to, directly or not, each exactly as the whole package's document has it; the others
    /// are not read. A caller that has the documents of most definitions already pays only
    /// for the rest.
    pub fn load_with_json_schema_of(
        files: crate::PackageFiles,
        resolver: &dyn crate::ImportResolver,
        select: impl FnOnce(&[crate::ast::File], &crate::SourceMap) -> Selection,
    ) -> (Package, Result<Json, Vec<Diagnostic>>) {
        let (package, exported) = Package::load_then(
            files,
            resolver,
            true,
            |program| {
                let Selection {
                    export,
                    mut settled,
                } = select(program.syntax(), &program.sources);
                // What is exported is evaluated, so that its errors are the package's.
                let heads: Vec<&str> = export
                    .iter()
                    .flatten()
                    .map(|name| name.split('.').next().unwrap_or(name))
                    .collect();
                settled.retain(|label| !heads.contains(&label.as_str()));
                (settled, export)
            },
            |eval, root, wanted| {
                let program = eval.program();
                extract::extract_from(eval, root, program, false, false, wanted.as_deref())
            },
        );
        let document = match exported {
            None => Err(package.diagnostics().to_vec()),
            Some(Err(errors)) => Err(errors),
            Some(Ok((exported, _))) => Ok(jsonschema::document(&exported, None)),
        };
        (package, document)
    }

    fn exported(&self) -> Result<Exported, Vec<Diagnostic>> {
        if !self.diagnostics().is_empty() {
            return Err(self.diagnostics().to_vec());
        }
        extract_definitions(&self.program)
    }
}

/// What [`Package::load_with_json_schema_of`] evaluates and exports of a package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The definitions to export (`#Order`, `#A.#B`), or `None` for every one.
    pub export: Option<Vec<String>>,
    /// Top-level fields (by label: `#Order`, `events`) that the caller knows to hold no
    /// error, from an earlier evaluation of the same text and of everything it refers to.
    /// They are not evaluated unless an evaluated value refers to them, so their errors are
    /// not reported: a wrong claim hides errors. Definitions to export are evaluated anyway.
    pub settled: Vec<String>,
}

/// `#Order` becomes `Order`, `#A.#B` becomes `A.B`; anything else is not a definition name.
pub(crate) fn definition_name(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.trim().split('.').collect();
    let mut names = Vec::new();
    for part in parts {
        let name = part.strip_prefix('#')?;
        if name.is_empty() {
            return None;
        }
        names.push(name);
    }
    Some(names.join("."))
}

/// Everything the encoders need from one package.
pub(crate) struct Exported {
    /// The concrete value of the package's `info` field, if it has one.
    pub(crate) info: Option<Json>,
    /// The package's doc comment, which OpenAPI uses as the title when `info` is not set.
    pub(crate) title: Option<String>,
    /// The package's `$version`, which OpenAPI uses as the version when `info` has none.
    pub(crate) version: Option<String>,
    pub(crate) definitions: Vec<Definition>,
}

impl Exported {
    /// The exported name of the definition `text` names (`#A.#B` is `A.B`), checked.
    fn root(&self, definition: Option<&str>) -> Result<Option<String>, Vec<Diagnostic>> {
        let Some(text) = definition else {
            return Ok(None);
        };
        let name = definition_name(text).ok_or_else(|| {
            vec![Diagnostic::error(
                "EXPORT",
                format!("{text:?} is not a definition name such as #Order"),
            )]
        })?;
        if !self.definitions.iter().any(|d| d.name == name) {
            return Err(vec![Diagnostic::error(
                "EXPORT",
                format!("no definition {text} in the package"),
            )]);
        }
        Ok(Some(name))
    }

    /// `root` and every definition it refers to, directly or not.
    pub(crate) fn closure(&self, root: &str) -> BTreeSet<String> {
        let by_name: HashMap<&str, &Shape> = self
            .definitions
            .iter()
            .map(|d| (d.name.as_str(), &d.shape))
            .collect();
        let mut seen = BTreeSet::new();
        let mut stack = vec![root.to_string()];
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(shape) = by_name.get(name.as_str()) {
                references(shape, &mut stack);
            }
        }
        seen
    }
}

/// The names of the definitions `shape` refers to, directly.
fn references(shape: &Shape, out: &mut Vec<String>) {
    for combinator in &shape.combinators {
        for branch in combinator.branches().into_iter().flatten() {
            references(branch, out);
        }
    }
    match &shape.body {
        Body::Ref(name) => out.push(name.clone()),
        Body::Any | Body::Scalar(_) => {}
        Body::Struct(s) => {
            for p in &s.properties {
                references(&p.shape, out);
            }
            for (_, p) in &s.patterns {
                references(p, out);
            }
            if let Some(a) = &s.additional {
                references(a, out);
            }
            for (_, p) in &s.excluding {
                references(p, out);
            }
        }
        Body::List(l) => {
            for p in &l.prefix {
                references(p, out);
            }
            if let Some(r) = &l.rest {
                references(r, out);
            }
        }
        Body::OneOf(options) => {
            for (o, _) in options {
                references(o, out);
            }
        }
    }
}

/// Renames every reference in `shape` that `rename` gives a new name.
fn rename_references(shape: &mut Shape, rename: &dyn Fn(&str) -> Option<String>) {
    for combinator in &mut shape.combinators {
        for branch in combinator.branches_mut().into_iter().flatten() {
            rename_references(branch, rename);
        }
    }
    match &mut shape.body {
        Body::Ref(name) => {
            if let Some(new) = rename(name) {
                *name = new;
            }
        }
        Body::Any | Body::Scalar(_) => {}
        Body::Struct(s) => {
            let nested = s.properties.iter_mut().map(|p| &mut p.shape);
            let nested = nested.chain(s.patterns.iter_mut().map(|(_, p)| p));
            let nested = nested.chain(s.additional.as_deref_mut());
            for shape in nested.chain(s.excluding.iter_mut().map(|(_, p)| p)) {
                rename_references(shape, rename);
            }
        }
        Body::List(l) => {
            for shape in l.prefix.iter_mut().chain(l.rest.as_deref_mut()) {
                rename_references(shape, rename);
            }
        }
        Body::OneOf(options) => {
            for (shape, _) in options {
                rename_references(shape, rename);
            }
        }
    }
}

pub(crate) struct Definition {
    /// Without `#`; nested definitions joined by dots (`Outer.Inner`).
    pub(crate) name: String,
    pub(crate) shape: Shape,
    /// Where the definition is declared (its label), for findings that point at it.
    pub(crate) span: Option<Span>,
}

/// What one value accepts, independent of the encoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape {
    pub(crate) body: Body,
    /// The doc comments of the field or definition.
    pub(crate) description: Option<String>,
    /// The default (`*x`) of a disjunction, when it is concrete.
    pub(crate) default: Option<Json>,
    /// Constraints no encoding here can state, as CUE text.
    pub(crate) unsupported: Vec<String>,
    /// Validators taking schemas (`matchN`, `matchIf`, `list.MatchN`), each of which the
    /// value must also satisfy.
    pub(crate) combinators: Vec<Combinator>,
    /// The CUE text of each validator stated in `combinators` (`matchN(1, [int, string])`),
    /// which compatibility compares by declaration.
    pub(crate) validators: Vec<String>,
}

impl Shape {
    pub(crate) fn new(body: Body) -> Shape {
        Shape {
            body,
            description: None,
            default: None,
            unsupported: Vec::new(),
            combinators: Vec::new(),
            validators: Vec::new(),
        }
    }
}

/// A schema inside a combinator: `None` stands for a schema that is an error
/// (`error("disallowed")`), which accepts nothing.
pub(crate) type Branch = Option<Shape>;

impl Combinator {
    /// Every schema the combinator holds, in order, to change.
    fn branches_mut(&mut self) -> Vec<&mut Branch> {
        match self {
            Combinator::OneOf(b)
            | Combinator::AnyOf(b)
            | Combinator::AllOf(b)
            | Combinator::Not(b) => b.iter_mut().collect(),
            Combinator::IfThenElse {
                condition,
                then,
                otherwise,
            } => std::iter::once(&mut **condition)
                .chain(then.as_deref_mut())
                .chain(otherwise.as_deref_mut())
                .collect(),
            Combinator::Contains { schema, .. } => vec![&mut **schema],
        }
    }

    /// Every schema the combinator holds, in order.
    pub(crate) fn branches(&self) -> Vec<&Branch> {
        match self {
            Combinator::OneOf(b)
            | Combinator::AnyOf(b)
            | Combinator::AllOf(b)
            | Combinator::Not(b) => b.iter().collect(),
            Combinator::IfThenElse {
                condition,
                then,
                otherwise,
            } => std::iter::once(&**condition)
                .chain(then.as_deref())
                .chain(otherwise.as_deref())
                .collect(),
            Combinator::Contains { schema, .. } => vec![&**schema],
        }
    }
}

/// A validator taking schemas, in the vocabulary of JSON Schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Combinator {
    /// `matchN(1, [...])`: exactly one of the schemas.
    OneOf(Vec<Branch>),
    /// `matchN(>=1, [...])`: at least one.
    AnyOf(Vec<Branch>),
    /// `matchN(n, [...])` with `n` schemas: all of them.
    AllOf(Vec<Branch>),
    /// `matchN(0, [...])`: none of them (one schema, or any of several).
    Not(Vec<Branch>),
    /// `matchIf(if, then, else)`; `_` branches are left out.
    IfThenElse {
        condition: Box<Branch>,
        then: Option<Box<Branch>>,
        otherwise: Option<Box<Branch>>,
    },
    /// `list.MatchN(n, schema)`: between `min` and `max` elements match `schema`.
    Contains {
        schema: Box<Branch>,
        min: Option<u64>,
        max: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    /// `_`: anything.
    Any,
    /// A reference to another definition, by exported name.
    Ref(String),
    Scalar(ScalarShape),
    Struct(StructShape),
    List(ListShape),
    /// A disjunction: the alternatives that did not fail, with whether each is a default.
    /// Without alternatives it accepts nothing: an explicit `_|_` (`foo?: _|_`, a field that
    /// may not be present) is the empty disjunction.
    OneOf(Vec<(Shape, bool)>),
}

/// A value that is neither a struct literal nor a list literal: its kinds, its value when
/// concrete, and the keywords its checks map to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScalarShape {
    pub(crate) kinds: Kinds,
    pub(crate) value: Option<Json>,
    pub(crate) keywords: Vec<Keyword>,
    /// The name of the builtin validator of an imported package that is the whole value,
    /// written as a reference and mapped to no keyword (`Duration` for `time.Duration`):
    /// OpenAPI lists it as a schema of that name and refers to it, as CUE does.
    pub(crate) named: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StructShape {
    pub(crate) properties: Vec<Property>,
    /// Pattern constraints as (ECMA-262 regex, value) pairs.
    pub(crate) patterns: Vec<(String, Shape)>,
    /// `[string]: T`: every field's value.
    pub(crate) additional: Option<Box<Shape>>,
    /// Pattern constraints on the labels that match none of some regexes
    /// (`[!~"^(a|b)$" & !~"^x-"]: T`), as (ECMA-262 regexes, value) pairs.
    pub(crate) excluding: Vec<(Vec<String>, Shape)>,
    /// Whether a closed definition limits the fields to those declared and matched.
    pub(crate) closed: bool,
    /// Whether the struct declares `...` and the package document states it (as
    /// `additionalProperties: true`, the layout of CUE v0.17's generator); `false` in every
    /// other document.
    pub(crate) ellipsis: bool,
    /// Validators on the struct (`struct.MinFields`).
    pub(crate) keywords: Vec<Keyword>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Property {
    pub(crate) name: String,
    pub(crate) presence: Presence,
    pub(crate) shape: Shape,
    /// The label of the field's first declaration, for findings that point at it (compat).
    pub(crate) span: Option<Span>,
    /// Whether an attribute of the field marks it deprecated (`@protobuf(5,deprecated)`).
    pub(crate) deprecated: bool,
}

/// How a field's absence is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    /// `a?: T`: may be absent.
    Optional,
    /// `a!: T`: must be present.
    Required,
    /// `a: T` whose value is complete without data (a concrete value, a default): CUE fills
    /// it in, so data may omit it. OpenAPI still lists it as required, as CUE does.
    RegularComplete,
    /// `a: T` whose value is not complete: data must supply it.
    RegularIncomplete,
    /// `a: "\(first) \(last)"`: computed from other fields the data sets, so data need not
    /// supply it (neither OpenAPI nor JSON Schema lists it as required).
    RegularComputed,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListShape {
    /// The elements before the ellipsis.
    pub(crate) prefix: Vec<Shape>,
    /// `None` for a closed list; `Some(Any)` for `...`, `Some(T)` for `...T`.
    pub(crate) rest: Option<Box<Shape>>,
    /// Validators on the list (`list.MinItems`).
    pub(crate) keywords: Vec<Keyword>,
}

/// One constraint, in the shared vocabulary of OpenAPI and JSON Schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Keyword {
    /// `>=n` (`exclusive: false`) or `>n`. `implied` marks the bounds of a predeclared type
    /// such as `int32`, which OpenAPI states with `format` instead.
    Minimum {
        value: Json,
        exclusive: bool,
        implied: bool,
    },
    Maximum {
        value: Json,
        exclusive: bool,
        implied: bool,
    },
    Pattern(String),
    NotPattern(String),
    NotEqual(Json),
    MinLength(u64),
    MaxLength(u64),
    MinItems(u64),
    MaxItems(u64),
    UniqueItems,
    MinProperties(u64),
    MaxProperties(u64),
    MultipleOf(Json),
    /// A string format (`date-time`, `ipv4`, `uuid`) or a numeric one (`int32`, `double`).
    Format(&'static str),
}

/// The JSON Schema type names of a set of kinds (`number` covers `int | float`).
pub(crate) fn type_names(kinds: Kinds) -> Vec<&'static str> {
    let mut names = Vec::new();
    let table = [
        (Kinds::NULL, "null"),
        (Kinds::BOOL, "boolean"),
        (Kinds::STRING, "string"),
        (Kinds::BYTES, "string"),
        (Kinds::LIST, "array"),
        (Kinds::STRUCT, "object"),
    ];
    if kinds.contains(Kinds::FLOAT) {
        names.push("number");
    } else if kinds.contains(Kinds::INT) {
        names.push("integer");
    }
    for (kind, name) in table {
        if kinds.contains(kind) && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Writes a keyword that OpenAPI and JSON Schema spell alike: a count (`minLength` to
/// `maxProperties`, keeping the tighter of two), `uniqueItems`, or `multipleOf` (a second one
/// goes to `all_of`, since both must hold). The other keywords are each encoder's own: this
/// writes nothing for them.
pub(crate) fn shared_keyword(
    keyword: &Keyword,
    out: &mut serde_json::Map<String, Json>,
    all_of: &mut Vec<Json>,
) {
    let (key, count, minimum) = match keyword {
        Keyword::MinLength(n) => ("minLength", n, true),
        Keyword::MaxLength(n) => ("maxLength", n, false),
        Keyword::MinItems(n) => ("minItems", n, true),
        Keyword::MaxItems(n) => ("maxItems", n, false),
        Keyword::MinProperties(n) => ("minProperties", n, true),
        Keyword::MaxProperties(n) => ("maxProperties", n, false),
        Keyword::UniqueItems => {
            out.insert("uniqueItems".into(), Json::Bool(true));
            return;
        }
        Keyword::MultipleOf(n) if out.contains_key("multipleOf") => {
            all_of.push(serde_json::json!({"multipleOf": n}));
            return;
        }
        Keyword::MultipleOf(n) => {
            out.insert("multipleOf".into(), n.clone());
            return;
        }
        Keyword::Minimum { .. }
        | Keyword::Maximum { .. }
        | Keyword::Pattern(_)
        | Keyword::NotPattern(_)
        | Keyword::NotEqual(_)
        | Keyword::Format(_) => return,
    };
    let keep_existing = match out.get(key).and_then(Json::as_u64) {
        Some(existing) if minimum => existing >= *count,
        Some(existing) => existing <= *count,
        None => false,
    };
    if !keep_existing {
        out.insert(key.into(), Json::from(*count));
    }
}

/// Whether the bound `value` is tighter than the one already set (or none is).
pub(crate) fn tighter(existing: Option<&Json>, value: &Json, minimum: bool) -> bool {
    let (Some(existing), Some(new)) = (existing.and_then(Json::as_f64), value.as_f64()) else {
        return true;
    };
    if minimum {
        new >= existing
    } else {
        new <= existing
    }
}

#[cfg(test)]
mod tests;

/// Whether `shape` certainly accepts the JSON value `value`: used to leave out a default
/// that another alternative already accepts (`*1 | int` is an integer with default 1). Where
/// it cannot tell (a reference, a format), it answers no, which only keeps an alternative.
pub(crate) fn accepts(shape: &Shape, value: &Json) -> bool {
    match &shape.body {
        Body::Any => true,
        Body::Ref(_) => false,
        Body::OneOf(options) => options.iter().any(|(o, _)| accepts(o, value)),
        Body::Scalar(scalar) => {
            if let Some(own) = &scalar.value {
                return own == value;
            }
            let kind = match value {
                Json::Null => Kinds::NULL,
                Json::Bool(_) => Kinds::BOOL,
                Json::String(_) => Kinds::STRING,
                Json::Number(n) if n.is_i64() || n.is_u64() => Kinds::INT,
                Json::Number(_) => Kinds::FLOAT,
                Json::Array(_) => Kinds::LIST,
                Json::Object(_) => Kinds::STRUCT,
            };
            scalar.kinds.contains(kind)
                && scalar
                    .keywords
                    .iter()
                    .all(|k| keyword_accepts(k, value) == Some(true))
        }
        Body::List(list) => {
            let Json::Array(items) = value else {
                return false;
            };
            items.len() >= list.prefix.len()
                && (list.rest.is_some() || items.len() == list.prefix.len())
                && items
                    .iter()
                    .enumerate()
                    .all(|(i, item)| match list.prefix.get(i) {
                        Some(shape) => accepts(shape, item),
                        None => list.rest.as_deref().is_some_and(|r| accepts(r, item)),
                    })
                && list
                    .keywords
                    .iter()
                    .all(|k| keyword_accepts(k, value) == Some(true))
        }
        Body::Struct(object) => {
            let Json::Object(fields) = value else {
                return false;
            };
            let declared_ok = object.properties.iter().all(|p| match fields.get(&p.name) {
                Some(v) => accepts(&p.shape, v),
                None => matches!(
                    p.presence,
                    Presence::Optional | Presence::RegularComplete | Presence::RegularComputed
                ),
            });
            let others_ok = fields.iter().all(|(name, v)| {
                object.properties.iter().any(|p| &p.name == name)
                    || match &object.additional {
                        Some(additional) => accepts(additional, v),
                        None => !object.closed && object.patterns.is_empty(),
                    }
            });
            declared_ok && others_ok && object.keywords.is_empty()
        }
    }
}

/// Whether one keyword holds for a value; `None` when this cannot tell.
pub(crate) fn keyword_accepts(keyword: &Keyword, value: &Json) -> Option<bool> {
    let number = value.as_f64();
    let count = |n: &u64| *n as usize;
    Some(match (keyword, value) {
        (
            Keyword::Minimum {
                value: limit,
                exclusive,
                ..
            },
            _,
        ) => {
            let (v, l) = (number?, limit.as_f64()?);
            if *exclusive {
                v > l
            } else {
                v >= l
            }
        }
        (
            Keyword::Maximum {
                value: limit,
                exclusive,
                ..
            },
            _,
        ) => {
            let (v, l) = (number?, limit.as_f64()?);
            if *exclusive {
                v < l
            } else {
                v <= l
            }
        }
        (Keyword::Pattern(p), Json::String(s)) => crate::re2::compile(p).ok()?.is_match(s),
        (Keyword::NotPattern(p), Json::String(s)) => !crate::re2::compile(p).ok()?.is_match(s),
        (Keyword::NotEqual(other), _) => other != value,
        (Keyword::MinLength(n), Json::String(s)) => s.chars().count() >= count(n),
        (Keyword::MaxLength(n), Json::String(s)) => s.chars().count() <= count(n),
        (Keyword::MinItems(n), Json::Array(a)) => a.len() >= count(n),
        (Keyword::MaxItems(n), Json::Array(a)) => a.len() <= count(n),
        (Keyword::MinProperties(n), Json::Object(o)) => o.len() >= count(n),
        (Keyword::MaxProperties(n), Json::Object(o)) => o.len() <= count(n),
        (Keyword::Format("int32" | "int64" | "float" | "double"), _) => true,
        _ => return None,
    })
}

/// The alternatives of a disjunction without its default when another alternative accepts
/// it: the default then adds no value, only the `default` keyword.
pub(crate) fn without_subsumed_default<'s>(
    options: &'s [(Shape, bool)],
    default: Option<&Json>,
) -> Vec<&'s Shape> {
    let mut kept = Vec::new();
    for (i, (shape, is_default)) in options.iter().enumerate() {
        let subsumed = *is_default
            && default.is_some_and(|value| {
                shape_value(shape).as_ref() == Some(value)
                    && options
                        .iter()
                        .enumerate()
                        .any(|(j, (other, _))| j != i && accepts(other, value))
            });
        if !subsumed {
            kept.push(shape);
        }
    }
    kept
}

/// The value of a shape that admits exactly one value (a literal, or a struct or closed list
/// of literals), when it is that simple.
pub(crate) fn shape_value(shape: &Shape) -> Option<Json> {
    match &shape.body {
        Body::Scalar(ScalarShape { value: Some(v), .. }) => Some(v.clone()),
        Body::List(ListShape {
            prefix,
            rest: None,
            keywords,
        }) if keywords.is_empty() => prefix
            .iter()
            .map(shape_value)
            .collect::<Option<Vec<_>>>()
            .map(Json::Array),
        Body::Struct(object) if object.patterns.is_empty() && object.additional.is_none() => {
            let mut out = serde_json::Map::new();
            for p in &object.properties {
                if p.presence != Presence::Optional {
                    out.insert(p.name.clone(), shape_value(&p.shape)?);
                }
            }
            Some(Json::Object(out))
        }
        _ => None,
    }
}
