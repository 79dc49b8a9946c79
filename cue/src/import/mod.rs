//! Importers: other schema languages (JSON Schema, Avro) turned into CUE source text.
//!
//! Each importer builds a small tree of CUE expressions ([`Expr`]) and prints it with
//! [`print_file`]; the text is then an ordinary CUE package that [`crate::Package::load`] reads.
//! What the source language says and CUE cannot state is never dropped silently: it becomes a
//! [`Warning`] (keyword and JSON pointer) and a comment in the output at the place it applies.

pub mod avro;
pub mod jsonschema;

use std::fmt::Write as _;

/// Something the source schema says that the CUE output does not enforce, or enforces only
/// approximately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The keyword concerned.
    pub keyword: String,
    /// Where it is: a JSON pointer into the source document (`#/properties/a/not`), prefixed
    /// with the file when the import read several.
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.pointer, self.keyword, self.message)
    }
}

/// The result of an import: CUE source text, and what it could not state.
#[derive(Debug, Clone)]
pub struct Imported {
    pub source: String,
    pub warnings: Vec<Warning>,
}

/// An import that could not be made: the input is not a schema of the language. `pointer`
/// locates the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

impl std::error::Error for ImportError {}

/// A YAML text that is not one document of JSON data: the 1-based line and column of the
/// problem, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for YamlError {}

/// The JSON value a YAML document denotes, for schemas kept in YAML (as CUE's importer reads
/// them): read by the engine's YAML reader, so scalars resolve as CUE's do (YAML 1.2 core
/// schema: `yes` is a string, `0x1F` is 31).
pub fn read_yaml(text: &str) -> Result<serde_json::Value, YamlError> {
    let file = crate::source::SourceFile::new("", text);
    let error = |span: Option<crate::source::Span>, message: String| {
        let at = file.position(span.map_or(0, |s| s.start));
        YamlError {
            line: at.line,
            column: at.column,
            message,
        }
    };
    let document = crate::yaml::decode_single(crate::source::FileId(0), text)
        .map_err(|d| error(d.spans.first().copied(), d.message.clone()))?;
    json_of(&document).map_err(|(span, message)| error(Some(span), message))
}

/// A decoded document as a `serde_json` value; a number JSON cannot hold (`.inf`) is an error.
fn json_of(
    value: &crate::json::JsonValue<'_>,
) -> Result<serde_json::Value, (crate::source::Span, String)> {
    use crate::json::JsonKind;
    use serde_json::Value;
    Ok(match &value.kind {
        JsonKind::Null => Value::Null,
        JsonKind::Bool(b) => Value::Bool(*b),
        JsonKind::Int(text) | JsonKind::Float(text) => serde_json::from_str(text)
            .map(Value::Number)
            .map_err(|_| (value.span, format!("{text} is not a JSON number")))?,
        JsonKind::String(text) => Value::String(text.to_string()),
        JsonKind::Array(items) => {
            Value::Array(items.iter().map(json_of).collect::<Result<_, _>>()?)
        }
        JsonKind::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, _, member)| Ok((key.to_string(), json_of(member)?)))
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// A CUE expression, as much of CUE as the importers need.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `_`
    Top,
    /// `_|_`
    Bottom,
    /// Printed as is: a kind (`int`), a reference (`#Foo`), a bound (`>=3`), a call
    /// (`strings.MinRunes(3)`). Never holds `&` or `|` at its top level.
    Atom(String),
    /// A JSON value as a CUE literal.
    Lit(serde_json::Value),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// `*x`: the default of a disjunction.
    Default(Box<Expr>),
    Struct(Struct),
    /// `[a, b, ...rest]`; `rest: None` is a closed list.
    List {
        prefix: Vec<Expr>,
        rest: Option<Box<Expr>>,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Struct {
    pub decls: Vec<Decl>,
    /// Ends with `...`.
    pub open: bool,
    /// Printed as `close({...})`: a struct that stays closed outside a definition too.
    pub closed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decl {
    Field {
        doc: Vec<String>,
        name: String,
        presence: Presence,
        value: Expr,
    },
    /// `[label]: value`
    Pattern { label: Expr, value: Expr },
    /// An embedded expression.
    Embed(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    Optional,
    Required,
    Regular,
}

impl Expr {
    pub(crate) fn atom(text: impl Into<String>) -> Expr {
        Expr::Atom(text.into())
    }

    /// The conjunction of `parts`, dropping `_` and flattening; `_` when empty.
    pub(crate) fn and(parts: Vec<Expr>) -> Expr {
        let mut out = Vec::new();
        for part in parts {
            match part {
                Expr::Top => {}
                Expr::And(inner) => out.extend(inner),
                Expr::Bottom => return Expr::Bottom,
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Expr::Top,
            1 => out.pop().unwrap_or(Expr::Top),
            _ => Expr::And(out),
        }
    }

    /// The disjunction of `parts`, dropping `_|_`; `_|_` when empty.
    pub(crate) fn or(parts: Vec<Expr>) -> Expr {
        let mut out: Vec<Expr> = Vec::new();
        for part in parts {
            match part {
                Expr::Bottom => {}
                Expr::Or(inner) => {
                    for other in inner {
                        if !out.contains(&other) {
                            out.push(other)
                        }
                    }
                }
                other => {
                    if !out.contains(&other) {
                        out.push(other)
                    }
                }
            }
        }
        if out.contains(&Expr::Top) && !out.iter().any(|e| matches!(e, Expr::Default(_))) {
            return Expr::Top;
        }
        match out.len() {
            0 => Expr::Bottom,
            1 => out.pop().unwrap_or(Expr::Bottom),
            _ => Expr::Or(out),
        }
    }
}

/// A CUE string literal holding `text`.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const KEYWORDS: &[&str] = &[
    "package", "import", "for", "in", "if", "let", "null", "true", "false", "_", "div", "mod",
    "quo", "rem", "func", "bool", "int", "float", "string", "bytes", "number", "top",
];

/// A field label: the name itself when it is a plain identifier CUE reads as a regular
/// field, else a quoted string.
pub(crate) fn label(name: &str) -> String {
    let mut chars = name.chars();
    let plain = match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '$' => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        }
        _ => false,
    };
    if plain && !KEYWORDS.contains(&name) && !name.starts_with("__") {
        name.to_string()
    } else {
        quote(name)
    }
}

/// An identifier made of `text`: letters, digits and `_` kept, every other run of characters
/// becomes one `_`.
pub(crate) fn identifier(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    match out.chars().next() {
        None => "Schema".to_string(),
        Some(c) if c.is_ascii_digit() => format!("D{out}"),
        Some(_) => out,
    }
}

/// Escapes `text` for use inside a regular expression.
pub(crate) fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn literal(out: &mut String, value: &serde_json::Value, indent: usize) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                literal(out, item, indent);
            }
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{\n");
            for (key, item) in map {
                tabs(out, indent + 1);
                out.push_str(&label(key));
                out.push_str(": ");
                literal(out, item, indent + 1);
                out.push('\n');
            }
            tabs(out, indent);
            out.push('}');
        }
    }
}

fn tabs(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push('\t');
    }
}

/// Prints `expr` at nesting `indent`; `context` is the precedence around it (0: none, 1:
/// inside `|`, 2: inside `&` or after `*`).
pub(crate) fn print_expr(out: &mut String, expr: &Expr, indent: usize, context: u8) {
    match expr {
        Expr::Top => out.push('_'),
        Expr::Bottom => out.push_str("_|_"),
        Expr::Atom(text) => out.push_str(text),
        Expr::Lit(value) => literal(out, value, indent),
        Expr::And(parts) => {
            if context > 1 {
                out.push('(');
            }
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(" & ");
                }
                print_expr(out, part, indent, 2);
            }
            if context > 1 {
                out.push(')');
            }
        }
        Expr::Or(parts) => {
            if context > 0 {
                out.push('(');
            }
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                print_expr(out, part, indent, 1);
            }
            if context > 0 {
                out.push(')');
            }
        }
        Expr::Default(inner) => {
            out.push('*');
            print_expr(out, inner, indent, 2);
        }
        Expr::List { prefix, rest } => {
            out.push('[');
            for (i, item) in prefix.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                print_expr(out, item, indent, 0);
            }
            if let Some(rest) = rest {
                if !prefix.is_empty() {
                    out.push_str(", ");
                }
                out.push_str("...");
                if **rest != Expr::Top {
                    print_expr(out, rest, indent, 2);
                }
            }
            out.push(']');
        }
        Expr::Struct(s) => print_struct(out, s, indent),
    }
}

fn print_struct(out: &mut String, s: &Struct, indent: usize) {
    if s.closed {
        out.push_str("close(");
    }
    if s.decls.is_empty() {
        out.push_str(if s.open { "{...}" } else { "{}" });
    } else {
        out.push_str("{\n");
        print_decls(out, &s.decls, indent + 1);
        if s.open {
            tabs(out, indent + 1);
            out.push_str("...\n");
        }
        tabs(out, indent);
        out.push('}');
    }
    if s.closed {
        out.push(')');
    }
}

pub(crate) fn print_doc(out: &mut String, doc: &[String], indent: usize) {
    for text in doc {
        if text.trim().is_empty() {
            tabs(out, indent);
            out.push_str("//\n");
        }
        for line in text.trim_end().lines() {
            tabs(out, indent);
            let line = line.trim_end();
            if line.is_empty() {
                out.push_str("//\n");
            } else {
                out.push_str("// ");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
}

pub(crate) fn print_decls(out: &mut String, decls: &[Decl], indent: usize) {
    for decl in decls {
        match decl {
            Decl::Field {
                doc,
                name,
                presence,
                value,
            } => {
                print_doc(out, doc, indent);
                tabs(out, indent);
                out.push_str(name);
                out.push_str(match presence {
                    Presence::Optional => "?: ",
                    Presence::Required => "!: ",
                    Presence::Regular => ": ",
                });
                print_expr(out, value, indent, 0);
                out.push('\n');
            }
            Decl::Embed(value) => {
                tabs(out, indent);
                print_expr(out, value, indent, 0);
                out.push('\n');
            }
            Decl::Pattern { label, value } => {
                tabs(out, indent);
                out.push('[');
                print_expr(out, label, indent, 0);
                out.push_str("]: ");
                print_expr(out, value, indent, 0);
                out.push('\n');
            }
        }
    }
}

/// A whole file: an optional package clause, the imports the text uses (found by their
/// `name.` prefix), then the declarations.
pub(crate) fn print_file(package: Option<&str>, doc: &[String], decls: &[Decl]) -> String {
    let mut body = String::new();
    for (i, decl) in decls.iter().enumerate() {
        if i > 0 {
            body.push('\n');
        }
        print_decls(&mut body, std::slice::from_ref(decl), 0);
    }
    let mut out = String::new();
    print_doc(&mut out, doc, 0);
    if !doc.is_empty() {
        out.push('\n');
    }
    if let Some(package) = package {
        let _ = writeln!(out, "package {package}\n");
    }
    let used: Vec<&str> = [
        "list", "math", "net", "regexp", "strings", "struct", "time", "uuid",
    ]
    .into_iter()
    .filter(|p| uses_package(&body, p))
    .collect();
    if !used.is_empty() {
        out.push_str("import (\n");
        for p in &used {
            let _ = writeln!(out, "\t{}", quote(p));
        }
        out.push_str(")\n\n");
    }
    out.push_str(&body);
    out
}

/// Whether `body` calls a function of package `name` outside string literals and comments.
fn uses_package(body: &str, name: &str) -> bool {
    let needle = format!("{name}.");
    for line in body.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut in_string = false;
        let mut escaped = false;
        let bytes = code.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            if b == b'"' {
                in_string = true;
            } else if code[i..].starts_with(&needle)
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_documents_read_as_the_json_they_denote() {
        let value =
            read_yaml("type: object\nproperties:\n  a: {minimum: 0x10, enum: [yes, 1.5, null]}\n")
                .expect("YAML");
        assert_eq!(
            value,
            serde_json::json!({"type": "object", "properties": {"a": {"minimum": 16, "enum": ["yes", 1.5, null]}}})
        );
        let error = read_yaml("a: 1\nb: .inf\n").expect_err("not JSON");
        assert_eq!((error.line, error.column), (2, 4), "{error}");
        let error = read_yaml("a: [1\n").expect_err("not YAML");
        assert_eq!(error.line, 2, "{error}");
    }

    #[test]
    fn labels_quote_what_is_not_a_plain_identifier() {
        assert_eq!(label("name"), "name");
        assert_eq!(label("home phone"), "\"home phone\"");
        assert_eq!(label("_hidden"), "\"_hidden\"");
        assert_eq!(label("#def"), "\"#def\"");
        assert_eq!(label("if"), "\"if\"");
        assert_eq!(label("1a"), "\"1a\"");
        assert_eq!(quote("a\"b\\\n\u{1}"), "\"a\\\"b\\\\\\n\\u0001\"");
    }

    #[test]
    fn precedence_is_kept_by_parentheses() {
        let e = Expr::and(vec![
            Expr::or(vec![Expr::atom("int"), Expr::atom("string")]),
            Expr::Default(Box::new(Expr::and(vec![
                Expr::atom(">=1"),
                Expr::atom("<=3"),
            ]))),
        ]);
        let mut out = String::new();
        print_expr(&mut out, &e, 0, 0);
        assert_eq!(out, "(int | string) & *(>=1 & <=3)");
    }

    #[test]
    fn imports_are_found_outside_strings() {
        let decls = vec![Decl::Field {
            doc: vec![],
            name: "a".into(),
            presence: Presence::Optional,
            value: Expr::and(vec![
                Expr::atom("strings.MinRunes(1)"),
                Expr::atom("=~\"list.x\""),
            ]),
        }];
        let text = print_file(Some("p"), &[], &decls);
        assert!(text.contains("\"strings\""), "{text}");
        assert!(!text.contains("\"list\""), "{text}");
        assert!(text.starts_with("package p\n"), "{text}");
    }
}
