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

use super::{
    shared_keyword, tighter, type_names, without_subsumed_default, Body, Branch, Combinator,
    Exported, Keyword, ListShape, Presence, ScalarShape, Shape, StructShape, UNSUPPORTED_EXTENSION,
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
        out.insert("$ref".into(), json!(defs_reference(root)));
    }
    out.insert("$defs".into(), Json::Object(defs));
    Json::Object(out)
}

/// `#/$defs/name` as a URI fragment: the name's `~` and `/` escaped as JSON Pointer wants, and
/// what a fragment cannot hold (`#Bar`, a space) percent-encoded.
fn defs_reference(name: &str) -> String {
    let mut out = String::from("#/$defs/");
    for c in name.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            '#' | '%' | ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The package's top-level value as the root schema, with the definitions it refers to
/// (directly or not) under `$defs`.
pub(super) fn package_document(exported: &Exported, root: &Shape) -> Json {
    let mut referenced = Vec::new();
    super::references(root, &mut referenced);
    let mut included = std::collections::BTreeSet::new();
    for name in referenced {
        included.extend(exported.closure(&name));
    }
    let mut out = Map::new();
    out.insert("$schema".into(), json!(DIALECT));
    if !included.is_empty() {
        let mut defs = Map::new();
        for definition in &exported.definitions {
            if included.contains(&definition.name) {
                defs.insert(definition.name.clone(), schema(&definition.shape));
            }
        }
        out.insert("$defs".into(), Json::Object(defs));
    }
    let mut root = root.clone();
    if root.description.is_none() {
        root.description = exported.title.clone();
    }
    if let Body::Ref(name) = &root.body {
        // A package that is one struct definition is an object as well as a `$ref` to it.
        let is_struct = exported
            .definitions
            .iter()
            .any(|d| d.name == *name && matches!(d.shape.body, Body::Struct(_)));
        if is_struct {
            out.insert("type".into(), json!("object"));
        }
    }
    if let Json::Object(fields) = schema(&root) {
        for (k, v) in fields {
            out.entry(k).or_insert(v);
        }
    }
    Json::Object(out)
}

pub(super) fn schema(shape: &Shape) -> Json {
    if is_never(shape) {
        return json!(false);
    }
    let mut out = Map::new();
    if let Some(description) = &shape.description {
        out.insert("description".into(), json!(description));
    }
    match &shape.body {
        Body::Any => {}
        Body::Ref(name) => {
            out.insert("$ref".into(), json!(defs_reference(name)));
        }
        Body::Scalar(scalar) => scalar_schema(scalar, &mut out),
        Body::Struct(object) => object_schema(object, &mut out),
        Body::List(list) => array_schema(list, &mut out),
        Body::OneOf(options) => any_of(options, shape.default.as_ref(), &mut out),
    }
    if let Some(default) = &shape.default {
        out.insert("default".into(), default.clone());
    }
    combinators(&shape.combinators, &mut out);
    for note in &shape.unsupported {
        add_note(&mut out, note);
    }
    Json::Object(out)
}

/// Whether `shape` is `_|_` and nothing more: the schema `false`.
fn is_never(shape: &Shape) -> bool {
    matches!(&shape.body, Body::OneOf(options) if options.is_empty())
        && shape.description.is_none()
        && shape.default.is_none()
        && shape.unsupported.is_empty()
        && shape.combinators.is_empty()
}

/// A schema inside a combinator: `false` for one that is an error, `true` for `_`.
fn branch(branch: &Branch) -> Json {
    match branch {
        None => json!(false),
        Some(shape) if *shape == Shape::new(Body::Any) => json!(true),
        Some(shape) => schema(shape),
    }
}

fn combinators(combinators: &[Combinator], out: &mut Map<String, Json>) {
    let list = |branches: &[Branch]| Json::Array(branches.iter().map(branch).collect());
    for combinator in combinators {
        match combinator {
            Combinator::OneOf(b) => put(out, "oneOf", list(b)),
            Combinator::AnyOf(b) => put(out, "anyOf", list(b)),
            Combinator::AllOf(b) => put(out, "allOf", list(b)),
            Combinator::Not(b) => match b.as_slice() {
                [only] => exclude(out, branch(only)),
                _ => exclude(out, json!({"anyOf": list(b)})),
            },
            Combinator::IfThenElse {
                condition,
                then,
                otherwise,
            } => {
                let mut conditional = Map::new();
                conditional.insert("if".into(), branch(condition));
                if let Some(then) = then {
                    conditional.insert("then".into(), branch(then));
                }
                if let Some(otherwise) = otherwise {
                    conditional.insert("else".into(), branch(otherwise));
                }
                put_all(out, conditional);
            }
            Combinator::Contains { schema, min, max } => {
                let mut contains = Map::new();
                contains.insert("contains".into(), branch(schema));
                if let Some(min) = min {
                    contains.insert("minContains".into(), json!(min));
                }
                if let Some(max) = max {
                    contains.insert("maxContains".into(), json!(max));
                }
                put_all(out, contains);
            }
        }
    }
}

/// Sets `key`; when the schema has it already, the new keyword goes into an `allOf` entry.
pub(super) fn put(out: &mut Map<String, Json>, key: &str, value: Json) {
    let mut keywords = Map::new();
    keywords.insert(key.into(), value);
    put_all(out, keywords);
}

/// Sets keywords that belong together; when the schema has any of them already, they go
/// together into an `allOf` entry.
fn put_all(out: &mut Map<String, Json>, keywords: Map<String, Json>) {
    if keywords.keys().any(|k| out.contains_key(k)) {
        match out
            .entry("allOf")
            .or_insert_with(|| Json::Array(Vec::new()))
        {
            Json::Array(all) => all.push(Json::Object(keywords)),
            other => *other = json!([other.clone(), Json::Object(keywords)]),
        }
        return;
    }
    out.extend(keywords);
}

/// Appends `note` to the schema object's `x-cue-unsupported` list.
fn add_note(out: &mut Map<String, Json>, note: &str) {
    let notes = out
        .entry(UNSUPPORTED_EXTENSION)
        .or_insert_with(|| Json::Array(Vec::new()));
    if let Json::Array(notes) = notes {
        if !notes.iter().any(|n| n == note) {
            notes.push(json!(note));
        }
    }
}

/// Whether `value` is a number CUE reads as a float although its value is integral (`2.0`):
/// JSON Schema compares numbers by value, so `const: 2.0` also accepts the integer `2`, which
/// CUE rejects.
fn integral_float(value: &Json) -> bool {
    match value {
        Json::Number(n) => n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0),
        Json::Array(items) => items.iter().any(integral_float),
        Json::Object(fields) => fields.values().any(integral_float),
        _ => false,
    }
}

const INTEGRAL_FLOAT_NOTE: &str =
    "a float with an integral value: JSON Schema cannot tell 2.0 from 2, which CUE rejects";

/// `type` for `kinds`; [`type_caveats`] adds what JSON Schema's types cannot say of them:
/// - `float` without `int`: JSON Schema's `number` includes the integers, which CUE's `float`
///   rejects (JSON `1` is an int in CUE), so integers are excluded with `not`. JSON Schema
///   reads `1.0` as an integer, so such a schema rejects `1.0`, which CUE accepts: no JSON
///   Schema can tell the two apart.
/// - `bytes` without `string`: JSON has no bytes, and CUE rejects a JSON string where it
///   wants bytes, while the schema (a base64 string, as CUE exports bytes) accepts one.
fn insert_type(kinds: Kinds, out: &mut Map<String, Json>) {
    if let Some(t) = type_value(kinds) {
        out.insert("type".into(), t);
    }
}

/// The rest of [`insert_type`], once the other keywords are in (`not` may combine with theirs).
fn type_caveats(kinds: Kinds, out: &mut Map<String, Json>) {
    if kinds == Kinds::ALL {
        return;
    }
    if kinds.contains(Kinds::FLOAT) && !kinds.contains(Kinds::INT) {
        exclude(out, json!({"type": "integer"}));
    }
    if kinds.contains(Kinds::BYTES) && !kinds.contains(Kinds::STRING) {
        out.insert("contentEncoding".into(), json!("base64"));
        add_note(
            out,
            "bytes: JSON data cannot hold bytes; CUE rejects a JSON string here",
        );
    }
}

/// Adds `schema` to what `not` excludes.
fn exclude(out: &mut Map<String, Json>, schema: Json) {
    let merged = match out.remove("not") {
        None => schema,
        Some(Json::Object(mut existing))
            if existing.len() == 1 && existing.contains_key("anyOf") =>
        {
            if let Some(Json::Array(options)) = existing.get_mut("anyOf") {
                options.push(schema);
            }
            Json::Object(existing)
        }
        Some(existing) => json!({"anyOf": [existing, schema]}),
    };
    out.insert("not".into(), merged);
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
        if integral_float(value) {
            add_note(out, INTEGRAL_FLOAT_NOTE);
        }
        return;
    }
    insert_type(scalar.kinds, out);
    keywords(&scalar.keywords, out);
    type_caveats(scalar.kinds, out);
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
            Keyword::MinLength(_)
            | Keyword::MaxLength(_)
            | Keyword::MinItems(_)
            | Keyword::MaxItems(_)
            | Keyword::MinProperties(_)
            | Keyword::MaxProperties(_)
            | Keyword::UniqueItems
            | Keyword::MultipleOf(_) => shared_keyword(keyword, out, &mut all_of),
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
    for (regexes, value) in &object.excluding {
        if is_never(value) {
            // `[!~"^(a|b)$"]: _|_`: every label matches one of the regexes.
            // Several regexes are one alternation, which RE2 and ECMA-262 read alike.
            let pattern = match regexes.as_slice() {
                [one] => one.clone(),
                several => several
                    .iter()
                    .map(|r| format!("(?:{r})"))
                    .collect::<Vec<_>>()
                    .join("|"),
            };
            put(out, "propertyNames", json!({"pattern": pattern}));
        } else if object.additional.is_none()
            && !out.contains_key("additionalProperties")
            && excludes_exactly_the_declared(object, regexes)
        {
            // `[!~"^(a|b)$" & !~"^x-"]: T` beside `a`, `b` and `[=~"^x-"]`: the other fields.
            out.insert("additionalProperties".into(), schema(value));
        } else {
            add_note(
                out,
                &format!(
                    "pattern constraint for labels matching none of {regexes:?}: JSON Schema \
                     states it only for the labels neither declared nor matched by a pattern"
                ),
            );
        }
    }
    match &object.additional {
        Some(additional) => {
            out.insert("additionalProperties".into(), schema(additional));
        }
        None if object.closed && !out.contains_key("additionalProperties") => {
            out.insert("additionalProperties".into(), json!(false));
        }
        None if object.ellipsis && !out.contains_key("additionalProperties") => {
            out.insert("additionalProperties".into(), json!(true));
        }
        None => {}
    }
    keywords(&object.keywords, out);
}

/// Whether the labels matching none of `regexes` are exactly those that `additionalProperties`
/// applies to: neither a declared property nor matched by a pattern constraint. Each pattern's
/// regex must be among them, and the others must list the declared names literally
/// (`^(a|b)$`), all of them.
fn excludes_exactly_the_declared(object: &StructShape, regexes: &[String]) -> bool {
    let mut rest: Vec<&str> = regexes.iter().map(String::as_str).collect();
    for (pattern, _) in &object.patterns {
        match rest.iter().position(|r| r == pattern) {
            Some(i) => {
                rest.remove(i);
            }
            None => return false,
        }
    }
    let mut listed = std::collections::BTreeSet::new();
    for regex in rest {
        match literal_names(regex) {
            Some(names) => listed.extend(names),
            None => return false,
        }
    }
    let declared: std::collections::BTreeSet<String> =
        object.properties.iter().map(|p| p.name.clone()).collect();
    listed == declared
}

/// The names a regex of the form `^(a|b\.c)$` (or `^a$`) matches, when it is one.
fn literal_names(regex: &str) -> Option<Vec<String>> {
    let inner = regex.strip_prefix('^')?.strip_suffix('$')?;
    let inner = match inner
        .strip_prefix("(?:")
        .or_else(|| inner.strip_prefix('('))
    {
        Some(group) => group.strip_suffix(')')?,
        None => inner,
    };
    let mut names = vec![String::new()];
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next()?;
                if escaped.is_alphanumeric() {
                    // `\d`, `\w`: a class, not a literal.
                    return None;
                }
                names.last_mut()?.push(escaped);
            }
            '|' => names.push(String::new()),
            '.' | '+' | '*' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '^' | '$' => return None,
            c => names.last_mut()?.push(c),
        }
    }
    Some(names)
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
            combinators,
            validators: _,
        }) if unsupported.is_empty() && combinators.is_empty() => {}
        Some(rest) => {
            out.insert("items".into(), schema(rest));
        }
    }
    keywords(&list.keywords, out);
}

fn any_of(options: &[(Shape, bool)], default: Option<&Json>, out: &mut Map<String, Json>) {
    let shapes = without_subsumed_default(options, default);
    if shapes.is_empty() {
        // `_|_` with a description or notes beside it: nothing is accepted.
        exclude(out, json!({}));
        return;
    }
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
        if literals.iter().any(integral_float) {
            add_note(out, INTEGRAL_FLOAT_NOTE);
        }
        out.insert("enum".into(), json!(literals));
        return;
    }
    // Bare kinds only (`string | null`): one `type` list.
    let kinds: Option<Kinds> = shapes.iter().try_fold(Kinds(0), |acc, s| match &s.body {
        Body::Scalar(ScalarShape {
            kinds,
            value: None,
            keywords,
            ..
        }) if keywords.is_empty() && plain(s) && *kinds != Kinds::ALL => {
            Some(Kinds(acc.0 | kinds.0))
        }
        Body::Scalar(ScalarShape {
            value: Some(serde_json::Value::Null),
            ..
        }) if plain(s) => Some(Kinds(acc.0 | Kinds::NULL.0)),
        _ => None,
    });
    if let Some(kinds) = kinds.filter(|k| type_value(*k).is_some()) {
        insert_type(kinds, out);
        type_caveats(kinds, out);
        return;
    }
    out.insert(
        "anyOf".into(),
        Json::Array(shapes.iter().map(|s| schema(s)).collect()),
    );
}
