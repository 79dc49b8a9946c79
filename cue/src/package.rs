//! The public entry points: loading a package and validating data against one of its values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ast::{self, Decl, ExprKind, LabelKind};
use crate::diagnostic::Diagnostic;
use crate::eval::{Eval, ImportTarget, PackageData, Program};
use crate::source::{FileId, SourceMap};

/// How a data file is encoded, for [`Schema::validate_placed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataEncoding {
    /// One JSON value (`.json`).
    Json,
    /// A stream of JSON values (`.jsonl`, `.ndjson`, `.ldjson`).
    JsonStream,
    /// A stream of YAML documents (`.yaml`, `.yml`).
    Yaml,
    /// One TOML document (`.toml`).
    Toml,
}

/// The files of one package, as (name used in positions, text) pairs.
#[derive(Debug, Clone, Default)]
pub struct PackageFiles {
    pub files: Vec<(String, String)>,
}

/// Finds the files of an imported package. The import path is as written in the `import`
/// declaration (`schemas.example.com/common`, or `example.com/x:name` with a package
/// qualifier). Builtin packages (`strings`, `list`, ...) never reach a resolver.
pub trait ImportResolver {
    /// `Ok(None)` when the path is not in this module: the importer reports it.
    fn resolve(&self, import_path: &str) -> Result<Option<PackageFiles>, String>;
}

/// A resolver over packages already in memory, by import path (read from a Git tree, or
/// received from the registry).
#[derive(Debug, Clone, Default)]
pub struct MemoryResolver {
    pub packages: HashMap<String, PackageFiles>,
}

impl ImportResolver for MemoryResolver {
    fn resolve(&self, import_path: &str) -> Result<Option<PackageFiles>, String> {
        Ok(self.packages.get(import_path).cloned())
    }
}

/// A resolver for code that has no imports beyond the builtin packages.
pub struct NoImports;

impl ImportResolver for NoImports {
    fn resolve(&self, _import_path: &str) -> Result<Option<PackageFiles>, String> {
        Ok(None)
    }
}

/// Resolves imports of a CUE module on disk: reads `cue.mod/module.cue` under `root` for the
/// module path, and maps `module/path/to/pkg` to the `.cue` files of `root/path/to/pkg`.
pub struct DirectoryResolver {
    pub root: PathBuf,
    pub module: String,
}

impl DirectoryResolver {
    /// Walks up from `start` to the first directory holding `cue.mod/module.cue`.
    pub fn find(start: &Path) -> Option<DirectoryResolver> {
        let start = std::fs::canonicalize(start).ok()?;
        let mut dir = Some(start.as_path());
        while let Some(d) = dir {
            let module_file = d.join("cue.mod").join("module.cue");
            if let Ok(text) = std::fs::read_to_string(&module_file) {
                let module = module_path(&text).unwrap_or_default();
                return Some(DirectoryResolver {
                    root: d.to_path_buf(),
                    module,
                });
            }
            dir = d.parent();
        }
        None
    }
}

/// The `module: "..."` field of a `cue.mod/module.cue` file.
pub fn module_path(module_cue: &str) -> Option<String> {
    let (file, _) = crate::parser::parse_file(FileId(0), module_cue);
    file.decls.iter().find_map(|d| match d {
        Decl::Field(f) => match (&f.label.kind, &f.value.kind) {
            (LabelKind::Ident(id), ExprKind::String(s)) if id.name == "module" => {
                Some(s.split('@').next().unwrap_or(s).to_string())
            }
            _ => None,
        },
        _ => None,
    })
}

impl ImportResolver for DirectoryResolver {
    fn resolve(&self, import_path: &str) -> Result<Option<PackageFiles>, String> {
        let (path, qualifier) = match import_path.rsplit_once(':') {
            Some((p, q)) => (p, Some(q)),
            None => (import_path, None),
        };
        let Some(rest) = path.strip_prefix(&self.module) else {
            return Ok(None);
        };
        let rest = rest.trim_start_matches('/');
        if rest.split('/').any(|part| part == "..") {
            return Err(format!("import path {import_path:?} leaves the module"));
        }
        let dir = self.root.join(rest);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(_) => return Ok(None),
        };
        let mut names: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cue"))
            .collect();
        names.sort();
        let mut files = Vec::new();
        for name in names {
            let text = std::fs::read_to_string(&name)
                .map_err(|e| format!("reading {}: {e}", name.display()))?;
            if let Some(q) = qualifier {
                let (file, _) = crate::parser::parse_file(FileId(0), &text);
                if file.package.as_ref().map(|p| p.name.as_str()) != Some(q) {
                    continue;
                }
            }
            let shown = name
                .strip_prefix(&self.root)
                .unwrap_or(&name)
                .display()
                .to_string();
            files.push((shown, text));
        }
        if files.is_empty() {
            return Ok(None);
        }
        Ok(Some(PackageFiles { files }))
    }
}

/// A loaded, evaluated package.
pub struct Package {
    pub(crate) program: Arc<Program>,
}

/// A value of a package compiled for validation. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Schema {
    program: Arc<Program>,
    /// The `-d` expression, with the file it was parsed from; `None` validates against the
    /// whole package.
    expression: Option<Arc<(ast::Expr, FileId, String)>>,
    sources: Arc<SourceMap>,
    /// The schema compiled for data-independent checking, when its constraints do not depend
    /// on the data (see `crate::validate`); `None` validates by unification.
    compiled: Option<Arc<crate::validate::Node>>,
    /// The file id a data document gets: the one after the schema's sources.
    data_file: FileId,
}

/// The outcome of validating one document.
pub struct Validation {
    /// Every violation, in CUE's order. Empty means the document is valid.
    pub errors: Vec<Diagnostic>,
    /// The schema files and the data document, to render positions.
    pub sources: Arc<SourceMap>,
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

struct Loader<'r> {
    resolver: &'r dyn ImportResolver,
    sources: SourceMap,
    packages: Vec<PackageData>,
    by_path: HashMap<String, usize>,
    diagnostics: Vec<Diagnostic>,
}

impl Loader<'_> {
    fn load(&mut self, files: &PackageFiles, stack: &mut Vec<String>) -> usize {
        let index = self.packages.len();
        self.packages.push(PackageData {
            files: Vec::new(),
            imports: Vec::new(),
        });
        let mut parsed = Vec::new();
        let mut imports = Vec::new();
        for (name, text) in &files.files {
            let id = self.sources.add(name.clone(), text.as_str());
            let (file, diagnostics) = crate::parser::parse_file(id, text);
            self.diagnostics.extend(diagnostics);
            let mut table = HashMap::new();
            for import in &file.imports {
                let local = match &import.alias {
                    Some(alias) => alias.name.clone(),
                    None => default_import_name(&import.path),
                };
                let target = if crate::builtins::is_package(&import.path) {
                    Some(ImportTarget::Builtin(import.path.clone()))
                } else if let Some(&i) = self.by_path.get(&import.path) {
                    Some(ImportTarget::Package(i))
                } else if stack.contains(&import.path) {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "IMPORT_CYCLE",
                            format!("import cycle: {} imports itself", import.path),
                        )
                        .with_span(import.span),
                    );
                    None
                } else {
                    match self.resolver.resolve(&import.path) {
                        Ok(Some(package_files)) => {
                            stack.push(import.path.clone());
                            let i = self.load(&package_files, stack);
                            stack.pop();
                            self.by_path.insert(import.path.clone(), i);
                            Some(ImportTarget::Package(i))
                        }
                        Ok(None) => {
                            self.diagnostics.push(
                                Diagnostic::error(
                                    "IMPORT",
                                    format!("package {:?} not found", import.path),
                                )
                                .with_span(import.span),
                            );
                            None
                        }
                        Err(message) => {
                            self.diagnostics.push(
                                Diagnostic::error(
                                    "IMPORT",
                                    format!("cannot load package {:?}: {message}", import.path),
                                )
                                .with_span(import.span),
                            );
                            None
                        }
                    }
                };
                if let Some(target) = target {
                    table.insert(local, target);
                }
            }
            parsed.push(file);
            imports.push(table);
        }
        self.check_package_names(&parsed);
        self.packages[index] = PackageData {
            files: parsed,
            imports,
        };
        index
    }

    fn check_package_names(&mut self, files: &[ast::File]) {
        let mut first: Option<&ast::Ident> = None;
        for file in files {
            if let Some(name) = &file.package {
                match first {
                    None => first = Some(name),
                    Some(f) if f.name != name.name => self.diagnostics.push(
                        Diagnostic::error(
                            "PACKAGE",
                            format!(
                                "found packages {:?} and {:?} in the same package",
                                f.name, name.name
                            ),
                        )
                        .with_span(name.span),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
}

/// The name an import binds without an alias: the last path element, or the `:name`
/// qualifier (`example.com/foo/v2:foo` binds `foo`).
fn default_import_name(path: &str) -> String {
    if let Some((_, qualifier)) = path.rsplit_once(':') {
        return qualifier.to_string();
    }
    path.rsplit('/').next().unwrap_or(path).to_string()
}

impl Package {
    /// Parses and evaluates the files of one package. Never fails: syntax and evaluation
    /// errors are in [`Package::diagnostics`].
    pub fn load(files: PackageFiles, resolver: &dyn ImportResolver) -> Package {
        Package::load_then(files, resolver, false, |_| (Vec::new(), ()), |_, _, _| ()).0
    }

    /// Loads the package, then runs `then` on the evaluation that found its errors (when it
    /// has none), so that work needing the evaluated package does not evaluate it again.
    /// With `track`, the evaluation also notes which values depend on the data (as export
    /// needs). `plan` reads the parsed program before evaluation: it names the top-level
    /// fields known to hold no error (see [`Eval::settle`]) and makes what `then` is given.
    pub(crate) fn load_then<P, T>(
        files: PackageFiles,
        resolver: &dyn ImportResolver,
        track: bool,
        plan: impl FnOnce(&Program) -> (Vec<String>, P),
        then: impl FnOnce(Eval<'_>, crate::eval::VertexId, P) -> T,
    ) -> (Package, Option<T>) {
        let mut loader = Loader {
            resolver,
            sources: SourceMap::new(),
            packages: Vec::new(),
            by_path: HashMap::new(),
            diagnostics: Vec::new(),
        };
        loader.load(&files, &mut Vec::new());
        let mut program = Program {
            sources: loader.sources,
            packages: loader.packages,
            diagnostics: loader.diagnostics,
        };
        let (settled, planned) = plan(&program);
        let (evaluation_errors, result) = {
            let mut eval = Eval::new(&program, Vec::new());
            let root = eval.package_root(0);
            eval.settle(root, &settled);
            if track {
                eval.track_dependents(root);
            }
            eval.collect_definition_errors(true);
            eval.finalize_with_definitions(root);
            let mut errors = Vec::new();
            eval.collect_errors(root, &mut errors, false);
            if let Some(err) = eval.aborted() {
                errors.push(Diagnostic::error(err.code, err.message.clone()));
            }
            let result = (errors.is_empty() && program.diagnostics.is_empty()).then(|| {
                eval.collect_definition_errors(false);
                then(eval, root, planned)
            });
            (errors, result)
        };
        program.diagnostics.extend(evaluation_errors);
        (
            Package {
                program: Arc::new(program),
            },
            result,
        )
    }

    /// Syntax, import and evaluation errors of the package (not incompleteness).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.program.diagnostics
    }

    /// Whether the package's errors may be undone by data: each is an error of evaluation
    /// (a builtin called on a list the data fills, `list.Max([...int])`), none one of its
    /// text (syntax, imports, package names, references to nothing in scope). `cue vet`
    /// evaluates a package together with each data file, so these are judged with the data:
    /// [`Schema::validate_json`] reports those that remain. False without errors.
    pub fn errors_may_depend_on_data(&self) -> bool {
        use crate::Code;
        let textual = [
            Code::Syntax,
            Code::Import,
            Code::ImportCycle,
            Code::Package,
            Code::Reference,
            Code::Unsupported,
        ];
        !self.diagnostics().is_empty()
            && self
                .diagnostics()
                .iter()
                .all(|d| !textual.iter().any(|&code| d.is(code)))
    }

    pub fn sources(&self) -> &SourceMap {
        &self.program.sources
    }

    /// The syntax of the package's own files (not of the packages it imports), as loading
    /// parsed them: spans point into [`Package::sources`].
    pub fn syntax(&self) -> &[ast::File] {
        self.program.syntax()
    }

    /// Compiles the value to validate against: `Some("#Def")` like `cue vet -d '#Def'`, or
    /// `None` for the whole package. Errors when the expression does not parse or does not
    /// evaluate (an unknown name, a conflict inside the definition).
    pub fn schema(&self, expression: Option<&str>) -> Result<Schema, Vec<Diagnostic>> {
        let mut sources = self.program.sources.clone();
        let mut compiled = None;
        let expression = match expression {
            None => {
                let mut eval = Eval::new(&self.program, Vec::new());
                let root = eval.package_root(0);
                eval.track(root);
                eval.finalize(root);
                compiled = crate::validate::compile(&mut eval, root).map(Arc::new);
                None
            }
            Some(text) => {
                let file = sources.add("<expression>", text);
                let (expr, diagnostics) = crate::parser::parse_expr(file, text);
                if !diagnostics.is_empty() {
                    return Err(diagnostics);
                }
                let errors = {
                    let mut eval = Eval::new(&self.program, vec![(file, text)]);
                    let root = eval.expression_vertex(&expr);
                    eval.track(root);
                    eval.finalize(root);
                    let mut errors = Vec::new();
                    eval.collect_errors(root, &mut errors, false);
                    if errors.is_empty() {
                        compiled = crate::validate::compile(&mut eval, root).map(Arc::new);
                    }
                    errors
                };
                if !errors.is_empty() {
                    return Err(errors);
                }
                Some(Arc::new((expr, file, text.to_string())))
            }
        };
        let data_file = FileId(sources.files().count() as u32);
        Ok(Schema {
            program: self.program.clone(),
            expression,
            sources: Arc::new(sources),
            compiled,
            data_file,
        })
    }
}

/// A concrete value as JSON: ints that fit stay ints, floats become JSON numbers.
pub(crate) fn concrete_to_json(c: &crate::builtins::Concrete) -> serde_json::Value {
    use crate::builtins::Concrete;
    match c {
        Concrete::Null => serde_json::Value::Null,
        Concrete::Bool(b) => serde_json::Value::Bool(*b),
        Concrete::Int(i) => {
            if let Ok(v) = i64::try_from(*i) {
                serde_json::Value::from(v)
            } else if let Ok(v) = u64::try_from(*i) {
                serde_json::Value::from(v)
            } else {
                serde_json::Value::from(*i as f64)
            }
        }
        Concrete::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Concrete::String(s) => serde_json::Value::String(s.to_string()),
        Concrete::Bytes(b) => serde_json::Value::String(String::from_utf8_lossy(b).into_owned()),
        Concrete::List(items) => {
            serde_json::Value::Array(items.iter().map(concrete_to_json).collect())
        }
        Concrete::Struct(fields) => serde_json::Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), concrete_to_json(v)))
                .collect(),
        ),
    }
}

impl Package {
    /// Evaluates `expression` in the package's scope (or the whole package) and returns its
    /// concrete value as JSON, like `cue export -e`: errors, then incompleteness, are `Err`.
    pub fn export_json(
        &self,
        expression: Option<&str>,
    ) -> Result<serde_json::Value, Vec<Diagnostic>> {
        let mut sources = self.program.sources.clone();
        let text = expression.unwrap_or("");
        let file = sources.add("<expression>", text);
        let parsed = match expression {
            Some(text) => {
                let (expr, diagnostics) = crate::parser::parse_expr(file, text);
                if !diagnostics.is_empty() {
                    return Err(diagnostics);
                }
                Some(expr)
            }
            None => None,
        };
        let mut eval = Eval::new(&self.program, vec![(file, text)]);
        let root = match &parsed {
            Some(expr) => eval.expression_root(expr),
            None => {
                let root = eval.package_root(0);
                eval.finalize(root);
                root
            }
        };
        let mut errors = Vec::new();
        if let Some(err) = eval.aborted() {
            return Err(vec![Diagnostic::error(err.code, err.message.clone())]);
        }
        eval.collect_errors(root, &mut errors, false);
        if errors.is_empty() {
            eval.collect_incomplete(root, &mut errors, false);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        match eval.concrete_value(root) {
            Some(c) => Ok(concrete_to_json(&c)),
            None => Err(vec![Diagnostic::error("INCOMPLETE", "incomplete value")]),
        }
    }
}

impl Package {
    /// What keeps the package's regular fields from being concrete data, as `cue vet -c`
    /// reports it: incomplete values (`b: string`), ambiguous disjunctions and missing required
    /// fields, in `cue vet`'s order. Empty when the package exports as data. Definitions,
    /// hidden and optional fields need not be concrete. Call it on a package without
    /// [`Package::diagnostics`]: those come first.
    pub fn incomplete_values(&self) -> Vec<Diagnostic> {
        match self.export_json(None) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics,
        }
    }
}

impl Schema {
    /// Validates one JSON document (decoded as CUE: `1.0` is a float) like `cue vet` does:
    /// every conflict, then, when there is none, every field left incomplete.
    pub fn validate_json(&self, name: &str, text: &str) -> Validation {
        let Some(node) = &self.compiled else {
            return self.validate_json_unified(name, text);
        };
        // Most documents are valid: decide that while reading, without building anything.
        if crate::validate::stream_valid(node, text) == Some(true) {
            return Validation {
                errors: Vec::new(),
                sources: self.sources.clone(),
            };
        }
        let data = match crate::json::decode_document(self.data_file, text) {
            // Repeated keys unify, which only unification does.
            Ok((_, true)) => return self.validate_json_unified(name, text),
            Ok((data, false)) => data,
            Err(diagnostic) => {
                return Validation {
                    errors: vec![*diagnostic],
                    sources: self.sources_with(name, text),
                }
            }
        };
        let mut checker = crate::validate::Checker::new(text);
        let mut errors = checker.validate(node, &data);
        errors.truncate(crate::eval::MAX_ERRORS);
        if checker.bailed {
            return self.validate_json_unified(name, text);
        }
        Validation {
            errors,
            sources: self.sources_with(name, text),
        }
    }

    /// The schema's sources plus the data document, which gets the id `self.data_file`.
    fn sources_with(&self, name: &str, text: &str) -> Arc<SourceMap> {
        let mut sources = (*self.sources).clone();
        sources.add(name, text);
        Arc::new(sources)
    }

    #[cfg(test)]
    pub(crate) fn compiled_node(&self) -> Option<&crate::validate::Node> {
        self.compiled.as_deref()
    }

    /// Whether this schema validates with its compiled form (its constraints do not depend on
    /// the data) rather than by unifying each document with it.
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }

    fn decode<'t>(
        &self,
        name: &str,
        text: &'t str,
    ) -> Result<(Arc<SourceMap>, crate::json::JsonValue<'t>), Validation> {
        let sources = self.sources_with(name, text);
        match crate::json::decode_value(self.data_file, text) {
            Ok(data) => Ok((sources, data)),
            Err(diagnostic) => Err(Validation {
                errors: vec![*diagnostic],
                sources,
            }),
        }
    }

    /// Validates by unifying the document with the schema, as `cue vet` does, even where a
    /// compiled form exists: the reference the compiled form is tested against.
    pub fn validate_json_unified(&self, name: &str, text: &str) -> Validation {
        let (sources, data) = match self.decode(name, text) {
            Ok(decoded) => decoded,
            Err(validation) => return validation,
        };
        self.unify_decoded(text, sources, &data)
    }

    /// Validates every document of a YAML stream (`.yaml`, `.yml`) like `cue vet` does, each
    /// on its own, in order: one [`Validation`] per document, positions in the YAML text. A
    /// stream that is not valid YAML gives one validation holding the syntax error.
    pub fn validate_yaml(&self, name: &str, text: &str) -> Vec<Validation> {
        let sources = self.sources_with(name, text);
        match crate::yaml::decode_stream(self.data_file, text) {
            Ok(documents) => documents
                .iter()
                .map(|document| self.unify_decoded(text, sources.clone(), document))
                .collect(),
            Err(diagnostic) => vec![Validation {
                errors: vec![*diagnostic],
                sources,
            }],
        }
    }

    /// Validates a TOML document (`.toml`) like `cue vet` does: its tables are structs, arrays
    /// of tables lists, dates and times strings; positions in the TOML text. A document that is
    /// not valid TOML gives the syntax error at its position.
    pub fn validate_toml(&self, name: &str, text: &str) -> Validation {
        let sources = self.sources_with(name, text);
        match crate::builtins::toml::decode(self.data_file, text) {
            Ok(document) => self.unify_decoded(text, sources, &document),
            Err(diagnostic) => Validation {
                errors: vec![*diagnostic],
                sources,
            },
        }
    }

    /// Validates a data file whose documents are each placed at a path computed from their own
    /// content, as `cue vet -l` does: every expression of `labels` gives one label of the path,
    /// evaluated in the scope of the document's fields (`strings.ToLower(kind)`, `name`), and
    /// the file's documents, each under its path, are validated as one value. A document whose
    /// label is not a string, or cannot be computed, is an error at the document.
    pub fn validate_placed(
        &self,
        name: &str,
        text: &str,
        encoding: DataEncoding,
        labels: &[String],
    ) -> Validation {
        let sources = self.sources_with(name, text);
        let file = self.data_file;
        let decoded = match encoding {
            DataEncoding::Json => crate::json::decode_value(file, text).map(|value| vec![value]),
            DataEncoding::JsonStream => crate::json::decode_stream(file, text),
            DataEncoding::Yaml => crate::yaml::decode_stream(file, text),
            DataEncoding::Toml => crate::builtins::toml::decode(file, text).map(|v| vec![v]),
        };
        let documents = match decoded {
            Ok(documents) => documents,
            Err(diagnostic) => {
                return Validation {
                    errors: vec![*diagnostic],
                    sources,
                }
            }
        };
        let mut placed = Vec::with_capacity(documents.len());
        let mut errors = Vec::new();
        for document in &documents {
            match crate::placement::labels_of(document, labels) {
                Ok(path) => placed.push((path, document.to_expr())),
                Err(diagnostic) => errors.push(*diagnostic),
            }
        }
        if !errors.is_empty() {
            return Validation { errors, sources };
        }
        let data = crate::placement::placed(file, text.len(), placed);
        self.unify_expr(text, sources, data)
    }

    /// Unifies one decoded document (spans into `text`, the file `self.data_file`) with the
    /// schema and collects its errors, then its incomplete fields.
    fn unify_decoded(
        &self,
        text: &str,
        sources: Arc<SourceMap>,
        data: &crate::json::JsonValue<'_>,
    ) -> Validation {
        self.unify_expr(text, sources, data.to_expr())
    }

    /// Unifies data given as a syntax tree (spans into `text`) with the schema.
    fn unify_expr(&self, text: &str, sources: Arc<SourceMap>, data: ast::Expr) -> Validation {
        let file = data.span.file;
        let mut extra = vec![(file, text)];
        if let Some(expression) = &self.expression {
            extra.push((expression.1, expression.2.as_str()));
        }
        let mut eval = Eval::new(&self.program, extra);
        let root = eval.validation_root(self.expression.as_ref().map(|e| &e.0), &data);
        let mut errors = Vec::new();
        if let Some(err) = eval.aborted() {
            errors.push(Diagnostic::error(err.code, err.message.clone()));
        } else {
            eval.collect_errors(root, &mut errors, false);
            if errors.is_empty() {
                eval.collect_incomplete(root, &mut errors, false);
            }
        }
        errors.truncate(crate::eval::MAX_ERRORS);
        Validation { errors, sources }
    }
}
