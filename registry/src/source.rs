//! One package directory of `sources/`, loaded: a source (its metadata and events, each with
//! its canonical schema) or a shared package of types. Loading is pure (text in, model out),
//! so packages are evaluated in parallel and cached by tree id.

use crate::contract::{self, DeclaredContract};
use crate::finding::label_name;
use cue::ast::Attribute;
use cue::MemoryResolver;
use cue::{Diagnostic, Package, PackageFiles, Severity, SourceMap, Span};
use cuemesh_contract::canonical::{CanonicalSchema, Digest};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where example payloads live, inside a source's directory:
/// `examples/<event type, percent-encoded>/<any name>.json`.
pub const EXAMPLES_DIRECTORY: &str = "examples";

/// A package directory directly under `sources/`, loaded from one tree.
#[derive(Debug)]
pub struct Source {
    /// The directory, relative to the repository root: `sources/identity`.
    pub directory: String,
    /// The id of the directory's Git tree.
    pub tree_id: String,
    /// The name in the files' `package` clause.
    pub package: Option<String>,
    /// Whether the package declares the source contract (`source` or `events`); a package that
    /// declares neither is a shared package of types (`sources/common`).
    pub is_source: bool,
    /// `source.id`: the CloudEvents `source` attribute. `None` when missing or invalid.
    pub id: Option<String>,
    /// `source.owner`.
    pub owner: Option<String>,
    /// `source.description`.
    pub description: Option<String>,
    /// The events in declaration order.
    pub events: Vec<Event>,
    /// Example payload files whose folder names no event type of this source.
    pub unmatched_examples: Vec<String>,
    /// Every problem: syntax, imports, evaluation and contract violations.
    pub diagnostics: Vec<Diagnostic>,
    /// The package's files and those it imports, for rendering diagnostics' positions.
    pub files: Arc<SourceMap>,
}

/// One entry of a source's `events`.
#[derive(Debug)]
pub struct Event {
    /// The CloudEvents `type`.
    pub event_type: String,
    /// The definition the type maps to, as written (`#Identity`).
    pub definition: String,
    /// The attributes of the event's field (`@compat(FULL)`), verbatim.
    pub attributes: Vec<Attribute>,
    /// The doc comment above the event's field.
    pub doc: Option<String>,
    /// The event's field in `events`, in [`Source::files`].
    pub span: Span,
    /// The CUE text of the definition's declaration as written (`#Identity: {...}`); for
    /// `#A.#B`, the declaration of `#A`.
    pub definition_text: Option<Arc<str>>,
    /// The canonical resolved schema; `None` when the package or the definition has errors.
    pub schema: Option<Arc<CanonicalSchema>>,
    /// Example payload files for this type, relative to the repository root, in name order.
    pub examples: Vec<String>,
}

impl Event {
    /// The first attribute named `name` (`compat` for `@compat(FULL)`).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name == name)
    }

    /// The digest of the canonical schema, when there is one.
    pub fn digest(&self) -> Option<&Digest> {
        self.schema.as_ref().map(|schema| &schema.digest)
    }
}

impl Source {
    /// The source with only what numbering a history reads of it (directory, id, whether it
    /// is a source or has errors, each event's type, definition, text and schema, and the
    /// diagnostics and files of a package with errors): the files, doc comments, attributes
    /// and examples of a package without errors are dropped. For the states of a long
    /// history that nothing reads again once it is numbered.
    pub(crate) fn for_numbering(self) -> Source {
        let has_errors = self.has_errors();
        let (diagnostics, files) = if has_errors {
            (self.diagnostics, self.files)
        } else {
            (Vec::new(), Arc::new(SourceMap::new()))
        };
        Source {
            owner: None,
            description: None,
            events: self
                .events
                .into_iter()
                .map(|event| Event {
                    attributes: Vec::new(),
                    doc: None,
                    examples: Vec::new(),
                    ..event
                })
                .collect(),
            unmatched_examples: Vec::new(),
            diagnostics,
            files,
            ..self
        }
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|diagnostic| diagnostic.severity == Severity::Error)
    }

    /// The event of type `event_type`, if declared.
    pub fn event(&self, event_type: &str) -> Option<&Event> {
        self.events
            .iter()
            .find(|event| event.event_type == event_type)
    }
}

/// The folder name of an event type's examples: the type percent-encoded as in the registry's
/// URLs (every byte outside `A-Z a-z 0-9 - . _ ~`), so that any type is a valid file name on
/// every system: `MySource:newPerson` is `MySource%3AnewPerson`.
pub fn examples_folder_name(event_type: &str) -> String {
    let mut out = String::with_capacity(event_type.len());
    for byte in event_type.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The event type an examples folder stands for (percent-decoding; a folder named with the raw
/// type also matches).
pub(crate) fn event_type_of_folder(folder: &str) -> String {
    let bytes = folder.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let high = (bytes[i + 1] as char).to_digit(16);
            let low = (bytes[i + 2] as char).to_digit(16);
            if let (Some(high), Some(low)) = (high, low) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything needed to load one source, read from Git beforehand.
pub(crate) struct PreparedSource {
    pub(crate) directory: String,
    pub(crate) tree_id: git2::Oid,
    pub(crate) files: PackageFiles,
    /// Every package the source imports, directly or not, by import path.
    pub(crate) imports: HashMap<String, PackageFiles>,
    /// `(folder name, file path)` of every file under `examples/<folder>/`.
    pub(crate) examples: Vec<(String, String)>,
}

/// The canonical schemas made so far, by [`DefinitionKey`]: a package state that changes two
/// of its ten definitions canonicalises and digests only those two. Shared by the packages
/// loaded in parallel.
///
/// Schemas and definition texts are also interned, by digest and by text: every version of
/// every event whose schema (or declaration) is the same holds one `Arc`, so that memory grows
/// with the distinct schemas of a repository, not with its versions.
#[derive(Default)]
pub(crate) struct SchemaCache {
    interned: Mutex<Interned>,
}

#[derive(Default)]
struct Interned {
    by_key: HashMap<DefinitionKey, Arc<CanonicalSchema>>,
    /// Keys of top-level fields (by [`Declarations::key`] of their label) that evaluated
    /// without errors in a package state without errors: the same text evaluates alike.
    clean: std::collections::HashSet<DefinitionKey>,
    by_digest: HashMap<Digest, Arc<CanonicalSchema>>,
    texts: std::collections::HashSet<Arc<str>>,
}

impl SchemaCache {
    fn get(&self, key: &DefinitionKey) -> Option<Arc<CanonicalSchema>> {
        self.lock().by_key.get(key).cloned()
    }

    /// The one `Arc` of `schema`'s digest, remembered under `key` when there is one.
    pub(crate) fn intern(
        &self,
        key: Option<DefinitionKey>,
        schema: CanonicalSchema,
    ) -> Arc<CanonicalSchema> {
        let mut interned = self.lock();
        let shared = interned
            .by_digest
            .entry(schema.digest.clone())
            .or_insert_with(|| Arc::new(schema))
            .clone();
        if let Some(key) = key {
            interned.by_key.insert(key, shared.clone());
        }
        shared
    }

    /// Whether the top-level field of this key evaluated without errors before.
    fn is_clean(&self, key: &DefinitionKey) -> bool {
        self.lock().clean.contains(key)
    }

    /// Notes the keys of top-level fields that evaluated without errors.
    fn note_clean(&self, keys: impl IntoIterator<Item = DefinitionKey>) {
        self.lock().clean.extend(keys);
    }

    /// The one `Arc` of a definition's text.
    pub(crate) fn intern_text(&self, text: &str) -> Arc<str> {
        let mut interned = self.lock();
        if let Some(shared) = interned.texts.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        interned.texts.insert(shared.clone());
        shared
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Interned> {
        // Entries are inserted whole: a panic elsewhere leaves nothing half-written.
        self.interned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What an event definition's canonical schema is a function of, hashed: the definition's
/// path (`#A.#B`), the text of every top-level declaration of the package its text can reach
/// (by any word of the text naming one, transitively: an over-approximation of references),
/// the text of every top-level declaration without a plain name (embeddings, pattern and
/// dynamic labels, `...`), which may apply anywhere, and the files of every imported package.
/// Two package states that agree on all of it export the definition identically, so the
/// cached schema stands for the new one; a change anywhere in it only costs a recomputation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DefinitionKey([u8; 32]);

/// The top-level declarations of one package's files, by name, for [`DefinitionKey`]s.
struct Declarations<'p> {
    /// The text (with attributes) of each named top-level field, `let` or field alias.
    named: HashMap<&'p str, Vec<Span>>,
    /// The names of `named` that each one's text mentions: every word of it that is one, so
    /// that each text is split once however many keys reach it.
    mentions: HashMap<&'p str, Vec<&'p str>>,
    /// Hash of the package name, the imports and the unnamed declarations: part of every key.
    common: [u8; 32],
}

impl<'p> Declarations<'p> {
    fn new(
        parsed: &'p [cue::ast::File],
        sources: &SourceMap,
        imports: &HashMap<String, PackageFiles>,
    ) -> Declarations<'p> {
        let mut named: HashMap<&'p str, Vec<Span>> = HashMap::new();
        let mut common = Sha256::new();
        let add_text = |hasher: &mut Sha256, span: Span| {
            hash_part(
                hasher,
                span_text(sources, span).unwrap_or("\u{0}unreadable"),
            );
        };
        for file in parsed {
            hash_part(
                &mut common,
                file.package.as_ref().map_or("", |name| name.name.as_str()),
            );
            for import in &file.imports {
                hash_part(&mut common, &import.path);
                hash_part(
                    &mut common,
                    import
                        .alias
                        .as_ref()
                        .map_or("", |alias| alias.name.as_str()),
                );
            }
            for declaration in &file.decls {
                match declaration {
                    cue::ast::Decl::Field(field) => {
                        let name = label_name(&field.label.kind);
                        let mut spans = vec![field.span];
                        spans.extend(field.attributes.iter().map(|attribute| attribute.span));
                        match name {
                            Some(name) => {
                                named.entry(name).or_default().extend(&spans);
                                if let Some(alias) = &field.label.alias {
                                    named.entry(alias.name.as_str()).or_default().extend(&spans);
                                }
                            }
                            None => spans.iter().for_each(|span| add_text(&mut common, *span)),
                        }
                    }
                    cue::ast::Decl::Let(clause) => {
                        named
                            .entry(clause.name.name.as_str())
                            .or_default()
                            .push(clause.span);
                    }
                    cue::ast::Decl::Embed(expression) => add_text(&mut common, expression.span),
                    cue::ast::Decl::Ellipsis(ellipsis) => add_text(&mut common, ellipsis.span),
                    cue::ast::Decl::Attribute(attribute) => add_text(&mut common, attribute.span),
                }
            }
        }
        let mut import_paths: Vec<&String> = imports.keys().collect();
        import_paths.sort();
        for path in import_paths {
            hash_part(&mut common, path);
            for (name, text) in &imports[path].files {
                hash_part(&mut common, name);
                hash_part(&mut common, text);
            }
        }
        let mut mentions: HashMap<&'p str, Vec<&'p str>> = HashMap::new();
        for (&name, spans) in &named {
            let mut mentioned: Vec<&'p str> = Vec::new();
            for span in spans {
                let Some(text) = span_text(sources, *span) else {
                    continue;
                };
                let words = text
                    .split(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '#' | '$')))
                    .filter_map(|word| named.get_key_value(word).map(|(&known, _)| known));
                mentioned.extend(words);
            }
            mentioned.sort_unstable();
            mentioned.dedup();
            mentions.insert(name, mentioned);
        }
        Declarations {
            named,
            mentions,
            common: common.finalize().into(),
        }
    }

    /// The key of the definition at `path` (`#Order`, `#A.#B`).
    fn key(&self, path: &str, sources: &SourceMap) -> DefinitionKey {
        let mut hasher = Sha256::new();
        hasher.update(self.common);
        hash_part(&mut hasher, path);
        let head = path.split('.').next().unwrap_or(path);
        let mut pending = vec![head];
        let mut included: std::collections::HashSet<&str> = std::collections::HashSet::new();
        while let Some(name) = pending.pop() {
            let Some((&name, spans)) = self.named.get_key_value(name) else {
                continue;
            };
            if !included.insert(name) {
                continue;
            }
            hash_part(&mut hasher, name);
            for span in spans {
                hash_part(
                    &mut hasher,
                    span_text(sources, *span).unwrap_or("\u{0}unreadable"),
                );
            }
            if let Some(mentioned) = self.mentions.get(name) {
                pending.extend(mentioned.iter().filter(|word| !included.contains(*word)));
            }
        }
        DefinitionKey(hasher.finalize().into())
    }
}

/// The text `span` covers, if its file is in `sources`.
fn span_text(sources: &SourceMap, span: Span) -> Option<&str> {
    sources
        .get(span.file)
        .and_then(|file| file.text.get(span.start as usize..span.end as usize))
}

/// Adds `text` to `hasher` with its length first, so that no two sequences of parts hash
/// alike by shifting bytes from one part to the next.
fn hash_part(hasher: &mut Sha256, text: &str) {
    hasher.update((text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
}

/// Loads, evaluates and checks one source package. Never fails: problems are diagnostics.
pub(crate) fn load_source(prepared: PreparedSource) -> Source {
    load_source_with(prepared, &SchemaCache::default())
}

/// [`load_source`], taking the canonical schemas of unchanged definitions from `schemas` and
/// adding those it makes.
pub(crate) fn load_source_with(prepared: PreparedSource, schemas: &SchemaCache) -> Source {
    load_source_settling(prepared, schemas, true)
}

/// [`load_source_with`]; without `settle`, every field is evaluated (as tests compare).
fn load_source_settling(prepared: PreparedSource, schemas: &SchemaCache, settle: bool) -> Source {
    let PreparedSource {
        directory,
        tree_id,
        files,
        imports,
        examples,
    } = prepared;
    let resolver = MemoryResolver { packages: imports };
    // Load and export the event definitions in one evaluation, reading the contract from the
    // syntax that loading parsed, so that each file is parsed once. Only definitions whose
    // canonical schema is not cached already are exported (with those they refer to): a
    // package state that changes two of its ten definitions exports two. Top-level fields
    // whose text (with all it can reach) evaluated without errors before are not evaluated
    // again, nor is an `events` that only names definitions (see `settled_fields`); should
    // the rest have errors, the package is evaluated again whole, so that its diagnostics
    // are those of a whole evaluation. A shared package's export is not used.
    let retry = files.clone();
    let mut early = None;
    let (mut package, mut exported) =
        Package::load_with_json_schema_of(files, &resolver, |syntax, sources| {
            let (plan, selection) = plan_load(syntax, sources, &resolver, schemas, settle);
            early = Some(plan);
            selection
        });
    let whole_is_clean = package.diagnostics().is_empty();
    let settled_any = early.as_ref().is_some_and(|plan| plan.settled_any);
    if settled_any && !whole_is_clean {
        (package, exported) =
            Package::load_with_json_schema_of(retry, &resolver, |syntax, sources| {
                let (plan, selection) = plan_load(syntax, sources, &resolver, schemas, false);
                early = Some(plan);
                selection
            });
    } else if whole_is_clean {
        if let Some(plan) = early.as_mut() {
            schemas.note_clean(std::mem::take(&mut plan.evaluated));
        }
    }
    let parsed = package.syntax();
    let package_name = parsed
        .iter()
        .find_map(|file| file.package.as_ref().map(|name| name.name.clone()));
    let (declared, keys) = match early {
        Some(plan) => (plan.declared, Some(plan.keys)),
        None => (contract::read_contract(parsed), None),
    };
    let exported = exported.ok();
    let mut diagnostics = package.diagnostics().to_vec();
    let package_has_errors = diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error);
    let sources = Arc::new(package.sources().clone());

    let is_source = declared.is_source();
    let mut metadata = SourceMetadata::default();
    let mut events = Vec::new();
    if is_source {
        metadata = read_metadata(&package, &declared, &mut diagnostics);
        diagnostics.extend(declared.diagnostics.iter().cloned());
        // One export of every definition (made while loading), cut per event below:
        // exporting each event's definition on its own would evaluate the package per event.
        let whole = if package_has_errors { None } else { exported };
        // Keys only for definitions cut from an export: the per-definition fallback reports
        // errors, which are not cached.
        let exported = whole.as_ref().zip(keys.as_ref());
        for declared_event in &declared.events {
            events.push(load_event(
                &package,
                exported,
                schemas,
                &declared,
                declared_event,
                package_has_errors,
                &sources,
                &mut diagnostics,
            ));
        }
    }

    let mut unmatched_examples = Vec::new();
    for (folder, path) in examples {
        let event_type = event_type_of_folder(&folder);
        match events
            .iter_mut()
            .find(|event| event.event_type == event_type)
        {
            Some(event) => event.examples.push(path),
            None => unmatched_examples.push(path),
        }
    }

    Source {
        directory,
        tree_id: tree_id.to_string(),
        package: package_name,
        is_source,
        id: metadata.id,
        owner: metadata.owner,
        description: metadata.description,
        events,
        unmatched_examples,
        diagnostics,
        files: sources,
    }
}

/// What loading one package state decided before evaluating it.
struct LoadPlan {
    declared: DeclaredContract,
    /// The key of each event's definition, by the definition as written.
    keys: HashMap<String, DefinitionKey>,
    /// Whether some top-level field is left unevaluated.
    settled_any: bool,
    /// The keys of the top-level fields evaluated, to note as clean when the package is.
    evaluated: Vec<DefinitionKey>,
}

/// Reads the contract from the syntax and chooses what to evaluate and export: the event
/// definitions whose canonical schema is not cached, and (with `settle`) which top-level
/// fields need no evaluation ([`settled_fields`]).
fn plan_load(
    syntax: &[cue::ast::File],
    sources: &SourceMap,
    resolver: &MemoryResolver,
    schemas: &SchemaCache,
    settle: bool,
) -> (LoadPlan, cue::Selection) {
    let declared = contract::read_contract(syntax);
    let mut keys = HashMap::new();
    let mut export = Vec::new();
    let mut settled = Vec::new();
    let mut evaluated = Vec::new();
    if declared.is_source() {
        let declarations = Declarations::new(syntax, sources, &resolver.packages);
        for event in &declared.events {
            let head = event.definition.split('.').next().unwrap_or_default();
            if !declared.definitions.contains(head) || keys.contains_key(&event.definition) {
                continue;
            }
            let key = declarations.key(&event.definition, sources);
            if schemas.get(&key).is_none() {
                export.push(event.definition.clone());
            }
            keys.insert(event.definition.clone(), key);
        }
        if settle {
            (settled, evaluated) =
                settled_fields(syntax, sources, &declared, &declarations, &keys, schemas);
        }
    }
    let plan = LoadPlan {
        declared,
        keys,
        settled_any: !settled.is_empty(),
        evaluated,
    };
    let selection = cue::Selection {
        export: Some(export),
        settled,
    };
    (plan, selection)
}

/// The top-level fields of a source package that need no evaluation, and the keys of those
/// that do (`event_keys` holds those of event definitions, made already). A field needs none
/// when its key ([`Declarations::key`]: its text, the text of every declaration it can reach,
/// the package's unnamed declarations and imports) is one that evaluated without errors before, or when it is an `events` that only names
/// definitions (each of which is evaluated or known clean, and whose value it is). Nothing
/// is settled in a package with top-level declarations other than named fields, `let`s and
/// attributes (an embedding or a pattern may add to any field), or under `info` and
/// `$version`, which the export reads.
fn settled_fields(
    syntax: &[cue::ast::File],
    sources: &SourceMap,
    declared: &DeclaredContract,
    declarations: &Declarations<'_>,
    event_keys: &HashMap<String, DefinitionKey>,
    schemas: &SchemaCache,
) -> (Vec<String>, Vec<DefinitionKey>) {
    let mut labels: Vec<&str> = Vec::new();
    for file in syntax {
        for declaration in &file.decls {
            match declaration {
                cue::ast::Decl::Field(field) => match label_name(&field.label.kind) {
                    Some(label) => labels.push(label),
                    None => return (Vec::new(), Vec::new()),
                },
                cue::ast::Decl::Let(_) | cue::ast::Decl::Attribute(_) => {}
                _ => return (Vec::new(), Vec::new()),
            }
        }
    }
    labels.sort_unstable();
    labels.dedup();
    let events_named_only = events_only_name_definitions(syntax, declared);
    let (mut settled, mut evaluated) = (Vec::new(), Vec::new());
    for label in labels {
        if matches!(label, "info" | "$version") {
            continue;
        }
        if label == "events" && events_named_only {
            settled.push(label.to_string());
            continue;
        }
        // An event's definition has its key already (the same path, the same key).
        let key = match event_keys.get(label) {
            Some(key) => *key,
            None => declarations.key(label, sources),
        };
        if schemas.is_clean(&key) {
            settled.push(label.to_string());
        } else {
            evaluated.push(key);
        }
    }
    (settled, evaluated)
}

/// Whether the package's `events` is declared once, as a struct literal of regular fields
/// with distinct constant labels whose values are each a reference to a top-level
/// definition (`#Order`, `#A.#B`) and nothing else: its value is then the definitions'
/// values, and it has an error only where one of them has.
fn events_only_name_definitions(syntax: &[cue::ast::File], declared: &DeclaredContract) -> bool {
    use cue::ast::{Decl, ExprKind, FieldConstraint};
    let mut declarations = syntax.iter().flat_map(|file| &file.decls).filter(
        |d| matches!(d, Decl::Field(field) if label_name(&field.label.kind) == Some("events")),
    );
    let (Some(Decl::Field(events)), None) = (declarations.next(), declarations.next()) else {
        return false;
    };
    if events.label.alias.is_some()
        || events.label.label_alias.is_some()
        || events.constraint != FieldConstraint::Regular
    {
        return false;
    }
    let ExprKind::Struct(body) = &events.value.kind else {
        return false;
    };
    let mut seen = std::collections::HashSet::new();
    body.decls.iter().all(|declaration| {
        let Decl::Field(field) = declaration else {
            return false;
        };
        let Some(label) = label_name(&field.label.kind) else {
            return false;
        };
        let regular = !label.starts_with('#') && !label.starts_with('_');
        regular
            && field.label.alias.is_none()
            && field.label.label_alias.is_none()
            && field.constraint == FieldConstraint::Regular
            && seen.insert(label)
            && names_a_definition(&field.value, declared)
    })
}

/// Whether `value` is `#A` or `#A.#B...` with `#A` a top-level definition.
fn names_a_definition(value: &cue::ast::Expr, declared: &DeclaredContract) -> bool {
    match &value.kind {
        cue::ast::ExprKind::Ident(ident) => {
            ident.name.starts_with('#') && declared.definitions.contains(&ident.name)
        }
        cue::ast::ExprKind::Selector(base, name) => {
            name.name.starts_with('#') && names_a_definition(base, declared)
        }
        _ => false,
    }
}

#[derive(Default)]
struct SourceMetadata {
    id: Option<String>,
    owner: Option<String>,
    description: Option<String>,
}

/// Checks `source` on the evaluated package (so that values built with references count) and
/// reports problems at the positions the syntax gives.
fn read_metadata(
    package: &Package,
    declared: &DeclaredContract,
    diagnostics: &mut Vec<Diagnostic>,
) -> SourceMetadata {
    let mut metadata = SourceMetadata::default();
    let Some(source_span) = declared.source_span else {
        if let Some(events_span) = declared.events_span {
            diagnostics.push(
                contract::error(
                    "SOURCE_MISSING",
                    "a package with `events` must declare `source: {id, owner}`",
                    events_span,
                )
                .with_help("add `source: { id: \"MySource\", owner: \"@team\" }`"),
            );
        }
        return metadata;
    };
    if declared.events_span.is_none() {
        diagnostics.push(
            contract::error(
                "EVENTS_MISSING",
                "a source must declare `events`, mapping each event type to a definition",
                source_span,
            )
            .with_help("add `events: { \"MySource:thingHappened\": #Thing }`"),
        );
    }
    let value = match package.export_json(Some("source")) {
        Ok(value) => value,
        Err(problems) => {
            // An error inside `source` is already among the package's diagnostics; an
            // incomplete value (`id: string`) is not, and is a contract violation.
            let message = problems
                .first()
                .map(|problem| problem.headline())
                .unwrap_or_default();
            diagnostics.push(contract::error(
                "SOURCE_INCOMPLETE",
                format!("`source` must be concrete: {message}"),
                source_span,
            ));
            return metadata;
        }
    };
    let Some(object) = value.as_object() else {
        diagnostics.push(contract::error(
            "SOURCE_INVALID",
            "`source` must be a struct with `id`, `owner` and an optional `description`",
            source_span,
        ));
        return metadata;
    };
    let mut string_field = |name: &str, required: bool| -> Option<String> {
        let span = declared.source_field_span(name).unwrap_or(source_span);
        match object.get(name) {
            Some(serde_json::Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
            Some(_) => {
                diagnostics.push(contract::error(
                    "SOURCE_FIELD_INVALID",
                    format!("`source.{name}` must be a non-empty string"),
                    span,
                ));
                None
            }
            None if required => {
                diagnostics.push(contract::error(
                    "SOURCE_FIELD_MISSING",
                    format!("`source` must declare `{name}`"),
                    source_span,
                ));
                None
            }
            None => None,
        }
    };
    metadata.id = string_field("id", true);
    metadata.owner = string_field("owner", true);
    metadata.description = string_field("description", false);
    for name in object.keys() {
        if !matches!(name.as_str(), "id" | "owner" | "description") {
            diagnostics.push(
                contract::error(
                    "SOURCE_FIELD_UNKNOWN",
                    format!("`source.{name}` is not part of the source contract"),
                    declared.source_field_span(name).unwrap_or(source_span),
                )
                .with_help("`source` holds `id`, `owner` and `description` only"),
            );
        }
    }
    metadata
}

#[allow(clippy::too_many_arguments)]
fn load_event(
    package: &Package,
    whole: Option<(&serde_json::Value, &HashMap<String, DefinitionKey>)>,
    schemas: &SchemaCache,
    declared: &DeclaredContract,
    event: &contract::DeclaredEvent,
    package_has_errors: bool,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Event {
    let head = event
        .definition
        .split('.')
        .next()
        .unwrap_or(&event.definition)
        .to_string();
    let definition_text = declared
        .definition_spans
        .iter()
        .find(|(name, _)| *name == head)
        .and_then(|(_, span)| span_text(sources, *span).map(|text| schemas.intern_text(text)));
    let mut schema = None;
    if !declared.definitions.contains(&head) {
        diagnostics.push(contract::error(
            "EVENT_DEFINITION_UNKNOWN",
            format!(
                "event type {:?} maps to {}, which this package does not define",
                event.event_type, event.definition
            ),
            event.value_span,
        ));
    } else if let Some(cached) = whole.and_then(|(whole, keys)| {
        let key = *keys.get(&event.definition)?;
        if let Some(schema) = schemas.get(&key) {
            return Some(schema);
        }
        let document = cuemesh_contract::canonical::definition_document(whole, &event.definition)?;
        Some(schemas.intern(Some(key), CanonicalSchema::from_json_schema(&document)))
    }) {
        schema = Some(cached);
    } else if !package_has_errors {
        // Not in the package's export: ask for the definition alone, whose errors say why.
        match package.json_schema(Some(&event.definition)) {
            Ok(document) => {
                schema = Some(schemas.intern(None, CanonicalSchema::from_json_schema(&document)));
            }
            Err(problems) => {
                diagnostics.push(contract::error(
                    "EVENT_SCHEMA",
                    format!(
                        "the schema of event type {:?} ({}) cannot be resolved",
                        event.event_type, event.definition
                    ),
                    event.value_span,
                ));
                diagnostics.extend(problems);
            }
        }
    }
    Event {
        event_type: event.event_type.clone(),
        definition: event.definition.clone(),
        attributes: event.attributes.clone(),
        doc: event.doc.clone(),
        span: event.span,
        definition_text,
        schema,
        examples: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Source {
        load_source(PreparedSource {
            directory: "sources/s".into(),
            tree_id: git2::Oid::zero(),
            files: PackageFiles {
                files: vec![("sources/s/s.cue".into(), text.into())],
            },
            imports: HashMap::new(),
            examples: vec![
                (
                    "S%3Amade".into(),
                    "sources/s/examples/S%3Amade/a.json".into(),
                ),
                ("S:made".into(), "sources/s/examples/S:made/b.json".into()),
                ("other".into(), "sources/s/examples/other/c.json".into()),
            ],
        })
    }

    #[test]
    fn loads_a_source_with_its_events_schemas_and_examples() {
        let source = load(
            "package s\nsource: {id: \"S\", owner: \"@o\", description: \"d\"}\nevents: {\"S:made\": #Made @compat(FULL)}\n#Made: {name: string}\n",
        );
        assert!(source.diagnostics.is_empty(), "{:?}", source.diagnostics);
        assert_eq!(source.id.as_deref(), Some("S"));
        assert_eq!(source.owner.as_deref(), Some("@o"));
        assert_eq!(source.description.as_deref(), Some("d"));
        let event = source.event("S:made").expect("event");
        assert_eq!(
            event.attribute("compat").map(|a| a.body.as_str()),
            Some("FULL")
        );
        assert!(event.digest().is_some());
        assert_eq!(
            event.definition_text.as_deref(),
            Some("#Made: {name: string}")
        );
        assert_eq!(event.examples.len(), 2);
        assert_eq!(
            source.unmatched_examples,
            ["sources/s/examples/other/c.json"]
        );
    }

    #[test]
    fn a_source_for_numbering_keeps_what_numbering_reads_and_the_errors_it_records() {
        let whole = load(
            "package s\nsource: {id: \"S\", owner: \"@o\"}\nevents: {\"S:made\": #Made @compat(FULL)}\n#Made: {name: string}\n",
        );
        let digest = whole.event("S:made").and_then(Event::digest).cloned();
        let text = whole.event("S:made").unwrap().definition_text.clone();
        let slim = whole.for_numbering();
        assert_eq!(slim.id.as_deref(), Some("S"));
        assert!(slim.is_source && !slim.has_errors());
        let event = slim.event("S:made").expect("event");
        assert_eq!(event.definition, "#Made");
        assert_eq!(event.digest().cloned(), digest);
        assert_eq!(event.definition_text, text);
        assert!(event.attributes.is_empty() && event.examples.is_empty());
        assert_eq!(
            slim.files.files().count(),
            0,
            "the files of a package without errors go"
        );

        let broken = load("package s\nsource: {id: \"S\", owner: \"@o\"}\nevents: {\"S:made\": #Made}\n#Made: {name: strin}\n");
        let (diagnostics, files) = (broken.diagnostics.clone(), broken.files.clone());
        assert!(broken.has_errors());
        let slim = broken.for_numbering();
        assert!(slim.has_errors());
        assert_eq!(slim.diagnostics, diagnostics);
        assert!(
            Arc::ptr_eq(&slim.files, &files),
            "a problem's positions need the files"
        );
    }

    #[test]
    fn reports_contract_violations_with_positions() {
        let source =
            load("package s\nsource: {id: 3, extra: true}\nevents: {\"S:made\": #Missing}\n");
        let codes: Vec<&str> = source.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                // The engine's own error for the unknown name, then the contract's.
                "REFERENCE",
                "SOURCE_FIELD_INVALID",
                "SOURCE_FIELD_MISSING",
                "SOURCE_FIELD_UNKNOWN",
                "EVENT_DEFINITION_UNKNOWN"
            ]
        );
        let positions: Vec<String> = source
            .diagnostics
            .iter()
            .map(|d| source.files.describe(d.spans[0]))
            .collect();
        assert_eq!(
            positions,
            [
                "sources/s/s.cue:3:20",
                "sources/s/s.cue:2:10",
                "sources/s/s.cue:2:1",
                "sources/s/s.cue:2:17",
                "sources/s/s.cue:3:20"
            ]
        );
        assert!(source.event("S:made").expect("listed").schema.is_none());
    }

    #[test]
    fn a_package_that_does_not_parse_is_listed_with_its_errors() {
        let source = load("package s\nsource: {id: \"S\", owner: \"@o\"}\nevents: {\"S:made\": #Made}\n#Made: {name: }\n");
        assert!(source.has_errors());
        assert!(source.event("S:made").expect("listed").schema.is_none());
    }

    fn prepared(text: &str) -> PreparedSource {
        PreparedSource {
            directory: "sources/s".into(),
            tree_id: git2::Oid::zero(),
            files: PackageFiles {
                files: vec![("sources/s/s.cue".into(), text.into())],
            },
            imports: HashMap::new(),
            examples: Vec::new(),
        }
    }

    /// What numbering and serving read of a loaded source, to compare two loads.
    fn summary(source: &Source) -> String {
        let events: Vec<String> = source
            .events
            .iter()
            .map(|event| {
                format!(
                    "{} {} {:?} {:?}",
                    event.event_type,
                    event.definition,
                    event.digest(),
                    event.definition_text
                )
            })
            .collect();
        let diagnostics: Vec<String> = source
            .diagnostics
            .iter()
            .map(|d| {
                let at: Vec<String> = d.spans.iter().map(|s| source.files.describe(*s)).collect();
                format!("{} {} {at:?}", d.code, d.message)
            })
            .collect();
        format!(
            "{:?} {:?} {:?}\n{events:#?}\n{diagnostics:#?}",
            source.id, source.owner, source.description
        )
    }

    const STATE: &str = "package s\nsource: {id: \"S\", owner: \"@o\"}\nevents: {\n\t\"S:a\": #A\n\t\"S:b\": #B @compat(FULL)\n}\n#Common: {at: string}\n#A: {#Common, n: int & <=BOUND}\n#B: {name: string, kind: \"x\" | *\"y\"}\n";

    #[test]
    fn a_state_that_reuses_clean_fields_loads_as_a_whole_evaluation_does() {
        // Each state after the first changes #A (clean, broken, clean again) or breaks the
        // fields around it; loading them in turn with one cache (which leaves the unchanged
        // fields and the events map unevaluated) gives what loading each alone gives.
        let states = [
            STATE.replace("BOUND", "10"),
            STATE.replace("BOUND", "11"),
            STATE.replace("BOUND", "\"x\""),
            STATE
                .replace("BOUND", "12")
                .replace("{#Common, n", "{#Common, at: 3, n"),
            STATE
                .replace("BOUND", "13")
                .replace("#B @compat", "#B & {extra: 1} @compat"),
            STATE
                .replace("BOUND", "14")
                .replace("\"S:b\": #B", "\"S:b\": #Nope"),
            STATE.replace("BOUND", "15"),
            STATE
                .replace("BOUND", "15")
                .replace("#Common: {at: string}", "#Common: {at: int}"),
        ];
        let cache = SchemaCache::default();
        for (index, state) in states.iter().enumerate() {
            let shared = load_source_with(prepared(state), &cache);
            let whole = load_source_settling(prepared(state), &SchemaCache::default(), false);
            assert_eq!(summary(&shared), summary(&whole), "state {index}:\n{state}");
            let alone = load_source(prepared(state));
            assert_eq!(
                summary(&alone),
                summary(&whole),
                "state {index} alone:\n{state}"
            );
        }
        // The states above include clean and broken ones.
        assert!(!load_source(prepared(&states[1])).has_errors());
        for broken in [2, 3, 4, 5] {
            assert!(
                load_source(prepared(&states[broken])).has_errors(),
                "{broken}"
            );
        }
    }

    #[test]
    fn a_field_known_clean_is_not_evaluated_again() {
        // A key noted clean stands for the evaluation of its text: loading does not evaluate
        // that field again. (Noting a broken field clean, which loading never does, shows it.)
        let text = "package s\nsource: {id: \"S\", owner: \"@o\"}\nevents: {\"S:a\": #A}\n#A: {n: int}\nbroken: 1 & 2\n";
        let cache = SchemaCache::default();
        assert!(load_source_with(prepared(text), &cache).has_errors());
        let files = PackageFiles {
            files: vec![("sources/s/s.cue".into(), text.into())],
        };
        let package = Package::load(files, &MemoryResolver::default());
        let declarations = Declarations::new(package.syntax(), package.sources(), &HashMap::new());
        cache.note_clean([declarations.key("broken", package.sources())]);
        let source = load_source_with(prepared(text), &cache);
        assert!(!source.has_errors(), "{:?}", source.diagnostics);
        assert!(source.event("S:a").and_then(Event::digest).is_some());
        // A cache that does not know the field finds its error.
        assert!(load_source_with(prepared(text), &SchemaCache::default()).has_errors());
    }

    #[test]
    fn a_key_follows_what_its_text_can_reach_and_nothing_else() {
        let key_of = |text: &str, path: &str| {
            let files = PackageFiles {
                files: vec![("s.cue".into(), text.into())],
            };
            let package = Package::load(files, &MemoryResolver::default());
            let declarations =
                Declarations::new(package.syntax(), package.sources(), &HashMap::new());
            declarations.key(path, package.sources())
        };
        let base = "package s\n#E: {a: #H, b: _l}\nlet _l = #G\n#G: {g: int}\n#H: {h: int}\n#O: {o: int}\n";
        let e = key_of(base, "#E");
        assert_eq!(e, key_of(base, "#E"));
        // What #E names, directly or through a let, is part of its key.
        assert_ne!(e, key_of(&base.replace("h: int", "h: string"), "#E"));
        assert_ne!(e, key_of(&base.replace("g: int", "g: string"), "#E"));
        // A declaration it cannot reach is not.
        assert_eq!(e, key_of(&base.replace("o: int", "o: string"), "#E"));
        assert_ne!(
            key_of(base, "#O"),
            key_of(&base.replace("o: int", "o: string"), "#O")
        );
        // The path is part of it.
        assert_ne!(e, key_of(base, "#H"));
    }

    #[test]
    fn examples_folders_round_trip() {
        for event_type in ["MySource:newPerson", "com.acme.order.created", "a/b c%"] {
            assert_eq!(
                event_type_of_folder(&examples_folder_name(event_type)),
                event_type
            );
        }
        assert_eq!(
            examples_folder_name("MySource:newPerson"),
            "MySource%3AnewPerson"
        );
        assert_eq!(event_type_of_folder("100%"), "100%");
    }
}
