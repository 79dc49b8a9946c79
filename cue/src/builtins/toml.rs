//! The `encoding/toml` package: `Marshal` and `Unmarshal` of TOML v1.0 documents.
//!
//! Encoding writes what CUE's encoder writes: a struct's plain values first (`key = value`),
//! then its tables (`[a.b]`) and lists of structs as arrays of tables (`[[a]]`), a blank line
//! before a table header that follows a value; strings in single quotes (TOML's literal
//! strings) unless they hold a quote or a control character, keys bare when they can be.
//! Decoding reads every TOML form; dates and times become strings, as CUE has no time kind.
//! Errors name the line and column: `duplicate key: foo (2:1)`.

use std::sync::Arc;

use std::borrow::Cow;

use super::{format_concrete, json_to_concrete, string, Builtin, BuiltinError, Concrete};
use crate::diagnostic::Diagnostic;
use crate::json::{JsonKind, JsonValue};
use crate::source::{FileId, Span};

const P: &str = "encoding/toml";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Marshal", [Any] -> String, |a| {
        let value = a.first().ok_or_else(|| BuiltinError::new("missing argument 1"))?;
        Ok(string(marshal(value)?))
    }),
    builtin!(P, "Unmarshal", [Any] -> Struct, |a| {
        let text = match a.first() {
            Some(Concrete::String(s)) => &**s,
            Some(Concrete::Bytes(b)) => std::str::from_utf8(b)
                .map_err(|_| BuiltinError::new("invalid UTF-8 in TOML"))?,
            _ => return Err(super::wrong_kind(a, 0, "string or bytes")),
        };
        unmarshal(text)
    }),
];

// Encoding.

/// Encodes a struct as a TOML document.
pub(crate) fn marshal(value: &Concrete) -> Result<String, BuiltinError> {
    let Concrete::Struct(fields) = value else {
        return Err(BuiltinError::new(format!(
            "toml: cannot encode {} at the top level: a document is a struct",
            format_concrete(value)
        )));
    };
    let mut out = Writer {
        text: String::new(),
        last_was_header: true,
    };
    out.table(&mut Vec::new(), fields)?;
    Ok(out.text)
}

struct Writer {
    text: String,
    /// Whether the last line written is a table header (or nothing was written yet): no
    /// blank line separates it from a following header.
    last_was_header: bool,
}

/// Whether a value is written as a table (`[a]`) or an array of tables (`[[a]]`) rather than
/// after `key =`.
fn is_table(value: &Concrete) -> bool {
    match value {
        Concrete::Struct(_) => true,
        Concrete::List(items) => {
            !items.is_empty() && items.iter().all(|i| matches!(i, Concrete::Struct(_)))
        }
        _ => false,
    }
}

impl Writer {
    fn header(&mut self, path: &[Arc<str>], array: bool) {
        if !self.last_was_header {
            self.text.push('\n');
        }
        let keys: Vec<String> = path.iter().map(|k| key(k)).collect();
        let (open, close) = if array { ("[[", "]]") } else { ("[", "]") };
        self.text.push_str(open);
        self.text.push_str(&keys.join("."));
        self.text.push_str(close);
        self.text.push('\n');
        self.last_was_header = true;
    }

    fn table(
        &mut self,
        path: &mut Vec<Arc<str>>,
        fields: &[(Arc<str>, Concrete)],
    ) -> Result<(), BuiltinError> {
        for (name, value) in fields.iter().filter(|(_, v)| !is_table(v)) {
            self.text.push_str(&key(name));
            self.text.push_str(" = ");
            inline(&mut self.text, value)?;
            self.text.push('\n');
            self.last_was_header = false;
        }
        for (name, value) in fields.iter().filter(|(_, v)| is_table(v)) {
            path.push(name.clone());
            match value {
                Concrete::Struct(fields) => {
                    self.header(path, false);
                    self.table(path, fields)?;
                }
                Concrete::List(items) => {
                    for item in items.iter() {
                        if let Concrete::Struct(fields) = item {
                            self.header(path, true);
                            self.table(path, fields)?;
                        }
                    }
                }
                _ => {}
            }
            path.pop();
        }
        Ok(())
    }
}

/// A key, bare when it is made of letters, digits, `_` and `-` only.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        name.to_string()
    } else {
        quoted(name)
    }
}

/// A string in single quotes when TOML's literal strings can hold it, else in double quotes
/// with escapes.
fn quoted(s: &str) -> String {
    let literal = !s.contains('\'') && !s.chars().any(|c| c.is_control() && c != '\t');
    if literal {
        return format!("'{s}'");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn inline(out: &mut String, value: &Concrete) -> Result<(), BuiltinError> {
    match value {
        Concrete::Null => {
            return Err(BuiltinError::new(
                "toml: cannot encode null: TOML has no null",
            ))
        }
        Concrete::Bytes(_) => {
            return Err(BuiltinError::new(
                "toml: cannot encode bytes: TOML has no bytes",
            ))
        }
        Concrete::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Concrete::Int(i) => {
            if i64::try_from(*i).is_err() {
                return Err(BuiltinError::new(format!(
                    "toml: cannot encode {i}: TOML integers have 64 bits"
                )));
            }
            out.push_str(&i.to_string());
        }
        Concrete::Float(f) => {
            if f.is_nan() {
                out.push_str("nan");
            } else if f.is_infinite() {
                out.push_str(if *f > 0.0 { "inf" } else { "-inf" });
            } else {
                let text = format!("{f:?}");
                out.push_str(&text);
            }
        }
        Concrete::String(s) => out.push_str(&quoted(s)),
        Concrete::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                inline(out, item)?;
            }
            out.push(']');
        }
        Concrete::Struct(fields) => {
            out.push('{');
            for (i, (name, item)) in fields.iter().enumerate() {
                out.push_str(if i > 0 { ", " } else { " " });
                out.push_str(&key(name));
                out.push_str(" = ");
                inline(out, item)?;
            }
            out.push_str(if fields.is_empty() { "}" } else { " }" });
        }
    }
    Ok(())
}

// Decoding.

/// A table being built: its entries in order (each with the span of its key), where it was
/// made, and how it came to exist (a table defined by a header may not be defined again; one
/// made by a dotted key may not get a header).
#[derive(Debug)]
struct Table {
    entries: Vec<(String, Span, Node)>,
    span: Span,
    /// Defined by a `[header]` or given as an inline table (closed to further keys).
    defined: bool,
    inline: bool,
}

#[derive(Debug)]
enum Node {
    Value(JsonValue<'static>),
    Table(Table),
    /// An array of tables (`[[a]]`), with the span of its first header.
    Tables(Vec<Table>, Span),
}

impl Table {
    fn new(span: Span) -> Table {
        Table {
            entries: Vec::new(),
            span,
            defined: false,
            inline: false,
        }
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|(k, _, _)| k == name)
            .map(|(_, _, v)| v)
    }

    fn into_json(self) -> JsonValue<'static> {
        JsonValue {
            kind: JsonKind::Object(
                self.entries
                    .into_iter()
                    .map(|(k, key_span, v)| (Cow::Owned(k), key_span, v.into_json()))
                    .collect(),
            ),
            span: self.span,
        }
    }
}

impl Node {
    fn into_json(self) -> JsonValue<'static> {
        match self {
            Node::Value(v) => v,
            Node::Table(t) => t.into_json(),
            Node::Tables(ts, span) => JsonValue {
                kind: JsonKind::Array(ts.into_iter().map(Table::into_json).collect()),
                span,
            },
        }
    }
}

/// A decoding error: its message and the byte offset it is about.
struct DecodeError {
    message: String,
    at: usize,
}

/// Decodes a TOML document into a struct (`toml.Unmarshal`). Errors end with the line and
/// column: `duplicate key: foo (2:1)`.
pub(crate) fn unmarshal(text: &str) -> Result<Concrete, BuiltinError> {
    let document = decode_document(FileId(0), text).map_err(|error| {
        let (line, column) = line_and_column(text, error.at);
        BuiltinError::new(format!("{} ({line}:{column})", error.message))
    })?;
    json_to_concrete(&document, "toml")
}

/// Decodes a TOML document as CUE data, the way `vet` reads `.toml` files: the same
/// [`JsonValue`] the JSON and YAML decoders produce, with spans into `text` (a value's span is
/// its literal, a table's its header). Integers are given in decimal; dates and times are
/// strings. On error the diagnostic points at the problem.
pub(crate) fn decode(file: FileId, text: &str) -> Result<JsonValue<'static>, Box<Diagnostic>> {
    decode_document(file, text).map_err(|error| {
        let at = offset(error.at);
        Box::new(
            Diagnostic::error("TOML", format!("invalid TOML: {}", error.message))
                .with_span(Span::new(file, at, at)),
        )
    })
}

fn decode_document(file: FileId, text: &str) -> Result<JsonValue<'static>, DecodeError> {
    let mut parser = Parser {
        text: text.as_bytes(),
        pos: 0,
        file,
    };
    let mut root = Table::new(Span::new(file, 0, offset(text.len())));
    // The path of the table the following key/values go to, and whether it is the last
    // element of an array of tables.
    let mut current: Vec<String> = Vec::new();
    loop {
        parser.skip_blank_lines()?;
        let Some(c) = parser.peek() else { break };
        let at = parser.pos;
        if c == b'[' {
            let array = parser.text.get(parser.pos + 1) == Some(&b'[');
            parser.pos += if array { 2 } else { 1 };
            parser.skip_spaces();
            let (path, key_span) = parser.key()?;
            parser.skip_spaces();
            let close: &[u8] = if array { b"]]" } else { b"]" };
            if !parser.text[parser.pos..].starts_with(close) {
                return Err(parser.error("expected ] to end a table header"));
            }
            parser.pos += close.len();
            let header = parser.span(at);
            parser.end_of_line()?;
            open_table(&mut root, &path, array, key_span, header)
                .map_err(|message| DecodeError { message, at })?;
            current = path;
        } else {
            let (path, key_span) = parser.key()?;
            parser.skip_spaces();
            if parser.peek() != Some(b'=') {
                return Err(parser.error("expected = after a key"));
            }
            parser.pos += 1;
            parser.skip_spaces();
            let value = parser.value(0)?;
            parser.end_of_line()?;
            let table = walk_to(&mut root, &current, key_span)
                .map_err(|message| DecodeError { message, at })?;
            insert(table, &path, key_span, value).map_err(|message| DecodeError { message, at })?;
        }
    }
    Ok(root.into_json())
}

/// A byte offset as a span's `u32`; texts beyond 4 GiB are not read by anyone.
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, column)
}

/// The table at `path` for a header: created, or the next element of an array of tables.
fn open_table(
    root: &mut Table,
    path: &[String],
    array: bool,
    key_span: Span,
    header: Span,
) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty table name")?;
    let parent = walk_to(root, parents, key_span)?;
    let defined = || Table {
        defined: true,
        ..Table::new(header)
    };
    match parent.get_mut(last) {
        None => {
            let node = if array {
                Node::Tables(vec![defined()], header)
            } else {
                Node::Table(defined())
            };
            parent.entries.push((last.clone(), key_span, node));
        }
        Some(Node::Tables(tables, _)) if array => tables.push(defined()),
        Some(Node::Table(table)) if !array && !table.defined && !table.inline => {
            table.defined = true
        }
        Some(_) => return Err(format!("duplicate key: {}", path.join("."))),
    }
    Ok(())
}

/// The table at `path`, creating intermediate tables (spanning `span`); for an array of
/// tables, its last one.
fn walk_to<'t>(
    mut table: &'t mut Table,
    path: &[String],
    span: Span,
) -> Result<&'t mut Table, String> {
    for (i, name) in path.iter().enumerate() {
        if table.get_mut(name).is_none() {
            table
                .entries
                .push((name.clone(), span, Node::Table(Table::new(span))));
        }
        table = match table.get_mut(name) {
            Some(Node::Table(t)) if !t.inline => t,
            Some(Node::Tables(ts, _)) => ts.last_mut().ok_or("empty array of tables")?,
            _ => return Err(format!("duplicate key: {}", path[..=i].join("."))),
        };
    }
    Ok(table)
}

/// Sets a dotted key (spanning `key_span`) in `table`.
fn insert(
    table: &mut Table,
    path: &[String],
    key_span: Span,
    value: JsonValue<'static>,
) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty key")?;
    let mut target = table;
    for (i, name) in parents.iter().enumerate() {
        if target.get_mut(name).is_none() {
            target.entries.push((
                name.clone(),
                key_span,
                Node::Table(Table::new(key_span.to(value.span))),
            ));
        }
        target = match target.get_mut(name) {
            // A dotted key may extend a table made by other dotted keys only.
            Some(Node::Table(t)) if !t.defined && !t.inline => t,
            _ => return Err(format!("duplicate key: {}", path[..=i].join("."))),
        };
    }
    if target.get_mut(last).is_some() {
        return Err(format!("duplicate key: {}", path.join(".")));
    }
    target
        .entries
        .push((last.clone(), key_span, Node::Value(value)));
    Ok(())
}

struct Parser<'t> {
    text: &'t [u8],
    pos: usize,
    file: FileId,
}

/// How deeply arrays and inline tables may nest.
const MAX_DEPTH: usize = 128;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// The span from `start` to the current position.
    fn span(&self, start: usize) -> Span {
        Span::new(self.file, offset(start), offset(self.pos))
    }

    /// A value of `kind` spanning from `start` to the current position.
    fn value_from(&self, start: usize, kind: JsonKind<'static>) -> JsonValue<'static> {
        JsonValue {
            kind,
            span: self.span(start),
        }
    }

    fn error(&self, message: &str) -> DecodeError {
        let found = match self.peek() {
            Some(b) if b.is_ascii_graphic() => format!(", found {}", b as char),
            Some(b'\n') => ", found end of line".to_string(),
            None => ", found end of document".to_string(),
            Some(_) => String::new(),
        };
        DecodeError {
            message: format!("toml: {message}{found}"),
            at: self.pos,
        }
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.pos += 1;
            }
        }
    }

    fn skip_blank_lines(&mut self) -> Result<(), DecodeError> {
        loop {
            self.skip_spaces();
            self.skip_comment();
            match self.peek() {
                Some(b'\n') => self.pos += 1,
                Some(b'\r') if self.text.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
                _ => return Ok(()),
            }
        }
    }

    /// Blanks and a comment up to the end of the line.
    fn end_of_line(&mut self) -> Result<(), DecodeError> {
        self.skip_spaces();
        self.skip_comment();
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.pos += 1;
                Ok(())
            }
            Some(b'\r') if self.text.get(self.pos + 1) == Some(&b'\n') => {
                self.pos += 2;
                Ok(())
            }
            Some(_) => Err(self.error("expected the end of the line")),
        }
    }

    /// A dotted key (`a`, `"a b".c`, `'x'`) and the span of all its parts.
    fn key(&mut self) -> Result<(Vec<String>, Span), DecodeError> {
        let mut parts = Vec::new();
        self.skip_spaces();
        let start = self.pos;
        loop {
            self.skip_spaces();
            let part = match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    self.basic_string()?
                }
                Some(b'\'') => {
                    self.pos += 1;
                    self.literal_string()?
                }
                Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                    let start = self.pos;
                    while self
                        .peek()
                        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    {
                        self.pos += 1;
                    }
                    String::from_utf8_lossy(&self.text[start..self.pos]).into_owned()
                }
                _ => return Err(self.error("invalid character at start of key")),
            };
            parts.push(part);
            let end = self.span(start);
            self.skip_spaces();
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                return Ok((parts, end));
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue<'static>, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(self.error("arrays and inline tables nest too deeply"));
        }
        let start = self.pos;
        let rest = &self.text[self.pos..];
        if rest.starts_with(b"\"\"\"") || rest.starts_with(b"'''") {
            let quote = rest[0];
            self.pos += 3;
            let text = self.multiline_string(quote)?;
            return Ok(self.value_from(start, JsonKind::String(Cow::Owned(text))));
        }
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                let text = self.basic_string()?;
                Ok(self.value_from(start, JsonKind::String(Cow::Owned(text))))
            }
            Some(b'\'') => {
                self.pos += 1;
                let text = self.literal_string()?;
                Ok(self.value_from(start, JsonKind::String(Cow::Owned(text))))
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_blank_lines()?;
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Ok(self.value_from(start, JsonKind::Array(items)));
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_blank_lines()?;
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {}
                        _ => return Err(self.error("expected , or ] in an array")),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut table = Table {
                    inline: true,
                    ..Table::new(self.span(start))
                };
                self.skip_spaces();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    table.span = self.span(start);
                    return Ok(table.into_json());
                }
                loop {
                    let at = self.pos;
                    let (path, key_span) = self.key()?;
                    if self.peek() != Some(b'=') {
                        return Err(self.error("expected = after a key"));
                    }
                    self.pos += 1;
                    self.skip_spaces();
                    let value = self.value(depth + 1)?;
                    insert(&mut table, &path, key_span, value)
                        .map_err(|message| DecodeError { message, at })?;
                    self.skip_spaces();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            table.span = self.span(start);
                            return Ok(table.into_json());
                        }
                        _ => return Err(self.error("expected , or } in an inline table")),
                    }
                }
            }
            _ => {
                let kind = self.scalar()?;
                Ok(self.value_from(start, kind))
            }
        }
    }

    /// A bare value: a boolean, number, date or time. Integers are given in decimal, floats
    /// without their `_` separators; dates and times are strings.
    fn scalar(&mut self) -> Result<JsonKind<'static>, DecodeError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_' | b':')
        }) || (self.peek() == Some(b' ')
            && self.text.get(self.pos + 1).is_some_and(u8::is_ascii_digit)
            && is_date(&self.text[start..self.pos]))
        {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("");
        if text.is_empty() {
            return Err(self.error("expected a value"));
        }
        let invalid = || DecodeError {
            message: format!("toml: invalid value {text}"),
            at: self.pos,
        };
        let float = |text: &str| JsonKind::Float(Cow::Owned(text.to_string()));
        match text {
            "true" => return Ok(JsonKind::Bool(true)),
            "false" => return Ok(JsonKind::Bool(false)),
            "inf" | "+inf" | "-inf" | "nan" | "+nan" | "-nan" => return Ok(float(text)),
            _ => {}
        }
        if is_date(text.as_bytes()) || text.contains(':') {
            return Ok(JsonKind::String(Cow::Owned(text.to_string())));
        }
        if text.contains("__") || text.starts_with('_') || text.ends_with('_') {
            return Err(invalid());
        }
        let digits = text.replace('_', "");
        let (sign, unsigned) = match digits.as_bytes().first() {
            Some(b'-') => (-1, &digits[1..]),
            Some(b'+') => (1, &digits[1..]),
            _ => (1, &digits[..]),
        };
        let int = |i: i64| JsonKind::Int(Cow::Owned(i.to_string()));
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(rest) = unsigned.strip_prefix(prefix) {
                if sign < 0 || digits.starts_with('+') {
                    return Err(invalid());
                }
                return i64::from_str_radix(rest, radix)
                    .map(int)
                    .map_err(|_| invalid());
            }
        }
        let is_float = unsigned.contains(['.', 'e', 'E']);
        // No leading zeros: `01` is invalid, `0.5` and `0e1` are not.
        if unsigned.len() > 1
            && unsigned.starts_with('0')
            && !unsigned.starts_with("0.")
            && !(is_float && unsigned[1..].starts_with(['e', 'E']))
        {
            return Err(invalid());
        }
        if is_float {
            // TOML wants digits on both sides of the point.
            if unsigned.starts_with('.') || unsigned.contains(".e") || unsigned.ends_with('.') {
                return Err(invalid());
            }
            return match digits.parse::<f64>() {
                Ok(_) => Ok(float(digits.strip_prefix('+').unwrap_or(&digits))),
                Err(_) => Err(invalid()),
            };
        }
        digits.parse::<i64>().map(int).map_err(|_| invalid())
    }

    /// After the opening `"`: the string up to the closing one, escapes decoded.
    fn basic_string(&mut self) -> Result<String, DecodeError> {
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\n') => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| self.error("invalid UTF-8 in a string"))
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let Some(c) = self.peek() else {
            return Err(self.error("unterminated string"));
        };
        self.pos += 1;
        let simple = match c {
            b'b' => Some(b'\x08'),
            b't' => Some(b'\t'),
            b'n' => Some(b'\n'),
            b'f' => Some(b'\x0c'),
            b'r' => Some(b'\r'),
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return Ok(());
        }
        let width = match c {
            b'u' => 4,
            b'U' => 8,
            _ => {
                self.pos -= 1;
                return Err(self.error("invalid escape in a string"));
            }
        };
        let hex = self
            .text
            .get(self.pos..self.pos + width)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
            .ok_or_else(|| self.error("invalid unicode escape in a string"))?;
        self.pos += width;
        let mut buf = [0; 4];
        out.extend_from_slice(hex.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    /// After the opening `'`: the string up to the closing one, as written.
    fn literal_string(&mut self) -> Result<String, DecodeError> {
        let start = self.pos;
        loop {
            match self.peek() {
                None | Some(b'\n') => return Err(self.error("unterminated string")),
                Some(b'\'') => break,
                Some(_) => self.pos += 1,
            }
        }
        let text = String::from_utf8(self.text[start..self.pos].to_vec())
            .map_err(|_| self.error("invalid UTF-8 in a string"))?;
        self.pos += 1;
        Ok(text)
    }

    /// After `"""` or `'''`: a multi-line string; a newline right after the opening
    /// delimiter is dropped, and in `"""` strings a `\` at the end of a line joins lines.
    fn multiline_string(&mut self, quote: u8) -> Result<String, DecodeError> {
        if self.text[self.pos..].starts_with(b"\r\n") {
            self.pos += 2;
        } else if self.peek() == Some(b'\n') {
            self.pos += 1;
        }
        let mut out = Vec::new();
        loop {
            let rest = &self.text[self.pos..];
            if rest.starts_with(&[quote; 3]) {
                // Up to two quotes may end the content right before the closing three.
                let run = rest.iter().take_while(|&&b| b == quote).count().min(5);
                out.extend(std::iter::repeat_n(quote, run - 3));
                self.pos += run;
                break;
            }
            match self.peek() {
                None => return Err(self.error("unterminated multi-line string")),
                Some(b'\\') if quote == b'"' => {
                    self.pos += 1;
                    let after = &self.text[self.pos..];
                    let line_end = after
                        .iter()
                        .position(|&b| b != b' ' && b != b'\t')
                        .is_some_and(|i| matches!(after[i], b'\n' | b'\r'));
                    if line_end {
                        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                            self.pos += 1;
                        }
                    } else {
                        self.escape(&mut out)?;
                    }
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| self.error("invalid UTF-8 in a string"))
    }
}

/// Whether `text` starts like a date: `1979-05-27`.
fn is_date(text: &[u8]) -> bool {
    text.len() >= 10
        && text[..4].iter().all(u8::is_ascii_digit)
        && text[4] == b'-'
        && text[5..7].iter().all(u8::is_ascii_digit)
        && text[7] == b'-'
        && text[8..10].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn m(value: Concrete) -> Result<String, String> {
        match call(P, "Marshal", &[value])? {
            Concrete::String(s) => Ok(s.to_string()),
            other => Err(format!("not a string: {other:?}")),
        }
    }

    fn u(text: &str) -> Result<Concrete, String> {
        call(P, "Unmarshal", &[s(text)])
    }

    #[test]
    fn marshal_writes_values_then_tables() {
        assert_eq!(m(st(vec![("r1", s("foo"))])), Ok("r1 = 'foo'\n".into()));
        let dots = st(vec![
            ("a1", s("foo")),
            ("b1", st(vec![("b2", s("bar"))])),
            ("c1", st(vec![("c2", st(vec![("c3", s("baz"))]))])),
        ]);
        assert_eq!(
            m(dots),
            Ok("a1 = 'foo'\n\n[b1]\nb2 = 'bar'\n\n[c1]\n[c1.c2]\nc3 = 'baz'\n".into())
        );
        let tables = st(vec![(
            "tables",
            l(vec![
                st(vec![("table1", s("foo"))]),
                st(vec![("table2", s("bar"))]),
                st(vec![("subtable", st(vec![("sub1", s("baz"))]))]),
            ]),
        )]);
        assert_eq!(
            m(tables),
            Ok("[[tables]]\ntable1 = 'foo'\n\n[[tables]]\ntable2 = 'bar'\n\n[[tables]]\n[tables.subtable]\nsub1 = 'baz'\n".into())
        );
        let keys = st(vec![("123-456", st(vec![(" foo bar ", s("value"))]))]);
        assert_eq!(m(keys), Ok("[123-456]\n' foo bar ' = 'value'\n".into()));
        let scalars = st(vec![
            ("i", i(-3)),
            ("f", f(1.5)),
            ("b", b(true)),
            ("q", s("it's\n")),
            ("l", l(vec![i(1), st(vec![("a", i(2))]), l(vec![])])),
        ]);
        assert_eq!(
            m(scalars),
            Ok("i = -3\nf = 1.5\nb = true\nq = \"it's\\n\"\nl = [1, { a = 2 }, []]\n".into())
        );
    }

    #[test]
    fn marshal_rejects_what_toml_cannot_hold() {
        assert_eq!(
            m(s("x")),
            Err("toml: cannot encode \"x\" at the top level: a document is a struct".into())
        );
        assert_eq!(
            m(st(vec![("n", Concrete::Null)])),
            Err("toml: cannot encode null: TOML has no null".into())
        );
        assert_eq!(
            m(st(vec![("n", i(1 << 70))])),
            Err(format!(
                "toml: cannot encode {}: TOML integers have 64 bits",
                1i128 << 70
            ))
        );
    }

    #[test]
    fn unmarshal_reads_tables_arrays_and_dotted_keys() {
        assert_eq!(
            u("a1       = \"A\"\nb1.b2    = \"B\"\nc1.c2.c3 = \"C\""),
            Ok(st(vec![
                ("a1", s("A")),
                ("b1", st(vec![("b2", s("B"))])),
                ("c1", st(vec![("c2", st(vec![("c3", s("C"))]))])),
            ]))
        );
        assert_eq!(
            u("[[tables]]\ntable1 = 'foo'\n[[tables]]\ntable2 = 'bar'\n[[tables]]\n[tables.subtable]\nsub1 = 'baz'"),
            Ok(st(vec![(
                "tables",
                l(vec![
                    st(vec![("table1", s("foo"))]),
                    st(vec![("table2", s("bar"))]),
                    st(vec![("subtable", st(vec![("sub1", s("baz"))]))]),
                ])
            )]))
        );
        assert_eq!(
            u("[123-456]\n' foo bar ' = 'value'"),
            Ok(st(vec![("123-456", st(vec![(" foo bar ", s("value"))]))]))
        );
        assert_eq!(u(""), Ok(st(vec![])));
    }

    #[test]
    fn unmarshal_reads_every_kind_of_value() {
        let text = "# comment\nint = +1_000 # trailing\nhex = 0xff\nneg = -7\nfl = 6.25e-1\n\
            inf = -inf\nyes = true\nbasic = \"a\\tb\\u00e9\"\nml = \"\"\"\nline1\\\n   line2\"\"\"\n\
            lit = '''\nraw\\n'''\narr = [\n  1,\n  2, # two\n]\ninl = { x = 1, y.z = \"w\" }\n\
            date = 1979-05-27T07:32:00Z\nday = 1979-05-27\n";
        assert_eq!(
            u(text),
            Ok(st(vec![
                ("int", i(1000)),
                ("hex", i(255)),
                ("neg", i(-7)),
                ("fl", f(0.625)),
                ("inf", f(f64::NEG_INFINITY)),
                ("yes", b(true)),
                ("basic", s("a\tbé")),
                ("ml", s("line1line2")),
                ("lit", s("raw\\n")),
                ("arr", l(vec![i(1), i(2)])),
                ("inl", st(vec![("x", i(1)), ("y", st(vec![("z", s("w"))]))])),
                ("date", s("1979-05-27T07:32:00Z")),
                ("day", s("1979-05-27")),
            ]))
        );
    }

    /// What `vet` reads: values with the spans of their literals, tables with those of their headers,
    /// integers in decimal and floats without separators, as the evaluator reads JSON's.
    #[test]
    fn decode_gives_spans_into_the_text() {
        let text = "[[langs]]\nname = 'dutch'\nn = 0x10\nf = +1_0.5\nd = 1979-05-27\n";
        let document = decode(FileId(3), text).expect("valid TOML");
        let span_text = |value: &JsonValue<'_>| {
            assert_eq!(value.span.file, FileId(3));
            &text[value.span.start as usize..value.span.end as usize]
        };
        let JsonKind::Object(members) = &document.kind else {
            panic!("not a struct: {document:?}")
        };
        let (key, key_span, langs) = &members[0];
        assert_eq!(
            (key.as_ref(), key_span.start, key_span.end),
            ("langs", 2, 7)
        );
        assert_eq!(span_text(langs), "[[langs]]");
        let JsonKind::Array(tables) = &langs.kind else {
            panic!("not a list: {langs:?}")
        };
        let JsonKind::Object(fields) = &tables[0].kind else {
            panic!("not a struct: {:?}", tables[0])
        };
        let found: Vec<(&str, &str, JsonKind<'_>)> = fields
            .iter()
            .map(|(k, _, v)| (k.as_ref(), span_text(v), v.kind.clone()))
            .collect();
        assert_eq!(
            found,
            [
                ("name", "'dutch'", JsonKind::String("dutch".into())),
                ("n", "0x10", JsonKind::Int("16".into())),
                ("f", "+1_0.5", JsonKind::Float("10.5".into())),
                ("d", "1979-05-27", JsonKind::String("1979-05-27".into())),
            ]
        );
        let error = decode(FileId(3), "a = 1\na = 2\n").expect_err("duplicate");
        assert_eq!(error.message, "invalid TOML: duplicate key: a");
        let spans: Vec<(u32, u32)> = error.spans.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(spans, [(6, 6)]);
    }

    #[test]
    fn unmarshal_errors_name_the_problem_and_its_position() {
        assert_eq!(
            u("= \"no key name\""),
            Err("toml: invalid character at start of key, found = (1:1)".into())
        );
        assert_eq!(
            u("foo = \"same key\"\nfoo = \"same key\""),
            Err("duplicate key: foo (2:1)".into())
        );
        assert_eq!(
            u("[a]\nx = 1\n[a]\ny = 2"),
            Err("duplicate key: a (3:1)".into())
        );
        assert_eq!(u("a = 01"), Err("toml: invalid value 01 (1:7)".into()));
        assert_eq!(
            u("a = \"open"),
            Err("toml: unterminated string, found end of document (1:10)".into())
        );
        assert_eq!(
            u("a = 1 2"),
            Err("toml: expected the end of the line, found 2 (1:7)".into())
        );
        assert_eq!(
            u(&format!("a = {}", "[".repeat(200))),
            Err("toml: arrays and inline tables nest too deeply, found [ (1:134)".into())
        );
        assert_eq!(
            call(P, "Unmarshal", &[i(1)]),
            Err("cannot use 1 (type int) as string or bytes in argument 1 to call".into())
        );
    }
}
