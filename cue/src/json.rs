//! Decoding JSON documents as CUE: into the same [`ast::Expr`] the parser produces, with spans,
//! so data unifies with schemas like any other conjunct and errors point into the data file.
//!
//! As in `cue vet`, numbers keep their JSON spelling: `1` is an int, `1.0` and `1e3` are floats.

use std::borrow::Cow;

use crate::ast::StructLit;
use crate::ast::{Decl, Expr, ExprKind, Field, FieldConstraint, Ident, Label, LabelKind, ListLit};
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// A decoded JSON value with the span of its text. Strings borrow from the document unless
/// they had escapes to decode.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JsonValue<'t> {
    pub kind: JsonKind<'t>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonKind<'t> {
    Null,
    Bool(bool),
    /// An integer literal (no fraction or exponent), as written.
    Int(Cow<'t, str>),
    /// A literal with a fraction or exponent, as written: CUE decodes it as a float.
    Float(Cow<'t, str>),
    String(Cow<'t, str>),
    Array(Vec<JsonValue<'t>>),
    /// Members in document order, each with the span of its key.
    Object(Vec<(Cow<'t, str>, Span, JsonValue<'t>)>),
}

impl JsonValue<'_> {
    /// The same value as a CUE syntax tree, to unify with schemas in the evaluator.
    pub(crate) fn to_expr(&self) -> Expr {
        let kind = match &self.kind {
            JsonKind::Null => ExprKind::Null,
            JsonKind::Bool(b) => ExprKind::Bool(*b),
            JsonKind::Int(text) => ExprKind::Int(text.to_string()),
            JsonKind::Float(text) => ExprKind::Float(text.to_string()),
            JsonKind::String(s) => ExprKind::String(s.to_string()),
            JsonKind::Array(items) => ExprKind::List(ListLit {
                elements: items.iter().map(JsonValue::to_expr).collect(),
                ellipsis: None,
            }),
            JsonKind::Object(members) => ExprKind::Struct(StructLit {
                decls: members
                    .iter()
                    .map(|(key, key_span, value)| {
                        let value = value.to_expr();
                        let span = key_span.to(value.span);
                        Decl::Field(Field {
                            label: Label {
                                alias: None,
                                label_alias: None,
                                kind: if is_identifier(key) {
                                    LabelKind::Ident(Ident {
                                        name: key.to_string(),
                                        span: *key_span,
                                    })
                                } else {
                                    LabelKind::String(key.to_string())
                                },
                                span: *key_span,
                            },
                            constraint: FieldConstraint::Regular,
                            value,
                            attributes: Vec::new(),
                            doc: None,
                            span,
                        })
                    })
                    .collect(),
                shorthand: false,
            }),
        };
        Expr {
            kind,
            span: self.span,
        }
    }
}

/// Data nested deeper than this is refused with a diagnostic instead of risking the stack.
pub(crate) const MAX_DEPTH: usize = 512;

/// Decodes one JSON document. On error the diagnostic names the position of the problem.
pub(crate) fn decode_value(file: FileId, text: &str) -> Result<JsonValue<'_>, Box<Diagnostic>> {
    decode_document(file, text).map(|(value, _)| value)
}

/// Decodes a stream of JSON values (`.jsonl`), in order, each with spans into the whole text.
pub(crate) fn decode_stream(
    file: FileId,
    text: &str,
) -> Result<Vec<JsonValue<'_>>, Box<Diagnostic>> {
    let mut decoder = Decoder::new(file, text);
    let mut values = Vec::new();
    loop {
        decoder.skip_whitespace();
        if decoder.pos >= decoder.bytes.len() {
            return Ok(values);
        }
        values.push(decoder.value()?);
    }
}

/// Like [`decode_value`], and whether some object repeats a key (`{"a": 1, "a": 2}`): CUE
/// unifies the repeated fields, which only unification does.
pub(crate) fn decode_document(
    file: FileId,
    text: &str,
) -> Result<(JsonValue<'_>, bool), Box<Diagnostic>> {
    let mut decoder = Decoder::new(file, text);
    decoder.skip_whitespace();
    let value = decoder.value()?;
    decoder.skip_whitespace();
    if decoder.pos < decoder.bytes.len() {
        let found = describe_char(text, decoder.pos);
        return Err(decoder.error(&format!(
            "invalid JSON: invalid character {found} after top-level value"
        )));
    }
    Ok((value, decoder.repeated_keys))
}

/// The JSON reader. The tree decoder above and the compiled validator's streaming check
/// (`validate/stream.rs`) both read JSON through it, so they accept exactly the same documents.
pub(crate) struct Decoder<'t> {
    file: FileId,
    bytes: &'t [u8],
    text: &'t str,
    pub(crate) pos: usize,
    depth: usize,
    /// Set when an object read by [`Decoder::value`] repeats a key.
    pub(crate) repeated_keys: bool,
}

impl<'t> Decoder<'t> {
    pub(crate) fn new(file: FileId, text: &'t str) -> Decoder<'t> {
        Decoder {
            file,
            bytes: text.as_bytes(),
            text,
            pos: 0,
            depth: 0,
            repeated_keys: false,
        }
    }

    /// The next byte after whitespace, without consuming it.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.pos).copied()
    }

    /// Consumes `byte` (after whitespace) if it is next.
    pub(crate) fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start as u32, self.pos as u32)
    }

    fn error(&self, message: &str) -> Box<Diagnostic> {
        let at = self.pos.min(self.bytes.len()) as u32;
        Box::new(
            Diagnostic::error("JSON", message.to_string()).with_span(Span::new(self.file, at, at)),
        )
    }

    pub(crate) fn skip_whitespace(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    pub(crate) fn value(&mut self) -> Result<JsonValue<'t>, Box<Diagnostic>> {
        let start = self.pos;
        match self.bytes.get(self.pos) {
            None => Err(self.error("invalid JSON: unexpected end of input")),
            Some(b'{') => self.nested(|d| d.object(start)),
            Some(b'[') => self.nested(|d| d.array(start)),
            Some(b'"') => {
                let s = self.string()?;
                Ok(JsonValue {
                    kind: JsonKind::String(s),
                    span: self.span(start),
                })
            }
            Some(b't') => self.keyword("true", JsonKind::Bool(true)),
            Some(b'f') => self.keyword("false", JsonKind::Bool(false)),
            Some(b'n') => self.keyword("null", JsonKind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error(&format!(
                "invalid JSON: unexpected character {}",
                describe_char(self.text, self.pos)
            ))),
        }
    }

    fn nested(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<JsonValue<'t>, Box<Diagnostic>>,
    ) -> Result<JsonValue<'t>, Box<Diagnostic>> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(&format!(
                "invalid JSON: nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn keyword(
        &mut self,
        word: &str,
        kind: JsonKind<'t>,
    ) -> Result<JsonValue<'t>, Box<Diagnostic>> {
        let start = self.pos;
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(JsonValue {
                kind,
                span: self.span(start),
            })
        } else {
            Err(self.error(&format!(
                "invalid JSON: unexpected character {}",
                describe_char(self.text, self.pos)
            )))
        }
    }

    pub(crate) fn number(&mut self) -> Result<JsonValue<'t>, Box<Diagnostic>> {
        let start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos == digits_start {
            return Err(self.error("invalid JSON: expected a digit"));
        }
        if self.bytes[digits_start] == b'0' && self.pos - digits_start > 1 {
            return Err(self.error("invalid JSON: number with a leading zero"));
        }
        let mut is_float = false;
        if self.bytes.get(self.pos) == Some(&b'.') {
            is_float = true;
            self.pos += 1;
            let frac = self.pos;
            while matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
            if frac == self.pos {
                return Err(self.error("invalid JSON: expected a digit after the decimal point"));
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            is_float = true;
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let exp = self.pos;
            while matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
            if exp == self.pos {
                return Err(self.error("invalid JSON: expected a digit in the exponent"));
            }
        }
        let literal: &'t str = &self.text[start..self.pos];
        Ok(JsonValue {
            kind: if is_float {
                JsonKind::Float(Cow::Borrowed(literal))
            } else {
                JsonKind::Int(Cow::Borrowed(literal))
            },
            span: self.span(start),
        })
    }

    #[inline]
    pub(crate) fn string(&mut self) -> Result<Cow<'t, str>, Box<Diagnostic>> {
        // The caller checked the opening quote.
        self.pos += 1;
        // Most strings have no escapes: borrow them from the document.
        let start = self.pos;
        let end = plain_run_end(self.bytes, start);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(&self.text[start..end]));
        }
        self.escaped_string()
    }

    /// The rest of [`Decoder::string`], for a string with escapes (or an error).
    #[inline(never)]
    fn escaped_string(&mut self) -> Result<Cow<'t, str>, Box<Diagnostic>> {
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            self.pos = plain_run_end(self.bytes, self.pos);
            out.push_str(&self.text[run_start..self.pos]);
            match self.bytes.get(self.pos) {
                None => return Err(self.error("invalid JSON: unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = match self.bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid JSON: invalid escape in string")),
                    };
                    self.pos += 1;
                    out.push(escaped);
                }
                Some(_) => {
                    return Err(self.error("invalid JSON: control character in string"));
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Box<Diagnostic>> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("invalid JSON: short \\u escape"))?;
        // `from_str_radix` alone would take a sign (`\u+0e9`): four hex digits, nothing else.
        let value = u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| digits.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid JSON: invalid \\u escape"))?;
        self.pos += 4;
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, Box<Diagnostic>> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            // A high surrogate must be followed by an escaped low surrogate; Go's decoder
            // replaces a lone one with U+FFFD, and so do we.
            if self.bytes[self.pos..].starts_with(b"\\u") {
                let save = self.pos;
                self.pos += 2;
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
                }
                self.pos = save;
            }
            return Ok('\u{FFFD}');
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }

    fn object(&mut self, start: usize) -> Result<JsonValue<'t>, Box<Diagnostic>> {
        self.pos += 1;
        let mut members = Vec::with_capacity(8);
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(object(members, self.span(start)));
        }
        loop {
            self.skip_whitespace();
            let key_start = self.pos;
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("invalid JSON: expected a quoted object key"));
            }
            let key = self.string()?;
            let key_span = self.span(key_start);
            self.skip_whitespace();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("invalid JSON: expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value()?;
            members.push((key, key_span, value));
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    if !self.repeated_keys && repeats_a_key(&members) {
                        self.repeated_keys = true;
                    }
                    return Ok(object(members, self.span(start)));
                }
                _ => return Err(self.error("invalid JSON: expected ',' or '}' in object")),
            }
        }
    }

    fn array(&mut self, start: usize) -> Result<JsonValue<'t>, Box<Diagnostic>> {
        self.pos += 1;
        let mut elements = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_whitespace();
                elements.push(self.value()?);
                self.skip_whitespace();
                match self.bytes.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("invalid JSON: expected ',' or ']' in array")),
                }
            }
        }
        Ok(JsonValue {
            kind: JsonKind::Array(elements),
            span: self.span(start),
        })
    }
}

/// Where the run of plain string bytes that starts at `from` ends: the index of the first `"`,
/// `\\` or control byte, or the length. Eight bytes at a time: in a word `w`, a byte below `n`
/// (at most 0x80) sets its high bit in `(w - n×0x01…01) & !w & 0x80…80`, and so does a zero byte
/// of `w ^ c×0x01…01` for a byte equal to `c`. Bits may also be set above a match (a borrow),
/// never below the first one, so the lowest set bit is exact.
fn plain_run_end(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let special =
            below(w, 0x20) | below(w ^ (ONES * u64::from(b'"')), 1) | below(w ^ (ONES * 0x5c), 1);
        if special != 0 {
            return at + (special.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        at += 1;
    }
    at
}

fn repeats_a_key(members: &[(Cow<'_, str>, Span, JsonValue<'_>)]) -> bool {
    if members.len() <= 16 {
        return members
            .iter()
            .enumerate()
            .any(|(i, (k, _, _))| members[..i].iter().any(|(other, _, _)| other == k));
    }
    let mut keys = std::collections::HashSet::with_capacity(members.len());
    !members.iter().all(|(k, _, _)| keys.insert(k.as_ref()))
}

fn object<'t>(members: Vec<(Cow<'t, str>, Span, JsonValue<'t>)>, span: Span) -> JsonValue<'t> {
    JsonValue {
        kind: JsonKind::Object(members),
        span,
    }
}

/// JSON keys that are not CUE identifiers (or look like definitions or hidden fields) become
/// quoted labels, so `"#x"` in data is a regular field named `#x`, as in `cue`.
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

fn describe_char(text: &str, pos: usize) -> String {
    match text.get(pos..).and_then(|s| s.chars().next()) {
        Some(c) => format!("{c:?}"),
        None => "end of input".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One JSON document as a CUE syntax tree.
    fn decode(file: FileId, text: &str) -> Result<Expr, Box<Diagnostic>> {
        decode_value(file, text).map(|v| v.to_expr())
    }

    fn kind(text: &str) -> ExprKind {
        decode(FileId(0), text).expect("valid JSON").kind
    }

    #[test]
    fn numbers_keep_int_and_float_apart() {
        assert_eq!(kind("1"), ExprKind::Int("1".into()));
        assert_eq!(kind("-0"), ExprKind::Int("-0".into()));
        assert_eq!(kind("1.0"), ExprKind::Float("1.0".into()));
        assert_eq!(kind("1e3"), ExprKind::Float("1e3".into()));
    }

    #[test]
    fn strings_unescape_including_surrogate_pairs() {
        assert_eq!(
            kind(r#""a\n\u00e9\ud83d\ude00""#),
            ExprKind::String("a\né😀".into())
        );
        assert_eq!(kind(r#""\ud83d""#), ExprKind::String("\u{FFFD}".into()));
    }

    #[test]
    fn a_unicode_escape_is_four_hex_digits() {
        assert_eq!(kind(r#""\u00e9""#), ExprKind::String("é".into()));
        for text in [
            r#""\u+0e9""#,
            r#""\u-0e9""#,
            r#""\u 0e9""#,
            r#""\u0e9""#,
            r#""\ug000""#,
        ] {
            assert!(decode(FileId(0), text).is_err(), "{text}");
        }
    }

    #[test]
    fn errors_name_the_position() {
        let err = decode(FileId(0), "{\"a\": 1,}").unwrap_err();
        assert_eq!(err.message, "invalid JSON: expected a quoted object key");
        assert_eq!(err.spans[0].start, 8);
        assert!(decode(FileId(0), "[1] x").is_err());
        assert!(decode(FileId(0), "01").is_err());
        assert!(decode(FileId(0), "\"abc").is_err());
        assert!(decode(FileId(0), "").is_err());
    }

    #[test]
    fn plain_runs_end_at_the_first_quote_backslash_or_control_byte() {
        let naive = |bytes: &[u8], from: usize| {
            bytes[from..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .map_or(bytes.len(), |i| from + i)
        };
        // Every byte value, at every offset within a word and past it, behind plain bytes
        // that sit next to the special ones: `!`, `#`, `]`, space, DEL, and high bytes such
        // as 0xa2 and 0xdc whose low seven bits are `"` and `\`.
        let mixed = [
            0xa2, 0xdc, 0x80, 0xff, 0x5b, 0x5d, 0x20, 0x7f, 0xc3, 0xa9, 0x23, 0x21, 0xa2, 0xdc,
            0x9f, 0xa0, 0x5d, 0x23, 0x20, 0x7e,
        ];
        let fillers: [&[u8]; 3] = [b"abcdefghijklmnopqrst", &[0x21; 20], &mixed];
        for filler in fillers {
            for len in 0..=filler.len() {
                for special in 0..=255u8 {
                    let mut bytes = filler[..len].to_vec();
                    bytes.push(special);
                    bytes.extend_from_slice(b"tail\"tail");
                    for from in 0..=len.min(9) {
                        assert_eq!(
                            plain_run_end(&bytes, from),
                            naive(&bytes, from),
                            "{bytes:?} from {from}"
                        );
                    }
                }
                let bytes = &filler[..len];
                assert_eq!(plain_run_end(bytes, 0), naive(bytes, 0), "{bytes:?}");
            }
        }
    }

    #[test]
    fn strings_borrow_unless_escaped_and_report_the_same_errors() {
        let string = |text: &str| {
            let mut decoder = Decoder::new(FileId(0), text);
            decoder
                .string()
                .map(|s| (matches!(s, Cow::Borrowed(_)), s.into_owned(), decoder.pos))
                .map_err(|e| (e.message, e.spans[0].start))
        };
        let long = "0123456789abcdefghij";
        assert_eq!(string(r#""""#), Ok((true, String::new(), 2)));
        assert_eq!(string(&format!("\"{long}\" ")), Ok((true, long.into(), 22)));
        assert_eq!(
            string("\"caf\u{e9} ok\""),
            Ok((true, "caf\u{e9} ok".into(), 10))
        );
        assert_eq!(
            string(&format!("\"{long}\\n{long}\"")),
            Ok((false, format!("{long}\n{long}"), 44))
        );
        let unterminated = Err(("invalid JSON: unterminated string".to_string(), 21));
        assert_eq!(string(&format!("\"{long}")), unterminated);
        assert_eq!(
            string(&format!("\"{long}\n\"")),
            Err(("invalid JSON: control character in string".to_string(), 21))
        );
        assert_eq!(
            string(&format!("\"{long}\\x\"")),
            Err(("invalid JSON: invalid escape in string".to_string(), 22))
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        let err = decode(FileId(0), &deep).unwrap_err();
        assert!(err.message.contains("nesting deeper"), "{}", err.message);
    }

    #[test]
    fn repeated_keys_are_noticed_in_small_and_large_objects() {
        let repeated = |text: &str| decode_document(FileId(0), text).map(|(_, r)| r).ok();
        assert_eq!(repeated(r#"{"a": 1, "b": {"a": 2}}"#), Some(false));
        assert_eq!(repeated(r#"[{"a": 1, "a": 2}]"#), Some(true));
        let many: Vec<String> = (0..40).map(|i| format!(r#""k{i}": {i}"#)).collect();
        assert_eq!(repeated(&format!("{{{}}}", many.join(","))), Some(false));
        assert_eq!(
            repeated(&format!("{{{}, \"k7\": 0}}", many.join(","))),
            Some(true)
        );
    }
}
