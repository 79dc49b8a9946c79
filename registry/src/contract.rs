//! The source contract, read from a package's syntax trees: `source: {id, owner,
//! description?}` and `events: [type]: #Definition`, each event with its attributes
//! (`@compat(FULL)`) and doc comment. Every violation is a `Diagnostic` with a span; reading
//! never stops at the first one.

use cue::ast::{self, Decl, ExprKind, LabelKind};
use cue::{Diagnostic, Span};
use std::collections::BTreeSet;

/// The contract fields the package's files declare, as written.
#[derive(Debug, Default)]
pub(crate) struct DeclaredContract {
    /// The span of the first top-level `source` field's label, if any.
    pub(crate) source_span: Option<Span>,
    /// Spans of the fields inside `source`, by name, for positioned diagnostics about values.
    pub(crate) source_fields: Vec<(String, Span)>,
    /// The span of the first top-level `events` field's label, if any.
    pub(crate) events_span: Option<Span>,
    /// The events in file order.
    pub(crate) events: Vec<DeclaredEvent>,
    /// Top-level definitions of the package (`#Identity`), to check event values against.
    pub(crate) definitions: BTreeSet<String>,
    /// The span of each top-level definition's whole field, for its CUE text.
    pub(crate) definition_spans: Vec<(String, Span)>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// One `"type": #Definition @attr()` field of `events`.
#[derive(Debug, Clone)]
pub(crate) struct DeclaredEvent {
    pub(crate) event_type: String,
    /// The definition as written: `#Identity`, or `#Outer.#Inner`.
    pub(crate) definition: String,
    pub(crate) attributes: Vec<ast::Attribute>,
    pub(crate) doc: Option<String>,
    /// The whole event field.
    pub(crate) span: Span,
    /// The value (the reference to the definition).
    pub(crate) value_span: Span,
}

impl DeclaredContract {
    /// Whether the package is a source (it declares `source` or `events`) rather than a
    /// shared package of types.
    pub(crate) fn is_source(&self) -> bool {
        self.source_span.is_some() || self.events_span.is_some()
    }

    /// The span of the field `name` inside `source`, or of `source` itself.
    pub(crate) fn source_field_span(&self, name: &str) -> Option<Span> {
        self.source_fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, span)| *span)
            .or(self.source_span)
    }
}

/// Reads the contract from the parsed files of one package.
pub(crate) fn read_contract(files: &[ast::File]) -> DeclaredContract {
    let mut contract = DeclaredContract::default();
    for file in files {
        for decl in &file.decls {
            let Decl::Field(field) = decl else { continue };
            let Some(name) = label_name(&field.label) else {
                continue;
            };
            if name.starts_with('#') {
                contract.definitions.insert(name.clone());
                contract.definition_spans.push((name, field.span));
                continue;
            }
            match name.as_str() {
                "source" => read_source(field, &mut contract),
                "events" => read_events(field, &mut contract),
                _ => {}
            }
        }
    }
    contract
}

fn read_source(field: &ast::Field, contract: &mut DeclaredContract) {
    contract.source_span.get_or_insert(field.label.span);
    let ExprKind::Struct(body) = &field.value.kind else {
        // `source: _base & {...}` and the like: the values are still checked on the evaluated
        // package; only the positions of its fields are unknown.
        return;
    };
    for decl in &body.decls {
        if let Decl::Field(inner) = decl {
            if let Some(name) = label_name(&inner.label) {
                contract.source_fields.push((name, inner.label.span));
            }
        }
    }
}

fn read_events(field: &ast::Field, contract: &mut DeclaredContract) {
    contract.events_span.get_or_insert(field.label.span);
    let ExprKind::Struct(body) = &field.value.kind else {
        contract.diagnostics.push(
            error(
                "EVENTS_NOT_STRUCT",
                "`events` must be a struct literal mapping each event type to a definition",
                field.value.span,
            )
            .with_help("write `events: { \"com.example.thing.created\": #Thing }`"),
        );
        return;
    };
    for decl in &body.decls {
        match decl {
            Decl::Field(event) => read_event(event, contract),
            Decl::Attribute(_) => {}
            Decl::Embed(expr) => contract.diagnostics.push(error(
                "EVENTS_EMBEDDING",
                "`events` may only list event types; embedded values are not part of the contract",
                expr.span,
            )),
            Decl::Let(clause) => contract.diagnostics.push(error(
                "EVENTS_EMBEDDING",
                "`events` may only list event types; move `let` out of it",
                clause.span,
            )),
            Decl::Ellipsis(ellipsis) => contract.diagnostics.push(error(
                "EVENTS_EMBEDDING",
                "`events` may only list event types; `...` would admit unknown ones",
                ellipsis.span,
            )),
        }
    }
}

fn read_event(field: &ast::Field, contract: &mut DeclaredContract) {
    let event_type = match &field.label.kind {
        LabelKind::String(text) => text.clone(),
        LabelKind::Ident(ident) if !ident.name.starts_with('#') && !ident.name.starts_with('_') => {
            ident.name.clone()
        }
        _ => {
            contract.diagnostics.push(
                error(
                    "EVENT_TYPE_NOT_LITERAL",
                    "an event type must be a literal label (a quoted CloudEvents `type`)",
                    field.label.span,
                )
                .with_help("list each type on its own: `\"com.example.thing.created\": #Thing`"),
            );
            return;
        }
    };
    if event_type.is_empty() {
        contract.diagnostics.push(error(
            "EVENT_TYPE_NOT_LITERAL",
            "an event type must not be empty",
            field.label.span,
        ));
        return;
    }
    if field.constraint != ast::FieldConstraint::Regular {
        contract.diagnostics.push(error(
            "EVENT_NOT_REGULAR",
            format!("event type {event_type:?} must be a regular field (no `?` or `!`)"),
            field.label.span,
        ));
    }
    if let Some(first) = contract
        .events
        .iter()
        .find(|event| event.event_type == event_type)
    {
        let first_span = first.span;
        let mut diagnostic = error(
            "EVENT_DUPLICATE",
            format!("event type {event_type:?} is declared twice"),
            field.label.span,
        );
        diagnostic.labels.push(cue::Label {
            span: first_span,
            message: "first declared here".into(),
        });
        contract.diagnostics.push(diagnostic);
        return;
    }
    let Some(definition) = definition_reference(&field.value) else {
        contract.diagnostics.push(
            error(
                "EVENT_NOT_DEFINITION",
                format!(
                    "event type {event_type:?} must map to a definition of this package, such as `#Thing`"
                ),
                field.value.span,
            )
            .with_help("declare the payload as `#Thing: {...}` and write `\"type\": #Thing`"),
        );
        return;
    };
    contract.events.push(DeclaredEvent {
        event_type,
        definition,
        attributes: field.attributes.clone(),
        doc: field.doc.clone(),
        span: field.span,
        value_span: field.value.span,
    });
}

/// `#Identity` or `#Outer.#Inner` as text; anything else (a struct literal, a reference to an
/// imported package, a conjunction) is not a definition of the package.
fn definition_reference(value: &ast::Expr) -> Option<String> {
    match &value.kind {
        ExprKind::Ident(ident) if ident.name.starts_with('#') => Some(ident.name.clone()),
        ExprKind::Selector(base, name) if name.name.starts_with('#') => {
            let base = definition_reference(base)?;
            Some(format!("{base}.{}", name.name))
        }
        ExprKind::Paren(inner) => definition_reference(inner),
        _ => None,
    }
}

/// The name of an identifier or simple string label.
fn label_name(label: &ast::Label) -> Option<String> {
    crate::finding::label_name(&label.kind).map(str::to_string)
}

pub(crate) fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(code, message).with_span(span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cue::FileId;

    fn contract_of(text: &str) -> DeclaredContract {
        let (file, diagnostics) = cue::parser::parse_file(FileId(0), text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        read_contract(&[file])
    }

    #[test]
    fn reads_events_with_attributes_and_docs() {
        let contract = contract_of(
            "package p\nsource: {id: \"S\", owner: \"@o\"}\nevents: {\n\t// Made.\n\t\"S:made\": #Made @compat(FULL)\n\tplain: #A.#B\n}\n#Made: {}\n#A: #B: {}\n",
        );
        assert!(
            contract.diagnostics.is_empty(),
            "{:?}",
            contract.diagnostics
        );
        assert!(contract.is_source());
        let made = &contract.events[0];
        assert_eq!(made.event_type, "S:made");
        assert_eq!(made.definition, "#Made");
        assert_eq!(made.attributes[0].name, "compat");
        assert_eq!(made.attributes[0].body, "FULL");
        assert_eq!(made.doc.as_deref(), Some("Made."));
        assert_eq!(contract.events[1].definition, "#A.#B");
        assert_eq!(
            contract.definitions.iter().collect::<Vec<_>>(),
            ["#A", "#Made"]
        );
    }

    #[test]
    fn reports_each_violation() {
        let contract = contract_of(
            "events: {\n\t\"a\": {x: int}\n\t\"b\": #B\n\t\"b\": #B\n\t[string]: #B\n\t\"c\"?: #B\n\t...\n}\n#B: {}\n",
        );
        let codes: Vec<&str> = contract.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                "EVENT_NOT_DEFINITION",
                "EVENT_DUPLICATE",
                "EVENT_TYPE_NOT_LITERAL",
                "EVENT_NOT_REGULAR",
                "EVENTS_EMBEDDING"
            ]
        );
        assert!(contract.diagnostics.iter().all(|d| !d.spans.is_empty()));
    }

    #[test]
    fn a_package_without_source_or_events_is_shared() {
        assert!(!contract_of("package common\n#Money: {amount: int}\n").is_source());
    }
}
