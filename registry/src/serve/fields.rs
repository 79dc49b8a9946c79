//! The field table of a version: every field path of its JSON Schema document with its type,
//! whether it is required, its constraints and its doc comment (the schema's `description`).
//! The search and the HTML catalog both read it; the index computes it once per version.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One field of a version's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The field's path from the payload's root: `total.amount`, `lines[].sku`.
    pub path: String,
    /// The field's own name (the last path segment, without `[]`).
    pub name: String,
    /// The type as people read it: `string`, `integer`, `array of #Line`, `"a" | "b"`.
    pub kind: String,
    /// Whether the enclosing object requires the field.
    pub required: bool,
    /// Constraints beyond the type: `>= 0`, `=~ "^[A-Z]"`, `format date-time`, `default "x"`.
    pub constraints: Vec<String>,
    /// The field's doc comment.
    pub doc: Option<String>,
}

/// How deep nested objects are followed; deeper fields are not listed.
const MAX_DEPTH: usize = 24;

/// The fields of a JSON Schema document as the registry serves it: a root `$ref` into
/// `$defs`, or a schema object itself. Recursive definitions are listed once, where they
/// first appear, and their recursion is named in the type.
pub fn fields_of(document: &Value) -> Vec<Field> {
    let mut walker = Walker {
        document,
        fields: Vec::new(),
        expanding: Vec::new(),
    };
    walker.object_fields(document, "", 0);
    walker.fields
}

/// The doc comment of the document's root (the definition's own comment).
pub(crate) fn root_doc(document: &Value) -> Option<String> {
    let walker = Walker {
        document,
        fields: Vec::new(),
        expanding: Vec::new(),
    };
    let (schema, _) = walker.resolve(document);
    text(schema, "description").or_else(|| text(document, "description"))
}

struct Walker<'d> {
    document: &'d Value,
    fields: Vec<Field>,
    /// The `$defs` names being expanded, to stop at recursion.
    expanding: Vec<String>,
}

impl<'d> Walker<'d> {
    /// Follows `$ref`s (within the document) to the schema they name; the last name followed.
    fn resolve(&self, schema: &'d Value) -> (&'d Value, Option<String>) {
        let mut current = schema;
        let mut name = None;
        for _ in 0..MAX_DEPTH {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let target = reference
                .strip_prefix("#/$defs/")
                .or_else(|| reference.strip_prefix("#/components/schemas/"));
            let found = target.and_then(|target| {
                self.document
                    .pointer(&format!("/$defs/{target}"))
                    .or_else(|| {
                        self.document
                            .pointer(&format!("/components/schemas/{target}"))
                    })
                    .map(|found| (found, target.to_string()))
            });
            match found {
                Some((found, target)) => {
                    current = found;
                    name = Some(target);
                }
                None => break,
            }
        }
        (current, name)
    }

    /// Lists the properties of `schema` (and of each alternative of a disjunction) under
    /// `prefix`.
    fn object_fields(&mut self, schema: &'d Value, prefix: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let (schema, name) = self.resolve(schema);
        if let Some(name) = &name {
            if self.expanding.contains(name) {
                return;
            }
            self.expanding.push(name.clone());
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (field_name, field_schema) in properties {
                let path = if prefix.is_empty() {
                    field_name.clone()
                } else {
                    format!("{prefix}.{field_name}")
                };
                self.field(
                    field_name,
                    &path,
                    field_schema,
                    required.contains(&field_name.as_str()),
                    depth,
                );
            }
        }
        if let Some(items) = schema.get("items").filter(|items| items.is_object()) {
            self.object_fields(items, &format!("{prefix}[]"), depth + 1);
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            for alternative in schema
                .get(keyword)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                self.object_fields(alternative, prefix, depth + 1);
            }
        }
        if name.is_some() {
            self.expanding.pop();
        }
    }

    fn field(&mut self, name: &str, path: &str, schema: &'d Value, required: bool, depth: usize) {
        let (resolved, reference) = self.resolve(schema);
        let recursive = reference
            .as_ref()
            .is_some_and(|reference| self.expanding.contains(reference));
        let mut kind = self.kind_of(schema);
        if recursive {
            kind.push_str(" (recursive)");
        }
        let doc = text(schema, "description").or_else(|| text(resolved, "description"));
        let mut constraints = constraints_of(resolved);
        if !std::ptr::eq(schema, resolved) {
            // Constraints written beside the `$ref` (a default, say).
            for constraint in constraints_of(schema) {
                if !constraints.contains(&constraint) {
                    constraints.push(constraint);
                }
            }
        }
        let duplicate = self
            .fields
            .iter()
            .any(|field| field.path == path && field.kind == kind);
        if !duplicate {
            self.fields.push(Field {
                path: path.to_string(),
                name: name.to_string(),
                kind,
                required,
                constraints,
                doc,
            });
        }
        if !recursive {
            self.object_fields(schema, path, depth + 1);
        }
    }

    /// The type of a schema as people read it.
    fn kind_of(&self, schema: &'d Value) -> String {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().unwrap_or(reference);
            return format!("#{name}");
        }
        if let Some(value) = schema.get("const") {
            return value.to_string();
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return values
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(" | ");
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(alternatives) = schema.get(keyword).and_then(Value::as_array) {
                return alternatives
                    .iter()
                    .map(|alternative| self.kind_of(alternative))
                    .collect::<Vec<_>>()
                    .join(" | ");
            }
        }
        let base = match schema.get("type") {
            Some(Value::String(name)) => name.clone(),
            Some(Value::Array(names)) => names
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" | "),
            _ if schema.get("properties").is_some() => "object".to_string(),
            _ => "any".to_string(),
        };
        if base == "array" {
            if let Some(items) = schema.get("items").filter(|items| items.is_object()) {
                return format!("array of {}", self.kind_of(items));
            }
        }
        if schema.get("nullable") == Some(&Value::Bool(true)) {
            return format!("{base} | null");
        }
        base
    }
}

fn text(schema: &Value, key: &str) -> Option<String> {
    schema
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|text| !text.is_empty())
}

/// The constraints of a schema object beyond its type, in CUE's notation where it has one.
fn constraints_of(schema: &Value) -> Vec<String> {
    let Some(object) = schema.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let number = |key: &str| object.get(key).filter(|value| value.is_number());
    // OpenAPI 3.0 writes exclusive bounds as booleans beside minimum/maximum.
    let exclusive = |key: &str| object.get(key) == Some(&Value::Bool(true));
    if let Some(minimum) = number("minimum") {
        let operator = if exclusive("exclusiveMinimum") {
            ">"
        } else {
            ">="
        };
        out.push(format!("{operator} {minimum}"));
    }
    if let Some(bound) = number("exclusiveMinimum") {
        out.push(format!("> {bound}"));
    }
    if let Some(maximum) = number("maximum") {
        let operator = if exclusive("exclusiveMaximum") {
            "<"
        } else {
            "<="
        };
        out.push(format!("{operator} {maximum}"));
    }
    if let Some(bound) = number("exclusiveMaximum") {
        out.push(format!("< {bound}"));
    }
    if let Some(pattern) = object.get("pattern") {
        out.push(format!("=~ {pattern}"));
    }
    for (key, label) in [
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
        ("minProperties", "min fields"),
        ("maxProperties", "max fields"),
        ("multipleOf", "multiple of"),
    ] {
        if let Some(value) = number(key) {
            out.push(format!("{label} {value}"));
        }
    }
    if object.get("uniqueItems") == Some(&Value::Bool(true)) {
        out.push("unique items".to_string());
    }
    if let Some(Value::String(format)) = object.get("format") {
        out.push(format!("format {format}"));
    }
    if let Some(default) = object.get("default") {
        out.push(format!("default {default}"));
    }
    if is_open(object) {
        out.push("open (other fields allowed)".to_string());
    }
    out
}

fn is_open(object: &Map<String, Value>) -> bool {
    object.contains_key("properties")
        && !matches!(object.get("additionalProperties"), Some(Value::Bool(false)))
        && !object.contains_key("unevaluatedProperties")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_refs_arrays_and_recursion() {
        let document = json!({
            "$ref": "#/$defs/Order",
            "$defs": {
                "Order": {
                    "description": "An order.",
                    "type": "object",
                    "required": ["id", "lines"],
                    "properties": {
                        "id": {"description": "The id.", "type": "string", "pattern": "^[a-z]+$"},
                        "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1},
                        "parent": {"$ref": "#/$defs/Order"},
                        "reason": {"enum": ["a", "b"], "default": "a"}
                    },
                    "additionalProperties": false
                },
                "Line": {
                    "type": "object",
                    "required": ["qty"],
                    "properties": {"qty": {"description": "How many.", "type": "integer", "minimum": 1}},
                    "additionalProperties": false
                }
            }
        });
        let fields = fields_of(&document);
        let paths: Vec<&str> = fields.iter().map(|field| field.path.as_str()).collect();
        assert_eq!(paths, ["id", "lines", "lines[].qty", "parent", "reason"]);
        assert_eq!(fields[0].constraints, ["=~ \"^[a-z]+$\""]);
        assert_eq!(fields[0].doc.as_deref(), Some("The id."));
        assert!(fields[0].required);
        assert_eq!(fields[1].kind, "array of #Line");
        assert_eq!(fields[1].constraints, ["min items 1"]);
        assert_eq!(fields[2].constraints, [">= 1"]);
        assert_eq!(fields[3].kind, "#Order (recursive)");
        assert!(!fields[3].required);
        assert_eq!(fields[4].kind, "\"a\" | \"b\"");
        assert_eq!(fields[4].constraints, ["default \"a\""]);
        assert_eq!(root_doc(&document).as_deref(), Some("An order."));
    }
}
