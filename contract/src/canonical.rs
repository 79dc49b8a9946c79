//! The canonical form of an event's resolved schema and its digest: what decides whether a
//! commit makes a new version.
//!
//! The canonical form is the event definition's JSON Schema 2020-12 export
//! (`cue::Package::json_schema(Some("#Def"))`: every reference, import and default resolved,
//! constraints JSON Schema cannot state kept as CUE text under `x-cue-unsupported`), rewritten
//! so that only what changes the accepted data (or the defaults CUE fills in) remains:
//!
//! - `description` keywords (doc comments) are removed: documentation never makes a version;
//! - object keys are sorted, so the order of fields in the CUE file does not matter;
//! - `required`, `enum`, `anyOf`, `oneOf`, `allOf` and `x-cue-unsupported` are sets: their
//!   elements are sorted by their canonical text, so `"a" | "b"` and `"b" | "a"` agree;
//! - `prefixItems` and the contents of `default` and `const` keep their order (list order is
//!   data), though object keys inside them are sorted like everywhere else.
//!
//! The names of definitions stay in the form (`$defs` keys and `$ref`s): renaming `#Person` to
//! `#Human` makes a new version even though the same data is accepted, because the published
//! schema changes. Event attributes (`@compat(FULL)`) are settings, not schema: they are not in
//! the form. The digest is `sha256:` and the SHA-256 of the canonical text (compact JSON).

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};
use std::fmt;

/// A content digest, `sha256:` followed by 64 lowercase hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Digest(String);

impl Digest {
    /// The digest of `text`'s bytes.
    pub fn of(text: &str) -> Digest {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hash = Sha256::digest(text.as_bytes());
        let mut out = String::with_capacity(7 + 64);
        out.push_str("sha256:");
        for byte in hash {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Digest(out)
    }

    /// The whole digest, `sha256:<hex>`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A digest as [`Digest::as_str`] writes it (`sha256:` and 64 lowercase hexadecimal
    /// digits): `None` for any other text.
    pub fn parse(text: &str) -> Option<Digest> {
        let hex = text.strip_prefix("sha256:")?;
        let lower_hex = |byte: u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte);
        (hex.len() == 64 && hex.bytes().all(lower_hex)).then(|| Digest(text.to_string()))
    }

    /// The first 12 hexadecimal digits, without the algorithm, for listings.
    pub fn short(&self) -> &str {
        let hex = self.0.strip_prefix("sha256:").unwrap_or(&self.0);
        &hex[..hex.len().min(12)]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event's schema in canonical form, with its digest.
///
/// The document is parsed from the canonical text when first asked for: a schema keeps only
/// its text until something serves the document, so neither a history's evaluation nor a
/// restart from the history cache holds a JSON tree for every version (at 190,000 versions
/// those trees were most of a cold start's memory).
#[derive(Debug, Clone)]
pub struct CanonicalSchema {
    /// The canonical JSON Schema document (keys sorted, documentation removed), once parsed.
    document: std::sync::OnceLock<Value>,
    /// The document as compact JSON: the text the digest is computed over.
    pub text: String,
    pub digest: Digest,
}

impl CanonicalSchema {
    /// The canonical form of a JSON Schema document as `cue::Package::json_schema` prints it.
    pub fn from_json_schema(document: &Value) -> CanonicalSchema {
        let document = canonical_schema(document);
        let text = serde_json::to_string(&document).unwrap_or_default();
        let digest = Digest::of(&text);
        CanonicalSchema {
            document: std::sync::OnceLock::new(),
            text,
            digest,
        }
    }

    /// A schema from its canonical text as [`CanonicalSchema::from_json_schema`] wrote it (kept
    /// in a file this build wrote and whose digest was checked), without parsing it: `None`
    /// when `text` is not JSON. The document is parsed on first use.
    pub fn from_canonical_text(text: String) -> Option<CanonicalSchema> {
        serde_json::from_str::<serde::de::IgnoredAny>(&text).ok()?;
        let digest = Digest::of(&text);
        Some(CanonicalSchema {
            document: std::sync::OnceLock::new(),
            text,
            digest,
        })
    }

    /// A schema from its canonical text and the digest [`CanonicalSchema::from_json_schema`]
    /// computed of it, both kept in a file this build wrote and whose own digest was checked:
    /// the text is neither parsed nor hashed again (a restart reads many thousands of them).
    /// The document is parsed on first use.
    pub fn from_checked_parts(text: String, digest: Digest) -> CanonicalSchema {
        CanonicalSchema {
            document: std::sync::OnceLock::new(),
            text,
            digest,
        }
    }

    /// The canonical JSON Schema document (keys sorted, documentation removed).
    pub fn document(&self) -> &Value {
        // The text was checked to be JSON when the schema was made, so it parses.
        self.document
            .get_or_init(|| serde_json::from_str(&self.text).unwrap_or(Value::Null))
    }
}

/// Two canonical schemas are equal when their canonical texts are: the text is the document's
/// one compact form.
impl PartialEq for CanonicalSchema {
    fn eq(&self, other: &CanonicalSchema) -> bool {
        self.text == other.text
    }
}

impl Serialize for CanonicalSchema {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut fields = serializer.serialize_struct("CanonicalSchema", 3)?;
        fields.serialize_field("document", self.document())?;
        fields.serialize_field("text", &self.text)?;
        fields.serialize_field("digest", &self.digest)?;
        fields.end()
    }
}

/// The JSON Schema document of one definition (`#Order`, `#A.#B`) cut from the document of the
/// whole package (`cue::Package::json_schema(None)`): the same document
/// `json_schema(Some(definition))` prints (a `$ref` to the definition, and `$defs` holding it
/// and every definition it refers to, directly or not), without evaluating the package again.
/// `None` when the package has no such definition.
pub fn definition_document(whole: &Value, definition: &str) -> Option<Value> {
    let name = definition
        .split('.')
        .map(|part| part.strip_prefix('#').filter(|name| !name.is_empty()))
        .collect::<Option<Vec<&str>>>()?
        .join(".");
    let all = whole.get("$defs")?.as_object()?;
    all.get(&name)?;
    let mut included = std::collections::BTreeSet::new();
    let mut pending = vec![name.clone()];
    while let Some(next) = pending.pop() {
        if !included.insert(next.clone()) {
            continue;
        }
        if let Some(schema) = all.get(&next) {
            references(schema, &mut pending);
        }
    }
    let mut defs = Map::new();
    for (key, schema) in all {
        if included.contains(key) {
            defs.insert(key.clone(), schema.clone());
        }
    }
    let mut out = Map::new();
    if let Some(dialect) = whole.get("$schema") {
        out.insert("$schema".into(), dialect.clone());
    }
    out.insert("$ref".into(), Value::String(format!("#/$defs/{name}")));
    out.insert("$defs".into(), Value::Object(defs));
    Some(Value::Object(out))
}

/// The definition names of every `"$ref": "#/$defs/<name>"` inside `value`.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            out.push(name.to_string());
                        }
                    }
                    _ => references(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, out)),
        _ => {}
    }
}

/// Keywords whose value is a map from names (properties, patterns, definitions) to schemas.
const SCHEMA_MAPS: &[&str] = &["properties", "patternProperties", "$defs", "definitions"];
/// Keywords whose value is one schema.
const SCHEMA_VALUES: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];
/// Keywords whose value is a list of schemas whose order does not matter.
const SCHEMA_SETS: &[&str] = &["anyOf", "oneOf", "allOf"];
/// Keywords whose value is a list of values whose order does not matter.
const VALUE_SETS: &[&str] = &["required", "enum", cue::UNSUPPORTED_EXTENSION];
/// Keywords that only document.
const DOCUMENTATION: &[&str] = &["description", "title", "$comment", "examples"];

/// Rewrites one schema object (see the module documentation). Anything that is not an object
/// (a boolean schema) is kept as it is.
fn canonical_schema(schema: &Value) -> Value {
    let Value::Object(object) = schema else {
        return schema.clone();
    };
    let mut keys: Vec<&String> = object.keys().collect();
    keys.sort();
    let mut out = Map::new();
    for key in keys {
        let value = &object[key.as_str()];
        let key = key.as_str();
        if DOCUMENTATION.contains(&key) {
            continue;
        }
        let rewritten = if SCHEMA_MAPS.contains(&key) {
            match value {
                Value::Object(map) => {
                    let mut names: Vec<&String> = map.keys().collect();
                    names.sort();
                    let mut rewritten = Map::new();
                    for name in names {
                        rewritten.insert(name.clone(), canonical_schema(&map[name.as_str()]));
                    }
                    Value::Object(rewritten)
                }
                other => canonical_value(other),
            }
        } else if SCHEMA_VALUES.contains(&key) {
            canonical_schema(value)
        } else if key == "prefixItems" {
            match value {
                Value::Array(items) => Value::Array(items.iter().map(canonical_schema).collect()),
                other => canonical_value(other),
            }
        } else if SCHEMA_SETS.contains(&key) {
            match value {
                Value::Array(items) => sorted_set(items.iter().map(canonical_schema).collect()),
                other => canonical_value(other),
            }
        } else if VALUE_SETS.contains(&key) {
            match value {
                Value::Array(items) => sorted_set(items.iter().map(canonical_value).collect()),
                other => canonical_value(other),
            }
        } else {
            canonical_value(value)
        };
        out.insert(key.to_string(), rewritten);
    }
    Value::Object(out)
}

/// A data value (`default`, `const`, a keyword's argument) with object keys sorted.
fn canonical_value(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                out.insert(key.clone(), canonical_value(&object[key.as_str()]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical_value).collect()),
        other => other.clone(),
    }
}

/// A list whose order does not matter, sorted by each element's compact JSON text, with
/// duplicates removed.
fn sorted_set(items: Vec<Value>) -> Value {
    let mut keyed: Vec<(String, Value)> = items
        .into_iter()
        .map(|item| (serde_json::to_string(&item).unwrap_or_default(), item))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    Value::Array(keyed.into_iter().map(|(_, item)| item).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cue::{NoImports, Package, PackageFiles};

    #[test]
    fn a_digest_parses_back_from_its_text_and_nothing_else_parses() {
        let digest = Digest::of("{}");
        assert_eq!(Digest::parse(digest.as_str()), Some(digest.clone()));
        let hex = digest.as_str().strip_prefix("sha256:").unwrap();
        for text in [
            hex.to_string(),
            format!("sha256:{}", &hex[1..]),
            format!("sha256:{hex}0"),
            format!("sha256:{}", hex.to_uppercase()),
            format!("sha512:{hex}"),
            format!("sha256:{}g", &hex[1..]),
        ] {
            assert_eq!(Digest::parse(&text), None, "{text}");
        }
    }

    #[test]
    fn a_schema_holds_its_text_only_and_parses_the_same_document_when_asked() {
        let exported = serde_json::json!({
            "type": "object",
            "description": "dropped",
            "required": ["b", "a"],
            "properties": {"b": {"type": "number", "maximum": 0.1}, "a": {"type": "integer"}},
        });
        let schema = CanonicalSchema::from_json_schema(&exported);
        assert!(
            schema.document.get().is_none(),
            "no tree is kept while unused"
        );
        assert_eq!(schema.document(), &canonical_schema(&exported));
        assert_eq!(
            serde_json::to_string(schema.document()).unwrap(),
            schema.text
        );
    }

    fn schema_of(text: &str, definition: &str) -> CanonicalSchema {
        let package = Package::load(
            PackageFiles {
                files: vec![("a.cue".into(), text.into())],
            },
            &NoImports,
        );
        assert!(
            package.diagnostics().is_empty(),
            "{:?}",
            package.diagnostics()
        );
        let document = package
            .json_schema(Some(definition))
            .expect("the definition exports");
        CanonicalSchema::from_json_schema(&document)
    }

    #[test]
    fn field_order_and_comments_do_not_change_the_digest() {
        let a = schema_of(
            "#P: {\n\t// the name\n\tname: string\n\tage?: int & >=0\n\tkind: \"a\" | \"b\"\n}\n",
            "#P",
        );
        let b = schema_of(
            "#P: {\n\tkind: \"b\" | \"a\"\n\tage?: >=0 & int\n\t// another comment\n\tname: string\n}\n",
            "#P",
        );
        assert_eq!(a.digest, b.digest, "{}\n{}", a.text, b.text);
        assert!(!a.text.contains("the name"));
    }

    #[test]
    fn what_changes_accepted_data_changes_the_digest() {
        let base = schema_of("#P: {name: string, age?: int}\n", "#P");
        let cases = [
            "#P: {name: string, age: int}\n",           // optional made required
            "#P: {name: string, age?: int & >=0}\n",    // bound added
            "#P: {name: string, age?: number}\n",       // type widened
            "#P: {name: string, age?: int, ...}\n",     // opened
            "#P: {name: string | *\"x\", age?: int}\n", // default added
            "#P: {name: string, years?: int}\n",        // renamed field
        ];
        for case in cases {
            assert_ne!(schema_of(case, "#P").digest, base.digest, "{case}");
        }
    }

    #[test]
    fn a_property_named_description_is_data_not_documentation() {
        let schema = schema_of("#P: {description: string}\n", "#P");
        assert!(schema.text.contains("\"description\""), "{}", schema.text);
    }

    #[test]
    fn a_definition_cut_from_the_whole_export_equals_its_own_export() {
        let text = "#A: {b: #B, c?: [...#C]}\n#B: {x: int, next?: #B}\n#C: {y: string, o: #Outer.#Inner}\n#D: {z: bool}\n#Outer: {#Inner: {w: >=1}, v: int}\n";
        let package = Package::load(
            PackageFiles {
                files: vec![("a.cue".into(), text.into())],
            },
            &NoImports,
        );
        let whole = package.json_schema(None).expect("export");
        for definition in ["#A", "#B", "#C", "#D", "#Outer", "#Outer.#Inner"] {
            let own = package.json_schema(Some(definition)).expect("own export");
            let cut = definition_document(&whole, definition).expect("cut");
            assert_eq!(
                serde_json::to_string(&cut).expect("json"),
                serde_json::to_string(&own).expect("json"),
                "{definition}"
            );
        }
        assert!(definition_document(&whole, "#Missing").is_none());
        assert!(definition_document(&whole, "A").is_none());
    }

    #[test]
    fn digests_are_sha256_of_the_canonical_text() {
        let digest = Digest::of("");
        assert_eq!(
            digest.as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(digest.short(), "e3b0c44298fc");
        let schema = schema_of("#P: {b: int, a: string}\n", "#P");
        assert_eq!(schema.digest, Digest::of(&schema.text));
        // The exact text is part of the contract: a change here renumbers every registry.
        assert_eq!(
            schema.text,
            r##"{"$defs":{"P":{"additionalProperties":false,"properties":{"a":{"type":"string"},"b":{"type":"integer"}},"required":["a","b"],"type":"object"}},"$ref":"#/$defs/P","$schema":"https://json-schema.org/draft/2020-12/schema"}"##
        );
    }
}
