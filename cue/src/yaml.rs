//! Decoding YAML documents as CUE data: each document of a stream becomes the same
//! [`JsonValue`] the JSON decoder produces, with spans into the YAML text, so that `vet` and the
//! `encoding/yaml` builtins treat YAML exactly like JSON and errors point at the YAML line and
//! column.
//!
//! Scalars are resolved as CUE's YAML decoder does, by the YAML 1.2 core schema: `true`/`false`
//! (also `True`, `TRUE`...), `null`/`~`/empty, decimal, `0x` and `0o` integers, floats with a
//! fraction or exponent; everything else (`yes`, `no`, `on`, dates) is a string. Tags `!!str`,
//! `!!int`, `!!float`, `!!bool` and `!!null` force a type. Anchors and aliases are expanded.
//! Mapping keys must be scalars and become field names as written.
//!
//! The reader is the `yaml-rust2` crate (a maintained, complete YAML 1.2 parser whose event
//! API reports every node's line and column); this module maps its events to values.

use std::borrow::Cow;
use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::diagnostic::Diagnostic;
use crate::json::{JsonKind, JsonValue};
use crate::source::{FileId, Span};

/// Decodes every document of a YAML stream, in order. An empty stream is one `null` document,
/// as CUE reads an empty YAML file. On error the diagnostic names the position of the problem.
pub(crate) fn decode_stream(
    file: FileId,
    text: &str,
) -> Result<Vec<JsonValue<'static>>, Box<Diagnostic>> {
    let mut builder = Builder {
        file,
        offsets: CharOffsets::new(text),
        stack: Vec::new(),
        documents: Vec::new(),
        anchors: HashMap::new(),
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    if let Err(error) = parser.load(&mut builder, true) {
        let at = builder.offsets.byte(error.marker().index());
        return Err(Box::new(
            Diagnostic::error("YAML", format!("invalid YAML: {}", error.info()))
                .with_span(Span::new(file, at, at)),
        ));
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    if builder.documents.is_empty() {
        builder.documents.push(JsonValue {
            kind: JsonKind::Null,
            span: Span::new(file, 0, 0),
        });
    }
    Ok(builder.documents)
}

/// Decodes a YAML text that must hold exactly one document (`yaml.Unmarshal`).
pub(crate) fn decode_single(
    file: FileId,
    text: &str,
) -> Result<JsonValue<'static>, Box<Diagnostic>> {
    let mut documents = decode_stream(file, text)?;
    if documents.len() > 1 {
        let second = documents[1].span;
        return Err(Box::new(
            Diagnostic::error(
                "YAML",
                "invalid YAML: expected a single document, found a stream of several",
            )
            .with_span(second),
        ));
    }
    Ok(documents.remove(0))
}

/// Maps the parser's character indices to byte offsets of the text.
struct CharOffsets {
    /// The byte offset of every character, or `None` when the text is ASCII (index = offset).
    table: Option<Vec<u32>>,
    len: u32,
}

impl CharOffsets {
    fn new(text: &str) -> CharOffsets {
        let table =
            (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i as u32).collect());
        CharOffsets {
            table,
            len: text.len() as u32,
        }
    }

    fn byte(&self, char_index: usize) -> u32 {
        match &self.table {
            None => (char_index as u32).min(self.len),
            Some(table) => table.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

enum Frame {
    Sequence {
        items: Vec<JsonValue<'static>>,
        start: u32,
        anchor: usize,
    },
    Mapping {
        members: Vec<(Cow<'static, str>, Span, JsonValue<'static>)>,
        key: Option<(Cow<'static, str>, Span)>,
        start: u32,
        anchor: usize,
    },
}

struct Builder {
    file: FileId,
    offsets: CharOffsets,
    stack: Vec<Frame>,
    documents: Vec<JsonValue<'static>>,
    anchors: HashMap<usize, JsonValue<'static>>,
    error: Option<Box<Diagnostic>>,
}

impl Builder {
    fn fail(&mut self, message: String, at: u32) {
        if self.error.is_none() {
            self.error = Some(Box::new(
                Diagnostic::error("YAML", message).with_span(Span::new(self.file, at, at)),
            ));
        }
    }

    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Mapping { key: None, .. }))
    }

    /// Places a finished node: a document, a sequence item or a mapping value.
    fn place(&mut self, value: JsonValue<'static>, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(value),
            Some(Frame::Sequence { items, .. }) => items.push(value),
            Some(Frame::Mapping { members, key, .. }) => match key.take() {
                Some((name, span)) => members.push((name, span, value)),
                None => {
                    let at = value.span.start;
                    self.fail(
                        "invalid YAML: a mapping key must be a scalar".to_string(),
                        at,
                    );
                }
            },
        }
    }

    fn scalar(
        &mut self,
        value: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<Tag>,
        start: u32,
    ) {
        let end = start + value.len().max(1) as u32;
        let span = Span::new(self.file, start, end);
        if let Some(Frame::Mapping {
            key: key @ None, ..
        }) = self.stack.last_mut()
        {
            *key = Some((Cow::Owned(value), span));
            return;
        }
        let kind = match resolve_scalar(value, style, tag.as_ref()) {
            Ok(kind) => kind,
            Err(message) => {
                self.fail(message, start);
                return;
            }
        };
        self.place(JsonValue { kind, span }, anchor);
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let at = self.offsets.byte(mark.index());
        match event {
            Event::Scalar(value, style, anchor, tag) => self.scalar(value, style, anchor, tag, at),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _)
                if self.expects_key() =>
            {
                let _ = anchor;
                self.fail(
                    "invalid YAML: a mapping key must be a scalar".to_string(),
                    at,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Sequence {
                items: Vec::new(),
                start: at,
                anchor,
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Mapping {
                members: Vec::new(),
                key: None,
                start: at,
                anchor,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (kind, start, anchor) = match self.stack.pop() {
                    Some(Frame::Sequence {
                        items,
                        start,
                        anchor,
                    }) => (JsonKind::Array(items), start, anchor),
                    Some(Frame::Mapping {
                        members,
                        start,
                        anchor,
                        ..
                    }) => (JsonKind::Object(members), start, anchor),
                    None => return,
                };
                let span = Span::new(self.file, start, at.max(start));
                self.place(JsonValue { kind, span }, anchor);
            }
            Event::Alias(id) => {
                if self.expects_key() {
                    self.fail(
                        "invalid YAML: an alias cannot be a mapping key".to_string(),
                        at,
                    );
                    return;
                }
                match self.anchors.get(&id).cloned() {
                    Some(value) => self.place(value, 0),
                    None => self.fail("invalid YAML: unknown anchor".to_string(), at),
                }
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// The value of a scalar node by the YAML 1.2 core schema, or as its tag says.
fn resolve_scalar(
    value: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<JsonKind<'static>, String> {
    if let Some(tag) = tag {
        if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
            return match tag.suffix.as_str() {
                "str" => Ok(JsonKind::String(Cow::Owned(value))),
                "null" => Ok(JsonKind::Null),
                "bool" => match value.as_str() {
                    "true" | "True" | "TRUE" => Ok(JsonKind::Bool(true)),
                    "false" | "False" | "FALSE" => Ok(JsonKind::Bool(false)),
                    _ => Err(format!("invalid YAML: cannot decode {value:?} as !!bool")),
                },
                "int" => number(&value)
                    .filter(|k| matches!(k, JsonKind::Int(_)))
                    .ok_or_else(|| format!("invalid YAML: cannot decode {value:?} as !!int")),
                "float" => match number(&value) {
                    Some(JsonKind::Int(digits)) => {
                        Ok(JsonKind::Float(Cow::Owned(format!("{digits}.0"))))
                    }
                    Some(kind) => Ok(kind),
                    None => Err(format!("invalid YAML: cannot decode {value:?} as !!float")),
                },
                _ => Ok(plain(value)),
            };
        }
    }
    if style != TScalarStyle::Plain {
        return Ok(JsonKind::String(Cow::Owned(value)));
    }
    match value.as_str() {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN"
        | ".NAN" => {
            return Err(format!(
                "invalid YAML: {value} is not a number CUE can represent"
            ))
        }
        _ => {}
    }
    Ok(plain(value))
}

/// Whether `text`, written as a plain scalar, reads back as that string (not a number, a
/// boolean, null, or a float CUE cannot represent).
pub(crate) fn reads_as_string(text: &str) -> bool {
    matches!(
        resolve_scalar(text.to_string(), TScalarStyle::Plain, None),
        Ok(JsonKind::String(_))
    )
}

/// A plain (unquoted, untagged) scalar.
fn plain(value: String) -> JsonKind<'static> {
    match value.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => JsonKind::Null,
        "true" | "True" | "TRUE" => JsonKind::Bool(true),
        "false" | "False" | "FALSE" => JsonKind::Bool(false),
        _ => number(&value).unwrap_or(JsonKind::String(Cow::Owned(value))),
    }
}

/// A YAML 1.2 core-schema number, spelled as CUE reads it (`+1` is `1`, `0x1f` is `31`,
/// `.5` is `0.5`), or `None` when the text is not a number.
fn number(text: &str) -> Option<JsonKind<'static>> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = if negative { "-" } else { "" };
    for (prefix, radix) in [("0x", 16), ("0o", 8)] {
        if let Some(digits) = unsigned.strip_prefix(prefix) {
            if text.starts_with(['-', '+']) || digits.is_empty() {
                return None;
            }
            let value = u128::from_str_radix(digits, radix).ok()?;
            return Some(JsonKind::Int(Cow::Owned(value.to_string())));
        }
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        let digits = unsigned.trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        return Some(JsonKind::Int(Cow::Owned(format!("{sign}{digits}"))));
    }
    // [0-9]* ( \. [0-9]* )? ( [eE] [-+]? [0-9]+ )?, with at least one digit before the exponent.
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole)
        || !fraction.is_none_or(digits)
        || (whole.is_empty() && fraction.is_none_or(str::is_empty))
    {
        return None;
    }
    if fraction.is_none() && exponent.is_none() {
        return None;
    }
    let exponent = match exponent {
        Some(e) => {
            let unsigned_e = e.strip_prefix(['-', '+']).unwrap_or(e);
            if unsigned_e.is_empty() || !digits(unsigned_e) {
                return None;
            }
            format!("e{}", e.strip_prefix('+').unwrap_or(e))
        }
        None => String::new(),
    };
    let whole = if whole.is_empty() { "0" } else { whole };
    let fraction = match fraction {
        Some(f) if !f.is_empty() => format!(".{f}"),
        _ if exponent.is_empty() => ".0".to_string(),
        _ => String::new(),
    };
    Some(JsonKind::Float(Cow::Owned(format!(
        "{sign}{whole}{fraction}{exponent}"
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<JsonKind<'static>> {
        decode_stream(FileId(0), text)
            .expect("valid YAML")
            .into_iter()
            .map(|v| v.kind)
            .collect()
    }

    fn int(text: &str) -> JsonKind<'static> {
        JsonKind::Int(Cow::Owned(text.to_string()))
    }

    fn float(text: &str) -> JsonKind<'static> {
        JsonKind::Float(Cow::Owned(text.to_string()))
    }

    fn string(text: &str) -> JsonKind<'static> {
        JsonKind::String(Cow::Owned(text.to_string()))
    }

    #[test]
    fn scalars_resolve_by_the_core_schema() {
        let value = &decode_stream(
            FileId(0),
            "[1, -2, +3, 0x1f, 0o17, 1.5, .5, 1e3, 2., true, False, null, ~, no, yes, '1', \"x\", 1.2.3]",
        )
        .expect("valid")[0];
        let JsonKind::Array(items) = &value.kind else {
            panic!("not a list: {value:?}")
        };
        let got: Vec<JsonKind> = items.iter().map(|v| v.kind.clone()).collect();
        assert_eq!(
            got,
            [
                int("1"),
                int("-2"),
                int("3"),
                int("31"),
                int("15"),
                float("1.5"),
                float("0.5"),
                float("1e3"),
                float("2.0"),
                JsonKind::Bool(true),
                JsonKind::Bool(false),
                JsonKind::Null,
                JsonKind::Null,
                string("no"),
                string("yes"),
                string("1"),
                string("x"),
                string("1.2.3"),
            ]
        );
    }

    #[test]
    fn documents_of_a_stream_are_separate_values() {
        assert_eq!(kinds("a: 1\n---\n- 2\n").len(), 2);
        assert_eq!(kinds(""), [JsonKind::Null]);
        assert_eq!(kinds("---\n"), [JsonKind::Null]);
        assert!(decode_single(FileId(0), "a: 1\n---\nb: 2\n").is_err());
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "languages:\n  - tag: en\n    name: Ünglish\n  - name: dutch\n";
        let value = decode_single(FileId(0), text).expect("valid");
        let JsonKind::Object(members) = &value.kind else {
            panic!("not a mapping")
        };
        let JsonKind::Array(items) = &members[0].2.kind else {
            panic!("not a sequence")
        };
        let JsonKind::Object(second) = &items[1].kind else {
            panic!("not a mapping")
        };
        let (key, key_span, name) = &second[0];
        assert_eq!(key, "name");
        // Byte offsets, after the two-byte `Ü`.
        assert_eq!(&text[key_span.start as usize..][..4], "name");
        assert_eq!(&text[name.span.start as usize..][..5], "dutch");
    }

    #[test]
    fn anchors_and_tags() {
        let value = decode_single(
            FileId(0),
            "a: &x {b: 1}\nc: *x\nd: !!str 12\ne: !!float 1\n",
        )
        .expect("valid");
        let JsonKind::Object(members) = value.kind else {
            panic!("not a mapping")
        };
        assert_eq!(members[1].2.kind, members[0].2.kind);
        assert_eq!(members[2].2.kind, string("12"));
        assert_eq!(members[3].2.kind, float("1.0"));
    }

    #[test]
    fn bad_yaml_names_the_position() {
        let error = decode_stream(FileId(0), "a: 1\nb: [1, 2\n").expect_err("unclosed");
        assert!(
            error.message.starts_with("invalid YAML"),
            "{}",
            error.message
        );
        let error = decode_stream(FileId(0), "? [1]\n: 2\n").expect_err("list key");
        assert_eq!(
            error.message,
            "invalid YAML: a mapping key must be a scalar"
        );
        let error = decode_stream(FileId(0), "a: .inf\n").expect_err("infinity");
        assert_eq!(error.spans[0].start, 3);
        assert!(decode_stream(FileId(0), "a: !!int x\n").is_err());
    }
}
