//! Avro schemas (the `.avsc` JSON form of the Avro 1.11 specification) to CUE definitions.
//!
//! The CUE judges JSON documents *as producers send them as CloudEvent data*: the plain JSON a
//! record naturally becomes, not Avro's own JSON encoding. The one place they differ is unions:
//! Avro's encoding wraps every non-null union value in an object naming its branch
//! (`{"string": "x"}`), which no CloudEvents producer sends; here a union is the disjunction of
//! its branches (`null | string`), and the value is the bare `"x"`.
//!
//! | Avro | CUE |
//! |---|---|
//! | `null`, `boolean`, `string` | `null`, `bool`, `string` |
//! | `int`, `long`, `float`, `double` | `int32`, `int64`, `float32`, `float64` |
//! | `bytes`, `fixed` | `string` (the size of a `fixed` is a warning: JSON has no one text form of bytes) |
//! | `record` | a definition `#Name` (closed): a field without default is required `name!: T`, with a default `name?: *d \| T` |
//! | `enum` | a definition: the disjunction of its symbols |
//! | `array`, `map` | `[...T]`, `{[string]: T}` |
//! | union | `A \| B`; a field's default marks its branch (`*null \| T`) |
//! | `doc` | doc comments |
//! | logical types | `uuid`: `uuid.Valid`; `time-millis`/`time-micros`: a bounded integer; `date`, `timestamp-*`: the integer, with a comment; `decimal`, `duration`: their bytes, with a warning |
//!
//! Named types (records, enums, fixed) become definitions named by their short name, or by
//! their full name made an identifier when two share a short name; references by name (full,
//! or relative to the enclosing namespace) are references to the definition, so recursive
//! records stay recursive. Names may be used before they are defined, also across files.

use super::{identifier, label, print_file, Decl, Expr, ImportError, Imported, Presence, Struct};
use super::{quote, Warning};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One Avro schema document to import.
pub struct Schema<'a> {
    /// How warnings and errors name the document: `order.avsc` gives `order.avsc#/fields/0`.
    pub name: String,
    pub document: &'a Value,
    /// The definition of the document when it is not itself a named type (a union, an array),
    /// e.g. `#Schema`.
    pub definition: String,
}

/// How to print the import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `package` clause of the output, if any.
    pub package: Option<String>,
}

/// What an Avro import made: the CUE, its warnings, and the definition of each document's root
/// (`#Order`), in the order of the documents.
#[derive(Debug, Clone)]
pub struct AvroImport {
    pub imported: Imported,
    pub roots: Vec<String>,
}

const PRIMITIVES: &[(&str, &str)] = &[
    ("null", "null"),
    ("boolean", "bool"),
    ("int", "int32"),
    ("long", "int64"),
    ("float", "float32"),
    ("double", "float64"),
    ("bytes", "string"),
    ("string", "string"),
];

/// Imports `schemas` into one CUE file.
pub fn import(schemas: &[Schema<'_>], options: &Options) -> Result<AvroImport, ImportError> {
    let mut importer = Importer {
        schemas,
        named: Vec::new(),
        by_fullname: HashMap::new(),
        by_place: HashMap::new(),
        warnings: Vec::new(),
    };
    for (file, schema) in schemas.iter().enumerate() {
        importer.collect(schema.document, file, "", "")?;
    }
    importer.name_definitions();
    let mut decls = Vec::new();
    let mut roots = Vec::new();
    let mut taken: Vec<String> = importer
        .named
        .iter()
        .map(|n| n.definition.clone())
        .collect();
    for (file, schema) in schemas.iter().enumerate() {
        let first_named = importer.named.iter().position(|n| n.file == file);
        let root_is_named = first_named
            .map(|i| importer.named[i].pointer.is_empty())
            .unwrap_or(false);
        if root_is_named {
            let i = first_named.expect("checked above");
            roots.push(importer.named[i].definition.clone());
        } else {
            let mut name = super::jsonschema::definition_name(&schema.definition);
            let base = name.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}{n}");
                n += 1;
            }
            taken.push(name.clone());
            let mut notes = Vec::new();
            let value = importer.convert(schema.document, file, "", "", &mut notes)?;
            decls.push(Decl::Field {
                doc: notes,
                name: name.clone(),
                presence: Presence::Regular,
                value,
            });
            roots.push(name);
        }
        for index in 0..importer.named.len() {
            if importer.named[index].file == file {
                decls.push(importer.named_definition(index)?);
            }
        }
    }
    let file_doc = vec!["Imported from Avro.".to_string()];
    let source = print_file(options.package.as_deref(), &file_doc, &decls);
    Ok(AvroImport {
        imported: Imported {
            source,
            warnings: importer.warnings,
        },
        roots,
    })
}

/// A named type: a record, an enum or a fixed.
struct Named<'a> {
    fullname: String,
    /// The namespace names inside it are relative to.
    namespace: String,
    value: &'a Map<String, Value>,
    file: usize,
    pointer: String,
    definition: String,
}

struct Importer<'a> {
    schemas: &'a [Schema<'a>],
    named: Vec<Named<'a>>,
    by_fullname: HashMap<String, usize>,
    by_place: HashMap<(usize, String), usize>,
    warnings: Vec<Warning>,
}

/// The kind of named type an object declares, if any.
fn named_kind(object: &Map<String, Value>) -> Option<&str> {
    match object.get("type") {
        Some(Value::String(t)) if matches!(t.as_str(), "record" | "error" | "enum" | "fixed") => {
            Some(t.as_str())
        }
        _ => None,
    }
}

impl<'a> Importer<'a> {
    fn error(&self, file: usize, pointer: &str, message: impl Into<String>) -> ImportError {
        ImportError {
            pointer: self.display(file, pointer),
            message: message.into(),
        }
    }

    fn display(&self, file: usize, pointer: &str) -> String {
        format!("{}#{pointer}", self.schemas[file].name)
    }

    fn warn(
        &mut self,
        notes: &mut Vec<String>,
        file: usize,
        pointer: &str,
        keyword: &str,
        message: &str,
    ) {
        let pointer = self.display(file, pointer);
        notes.push(format!("{keyword} at {pointer} is not enforced: {message}"));
        self.warnings.push(Warning {
            keyword: keyword.to_string(),
            pointer,
            message: message.to_string(),
        });
    }

    /// The full name and namespace of a named type declared in `enclosing`.
    fn fullname(
        &self,
        object: &Map<String, Value>,
        file: usize,
        pointer: &str,
        enclosing: &str,
    ) -> Result<(String, String), ImportError> {
        let Some(Value::String(name)) = object.get("name") else {
            return Err(self.error(
                file,
                pointer,
                "a named type (record, enum, fixed) needs a string \"name\"",
            ));
        };
        if let Some((namespace, _)) = name.rsplit_once('.') {
            return Ok((name.clone(), namespace.to_string()));
        }
        let namespace = match object.get("namespace") {
            Some(Value::String(ns)) => ns.clone(),
            Some(Value::Null) | None => enclosing.to_string(),
            Some(_) => {
                return Err(self.error(
                    file,
                    &format!("{pointer}/namespace"),
                    "a namespace is a string",
                ))
            }
        };
        let fullname = if namespace.is_empty() {
            name.clone()
        } else {
            format!("{namespace}.{name}")
        };
        Ok((fullname, namespace))
    }

    /// First pass: every named type, so that names may be used before their definition.
    fn collect(
        &mut self,
        value: &'a Value,
        file: usize,
        pointer: &str,
        namespace: &str,
    ) -> Result<(), ImportError> {
        match value {
            Value::Array(branches) => {
                for (i, branch) in branches.iter().enumerate() {
                    self.collect(branch, file, &format!("{pointer}/{i}"), namespace)?;
                }
            }
            Value::Object(object) => {
                let mut inner = namespace.to_string();
                if let Some(kind) = named_kind(object) {
                    let (fullname, ns) = self.fullname(object, file, pointer, namespace)?;
                    if self.by_fullname.contains_key(&fullname) {
                        return Err(self.error(
                            file,
                            pointer,
                            format!("the type {fullname} is defined twice"),
                        ));
                    }
                    let index = self.named.len();
                    self.by_fullname.insert(fullname.clone(), index);
                    self.by_place.insert((file, pointer.to_string()), index);
                    self.named.push(Named {
                        fullname,
                        namespace: ns.clone(),
                        value: object,
                        file,
                        pointer: pointer.to_string(),
                        definition: String::new(),
                    });
                    inner = ns;
                    if matches!(kind, "record" | "error") {
                        let Some(Value::Array(fields)) = object.get("fields") else {
                            return Err(self.error(
                                file,
                                pointer,
                                "a record needs an array \"fields\"",
                            ));
                        };
                        for (i, field) in fields.iter().enumerate() {
                            if let Some(t) = field.get("type") {
                                self.collect(
                                    t,
                                    file,
                                    &format!("{pointer}/fields/{i}/type"),
                                    &inner,
                                )?;
                            }
                        }
                    }
                    return Ok(());
                }
                for key in ["type", "items", "values"] {
                    if let Some(t) = object.get(key) {
                        if !t.is_string() {
                            self.collect(t, file, &format!("{pointer}/{key}"), &inner)?;
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Definition names: the short name when no other named type shares it, else the full
    /// name made an identifier.
    fn name_definitions(&mut self) {
        let mut count: HashMap<String, usize> = HashMap::new();
        let short = |fullname: &str| fullname.rsplit('.').next().unwrap_or(fullname).to_string();
        for n in &self.named {
            *count.entry(identifier(&short(&n.fullname))).or_default() += 1;
        }
        for n in &mut self.named {
            let s = identifier(&short(&n.fullname));
            n.definition = if count[&s] == 1 {
                format!("#{s}")
            } else {
                format!("#{}", identifier(&n.fullname))
            };
        }
    }

    /// The named type a reference names from `namespace`.
    fn lookup(&self, name: &str, namespace: &str) -> Option<usize> {
        if !name.contains('.') && !namespace.is_empty() {
            if let Some(&i) = self.by_fullname.get(&format!("{namespace}.{name}")) {
                return Some(i);
            }
        }
        self.by_fullname.get(name).copied()
    }

    /// The CUE of the schema `value` at `pointer`; `notes` collects the comments that belong
    /// to the field or definition it is the type of.
    fn convert(
        &mut self,
        value: &'a Value,
        file: usize,
        pointer: &str,
        namespace: &str,
        notes: &mut Vec<String>,
    ) -> Result<Expr, ImportError> {
        match value {
            Value::String(name) => {
                if let Some((_, cue)) = PRIMITIVES.iter().find(|(avro, _)| avro == name) {
                    return Ok(Expr::atom(*cue));
                }
                match self.lookup(name, namespace) {
                    Some(i) => Ok(Expr::atom(self.named[i].definition.clone())),
                    None => {
                        Err(self.error(file, pointer, format!("unknown type name {}", quote(name))))
                    }
                }
            }
            Value::Array(branches) => {
                if branches.is_empty() {
                    return Err(self.error(file, pointer, "an empty union accepts no value"));
                }
                let mut alternatives = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    if branch.is_array() {
                        return Err(self.error(
                            file,
                            &format!("{pointer}/{i}"),
                            "a union may not hold a union",
                        ));
                    }
                    alternatives.push(self.convert(
                        branch,
                        file,
                        &format!("{pointer}/{i}"),
                        namespace,
                        notes,
                    )?);
                }
                Ok(Expr::or(alternatives))
            }
            Value::Object(object) => {
                if named_kind(object).is_some() {
                    let Some(&i) = self.by_place.get(&(file, pointer.to_string())) else {
                        return Err(self.error(
                            file,
                            pointer,
                            "a named type this import did not collect (please report it)",
                        ));
                    };
                    return Ok(Expr::atom(self.named[i].definition.clone()));
                }
                let Some(kind) = object.get("type") else {
                    return Err(self.error(file, pointer, "a schema object needs a \"type\""));
                };
                let base = match kind {
                    Value::String(t) if t == "array" => {
                        let Some(items) = object.get("items") else {
                            return Err(self.error(file, pointer, "an array needs \"items\""));
                        };
                        let items = self.convert(
                            items,
                            file,
                            &format!("{pointer}/items"),
                            namespace,
                            notes,
                        )?;
                        Expr::List {
                            prefix: Vec::new(),
                            rest: Some(Box::new(items)),
                        }
                    }
                    Value::String(t) if t == "map" => {
                        let Some(values) = object.get("values") else {
                            return Err(self.error(file, pointer, "a map needs \"values\""));
                        };
                        let values = self.convert(
                            values,
                            file,
                            &format!("{pointer}/values"),
                            namespace,
                            notes,
                        )?;
                        Expr::Struct(Struct {
                            decls: vec![Decl::Pattern {
                                label: Expr::atom("string"),
                                value: values,
                            }],
                            open: false,
                            closed: false,
                        })
                    }
                    other => {
                        self.convert(other, file, &format!("{pointer}/type"), namespace, notes)?
                    }
                };
                match object.get("logicalType") {
                    Some(Value::String(logical)) => {
                        let underlying = kind.as_str().unwrap_or("");
                        Ok(self.logical(base, logical, underlying, object, file, pointer, notes))
                    }
                    _ => Ok(base),
                }
            }
            _ => Err(self.error(
                file,
                pointer,
                "an Avro schema is a type name, an object or an array (a union)",
            )),
        }
    }

    /// `base` (the underlying type's CUE) with the logical type `logical` applied.
    #[allow(clippy::too_many_arguments)]
    fn logical(
        &mut self,
        base: Expr,
        logical: &str,
        underlying: &str,
        object: &Map<String, Value>,
        file: usize,
        pointer: &str,
        notes: &mut Vec<String>,
    ) -> Expr {
        let at = format!("{pointer}/logicalType");
        match (logical, underlying) {
            ("uuid", "string") => Expr::and(vec![base, Expr::atom("uuid.Valid")]),
            ("date", "int") => {
                notes.push("date: days since 1970-01-01.".into());
                base
            }
            ("time-millis", "int") => {
                notes.push("time-millis: milliseconds after midnight.".into());
                Expr::and(vec![base, Expr::atom(">=0"), Expr::atom("<86400000")])
            }
            ("time-micros", "long") => {
                notes.push("time-micros: microseconds after midnight.".into());
                Expr::and(vec![base, Expr::atom(">=0"), Expr::atom("<86400000000")])
            }
            (
                "timestamp-millis"
                | "timestamp-micros"
                | "timestamp-nanos"
                | "local-timestamp-millis"
                | "local-timestamp-micros"
                | "local-timestamp-nanos",
                "long",
            ) => {
                let unit = match logical.rsplit('-').next() {
                    Some("millis") => "milliseconds",
                    Some("micros") => "microseconds",
                    _ => "nanoseconds",
                };
                let zone = if logical.starts_with("local-") {
                    "in local time"
                } else {
                    "UTC"
                };
                notes.push(format!(
                    "{logical}: {unit} since 1970-01-01T00:00:00, {zone}."
                ));
                base
            }
            ("decimal", "bytes") => {
                let precision = object
                    .get("precision")
                    .map(Value::to_string)
                    .unwrap_or_default();
                let scale = object
                    .get("scale")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "0".into());
                self.warn(
                    notes,
                    file,
                    &at,
                    "decimal",
                    &format!(
                        "decimal(precision {precision}, scale {scale}) is a two's-complement integer in bytes, which plain JSON carries in no one text form; any string is accepted"
                    ),
                );
                base
            }
            _ => {
                notes.push(format!(
                    "Logical type {logical} on {}: unknown to this import, read as its underlying type as Avro does.",
                    if underlying.is_empty() { "a complex type" } else { underlying }
                ));
                base
            }
        }
    }

    /// The definition of named type `index`.
    fn named_definition(&mut self, index: usize) -> Result<Decl, ImportError> {
        let (object, file, pointer, namespace, definition, fullname) = {
            let n = &self.named[index];
            (
                n.value,
                n.file,
                n.pointer.clone(),
                n.namespace.clone(),
                n.definition.clone(),
                n.fullname.clone(),
            )
        };
        let mut doc = Vec::new();
        if let Some(Value::String(text)) = object.get("doc") {
            doc.push(text.trim().to_string());
        }
        if let Some(aliases) = object.get("aliases") {
            doc.push(format!("Avro {fullname}, also known as {aliases}."));
        } else if definition.trim_start_matches('#') != fullname {
            doc.push(format!("Avro {fullname}."));
        }
        let kind = named_kind(object).unwrap_or("record");
        let value = match kind {
            "enum" => {
                let Some(Value::Array(symbols)) = object.get("symbols") else {
                    return Err(self.error(file, &pointer, "an enum needs an array \"symbols\""));
                };
                let mut alternatives = Vec::new();
                for (i, symbol) in symbols.iter().enumerate() {
                    if !symbol.is_string() {
                        return Err(self.error(
                            file,
                            &format!("{pointer}/symbols/{i}"),
                            "an enum symbol is a string",
                        ));
                    }
                    alternatives.push(Expr::Lit(symbol.clone()));
                }
                if let Some(d) = object.get("default") {
                    doc.push(format!(
                        "A reader that does not know a symbol reads {d} (the enum's default)."
                    ));
                }
                Expr::or(alternatives)
            }
            "fixed" => {
                let Some(size) = object.get("size").and_then(Value::as_u64) else {
                    return Err(self.error(file, &pointer, "a fixed needs an integer \"size\""));
                };
                match object.get("logicalType").and_then(Value::as_str) {
                    Some("decimal") => {
                        let precision = object.get("precision").map(Value::to_string).unwrap_or_default();
                        let scale = object.get("scale").map(Value::to_string).unwrap_or_else(|| "0".into());
                        self.warn(
                            &mut doc,
                            file,
                            &format!("{pointer}/logicalType"),
                            "decimal",
                            &format!("decimal(precision {precision}, scale {scale}) in {size} bytes is a two's-complement integer, which plain JSON carries in no one text form; any string is accepted"),
                        );
                    }
                    Some("duration") => self.warn(
                        &mut doc,
                        file,
                        &format!("{pointer}/logicalType"),
                        "duration",
                        "a duration is 12 bytes (months, days, milliseconds), which plain JSON carries in no one text form; any string is accepted",
                    ),
                    Some("uuid") if size == 16 => doc.push("uuid: 16 bytes.".into()),
                    Some(other) => doc.push(format!(
                        "Logical type {other} on a fixed: unknown to this import, read as its underlying type as Avro does."
                    )),
                    None => {}
                }
                self.warn(
                    &mut doc,
                    file,
                    &format!("{pointer}/size"),
                    "size",
                    &format!("a fixed of {size} bytes is a string here, of any length: JSON carries bytes as text in no one encoding (base64, hex, Avro's code points)"),
                );
                Expr::atom("string")
            }
            _ => {
                let Some(Value::Array(fields)) = object.get("fields") else {
                    return Err(self.error(file, &pointer, "a record needs an array \"fields\""));
                };
                let mut decls = Vec::new();
                for (i, field) in fields.iter().enumerate() {
                    decls.push(self.field(
                        field,
                        file,
                        &format!("{pointer}/fields/{i}"),
                        &namespace,
                    )?);
                }
                Expr::Struct(Struct {
                    decls,
                    open: false,
                    closed: false,
                })
            }
        };
        Ok(Decl::Field {
            doc,
            name: definition,
            presence: Presence::Regular,
            value,
        })
    }

    fn field(
        &mut self,
        field: &'a Value,
        file: usize,
        pointer: &str,
        namespace: &str,
    ) -> Result<Decl, ImportError> {
        let Value::Object(object) = field else {
            return Err(self.error(file, pointer, "a record field is an object"));
        };
        let Some(Value::String(name)) = object.get("name") else {
            return Err(self.error(file, pointer, "a record field needs a string \"name\""));
        };
        let Some(kind) = object.get("type") else {
            return Err(self.error(file, pointer, format!("the field {name} needs a \"type\"")));
        };
        let mut doc = Vec::new();
        if let Some(Value::String(text)) = object.get("doc") {
            doc.push(text.trim().to_string());
        }
        let mut notes = Vec::new();
        let mut value = self.convert(
            kind,
            file,
            &format!("{pointer}/type"),
            namespace,
            &mut notes,
        )?;
        doc.extend(notes);
        if let Some(aliases) = object.get("aliases") {
            doc.push(format!("Also known as {aliases}."));
        }
        let presence = match object.get("default") {
            Some(d) => {
                value = with_default(value, d);
                Presence::Optional
            }
            None => Presence::Required,
        };
        Ok(Decl::Field {
            doc,
            name: label(name),
            presence,
            value,
        })
    }
}

/// `expr` with default `d`: the literal or kind of a disjunction marked, `*d | T` for a bare
/// kind `d` belongs to, else `T & (*d | _)`, which keeps `d` a default without admitting it
/// when `T` rejects it.
fn with_default(expr: Expr, d: &Value) -> Expr {
    let fits = |kind: &str| match d {
        Value::Null => kind == "null",
        Value::Bool(_) => kind == "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            matches!(kind, "int32" | "int64" | "float32" | "float64")
        }
        Value::Number(_) => matches!(kind, "float32" | "float64"),
        Value::String(_) => kind == "string",
        _ => false,
    };
    let default = Expr::Default(Box::new(Expr::Lit(d.clone())));
    match expr {
        Expr::Or(mut alternatives) => {
            if let Some(at) = alternatives
                .iter()
                .position(|a| matches!(a, Expr::Atom(k) if k == "null") && d.is_null())
            {
                alternatives[at] = default;
                return Expr::Or(alternatives);
            }
            match alternatives
                .iter()
                .position(|a| matches!(a, Expr::Atom(k) if fits(k)))
            {
                Some(0) => {
                    alternatives.insert(0, default);
                    Expr::Or(alternatives)
                }
                _ => Expr::And(vec![
                    Expr::Or(alternatives),
                    Expr::Or(vec![default, Expr::Top]),
                ]),
            }
        }
        Expr::Atom(kind) if fits(&kind) => Expr::Or(vec![default, Expr::Atom(kind)]),
        other => Expr::And(vec![other, Expr::Or(vec![default, Expr::Top])]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(schema: Value) -> AvroImport {
        import(
            &[Schema {
                name: "s.avsc".into(),
                document: &schema,
                definition: "Schema".into(),
            }],
            &Options::default(),
        )
        .expect("imports")
    }

    #[test]
    fn a_nullable_field_with_a_null_default_is_an_optional_disjunction_defaulting_to_null() {
        let out = run(json!({"type": "record", "name": "A", "fields": [
            {"name": "n", "type": ["null", "string"], "default": null}
        ]}));
        assert!(
            out.imported.source.contains("n?: *null | string"),
            "{}",
            out.imported.source
        );
        assert_eq!(out.roots, ["#A"]);
    }

    #[test]
    fn unknown_names_and_bad_shapes_are_errors_with_their_pointer() {
        let schema =
            json!({"type": "record", "name": "A", "fields": [{"name": "x", "type": "Nope"}]});
        let e = import(
            &[Schema {
                name: "s.avsc".into(),
                document: &schema,
                definition: "Schema".into(),
            }],
            &Options::default(),
        )
        .expect_err("an error");
        assert_eq!(e.pointer, "s.avsc#/fields/0/type");
        assert!(e.message.contains("unknown type name \"Nope\""), "{e}");
    }
}
