//! JSON Schema (drafts 4, 6, 7, 2019-09 and 2020-12) to CUE.
//!
//! One document (plus the documents its `$ref`s reach through a [`Loader`]) becomes CUE
//! definitions: the root schema under the name the caller gives (`#Schema`), every entry of
//! `$defs`/`definitions` and every other `$ref` target under a name of its own. A schema
//! becomes the conjunction of what applies to every value (`$ref`, `const`, `enum`, `allOf`,
//! `anyOf`, `oneOf`) and a disjunction over the JSON types it allows, each type carrying the
//! keywords that apply to it: `properties` only constrain objects, `minLength` only strings,
//! as JSON Schema has it. `type: integer` is CUE's `int`, so a JSON number written with a
//! fraction (`1.0`) is not an integer here.
//!
//! Keywords CUE cannot state are warnings and comments (see [`super::Warning`]): `not` beyond
//! types, constants and required names, `if`/`then`/`else`, `contains` beyond the trivial,
//! `unevaluated*` where other applicators are present, and a `oneOf` whose alternatives may
//! overlap (it is imported as `anyOf`: a document matching several alternatives is accepted).

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use super::{
    identifier, label, print_file, quote, regex_escape, Decl, Expr, ImportError, Imported,
    Presence, Struct, Warning,
};

/// The JSON Schema dialect a document is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Draft {
    Draft4,
    Draft6,
    Draft7,
    Draft2019,
    Draft2020,
}

impl Draft {
    /// The draft a `$schema` URI names.
    pub fn from_uri(uri: &str) -> Option<Draft> {
        let uri = uri.trim_end_matches('#');
        if uri.contains("draft-04") {
            Some(Draft::Draft4)
        } else if uri.contains("draft-06") {
            Some(Draft::Draft6)
        } else if uri.contains("draft-07") {
            Some(Draft::Draft7)
        } else if uri.contains("2019-09") {
            Some(Draft::Draft2019)
        } else if uri.contains("2020-12") {
            Some(Draft::Draft2020)
        } else {
            None
        }
    }
}

/// Finds documents that `$ref`s name outside the document being imported.
pub trait Loader {
    /// The document at absolute URI `uri` (without fragment); `Ok(None)` when unknown.
    fn load(&self, uri: &str) -> Result<Option<Value>, String>;
}

/// A loader that knows no other document.
pub struct NoDocuments;

impl Loader for NoDocuments {
    fn load(&self, _uri: &str) -> Result<Option<Value>, String> {
        Ok(None)
    }
}

/// What to import and how to name it.
#[derive(Debug, Clone)]
pub struct Options {
    /// `package` clause of the output, if any.
    pub package: Option<String>,
    /// The draft of documents without `$schema` (2020-12 when `None`).
    pub default_draft: Option<Draft>,
}

/// One document to import: its URI (which relative `$ref`s resolve against), its JSON, and
/// the definition its root becomes (`#Schema`).
pub struct Root<'a> {
    pub uri: String,
    pub document: &'a Value,
    pub definition: String,
}

/// Imports `roots` (usually one) into one CUE file.
pub fn import(
    roots: &[Root<'_>],
    loader: &dyn Loader,
    options: &Options,
) -> Result<Imported, ImportError> {
    let mut importer = Importer {
        docs: Vec::new(),
        loader,
        options,
        defs: Vec::new(),
        def_by_target: HashMap::new(),
        names: HashSet::new(),
        queue: VecDeque::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
        multi: roots.len() > 1,
        referenced: HashSet::new(),
    };
    let mut file_doc = Vec::new();
    for root in roots {
        let index = importer.add_document(&root.uri, root.document.clone());
        let name = definition_name(&root.definition);
        importer.names.insert(name.clone());
        importer.def_for(index, String::new(), Some(name));
        if roots.len() == 1 {
            if let Some(Value::String(schema)) = root.document.get("$schema") {
                file_doc.push(format!("Imported from JSON Schema ({schema})."));
            }
        }
    }
    while let Some(slot) = importer.queue.pop_front() {
        importer.emit(slot)?;
    }
    // A definition that accepts nothing (`false`) is an error of the whole package to CUE,
    // so that every document would fail: one no schema refers to is left out, and said so.
    for (slot, d) in importer.defs.iter().enumerate() {
        if d.value == Some(Expr::Bottom)
            && slot >= roots.len()
            && !importer.referenced.contains(&slot)
        {
            file_doc.push(format!(
                "{} ({}) accepts nothing and nothing refers to it: left out, as CUE counts a definition that is _|_ as an error of the package.",
                d.name,
                importer.display_pointer(d.doc_index, &d.pointer)
            ));
        }
    }
    let decls: Vec<Decl> = importer
        .defs
        .iter()
        .enumerate()
        .filter(|(slot, d)| {
            !(d.value == Some(Expr::Bottom)
                && *slot >= roots.len()
                && !importer.referenced.contains(slot))
        })
        .map(|(_, d)| d)
        .filter_map(|d| {
            Some(Decl::Field {
                doc: d.doc.clone(),
                name: d.name.clone(),
                presence: Presence::Regular,
                value: d.value.clone()?,
            })
        })
        .collect();
    let source = print_file(options.package.as_deref(), &file_doc, &decls);
    Ok(Imported {
        source,
        warnings: importer.warnings,
    })
}

/// `#Name` from `Name` or `#Name`, made an identifier.
pub fn definition_name(text: &str) -> String {
    format!("#{}", identifier(text.trim_start_matches('#')))
}

struct Doc {
    /// Base URI of the document (no fragment).
    uri: String,
    value: Value,
    draft: Draft,
    /// Absolute URI of every resource (`$id`) to its pointer.
    resources: HashMap<String, String>,
    /// `uri#anchor` to pointer (`$anchor`, `$dynamicAnchor`, draft-7 `$id: "#name"`).
    anchors: HashMap<String, String>,
    /// The base URI at each schema's pointer.
    bases: HashMap<String, String>,
}

struct Def {
    doc_index: usize,
    pointer: String,
    name: String,
    doc: Vec<String>,
    value: Option<Expr>,
}

struct Importer<'a> {
    docs: Vec<Doc>,
    loader: &'a dyn Loader,
    options: &'a Options,
    defs: Vec<Def>,
    def_by_target: HashMap<(usize, String), usize>,
    names: HashSet<String>,
    queue: VecDeque<usize>,
    warnings: Vec<Warning>,
    /// Comments waiting for the field (or definition) that holds the current schema.
    notes: Vec<String>,
    /// Several documents: pointers name their file.
    multi: bool,
    /// The definitions some `$ref` names.
    referenced: HashSet<usize>,
}

/// Where a schema is: document, pointer, base URI, draft.
#[derive(Clone)]
struct Ctx {
    doc: usize,
    pointer: String,
    base: String,
    draft: Draft,
}

impl Ctx {
    fn at(&self, segment: &str) -> Ctx {
        Ctx {
            pointer: format!("{}/{}", self.pointer, escape_pointer(segment)),
            ..self.clone()
        }
    }
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Keywords whose value is one schema.
const SINGLE: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "items",
];
/// Keywords whose value is an array of schemas.
const ARRAYS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value maps names to schemas.
const MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
    "dependencies",
];

impl Importer<'_> {
    fn add_document(&mut self, uri: &str, value: Value) -> usize {
        let draft = value
            .get("$schema")
            .and_then(Value::as_str)
            .and_then(Draft::from_uri)
            .or(self.options.default_draft)
            .unwrap_or(Draft::Draft2020);
        let mut doc = Doc {
            uri: strip_fragment(uri).to_string(),
            value: Value::Null,
            draft,
            resources: HashMap::new(),
            anchors: HashMap::new(),
            bases: HashMap::new(),
        };
        let base = doc.uri.clone();
        doc.resources.insert(base.clone(), String::new());
        index_schema(&mut doc, &value, "", &base, draft);
        doc.value = value;
        self.docs.push(doc);
        self.docs.len() - 1
    }

    fn display_pointer(&self, doc: usize, pointer: &str) -> String {
        if self.multi || doc > 0 {
            let uri = &self.docs[doc].uri;
            let file = uri.rsplit('/').next().unwrap_or(uri);
            format!("{file}#{pointer}")
        } else {
            format!("#{pointer}")
        }
    }

    /// The definition slot for a target, created (and queued) when new.
    fn def_for(&mut self, doc: usize, pointer: String, name: Option<String>) -> usize {
        if let Some(&slot) = self.def_by_target.get(&(doc, pointer.clone())) {
            return slot;
        }
        let name = match name {
            Some(name) => name,
            None => self.fresh_name(doc, &pointer),
        };
        let slot = self.defs.len();
        self.defs.push(Def {
            doc_index: doc,
            pointer: pointer.clone(),
            name,
            doc: Vec::new(),
            value: None,
        });
        self.def_by_target.insert((doc, pointer), slot);
        self.queue.push_back(slot);
        slot
    }

    fn fresh_name(&mut self, doc: usize, pointer: &str) -> String {
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut base = if pointer.is_empty() {
            let uri = &self.docs[doc].uri;
            let file = uri.rsplit('/').next().unwrap_or(uri);
            identifier(file.trim_end_matches(".json"))
        } else if segments.len() == 2 && (segments[0] == "$defs" || segments[0] == "definitions") {
            identifier(&segments[1])
        } else {
            identifier(
                &segments
                    .iter()
                    .filter(|s| *s != "$defs" && *s != "definitions")
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("_"),
            )
        };
        if doc > 0 && !pointer.is_empty() {
            let uri = &self.docs[doc].uri;
            let file = uri.rsplit('/').next().unwrap_or(uri);
            base = format!("{}_{base}", identifier(file.trim_end_matches(".json")));
        }
        let mut name = format!("#{base}");
        let mut n = 2;
        while self.names.contains(&name) {
            name = format!("#{base}_{n}");
            n += 1;
        }
        self.names.insert(name.clone());
        name
    }

    fn emit(&mut self, slot: usize) -> Result<(), ImportError> {
        let (doc, pointer) = (self.defs[slot].doc_index, self.defs[slot].pointer.clone());
        let value = self.docs[doc]
            .value
            .pointer(&pointer)
            .cloned()
            .ok_or_else(|| ImportError {
                pointer: self.display_pointer(doc, &pointer),
                message: "reference to a value that does not exist".into(),
            })?;
        let ctx = Ctx {
            doc,
            base: self.base_at(doc, &pointer),
            draft: self.docs[doc].draft,
            pointer: pointer.clone(),
        };
        // Entries of `$defs`/`definitions` of the root become definitions even when nothing
        // refers to them.
        if pointer.is_empty() {
            for key in ["$defs", "definitions"] {
                if let Some(Value::Object(map)) = value.get(key) {
                    for name in map.keys() {
                        self.def_for(doc, format!("/{key}/{}", escape_pointer(name)), None);
                    }
                }
            }
        }
        let mark = self.notes.len();
        let expr = self.schema(&ctx, &value)?;
        let mut doc_lines = describe(&value);
        doc_lines.extend(self.notes.split_off(mark));
        self.defs[slot].doc = doc_lines;
        self.defs[slot].value = Some(expr);
        Ok(())
    }

    fn base_at(&self, doc: usize, pointer: &str) -> String {
        let d = &self.docs[doc];
        let mut p = pointer.to_string();
        loop {
            if let Some(base) = d.bases.get(&p) {
                return base.clone();
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return d.uri.clone(),
            }
        }
    }

    fn warn(&mut self, ctx: &Ctx, keyword: &str, value: &Value, message: &str) {
        let pointer = self.display_pointer(ctx.doc, &ctx.at(keyword).pointer);
        let shown = value.to_string();
        self.notes.push(format!(
            "{keyword} at {pointer} is not enforced ({message}): {shown}"
        ));
        self.warnings.push(Warning {
            keyword: keyword.to_string(),
            pointer,
            message: message.to_string(),
        });
    }

    /// A reference (`$ref`, `$dynamicRef`, ...) as the definition it names.
    fn reference(&mut self, ctx: &Ctx, keyword: &str, text: &str) -> Result<Expr, ImportError> {
        let (doc, pointer) = self.resolve(ctx, keyword, text)?;
        let slot = self.def_for(doc, pointer, None);
        self.referenced.insert(slot);
        Ok(Expr::atom(self.defs[slot].name.clone()))
    }

    /// The document and pointer a reference names.
    fn resolve(
        &mut self,
        ctx: &Ctx,
        keyword: &str,
        text: &str,
    ) -> Result<(usize, String), ImportError> {
        let absolute = resolve_uri(&ctx.base, text);
        let (uri, fragment) = match absolute.split_once('#') {
            Some((u, f)) => (u.to_string(), percent_decode(f)),
            None => (absolute.clone(), String::new()),
        };
        let not_found = |me: &Self| ImportError {
            pointer: me.display_pointer(ctx.doc, &ctx.at(keyword).pointer),
            message: format!("cannot resolve {keyword} {text:?} ({absolute})"),
        };
        // The document and the resource's pointer within it.
        let mut found = None;
        for (i, doc) in self.docs.iter().enumerate() {
            if let Some(p) = doc.resources.get(&uri) {
                found = Some((i, p.clone()));
                break;
            }
        }
        if found.is_none() {
            match self.loader.load(&uri) {
                Ok(Some(value)) => {
                    let index = self.add_document(&uri, value);
                    found = Some((index, String::new()));
                }
                Ok(None) => return Err(not_found(self)),
                Err(message) => {
                    return Err(ImportError {
                        pointer: self.display_pointer(ctx.doc, &ctx.at(keyword).pointer),
                        message: format!("cannot load {uri}: {message}"),
                    })
                }
            }
        }
        let Some((doc, resource)) = found else {
            return Err(not_found(self));
        };
        let pointer = if fragment.is_empty() {
            resource
        } else if fragment.starts_with('/') {
            format!("{resource}{fragment}")
        } else {
            match self.docs[doc].anchors.get(&format!("{uri}#{fragment}")) {
                Some(p) => p.clone(),
                None => return Err(not_found(self)),
            }
        };
        if self.docs[doc].value.pointer(&pointer).is_none() {
            return Err(not_found(self));
        }
        Ok((doc, pointer))
    }

    /// Adds to `out` the property names and patterns that `value` (a subschema applied in
    /// place: `allOf`, `$ref`, ...) evaluates, for `unevaluatedProperties`.
    fn evaluated(
        &mut self,
        ctx: &Ctx,
        value: &Value,
        depth: usize,
        exact: bool,
        out: &mut Evaluated,
    ) -> Result<(), ImportError> {
        let Value::Object(o) = value else {
            return Ok(());
        };
        out.exact &= exact;
        if depth > 16 {
            return Ok(());
        }
        if let Some(Value::Object(props)) = o.get("properties") {
            out.names.extend(props.keys().cloned());
        }
        if let Some(Value::Object(props)) = o.get("patternProperties") {
            out.patterns.extend(props.keys().cloned());
        }
        if o.contains_key("additionalProperties") || o.contains_key("unevaluatedProperties") {
            out.all = true;
        }
        for (keyword, in_place) in [
            ("allOf", true),
            ("anyOf", false),
            ("oneOf", false),
            ("then", false),
            ("else", false),
            ("if", false),
        ] {
            match o.get(keyword) {
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        let inner = ctx.at(keyword).at(&i.to_string());
                        self.evaluated(&inner, item, depth + 1, exact && in_place, out)?;
                    }
                }
                Some(item) => {
                    self.evaluated(&ctx.at(keyword), item, depth + 1, exact && in_place, out)?
                }
                None => {}
            }
        }
        if let Some(Value::Object(map)) = o.get("dependentSchemas") {
            for (name, item) in map {
                let inner = ctx.at("dependentSchemas").at(name);
                self.evaluated(&inner, item, depth + 1, false, out)?;
            }
        }
        for (keyword, in_place) in [
            ("$ref", true),
            ("$dynamicRef", false),
            ("$recursiveRef", false),
        ] {
            if let Some(Value::String(text)) = o.get(keyword) {
                // A reference that does not resolve is the schema's error, reported where
                // the schema itself is imported; here it only stops the search.
                let Ok((doc, pointer)) = self.resolve(ctx, keyword, text) else {
                    out.all = true;
                    continue;
                };
                let target = self.docs[doc].value.pointer(&pointer).cloned();
                if let Some(target) = target {
                    let inner = Ctx {
                        doc,
                        base: self.base_at(doc, &pointer),
                        draft: ctx.draft,
                        pointer,
                    };
                    self.evaluated(&inner, &target, depth + 1, exact && in_place, out)?;
                }
            }
        }
        Ok(())
    }

    /// The CUE expression for one schema.
    fn schema(&mut self, ctx: &Ctx, value: &Value) -> Result<Expr, ImportError> {
        let object = match value {
            // Draft 4 has no boolean schemas: only its two keywords below take a boolean.
            Value::Bool(_)
                if ctx.draft == Draft::Draft4
                    && !ctx.pointer.ends_with("/additionalProperties")
                    && !ctx.pointer.ends_with("/additionalItems") =>
            {
                return Err(ImportError {
                    pointer: self.display_pointer(ctx.doc, &ctx.pointer),
                    message: "draft 4 has no boolean schemas (only additionalProperties and additionalItems take a boolean); name draft 6 or later in $schema".into(),
                });
            }
            Value::Bool(true) => return Ok(Expr::Top),
            Value::Bool(false) => return Ok(Expr::Bottom),
            Value::Object(object) => object,
            other => {
                return Err(ImportError {
                    pointer: self.display_pointer(ctx.doc, &ctx.pointer),
                    message: format!("a schema must be an object or a boolean, not {other}"),
                })
            }
        };
        let mut ctx = ctx.clone();
        if let Some(base) = self.docs[ctx.doc].bases.get(&ctx.pointer) {
            ctx.base = base.clone();
        }
        let ctx = &ctx;
        let draft = ctx.draft;
        if draft <= Draft::Draft7 && !ctx.pointer.is_empty() {
            if let Some(v) = object.get("$schema") {
                return Err(self.invalid(
                    ctx,
                    "$schema",
                    v,
                    "at the root of the document in draft 7 and earlier",
                ));
            }
        }
        let mut conj = Vec::new();
        if let Some(Value::String(text)) = object.get("$ref") {
            let target = self.reference(ctx, "$ref", text)?;
            if draft <= Draft::Draft7 {
                return Ok(target);
            }
            conj.push(target);
        }
        for keyword in ["$recursiveRef", "$dynamicRef"] {
            if let Some(Value::String(text)) = object.get(keyword) {
                conj.push(self.reference(ctx, keyword, text)?);
                let note = "resolved statically, to the schema the reference names";
                self.notes.push(format!(
                    "{keyword} at {} is {note}",
                    self.display_pointer(ctx.doc, &ctx.at(keyword).pointer)
                ));
            }
        }
        if let Some(c) = object.get("const") {
            conj.push(constant(c));
        }
        if let Some(e) = object.get("enum") {
            match e {
                Value::Array(items) => conj.push(Expr::or(items.iter().map(constant).collect())),
                other => return Err(self.invalid(ctx, "enum", other, "an array")),
            }
        }
        let kinds = match object.get("type") {
            Some(t) => self.kinds(ctx, t)?,
            None => Kinds::ALL,
        };
        for keyword in ["allOf", "anyOf", "oneOf"] {
            let Some(v) = object.get(keyword) else {
                continue;
            };
            let Value::Array(items) = v else {
                return Err(self.invalid(ctx, keyword, v, "an array of schemas"));
            };
            let inner = ctx.at(keyword);
            let mut parts = Vec::new();
            for (i, item) in items.iter().enumerate() {
                parts.push(self.schema(&inner.at(&i.to_string()), item)?);
            }
            match keyword {
                "allOf" => conj.push(Expr::and(parts)),
                "anyOf" => conj.push(Expr::or(parts)),
                _ => {
                    if disjoint(items) {
                        conj.push(Expr::or(parts));
                        continue;
                    }
                    // Exactly one: each alternative with the negation of the others, when
                    // every alternative can be negated.
                    let mut negations = Vec::new();
                    for (i, item) in items.iter().enumerate() {
                        match self.negate(&inner.at(&i.to_string()), item)? {
                            Some(n) if items.len() <= 8 => negations.push(n),
                            _ => break,
                        }
                    }
                    if negations.len() == items.len() {
                        let mut alternatives = Vec::new();
                        for (i, part) in parts.into_iter().enumerate() {
                            let mut all = vec![part];
                            for (j, n) in negations.iter().enumerate() {
                                if j != i {
                                    all.push(n.clone());
                                }
                            }
                            alternatives.push(Expr::and(all));
                        }
                        conj.push(Expr::or(alternatives));
                    } else {
                        self.warn(
                            ctx,
                            keyword,
                            v,
                            "imported as anyOf: a value matching several alternatives is accepted",
                        );
                        conj.push(Expr::or(parts))
                    }
                }
            }
        }
        if let Some(n) = object.get("not") {
            match self.negate(&ctx.at("not"), n)? {
                Some(expr) => conj.push(expr),
                None => self.warn(ctx, "not", n, "CUE cannot negate this schema"),
            }
        }
        if object.contains_key("if") && ctx.draft >= Draft::Draft7 {
            let mut whole = Map::new();
            for k in ["if", "then", "else"] {
                if let Some(x) = object.get(k) {
                    whole.insert(k.to_string(), x.clone());
                }
            }
            if whole.len() > 1 {
                let condition = &object["if"];
                match self.negate(&ctx.at("if"), condition)? {
                    Some(negated) => {
                        // (if & then) | (not if & else)
                        let test = self.schema(&ctx.at("if"), condition)?;
                        let then = match object.get("then") {
                            Some(t) => self.schema(&ctx.at("then"), t)?,
                            None => Expr::Top,
                        };
                        let otherwise = match object.get("else") {
                            Some(e) => self.schema(&ctx.at("else"), e)?,
                            None => Expr::Top,
                        };
                        conj.push(Expr::or(vec![
                            Expr::and(vec![test, then]),
                            Expr::and(vec![negated, otherwise]),
                        ]));
                    }
                    None => {
                        let message = "CUE cannot test a value against this schema";
                        self.warn(ctx, "if", &Value::Object(whole), message);
                    }
                }
            }
        }

        // What applies to each JSON type.
        let number = self.number(ctx, object)?;
        let string = self.string(ctx, object)?;
        let array = if kinds.array {
            self.array(ctx, object)?
        } else {
            None
        };
        let obj = if kinds.object {
            self.object(ctx, object)?
        } else {
            None
        };
        let mut alternatives = Vec::new();
        let constrained =
            !number.is_empty() || !string.is_empty() || array.is_some() || obj.is_some();
        if kinds == Kinds::ALL && !constrained {
            // Every value: nothing to state.
        } else {
            if kinds.null {
                alternatives.push(Expr::atom("null"));
            }
            if kinds.boolean {
                alternatives.push(Expr::atom("bool"));
            }
            if kinds.number || kinds.integer {
                let base = if kinds.number { "number" } else { "int" };
                let bounded = number.iter().any(
                    |e| matches!(e, Expr::Atom(a) if a.starts_with('>') || a.starts_with('<')),
                );
                let mut parts = Vec::new();
                if !(kinds.number && bounded) {
                    parts.push(Expr::atom(base));
                }
                parts.extend(number);
                alternatives.push(Expr::and(parts));
            }
            if kinds.string {
                let mut parts = vec![Expr::atom("string")];
                parts.extend(string);
                alternatives.push(Expr::and(parts));
            }
            if kinds.array {
                alternatives.push(array.unwrap_or(Expr::List {
                    prefix: Vec::new(),
                    rest: Some(Box::new(Expr::Top)),
                }));
            }
            if kinds.object {
                alternatives.push(obj.unwrap_or(Expr::Struct(Struct {
                    decls: Vec::new(),
                    open: true,
                    closed: false,
                })));
            }
            conj.push(Expr::or(alternatives));
        }
        let mut expr = Expr::and(conj);
        if let Some(d) = object.get("default") {
            expr = with_default(expr, d);
        }
        Ok(expr)
    }

    fn invalid(&self, ctx: &Ctx, keyword: &str, value: &Value, wanted: &str) -> ImportError {
        ImportError {
            pointer: self.display_pointer(ctx.doc, &ctx.at(keyword).pointer),
            message: format!("{keyword} must be {wanted}, not {value}"),
        }
    }

    fn kinds(&self, ctx: &Ctx, t: &Value) -> Result<Kinds, ImportError> {
        let names: Vec<&Value> = match t {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut kinds = Kinds::NONE;
        for name in names {
            match name.as_str() {
                Some("null") => kinds.null = true,
                Some("boolean") => kinds.boolean = true,
                Some("integer") => kinds.integer = true,
                Some("number") => kinds.number = true,
                Some("string") => kinds.string = true,
                Some("array") => kinds.array = true,
                Some("object") => kinds.object = true,
                _ => {
                    return Err(self.invalid(
                        ctx,
                        "type",
                        name,
                        "one of null, boolean, integer, number, string, array, object",
                    ))
                }
            }
        }
        Ok(kinds)
    }

    /// The values a schema rejects, when CUE can state them: types, constants, bounds,
    /// lengths, patterns, required names, properties whose schemas can be negated, and
    /// `allOf`/`anyOf`/`not` of such schemas. A schema of several such keywords is rejected
    /// when one of them rejects. `None` when some keyword cannot be negated.
    fn negate(&mut self, ctx: &Ctx, v: &Value) -> Result<Option<Expr>, ImportError> {
        let object = match v {
            Value::Bool(b) => return Ok(Some(if *b { Expr::Bottom } else { Expr::Top })),
            Value::Object(o) => o,
            _ => return Ok(None),
        };
        let mut alternatives = Vec::new();
        let numeric = |k: &str| -> Option<String> {
            match object.get(k) {
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            }
        };
        let not_number = || Kinds::not_kind(Kind::Number);
        let not_string = || Kinds::not_kind(Kind::String);
        let not_object = || Kinds::not_kind(Kind::Object);
        for (key, x) in object {
            let negation = match key.as_str() {
                "title" | "description" | "$comment" | "default" | "examples" | "$schema"
                | "$id" | "$anchor" | "$defs" | "definitions" | "deprecated" | "readOnly"
                | "writeOnly" => continue,
                "type" => {
                    let kinds = self.kinds(ctx, x)?;
                    let mut rest = Kinds::ALL;
                    rest.remove(kinds);
                    Some(rest.expr())
                }
                "const" if !matches!(x, Value::Array(_) | Value::Object(_)) => Some(not_equal(x)),
                "enum" => match x {
                    Value::Array(items)
                        if items
                            .iter()
                            .all(|i| !matches!(i, Value::Array(_) | Value::Object(_))) =>
                    {
                        Some(Expr::and(items.iter().map(not_equal).collect()))
                    }
                    _ => None,
                },
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum"
                    if ctx.draft > Draft::Draft4
                        || matches!(key.as_str(), "minimum" | "maximum")
                            && !object.contains_key("exclusiveMinimum")
                            && !object.contains_key("exclusiveMaximum") =>
                {
                    numeric(key).map(|n| {
                        let op = match key.as_str() {
                            "minimum" => "<",
                            "maximum" => ">",
                            "exclusiveMinimum" => "<=",
                            _ => ">=",
                        };
                        Expr::or(vec![Expr::atom(format!("{op}{n}")), not_number()])
                    })
                }
                "minLength" => match x.as_u64() {
                    Some(0) => Some(Expr::Bottom),
                    Some(n) => Some(Expr::or(vec![
                        Expr::and(vec![
                            Expr::atom("string"),
                            Expr::atom(format!("strings.MaxRunes({})", n - 1)),
                        ]),
                        not_string(),
                    ])),
                    None => None,
                },
                "maxLength" => x.as_u64().map(|n| {
                    Expr::or(vec![
                        Expr::and(vec![
                            Expr::atom("string"),
                            Expr::atom(format!("strings.MinRunes({})", n + 1)),
                        ]),
                        not_string(),
                    ])
                }),
                "pattern" => match x {
                    Value::String(p) if crate::re2::compile(p).is_ok() => Some(Expr::or(vec![
                        Expr::and(vec![
                            Expr::atom("string"),
                            Expr::atom(format!("!~{}", quote(p))),
                        ]),
                        not_string(),
                    ])),
                    _ => None,
                },
                "required" => match x {
                    Value::Array(names) if names.iter().all(Value::is_string) => {
                        let mut out = Vec::new();
                        for name in names.iter().filter_map(Value::as_str) {
                            out.push(Expr::Struct(Struct {
                                decls: vec![Decl::Field {
                                    doc: Vec::new(),
                                    name: label(name),
                                    presence: Presence::Optional,
                                    value: Expr::Bottom,
                                }],
                                open: true,
                                closed: false,
                            }));
                        }
                        out.push(not_object());
                        Some(Expr::or(out))
                    }
                    _ => None,
                },
                "properties" => match x {
                    Value::Object(props) => {
                        let mut out = Vec::new();
                        let inner = ctx.at("properties");
                        let mut all = true;
                        for (name, schema) in props {
                            match self.negate(&inner.at(name), schema)? {
                                Some(Expr::Bottom) => {}
                                Some(n) => out.push(Expr::Struct(Struct {
                                    decls: vec![Decl::Field {
                                        doc: Vec::new(),
                                        name: label(name),
                                        presence: Presence::Required,
                                        value: n,
                                    }],
                                    open: true,
                                    closed: false,
                                })),
                                None => all = false,
                            }
                        }
                        all.then(|| Expr::or(out))
                    }
                    _ => None,
                },
                "allOf" | "anyOf" => match x {
                    Value::Array(items) => {
                        let inner = ctx.at(key);
                        let mut out = Vec::new();
                        let mut all = true;
                        for (i, item) in items.iter().enumerate() {
                            match self.negate(&inner.at(&i.to_string()), item)? {
                                Some(n) => out.push(n),
                                None => all = false,
                            }
                        }
                        all.then(|| {
                            if key == "allOf" {
                                Expr::or(out)
                            } else {
                                Expr::and(out)
                            }
                        })
                    }
                    _ => None,
                },
                "not" => Some(self.schema(&ctx.at("not"), x)?),
                _ => None,
            };
            match negation {
                Some(n) => alternatives.push(n),
                None => return Ok(None),
            }
        }
        Ok(Some(Expr::or(alternatives)))
    }

    fn number(&mut self, ctx: &Ctx, o: &Map<String, Value>) -> Result<Vec<Expr>, ImportError> {
        let mut out = Vec::new();
        let num = |me: &Self, k: &str| -> Result<Option<String>, ImportError> {
            match o.get(k) {
                None => Ok(None),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(other) => Err(me.invalid(ctx, k, other, "a number")),
            }
        };
        // Draft 4's boolean `exclusiveMinimum`/`exclusiveMaximum` make `minimum`/`maximum`
        // exclusive; CUE reads them in any draft, so a schema that mixes drafts still imports.
        let exclusive = |k: &str| o.get(k) == Some(&Value::Bool(true));
        if let Some(n) = num(self, "minimum")? {
            let op = if exclusive("exclusiveMinimum") {
                ">"
            } else {
                ">="
            };
            out.push(Expr::atom(format!("{op}{n}")));
        }
        if let Some(n) = num(self, "maximum")? {
            let op = if exclusive("exclusiveMaximum") {
                "<"
            } else {
                "<="
            };
            out.push(Expr::atom(format!("{op}{n}")));
        }
        if ctx.draft > Draft::Draft4 {
            for (keyword, op) in [("exclusiveMinimum", ">"), ("exclusiveMaximum", "<")] {
                if matches!(o.get(keyword), Some(Value::Bool(_))) {
                    continue;
                }
                if let Some(n) = num(self, keyword)? {
                    out.push(Expr::atom(format!("{op}{n}")));
                }
            }
        }
        if let Some(n) = num(self, "multipleOf")? {
            out.push(Expr::atom(format!("math.MultipleOf({n})")));
        }
        Ok(out)
    }

    fn count(
        &self,
        ctx: &Ctx,
        o: &Map<String, Value>,
        k: &str,
    ) -> Result<Option<u64>, ImportError> {
        match o.get(k) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            }) {
                Some(c) => Ok(Some(c)),
                None => {
                    Err(self.invalid(ctx, k, &Value::Number(n.clone()), "a non-negative integer"))
                }
            },
            Some(other) => Err(self.invalid(ctx, k, other, "a non-negative integer")),
        }
    }

    fn string(&mut self, ctx: &Ctx, o: &Map<String, Value>) -> Result<Vec<Expr>, ImportError> {
        let mut out = Vec::new();
        if let Some(n) = self.count(ctx, o, "minLength")? {
            if n > 0 {
                out.push(Expr::atom(format!("strings.MinRunes({n})")));
            }
        }
        if let Some(n) = self.count(ctx, o, "maxLength")? {
            out.push(Expr::atom(format!("strings.MaxRunes({n})")));
        }
        if let Some(p) = o.get("pattern") {
            let Value::String(p) = p else {
                return Err(self.invalid(ctx, "pattern", p, "a string"));
            };
            match crate::re2::compile(p) {
                Ok(_) => out.push(Expr::atom(format!("=~{}", quote(p)))),
                Err(e) => self.warn(
                    ctx,
                    "pattern",
                    &Value::String(p.clone()),
                    &format!("not an RE2 regular expression: {e}"),
                ),
            }
        }
        if let Some(Value::String(f)) = o.get("format") {
            match format_builtin(f) {
                Some(b) => out.push(Expr::atom(b)),
                None => self.warn(
                    ctx,
                    "format",
                    &Value::String(f.clone()),
                    "no CUE builtin checks this format",
                ),
            }
        }
        Ok(out)
    }

    fn array(&mut self, ctx: &Ctx, o: &Map<String, Value>) -> Result<Option<Expr>, ImportError> {
        let (prefix_key, rest_key) = if ctx.draft >= Draft::Draft2020 {
            if let Some(v @ Value::Array(_)) = o.get("items") {
                let wanted = "a schema from draft 2020-12 on (a tuple is prefixItems; name an earlier draft in $schema)";
                return Err(self.invalid(ctx, "items", v, wanted));
            }
            ("prefixItems", "items")
        } else if matches!(o.get("items"), Some(Value::Array(_))) {
            ("items", "additionalItems")
        } else {
            ("", "items")
        };
        let mut prefix = Vec::new();
        if let Some(v) = o.get(prefix_key) {
            let Value::Array(items) = v else {
                return Err(self.invalid(ctx, prefix_key, v, "an array of schemas"));
            };
            let inner = ctx.at(prefix_key);
            for (i, item) in items.iter().enumerate() {
                prefix.push(self.schema(&inner.at(&i.to_string()), item)?);
            }
        }
        let mut rest = match o.get(rest_key) {
            Some(v) if !v.is_array() => self.schema(&ctx.at(rest_key), v)?,
            _ => Expr::Top,
        };
        if let Some(v) = o.get("unevaluatedItems") {
            let applicators = [
                "allOf",
                "anyOf",
                "oneOf",
                "$ref",
                "if",
                "contains",
                "not",
                "$dynamicRef",
                "$recursiveRef",
            ];
            if applicators.iter().any(|k| o.contains_key(*k)) {
                if v != &Value::Bool(true) {
                    self.warn(
                        ctx,
                        "unevaluatedItems",
                        v,
                        "items other keywords evaluate are not known here",
                    );
                }
            } else if !o.contains_key(rest_key) || o.get(rest_key).is_some_and(Value::is_array) {
                rest = self.schema(&ctx.at("unevaluatedItems"), v)?;
            }
        }
        let mut min = self.count(ctx, o, "minItems")?;
        let max = self.count(ctx, o, "maxItems")?;
        let unique = o.get("uniqueItems") == Some(&Value::Bool(true));
        let mut validators = Vec::new();
        let mut contains_bottom = false;
        if ctx.draft >= Draft::Draft6 {
            if let Some(c) = o.get("contains") {
                let min_contains = if ctx.draft >= Draft::Draft2019 {
                    self.count(ctx, o, "minContains")?
                } else {
                    None
                };
                let max_contains = if ctx.draft >= Draft::Draft2019 {
                    self.count(ctx, o, "maxContains")?
                } else {
                    None
                };
                let trivially_true =
                    matches!(c, Value::Bool(true)) || matches!(c, Value::Object(m) if m.is_empty());
                if trivially_true && max_contains.is_none() {
                    // Any `n` items match: a minimum length, stated as `minItems` is below.
                    let n = min_contains.unwrap_or(1);
                    if n > 0 {
                        min = Some(min.map_or(n, |m| m.max(n)));
                    }
                } else if matches!(c, Value::Bool(false)) && min_contains != Some(0) {
                    contains_bottom = true;
                } else if min_contains != Some(0) || max_contains.is_some() {
                    self.warn(
                        ctx,
                        "contains",
                        c,
                        "CUE cannot count the items matching a schema",
                    );
                }
            }
        }
        if contains_bottom {
            return Ok(Some(Expr::Bottom));
        }
        let list = |prefix: Vec<Expr>, rest: Option<Box<Expr>>| Expr::List { prefix, rest };
        let n = prefix.len() as u64;
        let mut shape = if prefix.is_empty() {
            if rest == Expr::Bottom {
                list(Vec::new(), None)
            } else {
                list(Vec::new(), Some(Box::new(rest.clone())))
            }
        } else {
            // A tuple allows any shorter array too: one alternative per length.
            let low = min.unwrap_or(0).min(n);
            let high = max.unwrap_or(u64::MAX).min(n);
            let mut alternatives = Vec::new();
            for len in low..=high {
                let items = prefix[..len as usize].to_vec();
                if len == n && rest != Expr::Bottom && max.is_none_or(|m| m > n) {
                    alternatives.push(list(items, Some(Box::new(rest.clone()))));
                } else {
                    alternatives.push(list(items, None));
                }
            }
            Expr::or(alternatives)
        };
        if prefix.is_empty()
            && min.is_none()
            && max.is_none()
            && !unique
            && validators.is_empty()
            && rest == Expr::Top
        {
            return Ok(None);
        }
        if let Some(m) = min.filter(|&m| m > n) {
            // A short minimum is stated by the list's shape, `[_, _, ...T]`; that keeps
            // the alternative in a disjunction of types (where a validator of the open list
            // would be judged before any data is there).
            if let (
                Expr::List {
                    prefix: p,
                    rest: Some(_),
                },
                true,
            ) = (&mut shape, m <= 64)
            {
                while (p.len() as u64) < m {
                    p.push(Expr::Top);
                }
            } else if let (Expr::Or(alternatives), true) = (&mut shape, m <= 64) {
                alternatives.retain(|a| matches!(a, Expr::List { rest: Some(_), .. }));
                for a in alternatives.iter_mut() {
                    if let Expr::List { prefix: p, .. } = a {
                        while (p.len() as u64) < m {
                            p.push(Expr::Top);
                        }
                    }
                }
                if alternatives.is_empty() {
                    shape = Expr::Bottom;
                }
            } else {
                validators.insert(0, Expr::atom(format!("list.MinItems({m})")));
            }
        }
        if let Some(m) = max {
            if prefix.is_empty() || m > n {
                if m == 0 && prefix.is_empty() {
                    shape = list(Vec::new(), None);
                } else {
                    validators.push(Expr::atom(format!("list.MaxItems({m})")));
                }
            }
        }
        if unique {
            validators.push(Expr::atom("list.UniqueItems()"));
        }
        validators.push(shape);
        Ok(Some(Expr::and(validators)))
    }

    fn object(&mut self, ctx: &Ctx, o: &Map<String, Value>) -> Result<Option<Expr>, ImportError> {
        let mut decls = Vec::new();
        let mut validators = Vec::new();
        let required: Vec<String> = match o.get("required") {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut names = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => names.push(s.clone()),
                        other => {
                            return Err(self.invalid(ctx, "required", other, "an array of strings"))
                        }
                    }
                }
                names
            }
            // Draft 3's boolean `required` inside properties: not a keyword of these drafts.
            Some(Value::Bool(_)) => Vec::new(),
            Some(other) => return Err(self.invalid(ctx, "required", other, "an array of strings")),
        };
        let mut names: Vec<String> = Vec::new();
        if let Some(v) = o.get("properties") {
            let Value::Object(props) = v else {
                return Err(self.invalid(ctx, "properties", v, "an object"));
            };
            let inner = ctx.at("properties");
            for (name, schema) in props {
                let mark = self.notes.len();
                let value = self.schema(&inner.at(name), schema)?;
                let mut doc = describe(schema);
                doc.extend(self.notes.split_off(mark));
                let presence = if required.contains(name) {
                    Presence::Required
                } else {
                    Presence::Optional
                };
                names.push(name.clone());
                decls.push(Decl::Field {
                    doc,
                    name: label(name),
                    presence,
                    value,
                });
            }
        }
        for name in &required {
            if !names.contains(name) {
                names.push(name.clone());
                decls.push(Decl::Field {
                    doc: Vec::new(),
                    name: label(name),
                    presence: Presence::Required,
                    value: Expr::Top,
                });
            }
        }
        let mut patterns = Vec::new();
        if let Some(v) = o.get("patternProperties") {
            let Value::Object(map) = v else {
                return Err(self.invalid(ctx, "patternProperties", v, "an object"));
            };
            let inner = ctx.at("patternProperties");
            for (pattern, schema) in map {
                if let Err(e) = crate::re2::compile(pattern) {
                    self.warn(
                        ctx,
                        "patternProperties",
                        &Value::String(pattern.clone()),
                        &format!("not an RE2 regular expression: {e}"),
                    );
                    continue;
                }
                let value = self.schema(&inner.at(pattern), schema)?;
                patterns.push(pattern.clone());
                decls.push(Decl::Pattern {
                    label: Expr::atom(format!("=~{}", quote(pattern))),
                    value,
                });
            }
        }
        let mut open = true;
        let mut closed_key = "additionalProperties";
        let mut additional = o.get("additionalProperties").cloned();
        // `unevaluatedProperties` next to in-place applicators: the names they evaluate are
        // found statically; the names of alternatives (anyOf, if, ...) all count, which is
        // looser than JSON Schema when only some alternatives match.
        let mut in_place = false;
        match o.get("unevaluatedProperties") {
            Some(v) if additional.is_none() && v != &Value::Bool(true) => {
                let mut found = Evaluated {
                    exact: true,
                    ..Evaluated::default()
                };
                let mut own = o.clone();
                own.remove("properties");
                own.remove("patternProperties");
                own.remove("unevaluatedProperties");
                self.evaluated(ctx, &Value::Object(own), 0, true, &mut found)?;
                if !found.exact {
                    self.warn(
                        ctx,
                        "unevaluatedProperties",
                        v,
                        "names that only some alternatives evaluate are taken as evaluated",
                    );
                }
                if !found.all {
                    for name in found.names {
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    patterns.extend(found.patterns);
                    additional = Some(v.clone());
                    closed_key = "unevaluatedProperties";
                    in_place = true;
                }
            }
            _ => {}
        }
        if let Some(v) = &additional {
            let value = self.schema(&ctx.at(closed_key), v)?;
            match value {
                Expr::Top => {}
                Expr::Bottom if !in_place => open = false,
                value => {
                    let mut label_parts = Vec::new();
                    for p in &patterns {
                        label_parts.push(Expr::atom(format!("!~{}", quote(p))));
                    }
                    if !names.is_empty() {
                        let alternation: Vec<String> =
                            names.iter().map(|n| regex_escape(n)).collect();
                        label_parts.push(Expr::atom(format!(
                            "!~{}",
                            quote(&format!("^({})$", alternation.join("|")))
                        )));
                    }
                    let label = if label_parts.is_empty() {
                        Expr::atom("string")
                    } else {
                        Expr::and(label_parts)
                    };
                    decls.push(Decl::Pattern { label, value });
                    // Names other schemas declare must stay allowed here.
                    open = in_place;
                }
            }
        }
        if let Some(v) = o.get("propertyNames") {
            self.property_names(ctx, v, &mut decls)?;
        }
        let keywords: &[&str] = if ctx.draft >= Draft::Draft2019 {
            &["dependentRequired", "dependentSchemas"]
        } else {
            &["dependencies"]
        };
        for &keyword in keywords {
            let Some(v) = o.get(keyword) else {
                continue;
            };
            let Value::Object(map) = v else {
                return Err(self.invalid(ctx, keyword, v, "an object"));
            };
            let inner = ctx.at(keyword);
            for (name, dep) in map {
                let body = match dep {
                    Value::Array(items) if keyword != "dependentSchemas" => {
                        let mut body = Vec::new();
                        for item in items {
                            let Value::String(s) = item else {
                                return Err(self.invalid(&inner, name, item, "a string"));
                            };
                            body.push(Decl::Field {
                                doc: Vec::new(),
                                name: label(s),
                                presence: Presence::Required,
                                value: Expr::Top,
                            });
                        }
                        body
                    }
                    schema if keyword != "dependentRequired" => {
                        match self.schema(&inner.at(name), schema)? {
                            Expr::Top => Vec::new(),
                            value => vec![Decl::Embed(value)],
                        }
                    }
                    other => return Err(self.invalid(&inner, name, other, "an array of strings")),
                };
                if body.is_empty() {
                    continue;
                }
                self.conditional(name, &mut decls, &mut names, body);
            }
        }
        if let Some(n) = self.count(ctx, o, "minProperties")? {
            if n > 0 {
                validators.push(Expr::atom(format!("struct.MinFields({n})")));
            }
        }
        if let Some(n) = self.count(ctx, o, "maxProperties")? {
            validators.push(Expr::atom(format!("struct.MaxFields({n})")));
        }
        if decls.is_empty() && validators.is_empty() && open {
            return Ok(None);
        }
        // `struct.MinFields(n)` alone accepts structs only, so `{...}` adds nothing; and the
        // engine checks `struct.MinFields(n) & {...}` against the empty struct before the data.
        if decls.is_empty() && open {
            return Ok(Some(Expr::and(validators)));
        }
        validators.push(Expr::Struct(Struct {
            decls,
            open,
            closed: !open,
        }));
        Ok(Some(Expr::and(validators)))
    }

    /// `name` absent, or `name` present and `body`: the disjunction
    /// `{name?: _|_, ...} | {name!: _, body, ...}` embedded in the struct (declaring `name?: _`
    /// when the struct does not). It says what `if name != _|_ { body }` says, in a form that
    /// export can state again (as `anyOf`), for any name.
    fn conditional(
        &mut self,
        name: &str,
        decls: &mut Vec<Decl>,
        names: &mut Vec<String>,
        body: Vec<Decl>,
    ) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
            decls.push(Decl::Field {
                doc: Vec::new(),
                name: label(name),
                presence: Presence::Optional,
                value: Expr::Top,
            });
        }
        let field = |presence, value| Decl::Field {
            doc: Vec::new(),
            name: label(name),
            presence,
            value,
        };
        let absent = Expr::Struct(Struct {
            decls: vec![field(Presence::Optional, Expr::Bottom)],
            open: true,
            closed: false,
        });
        let mut present = vec![field(Presence::Required, Expr::Top)];
        present.extend(body);
        let present = Expr::Struct(Struct {
            decls: present,
            open: true,
            closed: false,
        });
        decls.push(Decl::Embed(Expr::Or(vec![absent, present])));
    }

    fn property_names(
        &mut self,
        ctx: &Ctx,
        v: &Value,
        decls: &mut Vec<Decl>,
    ) -> Result<(), ImportError> {
        let forbid = |decls: &mut Vec<Decl>, label: Expr| {
            decls.push(Decl::Pattern {
                label,
                value: Expr::Bottom,
            })
        };
        match v {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => {
                forbid(decls, Expr::atom("string"));
                return Ok(());
            }
            Value::Object(o) => {
                let mut handled = true;
                let mut labels = Vec::new();
                for (k, x) in o {
                    match (k.as_str(), x) {
                        ("pattern", Value::String(p)) if crate::re2::compile(p).is_ok() => {
                            labels.push(format!("!~{}", quote(p)));
                        }
                        ("maxLength", Value::Number(n)) if n.as_u64().is_some() => {
                            labels.push(format!("!~{}", quote(&format!("^(?s:.){{0,{n}}}$"))));
                        }
                        ("minLength", Value::Number(n)) if n.as_u64().is_some() => {
                            labels.push(format!("!~{}", quote(&format!("^(?s:.){{{n},}}$"))));
                        }
                        ("const", Value::String(s)) => {
                            labels.push(format!("!={}", quote(s)));
                        }
                        ("description" | "title" | "$comment" | "type", _) => {}
                        _ => handled = false,
                    }
                }
                if o.get("type").is_some_and(|t| t != "string") {
                    handled = false;
                }
                if handled {
                    for l in labels {
                        forbid(decls, Expr::atom(l));
                    }
                    return Ok(());
                }
            }
            _ => return Err(self.invalid(ctx, "propertyNames", v, "a schema")),
        }
        self.warn(
            ctx,
            "propertyNames",
            v,
            "only patterns, lengths and constants of names are stated",
        );
        Ok(())
    }
}

/// A JSON value as a CUE value equal to it by JSON Schema's equality, under which `1` and
/// `1.0` are the same number while CUE tells an int from a float: an integral number is
/// `1 | 1.0`.
fn constant(v: &Value) -> Expr {
    fn integral(v: &Value) -> Option<(String, String)> {
        let Value::Number(n) = v else { return None };
        if let Some(i) = n.as_i64() {
            return Some((i.to_string(), format!("{i}.0")));
        }
        if let Some(u) = n.as_u64() {
            return Some((u.to_string(), format!("{u}.0")));
        }
        let f = n.as_f64()?;
        (f.fract() == 0.0 && f.abs() < 9.0e15).then(|| (format!("{}", f as i64), n.to_string()))
    }
    fn holds_integral(v: &Value) -> bool {
        match v {
            Value::Array(items) => items.iter().any(holds_integral),
            Value::Object(map) => map.values().any(holds_integral),
            other => integral(other).is_some(),
        }
    }
    fn holds_object(v: &Value) -> bool {
        match v {
            Value::Array(items) => items.iter().any(holds_object),
            Value::Object(_) => true,
            _ => false,
        }
    }
    if !holds_integral(v) && !holds_object(v) {
        return Expr::Lit(v.clone());
    }
    match v {
        Value::Array(items) => Expr::List {
            prefix: items.iter().map(constant).collect(),
            rest: None,
        },
        Value::Object(map) => Expr::Struct(Struct {
            decls: map
                .iter()
                // Required: a regular field with a concrete value would be supplied by the
                // schema when the data leaves it out, and `{"a": 1}` is not `{}`.
                .map(|(k, x)| Decl::Field {
                    doc: Vec::new(),
                    name: label(k),
                    presence: Presence::Required,
                    value: constant(x),
                })
                .collect(),
            open: false,
            closed: false,
        }),
        other => match integral(other) {
            Some((int, float)) => Expr::Or(vec![Expr::Atom(int), Expr::Atom(float)]),
            None => Expr::Lit(other.clone()),
        },
    }
}

/// `x` excluded: `!=x` for a scalar.
fn not_equal(v: &Value) -> Expr {
    let mut text = String::from("!=");
    super::print_expr(&mut text, &Expr::Lit(v.clone()), 0, 2);
    Expr::Atom(text)
}

/// `expr` with default `d`: `*d | T` when `T` is a bare kind `d` belongs to, else
/// `T & (*d | _)`, which keeps `d` a default without admitting it when `T` rejects it.
fn with_default(expr: Expr, d: &Value) -> Expr {
    let kind = match d {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) | Value::Object(_) => "",
    };
    let default = Expr::Default(Box::new(Expr::Lit(d.clone())));
    if let Expr::Or(alternatives) = &expr {
        let literal = constant(d);
        if let Some(at) = alternatives.iter().position(|a| *a == literal) {
            let mut alternatives = alternatives.clone();
            alternatives[at] = Expr::Default(Box::new(literal));
            return Expr::Or(alternatives);
        }
    }
    match &expr {
        Expr::Atom(a) if a == kind || (a == "number" && kind == "int") => {
            Expr::Or(vec![default, expr])
        }
        Expr::Top => Expr::Or(vec![default, Expr::Top]),
        _ => Expr::And(vec![expr, Expr::Or(vec![default, Expr::Top])]),
    }
}

/// The doc comment of a schema: its title and description.
fn describe(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Value::Object(o) = value {
        for key in ["title", "description"] {
            if let Some(Value::String(s)) = o.get(key) {
                if !s.trim().is_empty() {
                    if !out.is_empty() {
                        out.push(String::new());
                    }
                    out.push(s.trim().to_string());
                }
            }
        }
    }
    out
}

/// The CUE builtin that checks a string `format`.
fn format_builtin(format: &str) -> Option<&'static str> {
    Some(match format {
        "date-time" => "time.Time",
        "date" => "time.Format(\"2006-01-02\")",
        "uuid" => "uuid.Valid",
        "ipv4" => "net.IPv4",
        "ipv6" => "net.IPv6",
        "hostname" => "net.FQDN",
        "uri" => "net.AbsURL",
        "uri-reference" => "net.URL",
        "regex" => "regexp.Valid",
        _ => return None,
    })
}

/// What in-place subschemas evaluate (`unevaluatedProperties`).
#[derive(Default)]
struct Evaluated {
    names: Vec<String>,
    patterns: Vec<String>,
    /// Some subschema evaluates every property (`additionalProperties`).
    all: bool,
    /// Only `allOf` and `$ref` were followed: no alternative.
    exact: bool,
}

/// A JSON type a negation leaves out.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Number,
    String,
    Object,
}

/// The JSON types a schema allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kinds {
    null: bool,
    boolean: bool,
    integer: bool,
    number: bool,
    /// Numbers that are not integers (only as what is left when integers are removed).
    float: bool,
    string: bool,
    array: bool,
    object: bool,
}

impl Kinds {
    const ALL: Kinds = Kinds {
        null: true,
        boolean: true,
        integer: true,
        number: true,
        float: false,
        string: true,
        array: true,
        object: true,
    };
    const NONE: Kinds = Kinds {
        null: false,
        boolean: false,
        integer: false,
        number: false,
        float: false,
        string: false,
        array: false,
        object: false,
    };

    /// Every type but one, as a CUE disjunction.
    fn not_kind(kind: Kind) -> Expr {
        let mut k = Kinds::ALL;
        match kind {
            Kind::Number => {
                k.number = false;
                k.integer = false;
            }
            Kind::String => k.string = false,
            Kind::Object => k.object = false,
        }
        k.expr()
    }

    /// These types as a CUE disjunction of kinds.
    fn expr(self) -> Expr {
        let mut out = Vec::new();
        if self.null {
            out.push(Expr::atom("null"));
        }
        if self.boolean {
            out.push(Expr::atom("bool"));
        }
        if self.number {
            out.push(Expr::atom("number"));
        } else if self.integer {
            out.push(Expr::atom("int"));
        } else if self.float {
            out.push(Expr::atom("float"));
        }
        if self.string {
            out.push(Expr::atom("string"));
        }
        if self.array {
            out.push(Expr::List {
                prefix: Vec::new(),
                rest: Some(Box::new(Expr::Top)),
            });
        }
        if self.object {
            out.push(Expr::Struct(Struct {
                decls: Vec::new(),
                open: true,
                closed: false,
            }));
        }
        Expr::or(out)
    }

    fn remove(&mut self, other: Kinds) {
        self.null &= !other.null;
        self.boolean &= !other.boolean;
        self.string &= !other.string;
        self.array &= !other.array;
        self.object &= !other.object;
        if other.number {
            self.number = false;
            self.integer = false;
        } else if other.integer && self.number {
            // Numbers that are not integers: CUE's `float`.
            self.number = false;
            self.integer = false;
            self.float = true;
        } else if other.integer {
            self.integer = false;
        }
    }

    /// A bit per JSON type (integer and number are one), for overlap checks.
    fn mask(self) -> u8 {
        (self.null as u8)
            | (self.boolean as u8) << 1
            | ((self.integer || self.number) as u8) << 2
            | (self.string as u8) << 3
            | (self.array as u8) << 4
            | (self.object as u8) << 5
    }
}

/// Whether the alternatives of a `oneOf` allow disjoint JSON types (or distinct constants),
/// so that anyOf says the same.
fn disjoint(items: &[Value]) -> bool {
    let mut seen = 0u8;
    let mut constants: Vec<&Value> = Vec::new();
    let all_const = items
        .iter()
        .all(|i| i.get("const").is_some() || matches!(i.get("enum"), Some(Value::Array(_))));
    if all_const {
        for item in items {
            let values: Vec<&Value> = match (item.get("const"), item.get("enum")) {
                (Some(c), _) => vec![c],
                (_, Some(Value::Array(e))) => e.iter().collect(),
                _ => return false,
            };
            for v in values {
                if constants.contains(&v) {
                    return false;
                }
                constants.push(v);
            }
        }
        return true;
    }
    for item in items {
        let kinds = match item.get("type") {
            Some(Value::String(t)) => kind_mask(t),
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .map(kind_mask)
                .fold(0, |a, b| a | b),
            _ => return false,
        };
        if kinds & seen != 0 {
            return false;
        }
        seen |= kinds;
    }
    true
}

fn kind_mask(t: &str) -> u8 {
    let mut k = Kinds::NONE;
    match t {
        "null" => k.null = true,
        "boolean" => k.boolean = true,
        "integer" | "number" => k.number = true,
        "string" => k.string = true,
        "array" => k.array = true,
        "object" => k.object = true,
        _ => return 0x3f,
    }
    k.mask()
}

/// Records the resources, anchors and base URIs of every schema below `value`.
fn index_schema(doc: &mut Doc, value: &Value, pointer: &str, base: &str, draft: Draft) {
    let Value::Object(o) = value else {
        return;
    };
    let mut base = base.to_string();
    let id_key = if draft == Draft::Draft4 { "id" } else { "$id" };
    // In drafts up to 7, `$ref` makes siblings (`$id` included) ignored.
    let ref_hides = draft <= Draft::Draft7 && o.contains_key("$ref");
    if let Some(Value::String(id)) = o.get(id_key).filter(|_| !ref_hides) {
        let resolved = resolve_uri(&base, id);
        match resolved.split_once('#') {
            Some((uri, fragment)) if !fragment.is_empty() && draft <= Draft::Draft7 => {
                if uri != strip_fragment(&base) || !id.starts_with('#') {
                    doc.resources.insert(uri.to_string(), pointer.to_string());
                    base = uri.to_string();
                }
                doc.anchors
                    .insert(format!("{uri}#{fragment}"), pointer.to_string());
            }
            _ => {
                let uri = strip_fragment(&resolved).to_string();
                doc.resources.insert(uri.clone(), pointer.to_string());
                base = uri;
            }
        }
    }
    for key in ["$anchor", "$dynamicAnchor"] {
        if let Some(Value::String(anchor)) = o.get(key) {
            doc.anchors
                .entry(format!("{}#{anchor}", strip_fragment(&base)))
                .or_insert_with(|| pointer.to_string());
        }
    }
    doc.bases.insert(pointer.to_string(), base.clone());
    for (key, child) in o {
        let at = format!("{pointer}/{}", escape_pointer(key));
        if SINGLE.contains(&key.as_str()) && !child.is_array() {
            index_schema(doc, child, &at, &base, draft);
        } else if ARRAYS.contains(&key.as_str()) {
            if let Value::Array(items) = child {
                for (i, item) in items.iter().enumerate() {
                    index_schema(doc, item, &format!("{at}/{i}"), &base, draft);
                }
            }
        } else if MAPS.contains(&key.as_str()) {
            if let Value::Object(map) = child {
                for (name, item) in map {
                    index_schema(
                        doc,
                        item,
                        &format!("{at}/{}", escape_pointer(name)),
                        &base,
                        draft,
                    );
                }
            }
        } else if !matches!(key.as_str(), "const" | "enum" | "default" | "examples") {
            // Unknown keywords may hold schemas that `$ref`s reach by pointer.
            if let Value::Object(_) = child {
                index_schema(doc, child, &at, &base, draft);
            }
        }
    }
}

fn strip_fragment(uri: &str) -> &str {
    uri.split_once('#').map_or(uri, |(u, _)| u)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn has_scheme(uri: &str) -> bool {
    match uri.find(':') {
        Some(i) => {
            let scheme = &uri[..i];
            !scheme.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `reference` resolved against `base` (RFC 3986, section 5.2, without query subtleties).
pub fn resolve_uri(base: &str, reference: &str) -> String {
    if has_scheme(reference) {
        return normalize(reference);
    }
    let base = strip_fragment(base);
    if reference.is_empty() {
        return base.to_string();
    }
    if reference.starts_with('#') {
        return format!("{base}{reference}");
    }
    let scheme_end = base.find(':').map_or(0, |i| i + 1);
    if let Some(rest) = reference.strip_prefix("//") {
        return normalize(&format!("{}//{rest}", &base[..scheme_end]));
    }
    let authority_end = if base[scheme_end..].starts_with("//") {
        base[scheme_end + 2..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + 2 + i)
    } else {
        scheme_end
    };
    if reference.starts_with('/') {
        return normalize(&format!("{}{reference}", &base[..authority_end]));
    }
    let path_end = base.rfind('/').filter(|&i| i >= authority_end);
    let joined = match path_end {
        Some(i) => format!("{}{reference}", &base[..=i]),
        None if authority_end > scheme_end => format!("{}/{reference}", &base[..authority_end]),
        None => format!("{}{reference}", &base[..authority_end]),
    };
    normalize(&joined)
}

/// Removes `.` and `..` path segments.
fn normalize(uri: &str) -> String {
    let (main, fragment) = match uri.split_once('#') {
        Some((m, f)) => (m, Some(f)),
        None => (uri, None),
    };
    let scheme_end = main
        .find(':')
        .filter(|_| has_scheme(main))
        .map_or(0, |i| i + 1);
    let authority_end = if main[scheme_end..].starts_with("//") {
        main[scheme_end + 2..]
            .find('/')
            .map_or(main.len(), |i| scheme_end + 2 + i)
    } else {
        scheme_end
    };
    let (prefix, path) = main.split_at(authority_end);
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, segment) in parts.iter().enumerate() {
        match *segment {
            "." => {
                if i == parts.len() - 1 {
                    segments.push("");
                }
            }
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
                if i == parts.len() - 1 {
                    segments.push("");
                }
            }
            s => segments.push(s),
        }
    }
    let mut out = format!("{prefix}{}", segments.join("/"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdicts(schema: Value, documents: &[&str]) -> (Vec<bool>, Vec<Warning>) {
        let roots = [Root {
            uri: "file:///t/schema.json".into(),
            document: &schema,
            definition: "#Schema".into(),
        }];
        let options = Options {
            package: None,
            default_draft: None,
        };
        let imported = import(&roots, &NoDocuments, &options).expect("imports");
        let package = crate::Package::load(
            crate::PackageFiles {
                files: vec![("s.cue".into(), imported.source.clone())],
            },
            &crate::NoImports,
        );
        assert!(package.diagnostics().is_empty(), "{}", imported.source);
        let compiled = package.schema(Some("#Schema")).expect("a schema");
        let verdicts = documents
            .iter()
            .map(|d| compiled.validate_json("d.json", d).is_valid())
            .collect();
        (verdicts, imported.warnings)
    }

    #[test]
    fn one_of_is_exact_when_its_alternatives_can_be_negated() {
        let schema = serde_json::json!({"oneOf": [{"type": "integer"}, {"minimum": 2}]});
        let (v, warnings) = verdicts(schema, &["1", "2.5", "3", "1.5"]);
        assert_eq!(v, [true, true, false, false]);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn if_then_else_and_not() {
        let schema = serde_json::json!({
            "if": {"exclusiveMaximum": 0}, "then": {"minimum": -10}, "else": {"multipleOf": 2},
            "not": {"const": 8}
        });
        let (v, _) = verdicts(schema, &["-1", "-100", "4", "3", "8"]);
        assert_eq!(v, [true, false, true, false, false]);
    }

    #[test]
    fn what_cue_cannot_state_is_a_warning_with_its_pointer() {
        let schema = serde_json::json!({
            "properties": {"a": {"oneOf": [{"multipleOf": 2}, {"multipleOf": 3}]}}
        });
        let (v, warnings) = verdicts(schema, &[r#"{"a": 6}"#, r#"{"a": 5}"#]);
        assert_eq!(v, [true, false]);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].keyword, "oneOf");
        assert_eq!(warnings[0].pointer, "#/properties/a/oneOf");
    }

    #[test]
    fn tuples_allow_shorter_arrays_and_integral_constants_match_floats() {
        let schema = serde_json::json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "items": [{"type": "string"}, {"const": 1}], "additionalItems": false
        });
        let (v, _) = verdicts(
            schema,
            &["[]", r#"["a"]"#, r#"["a", 1.0]"#, r#"["a", 1, 2]"#, "[1]"],
        );
        assert_eq!(v, [true, true, true, false, false]);
    }

    #[test]
    fn dependencies_hold_when_their_property_is_present_whatever_its_name() {
        let schema = serde_json::json!({
            "properties": {"a-b": {}, "c": {"type": "integer"}},
            "dependentRequired": {"a-b": ["c"]},
            "dependentSchemas": {"c": {"properties": {"d": {"type": "string"}}, "required": ["d"]}}
        });
        let (v, warnings) = verdicts(
            schema,
            &[
                "{}",
                r#"{"a-b": 1}"#,
                r#"{"a-b": 1, "c": 2}"#,
                r#"{"a-b": 1, "c": 2, "d": "x"}"#,
                r#"{"c": 2, "d": 3}"#,
                r#"{"d": 3}"#,
                "7",
            ],
        );
        assert_eq!(v, [true, false, false, true, false, true, true]);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn contains_anything_is_a_minimum_length_beside_the_other_types() {
        let schema = serde_json::json!({"contains": true, "minContains": 2});
        let (v, _) = verdicts(schema, &["[]", r#"["foo"]"#, "[1, 2]", "3", "{}"]);
        assert_eq!(v, [false, false, true, true, true]);
        let (v, _) = verdicts(serde_json::json!({"contains": {}}), &["[]", "[null]"]);
        assert_eq!(v, [false, true]);
    }

    #[test]
    fn draft_4_boolean_exclusive_bounds_are_read_in_later_drafts_too() {
        let schema = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "number",
            "minimum": 2, "exclusiveMinimum": true,
            "maximum": 3, "exclusiveMaximum": false
        });
        let (v, _) = verdicts(schema, &["2", "2.5", "3", "3.5"]);
        assert_eq!(v, [false, true, true, false]);
        let schema = serde_json::json!({"exclusiveMinimum": 2, "exclusiveMaximum": 3});
        let (v, _) = verdicts(schema, &["2", "2.5", "3"]);
        assert_eq!(v, [false, true, false]);
    }

    #[test]
    fn what_a_draft_does_not_allow_is_an_error_at_its_pointer() {
        let options = Options {
            package: None,
            default_draft: None,
        };
        for (schema, pointer) in [
            (
                serde_json::json!({"$schema": "http://json-schema.org/draft-04/schema#", "anyOf": [true]}),
                "#/anyOf/0",
            ),
            (
                serde_json::json!({"$schema": "http://json-schema.org/draft-07/schema#", "oneOf": [{"$schema": "http://json-schema.org/draft-07/schema#"}]}),
                "#/oneOf/0/$schema",
            ),
            (
                serde_json::json!({"properties": {"a": {"items": [{"type": "string"}]}}}),
                "#/properties/a/items",
            ),
        ] {
            let roots = [Root {
                uri: "file:///t/schema.json".into(),
                document: &schema,
                definition: "#Schema".into(),
            }];
            let error = import(&roots, &NoDocuments, &options).expect_err("not allowed");
            assert_eq!(error.pointer, pointer, "{error}");
        }
        let draft4 = serde_json::json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "additionalProperties": false, "items": [{}], "additionalItems": true
        });
        let (v, _) = verdicts(draft4, &["{}", r#"{"a": 1}"#]);
        assert_eq!(v, [true, false]);
    }

    #[test]
    fn percent_escapes_decode_and_stray_ones_stay() {
        assert_eq!(percent_decode("a%25b%7e%C3%A9%"), "a%b~\u{e9}%");
        assert_eq!(percent_decode("%\u{e9}1"), "%\u{e9}1");
    }

    #[test]
    fn uris_resolve_like_rfc_3986() {
        assert_eq!(
            resolve_uri("http://x.org/a/b.json", "c.json"),
            "http://x.org/a/c.json"
        );
        assert_eq!(
            resolve_uri("http://x.org/a/b.json", "#/x"),
            "http://x.org/a/b.json#/x"
        );
        assert_eq!(resolve_uri("http://x.org/a/b.json", "/c"), "http://x.org/c");
        assert_eq!(
            resolve_uri("http://x.org/a/b/", "../c.json"),
            "http://x.org/a/c.json"
        );
        assert_eq!(
            resolve_uri("file:///d/a.json", "b.json#/defs/x"),
            "file:///d/b.json#/defs/x"
        );
        assert_eq!(resolve_uri("urn:uuid:1234", "#foo"), "urn:uuid:1234#foo");
        assert_eq!(resolve_uri("http://x.org/a", "urn:x#y"), "urn:x#y");
    }
}
