//! What the rules look at: the repository's files sorted into source packages (parsed and
//! loaded), examples, and stray files, with every text in one [`Sources`] map so that every
//! finding points into the same files whatever package it came from.

use std::collections::HashMap;

use cue::ast::{self, BinaryOp, Decl, Expr, ExprKind, Field, LabelKind, UnaryOp};
use cue::{FileId, Package, PackageFiles, Span};

use super::ignore::{self, Directive};
use super::Finding;
use crate::files::{
    is_package_file_name, package_file_names, FilesError, FilesResolver, RepoFiles, MODULE_FILE,
    SOURCES_DIRECTORY,
};
use crate::finding::{label_name, Sources};
use crate::settings::Settings;

/// The repository as the rules see it.
pub struct Workspace {
    /// The CUE module path (`schemas.example.com`).
    pub module: String,
    pub settings: Settings,
    /// Problems found reading `cuemesh.cue` (`CONFIG_INVALID`).
    pub settings_problems: Vec<Finding>,
    pub sources: Sources,
    /// One per folder of `sources/` holding `.cue` files, in folder-name order.
    pub packages: Vec<SourcePackage>,
    /// Files under `sources/` that are neither package files, documentation nor examples.
    pub stray_files: Vec<StrayFile>,
    /// Every `// cuemesh:ignore` comment of every `.cue` file lint read.
    pub directives: Vec<Directive>,
    /// Malformed `cuemesh:` comments (`IGNORE_UNUSED`).
    pub directive_problems: Vec<Finding>,
    /// The `CODEOWNERS` file GitHub would use, when the repository has one (its text is in
    /// [`Workspace::sources`]).
    pub codeowners: Option<super::codeowners::CodeOwners>,
    /// One per `.cue` file of `consumers/`, in path order.
    pub consumers: Vec<ConsumerFile>,
    /// What lint knows of the branch's versions (see [`super::LintOptions`]).
    pub options: super::LintOptions,
}

/// One file of `consumers/`: the loaded consumer, whose diagnostics' spans point into
/// [`crate::Consumer::files`]; its text is in [`Workspace::sources`] under the same name.
pub struct ConsumerFile {
    pub file: FileId,
    pub consumer: crate::Consumer,
}

/// One package under `sources/`: a data product's source, or shared types (a package that
/// declares neither `source` nor `events`, such as `sources/common`).
pub struct SourcePackage {
    /// `sources/identity`.
    pub folder: String,
    /// The package's files, parsed, with their ids in [`Workspace::sources`].
    pub files: Vec<(FileId, ast::File)>,
    pub package: Package,
    /// Syntax, import and evaluation errors, and files that are not UTF-8 (`PACKAGE_ERROR`).
    pub problems: Vec<Finding>,
    /// Whether the package declares `source` or `events`: the source contract applies.
    pub is_source: bool,
    pub events: Vec<EventDeclaration>,
    pub examples: Vec<Example>,
    /// Every definition and field declared inside definitions, in source order.
    pub declarations: Vec<Declaration>,
}

/// One field of a package's `events` struct.
pub struct EventDeclaration {
    /// The CloudEvents type; `None` when the label is not a literal (computed, a pattern).
    pub event_type: Option<String>,
    /// The label (or the whole declaration when it is not a field).
    pub span: Span,
    /// The value: a reference to a definition, if the contract holds.
    pub value: Expr,
}

/// One example payload, `sources/<name>/examples/<event type>/<file>.json`.
pub struct Example {
    pub file: FileId,
    /// The repository-relative path.
    pub path: String,
    /// The event type the folder names, percent-decoded.
    pub event_type: String,
    /// The text, `None` when the file is not UTF-8.
    pub text: Option<String>,
}

/// A file under `sources/` that lint does not know what to do with.
pub struct StrayFile {
    pub file: FileId,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclarationKind {
    Definition,
    Field,
}

/// A definition (`#Identity`) or a regular field declared inside one.
#[derive(Debug, Clone)]
pub struct Declaration {
    pub kind: DeclarationKind,
    /// The path from the package root (`#Identity.address.street`): declarations with the same
    /// key are one field declared in several places.
    pub key: String,
    /// The name as written, without `#` for a definition.
    pub name: String,
    /// The label.
    pub span: Span,
    /// Whether a doc comment (other than `cuemesh:` directives) stands above it.
    pub documented: bool,
}

impl SourcePackage {
    /// The declarations with one entry per key: the first place it is declared, documented
    /// when any of its declarations is.
    pub fn unique_declarations(&self) -> Vec<Declaration> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut unique: Vec<Declaration> = Vec::new();
        for declaration in &self.declarations {
            match seen.get(declaration.key.as_str()) {
                Some(&index) => unique[index].documented |= declaration.documented,
                None => {
                    seen.insert(&declaration.key, unique.len());
                    unique.push(declaration.clone());
                }
            }
        }
        unique
    }

    /// Where to point at the package as a whole: its package clause, or its first file.
    pub fn anchor(&self) -> Option<Span> {
        let (id, file) = self.files.first()?;
        Some(
            file.package
                .as_ref()
                .map_or(Span::new(*id, 0, 0), |name| name.span),
        )
    }

    /// The parsed files as `find_field` takes them.
    pub fn syntax(&self) -> Vec<(FileId, &ast::File)> {
        self.files.iter().map(|(id, file)| (*id, file)).collect()
    }
}

impl Workspace {
    pub fn build(tree: &RepoFiles) -> Result<Workspace, FilesError> {
        Workspace::build_with(tree, &super::LintOptions::default())
    }

    /// [`Workspace::build`] with what lint knows beyond the files (the branch's versions).
    pub fn build_with(
        tree: &RepoFiles,
        options: &super::LintOptions,
    ) -> Result<Workspace, FilesError> {
        let module = tree
            .text(MODULE_FILE)
            .and_then(cue::module_path)
            .filter(|module| !module.is_empty())
            .ok_or(FilesError::NoModulePath)?;
        let mut sources = Sources::default();
        let (settings, settings_problems) = Settings::load(tree, &module, &mut sources);
        let codeowners = crate::files::CODEOWNERS_PATHS
            .iter()
            .find(|path| tree.files.contains_key(**path))
            .map(|path| {
                // A file that is not UTF-8 is read with replacement characters: its rules
                // still have positions.
                let text = String::from_utf8_lossy(&tree.files[*path]).into_owned();
                let file = sources.add(path, &text);
                super::codeowners::CodeOwners::parse(path, file, &text)
            });
        let mut workspace = Workspace {
            module,
            settings,
            settings_problems,
            sources,
            packages: Vec::new(),
            stray_files: Vec::new(),
            directives: Vec::new(),
            directive_problems: Vec::new(),
            codeowners,
            consumers: Vec::new(),
            options: options.clone(),
        };
        workspace.sort_files(tree);
        workspace.load_consumers(tree);
        workspace.scan_directives();
        Ok(workspace)
    }

    /// Sorts every file under `sources/` into packages, examples and strays.
    fn sort_files(&mut self, tree: &RepoFiles) {
        let prefix = format!("{SOURCES_DIRECTORY}/");
        let folders: std::collections::BTreeSet<&str> = tree
            .files
            .keys()
            .filter_map(|path| path.strip_prefix(&prefix)?.split_once('/'))
            .map(|(folder, _)| folder)
            .collect();
        let mut package_index: HashMap<&str, usize> = HashMap::new();
        for folder in &folders {
            let folder_path = format!("{prefix}{folder}");
            if package_file_names(tree, &folder_path).is_empty() {
                continue;
            }
            package_index.insert(folder, self.packages.len());
            let package = self.load_package(tree, &folder_path);
            self.packages.push(package);
        }
        for (path, bytes) in &tree.files {
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            let parts: Vec<&str> = rest.split('/').collect();
            let text = std::str::from_utf8(bytes).ok();
            let stray = |reason: &str| reason.to_string();
            let reason = match parts.as_slice() {
                [_] => Some(stray(
                    "a file directly in sources/ belongs to no source: sources/<name>/ holds one package each",
                )),
                [folder, _] if !package_index.contains_key(folder) => Some(format!(
                    "sources/{folder}/ has no .cue file, so it is not a package"
                )),
                [_, name] if is_package_file_name(name) => None,
                [_, name] if name.ends_with(".md") || *name == ".gitkeep" => None,
                [_, name] if name.ends_with(".cue") => Some(stray(
                    "CUE leaves `_*.cue`, `.*.cue` and `*_tool.cue` files out of the package",
                )),
                [_, _] => Some(stray(
                    "a source folder holds the package's .cue files, Markdown documentation and examples/",
                )),
                [folder, "examples", event_folder, name] => {
                    if !package_index.contains_key(folder) {
                        Some(format!(
                            "sources/{folder}/ has no .cue file, so it is not a package"
                        ))
                    } else if name.ends_with(".json") {
                        let index = package_index[folder];
                        let file = self.sources.add(path, text.unwrap_or(""));
                        self.packages[index].examples.push(Example {
                            file,
                            path: path.clone(),
                            event_type: percent_decode(event_folder),
                            text: text.map(str::to_string),
                        });
                        None
                    } else if *name == ".gitkeep" {
                        None
                    } else {
                        Some(stray("examples are .json files"))
                    }
                }
                [_, "examples", _] => Some(stray(
                    "examples go in a folder named after their event type: examples/<event type>/<name>.json",
                )),
                _ => Some(stray(
                    "sources/<name>/ holds one package: folders other than examples/<event type>/ are not read",
                )),
            };
            if let Some(reason) = reason {
                // Stray files are named, never quoted: their text is not read.
                let file = self.sources.add(path, "");
                self.stray_files.push(StrayFile { file, reason });
            }
        }
    }

    /// Loads every `.cue` file directly in `consumers/`; anything else there is a stray file.
    fn load_consumers(&mut self, tree: &RepoFiles) {
        let prefix = format!("{}/", crate::consumer::CONSUMERS_DIRECTORY);
        for (path, bytes) in &tree.files {
            let Some(name) = path.strip_prefix(&prefix) else {
                continue;
            };
            if crate::consumer::is_consumer_path(path) {
                let Ok(text) = std::str::from_utf8(bytes) else {
                    let file = self.sources.add(path, "");
                    let mut consumer = crate::consumer::load_consumer(path, "");
                    consumer.diagnostics = vec![cue::Diagnostic::error(
                        crate::consumer::CONSUMER_INVALID,
                        "the file is not UTF-8",
                    )];
                    self.consumers.push(ConsumerFile { file, consumer });
                    continue;
                };
                let file = self.sources.add(path, text);
                let consumer = crate::consumer::load_consumer(path, text);
                self.consumers.push(ConsumerFile { file, consumer });
                continue;
            }
            let reason = if name.contains('/') {
                "consumers/ holds one .cue file per consumer, no folders"
            } else if name.ends_with(".md") || name == ".gitkeep" {
                continue;
            } else if name.ends_with(".cue") {
                "CUE leaves `_*.cue`, `.*.cue` and `*_tool.cue` files out of the package"
            } else {
                "consumers/ holds one .cue file per consumer and Markdown documentation"
            };
            let file = self.sources.add(path, "");
            self.stray_files.push(StrayFile {
                file,
                reason: reason.to_string(),
            });
        }
    }

    fn load_package(&mut self, tree: &RepoFiles, folder: &str) -> SourcePackage {
        let mut files = Vec::new();
        let mut texts = Vec::new();
        let mut problems = Vec::new();
        for name in package_file_names(tree, folder) {
            match tree.text(&name) {
                Some(text) => {
                    let id = self.sources.add(&name, text);
                    let (syntax, _) = cue::parser::parse_file(id, text);
                    files.push((id, syntax));
                    texts.push((name, text.to_string()));
                }
                None => {
                    let id = self.sources.add(&name, "");
                    problems.push(Finding::new("the file is not UTF-8").at(Span::new(id, 0, 0)));
                }
            }
        }
        let resolver = FilesResolver {
            module: &self.module,
            tree,
        };
        let package = Package::load(PackageFiles { files: texts }, &resolver);
        for diagnostic in package.diagnostics() {
            // Imported packages' files are under sources/ too; add them in case they sort
            // after this one.
            for (_, file) in package.sources().files() {
                if self.sources.id(&file.name).is_none() && tree.files.contains_key(&file.name) {
                    self.sources.add(&file.name, &file.text);
                }
            }
            let mut finding = self.sources.import(diagnostic, package.sources());
            if finding.span.is_none() {
                finding.span = files
                    .first()
                    .map(|(id, _): &(FileId, ast::File)| Span::new(*id, 0, 0));
            }
            problems.push(finding);
        }
        let mut events = Vec::new();
        let mut declarations = Vec::new();
        let mut is_source = false;
        for (_, file) in &files {
            for decl in &file.decls {
                let Decl::Field(field) = decl else { continue };
                match label_name(&field.label.kind) {
                    Some("source") => is_source = true,
                    Some("events") => {
                        is_source = true;
                        collect_events(&field.value, &mut events);
                    }
                    Some(name) if name.starts_with('#') => {
                        walk_definition(field, "", &mut declarations);
                    }
                    _ => {}
                }
            }
        }
        SourcePackage {
            folder: folder.to_string(),
            files,
            package,
            problems,
            is_source,
            events,
            examples: Vec::new(),
            declarations,
        }
    }

    fn scan_directives(&mut self) {
        let mut directives = Vec::new();
        let mut problems = Vec::new();
        for (id, file) in self.sources.map.files() {
            if file.name.ends_with(".cue") {
                ignore::scan(id, file, &mut directives, &mut problems);
            }
        }
        self.directives = directives;
        self.directive_problems = problems;
    }
}

fn collect_events(value: &Expr, events: &mut Vec<EventDeclaration>) {
    let ExprKind::Struct(literal) = &value.kind else {
        return;
    };
    for decl in &literal.decls {
        match decl {
            Decl::Field(field) => events.push(EventDeclaration {
                event_type: crate::finding::label_name(&field.label.kind).map(str::to_string),
                span: field.label.span,
                value: field.value.clone(),
            }),
            Decl::Embed(expr) => events.push(EventDeclaration {
                event_type: None,
                span: expr.span,
                value: expr.clone(),
            }),
            _ => {}
        }
    }
}

/// Whether a doc comment says something besides `cuemesh:` directives.
pub(crate) fn is_documented(doc: Option<&str>) -> bool {
    doc.is_some_and(|doc| {
        doc.lines().any(|line| {
            let line = line.trim();
            !line.is_empty() && !line.starts_with("cuemesh:")
        })
    })
}

fn walk_definition(field: &Field, prefix: &str, out: &mut Vec<Declaration>) {
    let Some(name) = label_name(&field.label.kind) else {
        return;
    };
    let key = format!("{prefix}{}{name}", if prefix.is_empty() { "" } else { "." });
    out.push(Declaration {
        kind: DeclarationKind::Definition,
        key: key.clone(),
        name: name.trim_start_matches('#').to_string(),
        span: field.label.span,
        documented: is_documented(field.doc.as_deref()),
    });
    walk_value(&field.value, &key, field.doc.as_deref(), out);
}

/// Collects the fields and definitions of the struct literals a value is made of.
///
/// The parser gives a field the comment lines above *its line*, so a field written on its
/// parent's line (`#A: {b: int}`, `a: b: int`) gets the parent's doc (`parent_doc`): that only
/// documents the field of a shorthand struct (`a: b: int`, one field), not those of a braced
/// one-line struct.
fn walk_value(value: &Expr, prefix: &str, parent_doc: Option<&str>, out: &mut Vec<Declaration>) {
    match &value.kind {
        ExprKind::Struct(literal) => {
            for decl in &literal.decls {
                match decl {
                    Decl::Field(field) => {
                        walk_field(field, prefix, literal.shorthand, parent_doc, out)
                    }
                    Decl::Embed(expr) => walk_value(expr, prefix, None, out),
                    _ => {}
                }
            }
        }
        ExprKind::Binary(BinaryOp::Conjunction | BinaryOp::Disjunction, left, right) => {
            walk_value(left, prefix, parent_doc, out);
            walk_value(right, prefix, parent_doc, out);
        }
        ExprKind::Paren(inner) | ExprKind::Unary(UnaryOp::Default, inner) => {
            walk_value(inner, prefix, parent_doc, out)
        }
        ExprKind::List(list) => {
            let element = format!("{prefix}.[]");
            for item in &list.elements {
                walk_value(item, &element, None, out);
            }
            if let Some(rest) = list.ellipsis.as_ref().and_then(|e| e.value.as_deref()) {
                walk_value(rest, &element, None, out);
            }
        }
        ExprKind::Comprehension(comprehension) => {
            walk_value(&comprehension.body, prefix, None, out)
        }
        _ => {}
    }
}

fn walk_field(
    field: &Field,
    prefix: &str,
    shorthand: bool,
    parent_doc: Option<&str>,
    out: &mut Vec<Declaration>,
) {
    match &field.label.kind {
        LabelKind::Ident(ident) if ident.name.starts_with('#') => {
            walk_definition(field, prefix, out);
        }
        LabelKind::Ident(ident) if ident.name.starts_with('_') => {}
        LabelKind::Ident(_) | LabelKind::String(_) => {
            let name = label_name(&field.label.kind).unwrap_or_default();
            let key = format!("{prefix}.{name}");
            let documented = if shorthand {
                is_documented(parent_doc)
            } else {
                is_documented(field.doc.as_deref())
                    && (parent_doc.is_none() || field.doc.as_deref() != parent_doc)
            };
            out.push(Declaration {
                kind: DeclarationKind::Field,
                key: key.clone(),
                name: name.to_string(),
                span: field.label.span,
                documented,
            });
            let doc = if shorthand {
                parent_doc
            } else {
                field.doc.as_deref()
            };
            walk_value(&field.value, &key, doc, out);
        }
        LabelKind::Pattern { .. } | LabelKind::Dynamic(_) => {
            walk_value(&field.value, &format!("{prefix}.[]"), None, out);
        }
    }
}

/// Decodes `%XX` escapes (an event type folder `MySource%3AnewPerson` names `MySource:newPerson`);
/// anything else is kept as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3);
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The folder name an event type's examples go in: the type with every character outside
/// `A-Z a-z 0-9 . _ -` percent-encoded (`MySource:newPerson` is `MySource%3AnewPerson`).
pub fn percent_encode(event_type: &str) -> String {
    let mut out = String::new();
    for byte in event_type.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_folders_round_trip() {
        assert_eq!(percent_encode("MySource:newPerson"), "MySource%3AnewPerson");
        assert_eq!(percent_decode("MySource%3AnewPerson"), "MySource:newPerson");
        assert_eq!(percent_decode("MySource:newPerson"), "MySource:newPerson");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
