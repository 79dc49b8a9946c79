//! Shapes as JSON Schema 2020-12.
//!
//! The aim is the same verdict as `cue vet` on JSON data: a regular field is `required` only
//! when data must supply it (its value is not complete without data: no default, not
//! concrete), a closed definition forbids other fields with `additionalProperties: false`
//! (pattern constraints become `patternProperties`, which that keyword respects), lists with
//! typed positions are `prefixItems`, disjunctions are `anyOf` (CUE accepts a value that any
//! alternative accepts). What the data model of JSON Schema cannot see is not checked:
//! `1.0` is an integer there but a float in CUE.

use serde_json::{json, Map, Value as Json};

use super::openapi::{insert_count, tighter};
use super::{
    type_names, without_subsumed_default, Body, Exported, Keyword, ListShape, Presence,
    ScalarShape, Shape, StructShape, UNSUPPORTED_EXTENSION,
};
use crate::value::Kinds;

pub(super) const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The document: every definition (or `root` and the definitions it needs) under `$defs`.
pub(super) fn document(exported: &Exported, root: Option<&str>) -> Json {
    let included = root.map(|root| exported.closure(root));
    let mut defs = Map::new();
    for definition in &exported.definitions {
        if included
            .as_ref()
            .is_none_or(|set| set.contains(&definition.name))
        {
            defs.insert(definition.name.clone(), schema(&definition.shape));
        }
    }
    let mut out = Map::new();
    out.insert("$schema".into(), json!(DIALECT));
    if let Some(root) = root {
        out.insert("$ref".into(), json!(format!("#/$defs/{root}")));
    }
    out.insert("$defs".into(), Json::Object(defs));
    Json::Object(out)
}

pub(super) fn schema(shape: &Shape) -> Json {
    let mut out = Map::new();
    if let Some(description) = &shape.description {
        out.insert("description".into(), json!(description));
    }
    match &shape.body {
        Body::Any => {}
        Body::Ref(name) => {
            out.insert("$ref".into(), json!(format!("#/$defs/{name}")));
        }
        Body::Scalar(scalar) => scalar_schema(scalar, &mut out),
        Body::Struct(object) => object_schema(object, &mut out),
        Body::List(list) => array_schema(list, &mut out),
        Body::OneOf(options) => any_of(options, shape.default.as_ref(), &mut out),
    }
    if let Some(default) = &shape.default {
        out.insert("default".into(), default.clone());
    }
    if !shape.unsupported.is_empty() {
        out.insert(UNSUPPORTED_EXTENSION.into(), json!(shape.unsupported));
    }
    Json::Object(out)
}

fn type_value(kinds: Kinds) -> Option<Json> {
    if kinds == Kinds::ALL {
        return None;
    }
    let mut names = type_names(kinds);
    names.dedup();
    Some(match names.as_slice() {
        [one] => json!(one),
        several => json!(several),
    })
}

fn scalar_schema(scalar: &ScalarShape, out: &mut Map<String, Json>) {
    if let Some(value) = &scalar.value {
        out.insert("const".into(), value.clone());
        return;
    }
    if let Some(t) = type_value(scalar.kinds) {
        out.insert("type".into(), t);
    }
    keywords(&scalar.keywords, out);
}

fn keywords(keywords: &[Keyword], out: &mut Map<String, Json>) {
    let mut all_of = Vec::new();
    let mut not = Vec::new();
    for keyword in keywords {
        match keyword {
            Keyword::Minimum {
                value, exclusive, ..
            } => bound(out, value, *exclusive, "minimum", "exclusiveMinimum", true),
            Keyword::Maximum {
                value, exclusive, ..
            } => bound(out, value, *exclusive, "maximum", "exclusiveMaximum", false),
            Keyword::Pattern(p) => {
                if out.contains_key("pattern") {
                    all_of.push(json!({"pattern": p}));
                } else {
                    out.insert("pattern".into(), json!(p));
                }
            }
            Keyword::NotPattern(p) => not.push(json!({"pattern": p})),
            Keyword::NotEqual(v) => not.push(json!({"const": v})),
            Keyword::MinLength(n) => insert_count(out, "minLength", *n, true),
            Keyword::MaxLength(n) => insert_count(out, "maxLength", *n, false),
            Keyword::MinItems(n) => insert_count(out, "minItems", *n, true),
            Keyword::MaxItems(n) => insert_count(out, "maxItems", *n, false),
            Keyword::MinProperties(n) => insert_count(out, "minProperties", *n, true),
            Keyword::MaxProperties(n) => insert_count(out, "maxProperties", *n, false),
            Keyword::UniqueItems => {
                out.insert("uniqueItems".into(), json!(true));
            }
            Keyword::MultipleOf(n) => {
                if out.contains_key("multipleOf") {
                    all_of.push(json!({"multipleOf": n}));
                } else {
                    out.insert("multipleOf".into(), n.clone());
                }
            }
            Keyword::Format(f) => {
                // Sized numbers are stated by their bounds; only string formats remain.
                if matches!(*f, "int32" | "int64" | "float" | "double") {
                    continue;
                }
                if out.contains_key("format") {
                    all_of.push(json!({"format": f}));
                } else {
                    out.insert("format".into(), json!(f));
                }
            }
        }
    }
    match not.len() {
        0 => {}
        1 => {
            out.insert("not".into(), not.remove(0));
        }
        _ => {
            out.insert("not".into(), json!({"anyOf": not}));
        }
    }
    if !all_of.is_empty() {
        out.insert("allOf".into(), json!(all_of));
    }
}

/// Sets a 2020-12 bound (`minimum: n` or `exclusiveMinimum: n`), keeping the tighter one.
fn bound(
    out: &mut Map<String, Json>,
    value: &Json,
    exclusive: bool,
    inclusive_key: &str,
    exclusive_key: &str,
    minimum: bool,
) {
    let key = if exclusive {
        exclusive_key
    } else {
        inclusive_key
    };
    let other = if exclusive {
        inclusive_key
    } else {
        exclusive_key
    };
    if !tighter(out.get(key), value, minimum) {
        return;
    }
    // An inclusive and an exclusive bound on the same side: keep the one that decides.
    if let Some(existing) = out.get(other).and_then(Json::as_f64) {
        let new = value.as_f64().unwrap_or(existing);
        let existing_wins = if minimum {
            existing > new || (existing == new && !exclusive)
        } else {
            existing < new || (existing == new && !exclusive)
        };
        if existing_wins {
            return;
        }
        out.remove(other);
    }
    out.insert(key.into(), value.clone());
}

fn object_schema(object: &StructShape, out: &mut Map<String, Json>) {
    out.insert("type".into(), json!("object"));
    let required: Vec<&str> = object
        .properties
        .iter()
        .filter(|p| matches!(p.presence, Presence::Required | Presence::RegularIncomplete))
        .map(|p| p.name.as_str())
        .collect();
    if !required.is_empty() {
        out.insert("required".into(), json!(required));
    }
    if !object.properties.is_empty() {
        let mut properties = Map::new();
        for property in &object.properties {
            properties.insert(property.name.clone(), schema(&property.shape));
        }
        out.insert("properties".into(), Json::Object(properties));
    }
    if !object.patterns.is_empty() {
        let mut patterns = Map::new();
        for (regex, shape) in &object.patterns {
            patterns.insert(regex.clone(), schema(shape));
        }
        out.insert("patternProperties".into(), Json::Object(patterns));
    }
    match &object.additional {
        Some(additional) => {
            out.insert("additionalProperties".into(), schema(additional));
        }
        None if object.closed => {
            out.insert("additionalProperties".into(), json!(false));
        }
        None => {}
    }
    keywords(&object.keywords, out);
}

fn array_schema(list: &ListShape, out: &mut Map<String, Json>) {
    out.insert("type".into(), json!("array"));
    if !list.prefix.is_empty() {
        out.insert(
            "prefixItems".into(),
            Json::Array(list.prefix.iter().map(schema).collect()),
        );
        // `[A, ...B]` has at least its typed elements.
        out.insert("minItems".into(), json!(list.prefix.len()));
    }
    match list.rest.as_deref() {
        None => {
            out.insert("items".into(), json!(false));
        }
        Some(Shape {
            body: Body::Any,
            description: None,
            default: None,
            unsupported,
        }) if unsupported.is_empty() => {}
        Some(rest) => {
            out.insert("items".into(), schema(rest));
        }
    }
    keywords(&list.keywords, out);
}

fn any_of(options: &[(Shape, bool)], default: Option<&Json>, out: &mut Map<String, Json>) {
    let shapes = without_subsumed_default(options, default);
    if let [only] = shapes.as_slice() {
        let Json::Object(schema) = schema(only) else {
            return;
        };
        for (k, v) in schema {
            out.entry(k).or_insert(v);
        }
        return;
    }
    let plain =
        |s: &Shape| s.description.is_none() && s.default.is_none() && s.unsupported.is_empty();
    // Literals only: an `enum`.
    let literals: Option<Vec<Json>> = shapes
        .iter()
        .map(|s| match &s.body {
            Body::Scalar(ScalarShape { value: Some(v), .. }) if plain(s) => Some(v.clone()),
            _ => None,
        })
        .collect();
    if let Some(literals) = literals {
        out.insert("enum".into(), json!(literals));
        return;
    }
    // Bare kinds only (`string | null`): one `type` list.
    let kinds: Option<Kinds> = shapes.iter().try_fold(Kinds(0), |acc, s| match &s.body {
        Body::Scalar(ScalarShape {
            kinds,
            value: None,
            keywords,
        }) if keywords.is_empty() && plain(s) && *kinds != Kinds::ALL => {
            Some(Kinds(acc.0 | kinds.0))
        }
        Body::Scalar(ScalarShape {
            value: Some(serde_json::Value::Null),
            ..
        }) if plain(s) => Some(Kinds(acc.0 | Kinds::NULL.0)),
        _ => None,
    });
    if let Some(t) = kinds.and_then(type_value) {
        out.insert("type".into(), t);
        return;
    }
    out.insert(
        "anyOf".into(),
        Json::Array(shapes.iter().map(|s| schema(s)).collect()),
    );
}
