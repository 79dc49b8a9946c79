//! The text of every field's value as written, by the span of the field's label: what the
//! rules compare where a value's shape cannot say what it is (a constraint that reads other
//! fields, `m: >=n`, has the same shape as `m: >n`).

use std::collections::HashMap;

use crate::ast::{Clause, Decl, Expr, ExprKind, InterpolationPart};
use crate::package::Package;
use crate::source::Span;

/// Each field's value text (whitespace runs collapsed to one space), by its label's span.
pub(crate) fn value_texts(package: &Package) -> HashMap<Span, String> {
    let mut texts = HashMap::new();
    for file in package.syntax() {
        for decl in &file.decls {
            declaration(package, decl, &mut texts);
        }
    }
    texts
}

fn declaration(package: &Package, decl: &Decl, texts: &mut HashMap<Span, String>) {
    match decl {
        Decl::Field(field) => {
            if let Some(text) = text_of(package, field.value.span) {
                texts.entry(field.label.span).or_insert(text);
            }
            expression(package, &field.value, texts);
        }
        Decl::Embed(expr) => expression(package, expr, texts),
        Decl::Let(clause) => expression(package, &clause.value, texts),
        Decl::Ellipsis(ellipsis) => {
            if let Some(value) = &ellipsis.value {
                expression(package, value, texts);
            }
        }
        Decl::Attribute(_) => {}
    }
}

fn expression(package: &Package, expr: &Expr, texts: &mut HashMap<Span, String>) {
    match &expr.kind {
        ExprKind::Struct(object) => {
            for decl in &object.decls {
                declaration(package, decl, texts);
            }
        }
        ExprKind::List(list) => {
            for element in &list.elements {
                expression(package, element, texts);
            }
            if let Some(value) = list.ellipsis.as_ref().and_then(|e| e.value.as_ref()) {
                expression(package, value, texts);
            }
        }
        ExprKind::Unary(_, inner)
        | ExprKind::Paren(inner)
        | ExprKind::Alias(_, inner)
        | ExprKind::Optional(inner) => expression(package, inner, texts),
        ExprKind::Binary(_, left, right) => {
            expression(package, left, texts);
            expression(package, right, texts);
        }
        ExprKind::Call(function, arguments) => {
            expression(package, function, texts);
            for argument in arguments {
                expression(package, argument, texts);
            }
        }
        ExprKind::Comprehension(comprehension) => {
            for clause in &comprehension.clauses {
                match clause {
                    Clause::For { source, .. } => expression(package, source, texts),
                    Clause::If { condition, .. } => expression(package, condition, texts),
                    Clause::Let(clause) => expression(package, &clause.value, texts),
                    Clause::Try { binding, .. } => {
                        if let Some((_, value)) = binding {
                            expression(package, value, texts)
                        }
                    }
                }
            }
            expression(package, &comprehension.body, texts);
            if let Some(fallback) = &comprehension.fallback {
                expression(package, fallback, texts);
            }
        }
        ExprKind::Interpolation(interpolation) => {
            for part in &interpolation.parts {
                if let InterpolationPart::Expr(inner) = part {
                    expression(package, inner, texts);
                }
            }
        }
        ExprKind::Selector(inner, _) => expression(package, inner, texts),
        ExprKind::Index(inner, index) => {
            expression(package, inner, texts);
            expression(package, index, texts);
        }
        ExprKind::Slice(inner, low, high) => {
            expression(package, inner, texts);
            for bound in [low, high].into_iter().flatten() {
                expression(package, bound, texts);
            }
        }
        ExprKind::Bottom
        | ExprKind::Top
        | ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::String(_)
        | ExprKind::Bytes(_)
        | ExprKind::Ident(_) => {}
    }
}

/// The source text of `span`, whitespace runs collapsed.
fn text_of(package: &Package, span: Span) -> Option<String> {
    let file = package.sources().get(span.file)?;
    let text = file.text.get(span.start as usize..span.end as usize)?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}
