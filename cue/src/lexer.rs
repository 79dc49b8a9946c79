//! The lexer: CUE source text to tokens, with automatic comma insertion and comment lines
//! kept aside for doc comments. Never fails: bad input becomes `Illegal` tokens and
//! diagnostics.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    Ident(String),
    Int(String),
    Float(String),
    /// A string or bytes literal; `content` is the byte range between the quotes, still
    /// escaped (the parser decodes it, including interpolations).
    String(StringToken),
    /// `@name(body)`, with the body text between the outer parentheses.
    Attribute {
        name: String,
        body: String,
    },
    /// `_|_`
    Bottom,
    Punct(&'static str),
    /// A comma, written or inserted at the end of a line.
    Comma {
        inserted: bool,
    },
    Illegal(String),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StringToken {
    /// `"` for strings, `'` for bytes.
    pub quote: char,
    pub multiline: bool,
    /// The number of `#` around a raw string.
    pub hashes: usize,
    pub content_start: u32,
    pub content_end: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// The tokens of a file, plus its comment-only lines (line number → text without `//`).
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    pub comment_lines: std::collections::HashMap<u32, String>,
    pub diagnostics: Vec<Diagnostic>,
}

const PUNCTS: [&str; 28] = [
    "...", "&&", "||", "==", "!=", "<=", ">=", "=~", "!~", "{", "}", "[", "]", "(", ")", ":", ",",
    ".", "?", "!", "=", "&", "|", "<", ">", "+", "-", "~",
];

pub(crate) fn lex(file: FileId, text: &str) -> Lexed {
    lex_range(file, text, 0, text.len())
}

/// The `//` comments of a file, in order: each span runs from its `//` to the end of the line,
/// trailing blanks left out. A `//` inside a string literal or an attribute is not a comment.
pub fn comments(file: FileId, text: &str) -> Vec<Span> {
    let lexed = lex(file, text);
    let mut token_spans: Vec<(u32, u32)> = lexed
        .tokens
        .iter()
        .map(|token| (token.span.start, token.span.end))
        .collect();
    token_spans.sort_unstable();
    let inside_token = |offset: u32| {
        let index = token_spans.partition_point(|(start, _)| *start <= offset);
        index > 0 && token_spans[index - 1].1 > offset
    };
    let mut found = Vec::new();
    let mut line_start = 0usize;
    for line in text.split('\n') {
        let mut from = 0;
        while let Some(at) = line[from..].find("//") {
            let column = from + at;
            if !inside_token((line_start + column) as u32) {
                let end = line_start + line.trim_end().len();
                found.push(Span::new(file, (line_start + column) as u32, end as u32));
                break;
            }
            from = column + 2;
        }
        line_start += line.len() + 1;
    }
    found
}

/// Lexes `text[start..end]` with spans relative to the whole `text` (for interpolations).
pub(crate) fn lex_range(file: FileId, text: &str, start: usize, end: usize) -> Lexed {
    lex_until(file, text, start, end, None)
}

/// Lexes the head of a file only: attributes, the `package` clause and `import`
/// declarations, up to and including the first token of the first other declaration (then
/// `Eof`). What `parser::parse_header` needs, without lexing the rest of the file.
pub(crate) fn lex_header(file: FileId, text: &str) -> Lexed {
    lex_until(file, text, 0, text.len(), Some(HeaderScan::default()))
}

fn lex_until(
    file: FileId,
    text: &str,
    start: usize,
    end: usize,
    header: Option<HeaderScan>,
) -> Lexed {
    let text = &text[..end];
    let mut lexer = Lexer {
        file,
        text,
        bytes: text.as_bytes(),
        pos: start,
        line: 1,
        tokens: Vec::new(),
        comment_lines: Default::default(),
        diagnostics: Vec::new(),
        header,
    };
    lexer.run();
    Lexed {
        tokens: lexer.tokens,
        comment_lines: lexer.comment_lines,
        diagnostics: lexer.diagnostics,
    }
}

struct Lexer<'t> {
    file: FileId,
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    line: u32,
    tokens: Vec<Token>,
    comment_lines: std::collections::HashMap<u32, String>,
    diagnostics: Vec<Diagnostic>,
    /// When lexing a file's head only: where the scan for its end is.
    header: Option<HeaderScan>,
}

/// The scan for the end of a file's head (see [`lex_header`]).
#[derive(Default)]
struct HeaderScan {
    /// Tokens already looked at.
    seen: usize,
    /// Open parentheses (an import group).
    depth: i32,
}

impl Lexer<'_> {
    /// Whether the last token starts a declaration that is neither `package`, `import` nor
    /// an attribute, outside parentheses: the head of the file is over.
    fn past_header(&mut self) -> bool {
        let Some(scan) = &mut self.header else {
            return false;
        };
        while scan.seen < self.tokens.len() {
            let index = scan.seen;
            scan.seen += 1;
            match &self.tokens[index].kind {
                TokenKind::Punct("(") => scan.depth += 1,
                TokenKind::Punct(")") => scan.depth -= 1,
                TokenKind::Comma { .. } | TokenKind::Attribute { .. } => {}
                TokenKind::Ident(word) if word == "package" || word == "import" => {}
                _ => {
                    let starts_declaration = index == 0
                        || matches!(self.tokens[index - 1].kind, TokenKind::Comma { .. });
                    if scan.depth == 0 && starts_declaration {
                        return true;
                    }
                }
            }
        }
        false
    }

    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start as u32, self.pos as u32)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let span = self.span(start);
        self.tokens.push(Token { kind, span });
    }

    fn error(&mut self, start: usize, message: impl Into<String>) {
        let span = Span::new(self.file, start as u32, (start as u32).max(self.pos as u32));
        self.diagnostics
            .push(Diagnostic::error("SYNTAX", message).with_span(span));
    }

    fn wants_comma(&self) -> bool {
        match self.tokens.last().map(|t| &t.kind) {
            Some(
                TokenKind::Ident(_)
                | TokenKind::Int(_)
                | TokenKind::Float(_)
                | TokenKind::String(_)
                | TokenKind::Bottom
                | TokenKind::Attribute { .. },
            ) => true,
            Some(TokenKind::Punct(p)) => matches!(*p, ")" | "]" | "}" | "?" | "..." | "!"),
            _ => false,
        }
    }

    fn newline(&mut self) {
        if self.wants_comma() {
            let at = self.pos;
            self.tokens.push(Token {
                kind: TokenKind::Comma { inserted: true },
                span: Span::new(self.file, at as u32, at as u32),
            });
        }
        self.line += 1;
    }

    fn line_is_blank_before(&self, pos: usize) -> bool {
        let line_start = self.text[..pos].rfind('\n').map_or(0, |i| i + 1);
        self.text[line_start..pos].trim().is_empty()
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() && !self.past_header() {
            let start = self.pos;
            let c = self.bytes[self.pos];
            match c {
                b'\n' => {
                    self.pos += 1;
                    self.newline();
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'/' if self.bytes.get(self.pos + 1) == Some(&b'/') => {
                    let end = self.text[self.pos..]
                        .find('\n')
                        .map_or(self.bytes.len(), |i| self.pos + i);
                    if self.line_is_blank_before(start) {
                        let body = &self.text[start + 2..end];
                        let body = body.strip_prefix(' ').unwrap_or(body);
                        self.comment_lines.insert(self.line, body.to_string());
                    }
                    self.pos = end;
                }
                b'"' | b'\'' => self.string(start, 0),
                b'#' if matches!(self.bytes.get(self.pos + 1), Some(b'"' | b'\'' | b'#')) => {
                    let mut hashes = 0;
                    while self.bytes.get(self.pos) == Some(&b'#') {
                        hashes += 1;
                        self.pos += 1;
                    }
                    if matches!(self.bytes.get(self.pos), Some(b'"' | b'\'')) {
                        self.string(start, hashes);
                    } else {
                        self.error(start, "expected a string after '#'");
                        self.push(TokenKind::Illegal("#".into()), start);
                    }
                }
                b'@' => self.attribute(start),
                b'0'..=b'9' => self.number(start),
                b'.' if matches!(self.bytes.get(self.pos + 1), Some(b'0'..=b'9')) => {
                    self.number(start)
                }
                b'_' if self.text[self.pos..].starts_with("_|_") => {
                    self.pos += 3;
                    self.push(TokenKind::Bottom, start);
                }
                _ if is_ident_start(self.text, self.pos) => self.identifier(start),
                _ => {
                    if let Some(p) = PUNCTS
                        .iter()
                        .find(|p| self.text[self.pos..].starts_with(**p))
                    {
                        self.pos += p.len();
                        if *p == "," {
                            self.push(TokenKind::Comma { inserted: false }, start);
                        } else {
                            self.push(TokenKind::Punct(p), start);
                        }
                    } else if c == b'*' || c == b'/' {
                        self.pos += 1;
                        self.push(TokenKind::Punct(if c == b'*' { "*" } else { "/" }), start);
                    } else {
                        let ch = self.text[self.pos..].chars().next().unwrap_or('?');
                        self.pos += ch.len_utf8();
                        self.error(start, format!("illegal character {ch:?}"));
                        self.push(TokenKind::Illegal(ch.to_string()), start);
                    }
                }
            }
        }
        if self.wants_comma() {
            let at = self.pos;
            self.tokens.push(Token {
                kind: TokenKind::Comma { inserted: true },
                span: Span::new(self.file, at as u32, at as u32),
            });
        }
        let end = self.bytes.len();
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(self.file, end as u32, end as u32),
        });
    }

    fn identifier(&mut self, start: usize) {
        // `#` and `_#` may start an identifier; then letters, digits, `_` and `$`.
        if self.bytes[self.pos] == b'_' && self.bytes.get(self.pos + 1) == Some(&b'#') {
            self.pos += 2;
        } else if self.bytes[self.pos] == b'#' {
            self.pos += 1;
        }
        while let Some(c) = self.text[self.pos..].chars().next() {
            if c.is_alphanumeric() || c == '_' || c == '$' {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        let name = self.text[start..self.pos].to_string();
        self.push(TokenKind::Ident(name), start);
    }

    fn number(&mut self, start: usize) {
        let bytes = self.bytes;
        let mut is_float = false;
        if bytes[self.pos] == b'0'
            && matches!(
                bytes.get(self.pos + 1),
                Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
            )
        {
            self.pos += 2;
            while matches!(bytes.get(self.pos), Some(c) if c.is_ascii_hexdigit() || *c == b'_') {
                self.pos += 1;
            }
        } else {
            while matches!(bytes.get(self.pos), Some(b'0'..=b'9' | b'_')) {
                self.pos += 1;
            }
            // `1.5` and `1.` are floats; `1..` (an ellipsis) and `1.x` are not.
            if bytes.get(self.pos) == Some(&b'.')
                && bytes.get(self.pos + 1) != Some(&b'.')
                && !matches!(bytes.get(self.pos + 1), Some(c) if c.is_ascii_alphabetic() || *c == b'_' || *c >= 0x80)
            {
                is_float = true;
                self.pos += 1;
                while matches!(bytes.get(self.pos), Some(b'0'..=b'9' | b'_')) {
                    self.pos += 1;
                }
            }
            if matches!(bytes.get(self.pos), Some(b'e' | b'E')) {
                let save = self.pos;
                self.pos += 1;
                if matches!(bytes.get(self.pos), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if matches!(bytes.get(self.pos), Some(b'0'..=b'9')) {
                    is_float = true;
                    while matches!(bytes.get(self.pos), Some(b'0'..=b'9' | b'_')) {
                        self.pos += 1;
                    }
                } else {
                    self.pos = save;
                }
            }
            // Multipliers: K M G T P, optionally followed by i.
            if matches!(bytes.get(self.pos), Some(b'K' | b'M' | b'G' | b'T' | b'P')) {
                // A multiplier makes an integer literal, even with a fraction: 1.5G.
                is_float = false;
                self.pos += 1;
                if bytes.get(self.pos) == Some(&b'i') {
                    self.pos += 1;
                }
            }
        }
        if matches!(bytes.get(self.pos), Some(c) if is_ident_byte(*c)) {
            while matches!(bytes.get(self.pos), Some(c) if is_ident_byte(*c)) {
                self.pos += 1;
            }
            let text = self.text[start..self.pos].to_string();
            self.error(start, format!("invalid number literal {text}"));
            self.push(TokenKind::Illegal(text), start);
            return;
        }
        if self.pos == start {
            // Never stall: whatever this is, it is one illegal character.
            let ch = self.text[start..].chars().next().unwrap_or('?');
            self.pos += ch.len_utf8();
            self.error(start, format!("illegal character {ch:?}"));
            self.push(TokenKind::Illegal(ch.to_string()), start);
            return;
        }
        let text = self.text[start..self.pos].to_string();
        self.push(
            if is_float {
                TokenKind::Float(text)
            } else {
                TokenKind::Int(text)
            },
            start,
        );
    }

    fn string(&mut self, start: usize, hashes: usize) {
        let quote = self.bytes[self.pos];
        let multiline =
            self.text[self.pos..].starts_with(if quote == b'"' { "\"\"\"" } else { "'''" });
        let open_len = if multiline { 3 } else { 1 };
        self.pos += open_len;
        let content_start = self.pos;
        let closing: String = std::iter::repeat_n(quote as char, open_len)
            .chain(std::iter::repeat_n('#', hashes))
            .collect();
        let escape: String = std::iter::once('\\')
            .chain(std::iter::repeat_n('#', hashes))
            .collect();
        let mut depth = 0usize;
        loop {
            if self.pos >= self.bytes.len() {
                self.error(start, "string literal not terminated");
                let content_end = self.pos;
                self.push(
                    TokenKind::String(StringToken {
                        quote: quote as char,
                        multiline,
                        hashes,
                        content_start: content_start as u32,
                        content_end: content_end as u32,
                    }),
                    start,
                );
                return;
            }
            let rest = &self.text[self.pos..];
            if depth == 0 && rest.starts_with(closing.as_str()) {
                let content_end = self.pos;
                self.pos += closing.len();
                self.push(
                    TokenKind::String(StringToken {
                        quote: quote as char,
                        multiline,
                        hashes,
                        content_start: content_start as u32,
                        content_end: content_end as u32,
                    }),
                    start,
                );
                return;
            }
            if depth == 0 && !multiline && rest.starts_with('\n') {
                self.error(start, "string literal not terminated");
                self.push(
                    TokenKind::String(StringToken {
                        quote: quote as char,
                        multiline,
                        hashes,
                        content_start: content_start as u32,
                        content_end: self.pos as u32,
                    }),
                    start,
                );
                return;
            }
            if depth == 0 && rest.starts_with(escape.as_str()) {
                let after = self.pos + escape.len();
                if self.bytes.get(after) == Some(&b'(') {
                    depth = 1;
                    self.pos = after + 1;
                    continue;
                }
                self.pos = after + self.text[after..].chars().next().map_or(0, char::len_utf8);
                continue;
            }
            if depth > 0 {
                // Inside an interpolation: balance parentheses and skip nested strings.
                match self.bytes[self.pos] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    b'"' | b'\'' => {
                        let save = self.tokens.len();
                        let nested = self.pos;
                        self.string(nested, 0);
                        self.tokens.truncate(save);
                        continue;
                    }
                    b'\n' => self.line += 1,
                    _ => {}
                }
                self.pos += self.text[self.pos..]
                    .chars()
                    .next()
                    .map_or(1, char::len_utf8);
                continue;
            }
            if self.bytes[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += self.text[self.pos..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        }
    }

    fn attribute(&mut self, start: usize) {
        self.pos += 1;
        let name_start = self.pos;
        while matches!(self.bytes.get(self.pos), Some(c) if is_ident_byte(*c) || *c == b'$' || *c == b'#')
        {
            self.pos += 1;
        }
        let name = self.text[name_start..self.pos].to_string();
        if self.bytes.get(self.pos) != Some(&b'(') || name.is_empty() {
            self.error(start, "invalid attribute: expected '@name('");
            self.push(TokenKind::Illegal("@".into()), start);
            return;
        }
        self.pos += 1;
        let body_start = self.pos;
        let mut depth = 1;
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'"' | b'\'' => {
                    let save = self.tokens.len();
                    self.string(self.pos, 0);
                    self.tokens.truncate(save);
                    continue;
                }
                b'\n' => self.line += 1,
                _ => {}
            }
            self.pos += self.text[self.pos..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        }
        if self.pos >= self.bytes.len() {
            self.error(start, "attribute not terminated: expected ')'");
            let body = self.text[body_start..].to_string();
            self.push(TokenKind::Attribute { name, body }, start);
            return;
        }
        let body = self.text[body_start..self.pos].to_string();
        self.pos += 1;
        self.push(TokenKind::Attribute { name, body }, start);
    }
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn is_ident_start(text: &str, pos: usize) -> bool {
    match text[pos..].chars().next() {
        Some('#') | Some('$') | Some('_') => true,
        Some(c) => c.is_alphabetic(),
        None => false,
    }
}

#[cfg(test)]
mod comment_tests {
    use super::*;

    fn comment_texts(text: &str) -> Vec<&str> {
        comments(FileId(0), text)
            .iter()
            .map(|span| &text[span.start as usize..span.end as usize])
            .collect()
    }

    #[test]
    fn comments_skip_slashes_inside_strings_and_attributes() {
        let text = "a: \"http://x\" // one  \n// two\nb: 1 @go(//no)\nc: #\"//\"# // three\n";
        assert_eq!(comment_texts(text), ["// one", "// two", "// three"]);
    }

    #[test]
    fn a_multiline_string_hides_its_slashes() {
        let text = "a: \"\"\"\n  // not a comment\n  \"\"\"\n// four";
        assert_eq!(comment_texts(text), ["// four"]);
    }
}
