//! The `encoding/json` package: CUE's JSON encoding of concrete values (fields in order, no
//! spaces, no HTML escaping), decoding to CUE values (integers stay ints, keys keep their
//! order), and Go's `Valid`, `Compact` and `Indent`.
//!
//! The decoder is our own rather than `serde_json` because CUE needs the literal form of each
//! number (`1` is an int, `1.0` a float) and the document's key order.

use std::sync::Arc;

use super::{
    bytes_or_str_arg, format_float, list, list_arg, str_arg, string, Builtin, BuiltinError,
    Concrete,
};

const P: &str = "encoding/json";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Marshal", [Any] -> String, |a| {
        let value = a.first().ok_or_else(|| BuiltinError::new("missing argument"))?;
        Ok(string(marshal(value)?))
    }),
    builtin!(P, "MarshalStream", [List] -> String, |a| {
        let mut out = String::new();
        for value in list_arg(a, 0)? {
            out.push_str(&marshal(value)?);
            out.push('\n');
        }
        Ok(string(out))
    }),
    builtin!(P, "Unmarshal", [Any] -> Any, |a| {
        let text = text_arg(a)?;
        let mut parser = Parser::new(text);
        let value = parser.document().ok_or_else(invalid_json)?;
        Ok(value)
    }),
    builtin!(P, "UnmarshalStream", [Any] -> List, |a| {
        let text = text_arg(a)?;
        let mut parser = Parser::new(text);
        let mut values = Vec::new();
        parser.skip_space();
        while parser.pos < parser.bytes.len() {
            values.push(parser.value().ok_or_else(invalid_json)?);
            parser.skip_space();
        }
        Ok(list(values))
    }),
    builtin!(P, "Valid", [Any] -> Bool, |a| {
        Ok(Concrete::Bool(Parser::new(text_arg(a)?).document().is_some()))
    }),
    builtin!(P, "Compact", [Any] -> String, |a| {
        let text = text_arg(a)?;
        Parser::new(text).document().ok_or_else(invalid_json)?;
        Ok(string(reformat(text, None)))
    }),
    builtin!(P, "Indent", [Any, String, String] -> String, |a| {
        let text = text_arg(a)?;
        Parser::new(text).document().ok_or_else(invalid_json)?;
        Ok(string(reformat(text, Some((str_arg(a, 1)?, str_arg(a, 2)?)))))
    }),
    builtin!(P, "HTMLEscape", [Any] -> String, |a| {
        let mut out = String::new();
        for c in text_arg(a)?.chars() {
            match c {
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
                c => out.push(c),
            }
        }
        Ok(string(out))
    }),
];

/// Decodes one JSON document as `json.Unmarshal` does.
pub(super) fn unmarshal(text: &str) -> Result<Concrete, BuiltinError> {
    Parser::new(text).document().ok_or_else(invalid_json)
}

fn invalid_json() -> BuiltinError {
    BuiltinError::new("json: invalid JSON")
}

fn text_arg(args: &[Concrete]) -> Result<&str, BuiltinError> {
    std::str::from_utf8(bytes_or_str_arg(args, 0)?).map_err(|_| invalid_json())
}

/// Encodes a concrete value as CUE's `json.Marshal` does.
pub fn marshal(value: &Concrete) -> Result<String, BuiltinError> {
    let mut out = String::new();
    write_json(&mut out, value)?;
    Ok(out)
}

fn write_json(out: &mut String, value: &Concrete) -> Result<(), BuiltinError> {
    match value {
        Concrete::Null => out.push_str("null"),
        Concrete::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Concrete::Int(i) => out.push_str(&i.to_string()),
        Concrete::Float(f) => {
            if !f.is_finite() {
                return Err(BuiltinError::new(format!("json: unsupported value: {f}")));
            }
            out.push_str(&format_float(*f));
        }
        Concrete::String(s) => write_string(out, s),
        Concrete::Bytes(b) => {
            out.push('"');
            out.push_str(&super::base64::encode(b));
            out.push('"');
        }
        Concrete::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item)?;
            }
            out.push(']');
        }
        Concrete::Struct(fields) => {
            out.push('{');
            for (i, (name, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_json(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Go's JSON string escaping without HTML escaping.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A strict RFC 8259 parser producing [`Concrete`] values; `None` means invalid JSON.
struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

/// Nesting deeper than this is rejected rather than risking the stack.
const MAX_DEPTH: usize = 10_000;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Parser<'a> {
        Parser {
            bytes: text.as_bytes(),
            text,
            pos: 0,
            depth: 0,
        }
    }

    /// One value and nothing but whitespace after it.
    fn document(&mut self) -> Option<Concrete> {
        let value = self.value()?;
        self.skip_space();
        (self.pos == self.bytes.len()).then_some(value)
    }

    fn skip_space(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &str) -> bool {
        if self.bytes[self.pos..].starts_with(literal.as_bytes()) {
            self.pos += literal.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Concrete> {
        self.skip_space();
        match *self.bytes.get(self.pos)? {
            b'n' => self.eat("null").then_some(Concrete::Null),
            b't' => self.eat("true").then_some(Concrete::Bool(true)),
            b'f' => self.eat("false").then_some(Concrete::Bool(false)),
            b'"' => self.string().map(string),
            b'[' => {
                self.enter()?;
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_space();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        self.skip_space();
                        match self.bytes.get(self.pos)? {
                            b',' => self.pos += 1,
                            b']' => {
                                self.pos += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Some(list(items))
            }
            b'{' => {
                self.enter()?;
                self.pos += 1;
                let mut fields: Vec<(Arc<str>, Concrete)> = Vec::new();
                self.skip_space();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_space();
                        if self.bytes.get(self.pos) != Some(&b'"') {
                            return None;
                        }
                        let key = self.string()?;
                        self.skip_space();
                        if self.bytes.get(self.pos) != Some(&b':') {
                            return None;
                        }
                        self.pos += 1;
                        let value = self.value()?;
                        // A repeated key keeps its first position and takes the last value.
                        match fields.iter_mut().find(|(k, _)| **k == *key) {
                            Some(slot) => slot.1 = value,
                            None => fields.push((Arc::from(key), value)),
                        }
                        self.skip_space();
                        match self.bytes.get(self.pos)? {
                            b',' => self.pos += 1,
                            b'}' => {
                                self.pos += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                }
                self.depth -= 1;
                Some(Concrete::Struct(fields.into()))
            }
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn number(&mut self) -> Option<Concrete> {
        let start = self.pos;
        let digits = |p: &mut Parser<'_>| {
            let from = p.pos;
            while p.bytes.get(p.pos).is_some_and(u8::is_ascii_digit) {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = digits(self);
        if int_digits == 0 || (int_digits > 1 && self.bytes[int_start] == b'0') {
            return None;
        }
        let mut is_float = false;
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return None;
            }
            is_float = true;
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return None;
            }
            is_float = true;
        }
        let literal = &self.text[start..self.pos];
        if !is_float {
            if let Ok(i) = literal.parse::<i128>() {
                return Some(Concrete::Int(i));
            }
        }
        literal
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Concrete::Float)
    }

    fn string(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = self.text[self.pos..].chars().next()?;
            self.pos += c.len_utf8();
            match c {
                '"' => return Some(out),
                '\\' => {
                    let escape = *self.bytes.get(self.pos)?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first)
                                && self.bytes[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let second = self.hex4()?;
                                if (0xDC00..0xE000).contains(&second) {
                                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                } else {
                                    self.pos = save;
                                    0xFFFD
                                }
                            } else {
                                first
                            };
                            // Lone surrogates decode to U+FFFD, as in Go.
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        _ => return None,
                    }
                }
                c if (c as u32) < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let value = u32::from_str_radix(digits, 16).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        Some(value)
    }
}

/// Go's `Compact` (no `indent`) and `Indent` over valid JSON text: whitespace outside strings
/// is dropped or replaced by newlines, `prefix` and one `indent` per level; empty arrays and
/// objects stay `[]` and `{}`.
fn reformat(text: &str, indent: Option<(&str, &str)>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut depth = 0usize;
    let mut need_indent = false;
    let newline = |out: &mut String, depth: usize| {
        if let Some((prefix, unit)) = indent {
            out.push('\n');
            out.push_str(prefix);
            for _ in 0..depth {
                out.push_str(unit);
            }
        }
    };
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        if need_indent && c != ']' && c != '}' {
            need_indent = false;
            depth += 1;
            newline(&mut out, depth);
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                need_indent = indent.is_some();
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => {
                out.push(c);
                if indent.is_some() {
                    out.push(' ');
                }
            }
            '}' | ']' => {
                if need_indent {
                    need_indent = false;
                } else if indent.is_some() {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::bytes;
    use super::super::testing::*;
    use super::*;

    #[test]
    fn marshal_keeps_order_and_skips_html_escaping() {
        check(
            P,
            "Marshal",
            &[
                (
                    vec![st(vec![("name", s("foo"))])],
                    Ok(s(r#"{"name":"foo"}"#)),
                ),
                (
                    vec![st(vec![("b", i(1)), ("a", f(1.5))])],
                    Ok(s(r#"{"b":1,"a":1.5}"#)),
                ),
                (
                    vec![st(vec![("a", s(r#"\ " & < >"#))])],
                    Ok(s(r#"{"a":"\\ \" & < >"}"#)),
                ),
                (
                    vec![l(vec![Concrete::Null, b(true), f(2.0)])],
                    Ok(s("[null,true,2.0]")),
                ),
                (vec![bytes(b"foo")], Ok(s(r#""Zm9v""#))),
                (vec![s("a\u{1}\u{2028}")], Ok(s(r#""a\u0001\u2028""#))),
                // As the reference `cue` encodes {a: 1.0, b: 1e300, c: 0.1, d: -0.0, e: 1e-7}.
                (
                    vec![st(vec![
                        ("a", f(1.0)),
                        ("b", f(1e300)),
                        ("c", f(0.1)),
                        ("d", f(-0.0)),
                        ("e", f(1e-7)),
                    ])],
                    Ok(s(r#"{"a":1.0,"b":1E+300,"c":0.1,"d":0.0,"e":1E-7}"#)),
                ),
            ],
        );
        check(
            P,
            "MarshalStream",
            &[(
                vec![l(vec![st(vec![("a", i(1))]), st(vec![("b", i(2))])])],
                Ok(s("{\"a\":1}\n{\"b\":2}\n")),
            )],
        );
    }

    #[test]
    fn unmarshal_keeps_number_kinds() {
        check(
            P,
            "Unmarshal",
            &[
                (vec![s("1")], Ok(i(1))),
                (vec![s("1.0")], Ok(f(1.0))),
                (vec![s("1e3")], Ok(f(1000.0))),
                (
                    vec![s(r#" {"b": [1, "x"], "a": null} "#)],
                    Ok(st(vec![
                        ("b", l(vec![i(1), s("x")])),
                        ("a", Concrete::Null),
                    ])),
                ),
                (vec![s(r#""\u00e9\ud83d\ude00""#)], Ok(s("é😀"))),
                (vec![bytes(b"true")], Ok(b(true))),
                (vec![s(r#"{"a": 1}{"b": 2}"#)], Err("json: invalid JSON")),
                (
                    vec![s(r#"{"a": 1}}invalid json"#)],
                    Err("json: invalid JSON"),
                ),
                (vec![s("01")], Err("json: invalid JSON")),
                (vec![s("[1,]")], Err("json: invalid JSON")),
                (vec![s("")], Err("json: invalid JSON")),
            ],
        );
        check(
            P,
            "UnmarshalStream",
            &[
                (
                    vec![s(r#"{"a": 1}{"b": 2}"#)],
                    Ok(l(vec![st(vec![("a", i(1))]), st(vec![("b", i(2))])])),
                ),
                (vec![s("1 2")], Ok(l(vec![i(1), i(2)]))),
                (vec![s("")], Ok(l(vec![]))),
            ],
        );
    }

    #[test]
    fn valid_compact_indent() {
        check(
            P,
            "Valid",
            &[(vec![s("1")], Ok(b(true))), (vec![s("{")], Ok(b(false)))],
        );
        check(
            P,
            "Compact",
            &[
                (vec![s("[1, 2]")], Ok(s("[1,2]"))),
                (vec![s(r#"{ "a b" : [ ] }"#)], Ok(s(r#"{"a b":[]}"#))),
                (vec![s("[1,")], Err("json: invalid JSON")),
            ],
        );
        check(
            P,
            "Indent",
            &[
                (
                    vec![s(r#"{"a": 1, "b": 2}"#), s(""), s("  ")],
                    Ok(s("{\n  \"a\": 1,\n  \"b\": 2\n}")),
                ),
                (
                    vec![s(r#"{"a": [], "b": {}}"#), s(""), s("\t")],
                    Ok(s("{\n\t\"a\": [],\n\t\"b\": {}\n}")),
                ),
                (
                    vec![s("[[1]]"), s(">"), s(" ")],
                    Ok(s("[\n> [\n>  1\n> ]\n>]")),
                ),
            ],
        );
        check(
            P,
            "HTMLEscape",
            &[(vec![s("<a&b>")], Ok(s(r"\u003ca\u0026b\u003e")))],
        );
    }
}
