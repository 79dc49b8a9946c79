//! `cue vet -l`: each data document placed at a path computed from its own content. A label
//! expression (`name`, `strings.ToLower(kind)`) is evaluated in the scope of the document's
//! fields, with the standard packages it names imported, as CUE infers them; the documents of
//! one file, each under its path, then form one value that is validated at once, so that two
//! documents placed at the same path unify.

use crate::ast::{Decl, Expr, ExprKind, Field, FieldConstraint, Label, LabelKind, StructLit};
use crate::diagnostic::Diagnostic;
use crate::json::{JsonKind, JsonValue};
use crate::package::{NoImports, Package, PackageFiles};
use crate::source::{FileId, Span};

/// The hidden field each label expression is bound to in the document's scope.
const LABEL_FIELD: &str = "_cuemeshLabel";

/// The labels of `document`'s path, one per expression, in order; or an error at the
/// document naming the expression.
pub(crate) fn labels_of(
    document: &JsonValue<'_>,
    expressions: &[String],
) -> Result<Vec<String>, Box<Diagnostic>> {
    let members: &[_] = match &document.kind {
        JsonKind::Object(members) => members,
        _ => &[],
    };
    let mut text = String::new();
    // Standard packages the expressions name (`strings.ToLower`), unless a field of the
    // document has that name: the field is what the expression means then.
    for path in crate::builtins::package_paths() {
        let short = path.rsplit('/').next().unwrap_or(path);
        let named = expressions.iter().any(|e| names_package(e, short));
        if named && !members.iter().any(|(key, _, _)| key == short) {
            text.push_str(&format!("import \"{path}\"\n"));
        }
    }
    for (key, _, value) in members {
        text.push_str(&quoted(key));
        text.push_str(": ");
        write_value(&mut text, value);
        text.push('\n');
    }
    for (i, expression) in expressions.iter().enumerate() {
        text.push_str(&format!("{LABEL_FIELD}{i}: ({expression})\n"));
    }
    let package = Package::load(
        PackageFiles {
            files: vec![("-l".to_string(), text)],
        },
        &NoImports,
    );
    let error = |expression: &str, message: String| {
        Box::new(
            Diagnostic::error(
                "LABEL",
                format!("invalid path -l '{expression}': {message}"),
            )
            .with_span(document.span),
        )
    };
    let mut labels = Vec::with_capacity(expressions.len());
    for (i, expression) in expressions.iter().enumerate() {
        match package.export_json(Some(&format!("{LABEL_FIELD}{i}"))) {
            Ok(serde_json::Value::String(label)) => labels.push(label),
            Ok(other) => {
                return Err(error(
                    expression,
                    format!("a label must be a string, not {other}"),
                ))
            }
            Err(diagnostics) => {
                let message = diagnostics
                    .first()
                    .map_or_else(|| "no value".to_string(), |d| d.message.clone());
                return Err(error(expression, message));
            }
        }
    }
    Ok(labels)
}

/// The documents, each under its path, as one struct spanning the whole data file.
pub(crate) fn placed(file: FileId, length: usize, documents: Vec<(Vec<String>, Expr)>) -> Expr {
    let decls = documents
        .into_iter()
        .map(|(path, value)| {
            let span = value.span;
            path.into_iter().rev().fold(value, |inner, label| Expr {
                kind: ExprKind::Struct(StructLit {
                    decls: vec![Decl::Field(Field {
                        label: Label {
                            alias: None,
                            label_alias: None,
                            kind: LabelKind::String(label),
                            span,
                        },
                        constraint: FieldConstraint::Regular,
                        value: inner,
                        attributes: Vec::new(),
                        doc: None,
                        span,
                    })],
                    shorthand: false,
                }),
                span,
            })
        })
        // Each placed document is a struct holding one field: embed them all in one.
        .map(|expr| match expr.kind {
            ExprKind::Struct(mut literal) => literal.decls.remove(0),
            _ => Decl::Embed(expr),
        })
        .collect();
    Expr {
        kind: ExprKind::Struct(StructLit {
            decls,
            shorthand: false,
        }),
        span: Span::new(file, 0, u32::try_from(length).unwrap_or(u32::MAX)),
    }
}

/// Whether `expression` selects from an identifier `short` (`strings.` not preceded by a
/// character of an identifier or a dot).
fn names_package(expression: &str, short: &str) -> bool {
    let pattern = format!("{short}.");
    expression.match_indices(&pattern).any(|(at, _)| {
        !expression[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '#' | '.'))
    })
}

/// A string as a CUE (and JSON) string literal.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// A decoded value as CUE text.
fn write_value(out: &mut String, value: &JsonValue<'_>) {
    match &value.kind {
        JsonKind::Null => out.push_str("null"),
        JsonKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JsonKind::Int(text) | JsonKind::Float(text) => out.push_str(text),
        JsonKind::String(s) => out.push_str(&quoted(s)),
        JsonKind::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        JsonKind::Object(members) => {
            out.push('{');
            for (i, (key, _, item)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&quoted(key));
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(text: &str) -> JsonValue<'_> {
        crate::json::decode_value(FileId(1), text).expect("valid JSON")
    }

    #[test]
    fn labels_are_computed_in_the_scope_of_the_document() {
        let service = document(r#"{"kind": "Service", "name": "a\nb", "strings": 1}"#);
        let labels = labels_of(&service, &["name".into(), "\"\\(kind)s\"".into()]);
        assert_eq!(labels, Ok(vec!["a\nb".to_string(), "Services".to_string()]));
        // A field named like a package is the field: nothing is imported over it.
        let labels = labels_of(&service, &["\"\\(strings + 1)\"".into()]);
        assert_eq!(labels, Ok(vec!["2".to_string()]));
        let deployment = document(r#"{"kind": "Deployment"}"#);
        let labels = labels_of(&deployment, &["strings.ToLower(kind)".into()]);
        assert_eq!(labels, Ok(vec!["deployment".to_string()]));
    }

    #[test]
    fn labels_that_are_not_strings_are_errors_at_the_document() {
        let data = document("  {\"kind\": 1}");
        let error = labels_of(&data, &["kind".into()]).expect_err("an int");
        assert_eq!(
            error.message,
            "invalid path -l 'kind': a label must be a string, not 1"
        );
        assert_eq!(error.spans, [data.span]);
        let error = labels_of(&data, &["missing".into()]).expect_err("no such field");
        assert!(
            error.message.starts_with("invalid path -l 'missing': "),
            "{}",
            error.message
        );
        let error = labels_of(&data, &["kind +".into()]).expect_err("bad syntax");
        assert!(error.message.starts_with("invalid path -l 'kind +': "));
    }

    #[test]
    fn package_names_are_found_only_as_selections() {
        assert!(names_package("strings.ToLower(kind)", "strings"));
        assert!(names_package("x + strings.Join(a)", "strings"));
        assert!(!names_package("mystrings.x", "strings"));
        assert!(!names_package("a.strings.x", "strings"));
        assert!(!names_package("kind", "strings"));
    }
}
